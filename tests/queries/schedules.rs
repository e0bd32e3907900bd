//! The queries of `queries/schedules.sql`, through the generated crate, against a real PostgreSQL.

use symphony_messenger::queries::client::Params;
use symphony_messenger::queries::queries::schedules;
use tokio_postgres::error::SqlState;

use crate::support::*;

#[tokio::test]
async fn insert_schedule_stores_the_definition() {
    let (_db, client) = migrated().await;
    let next_run_at = db_time(&client, "now() - interval '1 minute'").await;
    let id = schedules::insert_schedule()
        .bind(
            &client,
            &"nightly report",
            &TRANSPORT,
            &"reports",
            &"app.Report",
            &json([("kind", "nightly")]),
            &json([("x-source", "scheduler")]),
            &7,
            &"cron",
            &Some("0 3 * * *"),
            &None,
            &None,
            &"Europe/Paris",
            &Some(next_run_at),
            &true,
        )
        .one()
        .await
        .unwrap();

    let due = claim_due(&client, 10).await;
    assert_eq!(due.len(), 1);
    let s = &due[0];
    assert_eq!(s.id, id);
    assert_eq!(s.name, "nightly report");
    assert_eq!(s.transport_name, TRANSPORT);
    assert_eq!(s.queue_name, "reports");
    assert_eq!(s.message_type, "app.Report");
    assert_eq!(s.body["kind"], "nightly");
    assert_eq!(s.headers["x-source"], "scheduler");
    assert_eq!(s.priority, 7);
    assert_eq!(s.schedule_type, "cron");
    assert_eq!(s.cron_expression.as_deref(), Some("0 3 * * *"));
    assert_eq!(s.interval_seconds, None);
    assert_eq!(s.run_at, None);
    assert_eq!(s.timezone, "Europe/Paris");
    assert_eq!(s.next_run_at, next_run_at);
    assert_eq!(s.last_run_at, None);

    // A one-time schedule, and names are not unique.
    let run_at = db_time(&client, "'2031-05-06 07:08+00'").await;
    let once = schedules::insert_schedule()
        .bind(
            &client,
            &"nightly report",
            &TRANSPORT,
            &QUEUE,
            &MESSAGE_TYPE,
            &empty_object(),
            &empty_object(),
            &5,
            &"once",
            &None::<&str>,
            &None,
            &Some(run_at),
            &"UTC",
            &Some(run_at),
            &true,
        )
        .one()
        .await
        .unwrap();
    assert!(once > id);
    let stored: bool = value(
        &client,
        "SELECT run_at = $2 AND next_run_at = $2 AND schedule_type = 'once'
           FROM messenger_schedules WHERE id = $1",
        &[&once, &run_at],
    )
    .await;
    assert!(stored);

    // An inconsistent definition: 'cron' without a cron expression.
    let err = schedules::insert_schedule()
        .bind(
            &client,
            &"broken",
            &TRANSPORT,
            &QUEUE,
            &MESSAGE_TYPE,
            &empty_object(),
            &empty_object(),
            &5,
            &"cron",
            &None::<&str>,
            &Some(60),
            &None,
            &"UTC",
            &None,
            &true,
        )
        .one()
        .await
        .expect_err("check constraint");
    assert_eq!(err.code(), Some(&SqlState::CHECK_VIOLATION));
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_schedules").await,
        2
    );
}

#[tokio::test]
async fn claim_due_schedules_returns_enabled_due_schedules_most_overdue_first() {
    let (_db, client) = migrated().await;
    let due_recently =
        interval_schedule(&client, "due 1m", Some("now() - interval '1 minute'"), true).await;
    let due_long_ago =
        interval_schedule(&client, "due 1h", Some("now() - interval '1 hour'"), true).await;
    interval_schedule(&client, "not due", Some("now() + interval '1 hour'"), true).await;
    interval_schedule(
        &client,
        "disabled",
        Some("now() - interval '2 hours'"),
        false,
    )
    .await;
    interval_schedule(&client, "never", None, true).await;

    let due = claim_due(&client, 10).await;
    assert_eq!(
        due.iter()
            .map(|s| (s.id, s.name.as_str()))
            .collect::<Vec<_>>(),
        [(due_long_ago, "due 1h"), (due_recently, "due 1m")]
    );
    assert_eq!(due[0].schedule_type, "interval");
    assert_eq!(due[0].interval_seconds, Some(60));
    assert_eq!(due[0].cron_expression, None);
    assert!(due[0].next_run_at < due[1].next_run_at);

    let first_only = claim_due(&client, 1).await;
    assert_eq!(first_only.len(), 1);
    assert_eq!(first_only[0].id, due_long_ago);
}

#[tokio::test]
async fn claim_due_schedules_skips_schedules_locked_by_another_scheduler() {
    let (db, mut first) = migrated().await;
    let second = db.client().await;
    let a = interval_schedule(&first, "a", Some("now() - interval '2 minutes'"), true).await;
    let b = interval_schedule(&first, "b", Some("now() - interval '1 minute'"), true).await;

    let tx = first.transaction().await.unwrap();
    let mine = claim_due(&tx, 1).await;
    assert_eq!(mine.iter().map(|s| s.id).collect::<Vec<_>>(), [a]);
    let theirs = without_waiting(claim_due(&second, 10)).await;
    assert_eq!(
        theirs.iter().map(|s| s.id).collect::<Vec<_>>(),
        [b],
        "the schedule locked by the first scheduler is skipped"
    );
    tx.rollback().await.unwrap();

    // Rolled back: both are due again.
    let again = claim_due(&second, 10).await;
    assert_eq!(again.iter().map(|s| s.id).collect::<Vec<_>>(), [a, b]);
}

#[tokio::test]
async fn advance_schedule_is_a_compare_and_set_on_next_run_at() {
    let (_db, client) = migrated().await;
    let id = interval_schedule(
        &client,
        "every minute",
        Some("now() - interval '30 seconds'"),
        true,
    )
    .await;
    let tick = claim_due(&client, 10).await.remove(0);
    assert_eq!(tick.id, id);
    let next = db_time(&client, "now() + interval '30 seconds'").await;
    let advance = |next_run_at, enabled: bool| {
        let client = &client;
        async move {
            schedules::advance_schedule()
                .params(
                    client,
                    &schedules::AdvanceScheduleParams {
                        last_run_at: Some(tick.next_run_at),
                        next_run_at,
                        enabled,
                        last_error: None::<&str>,
                        now: tick.next_run_at,
                        id,
                        expected_next_run_at: tick.next_run_at,
                    },
                )
                .opt()
                .await
                .expect("advance_schedule")
        }
    };

    assert_eq!(advance(Some(next), true).await, Some(id));
    let row = client
        .query_one(
            "SELECT last_run_at = $2, next_run_at = $3, enabled FROM messenger_schedules WHERE id = $1",
            &[&id, &tick.next_run_at, &next],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "last_run_at = tick");
    assert!(row.get::<_, bool>(1), "next_run_at advanced");
    assert!(row.get::<_, bool>(2));
    assert!(claim_due(&client, 10).await.is_empty(), "no longer due");

    // A second scheduler with the stale expected value loses, and changes nothing.
    assert_eq!(advance(None, false).await, None);
    let unchanged: bool = value(
        &client,
        "SELECT next_run_at = $2 AND enabled FROM messenger_schedules WHERE id = $1",
        &[&id, &next],
    )
    .await;
    assert!(unchanged);

    // A schedule that will not run again: next_run_at NULL, disabled.
    let once = interval_schedule(
        &client,
        "last run",
        Some("now() - interval '1 second'"),
        true,
    )
    .await;
    let due = claim_due(&client, 10).await.remove(0);
    assert_eq!(due.id, once);
    let done = schedules::advance_schedule()
        .bind(
            &client,
            &Some(due.next_run_at),
            &None,
            &false,
            &None::<&str>,
            &due.next_run_at,
            &once,
            &due.next_run_at,
        )
        .opt()
        .await
        .unwrap();
    assert_eq!(done, Some(once));
    let finished: bool = value(
        &client,
        "SELECT next_run_at IS NULL AND NOT enabled AND last_run_at = $2 FROM messenger_schedules WHERE id = $1",
        &[&once, &due.next_run_at],
    )
    .await;
    assert!(finished);
    assert!(claim_due(&client, 10).await.is_empty());
}

#[tokio::test]
async fn claim_due_schedules_judges_due_by_the_given_clock() {
    let (_db, client) = migrated().await;
    let id = interval_schedule(
        &client,
        "in an hour",
        Some("now() + interval '1 hour'"),
        true,
    )
    .await;
    let later = db_time(&client, "now() + interval '2 hours'").await;
    let due = schedules::claim_due_schedules()
        .bind(&client, &later, &10)
        .all()
        .await
        .unwrap();
    assert_eq!(due.iter().map(|s| s.id).collect::<Vec<_>>(), [id]);
    assert_eq!(due[0].missed_ticks, "skip", "the default policy");
    assert_eq!(due[0].catch_up_limit, 1);
    assert!(claim_due(&client, 10).await.is_empty(), "not due by now()");
}

#[tokio::test]
async fn advance_schedule_records_a_refused_fire_and_a_fire_clears_it() {
    let (_db, client) = migrated().await;
    let id = interval_schedule(
        &client,
        "refused",
        Some("now() - interval '1 second'"),
        true,
    )
    .await;
    let due = claim_due(&client, 10).await.remove(0);
    let next = db_time(&client, "now() + interval '1 minute'").await;
    let now = db_time(&client, "now()").await;
    let refused = schedules::advance_schedule()
        .bind(
            &client,
            &None,
            &Some(next),
            &true,
            &Some("refused to fire: invalid body"),
            &now,
            &id,
            &due.next_run_at,
        )
        .opt()
        .await
        .unwrap();
    assert_eq!(refused, Some(id));
    let row = client
        .query_one(
            "SELECT last_run_at IS NULL, last_error, last_error_at = $2, next_run_at = $3, enabled
               FROM messenger_schedules WHERE id = $1",
            &[&id, &now, &next],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "a refused fire ran nothing");
    assert_eq!(
        row.get::<_, Option<String>>(1).as_deref(),
        Some("refused to fire: invalid body")
    );
    assert!(row.get::<_, bool>(2));
    assert!(row.get::<_, bool>(3), "moved on to the next tick");
    assert!(row.get::<_, bool>(4));

    // A fire that enqueues clears the error and records its tick.
    let fired = schedules::advance_schedule()
        .bind(
            &client,
            &Some(next),
            &None,
            &false,
            &None::<&str>,
            &now,
            &id,
            &next,
        )
        .opt()
        .await
        .unwrap();
    assert_eq!(fired, Some(id));
    let cleared: bool = value(
        &client,
        "SELECT last_error IS NULL AND last_error_at IS NULL AND last_run_at = $2
           FROM messenger_schedules WHERE id = $1",
        &[&id, &next],
    )
    .await;
    assert!(cleared);
}
