//! Decoding one line of the order stream into a timed [`Command`].
//!
//! Everything the engine cannot represent is refused here with a reason and a detail that names
//! the field: malformed JSON, unknown or missing fields, wrong types, prices that are not exact in
//! nano-units, bad owner addresses, over-long names. Range checks on numbers are the engine's
//! (they hold for commands built in code too).

use super::scan;
use super::wire::{
    WireAsk, WireBid, WireCancel, WireHardware, WireIdOnly, WireOp, WirePeg, WireReference,
    WireRequirements, WireTick, WireTif,
};
use crate::command::{Ask, Bid, Cancel, Command, Peg, Price, Tif};
use crate::event::RejectReason;
use crate::hardware::{Hardware, Requirements, Sym};
use crate::limits::NAME_LEN_MAX;
use crate::money::{parse_offset_nano, parse_price_nano, PriceError};
use crate::owner::Owner;
use crate::symbols::Symbols;

/// A line that could not become a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", reason.code())]
pub struct DecodeError {
    /// The rejection reason.
    pub reason: RejectReason,
    /// What exactly is wrong, naming the field.
    pub detail: String,
    /// The line's `id`, when one could be read.
    pub id: Option<String>,
}

/// Turns lines into commands, interning names into its [`Symbols`] table (a new name beyond its
/// `names_max` is refused with `capacity`).
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    symbols: Symbols,
}

fn field_error(reason: RejectReason, detail: impl Into<String>) -> DecodeError {
    DecodeError { reason, detail: detail.into(), id: None }
}

fn classify(error: &serde_json::Error) -> RejectReason {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => RejectReason::MalformedJson,
        Category::Data => {
            let message = error.to_string();
            if message.starts_with("unknown field") {
                RejectReason::UnknownField
            } else if message.starts_with("missing field") {
                RejectReason::MissingField
            } else {
                RejectReason::BadField
            }
        }
    }
}

/// A price error as a rejection: text that is no decimal is a `bad_field`, a decimal the
/// engine cannot hold exactly is a `bad_price`.
fn price_error(error: PriceError, field: &str) -> DecodeError {
    let reason = match error {
        PriceError::NotDecimal(_) => RejectReason::BadField,
        _ => RejectReason::BadPrice,
    };
    field_error(reason, format!("{field}: {error}"))
}

fn price(text: &str, field: &str) -> Result<u64, DecodeError> {
    parse_price_nano(text).map_err(|error| price_error(error, field))
}

fn owner(text: &str) -> Result<Owner, DecodeError> {
    Owner::parse(text).map_err(|error| field_error(RejectReason::BadOwner, error.to_string()))
}

fn tif(tif: WireTif) -> Tif {
    match tif {
        WireTif::Gtc => Tif::Gtc,
        WireTif::Ioc => Tif::Ioc,
        WireTif::Fok => Tif::Fok,
        WireTif::Post => Tif::Post,
    }
}

/// The value of the first `"op":"…"` in `line`, read off its bytes (a guess, which the typed
/// parse confirms).
fn op_of(line: &[u8]) -> Option<&[u8]> {
    const KEY: &[u8] = b"\"op\":\"";
    let start = memchr::memmem::find(line, KEY)? + KEY.len();
    let len = memchr::memchr(b'"', &line[start..])?;
    Some(&line[start..start + len])
}

fn check_name(name: &str, field: &str) -> Result<(), DecodeError> {
    if name.is_empty() || name.len() > NAME_LEN_MAX {
        let detail = format!("{field}: names are 1 to {NAME_LEN_MAX} bytes, got {}", name.len());
        return Err(field_error(RejectReason::BadHardware, detail));
    }
    Ok(())
}

impl Decoder {
    /// A decoder with an empty name table.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// A decoder whose name table takes at most `names_max` names from input.
    pub fn with_names_max(names_max: usize) -> Decoder {
        Decoder { symbols: Symbols::with_names_max(names_max) }
    }

    /// Forgets the names interned since `mark` (the line they came from was rejected).
    pub fn rollback(&mut self, mark: crate::SymbolsMark) {
        self.symbols.rollback(mark);
    }

    /// The names interned so far.
    pub fn symbols(&self) -> &Symbols {
        &self.symbols
    }

    /// The symbol of `name`, interned if new.
    pub fn intern(&mut self, name: &str) -> Sym {
        self.symbols.intern(name)
    }

    /// Decodes one line (without its newline) into `(ts, command)`.
    pub fn decode(&mut self, line: &[u8]) -> Result<(u64, Command), DecodeError> {
        decode_line(&mut self.symbols, line)
    }
}

/// Decodes one line (without its newline) into `(ts, command)`, interning its names into
/// `symbols` (for a driver that keeps the name table beside its engine rather than in a
/// [`Decoder`]). A new name beyond the table's `names_max` is refused with `capacity`.
pub fn decode_line(symbols: &mut Symbols, line: &[u8]) -> Result<(u64, Command), DecodeError> {
    Reading { symbols, trace: None }.decode(line)
}

/// [`decode_line`], appending every symbol it interns to `trace`, in order (for
/// [`super::remap`]).
pub(crate) fn decode_line_traced(
    symbols: &mut Symbols,
    line: &[u8],
    trace: &mut Vec<Sym>,
) -> Result<(u64, Command), DecodeError> {
    Reading { symbols, trace: Some(trace) }.decode(line)
}

/// Whether the fast paths (the hand-written reader, serde's one-parse) and the two-step serde
/// path decode `line` alike: the same command or the same error, the same names interned. For
/// the fuzz target `decode`, which holds this on any bytes; not an API.
#[doc(hidden)]
pub fn decode_paths_agree(line: &[u8]) -> bool {
    let (mut fast, mut slow) = (Symbols::new(), Symbols::new());
    let by_fast = Reading { symbols: &mut fast, trace: None }.decode(line);
    let by_slow = Reading { symbols: &mut slow, trace: None }.decode_slow(line);
    by_fast == by_slow && fast.len() == slow.len()
}

/// One line being read, with the name table its names go into.
struct Reading<'a> {
    symbols: &'a mut Symbols,
    /// Where to note each symbol interned, if anywhere.
    trace: Option<&'a mut Vec<Sym>>,
}

impl Reading<'_> {
    fn decode(&mut self, line: &[u8]) -> Result<(u64, Command), DecodeError> {
        if let Some(decoded) = self.decode_fast(line) {
            return decoded;
        }
        self.decode_slow(line)
    }

    /// One pass instead of two for a line whose op can be read off its bytes: the hand-written
    /// reader ([`super::scan`]) first, then serde's typed parse of that very op. `None` when
    /// neither works out, and the two-step path then gives exactly the error it always gave; a
    /// line either of them reads, the two-step path reads the same, so the answer never
    /// depends on which path took the line. The node decodes every command twice (gateway
    /// check, matching thread), and a replay every line, so this is the codec's hot path.
    fn decode_fast(&mut self, line: &[u8]) -> Option<Result<(u64, Command), DecodeError>> {
        let op = op_of(line)?;
        let (ts, id, decoded) = match op {
            b"ask" => {
                let ask = scan::ask(line).or_else(|| {
                    serde_json::from_slice::<WireAsk>(line).ok().filter(|a| a.op == "ask")
                })?;
                (ask.ts, ask.id.clone(), self.ask(&ask).map(Command::Ask))
            }
            b"bid" => {
                let bid = scan::bid(line).or_else(|| {
                    serde_json::from_slice::<WireBid>(line).ok().filter(|b| b.op == "bid")
                })?;
                (bid.ts, bid.id.clone(), self.bid(&bid).map(Command::Bid))
            }
            b"cancel" => {
                let cancel = scan::cancel(line)?;
                (cancel.ts, cancel.id.clone(), self.cancel(&cancel).map(Command::Cancel))
            }
            _ => return None,
        };
        Some(
            decoded
                .map(|command| (ts, command))
                .map_err(|error| DecodeError { id: Some(id.into_owned()), ..error }),
        )
    }

    fn decode_slow(&mut self, line: &[u8]) -> Result<(u64, Command), DecodeError> {
        let first = line.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            let detail = "a command is one JSON object per line".to_string();
            return Err(DecodeError { reason: RejectReason::MalformedJson, detail, id: None });
        }
        let fail = |error: serde_json::Error| DecodeError {
            reason: classify(&error),
            detail: error.to_string(),
            id: recover_id(line),
        };
        let op: WireOp<'_> = serde_json::from_slice(line).map_err(fail)?;
        let (ts, id, decoded) = match op.op.as_ref() {
            "ask" => {
                let ask: WireAsk = serde_json::from_slice(line).map_err(fail)?;
                (ask.ts, Some(ask.id.to_string()), self.ask(&ask).map(Command::Ask))
            }
            "bid" => {
                let bid: WireBid = serde_json::from_slice(line).map_err(fail)?;
                (bid.ts, Some(bid.id.to_string()), self.bid(&bid).map(Command::Bid))
            }
            "cancel" => {
                let cancel: WireCancel = serde_json::from_slice(line).map_err(fail)?;
                (cancel.ts, Some(cancel.id.to_string()), self.cancel(&cancel).map(Command::Cancel))
            }
            "tick" => {
                let tick: WireTick = serde_json::from_slice(line).map_err(fail)?;
                (tick.ts, None, Ok(Command::Tick))
            }
            "reference" => {
                let reference: WireReference = serde_json::from_slice(line).map_err(fail)?;
                (reference.ts, None, self.reference(&reference))
            }
            other => {
                let detail =
                    format!("unknown op {other:?}, expected ask, bid, cancel, tick or reference");
                return Err(DecodeError {
                    reason: RejectReason::BadField,
                    detail,
                    id: recover_id(line),
                });
            }
        };
        decoded.map(|command| (ts, command)).map_err(|error| DecodeError { id, ..error })
    }

    fn cancel(&mut self, cancel: &WireCancel) -> Result<Cancel, DecodeError> {
        Ok(Cancel { id: cancel.id.to_string(), owner: owner(&cancel.owner)? })
    }

    fn ask(&mut self, ask: &WireAsk) -> Result<Ask, DecodeError> {
        let owner = owner(&ask.owner)?;
        let price = self.order_price(ask.price.as_deref(), ask.peg.as_ref(), "price")?;
        let hw = self.hardware(&ask.hw)?;
        Ok(Ask {
            id: ask.id.to_string(),
            owner,
            price,
            qty: ask.qty,
            tif: tif(ask.tif),
            hw,
            from_ms: ask.from,
            until_ms: ask.until,
            expires_ms: ask.expires,
        })
    }

    fn bid(&mut self, bid: &WireBid) -> Result<Bid, DecodeError> {
        let owner = owner(&bid.owner)?;
        let limit = self.order_price(bid.limit.as_deref(), bid.peg.as_ref(), "limit")?;
        let req = self.requirements(&bid.req)?;
        Ok(Bid {
            id: bid.id.to_string(),
            owner,
            limit,
            qty: bid.qty,
            tif: tif(bid.tif),
            req,
            duration_ms: bid.duration,
            not_before_ms: bid.not_before,
            deadline_ms: bid.deadline,
            expires_ms: bid.expires,
        })
    }

    /// An order's price: exactly one of the fixed `field` (`price` or `limit`) and `peg`.
    fn order_price(
        &mut self,
        fixed: Option<&str>,
        peg: Option<&WirePeg>,
        field: &str,
    ) -> Result<Price, DecodeError> {
        match (fixed, peg) {
            (Some(text), None) => Ok(Price::Fixed(price(text, field)?)),
            (None, Some(peg)) => Ok(Price::Pegged(self.peg(peg)?)),
            (None, None) => {
                let detail =
                    format!("missing field `{field}` or `peg`: an order needs exactly one");
                Err(field_error(RejectReason::MissingField, detail))
            }
            (Some(_), Some(_)) => {
                let detail =
                    format!("`{field}` and `peg` both given: an order has exactly one of the two");
                Err(field_error(RejectReason::BadField, detail))
            }
        }
    }

    fn peg(&mut self, peg: &WirePeg) -> Result<Peg, DecodeError> {
        let offset_nano =
            parse_offset_nano(&peg.offset).map_err(|error| price_error(error, "peg.offset"))?;
        let limit_nano = price(&peg.limit, "peg.limit")?;
        let class = self.class(&peg.class, "peg.class")?;
        Ok(Peg { class, offset_nano, limit_nano, units: 1 })
    }

    /// A class name: 1 to 64 bytes, like other names, but a bad one is a `bad_field` (a class
    /// is not hardware).
    fn class(&mut self, name: &str, field: &str) -> Result<Sym, DecodeError> {
        check_name(name, field)
            .map_err(|error| DecodeError { reason: RejectReason::BadField, ..error })?;
        self.intern_input(name)
    }

    /// A name from input, within the table's bound.
    fn intern_input(&mut self, name: &str) -> Result<Sym, DecodeError> {
        let sym = self.symbols.intern_bounded(name).ok_or_else(|| {
            let bound = crate::event::Bound::NamesMax;
            field_error(RejectReason::Capacity(bound), bound.detail(self.symbols.names_max()))
        })?;
        if let Some(trace) = self.trace.as_deref_mut() {
            trace.push(sym);
        }
        Ok(sym)
    }

    fn reference(&mut self, reference: &WireReference) -> Result<Command, DecodeError> {
        let price_nano = price(&reference.price, "price")?;
        let class = self.class(&reference.class, "class")?;
        Ok(Command::Reference { class, price_nano })
    }

    fn name(&mut self, name: &str, field: &str) -> Result<Sym, DecodeError> {
        check_name(name, field)?;
        self.intern_input(name)
    }

    fn optional_name(
        &mut self,
        name: &Option<super::wire::Text<'_>>,
        field: &str,
    ) -> Result<Option<Sym>, DecodeError> {
        name.as_deref().map(|name| self.name(name, field)).transpose()
    }

    fn names(
        &mut self,
        names: &[super::wire::Text<'_>],
        field: &str,
    ) -> Result<Vec<Sym>, DecodeError> {
        if names.len() > crate::limits::LIST_LEN_MAX {
            let detail = format!("{field}: at most {} entries", crate::limits::LIST_LEN_MAX);
            return Err(field_error(RejectReason::BadHardware, detail));
        }
        names.iter().map(|name| self.name(name, field)).collect()
    }

    fn hardware(&mut self, hw: &WireHardware) -> Result<Hardware, DecodeError> {
        Ok(Hardware {
            cpu: hw.cpu,
            mem_gib: hw.mem,
            gpu: self.optional_name(&hw.gpu, "hw.gpu")?,
            gpus: hw.gpus,
            gpu_mem_gib: hw.gpu_mem,
            tee: self.optional_name(&hw.tee, "hw.tee")?,
            region: self.name(&hw.region, "hw.region")?,
        })
    }

    fn requirements(&mut self, req: &WireRequirements) -> Result<Requirements, DecodeError> {
        let gpu = self.names(&req.gpu, "req.gpu")?;
        let tee = self.optional_name(&req.tee, "req.tee")?;
        let regions = self.names(&req.regions, "req.regions")?;
        Ok(Requirements::new(req.cpu, req.mem, gpu, req.gpus, req.gpu_mem, tee, regions))
    }
}

/// The `id` of a line that failed to decode, if it has a readable one.
fn recover_id(line: &[u8]) -> Option<String> {
    let loose: WireIdOnly = serde_json::from_slice(line).ok()?;
    match loose.id? {
        serde_json::Value::String(id) => Some(id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::encode_command;
    use crate::workload::{Workload, WorkloadConfig};

    /// Lines of a generated market with pegged orders, and damaged copies of them: an op
    /// swapped for another, a field renamed, the line cut short, the op spelled in a string,
    /// and the shapes the hand-written reader must hand to serde (escapes, duplicates,
    /// whitespace, nulls, signs, fractions, exponents, leading zeros, overflow, wrong types,
    /// trailing bytes, reordered keys, non-ASCII).
    fn lines() -> Vec<Vec<u8>> {
        let config =
            WorkloadConfig { resting: 200, orders: 800, pegged_percent: 30, ..Default::default() };
        let mut workload = Workload::new(config);
        let commands: Vec<(u64, Command)> = workload.by_ref().collect();
        let mut lines = Vec::new();
        for (ts, command) in &commands {
            let line = encode_command(workload.symbols(), *ts, command);
            let mut damaged = vec![
                line.replace("\"op\":\"ask\"", "\"op\":\"bid\""),
                line.replace("\"op\":\"bid\"", "\"op\":\"ask\""),
                line.replace("\"qty\"", "\"qtty\""),
                line.replace("\"id\":\"", "\"id\":\"\\\"op\\\":\\\"ask\\\""),
                line[..line.len() / 2].to_owned(),
                line.replace("\"owner\":\"0x", "\"owner\":\"0y"),
                line.replace(",\"", " ,\t\"").replace(":", " : "),
                format!(" {line}\r\n "),
                line.replace("\"qty\":", "\"qty\":0"),
                line.replace("\"qty\":", "\"qty\":-"),
                line.replace("\"ts\":", "\"ts\":99999999999999999999"),
                line.replace("\"cpu\":", "\"cpu\":4294967296"),
                line.replace(",\"tif\"", ",\"qty\":1.0,\"tif\""),
                line.replace("\"qty\":1", "\"qty\":1e0"),
                line.replace("\"qty\":1", "\"qty\":1.5"),
                line.replace("\"tee\":null", "\"tee\":nul"),
                line.replace("\"tee\":null", "\"tee\":\"sgx\""),
                line.replace(",\"tee\":null", ""),
                line.replace("\"gpu\":[", "\"gpu\":[[],"),
                line.replace("\"gpu\":[]", "\"gpu\":null"),
                line.replace("\"regions\":[", "\"regions\":[\"r\\u00e9\","),
                line.replace("\"regions\":[", "\"regions\":[\"ré\","),
                line.replace("\"tif\":\"gtc\"", "\"tif\":{\"gtc\":null}"),
                line.replace("\"tif\":\"gtc\"", "\"tif\":\"GTC\""),
                line.replace("\"price\":\"", "\"price\":null,\"x\":\""),
                line.replace("\"price\":", "\"price\":null,\"price\":"),
                line.replace("\"limit\":\"", "\"limit\":\"1\",\"limit\":\""),
                line.replace("\"limit\":\"", "\"expires\":null,\"limit\":\""),
                line.replace("\"limit\":\"", "\"sig\":\"0xab\",\"limit\":\""),
                line.replace(
                    "\"owner\"",
                    "\"session\":{\"expires\":1,\"nonce\":\"n\",\"sig\":\"s\"},\"owner\"",
                ),
                line.replace("\"owner\"", "\"session\":{\"expires\":1,\"nonce\":\"n\"},\"owner\""),
                line.replace("\"offset\":\"", "\"offset\":\"+"),
                line.replace("}", "},"),
                format!("{line}x"),
                format!("{line}{{}}"),
                line.replacen("{", "{\"ts\":1,", 1),
            ];
            // The same members in another order.
            if let Some(rest) = line.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
                let (first, others) = rest.split_once(',').unwrap_or((rest, ""));
                damaged.push(format!("{{{others},{first}}}"));
            }
            lines.extend(damaged);
            lines.push(line);
        }
        lines.into_iter().map(String::into_bytes).collect()
    }

    /// The single rule of the fast paths: a line decodes to exactly what the two-step serde
    /// path gives (the same command, or the same error and detail), with the same names
    /// interned.
    fn assert_paths_agree(fast: &mut Decoder, slow: &mut Symbols, line: &[u8]) {
        let expected = Reading { symbols: slow, trace: None }.decode_slow(line);
        assert_eq!(fast.decode(line), expected, "{}", String::from_utf8_lossy(line));
        assert_eq!(fast.symbols().len(), slow.len(), "the same names are interned");
    }

    #[test]
    fn the_one_parse_path_decodes_every_line_as_the_two_step_path_does() {
        let (mut fast, mut slow) = (Decoder::new(), Symbols::new());
        let (mut took_fast, mut scanned) = (0, 0);
        for line in lines() {
            let mut probe = fast.symbols().clone();
            took_fast += usize::from(
                Reading { symbols: &mut probe, trace: None }.decode_fast(&line).is_some(),
            );
            let by_hand = match op_of(&line) {
                Some(b"ask") => scan::ask(&line).is_some(),
                Some(b"bid") => scan::bid(&line).is_some(),
                Some(b"cancel") => scan::cancel(&line).is_some(),
                _ => false,
            };
            scanned += usize::from(by_hand);
            assert_paths_agree(&mut fast, &mut slow, &line);
        }
        assert!(took_fast > 1_000, "most asks and bids take the one-parse path: {took_fast}");
        assert!(scanned > 1_000, "most lines are read by hand, without serde: {scanned}");
    }

    /// Random byte edits of real lines (a byte replaced, inserted or removed, from an alphabet
    /// of JSON's structural characters, digits, escapes and non-ASCII) never make the paths
    /// disagree.
    #[test]
    fn random_byte_edits_never_make_the_decode_paths_disagree() {
        const ALPHABET: &[u8] = b"{}[]:,\"\\ 0123456789-+.eEnulltrsa\t\n\xc3\xa9\x01";
        let (mut fast, mut slow) = (Decoder::new(), Symbols::new());
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |bound: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % bound as u64) as usize
        };
        for line in lines().into_iter().step_by(7) {
            for _ in 0..12 {
                let mut edited = line.clone();
                for _ in 0..1 + next(3) {
                    let at = next(edited.len() + 1);
                    let byte = ALPHABET[next(ALPHABET.len())];
                    match next(3) {
                        0 if at < edited.len() => edited[at] = byte,
                        1 if at < edited.len() => {
                            edited.remove(at);
                        }
                        _ => edited.insert(at, byte),
                    }
                }
                assert_paths_agree(&mut fast, &mut slow, &edited);
            }
        }
    }
}
