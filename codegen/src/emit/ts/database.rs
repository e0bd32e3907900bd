//! `ts/database.ts`: the supabase-js `Database` type in the shape postgres-meta's `supabase gen
//! types typescript` writes (every described schema with `Tables`, `Views`, `Functions`,
//! `Enums` and `CompositeTypes` as inline object types, each table with `Row`, `Insert`,
//! `Update` and `Relationships`, each updatable view with `Insert` and `Update` too), its helper
//! types verbatim, and `Constants`. The deliberate differences from postgres-meta are listed in
//! `emit/CONTRACT.md` ("The supabase-js `Database` type").

use std::fmt::Write as _;

use messenger_ir::{Catalog, Column, Relation, RelationKind, Schema, SqlType};
use serde_json::Value;

use super::functions::{self, ComputedField};
use super::{array_of, or_null, union};
use crate::contract::{ConstraintError, Presence};
use crate::emit::error::EmitError;
use crate::emit::typescript::{HEADER, js_string, property_key, runtime_key, write_doc};

/// The TypeScript type of a value of `ty` (without `| null`): postgres-meta's mapping, made as
/// precise as the values are (every type with a text form is a `string`; a composite type or a
/// row of a schema that is not described is written out instead of `unknown`).
pub(super) fn database_type(catalog: &Catalog, ty: &SqlType) -> Result<String, ConstraintError> {
    Ok(match ty {
        SqlType::Bool => "boolean".to_owned(),
        SqlType::Int2
        | SqlType::Int4
        | SqlType::Int8
        | SqlType::Float4
        | SqlType::Float8
        | SqlType::Numeric { .. } => "number".to_owned(),
        SqlType::Text
        | SqlType::Varchar { .. }
        | SqlType::Char { .. }
        | SqlType::Uuid
        | SqlType::Date
        | SqlType::Timestamptz
        | SqlType::Timestamp
        | SqlType::Time
        | SqlType::Inet
        | SqlType::Textual { .. } => "string".to_owned(),
        SqlType::Json | SqlType::Jsonb { .. } => "Json".to_owned(),
        SqlType::Enum { schema, name } => {
            if described(catalog, schema) {
                format!(
                    "Database[{}][\"Enums\"][{}]",
                    js_string(schema),
                    js_string(name)
                )
            } else {
                // An enum of a schema outside `Database`: its labels, as postgres-meta does.
                let labels = catalog.enum_type(schema, name).ok_or_else(|| {
                    ConstraintError::UnknownEnum {
                        schema: schema.clone(),
                        name: name.clone(),
                    }
                })?;
                union(
                    &labels
                        .values
                        .iter()
                        .cloned()
                        .map(Value::String)
                        .collect::<Vec<_>>(),
                )
            }
        }
        SqlType::Composite { schema, name } => composite_type(catalog, schema, name)?,
        SqlType::Array { element } => array_of(&database_type(catalog, element)?),
        SqlType::Other { name } => match name.as_str() {
            "pg_catalog.void" => "undefined".to_owned(),
            "pg_catalog.record" => "Record<string, unknown>".to_owned(),
            _ => "unknown".to_owned(),
        },
    })
}

fn described(catalog: &Catalog, schema: &str) -> bool {
    catalog.schema(schema).is_some_and(|s| s.described)
}

/// A composite value: a reference into `Database` when its schema is described (a relation's
/// `Row`, or a `CompositeTypes` entry), else the object of its attributes.
fn composite_type(catalog: &Catalog, schema: &str, name: &str) -> Result<String, ConstraintError> {
    let unknown = || ConstraintError::UnknownComposite {
        schema: schema.to_owned(),
        name: name.to_owned(),
    };
    if described(catalog, schema) {
        let section = match catalog.relation(schema, name) {
            Some(relation) if is_view(relation) => "Views",
            Some(_) => "Tables",
            None => {
                catalog.composite_type(schema, name).ok_or_else(unknown)?;
                return Ok(format!(
                    "Database[{}][\"CompositeTypes\"][{}]",
                    js_string(schema),
                    js_string(name)
                ));
            }
        };
        return Ok(format!(
            "Database[{}][\"{section}\"][{}][\"Row\"]",
            js_string(schema),
            js_string(name)
        ));
    }
    let composite = catalog.composite_type(schema, name).ok_or_else(unknown)?;
    let mut fields = Vec::new();
    for attribute in &composite.attributes {
        let ts = database_type(catalog, &attribute.ty)?;
        fields.push(format!(
            "{}: {}",
            property_key(&attribute.name),
            nullable(&ts, true)
        ));
    }
    Ok(format!("{{ {} }}", fields.join("; ")))
}

fn is_view(relation: &Relation) -> bool {
    matches!(
        relation.kind,
        RelationKind::View | RelationKind::MaterializedView
    )
}

/// `T | null` when `null` is possible; `unknown` already includes it (as postgres-meta writes).
pub(super) fn nullable(ts: &str, is_nullable: bool) -> String {
    if is_nullable && ts != "unknown" {
        or_null(ts)
    } else {
        ts.to_owned()
    }
}

pub(super) fn database_ts(catalog: &Catalog) -> Result<String, EmitError> {
    let schemas: Vec<&Schema> = catalog.described_schemas().collect();
    let mut out = String::new();
    out.push_str(HEADER);
    out.push_str(
        "\n\
         export type Json =\n  \
           | string\n  \
           | number\n  \
           | boolean\n  \
           | null\n  \
           | { [key: string]: Json | undefined }\n  \
           | Json[]\n\
         \n",
    );
    if schemas.is_empty() {
        out.push_str("export type Database = {}\n");
    } else {
        out.push_str("export type Database = {\n");
    }
    for schema in &schemas {
        write_schema(&mut out, catalog, schema)?;
    }
    if !schemas.is_empty() {
        out.push_str("}\n");
    }
    out.push_str(DATABASE_HELPERS);
    if schemas.is_empty() {
        out.push_str("\nexport const Constants = {} as const\n");
        return Ok(out);
    }
    out.push_str("\nexport const Constants = {\n");
    for schema in &schemas {
        let _ = writeln!(out, "  {}: {{", runtime_key(&schema.name));
        if schema.enums.is_empty() {
            out.push_str("    Enums: {},\n");
        } else {
            out.push_str("    Enums: {\n");
            for enum_type in &schema.enums {
                let labels: Vec<String> = enum_type.values.iter().map(|v| js_string(v)).collect();
                let _ = writeln!(
                    out,
                    "      {}: [{}],",
                    runtime_key(&enum_type.name),
                    labels.join(", ")
                );
            }
            out.push_str("    },\n");
        }
        out.push_str("  },\n");
    }
    out.push_str("} as const\n");
    Ok(out)
}

/// One schema of `Database`: its sections in postgres-meta's order, each an inline object type
/// of its entries (at six spaces). An empty section is `{ [_ in never]: never }`: supabase-js
/// needs every key, or it types the whole schema as `never`.
fn write_schema(out: &mut String, catalog: &Catalog, schema: &Schema) -> Result<(), EmitError> {
    let computed = functions::computed_fields(catalog, schema)?;
    let mut tables = String::new();
    for table in &schema.tables {
        write_relation(&mut tables, catalog, schema, table, &computed)?;
    }
    let mut views = String::new();
    for view in &schema.views {
        write_relation(&mut views, catalog, schema, view, &computed)?;
    }
    let sections = [
        ("Tables", tables),
        ("Views", views),
        ("Functions", functions::functions(catalog, schema)?),
        ("Enums", enums(schema)),
        ("CompositeTypes", composite_types(catalog, schema)?),
    ];
    let _ = writeln!(out, "  {}: {{", property_key(&schema.name));
    for (name, entries) in sections {
        let _ = writeln!(out, "    {name}: {{");
        if entries.is_empty() {
            out.push_str("      [_ in never]: never\n");
        } else {
            out.push_str(&entries);
        }
        out.push_str("    }\n");
    }
    out.push_str("  }\n");
    Ok(())
}

/// The `Enums` entries of a schema: each enum type as the union of its labels.
fn enums(schema: &Schema) -> String {
    let mut out = String::new();
    for enum_type in &schema.enums {
        write_doc(
            &mut out,
            "      ",
            &enum_type.comment.iter().cloned().collect::<Vec<_>>(),
        );
        let labels: Vec<Value> = enum_type
            .values
            .iter()
            .cloned()
            .map(Value::String)
            .collect();
        let _ = writeln!(
            out,
            "      {}: {}",
            property_key(&enum_type.name),
            union(&labels)
        );
    }
    out
}

/// The `CompositeTypes` entries of a schema: each attribute present and nullable, as
/// `to_json` writes a composite value.
fn composite_types(catalog: &Catalog, schema: &Schema) -> Result<String, EmitError> {
    let mut out = String::new();
    for composite in &schema.composite_types {
        write_doc(
            &mut out,
            "      ",
            &composite.comment.iter().cloned().collect::<Vec<_>>(),
        );
        let _ = writeln!(out, "      {}: {{", property_key(&composite.name));
        for attribute in &composite.attributes {
            let ts = database_type(catalog, &attribute.ty).map_err(|e| {
                EmitError::column(&schema.name, &composite.name, &attribute.name, e)
            })?;
            write_doc(&mut out, "        ", &column_doc(attribute));
            let _ = writeln!(
                out,
                "        {}: {}",
                property_key(&attribute.name),
                nullable(&ts, true)
            );
        }
        out.push_str("      }\n");
    }
    Ok(out)
}

fn column_doc(column: &Column) -> Vec<String> {
    column.comment.iter().cloned().collect()
}

/// A table or a view: `Row` (its columns, then its computed fields), `Insert` and `Update`
/// (tables, and views PostgreSQL can write through), `Relationships`.
fn write_relation(
    out: &mut String,
    catalog: &Catalog,
    schema: &Schema,
    relation: &Relation,
    computed: &[ComputedField],
) -> Result<(), EmitError> {
    let mut types = Vec::new();
    for column in &relation.columns {
        types.push(
            database_type(catalog, &column.ty)
                .map_err(|e| EmitError::column(&schema.name, &relation.name, &column.name, e))?,
        );
    }
    write_doc(
        out,
        "      ",
        &relation.comment.iter().cloned().collect::<Vec<_>>(),
    );
    let _ = writeln!(out, "      {}: {{", property_key(&relation.name));
    out.push_str("        Row: {\n");
    for (column, ts) in relation.columns.iter().zip(&types) {
        write_doc(out, "          ", &column_doc(column));
        let _ = writeln!(
            out,
            "          {}: {}",
            property_key(&column.name),
            nullable(ts, column.nullable)
        );
    }
    for field in computed.iter().filter(|f| f.relation == relation.name) {
        write_doc(out, "          ", &field.doc);
        let _ = writeln!(
            out,
            "          {}: {}",
            property_key(&field.name),
            nullable(&field.ts, true)
        );
    }
    out.push_str("        }\n");
    if is_view(relation) {
        if relation.kind == RelationKind::View && relation.updatable {
            // postgres-meta's rule: through a view every column may be left out or null
            // (PostgreSQL reports no NOT NULL for view columns); those computed by the view
            // cannot be written.
            for section in ["Insert", "Update"] {
                let _ = writeln!(out, "        {section}: {{");
                for (column, ts) in relation.columns.iter().zip(&types) {
                    let key = property_key(&column.name);
                    if relation.read_only_columns.contains(&column.name) {
                        let _ = writeln!(out, "          {key}?: never");
                    } else {
                        let _ = writeln!(out, "          {key}?: {}", nullable(ts, true));
                    }
                }
                out.push_str("        }\n");
            }
        }
    } else {
        out.push_str("        Insert: {\n");
        for (column, ts) in relation.columns.iter().zip(&types) {
            let key = property_key(&column.name);
            let line = match Presence::of(column) {
                Presence::Absent => format!("{key}?: never"),
                Presence::Nullable => format!("{key}?: {}", nullable(ts, true)),
                Presence::Defaulted => format!("{key}?: {ts}"),
                Presence::Required => format!("{key}: {ts}"),
            };
            let _ = writeln!(out, "          {line}");
        }
        out.push_str("        }\n        Update: {\n");
        for (column, ts) in relation.columns.iter().zip(&types) {
            let key = property_key(&column.name);
            let line = if column.always_generated() {
                format!("{key}?: never")
            } else {
                format!("{key}?: {}", nullable(ts, column.nullable))
            };
            let _ = writeln!(out, "          {line}");
        }
        out.push_str("        }\n");
    }
    write_relationships(out, &schema.name, relation);
    out.push_str("      }\n");
    Ok(())
}

fn string_tuple(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| js_string(i)).collect();
    format!("[{}]", items.join(", "))
}

/// The relationships PostgREST can embed along: those to relations of the same schema (it
/// does not embed across schemas, so a foreign key to `auth.users` is not one).
fn write_relationships(out: &mut String, schema: &str, relation: &Relation) {
    let embeddable: Vec<_> = relation
        .relationships
        .iter()
        .filter(|fk| fk.referenced_schema == schema)
        .collect();
    if embeddable.is_empty() {
        out.push_str("        Relationships: []\n");
        return;
    }
    out.push_str("        Relationships: [\n");
    for fk in embeddable {
        let _ = write!(
            out,
            "          {{\n            \
               foreignKeyName: {}\n            \
               columns: {}\n            \
               isOneToOne: {}\n            \
               referencedRelation: {}\n            \
               referencedColumns: {}\n          \
             }},\n",
            js_string(&fk.name),
            string_tuple(&fk.columns),
            fk.is_one_to_one,
            js_string(&fk.referenced_relation),
            string_tuple(&fk.referenced_columns),
        );
    }
    out.push_str("        ]\n");
}

/// postgres-meta's helper types, verbatim (its `DatabaseWithoutInternals` is `Database` here:
/// there is no `__InternalSupabase` key, as the PostgREST version is not known).
const DATABASE_HELPERS: &str = r#"
type DefaultSchema = Database[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof Database },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof Database
  }
    ? keyof (Database[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        Database[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof Database }
  ? (Database[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      Database[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof Database },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof Database
  }
    ? keyof Database[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof Database }
  ? Database[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof Database },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof Database
  }
    ? keyof Database[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof Database }
  ? Database[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof Database },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof Database
  }
    ? keyof Database[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never,
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof Database }
  ? Database[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof Database },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof Database
  }
    ? keyof Database[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never,
> = PublicCompositeTypeNameOrOptions extends { schema: keyof Database }
  ? Database[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never
"#;
