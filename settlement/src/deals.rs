//! Reading the deals out of a replay's events (JSON Lines, docs/order-stream.md).
//!
//! Only `deal` events matter to settlement; every other line must still be a JSON object with a
//! `type`, so that a truncated or foreign file is refused instead of settling half of it. A deal
//! line is parsed strictly: an unknown field, a missing one, a malformed address or price, an
//! empty time range or a deal number out of sequence is an error naming the line and the field.

use std::io::BufRead;

use alloy_primitives::Address;
use gridbook_matcher::money::parse_price_nano;
use gridbook_matcher::Owner;
use serde::Deserialize;

/// One deal of the stream, as settlement needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealRecord {
    /// The deal number (`deal`), from 1, strictly increasing in the stream.
    pub deal_id: u64,
    /// The engine's clock when it happened (`ts`), ms.
    pub ts_ms: u64,
    /// The bid's owner: who pays.
    pub requester: Address,
    /// The ask's owner: who is paid.
    pub provider: Address,
    /// Slots traded.
    pub qty: u64,
    /// Price per slot-hour, nano-units.
    pub price_nano: u64,
    /// When the slots start, ms.
    pub start_ms: u64,
    /// When the slots end, ms (after `start_ms`).
    pub end_ms: u64,
    /// 1-based line of the events file, for error messages.
    pub line: u64,
}

/// Why an events file cannot be settled.
#[derive(Debug, thiserror::Error)]
pub enum DealsError {
    /// The file could not be read.
    #[error("cannot read events: {0}")]
    Io(#[from] std::io::Error),
    /// A line is not what the events format says.
    #[error("events line {line}: {detail}")]
    Line {
        /// 1-based line number.
        line: u64,
        /// What exactly is wrong, naming the field.
        detail: String,
    },
}

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // `seq`, `bid` and `ask` are checked by serde, not used
struct WireDeal<'a> {
    seq: u64,
    ts: u64,
    #[serde(rename = "type")]
    kind: &'a str,
    deal: u64,
    bid: std::borrow::Cow<'a, str>,
    ask: std::borrow::Cow<'a, str>,
    requester: &'a str,
    provider: &'a str,
    qty: u64,
    price: &'a str,
    start: u64,
    end: u64,
}

/// Reads every deal of an events stream, in order.
pub fn read_deals(input: impl BufRead) -> Result<Vec<DealRecord>, DealsError> {
    let mut deals = Vec::new();
    for (index, text) in input.lines().enumerate() {
        let text = text?;
        let line = index as u64 + 1;
        if text.trim().is_empty() {
            continue;
        }
        let bad = |detail: String| DealsError::Line { line, detail };
        let head: Head = serde_json::from_str(&text)
            .map_err(|e| bad(format!("not an event (a JSON object with a \"type\"): {e}")))?;
        if head.kind != "deal" {
            continue;
        }
        let deal = parse_deal(&text, line).map_err(bad)?;
        let expected = deals.last().map_or(1, |d: &DealRecord| d.deal_id + 1);
        if deal.deal_id != expected {
            return Err(bad(format!("deal: expected deal {expected}, found {}", deal.deal_id)));
        }
        deals.push(deal);
    }
    Ok(deals)
}

fn parse_deal(text: &str, line: u64) -> Result<DealRecord, String> {
    let wire: WireDeal = serde_json::from_str(text).map_err(|e| format!("deal event: {e}"))?;
    let address = |field: &str, value: &str| {
        Owner::parse(value).map(|owner| Address::from(owner.0)).map_err(|e| format!("{field}: {e}"))
    };
    let price_nano = parse_price_nano(wire.price).map_err(|e| format!("price: {e}"))?;
    if wire.qty == 0 {
        return Err("qty: must be at least 1".to_owned());
    }
    if wire.end <= wire.start {
        return Err(format!("end: {} is not after start {}", wire.end, wire.start));
    }
    Ok(DealRecord {
        deal_id: wire.deal,
        ts_ms: wire.ts,
        requester: address("requester", wire.requester)?,
        provider: address("provider", wire.provider)?,
        qty: wire.qty,
        price_nano,
        start_ms: wire.start,
        end_ms: wire.end,
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEAL: &str = r#"{"seq":6,"ts":10,"type":"deal","deal":1,"bid":"b","ask":"a","requester":"0x2000000000000000000000000000000000000001","provider":"0x1000000000000000000000000000000000000002","qty":2,"price":"1.9","start":10,"end":3600010}"#;

    fn read(text: &str) -> Result<Vec<DealRecord>, DealsError> {
        read_deals(text.as_bytes())
    }

    fn error(text: &str) -> String {
        read(text).unwrap_err().to_string()
    }

    #[test]
    fn deals_are_read_and_other_events_skipped() {
        let text = format!("{{\"seq\":1,\"ts\":0,\"type\":\"accepted\",\"id\":\"a\"}}\n{DEAL}\n");
        let deals = read(&text).unwrap();
        assert_eq!(deals.len(), 1);
        assert_eq!((deals[0].deal_id, deals[0].price_nano, deals[0].line), (1, 1_900_000_000, 2));
        assert_eq!(
            deals[0].requester.to_string().to_lowercase(),
            "0x2000000000000000000000000000000000000001"
        );
    }

    #[test]
    fn an_unknown_field_in_a_deal_is_an_error_naming_line_and_field() {
        let text = DEAL.replace("\"qty\":2", "\"qty\":2,\"tip\":1");
        let message = error(&text);
        assert!(message.contains("line 1") && message.contains("tip"), "{message}");
    }

    #[test]
    fn a_missing_owner_is_an_error() {
        let text = DEAL.replace(",\"provider\":\"0x1000000000000000000000000000000000000002\"", "");
        assert!(error(&text).contains("provider"));
    }

    #[test]
    fn malformed_values_name_the_field() {
        assert!(error(&DEAL.replace("\"1.9\"", "\"1.9x\"")).contains("price"));
        assert!(error(&DEAL.replace("0x2000", "0xZ000")).contains("requester"));
        assert!(error(&DEAL.replace("\"qty\":2", "\"qty\":0")).contains("qty"));
        assert!(error(&DEAL.replace("\"end\":3600010", "\"end\":10")).contains("end"));
    }

    #[test]
    fn deal_numbers_must_follow_each_other() {
        let twice = format!("{DEAL}\n{DEAL}\n");
        let message = error(&twice);
        assert!(message.contains("line 2") && message.contains("expected deal 2"), "{message}");
    }

    #[test]
    fn a_line_that_is_not_an_event_is_an_error() {
        assert!(error("{\"seq\":1}\n").contains("line 1"));
        assert!(error(&format!("{DEAL}\n{{\"ts\":")).contains("line 2"));
    }
}
