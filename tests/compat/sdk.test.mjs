// sdk.test.mjs - Plain's own TypeScript SDK (@team-plain/typescript-sdk, as pinned in
// package.json) against a running hookd: every method of SPEC §6, the raw documents the
// SDK has no method for, and their error paths.
//
//   HOOKD_GRAPHQL_URL=http://127.0.0.1:PORT/graphql/v1 \
//   HOOKD_WORKSPACES='[{"name":..,"workspaceId":..,"apiKey":..}, x4]' node --test sdk.test.mjs
//
// test_sdk.sh sets both up (four fresh workspaces: main, other, lists, limits). Lists and
// the target limit have workspaces of their own, so that their counts are exact; "other"
// is only used to show that one workspace cannot see or touch another's entities.
//
// Expected values come from SPEC §6 and Plain's schema (tests/data/plain/schema.graphql),
// never from what hookd happens to answer.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { PlainClient } from "@team-plain/typescript-sdk";

// ---- set-up ------------------------------------------------------------------

const apiUrl = process.env.HOOKD_GRAPHQL_URL;
if (!apiUrl || !process.env.HOOKD_WORKSPACES) {
  throw new Error("set HOOKD_GRAPHQL_URL and HOOKD_WORKSPACES (test_sdk.sh does)");
}
const [main, other, lists, limits] = JSON.parse(process.env.HOOKD_WORKSPACES).map((ws) => ({
  ...ws,
  client: new PlainClient({ apiKey: ws.apiKey, apiUrl }),
}));
if (!limits) throw new Error("HOOKD_WORKSPACES must hold four workspaces");

const ULID = "[0-9A-HJKMNP-TV-Z]{26}";
const ANY_ID = new RegExp(`^[a-zA-Z]+_${ULID}$`);
const idRe = (prefix) => new RegExp(`^${prefix}_${ULID}$`);
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// Server and test share a clock; this only absorbs rounding and scheduling.
const CLOCK_SLACK_MS = 1000;
const LATEST_VERSION = "2026-04-21";
const VERSIONS = ["2024-09-18", "2025-08-06", "2026-02-27", "2026-03-13", "2026-04-21"];
const ACTOR_ID_FIELD = {
  MachineUserActor: "machineUserId",
  UserActor: "userId",
  SystemActor: "systemId",
  CustomerActor: "customerId",
  DeletedCustomerActor: "customerId",
};

let serial = 0;
const run = Date.now().toString(36);
const uniqueEmail = (tag) => `${tag}.${run}.${++serial}@example.com`;
const uniqueKey = (tag) => `${tag}-${run}-${++serial}`;
// Well-formed ids that no workspace has.
const missingId = (prefix) => `${prefix}_01ARZ3NDEKTSV4RRFFQ69G5FAV`;

// ---- assertions --------------------------------------------------------------

const show = (x) => JSON.stringify(x, null, 1);

// The data of an SDK result that must have succeeded.
function ok(result, what) {
  if (result.error) assert.fail(`${what}: unexpected SDK error ${show(result.error)}`);
  assert.ok("data" in result, `${what}: no data in ${show(result)}`);
  return result.data;
}

// Runs fn and returns its result with the wall-clock window it ran in.
async function timed(fn) {
  const from = Date.now();
  const result = await fn();
  return { result, window: { from, to: Date.now() } };
}

// A DateTime ({ iso8601, unixTimestamp } as SPEC §1 says), inside `window` when given.
// Returns its time in milliseconds.
function assertDateTime(dt, what, window) {
  assert.ok(dt && typeof dt === "object", `${what}: a DateTime, got ${show(dt)}`);
  assert.equal(dt.__typename, "DateTime", `${what}.__typename`);
  assert.match(dt.iso8601, ISO_MS, `${what}.iso8601 is UTC with milliseconds`);
  assert.match(dt.unixTimestamp, /^\d+$/, `${what}.unixTimestamp is milliseconds, as a string`);
  const ms = Date.parse(dt.iso8601);
  assert.equal(Number(dt.unixTimestamp), ms, `${what}: unixTimestamp and iso8601 agree`);
  if (window) {
    assert.ok(
      ms >= window.from - CLOCK_SLACK_MS && ms <= window.to + CLOCK_SLACK_MS,
      `${what} ${dt.iso8601} is not within the request's time ` +
        `${new Date(window.from).toISOString()}..${new Date(window.to).toISOString()}`
    );
  }
  return ms;
}

// The machine user behind a workspace's key: the same one on every change it makes.
function assertMachineUser(ws, actor, what) {
  assert.equal(actor?.__typename, "MachineUserActor", `${what}: ${show(actor)}`);
  assert.match(actor.machineUserId, idRe("mu"), `${what}.machineUserId`);
  ws.machineUserId ??= actor.machineUserId;
  assert.equal(actor.machineUserId, ws.machineUserId, `${what}: the key's machine user`);
}

// Any member of the Actor union, with its id.
function assertAnyActor(actor, what) {
  const field = ACTOR_ID_FIELD[actor?.__typename];
  assert.ok(field, `${what}: an Actor, got ${show(actor)}`);
  assert.equal(typeof actor[field], "string", `${what}.${field}`);
  assert.ok(actor[field].length > 0, `${what}.${field} is not empty`);
}

/*
 * A mutation failure as the SDK reports it: { error: { type: "mutation_error",
 * errorDetails: MutationError } }. `field`, when given, is a RegExp that one of the
 * field errors must match by name, with `fieldType` (or one of several, as an array).
 */
function assertMutationError(result, code, { field, fieldType = "VALIDATION" } = {}) {
  assert.ok(result.error, `expected the mutation error ${code}, got data ${show(result.data)}`);
  assert.equal(result.error.type, "mutation_error", `expected ${code}: ${show(result.error)}`);
  const details = result.error.errorDetails;
  assert.equal(details.__typename, "MutationError");
  assert.equal(details.code, code, `error code: ${show(details)}`);
  assert.equal(details.type, "VALIDATION", `MutationError.type of ${code}`);
  assert.equal(typeof details.message, "string");
  assert.ok(details.message.length > 0, "MutationError.message is not empty");
  assert.equal(result.error.message, details.message);
  assert.ok(Array.isArray(details.fields), "MutationError.fields is a list");
  if (field) {
    const named = details.fields.find((f) => field.test(f.field));
    assert.ok(named, `a field error naming ${field}: ${show(details.fields)}`);
    const allowed = [fieldType].flat();
    assert.ok(allowed.includes(named.type), `the field error's type is ${allowed}: ${show(named)}`);
    assert.ok(named.message.length > 0, "the field error has a message");
  }
  return details;
}

// Runs an SDK call that is expected to fail. The SDK's methods turn HTTP errors into
// { error }, but throw when a 200 answer has no data to unwrap: that is reported, not thrown.
async function attempt(call) {
  try {
    return await call();
  } catch (err) {
    return { thrown: err };
  }
}

// A request the server refused as a whole (HTTP 400): the SDK's bad_request, with the
// GraphQL errors it could read (each with message, locations and extensions.code).
function assertBadRequest(result, code) {
  assert.ok(
    !result.thrown,
    `expected a ${code} error (HTTP 400), but the SDK threw ${result.thrown} ` +
      "(an answer with status 200 and no data?)"
  );
  assert.ok(result.error, `expected a ${code} error, got data ${show(result.data)}`);
  assert.equal(result.error.type, "bad_request", show(result.error));
  const errors = result.error.graphqlErrors;
  assert.ok(errors.length > 0, `GraphQL errors the SDK can parse: ${show(result.error)}`);
  assert.equal(errors[0].extensions.code, code, show(errors));
  assert.ok(errors[0].message.length > 0);
  return errors;
}

function assertSameIds(actual, expected, what) {
  assert.deepEqual([...actual].sort(), [...expected].sort(), what);
  assert.equal(new Set(actual).size, actual.length, `${what}: no duplicates`);
}

function assertPageInfo(pageInfo, { hasNextPage, hasPreviousPage }, what) {
  assert.equal(pageInfo.hasNextPage, hasNextPage, `${what}: hasNextPage`);
  assert.equal(pageInfo.hasPreviousPage, hasPreviousPage, `${what}: hasPreviousPage`);
  assert.equal(typeof pageInfo.startCursor, "string", `${what}: startCursor`);
  assert.equal(typeof pageInfo.endCursor, "string", `${what}: endCursor`);
}

// ---- raw documents (the SDK has no method for these) -------------------------

// A GraphQL document must use every fragment it defines, so each document takes only the
// ones it spreads.
const DATE_TIME_PARTS = `
fragment DateTimeParts on DateTime {
  __typename
  iso8601
  unixTimestamp
}
`;
const INTERNAL_ACTOR_PARTS = `
fragment InternalActorParts on InternalActor {
  ... on MachineUserActor {
    __typename
    machineUserId
  }
  ... on UserActor {
    __typename
    userId
  }
  ... on SystemActor {
    __typename
    systemId
  }
}
`;
const MUTATION_ERROR_PARTS = `
fragment MutationErrorParts on MutationError {
  __typename
  message
  type
  code
  fields {
    field
    message
    type
  }
}
`;
const FRAGMENTS = DATE_TIME_PARTS + INTERNAL_ACTOR_PARTS + MUTATION_ERROR_PARTS;

const SPAM_CUSTOMER = `
fragment SpamCustomerParts on Customer {
  __typename
  id
  fullName
  markedAsSpamAt {
    ...DateTimeParts
  }
  markedAsSpamBy {
    ...InternalActorParts
  }
  updatedAt {
    ...DateTimeParts
  }
  updatedBy {
    ...InternalActorParts
  }
}
`;

const MARK_SPAM = `
mutation markCustomerAsSpam($input: MarkCustomerAsSpamInput!) {
  markCustomerAsSpam(input: $input) {
    customer {
      ...SpamCustomerParts
    }
    error {
      ...MutationErrorParts
    }
  }
}
${SPAM_CUSTOMER}${FRAGMENTS}`;

const UNMARK_SPAM = `
mutation unmarkCustomerAsSpam($input: UnmarkCustomerAsSpamInput!) {
  unmarkCustomerAsSpam(input: $input) {
    customer {
      ...SpamCustomerParts
    }
    error {
      ...MutationErrorParts
    }
  }
}
${SPAM_CUSTOMER}${FRAGMENTS}`;

const GROUP = `
fragment FullGroupParts on CustomerGroup {
  __typename
  id
  name
  key
  color
  externalId
  createdAt {
    ...DateTimeParts
  }
  createdBy {
    ...InternalActorParts
  }
  updatedAt {
    ...DateTimeParts
  }
  updatedBy {
    ...InternalActorParts
  }
}
`;

const CREATE_GROUP = `
mutation createCustomerGroup($input: CreateCustomerGroupInput!) {
  createCustomerGroup(input: $input) {
    customerGroup {
      ...FullGroupParts
    }
    error {
      ...MutationErrorParts
    }
  }
}
${GROUP}${FRAGMENTS}`;

const UPDATE_GROUP = `
mutation updateCustomerGroup($input: UpdateCustomerGroupInput!) {
  updateCustomerGroup(input: $input) {
    customerGroup {
      ...FullGroupParts
    }
    error {
      ...MutationErrorParts
    }
  }
}
${GROUP}${FRAGMENTS}`;

const DELETE_GROUP = `
mutation deleteCustomerGroup($input: DeleteCustomerGroupInput!) {
  deleteCustomerGroup(input: $input) {
    error {
      ...MutationErrorParts
    }
  }
}
${MUTATION_ERROR_PARTS}`;

const WEBHOOK_VERSIONS = `
query webhookVersions {
  webhookVersions {
    edges {
      cursor
      node {
        __typename
        version
        isLatest
        isDeprecated
      }
    }
    pageInfo {
      hasNextPage
      hasPreviousPage
    }
  }
}`;

const HMAC = `
fragment HmacParts on WorkspaceHmac {
  __typename
  hmacSecret
  createdAt {
    ...DateTimeParts
  }
  createdBy {
    ...InternalActorParts
  }
  updatedAt {
    ...DateTimeParts
  }
  updatedBy {
    ...InternalActorParts
  }
}
`;

const WORKSPACE_HMAC = `
query workspaceHmac {
  workspaceHmac {
    ...HmacParts
  }
}
${HMAC}${DATE_TIME_PARTS}${INTERNAL_ACTOR_PARTS}`;

const REGENERATE_HMAC = `
mutation regenerateWorkspaceHmac {
  regenerateWorkspaceHmac {
    workspaceHmac {
      ...HmacParts
    }
    error {
      ...MutationErrorParts
    }
  }
}
${HMAC}${FRAGMENTS}`;

// What the SDK's WebhookTargetParts leaves out.
const TARGET_VERSION = `
query webhookTargetVersion($id: ID!) {
  webhookTarget(webhookTargetId: $id) {
    id
    version
  }
}`;

const CUSTOMER_CURSORS = `
query customerCursors($first: Int, $after: String) {
  customers(first: $first, after: $after) {
    edges {
      cursor
      node {
        id
      }
    }
    pageInfo {
      startCursor
      endCursor
    }
    totalCount
  }
}`;

const raw = (ws, query, variables = {}) => ws.client.rawRequest({ query, variables });

// ---- helpers that make entities ------------------------------------------------

function createInput(email, onCreate = {}) {
  return {
    identifier: { emailAddress: email },
    onCreate: { fullName: "Ada Lovelace", email: { email, isVerified: false }, ...onCreate },
    onUpdate: {},
  };
}

async function createCustomer(ws, onCreate = {}) {
  const email = onCreate.email?.email ?? uniqueEmail("customer");
  const data = ok(await ws.client.upsertCustomer(createInput(email, onCreate)), "upsertCustomer");
  assert.equal(data.result, "CREATED");
  return data.customer;
}

async function createGroup(ws, input = {}) {
  const key = input.key ?? uniqueKey("group");
  const data = ok(
    await raw(ws, CREATE_GROUP, {
      input: { name: `Group ${key}`, key, color: "#1a2b3c", ...input },
    }),
    "createCustomerGroup"
  );
  assert.equal(data.createCustomerGroup.error, null);
  return data.createCustomerGroup.customerGroup;
}

function targetInput(extra = {}) {
  return {
    url: "https://hooks.example.com/plain",
    eventSubscriptions: [{ eventType: "customer.customer_created" }],
    isEnabled: true,
    description: "hookd compat",
    ...extra,
  };
}

async function createTarget(ws, extra = {}) {
  return ok(await ws.client.createWebhookTarget(targetInput(extra)), "createWebhookTarget");
}

async function membershipGroupIds(ws, customerId, variables = {}) {
  const data = ok(
    await ws.client.getCustomerCustomerGroupMemberships({ customerId, first: 100, ...variables }),
    "getCustomerCustomerGroupMemberships"
  );
  return data.customerGroupMemberships.map((m) => m.customerGroup.id);
}

// Every page of a list, walking forward with first/after or backward with last/before.
async function walk(fetchPage, pick, size, direction) {
  const pages = [];
  let cursor;
  for (let i = 0; i < 20; i++) {
    const vars =
      direction === "forward" ? { first: size, after: cursor } : { last: size, before: cursor };
    const page = ok(await fetchPage(vars), `page ${i + 1} (${direction})`);
    pages.push({ items: pick(page).map((x) => x.id), pageInfo: page.pageInfo, page });
    const more =
      direction === "forward" ? page.pageInfo.hasNextPage : page.pageInfo.hasPreviousPage;
    if (!more) return pages;
    cursor = direction === "forward" ? page.pageInfo.endCursor : page.pageInfo.startCursor;
  }
  assert.fail("pagination did not end within 20 pages");
}

// Checks pages of `size` over `all` (the full list in the server's order).
function assertPages(pages, all, size, direction, what) {
  const count = Math.ceil(all.length / size);
  assert.equal(pages.length, count, `${what}: ${count} pages`);
  pages.forEach(({ items, pageInfo, page }, i) => {
    const first = i === 0;
    const last = i === count - 1;
    let expected;
    if (direction === "forward") {
      expected = all.slice(i * size, (i + 1) * size);
      assertPageInfo(pageInfo, { hasNextPage: !last, hasPreviousPage: !first }, `${what} ${i}`);
    } else {
      expected = all.slice(Math.max(0, all.length - (i + 1) * size), all.length - i * size);
      assertPageInfo(pageInfo, { hasNextPage: !first, hasPreviousPage: !last }, `${what} ${i}`);
    }
    assert.deepEqual(items, expected, `${what}: page ${i + 1}`);
    if ("totalCount" in page) assert.equal(page.totalCount, all.length, `${what}: totalCount`);
  });
}

// ---- getMyWorkspace --------------------------------------------------------------

describe("getMyWorkspace", () => {
  test("returns the key's workspace with every field of WorkspaceParts", async () => {
    const ws = ok(await main.client.getMyWorkspace(), "getMyWorkspace");
    assert.equal(ws.__typename, "Workspace");
    assert.match(ws.id, idRe("w"));
    assert.equal(ws.id, main.workspaceId);
    assert.equal(ws.name, main.name);
    assert.equal(typeof ws.publicName, "string");
    assert.equal(typeof ws.isDemoWorkspace, "boolean");
    const window = { from: Date.now() - 10 * 60 * 1000, to: Date.now() };
    const created = assertDateTime(ws.createdAt, "createdAt", window);
    assert.ok(assertDateTime(ws.updatedAt, "updatedAt", window) >= created);
    assertAnyActor(ws.createdBy, "createdBy");
    assertAnyActor(ws.updatedBy, "updatedBy");
  });

  test("each key sees its own workspace", async () => {
    const ws = ok(await other.client.getMyWorkspace(), "getMyWorkspace");
    assert.equal(ws.id, other.workspaceId);
    assert.equal(ws.name, other.name);
    assert.notEqual(ws.id, main.workspaceId);
  });
});

// ---- upsertCustomer ---------------------------------------------------------------

describe("upsertCustomer", () => {
  let ada; // created by email, then updated through each identifier
  const adaEmail = uniqueEmail("ada");
  const adaExternalId = uniqueKey("ext-ada");

  test("CREATED by emailAddress, with every field of CustomerParts", async () => {
    const input = createInput(adaEmail, {
      fullName: "Ada Lovelace",
      shortName: "Ada",
      externalId: adaExternalId,
    });
    const { result, window } = await timed(() => main.client.upsertCustomer(input));
    const data = ok(result, "upsertCustomer");
    assert.equal(data.result, "CREATED");
    const c = data.customer;
    assert.equal(c.__typename, "Customer");
    assert.match(c.id, idRe("c"));
    assert.equal(c.fullName, "Ada Lovelace");
    assert.equal(c.shortName, "Ada");
    assert.equal(c.externalId, adaExternalId);
    assert.deepEqual(c.email, { email: adaEmail, isVerified: false, verifiedAt: null });
    assert.equal(c.company, null);
    assert.equal(c.markedAsSpamAt, null);
    assertDateTime(c.createdAt, "createdAt", window);
    assert.deepEqual(c.updatedAt, c.createdAt, "a new customer's updatedAt is its createdAt");
    assertMachineUser(main, c.createdBy, "createdBy");
    ada = c;
  });

  test("NOOP when the input changes nothing, and the customer is untouched", async () => {
    const again = createInput(adaEmail, { fullName: "Someone Else" });
    const data = ok(await main.client.upsertCustomer(again), "upsertCustomer");
    assert.equal(data.result, "NOOP");
    assert.deepEqual(data.customer, ada);
  });

  test("NOOP when onUpdate sets the values the customer already has", async () => {
    const data = ok(
      await main.client.upsertCustomer({
        identifier: { emailAddress: adaEmail },
        onCreate: { fullName: "x", email: { email: adaEmail, isVerified: false } },
        onUpdate: {
          fullName: { value: "Ada Lovelace" },
          shortName: { value: "Ada" },
          externalId: { value: adaExternalId },
          email: { email: adaEmail, isVerified: false },
        },
      }),
      "upsertCustomer"
    );
    assert.equal(data.result, "NOOP");
    assert.deepEqual(data.customer, ada);
  });

  test("UPDATED by emailAddress: fullName changes, updatedAt moves, createdAt stays", async () => {
    const { result, window } = await timed(() =>
      main.client.upsertCustomer({
        identifier: { emailAddress: adaEmail },
        onCreate: { fullName: "x", email: { email: adaEmail, isVerified: false } },
        onUpdate: { fullName: { value: "Augusta Ada King" } },
      })
    );
    const data = ok(result, "upsertCustomer");
    assert.equal(data.result, "UPDATED");
    const c = data.customer;
    assert.equal(c.id, ada.id);
    assert.equal(c.fullName, "Augusta Ada King");
    assert.equal(c.shortName, "Ada");
    assert.equal(c.externalId, adaExternalId);
    assert.deepEqual(c.createdAt, ada.createdAt);
    assert.deepEqual(c.createdBy, ada.createdBy);
    const updated = assertDateTime(c.updatedAt, "updatedAt", window);
    assert.ok(updated >= Number(ada.createdAt.unixTimestamp));
    ada = c;
  });

  test("UPDATED by externalId: shortName set to null", async () => {
    const data = ok(
      await main.client.upsertCustomer({
        identifier: { externalId: adaExternalId },
        onCreate: { fullName: "x", email: { email: uniqueEmail("unused"), isVerified: false } },
        onUpdate: { shortName: { value: null } },
      }),
      "upsertCustomer"
    );
    assert.equal(data.result, "UPDATED");
    assert.equal(data.customer.id, ada.id);
    assert.equal(data.customer.shortName, null);
    assert.equal(data.customer.fullName, "Augusta Ada King");
    ada = data.customer;
  });

  test("UPDATED by customerId: a new, verified email sets verifiedAt", async () => {
    const newEmail = uniqueEmail("ada.new");
    const { result, window } = await timed(() =>
      main.client.upsertCustomer({
        identifier: { customerId: ada.id },
        onCreate: { fullName: "x", email: { email: uniqueEmail("unused"), isVerified: false } },
        onUpdate: { email: { email: newEmail, isVerified: true } },
      })
    );
    const data = ok(result, "upsertCustomer");
    assert.equal(data.result, "UPDATED");
    assert.equal(data.customer.id, ada.id);
    assert.equal(data.customer.email.email, newEmail);
    assert.equal(data.customer.email.isVerified, true);
    assertDateTime(data.customer.email.verifiedAt, "verifiedAt", window);
    ada = data.customer;
    assert.equal(ok(await main.client.getCustomerByEmail({ email: adaEmail }), "by email"), null);
    const found = ok(await main.client.getCustomerByEmail({ email: newEmail }), "by email");
    assert.deepEqual(found, ada);
  });

  test("UPDATED by externalId: externalId itself can change and be cleared", async () => {
    const newExternalId = uniqueKey("ext-ada2");
    let data = ok(
      await main.client.upsertCustomer({
        identifier: { externalId: adaExternalId },
        onCreate: { fullName: "x", email: { email: uniqueEmail("unused"), isVerified: false } },
        onUpdate: { externalId: { value: newExternalId } },
      }),
      "upsertCustomer"
    );
    assert.equal(data.result, "UPDATED");
    assert.equal(data.customer.externalId, newExternalId);
    data = ok(
      await main.client.upsertCustomer({
        identifier: { customerId: ada.id },
        onCreate: { fullName: "x", email: { email: uniqueEmail("unused"), isVerified: false } },
        onUpdate: { externalId: { value: null } },
      }),
      "upsertCustomer"
    );
    assert.equal(data.result, "UPDATED");
    assert.equal(data.customer.externalId, null);
    ada = data.customer;
  });

  test("CREATED by externalId", async () => {
    const externalId = uniqueKey("ext-new");
    const email = uniqueEmail("by-external-id");
    const data = ok(
      await main.client.upsertCustomer({
        identifier: { externalId },
        onCreate: { fullName: "Grace Hopper", externalId, email: { email, isVerified: false } },
        onUpdate: {},
      }),
      "upsertCustomer"
    );
    assert.equal(data.result, "CREATED");
    assert.match(data.customer.id, idRe("c"));
    assert.equal(data.customer.externalId, externalId);
    assert.equal(data.customer.email.email, email);
    assert.equal(data.customer.shortName, null);
  });

  test("a customer created verified has verifiedAt", async () => {
    const email = uniqueEmail("verified");
    const { result, window } = await timed(() =>
      main.client.upsertCustomer(createInput(email, { email: { email, isVerified: true } }))
    );
    const c = ok(result, "upsertCustomer").customer;
    assert.equal(c.email.isVerified, true);
    assertDateTime(c.email.verifiedAt, "verifiedAt", window);
  });

  test("by customerId that does not exist: not_found, nothing created", async () => {
    const email = uniqueEmail("ghost");
    const result = await main.client.upsertCustomer({
      identifier: { customerId: missingId("c") },
      onCreate: { fullName: "Ghost", email: { email, isVerified: false } },
      onUpdate: {},
    });
    assertMutationError(result, "not_found");
    assert.equal(ok(await main.client.getCustomerByEmail({ email }), "by email"), null);
  });

  describe("uniqueness", () => {
    let first;
    before(async () => {
      first = await createCustomer(main, { externalId: uniqueKey("ext-first") });
    });

    test("creating with a taken email: customer_already_exists_with_email", async () => {
      const result = await main.client.upsertCustomer({
        identifier: { externalId: uniqueKey("ext-other") },
        onCreate: { fullName: "Copy", email: { email: first.email.email, isVerified: false } },
        onUpdate: {},
      });
      assertMutationError(result, "customer_already_exists_with_email");
    });

    test("emails are unique case-insensitively", async () => {
      const shouted = first.email.email.toUpperCase();
      const result = await main.client.upsertCustomer({
        identifier: { externalId: uniqueKey("ext-other") },
        onCreate: { fullName: "Copy", email: { email: shouted, isVerified: false } },
        onUpdate: {},
      });
      assertMutationError(result, "customer_already_exists_with_email");
    });

    test("changing an email to a taken one: customer_already_exists_with_email", async () => {
      const second = await createCustomer(main);
      const result = await main.client.upsertCustomer({
        identifier: { customerId: second.id },
        onCreate: { fullName: "x", email: { email: uniqueEmail("unused"), isVerified: false } },
        onUpdate: { email: { email: first.email.email, isVerified: false } },
      });
      assertMutationError(result, "customer_already_exists_with_email");
      const unchanged = ok(await main.client.getCustomerById({ customerId: second.id }), "get");
      assert.deepEqual(unchanged, second);
    });

    test("creating with a taken externalId: customer_already_exists_with_external_id", async () => {
      const email = uniqueEmail("copy");
      const result = await main.client.upsertCustomer(
        createInput(email, { externalId: first.externalId })
      );
      assertMutationError(result, "customer_already_exists_with_external_id");
      assert.equal(ok(await main.client.getCustomerByEmail({ email }), "by email"), null);
    });

    test("changing to a taken externalId: customer_already_exists_with_external_id", async () => {
      const second = await createCustomer(main);
      const result = await main.client.upsertCustomer({
        identifier: { emailAddress: second.email.email },
        onCreate: { fullName: "x", email: { email: second.email.email, isVerified: false } },
        onUpdate: { externalId: { value: first.externalId } },
      });
      assertMutationError(result, "customer_already_exists_with_external_id");
    });
  });

  describe("input_validation names the field", () => {
    const long = (n, ch = "x") => ch.repeat(n);
    const cases = [
      ["an empty fullName", { fullName: "" }, /fullName/],
      ["a fullName of 501 characters", { fullName: long(501) }, /fullName/],
      ["a fullName of 501 characters (emoji)", { fullName: long(501, "\u{1F600}") }, /fullName/],
      ["a fullName with a NUL", { fullName: "Ada\u0000Lovelace" }, /fullName/],
      ["an empty shortName", { shortName: "" }, /shortName/],
      ["a shortName of 501 characters", { shortName: long(501) }, /shortName/],
      ["an empty externalId", { externalId: "" }, /externalId/],
      ["an externalId of 501 characters", { externalId: long(501) }, /externalId/],
    ];
    for (const [what, onCreate, field] of cases) {
      test(what, async () => {
        const email = uniqueEmail("invalid");
        const result = await main.client.upsertCustomer(createInput(email, onCreate));
        assertMutationError(result, "input_validation", { field });
        assert.equal(ok(await main.client.getCustomerByEmail({ email }), "by email"), null);
      });
    }

    test("500 characters are fine, counted as characters, not bytes", async () => {
      const c = await createCustomer(main, {
        fullName: long(500, "\u{1F600}"),
        shortName: long(500, "é"),
        externalId: long(500, "\u{1F600}"),
      });
      assert.equal(c.fullName, long(500, "\u{1F600}"));
      assert.equal(c.shortName, long(500, "é"));
    });

    test("an email that is not an email address", async () => {
      const result = await main.client.upsertCustomer({
        identifier: { externalId: uniqueKey("ext-bad-email") },
        onCreate: { fullName: "x", email: { email: "not-an-email", isVerified: false } },
        onUpdate: {},
      });
      assertMutationError(result, "input_validation", { field: /email/ });
    });

    test("an email of 255 characters", async () => {
      const email = `${long(255 - "@example.com".length, "a")}@example.com`;
      const result = await main.client.upsertCustomer(createInput(email));
      assertMutationError(result, "input_validation", { field: /email/ });
    });

    test("an identifier with no key", async () => {
      const email = uniqueEmail("no-identifier");
      const result = await main.client.upsertCustomer({ ...createInput(email), identifier: {} });
      // Plain's schema allows either type for a missing part of the input.
      assertMutationError(result, "input_validation", {
        field: /identifier/,
        fieldType: ["REQUIRED", "VALIDATION"],
      });
    });

    test("an identifier with two keys", async () => {
      const email = uniqueEmail("two-identifiers");
      const result = await main.client.upsertCustomer({
        ...createInput(email),
        identifier: { emailAddress: email, externalId: uniqueKey("ext") },
      });
      assertMutationError(result, "input_validation", { field: /identifier/ });
    });

    // hookd does not model tenants (README): tenants asked for are refused rather than
    // dropped; null or [] asks for none.
    test("onCreate.tenantIdentifiers: refused, nothing created; null or [] accepted", async () => {
      const email = uniqueEmail("tenant");
      const tenantIdentifiers = [{ externalId: "acme" }, { tenantId: missingId("te") }];
      const details = assertMutationError(
        await main.client.upsertCustomer(createInput(email, { tenantIdentifiers })),
        "input_validation",
        { field: /^onCreate\.tenantIdentifiers$/ }
      );
      assert.match(details.message, /tenant/);
      assert.equal(ok(await main.client.getCustomerByEmail({ email }), "by email"), null);
      for (const none of [null, []]) {
        const c = await createCustomer(main, { tenantIdentifiers: none });
        assert.match(c.id, idRe("c"));
      }
    });

    test("an empty fullName in onUpdate, and the customer is unchanged", async () => {
      const c = await createCustomer(main);
      const result = await main.client.upsertCustomer({
        identifier: { customerId: c.id },
        onCreate: { fullName: "x", email: { email: uniqueEmail("unused"), isVerified: false } },
        onUpdate: { fullName: { value: "" } },
      });
      assertMutationError(result, "input_validation", { field: /fullName/ });
      assert.deepEqual(ok(await main.client.getCustomerById({ customerId: c.id }), "get"), c);
    });
  });
});

// ---- getCustomerById / ByEmail / ByExternalId ----------------------------------------

describe("getCustomerById, getCustomerByEmail, getCustomerByExternalId", () => {
  let c;
  before(async () => {
    c = await createCustomer(main, { shortName: "Lin", externalId: uniqueKey("ext-get") });
  });

  test("each finds the customer, with the same fields upsertCustomer returned", async () => {
    assert.deepEqual(ok(await main.client.getCustomerById({ customerId: c.id }), "by id"), c);
    assert.deepEqual(
      ok(await main.client.getCustomerByEmail({ email: c.email.email }), "by email"),
      c
    );
    assert.deepEqual(
      ok(await main.client.getCustomerByExternalId({ externalId: c.externalId }), "by ext id"),
      c
    );
  });

  test("a missing customer is null data, not an error", async () => {
    assert.equal(ok(await main.client.getCustomerById({ customerId: missingId("c") }), "id"), null);
    assert.equal(
      ok(await main.client.getCustomerByEmail({ email: uniqueEmail("nobody") }), "email"),
      null
    );
    assert.equal(
      ok(await main.client.getCustomerByExternalId({ externalId: uniqueKey("nobody") }), "ext"),
      null
    );
  });
});

// ---- getCustomers (in the "lists" workspace, whose contents the test knows) ---------------

describe("getCustomers", () => {
  const TOTAL = 27;
  const created = [];
  let all; // every id, in the server's order
  let vip;
  let beta;
  const inGroup = (...indexes) => indexes.map((i) => created[i].id);

  before(async () => {
    for (let i = 0; i < TOTAL; i++) {
      created.push(await createCustomer(lists, { fullName: `List ${String(i).padStart(2, "0")}` }));
    }
    vip = await createGroup(lists, { key: "vip", name: "VIP" });
    beta = await createGroup(lists, { key: "beta", name: "Beta" });
    for (const [customer, groups] of [
      [0, [vip]],
      [1, [vip]],
      [2, [vip, beta]],
      [3, [beta]],
    ]) {
      ok(
        await lists.client.addCustomerToCustomerGroups({
          customerId: created[customer].id,
          customerGroupIdentifiers: groups.map((g) => ({ customerGroupId: g.id })),
        }),
        "addCustomerToCustomerGroups"
      );
    }
    for (const i of [0, 4]) {
      const input = { customerId: created[i].id };
      const data = ok(await raw(lists, MARK_SPAM, { input }), "markCustomerAsSpam");
      assert.equal(data.markCustomerAsSpam.error, null);
    }
  });

  test("first: 100 lists every customer once, with totalCount", async () => {
    const data = ok(await lists.client.getCustomers({ first: 100 }), "getCustomers");
    all = data.customers.map((c) => c.id);
    assertSameIds(all, created.map((c) => c.id), "all customers");
    assert.equal(data.totalCount, TOTAL);
    assertPageInfo(data.pageInfo, { hasNextPage: false, hasPreviousPage: false }, "all");
    const byId = new Map(data.customers.map((c) => [c.id, c]));
    for (const c of created.slice(5)) assert.deepEqual(byId.get(c.id), c, "list node = customer");
  });

  test("no first or last: the default page of 25", async () => {
    const data = ok(await lists.client.getCustomers({}), "getCustomers");
    assert.deepEqual(
      data.customers.map((c) => c.id),
      all.slice(0, 25)
    );
    assert.equal(data.totalCount, TOTAL);
    assertPageInfo(data.pageInfo, { hasNextPage: true, hasPreviousPage: false }, "default page");
  });

  test("forward with first/after, 3 pages", async () => {
    const pages = await walk(
      (v) => lists.client.getCustomers(v),
      (p) => p.customers,
      10,
      "forward"
    );
    assertPages(pages, all, 10, "forward", "customers");
  });

  test("backward with last/before, 3 pages", async () => {
    const pages = await walk(
      (v) => lists.client.getCustomers(v),
      (p) => p.customers,
      10,
      "backward"
    );
    assertPages(pages, all, 10, "backward", "customers");
  });

  test("startCursor and endCursor are the cursors of the first and last edges", async () => {
    const page = ok(await raw(lists, CUSTOMER_CURSORS, { first: 4 }), "customers").customers;
    assert.equal(page.edges.length, 4);
    assert.equal(page.pageInfo.startCursor, page.edges[0].cursor);
    assert.equal(page.pageInfo.endCursor, page.edges[3].cursor);
    const next = ok(
      await raw(lists, CUSTOMER_CURSORS, { first: 2, after: page.edges[1].cursor }),
      "customers"
    ).customers;
    assert.deepEqual(
      next.edges.map((e) => e.node.id),
      all.slice(2, 4),
      "after an edge's cursor comes the next edge"
    );
  });

  test("past the end: an empty page with null cursors", async () => {
    const last = ok(await lists.client.getCustomers({ last: 1 }), "last").pageInfo.endCursor;
    const data = ok(await lists.client.getCustomers({ first: 5, after: last }), "after last");
    assert.deepEqual(data.customers, []);
    assert.equal(data.totalCount, TOTAL);
    assert.equal(data.pageInfo.hasNextPage, false);
    assert.equal(data.pageInfo.startCursor, null);
    assert.equal(data.pageInfo.endCursor, null);
  });

  test("mixing first and last is BAD_USER_INPUT", async () => {
    assertBadRequest(
      await attempt(() => lists.client.getCustomers({ first: 2, last: 2 })),
      "BAD_USER_INPUT"
    );
  });

  test("mixing first with before, or last with after, is BAD_USER_INPUT", async () => {
    const cursor = ok(await lists.client.getCustomers({ first: 2 }), "page").pageInfo.endCursor;
    assertBadRequest(
      await attempt(() => lists.client.getCustomers({ first: 2, before: cursor })),
      "BAD_USER_INPUT"
    );
    assertBadRequest(
      await attempt(() => lists.client.getCustomers({ last: 2, after: cursor })),
      "BAD_USER_INPUT"
    );
  });

  test("an updatedAt bound that is not a date-time is BAD_USER_INPUT", async () => {
    assertBadRequest(
      await attempt(() =>
        lists.client.getCustomers({ filters: { updatedAt: { after: "yesterday" } } })
      ),
      "BAD_USER_INPUT"
    );
  });

  const filterCases = [
    ["isMarkedAsSpam: true", { isMarkedAsSpam: true }, () => inGroup(0, 4)],
    [
      "isMarkedAsSpam: false",
      { isMarkedAsSpam: false },
      () => created.filter((_, i) => i !== 0 && i !== 4).map((c) => c.id),
    ],
    ["customerGroupIds: [vip]", () => ({ customerGroupIds: [vip.id] }), () => inGroup(0, 1, 2)],
    [
      "customerGroupIds: [vip, beta] (a customer in both once)",
      () => ({ customerGroupIds: [vip.id, beta.id] }),
      () => inGroup(0, 1, 2, 3),
    ],
    ["customerGroupKeys: [beta]", { customerGroupKeys: ["beta"] }, () => inGroup(2, 3)],
    [
      "customerGroupKeys: [vip, beta]",
      { customerGroupKeys: ["vip", "beta"] },
      () => inGroup(0, 1, 2, 3),
    ],
    [
      "isMarkedAsSpam: false with customerGroupKeys: [vip]",
      { isMarkedAsSpam: false, customerGroupKeys: ["vip"] },
      () => inGroup(1, 2),
    ],
    ["a key no group has", { customerGroupKeys: ["no-such-group"] }, () => []],
    ["an id no group has", { customerGroupIds: [missingId("cg")] }, () => []],
    // updatedAt: after is inclusive, before exclusive
    ["updatedAt after 1970", { updatedAt: { after: "1970-01-01T00:00:00Z" } }, () => all],
    ["updatedAt before 1970", { updatedAt: { before: "1970-01-01T00:00:00Z" } }, () => []],
    ["updatedAt after 2100", { updatedAt: { after: "2100-01-01T00:00:00.000Z" } }, () => []],
    [
      "updatedAt before 2100 with customerGroupKeys: [beta]",
      { updatedAt: { before: "2100-01-01T00:00:00Z" }, customerGroupKeys: ["beta"] },
      () => inGroup(2, 3),
    ],
    // hookd models no tenants or companies: nobody is in one
    ["tenantIdentifiers: [acme]", { tenantIdentifiers: [{ externalId: "acme" }] }, () => []],
    ["companyIdentifiers: [plain.com]", { companyIdentifiers: [{ companyDomainName: "plain.com" }] }, () => []],
    ["tenantIdentifiers: []", { tenantIdentifiers: [] }, () => all],
  ];
  for (const [what, filters, expected] of filterCases) {
    test(`filter ${what}`, async () => {
      const f = typeof filters === "function" ? filters() : filters;
      const data = ok(await lists.client.getCustomers({ filters: f, first: 100 }), what);
      const ids = data.customers.map((c) => c.id);
      assertSameIds(ids, expected(), what);
      assert.equal(data.totalCount, expected().length, `${what}: totalCount`);
      // Filtering keeps the order of the whole list.
      assert.deepEqual(
        ids,
        all.filter((id) => ids.includes(id))
      );
    });
  }

  test("a filtered list pages too, with the filtered totalCount", async () => {
    const filters = { customerGroupIds: [vip.id, beta.id] };
    const pages = await walk(
      (v) => lists.client.getCustomers({ filters, ...v }),
      (p) => p.customers,
      3,
      "forward"
    );
    const expected = all.filter((id) => inGroup(0, 1, 2, 3).includes(id));
    assertPages(pages, expected, 3, "forward", "filtered customers");
  });
});

// ---- getCustomers sorted by FULL_NAME ------------------------------------------------

// Customers of one group of the main workspace, so that the suite knows the whole list.
// Names compare byte by byte (README: UTF-8 byte order, no locale), then ids break ties.
describe("getCustomers with sortBy FULL_NAME", () => {
  const NAMES = ["bob", "Alice", "bob", "Zoe", "alice", "\u00c9mile", "bob", "Carl"];
  let group;
  const created = [];
  let asc; // ids in ascending order
  const sortBy = (direction) => ({ field: "FULL_NAME", direction });
  const fetch = (direction, vars) =>
    main.client.getCustomers({
      sortBy: sortBy(direction),
      filters: { customerGroupIds: [group.id] },
      ...vars,
    });
  const byNameThenId = (a, b) =>
    Buffer.compare(Buffer.from(a.fullName), Buffer.from(b.fullName)) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

  before(async () => {
    group = await createGroup(main);
    for (const fullName of NAMES) {
      created.push(
        await createCustomer(main, {
          fullName,
          customerGroupIdentifiers: [{ customerGroupId: group.id }],
        })
      );
    }
    asc = [...created].sort(byNameThenId).map((c) => c.id);
  });

  test("ASC: first/after through 3 pages, ties in id order", async () => {
    const all = ok(await fetch("ASC", { first: 100 }), "getCustomers");
    assert.deepEqual(
      all.customers.map((c) => c.id),
      asc
    );
    assert.deepEqual(
      all.customers.map((c) => c.fullName),
      ["Alice", "Carl", "Zoe", "alice", "bob", "bob", "bob", "\u00c9mile"]
    );
    assert.equal(all.totalCount, NAMES.length);
    const pages = await walk((v) => fetch("ASC", v), (p) => p.customers, 3, "forward");
    assertPages(pages, asc, 3, "forward", "sorted ASC");
  });

  test("DESC: last/before and first/after", async () => {
    const desc = [...asc].reverse();
    assertPages(
      await walk((v) => fetch("DESC", v), (p) => p.customers, 3, "backward"),
      desc,
      3,
      "backward",
      "sorted DESC, backward"
    );
    assertPages(
      await walk((v) => fetch("DESC", v), (p) => p.customers, 3, "forward"),
      desc,
      3,
      "forward",
      "sorted DESC, forward"
    );
  });

  test("the customer at the cursor renamed: the next page is the one after the cursor", async () => {
    const first = ok(await fetch("ASC", { first: 3 }), "page 1");
    const renamed = first.customers[2];
    ok(
      await main.client.upsertCustomer({
        identifier: { customerId: renamed.id },
        onCreate: { fullName: "x", email: { email: uniqueEmail("unused"), isVerified: false } },
        onUpdate: { fullName: { value: "AAA renamed" } },
      }),
      "rename"
    );
    const next = ok(await fetch("ASC", { first: 3, after: first.pageInfo.endCursor }), "page 2");
    assert.deepEqual(
      next.customers.map((c) => c.id),
      asc.slice(3, 6)
    );
    assert.equal(next.pageInfo.hasPreviousPage, true);
    assert.equal(next.pageInfo.hasNextPage, true);
  });

  test("a cursor that is not one of this sorted list's is BAD_USER_INPUT", async () => {
    for (const after of [created[0].id, "fn1.nonsense"]) {
      assertBadRequest(await attempt(() => fetch("ASC", { first: 2, after })), "BAD_USER_INPUT");
    }
  });
});

// ---- deleteCustomer ---------------------------------------------------------------

describe("deleteCustomer", () => {
  test("deletes: the SDK returns null data, and the customer is gone", async () => {
    const c = await createCustomer(main, { externalId: uniqueKey("ext-del") });
    assert.equal(ok(await main.client.deleteCustomer({ customerId: c.id }), "delete"), null);
    assert.equal(ok(await main.client.getCustomerById({ customerId: c.id }), "by id"), null);
    assert.equal(
      ok(await main.client.getCustomerByEmail({ email: c.email.email }), "by email"),
      null
    );
    assert.equal(
      ok(await main.client.getCustomerByExternalId({ externalId: c.externalId }), "by ext"),
      null
    );
  });

  test("deleting it again, or an id that never existed: not_found", async () => {
    const c = await createCustomer(main);
    ok(await main.client.deleteCustomer({ customerId: c.id }), "delete");
    assertMutationError(await main.client.deleteCustomer({ customerId: c.id }), "not_found");
    assertMutationError(
      await main.client.deleteCustomer({ customerId: missingId("c") }),
      "not_found"
    );
  });

  test("the email and externalId are free again afterwards", async () => {
    const c = await createCustomer(main, { externalId: uniqueKey("ext-reuse") });
    ok(await main.client.deleteCustomer({ customerId: c.id }), "delete");
    const again = await createCustomer(main, {
      email: { email: c.email.email, isVerified: false },
      externalId: c.externalId,
    });
    assert.notEqual(again.id, c.id);
  });

  test("a customer in groups can be deleted, and leaves the groups empty", async () => {
    const c = await createCustomer(main);
    const g = await createGroup(main);
    ok(
      await main.client.addCustomerToCustomerGroups({
        customerId: c.id,
        customerGroupIdentifiers: [{ customerGroupId: g.id }],
      }),
      "add"
    );
    ok(await main.client.deleteCustomer({ customerId: c.id }), "delete");
    const data = ok(await raw(main, DELETE_GROUP, { input: { customerGroupId: g.id } }), "del");
    assert.equal(data.deleteCustomerGroup.error, null, "the group has no memberships left");
  });
});

// ---- markCustomerAsSpam / unmarkCustomerAsSpam (rawRequest) ------------------------------

describe("markCustomerAsSpam and unmarkCustomerAsSpam", () => {
  let c;
  before(async () => {
    c = await createCustomer(main);
  });

  test("marking sets markedAsSpamAt/By and updatedAt/By", async () => {
    const { result, window } = await timed(() =>
      raw(main, MARK_SPAM, { input: { customerId: c.id } })
    );
    const out = ok(result, "markCustomerAsSpam").markCustomerAsSpam;
    assert.equal(out.error, null);
    assert.equal(out.customer.__typename, "Customer");
    assert.equal(out.customer.id, c.id);
    assertDateTime(out.customer.markedAsSpamAt, "markedAsSpamAt", window);
    assertMachineUser(main, out.customer.markedAsSpamBy, "markedAsSpamBy");
    assertDateTime(out.customer.updatedAt, "updatedAt", window);
    assertMachineUser(main, out.customer.updatedBy, "updatedBy");
    const fetched = ok(await main.client.getCustomerById({ customerId: c.id }), "get");
    assert.deepEqual(fetched.markedAsSpamAt, out.customer.markedAsSpamAt);
  });

  test("marking again: customer_already_marked_as_spam", async () => {
    assertMutationError(
      await raw(main, MARK_SPAM, { input: { customerId: c.id } }),
      "customer_already_marked_as_spam"
    );
  });

  test("un-marking clears both spam fields", async () => {
    const { result, window } = await timed(() =>
      raw(main, UNMARK_SPAM, { input: { customerId: c.id } })
    );
    const out = ok(result, "unmarkCustomerAsSpam").unmarkCustomerAsSpam;
    assert.equal(out.error, null);
    assert.equal(out.customer.id, c.id);
    assert.equal(out.customer.markedAsSpamAt, null);
    assert.equal(out.customer.markedAsSpamBy, null);
    assertDateTime(out.customer.updatedAt, "updatedAt", window);
    const fetched = ok(await main.client.getCustomerById({ customerId: c.id }), "get");
    assert.equal(fetched.markedAsSpamAt, null);
  });

  test("un-marking again: customer_is_not_marked_as_spam", async () => {
    assertMutationError(
      await raw(main, UNMARK_SPAM, { input: { customerId: c.id } }),
      "customer_is_not_marked_as_spam"
    );
  });

  test("an unknown customer: not_found, both ways", async () => {
    const input = { customerId: missingId("c") };
    assertMutationError(await raw(main, MARK_SPAM, { input }), "not_found");
    assertMutationError(await raw(main, UNMARK_SPAM, { input }), "not_found");
  });
});

// ---- customer groups ---------------------------------------------------------------

describe("customer groups", () => {
  let g;

  test("createCustomerGroup (rawRequest) returns every field", async () => {
    const key = uniqueKey("enterprise");
    const externalId = uniqueKey("crm-group");
    const { result, window } = await timed(() =>
      raw(main, CREATE_GROUP, {
        input: { name: "Enterprise", key, color: "#ff00aa", externalId },
      })
    );
    const out = ok(result, "createCustomerGroup").createCustomerGroup;
    assert.equal(out.error, null);
    g = out.customerGroup;
    assert.equal(g.__typename, "CustomerGroup");
    assert.match(g.id, idRe("cg"));
    assert.equal(g.name, "Enterprise");
    assert.equal(g.key, key);
    assert.equal(g.color, "#ff00aa");
    assert.equal(g.externalId, externalId);
    assertDateTime(g.createdAt, "createdAt", window);
    assert.deepEqual(g.updatedAt, g.createdAt);
    assertMachineUser(main, g.createdBy, "createdBy");
    assertMachineUser(main, g.updatedBy, "updatedBy");
  });

  test("externalId is optional (null)", async () => {
    const group = await createGroup(main);
    assert.equal(group.externalId, null);
  });

  test("getCustomerGroupById returns CustomerGroupParts; a missing one is null", async () => {
    const found = ok(await main.client.getCustomerGroupById({ customerGroupId: g.id }), "get");
    assert.deepEqual(found, {
      __typename: "CustomerGroup",
      id: g.id,
      name: g.name,
      key: g.key,
      color: g.color,
    });
    assert.equal(
      ok(await main.client.getCustomerGroupById({ customerGroupId: missingId("cg") }), "get"),
      null
    );
  });

  test("getCustomerGroups lists it", async () => {
    const data = ok(await main.client.getCustomerGroups({ first: 100 }), "getCustomerGroups");
    const found = data.customerGroups.find((x) => x.id === g.id);
    assert.deepEqual(found, {
      __typename: "CustomerGroup",
      id: g.id,
      name: g.name,
      key: g.key,
      color: g.color,
    });
    assert.equal(data.pageInfo.hasNextPage, false);
  });

  test("a taken key: customer_group_key_already_exists, nothing created", async () => {
    const before = ok(await main.client.getCustomerGroups({ first: 100 }), "list");
    assertMutationError(
      await raw(main, CREATE_GROUP, { input: { name: "Copy", key: g.key, color: "#000000" } }),
      "customer_group_key_already_exists"
    );
    const after = ok(await main.client.getCustomerGroups({ first: 100 }), "list");
    assert.equal(after.customerGroups.length, before.customerGroups.length);
  });

  const invalid = [
    ["an empty name", { name: "" }, /name/],
    ["a name of 501 characters", { name: "n".repeat(501) }, /name/],
    ["an empty key", { key: "" }, /key/],
    ["a key of 51 characters", { key: "k".repeat(51) }, /key/],
    ["a color that is not #hex", { color: "red" }, /color/],
    ["a color with a non-hex digit", { color: "#12345g" }, /color/],
  ];
  for (const [what, override, field] of invalid) {
    test(`createCustomerGroup with ${what}: input_validation`, async () => {
      const input = { name: "Valid", key: uniqueKey("valid"), color: "#123456", ...override };
      assertMutationError(await raw(main, CREATE_GROUP, { input }), "input_validation", {
        field,
      });
    });
  }

  test("updateCustomerGroup (rawRequest) changes what it is given", async () => {
    const key = uniqueKey("renamed");
    const { result, window } = await timed(() =>
      raw(main, UPDATE_GROUP, {
        input: {
          customerGroupId: g.id,
          name: { value: "Enterprise Plus" },
          key: { value: key },
          color: { value: "#00ff00" },
          externalId: { value: null },
        },
      })
    );
    const out = ok(result, "updateCustomerGroup").updateCustomerGroup;
    assert.equal(out.error, null);
    const u = out.customerGroup;
    assert.equal(u.id, g.id);
    assert.equal(u.name, "Enterprise Plus");
    assert.equal(u.key, key);
    assert.equal(u.color, "#00ff00");
    assert.equal(u.externalId, null);
    assert.deepEqual(u.createdAt, g.createdAt);
    assertDateTime(u.updatedAt, "updatedAt", window);
    assertMachineUser(main, u.updatedBy, "updatedBy");
    const found = ok(await main.client.getCustomerGroupById({ customerGroupId: g.id }), "get");
    assert.equal(found.key, key);
    // Only the name: the rest stays.
    const again = ok(
      await raw(main, UPDATE_GROUP, { input: { customerGroupId: g.id, name: { value: "E+" } } }),
      "update"
    ).updateCustomerGroup.customerGroup;
    assert.equal(again.name, "E+");
    assert.equal(again.key, key);
    assert.equal(again.color, "#00ff00");
    g = again;
  });

  test("updateCustomerGroup to a taken key: customer_group_key_already_exists", async () => {
    const otherGroup = await createGroup(main);
    assertMutationError(
      await raw(main, UPDATE_GROUP, {
        input: { customerGroupId: g.id, key: { value: otherGroup.key } },
      }),
      "customer_group_key_already_exists"
    );
  });

  test("updateCustomerGroup with an empty name: input_validation", async () => {
    assertMutationError(
      await raw(main, UPDATE_GROUP, { input: { customerGroupId: g.id, name: { value: "" } } }),
      "input_validation",
      { field: /name/ }
    );
  });

  test("updateCustomerGroup of an unknown group: not_found", async () => {
    assertMutationError(
      await raw(main, UPDATE_GROUP, {
        input: { customerGroupId: missingId("cg"), name: { value: "x" } },
      }),
      "not_found"
    );
  });

  test("deleteCustomerGroup: customer_group_has_memberships while it has members", async () => {
    const c = await createCustomer(main);
    ok(
      await main.client.addCustomerToCustomerGroups({
        customerId: c.id,
        customerGroupIdentifiers: [{ customerGroupId: g.id }],
      }),
      "add"
    );
    assertMutationError(
      await raw(main, DELETE_GROUP, { input: { customerGroupId: g.id } }),
      "customer_group_has_memberships"
    );
    assert.ok(ok(await main.client.getCustomerGroupById({ customerGroupId: g.id }), "get"));
    ok(
      await main.client.removeCustomerFromCustomerGroups({
        customerId: c.id,
        customerGroupIdentifiers: [{ customerGroupId: g.id }],
      }),
      "remove"
    );
    const out = ok(await raw(main, DELETE_GROUP, { input: { customerGroupId: g.id } }), "delete");
    assert.equal(out.deleteCustomerGroup.error, null);
    assert.equal(
      ok(await main.client.getCustomerGroupById({ customerGroupId: g.id }), "get"),
      null
    );
  });

  test("deleteCustomerGroup of a deleted or unknown group: not_found", async () => {
    assertMutationError(
      await raw(main, DELETE_GROUP, { input: { customerGroupId: g.id } }),
      "not_found"
    );
    assertMutationError(
      await raw(main, DELETE_GROUP, { input: { customerGroupId: missingId("cg") } }),
      "not_found"
    );
  });

  test("getCustomerGroups pages both ways (lists workspace)", async () => {
    // The lists workspace holds vip and beta (getCustomers) and these three.
    for (let i = 0; i < 3; i++) await createGroup(lists);
    const all = ok(await lists.client.getCustomerGroups({ first: 100 }), "all").customerGroups;
    assert.equal(all.length, 5);
    const ids = all.map((x) => x.id);
    const fetchPage = (v) => lists.client.getCustomerGroups(v);
    const pick = (p) => p.customerGroups;
    assertPages(await walk(fetchPage, pick, 2, "forward"), ids, 2, "forward", "groups");
    assertPages(await walk(fetchPage, pick, 2, "backward"), ids, 2, "backward", "groups");
  });
});

// ---- memberships ------------------------------------------------------------------

describe("customer group memberships", () => {
  let c;
  let g1;
  let g2;
  let added;

  before(async () => {
    c = await createCustomer(main);
    g1 = await createGroup(main, { externalId: uniqueKey("crm-g1") });
    g2 = await createGroup(main, { externalId: uniqueKey("crm-g2") });
  });

  test("addCustomerToCustomerGroups by id and by key returns the memberships", async () => {
    const { result, window } = await timed(() =>
      main.client.addCustomerToCustomerGroups({
        customerId: c.id,
        customerGroupIdentifiers: [{ customerGroupId: g1.id }, { customerGroupKey: g2.key }],
      })
    );
    added = ok(result, "addCustomerToCustomerGroups");
    assert.equal(added.length, 2);
    assertSameIds(
      added.map((m) => m.customerGroup.id),
      [g1.id, g2.id],
      "groups"
    );
    for (const m of added) {
      const g = m.customerGroup.id === g1.id ? g1 : g2;
      assert.equal(m.__typename, "CustomerGroupMembership");
      assert.equal(m.customerId, c.id);
      assert.deepEqual(m.customerGroup, {
        __typename: "CustomerGroup",
        id: g.id,
        name: g.name,
        key: g.key,
        color: g.color,
      });
      assertDateTime(m.createdAt, "createdAt", window);
      assertDateTime(m.updatedAt, "updatedAt", window);
      assertMachineUser(main, m.createdBy, "createdBy");
      assertMachineUser(main, m.updatedBy, "updatedBy");
    }
  });

  test("getCustomerCustomerGroupMemberships lists them, with pageInfo", async () => {
    const data = ok(
      await main.client.getCustomerCustomerGroupMemberships({ customerId: c.id }),
      "memberships"
    );
    const byGroup = (list) =>
      [...list].sort((a, b) => a.customerGroup.id.localeCompare(b.customerGroup.id));
    assert.deepEqual(byGroup(data.customerGroupMemberships), byGroup(added));
    assertPageInfo(data.pageInfo, { hasNextPage: false, hasPreviousPage: false }, "memberships");
  });

  test("filter customerGroupExternalIds", async () => {
    assert.deepEqual(
      await membershipGroupIds(main, c.id, {
        filters: { customerGroupExternalIds: [g2.externalId] },
      }),
      [g2.id]
    );
  });

  test("memberships page with first/after", async () => {
    const data = ok(
      await main.client.getCustomerCustomerGroupMemberships({ customerId: c.id, first: 1 }),
      "page 1"
    );
    assert.equal(data.customerGroupMemberships.length, 1);
    assertPageInfo(data.pageInfo, { hasNextPage: true, hasPreviousPage: false }, "page 1");
    const next = ok(
      await main.client.getCustomerCustomerGroupMemberships({
        customerId: c.id,
        first: 1,
        after: data.pageInfo.endCursor,
      }),
      "page 2"
    );
    assert.equal(next.customerGroupMemberships.length, 1);
    assertPageInfo(next.pageInfo, { hasNextPage: false, hasPreviousPage: true }, "page 2");
    assertSameIds(
      [...data.customerGroupMemberships, ...next.customerGroupMemberships].map(
        (m) => m.customerGroup.id
      ),
      [g1.id, g2.id],
      "both pages"
    );
  });

  test("adding a group again succeeds and leaves that membership as it was", async () => {
    const again = ok(
      await main.client.addCustomerToCustomerGroups({
        customerId: c.id,
        customerGroupIdentifiers: [{ customerGroupId: g1.id }],
      }),
      "add again"
    );
    assert.equal(again.length, 1);
    const before = added.find((m) => m.customerGroup.id === g1.id);
    assert.deepEqual(again[0].createdAt, before.createdAt);
    assertSameIds(await membershipGroupIds(main, c.id), [g1.id, g2.id], "still two");
  });

  test("an unknown group or customer: not_found, and nothing is added", async () => {
    const g3 = await createGroup(main);
    for (const customerGroupIdentifiers of [
      [{ customerGroupId: g3.id }, { customerGroupId: missingId("cg") }],
      [{ customerGroupId: g3.id }, { customerGroupKey: uniqueKey("no-such-key") }],
    ]) {
      assertMutationError(
        await main.client.addCustomerToCustomerGroups({
          customerId: c.id,
          customerGroupIdentifiers,
        }),
        "not_found"
      );
    }
    assertSameIds(await membershipGroupIds(main, c.id), [g1.id, g2.id], "unchanged");
    assertMutationError(
      await main.client.addCustomerToCustomerGroups({
        customerId: missingId("c"),
        customerGroupIdentifiers: [{ customerGroupId: g3.id }],
      }),
      "not_found"
    );
  });

  test("removeCustomerFromCustomerGroups removes (null data)", async () => {
    const data = ok(
      await main.client.removeCustomerFromCustomerGroups({
        customerId: c.id,
        customerGroupIdentifiers: [{ customerGroupKey: g1.key }],
      }),
      "remove"
    );
    assert.equal(data, null);
    assert.deepEqual(await membershipGroupIds(main, c.id), [g2.id]);
  });

  test("removing from a group the customer is not in: not_found", async () => {
    assertMutationError(
      await main.client.removeCustomerFromCustomerGroups({
        customerId: c.id,
        customerGroupIdentifiers: [{ customerGroupId: g1.id }],
      }),
      "not_found"
    );
    assert.deepEqual(await membershipGroupIds(main, c.id), [g2.id]);
  });

  test("an unknown customer has no memberships (and no pageInfo)", async () => {
    const data = ok(
      await main.client.getCustomerCustomerGroupMemberships({ customerId: missingId("c") }),
      "memberships"
    );
    assert.deepEqual(data, { customerGroupMemberships: [], pageInfo: null });
  });
});

describe("upsertCustomer with onCreate.customerGroupIdentifiers", () => {
  let g1;
  let g2;
  let g3;

  before(async () => {
    g1 = await createGroup(main);
    g2 = await createGroup(main);
    g3 = await createGroup(main);
  });

  test("CREATED joins the groups named by id and by key, in the same call", async () => {
    const email = uniqueEmail("grouped");
    const data = ok(
      await main.client.upsertCustomer(
        createInput(email, {
          customerGroupIdentifiers: [{ customerGroupId: g1.id }, { customerGroupKey: g2.key }],
        })
      ),
      "upsertCustomer"
    );
    assert.equal(data.result, "CREATED");
    assertSameIds(await membershipGroupIds(main, data.customer.id), [g1.id, g2.id], "memberships");
    const listed = ok(
      await main.client.getCustomerCustomerGroupMemberships({ customerId: data.customer.id }),
      "memberships"
    );
    for (const m of listed.customerGroupMemberships) {
      assert.equal(m.customerId, data.customer.id);
      assertMachineUser(main, m.createdBy, "membership createdBy");
    }

    // the customer exists: onCreate (its groups included) is ignored
    const again = ok(
      await main.client.upsertCustomer(
        createInput(email, { customerGroupIdentifiers: [{ customerGroupId: g3.id }] })
      ),
      "upsertCustomer again"
    );
    assert.equal(again.result, "NOOP");
    assertSameIds(await membershipGroupIds(main, data.customer.id), [g1.id, g2.id], "unchanged");
    const updated = ok(
      await main.client.upsertCustomer({
        ...createInput(email, { customerGroupIdentifiers: [{ customerGroupKey: g3.key }] }),
        onUpdate: { fullName: { value: "Grouped, renamed" } },
      }),
      "upsertCustomer update"
    );
    assert.equal(updated.result, "UPDATED");
    assertSameIds(await membershipGroupIds(main, data.customer.id), [g1.id, g2.id], "still two");
  });

  test("an unknown group: not_found naming it, and no customer is created", async () => {
    for (const [identifier, field] of [
      [
        { customerGroupKey: uniqueKey("no-such-key") },
        /^onCreate\.customerGroupIdentifiers\[1\]\.customerGroupKey$/,
      ],
      [
        { customerGroupId: missingId("cg") },
        /^onCreate\.customerGroupIdentifiers\[1\]\.customerGroupId$/,
      ],
    ]) {
      const email = uniqueEmail("ungrouped");
      const customerGroupIdentifiers = [{ customerGroupId: g1.id }, identifier];
      assertMutationError(
        await main.client.upsertCustomer(createInput(email, { customerGroupIdentifiers })),
        "not_found",
        { field, fieldType: "NOT_FOUND" }
      );
      assert.equal(ok(await main.client.getCustomerByEmail({ email }), "by email"), null);
    }
  });

  test("more than 100 identifiers: input_validation naming the list, nothing created", async () => {
    const email = uniqueEmail("many-groups");
    const details = assertMutationError(
      await main.client.upsertCustomer(
        createInput(email, {
          customerGroupIdentifiers: Array.from({ length: 101 }, () => ({ customerGroupId: g1.id })),
        })
      ),
      "input_validation",
      { field: /^onCreate\.customerGroupIdentifiers$/ }
    );
    assert.match(details.message, /at most 100 items/);
    assert.equal(ok(await main.client.getCustomerByEmail({ email }), "by email"), null);
  });
});

// ---- webhook targets ----------------------------------------------------------------

const targetVersion = async (ws, id) =>
  ok(await raw(ws, TARGET_VERSION, { id }), "webhookTarget version").webhookTarget?.version;

describe("webhook targets", () => {
  let t;

  test("createWebhookTarget returns every field of WebhookTargetParts", async () => {
    const input = targetInput({
      url: "https://hooks.example.com/plain/customers?team=1",
      eventSubscriptions: [
        { eventType: "customer.customer_updated" },
        { eventType: "customer.customer_created" },
      ],
      description: "Customer changes",
    });
    const { result, window } = await timed(() => main.client.createWebhookTarget(input));
    t = ok(result, "createWebhookTarget");
    assert.match(t.id, idRe("whTarget"));
    assert.equal(t.url, input.url);
    assert.equal(t.isEnabled, true);
    assert.equal(t.description, "Customer changes");
    assert.deepEqual(t.eventSubscriptions, [
      { __typename: "WebhookTargetEventSubscription", eventType: "customer.customer_updated" },
      { __typename: "WebhookTargetEventSubscription", eventType: "customer.customer_created" },
    ]);
    assertDateTime(t.createdAt, "createdAt", window);
    assert.deepEqual(t.updatedAt, t.createdAt);
    assertMachineUser(main, t.createdBy, "createdBy");
    assertMachineUser(main, t.updatedBy, "updatedBy");
  });

  test("without a version it gets the latest one", async () => {
    assert.equal(await targetVersion(main, t.id), LATEST_VERSION);
  });

  test("a version can be pinned at creation", async () => {
    const pinned = await createTarget(main, { version: "2024-09-18", isEnabled: false });
    assert.equal(pinned.isEnabled, false);
    assert.equal(await targetVersion(main, pinned.id), "2024-09-18");
  });

  test("getWebhookTargetById returns it; a missing one is null", async () => {
    assert.deepEqual(ok(await main.client.getWebhookTargetById({ id: t.id }), "get"), t);
    assert.equal(
      ok(await main.client.getWebhookTargetById({ id: missingId("whTarget") }), "get"),
      null
    );
  });

  test("getWebhookTargets lists it", async () => {
    const data = ok(await main.client.getWebhookTargets({ first: 100 }), "getWebhookTargets");
    assert.deepEqual(
      data.webhookTargets.find((x) => x.id === t.id),
      t
    );
    assert.equal(data.pageInfo.hasNextPage, false);
  });

  test("updateWebhookTarget changes every field it is given", async () => {
    const { result, window } = await timed(() =>
      main.client.updateWebhookTarget({
        webhookTargetId: t.id,
        url: { value: "https://hooks.example.org/v2" },
        description: { value: "Deletions only" },
        isEnabled: { value: false },
        eventSubscriptions: [{ eventType: "customer.customer_deleted" }],
        version: { value: "2025-08-06" },
      })
    );
    const u = ok(result, "updateWebhookTarget");
    assert.equal(u.id, t.id);
    assert.equal(u.url, "https://hooks.example.org/v2");
    assert.equal(u.description, "Deletions only");
    assert.equal(u.isEnabled, false);
    assert.deepEqual(u.eventSubscriptions, [
      { __typename: "WebhookTargetEventSubscription", eventType: "customer.customer_deleted" },
    ]);
    assert.deepEqual(u.createdAt, t.createdAt);
    assertDateTime(u.updatedAt, "updatedAt", window);
    assertMachineUser(main, u.updatedBy, "updatedBy");
    assert.equal(await targetVersion(main, t.id), "2025-08-06");
    assert.deepEqual(ok(await main.client.getWebhookTargetById({ id: t.id }), "get"), u);
    t = u;
  });

  test("updateWebhookTarget leaves alone what it is not given", async () => {
    const u = ok(
      await main.client.updateWebhookTarget({ webhookTargetId: t.id, isEnabled: { value: true } }),
      "updateWebhookTarget"
    );
    assert.equal(u.isEnabled, true);
    assert.equal(u.url, t.url);
    assert.equal(u.description, t.description);
    assert.deepEqual(u.eventSubscriptions, t.eventSubscriptions);
    assert.equal(await targetVersion(main, t.id), "2025-08-06");
    t = u;
  });

  test("updateWebhookTarget of an unknown target: not_found", async () => {
    assertMutationError(
      await main.client.updateWebhookTarget({
        webhookTargetId: missingId("whTarget"),
        isEnabled: { value: false },
      }),
      "not_found"
    );
  });

  test("updateWebhookTarget with an http:// url: input_validation, unchanged", async () => {
    assertMutationError(
      await main.client.updateWebhookTarget({
        webhookTargetId: t.id,
        url: { value: "http://hooks.example.com/plain" },
      }),
      "input_validation",
      { field: /url/ }
    );
    assert.deepEqual(ok(await main.client.getWebhookTargetById({ id: t.id }), "get"), t);
  });

  test("deleteWebhookTarget deletes (null data); again: not_found", async () => {
    assert.equal(
      ok(await main.client.deleteWebhookTarget({ webhookTargetId: t.id }), "delete"),
      null
    );
    assert.equal(ok(await main.client.getWebhookTargetById({ id: t.id }), "get"), null);
    assertMutationError(
      await main.client.deleteWebhookTarget({ webhookTargetId: t.id }),
      "not_found"
    );
  });

  const invalid = [
    ["a plain-text http:// url", { url: "http://hooks.example.com/x" }, /url/],
    ["a url that is not one", { url: "not a url" }, /url/],
    ["a loopback address", { url: "https://127.0.0.1/x" }, /url/],
    ["localhost", { url: "https://localhost:8443/x" }, /url/],
    ["a private address", { url: "https://10.1.2.3/x" }, /url/],
    ["a private address (192.168)", { url: "https://192.168.0.10/x" }, /url/],
    ["a link-local address", { url: "https://169.254.169.254/latest" }, /url/],
    ["the IPv6 loopback", { url: "https://[::1]/x" }, /url/],
    ["the unspecified address", { url: "https://0.0.0.0/x" }, /url/],
    [
      "an unknown event type",
      { eventSubscriptions: [{ eventType: "customer.customer_exploded" }] },
      /eventSubscriptions|eventType/,
    ],
    ["an unknown version", { version: "2020-01-01" }, /version/],
  ];
  for (const [what, override, field] of invalid) {
    test(`createWebhookTarget with ${what}: input_validation naming the field`, async () => {
      assertMutationError(
        await main.client.createWebhookTarget(targetInput(override)),
        "input_validation",
        { field }
      );
    });
  }

  test("credentials in the url are never shown back in full", async () => {
    const secret = "s3cr3t-Pa55word";
    const created = await createTarget(main, {
      url: `https://hook-user:${secret}@hooks.example.com/with-auth`,
    });
    const shown = [
      created.url,
      ok(await main.client.getWebhookTargetById({ id: created.id }), "get").url,
      ok(await main.client.getWebhookTargets({ first: 100 }), "list").webhookTargets.find(
        (x) => x.id === created.id
      ).url,
    ];
    for (const url of shown) {
      assert.ok(!url.includes(secret), `the password is not in ${url}`);
      assert.ok(url.includes("hooks.example.com/with-auth"), `the rest of the url is: ${url}`);
    }
  });

  test("getWebhookTargets pages both ways (lists workspace)", async () => {
    for (let i = 0; i < 5; i++) await createTarget(lists, { description: `target ${i}` });
    const all = ok(await lists.client.getWebhookTargets({ first: 100 }), "all").webhookTargets;
    assert.equal(all.length, 5);
    const ids = all.map((x) => x.id);
    const fetchPage = (v) => lists.client.getWebhookTargets(v);
    const pick = (p) => p.webhookTargets;
    assertPages(await walk(fetchPage, pick, 2, "forward"), ids, 2, "forward", "targets");
    assertPages(await walk(fetchPage, pick, 2, "backward"), ids, 2, "backward", "targets");
  });
});

describe("at most 25 webhook targets per workspace (limits workspace)", () => {
  test("the 26th: too_many_webhook_targets; after a delete there is room again", async () => {
    const made = [];
    for (let i = 0; i < 25; i++) made.push(await createTarget(limits, { description: `#${i}` }));
    assertMutationError(
      await limits.client.createWebhookTarget(targetInput({ description: "#26" })),
      "too_many_webhook_targets"
    );
    const list = ok(await limits.client.getWebhookTargets({ first: 100 }), "list");
    assertSameIds(
      list.webhookTargets.map((x) => x.id),
      made.map((x) => x.id),
      "the 25"
    );
    ok(await limits.client.deleteWebhookTarget({ webhookTargetId: made[0].id }), "delete");
    await createTarget(limits, { description: "#26, after a delete" });
  });
});

// ---- webhookVersions, workspaceHmac, regenerateWorkspaceHmac (rawRequest) --------------------

describe("webhookVersions", () => {
  test("lists the supported versions, the latest one marked", async () => {
    const data = ok(await raw(main, WEBHOOK_VERSIONS), "webhookVersions").webhookVersions;
    const nodes = data.edges.map((e) => e.node);
    assert.deepEqual(nodes.map((n) => n.version).sort(), VERSIONS);
    for (const n of nodes) {
      assert.equal(n.__typename, "WebhookVersion");
      assert.equal(n.isLatest, n.version === LATEST_VERSION, `${n.version}.isLatest`);
      assert.equal(typeof n.isDeprecated, "boolean");
    }
    assert.equal(nodes.find((n) => n.isLatest).isDeprecated, false);
    for (const e of data.edges) assert.equal(typeof e.cursor, "string");
    assert.equal(data.pageInfo.hasNextPage, false);
    assert.equal(data.pageInfo.hasPreviousPage, false);
  });
});

describe("workspaceHmac and regenerateWorkspaceHmac", () => {
  let first;

  test("absent until generated", async () => {
    const hmac = ok(await raw(main, WORKSPACE_HMAC), "workspaceHmac").workspaceHmac;
    // The schema makes both the object and its secret nullable; either way there is no secret.
    assert.ok(hmac === null || hmac.hmacSecret === null, show(hmac));
  });

  test("regenerating creates a secret that workspaceHmac then returns", async () => {
    const { result, window } = await timed(() => raw(main, REGENERATE_HMAC));
    const out = ok(result, "regenerateWorkspaceHmac").regenerateWorkspaceHmac;
    assert.equal(out.error, null);
    first = out.workspaceHmac;
    assert.equal(first.__typename, "WorkspaceHmac");
    assert.equal(typeof first.hmacSecret, "string");
    assert.ok(first.hmacSecret.length >= 32, "a secret of at least 32 characters");
    assertDateTime(first.updatedAt, "updatedAt", window);
    assertDateTime(first.createdAt, "createdAt", window);
    // The first secret is created by this call, made with the key (SPEC §2).
    assertMachineUser(main, first.createdBy, "createdBy");
    assertMachineUser(main, first.updatedBy, "updatedBy");
    const read = ok(await raw(main, WORKSPACE_HMAC), "workspaceHmac").workspaceHmac;
    assert.deepEqual(read, first);
  });

  test("regenerating again replaces the secret", async () => {
    const { result, window } = await timed(() => raw(main, REGENERATE_HMAC));
    const out = ok(result, "regenerate").regenerateWorkspaceHmac;
    assert.equal(out.error, null);
    assert.notEqual(out.workspaceHmac.hmacSecret, first.hmacSecret);
    assertDateTime(out.workspaceHmac.updatedAt, "updatedAt", window);
    assertMachineUser(main, out.workspaceHmac.updatedBy, "updatedBy");
    const read = ok(await raw(main, WORKSPACE_HMAC), "workspaceHmac").workspaceHmac;
    assert.equal(read.hmacSecret, out.workspaceHmac.hmacSecret);
  });

  test("another workspace's secret is its own (still absent)", async () => {
    const hmac = ok(await raw(other, WORKSPACE_HMAC), "workspaceHmac").workspaceHmac;
    assert.ok(hmac === null || hmac.hmacSecret === null, show(hmac));
  });
});

// ---- request errors ------------------------------------------------------------------

describe("request errors", () => {
  const wrongKey = `hkey_${"A".repeat(43)}`;

  test("a wrong API key: the SDK's forbidden error", async () => {
    const client = new PlainClient({ apiKey: wrongKey, apiUrl });
    const result = await client.getMyWorkspace();
    assert.equal(result.error?.type, "forbidden", show(result));
    assert.equal(typeof result.error.message, "string");
  });

  test("a wrong API key changes nothing", async () => {
    const client = new PlainClient({ apiKey: wrongKey, apiUrl });
    const email = uniqueEmail("wrong-key");
    const result = await client.upsertCustomer(createInput(email));
    assert.equal(result.error?.type, "forbidden", show(result));
    assert.equal(ok(await main.client.getCustomerByEmail({ email }), "by email"), null);
  });

  test("an empty API key: forbidden", async () => {
    const client = new PlainClient({ apiKey: "", apiUrl });
    assert.equal((await client.getMyWorkspace()).error?.type, "forbidden");
  });

  test("a query that does not parse: GRAPHQL_PARSE_FAILED with its location", async () => {
    const errors = assertBadRequest(await raw(main, "query {"), "GRAPHQL_PARSE_FAILED");
    assert.equal(errors[0].locations.length, 1);
    assert.equal(errors[0].locations[0].line, 1);
  });

  test("an unknown field: GRAPHQL_VALIDATION_FAILED with its location", async () => {
    const errors = assertBadRequest(
      await raw(main, "query q {\n  myWorkspace {\n    id\n    noSuchField\n  }\n}"),
      "GRAPHQL_VALIDATION_FAILED"
    );
    assert.deepEqual(errors[0].locations[0], { line: 4, column: 5 });
  });

  test("a variable of the wrong type: BAD_USER_INPUT", async () => {
    assertBadRequest(
      await raw(main, "query q($first: Int) { customers(first: $first) { totalCount } }", {
        first: "ten",
      }),
      "BAD_USER_INPUT"
    );
  });
});

// ---- one workspace cannot see or touch another's entities ---------------------------------

describe("workspace isolation", () => {
  let c;
  let g;
  let t;

  before(async () => {
    c = await createCustomer(main, { externalId: uniqueKey("ext-iso") });
    g = await createGroup(main, { key: uniqueKey("iso") });
    t = await createTarget(main);
    ok(
      await main.client.addCustomerToCustomerGroups({
        customerId: c.id,
        customerGroupIdentifiers: [{ customerGroupId: g.id }],
      }),
      "add"
    );
  });

  test("reads: the other workspace's customer, group and target are null", async () => {
    const o = other.client;
    assert.equal(ok(await o.getCustomerById({ customerId: c.id }), "by id"), null);
    assert.equal(ok(await o.getCustomerByEmail({ email: c.email.email }), "by email"), null);
    assert.equal(ok(await o.getCustomerByExternalId({ externalId: c.externalId }), "ext"), null);
    assert.equal(ok(await o.getCustomerGroupById({ customerGroupId: g.id }), "group"), null);
    assert.equal(ok(await o.getWebhookTargetById({ id: t.id }), "target"), null);
    assert.deepEqual(
      ok(await o.getCustomerCustomerGroupMemberships({ customerId: c.id }), "memberships"),
      { customerGroupMemberships: [], pageInfo: null }
    );
  });

  test("lists: none of the first workspace's entities", async () => {
    const o = other.client;
    const customers = ok(await o.getCustomers({ first: 100 }), "customers");
    assert.ok(!customers.customers.some((x) => x.id === c.id));
    const filters = { customerGroupIds: [g.id] };
    const byGroup = ok(await o.getCustomers({ first: 100, filters }), "filtered customers");
    assert.deepEqual(byGroup.customers, []);
    assert.equal(byGroup.totalCount, 0);
    const groups = ok(await o.getCustomerGroups({ first: 100 }), "groups").customerGroups;
    assert.ok(!groups.some((x) => x.id === g.id));
    const targets = ok(await o.getWebhookTargets({ first: 100 }), "targets").webhookTargets;
    assert.ok(!targets.some((x) => x.id === t.id));
  });

  test("writes by id: not_found, and nothing changes", async () => {
    const o = other.client;
    const mine = await createCustomer(other);
    const mineGroup = await createGroup(other);
    const probes = {
      "upsertCustomer by customerId": () =>
        o.upsertCustomer({
          identifier: { customerId: c.id },
          onCreate: { fullName: "x", email: { email: uniqueEmail("unused"), isVerified: false } },
          onUpdate: { fullName: { value: "Hijacked" } },
        }),
      deleteCustomer: () => o.deleteCustomer({ customerId: c.id }),
      markCustomerAsSpam: () => raw(other, MARK_SPAM, { input: { customerId: c.id } }),
      updateCustomerGroup: () =>
        raw(other, UPDATE_GROUP, { input: { customerGroupId: g.id, name: { value: "Hijacked" } } }),
      deleteCustomerGroup: () => raw(other, DELETE_GROUP, { input: { customerGroupId: g.id } }),
      "addCustomerToCustomerGroups (its customer, their group id)": () =>
        o.addCustomerToCustomerGroups({
          customerId: mine.id,
          customerGroupIdentifiers: [{ customerGroupId: g.id }],
        }),
      "addCustomerToCustomerGroups (their customer)": () =>
        o.addCustomerToCustomerGroups({
          customerId: c.id,
          customerGroupIdentifiers: [{ customerGroupKey: mineGroup.key }],
        }),
      removeCustomerFromCustomerGroups: () =>
        o.removeCustomerFromCustomerGroups({
          customerId: c.id,
          customerGroupIdentifiers: [{ customerGroupId: g.id }],
        }),
      updateWebhookTarget: () =>
        o.updateWebhookTarget({ webhookTargetId: t.id, isEnabled: { value: false } }),
      deleteWebhookTarget: () => o.deleteWebhookTarget({ webhookTargetId: t.id }),
    };
    const failures = [];
    for (const [what, probe] of Object.entries(probes)) {
      try {
        assertMutationError(await probe(), "not_found");
      } catch (e) {
        failures.push(`${what}: ${e.message}`);
      }
    }
    assert.deepEqual(failures, [], "every write to another workspace's entity is not_found");
    const customer = ok(await main.client.getCustomerById({ customerId: c.id }), "customer");
    assert.deepEqual(customer, c);
    assert.equal(
      ok(await main.client.getCustomerGroupById({ customerGroupId: g.id }), "group").name,
      g.name
    );
    assert.deepEqual(await membershipGroupIds(main, c.id), [g.id]);
    assert.deepEqual(ok(await main.client.getWebhookTargetById({ id: t.id }), "target"), t);
  });

  test("emails, externalIds and group keys are unique per workspace only", async () => {
    const copy = await createCustomer(other, {
      email: { email: c.email.email, isVerified: false },
      externalId: c.externalId,
    });
    assert.notEqual(copy.id, c.id);
    const group = await createGroup(other, { key: g.key });
    assert.notEqual(group.id, g.id);
    assert.deepEqual(ok(await main.client.getCustomerById({ customerId: c.id }), "get"), c);
  });
});
