//! `generate` / `check` on this repository's own inputs, in temp copies, against a real
//! PostgreSQL: freshness, staleness with a diff, all-or-nothing writes, the zero-config
//! throw-away cluster and Ctrl-C clean-up.

mod common;
use common::{project_copy, repo_root, snapshot, text};

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use messenger_test_support::server_url;

fn messenger_gen(dir: &Path, args: &[&str], url: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_messenger-gen"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL");
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
    cmd.output().unwrap()
}

#[test]
fn check_passes_on_the_committed_tree() {
    let out = messenger_gen(
        &repo_root(),
        &["check", "--deny-warnings"],
        Some(&server_url()),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "generated/ is stale; run `cargo run -p messenger-gen -- generate`:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "generated is up to date\n");
}

#[test]
fn the_demo_application_is_fresh_and_has_no_warnings() {
    let config = repo_root().join("examples/demo/messenger-gen.toml");
    let args = [
        "check",
        "--deny-warnings",
        "--config",
        config.to_str().unwrap(),
    ];
    let out = messenger_gen(&repo_root(), &args, Some(&server_url()));
    assert_eq!(
        out.status.code(),
        Some(0),
        "examples/demo/generated is stale; run `cargo run -p messenger-gen -- generate \
         --config examples/demo/messenger-gen.toml`:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn check_fails_with_a_diff_after_a_query_changes() {
    let work = project_copy();
    let file = work.path().join("queries/transports.sql");
    let mut sql = std::fs::read_to_string(&file).unwrap();
    sql.push_str("\n--! count_transports\n--- How many transports there are.\nSELECT count(*) AS n FROM messenger_transports;\n");
    std::fs::write(&file, sql).unwrap();

    let out = messenger_gen(work.path(), &["check"], Some(&server_url()));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let diff = text(&out.stdout);
    assert!(
        diff.contains("--- a/generated/queries/src/queries/transports.rs\n+++ b/generated/queries/src/queries/transports.rs\n"),
        "{diff}"
    );
    assert!(diff.contains("+pub fn count_transports()"), "{diff}");
    assert!(text(&out.stderr).contains("generated is stale"));

    // generate then makes check pass again.
    let generate = messenger_gen(work.path(), &["generate"], Some(&server_url()));
    assert_eq!(
        generate.status.code(),
        Some(0),
        "{}",
        text(&generate.stderr)
    );
    assert_eq!(
        messenger_gen(work.path(), &["check"], Some(&server_url()))
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn generate_after_a_broken_query_leaves_generated_untouched() {
    let work = project_copy();
    let before = snapshot(&work.path().join("generated"));
    std::fs::write(
        work.path().join("queries/broken.sql"),
        "--! broken\nSELECT no_such_column FROM messenger_messages;\n",
    )
    .unwrap();
    let out = messenger_gen(work.path(), &["generate"], Some(&server_url()));
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("[queries/broken.sql:2:8]"), "{stderr}");
    assert!(
        stderr.contains("column \"no_such_column\" does not exist"),
        "{stderr}"
    );
    assert_eq!(snapshot(&work.path().join("generated")), before);
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "staging directories left: {leftovers:?}"
    );
}

/// A directory for TMPDIR that the `postgres` user can traverse (the cluster lives in it).
fn shared_tmp() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn without_a_url_a_throw_away_cluster_is_used_and_removed() {
    let work = project_copy();
    let tmp = shared_tmp();
    let out = Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
        .arg("check")
        .current_dir(work.path())
        .env_remove("DATABASE_URL")
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "cluster directory left behind: {left:?}");
    assert!(cluster_processes(tmp.path()).is_empty());
}

/// PIDs of processes whose command line mentions `dir`.
fn cluster_processes(dir: &Path) -> Vec<u32> {
    let needle = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains(&needle))
        })
        .collect()
}

/// Starts `check` on inputs whose migration sleeps, waits until `ready` says the database
/// work has begun, sends SIGINT, and returns the exit code and the process id.
fn interrupt_during_migration(
    work: &Path,
    url: Option<&str>,
    tmp: &Path,
    ready: impl Fn() -> bool,
) -> (Option<i32>, u32) {
    std::fs::write(work.join("schema/V99__slow.sql"), "SELECT pg_sleep(60);").unwrap();
    std::fs::write(work.join("schema/rollback/V99__slow.sql"), "SELECT 1;").unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_messenger-gen"));
    cmd.arg("check")
        .current_dir(work)
        .env_remove("DATABASE_URL")
        .env("TMPDIR", tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "the migration never started");
        assert!(
            child.try_wait().unwrap().is_none(),
            "messenger-gen exited early"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    #[allow(unsafe_code)]
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), child.id());
        }
        assert!(Instant::now() < deadline, "messenger-gen ignored SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn ctrl_c_stops_and_removes_the_throw_away_cluster() {
    let work = project_copy();
    let tmp = shared_tmp();
    let tmp_path = tmp.path().to_path_buf();
    // Ready once the server's socket exists; the sleep in interrupt_during_migration then
    // lets the (fast) V1 migration finish, so the signal lands during V99's pg_sleep.
    let (code, _) = interrupt_during_migration(work.path(), None, tmp.path(), || {
        std::fs::read_dir(&tmp_path).unwrap().any(|cluster| {
            std::fs::read_dir(cluster.unwrap().path()).is_ok_and(|mut files| {
                files.any(|f| {
                    f.unwrap()
                        .file_name()
                        .to_string_lossy()
                        .starts_with(".s.PGSQL")
                })
            })
        })
    });
    assert_eq!(code, Some(130));
    assert!(
        cluster_processes(tmp.path()).is_empty(),
        "the cluster still runs"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "cluster directory left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_drops_the_scratch_database() {
    let admin = messenger_test_support::connect(&server_url()).await;
    let work = project_copy();
    let tmp = shared_tmp();
    let sleeping = || {
        let admin = &admin;
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                admin
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity
                          WHERE datname LIKE 'messenger_gen_%' AND query LIKE '%pg_sleep(60)%'",
                        &[],
                    )
                    .await
                    .unwrap()
                    .get::<_, i64>(0)
                    > 0
            })
        })
    };
    let (code, pid) =
        interrupt_during_migration(work.path(), Some(&server_url()), tmp.path(), sleeping);
    assert_eq!(code, Some(130));
    assert!(!sleeping(), "the migration still runs");
    // Scratch databases are named messenger_gen_<pid>_<n>_<nanos>.
    let left: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE $1",
            &[&format!("messenger_gen_{pid}_%")],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "a scratch database was left behind");
}

#[test]
fn config_file_paths_are_relative_to_the_file() {
    let work = project_copy();
    std::fs::write(
        work.path().join("messenger-gen.toml"),
        "include-queue = false\noutput = \"out\"\n[rust]\ncrate-name = \"my-queries\"\ndir = \"rust-queries\"\n",
    )
    .unwrap();
    let config = work.path().join("messenger-gen.toml");
    let elsewhere = tempfile::tempdir().unwrap();
    let args = ["generate", "--config", config.to_str().unwrap()];
    let out = messenger_gen(elsewhere.path(), &args, Some(&server_url()));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let manifest =
        std::fs::read_to_string(work.path().join("out/rust-queries/Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"my-queries\""), "{manifest}");
    assert!(
        work.path()
            .join("out/jsonschema/tables/messenger_messages.row.schema.json")
            .is_file()
    );
    let check = ["check", "--config", config.to_str().unwrap()];
    assert_eq!(
        messenger_gen(elsewhere.path(), &check, Some(&server_url()))
            .status
            .code(),
        Some(0)
    );
    // An unknown key is an input error naming the file.
    std::fs::write(&config, "outptu = \"x\"\n").unwrap();
    let out = messenger_gen(elsewhere.path(), &check, Some(&server_url()));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("messenger-gen.toml"),
        "{}",
        text(&out.stderr)
    );
}

// Issue 9, item 17: check never writes, so its --deny-warnings error does not say "nothing
// written"; generate's does.
#[test]
fn deny_warnings_says_nothing_written_only_for_generate() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("schema")).unwrap();
    std::fs::create_dir_all(work.path().join("queries")).unwrap();
    std::fs::write(
        work.path().join("schema/V1__items.sql"),
        "CREATE TABLE items (id int PRIMARY KEY, note text);",
    )
    .unwrap();
    std::fs::write(
        work.path().join("queries/items.sql"),
        "--! notes\nSELECT id, note FROM items;\n",
    )
    .unwrap();
    std::fs::write(
        work.path().join("messenger-gen.toml"),
        "include-queue = false\n",
    )
    .unwrap();
    let check = messenger_gen(
        work.path(),
        &["check", "--deny-warnings"],
        Some(&server_url()),
    );
    assert_eq!(check.status.code(), Some(2));
    let stderr = text(&check.stderr);
    assert!(
        stderr.contains("error: 1 warning(s) and --deny-warnings\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("nothing written"), "{stderr}");
    let generate = messenger_gen(
        work.path(),
        &["generate", "--deny-warnings"],
        Some(&server_url()),
    );
    assert_eq!(generate.status.code(), Some(2));
    assert!(text(&generate.stderr).contains("--deny-warnings: nothing written"));
    assert!(!work.path().join("generated").exists());
}
