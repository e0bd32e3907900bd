//! The Rust emitter: `rust/messages.rs`, the application's module (it includes it with
//! `#[path = "../generated/rust/messages.rs"] mod messages;`). It names nothing but
//! `::symphony_messenger` (which re-exports serde, schemars, serde_json, chrono and uuid), so the
//! application needs no other dependency to compile it.
//!
//! One struct per message type, typed and constrained as `CONTRACT.md` says: serde checks the
//! types and the object's shape (`deny_unknown_fields`, required fields, enums), and `schemars`
//! attributes put the CHECK-derived constraints (ranges, lengths, patterns) into the JSON Schema
//! that `schemars::schema_for!` derives, so it gives the verdicts of the reference JSON Schema.
//! One marker type per transport implements `Transport` and `Accepts<M>` for every message type
//! it accepts; a message type accepted by at least one transport implements `Message` (one that
//! no transport accepts, typically a nested payload, stays a plain struct: it cannot be sent).
//!
//! `registry()` hands the application's transports and their JSON Schemas (embedded from
//! `jsonschema/transports/`, the files `messenger-gen validate` reads) to the runtime;
//! `migrations()` embeds the application's migrations.
//!
//! The code is emitted plainly, one construct per line; the pipeline lays it out with the real
//! rustfmt (`crate::rustfmt`), so `cargo fmt --check` is clean on it.
//!
//! The module is planned first (`plan.rs`, with each field's type and attributes from
//! `field.rs`, the names from `names.rs`), with every error found before anything is written,
//! then rendered (`render.rs`). Two things that end up with the same Rust name are an
//! [`EmitError`] naming both.

mod field;
mod names;
mod plan;
mod render;
#[cfg(test)]
mod tests;

use messenger_ir::Catalog;

use super::error::EmitError;
use crate::write::FileMap;
use plan::Plan;

/// The path of the emitted file, relative to the output directory.
pub const PATH: &str = "rust/messages.rs";
/// The private type whose schema is CONTRACT.md's `inet` (schemars says `"format": "ip"`).
const INET_SCHEMA: &str = "IpAddrSchema";
/// The private type whose schema is CONTRACT.md's JSON value (schemars says `true`).
const JSON_SCHEMA: &str = "JsonValueSchema";

/// What the Rust module needs to know about the input files (beyond the catalog): the
/// application's migrations, which it embeds with `include_str!`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// The schema directory relative to `rust/` in the output directory, with `/` separators
    /// (`../../schema`).
    pub schema_dir: String,
    /// The file stems of the migrations (`V1__orders`), oldest first.
    pub migrations: Vec<String>,
    /// The file stems of their rollback scripts.
    pub rollbacks: Vec<String>,
}

/// Emits `rust/messages.rs`.
pub fn emit(catalog: &Catalog, sources: &Sources) -> Result<FileMap, EmitError> {
    let plan = Plan::build(catalog)?;
    let mut files = FileMap::new();
    files.insert(PATH, plan.render(sources))?;
    Ok(files)
}
