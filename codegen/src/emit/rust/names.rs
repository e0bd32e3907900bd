//! Rust identifiers made from SQL names, and Rust literals: what the Rust emitter writes where
//! the SQL gives a name or a value.
//!
//! Message types, enum types and enum labels become UpperCamelCase, columns snake_case; a
//! leading digit gets a `_` prefix, a keyword becomes a raw identifier (`r#type`; `self_`/`_Self`
//! where raw is not allowed).

use serde_json::{Number, Value};

use crate::emit::error::EmitError;
use crate::emit::names::Names;

/// What [`Names`] calls the identifiers of this module in messages.
pub const TYPE: &str = "Rust type";
/// A struct field.
pub const FIELD: &str = "Rust field";
/// An enum variant.
pub const VARIANT: &str = "Rust variant";

/// The words of a name: split at anything but ASCII letters and digits, and at case changes
/// (`userId` → user, Id; `HTTPServer` → HTTP, Server).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let previous = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if previous.is_ascii_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_ascii_uppercase() && next_lower)
            {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Strict and reserved keywords of edition 2024 (weak keywords are fine as identifiers).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// A snake_case field name: `r#type` for keywords, `self_` where a raw identifier is not
/// allowed, `_2fa` for a leading digit.
pub fn field_ident(name: &str) -> Result<String, ()> {
    let words = words(name);
    if words.is_empty() {
        return Err(());
    }
    let snake = words
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    Ok(if snake.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{snake}")
    } else if matches!(snake.as_str(), "self" | "super" | "crate") {
        format!("{snake}_")
    } else if KEYWORDS.contains(&snake.as_str()) {
        format!("r#{snake}")
    } else {
        snake
    })
}

/// An UpperCamelCase type name for `what`, or an error saying why there is none.
pub fn type_name(name: &str, what: &str) -> Result<String, EmitError> {
    type_ident(name).map_err(|()| EmitError::NoIdentifier {
        what: what.to_owned(),
        target: TYPE,
    })
}

/// An UpperCamelCase type or variant name: `_2faCode` for a leading digit, `_Self` for `self`.
fn type_ident(name: &str) -> Result<String, ()> {
    let words = words(name);
    if words.is_empty() {
        return Err(());
    }
    let camel: String = words
        .iter()
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut chars = lower.chars();
            let first = chars.next().expect("words are not empty");
            first.to_ascii_uppercase().to_string() + chars.as_str()
        })
        .collect();
    Ok(
        if camel.starts_with(|c: char| c.is_ascii_digit()) || camel == "Self" {
            format!("_{camel}")
        } else {
            camel
        },
    )
}

/// The variants of an enum with these labels, as (variant, label); `what` names the list.
pub fn variants(labels: &[String], what: &str) -> Result<Vec<(String, String)>, EmitError> {
    let mut names = Names::new(VARIANT);
    let mut out = Vec::new();
    for label in labels {
        let value = format!("the value {label:?} of {what}");
        let variant = type_ident(label).map_err(|()| EmitError::NoIdentifier {
            what: value.clone(),
            target: VARIANT,
        })?;
        out.push((names.claim(variant, value)?, label.clone()));
    }
    Ok(out)
}

/// A Rust string literal: raw when that reads better (backslashes or quotes, no control
/// characters), else escaped.
pub fn str_lit(s: &str) -> String {
    if s.contains(['\\', '"']) && !s.chars().any(char::is_control) {
        let mut hashes = String::new();
        while s.contains(&format!("\"{hashes}")) {
            hashes.push('#');
        }
        format!("r{hashes}\"{s}\"{hashes}")
    } else {
        format!("{s:?}")
    }
}

/// An integer literal that typechecks where any integer type may be inferred (`i32` by
/// default, so larger values get a suffix).
pub fn int_lit(i: i64) -> String {
    if i32::try_from(i).is_ok() {
        i.to_string()
    } else {
        format!("{i}i64")
    }
}

/// A number as a Rust literal (`impl Into<Value>` or inside `json!`).
pub fn num_lit(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        int_lit(i)
    } else if let Some(u) = n.as_u64() {
        format!("{u}u64")
    } else {
        format!("{:?}", n.as_f64().unwrap_or(0.0))
    }
}

/// A JSON value as `json!` tokens.
pub fn json_tokens(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => num_lit(n),
        Value::String(s) => str_lit(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(json_tokens).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k:?}: {}", json_tokens(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// String literals separated by commas, for a slice.
pub fn str_list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<String> = items.iter().map(|i| str_lit(i.as_ref())).collect();
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(field_ident("type"), Ok("r#type".into()));
        assert_eq!(field_ident("crate"), Ok("crate_".into()));
        assert_eq!(field_ident("first name"), Ok("first_name".into()));
        assert_eq!(field_ident("HTTPStatus"), Ok("http_status".into()));
        assert_eq!(field_ident("v2Api"), Ok("v2_api".into()));
        assert_eq!(field_ident("2fa"), Ok("_2fa".into()));
        assert_eq!(field_ident("--"), Err(()));
        assert_eq!(type_ident("send_email"), Ok("SendEmail".into()));
        assert_eq!(type_ident("GET"), Ok("Get".into()));
        assert_eq!(type_ident("self"), Ok("_Self".into()));
        assert_eq!(type_ident("404"), Ok("_404".into()));
        assert_eq!(type_ident("+"), Err(()));
        assert_eq!(str_lit(r"^\d$"), r#"r"^\d$""#);
        assert_eq!(str_lit("a\"#b\\"), "r##\"a\"#b\\\"##");
        assert_eq!(str_lit("tab\there"), "\"tab\\there\"");
        assert_eq!(
            num_lit(&Number::from(-9_007_199_254_740_991_i64)),
            "-9007199254740991i64"
        );
        assert_eq!(num_lit(&Number::from_f64(1.5).unwrap()), "1.5");
        assert_eq!(str_list(&["a", "b"]), "\"a\", \"b\"");
    }

    #[test]
    fn labels_that_become_one_variant_are_an_error_naming_both() {
        let labels = ["a-b".to_owned(), "a_b".to_owned()];
        assert_eq!(
            variants(&labels, "the IN list of x")
                .unwrap_err()
                .to_string(),
            "the value \"a-b\" of the IN list of x and the value \"a_b\" of the IN list of x \
             both become the Rust variant `AB`; rename one of them"
        );
        assert_eq!(
            variants(&["+".to_owned()], "the enum type `e`")
                .unwrap_err()
                .to_string(),
            "the value \"+\" of the enum type `e` has no letter or digit to make a Rust variant \
             from; rename it"
        );
    }
}
