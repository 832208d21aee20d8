//! The settlement journal: an append-only, checksummed, fsync'd record of what the batcher
//! decided and did, written *before* it acts (principle 3: journals are written before they are
//! acted on).
//!
//! One record per line (`scan` has the format, and what is a torn tail and what is corruption).
//! Every append is followed by `sync_data`, so a record that `append` returned for is on disk. A
//! crash can leave one torn record at the end; it was never acknowledged, so nothing was acted
//! on, and `open` cuts it off. Anything else that does not read back is corruption and an error
//! naming the file, line and byte offset: the journal is never guessed at. One process at a time
//! may write a journal (`lock`): `open` takes `<journal>.lock` or says which pid holds it.

mod lock;
mod scan;

pub use lock::lock_path;

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

use crate::chain::{BatchReceipt, PendingTx, SettlementDeal};
use crate::journal_state::JournalState;

/// One journal record. Externally tagged (`{"batch":{…}}`): internally tagged enums buffer
/// their fields, and that buffer cannot hold the `u128` fees of a sent transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Record {
    /// First record: binds the journal to one deployment.
    Opened {
        /// The chain's id.
        chain_id: u64,
        /// The settlement contract.
        settlement: Address,
    },
    /// A batch was closed; it is sent after this record is on disk.
    Batch {
        /// Its id (`lastBatchId + 1` when it was closed).
        batch_id: u64,
        /// Its deals, in leaf order.
        deals: Vec<SettlementDeal>,
    },
    /// The batch's transaction was handed to the node (written again after a replacement).
    Sent {
        /// The transaction.
        pending: PendingTx,
    },
    /// The batch is settled, with its receipt.
    Confirmed {
        /// The receipt.
        receipt: BatchReceipt,
    },
    /// The batch is settled on chain, but not by a receipt this batcher saw (it crashed after
    /// sending); the root read back from the chain matched the journaled deals.
    Recovered {
        /// The batch.
        batch_id: u64,
        /// The root stored on chain.
        merkle_root: B256,
    },
    /// The batch reverted without being settled (a requester's escrow fell short after the
    /// check); its deals go back to the queue and its id will be used again.
    Abandoned {
        /// The batch.
        batch_id: u64,
        /// Why.
        reason: String,
    },
    /// A deal was held out of a batch (informational: status reports it).
    Held {
        /// The deal.
        deal_id: u64,
        /// Its requester.
        requester: Address,
        /// What it costs.
        amount: U256,
        /// Why it was held.
        reason: String,
    },
}

/// The journal cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Reading or writing failed.
    #[error("journal {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A record does not read back, or contradicts the records before it.
    #[error(
        "journal {path} line {line} (byte offset {offset}): {detail} (the journal is damaged; it \
         is never guessed at)"
    )]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// Byte offset in the file of the damage (or of the record that is wrong).
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// Another process has the journal open for writing.
    #[error(
        "journal {journal} is in use by {}: one settler at a time per journal",
        holder_pid.map_or("another process (pid unknown)".to_owned(), |pid| format!("process {pid}"))
    )]
    Locked {
        /// The journal.
        journal: PathBuf,
        /// The holder's process id, as written in the lock file.
        holder_pid: Option<u32>,
    },
}

/// An open journal, locked for this process: its records so far, and the file to append to.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    _lock: lock::JournalLock,
    records: Vec<Record>,
    /// The byte offset at which each record starts, for errors.
    offsets: Vec<u64>,
    /// The file's length: where the next record starts.
    length: u64,
    torn_tail_bytes: u64,
}

impl Journal {
    /// Locks the journal at `path` (created if missing) for this process, reads every record
    /// and cuts off a torn last one.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let io = |source| JournalError::Io { path: path.to_owned(), source };
        let lock = lock::lock(path)?;
        let created = !path.exists();
        let mut file =
            OpenOptions::new().read(true).append(true).create(true).open(path).map_err(io)?;
        if created {
            // A new file's name is only durable once its directory is synced too.
            sync_parent(path).map_err(io)?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let scan = scan::scan(path, &bytes)?;
        let torn_tail_bytes = bytes.len() as u64 - scan.good_bytes;
        if torn_tail_bytes > 0 {
            file.set_len(scan.good_bytes).map_err(io)?;
            file.sync_data().map_err(io)?;
        }
        file.seek(SeekFrom::End(0)).map_err(io)?;
        Ok(Journal {
            path: path.to_owned(),
            file,
            _lock: lock,
            records: scan.records,
            offsets: scan.offsets,
            length: scan.good_bytes,
            torn_tail_bytes,
        })
    }

    /// Every record, oldest first.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// What the records say, folded; a record that contradicts the ones before it is
    /// corruption.
    pub fn state(&self) -> Result<JournalState, JournalError> {
        fold(&self.path, &self.records, &self.offsets)
    }

    /// Bytes of a torn last record that `open` cut off (0 after a clean stop).
    pub fn torn_tail_bytes(&self) -> u64 {
        self.torn_tail_bytes
    }

    /// The journal's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends a record and waits until it is on disk.
    pub fn append(&mut self, record: Record) -> Result<(), JournalError> {
        let line = encode(&record);
        let io = |source| JournalError::Io { path: self.path.clone(), source };
        self.file.write_all(line.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.records.push(record);
        self.offsets.push(self.length);
        self.length += line.len() as u64;
        Ok(())
    }
}

/// What the journal at `path` says, for readers (`settlement status`, `prove`): no lock taken
/// and nothing written, so it can be read while a settler appends (a torn last record is
/// left alone, and not counted).
pub fn read_state(path: &Path) -> Result<JournalState, JournalError> {
    let bytes =
        std::fs::read(path).map_err(|source| JournalError::Io { path: path.to_owned(), source })?;
    let scan = scan::scan(path, &bytes)?;
    fold(path, &scan.records, &scan.offsets)
}

fn fold(path: &Path, records: &[Record], offsets: &[u64]) -> Result<JournalState, JournalError> {
    JournalState::from_records(records).map_err(|error| JournalError::Corrupt {
        path: path.to_owned(),
        line: error.index as u64 + 1,
        offset: offsets[error.index],
        detail: error.detail,
    })
}

fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

fn encode(record: &Record) -> String {
    let json = serde_json::to_string(record)
        .expect("a record of integers, addresses and strings always serializes");
    format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("gridbook-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        path
    }

    fn held(deal_id: u64) -> Record {
        Record::Held {
            deal_id,
            requester: Address::repeat_byte(2),
            amount: U256::from(7u8),
            reason: "escrow short".to_owned(),
        }
    }

    /// A journal at a fresh path with `opened` and `held(1)`, still open.
    fn opened_with_held(name: &str) -> (PathBuf, Journal) {
        let path = temp(name);
        let mut journal = Journal::open(&path).unwrap();
        journal
            .append(Record::Opened { chain_id: 1, settlement: Address::repeat_byte(9) })
            .unwrap();
        journal.append(held(1)).unwrap();
        (path, journal)
    }

    #[test]
    fn records_survive_reopening_in_order() {
        let (path, journal) = opened_with_held("reopen");
        drop(journal);
        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.records().len(), 2);
        assert_eq!(journal.records()[1], held(1));
        assert_eq!(journal.torn_tail_bytes(), 0);
    }

    #[test]
    fn a_torn_last_record_is_cut_off_and_appending_continues() {
        let path = temp("torn");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(held(1)).unwrap();
        drop(journal);
        let full = encode(&held(2));
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&full.as_bytes()[..full.len() / 2]).unwrap();
        drop(file);
        let mut journal = Journal::open(&path).unwrap();
        assert_eq!(journal.records(), &[held(1)]);
        assert_eq!(journal.torn_tail_bytes(), (full.len() / 2) as u64);
        journal.append(held(3)).unwrap();
        drop(journal);
        assert_eq!(Journal::open(&path).unwrap().records(), &[held(1), held(3)]);
    }

    #[test]
    fn a_damaged_record_before_the_end_is_an_error_not_a_guess() {
        let path = temp("corrupt");
        let mut journal = Journal::open(&path).unwrap();
        journal.append(held(1)).unwrap();
        journal.append(held(2)).unwrap();
        drop(journal);
        let text =
            std::fs::read_to_string(&path).unwrap().replacen("\"deal_id\":1", "\"deal_id\":4", 1);
        std::fs::write(&path, text).unwrap();
        let message = Journal::open(&path).unwrap_err().to_string();
        assert!(message.contains("line 1") && message.contains("checksum"), "{message}");
    }

    #[test]
    fn a_second_writer_is_refused_at_once_naming_the_holders_pid() {
        let path = temp("locked");
        let first = Journal::open(&path).unwrap();
        let error = Journal::open(&path).unwrap_err();
        let pid = std::process::id();
        assert!(
            matches!(&error, JournalError::Locked { holder_pid: Some(p), .. } if *p == pid),
            "{error}"
        );
        assert!(error.to_string().contains(&format!("in use by process {pid}")), "{error}");
        drop(first);
        Journal::open(&path).expect("the lock goes with its holder");
    }

    #[test]
    fn a_reader_takes_no_lock_and_leaves_a_torn_tail_alone() {
        let (path, _writer) = opened_with_held("reader");
        let torn = &encode(&held(2))[..20];
        OpenOptions::new().append(true).open(&path).unwrap().write_all(torn.as_bytes()).unwrap();
        let length = std::fs::metadata(&path).unwrap().len();
        let state = read_state(&path).expect("read while the writer holds the lock");
        assert_eq!(state.held.keys().copied().collect::<Vec<_>>(), [1]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), length, "nothing cut by a reader");
    }

    #[test]
    fn a_record_that_contradicts_the_ones_before_it_is_corruption_at_its_line_and_offset() {
        let (path, mut journal) = opened_with_held("contradiction");
        let pending = PendingTx {
            batch_id: 7,
            tx_hash: B256::repeat_byte(1),
            nonce: 0,
            max_fee_per_gas: 1,
            max_priority_fee_per_gas: 1,
        };
        journal.append(Record::Sent { pending }).unwrap();
        let third_at = std::fs::read(&path).unwrap().len() as u64
            - encode(journal.records().last().unwrap()).len() as u64;
        let error = journal.state().unwrap_err();
        match &error {
            JournalError::Corrupt { line: 3, offset, detail, .. } => {
                assert_eq!(*offset, third_at);
                assert!(detail.contains("batch 7, which is not journaled"), "{detail}");
            }
            other => panic!("{other}"),
        }
        drop(journal);
        assert!(read_state(&path).is_err(), "readers fold as strictly");
    }
}
