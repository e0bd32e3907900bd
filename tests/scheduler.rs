//! The scheduler against a real PostgreSQL, driven by a clock set by hand: several schedulers
//! enqueue each tick once, cron follows the documented DST instants in America/New_York, the
//! missed-tick policies, and bodies checked at creation and again at every fire.
//! (Schedulers in separate processes, killed and restarted: examples/demo/tests.)

mod demo;

use std::sync::Arc;

use demo::messages;
use messenger_test_support::TestDb;
use symphony_messenger::Registry;
use symphony_messenger::chrono::{DateTime, TimeDelta, Utc};
use symphony_messenger::error::MessengerError;
use symphony_messenger::schedule::store;
use symphony_messenger::schedule::{
    ManualClock, MissedTicks, NewSchedule, Recurrence, ScheduleError, Scheduler, tick_key,
};
use symphony_messenger::serde_json::{Value, json};
use tokio_postgres::Client;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

fn email() -> Value {
    json!({
        "message_id": "6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10",
        "to_address": "ops@example.com",
        "subject": "Nightly report",
        "body_text": "Attached."
    })
}

fn schedule(name: &str, recurrence: Recurrence) -> NewSchedule {
    NewSchedule::new(name, "email", "send_email", email(), recurrence)
}

async fn create(client: &Client, new: &NewSchedule, now: DateTime<Utc>) -> i64 {
    store::create(client, messages::registry().validators(), new, now)
        .await
        .unwrap_or_else(|e| panic!("create {}: {e}", new.name))
        .id
}

fn scheduler(db: &TestDb, clock: &Arc<ManualClock>, registry: &'static Registry) -> Scheduler {
    Scheduler::new(db.pool(2), registry).with_clock(clock.clone())
}

/// The ticks enqueued for schedule `id` (the messages' `scheduled_at`), in order.
async fn fired(client: &Client, id: i64) -> Vec<DateTime<Utc>> {
    client
        .query(
            "SELECT scheduled_at FROM messenger_messages
              WHERE idempotency_key LIKE 'schedule:' || $1::bigint || ':%'
              ORDER BY scheduled_at",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn three_schedulers_enqueue_ten_one_second_ticks_exactly_once() {
    let (db, _, client) = demo::migrated(1).await;
    let t0 = utc("2026-06-01T12:00:00Z");
    let clock = Arc::new(ManualClock::new(t0 - TimeDelta::seconds(1)));
    let id = create(
        &client,
        &schedule("every second", Recurrence::interval(1).unwrap()),
        t0 - TimeDelta::seconds(1),
    )
    .await;
    let schedulers: Vec<Scheduler> = (0..3)
        .map(|_| scheduler(&db, &clock, messages::registry()))
        .collect();

    let mut inserted = Vec::new();
    for tick in 0..10 {
        clock.set(t0 + TimeDelta::seconds(tick));
        // The three race for the same tick.
        let passes = futures_join(&schedulers).await;
        for pass in passes {
            let pass = pass.unwrap();
            assert!(pass.refused.is_empty(), "{:?}", pass.refused);
            inserted.extend(pass.fired.iter().map(|f| (f.tick, f.inserted)));
        }
    }
    let expected: Vec<DateTime<Utc>> = (0..10).map(|k| t0 + TimeDelta::seconds(k)).collect();
    assert_eq!(fired(&client, id).await, expected, "one message per tick");
    inserted.sort();
    assert_eq!(
        inserted,
        expected.iter().map(|t| (*t, true)).collect::<Vec<_>>(),
        "each tick fired by exactly one scheduler, never deduplicated by its key"
    );
    let keys: Vec<String> = client
        .query(
            "SELECT idempotency_key FROM messenger_messages ORDER BY id LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(keys, [tick_key(id, t0)]);
    assert_eq!(
        tick_key(id, t0),
        format!("schedule:{id}:2026-06-01T12:00:00Z")
    );
}

/// Runs one pass of each of three schedulers at the same time: each holds its own
/// connection, so their transactions interleave in PostgreSQL.
async fn futures_join(
    schedulers: &[Scheduler],
) -> [Result<symphony_messenger::schedule::Pass, symphony_messenger::schedule::SchedulerError>; 3] {
    let (a, b, c) = tokio::join!(
        schedulers[0].run_once(),
        schedulers[1].run_once(),
        schedulers[2].run_once()
    );
    [a, b, c]
}

/// Walks the clock from `from` to `to` in steps of `step`, one pass at each.
async fn walk(scheduler: &Scheduler, clock: &ManualClock, from: &str, to: &str, step: TimeDelta) {
    let mut t = utc(from);
    while t <= utc(to) {
        clock.set(t);
        let pass = scheduler.run_once().await.unwrap();
        assert!(pass.refused.is_empty(), "{:?}", pass.refused);
        t += step;
    }
}

#[tokio::test]
async fn cron_in_new_york_fires_at_the_documented_instants_across_both_2026_changes() {
    let (db, _, client) = demo::migrated(1).await;
    let clock = Arc::new(ManualClock::new(utc("2026-03-07T05:00:00Z")));
    let s = scheduler(&db, &clock, messages::registry());
    let ny = "America/New_York";

    // Spring forward, 2026-03-08 02:00 EST → 03:00 EDT.
    let now = clock.now_for_test();
    let daily_0230 = create(
        &client,
        &schedule("02:30", Recurrence::cron("30 2 * * *", ny).unwrap()),
        now,
    )
    .await;
    let hourly = create(
        &client,
        &schedule("hourly", Recurrence::cron("0 * * * *", ny).unwrap()),
        now,
    )
    .await;
    walk(
        &s,
        &clock,
        "2026-03-07T05:00:00Z",
        "2026-03-09T12:00:00Z",
        TimeDelta::minutes(15),
    )
    .await;
    assert_eq!(
        fired(&client, daily_0230).await,
        [
            utc("2026-03-07T07:30:00Z"), // 02:30 EST
            utc("2026-03-08T07:00:00Z"), // 02:30 does not exist: 03:00 EDT, the first instant after the gap
            utc("2026-03-09T06:30:00Z"), // 02:30 EDT
        ]
    );
    let spring: Vec<DateTime<Utc>> = fired(&client, hourly).await;
    let around: Vec<String> = spring
        .iter()
        .filter(|t| **t >= utc("2026-03-08T05:00:00Z") && **t <= utc("2026-03-08T08:00:00Z"))
        .map(|t| {
            t.with_timezone(&symphony_messenger::chrono::FixedOffset::west_opt(0).unwrap())
                .to_rfc3339()
        })
        .collect();
    assert_eq!(
        around,
        [
            "2026-03-08T05:00:00+00:00", // 00:00 EST
            "2026-03-08T06:00:00+00:00", // 01:00 EST
            "2026-03-08T07:00:00+00:00", // 03:00 EDT (02:00 does not exist)
            "2026-03-08T08:00:00+00:00", // 04:00 EDT
        ]
    );
    assert_eq!(
        spring.len(),
        55,
        "every hour from 2026-03-07T06:00Z to 2026-03-09T12:00Z"
    );

    // Fall back, 2026-11-01 02:00 EDT → 01:00 EST.
    clock.set(utc("2026-10-31T04:00:00Z"));
    let now = clock.now_for_test();
    let daily_0130 = create(
        &client,
        &schedule("01:30", Recurrence::cron("30 1 * * *", ny).unwrap()),
        now,
    )
    .await;
    let hourly_fall = create(
        &client,
        &schedule("hourly", Recurrence::cron("0 * * * *", ny).unwrap()),
        now,
    )
    .await;
    store::remove(&client, daily_0230).await.unwrap();
    store::remove(&client, hourly).await.unwrap();
    walk(
        &s,
        &clock,
        "2026-10-31T04:00:00Z",
        "2026-11-02T12:00:00Z",
        TimeDelta::minutes(15),
    )
    .await;
    assert_eq!(
        fired(&client, daily_0130).await,
        [
            utc("2026-10-31T05:30:00Z"), // 01:30 EDT
            utc("2026-11-01T05:30:00Z"), // 01:30 EDT, the first of the two 01:30s; not again at 06:30Z
            utc("2026-11-02T06:30:00Z"), // 01:30 EST
        ]
    );
    let fall = fired(&client, hourly_fall).await;
    let around: Vec<DateTime<Utc>> = fall
        .iter()
        .copied()
        .filter(|t| *t >= utc("2026-11-01T04:00:00Z") && *t <= utc("2026-11-01T07:00:00Z"))
        .collect();
    assert_eq!(
        around,
        [
            utc("2026-11-01T04:00:00Z"), // 00:00 EDT
            utc("2026-11-01T05:00:00Z"), // 01:00 EDT
            utc("2026-11-01T06:00:00Z"), // 01:00 EST: the repeated hour fires again (elapsed time)
            utc("2026-11-01T07:00:00Z"), // 02:00 EST
        ]
    );
    assert_eq!(
        fall.len(),
        56,
        "every hour from 2026-10-31T05:00Z to 2026-11-02T12:00Z"
    );
}

trait NowForTest {
    fn now_for_test(&self) -> DateTime<Utc>;
}

impl NowForTest for ManualClock {
    fn now_for_test(&self) -> DateTime<Utc> {
        symphony_messenger::schedule::Clock::now(self)
    }
}

#[tokio::test]
async fn after_five_missed_intervals_skip_fires_once_and_catch_up_three_fires_three() {
    let (db, _, client) = demo::migrated(1).await;
    let t0 = utc("2026-05-01T00:01:00Z");
    let clock = Arc::new(ManualClock::new(t0 - TimeDelta::minutes(1)));
    let every_minute = Recurrence::interval(60).unwrap();
    let skip = create(
        &client,
        &schedule("skip", every_minute.clone()),
        clock.now_for_test(),
    )
    .await;
    let catch_up = create(
        &client,
        &NewSchedule {
            missed_ticks: MissedTicks::catch_up(3).unwrap(),
            ..schedule("catch up 3", every_minute)
        },
        clock.now_for_test(),
    )
    .await;
    let s = scheduler(&db, &clock, messages::registry());

    clock.set(t0);
    s.run_once().await.unwrap();
    assert_eq!(fired(&client, skip).await, [t0]);
    assert_eq!(fired(&client, catch_up).await, [t0]);

    // Down for five intervals: ticks 00:02 .. 00:06 are all more than the grace (10 s) late.
    clock.set(utc("2026-05-01T00:06:30Z"));
    let pass = s.run_once().await.unwrap();
    assert_eq!(pass.fired.len(), 4);
    assert_eq!(
        fired(&client, skip).await,
        [t0, utc("2026-05-01T00:06:00Z")],
        "skip: one message for the downtime, for its latest tick"
    );
    assert_eq!(
        fired(&client, catch_up).await,
        [
            t0,
            utc("2026-05-01T00:04:00Z"),
            utc("2026-05-01T00:05:00Z"),
            utc("2026-05-01T00:06:00Z")
        ],
        "catch up 3: the latest three missed ticks"
    );
    // Both are back on their minute grid.
    let next: Vec<DateTime<Utc>> = client
        .query(
            "SELECT next_run_at FROM messenger_schedules ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(next, [utc("2026-05-01T00:07:00Z"); 2]);
}

#[tokio::test]
async fn an_invalid_body_is_refused_when_the_schedule_is_created() {
    let (_db, _, client) = demo::migrated(1).await;
    let mut body = email();
    body["to_address"] = json!("not an address");
    let err = store::create(
        &client,
        messages::registry().validators(),
        &NewSchedule::new(
            "bad",
            "email",
            "send_email",
            body,
            Recurrence::interval(60).unwrap(),
        ),
        Utc::now(),
    )
    .await
    .unwrap_err();
    match err {
        ScheduleError::Message(MessengerError::Validation { errors, .. }) => {
            assert_eq!(errors[0].pointer, "/to_address")
        }
        other => panic!("{other}"),
    }
    // A transport that does not accept the type, and a definition that cannot be evaluated.
    let err = store::create(
        &client,
        messages::registry().validators(),
        &NewSchedule::new(
            "x",
            "webhooks",
            "send_email",
            email(),
            Recurrence::interval(60).unwrap(),
        ),
        Utc::now(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            ScheduleError::Message(MessengerError::NotAccepted { .. })
        ),
        "{err}"
    );
    assert!(Recurrence::cron("0 25 * * *", "UTC").is_err());
    let count: i64 = client
        .query_one("SELECT count(*) FROM messenger_schedules", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 0, "nothing was created");
}

/// The demo's transport schemas after a later migration that adds a required field to
/// `send_email` (what `messenger-gen generate` emits for
/// `ALTER TABLE messenger_payloads.send_email ADD COLUMN locale text NOT NULL`).
fn registry_after_adding_a_required_locale() -> &'static Registry {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/demo/generated/jsonschema/transports");
    let mut schemas = Vec::new();
    for name in ["email", "notifications", "webhooks"] {
        let text = std::fs::read_to_string(dir.join(format!("{name}.schema.json"))).unwrap();
        let mut schema: Value = symphony_messenger::serde_json::from_str(&text).unwrap();
        if let Some(send_email) = schema.pointer_mut("/$defs/send_email") {
            send_email["properties"]["locale"] = json!({"type": "string"});
            send_email["required"]
                .as_array_mut()
                .unwrap()
                .push(json!("locale"));
        }
        schemas.push((name.to_owned(), schema));
    }
    Box::leak(Box::new(Registry::from_transport_schemas(schemas).unwrap()))
}

#[tokio::test]
async fn a_body_made_invalid_by_a_later_migration_is_refused_at_fire_time_with_the_error_recorded()
{
    let (db, _, client) = demo::migrated(1).await;
    let t0 = utc("2026-07-01T09:00:00Z");
    let clock = Arc::new(ManualClock::new(t0 - TimeDelta::hours(1)));
    let id = create(
        &client,
        &schedule("hourly report", Recurrence::interval(3600).unwrap()),
        clock.now_for_test(),
    )
    .await;
    // The application is redeployed with the new schemas; its scheduler validates with them.
    let s = scheduler(&db, &clock, registry_after_adding_a_required_locale());
    clock.set(t0);
    let pass = s.run_once().await.unwrap();
    assert!(pass.fired.is_empty());
    assert_eq!(pass.refused.len(), 1);
    assert_eq!(pass.refused[0].schedule_id, id);
    assert_eq!(pass.refused[0].ticks, [t0]);
    assert!(fired(&client, id).await.is_empty(), "nothing enqueued");
    let row = client
        .query_one(
            "SELECT last_error, last_error_at, next_run_at, enabled, last_run_at
               FROM messenger_schedules WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    let error: String = row.get(0);
    assert!(
        error.starts_with("refused to fire tick 2026-07-01T09:00:00Z: invalid `send_email` payload for transport `email`"),
        "{error}"
    );
    assert!(error.contains("locale"), "{error}");
    assert_eq!(row.get::<_, DateTime<Utc>>(1), t0);
    assert_eq!(
        row.get::<_, DateTime<Utc>>(2),
        t0 + TimeDelta::hours(1),
        "not stuck: the next tick is tried again"
    );
    assert!(row.get::<_, bool>(3));
    assert_eq!(row.get::<_, Option<DateTime<Utc>>>(4), None);

    // Fixed (here: the old schemas again), the next tick fires and the error is cleared.
    let fixed = scheduler(&db, &clock, messages::registry());
    clock.set(t0 + TimeDelta::hours(1));
    let pass = fixed.run_once().await.unwrap();
    assert_eq!(pass.fired.len(), 1);
    let cleared: bool = client
        .query_one(
            "SELECT last_error IS NULL AND last_error_at IS NULL FROM messenger_schedules WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(cleared);
}

#[tokio::test]
async fn a_one_time_schedule_fires_once_and_a_paused_one_not_at_all() {
    let (db, _, client) = demo::migrated(1).await;
    let at = utc("2026-08-01T10:00:00Z");
    let clock = Arc::new(ManualClock::new(at - TimeDelta::minutes(5)));
    let once = create(
        &client,
        &schedule("once", Recurrence::once(at)),
        clock.now_for_test(),
    )
    .await;
    let paused = create(
        &client,
        &schedule("paused", Recurrence::interval(60).unwrap()),
        clock.now_for_test(),
    )
    .await;
    store::pause(&client, paused).await.unwrap();
    let s = scheduler(&db, &clock, messages::registry());
    for minutes in [0, 1, 60] {
        clock.set(at + TimeDelta::minutes(minutes));
        s.run_once().await.unwrap();
    }
    assert_eq!(fired(&client, once).await, [at]);
    assert!(fired(&client, paused).await.is_empty());
    let done = store::get(&client, once).await.unwrap();
    assert!(!done.enabled);
    assert_eq!(done.next_run_at, None);
    assert!(matches!(
        store::resume(&client, once, at).await,
        Err(ScheduleError::AlreadyRan(_))
    ));
    // Resumed, the paused one starts from the resume: the paused ticks are not fired.
    let resumed = store::resume(&client, paused, at + TimeDelta::minutes(60))
        .await
        .unwrap();
    assert_eq!(resumed.next_run_at, Some(at + TimeDelta::minutes(61)));
}
