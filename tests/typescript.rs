//! The generated TypeScript and JSON Schemas, checked with the tools their users run:
//! `tsc --strict` over `generated/ts/*.ts` plus the type-level tests of `tests/ts/type-tests.ts`
//! (positive facts about `Database` through supabase-js, and about every payload type and Zod
//! schema), ajv in strict mode over every emitted JSON Schema, and the draft 2020-12
//! meta-schema (ajv's and the Rust `jsonschema` crate's) over the same files.
//!
//! And the generated files in a fresh npm project as a user makes one (`tests/ts-fresh`: what
//! `npm init -y` wrote, zod and supabase-js installed, both compilers pinned by the lock file),
//! configured by each compiler's own `tsc --init`: TypeScript 5.9 and 7.
//!
//! Needs Node 20 and npm; `tests/ts/node_modules` is installed with `npm ci` when missing (the
//! fresh project always runs `npm ci`, from the npm cache when it can). A machine without Node
//! fails these tests with the install instruction; they never skip.

#[path = "agreement/node.rs"]
mod node;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Every `*.json` file under `dir`, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The emitted JSON Schemas: payloads, transports and tables.
fn schema_files() -> Vec<PathBuf> {
    let dir = node::generated_dir().join("jsonschema");
    let files = json_files(&dir);
    for kind in ["payloads", "transports", "tables"] {
        assert!(
            files.iter().any(|f| f.starts_with(dir.join(kind))),
            "no JSON Schema under {}: run `messenger-gen generate`",
            dir.join(kind).display()
        );
    }
    files
}

/// The tsconfig to run: `tests/ts/tsconfig.json`, or a copy of it whose `@generated/*` and
/// file list point at `$MESSENGER_GENERATED_DIR`.
fn tsconfig(scratch: &Path) -> PathBuf {
    let ts = node::ts_dir();
    let generated = node::generated_dir().join("ts");
    if generated == node::repo_root().join("examples/demo/generated/ts") {
        return ts.join("tsconfig.json");
    }
    let modules = ts.join("node_modules");
    let config = serde_json::json!({
        "extends": ts.join("tsconfig.json"),
        "compilerOptions": {
            "paths": {
                "@generated/*": [generated.join("*")],
                "zod": [modules.join("zod")],
                "zod/*": [modules.join("zod/*")],
                "@supabase/supabase-js": [modules.join("@supabase/supabase-js")],
            }
        },
        "files": [
            generated.join("database.ts"),
            generated.join("payloads.ts"),
            generated.join("zod.ts"),
            ts.join("type-tests.ts"),
        ],
    });
    std::fs::create_dir_all(scratch).unwrap();
    let path = scratch.join("tsconfig.json");
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    path
}

#[test]
fn generated_typescript_compiles_and_types_what_the_schema_says() {
    let node_version = node::ensure_node_modules();
    for file in ["database.ts", "payloads.ts", "zod.ts"] {
        node::generated_file(&format!("ts/{file}"));
    }
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("typescript-check");
    let config = tsconfig(&scratch);
    let config = config.to_str().expect("UTF-8 path");
    let output = node::tsc(&["-p", config, "--pretty", "false"]);
    println!(
        "ran (node {node_version}): tsc -p {config} — strict, noEmit, over examples/demo/generated/ts/{{database,payloads,zod}}.ts and tests/ts/type-tests.ts"
    );
    assert!(
        output.status.success(),
        "tsc found errors in the generated TypeScript or in the type-level tests \
         (tests/ts/type-tests.ts asserts what the generated types must say):\n{}",
        node::describe(&output)
    );
    println!("tsc: no errors");
}

/// The JSON Schemas kept under `expected/jsonschema` of the generator's fixtures (the fixture
/// test keeps them equal to a fresh generate): composite columns, other schemas, edge cases.
fn fixture_schema_dirs() -> Vec<PathBuf> {
    let fixtures = node::repo_root().join("codegen/tests/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path().join("expected/jsonschema"))
        .filter(|d| d.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Runs check-schemas.mjs (ajv strict) over `dir`; returns how many files it checked.
fn ajv_check(dir: &Path) -> usize {
    let script = node::ts_dir().join("check-schemas.mjs");
    let output = node::run(
        "node",
        &[script.to_str().unwrap(), dir.to_str().unwrap()],
        &node::ts_dir(),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        let report: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("unexpected output line {line:?}: {e}"));
        checked += 1;
        if report["ok"] != Value::Bool(true) {
            failures.push(format!("{}: {}", report["file"], report["errors"]));
        }
    }
    assert!(
        failures.is_empty() && output.status.success(),
        "ajv (strict) rejected emitted JSON Schemas in {}:\n{}\n{}",
        dir.display(),
        failures.join("\n"),
        node::describe(&output)
    );
    let files = json_files(dir).len();
    assert_eq!(
        checked,
        files,
        "ajv checked {checked} files in {}, there are {files}\n{}",
        dir.display(),
        node::describe(&output)
    );
    checked
}

#[test]
fn every_json_schema_compiles_in_ajv_strict_mode_and_fits_the_meta_schema() {
    let node_version = node::ensure_node_modules();
    schema_files();
    let mut dirs = vec![node::generated_dir().join("jsonschema")];
    dirs.extend(fixture_schema_dirs());
    let mut checked = 0;
    for dir in &dirs {
        println!(
            "ran (node {node_version}): node tests/ts/check-schemas.mjs {} — ajv 2020 {{strict: true, allErrors: true}} + ajv-formats, compile and validateSchema",
            dir.display()
        );
        checked += ajv_check(dir);
    }
    println!(
        "ajv: {checked} schemas in {} directories compiled in strict mode, all valid against the 2020-12 meta-schema",
        dirs.len()
    );
}

#[test]
fn every_json_schema_fits_the_2020_12_meta_schema_in_rust() {
    let mut files = schema_files();
    for dir in fixture_schema_dirs() {
        files.extend(json_files(&dir));
    }
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let schema: Value = match serde_json::from_str(&text) {
            Ok(schema) => schema,
            Err(e) => {
                failures.push(format!("{}: not JSON: {e}", file.display()));
                continue;
            }
        };
        if schema.get("$schema")
            != Some(&Value::from("https://json-schema.org/draft/2020-12/schema"))
        {
            failures.push(format!(
                "{}: `$schema` is not draft 2020-12",
                file.display()
            ));
        }
        if let Err(error) = jsonschema::draft202012::meta::validate(&schema) {
            failures.push(format!(
                "{}: {error} (at {})",
                file.display(),
                error.instance_path()
            ));
        }
        // The runtime compiles them the same way (formats asserted, no remote `$ref`s).
        if let Err(error) = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&schema)
        {
            failures.push(format!("{}: does not compile: {error}", file.display()));
        }
    }
    println!(
        "ran: jsonschema::draft202012::meta::validate and a draft 2020-12 build over {} files",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "emitted JSON Schemas that are not valid draft 2020-12:\n{}",
        failures.join("\n")
    );
}

/// Copies the files of `from` (not its folders) into `to`.
fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

#[test]
fn generated_typescript_compiles_in_a_fresh_npm_project_with_typescript_5_9_and_7() {
    let node_version = node::ensure_node_modules();
    let template = node::repo_root().join("tests/ts-fresh");
    let project = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ts-fresh");
    let _ = std::fs::remove_dir_all(&project);
    std::fs::create_dir_all(&project).unwrap();
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(template.join(file), project.join(file)).unwrap();
    }
    let install = node::run(
        "npm",
        &["ci", "--no-audit", "--no-fund", "--prefer-offline"],
        &project,
    );
    assert!(
        install.status.success(),
        "`npm ci` of tests/ts-fresh failed (the npm registry, or its cache, is needed)\n{}",
        node::describe(&install)
    );
    let generated = node::generated_dir().join("ts");
    let mut compiled = Vec::new();
    for (compiler, package) in [("5.9", "typescript-5"), ("7", "typescript")] {
        // Each compiler's own `tsc --init` in a folder of its own, with the generated files
        // and a user's module beside them; `include` is the default (the whole folder).
        let dir = project.join(format!("ts{compiler}"));
        std::fs::create_dir_all(&dir).unwrap();
        let tsc = project.join(format!("node_modules/{package}/bin/tsc"));
        let tsc = tsc.to_str().unwrap();
        let init = node::run("node", &[tsc, "--init"], &dir);
        assert!(
            init.status.success(),
            "tsc --init\n{}",
            node::describe(&init)
        );
        let config = std::fs::read_to_string(dir.join("tsconfig.json")).unwrap();
        for setting in ["\"module\": \"nodenext\"", "\"strict\": true"] {
            assert!(
                config.contains(setting),
                "TypeScript {compiler}'s `tsc --init` no longer writes {setting}:\n{config}"
            );
        }
        copy_files(&generated, &dir.join("generated/ts"));
        std::fs::copy(template.join("app.mts"), dir.join("app.mts")).unwrap();
        let version = node::run("node", &[tsc, "--version"], &dir);
        let output = node::run("node", &[tsc, "-p", "."], &dir);
        assert!(
            output.status.success(),
            "TypeScript {compiler} does not compile the generated files in a fresh project \
             ({}, tsconfig.json from its `tsc --init`):\n{}",
            dir.display(),
            node::describe(&output)
        );
        // It emitted JavaScript and declarations, as the project is configured to.
        assert!(dir.join("generated/ts/zod.js").is_file());
        assert!(dir.join("generated/ts/zod.d.ts").is_file());
        compiled.push(String::from_utf8_lossy(&version.stdout).trim().to_owned());
    }
    println!(
        "ran (node {node_version}): npm ci in a copy of tests/ts-fresh, then per compiler `tsc --init` \
         and `tsc -p .` over {}/*.ts and app.mts: {} — no errors",
        generated.display(),
        compiled.join(", ")
    );
}
