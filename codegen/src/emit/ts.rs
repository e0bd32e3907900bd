//! Placeholder: filled in by the ts emitter.

use crate::model::Catalog;
use crate::write::FileMap;

use super::EmitError;

/// Emits this target's files.
pub fn emit(_catalog: &Catalog) -> Result<FileMap, EmitError> {
    Ok(FileMap::new())
}
