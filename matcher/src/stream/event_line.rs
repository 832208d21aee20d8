//! [`EventLine`]: an event line (docs/order-stream.md, "Events") read back, every field any event
//! type has, strings borrowed from the line where they have no escapes. The one reader of the
//! events' format for the crates that follow an engine's output (the feeds, the Python
//! package's tables); the writer is `encode.rs`.

use std::borrow::Cow;

use serde::Deserialize;

/// One event line's fields; which are present depends on `kind` (the `type`). A field the
/// writer does not write is refused, so a field added to the format is added here too.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventLine<'a> {
    /// Event number, from 1.
    pub seq: u64,
    /// Engine time, ms.
    pub ts: u64,
    /// `accepted`, `rejected`, `deal`, `cancelled`, `expired` or `reference`.
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    /// The order (accepted, rejected, cancelled, expired).
    #[serde(default, borrow)]
    pub id: Option<Cow<'a, str>>,
    /// The rejected line's number.
    #[serde(default)]
    pub line: Option<u64>,
    /// Why a line was rejected or an order cancelled.
    #[serde(default, borrow)]
    pub reason: Option<Cow<'a, str>>,
    /// What exactly was wrong with a rejected line.
    #[serde(default, borrow)]
    pub detail: Option<Cow<'a, str>>,
    /// Deal number.
    #[serde(default)]
    pub deal: Option<u64>,
    /// A deal's bid.
    #[serde(default, borrow)]
    pub bid: Option<Cow<'a, str>>,
    /// A deal's ask.
    #[serde(default, borrow)]
    pub ask: Option<Cow<'a, str>>,
    /// Who pays a deal.
    #[serde(default, borrow)]
    pub requester: Option<Cow<'a, str>>,
    /// Who is paid.
    #[serde(default, borrow)]
    pub provider: Option<Cow<'a, str>>,
    /// A deal's slots.
    #[serde(default)]
    pub qty: Option<u64>,
    /// A deal's price per slot-hour, or a reference per class unit (decimal text).
    #[serde(default, borrow)]
    pub price: Option<Cow<'a, str>>,
    /// When a deal's slots start, ms.
    #[serde(default)]
    pub start: Option<u64>,
    /// When they end, ms (exclusive).
    #[serde(default)]
    pub end: Option<u64>,
    /// Slots an order still had when it left.
    #[serde(default)]
    pub remaining: Option<u64>,
    /// A reference's class.
    #[serde(default, borrow)]
    pub class: Option<Cow<'a, str>>,
    /// Resting pegged orders a reference re-priced.
    #[serde(default)]
    pub repriced: Option<u64>,
}

impl<'a> EventLine<'a> {
    /// Reads one event line (without its newline).
    pub fn read(line: &'a [u8]) -> Result<EventLine<'a>, serde_json::Error> {
        serde_json::from_slice(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_the_writer_writes_is_read_and_no_other() {
        let deal = br#"{"seq":6,"ts":10,"type":"deal","deal":1,"bid":"b","ask":"a","requester":"0x2","provider":"0x1","qty":2,"price":"1.9","start":10,"end":20}"#;
        let read = EventLine::read(deal).expect("a deal");
        assert_eq!(
            (read.seq, read.kind.as_ref(), read.deal, read.qty),
            (6, "deal", Some(1), Some(2))
        );
        assert_eq!(read.requester.as_deref(), Some("0x2"));
        let rejected = br#"{"seq":7,"ts":1,"type":"rejected","id":null,"line":3,"reason":"bad_price","detail":"price: \"x\""}"#;
        let read = EventLine::read(rejected).expect("a rejection");
        assert_eq!((read.line, read.detail.as_deref()), (Some(3), Some("price: \"x\"")));
        let unknown = br#"{"seq":8,"ts":1,"type":"deal","colour":"red"}"#;
        assert!(EventLine::read(unknown).unwrap_err().to_string().contains("colour"));
    }
}
