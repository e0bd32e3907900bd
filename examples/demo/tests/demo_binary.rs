//! The demo binary runs like a user's application: against a fresh database it migrates (the
//! queue's schema, then the demo's message types) and dispatches one message of each type
//! through every transport that accepts it.

use std::process::Command;

use messenger_test_support::TestDb;

#[tokio::test]
async fn the_demo_migrates_and_dispatches_every_message_type() {
    let db = TestDb::new().await;
    let out = Command::new(env!("CARGO_BIN_EXE_symphony-demo"))
        .env("DATABASE_URL", db.url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("applied V1__message_types\n"), "{stdout}");
    assert!(stdout.contains("applied V2__orders\n"), "{stdout}");
    assert!(
        stdout.contains("dispatched order_placed (2 line items) to orders: id "),
        "{stdout}"
    );
    let client = db.client().await;
    let rows: Vec<(String, String)> = client
        .query(
            "SELECT transport_name, headers->>'message_type' FROM messenger_messages ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected = [
        ("email", "send_email"),
        ("notifications", "send_email"),
        ("notifications", "sms_notification"),
        ("notifications", "user_signed_up"),
        ("webhooks", "webhook_delivery"),
        ("orders", "order_placed"),
    ];
    assert_eq!(
        rows,
        expected.map(|(t, m)| (t.to_owned(), m.to_owned())),
        "{stdout}"
    );
    // The order's body is the nested JSON, line items in order.
    let skus: Vec<String> = client
        .query(
            "SELECT item->>'sku' FROM messenger_messages, jsonb_array_elements(body->'items') item
              WHERE transport_name = 'orders'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(skus, ["TEA-EARL-GREY", "MUG-01"]);

    // Without DATABASE_URL it says what to set, and fails.
    let out = Command::new(env!("CARGO_BIN_EXE_symphony-demo"))
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}
