//! What can go wrong while following a stream: input that is not what a node writes.

/// The feeds cannot follow their input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedsError {
    /// An event line is not one the node writes.
    #[error("event seq {seq}: {detail}")]
    Event {
        /// The event's seq (0 if it could not be read).
        seq: u64,
        /// What is wrong.
        detail: String,
    },
    /// A command line the engine accepted cannot be read, or is not an order.
    #[error("command seq {seq}: {detail}")]
    Command {
        /// The command's sequence number.
        seq: u64,
        /// What is wrong.
        detail: String,
    },
    /// The events disagree with what came before (an order never accepted, a quantity that
    /// is not the one the feeds hold): the events are not the engine's for this stream.
    #[error("event seq {seq}: {detail}")]
    Inconsistent {
        /// The event's seq.
        seq: u64,
        /// What disagrees.
        detail: String,
    },
    /// A bound of [`crate::FeedsConfig`] is reached.
    #[error("{key} = {value} reached: {what}")]
    Bound {
        /// The setting.
        key: &'static str,
        /// Its value.
        value: usize,
        /// What it counts.
        what: &'static str,
    },
}
