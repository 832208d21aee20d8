//! The reference price series of a priced replay, as CSV: one row per class per book interval.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use gridbook_matcher::money::format_nano;
use gridbook_pricing::PricedReplay;

/// A CSV file of price rows.
pub(crate) struct PriceCsv {
    out: BufWriter<File>,
    name: String,
}

fn price(value: Option<u64>) -> String {
    value.map(format_nano).unwrap_or_default()
}

impl PriceCsv {
    pub(crate) fn create(path: &Path) -> Result<PriceCsv> {
        let name = path.display().to_string();
        let file = File::create(path).with_context(|| format!("cannot create {name}"))?;
        let mut out = BufWriter::new(file);
        writeln!(out, "ts,class,unit,reference,best_bid,best_ask,last_deal,volume_units")
            .with_context(|| format!("cannot write {name}"))?;
        Ok(PriceCsv { out, name })
    }

    /// Writes the rows `priced` produced since the last call.
    pub(crate) fn write(&mut self, priced: &mut PricedReplay) -> Result<()> {
        for row in priced.take_rows() {
            let class = priced.taxonomy().class(row.class);
            writeln!(
                self.out,
                "{},{},{},{},{},{},{},{}",
                row.ts_ms,
                class.name,
                class.unit.as_str(),
                price(row.reference_nano),
                price(row.best_bid_nano),
                price(row.best_ask_nano),
                price(row.last_deal_nano),
                row.volume_units
            )
            .with_context(|| format!("cannot write {}", self.name))?;
        }
        Ok(())
    }

    pub(crate) fn finish(&mut self) -> Result<()> {
        self.out.flush().with_context(|| format!("cannot write {}", self.name))
    }
}
