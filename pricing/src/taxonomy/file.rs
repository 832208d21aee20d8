//! The taxonomy file format: serde shapes of the TOML, and the checks that turn them into
//! [`Class`]es. Unknown keys are refused (a typo must never silently widen a class), and every
//! error names the key and its line.
//!
//! ```toml
//! [[class]]
//! name = "gpu.a100-80gb"       # unique, non-empty
//! unit = "gpu-hour"            # slot-hour | gpu-hour | core-hour
//! gpu_models = ["A100-80GB"]   # every other key is optional
//! gpus_min = 1
//! tee = "none"                 # any (default) | none | some | <kind>
//! ```

use serde::Deserialize;

use super::{Class, Predicate, TaxonomyError, TeeRule, Unit};
use crate::toml_locate::{find_key, locate_error};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    #[serde(default)]
    class: Vec<ClassFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassFile {
    name: String,
    unit: UnitFile,
    #[serde(default)]
    gpu_models: Vec<String>,
    gpus_min: Option<u32>,
    gpus_max: Option<u32>,
    gpu_mem_min_gib: Option<u32>,
    cpu_min: Option<u32>,
    cpu_max: Option<u32>,
    mem_min_gib: Option<u32>,
    mem_max_gib: Option<u32>,
    mem_per_cpu_min_gib: Option<u32>,
    tee: Option<String>,
    #[serde(default)]
    regions: Vec<String>,
}

/// Named by what one unit counts; the file spells them `slot-hour`, `gpu-hour`, `core-hour`.
#[derive(Debug, Clone, Copy, Deserialize)]
enum UnitFile {
    #[serde(rename = "slot-hour")]
    Slot,
    #[serde(rename = "gpu-hour")]
    Gpu,
    #[serde(rename = "core-hour")]
    Core,
}

/// Parses `source` into classes, in file order.
pub(super) fn parse(source: &str) -> Result<Vec<Class>, TaxonomyError> {
    let parsed: TaxonomyFile = toml::from_str(source).map_err(|error| {
        let at = locate_error(source, &error);
        TaxonomyError::Syntax { key: at.key, line: at.line, message: error.message().to_string() }
    })?;
    if parsed.class.is_empty() {
        return Err(TaxonomyError::Empty);
    }
    let mut classes: Vec<Class> = Vec::with_capacity(parsed.class.len());
    for (entry, raw) in parsed.class.into_iter().enumerate() {
        let invalid = |key: &str, message: String| TaxonomyError::Invalid {
            entry,
            key: key.to_string(),
            line: find_key(source, "class", Some(entry), key).key,
            message,
        };
        let class = check(raw, &invalid)?;
        if classes.iter().any(|c| c.name == class.name) {
            return Err(invalid("name", format!("class `{}` is defined twice", class.name)));
        }
        classes.push(class);
    }
    Ok(classes)
}

/// Checks one class and builds it; `invalid` makes the error for a key.
fn check(
    raw: ClassFile,
    invalid: &dyn Fn(&str, String) -> TaxonomyError,
) -> Result<Class, TaxonomyError> {
    if raw.name.trim().is_empty() {
        return Err(invalid("name", "a class needs a non-empty name".to_string()));
    }
    let ranges = [
        ("gpus_max", raw.gpus_min, raw.gpus_max),
        ("cpu_max", raw.cpu_min, raw.cpu_max),
        ("mem_max_gib", raw.mem_min_gib, raw.mem_max_gib),
    ];
    for (key, min, max) in ranges {
        if let (Some(min), Some(max)) = (min, max) {
            if min > max {
                return Err(invalid(key, format!("maximum {max} is below the minimum {min}")));
            }
        }
    }
    if raw.gpus_max == Some(0) && !raw.gpu_models.is_empty() {
        return Err(invalid("gpu_models", "gpus_max = 0 admits no GPU model".to_string()));
    }
    let no_blank = |key: &str, list: &[String]| match list.iter().any(|n| n.trim().is_empty()) {
        true => Err(invalid(key, "names must not be empty".to_string())),
        false => Ok(()),
    };
    no_blank("gpu_models", &raw.gpu_models)?;
    no_blank("regions", &raw.regions)?;
    let tee = match raw.tee.as_deref() {
        None | Some("any") => TeeRule::Any,
        Some("none") => TeeRule::None,
        Some("some") => TeeRule::Some,
        Some("") => return Err(invalid("tee", "expected any, none, some or a kind".to_string())),
        Some(kind) => TeeRule::Kind(kind.to_string()),
    };
    let unit = match raw.unit {
        UnitFile::Slot => Unit::SlotHour,
        UnitFile::Gpu => Unit::GpuHour,
        UnitFile::Core => Unit::CoreHour,
    };
    let predicate = Predicate {
        gpu_models: raw.gpu_models,
        gpus_min: raw.gpus_min,
        gpus_max: raw.gpus_max,
        gpu_mem_min_gib: raw.gpu_mem_min_gib,
        cpu_min: raw.cpu_min,
        cpu_max: raw.cpu_max,
        mem_min_gib: raw.mem_min_gib,
        mem_max_gib: raw.mem_max_gib,
        mem_per_cpu_min_gib: raw.mem_per_cpu_min_gib,
        tee,
        regions: raw.regions,
    };
    Ok(Class { name: raw.name, unit, predicate })
}
