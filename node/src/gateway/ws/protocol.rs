//! The frames of `/v1/ws` (docs/api.md, "WebSocket"): what a client may send, and the text of
//! every frame the node sends back. Every frame is one JSON text message.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use gridbook_feeds::Interval;

use crate::gateway::error::ApiError;
use crate::pipeline::feeds::Topic;
use crate::pipeline::publisher::PublishedEvent;
use crate::pipeline::Outcome;

/// A stream of events a connection can subscribe to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Every event.
    All,
    /// The events that concern one account (`0x…`, lower case): its orders' `accepted`,
    /// `rejected`, `cancelled`, `expired`, and the deals it is a party to.
    Owner(String),
    /// A market-data channel (docs/api.md, "Market data").
    Feed(FeedSub),
}

/// A market-data subscription: its topic, and how frames name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedSub {
    /// What it follows.
    pub topic: Topic,
    /// A `trades` subscription without a class: every trade.
    pub all_trades: bool,
    /// The class it names, checked against the taxonomy when it starts.
    pub class: Option<String>,
    /// Its JSON fields after the key: `"depth","class":"gpu.a100-80gb"`.
    pub fields: String,
}

impl Stream {
    /// Whether `event` belongs to this stream.
    pub fn matches(&self, event: &PublishedEvent) -> bool {
        match self {
            Stream::All => true,
            Stream::Owner(owner) => {
                event.owners.iter().flatten().any(|o| o.eq_ignore_ascii_case(owner))
            }
            Stream::Feed(_) => false,
        }
    }

    /// The JSON fields naming it: `"subscription":"all"` or `"subscription":"owner","owner":"0x…"`
    /// (after `key`, which is `subscription`, `subscribed` or `unsubscribed`).
    pub fn fields(&self, key: &str) -> String {
        match self {
            Stream::All => format!("\"{key}\":\"all\""),
            Stream::Owner(owner) => format!("\"{key}\":\"owner\",\"owner\":\"{owner}\""),
            Stream::Feed(feed) => format!("\"{key}\":{}", feed.fields),
        }
    }
}

/// A client's frame (its commands borrowed from the frame's text).
#[derive(Debug)]
pub enum Request<'a> {
    /// Commands to submit: one command object, or an array.
    Commands {
        /// Echoed in the answer.
        tag: Value,
        /// The command or commands, as sent (borrowed: a frame of a thousand commands is not
        /// copied to be read).
        commands: Cow<'a, RawValue>,
    },
    /// Start a subscription.
    Subscribe {
        /// Echoed in the acknowledgement.
        tag: Value,
        /// Which events.
        stream: Stream,
        /// Resume after this event seq (catch up from the node's log first).
        after: Option<u64>,
    },
    /// Stop a subscription.
    Unsubscribe {
        /// Echoed in the acknowledgement.
        tag: Value,
        /// Which one.
        stream: Stream,
    },
}

/// A frame that cannot be read, with the tag if one could be read.
#[derive(Debug)]
pub struct BadFrame {
    /// The frame's tag, or null.
    pub tag: Value,
    /// Why.
    pub error: Box<ApiError>,
}

fn bad(tag: &Value, code: &str, detail: impl Into<String>, field: Option<&str>) -> BadFrame {
    BadFrame {
        tag: tag.clone(),
        error: Box::new(ApiError::bad_request(code, detail, field.map(str::to_owned))),
    }
}

/// A command frame, read without building a tree of its commands.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandFrame<'a> {
    #[serde(default)]
    tag: Value,
    #[serde(borrow)]
    command: &'a RawValue,
}

/// Reads a client's text frame.
pub fn parse(text: &str) -> Result<Request<'_>, BadFrame> {
    if let Ok(CommandFrame { tag, command }) = serde_json::from_str(text) {
        if tag.is_string() || tag.is_number() || tag.is_null() {
            return Ok(Request::Commands { tag, commands: Cow::Borrowed(command) });
        }
    }
    let mut frame: Map<String, Value> = match serde_json::from_str(text) {
        Ok(Value::Object(frame)) => frame,
        Ok(_) => return Err(bad(&Value::Null, "malformed_json", "a frame is a JSON object", None)),
        Err(error) => return Err(bad(&Value::Null, "malformed_json", error.to_string(), None)),
    };
    let tag = frame.remove("tag").unwrap_or(Value::Null);
    if !(tag.is_string() || tag.is_number() || tag.is_null()) {
        return Err(bad(&Value::Null, "bad_field", "a tag is a string or a number", Some("tag")));
    }
    if let Some(commands) = frame.remove("command") {
        only(&frame, &tag)?;
        let commands =
            serde_json::value::to_raw_value(&commands).expect("a JSON value writes out as JSON");
        return Ok(Request::Commands { tag, commands: Cow::Owned(commands) });
    }
    if let Some(which) = frame.remove("subscribe") {
        let stream = stream(&which, &mut frame, "subscribe", &tag)?;
        let after =
            match frame.remove("after") {
                None | Some(Value::Null) => None,
                Some(after) => Some(after.as_u64().ok_or_else(|| {
                    bad(&tag, "bad_field", "`after` is an event seq", Some("after"))
                })?),
            };
        only(&frame, &tag)?;
        return Ok(Request::Subscribe { tag, stream, after });
    }
    if let Some(which) = frame.remove("unsubscribe") {
        let stream = stream(&which, &mut frame, "unsubscribe", &tag)?;
        only(&frame, &tag)?;
        return Ok(Request::Unsubscribe { tag, stream });
    }
    let detail = "a frame has `command`, `subscribe` or `unsubscribe`";
    Err(bad(&tag, "bad_frame", detail, None))
}

fn stream(
    which: &Value,
    frame: &mut Map<String, Value>,
    key: &str,
    tag: &Value,
) -> Result<Stream, BadFrame> {
    match which.as_str() {
        Some("all") => Ok(Stream::All),
        Some("owner") => {
            let owner = frame.remove("owner");
            let address = owner
                .as_ref()
                .and_then(Value::as_str)
                .and_then(|o| o.parse::<alloy_primitives::Address>().ok())
                .ok_or_else(|| bad(tag, "bad_field", "`owner` is a 0x address", Some("owner")))?;
            Ok(Stream::Owner(format!("{address:#x}")))
        }
        Some(channel) => feed(channel, frame, key, tag).map(Stream::Feed),
        None => Err(bad(tag, "bad_field", "a stream name", Some(key))),
    }
}

/// A market-data subscription's parameters (`class`, `hw`, `interval`), taken from `frame`.
fn feed(
    channel: &str,
    frame: &mut Map<String, Value>,
    key: &str,
    tag: &Value,
) -> Result<FeedSub, BadFrame> {
    let class = match frame.remove("class") {
        None | Some(Value::Null) => None,
        Some(Value::String(class)) => Some(class),
        Some(_) => return Err(bad(tag, "bad_field", "`class` is a class name", Some("class"))),
    };
    let quoted = |text: &str| Value::from(text).to_string();
    let need_class = |class: Option<String>| {
        class.ok_or_else(|| {
            bad(tag, "missing_field", format!("`{channel}` needs `class`"), Some("class"))
        })
    };
    let sub = |topic, class: Option<String>, fields: String| FeedSub {
        topic,
        all_trades: false,
        class,
        fields,
    };
    match channel {
        "depth" => match (class, frame.remove("hw")) {
            (Some(class), None) => {
                let fields = format!("\"depth\",\"class\":{}", quoted(&class));
                Ok(sub(Topic::Depth(format!("class:{class}").into()), Some(class), fields))
            }
            (None, Some(hw)) => {
                let name = crate::gateway::feeds::hw_name(&hw)
                    .map_err(|error| BadFrame { tag: tag.clone(), error: Box::new(error) })?;
                let fields = format!("\"depth\",\"hw\":{}", &name["hw:".len()..]);
                Ok(sub(Topic::Depth(name), None, fields))
            }
            _ => Err(bad(tag, "bad_field", "`depth` takes `class` or `hw`", Some("class"))),
        },
        "trades" => Ok(match class {
            Some(class) => {
                let fields = format!("\"trades\",\"class\":{}", quoted(&class));
                sub(Topic::Trades(Some(class.as_str().into())), Some(class), fields)
            }
            None => {
                FeedSub { all_trades: true, ..sub(Topic::Trades(None), None, "\"trades\"".into()) }
            }
        }),
        "candles" => {
            let class = need_class(class)?;
            let interval = frame
                .remove("interval")
                .and_then(|i| i.as_str().and_then(Interval::from_name))
                .ok_or_else(|| {
                    bad(tag, "bad_field", "`interval` is 1m, 5m, 1h or 1d", Some("interval"))
                })?;
            let fields = format!(
                "\"candles\",\"class\":{},\"interval\":\"{}\"",
                quoted(&class),
                interval.name()
            );
            Ok(sub(Topic::Candles(class.as_str().into(), interval), Some(class), fields))
        }
        "tickers" | "references" if class.is_none() => {
            let topic = if channel == "tickers" { Topic::Tickers } else { Topic::References };
            Ok(sub(topic, None, quoted(channel)))
        }
        "tickers" | "references" => {
            Err(bad(tag, "unknown_field", format!("`{channel}` takes no `class`"), Some("class")))
        }
        _ => Err(bad(
            tag,
            "bad_field",
            "`all`, `owner`, `depth`, `trades`, `candles`, `tickers` or `references`",
            Some(key),
        )),
    }
}

/// Refuses any field left once the frame's own are taken.
fn only(frame: &Map<String, Value>, tag: &Value) -> Result<(), BadFrame> {
    match frame.keys().next() {
        Some(key) => Err(bad(tag, "unknown_field", format!("unknown field `{key}`"), Some(key))),
        None => Ok(()),
    }
}

fn tag_json(tag: &Value) -> String {
    serde_json::to_string(tag).expect("a tag serialises")
}

/// `{"tag":…,"outcome":{…}}`, or `"outcome":[…]` for an array of commands.
pub fn outcome_frame(tag: &Value, outcomes: &[std::sync::Arc<Outcome>], batch: bool) -> String {
    let tag = tag_json(tag);
    let mut frame = String::with_capacity(Outcome::batch_len_hint(outcomes) + tag.len() + 20);
    frame.push_str("{\"tag\":");
    frame.push_str(&tag);
    frame.push_str(",\"outcome\":");
    Outcome::write_batch(&mut frame, outcomes, batch);
    frame.push('}');
    frame
}

/// `{"tag":…,"error":{"error":CODE,"detail":…,"field":…,"retry_after":S}}`.
pub fn error_frame(tag: &Value, error: &ApiError) -> String {
    let mut body = serde_json::json!({
        "error": error.code,
        "detail": error.detail,
        "field": error.field,
    });
    if let Some(seconds) = error.retry_after_s {
        body["retry_after"] = Value::from(seconds.max(1));
    }
    format!("{{\"tag\":{},\"error\":{body}}}", tag_json(tag))
}

/// `{"tag":…,"subscribed":…,"after":N}`: events with a seq above N follow.
pub fn subscribed_frame(tag: &Value, stream: &Stream, after: u64) -> String {
    format!("{{\"tag\":{},{},\"after\":{after}}}", tag_json(tag), stream.fields("subscribed"))
}

/// `{"tag":…,"unsubscribed":…}`.
pub fn unsubscribed_frame(tag: &Value, stream: &Stream) -> String {
    format!("{{\"tag\":{},{}}}", tag_json(tag), stream.fields("unsubscribed"))
}

/// `{"subscription":…,"error":{…}}`: a subscription ended by the node.
pub fn subscription_error_frame(stream: &Stream, error: &ApiError) -> String {
    let body =
        serde_json::json!({"error": error.code, "detail": error.detail, "field": error.field});
    format!("{{{},\"error\":{body}}}", stream.fields("subscription"))
}

/// Appends `{"subscription":…,"events":[…]}` holding `events` to `out`.
pub fn events_frame<'a>(
    stream: &Stream,
    events: impl Iterator<Item = &'a PublishedEvent>,
    out: &mut String,
) {
    out.push('{');
    out.push_str(&stream.fields("subscription"));
    out.push_str(",\"events\":[");
    for (index, event) in events.enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&event.json);
    }
    out.push_str("]}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_with_their_tags_and_unknown_fields_refused() {
        let Ok(Request::Commands { tag, commands }) =
            parse(r#"{"tag":7,"command":[{"op":"cancel"}]}"#)
        else {
            panic!("commands")
        };
        assert_eq!((tag, commands.get()), (Value::from(7), r#"[{"op":"cancel"}]"#));
        let Ok(Request::Commands { tag, commands }) = parse(r#"{"command":{"op":"cancel"}}"#)
        else {
            panic!("a command without a tag")
        };
        assert_eq!((tag, commands.get()), (Value::Null, r#"{"op":"cancel"}"#));
        let Ok(Request::Subscribe { stream, after, .. }) = parse(
            r#"{"subscribe":"owner","owner":"0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf","after":5}"#,
        ) else {
            panic!("subscribe")
        };
        assert_eq!(stream, Stream::Owner("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf".into()));
        assert_eq!(after, Some(5));
        let error = parse(r#"{"tag":"t","subscribe":"all","since":3}"#).unwrap_err();
        assert_eq!((error.tag, error.error.code.as_str()), (Value::from("t"), "unknown_field"));
        assert_eq!(parse(r#"{"tag":[1]}"#).unwrap_err().error.field.as_deref(), Some("tag"));
        assert_eq!(parse("[]").unwrap_err().error.code, "malformed_json");
        assert_eq!(parse(r#"{"tag":1}"#).unwrap_err().error.code, "bad_frame");
    }

    #[test]
    fn an_owner_stream_matches_the_events_that_name_the_owner_in_any_case() {
        let event = PublishedEvent {
            seq: 1,
            json: "{}".into(),
            owners: [Some("0xAB".into()), Some("0xcd".into())],
        };
        assert!(Stream::Owner("0xab".into()).matches(&event));
        assert!(Stream::Owner("0xcd".into()).matches(&event));
        assert!(!Stream::Owner("0xef".into()).matches(&event));
        assert!(Stream::All.matches(&event));
    }
}
