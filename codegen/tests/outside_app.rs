//! An application outside this repository, made the way README's "Your own application" says:
//! `messenger-gen init` in a temp dir, a second message type with a CHECK, an enum, a nullable
//! timestamptz and a text[] bound to a new transport (`migrate new`), `generate
//! --deny-warnings`, then a binary crate that depends on the runtime by path and uses only
//! README's API, built with cargo and run against a fresh database. A dispatch to a transport
//! that does not accept the type must not compile, and `messenger-gen validate` (CI) must give
//! the runtime's verdicts on the same files. No file of this repository is copied into the app.

mod common;
use common::{repo_root, text};

use std::path::Path;
use std::process::{Command, Output};

use messenger_test_support::TestDb;
use serde_json::Value;

fn messenger_gen(dir: &Path, args: &[&str], url: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_messenger-gen"));
    cmd.args(args).current_dir(dir).env_remove("DATABASE_URL");
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
    cmd.output().unwrap()
}

fn ok(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what} failed:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Cargo, building in the workspace's own target directory so the runtime and its dependencies
/// are compiled once for both.
fn cargo(app: &Path, args: &[&str]) -> Output {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .arg("--offline")
        .current_dir(app)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap()
}

const SHIPMENTS: &str = "\
DO $$
BEGIN
    IF to_regtype('messenger_payloads.carrier') IS NULL THEN
        CREATE TYPE messenger_payloads.carrier AS ENUM ('dhl', 'ups', 'post');
    END IF;
END
$$;
CREATE TABLE IF NOT EXISTS messenger_payloads.shipment_dispatched (
    shipment_id    uuid NOT NULL,
    carrier        messenger_payloads.carrier NOT NULL,
    weight_grams   integer NOT NULL CHECK (weight_grams > 0),
    delivered_at   timestamptz,
    tracking_codes text[] NOT NULL
);
COMMENT ON TABLE messenger_payloads.shipment_dispatched IS 'A parcel left the warehouse.';
INSERT INTO messenger_transports (name, config)
VALUES ('shipping', '{\"message_types\": [\"shipment_dispatched\"]}')
ON CONFLICT (name) DO UPDATE SET config = EXCLUDED.config;
";

const SHIPMENTS_ROLLBACK: &str = "\
DELETE FROM messenger_transports WHERE name = 'shipping';
DROP TABLE IF EXISTS messenger_payloads.shipment_dispatched;
DROP TYPE IF EXISTS messenger_payloads.carrier;
";

/// The application's binary: README's "Using the runtime", nothing else. It prints one JSON
/// line per step for the test to check, and the runtime's verdict on each payload file given.
const MAIN: &str = r#"//! An application of its own, using only README's API.
#[path = "../generated/rust/messages.rs"]
mod messages;

use messages::{Carrier, ShipmentDispatched, ShippingTransport};
use symphony_messenger::dispatch::{DispatchOptions, Messenger};
use symphony_messenger::error::MessengerError;
use symphony_messenger::tokio_postgres::NoTls;
use symphony_messenger::{deadpool_postgres, migrate, serde_json, tokio_postgres};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL")?;
    let (mut client, connection) = tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(connection);
    let applied = migrate::up(&mut client, Some(&messages::migrations()?)).await?;
    println!("{}", serde_json::json!({
        "queue": applied.queue.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "application": applied.application.iter().map(ToString::to_string).collect::<Vec<_>>(),
    }));

    let mut config = deadpool_postgres::Config::new();
    config.url = Some(url);
    let pool = config.create_pool(Some(deadpool_postgres::Runtime::Tokio1), NoTls)?;
    let messenger = Messenger::new(pool, messages::registry());

    let shipment = ShipmentDispatched {
        shipment_id: "0b6f8d1e-2f6a-4c1e-8d3b-5a7c9e1f2a3b".parse()?,
        carrier: Carrier::Ups,
        weight_grams: 1200,
        delivered_at: None,
        tracking_codes: vec!["1Z999AA10123456784".into()],
    };
    let sent = messenger
        .dispatch::<ShippingTransport, _>(&shipment, &DispatchOptions::default())
        .await?;
    println!("{}", serde_json::json!({"dispatched": sent.id, "body": shipment}));

    let too_light = ShipmentDispatched { weight_grams: 0, ..shipment };
    match messenger
        .dispatch::<ShippingTransport, _>(&too_light, &DispatchOptions::default())
        .await
    {
        Err(MessengerError::Validation { errors, .. }) => println!(
            "{}",
            serde_json::json!({"refused": errors.iter().map(|e| &e.pointer).collect::<Vec<_>>()})
        ),
        other => return Err(format!("an invalid shipment was not refused: {other:?}").into()),
    }

    for file in std::env::args().skip(1) {
        let payload: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
        let verdict = messenger
            .registry()
            .validators()
            .validate("shipping", "shipment_dispatched", &payload);
        let pointers: Vec<String> = match verdict {
            Ok(()) => Vec::new(),
            Err(MessengerError::Validation { errors, .. }) => {
                errors.into_iter().map(|e| e.pointer).collect()
            }
            Err(other) => return Err(other.into()),
        };
        println!("{}", serde_json::json!({"file": file, "pointers": pointers}));
    }
    Ok(())
}
"#;

/// Sends a shipment through the `orders` transport, which does not accept it.
const WRONG_TRANSPORT: &str = r#"#[path = "../../generated/rust/messages.rs"]
mod messages;

use messages::{OrdersTransport, ShipmentDispatched};
use symphony_messenger::dispatch::{DispatchOptions, Messenger};

pub async fn send(messenger: &Messenger, shipment: &ShipmentDispatched) {
    let _ = messenger
        .dispatch::<OrdersTransport, ShipmentDispatched>(shipment, &DispatchOptions::default())
        .await;
}

fn main() {}
"#;

fn manifest() -> String {
    format!(
        "[package]\n\
         name = \"outside-app\"\n\
         version = \"0.1.0\"\n\
         edition = \"2024\"\n\
         publish = false\n\n\
         [dependencies]\n\
         symphony-messenger = {{ path = {:?} }}\n\
         tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n\
         # Not a member of any workspace above it.\n\
         [workspace]\n",
        repo_root().display().to_string()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_of_its_own_generates_builds_migrates_and_dispatches() {
    let server = messenger_test_support::server_url();
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("app");

    ok(&messenger_gen(work.path(), &["init", "app"], None), "init");
    let new = messenger_gen(&app, &["migrate", "new", "shipments"], None);
    ok(&new, "migrate new");
    assert_eq!(
        text(&new.stdout),
        "created schema/V2__shipments.sql\ncreated schema/rollback/V2__shipments.sql\n"
    );
    std::fs::write(app.join("schema/V2__shipments.sql"), SHIPMENTS).unwrap();
    std::fs::write(
        app.join("schema/rollback/V2__shipments.sql"),
        SHIPMENTS_ROLLBACK,
    )
    .unwrap();
    ok(
        &messenger_gen(&app, &["generate", "--deny-warnings"], Some(&server)),
        "generate --deny-warnings",
    );
    ok(
        &messenger_gen(&app, &["check", "--deny-warnings"], Some(&server)),
        "check",
    );
    for file in [
        "generated/rust/messages.rs",
        "generated/jsonschema/transports/shipping.schema.json",
        "generated/jsonschema/transports/orders.schema.json",
        "generated/ts/zod.ts",
    ] {
        assert!(app.join(file).is_file(), "{file} was not generated");
    }

    std::fs::write(app.join("Cargo.toml"), manifest()).unwrap();
    std::fs::create_dir_all(app.join("src/bin")).unwrap();
    std::fs::write(app.join("src/main.rs"), MAIN).unwrap();
    let build = cargo(&app, &["build", "--bin", "outside-app"]);
    ok(&build, "cargo build of the application");
    assert!(
        !text(&build.stderr).contains("warning:"),
        "the generated module compiles with warnings:\n{}",
        text(&build.stderr)
    );

    // The type system keeps a shipment out of the orders transport.
    std::fs::write(app.join("src/bin/wrong_transport.rs"), WRONG_TRANSPORT).unwrap();
    let wrong = cargo(&app, &["build", "--bin", "wrong_transport"]);
    assert_ne!(wrong.status.code(), Some(0), "a shipment went to `orders`");
    let stderr = text(&wrong.stderr);
    assert!(
        stderr.contains("E0277") && stderr.contains("Accepts<ShipmentDispatched>"),
        "not the expected compile error:\n{stderr}"
    );
    std::fs::remove_file(app.join("src/bin/wrong_transport.rs")).unwrap();

    // Payload files: CI's verdict (`messenger-gen validate`) and the runtime's must agree.
    let payloads = [
        (
            "valid.json",
            r#"{"shipment_id": "0b6f8d1e-2f6a-4c1e-8d3b-5a7c9e1f2a3b", "carrier": "dhl",
                "weight_grams": 1, "delivered_at": "2026-12-01T10:00:00Z", "tracking_codes": []}"#,
        ),
        (
            "bad_carrier.json",
            r#"{"shipment_id": "0b6f8d1e-2f6a-4c1e-8d3b-5a7c9e1f2a3b", "carrier": "fedex",
                "weight_grams": 1, "tracking_codes": ["a"]}"#,
        ),
        (
            "bad_weight_and_code.json",
            r#"{"shipment_id": "0b6f8d1e-2f6a-4c1e-8d3b-5a7c9e1f2a3b", "carrier": "post",
                "weight_grams": 0, "tracking_codes": [7]}"#,
        ),
        (
            "missing.json",
            r#"{"carrier": "ups", "weight_grams": 5, "delivered_at": null,
                "tracking_codes": ["x"], "extra": true}"#,
        ),
    ];
    for (name, body) in payloads {
        std::fs::write(app.join(name), body).unwrap();
    }
    let names: Vec<&str> = payloads.iter().map(|(n, _)| *n).collect();
    let mut args = vec![
        "validate",
        "--transport",
        "shipping",
        "--type",
        "shipment_dispatched",
        "--format",
        "json",
    ];
    args.extend(&names);
    let ci = messenger_gen(&app, &args, None);
    assert_eq!(ci.status.code(), Some(1), "{}", text(&ci.stderr));
    let ci_verdicts: Vec<(String, Vec<String>)> = text(&ci.stdout)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let mut pointers: Vec<String> = v["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["pointer"].as_str().unwrap().to_owned())
                .collect();
            pointers.sort();
            (v["file"].as_str().unwrap().to_owned(), pointers)
        })
        .collect();

    let db = TestDb::new().await;
    let binary = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("debug/outside-app");
    let run = Command::new(&binary)
        .args(&names)
        .current_dir(&app)
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    ok(&run, "the application's binary");
    let lines: Vec<Value> = text(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Every migration of the queue this toolkit carries, then the application's own.
    let queue: Vec<String> = symphony_messenger::migrate::Migrations::queue()
        .ids()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines[0],
        serde_json::json!({
            "queue": queue,
            "application": ["V1__message_types", "V2__shipments"],
        })
    );
    let id = lines[1]["dispatched"].as_i64().unwrap();
    let client = db.client().await;
    let row = client
        .query_one(
            "SELECT transport_name, headers->>'message_type', body FROM messenger_messages \
             WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "shipping");
    assert_eq!(row.get::<_, String>(1), "shipment_dispatched");
    assert_eq!(row.get::<_, Value>(2), lines[1]["body"], "the stored body");
    assert_eq!(lines[2], serde_json::json!({"refused": ["/weight_grams"]}));
    let count: i64 = client
        .query_one("SELECT count(*) FROM messenger_messages", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 1, "the refused shipment was inserted");

    let runtime_verdicts: Vec<(String, Vec<String>)> = lines[3..]
        .iter()
        .map(|v| {
            let mut pointers: Vec<String> = v["pointers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
                .collect();
            pointers.sort();
            (v["file"].as_str().unwrap().to_owned(), pointers)
        })
        .collect();
    assert_eq!(runtime_verdicts, ci_verdicts);
    let invalid: Vec<&str> = ci_verdicts
        .iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(f, _)| f.as_str())
        .collect();
    assert_eq!(
        invalid,
        [
            "bad_carrier.json",
            "bad_weight_and_code.json",
            "missing.json"
        ]
    );

    // The CLI sees the same two migration sets, and `down` touches only the application's.
    let status = messenger_gen(&app, &["migrate", "status"], Some(db.url()));
    let mut expected: String = queue
        .iter()
        .map(|id| format!("queue        applied  {id}\n"))
        .collect();
    expected.push_str(
        "application  applied  V1__message_types\n\
         application  applied  V2__shipments\n",
    );
    assert_eq!(text(&status.stdout), expected);
    let down = messenger_gen(&app, &["migrate", "down"], Some(db.url()));
    assert_eq!(text(&down.stdout), "rolled back V2__shipments\n");
}

#[test]
fn init_then_generate_deny_warnings_then_check_exits_0() {
    let server = messenger_test_support::server_url();
    let work = tempfile::tempdir().unwrap();
    let init = messenger_gen(work.path(), &["init"], None);
    ok(&init, "init");
    assert!(text(&init.stdout).contains("created ./messenger-gen.toml"));
    ok(
        &messenger_gen(work.path(), &["generate", "--deny-warnings"], Some(&server)),
        "generate",
    );
    ok(
        &messenger_gen(work.path(), &["check", "--deny-warnings"], Some(&server)),
        "check",
    );
    // init never writes over an existing application.
    let again = messenger_gen(work.path(), &["init"], None);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("already exist"));
}
