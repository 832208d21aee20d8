//! Floating ladders: the pegged orders of one group and one class, with one `units`, whose
//! price is `reference × units + offset` right now (neither unpriced nor held at their limit).
//!
//! Such orders keep their order among themselves whatever the reference, so they rest on a
//! ladder of their own keyed by offset, and a reference move changes one number per floating
//! ladder — its shift — instead of every order. A level's effective rank is its stored rank
//! plus the shift (wrapping: both are encoded so the sum is exact whenever the price fits a
//! `u64`, which a floating order's does). The planner merges floating ladders with the group's
//! fixed ladder as further cursors (`plan.rs`), so time priority at an equal price still goes
//! by arrival.
//!
//! Floating ladders are created on first use and released with their group when it is
//! reclaimed (`groups.rs`): there are at most `groups × classes × distinct units` of them, and
//! a released one's index serves the next.

use hashbrown::HashMap;

use super::index::{FloatId, GroupId};
use super::ladder::Ladder;

/// What a floating ladder serves: its group, class (index into `Pegs::classes`), units per
/// slot, and side.
pub(crate) type FloatKey = (GroupId, u32, u32, bool);

/// Offsets are biased by 2^63 so that the signed order maps onto the unsigned one.
const BIAS: u64 = 1 << 63;

/// Levels each new floating ladder is created with room for.
const LEVELS_RESERVED: usize = 16;

/// The stored rank of a floating order with `offset_nano` (bids: higher is better; asks: a
/// lower offset is better).
pub(crate) fn float_rank(offset_nano: i64, is_bid: bool) -> u64 {
    let biased = (offset_nano as u64) ^ BIAS;
    if is_bid {
        biased
    } else {
        !biased
    }
}

/// What to add (wrapping) to a stored rank to get the effective rank at `reference_nano`:
/// a bid's rank is its price `reference × units + offset`, an ask's `u64::MAX −` its price.
pub(crate) fn float_shift(reference_nano: u64, units: u32, is_bid: bool) -> u64 {
    let moved_nano = reference_nano.wrapping_mul(u64::from(units.max(1)));
    if is_bid {
        moved_nano.wrapping_sub(BIAS)
    } else {
        BIAS.wrapping_sub(moved_nano)
    }
}

/// One floating ladder.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Float {
    pub(crate) ladder: Ladder,
    /// The configuration (asks) or signature (bids) of its orders.
    pub(crate) group: GroupId,
    /// Its class (index into `Pegs::classes`).
    pub(crate) class: u32,
    pub(crate) units: u32,
    pub(crate) is_bid: bool,
    /// Added (wrapping) to each level's stored rank to give its effective rank now.
    pub(crate) shift: u64,
    /// False once released with its group, until reused.
    pub(crate) in_use: bool,
}

impl Float {
    fn key(&self) -> FloatKey {
        (self.group, self.class, self.units, self.is_bid)
    }
}

/// Every floating ladder, and which one serves a (group, class, units, side).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Floats {
    pub(crate) list: Vec<Float>,
    /// Rebuilt from `list` on restore (`snapshot.rs`).
    #[serde(skip)]
    index: HashMap<FloatKey, FloatId>,
    /// Released ladders, reused last-released first.
    free: Vec<FloatId>,
}

impl Floats {
    /// The floating ladder of `(group, class, units, is_bid)` and whether it was just created
    /// (with the shift of `reference_nano`); the caller then files it under its class and group.
    pub(crate) fn find_or_create(&mut self, key: FloatKey, reference_nano: u64) -> (FloatId, bool) {
        if let Some(&at) = self.index.get(&key) {
            return (at, false);
        }
        let (group, class, units, is_bid) = key;
        let shift = float_shift(reference_nano, units, is_bid);
        let at = match self.free.pop() {
            Some(at) => {
                let float = &mut self.list[at.at()];
                debug_assert!(float.ladder.levels.is_empty(), "a released ladder is empty");
                let ladder = std::mem::take(&mut float.ladder);
                *float = Float { ladder, group, class, units, is_bid, shift, in_use: true };
                at
            }
            None => {
                let ladder = Ladder::with_capacity(LEVELS_RESERVED);
                self.list.push(Float { ladder, group, class, units, is_bid, shift, in_use: true });
                FloatId::of(self.list.len() - 1)
            }
        };
        self.index.insert(key, at);
        (at, true)
    }

    /// Releases floating ladder `at`, empty, whose group is being reclaimed; the caller unfiles
    /// it from its class.
    pub(crate) fn release(&mut self, at: FloatId) -> &Float {
        let float = &mut self.list[at.at()];
        debug_assert!(float.in_use && float.ladder.levels.is_empty(), "{at:?}: released in use");
        float.in_use = false;
        self.index.remove(&float.key());
        self.free.push(at);
        &self.list[at.at()]
    }

    /// The ladder serving `key`, if any (for the invariant checker).
    pub(crate) fn find(&self, key: FloatKey) -> Option<FloatId> {
        self.index.get(&key).copied()
    }

    /// Whether the index maps every ladder in use to itself and nothing else.
    pub(crate) fn index_holds(&self) -> bool {
        let in_use = self.list.iter().filter(|f| f.in_use).count();
        self.index.len() == in_use
            && in_use + self.free.len() == self.list.len()
            && self
                .list
                .iter()
                .enumerate()
                .all(|(at, f)| !f.in_use || self.find(f.key()) == Some(FloatId::of(at)))
    }

    /// For floating ladders read from a snapshot: groups (`groups`: configurations,
    /// signatures), classes and slots in range, the free list exactly the released ladders,
    /// once each; then the index is rebuilt. Two ladders serving one key are refused.
    pub(crate) fn restore_index(
        &mut self,
        groups: [usize; 2],
        classes: usize,
        slots: usize,
    ) -> Result<(), String> {
        for (at, float) in self.list.iter().enumerate() {
            let group_ok = (float.group.0 as usize) < groups[usize::from(float.is_bid)];
            if !group_ok || float.class as usize >= classes {
                return Err(format!("floating ladder {at}: group or class out of range"));
            }
            float.ladder.check_restored(slots)?;
        }
        let mut free = vec![false; self.list.len()];
        for &at in &self.free {
            let is_free = free.get_mut(at.0 as usize);
            let Some(is_free) = is_free.filter(|f| !**f) else {
                return Err(format!("{at:?}: freed twice or out of range"));
            };
            *is_free = true;
        }
        self.index = HashMap::with_capacity(self.list.len());
        for (at, float) in self.list.iter().enumerate() {
            if float.in_use == free[at] {
                return Err(format!("floating ladder {at}: in use and freed, or neither"));
            }
            if float.in_use && self.index.insert(float.key(), FloatId::of(at)).is_some() {
                return Err(format!("floating ladder {at}: its key is another ladder's"));
            }
        }
        Ok(())
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        let ladders: usize = self.list.iter().map(|f| f.ladder.heap_bytes()).sum();
        ladders
            + self.list.capacity() * std::mem::size_of::<Float>()
            + self.index.capacity() * (std::mem::size_of::<(FloatKey, FloatId)>() + 1)
            + self.free.capacity() * std::mem::size_of::<FloatId>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored rank plus shift is the effective rank, and stored ranks order as offsets do.
    #[test]
    fn shifted_ranks_are_effective_ranks() {
        for &reference_nano in &[1u64, 7, 1_000_000_000, 999_999_999_999_999_999] {
            for &units in &[0u32, 1, 3] {
                for &offset_nano in &[-5i64, -1, 0, 1, 2_000_000_000] {
                    let moved = i128::from(reference_nano) * i128::from(units.max(1))
                        + i128::from(offset_nano);
                    if moved <= 0 {
                        continue;
                    }
                    let price = moved as u64;
                    let bid = float_rank(offset_nano, true).wrapping_add(float_shift(
                        reference_nano,
                        units,
                        true,
                    ));
                    let ask = float_rank(offset_nano, false).wrapping_add(float_shift(
                        reference_nano,
                        units,
                        false,
                    ));
                    assert_eq!(bid, price);
                    assert_eq!(ask, u64::MAX - price);
                }
            }
        }
        assert!(float_rank(-1, true) < float_rank(0, true));
        assert!(float_rank(-1, false) > float_rank(0, false));
    }
}
