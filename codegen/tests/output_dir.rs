//! The output directory as users can get it wrong (issue 9, items 1, 2, 3 and 16): `generate`
//! replaces only a directory it owns, never one that overlaps the inputs or a user's file; the
//! query crate stays inside it; a write that cannot finish changes nothing and leaves nothing;
//! `check` does not hang on a FIFO and names what is not a file.

mod common;
use common::{dot_entries, no_panic, project_copy, snapshot, text};

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use messenger_test_support::server_url;

fn messenger_gen(dir: &Path, args: &[&str], url: &str) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    no_panic(&out);
    out
}

/// Nothing listens on port 1: a refusal must come before any database work (exit 2, not 3).
const NO_SERVER: &str = "postgres://postgres@127.0.0.1:1/postgres";

fn write_config(dir: &Path, toml: &str) {
    std::fs::write(dir.join("o.toml"), toml).unwrap();
}

#[test]
fn output_overlapping_an_input_or_the_config_directory_is_refused_untouched() {
    let work = project_copy();
    let before = snapshot(work.path());
    for (output, named) in [
        ("schema", "it overlaps `schema`"),
        ("queries", "it overlaps `queries`"),
        ("schema/rollback", "it overlaps `schema`"),
        (".", "the configuration's own directory"),
        ("..", "the configuration's own directory"),
    ] {
        write_config(work.path(), &format!("output = {output:?}\n"));
        let out = messenger_gen(work.path(), &["generate", "--config", "o.toml"], NO_SERVER);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{output}: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("refusing to write") && stderr.contains(named),
            "{output}: {stderr}"
        );
        std::fs::remove_file(work.path().join("o.toml")).unwrap();
        assert_eq!(snapshot(work.path()), before, "{output}: something changed");
        assert!(dot_entries(work.path()).is_empty());
    }
}

#[test]
fn a_file_or_a_foreign_directory_is_never_replaced() {
    let work = project_copy();
    // A regular file named as the output: kept as it is.
    std::fs::write(work.path().join("notes.txt"), "mine\n").unwrap();
    write_config(work.path(), "output = \"notes.txt\"\n");
    let out = messenger_gen(work.path(), &["generate", "--config", "o.toml"], NO_SERVER);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("it is a file, not a directory"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(work.path().join("notes.txt")).unwrap(),
        "mine\n"
    );

    // A directory of the user's (no marker, files generate does not write): refused after
    // generating, before anything is touched.
    let mine = work.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("README.md"), "# mine\n").unwrap();
    write_config(work.path(), "output = \"mine\"\n");
    let out = messenger_gen(
        work.path(),
        &["generate", "--config", "o.toml"],
        &server_url(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("README.md") && stderr.contains(".messenger-gen marker"),
        "{stderr}"
    );
    assert_eq!(
        snapshot(&mine),
        [("README.md".into(), b"# mine\n".to_vec())]
    );
    assert!(dot_entries(work.path()).is_empty());

    // An empty directory, and then its own output (with the marker), are generate's.
    let empty = work.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    write_config(work.path(), "output = \"empty\"\n");
    for _ in 0..2 {
        let out = messenger_gen(
            work.path(),
            &["generate", "--config", "o.toml"],
            &server_url(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(empty.join(".messenger-gen").is_file());
    }
}

#[test]
fn a_rust_dir_outside_the_output_directory_is_refused() {
    let work = project_copy();
    let outside = tempfile::tempdir().unwrap();
    // Beside the temp copy, under a name nothing else uses.
    let escaped = format!(
        "{}-escaped",
        work.path().file_name().unwrap().to_string_lossy()
    );
    for dir in [
        format!("../../{escaped}"),
        "queries/../../escape".to_owned(),
        outside.path().join("abs").display().to_string(),
    ] {
        write_config(work.path(), &format!("[rust]\ndir = {dir:?}\n"));
        let out = messenger_gen(work.path(), &["generate", "--config", "o.toml"], NO_SERVER);
        assert_eq!(out.status.code(), Some(2), "{dir}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("[rust] dir") && stderr.contains("leaves the output directory"),
            "{dir}: {stderr}"
        );
    }
    assert!(!work.path().parent().unwrap().join(&escaped).exists());
    assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
}

#[test]
fn a_rust_dir_spelled_with_dot_slash_is_fresh_right_after_generate() {
    let work = project_copy();
    write_config(work.path(), "[rust]\ndir = \"./queries\"\n");
    let url = server_url();
    for command in ["generate", "check"] {
        let out = messenger_gen(work.path(), &[command, "--config", "o.toml"], &url);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{command}: {}",
            text(&out.stderr)
        );
    }
}

/// Makes `file` impossible to remove: `chattr +i` as root (permissions do not stop root), a
/// read-only directory otherwise. Undone on drop.
struct Unmovable(std::path::PathBuf);

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| text(&o.stdout).trim() == "0")
}

impl Unmovable {
    fn new(file: &Path) -> Unmovable {
        if is_root() {
            let status = Command::new("chattr")
                .arg("+i")
                .arg(file)
                .status()
                .expect("chattr (apt-get install e2fsprogs) is needed for this test");
            assert!(status.success(), "chattr +i failed on {}", file.display());
        } else {
            use std::os::unix::fs::PermissionsExt;
            let dir = file.parent().unwrap();
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        }
        Unmovable(file.to_owned())
    }
}

impl Drop for Unmovable {
    fn drop(&mut self) {
        if is_root() {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        } else {
            use std::os::unix::fs::PermissionsExt;
            let dir = self.0.parent().unwrap();
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn a_file_that_cannot_be_removed_stops_generate_before_anything_changes() {
    let work = project_copy();
    // Make the new tree differ, so a swap would matter.
    let sql = work.path().join("queries/transports.sql");
    let mut text_sql = std::fs::read_to_string(&sql).unwrap();
    text_sql.push_str("\n--! count_transports\nSELECT count(*) AS n FROM messenger_transports;\n");
    std::fs::write(&sql, text_sql).unwrap();
    let generated = work.path().join("generated");
    let before = snapshot(&generated);
    let locked =
        Unmovable::new(&generated.join("jsonschema/tables/messenger_messages.row.schema.json"));
    let out = messenger_gen(work.path(), &["generate"], &server_url());
    drop(locked);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("messenger_messages.row.schema.json")
            && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert_eq!(snapshot(&generated), before, "generated/ changed");
    assert!(
        dot_entries(work.path()).is_empty(),
        "staging or backup left: {:?}",
        dot_entries(work.path())
    );
    // Once the file can go, the same command succeeds and leaves nothing either.
    let out = messenger_gen(work.path(), &["generate"], &server_url());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dot_entries(work.path()).is_empty());
}

#[test]
fn check_names_a_fifo_and_a_symlink_instead_of_hanging() {
    let work = project_copy();
    let generated = work.path().join("generated");
    let status = Command::new("mkfifo")
        .arg(generated.join("pipe"))
        .status()
        .expect("mkfifo (coreutils) is needed for this test");
    assert!(status.success());
    std::os::unix::fs::symlink(work.path().join("schema"), generated.join("linked")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
        .arg("check")
        .current_dir(work.path())
        .env("DATABASE_URL", server_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("check hangs on a FIFO in generated/");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("generated/pipe is a named pipe (FIFO)")
            && stdout.contains("generated/linked is a symbolic link"),
        "{stdout}"
    );
}
