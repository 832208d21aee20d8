//! What the node's event lines (docs/order-stream.md, "Events", read by the matcher's
//! [`EventLine`]) mean to the feeds: the fields they need, checked present, borrowed.

use std::borrow::Cow;

use gridbook_matcher::money::parse_price_nano;
use gridbook_matcher::stream::EventLine;

use crate::error::FeedsError;

/// What an event means to the feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent<'a> {
    /// An order was accepted (it rests, or trades, or both, in the same command).
    Accepted {
        /// Its id.
        id: Cow<'a, str>,
    },
    /// A deal.
    Deal {
        /// Deal number.
        deal: u64,
        /// The bid's id.
        bid: Cow<'a, str>,
        /// The ask's id.
        ask: Cow<'a, str>,
        /// Slots.
        qty: u64,
        /// Price per slot-hour, nano-units.
        price_nano: u64,
        /// When the slots start, ms.
        start_ms: u64,
        /// When they end, ms (exclusive).
        end_ms: u64,
    },
    /// An order left the book unfilled (`cancelled` or `expired`) with `remaining` slots.
    Gone {
        /// Its id.
        id: Cow<'a, str>,
        /// Slots it still had.
        remaining: u64,
    },
    /// A class's reference price, per class unit.
    Reference {
        /// The class's name.
        class: Cow<'a, str>,
        /// Nano-units per unit.
        price_nano: u64,
    },
    /// Nothing the feeds follow (`rejected`).
    Other,
}

/// An event with its `seq` and `ts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped<'a> {
    /// The event's seq.
    pub seq: u64,
    /// Its ts, ms.
    pub ts_ms: u64,
    /// What it says.
    pub event: FeedEvent<'a>,
}

fn need<T>(value: Option<T>, field: &str, seq: u64) -> Result<T, FeedsError> {
    value.ok_or_else(|| FeedsError::Event { seq, detail: format!("no `{field}`") })
}

/// Reads one event line.
pub fn read_event(line: &[u8]) -> Result<Stamped<'_>, FeedsError> {
    let parsed = EventLine::read(line)
        .map_err(|error| FeedsError::Event { seq: 0, detail: format!("not an event: {error}") })?;
    let seq = parsed.seq;
    let price = |text: Option<Cow<'_, str>>| -> Result<u64, FeedsError> {
        let text = need(text, "price", seq)?;
        parse_price_nano(&text)
            .map_err(|error| FeedsError::Event { seq, detail: format!("price: {error}") })
    };
    let event = match parsed.kind.as_ref() {
        "accepted" => FeedEvent::Accepted { id: need(parsed.id, "id", seq)? },
        "deal" => FeedEvent::Deal {
            deal: need(parsed.deal, "deal", seq)?,
            bid: need(parsed.bid, "bid", seq)?,
            ask: need(parsed.ask, "ask", seq)?,
            qty: need(parsed.qty, "qty", seq)?,
            price_nano: price(parsed.price)?,
            start_ms: need(parsed.start, "start", seq)?,
            end_ms: need(parsed.end, "end", seq)?,
        },
        "cancelled" | "expired" => FeedEvent::Gone {
            id: need(parsed.id, "id", seq)?,
            remaining: need(parsed.remaining, "remaining", seq)?,
        },
        "reference" => FeedEvent::Reference {
            class: need(parsed.class, "class", seq)?,
            price_nano: price(parsed.price)?,
        },
        "rejected" => FeedEvent::Other,
        other => return Err(FeedsError::Event { seq, detail: format!("unknown type `{other}`") }),
    };
    Ok(Stamped { seq, ts_ms: parsed.ts, event })
}

/// The events of one command: its event lines, one per `\n`-terminated line.
pub fn read_events(events: &[u8]) -> impl Iterator<Item = Result<Stamped<'_>, FeedsError>> {
    events.split(|&b| b == b'\n').filter(|line| !line.is_empty()).map(read_event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deal_line_gives_its_parties_and_exact_price() {
        let line = br#"{"seq":6,"ts":10,"type":"deal","deal":1,"bid":"b","ask":"a","requester":"0x2","provider":"0x1","qty":2,"price":"1.9","start":10,"end":20}"#;
        let read = read_event(line).expect("a deal");
        assert_eq!(read.seq, 6);
        assert_eq!(
            read.event,
            FeedEvent::Deal {
                deal: 1,
                bid: "b".into(),
                ask: "a".into(),
                qty: 2,
                price_nano: 1_900_000_000,
                start_ms: 10,
                end_ms: 20,
            }
        );
    }

    #[test]
    fn a_broken_event_is_an_error_that_names_its_seq_and_field() {
        let error = read_event(br#"{"seq":7,"ts":1,"type":"deal","deal":1}"#).unwrap_err();
        assert_eq!(error.to_string(), "event seq 7: no `bid`");
        let error = read_event(br#"{"seq":8,"ts":1,"type":"party"}"#).unwrap_err();
        assert!(error.to_string().contains("unknown type `party`"), "{error}");
    }
}
