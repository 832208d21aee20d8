//! Writing commands and events as JSON lines.
//!
//! Event lines are written by hand in a fixed field order (`seq`, `ts`, `type`, then the
//! event's fields), so the same events always give the same bytes. Strings go through
//! serde_json's escaping.

use std::io::Write;

use super::wire::{
    WireAsk, WireBid, WireCancel, WireHardware, WirePeg, WireReference, WireRequirements, WireTick,
    WireTif,
};
use crate::command::{Command, Price, Tif};
use crate::event::{Event, IdLookup};
use crate::hardware::{Hardware, Requirements, Sym};
use crate::money::{format_nano, format_offset_nano};
use crate::symbols::Symbols;

fn wire_tif(tif: Tif) -> WireTif {
    match tif {
        Tif::Gtc => WireTif::Gtc,
        Tif::Ioc => WireTif::Ioc,
        Tif::Fok => WireTif::Fok,
        Tif::Post => WireTif::Post,
    }
}

fn names(symbols: &Symbols, syms: &[Sym]) -> Vec<String> {
    syms.iter().map(|&sym| symbols.name(sym).to_string()).collect()
}

fn wire_hardware(symbols: &Symbols, hw: &Hardware) -> WireHardware {
    WireHardware {
        cpu: hw.cpu,
        mem: hw.mem_gib,
        gpu: hw.gpu.map(|sym| symbols.name(sym).to_string()),
        gpus: hw.gpus,
        gpu_mem: hw.gpu_mem_gib,
        tee: hw.tee.map(|sym| symbols.name(sym).to_string()),
        region: symbols.name(hw.region).to_string(),
    }
}

fn wire_requirements(symbols: &Symbols, req: &Requirements) -> WireRequirements {
    WireRequirements {
        cpu: req.cpu,
        mem: req.mem_gib,
        gpu: names(symbols, &req.gpu),
        gpus: req.gpus,
        gpu_mem: req.gpu_mem_gib,
        tee: req.tee.map(|sym| symbols.name(sym).to_string()),
        regions: names(symbols, &req.regions),
    }
}

/// A price as the wire has it: the fixed text, or the peg.
fn wire_price(symbols: &Symbols, price: &Price) -> (Option<String>, Option<WirePeg>) {
    match price {
        Price::Fixed(price_nano) => (Some(format_nano(*price_nano)), None),
        Price::Pegged(peg) => (
            None,
            Some(WirePeg {
                class: symbols.name(peg.class).to_string(),
                offset: format_offset_nano(peg.offset_nano),
                limit: format_nano(peg.limit_nano),
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
                id: ask.id.clone(),
                owner: ask.owner.to_string(),
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
                id: bid.id.clone(),
                owner: bid.owner.to_string(),
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
            id: cancel.id.clone(),
            owner: cancel.owner.to_string(),
            sig: None,
            session: None,
        }),
        Command::Tick => serde_json::to_string(&WireTick { ts: ts_ms, op: "tick".into() }),
        Command::Reference { class, price_nano } => serde_json::to_string(&WireReference {
            ts: ts_ms,
            op: "reference".into(),
            class: symbols.name(*class).to_string(),
            price: format_nano(*price_nano),
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

fn push_json_str(out: &mut Vec<u8>, text: &str) {
    // Writing a &str into a Vec<u8> cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
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
        let _ = write!(out, "{{\"seq\":{},\"ts\":{ts_ms},\"type\":", self.seq);
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
                let _ = write!(out, "\"deal\",\"deal\":{},\"bid\":", deal.deal);
                push_json_str(out, ids.order_id(deal.bid));
                out.extend_from_slice(b",\"ask\":");
                push_json_str(out, ids.order_id(deal.ask));
                out.extend_from_slice(b",\"requester\":");
                push_owner(out, deal.requester);
                out.extend_from_slice(b",\"provider\":");
                push_owner(out, deal.provider);
                let _ = write!(
                    out,
                    ",\"qty\":{},\"price\":\"{}\",\"start\":{},\"end\":{}",
                    deal.qty,
                    format_nano(deal.price_nano),
                    deal.start_ms,
                    deal.end_ms
                );
            }
            Event::Cancelled { order, remaining, reason } => {
                out.extend_from_slice(b"\"cancelled\",\"id\":");
                push_json_str(out, ids.order_id(order));
                let _ = write!(out, ",\"remaining\":{remaining},\"reason\":\"{}\"", reason.code());
            }
            Event::Expired { order, remaining } => {
                out.extend_from_slice(b"\"expired\",\"id\":");
                push_json_str(out, ids.order_id(order));
                let _ = write!(out, ",\"remaining\":{remaining}");
            }
            Event::Reference { class, price_nano, repriced } => {
                out.extend_from_slice(b"\"reference\",\"class\":");
                match ids.class_name(class) {
                    Some(name) => push_json_str(out, name),
                    None => push_json_str(out, &format!("#{}", class.0)),
                }
                let price = format_nano(price_nano);
                let _ = write!(out, ",\"price\":\"{price}\",\"repriced\":{repriced}");
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

    #[test]
    fn echoed_text_is_bounded_and_cut_on_a_character_boundary() {
        assert_eq!(echo("short"), "short");
        let long = "é".repeat(1000);
        let echoed = echo(&long);
        assert!(echoed.len() < ECHO_LEN_MAX + 20, "{}", echoed.len());
        assert!(echoed.ends_with("… (2000 bytes)"));
    }
}
