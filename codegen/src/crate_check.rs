//! The check of the crate cornucopia writes, in memory: every `.rs` file must parse as Rust
//! (`syn`, the parser of Rust's procedural macros) and every `mod name;` must have its file
//! (`name.rs` or `name/mod.rs` beside the declaring module, as rustc looks for it). cornucopia
//! formats its crate with rustfmt but ignores the outcome, so a crate that does not compile
//! would otherwise be written behind an exit 0. (Until 2026-12 this ran `rustfmt --check` over
//! the crate: a process that took 0.8 s for 1,000 queries; parsing here takes 0.2 s, on two
//! threads beside the rest of the pipeline.)

use std::path::{Path, PathBuf};

use crate::write::FileMap;

/// Checks `files` (paths relative to the crate's root, `src/lib.rs` its root module); the
/// error names the file, and the line and column of a syntax error.
pub fn check(files: &FileMap) -> Result<(), String> {
    let lib = Path::new("src/lib.rs");
    if files.get(lib).is_none() {
        return Err("it has no src/lib.rs".to_owned());
    }
    let sources: Vec<(&PathBuf, &Vec<u8>)> = files
        .iter()
        .filter(|(path, _)| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    // Two halves on two threads: a large crate (1,000 queries: 6 MB) parses in half the time.
    let (first, second) = sources.split_at(sources.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| check_files(files, second));
        let mine = check_files(files, first);
        mine.and(
            other
                .join()
                .unwrap_or_else(|_| Err("the check panicked".to_owned())),
        )
    })
}

/// Checks the `sources` of `files`.
fn check_files(files: &FileMap, sources: &[(&PathBuf, &Vec<u8>)]) -> Result<(), String> {
    for (path, contents) in sources {
        let text = std::str::from_utf8(contents)
            .map_err(|e| format!("{} is not UTF-8: {e}", path.display()))?;
        let file = syn::parse_file(text).map_err(|e| {
            let at = e.span().start();
            format!("{}:{}:{}: {e}", path.display(), at.line, at.column + 1)
        })?;
        let dir = module_dir(path);
        for name in declared_modules(&file.items) {
            let candidates = [
                dir.join(format!("{name}.rs")),
                dir.join(&name).join("mod.rs"),
            ];
            if !candidates.iter().any(|c| files.get(c).is_some()) {
                return Err(format!(
                    "{} declares `mod {name};` but neither {} nor {} exists",
                    path.display(),
                    candidates[0].display(),
                    candidates[1].display()
                ));
            }
        }
    }
    Ok(())
}

/// Where the file modules declared in `path` live: beside it for `lib.rs`, `main.rs` and
/// `mod.rs`, in a directory of its name otherwise (`src/queries.rs` → `src/queries/`).
fn module_dir(path: &Path) -> PathBuf {
    let parent = path.parent().unwrap_or(Path::new("")).to_path_buf();
    match path.file_stem().and_then(|s| s.to_str()) {
        Some("lib" | "main" | "mod") | None => parent,
        Some(stem) => parent.join(stem),
    }
}

/// The modules declared without a body (`mod name;`) at the top of a file. (Inline modules
/// with `#[path]` or nested file modules do not occur in cornucopia's output.)
fn declared_modules(items: &[syn::Item]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if m.content.is_none() => {
                Some(m.ident.to_string().trim_start_matches("r#").to_owned())
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::write::FileMap;

    fn crate_of(files: &[(&str, &str)]) -> FileMap {
        let mut map = FileMap::new();
        for (path, text) in files {
            map.insert(*path, *text).unwrap();
        }
        map
    }

    #[test]
    fn a_crate_whose_files_parse_and_whose_modules_exist_passes() {
        let files = crate_of(&[
            ("Cargo.toml", "[package]"),
            ("src/lib.rs", "pub mod queries;\npub mod types {}\n"),
            ("src/queries.rs", "pub mod r#type;\npub mod items;\n"),
            ("src/queries/type.rs", "pub fn r#type() {}\n"),
            ("src/queries/items/mod.rs", "pub fn items() {}\n"),
        ]);
        assert_eq!(check(&files), Ok(()));
    }

    #[test]
    fn a_syntax_error_names_the_file_line_and_column() {
        let files = crate_of(&[
            ("src/lib.rs", "pub mod queries;\n"),
            ("src/queries.rs", "pub fn ok() {}\npub fn 1abc() {}\n"),
        ]);
        let err = check(&files).unwrap_err();
        assert!(err.starts_with("src/queries.rs:2:8: "), "{err}");
    }

    #[test]
    fn a_module_without_its_file_is_named() {
        let files = crate_of(&[
            ("src/lib.rs", "pub mod queries;\n"),
            ("src/queries.rs", "pub mod dead_letters;\n"),
        ]);
        let err = check(&files).unwrap_err();
        assert!(
            err.contains("src/queries.rs declares `mod dead_letters;`")
                && err.contains("src/queries/dead_letters.rs"),
            "{err}"
        );
    }

    #[test]
    fn a_keyword_as_a_name_does_not_parse() {
        let files = crate_of(&[("src/lib.rs", "pub mod type;\n")]);
        assert!(check(&files).is_err());
        let files = crate_of(&[("src/lib.rs", "pub fn match() {}\n")]);
        assert!(check(&files).is_err());
    }

    #[test]
    fn no_lib_rs_is_an_error() {
        assert!(check(&crate_of(&[("Cargo.toml", "")])).is_err());
    }
}
