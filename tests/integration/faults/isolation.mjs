// isolation.mjs - delivery isolation (issue 14): a healthy webhook target keeps its
// commit->receive latency while, in the same run, another target of its workspace answers
// in 2 s and 50 targets across two other workspaces accept the request and never answer
// (each attempt cut at the delivery timeout).
//
// One `hookd serve`; workspaces from HOOKD_WORKSPACES (three: A, B, C). A has the healthy
// target H and the slow one S; B and C have 25 hanging targets each. First B and C commit
// HANG_EVENTS customer changes each (25 deliveries each, that hang), then A commits
// EVENTS changes over 8 connections. The latency of each of H's deliveries is its arrival
// at the receiver minus the event's commit time (the body's `timestamp`, taken in the
// committing transaction). With ISOLATION_BAD=0 the bad targets are left out (the control).
//
// Checked: every event reaches H once; H's p99 under P99_LIMIT_MS (1000 x the time scale);
// S never has more than the per-target limit (8) of requests open at once, and a hanging
// target never more than one. Prints one RELIABILITY line with the figures; with
// ISOLATION_BENCH=1 it prints one BENCH line instead and checks nothing.
//
// Env: HOOKD_BIN, HOOKD_DATA_DIR, HOOKD_LOG_FILE, HOOKD_PID_FILE, HOOKD_WORKSPACES,
// HOOKD_TEST_TIME_SCALE (default 1), ISOLATION_BAD (1), ISOLATION_EVENTS (300),
// ISOLATION_HANG_EVENTS (40), ISOLATION_BENCH (0).

import { createCustomer, createTarget, gql } from "../helpers.mjs";
import { now, sleep, startReceiver, waitFor } from "../receiver.mjs";
import { allOk, need, reliability, startHookd, summary } from "./common.mjs";

const WORKSPACES = JSON.parse(need("HOOKD_WORKSPACES"));
const SCALE = Number(process.env.HOOKD_TEST_TIME_SCALE ?? 1);
const BAD = process.env.ISOLATION_BAD !== "0";
const EVENTS = Number(process.env.ISOLATION_EVENTS ?? 300);
const HANG_EVENTS = Number(process.env.ISOLATION_HANG_EVENTS ?? 40);
const BENCH = process.env.ISOLATION_BENCH === "1";
const P99_LIMIT_MS = 1000 * SCALE;
const SLOW_MS = 2000;
const HANGING_PER_WS = 25;
const PER_TARGET_LIMIT = 8;
const CREATED = "customer.customer_created";

const log = (...a) => console.log("isolation:", ...a);

// The most requests to `path` that were open at one time.
function maxConcurrent(recs) {
  const edges = [];
  for (const r of recs) {
    edges.push([r.arrivedAt, 1]);
    edges.push([r.endedAt ?? Infinity, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of edges) {
    open += d;
    most = Math.max(most, open);
  }
  return most;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

// n upserts into ws over `conns` concurrent connections.
async function burst(ws, n, tag, conns = 8) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await createCustomer(ws, { email: `${tag}${i}.${process.pid}@example.com` });
    }
  };
  await Promise.all(Array.from({ length: conns }, worker));
}

async function main() {
  const server = await startHookd();
  const url = `http://127.0.0.1:${server.port}/graphql/v1`;
  const [A, B, C] = WORKSPACES.map((w) => ({ ...w, url }));
  const rx = await startReceiver();
  rx.route("/healthy", { status: 200 });
  rx.route("/slow", { delayMs: [SLOW_MS, SLOW_MS], status: 200 });
  const hanging = [];
  for (const ws of [B, C]) {
    for (let i = 0; i < HANGING_PER_WS && BAD; i++) {
      const path = `/hang/${ws === B ? "b" : "c"}${i}`;
      rx.route(path, { handler: () => {} }); // takes the request, never answers
      hanging.push(path);
      await createTarget(ws, { url: rx.url(path), types: [CREATED] });
    }
  }
  await createTarget(A, { url: rx.url("/healthy"), types: [CREATED] });
  if (BAD) await createTarget(A, { url: rx.url("/slow"), types: [CREATED] });

  const t0 = now();
  if (BAD) await Promise.all([burst(B, HANG_EVENTS, "b"), burst(C, HANG_EVENTS, "c")]);
  await burst(A, EVENTS, "a");
  const committed = now() - t0;
  await waitFor(() => rx.requestsTo("/healthy").length >= EVENTS, {
    timeoutMs: 60_000 * SCALE,
    what: `${EVENTS} deliveries to the healthy target`,
    state: () => `${rx.requestsTo("/healthy").length} arrived`,
  });
  const took = now() - t0;
  const healthy = rx.requestsTo("/healthy");
  const latencies = healthy
    .map((r) => r.arrivedAt - Date.parse(r.json?.timestamp ?? ""))
    .sort((a, b) => a - b);
  const ids = new Set(healthy.map((r) => r.headers["plain-event-id"]));
  const slow = rx.requestsTo("/slow");
  const hangMax = Math.max(0, ...hanging.map((p) => maxConcurrent(rx.requestsTo(p))));
  const hangRequests = hanging.reduce((n, p) => n + rx.requestsTo(p).length, 0);
  const figures = {
    events: EVENTS,
    received: healthy.length,
    distinct: ids.size,
    p50_ms: quantile(latencies, 0.5).toFixed(1),
    p99_ms: quantile(latencies, 0.99).toFixed(1),
    max_ms: latencies.at(-1).toFixed(1),
    commit_s: (committed / 1000).toFixed(2),
    all_received_s: (took / 1000).toFixed(2),
  };
  if (BAD) {
    Object.assign(figures, {
      slow_received: slow.length,
      slow_max_open: maxConcurrent(slow),
      hanging_targets: hanging.length,
      hanging_requests: hangRequests,
      hanging_max_open: hangMax,
    });
  }
  if (BENCH) {
    console.log(`BENCH|${BAD ? "bad" : "control"}|${JSON.stringify(figures)}`);
  } else {
    const problems = [];
    if (healthy.length !== EVENTS || ids.size !== EVENTS) {
      problems.push(`${healthy.length} requests, ${ids.size} distinct events, want ${EVENTS}`);
    }
    if (quantile(latencies, 0.99) >= P99_LIMIT_MS) {
      problems.push(`p99 ${figures.p99_ms} ms >= ${P99_LIMIT_MS} ms`);
    }
    if (BAD && maxConcurrent(slow) > PER_TARGET_LIMIT) {
      problems.push(`the slow target had ${maxConcurrent(slow)} requests open at once`);
    }
    if (BAD && hangMax > 1) problems.push(`a hanging target had ${hangMax} requests open at once`);
    if (BAD && hangRequests === 0) problems.push("no hanging target got a request");
    for (const p of problems) log(`FAIL ${p}`);
    reliability(
      "faults",
      BAD
        ? "isolation: a healthy target beside one answering in 2 s and 50 hanging (5 s timeout)"
        : "isolation: a healthy target alone (control)",
      figures,
      problems.length === 0,
    );
  }
  // The hanging requests would hold the receiver open: cut them before stopping.
  await rx.close();
  server.child.kill("SIGTERM");
  await Promise.race([server.exited, sleep(15_000)]);
  if (!BENCH) summary();
  process.exit(BENCH || allOk() ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
