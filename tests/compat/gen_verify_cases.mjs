// gen_verify_cases.mjs - writes tests/data/verify/schema_cases.jsonl: mutations of Plain's
// example bodies, each with the verdict of the SDK's own validator, so that
// tests/unit/test_verify.c can check that libhookd-verify accepts exactly what the SDK accepts.
//
//   TZ=UTC node tests/compat/gen_verify_cases.mjs > tests/data/verify/schema_cases.jsonl
//
// The validator is the SDK's: its Ajv and ajv-formats (2.1.1, resolved from the SDK's own
// directory), with the SDK's options ({ unicodeRegExp: false } + addFormats), against
// webhook-schemas/2026-04-21.json; every example gets webhookTargetVersion "2026-04-21".
// Date.parse results (for the attempt timestamp, which the SDK's verifier runs through it)
// are recorded in UTC.
//
// One line per (example, path): {"f": file, "p": [keys and indices], "m": [[op, value?, ok, ms?]]}
//   ["del", ok]               delete the key (or the array element)
//   ["add", ok]               add "hkExtra": 1 to the object at the path
//   ["set", value, ok]        replace the value
//   ["set", value, ok, ms]    the same for a date-time string; ms = Date.parse(value) or null
// Random cases come from a fixed seed: the output is the same on every run.

import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

process.env.TZ = "UTC";
const here = dirname(fileURLToPath(import.meta.url));
const sdkRequire = createRequire(
  join(here, "node_modules", "@team-plain", "typescript-sdk", "dist", "index.js"),
);
const Ajv = sdkRequire("ajv");
const addFormats = sdkRequire("ajv-formats");
const VERSION = "2026-04-21";
const data = join(here, "..", "data", "plain");
const schema = JSON.parse(readFileSync(join(data, "webhook-schemas", `${VERSION}.json`), "utf8"));
const ajv = new (Ajv.default ?? Ajv)({ unicodeRegExp: false });
(addFormats.default ?? addFormats)(ajv);
const validate = ajv.compile(schema);

// ---- a seeded PRNG (mulberry32) -----------------------------------------------
let seed = 0x5eed1234;
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
function randString(alphabet, min, max) {
  const n = min + Math.floor(rand() * (max - min + 1));
  let s = "";
  for (let i = 0; i < n; i++) s += pick(alphabet);
  return s;
}

// ---- candidate values -----------------------------------------------------------
const TYPE_CHANGES = [null, true, 0, 1.5, "x", [], {}];

const DATETIMES = [
  "2023-10-19T14:21:43.616Z", "2023-10-19t14:21:43.616z", "2023-10-19 14:21:43.616Z",
  "2023-10-19\u00a014:21:43.616Z", "2023-10-19\u300014:21:43.616Z", "2023-10-19\u202814:21:43.616Z",
  "2023-10-19\u202914:21:43.616Z", "2023-10-19\t14:21:43.616Z", "2023-10-19\n14:21:43.616Z",
  "2023-10-19\ufeff14:21:43.616Z", "2023-10-19  14:21:43.616Z", "2023-10-19TT14:21:43.616Z",
  "2023-10-19T14:21:43Z", "2023-10-19T14:21:43.6Z", "2023-10-19T14:21:43.6169999Z",
  "2023-10-19T14:21:43.Z", "2023-10-19T14:21:43.616", "2023-10-19T14:21:43.616+05:30",
  "2023-10-19T14:21:43.616+0530", "2023-10-19T14:21:43.616+05", "2023-10-19T14:21:43.616+05:",
  "2023-10-19T14:21:43.616+5:30", "2023-10-19T14:21:43.616-23:59", "2023-10-19T14:21:43.616+24:00",
  "2023-10-19T14:21:43.616+99:99", "2023-10-19T14:21:43.616+00:60", "2023-10-19T23:59:60Z",
  "2023-10-19T23:59:60.5+01:00", "2023-10-19T22:59:60Z", "2023-10-19T24:00:00Z",
  "2023-10-19T14:60:00Z", "2023-10-19T14:21:60Z", "2023-02-29T00:00:00Z", "2024-02-29T00:00:00Z",
  "1900-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2023-04-31T00:00:00Z", "2023-00-10T00:00:00Z",
  "2023-13-10T00:00:00Z", "2023-10-00T00:00:00Z", "0000-01-01T00:00:00Z",
  "9999-12-31T23:59:59.999-01:00", "2023-1-19T14:21:43Z", "23-10-19T14:21:43Z",
  "2023-10-19T14:21:43.616Z ", " 2023-10-19T14:21:43.616Z", "2023-10-19T14:21:43,616Z",
  "2023-10-19", "14:21:43Z", "", "2023-10-19T14:21:43.616ZZ", "2023-10-19T14:21:43.616z+01:00",
  "２023-10-19T14:21:43Z", "2023-10-19T1４:21:43Z", "2023-10-19T14:21:43.616+01:00:00",
];
function randomDatetimes(n) {
  const out = [];
  const digits = "0123456789".split("");
  const seps = ["T", "t", " ", "\u00a0", "\u2028", "x", "TT", ""];
  const zones = ["Z", "z", "", "+01:00", "-0130", "+05", "+25:00", "+01:61", "Zz", "+1:00"];
  for (let i = 0; i < n; i++) {
    const y = randString(digits, 3, 5);
    const mo = pick(["01", "02", "12", "13", "00", randString(digits, 1, 3)]);
    const d = pick(["01", "28", "29", "30", "31", "32", randString(digits, 1, 3)]);
    const h = pick(["00", "23", "24", randString(digits, 1, 3)]);
    const mi = pick(["00", "59", "60", randString(digits, 2, 2)]);
    const s = pick(["00", "59", "60", "61", randString(digits, 2, 2)]);
    const frac = pick(["", ".", ".1", ".123", ".123456", "." + randString(digits, 1, 12)]);
    out.push(`${y}-${mo}-${d}${pick(seps)}${h}:${mi}:${s}${frac}${pick(zones)}`);
  }
  return out;
}

const IDS = [
  "c_01HD44FHDPG82VQ4QNHDR4N2T0", "cg_01GWVPYG1B8JBPGZC2VQDQEQAM", "C_01HD44FHDPG82VQ4QNHDR4N2T0",
  "c_01hd44fhdpg82vq4qnhdr4n2t0", "c_01HD44FHDPG82VQ4QNHDR4N2TI", "c_01HD44FHDPG82VQ4QNHDR4N2TL",
  "c_01HD44FHDPG82VQ4QNHDR4N2TO", "c_01HD44FHDPG82VQ4QNHDR4N2TU", "c_01HD44FHDPG82VQ4QNHDR4N2T",
  "c_01HD44FHDPG82VQ4QNHDR4N2T00", "_01HD44FHDPG82VQ4QNHDR4N2T0", "c01HD44FHDPG82VQ4QNHDR4N2T0",
  "c__01HD44FHDPG82VQ4QNHDR4N2T0", "c1_01HD44FHDPG82VQ4QNHDR4N2T0", "c-_01HD44FHDPG82VQ4QNHDR4N2T0",
  "abcdefghijklmnopqrstuvw_01HD44FHDPG82VQ4QNHDR4N2T0", "abcdefghijklmnopqrstuvwx_01HD44FHDPG82VQ4QNHDR4N2T0",
  "c_01HD44FHDPG82VQ4QNHDR4N2T0\n", "é_01HD44FHDPG82VQ4QNHDR4N2T0", " c_01HD44FHDPG82VQ4QNHDR4N2T0",
  "c_01HD44FHDPG82VQ4QNHDR4N2T0 ", "", "x", "whTarget_01HD4400VTDJQ646V6RY37SR7K",
];

const EMAILS = [
  "peter@example.com", "a@b.co", "a@b.c", "a@b", "@example.com", "peter@", "peter", "pe ter@example.com",
  "pe\u00a0ter@example.com", "pe\u2003ter@example.com", "pe\ufeffter@example.com", "péter@example.com",
  "p😀@example.com", "peter@exämple.com", "peter@éxample.com", "peter@-example.com", "peter@e-xample.com",
  "peter@example.c0m", "peter@example.co1", "peter@example..com", "peter@.example.com", "peter@..com",
  "peter@@example.com", "peter@@@example.com", "peter@😀example.com", "peter@😀.com", "peter@\nexample.com",
  "peter@\u2028.com", "peter.santos@example.com", "peter..santos@example.com", ".peter@example.com",
  "peter.@example.com", "\"peter\"@example.com", "\"pe ter\"@example.com", "\"\"@example.com",
  "\"a\"@example.com", "\"a@b\"@example.com", "\"a\"b\"@example.com", "\"a\nb\"@example.com",
  "\"a\u2028b\"@example.com", "\"a\tb\"@example.com", "\"@example.com", "\"a@example.com",
  "a\"@example.com", "peter@[1.2.3.4]", "peter@[1.2.3]", "peter@[1.2.3.4.5]", "peter@[1234.2.3.4]",
  "peter@[999.999.999.999]", "peter@[1.2.3.4", "peter@1.2.3.4", "peter@[a.b.c.d]", "peter@[]",
  "peter@[1.2.3.4]x", "\"x\"@[1.2.3.4]", "pe(ter@example.com", "pe)ter@example.com", "pe<ter@example.com",
  "pe>ter@example.com", "pe[ter@example.com", "pe]ter@example.com", "pe\\ter@example.com",
  "pe,ter@example.com", "pe;ter@example.com", "pe:ter@example.com", "pe'ter@example.com",
  "pe!#$%&*+/=?^_`{|}~ter@example.com", "peter@example.COM", "peter@EXAMPLE.com", "peter@x.y.z.example.com",
  "peter@a.b", "peter@a.bc", "peter@0.co", "peter@_.co", "peter@_x.co", "peter@x_y.co", "peter@..co",
  "peter@a..co", "peter@.co", "peter@-.co", "peter@@.co", "peter@a@b.co", "a@b@c.co", "\"a@b\"@c@d.co",
  "\"a\"@@b.co", "peter@example.com.", "peter@example.c-m", "peter@example.-com", "peter@ example.com",
  "peter @example.com", "peter@exa mple.com", "x@" + "a".repeat(300) + ".com", "a".repeat(300) + "@b.co",
];
function randomEmails(n) {
  const local = ["a", "Z", "0", ".", '"', "-", "(", ",", " ", "é", "😀", "\u00a0", "\n", "\u2028", "@", "_", "+"];
  const domain = ["a", "b", "Z", "0", "-", ".", ".", "@", "[", "]", "1", "é", "😀", " ", "_", "\n"];
  const out = [];
  for (let i = 0; i < n; i++) {
    const l = rand() < 0.3 ? `"${randString(local, 0, 4)}"` : randString(local, 0, 5);
    const d = randString(domain, 0, 4) + pick([".com", ".co", ".c", ".c0m", "", ".a-b", "]"]);
    out.push(`${l}@${d}`);
  }
  return out;
}

const COLORS = ["#D66258", "#d66258", "#abc", "#abcd", "#abcde", "#abcdef", "#abcdef0", "#abcdef01",
  "#abcdef012", "#ab", "#", "D66258", "#GGGGGG", "#D6625", "#D66258 ", "", "red", "#ＡＢＣ"];
const NAMES = ["", "x", "é", "😀", "a".repeat(50), "a".repeat(51), "é".repeat(50), "😀".repeat(50),
  "😀".repeat(51), "a".repeat(500), "a".repeat(501), "😀".repeat(500), "😀".repeat(501), " "];
const CHANGE_TYPES = ["ADDED", "REMOVED", "UPDATED", "added", "", "ADDED "];
const USER = "u_01H1V4NA10RMHWFBXB6A1ZBYRA";
const ACTORS = [
  { actorType: "user", userId: USER }, { actorType: "user" }, { actorType: "user", userId: "bad" },
  { actorType: "user", userId: null }, { actorType: "machineUser", machineUserId: "mu_01H1V4NA10RMHWFBXB6A1ZBYRA" },
  { actorType: "machineUser", userId: USER }, { actorType: "system", system: "email_inbound_handler" },
  { actorType: "system", system: "" }, { actorType: "system", system: 5 }, { actorType: "system" },
  { actorType: "customer", customerId: "c_01HD44FHDPG82VQ4QNHDR4N2T0" }, { actorType: "customer" },
  { actorType: "UNKNOWN" }, { actorType: "UNKNOWN", userId: 5 }, { actorType: "unknown" },
  { actorType: "User", userId: USER }, { actorType: 1 }, { userId: USER }, {},
  { actorType: "user", userId: USER, extra: [1, 2] }, null,
];
const NUMBERS = [1, 2, 13, 0, -1, 1.5, 1e3, 4294967295, -0, "1", true, null];
const SYSTEM = ["", "x", "é", "\n"];

// ---- the paths that get the candidate lists, per example -------------------------
const M0 = ["payload", "customer", "customerGroupMemberships", 0];
const CANDIDATES = {
  "customer-group-changed.json": [
    [["timestamp"], DATETIMES.concat(randomDatetimes(200))],
    [["webhookMetadata", "webhookDeliveryAttemptTimestamp"], DATETIMES.concat(randomDatetimes(200))],
    [["payload", "customer", "createdAt"], DATETIMES],
    [["payload", "customer", "email", "verifiedAt"], DATETIMES],
    [["payload", "customer", "markedAsSpamAt"], DATETIMES],
    [[...M0, "createdAt"], DATETIMES],
    [[...M0, "customerGroup", "updatedAt"], DATETIMES],
    [["id"], IDS], [["workspaceId"], IDS], [["webhookMetadata", "webhookTargetId"], IDS],
    [["webhookMetadata", "webhookDeliveryAttemptId"], IDS], [["payload", "customer", "id"], IDS],
    [[...M0, "customerId"], IDS], [[...M0, "customerGroupId"], IDS], [[...M0, "workspaceId"], IDS],
    [[...M0, "customerGroup", "id"], IDS], [[...M0, "customerGroup", "workspaceId"], IDS],
    [[...M0, "createdBy", "userId"], IDS], [["payload", "customer", "updatedBy", "userId"], IDS],
    [["payload", "customer", "email", "email"], EMAILS.concat(randomEmails(400))],
    [["payload", "previousCustomer", "email", "email"], EMAILS],
    [[...M0, "customerGroup", "color"], COLORS],
    [[...M0, "customerGroup", "name"], NAMES], [[...M0, "customerGroup", "key"], NAMES],
    [["payload", "customer", "fullName"], NAMES], [["payload", "customer", "shortName"], NAMES],
    [["payload", "customer", "externalId"], NAMES],
    [["payload", "changeType"], CHANGE_TYPES],
    [["payload", "customer", "createdBy"], ACTORS], [["payload", "customer", "updatedBy"], ACTORS],
    [["payload", "previousCustomer", "createdBy"], ACTORS], [["payload", "customer", "markedAsSpamBy"], ACTORS],
    [[...M0, "createdBy"], ACTORS], [[...M0, "updatedBy"], ACTORS],
    [[...M0, "customerGroup", "createdBy"], ACTORS], [[...M0, "customerGroup", "updatedBy"], ACTORS],
    [["payload", "customer", "createdBy", "system"], SYSTEM],
    [["webhookMetadata", "webhookDeliveryAttemptNumber"], NUMBERS],
    [["payload", "customer", "email", "isVerified"], [true, false, "true", 1]],
  ],
  "customer-updated.json": [
    [["payload", "customer", "markedAsSpamBy"], ACTORS],
    [["payload", "customer", "markedAsSpamAt"], DATETIMES],
  ],
};

// ---- mutation and validation ------------------------------------------------------
const clone = (v) => JSON.parse(JSON.stringify(v));
function parentOf(body, path) {
  let o = body;
  for (const k of path.slice(0, -1)) o = o[k];
  return o;
}
function at(body, path) {
  let o = body;
  for (const k of path) o = o[k];
  return o;
}
function mutated(body, path, op, value) {
  const b = clone(body);
  const parent = parentOf(b, path);
  const key = path[path.length - 1];
  if (op === "del") {
    if (Array.isArray(parent)) parent.splice(key, 1);
    else delete parent[key];
  } else if (op === "add") {
    at(b, path).hkExtra = 1;
  } else {
    parent[key] = clone(value);
  }
  return b;
}
const valid = (b) => (validate(b) ? 1 : 0);
const isTime = (s) => typeof s === "string";

// Every node below the root, depth first, in document order.
function paths(v, prefix = [], out = []) {
  if (v === null || typeof v !== "object") return out;
  for (const k of Array.isArray(v) ? v.keys() : Object.keys(v)) {
    const p = [...prefix, k];
    out.push(p);
    paths(v[k], p, out);
  }
  return out;
}

const exampleDir = join(data, "webhook-examples");
for (const file of readdirSync(exampleDir).filter((f) => f.endsWith(".json")).sort()) {
  const body = JSON.parse(readFileSync(join(exampleDir, file), "utf8"));
  body.webhookMetadata.webhookTargetVersion = VERSION;
  if (!validate(body)) throw new Error(`${file} does not validate: ${ajv.errorsText(validate.errors)}`);
  const generic = [];
  for (const p of paths(body)) {
    // the version is checked before the schema, by a list the caller gives (unit tests)
    if (p[p.length - 1] === "webhookTargetVersion") continue;
    const m = [["del", valid(mutated(body, p, "del"))]];
    const node = at(body, p);
    if (node !== null && typeof node === "object" && !Array.isArray(node))
      m.push(["add", valid(mutated(body, p, "add"))]);
    for (const v of TYPE_CHANGES) m.push(["set", v, valid(mutated(body, p, "set", v))]);
    generic.push({ f: file, p, m });
  }
  for (const line of generic) console.log(JSON.stringify(line));
  for (const [p, values] of CANDIDATES[file] ?? []) {
    const timeish = /(At|timestamp|Timestamp)$/.test(String(p[p.length - 1]));
    const m = values.map((v) => {
      const ok = valid(mutated(body, p, "set", v));
      if (!timeish || !isTime(v)) return ["set", v, ok];
      const ms = Date.parse(v);
      return ["set", v, ok, Number.isNaN(ms) ? null : ms];
    });
    console.log(JSON.stringify({ f: file, p, m }));
  }
}
