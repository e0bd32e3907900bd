//! `messenger-gen.toml`: where the inputs are, where output goes, and Rust type settings.
//! Every key is optional; this repository needs no file.

use std::path::{Component, Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;

/// The configuration file looked for in the working directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "messenger-gen.toml";

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    #[diagnostic(code(config::unreadable))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has an unknown key or a value of the wrong type.
    #[error("{message}")]
    #[diagnostic(
        code(config::invalid),
        help("every key is optional; see \"Configuration\" in the README")
    )]
    Invalid {
        /// What is wrong.
        message: String,
        /// The file.
        #[source_code]
        source_code: NamedSource<String>,
        /// Where.
        #[label("here")]
        span: Option<SourceSpan>,
    },
    /// `[rust] dir` would put the query crate outside the output directory.
    #[error("{}: [rust] dir = {:?} {reason}", file.display(), dir.display())]
    #[diagnostic(code(config::rust_dir))]
    RustDir {
        /// The configuration file.
        file: PathBuf,
        /// The value.
        dir: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `[rust.types]` is not what cornucopia accepts.
    #[error("[rust.types]: {0}")]
    #[diagnostic(code(config::rust_types))]
    RustTypes(String),
}

/// Resolved configuration; relative paths are relative to the config file's directory
/// (or the working directory when there is no file).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// The migrations directory (refinery `V{n}__{name}.sql`).
    pub schema: PathBuf,
    /// The annotated queries directory (cornucopia syntax).
    pub queries: PathBuf,
    /// The output directory, written only by `messenger-gen generate`.
    pub output: PathBuf,
    /// Whether `schema` holds an application's migrations, applied after the queue's own
    /// (built into messenger-gen; the default), or a standalone schema (`false`: only
    /// `schema` is applied; this repository's own top level, whose `schema/` is the queue).
    pub include_queue: bool,
    /// The file this configuration was read from; `None` for the defaults.
    #[serde(skip)]
    pub file: Option<PathBuf>,
    /// Settings of the generated Rust query crate.
    pub rust: RustConfig,
}

/// Settings of the generated Rust query crate.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RustConfig {
    /// The package name of the generated crate.
    pub crate_name: String,
    /// Its directory, relative to the output directory.
    pub dir: PathBuf,
    /// Type mappings and derives, passed to cornucopia as its `[types]` table.
    pub types: Option<toml::Table>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            schema: "schema".into(),
            queries: "queries".into(),
            output: "generated".into(),
            include_queue: true,
            file: None,
            rust: RustConfig::default(),
        }
    }
}

impl Default for RustConfig {
    fn default() -> RustConfig {
        RustConfig {
            crate_name: "messenger-queries".into(),
            dir: "queries".into(),
            types: None,
        }
    }
}

impl Config {
    /// Loads `file`, or `messenger-gen.toml` in the working directory if present, or defaults.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match file {
            Some(path) => path.to_path_buf(),
            None if Path::new(DEFAULT_FILE).is_file() => PathBuf::from(DEFAULT_FILE),
            None => return Ok(Config::default()),
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            message: e.message().trim_end().to_owned(),
            span: e.span().map(SourceSpan::from),
            source_code: NamedSource::new(path.display().to_string(), text.clone()),
        })?;
        // The query crate is written under the output directory and nowhere else.
        let refused = |reason| ConfigError::RustDir {
            file: path.clone(),
            dir: config.rust.dir.clone(),
            reason,
        };
        if config.rust.dir.as_os_str().is_empty() {
            return Err(refused(
                "is empty; name a directory under the output directory",
            ));
        }
        if !config
            .rust
            .dir
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(refused(
                "leaves the output directory; it must be a relative path without `..`",
            ));
        }
        config.file = Some(path.clone());
        let base = path.parent().unwrap_or(Path::new(""));
        for dir in [&mut config.schema, &mut config.queries, &mut config.output] {
            if dir.is_relative() {
                *dir = base.join(&*dir);
            }
        }
        Ok(config)
    }

    /// cornucopia's `Types` from `[rust.types]`.
    pub fn cornucopia_types(&self) -> Result<cornucopia::config::Types, ConfigError> {
        match &self.rust.types {
            None => Ok(cornucopia::config::Types::default()),
            Some(table) => table
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::RustTypes(e.to_string())),
        }
    }
}
