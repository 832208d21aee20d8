//! The order stream (JSON Lines in, JSON Lines out) around the engine: decoding commands,
//! encoding commands and events, and [`Replay`], which drives an engine line by line.
//!
//! Pure transformations of bytes: reading files and writing output is the caller's job.

mod decode;
mod encode;
mod replay;
mod wire;

pub use decode::{DecodeError, Decoder};
pub use encode::{encode_command, EventWriter, RejectContext};
pub use replay::{Replay, ReplayStats};
