//! Emitters: pure functions from the IR to files (paths relative to the output directory).
//! They do no IO and produce byte-identical output for the same IR.

use std::path::Path;

use crate::model::Catalog;
use crate::write::FileMap;

/// Every file emitted from the IR.
pub fn emit_all(catalog: &Catalog) -> FileMap {
    let mut files = FileMap::new();
    files.insert(Path::new("ir.json"), ir_json(catalog));
    files
}

/// The IR itself, for debugging and for tools that want the catalog as data.
pub fn ir_json(catalog: &Catalog) -> String {
    let mut text = serde_json::to_string_pretty(catalog).expect("the IR serialises");
    text.push('\n');
    text
}
