// store.mjs - disk-full and read-only store faults, driven by test_faults_store.sh.
//
// hookd runs with LD_PRELOAD=fault_fs.so (tests/tools/preload/fault_fs.c): while the
// trigger file exists, writes under the data dir fail with the errno written in it. For
// each fault (ENOSPC: disk full; EROFS: read-only; EIO: a failing disk) every kind of
// mutation is sent while the fault is on; each must fail cleanly with Plain's
// MutationError { type: INTERNAL, code: "internal" } (SPEC §6), hookd must stay up and
// keep serving reads, /healthz must answer 503 with the reason while writes fail (and
// /metrics: hookd_store_writes_failing 1, each failed mutation counted in
// hookd_graphql_internal_errors_total) and 200 again once a write commits (issue 15),
// and once the fault is cleared nothing of the failed mutations may
// exist (no entity, no change, no event) while everything committed before is intact, a
// new mutation works and every committed event is delivered. Then:
//   - a load of upserts over several connections while the fault flips on and off
//     (group commit: a failed batch must not take a committed mutation with it, nor leave
//     a failed one half-written);
//   - SYNC-EIO: only fsync/fdatasync fail (the bytes reached the WAL, their durability is
//     unknown): the batch is answered "outcome unknown" and the store fails until a restart
//     (later writes refused, /healthz 503, reads served); then SIGKILL and restart: healthy,
//     everything answered OK exists, nothing refused exists, and an "outcome unknown"
//     customer (reported as uncertain) exists together with its event or not at all;
//   - SYNC-EIO-DB: only the database file's syncs fail (a checkpoint's): the same failed
//     state, and everything acknowledged survives SIGKILL and restart.
// One RELIABILITY line per case; exit status 1 when any case fails.
//
// Env: HOOKD_BIN, HOOKD_DATA_DIR, HOOKD_API_KEY, HOOKD_LOG_FILE, HOOKD_PID_FILE,
// HOOKD_FAULT_FS_TRIGGER, HOOKD_FAULT_FS_LOG (hookd gets LD_PRELOAD and the rest from the
// script's environment).

import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";

import { EVENT_TYPES, ALL_EVENT_TYPES, createTarget, gql } from "../helpers.mjs";
import { now, sleep, startReceiver, waitFor } from "../receiver.mjs";
import { allOk, killHookd, need, reliability, startHookd, summary } from "./common.mjs";

const API_KEY = need("HOOKD_API_KEY");
const TRIGGER = need("HOOKD_FAULT_FS_TRIGGER");
const FAULT_LOG = need("HOOKD_FAULT_FS_LOG");
const SERVE_LOG = need("HOOKD_LOG_FILE");
const PATH = "/faults/store";
const tag = Date.now().toString(36);
const log = (msg) => console.log(`store: ${msg}`);

const PRELOAD = need("HOOKD_PRELOAD");
const hookdEnv = { extraEnv: { LD_PRELOAD: PRELOAD } };
let server;
const ws = { apiKey: API_KEY, get url() { return `http://127.0.0.1:${server.port}/graphql/v1`; } };

const faultOn = (what) => writeFileSync(TRIGGER, what);
const faultOff = () => rmSync(TRIGGER, { force: true });
const faultLines = () => (existsSync(FAULT_LOG) ? readFileSync(FAULT_LOG, "utf8").split("\n").filter(Boolean) : []);

// A raw GraphQL call that never throws on GraphQL errors: { status, json }.
async function raw(query, variables = {}) {
  const res = await fetch(ws.url, {
    method: "POST",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { unparsable: text.slice(0, 300) };
  }
  return { status: res.status, json };
}

const ERR = "error { __typename message type code }";
// helpers.mjs's upsert document, with the error's type and __typename.
const UPSERT = `mutation upsertCustomer($input: UpsertCustomerInput!) {
  upsertCustomer(input: $input) { result customer { id } ${ERR} } }`;
const Q = {
  byEmail: `query c($e: String!) { customerByEmail(email: $e) { id fullName markedAsSpamAt { iso8601 }
    customerGroupMemberships(first: 50) { edges { node { customerGroup { id } } } } } }`,
  byId: `query c($id: ID!) { customer(customerId: $id) { id fullName markedAsSpamAt { iso8601 }
    customerGroupMemberships(first: 50) { edges { node { customerGroup { id } } } } } }`,
  groups: `query { customerGroups(first: 100) { edges { node { id key } } } }`,
  targets: `query { webhookTargets(first: 100) { edges { node { id url } } } }`,
  hmac: `query { workspaceHmac { hmacSecret } }`,
  count: `query { customers(first: 1) { totalCount } }`,
};

const upsertInput = (email, fullName) => ({
  identifier: { emailAddress: email },
  onCreate: { fullName, email: { email, isVerified: false } },
  onUpdate: { fullName: { value: fullName } },
});

async function createCustomer(email, fullName = "Store Fault") {
  const r = await raw(UPSERT, { input: upsertInput(email, fullName) });
  const out = r.json.data?.upsertCustomer;
  if (out?.result !== "CREATED") throw new Error(`create ${email}: ${JSON.stringify(r.json)}`);
  return out.customer.id;
}

// Every kind of mutation, as (name, document, variables, output field). Each would write
// and fire an event (or change a row) if it succeeded.
function failingMutations(mode, fx) {
  const m = (name, doc, variables, field) => ({ name, doc, variables, field });
  return [
    m("upsertCustomer (create)", UPSERT,
      { input: upsertInput(`new.${mode}.${tag}@example.com`, "Never") }, "upsertCustomer"),
    m("upsertCustomer (update)", UPSERT,
      { input: upsertInput(fx.a.email, `Failed ${mode}`) }, "upsertCustomer"),
    m("markCustomerAsSpam", `mutation m($input: MarkCustomerAsSpamInput!) {
      markCustomerAsSpam(input: $input) { customer { id } ${ERR} } }`,
      { input: { customerId: fx.a.id } }, "markCustomerAsSpam"),
    m("createCustomerGroup", `mutation m($input: CreateCustomerGroupInput!) {
      createCustomerGroup(input: $input) { customerGroup { id } ${ERR} } }`,
      { input: { name: "Never", key: `never-${mode}-${tag}`.toLowerCase(), color: "#123456" } },
      "createCustomerGroup"),
    m("addCustomerToCustomerGroups", `mutation m($input: AddCustomerToCustomerGroupsInput!) {
      addCustomerToCustomerGroups(input: $input) { customerGroupMemberships { customerGroup { id } } ${ERR} } }`,
      { input: { customerId: fx.b.id, customerGroupIdentifiers: [{ customerGroupId: fx.group }] } },
      "addCustomerToCustomerGroups"),
    m("deleteCustomer", `mutation m($input: DeleteCustomerInput!) { deleteCustomer(input: $input) { ${ERR} } }`,
      { input: { customerId: fx.c.id } }, "deleteCustomer"),
    m("createWebhookTarget", `mutation m($input: CreateWebhookTargetInput!) {
      createWebhookTarget(input: $input) { webhookTarget { id } ${ERR} } }`,
      { input: { url: `http://127.0.0.1:9/never/${mode}`, eventSubscriptions: [{ eventType: EVENT_TYPES.created }],
        isEnabled: true, description: "never" } }, "createWebhookTarget"),
    m("regenerateWorkspaceHmac", `mutation { regenerateWorkspaceHmac { workspaceHmac { hmacSecret } ${ERR} } }`,
      {}, "regenerateWorkspaceHmac"),
  ];
}

// What the store holds of the fixtures, to compare before and after a fault.
async function snapshot(fx) {
  const one = async (q, v, f) => (await gql(ws, q, v))[f];
  const a = await one(Q.byId, { id: fx.a.id }, "customer");
  const b = await one(Q.byId, { id: fx.b.id }, "customer");
  const c = await one(Q.byId, { id: fx.c.id }, "customer");
  const groups = (await one(Q.groups, {}, "customerGroups")).edges.map((e) => e.node.key).sort();
  const targets = (await one(Q.targets, {}, "webhookTargets")).edges.map((e) => e.node.id).sort();
  const hmac = (await one(Q.hmac, {}, "workspaceHmac"))?.hmacSecret ?? null;
  const count = (await one(Q.count, {}, "customers")).totalCount;
  return JSON.stringify({ a, b, c, groups, targets, hmac, count });
}

// ---- the receiver's view ---------------------------------------------------------------

let receiver;
// A key per event that says which mutation made it.
function eventKey(r) {
  const b = r.json;
  const p = b?.payload ?? {};
  switch (b?.type) {
    case EVENT_TYPES.created:
      return `created:${p.customer.email.email}`;
    case EVENT_TYPES.updated:
      return `updated:${p.customer.id}:${p.customer.fullName}:${p.customer.markedAsSpamAt ? "spam" : "-"}`;
    case EVENT_TYPES.deleted:
      return `deleted:${p.previousCustomer.id}`;
    case EVENT_TYPES.memberships:
      return `memberships:${p.customer.id}:${p.changeType}`;
    default:
      return `other:${b?.type}`;
  }
}
// key -> { ids: Set(event id), arrivals }
function arrived() {
  const m = new Map();
  for (const r of receiver.requestsTo(PATH)) {
    if (r.endedAt === undefined || r.answered !== 200 || !r.json) continue;
    const k = eventKey(r);
    if (!m.has(k)) m.set(k, { ids: new Set(), arrivals: 0 });
    const e = m.get(k);
    e.ids.add(r.json.id);
    e.arrivals++;
  }
  return m;
}

// Waits until every key in `expected` arrived (at most timeoutMs); returns the figures.
async function deliveryFigures(expected, timeoutMs = 30_000) {
  try {
    await waitFor(() => expected.every((k) => arrived().has(k)), { timeoutMs, what: "deliveries" });
  } catch {
    // counted as lost below
  }
  const got = arrived();
  const delivered = expected.filter((k) => got.has(k)).length;
  let duplicates = 0;
  for (const k of expected) {
    const e = got.get(k);
    if (e) duplicates += e.arrivals - e.ids.size;
  }
  return { committed: expected.length, delivered, lost: expected.length - delivered, duplicates };
}

// ---- the cases ----------------------------------------------------------------------------

const problems = [];

// What /healthz gives as the reason for each fault (SQLite's error, in hookd's words).
const REASONS = { ENOSPC: "disk full", EROFS: "I/O error", EIO: "I/O error" };

// The store's health and the server's failures as /metrics has them.
async function metrics() {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  const v = (name) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
  return {
    healthy: v("hookd_store_healthy"), failing: v("hookd_store_writes_failing"),
    failures: v("hookd_store_write_failures_total"), internal: v("hookd_graphql_internal_errors_total"),
  };
}

async function modeCase(mode, description, fx, expectedAll) {
  const before = await snapshot(fx);
  const startM = await metrics();
  const linesBefore = faultLines().length;
  faultOn(mode);
  const muts = failingMutations(mode, fx);
  const bad = [];
  let clean = 0;
  for (const mu of muts) {
    const r = await raw(mu.doc, mu.variables);
    const out = r.json.data?.[mu.field];
    const e = out?.error;
    if (r.status === 200 && !r.json.errors && e?.__typename === "MutationError" &&
        e.type === "INTERNAL" && e.code === "internal") {
      clean++;
    } else {
      bad.push(`${mu.name}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
    }
  }
  // While writes fail, /healthz says so (503, with the reason) and so does /metrics; the
  // failed mutations count as the server's errors although they are answered 200.
  const hz = await fetch(`http://127.0.0.1:${server.port}/healthz`);
  const healthz = hz.status;
  const reason = (await hz.json().catch(() => ({}))).reason ?? "";
  const during = await metrics();
  const readsOk = (await snapshot(fx)) === before; // reads are served during the fault
  const injected = faultLines().length - linesBefore;
  faultOff();
  const alive = server.alive();
  await sleep(200);
  const after = await snapshot(fx);
  const halfWritten = after === before ? 0 : 1;
  // The failed mutations' events never arrive: checked at the end, over everything received.
  const y = `after.${mode}.${tag}@example.com`;
  let newWorks = true;
  try {
    await createCustomer(y, "After fault");
    expectedAll.push(`created:${y}`);
  } catch (e) {
    newWorks = false;
    bad.push(`a mutation after the fault was cleared: ${e.message}`);
  }
  const figures = await deliveryFigures([`created:${y}`]);
  const healthzAfter = (await fetch(`http://127.0.0.1:${server.port}/healthz`)).status;
  const afterM = await metrics();
  const internal = during.internal - startM.internal;
  const healthOk = healthz === 503 && reason.startsWith(`store writes are failing: ${REASONS[mode]}`) &&
    during.failing === 1 && during.healthy === 0 && during.failures > startM.failures &&
    internal === muts.length && healthzAfter === 200 && afterM.failing === 0 && afterM.healthy === 1;
  const ok = bad.length === 0 && clean === muts.length && halfWritten === 0 && alive && readsOk &&
    newWorks && injected > 0 && figures.lost === 0 && healthOk;
  if (!ok) {
    problems.push(`${mode}: ${bad.join("; ")}${halfWritten ? `; store changed: before ${before} after ${after}` : ""}` +
      `${readsOk ? "" : "; reads during the fault differed"}${alive ? "" : "; hookd exited"}` +
      `${injected ? "" : "; fault_fs failed no call (not reached?)"}` +
      `${healthOk ? "" : `; health: /healthz ${healthz} "${reason}" then ${healthzAfter}, metrics during ${JSON.stringify(during)} after ${JSON.stringify(afterM)}, internal errors ${internal}`}`);
  }
  reliability("faults", description, {
    mutations: muts.length, failed_cleanly: clean, half_written: halfWritten,
    committed_after: figures.committed, delivered: figures.delivered, lost: figures.lost,
    duplicates: figures.duplicates, healthz, healthz_after: healthzAfter,
    writes_failing_gauge: during.failing, internal_errors_counted: internal, injected_calls: injected,
  }, ok);
}

// Upserts over several connections while the fault flips on and off.
async function flippingCase(expectedAll, failedKeys) {
  const WORKERS = 6;
  const DURATION_MS = 4000;
  const committed = [];
  const failed = [];
  const odd = [];
  let stop = false;
  let serial = 0;
  const flipper = (async () => {
    let on = false;
    while (!stop) {
      on = !on;
      if (on) faultOn("ENOSPC");
      else faultOff();
      await sleep(150 + Math.random() * 200);
    }
    faultOff();
  })();
  const worker = async (w) => {
    while (!stop) {
      const email = `flip.${tag}.${w}.${++serial}@example.com`;
      let r;
      try {
        r = await raw(UPSERT, { input: upsertInput(email, `Flip ${serial}`) });
      } catch (e) {
        odd.push(`${email}: ${e.message}`);
        continue;
      }
      const out = r.json.data?.upsertCustomer;
      if (out?.result === "CREATED") committed.push({ email, id: out.customer.id });
      else if (out?.error?.type === "INTERNAL" && out.error.code === "internal") failed.push(email);
      else odd.push(`${email}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
    }
  };
  const started = now();
  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
  await sleep(DURATION_MS);
  stop = true;
  await Promise.all(workers);
  await flipper;
  faultOff();
  log(`flipping: ${committed.length} committed, ${failed.length} failed in ${((now() - started) / 1000).toFixed(1)} s`);
  // Each committed customer exists; each failed one does not.
  let halfWritten = 0;
  let missing = 0;
  for (const { email, id } of committed) {
    const c = (await gql(ws, Q.byEmail, { e: email })).customerByEmail;
    if (c?.id !== id) missing++;
  }
  for (const email of failed) {
    const c = (await gql(ws, Q.byEmail, { e: email })).customerByEmail;
    if (c) halfWritten++;
  }
  const keys = committed.map((c) => `created:${c.email}`);
  expectedAll.push(...keys);
  failedKeys.push(...failed.map((e) => `created:${e}`));
  const figures = await deliveryFigures(keys, 45_000);
  const ok = committed.length > 0 && failed.length > 0 && odd.length === 0 && halfWritten === 0 &&
    missing === 0 && figures.lost === 0 && server.alive();
  if (!ok) {
    problems.push(`flipping: ${committed.length} committed, ${failed.length} failed, ` +
      `${halfWritten} failed ones exist, ${missing} committed ones missing, odd answers: ` +
      `${odd.slice(0, 3).join("; ")}`);
  }
  reliability("faults", "disk full flipping on/off under 6 concurrent upserters", {
    committed: figures.committed, delivered: figures.delivered, lost: figures.lost,
    duplicates: figures.duplicates, failed: failed.length, half_written: halfWritten,
    answered_but_missing: missing,
  }, ok);
}

// fsync fails (the bytes are in the WAL; their durability is unknown), then SIGKILL and
// restart. hookd must not pretend to know the outcome, nor write on: the batch whose fsync
// failed is answered "outcome unknown", the store fails for good (every later write is
// refused at once, /healthz answers 503, reads go on) until a restart. After SIGKILL and a
// restart without the fault: healthy again; everything answered OK exists; what was answered
// "outcome unknown" may or may not exist (counted as uncertain), with its event if and only
// if it exists; what was refused does not exist and its event never arrives.
const UNKNOWN_RE = /outcome is unknown until hookd restarts/;
const REFUSED_RE = /store unavailable after a failed fsync; restart hookd/;
const healthzStatus = async () =>
  (await fetch(`http://127.0.0.1:${server.port}/healthz`, { signal: AbortSignal.timeout(5000) })).status;

async function syncCase(expectedAll, failedKeys) {
  const N = 5;
  const bad = [];
  // Answered OK just before the fault: must survive the SIGKILL.
  const before = `sync.before.${tag}@example.com`;
  await createCustomer(before, "Before sync fault");
  expectedAll.push(`created:${before}`);
  const healthzBefore = await healthzStatus();
  const linesBefore = faultLines().length;
  faultOn("SYNC-EIO");
  const unknown = [];
  const refused = [];
  const classify = async (email, name) => {
    const r = await raw(UPSERT, { input: upsertInput(email, name) });
    const e = r.json.data?.upsertCustomer?.error;
    const internal = r.status === 200 && !r.json.errors && e?.__typename === "MutationError" &&
      e.type === "INTERNAL" && e.code === "internal";
    if (internal && UNKNOWN_RE.test(e.message)) unknown.push(email);
    else if (internal && REFUSED_RE.test(e.message)) refused.push(email);
    else bad.push(`${email}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
  };
  for (let i = 0; i < N; i++) await classify(`sync.${tag}.${i}@example.com`, `Sync ${i}`);
  const healthzFault = await healthzStatus();
  const injected = faultLines().slice(linesBefore).filter((l) => /fsync|fdatasync/.test(l)).length;
  faultOff();
  // Sticky: with the disk fine again, writes stay refused and /healthz stays 503 until a
  // restart (the OS may have dropped pages it reported clean; only recovery can tell).
  const M = 2;
  for (let i = 0; i < M; i++) await classify(`sync.after.${tag}.${i}@example.com`, `Sync after ${i}`);
  const healthzAfter = await healthzStatus();
  // Reads go on; a commit whose fsync failed is invisible while the process lives.
  let visibleBefore = 0;
  let readsOk = true;
  try {
    if (!(await gql(ws, Q.byEmail, { e: before })).customerByEmail) readsOk = false;
    for (const email of [...unknown, ...refused]) {
      if ((await gql(ws, Q.byEmail, { e: email })).customerByEmail) visibleBefore++;
    }
  } catch (e) {
    readsOk = false;
    bad.push(`a read while failed: ${e.message}`);
  }
  const port = server.port;
  await killHookd(server, "SIGKILL");
  server = await startHookd({ ...hookdEnv, preferredPort: port }); // waits for /healthz 200
  const healthzRestarted = await healthzStatus();
  const exists = async (email) => Boolean((await gql(ws, Q.byEmail, { e: email })).customerByEmail);
  // Everything answered OK before (fixtures, flipping case, `before`) is there.
  const answeredOk = expectedAll.filter((k) => k.startsWith("created:")).map((k) => k.slice(8));
  let okMissing = 0;
  for (const email of answeredOk) if (!(await exists(email))) okMissing++;
  const reappeared = [];
  for (const email of unknown) if (await exists(email)) reappeared.push(email);
  let refusedExisting = 0;
  for (const email of refused) if (await exists(email)) refusedExisting++;
  log(`fsync failing: ${unknown.length} upserts answered "outcome unknown" (${reappeared.length} ` +
    `exist after SIGKILL and restart), ${refused.length} refused (${refusedExisting} exist), ` +
    `/healthz ${healthzFault} during the fault, ${healthzAfter} after it, ${healthzRestarted} after restart`);
  // Outbox atomicity: an uncertain customer that exists has its event; one that does not, none.
  const keys = reappeared.map((e) => `created:${e}`);
  expectedAll.push(...keys);
  const figures = await deliveryFigures(keys, 30_000);
  await sleep(500);
  const got = arrived();
  const eventWithoutCustomer = unknown.filter((e) => !reappeared.includes(e) && got.has(`created:${e}`));
  for (const e of unknown) if (!reappeared.includes(e)) failedKeys.push(`created:${e}`);
  for (const e of refused) failedKeys.push(`created:${e}`); // checked at the end: never delivered
  const y = `after.sync.${tag}@example.com`;
  let newWorks = true;
  try {
    await createCustomer(y, "After sync fault");
    expectedAll.push(`created:${y}`);
  } catch (e) {
    newWorks = false;
    bad.push(e.message);
  }
  // The first commit to reach fdatasync fails: normally the first upsert's. A dispatcher
  // claim (also a write) could take that hit instead; then every upsert is refused.
  const ok = bad.length === 0 && unknown.length <= 1 && unknown.length + refused.length === N + M &&
    refused.length >= N + M - 1 && healthzBefore === 200 && healthzFault === 503 &&
    healthzAfter === 503 && healthzRestarted === 200 && readsOk && visibleBefore === 0 &&
    injected > 0 && okMissing === 0 && refusedExisting === 0 && figures.lost === 0 &&
    eventWithoutCustomer.length === 0 && newWorks && server.alive();
  if (!ok) {
    problems.push(`sync: ${bad.join("; ")} unknown ${unknown.length}, refused ${refused.length}, ` +
      `/healthz ${healthzBefore}/${healthzFault}/${healthzAfter}/${healthzRestarted}, reads ok ${readsOk}, ` +
      `visible before restart ${visibleBefore}, fsync calls failed ${injected}, answered OK but ` +
      `missing ${okMissing}, refused but existing ${refusedExisting}, events without customer ` +
      `${eventWithoutCustomer}`);
  }
  reliability("faults", "fsync fails (EIO): store fails until restart, then SIGKILL and restart", {
    mutations: N + M, outcome_unknown: unknown.length, refused: refused.length,
    uncertain_existing_after_restart: reappeared.length, refused_existing_after_restart: refusedExisting,
    answered_ok_missing_after_restart: okMissing, healthz_failed: healthzFault,
    healthz_restarted: healthzRestarted, delivered: figures.delivered, lost: figures.lost,
    duplicates: figures.duplicates, event_without_entity: eventWithoutCustomer.length,
  }, ok);
}

// A checkpoint's fsync fails (SYNC-EIO-DB: only the database file's syncs fail; commits sync
// the WAL and succeed). A retried checkpoint fsync could succeed for pages the OS dropped and
// let the WAL be reset over the only good copy, so the store fails as after a failed commit
// fsync: writes refused, /healthz 503 until a restart. Upserts go on until ~16 MiB of WAL
// starts a checkpoint; everything acknowledged must survive SIGKILL and restart, and
// nothing refused may exist.
async function checkpointCase(expectedAll, failedKeys) {
  const bad = [];
  const acked = [];
  const refused = [];
  const attempt = async (email) => {
    const r = await raw(UPSERT, { input: upsertInput(email, `Checkpoint ${email}`) });
    const out = r.json.data?.upsertCustomer;
    const e = out?.error;
    if (r.status === 200 && out?.result === "CREATED") acked.push(email);
    else if (e?.type === "INTERNAL" && REFUSED_RE.test(e.message)) refused.push(email);
    else bad.push(`${email}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
  };
  const linesBefore = faultLines().length;
  faultOn("SYNC-EIO-DB");
  let healthz = await healthzStatus();
  const deadline = now() + 60_000;
  for (let i = 0; healthz === 200 && now() < deadline && bad.length === 0;) {
    const wave = [];
    for (let j = 0; j < 16; j++, i++) wave.push(attempt(`ckpt.${tag}.${i}@example.com`));
    await Promise.all(wave);
    healthz = await healthzStatus();
  }
  const injected = faultLines().slice(linesBefore).filter((l) => /fsync|fdatasync/.test(l)).length;
  faultOff();
  await attempt(`ckpt.after.${tag}@example.com`); // sticky: refused with the disk fine again
  const healthzAfter = await healthzStatus();
  const port = server.port;
  await killHookd(server, "SIGKILL");
  server = await startHookd({ ...hookdEnv, preferredPort: port }); // waits for /healthz 200
  const healthzRestarted = await healthzStatus();
  const exists = async (email) => Boolean((await gql(ws, Q.byEmail, { e: email })).customerByEmail);
  let ackedMissing = 0;
  for (const email of acked) if (!(await exists(email))) ackedMissing++;
  let refusedExisting = 0;
  for (const email of refused) if (await exists(email)) refusedExisting++;
  expectedAll.push(...acked.map((e) => `created:${e}`));
  for (const e of refused) failedKeys.push(`created:${e}`);
  log(`checkpoint fsync failing: ${acked.length} upserts acknowledged (${ackedMissing} missing ` +
    `after SIGKILL and restart), ${refused.length} refused (${refusedExisting} exist), /healthz ` +
    `${healthz} at the fault, ${healthzAfter} after it, ${healthzRestarted} after restart`);
  const ok = bad.length === 0 && healthz === 503 && healthzAfter === 503 &&
    healthzRestarted === 200 && injected > 0 && acked.length > 0 && refused.length > 0 &&
    refused.includes(`ckpt.after.${tag}@example.com`) && ackedMissing === 0 &&
    refusedExisting === 0 && server.alive();
  if (!ok) {
    problems.push(`checkpoint: ${bad.slice(0, 3).join("; ")} acknowledged ${acked.length}, refused ` +
      `${refused.length}, /healthz ${healthz}/${healthzAfter}/${healthzRestarted}, fsync calls ` +
      `failed ${injected}, acknowledged but missing ${ackedMissing}, refused but existing ${refusedExisting}`);
  }
  reliability("faults", "checkpoint fsync fails (EIO): store fails until restart, then SIGKILL and restart", {
    committed: acked.length, refused: refused.length, acknowledged_missing_after_restart: ackedMissing,
    refused_existing_after_restart: refusedExisting, healthz_failed: healthz,
    healthz_restarted: healthzRestarted,
  }, ok);
}

async function main() {
  faultOff();
  receiver = await startReceiver();
  receiver.route(PATH, { status: 200, delayMs: [0, 5] });
  server = await startHookd(hookdEnv);
  await createTarget(ws, { url: receiver.url(PATH), types: ALL_EVENT_TYPES });
  // Fixtures, committed before any fault.
  const fx = {};
  for (const k of ["a", "b", "c"]) {
    const email = `fixture.${k}.${tag}@example.com`;
    fx[k] = { email, id: await createCustomer(email, `Fixture ${k.toUpperCase()}`) };
  }
  const g = await gql(ws, `mutation m($input: CreateCustomerGroupInput!) {
    createCustomerGroup(input: $input) { customerGroup { id } ${ERR} } }`,
  { input: { name: "Fixture", key: `fixture-${tag}`, color: "#abcdef" } });
  fx.group = g.createCustomerGroup.customerGroup.id;
  await gql(ws, `mutation { regenerateWorkspaceHmac { workspaceHmac { hmacSecret } ${ERR} } }`);
  const expectedAll = ["a", "b", "c"].map((k) => `created:${fx[k].email}`);
  const failedKeys = [
    `created:new.ENOSPC.${tag}@example.com`, `created:new.EROFS.${tag}@example.com`,
    `created:new.EIO.${tag}@example.com`, `deleted:${fx.c.id}`, `memberships:${fx.b.id}:ADDED`,
    `updated:${fx.a.id}:Fixture A:spam`,
  ];
  for (const mode of ["ENOSPC", "EROFS", "EIO"]) failedKeys.push(`updated:${fx.a.id}:Failed ${mode}:-`);

  await modeCase("ENOSPC", "disk full (ENOSPC): every kind of mutation", fx, expectedAll);
  await modeCase("EROFS", "read-only store (EROFS): every kind of mutation", fx, expectedAll);
  await modeCase("EIO", "write I/O error (EIO): every kind of mutation", fx, expectedAll);
  await flippingCase(expectedAll, failedKeys);
  await syncCase(expectedAll, failedKeys);
  await checkpointCase(expectedAll, failedKeys);

  // In all: every committed event delivered; nothing of a failed mutation ever arrived.
  const figures = await deliveryFigures(expectedAll, 30_000);
  await sleep(500);
  const got = arrived();
  const phantoms = failedKeys.filter((k) => got.has(k));
  const unexpected = [...got.keys()].filter((k) => !expectedAll.includes(k));
  const faultCalls = faultLines();
  const calls = [...new Set(faultCalls.map((l) => l.split(" ")[1]))].sort().join(",");
  log(`fault_fs failed ${faultCalls.length} calls: ${calls}`);
  const serveLog = readFileSync(SERVE_LOG, "utf8");
  const logged = (re) => serveLog.split("\n").filter((l) => re.test(l)).length;
  log(`hookd logged ${logged(/database or disk is full/)} "disk is full", ` +
    `${logged(/disk I\/O error/)} "disk I/O error", ${logged(/cannot claim/)} failed claims, ` +
    `${logged(/cannot record/)} failed records`);
  const ok = figures.lost === 0 && phantoms.length === 0 && unexpected.length === 0 &&
    calls.includes("pwrite64") && server.alive();
  if (!ok) {
    problems.push(`in all: lost ${figures.lost}, events of failed mutations ${phantoms}, ` +
      `unexpected events ${unexpected.slice(0, 5)}, calls failed: ${calls}`);
  }
  reliability("faults", "store faults in all: committed events delivered, none of failed ones", {
    committed: figures.committed, delivered: figures.delivered, lost: figures.lost,
    duplicates: figures.duplicates, events_of_failed_mutations: phantoms.length,
  }, ok);
  for (const p of problems) console.log(`FAIL ${p}`);
  summary();
  await killHookd(server, "SIGTERM");
  await receiver.close();
  return allOk() && problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    faultOff();
    console.error(`FAIL store fault test: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
