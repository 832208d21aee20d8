//! Which charts a run and a sweep get, built from their series: price per class over time,
//! supply and demand depth, fill rate, utilisation; efficiency by sweep cell.

use super::chart::{Chart, Figure, Line};
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

fn per_class(run: &RunOutput, f: impl Fn(u32, usize, &[&SeriesRow]) -> Vec<Line>) -> Vec<Line> {
    classes(&run.series)
        .into_iter()
        .enumerate()
        .flat_map(|(colour, class)| {
            let rows: Vec<&SeriesRow> = run.series.iter().filter(|r| r.class == class).collect();
            f(class, colour, &rows)
        })
        .collect()
}

fn name(run: &RunOutput, class: u32) -> String {
    run.class_names[class as usize].clone()
}

fn points(rows: &[&SeriesRow], y: impl Fn(&SeriesRow) -> Option<f64>) -> Vec<(f64, f64)> {
    rows.iter().filter_map(|r| y(r).map(|v| (r.ts_ms as f64 / HOUR_MS, v))).collect()
}

/// The four charts of a run.
pub fn run_figures(run: &RunOutput) -> Vec<Figure> {
    let tokens = |nano: u64| nano as f64 / 1e9;
    let price = per_class(run, |class, colour, rows| {
        let deal = points(rows, |r| r.vwap_nano.map(tokens));
        let reference = points(rows, |r| r.reference_nano.map(tokens));
        vec![
            Line {
                name: format!("{} deals (vwap)", name(run, class)),
                points: deal,
                dashed: false,
                colour,
            },
            Line {
                name: format!("{} reference", name(run, class)),
                points: reference,
                dashed: true,
                colour,
            },
        ]
    });
    let depth = per_class(run, |class, colour, rows| {
        vec![
            Line {
                name: format!("{} supply", name(run, class)),
                points: points(rows, |r| Some(r.supply_slots as f64)),
                dashed: false,
                colour,
            },
            Line {
                name: format!("{} demand", name(run, class)),
                points: points(rows, |r| Some(r.demand_slots as f64)),
                dashed: true,
                colour,
            },
        ]
    });
    let utilisation = per_class(run, |class, colour, rows| {
        let busy = points(rows, |r| Some(r.busy_slots as f64 / r.total_slots.max(1) as f64));
        vec![Line { name: name(run, class), points: busy, dashed: false, colour }]
    });
    let fill: Vec<(f64, f64)> = run
        .fill_series
        .iter()
        .filter(|(_, requested, _)| *requested > 0)
        .map(|&(ts, requested, filled)| (ts as f64 / HOUR_MS, filled as f64 / requested as f64))
        .collect();
    let fill = vec![Line {
        name: "slots leased / slots requested".into(),
        points: fill,
        dashed: false,
        colour: 0,
    }];
    vec![
        figure(
            "price",
            "Deal and reference price per class unit",
            "token per unit-hour",
            Chart::Lines(price),
        ),
        figure("depth", "Resting supply and demand", "slots", Chart::Lines(depth)),
        figure("fill", "Fill rate per interval", "leased / requested", Chart::Lines(fill)),
        figure(
            "utilisation",
            "Utilisation per class",
            "leased / all slots",
            Chart::Lines(utilisation),
        ),
    ]
}

fn figure(stem: &str, title: &str, y_label: &str, chart: Chart) -> Figure {
    Figure {
        stem: stem.into(),
        title: title.into(),
        x_label: "simulated hours".into(),
        y_label: y_label.into(),
        chart,
    }
}

/// The sweep's chart: mean efficiency per cell with its 95 % interval.
pub fn sweep_figure(labels: Vec<String>, efficiency: &[(f64, f64)]) -> Figure {
    let bars = labels
        .into_iter()
        .zip(efficiency)
        .map(|(label, &(mean, half))| (label, mean, mean - half, mean + half))
        .collect();
    Figure {
        stem: "efficiency".into(),
        title: "Allocative efficiency by sweep cell (mean, 95 % interval)".into(),
        x_label: "cell".into(),
        y_label: "realised / bound".into(),
        chart: Chart::Bars(bars),
    }
}
