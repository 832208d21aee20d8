//! Charts with plotters, each drawn twice from one description: SVG (text left to the
//! browser) and PNG (text drawn with the DejaVu Sans font shipped in `simulations/fonts/`, so
//! no system font is needed). Drawing is deterministic: same data, same bytes.
//!
//! Made to be printed: the legend sits outside the plot, to its right; colours are the
//! Okabe–Ito palette (told apart with colour blindness and in greyscale, with dashes for the
//! second line of a class); hours are whole numbers; ratios run from 0 to 1; bars and their
//! whiskers always fit the axis.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::SimError;

const SIZE: (u32, u32) = (960, 440);
/// Width of the legend column, right of the plot.
const LEGEND_WIDTH: u32 = 250;
static FONT: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Okabe & Ito's colour-blind-safe palette, without its yellow (too light on paper).
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(0, 0, 0),
];

fn colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Line {
    /// Legend text.
    pub name: String,
    /// (x, y) points, x increasing.
    pub points: Vec<(f64, f64)>,
    /// Dashed (a reference, a demand curve, the trace) or solid.
    pub dashed: bool,
    /// Colour index (lines of one class share it).
    pub colour: usize,
}

/// One bar with its [low, high] whisker.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Label under the bar.
    pub label: String,
    /// Height.
    pub mean: f64,
    /// Whisker's bottom.
    pub low: f64,
    /// Whisker's top.
    pub high: f64,
}

/// What a chart shows.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Lines over x (hours).
    Lines(Vec<Line>),
    /// One bar per label.
    Bars(Vec<Bar>),
}

/// How the y axis is scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YScale {
    /// From 0 to a round number above the data.
    FromZero,
    /// A ratio: exactly 0 to 1.
    Ratio,
}

/// A chart with its titles.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File stem (`fill` → fill.svg, fill.png).
    pub stem: String,
    /// Caption.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// The y axis.
    pub y_scale: YScale,
    /// The data.
    pub chart: Chart,
}

/// The smallest of 1, 2, 5 × 10^k at least `span / ticks`.
fn nice_step(span: f64, ticks: f64) -> f64 {
    let raw = (span / ticks).max(1e-12);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|&s| s >= raw).unwrap_or(10.0 * power)
}

/// Whole-hour ticks: a step of 1, 2, 3, 6, 12 or 24 hours, or whole days beyond.
fn hour_step(span_h: f64) -> f64 {
    let steps = [1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0, 72.0, 168.0, 336.0, 720.0];
    steps.into_iter().find(|&s| span_h / s <= 12.0).unwrap_or_else(|| nice_step(span_h, 10.0))
}

fn ticks(high: f64, step: f64) -> Vec<f64> {
    let count = (high / step).floor() as usize;
    (0..=count).map(|k| k as f64 * step).collect()
}

/// The y axis's top and its ticks.
fn y_axis(scale: YScale, highest: f64) -> (f64, Vec<f64>) {
    match scale {
        YScale::Ratio if highest <= 1.0 => (1.0, ticks(1.0, 0.2)),
        _ => {
            let step = nice_step(highest.max(1e-9), 6.0);
            let top = ((highest / step).floor() + 1.0) * step;
            (top, ticks(top, step))
        }
    }
}

/// Decimals that show `step` exactly (0 for whole steps).
fn decimals(step: f64) -> usize {
    if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil().max(0.0) as usize
    }
}

/// A linear axis over `[low, high]` whose ticks are exactly `ticks` (whole hours, round
/// numbers), where plotters' own f64 axis would pick its own.
#[derive(Debug, Clone)]
struct Axis {
    low: f64,
    high: f64,
    ticks: Vec<f64>,
}

impl plotters::coord::ranged1d::Ranged for Axis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let share = (value - self.low) / (self.high - self.low).max(f64::MIN_POSITIVE);
        limit.0 + (share * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.low..self.high
    }
}

fn axis(low: f64, high: f64, ticks: Vec<f64>) -> Axis {
    Axis { low, high, ticks }
}

type Drawn = Result<(), String>;

/// How lines are drawn: SVG leaves joins to the browser; the bitmap backend draws a thick
/// polyline's joins as unbounded mitres (spikes far outside the plot where a series turns
/// sharply), so there each solid line is drawn as separate two-point segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Joins {
    Polyline,
    Segments,
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, figure: &Figure, joins: Joins) -> Drawn {
    // Both backends lay text out with the registered font (the SVG one to measure it).
    REGISTER.call_once(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| "the compiled-in font does not parse")
            .expect("DejaVu Sans is shipped with the crate");
    });
    let e = |error: DrawingAreaErrorKind<DB::ErrorType>| error.to_string();
    root.fill(&WHITE).map_err(e)?;
    let area = root.titled(&figure.title, ("sans-serif", 20)).map_err(e)?;
    match &figure.chart {
        Chart::Lines(lines) => draw_lines(&area, figure, lines, joins)?,
        Chart::Bars(bars) => draw_bars(&area, figure, bars)?,
    }
    root.present().map_err(e)
}

fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    figure: &Figure,
    lines: &[Line],
    joins: Joins,
) -> Drawn {
    let e = |error: DrawingAreaErrorKind<DB::ErrorType>| error.to_string();
    let (plot, legend) = area.split_horizontally(SIZE.0 - LEGEND_WIDTH);
    let x_high = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)).fold(1.0, f64::max);
    let y_high = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).fold(0.0, f64::max);
    let x_step = hour_step(x_high);
    let (y_top, y_ticks) = y_axis(figure.y_scale, y_high);
    let y_decimals = decimals(y_ticks.get(1).copied().unwrap_or(1.0));
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d(axis(0.0, x_high, ticks(x_high, x_step)), axis(0.0, y_top, y_ticks))
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(&figure.x_label)
        .y_desc(&figure.y_label)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.y_decimals$}"))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .map_err(e)?;
    for line in lines {
        let style = ShapeStyle::from(&colour(line.colour)).stroke_width(2);
        let points = line.points.iter().copied();
        if line.dashed {
            chart.draw_series(DashedLineSeries::new(points, 7, 4, style)).map_err(e)?;
        } else if joins == Joins::Segments {
            let segments =
                line.points.windows(2).map(|w| PathElement::new(vec![w[0], w[1]], style));
            chart.draw_series(segments).map_err(e)?;
        } else {
            chart.draw_series(LineSeries::new(points, style)).map_err(e)?;
        }
    }
    for (at, line) in lines.iter().enumerate() {
        let y = 40 + 22 * at as i32;
        let style = ShapeStyle::from(&colour(line.colour)).stroke_width(2);
        let swatch = [(8, y), (38, y)];
        if line.dashed {
            legend.draw(&DashedPathElement::new(swatch, 6, 4, style)).map_err(e)?;
        } else {
            legend.draw(&PathElement::new(swatch, style)).map_err(e)?;
        }
        let text = Text::new(line.name.clone(), (46, y - 8), ("sans-serif", 14).into_font());
        legend.draw(&text).map_err(e)?;
    }
    Ok(())
}

fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    figure: &Figure,
    bars: &[Bar],
) -> Drawn {
    let e = |error: DrawingAreaErrorKind<DB::ErrorType>| error.to_string();
    let highest =
        bars.iter().map(|b| b.high.max(b.mean)).filter(|v| v.is_finite()).fold(0.0, f64::max);
    let (y_top, y_ticks) = y_axis(figure.y_scale, highest);
    let y_decimals = decimals(y_ticks.get(1).copied().unwrap_or(1.0));
    let n = bars.len().max(1);
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d(
            axis(-0.5, n as f64 - 0.5, (0..n).map(|k| k as f64).collect()),
            axis(0.0, y_top, y_ticks),
        )
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| {
            labels.get(x.round().max(0.0) as usize).cloned().unwrap_or_default()
        })
        .y_label_formatter(&|y| format!("{y:.y_decimals$}"))
        .x_desc(&figure.x_label)
        .y_desc(&figure.y_label)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .bold_line_style(RGBColor(225, 225, 225))
        .draw()
        .map_err(e)?;
    for (at, bar) in bars.iter().enumerate() {
        let x = at as f64;
        let fill = colour(at).mix(0.85).filled();
        let mean = if bar.mean.is_finite() { bar.mean } else { 0.0 };
        chart.draw_series([Rectangle::new([(x - 0.3, 0.0), (x + 0.3, mean)], fill)]).map_err(e)?;
        if bar.low.is_finite() && bar.high.is_finite() {
            let whisker = [(x, bar.low.max(0.0)), (x, bar.high)];
            chart.draw_series([PathElement::new(whisker, BLACK.stroke_width(2))]).map_err(e)?;
        }
        let label =
            Text::new(format!("{mean:.3}"), (x + 0.1, mean), ("sans-serif", 13).into_font());
        chart.draw_series([label]).map_err(e)?;
    }
    Ok(())
}

/// The figure as SVG text.
pub fn svg(figure: &Figure) -> Result<String, SimError> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        draw(&root, figure, Joins::Polyline)
            .map_err(|error| SimError::Setup(format!("chart {}: {error}", figure.stem)))?;
    }
    Ok(text)
}

/// Writes the figure as PNG at `path`.
pub fn png(figure: &Figure, path: &Path) -> Result<(), SimError> {
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    draw(&root, figure, Joins::Segments)
        .map_err(|error| SimError::Setup(format!("chart {}: {error}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_tick_at_whole_hours_and_ratios_span_exactly_zero_to_one() {
        assert_eq!(hour_step(24.0), 2.0);
        assert_eq!(hour_step(730.0), 72.0);
        assert!(ticks(24.0, hour_step(24.0)).iter().all(|t| t.fract() == 0.0));
        let (top, ticks) = y_axis(YScale::Ratio, 0.97);
        assert_eq!((top, ticks.len(), ticks[0]), (1.0, 6, 0.0));
        // A bar's whisker above the data still fits under the top of the axis.
        let (top, _) = y_axis(YScale::FromZero, 2.31);
        assert!(top > 2.31);
    }
}
