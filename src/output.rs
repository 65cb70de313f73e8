//! Writing the site: the only module that writes under the output folder.
//!
//! A build writes into a staging folder beside the output (`.public.staging`)
//! and swaps it in only when everything succeeded: on Linux with one atomic
//! `renameat2(RENAME_EXCHANGE)`, elsewhere with two renames. A failed or
//! killed build leaves the previous output exactly as it was, and files of
//! deleted content never linger because every build starts from empty.
//!
//! A file the previous output already has with the same bytes is not
//! written again: the staging folder gets a hard link to it (a no-op
//! rebuild of a large site writes almost nothing, and unchanged files keep
//! their modification time, which incremental uploads go by). No file in
//! the staging folder is ever written in place, so a linked file, which is
//! also the previous output's, is never changed: a file written where one
//! already is replaces it.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::diag::{Diagnostic, io_error};
use crate::render::PageSink;

/// Files and bytes a build wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OutputStats {
    pub files: usize,
    pub bytes: u64,
}

/// A build's output while it is being written.
#[derive(Debug)]
pub struct Staging {
    output: PathBuf,
    dir: PathBuf,
    /// The output as the last build left it, if there is one: a file
    /// written with the bytes it has there is linked to it, not written.
    previous: Option<PathBuf>,
    files: AtomicUsize,
    bytes: AtomicU64,
    committed: bool,
}

/// Refuses an output folder whose replacement would destroy the site's sources.
pub fn check_output_location(root: &Path, output: &Path) -> Result<(), Diagnostic> {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (root_abs, output_abs) = (absolute(root), absolute(output));
    let protected = ["content", "templates", "themes", "static", "src", ".git"];
    let clobbers_root = root_abs.starts_with(&output_abs);
    let inside_sources = protected
        .iter()
        .any(|dir| output_abs.starts_with(root_abs.join(dir)));
    if clobbers_root || inside_sources {
        return Err(Diagnostic::error(
            output,
            "refusing to build here: the output folder is replaced on every build, and this one holds the site's own files",
        )
        .with_help("choose an output folder of its own, such as public/"));
    }
    Ok(())
}

impl Staging {
    /// A fresh, empty staging folder beside `output` (a stale one from a
    /// killed build is removed first).
    pub fn create(output: &Path) -> Result<Staging, Diagnostic> {
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "public".into());
        let parent = match output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| io_error(&parent, "create the folder", &e))?;
        let dir = parent.join(format!(".{name}.staging"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| io_error(&dir, "remove a stale staging folder", &e))?;
        }
        std::fs::create_dir(&dir).map_err(|e| io_error(&dir, "create the staging folder", &e))?;
        Ok(Staging {
            output: output.to_path_buf(),
            dir,
            previous: output.is_dir().then(|| output.to_path_buf()),
            files: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            committed: false,
        })
    }

    /// The staging folder, for reading what was written before the swap.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Copies static folders into the output, later folders winning.
    pub fn copy_static(&self, dirs: &[PathBuf]) -> Result<(), Vec<Diagnostic>> {
        let mut files: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
        let mut problems = Vec::new();
        for dir in dirs.iter().filter(|d| d.is_dir()) {
            for entry in WalkDir::new(dir)
                .follow_links(true)
                .sort_by(crate::source::by_name)
            {
                match entry {
                    Ok(e) if e.file_type().is_file() => {
                        let rel = e.path().strip_prefix(dir).unwrap_or(e.path()).to_path_buf();
                        files.insert(rel, e.into_path());
                    }
                    Ok(_) => {}
                    Err(e) => problems.push(Diagnostic::error(
                        e.path().unwrap_or(dir),
                        format!("cannot read static file: {e}"),
                    )),
                }
            }
        }
        problems.extend(
            files
                .par_iter()
                .filter_map(|(rel, source)| self.copy(rel, source).err())
                .collect::<Vec<_>>(),
        );
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    fn copy(&self, rel: &Path, source: &Path) -> Result<(), Diagnostic> {
        let target = self.dir.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| io_error(parent, "create the folder", &e))?;
        }
        // The previous output's copy, if it is the same (compared a piece
        // at a time: a static file may be large); else a copy.
        let same = |old: &Path| {
            let size = std::fs::metadata(source).ok()?.len();
            let file = std::fs::File::open(source).ok()?;
            same_as(old, file, size).then_some(size)
        };
        let old = self.previous.as_ref().map(|previous| previous.join(rel));
        let bytes = match old.and_then(|old| Some((same(&old)?, old))) {
            Some((bytes, old)) if std::fs::hard_link(&old, &target).is_ok() => bytes,
            _ => std::fs::copy(source, &target).map_err(|e| io_error(source, "copy", &e))?,
        };
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        Ok(())
    }

    /// Puts the previous output's file at `path` in the new one as it is
    /// (linked; copied where it cannot be): the caller has read it and
    /// knows it is what this build would write there.
    pub fn keep_previous(&self, path: &str) -> Result<(), Diagnostic> {
        let target = inside(&self.dir, path)?;
        let Some(previous) = &self.previous else {
            return Err(Diagnostic::error(
                path,
                "the last build's file is gone from the output folder",
            )
            .with_help("build again: the next build makes it anew"));
        };
        let old = previous.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| io_error(parent, "create the folder", &e))?;
        }
        let bytes = match std::fs::hard_link(&old, &target) {
            Ok(()) => std::fs::metadata(&target).map_or(0, |meta| meta.len()),
            Err(_) => {
                let bytes = std::fs::read(&old).map_err(|e| {
                    io_error(&old, "read the last build's file", &e)
                        .with_help("build again: the next build makes it anew")
                })?;
                write_new(&target, &bytes).map_err(|e| io_error(&target, "write", &e))?;
                bytes.len() as u64
            }
        };
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        Ok(())
    }

    /// Swaps the staging folder in as the output. Only now does the output change.
    pub fn commit(self) -> Result<OutputStats, Diagnostic> {
        self.commit_keeping(None)
    }

    /// [`Staging::commit`], carrying the folder `keep` (`pagefind`) of the
    /// previous output over into the new one when the new one has none: the
    /// search index of the last build, until `serve` writes the new one.
    pub fn commit_keeping(mut self, keep: Option<&str>) -> Result<OutputStats, Diagnostic> {
        let stats = OutputStats {
            files: self.files.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        };
        swap_in(&self.dir, &self.output)?;
        self.committed = true;
        if let Some(keep) = keep {
            let (old, new) = (self.dir.join(keep), self.output.join(keep));
            if old.is_dir() && !new.exists() {
                // Best effort: without it search waits for the new index.
                let _ = std::fs::rename(&old, &new);
            }
        }
        // After the swap the staging path holds the previous output (if any).
        if self.dir.exists() {
            remove_tree(&self.dir)
                .map_err(|e| io_error(&self.dir, "remove the previous output", &e))?;
        }
        Ok(stats)
    }
}

impl Drop for Staging {
    /// A build that did not commit leaves nothing behind.
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl PageSink for Staging {
    fn write(&self, path: &str, contents: &[u8]) -> Result<(), Diagnostic> {
        let target = inside(&self.dir, path)?;
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| io_error(parent, "create the folder", &e))?;
        }
        let linked = self
            .previous
            .as_ref()
            .is_some_and(|previous| link_if_same(&previous.join(path), contents, &target));
        if !linked {
            write_new(&target, contents).map_err(|e| io_error(&target, "write", &e))?;
        }
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes
            .fetch_add(contents.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// Whether the regular file `old` (not a symbolic link: the link itself
/// would be linked) holds exactly the `size` bytes `other` reads as,
/// compared a piece at a time (a static file may be large); `false` on any
/// trouble reading them.
fn same_as(old: &Path, mut other: impl std::io::Read, size: u64) -> bool {
    use std::io::Read;
    const PIECE: usize = 16 * 1024;
    match std::fs::symlink_metadata(old) {
        Ok(meta) if meta.is_file() && meta.len() == size => {}
        _ => return false,
    }
    let Ok(mut file) = std::fs::File::open(old) else {
        return false;
    };
    let (mut left, mut right) = ([0; PIECE], [0; PIECE]);
    let mut remaining = size;
    while remaining > 0 {
        let piece = usize::try_from(remaining).map_or(PIECE, |r| r.min(PIECE));
        let (Some(left), Some(right)) = (left.get_mut(..piece), right.get_mut(..piece)) else {
            return false;
        };
        if file.read_exact(left).is_err() || other.read_exact(right).is_err() || left != right {
            return false;
        }
        remaining -= piece as u64;
    }
    true
}

/// Writes `contents` to a new file at `target`, replacing (not writing
/// into) one already there, which may be linked to the previous output.
fn write_new(target: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let create = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(target)
    };
    let mut file = match create() {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(target)?;
            create()?
        }
        file => file?,
    };
    file.write_all(contents)
}

/// Links `target` to the file `old` if that is a regular file holding
/// exactly `contents`; whether it did. Any trouble (no such file, a
/// symbolic link, another file system, a file already at `target`): it did
/// not, and the caller writes the file.
fn link_if_same(old: &Path, contents: &[u8], target: &Path) -> bool {
    same_as(old, contents, contents.len() as u64) && std::fs::hard_link(old, target).is_ok()
}

/// Pages rewritten one by one in an output folder that is already complete:
/// how an incremental rebuild (`serve`) updates the few pages an edit
/// touched. Each file is written beside its target and renamed over it, so a
/// reader never sees half a page.
#[derive(Debug)]
pub struct InPlace {
    output: PathBuf,
    files: AtomicUsize,
    bytes: AtomicU64,
    /// The site paths written, in the order they were.
    written: Mutex<Vec<String>>,
}

impl InPlace {
    pub fn new(output: &Path) -> InPlace {
        InPlace {
            output: output.to_path_buf(),
            files: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            written: Mutex::new(Vec::new()),
        }
    }

    /// The site paths written so far (`briefings/rome/index.html`).
    pub fn written(&self) -> Vec<String> {
        self.written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn stats(&self) -> OutputStats {
        OutputStats {
            files: self.files.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }
}

impl InPlace {
    /// Removes what a site path names: a page (`briefings/rome/`, `people/ada/page/3/`:
    /// its `index.html`) or a file (`sitemap-2.xml`), then each folder above
    /// it that is left empty, up to the output folder.
    pub fn remove(&self, path: &str) -> Result<(), Diagnostic> {
        let file = if path.ends_with('/') {
            inside(&self.output, path.trim_end_matches('/'))?.join("index.html")
        } else {
            inside(&self.output, path)?
        };
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&file, "remove", &e)),
        }
        // A folder that still holds anything stays, and so do those above it.
        let mut folder = file.parent();
        while let Some(dir) = folder.filter(|dir| *dir != self.output) {
            if std::fs::remove_dir(dir).is_err() {
                break;
            }
            folder = dir.parent();
        }
        Ok(())
    }

    /// Replaces the file at site path `path` with a copy of `source` (a
    /// static file), as [`PageSink::write`] replaces a page.
    pub fn copy(&self, path: &str, source: &Path) -> Result<(), Diagnostic> {
        let bytes = std::fs::read(source).map_err(|e| io_error(source, "copy", &e))?;
        self.write(path, &bytes)
    }
}

impl PageSink for InPlace {
    fn write(&self, path: &str, contents: &[u8]) -> Result<(), Diagnostic> {
        let target = inside(&self.output, path)?;
        let parent = target.parent().unwrap_or(&self.output);
        std::fs::create_dir_all(parent).map_err(|e| io_error(parent, "create the folder", &e))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temporary = parent.join(format!(".{name}.dossier-tmp"));
        std::fs::write(&temporary, contents).map_err(|e| io_error(&temporary, "write", &e))?;
        std::fs::rename(&temporary, &target).map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            io_error(&target, "replace", &e)
        })?;
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes
            .fetch_add(contents.len() as u64, Ordering::Relaxed);
        self.written
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(path.to_string());
        Ok(())
    }
}

/// `dir/path`, refusing a page path that would leave `dir`.
fn inside(dir: &Path, path: &str) -> Result<PathBuf, Diagnostic> {
    let rel = Path::new(path);
    if rel.as_os_str().is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(Diagnostic::error(
            path,
            "refusing to write outside the output folder",
        ));
    }
    Ok(dir.join(rel))
}

/// Removes a folder tree, its top-level entries in parallel (a site is
/// mostly a few wide folders: briefings/, people/, …).
fn remove_tree(dir: &Path) -> std::io::Result<()> {
    let entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.par_iter().try_for_each(|entry| {
        if entry.file_type()?.is_dir() {
            let children: Vec<_> = std::fs::read_dir(entry.path())?.collect::<Result<_, _>>()?;
            children.par_iter().try_for_each(|child| {
                if child.file_type()?.is_dir() {
                    std::fs::remove_dir_all(child.path())
                } else {
                    std::fs::remove_file(child.path())
                }
            })?;
            std::fs::remove_dir(entry.path())
        } else {
            std::fs::remove_file(entry.path())
        }
    })?;
    std::fs::remove_dir(dir)
}

/// Puts `staging` at `output`; afterwards `staging` holds the old output, if there was one.
fn swap_in(staging: &Path, output: &Path) -> Result<(), Diagnostic> {
    match std::fs::symlink_metadata(output) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::rename(staging, output)
            .map_err(|e| io_error(output, "create the output folder", &e)),
        Err(e) => Err(io_error(output, "inspect the output folder", &e)),
        Ok(meta) if !meta.is_dir() => Err(Diagnostic::error(
            output,
            "the output path exists and is not a folder",
        )
        .with_help("remove it or choose another --output")),
        Ok(_) => exchange(staging, output),
    }
}

#[cfg(target_os = "linux")]
fn exchange(staging: &Path, output: &Path) -> Result<(), Diagnostic> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, staging, CWD, output, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(()),
        // Some file systems cannot exchange; fall back to two renames.
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {
            exchange_by_renames(staging, output)
        }
        Err(e) => Err(io_error(output, "swap in the new output", &e.into())),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(staging: &Path, output: &Path) -> Result<(), Diagnostic> {
    exchange_by_renames(staging, output)
}

/// Old output aside, new one in, old one to where staging was. A crash between
/// the two renames leaves the old output whole beside the staging folder.
fn exchange_by_renames(staging: &Path, output: &Path) -> Result<(), Diagnostic> {
    let aside = staging.with_extension("old");
    if aside.exists() {
        std::fs::remove_dir_all(&aside).map_err(|e| io_error(&aside, "remove", &e))?;
    }
    std::fs::rename(output, &aside)
        .map_err(|e| io_error(output, "move the old output aside", &e))?;
    if let Err(e) = std::fs::rename(staging, output) {
        let _ = std::fs::rename(&aside, output);
        return Err(io_error(output, "move the new output in", &e));
    }
    std::fs::rename(&aside, staging).map_err(|e| io_error(&aside, "move the old output", &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file linked to the previous output and then written again is
    /// replaced, not written into: the previous output keeps its bytes
    /// when the build then fails.
    #[test]
    fn a_linked_file_written_again_leaves_the_previous_output_alone() {
        let dir = tempfile::tempdir().expect("a folder");
        let output = dir.path().join("public");
        std::fs::create_dir_all(output.join("a")).expect("folder");
        std::fs::write(output.join("a/index.html"), "before").expect("written");

        let staging = Staging::create(&output).expect("staging");
        staging.write("a/index.html", b"before").expect("linked");
        let (old, new) = (
            output.join("a/index.html"),
            staging.dir().join("a/index.html"),
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let inode = |path: &Path| std::fs::metadata(path).expect("a file").ino();
            assert_eq!(inode(&old), inode(&new), "the same bytes are linked");
        }
        staging.write("a/index.html", b"after").expect("written");
        assert_eq!(std::fs::read(&new).expect("staged"), b"after");
        drop(staging); // a build that failed
        assert_eq!(std::fs::read(&old).expect("kept"), b"before");
    }

    /// A static file is linked from the previous output only when every
    /// byte is the same, however large it is (compared a piece at a time).
    #[test]
    fn a_static_file_is_linked_only_when_every_byte_is_the_same() {
        let dir = tempfile::tempdir().expect("a folder");
        let (output, statics) = (dir.path().join("public"), dir.path().join("static"));
        std::fs::create_dir_all(&output).expect("folder");
        std::fs::create_dir_all(&statics).expect("folder");
        let large: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut last_differs = large.clone();
        if let Some(last) = last_differs.last_mut() {
            *last ^= 1;
        }
        for (name, bytes) in [("same.bin", &large), ("other.bin", &large)] {
            std::fs::write(output.join(name), bytes).expect("written");
        }
        std::fs::write(statics.join("same.bin"), &large).expect("written");
        std::fs::write(statics.join("other.bin"), &last_differs).expect("written");

        let staging = Staging::create(&output).expect("staging");
        staging
            .copy_static(std::slice::from_ref(&statics))
            .expect("copied");
        for (name, bytes) in [("same.bin", &large), ("other.bin", &last_differs)] {
            let staged = std::fs::read(staging.dir().join(name)).expect("staged");
            assert!(
                &staged == bytes,
                "{name} staged with the static file's bytes"
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let inode = |path: &Path| std::fs::metadata(path).expect("a file").ino();
            let linked = |name: &str| inode(&output.join(name)) == inode(&staging.dir().join(name));
            assert!(linked("same.bin"), "the same bytes are linked");
            assert!(!linked("other.bin"), "a byte differs: copied");
        }
        let kept = std::fs::read(output.join("other.bin")).expect("kept");
        assert!(kept == large, "the previous output's file is as it was");
    }
}
