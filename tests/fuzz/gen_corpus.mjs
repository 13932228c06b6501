// gen_corpus.mjs - (re)writes the seed corpora of the GraphQL and HTTP fuzzers from what
// Plain's TypeScript SDK (tests/compat/node_modules, as pinned there) really sends:
//
//   tests/fuzz/corpus/graphql/          the documents alone (SDK methods + the raw
//                                       documents of tests/compat), and a few SDL snippets
//   tests/fuzz/corpus/graphql_request/  the JSON bodies {query, variables}
//   tests/fuzz/corpus/http/             whole HTTP requests carrying some of those bodies
//
// The SDK's fetch is replaced by one that records the request, so no server is needed.
// Ids of entities are placeholders the fuzzers swap for real ones (fuzz_graphql_request.c:
// @CUSTOMER_ID@, @GROUP_ID@, @TARGET_ID@ and another workspace's @OTHER_..._ID@;
// fuzz_http.c: @KEY@ for the API key).
//
//   node tests/fuzz/gen_corpus.mjs      (needs `npm ci` in tests/compat)

import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const sdkPath = join(here, "../compat/node_modules/@team-plain/typescript-sdk/dist/index.mjs");
const { PlainClient } = await import(sdkPath);

const C = "@CUSTOMER_ID@";
// Entities of another workspace: every request naming them must find nothing.
const OC = "@OTHER_CUSTOMER_ID@";
const OG = "@OTHER_GROUP_ID@";
const OT = "@OTHER_TARGET_ID@";
const G = "@GROUP_ID@";
const T = "@TARGET_ID@";

// ---- what the SDK sends ---------------------------------------------------------

const sent = [];
globalThis.fetch = async (url, init) => {
  sent.push(init.body);
  return new Response('{"data":null}', {
    status: 200,
    headers: { "content-type": "application/json" },
  });
};
const client = new PlainClient({ apiKey: "k", apiUrl: "http://127.0.0.1/graphql/v1" });

const calls = {
  upsert_create: () =>
    client.upsertCustomer({
      identifier: { emailAddress: "ada@example.com" },
      onCreate: {
        fullName: "Ada Lovelace",
        shortName: "Ada",
        externalId: "ext-ada",
        email: { email: "ada@example.com", isVerified: false },
      },
      onUpdate: {},
    }),
  upsert_update: () =>
    client.upsertCustomer({
      identifier: { externalId: "ext-ada" },
      onCreate: { fullName: "x", email: { email: "x@example.com", isVerified: false } },
      onUpdate: {
        fullName: { value: "Augusta Ada King" },
        shortName: { value: null },
        email: { email: "ada.king@example.com", isVerified: true },
      },
    }),
  upsert_by_id: () =>
    client.upsertCustomer({
      identifier: { customerId: C },
      onCreate: { fullName: "Ghost", email: { email: "ghost@example.com", isVerified: false } },
      onUpdate: { externalId: { value: "ext-ghost" } },
    }),
  customer_by_id: () => client.getCustomerById({ customerId: C }),
  customer_by_email: () => client.getCustomerByEmail({ email: "fuzz@example.com" }),
  customer_by_external_id: () => client.getCustomerByExternalId({ externalId: "ext-fuzz" }),
  customers: () =>
    client.getCustomers({ first: 25, filters: { isMarkedAsSpam: false, customerGroupIds: [G] } }),
  // hookd lists in creation order only: a sortBy is BAD_USER_INPUT.
  customers_sorted: () =>
    client.getCustomers({ first: 25, sortBy: { field: "FULL_NAME", direction: "ASC" } }),
  customers_last: () => client.getCustomers({ last: 2, before: "YXJyYXljb25uZWN0aW9uOjA=" }),
  delete_customer: () => client.deleteCustomer({ customerId: C }),
  group_by_id: () => client.getCustomerGroupById({ customerGroupId: G }),
  groups: () => client.getCustomerGroups({ first: 10 }),
  add_to_groups: () =>
    client.addCustomerToCustomerGroups({
      customerId: C,
      customerGroupIdentifiers: [{ customerGroupId: G }, { customerGroupKey: "vip" }],
    }),
  remove_from_groups: () =>
    client.removeCustomerFromCustomerGroups({
      customerId: C,
      customerGroupIdentifiers: [{ customerGroupKey: "vip" }],
    }),
  memberships: () => client.getCustomerCustomerGroupMemberships({ customerId: C, first: 100 }),
  my_workspace: () => client.getMyWorkspace(),
  create_target: () =>
    client.createWebhookTarget({
      url: "https://hooks.example.com/plain",
      eventSubscriptions: [
        { eventType: "customer.customer_created" },
        { eventType: "customer.customer_updated" },
      ],
      isEnabled: true,
      description: "fuzz",
    }),
  update_target: () =>
    client.updateWebhookTarget({
      webhookTargetId: T,
      url: { value: "https://user:secret@hooks.example.com/x" },
      isEnabled: { value: false },
      version: { value: "2025-08-06" },
      eventSubscriptions: [{ eventType: "customer.customer_deleted" }],
    }),
  delete_target: () => client.deleteWebhookTarget({ webhookTargetId: T }),
  targets: () => client.getWebhookTargets({ first: 5 }),
  other_customer: () => client.getCustomerById({ customerId: OC }),
  other_upsert: () =>
    client.upsertCustomer({
      identifier: { customerId: OC },
      onCreate: { fullName: "x", email: { email: "x@example.com", isVerified: false } },
      onUpdate: { fullName: { value: "Taken over" } },
    }),
  other_delete: () => client.deleteCustomer({ customerId: OC }),
  other_group: () =>
    client.addCustomerToCustomerGroups({
      customerId: C,
      customerGroupIdentifiers: [{ customerGroupId: OG }],
    }),
  other_memberships: () => client.getCustomerCustomerGroupMemberships({ customerId: OC, first: 5 }),
  other_target: () =>
    client.updateWebhookTarget({ webhookTargetId: OT, description: { value: "Taken over" } }),
  target_by_id: () => client.getWebhookTargetById({ id: T }),
};

// ---- documents the SDK has no method for (as tests/compat/sdk.test.mjs sends them) ----

const ERR = `fragment MutationErrorParts on MutationError {
  __typename
  message
  type
  code
  fields { field message type }
}`;
const GROUP_PARTS = `fragment FullGroupParts on CustomerGroup {
  __typename id name key color externalId
  createdAt { __typename iso8601 unixTimestamp }
  createdBy { __typename ... on MachineUserActor { machineUserId } ... on UserActor { userId } }
}`;
const raw = {
  mark_spam: [
    `mutation markCustomerAsSpam($input: MarkCustomerAsSpamInput!) {
  markCustomerAsSpam(input: $input) {
    customer { id markedAsSpamAt { iso8601 } markedAsSpamBy { __typename ... on MachineUserActor { machineUserId } } }
    error { ...MutationErrorParts }
  }
}
${ERR}`,
    { input: { customerId: C } },
  ],
  unmark_spam: [
    `mutation unmarkCustomerAsSpam($input: UnmarkCustomerAsSpamInput!) {
  unmarkCustomerAsSpam(input: $input) { customer { id markedAsSpamAt { iso8601 } } error { ...MutationErrorParts } }
}
${ERR}`,
    { input: { customerId: C } },
  ],
  create_group: [
    `mutation createCustomerGroup($input: CreateCustomerGroupInput!) {
  createCustomerGroup(input: $input) { customerGroup { ...FullGroupParts } error { ...MutationErrorParts } }
}
${GROUP_PARTS}
${ERR}`,
    { input: { name: "VIP", key: "vip", color: "#1a2b3c", externalId: "grp-1" } },
  ],
  update_group: [
    `mutation updateCustomerGroup($input: UpdateCustomerGroupInput!) {
  updateCustomerGroup(input: $input) { customerGroup { ...FullGroupParts } error { ...MutationErrorParts } }
}
${GROUP_PARTS}
${ERR}`,
    { input: { customerGroupId: G, name: { value: "Gold" }, externalId: { value: null } } },
  ],
  delete_group: [
    `mutation deleteCustomerGroup($input: DeleteCustomerGroupInput!) {
  deleteCustomerGroup(input: $input) { error { ...MutationErrorParts } }
}
${ERR}`,
    { input: { customerGroupId: G } },
  ],
  webhook_versions: [
    `query webhookVersions {
  webhookVersions(first: 3) {
    edges { cursor node { __typename version isLatest isDeprecated } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`,
    {},
  ],
  workspace_hmac: [
    `query workspaceHmac { workspaceHmac { __typename hmacSecret createdAt { iso8601 unixTimestamp } } }`,
    {},
  ],
  regenerate_hmac: [
    `mutation regenerateWorkspaceHmac {
  regenerateWorkspaceHmac { workspaceHmac { hmacSecret updatedAt { iso8601 } } error { ...MutationErrorParts } }
}
${ERR}`,
    {},
  ],
  customer_cursors: [
    `query customerCursors($first: Int, $after: String) {
  customers(first: $first, after: $after) {
    edges { cursor node { id } }
    pageInfo { startCursor endCursor hasNextPage }
    totalCount
  }
}`,
    { first: 2, after: null },
  ],
  hookd_deliveries: [
    `query deliveries($id: ID!, $status: HookdWebhookDeliveryStatus, $first: Int) {
  hookdWebhookDeliveries(webhookTargetId: $id, status: $status, first: $first) {
    edges { cursor node { eventId eventType status attemptCount nextAttemptAt { iso8601 }
      attempts { id number statusCode error durationMs } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
    { id: T, status: "PENDING", first: 10 },
  ],
  hookd_send_test: [
    `mutation sendTest($input: HookdSendTestWebhookEventInput!) {
  hookdSendTestWebhookEvent(input: $input) { eventId error { ...MutationErrorParts } }
}
${ERR}`,
    { input: { webhookTargetId: T } },
  ],
  hookd_resend_failed: [
    `mutation resendFailed($input: HookdResendFailedWebhookDeliveriesInput!) {
  hookdResendFailedWebhookDeliveries(input: $input) { count error { ...MutationErrorParts } }
}
${ERR}`,
    { input: { webhookTargetId: T, since: "2026-01-01T00:00:00.000Z" } },
  ],
  other_deliveries: [
    `query($id: ID!) { hookdWebhookDeliveries(webhookTargetId: $id, first: 5) { edges { node { eventId } } } }`,
    { id: OT },
  ],
  other_send_test: [
    `mutation($id: ID!) { hookdSendTestWebhookEvent(input: { webhookTargetId: $id }) { eventId error { code } } }`,
    { id: OT },
  ],
  hookd_resend: [
    `mutation resend($input: HookdResendWebhookEventInput!) {
  hookdResendWebhookEvent(input: $input) { error { ...MutationErrorParts } }
}
${ERR}`,
    { input: { webhookTargetId: T, eventId: "e_01ARZ3NDEKTSV4RRFFQ69G5FAV" } },
  ],
  // The language features the SDK does not use but a client may: aliases, directives,
  // inline fragments, literal arguments with every value kind, variables with defaults.
  features: [
    `query features($skip: Boolean = false, $n: Int = 2, $e: String = "ada@example.com") {
  __typename
  a: myWorkspace @skip(if: $skip) { id name }
  b: myWorkspace @include(if: true) { ... on Workspace { publicName } }
  c: customers(first: $n, filters: { isMarkedAsSpam: false, customerGroupIds: ["${G}"] }) {
    edges { node { ... CustomerBits } }
    totalCount
  }
  d: customerByEmail(email: $e) { id }
  e: webhookVersions(first: 1) { edges { node { version } } }
}
fragment CustomerBits on Customer { id fullName email { email isVerified } }`,
    { skip: false, n: 1 },
  ],
  block_strings: [
    `mutation {
  upsertCustomer(input: {
    identifier: { emailAddress: "block@example.com" }
    onCreate: { fullName: """Block
      \\"""quoted\\""" name""", email: { email: "block@example.com", isVerified: true } }
    onUpdate: { shortName: { value: "\\u00e9\\n\\t\\"" } }
  }) { result customer { id fullName shortName } error { code } }
}`,
    null,
  ],
};

// At and just past each limit of the engine (src/graphql/graphql.h: depth 15, aliases 30,
// 10000 tokens, nesting 64), so that the fuzzer starts next to every limit's edge.
// A cycle of the schema: InternalActor -> UserActor.user -> User.createdBy, 2 levels a turn.
const nest = (n) => (n === 0 ? "createdBy { __typename }" : `createdBy { ... on UserActor { user { ${nest(n - 1)} } } }`);
const aliases = (n) => Array.from({ length: n }, (_, i) => `a${i}: myWorkspace { id }`).join(" ");
const limits = {
  limit_depth_ok: `{ myWorkspace { ${nest(6)} } }`, // myWorkspace, 2 a turn, createdBy, __typename: 15
  limit_depth_over: `{ myWorkspace { ${nest(7)} } }`, // depth 17
  limit_aliases_ok: `{ ${aliases(30)} }`,
  limit_aliases_over: `{ ${aliases(31)} }`,
  limit_tokens_over: `{${"a ".repeat(10000)}}`, // within 64 KiB
  limit_nesting_over: `{ customers(first: ${"[".repeat(65)}1${"]".repeat(65)}) { totalCount } }`,
  limit_fragment_cycle: "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
  limit_fragment_chain: `{ ...F0 } ${Array.from({ length: 8 }, (_, i) => `fragment F${i} on Query { __typename ...F${i + 1} ...F${i + 1} }`).join(" ")} fragment F8 on Query { __typename }`,
};
for (const [name, query] of Object.entries(limits)) raw[name] = [query, null];

// Issue 16: introspection, field merging, type-system definitions, descriptions and raw
// control characters, which graphql-js accepts and hookd now handles as it does.
const { getIntrospectionQuery } = (await import(join(here, "../compat/node_modules/graphql/index.mjs")));
const conformance = {
  introspection_full: [getIntrospectionQuery({ specifiedByUrl: true, directiveIsRepeatable: true,
    schemaDescription: true, inputValueDeprecation: true, oneOf: true }), null],
  introspection_type: [`query($n: String!) { __type(name: $n) { name kind description
  fields(includeDeprecated: true) { name isDeprecated deprecationReason args { name defaultValue } }
  enumValues(includeDeprecated: true) { name } possibleTypes { name } ofType { name } } }`, { n: "Customer" }],
  introspection_depth: ["{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }", null],
  merge_fragments: [`query { myWorkspace { x: id ...F ... on Workspace { y: name } } }
fragment F on Workspace { x: name ...G } fragment G on Workspace { y: id createdBy {
  ... on UserActor { a: userId } ... on MachineUserActor { a: machineUser { id } } } }`, null],
  type_system: [`"d" type T implements I & J @x { a(b: Int = 1): [T!]! } extend type Query @x
schema { query: Query } directive @d(a: Int) repeatable on FIELD | QUERY
extend schema @x { mutation: M } union U = | A | B enum E { A B } input In { a: Int = 2 }
"described" query Q("the id" $id: ID = 1.0) { customer(customerId: $id) { id } }
"frag" fragment F on Customer { id }`, null],
  control_chars: ["# comment \u0001\u0000 \u007f\n{ customerByEmail(email: \"a\u0001\u0000b\") { id } " +
    'b: customerByEmail(email: """x\u0008\u001b""") { id } }', null],
  directives_schema: ['{ __typename @deprecated @specifiedBy(url: "x") @skip(if: true) @skip(if: false) @oneOf }', null],
  id_whole_float: ["query($id: ID!) { customer(customerId: $id) { id } }", { id: 1 }],
  subscription: ["subscription S { customerChanges { __typename } }", null],
};
for (const [name, [query, variables]] of Object.entries(conformance)) raw[name] = [query, variables];

// ---- write ---------------------------------------------------------------------------

function fresh(sub) {
  const dir = join(here, "corpus", sub);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

const bodies = {};
for (const [name, call] of Object.entries(calls)) {
  sent.length = 0;
  try {
    await call();
  } catch {
    // the fake answer is no SDK result; only the request matters
  }
  if (sent.length !== 1) throw new Error(`${name}: ${sent.length} requests sent`);
  bodies[name] = sent[0];
}
for (const [name, [query, variables]] of Object.entries(raw)) {
  bodies[name] = JSON.stringify(variables === null ? { query } : { query, variables });
}

const gqlDir = fresh("graphql");
const reqDir = fresh("graphql_request");
for (const [name, body] of Object.entries(bodies)) {
  writeFileSync(join(reqDir, `${name}.json`), body);
  writeFileSync(join(gqlDir, `${name}.graphql`), JSON.parse(body).query);
}
// JSON.stringify writes 1.0 as 1: the whole-number float an ID variable takes, as sent.
writeFileSync(join(reqDir, "id_whole_float.json"), bodies.id_whole_float.replace('"id":1}', '"id":1.0}'));
// A request naming one of two operations, as a client with a multi-operation document does.
writeFileSync(
  join(reqDir, "operation_name.json"),
  JSON.stringify({
    query: "query one { myWorkspace { id } } query two($id: ID!) { customer(customerId: $id) { id } }",
    variables: { id: C },
    operationName: "two",
  })
);
// SDL: hookd's own additions to Plain's schema (the served schema is too big for a seed),
// and a snippet with every kind of definition.
writeFileSync(join(gqlDir, "sdl_hookd.graphql"), readFileSync(join(here, "../../src/api/hookd.graphql")));
writeFileSync(
  join(gqlDir, "sdl_kinds.graphql"),
  `"""A schema with every definition kind."""
schema { query: Q mutation: M }
scalar DateTime @specifiedBy(url: "https://example.com")
interface Node { id: ID! }
type Q implements Node { id: ID! node(id: ID! = "x", ids: [ID!]! = []): Node u: U e: E }
type M { set(input: In!): Q @deprecated(reason: "no") }
union U = Q | R
type R implements Node { id: ID! }
enum E { A B @deprecated }
input In { a: Int = 1 b: [Float!] c: In d: E = A }
extend type Q { more: String }
`
);

// HTTP: requests as the SDK's fetch sends them, and the shapes a client can send.
const httpDir = fresh("http");
const post = (body, extra = "") =>
  `POST /graphql/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer @KEY@\r\n` +
  `Content-Type: application/json\r\nPlain-SDK: typescript\r\n${extra}` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const chunked = (body, size) => {
  let out = "";
  for (let i = 0; i < body.length; i += size) {
    const part = body.slice(i, i + size);
    out += `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`;
  }
  return (
    `POST /graphql/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer @KEY@\r\n` +
    `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${out}0\r\n\r\n`
  );
};
const http = {
  upsert: post(bodies.upsert_create),
  customers: post(bodies.customers),
  my_workspace: post(bodies.my_workspace, "Connection: keep-alive\r\n"),
  chunked: chunked(bodies.customer_by_email, 16),
  chunked_trailer: chunked(bodies.my_workspace, 64).replace(/0\r\n\r\n$/, "0\r\nX-Trailer: 1\r\n\r\n"),
  pipelined: post(bodies.my_workspace) + post(bodies.webhook_versions) + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
  healthz: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
  healthz_head: "HEAD /healthz HTTP/1.0\r\n\r\n",
  not_found: "GET /graphql/v2?x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
  wrong_method: "PUT /graphql/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
  no_auth: post(bodies.my_workspace).replace("Authorization: Bearer @KEY@\r\n", ""),
  bad_auth: post(bodies.my_workspace).replace("Bearer @KEY@", "Basic dXNlcjpwYXNz"),
  too_large_declared: post("{}").replace("Content-Length: 2", "Content-Length: 99999999"),
  expect_continue: post(bodies.groups, "Expect: 100-continue\r\n"),
  folded_header: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n  b\r\n\r\n",
  http10_body: post(bodies.targets).replace("HTTP/1.1", "HTTP/1.0"),
  // The front door's refusals (issue 15): ambiguous framing, NUL and duplicate headers.
  two_lengths: post("", "Content-Length: 34\r\n").replace(/\r\n\r\n$/, "\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
  length_and_chunked: post(bodies.my_workspace, "Transfer-Encoding: chunked\r\n"),
  space_before_colon: post(bodies.my_workspace).replace("Content-Length:", "Content-Length :"),
  nul_in_authorization: post(bodies.my_workspace).replace("Bearer @KEY@", "Bearer @KEY@\0junk"),
  two_authorizations: post(bodies.my_workspace, "Authorization: Bearer x\r\n"),
  gzip_chunked: chunked(bodies.my_workspace, 64).replace("Transfer-Encoding: chunked", "Transfer-Encoding: gzip, chunked"),
  long_chunk_extension: chunked(bodies.my_workspace, 64).replace(/\r\n\r\n([0-9a-f]+)\r\n/, `\r\n\r\n$1;x=${"y".repeat(20000)}\r\n`),
};
for (const [name, req] of Object.entries(http)) writeFileSync(join(httpDir, `${name}.http`), req);

const count = (d) => readdirSync(d).length;
console.log(`graphql: ${count(gqlDir)}, graphql_request: ${count(reqDir)}, http: ${count(httpDir)}`);
