//! Why the IR cannot be emitted. A leaf module: every emitter returns it, none imports another
//! emitter or `emit/mod.rs` for it.

use crate::write::DuplicatePath;

/// Why the IR cannot be emitted (e.g. two names that collide once made into identifiers).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EmitError(pub String);

impl From<DuplicatePath> for EmitError {
    fn from(duplicate: DuplicatePath) -> EmitError {
        EmitError(duplicate.to_string())
    }
}
