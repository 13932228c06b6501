// introspection_roundtrip.mjs - what GraphiQL, graphql-codegen and IDE plugins do first:
// getIntrospectionQuery() over HTTP (with every option graphql-js 16 offers), then
// buildClientSchema on the answer. The rebuilt schema must print exactly as graphql-js
// prints the SDL hookd serves (src/api/schema.graphql), and the answer must equal
// graphql-js's own execution of the same query, byte for byte once parsed.
//
//   HOOKD_GRAPHQL_URL=http://127.0.0.1:PORT/graphql/v1 HOOKD_API_KEY=... node introspection_roundtrip.mjs

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as g from "graphql";

const here = dirname(fileURLToPath(import.meta.url));
const sdl = readFileSync(join(here, "../../src/api/schema.graphql"), "utf8");
const schema = g.buildSchema(sdl);
const { HOOKD_GRAPHQL_URL: url, HOOKD_API_KEY: key } = process.env;
if (!url || !key) throw new Error("set HOOKD_GRAPHQL_URL and HOOKD_API_KEY");

async function post(query, apiKey = key) {
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, json: await res.json() };
}

const variants = [
  {},
  { descriptions: false },
  { specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true,
    inputValueDeprecation: true, oneOf: true },
];
for (const options of variants) {
  const query = g.getIntrospectionQuery(options);
  const { status, json } = await post(query);
  assert.equal(status, 200, `introspection ${JSON.stringify(options)}: HTTP ${status} ${JSON.stringify(json).slice(0, 300)}`);
  assert.equal(json.errors, undefined, JSON.stringify(json.errors));
  const client = g.buildClientSchema(json.data);
  assert.deepEqual(g.validateSchema(client), [], "the rebuilt schema is valid");
  if (options.descriptions !== false) {
    assert.equal(g.printSchema(client), g.printSchema(schema),
      `printSchema(buildClientSchema(hookd's answer)) differs from graphql-js's ${JSON.stringify(options)}`);
  }
  const reference = g.graphqlSync({ schema, source: query });
  assert.deepEqual(json.data, JSON.parse(JSON.stringify(reference.data)), `answer ${JSON.stringify(options)}`);
  console.log(`ok: getIntrospectionQuery(${JSON.stringify(options)}): ${JSON.stringify(json).length} bytes`);
}

// Introspection needs a key like any query.
const anonymous = await post(g.getIntrospectionQuery(), "not-a-key");
assert.equal(anonymous.status, 401, "introspection without a valid key is refused");
console.log("ok: introspection without a valid key is refused (401)");
