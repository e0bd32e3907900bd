//! The Zod emitter's file for catalogs that hold every case, as snapshots and as the schemas a
//! reader of the snapshot would check.

use super::*;
use crate::emit::test_catalog::*;

fn zod(catalog: &Catalog) -> Result<String, EmitError> {
    let files = emit(catalog)?;
    Ok(String::from_utf8(
        files
            .get(std::path::Path::new("ts/zod.ts"))
            .unwrap()
            .to_vec(),
    )
    .unwrap())
}

#[test]
fn zod_ts_follows_the_contract() {
    let text = zod(&payload_catalog()).unwrap();
    insta::assert_snapshot!(text);
    for line in [
        // `>` and `<` stay strict (`.gt`, `.lt`); int8 within the safe integers.
        "  ranged: z.number().int().min(1).lt(10),",
        "  ratio: z.number().gt(0).max(1.5),",
        "  huge: z.number().int().min(-9007199254740991).max(9007199254740991),",
        // Literal lists, nullable and optional, and a format checked before the list.
        "  mode: z.enum([\"on\", \"off\", \"toolong\"]).nullable().optional(),",
        "  level: z.literal([2, 3]),",
        "  impossible: z.never(),",
        "  local_mode: z.string().regex(timestampPattern).pipe(z.enum([\"2024-01-01T00:00:00\"])),",
        "  serial: z.never().optional(),",
    ] {
        assert!(text.contains(&format!("{line}\n")), "{line}");
    }
}

#[test]
fn an_empty_catalog_gives_a_valid_file() {
    insta::assert_snapshot!(zod(&empty_catalog()).unwrap());
}

#[test]
fn nested_types_come_first_and_cycles_use_getters() {
    let catalog = payload_catalog();
    let order: Vec<&str> = definition_order(&catalog).iter().map(|m| m.name).collect();
    assert_eq!(
        order,
        ["tree_node", "all_types", "checks", "string", "weird name-2"]
    );
    let text = zod(&catalog).unwrap();
    assert!(text.contains(
        "  get parent(): z.ZodOptional<z.ZodNullable<typeof TreeNodeSchema>> {\n    \
         return TreeNodeSchema.nullable().optional();\n  },\n"
    ));
    assert!(text.contains("  child: TreeNodeSchema.nullable().optional(),\n"));
}

#[test]
fn colliding_names_are_an_error_naming_both() {
    let error = |names: &[&str]| zod(&with_message_types(names)).unwrap_err().to_string();
    assert!(error(&["a_b", "A_b"]).contains("`AB`"));
    // zod.ts declares `<Interface>Schema` and `<Interface>Input` besides payloads.ts's names.
    assert_eq!(
        error(&["both_message"]),
        "message type `both_message` and transport `both` both become the TypeScript name \
         `BothMessageSchema`; rename one of them"
    );
}
