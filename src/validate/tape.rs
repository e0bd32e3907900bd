//! Borrowed JSON for validation: a payload parsed by serde_json into one flat vector of entries
//! whose strings point into the input, validated in place by the `jsonschema` crate through its
//! custom-representation traits ([`jsonschema::json`]).
//!
//! Parsing into a `serde_json::Value` allocates every string, key, object and array (an order
//! with five line items: ~100 allocations, most of the time parse + validate takes); a tape
//! allocates once (plus one per string that holds an escape). The grammar, number handling,
//! nesting limit and error messages are serde_json's own: the tape is built by a serde visitor
//! on serde_json's deserializer, the same one `serde_json::from_str::<Value>` drives.
//!
//! One difference from a `Value` is kept visible: a tape keeps an object's duplicate keys where
//! a `Value` keeps the last. [`Tape::has_duplicate_keys`] says so, and callers then take the
//! `Value` path, so every verdict is the `Value`'s.

use std::borrow::Cow;
use std::fmt;

use jsonschema::JsonType;
use jsonschema::json::{Array, Json, Node, NodeIdentity, Object};
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// One JSON value on the tape. A container is followed by its contents (an object's as key,
/// value, key, value...) and records where they end, so a sibling is one step away.
#[derive(Debug, Clone)]
pub enum Entry<'i> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'i, str>),
    Array { len: u32, end: u32 },
    Object { len: u32, end: u32 },
}

/// A parsed JSON document borrowing its strings from the input.
#[derive(Debug)]
pub struct Tape<'i> {
    entries: Vec<Entry<'i>>,
    duplicate_keys: bool,
}

impl<'i> Tape<'i> {
    /// Parses `text` as one JSON document (serde_json's grammar and limits; trailing
    /// characters refused).
    pub fn parse(text: &'i str) -> Result<Tape<'i>, serde_json::Error> {
        // About one entry per six bytes of typical JSON; the vector grows if not.
        let mut entries = Vec::with_capacity(text.len() / 6 + 4);
        let mut duplicate_keys = false;
        let mut deserializer = serde_json::Deserializer::from_str(text);
        Builder {
            entries: &mut entries,
            duplicate_keys: &mut duplicate_keys,
        }
        .deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(Tape {
            entries,
            duplicate_keys,
        })
    }

    /// Whether some object repeats a key (a `Value` would keep only the last).
    pub fn has_duplicate_keys(&self) -> bool {
        self.duplicate_keys
    }

    /// The document's root, for [`jsonschema::Validator::is_valid`].
    pub fn root(&self) -> TapeNode<'_> {
        TapeNode {
            entries: &self.entries,
            at: 0,
        }
    }
}

/// Builds the tape: a serde visitor that appends what serde_json's deserializer hands it.
struct Builder<'t, 'i> {
    entries: &'t mut Vec<Entry<'i>>,
    duplicate_keys: &'t mut bool,
}

impl<'de> DeserializeSeed<'de> for Builder<'_, 'de> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// A tape position as stored; a document of more than 4 G values is refused, not a panic.
fn index<E: serde::de::Error>(position: usize) -> Result<u32, E> {
    u32::try_from(position).map_err(|_| E::custom("more than 4,294,967,295 JSON values"))
}

impl<'de> Visitor<'de> for Builder<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.entries.push(Entry::Bool(v));
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.entries.push(Entry::Number(v.into()));
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.entries.push(Entry::Number(v.into()));
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // serde_json hands over finite numbers only; `Value` maps anything else to null too.
        self.entries
            .push(Number::from_f64(v).map_or(Entry::Null, Entry::Number));
        Ok(())
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.entries.push(Entry::String(Cow::Borrowed(v)));
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.entries.push(Entry::String(Cow::Owned(v.to_owned())));
        Ok(())
    }

    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.entries.push(Entry::String(Cow::Owned(v)));
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.entries.push(Entry::Null);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let at = self.entries.len();
        self.entries.push(Entry::Array { len: 0, end: 0 });
        let mut len = 0u32;
        while seq
            .next_element_seed(Builder {
                entries: self.entries,
                duplicate_keys: self.duplicate_keys,
            })?
            .is_some()
        {
            len = len.saturating_add(1);
        }
        let end = index(self.entries.len())?;
        self.entries[at] = Entry::Array { len, end };
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let at = self.entries.len();
        self.entries.push(Entry::Object { len: 0, end: 0 });
        let mut len = 0u32;
        // Where each key sits, to find a repeated one; small objects are checked pairwise.
        let mut keys: Vec<u32> = Vec::new();
        while map
            .next_key_seed(Builder {
                entries: self.entries,
                duplicate_keys: self.duplicate_keys,
            })?
            .is_some()
        {
            let key = self.entries.len() - 1;
            if !*self.duplicate_keys {
                let name = string_at(self.entries, key);
                if keys
                    .iter()
                    .any(|&k| string_at(self.entries, k as usize) == name)
                {
                    *self.duplicate_keys = true;
                }
                keys.push(index(key)?);
            }
            map.next_value_seed(Builder {
                entries: self.entries,
                duplicate_keys: self.duplicate_keys,
            })?;
            len = len.saturating_add(1);
        }
        let end = index(self.entries.len())?;
        self.entries[at] = Entry::Object { len, end };
        Ok(())
    }
}

/// The key at `at` (keys are always strings).
fn string_at<'a>(entries: &'a [Entry<'_>], at: usize) -> &'a str {
    match &entries[at] {
        Entry::String(s) => s,
        _ => unreachable!("an object key is a string"),
    }
}

/// The representation's marker type for `jsonschema::options_for`.
pub struct TapeJson;

/// A value on a tape: the tape and the value's position.
#[derive(Clone, Copy)]
pub struct TapeNode<'a> {
    entries: &'a [Entry<'a>],
    at: usize,
}

impl<'a> TapeNode<'a> {
    fn entry(&self) -> &'a Entry<'a> {
        &self.entries[self.at]
    }

    /// The position just past this value (and everything it contains).
    fn end(&self) -> usize {
        match self.entry() {
            Entry::Array { end, .. } | Entry::Object { end, .. } => *end as usize,
            _ => self.at + 1,
        }
    }

    fn at(&self, at: usize) -> TapeNode<'a> {
        TapeNode {
            entries: self.entries,
            at,
        }
    }

    fn str(&self) -> Option<&'a str> {
        match self.entry() {
            Entry::String(s) => Some(s),
            _ => None,
        }
    }
}

impl Json for TapeJson {
    type Node<'a> = TapeNode<'a>;
    type PreparedKey = String;
    type StringBuffer = Vec<Entry<'static>>;

    // A lookup is a scan of the object's members, so a single scan beats several lookups.
    const KEYS_PER_LOOKUP: usize = 16;
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(
        buffer: &mut Vec<Entry<'static>>,
        string: &str,
        f: impl FnOnce(TapeNode<'_>) -> T,
    ) -> T {
        buffer.clear();
        buffer.push(Entry::String(Cow::Owned(string.to_owned())));
        f(TapeNode {
            entries: buffer,
            at: 0,
        })
    }
}

impl<'a> Node<'a, TapeJson> for TapeNode<'a> {
    type Object = TapeObject<'a>;
    type Array = TapeArray<'a>;
    type Number = &'a Number;

    fn as_object(&self) -> Option<TapeObject<'a>> {
        match self.entry() {
            Entry::Object { len, .. } => Some(TapeObject {
                node: *self,
                len: *len as usize,
            }),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<TapeArray<'a>> {
        match self.entry() {
            Entry::Array { len, .. } => Some(TapeArray {
                node: *self,
                len: *len as usize,
            }),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        self.str().map(Cow::Borrowed)
    }

    fn as_number(&self) -> Option<&'a Number> {
        match self.entry() {
            Entry::Number(n) => Some(n),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.entry() {
            Entry::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self.entry(), Entry::Null)
    }

    fn json_type(&self) -> JsonType {
        match self.entry() {
            Entry::Null => JsonType::Null,
            Entry::Bool(_) => JsonType::Boolean,
            Entry::Number(_) => JsonType::Number,
            Entry::String(_) => JsonType::String,
            Entry::Array { .. } => JsonType::Array,
            Entry::Object { .. } => JsonType::Object,
        }
    }

    fn string_length(&self) -> Option<u64> {
        self.str().map(|s| s.chars().count() as u64)
    }

    fn string_length_within(&self, min: u64, max: u64) -> Option<bool> {
        let s = self.str()?;
        // A code point is 1–4 bytes: most strings are decided by their byte length alone.
        let bytes = s.len() as u64;
        let fewest = bytes.div_ceil(4);
        if bytes < min || fewest > max {
            return Some(false);
        }
        if min <= fewest && bytes <= max {
            return Some(true);
        }
        Some((min..=max).contains(&(s.chars().count() as u64)))
    }

    fn equals_value(&self, expected: &Value) -> bool {
        // `enum` and `const` compare scalars most of the time: no `Value` is built for those.
        match (self.entry(), expected) {
            (Entry::String(s), Value::String(e)) => s == e,
            (Entry::String(_), _) | (_, Value::String(_)) => false,
            (Entry::Null, e) => e.is_null(),
            (Entry::Bool(b), e) => e.as_bool() == Some(*b),
            (Entry::Number(n), Value::Number(_)) => {
                jsonschema::json::cmp::equal(&Value::Number(n.clone()), expected)
            }
            _ => jsonschema::json::cmp::equal(&self.to_value(), expected),
        }
    }

    fn to_value(&self) -> Cow<'a, Value> {
        Cow::Owned(value_at(*self))
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref(self.entry()) as usize))
    }
}

/// The `Value` a tape node stands for (cold paths: error messages, `uniqueItems`, containers
/// compared with `const`/`enum`). A repeated key keeps its last value, as in `Value`.
fn value_at(node: TapeNode<'_>) -> Value {
    match node.entry() {
        Entry::Null => Value::Null,
        Entry::Bool(b) => Value::Bool(*b),
        Entry::Number(n) => Value::Number(n.clone()),
        Entry::String(s) => Value::String(s.to_string()),
        Entry::Array { len, .. } => TapeArray {
            node,
            len: *len as usize,
        }
        .elements()
        .map(value_at)
        .collect(),
        Entry::Object { len, .. } => Value::Object(
            TapeObject {
                node,
                len: *len as usize,
            }
            .members()
            .map(|(name, value)| (name.to_owned(), value_at(value)))
            .collect(),
        ),
    }
}

/// An object on a tape.
pub struct TapeObject<'a> {
    node: TapeNode<'a>,
    len: usize,
}

/// An object's members in document order.
pub struct Members<'a> {
    node: TapeNode<'a>,
    next: usize,
    end: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, TapeNode<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let name = string_at(self.node.entries, self.next);
        let value = self.node.at(self.next + 1);
        self.next = value.end();
        Some((name, value))
    }
}

impl<'a> Object<'a, TapeJson> for TapeObject<'a> {
    type Node = TapeNode<'a>;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, key: &String) -> Option<TapeNode<'a>> {
        // The last of repeated keys wins, as in `Value` (callers avoid such tapes anyway).
        self.members()
            .filter(|(name, _)| *name == key)
            .last()
            .map(|(_, value)| value)
    }

    fn members(&self) -> Members<'a> {
        Members {
            node: self.node,
            next: self.node.at + 1,
            end: self.node.end(),
        }
    }
}

/// An array on a tape.
pub struct TapeArray<'a> {
    node: TapeNode<'a>,
    len: usize,
}

/// An array's elements in order.
pub struct Elements<'a> {
    node: TapeNode<'a>,
    next: usize,
    end: usize,
}

impl<'a> Iterator for Elements<'a> {
    type Item = TapeNode<'a>;

    fn next(&mut self) -> Option<TapeNode<'a>> {
        if self.next >= self.end {
            return None;
        }
        let element = self.node.at(self.next);
        self.next = element.end();
        Some(element)
    }
}

impl<'a> Array<'a, TapeJson> for TapeArray<'a> {
    type Node = TapeNode<'a>;
    type ElementsIter = Elements<'a>;

    fn len(&self) -> usize {
        self.len
    }

    fn elements(&self) -> Elements<'a> {
        Elements {
            node: self.node,
            next: self.node.at + 1,
            end: self.node.end(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tape_value(text: &str) -> Value {
        let tape = Tape::parse(text).unwrap();
        value_at(tape.root())
    }

    #[test]
    fn the_tape_reads_back_as_the_value_serde_json_parses() {
        for text in [
            r#"{"a": [1, -2, 3.5, 1e300, 18446744073709551615, "x\u00e9\n", true, false, null], "b": {}, "c": [], "d": {"e": {"f": [[], [{}]]}}}"#,
            r#""just a string""#,
            "0",
            "[]",
            r#"[{"k": "\ud83d\ude00"}, {"k": 2}]"#,
        ] {
            let expected: Value = serde_json::from_str(text).unwrap();
            assert_eq!(tape_value(text), expected, "{text}");
        }
    }

    #[test]
    fn errors_are_serde_json_s_own() {
        for text in [
            "{",
            "[1,]",
            r#"{"a": 1} x"#,
            r#""\ud800""#,
            "01",
            &"[".repeat(200),
        ] {
            let ours = Tape::parse(text).unwrap_err().to_string();
            let theirs = serde_json::from_str::<Value>(text).unwrap_err().to_string();
            assert_eq!(ours, theirs, "{text}");
        }
    }

    #[test]
    fn repeated_keys_are_reported() {
        assert!(
            Tape::parse(r#"{"a": 1, "b": {"c": 1, "c": 2}}"#)
                .unwrap()
                .has_duplicate_keys()
        );
        assert!(
            !Tape::parse(r#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}"#)
                .unwrap()
                .has_duplicate_keys()
        );
        let tape = Tape::parse(r#"{"c": 1, "c": 2}"#).unwrap();
        assert_eq!(value_at(tape.root()), serde_json::json!({"c": 2}));
    }

    #[test]
    fn the_representation_meets_the_validator_s_contract() {
        let text = jsonschema::json::conformance::document().to_string();
        let tape = Tape::parse(&text).unwrap();
        jsonschema::json::conformance::assert_conformance::<TapeJson>(&tape.root());
    }
}
