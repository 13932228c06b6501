// receivers.mjs - receivers that fail in every way, driven by test_faults_receivers.sh.
//
// One `hookd serve` (retry schedule HOOKD_RETRY_SCHEDULE, per-attempt timeout
// HOOKD_DELIVERY_TIMEOUT, CA file HOOKD_TLS_CA_FILE = the test CA), two workspaces, one
// webhook target per scenario, each subscribed to customer_created; EVENTS customers are
// created in each workspace, so every target gets EVENTS events. Scenarios: every class of
// final status (2xx success; 3xx, 4xx, 5xx failures), 1xx interim answers before the final
// one, connection refused (for ever, and until the receiver comes up), slow (longer than
// the timeout: for ever, and for two attempts), headers then a stalled body, flapping
// (every other attempt, and 50% at random), the connection closed mid-response (in the
// headers, right after them, in the body), and bad TLS (self-signed, wrong host name,
// expired; a good certificate as the control).
//
// The oracle, per event and target: hookd's final state (hookdWebhookDeliveries) must
// follow from what the receiver answered — SUCCEEDED with attemptCount = the number of the
// first 2xx attempt and nothing after it; otherwise FAILED after exactly every attempt of
// the schedule — with each recorded attempt's status code as answered, an error for every
// failure, and each retry not before its delay (from hookd's attempt records). Each
// scenario states what it must come to (e.g. delivered on attempt 3), so a wrong reading of
// a status fails the test. Lost = events neither delivered nor failed after the whole
// schedule (stuck or missing); must be 0. Duplicates = 2xx answers beyond the first.
//
// Env: HOOKD_BIN, HOOKD_DATA_DIR, HOOKD_WORKSPACES ('[{"workspaceId":..,"apiKey":..},..]'),
// HOOKD_LOG_FILE, HOOKD_PID_FILE, HOOKD_TEST_CERTS (dir: server, selfsigned, wronghost,
// expired .pem/.key), HOOKD_RETRY_SCHEDULE, HOOKD_DELIVERY_TIMEOUT.

import { readFileSync } from "node:fs";
import { join } from "node:path";

import { EVENT_TYPES, createCustomer, createTarget, gql, parseDuration, parseSchedule } from "../helpers.mjs";
import { freePort, now, sleep, startReceiver, waitFor } from "../receiver.mjs";
import { allOk, need, reliability, startHookd, summary } from "./common.mjs";

const WORKSPACES = JSON.parse(need("HOOKD_WORKSPACES"));
const CERTS = need("HOOKD_TEST_CERTS");
const SCHEDULE = parseSchedule(need("HOOKD_RETRY_SCHEDULE"));
const TIMEOUT_MS = parseDuration(need("HOOKD_DELIVERY_TIMEOUT"));
const ATTEMPTS = SCHEDULE.length + 1;
const EVENTS = 3;
const EARLY_MS = 10; // hookd rounds to milliseconds
const LATE_MS = 1500; // a retry may come this much after its delay on a busy machine
const pem = (name) => readFileSync(join(CERTS, name));
const log = (msg) => console.log(`receivers: ${msg}`);

// ---- scenarios ---------------------------------------------------------------------------

// Answers with `status` (and `headers`), after 1xx interim answers when `interim` is given.
const answer = (status, { interim = [], headers = {} } = {}) => (rec, res) => {
  for (const code of interim) {
    if (code === 102) res.writeProcessing();
    else if (code === 103) res.writeEarlyHints({ link: "</style.css>; rel=preload; as=style" });
  }
  rec.answered = status;
  res.writeHead(status, { "content-type": "text/plain", ...headers });
  res.end(status >= 300 && status < 400 ? "" : `status ${status}`);
};

// Writes raw bytes, then destroys the connection: a response cut short.
const cut = (bytes) => async (rec, res) => {
  rec.answered = "cut";
  res.socket.write(bytes);
  await sleep(20);
  res.socket.destroy();
};

const slow = (ms) => async (rec, res) => {
  const closed = new Promise((resolve) => res.on("close", resolve));
  await Promise.race([sleep(ms), closed]);
  if (!res.destroyed) answer(200)(rec, res);
};

// Status line and headers now, the body never: hookd's timeout must end it as a failure.
const stall = async (rec, res) => {
  rec.answered = "stalled";
  res.socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nok");
  const closed = new Promise((resolve) => res.on("close", resolve));
  await Promise.race([sleep(TIMEOUT_MS * 3), closed]);
  res.socket.destroy();
};

// A deterministic coin (mulberry32), so a failing run can be replayed from its seed.
const SEED = Number(process.env.HOOKD_FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
function coin(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 < 0.5;
  };
}
const flip = coin(SEED);

// kind: http (requests reach the receiver), tls (the handshake fails: connections only),
// refused (nothing listens). expect: "delivered" with `on` (the attempt that succeeds),
// or "failed". status: the status code hookd must record for attempts that got an answer.
const status = (code, extra = {}) => ({
  name: `HTTP ${code}`,
  kind: "http",
  handler: answer(code, extra),
  expect: code >= 200 && code <= 299 ? "delivered" : "failed",
  on: 1,
  status: code,
});
const SCENARIOS = [
  ...[200, 201, 202, 204].map((c) => status(c)),
  { ...status(200, { interim: [102] }), name: "102 Processing, then 200" },
  { ...status(500, { interim: [103] }), name: "103 Early Hints, then 500" },
  ...[301, 302, 303, 307, 308].map((c) =>
    status(c, { headers: { location: "http://127.0.0.1:9/elsewhere" } })),
  ...[400, 401, 403, 404, 410].map((c) => status(c)),
  { ...status(429, { headers: { "retry-after": "0" } }), name: "HTTP 429 (Retry-After: 0)" },
  ...[500, 502, 503, 504].map((c) => status(c)),
  { name: "refused (nothing listens)", kind: "refused", expect: "failed", error: /refused/i },
  { name: "refused, then up after 250 ms", kind: "refused-then-up", expect: "delivered" },
  {
    name: `slow (${TIMEOUT_MS * 2} ms, timeout ${TIMEOUT_MS} ms)`,
    kind: "http",
    handler: slow(TIMEOUT_MS * 2),
    expect: "failed",
    error: /time/i,
    hangs: true,
  },
  {
    name: "slow for 2 attempts, then healthy",
    kind: "http",
    handler: (rec, res) =>
      (Number(rec.headers["plain-webhook-delivery-attempt-number"]) <= 2
        ? slow(TIMEOUT_MS * 2)
        : answer(200))(rec, res),
    expect: "delivered",
    on: 3,
    error: /time/i,
    hangs: true,
  },
  {
    name: "200 headers, then the body stalls",
    kind: "http",
    handler: stall,
    expect: "failed",
    error: /time/i,
    hangs: true,
  },
  {
    name: "flapping: every other attempt fails (503)",
    kind: "http",
    handler: (rec, res) =>
      answer(Number(rec.headers["plain-webhook-delivery-attempt-number"]) % 2 ? 503 : 200)(rec, res),
    expect: "delivered",
    on: 2,
  },
  {
    name: "flapping: 50% at random (500)",
    kind: "http",
    handler: (rec, res) => answer(flip() ? 500 : 200)(rec, res),
    expect: "either",
  },
  {
    name: "closed in the headers",
    kind: "http",
    handler: cut("HTTP/1.1 200 OK\r\nContent-Type: text/pl"),
    expect: "failed",
    error: /incomplete|closed|empty|recv|partial/i,
  },
  {
    name: "closed right after the headers",
    kind: "http",
    handler: cut("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n"),
    expect: "failed",
    error: /incomplete|closed|partial/i,
  },
  {
    name: "closed in the body",
    kind: "http",
    handler: cut("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n{\"part"),
    expect: "failed",
    error: /incomplete|closed|partial/i,
  },
  { name: "TLS, certificate from the CA (control)", kind: "tls", cert: "server", expect: "delivered", on: 1, status: 200 },
  { name: "TLS, self-signed certificate", kind: "tls", cert: "selfsigned", expect: "failed", error: /self.signed/i },
  { name: "TLS, wrong host name", kind: "tls", cert: "wronghost", expect: "failed", error: /subject name|host name/i },
  { name: "TLS, expired certificate", kind: "tls", cert: "expired", expect: "failed", error: /expired/i },
];

// ---- the run --------------------------------------------------------------------------------

const DELIVERIES = `query d($t: ID!) {
  hookdWebhookDeliveries(webhookTargetId: $t, first: 100) {
    edges { node { eventId status attemptCount
      attempts { number startedAt { unixTimestamp } durationMs statusCode error } } } } }`;
const RESEND = `mutation r($input: HookdResendFailedWebhookDeliveriesInput!) {
  hookdResendFailedWebhookDeliveries(input: $input) { count error { message code } } }`;

async function deliveries(sc) {
  const data = await gql(sc.ws, DELIVERIES, { t: sc.target.id });
  return data.hookdWebhookDeliveries.edges.map((e) => e.node);
}

const show = (x) => JSON.stringify(x);

// Checks one scenario; returns { figures, problems }.
async function check(sc, events) {
  const problems = [];
  const rows = await deliveries(sc);
  const byEvent = new Map(rows.map((r) => [r.eventId, r]));
  let delivered = 0;
  let failed = 0;
  let duplicates = 0;
  const attemptsPer = [];
  for (const ev of events) {
    const row = byEvent.get(ev);
    const recs = sc.receiver
      ? sc.receiver.requestsTo(sc.path).filter((r) => r.headers["plain-event-id"] === ev)
      : [];
    const ok2xx = recs.filter((r) => typeof r.answered === "number" && r.answered >= 200 && r.answered < 300);
    if (ok2xx.length) delivered++;
    duplicates += Math.max(0, ok2xx.length - 1);
    if (!row) {
      problems.push(`${ev}: no delivery row`);
      continue;
    }
    attemptsPer.push(row.attemptCount);
    const numbers = row.attempts.map((a) => a.number);
    const expectedNumbers = Array.from({ length: row.attemptCount }, (_, i) => i + 1);
    if (show(numbers) !== show(expectedNumbers)) {
      problems.push(`${ev}: attempts recorded ${show(numbers)}, attemptCount ${row.attemptCount}`);
    }
    // What the receiver saw decides the state.
    if (sc.kind === "http" || sc.kind === "refused-then-up" || sc.cert === "server") {
      const first2xx = ok2xx.length ? Math.min(...ok2xx.map((r) => Number(r.headers["plain-webhook-delivery-attempt-number"]))) : 0;
      const seen = recs.map((r) => Number(r.headers["plain-webhook-delivery-attempt-number"]));
      if (first2xx) {
        if (row.status !== "SUCCEEDED" || row.attemptCount !== first2xx) {
          problems.push(`${ev}: the receiver answered 2xx to attempt ${first2xx}; hookd says ${row.status} after ${row.attemptCount}`);
        }
        if (seen.some((n) => n > first2xx)) problems.push(`${ev}: attempts after the success: ${show(seen)}`);
      } else if (row.status !== "FAILED" || row.attemptCount !== ATTEMPTS) {
        problems.push(`${ev}: no 2xx answered; hookd says ${row.status} after ${row.attemptCount} (want FAILED after ${ATTEMPTS})`);
      }
      if (sc.kind === "http" && show([...seen].sort((a, b) => a - b)) !== show(expectedNumbers)) {
        problems.push(`${ev}: the receiver saw attempts ${show(seen)}, hookd recorded ${row.attemptCount}`);
      }
    }
    if (sc.expect === "delivered") {
      if (row.status !== "SUCCEEDED") problems.push(`${ev}: ${row.status}, want SUCCEEDED`);
      if (sc.on && row.attemptCount !== sc.on) problems.push(`${ev}: delivered on attempt ${row.attemptCount}, want ${sc.on}`);
    } else if (sc.expect === "failed") {
      if (row.status !== "FAILED" || row.attemptCount !== ATTEMPTS) {
        problems.push(`${ev}: ${row.status} after ${row.attemptCount}, want FAILED after ${ATTEMPTS}`);
      }
    }
    if (row.status === "FAILED") failed++;
    for (const a of row.attempts) {
      const last = a.number === row.attemptCount && row.status === "SUCCEEDED";
      if (last) {
        if (sc.status && a.statusCode !== sc.status) problems.push(`${ev}: success recorded with status ${a.statusCode}`);
        if (a.error) problems.push(`${ev}: success recorded with error ${a.error}`);
        continue;
      }
      if (!a.error) problems.push(`${ev}: failed attempt ${a.number} has no error`);
      if (sc.expect === "failed" && sc.status && a.statusCode !== sc.status) {
        problems.push(`${ev}: attempt ${a.number} recorded status ${a.statusCode}, answered ${sc.status}`);
      }
      if (sc.error && !sc.error.test(a.error ?? "")) {
        problems.push(`${ev}: attempt ${a.number} error ${show(a.error)} does not match ${sc.error}`);
      }
    }
    // Each retry starts its delay after the previous attempt ended. A target that
    // does not answer gets one attempt at a time until it does (a hanging target
    // holds one slot, issue 14), so its deliveries take turns: a retry may also wait
    // for the other deliveries' attempts to it, each cut at the timeout.
    const turns = sc.hangs ? (EVENTS - 1) * TIMEOUT_MS : 0;
    for (let i = 0; i + 1 < row.attempts.length; i++) {
      const a = row.attempts[i];
      const b = row.attempts[i + 1];
      const gap = Number(b.startedAt.unixTimestamp) - (Number(a.startedAt.unixTimestamp) + a.durationMs);
      const delay = SCHEDULE[a.number - 1];
      if (gap < delay - EARLY_MS || gap > delay + turns + LATE_MS) {
        problems.push(`${ev}: attempt ${b.number} came ${gap} ms after attempt ${a.number}; schedule ${delay} ms`);
      }
    }
  }
  if (sc.kind === "tls" && sc.cert !== "server") {
    // Every attempt is one failed handshake; no request gets through.
    const conns = sc.receiver.connections;
    if (sc.receiver.requests.length) problems.push(`a request got through: ${sc.receiver.requests.length}`);
    // (With a wrong host name the server may see the handshake complete before the
    // client checks the name and hangs up, so only the count is checked.)
    const want = EVENTS * ATTEMPTS;
    if (conns.length !== want) {
      problems.push(`${conns.length} connections, want ${want}: one per attempt`);
    }
  }
  const errors = [...new Set(rows.flatMap((r) => r.attempts.map((a) => a.error).filter(Boolean)))];
  if (errors.length) log(`${sc.name}: hookd recorded ${errors.slice(0, 2).map((e) => show(e)).join(", ")}`);
  const finalOk = delivered + failed;
  const lost = events.length - finalOk;
  if (delivered + failed !== events.length) problems.push(`${lost} event(s) neither delivered nor failed`);
  if (sc.expect === "delivered" && delivered !== events.length) problems.push(`delivered ${delivered} of ${events.length}`);
  if (duplicates) problems.push(`${duplicates} duplicate 2xx deliveries`);
  return {
    figures: {
      committed: events.length,
      delivered,
      failed,
      lost,
      duplicates,
      attempts_per_event: attemptsPer.join(","),
      schedule_attempts: ATTEMPTS,
    },
    problems,
  };
}

async function main() {
  log(`schedule ${SCHEDULE.join(",")} ms (${ATTEMPTS} attempts), timeout ${TIMEOUT_MS} ms, seed ${SEED}`);
  const server = await startHookd();
  const wsList = WORKSPACES.map((w) => ({ ...w, url: `http://127.0.0.1:${server.port}/graphql/v1` }));
  const closers = [];
  const hr = await startReceiver();
  closers.push(hr);
  const tlsReceivers = {};
  for (const cert of ["server", "selfsigned", "wronghost", "expired"]) {
    tlsReceivers[cert] = await startReceiver({ tls: { cert: pem(`${cert}.pem`), key: pem(`${cert}.key`) } });
    closers.push(tlsReceivers[cert]);
  }
  const perWs = Math.ceil(SCENARIOS.length / wsList.length);
  if (perWs > 25) throw new Error("more than 25 targets per workspace: add a workspace");
  for (const [i, sc] of SCENARIOS.entries()) {
    sc.ws = wsList[Math.floor(i / perWs)];
    sc.path = `/faults/${i}`;
    let url;
    if (sc.kind === "http") {
      sc.receiver = hr;
      hr.route(sc.path, { handler: sc.handler });
      url = hr.url(sc.path);
    } else if (sc.kind === "tls") {
      sc.receiver = tlsReceivers[sc.cert];
      sc.receiver.route(sc.path, { status: 200 });
      url = sc.receiver.url(sc.path);
    } else {
      sc.port = await freePort();
      url = `http://127.0.0.1:${sc.port}${sc.path}`;
    }
    sc.target = await createTarget(sc.ws, { url, types: [EVENT_TYPES.created] });
  }
  // The events: EVENTS customers in each workspace, one customer_created event each.
  const eventsOf = new Map(wsList.map((w) => [w, []]));
  const createdAt = now();
  for (let n = 0; n < EVENTS; n++) for (const w of wsList) await createCustomer(w);
  const late = SCENARIOS.filter((sc) => sc.kind === "refused-then-up");
  await sleep(Math.max(0, createdAt + 250 - now()));
  for (const sc of late) {
    sc.receiver = await startReceiver({ port: sc.port });
    closers.push(sc.receiver);
    sc.receiver.route(sc.path, { status: 200 });
  }
  // Until every delivery is final (none pending), bounded.
  const bound = ATTEMPTS * (TIMEOUT_MS * 1.5 + 1000) + SCHEDULE.reduce((a, b) => a + b, 0) + 20_000;
  let pending = [];
  try {
    await waitFor(
      async () => {
        pending = [];
        for (const sc of SCENARIOS) {
          const rows = await deliveries(sc);
          if (rows.length < EVENTS || rows.some((r) => r.status === "PENDING")) pending.push(sc.name);
        }
        return pending.length === 0;
      },
      { timeoutMs: bound, what: "every delivery final" },
    );
  } catch {
    log(`still pending after ${bound} ms: ${pending.join("; ")}`);
  }
  const settled = ((now() - createdAt) / 1000).toFixed(1);
  await sleep(1500); // anything after the final state would show up now
  // Event ids: the control target's deliveries name them.
  for (const w of wsList) {
    const control = SCENARIOS.find((sc) => sc.ws === w);
    eventsOf.set(w, (await deliveries(control)).map((r) => r.eventId));
  }
  const problems = [];
  for (const sc of SCENARIOS) {
    const events = eventsOf.get(sc.ws);
    const { figures, problems: p } = await check(sc, events);
    if (events.length !== EVENTS) p.push(`${events.length} events, want ${EVENTS}`);
    reliability("faults", `receiver ${sc.name}`, figures, p.length === 0);
    for (const x of p.slice(0, 6)) problems.push(`${sc.name}: ${x}`);
  }
  log(`every delivery final ${settled} s after the first event`);

  // Failed deliveries are kept, not lost: once the receiver is healthy, re-sending them
  // (hookdResendFailedWebhookDeliveries) brings every one.
  const sc = SCENARIOS.find((s) => s.name === "HTTP 503");
  hr.route(sc.path, { status: 200 });
  const out = (await gql(sc.ws, RESEND, {
    input: { webhookTargetId: sc.target.id, since: "1970-01-01T00:00:00.000Z" },
  })).hookdResendFailedWebhookDeliveries;
  const events = eventsOf.get(sc.ws);
  const ok200 = () =>
    new Set(hr.requestsTo(sc.path).filter((r) => r.answered === 200).map((r) => r.headers["plain-event-id"]));
  try {
    await waitFor(() => events.every((e) => ok200().has(e)), { timeoutMs: 15_000, what: "re-sent deliveries" });
  } catch {
    // counted below
  }
  await sleep(500);
  const rows = await deliveries(sc);
  const resentDelivered = events.filter((e) => ok200().has(e)).length;
  const dup = hr.requestsTo(sc.path).filter((r) => r.answered === 200).length - ok200().size;
  const resendOk = out.error === null && out.count === EVENTS && resentDelivered === EVENTS &&
    rows.every((r) => r.status === "SUCCEEDED") && dup === 0;
  if (!resendOk) problems.push(`resend: ${show(out)}, delivered ${resentDelivered}, ${show(rows.map((r) => r.status))}`);
  reliability("faults", "receiver HTTP 503 until failed, then re-sent to a healthy receiver", {
    committed: EVENTS, delivered: resentDelivered, lost: EVENTS - resentDelivered, duplicates: dup,
    resent: out.count,
  }, resendOk);

  for (const p of problems) console.log(`FAIL ${p}`);
  summary();
  server.child.kill("SIGTERM");
  await Promise.race([server.exited, sleep(10_000)]);
  for (const r of closers) await r.close();
  return allOk() ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`FAIL receivers fault test: ${e?.stack ?? e}`);
    process.exit(1);
  },
);
