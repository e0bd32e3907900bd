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
    /// `schemas` is empty or lists a schema twice.
    #[error("{}: {reason}", file.display())]
    #[diagnostic(code(config::schemas))]
    Schemas {
        /// The configuration file.
        file: PathBuf,
        /// What is wrong.
        reason: String,
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
    /// The database schemas the supabase-js `Database` type describes, as `supabase gen types
    /// typescript --schema` does (default `["public"]`, as the Supabase CLI).
    pub schemas: Option<Vec<String>>,
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
            schemas: None,
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
        if let Some(schemas) = &config.schemas {
            let refused = |reason: String| ConfigError::Schemas {
                file: path.clone(),
                reason,
            };
            if schemas.is_empty() {
                return Err(refused(
                    "`schemas` is empty; list at least one schema (the default is [\"public\"])"
                        .to_owned(),
                ));
            }
            for (i, schema) in schemas.iter().enumerate() {
                if schemas[..i].contains(schema) {
                    return Err(refused(format!("`schemas` lists `{schema}` twice")));
                }
            }
        }
        // The query crate is written under the output directory and nowhere else.
        let refused = |reason| ConfigError::RustDir {
            file: path.clone(),
            dir: config.rust.dir.clone(),
            reason,
        };
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
        // `./queries` is `queries`: the generated files' paths are compared with those read
        // back from disk, which have no `.` in them.
        let normal: PathBuf = config
            .rust
            .dir
            .components()
            .filter(|c| matches!(c, Component::Normal(_)))
            .collect();
        if normal.as_os_str().is_empty() {
            return Err(refused(
                "is empty; name a directory under the output directory",
            ));
        }
        config.rust.dir = normal;
        config.file = Some(path.clone());
        let base = path.parent().unwrap_or(Path::new(""));
        for dir in [&mut config.schema, &mut config.queries, &mut config.output] {
            if dir.is_relative() {
                *dir = base.join(&*dir);
            }
        }
        Ok(config)
    }

    /// The schemas `Database` describes, and whether the configuration lists them (rather
    /// than the default `public`).
    pub fn database_schemas(&self) -> (Vec<String>, bool) {
        match &self.schemas {
            Some(schemas) => (schemas.clone(), true),
            None => (vec!["public".to_owned()], false),
        }
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

#[cfg(test)]
mod tests {
    use super::Config;
    use std::path::Path;

    fn load(text: &str) -> Result<Config, String> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("messenger-gen.toml");
        std::fs::write(&file, text).unwrap();
        Config::load(Some(&file)).map_err(|e| e.to_string())
    }

    #[test]
    fn the_rust_dir_is_normalised_and_dot_alone_is_refused() {
        let config = load("[rust]\ndir = \"./queries/./crate\"\n").unwrap();
        assert_eq!(config.rust.dir, Path::new("queries/crate"));
        for dir in [".", "./."] {
            let err = load(&format!("[rust]\ndir = {dir:?}\n")).unwrap_err();
            assert!(err.contains("is empty"), "{dir}: {err}");
        }
    }

    #[test]
    fn schemas_default_to_public_and_a_listed_one_is_explicit() {
        let config = load("").unwrap();
        assert_eq!(
            config.database_schemas(),
            (vec!["public".to_owned()], false)
        );
        let config = load("schemas = [\"public\", \"auth\"]\n").unwrap();
        assert_eq!(
            config.database_schemas(),
            (vec!["public".to_owned(), "auth".to_owned()], true)
        );
    }

    #[test]
    fn an_empty_or_repeating_schema_list_is_refused() {
        let empty = load("schemas = []\n").unwrap_err();
        assert!(empty.contains("`schemas` is empty"), "{empty}");
        let twice = load("schemas = [\"public\", \"public\"]\n").unwrap_err();
        assert!(twice.contains("lists `public` twice"), "{twice}");
    }
}
