//! Validated dispatch against a real PostgreSQL: nothing invalid is ever inserted, errors point
//! at the right field, idempotency holds under concurrency, malformed input is refused cleanly.

use messenger_test_support::TestDb;
use serde_json::{Value, json};
use symphony_messenger::dispatch::{BatchItem, DispatchOptions, Messenger};
use symphony_messenger::error::MessengerError;

mod demo;

async fn messenger() -> (TestDb, Messenger, tokio_postgres::Client) {
    demo::migrated(16).await
}

async fn count(client: &tokio_postgres::Client) -> i64 {
    client
        .query_one("SELECT count(*) FROM messenger_messages", &[])
        .await
        .unwrap()
        .get(0)
}

fn email() -> Value {
    json!({
        "message_id": "6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10",
        "to_address": "ada@example.com",
        "subject": "Hello",
        "body_text": "Hi Ada"
    })
}

fn webhook() -> Value {
    json!({
        "delivery_id": "0b6f8d1e-2f6a-4c1e-8d3b-5a7c9e1f2a3b",
        "url": "https://example.com/hook",
        "sequence": 7,
        "retry_policy": {"max_attempts": 3}
    })
}

#[tokio::test]
async fn a_valid_payload_is_inserted_with_its_headers() {
    let (_db, messenger, client) = messenger().await;
    let options = DispatchOptions {
        priority: 9,
        queue: "urgent".into(),
        ..DispatchOptions::default()
    };
    let sent = messenger
        .dispatch_json("email", "send_email", &email(), &options)
        .await
        .unwrap();
    assert!(sent.inserted);
    let row = client
        .query_one(
            "SELECT transport_name, queue_name, priority, headers, body FROM messenger_messages WHERE id = $1",
            &[&sent.id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "email");
    assert_eq!(row.get::<_, String>(1), "urgent");
    assert_eq!(row.get::<_, i16>(2), 9);
    assert_eq!(
        row.get::<_, Value>(3),
        json!({"message_type": "send_email"})
    );
    assert_eq!(row.get::<_, Value>(4), email());
}

#[tokio::test]
async fn an_invalid_payload_inserts_nothing_and_says_why() {
    let (_db, messenger, client) = messenger().await;
    let mut bad = email();
    bad["subject"] = json!("x".repeat(201));
    bad["priority"] = json!(11);
    let before = count(&client).await;
    let err = messenger
        .dispatch_json("email", "send_email", &bad, &DispatchOptions::default())
        .await
        .unwrap_err();
    assert_eq!(count(&client).await, before);
    let MessengerError::Validation {
        transport,
        message_type,
        index,
        errors,
    } = &err
    else {
        panic!("expected a validation error, got {err}");
    };
    assert_eq!(
        (transport.as_str(), message_type.as_str(), *index),
        ("email", "send_email", None)
    );
    let found: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e.pointer.as_str(), e.keyword.as_str()))
        .collect();
    assert!(found.contains(&("/subject", "maxLength")), "{found:?}");
    assert!(found.contains(&("/priority", "maximum")), "{found:?}");
    let shown = err.to_string();
    assert!(
        shown.starts_with("invalid `send_email` payload for transport `email`: "),
        "{shown}"
    );
    assert!(shown.contains("at /subject: "), "{shown}");
}

#[tokio::test]
async fn unknown_names_and_unaccepted_types_are_refused() {
    let (_db, messenger, client) = messenger().await;
    let options = DispatchOptions::default();
    let err = messenger
        .dispatch_json("pigeon", "send_email", &email(), &options)
        .await
        .unwrap_err();
    assert!(
        matches!(err, MessengerError::UnknownTransport { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("known transports: email, notifications, orders, webhooks"),
        "{err}"
    );
    let err = messenger
        .dispatch_json("email", "send_fax", &email(), &options)
        .await
        .unwrap_err();
    assert!(
        matches!(err, MessengerError::UnknownMessageType { .. }),
        "{err}"
    );
    let err = messenger
        .dispatch_json("webhooks", "send_email", &email(), &options)
        .await
        .unwrap_err();
    assert!(matches!(err, MessengerError::NotAccepted { .. }), "{err}");
    assert!(
        err.to_string().contains("it accepts: webhook_delivery"),
        "{err}"
    );
    let err = messenger
        .dispatch_json(
            "email",
            "send_email",
            &email(),
            &DispatchOptions {
                priority: 0,
                ..options
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, MessengerError::InvalidOption(_)), "{err}");
    assert_eq!(count(&client).await, 0);
}

#[tokio::test]
async fn pointers_name_nested_fields_and_array_items() {
    let (_db, messenger, _client) = messenger().await;
    let mut bad = webhook();
    bad["retry_policy"]["max_attempts"] = json!(0);
    let err = messenger
        .dispatch_json(
            "webhooks",
            "webhook_delivery",
            &bad,
            &DispatchOptions::default(),
        )
        .await
        .unwrap_err();
    let MessengerError::Validation { errors, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].pointer, "/retry_policy/max_attempts");
    assert_eq!(errors[0].keyword, "minimum");

    let sms =
        json!({"phone_number": "+4915112345678", "message": "hi", "channels": ["sms", "fax"]});
    let err = messenger
        .dispatch_json(
            "notifications",
            "sms_notification",
            &sms,
            &DispatchOptions::default(),
        )
        .await
        .unwrap_err();
    let MessengerError::Validation { errors, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].pointer, "/channels/1");
    assert_eq!(errors[0].keyword, "enum");
}

#[tokio::test]
async fn a_batch_with_one_invalid_item_inserts_nothing_and_names_it() {
    let (_db, messenger, client) = messenger().await;
    let item = |body: Value| BatchItem {
        transport: "email".into(),
        message_type: "send_email".into(),
        body,
        options: DispatchOptions::default(),
    };
    let mut bad = email();
    bad.as_object_mut().unwrap().remove("to_address");
    let items = vec![item(email()), item(email()), item(bad), item(email())];
    let err = messenger.dispatch_batch(&items).await.unwrap_err();
    let MessengerError::Validation { index, errors, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(*index, Some(2));
    assert_eq!(errors[0].keyword, "required");
    assert!(err.to_string().contains("(batch item 2)"), "{err}");
    assert_eq!(count(&client).await, 0);

    // A database-side failure (a duplicate idempotency key inside the batch) is all-or-nothing too.
    let keyed = |key: &str| BatchItem {
        options: DispatchOptions {
            idempotency_key: Some(key.into()),
            ..DispatchOptions::default()
        },
        ..item(email())
    };
    let err = messenger
        .dispatch_batch(&[keyed("a"), keyed("b"), keyed("a")])
        .await
        .unwrap_err();
    assert!(matches!(err, MessengerError::Database(_)), "{err}");
    assert_eq!(count(&client).await, 0);

    let ids = messenger.dispatch_batch(&items[..2]).await.unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids[0] < ids[1], "ids come back in input order");
    assert_eq!(count(&client).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_dispatches_of_one_key_make_one_row() {
    let (_db, messenger, client) = messenger().await;
    let options = DispatchOptions {
        idempotency_key: Some("order-42".into()),
        ..DispatchOptions::default()
    };
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(16));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let messenger = messenger.clone();
            let options = options.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                messenger
                    .dispatch_json("email", "send_email", &email(), &options)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    assert_eq!(count(&client).await, 1);
    let id = results[0].id;
    assert!(results.iter().all(|r| r.id == id), "{results:?}");
    assert_eq!(
        results.iter().filter(|r| r.inserted).count(),
        1,
        "{results:?}"
    );
}

#[tokio::test]
async fn malformed_input_is_a_clear_error_and_inserts_nothing() {
    let (_db, messenger, client) = messenger().await;
    let options = DispatchOptions::default();
    let send = |bytes: Vec<u8>| {
        let messenger = messenger.clone();
        let options = options.clone();
        async move {
            messenger
                .dispatch_bytes("email", "send_email", &bytes, &options)
                .await
                .unwrap_err()
        }
    };

    let err = send(b"{\"subject\": ".to_vec()).await;
    assert!(matches!(err, MessengerError::InvalidJson { .. }), "{err}");

    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let err = send(deep.into_bytes()).await;
    assert!(
        err.to_string().contains("nested deeper than 128 levels"),
        "{err}"
    );

    let huge = format!("{{\"body_text\": \"{}\"}}", "x".repeat(50 * 1024 * 1024));
    let err = send(huge.into_bytes()).await;
    assert!(
        matches!(
            err,
            MessengerError::PayloadTooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{err}"
    );

    let err = send(vec![b'"', 0xff, 0xfe, b'"']).await;
    assert!(err.to_string().contains("not UTF-8"), "{err}");

    assert_eq!(count(&client).await, 0);
}

#[tokio::test]
async fn bytes_are_validated_in_place_and_stored_as_they_came() {
    let (_db, messenger, client) = messenger().await;
    let options = DispatchOptions::default();
    let stored = |id: i64| {
        let client = &client;
        async move {
            client
                .query_one(
                    "SELECT body::text FROM messenger_messages WHERE id = $1",
                    &[&id],
                )
                .await
                .unwrap()
                .get::<_, String>(0)
        }
    };

    // Escapes, whitespace and a number no f64 holds: PostgreSQL gets the text, not a `Value`
    // printed back (which would store 1.2345678901234568e29).
    let text = r#" {"delivery_id": "0b6f8d1e-2f6a-4c1e-8d3b-5a7c9e1f2a3b",
        "url": "https://example.com/h\u00e9?q=\"x\"", "sequence": 7,
        "request_body": {"amount": 123456789012345678901234567890, "rate": 0.1000000000000000055511151231257827}} "#;
    let id = messenger
        .dispatch_bytes("webhooks", "webhook_delivery", text.as_bytes(), &options)
        .await
        .unwrap()
        .id;
    let body: Value = serde_json::from_str(&stored(id).await).unwrap();
    assert_eq!(body["url"], json!("https://example.com/hé?q=\"x\""));
    let exact = client
        .query_one(
            "SELECT body #>> '{request_body,amount}', body #>> '{request_body,rate}' \
             FROM messenger_messages WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(exact.get::<_, String>(0), "123456789012345678901234567890");
    assert_eq!(
        exact.get::<_, String>(1),
        "0.1000000000000000055511151231257827"
    );

    // A repeated key is judged as a `Value` keeps it (the last), which is what jsonb stores.
    let last_valid =
        br#"{"message_id": "6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10", "to_address": "ada@example.com",
            "subject": 1, "body_text": "Hi", "subject": "Hello"}"#;
    let id = messenger
        .dispatch_bytes("email", "send_email", last_valid, &options)
        .await
        .unwrap()
        .id;
    let body: Value = serde_json::from_str(&stored(id).await).unwrap();
    assert_eq!(body["subject"], json!("Hello"));
    let last_invalid =
        br#"{"message_id": "6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10", "to_address": "ada@example.com",
            "subject": "Hello", "body_text": "Hi", "subject": 1}"#;
    let err = messenger
        .dispatch_bytes("email", "send_email", last_invalid, &options)
        .await
        .unwrap_err();
    let MessengerError::Validation { errors, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(errors[0].pointer, "/subject", "{err}");

    // An invalid payload as bytes gets the errors the same payload gets as a `Value`.
    let mut bad = email();
    bad["to_address"] = json!("not an address");
    bad["subject"] = json!(42);
    let from_bytes = messenger
        .dispatch_bytes("email", "send_email", bad.to_string().as_bytes(), &options)
        .await
        .unwrap_err();
    let from_value = messenger
        .dispatch_json("email", "send_email", &bad, &options)
        .await
        .unwrap_err();
    assert_eq!(from_bytes.to_string(), from_value.to_string());
    assert!(from_bytes.to_string().contains("/subject"), "{from_bytes}");
    assert_eq!(count(&client).await, 2);
}

#[tokio::test]
async fn u0000_is_refused_before_postgresql_sees_it() {
    // PostgreSQL's text and jsonb cannot hold U+0000 (SQLSTATE 22P05): the payload contract
    // and the dispatch options refuse it up front, so it is never a database error.
    let (_db, messenger, client) = messenger().await;
    let mut body = email();
    body["subject"] = json!("nul\u{0}byte");
    let err = messenger
        .dispatch_json("email", "send_email", &body, &DispatchOptions::default())
        .await
        .unwrap_err();
    let MessengerError::Validation { errors, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(errors[0].pointer, "/subject", "{errors:?}");

    let options = DispatchOptions {
        metadata: json!({"trace": "a\u{0}b"}),
        ..DispatchOptions::default()
    };
    let err = messenger
        .dispatch_json("email", "send_email", &email(), &options)
        .await
        .unwrap_err();
    assert!(matches!(err, MessengerError::InvalidOption(_)), "{err}");
    assert!(err.to_string().contains("U+0000"), "{err}");
    // A delay past the last representable instant is refused, not a panic.
    for delay in [
        std::time::Duration::from_secs(10_000_000 * 365 * 86_400),
        std::time::Duration::MAX,
    ] {
        let options = DispatchOptions {
            delay: Some(delay),
            ..DispatchOptions::default()
        };
        let err = messenger
            .dispatch_json("email", "send_email", &email(), &options)
            .await
            .unwrap_err();
        assert!(matches!(err, MessengerError::InvalidOption(_)), "{err}");
    }
    assert_eq!(count(&client).await, 0);
}

#[tokio::test]
async fn batches_with_mixed_options_and_uniform_batches_store_each_item_as_given() {
    // A batch whose items differ in more than their bodies takes the general statement
    // (ten arrays); a uniform one the cheaper one. Both must store exactly what was asked.
    let (_db, messenger, client) = messenger().await;
    let item = |priority: i16, queue: &str, body: Value| BatchItem {
        transport: "email".into(),
        message_type: "send_email".into(),
        body,
        options: DispatchOptions {
            priority,
            queue: queue.into(),
            ..DispatchOptions::default()
        },
    };
    let mut second = email();
    second["subject"] = json!("Second");
    let mixed = vec![
        item(2, "a", email()),
        item(9, "b", second.clone()),
        BatchItem {
            transport: "webhooks".into(),
            message_type: "webhook_delivery".into(),
            body: webhook(),
            options: DispatchOptions::default(),
        },
    ];
    let uniform = vec![item(4, "u", email()), item(4, "u", second)];
    let mut ids = messenger.dispatch_batch(&mixed).await.unwrap();
    ids.extend(messenger.dispatch_batch(&uniform).await.unwrap());
    let rows = client
        .query(
            "SELECT transport_name, queue_name, priority, headers->>'message_type', body->>'subject'
               FROM messenger_messages WHERE id = ANY($1) ORDER BY id",
            &[&ids],
        )
        .await
        .unwrap();
    let seen: Vec<(String, String, i16, String, Option<String>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        seen,
        [
            (s("email"), s("a"), 2, s("send_email"), Some(s("Hello"))),
            (s("email"), s("b"), 9, s("send_email"), Some(s("Second"))),
            (s("webhooks"), s("default"), 5, s("webhook_delivery"), None),
            (s("email"), s("u"), 4, s("send_email"), Some(s("Hello"))),
            (s("email"), s("u"), 4, s("send_email"), Some(s("Second"))),
        ]
    );
}

/// `dispatch_json_with` / `dispatch_batch_with` on the caller's own client or transaction
/// validate exactly as `Messenger` does, and a caller's rollback takes the messages back.
#[tokio::test]
async fn the_callers_client_and_transaction_validate_first_and_roll_back_with_the_caller() {
    use symphony_messenger::dispatch::{dispatch_batch_with, dispatch_json_with};
    let (_db, _messenger, mut client) = messenger().await;
    let validators = demo::messages::registry().validators();
    let options = DispatchOptions::default();
    let item = |body: Value| BatchItem {
        transport: "email".into(),
        message_type: "send_email".into(),
        body,
        options: DispatchOptions::default(),
    };
    let mut bad = email();
    bad["subject"] = json!("x".repeat(300));

    // A plain client.
    let err = dispatch_json_with(&client, validators, "email", "send_email", &bad, &options)
        .await
        .unwrap_err();
    let MessengerError::Validation { errors, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(errors[0].pointer, "/subject");
    let err = dispatch_batch_with(&client, validators, &[item(email()), item(bad.clone())])
        .await
        .unwrap_err();
    assert!(
        matches!(err, MessengerError::Validation { index: Some(1), .. }),
        "{err}"
    );
    assert_eq!(count(&client).await, 0);
    let one = dispatch_json_with(
        &client,
        validators,
        "email",
        "send_email",
        &email(),
        &options,
    )
    .await
    .unwrap();
    let two = dispatch_batch_with(&client, validators, &[item(email()), item(email())])
        .await
        .unwrap();
    assert!(one.inserted && two.len() == 2);
    assert_eq!(count(&client).await, 3);

    // The caller's transaction: inserted inside it, gone after its rollback.
    let tx = client.transaction().await.unwrap();
    let err = dispatch_json_with(&tx, validators, "email", "send_email", &bad, &options)
        .await
        .unwrap_err();
    assert!(matches!(err, MessengerError::Validation { .. }), "{err}");
    let err = dispatch_batch_with(&tx, validators, &[item(bad.clone()), item(email())])
        .await
        .unwrap_err();
    assert!(
        matches!(err, MessengerError::Validation { index: Some(0), .. }),
        "{err}"
    );
    dispatch_json_with(&tx, validators, "email", "send_email", &email(), &options)
        .await
        .unwrap();
    dispatch_batch_with(&tx, validators, &[item(email())])
        .await
        .unwrap();
    let inside: i64 = tx
        .query_one("SELECT count(*) FROM messenger_messages", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(inside, 5);
    tx.rollback().await.unwrap();
    assert_eq!(
        count(&client).await,
        3,
        "the rollback did not take them back"
    );
}
