//! The id registry: every id ever accepted, and where its order rests now.
//!
//! Ids are never reused, so the registry remembers every accepted id for the life of the engine.
//! To keep that cheap it stores id bytes back to back in one arena and indexes them with a
//! hash table of arrival numbers: about 16 bytes per id plus the id itself, and no allocation per
//! order once the arena and table have room.

use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;

use crate::event::OrderRef;

/// Marks an order that is not resting (filled, cancelled or expired).
pub(crate) const INACTIVE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u8,
    /// Slot in the order slab while the order rests, else [`INACTIVE`].
    slot: u32,
}

/// Every accepted id, in arrival order.
#[derive(Debug, Clone)]
pub(crate) struct IdRegistry {
    arena: Vec<u8>,
    spans: Vec<Span>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
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

    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    fn bytes(&self, span: Span) -> &[u8] {
        &self.arena[span.start as usize..span.start as usize + span.len as usize]
    }

    /// The order that was accepted with `id`, if any.
    pub(crate) fn find(&self, id: &str) -> Option<OrderRef> {
        let hash = self.hasher.hash_one(id.as_bytes());
        self.table
            .find(hash, |&n| self.bytes(self.spans[n as usize]) == id.as_bytes())
            .map(|&n| OrderRef(n))
    }

    /// Whether one more id of `len` bytes fits in the configured limits.
    pub(crate) fn has_room(&self, len: usize, orders_max: usize, id_bytes_max: usize) -> bool {
        self.spans.len() < orders_max && self.arena.len() + len <= id_bytes_max
    }

    /// Registers a new id (the caller checked it is new, valid and fits) as the next arrival.
    pub(crate) fn insert(&mut self, id: &str) -> OrderRef {
        let number = self.spans.len() as u32;
        let span = Span { start: self.arena.len() as u32, len: id.len() as u8, slot: INACTIVE };
        self.arena.extend_from_slice(id.as_bytes());
        self.spans.push(span);
        let hash = self.hasher.hash_one(id.as_bytes());
        let (spans, arena, hasher) = (&self.spans, &self.arena, &self.hasher);
        self.table.insert_unique(hash, number, |&n| {
            let s = spans[n as usize];
            hasher.hash_one(&arena[s.start as usize..s.start as usize + s.len as usize])
        });
        OrderRef(number)
    }

    pub(crate) fn id(&self, order: OrderRef) -> &str {
        match self.spans.get(order.0 as usize) {
            // Only whole `&str`s are copied into the arena, so every span is valid UTF-8.
            Some(&span) => std::str::from_utf8(self.bytes(span)).unwrap_or("?"),
            None => "?",
        }
    }

    pub(crate) fn slot(&self, order: OrderRef) -> u32 {
        self.spans.get(order.0 as usize).map_or(INACTIVE, |span| span.slot)
    }

    pub(crate) fn set_slot(&mut self, order: OrderRef, slot: u32) {
        self.spans[order.0 as usize].slot = slot;
    }

    /// Bytes held, for the memory report.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.spans.capacity() * std::mem::size_of::<Span>()
            + self.table.capacity() * (std::mem::size_of::<u32>() + 1)
    }
}
