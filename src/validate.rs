//! Payload validation: JSON Schema validators compiled once per process from the generated
//! per-transport schemas (draft 2020-12, formats asserted), shared across threads.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{MessengerError, PayloadError};

/// The default limit on a payload's size in bytes, checked before it is parsed.
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 1024 * 1024;

/// How deep JSON may nest before it is refused (serde_json's own limit, named here so the
/// error can say it).
pub const MAX_NESTING: usize = 128;

/// One transport: the message types it accepts, each with its compiled validator.
struct TransportValidators {
    types: BTreeMap<String, jsonschema::Validator>,
}

/// Compiled validators for every (transport, message type) pair.
pub struct Validators {
    transports: BTreeMap<String, TransportValidators>,
}

/// Why a transport schema could not be turned into validators.
#[derive(Debug, thiserror::Error)]
#[error("transport schema `{transport}`: {reason}")]
pub struct SchemaError {
    /// The transport whose schema is broken.
    pub transport: String,
    /// What is wrong.
    pub reason: String,
}

impl Validators {
    /// Compiles validators from `(transport name, transport schema)` pairs: each schema is an
    /// envelope schema whose `headers.message_type` enum lists the accepted message types and
    /// whose `$defs` hold each type's payload schema.
    pub fn from_transport_schemas(
        schemas: impl IntoIterator<Item = (String, Value)>,
    ) -> Result<Validators, SchemaError> {
        let mut transports = BTreeMap::new();
        for (transport, schema) in schemas {
            let error = |reason: String| SchemaError {
                transport: transport.clone(),
                reason,
            };
            let accepted = schema
                .pointer("/properties/headers/properties/message_type/enum")
                .and_then(Value::as_array)
                .ok_or_else(|| error("no headers.message_type enum".into()))?;
            let defs = schema
                .get("$defs")
                .cloned()
                .ok_or_else(|| error("no $defs".into()))?;
            let mut types = BTreeMap::new();
            for name in accepted {
                let name = name
                    .as_str()
                    .ok_or_else(|| error("a message type name is not a string".into()))?;
                // The type's schema as the root, with every definition reachable, so instance
                // paths in errors are relative to the payload.
                let root = serde_json::json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "$defs": defs,
                    "$ref": format!("#/$defs/{name}"),
                });
                let validator = jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(&root)
                    .map_err(|e| error(format!("message type `{name}`: {e}")))?;
                types.insert(name.to_owned(), validator);
            }
            transports.insert(transport, TransportValidators { types });
        }
        Ok(Validators { transports })
    }

    /// The transports, sorted.
    pub fn transports(&self) -> impl Iterator<Item = &str> {
        self.transports.keys().map(String::as_str)
    }

    /// The message types a transport accepts, sorted; `None` for an unknown transport.
    pub fn message_types(&self, transport: &str) -> Option<impl Iterator<Item = &str>> {
        self.transports
            .get(transport)
            .map(|t| t.types.keys().map(String::as_str))
    }

    fn validator(
        &self,
        transport: &str,
        message_type: &str,
    ) -> Result<&jsonschema::Validator, MessengerError> {
        let accepted =
            self.transports
                .get(transport)
                .ok_or_else(|| MessengerError::UnknownTransport {
                    transport: transport.to_owned(),
                    known: self.transports.keys().cloned().collect(),
                })?;
        accepted.types.get(message_type).ok_or_else(|| {
            if self
                .transports
                .values()
                .any(|t| t.types.contains_key(message_type))
            {
                MessengerError::NotAccepted {
                    transport: transport.to_owned(),
                    message_type: message_type.to_owned(),
                    accepted: accepted.types.keys().cloned().collect(),
                }
            } else {
                MessengerError::UnknownMessageType {
                    message_type: message_type.to_owned(),
                }
            }
        })
    }

    /// Whether `payload` is a valid `message_type` for `transport`; the cheapest check.
    pub fn is_valid(&self, transport: &str, message_type: &str, payload: &Value) -> bool {
        self.validator(transport, message_type)
            .is_ok_and(|v| v.is_valid(payload))
    }

    /// Validates `payload` as a `message_type` accepted by `transport`, reporting every error.
    pub fn validate(
        &self,
        transport: &str,
        message_type: &str,
        payload: &Value,
    ) -> Result<(), MessengerError> {
        let validator = self.validator(transport, message_type)?;
        // The fast path: most payloads are valid and need no error collection.
        if validator.is_valid(payload) {
            return Ok(());
        }
        let errors = validator
            .iter_errors(payload)
            .map(|e| PayloadError {
                pointer: e.instance_path().as_str().to_owned(),
                keyword: e.kind().keyword().to_owned(),
                message: e.to_string(),
            })
            .collect();
        Err(MessengerError::Validation {
            transport: transport.to_owned(),
            message_type: message_type.to_owned(),
            index: None,
            errors,
        })
    }

    /// Parses and validates raw bytes, refusing more than `max_bytes` before parsing.
    pub fn validate_bytes(
        &self,
        transport: &str,
        message_type: &str,
        bytes: &[u8],
        max_bytes: usize,
    ) -> Result<Value, MessengerError> {
        // Unknown names are reported before the payload is even looked at.
        self.validator(transport, message_type)?;
        let payload = parse_payload(bytes, max_bytes)?;
        self.validate(transport, message_type, &payload)?;
        Ok(payload)
    }
}

/// Parses a payload, refusing more than `max_bytes` before parsing, invalid UTF-8, invalid
/// JSON and nesting deeper than [`MAX_NESTING`] with errors that say which.
pub fn parse_payload(bytes: &[u8], max_bytes: usize) -> Result<Value, MessengerError> {
    if bytes.len() > max_bytes {
        return Err(MessengerError::PayloadTooLarge {
            size: bytes.len(),
            limit: max_bytes,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| MessengerError::InvalidJson {
        reason: format!("not UTF-8: {e}"),
    })?;
    serde_json::from_str(text).map_err(|e| MessengerError::InvalidJson {
        reason: if e.to_string().contains("recursion limit") {
            format!("nested deeper than {MAX_NESTING} levels ({e})")
        } else {
            e.to_string()
        },
    })
}
