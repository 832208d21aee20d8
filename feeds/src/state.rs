//! The feeds' state in a node's snapshot, so that a node started from a snapshot publishes
//! exactly what one that replayed its whole journal would: the names, the followed book (which
//! rebuilds every channel's levels), each channel's seq, and the kept trades, candles,
//! references and tickers. Written in a fixed order (postcard); a restored state is checked
//! against the taxonomy it is restored under.

use std::collections::VecDeque;

use gridbook_matcher::Symbols;
use gridbook_pricing::Taxonomy;

use crate::book::{Book, SavedBook};
use crate::market::{ClassCandles, Tape, Ticker};
use crate::{Feeds, FeedsConfig, FeedsError, ReferencePoint};

#[derive(serde::Serialize, serde::Deserialize)]
struct State {
    names: Vec<String>,
    book: SavedBook,
    tape: Tape,
    candles: Vec<ClassCandles>,
    references: Vec<VecDeque<ReferencePoint>>,
    tickers: Vec<Option<Ticker>>,
    last_ts_ms: u64,
    commands: u64,
}

fn damaged(detail: impl Into<String>) -> FeedsError {
    FeedsError::Command { seq: 0, detail: format!("feeds state: {}", detail.into()) }
}

impl Feeds {
    /// Appends the feeds' state to `out`.
    pub fn write_state(&self, out: &mut Vec<u8>) {
        let symbols = &self.symbols;
        let names = (0..symbols.len() as u32).map(|at| symbols.name(gridbook_matcher::Sym(at)));
        let state = State {
            names: names.map(str::to_owned).collect(),
            book: self.book.save(),
            tape: self.tape.clone(),
            candles: self.candles.clone(),
            references: self.references.clone(),
            tickers: self.tickers.clone(),
            last_ts_ms: self.last_ts_ms,
            commands: self.commands,
        };
        let written = postcard::to_extend(&state, std::mem::take(out));
        *out = written.expect("postcard writes into a Vec");
    }

    /// The feeds `bytes` ([`Feeds::write_state`]) hold, under `taxonomy` and `config`.
    pub fn restore(
        taxonomy: Taxonomy,
        config: FeedsConfig,
        bytes: &[u8],
    ) -> Result<Feeds, FeedsError> {
        let state: State = postcard::from_bytes(bytes).map_err(|e| damaged(e.to_string()))?;
        let classes = taxonomy.len();
        let per_class = [state.candles.len(), state.references.len(), state.tickers.len()];
        if per_class.iter().any(|&len| len != classes) {
            return Err(damaged(format!("{per_class:?} entries for {classes} classes")));
        }
        let in_range = |class: gridbook_pricing::ClassId| class.index() < classes;
        let trades_ok =
            state.tape.trades().iter().all(|t| t.class.is_none_or(|(c, _)| in_range(c)));
        let tickers_ok = state.tickers.iter().flatten().all(|t| in_range(t.class));
        if !trades_ok || !tickers_ok {
            return Err(damaged("a class out of range"));
        }
        let mut symbols = Symbols::with_names_max(config.names_max);
        for (at, name) in state.names.iter().enumerate() {
            if symbols.intern_bounded(name).map(|sym| sym.0 as usize) != Some(at) {
                return Err(damaged(format!("name {at} `{name}` twice, or past names_max")));
            }
        }
        let track_all = config.all_configurations;
        let book = Book::restore(taxonomy, config.configs_max, track_all, state.book, &symbols)?;
        Ok(Feeds {
            config,
            symbols,
            book,
            tape: state.tape,
            candles: state.candles,
            references: state.references,
            tickers: state.tickers,
            last_ts_ms: state.last_ts_ms,
            commands: state.commands,
        })
    }
}
