//! One node per data directory: an exclusive `flock` on `DIR/LOCK`, which holds the pid of its
//! holder so that a second node is refused at once with a name to look for.
//!
//! `flock` locks die with their process, so a node killed with SIGKILL leaves no stale lock:
//! the next start takes it again without any clean-up.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::JournalError;

/// The held lock of a data directory; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock of `dir`, or says which process holds it.
    pub fn acquire(dir: &Path) -> Result<DirLock, JournalError> {
        let path = dir.join("LOCK");
        let io = |source| JournalError::Io { path: path.clone(), source };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        // std's `try_lock` is `flock(LOCK_EX | LOCK_NB)` here, as the settlement journal's lock.
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                // The holder's pid is informational: a read failure still refuses, without it.
                let _ = file.read_to_string(&mut holder);
                return Err(JournalError::Locked {
                    dir: dir.to_owned(),
                    holder: holder.trim().to_owned(),
                });
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(DirLock { _file: file })
    }
}

/// The lock file of `dir`.
pub fn lock_path(dir: &Path) -> PathBuf {
    dir.join("LOCK")
}
