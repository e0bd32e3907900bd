//! Test support: every test gets its own freshly created PostgreSQL database, dropped afterwards.
//!
//! The server comes from `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! Tests never share a database, so they run in parallel and leave nothing behind. When the server
//! cannot be reached the test fails with a message that says how to start one; it never skips.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio_postgres::{Client, NoTls};

/// The server used when `DATABASE_URL` is not set.
pub const DEFAULT_SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The URL of the PostgreSQL server that tests create their databases on.
pub fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_SERVER_URL.to_owned())
}

/// Returns `url` with its database name replaced by `database`.
pub fn url_with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{}", &base[..path_start], database);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Connects to `url`, spawning the connection task on the current runtime.
///
/// # Panics
/// When the server cannot be reached, with a message that says how to start one.
pub async fn connect(url: &str) -> Client {
    match tokio_postgres::connect(url, NoTls).await {
        Ok((client, connection)) => {
            tokio::spawn(async move {
                let _ = connection.await;
            });
            client
        }
        Err(err) => panic!(
            "cannot connect to PostgreSQL at {url}: {err}\n\
             The tests need a running PostgreSQL server. Start the local one with\n\
             \x20   pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n\
             or point DATABASE_URL at a server where this user may CREATE DATABASE."
        ),
    }
}

/// A database created for one test and dropped (with `FORCE`) when this value is dropped.
pub struct TestDb {
    name: String,
    url: String,
    server_url: String,
}

impl TestDb {
    /// Creates a new, empty database with a unique name on the test server.
    pub async fn new() -> TestDb {
        let server_url = server_url();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!(
            "messenger_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let admin = connect(&server_url).await;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|err| panic!("CREATE DATABASE {name} on {server_url} failed: {err}"));
        let url = url_with_database(&server_url, &name);
        TestDb {
            name,
            url,
            server_url,
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A connection URL for this database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new connection to this database.
    pub async fn client(&self) -> Client {
        connect(&self.url).await
    }

    /// A deadpool-postgres pool of up to `size` connections to this database.
    pub fn pool(&self, size: usize) -> deadpool_postgres::Pool {
        let mut config = deadpool_postgres::Config::new();
        config.url = Some(self.url.clone());
        config.pool = Some(deadpool_postgres::PoolConfig::new(size));
        config
            .create_pool(Some(deadpool_postgres::Runtime::Tokio1), NoTls)
            .expect("a pool for the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which must not be blocked on; a short-lived thread
        // with its own runtime does the network round trip.
        let name = self.name.clone();
        let server_url = self.server_url.clone();
        let result = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async move {
                let (client, connection) = tokio_postgres::connect(&server_url, NoTls)
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::spawn(connection);
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        match result {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("warning: could not drop test database {}: {err}", self.name),
            Err(_) => eprintln!("warning: dropping test database {} panicked", self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_with_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            url_with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            url_with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(url_with_database("postgres://h:1", "x"), "postgres://h:1/x");
    }
}
