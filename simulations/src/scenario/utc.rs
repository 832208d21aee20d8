//! [`StartUtc`]: the wall-clock time of simulated time 0, so that the per-deal and per-job
//! files can carry ISO 8601 UTC times beside the simulated milliseconds. Simulated time itself
//! stays whole milliseconds from 0; this only labels it.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// `start_utc = "2026-01-01T00:00:00Z"`: an RFC 3339 time, held as Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct StartUtc {
    /// Unix time of simulated time 0, ms.
    pub unix_ms: i64,
}

/// 2026-01-01T00:00:00Z, the example market's first day.
const DEFAULT_UNIX_MS: i64 = 1_767_225_600_000;

impl Default for StartUtc {
    fn default() -> StartUtc {
        StartUtc { unix_ms: DEFAULT_UNIX_MS }
    }
}

impl TryFrom<String> for StartUtc {
    type Error = String;

    fn try_from(text: String) -> Result<StartUtc, String> {
        let parsed = DateTime::parse_from_rfc3339(&text).map_err(|error| {
            format!("`{text}` is not an RFC 3339 time such as \"2026-01-01T00:00:00Z\": {error}")
        })?;
        Ok(StartUtc { unix_ms: parsed.with_timezone(&Utc).timestamp_millis() })
    }
}

impl StartUtc {
    /// Simulated `at_ms` as ISO 8601 UTC with milliseconds (`2026-01-01T00:30:00.000Z`).
    pub fn iso(&self, at_ms: u64) -> String {
        let unix_ms = i64::try_from(at_ms)
            .ok()
            .and_then(|at| self.unix_ms.checked_add(at))
            .expect("the scenario check bounds simulated time far below i64 milliseconds");
        let time = DateTime::<Utc>::from_timestamp_millis(unix_ms)
            .expect("start_utc and the 10-year horizon stay within chrono's years");
        time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::StartUtc;

    #[test]
    fn simulated_milliseconds_become_iso_8601_utc() {
        let start = StartUtc::try_from("2026-03-01T12:00:00+01:00".to_string()).unwrap_or_default();
        assert_eq!(start.iso(90_061_001), "2026-03-02T12:01:01.001Z");
        assert_eq!(StartUtc::default().iso(0), "2026-01-01T00:00:00.000Z");
        assert!(StartUtc::try_from("yesterday".to_string()).is_err());
    }
}
