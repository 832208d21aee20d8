//! Event lines (docs/order-stream.md, "Events") as one table: a column per field of any event
//! type, null where a type has no such field, read back strictly from the lines the engine's
//! own writer produced — so the table holds exactly what `gridbook replay` prints.

use std::borrow::Cow;

use gridbook_matcher::money::parse_price_nano;
use serde::Deserialize;

use crate::table::Columns;

/// One event line, every field any event type has.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventLine<'a> {
    seq: u64,
    ts: u64,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    line: Option<u64>,
    #[serde(borrow, default)]
    reason: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    detail: Option<Cow<'a, str>>,
    #[serde(default)]
    deal: Option<u64>,
    #[serde(borrow, default)]
    bid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    ask: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    requester: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    provider: Option<Cow<'a, str>>,
    #[serde(default)]
    qty: Option<u64>,
    #[serde(borrow, default)]
    price: Option<Cow<'a, str>>,
    #[serde(default)]
    start: Option<u64>,
    #[serde(default)]
    end: Option<u64>,
    #[serde(default)]
    remaining: Option<u64>,
    #[serde(borrow, default)]
    class: Option<Cow<'a, str>>,
    #[serde(default)]
    repriced: Option<u64>,
}

/// The events of a run so far, by column.
#[derive(Default)]
pub(crate) struct EventTable {
    seq: Vec<Option<u64>>,
    ts: Vec<Option<u64>>,
    kind: Vec<Option<String>>,
    id: Vec<Option<String>>,
    line: Vec<Option<u64>>,
    reason: Vec<Option<String>>,
    detail: Vec<Option<String>>,
    deal: Vec<Option<u64>>,
    bid: Vec<Option<String>>,
    ask: Vec<Option<String>>,
    requester: Vec<Option<String>>,
    provider: Vec<Option<String>>,
    qty: Vec<Option<u64>>,
    price: Vec<Option<u128>>,
    start: Vec<Option<u64>>,
    end: Vec<Option<u64>>,
    remaining: Vec<Option<u64>>,
    class: Vec<Option<String>>,
    repriced: Vec<Option<u64>>,
}

fn owned(text: Option<Cow<'_, str>>) -> Option<String> {
    text.map(Cow::into_owned)
}

impl EventTable {
    /// Appends the event lines in `lines` (each ending in a newline, as the writer makes them).
    pub(crate) fn push_lines(&mut self, lines: &[u8]) {
        for line in lines.split(|&byte| byte == b'\n').filter(|line| !line.is_empty()) {
            let event: EventLine<'_> =
                serde_json::from_slice(line).expect("the engine's writer writes valid events");
            self.push(event);
        }
    }

    fn push(&mut self, event: EventLine<'_>) {
        let price = event.price.map(|text| {
            parse_price_nano(&text).expect("the writer writes prices the money parser reads")
        });
        self.seq.push(Some(event.seq));
        self.ts.push(Some(event.ts));
        self.kind.push(Some(event.kind.into_owned()));
        self.id.push(owned(event.id));
        self.line.push(event.line);
        self.reason.push(owned(event.reason));
        self.detail.push(owned(event.detail));
        self.deal.push(event.deal);
        self.bid.push(owned(event.bid));
        self.ask.push(owned(event.ask));
        self.requester.push(owned(event.requester));
        self.provider.push(owned(event.provider));
        self.qty.push(event.qty);
        self.price.push(price.map(u128::from));
        self.start.push(event.start);
        self.end.push(event.end);
        self.remaining.push(event.remaining);
        self.class.push(owned(event.class));
        self.repriced.push(event.repriced);
    }

    /// The table's columns, in the order of docs/order-stream.md.
    pub(crate) fn into_columns(self) -> Columns {
        let mut columns = Columns::default();
        columns.u64("seq", self.seq);
        columns.time_ms("ts", self.ts);
        columns.text("type", self.kind);
        columns.text("id", self.id);
        columns.u64("line", self.line);
        columns.text("reason", self.reason);
        columns.text("detail", self.detail);
        columns.u64("deal", self.deal);
        columns.text("bid", self.bid);
        columns.text("ask", self.ask);
        columns.text("requester", self.requester);
        columns.text("provider", self.provider);
        columns.u64("qty", self.qty);
        columns.nano("price", self.price);
        columns.time_ms("start", self.start);
        columns.time_ms("end", self.end);
        columns.u64("remaining", self.remaining);
        columns.text("class", self.class);
        columns.u64("repriced", self.repriced);
        columns
    }
}
