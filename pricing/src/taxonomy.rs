//! Hardware classes: operator-defined groups of machine configurations that share one market
//! price, and the rule that puts every configuration in exactly one class (or none).
//!
//! A class is a name, a price unit and a predicate over the fields of
//! [`gridbook_matcher::Hardware`]. Classes come from a TOML file (format in docs/pricing.md and
//! [`file`]); [`Taxonomy::default_taxonomy`] embeds `classes/default.toml`.
//!
//! **Most specific class.** A configuration belongs to the class, among those whose predicate
//! it satisfies, with the highest *specificity*: the number of constrained fields of the
//! predicate. Each of these counts one when present: `gpu_models` (non-empty), `gpus_min`,
//! `gpus_max`, `gpu_mem_min_gib`, `cpu_min`, `cpu_max`, `mem_min_gib`, `mem_max_gib`,
//! `mem_per_cpu_min_gib`, `tee` (anything but `"any"`), `regions` (non-empty). **Ties go to the
//! class written earlier in the file.** A configuration no predicate accepts has no class
//! (`None`); a file that wants a catch-all writes a class with no constraint (specificity 0),
//! which every configuration satisfies and every other match beats.

mod file;

use gridbook_matcher::{Hardware, Symbols};
use thiserror::Error;

/// The default taxonomy, embedded at build time.
const DEFAULT_TOML: &str = include_str!("../classes/default.toml");

/// A class's index in its taxonomy (file order, from 0).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ClassId(pub u32);

impl ClassId {
    /// The index as a `usize`, for per-class vectors.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What one unit of a class's price is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// One slot (one machine) for one hour: prices are used as the orders give them.
    SlotHour,
    /// One GPU for one hour: a slot-hour price is divided by the machine's GPU count.
    GpuHour,
    /// One CPU core for one hour: a slot-hour price is divided by the machine's core count.
    CoreHour,
}

impl Unit {
    /// The name used in taxonomy files (`slot-hour`, `gpu-hour`, `core-hour`).
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::SlotHour => "slot-hour",
            Unit::GpuHour => "gpu-hour",
            Unit::CoreHour => "core-hour",
        }
    }

    /// How many units one slot of `hw` holds (at least 1, so division is always defined).
    pub fn units_per_slot(self, hw: &Hardware) -> u64 {
        let units = match self {
            Unit::SlotHour => 1,
            Unit::GpuHour => hw.gpus,
            Unit::CoreHour => hw.cpu,
        };
        u64::from(units.max(1))
    }
}

/// What a class says about the TEE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeeRule {
    /// No constraint.
    Any,
    /// The machine must have no TEE.
    None,
    /// The machine must have a TEE, of any kind.
    Some,
    /// The machine must have a TEE of this kind.
    Kind(String),
}

/// A predicate over hardware: every present bound must hold. Bounds are inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predicate {
    /// Accepted GPU model names; empty accepts any (including none).
    pub gpu_models: Vec<String>,
    /// Minimum GPU count.
    pub gpus_min: Option<u32>,
    /// Maximum GPU count (`0` means CPU-only).
    pub gpus_max: Option<u32>,
    /// Minimum memory per GPU, GiB.
    pub gpu_mem_min_gib: Option<u32>,
    /// Minimum cores.
    pub cpu_min: Option<u32>,
    /// Maximum cores.
    pub cpu_max: Option<u32>,
    /// Minimum memory, GiB.
    pub mem_min_gib: Option<u32>,
    /// Maximum memory, GiB.
    pub mem_max_gib: Option<u32>,
    /// Minimum memory per core, GiB (`mem_gib ≥ this × cpu`).
    pub mem_per_cpu_min_gib: Option<u32>,
    /// The TEE constraint.
    pub tee: TeeRule,
    /// Accepted region names; empty accepts any.
    pub regions: Vec<String>,
}

impl Predicate {
    /// The number of constrained fields: the class's specificity (see the module docs).
    pub fn specificity(&self) -> u32 {
        let bounds = [
            self.gpus_min,
            self.gpus_max,
            self.gpu_mem_min_gib,
            self.cpu_min,
            self.cpu_max,
            self.mem_min_gib,
            self.mem_max_gib,
            self.mem_per_cpu_min_gib,
        ];
        let present = bounds.iter().filter(|b| b.is_some()).count() as u32;
        present
            + u32::from(!self.gpu_models.is_empty())
            + u32::from(self.tee != TeeRule::Any)
            + u32::from(!self.regions.is_empty())
    }

    /// Whether `hw` satisfies every constraint; names are looked up in `symbols`.
    pub fn accepts(&self, hw: &Hardware, symbols: &Symbols) -> bool {
        let at_least = |bound: Option<u32>, value: u32| bound.is_none_or(|b| value >= b);
        let at_most = |bound: Option<u32>, value: u32| bound.is_none_or(|b| value <= b);
        let named = |list: &[String], sym| list.iter().any(|name| name == symbols.name(sym));
        let gpu_ok =
            self.gpu_models.is_empty() || hw.gpu.is_some_and(|g| named(&self.gpu_models, g));
        let tee_ok = match &self.tee {
            TeeRule::Any => true,
            TeeRule::None => hw.tee.is_none(),
            TeeRule::Some => hw.tee.is_some(),
            TeeRule::Kind(kind) => hw.tee.is_some_and(|t| symbols.name(t) == kind),
        };
        let per_cpu_ok = self
            .mem_per_cpu_min_gib
            .is_none_or(|m| u64::from(hw.mem_gib) >= u64::from(m) * u64::from(hw.cpu));
        gpu_ok
            && tee_ok
            && per_cpu_ok
            && at_least(self.gpus_min, hw.gpus)
            && at_most(self.gpus_max, hw.gpus)
            && at_least(self.gpu_mem_min_gib, hw.gpu_mem_gib)
            && at_least(self.cpu_min, hw.cpu)
            && at_most(self.cpu_max, hw.cpu)
            && at_least(self.mem_min_gib, hw.mem_gib)
            && at_most(self.mem_max_gib, hw.mem_gib)
            && (self.regions.is_empty() || named(&self.regions, hw.region))
    }
}

/// One hardware class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    /// Its name (`gpu.a100-80gb`), unique in the taxonomy.
    pub name: String,
    /// The unit its price is quoted in.
    pub unit: Unit,
    /// Which configurations it holds.
    pub predicate: Predicate,
}

/// Why a taxonomy file was refused. Every message names the key and its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TaxonomyError {
    /// Not TOML, an unknown key, a missing key or a value of the wrong type.
    #[error("taxonomy line {line}: `{key}`: {message}")]
    Syntax {
        /// The key (or table header) on the offending line.
        key: String,
        /// 1-based line; 0 when unknown.
        line: usize,
        /// What `toml` or the checks said.
        message: String,
    },
    /// A well-formed class that makes no sense (empty or duplicate name, min above max, ...).
    #[error("taxonomy line {line}: class #{entry} `{key}`: {message}")]
    Invalid {
        /// The class's position in the file, from 0.
        entry: usize,
        /// The offending key.
        key: String,
        /// 1-based line of the key; 0 when the key is absent.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file defines no class.
    #[error("the taxonomy defines no class (write at least one [[class]] table)")]
    Empty,
}

/// An ordered list of classes and the classification rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taxonomy {
    classes: Vec<Class>,
}

impl Taxonomy {
    /// Parses and checks a taxonomy file (format in docs/pricing.md).
    pub fn from_toml_str(source: &str) -> Result<Taxonomy, TaxonomyError> {
        let classes = file::parse(source)?;
        Ok(Taxonomy { classes })
    }

    /// The taxonomy of `classes/default.toml`.
    pub fn default_taxonomy() -> Taxonomy {
        // Broken, the shipped file would silently leave every machine unclassified: fail
        // loudly instead (a unit test parses it too).
        Taxonomy::from_toml_str(DEFAULT_TOML).expect("the shipped classes/default.toml parses")
    }

    /// The classes, in file order (a [`ClassId`] is an index into this slice).
    pub fn classes(&self) -> &[Class] {
        &self.classes
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    /// Whether there is no class.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// The class `id`. Panics on an id from another taxonomy; ids come from [`Self::classify`]
    /// or [`Self::find`].
    pub fn class(&self, id: ClassId) -> &Class {
        &self.classes[id.index()]
    }

    /// The class named `name`.
    pub fn find(&self, name: &str) -> Option<ClassId> {
        self.classes.iter().position(|c| c.name == name).map(|at| ClassId(at as u32))
    }

    /// The most specific class `hw` belongs to; ties go to the earlier class (module docs).
    pub fn classify(&self, hw: &Hardware, symbols: &Symbols) -> Option<ClassId> {
        let mut best: Option<(u32, usize)> = None;
        for (at, class) in self.classes.iter().enumerate() {
            let specificity = class.predicate.specificity();
            // Strictly greater: an equally specific later class never displaces an earlier one.
            if best.is_none_or(|(s, _)| specificity > s) && class.predicate.accepts(hw, symbols) {
                best = Some((specificity, at));
            }
        }
        best.map(|(_, at)| ClassId(at as u32))
    }

    /// A slot-hour price of `hw` expressed in the unit of `class`: divided by the units one
    /// slot holds ([`Unit::units_per_slot`]), rounded to nearest, halves up.
    pub fn normalise_nano(&self, class: ClassId, hw: &Hardware, price_nano: u64) -> u64 {
        let per_slot = self.class(class).unit.units_per_slot(hw);
        // per_slot ≥ 1, so the division is defined and the result fits in u64.
        crate::fixed::div_round(u128::from(price_nano), u128::from(per_slot))
            .map_or(price_nano, crate::fixed::saturate_u64)
    }

    /// `qty` slots of `hw` counted in the unit of `class` (saturating).
    pub fn units(&self, class: ClassId, hw: &Hardware, qty: u64) -> u64 {
        qty.saturating_mul(self.class(class).unit.units_per_slot(hw))
    }
}

#[cfg(test)]
mod tests;
