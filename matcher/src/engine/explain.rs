//! "Why didn't it match": for an order, the resting orders of the other side nearest to trading
//! with it, and for each every rule that keeps the pair apart.
//!
//! This answers questions, not commands: it reads the book, changes nothing, and is allowed a
//! linear scan of the other side (it is never on the matching path), which keeps it obviously
//! consistent with the rules. The rules are checked in the order requesters read them: price,
//! hardware (cpu, memory, GPU model, GPU count, GPU memory, TEE, region), time, self-trade.

use super::place::deal_window;
use super::slab::{Resting, Terms, NIL};
use super::{ladder::Ladder, Engine, Side};
use crate::command::{Ask, Bid, Command};
use crate::event::OrderRef;
use crate::hardware::{Hardware, Mismatch, Requirements};

/// A rule that keeps two orders from trading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Exclusion {
    /// The ask's price is above the bid's limit (rule 3).
    Price,
    /// A hardware check (rule 1).
    Hardware(Mismatch),
    /// No start time fits both the ask's window and the bid's not-before/deadline now, or the
    /// order expires at this time (rules 2 and 6).
    Time,
    /// Both orders have the same owner (rule 3).
    SelfTrade,
}

impl Exclusion {
    /// The stable code used in output.
    pub fn code(self) -> &'static str {
        match self {
            Exclusion::Price => "price",
            Exclusion::Hardware(Mismatch::Cpu) => "cpu",
            Exclusion::Hardware(Mismatch::Mem) => "mem",
            Exclusion::Hardware(Mismatch::GpuModel) => "gpu_model",
            Exclusion::Hardware(Mismatch::GpuCount) => "gpu_count",
            Exclusion::Hardware(Mismatch::GpuMem) => "gpu_mem",
            Exclusion::Hardware(Mismatch::Tee) => "tee",
            Exclusion::Hardware(Mismatch::Region) => "region",
            Exclusion::Time => "time",
            Exclusion::SelfTrade => "self_trade",
        }
    }
}

/// A resting order of the other side, and what keeps it from trading with the explained order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The resting order.
    pub order: OrderRef,
    /// Its side.
    pub side: Side,
    /// Its price (ask) or limit (bid), nano-units per slot-hour.
    pub price_nano: u64,
    /// Its resting quantity.
    pub remaining: u64,
    /// Every rule that excludes the pair, in rule order; empty when they could trade now.
    pub excluded_by: Vec<Exclusion>,
}

/// One side of a pair, as the checks need it.
struct Party<'a> {
    price_nano: u64,
    owner: crate::owner::Owner,
    hw: Option<&'a Hardware>,
    req: Option<&'a Requirements>,
    window: Option<(u64, u64)>,
    terms: Option<(u64, u64, u64)>,
    expired: bool,
}

fn exclusions(ask: &Party<'_>, bid: &Party<'_>, now_ms: u64) -> Vec<Exclusion> {
    let mut excluded = Vec::new();
    if ask.price_nano > bid.price_nano {
        excluded.push(Exclusion::Price);
    }
    if let (Some(hw), Some(req)) = (ask.hw, bid.req) {
        excluded.extend(req.mismatches(hw).into_iter().map(Exclusion::Hardware));
    }
    let fits = match (ask.window, bid.terms) {
        (Some(window), Some(terms)) => deal_window(now_ms, window, terms).is_some(),
        _ => false,
    };
    if !fits || ask.expired || bid.expired {
        excluded.push(Exclusion::Time);
    }
    if ask.owner == bid.owner {
        excluded.push(Exclusion::SelfTrade);
    }
    excluded
}

/// `price_nano` is the ask's effective price now, `None` if unpriced: an unpriced ask is
/// treated as priced above every bid, so the price rule excludes it.
fn ask_party(ask: &Ask, price_nano: Option<u64>) -> Party<'_> {
    Party {
        price_nano: price_nano.unwrap_or(u64::MAX),
        owner: ask.owner,
        hw: Some(&ask.hw),
        req: None,
        window: Some((ask.from_ms, ask.until_ms)),
        terms: None,
        expired: false,
    }
}

/// `limit_nano` is the bid's effective limit now, `None` if unpriced: an unpriced bid is
/// treated as a limit of 0, below every ask, so the price rule excludes it.
fn bid_party(bid: &Bid, limit_nano: Option<u64>) -> Party<'_> {
    Party {
        price_nano: limit_nano.unwrap_or(0),
        owner: bid.owner,
        hw: None,
        req: Some(&bid.req),
        window: None,
        terms: Some((bid.not_before_ms, bid.deadline_ms, bid.duration_ms)),
        expired: false,
    }
}

impl Engine {
    /// The `nearest` resting orders of the other side for `command` (an ask or a bid) at
    /// `now_ms`, nearest first: fewest excluding rules, then the smallest price gap, then
    /// earliest arrival. Empty for a cancel or a tick.
    pub fn explain(&self, command: &Command, now_ms: u64, nearest: usize) -> Vec<Candidate> {
        let (mut candidates, probe_price_nano) = match command {
            Command::Ask(ask) => {
                let price_nano = self.effective_price(&ask.price, false);
                let party = ask_party(ask, price_nano);
                (self.explain_against(Side::Bid, &party, now_ms), party.price_nano)
            }
            Command::Bid(bid) => {
                let limit_nano = self.effective_price(&bid.limit, true);
                let party = bid_party(bid, limit_nano);
                (self.explain_against(Side::Ask, &party, now_ms), party.price_nano)
            }
            Command::Cancel(_) | Command::Tick | Command::Reference { .. } => (Vec::new(), 0),
        };
        nearest_first(&mut candidates, probe_price_nano, nearest);
        candidates
    }

    /// For the resting order `id`, the `nearest` resting orders of the other side now, nearest
    /// first as in [`Engine::explain`]: why it still rests. `None` when `id` is not resting.
    /// The order is checked as it rests — its remaining quantity, its effective price now, its
    /// group's machine or requirements — so the answer needs nothing but the engine.
    pub fn explain_resting(&self, id: &str, nearest: usize) -> Option<Vec<Candidate>> {
        let (order, _) = self.ids.find(id, self.ids.hash(id))?;
        let resting = self.slab.get(self.resting_slot(order)?);
        let now_ms = self.now_ms;
        let (side, price_nano, hw, req) = match resting.terms {
            // An unpriced ask is priced above every bid, an unpriced bid below every ask, as
            // for an arriving order.
            Terms::Ask { .. } => {
                let hw = &self.groups.configs.get(resting.group).key;
                (Side::Bid, self.price_of(resting).unwrap_or(u64::MAX), Some(hw), None)
            }
            Terms::Bid { .. } => {
                let req = &self.groups.signatures.get(resting.group).key;
                (Side::Ask, self.price_of(resting).unwrap_or(0), None, Some(req))
            }
        };
        let party = resting_party(resting, price_nano, hw, req, now_ms);
        let mut candidates = self.explain_against(side, &party, now_ms);
        nearest_first(&mut candidates, price_nano, nearest);
        Some(candidates)
    }

    fn explain_against(&self, side: Side, probe: &Party<'_>, now_ms: u64) -> Vec<Candidate> {
        let mut candidates = Vec::new();
        match side {
            Side::Ask => {
                for config in &self.groups.configs.list {
                    let groups = (Some(&config.key), None);
                    self.scan(&config.ladder, groups, side, probe, now_ms, &mut candidates);
                    for &float in &config.floats {
                        let ladder = &self.pegs.floats.list[float.at()].ladder;
                        self.scan(ladder, groups, side, probe, now_ms, &mut candidates);
                    }
                }
            }
            Side::Bid => {
                for signature in &self.groups.signatures.list {
                    let groups = (None, Some(&signature.key));
                    self.scan(&signature.ladder, groups, side, probe, now_ms, &mut candidates);
                    for &float in &signature.floats {
                        let ladder = &self.pegs.floats.list[float.at()].ladder;
                        self.scan(ladder, groups, side, probe, now_ms, &mut candidates);
                    }
                }
            }
        }
        candidates
    }

    /// Adds every order of `ladder` (whose group's hardware or requirements are `group`).
    fn scan(
        &self,
        ladder: &Ladder,
        group: (Option<&Hardware>, Option<&Requirements>),
        side: Side,
        probe: &Party<'_>,
        now_ms: u64,
        out: &mut Vec<Candidate>,
    ) {
        for level in &ladder.levels {
            let mut slot = level.head;
            while slot != NIL {
                let resting = self.slab.get(slot);
                let price_nano =
                    self.price_of(resting).expect("every order on a ladder has a price");
                let other = resting_party(resting, price_nano, group.0, group.1, now_ms);
                let excluded_by = match side {
                    Side::Ask => exclusions(&other, probe, now_ms),
                    Side::Bid => exclusions(probe, &other, now_ms),
                };
                out.push(Candidate {
                    order: resting.order,
                    side,
                    price_nano,
                    remaining: u64::from(resting.remaining),
                    excluded_by,
                });
                slot = resting.next;
            }
        }
    }
}

/// Keeps the `nearest` candidates: fewest excluding rules, then the smallest gap to
/// `probe_price_nano`, then earliest arrival.
fn nearest_first(candidates: &mut Vec<Candidate>, probe_price_nano: u64, nearest: usize) {
    candidates
        .sort_by_key(|c| (c.excluded_by.len(), c.price_nano.abs_diff(probe_price_nano), c.order));
    candidates.truncate(nearest);
}

fn resting_party<'a>(
    resting: &Resting,
    price_nano: u64,
    hw: Option<&'a Hardware>,
    req: Option<&'a Requirements>,
    now_ms: u64,
) -> Party<'a> {
    let (window, terms) = match resting.terms {
        Terms::Ask { from_ms, until_ms } => (Some((from_ms, until_ms)), None),
        Terms::Bid { not_before_ms, deadline_ms, duration_ms } => {
            (None, Some((not_before_ms, deadline_ms, duration_ms)))
        }
    };
    Party {
        price_nano,
        owner: resting.owner,
        hw,
        req,
        window,
        terms,
        expired: resting.expiry_ms <= now_ms,
    }
}
