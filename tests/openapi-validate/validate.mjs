#!/usr/bin/env node
// Checks an OpenAPI document (a JSON file) with tools independent of the server that produced it:
//  1. @seriousme/openapi-schema-validator: the document against the official OpenAPI JSON schema of its version
//     (2.0, 3.0, 3.1, 3.2), and every local $ref resolves;
//  2. Ajv (JSON Schema 2020-12, strict mode) compiles every schema object in it, which the official schema leaves
//     open: a misspelt keyword, a keyword on the wrong type, a string where a number belongs, a `required` naming
//     no property or a dangling $ref all fail.
// Prints what is wrong and exits 1, or prints one line and exits 0.
//
//   node validate.mjs <openapi.json> [expected version, e.g. 3.1]
import { readFileSync } from "node:fs";
import { argv, exit } from "node:process";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";

const [file, expectedVersion] = argv.slice(2);
if (!file) {
  console.error("usage: node validate.mjs <openapi.json> [expected version]");
  exit(2);
}

const validator = new Validator();
const result = await validator.validate(file);
if (!result.valid) {
  console.error(`not a valid OpenAPI document (${validator.specificationVersion ?? "unknown version"}):`);
  console.error(JSON.stringify(result.errors, null, 2));
  exit(1);
}
if (expectedVersion && validator.version !== expectedVersion) {
  console.error(`expected OpenAPI ${expectedVersion}, the document is ${validator.specificationVersion}`);
  exit(1);
}

const document = JSON.parse(readFileSync(file, "utf8"));
const components = "urn:openapi:components";
// Component schemas become $defs of one schema resource; their references are rewritten to point there.
const rewrite = (node) =>
  Array.isArray(node) ? node.map(rewrite)
  : node && typeof node === "object"
    ? Object.fromEntries(Object.entries(node).map(([key, value]) =>
        key === "$ref" && typeof value === "string" && value.startsWith("#/components/schemas/")
          ? [key, `${components}#/$defs/${value.slice("#/components/schemas/".length)}`]
          : [key, rewrite(value)]))
    : node;

const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
// OpenAPI's own schema keywords (the OAS dialect) beside JSON Schema's.
for (const keyword of ["discriminator", "xml", "externalDocs", "example"]) {
  ajv.addKeyword(keyword);
}

const problems = [];
const compile = (where, build) => {
  try {
    build();
  } catch (error) {
    problems.push(`${where}: ${error.message}`);
  }
};
compile("components.schemas", () => ajv.addSchema({ $id: components, $defs: rewrite(document.components?.schemas ?? {}) }));
for (const name of Object.keys(document.components?.schemas ?? {})) {
  compile(`components.schemas.${name}`, () => ajv.getSchema(`${components}#/$defs/${name}`));
}

const inline = [];
const collect = (where, node) => {
  if (!node || typeof node !== "object") return;
  if (node.schema && typeof node.schema === "object") inline.push([`${where}.schema`, node.schema]);
  for (const [type, media] of Object.entries(node.content ?? {})) collect(`${where}.content[${type}]`, media);
};
for (const [path, item] of Object.entries(document.paths ?? {})) {
  for (const [method, operation] of Object.entries(item)) {
    if (!operation || typeof operation !== "object" || Array.isArray(operation)) continue;
    const where = `${method.toUpperCase()} ${path}`;
    (operation.parameters ?? []).forEach((p, i) => collect(`${where} parameters[${i}:${p.name}]`, p));
    collect(`${where} requestBody`, operation.requestBody);
    for (const [status, response] of Object.entries(operation.responses ?? {})) {
      collect(`${where} responses[${status}]`, response);
      for (const [name, header] of Object.entries(response.headers ?? {})) collect(`${where} responses[${status}].headers[${name}]`, header);
    }
  }
}
for (const [where, schema] of inline) {
  compile(where, () => ajv.compile(rewrite(schema)));
}

if (problems.length > 0) {
  console.error(`${problems.length} schema problem(s):`);
  for (const problem of problems) console.error(`- ${problem}`);
  exit(1);
}
console.log(`valid OpenAPI ${validator.specificationVersion}: ${Object.keys(document.components?.schemas ?? {}).length} component schemas and ${inline.length} inline schemas compile`);
