//! Verification: is the queue's schema in a database what its migrations build?
//!
//! The expected state is not a list kept by hand: the applied queue migrations are run again
//! in a scratch schema inside a transaction that is rolled back (nothing is left behind, nobody
//! else sees it), and both schemas are read from `pg_catalog` into the same fingerprint —
//! relations, column types, nullability, defaults, identity, constraints
//! (`pg_get_constraintdef`), indexes (`pg_get_indexdef`), triggers, views, functions, types,
//! row level security and policies. Definitions are read with each schema alone at the front
//! of the search path, so names inside them come out unqualified in both and compare equal.
//! Every difference is named: `column messenger_messages.priority: type text, expected
//! smallint`.

use std::collections::BTreeMap;

use tokio_postgres::{Client, GenericClient};

use super::{MigrateError, MigrationId, Migrations, QUEUE_HISTORY_TABLE, history};

/// What a fingerprinted object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// An enum, domain, range or composite type.
    Type,
    /// A table.
    Table,
    /// A column of a table or view.
    Column,
    /// A table's (or domain's) constraint.
    Constraint,
    /// An index.
    Index,
    /// A trigger.
    Trigger,
    /// A row level security policy.
    Policy,
    /// A view.
    View,
    /// A materialized view.
    MaterializedView,
    /// A function or procedure.
    Function,
    /// A sequence not owned by an identity column.
    Sequence,
}

impl ObjectKind {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Type => "type",
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::Constraint => "constraint",
            ObjectKind::Index => "index",
            ObjectKind::Trigger => "trigger",
            ObjectKind::Policy => "policy",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::Function => "function",
            ObjectKind::Sequence => "sequence",
        }
    }

    fn from_catalog(word: &str) -> Option<ObjectKind> {
        [
            ObjectKind::Type,
            ObjectKind::Table,
            ObjectKind::Column,
            ObjectKind::Constraint,
            ObjectKind::Index,
            ObjectKind::Trigger,
            ObjectKind::Policy,
            ObjectKind::View,
            ObjectKind::MaterializedView,
            ObjectKind::Function,
            ObjectKind::Sequence,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == word)
    }
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object of a schema: its kind, the relation it belongs to (for columns, constraints,
/// indexes, triggers and policies) and its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Object {
    /// What it is.
    pub kind: ObjectKind,
    /// The table or view it belongs to; empty for objects of the schema itself.
    pub parent: String,
    /// Its name (functions with their argument types).
    pub name: String,
}

impl std::fmt::Display for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            ObjectKind::Column
            | ObjectKind::Constraint
            | ObjectKind::Trigger
            | ObjectKind::Policy => write!(f, "{} {}.{}", self.kind, self.parent, self.name),
            ObjectKind::Index => write!(f, "index {} on {}", self.name, self.parent),
            _ => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// A way the database differs from what the migrations build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// An object the migrations build is not there.
    Missing(Object),
    /// A column, constraint, index, trigger or policy on one of the queue's relations that the
    /// migrations do not build.
    Unexpected(Object),
    /// An object is there but one of its properties differs.
    Changed {
        /// The object.
        object: Object,
        /// The property (`type`, `not null`, `default`, `definition`, ...).
        property: String,
        /// What the database has (`None`: nothing).
        actual: Option<String>,
        /// What the migrations build (`None`: nothing).
        expected: Option<String>,
    },
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::Missing(object) => write!(f, "missing {object}"),
            Difference::Unexpected(object) => write!(f, "unexpected {object}"),
            Difference::Changed {
                object,
                property,
                actual,
                expected,
            } => {
                let (actual, expected) = shown_pair(actual.as_deref(), expected.as_deref());
                write!(f, "{object}: {property} {actual}, expected {expected}")
            }
        }
    }
}

/// The longest part of a value a report shows.
const SHOWN_CHARS: usize = 120;

/// Two catalog values on one line each (whitespace runs become one space), quoted when they
/// hold spaces. Long values (view and function definitions) are cut to the part around their
/// first difference, so the report shows what differs.
fn shown_pair(actual: Option<&str>, expected: Option<&str>) -> (String, String) {
    let one_line =
        |value: Option<&str>| value.map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "));
    let (actual, expected) = (one_line(actual), one_line(expected));
    let first_difference = match (&actual, &expected) {
        (Some(a), Some(e)) => a.chars().zip(e.chars()).take_while(|(x, y)| x == y).count(),
        _ => 0,
    };
    let start = first_difference.saturating_sub(SHOWN_CHARS / 3);
    let show = |value: Option<String>| match value {
        None => "none".to_owned(),
        Some(value) => {
            let length = value.chars().count();
            let window: String = value.chars().skip(start).take(SHOWN_CHARS).collect();
            let before = if start > 0 { "…" } else { "" };
            let after = if start + SHOWN_CHARS < length {
                "…"
            } else {
                ""
            };
            if value.is_empty() || value.contains(' ') || start > 0 {
                format!("`{before}{window}{after}`")
            } else {
                format!("{window}{after}")
            }
        }
    };
    (show(actual), show(expected))
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The schema that was verified (the first of the search path).
    pub schema: String,
    /// How many objects the applied migrations build.
    pub objects: usize,
    /// Every difference, in a stable order.
    pub differences: Vec<Difference>,
    /// The queue's migrations that are not applied (not part of the comparison).
    pub pending: Vec<MigrationId>,
}

impl VerifyReport {
    /// Whether the schema is exactly what the applied migrations build.
    pub fn is_complete(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Properties of each object, by object.
type Fingerprint = BTreeMap<Object, BTreeMap<String, String>>;

/// Compares the queue's schema in the first schema of `client`'s search path with what its
/// applied migrations (all of them when the history records none) build in a scratch schema,
/// inside a transaction that is rolled back.
pub async fn verify(client: &mut Client) -> Result<VerifyReport, MigrateError> {
    let queue = Migrations::queue();
    let applied = history::read(client, QUEUE_HISTORY_TABLE).await?;
    let expected_set: Vec<_> = queue
        .sql()
        .filter(|(id, _)| applied.is_empty() || applied.iter().any(|a| a.version == id.version))
        .collect();
    let pending = if applied.is_empty() {
        Vec::new()
    } else {
        queue
            .ids()
            .into_iter()
            .filter(|id| !applied.iter().any(|a| a.version == id.version))
            .collect()
    };

    let row = client
        .query_one(
            "SELECT current_schema()::text, current_schemas(false)::text[]",
            &[],
        )
        .await?;
    let schema: Option<String> = row.try_get(0)?;
    let Some(schema) = schema else {
        return Err(MigrateError::Verify(
            "no schema of the search path exists; set search_path to the queue's schema".into(),
        ));
    };
    let search_path: Vec<String> = row.try_get(1)?;
    let others: Vec<&String> = search_path.iter().filter(|s| **s != schema).collect();
    let scratch = format!(
        "messenger_verify_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    // The scratch schema leads while the migrations run and while it is read; the rest of the
    // user's search path follows (extensions live there), then the verified schema, so
    // anything the migrations use from outside resolves as it did when they were applied.
    let path = |schemas: Vec<&str>| {
        schemas
            .into_iter()
            .map(quote_ident)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let scratch_path = path(
        std::iter::once(scratch.as_str())
            .chain(others.iter().map(|s| s.as_str()))
            .chain([schema.as_str()])
            .collect(),
    );
    let schema_path = path(
        std::iter::once(schema.as_str())
            .chain(others.iter().map(|s| s.as_str()))
            .collect(),
    );

    let tx = client.transaction().await?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA {scratch}; SET LOCAL search_path = {scratch_path}"
    ))
    .await?;
    for (id, sql) in &expected_set {
        tx.batch_execute(sql).await.map_err(|e| {
            MigrateError::Verify(format!(
                "the queue's migration {id} failed in the scratch schema verify builds: {}",
                crate::error::db_error_text(&e)
            ))
        })?;
    }
    let expected = fingerprint(&tx, &scratch).await?;
    tx.batch_execute(&format!("SET LOCAL search_path = {schema_path}"))
        .await?;
    let actual = fingerprint(&tx, &schema).await?;
    // Nothing of the scratch schema is kept.
    tx.rollback().await?;

    Ok(VerifyReport {
        schema,
        objects: expected.len(),
        differences: compare(&expected, &actual),
        pending,
    })
}

/// `name` as a quoted SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The objects of `schema` and their properties, read with `schema` first in the search path.
async fn fingerprint(
    client: &impl GenericClient,
    schema: &str,
) -> Result<Fingerprint, MigrateError> {
    let rows = client.query(FINGERPRINT_SQL, &[&schema]).await?;
    let mut out = Fingerprint::new();
    for row in rows {
        let kind: String = row.try_get(0)?;
        let Some(kind) = ObjectKind::from_catalog(&kind) else {
            continue;
        };
        let object = Object {
            kind,
            parent: row.try_get(1)?,
            name: row.try_get(2)?,
        };
        let property: String = row.try_get(3)?;
        let value: Option<String> = row.try_get(4)?;
        let properties = out.entry(object).or_default();
        if !property.is_empty()
            && let Some(value) = value
        {
            properties.insert(property, value);
        }
    }
    Ok(out)
}

/// The differences between what the migrations build and what the database has: missing
/// objects (a missing relation stands for its columns, indexes, ...), changed properties, and
/// unexpected parts of the queue's own relations. Other objects in the schema are not the
/// queue's business.
fn compare(expected: &Fingerprint, actual: &Fingerprint) -> Vec<Difference> {
    let relation = |parent: &str| Object {
        kind: ObjectKind::Table,
        parent: String::new(),
        name: parent.to_owned(),
    };
    let has_relation = |fingerprint: &Fingerprint, name: &str| {
        [
            ObjectKind::Table,
            ObjectKind::View,
            ObjectKind::MaterializedView,
        ]
        .into_iter()
        .any(|kind| {
            fingerprint.contains_key(&Object {
                kind,
                ..relation(name)
            })
        })
    };
    let mut differences = Vec::new();
    for (object, properties) in expected {
        let Some(found) = actual.get(object) else {
            if object.parent.is_empty() || has_relation(actual, &object.parent) {
                differences.push(Difference::Missing(object.clone()));
            }
            continue;
        };
        let names: std::collections::BTreeSet<&String> =
            properties.keys().chain(found.keys()).collect();
        for property in names {
            let (want, have) = (properties.get(property), found.get(property));
            if want != have {
                differences.push(Difference::Changed {
                    object: object.clone(),
                    property: property.clone(),
                    actual: have.cloned(),
                    expected: want.cloned(),
                });
            }
        }
    }
    for object in actual.keys() {
        if !object.parent.is_empty()
            && has_relation(expected, &object.parent)
            && !expected.contains_key(object)
        {
            differences.push(Difference::Unexpected(object.clone()));
        }
    }
    differences.sort_by_key(order);
    differences
}

/// Differences of one relation together, the relation's own first.
fn order(difference: &Difference) -> (String, bool, ObjectKind, String) {
    let object = match difference {
        Difference::Missing(o) | Difference::Unexpected(o) => o,
        Difference::Changed { object, .. } => object,
    };
    let group = if object.parent.is_empty() {
        object.name.clone()
    } else {
        object.parent.clone()
    };
    (
        group,
        !object.parent.is_empty(),
        object.kind,
        object.name.clone(),
    )
}

/// Every object of schema `$1` with its properties as (kind, parent, name, property, value)
/// rows; an object without properties has one row with an empty property. Definitions are
/// read while `$1` leads the search path, so they name its objects unqualified — except index
/// and trigger definitions, which always qualify their table: the schema's name is removed
/// from those.
const FINGERPRINT_SQL: &str = r"
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = $1),
rel AS (
    SELECT c.oid, c.relname::text AS name, c.relkind,
           CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                          WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' END AS kind
      FROM pg_class c JOIN ns ON c.relnamespace = ns.oid
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
       AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
)
SELECT kind, '', name, '', NULL FROM rel
UNION ALL
SELECT kind, '', name, p.property, p.value
  FROM rel JOIN pg_class c ON c.oid = rel.oid
 CROSS JOIN LATERAL (VALUES
        ('row level security', CASE WHEN rel.relkind IN ('r', 'p') THEN c.relrowsecurity::text END),
        ('forced row level security', CASE WHEN rel.relkind IN ('r', 'p') THEN c.relforcerowsecurity::text END),
        ('persistence', CASE c.relpersistence WHEN 'u' THEN 'unlogged' WHEN 't' THEN 'temporary' END),
        ('partitioned by', CASE WHEN rel.relkind = 'p' THEN pg_get_partkeydef(c.oid) END),
        ('options', array_to_string(c.reloptions, ', ')),
        ('definition', CASE WHEN rel.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END)
      ) AS p(property, value)
 WHERE p.value IS NOT NULL
UNION ALL
SELECT 'column', rel.name, a.attname::text, p.property, p.value
  FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
 CROSS JOIN LATERAL (VALUES
        ('type', format_type(a.atttypid, a.atttypmod)),
        ('not null', CASE WHEN rel.relkind IN ('r', 'p') THEN a.attnotnull::text END),
        ('default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END),
        ('generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END),
        ('identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END),
        ('collation', CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END)
      ) AS p(property, value)
 WHERE rel.relkind <> 'S' AND (p.property = 'type' OR p.value IS NOT NULL)
UNION ALL
SELECT 'constraint', rel.name, con.conname::text, 'definition', pg_get_constraintdef(con.oid)
  FROM rel JOIN pg_constraint con ON con.conrelid = rel.oid
UNION ALL
SELECT 'index', rel.name, i.relname::text, 'definition',
       replace(pg_get_indexdef(i.oid), quote_ident($1) || '.', '')
  FROM rel JOIN pg_index x ON x.indrelid = rel.oid JOIN pg_class i ON i.oid = x.indexrelid
UNION ALL
SELECT 'trigger', rel.name, tg.tgname::text, p.property, p.value
  FROM rel JOIN pg_trigger tg ON tg.tgrelid = rel.oid AND NOT tg.tgisinternal
 CROSS JOIN LATERAL (VALUES
        ('definition', replace(pg_get_triggerdef(tg.oid), quote_ident($1) || '.', '')),
        ('enabled', CASE tg.tgenabled WHEN 'O' THEN 'yes' WHEN 'D' THEN 'no'
                                      WHEN 'R' THEN 'replica' WHEN 'A' THEN 'always' END)
      ) AS p(property, value)
UNION ALL
SELECT 'policy', rel.name, pol.polname::text, p.property, p.value
  FROM rel JOIN pg_policy pol ON pol.polrelid = rel.oid
 CROSS JOIN LATERAL (VALUES
        ('command', pol.polcmd::text),
        ('permissive', pol.polpermissive::text),
        ('roles', (SELECT string_agg(role, ', ' ORDER BY role)
                     FROM (SELECT CASE r WHEN 0 THEN 'public' ELSE r::regrole::text END AS role
                             FROM unnest(pol.polroles) AS r) AS roles)),
        ('using', pg_get_expr(pol.polqual, pol.polrelid)),
        ('with check', pg_get_expr(pol.polwithcheck, pol.polrelid))
      ) AS p(property, value)
 WHERE p.value IS NOT NULL
UNION ALL
SELECT 'function', '', pr.proname::text || '(' || pg_get_function_identity_arguments(pr.oid) || ')',
       p.property, p.value
  FROM pg_proc pr JOIN ns ON pr.pronamespace = ns.oid
  JOIN pg_language l ON l.oid = pr.prolang
 CROSS JOIN LATERAL (VALUES
        ('returns', pg_get_function_result(pr.oid)),
        ('language', l.lanname::text),
        ('body', pr.prosrc),
        ('security definer', pr.prosecdef::text),
        ('volatility', pr.provolatile::text),
        ('settings', array_to_string(pr.proconfig, ', '))
      ) AS p(property, value)
 WHERE p.value IS NOT NULL
UNION ALL
SELECT 'type', '', t.typname::text, p.property, p.value
  FROM pg_type t JOIN ns ON t.typnamespace = ns.oid
 CROSS JOIN LATERAL (VALUES
        ('kind', CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range'
                                WHEN 'c' THEN 'composite' END),
        ('labels', (SELECT string_agg(e.enumlabel::text, ', ' ORDER BY e.enumsortorder)
                      FROM pg_enum e WHERE e.enumtypid = t.oid)),
        ('base type', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END),
        ('not null', CASE WHEN t.typtype = 'd' THEN t.typnotnull::text END),
        ('default', t.typdefault),
        ('constraints', (SELECT string_agg(pg_get_constraintdef(c.oid), ', ' ORDER BY c.conname)
                           FROM pg_constraint c WHERE c.contypid = t.oid)),
        ('attributes', CASE WHEN t.typtype = 'c' THEN
            (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
               FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END)
      ) AS p(property, value)
 WHERE t.typtype IN ('e', 'd', 'r', 'c')
   AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
   AND p.value IS NOT NULL
";

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: ObjectKind, parent: &str, name: &str) -> Object {
        Object {
            kind,
            parent: parent.into(),
            name: name.into(),
        }
    }

    #[test]
    fn differences_name_the_object_the_property_and_both_values() {
        let mut expected = Fingerprint::new();
        let mut actual = Fingerprint::new();
        let table = object(ObjectKind::Table, "", "jobs");
        let priority = object(ObjectKind::Column, "jobs", "priority");
        let gone = object(ObjectKind::Column, "jobs", "config");
        let view = object(ObjectKind::View, "", "depth");
        expected.insert(table.clone(), BTreeMap::new());
        expected.insert(
            priority.clone(),
            [
                ("type".into(), "smallint".into()),
                ("not null".into(), "true".into()),
            ]
            .into(),
        );
        expected.insert(gone.clone(), [("type".into(), "jsonb".into())].into());
        expected.insert(view.clone(), BTreeMap::new());
        actual.insert(table, BTreeMap::new());
        actual.insert(
            priority,
            [
                ("type".into(), "text".into()),
                ("not null".into(), "true".into()),
            ]
            .into(),
        );
        actual.insert(
            object(ObjectKind::Index, "jobs", "extra"),
            [(
                "definition".into(),
                "CREATE INDEX extra ON jobs USING btree (x)".into(),
            )]
            .into(),
        );
        let shown: Vec<String> = compare(&expected, &actual)
            .iter()
            .map(ToString::to_string)
            .collect();
        let long = "x".repeat(300);
        let (a, e) = shown_pair(
            Some(&format!("{long} a tail")),
            Some(&format!("{long} b tail")),
        );
        assert_eq!(a.chars().filter(|c| *c == 'x').count(), 39, "{a}");
        assert!(a.starts_with("`…x") && a.ends_with("x a tail`"), "{a}");
        assert!(e.ends_with("x b tail`"), "{e}");
        assert_eq!(
            shown,
            [
                "missing view depth",
                "missing column jobs.config",
                "column jobs.priority: type text, expected smallint",
                "unexpected index extra on jobs",
            ]
        );
    }
}
