//! Fenced leases against a real PostgreSQL: a worker that lost its lease — the lease expired, was
//! rescued and the message claimed again, even by a worker of the same name — changes nothing
//! and gets `LeaseLost`; a randomized interleaving of three actors finds no stale write; rescues
//! race each other and acks without finishing anything twice or reverting an ack.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};
use symphony_messenger::dispatch::{BatchItem, DispatchOptions};
use symphony_messenger::error::MessengerError;
use symphony_messenger::worker::{Consumer, Lease};

mod consuming;
mod demo;

use consuming::*;

const LEASE: Duration = Duration::from_secs(30);

/// Makes the lease of message `id` expire now.
async fn expire(client: &tokio_postgres::Client, id: i64) {
    client
        .execute(
            "UPDATE messenger_messages SET lock_expires_at = now() - interval '1 second'
              WHERE id = $1 AND status = 'processing'",
            &[&id],
        )
        .await
        .unwrap();
}

/// The whole row of message `id` as JSON text (every column, `updated_at` included).
async fn row(client: &tokio_postgres::Client, id: i64) -> String {
    client
        .query_one(
            "SELECT row_to_json(m)::text FROM messenger_messages m WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0)
}

fn is_lost<T: std::fmt::Debug>(result: Result<T, MessengerError>, lease: Lease) -> bool {
    match result {
        Err(MessengerError::LeaseLost {
            message_id,
            lease_token,
        }) => message_id == lease.message_id && lease_token == lease.token,
        other => panic!("expected LeaseLost for {lease:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_worker_that_lost_its_lease_changes_nothing_whatever_the_new_holder_did() {
    let (db, client) = database().await;
    let messenger = messenger(&db);
    let pool = pool(&db, 4);
    for same_name in [false, true] {
        for b_outcome in ["ack", "retry", "dead_letter", "still_running"] {
            let a = Consumer::new(pool.clone(), "email", "worker-a");
            let b = Consumer::new(
                pool.clone(),
                "email",
                if same_name { "worker-a" } else { "worker-b" },
            );
            let id = dispatch_emails(&messenger, 1, &DispatchOptions::default()).await[0];
            let lease_a = a.claim("default", 1, LEASE).await.unwrap()[0].lease;
            assert_eq!(lease_a.message_id, id);
            expire(&client, id).await;
            let rescued = b.rescue_expired(10).await.unwrap();
            assert_eq!(rescued.rescued, [id]);
            let lease_b = b.claim("default", 1, LEASE).await.unwrap()[0].lease;
            assert_eq!(lease_b.message_id, id);
            assert_ne!(lease_b.token, lease_a.token);
            match b_outcome {
                "ack" => b.ack(lease_b).await.unwrap(),
                "retry" => {
                    b.retry(lease_b, Duration::from_secs(60), "b failed")
                        .await
                        .unwrap();
                }
                "dead_letter" => {
                    b.dead_letter(lease_b, "b gave up", Some("B"), None)
                        .await
                        .unwrap();
                }
                _ => {}
            }
            let before = row(&client, id).await;
            let dead_letters =
                count(&client, "SELECT count(*) FROM messenger_failed_messages").await;

            // Every statement of A's is fenced off, and says so.
            assert!(is_lost(a.ack(lease_a).await, lease_a));
            assert!(is_lost(
                a.retry(lease_a, Duration::ZERO, "a failed").await,
                lease_a
            ));
            assert!(is_lost(
                a.dead_letter(lease_a, "a gave up", None, None).await,
                lease_a
            ));
            assert_eq!(a.renew(&[lease_a], LEASE).await.unwrap().lost, [lease_a]);
            assert_eq!(a.release(&[lease_a]).await.unwrap().lost, [lease_a]);
            assert_eq!(a.ack_many(&[lease_a]).await.unwrap().lost, [lease_a]);

            // Nothing changed: not a column of the row, not a dead letter.
            assert_eq!(row(&client, id).await, before, "{same_name} {b_outcome}");
            assert_eq!(
                count(&client, "SELECT count(*) FROM messenger_failed_messages").await,
                dead_letters
            );
            // B's outcome stands; a still-running B can still finish.
            if b_outcome == "still_running" {
                b.ack(lease_b).await.unwrap();
            }
            client
                .execute("DELETE FROM messenger_failed_messages", &[])
                .await
                .unwrap();
            client
                .execute("DELETE FROM messenger_messages", &[])
                .await
                .unwrap();
        }
    }
}

/// What the model believes about one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Processing { token: i64, expired: bool },
    Completed,
    Failed,
}

#[derive(Debug, Clone, Copy)]
struct Modelled {
    state: State,
    retry_count: i32,
    max_retries: i32,
}

/// One schedule: three actors (sharing a name in some schedules) claim, ack, retry,
/// dead-letter, renew, release and rescue two messages in a random order while leases expire.
/// Every fenced statement must succeed exactly when the model says the actor holds the current
/// lease, and the table must match the model after every step.
async fn schedule(
    client: &tokio_postgres::Client,
    messenger: &symphony_messenger::dispatch::Messenger,
    pool: &deadpool_postgres::Pool,
    seed: u64,
    stats: &mut BTreeMap<&'static str, usize>,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let queue = format!("s{seed}");
    let same_name = rng.random_bool(0.5);
    let actors: Vec<Consumer> = (0..3)
        .map(|i| {
            let name = if same_name {
                "worker".to_owned()
            } else {
                format!("worker-{i}")
            };
            Consumer::new(pool.clone(), "email", &name)
        })
        .collect();
    let mut model: BTreeMap<i64, Modelled> = BTreeMap::new();
    let max_retries: [i32; 2] = [rng.random_range(0..3), rng.random_range(0..3)];
    let items: Vec<BatchItem> = max_retries
        .iter()
        .enumerate()
        .map(|(n, max_retries)| BatchItem {
            transport: "email".into(),
            message_type: "send_email".into(),
            body: email(n),
            options: DispatchOptions {
                queue: queue.clone(),
                max_retries: *max_retries,
                ..DispatchOptions::default()
            },
        })
        .collect();
    let dispatched = messenger.dispatch_batch(&items).await.unwrap();
    for (id, max_retries) in dispatched.into_iter().zip(max_retries) {
        model.insert(
            id,
            Modelled {
                state: State::Pending,
                retry_count: 0,
                max_retries,
            },
        );
    }
    let ids: Vec<i64> = model.keys().copied().collect();
    // The leases each actor has been given (kept after they are lost, to try stale writes).
    let mut held: Vec<HashMap<i64, Lease>> = vec![HashMap::new(); 3];
    let context = |step: usize, op: &str| format!("seed {seed}, step {step}: {op}");

    for step in 0..16 {
        let actor = rng.random_range(0..3);
        let id = ids[rng.random_range(0..ids.len())];
        let lease = held[actor].get(&id).copied();
        let current = |model: &BTreeMap<i64, Modelled>, lease: Lease| matches!(model[&lease.message_id].state, State::Processing { token, .. } if token == lease.token);
        let op = rng.random_range(0..100);
        match (op, lease) {
            (0..25, _) => {
                let want = rng.random_range(1..=2usize);
                let got = actors[actor].claim(&queue, want, LEASE).await.unwrap();
                let pending: Vec<i64> = model
                    .iter()
                    .filter(|(_, m)| m.state == State::Pending)
                    .map(|(id, _)| *id)
                    .collect();
                assert_eq!(
                    got.len(),
                    want.min(pending.len()),
                    "{}",
                    context(step, "claim")
                );
                for delivery in got {
                    let m = model.get_mut(&delivery.lease.message_id).unwrap();
                    assert_eq!(m.state, State::Pending, "{}", context(step, "claim"));
                    assert_eq!(delivery.attempt as i32, m.retry_count + 1);
                    m.state = State::Processing {
                        token: delivery.lease.token,
                        expired: false,
                    };
                    held[actor].insert(delivery.lease.message_id, delivery.lease);
                }
                *stats.entry("claims").or_default() += 1;
            }
            (25..40, Some(lease)) => {
                let expected = current(&model, lease);
                let result = actors[actor].ack(lease).await;
                assert_eq!(result.is_ok(), expected, "{}", context(step, "ack"));
                if expected {
                    model.get_mut(&id).unwrap().state = State::Completed;
                } else {
                    assert!(is_lost(result, lease));
                    *stats.entry("stale writes refused").or_default() += 1;
                }
            }
            (40..50, Some(lease)) => {
                let expected = current(&model, lease);
                let result = actors[actor].retry(lease, Duration::ZERO, "retry").await;
                assert_eq!(result.is_ok(), expected, "{}", context(step, "retry"));
                if expected {
                    let m = model.get_mut(&id).unwrap();
                    m.state = State::Pending;
                    m.retry_count += 1;
                    assert_eq!(result.unwrap(), m.retry_count);
                } else {
                    assert!(is_lost(result, lease));
                    *stats.entry("stale writes refused").or_default() += 1;
                }
            }
            (50..55, Some(lease)) => {
                let expected = current(&model, lease);
                let result = actors[actor].dead_letter(lease, "dead", None, None).await;
                assert_eq!(result.is_ok(), expected, "{}", context(step, "dead letter"));
                if expected {
                    let m = model.get_mut(&id).unwrap();
                    m.state = State::Failed;
                    m.retry_count += 1;
                } else {
                    assert!(is_lost(result, lease));
                    *stats.entry("stale writes refused").or_default() += 1;
                }
            }
            (55..65, Some(lease)) => {
                let expected = current(&model, lease);
                let fenced = actors[actor].renew(&[lease], LEASE).await.unwrap();
                assert_eq!(
                    fenced.done.len() == 1,
                    expected,
                    "{}",
                    context(step, "renew")
                );
                if expected {
                    model.get_mut(&id).unwrap().state = State::Processing {
                        token: lease.token,
                        expired: false,
                    };
                } else {
                    *stats.entry("stale writes refused").or_default() += 1;
                }
            }
            (65..70, Some(lease)) => {
                let expected = current(&model, lease);
                let fenced = actors[actor].release(&[lease]).await.unwrap();
                assert_eq!(
                    fenced.done.len() == 1,
                    expected,
                    "{}",
                    context(step, "release")
                );
                if expected {
                    model.get_mut(&id).unwrap().state = State::Pending;
                } else {
                    *stats.entry("stale writes refused").or_default() += 1;
                }
            }
            (70..85, _) => {
                if let State::Processing { token, .. } = model[&id].state {
                    expire(client, id).await;
                    model.get_mut(&id).unwrap().state = State::Processing {
                        token,
                        expired: true,
                    };
                }
            }
            (85.., _) => {
                let rescued = actors[actor].rescue_expired(100).await.unwrap();
                let (mut back, mut dead) = (Vec::new(), Vec::new());
                for (id, m) in model.iter_mut() {
                    if let State::Processing { expired: true, .. } = m.state {
                        m.retry_count += 1;
                        if m.retry_count > m.max_retries {
                            m.state = State::Failed;
                            dead.push(*id);
                        } else {
                            m.state = State::Pending;
                            back.push(*id);
                        }
                    }
                }
                assert_eq!(rescued.rescued, back, "{}", context(step, "rescue"));
                assert_eq!(rescued.dead_lettered, dead, "{}", context(step, "rescue"));
                *stats.entry("rescues").or_default() += 1;
            }
            _ => continue,
        }
        // The table agrees with the model after every step.
        let rows = client
            .query(
                "SELECT id, status::text, retry_count, lease_token FROM messenger_messages
                  WHERE queue_name = $1 ORDER BY id",
                &[&queue],
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), model.len());
        for (row, (id, m)) in rows.iter().zip(&model) {
            let (row_id, status, retry_count, token): (i64, String, i32, Option<i64>) =
                (row.get(0), row.get(1), row.get(2), row.get(3));
            let expected = match m.state {
                State::Pending => ("pending", None),
                State::Processing { token, .. } => ("processing", Some(token)),
                State::Completed => ("completed", None),
                State::Failed => ("failed", None),
            };
            assert_eq!(
                (row_id, status.as_str(), token, retry_count),
                (*id, expected.0, expected.1, m.retry_count),
                "{}",
                context(step, "table check")
            );
        }
    }
    // Out of the way of the next schedule's rescues.
    client
        .execute(
            "WITH f AS (DELETE FROM messenger_failed_messages WHERE queue_name = $1)
             DELETE FROM messenger_messages WHERE queue_name = $1",
            &[&queue],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_random_interleavings_of_three_actors_make_no_stale_write() {
    // Four databases run 250 schedules each, side by side (a rescue sees every expired lease of
    // its database, so schedules of one database run one after the other).
    let groups: Vec<_> = (0..4u64)
        .map(|group| {
            tokio::spawn(async move {
                let (db, client) = database().await;
                let messenger = messenger(&db);
                let pool = pool(&db, 4);
                let mut stats = BTreeMap::new();
                for seed in group * 250..(group + 1) * 250 {
                    schedule(&client, &messenger, &pool, seed, &mut stats).await;
                }
                stats
            })
        })
        .collect();
    let mut stats: BTreeMap<&str, usize> = BTreeMap::new();
    for group in groups {
        for (key, n) in group.await.unwrap() {
            *stats.entry(key).or_default() += n;
        }
    }
    eprintln!("{stats:?}");
    // The schedules exercised what they are about.
    assert!(stats["stale writes refused"] > 400, "{stats:?}");
    assert!(stats["rescues"] > 1000, "{stats:?}");
}

#[tokio::test]
async fn five_rescuers_at_once_finish_each_expired_lease_exactly_once() {
    let (db, client) = database().await;
    let messenger = messenger(&db);
    let pool = pool(&db, 8);
    let ids = dispatch_emails(&messenger, 2000, &DispatchOptions::default()).await;
    let claimer = Consumer::new(pool.clone(), "email", "claimer");
    let mut claimed = 0;
    while claimed < ids.len() {
        claimed += claimer.claim("default", 500, LEASE).await.unwrap().len();
    }
    client
        .execute(
            "UPDATE messenger_messages SET lock_expires_at = now() - interval '1 second'",
            &[],
        )
        .await
        .unwrap();
    let rescuers: Vec<_> = (0..5)
        .map(|i| {
            let rescuer = Consumer::new(pool.clone(), "email", &format!("rescuer-{i}"));
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let found = rescuer.rescue_expired(50).await.unwrap();
                    if found.rescued.is_empty() && found.dead_lettered.is_empty() {
                        return mine;
                    }
                    assert!(found.dead_lettered.is_empty(), "attempts were left");
                    mine.extend(found.rescued);
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut per_rescuer = Vec::new();
    for rescuer in rescuers {
        let mine = rescuer.await.unwrap();
        per_rescuer.push(mine.len());
        all.extend(mine);
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), ids.len(), "per rescuer: {per_rescuer:?}");
    assert_eq!(distinct.len(), ids.len());
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'pending' AND retry_count = 1"
        )
        .await,
        ids.len() as i64,
        "each rescued once: one attempt counted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ack_racing_the_rescuers_is_never_reverted() {
    let (db, client) = database().await;
    let messenger = messenger(&db);
    let pool = pool(&db, 10);
    let mut races = 0;
    for round in 0..3 {
        let ids = dispatch_emails(&messenger, 1000, &DispatchOptions::default()).await;
        let claimer = Consumer::new(pool.clone(), "email", "claimer");
        let mut leases = Vec::new();
        while leases.len() < ids.len() {
            leases.extend(
                claimer
                    .claim("default", 500, LEASE)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|d| d.lease),
            );
        }
        client
            .execute(
                "UPDATE messenger_messages SET lock_expires_at = now() - interval '1 second'
                  WHERE status = 'processing'",
                &[],
            )
            .await
            .unwrap();
        // One acker, newest message first, racing five rescuers that take the oldest expiry
        // first (all equal here: roughly the oldest message first), so they meet in the middle.
        let acker = {
            let claimer = claimer.clone();
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for lease in leases.into_iter().rev() {
                    if claimer.ack(lease).await.is_ok() {
                        acked.push(lease.message_id);
                    }
                }
                acked
            })
        };
        let rescuers: Vec<_> = (0..5)
            .map(|i| {
                let rescuer = Consumer::new(pool.clone(), "email", &format!("rescuer-{i}"));
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    for _ in 0..200 {
                        let found = rescuer.rescue_expired(5).await.unwrap();
                        mine.extend(found.rescued);
                    }
                    mine
                })
            })
            .collect();
        let acked: HashSet<i64> = acker.await.unwrap().into_iter().collect();
        let mut rescued = HashSet::new();
        for rescuer in rescuers {
            for id in rescuer.await.unwrap() {
                assert!(rescued.insert(id), "{id} rescued twice");
            }
        }
        // Whatever the rescuers left expired is rescued now, for the final count.
        loop {
            let found = claimer.rescue_expired(1000).await.unwrap();
            if found.rescued.is_empty() {
                break;
            }
            for id in found.rescued {
                assert!(rescued.insert(id));
            }
        }
        assert!(
            acked.is_disjoint(&rescued),
            "round {round}: a message was both acked and rescued"
        );
        assert_eq!(acked.len() + rescued.len(), ids.len());
        let completed: HashSet<i64> = client
            .query(
                "SELECT id FROM messenger_messages WHERE status = 'completed'",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(completed, acked, "round {round}: every ack stands");
        races += usize::from(!acked.is_empty() && !rescued.is_empty());
        client
            .execute("DELETE FROM messenger_messages", &[])
            .await
            .unwrap();
    }
    assert!(races > 0, "the acker and the rescuers never met");
}

#[tokio::test]
async fn a_rescue_skips_a_message_whose_ack_holds_the_row() {
    let (db, mut client) = database().await;
    let messenger = messenger(&db);
    let pool = pool(&db, 2);
    let id = dispatch_emails(&messenger, 1, &DispatchOptions::default()).await[0];
    let consumer = Consumer::new(pool.clone(), "email", "w");
    let lease = consumer.claim("default", 1, LEASE).await.unwrap()[0].lease;
    expire(&client, id).await;
    // The ack has updated the row but not committed when the rescuer runs.
    let tx = client.transaction().await.unwrap();
    let acked = tx
        .query(
            "UPDATE messenger_messages SET status = 'completed', processed_at = now(),
                    locked_by = NULL, locked_at = NULL, lock_expires_at = NULL, lease_token = NULL
              WHERE id = $1 AND lease_token = $2 RETURNING id",
            &[&id, &lease.token],
        )
        .await
        .unwrap();
    assert_eq!(acked.len(), 1);
    let rescued = tokio::time::timeout(Duration::from_secs(5), consumer.rescue_expired(10))
        .await
        .expect("the rescuer does not wait for the ack")
        .unwrap();
    assert!(rescued.rescued.is_empty());
    tx.commit().await.unwrap();
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'completed'"
        )
        .await,
        1
    );
    assert!(
        consumer
            .rescue_expired(10)
            .await
            .unwrap()
            .rescued
            .is_empty()
    );
}

#[tokio::test]
async fn a_consumer_acks_in_the_applications_transaction_and_a_rollback_undoes_it() {
    let (db, mut client) = database().await;
    let messenger = messenger(&db);
    let consumer = Consumer::new(pool(&db, 2), "email", "w");
    dispatch_emails(&messenger, 1, &DispatchOptions::default()).await;
    let lease = consumer.claim("default", 1, LEASE).await.unwrap()[0].lease;
    let tx = client.transaction().await.unwrap();
    consumer.ack_in(&tx, lease).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'processing'"
        )
        .await,
        1,
        "rolled back with the transaction"
    );
    let tx = client.transaction().await.unwrap();
    consumer.ack_in(&tx, lease).await.unwrap();
    assert!(is_lost(consumer.ack_in(&tx, lease).await, lease));
    tx.commit().await.unwrap();
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'completed'"
        )
        .await,
        1
    );
}
