//! Reads a schema's functions into the IR ([`messenger_ir::Function`]): their input arguments,
//! what they return (a type, a relation's row, `RETURNS TABLE` or OUT columns, `void`, an
//! anonymous `record`), whether they return a set and their row estimate. Trigger functions,
//! procedures, aggregates and window functions are left out: PostgREST calls none of them.

use tokio_postgres::Client;

use super::catalog::CatalogError;
use super::types::Types;
use messenger_ir::{Function, FunctionArg, FunctionColumn, FunctionReturn, SqlType};

/// The functions of `schema`, by name, then overloads by their argument list.
pub async fn read(
    client: &Client,
    schema: &str,
    types: &Types,
) -> Result<Vec<Function>, CatalogError> {
    // proargmodes, proargnames and proallargtypes are NULL when every argument is an unnamed
    // IN argument; the coalesces give three arrays of the same length in every case.
    let rows = client
        .query(
            "SELECT p.proname::text, obj_description(p.oid, 'pg_proc'),
                    pg_get_function_arguments(p.oid),
                    coalesce(p.proallargtypes, p.proargtypes::oid[]),
                    coalesce(p.proargmodes::text[],
                             array_fill('i'::text, ARRAY[cardinality(
                                 coalesce(p.proallargtypes, p.proargtypes::oid[]))])),
                    coalesce(p.proargnames,
                             array_fill(''::text, ARRAY[cardinality(
                                 coalesce(p.proallargtypes, p.proargtypes::oid[]))])),
                    p.pronargdefaults::int4, p.prorettype, p.proretset,
                    CASE WHEN p.proretset THEN nullif(p.prorows, 0)::float8 END,
                    pg_get_function_identity_arguments(p.oid)
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = $1 AND p.prokind = 'f'
                AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
              ORDER BY p.proname, pg_get_function_arguments(p.oid),
                       pg_get_function_identity_arguments(p.oid)",
            &[&schema],
        )
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        let arg_types: Vec<u32> = row.get(3);
        let modes: Vec<String> = row.get(4);
        let names: Vec<String> = row.get(5);
        let defaults = usize::try_from(row.get::<_, i32>(6)).unwrap_or_default();
        let return_oid: u32 = row.get(7);
        let place = format!("{schema}.{name}({})", row.get::<_, String>(10));
        if arg_types.len() != modes.len() || arg_types.len() != names.len() {
            return Err(CatalogError::Invalid(format!(
                "{place}: the catalog's argument arrays differ in length"
            )));
        }
        let inputs: Vec<usize> = (0..modes.len())
            .filter(|&i| matches!(modes[i].as_str(), "i" | "b" | "v"))
            .collect();
        // The DEFAULTs belong to the last input arguments.
        let first_default = inputs.len().saturating_sub(defaults);
        let args = inputs
            .iter()
            .enumerate()
            .map(|(position, &i)| FunctionArg {
                name: names[i].clone(),
                ty: types.function_type(arg_types[i]),
                has_default: position >= first_default,
            })
            .collect();
        let table: Vec<usize> = (0..modes.len()).filter(|&i| modes[i] == "t").collect();
        let outs: Vec<usize> = (0..modes.len())
            .filter(|&i| matches!(modes[i].as_str(), "o" | "b"))
            .collect();
        let return_type = types.function_type(return_oid);
        let columns = |indexes: &[usize]| FunctionReturn::Columns {
            columns: indexes
                .iter()
                .map(|&i| FunctionColumn {
                    name: names[i].clone(),
                    ty: types.function_type(arg_types[i]),
                })
                .collect(),
        };
        let returns = if !table.is_empty() {
            columns(&table)
        } else if outs.len() > 1 {
            columns(&outs)
        } else {
            match &return_type {
                SqlType::Other { name } if name == "pg_catalog.void" => FunctionReturn::Void,
                SqlType::Other { name } if name == "pg_catalog.record" => FunctionReturn::Record,
                _ => FunctionReturn::Value { ty: return_type },
            }
        };
        out.push(Function {
            name,
            comment: row.get(1),
            signature: row.get(2),
            args,
            all_args: arg_types.len(),
            returns,
            returns_set: row.get(8),
            rows: row.get(9),
        });
    }
    Ok(out)
}
