//! Payload validation: JSON Schema validators compiled once per process from the generated
//! per-transport schemas (draft 2020-12, formats asserted), shared across threads.

mod tape;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{MessengerError, PayloadError};
pub(crate) use tape::Tape;
use tape::TapeJson;

/// The default limit on a payload's size in bytes, checked before it is parsed.
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 1024 * 1024;

/// How deep JSON may nest before it is refused (serde_json's own limit, named here so the
/// error can say it).
pub const MAX_NESTING: usize = 128;

/// The longest JSON value an error message quotes whole; a longer one (a payload of 800 KB that
/// is not an object) is cut to this many bytes and its size.
pub const MAX_QUOTED_BYTES: usize = 120;

/// The longest error message; longer ones (a list of thousands of unexpected property names)
/// are cut.
pub const MAX_MESSAGE_BYTES: usize = 1000;

/// One transport: the message types it accepts, each with its compiled validators.
struct TransportValidators {
    types: BTreeMap<String, TypeValidator>,
}

/// One message type's schema, compiled twice: for a `serde_json::Value` (the authority, and
/// what reports errors) and for a [`Tape`] (raw JSON text validated without building a
/// `Value`).
struct TypeValidator {
    value: jsonschema::Validator,
    tape: jsonschema::Validator<TapeJson>,
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
                let invalid = |e: jsonschema::ValidationError<'_>| {
                    error(format!("message type `{name}`: {e}"))
                };
                let value = jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(&root)
                    .map_err(invalid)?;
                let tape = jsonschema::options_for::<TapeJson>()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .build(&root)
                    .map_err(invalid)?;
                types.insert(name.to_owned(), TypeValidator { value, tape });
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
    ) -> Result<&TypeValidator, MessengerError> {
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
            .is_ok_and(|v| v.value.is_valid(payload))
    }

    /// Validates `payload` as a `message_type` accepted by `transport`, reporting every error.
    pub fn validate(
        &self,
        transport: &str,
        message_type: &str,
        payload: &Value,
    ) -> Result<(), MessengerError> {
        let validator = &self.validator(transport, message_type)?.value;
        // The fast path: most payloads are valid and need no error collection.
        if validator.is_valid(payload) {
            return Ok(());
        }
        let errors = validator
            .iter_errors(payload)
            .map(|e| PayloadError {
                pointer: e.instance_path().as_str().to_owned(),
                keyword: e.kind().keyword().to_owned(),
                message: message(&e),
            })
            .collect();
        Err(MessengerError::Validation {
            transport: transport.to_owned(),
            message_type: message_type.to_owned(),
            index: None,
            errors,
        })
    }

    /// Whether raw JSON bytes are a valid `message_type` for `transport` (any size): the
    /// cheapest check on bytes, read in place like [`Validators::validate_bytes`] does, with no
    /// error collection.
    pub fn is_valid_bytes(&self, transport: &str, message_type: &str, bytes: &[u8]) -> bool {
        let Ok(validator) = self.validator(transport, message_type) else {
            return false;
        };
        let Ok(text) = payload_text(bytes, usize::MAX) else {
            return false;
        };
        match Tape::parse(text) {
            Ok(tape) if !tape.has_duplicate_keys() => validator.tape.is_valid(tape.root()),
            Ok(_) => serde_json::from_str(text).is_ok_and(|v| validator.value.is_valid(&v)),
            Err(_) => false,
        }
    }

    /// Validates raw JSON bytes as a `message_type` accepted by `transport`, refusing more than
    /// `max_bytes` before parsing, and returns them as text.
    ///
    /// The payload is not parsed into a `serde_json::Value`: a valid one is read in place (its strings
    /// borrowed, on one flat tape), which is several times cheaper for payloads with many strings and objects. The
    /// verdict, and every error, is the one [`Validators::validate`] gives on
    /// [`parse_payload`]'s `Value`: an invalid payload, or one that repeats a key (a `Value`
    /// keeps the last), is judged on the `Value`.
    pub fn validate_bytes<'b>(
        &self,
        transport: &str,
        message_type: &str,
        bytes: &'b [u8],
        max_bytes: usize,
    ) -> Result<&'b str, MessengerError> {
        // Unknown names are reported before the payload is even looked at.
        let validator = self.validator(transport, message_type)?;
        let text = payload_text(bytes, max_bytes)?;
        match Tape::parse(text) {
            Ok(tape) if !tape.has_duplicate_keys() && validator.tape.is_valid(tape.root()) => {
                Ok(text)
            }
            Ok(_) => {
                let payload = parse_payload(bytes, max_bytes)?;
                self.validate(transport, message_type, &payload)?;
                Ok(text)
            }
            Err(e) => Err(parse_error(&e, bytes)),
        }
    }
}

/// A validation error's message, with the value it quotes cut to [`MAX_QUOTED_BYTES`] and the
/// whole to [`MAX_MESSAGE_BYTES`]: errors are printed and logged, payloads can be large.
fn message(error: &jsonschema::ValidationError<'_>) -> String {
    let mut text = error.to_string();
    let quoted = error.instance().to_string();
    if quoted.len() > MAX_QUOTED_BYTES {
        let cut = format!(
            "{}… ({} bytes)",
            prefix(&quoted, MAX_QUOTED_BYTES),
            quoted.len()
        );
        text = text.replacen(&quoted, &cut, 1);
    }
    if text.len() > MAX_MESSAGE_BYTES {
        text = format!("{}… (cut)", prefix(&text, MAX_MESSAGE_BYTES));
    }
    text
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses a payload, refusing more than `max_bytes` before parsing, invalid UTF-8, a byte order
/// mark, invalid JSON (an escaped lone UTF-16 surrogate included) and nesting deeper than
/// [`MAX_NESTING`] with errors that say which.
pub fn parse_payload(bytes: &[u8], max_bytes: usize) -> Result<Value, MessengerError> {
    let text = payload_text(bytes, max_bytes)?;
    serde_json::from_str(text).map_err(|e| parse_error(&e, bytes))
}

/// The checks [`parse_payload`] makes before parsing: size, byte order mark, UTF-8.
fn payload_text(bytes: &[u8], max_bytes: usize) -> Result<&str, MessengerError> {
    if bytes.len() > max_bytes {
        return Err(MessengerError::PayloadTooLarge {
            size: bytes.len(),
            limit: max_bytes,
        });
    }
    if bytes.starts_with(BOM) {
        return Err(MessengerError::InvalidJson {
            reason: "it starts with a UTF-8 byte order mark (BOM, bytes EF BB BF), which JSON \
                     does not allow: save it without one"
                .to_owned(),
        });
    }
    std::str::from_utf8(bytes).map_err(|e| MessengerError::InvalidJson {
        reason: format!("not UTF-8: {e}"),
    })
}

/// serde_json's parse error for `bytes`, said more plainly where it is unclear.
fn parse_error(e: &serde_json::Error, bytes: &[u8]) -> MessengerError {
    MessengerError::InvalidJson {
        reason: {
            let text = e.to_string();
            if text.contains("recursion limit") {
                format!("nested deeper than {MAX_NESTING} levels ({e})")
            } else if text.contains("surrogate")
                || (text.contains("hex escape") && has_surrogate_escape(text_of(bytes)))
            {
                format!(
                    "a \\u escape at line {} column {} is half of a UTF-16 surrogate pair \
                     (\\ud800–\\udfff must come as a high-low pair): a string must be valid \
                     Unicode ({e})",
                    e.line(),
                    e.column()
                )
            } else {
                text
            }
        },
    }
}

/// `bytes` as text, for scanning (they were checked to be UTF-8 before parsing).
fn text_of(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Whether `text` holds a `\uD800`–`\uDFFF` escape (one half of a UTF-16 surrogate pair).
fn has_surrogate_escape(text: &str) -> bool {
    text.as_bytes().windows(4).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && w[2].eq_ignore_ascii_case(&b'd')
            && matches!(w[3].to_ascii_lowercase(), b'8'..=b'9' | b'a'..=b'f')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclear_parse_errors_say_what_is_wrong() {
        let bom = parse_payload(b"\xEF\xBB\xBF{}", 100)
            .unwrap_err()
            .to_string();
        assert!(bom.contains("byte order mark"), "{bom}");
        let lone = parse_payload(br#"{"a": "\ud800"}"#, 100)
            .unwrap_err()
            .to_string();
        assert!(
            lone.contains("surrogate pair") && lone.contains("line 1"),
            "{lone}"
        );
        // A proper pair is fine.
        assert_eq!(
            parse_payload(br#""\ud83d\ude00""#, 100).unwrap(),
            Value::String("😀".into())
        );
    }

    #[test]
    fn quoted_values_and_messages_are_capped() {
        let validators = Validators::from_transport_schemas([(
            "t".to_owned(),
            serde_json::json!({
                "properties": {"headers": {"properties": {"message_type": {"enum": ["m"]}}}},
                "$defs": {"m": {"type": "object"}},
            }),
        )])
        .unwrap();
        let big = Value::String("x".repeat(800_000));
        let Err(MessengerError::Validation { errors, .. }) = validators.validate("t", "m", &big)
        else {
            panic!("a string is not an object");
        };
        let message = &errors[0].message;
        assert!(message.len() < 300, "{} bytes", message.len());
        assert!(message.contains("800002 bytes"), "{message}");
        assert_eq!(prefix("héllo", 2), "h");
    }
}
