//! Pins the engine's allocation rule: once its buffers have grown to the book's size (or were
//! reserved for it by `EngineConfig`), applying a command allocates nothing (engine/mod.rs).
//!
//! A counting global allocator counts every allocation and reallocation made on the test's
//! thread while a warm engine applies 50 000 commands of the generator's steady-state mix.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::{Command, Engine, EngineConfig, Event};

/// The system allocator, counting allocations and reallocations made by a thread that has set
/// `COUNTING` (so the test harness's own threads do not disturb the count).
struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    // `try_with`: the allocator can run while a thread's locals are being destroyed.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to `System`; counting has no effect on memory.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes there).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const RESTING: usize = 10_000;
/// Mix commands applied before counting, so ladders, levels and scratch reach their steady size.
const WARM_MIX: usize = 20_000;
/// Mix commands counted.
const MEASURED: usize = 50_000;
/// Price levels reserved per ladder. A ladder has at most one level per resting order in it;
/// this book has about 80 asks per configuration and 20 bids per signature, so no ladder comes
/// near 512 levels.
const LEVELS: usize = 512;

#[test]
fn steady_state_apply_allocates_nothing() {
    let config = WorkloadConfig {
        seed: 42,
        resting: RESTING,
        orders: WARM_MIX + MEASURED,
        ..WorkloadConfig::default()
    };
    let mut workload = Workload::new(config);
    let mut engine = Engine::new(EngineConfig {
        reserve_resting: 4 * RESTING,
        reserve_orders: RESTING + WARM_MIX + MEASURED,
        reserve_levels: LEVELS,
        ..EngineConfig::default()
    });
    let mut out: Vec<Event> = Vec::with_capacity(1024);
    for (ts_ms, command) in workload.by_ref().take(RESTING + WARM_MIX) {
        out.clear();
        engine.apply_into(&command, ts_ms, &mut out);
    }
    // Produced by the generator, so nothing is decoded (or allocated) while counting.
    let measured: Vec<(u64, Command)> = workload.collect();
    assert_eq!(measured.len(), MEASURED);

    COUNTING.with(|counting| counting.set(true));
    for (ts_ms, command) in &measured {
        out.clear();
        engine.apply_into(command, *ts_ms, &mut out);
    }
    COUNTING.with(|counting| counting.set(false));

    let allocations = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(allocations, 0, "{allocations} allocations while applying {MEASURED} commands");
}
