//! The tables' rules, pinned: exact money text in CSV, refused tables named with their file,
//! and — the interoperability check — polars and pyarrow reading the Parquet files to the
//! CSV's exact figures (tests/python/check_tables.py, in the `.tools/venv` that
//! `scripts/install-tools` makes; the test fails, never skips, when it is missing).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{write_csv, write_parquet, write_tables, Column, Table, TableFormat};

const TOKEN_NANO: u64 = 1_000_000_000;

/// Every column kind, with the edge values of each: zero, one nano, one token, a billion tokens,
/// the largest values, missing ones, and texts the CSV must quote.
fn kinds_table() -> Table {
    let opt_text = |text: &str| Some(text.to_owned());
    Table {
        name: "kinds",
        columns: vec![
            ("count", Column::U64(vec![0, 1, 2, TOKEN_NANO, u64::MAX, 42])),
            ("maybe", Column::OptU64(vec![None, Some(0), Some(1), Some(u64::MAX), None, Some(7)])),
            (
                "name",
                Column::Text(
                    ["", "gpu.a100-80gb", "comma, \"quote\"", "line\nbreak", "ünïcode €", "x"]
                        .map(str::to_owned)
                        .to_vec(),
                ),
            ),
            (
                "note",
                Column::OptText(vec![
                    None,
                    opt_text("a"),
                    None,
                    opt_text("x,y"),
                    opt_text("z"),
                    None,
                ]),
            ),
            (
                "price",
                Column::Nano(vec![
                    0,
                    1,
                    TOKEN_NANO,
                    1_950_000_000,
                    TOKEN_NANO * TOKEN_NANO,
                    u64::MAX,
                ]),
            ),
            (
                "best_bid",
                Column::OptNano(vec![
                    None,
                    Some(0),
                    Some(1),
                    Some(TOKEN_NANO),
                    Some(TOKEN_NANO * TOKEN_NANO),
                    Some(u64::MAX),
                ]),
            ),
            (
                "change",
                Column::SignedNano(vec![
                    None,
                    Some(0),
                    Some(-1),
                    Some(-400_000_000),
                    Some(i64::MIN),
                    Some(i64::MAX),
                ]),
            ),
            (
                "ts",
                Column::TimeMs(vec![
                    0,
                    1,
                    1_767_225_600_000,
                    1_767_225_600_070,
                    4_102_444_800_000,
                    i64::MAX as u64,
                ]),
            ),
        ],
    }
}

/// The feed's trade rows of the example market's deals 1 and 5 (docs: TRADE), the shape an
/// economist loads.
fn trades_table() -> Table {
    let text = |values: [&str; 2]| Column::Text(values.map(str::to_owned).to_vec());
    let opt_text = |values: [&str; 2]| Column::OptText(values.map(|v| Some(v.to_owned())).to_vec());
    Table {
        name: "trades",
        columns: vec![
            ("deal", Column::U64(vec![1, 5])),
            ("ts", Column::TimeMs(vec![1_767_225_600_040, 1_767_225_600_160])),
            ("class", opt_text(["gpu.a100-80gb", "gpu.h100-80gb"])),
            ("unit", opt_text(["gpu_hour", "gpu_hour"])),
            ("price", Column::Nano(vec![1_900_000_000, 2_800_000_000])),
            ("unit_price", Column::OptNano(vec![Some(1_900_000_000), Some(2_800_000_000)])),
            ("qty", Column::U64(vec![2, 1])),
            ("units", Column::OptU64(vec![Some(2), Some(1)])),
            ("start", Column::TimeMs(vec![1_767_225_600_040, 1_767_247_200_000])),
            ("end", Column::TimeMs(vec![1_767_240_000_040, 1_767_254_400_000])),
            ("bid", text(["b-train", "b-night"])),
            ("ask", text(["a-a100-us", "a-h100"])),
        ],
    }
}

/// A table of every kind and no row: readers must still see its columns and types.
fn empty_table() -> Table {
    let columns = kinds_table().columns.into_iter().map(|(name, column)| (name, empty(&column)));
    Table { name: "empty", columns: columns.collect() }
}

fn empty(column: &Column) -> Column {
    match column {
        Column::U64(_) => Column::U64(vec![]),
        Column::OptU64(_) => Column::OptU64(vec![]),
        Column::Text(_) => Column::Text(vec![]),
        Column::OptText(_) => Column::OptText(vec![]),
        Column::Nano(_) => Column::Nano(vec![]),
        Column::OptNano(_) => Column::OptNano(vec![]),
        Column::SignedNano(_) => Column::SignedNano(vec![]),
        Column::TimeMs(_) => Column::TimeMs(vec![]),
    }
}

/// The kind's name in the check's `kinds.json`.
fn kind_name(column: &Column) -> &'static str {
    match column {
        Column::U64(_) => "u64",
        Column::OptU64(_) => "opt_u64",
        Column::Text(_) => "text",
        Column::OptText(_) => "opt_text",
        Column::Nano(_) => "nano",
        Column::OptNano(_) => "opt_nano",
        Column::SignedNano(_) => "signed_nano",
        Column::TimeMs(_) => "time_ms",
    }
}

/// A fresh folder of this process, for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gridbook-tables-{}-{test}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

#[test]
fn csv_writes_money_as_the_events_exact_decimal_text_and_times_as_integer_ms() {
    let dir = temp_dir("csv");
    let files = write_tables(&dir, TableFormat::Csv, &[kinds_table()]).expect("written");
    assert_eq!(files, [dir.join("kinds.csv")]);
    let text = fs::read_to_string(&files[0]).expect("readable");
    let expected = "count,maybe,name,note,price,best_bid,change,ts\n\
        0,,,,0,,,0\n\
        1,0,gpu.a100-80gb,a,0.000000001,0,0,1\n\
        2,1,\"comma, \"\"quote\"\"\",,1,0.000000001,-0.000000001,1767225600000\n\
        1000000000,18446744073709551615,\"line\nbreak\",\"x,y\",1.95,1,-0.4,1767225600070\n\
        18446744073709551615,,ünïcode €,z,1000000000,1000000000,-9223372036.854775808,4102444800000\n\
        42,7,x,,18446744073.709551615,18446744073.709551615,9223372036.854775807,9223372036854775807\n";
    assert_eq!(text, expected);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_ragged_table_is_refused_naming_table_file_and_column() {
    let dir = temp_dir("ragged");
    let mut table = trades_table();
    table.columns[4].1 = Column::Nano(vec![1]);
    let path = dir.join("trades.parquet");
    let error = write_tables(&dir, TableFormat::Parquet, &[table]).expect_err("refused");
    assert_eq!(
        error.to_string(),
        format!(
            "cannot write table trades to {}: column price has 1 rows but column deal has 2",
            path.display()
        )
    );
    assert!(!path.exists(), "no file, whole or partial");
    assert_eq!(fs::read_dir(&dir).expect("dir made").count(), 0, "no partial file left");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn duplicate_names_and_tables_without_columns_are_refused() {
    let dir = temp_dir("names");
    let mut table = trades_table();
    table.columns[1].0 = "deal";
    let error = write_csv(&table, &dir.join("t.csv")).expect_err("refused");
    assert!(error.to_string().ends_with("two columns are named deal"), "{error}");
    let error = write_parquet(&Table { name: "none", columns: vec![] }, &dir.join("n.parquet"))
        .expect_err("refused");
    assert!(error.to_string().ends_with("the table has no columns"), "{error}");
    let error = write_tables(&dir, TableFormat::Csv, &[trades_table(), trades_table()])
        .expect_err("refused");
    assert!(error.to_string().contains("another table of the same name"), "{error}");
    assert!(!dir.exists(), "nothing written");
}

#[test]
fn a_time_past_parquets_timestamps_is_refused_with_its_row() {
    let dir = temp_dir("time");
    let table = Table { name: "t", columns: vec![("ts", Column::TimeMs(vec![0, u64::MAX]))] };
    let error = write_tables(&dir, TableFormat::Parquet, &[table]).expect_err("refused");
    assert!(
        error.to_string().ends_with(
            "column ts, row 1: time 18446744073709551615 ms is past the largest Parquet timestamp"
        ),
        "{error}"
    );
    let _ = fs::remove_dir_all(&dir);
}

/// The interoperability check: both formats of every sample table, read by polars and by
/// pyarrow (Parquet and CSV alike), hold the CSV's exact figures, money compared as decimals.
#[test]
fn polars_and_pyarrow_read_the_parquet_files_to_the_csvs_exact_figures() {
    check_with_python("python", &[kinds_table(), trades_table(), empty_table()]);
}

/// Writes `tables` in both formats into a fresh folder named after `test` and has polars and
/// pyarrow check them (tests/python/check_tables.py); panics with the check's output if not.
pub(crate) fn check_with_python(test: &str, tables: &[Table]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".tools/venv/bin/python");
    assert!(
        python.exists(),
        "no Python virtual environment at {}: run scripts/install-tools (scripts/test does)",
        python.display()
    );
    let dir = temp_dir(test);
    write_tables(&dir, TableFormat::Csv, tables).expect("csv written");
    write_tables(&dir, TableFormat::Parquet, tables).expect("parquet written");
    let kinds: serde_json::Map<String, serde_json::Value> = tables
        .iter()
        .map(|table| {
            let columns = table.columns.iter().map(|(name, column)| [*name, kind_name(column)]);
            (table.name.to_owned(), serde_json::json!(columns.collect::<Vec<_>>()))
        })
        .collect();
    fs::write(dir.join("kinds.json"), serde_json::Value::Object(kinds).to_string())
        .expect("kinds written");

    let output = Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(root.join("tests/python/check_tables.py"))
        .env("GRIDBOOK_TABLES_DIR", &dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(root)
        .output()
        .expect("python starts");
    assert!(
        output.status.success(),
        "the table check failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = fs::remove_dir_all(&dir);
}
