//! JSON documents whose objects keep their keys in the order the emitter chose, and their
//! pretty-printing: the bytes do not depend on how serde_json happens to be built.

use serde_json::{Number, Value};

/// A JSON value whose objects keep their keys in insertion order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// null, a boolean, a number or a string.
    Scalar(Value),
    Array(Vec<Json>),
    Object(Object),
}

/// A JSON object with its keys in insertion order: the order the emitter chose.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object(pub Vec<(String, Json)>);

impl Object {
    pub fn new() -> Object {
        Object::default()
    }

    pub fn push(&mut self, key: &str, value: impl Into<Json>) {
        self.0.push((key.to_owned(), value.into()));
    }

    pub fn with(mut self, key: &str, value: impl Into<Json>) -> Object {
        self.push(key, value);
        self
    }

    pub fn with_opt(self, key: &str, value: Option<impl Into<Json>>) -> Object {
        match value {
            Some(value) => self.with(key, value),
            None => self,
        }
    }

    pub fn extend(&mut self, other: Object) {
        self.0.extend(other.0);
    }

    pub fn extended(mut self, other: Object) -> Object {
        self.extend(other);
        self
    }
}

impl From<Value> for Json {
    /// Objects inside a value (a jsonb default) get their keys sorted, whatever order
    /// serde_json kept them in.
    fn from(value: Value) -> Json {
        match value {
            Value::Array(items) => Json::Array(items.into_iter().map(Json::from).collect()),
            Value::Object(map) => {
                let mut entries: Vec<(String, Value)> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Json::Object(Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k, Json::from(v)))
                        .collect(),
                ))
            }
            scalar => Json::Scalar(scalar),
        }
    }
}

impl From<Object> for Json {
    fn from(object: Object) -> Json {
        Json::Object(object)
    }
}

impl From<Vec<Json>> for Json {
    fn from(items: Vec<Json>) -> Json {
        Json::Array(items)
    }
}

impl From<&str> for Json {
    fn from(text: &str) -> Json {
        Json::Scalar(Value::String(text.to_owned()))
    }
}

impl From<String> for Json {
    fn from(text: String) -> Json {
        Json::Scalar(Value::String(text))
    }
}

impl From<bool> for Json {
    fn from(flag: bool) -> Json {
        Json::Scalar(Value::Bool(flag))
    }
}

impl From<u32> for Json {
    fn from(n: u32) -> Json {
        Json::Scalar(Value::from(n))
    }
}

impl From<Number> for Json {
    fn from(n: Number) -> Json {
        Json::Scalar(Value::Number(n))
    }
}

/// Pretty-prints a document like `JSON.stringify(value, null, 2)` (and serde_json's pretty
/// printer), with a trailing newline.
pub fn render(document: Object) -> String {
    let mut out = String::new();
    write_json(&mut out, &Json::Object(document), 0);
    out.push('\n');
    out
}

fn write_json(out: &mut String, json: &Json, depth: usize) {
    let indent = |out: &mut String, depth: usize| {
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    match json {
        Json::Scalar(value) => out.push_str(&value.to_string()),
        Json::Array(items) if items.is_empty() => out.push_str("[]"),
        Json::Object(object) if object.0.is_empty() => out.push_str("{}"),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                write_json(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Json::Object(object) => {
            out.push('{');
            for (i, (key, value)) in object.0.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                write_json(out, value, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
    }
}
