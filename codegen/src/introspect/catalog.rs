//! Reads the catalog of the scratch database into the IR ([`messenger_ir::Catalog`]): the
//! schemas `Database` describes (their tables, views, functions, enums, composite types and
//! relationships), the message types and the transports.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tokio_postgres::Client;

use super::types::{
    Types, check_constraint, constant_default, domain_checks, domain_dimensions, enums, resolve,
    types, untranslated,
};
use super::{functions, payloads, relationships};
use crate::checks;
use crate::warnings::{self, Warning, WarningCode};
use messenger_ir::{
    Catalog, Column, CompositeType, EnumType, FunctionReturn, Identity, MessageType,
    PAYLOAD_SCHEMA, Relation, RelationKind, Schema, SqlType, Transport,
};

/// The schemas the `Database` type describes (`schemas` of messenger-gen.toml).
#[derive(Debug, Clone)]
pub struct DatabaseSchemas {
    /// Their names.
    pub names: Vec<String>,
    /// Whether the configuration lists them (an empty one is then worth a warning); the
    /// default `public` may well be empty in an application without tables.
    pub explicit: bool,
}

impl Default for DatabaseSchemas {
    fn default() -> DatabaseSchemas {
        DatabaseSchemas {
            names: vec!["public".to_owned()],
            explicit: false,
        }
    }
}

/// Tables that belong to tools, not to the application (refinery's history).
const INTERNAL_TABLES: &[&str] = &[
    symphony_messenger::migrate::APPLICATION_HISTORY_TABLE,
    symphony_messenger::migrate::QUEUE_HISTORY_TABLE,
];

/// Why the catalog could not be read into the IR.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A catalog query failed.
    #[error("catalog query failed: {0}")]
    Database(#[from] tokio_postgres::Error),
    /// The declarations are inconsistent (unknown message type, bad transport config).
    #[error("{0}")]
    Invalid(String),
}

/// Reads the described schemas, the message types and the transports.
pub async fn read(
    client: &Client,
    database: &DatabaseSchemas,
) -> Result<(Catalog, Vec<Warning>), CatalogError> {
    let mut warnings = Vec::new();
    let types = Types {
        by_oid: types(client).await?,
        domain_checks: domain_checks(client).await?,
    };
    let enums = enums(client).await?;
    check_schemas(client, database).await?;

    let mut fks = relationships::read(client, &database.names).await?;
    let mut schemas = Vec::new();
    for name in &database.names {
        let mut relations = relations(
            client,
            name,
            &["r", "p", "f", "v", "m"],
            &types,
            &mut warnings,
        )
        .await?;
        relations.retain(|r| !INTERNAL_TABLES.contains(&r.name.as_str()));
        for relation in &mut relations {
            relation.relationships = fks
                .remove(&(name.clone(), relation.name.clone()))
                .unwrap_or_default();
        }
        let (views, tables) = relations
            .into_iter()
            .partition(|r| matches!(r.kind, RelationKind::View | RelationKind::MaterializedView));
        let schema = Schema {
            name: name.clone(),
            described: true,
            tables,
            views,
            functions: functions::read(client, name, &types).await?,
            enums: enums.get(name).cloned().unwrap_or_default(),
            composite_types: composite_types(client, name, &types).await?,
        };
        let empty = schema.tables.is_empty()
            && schema.views.is_empty()
            && schema.functions.is_empty()
            && schema.enums.is_empty()
            && schema.composite_types.is_empty();
        if empty && database.explicit {
            warnings.push(Warning {
                code: WarningCode::EmptySchema,
                location: format!("schema {name}"),
                message: "it is listed in `schemas` of messenger-gen.toml but has no table, \
                          view, function, enum or composite type; `Database` describes it \
                          with empty sections"
                    .to_owned(),
            });
        }
        schemas.push(schema);
    }
    let payload_tables = relations(client, PAYLOAD_SCHEMA, &["r"], &types, &mut warnings).await?;
    // `CREATE TYPE messenger_payloads.x AS (...)`: nested payload types without constraints
    // of their own.
    let composite_types: Vec<CompositeType> =
        relations(client, PAYLOAD_SCHEMA, &["c"], &types, &mut warnings)
            .await?
            .into_iter()
            .map(|t| CompositeType {
                name: t.name,
                comment: t.comment,
                attributes: t.columns,
            })
            .collect();
    let message_types: Vec<MessageType> = payload_tables
        .into_iter()
        .map(|t| MessageType {
            name: t.name,
            comment: t.comment,
            fields: t.columns,
        })
        .collect();
    payloads::check_nesting(&message_types, &composite_types)?;
    let transports = transports(client, &message_types, &composite_types).await?;
    let has_payload_types = !message_types.is_empty() || !composite_types.is_empty();
    if has_payload_types || enums.contains_key(PAYLOAD_SCHEMA) {
        schemas.push(Schema {
            name: PAYLOAD_SCHEMA.to_owned(),
            enums: enums.get(PAYLOAD_SCHEMA).cloned().unwrap_or_default(),
            composite_types,
            ..Schema::default()
        });
    }
    let mut catalog = Catalog {
        schemas,
        message_types,
        transports,
    };
    add_used_types(client, &mut catalog, &enums, &types).await?;
    catalog.schemas.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((catalog, warnings))
}

/// Refuses a schema in `schemas` that does not exist or that holds message types.
async fn check_schemas(client: &Client, database: &DatabaseSchemas) -> Result<(), CatalogError> {
    let rows = client
        .query(
            "SELECT nspname::text FROM pg_namespace WHERE nspname = ANY($1)",
            &[&database.names],
        )
        .await?;
    let found: BTreeSet<String> = rows.iter().map(|r| r.get(0)).collect();
    for name in &database.names {
        if name == PAYLOAD_SCHEMA {
            return Err(CatalogError::Invalid(format!(
                "`schemas` of messenger-gen.toml lists `{PAYLOAD_SCHEMA}`, which holds message \
                 types (tables that never hold rows), not an API; remove it"
            )));
        }
        if !found.contains(name) {
            let listed = if database.explicit {
                "is listed in `schemas` of messenger-gen.toml"
            } else {
                "is the default of `schemas` in messenger-gen.toml"
            };
            return Err(CatalogError::Invalid(format!(
                "the schema `{name}` {listed} but does not exist in the database the migrations \
                 build; create it in a migration or remove it from `schemas`"
            )));
        }
    }
    Ok(())
}

/// Adds to `catalog` the enums and composite types that described schemas and message types
/// use from schemas that are not described, so that every [`SqlType::Enum`] and
/// [`SqlType::Composite`] names something in the IR. A composite's attributes may use more.
async fn add_used_types(
    client: &Client,
    catalog: &mut Catalog,
    enums: &BTreeMap<String, Vec<EnumType>>,
    types: &Types,
) -> Result<(), CatalogError> {
    let mut pending: Vec<SqlType> = Vec::new();
    for schema in &catalog.schemas {
        for relation in schema.tables.iter().chain(&schema.views) {
            pending.extend(relation.columns.iter().map(|c| c.ty.clone()));
        }
        for composite in &schema.composite_types {
            pending.extend(composite.attributes.iter().map(|c| c.ty.clone()));
        }
        for function in &schema.functions {
            pending.extend(function.args.iter().map(|a| a.ty.clone()));
            match &function.returns {
                FunctionReturn::Value { ty } => pending.push(ty.clone()),
                FunctionReturn::Columns { columns } => {
                    pending.extend(columns.iter().map(|c| c.ty.clone()))
                }
                FunctionReturn::Void | FunctionReturn::Record => {}
            }
        }
    }
    for message_type in &catalog.message_types {
        pending.extend(message_type.fields.iter().map(|c| c.ty.clone()));
    }
    let mut seen = BTreeSet::new();
    while let Some(ty) = pending.pop() {
        let (schema, name, composite) = match ty {
            SqlType::Array { element } => {
                pending.push(*element);
                continue;
            }
            SqlType::Enum { schema, name } => (schema, name, false),
            SqlType::Composite { schema, name } => (schema, name, true),
            _ => continue,
        };
        if !seen.insert((schema.clone(), name.clone())) {
            continue;
        }
        let known = if composite {
            catalog.relation(&schema, &name).is_some()
                || catalog.composite_type(&schema, &name).is_some()
                // The payload types (tables and composite types of messenger_payloads) are read
                // with their constraints already.
                || (schema == PAYLOAD_SCHEMA && catalog.object_type(&name).is_some())
        } else {
            catalog.enum_type(&schema, &name).is_some()
        };
        if known {
            continue;
        }
        let index = match catalog.schemas.iter().position(|s| s.name == schema) {
            Some(index) => index,
            None => {
                catalog.schemas.push(Schema {
                    name: schema.clone(),
                    ..Schema::default()
                });
                catalog.schemas.len() - 1
            }
        };
        if composite {
            let found = composite_type(client, &schema, &name, types).await?;
            pending.extend(found.attributes.iter().map(|a| a.ty.clone()));
            let target = &mut catalog.schemas[index].composite_types;
            target.push(found);
            target.sort_by(|a, b| a.name.cmp(&b.name));
        } else if let Some(found) = enums
            .get(&schema)
            .and_then(|all| all.iter().find(|e| e.name == name))
        {
            let target = &mut catalog.schemas[index].enums;
            target.push(found.clone());
            target.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }
    Ok(())
}

/// The composite types (`CREATE TYPE ... AS`) of `schema`, by name.
async fn composite_types(
    client: &Client,
    schema: &str,
    types: &Types,
) -> Result<Vec<CompositeType>, CatalogError> {
    let rows = client
        .query(
            "SELECT t.typname::text FROM pg_type t
               JOIN pg_namespace n ON n.oid = t.typnamespace
               JOIN pg_class c ON c.oid = t.typrelid
              WHERE n.nspname = $1 AND t.typtype = 'c' AND c.relkind = 'c'
              ORDER BY t.typname",
            &[&schema],
        )
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        out.push(composite_type(client, schema, &name, types).await?);
    }
    Ok(out)
}

/// The composite type `schema.name` (a `CREATE TYPE ... AS` type or a relation's row type)
/// with its attributes, which may always be NULL.
async fn composite_type(
    client: &Client,
    schema: &str,
    name: &str,
    types: &Types,
) -> Result<CompositeType, CatalogError> {
    let rows = client
        .query(
            "SELECT a.attname::text, a.atttypid, a.atttypmod,
                    col_description(a.attrelid, a.attnum),
                    obj_description(t.oid, 'pg_type')
               FROM pg_type t
               JOIN pg_namespace n ON n.oid = t.typnamespace
               JOIN pg_attribute a ON a.attrelid = t.typrelid
              WHERE n.nspname = $1 AND t.typname = $2 AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum",
            &[&schema, &name],
        )
        .await?;
    let mut comment = None;
    let mut attributes = Vec::new();
    for row in &rows {
        comment = row.get(4);
        let attribute: String = row.get(0);
        let mut ignored = Vec::new();
        let place = format!("{schema}.{name}.{attribute}");
        let (ty, checks, _) = resolve(row.get(1), row.get(2), types, &place, &mut ignored);
        attributes.push(Column {
            name: attribute,
            ty,
            nullable: true,
            default: None,
            default_value: None,
            identity: None,
            generated: false,
            comment: row.get(3),
            checks,
        });
    }
    Ok(CompositeType {
        name: name.to_owned(),
        comment,
        attributes,
    })
}

async fn relations(
    client: &Client,
    schema: &str,
    kinds: &[&str],
    types: &Types,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Relation>, CatalogError> {
    // A view is updatable as information_schema.views and postgres-meta read it:
    // `pg_relation_is_updatable` has both the UPDATE (4) and the DELETE (16) bit. Every
    // automatically updatable view also takes INSERT.
    let rows = client
        .query(
            "SELECT c.oid, c.relname::text,
                    CASE WHEN c.relkind = 'c' THEN obj_description(c.reltype, 'pg_type')
                         ELSE obj_description(c.oid, 'pg_class') END,
                    c.relkind::text,
                    c.relkind NOT IN ('v', 'm')
                        OR (c.relkind = 'v' AND (pg_relation_is_updatable(c.oid, false) & 20) = 20)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = $1 AND c.relkind::text = ANY($2)
              ORDER BY c.relname",
            &[&schema, &kinds],
        )
        .await?;
    // One connection pipelines these: every relation's queries are in flight at once instead
    // of one round trip after another.
    let fetched = futures::future::try_join_all(rows.iter().map(|row| async move {
        let oid: u32 = row.get(0);
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&oid];
        futures::try_join!(
            client.query(
                "SELECT a.attnum, a.attname::text, a.atttypid, a.atttypmod, a.attnotnull,
                        pg_get_expr(d.adbin, d.adrelid), a.attidentity::text,
                        a.attgenerated::text, col_description(a.attrelid, a.attnum),
                        a.attndims::int4, format_type(a.atttypid, a.atttypmod),
                        c.relkind <> 'v' OR pg_column_is_updatable(a.attrelid, a.attnum, false)
                   FROM pg_attribute a
                   JOIN pg_class c ON c.oid = a.attrelid
                   LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                  WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
                  ORDER BY a.attnum",
                &params,
            ),
            client.query(
                "SELECT conname::text, conkey, pg_get_expr(conbin, conrelid),
                        obj_description(oid, 'pg_constraint')
                   FROM pg_constraint WHERE conrelid = $1 AND contype = 'c' ORDER BY conname",
                &params,
            ),
        )
    }))
    .await?;
    let mut out = Vec::new();
    for (row, (column_rows, check_rows)) in rows.iter().zip(fetched) {
        let name: String = row.get(1);
        let mut columns = Vec::new();
        let mut attnums = Vec::new();
        let mut read_only_columns = Vec::new();
        for r in &column_rows {
            let attnum: i16 = r.get(0);
            let column_name: String = r.get(1);
            let default: Option<String> = r.get(5);
            let identity: String = r.get(6);
            let generated: String = r.get(7);
            let raw_comment: Option<String> = r.get(8);
            let place = format!("{schema}.{name}.{column_name}");
            let mut type_warnings = Vec::new();
            let (mut ty, mut checks, domain_not_null) =
                resolve(r.get(2), r.get(3), types, &place, &mut type_warnings);
            for warning in type_warnings {
                if warning.code != WarningCode::UnmappedType {
                    warnings.push(warning);
                    continue;
                }
                match warnings::acknowledged(raw_comment.as_deref(), WarningCode::UnmappedType) {
                    Ok(true) => {}
                    Ok(false) => warnings.push(warning),
                    Err(problem) => warnings.push(Warning {
                        code: WarningCode::BadAcknowledgement,
                        location: place.clone(),
                        message: format!("the COMMENT of the column: {problem}"),
                    }),
                }
            }
            let mut comment = warnings::without_acknowledgements(raw_comment);
            let written: String = r.get(10);
            if let Some(payload) = payloads::take_tag(&mut comment) {
                ty = payloads::tagged(&place, ty, &payload, &written)?;
            }
            if schema == PAYLOAD_SCHEMA {
                let dimensions = r
                    .get::<_, i32>(9)
                    .max(domain_dimensions(r.get(2), &types.by_oid));
                payloads::check_shape(&place, &ty, dimensions, &written)?;
            }
            for check_row in &check_rows {
                let key: Vec<i16> = check_row.get(1);
                if key == [attnum] {
                    let check = check_constraint(check_row);
                    match checks::translate(&check.expr, &column_name) {
                        Ok(found) => checks.extend(found),
                        Err(reason) => warnings.extend(untranslated(
                            &place,
                            &format!("{schema}.{name}"),
                            &check,
                            &reason,
                        )),
                    }
                }
            }
            let default_value = default.as_deref().and_then(|d| constant_default(d, &ty));
            if !r.get::<_, bool>(11) {
                read_only_columns.push(column_name.clone());
            }
            columns.push(Column {
                name: column_name,
                ty,
                nullable: !(r.get::<_, bool>(4) || domain_not_null),
                default,
                default_value,
                identity: match identity.as_str() {
                    "a" => Some(Identity::Always),
                    "d" => Some(Identity::ByDefault),
                    _ => None,
                },
                generated: generated == "s",
                comment,
                checks,
            });
            attnums.push(attnum);
        }
        for check_row in &check_rows {
            let key: Vec<i16> = check_row.get(1);
            if key.len() > 1 {
                warnings.extend(untranslated(
                    &format!("{schema}.{name}"),
                    &format!("{schema}.{name}"),
                    &check_constraint(check_row),
                    "it spans several columns",
                ));
            }
        }
        let kind: String = row.get(3);
        let kind = match kind.as_str() {
            "p" => RelationKind::PartitionedTable,
            "f" => RelationKind::ForeignTable,
            "v" => RelationKind::View,
            "m" => RelationKind::MaterializedView,
            _ => RelationKind::Table,
        };
        let updatable: bool = row.get(4);
        out.push(Relation {
            name,
            comment: row.get(2),
            kind,
            updatable,
            read_only_columns: if kind == RelationKind::View && updatable {
                read_only_columns
            } else {
                Vec::new()
            },
            columns,
            relationships: Vec::new(),
        });
    }
    Ok(out)
}

async fn transports(
    client: &Client,
    message_types: &[MessageType],
    composite_types: &[CompositeType],
) -> Result<Vec<Transport>, CatalogError> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('messenger_transports') IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT name, config -> 'message_types' FROM messenger_transports ORDER BY name",
            &[],
        )
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        let declared: Option<Value> = row.get(1);
        let mut accepted = match declared {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    other => Err(CatalogError::Invalid(format!(
                        "transport `{name}`: config.message_types must be an array of names, found {other}"
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(other) => {
                return Err(CatalogError::Invalid(format!(
                    "transport `{name}`: config.message_types must be an array of names, found {other}"
                )));
            }
        };
        for message_type in &accepted {
            if composite_types.iter().any(|c| &c.name == message_type) {
                return Err(CatalogError::Invalid(format!(
                    "transport `{name}` accepts `{message_type}`, which is a composite type of \
                     {PAYLOAD_SCHEMA} (CREATE TYPE): it can be nested in payloads but not sent. \
                     Declare a message type as a table instead: CREATE TABLE \
                     {PAYLOAD_SCHEMA}.{message_type} (...)"
                )));
            }
            if !message_types.iter().any(|m| &m.name == message_type) {
                return Err(CatalogError::Invalid(format!(
                    "transport `{name}` accepts the message type `{message_type}`, which is not a \
                     table in {PAYLOAD_SCHEMA}"
                )));
            }
        }
        accepted.sort();
        accepted.dedup();
        out.push(Transport {
            name,
            message_types: accepted,
        });
    }
    Ok(out)
}
