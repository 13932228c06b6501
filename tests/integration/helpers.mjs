// helpers.mjs - what hookd's delivery tests share: a GraphQL client (raw fetch), the
// documents they send, durations as hookd reads them, and the checks of one delivered
// webhook request against SPEC §3 and §5.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

import { compatDir, compatRequire } from "./receiver.mjs";

// ---- durations ("100ms,200ms,400ms", "1s"), as the env of `hookd serve` gives them ----

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

export const parseSchedule = (text) => text.split(",").map(parseDuration);

// ---- GraphQL ----------------------------------------------------------------

// A workspace as the tests see it: { name, workspaceId, apiKey, url } (url: /graphql/v1).
export async function gql(ws, query, variables = {}, { timeoutMs = 10_000 } = {}) {
  const res = await fetch(ws.url, {
    method: "POST",
    headers: { authorization: `Bearer ${ws.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`GraphQL answer ${res.status} is not JSON: ${text.slice(0, 400)}`);
  }
  if (res.status !== 200 || json.errors) {
    throw new Error(`GraphQL request failed (HTTP ${res.status}): ${text.slice(0, 800)}`);
  }
  return json.data;
}

// Runs a mutation whose output has `error: MutationError`; fails on a mutation error.
export async function mutate(ws, query, variables, field) {
  const data = await gql(ws, query, variables);
  const out = data[field];
  assert.ok(out, `${field}: no output in ${JSON.stringify(data)}`);
  assert.equal(out.error, null, `${field} failed: ${JSON.stringify(out.error)}`);
  return out;
}

const ERROR = "error { code message fields { field message } }";

export const DOCS = {
  upsert: `mutation upsertCustomer($input: UpsertCustomerInput!) {
    upsertCustomer(input: $input) { result customer { id } ${ERROR} } }`,
  markSpam: `mutation markCustomerAsSpam($input: MarkCustomerAsSpamInput!) {
    markCustomerAsSpam(input: $input) { customer { id } ${ERROR} } }`,
  unmarkSpam: `mutation unmarkCustomerAsSpam($input: UnmarkCustomerAsSpamInput!) {
    unmarkCustomerAsSpam(input: $input) { customer { id } ${ERROR} } }`,
  deleteCustomer: `mutation deleteCustomer($input: DeleteCustomerInput!) {
    deleteCustomer(input: $input) { ${ERROR} } }`,
  createGroup: `mutation createCustomerGroup($input: CreateCustomerGroupInput!) {
    createCustomerGroup(input: $input) { customerGroup { id key } ${ERROR} } }`,
  addToGroups: `mutation addCustomerToCustomerGroups($input: AddCustomerToCustomerGroupsInput!) {
    addCustomerToCustomerGroups(input: $input) {
      customerGroupMemberships { customerGroup { id } } ${ERROR} } }`,
  removeFromGroups: `mutation removeCustomerFromCustomerGroups(
    $input: RemoveCustomerFromCustomerGroupsInput!) {
    removeCustomerFromCustomerGroups(input: $input) { ${ERROR} } }`,
  createTarget: `mutation createWebhookTarget($input: CreateWebhookTargetInput!) {
    createWebhookTarget(input: $input) {
      webhookTarget { id url version isEnabled eventSubscriptions { eventType } } ${ERROR} } }`,
  updateTarget: `mutation updateWebhookTarget($input: UpdateWebhookTargetInput!) {
    updateWebhookTarget(input: $input) { webhookTarget { id url isEnabled } ${ERROR} } }`,
  target: `query webhookTarget($id: ID!) {
    webhookTarget(webhookTargetId: $id) { id url version } }`,
  targets: `query webhookTargets { webhookTargets(first: 100) { edges { node { id url } } } }`,
  regenerateHmac: `mutation regenerateWorkspaceHmac {
    regenerateWorkspaceHmac { workspaceHmac { hmacSecret } ${ERROR} } }`,
  customers: `query customers($first: Int, $after: String) {
    customers(first: $first, after: $after) {
      edges { node { id email { email } } } pageInfo { hasNextPage endCursor } totalCount } }`,
};

export const EVENT_TYPES = {
  created: "customer.customer_created",
  updated: "customer.customer_updated",
  deleted: "customer.customer_deleted",
  memberships: "customer.customer_group_memberships_changed",
};
export const ALL_EVENT_TYPES = Object.values(EVENT_TYPES);

let serial = 0;
const run = Date.now().toString(36);
export const uniqueEmail = (tag) => `${tag}.${run}.${++serial}@example.com`;
export const uniqueKey = (tag) => `${tag}-${run}-${++serial}`;

export async function createTarget(ws, { url, types, isEnabled = true, version, description }) {
  const input = {
    url,
    eventSubscriptions: types.map((eventType) => ({ eventType })),
    isEnabled,
    description: description ?? `hookd delivery test ${url}`,
  };
  if (version) input.version = version;
  return (await mutate(ws, DOCS.createTarget, { input }, "createWebhookTarget")).webhookTarget;
}

export async function setTargetEnabled(ws, id, isEnabled) {
  const input = { webhookTargetId: id, isEnabled: { value: isEnabled } };
  return (await mutate(ws, DOCS.updateTarget, { input }, "updateWebhookTarget")).webhookTarget;
}

export async function regenerateHmac(ws) {
  const out = await mutate(ws, DOCS.regenerateHmac, {}, "regenerateWorkspaceHmac");
  const secret = out.workspaceHmac?.hmacSecret;
  assert.equal(typeof secret, "string", `regenerateWorkspaceHmac: ${JSON.stringify(out)}`);
  assert.ok(secret.length > 0, "regenerateWorkspaceHmac: an empty secret");
  return secret;
}

// Creates a customer; returns { id, email, result }.
export async function createCustomer(ws, { email, fullName = "Ada Lovelace" } = {}) {
  email ??= uniqueEmail("customer");
  const input = {
    identifier: { emailAddress: email },
    onCreate: { fullName, email: { email, isVerified: false } },
    onUpdate: {},
  };
  const out = await mutate(ws, DOCS.upsert, { input }, "upsertCustomer");
  assert.equal(out.result, "CREATED", `upsertCustomer ${email}`);
  return { id: out.customer.id, email, result: out.result };
}

export async function upsertByEmail(ws, email, onUpdate, onCreateName = "Unused") {
  const input = {
    identifier: { emailAddress: email },
    onCreate: { fullName: onCreateName, email: { email, isVerified: false } },
    onUpdate,
  };
  return mutate(ws, DOCS.upsert, { input }, "upsertCustomer");
}

// ---- one delivered request against SPEC §3 and §5 ----------------------------------

const ULID = "[0-9A-HJKMNP-TV-Z]{26}";
export const idRe = (prefix) => new RegExp(`^${prefix}_${ULID}$`);
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const USER_AGENT = "Plain-Webhooks/1.0 (plain.com; help@plain.com)";
// hookd and the receiver share a clock; this absorbs scheduling and rounding.
const CLOCK_SLACK_MS = 1500;

// Plain's JSON Schemas, one per version, compiled as validate_bodies.mjs does (draft-07,
// formats checked): the whole body, and the payload definition of its event type alone.
let schemas;
// Compiling the five schemas takes a few seconds: tests call this up front, so that it is
// not counted in the time a delivery seems to take.
export function bodyValidators() {
  if (schemas) return schemas;
  const Ajv = compatRequire("ajv");
  const addFormats = compatRequire("ajv-formats");
  const ajv = new (Ajv.default ?? Ajv)({ strict: false, allErrors: true });
  (addFormats.default ?? addFormats)(ajv);
  const dir = join(compatDir, "..", "data", "plain", "webhook-schemas");
  schemas = new Map();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const schema = JSON.parse(readFileSync(join(dir, file), "utf8"));
    const payloads = new Map();
    for (const { $ref } of schema.properties.payload.anyOf) {
      const name = $ref.split("/").pop();
      const eventType = schema.definitions[name]?.properties?.eventType?.const;
      if (eventType) {
        const ref = `#/definitions/${name}`;
        const only = { definitions: schema.definitions, allOf: [{ $ref: ref }] };
        payloads.set(eventType, ajv.compile(only));
      }
    }
    schemas.set(file.replace(/\.json$/, ""), { body: ajv.compile(schema), payloads });
  }
  return schemas;
}

function schemaErrors(validate) {
  return (validate.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

export function assertValidBody(body, what) {
  const version = body?.webhookMetadata?.webhookTargetVersion;
  const v = bodyValidators().get(version);
  assert.ok(v, `${what}: no schema for webhookTargetVersion ${JSON.stringify(version)}`);
  const payload = v.payloads.get(body.payload?.eventType);
  assert.ok(payload, `${what}: schema ${version} has no payload ${body.payload?.eventType}`);
  const errors = (validate) => schemaErrors(validate).join("; ");
  assert.ok(payload(body.payload), `${what}: payload vs schema ${version}: ${errors(payload)}`);
  assert.ok(v.body(body), `${what}: body vs schema ${version}: ${errors(v.body)}`);
}

export const hmacHex = (secret, raw) => createHmac("sha256", secret).update(raw).digest("hex");

/*
 * Checks one recorded request (receiver.mjs) as a delivery of SPEC §5 and returns its
 * parsed body. `expect`: { ws (workspaceId), target ({ id, version }), eventType,
 * attemptNumber, secret (string: signed with it; null: no signature header),
 * authorization (the exact Authorization header, or undefined: none) }.
 */
export function assertDelivery(rec, expect, what = `request #${rec.seq} to ${rec.path}`) {
  const h = rec.headers;
  const value = (name) => h[name.toLowerCase()];
  const header = (name, expected) => assert.equal(value(name), expected, `${what}: ${name}`);
  const headerLike = (name, re) => assert.match(value(name) ?? "", re, `${what}: ${name}`);
  assert.equal(rec.method, "POST", `${what}: method`);
  header("Accept", "application/json");
  header("Content-Type", "application/json");
  header("User-Agent", USER_AGENT);
  header("Plain-Workspace-Id", expect.ws.workspaceId);
  header("Plain-Webhook-Target-Id", expect.target.id);
  header("Plain-Webhook-Target-Version", expect.target.version);
  headerLike("Plain-Webhook-Delivery-Attempt-Id", idRe("whAttempt"));
  if (expect.attemptNumber !== undefined) {
    header("Plain-Webhook-Delivery-Attempt-Number", String(expect.attemptNumber));
  } else {
    headerLike("Plain-Webhook-Delivery-Attempt-Number", /^[1-9][0-9]*$/);
  }
  headerLike("Plain-Webhook-Delivery-Attempt-Timestamp", ISO_MS);
  const stamp = h["plain-webhook-delivery-attempt-timestamp"];
  const stampMs = Date.parse(stamp);
  assert.ok(
    stampMs <= rec.arrivedAt + CLOCK_SLACK_MS && stampMs >= rec.arrivedAt - 5000,
    `${what}: attempt timestamp ${stamp} is not just before the arrival ` +
      new Date(rec.arrivedAt).toISOString(),
  );
  if (expect.eventType) header("Plain-Event-Type", expect.eventType);
  headerLike("Plain-Event-Id", idRe("pEv"));
  // undefined: no credentials in the URL, so no Authorization header at all.
  header("Authorization", expect.authorization);
  if (expect.secret === null) {
    header("Plain-Request-Signature", undefined); // no secret, no signature
  } else if (expect.secret !== undefined) {
    // hex HMAC-SHA256(secret, raw body)
    header("Plain-Request-Signature", hmacHex(expect.secret, rec.body));
  }

  const body = rec.json;
  assert.ok(body && typeof body === "object", `${what}: not JSON: ${rec.text?.slice(0, 200)}`);
  assert.deepEqual(
    body.webhookMetadata,
    {
      webhookTargetId: h["plain-webhook-target-id"],
      webhookTargetVersion: h["plain-webhook-target-version"],
      webhookDeliveryAttemptId: h["plain-webhook-delivery-attempt-id"],
      webhookDeliveryAttemptNumber: Number(h["plain-webhook-delivery-attempt-number"]),
      webhookDeliveryAttemptTimestamp: stamp,
    },
    `${what}: webhookMetadata equals the headers`,
  );
  assert.equal(body.type, body.payload?.eventType, `${what}: type === payload.eventType`);
  assert.equal(body.type, h["plain-event-type"], `${what}: type === Plain-Event-Type`);
  assert.equal(body.id, h["plain-event-id"], `${what}: id === Plain-Event-Id`);
  assert.equal(body.workspaceId, expect.ws.workspaceId, `${what}: workspaceId`);
  assert.match(body.timestamp ?? "", ISO_MS, `${what}: timestamp`);
  assertValidBody(body, what);
  return body;
}

export const attemptNumber = (rec) =>
  Number(rec.headers["plain-webhook-delivery-attempt-number"]);
export const eventId = (rec) => rec.headers["plain-event-id"];
