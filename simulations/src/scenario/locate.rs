//! Scenario errors and where they are: the key and the 1-based line of the offending value.
//!
//! `toml` gives a byte span for syntax and type errors (and for the checks the distribution
//! types run while deserialising); checks that run after parsing find their key's line by
//! scanning the text for the table header and the key. Both go through
//! [`gridbook_pricing::toml_locate`], the one helper the taxonomy and the pricing configuration
//! use too; a key absent from a scenario is placed at its table's header.

use gridbook_pricing::toml_locate::{find_key, locate_error};
use thiserror::Error;

/// A scenario that cannot run. Every message names the file, the line and the key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScenarioError {
    /// Not TOML, an unknown key, a value of the wrong type or an impossible distribution.
    #[error("{origin}: line {line}: `{key}`: {message}")]
    Syntax {
        /// The scenario's path.
        origin: String,
        /// The key (or table header) on the offending line.
        key: String,
        /// 1-based line; 0 when unknown.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A value that parses but cannot be simulated (a negative rate, a missing trace file,
    /// a job no machine can ever run, ...).
    #[error("{origin}: line {line}: `{key}`: {message}")]
    Invalid {
        /// The scenario's path.
        origin: String,
        /// The dotted key (`requesters.rate_per_h`, `providers.hardware[2].slots`).
        key: String,
        /// 1-based line; 0 when the key is absent.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The scenario file is not UTF-8 text.
    #[error(
        "{origin}: line {line}: not UTF-8 text (byte offset {offset}); save the scenario as UTF-8"
    )]
    NotUtf8 {
        /// The scenario's path.
        origin: String,
        /// 1-based line of the first byte that is not UTF-8.
        line: usize,
        /// Its byte offset in the file.
        offset: usize,
    },
    /// The scenario file could not be read.
    #[error("{origin}: {message}")]
    Read {
        /// The scenario's path.
        origin: String,
        /// Why.
        message: String,
    },
}

/// `bytes` as text, or the error naming the line and byte offset of the first byte that is not
/// UTF-8 (a scenario saved in another encoding must not fail with a bare "invalid UTF-8").
pub fn utf8_text(bytes: Vec<u8>, origin: &str) -> Result<String, ScenarioError> {
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let bytes = error.as_bytes();
        let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
        ScenarioError::NotUtf8 { origin: origin.to_string(), line, offset }
    })
}

/// The error for a `toml` failure, placed at the key of the span's line.
pub(crate) fn syntax_error(source: &str, origin: &str, error: &toml::de::Error) -> ScenarioError {
    let at = locate_error(source, error);
    let message = error.message().trim().to_string();
    ScenarioError::Syntax { origin: origin.to_string(), key: at.key, line: at.line, message }
}

/// The line of `key = ...` in table `[table]`, or in entry `entry` of `[[table]]`; the line of
/// the table header when the key is absent; 0 when neither is written.
pub(crate) fn key_line(source: &str, table: &str, entry: Option<usize>, key: &str) -> usize {
    let at = find_key(source, table, entry, key);
    if at.key > 0 {
        at.key
    } else {
        at.header
    }
}

#[cfg(test)]
mod tests {
    use super::key_line;

    #[test]
    fn an_absent_key_is_placed_at_its_table_header() {
        let text = "a = 1\n[x]\nb = 2\n[[y]]\nc = 3\n[[y]]\nc = 4\n";
        assert_eq!(key_line(text, "y", Some(1), "c"), 7);
        assert_eq!(key_line(text, "y", Some(0), "missing"), 4);
        assert_eq!(key_line(text, "z", None, "missing"), 0);
    }
}
