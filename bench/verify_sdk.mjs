// verify_sdk.mjs - times verifyPlainWebhook of Plain's TypeScript SDK (the package installed
// in tests/compat/node_modules) on the bodies bench_verify --write produced.
//
//   node bench/verify_sdk.mjs BODIES.jsonl SECRET COUNT [ROUNDS]
//
// Each round calls verifyPlainWebhook COUNT times, cycling through the bodies, and fails
// on any error, as bench_verify does; prints each round and the median in ops/s.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "tests", "compat", "package.json"));
const { verifyPlainWebhook } = require("@team-plain/typescript-sdk");

const [file, secret, countArg, roundsArg] = process.argv.slice(2);
if (!file || !secret || !countArg) {
  console.error("usage: node bench/verify_sdk.mjs BODIES.jsonl SECRET COUNT [ROUNDS]");
  process.exit(2);
}
const count = Number(countArg);
const rounds = Number(roundsArg ?? 3);
const bodies = readFileSync(file, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((l) => JSON.parse(l));

function round(n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const b = bodies[i % bodies.length];
    const r = verifyPlainWebhook(b.body, b.signature, secret);
    if (r.error) throw new Error(`verifyPlainWebhook: ${r.error.message}`);
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

round(Math.min(count, 20)); // warm the JIT
const ops = [];
for (let r = 0; r < rounds; r++) {
  ops.push(round(count));
  console.log(`round ${r + 1}: ${ops[r].toFixed(1)} verifications/s`);
}
ops.sort((a, b) => a - b);
const median = ops[Math.floor(rounds / 2)];
console.log(
  `sdk verifyPlainWebhook: median ${median.toFixed(1)} verifications/s (${(1e3 / median).toFixed(2)} ms each)`,
);
