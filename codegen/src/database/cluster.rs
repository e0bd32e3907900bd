//! A throw-away PostgreSQL cluster from the local binaries (`initdb`, `postgres`): a temp
//! directory, a free port on loopback, trust auth; stopped and removed afterwards.
//!
//! - When run as root the server runs as the `postgres` user (PostgreSQL refuses to run as
//!   root): `initdb` and `postgres` are started with that uid and gid directly, so the process
//!   we signal is the postmaster itself (a wrapper such as `su` would swallow SIGINT).
//! - One *keeper* thread starts the server and stops it. The server is told to shut down when
//!   that thread ends (`PR_SET_PDEATHSIG`, see [`crate::sys::die_with_parent`]), so a
//!   `messenger-gen` killed with SIGKILL does not leave a postmaster re-parented to PID 1.
//! - The directory is named `messenger-gen-pg-<owner>-…` ([`crate::owner`]); the next run
//!   removes the directories of runs that are gone (stopping a server still running there).

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::owner;
use crate::sys;

/// The prefix of every cluster directory in the temp directory.
const DIR_PREFIX: &str = "messenger-gen-pg-";

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
    #[error("throw-away cluster: {0}")]
    Failed(String),
}

/// A running throw-away cluster, served by its keeper thread. Stopped and deleted on drop.
pub struct Cluster {
    port: u16,
    /// Dropping it tells the keeper to stop the server and delete the directory.
    stop: Option<mpsc::Sender<()>>,
    keeper: Option<std::thread::JoinHandle<()>>,
}

impl Cluster {
    /// Removes the clusters of runs that are gone, then initialises and starts a new one;
    /// returns once it accepts connections.
    pub fn start() -> Result<Cluster, ClusterError> {
        let bin = find_bin_dir().ok_or(ClusterError::NoBinaries)?;
        let owner = if sys::is_root() {
            Some(sys::user_ids("postgres").ok_or(ClusterError::NoPostgresUser)?)
        } else {
            None
        };
        remove_leftovers(&std::env::temp_dir());
        let (ready_tx, ready_rx) = mpsc::channel::<Result<u16, ClusterError>>();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let keeper = std::thread::Builder::new()
            .name("messenger-gen-cluster".into())
            .spawn(move || keep(&bin, owner, &ready_tx, &stop_rx))
            .map_err(|e| ClusterError::Failed(format!("cannot start a thread: {e}")))?;
        let mut cluster = Cluster {
            port: 0,
            stop: Some(stop_tx),
            keeper: Some(keeper),
        };
        match ready_rx.recv() {
            Ok(Ok(port)) => {
                cluster.port = port;
                Ok(cluster)
            }
            Ok(Err(err)) => Err(err),
            Err(_) => Err(ClusterError::Failed(
                "the thread starting PostgreSQL ended unexpectedly".into(),
            )),
        }
    }

    /// The URL of the cluster's `postgres` database, as the `postgres` superuser.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast shutdown), waits for it and deletes the directory.
    pub fn stop(mut self) {
        self.stop_keeper();
    }

    fn stop_keeper(&mut self) {
        drop(self.stop.take());
        if let Some(keeper) = self.keeper.take() {
            let _ = keeper.join();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop_keeper();
    }
}

/// The keeper thread: start the cluster, report the port (or the failure), wait for the stop
/// request (or for the [`Cluster`] to be dropped), stop the server, delete the directory.
fn keep(
    bin: &Path,
    owner: Option<(u32, u32)>,
    ready: &mpsc::Sender<Result<u16, ClusterError>>,
    stop: &mpsc::Receiver<()>,
) {
    let dir = match tempfile::Builder::new()
        .prefix(&format!("{DIR_PREFIX}{}-", owner::tag()))
        .tempdir()
    {
        Ok(dir) => dir,
        Err(e) => {
            let _ = ready.send(Err(failed("cannot create a temp dir", &e)));
            return;
        }
    };
    let mut server = None;
    let started = start_in(bin, owner, dir.path(), &mut server);
    let running = started.is_ok();
    let _ = ready.send(started);
    if running {
        // Returns when the Cluster sends or is dropped: either way, stop.
        let _ = stop.recv();
    }
    if let Some(child) = server {
        stop_server(child);
    }
    // `dir` is deleted here, after the server has stopped.
    drop(dir);
}

fn failed(what: &str, e: &dyn std::fmt::Display) -> ClusterError {
    ClusterError::Failed(format!("{what}: {e}"))
}

/// initdb, then the postmaster (left in `server` as soon as it runs, so it is stopped also
/// when it never becomes ready); returns its port.
fn start_in(
    bin: &Path,
    owner: Option<(u32, u32)>,
    dir: &Path,
    server: &mut Option<Child>,
) -> Result<u16, ClusterError> {
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(dir, Some(uid), Some(gid))
            .map_err(|e| failed("cannot chown the temp dir to postgres", &e))?;
    }
    let data = dir.join("data");
    let log_path = dir.join("initdb.log");
    let log = File::create(&log_path).map_err(|e| failed("cannot create a log", &e))?;
    let status = server_command(owner, &bin.join("initdb"), dir, libc::SIGKILL)
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
    let log_path = dir.join("postgres.log");
    let log = File::create(&log_path).map_err(|e| failed("cannot create a log", &e))?;
    // SIGINT is PostgreSQL's fast shutdown: the server rolls back its sessions and exits.
    let child = server_command(owner, &bin.join("postgres"), dir, libc::SIGINT)
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string()])
        .args(["-c", "listen_addresses=127.0.0.1"])
        .arg("-c")
        .arg(format!("unix_socket_directories={}", dir.display()))
        // Nothing here needs to survive a crash: trade durability for start-up speed.
        .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
        .args(["-c", "full_page_writes=off", "-c", "max_connections=20"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| failed("log", &e))?)
        .stderr(log)
        .spawn()
        .map_err(|e| failed("cannot start postgres", &e))?;
    let child = server.insert(child);
    wait_ready(child, dir, port, &log_path)?;
    Ok(port)
}

/// A command for a server binary: a clean environment (no PG* variables of the user's), as
/// `postgres` when root, and `death_signal` when the keeper thread ends.
fn server_command(
    owner: Option<(u32, u32)>,
    program: &Path,
    dir: &Path,
    death_signal: libc::c_int,
) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("LC_ALL", "C")
        .env("HOME", dir)
        .current_dir(dir);
    if let Some((uid, gid)) = owner {
        command.uid(uid).gid(gid);
    }
    sys::die_with_parent(&mut command, death_signal);
    command
}

fn wait_ready(
    child: &mut Child,
    dir: &Path,
    port: u16,
    log_path: &Path,
) -> Result<(), ClusterError> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let socket = dir.join(format!(".s.PGSQL.{port}"));
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(ClusterError::Failed(format!(
                "postgres exited with {status}: {}",
                read_log(log_path)
            )));
        }
        // The postmaster creates its socket only once it accepts connections; the TCP
        // port is opened at the same moment.
        if socket.exists() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(ClusterError::Failed(format!(
                "postgres did not accept connections within 30 s: {}",
                read_log(log_path)
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Fast shutdown, waited for; SIGKILL after 10 s.
fn stop_server(mut child: Child) {
    sys::send_signal(child.id(), libc::SIGINT);
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

/// Removes the cluster directories in `temp` whose run is gone, stopping a postmaster that
/// still runs in one (a run killed before the server was told to die with it). Problems are
/// warnings: they must not stop this run.
pub fn remove_leftovers(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some((pid, host, _)) = name
            .to_str()
            .and_then(|n| n.strip_prefix(DIR_PREFIX))
            .and_then(owner::parse)
        else {
            continue;
        };
        if !owner::is_gone(pid, host) {
            continue;
        }
        let dir = entry.path();
        stop_orphaned_server(&dir);
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            crate::output::warn(&format!(
                "cannot remove {}, left by an earlier messenger-gen run: {e}",
                dir.display()
            ));
        }
    }
}

/// Stops the postmaster of `dir`'s cluster if one still runs (its pid is the first line of
/// `data/postmaster.pid`, and its command line names the directory).
fn stop_orphaned_server(dir: &Path) {
    let Some(pid) = std::fs::read_to_string(dir.join("data/postmaster.pid"))
        .ok()
        .and_then(|text| text.lines().next()?.trim().parse::<u32>().ok())
    else {
        return;
    };
    let serves_dir = |pid: u32| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains(&*dir.to_string_lossy()))
    };
    if !serves_dir(pid) {
        return;
    }
    // Immediate shutdown: nothing in a throw-away cluster is worth a checkpoint.
    sys::send_signal(pid, libc::SIGQUIT);
    let deadline = Instant::now() + Duration::from_secs(5);
    while serves_dir(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if serves_dir(pid) {
        sys::send_signal(pid, libc::SIGKILL);
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
