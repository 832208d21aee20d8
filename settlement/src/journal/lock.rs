//! One writer per journal: an exclusive advisory lock (`flock`, through the standard library's
//! `File::try_lock`) on `<journal>.lock`, which also holds the holder's process id, so a second
//! settler is refused at once with the pid to look for. The lock dies with its process (a
//! SIGKILL included), so a stale lock file never blocks anyone; the pid in it is only read while
//! the lock is held by someone.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::JournalError;

/// How often, and how long apart, a refused opener reads the holder's pid: the holder writes it
/// right after taking the lock, so an empty file means "just taken".
const PID_READS: u32 = 20;
const PID_READ_PAUSE: Duration = Duration::from_millis(10);

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub(super) struct JournalLock {
    _file: File,
}

/// The lock file of the journal at `journal`.
pub fn lock_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the lock of `journal`, or says who holds it.
pub(super) fn lock(journal: &Path) -> Result<JournalLock, JournalError> {
    let path = lock_path(journal);
    let io = |source| JournalError::Io { path: path.clone(), source };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let holder_pid = holder_pid(&mut file);
            return Err(JournalError::Locked { journal: journal.to_owned(), holder_pid });
        }
        Err(TryLockError::Error(source)) => return Err(io(source)),
    }
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.write_all(format!("{}\n", std::process::id()).as_bytes()).map_err(io)?;
    file.sync_data().map_err(io)?;
    Ok(JournalLock { _file: file })
}

/// The pid the holder wrote, if it can be read within a few tries (the refusal stands either
/// way; only its message is poorer without the pid).
fn holder_pid(file: &mut File) -> Option<u32> {
    for _ in 0..PID_READS {
        let mut text = String::new();
        if file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_string(&mut text)).is_ok() {
            if let Ok(pid) = text.trim().parse() {
                return Some(pid);
            }
        }
        std::thread::sleep(PID_READ_PAUSE);
    }
    None
}
