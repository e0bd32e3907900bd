//! `messenger-gen init [DIR]`: scaffolds an application — `messenger-gen.toml` and a first
//! migration declaring one message type and the transport that accepts it — without touching
//! any file that exists.

use std::path::Path;

use crate::cli::InitArgs;
use crate::config::DEFAULT_FILE;
use crate::error::Error;
use crate::exit_codes;
use crate::output::say;

const CONFIG: &str = "\
# messenger-gen configuration. Every key is optional; paths are relative to this file.
schema = \"schema\"      # migrations V<n>__<name>.sql, rollbacks in schema/rollback/
queries = \"queries\"    # optional: your own annotated queries (cornucopia syntax)
output = \"generated\"   # written only by `messenger-gen generate`; commit it
";

const MIGRATION: &str = "\
-- V1__message_types: this application's first message type and the transport that accepts it.
--
-- A message type is a table in the schema messenger_payloads that never holds rows: its columns
-- are the payload's fields, NOT NULL / DEFAULT / CHECK / varchar(n) / enum types are its
-- constraints, COMMENTs its documentation. messenger-gen turns it into a JSON Schema, TypeScript,
-- Zod and a Rust struct. A transport is a row of messenger_transports (the queue's own table,
-- created by the queue's migrations, which run before this one); config->'message_types' lists
-- what it accepts. Add the next migration with `messenger-gen migrate new <name>`.

CREATE SCHEMA IF NOT EXISTS messenger_payloads;
REVOKE ALL ON SCHEMA messenger_payloads FROM PUBLIC;

CREATE TABLE IF NOT EXISTS messenger_payloads.order_placed (
    order_id       uuid NOT NULL,
    customer_email varchar(320) NOT NULL CHECK (customer_email ~ '^[^@ ]+@[^@ ]+$'),
    total_cents    integer NOT NULL CHECK (total_cents >= 0),
    note           text
);
COMMENT ON TABLE messenger_payloads.order_placed IS 'A customer placed an order.';
COMMENT ON COLUMN messenger_payloads.order_placed.order_id IS 'The order.';
COMMENT ON COLUMN messenger_payloads.order_placed.customer_email IS 'Where to send the confirmation.';
COMMENT ON COLUMN messenger_payloads.order_placed.total_cents IS 'The total in cents.';
COMMENT ON COLUMN messenger_payloads.order_placed.note IS 'The customer''s note, if any.';

INSERT INTO messenger_transports (name, config)
VALUES ('orders', '{\"message_types\": [\"order_placed\"]}')
ON CONFLICT (name) DO UPDATE SET config = EXCLUDED.config;
";

const ROLLBACK: &str = "\
-- Undoes V1__message_types.sql.
DELETE FROM messenger_transports WHERE name = 'orders';
DROP TABLE IF EXISTS messenger_payloads.order_placed;
DROP SCHEMA IF EXISTS messenger_payloads;
";

/// Writes the scaffold; refuses (exit 2, nothing written) when any of its files exists.
pub fn run(args: InitArgs) -> Result<u8, Error> {
    let dir = &args.dir;
    let files = [
        (DEFAULT_FILE.to_owned(), CONFIG),
        ("schema/V1__message_types.sql".to_owned(), MIGRATION),
        ("schema/rollback/V1__message_types.sql".to_owned(), ROLLBACK),
    ];
    let existing: Vec<String> = files
        .iter()
        .map(|(path, _)| dir.join(path))
        .filter(|path| path.exists() || path.is_symlink())
        .map(|path| path.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(Error::usage(format!(
            "{} already exist(s); init writes nothing over existing files",
            existing.join(", ")
        )));
    }
    if dir.join("schema").is_dir() && has_migrations(&dir.join("schema")) {
        return Err(Error::usage(format!(
            "{} already holds migrations; add one with `messenger-gen migrate new <name>`",
            dir.join("schema").display()
        )));
    }
    for (path, text) in &files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::usage(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(&path, text)
            .map_err(|e| Error::usage(format!("cannot write {}: {e}", path.display())))?;
        say!("created {}", path.display());
    }
    let config = dir.join(DEFAULT_FILE);
    say!(
        "\nNext:\n\
         \x20 messenger-gen generate --config {config}\n\
         \x20     # writes generated/: JSON Schemas, TypeScript, Zod, rust/messages.rs\n\
         \x20 messenger-gen migrate up --config {config} --database-url postgres://…\n\
         \x20     # the queue's schema, then yours\n\
         \x20 in your crate: #[path = \"../generated/rust/messages.rs\"] mod messages;\n\
         \x20     Messenger::new(pool, messages::registry())",
        config = config.display()
    );
    Ok(exit_codes::OK)
}

fn has_migrations(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().extension().is_some_and(|ext| ext == "sql"))
    })
}
