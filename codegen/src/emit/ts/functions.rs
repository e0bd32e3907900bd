//! The `Functions` section of a schema in `ts/database.ts` and the computed fields of its
//! relations' `Row`s, following postgres-meta's typegen (`src/server/templates/typescript.ts`):
//! which functions PostgREST can call, their `Args` and `Returns`, `SetofOptions` for the
//! functions supabase-js embeds or selects from, and the error types postgres-meta writes for
//! calls PostgREST cannot resolve. Where postgres-meta is imprecise this is not (see
//! `emit/CONTRACT.md`, "The supabase-js `Database` type").

use std::fmt::Write as _;

use messenger_ir::{Catalog, Function, FunctionReturn, Schema, SqlType};

use super::database::{database_type, nullable};
use crate::contract::ConstraintError;
use crate::emit::error::EmitError;
use crate::emit::typescript::{js_string, property_key, write_doc};

/// A computed field: a function of a relation's row that PostgREST lets `select` name like a
/// column (but does not return for `*`).
pub(super) struct ComputedField {
    /// The relation whose `Row` it extends.
    pub relation: String,
    /// The function's name (the field's).
    pub name: String,
    /// Its TypeScript type, without `| null`.
    pub ts: String,
    /// The function's COMMENT.
    pub doc: Vec<String>,
}

/// The relation (schema, name) whose row is the function's only argument, unnamed and
/// without a default: PostgREST's computed fields and computed relationships.
fn row_argument<'f>(catalog: &Catalog, function: &'f Function) -> Option<(&'f str, &'f str)> {
    let [arg] = function.args.as_slice() else {
        return None;
    };
    if function.all_args != 1 || !arg.name.is_empty() || arg.has_default {
        return None;
    }
    match &arg.ty {
        SqlType::Composite { schema, name } if catalog.relation(schema, name).is_some() => {
            Some((schema, name))
        }
        _ => None,
    }
}

/// The relation whose row the function returns, if it does.
fn returned_relation<'f>(catalog: &Catalog, function: &'f Function) -> Option<(&'f str, &'f str)> {
    match &function.returns {
        FunctionReturn::Value {
            ty: SqlType::Composite { schema, name },
        } if catalog.relation(schema, name).is_some() => Some((schema, name)),
        _ => None,
    }
}

/// The name of the relation or composite type the function returns (postgres-meta's
/// `getTableNameFromRelationId`): what `SetofOptions.to` names.
fn returned_composite(function: &Function) -> Option<&str> {
    match &function.returns {
        FunctionReturn::Value {
            ty: SqlType::Composite { name, .. },
        } => Some(name),
        _ => None,
    }
}

/// Whether the function is a computed field of a relation of its own schema: one unnamed row
/// argument and a result that is neither a set nor a relation's row (those are computed
/// relationships, embedded with `select('*, f(*)')` through `SetofOptions`, never returned as
/// a column).
fn computed_field_of<'f>(
    catalog: &Catalog,
    schema: &Schema,
    function: &'f Function,
) -> Option<&'f str> {
    let (arg_schema, relation) = row_argument(catalog, function)?;
    let is_field = arg_schema == schema.name
        && !function.returns_set
        && returned_relation(catalog, function).is_none();
    is_field.then_some(relation)
}

/// The computed fields of the relations of `schema`.
pub(super) fn computed_fields(
    catalog: &Catalog,
    schema: &Schema,
) -> Result<Vec<ComputedField>, EmitError> {
    let mut out = Vec::new();
    for function in &schema.functions {
        if let Some(relation) = computed_field_of(catalog, schema, function) {
            out.push(ComputedField {
                relation: relation.to_owned(),
                name: function.name.clone(),
                ts: return_type(catalog, schema, function)
                    .map_err(|e| in_function(schema, function, e))?,
                doc: function.comment.iter().cloned().collect(),
            });
        }
    }
    Ok(out)
}

/// An error in a function's types, placed at `schema.name(signature)`.
fn in_function(schema: &Schema, function: &Function, e: ConstraintError) -> EmitError {
    EmitError::Column {
        place: format!("{}.{}({})", schema.name, function.name, function.signature),
        source: e,
    }
}

/// Whether PostgREST can call the function, as postgres-meta decides it: its input arguments
/// are all named, or the unnamed ones are json, jsonb or text with a DEFAULT, or it has a single
/// unnamed argument that is json, jsonb, text or a row.
fn callable(function: &Function) -> bool {
    let args = &function.args;
    let body_type =
        |ty: &SqlType| matches!(ty, SqlType::Json | SqlType::Jsonb { .. } | SqlType::Text);
    args.is_empty()
        || args.iter().all(|a| !a.name.is_empty())
        || args
            .iter()
            .all(|a| !a.name.is_empty() || (a.has_default && body_type(&a.ty)))
        || (args.len() == 1
            && args[0].name.is_empty()
            && (body_type(&args[0].ty) || matches!(args[0].ty, SqlType::Composite { .. })))
}

/// A row-only function whose result is not a relation or a composite: postgres-meta's "no
/// matches were found in the schema cache" error (PostgREST cannot call it by `rpc`).
fn table_row_error(function: &Function) -> bool {
    let [arg] = function.args.as_slice() else {
        return false;
    };
    arg.name.is_empty()
        && matches!(arg.ty, SqlType::Composite { .. })
        && returned_composite(function).is_none()
}

/// PostgreSQL's name of a type (`pg_type.typname`), for postgres-meta's error messages.
fn type_name(ty: &SqlType) -> String {
    let last = |name: &str| name.rsplit('.').next().unwrap_or(name).to_owned();
    match ty {
        SqlType::Bool => "bool".into(),
        SqlType::Int2 => "int2".into(),
        SqlType::Int4 => "int4".into(),
        SqlType::Int8 => "int8".into(),
        SqlType::Float4 => "float4".into(),
        SqlType::Float8 => "float8".into(),
        SqlType::Numeric { .. } => "numeric".into(),
        SqlType::Text => "text".into(),
        SqlType::Varchar { .. } => "varchar".into(),
        SqlType::Char { .. } => "bpchar".into(),
        SqlType::Uuid => "uuid".into(),
        SqlType::Date => "date".into(),
        SqlType::Timestamptz => "timestamptz".into(),
        SqlType::Timestamp => "timestamp".into(),
        SqlType::Time => "time".into(),
        SqlType::Inet => "inet".into(),
        SqlType::Json => "json".into(),
        SqlType::Jsonb { .. } => "jsonb".into(),
        SqlType::Enum { name, .. } | SqlType::Composite { name, .. } => name.clone(),
        SqlType::Array { element } => format!("_{}", type_name(element)),
        SqlType::Textual { name } | SqlType::Other { name } => last(name),
    }
}

fn return_type_name(function: &Function) -> String {
    match &function.returns {
        FunctionReturn::Void => "void".into(),
        FunctionReturn::Value { ty } => type_name(ty),
        FunctionReturn::Columns { columns } if columns.len() == 1 => type_name(&columns[0].ty),
        FunctionReturn::Record | FunctionReturn::Columns { .. } => "record".into(),
    }
}

/// What one call returns (one row's worth): postgres-meta's `getFunctionReturnType`.
fn return_type(
    catalog: &Catalog,
    schema: &Schema,
    function: &Function,
) -> Result<String, ConstraintError> {
    match &function.returns {
        FunctionReturn::Void => Ok("undefined".into()),
        FunctionReturn::Record => Ok("Record<string, unknown>".into()),
        // postgres-meta's mapping: function results carry no NOT NULL, and it writes them
        // without `| null`.
        FunctionReturn::Columns { columns } => {
            let mut fields = Vec::new();
            for column in columns {
                fields.push(format!(
                    "{}: {}",
                    property_key(&column.name),
                    database_type(catalog, &column.ty)?
                ));
            }
            Ok(object(&fields))
        }
        FunctionReturn::Value { ty } => {
            // A row of a relation of the function's own schema is written out (its columns,
            // with their nullability); other composites are references.
            if let SqlType::Composite { schema: of, name } = ty
                && *of == schema.name
                && let Some(relation) = catalog.relation(of, name)
            {
                let mut fields = Vec::new();
                for column in &relation.columns {
                    fields.push(format!(
                        "{}: {}",
                        property_key(&column.name),
                        nullable(&database_type(catalog, &column.ty)?, column.nullable)
                    ));
                }
                return Ok(object(&fields));
            }
            database_type(catalog, ty)
        }
    }
}

fn object(fields: &[String]) -> String {
    if fields.is_empty() {
        "{}".into()
    } else {
        format!("{{ {} }}", fields.join("; "))
    }
}

/// `{ name?: type; ... }` of the input arguments, or `never` without any.
fn args_type(catalog: &Catalog, function: &Function) -> Result<String, ConstraintError> {
    if function.args.is_empty() {
        return Ok("never".into());
    }
    let mut args: Vec<&messenger_ir::FunctionArg> = function.args.iter().collect();
    args.sort_by(|a, b| a.name.cmp(&b.name));
    let mut fields = Vec::new();
    for arg in args {
        fields.push(format!(
            "{}{}: {}",
            property_key(&arg.name),
            if arg.has_default { "?" } else { "" },
            database_type(catalog, &arg.ty)?
        ));
    }
    Ok(object(&fields))
}

/// The input arguments sorted by name, as postgres-meta lists them in its messages.
fn sorted_args(function: &Function) -> Vec<&messenger_ir::FunctionArg> {
    let mut args: Vec<_> = function.args.iter().collect();
    args.sort_by(|a, b| a.name.cmp(&b.name));
    args
}

/// postgres-meta's `getConflictError`: overloads PostgREST cannot choose between.
fn conflict(schema: &Schema, overloads: &[&Function], function: &Function) -> Option<String> {
    if overloads.len() <= 1 {
        return None;
    }
    let qualified = format!("{}.{}", schema.name, function.name);
    let args = &function.args;
    if args.is_empty() {
        let other = overloads.iter().find(|o| {
            !std::ptr::eq(**o, function)
                && o.args.len() == 1
                && o.args[0].name.is_empty()
                && o.args[0].has_default
        })?;
        return Some(format!(
            "Could not choose the best candidate function between: {qualified}(), \
             {qualified}( => {}). Try renaming the parameters or the function itself in the \
             database so function overloading can be resolved",
            return_type_name(other)
        ));
    }
    if args.len() == 1 && !args[0].name.is_empty() {
        let mut conflicting: Vec<&Function> = overloads
            .iter()
            .copied()
            .filter(|o| {
                !std::ptr::eq(*o, function)
                    && o.args.len() == 1
                    && o.args[0].name == args[0].name
                    && o.args[0].ty != args[0].ty
            })
            .collect();
        if conflicting.is_empty() {
            return None;
        }
        conflicting.push(function);
        // postgres-meta orders them by type oid; by type name here (the same order for the
        // built-in types that such overloads use).
        conflicting.sort_by_key(|f| type_name(&f.args[0].ty));
        let list: Vec<String> = conflicting
            .iter()
            .map(|f| {
                let args: Vec<String> = sorted_args(f)
                    .iter()
                    .map(|a| format!("{} => {}", a.name, type_name(&a.ty)))
                    .collect();
                format!("{qualified}({})", args.join(", "))
            })
            .collect();
        return Some(format!(
            "Could not choose the best candidate function between: {}. Try renaming the \
             parameters or the function itself in the database so function overloading can be \
             resolved",
            list.join(", ")
        ));
    }
    None
}

fn error_type(message: &str) -> String {
    format!("{{ error: true }} & {}", js_string(message))
}

/// One overload: `{ Args; Returns; SetofOptions? }`.
fn signature(
    catalog: &Catalog,
    schema: &Schema,
    overloads: &[&Function],
    function: &Function,
) -> Result<String, ConstraintError> {
    let args = args_type(catalog, function)?;
    if let Some(message) = conflict(schema, overloads, function) {
        return Ok(format!(
            "{{\n          Args: {args}\n          Returns: {}\n        }}",
            error_type(&message)
        ));
    }
    if table_row_error(function) {
        return Ok(format!(
            "{{\n          Args: {args}\n          Returns: {}\n        }}",
            error_type(&row_error_message(schema, function))
        ));
    }
    let returns = return_type(catalog, schema, function)?;
    let to = returned_composite(function);
    let many = function.rows.is_some_and(|rows| rows > 1.0);
    let mut setof = to.map(|to| ("*".to_owned(), to, !many, function.returns_set));
    if function.all_args == 1
        && let [arg] = function.args.as_slice()
        && let SqlType::Composite { name: from, .. } = &arg.ty
        && let Some(to) = to
    {
        setof = if function.returns_set {
            Some((from.clone(), to, !many, true))
        } else {
            Some((from.clone(), to, true, false))
        };
    }
    // A `ROWS 1` estimate collapses the array only when `SetofOptions` tells supabase-js to
    // restore it for a direct call (postgres-meta's rule).
    let collapsible = !many && to.is_some();
    let returns = if function.returns_set && !collapsible {
        super::array_of(&returns)
    } else {
        returns
    };
    let mut out = format!("{{\n          Args: {args}\n          Returns: {returns}\n");
    if let Some((from, to, one, set)) = setof {
        let _ = write!(
            out,
            "          SetofOptions: {{\n            from: {}\n            to: {}\n            \
             isOneToOne: {one}\n            isSetofReturn: {set}\n          }}\n",
            js_string(&from),
            js_string(to)
        );
    }
    out.push_str("        }");
    Ok(out)
}

fn row_error_message(schema: &Schema, function: &Function) -> String {
    format!(
        "the function {}.{} with parameter or with a single unnamed json/jsonb parameter, but \
         no matches were found in the schema cache",
        schema.name, function.name
    )
}

/// The `Functions` entries of a schema, by name; overloads as a union.
pub(super) fn functions(catalog: &Catalog, schema: &Schema) -> Result<String, EmitError> {
    let mut out = String::new();
    let mut rest = schema.functions.as_slice();
    while let Some(first) = rest.first() {
        let count = rest.iter().take_while(|f| f.name == first.name).count();
        let (group, tail) = rest.split_at(count);
        rest = tail;
        let overloads: Vec<&Function> = group.iter().filter(|f| callable(f)).collect();
        if overloads.is_empty() {
            continue;
        }
        let doc: Vec<String> = overloads
            .iter()
            .find_map(|f| f.comment.clone())
            .into_iter()
            .collect();
        write_doc(&mut out, "      ", &doc);
        let key = property_key(&first.name);
        // Overloads that are all computed fields (of different relations) are one entry whose
        // argument is every such row at once: supabase-js recognises a computed field only
        // when `Functions[name]` takes that relation's row, and otherwise returns it for `*`,
        // which PostgREST does not.
        let all_fields = overloads.len() > 1
            && overloads
                .iter()
                .all(|f| computed_field_of(catalog, schema, f).is_some() && table_row_error(f));
        if all_fields {
            let mut rows = Vec::new();
            for function in &overloads {
                rows.push(
                    database_type(catalog, &function.args[0].ty)
                        .map_err(|e| in_function(schema, function, e))?,
                );
            }
            let _ = writeln!(
                out,
                "      {key}: {{\n        Args: {{ \"\": {} }}\n        Returns: {}\n      }}",
                rows.join(" & "),
                error_type(&row_error_message(schema, first))
            );
            continue;
        }
        let mut signatures = Vec::new();
        for function in &overloads {
            signatures.push(
                signature(catalog, schema, &overloads, function)
                    .map_err(|e| in_function(schema, function, e))?,
            );
        }
        if let [one] = signatures.as_slice() {
            let one = one.replace("\n  ", "\n");
            let _ = writeln!(out, "      {key}: {one}");
        } else {
            let _ = writeln!(out, "      {key}:");
            for signature in signatures {
                let _ = writeln!(out, "        | {signature}");
            }
        }
    }
    Ok(out)
}
