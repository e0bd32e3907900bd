//! The Node.js toolchain of `tests/ts/`: finding `node`/`npm`, installing the pinned packages
//! (`npm ci`) when `node_modules` is missing, and running `tsc` and the `.mjs` scripts there.
//! Shared by `tests/typescript.rs`, `tests/agreement.rs` and `codegen/tests/postgres_meta.rs`;
//! a missing Node fails the test with the install instruction, it never skips it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The repository root: the closest directory above the including package's manifest that
/// holds `tests/ts` (the root package's own directory, or the workspace root seen from
/// `codegen/`, whose tests include this file too).
pub fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|dir| dir.join("tests/ts/package.json").is_file())
        .map(Path::to_path_buf)
        .unwrap_or(manifest)
}

/// `tests/ts/`: package.json, the lockfile, the type tests and the scripts.
pub fn ts_dir() -> PathBuf {
    repo_root().join("tests/ts")
}

/// The demo application's output directory, whose message types the tests judge:
/// `examples/demo/generated/`, or `$MESSENGER_GENERATED_DIR` to check another output (e.g. a
/// `messenger-gen generate` into a scratch directory) before it is committed. The Rust payload
/// structs always come from the compiled `examples/demo/generated/rust/messages.rs`.
pub fn generated_dir() -> PathBuf {
    match std::env::var_os("MESSENGER_GENERATED_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => repo_root().join("examples/demo/generated"),
    }
}

/// A generated file that must exist, with a message that says how to produce it.
pub fn generated_file(relative: &str) -> PathBuf {
    let path = generated_dir().join(relative);
    assert!(
        path.is_file(),
        "{} is missing: run `messenger-gen generate` (the emitter for it may not exist yet)",
        path.display()
    );
    path
}

const INSTALL_NODE: &str = "Node.js and npm are required by the TypeScript checks (tsc, ajv, Zod, \
     supabase-js typings). Install Node 20 and npm (e.g. `apt-get install nodejs npm`, or from \
     https://nodejs.org) and run the tests again.";

/// Runs `program args...` in `dir`, failing the test with the install instruction when the
/// program cannot be started at all.
pub fn run(program: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{program}`: {e}\n{INSTALL_NODE}"))
}

/// The standard output and error of a finished command, for failure messages.
pub fn describe(output: &Output) -> String {
    format!(
        "exit status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Makes sure `node` and `npm` run and that `tests/ts/node_modules` exists, running `npm ci`
/// (the lockfile's exact versions) when it does not. Returns `node --version`.
pub fn ensure_node_modules() -> String {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = ts_dir();
    let node = run("node", &["--version"], &dir);
    assert!(
        node.status.success(),
        "`node --version` failed\n{}\n{INSTALL_NODE}",
        describe(&node)
    );
    let npm = run("npm", &["--version"], &dir);
    assert!(
        npm.status.success(),
        "`npm --version` failed\n{}\n{INSTALL_NODE}",
        describe(&npm)
    );
    if !dir.join("node_modules").is_dir() {
        eprintln!(
            "tests/ts/node_modules is missing: running `npm ci` in {}",
            dir.display()
        );
        let install = run("npm", &["ci", "--no-audit", "--no-fund"], &dir);
        assert!(
            install.status.success(),
            "`npm ci` in {} failed\n{}",
            dir.display(),
            describe(&install)
        );
    }
    String::from_utf8_lossy(&node.stdout).trim().to_owned()
}

/// The local TypeScript compiler (`tests/ts/node_modules/typescript/bin/tsc`, the version the
/// lockfile pins), run with node: what `npx tsc` runs in `tests/ts`.
pub fn tsc(args: &[&str]) -> Output {
    let dir = ts_dir();
    let tsc = dir.join("node_modules/typescript/bin/tsc");
    let tsc = tsc.to_str().expect("UTF-8 path");
    let mut all = vec![tsc];
    all.extend_from_slice(args);
    run("node", &all, &dir)
}

/// Compiles the generated `ts/database.ts`, `ts/payloads.ts` and `ts/zod.ts` to CommonJS in
/// `out_dir` (with the compiler options of `tests/ts/tsconfig.json`) so that a Node script can
/// load the Zod schemas; returns the path of the compiled `zod.js`.
pub fn compile_generated_ts(out_dir: &Path) -> PathBuf {
    let source = generated_dir().join("ts");
    let files: Vec<PathBuf> = ["database.ts", "payloads.ts", "zod.ts"]
        .iter()
        .map(|name| generated_file(&format!("ts/{name}")))
        .collect();
    std::fs::create_dir_all(out_dir).expect("create the output directory");
    let js = out_dir.join("js");
    let config = serde_json::json!({
        "extends": ts_dir().join("tsconfig.json"),
        "compilerOptions": {
            "noEmit": false,
            "allowImportingTsExtensions": false,
            "rewriteRelativeImportExtensions": true,
            "module": "commonjs",
            "moduleResolution": "node10",
            "outDir": js,
            "rootDir": source,
            "declaration": false,
            "sourceMap": false,
        },
        "files": files,
        "include": [],
    });
    let config_path = out_dir.join("tsconfig.emit.json");
    std::fs::write(&config_path, serde_json::to_string_pretty(&config).unwrap())
        .expect("write the emit tsconfig");
    let output = tsc(&["-p", config_path.to_str().expect("UTF-8 path")]);
    assert!(
        output.status.success(),
        "tsc could not compile the generated TypeScript to JavaScript\n{}",
        describe(&output)
    );
    // CommonJS output, and `require("zod")` resolved from the pinned packages.
    std::fs::write(js.join("package.json"), "{\"type\": \"commonjs\"}\n")
        .expect("write package.json");
    let modules = out_dir.join("node_modules");
    if !modules.exists() {
        std::os::unix::fs::symlink(ts_dir().join("node_modules"), &modules)
            .expect("link node_modules");
    }
    let zod = js.join("zod.js");
    assert!(zod.is_file(), "tsc did not write {}", zod.display());
    zod
}
