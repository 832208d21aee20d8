//! The command journal's promises: what was appended reads back in order; a torn last record is
//! cut off; damage anywhere else stops the open with file and offset; one node per directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use gridbook_node::journal::{Journal, JournalConfig, JournalError, Recovered};

fn fresh_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("gridbook-node-journal-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn config(dir: &Path) -> JournalConfig {
    JournalConfig { dir: dir.to_owned(), segment_bytes_max: 1 << 20 }
}

fn line(n: u64) -> String {
    format!(
        r#"{{"ts":{n},"op":"cancel","id":"o{n}","owner":"0x2000000000000000000000000000000000000001"}}"#
    )
}

/// Appends commands `from..=to` in groups of `group`.
fn append(journal: &mut Journal, from: u64, to: u64, group: u64) {
    let lines: Vec<(u64, String)> = (from..=to).map(|n| (n, line(n))).collect();
    for chunk in lines.chunks(group as usize) {
        journal.append_group(chunk.iter().map(|(seq, l)| (*seq, l.as_str()))).expect("test setup");
    }
}

/// A reopened journal, what it found, and the records it replayed.
type Reopened = (Journal, Recovered, Vec<(u64, String)>);

fn reopen(dir: &Path, after: u64) -> Result<Reopened, JournalError> {
    let mut seen = Vec::new();
    let (journal, recovered) = Journal::open(config(dir), after, |seq, l| {
        seen.push((seq, l.to_owned()));
        Ok(())
    })?;
    Ok((journal, recovered, seen))
}

fn segment(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("test setup")
        .map(|e| e.expect("test setup").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    files.pop().expect("test setup")
}

#[test]
fn records_read_back_in_order_after_the_given_seq() {
    let dir = fresh_dir("order");
    let (mut journal, recovered, _) = reopen(&dir, 0).unwrap();
    assert_eq!(recovered.last_seq, 0);
    append(&mut journal, 1, 10, 3);
    drop(journal);
    let (journal, recovered, seen) = reopen(&dir, 4).unwrap();
    assert_eq!(recovered, Recovered { last_seq: 10, records: 10, torn_tail_bytes: 0 });
    assert_eq!(seen, (5..=10).map(|n| (n, line(n))).collect::<Vec<_>>());
    assert_eq!(journal.last_seq(), 10);
}

#[test]
fn a_torn_last_record_is_cut_and_appending_continues() {
    let dir = fresh_dir("torn");
    let (mut journal, _, _) = reopen(&dir, 0).unwrap();
    append(&mut journal, 1, 3, 3);
    drop(journal);
    let path = segment(&dir);
    let whole = std::fs::read(&path).unwrap();
    // A crash mid-write: half of a fourth record, never acknowledged.
    let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    let torn = b"0badf00d 4 {\"ts\":4,\"op\":\"ti";
    file.write_all(torn).unwrap();
    drop(file);
    let (mut journal, recovered, seen) = reopen(&dir, 0).unwrap();
    assert_eq!(recovered.torn_tail_bytes, torn.len() as u64);
    assert_eq!(seen.len(), 3);
    assert_eq!(std::fs::read(&path).unwrap(), whole, "the tail is cut exactly");
    append(&mut journal, 4, 5, 2);
    drop(journal);
    assert_eq!(reopen(&dir, 0).unwrap().1.last_seq, 5);
}

#[test]
fn a_damaged_complete_record_is_corruption_with_file_and_offset_even_at_the_end() {
    for victim in [1usize, 3] {
        let dir = fresh_dir(&format!("flip{victim}"));
        let (mut journal, _, _) = reopen(&dir, 0).unwrap();
        append(&mut journal, 1, 3, 1);
        drop(journal);
        let path = segment(&dir);
        let mut bytes = std::fs::read(&path).unwrap();
        let starts: Vec<usize> = std::iter::once(0)
            .chain(bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1))
            .collect();
        let offset = starts[victim - 1];
        bytes[offset + 20] ^= 0x01;
        std::fs::write(&path, &bytes).unwrap();
        match reopen(&dir, 0) {
            Err(JournalError::Corrupt { path: at, offset: found, detail }) => {
                assert_eq!(at, path);
                assert_eq!(found, offset as u64, "record {victim}");
                assert_eq!(detail, "checksum mismatch");
            }
            other => panic!("record {victim}: expected corruption, got {other:?}"),
        }
    }
}

#[test]
fn a_gap_in_sequence_numbers_is_corruption() {
    let dir = fresh_dir("gap");
    let (mut journal, _, _) = reopen(&dir, 0).unwrap();
    append(&mut journal, 1, 4, 1);
    drop(journal);
    let path = segment(&dir);
    let text = std::fs::read_to_string(&path).unwrap();
    let without_second: String =
        text.lines().enumerate().filter(|(i, _)| *i != 1).map(|(_, l)| format!("{l}\n")).collect();
    std::fs::write(&path, without_second).unwrap();
    let error = reopen(&dir, 0).unwrap_err().to_string();
    assert!(error.contains("seq 3 follows seq 1"), "{error}");
}

#[test]
fn segments_rotate_at_group_boundaries_and_read_back_as_one_log() {
    let dir = fresh_dir("segments");
    let small = JournalConfig { dir: dir.clone(), segment_bytes_max: 1_000 };
    let (mut journal, _) = Journal::open(small.clone(), 0, |_, _| Ok(())).unwrap();
    append(&mut journal, 1, 100, 7);
    drop(journal);
    let segments = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "log"));
    assert!(segments.count() > 5);
    let (_, recovered, seen) = reopen(&dir, 50).unwrap();
    assert_eq!(recovered.last_seq, 100);
    assert_eq!(seen.first().map(|(s, _)| *s), Some(51));
    assert_eq!(seen.len(), 50);
}

#[test]
fn a_second_node_on_the_same_directory_is_refused_naming_the_holder() {
    let dir = fresh_dir("lock");
    let (journal, _, _) = reopen(&dir, 0).unwrap();
    let error = reopen(&dir, 0).unwrap_err();
    assert!(matches!(error, JournalError::Locked { .. }));
    assert!(error.to_string().contains(&format!("process {}", std::process::id())), "{error}");
    drop(journal);
    reopen(&dir, 0).expect("the lock is released with the journal");
}

#[test]
fn an_error_while_replaying_names_the_record() {
    let dir = fresh_dir("replay-error");
    let (mut journal, _, _) = reopen(&dir, 0).unwrap();
    append(&mut journal, 1, 3, 3);
    drop(journal);
    let error = Journal::open(config(&dir), 0, |seq, _| {
        if seq == 2 {
            Err("state hash differs".into())
        } else {
            Ok(())
        }
    })
    .unwrap_err()
    .to_string();
    assert!(error.contains("seq 2: state hash differs"), "{error}");
}
