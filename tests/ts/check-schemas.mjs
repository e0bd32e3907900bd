// Compiles every emitted JSON Schema with ajv in strict mode (draft 2020-12, ajv-formats) and
// validates it against the 2020-12 meta-schema. Run by tests/typescript.rs:
//   node tests/ts/check-schemas.mjs <generated/jsonschema>
// Prints one JSON line per file: {"file", "ok", "errors": [...]}; exits 1 when any file fails.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

import Ajv2020Module from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

const Ajv2020 = Ajv2020Module.default ?? Ajv2020Module;
const addFormats = addFormatsModule.default ?? addFormatsModule;

const root = process.argv[2];
if (!root) {
  console.error("usage: node check-schemas.mjs <jsonschema directory>");
  process.exit(2);
}

function jsonFiles(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return jsonFiles(path);
      return name.endsWith(".json") ? [path] : [];
    });
}

const files = jsonFiles(root);
if (files.length === 0) {
  console.error(`no JSON Schema files under ${root}`);
  process.exit(1);
}

let failed = false;
for (const file of files) {
  const errors = [];
  let schema;
  try {
    schema = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    errors.push(`not JSON: ${e.message}`);
  }
  if (schema !== undefined) {
    // A fresh instance per file: the files have their own `$id`s and `$defs`.
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    if (!ajv.validateSchema(schema)) {
      for (const e of ajv.errors ?? []) {
        errors.push(`meta-schema: ${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
      }
    }
    try {
      ajv.compile(schema);
    } catch (e) {
      errors.push(`compile (strict): ${e.message}`);
    }
  }
  failed ||= errors.length > 0;
  console.log(JSON.stringify({ file: relative(root, file), ok: errors.length === 0, errors }));
}
process.exit(failed ? 1 : 0);
