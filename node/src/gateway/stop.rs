//! The node's stop, which every part of the gateway sees: set once — by SIGTERM or SIGINT, or
//! by the sequencer when the journal cannot be written — after which commands are refused with
//! `503 stopping` at once, `/v1/health` says so, the server stops accepting, and every open
//! WebSocket is sent a close frame (1001, going away) before the process exits.
//!
//! It also counts the open WebSockets: the server's graceful shutdown does not wait for
//! upgraded connections, so the node waits (bounded) for them to have sent their close frames.

use tokio::sync::watch;

/// Why the node stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopCause {
    /// SIGTERM or SIGINT: a clean stop.
    Signal,
    /// A pipeline stage failed (the journal could not be written); the process exits non-zero.
    Failed(String),
}

impl StopCause {
    /// In words, for `detail`s and close frames.
    pub fn describe(&self) -> String {
        match self {
            StopCause::Signal => "the node is stopping".to_owned(),
            StopCause::Failed(why) => format!("the node is stopping on an error: {why}"),
        }
    }
}

/// The stop and the open WebSockets.
#[derive(Debug)]
pub struct Stop {
    cause: watch::Sender<Option<StopCause>>,
    sockets: watch::Sender<usize>,
}

impl Default for Stop {
    fn default() -> Stop {
        Stop { cause: watch::Sender::new(None), sockets: watch::Sender::new(0) }
    }
}

impl Stop {
    /// Stops the node; the first cause given is the one kept.
    pub fn stop(&self, cause: StopCause) {
        self.cause.send_if_modified(|current| match current {
            Some(_) => false,
            None => {
                *current = Some(cause);
                true
            }
        });
    }

    /// Why the node is stopping; `None` while it runs.
    pub fn cause(&self) -> Option<StopCause> {
        self.cause.borrow().clone()
    }

    /// Resolves once the node is stopping, with the cause.
    pub async fn stopped(&self) -> StopCause {
        let mut watching = self.cause.subscribe();
        let cause = watching.wait_for(Option::is_some).await;
        let cause = cause.expect("the sender lives in self");
        cause.clone().expect("waited for a cause")
    }

    /// Counts a WebSocket as open until the guard drops.
    pub fn socket_opened(&self) -> OpenSocket<'_> {
        self.sockets.send_modify(|open| *open += 1);
        OpenSocket { stop: self }
    }

    /// Resolves once no WebSocket is open.
    pub async fn sockets_closed(&self) {
        let mut watching = self.sockets.subscribe();
        let _ = watching.wait_for(|open| *open == 0).await;
    }
}

/// An open WebSocket, counted until dropped.
#[derive(Debug)]
pub struct OpenSocket<'a> {
    stop: &'a Stop,
}

impl Drop for OpenSocket<'_> {
    fn drop(&mut self) {
        self.stop.sockets.send_modify(|open| *open -= 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_cause_is_kept() {
        let stop = Stop::default();
        assert_eq!(stop.cause(), None);
        stop.stop(StopCause::Failed("journal x: disk full".into()));
        stop.stop(StopCause::Signal);
        assert_eq!(stop.cause(), Some(StopCause::Failed("journal x: disk full".into())));
    }
}
