//! `messenger-gen validate` on arbitrary input (issue 9): random bytes and random JSON (bounded
//! sizes), as bare payloads and as envelopes, through the real binary. Whatever comes in, it
//! does not panic, exits 0, 1 or 2, and `--format json` prints exactly one JSON object per
//! file with the documented fields.

mod common;
use common::{repo_root, text};

use std::io::Write;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use serde_json::Value;

/// Runs validate on `input` given on standard input; checks the properties; returns the code.
fn judge(extra: &[&str], input: &[u8]) -> Result<i32, TestCaseError> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
        .args(["validate", "--config", "examples/demo/messenger-gen.toml"])
        .args(["--transport", "email", "--format", "json"])
        .args(extra)
        .arg("-")
        .current_dir(repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The child may stop reading early (it never does below the limit, but a failed write
    // must not fail the test: its verdict is what is judged).
    let _ = stdin.write_all(input);
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    prop_assert!(!stderr.contains("panicked"), "panic: {}", stderr);
    let code = out.status.code().unwrap_or(-1);
    prop_assert!([0, 1, 2].contains(&code), "exit {} ({})", code, stderr);
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    prop_assert_eq!(lines.len(), 1, "one line per file: {:?}", stdout);
    let line: Value = serde_json::from_str(lines[0])
        .map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {}", lines[0])))?;
    prop_assert_eq!(&line["file"], "-");
    prop_assert!(
        line["valid"].is_boolean() && line["errors"].is_array(),
        "{}",
        line
    );
    prop_assert_eq!(line["valid"] == true, code == 0);
    for error in line["errors"].as_array().into_iter().flatten() {
        prop_assert!(
            error["pointer"].is_string()
                && error["keyword"].is_string()
                && error["message"].is_string(),
            "{}",
            error
        );
    }
    Ok(code)
}

/// Arbitrary JSON: scalars (odd strings and numbers included) nested up to depth 4, at most 8
/// entries per level, with keys from the payload's own fields so some values get far.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        Just(Value::String("a@b.c".into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let key = prop_oneof![
            Just("to_address".to_owned()),
            Just("subject".to_owned()),
            Just("headers".to_owned()),
            Just("message_type".to_owned()),
            Just("body".to_owned()),
            any::<String>(),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    // 24 cases of each, each judged twice by the real binary: a few seconds.
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_get_a_verdict(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        judge(&["--type", "send_email"], &bytes)?;
        judge(&[], &bytes)?;
    }

    #[test]
    fn arbitrary_json_gets_a_verdict(value in json()) {
        let text = value.to_string();
        judge(&["--type", "send_email"], text.as_bytes())?;
        let envelope = serde_json::json!({
            "headers": {"message_type": "send_email"},
            "body": value,
        });
        judge(&[], envelope.to_string().as_bytes())?;
    }
}
