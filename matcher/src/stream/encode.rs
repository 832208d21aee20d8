//! Writing commands and events as JSON lines.
//!
//! Event lines are written by hand in a fixed field order (`seq`, `ts`, `type`, then the
//! event's fields), so the same events always give the same bytes. Strings go through
//! serde_json's escaping.

use std::io::Write;

use std::borrow::Cow;

use super::wire::{
    Text, WireAsk, WireBid, WireCancel, WireHardware, WirePeg, WireReference, WireRequirements,
    WireTick, WireTif,
};
use crate::command::{Command, Price, Tif};
use crate::event::{Event, IdLookup};
use crate::hardware::{Hardware, Requirements, Sym};
use crate::money::{format_nano, format_offset_nano, push_nano};
use crate::symbols::Symbols;

fn wire_tif(tif: Tif) -> WireTif {
    match tif {
        Tif::Gtc => WireTif::Gtc,
        Tif::Ioc => WireTif::Ioc,
        Tif::Fok => WireTif::Fok,
        Tif::Post => WireTif::Post,
    }
}

fn name(symbols: &Symbols, sym: Sym) -> Text<'_> {
    Cow::Borrowed(symbols.name(sym))
}

fn names<'a>(symbols: &'a Symbols, syms: &[Sym]) -> Vec<Text<'a>> {
    syms.iter().map(|&sym| name(symbols, sym)).collect()
}

fn wire_hardware<'a>(symbols: &'a Symbols, hw: &Hardware) -> WireHardware<'a> {
    WireHardware {
        cpu: hw.cpu,
        mem: hw.mem_gib,
        gpu: hw.gpu.map(|sym| name(symbols, sym)),
        gpus: hw.gpus,
        gpu_mem: hw.gpu_mem_gib,
        tee: hw.tee.map(|sym| name(symbols, sym)),
        region: name(symbols, hw.region),
    }
}

fn wire_requirements<'a>(symbols: &'a Symbols, req: &Requirements) -> WireRequirements<'a> {
    WireRequirements {
        cpu: req.cpu,
        mem: req.mem_gib,
        gpu: names(symbols, &req.gpu),
        gpus: req.gpus,
        gpu_mem: req.gpu_mem_gib,
        tee: req.tee.map(|sym| name(symbols, sym)),
        regions: names(symbols, &req.regions),
    }
}

/// A price as the wire has it: the fixed text, or the peg.
fn wire_price<'a>(symbols: &'a Symbols, price: &Price) -> (Option<Text<'a>>, Option<WirePeg<'a>>) {
    match price {
        Price::Fixed(price_nano) => (Some(Cow::Owned(format_nano(*price_nano))), None),
        Price::Pegged(peg) => (
            None,
            Some(WirePeg {
                class: name(symbols, peg.class),
                offset: Cow::Owned(format_offset_nano(peg.offset_nano)),
                limit: Cow::Owned(format_nano(peg.limit_nano)),
            }),
        ),
    }
}

/// Writes `command` at `ts_ms` as one line of the order stream (without the newline).
pub fn encode_command(symbols: &Symbols, ts_ms: u64, command: &Command) -> String {
    let line = match command {
        Command::Ask(ask) => {
            let (price, peg) = wire_price(symbols, &ask.price);
            serde_json::to_string(&WireAsk {
                ts: ts_ms,
                op: "ask".into(),
                id: Cow::Borrowed(&ask.id),
                owner: Cow::Owned(ask.owner.to_string()),
                price,
                peg,
                qty: ask.qty,
                tif: wire_tif(ask.tif),
                hw: wire_hardware(symbols, &ask.hw),
                from: ask.from_ms,
                until: ask.until_ms,
                expires: ask.expires_ms,
                sig: None,
                session: None,
            })
        }
        Command::Bid(bid) => {
            let (limit, peg) = wire_price(symbols, &bid.limit);
            serde_json::to_string(&WireBid {
                ts: ts_ms,
                op: "bid".into(),
                id: Cow::Borrowed(&bid.id),
                owner: Cow::Owned(bid.owner.to_string()),
                limit,
                peg,
                qty: bid.qty,
                tif: wire_tif(bid.tif),
                req: wire_requirements(symbols, &bid.req),
                duration: bid.duration_ms,
                not_before: bid.not_before_ms,
                deadline: bid.deadline_ms,
                expires: bid.expires_ms,
                sig: None,
                session: None,
            })
        }
        Command::Cancel(cancel) => serde_json::to_string(&WireCancel {
            ts: ts_ms,
            op: "cancel".into(),
            id: Cow::Borrowed(&cancel.id),
            owner: Cow::Owned(cancel.owner.to_string()),
            sig: None,
            session: None,
        }),
        Command::Tick => serde_json::to_string(&WireTick { ts: ts_ms, op: "tick".into() }),
        Command::Reference { class, price_nano } => serde_json::to_string(&WireReference {
            ts: ts_ms,
            op: "reference".into(),
            class: name(symbols, *class),
            price: Cow::Owned(format_nano(*price_nano)),
        }),
    };
    line.expect("serialising these plain structs to a String cannot fail")
}

/// Where a rejected line came from, to name it in the event.
#[derive(Debug, Clone, Copy, Default)]
pub struct RejectContext<'a> {
    /// The id the line carried, if readable.
    pub id: Option<&'a str>,
    /// The line number (from 1).
    pub line: Option<u64>,
    /// What exactly is wrong; the reason's own description when `None`.
    pub detail: Option<&'a str>,
}

/// Numbers events and writes them as JSON lines.
#[derive(Debug, Clone, Default)]
pub struct EventWriter {
    seq: u64,
}

/// Longest id or detail echoed back in a `rejected` event, in bytes. A rejected line may carry a
/// megabyte-long value; the event names it without repeating all of it.
const ECHO_LEN_MAX: usize = 200;

/// `text`, cut at a character boundary to at most [`ECHO_LEN_MAX`] bytes, with its length noted.
fn echo(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= ECHO_LEN_MAX {
        return text.into();
    }
    let mut cut = ECHO_LEN_MAX;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} bytes)", &text[..cut], text.len()).into()
}

/// Writes `text` as a JSON string, escaped as serde_json escapes it (only `"`, `\\` and control
/// characters); text without any of those — ids, names, reason codes — is copied as it is.
fn push_json_str(out: &mut Vec<u8>, text: &str) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        return;
    }
    // Writing a &str into a Vec<u8> cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

fn push_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// Writes a price as `"…"`, byte for byte what [`format_nano`] gives, without allocating.
fn push_price(out: &mut Vec<u8>, price_nano: u64) {
    out.push(b'"');
    push_nano(out, price_nano);
    out.push(b'"');
}

impl EventWriter {
    /// A writer whose first event gets `seq` 1.
    pub fn new() -> EventWriter {
        EventWriter::default()
    }

    /// A writer going on after `written` events (a driver restored from a snapshot): its next
    /// event gets `seq` `written + 1`.
    pub fn resuming_after(written: u64) -> EventWriter {
        EventWriter { seq: written }
    }

    /// Events written so far.
    pub fn written(&self) -> u64 {
        self.seq
    }

    /// Appends `event`, which happened at `ts_ms`, as one line with its newline.
    pub fn write(
        &mut self,
        out: &mut Vec<u8>,
        ts_ms: u64,
        event: &Event,
        ids: &impl IdLookup,
        reject: RejectContext<'_>,
    ) {
        self.seq += 1;
        out.extend_from_slice(b"{\"seq\":");
        push_u64(out, self.seq);
        out.extend_from_slice(b",\"ts\":");
        push_u64(out, ts_ms);
        out.extend_from_slice(b",\"type\":");
        match *event {
            Event::Accepted { order } => {
                out.extend_from_slice(b"\"accepted\",\"id\":");
                push_json_str(out, ids.order_id(order));
            }
            Event::Rejected { reason } => {
                out.extend_from_slice(b"\"rejected\",\"id\":");
                match reject.id {
                    Some(id) => push_json_str(out, &echo(id)),
                    None => out.extend_from_slice(b"null"),
                }
                match reject.line {
                    Some(line) => {
                        let _ = write!(out, ",\"line\":{line}");
                    }
                    None => out.extend_from_slice(b",\"line\":null"),
                }
                let _ = write!(out, ",\"reason\":\"{}\",\"detail\":", reason.code());
                push_json_str(out, &echo(reject.detail.unwrap_or(reason.describe())));
            }
            Event::Deal(deal) => {
                out.extend_from_slice(b"\"deal\",\"deal\":");
                push_u64(out, deal.deal);
                out.extend_from_slice(b",\"bid\":");
                push_json_str(out, ids.order_id(deal.bid));
                out.extend_from_slice(b",\"ask\":");
                push_json_str(out, ids.order_id(deal.ask));
                out.extend_from_slice(b",\"requester\":");
                push_owner(out, deal.requester);
                out.extend_from_slice(b",\"provider\":");
                push_owner(out, deal.provider);
                out.extend_from_slice(b",\"qty\":");
                push_u64(out, deal.qty);
                out.extend_from_slice(b",\"price\":");
                push_price(out, deal.price_nano);
                out.extend_from_slice(b",\"start\":");
                push_u64(out, deal.start_ms);
                out.extend_from_slice(b",\"end\":");
                push_u64(out, deal.end_ms);
            }
            Event::Cancelled { order, remaining, reason } => {
                out.extend_from_slice(b"\"cancelled\",\"id\":");
                push_json_str(out, ids.order_id(order));
                out.extend_from_slice(b",\"remaining\":");
                push_u64(out, remaining);
                out.extend_from_slice(b",\"reason\":");
                push_json_str(out, reason.code());
            }
            Event::Expired { order, remaining } => {
                out.extend_from_slice(b"\"expired\",\"id\":");
                push_json_str(out, ids.order_id(order));
                out.extend_from_slice(b",\"remaining\":");
                push_u64(out, remaining);
            }
            Event::Reference { class, price_nano, repriced } => {
                out.extend_from_slice(b"\"reference\",\"class\":");
                match ids.class_name(class) {
                    Some(name) => push_json_str(out, name),
                    None => push_json_str(out, &format!("#{}", class.0)),
                }
                out.extend_from_slice(b",\"price\":");
                push_price(out, price_nano);
                out.extend_from_slice(b",\"repriced\":");
                push_u64(out, repriced);
            }
        }
        out.extend_from_slice(b"}\n");
    }
}

/// Writes an owner as a JSON string, `"0x"` and 40 lower-case hex digits, as `Owner`'s
/// `Display` does, without its 20 formatter calls.
fn push_owner(out: &mut Vec<u8>, owner: crate::owner::Owner) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\"0x");
    for byte in owner.0 {
        out.push(HEX[usize::from(byte >> 4)]);
        out.push(HEX[usize::from(byte & 0x0f)]);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings go out escaped exactly as serde_json escapes them, whether or not they take the
    /// copy-as-is path.
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for text in ["o1", "", "a\"b", "back\\slash", "tab\there", "\u{7f}del", "é ü", "\u{1}"] {
            let mut out = Vec::new();
            push_json_str(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn echoed_text_is_bounded_and_cut_on_a_character_boundary() {
        assert_eq!(echo("short"), "short");
        let long = "é".repeat(1000);
        let echoed = echo(&long);
        assert!(echoed.len() < ECHO_LEN_MAX + 20, "{}", echoed.len());
        assert!(echoed.ends_with("… (2000 bytes)"));
    }
}
