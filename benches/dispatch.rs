//! Validation and dispatch throughput, each against its raw baseline in the same run.
//!
//! Run: `cargo bench --bench dispatch` (needs PostgreSQL at DATABASE_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres, and Node with `tests/ts` installed for ajv).
//! Prints a Markdown table for BENCHMARKS.md. `cargo bench --bench dispatch -- validation`
//! runs the validation rows only.

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use messenger_test_support::TestDb;
use serde_json::{Value, json};
use symphony_messenger::dispatch::{BatchItem, DispatchOptions, Messenger};
use symphony_messenger::queries::client::Params;
use symphony_messenger::queries::queries::dispatch::{DispatchBatchParams, dispatch_batch};
use symphony_messenger::validate::{DEFAULT_MAX_PAYLOAD_BYTES, Validators};

/// The demo application's generated module: the runtime compiles in no message type.
#[path = "../examples/demo/generated/rust/messages.rs"]
mod messages;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

/// A send_email payload of about 1 KB.
fn payload() -> Value {
    json!({
        "message_id": "6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10",
        "to_address": "ada.lovelace@analytical-engines.example.com",
        "cc": ["charles.babbage@example.com", "mary.somerville@example.com"],
        "subject": "Notes on the Analytical Engine, with translator's annotations",
        "body_text": "The Analytical Engine weaves algebraic patterns just as the Jacquard loom weaves flowers and leaves. ".repeat(8),
        "template": "welcome",
        "priority": 7,
        "send_at": "2026-11-28T10:00:00Z"
    })
}

/// An order_placed payload of about 1 KB: five line items (each with a nested money), a
/// nested shipping address, a discount (jsonb[] tagged `@payload`), a total and tags.
fn order_payload() -> Value {
    let item = |sku: &str, name: &str, quantity: i32, cents: i64| {
        json!({
            "sku": sku,
            "name": name,
            "quantity": quantity,
            "unit_price": {"amount_cents": cents, "currency": "EUR"}
        })
    };
    json!({
        "order_id": "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c",
        "customer_id": "7c6b5a49-3827-4160-9f8e-7d6c5b4a3928",
        "placed_at": "2026-11-28T09:15:00+01:00",
        "items": [
            item("TEA-EARL-GREY-250", "Earl Grey, loose leaf, 250 g tin", 2, 1450),
            item("MUG-STONEWARE-01", "Stoneware mug, 350 ml, midnight blue", 1, 1299),
            item("SPOON-TEA-07", "Tea spoon, brushed steel", 6, 199),
            item("INFUSER-BASKET-02", "Infuser basket for mugs and pots", 1, 899),
            item("BISCUIT-SHORTBREAD", "Shortbread fingers, 200 g", 3, 349),
        ],
        "shipping": {
            "recipient": "Ada Lovelace",
            "line1": "12 St James's Square",
            "line2": "Flat 3, second floor",
            "city": "London",
            "postal_code": "SW1Y 4JH",
            "country": "GB"
        },
        "discounts": [{"code": "WELCOME10", "amount_cents": 500, "source": "voucher"}],
        "total": {"amount_cents": 7488, "currency": "EUR"},
        "tags": ["first-order", "gift"]
    })
}

/// One validation benchmark: a payload of a message type, through one of its transports.
struct ValidationCase {
    what: &'static str,
    transport: &'static str,
    message_type: &'static str,
    payload: Value,
}

fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// Best of `rounds` timings of `f` (each doing `count` operations), as operations per second.
fn best<F: FnMut()>(rounds: usize, count: usize, mut f: F) -> f64 {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            f();
            per_second(count, start.elapsed())
        })
        .fold(0.0, f64::max)
}

/// The best throughput of `ours` and of `baseline` over `rounds` rounds of `count` operations
/// each, measured alternately, so that both meet the same load of a shared machine.
fn best_alternating<A: FnMut(), B: FnMut()>(
    rounds: usize,
    count: usize,
    mut ours: A,
    mut baseline: B,
) -> (f64, f64) {
    let (mut best_ours, mut best_baseline) = (0.0f64, 0.0f64);
    for _ in 0..rounds {
        best_ours = best_ours.max(best(1, count, &mut ours));
        best_baseline = best_baseline.max(best(1, count, &mut baseline));
    }
    (best_ours, best_baseline)
}

fn row(what: &str, ours: f64, baseline_name: &str, baseline: f64, unit: &str) {
    println!(
        "| {what} | {ours:.0} {unit} | {baseline_name}: {baseline:.0} {unit} | {:.2} |",
        ours / baseline
    );
}

fn validation(validators: &Validators, case: &ValidationCase) {
    let ValidationCase {
        what,
        transport,
        message_type,
        payload: value,
    } = case;
    let bytes = serde_json::to_vec(value).unwrap();
    let n = 200_000;
    // The raw baseline: the same schema compiled directly with the jsonschema crate.
    let path = format!(
        "{}/examples/demo/generated/jsonschema/transports/{transport}.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let raw = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": schema["$defs"],
            "$ref": format!("#/$defs/{message_type}"),
        }))
        .unwrap();
    assert!(raw.is_valid(value));
    // Many short rounds, alternating, the best of each counting: on a shared machine a short
    // round is likely to run undisturbed, and both sides meet the same load.
    let per_round = 2_000;
    let (ours, baseline) = best_alternating(
        n / per_round,
        per_round,
        || {
            for _ in 0..per_round {
                validators.validate(transport, message_type, value).unwrap();
            }
        },
        || {
            for _ in 0..per_round {
                assert!(raw.is_valid(value));
            }
        },
    );
    let size = bytes.len();
    row(
        &format!("validate {what} ({size} bytes, pre-parsed)"),
        ours,
        "raw jsonschema is_valid",
        baseline,
        "/s",
    );

    // ajv runs in Node (the same short rounds, after a warm-up); ours alternates with it, three
    // times, and the best of each counts.
    let mut ours_parse = 0.0f64;
    let mut ajv_best: Result<f64, String> = Ok(0.0);
    for _ in 0..3 {
        ours_parse = ours_parse.max(best(n / per_round / 3, per_round, || {
            for _ in 0..per_round {
                validators
                    .validate_bytes(transport, message_type, &bytes, DEFAULT_MAX_PAYLOAD_BYTES)
                    .unwrap();
            }
        }));
        ajv_best = match (ajv_best, ajv(&path, message_type, &bytes)) {
            (Ok(best), Ok(run)) => Ok(best.max(run)),
            (Err(why), _) | (_, Err(why)) => Err(why),
        };
    }
    let parse_only = best(n / per_round, per_round, || {
        for _ in 0..per_round {
            std::hint::black_box(serde_json::from_slice::<Value>(&bytes).unwrap());
        }
    });
    println!(
        "| (diagnostic) parse {what} into a `serde_json::Value` only | {parse_only:.0} /s | - | - |"
    );
    match ajv_best {
        Ok(ajv) => row(
            &format!("parse + validate {what}"),
            ours_parse,
            "ajv (JSON.parse + validate)",
            ajv,
            "/s",
        ),
        Err(why) => {
            println!("| parse + validate {what} | {ours_parse:.0} /s | ajv: not run ({why}) | - |")
        }
    }
}

/// ajv's throughput on the same schema and payload, parse included, measured in Node.
fn ajv(schema_path: &str, message_type: &str, bytes: &[u8]) -> Result<f64, String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let script = format!(
        r##"
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import {{ readFileSync }} from "node:fs";
const schema = JSON.parse(readFileSync("{schema_path}", "utf8"));
const ajv = new Ajv2020({{ strict: true }});
addFormats(ajv);
const validate = ajv.compile({{ $defs: schema.$defs, $ref: "#/$defs/{message_type}" }});
const text = process.argv[2];
if (!validate(JSON.parse(text))) throw new Error(JSON.stringify(validate.errors));
for (let i = 0; i < 100000; i++) {{ validate(JSON.parse(text)); }}
const n = 2000;
let best = 0;
for (let round = 0; round < 35; round++) {{
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {{ if (!validate(JSON.parse(text))) throw new Error("invalid"); }}
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  best = Math.max(best, n / seconds);
}}
console.log(best);
"##
    );
    let path = format!("{root}/tests/ts/.bench-ajv.mjs");
    std::fs::write(&path, script).map_err(|e| e.to_string())?;
    let out = Command::new("node")
        .arg(&path)
        .arg(String::from_utf8_lossy(bytes).as_ref())
        .output();
    let _ = std::fs::remove_file(&path);
    let out = out.map_err(|e| format!("node: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("{e}"))
}

const INSERT: &str = "INSERT INTO messenger_messages (transport_name, queue_name, body, headers, priority, available_at, scheduled_at, max_retries, idempotency_key, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";

async fn dispatch(db: &TestDb) {
    let messenger = Messenger::new(db.pool(1), messages::registry());
    let client = db.client().await;
    let value = payload();
    let headers = json!({"message_type": "send_email"});
    let metadata = json!({});
    let options = DispatchOptions::default();
    let n = 1_000;
    // Each round starts from an empty table so index growth does not favour whichever side
    // runs first; the best round counts.
    let truncate = "TRUNCATE messenger_messages RESTART IDENTITY CASCADE";

    // Single messages, one at a time, one connection each side.
    let statement = client.prepare(INSERT).await.unwrap();
    let mut ours = 0.0f64;
    let mut raw = 0.0f64;
    for _ in 0..8 {
        client.batch_execute(truncate).await.unwrap();
        let start = Instant::now();
        for _ in 0..n {
            messenger
                .dispatch_json("email", "send_email", &value, &options)
                .await
                .unwrap();
        }
        ours = ours.max(per_second(n, start.elapsed()));
        client.batch_execute(truncate).await.unwrap();
        let start = Instant::now();
        for _ in 0..n {
            let now = Utc::now().fixed_offset();
            client
                .query_one(
                    &statement,
                    &[
                        &"email",
                        &"default",
                        &value,
                        &headers,
                        &5i16,
                        &now,
                        &None::<chrono::DateTime<chrono::FixedOffset>>,
                        &3i32,
                        &None::<&str>,
                        &metadata,
                    ],
                )
                .await
                .unwrap();
        }
        raw = raw.max(per_second(n, start.elapsed()));
    }
    row(
        "dispatch one message (validated)",
        ours,
        "raw prepared INSERT",
        raw,
        "msg/s",
    );

    // Where the time goes: the same dispatch on a plain client (no pool) and the raw INSERT
    // through a pooled connection.
    let mut plain = 0.0f64;
    let mut pooled_raw = 0.0f64;
    let pool = db.pool(1);
    for _ in 0..3 {
        client.batch_execute(truncate).await.unwrap();
        let start = Instant::now();
        for _ in 0..n {
            symphony_messenger::dispatch::dispatch_json_with(
                &client,
                messages::registry().validators(),
                "email",
                "send_email",
                &value,
                &options,
            )
            .await
            .unwrap();
        }
        plain = plain.max(per_second(n, start.elapsed()));
        client.batch_execute(truncate).await.unwrap();
        let start = Instant::now();
        for _ in 0..n {
            let object = pool.get().await.unwrap();
            let statement = object.prepare_cached(INSERT).await.unwrap();
            let now = Utc::now().fixed_offset();
            object
                .query_one(
                    &statement,
                    &[
                        &"email",
                        &"default",
                        &value,
                        &headers,
                        &5i16,
                        &now,
                        &None::<chrono::DateTime<chrono::FixedOffset>>,
                        &3i32,
                        &None::<&str>,
                        &metadata,
                    ],
                )
                .await
                .unwrap();
        }
        pooled_raw = pooled_raw.max(per_second(n, start.elapsed()));
    }
    row(
        "  same, on a plain client (no pool)",
        plain,
        "raw prepared INSERT",
        raw,
        "msg/s",
    );
    row(
        "  raw INSERT through the pool",
        pooled_raw,
        "raw prepared INSERT",
        raw,
        "msg/s",
    );

    // Batches of 1,000.
    let batch = 1_000;
    let items: Vec<BatchItem> = (0..batch)
        .map(|_| BatchItem {
            transport: "email".into(),
            message_type: "send_email".into(),
            body: value.clone(),
            options: DispatchOptions::default(),
        })
        .collect();
    let rounds = 20;
    let mut ours = 0.0f64;
    let mut copy = 0.0f64;
    let mut multi = 0.0f64;
    let multi_sql = {
        let mut sql = String::from(
            "INSERT INTO messenger_messages (transport_name, queue_name, body, headers, priority, available_at, max_retries, metadata) VALUES ",
        );
        for i in 0..batch {
            let p = i * 8;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${},${},${},${},${},${},${},${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 8
            ));
        }
        sql
    };
    let multi_statement = client.prepare(&multi_sql).await.unwrap();
    // The general UNNEST statement (ten arrays, for batches whose items differ in more than
    // their bodies), prepared once, without validation or options. A uniform batch like
    // `items` goes through `dispatch_batch_uniform` (two arrays) in `dispatch_batch`.
    let unnest = dispatch_batch().prepare(&client).await.unwrap();
    let mut raw_unnest = 0.0f64;
    // The same rows with per-item priorities: the general statement.
    let mixed: Vec<BatchItem> = items
        .iter()
        .enumerate()
        .map(|(i, item)| BatchItem {
            options: DispatchOptions {
                priority: (i % 10) as i16 + 1,
                ..DispatchOptions::default()
            },
            ..item.clone()
        })
        .collect();
    let mut ours_mixed = 0.0f64;
    for _ in 0..rounds {
        client.batch_execute(truncate).await.unwrap();
        let start = Instant::now();
        let ids = messenger.dispatch_batch(&items).await.unwrap();
        assert_eq!(ids.len(), batch);
        ours = ours.max(per_second(batch, start.elapsed()));

        client.batch_execute(truncate).await.unwrap();
        let start = Instant::now();
        let ids = messenger.dispatch_batch(&mixed).await.unwrap();
        assert_eq!(ids.len(), batch);
        ours_mixed = ours_mixed.max(per_second(batch, start.elapsed()));

        client.batch_execute(truncate).await.unwrap();
        let start = Instant::now();
        let sink = client
            .copy_in("COPY messenger_messages (transport_name, queue_name, body, headers, priority, available_at, max_retries, metadata) FROM STDIN BINARY")
            .await
            .unwrap();
        let writer = BinaryCopyInWriter::new(
            sink,
            &[
                Type::TEXT,
                Type::TEXT,
                Type::JSONB,
                Type::JSONB,
                Type::INT2,
                Type::TIMESTAMPTZ,
                Type::INT4,
                Type::JSONB,
            ],
        );
        let mut writer = std::pin::pin!(writer);
        let now = Utc::now().fixed_offset();
        // The baselines send the same rows as ours: each item's own body.
        for item in &items {
            writer
                .as_mut()
                .write(&[
                    &"email", &"default", &item.body, &headers, &5i16, &now, &3i32, &metadata,
                ])
                .await
                .unwrap();
        }
        writer.finish().await.unwrap();
        copy = copy.max(per_second(batch, start.elapsed()));

        client.batch_execute(truncate).await.unwrap();
        let start = Instant::now();
        let now = Utc::now().fixed_offset();
        let transport = "email";
        let queue = "default";
        let priority = 5i16;
        let retries = 3i32;
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(batch * 8);
        for item in &items {
            params.extend_from_slice(&[
                &transport, &queue, &item.body, &headers, &priority, &now, &retries, &metadata,
            ]);
        }
        client.execute(&multi_statement, &params).await.unwrap();
        multi = multi.max(per_second(batch, start.elapsed()));

        client.batch_execute(truncate).await.unwrap();
        let start = Instant::now();
        let now = Utc::now().fixed_offset();
        let ids = unnest
            .params(
                &client,
                &DispatchBatchParams {
                    transport_names: vec![transport; batch],
                    queue_names: vec![queue; batch],
                    bodies: items.iter().map(|item| &item.body).collect::<Vec<_>>(),
                    headers: vec![&headers; batch],
                    priorities: vec![priority; batch],
                    available_ats: vec![now; batch],
                    scheduled_ats: vec![None; batch],
                    max_retries: vec![retries; batch],
                    idempotency_keys: vec![None::<&str>; batch],
                    metadatas: vec![&metadata; batch],
                },
            )
            .all()
            .await
            .unwrap();
        assert_eq!(ids.len(), batch);
        raw_unnest = raw_unnest.max(per_second(batch, start.elapsed()));
    }
    row(
        "dispatch_batch of 1,000 (validated, UNNEST)",
        ours,
        "raw binary COPY",
        copy,
        "msg/s",
    );
    row(
        "dispatch_batch of 1,000 (validated, UNNEST)",
        ours,
        "raw multi-row INSERT",
        multi,
        "msg/s",
    );
    row(
        "dispatch_batch of 1,000, per-item priorities",
        ours_mixed,
        "raw binary COPY",
        copy,
        "msg/s",
    );
    row(
        "  the general ten-array UNNEST statement alone",
        raw_unnest,
        "raw binary COPY",
        copy,
        "msg/s",
    );
}

fn main() {
    let validators = messages::registry().validators();
    println!("| operation | ours | baseline | ratio (ours / baseline) |");
    println!("|---|---:|---:|---:|");
    let cases = [
        ValidationCase {
            what: "a `send_email` payload",
            transport: "email",
            message_type: "send_email",
            payload: payload(),
        },
        ValidationCase {
            what: "an `order_placed` payload (5 line items, nested address)",
            transport: "orders",
            message_type: "order_placed",
            payload: order_payload(),
        },
    ];
    for case in &cases {
        validation(validators, case);
    }
    if std::env::args().any(|a| a == "validation") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let db = TestDb::new().await;
        let mut client = db.client().await;
        symphony_messenger::migrate::up(&mut client, Some(&messages::migrations().unwrap()))
            .await
            .unwrap();
        dispatch(&db).await;
    });
}
