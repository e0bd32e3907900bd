//! Formats generated Rust with the real rustfmt (it ships with the Rust toolchain), with fixed
//! settings, so the output is the same on every machine and `cargo fmt --check` is clean on it.

use std::io::Write;
use std::process::{Command, Stdio};

/// The settings the generated files are formatted with (rustfmt's defaults, edition 2024),
/// given explicitly so that no `rustfmt.toml` of the user's changes the output.
const SETTINGS: &str = "edition = \"2024\"\nstyle_edition = \"2024\"\nmax_width = 100\n";

/// Why the generated code could not be formatted.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// rustfmt is not installed.
    #[error(
        "cannot run rustfmt ({0}); messenger-gen formats the Rust it generates with it: \
         install it with `rustup component add rustfmt`"
    )]
    Missing(std::io::Error),
    /// rustfmt refused the code (a bug in an emitter).
    #[error("rustfmt refused the generated {path}: {stderr}")]
    Refused {
        /// The generated file.
        path: String,
        /// What rustfmt said.
        stderr: String,
    },
}

/// `source` as rustfmt formats it.
pub fn format(path: &str, source: &str) -> Result<String, FormatError> {
    let config = tempfile::Builder::new()
        .prefix("messenger-gen-rustfmt")
        .tempdir()
        .map_err(FormatError::Missing)?;
    let config_file = config.path().join("rustfmt.toml");
    std::fs::write(&config_file, SETTINGS).map_err(FormatError::Missing)?;
    let mut child = Command::new(std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into()))
        .arg("--emit=stdout")
        .arg("--config-path")
        .arg(&config_file)
        .current_dir(config.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(FormatError::Missing)?;
    // Written from another thread: rustfmt may fill its stdout pipe before it has read all of
    // its input.
    let Some(mut stdin) = child.stdin.take() else {
        return Err(FormatError::Missing(std::io::Error::other(
            "rustfmt has no stdin",
        )));
    };
    let input = source.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(FormatError::Missing)?;
    let written = writer.join().unwrap_or(Ok(()));
    if !output.status.success() || written.is_err() {
        return Err(FormatError::Refused {
            path: path.to_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    String::from_utf8(output.stdout).map_err(|e| FormatError::Refused {
        path: path.to_owned(),
        stderr: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_like_cargo_fmt() {
        let formatted = super::format("x.rs", "fn  main( ){let x=1;}").unwrap();
        assert_eq!(formatted, "fn main() {\n    let x = 1;\n}\n");
        assert!(matches!(
            super::format("x.rs", "fn main( {"),
            Err(super::FormatError::Refused { .. })
        ));
    }
}
