//! `messenger-gen validate`: the runtime's verdicts on payload files, for CI, without a
//! database. Uses the schemas in the output directory and the runtime's own validator code.
//!
//! Every file gets a verdict — valid, invalid, or unreadable — and the exit code is the worst
//! of them (0, 1, 2). What is wrong on the command line (an unknown `--transport` or `--type`)
//! is a usage error (exit 2, before any file is read); what is wrong in a file (an envelope
//! naming a message type the transport does not accept) is that file's verdict: invalid
//! (exit 1).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;
use symphony_messenger::error::{MessengerError, PayloadError};
use symphony_messenger::validate::{
    DEFAULT_MAX_PAYLOAD_BYTES, SchemaError, Validators, parse_payload,
};

use crate::cli::{OutputFormat, ValidateArgs};
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes;
use crate::output;

/// Why `validate` cannot judge any file.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// The generated transport schemas cannot be read.
    #[error(
        "cannot read the transport schemas in {}: {source} (run `messenger-gen generate` first)",
        dir.display()
    )]
    Schemas {
        /// Their directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A transport schema file is unreadable or not JSON.
    #[error("{}: {reason}", path.display())]
    Schema {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A transport schema does not compile.
    #[error(transparent)]
    Compile(#[from] SchemaError),
    /// `--transport` names no transport.
    #[error("unknown transport `{transport}`; known transports: {}", known.join(", "))]
    UnknownTransport {
        /// The name given.
        transport: String,
        /// The transports there are.
        known: Vec<String>,
    },
    /// `--type` names a message type the transport does not accept.
    #[error("{}", not_accepted(transport, message_type, accepted))]
    NotAccepted {
        /// The transport.
        transport: String,
        /// The name given.
        message_type: String,
        /// What it accepts.
        accepted: Vec<String>,
    },
}

/// The one wording for a message type a transport does not accept, on the command line and in
/// an envelope alike.
fn not_accepted(transport: &str, message_type: &str, accepted: &[String]) -> String {
    format!(
        "transport `{transport}` does not accept `{message_type}`; it accepts: {}",
        accepted.join(", ")
    )
}

/// One file's verdict.
enum Verdict {
    Valid,
    Invalid(Vec<PayloadError>),
    Unreadable(String),
}

impl Verdict {
    fn exit_code(&self) -> u8 {
        match self {
            Verdict::Valid => exit_codes::OK,
            Verdict::Invalid(_) => exit_codes::DIFFERENCE,
            Verdict::Unreadable(_) => exit_codes::INPUT,
        }
    }
}

/// Validates every file; exit 0 when all are valid, 1 when any is invalid, 2 when any cannot
/// be read.
pub fn run(args: ValidateArgs) -> Result<u8, Error> {
    let config = Config::load(args.config.as_deref())?;
    let validators = load_validators(&config.output.join("jsonschema/transports"))?;
    // Unknown names are usage errors, reported before any file is read.
    let accepted: Vec<String> = validators
        .message_types(&args.transport)
        .ok_or_else(|| ValidateError::UnknownTransport {
            transport: args.transport.clone(),
            known: validators.transports().map(str::to_owned).collect(),
        })?
        .map(str::to_owned)
        .collect();
    if let Some(message_type) = &args.message_type
        && !accepted.contains(message_type)
    {
        return Err(ValidateError::NotAccepted {
            transport: args.transport.clone(),
            message_type: message_type.clone(),
            accepted,
        }
        .into());
    }
    let mut worst = exit_codes::OK;
    for file in &args.files {
        let verdict = match read(file, DEFAULT_MAX_PAYLOAD_BYTES) {
            Ok(Contents::Bytes(bytes)) => verdict(
                &validators,
                &args.transport,
                args.message_type.as_deref(),
                &accepted,
                &bytes,
            ),
            Ok(Contents::TooLarge) => Verdict::Invalid(vec![error(
                "",
                "maxBytes",
                format!(
                    "payload is larger than the limit of {DEFAULT_MAX_PAYLOAD_BYTES} bytes \
                     (reading stopped there)"
                ),
            )]),
            Err(e) => Verdict::Unreadable(format!("cannot read {file}: {e}")),
        };
        worst = worst.max(verdict.exit_code());
        print_verdict(args.format, file, &verdict)?;
    }
    Ok(worst)
}

/// The validators of the transport schemas in `dir` (`<output>/jsonschema/transports`), as
/// `validate` and `schedule add` use them.
pub(crate) fn load_validators(dir: &Path) -> Result<Validators, ValidateError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ValidateError::Schemas {
        dir: dir.to_owned(),
        source,
    })?;
    let mut schemas = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| ValidateError::Schemas {
                dir: dir.to_owned(),
                source,
            })?
            .path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".schema.json"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path).map_err(|e| ValidateError::Schema {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let schema: Value = serde_json::from_str(&text).map_err(|e| ValidateError::Schema {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        schemas.push((name.to_owned(), schema));
    }
    Ok(Validators::from_transport_schemas(schemas)?)
}

/// A file's bytes, or the news that there are more than the limit.
pub(super) enum Contents {
    Bytes(Vec<u8>),
    TooLarge,
}

/// Reads `file` (`-`: standard input), stopping one byte past `limit`: `yes | messenger-gen
/// validate -` must not read forever.
pub(super) fn read(file: &str, limit: usize) -> std::io::Result<Contents> {
    let mut bytes = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    if file == "-" {
        std::io::stdin().lock().take(cap).read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(file)?
            .take(cap)
            .read_to_end(&mut bytes)?;
    }
    Ok(if bytes.len() > limit {
        Contents::TooLarge
    } else {
        Contents::Bytes(bytes)
    })
}

/// The verdict on one payload. Without `--type` the file is an envelope
/// `{"headers": {"message_type": ...}, "body": ...}`, as stored in `messenger_messages`.
fn verdict(
    validators: &Validators,
    transport: &str,
    message_type: Option<&str>,
    accepted: &[String],
    bytes: &[u8],
) -> Verdict {
    let document = match parse_payload(bytes, DEFAULT_MAX_PAYLOAD_BYTES) {
        Ok(document) => document,
        Err(err) => return Verdict::Invalid(vec![error("", "json", err.to_string())]),
    };
    let (message_type, body, prefix) = match message_type {
        Some(t) => (t.to_owned(), &document, ""),
        None => {
            let Some(t) = document
                .pointer("/headers/message_type")
                .and_then(Value::as_str)
            else {
                return Verdict::Invalid(vec![error(
                    "/headers/message_type",
                    "required",
                    "an envelope needs headers.message_type, a string (or pass --type for a \
                     bare payload)"
                        .into(),
                )]);
            };
            let Some(body) = document.get("body") else {
                return Verdict::Invalid(vec![error(
                    "/body",
                    "required",
                    "an envelope needs a body".into(),
                )]);
            };
            (t.to_owned(), body, "/body")
        }
    };
    match validators.validate(transport, &message_type, body) {
        Ok(()) => Verdict::Valid,
        Err(MessengerError::Validation { errors, .. }) => Verdict::Invalid(
            errors
                .into_iter()
                .map(|mut e| {
                    e.pointer = format!("{prefix}{}", e.pointer);
                    e
                })
                .collect(),
        ),
        Err(_) => Verdict::Invalid(vec![error(
            "/headers/message_type",
            "enum",
            not_accepted(transport, &message_type, accepted),
        )]),
    }
}

fn error(pointer: &str, keyword: &str, message: String) -> PayloadError {
    PayloadError {
        pointer: pointer.to_owned(),
        keyword: keyword.to_owned(),
        message,
    }
}

fn print_verdict(format: OutputFormat, file: &str, verdict: &Verdict) -> Result<(), Error> {
    match format {
        OutputFormat::Human => {
            let mut text = match verdict {
                Verdict::Valid => format!("{file}: valid\n"),
                Verdict::Invalid(_) => format!("{file}: invalid\n"),
                Verdict::Unreadable(reason) => format!("{file}: unreadable: {reason}\n"),
            };
            if let Verdict::Invalid(errors) = verdict {
                for e in errors {
                    text.push_str(&format!("  {e}\n"));
                }
            }
            output::out(&text)?;
        }
        OutputFormat::Json => {
            let errors = match verdict {
                Verdict::Valid => Vec::new(),
                Verdict::Invalid(errors) => errors.clone(),
                Verdict::Unreadable(reason) => vec![error("", "unreadable", reason.clone())],
            };
            // A struct, so the keys keep this order whatever serde_json's map order is.
            #[derive(serde::Serialize)]
            struct Line<'a> {
                file: &'a str,
                valid: bool,
                errors: &'a [PayloadError],
            }
            let line = Line {
                file,
                valid: matches!(verdict, Verdict::Valid),
                errors: &errors,
            };
            let text = serde_json::to_string(&line).map_err(|e| {
                Error::usage(format!("cannot render the verdict of {file} as JSON: {e}"))
            })?;
            output::line(&text)?;
        }
    }
    Ok(())
}
