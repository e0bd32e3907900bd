//! Helpers shared by the worker tests: a migrated database with the demo's message types, a
//! pool whose sessions commit without waiting for the disk (the semantics under test do not
//! depend on durability; the tests run much faster), emails to dispatch, and waiting for a
//! condition with a deadline.

#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

use messenger_test_support::TestDb;
use serde_json::{Value, json};
use symphony_messenger::dispatch::{BatchItem, DispatchOptions, Messenger};
use tokio_postgres::NoTls;

use crate::demo::messages;

/// A fresh database with the queue's and the demo's migrations, and a plain client.
pub async fn database() -> (TestDb, tokio_postgres::Client) {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    symphony_messenger::migrate::up(&mut client, Some(&messages::migrations().unwrap()))
        .await
        .unwrap();
    client
        .batch_execute("SET synchronous_commit = off")
        .await
        .unwrap();
    (db, client)
}

/// A pool of `size` connections to `url` with `synchronous_commit = off`.
pub fn pool_for(url: &str, size: usize) -> deadpool_postgres::Pool {
    let mut config = deadpool_postgres::Config::new();
    config.url = Some(url.to_owned());
    config.options = Some("-c synchronous_commit=off".to_owned());
    config.pool = Some(deadpool_postgres::PoolConfig::new(size));
    config
        .create_pool(Some(deadpool_postgres::Runtime::Tokio1), NoTls)
        .expect("a pool")
}

/// A pool of `size` connections to the test database.
pub fn pool(db: &TestDb, size: usize) -> deadpool_postgres::Pool {
    pool_for(db.url(), size)
}

/// A messenger for the demo's transports.
pub fn messenger(db: &TestDb) -> Messenger {
    Messenger::new(pool(db, 4), messages::registry())
}

/// A valid `send_email` payload, numbered.
pub fn email(n: usize) -> Value {
    json!({
        "message_id": format!("00000000-0000-4000-8000-{n:012}"),
        "to_address": format!("user{n}@example.com"),
        "subject": format!("Message {n}"),
        "body_text": "Hello"
    })
}

/// Dispatches `count` emails to transport `email` in batches of 1,000, with `options`.
pub async fn dispatch_emails(
    messenger: &Messenger,
    count: usize,
    options: &DispatchOptions,
) -> Vec<i64> {
    let mut ids = Vec::with_capacity(count);
    let items: Vec<BatchItem> = (0..count)
        .map(|n| BatchItem {
            transport: "email".into(),
            message_type: "send_email".into(),
            body: email(n),
            options: options.clone(),
        })
        .collect();
    for chunk in items.chunks(1000) {
        ids.extend(messenger.dispatch_batch(chunk).await.unwrap());
    }
    ids
}

/// Waits until `condition` holds, checking every 10 ms; panics with `what` after `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !condition().await {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One number from SQL.
pub async fn count(client: &tokio_postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}
