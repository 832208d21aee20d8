//! What agents send: a provider's ask for its free slots and a job's bid, priced by their
//! strategies, and the adaptive provider's price moves. All prices are integer nano-units.

use gridbook_matcher::{Ask, Bid, Command, Owner, Peg, Price, Requirements, Sym, Tif};

use crate::scenario::{ProviderStrategy, RequesterStrategy};
use crate::source::JobSpec;

/// An owner address for agent `number` of a family (`0x10` providers, `0x20` requesters):
/// distinct agents never share an account, so the engine's self-trade rule never applies.
pub(crate) fn owner(family: u8, number: u64) -> Owner {
    let mut bytes = [0u8; 20];
    bytes[0] = family;
    bytes[12..].copy_from_slice(&number.to_be_bytes());
    Owner(bytes)
}

/// `price × (100 + pct) ÷ 100`, saturating, in integers.
pub(crate) fn plus_pct(price_nano: u64, pct: u64) -> u64 {
    let moved = u128::from(price_nano) * u128::from(100 + pct) / 100;
    u64::try_from(moved).unwrap_or(u64::MAX).clamp(1, 1_000_000_000_000_000_000)
}

/// `price × (100 − pct) ÷ 100` (pct < 100), at least 1 nano.
pub(crate) fn minus_pct(price_nano: u64, pct: u64) -> u64 {
    let moved = u128::from(price_nano) * u128::from(100 - pct.min(99)) / 100;
    u64::try_from(moved).unwrap_or(u64::MAX).max(1)
}

/// How a provider prices its next ask.
pub(crate) struct AskPricing {
    pub(crate) strategy: ProviderStrategy,
    pub(crate) cost_nano: u64,
    /// Its own price (markup, or the adaptive provider's current price).
    pub(crate) own_nano: u64,
    /// Its class's symbol, when pegging is possible (the class has a published reference).
    pub(crate) peg_class: Option<Sym>,
}

impl AskPricing {
    fn price(&self) -> Price {
        match (self.strategy, self.peg_class) {
            (ProviderStrategy::Pegged, Some(class)) => {
                Price::Pegged(Peg { class, offset_nano: 0, limit_nano: self.cost_nano, units: 1 })
            }
            _ => Price::Fixed(self.own_nano.max(self.cost_nano)),
        }
    }
}

/// The ask for `qty` free slots of `hw`, offered from `now_ms` for `horizon_ms`, resting until
/// `expires_ms` at most.
#[allow(clippy::too_many_arguments)]
pub(crate) fn ask(
    id: String,
    owner: Owner,
    pricing: &AskPricing,
    qty: u64,
    hw: gridbook_matcher::Hardware,
    now_ms: u64,
    horizon_ms: u64,
    expires_ms: u64,
) -> Command {
    Command::Ask(Ask {
        id,
        owner,
        price: pricing.price(),
        qty,
        tif: Tif::Gtc,
        hw,
        from_ms: now_ms,
        until_ms: now_ms.saturating_add(horizon_ms),
        expires_ms: Some(expires_ms),
    })
}

/// A job's bid. The bid rests until the job's latest possible start, then expires.
pub(crate) fn bid(
    id: String,
    owner: Owner,
    job: &JobSpec,
    req: &Requirements,
    strategy: RequesterStrategy,
    shade_pct: u64,
    peg_class: Option<Sym>,
) -> Command {
    let limit = match (strategy, peg_class) {
        (RequesterStrategy::Shaded, _) => Price::Fixed(minus_pct(job.value_nano, shade_pct)),
        (RequesterStrategy::Pegged, Some(class)) => {
            Price::Pegged(Peg { class, offset_nano: 0, limit_nano: job.value_nano, units: 1 })
        }
        _ => Price::Fixed(job.value_nano),
    };
    let latest_start_ms = job.deadline_ms - job.duration_ms;
    Command::Bid(Bid {
        id,
        owner,
        limit,
        qty: job.qty,
        tif: Tif::Gtc,
        req: req.clone(),
        duration_ms: job.duration_ms,
        not_before_ms: job.arrival_ms,
        deadline_ms: job.deadline_ms,
        expires_ms: Some(latest_start_ms + 1),
    })
}
