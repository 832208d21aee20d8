//! The sequencer's promises: consecutive sequence numbers, a clock that never goes back,
//! one fsync per group of whatever was waiting, and ticks when the market is quiet.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use gridbook_node::journal::sequencer::{
    run, Journaled, NodeClock, SequencerConfig, SequencerStats, Stamped,
};
use gridbook_node::journal::{Journal, JournalConfig};

#[derive(Debug, PartialEq, Eq)]
enum Cmd {
    Tick,
    Cancel(u64),
}

impl Journaled for Cmd {
    fn tick() -> Cmd {
        Cmd::Tick
    }
    fn render(&self, ts_ms: u64, out: &mut String) {
        match self {
            Cmd::Tick => out.push_str(&format!(r#"{{"ts":{ts_ms},"op":"tick"}}"#)),
            Cmd::Cancel(n) => out.push_str(&format!(
                r#"{{"ts":{ts_ms},"op":"cancel","id":"o{n}","owner":"0x2000000000000000000000000000000000000001"}}"#
            )),
        }
    }
}

fn open(name: &str) -> (Journal, JournalConfig) {
    let dir = std::env::temp_dir().join(format!("gridbook-node-seq-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = JournalConfig { dir, segment_bytes_max: 1 << 30 };
    (Journal::open(config.clone(), 0, |_, _| Ok(())).expect("test setup").0, config)
}

#[test]
fn a_waiting_burst_is_one_group_with_consecutive_numbers_and_a_clock_that_never_goes_back() {
    let (journal, config) = open("burst");
    let (to_seq, inbound) = crossbeam_channel::bounded(1000);
    let (outbound, from_seq) = crossbeam_channel::bounded(100);
    for n in 0..1000 {
        to_seq.send(Cmd::Cancel(n)).unwrap();
    }
    drop(to_seq);
    // The wall clock steps back after the first group.
    let mut readings = [5_000u64, 4_000, 4_500, 6_000].into_iter().cycle();
    let stats = Arc::new(SequencerStats::default());
    let sequencer = SequencerConfig { group_max: 256, tick_interval_ms: 60_000 };
    let journal = run(
        journal,
        NodeClock::starting_at(0),
        move || readings.next().unwrap(),
        sequencer,
        inbound,
        outbound,
        stats.clone(),
    )
    .unwrap();
    let groups: Vec<Vec<Stamped<Cmd>>> = from_seq.iter().collect();
    assert_eq!(groups.iter().map(Vec::len).collect::<Vec<_>>(), [256, 256, 256, 232]);
    assert_eq!(stats.groups.load(Ordering::Relaxed), 4, "one fsync per group");
    let all: Vec<&Stamped<Cmd>> = groups.iter().flatten().collect();
    for (n, stamped) in all.iter().enumerate() {
        assert_eq!(stamped.seq, n as u64 + 1);
        assert_eq!(stamped.item, Cmd::Cancel(n as u64));
    }
    let stamps: Vec<u64> = groups.iter().map(|g| g[0].ts_ms).collect();
    assert_eq!(stamps, [5_000, 5_000, 5_000, 6_000], "never earlier than a time already stamped");
    assert_eq!(journal.last_seq(), 1000);
    drop(journal);
    let mut lines = Vec::new();
    Journal::open(config, 998, |seq, line| {
        lines.push((seq, line.to_owned()));
        Ok(())
    })
    .unwrap();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].1.starts_with(r#"{"ts":6000,"op":"cancel","id":"o999""#), "{:?}", lines[1]);
}

#[test]
fn a_quiet_market_gets_ticks_from_the_sequencer() {
    let (journal, _) = open("ticks");
    let (to_seq, inbound) = crossbeam_channel::bounded::<Cmd>(10);
    let (outbound, from_seq) = crossbeam_channel::bounded(100);
    let stats = Arc::new(SequencerStats::default());
    let sequencer = SequencerConfig { group_max: 16, tick_interval_ms: 10 };
    let thread_stats = stats.clone();
    let handle = std::thread::spawn(move || {
        run(journal, NodeClock::starting_at(0), || 1, sequencer, inbound, outbound, thread_stats)
    });
    // Bounded: at most 2 s of waiting for three ticks.
    let mut ticks = Vec::new();
    while ticks.len() < 3 {
        let group =
            from_seq.recv_timeout(std::time::Duration::from_secs(2)).expect("a tick within 2 s");
        ticks.extend(group);
    }
    drop(to_seq);
    handle.join().unwrap().unwrap();
    assert!(ticks.iter().all(|s| s.item == Cmd::Tick));
    assert_eq!(ticks.iter().map(|s| s.seq).take(3).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(stats.ticks.load(Ordering::Relaxed) >= 3);
}
