//! What a schedule means in time: its recurrence (cron in an IANA time zone, a fixed interval,
//! or once), its missed-tick policy, and the fire times that follow from both.
//!
//! Cron expressions are parsed and searched by `croner` (5 fields, or 6 with seconds first) in
//! the schedule's zone from `chrono-tz`. Daylight saving time follows croner's rule, which is
//! Vixie cron's: a *fixed-time* expression (one value each for second, minute and hour, such as
//! `30 2 * * *`) fires once a day whatever the clock does — a time that does not exist (spring
//! forward) fires at the first instant after the gap, a time that occurs twice (fall back)
//! fires at the first of the two; any other expression (`0 * * * *`, `*/15 * * * *`) fires at
//! every instant whose wall-clock time matches, so it follows elapsed time through both
//! changes (README "Schedules" lists the instants for America/New_York in 2026).

use std::str::FromStr;

use chrono::{DateTime, Duration, TimeDelta, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// The most ticks one scheduler pass fires for one schedule, and the largest catch-up limit.
pub const MAX_CATCH_UP: u16 = 1000;

/// How often a schedule fires.
#[derive(Debug, Clone)]
pub enum Recurrence {
    /// A cron expression evaluated in an IANA time zone.
    Cron {
        /// The expression as given (5 fields, or 6 with seconds first).
        expression: String,
        /// The parsed expression.
        cron: Box<Cron>,
        /// The time zone it is evaluated in.
        zone: Tz,
    },
    /// Every `seconds` seconds, counted from the schedule's first run time.
    Interval {
        /// Strictly positive.
        seconds: i32,
    },
    /// Once, at this instant.
    Once {
        /// The instant.
        at: DateTime<Utc>,
    },
}

/// A schedule definition that cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    /// The cron expression does not parse.
    #[error("invalid cron expression `{expression}`: {reason}")]
    Cron {
        /// The expression.
        expression: String,
        /// croner's reason.
        reason: String,
    },
    /// The time zone is not an IANA time zone name.
    #[error("unknown time zone `{0}` (expected an IANA name such as `Europe/Paris` or `UTC`)")]
    TimeZone(String),
    /// The interval is not a positive number of seconds.
    #[error("the interval must be a positive number of seconds, not {0}")]
    Interval(i64),
    /// The stored row is inconsistent (a type without its definition column).
    #[error("schedule type `{schedule_type}` needs {needs}")]
    Incomplete {
        /// The schedule type.
        schedule_type: String,
        /// The missing column.
        needs: &'static str,
    },
    /// The missed-tick policy is unknown or its limit is out of range.
    #[error("{0}")]
    MissedTicks(String),
    /// croner found no next occurrence (an expression that never matches again).
    #[error("cron expression `{expression}` has no occurrence after {after}: {reason}")]
    NoOccurrence {
        /// The expression.
        expression: String,
        /// Where the search started.
        after: DateTime<Utc>,
        /// croner's reason.
        reason: String,
    },
    /// A fire time would leave the range of representable instants.
    #[error("the next fire time is out of range")]
    OutOfRange,
}

impl Recurrence {
    /// A cron recurrence: `expression` has 5 fields (minute first) or 6 (second first), and is
    /// evaluated in `zone`, an IANA name.
    pub fn cron(expression: &str, zone: &str) -> Result<Recurrence, DefinitionError> {
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(expression)
            .map_err(|e| DefinitionError::Cron {
                expression: expression.to_owned(),
                reason: e.to_string(),
            })?;
        let zone = Tz::from_str(zone).map_err(|_| DefinitionError::TimeZone(zone.to_owned()))?;
        Ok(Recurrence::Cron {
            expression: expression.to_owned(),
            cron: Box::new(cron),
            zone,
        })
    }

    /// An interval recurrence of `seconds` (strictly positive).
    pub fn interval(seconds: i64) -> Result<Recurrence, DefinitionError> {
        match i32::try_from(seconds) {
            Ok(seconds) if seconds > 0 => Ok(Recurrence::Interval { seconds }),
            _ => Err(DefinitionError::Interval(seconds)),
        }
    }

    /// A one-time recurrence.
    pub fn once(at: DateTime<Utc>) -> Recurrence {
        Recurrence::Once { at }
    }

    /// The recurrence of a stored row (`messenger_schedules`' columns of the same names).
    pub fn from_columns(
        schedule_type: &str,
        cron_expression: Option<&str>,
        interval_seconds: Option<i32>,
        run_at: Option<DateTime<Utc>>,
        timezone: &str,
    ) -> Result<Recurrence, DefinitionError> {
        let incomplete = |needs| DefinitionError::Incomplete {
            schedule_type: schedule_type.to_owned(),
            needs,
        };
        match schedule_type {
            "cron" => Recurrence::cron(
                cron_expression.ok_or(incomplete("cron_expression"))?,
                timezone,
            ),
            "interval" => Recurrence::interval(
                interval_seconds
                    .ok_or(incomplete("interval_seconds"))?
                    .into(),
            ),
            "once" => Ok(Recurrence::once(run_at.ok_or(incomplete("run_at"))?)),
            other => Err(DefinitionError::Incomplete {
                schedule_type: other.to_owned(),
                needs: "a schedule type of cron, interval or once",
            }),
        }
    }

    /// `cron`, `interval` or `once`, as stored in `schedule_type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Recurrence::Cron { .. } => "cron",
            Recurrence::Interval { .. } => "interval",
            Recurrence::Once { .. } => "once",
        }
    }

    /// The time zone fire times are shown in (UTC for intervals and one-time schedules).
    pub fn zone(&self) -> Tz {
        match self {
            Recurrence::Cron { zone, .. } => *zone,
            _ => Tz::UTC,
        }
    }

    /// The first fire time of a schedule created (or resumed) at `now`: a cron schedule's next
    /// occurrence after `now`, an interval schedule's `now` + interval, a one-time schedule's
    /// instant (even when it is past: it then fires on the next scheduler pass).
    pub fn first_after(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, DefinitionError> {
        match self {
            Recurrence::Once { at } => Ok(*at),
            _ => self.next_after(now)?.ok_or(DefinitionError::OutOfRange),
        }
    }

    /// The fire time strictly after `after`, or `None` for a one-time schedule.
    pub fn next_after(
        &self,
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, DefinitionError> {
        match self {
            Recurrence::Cron {
                expression,
                cron,
                zone,
            } => cron
                .find_next_occurrence(&after.with_timezone(zone), false)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|e| DefinitionError::NoOccurrence {
                    expression: expression.clone(),
                    after,
                    reason: e.to_string(),
                }),
            Recurrence::Interval { seconds } => after
                .checked_add_signed(Duration::seconds((*seconds).into()))
                .map(Some)
                .ok_or(DefinitionError::OutOfRange),
            Recurrence::Once { .. } => Ok(None),
        }
    }

    /// Up to `count` fire times from `first` (included, as a schedule's `next_run_at` is) on.
    pub fn upcoming(
        &self,
        first: DateTime<Utc>,
        count: usize,
    ) -> Result<Vec<DateTime<Utc>>, DefinitionError> {
        let mut times = Vec::with_capacity(count.min(1024));
        let mut next = Some(first);
        while let Some(t) = next {
            if times.len() >= count {
                break;
            }
            times.push(t);
            next = self.next_after(t)?;
        }
        Ok(times)
    }
}

/// What a scheduler does with ticks it finds more than its grace period late.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissedTicks {
    /// Late ticks are not enqueued, except that when every due tick is late the latest one is
    /// enqueued once: a schedule that was down fires once when schedulers come back.
    Skip,
    /// The latest `limit` due ticks are enqueued, oldest first; earlier ones are skipped.
    CatchUp {
        /// 1 to [`MAX_CATCH_UP`].
        limit: u16,
    },
}

impl MissedTicks {
    /// The policy stored as `missed_ticks` and `catch_up_limit`.
    pub fn from_columns(
        missed_ticks: &str,
        catch_up_limit: i32,
    ) -> Result<MissedTicks, DefinitionError> {
        match missed_ticks {
            "skip" => Ok(MissedTicks::Skip),
            "catch_up" => MissedTicks::catch_up(catch_up_limit.into()),
            other => Err(DefinitionError::MissedTicks(format!(
                "unknown missed-tick policy `{other}` (expected skip or catch_up)"
            ))),
        }
    }

    /// Catch up at most `limit` ticks (1 to [`MAX_CATCH_UP`]).
    pub fn catch_up(limit: i64) -> Result<MissedTicks, DefinitionError> {
        match u16::try_from(limit) {
            Ok(limit) if (1..=MAX_CATCH_UP).contains(&limit) => Ok(MissedTicks::CatchUp { limit }),
            _ => Err(DefinitionError::MissedTicks(format!(
                "the catch-up limit must be between 1 and {MAX_CATCH_UP}, not {limit}"
            ))),
        }
    }

    /// `skip` or `catch_up`, as stored in `missed_ticks`.
    pub fn as_str(self) -> &'static str {
        match self {
            MissedTicks::Skip => "skip",
            MissedTicks::CatchUp { .. } => "catch_up",
        }
    }

    /// The stored `catch_up_limit` (1 for skip, where it is unused).
    pub fn limit(self) -> i32 {
        match self {
            MissedTicks::Skip => 1,
            MissedTicks::CatchUp { limit } => limit.into(),
        }
    }
}

/// What one scheduler pass does with a due schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The ticks to enqueue, oldest first (never empty).
    pub fire: Vec<DateTime<Utc>>,
    /// The schedule's next run time after this pass, `None` when it will not run again.
    pub next_run_at: Option<DateTime<Utc>>,
}

/// The plan for a schedule whose `next_run_at` is `due` (≤ `now`), seen by a scheduler at
/// `now` that treats ticks more than `grace` late as missed.
///
/// The due ticks are `due` and every later fire time up to `now`. With [`MissedTicks::Skip`]
/// those at most `grace` late fire, or, when there are none, the latest one alone; with
/// [`MissedTicks::CatchUp`] the latest `limit` fire. Either way at most [`MAX_CATCH_UP`], and
/// the next run time is the first fire time after `now`.
pub fn plan(
    recurrence: &Recurrence,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
    missed: MissedTicks,
    grace: TimeDelta,
) -> Result<Plan, DefinitionError> {
    if let Recurrence::Once { .. } = recurrence {
        return Ok(Plan {
            fire: vec![due],
            next_run_at: None,
        });
    }
    // A grace period longer than history (`Duration::MAX` for "never miss") reaches back to the
    // earliest instant, not past it.
    let on_time_from = now
        .checked_sub_signed(grace)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let wanted = match missed {
        MissedTicks::Skip => 1,
        MissedTicks::CatchUp { limit } => usize::from(limit),
    };
    // The latest `wanted` due ticks, plus (for skip) every tick within the grace period.
    let latest = latest_due(recurrence, due, now, wanted, on_time_from)?;
    let fire = match missed {
        MissedTicks::Skip => {
            let on_time: Vec<_> = latest
                .iter()
                .copied()
                .filter(|t| *t >= on_time_from)
                .collect();
            if on_time.is_empty() {
                latest.last().copied().into_iter().collect()
            } else {
                on_time
            }
        }
        MissedTicks::CatchUp { .. } => {
            let skip = latest.len().saturating_sub(wanted);
            latest[skip..].to_vec()
        }
    };
    let fire = if fire.is_empty() { vec![due] } else { fire };
    let fire = fire[fire.len().saturating_sub(usize::from(MAX_CATCH_UP))..].to_vec();
    let next_run_at = match recurrence {
        // The next point of the grid due + k·interval: an interval keeps its phase.
        Recurrence::Interval { seconds } => {
            let step = i64::from(*seconds);
            let k = (now - due).num_seconds().div_euclid(step).max(0) + 1;
            Some(
                due.checked_add_signed(Duration::seconds(k * step))
                    .ok_or(DefinitionError::OutOfRange)?,
            )
        }
        _ => recurrence.next_after(now.max(due))?,
    };
    Ok(Plan { fire, next_run_at })
}

/// The due ticks (from `due` to `now`, both included) that a plan may fire: at least the latest
/// `wanted` of them (fewer when fewer are due) and every one from `on_time_from` on, ascending.
fn latest_due(
    recurrence: &Recurrence,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
    wanted: usize,
    on_time_from: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DefinitionError> {
    if let Recurrence::Interval { seconds } = recurrence {
        // Arithmetic: tick k is due + k·interval; no iteration over a long downtime.
        let step = i64::from(*seconds);
        let last = (now - due).num_seconds().div_euclid(step).max(0);
        let on_time = (on_time_from - due).num_seconds().div_euclid(step).max(0);
        let first = (last + 1 - wanted as i64)
            .max(0)
            .min(on_time)
            .max(last - i64::from(MAX_CATCH_UP));
        return (first..=last)
            .map(|k| {
                due.checked_add_signed(Duration::seconds(k * step))
                    .ok_or(DefinitionError::OutOfRange)
            })
            .collect();
    }
    // Cron: search windows ending at `now`, doubling until they hold enough ticks or reach
    // `due`, so a long downtime costs a few searches instead of one per missed tick.
    let mut window = (now - on_time_from).max(TimeDelta::minutes(1));
    loop {
        let start = (now - window).max(due);
        let mut ticks = Vec::new();
        if start == due {
            ticks.push(due);
        }
        // From a second before the window, so a tick on its first instant is found too.
        let mut t = start - TimeDelta::seconds(1);
        while let Some(next) = recurrence.next_after(t)? {
            if next > now {
                break;
            }
            if next > start || (next == start && start != due) {
                ticks.push(next);
            }
            t = next;
            if ticks.len() > 4 * usize::from(MAX_CATCH_UP) + 4 * wanted {
                // More ticks than any plan can fire: keep the latest ones only.
                let excess = ticks.len() - 2 * usize::from(MAX_CATCH_UP);
                ticks.drain(..excess);
            }
        }
        if ticks.len() >= wanted || start == due {
            return Ok(ticks);
        }
        window = window * 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .with_timezone(&Utc)
    }

    fn fires(recurrence: &Recurrence, from: &str, to: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut t = utc(from);
        while let Some(next) = recurrence.next_after(t).unwrap() {
            if next > utc(to) {
                break;
            }
            out.push(next.to_rfc3339());
            t = next;
        }
        out
    }

    #[test]
    fn a_fixed_time_in_the_spring_gap_fires_once_right_after_it() {
        let daily = Recurrence::cron("30 2 * * *", "America/New_York").unwrap();
        assert_eq!(
            fires(&daily, "2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z"),
            [
                "2026-03-07T07:30:00+00:00", // 02:30 EST
                "2026-03-08T07:00:00+00:00", // 02:30 does not exist: 03:00 EDT
                "2026-03-09T06:30:00+00:00", // 02:30 EDT
            ]
        );
    }

    #[test]
    fn a_fixed_time_that_occurs_twice_fires_at_the_first() {
        let daily = Recurrence::cron("30 1 * * *", "America/New_York").unwrap();
        assert_eq!(
            fires(&daily, "2026-10-31T00:00:00Z", "2026-11-03T00:00:00Z"),
            [
                "2026-10-31T05:30:00+00:00", // 01:30 EDT
                "2026-11-01T05:30:00+00:00", // 01:30 EDT, not 01:30 EST an hour later
                "2026-11-02T06:30:00+00:00", // 01:30 EST
            ]
        );
        // Starting inside the repeated hour does not fire its second half either.
        assert_eq!(
            daily.next_after(utc("2026-11-01T05:45:00Z")).unwrap(),
            Some(utc("2026-11-02T06:30:00Z"))
        );
    }

    #[test]
    fn an_hourly_expression_follows_elapsed_time_through_both_changes() {
        let hourly = Recurrence::cron("0 * * * *", "America/New_York").unwrap();
        assert_eq!(
            fires(&hourly, "2026-03-08T05:30:00Z", "2026-03-08T08:00:00Z"),
            [
                "2026-03-08T06:00:00+00:00", // 01:00 EST
                "2026-03-08T07:00:00+00:00", // 03:00 EDT (02:00 does not exist)
                "2026-03-08T08:00:00+00:00", // 04:00 EDT
            ]
        );
        assert_eq!(
            fires(&hourly, "2026-11-01T04:30:00Z", "2026-11-01T07:00:00Z"),
            [
                "2026-11-01T05:00:00+00:00", // 01:00 EDT
                "2026-11-01T06:00:00+00:00", // 01:00 EST
                "2026-11-01T07:00:00+00:00", // 02:00 EST
            ]
        );
    }

    #[test]
    fn seconds_are_optional_and_bad_definitions_are_refused() {
        let every_ten = Recurrence::cron("*/10 * * * * *", "UTC").unwrap();
        assert_eq!(
            every_ten.next_after(utc("2026-01-01T00:00:01Z")).unwrap(),
            Some(utc("2026-01-01T00:00:10Z"))
        );
        assert!(matches!(
            Recurrence::cron("61 * * * *", "UTC"),
            Err(DefinitionError::Cron { .. })
        ));
        assert!(matches!(
            Recurrence::cron("* * * * *", "Mars/Olympus_Mons"),
            Err(DefinitionError::TimeZone(_))
        ));
        assert_eq!(
            Recurrence::interval(0).unwrap_err(),
            DefinitionError::Interval(0)
        );
        assert!(Recurrence::from_columns("cron", None, None, None, "UTC").is_err());
        assert!(MissedTicks::catch_up(0).is_err());
        assert!(MissedTicks::catch_up(1001).is_err());
        assert!(MissedTicks::from_columns("later", 1).is_err());
    }

    #[test]
    fn skip_fires_once_after_downtime_and_catch_up_fires_the_latest_n() {
        let every_minute = Recurrence::interval(60).unwrap();
        let due = utc("2026-05-01T00:01:00Z");
        // Down for 5 intervals: ticks 00:01 .. 00:05 are due at 00:05:30.
        let now = utc("2026-05-01T00:05:30Z");
        let grace = TimeDelta::seconds(10);
        let skip = plan(&every_minute, due, now, MissedTicks::Skip, grace).unwrap();
        assert_eq!(skip.fire, [utc("2026-05-01T00:05:00Z")]);
        assert_eq!(skip.next_run_at, Some(utc("2026-05-01T00:06:00Z")));
        let catch_up = plan(
            &every_minute,
            due,
            now,
            MissedTicks::CatchUp { limit: 3 },
            grace,
        )
        .unwrap();
        assert_eq!(
            catch_up.fire,
            [
                utc("2026-05-01T00:03:00Z"),
                utc("2026-05-01T00:04:00Z"),
                utc("2026-05-01T00:05:00Z")
            ]
        );
        assert_eq!(catch_up.next_run_at, skip.next_run_at);

        // Within the grace period nothing is missed: both ticks fire, also with skip.
        let every_second = Recurrence::interval(1).unwrap();
        let quick = plan(
            &every_second,
            due,
            due + TimeDelta::milliseconds(1500),
            MissedTicks::Skip,
            grace,
        )
        .unwrap();
        assert_eq!(quick.fire, [due, due + TimeDelta::seconds(1)]);
        assert_eq!(quick.next_run_at, Some(due + TimeDelta::seconds(2)));

        // A grace period longer than history (`Duration::MAX` in the scheduler's options):
        // nothing is missed, and nothing overflows.
        let endless = plan(&every_minute, due, now, MissedTicks::Skip, TimeDelta::MAX).unwrap();
        assert_eq!(
            endless.fire,
            [
                utc("2026-05-01T00:01:00Z"),
                utc("2026-05-01T00:02:00Z"),
                utc("2026-05-01T00:03:00Z"),
                utc("2026-05-01T00:04:00Z"),
                utc("2026-05-01T00:05:00Z")
            ]
        );
        assert_eq!(endless.next_run_at, skip.next_run_at);
    }

    #[test]
    fn cron_plans_find_the_latest_ticks_of_a_long_downtime() {
        let every_second = Recurrence::cron("* * * * * *", "UTC").unwrap();
        let due = utc("2026-01-01T00:00:00Z");
        let now = utc("2026-01-08T00:00:00.5Z");
        let p = plan(
            &every_second,
            due,
            now,
            MissedTicks::CatchUp { limit: 3 },
            TimeDelta::seconds(10),
        )
        .unwrap();
        assert_eq!(
            p.fire,
            [
                utc("2026-01-07T23:59:58Z"),
                utc("2026-01-07T23:59:59Z"),
                utc("2026-01-08T00:00:00Z")
            ]
        );
        assert_eq!(p.next_run_at, Some(utc("2026-01-08T00:00:01Z")));
        let daily = Recurrence::cron("0 9 * * *", "Europe/Paris").unwrap();
        let p = plan(
            &daily,
            utc("2026-01-01T08:00:00Z"),
            utc("2026-03-01T12:00:00Z"),
            MissedTicks::Skip,
            TimeDelta::seconds(10),
        )
        .unwrap();
        assert_eq!(p.fire, [utc("2026-03-01T08:00:00Z")]);
        assert_eq!(p.next_run_at, Some(utc("2026-03-02T08:00:00Z")));
    }

    #[test]
    fn a_one_time_schedule_fires_once_and_ends() {
        let at = utc("2026-02-03T04:05:06Z");
        let p = plan(
            &Recurrence::once(at),
            at,
            at + TimeDelta::days(3),
            MissedTicks::Skip,
            TimeDelta::seconds(10),
        )
        .unwrap();
        assert_eq!(p.fire, [at]);
        assert_eq!(p.next_run_at, None);
        assert_eq!(Recurrence::once(at).upcoming(at, 5).unwrap(), [at]);
    }
}
