//! The TypeScript emitter: `ts/database.ts` (the supabase-js `Database` type) and
//! `ts/payloads.ts` (the payload interfaces and transport envelope unions). Names, keys,
//! literals and JSDoc are `emit/typescript.rs`'s, shared with the Zod emitter so that
//! `z.infer` of each Zod schema is exactly the interface written here.

mod database;
mod functions;
mod payloads;
#[cfg(test)]
mod tests;

use messenger_ir::Catalog;
use serde_json::Value;

use super::error::EmitError;
use super::typescript::literal;
use crate::write::FileMap;

/// Emits `ts/database.ts` and `ts/payloads.ts`.
pub fn emit(catalog: &Catalog) -> Result<FileMap, EmitError> {
    let mut files = FileMap::new();
    files.insert("ts/database.ts", database::database_ts(catalog)?)?;
    files.insert("ts/payloads.ts", payloads::payloads_ts(catalog)?)?;
    Ok(files)
}

/// `T | null` without writing `never | null`.
fn or_null(ts: &str) -> String {
    if ts == "never" {
        "null".to_owned()
    } else {
        format!("{ts} | null")
    }
}

/// `T[]`, parenthesised when T is a union or an intersection (at its top level: not one
/// inside an object type's braces).
fn array_of(ts: &str) -> String {
    let mut depth = 0i32;
    let mut top_level_operator = false;
    let bytes = ts.as_bytes();
    for (i, byte) in bytes.iter().enumerate() {
        match byte {
            b'{' | b'(' | b'[' | b'<' => depth += 1,
            b'}' | b')' | b']' | b'>' => depth -= 1,
            b'|' | b'&' if depth == 0 && i > 0 && bytes[i - 1] == b' ' => {
                top_level_operator = true;
            }
            _ => {}
        }
    }
    if top_level_operator {
        format!("({ts})[]")
    } else {
        format!("{ts}[]")
    }
}

/// The union of literal types of `values` (`never` for none).
fn union(values: &[Value]) -> String {
    if values.is_empty() {
        "never".to_owned()
    } else {
        values.iter().map(literal).collect::<Vec<_>>().join(" | ")
    }
}
