//! The one step API: `PricedEngine::apply` returns every event of a step — the command's own,
//! then those of the references the model published in it — exactly the events the line codec
//! writes for that line; and without a model the line codec writes the matcher's unpriced
//! replay's bytes, so `gridbook replay` needs no second driver.

use gridbook_matcher::stream::{encode_command, Decoder, Replay};
use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::{EngineConfig, Event};
use gridbook_pricing::{
    model_by_name, LineReplay, PricedEngine, PricedOptions, PricingConfig, Taxonomy, MODEL_NAMES,
};

/// The lines of a seeded pegged market, with hostile lines among them (a stream reference, a
/// peg to a class that does not exist, bytes that are no JSON).
fn market_lines() -> Vec<String> {
    let taxonomy = Taxonomy::default_taxonomy();
    let config = WorkloadConfig {
        seed: 7,
        resting: 300,
        orders: 3000,
        pegged_percent: 40,
        ..Default::default()
    };
    let mut workload = Workload::with_classes(config, &taxonomy);
    let mut lines = Vec::new();
    while let Some((ts_ms, command)) = workload.next() {
        let line = encode_command(workload.symbols(), ts_ms, &command);
        if lines.len() % 500 == 7 {
            lines.push(format!(
                r#"{{"ts":{ts_ms},"op":"reference","class":"gpu-a100","price":"1"}}"#
            ));
            lines.push(line.replace(r#""class":""#, r#""class":"no-such-"#));
            lines.push("not json".into());
        }
        lines.push(line);
    }
    lines
}

fn priced(model: Option<&str>) -> PricedEngine {
    let model = model.map(|name| model_by_name(name, &PricingConfig::default()).expect("known"));
    let options = PricedOptions { book_interval_ms: 50, ..PricedOptions::default() };
    PricedEngine::new(EngineConfig::default(), Taxonomy::default_taxonomy(), model, options)
}

/// Event lines of a step, by type, as the codec wrote them.
fn written_types(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("an event line");
            value["type"].as_str().expect("a type").to_string()
        })
        .collect()
}

fn event_type(event: &Event) -> &'static str {
    match event {
        Event::Accepted { .. } => "accepted",
        Event::Rejected { .. } => "rejected",
        Event::Deal(_) => "deal",
        Event::Cancelled { .. } => "cancelled",
        Event::Expired { .. } => "expired",
        Event::Reference { .. } => "reference",
    }
}

#[test]
fn a_step_returns_every_event_the_codec_writes_for_its_line() {
    let lines = market_lines();
    for model in MODEL_NAMES {
        let mut codec = LineReplay::new(priced(Some(model)));
        let mut out = Vec::new();
        let mut repricing_deals = 0;
        for (at, line) in lines.iter().enumerate() {
            out.clear();
            codec.line(at as u64 + 1, line.as_bytes(), &mut out);
            // An undecodable line never reaches the engine: no step is taken.
            if Decoder::new().decode(line.as_bytes()).is_err() {
                continue;
            }
            let (written, events) = (written_types(&out), codec.priced().events());
            let stepped: Vec<&str> = events.iter().map(event_type).collect();
            assert_eq!(stepped, written, "{model}, line {}: {line}", at + 1);
            let first_reference = events.iter().position(|e| matches!(e, Event::Reference { .. }));
            repricing_deals += first_reference.map_or(0, |from| {
                events[from..].iter().filter(|e| matches!(e, Event::Deal(_))).count()
            });
        }
        assert!(codec.stats().deals > 100, "{model}: the market trades");
        assert!(codec.stats().rejected_total() >= 10, "{model}: the hostile lines are refused");
        eprintln!("{model}: {repricing_deals} deals caused by re-pricing");
        assert!(repricing_deals > 0, "{model}: re-pricing deals are part of the step");
    }
}

#[test]
fn without_a_model_the_codec_writes_the_unpriced_replays_bytes() {
    let lines = market_lines();
    let mut codec = LineReplay::new(priced(None));
    let mut plain = Replay::new(EngineConfig::default());
    let (mut out_codec, mut out_plain) = (Vec::new(), Vec::new());
    for (at, line) in lines.iter().enumerate() {
        codec.line(at as u64 + 1, line.as_bytes(), &mut out_codec);
        plain.line(at as u64 + 1, line.as_bytes(), &mut out_plain);
    }
    assert!(out_codec == out_plain, "the two unpriced drivers wrote different events");
    assert_eq!(codec.stats(), plain.stats());
    assert!(plain.stats().deals > 100 && plain.stats().rejected_total() > 0);
}
