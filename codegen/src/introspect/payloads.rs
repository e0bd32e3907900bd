//! The payload rules of introspection (CONTRACT.md "Nested payloads"): the `@payload` COMMENT
//! tag, the column shapes a payload type may have (one policy per shape, each refusal saying
//! what to write instead), the references between payload types and the refusal of recursion.
//! Every message names types as PostgreSQL writes them.

use std::collections::BTreeMap;

use messenger_ir::{Column, CompositeType, MessageType, ObjectType, PAYLOAD_SCHEMA, SqlType};

use super::catalog::CatalogError;

/// The tag at the start of a jsonb column's COMMENT that names the payload type of its value.
pub const PAYLOAD_TAG: &str = "@payload";

/// Removes a leading `@payload <type>` from a COMMENT (the rest stays the description) and
/// returns the type it names.
pub fn take_tag(comment: &mut Option<String>) -> Option<String> {
    let text = comment.as_deref()?;
    let rest = text.trim_start().strip_prefix(PAYLOAD_TAG)?;
    // `@payloads` is not the tag.
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let payload = rest[..end].to_owned();
    let remaining = rest[end..].trim().to_owned();
    *comment = (!remaining.is_empty()).then_some(remaining);
    Some(payload)
}

/// The type of a column (`written`: its type as PostgreSQL writes it) whose COMMENT says
/// `@payload <payload>`: `jsonb` holds one such object, `jsonb[]` a list of them. Any other
/// type is refused, saying what to write.
pub fn tagged(
    place: &str,
    ty: SqlType,
    payload: &str,
    written: &str,
) -> Result<SqlType, CatalogError> {
    let invalid = |message: String| Err(CatalogError::Invalid(format!("{place}: {message}")));
    if payload.is_empty() {
        return invalid(format!(
            "its COMMENT starts with `{PAYLOAD_TAG}` but names no type; write \
             `{PAYLOAD_TAG} <type>`, where <type> is a table or a composite type of \
             {PAYLOAD_SCHEMA}"
        ));
    }
    match ty {
        SqlType::Jsonb { .. } => Ok(SqlType::Jsonb {
            payload: Some(payload.to_owned()),
        }),
        SqlType::Array { element } if matches!(*element, SqlType::Jsonb { .. }) => {
            Ok(SqlType::Array {
                element: Box::new(SqlType::Jsonb {
                    payload: Some(payload.to_owned()),
                }),
            })
        }
        ty if ty.nested_payload().is_some() => invalid(format!(
            "its type {written} already says what its values are; remove `{PAYLOAD_TAG} \
             {payload}` from its COMMENT (the tag is for jsonb and jsonb[] columns)"
        )),
        _ => {
            let payload_type = SqlType::Composite {
                schema: PAYLOAD_SCHEMA.to_owned(),
                name: payload.to_owned(),
            }
            .sql();
            invalid(format!(
                "`{PAYLOAD_TAG} {payload}` in its COMMENT is only allowed on a column of type \
                 jsonb or jsonb[], not {written}. Write jsonb for one {payload}, jsonb[] for a \
                 list of them, or use the type itself: {payload_type} or {payload_type}[]"
            ))
        }
    }
}

/// Refuses the shapes a payload field may not have (CONTRACT.md "Nested payloads"): arrays
/// declared with more than one dimension and composite types outside [`PAYLOAD_SCHEMA`].
/// `dimensions` is what the column (or its domain) declares; `written` its type as PostgreSQL
/// writes it (`format_type`, which shows one `[]` whatever the dimensions).
pub fn check_shape(
    place: &str,
    ty: &SqlType,
    dimensions: i32,
    written: &str,
) -> Result<(), CatalogError> {
    if dimensions > 1 {
        let resolved = ty.sql();
        let element = resolved.trim_end_matches("[]");
        let declared = format!(
            "{element}{}",
            "[]".repeat(usize::try_from(dimensions).unwrap_or(2))
        );
        // A domain over an array is named as written, with what it stands for.
        let subject = if written.ends_with("[]") {
            declared
        } else {
            format!("its type {written} ({declared})")
        };
        return Err(CatalogError::Invalid(format!(
            "{place}: {subject} is a multi-dimensional array, which payloads do not support. \
             PostgreSQL does not keep the declared number of dimensions (the column stores [1, 2] \
             and [[[1]]] alike) and refuses sub-arrays of different lengths, and neither rule \
             can be said in JSON Schema, TypeScript, Zod or Rust. Write {element}[] for a list; \
             for a list of lists, a one-dimensional array of a composite type \
             (CREATE TYPE {PAYLOAD_SCHEMA}.<row> AS (items {element}[]), then \
             {PAYLOAD_SCHEMA}.<row>[]); or jsonb for free-form JSON"
        )));
    }
    if let Some((schema, name)) = foreign_composite(ty) {
        return Err(CatalogError::Invalid(format!(
            "{place}: its type {written} is the composite type {schema}.{name}, which is \
             outside {PAYLOAD_SCHEMA}; the nested types of payloads are declared in \
             {PAYLOAD_SCHEMA}. Declare it there: CREATE TYPE {PAYLOAD_SCHEMA}.{name} AS (...), \
             or CREATE TABLE {PAYLOAD_SCHEMA}.{name} (...) for fields with NOT NULL, DEFAULT and \
             CHECKs; or write jsonb for any JSON ({schema}.{name} itself stays usable in other \
             tables)"
        )));
    }
    Ok(())
}

/// The composite type outside [`PAYLOAD_SCHEMA`] that `ty` is (or is an array of).
fn foreign_composite(ty: &SqlType) -> Option<(&str, &str)> {
    match ty {
        SqlType::Composite { schema, name } if schema != PAYLOAD_SCHEMA => Some((schema, name)),
        SqlType::Array { element } => foreign_composite(element),
        _ => None,
    }
}

/// Checks the nesting of payload types: every nested type is a table or a composite type of
/// [`PAYLOAD_SCHEMA`], and none contains itself, directly or through others.
pub fn check_nesting(
    message_types: &[MessageType],
    composite_types: &[CompositeType],
) -> Result<(), CatalogError> {
    let mut objects: BTreeMap<&str, ObjectType<'_>> = BTreeMap::new();
    for object in message_types
        .iter()
        .map(ObjectType::of_message_type)
        .chain(composite_types.iter().map(ObjectType::of_composite_type))
    {
        objects.insert(object.name, object);
    }
    for object in objects.values() {
        for field in object.fields {
            let Some(nested) = field.ty.nested_payload() else {
                continue;
            };
            if objects.contains_key(nested) {
                continue;
            }
            let place = place(object.name, &field.name);
            return Err(CatalogError::Invalid(match &field.ty {
                ty if is_tagged(ty) => format!(
                    "{place}: its COMMENT names the payload type `{nested}` \
                     (`{PAYLOAD_TAG} {nested}`), which is neither a table nor a composite type \
                     of {PAYLOAD_SCHEMA}; declare it (CREATE TABLE {PAYLOAD_SCHEMA}.{nested} \
                     (...) or CREATE TYPE {PAYLOAD_SCHEMA}.{nested} AS (...)) or fix the name"
                ),
                ty => format!(
                    "{place}: its type {} is the row type of a view or a partitioned table of \
                     {PAYLOAD_SCHEMA}; nested payload types are tables (CREATE TABLE) or \
                     composite types (CREATE TYPE ... AS (...)) of {PAYLOAD_SCHEMA}",
                    ty.sql()
                ),
            }));
        }
    }
    // Depth-first search for a cycle, in name order so that the error is always the same one.
    let mut finished = BTreeMap::new();
    for name in objects.keys() {
        let mut path = Vec::new();
        if let Some(cycle) = cycle_from(name, &objects, &mut path, &mut finished) {
            return Err(CatalogError::Invalid(recursion_message(&cycle)));
        }
    }
    Ok(())
}

/// One step of a cycle: the type, and its field that nests the next type.
type Step<'c> = (&'c str, &'c Column);

/// A cycle reachable from `name`, as the steps from its first type back to it.
fn cycle_from<'c>(
    name: &'c str,
    objects: &BTreeMap<&'c str, ObjectType<'c>>,
    path: &mut Vec<Step<'c>>,
    finished: &mut BTreeMap<&'c str, ()>,
) -> Option<Vec<Step<'c>>> {
    if finished.contains_key(name) {
        return None;
    }
    if let Some(start) = path.iter().position(|(on_path, _)| *on_path == name) {
        return Some(path[start..].to_vec());
    }
    let object = objects.get(name)?;
    for field in object.fields {
        let Some(nested) = field.ty.nested_payload() else {
            continue;
        };
        path.push((name, field));
        if let Some(cycle) = cycle_from(nested, objects, path, finished) {
            return Some(cycle);
        }
        path.pop();
    }
    finished.insert(name, ());
    None
}

/// The error for a payload type that contains itself.
fn recursion_message(cycle: &[Step<'_>]) -> String {
    let Some((first, _)) = cycle.first() else {
        return "a payload type contains itself".to_owned();
    };
    let steps: Vec<String> = cycle
        .iter()
        .map(|(owner, field)| format!("{} ({})", place(owner, &field.name), written(&field.ty)))
        .collect();
    let how = if cycle.len() == 1 {
        format!("{PAYLOAD_SCHEMA}.{first} contains itself")
    } else {
        format!("{PAYLOAD_SCHEMA}.{first} contains itself through the types after it")
    };
    format!(
        "{}: {how}. Payload types cannot be recursive: PostgreSQL refuses it for composite \
         types (\"cannot be made a member of itself\"), and the contract refuses it for jsonb \
         tagged `{PAYLOAD_TAG}` alike. Flatten the recursion (e.g. a list of nodes that refer \
         to their parent by id), or leave the recursive field as jsonb without `{PAYLOAD_TAG}`",
        steps.join(" → ")
    )
}

/// A field's type as written in SQL, with its `@payload` tag.
fn written(ty: &SqlType) -> String {
    match (is_tagged(ty), ty.nested_payload()) {
        (true, Some(nested)) => format!("{}, `{PAYLOAD_TAG} {nested}`", ty.sql()),
        _ => ty.sql(),
    }
}

/// Whether the type holds a payload through an `@payload` tag (jsonb or jsonb[]).
fn is_tagged(ty: &SqlType) -> bool {
    match ty {
        SqlType::Jsonb { payload } => payload.is_some(),
        SqlType::Array { element } => is_tagged(element),
        _ => false,
    }
}

fn place(owner: &str, field: &str) -> String {
    format!("{PAYLOAD_SCHEMA}.{owner}.{field}")
}

#[cfg(test)]
mod tests {
    use messenger_ir::{Column, CompositeType, MessageType, PAYLOAD_SCHEMA, SqlType};

    use super::*;

    fn column(name: &str, ty: SqlType) -> Column {
        Column {
            name: name.to_owned(),
            ty,
            nullable: true,
            default: None,
            default_value: None,
            identity: None,
            generated: false,
            comment: None,
            checks: Vec::new(),
        }
    }

    fn table(name: &str, fields: Vec<Column>) -> MessageType {
        MessageType {
            name: name.to_owned(),
            comment: None,
            fields,
        }
    }

    fn tag(name: &str) -> SqlType {
        SqlType::Jsonb {
            payload: Some(name.to_owned()),
        }
    }

    fn row(name: &str) -> SqlType {
        SqlType::Composite {
            schema: PAYLOAD_SCHEMA.to_owned(),
            name: name.to_owned(),
        }
    }

    fn list(ty: SqlType) -> SqlType {
        SqlType::Array {
            element: Box::new(ty),
        }
    }

    #[test]
    fn the_tag_is_taken_from_the_start_of_the_comment() {
        let mut comment = Some("@payload order_line_item The items, in order.".to_owned());
        assert_eq!(take_tag(&mut comment).as_deref(), Some("order_line_item"));
        assert_eq!(comment.as_deref(), Some("The items, in order."));
        let mut alone = Some("  @payload x".to_owned());
        assert_eq!(take_tag(&mut alone).as_deref(), Some("x"));
        assert_eq!(alone, None);
        let mut other = Some("@payloads are described elsewhere".to_owned());
        assert_eq!(take_tag(&mut other), None);
        assert_eq!(other.as_deref(), Some("@payloads are described elsewhere"));
        let mut later = Some("Items. @payload x".to_owned());
        assert_eq!(take_tag(&mut later), None);
    }

    #[test]
    fn the_tag_makes_jsonb_and_jsonb_arrays_nested_payloads_and_nothing_else() {
        let jsonb = SqlType::Jsonb { payload: None };
        assert_eq!(tagged("p", jsonb.clone(), "x", "jsonb").unwrap(), tag("x"));
        assert_eq!(
            tagged("p", list(jsonb), "x", "jsonb[]").unwrap(),
            list(tag("x"))
        );
        let refused = tagged("m.t.c", list(SqlType::Int4), "item", "integer[]")
            .unwrap_err()
            .to_string();
        assert_eq!(
            refused,
            "m.t.c: `@payload item` in its COMMENT is only allowed on a column of type jsonb or \
             jsonb[], not integer[]. Write jsonb for one item, jsonb[] for a list of them, or \
             use the type itself: messenger_payloads.item or messenger_payloads.item[]"
        );
        let redundant = tagged(
            "m.t.c",
            list(row("item")),
            "item",
            "messenger_payloads.item[]",
        )
        .unwrap_err()
        .to_string();
        assert!(
            redundant.contains("its type messenger_payloads.item[] already says"),
            "{redundant}"
        );
        let empty = tagged("m.t.c", SqlType::Json, "", "json")
            .unwrap_err()
            .to_string();
        assert!(empty.contains("names no type"), "{empty}");
    }

    #[test]
    fn multi_dimensional_arrays_and_foreign_composites_are_refused() {
        let grid = list(SqlType::Int4);
        assert!(check_shape("p", &grid, 1, "integer[]").is_ok());
        let refused = check_shape("m.t.grid", &grid, 2, "integer[]")
            .unwrap_err()
            .to_string();
        assert!(
            refused.starts_with("m.t.grid: integer[][] is a multi-dimensional array"),
            "{refused}"
        );
        let refused = check_shape("m.t.grid", &grid, 2, "messenger_payloads.grid")
            .unwrap_err()
            .to_string();
        assert!(
            refused.starts_with(
                "m.t.grid: its type messenger_payloads.grid (integer[][]) is a \
                 multi-dimensional array"
            ),
            "{refused}"
        );
        assert!(refused.contains("Write integer[] for a list"), "{refused}");
        let foreign = list(SqlType::Composite {
            schema: "public".to_owned(),
            name: "address".to_owned(),
        });
        let refused = check_shape("m.t.a", &foreign, 1, "address[]")
            .unwrap_err()
            .to_string();
        assert!(
            refused.starts_with(
                "m.t.a: its type address[] is the composite type public.address, which is \
                 outside messenger_payloads"
            ),
            "{refused}"
        );
        assert!(check_shape("p", &list(row("item")), 1, "x").is_ok());
    }

    #[test]
    fn nested_types_must_exist() {
        let tables = [table("order", vec![column("items", list(tag("line")))])];
        let refused = check_nesting(&tables, &[]).unwrap_err().to_string();
        assert!(
            refused.starts_with(
                "messenger_payloads.order.items: its COMMENT names the payload type `line`"
            ),
            "{refused}"
        );
        let composite = CompositeType {
            name: "line".to_owned(),
            comment: None,
            attributes: vec![column("sku", SqlType::Text)],
        };
        assert!(check_nesting(&tables, &[composite]).is_ok());
    }

    #[test]
    fn recursion_is_refused_with_the_cycle() {
        let tree = [table("node", vec![column("children", list(tag("node")))])];
        assert_eq!(
            check_nesting(&tree, &[]).unwrap_err().to_string(),
            "messenger_payloads.node.children (jsonb[], `@payload node`): \
             messenger_payloads.node contains itself. Payload types cannot be recursive: \
             PostgreSQL refuses it for composite types (\"cannot be made a member of itself\"), \
             and the contract refuses it for jsonb tagged `@payload` alike. Flatten the \
             recursion (e.g. a list of nodes that refer to their parent by id), or leave the \
             recursive field as jsonb without `@payload`"
        );
        let ping_pong = [
            table("a", vec![column("b", row("b"))]),
            table("b", vec![column("back", tag("a"))]),
        ];
        let refused = check_nesting(&ping_pong, &[]).unwrap_err().to_string();
        assert!(
            refused.starts_with(
                "messenger_payloads.a.b (messenger_payloads.b) → messenger_payloads.b.back \
                 (jsonb, `@payload a`): messenger_payloads.a contains itself through the types \
                 after it."
            ),
            "{refused}"
        );
        // A type nested twice is not a cycle.
        let diamond = [
            table("a", vec![column("x", row("c")), column("y", tag("c"))]),
            table("c", vec![column("n", SqlType::Int4)]),
        ];
        assert!(check_nesting(&diamond, &[]).is_ok());
    }
}
