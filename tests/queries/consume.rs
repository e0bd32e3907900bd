//! The queries of `queries/consume.sql`, through the generated crate, against a real PostgreSQL.

use symphony_messenger::queries::client::Params;
use symphony_messenger::queries::queries::{consume, dead_letters};

use crate::support::*;

#[tokio::test]
async fn claim_batch_claims_in_priority_then_available_at_then_id_order() {
    let (_db, client) = migrated().await;
    // Fixed past availability times, so that ties on available_at are exact.
    let m = |n, priority, available_at| Message {
        priority,
        available_at,
        ..Message::new(n)
    };
    let (t0, t1, t2) = (
        "'2020-01-01 00:00+00'",
        "'2020-01-01 00:01+00'",
        "'2020-01-01 00:02+00'",
    );
    let a = m(1, 5, t1).dispatch(&client).await;
    let b = m(2, 9, t2).dispatch(&client).await;
    let c = m(3, 5, t0).dispatch(&client).await;
    let d = m(4, 5, t1).dispatch(&client).await; // same priority and available_at as a
    let e = m(5, 1, t0).dispatch(&client).await;

    let first = claim(&client, "worker-a", 3).await;
    assert_eq!(ids(&first), [b, c, a], "batch_size 3, in dequeue order");
    let second = claim(&client, "worker-b", 10).await;
    assert_eq!(ids(&second), [d, e], "the remaining rows, none twice");
    assert!(claim(&client, "worker-c", 10).await.is_empty());

    let body_ns: Vec<_> = first.iter().map(|m| m.body["n"].clone()).collect();
    assert_eq!(body_ns, [2, 3, 1]);
    assert_eq!(
        first.iter().map(|m| m.priority).collect::<Vec<_>>(),
        [9, 5, 5]
    );

    let locked_by: Vec<(i64, Option<String>)> = client
        .query(
            "SELECT id, locked_by FROM messenger_messages ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let w = |s: &str| Some(s.to_owned());
    assert_eq!(
        locked_by,
        [
            (a, w("worker-a")),
            (b, w("worker-a")),
            (c, w("worker-a")),
            (d, w("worker-b")),
            (e, w("worker-b")),
        ]
    );
}

#[tokio::test]
async fn claim_batch_only_claims_available_pending_messages_of_its_queue() {
    let (_db, client) = migrated().await;
    let claimable = Message::new(1).dispatch(&client).await;
    let _future = Message {
        priority: 10,
        available_at: "now() + interval '1 hour'",
        ..Message::new(2)
    }
    .dispatch(&client)
    .await;
    let _other_queue = Message {
        queue: "emails",
        priority: 10,
        ..Message::new(3)
    }
    .dispatch(&client)
    .await;
    let _other_transport = Message {
        transport: "billing",
        priority: 10,
        ..Message::new(4)
    }
    .dispatch(&client)
    .await;
    for (n, state) in [(5, "processing"), (6, "completed"), (7, "failed")] {
        let id = Message {
            priority: 10,
            ..Message::new(n)
        }
        .dispatch(&client)
        .await;
        force_status(&client, id, state).await;
    }

    let rows = claim(&client, "worker-a", 100).await;
    assert_eq!(ids(&rows), [claimable]);
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE locked_by = 'worker-a'"
        )
        .await,
        1
    );

    // batch_size 0 claims nothing.
    Message::new(8).dispatch(&client).await;
    assert!(claim(&client, "worker-a", 0).await.is_empty());
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'pending'"
        )
        .await,
        4
    );
}

#[tokio::test]
async fn claim_batch_leases_each_row_to_the_worker() {
    let (_db, client) = migrated().await;
    let id = Message {
        max_retries: 2,
        idempotency_key: Some("k"),
        ..Message::new(1)
    }
    .dispatch(&client)
    .await;

    let rows = claim_with_lease(&client, "worker-a", 10, 45.5).await;
    assert_eq!(ids(&rows), [id]);
    let m = &rows[0];
    assert_eq!((m.retry_count, m.max_retries), (0, 2));
    assert_eq!(m.idempotency_key.as_deref(), Some("k"));
    assert_eq!(m.scheduled_at, None);
    assert_eq!((m.lock_expires_at - m.locked_at).num_milliseconds(), 45_500);

    let row = client
        .query_one(
            "SELECT status::text, locked_by, locked_at = $2, lock_expires_at = $3,
                    locked_at >= created_at AND locked_at <= now()
               FROM messenger_messages WHERE id = $1",
            &[&id, &m.locked_at, &m.lock_expires_at],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "processing");
    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("worker-a"));
    assert!(
        row.get::<_, bool>(2),
        "returned locked_at is the stored one"
    );
    assert!(
        row.get::<_, bool>(3),
        "returned lock_expires_at is the stored one"
    );
    assert!(row.get::<_, bool>(4), "locked_at is the claim time");
}

#[tokio::test]
async fn claim_batch_skips_rows_locked_by_a_concurrent_claimer() {
    let (db, mut first) = migrated().await;
    let second = db.client().await;
    let mut dispatched = Vec::new();
    for n in 1..=4 {
        dispatched.push(Message::new(n).dispatch(&first).await);
    }

    let tx = first.transaction().await.unwrap();
    let in_tx = claim(&tx, "worker-a", 2).await;
    assert_eq!(ids(&in_tx), dispatched[..2]);
    // worker-a has not committed: worker-b neither waits nor takes its rows.
    let concurrent = without_waiting(claim(&second, "worker-b", 10)).await;
    assert_eq!(ids(&concurrent), dispatched[2..]);
    tx.commit().await.unwrap();

    assert_eq!(
        count(
            &second,
            "SELECT count(DISTINCT locked_by) FROM messenger_messages WHERE status = 'processing'"
        )
        .await,
        2
    );
    assert!(claim(&second, "worker-c", 10).await.is_empty());
}

#[tokio::test]
async fn ack_message_completes_the_message_only_for_the_lease_holder() {
    let (_db, client) = migrated().await;
    let m = claimed(&client, 1, "worker-a").await;

    assert_eq!(ack(&client, m.id, "worker-b").await, None, "wrong worker");
    assert_eq!(status(&client, m.id).await, "processing");

    assert_eq!(ack(&client, m.id, "worker-a").await, Some(m.id));
    let row = client
        .query_one(
            "SELECT status::text, processed_at IS NOT NULL AND processed_at >= $2,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
               FROM messenger_messages WHERE id = $1",
            &[&m.id, &m.locked_at],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "completed");
    assert!(row.get::<_, bool>(1), "processed_at set");
    assert!(row.get::<_, bool>(2), "lease cleared");

    // Acking twice, or acking an unknown message, returns no row.
    assert_eq!(ack(&client, m.id, "worker-a").await, None);
    assert_eq!(ack(&client, m.id + 1000, "worker-a").await, None);
}

#[tokio::test]
async fn retry_message_requeues_with_back_off_only_for_the_lease_holder() {
    let (_db, client) = migrated().await;
    let m = claimed(&client, 1, "worker-a").await;
    let next_available_at = db_time(&client, "now() + interval '10 minutes'").await;
    let retry = |worker: &'static str| {
        let client = &client;
        async move {
            consume::retry_message()
                .params(
                    client,
                    &consume::RetryMessageParams {
                        error: "timeout",
                        next_available_at,
                        id: m.id,
                        worker,
                    },
                )
                .opt()
                .await
                .expect("retry_message")
        }
    };

    assert_eq!(retry("worker-b").await, None, "wrong worker");
    assert_eq!(status(&client, m.id).await, "processing");

    let retried = retry("worker-a").await.expect("lease holder");
    assert_eq!(retried.id, m.id);
    assert_eq!(retried.retry_count, 1);
    let row = client
        .query_one(
            "SELECT status::text, retry_count, last_error, available_at = $2,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL,
                    processed_at IS NULL
               FROM messenger_messages WHERE id = $1",
            &[&m.id, &next_available_at],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, i32>(1), 1);
    assert_eq!(row.get::<_, Option<String>>(2).as_deref(), Some("timeout"));
    assert!(row.get::<_, bool>(3), "available_at is the given back-off");
    assert!(row.get::<_, bool>(4), "lease cleared");
    assert!(row.get::<_, bool>(5));

    // The lease is gone: retrying again is fenced; the back-off keeps it from being claimed.
    assert_eq!(retry("worker-a").await, None);
    assert!(claim(&client, "worker-b", 10).await.is_empty());

    // Once available again it is claimed with its retry_count, and a second retry increments it.
    client
        .execute(
            "UPDATE messenger_messages SET available_at = now() - interval '1 second' WHERE id = $1",
            &[&m.id],
        )
        .await
        .unwrap();
    let again = claim(&client, "worker-a", 10).await;
    assert_eq!(ids(&again), [m.id]);
    assert_eq!(again[0].retry_count, 1);
    assert_eq!(retry("worker-a").await.map(|r| r.retry_count), Some(2));
}

#[tokio::test]
async fn dead_letter_message_copies_the_message_and_marks_it_failed() {
    let (_db, client) = migrated().await;
    let id = Message {
        priority: 8,
        max_retries: 1,
        idempotency_key: Some("dl-key"),
        ..Message::new(7)
    }
    .dispatch(&client)
    .await;
    let m = claim(&client, "worker-a", 1).await.remove(0);
    assert_eq!(m.id, id);

    let failed_id = dead_letter(&client, id, "worker-a", "boom")
        .await
        .expect("holder");

    let original = client
        .query_one(
            "SELECT status::text, retry_count, last_error, processed_at IS NOT NULL,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
               FROM messenger_messages WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(original.get::<_, String>(0), "failed");
    assert_eq!(original.get::<_, i32>(1), 1, "the failed attempt counts");
    assert_eq!(
        original.get::<_, Option<String>>(2).as_deref(),
        Some("boom")
    );
    assert!(original.get::<_, bool>(3), "processed_at set");
    assert!(original.get::<_, bool>(4), "lease cleared");

    let letters = dead_letters::list_dead_letters()
        .bind(&client, &TRANSPORT, &10)
        .all()
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    let f = &letters[0];
    assert_eq!(f.id, failed_id);
    assert_eq!(f.message_id, Some(id));
    assert_eq!(f.transport_name, TRANSPORT);
    assert_eq!(f.queue_name, QUEUE);
    assert_eq!(f.body, m.body);
    assert_eq!(f.body["n"], 7);
    assert_eq!(f.headers, m.headers);
    assert_eq!(f.metadata, m.metadata);
    assert_eq!(f.priority, 8);
    assert_eq!(f.retry_count, 1);
    assert_eq!(f.max_retries, 1);
    assert_eq!(f.idempotency_key.as_deref(), Some("dl-key"));
    assert_eq!(f.original_created_at, Some(m.created_at));
    assert_eq!(f.error_message, "boom");
    assert_eq!(f.error_class.as_deref(), Some("app::Boom"));
    assert_eq!(f.error_trace.as_deref(), Some("at handler.rs:1"));

    // One statement, one transaction: failed_at and processed_at are the same now().
    let same_now: bool = value(
        &client,
        "SELECT f.failed_at = m.processed_at FROM messenger_failed_messages f
           JOIN messenger_messages m ON m.id = f.message_id WHERE f.id = $1",
        &[&failed_id],
    )
    .await;
    assert!(same_now);

    // The lease is gone: a second dead-lettering is fenced.
    assert_eq!(dead_letter(&client, id, "worker-a", "again").await, None);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_failed_messages").await,
        1
    );
}

#[tokio::test]
async fn dead_letter_message_by_another_worker_changes_nothing() {
    let (_db, client) = migrated().await;
    let m = claimed(&client, 1, "worker-a").await;

    // Optional error details may be NULL.
    let fenced = consume::dead_letter_message()
        .bind(
            &client,
            &"boom",
            &m.id,
            &"worker-b",
            &None::<&str>,
            &None::<&str>,
        )
        .opt()
        .await
        .unwrap();
    assert_eq!(fenced, None);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_failed_messages").await,
        0
    );
    let row = client
        .query_one(
            "SELECT status::text, retry_count, last_error, locked_by FROM messenger_messages WHERE id = $1",
            &[&m.id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "processing");
    assert_eq!(row.get::<_, i32>(1), 0);
    assert_eq!(row.get::<_, Option<String>>(2), None);
    assert_eq!(row.get::<_, Option<String>>(3).as_deref(), Some("worker-a"));

    let failed_id = consume::dead_letter_message()
        .bind(
            &client,
            &"boom",
            &m.id,
            &"worker-a",
            &None::<&str>,
            &None::<&str>,
        )
        .opt()
        .await
        .unwrap()
        .expect("lease holder");
    let (class, trace): (Option<String>, Option<String>) = {
        let r = client
            .query_one(
                "SELECT error_class, error_trace FROM messenger_failed_messages WHERE id = $1",
                &[&failed_id],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!((class, trace), (None, None));
}

#[tokio::test]
async fn renew_lease_extends_the_lease_only_for_its_holder() {
    let (_db, client) = migrated().await;
    let id = Message::new(1).dispatch(&client).await;
    let m = claim_with_lease(&client, "worker-a", 1, 1.0)
        .await
        .remove(0);
    assert_eq!(m.id, id);
    let renew = |worker: &'static str| {
        let client = &client;
        async move {
            consume::renew_lease()
                .bind(client, &600.0, &id, &worker)
                .opt()
                .await
                .expect("renew_lease")
        }
    };

    assert_eq!(renew("worker-b").await, None, "wrong worker");
    let unchanged: bool = value(
        &client,
        "SELECT lock_expires_at = $2 FROM messenger_messages WHERE id = $1",
        &[&id, &m.lock_expires_at],
    )
    .await;
    assert!(unchanged);

    let renewed = renew("worker-a").await.expect("lease holder");
    assert_eq!(renewed.id, id);
    assert!(
        (renewed.lock_expires_at - m.lock_expires_at).num_seconds() >= 599,
        "{} -> {}",
        m.lock_expires_at,
        renewed.lock_expires_at
    );
    let row = client
        .query_one(
            "SELECT lock_expires_at = $2, lock_expires_at > now() + interval '590 seconds',
                    status::text, locked_by
               FROM messenger_messages WHERE id = $1",
            &[&id, &renewed.lock_expires_at],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "returned expiry is the stored one");
    assert!(row.get::<_, bool>(1), "now() + 600 s");
    assert_eq!(row.get::<_, String>(2), "processing");
    assert_eq!(row.get::<_, Option<String>>(3).as_deref(), Some("worker-a"));

    // After the ack there is no lease to renew.
    assert_eq!(ack(&client, id, "worker-a").await, Some(id));
    assert_eq!(renew("worker-a").await, None);
}

#[tokio::test]
async fn rescue_expired_leases_returns_only_expired_leases_to_the_queue() {
    let (_db, client) = migrated().await;
    let expired = Message::new(1).dispatch(&client).await;
    assert_eq!(
        ids(&claim_with_lease(&client, "worker-a", 1, -60.0).await),
        [expired]
    );
    let live = Message::new(2).dispatch(&client).await;
    assert_eq!(
        ids(&claim_with_lease(&client, "worker-b", 1, 300.0).await),
        [live]
    );

    let rescued = consume::rescue_expired_leases()
        .bind(&client, &10)
        .all()
        .await
        .unwrap();
    assert_eq!(rescued, [expired]);

    let row = client
        .query_one(
            "SELECT status::text, retry_count, last_error,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
               FROM messenger_messages WHERE id = $1",
            &[&expired],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, i32>(1), 1, "the lost attempt counts");
    let last_error: String = row.get(2);
    assert!(
        last_error.starts_with("lease held by worker-a expired at "),
        "{last_error}"
    );
    assert!(row.get::<_, bool>(3), "lease cleared");
    assert_eq!(status(&client, live).await, "processing");

    // The worker that lost the lease is fenced off; the message is claimable again.
    assert_eq!(ack(&client, expired, "worker-a").await, None);
    let again = claim(&client, "worker-c", 10).await;
    assert_eq!(ids(&again), [expired]);
    assert_eq!(again[0].retry_count, 1);

    // Nothing else is expired.
    let rescued = consume::rescue_expired_leases()
        .bind(&client, &10)
        .all()
        .await
        .unwrap();
    assert!(rescued.is_empty());
}

#[tokio::test]
async fn rescue_expired_leases_takes_at_most_max_rows_oldest_expiry_first() {
    let (_db, client) = migrated().await;
    let mut by_lease = Vec::new();
    for (n, lease) in [(1, -100.0), (2, -300.0), (3, -200.0)] {
        let id = Message::new(n).dispatch(&client).await;
        assert_eq!(ids(&claim_with_lease(&client, "w", 1, lease).await), [id]);
        by_lease.push(id);
    }
    let rescue = || async {
        let mut ids = consume::rescue_expired_leases()
            .bind(&client, &2)
            .all()
            .await
            .unwrap();
        ids.sort_unstable();
        ids
    };
    let mut oldest_two = vec![by_lease[1], by_lease[2]];
    oldest_two.sort_unstable();
    assert_eq!(rescue().await, oldest_two);
    assert_eq!(rescue().await, [by_lease[0]]);
    assert_eq!(rescue().await, Vec::<i64>::new());
}
