//! The queries of `queries/dispatch.sql`, through the generated crate, against a real PostgreSQL.

use symphony_messenger::queries::client::Params;
use symphony_messenger::queries::queries::{consume, dispatch};
use tokio_postgres::error::SqlState;

use crate::support::*;

#[tokio::test]
async fn dispatch_message_stores_every_field() {
    let (_db, client) = migrated().await;
    let available_at = db_time(&client, "now() - interval '1 second'").await;
    let scheduled_at = db_time(&client, "'2030-01-02 03:04:05.123456+00'").await;

    let id = dispatch::dispatch_message()
        .bind(
            &client,
            &TRANSPORT,
            &"emails",
            &json([("to", "a@example.com")]),
            &json([("message_type", "app.SendEmail")]),
            &7,
            &available_at,
            &Some(scheduled_at),
            &5,
            &Some("key-1"),
            &json([("trace_id", "abc")]),
        )
        .one()
        .await
        .unwrap();

    // Read back with plain SQL.
    let row = client
        .query_one(
            "SELECT transport_name, queue_name, body->>'to' AS to, headers->>'message_type' AS mt,
                    priority, status::text AS status, available_at = $2 AS available_ok,
                    scheduled_at = $3 AS scheduled_ok, retry_count, max_retries, idempotency_key,
                    metadata->>'trace_id' AS trace_id, last_error, locked_by, locked_at,
                    lock_expires_at, processed_at
               FROM messenger_messages WHERE id = $1",
            &[&id, &available_at, &scheduled_at],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>("transport_name"), TRANSPORT);
    assert_eq!(row.get::<_, String>("queue_name"), "emails");
    assert_eq!(row.get::<_, String>("to"), "a@example.com");
    assert_eq!(row.get::<_, String>("mt"), "app.SendEmail");
    assert_eq!(row.get::<_, i16>("priority"), 7);
    assert_eq!(row.get::<_, String>("status"), "pending");
    assert!(row.get::<_, bool>("available_ok"));
    assert!(row.get::<_, bool>("scheduled_ok"));
    assert_eq!(row.get::<_, i32>("retry_count"), 0);
    assert_eq!(row.get::<_, i32>("max_retries"), 5);
    assert_eq!(
        row.get::<_, Option<String>>("idempotency_key").as_deref(),
        Some("key-1")
    );
    assert_eq!(row.get::<_, String>("trace_id"), "abc");
    assert_eq!(row.get::<_, Option<String>>("last_error"), None);
    assert_eq!(row.get::<_, Option<String>>("locked_by"), None);
    for column in ["locked_at", "lock_expires_at", "processed_at"] {
        let is_null: bool = value(
            &client,
            &format!("SELECT {column} IS NULL FROM messenger_messages WHERE id = $1"),
            &[&id],
        )
        .await;
        assert!(is_null, "{column} is NULL");
    }

    // And through the typed API: claim_batch returns the same values.
    let rows = consume::claim_batch()
        .bind(&client, &TRANSPORT, &"emails", &10, &"w", &LEASE_SECS)
        .all()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let m = &rows[0];
    assert_eq!(m.id, id);
    assert_eq!(m.transport_name, TRANSPORT);
    assert_eq!(m.queue_name, "emails");
    assert_eq!(m.body["to"], "a@example.com");
    assert_eq!(m.headers["message_type"], "app.SendEmail");
    assert_eq!(m.metadata["trace_id"], "abc");
    assert_eq!(m.priority, 7);
    assert_eq!(m.retry_count, 0);
    assert_eq!(m.max_retries, 5);
    assert_eq!(m.idempotency_key.as_deref(), Some("key-1"));
    assert_eq!(m.available_at, available_at);
    assert_eq!(m.scheduled_at, Some(scheduled_at));
}

#[tokio::test]
async fn dispatch_message_rejects_a_duplicate_idempotency_key() {
    let (_db, client) = migrated().await;
    let keyed = Message {
        idempotency_key: Some("once"),
        ..Message::new(1)
    };
    let first = keyed.dispatch(&client).await;

    let err = Message { n: 2, ..keyed }
        .try_dispatch(&client)
        .await
        .expect_err("same transport and key");
    assert_eq!(err.code(), Some(&SqlState::UNIQUE_VIOLATION));

    // The key is unique per transport only; messages without a key never conflict.
    let other_transport = Message {
        transport: "billing",
        ..keyed
    }
    .dispatch(&client)
    .await;
    let unkeyed_a = Message::new(3).dispatch(&client).await;
    let unkeyed_b = Message::new(4).dispatch(&client).await;
    assert!(first < other_transport && other_transport < unkeyed_a && unkeyed_a < unkeyed_b);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        4
    );
}

#[tokio::test]
async fn dispatch_batch_returns_ids_in_input_order() {
    let (_db, client) = migrated().await;
    // One message already exists, so the batch's ids do not start at 1.
    let existing = Message::new(0).dispatch(&client).await;
    let now = db_time(&client, "now()").await;
    let later = db_time(&client, "now() + interval '1 hour'").await;

    let ids = dispatch::dispatch_batch()
        .bind(
            &client,
            &vec![TRANSPORT, TRANSPORT, "billing"],
            &vec![QUEUE, "emails", QUEUE],
            &vec![json([("n", 30)]), json([("n", 10)]), json([("n", 20)])],
            &vec![empty_object(), empty_object(), empty_object()],
            &vec![1i16, 10, 5],
            &vec![now, later, now],
            &vec![None, Some(later), None],
            &vec![0, 3, 7],
            &vec![Some("k-30"), None, Some("k-20")],
            &vec![empty_object(), empty_object(), empty_object()],
        )
        .all()
        .await
        .unwrap();

    assert_eq!(ids.len(), 3);
    assert!(
        existing < ids[0] && ids[0] < ids[1] && ids[1] < ids[2],
        "{ids:?}"
    );

    // Id i was given to input element i, with every field of element i.
    let stored: Vec<(i64, String)> = client
        .query(
            "SELECT id, format('n=%s %s/%s priority=%s max_retries=%s key=%s scheduled=%s %s',
                               body->>'n', transport_name, queue_name, priority, max_retries,
                               coalesce(idempotency_key, '-'), scheduled_at IS NOT NULL, status)
               FROM messenger_messages WHERE id = ANY($1) ORDER BY id",
            &[&ids],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected = [
        "n=30 orders/default priority=1 max_retries=0 key=k-30 scheduled=f pending",
        "n=10 orders/emails priority=10 max_retries=3 key=- scheduled=t pending",
        "n=20 billing/default priority=5 max_retries=7 key=k-20 scheduled=f pending",
    ];
    assert_eq!(
        stored,
        ids.iter()
            .zip(expected)
            .map(|(&id, text)| (id, text.to_owned()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        4
    );
}

#[tokio::test]
async fn dispatch_batch_with_ragged_arrays_inserts_nothing() {
    let (_db, client) = migrated().await;
    let now = db_time(&client, "now()").await;

    // Two messages, but only one priority: UNNEST would pad it with NULL.
    let ids = dispatch::dispatch_batch()
        .bind(
            &client,
            &vec![TRANSPORT, TRANSPORT],
            &vec![QUEUE, QUEUE],
            &vec![json([("n", 1)]), json([("n", 2)])],
            &vec![empty_object(), empty_object()],
            &vec![5i16],
            &vec![now, now],
            &vec![None, None],
            &vec![3, 3],
            &vec![None::<&str>, None],
            &vec![empty_object(), empty_object()],
        )
        .all()
        .await
        .unwrap();
    assert_eq!(ids, Vec::<i64>::new());

    // One nullable array (idempotency_keys) too long.
    let ids = dispatch::dispatch_batch()
        .bind(
            &client,
            &vec![TRANSPORT],
            &vec![QUEUE],
            &vec![json([("n", 1)])],
            &vec![empty_object()],
            &vec![5i16],
            &vec![now],
            &vec![None],
            &vec![3],
            &vec![None::<&str>, None],
            &vec![empty_object()],
        )
        .all()
        .await
        .unwrap();
    assert_eq!(ids, Vec::<i64>::new());
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        0
    );
}

#[tokio::test]
async fn dispatch_batch_is_all_or_nothing() {
    let (_db, client) = migrated().await;
    let now = db_time(&client, "now()").await;

    // The third message has an invalid priority: the first two are not inserted either.
    let err = dispatch::dispatch_batch()
        .bind(
            &client,
            &vec![TRANSPORT; 3],
            &vec![QUEUE; 3],
            &vec![json([("n", 1)]), json([("n", 2)]), json([("n", 3)])],
            &vec![empty_object(), empty_object(), empty_object()],
            &vec![5i16, 5, 11],
            &vec![now; 3],
            &vec![None; 3],
            &vec![3; 3],
            &vec![None::<&str>; 3],
            &vec![empty_object(), empty_object(), empty_object()],
        )
        .all()
        .await
        .expect_err("priority 11 violates the check constraint");
    assert_eq!(err.code(), Some(&SqlState::CHECK_VIOLATION));

    // Two messages of one batch with the same idempotency key.
    let err = dispatch::dispatch_batch()
        .bind(
            &client,
            &vec![TRANSPORT; 2],
            &vec![QUEUE; 2],
            &vec![json([("n", 1)]), json([("n", 2)])],
            &vec![empty_object(), empty_object()],
            &vec![5i16; 2],
            &vec![now; 2],
            &vec![None; 2],
            &vec![3; 2],
            &vec![Some("dup"); 2],
            &vec![empty_object(), empty_object()],
        )
        .all()
        .await
        .expect_err("duplicate key within the batch");
    assert_eq!(err.code(), Some(&SqlState::UNIQUE_VIOLATION));
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        0
    );
}

#[tokio::test]
async fn dispatch_idempotent_inserts_once_and_returns_the_existing_id() {
    let (_db, client) = migrated().await;
    let now = db_time(&client, "now()").await;
    let send = |key: &'static str, transport: &'static str, n: i64| {
        let client = &client;
        async move {
            dispatch::dispatch_idempotent()
                .params(
                    client,
                    &dispatch::DispatchIdempotentParams {
                        transport_name: transport,
                        queue_name: QUEUE,
                        body: json([("n", n)]),
                        headers: empty_object(),
                        priority: 5,
                        available_at: now,
                        scheduled_at: None,
                        max_retries: 3,
                        idempotency_key: key,
                        metadata: empty_object(),
                    },
                )
                .one()
                .await
                .expect("dispatch_idempotent")
        }
    };

    let first = send("order-42", TRANSPORT, 1).await;
    assert!(first.inserted);

    // While the first copy is being processed, a duplicate changes nothing about it.
    let claimed = claim(&client, "w1", 10).await;
    assert_eq!(ids(&claimed), [first.id]);
    let again = send("order-42", TRANSPORT, 2).await;
    assert_eq!(again.id, first.id);
    assert!(!again.inserted);
    let row = client
        .query_one(
            "SELECT (body->>'n')::int, status::text, locked_by FROM messenger_messages WHERE id = $1",
            &[&first.id],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, i32>(0),
        1,
        "the duplicate's payload is discarded"
    );
    assert_eq!(row.get::<_, String>(1), "processing");
    assert_eq!(row.get::<_, Option<String>>(2).as_deref(), Some("w1"));
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        1
    );

    // Another key, or the same key on another transport, is a new message.
    let other_key = send("order-43", TRANSPORT, 3).await;
    let other_transport = send("order-42", "billing", 4).await;
    assert!(other_key.inserted && other_transport.inserted);
    assert!(first.id < other_key.id && other_key.id < other_transport.id);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        3
    );
}

#[tokio::test]
async fn dispatch_batch_uniform_shares_everything_but_bodies_and_keys() {
    let (_db, client) = migrated().await;
    let now = db_time(&client, "now()").await;
    let ids = dispatch::dispatch_batch_uniform()
        .bind(
            &client,
            &TRANSPORT,
            &QUEUE,
            &json([("message_type", "t")]),
            &7i16,
            &now,
            &None,
            &2,
            &empty_object(),
            &vec![json([("n", 1)]), json([("n", 2)]), json([("n", 3)])],
            &vec![None::<&str>, Some("k-2"), None],
        )
        .all()
        .await
        .unwrap();
    assert_eq!(ids.len(), 3);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids in input order: {ids:?}"
    );
    let rows = client
        .query(
            "SELECT body->>'n', priority, max_retries, idempotency_key, headers->>'message_type'
               FROM messenger_messages ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    let seen: Vec<(String, i16, i32, Option<String>, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(
        seen,
        [
            ("1".into(), 7, 2, None, "t".into()),
            ("2".into(), 7, 2, Some("k-2".into()), "t".into()),
            ("3".into(), 7, 2, None, "t".into()),
        ]
    );

    // Ragged input inserts nothing; a duplicate key aborts the whole batch.
    let ragged = dispatch::dispatch_batch_uniform()
        .bind(
            &client,
            &TRANSPORT,
            &QUEUE,
            &empty_object(),
            &5i16,
            &now,
            &None,
            &3,
            &empty_object(),
            &vec![json([("n", 4)])],
            &vec![None::<&str>, None],
        )
        .all()
        .await
        .unwrap();
    assert!(ragged.is_empty());
    let duplicate = dispatch::dispatch_batch_uniform()
        .bind(
            &client,
            &TRANSPORT,
            &QUEUE,
            &empty_object(),
            &5i16,
            &now,
            &None,
            &3,
            &empty_object(),
            &vec![json([("n", 5)]), json([("n", 6)])],
            &vec![None::<&str>, Some("k-2")],
        )
        .all()
        .await
        .unwrap_err();
    assert_eq!(duplicate.code(), Some(&SqlState::UNIQUE_VIOLATION));
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        3
    );
}
