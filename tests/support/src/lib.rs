//! Test support: every test gets its own freshly created PostgreSQL database, dropped afterwards;
//! tests of the transaction-mode pooler path get their own PgBouncer ([`PgBouncer`]).
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

/// A PgBouncer in transaction mode (the mode of Supabase's pooler) on a free loopback port, in
/// front of the test server, stopped when dropped. Its configuration lives in a temp dir.
pub struct PgBouncer {
    child: std::process::Child,
    port: u16,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// Where the `pgbouncer` binary is: `PGBOUNCER`, else on `PATH`, else Debian's `/usr/sbin`.
fn pgbouncer_binary() -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("PGBOUNCER") {
        return Some(path.into());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([std::path::PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("pgbouncer"))
        .find(|candidate| candidate.is_file())
}

impl PgBouncer {
    /// Starts PgBouncer and waits until it accepts connections.
    ///
    /// # Panics
    /// When PgBouncer is not installed (saying `apt-get install pgbouncer`) or does not start.
    pub async fn start() -> PgBouncer {
        use std::io::Write as _;
        use std::os::unix::fs::MetadataExt as _;

        let binary = pgbouncer_binary().unwrap_or_else(|| {
            panic!(
                "pgbouncer is not installed; the tests of the transaction-mode pooler path need \
                 it: apt-get install pgbouncer (or set PGBOUNCER to its path)"
            )
        });
        let server = server_url();
        let (host, port, user) = server_parts(&server);
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("a temp dir");
        let ini = dir.path().join("pgbouncer.ini");
        let log = dir.path().join("pgbouncer.log");
        let mut file = std::fs::File::create(&ini).expect("pgbouncer.ini");
        write!(
            file,
            "[databases]\n\
             * = host={host} port={port} user={user}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {free}\n\
             unix_socket_dir =\n\
             auth_type = any\n\
             pool_mode = transaction\n\
             max_client_conn = 1000\n\
             default_pool_size = 20\n\
             ignore_startup_parameters = extra_float_digits,options\n"
        )
        .expect("write pgbouncer.ini");
        let stderr = std::fs::File::create(&log).expect("pgbouncer.log");
        let mut command = std::process::Command::new(&binary);
        // PgBouncer refuses to run as root; it reads its configuration before switching user.
        if std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
            command.args(["-u", "postgres"]);
        }
        let child = command
            .arg(&ini)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut bouncer = PgBouncer {
            child,
            port: free,
            log,
            _dir: dir,
        };
        let started = std::time::Instant::now();
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", free))
                .await
                .is_ok()
            {
                return bouncer;
            }
            if let Ok(Some(status)) = bouncer.child.try_wait() {
                panic!("pgbouncer exited with {status}:\n{}", bouncer.log_text());
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "pgbouncer did not start listening on port {free}:\n{}",
                bouncer.log_text()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The URL of `database` through this PgBouncer.
    pub fn url(&self, database: &str) -> String {
        let (_, _, user) = server_parts(&server_url());
        format!("postgres://{user}@127.0.0.1:{}/{database}", self.port)
    }

    /// What PgBouncer logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Host, port and user of a `postgres://user@host:port/db` URL (defaults 127.0.0.1, 5432,
/// postgres).
fn server_parts(url: &str) -> (String, u16, String) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((user, host_port)) => (user.split(':').next().unwrap_or("postgres"), host_port),
        None => ("postgres", authority),
    };
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().unwrap_or(5432)),
        None => (host_port, 5432),
    };
    let host = if host.is_empty() { "127.0.0.1" } else { host };
    (host.to_owned(), port, user.to_owned())
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

    #[test]
    fn reads_host_port_and_user_from_the_server_url() {
        assert_eq!(
            super::server_parts("postgres://postgres@127.0.0.1:5432/postgres"),
            ("127.0.0.1".to_owned(), 5432, "postgres".to_owned())
        );
        assert_eq!(
            super::server_parts("postgres://u:p@db.example:6000/x?sslmode=disable"),
            ("db.example".to_owned(), 6000, "u".to_owned())
        );
        assert_eq!(
            super::server_parts("postgres://h/x"),
            ("h".to_owned(), 5432, "postgres".to_owned())
        );
    }
}
