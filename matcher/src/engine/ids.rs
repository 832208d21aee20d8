//! The id registry: every id ever accepted, and where its order came to rest.
//!
//! Ids are never reused, so the registry remembers every accepted id for the life of the engine.
//! Id bytes are stored back to back in one arena (for turning an [`OrderRef`] back into its id),
//! and a hash table answers "which order has this id". Each bucket carries the order's number,
//! the slot it rested in and the id's first [`HEAD_LEN`] bytes, so for ids that short (the common
//! case) a lookup touches the table and nothing else: on a book larger than the cache every
//! further dependent access is a trip to main memory. About 40 bytes per id plus the id itself,
//! and no allocation per order once the arena and table have room.

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

use crate::event::OrderRef;

/// Marks an order that never rested (it traded or was cancelled on arrival).
pub(crate) const INACTIVE: u32 = u32::MAX;

/// Id bytes kept in the bucket itself.
const HEAD_LEN: usize = 15;

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct Span {
    start: u32,
    len: u8,
    /// Where the order came to rest, else [`INACTIVE`]; as in its bucket.
    slot: u32,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    number: u32,
    /// The slab slot the order was placed in when it came to rest, else [`INACTIVE`]. Written
    /// once: when the order leaves the book its slot is freed in the slab, not here, so a
    /// removal costs no access to the registry (see `Slab::holds`).
    slot: u32,
    len: u8,
    head: [u8; HEAD_LEN],
}

/// The registry's sources of truth without its table, for a snapshot's copy: serialised, it
/// gives the very bytes [`IdRegistry`] does (postcard writes fields, not their names).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub(crate) struct IdsCopy {
    arena: Vec<u8>,
    spans: Vec<Span>,
}

/// Every accepted id, in arrival order.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct IdRegistry {
    arena: Vec<u8>,
    spans: Vec<Span>,
    /// Rebuilt from `spans` on restore (`snapshot.rs`), under a fresh hasher.
    #[serde(skip)]
    table: HashTable<Bucket>,
    #[serde(skip)]
    hasher: DefaultHashBuilder,
}

/// The buckets of a table made for `items` (hashbrown's rule: 8/7 of them, to a power of two),
/// the order restoring files ids in. Only speed depends on it matching the table's.
fn table_buckets(items: usize) -> usize {
    match items {
        0..4 => 4,
        4..8 => 8,
        _ => (items.saturating_mul(8) / 7).next_power_of_two(),
    }
}

fn head_of(id: &[u8]) -> [u8; HEAD_LEN] {
    let mut head = [0u8; HEAD_LEN];
    let n = id.len().min(HEAD_LEN);
    head[..n].copy_from_slice(&id[..n]);
    head
}

impl IdRegistry {
    pub(crate) fn with_capacity(orders: usize, id_bytes: usize) -> IdRegistry {
        IdRegistry {
            arena: Vec::with_capacity(id_bytes),
            spans: Vec::with_capacity(orders),
            table: HashTable::with_capacity(orders),
            hasher: DefaultHashBuilder::default(),
        }
    }

    /// Makes `copy` hold this registry's ids, reusing its allocations.
    pub(crate) fn copy_into(&self, copy: &mut IdsCopy) {
        copy.arena.clone_from(&self.arena);
        copy.spans.clone_from(&self.spans);
    }

    /// Ids registered; also the arrival number the next order gets.
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// Bytes of ids held.
    pub(crate) fn arena_len(&self) -> usize {
        self.arena.len()
    }

    fn bytes(&self, span: Span) -> &[u8] {
        &self.arena[span.start as usize..span.start as usize + span.len as usize]
    }

    /// The hash of `id` in this registry, computed once per command and passed to
    /// [`IdRegistry::find`] and [`IdRegistry::insert`].
    pub(crate) fn hash(&self, id: &str) -> u64 {
        self.hasher.hash_one(id.as_bytes())
    }

    /// The order accepted with `id` (whose [`IdRegistry::hash`] is `hash`) and the slot it came
    /// to rest in ([`INACTIVE`] if it never rested), if any.
    pub(crate) fn find(&self, id: &str, hash: u64) -> Option<(OrderRef, u32)> {
        let id = id.as_bytes();
        let head = head_of(id);
        self.table
            .find(hash, |bucket| {
                usize::from(bucket.len) == id.len()
                    && bucket.head == head
                    && (id.len() <= HEAD_LEN
                        || self.bytes(self.spans[bucket.number as usize]) == id)
            })
            .map(|bucket| (OrderRef(bucket.number), bucket.slot))
    }

    /// Whether one more id of `len` bytes fits in the configured limits.
    pub(crate) fn has_room(&self, len: usize, orders_max: usize, id_bytes_max: usize) -> bool {
        self.spans.len() < orders_max && self.arena.len() + len <= id_bytes_max
    }

    /// Registers a new id (the caller checked it is new, valid and fits) as the next arrival,
    /// with the slot it rests in (or [`INACTIVE`]).
    pub(crate) fn insert(&mut self, id: &str, hash: u64, slot: u32) -> OrderRef {
        let number = self.spans.len() as u32;
        let bytes = id.as_bytes();
        let span = Span { start: self.arena.len() as u32, len: bytes.len() as u8, slot };
        self.arena.extend_from_slice(bytes);
        self.spans.push(span);
        self.insert_bucket(number, hash);
        OrderRef(number)
    }

    /// Files id `number` (in `spans` and the arena already) in the table under `hash`.
    fn insert_bucket(&mut self, number: u32, hash: u64) {
        let span = self.spans[number as usize];
        let bucket =
            Bucket { number, slot: span.slot, len: span.len, head: head_of(self.bytes(span)) };
        let (spans, arena, hasher) = (&self.spans, &self.arena, &self.hasher);
        self.table.insert_unique(hash, bucket, |bucket| {
            let span = spans[bucket.number as usize];
            hasher.hash_one(&arena[span.start as usize..span.start as usize + span.len as usize])
        });
    }

    /// For a registry read from a snapshot: checks that the spans tile the arena in arrival
    /// order, each id is UTF-8 and each slot is below `slots` (or [`INACTIVE`]), then rebuilds
    /// the table under this process's hasher. An id there twice is refused.
    pub(crate) fn restore_table(&mut self, slots: usize) -> Result<(), String> {
        let mut start = 0usize;
        for (number, span) in self.spans.iter().enumerate() {
            let end = start + usize::from(span.len);
            let bytes = self.arena.get(start..end).filter(|_| span.start as usize == start);
            let Some(bytes) = bytes else {
                return Err(format!("id {number} is not where the one before ends"));
            };
            if std::str::from_utf8(bytes).is_err() {
                return Err(format!("id {number} is not UTF-8"));
            }
            if span.slot != INACTIVE && span.slot as usize >= slots {
                return Err(format!("id {number} rests in slot {}, past the slab", span.slot));
            }
            start = end;
        }
        if start != self.arena.len() || self.spans.len() >= INACTIVE as usize {
            return Err("the id arena holds bytes no id names".into());
        }
        // Filed in the order of the buckets they land in, the ids fill the table front to back
        // instead of one cache miss each at random (a million ids: most of a load's time); the
        // buckets are made in arrival order, reading the arena and spans front to back too.
        // Sorted so, equal ids are neighbours: the duplicates are found without a lookup.
        let ids = self.spans.len();
        let mut order: Vec<(u64, Bucket)> = Vec::with_capacity(ids);
        for (number, &span) in self.spans.iter().enumerate() {
            let id = self.bytes(span);
            let bucket =
                Bucket { number: number as u32, slot: span.slot, len: span.len, head: head_of(id) };
            order.push((self.hasher.hash_one(id), bucket));
        }
        let mask = table_buckets(ids) as u64 - 1;
        order.sort_unstable_by_key(|&(hash, _)| (hash & mask, hash));
        for run in order.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
            for (at, (_, bucket)) in run.iter().enumerate() {
                let id = self.id(OrderRef(bucket.number));
                if run[at + 1..].iter().any(|(_, other)| self.id(OrderRef(other.number)) == id) {
                    return Err(format!("id {id:?} is registered twice"));
                }
            }
        }
        self.table = HashTable::with_capacity(ids);
        let (spans, arena, hasher) = (&self.spans, &self.arena, &self.hasher);
        for (hash, bucket) in order {
            // With room for every id reserved, the table never rehashes: the closure is not
            // called.
            self.table.insert_unique(hash, bucket, |bucket| {
                let span = spans[bucket.number as usize];
                hasher
                    .hash_one(&arena[span.start as usize..span.start as usize + span.len as usize])
            });
        }
        debug_assert_eq!(self.table.len(), ids);
        Ok(())
    }

    pub(crate) fn id(&self, order: OrderRef) -> &str {
        match self.spans.get(order.0 as usize) {
            Some(&span) => std::str::from_utf8(self.bytes(span))
                .expect("only whole `&str`s are copied into the arena, so every span is UTF-8"),
            None => "?",
        }
    }

    /// Where `order` came to rest, if it did; whether it still rests there is the slab's to say.
    pub(crate) fn slot(&self, order: OrderRef) -> u32 {
        self.spans.get(order.0 as usize).map_or(INACTIVE, |span| span.slot)
    }

    /// Bytes held, for the memory report.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.spans.capacity() * std::mem::size_of::<Span>()
            + self.table.capacity() * (std::mem::size_of::<Bucket>() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_short_and_long_are_found_with_their_slot_and_nothing_else_is() {
        let mut ids = IdRegistry::with_capacity(4, 64);
        let long = "0x".to_string() + &"ab".repeat(32);
        let cases = [("o1", 7), ("exactly-15-byte", INACTIVE), (long.as_str(), 3)];
        for (id, slot) in cases {
            let hash = ids.hash(id);
            ids.insert(id, hash, slot);
        }
        for (number, (id, slot)) in cases.iter().enumerate() {
            assert_eq!(ids.find(id, ids.hash(id)), Some((OrderRef(number as u32), *slot)));
            assert_eq!(ids.id(OrderRef(number as u32)), *id);
        }
        let near_long = "0x".to_string() + &"ab".repeat(31) + "ac";
        for absent in ["o2", "exactly-15-bytf", "o", near_long.as_str()] {
            assert_eq!(ids.find(absent, ids.hash(absent)), None, "{absent}");
        }
    }

    /// A registry's bytes (arena and spans), as a snapshot holds them, with `ids` in order.
    fn read_back(ids: &[&str]) -> IdRegistry {
        let mut registry = IdRegistry::with_capacity(0, 0);
        for id in ids {
            let span = Span { start: registry.arena.len() as u32, len: id.len() as u8, slot: 0 };
            registry.arena.extend_from_slice(id.as_bytes());
            registry.spans.push(span);
        }
        registry
    }

    /// Restoring rebuilds the table (every id found where it rests, nothing else) and refuses
    /// an id registered twice, wherever the two are and however many share its hash bucket.
    #[test]
    fn a_restored_table_finds_every_id_and_an_id_twice_is_refused() {
        let long = "0x".to_string() + &"cd".repeat(32);
        let mut ids: Vec<String> = (0..5_000).map(|n| format!("o{n}")).collect();
        ids.push(long.clone());
        let names: Vec<&str> = ids.iter().map(String::as_str).collect();
        let mut registry = read_back(&names);
        registry.restore_table(1).expect("distinct ids restore");
        for (number, id) in names.iter().enumerate() {
            assert_eq!(registry.find(id, registry.hash(id)), Some((OrderRef(number as u32), 0)));
        }
        assert_eq!(registry.find("o5000", registry.hash("o5000")), None);
        for twice in [vec!["a", "b", "a"], vec!["x", "x", "x"], vec![long.as_str(), "y", &long]] {
            let error = read_back(&twice).restore_table(1).expect_err("a duplicate is refused");
            assert!(error.contains("registered twice"), "{twice:?}: {error}");
        }
    }
}
