// attack.mjs - attacks on hookd's HTTP front door (issue 15), over loopback only.
//
// A library (test_security_front_door.sh drives it through front_door.mjs) and a command:
//
//   node attack.mjs ATTACK --port PORT --pid PID [--key KEY] [--log FILE] [--OPTION VALUE...]
//
// prints one JSON object of figures. PID is hookd's, for its resident memory
// (/proc/PID/status); KEY an API key, for the attacks that need one; FILE hookd's log.
// The attacks (their options and defaults in ATTACKS below):
//
//   unauth-bodies  CLIENTS connections each send POST /graphql/v1 without Authorization and
//                  a body of BYTES (declared, all but its last byte sent), held open HOLD ms;
//                  figures: hookd's RSS before, at the peak and after they closed, answers
//                  seen, and /healthz latency from a fresh client meanwhile.
//   slowloris      CLIENTS connections each send one header byte every INTERVAL ms for
//                  DURATION ms; figures: /healthz from a fresh client every second (answered,
//                  worst latency), how many of the connections hookd closed.
//   smuggle        three ambiguous framings (two Content-Lengths, Content-Length with
//                  Transfer-Encoding: chunked, "Content-Length : N"), each followed by a
//                  GET /metrics; figures per case: the statuses read, whether the metrics
//                  page came back, whether hookd closed the connection.
//   early-413      ROUNDS times: an authenticated POST of BYTES sent without waiting for the
//                  answer; figures: 413s read, resets.
//   headers        NUL in the Authorization value, two Authorization headers,
//                  Transfer-Encoding: gzip, chunked, a 20 KB chunk extension, Expect with a
//                  chunked body...: status and time to the answer (or close) for each.
//   aborts         CLIENTS connections each send half a request (with KEY, so that its body
//                  is being read) and reset; figures: lines hookd logged for them.
//   variables      CONCURRENT authenticated requests at once, each with ITEMS items in a
//                  list variable; figures: statuses, hookd's RSS before, at the peak and
//                  SETTLE ms after.
//   burst          CONCURRENT authenticated requests at once, ROUNDS times, each with a
//                  BYTES string variable (legitimate and large); hookd's RSS before, at the
//                  peak and SETTLE ms after: is the memory given back?
//
// Every socket is to 127.0.0.1.

import { readFileSync, statSync } from "node:fs";
import net from "node:net";
import { performance } from "node:perf_hooks";
import tls from "node:tls";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

// hookd's resident set in MiB (0 when it is gone).
export function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

// One raw exchange: connects (over TLS with `secure`, the certificate not verified), writes
// `data` (a Buffer or string, or an array of them written in turn), and reads until the peer
// closes or `timeoutMs` passes, or `until(text)` holds.
// -> { text (latin1), closed (by the peer: FIN or reset), reset, ms (to the close or the
// `until`), error }.
export function exchange(port, data, { timeoutMs = 5000, until = null, endAfter = false, secure = false } = {}) {
  return new Promise((resolve) => {
    const t0 = now();
    const s = secure
      ? tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false })
      : net.connect({ host: "127.0.0.1", port });
    const chunks = [];
    let done = false;
    let reset = false;
    let error = null;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      s.destroy();
      resolve({ text, closed, reset, ms: Math.round(now() - t0), error });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.on(secure ? "secureConnect" : "connect", () => {
      for (const d of [].concat(data)) s.write(d);
      if (endAfter) s.end();
    });
    s.on("data", (c) => {
      chunks.push(c);
      if (until && until(Buffer.concat(chunks).toString("latin1"))) finish(false);
    });
    s.on("error", (e) => {
      error = e.code ?? e.message;
      if (e.code === "ECONNRESET" || e.code === "EPIPE") reset = true;
      finish(true);
    });
    s.on("end", () => finish(true));
    s.on("close", () => finish(true));
  });
}

// The status codes of every response in `text` (a stream of HTTP/1.1 responses).
export const statuses = (text) => [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));

// GET /healthz from a fresh connection: { status (0: none), ms }.
export async function healthz(port, timeoutMs = 2000) {
  const r = await exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {
    timeoutMs,
    until: (t) => t.includes("\r\n\r\n"),
  });
  const st = statuses(r.text);
  return { status: st[0] ?? 0, ms: r.ms };
}

// Probes /healthz every `everyMs` until stop() is called: { probes, answered, worstMs, stop }.
export function healthzProbe(port, { everyMs = 1000, timeoutMs = 2000 } = {}) {
  const figures = { probes: 0, answered: 0, worstMs: 0, latencies: [] };
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = now();
      const h = await healthz(port, timeoutMs);
      figures.probes++;
      if (h.status === 200) figures.answered++;
      const ms = h.status === 200 ? h.ms : timeoutMs;
      figures.latencies.push(ms);
      figures.worstMs = Math.max(figures.worstMs, ms);
      const left = everyMs - (now() - started);
      if (left > 0 && running) await sleep(left);
    }
  })();
  figures.stop = async () => {
    running = false;
    await loop;
    delete figures.stop;
    const sorted = [...figures.latencies].sort((a, b) => a - b);
    figures.medianMs = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
    delete figures.latencies;
    return figures;
  };
  return figures;
}

// Opens `n` sockets (a few at a time, so that the listen queue keeps up); each gets
// `onConnect(socket, i)`. -> the sockets, each with .closedByPeer / .gotData kept up to date.
export async function openMany(port, n, onConnect, { batch = 200 } = {}) {
  const sockets = [];
  for (let i = 0; i < n; i += batch) {
    const group = [];
    for (let j = i; j < Math.min(n, i + batch); j++) {
      group.push(
        new Promise((resolve) => {
          const s = net.connect({ host: "127.0.0.1", port });
          s.closedByPeer = false;
          s.gotData = 0;
          s.answer = "";
          s.setNoDelay(true);
          s.on("error", () => {});
          s.on("data", (c) => {
            s.gotData += c.length;
            if (s.answer.length < 64) s.answer += c.toString("latin1");
          });
          s.on("end", () => (s.closedByPeer = true));
          s.on("close", () => (s.closedByPeer = true));
          const t = setTimeout(() => resolve(s), 3000);
          s.on("connect", () => {
            clearTimeout(t);
            onConnect(s, j);
            resolve(s);
          });
        }),
      );
    }
    sockets.push(...(await Promise.all(group)));
  }
  return sockets;
}

export const closeAll = async (sockets) => {
  for (const s of sockets) s.destroy();
  await sleep(50);
};

// ---- the attacks ---------------------------------------------------------------------------

export async function unauthBodies({ port, pid, clients = 1000, bytes = 1 << 20, hold = 3000 }) {
  const rssBefore = rssMiB(pid);
  const body = Buffer.alloc(bytes - 1, 0x20);
  const head = `POST /graphql/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\n\r\n`;
  const probe = healthzProbe(port, { everyMs: 500 });
  const t0 = now();
  const sockets = await openMany(port, clients, (s) => {
    s.write(head);
    s.write(body);
  }, { batch: 100 });
  let peak = rssMiB(pid);
  const until = now() + hold;
  while (now() < until) {
    await sleep(100);
    peak = Math.max(peak, rssMiB(pid));
  }
  const answered = sockets.filter((s) => s.gotData > 0).length;
  const statuses401 = sockets.filter((s) => s.answer.startsWith("HTTP/1.1 401")).length;
  const closedByHookd = sockets.filter((s) => s.closedByPeer).length;
  const during = await probe.stop();
  await closeAll(sockets);
  await sleep(2000);
  return {
    clients, bytes, rss_before_mib: rssBefore, rss_peak_mib: peak, rss_after_mib: rssMiB(pid),
    answered, answered_401: statuses401, closed_by_hookd: closedByHookd,
    healthz_probes: during.probes, healthz_answered: during.answered,
    healthz_worst_ms: during.worstMs, seconds: Math.round((now() - t0) / 100) / 10,
  };
}

// `head`: the request line goes at once, then the headers a byte at a time (the header
// deadline's case); otherwise the request line too goes a byte at a time.
export async function slowloris({ port, pid, clients = 10100, interval = 10000, duration = 50000, head = 0, probeEvery = 1000 }) {
  const first = "POST /graphql/v1 HTTP/1.1\r\n";
  const line = first + "Host: x\r\nX-Slow: " + "a".repeat(10000);
  const t0 = now();
  const sockets = await openMany(port, clients, (s) => {
    s.sent = head ? first.length + 1 : 1;
    s.write(line.slice(0, s.sent));
    s.on("close", () => (s.closedAt ??= now() - t0));
  });
  const opened = now() - t0;
  const probe = healthzProbe(port, { everyMs: probeEvery, timeoutMs: 2000 });
  const until = now() + duration;
  const rssPeak = { v: rssMiB(pid) };
  while (now() < until) {
    const tick = now();
    for (const s of sockets) {
      if (!s.closedByPeer && s.sent < line.length) s.write(line[s.sent++]);
    }
    rssPeak.v = Math.max(rssPeak.v, rssMiB(pid));
    const left = Math.min(interval, until - now()) - (now() - tick);
    if (left > 0) await sleep(left);
  }
  const during = await probe.stop();
  const closed = sockets.filter((s) => s.closedByPeer);
  const lastClose = Math.round(Math.max(0, ...closed.map((s) => s.closedAt ?? 0)));
  await closeAll(sockets);
  return {
    clients, interval_ms: interval, duration_ms: duration, open_ms: Math.round(opened),
    healthz_probes: during.probes, healthz_answered: during.answered,
    healthz_worst_ms: during.worstMs, healthz_median_ms: during.medianMs,
    closed_by_hookd: closed.length, last_closed_ms: lastClose, rss_peak_mib: rssPeak.v,
  };
}

const METRICS = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

export async function smuggle({ port }) {
  const post = "POST /graphql/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  const cases = {
    // First one wins: the body is empty and the GET is a second request; the last one wins:
    // the GET is the body.
    two_content_lengths: `${post}Content-Length: 0\r\nContent-Length: ${METRICS.length}\r\n\r\n${METRICS}`,
    // Chunked wins: an empty body, then the GET; the length wins: the GET is the body.
    length_and_chunked: `${post}Content-Length: ${5 + METRICS.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${METRICS}`,
    // A space before the colon: a server that does not see the length reads no body.
    space_before_colon: `${post}Content-Length : ${METRICS.length}\r\n\r\n${METRICS}`,
  };
  const out = {};
  for (const [name, bytes] of Object.entries(cases)) {
    const r = await exchange(port, bytes, { timeoutMs: 3000 });
    out[name] = {
      statuses: statuses(r.text),
      metrics_served: r.text.includes("hookd_build_info"),
      closed: r.closed,
      ms: r.ms,
    };
  }
  return out;
}

export async function early413({ port, key, rounds = 20, bytes = 8 << 20, secure = false }) {
  const body = Buffer.alloc(bytes, 0x20);
  let got413 = 0;
  let resets = 0;
  let other = 0;
  for (let i = 0; i < rounds; i++) {
    const head = `POST /graphql/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\n\r\n`;
    const r = await exchange(port, [head, body], { timeoutMs: 10000, secure });
    const st = statuses(r.text);
    if (st[0] === 413) got413++;
    else if (r.reset || st.length === 0) resets++;
    else other++;
  }
  return { rounds, bytes, answered_413: got413, reset_or_nothing: resets, other };
}

export async function headerCases({ port, key, wait = 5000, secure = false }) {
  const q = '{"query":"{ myWorkspace { id } }"}';
  const req = (extra, body = q) =>
    `POST /graphql/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;
  const cases = {
    nul_in_authorization: req(`Authorization: Bearer ${key}\0junk\r\n`),
    two_authorizations: req(`Authorization: Bearer ${key}\r\nAuthorization: Bearer junk\r\n`),
    gzip_chunked: `POST /graphql/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    chunk_extension_20kb: `POST /graphql/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nTransfer-Encoding: chunked\r\n\r\n${q.length.toString(16)};ext=${"x".repeat(20000)}\r\n${q}\r\n0\r\n\r\n`,
    chunked: `POST /graphql/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nTransfer-Encoding: chunked\r\n\r\n${q.length.toString(16)}\r\n${q}\r\n0\r\n\r\n`,
    no_length: `POST /graphql/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`,
    nul_in_url: `GET /healthz\0junk HTTP/1.1\r\nHost: x\r\n\r\n`,
    nul_in_name: req(`X-A\0b: c\r\nAuthorization: Bearer ${key}\r\n`),
    folded_header: req(`Authorization: Bearer ${key}\r\nX-Folded: a\r\n b\r\n`),
    space_in_name: req(`Authorization: Bearer ${key}\r\nX-A b: c\r\n`),
    two_hosts: req(`Authorization: Bearer ${key}\r\nHost: y\r\n`),
    control: req(`Authorization: Bearer ${key}\r\nConnection: close\r\n`),
  };
  const out = {};
  for (const [name, bytes] of Object.entries(cases)) {
    // Read until hookd closes (it must after a framing error), or `wait` passes.
    const r = await exchange(port, bytes, { timeoutMs: wait, secure });
    out[name] = { status: statuses(r.text)[0] ?? 0, ms: r.ms, closed: r.closed, reset: r.reset };
  }
  return out;
}

// Lines in the log file from byte `from` on.
export function logLinesSince(file, from) {
  try {
    return readFileSync(file).subarray(from).toString("utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}
export const logSize = (file) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

export async function aborts({ port, log, key, clients = 200 }) {
  const from = logSize(log);
  const auth = key ? `Authorization: Bearer ${key}\r\n` : "";
  const sockets = await openMany(port, clients, (s) => {
    s.write(`POST /graphql/v1 HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 100\r\n\r\n{"query":`);
  });
  await sleep(300);
  for (const s of sockets) s.resetAndDestroy();
  await sleep(1000);
  const lines = logLinesSince(log, from);
  return {
    clients,
    log_lines: lines.length,
    warn_lines: lines.filter((l) => / WARN |"level":"warn"/.test(l)).length,
    sample: lines.slice(0, 3),
  };
}

export async function variables({ port, pid, key, concurrent = 8, items = 100000, item = "1", rounds = 1, settle = 3000 }) {
  const list = new Array(items).fill(JSON.parse(item));
  const body = JSON.stringify({
    query: "query q($ids: [ID!]) { customers(first: 1, filters: { customerGroupIds: $ids }) { totalCount } }",
    variables: { ids: list },
  });
  const head = `POST /graphql/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  const rssBefore = rssMiB(pid);
  let peak = rssBefore;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, rssMiB(pid));
      await sleep(20);
    }
  })();
  const t0 = now();
  let results = [];
  for (let r = 0; r < rounds; r++) {
    results = await Promise.all(
      Array.from({ length: concurrent }, () => exchange(port, [head, body], { timeoutMs: 30000 })),
    );
  }
  const ms = Math.round(now() - t0);
  sampling = false;
  await sampler;
  const codes = results.map((r) => statuses(r.text)[0] ?? 0);
  const sample = results[0].text.split("\r\n\r\n")[1]?.slice(0, 200) ?? "";
  await sleep(settle);
  return {
    concurrent, items, body_bytes: Buffer.byteLength(body), statuses: codes, ms,
    rss_before_mib: rssBefore, rss_peak_mib: peak, rss_after_mib: rssMiB(pid), sample,
  };
}

// CONCURRENT authenticated requests at once, each with a string variable of BYTES (a
// burst of legitimate, large requests): hookd's RSS before, at the peak, SETTLE ms after.
export async function burst({ port, pid, key, concurrent = 48, bytes = 1000000, rounds = 2, settle = 3000 }) {
  const body = JSON.stringify({ query: "{ myWorkspace { id } }", variables: { pad: "x".repeat(bytes) } });
  const head = `POST /graphql/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  const rssBefore = rssMiB(pid);
  let peak = rssBefore;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, rssMiB(pid));
      await sleep(20);
    }
  })();
  const codes = [];
  for (let r = 0; r < rounds; r++) {
    const results = await Promise.all(
      Array.from({ length: concurrent }, () => exchange(port, [head, body], { timeoutMs: 30000 })),
    );
    codes.push(...results.map((x) => statuses(x.text)[0] ?? 0));
  }
  sampling = false;
  await sampler;
  await sleep(settle);
  return {
    concurrent, bytes, rounds, answered_200: codes.filter((c) => c === 200).length,
    other: codes.filter((c) => c !== 200), rss_before_mib: rssBefore, rss_peak_mib: peak,
    rss_after_mib: rssMiB(pid),
  };
}

export const ATTACKS = {
  "unauth-bodies": [unauthBodies, { clients: 1000, bytes: 1 << 20, hold: 3000 }],
  slowloris: [slowloris, { clients: 10100, interval: 10000, duration: 50000, head: 0, probeEvery: 1000 }],
  smuggle: [smuggle, {}],
  "early-413": [early413, { rounds: 20, bytes: 8 << 20 }],
  headers: [headerCases, { wait: 5000 }],
  aborts: [aborts, { clients: 200 }],
  variables: [variables, { concurrent: 8, items: 100000, item: "1", rounds: 1, settle: 3000 }],
  burst: [burst, { concurrent: 48, bytes: 1000000, rounds: 2, settle: 3000 }],
};

// ---- the command --------------------------------------------------------------------------

async function main(argv) {
  const [name, ...rest] = argv;
  if (!ATTACKS[name]) {
    console.error(`usage: node attack.mjs {${Object.keys(ATTACKS).join("|")}} --port P --pid PID [--key K] [--log F] [--OPTION N]`);
    process.exit(2);
  }
  const [fn, defaults] = ATTACKS[name];
  const opts = { ...defaults };
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i].replace(/^--/, "");
    const v = rest[i + 1];
    opts[k] = /^\d+$/.test(v) ? Number(v) : v;
  }
  console.log(JSON.stringify(await fn(opts), null, 1));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
