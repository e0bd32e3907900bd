//! The application's side of the boundary: its transports, the message types each accepts and
//! their compiled JSON Schemas. The runtime compiles in none; an application hands its own to
//! [`crate::dispatch::Messenger`] (and the worker), usually the `registry()` of the module that
//! `messenger-gen generate` writes (`generated/rust/messages.rs`).

use serde_json::Value;

use crate::validate::{SchemaError, Validators};

/// An application's transports and message types with their validators, compiled once.
pub struct Registry {
    validators: Validators,
}

impl Registry {
    /// Compiles the registry from `(transport name, transport schema)` pairs, each schema the
    /// envelope schema `messenger-gen` writes to `jsonschema/transports/<name>.schema.json`.
    pub fn from_transport_schemas(
        schemas: impl IntoIterator<Item = (String, Value)>,
    ) -> Result<Registry, SchemaError> {
        Ok(Registry {
            validators: Validators::from_transport_schemas(schemas)?,
        })
    }

    /// Compiles the registry from schemas embedded as text, as the generated module does with
    /// `include_str!` of the same files that `messenger-gen validate` reads.
    pub fn from_embedded(schemas: &[(&str, &str)]) -> Result<Registry, SchemaError> {
        let mut parsed = Vec::with_capacity(schemas.len());
        for (name, text) in schemas {
            let schema = serde_json::from_str(text).map_err(|e| SchemaError {
                transport: (*name).to_owned(),
                reason: format!("not JSON: {e}"),
            })?;
            parsed.push(((*name).to_owned(), schema));
        }
        Registry::from_transport_schemas(parsed)
    }

    /// A registry with no transport (every dispatch is refused as an unknown transport).
    pub fn empty() -> Registry {
        Registry {
            validators: Validators::from_transport_schemas([])
                .unwrap_or_else(|e| unreachable!("no schema cannot fail: {e}")),
        }
    }

    /// The validators.
    pub fn validators(&self) -> &Validators {
        &self.validators
    }

    /// The transports, sorted.
    pub fn transports(&self) -> impl Iterator<Item = &str> {
        self.validators.transports()
    }

    /// The message types `transport` accepts, sorted; `None` for an unknown transport.
    pub fn message_types(&self, transport: &str) -> Option<impl Iterator<Item = &str>> {
        self.validators.message_types(transport)
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for transport in self.transports() {
            let types: Vec<&str> = self
                .message_types(transport)
                .map(Iterator::collect)
                .unwrap_or_default();
            map.entry(&transport, &types);
        }
        map.finish()
    }
}
