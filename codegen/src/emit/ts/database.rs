//! `ts/database.ts`: the supabase-js `Database` type in the shape postgres-meta's `supabase gen
//! types typescript` writes (every schema with `Tables`, `Views`, `Functions`, `Enums` and
//! `CompositeTypes` as inline object types, each table with `Row`, `Insert`, `Update` and
//! `Relationships`), its helper types verbatim, and `Constants`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use messenger_ir::{Catalog, Column, PAYLOAD_SCHEMA, Relation, Schema, SqlType};
use serde_json::Value;

use super::{array_of, or_null, union};
use crate::contract::{ConstraintError, Presence};
use crate::emit::error::EmitError;
use crate::emit::typescript::{HEADER, js_string, property_key, runtime_key, write_doc};

/// The schemas that appear in `Database`: those with tables, views or enums, except the payload
/// schema (its tables never hold rows).
fn database_schemas(catalog: &Catalog) -> Vec<&Schema> {
    catalog
        .schemas
        .iter()
        .filter(|s| {
            s.name != PAYLOAD_SCHEMA
                && !(s.tables.is_empty() && s.views.is_empty() && s.enums.is_empty())
        })
        .collect()
}

/// postgres-meta's mapping of a column type.
fn database_type(
    catalog: &Catalog,
    in_database: &BTreeSet<&str>,
    ty: &SqlType,
) -> Result<String, ConstraintError> {
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
        | SqlType::Inet => "string".to_owned(),
        SqlType::Json | SqlType::Jsonb { .. } => "Json".to_owned(),
        SqlType::Enum { schema, name } => {
            if in_database.contains(schema.as_str()) {
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
        SqlType::Array { element } => array_of(&database_type(catalog, in_database, element)?),
        // Composite columns of tables have no mapping in `Database` yet.
        SqlType::Other { .. } | SqlType::Composite { .. } => "unknown".to_owned(),
    })
}

pub(super) fn database_ts(catalog: &Catalog) -> Result<String, EmitError> {
    let schemas = database_schemas(catalog);
    let in_database: BTreeSet<&str> = schemas.iter().map(|s| s.name.as_str()).collect();
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
        write_schema(&mut out, catalog, &in_database, schema)?;
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
/// needs every key, or it types the whole schema as `never`. Functions and composite types are
/// not read into the IR yet, so their sections are empty.
fn write_schema(
    out: &mut String,
    catalog: &Catalog,
    in_database: &BTreeSet<&str>,
    schema: &Schema,
) -> Result<(), EmitError> {
    let mut tables = String::new();
    for table in &schema.tables {
        write_table(&mut tables, catalog, in_database, &schema.name, table)?;
    }
    let mut views = String::new();
    for view in &schema.views {
        write_view(&mut views, catalog, in_database, &schema.name, view)?;
    }
    let sections = [
        ("Tables", tables),
        ("Views", views),
        ("Functions", String::new()),
        ("Enums", enums(schema)),
        ("CompositeTypes", String::new()),
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

fn column_doc(column: &Column) -> Vec<String> {
    column.comment.iter().cloned().collect()
}

fn write_table(
    out: &mut String,
    catalog: &Catalog,
    in_database: &BTreeSet<&str>,
    schema: &str,
    table: &Relation,
) -> Result<(), EmitError> {
    let mut types = Vec::new();
    for column in &table.columns {
        types.push(
            database_type(catalog, in_database, &column.ty)
                .map_err(|e| EmitError::column(schema, &table.name, &column.name, e))?,
        );
    }
    write_doc(
        out,
        "      ",
        &table.comment.iter().cloned().collect::<Vec<_>>(),
    );
    let _ = writeln!(out, "      {}: {{", property_key(&table.name));
    out.push_str("        Row: {\n");
    for (column, ts) in table.columns.iter().zip(&types) {
        write_doc(out, "          ", &column_doc(column));
        let ts = if column.nullable {
            or_null(ts)
        } else {
            ts.clone()
        };
        let _ = writeln!(out, "          {}: {ts}", property_key(&column.name));
    }
    out.push_str("        }\n        Insert: {\n");
    for (column, ts) in table.columns.iter().zip(&types) {
        let key = property_key(&column.name);
        let line = match Presence::of(column) {
            Presence::Absent => format!("{key}?: never"),
            Presence::Nullable => format!("{key}?: {}", or_null(ts)),
            Presence::Defaulted => format!("{key}?: {ts}"),
            Presence::Required => format!("{key}: {ts}"),
        };
        let _ = writeln!(out, "          {line}");
    }
    out.push_str("        }\n        Update: {\n");
    for (column, ts) in table.columns.iter().zip(&types) {
        let key = property_key(&column.name);
        let line = if column.always_generated() {
            format!("{key}?: never")
        } else if column.nullable {
            format!("{key}?: {}", or_null(ts))
        } else {
            format!("{key}?: {ts}")
        };
        let _ = writeln!(out, "          {line}");
    }
    out.push_str("        }\n");
    write_relationships(out, table);
    out.push_str("      }\n");
    Ok(())
}

fn write_view(
    out: &mut String,
    catalog: &Catalog,
    in_database: &BTreeSet<&str>,
    schema: &str,
    view: &Relation,
) -> Result<(), EmitError> {
    write_doc(
        out,
        "      ",
        &view.comment.iter().cloned().collect::<Vec<_>>(),
    );
    let _ = writeln!(out, "      {}: {{", property_key(&view.name));
    out.push_str("        Row: {\n");
    for column in &view.columns {
        let ts = database_type(catalog, in_database, &column.ty)
            .map_err(|e| EmitError::column(schema, &view.name, &column.name, e))?;
        write_doc(out, "          ", &column_doc(column));
        let ts = if column.nullable { or_null(&ts) } else { ts };
        let _ = writeln!(out, "          {}: {ts}", property_key(&column.name));
    }
    out.push_str("        }\n");
    write_relationships(out, view);
    out.push_str("      }\n");
    Ok(())
}

fn string_tuple(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| js_string(i)).collect();
    format!("[{}]", items.join(", "))
}

fn write_relationships(out: &mut String, relation: &Relation) {
    if relation.relationships.is_empty() {
        out.push_str("        Relationships: []\n");
        return;
    }
    out.push_str("        Relationships: [\n");
    for fk in &relation.relationships {
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
