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
    assert!(m.lease_token > 0);

    let row = client
        .query_one(
            "SELECT status::text, locked_by, locked_at = $2, lock_expires_at = $3,
                    locked_at >= created_at AND locked_at <= now(), lease_token = $4
               FROM messenger_messages WHERE id = $1",
            &[&id, &m.locked_at, &m.lock_expires_at, &m.lease_token],
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
    assert!(
        row.get::<_, bool>(5),
        "returned lease_token is the stored one"
    );
}

#[tokio::test]
async fn every_claimed_message_draws_a_lease_token_of_its_own() {
    let (_db, client) = migrated().await;
    for n in 1..=5 {
        Message::new(n).dispatch(&client).await;
    }
    let first = claim(&client, "worker-a", 3).await;
    let second = claim(&client, "worker-a", 3).await;
    assert_eq!((first.len(), second.len()), (3, 2));
    let tokens: std::collections::BTreeSet<i64> =
        first.iter().chain(&second).map(|m| m.lease_token).collect();
    assert_eq!(tokens.len(), 5, "no token is shared");
    // A message claimed again gets a new token.
    let m = &first[0];
    assert_eq!(ack(&client, m.id, m.lease_token).await, Some(m.id));
    client
        .execute(
            "UPDATE messenger_messages SET status = 'pending', processed_at = NULL WHERE id = $1",
            &[&m.id],
        )
        .await
        .unwrap();
    let again = claim(&client, "worker-a", 1).await;
    assert_eq!(ids(&again), [m.id]);
    assert!(!tokens.contains(&again[0].lease_token));
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
async fn ack_message_completes_the_message_only_for_its_lease_token() {
    let (_db, client) = migrated().await;
    let m = claimed(&client, 1, "worker-a").await;

    assert_eq!(
        ack(&client, m.id, m.lease_token + 1).await,
        None,
        "wrong token"
    );
    assert_eq!(status(&client, m.id).await, "processing");

    assert_eq!(ack(&client, m.id, m.lease_token).await, Some(m.id));
    let row = client
        .query_one(
            "SELECT status::text, processed_at IS NOT NULL AND processed_at >= $2,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
                    AND lease_token IS NULL
               FROM messenger_messages WHERE id = $1",
            &[&m.id, &m.locked_at],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "completed");
    assert!(row.get::<_, bool>(1), "processed_at set");
    assert!(row.get::<_, bool>(2), "lease cleared");

    // Acking twice, or acking an unknown message, returns no row.
    assert_eq!(ack(&client, m.id, m.lease_token).await, None);
    assert_eq!(ack(&client, m.id + 1000, m.lease_token).await, None);
}

#[tokio::test]
async fn a_new_claim_under_the_same_worker_name_fences_off_the_old_one() {
    let (_db, client) = migrated().await;
    let first = claimed(&client, 1, "worker-a").await;
    expire(&client, first.id).await;
    let rescued = consume::rescue_expired_leases()
        .bind(&client, &10)
        .all()
        .await
        .unwrap();
    assert_eq!(rescued.iter().map(|r| r.id).collect::<Vec<_>>(), [first.id]);
    // The same name claims it again (a restarted process reusing its name).
    let second = claim(&client, "worker-a", 1).await.remove(0);
    assert_eq!(second.id, first.id);
    assert_ne!(second.lease_token, first.lease_token);

    assert_eq!(ack(&client, first.id, first.lease_token).await, None);
    assert_eq!(
        dead_letter(&client, first.id, first.lease_token, "stale").await,
        None
    );
    assert_eq!(status(&client, first.id).await, "processing");
    assert_eq!(
        ack(&client, first.id, second.lease_token).await,
        Some(first.id)
    );
}

#[tokio::test]
async fn ack_batch_completes_only_the_messages_whose_current_token_it_presents() {
    let (_db, client) = migrated().await;
    for n in 1..=3 {
        Message::new(n).dispatch(&client).await;
    }
    let rows = claim(&client, "w", 3).await;
    let (a, b, c) = (&rows[0], &rows[1], &rows[2]);
    let ack_batch = |ids: Vec<i64>, tokens: Vec<i64>| {
        let client = &client;
        async move {
            let mut acked = consume::ack_batch()
                .bind(client, &ids, &tokens)
                .all()
                .await
                .expect("ack_batch");
            acked.sort_unstable();
            acked
        }
    };
    // b's token is not presented (a stale one is): a and c are completed, b is left alone.
    assert_eq!(
        ack_batch(
            vec![a.id, b.id, c.id],
            vec![a.lease_token, c.lease_token, 0]
        )
        .await,
        [a.id, c.id]
    );
    assert_eq!(status(&client, a.id).await, "completed");
    assert_eq!(status(&client, b.id).await, "processing");
    assert_eq!(status(&client, c.id).await, "completed");
    // b's token without b's id completes nothing either.
    assert!(ack_batch(vec![a.id], vec![b.lease_token]).await.is_empty());
    assert_eq!(status(&client, b.id).await, "processing");
    assert_eq!(ack_batch(vec![b.id], vec![b.lease_token]).await, [b.id]);
}

#[tokio::test]
async fn a_stale_completion_batched_with_a_current_one_finishes_only_the_current_one() {
    let (_db, client) = migrated().await;
    for n in 1..=2 {
        Message::new(n).dispatch(&client).await;
    }
    // x is claimed, lost (rescued) and claimed again together with y by the same worker.
    let x_first = claim(&client, "w", 1).await.remove(0);
    expire(&client, x_first.id).await;
    consume::rescue_expired_leases()
        .bind(&client, &10)
        .all()
        .await
        .unwrap();
    let again = claim(&client, "w", 2).await;
    let x_now = again.iter().find(|m| m.id == x_first.id).unwrap();
    let y = again.iter().find(|m| m.id != x_first.id).unwrap();
    // The stale completion of x's first claim rides along with y's current one.
    let acked = consume::ack_batch()
        .bind(
            &client,
            &vec![x_first.id, y.id],
            &vec![x_first.lease_token, y.lease_token],
        )
        .all()
        .await
        .unwrap();
    assert_eq!(acked, [y.id]);
    assert_eq!(status(&client, x_now.id).await, "processing");
}

#[tokio::test]
async fn ack_delete_batch_deletes_only_messages_whose_lease_is_held() {
    let (_db, client) = migrated().await;
    for n in 1..=2 {
        Message::new(n).dispatch(&client).await;
    }
    let rows = claim(&client, "w", 2).await;
    let deleted = consume::ack_delete_batch()
        .bind(
            &client,
            &vec![rows[0].id, rows[1].id],
            &vec![rows[0].lease_token, 0],
        )
        .all()
        .await
        .unwrap();
    assert_eq!(deleted, [rows[0].id]);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        1
    );
    assert_eq!(status(&client, rows[1].id).await, "processing");
}

#[tokio::test]
async fn retry_message_requeues_with_back_off_only_for_its_lease_token() {
    let (_db, client) = migrated().await;
    let m = claimed(&client, 1, "worker-a").await;
    let retry = |lease_token: i64| {
        let client = &client;
        async move {
            consume::retry_message()
                .params(
                    client,
                    &consume::RetryMessageParams {
                        error: "timeout",
                        delay_secs: 600.0,
                        id: m.id,
                        lease_token,
                    },
                )
                .opt()
                .await
                .expect("retry_message")
        }
    };

    assert_eq!(retry(m.lease_token + 1).await, None, "wrong token");
    assert_eq!(status(&client, m.id).await, "processing");

    let retried = retry(m.lease_token).await.expect("lease holder");
    assert_eq!(retried.id, m.id);
    assert_eq!(retried.retry_count, 1);
    let row = client
        .query_one(
            "SELECT status::text, retry_count, last_error,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
                    AND lease_token IS NULL,
                    processed_at IS NULL
               FROM messenger_messages WHERE id = $1",
            &[&m.id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, i32>(1), 1);
    assert_eq!(row.get::<_, Option<String>>(2).as_deref(), Some("timeout"));
    // The back-off is added to the server's clock.
    let off: f64 = value(
        &client,
        "SELECT abs(extract(epoch FROM available_at - now()) - 600)::float8
           FROM messenger_messages WHERE id = $1",
        &[&m.id],
    )
    .await;
    assert!(
        off < 5.0,
        "available_at is now() + 600 s on the server's clock ({off} s off)"
    );
    assert!(row.get::<_, bool>(3), "lease cleared");
    assert!(row.get::<_, bool>(4));

    // The lease is gone: retrying again is fenced; the back-off keeps it from being claimed.
    assert_eq!(retry(m.lease_token).await, None);
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
    assert_eq!(
        retry(again[0].lease_token).await.map(|r| r.retry_count),
        Some(2)
    );
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

    let failed_id = dead_letter(&client, id, m.lease_token, "boom")
        .await
        .expect("holder");

    let original = client
        .query_one(
            "SELECT status::text, retry_count, last_error, processed_at IS NOT NULL,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
                    AND lease_token IS NULL
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
    assert_eq!(dead_letter(&client, id, m.lease_token, "again").await, None);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_failed_messages").await,
        1
    );
}

#[tokio::test]
async fn dead_letter_message_with_a_stale_token_changes_nothing() {
    let (_db, client) = migrated().await;
    let m = claimed(&client, 1, "worker-a").await;

    // Optional error details may be NULL.
    let fenced = consume::dead_letter_message()
        .bind(
            &client,
            &"boom",
            &m.id,
            &(m.lease_token - 1),
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
            &m.lease_token,
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
async fn renew_leases_extends_only_the_leases_still_held() {
    let (_db, client) = migrated().await;
    for n in 1..=2 {
        Message::new(n).dispatch(&client).await;
    }
    let rows = claim_with_lease(&client, "worker-a", 2, 1.0).await;
    let (a, b) = (&rows[0], &rows[1]);
    let renew = |ids: Vec<i64>, tokens: Vec<i64>| {
        let client = &client;
        async move {
            consume::renew_leases()
                .bind(client, &600.0, &ids, &tokens)
                .all()
                .await
                .expect("renew_leases")
        }
    };

    let renewed = renew(vec![a.id, b.id], vec![a.lease_token, 0]).await;
    assert_eq!(renewed.len(), 1, "b's token is wrong");
    assert_eq!(renewed[0].id, a.id);
    assert!(
        (renewed[0].lock_expires_at - a.lock_expires_at).num_seconds() >= 598,
        "{} -> {}",
        a.lock_expires_at,
        renewed[0].lock_expires_at
    );
    let row = client
        .query_one(
            "SELECT (SELECT lock_expires_at > now() + interval '590 seconds' FROM messenger_messages WHERE id = $1),
                    (SELECT lock_expires_at = $3 FROM messenger_messages WHERE id = $2)",
            &[&a.id, &b.id, &b.lock_expires_at],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "a: now() + 600 s");
    assert!(row.get::<_, bool>(1), "b: unchanged");

    // After the ack there is no lease to renew.
    assert_eq!(ack(&client, a.id, a.lease_token).await, Some(a.id));
    assert!(renew(vec![a.id], vec![a.lease_token]).await.is_empty());
}

#[tokio::test]
async fn release_messages_hands_unstarted_messages_back_without_counting_an_attempt() {
    let (_db, client) = migrated().await;
    for n in 1..=2 {
        Message::new(n).dispatch(&client).await;
    }
    let rows = claim(&client, "worker-a", 2).await;
    let before: Vec<String> = client
        .query(
            "SELECT available_at::text FROM messenger_messages ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    client
        .batch_execute("LISTEN symphony_messenger")
        .await
        .unwrap();
    let released = consume::release_messages()
        .bind(
            &client,
            &vec![rows[0].id, rows[1].id],
            &vec![rows[0].lease_token, 0],
        )
        .all()
        .await
        .unwrap();
    assert_eq!(released, [rows[0].id]);
    let row = client
        .query_one(
            "SELECT status::text, retry_count, last_error IS NULL,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
                    AND lease_token IS NULL, available_at::text
               FROM messenger_messages WHERE id = $1",
            &[&rows[0].id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, i32>(1), 0, "no attempt counted");
    assert!(row.get::<_, bool>(2));
    assert!(row.get::<_, bool>(3), "lease cleared");
    assert_eq!(row.get::<_, String>(4), before[0], "keeps its place");
    assert_eq!(status(&client, rows[1].id).await, "processing");
    // Claimable again at once.
    assert_eq!(ids(&claim(&client, "worker-b", 10).await), [rows[0].id]);
}

#[tokio::test]
async fn rescue_expired_leases_returns_only_expired_leases_to_the_queue() {
    let (_db, client) = migrated().await;
    let expired = Message::new(1).dispatch(&client).await;
    let lost = claim_with_lease(&client, "worker-a", 1, -60.0).await;
    assert_eq!(ids(&lost), [expired]);
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
    assert_eq!(
        rescued
            .iter()
            .map(|r| (r.id, r.outcome.as_str()))
            .collect::<Vec<_>>(),
        [(expired, "rescued")]
    );

    let row = client
        .query_one(
            "SELECT status::text, retry_count, last_error,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
                    AND lease_token IS NULL
               FROM messenger_messages WHERE id = $1",
            &[&expired],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, i32>(1), 1, "the lost attempt counts");
    let last_error: String = row.get(2);
    assert!(
        last_error.starts_with("the lease of worker worker-a expired at "),
        "{last_error}"
    );
    assert!(row.get::<_, bool>(3), "lease cleared");
    assert_eq!(status(&client, live).await, "processing");

    // The worker that lost the lease is fenced off; the message is claimable again.
    assert_eq!(ack(&client, expired, lost[0].lease_token).await, None);
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
async fn rescue_expired_leases_dead_letters_a_last_attempt() {
    let (_db, client) = migrated().await;
    let id = Message {
        max_retries: 1,
        ..Message::new(1)
    }
    .dispatch(&client)
    .await;
    // First attempt: lease expires, rescued (1 failed attempt of 2).
    claim_with_lease(&client, "w", 1, -1.0).await;
    let first = consume::rescue_expired_leases()
        .bind(&client, &10)
        .all()
        .await
        .unwrap();
    assert_eq!(first[0].outcome, "rescued");
    // Second and last attempt: lease expires again: dead letter, in the same statement.
    claim_with_lease(&client, "w", 1, -1.0).await;
    let second = consume::rescue_expired_leases()
        .bind(&client, &10)
        .all()
        .await
        .unwrap();
    assert_eq!(
        second
            .iter()
            .map(|r| (r.id, r.outcome.as_str()))
            .collect::<Vec<_>>(),
        [(id, "dead_lettered")]
    );
    let row = client
        .query_one(
            "SELECT m.status::text, m.retry_count, m.processed_at IS NOT NULL,
                    f.error_class, f.error_message = m.last_error, f.retry_count
               FROM messenger_messages m JOIN messenger_failed_messages f ON f.message_id = m.id
              WHERE m.id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "failed");
    assert_eq!(row.get::<_, i32>(1), 2);
    assert!(row.get::<_, bool>(2));
    assert_eq!(
        row.get::<_, Option<String>>(3).as_deref(),
        Some("LeaseExpired")
    );
    assert!(row.get::<_, bool>(4));
    assert_eq!(row.get::<_, i32>(5), 2);
    assert!(claim(&client, "w", 10).await.is_empty());
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
        let mut ids: Vec<i64> = consume::rescue_expired_leases()
            .bind(&client, &2)
            .all()
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        ids.sort_unstable();
        ids
    };
    let mut oldest_two = vec![by_lease[1], by_lease[2]];
    oldest_two.sort_unstable();
    assert_eq!(rescue().await, oldest_two);
    assert_eq!(rescue().await, [by_lease[0]]);
    assert_eq!(rescue().await, Vec::<i64>::new());
}
