//! Where a TOML document went wrong — the key and its 1-based line — for every TOML file
//! gridbook reads: the taxonomy and the pricing configuration here, the simulator's scenarios
//! in `gridbook-simulations`.
//!
//! `toml` gives a byte span for syntax and type errors ([`locate_error`]); checks that run
//! after parsing find their key's line by scanning the text for the table header and the key
//! ([`find_key`]). One helper for both crates, so every TOML error is placed the same way.

/// Where a TOML document went wrong: the key (or table) and the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The key on the offending line (`window_ms`), or the table header (`[vwap]`), or
    /// `"(document)"` when `toml` gives no position.
    pub key: String,
    /// 1-based line; 0 when unknown.
    pub line: usize,
}

/// The key and line of byte `offset` in `source`: the text before `=` on that line, or the
/// whole line when it is a table header or has no `=`.
pub fn locate_offset(source: &str, offset: usize) -> Location {
    let before = source.get(..offset.min(source.len())).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let text = source.lines().nth(line - 1).unwrap_or("").trim();
    let key = match text.split_once('=') {
        Some((key, _)) if !text.starts_with('[') => key.trim().to_string(),
        _ => text.to_string(),
    };
    Location { key, line }
}

/// The location `toml` reports for `error` in `source`.
pub fn locate_error(source: &str, error: &toml::de::Error) -> Location {
    match error.span() {
        Some(span) => locate_offset(source, span.start),
        None => Location { key: "(document)".to_string(), line: 0 },
    }
}

/// Where a key is written, as 1-based lines; 0 for what is not written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyLines {
    /// The line of `key = ...`; 0 when the key is absent (its default was used).
    pub key: usize,
    /// The line of its table's header; 0 when the table is not written, or is the top level.
    pub header: usize,
}

/// Where `key = ...` is written in table `[table]` (`entry` `None`), or in entry number
/// `entry` of `[[table]]`; the empty `table` is the top level of the document. Used to place
/// errors that only semantic checks, run after parsing, can find.
pub fn find_key(source: &str, table: &str, entry: Option<usize>, key: &str) -> KeyLines {
    let header = if entry.is_some() { format!("[[{table}]]") } else { format!("[{table}]") };
    let mut seen = 0usize;
    let mut inside = table.is_empty();
    let mut found = KeyLines::default();
    for (number, raw) in source.lines().enumerate() {
        let text = raw.trim();
        if text.starts_with('[') {
            inside = false;
            if text.split('#').next().unwrap_or("").trim() == header {
                inside = entry.is_none_or(|want| want == seen);
                seen += 1;
                if inside {
                    found.header = number + 1;
                }
            }
            continue;
        }
        if !inside {
            continue;
        }
        if let Some((name, _)) = text.split_once('=') {
            if name.trim() == key {
                found.key = number + 1;
                return found;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_the_key_of_their_line() {
        let source = "[vwap]\nwindow_ms = 5\nbogus = 1\n";
        let at = source.find("bogus").unwrap_or(0);
        assert_eq!(locate_offset(source, at), Location { key: "bogus".into(), line: 3 });
        assert_eq!(locate_offset(source, 0), Location { key: "[vwap]".into(), line: 1 });
    }

    #[test]
    fn keys_are_found_in_their_table_entry_or_the_top_level() {
        let source = "a = 1\n[x]  # a comment\nb = 2\n[[y]]\nc = 3\n[[y]]\nd = 4\nc = 5\n";
        let at = |table, entry, key| find_key(source, table, entry, key);
        assert_eq!(at("", None, "a"), KeyLines { key: 1, header: 0 });
        assert_eq!(at("x", None, "b"), KeyLines { key: 3, header: 2 });
        assert_eq!(at("y", Some(0), "c"), KeyLines { key: 5, header: 4 });
        assert_eq!(at("y", Some(1), "c"), KeyLines { key: 8, header: 6 });
        assert_eq!(at("y", Some(1), "z"), KeyLines { key: 0, header: 6 });
        assert_eq!(at("w", None, "b"), KeyLines::default());
    }
}
