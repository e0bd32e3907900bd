//! Emitters: pure functions from the IR to files (paths relative to the output directory).
//! They do no IO and produce byte-identical output for the same IR. `CONTRACT.md` beside this
//! file is the type mapping they all follow; its rules live once, target-neutral, in
//! `crate::contract`, and each emitter only renders them.
//!
//! One folder per target (`jsonschema/`, `ts/`, `zod/`, `rust/`), none importing another;
//! beside them what several targets share: `error.rs` (`EmitError`), `names.rs` (identifier
//! collisions) and `typescript.rs` (the TypeScript language, for `ts/` and `zod/`).

mod error;
mod jsonschema;
mod names;
mod rust;
#[cfg(test)]
mod test_catalog;
mod ts;
mod typescript;
mod zod;

use std::path::Path;

use messenger_ir::Catalog;

use crate::write::FileMap;

pub use error::EmitError;
pub use rust::Sources;

/// Every file emitted from the IR.
pub fn emit_all(catalog: &Catalog, sources: &Sources) -> Result<FileMap, EmitError> {
    let mut files = FileMap::new();
    files.insert(Path::new("ir.json"), ir_json(catalog))?;
    for emitted in [
        jsonschema::emit(catalog)?,
        ts::emit(catalog)?,
        zod::emit(catalog)?,
        rust::emit(catalog, sources)?,
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
