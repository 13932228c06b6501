// validate_bodies.mjs - checks webhook bodies against Plain's own contract.
//
//   node validate_bodies.mjs [FILE]      (bodies one per line; stdin without FILE)
//
// Each body must:
//  - validate against tests/data/plain/webhook-schemas/<its webhookTargetVersion>.json
//    (Ajv, draft-07, formats checked), and against the payload definition of its
//    event type alone, which gives readable errors when the big anyOf fails;
//  - have type === payload.eventType;
//  - have its keys, and those of every nested customer, email, membership, group
//    and actor, in the order of Plain's documented examples
//    (tests/data/plain/webhook-examples), since receivers may compare bytes;
//  - carry every time as UTC with milliseconds (SPEC §1);
//  - be exactly what JSON.stringify would send (compact, same escaping);
//  - when its version is the one built into Plain's TypeScript SDK, be accepted
//    by the SDK's parsePlainWebhook.
// Before the input, Plain's example bodies themselves are checked, once for each
// supported version, to show that the checker accepts Plain's own bodies.
//
// Prints one line per failure, then "N passed, N failed"; exits 1 on any failure
// or when the input held no body.

import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import Ajv from "ajv";
import addFormats from "ajv-formats";
import { parsePlainWebhook, PlainWebhookVersionMismatchError } from "@team-plain/typescript-sdk";

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, "..", "data", "plain");
const schemaDir = join(dataDir, "webhook-schemas");
const exampleDir = join(dataDir, "webhook-examples");

const BODY_KEYS = ["timestamp", "workspaceId", "payload", "id", "webhookMetadata", "type"];
const ACTOR_ID_KEY = {
  machineUser: "machineUserId",
  user: "userId",
  system: "system",
  customer: "customerId",
};
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TIME_KEYS = new Set([
  "timestamp",
  "webhookDeliveryAttemptTimestamp",
  "createdAt",
  "updatedAt",
  "verifiedAt",
  "markedAsSpamAt",
]);
const MAX_ERRORS_SHOWN = 8;

// ---- Plain's schemas and examples --------------------------------------------

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

// The payload definition whose eventType const is `eventType`, among those the
// body's payload anyOf lists.
function payloadDefinitionFor(schema, eventType) {
  for (const { $ref } of schema.properties.payload.anyOf) {
    const name = $ref.split("/").pop();
    if (schema.definitions[name]?.properties?.eventType?.const === eventType) return name;
  }
  return null;
}

function loadSchemas() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const byVersion = new Map();
  for (const file of readdirSync(schemaDir).filter((f) => f.endsWith(".json")).sort()) {
    const schema = readJson(join(schemaDir, file));
    const payloadValidators = new Map();
    const payloadValidator = (eventType) => {
      if (!payloadValidators.has(eventType)) {
        const name = payloadDefinitionFor(schema, eventType);
        const ref = `#/definitions/${name}`;
        const only = name && { definitions: schema.definitions, allOf: [{ $ref: ref }] };
        payloadValidators.set(eventType, only && ajv.compile(only));
      }
      return payloadValidators.get(eventType);
    };
    byVersion.set(file.replace(/\.json$/, ""), { body: ajv.compile(schema), payloadValidator });
  }
  if (byVersion.size === 0) throw new Error(`no schemas in ${schemaDir}`);
  return byVersion;
}

// Key orders taken from the examples: per event type the payload's, and the
// shapes of a customer, its email, a membership and a group.
function loadExamples() {
  const examples = readdirSync(exampleDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ name: f, body: readJson(join(exampleDir, f)) }));
  const payloadKeys = new Map();
  const shapes = {};
  for (const { body } of examples) {
    const p = body.payload;
    payloadKeys.set(p.eventType, Object.keys(p));
    for (const c of [p.customer, p.previousCustomer].filter(Boolean)) {
      shapes.customer ??= Object.keys(c);
      shapes.email ??= Object.keys(c.email);
      const m = c.customerGroupMemberships[0];
      if (m) {
        shapes.membership ??= Object.keys(m);
        shapes.group ??= Object.keys(m.customerGroup);
      }
    }
  }
  for (const s of ["customer", "email", "membership", "group"])
    if (!shapes[s]) throw new Error(`no ${s} in the examples`);
  return { examples, payloadKeys, shapes };
}

// ---- checks -------------------------------------------------------------------

function sameOrder(actual, expected) {
  return actual.length === expected.length && actual.every((k, i) => k === expected[i]);
}

// `root` is where the validated value sits in the body ("" or "/payload").
function ajvErrors(validate, label, root) {
  return (validate.errors ?? [])
    .slice(0, MAX_ERRORS_SHOWN)
    .map((e) => {
      const allowed = e.params?.allowedValue ? ` (${e.params.allowedValue})` : "";
      return `${label}: ${root + e.instancePath || "/"} ${e.message}${allowed}`;
    });
}

function checkOrder(obj, expected, where, problems) {
  const keys = Object.keys(obj);
  if (!sameOrder(keys, expected))
    problems.push(`${where}: keys [${keys}] are not, in order, [${expected}]`);
}

function checkActor(a, where, problems) {
  if (a === null || typeof a !== "object") return;
  const idKey = ACTOR_ID_KEY[a.actorType];
  if (!idKey) problems.push(`${where}: unknown actorType ${JSON.stringify(a.actorType)}`);
  else checkOrder(a, ["actorType", idKey], where, problems);
}

function checkStamps(obj, where, problems) {
  for (const k of ["createdBy", "updatedBy"]) checkActor(obj[k], `${where}.${k}`, problems);
}

function checkCustomer(c, where, shapes, problems) {
  if (c === null || typeof c !== "object") return; // the schema reports it
  checkOrder(c, shapes.customer, where, problems);
  if (c.email && typeof c.email === "object")
    checkOrder(c.email, shapes.email, `${where}.email`, problems);
  checkActor(c.markedAsSpamBy, `${where}.markedAsSpamBy`, problems);
  checkStamps(c, where, problems);
  (Array.isArray(c.customerGroupMemberships) ? c.customerGroupMemberships : []).forEach((m, i) => {
    const mw = `${where}.customerGroupMemberships[${i}]`;
    checkOrder(m, shapes.membership, mw, problems);
    checkStamps(m, mw, problems);
    if (m.customerGroup) {
      checkOrder(m.customerGroup, shapes.group, `${mw}.customerGroup`, problems);
      checkStamps(m.customerGroup, `${mw}.customerGroup`, problems);
    }
  });
}

function checkTimes(value, where, problems) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkTimes(v, `${where}[${i}]`, problems));
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (TIME_KEYS.has(k) && v !== null && !(typeof v === "string" && ISO_MS.test(v)))
        problems.push(`${where}.${k}: ${JSON.stringify(v)} is not UTC ISO-8601 with milliseconds`);
      else checkTimes(v, `${where}.${k}`, problems);
    }
  }
}

// What the SDK thinks; null when the body is of another version than the SDK's.
// parsePlainWebhook compiles its schema on every call (~0.1 s), so a version
// found to be another than the SDK's is not asked about again.
function sdkProblem(body, ctx) {
  const version = body.webhookMetadata.webhookTargetVersion;
  if (ctx.notSdkVersions.has(version)) return null;
  const r = parsePlainWebhook(body);
  if (r.error instanceof PlainWebhookVersionMismatchError) {
    ctx.notSdkVersions.add(version);
    return null;
  }
  return r.error ? `SDK parsePlainWebhook: ${r.error.message}` : "";
}

function checkBody(body, ctx) {
  const problems = [];
  if (body === null || typeof body !== "object" || Array.isArray(body))
    return ["not a JSON object"];
  const version = body.webhookMetadata?.webhookTargetVersion;
  const v = ctx.schemas.get(version);
  if (!v) return [`webhookTargetVersion ${JSON.stringify(version)} has no schema`];
  if (!v.body(body)) problems.push(...ajvErrors(v.body, `schema ${version}`, ""));
  const eventType = body.payload?.eventType;
  const payloadValidate = v.payloadValidator(eventType);
  if (!payloadValidate)
    problems.push(`schema ${version} has no payload for ${JSON.stringify(eventType)}`);
  else if (!payloadValidate(body.payload))
    problems.push(...ajvErrors(payloadValidate, `schema ${version} ${eventType}`, "/payload"));
  if (body.type !== eventType)
    problems.push(`type ${JSON.stringify(body.type)} !== payload.eventType ${eventType}`);
  checkOrder(body, BODY_KEYS, "body", problems);
  const expected = ctx.payloadKeys.get(eventType);
  if (!expected) problems.push(`no example for event type ${JSON.stringify(eventType)}`);
  else if (body.payload && typeof body.payload === "object")
    checkOrder(body.payload, expected, "payload", problems);
  for (const k of ["customer", "previousCustomer"])
    if (body.payload && k in body.payload)
      checkCustomer(body.payload[k], `payload.${k}`, ctx.shapes, problems);
  checkTimes(body, "body", problems);
  const sdk = sdkProblem(body, ctx);
  if (sdk === null) ctx.sdkSkipped++;
  else if (sdk) problems.push(sdk);
  else ctx.sdkAccepted++;
  return problems;
}

// ---- driver -------------------------------------------------------------------

function report(ctx, label, problems) {
  if (problems.length === 0) {
    ctx.passed++;
    return;
  }
  ctx.failed++;
  console.log(`FAIL ${label}`);
  for (const p of problems) console.log(`  ${p}`);
}

function checkExamples(ctx, examples) {
  for (const { name, body } of examples) {
    for (const version of ctx.schemas.keys()) {
      const copy = structuredClone(body);
      copy.webhookMetadata.webhookTargetVersion = version;
      report(ctx, `example ${name} as ${version}`, checkBody(copy, ctx));
    }
  }
}

function checkInput(ctx, text) {
  let bodies = 0;
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    bodies++;
    let body;
    try {
      body = JSON.parse(line);
    } catch (e) {
      report(ctx, `line ${i + 1}`, [`not JSON: ${e.message}`]);
      return;
    }
    const problems = checkBody(body, ctx);
    if (JSON.stringify(body) !== line)
      problems.push("not byte-identical to JSON.stringify of itself");
    const what = `${body?.type} ${body?.webhookMetadata?.webhookTargetVersion}`;
    report(ctx, `line ${i + 1} (${what})`, problems);
  });
  return bodies;
}

function main() {
  const input = process.argv[2] ? readFileSync(process.argv[2], "utf8") : readFileSync(0, "utf8");
  const { examples, payloadKeys, shapes } = loadExamples();
  const ctx = {
    schemas: loadSchemas(),
    payloadKeys,
    shapes,
    passed: 0,
    failed: 0,
    sdkAccepted: 0,
    sdkSkipped: 0,
    notSdkVersions: new Set(),
  };
  checkExamples(ctx, examples);
  const bodies = checkInput(ctx, input);
  console.log(
    `${bodies} bodies read; ${examples.length} examples x ${ctx.schemas.size} versions; ` +
      `SDK parsePlainWebhook accepted ${ctx.sdkAccepted} (other versions: ${ctx.sdkSkipped})`,
  );
  console.log(`${ctx.passed} passed, ${ctx.failed} failed`);
  if (bodies === 0) console.log("FAIL no bodies were read");
  process.exit(ctx.failed > 0 || bodies === 0 ? 1 : 0);
}

main();
