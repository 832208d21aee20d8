//! Why an order has not traded: the resting orders of the other side nearest to trading with
//! it ([`gridbook_matcher::Engine::explain`] for an order arriving, `explain_resting` for one
//! in the book) and, for each, every rule that keeps the pair apart.

use gridbook_matcher::money::format_nano;
use gridbook_matcher::{Candidate, Engine, IdLookup, Side};
use serde::Serialize;

/// A resting order of the other side and what keeps it from trading with the explained one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CandidateAnswer {
    /// Its id.
    pub id: String,
    /// `ask` or `bid`.
    pub side: &'static str,
    /// Its price (ask) or limit (bid) now, per slot-hour.
    pub price: String,
    /// Its resting quantity.
    pub remaining: u64,
    /// The codes of every rule that keeps the pair apart, in rule order; empty when they could
    /// trade now.
    pub excluded_by: Vec<&'static str>,
}

/// `candidates` of `engine`, as answered.
pub fn candidates(engine: &Engine, candidates: &[Candidate]) -> Vec<CandidateAnswer> {
    candidates
        .iter()
        .map(|candidate| CandidateAnswer {
            id: engine.order_id(candidate.order).to_owned(),
            side: match candidate.side {
                Side::Ask => "ask",
                Side::Bid => "bid",
            },
            price: format_nano(candidate.price_nano),
            remaining: candidate.remaining,
            excluded_by: candidate.excluded_by.iter().map(|e| e.code()).collect(),
        })
        .collect()
}
