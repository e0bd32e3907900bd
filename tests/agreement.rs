//! The four-way agreement: for every message type of the IR, a deterministic corpus of valid and
//! invalid payloads (tests/agreement/corpus.rs) is judged by
//!
//! 1. the Rust `jsonschema` crate (draft 2020-12, formats asserted) on the emitted
//!    `examples/demo/generated/jsonschema/payloads/<type>.schema.json` — what the runtime
//!    validates with;
//! 2. ajv 2020 (strict, ajv-formats) on the same file;
//! 3. the generated Zod schema (`examples/demo/generated/ts/zod.ts`, compiled with tsc);
//! 4. PostgreSQL itself: an INSERT into `messenger_payloads.<type>` after the typing layer of
//!    tests/agreement/oracle.rs (the JSON contract where PostgreSQL is lenient),
//!
//! and all four must agree on every payload. The `schemars` schema of each generated Rust struct,
//! and the runtime's `Validators` (built from the emitted transport schemas, for every transport
//! that accepts the type; on the `Value`, and on the payload's bytes read in place through
//! `validate_bytes` and `is_valid_bytes`), must give the same verdicts as the emitted payload
//! schema. The typing layer's decisions each have a
//! named test below, showing PostgreSQL's own leniency next to the oracle's verdict.
//!
//! `MESSENGER_GENERATED_DIR` points the JSON Schema, TypeScript and IR side at another output
//! directory (the Rust structs always come from the compiled demo module `messages.rs`).

#[path = "agreement/corpus.rs"]
mod corpus;
mod demo;
#[path = "agreement/ir.rs"]
mod ir;
#[path = "agreement/judges.rs"]
mod judges;
#[path = "agreement/node.rs"]
mod node;
#[path = "agreement/oracle.rs"]
mod oracle;
#[path = "agreement/report.rs"]
mod report;
#[path = "agreement/values.rs"]
mod values;

use std::path::PathBuf;

use messenger_test_support::TestDb;
use serde_json::{Value, json};
use tokio_postgres::Client;

use corpus::{Case, Generator, STRICTER};
use ir::Catalog;
use judges::Verdict;
use report::Judged;

async fn migrated_database() -> (TestDb, Client) {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    symphony_messenger::migrate::up(&mut client, Some(&demo::messages::migrations().unwrap()))
        .await
        .expect("the migrations apply");
    (db, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_way_agreement_on_every_message_type() {
    let catalog = ir::load();
    let corpora = Generator::new(&catalog).all();
    let cases: Vec<&Case> = corpora.values().flatten().collect();
    let mut setup_errors = Vec::new();

    // 1. The Rust jsonschema crate on the emitted payload schemas; beside it, the Rust side.
    let emitted = judges::emitted_validators(&catalog, &mut setup_errors);
    let derived = judges::schemars_validators(&catalog, &mut setup_errors);
    let runtime = judges::runtime_validators(&catalog, &mut setup_errors);

    // 2 and 3. ajv and Zod, in one Node process.
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("agreement-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let (javascript, node_errors) = judges::javascript_verdicts(&cases, &scratch);
    setup_errors.extend(node_errors);
    let _ = std::fs::remove_dir_all(&scratch);

    // 4. PostgreSQL behind the typing layer.
    let (_db, mut client) = migrated_database().await;
    let mut judged = Vec::with_capacity(cases.len());
    for (case, (ajv, zod)) in cases.iter().zip(javascript) {
        let postgres =
            oracle::judge(&mut client, &catalog, &case.message_type, &case.payload).await;
        judged.push(Judged {
            case,
            rust: judges::verdict_of(&emitted, case),
            ajv,
            zod,
            postgres: Verdict::of(postgres),
            schemars: judges::verdict_of(&derived, case),
            runtime: judges::runtime_verdicts(runtime.as_ref(), case),
        });
    }

    if let Some(path) = std::env::var_os("AGREEMENT_DUMP").filter(|p| !p.is_empty()) {
        report::dump(&judged, &path);
    }
    let (table, failure) = report::report(&corpora, &judged, &setup_errors);
    println!("{table}");
    assert!(
        failure.is_empty(),
        "AGREEMENT_DUMP=<file> writes every case with every verdict.\n{table}{failure}"
    );
    println!(
        "all {} payloads: the four judges agree; schemars and the runtime agree with the emitted schemas",
        judged.len()
    );
}

// ---------------------------------------------------------------------------------------------
// The typing layer's decisions, one test each: PostgreSQL alone (DESIGN.md's
// `INSERT ... SELECT * FROM jsonb_populate_record(...)`) next to the oracle's verdict, on a
// probe table made for the purpose.
// ---------------------------------------------------------------------------------------------

/// A scratch database with `messenger_payloads.probe`, and the IR describing it.
struct Probe {
    _db: TestDb,
    client: Client,
    catalog: Catalog,
}

impl Probe {
    /// A probe whose only column is `v <sql>`, typed `ty` (as the IR writes types).
    async fn column(sql: &str, ty: Value) -> Probe {
        Probe::tables(
            &format!("CREATE TABLE messenger_payloads.probe (v {sql});"),
            json!([{ "name": "probe", "fields": [field("v", ty, true, false)] }]),
        )
        .await
    }

    /// A probe from CREATE TABLEs and the matching IR message types.
    async fn tables(sql: &str, message_types: Value) -> Probe {
        let db = TestDb::new().await;
        let client = db.client().await;
        client
            .batch_execute(&format!("CREATE SCHEMA messenger_payloads; {sql}"))
            .await
            .expect("the probe tables");
        let catalog = serde_json::from_value(
            json!({ "schemas": [], "message_types": message_types, "transports": [] }),
        )
        .expect("a probe IR");
        Probe {
            _db: db,
            client,
            catalog,
        }
    }

    /// PostgreSQL alone: every key handed to jsonb_populate_record, every column inserted.
    async fn postgres_alone(&mut self, table: &str, payload: &Value) -> Result<(), String> {
        let sql = format!(
            "INSERT INTO messenger_payloads.{table} SELECT * FROM jsonb_populate_record(NULL::messenger_payloads.{table}, $1)"
        );
        let tx = self.client.transaction().await.unwrap();
        let result = tx.execute(sql.as_str(), &[payload]).await;
        tx.rollback().await.unwrap();
        result.map(|_| ()).map_err(|e| {
            e.as_db_error()
                .map_or_else(|| e.to_string(), |d| d.message().to_owned())
        })
    }

    /// The oracle's verdict.
    async fn oracle(&mut self, table: &str, payload: &Value) -> Result<(), Vec<String>> {
        oracle::judge(&mut self.client, &self.catalog, table, payload).await
    }

    /// PostgreSQL alone accepts `payload`, the oracle refuses it.
    async fn lenient(&mut self, payload: Value) {
        let alone = self.postgres_alone("probe", &payload).await;
        let verdict = self.oracle("probe", &payload).await;
        println!("{payload}\n    postgres alone: {alone:?}\n    oracle:         {verdict:?}");
        assert_eq!(
            alone,
            Ok(()),
            "PostgreSQL alone no longer accepts {payload}"
        );
        assert!(verdict.is_err(), "the oracle accepts {payload}");
    }

    /// Both accept `payload`.
    async fn both_accept(&mut self, payload: Value) {
        let alone = self.postgres_alone("probe", &payload).await;
        let verdict = self.oracle("probe", &payload).await;
        println!("{payload}\n    postgres alone: {alone:?}\n    oracle:         {verdict:?}");
        assert_eq!(alone, Ok(()), "PostgreSQL alone refuses {payload}");
        assert_eq!(verdict, Ok(()), "the oracle refuses {payload}");
    }

    /// Both refuse `payload`.
    async fn both_refuse(&mut self, payload: Value) {
        let alone = self.postgres_alone("probe", &payload).await;
        let verdict = self.oracle("probe", &payload).await;
        println!("{payload}\n    postgres alone: {alone:?}\n    oracle:         {verdict:?}");
        assert!(alone.is_err(), "PostgreSQL alone accepts {payload}");
        assert!(verdict.is_err(), "the oracle accepts {payload}");
    }
}

/// A column of the IR.
fn field(name: &str, ty: Value, nullable: bool, default: bool) -> Value {
    json!({
        "name": name, "ty": ty, "nullable": nullable,
        "default": if default { json!("5") } else { Value::Null },
        "default_value": null, "identity": null, "generated": false, "comment": null, "checks": [],
    })
}

#[tokio::test]
async fn oracle_rejects_unknown_keys() {
    // additionalProperties: false. jsonb_populate_record ignores keys that are not columns.
    let mut probe = Probe::column("text", json!({"kind": "text"})).await;
    probe.lenient(json!({"v": "x", "unknown": 1})).await;
    probe.lenient(json!({"V": "x"})).await;
    probe.both_accept(json!({"v": "x"})).await;
}

#[tokio::test]
async fn oracle_requires_strings_for_text_columns() {
    // jsonb_populate_record writes any JSON value into a text column as its text.
    let mut probe = Probe::column("text", json!({"kind": "text"})).await;
    probe.lenient(json!({"v": 5})).await;
    probe.lenient(json!({"v": true})).await;
    probe.lenient(json!({"v": {"a": 1}})).await;
    probe.lenient(json!({"v": ["a"]})).await;
    probe.both_accept(json!({"v": "5"})).await;
}

#[tokio::test]
async fn oracle_requires_booleans_for_boolean_columns() {
    // boolean input reads 'yes', 'on', 't', '1'... from strings and numbers.
    let mut probe = Probe::column("boolean", json!({"kind": "bool"})).await;
    for lenient in [
        json!("yes"),
        json!("true"),
        json!("t"),
        json!("on"),
        json!(1),
        json!(0),
    ] {
        probe.lenient(json!({ "v": lenient })).await;
    }
    probe.both_accept(json!({"v": false})).await;
}

#[tokio::test]
async fn oracle_requires_numbers_for_numeric_columns() {
    // numeric and double precision read numeric strings, 'NaN' and 'Infinity'.
    let mut probe = Probe::column(
        "numeric",
        json!({"kind": "numeric", "precision": null, "scale": null}),
    )
    .await;
    for lenient in ["12.5", "NaN", "Infinity"] {
        probe.lenient(json!({ "v": lenient })).await;
    }
    probe.both_accept(json!({"v": 12.5})).await;
    let mut probe = Probe::column("double precision", json!({"kind": "float8"})).await;
    probe.lenient(json!({"v": "-Infinity"})).await;
    probe.both_accept(json!({"v": 5e-324})).await;
}

#[tokio::test]
async fn oracle_requires_integers_for_integer_columns() {
    // integer reads the string "5"; a fraction is refused by both.
    let mut probe = Probe::column("integer", json!({"kind": "int4"})).await;
    probe.lenient(json!({"v": "5"})).await;
    probe.both_refuse(json!({"v": 5.5})).await;
    probe.both_refuse(json!({"v": 2_147_483_648_i64})).await;
    probe.both_accept(json!({"v": 5})).await;
}

#[tokio::test]
async fn oracle_normalises_integer_valued_floats() {
    // JSON (and JavaScript) cannot tell 5.0 from 5, and JSON Schema's `integer` accepts 5.0;
    // PostgreSQL's integer input refuses the text "5.0". The oracle writes 5.0 as 5 — the
    // one place where it is more lenient than PostgreSQL alone.
    let mut probe = Probe::column("integer", json!({"kind": "int4"})).await;
    let payload = json!({"v": 5.0});
    let alone = probe.postgres_alone("probe", &payload).await;
    let verdict = probe.oracle("probe", &payload).await;
    println!("{payload}\n    postgres alone: {alone:?}\n    oracle:         {verdict:?}");
    assert!(
        alone.is_err(),
        "PostgreSQL alone now reads 5.0 as an integer"
    );
    assert_eq!(verdict, Ok(()));
    let mut probe = Probe::column(
        "smallint[]",
        json!({"kind": "array", "element": {"kind": "int2"}}),
    )
    .await;
    let payload = json!({"v": [500.0, 502]});
    assert!(probe.postgres_alone("probe", &payload).await.is_err());
    assert_eq!(probe.oracle("probe", &payload).await, Ok(()));
}

#[tokio::test]
async fn oracle_enforces_the_int8_policy() {
    // int8 values must stay within ±(2^53−1) so that JavaScript reads them exactly; bigint
    // itself goes to ±2^63.
    let mut probe = Probe::column("bigint", json!({"kind": "int8"})).await;
    probe.lenient(json!({"v": 9_007_199_254_740_992_i64})).await;
    probe
        .lenient(json!({"v": -9_007_199_254_740_992_i64}))
        .await;
    probe.lenient(json!({"v": i64::MAX})).await;
    probe
        .both_accept(json!({"v": 9_007_199_254_740_991_i64}))
        .await;
    probe
        .both_accept(json!({"v": -9_007_199_254_740_991_i64}))
        .await;
}

#[tokio::test]
async fn oracle_rejects_postgres_lenient_uuid_forms() {
    // uuid input reads braces, missing hyphens and hyphens after any group of four digits.
    let mut probe = Probe::column("uuid", json!({"kind": "uuid"})).await;
    probe
        .lenient(json!({"v": "{6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10}"}))
        .await;
    probe
        .lenient(json!({"v": "6f1c1d7e8a514f619a532a4f1c2b9e10"}))
        .await;
    probe
        .lenient(json!({"v": "6f1c-1d7e-8a51-4f61-9a53-2a4f-1c2b-9e10"}))
        .await;
    probe
        .both_refuse(json!({"v": "urn:uuid:6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10"}))
        .await;
    probe
        .both_accept(json!({"v": "6F1C1D7E-8A51-4F61-9A53-2A4F1C2B9E10"}))
        .await;
}

#[tokio::test]
async fn oracle_rejects_postgres_lenient_timestamptz_forms() {
    // timestamptz input reads special words, dates, missing offsets (the session time zone),
    // a lower-case t, a space, missing seconds, 24:00:00 and :60 anywhere — the leap second
    // 23:59:60 UTC too, which RFC 3339 allows but the contract refuses (JavaScript's Date cannot
    // represent it; PostgreSQL rolls it into the next minute).
    let mut probe = Probe::column("timestamptz", json!({"kind": "timestamptz"})).await;
    for lenient in [
        "now",
        "epoch",
        "infinity",
        "-infinity",
        "today",
        "2024-01-01",
        "2024-01-01T10:00:00",
        "2024-01-01t10:00:00Z",
        "2024-01-01 10:00:00Z",
        "2024-01-01T10:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T10:00:60Z",
        "2016-12-31T23:59:60Z",
        "2016-12-31T18:59:60-05:00",
    ] {
        probe.lenient(json!({ "v": lenient })).await;
    }
    probe
        .both_accept(json!({"v": "2016-12-31T23:59:59.999999Z"}))
        .await;
    probe
        .both_accept(json!({"v": "2024-06-15T12:34:56.789+05:30"}))
        .await;
}

#[tokio::test]
async fn oracle_rejects_second_60_in_timestamp_and_time() {
    // timestamp and time read second 60 as the next minute, leap second or not; the contract's
    // seconds are 00-59 in every date/time type.
    let mut probe = Probe::column("timestamp", json!({"kind": "timestamp"})).await;
    probe.lenient(json!({"v": "2016-12-31T23:59:60"})).await;
    probe.lenient(json!({"v": "2024-01-01T10:00:60.5"})).await;
    probe
        .both_accept(json!({"v": "2024-01-01T10:00:59.5"}))
        .await;
    let mut probe = Probe::column("time", json!({"kind": "time"})).await;
    probe.lenient(json!({"v": "23:59:60"})).await;
    probe.both_accept(json!({"v": "23:59:59"})).await;
}

#[tokio::test]
async fn oracle_rejects_postgres_lenient_date_forms() {
    // date input reads unpadded fields, no hyphens, spaces, special words and 5-digit years.
    let mut probe = Probe::column("date", json!({"kind": "date"})).await;
    for lenient in [
        "2024-1-1",
        "20240101",
        " 2024-01-01",
        "epoch",
        "today",
        "infinity",
        "10000-01-01",
    ] {
        probe.lenient(json!({ "v": lenient })).await;
    }
    probe.both_refuse(json!({"v": "2024-02-30"})).await;
    probe.both_accept(json!({"v": "2024-02-29"})).await;
}

#[tokio::test]
async fn oracle_rejects_inet_netmasks_and_leading_zeros() {
    // inet keeps a /netmask and reads 010 as 10; JSON Schema's ipv4/ipv6 formats take neither.
    let mut probe = Probe::column("inet", json!({"kind": "inet"})).await;
    probe.lenient(json!({"v": "10.0.0.1/8"})).await;
    probe.lenient(json!({"v": "::1/128"})).await;
    probe.lenient(json!({"v": "010.0.0.1"})).await;
    probe.both_refuse(json!({"v": "fe80::1%eth0"})).await;
    probe.both_accept(json!({"v": "::ffff:192.0.2.1"})).await;
}

#[tokio::test]
async fn oracle_rejects_overlong_varchar_with_trailing_spaces() {
    // varchar(n) silently truncates a longer value when the excess is spaces.
    let mut probe = Probe::column("varchar(3)", json!({"kind": "varchar", "max_length": 3})).await;
    probe.lenient(json!({"v": "abc "})).await;
    probe.lenient(json!({"v": "abc      "})).await;
    probe.both_refuse(json!({"v": "abcd"})).await;
    probe.both_accept(json!({"v": "😀😀😀"})).await;
}

#[tokio::test]
async fn oracle_requires_json_arrays_for_array_columns() {
    // An array column reads the array literal "{a,b}" from a string.
    let mut probe = Probe::column(
        "text[]",
        json!({"kind": "array", "element": {"kind": "text"}}),
    )
    .await;
    probe.lenient(json!({"v": "{a,b}"})).await;
    probe.both_accept(json!({"v": ["a", "b"]})).await;
}

#[tokio::test]
async fn oracle_rejects_null_array_items() {
    // PostgreSQL arrays hold NULLs; the JSON contract's `items` are non-null.
    let mut probe = Probe::column(
        "text[]",
        json!({"kind": "array", "element": {"kind": "text"}}),
    )
    .await;
    probe.lenient(json!({"v": ["a", null]})).await;
    probe.lenient(json!({"v": [null]})).await;
    probe.both_accept(json!({"v": []})).await;
}

#[tokio::test]
async fn oracle_requires_array_items_of_the_element_type() {
    // Items are converted like columns: numbers and booleans become text.
    let mut probe = Probe::column(
        "text[]",
        json!({"kind": "array", "element": {"kind": "text"}}),
    )
    .await;
    probe.lenient(json!({"v": ["a", 1, true]})).await;
    let mut probe = Probe::column(
        "integer[]",
        json!({"kind": "array", "element": {"kind": "int4"}}),
    )
    .await;
    probe.lenient(json!({"v": ["1", 2]})).await;
}

#[tokio::test]
async fn oracle_judges_nested_payloads_by_their_own_table() {
    // A jsonb column takes any JSON; when its COMMENT says `@payload inner`, the value is
    // judged as an `inner` payload: typing layer and an INSERT into its own table.
    let mut probe = Probe::tables(
        "CREATE TABLE messenger_payloads.inner_type (n integer NOT NULL CHECK (n > 0));
         CREATE TABLE messenger_payloads.probe (v jsonb);",
        json!([
            { "name": "inner_type", "fields": [field("n", json!({"kind": "int4"}), false, false)] },
            { "name": "probe", "fields": [field("v", json!({"kind": "jsonb", "payload": "inner_type"}), true, false)] },
        ]),
    )
    .await;
    probe.lenient(json!({"v": {"n": 0}})).await;
    probe.lenient(json!({"v": {"n": 1, "unknown": true}})).await;
    probe.lenient(json!({"v": {}})).await;
    probe.lenient(json!({"v": "not an object"})).await;
    probe.lenient(json!({"v": {"n": "1"}})).await;
    probe.both_accept(json!({"v": {"n": 1.0}})).await;
    probe.both_accept(json!({"v": null})).await;
}

/// `messenger_payloads.inner_type` (`n integer NOT NULL CHECK (n > 0)`), its IR, and the IR of
/// a `probe` table whose only column is `v <sql>` typed `ty`.
async fn nested_probe(sql: &str, ty: Value) -> Probe {
    Probe::tables(
        &format!(
            "CREATE TABLE messenger_payloads.inner_type (n integer NOT NULL CHECK (n > 0));
             CREATE TABLE messenger_payloads.probe (v {sql});"
        ),
        json!([
            { "name": "inner_type", "fields": [field("n", json!({"kind": "int4"}), false, false)] },
            { "name": "probe", "fields": [field("v", ty, true, false)] },
        ]),
    )
    .await
}

fn inner_type() -> Value {
    json!({"kind": "composite", "schema": "messenger_payloads", "name": "inner_type"})
}

#[tokio::test]
async fn oracle_judges_composite_values_by_their_own_table() {
    // A column of a payload table's row type: jsonb_populate_record fills the composite field
    // by field, so a missing key is NULL, an unknown key is ignored and the table's NOT NULL and
    // CHECKs do not apply; it also reads the composite literal "(1)" from a string. The oracle
    // types the object and INSERTs it into its own table.
    let mut probe = nested_probe("messenger_payloads.inner_type", inner_type()).await;
    probe.lenient(json!({"v": {"n": 0}})).await;
    probe.lenient(json!({"v": {}})).await;
    probe.lenient(json!({"v": {"n": 1, "unknown": true}})).await;
    probe.lenient(json!({"v": "(1)"})).await;
    probe.lenient(json!({"v": {"n": "1"}})).await;
    probe.both_refuse(json!({"v": {"n": "x"}})).await;
    probe.both_refuse(json!({"v": [{"n": 1}]})).await;
    probe.both_accept(json!({"v": {"n": 1}})).await;
    probe.both_accept(json!({"v": null})).await;
    // `1.0` is the integer 1 in JSON; PostgreSQL's integer input refuses the text "1.0" inside
    // a composite as it does at the top level, and the oracle writes it as 1.
    let payload = json!({"v": {"n": 1.0}});
    assert!(probe.postgres_alone("probe", &payload).await.is_err());
    assert_eq!(probe.oracle("probe", &payload).await, Ok(()));
}

#[tokio::test]
async fn oracle_judges_arrays_of_composites_item_by_item() {
    // `messenger_payloads.inner_type[]`: each item is typed and INSERTed into its table; null
    // items and nested arrays (which PostgreSQL stores as a second dimension) are refused.
    let mut probe = nested_probe(
        "messenger_payloads.inner_type[]",
        json!({"kind": "array", "element": inner_type()}),
    )
    .await;
    probe.lenient(json!({"v": [{"n": 1}, {"n": 0}]})).await;
    probe.lenient(json!({"v": [{"n": 1}, {}]})).await;
    probe.lenient(json!({"v": [{"n": 1, "extra": 2}]})).await;
    probe.lenient(json!({"v": [{"n": 1}, null]})).await;
    probe.lenient(json!({"v": [null]})).await;
    probe.lenient(json!({"v": [[{"n": 1}]]})).await;
    probe.lenient(json!({"v": ["(1)"]})).await;
    probe
        .both_refuse(json!({"v": [{"n": 1}, {"n": "x"}]}))
        .await;
    probe.both_refuse(json!({"v": [5]})).await;
    probe.both_refuse(json!({"v": {"n": 1}})).await;
    probe.both_accept(json!({"v": [{"n": 1}, {"n": 2}]})).await;
    probe.both_accept(json!({"v": []})).await;
}

#[tokio::test]
async fn oracle_judges_jsonb_arrays_tagged_with_a_payload_type() {
    // `jsonb[]` whose COMMENT says `@payload inner_type`: a jsonb[] stores any JSON items (and
    // JSON null as a NULL item); the oracle judges each item as an `inner_type`.
    let mut probe = nested_probe(
        "jsonb[]",
        json!({"kind": "array", "element": {"kind": "jsonb", "payload": "inner_type"}}),
    )
    .await;
    probe.lenient(json!({"v": [{"n": 0}]})).await;
    probe.lenient(json!({"v": [{"n": 1}, {}]})).await;
    probe
        .lenient(json!({"v": [{"n": 1}, {"n": 2, "extra": true}]}))
        .await;
    probe.lenient(json!({"v": [5, "x"]})).await;
    probe.lenient(json!({"v": [{"n": 1}, null]})).await;
    probe
        .both_accept(json!({"v": [{"n": 1}, {"n": 2.0}]}))
        .await;
    probe.both_accept(json!({"v": []})).await;
}

#[tokio::test]
async fn oracle_reads_composite_types_attribute_by_attribute() {
    // A `CREATE TYPE` has no table: its attributes are optional and nullable, and only their
    // types constrain them (varchar(n), domains with NOT NULL and CHECKs — which PostgreSQL
    // enforces inside composite values). The oracle refuses unknown keys and strings, then lets
    // jsonb_populate_record of the type judge the rest; the same for jsonb tagged with it.
    let mut probe = Probe::tables(
        "CREATE DOMAIN messenger_payloads.cents AS bigint NOT NULL CHECK (VALUE >= 0);
         CREATE TYPE messenger_payloads.money AS (amount messenger_payloads.cents, label varchar(3));
         CREATE TABLE messenger_payloads.probe (v messenger_payloads.money, j jsonb);",
        json!([{ "name": "probe", "fields": [
            field("v", json!({"kind": "composite", "schema": "messenger_payloads", "name": "money"}), true, false),
            field("j", json!({"kind": "jsonb", "payload": "money"}), true, false),
        ] }]),
    )
    .await;
    let mut amount = field("amount", json!({"kind": "int8"}), false, false);
    amount["checks"] = json!([{"kind": "minimum", "value": 0, "exclusive": false}]);
    probe.catalog.schemas = serde_json::from_value(json!([{
        "name": "messenger_payloads", "tables": [], "views": [], "enums": [],
        "composite_types": [{"name": "money", "comment": null, "attributes": [
            amount,
            field("label", json!({"kind": "varchar", "max_length": 3}), true, false),
        ]}],
    }]))
    .unwrap();
    probe.lenient(json!({"v": {"amount": 1, "x": 1}})).await;
    probe.lenient(json!({"v": "(1,)"})).await;
    probe
        .lenient(json!({"v": {"amount": 1, "label": "abc "}}))
        .await;
    probe.both_refuse(json!({"v": {"amount": -1}})).await;
    probe.both_refuse(json!({"v": {}})).await;
    probe.both_refuse(json!({"v": {"amount": null}})).await;
    probe
        .both_refuse(json!({"v": {"amount": 1, "label": "abcd"}}))
        .await;
    probe.both_accept(json!({"v": {"amount": 1}})).await;
    probe
        .both_accept(json!({"v": {"amount": 1, "label": null}}))
        .await;
    // jsonb takes anything; tagged `@payload money`, it is judged as a money.
    probe.lenient(json!({"j": {"amount": -1}})).await;
    probe.lenient(json!({"j": {}})).await;
    probe
        .lenient(json!({"j": {"amount": 1, "label": "abcd"}}))
        .await;
    probe
        .both_accept(json!({"j": {"amount": 1, "label": "abc"}}))
        .await;
}

#[tokio::test]
async fn oracle_rejects_multidimensional_values_in_array_columns() {
    // An array column takes any number of dimensions, whatever it declares: `integer[]` stores
    // [[1, 2], [3, 4]]. The contract's arrays have one dimension (the generator refuses a
    // column declared `integer[][]`); sub-arrays of different lengths PostgreSQL refuses too.
    let mut probe = Probe::column(
        "integer[]",
        json!({"kind": "array", "element": {"kind": "int4"}}),
    )
    .await;
    probe.lenient(json!({"v": [[1, 2], [3, 4]]})).await;
    probe.lenient(json!({"v": [[1]]})).await;
    probe.lenient(json!({"v": [[]]})).await;
    probe.both_refuse(json!({"v": [[1], [2, 3]]})).await;
    probe.both_refuse(json!({"v": [[1], 2]})).await;
    probe.both_accept(json!({"v": [1, 2]})).await;
}

#[tokio::test]
async fn oracle_inserts_only_the_keys_present_so_defaults_apply() {
    // DESIGN.md's `SELECT *` inserts NULL for a missing key, past the column's DEFAULT; the
    // oracle names only the keys present, as an application's INSERT would. An explicit null
    // is still a NULL.
    let mut probe = Probe::tables(
        "CREATE TABLE messenger_payloads.probe (v integer NOT NULL DEFAULT 5);",
        json!([{ "name": "probe", "fields": [field("v", json!({"kind": "int4"}), false, true)] }]),
    )
    .await;
    let empty = json!({});
    let alone = probe.postgres_alone("probe", &empty).await;
    let verdict = probe.oracle("probe", &empty).await;
    println!(
        "{empty}\n    postgres alone (SELECT *): {alone:?}\n    oracle:                    {verdict:?}"
    );
    assert!(alone.is_err());
    assert_eq!(verdict, Ok(()));
    probe.both_refuse(json!({"v": null})).await;
}

#[tokio::test]
async fn oracle_keeps_postgres_verdict_where_postgres_is_stricter() {
    // Where PostgreSQL refuses what a JSON Schema format allows, the oracle does not paper over
    // it: those payloads cannot be stored, so they are invalid. CONTRACT.md refuses these ones
    // too (year 0000, offsets past ±15:59, U+0000 in text and in jsonb strings and keys); the
    // corpus marks those it does not refuse "[postgres is stricter]".
    let mut probe = Probe::column("timestamptz", json!({"kind": "timestamptz"})).await;
    probe
        .both_refuse(json!({"v": "2024-01-01T10:00:00+16:00"}))
        .await;
    probe
        .both_refuse(json!({"v": "2024-01-01T10:00:00-16:00"}))
        .await;
    probe
        .both_accept(json!({"v": "2024-01-01T10:00:00-15:59"}))
        .await;
    probe
        .both_refuse(json!({"v": "0000-06-15T00:00:00Z"}))
        .await;
    let mut probe = Probe::column("date", json!({"kind": "date"})).await;
    probe.both_refuse(json!({"v": "0000-06-15"})).await;
    let mut probe = Probe::column("text", json!({"kind": "text"})).await;
    probe.both_refuse(json!({"v": "a\u{0}b"})).await;
    let mut probe = Probe::column("jsonb", json!({"kind": "jsonb", "payload": null})).await;
    probe.both_refuse(json!({"v": {"text": "a\u{0}b"}})).await;
    probe.both_refuse(json!({"v": {"key\u{0}": 1}})).await;
    probe.both_refuse(json!({"v": [[{"a": ["\u{0}"]}]]})).await;
    let mut probe = Probe::column("json", json!({"kind": "json"})).await;
    probe.both_refuse(json!({"v": "\u{0}"})).await;
}

#[tokio::test]
async fn corpus_and_oracle_cover_every_sql_type() {
    // One column of every type the IR knows, beyond today's message types: the corpus builder
    // must produce values for each, and the oracle must judge each case as it was built (the
    // "[postgres is stricter]" cases are invalid by construction and by PostgreSQL alike).
    let types = [
        ("b", "boolean", json!({"kind": "bool"})),
        ("s", "smallint", json!({"kind": "int2"})),
        ("i", "integer", json!({"kind": "int4"})),
        ("l", "bigint", json!({"kind": "int8"})),
        ("r", "real", json!({"kind": "float4"})),
        ("d", "double precision", json!({"kind": "float8"})),
        (
            "n",
            "numeric",
            json!({"kind": "numeric", "precision": null, "scale": null}),
        ),
        ("t", "text", json!({"kind": "text"})),
        (
            "v",
            "varchar(5)",
            json!({"kind": "varchar", "max_length": 5}),
        ),
        ("c", "char(3)", json!({"kind": "char", "length": 3})),
        ("u", "uuid", json!({"kind": "uuid"})),
        ("dt", "date", json!({"kind": "date"})),
        ("tz", "timestamptz", json!({"kind": "timestamptz"})),
        ("ts", "timestamp", json!({"kind": "timestamp"})),
        ("tm", "time", json!({"kind": "time"})),
        ("ip", "inet", json!({"kind": "inet"})),
        ("j", "json", json!({"kind": "json"})),
        ("jb", "jsonb", json!({"kind": "jsonb", "payload": null})),
        (
            "e",
            "messenger_payloads.mood",
            json!({"kind": "enum", "schema": "messenger_payloads", "name": "mood"}),
        ),
        (
            "a",
            "integer[]",
            json!({"kind": "array", "element": {"kind": "int4"}}),
        ),
        (
            "ta",
            "text[]",
            json!({"kind": "array", "element": {"kind": "text"}}),
        ),
    ];
    let columns: Vec<String> = types
        .iter()
        .map(|(n, sql, _)| format!("{n} {sql}"))
        .collect();
    let fields: Vec<Value> = types
        .iter()
        .map(|(n, _, ty)| field(n, ty.clone(), true, false))
        .collect();
    let mut probe = Probe::tables(
        &format!(
            "CREATE TYPE messenger_payloads.mood AS ENUM ('happy', 'sad');
             CREATE TABLE messenger_payloads.every_type ({});",
            columns.join(", ")
        ),
        json!([{ "name": "every_type", "fields": fields }]),
    )
    .await;
    probe.catalog.schemas = serde_json::from_value(json!([{
        "name": "messenger_payloads",
        "tables": [],
        "views": [],
        "enums": [{"name": "mood", "values": ["happy", "sad"], "comment": null}],
    }]))
    .unwrap();
    let cases = Generator::new(&probe.catalog).corpus("every_type");
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let mut wrong = Vec::new();
    for case in &cases {
        let verdict = probe.oracle("every_type", &case.payload).await;
        if verdict.is_ok() != case.intended_valid {
            wrong.push(format!(
                "{} (built to be {}): {}\n    oracle: {verdict:?}",
                case.label,
                if case.intended_valid {
                    "valid"
                } else {
                    "invalid"
                },
                case.payload
            ));
        }
    }
    let stricter = cases.iter().filter(|c| c.label.contains(STRICTER)).count();
    println!(
        "{} cases, {stricter} where PostgreSQL is stricter than the contract",
        cases.len()
    );
    assert!(
        wrong.is_empty(),
        "the oracle judges against the corpus:\n{}",
        wrong.join("\n")
    );
}
