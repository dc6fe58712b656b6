//! Writing a file so that a failure midway never loses the file it replaces.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Makes the temporary files of concurrent writers in one process distinct.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically: to a temporary file in the same directory (so that
/// the rename stays on one file system), flushed and synced to the disk, then renamed over
/// `path`, and the directory synced. A reader sees the old file or the new one, never a part
/// of either; on any failure (disk full, a file-size limit, permissions) `path` is as it was,
/// the temporary file is removed, and the error is returned. The new file keeps the old
/// one's permissions; a symbolic link is followed (its target is replaced, not the link).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let path = resolve(path)?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", path.display()),
        )
    })?;
    let temporary = dir.join(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let written = write_and_rename(&temporary, &path, bytes);
    if written.is_err() {
        // The file may or may not exist (creating it may be what failed).
        let _ = fs::remove_file(&temporary);
    } else {
        sync_directory(&dir);
    }
    written
}

/// `path`, or the target of the symbolic link `path` is.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path),
        _ => Ok(path.to_path_buf()),
    }
}

fn write_and_rename(temporary: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temporary)?;
    if let Ok(old) = fs::metadata(path) {
        file.set_permissions(old.permissions())?;
    }
    file.write_all(bytes)?;
    file.flush()?;
    file.sync_all()?;
    drop(file);
    fs::rename(temporary, path)
}

/// Makes the rename durable where the platform allows it (on Unix, by syncing the
/// directory); a failure here does not undo the write, so it is ignored.
fn sync_directory(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = (dir, File::open);
}

#[cfg(test)]
mod tests {
    use super::write_atomically;

    #[test]
    fn a_file_is_created_then_replaced_and_no_temporary_is_left() {
        let dir = std::env::temp_dir().join(format!("shapegrad-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.bin");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second, longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(names.len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error_and_creates_nothing() {
        let dir = std::env::temp_dir().join(format!("shapegrad-none-{}", std::process::id()));
        let err = write_atomically(&dir.join("a.bin"), b"x").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        assert!(!dir.exists());
    }
}
