//! Which charts a run and a sweep get, built from their series: one price panel per unit
//! (GPU-hour and core-hour prices never share an axis), supply and demand depth, fill rate,
//! utilisation (beside the trace's own in a trace replay); per sweep cell, efficiency, fill
//! rate and deadline-miss rate.

use super::chart::{Bar, Chart, Figure, Line, YScale};
use crate::metrics::series::SeriesRow;
use crate::sim::RunOutput;

const HOUR_MS: f64 = 3_600_000.0;

/// Classes present in the series, in class order.
fn classes(rows: &[SeriesRow]) -> Vec<u32> {
    let mut classes: Vec<u32> = rows.iter().map(|r| r.class).collect();
    classes.sort_unstable();
    classes.dedup();
    classes
}

/// Lines per class (each class keeps its colour on every chart), for the classes `keep` takes.
fn per_class(
    run: &RunOutput,
    keep: impl Fn(u32) -> bool,
    f: impl Fn(&str, usize, &[&SeriesRow]) -> Vec<Line>,
) -> Vec<Line> {
    classes(&run.series)
        .into_iter()
        .enumerate()
        .filter(|&(_, class)| keep(class))
        .flat_map(|(colour, class)| {
            let rows: Vec<&SeriesRow> = run.series.iter().filter(|r| r.class == class).collect();
            f(&run.class_names[class as usize], colour, &rows)
        })
        .collect()
}

fn points(rows: &[&SeriesRow], y: impl Fn(&SeriesRow) -> Option<f64>) -> Vec<(f64, f64)> {
    rows.iter().filter_map(|r| y(r).map(|v| (r.ts_ms as f64 / HOUR_MS, v))).collect()
}

fn line(name: String, points: Vec<(f64, f64)>, dashed: bool, colour: usize) -> Line {
    Line { name, points, dashed, colour }
}

/// "GPU-hour" for `gpu-hour`.
fn unit_words(unit: &str) -> String {
    let (kind, per) = unit.split_once('-').unwrap_or((unit, "hour"));
    let kind = if kind == "gpu" { "GPU".to_string() } else { kind.to_string() };
    format!("{kind}-{per}")
}

/// One price chart per unit the classes are priced in.
fn price_figures(run: &RunOutput) -> Vec<Figure> {
    let tokens = |nano: u64| nano as f64 / 1e9;
    let mut units: Vec<&str> =
        classes(&run.series).iter().map(|&c| run.class_units[c as usize]).collect();
    units.dedup();
    units.sort_unstable();
    units.dedup();
    units
        .into_iter()
        .map(|unit| {
            let lines = per_class(
                run,
                |c| run.class_units[c as usize] == unit,
                |name, colour, rows| {
                    vec![
                        line(
                            format!("{name} deals"),
                            points(rows, |r| r.vwap_nano.map(tokens)),
                            false,
                            colour,
                        ),
                        line(
                            format!("{name} reference"),
                            points(rows, |r| r.reference_nano.map(tokens)),
                            true,
                            colour,
                        ),
                    ]
                },
            );
            let words = unit_words(unit);
            figure(
                &format!("price-{unit}"),
                &format!(
                    "Price per {words}: deals (volume-weighted, solid) and reference (dashed)"
                ),
                &format!("tokens per {words}"),
                YScale::FromZero,
                Chart::Lines(lines),
            )
        })
        .collect()
}

/// The charts of a run.
pub fn run_figures(run: &RunOutput) -> Vec<Figure> {
    let all = |_| true;
    let depth = per_class(run, all, |name, colour, rows| {
        vec![
            line(
                format!("{name} supply"),
                points(rows, |r| Some(r.supply_slots as f64)),
                false,
                colour,
            ),
            line(
                format!("{name} demand"),
                points(rows, |r| Some(r.demand_slots as f64)),
                true,
                colour,
            ),
        ]
    });
    let utilisation = per_class(run, all, |name, colour, rows| {
        let mut lines =
            vec![line(name.to_string(), points(rows, |r| Some(r.utilisation())), false, colour)];
        let trace = points(rows, SeriesRow::trace_utilisation);
        if !trace.is_empty() {
            lines.push(line(format!("{name} trace"), trace, true, colour));
        }
        lines
    });
    let fill: Vec<(f64, f64)> = run
        .fill_series
        .iter()
        .filter(|(_, requested, _)| *requested > 0)
        .map(|&(ts, requested, filled)| {
            (ts as f64 / HOUR_MS, (filled as f64 / requested as f64).min(1.0))
        })
        .collect();
    let fill = vec![line("slots leased ÷ requested".into(), fill, false, 0)];
    let traced = run.series.iter().any(|r| r.trace_busy_milli.is_some());
    let utilisation_title = if traced {
        "Utilisation per class: market (solid) and the trace's own pods (dashed)"
    } else {
        "Utilisation per class: slots leased ÷ all slots"
    };
    let mut figures = price_figures(run);
    figures.extend([
        figure(
            "depth",
            "Resting supply (solid) and demand (dashed)",
            "slots",
            YScale::FromZero,
            Chart::Lines(depth),
        ),
        figure(
            "fill",
            "Fill rate per interval: slots leased ÷ slots requested (at most 1)",
            "leased ÷ requested",
            YScale::Ratio,
            Chart::Lines(fill),
        ),
        figure(
            "utilisation",
            utilisation_title,
            "share of slots",
            YScale::Ratio,
            Chart::Lines(utilisation),
        ),
    ]);
    figures
}

fn figure(stem: &str, title: &str, y_label: &str, y_scale: YScale, chart: Chart) -> Figure {
    Figure {
        stem: stem.into(),
        title: title.into(),
        x_label: "simulated hours".into(),
        y_label: y_label.into(),
        y_scale,
        chart,
    }
}

/// A sweep's chart of one figure: its mean per cell with the 95 % interval, cells labelled
/// by their values (`vwap`, `ewma`, ...), not their numbers.
pub fn sweep_figure(
    stem: &str,
    title: &str,
    y_label: &str,
    labels: &[String],
    stats: &[(f64, f64)],
) -> Figure {
    let bars = labels
        .iter()
        .zip(stats)
        .map(|(label, &(mean, half))| Bar {
            label: label.clone(),
            mean,
            low: mean - half,
            high: mean + half,
        })
        .collect();
    Figure {
        stem: stem.into(),
        title: format!("{title} (mean and 95 % interval over replications)"),
        x_label: String::new(),
        y_label: y_label.into(),
        y_scale: YScale::Ratio,
        chart: Chart::Bars(bars),
    }
}
