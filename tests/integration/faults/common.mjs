// common.mjs - what the fault tests (test_faults_*.sh) share: starting and killing
// `hookd serve`, the operator's view of deliveries (hookdWebhookDeliveries), and the
// RELIABILITY lines the docs/RELIABILITY.md generator collects:
//   RELIABILITY|faults|<case>|committed=N delivered=N lost=0 duplicates=N ...|ok
//
// Env read here: HOOKD_BIN, HOOKD_DATA_DIR or HOOKD_DATABASE_URL (PostgreSQL: hookd reads it
// itself), HOOKD_LOG_FILE (hookd's stderr, appended), HOOKD_PID_FILE (every hookd pid started,
// one a line, for the script's EXIT trap).

import { spawn } from "node:child_process";
import { appendFileSync, closeSync, openSync, readFileSync } from "node:fs";
import https from "node:https";

import { gql } from "../helpers.mjs";
import { now, sleep } from "../receiver.mjs";

export const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name} (the test_faults_*.sh script does)`);
  return v;
};

// ---- RELIABILITY lines ---------------------------------------------------------------

const results = [];

// figures: { committed, delivered, lost, duplicates, ... } in that order; ok: boolean.
export function reliability(suite, description, figures, ok) {
  const text = Object.entries(figures)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  console.log(`RELIABILITY|${suite}|${description}|${text}|${ok ? "ok" : "FAIL"}`);
  results.push(ok);
}

// The closing "N passed, N failed" of the integration tests.
export function summary() {
  const passed = results.filter(Boolean).length;
  console.log(`${passed} passed, ${results.length - passed} failed`);
}

export const allOk = () => results.length > 0 && results.every(Boolean);

// ---- hookd ----------------------------------------------------------------------------

// Over HTTPS (a test certificate: not verified) when `tls`.
function healthyTls(port) {
  return new Promise((resolve) => {
    const req = https.get({ host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, timeout: 1000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

async function healthy(port, tls = false) {
  if (tls) return healthyTls(port);
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(1000),
    });
    return res.status === 200;
  } catch {
    return false;
  }
}

function logSize(log) {
  try {
    return readFileSync(log).length;
  } catch {
    return 0;
  }
}

// A running `hookd serve`: { child, port, pid, exited (Promise of { code, signal }) }.
// `extraEnv` is added to the environment; `preferredPort` is tried first (a restart keeps
// its address), then random ports while the address is taken; `bin` replaces HOOKD_BIN;
// `tls`: it serves HTTPS (extraEnv names the certificate), checked without verifying it.
export async function startHookd({ extraEnv = {}, preferredPort, data, log, pidFile, bin, tls = false } = {}) {
  const BIN = bin ?? need("HOOKD_BIN");
  const pg = !data && process.env.HOOKD_DATABASE_URL;
  if (!pg) data ??= need("HOOKD_DATA_DIR");
  const store = pg ? [] : ["--data-dir", data];
  log ??= need("HOOKD_LOG_FILE");
  pidFile ??= need("HOOKD_PID_FILE");
  for (let attempt = 0; attempt < 8; attempt++) {
    const random = 20000 + Math.floor(Math.random() * 40000);
    const port = attempt === 0 && preferredPort ? preferredPort : random;
    const logFrom = logSize(log);
    const fd = openSync(log, "a");
    const child = spawn(BIN, ["serve", ...store, "--listen", `127.0.0.1:${port}`], {
      env: { ...process.env, HOOKD_ALLOW_PRIVATE_TARGETS: "1", ...extraEnv },
      stdio: ["ignore", "ignore", fd],
    });
    closeSync(fd);
    appendFileSync(pidFile, `${child.pid}\n`);
    const exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => resolve({ code, signal }));
    });
    let gone = false;
    exited.then(() => (gone = true));
    const deadline = now() + 15_000;
    while (!gone && now() < deadline) {
      if (await healthy(port, tls)) {
        const server = { child, port, pid: child.pid, exited, alive: () => !gone };
        running.add(server);
        exited.then(() => running.delete(server));
        return server;
      }
      await sleep(20);
    }
    child.kill("SIGKILL");
    await exited;
    const tail = readFileSync(log).subarray(logFrom).toString();
    if (!tail.includes("Address already in use")) {
      throw new Error(`hookd serve did not start on port ${port}:\n${tail.slice(-2000)}`);
    }
  }
  throw new Error("hookd serve found no free port");
}

const running = new Set();
process.on("exit", () => {
  for (const s of running) s.child.kill("SIGKILL");
});

export async function killHookd(server, signal = "SIGKILL") {
  server.child.kill(signal);
  const r = await Promise.race([server.exited, sleep(10_000).then(() => null)]);
  if (!r) {
    server.child.kill("SIGKILL");
    return server.exited;
  }
  return r;
}

export const isHealthy = healthy;

// ---- the operator's view ----------------------------------------------------------------

const DELIVERIES = `query d($t: ID!, $after: String) {
  hookdWebhookDeliveries(webhookTargetId: $t, first: 100, after: $after) {
    edges { node { eventId eventType status attemptCount
      attempts { number statusCode error } } }
    pageInfo { hasNextPage endCursor } } }`;

// Every delivery of a target: Map eventId -> { status, attemptCount, attempts[] }.
export async function deliveriesOf(ws, targetId) {
  const out = new Map();
  let after = null;
  for (let page = 0; page < 1000; page++) {
    const data = await gql(ws, DELIVERIES, { t: targetId, after });
    const c = data.hookdWebhookDeliveries;
    for (const { node } of c.edges) out.set(node.eventId, node);
    if (!c.pageInfo.hasNextPage) break;
    after = c.pageInfo.endCursor;
  }
  return out;
}

export const eventIdOf = (rec) => rec.headers["plain-event-id"];
export const attemptOf = (rec) => Number(rec.headers["plain-webhook-delivery-attempt-number"]);
