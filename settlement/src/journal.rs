//! The settlement journal: an append-only, checksummed, fsync'd record of what the batcher
//! decided and did, written *before* it acts (principle 3: journals are written before they are
//! acted on).
//!
//! One record per line: 8 hex digits of the CRC-32 of the JSON, a space, the JSON, `\n`. Every
//! append is followed by `sync_data`, so a record that `append` returned for is on disk. A crash
//! can leave one torn record at the end (no newline, or a checksum that does not match); it was
//! never acknowledged, so nothing was acted on, and `open` cuts it off. A bad record anywhere
//! else is corruption and an error: the journal is never guessed at.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

use crate::chain::{BatchReceipt, PendingTx, SettlementDeal};

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
        /// The journal file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A record before the last one is damaged.
    #[error(
        "journal {path} line {line}: {detail} (the journal is damaged; it is never guessed at)"
    )]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        detail: String,
    },
}

/// An open journal: its records so far, and the file to append to.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    records: Vec<Record>,
    torn_tail_bytes: u64,
}

impl Journal {
    /// Opens (or creates) the journal at `path`, reading every record and cutting off a torn
    /// last one.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let io = |source| JournalError::Io { path: path.to_owned(), source };
        let created = !path.exists();
        let mut file =
            OpenOptions::new().read(true).append(true).create(true).open(path).map_err(io)?;
        if created {
            // A new file's name is only durable once its directory is synced too.
            sync_parent(path).map_err(io)?;
        }
        let (records, good_bytes, total_bytes) = read_records(path, &file)?;
        let torn_tail_bytes = total_bytes - good_bytes;
        if torn_tail_bytes > 0 {
            file.set_len(good_bytes).map_err(io)?;
            file.sync_data().map_err(io)?;
        }
        file.seek(SeekFrom::End(0)).map_err(io)?;
        Ok(Journal { path: path.to_owned(), file, records, torn_tail_bytes })
    }

    /// Every record, oldest first.
    pub fn records(&self) -> &[Record] {
        &self.records
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
        Ok(())
    }
}

fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

fn encode(record: &Record) -> String {
    // Serializing these plain types cannot fail; an empty object would be caught on reading.
    let json = serde_json::to_string(record).unwrap_or_default();
    format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes()))
}

/// Reads records; returns them, the length of the good prefix and the file length.
fn read_records(path: &Path, file: &File) -> Result<(Vec<Record>, u64, u64), JournalError> {
    let io = |source| JournalError::Io { path: path.to_owned(), source };
    let mut reader = BufReader::new(file);
    let (mut records, mut good_bytes, mut total_bytes) = (Vec::new(), 0u64, 0u64);
    let mut pending_error: Option<(u64, String)> = None;
    let mut buffer = String::new();
    for line in 1u64.. {
        buffer.clear();
        let read = reader.read_line(&mut buffer).map_err(io)?;
        if read == 0 {
            break;
        }
        total_bytes += read as u64;
        if let Some((line, detail)) = pending_error.take() {
            // A bad record followed by more records is not a torn tail.
            return Err(JournalError::Corrupt { path: path.to_owned(), line, detail });
        }
        match decode(&buffer) {
            Ok(record) => {
                records.push(record);
                good_bytes = total_bytes;
            }
            Err(detail) => pending_error = Some((line, detail)),
        }
    }
    Ok((records, good_bytes, total_bytes))
}

fn decode(line: &str) -> Result<Record, String> {
    let body = line.strip_suffix('\n').ok_or("record not terminated (torn write)")?;
    let (checksum, json) = body.split_once(' ').ok_or("no checksum")?;
    let expected = u32::from_str_radix(checksum, 16).map_err(|_| "bad checksum field")?;
    if crc32fast::hash(json.as_bytes()) != expected || checksum.len() != 8 {
        return Err("checksum mismatch".to_owned());
    }
    serde_json::from_str(json).map_err(|e| format!("bad record: {e}"))
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

    #[test]
    fn records_survive_reopening_in_order() {
        let path = temp("reopen");
        let mut journal = Journal::open(&path).unwrap();
        journal
            .append(Record::Opened { chain_id: 1, settlement: Address::repeat_byte(9) })
            .unwrap();
        journal.append(held(1)).unwrap();
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
}
