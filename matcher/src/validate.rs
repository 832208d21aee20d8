//! Stateless validation of orders (matching rule 8): everything that can be checked from the
//! command and the time alone. Checks run in a fixed order and the first failure is reported,
//! so the reason for a command with several faults is deterministic (docs/order-stream.md).

use crate::command::{Ask, Bid, Price};
use crate::event::RejectReason;
use crate::hardware::{Hardware, Requirements};
use crate::limits::{
    ID_LEN_MAX, LIST_LEN_MAX, OFFSET_NANO_MAX, PRICE_NANO_MAX, QTY_MAX, RESOURCE_MAX, TIME_MS_MAX,
};

/// An id is 1 to [`ID_LEN_MAX`] bytes of printable ASCII without spaces.
pub fn check_id(id: &str) -> Result<(), RejectReason> {
    let printable = id.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if id.is_empty() || id.len() > ID_LEN_MAX || !printable {
        return Err(RejectReason::BadId);
    }
    Ok(())
}

/// A price (a reference, an ask's price, a bid's limit, a peg's limit) is in (0, 10^9] tokens.
pub fn check_price(price_nano: u64) -> Result<(), RejectReason> {
    if price_nano == 0 || price_nano > PRICE_NANO_MAX {
        return Err(RejectReason::BadPrice);
    }
    Ok(())
}

/// A fixed price, or a peg whose limit is a price and whose offset is at most 10^9 tokens
/// either way.
fn check_order_price(price: &Price) -> Result<(), RejectReason> {
    match price {
        Price::Fixed(price_nano) => check_price(*price_nano),
        Price::Pegged(peg) => {
            check_price(peg.limit_nano)?;
            if peg.offset_nano.unsigned_abs() > OFFSET_NANO_MAX {
                return Err(RejectReason::BadPrice);
            }
            Ok(())
        }
    }
}

fn check_qty(qty: u64) -> Result<(), RejectReason> {
    if qty == 0 || qty > QTY_MAX {
        return Err(RejectReason::BadQty);
    }
    Ok(())
}

fn check_times(times: &[u64], expires_ms: Option<u64>) -> Result<(), RejectReason> {
    if times.iter().chain(expires_ms.iter()).any(|&t| t > TIME_MS_MAX) {
        return Err(RejectReason::BadTime);
    }
    Ok(())
}

fn check_hardware(hw: &Hardware) -> Result<(), RejectReason> {
    if [hw.cpu, hw.mem_gib, hw.gpus, hw.gpu_mem_gib].iter().any(|&v| v > RESOURCE_MAX) {
        return Err(RejectReason::BadHardware);
    }
    Ok(())
}

fn check_requirements(req: &Requirements) -> Result<(), RejectReason> {
    let counts_ok =
        [req.cpu, req.mem_gib, req.gpus, req.gpu_mem_gib].iter().all(|&v| v <= RESOURCE_MAX);
    if !counts_ok || req.gpu.len() > LIST_LEN_MAX || req.regions.len() > LIST_LEN_MAX {
        return Err(RejectReason::BadHardware);
    }
    Ok(())
}

fn check_expires(expires_ms: Option<u64>, now_ms: u64) -> Result<(), RejectReason> {
    match expires_ms {
        Some(expires_ms) if expires_ms <= now_ms => Err(RejectReason::BadExpires),
        _ => Ok(()),
    }
}

/// Checks an ask's own fields at `now_ms`: price, qty, hardware, times, window, expiry.
pub fn check_ask(ask: &Ask, now_ms: u64) -> Result<(), RejectReason> {
    check_order_price(&ask.price)?;
    check_qty(ask.qty)?;
    check_hardware(&ask.hw)?;
    check_times(&[ask.from_ms, ask.until_ms], ask.expires_ms)?;
    if ask.until_ms <= ask.from_ms || ask.until_ms <= now_ms {
        return Err(RejectReason::BadWindow);
    }
    check_expires(ask.expires_ms, now_ms)
}

/// Checks a bid's own fields at `now_ms`: limit, qty, requirements, times, duration, deadline,
/// expiry.
pub fn check_bid(bid: &Bid, now_ms: u64) -> Result<(), RejectReason> {
    check_order_price(&bid.limit)?;
    check_qty(bid.qty)?;
    check_requirements(&bid.req)?;
    check_times(&[bid.not_before_ms, bid.deadline_ms, bid.duration_ms], bid.expires_ms)?;
    if bid.duration_ms == 0 {
        return Err(RejectReason::BadDuration);
    }
    if now_ms.max(bid.not_before_ms) + bid.duration_ms > bid.deadline_ms {
        return Err(RejectReason::DeadlineUnreachable);
    }
    check_expires(bid.expires_ms, now_ms)
}

/// The first time at which rule 6 removes a resting ask: `min(until, expires)`.
pub fn ask_expiry_ms(ask: &Ask) -> u64 {
    ask.until_ms.min(ask.expires_ms.unwrap_or(u64::MAX))
}

/// The first time at which rule 6 removes a resting bid: the first `now` with
/// `max(now, not_before) + duration > deadline` (that is `deadline − duration + 1`, as a valid bid
/// has `not_before + duration ≤ deadline`), or `expires` if earlier.
pub fn bid_expiry_ms(bid: &Bid) -> u64 {
    let infeasible_ms = bid.deadline_ms.saturating_sub(bid.duration_ms) + 1;
    infeasible_ms.min(bid.expires_ms.unwrap_or(u64::MAX))
}
