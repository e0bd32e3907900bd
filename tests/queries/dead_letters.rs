//! The queries of `queries/dead_letters.sql`, through the generated crate, against a real PostgreSQL.

use symphony_messenger::queries::client::Params;
use symphony_messenger::queries::queries::{consume, dead_letters};

use crate::support::*;

#[tokio::test]
async fn requeue_dead_letter_enqueues_a_fresh_pending_copy() {
    let (_db, client) = migrated().await;
    let original = Message {
        queue: "emails",
        priority: 9,
        max_retries: 6,
        idempotency_key: Some("rq"),
        ..Message::new(5)
    }
    .dispatch(&client)
    .await;
    let m = consume::claim_batch()
        .bind(&client, &TRANSPORT, &"emails", &1, &"worker-a", &LEASE_SECS)
        .one()
        .await
        .unwrap();
    assert_eq!(m.id, original);
    let failed_id = dead_letter(&client, original, m.lease_token, "boom")
        .await
        .unwrap();

    let requeue = || async {
        dead_letters::requeue_dead_letter()
            .bind(&client, &failed_id)
            .opt()
            .await
            .expect("requeue_dead_letter")
    };
    let new_id = requeue().await.expect("the dead letter exists");
    assert!(new_id > original);
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_failed_messages WHERE requeued_at IS NOT NULL"
        )
        .await,
        1,
        "the dead letter stays, marked requeued"
    );
    assert_eq!(
        status(&client, original).await,
        "failed",
        "the original stays"
    );

    let row = client
        .query_one(
            "SELECT n.status::text, n.retry_count, n.idempotency_key, n.scheduled_at IS NULL,
                    n.available_at <= now(), n.last_error,
                    n.transport_name = o.transport_name AND n.queue_name = o.queue_name
                      AND n.body = o.body AND n.headers = o.headers AND n.priority = o.priority
                      AND n.max_retries = o.max_retries AND n.metadata = o.metadata,
                    n.queue_name, n.priority, n.max_retries, (n.body->>'n')::int
               FROM messenger_messages n, messenger_messages o
              WHERE n.id = $1 AND o.id = $2",
            &[&new_id, &original],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, i32>(1), 0);
    assert_eq!(
        row.get::<_, Option<String>>(2),
        Some(format!("requeue:{failed_id}")),
        "the original keeps its key; the copy's says where it comes from"
    );
    assert!(row.get::<_, bool>(3));
    assert!(row.get::<_, bool>(4), "available now");
    assert_eq!(row.get::<_, Option<String>>(5), None);
    assert!(
        row.get::<_, bool>(6),
        "same transport, queue, body, headers, priority, ..."
    );
    assert_eq!(row.get::<_, String>(7), "emails");
    assert_eq!(row.get::<_, i16>(8), 9);
    assert_eq!(row.get::<_, i32>(9), 6);
    assert_eq!(row.get::<_, i32>(10), 5);

    // Requeued once only; the copy is consumable.
    assert_eq!(requeue().await, None);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        2
    );
    let again = consume::claim_batch()
        .bind(
            &client,
            &TRANSPORT,
            &"emails",
            &10,
            &"worker-b",
            &LEASE_SECS,
        )
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&again), [new_id]);
    assert_eq!(again[0].body, m.body);
}

#[tokio::test]
async fn list_dead_letters_lists_one_transport_most_recent_failure_first() {
    let (_db, client) = migrated().await;
    let mut failed = Vec::new();
    for n in 1..=3 {
        let m = claimed(&client, n, "w").await;
        failed.push(
            dead_letter(&client, m.id, m.lease_token, &format!("error {n}"))
                .await
                .unwrap(),
        );
    }
    // Failure times: the second is the most recent, the first and third tie.
    client
        .execute(
            "UPDATE messenger_failed_messages
                SET failed_at = CASE WHEN id = $1 THEN '2024-01-02'::timestamptz ELSE '2024-01-01' END",
            &[&failed[1]],
        )
        .await
        .unwrap();
    // A dead letter of another transport.
    let other = Message {
        transport: "billing",
        ..Message::new(9)
    }
    .dispatch(&client)
    .await;
    let billing = consume::claim_batch()
        .bind(&client, &"billing", &QUEUE, &1, &"w", &LEASE_SECS)
        .one()
        .await
        .unwrap();
    assert_eq!(billing.id, other);
    let billing_failed = dead_letter(&client, other, billing.lease_token, "billing error")
        .await
        .unwrap();

    let list = |transport: &'static str, max_rows: i64| {
        let client = &client;
        async move {
            dead_letters::list_dead_letters()
                .params(
                    client,
                    &dead_letters::ListDeadLettersParams {
                        transport_name: transport,
                        max_rows,
                    },
                )
                .all()
                .await
                .expect("list_dead_letters")
        }
    };

    let all = list(TRANSPORT, 10).await;
    assert_eq!(
        all.iter().map(|f| f.id).collect::<Vec<_>>(),
        [failed[1], failed[2], failed[0]],
        "failed_at DESC, then id DESC"
    );
    assert_eq!(
        all.iter()
            .map(|f| f.error_message.as_str())
            .collect::<Vec<_>>(),
        ["error 2", "error 3", "error 1"]
    );
    assert!(all.iter().all(|f| f.transport_name == TRANSPORT));

    let limited = list(TRANSPORT, 2).await;
    assert_eq!(limited, all[..2]);

    let billing_list = list("billing", 10).await;
    assert_eq!(billing_list.len(), 1);
    assert_eq!(billing_list[0].id, billing_failed);
    assert_eq!(billing_list[0].body["n"], 9);

    assert!(list("nobody", 10).await.is_empty());
}

#[tokio::test]
async fn requeue_dead_letters_requeues_each_once_also_when_asked_twice() {
    let (_db, client) = migrated().await;
    let mut dead = Vec::new();
    for n in 1..=3 {
        let m = claimed(&client, n, "w").await;
        dead.push(
            dead_letter(&client, m.id, m.lease_token, "boom")
                .await
                .unwrap(),
        );
    }
    let requeue = |ids: Vec<i64>| {
        let client = &client;
        async move {
            dead_letters::requeue_dead_letters()
                .bind(client, &ids)
                .all()
                .await
                .expect("requeue_dead_letters")
        }
    };
    let first = requeue(vec![dead[0], dead[2], 999_999]).await;
    assert_eq!(
        first.iter().map(|r| r.dead_letter_id).collect::<Vec<_>>(),
        [dead[0], dead[2]],
        "unknown ids return nothing"
    );
    // Asked again, with one more: only the new one is enqueued.
    let second = requeue(vec![dead[0], dead[1], dead[2]]).await;
    assert_eq!(
        second.iter().map(|r| r.dead_letter_id).collect::<Vec<_>>(),
        [dead[1]]
    );
    assert!(requeue(dead.clone()).await.is_empty());
    let keys: Vec<String> = client
        .query(
            "SELECT idempotency_key FROM messenger_messages WHERE status = 'pending' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        keys,
        [dead[0], dead[2], dead[1]].map(|d| format!("requeue:{d}"))
    );
    // The single-id query follows the same rule.
    assert_eq!(
        dead_letters::requeue_dead_letter()
            .bind(&client, &dead[1])
            .opt()
            .await
            .unwrap(),
        None
    );
    // Awaiting a decision: none left to list.
    let listed = dead_letters::list_dead_letters()
        .bind(&client, &TRANSPORT, &10)
        .all()
        .await
        .unwrap();
    assert!(listed.is_empty());
}
