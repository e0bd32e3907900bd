//! `messenger-gen validate`: the runtime's verdicts on payload files, for CI, without a
//! database. Uses the schemas in the output directory and the runtime's own validator code.

use std::io::Read;
use std::path::Path;

use serde_json::Value;
use symphony_messenger::error::{MessengerError, PayloadError};
use symphony_messenger::validate::{DEFAULT_MAX_PAYLOAD_BYTES, Validators, parse_payload};

use crate::cli::{OutputFormat, ValidateArgs};
use crate::config::Config;
use crate::exit_codes;
use crate::failure::Failure;

/// Validates every file; exit 0 when all are valid, 1 when any is invalid.
pub fn run(args: ValidateArgs) -> Result<u8, Failure> {
    let config = Config::load(args.config.as_deref())?;
    let validators = load_validators(&config.output.join("jsonschema/transports"))?;
    // Unknown names are usage errors, reported before any file is read.
    let accepted: Vec<&str> = validators
        .message_types(&args.transport)
        .ok_or_else(|| {
            Failure::input(format!(
                "unknown transport `{}`; known transports: {}",
                args.transport,
                validators.transports().collect::<Vec<_>>().join(", ")
            ))
        })?
        .collect();
    if let Some(message_type) = &args.message_type
        && !accepted.contains(&message_type.as_str())
    {
        return Err(Failure::input(format!(
            "transport `{}` does not accept `{message_type}`; it accepts: {}",
            args.transport,
            accepted.join(", ")
        )));
    }
    let mut all_valid = true;
    for file in &args.files {
        let bytes = read(file)?;
        let errors = verdict(
            &validators,
            &args.transport,
            args.message_type.as_deref(),
            &bytes,
        );
        all_valid &= errors.is_empty();
        print_verdict(args.format, file, &errors);
    }
    Ok(if all_valid {
        exit_codes::OK
    } else {
        exit_codes::DIFFERENCE
    })
}

fn load_validators(dir: &Path) -> Result<Validators, Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Failure::input(format!(
            "cannot read the transport schemas in {}: {e} (run `messenger-gen generate` first)",
            dir.display()
        ))
    })?;
    let mut schemas = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?
            .path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".schema.json"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
        let schema: Value = serde_json::from_str(&text)
            .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
        schemas.push((name.to_owned(), schema));
    }
    Validators::from_transport_schemas(schemas).map_err(|e| Failure::input(e.to_string()))
}

fn read(file: &str) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    let result = if file == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut bytes).map(|_| ()))
    };
    result.map_err(|e| Failure::input(format!("cannot read {file}: {e}")))?;
    Ok(bytes)
}

/// The errors of one file (empty when valid). Without `--type` the file is an envelope
/// `{"headers": {"message_type": ...}, "body": ...}`, as stored in `messenger_messages`.
fn verdict(
    validators: &Validators,
    transport: &str,
    message_type: Option<&str>,
    bytes: &[u8],
) -> Vec<PayloadError> {
    let document = match parse_payload(bytes, DEFAULT_MAX_PAYLOAD_BYTES) {
        Ok(document) => document,
        Err(err) => return vec![error("", "json", err.to_string())],
    };
    let (message_type, body, prefix) = match message_type {
        Some(t) => (t.to_owned(), &document, ""),
        None => {
            let Some(t) = document
                .pointer("/headers/message_type")
                .and_then(Value::as_str)
            else {
                return vec![error(
                    "/headers/message_type",
                    "required",
                    "an envelope needs headers.message_type (or pass --type for a bare payload)"
                        .into(),
                )];
            };
            let Some(body) = document.get("body") else {
                return vec![error(
                    "/body",
                    "required",
                    "an envelope needs a body".into(),
                )];
            };
            (t.to_owned(), body, "/body")
        }
    };
    match validators.validate(transport, &message_type, body) {
        Ok(()) => Vec::new(),
        Err(MessengerError::Validation { errors, .. }) => errors
            .into_iter()
            .map(|mut e| {
                e.pointer = format!("{prefix}{}", e.pointer);
                e
            })
            .collect(),
        Err(other) => vec![error("/headers/message_type", "enum", other.to_string())],
    }
}

fn error(pointer: &str, keyword: &str, message: String) -> PayloadError {
    PayloadError {
        pointer: pointer.to_owned(),
        keyword: keyword.to_owned(),
        message,
    }
}

fn print_verdict(format: OutputFormat, file: &str, errors: &[PayloadError]) {
    match format {
        OutputFormat::Human => {
            if errors.is_empty() {
                println!("{file}: valid");
            } else {
                println!("{file}: invalid");
                for e in errors {
                    println!("  {e}");
                }
            }
        }
        OutputFormat::Json => {
            // A struct, so the keys keep this order whatever serde_json's map order is.
            #[derive(serde::Serialize)]
            struct Line<'a> {
                file: &'a str,
                valid: bool,
                errors: &'a [PayloadError],
            }
            let line = Line {
                file,
                valid: errors.is_empty(),
                errors,
            };
            // Strings, a boolean and a list of them: serialising cannot fail (as with json!).
            let text = serde_json::to_string(&line).expect("strings and booleans serialise");
            println!("{text}");
        }
    }
}
