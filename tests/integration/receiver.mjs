// receiver.mjs - a webhook receiver for hookd's delivery tests (a library; loopback only).
//
//   import { startReceiver } from "./receiver.mjs";
//   const r = await startReceiver();                          // http://127.0.0.1:<random port>
//   const s = await startReceiver({ tls: { cert, key } });    // https, PEM strings or Buffers
//   const m = await startReceiver({ tls: { cert, key, ca, requestClientCert: true } }); // mTLS
//   r.route("/ok", { status: 200 });
//   ... hookd delivers to r.url("/ok") ...
//   await r.waitFor(() => r.requestsTo("/ok").length >= 1, { what: "a delivery to /ok" });
//   await r.close();
//
// Every request is recorded, whatever its path (unknown paths are answered 404):
//   { seq, method, path, url, headers (lower-case names), rawHeaders, body (Buffer), text,
//     json (undefined when not JSON), arrivedAt (headers read), bodyAt (body read),
//     endedAt (our answer sent, or the connection closed, whichever came first),
//     answered (status sent, or "closed"/"aborted"), clientAborted (the client closed
//     first), tls ({ authorized, peerCN } on https), verify ({ ok, error } on a verify route) }
// Times are milliseconds since the epoch with sub-millisecond precision
// (performance.timeOrigin + performance.now()), so that differences are fine-grained
// and values are comparable with the server's timestamps.
//
// Every TCP connection is recorded too, in `connections`: { seq, openedAt, closedAt,
// tlsError (message of a failed handshake), secure (handshake done) }: failed TLS
// handshakes never become requests, so they are counted here.
//
// Behaviours, given per path with route(path, behaviour) (replaceable at any time):
//   { status: 500, headers: {...}, body: "..." }    answer with that status (default 200)
//   { status: 302, location: "http://..." }        a redirect
//   { sleepMs: 3000 }                              answer 200 after sleeping (unless closed)
//   { closeMidResponse: "headers" }                the status line and half a header, then
//                                                  the connection is destroyed
//   { closeMidResponse: "body" }                   status, headers with Content-Length: 100,
//                                                  9 bytes of body, then destroyed
//   { flap: { failures: 2, status: 500 } }         fail N times, then answer 200
//   { delayMs: [min, max] }                        a random delay before answering (with any
//                                                  of the above that answers)
//   { verify: { secret: () => string } }           Plain's SDK verifyPlainWebhook: 200 when
//                                                  it accepts, 400 with its message otherwise
//   { handler: (record, res) => void }             anything else

import { createRequire } from "node:module";
import { once } from "node:events";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const here = dirname(fileURLToPath(import.meta.url));
// The JavaScript test tools are installed in tests/compat (scripts/setup.sh, npm ci).
export const compatDir = join(here, "..", "compat");
export const compatRequire = createRequire(join(compatDir, "package.json"));

let sdk;
function plainSdk() {
  sdk ??= compatRequire("@team-plain/typescript-sdk");
  return sdk;
}

export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A loopback port with nothing listening on it (free when this returns).
export async function freePort() {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

// Polls `predicate` every 10 ms until it is truthy; throws after timeoutMs, naming `what`
// and the output of `state()` when given.
export async function waitFor(predicate, { timeoutMs = 5000, what = "a condition", state } = {}) {
  const deadline = now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (now() > deadline) {
      const extra = state ? `; state: ${state()}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${extra}`);
    }
    await sleep(10);
  }
}

const randomIn = ([min, max]) => min + Math.random() * (max - min);

class Receiver {
  constructor(server, scheme) {
    this.server = server;
    this.scheme = scheme;
    this.routes = new Map();
    this.requests = [];
    this.connections = [];
    this.sockets = new Set();
    this.flapCounts = new Map();
    this.seq = 0;
    this.port = 0;
  }

  url(path, { userinfo = "" } = {}) {
    return `${this.scheme}://${userinfo}127.0.0.1:${this.port}${path}`;
  }

  route(path, behaviour) {
    this.routes.set(path, behaviour);
    this.flapCounts.delete(path);
    return this;
  }

  requestsTo(path) {
    return this.requests.filter((r) => r.path === path);
  }

  // Requests to `path` that are finished (answered, or the connection closed).
  finishedTo(path) {
    return this.requestsTo(path).filter((r) => r.endedAt !== undefined);
  }

  waitFor(predicate, options) {
    return waitFor(predicate, options);
  }

  // Waits until `path` has at least n finished requests.
  async waitForRequests(path, n, { timeoutMs = 5000 } = {}) {
    await waitFor(() => this.finishedTo(path).length >= n, {
      timeoutMs,
      what: `${n} request(s) to ${this.url(path)}`,
      state: () => `${this.requestsTo(path).length} arrived`,
    });
    return this.requestsTo(path);
  }

  async close() {
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections?.();
    if (this.server.listening) {
      this.server.close();
      await once(this.server, "close");
    }
  }

  // ---- internals ----

  onConnection(socket) {
    const conn = { seq: this.connections.length + 1, openedAt: now() };
    this.connections.push(conn);
    this.sockets.add(socket);
    socket.hookdConnection = conn;
    socket.on("close", () => {
      conn.closedAt = now();
      this.sockets.delete(socket);
    });
  }

  onRequest(req, res) {
    const arrivedAt = now();
    const url = new URL(req.url, "http://receiver");
    const record = {
      seq: ++this.seq,
      method: req.method,
      path: url.pathname,
      url: req.url,
      headers: { ...req.headers },
      rawHeaders: [...req.rawHeaders],
      arrivedAt,
    };
    if (this.scheme === "https") {
      const cert = req.socket.getPeerCertificate?.();
      record.tls = { authorized: req.socket.authorized, peerCN: cert?.subject?.CN ?? null };
    }
    this.requests.push(record);
    const finish = (answered) => {
      if (record.endedAt !== undefined) return;
      record.endedAt = now();
      record.answered ??= answered;
    };
    res.on("finish", () => finish(res.statusCode));
    res.on("close", () => {
      if (!res.writableFinished && record.answered === undefined) record.clientAborted = true;
      finish("aborted");
    });
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("error", () => {});
    req.on("end", () => {
      record.bodyAt = now();
      record.body = Buffer.concat(chunks);
      record.text = record.body.toString("utf8");
      try {
        record.json = JSON.parse(record.text);
      } catch {
        record.json = undefined;
      }
      this.behave(record, req, res).catch((e) => {
        record.error = String(e?.stack ?? e);
        if (!res.headersSent) this.answer(record, res, 500, {}, "receiver error");
      });
    });
  }

  answer(record, res, status, headers = {}, body = "") {
    if (res.destroyed || res.writableEnded) return;
    record.answered = status;
    res.writeHead(status, { "content-type": "text/plain", ...headers });
    res.end(body);
  }

  async behave(record, req, res) {
    const b = this.routes.get(record.path);
    if (!b) return this.answer(record, res, 404, {}, "no such route");
    if (b.delayMs) await sleep(randomIn(b.delayMs));
    if (b.handler) return b.handler(record, res);
    if (b.closeMidResponse) {
      // A response that starts and never ends: the connection goes in the middle of the
      // header section, or of a body shorter than its Content-Length (RFC 9112 §8: an
      // incomplete message). Its "200" must not count as an answer.
      record.answered = "closed";
      res.socket.write(
        b.closeMidResponse === "body"
          ? "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n" +
              '{"partial'
          : "HTTP/1.1 200 OK\r\nContent-Type: text/pl",
      );
      await sleep(20);
      res.socket.destroy();
      record.endedAt ??= now();
      return;
    }
    if (b.sleepMs) {
      const closed = new Promise((resolve) => res.on("close", resolve));
      await Promise.race([sleep(b.sleepMs), closed]);
      return this.answer(record, res, 200, {}, "slept");
    }
    if (b.flap) {
      const n = (this.flapCounts.get(record.path) ?? 0) + 1;
      this.flapCounts.set(record.path, n);
      if (n <= b.flap.failures) return this.answer(record, res, b.flap.status ?? 500, {}, "flap");
      return this.answer(record, res, 200, {}, "ok");
    }
    if (b.verify) {
      const { verifyPlainWebhook } = plainSdk();
      const signature = req.headers["plain-request-signature"] ?? "";
      const result = verifyPlainWebhook(record.text, signature, b.verify.secret());
      record.verify = result.error
        ? { ok: false, error: `${result.error.constructor.name}: ${result.error.message}` }
        : { ok: true };
      if (result.error) return this.answer(record, res, 400, {}, record.verify.error);
      return this.answer(record, res, 200, {}, "verified");
    }
    const status = b.status ?? 200;
    const headers = { ...(b.headers ?? {}) };
    if (b.location) headers.location = b.location;
    return this.answer(record, res, status, headers, b.body ?? "");
  }
}

// Starts a receiver on 127.0.0.1 (port 0: a random one). `tls`: { cert, key } for https;
// with `ca` and `requestClientCert: true` it demands a client certificate signed by `ca`.
// keepAliveMs: how long an idle kept-alive connection stays open (Node sends it as
// "Keep-Alive: timeout=N" in every answer).
export async function startReceiver({ tls, port = 0, keepAliveMs = 10_000 } = {}) {
  let server;
  if (tls) {
    server = https.createServer({
      cert: tls.cert,
      key: tls.key,
      ca: tls.ca,
      requestCert: Boolean(tls.requestClientCert),
      rejectUnauthorized: Boolean(tls.requestClientCert),
    });
  } else {
    server = http.createServer();
  }
  const receiver = new Receiver(server, tls ? "https" : "http");
  server.keepAliveTimeout = keepAliveMs;
  server.on("connection", (socket) => receiver.onConnection(socket));
  server.on("request", (req, res) => receiver.onRequest(req, res));
  if (tls) {
    server.on("secureConnection", (tlsSocket) => {
      const conn = tlsSocket._parent?.hookdConnection ?? receiver.connections.at(-1);
      if (conn) conn.secure = true;
    });
    server.on("tlsClientError", (err, tlsSocket) => {
      const conn = tlsSocket?._parent?.hookdConnection;
      const target = conn ?? receiver.connections.findLast((c) => !c.tlsError && !c.secure);
      if (target) target.tlsError = err.message;
      tlsSocket?.destroy();
    });
  }
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  receiver.port = server.address().port;
  return receiver;
}
