//! The only code that touches the output directory: decide whether it may be replaced, write
//! it all-or-nothing, and read it back for `check`'s diff.
//!
//! The output directory is replaced as a whole, so `generate` replaces only a directory it
//! owns: one that is absent or empty, one that carries the [`MARKER`] file it writes, or one
//! whose files are all files it writes (output of a messenger-gen from before the marker). It
//! never replaces a file or a symbolic link, and never an output that overlaps the inputs.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::config::Config;
use crate::owner;

/// The file that marks a directory as written by `messenger-gen generate`.
pub const MARKER: &str = ".messenger-gen";

/// The marker's contents (fixed, so `check` compares it like any other file).
pub const MARKER_TEXT: &str = "\
# This directory is written by `messenger-gen generate`, which replaces all of it: edit the SQL
# it is generated from instead. This file marks the directory as generated; without it,
# messenger-gen refuses to replace a directory that holds files it did not write.
";

/// Why the output directory could not be read, replaced or written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output path may not be replaced; nothing was changed.
    #[error("refusing to write {}: {reason}", path.display())]
    Refused {
        /// The output path.
        path: PathBuf,
        /// Why, and what to do instead.
        reason: String,
    },
    /// A file system operation failed; `output` is as it was before.
    #[error("cannot write {}: {what} {}: {source}; nothing was changed", output.display(), path.display())]
    Io {
        /// The output directory.
        output: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The file it was done to.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The new files are in place, but putting the old ones back after a failure failed: they
    /// are kept in `kept`.
    #[error(
        "cannot write {}: {source}; restoring the previous files failed too, they are in {}",
        output.display(), kept.display()
    )]
    Restore {
        /// The output directory.
        output: PathBuf,
        /// Where the previous files are.
        kept: PathBuf,
        /// The first error.
        source: io::Error,
    },
    /// The output directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

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

    /// Replaces the contents of a file that is there, or adds it (a stage rewriting what an
    /// earlier one produced, such as the query crate's `lib.rs`).
    pub fn replace(&mut self, path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), contents.into());
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

    /// Reads every regular file below `dir` (an absent directory is an empty map). Anything
    /// else — a symbolic link, a named pipe, a socket, a device — is listed in `others`
    /// instead of being opened: reading a FIFO would wait for a writer forever.
    pub fn read_dir(dir: &Path) -> Result<OnDisk, WriteError> {
        let mut on_disk = OnDisk::default();
        match std::fs::symlink_metadata(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(on_disk),
            Err(source) => {
                return Err(WriteError::Read {
                    path: dir.to_owned(),
                    source,
                });
            }
            Ok(_) => {}
        }
        read_into(dir, Path::new(""), &mut on_disk)?;
        Ok(on_disk)
    }
}

/// The output directory as found on disk.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OnDisk {
    /// Its regular files.
    pub files: FileMap,
    /// Everything else (relative path, what it is): `generate` never writes these.
    pub others: Vec<(PathBuf, &'static str)>,
}

fn read_into(root: &Path, rel: &Path, out: &mut OnDisk) -> Result<(), WriteError> {
    let dir = root.join(rel);
    let read_error = |path: &Path| {
        let path = path.to_owned();
        move |source| WriteError::Read { path, source }
    };
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .and_then(|entries| entries.collect::<Result<_, _>>())
        .map_err(read_error(&dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let rel = rel.join(entry.file_name());
        let path = root.join(&rel);
        let kind = entry.file_type().map_err(read_error(&path))?;
        if kind.is_dir() {
            read_into(root, &rel, out)?;
        } else if kind.is_file() {
            let bytes = std::fs::read(&path).map_err(read_error(&path))?;
            // A directory cannot list a name twice; were it to, it is a read error.
            out.files
                .insert(rel, bytes)
                .map_err(|e| read_error(&path)(io::Error::other(e)))?;
        } else {
            out.others.push((rel, describe(&kind)));
        }
    }
    Ok(())
}

/// What a directory entry that is neither a file nor a directory is.
fn describe(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// Refuses an output directory that `generate` must not replace whatever it holds: one that is
/// a file or a symbolic link, one that is or contains the configuration file's directory, and
/// one that is, contains or lies inside `schema` or `queries`. Called before any work is done.
pub fn check_output(config: &Config) -> Result<(), WriteError> {
    let refused = |reason: String| WriteError::Refused {
        path: config.output.clone(),
        reason,
    };
    match std::fs::symlink_metadata(&config.output) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(refused(
                "it is a symbolic link; set `output` to the directory itself".into(),
            ));
        }
        Ok(meta) if !meta.is_dir() => {
            return Err(refused(
                "it is a file, not a directory; messenger-gen replaces a whole directory and \
                 never a file"
                    .into(),
            ));
        }
        _ => {}
    }
    let output = resolved(&config.output);
    let config_dir = match &config.file {
        Some(file) => file.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => PathBuf::new(),
    };
    if resolved(&config_dir).starts_with(&output) {
        return Err(refused(
            "it is (or contains) the configuration's own directory; messenger-gen replaces the \
             whole output directory, so it must be a directory of its own (e.g. `generated`)"
                .into(),
        ));
    }
    for (key, input) in [("schema", &config.schema), ("queries", &config.queries)] {
        let input_path = resolved(input);
        if input_path.starts_with(&output) || output.starts_with(&input_path) {
            return Err(refused(format!(
                "it overlaps `{key}` ({}), an input; messenger-gen replaces the whole output \
                 directory, so it must be a directory of its own (e.g. `generated`)",
                input.display()
            )));
        }
    }
    Ok(())
}

/// `path` made absolute, with symbolic links of its existing part resolved and `.`/`..`
/// applied, so that two spellings of one directory compare equal.
fn resolved(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => {
                out.push(other);
                if let Ok(real) = std::fs::canonicalize(&out) {
                    out = real;
                }
            }
        }
    }
    out
}

/// Whether `generate` may replace the existing directory `output` with `files`; why not, when
/// it may not.
fn owned(output: &Path, files: &FileMap) -> Result<(), String> {
    if std::fs::symlink_metadata(output.join(MARKER)).is_ok_and(|m| m.is_file()) {
        return Ok(());
    }
    let mut foreign = Vec::new();
    foreign_entries(output, Path::new(""), files, &mut foreign).map_err(|e| e.to_string())?;
    if foreign.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = foreign
        .iter()
        .take(3)
        .map(|path| path.display().to_string())
        .collect();
    Err(format!(
        "it holds files messenger-gen does not write ({}{}) and no {MARKER} marker, so it is \
         not a directory messenger-gen generated; choose another `output`, or remove the \
         directory if it is yours to delete",
        shown.join(", "),
        if foreign.len() > 3 { ", ..." } else { "" }
    ))
}

/// Collects (up to four) entries below `root/rel` that are not files `files` holds: by name
/// only, without reading them or following links, and stopping early (an `output` pointing
/// at a large directory of the user's must not be read whole).
fn foreign_entries(
    root: &Path,
    rel: &Path,
    files: &FileMap,
    foreign: &mut Vec<PathBuf>,
) -> io::Result<()> {
    for entry in std::fs::read_dir(root.join(rel))? {
        if foreign.len() > 3 {
            return Ok(());
        }
        let entry = entry?;
        let path = rel.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            foreign_entries(root, &path, files, foreign)?;
        } else if !kind.is_file() || files.get(&path).is_none() {
            foreign.push(path);
        }
    }
    Ok(())
}

/// Replaces `output` with exactly `files`, all or nothing. The files are written to a sibling
/// staging directory; the old tree is taken apart into a sibling trash directory, every entry
/// by a rename (so an entry that cannot be removed — immutable, append-only, in a read-only
/// directory — is found before anything is lost, and everything is put back); then the staging
/// directory is renamed into place and the trash deleted. Staging and trash directories carry
/// the owner tag; those of runs that are gone are removed first.
pub fn write_all(output: &Path, files: &FileMap) -> Result<(), WriteError> {
    let io_error = |what: &'static str, path: &Path| {
        let (output, path) = (output.to_owned(), path.to_owned());
        move |source| WriteError::Io {
            output,
            what,
            path,
            source,
        }
    };
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = output
        .file_name()
        .ok_or_else(|| WriteError::Refused {
            path: output.to_owned(),
            reason: "the path has no directory name".into(),
        })?
        .to_string_lossy()
        .into_owned();
    let exists = match std::fs::symlink_metadata(output) {
        Ok(meta) if meta.is_dir() => true,
        Ok(_) => {
            return Err(WriteError::Refused {
                path: output.to_owned(),
                reason: "it is not a directory".into(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_error("inspecting", output)(e)),
    };
    if exists {
        owned(output, files).map_err(|reason| WriteError::Refused {
            path: output.to_owned(),
            reason,
        })?;
    }
    std::fs::create_dir_all(&parent).map_err(io_error("creating", &parent))?;
    remove_leftovers(&parent, &name);

    let tag = owner::tag();
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.new-{tag}-"))
        .tempdir_in(&parent)
        .map_err(io_error("creating a staging directory in", &parent))?;
    for (path, contents) in files.iter() {
        let target = staging.path().join(path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(io_error("creating", dir))?;
        }
        std::fs::write(&target, contents).map_err(io_error("writing", &target))?;
    }
    if !exists {
        let staged = staging.keep();
        return std::fs::rename(&staged, output).map_err(|e| {
            let _ = std::fs::remove_dir_all(&staged);
            io_error("renaming the staging directory to", output)(e)
        });
    }

    let trash = tempfile::Builder::new()
        .prefix(&format!(".{name}.old-{tag}-"))
        .tempdir_in(&parent)
        .map_err(io_error("creating a directory in", &parent))?;
    let mut moved = Vec::new();
    if let Err((path, source)) = take_apart(output, trash.path(), &mut moved) {
        return match put_back(&moved) {
            Ok(()) => Err(WriteError::Io {
                output: output.to_owned(),
                what: "removing",
                path,
                source,
            }),
            Err(_) => Err(WriteError::Restore {
                output: output.to_owned(),
                kept: trash.keep(),
                source,
            }),
        };
    }
    let staged = staging.keep();
    if let Err(source) = std::fs::rename(&staged, output) {
        let _ = std::fs::remove_dir_all(&staged);
        return match put_back(&moved) {
            Ok(()) => Err(WriteError::Io {
                output: output.to_owned(),
                what: "renaming the staging directory to",
                path: output.to_owned(),
                source,
            }),
            Err(_) => Err(WriteError::Restore {
                output: output.to_owned(),
                kept: trash.keep(),
                source,
            }),
        };
    }
    // Everything in the trash was renamed into it, so it can be deleted: an entry that cannot
    // be unlinked cannot be renamed either.
    let trash_path = trash.path().to_owned();
    if let Err(e) = trash.close() {
        crate::output::warn(&format!(
            "the new {} is in place, but the previous files could not be deleted from {}: {e}",
            output.display(),
            trash_path.display()
        ));
    }
    Ok(())
}

/// Moves every entry below `dir` (children before their directory), then `dir` itself, into
/// `trash` under numbered names, recording each move in `moved`.
fn take_apart(
    dir: &Path,
    trash: &Path,
    moved: &mut Vec<(PathBuf, PathBuf)>,
) -> Result<(), (PathBuf, io::Error)> {
    let entries: Vec<_> = std::fs::read_dir(dir)
        .and_then(|entries| entries.collect::<Result<_, _>>())
        .map_err(|e| (dir.to_owned(), e))?;
    for entry in entries {
        let path = entry.path();
        let is_dir = entry.file_type().map_err(|e| (path.clone(), e))?.is_dir();
        if is_dir {
            take_apart(&path, trash, moved)?;
        } else {
            move_into(&path, trash, moved)?;
        }
    }
    move_into(dir, trash, moved)
}

fn move_into(
    path: &Path,
    trash: &Path,
    moved: &mut Vec<(PathBuf, PathBuf)>,
) -> Result<(), (PathBuf, io::Error)> {
    let target = trash.join(moved.len().to_string());
    std::fs::rename(path, &target).map_err(|e| (path.to_owned(), e))?;
    moved.push((path.to_owned(), target));
    Ok(())
}

/// Undoes [`take_apart`]: every move in reverse order.
fn put_back(moved: &[(PathBuf, PathBuf)]) -> io::Result<()> {
    for (original, target) in moved.iter().rev() {
        std::fs::rename(target, original)?;
    }
    Ok(())
}

/// Removes the staging and trash directories of `name` in `parent` whose run is gone (killed
/// while writing).
fn remove_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| {
            n.strip_prefix(&format!(".{name}.new-"))
                .or_else(|| n.strip_prefix(&format!(".{name}.old-")))
        }) else {
            continue;
        };
        let Some((pid, host, _)) = owner::parse(rest) else {
            continue;
        };
        if owner::is_gone(pid, host) && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A unified diff from `current` (on disk) to `fresh` (generated), with paths shown under
/// `shown_as` (the output directory as the user knows it). Entries on disk that are not files
/// are named: `generate` would remove them. `None` when identical.
pub fn diff(current: &OnDisk, fresh: &FileMap, shown_as: &Path) -> Option<String> {
    let mut out = String::new();
    let paths: std::collections::BTreeSet<&PathBuf> = current
        .files
        .files
        .keys()
        .chain(fresh.files.keys())
        .collect();
    for path in paths {
        let old = current.files.files.get(path);
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
    for (path, what) in &current.others {
        out.push_str(&format!(
            "{} is {what}; generate writes only files and would remove it\n",
            shown_as.join(path).display()
        ));
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(root: &Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_all_replaces_the_whole_tree_and_diff_sees_every_change() {
        let root = tempfile::tempdir().unwrap();
        let output = root.path().join("generated");
        let mut first = FileMap::new();
        first.insert(MARKER, MARKER_TEXT).unwrap();
        first.insert("a.txt", "one\n").unwrap();
        first.insert("sub/b.txt", "two\n").unwrap();
        write_all(&output, &first).unwrap();
        let on_disk = FileMap::read_dir(&output).unwrap();
        assert_eq!(on_disk.files, first);
        assert_eq!(diff(&on_disk, &first, Path::new("generated")), None);

        let mut second = FileMap::new();
        second.insert(MARKER, MARKER_TEXT).unwrap();
        second.insert("a.txt", "uno\n").unwrap();
        second.insert("c.txt", "three\n").unwrap();
        let shown = diff(&on_disk, &second, Path::new("generated")).unwrap();
        assert!(shown.contains("--- a/generated/a.txt\n+++ b/generated/a.txt\n"));
        assert!(shown.contains("-one\n+uno\n"));
        assert!(shown.contains("--- a/generated/sub/b.txt\n+++ /dev/null\n"));
        assert!(shown.contains("--- /dev/null\n+++ b/generated/c.txt\n"));

        write_all(&output, &second).unwrap();
        assert_eq!(FileMap::read_dir(&output).unwrap().files, second);
        assert_eq!(
            leftovers(root.path()),
            ["generated"],
            "staging or trash left"
        );
    }

    #[test]
    fn a_tree_from_before_the_marker_is_adopted_when_all_its_files_are_generated_ones() {
        let root = tempfile::tempdir().unwrap();
        let output = root.path().join("generated");
        std::fs::create_dir_all(output.join("sub")).unwrap();
        std::fs::write(output.join("sub/b.txt"), "old\n").unwrap();
        let mut files = FileMap::new();
        files.insert(MARKER, MARKER_TEXT).unwrap();
        files.insert("sub/b.txt", "new\n").unwrap();
        write_all(&output, &files).unwrap();
        assert_eq!(FileMap::read_dir(&output).unwrap().files, files);
    }

    #[test]
    fn a_directory_with_foreign_files_and_no_marker_is_refused_untouched() {
        let root = tempfile::tempdir().unwrap();
        let output = root.path().join("mine");
        std::fs::create_dir(&output).unwrap();
        std::fs::write(output.join("notes.txt"), "mine\n").unwrap();
        let mut files = FileMap::new();
        files.insert("a.txt", "one\n").unwrap();
        let err = write_all(&output, &files).unwrap_err();
        assert!(matches!(err, WriteError::Refused { .. }), "{err}");
        assert!(err.to_string().contains("notes.txt"), "{err}");
        assert_eq!(
            std::fs::read_to_string(output.join("notes.txt")).unwrap(),
            "mine\n"
        );
        assert_eq!(leftovers(root.path()), ["mine"]);

        // With the marker the directory is generate's, and is replaced.
        std::fs::write(output.join(MARKER), MARKER_TEXT).unwrap();
        write_all(&output, &files).unwrap();
        assert_eq!(FileMap::read_dir(&output).unwrap().files, files);
    }

    /// Makes `file` impossible to remove: `chattr +i` as root (permissions do not stop root),
    /// a read-only directory otherwise. Undone on drop.
    struct Unmovable(PathBuf);

    impl Unmovable {
        fn new(file: &Path) -> Unmovable {
            if crate::sys::is_root() {
                let status = std::process::Command::new("chattr")
                    .arg("+i")
                    .arg(file)
                    .status()
                    .expect("chattr (e2fsprogs) is needed for this test");
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
            if crate::sys::is_root() {
                let _ = std::process::Command::new("chattr")
                    .arg("-i")
                    .arg(&self.0)
                    .status();
            } else {
                use std::os::unix::fs::PermissionsExt;
                let dir = self.0.parent().unwrap();
                let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
            }
        }
    }

    #[test]
    fn an_entry_that_cannot_be_removed_stops_the_write_before_anything_changes() {
        let root = tempfile::tempdir().unwrap();
        let output = root.path().join("generated");
        let mut old = FileMap::new();
        old.insert(MARKER, MARKER_TEXT).unwrap();
        old.insert("a/1.txt", "1").unwrap();
        old.insert("a/2.txt", "2").unwrap();
        old.insert("b/3.txt", "3").unwrap();
        old.insert("z.txt", "z").unwrap();
        write_all(&output, &old).unwrap();
        let mut new = FileMap::new();
        new.insert(MARKER, MARKER_TEXT).unwrap();
        new.insert("a/1.txt", "one").unwrap();
        let locked = Unmovable::new(&output.join("b/3.txt"));
        let err = write_all(&output, &new).unwrap_err();
        drop(locked);
        assert!(
            matches!(&err, WriteError::Io { path, .. } if path.ends_with("b/3.txt")),
            "{err}"
        );
        assert!(err.to_string().ends_with("nothing was changed"), "{err}");
        assert_eq!(FileMap::read_dir(&output).unwrap().files, old);
        assert_eq!(
            leftovers(root.path()),
            ["generated"],
            "staging or trash left"
        );
        // Once the file can be removed, the same write succeeds.
        write_all(&output, &new).unwrap();
        assert_eq!(FileMap::read_dir(&output).unwrap().files, new);
        assert_eq!(leftovers(root.path()), ["generated"]);
    }

    #[test]
    fn special_files_are_listed_not_opened() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("a.txt"), "a").unwrap();
        std::os::unix::fs::symlink("/tmp", root.path().join("link")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.path().join("pipe"))
            .status()
            .unwrap();
        assert!(status.success());
        let on_disk = FileMap::read_dir(root.path()).unwrap();
        assert_eq!(on_disk.files.len(), 1);
        assert_eq!(
            on_disk.others,
            [
                (PathBuf::from("link"), "a symbolic link"),
                (PathBuf::from("pipe"), "a named pipe (FIFO)")
            ]
        );
        let shown = diff(&on_disk, &on_disk.files, Path::new("generated")).unwrap();
        assert_eq!(
            shown,
            "generated/link is a symbolic link; generate writes only files and would remove it\n\
             generated/pipe is a named pipe (FIFO); generate writes only files and would remove it\n"
        );
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
