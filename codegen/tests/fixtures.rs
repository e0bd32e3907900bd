//! Fixture directories (`tests/fixtures/<case>/{schema,queries}`) run through the real binary
//! against a real PostgreSQL. `ok_*` cases snapshot the whole generated tree; `err_*` and
//! `warn_*` cases snapshot the rendered diagnostics (no colour, paths relative to the case).

mod common;
use common::{copy_dir, text};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use messenger_test_support::server_url;

/// Runs `messenger-gen <args>` in a temp copy of the fixture; returns the copy and the output.
fn run_case(case: &Path, args: &[&str]) -> (tempfile::TempDir, Output) {
    let work = tempfile::tempdir().unwrap();
    copy_dir(case, work.path());
    let output = Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
        .args(args)
        .env("DATABASE_URL", server_url())
        .env("NO_COLOR", "1")
        .current_dir(work.path())
        .output()
        .unwrap();
    (work, output)
}

/// Every file below `dir` as (path relative to `dir`, text), sorted.
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            if entry.file_type().unwrap().is_dir() {
                walk(root, &entry.path(), out);
            } else {
                let rel = entry.path().strip_prefix(root).unwrap().to_path_buf();
                out.push((rel, std::fs::read_to_string(entry.path()).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files
}

fn tree(dir: &Path) -> String {
    files(dir)
        .into_iter()
        .map(|(path, text)| format!("==> {} <==\n{text}", path.display()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn fixtures() {
    insta::glob!("fixtures/*", |case| {
        let name = case.file_name().unwrap().to_str().unwrap().to_owned();
        if name.starts_with("ok_") {
            let (work, out) = run_case(case, &["generate", "--deny-warnings"]);
            assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
            insta::assert_snapshot!(format!("{name}_tree"), tree(&work.path().join("generated")));
            // `expected/` holds copies of emitted sources that other tests compile: the Rust
            // in tests/edge_case_payloads.rs, the TypeScript through tests/ts/tsconfig.json.
            let expected = case.join("expected");
            if expected.is_dir() {
                for (path, text) in files(&expected) {
                    let emitted =
                        std::fs::read_to_string(work.path().join("generated").join(&path))
                            .unwrap_or_else(|e| {
                                panic!("{name}: generated/{} missing: {e}", path.display())
                            });
                    assert!(
                        emitted == text,
                        "{name}: expected/{} is stale; copy generated/{} from a fresh \
                         `messenger-gen generate` of this fixture over it",
                        path.display(),
                        path.display()
                    );
                }
            }
        } else if name.starts_with("err_") {
            let (work, out) = run_case(case, &["generate"]);
            assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out.stderr));
            assert!(
                !work.path().join("generated").exists(),
                "{name}: a failed generate wrote output"
            );
            insta::assert_snapshot!(format!("{name}_stderr"), text(&out.stderr));
        } else if name.starts_with("warn_") {
            let (work, out) = run_case(case, &["generate"]);
            assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
            assert!(work.path().join("generated").exists());
            let (work, denied) = run_case(case, &["generate", "--deny-warnings"]);
            assert_eq!(denied.status.code(), Some(2));
            assert!(!work.path().join("generated").exists());
            insta::assert_snapshot!(format!("{name}_stderr"), text(&denied.stderr));
        } else {
            panic!("fixture {name} must start with ok_, err_ or warn_");
        }
    });
}
