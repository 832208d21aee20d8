//! Which charts a run and a sweep get, built from their series: one price panel per unit
//! (GPU-hour and core-hour prices never share an axis), supply and demand depth, fill rate,
//! utilisation (beside the trace's own in a trace replay); per sweep cell, efficiency, fill
//! rate and deadline-miss rate.

use super::chart::{Bar, Chart, Figure, Line, YScale};
use crate::metrics::series::SeriesRow;
use crate::sim::RunOutput;

const HOUR_MS: f64 = 3_600_000.0;
/// Most points a line draws: longer runs draw means over consecutive intervals.
const POINTS_MAX: usize = 240;

/// Means over `k` consecutive points, each at the end of its window.
fn smooth(points: Vec<(f64, f64)>, k: usize) -> Vec<(f64, f64)> {
    if k <= 1 {
        return points;
    }
    points
        .chunks(k)
        .map(|chunk| {
            let mean = chunk.iter().map(|p| p.1).sum::<f64>() / chunk.len() as f64;
            (chunk[chunk.len() - 1].0, mean)
        })
        .collect()
}

/// How many intervals each drawn point of `run` averages.
fn window(run: &RunOutput) -> usize {
    run.fill_series.len().div_ceil(POINTS_MAX).max(1)
}

/// " (means over 3 intervals)" when `k` > 1.
fn window_words(k: usize) -> String {
    if k > 1 {
        format!(" (means over {k} intervals)")
    } else {
        String::new()
    }
}

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
    let k = rows.len().div_ceil(POINTS_MAX).max(1);
    smooth(rows.iter().filter_map(|r| y(r).map(|v| (r.ts_ms as f64 / HOUR_MS, v))).collect(), k)
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
                    "Price per {words}: deals (volume-weighted, solid) and reference (dashed){}",
                    window_words(window(run))
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
        let supply = points(rows, |r| Some(r.supply_slots as f64));
        let demand = points(rows, |r| Some(r.demand_slots as f64));
        vec![
            line(format!("{name} supply"), supply, false, colour),
            line(format!("{name} demand"), demand, true, colour),
        ]
    });
    let utilisation = per_class(run, all, |name, colour, rows| {
        vec![line(name.to_string(), points(rows, |r| Some(r.utilisation())), false, colour)]
    });
    let fill: Vec<(f64, f64)> = run
        .fill_series
        .iter()
        .filter(|(_, requested, _)| *requested > 0)
        .map(|&(ts, requested, filled)| {
            (ts as f64 / HOUR_MS, (filled as f64 / requested as f64).min(1.0))
        })
        .collect();
    let fill = vec![line("slots leased ÷ requested".into(), smooth(fill, window(run)), false, 0)];
    let words = window_words(window(run));
    let mut figures = price_figures(run);
    figures.extend([
        figure(
            "depth",
            &format!("Resting supply (solid) and demand (dashed){words}"),
            "slots",
            YScale::FromZero,
            Chart::Lines(depth),
        ),
        figure(
            "fill",
            &format!("Fill rate: slots leased ÷ slots requested per interval, at most 1{words}"),
            "leased ÷ requested",
            YScale::Ratio,
            Chart::Lines(fill),
        ),
        figure(
            "utilisation",
            &format!("Utilisation per class: slots leased ÷ all slots{words}"),
            "share of slots",
            YScale::Ratio,
            Chart::Lines(utilisation),
        ),
    ]);
    if run.series.iter().any(|r| r.trace_busy_milli.is_some()) {
        figures.push(trace_figure(run));
    }
    figures
}

/// In a trace replay: per unit (all GPU classes, all CPU classes), the share of slots the
/// market leased (solid) beside the share the trace's own pods occupied (dashed).
fn trace_figure(run: &RunOutput) -> Figure {
    let mut units: Vec<&str> =
        run.series.iter().map(|r| run.class_units[r.class as usize]).collect();
    units.sort_unstable();
    units.dedup();
    let mut lines = Vec::new();
    for (colour, unit) in units.into_iter().enumerate() {
        let rows: Vec<&SeriesRow> =
            run.series.iter().filter(|r| run.class_units[r.class as usize] == unit).collect();
        let share = |used: &dyn Fn(&SeriesRow) -> f64| -> Vec<(f64, f64)> {
            let mut points: Vec<(f64, f64)> = Vec::new();
            let mut at = 0;
            while at < rows.len() {
                let ts = rows[at].ts_ms;
                let (mut total, mut busy) = (0.0, 0.0);
                while at < rows.len() && rows[at].ts_ms == ts {
                    total += rows[at].total_slots as f64;
                    busy += used(rows[at]) * rows[at].total_slots as f64;
                    at += 1;
                }
                points.push((ts as f64 / HOUR_MS, busy / f64::max(total, 1.0)));
            }
            smooth(points, window(run))
        };
        let words = unit_words(unit).replace("-hour", "");
        let market = share(&|r| r.utilisation());
        let trace = share(&|r| r.trace_utilisation().unwrap_or(0.0));
        lines.push(line(format!("{words} slots, market"), market, false, colour));
        lines.push(line(format!("{words} slots, trace"), trace, true, colour));
    }
    let title = format!(
        "Share of slots in use: the market (solid) and the trace's own pods (dashed){}",
        window_words(window(run))
    );
    figure("utilisation-vs-trace", &title, "share of slots", YScale::Ratio, Chart::Lines(lines))
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
