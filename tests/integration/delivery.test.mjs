// delivery.test.mjs - hookd's webhook deliveries end to end (SPEC §3-§5), against real
// receivers (receiver.mjs) and a real `hookd serve`, as test_delivery.sh sets them up:
//
//   HOOKD_WORKSPACES='{"events":{"workspaceId":..,"apiKey":..,"url":".../graphql/v1"},..}'
//   HOOKD_TEST_CERTS=DIR              (ca.pem, server.*, client.*, rogue-server.*)
//   HOOKD_RETRY_SCHEDULE=100ms,200ms,400ms HOOKD_DELIVERY_TIMEOUT=2s  (what hookd was given)
//   node --test delivery.test.mjs
//
// Workspaces (each suite has its own, so that one suite's events never reach another's
// targets), on server A (client certificate, CA file) unless said:
//   events, sdk, retries, basic, mtls, disable, burst; mtlsB on server B (CA file, no
//   client certificate).
//
// Expected values come from SPEC §3-§5 and Plain's schemas, never from what hookd answers.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import {
  ALL_EVENT_TYPES,
  DOCS,
  EVENT_TYPES,
  assertDelivery,
  attemptNumber,
  bodyValidators,
  createCustomer,
  createTarget,
  eventId,
  gql,
  hmacHex,
  idRe,
  mutate,
  parseDuration,
  parseSchedule,
  regenerateHmac,
  setTargetEnabled,
  uniqueKey,
  upsertByEmail,
} from "./helpers.mjs";
import {
  compatDir,
  compatRequire,
  freePort,
  now,
  sleep,
  startReceiver,
  waitFor,
} from "./receiver.mjs";

// ---- set-up ------------------------------------------------------------------

if (!process.env.HOOKD_WORKSPACES || !process.env.HOOKD_TEST_CERTS) {
  throw new Error("set HOOKD_WORKSPACES and HOOKD_TEST_CERTS (test_delivery.sh does)");
}
const W = JSON.parse(process.env.HOOKD_WORKSPACES);
const certDir = process.env.HOOKD_TEST_CERTS;
const pem = (name) => readFileSync(join(certDir, name));

const SCHEDULE = parseSchedule(process.env.HOOKD_RETRY_SCHEDULE ?? "100ms,200ms,400ms");
const TIMEOUT_MS = parseDuration(process.env.HOOKD_DELIVERY_TIMEOUT ?? "1s");
const ATTEMPTS = SCHEDULE.length + 1;
// A retry must not come before its delay, counted from the end of the failed attempt.
// That is checked on hookd's own record of its attempts (start and duration, whole
// milliseconds: RECORD_EARLY_MS). The receiver's view is checked too, as a witness that
// the record is true, but only for a delay at least half the schedule's: the receiver's
// event loop sees a close late when the machine is busy (a timeout's close was seen
// 42 ms after hookd's, so the next attempt seemed to come 358 ms after it for 400 ms),
// and a witness that flakes under load proves nothing. Up to LATE_MS late is tolerated.
// SCALE: HOOKD_TEST_TIME_SCALE, set by the sanitizer and valgrind runs (test_delivery.sh
// scales the attempt timeout by it too): an instrumented hookd is many times slower.
const SCALE = Number(process.env.HOOKD_TEST_TIME_SCALE || 1);
const RECORD_EARLY_MS = 2;
const EARLY_MS = 10 * SCALE; // the first attempt seen after a refused port opens
const LATE_MS = 1000 * SCALE;
// After the last attempt, this long without another one shows there is none.
const QUIET_MS = 1500;
const SCHEDULE_TOTAL = SCHEDULE.reduce((a, b) => a + b, 0);
// Long enough for every attempt of a delivery whose attempts all time out.
const ALL_ATTEMPTS_MS = ATTEMPTS * TIMEOUT_MS + SCHEDULE_TOTAL + ATTEMPTS * LATE_MS;

const LATEST_VERSION = "2026-04-21";
const SDK_VERSION = "2026-02-27"; // the schema built into @team-plain/typescript-sdk 5.12.1
const CLIENT_CN = "hookd-test-client"; // test_delivery.sh's client certificate
const CREATED = EVENT_TYPES.created;

let hr; // the http receiver every http target points at, one path each
const allReceivers = [];
before(async () => {
  hr = await startReceiver();
  allReceivers.push(hr);
  bodyValidators();
});
after(async () => {
  await Promise.all(allReceivers.map((r) => r.close()));
});

const show = (x) => JSON.stringify(x);
const paths = (recs) =>
  recs.map((r) => `${r.path}#${attemptNumber(r)}:${r.answered}`).join(", ");
const spansOf = (recs) =>
  recs.map((r) => ({ start: r.arrivedAt, end: r.endedAt, number: attemptNumber(r) }));
// Failed TLS handshakes are only seen as connections, one per attempt.
const connectionSpans = (conns) =>
  conns.map((c, i) => ({ start: c.openedAt, end: c.closedAt, number: i + 1 }));

// hookd's record of the attempts of a target's only delivery: [{ start, end, number }].
async function recordedSpans(ws, target) {
  const q = `query d($id: ID!) { hookdWebhookDeliveries(webhookTargetId: $id, first: 2) {
    edges { node { attempts { number startedAt { iso8601 } durationMs } } } } }`;
  const edges = (await gql(ws, q, { id: target.id })).hookdWebhookDeliveries.edges;
  assert.equal(edges.length, 1, `one delivery recorded for ${target.id}`);
  return edges[0].node.attempts
    .map((a) => {
      const start = Date.parse(a.startedAt.iso8601);
      return { start, end: start + a.durationMs, number: a.number };
    })
    .sort((a, b) => a.number - b.number);
}

// Checks the gaps between consecutive attempts: attempt i+1 starts `SCHEDULE[i]` after
// attempt i ended (SPEC §5, delays counted from the end of the failed attempt), in hookd's
// record (strictly) and as the receiver saw them (see RECORD_EARLY_MS).
// `seen`: [{ start, end, number }] in arrival order, at the receiver.
async function assertDelays(seen, what, t, { ws, target }) {
  const recorded = await recordedSpans(ws, target);
  assert.ok(
    recorded.length >= seen.length && recorded.every((r, i) => r.number === i + 1),
    `${what}: hookd recorded attempts ${recorded.map((r) => r.number)}`,
  );
  const check = (spans, early, who) => {
    const gaps = [];
    for (let i = 0; i + 1 < spans.length; i++) {
      const delay = SCHEDULE[spans[i].number - 1];
      const gap = spans[i + 1].start - spans[i].end;
      const min = delay - early(delay);
      gaps.push(gap.toFixed(1));
      assert.ok(
        gap >= min && gap < delay + LATE_MS,
        `${what} (${who}): attempt ${spans[i + 1].number} came ${gap.toFixed(1)} ms after ` +
          `attempt ${spans[i].number} ended; the schedule says ${delay} ms ` +
          `(accepted: ${min}..${delay + LATE_MS})`,
      );
    }
    if (gaps.length) t?.diagnostic(`${what} (${who}): gaps ${gaps.join(", ")} ms`);
  };
  check(recorded, () => RECORD_EARLY_MS, "hookd's record");
  check(seen, (delay) => delay / 2, "the receiver's view");
  t?.diagnostic(`schedule ${SCHEDULE.join(", ")} ms`);
}

// Attempts 1..n of one customer_created event to one target, recorded as requests.
function assertAttempts(recs, { ws, target, n, what, t }) {
  assert.equal(recs.length, n, `${what}: ${n} attempts, got ${recs.length} (${paths(recs)})`);
  const ids = new Set();
  recs.forEach((rec, i) => {
    const expect = { ws, target, eventType: CREATED, attemptNumber: i + 1 };
    assertDelivery(rec, expect, `${what} #${i + 1}`);
    ids.add(rec.headers["plain-webhook-delivery-attempt-id"]);
  });
  assert.equal(ids.size, n, `${what}: every attempt has a new attempt id`);
  assert.equal(new Set(recs.map(eventId)).size, 1, `${what}: one event id on every attempt`);
  return assertDelays(spansOf(recs), what, t, { ws, target });
}

// ---- every customer event, exactly once per subscribed target ------------------------

describe("customer events reach each subscribed target exactly once, signed", () => {
  const ws = W.events;
  const P = { all: "/events/all", some: "/events/created-deleted", off: "/events/disabled" };
  let tAll, tSome, tOff;
  let customer;
  let secret = null;
  const seen = { all: [], some: [] }; // { type, id } per delivered event, in order

  before(async () => {
    for (const p of Object.values(P)) hr.route(p, { status: 200 });
    tAll = await createTarget(ws, { url: hr.url(P.all), types: ALL_EVENT_TYPES });
    tSome = await createTarget(ws, {
      url: hr.url(P.some),
      types: [CREATED, EVENT_TYPES.deleted],
      version: "2024-09-18",
    });
    tOff = await createTarget(ws, {
      url: hr.url(P.off),
      types: ALL_EVENT_TYPES,
      isEnabled: false,
    });
    assert.equal(tAll.version, LATEST_VERSION, "a target's default version is the latest");
    assert.equal(tSome.version, "2024-09-18");
    assert.equal(tOff.isEnabled, false);
  });

  // Runs `action`, then waits until the "all" target has nAll more requests and the
  // "some" target nSome more; returns the new ones, checked as first attempts.
  async function deliveries(action, { all: nAll, some: nSome = 0, type }) {
    const before = { all: hr.requestsTo(P.all).length, some: hr.requestsTo(P.some).length };
    await action();
    await hr.waitForRequests(P.all, before.all + nAll);
    if (nSome) await hr.waitForRequests(P.some, before.some + nSome);
    const got = {
      all: hr.requestsTo(P.all).slice(before.all),
      some: hr.requestsTo(P.some).slice(before.some),
    };
    for (const [key, target] of [["all", tAll], ["some", tSome]]) {
      for (const rec of got[key]) {
        const expect = { ws, target, eventType: type, attemptNumber: 1, secret };
        const body = assertDelivery(rec, expect);
        seen[key].push({ type: body.type, id: body.id });
      }
    }
    return got;
  }

  test("customer_created, before any HMAC secret: to both targets, unsigned", async () => {
    const got = await deliveries(
      async () => (customer = await createCustomer(ws, { fullName: "Ada Lovelace" })),
      { all: 1, some: 1, type: CREATED },
    );
    const [a] = got.all;
    const [s] = got.some;
    assert.equal(a.json.payload.customer.id, customer.id);
    assert.equal(a.json.payload.customer.email.email, customer.email);
    assert.equal(a.json.payload.customer.fullName, "Ada Lovelace");
    assert.ok(!("previousCustomer" in a.json.payload), "customer_created: no previousCustomer");
    assert.equal(s.json.id, a.json.id, "one event, the same id at both targets");
    assert.equal(s.json.timestamp, a.json.timestamp, "one event, one timestamp");
    assert.notEqual(
      s.headers["plain-webhook-delivery-attempt-id"],
      a.headers["plain-webhook-delivery-attempt-id"],
      "each target's delivery has its own attempt",
    );
    assert.equal(s.json.webhookMetadata.webhookTargetVersion, "2024-09-18");
    assert.deepEqual(
      s.json.payload,
      a.json.payload,
      "the payload is the same in every version (SPEC: only webhookMetadata differs)",
    );
  });

  test("customer_updated by upsert (UPDATED), signed with the new workspace secret", async () => {
    secret = await regenerateHmac(ws);
    const got = await deliveries(
      async () => {
        const update = { fullName: { value: "Ada King" } };
        assert.equal((await upsertByEmail(ws, customer.email, update)).result, "UPDATED");
      },
      { all: 1, type: EVENT_TYPES.updated },
    );
    const p = got.all[0].json.payload;
    assert.equal(p.customer.id, customer.id);
    assert.equal(p.previousCustomer.fullName, "Ada Lovelace");
    assert.equal(p.customer.fullName, "Ada King");
  });

  test("a NOOP upsert fires nothing", async () => {
    const before = hr.requests.length;
    const out = await upsertByEmail(ws, customer.email, { fullName: { value: "Ada King" } });
    assert.equal(out.result, "NOOP");
    await sleep(400);
    const late = hr.requests.slice(before);
    assert.equal(late.length, 0, `nothing arrives: ${paths(late)}`);
  });

  test("customer_updated by markCustomerAsSpam and by unmarkCustomerAsSpam", async () => {
    const input = { customerId: customer.id };
    const updated = { all: 1, type: EVENT_TYPES.updated };
    const marked = await deliveries(
      () => mutate(ws, DOCS.markSpam, { input }, "markCustomerAsSpam"),
      updated,
    );
    let p = marked.all[0].json.payload;
    assert.equal(p.previousCustomer.markedAsSpamAt, null);
    assert.notEqual(p.customer.markedAsSpamAt, null, "markedAsSpamAt is set");
    assert.equal(p.customer.markedAsSpamBy?.actorType, "machineUser");
    const unmarked = await deliveries(
      () => mutate(ws, DOCS.unmarkSpam, { input }, "unmarkCustomerAsSpam"),
      updated,
    );
    p = unmarked.all[0].json.payload;
    assert.notEqual(p.previousCustomer.markedAsSpamAt, null);
    assert.equal(p.customer.markedAsSpamAt, null, "markedAsSpamAt is cleared");
    assert.equal(p.customer.markedAsSpamBy, null, "markedAsSpamBy is cleared");
  });

  const groupIds = (c) => c.customerGroupMemberships.map((m) => m.customerGroupId).sort();

  test("customer_group_memberships_changed: ADDED once per group, then REMOVED", async () => {
    const ids = [];
    for (const tag of ["g1", "g2"]) {
      const input = { name: `Group ${tag}`, key: uniqueKey(tag), color: "#1a2b3c" };
      const out = await mutate(ws, DOCS.createGroup, { input }, "createCustomerGroup");
      ids.push(out.customerGroup.id);
    }
    ids.sort();
    const memberships = (groups) => ({
      input: {
        customerId: customer.id,
        customerGroupIdentifiers: groups.map((customerGroupId) => ({ customerGroupId })),
      },
    });
    const added = await deliveries(
      () => mutate(ws, DOCS.addToGroups, memberships(ids), "addCustomerToCustomerGroups"),
      { all: 2, type: EVENT_TYPES.memberships },
    );
    const addedGroups = added.all.map(({ json: { payload: p } }) => {
      assert.equal(p.changeType, "ADDED");
      const cur = groupIds(p.customer);
      const prev = groupIds(p.previousCustomer);
      const diff = cur.filter((g) => !prev.includes(g));
      assert.equal(diff.length, 1, `one group added per event: before ${prev}, after ${cur}`);
      assert.equal(prev.length + 1, cur.length);
      return diff[0];
    });
    assert.deepEqual(addedGroups.sort(), ids, "one ADDED event for each group");
    assert.notEqual(added.all[0].json.id, added.all[1].json.id, "two events");

    const removed = await deliveries(
      () => {
        const input = memberships([ids[0]]);
        return mutate(ws, DOCS.removeFromGroups, input, "removeCustomerFromCustomerGroups");
      },
      { all: 1, type: EVENT_TYPES.memberships },
    );
    const p = removed.all[0].json.payload;
    assert.equal(p.changeType, "REMOVED");
    assert.deepEqual(groupIds(p.previousCustomer), ids);
    assert.deepEqual(groupIds(p.customer), [ids[1]]);
  });

  test("customer_deleted, after regenerating the secret: signed with the new one", async () => {
    const old = secret;
    secret = await regenerateHmac(ws);
    assert.notEqual(secret, old, "regenerating replaces the secret");
    const input = { customerId: customer.id };
    const got = await deliveries(
      () => mutate(ws, DOCS.deleteCustomer, { input }, "deleteCustomer"),
      { all: 1, some: 1, type: EVENT_TYPES.deleted },
    );
    const [a] = got.all;
    assert.equal(a.json.payload.previousCustomer.id, customer.id);
    assert.ok(!("customer" in a.json.payload), "customer_deleted has no customer");
    const oldSignature = hmacHex(old, a.body);
    assert.notEqual(a.headers["plain-request-signature"], oldSignature, "not the old secret's");
    assert.equal(got.some[0].json.id, a.json.id, "one event, the same id at both targets");
  });

  test("in all: each event once per subscribed target, none to the disabled one", async () => {
    await sleep(500); // anything late or repeated would show up now
    const count = (p) => {
      const m = new Map();
      for (const r of hr.requestsTo(p)) m.set(eventId(r), (m.get(eventId(r)) ?? 0) + 1);
      return m;
    };
    const all = count(P.all);
    const some = count(P.some);
    assert.equal(all.size, 8, `8 events to the all-events target: ${show([...all])}`);
    assert.ok([...all.values()].every((n) => n === 1), `each once: ${show([...all])}`);
    const { created, updated, memberships, deleted } = EVENT_TYPES;
    assert.deepEqual(
      seen.all.map((e) => e.type),
      [created, updated, updated, updated, memberships, memberships, memberships, deleted],
    );
    assert.equal(some.size, 2, `created and deleted to the second target: ${show([...some])}`);
    assert.ok([...some.values()].every((n) => n === 1), `each once: ${show([...some])}`);
    assert.deepEqual(seen.some.map((e) => e.type), [created, deleted]);
    for (const id of some.keys()) assert.ok(all.has(id), `${id} is also the first target's`);
    assert.equal(hr.requestsTo(P.off).length, 0, "the disabled target receives nothing");
  });
});

// ---- Plain's SDK verifies what hookd sends ---------------------------------------------

describe("verifyPlainWebhook (Plain's SDK) accepts deliveries to a target on its version", () => {
  const ws = W.sdk;
  const P = "/sdk/verify";
  let secret;
  let target;
  const sdk = compatRequire("@team-plain/typescript-sdk");

  before(async () => {
    secret = await regenerateHmac(ws);
    hr.route(P, { verify: { secret: () => secret } });
    const types = ALL_EVENT_TYPES;
    target = await createTarget(ws, { url: hr.url(P), types, version: SDK_VERSION });
    assert.equal(target.version, SDK_VERSION);
  });

  test("every customer event type is accepted on its first attempt", async () => {
    const c = await createCustomer(ws);
    await upsertByEmail(ws, c.email, { fullName: { value: "Verified Person" } });
    await mutate(ws, DOCS.markSpam, { input: { customerId: c.id } }, "markCustomerAsSpam");
    const input = { name: "SDK group", key: uniqueKey("sdk"), color: "#abcdef" };
    const g = (await mutate(ws, DOCS.createGroup, { input }, "createCustomerGroup")).customerGroup;
    const membership = { customerId: c.id, customerGroupIdentifiers: [{ customerGroupId: g.id }] };
    await mutate(ws, DOCS.addToGroups, { input: membership }, "addCustomerToCustomerGroups");
    const remove = "removeCustomerFromCustomerGroups";
    await mutate(ws, DOCS.removeFromGroups, { input: membership }, remove);
    await mutate(ws, DOCS.deleteCustomer, { input: { customerId: c.id } }, "deleteCustomer");
    await hr.waitForRequests(P, 6);
    await sleep(400); // a rejected one would be retried by now
    const all = hr.requestsTo(P);
    assert.equal(all.length, 6, `6 deliveries, no retry: ${paths(all)}`);
    for (const rec of all) {
      assertDelivery(rec, { ws, target, attemptNumber: 1, secret });
      assert.deepEqual(rec.verify, { ok: true }, `verifyPlainWebhook on ${rec.json?.type}`);
      assert.equal(rec.answered, 200);
    }
    assert.deepEqual(
      [...new Set(all.map((r) => r.json.type))].sort(),
      [...ALL_EVENT_TYPES].sort(),
      "all four event types were verified",
    );
  });

  test("control: the same verification rejects a wrong secret and another version", () => {
    const rec = hr.requestsTo(P)[0];
    const signature = rec.headers["plain-request-signature"];
    const wrong = sdk.verifyPlainWebhook(rec.text, signature, `${secret}x`);
    assert.ok(
      wrong.error instanceof sdk.PlainWebhookSignatureVerificationError,
      show(wrong.error?.message),
    );
    const other = JSON.stringify({
      ...rec.json,
      webhookMetadata: { ...rec.json.webhookMetadata, webhookTargetVersion: LATEST_VERSION },
    });
    const mismatch = sdk.verifyPlainWebhook(other, hmacHex(secret, other), secret);
    assert.ok(
      mismatch.error instanceof sdk.PlainWebhookVersionMismatchError,
      show(mismatch.error?.message),
    );
  });
});

// ---- failures and retries --------------------------------------------------------------

describe(`failures are retried on the schedule (${SCHEDULE.join(", ")} ms)`, () => {
  const ws = W.retries;
  const P = {
    s500: "/retry/500",
    redirect: "/retry/302",
    location: "/retry/302-location",
    timeout: "/retry/timeout",
    closeHeaders: "/retry/close-mid-headers",
    closeBody: "/retry/close-mid-body",
    flap: "/retry/flap",
    tls: "/retry/untrusted-tls",
    refused: "/retry/refused",
  };
  const T = {};
  let untrusted; // an https receiver whose certificate hookd's CA file does not vouch for
  let refusedReceiver; // listens on the refused port only before the last attempt
  let createdAt;

  before(async () => {
    untrusted = await startReceiver({
      tls: { cert: pem("rogue-server.pem"), key: pem("rogue-server.key") },
    });
    allReceivers.push(untrusted);
    untrusted.route(P.tls, { status: 200 });
    hr.route(P.s500, { status: 500, body: "no" })
      .route(P.redirect, { status: 302, location: hr.url(P.location) })
      .route(P.location, { status: 200 })
      .route(P.timeout, { sleepMs: Math.max(3000, 3 * TIMEOUT_MS) })
      .route(P.closeHeaders, { closeMidResponse: "headers" })
      .route(P.closeBody, { closeMidResponse: "body" })
      .route(P.flap, { flap: { failures: 2, status: 500 } });
    const refusedPort = await freePort();
    const urls = {
      s500: hr.url(P.s500),
      redirect: hr.url(P.redirect),
      timeout: hr.url(P.timeout),
      closeHeaders: hr.url(P.closeHeaders),
      closeBody: hr.url(P.closeBody),
      flap: hr.url(P.flap),
      tls: untrusted.url(P.tls),
      refused: `http://127.0.0.1:${refusedPort}${P.refused}`,
    };
    for (const [k, url] of Object.entries(urls)) {
      T[k] = await createTarget(ws, { url, types: [CREATED] });
    }
    await createCustomer(ws);
    createdAt = now();
    // Connection refused leaves no trace at the receiver: something starts listening on
    // the refused port half-way between the third attempt and the last, answers 500, and
    // sees the last attempt(s) arrive with their numbers.
    const openAt = SCHEDULE_TOTAL - SCHEDULE.at(-1) / 2;
    await sleep(Math.max(0, createdAt + openAt - now()));
    refusedReceiver = await startReceiver({ port: refusedPort });
    allReceivers.push(refusedReceiver);
    refusedReceiver.route(P.refused, { status: 500 });

    const done = [
      () => hr.finishedTo(P.s500).length >= ATTEMPTS,
      () => hr.finishedTo(P.redirect).length >= ATTEMPTS,
      () => hr.finishedTo(P.timeout).length >= ATTEMPTS,
      () => hr.finishedTo(P.closeHeaders).length >= ATTEMPTS,
      () => hr.finishedTo(P.closeBody).length >= ATTEMPTS,
      () => hr.finishedTo(P.flap).length >= 3,
      () => untrusted.connections.filter((c) => c.closedAt).length >= ATTEMPTS,
      () => refusedReceiver.finishedTo(P.refused).some((r) => attemptNumber(r) >= ATTEMPTS),
    ];
    try {
      await waitFor(() => done.every((f) => f()), {
        timeoutMs: ALL_ATTEMPTS_MS + 5000,
        what: "every target's last attempt",
      });
    } catch {
      // Each test below says what its target is missing.
    }
    await sleep(QUIET_MS);
  });

  test(`HTTP 500: attempts 1..${ATTEMPTS}, new attempt ids, one event id, on schedule`, async (t) => {
    await assertAttempts(hr.requestsTo(P.s500), { ws, target: T.s500, n: ATTEMPTS, what: "500", t });
  });

  test("every target got the same event", () => {
    const ids = new Set();
    for (const p of [P.s500, P.redirect, P.timeout, P.closeHeaders, P.closeBody, P.flap]) {
      for (const r of hr.requestsTo(p)) ids.add(eventId(r));
    }
    for (const r of refusedReceiver?.requests ?? []) ids.add(eventId(r));
    assert.equal(ids.size, 1, `one event: ${[...ids]}`);
    assert.match([...ids][0], idRe("pEv"));
  });

  test("302 redirect: a failure, retried, and never followed", async (t) => {
    const recs = hr.requestsTo(P.redirect);
    await assertAttempts(recs, { ws, target: T.redirect, n: ATTEMPTS, what: "302", t });
    assert.equal(hr.requestsTo(P.location).length, 0, "the Location receives nothing");
  });

  test(`timeout (the receiver sleeps): each attempt cut after ${TIMEOUT_MS} ms, retried`, async (t) => {
    const recs = hr.requestsTo(P.timeout);
    await assertAttempts(recs, { ws, target: T.timeout, n: ATTEMPTS, what: "timeout", t });
    for (const r of recs) {
      assert.ok(r.clientAborted, `attempt ${attemptNumber(r)}: hookd hung up before the answer`);
      const held = r.endedAt - r.arrivedAt;
      assert.ok(
        held >= TIMEOUT_MS - 100 && held < TIMEOUT_MS + LATE_MS,
        `attempt ${attemptNumber(r)} was held ${held.toFixed(0)} ms; timeout ${TIMEOUT_MS} ms`,
      );
    }
  });

  test("connection closed in the middle of the header section: a failure, retried", async (t) => {
    const recs = hr.requestsTo(P.closeHeaders);
    const what = "closed mid-headers";
    await assertAttempts(recs, { ws, target: T.closeHeaders, n: ATTEMPTS, what, t });
  });

  test("connection closed in the middle of the body (short of Content-Length): retried", async (t) => {
    const recs = hr.requestsTo(P.closeBody);
    await assertAttempts(recs, { ws, target: T.closeBody, n: ATTEMPTS, what: "closed mid-body", t });
  });

  test("connection refused: retried up to the last attempt", async (t) => {
    const recs = refusedReceiver.requestsTo(P.refused);
    assert.ok(recs.length >= 1, "an attempt arrives once something listens on the port");
    const first = attemptNumber(recs[0]);
    t.diagnostic(`refused: the first attempt seen once the port listened was #${first}`);
    assert.ok(first >= 2, `the attempts made while refused were counted (first seen: #${first})`);
    assert.deepEqual(
      recs.map(attemptNumber),
      Array.from({ length: ATTEMPTS - first + 1 }, (_, i) => first + i),
      `the attempts seen are #${first}..#${ATTEMPTS}, then nothing`,
    );
    for (const r of recs) {
      const expect = { ws, target: T.refused, eventType: CREATED, attemptNumber: attemptNumber(r) };
      assertDelivery(r, expect);
    }
    assert.equal(new Set(recs.map(eventId)).size, 1);
    await assertDelays(spansOf(recs), "refused", t, { ws, target: T.refused });
    // Attempt #first comes after at least the delays before it.
    const before = SCHEDULE.slice(0, first - 1).reduce((a, b) => a + b, 0);
    assert.ok(recs[0].arrivedAt - createdAt >= before - EARLY_MS, `attempt #${first} is early`);
  });

  test("TLS failure (a certificate hookd does not trust): no request, retried on schedule", async (t) => {
    const conns = untrusted.connections;
    assert.equal(untrusted.requests.length, 0, "no request gets through");
    assert.equal(conns.length, ATTEMPTS, `one connection per attempt: ${show(conns)}`);
    for (const c of conns) assert.ok(c.tlsError, `connection ${c.seq} failed: ${show(c)}`);
    await assertDelays(connectionSpans(conns), "TLS", t, { ws, target: T.tls });
  });

  test("flapping (500 twice, then 200): exactly 3 attempts", async (t) => {
    const recs = hr.requestsTo(P.flap);
    await assertAttempts(recs, { ws, target: T.flap, n: 3, what: "flapping", t });
    assert.deepEqual(recs.map((r) => r.answered), [500, 500, 200]);
  });

  test(`after attempt ${ATTEMPTS} (and after a success) nothing more arrives`, () => {
    // The counts above are exact, taken QUIET_MS after the last attempt.
    const retries = hr.requests.filter((r) => r.path.startsWith("/retry/"));
    const last = Math.max(...retries.map((r) => r.arrivedAt));
    const ago = now() - last;
    assert.ok(ago >= QUIET_MS, `the last attempt came ${ago.toFixed(0)} ms ago`);
  });
});

// ---- credentials in the URL ------------------------------------------------------------

describe("Basic auth from the target URL", () => {
  const ws = W.basic;
  const P = "/basic/x";

  test("user:p%40ss@ is sent as Basic base64(user:p@ss), and never shown back", async () => {
    hr.route(P, { status: 200 });
    const url = hr.url(P, { userinfo: "user:p%40ss@" });
    const target = await createTarget(ws, { url, types: [CREATED] });
    const listed = (await gql(ws, DOCS.targets)).webhookTargets.edges;
    const shown = [
      target.url,
      (await gql(ws, DOCS.target, { id: target.id })).webhookTarget.url,
      listed.find((e) => e.node.id === target.id).node.url,
    ];
    for (const u of shown) {
      assert.ok(!u.includes("p%40ss") && !u.includes("p@ss"), `the password is masked in ${u}`);
      assert.ok(u.includes(`127.0.0.1:${hr.port}${P}`), `the rest of the URL is kept: ${u}`);
    }
    await createCustomer(ws);
    const [rec] = await hr.waitForRequests(P, 1);
    const authorization = `Basic ${Buffer.from("user:p@ss").toString("base64")}`;
    assert.equal(authorization, "Basic dXNlcjpwQHNz");
    assertDelivery(rec, { ws, target, eventType: CREATED, attemptNumber: 1, authorization });
    assert.equal(rec.path, P, "the credentials are not in the request line");
  });
});

// ---- mTLS --------------------------------------------------------------------------------

describe("mTLS: hookd presents the operator's client certificate", () => {
  const tlsOptions = () => ({
    cert: pem("server.pem"),
    key: pem("server.key"),
    ca: pem("ca.pem"),
    requestClientCert: true,
  });

  test("with HOOKD_TLS_CLIENT_CERT/KEY: a receiver requiring one gets the delivery", async () => {
    const ws = W.mtls;
    const m = await startReceiver({ tls: tlsOptions() });
    allReceivers.push(m);
    m.route("/mtls/a", { status: 200 });
    const target = await createTarget(ws, { url: m.url("/mtls/a"), types: [CREATED] });
    await createCustomer(ws);
    const [rec] = await m.waitForRequests("/mtls/a", 1);
    assertDelivery(rec, { ws, target, eventType: CREATED, attemptNumber: 1 });
    assert.deepEqual(rec.tls, { authorized: true, peerCN: CLIENT_CN }, "our client certificate");
    await sleep(300);
    assert.equal(m.requests.length, 1, "one delivery, no retry");
  });

  test("without a client certificate (server B) every attempt fails in TLS", async (t) => {
    const ws = W.mtlsB;
    const m = await startReceiver({ tls: tlsOptions() });
    allReceivers.push(m);
    m.route("/mtls/b", { status: 200 });
    hr.route("/mtls/b-control", { status: 200 });
    const target = await createTarget(ws, { url: m.url("/mtls/b"), types: [CREATED] });
    const control = await createTarget(ws, { url: hr.url("/mtls/b-control"), types: [CREATED] });
    await createCustomer(ws);
    // B delivers: its plain http target gets the event.
    const [rec] = await hr.waitForRequests("/mtls/b-control", 1);
    assertDelivery(rec, { ws, target: control, eventType: CREATED, attemptNumber: 1 });
    await waitFor(() => m.connections.filter((c) => c.closedAt).length >= ATTEMPTS, {
      timeoutMs: ALL_ATTEMPTS_MS,
      what: `${ATTEMPTS} connections to the mTLS receiver`,
      state: () => show(m.connections),
    });
    await sleep(QUIET_MS);
    const conns = m.connections;
    assert.equal(m.requests.length, 0, "no request gets through");
    assert.equal(conns.length, ATTEMPTS, `one connection per attempt: ${show(conns)}`);
    for (const c of conns) {
      assert.match(c.tlsError ?? "", /certificate/i, `connection ${c.seq}: no client certificate`);
    }
    await assertDelays(connectionSpans(conns), "mTLS without a client certificate", t, { ws, target });
  });
});

// ---- disabling a target cancels its pending deliveries -------------------------------

describe("disabling a target cancels its pending deliveries", () => {
  const ws = W.disable;
  const P = "/disable/x";

  test("receiver down, target disabled: those events never arrive, even re-enabled", async () => {
    hr.route(P, { status: 503 });
    const target = await createTarget(ws, { url: hr.url(P), types: [CREATED] });
    await createCustomer(ws);
    await createCustomer(ws);
    await waitFor(() => new Set(hr.finishedTo(P).map(eventId)).size >= 2, {
      what: "the first attempts of both events",
      state: () => paths(hr.requestsTo(P)),
    });
    const pending = new Set(hr.finishedTo(P).map(eventId));
    assert.equal(pending.size, 2, "two events, first attempts failed");
    await setTargetEnabled(ws, target.id, false);
    const disabledAt = now();
    hr.route(P, { status: 200 }); // the receiver is back
    await sleep(SCHEDULE[0] + 200);
    assert.equal((await setTargetEnabled(ws, target.id, true)).isEnabled, true);
    await sleep(SCHEDULE_TOTAL + QUIET_MS);
    const late = hr
      .requestsTo(P)
      .filter((r) => r.arrivedAt > disabledAt && pending.has(eventId(r)));
    const lateIds = late.map((r) => `${eventId(r)}#${attemptNumber(r)}`);
    assert.deepEqual(lateIds, [], "no attempt after the disable");

    // The target works again, for new events.
    const c = await createCustomer(ws);
    const forC = () => hr.requestsTo(P).find((r) => r.json?.payload?.customer?.id === c.id);
    await waitFor(forC, { what: "the new event to the re-enabled target" });
    assertDelivery(forC(), { ws, target, eventType: CREATED, attemptNumber: 1 });
  });
});

// ---- a burst of events to one target ---------------------------------------------------

describe("a burst of events to one target is delivered promptly", () => {
  const ws = W.burst;
  const P = "/burst/x";
  const N = 200; // more than one claim's worth, more than a target's slots and queue
  const WITHIN_MS = 10_000 * SCALE; // at 10-20 ms an answer, 200 events need ~0.5-4 s

  const title = `${N} events, created over 8 connections, arrive within ${WITHIN_MS / 1000} s`;
  let before; // server A's /metrics before the burst
  let burstTarget;
  test(title, async (t) => {
    before = await metrics(ws);
    hr.route(P, { status: 200, delayMs: [10, 20] });
    const target = await createTarget(ws, { url: hr.url(P), types: [CREATED] });
    burstTarget = target.id;
    const ids = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (ids.length < N) {
          const i = ids.push(null) - 1;
          ids[i] = (await createCustomer(ws)).id;
        }
      }),
    );
    const createdAt = now();
    const delivered = () => new Set(hr.finishedTo(P).map((r) => r.json?.payload?.customer?.id));
    try {
      await waitFor(() => ids.every((id) => delivered().has(id)), {
        timeoutMs: WITHIN_MS,
        what: `${N} deliveries`,
      });
    } finally {
      const s = ((now() - createdAt) / 1000).toFixed(1);
      t.diagnostic(`${delivered().size} of ${N} delivered ${s} s after the last upsert`);
    }
    await sleep(500);
    const recs = hr.requestsTo(P);
    assert.equal(recs.length, N, "each event once");
    for (const r of recs) assertDelivery(r, { ws, target, eventType: CREATED, attemptNumber: 1 });
  });

  test("GET /metrics counts the burst's attempts, and nothing is left waiting", async () => {
    assert.ok(before, "the burst ran");
    const m = await metrics(ws);
    const grew = (name) => m.get(name) - before.get(name);
    assert.ok(grew("hookd_delivery_attempts_succeeded_total") >= N, show([...m]));
    assert.ok(grew("hookd_delivery_attempts_total") >= N);
    assert.ok(grew("hookd_deliveries_claimed_total") >= N);
    assert.ok(grew("hookd_delivery_results_recorded_total") >= N);
    assert.ok(grew("hookd_store_commits_total") > 0);
    assert.equal(m.get("hookd_store_healthy"), 1);
    // A waiting delivery is claimed within milliseconds here; nothing waits a second.
    assert.ok(m.get("hookd_delivery_lag_seconds") < 1, `lag ${m.get("hookd_delivery_lag_seconds")}`);
    assert.ok(m.get("hookd_delivery_attempts_in_flight") >= 0);
    // The histograms: cumulative buckets ending at +Inf = _count; every burst delivery timed.
    for (const h of ["hookd_delivery_attempt_duration_seconds", "hookd_delivery_latency_seconds"]) {
      const buckets = [...m].filter(([k]) => k.startsWith(`${h}_bucket{`));
      assert.ok(buckets.length > 2, `${h} has buckets`);
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1]);
      assert.equal(m.get(`${h}_bucket{le="+Inf"}`), m.get(`${h}_count`));
    }
    assert.ok(grew("hookd_delivery_latency_seconds_count") >= N);
    assert.ok(grew("hookd_delivery_attempt_duration_seconds_count") >= N);
    // Per target (a bounded label set): the burst target's own series.
    const labels = `target="${burstTarget}",workspace="${ws.workspaceId}"`;
    assert.equal(m.get(`hookd_target_attempts_total{${labels},result="success"}`), N, show([...m].filter(([k]) => k.startsWith("hookd_target"))));
    assert.equal(m.get(`hookd_target_attempts_total{${labels},result="failure"}`), 0);
    assert.equal(m.get(`hookd_target_failing{${labels}}`), 0);
    assert.ok(m.get(`hookd_target_attempt_seconds_total{${labels}}`) >= N * 0.01);
  });
});

// The samples of a server's /metrics page (the server of workspace `w`), by name and labels.
async function metrics(w) {
  const res = await fetch(w.url.replace(/\/graphql\/v1$/, "/metrics"));
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
  const m = new Map();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const sp = line.lastIndexOf(" ");
    m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

// ---- every body, through the compat suite's validator ----------------------------------

// ---- kept-alive connections -----------------------------------------------------------

describe("kept-alive connections are not reused when the receiver is about to close them", () => {
  // The receiver closes a connection idle for 5 s and says so ("Keep-Alive: timeout=5").
  // A request sent as it closes would fail with no answer (and may have been acted on), so
  // hookd reuses a connection only while it has been idle under 4 s (whole seconds, 3 at
  // most: CURLOPT_MAXAGE_CONN), and opens a new one after that.
  const ws = W.keepalive;
  const P = "/keepalive/x";
  test("reused after 1 s idle, a new connection after 4.2 s idle, every attempt answered", async (t) => {
    const r = await startReceiver({ keepAliveMs: 5000 });
    allReceivers.push(r);
    r.route(P, { status: 200 });
    await createTarget(ws, { url: r.url(P), types: [CREATED] });
    const deliverOne = async (n) => {
      await createCustomer(ws);
      await r.waitFor(() => r.finishedTo(P).length >= n, { what: `delivery ${n}` });
    };
    await deliverOne(1);
    assert.equal(r.connections.length, 1, "one connection for the first delivery");
    await sleep(1000);
    await deliverOne(2);
    assert.equal(r.connections.length, 1, "reused after 1 s idle: keep-alive still works");
    await sleep(4200);
    await deliverOne(3);
    t.diagnostic(`connections: ${show(r.connections.map((c) => ({ seq: c.seq, closed: Boolean(c.closedAt) })))}`);
    assert.equal(r.connections.length, 2, "a new connection after 4.2 s idle, 0.8 s before the receiver's close");
    assert.deepEqual(r.finishedTo(P).map((x) => x.answered), [200, 200, 200]);
    assert.deepEqual(r.finishedTo(P).map(attemptNumber), [1, 1, 1], "no attempt failed");
  });
});

describe("every delivered body passes tests/compat/validate_bodies.mjs", () => {
  test("schemas, key order, times, compact JSON, SDK parsing", () => {
    const bodies = allReceivers
      .flatMap((r) => r.requests)
      .filter((r) => r.json !== undefined)
      .map((r) => r.text);
    assert.ok(bodies.length > 0, "bodies were delivered");
    const dir = mkdtempSync(join(tmpdir(), "hookd-bodies-"));
    try {
      const file = join(dir, "bodies");
      writeFileSync(file, `${bodies.join("\n")}\n`);
      const r = spawnSync(process.execPath, [join(compatDir, "validate_bodies.mjs"), file], {
        cwd: compatDir,
        encoding: "utf8",
        timeout: 50_000,
      });
      const out = `${r.stdout}${r.stderr}`;
      const tail = out.split("\n").slice(-40).join("\n");
      assert.equal(r.status, 0, `validate_bodies.mjs failed:\n${tail}`);
      assert.match(out, new RegExp(`^${bodies.length} bodies read`, "m"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
