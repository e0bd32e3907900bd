//! Embeds the queue's migrations in `schema/` and their rollback scripts in `schema/rollback/`.
//!
//! refinery's `embed_migrations!` walks directories recursively and would take the rollback
//! scripts (which share their migration's file name) for migrations, so the list is built here.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| {
            path.is_file()
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(suffix))
        })
        .collect();
    files.sort();
    files
}

fn sql_files(dir: &Path) -> Vec<PathBuf> {
    files_ending(dir, ".sql")
}

fn entries(files: &[PathBuf]) -> String {
    let mut out = String::from("&[\n");
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("UTF-8 file name");
        let valid = stem.starts_with('V')
            && stem[1..].split_once("__").is_some_and(|(version, name)| {
                !version.is_empty()
                    && version.bytes().all(|b| b.is_ascii_digit())
                    && !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
        assert!(
            valid,
            "{} is not named V<version>__<name>.sql",
            path.display()
        );
        writeln!(out, "    ({stem:?}, include_str!({:?})),", path.display()).unwrap();
    }
    out.push(']');
    out
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let schema = root.join("schema");
    let rollback = schema.join("rollback");
    println!("cargo:rerun-if-changed={}", schema.display());
    println!("cargo:rerun-if-changed={}", rollback.display());
    let migrations = sql_files(&schema);
    let rollbacks = sql_files(&rollback);
    for path in migrations.iter().chain(&rollbacks) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    for migration in &migrations {
        let name = migration.file_name().expect("file");
        assert!(
            rollback.join(name).is_file(),
            "migration {} has no rollback script schema/rollback/{}",
            migration.display(),
            name.to_string_lossy()
        );
    }
    let code = format!(
        "/// Migrations embedded from `schema/`: (file stem, SQL).\n\
         pub(crate) const MIGRATIONS: &[(&str, &str)] = {};\n\
         /// Rollback scripts embedded from `schema/rollback/`: (file stem, SQL).\n\
         pub(crate) const ROLLBACKS: &[(&str, &str)] = {};\n",
        entries(&migrations),
        entries(&rollbacks)
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"))
        .join("embedded_migrations.rs");
    std::fs::write(out, code).expect("write embedded_migrations.rs");
}
