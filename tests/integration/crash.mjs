// crash.mjs - at-least-once delivery across crashes (SPEC §3, §5), driven by test_crash.sh.
//
// Starts `hookd serve` on a data dir the script bootstrapped, a receiver that records
// every delivery (receiver.mjs, answering 200 after 0-15 ms), one target subscribed to
// customer_created, and a load of upserts creating customers over several connections.
// Under that load it SIGKILLs hookd at a random moment, restarts it on the same data dir,
// and does so HOOKD_CRASH_KILLS times (default 3). Then it stops the load, reads back from
// the API which customers exist (the committed mutations: every upsert that was answered
// CREATED must be among them), lets the deliveries drain, and compares:
//   committed   customers that exist = customer_created events expected
//   delivered   of those, how many had their event delivered
//   lost        committed - delivered (must be 0)
//   duplicates  arrivals beyond the first of an event; each must be a repeat of an attempt
//               that was in flight at a kill (the first arrival before the kill, the
//               repeat after it), never more than one per kill
// and prints "crash: committed N delivered N lost 0 duplicates D". Exit status 1 when
// anything is lost, a duplicate is not explained by a kill, an answered mutation is
// missing, or a delivered event belongs to no committed customer.
//
// Env: HOOKD_BIN, HOOKD_DATA_DIR, HOOKD_API_KEY, HOOKD_LOG_FILE (hookd's stderr, appended),
// HOOKD_PID_FILE (every hookd pid started, one a line, for the script's trap),
// HOOKD_RETRY_SCHEDULE, HOOKD_DELIVERY_TIMEOUT (handed to hookd); optional
// HOOKD_CRASH_KILLS, HOOKD_CRASH_WORKERS, HOOKD_CRASH_DRAIN_MS.

import { spawn } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { appendFileSync, closeSync, openSync, readFileSync } from "node:fs";

import { DOCS, EVENT_TYPES, createTarget, gql } from "./helpers.mjs";
import { now, sleep, startReceiver } from "./receiver.mjs";

const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name} (test_crash.sh does)`);
  return v;
};
const BIN = need("HOOKD_BIN");
const DATA = need("HOOKD_DATA_DIR");
const API_KEY = need("HOOKD_API_KEY");
const LOG = need("HOOKD_LOG_FILE");
const PID_FILE = need("HOOKD_PID_FILE");
const KILLS = Number(process.env.HOOKD_CRASH_KILLS ?? 3);
const WORKERS = Number(process.env.HOOKD_CRASH_WORKERS ?? 8);
const DRAIN_MS = Number(process.env.HOOKD_CRASH_DRAIN_MS ?? 45_000);
// The kill comes after a random number of answered upserts in the phase (or after
// PHASE_MAX_MS): under load, at an unpredictable moment, and with a bounded total.
const PHASE_ACKS = [150, 900];
const PHASE_MAX_MS = 4000;
const TAIL_ACKS = 200; // after the last restart, before the load stops
const PATH = "/crash/hook";

const log = (msg) => console.log(`crash: ${msg}`);
const rand = ([min, max]) => min + Math.floor(Math.random() * (max - min));

// ---- hookd ----------------------------------------------------------------------

let server = null; // { child, port, exited: Promise }
let startedAt = 0; // times are shown from here

async function healthy(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(1000),
    });
    return res.status === 200;
  } catch {
    return false;
  }
}

function logSize() {
  try {
    return readFileSync(LOG).length;
  } catch {
    return 0;
  }
}

// Starts hookd on `preferredPort` if given (a restart keeps its address), else or when that
// is taken on a random one. Resolves once /healthz answers.
async function startHookd(preferredPort) {
  for (let attempt = 0; attempt < 8; attempt++) {
    const random = 20000 + Math.floor(Math.random() * 40000);
    const port = attempt === 0 && preferredPort ? preferredPort : random;
    const logFrom = logSize();
    const fd = openSync(LOG, "a");
    const child = spawn(BIN, ["serve", "--data-dir", DATA, "--listen", `127.0.0.1:${port}`], {
      env: {
        ...process.env,
        HOOKD_ALLOW_PRIVATE_TARGETS: "1",
      },
      stdio: ["ignore", "ignore", fd],
    });
    closeSync(fd);
    appendFileSync(PID_FILE, `${child.pid}\n`);
    const exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => resolve({ code, signal }));
    });
    let gone = false;
    exited.then(() => (gone = true));
    const deadline = now() + 10_000;
    while (!gone && now() < deadline) {
      if (await healthy(port)) {
        server = { child, port, exited };
        return server;
      }
      await sleep(25);
    }
    child.kill("SIGKILL");
    await exited;
    const tail = readFileSync(LOG).subarray(logFrom).toString();
    if (!tail.includes("Address already in use")) {
      throw new Error(`hookd serve did not start on port ${port}:\n${tail.slice(-2000)}`);
    }
  }
  throw new Error("hookd serve found no free port");
}

process.on("exit", () => {
  if (server && server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill("SIGKILL");
  }
});

const ws = { apiKey: API_KEY, get url() { return `http://127.0.0.1:${server.port}/graphql/v1`; } };

// ---- load -----------------------------------------------------------------------

const acked = []; // { email, id }: answered CREATED
const unanswered = []; // { email }: no answer (hookd died or was down): committed or not
let phaseAcks = 0;
let stopLoad = false;
let serial = 0;
const tag = Date.now().toString(36);

async function worker(w) {
  while (!stopLoad) {
    const email = `crash.${tag}.${w}.${++serial}@example.com`;
    const input = {
      identifier: { emailAddress: email },
      onCreate: { fullName: `Crash ${serial}`, email: { email, isVerified: false } },
      onUpdate: {},
    };
    try {
      const data = await gql(ws, DOCS.upsert, { input }, { timeoutMs: 5000 });
      const out = data.upsertCustomer;
      if (out.error || out.result !== "CREATED") {
        throw new Error(`upsertCustomer answered ${JSON.stringify(out)}`);
      }
      acked.push({ email, id: out.customer.id });
      phaseAcks++;
    } catch (e) {
      if (/answered|GraphQL request failed/.test(e.message) && !/HTTP 5/.test(e.message)) throw e;
      unanswered.push({ email, error: e.cause?.code ?? e.message.slice(0, 80) });
      await sleep(20);
    }
  }
}

// ---- the receiver's view ------------------------------------------------------------

function deliveriesByEvent(receiver) {
  const byEvent = new Map(); // event id -> [record]
  for (const r of receiver.requestsTo(PATH)) {
    const id = r.json?.id;
    if (!id) continue;
    if (!byEvent.has(id)) byEvent.set(id, []);
    byEvent.get(id).push(r);
  }
  return byEvent;
}

async function listCustomers() {
  const ids = new Set();
  let after = null;
  let totalCount = null;
  for (let page = 0; page < 10_000; page++) {
    const data = await gql(ws, DOCS.customers, { first: 100, after });
    const c = data.customers;
    totalCount = c.totalCount;
    for (const e of c.edges) ids.add(e.node.id);
    if (!c.pageInfo.hasNextPage) break;
    after = c.pageInfo.endCursor;
  }
  if (ids.size !== totalCount) {
    throw new Error(`listed ${ids.size} customers, totalCount ${totalCount}`);
  }
  return ids;
}

// ---- the run ----------------------------------------------------------------------

async function main() {
  startedAt = now();
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const receiver = await startReceiver();
  receiver.route(PATH, { delayMs: [0, 15], status: 200 });
  await startHookd();
  const target = await createTarget(ws, { url: receiver.url(PATH), types: [EVENT_TYPES.created] });
  log(`hookd on port ${server.port}, target ${target.id}, ${WORKERS} workers, ${KILLS} kills`);

  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
  const failed = Promise.all(workers).then(
    () => null,
    (e) => e,
  );
  const kills = []; // { at (SIGKILL sent), exitedAt, respawnAt }
  for (let k = 1; k <= KILLS; k++) {
    phaseAcks = 0;
    const want = rand(PHASE_ACKS);
    const until = now() + PHASE_MAX_MS;
    while (phaseAcks < want && now() < until) await sleep(5);
    if (phaseAcks === 0) throw new Error(`no upsert was answered in phase ${k}: no load`);
    const inFlight = receiver.requestsTo(PATH).filter((r) => r.endedAt === undefined).length;
    const at = now(); // SIGKILL sent
    server.child.kill("SIGKILL");
    const { signal } = await server.exited;
    const exitedAt = now(); // the old process is gone (what it sent may still arrive)
    log(
      `kill ${k}: ${signal} after ${phaseAcks} upserts in the phase, ` +
        `${inFlight} deliveries at the receiver`,
    );
    await sleep(rand([50, 300]));
    const respawnAt = now(); // the new process starts delivering after this
    await startHookd(server.port);
    kills.push({ at, exitedAt, respawnAt });
  }
  phaseAcks = 0;
  const until = now() + PHASE_MAX_MS;
  while (phaseAcks < TAIL_ACKS && now() < until) await sleep(5);
  stopLoad = true;
  const loadError = await failed;
  if (loadError) throw loadError;

  const committed = await listCustomers();
  const missing = acked.filter((a) => !committed.has(a.id));
  log(
    `load: ${acked.length} upserts answered CREATED, ${unanswered.length} unanswered; ` +
      `${committed.size} customers exist`,
  );

  // Drain: every committed customer's customer_created reaches the receiver.
  const customerOf = (r) => r.json?.payload?.customer?.id;
  const delivered = () => {
    const ids = new Set();
    for (const r of receiver.requestsTo(PATH)) if (r.endedAt !== undefined) ids.add(customerOf(r));
    return ids;
  };
  const drainFrom = now();
  const drainUntil = drainFrom + DRAIN_MS;
  let got = delivered();
  while ([...committed].some((id) => !got.has(id)) && now() < drainUntil) {
    await sleep(100);
    got = delivered();
  }
  const drainedIn = now();
  await sleep(1000); // late repeats show up now

  // Figures.
  const byEvent = deliveriesByEvent(receiver);
  const eventsOfCustomer = new Map();
  let arrivals = 0;
  const wrongType = [];
  for (const [id, recs] of byEvent) {
    arrivals += recs.length;
    const r = recs[0];
    if (r.json.type !== EVENT_TYPES.created) wrongType.push(`${id} ${r.json.type}`);
    const c = customerOf(r);
    if (!eventsOfCustomer.has(c)) eventsOfCustomer.set(c, new Set());
    eventsOfCustomer.get(c).add(id);
  }
  const deliveredCount = [...committed].filter((id) => eventsOfCustomer.has(id)).length;
  const lost = committed.size - deliveredCount;
  const phantoms = [...eventsOfCustomer.keys()].filter((c) => !committed.has(c));
  const doubleEvents = [...eventsOfCustomer].filter(([, ids]) => ids.size > 1).map(([c]) => c);
  const duplicates = arrivals - byEvent.size;

  // Each repeat must straddle a kill: the earlier arrival before it, the repeat after.
  const unexplained = [];
  const repeats = [];
  const at = (t) => (t === undefined ? "-" : `+${(t - startedAt).toFixed(1)} ms`);
  const killTimes = kills
    .map((k) => `SIGKILL ${at(k.at)}, gone ${at(k.exitedAt)}, restart ${at(k.respawnAt)}`)
    .join("; ");
  for (const [id, recs] of byEvent) {
    recs.sort((a, b) => a.arrivedAt - b.arrivedAt);
    for (let i = 1; i < recs.length; i++) {
      const prev = recs[i - 1];
      const next = recs[i];
      // The earlier attempt was made by a process that got killed (it arrived before the
      // next one started), the repeat by a later one (after the killed one was gone).
      const kill = kills.find((k) => prev.arrivedAt < k.respawnAt && next.arrivedAt > k.exitedAt);
      const attempt = (r) =>
        `#${r.headers["plain-webhook-delivery-attempt-number"]} ` +
        `(${r.headers["plain-webhook-delivery-attempt-id"]}, at ${at(r.arrivedAt)}, ` +
        `answered ${r.answered} at ${at(r.endedAt)})`;
      const desc = `${id} attempt ${attempt(prev)} then ${attempt(next)}`;
      const number = (r) => Number(r.headers["plain-webhook-delivery-attempt-number"]);
      const why =
        number(next) === number(prev) + 1
          ? `a retry, so hookd counted attempt #${number(prev)} as failed`
          : "no kill between them";
      if (!kill) unexplained.push(`${desc}: ${why} (kills: ${killTimes})`);
      else repeats.push({ desc, before: kill.at - prev.arrivedAt });
    }
    const killsSpanned = kills.filter((k) => recs[0].arrivedAt < k.respawnAt).length;
    if (recs.length > 1 + killsSpanned) unexplained.push(`${id}: ${recs.length} arrivals`);
  }
  if (repeats.length) {
    const worst = Math.max(...repeats.map((r) => r.before));
    const latest = Math.min(...repeats.map((r) => r.before));
    log(
      `repeats: ${repeats.length}, their first arrivals from ${worst.toFixed(0)} ms before ` +
        `to ${(-latest).toFixed(0)} ms after the SIGKILL`,
    );
  }

  const problems = [];
  if (lost > 0) {
    const lostIds = [...committed].filter((id) => !eventsOfCustomer.has(id));
    problems.push(`${lost} committed customer(s) never delivered, e.g. ${lostIds.slice(0, 5)}`);
  }
  if (missing.length) {
    const e = JSON.stringify(missing.slice(0, 3));
    problems.push(`${missing.length} upsert(s) answered CREATED are not committed, e.g. ${e}`);
  }
  if (phantoms.length) {
    problems.push(`events of customers that do not exist: ${phantoms.slice(0, 5)}`);
  }
  if (doubleEvents.length) {
    problems.push(`customer(s) with two customer_created events: ${doubleEvents.slice(0, 5)}`);
  }
  if (wrongType.length) problems.push(`unexpected event types: ${wrongType.slice(0, 5)}`);
  if (unexplained.length) {
    problems.push(`duplicates not explained by a kill: ${unexplained.slice(0, 5).join("; ")}`);
  }
  if (acked.length === 0) problems.push("the load committed nothing");

  // Where an attempt's time goes: from its timestamp (hookd starts it) to its arrival here,
  // and from its arrival to our answer (this process's event loop included).
  const stats = (xs) => {
    const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
    const q = (f) => (v.length ? v[Math.min(v.length - 1, Math.floor(f * v.length))] : NaN);
    return `p50 ${q(0.5).toFixed(0)}, p99 ${q(0.99).toFixed(0)}, max ${q(1).toFixed(0)} ms`;
  };
  const recs = receiver.requestsTo(PATH);
  const stamp = (r) => Date.parse(r.headers["plain-webhook-delivery-attempt-timestamp"]);
  log(`attempt start -> arrival: ${stats(recs.map((r) => r.arrivedAt - stamp(r)))}`);
  log(`arrival -> answer: ${stats(recs.map((r) => r.endedAt - r.arrivedAt))}`);
  log(`event loop delay here: max ${(lag.max / 1e6).toFixed(0)} ms`);
  const drainS = ((drainedIn - drainFrom) / 1000).toFixed(1);
  log(`drain: ${drainS} s after the load stopped; ${arrivals} arrivals for ${byEvent.size} events`);
  console.log(
    `crash: committed ${committed.size} delivered ${deliveredCount} lost ${lost} ` +
      `duplicates ${duplicates}`,
  );
  for (const p of problems) console.log(`FAIL ${p}`);

  server.child.kill("SIGTERM");
  const stopped = await Promise.race([server.exited, sleep(10_000).then(() => null)]);
  if (!stopped) server.child.kill("SIGKILL");
  await receiver.close();
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`FAIL crash test: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
