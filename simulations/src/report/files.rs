//! [`RunFiles`]: the CSV files a run writes while it runs — `timeseries.csv`, `deals.csv` and
//! `jobs.csv` — so that no row is held in memory however long the horizon. Written with the
//! `csv` crate, which quotes a field only when it needs it (a comma or quote in a name).
//!
//! A run can also keep its deal and job rows in memory ([`RunFiles::keep`], for the Python
//! package's tables), as well as or instead of writing them.
//!
//! A write error does not stop the run: the first one is kept and [`RunFiles::finish`] reports
//! it, so a full disk fails the command instead of leaving a silently short file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::micro::{DealRow, JobRow};
use crate::SimError;

type Sink = csv::Writer<Box<dyn Write + Send>>;

/// The three files of a run (or nowhere, for sweeps and benchmarks).
pub struct RunFiles {
    series: Sink,
    deals: Sink,
    jobs: Sink,
    dir: Option<PathBuf>,
    failed: Option<(String, std::io::Error)>,
    kept: Option<KeptRows>,
}

/// The deal and job rows of a run kept in memory ([`RunFiles::keep`]): they grow with the run
/// (a few hundred bytes per deal and per job), which the caller asked for.
#[derive(Debug, Default, Clone)]
pub struct KeptRows {
    /// One per deal, in the order they were made.
    pub deals: Vec<DealRow>,
    /// One per job, in the order they were resolved.
    pub jobs: Vec<JobRow>,
}

fn sink(dir: &Path, name: &str) -> Result<Sink, SimError> {
    let path = dir.join(name);
    let file = File::create(&path)
        .map_err(|source| SimError::Write { path: path.display().to_string(), source })?;
    let out: Box<dyn Write + Send> = Box::new(BufWriter::new(file));
    Ok(csv::WriterBuilder::new().has_headers(false).from_writer(out))
}

fn nowhere() -> Sink {
    let out: Box<dyn Write + Send> = Box::new(std::io::sink());
    csv::WriterBuilder::new().has_headers(false).from_writer(out)
}

impl RunFiles {
    /// Creates the three files in `dir` (and `dir` itself) and writes their headers.
    pub fn create(dir: &Path) -> Result<RunFiles, SimError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| SimError::Write { path: dir.display().to_string(), source })?;
        let mut files = RunFiles {
            series: sink(dir, "timeseries.csv")?,
            deals: sink(dir, "deals.csv")?,
            jobs: sink(dir, "jobs.csv")?,
            dir: Some(dir.to_path_buf()),
            failed: None,
            kept: None,
        };
        files.headers();
        Ok(files)
    }

    /// Files that keep nothing (a sweep's runs only need their metrics).
    pub fn discard() -> RunFiles {
        RunFiles {
            series: nowhere(),
            deals: nowhere(),
            jobs: nowhere(),
            dir: None,
            failed: None,
            kept: None,
        }
    }

    /// Files that write nothing but keep the deal and job rows in memory.
    pub fn keep() -> RunFiles {
        RunFiles { kept: Some(KeptRows::default()), ..RunFiles::discard() }
    }

    /// The rows kept so far, if these files keep them ([`RunFiles::keep`]).
    pub fn take_kept(&mut self) -> Option<KeptRows> {
        self.kept.take()
    }

    fn headers(&mut self) {
        let series = crate::metrics::series::COLUMNS;
        let result = self.series.write_record(series);
        self.note("timeseries.csv", result);
        let result = self.deals.write_record(DealRow::COLUMNS);
        self.note("deals.csv", result);
        let result = self.jobs.write_record(JobRow::COLUMNS);
        self.note("jobs.csv", result);
    }

    fn note(&mut self, name: &str, result: Result<(), csv::Error>) {
        if let (Err(error), None) = (result, &self.failed) {
            let path = self.dir.as_deref().map_or_else(|| name.into(), |dir| dir.join(name));
            self.failed = Some((path.display().to_string(), error.into()));
        }
    }

    /// One row of `timeseries.csv`.
    pub(crate) fn series(&mut self, record: &[String]) {
        let result = self.series.write_record(record);
        self.note("timeseries.csv", result);
    }

    /// One row of `deals.csv`.
    pub(crate) fn deal(&mut self, row: &DealRow) {
        if let Some(kept) = &mut self.kept {
            kept.deals.push(row.clone());
        }
        let result = serialize(&mut self.deals, row);
        self.note("deals.csv", result);
    }

    /// One row of `jobs.csv`.
    pub(crate) fn job(&mut self, row: &JobRow) {
        if let Some(kept) = &mut self.kept {
            kept.jobs.push(row.clone());
        }
        let result = serialize(&mut self.jobs, row);
        self.note("jobs.csv", result);
    }

    /// Flushes the files; the first write error of the run, if any.
    pub fn finish(mut self) -> Result<(), SimError> {
        for (name, sink) in [
            ("timeseries.csv", &mut self.series),
            ("deals.csv", &mut self.deals),
            ("jobs.csv", &mut self.jobs),
        ] {
            if let (Err(error), None) = (sink.flush(), &self.failed) {
                let path = self.dir.as_deref().map_or_else(|| name.into(), |dir| dir.join(name));
                self.failed = Some((path.display().to_string(), error));
            }
        }
        match self.failed {
            Some((path, source)) => Err(SimError::Write { path, source }),
            None => Ok(()),
        }
    }
}

/// `rows` as CSV text, for the small tables written whole (a sweep's, a replay's): fields are
/// quoted only where they need it, so plain tables read as before.
pub(crate) fn csv_text(rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(&row).expect("writing to memory cannot fail");
    }
    let bytes = writer.into_inner().expect("flushing to memory cannot fail");
    String::from_utf8(bytes).expect("every field is text")
}

fn serialize<T: Serialize>(sink: &mut Sink, row: &T) -> Result<(), csv::Error> {
    sink.serialize(row)
}
