//! `messenger-gen validate` on fixture payload files (`tests/payloads/`) against the demo
//! application's generated schemas (`examples/demo`): human and JSON output as snapshots, and
//! the exit codes.

mod common;
use common::text;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

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
fn unknown_names_and_unreadable_files_exit_2() {
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

    let out = validate(
        &[
            "--transport",
            "email",
            "--type",
            "send_email",
            "no/such/file.json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: cannot read no/such/file.json: "));
}
