//! Schedules: cron (seconds optional, in an IANA time zone), interval and one-time schedules
//! that enqueue a message at each fire time, exactly once across every scheduler process.
//!
//! - [`definition`]: what a schedule means in time — [`Recurrence`], the DST rule, the
//!   missed-tick policy ([`MissedTicks`]) and the [`plan`] of one pass;
//! - [`store`]: creating a schedule (its body validated like a message), reading, pausing,
//!   resuming and removing schedules — plain SQL that `messenger-gen schedule` runs too;
//! - `scheduler` (with the `generated` feature): the [`Scheduler`] loop;
//! - [`clock`]: the injectable [`Clock`].

pub mod clock;
pub mod definition;
#[cfg(feature = "generated")]
mod scheduler;
pub mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use definition::{DefinitionError, MAX_CATCH_UP, MissedTicks, Plan, Recurrence, plan};
#[cfg(feature = "generated")]
pub use scheduler::{Fire, Pass, Refusal, Scheduler, SchedulerError, SchedulerOptions, tick_key};
pub use store::{NewSchedule, Schedule, ScheduleError};
