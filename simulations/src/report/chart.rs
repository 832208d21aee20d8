//! Charts with plotters, each drawn twice from one description: SVG (text left to the
//! browser) and PNG (text drawn with the DejaVu Sans font shipped in `simulations/fonts/`, so
//! no system font is needed). Drawing is deterministic: same data, same bytes.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::SimError;

const SIZE: (u32, u32) = (900, 420);
static FONT: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Line {
    /// Legend text.
    pub name: String,
    /// (x, y) points, x increasing.
    pub points: Vec<(f64, f64)>,
    /// Dashed (a reference, a demand curve) or solid.
    pub dashed: bool,
    /// Colour index (lines of one class share it).
    pub colour: usize,
}

/// What a chart shows.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Lines over x.
    Lines(Vec<Line>),
    /// One bar per label with a [low, high] whisker.
    Bars(Vec<(String, f64, f64, f64)>),
}

/// A chart with its titles.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File stem (`price` → price.svg, price.png).
    pub stem: String,
    /// Caption.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// The data.
    pub chart: Chart,
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) =
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo.min(0.0).max(lo - pad), hi + pad)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, figure: &Figure) -> Result<(), String> {
    // Both backends lay text out with the registered font (the SVG one to measure it).
    REGISTER.call_once(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| "the compiled-in font does not parse")
            .expect("DejaVu Sans is shipped with the crate");
    });
    let e = |error: DrawingAreaErrorKind<DB::ErrorType>| error.to_string();
    root.fill(&WHITE).map_err(e)?;
    match &figure.chart {
        Chart::Lines(lines) => {
            let (x0, x1) = range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)));
            let (y0, y1) = range(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
            let mut chart = ChartBuilder::on(root)
                .caption(&figure.title, ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(e)?;
            chart
                .configure_mesh()
                .x_desc(&figure.x_label)
                .y_desc(&figure.y_label)
                .draw()
                .map_err(e)?;
            for line in lines {
                let colour = Palette99::pick(line.colour).to_rgba();
                let style = ShapeStyle::from(&colour).stroke_width(2);
                let points = line.points.iter().copied();
                let drawn = if line.dashed {
                    chart.draw_series(DashedLineSeries::new(points, 6, 4, style)).map_err(e)?
                } else {
                    chart.draw_series(LineSeries::new(points, style)).map_err(e)?
                };
                // The legend's swatch is dashed like its line, so reference and deals differ.
                let dashed = line.dashed;
                drawn.label(&line.name).legend(move |(x, y)| {
                    let swatch = [(x, y), (x + 18, y)];
                    let style = ShapeStyle::from(&colour).stroke_width(2);
                    if dashed {
                        DashedPathElement::new(swatch, 5, 3, style).into_dyn()
                    } else {
                        PathElement::new(swatch, style).into_dyn()
                    }
                });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(e)?;
        }
        Chart::Bars(bars) => {
            let (_, y1) = range(bars.iter().map(|b| b.3.max(b.1)));
            let n = bars.len().max(1) as f64;
            let mut chart = ChartBuilder::on(root)
                .caption(&figure.title, ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(-0.5..n - 0.5, 0.0..y1)
                .map_err(e)?;
            let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
            chart
                .configure_mesh()
                .x_labels(bars.len().max(1))
                .x_label_formatter(&|x| {
                    labels.get(x.round().max(0.0) as usize).cloned().unwrap_or_default()
                })
                .x_desc(&figure.x_label)
                .y_desc(&figure.y_label)
                .draw()
                .map_err(e)?;
            for (at, (_, mean, low, high)) in bars.iter().enumerate() {
                let x = at as f64;
                let colour = Palette99::pick(at).to_rgba();
                chart
                    .draw_series([Rectangle::new(
                        [(x - 0.3, 0.0), (x + 0.3, *mean)],
                        colour.filled(),
                    )])
                    .map_err(e)?;
                let whisker = [(x, *low), (x, *high)];
                chart.draw_series([PathElement::new(whisker, BLACK.stroke_width(2))]).map_err(e)?;
            }
        }
    }
    root.present().map_err(e)
}

/// The figure as SVG text.
pub fn svg(figure: &Figure) -> Result<String, SimError> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        draw(&root, figure)
            .map_err(|error| SimError::Setup(format!("chart {}: {error}", figure.stem)))?;
    }
    Ok(text)
}

/// Writes the figure as PNG at `path`.
pub fn png(figure: &Figure, path: &Path) -> Result<(), SimError> {
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    draw(&root, figure)
        .map_err(|error| SimError::Setup(format!("chart {}: {error}", path.display())))
}
