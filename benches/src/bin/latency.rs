//! The latency harness: open-loop latency percentiles, closed-loop throughput, per-command cost
//! against book size, and memory per resting order, printed as a Markdown table.
//!
//! Open loop: command `i` is scheduled at `t0 + i × interval`; the harness spins until then if it
//! is early, and a command's latency is its completion time minus its *scheduled* time. A stall
//! therefore shows up in the latency of every command queued behind it, instead of being hidden
//! by a loop that simply waits for the engine (coordinated omission).
//!
//! Run (release, on an otherwise idle machine):
//! `cargo run --release -p gridbook-benches --bin latency -- --rate 1000000`
//! (`--help` lists the options).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use gridbook_benches::{apply_all, Setup};
use gridbook_matcher::{Command, Engine, EngineConfig, Event};
use hdrhistogram::Histogram;

/// The system allocator, keeping the number of bytes currently allocated (for the memory
/// figure), and with `--huge-pages` advising the kernel to back large blocks with transparent
/// huge pages. Relaxed atomics: the harness is single-threaded, and the steady-state engine does
/// not allocate, so this costs nothing while latency is measured.
struct LiveBytes;

static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);
static HUGE_PAGES: AtomicBool = AtomicBool::new(false);

/// Blocks at least this large are advised to use huge pages (with `--huge-pages`).
const HUGE_BLOCK_BYTES: usize = 4 << 20;

/// Asks for transparent huge pages on the 2 MiB-aligned part of a freshly allocated block. Pages
/// not yet touched (most of a reserved `Vec`) are then faulted in as huge pages.
fn advise_huge(ptr: *mut u8, size: usize) {
    if ptr.is_null() || size < HUGE_BLOCK_BYTES || !HUGE_PAGES.load(Ordering::Relaxed) {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = (ptr as usize).next_multiple_of(HUGE);
        let end = (ptr as usize + size) / HUGE * HUGE;
        if end > start {
            // SAFETY: the range lies inside a block we own; madvise changes only paging advice,
            // never contents, and a failure merely leaves normal pages.
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
        }
    }
}

// SAFETY: every call is forwarded unchanged to `System`; the counter and the paging advice have
// no effect on the memory's contents or layout.
unsafe impl GlobalAlloc for LiveBytes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        let ptr = unsafe { System.alloc(layout) };
        advise_huge(ptr, layout.size());
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        advise_huge(ptr, layout.size());
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes there).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract.
        let ptr = unsafe { System.realloc(ptr, layout, new_size) };
        advise_huge(ptr, new_size);
        ptr
    }
}

#[global_allocator]
static ALLOCATOR: LiveBytes = LiveBytes;

const USAGE: &str = "\
latency: gridbook's open-loop latency harness

options (defaults in brackets):
  --rate N            open-loop offered load, commands per second [1000000]
  --resting N         resting orders in the book for latency and throughput [100000]
  --measured N        mix commands measured for latency and throughput [1000000]
  --warm-mix N        mix commands applied before measuring [200000]
  --seed N            workload seed [1]
  --configs N         machine configurations [64]
  --sizes A,B,..      book sizes for the cost-vs-size figure [1000,10000,100000,1000000]
  --size-measured N   mix commands measured at each book size [200000]
  --memory-resting N  book size for the memory figure [1000000]
  --only LIST         sections to run, of jitter,latency,throughput,scaling,memory [all]
  --huge-pages        advise transparent huge pages for blocks of 4 MiB or more";

/// Command-line options.
#[derive(Debug, Clone)]
struct Args {
    rate_per_s: u64,
    setup: Setup,
    sizes: Vec<usize>,
    size_measured: usize,
    memory_resting: usize,
    sections: Vec<String>,
    huge_pages: bool,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut args = Args {
            rate_per_s: 1_000_000,
            setup: Setup {
                resting: 100_000,
                warm_mix: 200_000,
                measured: 1_000_000,
                ..Setup::default()
            },
            sizes: vec![1_000, 10_000, 100_000, 1_000_000],
            size_measured: 200_000,
            memory_resting: 1_000_000,
            sections: ["jitter", "latency", "throughput", "scaling", "memory"]
                .map(String::from)
                .to_vec(),
            huge_pages: false,
        };
        let mut words = std::env::args().skip(1);
        while let Some(flag) = words.next() {
            if flag == "--help" || flag == "-h" {
                return Err(USAGE.to_string());
            }
            if flag == "--huge-pages" {
                args.huge_pages = true;
                continue;
            }
            let value = words.next().ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))?;
            let number =
                || value.parse::<u64>().map_err(|_| format!("{flag}: not a number: {value}"));
            match flag.as_str() {
                "--rate" => args.rate_per_s = number()?.max(1),
                "--resting" => args.setup.resting = number()? as usize,
                "--measured" => args.setup.measured = number()? as usize,
                "--warm-mix" => args.setup.warm_mix = number()? as usize,
                "--seed" => args.setup.seed = number()?,
                "--configs" => args.setup.configs = number()? as usize,
                "--size-measured" => args.size_measured = number()? as usize,
                "--memory-resting" => args.memory_resting = number()? as usize,
                "--sizes" => args.sizes = parse_list(&value)?,
                "--only" => args.sections = value.split(',').map(String::from).collect(),
                _ => return Err(format!("unknown option {flag}\n\n{USAGE}")),
            }
        }
        Ok(args)
    }

    fn runs(&self, section: &str) -> bool {
        self.sections.iter().any(|s| s == section)
    }
}

fn parse_list(text: &str) -> Result<Vec<usize>, String> {
    text.split(',')
        .map(|n| n.trim().parse::<usize>().map_err(|_| format!("not a list of numbers: {text}")))
        .collect()
}

/// One row of the output table.
struct Row {
    figure: String,
    value: String,
}

fn row(figure: impl Into<String>, value: impl Into<String>) -> Row {
    Row { figure: figure.into(), value: value.into() }
}

fn main() {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    HUGE_PAGES.store(args.huge_pages, Ordering::Relaxed);
    let mut rows = Vec::new();
    if args.runs("jitter") {
        rows.extend(jitter(Duration::from_secs(2)));
    }
    if args.runs("latency") || args.runs("throughput") {
        eprintln!(
            "generating {} resting + {} mix commands",
            args.setup.resting,
            args.setup.warm_mix + args.setup.measured
        );
        let commands = args.setup.generate();
        if args.runs("latency") {
            let engine = args.setup.warm_engine(&commands.warm);
            rows.extend(open_loop(engine, &commands.measured, args.rate_per_s));
        }
        if args.runs("throughput") {
            let engine = args.setup.warm_engine(&commands.warm);
            rows.extend(closed_loop(engine, &commands.measured, args.setup.resting));
        }
    }
    if args.runs("scaling") {
        rows.extend(scaling(&args));
    }
    if args.runs("memory") {
        rows.extend(memory(&args.setup, args.memory_resting));
    }
    print_table(&args, &rows);
}

/// The machine's own noise floor: gaps in a loop that does nothing but read the clock. Any gap
/// is time the thread did not run (interrupts, the hypervisor, other processes), which no engine
/// can beat; open-loop tail latencies should be read against it.
fn jitter(length: Duration) -> Vec<Row> {
    let mut gaps = histogram();
    let (start, mut last) = (Instant::now(), Instant::now());
    let mut over = [0u64; 3];
    while last - start < length {
        let now = Instant::now();
        let gap_ns = nanos(now - last);
        gaps.saturating_record(gap_ns);
        for (count, limit_ns) in over.iter_mut().zip([10_000, 100_000, 1_000_000]) {
            *count += u64::from(gap_ns > limit_ns);
        }
        last = now;
    }
    let seconds = length.as_secs_f64();
    vec![
        row(
            format!("machine jitter: clock-read loop for {seconds:.0} s, max gap"),
            format!("{} (p99.99 {})", ns(gaps.max()), ns(gaps.value_at_quantile(0.9999))),
        ),
        row(
            "machine jitter: gaps > 10 µs / > 100 µs / > 1 ms, per second",
            format!(
                "{:.0} / {:.0} / {:.1}",
                over[0] as f64 / seconds,
                over[1] as f64 / seconds,
                over[2] as f64 / seconds
            ),
        ),
    ]
}

/// Open-loop latency at `rate_per_s`: percentiles of completion − scheduled time, and of the
/// service time alone (completion − start) for comparison.
fn open_loop(mut engine: Engine, commands: &[(u64, Command)], rate_per_s: u64) -> Vec<Row> {
    let mut latency = histogram();
    let mut service = histogram();
    let mut out: Vec<Event> = Vec::with_capacity(1024);
    let mut by_kind = [(0u64, 0u64); 3];
    let t0 = Instant::now() + Duration::from_millis(1);
    let mut now = Instant::now();
    for (at, (ts_ms, command)) in commands.iter().enumerate() {
        let offset_ns = (at as u128 * 1_000_000_000 / u128::from(rate_per_s)) as u64;
        let scheduled = t0 + Duration::from_nanos(offset_ns);
        while now < scheduled {
            std::hint::spin_loop();
            now = Instant::now();
        }
        let started = now;
        out.clear();
        engine.apply_into(command, *ts_ms, &mut out);
        now = Instant::now();
        latency.saturating_record(nanos(now - scheduled));
        service.saturating_record(nanos(now - started));
        let kind = &mut by_kind[kind_of(command, &out)];
        *kind = (kind.0 + 1, kind.1 + nanos(now - started));
    }
    let elapsed = now.saturating_duration_since(t0);
    black_box(&engine);
    let achieved = commands.len() as f64 / elapsed.as_secs_f64();
    let mut rows = vec![row(
        format!("open loop: offered / achieved rate ({} commands)", commands.len()),
        format!("{} / {} commands/s", thousands(rate_per_s as f64), thousands(achieved)),
    )];
    for (name, quantile) in
        [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999), ("p99.99", 0.9999)]
    {
        let value = format!(
            "{} (service {})",
            ns(latency.value_at_quantile(quantile)),
            ns(service.value_at_quantile(quantile))
        );
        rows.push(row(format!("open loop latency {name}"), value));
    }
    rows.push(row(
        "open loop latency max",
        format!("{} (service {})", ns(latency.max()), ns(service.max())),
    ));
    for (name, (count, total_ns)) in KINDS.iter().zip(by_kind) {
        let share = 100.0 * count as f64 / commands.len().max(1) as f64;
        let mean_ns = total_ns as f64 / count.max(1) as f64;
        rows.push(row(
            format!("mean service time, {name} ({share:.0}% of commands)"),
            format!("{mean_ns:.0} ns"),
        ));
    }
    rows
}

/// What a command turned out to be, for the service-time breakdown.
const KINDS: [&str; 3] = ["new order that does not trade", "order that trades", "cancel"];

fn kind_of(command: &Command, events: &[Event]) -> usize {
    if matches!(command, Command::Cancel(_)) {
        2
    } else if events.iter().any(|event| matches!(event, Event::Deal(_))) {
        1
    } else {
        0
    }
}

fn histogram() -> Histogram<u64> {
    // 1 ns to 100 s at 3 significant digits.
    Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid histogram bounds")
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// Closed loop: the commands back to back, as fast as the engine goes.
fn closed_loop(mut engine: Engine, commands: &[(u64, Command)], resting: usize) -> Vec<Row> {
    let (per_command_ns, per_s) = timed_apply(&mut engine, commands);
    vec![row(
        format!("closed loop throughput ({resting} resting, {} commands)", commands.len()),
        format!("{} commands/s ({per_command_ns:.0} ns/command)", thousands(per_s)),
    )]
}

/// Applies `commands` back to back; returns (mean ns per command, commands per second).
// Never inlined, so that `valgrind --tool=callgrind --toggle-collect='*timed_apply*'` counts
// the measured commands' instructions alone (BENCHMARKS.md, "Cost against book size").
#[inline(never)]
fn timed_apply(engine: &mut Engine, commands: &[(u64, Command)]) -> (f64, f64) {
    let started = Instant::now();
    let events = apply_all(engine, commands);
    let elapsed = started.elapsed();
    black_box(events);
    let per_command_ns = elapsed.as_nanos() as f64 / commands.len().max(1) as f64;
    (per_command_ns, commands.len() as f64 / elapsed.as_secs_f64())
}

/// Mean per-command cost of the mix at each book size (closed loop), and the ratio of the
/// largest to the smallest.
fn scaling(args: &Args) -> Vec<Row> {
    let mut costs = Vec::new();
    for &resting in &args.sizes {
        let setup = Setup {
            resting,
            warm_mix: resting.max(100_000),
            measured: args.size_measured,
            ..args.setup.clone()
        };
        eprintln!("cost at {resting} resting: generating");
        let commands = setup.generate();
        let mut engine = setup.warm_engine(&commands.warm);
        let book = engine.resting();
        let (per_command_ns, _) = timed_apply(&mut engine, &commands.measured);
        costs.push((resting, book, per_command_ns));
    }
    let mut rows: Vec<Row> = costs
        .iter()
        .map(|&(resting, book, ns)| {
            row(
                format!("mean cost per command at {resting} resting"),
                format!("{ns:.0} ns (book {book})"),
            )
        })
        .collect();
    if let (Some(first), Some(last)) = (costs.first(), costs.last()) {
        rows.push(row(
            format!("cost ratio {} / {} resting", last.0, first.0),
            format!("{:.2}×", last.2 / first.2),
        ));
    }
    rows
}

/// Bytes the engine allocates from empty to `resting` resting orders (net of frees, so growth
/// garbage is not counted but spare capacity is), and `Engine::heap_bytes`, per resting order.
fn memory(setup: &Setup, resting: usize) -> Vec<Row> {
    let setup = Setup { resting, warm_mix: 0, measured: 0, ..setup.clone() };
    eprintln!("memory at {resting} resting: generating");
    let commands = setup.generate();
    let mut out: Vec<Event> = Vec::with_capacity(1024);
    let before = LIVE_BYTES.load(Ordering::Relaxed);
    let mut engine = Engine::new(EngineConfig::default());
    for (ts_ms, command) in &commands.warm {
        out.clear();
        engine.apply_into(command, *ts_ms, &mut out);
    }
    let after = LIVE_BYTES.load(Ordering::Relaxed);
    let book = engine.resting().max(1) as f64;
    let net = (after - before) as f64;
    vec![
        row(
            format!(
                "memory per resting order, allocated ({} resting, default config)",
                engine.resting()
            ),
            format!("{:.0} bytes ({:.1} MiB total)", net / book, net / 1_048_576.0),
        ),
        row(
            "memory per resting order, Engine::heap_bytes",
            format!("{:.0} bytes", engine.heap_bytes() as f64 / book),
        ),
    ]
}

fn ns(value: u64) -> String {
    if value >= 10_000_000 {
        format!("{:.1} ms", value as f64 / 1e6)
    } else if value >= 10_000 {
        format!("{:.1} µs", value as f64 / 1e3)
    } else {
        format!("{value} ns")
    }
}

/// `1234567.8` → `1,234,568`.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut grouped = String::new();
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

fn print_table(args: &Args, rows: &[Row]) {
    let setup = &args.setup;
    println!(
        "workload: seed {}, {} configs, {} resting, {} warm mix, {} measured; rate {}/s; huge pages {}\n",
        setup.seed,
        setup.configs,
        setup.resting,
        setup.warm_mix,
        setup.measured,
        args.rate_per_s,
        if args.huge_pages { "advised" } else { "off" },
    );
    println!("| figure | value |");
    println!("|---|---|");
    for r in rows {
        println!("| {} | {} |", r.figure, r.value);
    }
}
