//! [`PricingConfig`]: every model's parameters, with defaults, loaded from TOML.
//!
//! ```toml
//! [vwap]
//! window_ms = 3600000
//! [ewma]
//! half_life_ms = 900000
//! [utilization]
//! interval_ms = 60000
//! target_bps = 8000
//! [clearing]
//! floor_nano = 1000
//! ```
//!
//! Every table and key is optional (defaults below); unknown tables and keys are refused, and
//! every error names the key and its line. Every model also takes `floor_nano` and `cap_nano`
//! (the bounds it never leaves). There is no configured starting price: a class has no
//! reference until the market gives it one (its first deal, or a model that reads the book
//! its first book mid), so no output ever shows a placeholder as a market price.

use serde::Deserialize;
use thiserror::Error;

use gridbook_matcher::limits::PRICE_NANO_MAX;

use crate::toml_locate::{find_key, locate_error};

/// One hour, the default VWAP window.
pub const HOUR_MS: u64 = 3_600_000;
/// Basis points in one (100 %).
pub const BPS: u64 = 10_000;

/// The price bounds every model keeps to, nano-units per class unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Lowest price the model outputs (at least 1: prices are positive).
    pub floor_nano: u64,
    /// Highest price the model outputs.
    pub cap_nano: u64,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds { floor_nano: 1, cap_nano: PRICE_NANO_MAX }
    }
}

impl Bounds {
    /// `price_nano` held within `floor_nano..=cap_nano`, and positive whatever the bounds say.
    pub fn clamp(&self, price_nano: u64) -> u64 {
        let floor = self.floor_nano.max(1);
        price_nano.min(self.cap_nano).max(floor)
    }
}

macro_rules! model_config {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $default:expr),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: u64,)*
            /// Lowest price output, nano-units per class unit (at least 1).
            pub floor_nano: u64,
            /// Highest price output, nano-units per class unit.
            pub cap_nano: u64,
        }

        impl Default for $name {
            fn default() -> $name {
                let bounds = Bounds::default();
                $name {
                    $($field: $default,)*
                    floor_nano: bounds.floor_nano,
                    cap_nano: bounds.cap_nano,
                }
            }
        }

        impl $name {
            /// The price bounds of this configuration.
            pub fn bounds(&self) -> Bounds {
                Bounds { floor_nano: self.floor_nano, cap_nano: self.cap_nano }
            }
        }
    };
}

model_config!(
    /// `[vwap]`: volume-weighted average deal price over a sliding window.
    VwapConfig {
        /// Deals within the last `window_ms` count (default 1 h).
        window_ms: HOUR_MS,
    }
);

model_config!(
    /// `[ewma]`: deal price weighted by volume and by age, halving every `half_life_ms`.
    EwmaConfig {
        /// Time after which a deal's weight has halved (default 15 min).
        half_life_ms: 15 * 60_000,
    }
);

model_config!(
    /// `[utilization]`: EIP-1559-style adjustment towards a target utilisation.
    UtilizationConfig {
        /// Time between adjustments (default 1 min).
        interval_ms: 60_000,
        /// Target utilisation u*, basis points (default 8000 = 0.8); 1 to 10000.
        target_bps: 8_000,
        /// Adjustment denominator d: the price moves at most 1/d per interval (default 8).
        max_change_denominator: 8,
    }
);

model_config!(
    /// `[clearing]`: the uniform price at which the class's book curves cross.
    ClearingConfig {}
);

/// Every model's parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PricingConfig {
    /// `[vwap]`.
    pub vwap: VwapConfig,
    /// `[ewma]`.
    pub ewma: EwmaConfig,
    /// `[utilization]`.
    pub utilization: UtilizationConfig,
    /// `[clearing]`.
    pub clearing: ClearingConfig,
}

/// Why a pricing configuration was refused. Every message names the key and its line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// Not TOML, an unknown table or key, or a value of the wrong type.
    #[error("pricing config line {line}: `{key}`: {message}")]
    Syntax {
        /// The key (or table header) on the offending line.
        key: String,
        /// 1-based line; 0 when unknown.
        line: usize,
        /// What `toml` said.
        message: String,
    },
    /// A value out of its range.
    #[error("pricing config line {line}: `[{table}] {key}`: {message}")]
    Invalid {
        /// The table (`vwap`, ...).
        table: &'static str,
        /// The key.
        key: &'static str,
        /// 1-based line; 0 when the key is absent (a default conflicts with a given value).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl PricingConfig {
    /// Parses and checks a configuration; absent tables and keys take their defaults.
    pub fn from_toml_str(source: &str) -> Result<PricingConfig, ConfigError> {
        let config: PricingConfig = toml::from_str(source).map_err(|error| {
            let at = locate_error(source, &error);
            ConfigError::Syntax { key: at.key, line: at.line, message: error.message().to_string() }
        })?;
        config.check().map_err(|(table, key, message)| ConfigError::Invalid {
            table,
            key,
            line: find_key(source, table, None, key).key,
            message,
        })?;
        Ok(config)
    }

    /// The first value out of range, as `(table, key, message)`.
    pub fn check(&self) -> Result<(), (&'static str, &'static str, String)> {
        let tables = [
            ("vwap", self.vwap.bounds()),
            ("ewma", self.ewma.bounds()),
            ("utilization", self.utilization.bounds()),
            ("clearing", self.clearing.bounds()),
        ];
        for (table, bounds) in tables {
            check_bounds(bounds).map_err(|(key, message)| (table, key, message))?;
        }
        let positive = [
            ("vwap", "window_ms", self.vwap.window_ms),
            ("ewma", "half_life_ms", self.ewma.half_life_ms),
            ("utilization", "interval_ms", self.utilization.interval_ms),
            ("utilization", "max_change_denominator", self.utilization.max_change_denominator),
        ];
        for (table, key, value) in positive {
            if value == 0 {
                return Err((table, key, "must be at least 1".to_string()));
            }
        }
        let target = self.utilization.target_bps;
        if !(1..=BPS).contains(&target) {
            return Err(("utilization", "target_bps", format!("{target} is not in 1..=10000")));
        }
        Ok(())
    }
}

fn check_bounds(bounds: Bounds) -> Result<(), (&'static str, String)> {
    if bounds.floor_nano == 0 {
        return Err(("floor_nano", "must be at least 1 (prices are positive)".to_string()));
    }
    if bounds.cap_nano < bounds.floor_nano {
        let message = format!("{} is below floor_nano {}", bounds.cap_nano, bounds.floor_nano);
        return Err(("cap_nano", message));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_keys_take_their_defaults() {
        assert_eq!(PricingConfig::from_toml_str(""), Ok(PricingConfig::default()));
        let config = PricingConfig::from_toml_str("[vwap]\nwindow_ms = 5\n").unwrap();
        assert_eq!(config.vwap.window_ms, 5);
        assert_eq!(config.utilization.target_bps, 8_000);
        assert_eq!(config.ewma.bounds(), Bounds::default());
    }

    #[test]
    fn unknown_keys_and_tables_name_key_and_line() {
        let error =
            PricingConfig::from_toml_str("[vwap]\nwindow_ms = 5\nwindow = 6\n").unwrap_err();
        let ConfigError::Syntax { key, line, .. } = &error else { panic!("{error:?}") };
        assert_eq!((key.as_str(), *line), ("window", 3));
        let error = PricingConfig::from_toml_str("[vwap]\n\n[twap]\nwindow_ms = 1\n").unwrap_err();
        let ConfigError::Syntax { line, .. } = &error else { panic!("{error:?}") };
        assert_eq!(*line, 3);
        let error = PricingConfig::from_toml_str("[ewma]\nhalf_life_ms = \"1h\"\n").unwrap_err();
        let ConfigError::Syntax { key, line, .. } = &error else { panic!("{error:?}") };
        assert_eq!((key.as_str(), *line), ("half_life_ms", 2));
    }

    #[test]
    fn values_out_of_range_name_key_and_line() {
        let source = "[utilization]\ninterval_ms = 1000\ntarget_bps = 12000\n";
        let error = PricingConfig::from_toml_str(source).unwrap_err();
        assert_eq!(
            error,
            ConfigError::Invalid {
                table: "utilization",
                key: "target_bps",
                line: 3,
                message: "12000 is not in 1..=10000".into()
            }
        );
        assert!(error.to_string().contains("line 3"));
        let error = PricingConfig::from_toml_str("[clearing]\nfloor_nano = 0\n").unwrap_err();
        let ConfigError::Invalid { key, line, .. } = &error else { panic!("{error:?}") };
        assert_eq!((*key, *line), ("floor_nano", 2));
        let error =
            PricingConfig::from_toml_str("[ewma]\ncap_nano = 5\nfloor_nano = 6\n").unwrap_err();
        let ConfigError::Invalid { key, line, .. } = &error else { panic!("{error:?}") };
        assert_eq!((*key, *line), ("cap_nano", 2));
        let error = PricingConfig::from_toml_str("[vwap]\nwindow_ms = 0\n").unwrap_err();
        let ConfigError::Invalid { key, line, .. } = &error else { panic!("{error:?}") };
        assert_eq!((*key, *line), ("window_ms", 2));
    }

    #[test]
    fn clamping_keeps_prices_positive_and_bounded() {
        let bounds = Bounds { floor_nano: 0, cap_nano: 10 };
        assert_eq!(bounds.clamp(0), 1);
        assert_eq!(bounds.clamp(11), 10);
    }

    /// No configured starting price: a placeholder would be shown as a market price.
    #[test]
    fn a_starting_price_is_not_configurable() {
        let error = PricingConfig::from_toml_str("[ewma]\ninitial_nano = 1000000000\n");
        let Err(ConfigError::Syntax { key, line, .. }) = &error else { panic!("{error:?}") };
        assert_eq!((key.as_str(), *line), ("initial_nano", 2));
    }
}
