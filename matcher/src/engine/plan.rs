//! The planner: which resting orders an incoming order would take, in priority order, without
//! changing the book (matching rules 2–4).
//!
//! The incoming order's compatible groups are merged like sorted lists: one cursor per ladder
//! of each group (its fixed ladder and its floating ladders, `floats.rs`, whose ranks are the
//! stored ones plus the ladder's shift), and at each step the cursor with the best rank, ties by
//! earliest arrival, is examined. A
//! candidate that fails the time rule or is the same owner is skipped and stays in the book.
//! The merge stops at the first candidate priced beyond the incoming order's limit, since every
//! other candidate is priced no better. Planning first and executing after is what lets
//! fill-or-kill and post-only decide before anything trades.

use super::floats::Float;
use super::index::{FloatId, GroupId};
use super::ladder::Ladder;
use super::slab::{Resting, Slab, NIL};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor {
    group: GroupId,
    /// The floating ladder walked, or [`FloatId::NIL`] for the group's fixed ladder.
    float: FloatId,
    /// Added (wrapping) to a level's stored rank: 0 on a fixed ladder.
    shift: u64,
    level: u32,
    /// Effective rank of the level.
    rank: u64,
    slot: u32,
}

/// One planned fill of a resting order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fill {
    pub(crate) slot: u32,
    pub(crate) qty: u32,
    pub(crate) start_ms: u64,
    pub(crate) end_ms: u64,
}

/// Reused buffers, so planning allocates nothing once they have grown.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    cursors: Vec<Cursor>,
    pub(crate) fills: Vec<Fill>,
}

/// What the incoming order brings to the plan.
pub(crate) struct Incoming<'a, F> {
    /// Candidates must have a rank at least this (price acceptable to both).
    pub(crate) rank_min: u64,
    pub(crate) owner: crate::owner::Owner,
    /// Most quantity to plan.
    pub(crate) need: u32,
    /// The time rule for a candidate: the deal's `(start_ms, end_ms)`, or `None`.
    pub(crate) fits: F,
    /// Groups of the other side this order can trade with.
    pub(crate) groups: &'a [GroupId],
}

/// The ladders of the other side: a group's fixed ladder and its floating ladders.
pub(crate) struct Book<'l, L> {
    /// A group's fixed ladder and its floating ladders.
    pub(crate) group: L,
    pub(crate) floats: &'l [Float],
}

impl<'l, L: Fn(GroupId) -> (&'l Ladder, &'l [FloatId])> Book<'l, L> {
    fn ladder(&self, cursor: &Cursor) -> &'l Ladder {
        if cursor.float == FloatId::NIL {
            (self.group)(cursor.group).0
        } else {
            &self.floats[cursor.float.at()].ladder
        }
    }
}

/// A cursor at the best level of `ladder`, if that level's rank is at least `rank_min`.
fn top(
    ladder: &Ladder,
    (group, float): (GroupId, FloatId),
    shift: u64,
    rank_min: u64,
) -> Option<Cursor> {
    let best = ladder.levels.last()?;
    let rank = best.rank.wrapping_add(shift);
    let level = (ladder.levels.len() - 1) as u32;
    (rank >= rank_min).then_some(Cursor { group, float, shift, level, rank, slot: best.head })
}

/// Plans fills into `scratch.fills` and returns the planned quantity.
pub(crate) fn plan<'l, F, L>(
    incoming: Incoming<'_, F>,
    book: Book<'l, L>,
    slab: &Slab,
    scratch: &mut Scratch,
) -> u32
where
    F: Fn(&Resting) -> Option<(u64, u64)>,
    L: Fn(GroupId) -> (&'l Ladder, &'l [FloatId]),
{
    scratch.cursors.clear();
    scratch.fills.clear();
    let rank_min = incoming.rank_min;
    for &group in incoming.groups {
        let (fixed, floats) = (book.group)(group);
        scratch.cursors.extend(top(fixed, (group, FloatId::NIL), 0, rank_min));
        for &float in floats {
            let ladder = &book.floats[float.at()];
            scratch.cursors.extend(top(&ladder.ladder, (group, float), ladder.shift, rank_min));
        }
    }
    let mut planned = 0u32;
    // Candidates come best first (rule 4): each no better than the one before.
    let mut last = (u64::MAX, 0u32);
    while planned < incoming.need {
        let Some(at) = best_cursor(&scratch.cursors, slab) else { break };
        let cursor = scratch.cursors[at];
        if cursor.rank < incoming.rank_min {
            break;
        }
        let resting = slab.get(cursor.slot);
        debug_assert!(resting.remaining > 0, "slot {}: a listed order is not empty", cursor.slot);
        debug_assert!(
            cursor.rank < last.0 || (cursor.rank == last.0 && resting.order.0 > last.1),
            "the planner visits candidates by rank, then arrival"
        );
        last = (cursor.rank, resting.order.0);
        if resting.owner != incoming.owner {
            if let Some((start_ms, end_ms)) = (incoming.fits)(resting) {
                let qty = resting.remaining.min(incoming.need - planned);
                scratch.fills.push(Fill { slot: cursor.slot, qty, start_ms, end_ms });
                planned += qty;
            }
        }
        scratch.cursors[at] = advance(cursor, resting.next, book.ladder(&cursor));
    }
    planned
}

/// The cursor with the best rank, ties by earliest arrival; `None` when all are exhausted.
fn best_cursor(cursors: &[Cursor], slab: &Slab) -> Option<usize> {
    let mut best: Option<(usize, u64, u32)> = None;
    for (at, cursor) in cursors.iter().enumerate() {
        if cursor.slot == NIL {
            continue;
        }
        let arrival = slab.get(cursor.slot).order.0;
        let better = match best {
            None => true,
            Some((_, rank, first)) => {
                cursor.rank > rank || (cursor.rank == rank && arrival < first)
            }
        };
        if better {
            best = Some((at, cursor.rank, arrival));
        }
    }
    best.map(|(at, _, _)| at)
}

/// Moves a cursor to the next order of its level, or to the head of the next worse level.
fn advance(cursor: Cursor, next: u32, ladder: &Ladder) -> Cursor {
    if next != NIL {
        return Cursor { slot: next, ..cursor };
    }
    if cursor.level == 0 {
        return Cursor { slot: NIL, ..cursor };
    }
    let level = cursor.level - 1;
    let worse = ladder.levels[level as usize];
    Cursor { level, rank: worse.rank.wrapping_add(cursor.shift), slot: worse.head, ..cursor }
}
