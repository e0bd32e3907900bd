// Compares two supabase-js `Database` types field by field with the TypeScript compiler API
// (the pinned typescript of this package): ours (messenger-gen's database.ts) and a reference
// (postgres-meta's expected output). Types are compared resolved, not as text: every property
// type is expanded by the checker and written in a canonical form (union members sorted,
// `boolean` for `true | false`, optional properties without their implicit `undefined`), except
// that a `Row` of a table or view and a `CompositeTypes` entry are written as their path, so a
// difference in a row is reported once, where the row is, and not again in every argument that
// takes that row.
//
//   node compare-database.mjs OURS.ts REFERENCE.ts SCHEMA
//
// Prints one JSON document: `counts` per section (entries and fields compared, equal,
// different) and `differences`, each `{section, path, ours, reference}`.

import ts from "typescript";

const [oursFile, referenceFile, schemaName] = process.argv.slice(2);
if (!oursFile || !referenceFile || !schemaName) {
  console.error("usage: node compare-database.mjs OURS.ts REFERENCE.ts SCHEMA");
  process.exit(2);
}

const program = ts.createProgram([oursFile, referenceFile], {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  types: [],
});
const diagnostics = ts.getPreEmitDiagnostics(program);
if (diagnostics.length > 0) {
  console.error(ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => "\n",
  }));
  process.exit(2);
}
const checker = program.getTypeChecker();

/** The `Database` type alias of a file, resolved. */
function databaseOf(file) {
  const source = program.getSourceFile(file);
  const symbol = checker.getSymbolAtLocation(source);
  const database = checker.getExportsOfModule(symbol).find((s) => s.name === "Database");
  if (!database) throw new Error(`${file} exports no Database`);
  return checker.getDeclaredTypeOfSymbol(database);
}

function property(type, name) {
  const symbol = type.getProperty(name);
  return symbol ? checker.getTypeOfSymbol(symbol) : undefined;
}

/** The path of an object literal type declared as `Database.<schema>.(Tables|Views).<name>.Row`
 * or `Database.<schema>.CompositeTypes.<name>`, or undefined. */
function databasePath(type) {
  const declaration = type.getSymbol()?.declarations?.[0];
  if (!declaration || !ts.isTypeLiteralNode(declaration)) return undefined;
  const names = [];
  let node = declaration;
  while (node) {
    if (ts.isTypeLiteralNode(node) && ts.isPropertySignature(node.parent)) {
      names.unshift(node.parent.name.getText().replace(/^"|"$/g, ""));
      node = node.parent.parent;
    } else if (ts.isTypeLiteralNode(node) && ts.isTypeAliasDeclaration(node.parent)) {
      if (node.parent.name.text !== "Database") return undefined;
      break;
    } else {
      return undefined;
    }
  }
  const isRow = names.length === 4 && (names[1] === "Tables" || names[1] === "Views") && names[3] === "Row";
  const isComposite = names.length === 3 && names[1] === "CompositeTypes";
  return isRow || isComposite ? names.join(".") : undefined;
}

const F = ts.TypeFlags;

/** A canonical text of a resolved type. `top`: expand even a named `Database` object. */
function canonical(type, top = false, depth = 0) {
  if (depth > 12) return "…";
  const alias = type.aliasSymbol?.name;
  if (alias === "Json") return "Json";
  if (type.flags & F.Any) return "any";
  if (type.flags & F.Unknown) return "unknown";
  if (type.flags & F.Never) return "never";
  if (type.flags & F.String) return "string";
  if (type.flags & F.Number) return "number";
  if (type.flags & F.Boolean) return "boolean";
  if (type.flags & F.Null) return "null";
  if (type.flags & F.Undefined) return "undefined";
  if (type.flags & F.Void) return "void";
  if (type.flags & F.StringLiteral) return JSON.stringify(type.value);
  if (type.flags & F.NumberLiteral) return String(type.value);
  if (type.flags & F.BooleanLiteral) return checker.typeToString(type);
  if (type.isUnion()) {
    let members = type.types.map((t) => canonical(t, false, depth + 1));
    if (members.includes("true") && members.includes("false")) {
      members = members.filter((m) => m !== "true" && m !== "false").concat("boolean");
    }
    return [...new Set(members)].sort().join(" | ");
  }
  if (type.isIntersection()) {
    return type.types.map((t) => canonical(t, false, depth + 1)).sort().join(" & ");
  }
  if (checker.isArrayType(type)) {
    const element = canonical(checker.getTypeArguments(type)[0], false, depth + 1);
    return /[|&]/.test(element) ? `(${element})[]` : `${element}[]`;
  }
  if (checker.isTupleType(type)) {
    return `[${checker.getTypeArguments(type).map((t) => canonical(t, false, depth + 1)).join(", ")}]`;
  }
  if (type.flags & F.Object) {
    const path = top ? undefined : databasePath(type);
    if (path) return `<${path}>`;
    const fields = checker.getPropertiesOfType(type).map((p) => {
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
      return `${JSON.stringify(p.name)}${optional ? "?" : ""}: ${canonical(propertyType(p), false, depth + 1)}`;
    });
    const index = checker.getIndexInfosOfType(type).map(
      (info) => `[key: ${canonical(info.keyType)}]: ${canonical(info.type, false, depth + 1)}`,
    );
    return `{ ${[...index, ...fields.sort()].join("; ")} }`;
  }
  return checker.typeToString(type);
}

/** A property's type, without the `undefined` its `?` adds. */
function propertyType(symbol) {
  const type = checker.getTypeOfSymbol(symbol);
  if ((symbol.flags & ts.SymbolFlags.Optional) !== 0 && type.isUnion()) {
    const kept = type.types.filter((t) => !(t.flags & F.Undefined));
    if (kept.length === 1) return kept[0];
    if (kept.length === 0) return checker.getNeverType();
    return { isUnion: () => true, isIntersection: () => false, flags: F.Union, types: kept, getSymbol: () => undefined };
  }
  return type;
}

const counts = {};
const differences = [];
function count(section, equal) {
  counts[section] ??= { compared: 0, equal: 0, different: 0 };
  counts[section].compared += 1;
  counts[section][equal ? "equal" : "different"] += 1;
}
function compare(section, path, ours, reference) {
  const equal = ours === reference;
  count(section, equal);
  if (!equal) differences.push({ section, path, ours: ours ?? null, reference: reference ?? null });
}

/** The properties of an object type as `name` → {optional, type}. */
function fieldsOf(type) {
  const out = new Map();
  if (!type) return out;
  for (const p of checker.getPropertiesOfType(type)) {
    out.set(p.name, {
      optional: (p.flags & ts.SymbolFlags.Optional) !== 0,
      type: canonical(propertyType(p)),
    });
  }
  return out;
}

function describeField(field) {
  return field ? `${field.optional ? "?" : ""}: ${field.type}` : undefined;
}

function compareFields(section, path, ours, reference) {
  const a = fieldsOf(ours);
  const b = fieldsOf(reference);
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    compare(section, `${path}.${name}`, describeField(a.get(name)), describeField(b.get(name)));
  }
}

function keysOf(type) {
  return type ? checker.getPropertiesOfType(type).map((p) => p.name) : [];
}

/** The elements of a tuple type (Relationships), canonical, sorted. */
function tupleMembers(type) {
  if (!type || !checker.isTupleType(type)) return [];
  return checker.getTypeArguments(type).map((t) => canonical(t)).sort();
}

function compareRelations(section, ours, reference) {
  for (const name of [...new Set([...keysOf(ours), ...keysOf(reference)])].sort()) {
    const a = ours && property(ours, name);
    const b = reference && property(reference, name);
    const path = `${section}.${name}`;
    if (!a || !b) {
      compare(section, path, a ? "present" : undefined, b ? "present" : undefined);
      continue;
    }
    for (const part of ["Row", "Insert", "Update"]) {
      const pa = property(a, part);
      const pb = property(b, part);
      if (!pa || !pb) {
        compare(section, `${path}.${part}`, pa ? "present" : undefined, pb ? "present" : undefined);
        continue;
      }
      compareFields(section, `${path}.${part}`, pa, pb);
    }
    const ra = tupleMembers(property(a, "Relationships"));
    const rb = tupleMembers(property(b, "Relationships"));
    for (const r of [...new Set([...ra, ...rb])].sort()) {
      const inA = ra.filter((x) => x === r).length;
      const inB = rb.filter((x) => x === r).length;
      compare("Relationships", `${path}.Relationships ${r}`, inA ? `${inA}×` : undefined, inB ? `${inB}×` : undefined);
    }
  }
}

/** The overloads of a function entry, each `{args, rest}` canonical. */
function overloads(type) {
  const members = type.isUnion() ? type.types : [type];
  return members.map((m) => ({
    args: canonical(property(m, "Args") ?? checker.getNeverType()),
    returns: canonical(property(m, "Returns") ?? checker.getNeverType()),
    setof: property(m, "SetofOptions") ? canonical(property(m, "SetofOptions")) : undefined,
  }));
}

function compareFunctions(ours, reference) {
  for (const name of [...new Set([...keysOf(ours), ...keysOf(reference)])].sort()) {
    const a = ours && property(ours, name);
    const b = reference && property(reference, name);
    const path = `Functions.${name}`;
    if (!a || !b) {
      compare("Functions", path, a ? "present" : undefined, b ? "present" : undefined);
      continue;
    }
    const oa = overloads(a);
    const ob = overloads(b);
    for (const args of [...new Set([...oa.map((o) => o.args), ...ob.map((o) => o.args)])].sort()) {
      const x = oa.find((o) => o.args === args);
      const y = ob.find((o) => o.args === args);
      const at = `${path}(${args})`;
      if (!x || !y) {
        compare("Functions", at, x ? "present" : undefined, y ? "present" : undefined);
        continue;
      }
      compare("Functions", `${at}.Returns`, x.returns, y.returns);
      compare("Functions", `${at}.SetofOptions`, x.setof, y.setof);
    }
  }
}

function compareEntries(section, ours, reference, byField) {
  for (const name of [...new Set([...keysOf(ours), ...keysOf(reference)])].sort()) {
    const a = ours && property(ours, name);
    const b = reference && property(reference, name);
    if (!a || !b || !byField) {
      compare(section, `${section}.${name}`, a && canonical(a, true), b && canonical(b, true));
    } else {
      compareFields(section, `${section}.${name}`, a, b);
    }
  }
}

const ours = property(databaseOf(oursFile), schemaName);
const reference = property(databaseOf(referenceFile), schemaName);
if (!ours || !reference) {
  console.error(`schema ${schemaName} missing: ours ${!!ours}, reference ${!!reference}`);
  process.exit(2);
}
compareRelations("Tables", property(ours, "Tables"), property(reference, "Tables"));
compareRelations("Views", property(ours, "Views"), property(reference, "Views"));
compareFunctions(property(ours, "Functions"), property(reference, "Functions"));
compareEntries("Enums", property(ours, "Enums"), property(reference, "Enums"), false);
compareEntries("CompositeTypes", property(ours, "CompositeTypes"), property(reference, "CompositeTypes"), true);

console.log(JSON.stringify({ typescript: ts.version, counts, differences }, null, 2));
