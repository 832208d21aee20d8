//! The static market the generator draws from a seed: the hardware catalog (GPU models of the
//! Alibaba GPU traces and current cloud GPUs, CPU tiers, TEEs, regions), configurations with
//! reference prices, requirement signatures, and the account pools.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{scale_bps, BPS};
use crate::hardware::{Hardware, Requirements, Sym};
use crate::limits::NANO_PER_TOKEN;
use crate::owner::Owner;
use crate::symbols::Symbols;

/// Token amounts below are written in thousandths of a token.
const MILLI_TOKEN_NANO: u64 = NANO_PER_TOKEN / 1000;
/// Requirement signatures per configuration: bids draw from this finite set.
pub(super) const SIGNATURES_PER_CONFIG: usize = 4;
/// Draws of a new catalog entry before a duplicate is made distinct by adding memory.
const DISTINCT_ATTEMPTS: u32 = 64;
/// Provider and requester accounts.
const PROVIDERS: usize = 400;
const REQUESTERS: usize = 2000;
/// Requesters that are also providers, so the same-owner rule is exercised.
const DUAL_ROLE: usize = 40;

/// One GPU model of the catalog.
pub(super) struct GpuModel {
    pub(super) name: &'static str,
    pub(super) gpu_mem_gib: u32,
    /// Reference price of one GPU for one hour, milli-tokens.
    pub(super) price_milli_per_gpu_hour: u64,
    /// A machine with this model has this many cores and GiB per GPU.
    pub(super) cpu_per_gpu: u32,
    pub(super) mem_gib_per_gpu: u32,
    /// Models of one class serve the same jobs; a requester often accepts any of them.
    pub(super) class: u8,
    /// Relative share of the market's machines with this model.
    pub(super) popularity: u32,
}

#[rustfmt::skip]
pub(super) const GPU_MODELS: [GpuModel; 9] = [
    GpuModel { name: "T4", gpu_mem_gib: 16, price_milli_per_gpu_hour: 350, cpu_per_gpu: 4, mem_gib_per_gpu: 16, class: 0, popularity: 8 },
    GpuModel { name: "P100", gpu_mem_gib: 16, price_milli_per_gpu_hour: 420, cpu_per_gpu: 4, mem_gib_per_gpu: 32, class: 0, popularity: 3 },
    GpuModel { name: "V100M16", gpu_mem_gib: 16, price_milli_per_gpu_hour: 800, cpu_per_gpu: 8, mem_gib_per_gpu: 64, class: 1, popularity: 3 },
    GpuModel { name: "V100M32", gpu_mem_gib: 32, price_milli_per_gpu_hour: 1000, cpu_per_gpu: 8, mem_gib_per_gpu: 64, class: 1, popularity: 4 },
    GpuModel { name: "A10", gpu_mem_gib: 24, price_milli_per_gpu_hour: 750, cpu_per_gpu: 8, mem_gib_per_gpu: 32, class: 2, popularity: 6 },
    GpuModel { name: "L4", gpu_mem_gib: 24, price_milli_per_gpu_hour: 700, cpu_per_gpu: 8, mem_gib_per_gpu: 32, class: 2, popularity: 8 },
    GpuModel { name: "RTX4090", gpu_mem_gib: 24, price_milli_per_gpu_hour: 550, cpu_per_gpu: 8, mem_gib_per_gpu: 32, class: 2, popularity: 10 },
    GpuModel { name: "A100-80GB", gpu_mem_gib: 80, price_milli_per_gpu_hour: 1800, cpu_per_gpu: 12, mem_gib_per_gpu: 128, class: 3, popularity: 12 },
    GpuModel { name: "H100-80GB", gpu_mem_gib: 80, price_milli_per_gpu_hour: 2800, cpu_per_gpu: 16, mem_gib_per_gpu: 128, class: 3, popularity: 10 },
];
/// GPUs per machine, and how common each count is.
pub(super) const GPU_COUNTS: [(u32, u32); 4] = [(1, 4), (2, 3), (4, 2), (8, 2)];
/// CPU-only tiers: (cores, GiB).
pub(super) const CPU_TIERS: [(u32, u32); 5] = [(4, 16), (8, 32), (16, 64), (32, 128), (64, 256)];
pub(super) const TEES: [&str; 2] = ["sgx", "tdx"];
pub(super) const REGIONS: [&str; 5] =
    ["eu-west", "eu-central", "us-east", "us-west", "ap-southeast"];
/// Price of one core-hour and one GiB-hour, micro-tokens.
pub(super) const CORE_HOUR_MICRO: u64 = 20_000;
pub(super) const GIB_HOUR_MICRO: u64 = 2_500;
/// A machine with a TEE costs this much more, basis points.
pub(super) const TEE_PREMIUM_BPS: u64 = 1_500;

/// A machine configuration of the market and what one slot of it is worth.
#[derive(Debug, Clone)]
pub(super) struct Config {
    pub(super) hw: Hardware,
    /// Reference price per slot-hour, nano-units.
    pub(super) reference_nano: u64,
}

/// A requirement signature and the prices that decide whether a bid crosses.
#[derive(Debug, Clone)]
pub(super) struct Signature {
    pub(super) req: Requirements,
    /// The configuration the signature was derived from.
    pub(super) target: usize,
    /// Cheapest reference among the configurations that satisfy it: a bid below this never
    /// crosses a non-crossing ask (those are above their reference).
    pub(super) floor_nano: u64,
}

/// The static market: names, configurations, signatures and accounts.
#[derive(Debug, Clone)]
pub(super) struct Market {
    pub(super) symbols: Symbols,
    pub(super) configs: Vec<Config>,
    /// `SIGNATURES_PER_CONFIG` per configuration, config-major.
    pub(super) signatures: Vec<Signature>,
    pub(super) providers: Vec<Owner>,
    pub(super) requesters: Vec<Owner>,
}

/// One entry of the catalog before it is given symbols.
#[derive(Debug, Clone, Copy)]
pub(super) enum CatalogEntry {
    Gpu { model: usize, gpus: u32, region: usize },
    Cpu { tier: usize, tee: Option<usize>, region: usize },
}

impl Market {
    pub(super) fn draw(rng: &mut ChaCha8Rng, configs: usize) -> Market {
        let mut symbols = Symbols::new();
        for name in GPU_MODELS.iter().map(|m| m.name).chain(TEES).chain(REGIONS) {
            symbols.intern(name);
        }
        let mut drawn: Vec<Config> = Vec::with_capacity(configs);
        while drawn.len() < configs {
            let config = distinct_config(rng, &mut symbols, &drawn);
            drawn.push(config);
        }
        let mut signatures = Vec::with_capacity(drawn.len() * SIGNATURES_PER_CONFIG);
        for target in 0..drawn.len() {
            for _ in 0..SIGNATURES_PER_CONFIG {
                let req = requirements(rng, &mut symbols, &drawn[target].hw);
                let floor_nano = drawn
                    .iter()
                    .filter(|c| req.satisfied_by(&c.hw))
                    .map(|c| c.reference_nano)
                    .min()
                    .expect("a signature is drawn to fit its target configuration");
                signatures.push(Signature { req, target, floor_nano });
            }
        }
        let providers: Vec<Owner> = (0..PROVIDERS).map(|_| Owner(rng.random())).collect();
        let requesters = providers[..DUAL_ROLE]
            .iter()
            .copied()
            .chain((DUAL_ROLE..REQUESTERS).map(|_| Owner(rng.random())))
            .collect();
        Market { symbols, configs: drawn, signatures, providers, requesters }
    }
}

/// A configuration not in `drawn`: popular machines are drawn more often; when the catalog runs
/// dry, a repeat gets more memory so configurations stay distinct.
pub(super) fn distinct_config(
    rng: &mut ChaCha8Rng,
    symbols: &mut Symbols,
    drawn: &[Config],
) -> Config {
    let taken = |config: &Config| drawn.iter().any(|d| d.hw == config.hw);
    let mut entry = catalog_entry(rng);
    for _ in 1..DISTINCT_ATTEMPTS {
        if !taken(&make_config(symbols, entry, 0)) {
            break;
        }
        entry = catalog_entry(rng);
    }
    let mut extra_mem_gib = 0;
    loop {
        let config = make_config(symbols, entry, extra_mem_gib);
        if !taken(&config) {
            return config;
        }
        extra_mem_gib += 64;
    }
}

/// Three machines in four have GPUs; models and GPU counts by popularity; a CPU machine has a
/// TEE two times in five.
pub(super) fn catalog_entry(rng: &mut ChaCha8Rng) -> CatalogEntry {
    let region = rng.random_range(0..REGIONS.len() as u64) as usize;
    if rng.random_ratio(3, 4) {
        let model = weighted(rng, GPU_MODELS.iter().map(|m| m.popularity));
        let gpus = GPU_COUNTS[weighted(rng, GPU_COUNTS.iter().map(|&(_, weight)| weight))].0;
        CatalogEntry::Gpu { model, gpus, region }
    } else {
        let tier = rng.random_range(0..CPU_TIERS.len() as u64) as usize;
        let tee = match rng.random_range(0..5u32) {
            0 => Some(0),
            1 => Some(1),
            _ => None,
        };
        CatalogEntry::Cpu { tier, tee, region }
    }
}

/// An index drawn with the given weights (not all zero).
pub(super) fn weighted(rng: &mut ChaCha8Rng, weights: impl Iterator<Item = u32> + Clone) -> usize {
    let total: u64 = weights.clone().map(u64::from).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (at, weight) in weights.enumerate() {
        if roll < u64::from(weight) {
            return at;
        }
        roll -= u64::from(weight);
    }
    0
}

pub(super) fn make_config(
    symbols: &mut Symbols,
    entry: CatalogEntry,
    extra_mem_gib: u32,
) -> Config {
    match entry {
        CatalogEntry::Gpu { model, gpus, region } => {
            let m = &GPU_MODELS[model];
            let hw = Hardware {
                cpu: m.cpu_per_gpu * gpus,
                mem_gib: m.mem_gib_per_gpu * gpus + extra_mem_gib,
                gpu: Some(symbols.intern(m.name)),
                gpus,
                gpu_mem_gib: m.gpu_mem_gib,
                tee: None,
                region: symbols.intern(REGIONS[region]),
            };
            let gpu_nano = m.price_milli_per_gpu_hour * MILLI_TOKEN_NANO * u64::from(gpus);
            Config { reference_nano: gpu_nano + host_price_nano(&hw), hw }
        }
        CatalogEntry::Cpu { tier, tee, region } => {
            let (cpu, mem_gib) = CPU_TIERS[tier];
            let hw = Hardware {
                cpu,
                mem_gib: mem_gib + extra_mem_gib,
                gpu: None,
                gpus: 0,
                gpu_mem_gib: 0,
                tee: tee.map(|t| symbols.intern(TEES[t])),
                region: symbols.intern(REGIONS[region]),
            };
            let base_nano = host_price_nano(&hw);
            let premium_bps = if tee.is_some() { BPS + TEE_PREMIUM_BPS } else { BPS };
            Config { reference_nano: scale_bps(base_nano, premium_bps), hw }
        }
    }
}

/// The CPU and memory part of a slot-hour's reference price, nano-units.
pub(super) fn host_price_nano(hw: &Hardware) -> u64 {
    let micro = u64::from(hw.cpu) * CORE_HOUR_MICRO + u64::from(hw.mem_gib) * GIB_HOUR_MICRO;
    micro * (NANO_PER_TOKEN / 1_000_000)
}

/// A requirement signature that `hw` satisfies: a job sized for this machine or a fraction of
/// it, often accepting any GPU model of the class, sometimes pinned to regions.
pub(super) fn requirements(
    rng: &mut ChaCha8Rng,
    symbols: &mut Symbols,
    hw: &Hardware,
) -> Requirements {
    let regions = region_filter(rng, symbols, hw.region, hw.gpu.is_some());
    match hw.gpu {
        Some(model) => {
            let gpus = match rng.random_range(0..5u32) {
                0..=2 => 1,
                3 => (hw.gpus / 2).max(1),
                _ => hw.gpus.max(1),
            };
            let share = |whole: u32| whole * gpus / hw.gpus.max(1);
            let models =
                if rng.random_ratio(3, 4) { class_of(symbols, model) } else { vec![model] };
            let gpu_mem_gib = if rng.random_ratio(1, 3) { hw.gpu_mem_gib } else { 0 };
            let (cpu, mem_gib) = (share(hw.cpu), share(hw.mem_gib));
            Requirements::new(cpu, mem_gib, models, gpus, gpu_mem_gib, None, regions)
        }
        None => {
            let divisor = rng.random_range(1..=2u32);
            let (cpu, mem_gib) = (hw.cpu / divisor, hw.mem_gib / divisor);
            Requirements::new(cpu, mem_gib, Vec::new(), 0, 0, hw.tee, regions)
        }
    }
}

/// Every model of `model`'s class.
pub(super) fn class_of(symbols: &mut Symbols, model: Sym) -> Vec<Sym> {
    let name = symbols.name(model);
    let Some(class) = GPU_MODELS.iter().find(|m| m.name == name).map(|m| m.class) else {
        return vec![model];
    };
    GPU_MODELS.iter().filter(|m| m.class == class).map(|m| symbols.intern(m.name)).collect()
}

/// Any region, the machine's own, or its own and one more. CPU jobs are pinned more often:
/// without a GPU list, any machine with enough cores satisfies them.
pub(super) fn region_filter(
    rng: &mut ChaCha8Rng,
    symbols: &mut Symbols,
    own: Sym,
    gpu: bool,
) -> Vec<Sym> {
    let roll = rng.random_range(0..20u32);
    let any_below = if gpu { 12 } else { 4 };
    if roll < any_below {
        return Vec::new();
    }
    let mut regions = vec![own];
    if roll >= 15 {
        let other = REGIONS[rng.random_range(0..REGIONS.len() as u64) as usize];
        regions.push(symbols.intern(other));
    }
    regions
}
