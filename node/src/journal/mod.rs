//! The command journal: every command the node accepted, in sequence order, durable before it
//! is applied or acknowledged (principle 3: journal before acting).
//!
//! On disk: a data directory with a `LOCK` ([`lock`]) and segment files
//! `commands-<first seq, 20 digits>.log`, each a run of records ([`frame`]) with consecutive
//! sequence numbers. A segment is closed when it passes [`JournalConfig::segment_bytes_max`]
//! at a group boundary, so a group never spans two files.
//!
//! [`Journal::open`] reads every record once, in order, and hands those after a given sequence
//! number to the caller (the node replays them into its engine). A last record without its line
//! feed, at the end of the last segment, is a torn write that was never acknowledged: it is cut
//! off. Anything else that does not read — a bad checksum on a complete record, a gap or a
//! repeat in the sequence numbers, bytes after a damaged record — stops the open with the file
//! and the byte offset: acknowledged commands are never silently dropped.

mod frame;
pub mod lock;
pub mod sequencer;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

pub use lock::DirLock;

/// The journal cannot be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Reading or writing failed.
    #[error("journal {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A record that was acknowledged cannot be read back.
    #[error("journal {path} at byte {offset}: {detail} (the journal is damaged; it is never guessed at)")]
    Corrupt {
        /// The segment file.
        path: PathBuf,
        /// Byte offset of the bad record in that file.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// Another process holds the data directory.
    #[error("data directory {dir} is in use by process {holder} (one node per data directory)")]
    Locked {
        /// The data directory.
        dir: PathBuf,
        /// The pid written by the holder.
        holder: String,
    },
    /// The caller refused a record while it was being replayed.
    #[error("journal {path} at byte {offset}, seq {seq}: {detail}")]
    Replay {
        /// The segment file.
        path: PathBuf,
        /// Byte offset of the record.
        offset: u64,
        /// Its sequence number.
        seq: u64,
        /// The caller's reason.
        detail: String,
    },
}

/// Where and how the journal is kept.
#[derive(Debug, Clone)]
pub struct JournalConfig {
    /// The data directory (created if missing).
    pub dir: PathBuf,
    /// A segment is closed once it holds this many bytes (checked between groups).
    pub segment_bytes_max: u64,
}

/// What [`Journal::open`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// The last sequence number on disk (0 for an empty journal).
    pub last_seq: u64,
    /// Records read in all.
    pub records: u64,
    /// Bytes of a torn last record that were cut off (0 after a clean stop).
    pub torn_tail_bytes: u64,
}

/// An open journal, holding its directory's lock, appending to its newest segment.
#[derive(Debug)]
pub struct Journal {
    config: JournalConfig,
    _lock: DirLock,
    file: File,
    path: PathBuf,
    file_bytes: u64,
    last_seq: u64,
    buffer: Vec<u8>,
    /// Test hook ([`Journal::pretend_space_left`]): bytes the disk is pretended to have left.
    space_left_bytes: Option<u64>,
}

impl Journal {
    /// Opens (or creates) the journal in `config.dir`: takes the directory's lock, reads every
    /// record, and calls `replay(seq, line)` for each one after `after_seq` in order. An error
    /// from `replay` stops the open and is reported with the record's place.
    pub fn open(
        config: JournalConfig,
        after_seq: u64,
        mut replay: impl FnMut(u64, &str) -> Result<(), String>,
    ) -> Result<(Journal, Recovered), JournalError> {
        let dir = config.dir.clone();
        std::fs::create_dir_all(&dir)
            .map_err(|source| JournalError::Io { path: dir.clone(), source })?;
        let lock = DirLock::acquire(&dir)?;
        let segments = list_segments(&dir)?;
        let mut recovered = Recovered { last_seq: 0, records: 0, torn_tail_bytes: 0 };
        for (index, (first_seq, path)) in segments.iter().enumerate() {
            let last = index + 1 == segments.len();
            if recovered.records > 0 && *first_seq != recovered.last_seq + 1 {
                return Err(corrupt(
                    path,
                    0,
                    format!(
                        "segment starts at seq {first_seq}, but the previous one ended at {}",
                        recovered.last_seq
                    ),
                ));
            }
            read_segment(path, Tail::Cut(last), after_seq, &mut recovered, &mut replay)?;
        }
        let (path, file, file_bytes) = match segments.last() {
            Some((_, path)) => open_for_append(path)?,
            None => create_segment(&dir, 1)?,
        };
        let journal = Journal {
            config,
            _lock: lock,
            file,
            path,
            file_bytes,
            last_seq: recovered.last_seq,
            buffer: Vec::new(),
            space_left_bytes: None,
        };
        Ok((journal, recovered))
    }

    /// The last sequence number written.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Test hook: from now on, writes fail as on a full disk (ENOSPC) once `bytes` more have
    /// been written — so the tests can fill a disk without owning one. Only the node's
    /// `GRIDBOOK_TEST_JOURNAL_SPACE_BYTES` calls it.
    pub fn pretend_space_left(&mut self, bytes: u64) {
        self.space_left_bytes = Some(bytes);
    }

    /// Writes a group of records — `(seq, line)` with consecutive sequence numbers following
    /// [`Journal::last_seq`] — with one write and one `fdatasync`. When this returns `Ok`, every
    /// record of the group is durable.
    pub fn append_group<'a>(
        &mut self,
        group: impl IntoIterator<Item = (u64, &'a str)>,
    ) -> Result<(), JournalError> {
        if self.file_bytes >= self.config.segment_bytes_max {
            let (path, file, bytes) = create_segment(&self.config.dir, self.last_seq + 1)?;
            (self.path, self.file, self.file_bytes) = (path, file, bytes);
        }
        self.buffer.clear();
        let mut next = self.last_seq;
        for (seq, line) in group {
            assert_eq!(seq, next + 1, "the sequencer hands the journal consecutive numbers");
            frame::encode(seq, line, &mut self.buffer);
            next = seq;
        }
        let io = |source| JournalError::Io { path: self.path.clone(), source };
        if let Some(space_left) = self.space_left_bytes.as_mut() {
            let needed = self.buffer.len() as u64;
            if needed > *space_left {
                // ENOSPC (28 on Linux and macOS), exactly as a full disk reports it.
                return Err(io(std::io::Error::from_raw_os_error(28)));
            }
            *space_left -= needed;
        }
        self.file.write_all(&self.buffer).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.file_bytes += self.buffer.len() as u64;
        self.last_seq = next;
        Ok(())
    }
}

fn corrupt(path: &Path, offset: u64, detail: String) -> JournalError {
    JournalError::Corrupt { path: path.to_owned(), offset, detail }
}

const SEGMENT_PREFIX: &str = "commands-";
const SEGMENT_SUFFIX: &str = ".log";

/// The segments of `dir`, by first sequence number.
fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, JournalError> {
    let io = |source| JournalError::Io { path: dir.to_owned(), source };
    let mut segments = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(first) =
            name.strip_prefix(SEGMENT_PREFIX).and_then(|n| n.strip_suffix(SEGMENT_SUFFIX))
        else {
            continue;
        };
        let first_seq = first
            .parse()
            .map_err(|_| corrupt(&entry.path(), 0, format!("`{name}` is not a segment name")))?;
        segments.push((first_seq, entry.path()));
    }
    segments.sort();
    Ok(segments)
}

/// Reads every record of the journal in `dir` without taking its lock or changing anything (a
/// node may be running): `visit(seq, line)` for each one, in order. A torn last record is
/// skipped, as recovery would cut it.
pub fn read_only(
    dir: &Path,
    mut visit: impl FnMut(u64, &str) -> Result<(), String>,
) -> Result<Recovered, JournalError> {
    let segments = list_segments(dir)?;
    let mut recovered = Recovered { last_seq: 0, records: 0, torn_tail_bytes: 0 };
    for (index, (first_seq, path)) in segments.iter().enumerate() {
        if recovered.records > 0 && *first_seq != recovered.last_seq + 1 {
            let detail = format!(
                "segment starts at seq {first_seq}, but the previous one ended at {}",
                recovered.last_seq
            );
            return Err(corrupt(path, 0, detail));
        }
        let tail = Tail::Skip(index + 1 == segments.len());
        read_segment(path, tail, 0, &mut recovered, &mut visit)?;
    }
    Ok(recovered)
}

/// What to do with a torn record at the end of a segment.
#[derive(Debug, Clone, Copy)]
enum Tail {
    /// Cut it off if this is the last segment (recovery); elsewhere it is corruption.
    Cut(bool),
    /// Leave it and stop if this is the last segment (a reader beside a running node).
    Skip(bool),
}

/// Reads one segment into `recovered`, cutting a torn tail off the last one.
fn read_segment(
    path: &Path,
    tail: Tail,
    after_seq: u64,
    recovered: &mut Recovered,
    replay: &mut impl FnMut(u64, &str) -> Result<(), String>,
) -> Result<(), JournalError> {
    let io = |source| JournalError::Io { path: path.to_owned(), source };
    let file = File::open(path).map_err(io)?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut record = Vec::new();
    let mut offset = 0u64;
    loop {
        record.clear();
        let read = reader.read_until(b'\n', &mut record).map_err(io)?;
        if read == 0 {
            return Ok(());
        }
        if record.last() != Some(&b'\n') {
            match tail {
                Tail::Cut(true) => cut_torn_tail(path, offset)?,
                Tail::Skip(true) => {}
                Tail::Cut(false) | Tail::Skip(false) => {
                    let detail = "a record without its line feed before the last segment";
                    return Err(corrupt(path, offset, detail.into()));
                }
            }
            recovered.torn_tail_bytes = read as u64;
            return Ok(());
        }
        let (seq, line) =
            frame::decode(&record[..read - 1]).map_err(|detail| corrupt(path, offset, detail))?;
        if seq != recovered.last_seq + 1 {
            let detail = format!("seq {seq} follows seq {}", recovered.last_seq);
            return Err(corrupt(path, offset, detail));
        }
        if seq > after_seq {
            replay(seq, line).map_err(|detail| JournalError::Replay {
                path: path.to_owned(),
                offset,
                seq,
                detail,
            })?;
        }
        recovered.last_seq = seq;
        recovered.records += 1;
        offset += read as u64;
    }
}

fn cut_torn_tail(path: &Path, offset: u64) -> Result<(), JournalError> {
    let io = |source| JournalError::Io { path: path.to_owned(), source };
    let file = OpenOptions::new().write(true).open(path).map_err(io)?;
    file.set_len(offset).map_err(io)?;
    file.sync_all().map_err(io)
}

fn open_for_append(path: &Path) -> Result<(PathBuf, File, u64), JournalError> {
    let io = |source| JournalError::Io { path: path.to_owned(), source };
    let file = OpenOptions::new().append(true).open(path).map_err(io)?;
    let bytes = file.metadata().map_err(io)?.len();
    Ok((path.to_owned(), file, bytes))
}

/// Creates the segment whose first record will be `first_seq`, durably (its directory entry
/// is synced too, or a crash could lose the file's name with its acknowledged records).
fn create_segment(dir: &Path, first_seq: u64) -> Result<(PathBuf, File, u64), JournalError> {
    let path = dir.join(format!("{SEGMENT_PREFIX}{first_seq:020}{SEGMENT_SUFFIX}"));
    let io = |source| JournalError::Io { path: path.clone(), source };
    let file = OpenOptions::new().append(true).create_new(true).open(&path).map_err(io)?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
    Ok((path, file, 0))
}
