//! Where the database comes from: a scratch database on a given server, or on a throw-away
//! cluster started from the local PostgreSQL binaries. Either way it is removed afterwards.

pub mod cluster;

use std::sync::atomic::{AtomicU32, Ordering};

use tokio_postgres::{Client, NoTls};

use crate::db;
use crate::exit_codes;
use crate::failure::Failure;
use cluster::{Cluster, ClusterError};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A uniquely named database created for one run, on the user's server or a throw-away cluster.
/// The user's own databases are never touched. Call [`ScratchDatabase::remove`] when done; the
/// cluster (if any) also stops when this value is dropped.
pub struct ScratchDatabase {
    name: String,
    config: tokio_postgres::Config,
    admin: Client,
    cluster: Option<Cluster>,
}

/// Connects to a freshly started cluster, retrying while it reports "starting up" (the socket
/// exists a moment before the server accepts sessions).
async fn connect_when_started(url: &str) -> Result<Client, Failure> {
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| Failure::input(format!("invalid cluster URL: {e}")))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match config.connect(NoTls).await {
            Ok((client, connection)) => {
                tokio::spawn(async move {
                    let _ = connection.await;
                });
                return Ok(client);
            }
            Err(err)
                if err.code() == Some(&tokio_postgres::error::SqlState::CANNOT_CONNECT_NOW)
                    && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            // Renders the failure (exit 3, URL named) the same way as any other server.
            Err(_) => return db::connect(url).await,
        }
    }
}

impl ScratchDatabase {
    /// Creates the scratch database on `server_url`, or, without one, on a throw-away cluster.
    pub async fn create(server_url: Option<&str>) -> Result<ScratchDatabase, Failure> {
        let (cluster, server_url) = match server_url {
            Some(url) => (None, url.to_owned()),
            None => {
                let cluster = tokio::task::spawn_blocking(Cluster::start)
                    .await
                    .map_err(|e| Failure::input(format!("cluster start panicked: {e}")))?
                    .map_err(|err| match err {
                        ClusterError::NoBinaries | ClusterError::NoPostgresUser => Failure::new(
                            exit_codes::DATABASE_UNREACHABLE,
                            format!(
                                "no database to generate against: {err}.\n\
                                 Either pass --database-url URL (or set DATABASE_URL) to a server \
                                 where this user may CREATE DATABASE, or install the PostgreSQL \
                                 server (e.g. `apt-get install postgresql`) so a throw-away cluster \
                                 can be started."
                            ),
                        ),
                        ClusterError::Failed(msg) => {
                            Failure::new(exit_codes::DATABASE_UNREACHABLE, msg)
                        }
                    })?;
                let url = cluster.url();
                (Some(cluster), url)
            }
        };
        let admin = if cluster.is_some() {
            connect_when_started(&server_url).await?
        } else {
            db::connect(&server_url).await?
        };
        let name = format!(
            "messenger_gen_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or_default()
        );
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .map_err(|e| {
                Failure::new(
                    exit_codes::DATABASE_UNREACHABLE,
                    format!(
                        "cannot create a scratch database on {}: {}",
                        db::redact(&server_url),
                        db::error_text(&e)
                    ),
                )
            })?;
        let mut config: tokio_postgres::Config = server_url
            .parse()
            .map_err(|e| Failure::input(format!("invalid database URL: {e}")))?;
        config.dbname(&name);
        Ok(ScratchDatabase {
            name,
            config,
            admin,
            cluster,
        })
    }

    /// The scratch database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new connection to the scratch database.
    pub async fn connect(&self) -> Result<Client, Failure> {
        let (client, connection) = self.config.connect(NoTls).await.map_err(|e| {
            Failure::new(
                exit_codes::DATABASE_UNREACHABLE,
                format!("cannot connect to the scratch database {}: {e}", self.name),
            )
        })?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(client)
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
                .map(|row| row.get::<_, i64>(0))
                .unwrap_or(0);
            if sessions == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        let statement = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        if let Err(err) = self.admin.batch_execute(&statement).await {
            eprintln!(
                "warning: could not drop scratch database {}: {}",
                self.name,
                db::error_text(&err)
            );
        }
        drop(self.admin);
        if let Some(cluster) = self.cluster {
            let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
        }
    }
}
