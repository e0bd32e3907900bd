//! The only code that touches the output directory: read it, write it all-or-nothing, and diff
//! it against freshly generated files for `check`.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Two generated files with the same path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("two generated files have the same path {}", .0.display())]
pub struct DuplicatePath(pub PathBuf);

/// Generated files: path relative to the output directory → contents. Ordered, so output and
/// diffs are stable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileMap {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl FileMap {
    /// An empty map.
    pub fn new() -> FileMap {
        FileMap::default()
    }

    /// Adds a file. A path added twice is refused, not overwritten: two parts of the generator
    /// (or an output directory configured on top of another's files) would otherwise lose one
    /// file silently.
    pub fn insert(
        &mut self,
        path: impl Into<PathBuf>,
        contents: impl Into<Vec<u8>>,
    ) -> Result<(), DuplicatePath> {
        match self.files.entry(path.into()) {
            std::collections::btree_map::Entry::Occupied(taken) => {
                Err(DuplicatePath(taken.key().clone()))
            }
            std::collections::btree_map::Entry::Vacant(free) => {
                free.insert(contents.into());
                Ok(())
            }
        }
    }

    /// Adds every file of `other` under `prefix` (each as [`FileMap::insert`] does).
    pub fn extend_under(&mut self, prefix: &Path, other: FileMap) -> Result<(), DuplicatePath> {
        for (path, contents) in other.files {
            self.insert(prefix.join(path), contents)?;
        }
        Ok(())
    }

    /// Replaces every `.rs` file with `format(path, text)` (rustfmt, in the pipeline).
    pub fn format_rust<E>(
        &mut self,
        format: impl Fn(&str, &str) -> Result<String, E>,
    ) -> Result<(), E> {
        for (path, contents) in &mut self.files {
            if path.extension().is_some_and(|ext| ext == "rs") {
                let text = String::from_utf8_lossy(contents).into_owned();
                *contents = format(&path.display().to_string(), &text)?.into_bytes();
            }
        }
        Ok(())
    }

    /// The files in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&PathBuf, &Vec<u8>)> {
        self.files.iter()
    }

    /// One file's contents.
    pub fn get(&self, path: &Path) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Reads every file below `dir` (an absent directory is an empty map).
    pub fn read_dir(dir: &Path) -> io::Result<FileMap> {
        let mut map = FileMap::new();
        if dir.exists() {
            read_into(dir, Path::new(""), &mut map)?;
        }
        Ok(map)
    }
}

fn read_into(root: &Path, rel: &Path, map: &mut FileMap) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(rel))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let rel = rel.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            read_into(root, &rel, map)?;
        } else {
            let contents = std::fs::read(root.join(&rel))?;
            map.insert(rel, contents).map_err(io::Error::other)?;
        }
    }
    Ok(())
}

/// Replaces `output` with exactly `files`, all or nothing: the files are written to a sibling
/// temp directory, which is then swapped in with two renames; on failure `output` is restored.
pub fn write_all(output: &Path, files: &FileMap) -> io::Result<()> {
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let name = output
        .file_name()
        .ok_or_else(|| io::Error::other("the output path has no directory name"))?
        .to_string_lossy()
        .into_owned();
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.new-"))
        .tempdir_in(&parent)?;
    for (path, contents) in files.iter() {
        let target = staging.path().join(path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(target, contents)?;
    }
    let backup = parent.join(format!(".{name}.old-{}", std::process::id()));
    let had_output = output.exists();
    if had_output {
        std::fs::rename(output, &backup)?;
    }
    let staged = staging.keep();
    if let Err(err) = std::fs::rename(&staged, output) {
        if had_output {
            let _ = std::fs::rename(&backup, output);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(err);
    }
    if had_output {
        std::fs::remove_dir_all(&backup)?;
    }
    Ok(())
}

/// A unified diff from `current` (on disk) to `fresh` (generated), with paths shown under
/// `shown_as` (the output directory as the user knows it). `None` when identical.
pub fn diff(current: &FileMap, fresh: &FileMap, shown_as: &Path) -> Option<String> {
    let mut out = String::new();
    let paths: std::collections::BTreeSet<&PathBuf> =
        current.files.keys().chain(fresh.files.keys()).collect();
    for path in paths {
        let old = current.files.get(path);
        let new = fresh.files.get(path);
        if old == new {
            continue;
        }
        let shown = shown_as.join(path);
        let shown = shown.display();
        let old_name = if old.is_some() {
            format!("a/{shown}")
        } else {
            "/dev/null".to_owned()
        };
        let new_name = if new.is_some() {
            format!("b/{shown}")
        } else {
            "/dev/null".to_owned()
        };
        let old_text = String::from_utf8_lossy(old.map_or(&[][..], Vec::as_slice));
        let new_text = String::from_utf8_lossy(new.map_or(&[][..], Vec::as_slice));
        let text_diff = similar::TextDiff::from_lines(old_text.as_ref(), new_text.as_ref());
        out.push_str(
            &text_diff
                .unified_diff()
                .context_radius(3)
                .header(&old_name, &new_name)
                .to_string(),
        );
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_all_replaces_the_whole_tree_and_diff_sees_every_change() {
        let root = tempfile::tempdir().unwrap();
        let output = root.path().join("generated");
        let mut first = FileMap::new();
        first.insert("a.txt", "one\n").unwrap();
        first.insert("sub/b.txt", "two\n").unwrap();
        write_all(&output, &first).unwrap();
        assert_eq!(FileMap::read_dir(&output).unwrap(), first);
        assert_eq!(diff(&first, &first, Path::new("generated")), None);

        let mut second = FileMap::new();
        second.insert("a.txt", "uno\n").unwrap();
        second.insert("c.txt", "three\n").unwrap();
        let shown = diff(&first, &second, Path::new("generated")).unwrap();
        assert!(shown.contains("--- a/generated/a.txt\n+++ b/generated/a.txt\n"));
        assert!(shown.contains("-one\n+uno\n"));
        assert!(shown.contains("--- a/generated/sub/b.txt\n+++ /dev/null\n"));
        assert!(shown.contains("--- /dev/null\n+++ b/generated/c.txt\n"));

        write_all(&output, &second).unwrap();
        assert_eq!(FileMap::read_dir(&output).unwrap(), second);
        let leftovers: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["generated"], "staging or backup left behind");
    }

    #[test]
    fn a_path_added_twice_is_refused_and_the_first_contents_kept() {
        let mut files = FileMap::new();
        files.insert("a/b.txt", "first").unwrap();
        assert_eq!(
            files.insert("a/b.txt", "second"),
            Err(DuplicatePath(PathBuf::from("a/b.txt")))
        );
        let mut other = FileMap::new();
        other.insert("b.txt", "third").unwrap();
        let err = files.extend_under(Path::new("a"), other).unwrap_err();
        assert_eq!(
            err.to_string(),
            "two generated files have the same path a/b.txt"
        );
        assert_eq!(files.get(Path::new("a/b.txt")), Some(&b"first"[..]));
        assert_eq!(files.len(), 1);
    }
}
