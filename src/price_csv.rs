//! The reference price series of a priced replay, as CSV: one row per class per book interval.
//! Written with the `csv` crate, so a class name with a comma or a quote (a taxonomy file may
//! name classes freely) stays one field.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use gridbook_matcher::money::format_nano;
use gridbook_pricing::PricedEngine;

const COLUMNS: [&str; 8] =
    ["ts", "class", "unit", "reference", "best_bid", "best_ask", "last_deal", "volume_units"];

/// A CSV file of price rows.
pub(crate) struct PriceCsv {
    out: csv::Writer<BufWriter<File>>,
    name: String,
}

fn price(value: Option<u64>) -> String {
    value.map(format_nano).unwrap_or_default()
}

impl PriceCsv {
    pub(crate) fn create(path: &Path) -> Result<PriceCsv> {
        let name = path.display().to_string();
        let file = File::create(path).with_context(|| format!("cannot create {name}"))?;
        let mut out = csv::Writer::from_writer(BufWriter::new(file));
        out.write_record(COLUMNS).with_context(|| format!("cannot write {name}"))?;
        Ok(PriceCsv { out, name })
    }

    /// Writes the rows `priced` produced since the last call.
    pub(crate) fn write(&mut self, priced: &mut PricedEngine) -> Result<()> {
        for row in priced.take_rows() {
            let class = priced.taxonomy().class(row.class);
            let record = [
                row.ts_ms.to_string(),
                class.name.clone(),
                class.unit.as_str().to_string(),
                price(row.reference_nano),
                price(row.best_bid_nano),
                price(row.best_ask_nano),
                price(row.last_deal_nano),
                row.volume_units.to_string(),
            ];
            self.out
                .write_record(&record)
                .with_context(|| format!("cannot write {}", self.name))?;
        }
        Ok(())
    }

    pub(crate) fn finish(&mut self) -> Result<()> {
        self.out.flush().with_context(|| format!("cannot write {}", self.name))
    }
}

#[cfg(test)]
mod tests {
    use gridbook_matcher::EngineConfig;
    use gridbook_pricing::{
        model_by_name, LineReplay, PricedEngine, PricedOptions, PricingConfig, Taxonomy,
    };

    use super::PriceCsv;

    #[test]
    fn a_class_name_with_a_comma_or_quote_stays_one_field() {
        // Rule (issue 10, item 4): CSV is written with a CSV writer, never by hand.
        let taxonomy = Taxonomy::from_toml_str(
            "[[class]]\nname = \"cpu, \\\"any\\\"\"\nunit = \"core-hour\"\n",
        )
        .expect("a valid taxonomy");
        let model = model_by_name("ewma", &PricingConfig::default()).expect("a model");
        let options = PricedOptions { record_rows: true, ..PricedOptions::default() };
        let priced = PricedEngine::new(EngineConfig::default(), taxonomy, Some(model), options);
        let mut priced = LineReplay::new(priced);
        let stream = [
            r#"{"ts":0,"op":"ask","id":"a","owner":"0x1000000000000000000000000000000000000001","price":"0.5","qty":1,"tif":"gtc","hw":{"cpu":8,"mem":32,"gpu":null,"gpus":0,"gpu_mem":0,"tee":null,"region":"eu"},"from":0,"until":7200000}"#,
            r#"{"ts":120000,"op":"tick"}"#,
        ];
        let path = std::env::temp_dir().join(format!("gridbook-prices-{}.csv", std::process::id()));
        let mut csv = PriceCsv::create(&path).expect("created");
        for (at, line) in stream.iter().enumerate() {
            priced.line_unrendered(at as u64 + 1, line.as_bytes());
            csv.write(priced.priced_mut()).expect("rows");
        }
        csv.finish().expect("flush");
        drop(csv);
        let text = std::fs::read_to_string(&path).expect("written");
        std::fs::remove_file(&path).ok();
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> =
            reader.records().map(|r| r.expect("a CSV row")).collect();
        assert!(!rows.is_empty(), "{text}");
        for row in &rows {
            assert_eq!(row.len(), 8, "{text}");
            assert_eq!(&row[1], "cpu, \"any\"");
        }
    }
}
