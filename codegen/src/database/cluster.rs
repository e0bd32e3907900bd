//! A throw-away PostgreSQL cluster from the local binaries (`initdb`, `postgres`): a temp
//! directory, a free port on loopback, trust auth; stopped and removed afterwards.
//!
//! When run as root the cluster runs as the `postgres` user (PostgreSQL refuses to run as root).
//! The server is exec'd through `setpriv`, which replaces itself with `postgres`, so the process
//! we signal is the postmaster itself; a wrapper such as `su` would swallow SIGINT and leave the
//! cluster running.

use std::ffi::CString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Why a throw-away cluster could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No `initdb` and `postgres` binaries were found.
    #[error(
        "no PostgreSQL server binaries found (initdb and postgres on PATH or under /usr/lib/postgresql/*/bin)"
    )]
    NoBinaries,
    /// Running as root, but there is no `postgres` user to run the server as.
    #[error("running as root, and there is no `postgres` user to run a throw-away cluster as")]
    NoPostgresUser,
    /// A step failed; the message says which and includes the server's output.
    #[error("{0}")]
    Failed(String),
}

/// A running throw-away cluster. Stopped and deleted on drop.
pub struct Cluster {
    child: Option<Child>,
    port: u16,
    // Dropped (deleted) after the server has stopped.
    dir: TempDir,
}

impl Cluster {
    /// Initialises and starts a cluster; waits until it accepts connections.
    pub fn start() -> Result<Cluster, ClusterError> {
        let bin = find_bin_dir().ok_or(ClusterError::NoBinaries)?;
        let owner = if is_root() {
            Some(postgres_user().ok_or(ClusterError::NoPostgresUser)?)
        } else {
            None
        };
        let failed = |what: &str, e: &dyn std::fmt::Display| {
            ClusterError::Failed(format!("throw-away cluster: {what}: {e}"))
        };
        let dir = tempfile::Builder::new()
            .prefix("messenger-gen-pg-")
            .tempdir()
            .map_err(|e| failed("cannot create a temp dir", &e))?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| failed("cannot chown the temp dir to postgres", &e))?;
        }
        let data = dir.path().join("data");
        let log_path = dir.path().join("initdb.log");
        let log = File::create(&log_path).map_err(|e| failed("cannot create a log", &e))?;
        let status = as_owner(owner.is_some(), &bin.join("initdb"))
            .args(["-D"])
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "--no-instructions",
                "-E",
                "UTF8",
                "--locale=C",
            ])
            .stdout(log.try_clone().map_err(|e| failed("log", &e))?)
            .stderr(log)
            .status()
            .map_err(|e| failed("cannot run initdb", &e))?;
        if !status.success() {
            return Err(failed("initdb failed", &read_log(&log_path)));
        }

        let port = free_port().map_err(|e| failed("no free port", &e))?;
        let log_path = dir.path().join("postgres.log");
        let log = File::create(&log_path).map_err(|e| failed("cannot create a log", &e))?;
        let child = as_owner(owner.is_some(), &bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", dir.path().display()))
            // Nothing here needs to survive a crash: trade durability for start-up speed.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=20"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| failed("log", &e))?)
            .stderr(log)
            .spawn()
            .map_err(|e| failed("cannot start postgres", &e))?;
        let mut cluster = Cluster {
            child: Some(child),
            port,
            dir,
        };
        cluster.wait_ready(&log_path)?;
        Ok(cluster)
    }

    /// The URL of the cluster's `postgres` database, as the `postgres` superuser.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn wait_ready(&mut self, log_path: &Path) -> Result<(), ClusterError> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let socket = self.dir.path().join(format!(".s.PGSQL.{}", self.port));
        loop {
            let child = self.child.as_mut().expect("started");
            if let Ok(Some(status)) = child.try_wait() {
                return Err(ClusterError::Failed(format!(
                    "throw-away cluster: postgres exited with {status}: {}",
                    read_log(log_path)
                )));
            }
            // The postmaster creates its socket only once it accepts connections; the TCP
            // port is opened at the same moment.
            if socket.exists() && std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ClusterError::Failed(format!(
                    "throw-away cluster: postgres did not accept connections within 30 s: {}",
                    read_log(log_path)
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server (fast shutdown) and waits for it; the directory goes with `self`.
    pub fn stop(mut self) {
        self.stop_server();
    }

    fn stop_server(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SIGINT is PostgreSQL's "fast shutdown": roll back sessions and exit.
            send_signal(pid, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop_server();
    }
}

#[allow(unsafe_code)]
fn send_signal(pid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
}

fn is_root() -> bool {
    #[allow(unsafe_code)]
    // SAFETY: geteuid(2) cannot fail and has no preconditions.
    unsafe {
        libc::geteuid() == 0
    }
}

/// The uid and gid of the `postgres` user.
fn postgres_user() -> Option<(u32, u32)> {
    let name = CString::new("postgres").ok()?;
    #[allow(unsafe_code)]
    // SAFETY: getpwnam returns NULL or a pointer to a static passwd record, read at once.
    unsafe {
        let pw = libc::getpwnam(name.as_ptr());
        if pw.is_null() {
            None
        } else {
            Some(((*pw).pw_uid, (*pw).pw_gid))
        }
    }
}

/// A command for `program`, run as `postgres` through `setpriv` (which execs it) when root.
fn as_owner(drop_to_postgres: bool, program: &Path) -> Command {
    if drop_to_postgres {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--reset-env",
            "--",
        ])
        .arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// The directory holding `initdb` and `postgres`: PATH first, then the newest
/// `/usr/lib/postgresql/<version>/bin`.
pub fn find_bin_dir() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(path) = std::env::var_os("PATH")
        && let Some(dir) = std::env::split_paths(&path).find(|dir| has_both(dir))
    {
        return Some(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_both(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?
        .local_addr()?
        .port())
}

fn read_log(path: &Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(20).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}
