//! The queries of `queries/transports.sql`, through the generated crate, against a real PostgreSQL.

use symphony_messenger::queries::queries::transports;
use tokio_postgres::error::SqlState;

use crate::support::*;

#[tokio::test]
async fn upsert_transport_inserts_then_updates_in_place() {
    let (_db, client) = migrated().await;
    let get = || async {
        transports::get_transport()
            .bind(&client, &"orders")
            .opt()
            .await
            .expect("get_transport")
    };

    let id = upsert_transport(
        &client,
        "orders",
        "postgres",
        json([("poll_ms", 100)]),
        true,
    )
    .await
    .unwrap();
    let inserted = get().await.expect("registered");
    assert_eq!(inserted.id, id);
    assert_eq!(inserted.name, "orders");
    assert_eq!(inserted.r#type, "postgres");
    assert_eq!(inserted.config["poll_ms"], 100);
    assert!(inserted.enabled);

    let same_id = upsert_transport(&client, "orders", "redis", json([("poll_ms", 500)]), false)
        .await
        .unwrap();
    assert_eq!(same_id, id);
    let updated = get().await.expect("still registered");
    assert_eq!(updated.id, id);
    assert_eq!(updated.r#type, "redis");
    assert_eq!(updated.config["poll_ms"], 500);
    assert_eq!(updated.config.as_object().map(|o| o.len()), Some(1));
    assert!(!updated.enabled);
    assert_eq!(updated.created_at, inserted.created_at, "created_at kept");
    assert!(
        updated.updated_at > inserted.updated_at,
        "updated_at bumped"
    );
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_transports WHERE name = 'orders'"
        )
        .await,
        1
    );

    // Same values again: still an update of the same row.
    let again = upsert_transport(&client, "orders", "redis", json([("poll_ms", 500)]), false)
        .await
        .unwrap();
    assert_eq!(again, id);

    // The name check constraint applies.
    let err = upsert_transport(&client, "Bad Name", "postgres", empty_object(), true)
        .await
        .expect_err("invalid name");
    assert_eq!(err.code(), Some(&SqlState::CHECK_VIOLATION));
}

#[tokio::test]
async fn get_transport_returns_none_for_an_unknown_name() {
    let (_db, client) = migrated().await;
    upsert_transport(&client, "orders", "postgres", empty_object(), true)
        .await
        .unwrap();
    let missing = transports::get_transport()
        .bind(&client, &"order")
        .opt()
        .await
        .unwrap();
    assert_eq!(missing, None);
}

#[tokio::test]
async fn list_transports_returns_every_transport_ordered_by_name() {
    let (_db, client) = migrated().await;
    let names = |list: &[transports::ListTransports]| {
        list.iter().map(|t| t.name.clone()).collect::<Vec<_>>()
    };
    // Later migrations may seed transports: the test adds its own to whatever is there.
    let seeded = names(
        &transports::list_transports()
            .bind(&client)
            .all()
            .await
            .unwrap(),
    );

    let zeta = upsert_transport(&client, "zeta", "postgres", empty_object(), true)
        .await
        .unwrap();
    let alpha = upsert_transport(&client, "alpha", "sync", json([("x", true)]), false)
        .await
        .unwrap();
    let mid = upsert_transport(&client, "mid.v2", "postgres", empty_object(), true)
        .await
        .unwrap();

    let list = transports::list_transports()
        .bind(&client)
        .all()
        .await
        .unwrap();
    let mut expected_names = seeded.clone();
    expected_names.extend(["zeta", "alpha", "mid.v2"].map(String::from));
    expected_names.sort();
    assert_eq!(
        names(&list),
        expected_names,
        "every transport, ordered by name"
    );

    let mine: Vec<(i64, &str, &str, bool)> = list
        .iter()
        .filter(|t| !seeded.contains(&t.name))
        .map(|t| (t.id, t.name.as_str(), t.r#type.as_str(), t.enabled))
        .collect();
    assert_eq!(
        mine,
        [
            (alpha, "alpha", "sync", false),
            (mid, "mid.v2", "postgres", true),
            (zeta, "zeta", "postgres", true),
        ]
    );
    let alpha_row = list.iter().find(|t| t.id == alpha).unwrap();
    assert_eq!(alpha_row.config["x"], true);
    assert!(list.iter().all(|t| t.created_at <= t.updated_at));
}
