// kill.mjs - repeated SIGKILL at random moments under a mixed mutation load, driven by
// test_faults_kill.sh (issue 6; SPEC §3 outbox, §5 at-least-once).
//
// hookd runs with two webhook targets: "all" subscribed to the four customer event types,
// "some" to customer_created and customer_deleted. WORKERS concurrent clients walk
// customers through their life over GraphQL — create (upsert), two updates (upsert with a
// new unique fullName), add to a group, delete — each mutation making one event that says
// which mutation it was. KILLS times, after a random 0.2-2 s of load, hookd gets SIGKILL
// and is restarted on the same data dir. Then the load stops and the deliveries drain.
//
//   committed   (event, subscribed target) pairs of mutations answered with success
//   delivered   of those, how many arrived at least once (2xx answered)
//   lost        committed - delivered: must be 0
//   duplicates  arrivals beyond the first of an (event, target); each must straddle a kill
//   uncertain   mutations whose answer was lost in a kill (committed or not: never "lost"
//               when absent); uncertain_committed: those whose event did arrive
//   undelivered deliveries hookd holds (hookdWebhookDeliveries) that are not SUCCEEDED,
//               or whose event never arrived, after the drain: must be 0
//
// Env: HOOKD_BIN, HOOKD_DATA_DIR, HOOKD_API_KEY, HOOKD_LOG_FILE, HOOKD_PID_FILE,
// HOOKD_RETRY_SCHEDULE, HOOKD_DELIVERY_TIMEOUT; optional HOOKD_FAULTS_KILLS (8),
// HOOKD_FAULTS_WORKERS (6), HOOKD_FAULTS_DRAIN_MS (60000).

import { EVENT_TYPES, ALL_EVENT_TYPES, createTarget, gql } from "../helpers.mjs";
import { now, sleep, startReceiver, waitFor } from "../receiver.mjs";
import { allOk, deliveriesOf, killHookd, need, reliability, startHookd, summary } from "./common.mjs";

const API_KEY = need("HOOKD_API_KEY");
const KILLS = Number(process.env.HOOKD_FAULTS_KILLS ?? 8);
const WORKERS = Number(process.env.HOOKD_FAULTS_WORKERS ?? 6);
const DRAIN_MS = Number(process.env.HOOKD_FAULTS_DRAIN_MS ?? 60_000);
const KILL_DELAY_MS = [200, 2000];
const P = { all: "/kill/all", some: "/kill/some" };
const SUBSCRIBED = {
  all: new Set(ALL_EVENT_TYPES),
  some: new Set([EVENT_TYPES.created, EVENT_TYPES.deleted]),
};
const log = (msg) => console.log(`kill: ${msg}`);
const tag = Date.now().toString(36);

let server;
const ws = { apiKey: API_KEY, get url() { return `http://127.0.0.1:${server.port}/graphql/v1`; } };

const ERR = "error { message type code }";
const DOC = {
  upsert: `mutation u($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { result customer { id } ${ERR} } }`,
  add: `mutation a($input: AddCustomerToCustomerGroupsInput!) {
    addCustomerToCustomerGroups(input: $input) { customerGroupMemberships { customerId } ${ERR} } }`,
  del: `mutation d($input: DeleteCustomerInput!) { deleteCustomer(input: $input) { ${ERR} } }`,
  group: `mutation g($input: CreateCustomerGroupInput!) { createCustomerGroup(input: $input) { customerGroup { id } ${ERR} } }`,
};

// ---- load ---------------------------------------------------------------------------------

const acked = []; // { key, type }: answered with success
const uncertain = []; // { key (the event it would make), what, why }
const problems = [];
let stopLoad = false;
let serial = 0;

class NotSent extends Error {}
class Uncertain extends Error {}

// One mutation: its output, or NotSent (refused: hookd was down) / Uncertain (sent, no
// answer). An answered error is a problem of the test run.
async function mutate(doc, input, field) {
  let res;
  try {
    res = await fetch(ws.url, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ query: doc, variables: { input } }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    const code = e.cause?.code ?? e.name;
    if (code === "ECONNREFUSED") throw new NotSent(code);
    throw new Uncertain(code);
  }
  let text;
  try {
    text = await res.text();
  } catch (e) {
    throw new Uncertain(e.cause?.code ?? e.name);
  }
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${field}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  const out = json.data?.[field];
  if (res.status !== 200 || json.errors || !out || out.error) {
    throw new Error(`${field}: HTTP ${res.status} ${text.slice(0, 300)}`);
  }
  return out;
}

// Runs one step until it is sent (retrying while hookd is down). Returns the output, or
// null when its answer was lost.
async function step(what, key, doc, input, field) {
  for (;;) {
    try {
      const out = await mutate(doc, input, field);
      return out;
    } catch (e) {
      if (e instanceof NotSent) {
        if (stopLoad) return null;
        await sleep(20);
        continue;
      }
      if (e instanceof Uncertain) {
        uncertain.push({ key, what, why: e.message });
        await sleep(20);
        return null;
      }
      throw e;
    }
  }
}

async function worker(w, groups) {
  while (!stopLoad) {
    const n = ++serial;
    const email = `kill.${tag}.${w}.${n}@example.com`;
    const name = (i) => `Kill ${w}.${n}.${i}`;
    const upsert = (i) => ({
      identifier: { emailAddress: email },
      onCreate: { fullName: name(i), email: { email, isVerified: false } },
      onUpdate: { fullName: { value: name(i) } },
    });
    const ckey = `created:${email}`;
    const created = await step("create", ckey, DOC.upsert, upsert(0), "upsertCustomer");
    if (!created) continue; // committed or not, its id is unknown: on to the next customer
    if (created.result !== "CREATED") throw new Error(`create ${email}: ${JSON.stringify(created)}`);
    const id = created.customer.id;
    acked.push({ key: ckey, type: EVENT_TYPES.created });
    for (const i of [1, 2]) {
      if (stopLoad) break;
      const key = `updated:${id}:${name(i)}`;
      const out = await step("update", key, DOC.upsert, upsert(i), "upsertCustomer");
      if (out?.result === "UPDATED") acked.push({ key, type: EVENT_TYPES.updated });
      else if (out) throw new Error(`update ${email}: ${JSON.stringify(out)}`);
    }
    if (stopLoad) break;
    const group = groups[n % groups.length];
    const key = `memberships:${id}:ADDED:${group}`;
    const input = { customerId: id, customerGroupIdentifiers: [{ customerGroupId: group }] };
    if (await step("add to group", key, DOC.add, input, "addCustomerToCustomerGroups")) {
      acked.push({ key, type: EVENT_TYPES.memberships });
    }
    if (stopLoad) break;
    const dkey = `deleted:${id}`;
    if (await step("delete", dkey, DOC.del, { customerId: id }, "deleteCustomer")) {
      acked.push({ key: dkey, type: EVENT_TYPES.deleted });
    }
  }
}

// ---- the receiver's view -----------------------------------------------------------------

const groupIds = (c) => (c?.customerGroupMemberships ?? []).map((m) => m.customerGroupId);
function eventKey(body) {
  const p = body.payload ?? {};
  switch (body.type) {
    case EVENT_TYPES.created:
      return `created:${p.customer.email.email}`;
    case EVENT_TYPES.updated:
      return `updated:${p.customer.id}:${p.customer.fullName}`;
    case EVENT_TYPES.memberships: {
      const before = new Set(groupIds(p.previousCustomer));
      const added = groupIds(p.customer).filter((g) => !before.has(g));
      return `memberships:${p.customer.id}:${p.changeType}:${added.join(",")}`;
    }
    case EVENT_TYPES.deleted:
      return `deleted:${p.previousCustomer.id}`;
    default:
      return `other:${body.type}`;
  }
}

async function main() {
  const startedAt = now();
  const receiver = await startReceiver();
  receiver.route(P.all, { status: 200, delayMs: [0, 10] });
  receiver.route(P.some, { status: 200, delayMs: [0, 10] });
  server = await startHookd();
  const targets = {
    all: await createTarget(ws, { url: receiver.url(P.all), types: ALL_EVENT_TYPES }),
    some: await createTarget(ws, { url: receiver.url(P.some), types: [...SUBSCRIBED.some] }),
  };
  const groups = [];
  for (const g of ["a", "b"]) {
    const input = { name: `Kill ${g}`, key: `kill-${g}-${tag}`, color: "#102030" };
    groups.push((await gql(ws, DOC.group, { input })).createCustomerGroup.customerGroup.id);
  }
  log(`hookd on port ${server.port}; ${WORKERS} workers, ${KILLS} kills at random ` +
    `${KILL_DELAY_MS[0]}-${KILL_DELAY_MS[1]} ms into the load`);

  const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w, groups))).then(
    () => null,
    (e) => e,
  );
  const kills = []; // { at, exitedAt, respawnAt }
  let underLoad = 0; // kills after a phase in which mutations were acknowledged
  for (let k = 1; k <= KILLS; k++) {
    const delay = KILL_DELAY_MS[0] + Math.random() * (KILL_DELAY_MS[1] - KILL_DELAY_MS[0]);
    const ackedBefore = acked.length;
    await sleep(delay);
    const at = now();
    const { signal } = await killHookd(server, "SIGKILL");
    const exitedAt = now();
    await sleep(Math.random() * 200);
    const respawnAt = now();
    server = await startHookd({ preferredPort: server.port });
    kills.push({ at, exitedAt, respawnAt });
    log(`kill ${k}: ${signal} after ${delay.toFixed(0)} ms, ${acked.length - ackedBefore} ` +
      `mutations acknowledged in the phase; back in ${(now() - exitedAt).toFixed(0)} ms`);
    if (acked.length > ackedBefore) underLoad++;
  }
  await sleep(1000);
  stopLoad = true;
  const loadError = await load;
  if (loadError) throw loadError;
  log(`load: ${acked.length} mutations acknowledged, ${uncertain.length} uncertain ` +
    `(answer lost in a kill)`);

  // Expected (event key, target) pairs from acknowledged mutations.
  const expected = [];
  for (const a of acked) {
    for (const t of ["all", "some"]) if (SUBSCRIBED[t].has(a.type)) expected.push(`${t}|${a.key}`);
  }
  const arrivals = () => {
    const m = new Map(); // "target|key" -> { ids: Set, arrivals: [rec] }
    for (const t of ["all", "some"]) {
      for (const r of receiver.requestsTo(P[t])) {
        if (r.answered !== 200 || !r.json) continue;
        const k = `${t}|${eventKey(r.json)}`;
        if (!m.has(k)) m.set(k, { ids: new Set(), recs: [] });
        m.get(k).ids.add(r.json.id);
        m.get(k).recs.push(r);
      }
    }
    return m;
  };
  // Drain: every acknowledged event at every subscribed target, and nothing pending.
  const drainFrom = now();
  let held = { all: new Map(), some: new Map() };
  const settled = async () => {
    const got = arrivals();
    if (!expected.every((k) => got.has(k))) return false;
    held = { all: await deliveriesOf(ws, targets.all.id), some: await deliveriesOf(ws, targets.some.id) };
    return [...held.all.values(), ...held.some.values()].every((d) => d.status === "SUCCEEDED");
  };
  try {
    await waitFor(settled, { timeoutMs: DRAIN_MS, what: "the drain" });
  } catch {
    log(`the drain did not finish within ${DRAIN_MS} ms`);
  }
  log(`drain: ${((now() - drainFrom) / 1000).toFixed(1)} s after the load stopped`);
  await sleep(1000); // late repeats would show up now
  const got = arrivals();
  held = { all: await deliveriesOf(ws, targets.all.id), some: await deliveriesOf(ws, targets.some.id) };

  // Figures.
  const delivered = expected.filter((k) => got.has(k)).length;
  const lost = expected.length - delivered;
  const ackedKeys = new Set(acked.map((a) => a.key));
  let duplicates = 0;
  const unexplained = [];
  for (const [k, { ids, recs }] of got) {
    if (ids.size > 1) problems.push(`${k}: ${ids.size} different events for one mutation`);
    duplicates += recs.length - 1;
    recs.sort((a, b) => a.arrivedAt - b.arrivedAt);
    for (let i = 1; i < recs.length; i++) {
      const prev = recs[i - 1];
      const next = recs[i];
      const kill = kills.find((x) => prev.arrivedAt < x.respawnAt && next.arrivedAt > x.exitedAt);
      if (!kill) {
        unexplained.push(`${k}: attempts #${prev.headers["plain-webhook-delivery-attempt-number"]} ` +
          `and #${next.headers["plain-webhook-delivery-attempt-number"]} with no kill between them`);
      }
    }
  }
  // Every arrival belongs to an acknowledged or an uncertain mutation.
  const uncertainKeys = new Set(uncertain.map((u) => u.key));
  const phantoms = [];
  let uncertainCommitted = 0;
  const seenUncertain = new Set();
  for (const k of got.keys()) {
    const key = k.slice(k.indexOf("|") + 1);
    if (ackedKeys.has(key)) continue;
    if (uncertainKeys.has(key)) {
      if (!seenUncertain.has(key)) {
        seenUncertain.add(key);
        uncertainCommitted++;
      }
      continue;
    }
    phantoms.push(k);
  }
  // Everything hookd holds was delivered: no pending or failed delivery, each event arrived.
  const arrivedIds = new Set();
  for (const { ids } of got.values()) for (const id of ids) arrivedIds.add(id);
  let undelivered = 0;
  let heldCount = 0;
  for (const t of ["all", "some"]) {
    for (const [eventId, d] of held[t]) {
      heldCount++;
      if (d.status !== "SUCCEEDED" || !arrivedIds.has(eventId)) undelivered++;
    }
  }
  const uncertainCreates = uncertain.filter((u) => u.what === "create").length;
  log(`uncertain: ${uncertain.length} (${uncertainCreates} creates); ` +
    `${uncertainCommitted} of them had committed (their event arrived)`);
  log(`hookd holds ${heldCount} deliveries for the two targets; ${undelivered} not delivered`);
  log(`${[...got.values()].reduce((n, x) => n + x.recs.length, 0)} arrivals in ` +
    `${((now() - startedAt) / 1000).toFixed(1)} s`);
  if (lost) {
    const missing = expected.filter((k) => !got.has(k));
    problems.push(`${lost} acknowledged event(s) never arrived, e.g. ${missing.slice(0, 5).join(", ")}`);
  }
  if (undelivered) problems.push(`${undelivered} deliveries hookd holds were not delivered`);
  if (phantoms.length) problems.push(`events of no mutation: ${phantoms.slice(0, 5).join(", ")}`);
  if (unexplained.length) problems.push(`duplicates not explained by a kill: ${unexplained.slice(0, 3).join("; ")}`);
  if (acked.length === 0) problems.push("no mutation was acknowledged");
  // A short phase right after a restart may see no answer on a loaded machine; most must.
  if (underLoad < KILLS / 2) problems.push(`only ${underLoad} of ${KILLS} kills came under load`);
  const ok = problems.length === 0;
  reliability("faults", `SIGKILL x${KILLS} at random moments under ${WORKERS} concurrent mutators`, {
    committed: expected.length,
    delivered,
    lost,
    duplicates,
    kills: KILLS,
    kills_under_load: underLoad,
    mutations: acked.length,
    uncertain: uncertain.length,
    uncertain_committed: uncertainCommitted,
    undelivered,
  }, ok);
  for (const p of problems) console.log(`FAIL ${p}`);
  summary();
  await killHookd(server, "SIGTERM");
  await receiver.close();
  return allOk() ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`FAIL kill test: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
