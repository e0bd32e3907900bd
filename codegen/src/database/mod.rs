//! PostgreSQL for the CLI: a server's URL (parsed once, shown with its password hidden),
//! connections, and the scratch database `generate` works in — on the user's server or on a
//! throw-away cluster (`cluster.rs`) — removed afterwards, and removed by the next run when this
//! one is killed before it could.

mod cluster;
mod redact;

use std::sync::atomic::{AtomicU32, Ordering};

use symphony_messenger::error::db_error_text;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};

use crate::owner;
use cluster::Cluster;
pub use cluster::ClusterError;
pub use redact::redact;

/// Why PostgreSQL could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// The URL is not one tokio-postgres accepts.
    #[error("invalid database URL {shown}: {reason}")]
    InvalidUrl {
        /// The URL, password hidden.
        shown: String,
        /// tokio-postgres' reason.
        reason: String,
    },
    /// The server could not be reached or refused the session.
    #[error("cannot connect to PostgreSQL at {shown}: {reason}")]
    Connect {
        /// The URL, password hidden.
        shown: String,
        /// The cause: refused, no such host, TLS, authentication, ...
        reason: String,
    },
    /// The scratch database could not be created.
    #[error("cannot create a scratch database on {shown}: {reason}")]
    CreateScratch {
        /// The server's URL, password hidden.
        shown: String,
        /// The server's reason.
        reason: String,
    },
    /// Neither a URL nor the binaries for a throw-away cluster.
    #[error(
        "no database to generate against: {0}.\nEither pass --database-url URL (or set \
         DATABASE_URL) to a server where this user may CREATE DATABASE, or install the \
         PostgreSQL server (e.g. `apt-get install postgresql`) so a throw-away cluster can be \
         started."
    )]
    NoServer(ClusterError),
    /// The throw-away cluster failed to start.
    #[error(transparent)]
    Cluster(ClusterError),
}

/// A PostgreSQL server and database, parsed once; [`ServerUrl::shown`] is how messages name it.
#[derive(Clone)]
pub struct ServerUrl {
    config: tokio_postgres::Config,
    shown: String,
}

impl std::fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl ServerUrl {
    /// Parses a URL or `key=value` connection string as tokio-postgres does.
    pub fn parse(text: &str) -> Result<ServerUrl, DatabaseError> {
        let shown = redact(text);
        let config =
            text.parse()
                .map_err(|e: tokio_postgres::Error| DatabaseError::InvalidUrl {
                    shown: shown.clone(),
                    reason: e.to_string(),
                })?;
        Ok(ServerUrl { config, shown })
    }

    /// The same server and credentials, database `name`.
    fn database(&self, name: &str) -> ServerUrl {
        let mut config = self.config.clone();
        config.dbname(name);
        ServerUrl {
            config,
            shown: format!("{} (database {name})", self.shown),
        }
    }
}

/// Connects to `url`; the connection is driven by a task of the runtime. Failures say why
/// (refused, no such host, TLS, authentication) and name the URL, password hidden.
pub async fn connect(url: &ServerUrl) -> Result<Client, DatabaseError> {
    open(url).await.map_err(|err| DatabaseError::Connect {
        shown: url.shown.clone(),
        reason: db_error_text(&err),
    })
}

/// The one place a session is opened and its connection task spawned.
async fn open(url: &ServerUrl) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = url.config.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Whether `err` is the database failing rather than the SQL sent to it: no answer from the
/// server (connection refused or lost, TLS, I/O), or an SQLSTATE of class 08 (connection),
/// 53 (insufficient resources), 57 (operator intervention: shutdown, terminated session,
/// cancelled statement), 58 (system error) or XX (internal error).
pub fn is_failure(err: &tokio_postgres::Error) -> bool {
    err.code().is_none_or(|code| is_failure_code(code.code()))
}

/// Whether an SQLSTATE is of a class that says the database failed (see [`is_failure`]).
pub fn is_failure_code(code: &str) -> bool {
    ["08", "53", "57", "58", "XX"]
        .iter()
        .any(|class| code.starts_with(class))
}

/// Connects to a freshly started cluster, retrying while it reports "starting up" (the socket
/// exists a moment before the server accepts sessions).
async fn connect_when_started(url: &ServerUrl) -> Result<Client, DatabaseError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match open(url).await {
            Ok(client) => return Ok(client),
            Err(err)
                if err.code() == Some(&SqlState::CANNOT_CONNECT_NOW)
                    && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(err) => {
                return Err(DatabaseError::Connect {
                    shown: url.shown.clone(),
                    reason: db_error_text(&err),
                });
            }
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The prefix of every scratch database's name: `messenger_gen_<owner>_<n>_<nanos>`.
const SCRATCH_PREFIX: &str = "messenger_gen_";

/// A uniquely named database created for one run, on the user's server or a throw-away cluster.
/// The user's own databases are never touched. Call [`ScratchDatabase::remove`] when done; the
/// cluster (if any) also stops when this value is dropped.
pub struct ScratchDatabase {
    name: String,
    url: ServerUrl,
    admin: Client,
    cluster: Option<Cluster>,
}

impl ScratchDatabase {
    /// Creates the scratch database on `server`, or, without one, on a throw-away cluster.
    /// First removes the scratch databases of earlier runs on this machine that are gone.
    pub async fn create(server: Option<&ServerUrl>) -> Result<ScratchDatabase, DatabaseError> {
        let (cluster, server, admin) = match server {
            Some(url) => {
                let admin = connect(url).await?;
                remove_leftovers(&admin).await;
                (None, url.clone(), admin)
            }
            None => {
                let cluster = tokio::task::spawn_blocking(Cluster::start)
                    .await
                    .map_err(|e| {
                        DatabaseError::Cluster(ClusterError::Failed(format!(
                            "the start-up was cancelled: {e}"
                        )))
                    })?
                    .map_err(|err| match err {
                        ClusterError::NoBinaries | ClusterError::NoPostgresUser => {
                            DatabaseError::NoServer(err)
                        }
                        ClusterError::Failed(_) => DatabaseError::Cluster(err),
                    })?;
                let url = ServerUrl::parse(&cluster.url())?;
                let admin = connect_when_started(&url).await?;
                (Some(cluster), url, admin)
            }
        };
        let name = format!(
            "{SCRATCH_PREFIX}{}_{}_{}",
            owner::tag(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default()
        );
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .map_err(|e| DatabaseError::CreateScratch {
                shown: server.shown.clone(),
                reason: db_error_text(&e),
            })?;
        Ok(ScratchDatabase {
            url: server.database(&name),
            name,
            admin,
            cluster,
        })
    }

    /// A new connection to the scratch database.
    pub async fn connect(&self) -> Result<Client, DatabaseError> {
        connect(&self.url).await
    }

    /// Drops the scratch database (terminating any session still on it) and stops the cluster.
    pub async fn remove(self) {
        // Our own sessions end when their clients are dropped, a moment after the drop: wait
        // for that (briefly) rather than let DROP ... FORCE terminate them, which makes the
        // server poll in 100 ms steps.
        for _ in 0..100 {
            let sessions = self
                .admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                    &[&self.name],
                )
                .await
                .ok()
                .and_then(|row| row.try_get::<_, i64>(0).ok())
                .unwrap_or(0);
            if sessions == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        let statement = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        if let Err(err) = self.admin.batch_execute(&statement).await {
            crate::output::warn(&format!(
                "could not drop scratch database {}: {}",
                self.name,
                db_error_text(&err)
            ));
        }
        drop(self.admin);
        if let Some(cluster) = self.cluster {
            let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
        }
    }
}

/// Drops the scratch databases on this server that runs on this machine left behind when they
/// were killed (their owner process is gone). Sessions still open on them belong to the dead
/// run (a statement the server has not noticed is orphaned), so they are terminated. Failures
/// are warnings: they must not stop this run.
async fn remove_leftovers(admin: &Client) {
    let Ok(rows) = admin
        .query(
            "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1)",
            &[&SCRATCH_PREFIX],
        )
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<_, String>(0) else {
            continue;
        };
        let Some((pid, host, _)) = name.strip_prefix(SCRATCH_PREFIX).and_then(owner::parse) else {
            continue;
        };
        if !owner::is_gone(pid, host) {
            continue;
        }
        let statement = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        if let Err(err) = admin.batch_execute(&statement).await {
            crate::output::warn(&format!(
                "cannot drop scratch database {name}, left by an earlier messenger-gen run: {}",
                db_error_text(&err)
            ));
        }
    }
}
