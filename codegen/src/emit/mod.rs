//! Emitters: pure functions from the IR to files (paths relative to the output directory).
//! They do no IO and produce byte-identical output for the same IR. `CONTRACT.md` beside this
//! file is the type mapping they all follow.

mod contract;
mod error;
pub mod jsonschema;
pub mod rust_payloads;
pub mod ts;
pub mod zod;

use std::path::Path;

use crate::write::FileMap;
use messenger_ir::Catalog;

pub use error::EmitError;

/// What the emitters need to know about the input files (beyond the catalog): the
/// application's migrations, which the Rust module embeds with `include_str!`.
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

/// Every file emitted from the IR.
pub fn emit_all(catalog: &Catalog, sources: &Sources) -> Result<FileMap, EmitError> {
    let mut files = FileMap::new();
    files.insert(Path::new("ir.json"), ir_json(catalog))?;
    for emitted in [
        jsonschema::emit(catalog)?,
        ts::emit(catalog)?,
        zod::emit(catalog)?,
        rust_payloads::emit(catalog, sources)?,
    ] {
        files.extend_under(Path::new(""), emitted)?;
    }
    Ok(files)
}

/// The IR itself, for debugging and for tools that want the catalog as data.
pub fn ir_json(catalog: &Catalog) -> String {
    let mut text = serde_json::to_string_pretty(catalog).expect("the IR serialises");
    text.push('\n');
    text
}
