//! When the matching thread takes a snapshot: after `snapshot.every_commands` commands or
//! `snapshot.every_ms` of node time since the last one, whichever comes first (0 turns a
//! trigger off). Node time is the journaled `ts`, so the schedule reads no clock, and a quiet
//! market (ticks only) is not snapshotted again and again: time alone needs a command since.

use crate::config::SnapshotSection;

/// The snapshot schedule of one matching thread.
#[derive(Debug, Clone)]
pub struct Schedule {
    every_commands: u64,
    every_ms: u64,
    /// Commands applied since the last snapshot, ticks excluded.
    commands: u64,
    /// Node time of the last snapshot (or of the start); `None` on a fresh journal until its
    /// first command, so that a new node is not snapshotted at once for the time since 1970.
    last_ms: Option<u64>,
}

impl Schedule {
    /// A schedule as `section` says, counting from node time `start_ms` (0: a fresh journal,
    /// counted from its first command).
    pub fn new(section: &SnapshotSection, start_ms: u64) -> Schedule {
        Schedule {
            every_commands: section.every_commands,
            every_ms: section.every_ms,
            commands: 0,
            last_ms: (start_ms > 0).then_some(start_ms),
        }
    }

    /// Counts `commands` applied (ticks excluded), the last at node time `ts_ms`; whether a
    /// snapshot is due. When it is, the count starts again from here.
    pub fn due(&mut self, commands: u64, ts_ms: u64) -> bool {
        self.commands += commands;
        let last_ms = *self.last_ms.get_or_insert(ts_ms);
        let by_count = self.every_commands > 0 && self.commands >= self.every_commands;
        let by_time = self.every_ms > 0
            && self.commands > 0
            && ts_ms.saturating_sub(last_ms) >= self.every_ms;
        if by_count || by_time {
            (self.commands, self.last_ms) = (0, Some(ts_ms));
        }
        by_count || by_time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(every_commands: u64, every_ms: u64) -> Schedule {
        Schedule::new(&SnapshotSection { every_commands, every_ms, keep: 1 }, 1_000)
    }

    #[test]
    fn a_snapshot_is_due_after_every_commands() {
        let mut schedule = schedule(10, 0);
        assert!(!schedule.due(9, 1_001));
        assert!(schedule.due(1, 1_002));
        assert!(!schedule.due(9, 1_003), "the count starts again");
        assert!(schedule.due(5, 1_004));
    }

    #[test]
    fn a_snapshot_is_due_after_every_ms_of_node_time_if_anything_happened() {
        let mut schedule = schedule(0, 500);
        assert!(!schedule.due(0, 10_000), "ticks alone do not make a snapshot due");
        assert!(schedule.due(1, 10_000));
        assert!(!schedule.due(1, 10_499));
        assert!(schedule.due(0, 10_500), "a command since the last one");
    }

    #[test]
    fn a_fresh_journal_counts_time_from_its_first_command_not_from_1970() {
        let section = SnapshotSection { every_commands: 0, every_ms: 500, keep: 1 };
        let mut schedule = Schedule::new(&section, 0);
        assert!(!schedule.due(1, 1_796_000_000_000), "the first command of a new node");
        assert!(!schedule.due(1, 1_796_000_000_499));
        assert!(schedule.due(1, 1_796_000_000_500));
    }

    #[test]
    fn both_zero_never_snapshots() {
        let mut schedule = schedule(0, 0);
        assert!(!schedule.due(u64::MAX / 2, u64::MAX));
    }
}
