//! Reports worth publishing (issue 10, item 5): one price panel per unit, ratios on [0, 1],
//! a summary in words at the top, money rounded for reading, model names on sweep charts.

// Helpers outside #[test] functions unwrap too: a failure here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use gridbook_simulations::report::chart::{Chart, YScale};
use gridbook_simulations::report::figures::{run_figures, sweep_figure};
use gridbook_simulations::{run_into, Silent};

#[test]
fn gpu_hour_and_core_hour_prices_never_share_an_axis_and_ratios_run_from_zero_to_one() {
    let run = common::run_toml(&common::market("markup", "truthful", 4, 40, 4, "ewma"), 1);
    let figures = run_figures(&run.output);
    let stems: Vec<&str> = figures.iter().map(|f| f.stem.as_str()).collect();
    assert!(stems.contains(&"price-gpu-hour") && stems.contains(&"price-core-hour"), "{stems:?}");
    for figure in figures.iter().filter(|f| f.stem.starts_with("price-")) {
        let Chart::Lines(lines) = &figure.chart else { panic!("lines") };
        let gpu = figure.stem == "price-gpu-hour";
        assert!(
            lines.iter().all(|l| l.name.starts_with("gpu.") == gpu),
            "{}: {lines:?}",
            figure.stem
        );
    }
    for stem in ["fill", "utilisation"] {
        let figure = figures.iter().find(|f| f.stem == stem).unwrap();
        assert_eq!(figure.y_scale, YScale::Ratio, "{stem}");
        let Chart::Lines(lines) = &figure.chart else { panic!("lines") };
        assert!(lines.iter().flat_map(|l| &l.points).all(|p| (0.0..=1.0).contains(&p.1)), "{stem}");
    }
}

#[test]
fn the_report_opens_with_a_summary_in_words_and_rounds_money_for_reading() {
    let toml = common::market("markup", "truthful", 4, 40, 4, "ewma");
    let dir = std::env::temp_dir().join(format!("gridbook-report-{}", std::process::id()));
    let run = run_into(&dir, &common::scenario(&toml), &toml, "t", 1, &mut Silent).unwrap();
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let summary = page.find("<h2>Summary</h2>").unwrap();
    assert!(summary < page.find("<table").unwrap(), "the summary comes first");
    assert!(
        page[summary..].contains("jobs arrived")
            && page.contains("of the slots they asked for were leased")
    );
    // Exact to the nano in metrics.json, to the cent on the page.
    let paid = run.metrics.money.requester_payments;
    let cents = (paid.nano() + 5_000_000) / 10_000_000;
    assert!(page.contains(&format!(".{:02}</td>", cents % 100)));
    assert!(!page.contains(&format!("<td>{paid}</td>")) || paid.nano().is_multiple_of(10_000_000));
}

#[test]
fn sweep_charts_name_their_cells_by_value() {
    let figure = sweep_figure(
        "fill-rate",
        "Fill rate",
        "ratio",
        &["vwap".into(), "ewma".into()],
        &[(0.9, 0.01), (0.95, 0.02)],
    );
    let Chart::Bars(bars) = &figure.chart else { panic!("bars") };
    assert_eq!(bars.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(), ["vwap", "ewma"]);
    let svg = gridbook_simulations::report::chart::svg(&figure).unwrap();
    assert!(svg.contains("vwap") && svg.contains("ewma"), "labels drawn");
}
