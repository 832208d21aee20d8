//! A client of `/v1/ws` (docs/api.md, "WebSocket"): send tagged commands without waiting,
//! subscribe, and read the node's frames as they come.
//!
//! [`connect`] gives two halves, so one task can send at its own pace (an open-loop load
//! generator) while another reads answers and events:
//!
//! ```no_run
//! # async fn demo(commands: Vec<serde_json::Value>) -> Result<(), gridbook_node::client::ClientError> {
//! use gridbook_node::client::ws::{connect, Frame};
//! let (mut sender, mut receiver) = connect("http://127.0.0.1:8080", None).await?;
//! for (tag, command) in commands.iter().enumerate() {
//!     sender.command(tag as u64, command).await?;
//! }
//! while let Some(frame) = receiver.next().await? {
//!     if let Frame::Outcome { tag, .. } | Frame::Error { tag, .. } = frame {
//!         println!("answered {tag}");
//!     }
//! }
//! # Ok(()) }
//! ```

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::ClientError;
use crate::gateway::ws::protocol::Stream;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One frame from the node.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A command frame's outcome: `{seq, ts, events}`, or an array of them for an array.
    Outcome {
        /// The frame's tag.
        tag: Value,
        /// The outcome or outcomes.
        outcome: Value,
    },
    /// A frame refused: `{error, detail, field, retry_after?}`. Nothing was journaled.
    Error {
        /// The frame's tag (null if it could not be read).
        tag: Value,
        /// The error object.
        error: Value,
    },
    /// A subscription started; events with a seq above `after` follow.
    Subscribed {
        /// The frame's tag.
        tag: Value,
        /// Which stream.
        stream: Stream,
        /// The seq the events start after.
        after: u64,
    },
    /// A subscription stopped.
    Unsubscribed {
        /// The frame's tag.
        tag: Value,
        /// Which stream.
        stream: Stream,
    },
    /// Events of a subscription, in seq order.
    Events {
        /// Which stream.
        stream: Stream,
        /// The event objects, exactly as `gridbook replay` writes them.
        events: Vec<Value>,
    },
    /// The node ended a subscription (its events are no longer kept).
    SubscriptionError {
        /// Which stream.
        stream: Stream,
        /// The error object.
        error: Value,
    },
    /// A market-data subscription started or stopped (`{"tag","subscribed":"depth",…}`).
    FeedAck {
        /// The frame's tag.
        tag: Value,
        /// The whole frame.
        frame: Value,
    },
    /// A market-data message (`{"channel":…,"type":…}`, docs/api.md "Market data").
    Feed {
        /// The whole message.
        message: Value,
    },
    /// The node closed the connection, saying why.
    Closed {
        /// The close code.
        code: u16,
        /// The reason.
        reason: String,
    },
}

/// The sending half.
#[derive(Debug)]
pub struct Sender {
    sink: SplitSink<Socket, Message>,
}

/// The receiving half.
#[derive(Debug)]
pub struct Receiver {
    stream: SplitStream<Socket>,
}

/// The `ws://` URL of a node's `/v1/ws` at `base` (`http://host:port`), with a session token.
pub fn url(base: &str, token: Option<&str>) -> String {
    let base = base.trim_end_matches('/');
    let base = match base.strip_prefix("https://") {
        Some(rest) => format!("wss://{rest}"),
        None => format!("ws://{}", base.strip_prefix("http://").unwrap_or(base)),
    };
    match token {
        Some(token) => format!("{base}/v1/ws?token={token}"),
        None => format!("{base}/v1/ws"),
    }
}

/// Connects to the node at `base` (`http://host:port`), on a session if `token` is given.
pub async fn connect(base: &str, token: Option<&str>) -> Result<(Sender, Receiver), ClientError> {
    let (socket, _) = tokio_tungstenite::connect_async(url(base, token)).await.map_err(Box::new)?;
    let (sink, stream) = socket.split();
    Ok((Sender { sink }, Receiver { stream }))
}

/// Splits a socket connected some other way (for instance with small socket buffers).
pub fn from_socket(socket: Socket) -> (Sender, Receiver) {
    let (sink, stream) = socket.split();
    (Sender { sink }, Receiver { stream })
}

impl Sender {
    /// Sends any frame (a market-data subscription, say).
    pub async fn send(&mut self, frame: Value) -> Result<(), ClientError> {
        self.sink.send(Message::text(frame.to_string())).await.map_err(Box::new)?;
        Ok(())
    }

    /// Sends a frame written beforehand (a load generator serialises nothing while timed).
    pub async fn text(&mut self, text: Utf8Bytes) -> Result<(), ClientError> {
        self.sink.send(Message::Text(text)).await.map_err(Box::new)?;
        Ok(())
    }

    /// Sends one command (without `ts`) tagged `tag`.
    pub async fn command(
        &mut self,
        tag: impl Into<Value>,
        command: &Value,
    ) -> Result<(), ClientError> {
        self.send(json!({"tag": tag.into(), "command": command})).await
    }

    /// Sends commands as one frame; they are answered together, as an array.
    pub async fn batch(
        &mut self,
        tag: impl Into<Value>,
        commands: &[Value],
    ) -> Result<(), ClientError> {
        self.send(json!({"tag": tag.into(), "command": commands})).await
    }

    /// Subscribes to `stream`, resuming after event `after` if given.
    pub async fn subscribe(
        &mut self,
        stream: &Stream,
        after: Option<u64>,
    ) -> Result<(), ClientError> {
        let mut frame = stream_fields("subscribe", stream);
        if let Some(after) = after {
            frame["after"] = Value::from(after);
        }
        self.send(frame).await
    }

    /// Stops a subscription.
    pub async fn unsubscribe(&mut self, stream: &Stream) -> Result<(), ClientError> {
        self.send(stream_fields("unsubscribe", stream)).await
    }

    /// Closes the connection.
    pub async fn close(&mut self) -> Result<(), ClientError> {
        let frame = tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: CloseCode::Normal,
            reason: "done".into(),
        };
        self.sink.send(Message::Close(Some(frame))).await.map_err(Box::new)?;
        Ok(())
    }
}

fn stream_fields(key: &str, stream: &Stream) -> Value {
    match stream {
        Stream::All => json!({ key: "all" }),
        Stream::Owner(owner) => json!({ key: "owner", "owner": owner }),
        Stream::Feed(feed) => {
            let text = format!("{{{}}}", stream.fields(key));
            let fields = serde_json::from_str(&text);
            fields.unwrap_or_else(|_| panic!("a feed's fields are JSON: {} {feed:?}", text))
        }
    }
}

impl Receiver {
    /// The next text frame as sent, for a reader that parses it its own way (the load
    /// generator reads only what it counts); `Err(ClientError::Closed)` once the node closed
    /// the connection, saying why, and `Ok(None)` once it is gone without a word.
    pub async fn next_text(&mut self) -> Result<Option<Utf8Bytes>, ClientError> {
        loop {
            let Some(message) = self.stream.next().await else { return Ok(None) };
            match message.map_err(Box::new)? {
                Message::Text(text) => return Ok(Some(text)),
                Message::Close(frame) => {
                    let (code, reason) = frame
                        .map_or((1005, String::new()), |f| (f.code.into(), f.reason.to_string()));
                    return Err(ClientError::Closed { code, reason });
                }
                Message::Binary(_) | Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    /// The next frame; `None` once the connection is gone (after [`Frame::Closed`] if the node
    /// sent a close frame).
    pub async fn next(&mut self) -> Result<Option<Frame>, ClientError> {
        loop {
            let Some(message) = self.stream.next().await else { return Ok(None) };
            match message.map_err(Box::new)? {
                Message::Text(text) => return parse(text.as_str()).map(Some),
                Message::Close(frame) => {
                    let (code, reason) = frame
                        .map_or((1005, String::new()), |f| (f.code.into(), f.reason.to_string()));
                    return Ok(Some(Frame::Closed { code, reason }));
                }
                Message::Binary(_) | Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }
}

fn stream_of(frame: &Value, key: &str) -> Option<Stream> {
    match frame.get(key)?.as_str()? {
        "all" => Some(Stream::All),
        "owner" => Some(Stream::Owner(frame.get("owner")?.as_str()?.to_owned())),
        _ => None,
    }
}

/// Reads one frame of the node.
pub fn parse(text: &str) -> Result<Frame, ClientError> {
    let protocol = || ClientError::Protocol(text.chars().take(200).collect());
    let mut frame: Value = serde_json::from_str(text).map_err(|_| protocol())?;
    let tag = frame.get("tag").cloned().unwrap_or(Value::Null);
    if let Some(outcome) = frame.get_mut("outcome") {
        return Ok(Frame::Outcome { tag, outcome: outcome.take() });
    }
    if frame.get("channel").is_some() {
        return Ok(Frame::Feed { message: frame });
    }
    let feed_ack = ["subscribed", "unsubscribed"].iter().any(|key| {
        frame.get(key).and_then(Value::as_str).is_some_and(|s| s != "all" && s != "owner")
    });
    if feed_ack {
        return Ok(Frame::FeedAck { tag, frame });
    }
    if let Some(stream) = stream_of(&frame, "subscription") {
        if let Some(Value::Array(events)) = frame.get_mut("events") {
            return Ok(Frame::Events { stream, events: std::mem::take(events) });
        }
        let error = frame.get_mut("error").map(Value::take).ok_or_else(protocol)?;
        return Ok(Frame::SubscriptionError { stream, error });
    }
    if let Some(error) = frame.get_mut("error") {
        return Ok(Frame::Error { tag, error: error.take() });
    }
    if let Some(stream) = stream_of(&frame, "subscribed") {
        let after = frame.get("after").and_then(Value::as_u64).ok_or_else(protocol)?;
        return Ok(Frame::Subscribed { tag, stream, after });
    }
    if let Some(stream) = stream_of(&frame, "unsubscribed") {
        return Ok(Frame::Unsubscribed { tag, stream });
    }
    Err(protocol())
}
