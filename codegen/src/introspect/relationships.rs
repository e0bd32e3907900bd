//! The relationships PostgREST embeds along, as postgres-meta computes them for `supabase gen
//! types typescript`: every foreign key of a relation in a described schema (with the schema of
//! the relation it references), and the relationships PostgREST infers through views whose
//! columns expose the key columns of a foreign key (view → table, table → view, view → view).
//!
//! The two queries are adapted from postgres-meta (`src/lib/sql/table_relationships.sql.ts`
//! and `views_key_dependencies.sql.ts`, Apache-2.0, Copyright Supabase), which adapted them in
//! turn from PostgREST's schema cache (`src/PostgREST/SchemaCache.hs`, MIT); the expansion of
//! view columns follows postgres-meta's `PostgresMetaRelationships.ts`.

use std::collections::HashMap;

use serde::Deserialize;
use tokio_postgres::Client;

use super::catalog::CatalogError;
use messenger_ir::Relationship;

/// A relationship and the relation it starts from.
#[derive(Debug, Clone)]
struct Found {
    schema: String,
    relation: String,
    relationship: Relationship,
}

/// Every relationship from a relation of `schemas`, by (schema, relation), each list ordered
/// as postgres-meta orders them: by constraint name, referenced relation, referenced columns.
pub async fn read(
    client: &Client,
    schemas: &[String],
) -> Result<HashMap<(String, String), Vec<Relationship>>, CatalogError> {
    let tables = table_relationships(client, schemas).await?;
    let dependencies = key_dependencies(client, schemas).await?;
    let mut all = tables.clone();
    for found in &tables {
        all.extend(through_views(found, &dependencies));
    }
    all.sort_by(|a, b| {
        let (a, b) = (&a.relationship, &b.relationship);
        (&a.name, &a.referenced_relation, &a.referenced_columns).cmp(&(
            &b.name,
            &b.referenced_relation,
            &b.referenced_columns,
        ))
    });
    let mut out: HashMap<(String, String), Vec<Relationship>> = HashMap::new();
    for found in all {
        out.entry((found.schema, found.relation))
            .or_default()
            .push(found.relationship);
    }
    Ok(out)
}

/// Foreign keys declared on relations of `schemas` (constraints of partitions inherited from
/// their parent are the parent's). One-to-one when the referencing columns, in the key's
/// order, are exactly a primary key or unique constraint of the referencing relation.
async fn table_relationships(
    client: &Client,
    schemas: &[String],
) -> Result<Vec<Found>, CatalogError> {
    let rows = client
        .query(
            "WITH pks_uniques_cols AS (
               SELECT conrelid, jsonb_agg(column_info.cols) AS cols
                 FROM pg_constraint
                 JOIN LATERAL (
                   SELECT array_agg(cols.attname ORDER BY cols.attnum) AS cols
                     FROM (SELECT unnest(conkey) AS col) _
                     JOIN pg_attribute cols ON cols.attrelid = conrelid AND cols.attnum = col
                 ) column_info ON TRUE
                WHERE contype IN ('p', 'u')
                GROUP BY conrelid
             )
             SELECT traint.conname::text, ns1.nspname::text, tab.relname::text,
                    column_info.cols, ns2.nspname::text, other.relname::text, column_info.refs,
                    coalesce(to_jsonb(column_info.cols) IN (
                        SELECT * FROM jsonb_array_elements(pks_uqs.cols)), false)
               FROM pg_constraint traint
               JOIN LATERAL (
                 SELECT array_agg(cols.attname::text ORDER BY ord) AS cols,
                        array_agg(refs.attname::text ORDER BY ord) AS refs
                   FROM unnest(traint.conkey, traint.confkey) WITH ORDINALITY AS _(col, ref, ord)
                   JOIN pg_attribute cols ON cols.attrelid = traint.conrelid AND cols.attnum = col
                   JOIN pg_attribute refs ON refs.attrelid = traint.confrelid AND refs.attnum = ref
               ) AS column_info ON TRUE
               JOIN pg_class tab ON tab.oid = traint.conrelid
               JOIN pg_namespace ns1 ON ns1.oid = tab.relnamespace
               JOIN pg_class other ON other.oid = traint.confrelid
               JOIN pg_namespace ns2 ON ns2.oid = other.relnamespace
               LEFT JOIN pks_uniques_cols pks_uqs ON pks_uqs.conrelid = traint.conrelid
              WHERE traint.contype = 'f' AND traint.conparentid = 0 AND ns1.nspname = ANY($1)",
            &[&schemas],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Found {
            schema: r.get(1),
            relation: r.get(2),
            relationship: Relationship {
                name: r.get(0),
                columns: r.get(3),
                referenced_schema: r.get(4),
                referenced_relation: r.get(5),
                referenced_columns: r.get(6),
                is_one_to_one: r.get(7),
            },
        })
        .collect())
}

/// A view of `schemas` whose columns expose all the columns of a key of a table.
#[derive(Debug, Clone)]
struct KeyDependency {
    table_schema: String,
    table_name: String,
    view_schema: String,
    view_name: String,
    constraint_name: String,
    /// `p` (primary key), `f` (the referencing side of a foreign key), `f_ref` (its
    /// referenced side).
    constraint_type: String,
    /// Each key column, in the key's order, with the view columns that expose it.
    columns: Vec<ColumnDependency>,
}

#[derive(Debug, Clone, Deserialize)]
struct ColumnDependency {
    view_columns: Vec<String>,
}

/// Which view columns of `schemas` come straight from key columns of tables: PostgREST reads
/// the views' parse trees (`pg_rewrite.ev_action`), following views of views.
async fn key_dependencies(
    client: &Client,
    schemas: &[String],
) -> Result<Vec<KeyDependency>, CatalogError> {
    let rows = client.query(VIEWS_KEY_DEPENDENCIES, &[&schemas]).await?;
    let mut out = Vec::new();
    for r in rows {
        let columns: serde_json::Value = r.get(6);
        let columns: Vec<ColumnDependency> = serde_json::from_value(columns).map_err(|e| {
            CatalogError::Invalid(format!(
                "reading the key columns of view {}.{}: {e}",
                r.get::<_, String>(2),
                r.get::<_, String>(3)
            ))
        })?;
        out.push(KeyDependency {
            table_schema: r.get(0),
            table_name: r.get(1),
            view_schema: r.get(2),
            view_name: r.get(3),
            constraint_name: r.get(4),
            constraint_type: r.get(5),
            columns,
        });
    }
    Ok(out)
}

/// Every choice of one view column per key column (a view may expose a key column twice).
fn view_column_choices(columns: &[ColumnDependency]) -> Vec<Vec<String>> {
    columns.iter().fold(vec![Vec::new()], |choices, column| {
        choices
            .iter()
            .flat_map(|choice| {
                column.view_columns.iter().map(move |view_column| {
                    let mut longer = choice.clone();
                    longer.push(view_column.clone());
                    longer
                })
            })
            .collect()
    })
}

/// The relationships a table's foreign key gives views: from a view exposing the referencing
/// columns, to a view exposing the referenced ones, and from view to view.
fn through_views(found: &Found, dependencies: &[KeyDependency]) -> Vec<Found> {
    let fk = &found.relationship;
    let from_views: Vec<&KeyDependency> = dependencies
        .iter()
        .filter(|d| {
            d.table_schema == found.schema
                && d.table_name == found.relation
                && d.constraint_name == fk.name
                && d.constraint_type == "f"
        })
        .collect();
    let to_views: Vec<&KeyDependency> = dependencies
        .iter()
        .filter(|d| {
            d.table_schema == fk.referenced_schema
                && d.table_name == fk.referenced_relation
                && d.constraint_name == fk.name
                && d.constraint_type == "f_ref"
        })
        .collect();
    let mut out = Vec::new();
    for from in &from_views {
        for columns in view_column_choices(&from.columns) {
            out.push(Found {
                schema: from.view_schema.clone(),
                relation: from.view_name.clone(),
                relationship: Relationship {
                    columns,
                    ..fk.clone()
                },
            });
        }
    }
    for to in &to_views {
        for referenced_columns in view_column_choices(&to.columns) {
            out.push(Found {
                schema: found.schema.clone(),
                relation: found.relation.clone(),
                relationship: Relationship {
                    referenced_schema: to.view_schema.clone(),
                    referenced_relation: to.view_name.clone(),
                    referenced_columns,
                    ..fk.clone()
                },
            });
        }
    }
    for from in &from_views {
        for columns in view_column_choices(&from.columns) {
            for to in &to_views {
                for referenced_columns in view_column_choices(&to.columns) {
                    out.push(Found {
                        schema: from.view_schema.clone(),
                        relation: from.view_name.clone(),
                        relationship: Relationship {
                            columns: columns.clone(),
                            referenced_schema: to.view_schema.clone(),
                            referenced_relation: to.view_name.clone(),
                            referenced_columns,
                            ..fk.clone()
                        },
                    });
                }
            }
        }
    }
    out
}

/// postgres-meta's `VIEWS_KEY_DEPENDENCIES_SQL` with its schema filter as `$1` (the described
/// schemas). The comments are theirs, kept because the text transformation is subtle.
const VIEWS_KEY_DEPENDENCIES: &str = r#"
with recursive
pks_fks as (
  -- pk + fk referencing col
  select
    contype::text as contype,
    conname,
    array_length(conkey, 1) as ncol,
    conrelid as resorigtbl,
    col as resorigcol,
    ord
  from pg_constraint
  left join lateral unnest(conkey) with ordinality as _(col, ord) on true
  where contype IN ('p', 'f')
  union
  -- fk referenced col
  select
    concat(contype, '_ref') as contype,
    conname,
    array_length(confkey, 1) as ncol,
    confrelid,
    col,
    ord
  from pg_constraint
  left join lateral unnest(confkey) with ordinality as _(col, ord) on true
  where contype='f'
  and connamespace in (select oid from pg_namespace where nspname = any($1))
),
views as (
  select
    c.oid       as view_id,
    n.nspname   as view_schema,
    c.relname   as view_name,
    r.ev_action as view_definition
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  join pg_rewrite r on r.ev_class = c.oid
  where c.relkind in ('v', 'm')
    and n.nspname = any($1)
),
transform_json as (
  select
    view_id, view_schema, view_name,
    -- the following formatting is without indentation on purpose
    -- to allow simple diffs, with less whitespace noise
    replace(
      replace(
      replace(
      replace(
      replace(
      replace(
      replace(
      regexp_replace(
      replace(
      replace(
      replace(
      replace(
      replace(
      replace(
      replace(
      replace(
      replace(
      replace(
      replace(
        view_definition::text,
      -- This conversion to json is heavily optimized for performance.
      -- The general idea is to use as few regexp_replace() calls as possible.
      -- Simple replace() is a lot faster, so we jump through some hoops
      -- to be able to use regexp_replace() only once.
      -- <> in pg_node_tree is the same as null in JSON, but due to very poor performance of json_typeof
      -- we need to make this an empty array here to prevent json_array_elements from throwing an error
      -- when the targetList is null.
      -- We'll need to put it first, to make the node protection below work for node lists that start with
      -- null: (<> ..., too. This is the case for coldefexprs, when the first column does not have a default value.
         '<>'              , '()'
      -- , is not part of the pg_node_tree format, but used in the regex.
      -- This removes all , that might be part of column names.
      ), ','               , ''
      -- The same applies for { and }, although those are used a lot in pg_node_tree.
      -- We remove the escaped ones, which might be part of column names again.
      ), E'\\{'            , ''
      ), E'\\}'            , ''
      -- The fields we need are formatted as json manually to protect them from the regex.
      ), ' :targetList '   , ',"targetList":'
      ), ' :resno '        , ',"resno":'
      ), ' :resorigtbl '   , ',"resorigtbl":'
      ), ' :resorigcol '   , ',"resorigcol":'
      -- Make the regex also match the node type, e.g. `{QUERY ...`, to remove it in one pass.
      ), '{'               , '{ :'
      -- Protect node lists, which start with `({` or `((` from the greedy regex.
      -- The extra `{` is removed again later.
      ), '(('              , '{(('
      ), '({'              , '{({'
      -- This regex removes all unused fields to avoid the need to format all of them correctly.
      -- This leads to a smaller json result as well.
      -- Removal stops at `,` for used fields (see above) and `}` for the end of the current node.
      -- Nesting can't be parsed correctly with a regex, so we stop at `{` as well and
      -- add an empty key for the followig node.
      ), ' :[^}{,]+'       , ',"":'              , 'g'
      -- For performance, the regex also added those empty keys when hitting a `,` or `}`.
      -- Those are removed next.
      ), ',"":}'           , '}'
      ), ',"":,'           , ','
      -- This reverses the "node list protection" from above.
      ), '{('              , '('
      -- Every key above has been added with a `,` so far. The first key in an object doesn't need it.
      ), '{,'              , '{'
      -- pg_node_tree has `()` around lists, but JSON uses `[]`
      ), '('               , '['
      ), ')'               , ']'
      -- pg_node_tree has ` ` between list items, but JSON uses `,`
      ), ' '             , ','
    )::json as view_definition
  from views
),
target_entries as(
  select
    view_id, view_schema, view_name,
    json_array_elements(view_definition->0->'targetList') as entry
  from transform_json
),
results as(
  select
    view_id, view_schema, view_name,
    (entry->>'resno')::int as view_column,
    (entry->>'resorigtbl')::oid as resorigtbl,
    (entry->>'resorigcol')::int as resorigcol
  from target_entries
),
recursion(view_id, view_schema, view_name, view_column, resorigtbl, resorigcol, is_cycle, path) as(
  select
    r.*,
    false,
    ARRAY[resorigtbl]
  from results r
  union all
  select
    view.view_id,
    view.view_schema,
    view.view_name,
    view.view_column,
    tab.resorigtbl,
    tab.resorigcol,
    tab.resorigtbl = ANY(path),
    path || tab.resorigtbl
  from recursion view
  join results tab on view.resorigtbl=tab.view_id and view.resorigcol=tab.view_column
  where not is_cycle
),
repeated_references as(
  select
    view_id,
    view_schema,
    view_name,
    resorigtbl,
    resorigcol,
    array_agg(attname) as view_columns
  from recursion
  join pg_attribute vcol on vcol.attrelid = view_id and vcol.attnum = view_column
  group by
    view_id,
    view_schema,
    view_name,
    resorigtbl,
    resorigcol
)
select
  sch.nspname::text as table_schema,
  tbl.relname::text as table_name,
  rep.view_schema::text,
  rep.view_name::text,
  pks_fks.conname::text as constraint_name,
  pks_fks.contype::text as constraint_type,
  jsonb_agg(
    jsonb_build_object('table_column', col.attname, 'view_columns', view_columns) order by pks_fks.ord
  ) as column_dependencies
from repeated_references rep
join pks_fks using (resorigtbl, resorigcol)
join pg_class tbl on tbl.oid = rep.resorigtbl
join pg_attribute col on col.attrelid = tbl.oid and col.attnum = rep.resorigcol
join pg_namespace sch on sch.oid = tbl.relnamespace
group by sch.nspname, tbl.relname,  rep.view_schema, rep.view_name, pks_fks.conname, pks_fks.contype, pks_fks.ncol
-- make sure we only return key for which all columns are referenced in the view - no partial PKs or FKs
having ncol = array_length(array_agg(row(col.attname, view_columns) order by pks_fks.ord), 1)
"#;
