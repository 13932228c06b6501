// graphql_conformance.mjs - hookd's GraphQL engine against the reference implementation
// (graphql-js, as pinned in package.json), on a generated corpus of documents over the
// schema hookd serves (src/api/schema.graphql).
//
//   HOOKD_GRAPHQL_URL=http://127.0.0.1:PORT/graphql/v1 HOOKD_API_KEY=... \
//   node graphql_conformance.mjs [--seed N] [--verbose]
//
// test_graphql_conformance.sh starts a fresh `hookd serve` and runs it. Every document (and
// its variables and operation name) goes to hookd over HTTP and to graphql-js (parse,
// validate, operation selection, variable coercion, and for introspection-only operations
// execute), and both must land in the same outcome class:
//   parse       a syntax error (hookd: 400 GRAPHQL_PARSE_FAILED)
//   validation  a validation error (hookd: 400 GRAPHQL_VALIDATION_FAILED)
//   request     execution could not start: no such operation, bad variables, an operation
//               type the schema lacks (hookd: 400 BAD_USER_INPUT without data)
//   ok          execution ran (hookd: an answer with "data", field errors or not)
// and an introspection-only "ok" must carry the same data; in an "ok", the errors coercing
// the root fields' arguments (graphql-js executing with every field resolving to null) must
// be the same, message for message. Other error messages are compared
// too and reported, not failed on: graphql-js's "Did you mean" suggestions are not
// reproduced.
//
// The corpus is deterministic (a seeded PRNG, default seed 16): valid and invalid documents
// about field merging, fragments, variables and coercion, directives, introspection, and
// parse edge cases (raw control characters, escapes, numbers, type-system definitions),
// plus random character-level mutations of valid documents.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as g from "graphql";

const here = dirname(fileURLToPath(import.meta.url));
const sdl = readFileSync(join(here, "../../src/api/schema.graphql"), "utf8");
const schema = g.buildSchema(sdl);

const args = process.argv.slice(2);
const seedArg = args.indexOf("--seed");
const SEED = seedArg >= 0 ? Number(args[seedArg + 1]) : 16;
const VERBOSE = args.includes("--verbose");
const url = process.env.HOOKD_GRAPHQL_URL;
const key = process.env.HOOKD_API_KEY;
if (!url || !key) throw new Error("set HOOKD_GRAPHQL_URL and HOOKD_API_KEY");

// ---- seeded randomness ---------------------------------------------------------------

function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(SEED);
const int = (n) => Math.floor(rand() * n);
const pick = (xs) => xs[int(xs.length)];
const chance = (p) => rand() < p;

// ---- the schema, as the generator sees it ---------------------------------------------

const Query = schema.getQueryType();
const Mutation = schema.getMutationType();
const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith("__"));
const objects = types.filter((t) => g.isObjectType(t));
const abstracts = types.filter((t) => g.isAbstractType(t));
const leafName = (t) => g.getNamedType(t);

// A valid literal of input type t (depth-limited: recursive inputs get required fields only).
function literal(t, depth = 0) {
  if (g.isNonNullType(t)) return literal(t.ofType, depth);
  if (g.isListType(t)) return chance(0.3) ? literal(t.ofType, depth) : `[${literal(t.ofType, depth)}]`;
  if (g.isEnumType(t)) return pick(t.getValues()).name;
  if (g.isInputObjectType(t)) {
    const parts = [];
    for (const f of Object.values(t.getFields())) {
      const required = g.isNonNullType(f.type) && f.defaultValue === undefined;
      if (required || (depth < 2 && chance(0.25))) parts.push(`${f.name}: ${literal(f.type, depth + 1)}`);
    }
    return `{${parts.join(", ")}}`;
  }
  switch (t.name) {
    case "Int":
      return String(int(50));
    case "Float":
      return pick(["1.5", "2", "-0.25e2"]);
    case "Boolean":
      return pick(["true", "false"]);
    case "ID":
      return pick(['"c_01ARZ3NDEKTSV4RRFFQ69G5FAV"', "7"]);
    default:
      return pick(['"text"', '"""block"""', '"x\\u0041"']);
  }
}

// A JSON value valid for input type t.
function jsonValue(t, depth = 0) {
  if (g.isNonNullType(t)) return jsonValue(t.ofType, depth);
  if (g.isListType(t)) return chance(0.3) ? jsonValue(t.ofType, depth) : [jsonValue(t.ofType, depth)];
  if (g.isEnumType(t)) return pick(t.getValues()).name;
  if (g.isInputObjectType(t)) {
    const o = {};
    for (const f of Object.values(t.getFields())) {
      const required = g.isNonNullType(f.type) && f.defaultValue === undefined;
      if (required || (depth < 2 && chance(0.25))) o[f.name] = jsonValue(f.type, depth + 1);
    }
    return o;
  }
  return { Int: 3, Float: 1.5, Boolean: true, ID: "c_1", String: "s" }[t.name] ?? "s";
}

// Required arguments of a field, as literals.
function requiredArgs(field, extra = []) {
  const parts = [...extra];
  for (const a of field.args) {
    if (parts.some((p) => p.startsWith(`${a.name}:`))) continue;
    if (g.isNonNullType(a.type) && a.defaultValue === undefined) parts.push(`${a.name}: ${literal(a.type)}`);
    else if (chance(0.15)) parts.push(`${a.name}: ${literal(a.type)}`);
  }
  return parts.length ? `(${parts.join(", ")})` : "";
}

// A valid selection set for composite type t, `depth` levels deep at most.
function selection(t, depth) {
  const parts = [];
  if (g.isObjectType(t) || g.isInterfaceType(t)) {
    const fields = Object.values(t.getFields());
    const n = 1 + int(3);
    for (let i = 0; i < n; i++) {
      const f = pick(fields);
      const named = leafName(f.type);
      if (g.isLeafType(named)) parts.push(`${f.name}${requiredArgs(f)}`);
      else if (depth > 0) parts.push(`${f.name}${requiredArgs(f)} { ${selection(named, depth - 1)} }`);
    }
  }
  if (g.isAbstractType(t) && depth > 0) {
    const possible = schema.getPossibleTypes(t);
    for (let i = 0; i < 2; i++) {
      const p = pick(possible);
      parts.push(`... on ${p.name} { ${selection(p, depth - 1)} }`);
    }
  }
  if (!parts.length || chance(0.2)) parts.push("__typename");
  return parts.join(" ");
}

// A valid query document on a random root field.
function validQuery(depth = 2) {
  const f = pick(Object.values(Query.getFields()));
  const named = leafName(f.type);
  const sel = g.isLeafType(named) ? "" : ` { ${selection(named, depth)} }`;
  return `query Q { ${f.name}${requiredArgs(f)}${sel} }`;
}

// ---- the corpus ------------------------------------------------------------------------

const corpus = [];
const add = (category, query, variables, operationName) =>
  corpus.push({ category, query, variables, operationName });
// Variables sent as written (JSON.stringify would print 1.0 as 1).
const addRaw = (category, query, rawVariables) =>
  corpus.push({ category, query, variables: JSON.parse(rawVariables), rawVariables });

// Valid queries, and their random character-level mutations.
const MUTATION_CHARS = ["{", "}", "(", ")", "[", "]", ":", "$", "@", "!", "...", "=", "|", "&",
  '"', "#", ",", "\n", " ", "a", "1", "_", "-", "on", "\u0001", "\t", "\\"];
for (let i = 0; i < 80; i++) {
  const q = validQuery(1 + int(3));
  add("valid", q);
  for (let k = 0; k < 2; k++) {
    const at = int(q.length);
    const op = int(3);
    const m = op === 0 ? q.slice(0, at) + q.slice(at + 1 + int(3))
      : op === 1 ? q.slice(0, at) + pick(MUTATION_CHARS) + q.slice(at)
      : q.slice(0, at) + pick(MUTATION_CHARS) + q.slice(at + 1);
    add("mutated", m);
  }
}

// Parse edge cases.
const PARSE = [
  "", " ", "# only a comment", "\ufeff{ __typename }", "{ __typename }\u0000", "{",
  "{ __typename", "{ }", "query", "query Q", "{ __typename } }", "{ ..: }", "{ .. }",
  '{ __typename(a: "unterminated) }', '{ customerByEmail(email: "a\nb") { id } }',
  '{ customerByEmail(email: "a\\qb") { id } }', '{ customerByEmail(email: "\\u{1F600}") { id } }',
  '{ customerByEmail(email: "\\uD83D\\uDE00") { id } }', '{ customerByEmail(email: "\\uD800") { id } }',
  '{ customerByEmail(email: "\\u{110000}") { id } }', '{ customerByEmail(email: "\\u{00000041}") { id } }',
  '{ customerByEmail(email: "\\u{000000041}") { id } }', '{ customerByEmail(email: "\\u{0}") { id } }',
  '{ customerByEmail(email: "\\uD83D\\u{DE00}") { id } }', '{ customerByEmail(email: "\\u{D83D}") { id } }', '{ customerByEmail(email: "\\u00") { id } }',
  '{ customerByEmail(email: """a\\"""b""") { id } }', '{ customerByEmail(email: """unterminated) { id } }',
  "{ customers(first: 01) { totalCount } }", "{ customers(first: 1.) { totalCount } }",
  "{ customers(first: .5) { totalCount } }", "{ customers(first: 1e) { totalCount } }",
  "{ customers(first: 1a) { totalCount } }", "{ customers(first: -) { totalCount } }",
  "{ customers(first: 0x1) { totalCount } }", "{ customers(first: -0) { totalCount } }",
  "{ customers(first: 1.5e+3) { totalCount } }", "{ customers(first: 3) { totalCount } }",
  "{ customers() { totalCount } }", "{ customers(first:) { totalCount } }",
  "{ customers(first: $) { totalCount } }", "{ a: b: c }", "{ __typename @ }",
  "fragment on on Query { __typename } { __typename }", "fragment F on Query", "fragment F { a }",
  "query Q($v: Int = $w) { __typename }", "query Q($v) { __typename }", "query Q($v: ) { __typename }",
  "query Q($: Int) { __typename }", "query Q() { __typename }", "{ __typename } garbage",
  "type Foo { a: Int }", "type Foo { a: Int } { __typename }", "extend type Query { x: Int } { __typename }",
  "schema { query: Query } { __typename }", "extend schema @skip(if: true) { __typename }",
  "directive @x on FIELD { __typename }", "extend schema { foo: Query } { __typename }",
  "extend schema { query: Query } { __typename }", "extend schema { } { __typename }",
  "extend schema", "extend union U = A", "extend enum E { A }", "extend input I { a: Int }",
  "extend interface I implements J", "extend type T implements I { a: Int }", "extend foo", "directive @x on NOWHERE { __typename }",
  '"desc" type Foo { a: Int } { __typename }', '"desc" query { __typename }', '"desc" { __typename }',
  "scalar S { __typename }", "union U = A | B { __typename }", "enum E { A } { __typename }",
  "input I { a: Int } { __typename }", "interface I { a: Int } { __typename }", "type T {} { __typename }",
  "extend type T { __typename }", "extend scalar S { __typename }", "extend scalar S @x { __typename }",
  "{ __typename } 'single'", "{ __typename } \u00e9", "{ __typename }\u0007", "{ caf\u00e9 }",
  "{ __typename(a: 1e500) }", "{ customers(first: 99999999999999999999) { totalCount } }",
];
for (const q of PARSE) add("parse", q);
// Raw control characters: fine in strings, block strings and comments (October 2021 spec).
for (const c of [0x01, 0x07, 0x08, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f, 0x85, 0x2028]) {
  const ch = String.fromCodePoint(c);
  add("control", `{ customerByEmail(email: "a${ch}b") { id } }`);
  add("control", `{ customerByEmail(email: """a${ch}b""") { id } }`);
  add("control", `# comment ${ch} here\n{ __typename }`);
  add("control", `{ __typename ${ch} }`);
}
add("control", '{ customerByEmail(email: "a\u0000b") { id } }');
add("control", "# a NUL \u0000 in a comment\n{ __typename }");
add("control", '{ customerByEmail(email: """a\r\nb\rc""") { id } }');

// Field merging.
const MERGE = [
  "query { myWorkspace { x: id ...F } } fragment F on Workspace { x: name }",
  "query { myWorkspace { x: id ...F } } fragment F on Workspace { x: id }",
  "query { myWorkspace { id ... { id } ... on Workspace { id: name } } }",
  "query { myWorkspace { ...A ...B } } fragment A on Workspace { x: id } fragment B on Workspace { x: name }",
  "query { myWorkspace { ...A ...B } } fragment A on Workspace { x: id } fragment B on Workspace { ...C } fragment C on Workspace { x: publicName }",
  "query { customers(first: 1) { totalCount } customers(first: 2) { totalCount } }",
  "query { customers(first: 1) { totalCount } ...F } fragment F on Query { customers(first: 2) { totalCount } }",
  "query { customers(first: 1) { totalCount } ...F } fragment F on Query { customers(first: 1) { totalCount } }",
  "query($a: Int) { customers(first: $a) { totalCount } customers(first: $a) { totalCount } }",
  "query($a: Int, $b: Int) { customers(first: $a) { totalCount } customers(first: $b) { totalCount } }",
  "query { customers { totalCount } customers(first: 25) { totalCount } }",
  "query { myWorkspace { createdBy { ... on UserActor { x: userId } ... on MachineUserActor { x: machineUserId } } } }",
  "query { myWorkspace { createdBy { ... on UserActor { x: userId } ... on MachineUserActor { x: machineUser { id } } } } }",
  "query { myWorkspace { createdBy { ... on UserActor { x: user { id } } ... on MachineUserActor { x: machineUser { id } } } } }",
  "query { myWorkspace { createdBy { ... on UserActor { x: userId } ... on MachineUserActor { x: machineUser } } } }",
  "query { customer(customerId: \"c\") { x: fullName x: email { email } } }",
  "query { customer(customerId: \"c\") { email { x: email } email { x: isVerified } } }",
  "query { customer(customerId: \"c\") { email { email } ...F } } fragment F on Customer { email { email: isVerified } }",
  "query { customer(customerId: \"c\") { a: email { email } a: email { isVerified } } }",
  "query { customer(customerId: \"c\") { createdAt { iso8601 } createdAt { unixTimestamp } } }",
  "query { customer(customerId: \"c\") { createdAt { x: iso8601 } createdAt { x: unixTimestamp } } }",
  "query { a: __typename a: __typename b: __typename }",
  "query { a: __typename a: myWorkspace { id } }",
  "query { myWorkspace { ... on Workspace { ... on Workspace { x: id } } x: name } }",
  "query { ...A } fragment A on Query { ...A myWorkspace { id } }",
  "query { myWorkspace { ...A } } fragment A on Workspace { id ...B } fragment B on Workspace { id: name ...A }",
  "query { customers(first: 1, after: \"a\") { totalCount } customers(after: \"a\", first: 1) { totalCount } }",
  "query { customers(filters: {isMarkedAsSpam: true, customerGroupIds: [\"a\"]}) { totalCount } customers(filters: {customerGroupIds: [\"a\"], isMarkedAsSpam: true}) { totalCount } }",
  "query { customers(filters: {isMarkedAsSpam: true}) { totalCount } customers(filters: {isMarkedAsSpam: false}) { totalCount } }",
  "query { unknownA: nope unknownA: alsoNope }",
  "query { myWorkspace { x: nope x: id } }",
];
for (const q of MERGE) add("merge", q);
// Many fragments spreading each other: bounded work.
{
  let q = "query { myWorkspace { ...F0 } }";
  for (let i = 0; i < 25; i++) q += ` fragment F${i} on Workspace { id name ...F${i + 1} ...F${i + 1} }`;
  q += " fragment F25 on Workspace { x: id }";
  add("merge", q);
  let r = "query { myWorkspace { ...F0 } }";
  for (let i = 0; i < 25; i++) r += ` fragment F${i} on Workspace { x: id ...F${i + 1} ...F${i + 1} }`;
  r += " fragment F25 on Workspace { x: name }";
  add("merge", r);
}

// Fragments.
const FRAG = [
  "query { ...Missing }", "query { __typename } fragment F on Query { __typename }",
  "query { ...F } fragment F on Query { __typename } fragment F on Query { __typename }",
  "query { ...F } fragment F on Nope { __typename }", "query { ...F } fragment F on String { __typename }",
  "query { ... on Nope { __typename } }", "query { ... on Boolean { __typename } }",
  "query { myWorkspace { ... on Customer { id } } }", "query { myWorkspace { ...C } } fragment C on Customer { id }",
  "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
  "query { ...A } fragment A on Query { __typename ...A }",
  "query { myWorkspace { createdBy { ... on UserActor { userId } ... on Customer { id } } } }",
  "query { myWorkspace { createdBy { ...U } } } fragment U on UserActor { userId }",
  "query { myWorkspace { createdBy { ... { __typename } } } }",
  "query { myWorkspace { nope { ...W } } } fragment W on Workspace { id }",
  "query($v: Int) { myWorkspace { nope(a: $v) { id } } }",
  "query { myWorkspace { id { ...W } } } fragment W on Workspace { id }",
  "query { ...F @skip(if: true) } fragment F on Query { __typename }",
  "query { ...F } fragment F on Query @skip(if: true) { __typename }",
];
for (const q of FRAG) add("fragments", q);

// Variables and coercion.
const VARS = [
  ["query($a: Int, $a: Int) { customers(first: $a) { totalCount } }"],
  ["query($a: Nope) { __typename }"], ["query($a: Customer) { __typename }"],
  ["query Q { customers(first: $a) { totalCount } }"], ["{ customers(first: $a) { totalCount } }"],
  ["query Q($a: Int) { __typename }"], ["query Q($a: String) { customers(first: $a) { totalCount } }"],
  ["query Q($a: ID) { customer(customerId: $a) { id } }"],
  ["query Q($a: ID = \"x\") { customer(customerId: $a) { id } }"],
  ["query Q($a: ID = null) { customer(customerId: $a) { id } }"],
  ["query Q($a: String!) { customer(customerId: $a) { id } }"],
  ["query Q($a: [ID]) { customers(filters: {customerGroupIds: $a}) { totalCount } }"],
  ["query Q($a: [ID!]) { customers(filters: {customerGroupIds: $a}) { totalCount } }"],
  ["query Q($a: ID!) { customers(filters: {customerGroupIds: [$a]}) { totalCount } }"],
  ["query Q($a: ID) { customers(filters: {customerGroupIds: [$a]}) { totalCount } }"],
  ["query Q($a: ID!) { customers(filters: {customerGroupIds: $a}) { totalCount } }"],
  ["query Q($a: Int = \"x\") { customers(first: $a) { totalCount } }"],
  ["query Q($a: Int! = 3) { customers(first: $a) { totalCount } }"],
  ["query Q($a: Boolean) { __typename @include(if: $a) }"],
  ["query Q($a: Boolean = true) { __typename @include(if: $a) }"],
  ["query Q($a: Boolean!) { __typename @include(if: $a) }", {}],
  ["query Q($a: Boolean!) { __typename @include(if: $a) }", { a: null }],
  ["query Q($a: Boolean!) { __typename @include(if: $a) }", { a: false }],
  ["query Q($a: Boolean!) { __typename @include(if: $a) }", { a: "true" }],
  ["query Q($a: Boolean!) { __typename @skip(if: $a) }", { a: 1 }],
  ["query Q($f: Int) { customers(first: $f) { totalCount } }", { f: 3.0 }],
  ["query Q($f: Int) { customers(first: $f) { totalCount } }", { f: 3.5 }],
  ["query Q($f: Int) { customers(first: $f) { totalCount } }", { f: "3" }],
  ["query Q($f: Int) { customers(first: $f) { totalCount } }", { f: 2147483648 }],
  ["query Q($f: Int) { customers(first: $f) { totalCount } }", { f: -2147483649 }],
  ["query Q($f: Int) { customers(first: $f) { totalCount } }", { f: true }],
  ["query Q($f: Int) { customers(first: $f) { totalCount } }", { f: [3] }],
  ["query Q($f: Int) { customers(first: $f) { totalCount } }", { f: null }],
  ["query Q($f: Int) { customers(first: $f) { totalCount } }", { f: 1e3 }],
  ["query Q($id: ID!) { customer(customerId: $id) { id } }", { id: "c_1" }],
  ["query Q($id: ID!) { customer(customerId: $id) { id } }", { id: 1 }],
  ["query Q($id: ID!) { customer(customerId: $id) { id } }", { id: 1.0 }],
  ["query Q($id: ID!) { customer(customerId: $id) { id } }", { id: 1e3 }],
  ["query Q($id: ID!) { customer(customerId: $id) { id } }", { id: 1.5 }],
  ["query Q($id: ID!) { customer(customerId: $id) { id } }", { id: true }],
  ["query Q($id: ID!) { customer(customerId: $id) { id } }", { id: ["x"] }],
  ["query Q($id: ID!) { customer(customerId: $id) { id } }", { id: {} }],
  ["query Q($id: ID!) { customer(customerId: $id) { id } }", { id: null }],
  ["query Q($id: ID!) { customer(customerId: $id) { id } }", {}],
  ["query Q($e: String!) { customerByEmail(email: $e) { id } }", { e: 1 }],
  ["query Q($e: String!) { customerByEmail(email: $e) { id } }", { e: "a\u0000b" }],
  ["query Q($ids: [ID!]) { customers(filters: {customerGroupIds: $ids}) { totalCount } }", { ids: "one" }],
  ["query Q($ids: [ID!]) { customers(filters: {customerGroupIds: $ids}) { totalCount } }", { ids: ["a", null] }],
  ["query Q($ids: [ID!]) { customers(filters: {customerGroupIds: $ids}) { totalCount } }", { ids: [1, 2.0] }],
  ["query Q($ids: [ID!]) { customers(filters: {customerGroupIds: $ids}) { totalCount } }", { ids: [[1]] }],
  ["query Q($ids: [ID!]!) { customers(filters: {customerGroupIds: $ids}) { totalCount } }", {}],
  ["query Q($a: ID) { customers(filters: {customerGroupIds: [$a]}) { totalCount } }", {}],
  ["query Q($a: ID) { customers(filters: {customerGroupIds: [$a]}) { totalCount } }", { a: null }],
  ["query Q($x: Int) { customers(first: $x) { totalCount } }", []],
  ["query Q($x: Int) { customers(first: $x) { totalCount } }", "notAnObject"],
];
for (const [q, v] of VARS) add("variables", q, v);
for (const raw of ['{"id": 1.0}', '{"id": 1e3}', '{"id": -0.0}', '{"id": 12.50e1}', '{"id": 1.5}']) {
  addRaw("variables", "query Q($id: ID!) { customer(customerId: $id) { id } }", raw);
  addRaw("variables", "query Q($f: Int) { customers(first: $f) { totalCount } }", raw.replace("id", "f"));
}
// Variables of every input type hookd's root fields take, with good and bad JSON values.
const BAD_JSON = [null, 0, 3.5, "x", true, [], {}, [null], { nope: 1 }, 2147483648];
for (const f of [...Object.values(Query.getFields()), ...Object.values(Mutation.getFields())]) {
  for (const a of f.args) {
    const opType = Object.values(Query.getFields()).includes(f) ? "query" : "mutation";
    const others = requiredArgs({ args: f.args.filter((x) => x !== a) });
    const inner = others ? others.slice(1, -1) + ", " : "";
    const named = leafName(f.type);
    const sel = g.isLeafType(named) ? "" : " { __typename }";
    const doc = `${opType} V($v: ${a.type}) { ${f.name}(${inner}${a.name}: $v)${sel} }`;
    if (opType === "query" || chance(0.3)) add("coercion", doc, { v: jsonValue(a.type) });
    for (let i = 0; i < 2; i++) add("coercion", doc, { v: pick(BAD_JSON) });
    // Inside input objects: a field's variable, wrong and right.
    const t = g.getNamedType(a.type);
    if (g.isInputObjectType(t) && opType === "query") {
      const v = jsonValue(a.type);
      const fields = Object.keys(t.getFields());
      const bad = { ...(typeof v === "object" && v && !Array.isArray(v) ? v : {}) };
      bad[pick(fields)] = pick(BAD_JSON);
      add("coercion", doc, { v: bad });
    }
  }
}
// Literals: wrong kinds in every argument position of the root fields.
const BAD_LITERALS = ["null", "1", "1.5", '"s"', "true", "ENUM_X", "[1]", "{a: 1}", "{}", "$undefinedVar"];
for (const f of Object.values(Query.getFields())) {
  for (const a of f.args) {
    const others = requiredArgs({ args: f.args.filter((x) => x !== a) });
    const inner = others ? others.slice(1, -1) + ", " : "";
    const named = leafName(f.type);
    const sel = g.isLeafType(named) ? "" : " { __typename }";
    add("literals", `{ ${f.name}(${inner}${a.name}: ${literal(a.type)})${sel} }`);
    add("literals", `{ ${f.name}(${inner}${a.name}: ${pick(BAD_LITERALS)})${sel} }`);
  }
  add("literals", `{ ${f.name}(nope: 1)${g.isLeafType(leafName(f.type)) ? "" : " { __typename }"} }`);
}

// Arguments coerced at execution: variables null or missing inside literals.
const ARGS = [
  ['query($s: String = "x") { customerByEmail(email: $s) { id } }', { s: null }],
  ['query($s: String = "x") { customerByEmail(email: $s) { id } }', {}],
  ['query($g: ID = "g") { customers(filters: {customerGroupIds: [$g]}) { totalCount } }', { g: null }],
  ['query($g: ID = "g") { customers(filters: {customerGroupIds: [$g]}) { totalCount } }', {}],
  ["query($g: ID) { customers(filters: {customerGroupIds: [$g]}) { totalCount } }", {}],
  ["query($b: Boolean) { customers(filters: {isMarkedAsSpam: $b}) { totalCount } }", { b: null }],
  ["query($b: Boolean) { customers(filters: {isMarkedAsSpam: $b}) { totalCount } }", {}],
  ["query($f: Int) { customers(first: $f) { totalCount } a: customers(first: $f, last: $f) { totalCount } }", {}],
  ['query($d: SortDirection = ASC) { customers(sortBy: {field: FULL_NAME, direction: $d}) { totalCount } }', { d: null }],
  ['query($d: SortDirection = ASC) { customers(sortBy: {field: FULL_NAME, direction: $d}) { totalCount } }', { d: "DESC" }],
  ['query($i: ID = "c") { customer(customerId: $i) { id } b: customerByEmail(email: "e") { id } }', { i: null }],
];
for (const [q, v] of ARGS) add("arguments", q, v);

// Directives.
const DIRS = [
  "{ __typename @skip(if: true) }", "{ __typename @skip(if: false) @include(if: true) }",
  "{ __typename @skip(if: true) @skip(if: false) }", "{ __typename @include }",
  '{ __typename @include(if: "true") }', "{ __typename @include(if: true, other: 1) }",
  "{ __typename @nope }", "{ __typename @deprecated }", '{ __typename @deprecated(reason: "x") }',
  '{ __typename @specifiedBy(url: "x") }', "{ __typename @oneOf }", "query @skip(if: true) { __typename }",
  "query Q($v: Int @skip(if: true)) { customers(first: $v) { totalCount } }",
  "query Q($v: Int @deprecated) { customers(first: $v) { totalCount } }",
  "{ ... @include(if: true) { __typename } }", "{ ... @include(if: false) { __typename } }",
  "{ __typename @include(if: null) }", "{ __typename @skip(if: $x) }",
  "mutation @include(if: true) { __typename }", "subscription { __typename }",
  "subscription S { a b }",
];
for (const q of DIRS) add("directives", q);

// Operations and their selection.
add("operations", "{ __typename } { __typename }");
add("operations", "query A { __typename } query A { __typename }");
add("operations", "query A { __typename } query B { __typename }");
add("operations", "query A { __typename } query B { __typename }", undefined, "B");
add("operations", "query A { __typename } query B { __typename }", undefined, "C");
add("operations", "query A { __typename }", undefined, "C");
add("operations", "{ __typename } query A { __typename }", undefined, "A");
add("operations", "mutation { __typename }");
add("operations", "mutation M { nope }");
add("operations", "query { upsertCustomer { __typename } }");
add("operations", "{ myWorkspace }");
add("operations", "{ myWorkspace { id { x } } }");
add("operations", "{ __typename { x } }");
add("operations", "{ customers { edges } }");

// Introspection.
const INTRO = [
  g.getIntrospectionQuery(),
  g.getIntrospectionQuery({ descriptions: false }),
  g.getIntrospectionQuery({ specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true,
    inputValueDeprecation: true, oneOf: true }),
  "{ __schema { queryType { name } mutationType { name } subscriptionType { name } description } }",
  "{ __schema { types { name kind } } }",
  "{ __schema { directives { name locations isRepeatable args { name defaultValue type { name kind ofType { name } } } } } }",
  "{ __schema { directives(includeDeprecated: true) { name isDeprecated deprecationReason } } }",
  '{ __type(name: "UserStatus") { enumValues { name } all: enumValues(includeDeprecated: true) { name isDeprecated deprecationReason } } }',
  '{ __type(name: "Workspace") { fields { name } all: fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }',
  '{ __type(name: "__Type") { name description fields { name description args { name defaultValue } } } }',
  '{ __type(name: "__Directive") { fields(includeDeprecated: true) { name type { kind name ofType { kind name } } } } }',
  '{ __type(name: "__DirectiveLocation") { enumValues { name description } } }',
  '{ __type(name: "String") { name kind description specifiedByURL } }',
  '{ __type(name: "Float") { name } }', '{ __type(name: "Nope") { name } }', '{ __type(name: "") { name } }',
  "{ __type { name } }", '{ __type(name: 1) { name } }', '{ __type(name: "Query") { nope } }',
  "{ __typename a: __typename __schema { __typename queryType { __typename name } } }",
  "{ myWorkspace { __schema { types { name } } } }",
  "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
  "{ __schema { types { fields { type { fields { name } } } } } }",
  '{ __type(name: "Query") { ...A } } fragment A on __Type { fields { type { ...B } } } fragment B on __Type { interfaces { possibleTypes { name } } }',
  '{ __type(name: "Query") { ...A } } fragment A on __Type { fields { type { ...B } } } fragment B on __Type { name }',
  '{ __type(name: "Actor") { kind possibleTypes { name } interfaces { name } inputFields { name } ofType { name } } }',
  '{ __type(name: "UpsertCustomerInput") { kind isOneOf inputFields { name type { kind name ofType { kind name } } defaultValue description } } }',
  '{ __type(name: "Customer") { kind interfaces { name } fields { name args { name type { kind } } } } }',
  '{ __schema { mutationType { fields { name args { name defaultValue type { kind ofType { kind name } } } } } } }',
  "query I { __schema { types { name } } } query J { __typename }",
  'query($n: String!) { __type(name: $n) { name kind } }',
  '{ t: __type(name: "Customer") { name } u: __type(name: "CustomerGroup") { name } }',
  '{ __type(name: "Customer") { fields { name @skip(if: true) type @include(if: true) { name } } } }',
];
for (const q of INTRO) add("introspection", q);
add("introspection", 'query($n: String!) { __type(name: $n) { name kind } }', { n: "Workspace" });
add("introspection", 'query($n: String!) { __type(name: $n) { name kind } }', { n: 7 });
for (const t of types.slice(0, 60)) {
  add("introspection", `{ __type(name: "${t.name}") { name kind description fields(includeDeprecated: true) { name type { name kind ofType { name kind ofType { name kind } } } } enumValues(includeDeprecated: true) { name } inputFields { name defaultValue } possibleTypes { name } interfaces { name } } }`);
}

// Leaf and composite mistakes over random types.
for (let i = 0; i < 30; i++) {
  const t = pick(objects.filter((o) => Object.values(Query.getFields()).some((f) => leafName(f.type) === o)));
  const f = Object.values(Query.getFields()).find((x) => leafName(x.type) === t);
  const field = pick(Object.values(t.getFields()));
  const named = leafName(field.type);
  const wrong = g.isLeafType(named) ? `${field.name} { x }` : field.name;
  add("selection", `{ ${f.name}${requiredArgs(f)} { ${wrong} } }`);
  add("selection", `{ ${f.name}${requiredArgs(f)} { nope${int(9)} } }`);
}
for (const t of abstracts.slice(0, 10)) {
  const f = [...Object.values(Query.getFields())].find((x) => leafName(x.type) === t);
  if (!f) continue;
  add("selection", `{ ${f.name}${requiredArgs(f)} { ... on ${pick(objects).name} { __typename } } }`);
}

// Mutants of everything above: one to three character-level edits each.
const MUTANTS = Number(process.env.CONFORMANCE_MUTANTS ?? 400);
const base = corpus.slice();
for (let i = 0; i < MUTANTS; i++) {
  const doc = pick(base);
  let q = doc.query;
  for (let k = 1 + int(3); k > 0; k--) {
    const at = int(q.length + 1);
    const op = int(4);
    q = op === 0 ? q.slice(0, at) + q.slice(at + 1 + int(4))
      : op === 1 ? q.slice(0, at) + pick(MUTATION_CHARS) + q.slice(at)
      : op === 2 ? q.slice(0, at) + pick(MUTATION_CHARS) + q.slice(at + 1)
      : q.slice(0, at) + q.slice(int(q.length), int(q.length) + 8) + q.slice(at);
  }
  corpus.push({ ...doc, category: "mutants", query: q });
}

// ---- running ---------------------------------------------------------------------------

// "path: message" of the errors coercing a root field's arguments, sorted.
const argumentErrors = (errors) =>
  (errors ?? [])
    .filter((e) => e.path?.length === 1 && e.message.startsWith("Argument "))
    .map((e) => `${e.path[0]}: ${e.message}`)
    .sort();

function reference(doc) {
  // GraphQL over HTTP: "variables" must be a map, checked with the request's envelope,
  // before the document is read (graphql-js leaves that to the server).
  if (doc.variables !== undefined && (typeof doc.variables !== "object" || Array.isArray(doc.variables)))
    return { cls: "request", message: "variables must be an object" };
  let document;
  try {
    document = g.parse(doc.query);
  } catch (e) {
    return { cls: "parse", message: e.message };
  }
  const errors = g.validate(schema, document);
  if (errors.length) return { cls: "validation", message: errors[0].message, errors };
  const op = g.getOperationAST(document, doc.operationName);
  if (!op) return { cls: "request", message: "operation" };
  const vars = g.getVariableValues(schema, op.variableDefinitions ?? [], doc.variables ?? {});
  if (vars.errors) return { cls: "request", message: vars.errors[0].message };
  if (!schema.getRootType(op.operation)) return { cls: "request", message: "no root type" };
  const introspectionOnly =
    op.operation === "query" &&
    op.selectionSet.selections.every((s) => s.kind === "Field" && s.name.value.startsWith("__"));
  // Executed with every field resolving to null: introspection's data, and the errors
  // coercing the root fields' arguments (variables null or missing inside literals).
  const result = g.execute({
    schema, document, variableValues: doc.variables, operationName: doc.operationName,
    rootValue: {}, fieldResolver: () => null,
  });
  return { cls: "ok", introspectionOnly, data: result.data, argErrors: argumentErrors(result.errors) };
}

async function hookd(doc) {
  const body = { query: doc.query };
  if (doc.variables !== undefined) body.variables = doc.variables;
  if (doc.operationName !== undefined) body.operationName = doc.operationName;
  let text = JSON.stringify(body);
  if (doc.rawVariables) text = text.replace(/,"variables":.*$/, `,"variables":${doc.rawVariables}}`);
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: text,
  });
  const answer = await res.text();
  let json;
  try {
    json = JSON.parse(answer);
  } catch {
    return { cls: "broken", status: res.status, message: answer.slice(0, 200) };
  }
  const code = json.errors?.[0]?.extensions?.code;
  let cls = "other";
  if ("data" in json && json.data !== undefined) cls = "ok";
  else if (res.status === 400 && code === "GRAPHQL_PARSE_FAILED") cls = "parse";
  else if (res.status === 400 && code === "GRAPHQL_VALIDATION_FAILED") cls = "validation";
  else if (res.status === 400 && code === "BAD_USER_INPUT") cls = "request";
  else if (res.status === 400 && code === "BAD_REQUEST") cls = "request"; // variables not an object
  return { cls, status: res.status, message: json.errors?.[0]?.message, json };
}

let failed = 0;
let withArgErrors = 0;
let sameMessage = 0;
let compared = 0;
const byCategory = {};
const byClass = {};
const started = Date.now();
for (const doc of corpus) {
  const ref = reference(doc);
  const got = await hookd(doc);
  const cat = (byCategory[doc.category] ??= { n: 0, failed: 0 });
  cat.n++;
  byClass[ref.cls] = (byClass[ref.cls] ?? 0) + 1;
  let problem = null;
  if (ref.argErrors?.length) withArgErrors++;
  if (ref.cls !== got.cls) problem = `graphql-js says ${ref.cls}, hookd ${got.cls} (HTTP ${got.status})`;
  else if (ref.cls === "ok" && JSON.stringify(ref.argErrors) !== JSON.stringify(argumentErrors(got.json.errors)))
    problem = `argument errors differ: ${JSON.stringify(ref.argErrors)} vs ${JSON.stringify(argumentErrors(got.json.errors))}`;
  else if (ref.cls === "ok" && ref.introspectionOnly) {
    try {
      assert.deepEqual(got.json.data, JSON.parse(JSON.stringify(ref.data)));
    } catch {
      problem = "introspection data differ";
    }
  }
  if (ref.cls !== "ok" && ref.cls === got.cls) {
    compared++;
    if (ref.message === got.message) sameMessage++;
    else if (VERBOSE) console.log(`message differs: ${JSON.stringify(ref.message)} vs ${JSON.stringify(got.message)}`);
  }
  if (problem) {
    failed++;
    cat.failed++;
    if (failed <= 25) {
      console.log(`MISMATCH [${doc.category}] ${problem}`);
      console.log(`  document:  ${JSON.stringify(doc.query).slice(0, 400)}`);
      if (doc.variables !== undefined) console.log(`  variables: ${JSON.stringify(doc.variables)}`);
      if (doc.operationName !== undefined) console.log(`  operation: ${doc.operationName}`);
      console.log(`  graphql-js: ${ref.message ?? ""}`);
      console.log(`  hookd:      ${got.message ?? ""}`);
    }
  }
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(`seed ${SEED}: ${corpus.length} documents in ${seconds} s; reference classes ${JSON.stringify(byClass)}`);
for (const [name, c] of Object.entries(byCategory)) console.log(`  ${name}: ${c.n} documents, ${c.failed} mismatched`);
console.log(`  executed documents with argument errors compared: ${withArgErrors}`);
console.log(`  error messages equal to graphql-js's: ${sameMessage} of ${compared} (not required)`);
console.log(`${corpus.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
