// cluster.mjs - three `hookd serve` nodes on one PostgreSQL database under a mixed mutation
// load, two of them SIGKILLed at random moments; driven by test_cluster.sh (issue 17).
//
// The nodes share the database (HOOKD_DATABASE_URL); each serves the API and delivers. Each
// node sends its own User-Agent ("hookd-node-N"), so the receiver knows which node made each
// attempt. WORKERS clients walk customers through their life over GraphQL, as kill.mjs's do
// (create, two updates, add to a group, delete), each client sending to one node and moving
// to a live one (as a load balancer would) when its node is gone. Two targets: "all"
// subscribed to the four customer event types, "some" to created and deleted.
//
// After a random 1-2.5 s of load one node, chosen at random, gets SIGKILL; after another
// random 1-2.5 s, a second one. The survivor takes the load; the load goes on for a second,
// then stops, and the deliveries drain: what the dead nodes held (leased, in flight or
// queued) goes out from the survivor once its lease runs out (HOOKD_DELIVERY_LEASE).
//
//   committed   (event, subscribed target) pairs of mutations answered with success
//   delivered   of those, how many arrived (2xx answered)
//   lost        committed - delivered: must be 0
//   duplicates  arrivals beyond the first of an (event, target); each must repeat an attempt
//               in flight at a kill: its first arrival came from the killed node before the
//               kill, the repeat after it, with the same attempt number (never recorded), or
//               a later one when hookd recorded every attempt in between as failed (the
//               survivor's first try may fail too, e.g. on a kept-alive connection the
//               receiver closed as it was sent)
//   uncertain   mutations whose answer was lost in a kill (never counted as lost)
//   undelivered deliveries hookd holds that are not SUCCEEDED after the drain: must be 0
//   taken_over  deliveries a dead node had started that the survivor finished
//
// Env: HOOKD_BIN, HOOKD_DATABASE_URL, HOOKD_API_KEY, HOOKD_LOG_FILE, HOOKD_PID_FILE,
// HOOKD_RETRY_SCHEDULE, HOOKD_DELIVERY_TIMEOUT, HOOKD_DELIVERY_LEASE; optional
// HOOKD_CLUSTER_WORKERS (6), HOOKD_CLUSTER_DRAIN_MS (60000).

import { EVENT_TYPES, ALL_EVENT_TYPES, createTarget, gql } from "../helpers.mjs";
import { now, sleep, startReceiver, waitFor } from "../receiver.mjs";
import { allOk, deliveriesOf, killHookd, need, reliability, startHookd, summary } from "./common.mjs";

const API_KEY = need("HOOKD_API_KEY");
need("HOOKD_DATABASE_URL");
const NODES = 3;
const WORKERS = Number(process.env.HOOKD_CLUSTER_WORKERS ?? 6);
const DRAIN_MS = Number(process.env.HOOKD_CLUSTER_DRAIN_MS ?? 60_000);
const KILL_DELAY_MS = [1000, 2500];
const P = { all: "/cluster/all", some: "/cluster/some" };
const SUBSCRIBED = {
  all: new Set(ALL_EVENT_TYPES),
  some: new Set([EVENT_TYPES.created, EVENT_TYPES.deleted]),
};
const log = (msg) => console.log(`cluster: ${msg}`);
const tag = Date.now().toString(36);

const nodes = []; // { n, server, alive, killedAt }
const wsOf = (node) => ({ apiKey: API_KEY, url: `http://127.0.0.1:${node.server.port}/graphql/v1` });
const liveNode = (preferred) => {
  if (preferred.alive) return preferred;
  const live = nodes.filter((x) => x.alive);
  return live.length ? live[Math.floor(Math.random() * live.length)] : null;
};

const ERR = "error { message type code }";
const DOC = {
  upsert: `mutation u($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { result customer { id } ${ERR} } }`,
  add: `mutation a($input: AddCustomerToCustomerGroupsInput!) {
    addCustomerToCustomerGroups(input: $input) { customerGroupMemberships { customerId } ${ERR} } }`,
  del: `mutation d($input: DeleteCustomerInput!) { deleteCustomer(input: $input) { ${ERR} } }`,
  group: `mutation g($input: CreateCustomerGroupInput!) { createCustomerGroup(input: $input) { customerGroup { id } ${ERR} } }`,
};

// ---- load ---------------------------------------------------------------------------------

const acked = []; // { key, type }
const uncertain = []; // { key, what, why }
let stopLoad = false;
let serial = 0;

class NotSent extends Error {}
class Uncertain extends Error {}

async function mutate(node, doc, input, field) {
  let res;
  try {
    res = await fetch(wsOf(node).url, {
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

// One mutation, sent to the client's node or, once that one is gone, to a live one. Returns
// the output, or null when its answer was lost.
async function step(client, what, key, doc, input, field) {
  for (;;) {
    const node = liveNode(client.node);
    if (!node) return null;
    client.node = node;
    try {
      return await mutate(node, doc, input, field);
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
  const client = { node: nodes[w % NODES] };
  while (!stopLoad) {
    const n = ++serial;
    const email = `cluster.${tag}.${w}.${n}@example.com`;
    const name = (i) => `Cluster ${w}.${n}.${i}`;
    const upsert = (i) => ({
      identifier: { emailAddress: email },
      onCreate: { fullName: name(i), email: { email, isVerified: false } },
      onUpdate: { fullName: { value: name(i) } },
    });
    const ckey = `created:${email}`;
    const created = await step(client, "create", ckey, DOC.upsert, upsert(0), "upsertCustomer");
    if (!created) continue;
    if (created.result !== "CREATED") throw new Error(`create ${email}: ${JSON.stringify(created)}`);
    const id = created.customer.id;
    acked.push({ key: ckey, type: EVENT_TYPES.created });
    for (const i of [1, 2]) {
      if (stopLoad) break;
      const key = `updated:${id}:${name(i)}`;
      const out = await step(client, "update", key, DOC.upsert, upsert(i), "upsertCustomer");
      if (out?.result === "UPDATED") acked.push({ key, type: EVENT_TYPES.updated });
      else if (out) throw new Error(`update ${email}: ${JSON.stringify(out)}`);
    }
    if (stopLoad) break;
    const group = groups[n % groups.length];
    const key = `memberships:${id}:ADDED:${group}`;
    const input = { customerId: id, customerGroupIdentifiers: [{ customerGroupId: group }] };
    if (await step(client, "add to group", key, DOC.add, input, "addCustomerToCustomerGroups")) {
      acked.push({ key, type: EVENT_TYPES.memberships });
    }
    if (stopLoad) break;
    const dkey = `deleted:${id}`;
    if (await step(client, "delete", dkey, DOC.del, { customerId: id }, "deleteCustomer")) {
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

const nodeOf = (rec) => Number(/hookd-node-(\d+)/.exec(rec.headers["user-agent"] ?? "")?.[1] ?? -1);
const attemptOf = (rec) => Number(rec.headers["plain-webhook-delivery-attempt-number"]);

async function main() {
  const startedAt = now();
  const receiver = await startReceiver();
  receiver.route(P.all, { status: 200, delayMs: [0, 10] });
  receiver.route(P.some, { status: 200, delayMs: [0, 10] });
  for (let n = 0; n < NODES; n++) {
    const server = await startHookd({ extraEnv: { HOOKD_USER_AGENT: `hookd-node-${n}` } });
    nodes.push({ n, server, alive: true, killedAt: null, exitedAt: null });
  }
  const ws = wsOf(nodes[0]);
  const targets = {
    all: await createTarget(ws, { url: receiver.url(P.all), types: ALL_EVENT_TYPES }),
    some: await createTarget(ws, { url: receiver.url(P.some), types: [...SUBSCRIBED.some] }),
  };
  const groups = [];
  for (const g of ["a", "b"]) {
    const input = { name: `Cluster ${g}`, key: `cluster-${g}-${tag}`, color: "#102030" };
    groups.push((await gql(ws, DOC.group, { input })).createCustomerGroup.customerGroup.id);
  }
  log(`${NODES} nodes on ports ${nodes.map((x) => x.server.port).join(", ")}; ${WORKERS} ` +
    `workers; two SIGKILLs at random ${KILL_DELAY_MS[0]}-${KILL_DELAY_MS[1]} ms apart`);

  const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w, groups))).then(
    () => null,
    (e) => e,
  );
  let underLoad = 0;
  for (let k = 1; k <= 2; k++) {
    const delay = KILL_DELAY_MS[0] + Math.random() * (KILL_DELAY_MS[1] - KILL_DELAY_MS[0]);
    const ackedBefore = acked.length;
    await sleep(delay);
    const live = nodes.filter((x) => x.alive);
    const victim = live[Math.floor(Math.random() * live.length)];
    victim.killedAt = now();
    victim.alive = false;
    const { signal } = await killHookd(victim.server, "SIGKILL");
    victim.exitedAt = now();
    if (acked.length > ackedBefore) underLoad++;
    log(`kill ${k}: node ${victim.n} (${signal}) after ${delay.toFixed(0)} ms, ` +
      `${acked.length - ackedBefore} mutations acknowledged in the phase`);
  }
  await sleep(1000);
  stopLoad = true;
  const loadError = await load;
  if (loadError) throw loadError;
  const survivor = nodes.find((x) => x.alive);
  log(`load: ${acked.length} mutations acknowledged, ${uncertain.length} uncertain; ` +
    `node ${survivor.n} survives`);

  const expected = [];
  for (const a of acked) {
    for (const t of ["all", "some"]) if (SUBSCRIBED[t].has(a.type)) expected.push(`${t}|${a.key}`);
  }
  const arrivals = () => {
    const m = new Map(); // "target|key" -> { ids, recs }
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
  const sws = wsOf(survivor);
  const drainFrom = now();
  let held = { all: new Map(), some: new Map() };
  const settled = async () => {
    const got = arrivals();
    if (!expected.every((k) => got.has(k))) return false;
    held = { all: await deliveriesOf(sws, targets.all.id), some: await deliveriesOf(sws, targets.some.id) };
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
  held = { all: await deliveriesOf(sws, targets.all.id), some: await deliveriesOf(sws, targets.some.id) };

  const problems = [];
  const delivered = expected.filter((k) => got.has(k)).length;
  const lost = expected.length - delivered;
  let duplicates = 0;
  let takenOver = 0;
  const unexplained = [];
  const byNode = new Array(NODES).fill(0);
  // hookd recorded attempts first..last-1 of the delivery of event `id` to target `t` as failed.
  const failedBetween = (t, id, first, last) => {
    const attempts = held[t].get(id)?.attempts ?? [];
    for (let n = first; n < last; n++) {
      const a = attempts.find((x) => x.number === n);
      if (!a || a.error === null) return false;
    }
    return true;
  };
  for (const [k, { ids, recs }] of got) {
    if (ids.size > 1) problems.push(`${k}: ${ids.size} different events for one mutation`);
    const t = k.slice(0, k.indexOf("|"));
    const id = [...ids][0];
    duplicates += recs.length - 1;
    recs.sort((a, b) => a.arrivedAt - b.arrivedAt);
    for (const r of recs) if (nodeOf(r) >= 0) byNode[nodeOf(r)]++;
    for (let i = 1; i < recs.length; i++) {
      const prev = recs[i - 1];
      const next = recs[i];
      const dead = nodes[nodeOf(prev)];
      const inFlight = dead && dead.killedAt !== null && prev.arrivedAt < dead.exitedAt &&
        next.arrivedAt > dead.killedAt &&
        (attemptOf(next) === attemptOf(prev) ||
          (attemptOf(next) > attemptOf(prev) &&
            failedBetween(t, id, attemptOf(prev), attemptOf(next))));
      if (inFlight) {
        if (nodeOf(next) !== dead.n) takenOver++;
      } else {
        unexplained.push(`${k}: attempt #${attemptOf(prev)} from node ${nodeOf(prev)} then ` +
          `#${attemptOf(next)} from node ${nodeOf(next)}, not a repeat of an attempt in flight ` +
          `at a kill`);
      }
    }
  }
  const ackedKeys = new Set(acked.map((a) => a.key));
  const uncertainKeys = new Set(uncertain.map((u) => u.key));
  const phantoms = [];
  const seenUncertain = new Set();
  for (const k of got.keys()) {
    const key = k.slice(k.indexOf("|") + 1);
    if (ackedKeys.has(key)) continue;
    if (uncertainKeys.has(key)) {
      seenUncertain.add(key);
      continue;
    }
    phantoms.push(k);
  }
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
  log(`attempts by node: ${byNode.map((c, n) => `node ${n} ${c}`).join(", ")}`);
  log(`hookd holds ${heldCount} deliveries for the two targets; ${undelivered} not delivered`);
  log(`${[...got.values()].reduce((n, x) => n + x.recs.length, 0)} arrivals in ` +
    `${((now() - startedAt) / 1000).toFixed(1)} s`);
  if (lost) {
    const missing = expected.filter((k) => !got.has(k));
    problems.push(`${lost} acknowledged event(s) never arrived, e.g. ${missing.slice(0, 5).join(", ")}`);
  }
  if (undelivered) problems.push(`${undelivered} deliveries hookd holds were not delivered`);
  if (phantoms.length) problems.push(`events of no mutation: ${phantoms.slice(0, 5).join(", ")}`);
  if (unexplained.length) problems.push(`duplicates: ${unexplained.slice(0, 3).join("; ")}`);
  if (acked.length === 0) problems.push("no mutation was acknowledged");
  if (byNode.filter((c) => c > 0).length < 2) problems.push("fewer than two nodes delivered");
  if (underLoad < 1) problems.push("no kill came under load");
  const ok = problems.length === 0;
  reliability("faults", `${NODES} nodes on one PostgreSQL, SIGKILL x2 at random under ${WORKERS} concurrent mutators`, {
    committed: expected.length,
    delivered,
    lost,
    duplicates,
    taken_over: takenOver,
    kills_under_load: underLoad,
    mutations: acked.length,
    uncertain: uncertain.length,
    uncertain_committed: seenUncertain.size,
    undelivered,
  }, ok);
  for (const p of problems) console.log(`FAIL ${p}`);
  summary();
  await killHookd(survivor.server, "SIGTERM");
  await receiver.close();
  return allOk() ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`FAIL cluster test: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
