//! `generate` ended from outside (issue 9, items 10 and 11), with real child processes and a
//! migration that sleeps: SIGTERM cleans up like Ctrl-C; after SIGKILL the throw-away server
//! dies with its parent and the next run removes what the killed one left (its cluster
//! directory, its scratch database); Ctrl-C to the whole process group during `initdb` exits
//! 130; a migration that creates a role says, on the next run, why the role exists.

mod common;
use common::{no_panic, text};

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use messenger_test_support::server_url;

/// A standalone project: one table, and (when `slow`) a migration that sleeps for a minute.
fn project(slow: bool) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("schema/rollback")).unwrap();
    std::fs::write(
        work.path().join("schema/V1__items.sql"),
        "CREATE TABLE items (id int PRIMARY KEY);",
    )
    .unwrap();
    if slow {
        std::fs::write(
            work.path().join("schema/V2__slow.sql"),
            "SELECT pg_sleep(60);",
        )
        .unwrap();
    }
    std::fs::write(
        work.path().join("messenger-gen.toml"),
        "include-queue = false\n",
    )
    .unwrap();
    work
}

/// A directory for TMPDIR that the `postgres` user can traverse (the cluster lives in it).
fn shared_tmp() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `messenger-gen generate` in `work`, on `url` or (without one) a cluster under `tmp`.
fn generate(work: &Path, url: Option<&str>, tmp: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_messenger-gen"));
    cmd.arg("generate")
        .current_dir(work)
        .env_remove("DATABASE_URL")
        .env("TMPDIR", tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
    cmd
}

/// PIDs of processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains(needle))
        })
        .collect()
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Waits until `ready`, failing if `child` exits first.
fn wait_until(child: &mut Child, what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "{what} never happened");
        assert!(
            child.try_wait().unwrap().is_none(),
            "messenger-gen exited before {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for `child` to exit; its exit code.
fn exit_code(child: Child) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut child = child;
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "messenger-gen did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    no_panic(&out);
    out.status.code()
}

fn signal(pid: i32, signal: libc::c_int) {
    #[allow(unsafe_code)]
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Whether the cluster under `tmp` accepts connections (its socket exists).
fn cluster_ready(tmp: &Path) -> bool {
    std::fs::read_dir(tmp).unwrap().any(|cluster| {
        std::fs::read_dir(cluster.unwrap().path()).is_ok_and(|mut files| {
            files.any(|f| {
                f.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".s.PGSQL")
            })
        })
    })
}

/// The number of scratch databases of process `pid` on the server.
async fn scratch_databases(admin: &tokio_postgres::Client, pid: u32) -> i64 {
    admin
        .query_one(
            "SELECT count(*) FROM pg_database WHERE starts_with(datname, $1)",
            &[&format!("messenger_gen_{pid}_")],
        )
        .await
        .unwrap()
        .get(0)
}

/// Whether a session of `pid`'s scratch database runs the sleeping migration.
async fn sleeping(admin: &tokio_postgres::Client, pid: u32) -> bool {
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
              WHERE starts_with(datname, $1) AND query LIKE '%pg_sleep(60)%'",
            &[&format!("messenger_gen_{pid}_")],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
        > 0
}

async fn wait_sleeping(admin: &tokio_postgres::Client, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sleeping(admin, child.id()).await {
        assert!(Instant::now() < deadline, "the migration never started");
        assert!(
            child.try_wait().unwrap().is_none(),
            "messenger-gen exited early"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn sigterm_drops_the_scratch_database_and_exits_143() {
    let admin = messenger_test_support::connect(&server_url()).await;
    let work = project(true);
    let tmp = shared_tmp();
    let mut child = generate(work.path(), Some(&server_url()), tmp.path())
        .spawn()
        .unwrap();
    let pid = child.id();
    wait_sleeping(&admin, &mut child).await;
    signal(pid as i32, libc::SIGTERM);
    assert_eq!(exit_code(child), Some(143));
    assert_eq!(scratch_databases(&admin, pid).await, 0);
    assert!(!sleeping(&admin, pid).await, "the migration still runs");
}

#[test]
fn sigterm_stops_and_removes_the_throw_away_cluster() {
    let work = project(true);
    let tmp = shared_tmp();
    let mut child = generate(work.path(), None, tmp.path()).spawn().unwrap();
    wait_until(&mut child, "the cluster start", || {
        cluster_ready(tmp.path())
    });
    std::thread::sleep(Duration::from_millis(300));
    signal(child.id() as i32, libc::SIGTERM);
    assert_eq!(exit_code(child), Some(143));
    assert!(processes_mentioning(&tmp.path().to_string_lossy()).is_empty());
    assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));
}

#[test]
fn after_sigkill_the_server_dies_and_the_next_run_removes_the_cluster() {
    let work = project(true);
    let tmp = shared_tmp();
    let mut child = generate(work.path(), None, tmp.path()).spawn().unwrap();
    wait_until(&mut child, "the cluster start", || {
        cluster_ready(tmp.path())
    });
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    // The postmaster was told to shut down when its parent died.
    let needle = tmp.path().to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !processes_mentioning(&needle).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the throw-away server outlived messenger-gen: {:?}",
            processes_mentioning(&needle)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = entries(tmp.path());
    assert_eq!(
        left.len(),
        1,
        "the killed run's cluster directory: {left:?}"
    );

    // The next run removes the directory the killed run left.
    let fast = project(false);
    let out = generate(fast.path(), None, tmp.path()).output().unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));
}

#[tokio::test]
async fn after_sigkill_the_next_run_drops_the_scratch_database() {
    let admin = messenger_test_support::connect(&server_url()).await;
    let work = project(true);
    let tmp = shared_tmp();
    let mut child = generate(work.path(), Some(&server_url()), tmp.path())
        .spawn()
        .unwrap();
    let pid = child.id();
    wait_sleeping(&admin, &mut child).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        scratch_databases(&admin, pid).await,
        1,
        "SIGKILL cannot be caught: the scratch database is left"
    );
    let fast = project(false);
    let out = generate(fast.path(), Some(&server_url()), tmp.path())
        .output()
        .unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        scratch_databases(&admin, pid).await,
        0,
        "the next run did not drop the killed run's scratch database"
    );
}

#[test]
fn ctrl_c_to_the_process_group_during_initdb_exits_130() {
    let work = project(false);
    let tmp = shared_tmp();
    let mut cmd = generate(work.path(), None, tmp.path());
    // Its own process group, as a shell gives a foreground job: Ctrl-C reaches every process
    // in it, initdb included.
    cmd.process_group(0);
    let mut child = cmd.spawn().unwrap();
    let needle = tmp.path().to_string_lossy().into_owned();
    wait_until(&mut child, "initdb", || {
        processes_mentioning(&needle).into_iter().any(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains("initdb"))
        })
    });
    signal(-(child.id() as i32), libc::SIGINT);
    assert_eq!(exit_code(child), Some(130));
    assert!(processes_mentioning(&needle).is_empty());
    assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));
}

#[tokio::test]
async fn a_role_left_by_an_earlier_run_is_explained() {
    const ROLE: &str = "messenger_gen_test_leaked_role";
    let admin = messenger_test_support::connect(&server_url()).await;
    admin
        .batch_execute(&format!("DROP ROLE IF EXISTS {ROLE}"))
        .await
        .unwrap();
    let work = project(false);
    std::fs::write(
        work.path().join("schema/V2__role.sql"),
        format!("CREATE ROLE {ROLE} NOLOGIN;"),
    )
    .unwrap();
    let tmp = shared_tmp();
    let first = generate(work.path(), Some(&server_url()), tmp.path())
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    // Roles belong to the server: dropping the scratch database did not drop it.
    let second = generate(work.path(), Some(&server_url()), tmp.path())
        .output()
        .unwrap();
    admin
        .batch_execute(&format!("DROP ROLE IF EXISTS {ROLE}"))
        .await
        .unwrap();
    no_panic(&second);
    let stderr = text(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("role \"{ROLE}\" already exists"))
            && stderr.contains("roles belong to the whole PostgreSQL server"),
        "{stderr}"
    );
}
