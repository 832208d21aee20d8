//! The stated bound on every input quantity the engine accepts.
//!
//! Every number that comes from outside is checked against one of these before it can reach the
//! book, so arithmetic on accepted values never overflows a `u64` and no input can make a
//! structure grow without a configured limit.

/// Nano-units per token: the settlement token has 9 decimals (like RLC).
pub const NANO_PER_TOKEN: u64 = 1_000_000_000;
/// Largest price per slot-hour, in nano-units (10^9 tokens).
pub const PRICE_NANO_MAX: u64 = 1_000_000_000 * NANO_PER_TOKEN;
/// Largest quantity of slots in one order.
pub const QTY_MAX: u64 = 1_000_000;
/// Latest time the engine accepts, in ms since the Unix epoch (9999-12-31T23:59:59.999Z).
///
/// With every time below this bound, `start + duration` cannot overflow a `u64`.
pub const TIME_MS_MAX: u64 = 253_402_300_799_999;
/// Longest order id, in bytes. Room for a bytes32 hash written as `0x` + 64 hex digits.
pub const ID_LEN_MAX: usize = 80;
/// Most entries in a bid's `gpu` or `regions` list.
pub const LIST_LEN_MAX: usize = 32;
/// Longest GPU model, TEE kind or region name, in bytes.
pub const NAME_LEN_MAX: usize = 64;
/// Largest cpu core count, memory or GPU memory (GiB), or GPU count on an order.
pub const RESOURCE_MAX: u32 = 1 << 20;
/// Largest distance of a pegged order from its reference, either way, in nano-units (10^9
/// tokens). With it, `reference + offset` stays well inside an `i64`.
pub const OFFSET_NANO_MAX: u64 = PRICE_NANO_MAX;
