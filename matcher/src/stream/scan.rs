//! A hand-written reader for the lines the order stream almost always holds: one JSON object
//! per line, plain strings, integers — read straight into the wire structs, borrowing
//! every string from the line, with no intermediate tree and no copies.
//!
//! It is an accelerator, not a second definition of the format. Anything it does not expect —
//! an escape, a control character or invalid UTF-8 in a string, a duplicate, unknown or missing key, a number
//! with a sign, fraction or exponent, a `null` where it did not look for one, a nested value
//! of the wrong shape, trailing bytes — makes it give up (`None`), and serde's reader then
//! decides, with the error message it always gave. So whatever this reader accepts, serde
//! accepts with the same values (the rule `decode.rs`'s equivalence tests and the fuzz target
//! `decode_paths` pin); it only ever accepts less.

use std::borrow::Cow;

use super::wire::{
    Text, WireAsk, WireBid, WireCancel, WireHardware, WirePeg, WireRequirements, WireSession,
    WireTif,
};

/// Longest list of names read here; longer lists go to serde (which reads any length, and the
/// decoder then refuses them by its own limit).
const LIST_LEN_MAX: usize = 64;

/// A cursor over one line, checked as UTF-8 once: every string between two quotes is then a
/// slice of it, with no check per string.
struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

/// The keys seen in one object, to refuse duplicates and notice missing ones.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    /// Marks key number `bit`; `None` if it was already there (a duplicate).
    fn mark(&mut self, bit: u32) -> Option<()> {
        let mask = 1 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        Some(())
    }

    /// Whether every key in `required` was seen.
    fn has(&self, required: u32) -> Option<()> {
        (self.0 & required == required).then_some(())
    }
}

impl<'a> Scanner<'a> {
    /// `None` when the line is not UTF-8 (serde then names the error).
    fn new(line: &'a [u8]) -> Option<Scanner<'a>> {
        let text = std::str::from_utf8(line).ok()?;
        Some(Scanner { text, bytes: line, at: 0 })
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Skips JSON whitespace.
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Consumes `byte` after optional whitespace.
    fn eat(&mut self, byte: u8) -> Option<()> {
        self.ws();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Consumes `word` (a literal such as `null`) after optional whitespace, if it is next.
    fn eat_word(&mut self, word: &[u8]) -> bool {
        self.ws();
        let found = self.bytes[self.at..].starts_with(word);
        if found {
            self.at += word.len();
        }
        found
    }

    /// Only whitespace is left.
    fn end(&mut self) -> Option<()> {
        self.ws();
        (self.at == self.bytes.len()).then_some(())
    }

    /// The raw bytes of a string without escapes, and where they start.
    fn raw_str(&mut self) -> Option<(usize, usize)> {
        self.eat(b'"')?;
        let start = self.at;
        let len = quote_or_escape(&self.bytes[start..])?;
        if self.bytes[start + len] != b'"' {
            return None;
        }
        self.at = start + len + 1;
        Some((start, start + len))
    }

    /// A key: compared byte for byte with the expected names, so neither UTF-8 nor control
    /// characters need a look (a key with either matches no name, and serde decides).
    fn key(&mut self) -> Option<&'a [u8]> {
        let (start, end) = self.raw_str()?;
        Some(&self.bytes[start..end])
    }

    /// A string without escapes or control characters.
    fn str(&mut self) -> Option<&'a str> {
        let (start, end) = self.raw_str()?;
        // No early exit, so the check runs over whole words at a time.
        if self.bytes[start..end].iter().fold(false, |control, &b| control | (b < 0x20)) {
            return None;
        }
        // Both ends sit next to a quote, an ASCII byte, so they are character boundaries.
        self.text.get(start..end)
    }

    fn text(&mut self) -> Option<Text<'a>> {
        self.str().map(Cow::Borrowed)
    }

    /// `null`, or a string.
    fn nullable_text(&mut self) -> Option<Option<Text<'a>>> {
        if self.eat_word(b"null") {
            return Some(None);
        }
        self.text().map(Some)
    }

    /// A non-negative integer without sign, fraction, exponent or leading zero, within `u64`.
    fn u64(&mut self) -> Option<u64> {
        self.ws();
        let start = self.at;
        let mut value: u64 = 0;
        while let Some(byte @ b'0'..=b'9') = self.peek() {
            value = value.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?;
            self.at += 1;
        }
        let digits = self.at - start;
        if digits == 0 || (digits > 1 && self.bytes[start] == b'0') {
            return None;
        }
        // What serde would read on as part of the number (a fraction or an exponent).
        if let Some(b'.' | b'e' | b'E') = self.peek() {
            return None;
        }
        Some(value)
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.u64()?).ok()
    }

    /// A list of strings.
    fn texts(&mut self) -> Option<Vec<Text<'a>>> {
        self.eat(b'[')?;
        let mut texts = Vec::new();
        if self.eat(b']').is_some() {
            return Some(texts);
        }
        loop {
            if texts.len() == LIST_LEN_MAX {
                return None;
            }
            texts.push(self.text()?);
            self.ws();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(texts);
                }
                _ => return None,
            }
        }
    }

    /// Reads an object's members, calling `member` with each key (the cursor then sits before
    /// its value, which `member` reads).
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.key()?;
            self.eat(b':')?;
            member(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn tif(&mut self) -> Option<WireTif> {
        Some(match self.str()? {
            "gtc" => WireTif::Gtc,
            "ioc" => WireTif::Ioc,
            "fok" => WireTif::Fok,
            "post" => WireTif::Post,
            _ => return None,
        })
    }

    /// `price`/`limit`: a decimal string, or `null` (absent).
    fn optional_decimal(&mut self) -> Option<Option<Text<'a>>> {
        self.nullable_text()
    }

    fn hardware(&mut self) -> Option<WireHardware<'a>> {
        let mut seen = Seen::default();
        let (mut cpu, mut mem, mut gpus, mut gpu_mem) = (0, 0, 0, 0);
        let (mut gpu, mut tee, mut region) = (None, None, Cow::Borrowed(""));
        self.object(|s, key| {
            match key {
                b"cpu" => (seen.mark(0)?, cpu = s.u32()?),
                b"mem" => (seen.mark(1)?, mem = s.u32()?),
                b"gpu" => (seen.mark(2)?, gpu = s.nullable_text()?),
                b"gpus" => (seen.mark(3)?, gpus = s.u32()?),
                b"gpu_mem" => (seen.mark(4)?, gpu_mem = s.u32()?),
                b"tee" => (seen.mark(5)?, tee = s.nullable_text()?),
                b"region" => (seen.mark(6)?, region = s.text()?),
                _ => return None,
            };
            Some(())
        })?;
        seen.has(0b111_1111)?;
        Some(WireHardware { cpu, mem, gpu, gpus, gpu_mem, tee, region })
    }

    fn requirements(&mut self) -> Option<WireRequirements<'a>> {
        let mut seen = Seen::default();
        let (mut cpu, mut mem, mut gpus, mut gpu_mem) = (0, 0, 0, 0);
        let (mut gpu, mut tee, mut regions) = (Vec::new(), None, Vec::new());
        self.object(|s, key| {
            match key {
                b"cpu" => (seen.mark(0)?, cpu = s.u32()?),
                b"mem" => (seen.mark(1)?, mem = s.u32()?),
                b"gpu" => (seen.mark(2)?, gpu = s.texts()?),
                b"gpus" => (seen.mark(3)?, gpus = s.u32()?),
                b"gpu_mem" => (seen.mark(4)?, gpu_mem = s.u32()?),
                b"tee" => (seen.mark(5)?, tee = s.nullable_text()?),
                b"regions" => (seen.mark(6)?, regions = s.texts()?),
                _ => return None,
            };
            Some(())
        })?;
        seen.has(0b111_1111)?;
        Some(WireRequirements { cpu, mem, gpu, gpus, gpu_mem, tee, regions })
    }

    fn peg(&mut self) -> Option<WirePeg<'a>> {
        let mut seen = Seen::default();
        let (mut class, mut offset, mut limit) = (None, None, None);
        self.object(|s, key| {
            match key {
                b"class" => (seen.mark(0)?, class = Some(s.text()?)),
                b"offset" => (seen.mark(1)?, offset = Some(s.text()?)),
                b"limit" => (seen.mark(2)?, limit = Some(s.text()?)),
                _ => return None,
            };
            Some(())
        })?;
        Some(WirePeg { class: class?, offset: offset?, limit: limit? })
    }

    fn session(&mut self) -> Option<WireSession<'a>> {
        let mut seen = Seen::default();
        let (mut expires, mut nonce, mut sig) = (None, None, None);
        self.object(|s, key| {
            match key {
                b"expires" => (seen.mark(0)?, expires = Some(s.u64()?)),
                b"nonce" => (seen.mark(1)?, nonce = Some(s.text()?)),
                b"sig" => (seen.mark(2)?, sig = Some(s.text()?)),
                _ => return None,
            };
            Some(())
        })?;
        Some(WireSession { expires: expires?, nonce: nonce?, sig: sig? })
    }

    /// `op` must be exactly `want`: the caller guessed the op from the line's bytes.
    fn op(&mut self, want: &str) -> Option<Text<'a>> {
        self.text().filter(|op| op == want)
    }
}

/// Where the first `"` or `\\` of `bytes` is. Keys and most values are a few bytes long, too
/// short for a vectorised search to pay for its set-up: look at the first bytes one by one.
fn quote_or_escape(bytes: &[u8]) -> Option<usize> {
    const SHORT: usize = 16;
    let head = &bytes[..bytes.len().min(SHORT)];
    if let Some(at) = head.iter().position(|&b| b == b'"' || b == b'\\') {
        return Some(at);
    }
    memchr::memchr2(b'"', b'\\', &bytes[head.len()..]).map(|at| head.len() + at)
}

/// The members every signed command may carry: `sig` and `session` (key numbers 14 and 15).
fn signature<'a>(
    s: &mut Scanner<'a>,
    seen: &mut Seen,
    key: &[u8],
    sig: &mut Option<Text<'a>>,
    session: &mut Option<WireSession<'a>>,
) -> Option<()> {
    match key {
        b"sig" => (seen.mark(14)?, *sig = Some(s.text()?)),
        b"session" => (seen.mark(15)?, *session = Some(s.session()?)),
        _ => return None,
    };
    Some(())
}

/// An `ask` line, or `None` when serde must read it.
pub(crate) fn ask(line: &[u8]) -> Option<WireAsk<'_>> {
    let mut s = Scanner::new(line)?;
    let mut seen = Seen::default();
    let (mut ts, mut qty, mut from, mut until, mut expires) = (0, 0, 0, 0, None);
    let (mut op, mut id, mut owner) = (None, None, None);
    let (mut price, mut peg, mut tif, mut hw) = (None, None, None, None);
    let (mut sig, mut session) = (None, None);
    s.object(|s, key| {
        match key {
            b"ts" => (seen.mark(0)?, ts = s.u64()?),
            b"op" => (seen.mark(1)?, op = Some(s.op("ask")?)),
            b"id" => (seen.mark(2)?, id = Some(s.text()?)),
            b"owner" => (seen.mark(3)?, owner = Some(s.text()?)),
            b"price" => (seen.mark(4)?, price = s.optional_decimal()?),
            b"peg" => (seen.mark(5)?, peg = Some(s.peg()?)),
            b"qty" => (seen.mark(6)?, qty = s.u64()?),
            b"tif" => (seen.mark(7)?, tif = Some(s.tif()?)),
            b"hw" => (seen.mark(8)?, hw = Some(s.hardware()?)),
            b"from" => (seen.mark(9)?, from = s.u64()?),
            b"until" => (seen.mark(10)?, until = s.u64()?),
            b"expires" => (seen.mark(11)?, expires = Some(s.u64()?)),
            other => return signature(s, &mut seen, other, &mut sig, &mut session),
        };
        Some(())
    })?;
    s.end()?;
    // ts, qty, from and until have no default.
    seen.has(1 << 0 | 1 << 6 | 1 << 9 | 1 << 10)?;
    Some(WireAsk {
        ts,
        op: op?,
        id: id?,
        owner: owner?,
        price,
        peg,
        qty,
        tif: tif?,
        hw: hw?,
        from,
        until,
        expires,
        sig,
        session,
    })
}

/// A `bid` line, or `None` when serde must read it.
pub(crate) fn bid(line: &[u8]) -> Option<WireBid<'_>> {
    let mut s = Scanner::new(line)?;
    let mut seen = Seen::default();
    let (mut ts, mut qty, mut duration, mut not_before, mut deadline) = (0, 0, 0, 0, 0);
    let (mut op, mut id, mut owner, mut expires) = (None, None, None, None);
    let (mut limit, mut peg, mut tif, mut req) = (None, None, None, None);
    let (mut sig, mut session) = (None, None);
    s.object(|s, key| {
        match key {
            b"ts" => (seen.mark(0)?, ts = s.u64()?),
            b"op" => (seen.mark(1)?, op = Some(s.op("bid")?)),
            b"id" => (seen.mark(2)?, id = Some(s.text()?)),
            b"owner" => (seen.mark(3)?, owner = Some(s.text()?)),
            b"limit" => (seen.mark(4)?, limit = s.optional_decimal()?),
            b"peg" => (seen.mark(5)?, peg = Some(s.peg()?)),
            b"qty" => (seen.mark(6)?, qty = s.u64()?),
            b"tif" => (seen.mark(7)?, tif = Some(s.tif()?)),
            b"req" => (seen.mark(8)?, req = Some(s.requirements()?)),
            b"duration" => (seen.mark(9)?, duration = s.u64()?),
            b"not_before" => (seen.mark(10)?, not_before = s.u64()?),
            b"deadline" => (seen.mark(11)?, deadline = s.u64()?),
            b"expires" => (seen.mark(12)?, expires = Some(s.u64()?)),
            other => return signature(s, &mut seen, other, &mut sig, &mut session),
        };
        Some(())
    })?;
    s.end()?;
    seen.has(1 << 0 | 1 << 6 | 1 << 9 | 1 << 10 | 1 << 11)?;
    Some(WireBid {
        ts,
        op: op?,
        id: id?,
        owner: owner?,
        limit,
        peg,
        qty,
        tif: tif?,
        req: req?,
        duration,
        not_before,
        deadline,
        expires,
        sig,
        session,
    })
}

/// A `cancel` line, or `None` when serde must read it.
pub(crate) fn cancel(line: &[u8]) -> Option<WireCancel<'_>> {
    let mut s = Scanner::new(line)?;
    let mut seen = Seen::default();
    let (mut ts, mut op, mut id, mut owner) = (0, None, None, None);
    let (mut sig, mut session) = (None, None);
    s.object(|s, key| {
        match key {
            b"ts" => (seen.mark(0)?, ts = s.u64()?),
            b"op" => (seen.mark(1)?, op = Some(s.op("cancel")?)),
            b"id" => (seen.mark(2)?, id = Some(s.text()?)),
            b"owner" => (seen.mark(3)?, owner = Some(s.text()?)),
            other => return signature(s, &mut seen, other, &mut sig, &mut session),
        };
        Some(())
    })?;
    s.end()?;
    seen.has(1 << 0)?;
    Some(WireCancel { ts, op: op?, id: id?, owner: owner?, sig, session })
}
