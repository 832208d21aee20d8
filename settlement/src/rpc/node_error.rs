//! A node's error answer, classified once into a [`NodeErrorKind`] (after reth's
//! `PoolErrorKind`), so that the rest of the client decides on kinds, never on message text.
//!
//! Nodes do not agree on error codes (geth answers `-32000` to nearly every refusal, anvil
//! `-32003`), so the kinds are told apart by the messages of geth, reth, Erigon, Besu,
//! Nethermind and anvil — here and only here, lower-cased, as listed in `PATTERNS`.

/// What a node's refusal means for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeErrorKind {
    /// The sender's nonce is already used by a mined transaction (geth "nonce too low", anvil
    /// "nonce too low", Nethermind "OldNonce").
    NonceTooLow,
    /// The node already has this very transaction (geth and reth "already known", anvil
    /// "transaction already imported", Nethermind "AlreadyKnown").
    AlreadyKnown,
    /// Another transaction of the sender waits at this nonce and this one does not raise the
    /// fees enough to replace it.
    ReplacementUnderpriced,
    /// The sender cannot pay gas × price + value.
    InsufficientFunds,
    /// Any other refusal.
    Other,
}

/// Message fragments (lower case) and their kind, checked in order.
const PATTERNS: &[(&str, NodeErrorKind)] = &[
    ("nonce too low", NodeErrorKind::NonceTooLow),
    ("oldnonce", NodeErrorKind::NonceTooLow),
    ("already known", NodeErrorKind::AlreadyKnown),
    ("alreadyknown", NodeErrorKind::AlreadyKnown),
    ("already imported", NodeErrorKind::AlreadyKnown),
    ("known transaction", NodeErrorKind::AlreadyKnown),
    ("replacement transaction underpriced", NodeErrorKind::ReplacementUnderpriced),
    ("replacement underpriced", NodeErrorKind::ReplacementUnderpriced),
    ("insufficient funds", NodeErrorKind::InsufficientFunds),
    ("insufficientfunds", NodeErrorKind::InsufficientFunds),
];

impl NodeErrorKind {
    /// The kind of the refusal a node answered with `message`.
    pub fn classify(message: &str) -> NodeErrorKind {
        let message = message.to_ascii_lowercase();
        PATTERNS
            .iter()
            .find(|(fragment, _)| message.contains(fragment))
            .map_or(NodeErrorKind::Other, |(_, kind)| *kind)
    }
}

#[cfg(test)]
mod tests {
    use super::NodeErrorKind::{self, *};

    #[test]
    fn the_refusals_of_each_node_are_classified_by_kind() {
        let answers = [
            ("nonce too low: next nonce 7, tx nonce 6", NonceTooLow),
            ("Nonce too low", NonceTooLow),
            ("OldNonce, Current nonce: 7, nonce of rejected tx: 6", NonceTooLow),
            ("already known", AlreadyKnown),
            ("transaction already imported", AlreadyKnown),
            ("known transaction: 0x12ab", AlreadyKnown),
            ("AlreadyKnown", AlreadyKnown),
            ("replacement transaction underpriced", ReplacementUnderpriced),
            ("insufficient funds for gas * price + value: have 0 want 21000", InsufficientFunds),
            ("Insufficient funds for gas * price + value", InsufficientFunds),
            ("execution reverted", Other),
            ("nonce too high", Other),
        ];
        for (message, kind) in answers {
            assert_eq!(NodeErrorKind::classify(message), kind, "{message}");
        }
    }
}
