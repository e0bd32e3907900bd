// The JavaScript judges of the four-way agreement test (tests/agreement.rs): ajv (draft 2020-12,
// strict, ajv-formats) on the emitted payload JSON Schemas, and the generated Zod schemas
// (generated/ts/zod.ts compiled to CommonJS by the test). One process judges the whole corpus:
//
//   node tests/ts/verdicts.mjs <corpus.json> <zod.js> <jsonschema/payloads dir>
//
// corpus.json is [{"id", "type", "payload"}, ...]. Prints one JSON line per payload,
// {"id", "ajv": {"valid", "errors"}, "zod": {"valid", "errors"}}, then one
// {"setup_error": "..."} line per schema that could not be loaded or compiled.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

import Ajv2020Module from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const addFormats = addFormatsModule.default ?? addFormatsModule;

const [corpusPath, zodPath, schemaDir] = process.argv.slice(2);
if (!schemaDir) {
  console.error("usage: node verdicts.mjs <corpus.json> <zod.js> <payload schema dir>");
  process.exit(2);
}

const corpus = JSON.parse(readFileSync(corpusPath, "utf8"));
const zod = createRequire(import.meta.url)(zodPath);
const setupErrors = [];

/** The generated Zod schema of a message type: MESSAGE_TYPE_SCHEMAS, else `<Pascal>Schema`. */
function zodSchema(type) {
  const byName = zod.MESSAGE_TYPE_SCHEMAS?.[type];
  if (byName) return byName;
  const pascal = type.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c) => c.toUpperCase());
  return zod[`${pascal}Schema`];
}

const ajvValidators = new Map();
function ajvValidator(type) {
  if (!ajvValidators.has(type)) {
    let validate = null;
    try {
      const schema = JSON.parse(readFileSync(join(schemaDir, `${type}.schema.json`), "utf8"));
      const ajv = new Ajv2020({ strict: true, allErrors: true });
      addFormats(ajv);
      validate = ajv.compile(schema);
    } catch (e) {
      setupErrors.push(`ajv: ${type}.schema.json: ${e.message}`);
    }
    ajvValidators.set(type, validate);
  }
  return ajvValidators.get(type);
}

const lines = corpus.map(({ id, type, payload }) => {
  const verdict = { id };
  const validate = ajvValidator(type);
  if (validate === null) {
    verdict.ajv = { valid: null, errors: ["the schema did not compile"] };
  } else {
    const valid = validate(payload);
    verdict.ajv = {
      valid,
      errors: valid
        ? []
        : validate.errors.map((e) => `${e.instancePath || "/"} ${e.keyword}: ${e.message}`),
    };
  }
  const schema = zodSchema(type);
  if (!schema) {
    if (!setupErrors.some((e) => e.startsWith(`zod: ${type}:`))) {
      setupErrors.push(`zod: ${type}: no MESSAGE_TYPE_SCHEMAS entry or exported schema`);
    }
    verdict.zod = { valid: null, errors: ["no Zod schema"] };
  } else {
    try {
      const result = schema.safeParse(payload);
      verdict.zod = {
        valid: result.success,
        errors: result.success
          ? []
          : result.error.issues.map((i) => `/${i.path.join("/")} ${i.code}: ${i.message}`),
      };
    } catch (e) {
      verdict.zod = { valid: null, errors: [`safeParse threw: ${e.message}`] };
    }
  }
  return JSON.stringify(verdict);
});
for (const error of setupErrors) lines.push(JSON.stringify({ setup_error: error }));
process.stdout.write(`${lines.join("\n")}\n`);
