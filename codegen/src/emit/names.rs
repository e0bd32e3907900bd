//! The identifiers a target makes from SQL names, with what each was made from, so that two SQL
//! names that become the same identifier are an error naming both. Every target's naming uses
//! it; the spelling rules (PascalCase, snake_case, escapes) are the target's own.

use std::collections::BTreeMap;

use super::error::EmitError;

/// Identifiers taken in one namespace of a target (the types of a file, the fields of a struct).
#[derive(Debug, Clone)]
pub struct Names {
    /// What kind of identifier, for messages (`TypeScript name`, `Rust field`).
    target: &'static str,
    /// Identifier → what it was made from.
    taken: BTreeMap<String, String>,
}

impl Names {
    /// An empty namespace of identifiers of the kind `target`.
    pub fn new(target: &'static str) -> Names {
        Names {
            target,
            taken: BTreeMap::new(),
        }
    }

    /// Takes `ident` for a fixed declaration of the target (`what` says which).
    pub fn reserve(mut self, ident: &str, what: &str) -> Names {
        self.taken.insert(ident.to_owned(), what.to_owned());
        self
    }

    /// Takes `ident` for `what` (e.g. "message type `send_email`"); an error naming both when
    /// it is taken already.
    pub fn claim(&mut self, ident: String, what: String) -> Result<String, EmitError> {
        if let Some(first) = self.taken.get(&ident) {
            return Err(EmitError::NameCollision {
                first: first.clone(),
                second: what,
                target: self.target,
                name: ident,
            });
        }
        self.taken.insert(ident.clone(), what);
        Ok(ident)
    }
}
