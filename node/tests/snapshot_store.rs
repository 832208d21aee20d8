//! `DATA_DIR/snapshots/` (node/src/snapshot/store.rs). The rules pinned: the newest `keep`
//! snapshots are kept; loading takes the newest one that is whole, undamaged and of this
//! market, and reports every newer one it skipped with its file and why; a write interrupted
//! before its rename leaves nothing that loads; no usable snapshot means none.

use std::path::{Path, PathBuf};

use gridbook_node::snapshot::{Header, Payload, Store};

fn fresh_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("gridbook-node-snapshots-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

const MARKET: [u8; 32] = [3; 32];

fn header(seq: u64) -> Header {
    Header { seq, ts_ms: 1000 + seq, state_hash: [seq as u8; 32], market: MARKET }
}

fn payload(seq: u64) -> Vec<u8> {
    let publisher = vec![1, 2, 3];
    Payload {
        market: vec![seq as u8; 100],
        market_extra: Vec::new(),
        publisher,
        market_file: vec![],
    }
    .encode()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the snapshot directory exists")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_newest_keep_snapshots_are_kept_and_the_newest_loads() {
    let dir = fresh_dir("keep");
    let store = Store::new(&dir, 2);
    for seq in [10, 20, 30] {
        store.write(&header(seq), &payload(seq)).expect("written");
    }
    assert_eq!(
        names(store.dir()),
        ["snapshot-00000000000000000020.gbsnap", "snapshot-00000000000000000030.gbsnap"]
    );
    let (loaded, skipped) = store.load_newest(&MARKET).expect("listed");
    let loaded = loaded.expect("one loads");
    assert!(skipped.is_empty());
    assert_eq!((loaded.header, loaded.payload), (header(30), payload(30)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_newest_snapshot_is_skipped_with_its_file_and_why() {
    let dir = fresh_dir("damaged");
    let store = Store::new(&dir, 3);
    for seq in [10, 20] {
        store.write(&header(seq), &payload(seq)).expect("written");
    }
    let newest = store.dir().join("snapshot-00000000000000000020.gbsnap");
    let mut bytes = std::fs::read(&newest).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x10;
    std::fs::write(&newest, &bytes).expect("damaged");
    // An interrupted write: a temporary file that never got its name.
    let temp = store.dir().join("snapshot-00000000000000000040.gbsnap.tmp");
    std::fs::write(&temp, b"half a snap").expect("written");

    let (loaded, skipped) = store.load_newest(&MARKET).expect("listed");
    assert_eq!(loaded.expect("the older one loads").header, header(10));
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].path, newest);
    assert!(skipped[0].why.contains("checksum"), "{}", skipped[0].why);
    assert!(!temp.exists(), "the leftover of an interrupted write is removed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn snapshots_of_another_market_or_none_at_all_load_nothing() {
    let dir = fresh_dir("other");
    let store = Store::new(&dir, 3);
    assert!(store.load_newest(&MARKET).expect("no directory yet").0.is_none());
    store.write(&header(5), &payload(5)).expect("written");
    let (loaded, skipped) = store.load_newest(&[4; 32]).expect("listed");
    assert!(loaded.is_none());
    assert!(skipped[0].why.contains("another market"), "{}", skipped[0].why);
    let _ = std::fs::remove_dir_all(&dir);
}
