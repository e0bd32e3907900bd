//! The verdicts of every judge on every case, and the report: per message type the counts,
//! then every disagreement with the payload, each judge's verdict and its messages.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use crate::corpus::{Case, SEED, STRICTER};
use crate::judges::Verdict;

/// Each message type's corpus has at least this many payloads.
pub const MIN_CASES: usize = 200;

/// Every judge's verdict on one case.
pub struct Judged<'a> {
    /// The case.
    pub case: &'a Case,
    /// The Rust `jsonschema` crate on the emitted payload schema.
    pub rust: Verdict,
    /// ajv on the emitted payload schema.
    pub ajv: Verdict,
    /// The generated Zod schema.
    pub zod: Verdict,
    /// The PostgreSQL oracle.
    pub postgres: Verdict,
    /// `schemars::schema_for!` of the generated struct.
    pub schemars: Verdict,
    /// The runtime validator, per transport accepting the type (none for nested-only types).
    pub runtime: Vec<(String, Verdict)>,
}

impl Judged<'_> {
    fn four(&self) -> [(&'static str, &Verdict); 4] {
        [
            ("rust jsonschema", &self.rust),
            ("ajv", &self.ajv),
            ("zod", &self.zod),
            ("postgres oracle", &self.postgres),
        ]
    }

    /// Whether the four judges give the same verdict.
    pub fn agree(&self) -> bool {
        let first = self.rust.valid;
        first.is_some() && self.four().iter().all(|(_, v)| v.valid == first)
    }

    /// Whether the Rust side (schemars, the runtime) agrees with the emitted payload schema.
    pub fn rust_side_agrees(&self) -> bool {
        self.schemars.valid == self.rust.valid
            && self.runtime.iter().all(|(_, v)| v.valid == self.rust.valid)
    }

    /// All four agree, but not with what the case was built for.
    pub fn against_intent(&self) -> bool {
        self.agree() && self.rust.valid != Some(self.case.intended_valid)
    }

    fn describe(&self, index: usize, with_rust_side: bool) -> String {
        let mut payload = self.case.payload.to_string();
        if payload.chars().count() > 400 {
            payload = payload.chars().take(400).collect::<String>() + "…";
        }
        let mut out = format!(
            "[{} #{index}] {} (built to be {})\n    payload: {payload}\n",
            self.case.message_type,
            self.case.label,
            if self.case.intended_valid {
                "valid"
            } else {
                "invalid"
            }
        );
        let mut judges: Vec<(String, &Verdict)> = self
            .four()
            .iter()
            .map(|(n, v)| ((*n).to_owned(), *v))
            .collect();
        if with_rust_side {
            judges.push(("schemars".to_owned(), &self.schemars));
            for (transport, verdict) in &self.runtime {
                judges.push((format!("runtime ({transport})"), verdict));
            }
        }
        for (name, verdict) in judges {
            let messages = verdict
                .messages
                .iter()
                .take(4)
                .cloned()
                .collect::<Vec<_>>()
                .join(" | ");
            let _ = writeln!(out, "    {name:<16} {:<10} {messages}", verdict.word());
        }
        out
    }

    /// The four verdicts in one line, to count disagreements by kind.
    fn pattern(&self) -> String {
        let verdicts = self
            .four()
            .iter()
            .map(|(name, v)| format!("{name}={}", v.word()))
            .collect::<Vec<_>>()
            .join(", ");
        if self.case.label.contains(STRICTER) {
            verdicts + " (postgres is stricter than the contract)"
        } else {
            verdicts
        }
    }
}

/// Writes every case with its verdicts to `path`, one JSON object per line.
pub fn dump(judged: &[Judged], path: &std::ffi::OsStr) {
    let lines: Vec<String> = judged
        .iter()
        .map(|j| {
            json!({
                "type": j.case.message_type, "label": j.case.label,
                "intended_valid": j.case.intended_valid, "payload": j.case.payload,
                "rust": j.rust.valid, "ajv": j.ajv.valid, "zod": j.zod.valid,
                "postgres": j.postgres.valid, "schemars": j.schemars.valid,
                "runtime": j.runtime.iter().map(|(t, v)| json!({"transport": t, "valid": v.valid})).collect::<Vec<_>>(),
                "postgres_messages": j.postgres.messages,
            })
            .to_string()
        })
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").expect("write AGREEMENT_DUMP");
}

/// The per-type table, and the failure report (empty when everything agrees).
pub fn report(
    corpora: &BTreeMap<String, Vec<Case>>,
    judged: &[Judged],
    setup_errors: &[String],
) -> (String, String) {
    let mut table = format!(
        "four-way agreement (valid/invalid per the PostgreSQL oracle), seed {SEED:#x}:\n\
         message type          cases  valid  invalid  disagreements  rust side≠emitted  against intent\n"
    );
    let mut too_small = Vec::new();
    for (name, corpus) in corpora {
        let of_type: Vec<&Judged> = judged
            .iter()
            .filter(|j| &j.case.message_type == name)
            .collect();
        let valid = of_type
            .iter()
            .filter(|j| j.postgres.valid == Some(true))
            .count();
        let disagreements = of_type.iter().filter(|j| !j.agree()).count();
        let rust_side = of_type.iter().filter(|j| !j.rust_side_agrees()).count();
        let off_intent = of_type.iter().filter(|j| j.against_intent()).count();
        let _ = writeln!(
            table,
            "{name:<20} {:>6} {valid:>6} {:>8} {disagreements:>14} {rust_side:>18} {off_intent:>15}",
            corpus.len(),
            of_type.len() - valid,
        );
        if corpus.len() < MIN_CASES {
            too_small.push(format!(
                "{name}: {} cases, fewer than {MIN_CASES}",
                corpus.len()
            ));
        }
    }

    let mut failure = String::new();
    if !setup_errors.is_empty() {
        let _ = writeln!(
            failure,
            "\n== judges that could not run ==\n{}",
            setup_errors.join("\n")
        );
    }
    if !too_small.is_empty() {
        let _ = writeln!(
            failure,
            "\n== corpora too small ==\n{}",
            too_small.join("\n")
        );
    }
    let section =
        |failure: &mut String, title: String, keep: &dyn Fn(&Judged) -> bool, rust_side: bool| {
            let chosen: Vec<(usize, &Judged)> =
                judged.iter().enumerate().filter(|(_, j)| keep(j)).collect();
            if chosen.is_empty() {
                return;
            }
            let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
            for (_, j) in &chosen {
                *kinds.entry(j.pattern()).or_default() += 1;
            }
            let _ = writeln!(
                failure,
                "\n== {} payloads {title} ==\nby verdicts:\n{}\n",
                chosen.len(),
                kinds
                    .iter()
                    .map(|(p, n)| format!("  {n:>4} × {p}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            for (i, j) in chosen {
                failure.push_str(&j.describe(i, rust_side));
            }
        };
    section(
        &mut failure,
        "on which the four judges disagree".into(),
        &|j| !j.agree(),
        false,
    );
    section(
        &mut failure,
        "on which the Rust side (schemars' schema of the generated struct, the runtime's transport validators) and the emitted payload schema disagree".into(),
        &|j| !j.rust_side_agrees(),
        true,
    );
    section(
        &mut failure,
        "all four judge against the corpus' intent (a corpus bug, or all four wrong)".into(),
        &|j| j.against_intent(),
        false,
    );
    (table, failure)
}
