//! Groups of resting orders that share a ladder, and the cache of which groups can trade.
//!
//! Asks are grouped by machine configuration ([`Hardware`]), bids by requirement signature
//! ([`Requirements`]). Whether a configuration satisfies a signature is computed once, when the
//! second of the two is first seen, and kept on both sides: an incoming bid visits only the
//! configurations its signature fits, an incoming ask only the signatures its configuration
//! satisfies. Nothing on the matching path scans the whole book.
//!
//! Bounds apply to what is live. A group whose orders have all left is *idle*: it keeps its
//! index, ladder and compatibility entries, so a configuration that comes back costs nothing,
//! until room is needed. Then the group idle the longest is reclaimed — its key, compatibility
//! entries (on both sides) and floating ladders dropped — and its index serves the new group.
//! So `configs_max` and `signatures_max` bound the groups with resting orders, the tables never
//! exceed them, and the cache stays within `configs_max × signatures_max` pairs. Which index a
//! group gets never shows in the events: the planner breaks ties by arrival, never by group.

use hashbrown::HashMap;
use std::hash::Hash;

use super::index::{FloatId, GroupId};
use super::ladder::Ladder;
use crate::hardware::{Hardware, Requirements};

/// Most groups a side may have for [`Table::find`] to compare keys instead of hashing.
const SCAN_MAX: usize = 4;

/// One group: its orders' shared key and ladder, and what it can trade with.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Group<K> {
    /// The configuration (asks) or signature (bids).
    pub(crate) key: K,
    pub(crate) ladder: Ladder,
    /// Groups of the other side it can trade with: for a configuration the signatures it
    /// satisfies, for a signature the configurations that satisfy it.
    pub(crate) related: Vec<GroupId>,
    /// Floating ladders of its pegged orders ([`super::floats`]).
    pub(crate) floats: Vec<FloatId>,
    /// Resting orders in the group, on a ladder or unpriced; 0 makes the group idle.
    pub(crate) resting: u32,
    /// Neighbours in its side's idle list (earlier, later) while idle.
    idle_prev: GroupId,
    idle_next: GroupId,
}

/// One side's groups: every group by index, an index by key, and the idle ones in the order
/// they became idle (the first is reclaimed first).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(bound(serialize = "K: serde::Serialize", deserialize = "K: serde::Deserialize<'de>"))]
pub(crate) struct Table<K> {
    /// Rebuilt from `list` on restore (`snapshot.rs`).
    #[serde(skip)]
    index: HashMap<K, GroupId>,
    pub(crate) list: Vec<Group<K>>,
    idle_head: GroupId,
    idle_tail: GroupId,
    idle_len: usize,
}

impl<K> Default for Table<K> {
    fn default() -> Table<K> {
        Table {
            index: HashMap::new(),
            list: Vec::new(),
            idle_head: GroupId::NIL,
            idle_tail: GroupId::NIL,
            idle_len: 0,
        }
    }
}

impl<K: Clone + Eq + Hash> Table<K> {
    /// The group of `key`, if it has one. A table of at most [`SCAN_MAX`] groups is scanned
    /// rather than hashed: comparing a few keys costs less than hashing one (a `Requirements`
    /// hashes its lists), and a plain market of one instrument has one group a side. The answer
    /// is the index's, since the index maps every group's key, and only it, to the group.
    pub(crate) fn find(&self, key: &K) -> Option<GroupId> {
        if self.list.len() <= SCAN_MAX {
            let found = self.list.iter().position(|group| group.key == *key).map(GroupId::of);
            debug_assert_eq!(found, self.index.get(key).copied(), "the scan answers as the index");
            return found;
        }
        self.index.get(key).copied()
    }

    pub(crate) fn get(&self, id: GroupId) -> &Group<K> {
        &self.list[id.at()]
    }

    pub(crate) fn get_mut(&mut self, id: GroupId) -> &mut Group<K> {
        &mut self.list[id.at()]
    }

    /// Whether a new group fits under `max` live groups: there is a free index, or an idle
    /// group to reclaim.
    pub(crate) fn has_room(&self, max: usize) -> bool {
        self.list.len() < max || self.idle_len > 0
    }

    /// The group to reclaim so that a new one fits under `max`, if the table is full: the one
    /// idle the longest. `None` when a new index is free.
    pub(crate) fn victim(&self, max: usize) -> Option<GroupId> {
        if self.list.len() < max {
            return None;
        }
        debug_assert!(self.idle_head != GroupId::NIL, "admission checked there is room");
        Some(self.idle_head)
    }

    /// An order now rests in `id`.
    pub(crate) fn enter(&mut self, id: GroupId) {
        let group = &mut self.list[id.at()];
        group.resting += 1;
        if group.resting == 1 {
            self.unlink_idle(id);
        }
    }

    /// An order left `id`; the group becomes idle with its last order.
    pub(crate) fn leave(&mut self, id: GroupId) {
        let group = &mut self.list[id.at()];
        debug_assert!(group.resting > 0, "{id:?}: an order left a group with none");
        group.resting -= 1;
        if group.resting == 0 {
            self.push_idle(id);
        }
    }

    fn push_idle(&mut self, id: GroupId) {
        let tail = self.idle_tail;
        let group = &mut self.list[id.at()];
        (group.idle_prev, group.idle_next) = (tail, GroupId::NIL);
        match tail {
            GroupId::NIL => self.idle_head = id,
            tail => self.list[tail.at()].idle_next = id,
        }
        self.idle_tail = id;
        self.idle_len += 1;
    }

    fn unlink_idle(&mut self, id: GroupId) {
        let (prev, next) = {
            let group = &self.list[id.at()];
            (group.idle_prev, group.idle_next)
        };
        match prev {
            GroupId::NIL => self.idle_head = next,
            prev => self.list[prev.at()].idle_next = next,
        }
        match next {
            GroupId::NIL => self.idle_tail = prev,
            next => self.list[next.at()].idle_prev = prev,
        }
        self.idle_len -= 1;
    }

    /// The idle groups, first to be reclaimed first (for the invariant checker).
    pub(crate) fn idle(&self) -> impl Iterator<Item = GroupId> + '_ {
        let mut at = self.idle_head;
        std::iter::from_fn(move || {
            let id = at;
            (id != GroupId::NIL).then(|| {
                at = self.list[id.at()].idle_next;
                id
            })
        })
    }

    /// Whether the idle list is linked both ways and counts right (for the invariant checker).
    pub(crate) fn idle_links_hold(&self) -> bool {
        let mut prev = GroupId::NIL;
        let mut count = 0;
        for id in self.idle() {
            if self.list[id.at()].idle_prev != prev || count > self.list.len() {
                return false;
            }
            (prev, count) = (id, count + 1);
        }
        prev == self.idle_tail && count == self.idle_len
    }

    /// Whether the index maps every group's key to it and nothing else.
    pub(crate) fn index_holds(&self) -> bool {
        self.index.len() == self.list.len()
            && self
                .list
                .iter()
                .enumerate()
                .all(|(at, g)| self.find(&g.key) == Some(GroupId::of(at)))
    }

    /// For a table read from a snapshot: every idle link, compatibility entry (`other`: groups
    /// on the other side), floating ladder (`floats`) and ladder slot (`slots`) is in range;
    /// then the index is rebuilt. A key there twice is refused.
    pub(crate) fn restore_index(
        &mut self,
        other: usize,
        floats: usize,
        slots: usize,
    ) -> Result<(), String> {
        let len = self.list.len();
        let link = |id: GroupId| id == GroupId::NIL || (id.0 as usize) < len;
        if !link(self.idle_head) || !link(self.idle_tail) || self.idle_len > len {
            return Err("an idle list end is out of range".into());
        }
        for (at, group) in self.list.iter().enumerate() {
            let related_ok = group.related.iter().all(|g| (g.0 as usize) < other);
            let floats_ok = group.floats.iter().all(|f| (f.0 as usize) < floats);
            if !link(group.idle_prev) || !link(group.idle_next) || !related_ok || !floats_ok {
                return Err(format!("group {at}: a link is out of range"));
            }
            group.ladder.check_restored(slots)?;
        }
        self.index = HashMap::with_capacity(len);
        for (at, group) in self.list.iter().enumerate() {
            if self.index.insert(group.key.clone(), GroupId::of(at)).is_some() {
                return Err(format!("group {at}: its key is another group's"));
            }
        }
        Ok(())
    }

    fn heap_bytes(&self, key_bytes: impl Fn(&K) -> usize) -> usize {
        let groups: usize = self
            .list
            .iter()
            .map(|g| {
                g.ladder.heap_bytes()
                    + (g.related.capacity() + g.floats.capacity()) * 4
                    + key_bytes(&g.key)
            })
            .sum();
        groups
            + self.list.capacity() * std::mem::size_of::<Group<K>>()
            + self.index.capacity() * (std::mem::size_of::<(K, GroupId)>() + 1)
    }
}

/// Adds a group for `key` to `own`, related to every group of `other` that `fits`; in place
/// of `reuse` (idle, its floating ladders already released), or at a new index.
fn add<K: Clone + Eq + Hash, O>(
    (own, other): (&mut Table<K>, &mut Table<O>),
    key: &K,
    fits: impl Fn(&K, &O) -> bool,
    reserve_levels: usize,
    reuse: Option<GroupId>,
) -> GroupId {
    let id = reuse.unwrap_or(GroupId::of(own.list.len()));
    let mut related = match reuse {
        Some(id) => forget(own, other, id),
        None => Vec::new(),
    };
    for (at, group) in other.list.iter_mut().enumerate() {
        if fits(key, &group.key) {
            related.push(GroupId::of(at));
            group.related.push(id);
        }
    }
    let fresh = |ladder| Group {
        key: key.clone(),
        ladder,
        related,
        floats: Vec::new(),
        resting: 0,
        idle_prev: GroupId::NIL,
        idle_next: GroupId::NIL,
    };
    match reuse {
        Some(id) => {
            let group = &mut own.list[id.at()];
            debug_assert!(group.ladder.levels.is_empty() && group.floats.is_empty());
            let ladder = std::mem::take(&mut group.ladder);
            let floats = std::mem::take(&mut group.floats);
            *group = Group { floats, ..fresh(ladder) };
        }
        None => own.list.push(fresh(Ladder::with_capacity(reserve_levels))),
    }
    own.index.insert(key.clone(), id);
    own.push_idle(id);
    id
}

/// Drops idle group `id` from `own`'s index, idle list and every compatibility entry on
/// `other`'s side; its own entries, emptied, for reuse.
fn forget<K: Clone + Eq + Hash, O>(
    own: &mut Table<K>,
    other: &mut Table<O>,
    id: GroupId,
) -> Vec<GroupId> {
    debug_assert_eq!(own.get(id).resting, 0, "{id:?}: only an idle group is reclaimed");
    own.unlink_idle(id);
    let group = &mut own.list[id.at()];
    own.index.remove(&group.key);
    let mut related = std::mem::take(&mut group.related);
    for &peer in &related {
        let entries = &mut other.list[peer.at()].related;
        let at = entries.iter().position(|&g| g == id);
        let at = at.expect("compatibility entries are kept on both sides");
        entries.remove(at);
    }
    related.clear();
    related
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Groups {
    /// Price levels each new ladder is created with room for (a reservation, not state: the
    /// restoring engine's configuration sets it).
    #[serde(skip)]
    pub(crate) reserve_levels: usize,
    pub(crate) configs: Table<Hardware>,
    pub(crate) signatures: Table<Requirements>,
}

impl Groups {
    /// No groups yet; each ladder will be created with room for `reserve_levels` levels.
    pub(crate) fn new(reserve_levels: usize) -> Groups {
        Groups { reserve_levels, ..Groups::default() }
    }

    /// A new configuration group for `hw` (which has none), in place of idle group `reuse`
    /// if given, related to every signature it satisfies.
    pub(crate) fn add_config(&mut self, hw: &Hardware, reuse: Option<GroupId>) -> GroupId {
        let sides = (&mut self.configs, &mut self.signatures);
        add(sides, hw, |hw, req: &Requirements| req.satisfied_by(hw), self.reserve_levels, reuse)
    }

    /// A new signature group for `req` (which has none), as [`Groups::add_config`].
    pub(crate) fn add_signature(&mut self, req: &Requirements, reuse: Option<GroupId>) -> GroupId {
        let sides = (&mut self.signatures, &mut self.configs);
        add(sides, req, |req, hw: &Hardware| req.satisfied_by(hw), self.reserve_levels, reuse)
    }

    /// The ladder of group `id` of a side (`is_bid`: a signature).
    pub(crate) fn ladder_mut(&mut self, id: GroupId, is_bid: bool) -> &mut Ladder {
        if is_bid {
            &mut self.signatures.get_mut(id).ladder
        } else {
            &mut self.configs.get_mut(id).ladder
        }
    }

    /// The floating ladders filed under group `id` of a side.
    pub(crate) fn floats_mut(&mut self, id: GroupId, is_bid: bool) -> &mut Vec<FloatId> {
        if is_bid {
            &mut self.signatures.get_mut(id).floats
        } else {
            &mut self.configs.get_mut(id).floats
        }
    }

    /// An order of a side now rests in group `id`.
    pub(crate) fn enter(&mut self, id: GroupId, is_bid: bool) {
        if is_bid {
            self.signatures.enter(id)
        } else {
            self.configs.enter(id)
        }
    }

    /// An order of a side left group `id`.
    pub(crate) fn leave(&mut self, id: GroupId, is_bid: bool) {
        if is_bid {
            self.signatures.leave(id)
        } else {
            self.configs.leave(id)
        }
    }

    /// For groups read from a snapshot: as [`Table::restore_index`] on both sides, with
    /// requirements in canonical form; new ladders will reserve `reserve_levels` levels.
    pub(crate) fn restore(
        &mut self,
        floats: usize,
        slots: usize,
        reserve_levels: usize,
    ) -> Result<(), String> {
        if !self.signatures.list.iter().all(|s| s.key.is_canonical()) {
            return Err("a signature's lists are not sorted and deduplicated".into());
        }
        let (configs, signatures) = (self.configs.list.len(), self.signatures.list.len());
        self.configs.restore_index(signatures, floats, slots)?;
        self.signatures.restore_index(configs, floats, slots)?;
        self.reserve_levels = reserve_levels;
        Ok(())
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.configs.heap_bytes(|_| 0)
            + self.signatures.heap_bytes(|req| (req.gpu.capacity() + req.regions.capacity()) * 4)
    }
}
