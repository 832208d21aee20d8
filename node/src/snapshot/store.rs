//! `DATA_DIR/snapshots/`: writing a snapshot so that a crash at any moment leaves either the
//! whole new file or none of it, keeping the newest few, and finding the newest good one.
//!
//! A snapshot is written to a temporary file, fsync'd, renamed to `snapshot-SEQ.gbsnap` (SEQ
//! zero-padded, so names sort as sequence numbers do) and the directory fsync'd, so the rename
//! itself survives a crash. Only then are older snapshots beyond `keep` deleted. Loading tries
//! the files newest first and takes the first that decodes; each one skipped is reported with
//! its path and why, and leftover temporary files of an interrupted write are removed.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::file::{self, Header};

const PREFIX: &str = "snapshot-";
const SUFFIX: &str = ".gbsnap";
const TEMP_SUFFIX: &str = ".tmp";

/// A snapshot file that could not be written, listed or read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct StoreError {
    /// The file or directory.
    pub path: PathBuf,
    /// The error.
    pub source: std::io::Error,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError { path: path.to_owned(), source }
}

/// Writes the snapshot file of `header` and `payload` at `path` so that a crash at any moment
/// leaves either the whole file or none of it (the old one, if any): a temporary file beside it,
/// fsync'd, renamed over it, and the directory fsync'd. The node's store and `gridbook
/// snapshot --out` both write this way.
pub fn write_file(path: &Path, header: &Header, payload: &[u8]) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = path.as_os_str().to_owned();
    temp.push(TEMP_SUFFIX);
    let temp = PathBuf::from(temp);
    let bytes = file::encode(header, payload);
    let write = || -> std::io::Result<()> {
        let mut out = File::create(&temp)?;
        out.write_all(&bytes)?;
        out.sync_all()
    };
    write().map_err(io_error(&temp))?;
    std::fs::rename(&temp, path).map_err(io_error(path))?;
    File::open(dir).and_then(|dir| dir.sync_all()).map_err(io_error(dir))
}

/// A snapshot file passed over by [`Store::load_newest`].
#[derive(Debug)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it was not used.
    pub why: String,
}

/// The newest usable snapshot.
#[derive(Debug)]
pub struct Loaded {
    /// Its file.
    pub path: PathBuf,
    /// Its header.
    pub header: Header,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// The snapshot directory of one data directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    keep: usize,
}

impl Store {
    /// The store in `DATA_DIR/snapshots`, keeping the newest `keep` (at least 1).
    pub fn new(data_dir: &Path, keep: usize) -> Store {
        Store { dir: data_dir.join("snapshots"), keep: keep.max(1) }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a snapshot durably and atomically, then deletes the ones beyond `keep`; its path.
    pub fn write(&self, header: &Header, payload: &[u8]) -> Result<PathBuf, StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(io_error(&self.dir))?;
        let path = self.dir.join(format!("{PREFIX}{:020}{SUFFIX}", header.seq));
        write_file(&path, header, payload)?;
        for (_, old) in self.list()?.into_iter().skip(self.keep) {
            std::fs::remove_file(&old).map_err(io_error(&old))?;
        }
        Ok(path)
    }

    /// Snapshot files by sequence number, newest first (temporary files of an interrupted
    /// write are removed on the way).
    fn list(&self) -> Result<Vec<(u64, PathBuf)>, StoreError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(StoreError { path: self.dir.clone(), source }),
        };
        let mut files = Vec::new();
        for entry in entries {
            let path = entry.map_err(io_error(&self.dir))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            if name.starts_with(PREFIX) && name.ends_with(TEMP_SUFFIX) {
                std::fs::remove_file(&path).map_err(io_error(&path))?;
                continue;
            }
            let seq = name.strip_prefix(PREFIX).and_then(|rest| rest.strip_suffix(SUFFIX));
            if let Some(seq) = seq.and_then(|seq| seq.parse::<u64>().ok()) {
                files.push((seq, path));
            }
        }
        files.sort_unstable_by(|a, b| b.cmp(a));
        Ok(files)
    }

    /// The newest snapshot that decodes and was taken under `market`, with every newer file
    /// skipped and why; `None` if no file is usable (then the whole journal is replayed).
    pub fn load_newest(
        &self,
        market: &[u8; 32],
    ) -> Result<(Option<Loaded>, Vec<Skipped>), StoreError> {
        let mut skipped = Vec::new();
        for (seq, path) in self.list()? {
            let bytes = std::fs::read(&path).map_err(io_error(&path))?;
            let why = match file::decode(&bytes, market) {
                Ok((header, _)) if header.seq != seq => {
                    format!("its header says seq {}, its name {seq}", header.seq)
                }
                Ok((header, payload)) => {
                    let payload = payload.to_vec();
                    return Ok((Some(Loaded { path, header, payload }), skipped));
                }
                Err(error) => error.to_string(),
            };
            skipped.push(Skipped { path, why });
        }
        Ok((None, skipped))
    }
}
