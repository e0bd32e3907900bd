//! `messenger-gen validate` on fixture payload files (`tests/payloads/`) against the demo
//! application's generated schemas (`examples/demo`): human and JSON output as snapshots, and
//! the exit codes.

mod common;
use common::{no_panic, repo_root, text};

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `messenger-gen validate --config examples/demo/messenger-gen.toml <args>` from the
/// repository root, with fixture paths relative to it so the output is stable.
fn validate(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
        .args(["validate", "--config", "examples/demo/messenger-gen.toml"])
        .args(args)
        .current_dir(repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

const P: &str = "codegen/tests/payloads";

#[test]
fn valid_payloads_exit_0() {
    let out = validate(
        &[
            "--transport",
            "email",
            "--type",
            "send_email",
            &format!("{P}/valid_email.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{P}/valid_email.json: valid\n"));
}

#[test]
fn human_output_lists_every_error_and_exits_1() {
    let out = validate(
        &[
            "--transport",
            "email",
            "--type",
            "send_email",
            &format!("{P}/valid_email.json"),
            &format!("{P}/invalid_email.json"),
            &format!("{P}/truncated.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("human", text(&out.stdout));
}

#[test]
fn errors_in_nested_lists_point_at_the_item_and_its_field() {
    // One invalid line item (its sku, quantity, a missing field of its nested money, an unknown
    // key) and a null discount: each error names the item's index and the field inside it.
    let out = validate(
        &[
            "--transport",
            "orders",
            "--type",
            "order_placed",
            &format!("{P}/invalid_order.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for pointer in [
        "at /items/2/sku:",
        "at /items/2/quantity:",
        "at /items/2/unit_price:",
        "at /items/2:",
        "at /discounts/1:",
    ] {
        assert!(
            stdout.contains(pointer),
            "{pointer} missing from:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("at /items/0") && !stdout.contains("at /items/1"),
        "{stdout}"
    );
    insta::assert_snapshot!("nested", stdout);
}

#[test]
fn json_output_is_one_line_per_file_and_envelopes_need_no_type() {
    let out = validate(
        &[
            "--transport",
            "webhooks",
            "--format",
            "json",
            &format!("{P}/envelope_webhook.json"),
            &format!("{P}/envelope_without_type.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    for line in stdout.lines() {
        let parsed: serde_json::Value =
            serde_json::from_str(line).expect("one JSON object per line");
        assert!(
            parsed["file"].is_string()
                && parsed["valid"].is_boolean()
                && parsed["errors"].is_array()
        );
    }
    insta::assert_snapshot!("json", stdout);
}

#[test]
fn standard_input_is_read_for_a_dash() {
    let out = validate(
        &[
            "--transport",
            "notifications",
            "--type",
            "sms_notification",
            "-",
        ],
        Some(r#"{"phone_number": "+4915112345678", "message": "hi"}"#),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "-: valid\n");
}

#[test]
fn unknown_names_on_the_command_line_exit_2() {
    let out = validate(
        &["--transport", "pigeon", &format!("{P}/valid_email.json")],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: unknown transport `pigeon`; known transports: email, notifications, orders, webhooks\n"
    );

    let out = validate(
        &[
            "--transport",
            "webhooks",
            "--type",
            "send_email",
            &format!("{P}/valid_email.json"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: transport `webhooks` does not accept `send_email`; it accepts: webhook_delivery\n"
    );
}

/// Runs validate with stdout going to `stdout` (a file, or a pipe read by the caller).
fn validate_cmd(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_messenger-gen"));
    cmd.args(["validate", "--config", "examples/demo/messenger-gen.toml"])
        .args(args)
        .current_dir(repo_root());
    cmd
}

// Issue 9, item 6: a reader that goes away ends validate quietly; a full disk is an error.
#[test]
fn a_closed_pipe_ends_quietly_and_a_full_disk_is_an_error() {
    let file = format!("{P}/valid_email.json");
    // Far more output than a pipe buffer holds, so writes happen after the reader is gone.
    let mut args = vec!["--transport", "email", "--type", "send_email"];
    args.extend(std::iter::repeat_n(file.as_str(), 5000));
    let mut child = validate_cmd(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert_eq!(first, format!("{file}: valid\n"));
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(141), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "",
        "a closed pipe is not worth a message"
    );

    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = validate_cmd(&["--transport", "email", "--type", "send_email", &file])
        .stdout(full)
        .output()
        .unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: cannot write to standard output: No space left"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn check_to_a_full_disk_is_an_error_not_a_panic() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
        .args(["check", "--config", "examples/demo/messenger-gen.toml"])
        .current_dir(repo_root())
        .env("DATABASE_URL", messenger_test_support::server_url())
        .stdout(full)
        .output()
        .unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("No space left on device"));
}

// Issue 9, item 12: every file gets a verdict; the exit code is the worst one.
#[test]
fn an_unreadable_file_does_not_stop_the_others() {
    let files = [
        format!("{P}/valid_email.json"),
        "no/such/file.json".to_owned(),
        P.to_owned(),
        format!("{P}/invalid_email.json"),
    ];
    let mut args = vec!["--transport", "email", "--type", "send_email"];
    args.extend(files.iter().map(String::as_str));
    let out = validate(&args, None);
    no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    let verdicts: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("  ")).collect();
    assert_eq!(verdicts.len(), 4, "{stdout}");
    assert_eq!(verdicts[0], format!("{P}/valid_email.json: valid"));
    assert!(
        verdicts[1].starts_with("no/such/file.json: unreadable: cannot read no/such/file.json: "),
        "{stdout}"
    );
    assert!(
        verdicts[2].starts_with(&format!("{P}: unreadable: ")),
        "{stdout}"
    );
    assert_eq!(verdicts[3], format!("{P}/invalid_email.json: invalid"));

    args.extend(["--format", "json"]);
    let out = validate(&args, None);
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1]["file"], "no/such/file.json");
    assert_eq!(lines[1]["valid"], false);
    assert_eq!(lines[1]["errors"][0]["keyword"], "unreadable");

    // Without unreadable files the worst is 1.
    let out = validate(
        &[
            "--transport",
            "email",
            "--type",
            "send_email",
            &files[0],
            &files[3],
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
}

// Issue 9, item 13: standard input is not read past the limit.
#[test]
fn standard_input_stops_being_read_past_the_limit() {
    let mut child = validate_cmd(&["--transport", "email", "--type", "send_email", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // `yes`: writes until the reader goes away (or 256 MiB, far past any limit).
    let writer = std::thread::spawn(move || {
        let chunk = b"y\n".repeat(32 * 1024);
        let mut written = 0usize;
        while written < 256 << 20 {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
            written += chunk.len();
        }
        written
    });
    let out = child.wait_with_output().unwrap();
    let written = writer.join().unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .contains("larger than the limit of 1048576 bytes (reading stopped there)"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        written < 8 << 20,
        "read {written} bytes of an endless input"
    );
}

// Issue 9, item 14: a huge value is not echoed whole.
#[test]
fn a_huge_non_object_payload_is_not_echoed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.json");
    std::fs::write(&file, format!("\"{}\"", "x".repeat(800_000))).unwrap();
    let file = file.to_str().unwrap();
    let out = validate(
        &["--transport", "email", "--type", "send_email", file],
        None,
    );
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.len() < 2000, "{} bytes echoed", stdout.len());
    assert!(stdout.contains("(800002 bytes)"), "{stdout}");
}

// Issue 9, item 15: the command line is usage (exit 2), a file is a verdict (exit 1), with
// the same words; a byte order mark and a lone surrogate say what they are.
#[test]
fn unknown_types_bom_and_lone_surrogates_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let envelope = dir.path().join("envelope.json");
    std::fs::write(
        &envelope,
        r#"{"headers": {"message_type": "nope"}, "body": {}}"#,
    )
    .unwrap();
    let out = validate(&["--transport", "email", envelope.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let wording = "transport `email` does not accept `nope`; it accepts: send_email";
    assert!(text(&out.stdout).contains(wording), "{}", text(&out.stdout));
    let out = validate(
        &[
            "--transport",
            "email",
            "--type",
            "nope",
            envelope.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), format!("error: {wording}\n"));

    let bom = dir.path().join("bom.json");
    std::fs::write(&bom, b"\xEF\xBB\xBF{\"to_address\": \"a@b.c\"}").unwrap();
    let surrogate = dir.path().join("surrogate.json");
    std::fs::write(&surrogate, r#"{"to_address": "\ud800@b.c"}"#).unwrap();
    let out = validate(
        &[
            "--transport",
            "email",
            "--type",
            "send_email",
            bom.to_str().unwrap(),
            surrogate.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("byte order mark"), "{stdout}");
    assert!(
        stdout.contains("half of a UTF-16 surrogate pair"),
        "{stdout}"
    );
}
