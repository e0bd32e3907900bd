//! The peer test: postgres-meta's own test schema (`tests/postgres-meta/`, vendored with its
//! licence) goes through `messenger-gen generate` as a user's migrations, and the `Database`
//! type we write is compared with the one postgres-meta's test suite expects, field by field —
//! tables, views, functions, enums, composite types, relationships: names, optionality,
//! nullability and types resolved by the TypeScript compiler (`tests/ts/compare-database.mjs`),
//! not compared as text. Every difference must be one of the deliberate ones listed in
//! `tests/postgres-meta/deliberate-differences.json`, each explained in
//! `codegen/src/emit/CONTRACT.md`; and each listed one must still occur.

#[path = "../../tests/agreement/node.rs"]
mod node;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use messenger_test_support::server_url;
use serde_json::Value;

#[test]
fn our_database_type_equals_postgres_metas_but_for_the_deliberate_differences() {
    let node_version = node::ensure_node_modules();
    let vendored = node::repo_root().join("tests/postgres-meta");
    let work = tempfile::tempdir().unwrap();
    let schema = work.path().join("schema");
    std::fs::create_dir_all(&schema).unwrap();
    for (from, to) in [
        ("00-init.sql", "V1__postgres_meta_init.sql"),
        ("01-memes.sql", "V2__postgres_meta_memes.sql"),
        ("02-test-internal-query.sql", "V3__test_internal_query.sql"),
    ] {
        std::fs::copy(vendored.join(from), schema.join(to)).unwrap();
    }
    std::fs::write(
        work.path().join("messenger-gen.toml"),
        "include-queue = false\nschemas = [\"public\"]\n",
    )
    .unwrap();
    let generate = Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
        .args(["generate", "--deny-warnings"])
        .env("DATABASE_URL", server_url())
        .env("NO_COLOR", "1")
        .current_dir(work.path())
        .output()
        .unwrap();
    assert!(
        generate.status.success(),
        "generate of postgres-meta's test schema failed\n{}",
        node::describe(&generate)
    );
    let ours = work.path().join("generated/ts/database.ts");
    let reference = vendored.join("expected-database.ts");
    let script = node::ts_dir().join("compare-database.mjs");
    let output = node::run(
        "node",
        &[
            script.to_str().unwrap(),
            ours.to_str().unwrap(),
            reference.to_str().unwrap(),
            "public",
        ],
        &node::ts_dir(),
    );
    assert!(
        output.status.success(),
        "compare-database.mjs failed\n{}",
        node::describe(&output)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();

    let listed: Value = serde_json::from_str(
        &std::fs::read_to_string(vendored.join("deliberate-differences.json")).unwrap(),
    )
    .unwrap();
    let contract =
        std::fs::read_to_string(node::repo_root().join("codegen/src/emit/CONTRACT.md")).unwrap();
    let mut deliberate: BTreeMap<String, String> = BTreeMap::new();
    for entry in listed.as_array().unwrap() {
        let difference = entry["difference"].as_str().unwrap();
        assert!(
            contract.contains(&format!("`{difference}`")),
            "the deliberate difference `{difference}` is not explained in CONTRACT.md"
        );
        for path in entry["paths"].as_array().unwrap() {
            deliberate.insert(path.as_str().unwrap().to_owned(), difference.to_owned());
        }
    }

    let found = report["differences"].as_array().unwrap();
    let mut unexplained = Vec::new();
    let mut seen = BTreeSet::new();
    let mut by_difference: BTreeMap<&str, usize> = BTreeMap::new();
    for difference in found {
        let path = difference["path"].as_str().unwrap();
        match deliberate.get(path) {
            Some(why) => {
                seen.insert(path.to_owned());
                *by_difference.entry(why).or_default() += 1;
            }
            None => unexplained.push(format!(
                "{path}\n    ours:          {}\n    postgres-meta: {}",
                difference["ours"], difference["reference"]
            )),
        }
    }
    println!(
        "ran (node {node_version}, typescript {}): messenger-gen generate over postgres-meta's \
         test/db/00-init.sql + 01-memes.sql, then tests/ts/compare-database.mjs against their \
         expected output",
        report["typescript"]
    );
    let mut total = (0, 0, 0);
    for (section, counts) in report["counts"].as_object().unwrap() {
        let (compared, equal, different) = (
            counts["compared"].as_u64().unwrap(),
            counts["equal"].as_u64().unwrap(),
            counts["different"].as_u64().unwrap(),
        );
        total = (total.0 + compared, total.1 + equal, total.2 + different);
        println!(
            "  {section:<15} compared {compared:>4}, equal {equal:>4}, different {different:>3}"
        );
    }
    println!(
        "  {:<15} compared {:>4}, equal {:>4}, different {:>3}: {} deliberate ({}), {} not",
        "total",
        total.0,
        total.1,
        total.2,
        seen.len(),
        by_difference
            .iter()
            .map(|(why, n)| format!("{why} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        unexplained.len()
    );
    assert!(
        unexplained.is_empty(),
        "{} differences from postgres-meta's Database type that are not deliberate:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
    let stale: Vec<&String> = deliberate.keys().filter(|p| !seen.contains(*p)).collect();
    assert!(
        stale.is_empty(),
        "deliberate differences listed in tests/postgres-meta/deliberate-differences.json that \
         no longer occur (remove them): {stale:?}"
    );

    // What supabase-js makes of them: tests/ts/peer-type-tests.ts beside both outputs.
    let check = work.path().join("peer-type-tests");
    std::fs::create_dir_all(&check).unwrap();
    std::fs::copy(&ours, check.join("ours.ts")).unwrap();
    std::fs::copy(&reference, check.join("theirs.ts")).unwrap();
    std::fs::copy(
        node::ts_dir().join("peer-type-tests.ts"),
        check.join("peer-type-tests.ts"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        node::ts_dir().join("node_modules"),
        check.join("node_modules"),
    )
    .unwrap();
    let config = serde_json::json!({
        "compilerOptions": {
            "strict": true,
            "noEmit": true,
            "target": "ES2022",
            "module": "ESNext",
            "moduleResolution": "bundler",
            "skipLibCheck": true,
            "types": [],
        },
        "files": ["ours.ts", "theirs.ts", "peer-type-tests.ts"],
    });
    let config_path = check.join("tsconfig.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let tsc = node::tsc(&["-p", config_path.to_str().unwrap(), "--pretty", "false"]);
    assert!(
        tsc.status.success(),
        "tests/ts/peer-type-tests.ts: supabase-js does not type the deliberate differences as \
         it says\n{}",
        node::describe(&tsc)
    );
    println!("tsc: tests/ts/peer-type-tests.ts holds for both outputs");
}
