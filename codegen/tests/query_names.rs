//! Names cornucopia turns into Rust (issue 9, item 8): query file names that cannot be module
//! names and query names that cannot be function names are refused up front with a message
//! saying why; a panic inside cornucopia is an error (exit 2), never a crash or a crate that
//! does not compile behind an exit 0.

mod common;
use common::{no_panic, text};

use std::path::Path;
use std::process::{Command, Output};

use messenger_test_support::server_url;

/// A standalone schema with one table and `queries/<file>` holding `sql`.
fn project(file: &str, sql: &str, config: &str) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("schema/rollback")).unwrap();
    std::fs::write(
        work.path().join("schema/V1__items.sql"),
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);",
    )
    .unwrap();
    std::fs::create_dir(work.path().join("queries")).unwrap();
    std::fs::write(work.path().join("queries").join(file), sql).unwrap();
    std::fs::write(
        work.path().join("messenger-gen.toml"),
        format!("include-queue = false\n{config}"),
    )
    .unwrap();
    work
}

fn generate(dir: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
        .arg("generate")
        .current_dir(dir)
        .env("DATABASE_URL", server_url())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    no_panic(&out);
    out
}

const QUERY: &str = "--! item_names\nSELECT id, name FROM items;\n";

#[test]
fn file_names_that_are_not_module_names_are_refused_saying_why() {
    for (file, why) in [
        (
            "dead-letters.sql",
            "only ASCII letters, digits and underscores",
        ),
        ("type.sql", "it is a Rust keyword"),
        ("mod.sql", "it is a Rust keyword"),
        ("1abc.sql", "it starts with a digit"),
        ("héllo.sql", "it is not ASCII"),
        ("r#x.sql", "only ASCII letters, digits and underscores"),
    ] {
        let work = project(file, QUERY, "");
        let out = generate(work.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert!(
            stderr.contains(&format!("queries/{file}"))
                && stderr.contains("cannot be the name of a Rust module")
                && stderr.contains(why),
            "{file}: {stderr}"
        );
        assert!(
            !work.path().join("generated").exists(),
            "{file}: wrote output"
        );
    }
}

#[test]
fn a_directory_under_queries_is_a_module_too() {
    let work = project("ok.sql", QUERY, "");
    std::fs::create_dir(work.path().join("queries/dead-letters")).unwrap();
    std::fs::write(work.path().join("queries/dead-letters/a.sql"), QUERY).unwrap();
    let out = generate(work.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("queries/dead-letters: `dead-letters` cannot be the name"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn query_names_that_cannot_be_functions_are_refused_and_keywords_are_escaped() {
    for name in ["1abc", "self"] {
        let work = project(
            "items.sql",
            &format!("--! {name}\nSELECT id FROM items;\n"),
            "",
        );
        let out = generate(work.path());
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(
            text(&out.stderr).contains(&format!(
                "queries/items.sql:1: query `{name}` cannot be the name of a Rust function"
            )),
            "{name}: {}",
            text(&out.stderr)
        );
    }
    // A keyword cornucopia can escape is fine: `pub fn r#type()`.
    let work = project("items.sql", "--! type\nSELECT id FROM items;\n", "");
    let out = generate(work.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let module =
        std::fs::read_to_string(work.path().join("generated/queries/src/queries/items.rs"))
            .unwrap();
    assert!(module.contains("pub fn r#type()"), "{module}");
}

#[test]
fn a_panic_inside_cornucopia_is_an_error_not_a_crash() {
    // cornucopia unwraps the parse of a mapped Rust type.
    let work = project(
        "items.sql",
        QUERY,
        "[rust.types.mapping]\n\"pg_catalog.int4\" = \"not a type!\"\n",
    );
    let out = generate(work.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: cornucopia failed on these queries: "),
        "{stderr}"
    );
    assert!(!work.path().join("generated").exists());
}
