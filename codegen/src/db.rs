//! Connections to PostgreSQL for the CLI, with the exit code for an unreachable server.

use tokio_postgres::{Client, NoTls};

use crate::exit_codes;
use crate::failure::Failure;

/// Connects to `url`; a failure maps to exit code 3 and names the URL (password hidden).
pub async fn connect(url: &str) -> Result<Client, Failure> {
    let config: tokio_postgres::Config = url.parse().map_err(|err| {
        Failure::new(
            exit_codes::INPUT,
            format!("invalid database URL {}: {err}", redact(url)),
        )
    })?;
    let (client, connection) = config.connect(NoTls).await.map_err(|err| {
        Failure::new(
            exit_codes::DATABASE_UNREACHABLE,
            format!(
                "cannot connect to PostgreSQL at {}: {}",
                redact(url),
                error_text(&err)
            ),
        )
    })?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// The most useful text of a PostgreSQL error: the server's message when there is one.
pub fn error_text(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => err.to_string(),
    }
}

/// `url` with any password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!(
                "{}{user}:***@{host}{}",
                &url[..scheme_end],
                &rest[authority_end..]
            )
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn hides_passwords_only() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("host=/tmp"), "host=/tmp");
    }
}
