//! The order stream (JSON Lines in, JSON Lines out) around the engine: decoding commands
//! ([`decode_line`]), encoding commands and events, writing a step's events with the tallies
//! ([`StepWriter`]), and [`Replay`], which drives an unpriced engine line by line.
//!
//! Pure transformations of bytes: reading files and writing output is the caller's job.

mod decode;
mod encode;
mod replay;
mod step_writer;
mod wire;

pub use decode::{decode_line, DecodeError, Decoder};
pub use encode::{encode_command, EventWriter, RejectContext};
pub use replay::Replay;
pub use step_writer::{ReplayStats, StepSource, StepWriter};
