//! Rules the priced step relies on internally.

use super::*;
use crate::config::PricingConfig;
use crate::model::model_by_name;
use crate::LineReplay;
use gridbook_matcher::stream::encode_command;
use gridbook_matcher::workload::{Workload, WorkloadConfig};

/// The rule `publish` relies on to skip classes: after every command, a class it did not
/// look at has no unpublished move — whatever the model, on a pegged market, publishing
/// every change.
#[test]
fn a_class_publish_skips_never_holds_an_unpublished_move() {
    for name in crate::model::MODEL_NAMES {
        let taxonomy = Taxonomy::default_taxonomy();
        let model = model_by_name(name, &PricingConfig::default()).expect("known model");
        let options =
            PricedOptions { book_interval_ms: 50, publish_step_bps: 0, ..Default::default() };
        let priced =
            PricedEngine::new(EngineConfig::default(), taxonomy.clone(), Some(model), options);
        let mut replay = LineReplay::new(priced);
        let config = WorkloadConfig {
            seed: 5,
            resting: 400,
            orders: 4000,
            pegged_percent: 30,
            ..Default::default()
        };
        let mut workload = Workload::with_classes(config, &taxonomy);
        let (mut out, mut line_no) = (Vec::new(), 0);
        while let Some((ts_ms, command)) = workload.next() {
            line_no += 1;
            let line = encode_command(workload.symbols(), ts_ms, &command);
            out.clear();
            replay.line(line_no, line.as_bytes(), &mut out);
            let priced = replay.priced();
            let model = priced.model.as_deref().expect("priced");
            for (at, tape) in priced.state.tapes.iter().enumerate() {
                let reference = model.reference_nano(ClassId(at as u32));
                if let (false, Some(reference)) = (tape.stale, reference) {
                    assert!(
                        !moved_enough(tape.published_nano, reference, 0),
                        "{name}, line {line_no}, class {at}: moved but not stale"
                    );
                }
            }
        }
        assert!(replay.stats().deals > 100, "{name}: the market trades");
    }
}
