//! The order stream (JSON Lines in, JSON Lines out) around the engine: decoding commands
//! ([`decode_line`]), encoding commands and events, reading events back ([`EventLine`]), writing a step's events with the tallies
//! ([`StepWriter`]), and [`Replay`], which drives an unpriced engine line by line.
//!
//! Lines are read by a hand-written reader ([`scan`]) where they have the plain shape real
//! streams have, and by serde otherwise; both give the same answer (`decode.rs` pins it).
//!
//! Pure transformations of bytes: reading files and writing output is the caller's job.

mod decode;
mod encode;
mod event_line;
mod remap;
mod replay;
mod scan;
mod step_writer;
mod wire;

pub use decode::{decode_line, decode_paths_agree, DecodeError, Decoder};
pub use encode::{encode_command, EventWriter, RejectContext};
pub use event_line::EventLine;
pub use remap::BatchNames;
pub use replay::Replay;
pub use step_writer::{ReplayStats, StepSource, StepWriter};
