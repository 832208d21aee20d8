//! Event lines (docs/order-stream.md, "Events") as one table: a column per field of any event
//! type, null where a type has no such field, read back strictly ([`EventLine`]) from the lines
//! the engine's own writer produced — so the table holds exactly what `gridbook replay` prints.
//!
//! Values go straight into Arrow builders (text into one contiguous buffer per column), so a
//! table of millions of events costs no allocation per value, and every [`CHUNK_ROWS`] events
//! become a record batch of their own: a long replay grows a list of chunks, never one buffer
//! copied over and over as it doubles, and pyarrow and polars read chunked tables as they are.

use std::sync::Arc;

use arrow_array::builder::{
    Decimal128Builder, StringBuilder, TimestampMillisecondBuilder, UInt64Builder,
};
use gridbook_matcher::money::parse_price_nano;
use gridbook_matcher::stream::EventLine;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};
use pyo3::prelude::*;

use crate::table::{batches_into_pyarrow, money_builder, time_builder, time_value};

/// Events per record batch.
const CHUNK_ROWS: usize = 65_536;

/// Fields of the events table that are never null.
const ALWAYS: [&str; 3] = ["seq", "ts", "type"];

/// The events of a run so far, by column: the finished chunks, then the builders.
pub(crate) struct EventTable {
    chunks: Vec<RecordBatch>,
    rows: usize,
    seq: UInt64Builder,
    ts: TimestampMillisecondBuilder,
    kind: StringBuilder,
    id: StringBuilder,
    line: UInt64Builder,
    reason: StringBuilder,
    detail: StringBuilder,
    deal: UInt64Builder,
    bid: StringBuilder,
    ask: StringBuilder,
    requester: StringBuilder,
    provider: StringBuilder,
    qty: UInt64Builder,
    price: Decimal128Builder,
    start: TimestampMillisecondBuilder,
    end: TimestampMillisecondBuilder,
    remaining: UInt64Builder,
    class: StringBuilder,
    repriced: UInt64Builder,
}

impl Default for EventTable {
    fn default() -> EventTable {
        EventTable {
            chunks: Vec::new(),
            rows: 0,
            seq: UInt64Builder::new(),
            ts: time_builder(),
            kind: StringBuilder::new(),
            id: StringBuilder::new(),
            line: UInt64Builder::new(),
            reason: StringBuilder::new(),
            detail: StringBuilder::new(),
            deal: UInt64Builder::new(),
            bid: StringBuilder::new(),
            ask: StringBuilder::new(),
            requester: StringBuilder::new(),
            provider: StringBuilder::new(),
            qty: UInt64Builder::new(),
            price: money_builder(),
            start: time_builder(),
            end: time_builder(),
            remaining: UInt64Builder::new(),
            class: StringBuilder::new(),
            repriced: UInt64Builder::new(),
        }
    }
}

impl EventTable {
    /// Appends the event lines in `lines` (each ending in a newline, as the writer makes them).
    pub(crate) fn push_lines(&mut self, lines: &[u8]) {
        for line in lines.split(|&byte| byte == b'\n').filter(|line| !line.is_empty()) {
            let event = EventLine::read(line).expect("the engine's writer writes valid events");
            self.push(event);
            self.rows += 1;
            if self.rows == CHUNK_ROWS {
                let chunk = self.chunk();
                self.chunks.push(chunk);
            }
        }
    }

    fn push(&mut self, event: EventLine<'_>) {
        let price = event.price.map(|text| {
            parse_price_nano(&text).expect("the writer writes prices the money parser reads")
        });
        self.seq.append_value(event.seq);
        self.ts.append_value(time_value(event.ts));
        self.kind.append_value(event.kind);
        self.id.append_option(event.id);
        self.line.append_option(event.line);
        self.reason.append_option(event.reason);
        self.detail.append_option(event.detail);
        self.deal.append_option(event.deal);
        self.bid.append_option(event.bid);
        self.ask.append_option(event.ask);
        self.requester.append_option(event.requester);
        self.provider.append_option(event.provider);
        self.qty.append_option(event.qty);
        self.price.append_option(price.map(i128::from));
        self.start.append_option(event.start.map(time_value));
        self.end.append_option(event.end.map(time_value));
        self.remaining.append_option(event.remaining);
        self.class.append_option(event.class);
        self.repriced.append_option(event.repriced);
    }

    /// The rows in the builders as a record batch, the builders emptied.
    fn chunk(&mut self) -> RecordBatch {
        self.rows = 0;
        let arrays: [(&str, ArrayRef); 19] = [
            ("seq", Arc::new(self.seq.finish())),
            ("ts", Arc::new(self.ts.finish())),
            ("type", Arc::new(self.kind.finish())),
            ("id", Arc::new(self.id.finish())),
            ("line", Arc::new(self.line.finish())),
            ("reason", Arc::new(self.reason.finish())),
            ("detail", Arc::new(self.detail.finish())),
            ("deal", Arc::new(self.deal.finish())),
            ("bid", Arc::new(self.bid.finish())),
            ("ask", Arc::new(self.ask.finish())),
            ("requester", Arc::new(self.requester.finish())),
            ("provider", Arc::new(self.provider.finish())),
            ("qty", Arc::new(self.qty.finish())),
            ("price", Arc::new(self.price.finish())),
            ("start", Arc::new(self.start.finish())),
            ("end", Arc::new(self.end.finish())),
            ("remaining", Arc::new(self.remaining.finish())),
            ("class", Arc::new(self.class.finish())),
            ("repriced", Arc::new(self.repriced.finish())),
        ];
        // One schema for every chunk: nullability by field, not by what a chunk happens to hold.
        let fields: Vec<Field> = arrays
            .iter()
            .map(|(name, array)| {
                Field::new(*name, array.data_type().clone(), !ALWAYS.contains(name))
            })
            .collect();
        let columns = arrays.into_iter().map(|(_, array)| array).collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
            .expect("every builder holds one value per event, of its field's type")
    }

    /// The table as a `pyarrow.Table`, one chunk per [`CHUNK_ROWS`] events.
    pub(crate) fn into_pyarrow(mut self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        if self.rows > 0 || self.chunks.is_empty() {
            let chunk = self.chunk();
            self.chunks.push(chunk);
        }
        let schema = self.chunks[0].schema();
        batches_into_pyarrow(py, schema, self.chunks)
    }
}
