//! Turning `toml` errors into messages that name the offending key and its line, for the
//! taxonomy and the pricing configuration alike.

/// Where a TOML document went wrong: the key (or table) and the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    /// The key on the offending line (`window_ms`), or the table header (`[vwap]`), or
    /// `"(document)"` when `toml` gives no position.
    pub(crate) key: String,
    /// 1-based line; 0 when unknown.
    pub(crate) line: usize,
}

/// The key and line of byte `offset` in `source`: the text before `=` on that line, or the
/// table header when the line is one.
pub(crate) fn locate_offset(source: &str, offset: usize) -> Location {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let text = source.lines().nth(line - 1).unwrap_or("").trim();
    let key = match text.split_once('=') {
        Some((key, _)) if !text.starts_with('[') => key.trim().to_string(),
        _ => text.to_string(),
    };
    Location { key, line }
}

/// The location `toml` reports for `error` in `source`.
pub(crate) fn locate_error(source: &str, error: &toml::de::Error) -> Location {
    match error.span() {
        Some(span) => locate_offset(source, span.start),
        None => Location { key: "(document)".to_string(), line: 0 },
    }
}

/// The 1-based line of `key = ...` inside table `[table]` (or `[[table]]` entry number
/// `entry`), found by scanning the text; 0 when the key is absent (its default was used).
/// Used to place errors that only semantic checks, run after parsing, can find.
pub(crate) fn find_key_line(source: &str, table: &str, entry: usize, key: &str) -> usize {
    let header = format!("[{table}]");
    let array_header = format!("[[{table}]]");
    let mut seen_entries = 0usize;
    let mut inside = false;
    for (number, raw) in source.lines().enumerate() {
        let text = raw.trim();
        if text.starts_with('[') {
            inside = false;
            if text.starts_with(&array_header) {
                inside = seen_entries == entry;
                seen_entries += 1;
            } else if text.starts_with(&header) {
                inside = true;
            }
            continue;
        }
        if inside {
            if let Some((name, _)) = text.split_once('=') {
                if name.trim() == key {
                    return number + 1;
                }
            }
        }
    }
    0
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
    fn keys_are_found_in_their_table_or_entry() {
        let source = "[a]\nx = 1\n[[c]]\nx = 2\n[[c]]\ny = 3\nx = 4\n";
        assert_eq!(find_key_line(source, "a", 0, "x"), 2);
        assert_eq!(find_key_line(source, "c", 0, "x"), 4);
        assert_eq!(find_key_line(source, "c", 1, "x"), 7);
        assert_eq!(find_key_line(source, "c", 1, "z"), 0);
    }
}
