//! The one-parse path for commands that carry no signature to check: those sent on a session
//! (the session's signed request proves them) and those of a node run with `--auth none`.
//!
//! Such a command goes from the client's bytes straight into the decoder — the very check the
//! matching thread will make — and its journal body is the decoded command written back by the
//! order stream's own encoder (plus the session's proof), instead of a tree of JSON values
//! built, edited and written out again. Anything this path does not take in one go — a
//! signature, a `ts` or `session` of the client's own, a command that does not decode, an
//! owner that is not the session's — goes the general way (`commands::prepare_as`), which
//! gives every refusal its exact answer; so the answer to a command never depends on the path.

use gridbook_matcher::stream::{encode_command, Decoder};
use gridbook_matcher::Command;

use super::commands::Prepared;
use super::error::ApiError;
use super::sessions::{now_ms, Grant};
use super::AppState;
use crate::config::AuthMode;

/// Byte patterns that send a command the general way: a field this path does not handle, or a
/// string that merely looks like one (harmless: that command just takes the longer path).
const GENERAL_WAY: [&[u8]; 3] = [b"\"sig\"", b"\"session\"", b"\"ts\""];

/// `Some` when `raw` (one command object as the client sent it) took this path: prepared, or
/// refused because its session has run out; `None` sends it the general way.
pub fn prepare(
    state: &AppState,
    raw: &str,
    session: Option<&Grant>,
) -> Option<Result<Prepared, ApiError>> {
    if session.is_none() && state.config.auth != AuthMode::None {
        return None;
    }
    let bytes = raw.as_bytes();
    let general = GENERAL_WAY.iter().any(|pattern| memchr::memmem::find(bytes, pattern).is_some());
    if general || bytes.first() != Some(&b'{') {
        return None;
    }
    let line = format!("{{\"ts\":0,{}", &raw[1..]);
    let mut decoder = Decoder::new();
    let (_, command) = decoder.decode(line.as_bytes()).ok()?;
    let (op, id, owner) = match &command {
        Command::Ask(ask) => ("ask", &ask.id, ask.owner),
        Command::Bid(bid) => ("bid", &bid.id, bid.owner),
        Command::Cancel(cancel) => ("cancel", &cancel.id, cancel.owner),
        Command::Tick | Command::Reference { .. } => return None,
    };
    if let Some(session) = session {
        if owner.0 != session.owner.0 .0 {
            return None;
        }
        if let Err(expired) = session.check_live(now_ms()) {
            return Some(Err(expired));
        }
    }
    let encoded = encode_command(decoder.symbols(), 0, &command);
    let fields = encoded.strip_prefix("{\"ts\":0,").expect("an encoded command starts with its ts");
    let body = match session {
        Some(session) => {
            let fields = fields.strip_suffix('}').expect("an encoded command is an object");
            format!("{{{fields},\"session\":{}}}", session.proof_json)
        }
        None => format!("{{{fields}"),
    };
    Some(Ok(Prepared::new(body, (op.to_owned(), id.clone()), owner.to_string())))
}
