//! The queries of `queries/maintenance.sql`, through the generated crate, against a real PostgreSQL.

use std::collections::BTreeMap;

use symphony_messenger::queries::client::Params;
use symphony_messenger::queries::queries::{dispatch, maintenance};

use crate::support::*;

#[tokio::test]
async fn purge_completed_deletes_only_completed_messages_older_than_the_cutoff() {
    let (_db, client) = migrated().await;
    let mut id = BTreeMap::new();
    for (n, name, state, processed_ago) in [
        (1, "old_completed_2d", "completed", Some("2 days")),
        (2, "old_completed_3d", "completed", Some("3 days")),
        (3, "recent_completed", "completed", Some("1 hour")),
        (4, "old_failed", "failed", Some("3 days")),
        (5, "pending", "pending", None),
        (6, "processing", "processing", None),
    ] {
        let message = Message::new(n).dispatch(&client).await;
        force_status(&client, message, state).await;
        if let Some(ago) = processed_ago {
            client
                .execute(
                    "UPDATE messenger_messages SET processed_at = now() - $2::text::interval WHERE id = $1",
                    &[&message, &ago],
                )
                .await
                .unwrap();
        }
        id.insert(name, message);
    }
    let cutoff = db_time(&client, "now() - interval '1 day'").await;
    let purge = |max_rows: i64| {
        let client = &client;
        async move {
            maintenance::purge_completed()
                .params(
                    client,
                    &maintenance::PurgeCompletedParams { cutoff, max_rows },
                )
                .one()
                .await
                .expect("purge_completed")
        }
    };
    let remaining = || async {
        let ids: Vec<i64> = client
            .query("SELECT id FROM messenger_messages ORDER BY id", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        ids
    };

    assert_eq!(purge(1).await, 1, "max_rows");
    assert!(
        !remaining().await.contains(&id["old_completed_3d"]),
        "oldest processed first"
    );
    assert!(remaining().await.contains(&id["old_completed_2d"]));
    assert_eq!(purge(10).await, 1);
    assert_eq!(purge(10).await, 0);
    assert_eq!(
        remaining().await,
        [
            id["recent_completed"],
            id["old_failed"],
            id["pending"],
            id["processing"]
        ]
    );

    // purge_failed takes the failed ones past the cutoff, and nothing else.
    let purged = maintenance::purge_failed()
        .params(
            &client,
            &maintenance::PurgeFailedParams {
                cutoff,
                max_rows: 10,
            },
        )
        .one()
        .await
        .expect("purge_failed");
    assert_eq!(purged, 1);
    assert_eq!(
        remaining().await,
        [id["recent_completed"], id["pending"], id["processing"]]
    );
}

#[tokio::test]
async fn purging_a_message_frees_its_idempotency_key() {
    let (_db, client) = migrated().await;
    let now = db_time(&client, "now()").await;
    let send = || async {
        dispatch::dispatch_idempotent()
            .bind(
                &client,
                &TRANSPORT,
                &QUEUE,
                &json([("n", 1)]),
                &empty_object(),
                &5,
                &now,
                &None,
                &3,
                &"freed",
                &empty_object(),
            )
            .one()
            .await
            .unwrap()
    };
    let first = send().await;
    assert!(first.inserted);
    let claimed_first = claim(&client, "w", 1).await;
    assert_eq!(ids(&claimed_first), [first.id]);
    assert_eq!(
        ack(&client, first.id, claimed_first[0].lease_token).await,
        Some(first.id)
    );
    assert_eq!(
        send().await,
        dispatch::DispatchIdempotent {
            id: first.id,
            inserted: false
        }
    );

    let cutoff = db_time(&client, "now() + interval '1 second'").await;
    let purged = maintenance::purge_completed()
        .bind(&client, &cutoff, &100)
        .one()
        .await
        .unwrap();
    assert_eq!(purged, 1);

    let second = send().await;
    assert!(second.inserted);
    assert!(second.id > first.id);
}

#[tokio::test]
async fn queue_depth_counts_messages_per_transport_and_queue() {
    let (_db, client) = migrated().await;
    assert!(
        maintenance::queue_depth()
            .bind(&client)
            .all()
            .await
            .unwrap()
            .is_empty(),
        "no messages, no rows"
    );

    let oldest = "'2020-01-01 00:00+00'";
    let mut states = vec![];
    for (n, transport, queue, state, available_at) in [
        (1, TRANSPORT, QUEUE, "pending", "now()"),
        (2, TRANSPORT, QUEUE, "pending", oldest),
        (3, TRANSPORT, QUEUE, "processing", "'2019-01-01 00:00+00'"),
        (4, TRANSPORT, QUEUE, "completed", "now()"),
        (5, TRANSPORT, QUEUE, "failed", "now()"),
        (6, TRANSPORT, QUEUE, "failed", "now()"),
        (
            7,
            TRANSPORT,
            "emails",
            "pending",
            "now() + interval '1 hour'",
        ),
        (8, "billing", QUEUE, "completed", "now()"),
    ] {
        let id = Message {
            transport,
            queue,
            available_at,
            ..Message::new(n)
        }
        .dispatch(&client)
        .await;
        states.push((id, state));
    }
    for (id, state) in states {
        if state != "pending" {
            force_status(&client, id, state).await;
        }
    }

    let depth = maintenance::queue_depth()
        .bind(&client)
        .all()
        .await
        .unwrap();
    let counts: Vec<(&str, &str, [i64; 5])> = depth
        .iter()
        .map(|d| {
            (
                d.transport_name.as_str(),
                d.queue_name.as_str(),
                [
                    d.pending_count,
                    d.processing_count,
                    d.completed_count,
                    d.failed_count,
                    d.total_count,
                ],
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("billing", QUEUE, [0, 0, 1, 0, 1]),
            (TRANSPORT, QUEUE, [2, 1, 1, 2, 6]),
            (TRANSPORT, "emails", [1, 0, 0, 0, 1]),
        ]
    );

    assert_eq!(depth[0].oldest_pending_at, None, "nothing pending");
    let expected_oldest = db_time(&client, oldest).await;
    assert_eq!(
        depth[1].oldest_pending_at,
        Some(expected_oldest),
        "pending only: the older processing message does not count"
    );
    let emails_oldest: bool =
        value(&client, "SELECT $1 > now()", &[&depth[2].oldest_pending_at]).await;
    assert!(emails_oldest, "a delayed message counts as pending");
}
