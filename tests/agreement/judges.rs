//! The judges besides PostgreSQL: the Rust `jsonschema` crate (draft 2020-12, formats asserted,
//! as the runtime compiles them) on the emitted schemas and on what `schemars` derives from the
//! generated Rust structs, the runtime's own `Validators`, and — in one Node process for the
//! whole corpus — ajv (strict, ajv-formats) on the emitted schemas and the generated Zod schemas
//! (`tests/ts/verdicts.mjs`).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use symphony_messenger::validate::Validators;

use crate::corpus::Case;
use crate::ir::Catalog;
use crate::node;

/// One judge's verdict on one payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// `Some(valid)`, or `None` when the judge could not judge (its schema is missing or broken).
    pub valid: Option<bool>,
    /// Why not, when invalid.
    pub messages: Vec<String>,
}

impl Verdict {
    /// A verdict from a result.
    pub fn of(result: Result<(), Vec<String>>) -> Verdict {
        match result {
            Ok(()) => Verdict {
                valid: Some(true),
                messages: Vec::new(),
            },
            Err(messages) => Verdict {
                valid: Some(false),
                messages,
            },
        }
    }

    /// No verdict: the judge could not run.
    pub fn missing(why: impl Into<String>) -> Verdict {
        Verdict {
            valid: None,
            messages: vec![why.into()],
        }
    }

    /// "valid", "INVALID" or "—".
    pub fn word(&self) -> &'static str {
        match self.valid {
            Some(true) => "valid",
            Some(false) => "INVALID",
            None => "no verdict",
        }
    }
}

/// A draft 2020-12 validator with formats asserted, like `symphony_messenger::validate`.
pub fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| e.to_string())
}

/// The Rust `jsonschema` verdict of a compiled validator.
pub fn rust_verdict(validator: &jsonschema::Validator, payload: &Value) -> Verdict {
    if validator.is_valid(payload) {
        return Verdict::of(Ok(()));
    }
    Verdict::of(Err(validator
        .iter_errors(payload)
        .map(|e| {
            let at = e.instance_path().as_str().to_owned();
            format!(
                "{} {}: {e}",
                if at.is_empty() { "/" } else { &at },
                e.kind().keyword()
            )
        })
        .collect()))
}

/// The emitted payload schemas (`jsonschema/payloads/<type>.schema.json`), compiled.
pub fn emitted_validators(
    catalog: &Catalog,
    errors: &mut Vec<String>,
) -> BTreeMap<String, jsonschema::Validator> {
    let mut validators = BTreeMap::new();
    for message_type in &catalog.message_types {
        let name = &message_type.name;
        let path = node::generated_file(&format!("jsonschema/payloads/{name}.schema.json"));
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        match compile(&schema) {
            Ok(v) => {
                validators.insert(name.clone(), v);
            }
            Err(e) => errors.push(format!("rust jsonschema: {}: {e}", path.display())),
        }
    }
    validators
}

/// The schemas `schemars` derives from the generated Rust structs, by message type. The
/// structs are named in Rust, so a new message type needs a line here (the test says so).
fn schemars_schemas() -> BTreeMap<&'static str, Value> {
    use crate::demo::messages as p;
    macro_rules! schemas {
        ($($name:literal => $ty:ty),* $(,)?) => {
            BTreeMap::from([$((
                $name,
                serde_json::to_value(schemars::schema_for!($ty)).expect("a schema serialises"),
            )),*])
        };
    }
    schemas! {
        "order_address" => p::OrderAddress,
        "order_discount" => p::OrderDiscount,
        "order_line_item" => p::OrderLineItem,
        "order_placed" => p::OrderPlaced,
        "retry_policy" => p::RetryPolicy,
        "send_email" => p::SendEmail,
        "sms_notification" => p::SmsNotification,
        "user_signed_up" => p::UserSignedUp,
        "webhook_delivery" => p::WebhookDelivery,
    }
}

/// `schemars::schema_for!` of every generated payload struct, compiled.
pub fn schemars_validators(
    catalog: &Catalog,
    errors: &mut Vec<String>,
) -> BTreeMap<String, jsonschema::Validator> {
    let derived = schemars_schemas();
    let mut validators = BTreeMap::new();
    for message_type in &catalog.message_types {
        let name = &message_type.name;
        match derived.get(name.as_str()) {
            None => errors.push(format!(
                "schemars: no generated Rust struct listed for `{name}`; add it to schemars_schemas() in tests/agreement/judges.rs"
            )),
            Some(schema) => match compile(schema) {
                Ok(v) => {
                    validators.insert(name.clone(), v);
                }
                Err(e) => errors.push(format!("schemars: `{name}`: {e}")),
            },
        }
    }
    for name in crate::demo::messages::MESSAGE_TYPES {
        if !derived.contains_key(name) {
            errors.push(format!(
                "schemars: `{name}` is generated but not listed in schemars_schemas()"
            ));
        }
    }
    validators
}

/// A verdict from a per-type validator map.
pub fn verdict_of(validators: &BTreeMap<String, jsonschema::Validator>, case: &Case) -> Verdict {
    match validators.get(&case.message_type) {
        Some(v) => rust_verdict(v, &case.payload),
        None => Verdict::missing("no compiled schema"),
    }
}

/// The runtime's validators, built the way the generated `registry()` builds them, from the
/// emitted transport schemas; checked against the IR's transports.
pub fn runtime_validators(catalog: &Catalog, errors: &mut Vec<String>) -> Option<Validators> {
    let dir = node::generated_dir().join("jsonschema/transports");
    let mut schemas = Vec::new();
    for entry in
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
    {
        let path = entry.unwrap().path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".schema.json"))
        else {
            continue;
        };
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        schemas.push((name.to_owned(), schema));
    }
    let validators = match Validators::from_transport_schemas(schemas) {
        Ok(v) => v,
        Err(e) => {
            errors.push(format!("runtime validators: {e}"));
            return None;
        }
    };
    for transport in &catalog.transports {
        let known: Vec<&str> = validators
            .message_types(&transport.name)
            .map(Iterator::collect)
            .unwrap_or_default();
        if known
            != transport
                .message_types
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        {
            errors.push(format!(
                "runtime validators: transport `{}` accepts {known:?}, the IR says {:?}",
                transport.name, transport.message_types
            ));
        }
    }
    Some(validators)
}

/// The runtime's verdict on a case, for every transport that accepts its type.
pub fn runtime_verdicts(validators: Option<&Validators>, case: &Case) -> Vec<(String, Verdict)> {
    let Some(validators) = validators else {
        return Vec::new();
    };
    validators
        .transports()
        .filter(|t| {
            validators
                .message_types(t)
                .is_some_and(|mut types| types.any(|m| m == case.message_type))
        })
        .flat_map(|t| {
            let verdict = match validators.validate(t, &case.message_type, &case.payload) {
                Ok(()) => Verdict::of(Ok(())),
                Err(e) => Verdict::of(Err(vec![e.to_string()])),
            };
            // The same payload as bytes, read in place without a `Value` (the dispatch_bytes
            // path), through the full check and the cheap one.
            let bytes = serde_json::to_vec(&case.payload).unwrap();
            let full = match validators.validate_bytes(t, &case.message_type, &bytes, usize::MAX) {
                Ok(_) => Verdict::of(Ok(())),
                Err(e) => Verdict::of(Err(vec![e.to_string()])),
            };
            let cheap = if validators.is_valid_bytes(t, &case.message_type, &bytes) {
                Verdict::of(Ok(()))
            } else {
                Verdict::of(Err(vec!["is_valid_bytes: false".to_owned()]))
            };
            [
                (t.to_owned(), verdict),
                (format!("{t}, validate_bytes"), full),
                (format!("{t}, is_valid_bytes"), cheap),
            ]
        })
        .collect()
}

/// ajv's and Zod's verdicts on every case, from one `node tests/ts/verdicts.mjs` run; plus the
/// schemas that node could not load or compile.
pub fn javascript_verdicts(
    cases: &[&Case],
    scratch: &Path,
) -> (Vec<(Verdict, Verdict)>, Vec<String>) {
    node::ensure_node_modules();
    let zod = node::compile_generated_ts(&scratch.join("zod"));
    let corpus: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(id, case)| {
            serde_json::json!({ "id": id, "type": case.message_type, "payload": case.payload })
        })
        .collect();
    let corpus_path = scratch.join("corpus.json");
    std::fs::write(&corpus_path, serde_json::to_vec(&corpus).unwrap()).expect("write the corpus");
    let schemas = node::generated_dir().join("jsonschema/payloads");
    let script = node::ts_dir().join("verdicts.mjs");
    let output = node::run(
        "node",
        &[
            script.to_str().unwrap(),
            corpus_path.to_str().unwrap(),
            zod.to_str().unwrap(),
            schemas.to_str().unwrap(),
        ],
        &node::ts_dir(),
    );
    assert!(
        output.status.success(),
        "node tests/ts/verdicts.mjs failed\n{}",
        node::describe(&output)
    );
    let mut verdicts = vec![None; cases.len()];
    let mut setup_errors = Vec::new();
    let parse = |v: &Value| match v["valid"].as_bool() {
        Some(valid) => Verdict {
            valid: Some(valid),
            messages: v["errors"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|m| m.as_str().unwrap_or_default().to_owned())
                        .collect()
                })
                .unwrap_or_default(),
        },
        None => Verdict::missing(v["errors"].to_string()),
    };
    for line in String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.is_empty())
    {
        let line: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("unexpected line from verdicts.mjs: {e}: {line}"));
        if let Some(error) = line["setup_error"].as_str() {
            setup_errors.push(error.to_owned());
            continue;
        }
        let id = line["id"].as_u64().expect("an id") as usize;
        verdicts[id] = Some((parse(&line["ajv"]), parse(&line["zod"])));
    }
    let verdicts = verdicts
        .into_iter()
        .enumerate()
        .map(|(id, v)| v.unwrap_or_else(|| panic!("verdicts.mjs gave no verdict for case {id}")))
        .collect();
    (verdicts, setup_errors)
}
