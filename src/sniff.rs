//! What a file that is not an order stream looks like, for the hint `gridbook replay` gives
//! when every line of its input was rejected: the usual mistakes are replaying the events a
//! replay wrote, a TOML scenario or configuration, or a compressed stream.

use serde_json::Value;

/// Magic numbers of the compressed formats a stream is likely to be shipped in.
const COMPRESSED: [(&[u8], &str); 5] = [
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"BZh", "bzip2"),
    (b"PK\x03\x04", "zip"),
];

/// A hint naming what `first_line` (the first non-blank line of a stream whose every line was
/// rejected, at most a few hundred bytes) looks like, and what to do instead.
pub(crate) fn hint(first_line: &[u8]) -> String {
    if let Some((_, format)) = COMPRESSED.iter().find(|(magic, _)| first_line.starts_with(magic)) {
        return format!(
            "this looks {format}-compressed: decompress it first (for example `{} FILE | gridbook replay -`)",
            decompressor(format)
        );
    }
    let text = String::from_utf8_lossy(first_line);
    let text = text.trim();
    if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) {
        if object.contains_key("seq") && object.contains_key("type") {
            return "this looks like an events file (what `gridbook replay` writes), not an order \
                    stream: replay the stream that produced it"
                .into();
        }
    }
    if looks_like_toml(text) {
        return "this looks like TOML (a scenario, taxonomy or pricing configuration), not an \
                order stream: `gridbook simulate` runs scenarios"
            .into();
    }
    if text.starts_with('[') {
        return "this looks like a JSON array: an order stream is one JSON object per line \
                (JSON Lines, docs/order-stream.md)"
            .into();
    }
    "no line is a command: an order stream is one JSON object per line (docs/order-stream.md)"
        .into()
}

fn decompressor(format: &str) -> &'static str {
    match format {
        "gzip" => "gzip -dc",
        "zstd" => "zstd -dc",
        "xz" => "xz -dc",
        "bzip2" => "bzip2 -dc",
        _ => "unzip -p",
    }
}

/// A comment, a `[table]` header or a `key = value` line.
fn looks_like_toml(text: &str) -> bool {
    let header = text.starts_with('[') && text.ends_with(']') && !text.starts_with("[{");
    let key_value = text.split_once('=').is_some_and(|(key, _)| {
        let key = key.trim();
        !key.is_empty()
            && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'))
    });
    text.starts_with('#') || header || key_value
}

#[cfg(test)]
mod tests {
    use super::hint;

    /// The hint names each usual mistake.
    #[test]
    fn each_usual_mistake_is_named() {
        assert!(hint(b"\x1f\x8b\x08\x00\x00").contains("gzip-compressed"));
        assert!(hint(b"\x28\xb5\x2f\xfd\x04").contains("zstd -dc"));
        let event = br#"{"seq":1,"ts":1767225600000,"type":"accepted","id":"a-h100"}"#;
        assert!(hint(event).contains("events file"));
        assert!(hint(b"# The same market under each pricing model").contains("TOML"));
        assert!(hint(b"[providers]").contains("TOML"));
        assert!(hint(b"name = \"baseline\"").contains("TOML"));
        assert!(hint(br#"[{"ts":0,"op":"tick"}]"#).contains("JSON array"));
        assert!(hint(b"hello").contains("one JSON object per line"));
    }
}
