//! What a deployment feeds a pricing model, from a generated market: the engine replays the
//! market, each deal becomes class units through the default taxonomy, and a book summary is
//! taken every `summary_every_ms` of market time — in one list, in the order a driver would
//! give them, so that several tests feed models exactly alike.

use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::{Command, Engine, Event, Hardware};
use gridbook_pricing::{BookSummary, ClassId, Taxonomy};

/// What a model is fed, in order.
pub(crate) enum Input {
    /// A deal of `class`: its price per class unit and its units.
    Deal { class: ClassId, price_nano: u64, units: u64, ts_ms: u64 },
    /// Time passes; the book as it stands.
    Time { ts_ms: u64, summary: BookSummary },
}

/// The inputs the market `config` generates, and the number of classes.
pub(crate) fn model_inputs(config: WorkloadConfig, summary_every_ms: u64) -> (Vec<Input>, usize) {
    let taxonomy = Taxonomy::default_taxonomy();
    let workload = Workload::new(config);
    let symbols = workload.symbols().clone();
    let mut engine = Engine::default();
    let mut ask_hw: Vec<Option<Hardware>> = Vec::new();
    let mut summary = BookSummary::default();
    let (mut next_summary_ms, mut inputs) = (0u64, Vec::new());
    for (ts_ms, command) in workload {
        for event in engine.apply(&command, ts_ms) {
            match (event, &command) {
                (Event::Accepted { order }, Command::Ask(ask)) => {
                    let at = order.0 as usize;
                    ask_hw.resize(ask_hw.len().max(at + 1), None);
                    ask_hw[at] = Some(ask.hw);
                }
                (Event::Deal(deal), _) => {
                    let hw = ask_hw[deal.ask.0 as usize].expect("a deal's ask was accepted");
                    let Some(class) = taxonomy.classify(&hw, &symbols) else { continue };
                    let price_nano = taxonomy.normalise_nano(class, &hw, deal.price_nano);
                    let units = taxonomy.units(class, &hw, deal.qty);
                    inputs.push(Input::Deal { class, price_nano, units, ts_ms });
                }
                _ => {}
            }
        }
        if ts_ms >= next_summary_ms {
            summary.rebuild(&engine, &taxonomy, &symbols);
            inputs.push(Input::Time { ts_ms, summary: summary.clone() });
            next_summary_ms = ts_ms + summary_every_ms;
        }
    }
    (inputs, taxonomy.len())
}
