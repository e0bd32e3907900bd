//! What the operations commands share: the clock, durations and instants from the command line,
//! tables for people, JSON for scripts, and the failures they exit with.

use std::fmt::Write as _;

use serde::Serialize;
use symphony_messenger::chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use tokio_postgres::Client;

use crate::cli_ops::Connection;
use crate::database::{self, ServerUrl};
use crate::error::Error;
use crate::output::say;

/// The variable that fixes the commands' clock (an RFC 3339 instant), so that ages and cutoffs
/// are reproducible in tests and scripts.
pub const NOW_VARIABLE: &str = "MESSENGER_GEN_NOW";

/// The current instant, or the one in [`NOW_VARIABLE`].
pub fn now() -> Result<DateTime<Utc>, Error> {
    match std::env::var(NOW_VARIABLE) {
        Ok(text) if !text.is_empty() => {
            instant(&text).map_err(|e| Error::usage(format!("{NOW_VARIABLE}: {e}")))
        }
        _ => Ok(Utc::now()),
    }
}

/// Connects to the database of `connection` (exit 3 when it cannot be reached).
pub async fn connect(connection: &Connection) -> Result<Client, Error> {
    connect_to(connection.database_url.as_deref()).await
}

/// Connects to `--database-url` / `DATABASE_URL`: exit 2 without one, 3 when it cannot be
/// reached.
pub async fn connect_to(database_url: Option<&str>) -> Result<Client, Error> {
    let url = database_url
        .ok_or_else(|| Error::usage("no database: pass --database-url URL or set DATABASE_URL"))?;
    Ok(database::connect(&ServerUrl::parse(url)?).await?)
}

/// A failed statement, with a hint when the queue's schema is missing: exit 3 when the
/// database failed (the connection was lost, the session terminated), 2 otherwise.
pub fn database_failure(err: &tokio_postgres::Error) -> Error {
    let text = symphony_messenger::error::db_error_text(err);
    let hint = match err.code() {
        Some(code)
            if *code == tokio_postgres::error::SqlState::UNDEFINED_TABLE
                || *code == tokio_postgres::error::SqlState::UNDEFINED_FUNCTION
                || *code == tokio_postgres::error::SqlState::UNDEFINED_COLUMN =>
        {
            " (is the queue's schema up to date? `messenger-gen migrate up`)"
        }
        _ => "",
    };
    Error::Statement {
        message: format!("database error: {text}{hint}"),
        code: err.code().map(|c| c.code().to_owned()),
    }
}

/// An RFC 3339 instant.
pub fn instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("`{text}` is not an RFC 3339 instant such as 2026-05-01T12:00:00Z ({e})")
        })
}

/// A duration such as `30d`, `12h`, `1h 30m`, `90s`.
pub fn duration(text: &str) -> Result<TimeDelta, String> {
    let std = humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a duration such as 30d, 12h or 1h 30m ({e})"))?;
    TimeDelta::from_std(std).map_err(|_| format!("`{text}` is too long"))
}

/// The instant a duration such as `30d` before `now`; one that reaches before the earliest
/// instant there is, is an error.
pub fn ago(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let back = duration(text)?;
    now.checked_sub_signed(back)
        .ok_or_else(|| format!("`{text}` reaches back before the earliest representable instant"))
}

/// `--since`: a duration back from `now`, or an instant.
pub fn since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, Error> {
    match duration(text) {
        Ok(_) => ago(text, now).map_err(|e| Error::usage(format!("--since: {e}"))),
        Err(_) => instant(text).map_err(|_| {
            Error::usage(format!(
                "--since `{text}` is neither a duration (24h) nor an RFC 3339 instant"
            ))
        }),
    }
}

/// An instant for people: RFC 3339 in UTC to the second (JSON output keeps the fraction).
pub fn utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An optional instant, `-` when absent.
pub fn utc_or_dash(t: Option<DateTime<Utc>>) -> String {
    t.map(utc).unwrap_or_else(|| "-".to_owned())
}

/// A short age: `45s`, `12m 3s`, `3h 4m`, `2d 3h`.
pub fn age(delta: TimeDelta) -> String {
    let s = delta.num_seconds().max(0);
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

/// Text cut to `max` characters, with `…` when cut; on one line.
pub fn short(text: &str, max: usize) -> String {
    let line = text.replace(['\n', '\r'], " ");
    if line.chars().count() <= max {
        line
    } else {
        let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// A table for people: a header row and left-aligned columns separated by two spaces, numbers
/// right-aligned. `numeric` says which columns are numbers.
pub fn table(header: &[&str], numeric: &[bool], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            let last = i + 1 == cells.len();
            if numeric.get(i).copied().unwrap_or(false) {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                if !last {
                    text.push_str(&" ".repeat(pad));
                }
            }
            if !last {
                text.push_str("  ");
            }
        }
        let _ = writeln!(out, "{}", text.trim_end());
    };
    line(&header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
    for row in rows {
        line(row);
    }
    out
}

/// Prints `value` as pretty JSON.
pub fn print_json<T: Serialize>(value: &T) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::usage(format!("cannot render JSON: {e}")))?;
    say!("{text}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_tables() {
        assert_eq!(age(TimeDelta::seconds(45)), "45s");
        assert_eq!(age(TimeDelta::seconds(723)), "12m 3s");
        assert_eq!(age(TimeDelta::seconds(3 * 3600 + 240)), "3h 4m");
        assert_eq!(age(TimeDelta::seconds(2 * 86_400 + 3 * 3600 + 1)), "2d 3h");
        assert_eq!(
            table(
                &["ID", "NAME"],
                &[true, false],
                &[vec!["7".into(), "a".into()], vec!["12".into(), "bb".into()]]
            ),
            "ID  NAME\n 7  a\n12  bb\n"
        );
        assert_eq!(short("a\nbcdef", 4), "a b…");
        assert_eq!(duration("1h 30m").unwrap(), TimeDelta::minutes(90));
        assert!(duration("soon").is_err());
    }
}
