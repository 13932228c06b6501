// front_door.mjs - the attacks of issue 15 on hookd's HTTP front door, each a case with
// concrete bounds, driven by test_security_front_door.sh. One RELIABILITY line per case:
//   RELIABILITY|security|front door: <case>|<figures>|ok
// The figures are the ones docs/RELIABILITY.md tabulates: hookd's resident memory (RSS,
// /proc/PID/status), /healthz latency from a fresh client while the attack runs, statuses,
// connections hookd closed. Bounds are generous (a loaded 2-core machine, ASan) but each
// fails by a wide margin on a hookd without the defence it checks (the "before" figures in
// docs/RELIABILITY.md and the commits).
//
// Env: HOOKD_BIN, HOOKD_DATA_DIR, HOOKD_API_KEY, HOOKD_LOG_FILE, HOOKD_PID_FILE,
// HOOKD_SMALL_FDS_BIN (hookd with 640 descriptors), HOOKD_TEST_TIME_SCALE, HOOKD_ASAN (1:
// hookd runs under AddressSanitizer, whose quarantine keeps freed memory: the "memory given
// back" bound is reported, not asserted), HOOKD_FRONT_DOOR_CASES (a regular expression:
// only the cases it matches).

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";

import { allOk, killHookd, need, reliability, startHookd, summary } from "../faults/common.mjs";
import {
  aborts, burst, closeAll, early413, exchange, headerCases, healthz, logLinesSince, logSize,
  openMany, rssMiB, sleep, slowloris, smuggle, statuses, unauthBodies, variables,
} from "./attack.mjs";

const KEY = need("HOOKD_API_KEY");
const LOG = need("HOOKD_LOG_FILE");
const SCALE = Math.max(1, Number(process.env.HOOKD_TEST_TIME_SCALE || 1));
const ASAN = process.env.HOOKD_ASAN === "1";
const ONLY = new RegExp(process.env.HOOKD_FRONT_DOOR_CASES || ".");
const log = (msg) => console.log(`front door: ${msg}`);

// Runs `fn(server)` against a fresh hookd started with `env`; stops it with SIGTERM after.
async function withHookd(env, fn, { bin, tls } = {}) {
  const server = await startHookd({ extraEnv: env, bin, tls });
  try {
    return await fn(server);
  } finally {
    const r = await killHookd(server, "SIGTERM");
    if (r?.code !== 0) log(`hookd exited with ${JSON.stringify(r)}`);
  }
}

// A sample of /metrics: a series' value (NaN when absent).
async function metric(port, series) {
  const r = await exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { timeoutMs: 5000 });
  const line = r.text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : NaN;
}

// One case: runs it, prints its line, and a note of what failed.
async function check(name, run) {
  if (!ONLY.test(name)) return;
  let figures;
  let problems;
  try {
    [figures, problems] = await run();
  } catch (e) {
    figures = { error: JSON.stringify(String(e.message ?? e)).slice(0, 200) };
    problems = [String(e.stack ?? e)];
  }
  reliability("security", `front door: ${name}`, figures, problems.length === 0);
  for (const p of problems) log(`${name}: ${p}`);
}

// expect(problems, condition, what): notes `what` when the condition does not hold.
const expect = (problems, ok, what) => {
  if (!ok) problems.push(what);
};

const POST = (key, len) =>
  `POST /graphql/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
  `Content-Type: application/json\r\nContent-Length: ${len}\r\n\r\n`;

async function main() {
  // 1,000 in the issue; 200 here keep the case short, and 200 MiB held would be the failure.
  await check("unauthenticated 1 MiB bodies held open (no body buffered, 401 at once)", () =>
    withHookd({}, async (s) => {
      const clients = 200;
      const f = await unauthBodies({ port: s.port, pid: s.pid, clients, bytes: 1 << 20, hold: 2000 });
      const refused = await metric(s.port, 'hookd_http_refused_total{reason="unauthenticated"}');
      const p = [];
      expect(p, f.answered_401 === clients, `${f.answered_401} of ${clients} answered 401`);
      expect(p, f.closed_by_hookd === clients, `${f.closed_by_hookd} of ${clients} closed by hookd`);
      expect(p, f.rss_peak_mib - f.rss_before_mib < 40, `RSS grew ${f.rss_peak_mib - f.rss_before_mib} MiB`);
      expect(p, f.healthz_answered === f.healthz_probes, `/healthz ${f.healthz_answered} of ${f.healthz_probes}`);
      expect(p, f.healthz_worst_ms < 1000 * SCALE, `/healthz worst ${f.healthz_worst_ms} ms`);
      expect(p, refused === clients, `hookd_http_refused_total{unauthenticated} ${refused}`);
      return [{
        clients, body_mib: 1, rss_before_mib: f.rss_before_mib, rss_peak_mib: f.rss_peak_mib,
        rss_after_mib: f.rss_after_mib, answered_401: f.answered_401, closed_by_hookd: f.closed_by_hookd,
        healthz_answered: `${f.healthz_answered}/${f.healthz_probes}`, healthz_worst_ms: f.healthz_worst_ms,
      }, p];
    }));

  // The budget: 4 MiB of bodies at once (an environment variable), 1 MiB each: 3 fit.
  await check("buffered-body budget (4 MiB, 10 authenticated 1 MiB bodies held open)", () =>
    withHookd({ HOOKD_MAX_BUFFERED_BODY_BYTES: String(4 << 20) }, async (s) => {
      const clients = 10;
      const body = Buffer.alloc((1 << 20) - 1, 0x20);
      const sockets = await openMany(s.port, clients, (sock) => {
        sock.write(POST(KEY, 1 << 20));
        sock.write(body); // all but its last byte: held
      });
      await sleep(1000 * SCALE);
      const answered503 = sockets.filter((x) => x.answer.startsWith("HTTP/1.1 503")).length;
      const waiting = sockets.filter((x) => x.gotData === 0).length;
      const held = await metric(s.port, "hookd_http_body_bytes");
      const budget = await metric(s.port, "hookd_http_body_budget_bytes");
      const busy = await metric(s.port, 'hookd_http_refused_total{reason="busy"}');
      // The held ones finish: answered (400, the body is spaces), and the budget is free again.
      for (const x of sockets) if (x.gotData === 0) x.write(" ");
      await sleep(500 * SCALE);
      const finished = sockets.filter((x) => x.answer.startsWith("HTTP/1.1 400")).length;
      await closeAll(sockets);
      const q = '{"query":"{ myWorkspace { id } }"}';
      const after = statuses((await exchange(s.port, POST(KEY, q.length) + q, { timeoutMs: 5000, until: (t) => t.includes("\r\n\r\n") })).text)[0];
      const heldAfter = await metric(s.port, "hookd_http_body_bytes");
      const p = [];
      expect(p, budget === 4 << 20, `budget ${budget}`);
      expect(p, waiting === 3 && held === 3 * ((1 << 20) + 1), `${waiting} held (${held} bytes)`);
      expect(p, answered503 === clients - 3 && busy === clients - 3, `${answered503} answered 503 (counted ${busy})`);
      expect(p, finished === 3 && after === 200 && heldAfter === 0, `then ${finished} finished, next request ${after}, ${heldAfter} bytes held`);
      return [{ clients, budget_mib: 4, held: waiting, held_bytes: held, answered_503: answered503, next_request: after, held_after: heldAfter }, p];
    }));

  await check("buffered-body budget from the config file and the flag's checks", async () => {
    const p = [];
    const conf = `${need("HOOKD_DATA_DIR")}.conf`;
    writeFileSync(conf, "# issue 15\nmax-buffered-body-bytes = 2097152\n");
    const budget = await withHookd({ HOOKD_CONFIG: conf }, (s) => metric(s.port, "hookd_http_body_budget_bytes"));
    expect(p, budget === 2097152, `config file: budget ${budget}`);
    // Less than the largest body is a usage error (exit 2), from the flag or the environment.
    const serve = (args, env = {}) =>
      spawnSync(need("HOOKD_BIN"), ["serve", "--data-dir", need("HOOKD_DATA_DIR"), "--listen", "127.0.0.1:1", ...args],
        { env: { ...process.env, ...env }, encoding: "utf8", timeout: 10000 });
    const small = serve(["--max-body-bytes", "2000", "--max-buffered-body-bytes", "1999"]);
    const bad = serve([], { HOOKD_MAX_BUFFERED_BODY_BYTES: "64M" });
    expect(p, small.status === 2 && /largest body \(2000\)/.test(small.stderr), `a budget under the body cap: ${small.status} ${small.stderr}`);
    expect(p, bad.status === 2 && /HOOKD_MAX_BUFFERED_BODY_BYTES/.test(bad.stderr), `HOOKD_MAX_BUFFERED_BODY_BYTES=64M: ${bad.status} ${bad.stderr}`);
    const timeout = serve(["--header-timeout", "50ms"]);
    expect(p, timeout.status === 2, `--header-timeout 50ms: ${timeout.status}`);
    return [{ config_file_budget: budget, under_body_cap_exit: small.status, unparsable_exit: bad.status, header_timeout_50ms_exit: timeout.status }, p];
  });

  // 10,100 sockets and 50 s in the issue; here hookd has 640 descriptors (128 connections)
  // and a 2 s header deadline, and 400 sockets send their headers a byte every 500 ms.
  await check("slow headers: 400 sockets, a header byte every 500 ms, 128 connections at most", () =>
    withHookd({ HOOKD_HEADER_TIMEOUT: "2s" }, async (s) => {
      const clients = 400;
      const f = await slowloris({
        port: s.port, pid: s.pid, clients, interval: 500, duration: 6000 * SCALE, head: 1, probeEvery: 250,
      });
      const cutDeadline = await metric(s.port, 'hookd_http_connections_cut_total{reason="deadline"}');
      const cutLimit = await metric(s.port, 'hookd_http_connections_cut_total{reason="limit"}');
      const p = [];
      expect(p, f.healthz_answered === f.healthz_probes, `/healthz ${f.healthz_answered} of ${f.healthz_probes}`);
      expect(p, f.healthz_worst_ms < 1000 * SCALE, `/healthz worst ${f.healthz_worst_ms} ms`);
      expect(p, f.closed_by_hookd === clients, `${f.closed_by_hookd} of ${clients} closed by hookd`);
      expect(p, cutDeadline + cutLimit >= clients, `cut: ${cutDeadline} at the deadline, ${cutLimit} at the limit`);
      return [{
        clients, byte_every_ms: 500, header_timeout_s: 2, max_connections: 128,
        healthz_answered: `${f.healthz_answered}/${f.healthz_probes}`, healthz_worst_ms: f.healthz_worst_ms,
        healthz_median_ms: f.healthz_median_ms, closed_by_hookd: f.closed_by_hookd,
        cut_deadline: cutDeadline, cut_limit: cutLimit,
      }, p];
    }, { bin: need("HOOKD_SMALL_FDS_BIN") }));

  await check("smuggling: two Content-Lengths, Content-Length with chunked, 'Content-Length :'", () =>
    withHookd({}, async (s) => {
      const f = await smuggle({ port: s.port });
      const p = [];
      for (const [name, r] of Object.entries(f)) {
        expect(p, r.statuses.length === 1 && r.statuses[0] === 400, `${name}: statuses ${r.statuses}`);
        expect(p, !r.metrics_served, `${name}: the smuggled GET /metrics was answered`);
        expect(p, r.closed && r.ms < 1000 * SCALE, `${name}: closed ${r.closed} after ${r.ms} ms`);
      }
      const fig = {};
      for (const [name, r] of Object.entries(f)) fig[name] = `${r.statuses.join("+") || "none"}${r.closed ? "/closed" : ""}`;
      return [{ ...fig, smuggled_answered: Object.values(f).filter((r) => r.metrics_served).length }, p];
    }));

  await check("an 8 MiB body sent without waiting for the answer: 413 read, no reset", () =>
    withHookd({}, async (s) => {
      const rounds = 10;
      const f = await early413({ port: s.port, key: KEY, rounds, bytes: 8 << 20 });
      const p = [];
      expect(p, f.answered_413 === rounds, `${f.answered_413} of ${rounds} read their 413; ${f.reset_or_nothing} resets`);
      return [{ rounds, answered_413: f.answered_413, resets: f.reset_or_nothing }, p];
    }));

  await check("NUL, duplicate and folded headers, transfer codings, a 20 KB chunk extension", () =>
    withHookd({}, async (s) => {
      const f = await headerCases({ port: s.port, key: KEY, wait: 5000 * SCALE });
      const want = {
        nul_in_authorization: 400, two_authorizations: 400, gzip_chunked: 501,
        chunk_extension_20kb: 411, chunked: 411, no_length: 411, nul_in_url: 400, nul_in_name: 400,
        folded_header: 400, space_in_name: 400, two_hosts: 400, control: 200,
      };
      const p = [];
      const fig = {};
      for (const [name, status] of Object.entries(want)) {
        const r = f[name];
        fig[name] = r.status;
        expect(p, r.status === status, `${name}: ${r.status}, wanted ${status}`);
        expect(p, r.closed && !r.reset && r.ms < 1000 * SCALE, `${name}: closed ${r.closed}, reset ${r.reset}, ${r.ms} ms`);
      }
      return [fig, p];
    }));

  // The same checks over HTTPS, where libmicrohttpd parses what GnuTLS decrypted.
  const cert = process.env.HOOKD_TEST_CERT;
  if (cert) {
    await check("over HTTPS: NUL and duplicate headers, chunked, an 8 MiB body's 413", () =>
      withHookd({ HOOKD_HTTPS_CERT: cert, HOOKD_HTTPS_KEY: need("HOOKD_TEST_CERT_KEY") }, async (s) => {
        const f = await headerCases({ port: s.port, key: KEY, wait: 5000 * SCALE, secure: true });
        const e = await early413({ port: s.port, key: KEY, rounds: 3, bytes: 8 << 20, secure: true });
        const want = { nul_in_authorization: 400, two_authorizations: 400, chunked: 411, space_in_name: 400, control: 200 };
        const p = [];
        const fig = {};
        for (const [name, status] of Object.entries(want)) {
          fig[name] = f[name].status;
          expect(p, f[name].status === status && f[name].closed, `${name}: ${f[name].status} (closed ${f[name].closed})`);
        }
        expect(p, e.answered_413 === 3, `${e.answered_413} of 3 read their 413 (${e.reset_or_nothing} resets)`);
        return [{ ...fig, answered_413: `${e.answered_413}/3` }, p];
      }, { tls: true }));

    // The first client of a fresh server, so that the log gate has not held its line back.
    await check("over HTTPS: plain HTTP sent to the port is logged in an operator's words", () =>
      withHookd({ HOOKD_HTTPS_CERT: cert, HOOKD_HTTPS_KEY: need("HOOKD_TEST_CERT_KEY") }, async (s) => {
        const from = logSize(LOG);
        const r = await exchange(s.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", { timeoutMs: 3000 });
        let line;
        for (let i = 0; i < 40 && !line; i++) {
          await sleep(50);
          line = logLinesSince(LOG, from).find((l) => /TLS handshake/.test(l));
        }
        const p = [];
        expect(p, r.status !== 200, `answered ${r.status} in plain HTTP`);
        expect(p, line && /a client's TLS handshake failed \(.+\): usually plain HTTP sent to this HTTPS port/.test(line),
          `log line: ${line ?? "none"}`);
        return [{ logged: line ? line.replace(/^.*http: /, "").slice(0, 60) : "none" }, p];
      }, { tls: true }));
  }

  await check("200 connections aborted mid-request: log lines", () =>
    withHookd({}, async (s) => {
      await sleep(100);
      const f = await aborts({ port: s.port, log: LOG, key: KEY, clients: 200 });
      const p = [];
      // One line for the first, the rest held back for the window (10 s).
      expect(p, f.warn_lines <= 2, `${f.warn_lines} WARN lines: ${f.sample.join(" | ")}`);
      const h = await healthz(s.port, 2000 * SCALE);
      expect(p, h.status === 200, `/healthz ${h.status} after`);
      return [{ connections: 200, warn_lines: f.warn_lines }, p];
    }));

  await check("8 requests with 100,000-item list variables", () =>
    withHookd({}, async (s) => {
      const f = await variables({ port: s.port, pid: s.pid, key: KEY, concurrent: 8, items: 100000, item: '"aaaaaa"', rounds: 1, settle: 1000 });
      const p = [];
      expect(p, f.statuses.every((x) => x === 400), `statuses ${f.statuses}`);
      expect(p, /BAD_USER_INPUT/.test(f.sample), `answer ${f.sample}`);
      expect(p, f.ms < 2000 * SCALE, `answered in ${f.ms} ms`);
      expect(p, f.rss_peak_mib - f.rss_before_mib < 30, `RSS grew ${f.rss_peak_mib - f.rss_before_mib} MiB`);
      return [{ requests: 8, items: 100000, body_kib: Math.round(f.body_bytes / 1024), answered_400: f.statuses.filter((x) => x === 400).length, ms: f.ms, rss_before_mib: f.rss_before_mib, rss_peak_mib: f.rss_peak_mib, rss_after_mib: f.rss_after_mib }, p];
    }));

  // 60 at once (within the 64 MiB body budget), twice: without the trim hookd kept 43 to 96
  // MiB of the peak (glibc keeps what threads freed in their arenas), with it 11 to 16.
  await check("memory given back after a burst of 120 requests with 1 MB variables", () =>
    withHookd({}, async (s) => {
      const f = await burst({ port: s.port, pid: s.pid, key: KEY, concurrent: 60, bytes: 1000000, rounds: 2, settle: 1500 * SCALE });
      const p = [];
      expect(p, f.answered_200 === 120, `${f.answered_200} answered 200, others ${f.other}`);
      const kept = f.rss_after_mib - f.rss_before_mib;
      if (!ASAN) expect(p, kept < 25, `RSS ${f.rss_before_mib} -> ${f.rss_peak_mib} -> ${f.rss_after_mib} MiB`);
      return [{ requests: 120, rss_before_mib: f.rss_before_mib, rss_peak_mib: f.rss_peak_mib, rss_after_mib: f.rss_after_mib, kept_mib: ASAN ? `${kept} (ASan: not checked)` : kept }, p];
    }));

  summary();
  process.exit(allOk() ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
