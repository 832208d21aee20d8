//! The distributions a scenario draws from: [`Dist`] for times and percentages (floating
//! point, then rounded to whole milliseconds or kept as a statistic), [`MoneyRange`] for money
//! (uniform over integer nano-units, never a float) and [`SlotsRange`] for quantities.
//!
//! Each type checks itself while it is deserialised, so an impossible distribution is reported
//! by `toml` with the position of its value, which becomes the key and line of the error.

use gridbook_matcher::money::parse_price_nano;
use rand::Rng;
use serde::Deserialize;

/// The shape of a [`Dist`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DistKind {
    /// Always `value`.
    Fixed,
    /// Uniform on `[min, max]`.
    Uniform,
    /// Exponential with `mean`.
    Exponential,
    /// Log-normal with `median` and `sigma` (of the underlying normal).
    Lognormal,
}

/// A checked, non-negative distribution: `{ dist = "uniform", min = 30, max = 240 }`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "DistText")]
pub struct Dist {
    /// The shape.
    pub kind: DistKind,
    /// First parameter: `value`, `min`, `mean` or `median`.
    pub a: f64,
    /// Second parameter: `max` or `sigma` (0 otherwise).
    pub b: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistText {
    dist: DistKind,
    value: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    mean: Option<f64>,
    median: Option<f64>,
    sigma: Option<f64>,
}

fn need(value: Option<f64>, dist: &str, key: &str) -> Result<f64, String> {
    let value = value.ok_or_else(|| format!("a {dist} distribution needs `{key}`"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{key}` must be a finite number >= 0, not {value}"));
    }
    Ok(value)
}

impl TryFrom<DistText> for Dist {
    type Error = String;

    fn try_from(text: DistText) -> Result<Dist, String> {
        let (a, b) = match text.dist {
            DistKind::Fixed => (need(text.value, "fixed", "value")?, 0.0),
            DistKind::Uniform => {
                let (min, max) =
                    (need(text.min, "uniform", "min")?, need(text.max, "uniform", "max")?);
                if min > max {
                    return Err(format!("impossible distribution: min {min} > max {max}"));
                }
                (min, max)
            }
            DistKind::Exponential => {
                let mean = need(text.mean, "exponential", "mean")?;
                if mean <= 0.0 {
                    return Err("impossible distribution: `mean` must be > 0".into());
                }
                (mean, 0.0)
            }
            DistKind::Lognormal => {
                let median = need(text.median, "lognormal", "median")?;
                let sigma = need(text.sigma, "lognormal", "sigma")?;
                if median <= 0.0 || sigma > 10.0 {
                    return Err("impossible distribution: needs median > 0, sigma <= 10".into());
                }
                (median, sigma)
            }
        };
        Ok(Dist { kind: text.dist, a, b })
    }
}

impl Dist {
    /// A fixed value.
    pub fn fixed(value: f64) -> Dist {
        Dist { kind: DistKind::Fixed, a: value, b: 0.0 }
    }

    /// One draw (≥ 0).
    pub fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        match self.kind {
            DistKind::Fixed => self.a,
            DistKind::Uniform if self.a == self.b => self.a,
            DistKind::Uniform => rng.random_range(self.a..=self.b),
            DistKind::Exponential => exponential(rng, self.a),
            DistKind::Lognormal => self.a * (self.b * standard_normal(rng)).exp(),
        }
    }

    /// The largest value a draw can take, or `None` when unbounded.
    pub fn max(&self) -> Option<f64> {
        match self.kind {
            DistKind::Fixed => Some(self.a),
            DistKind::Uniform => Some(self.b),
            DistKind::Exponential | DistKind::Lognormal => None,
        }
    }
}

/// An exponential draw with `mean` (inverse transform; `1 − u` keeps the log finite).
pub(crate) fn exponential<R: Rng>(rng: &mut R, mean: f64) -> f64 {
    let u: f64 = rng.random();
    -(1.0 - u).ln() * mean
}

/// A standard normal draw (Box–Muller).
fn standard_normal<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Money drawn uniformly over whole nano-units: `{ min = "1.00", max = "1.40" }` per slot-hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "MoneyText")]
pub struct MoneyRange {
    /// Smallest amount, nano-units.
    pub min_nano: u64,
    /// Largest amount, nano-units.
    pub max_nano: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyText {
    min: String,
    max: String,
}

impl TryFrom<MoneyText> for MoneyRange {
    type Error = String;

    fn try_from(text: MoneyText) -> Result<MoneyRange, String> {
        let parse = |key: &str, value: &str| {
            parse_price_nano(value).map_err(|error| format!("`{key}` = \"{value}\": {error}"))
        };
        let (min_nano, max_nano) = (parse("min", &text.min)?, parse("max", &text.max)?);
        if min_nano > max_nano {
            return Err(format!("impossible range: min {} > max {}", text.min, text.max));
        }
        Ok(MoneyRange { min_nano, max_nano })
    }
}

impl MoneyRange {
    /// One draw, nano-units.
    pub fn sample<R: Rng>(&self, rng: &mut R) -> u64 {
        rng.random_range(self.min_nano..=self.max_nano)
    }
}

/// Slots per job: `{ min = 1, max = 4 }`, uniform (default exactly 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SlotsText")]
pub struct SlotsRange {
    /// Fewest slots.
    pub min: u64,
    /// Most slots.
    pub max: u64,
}

impl Default for SlotsRange {
    fn default() -> SlotsRange {
        SlotsRange { min: 1, max: 1 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotsText {
    min: u64,
    max: u64,
}

impl TryFrom<SlotsText> for SlotsRange {
    type Error = String;

    fn try_from(text: SlotsText) -> Result<SlotsRange, String> {
        if text.min == 0 || text.min > text.max || text.max > 1_000_000 {
            return Err(format!(
                "impossible range: needs 1 <= min <= max <= 1000000, got {}..{}",
                text.min, text.max
            ));
        }
        Ok(SlotsRange { min: text.min, max: text.max })
    }
}

impl SlotsRange {
    /// One draw.
    pub fn sample<R: Rng>(&self, rng: &mut R) -> u64 {
        rng.random_range(self.min..=self.max)
    }
}
