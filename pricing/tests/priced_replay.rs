//! `PricedEngine` keeps price rows and deals only when asked to: a replay that never reads them
//! must not hold one entry per deal or per book interval for the whole stream.

use gridbook_matcher::stream::encode_command;
use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::EngineConfig;
use gridbook_pricing::{
    model_by_name, LineReplay, PricedEngine, PricedOptions, PricingConfig, Taxonomy,
};

fn run(record: bool) -> (usize, usize, u64) {
    let model = model_by_name("ewma", &PricingConfig::default()).expect("a known model");
    let options = PricedOptions {
        book_interval_ms: 100,
        record_rows: record,
        record_deals: record,
        ..Default::default()
    };
    let taxonomy = Taxonomy::default_taxonomy();
    let mut priced =
        LineReplay::new(PricedEngine::new(EngineConfig::default(), taxonomy, Some(model), options));
    let mut workload =
        Workload::new(WorkloadConfig { seed: 2, resting: 300, orders: 3000, ..Default::default() });
    let mut out = Vec::new();
    let mut line_no = 0;
    while let Some((ts_ms, command)) = workload.next() {
        line_no += 1;
        let line = encode_command(workload.symbols(), ts_ms, &command);
        out.clear();
        priced.line(line_no, line.as_bytes(), &mut out);
    }
    let deals_made = priced.stats().deals;
    let priced = priced.priced_mut();
    (priced.take_rows().len(), priced.take_deals().len(), deals_made)
}

#[test]
fn rows_and_deals_are_kept_only_when_recording_is_on() {
    let (rows, deals, deals_made) = run(true);
    assert!(deals_made > 100, "the workload trades");
    assert_eq!(deals as u64, deals_made, "every deal of a classed ask is recorded");
    assert!(rows > 13, "a row per class per book interval");
    assert_eq!(run(false), (0, 0, deals_made), "nothing kept, the market unchanged");
}
