//! The Alibaba GPU cluster trace (cluster-trace-gpu-v2023): its `[trace]` section and the CSV
//! loader for `openb_node_list_*.csv` (machines) and `openb_pod_list_*.csv` (tasks).
//!
//! The loader only reads rows; [`crate::world`] turns nodes into providers and pods into jobs
//! (the mapping is in docs/simulations.md). Columns are matched by name, so a file whose header
//! differs is refused with its line rather than read wrongly.

use csv::StringRecord;
use serde::Deserialize;
use thiserror::Error;

use crate::scenario::{Dist, MoneyRange};

/// `[trace]`: where the trace is and how to synthesise what it does not record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSection {
    /// The node list (a relative path is relative to the scenario file's folder).
    pub nodes: String,
    /// The pod list (a relative path is relative to the scenario file's folder).
    pub pods: String,
    /// Cores per slot of a CPU-only node (default 8).
    #[serde(default = "default_cpu_slot_cores")]
    pub cpu_slot_cores: u32,
    /// Cost per GPU slot-hour, drawn per machine.
    pub gpu_cost: MoneyRange,
    /// Cost per CPU slot-hour, drawn per machine.
    pub cpu_cost: MoneyRange,
    /// Value per GPU slot-hour, drawn per job.
    pub gpu_value: MoneyRange,
    /// Value per CPU slot-hour, drawn per job.
    pub cpu_value: MoneyRange,
    /// Deadline slack, percent of the duration.
    pub deadline_slack_pct: Dist,
    /// Use only the first this many pods (default all).
    #[serde(default)]
    pub max_pods: Option<u64>,
    /// The region every machine is in (default "eu-west").
    #[serde(default = "default_region")]
    pub region: String,
    /// Share of each GPU model's nodes (and of the CPU-only nodes) kept, in (0, 1] (default 1):
    /// node `i` of a model is kept when `⌊(i+1)·share⌋ > ⌊i·share⌋`, and the first node of a
    /// model is kept when none would be. A smaller cluster under the same pods is a busier one.
    #[serde(default = "default_node_share")]
    pub node_share: f64,
    /// Trace hour at which the replay starts (default 0): pods deleted before it are left out,
    /// pods running at it start at simulated time 0 with the rest of their run.
    #[serde(default)]
    pub from_h: u64,
}

fn default_cpu_slot_cores() -> u32 {
    8
}
fn default_region() -> String {
    "eu-west".to_string()
}
fn default_node_share() -> f64 {
    1.0
}

impl TraceSection {
    /// `(key, message)` of the first problem: a file that cannot be read, zero cores per slot.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.cpu_slot_cores == 0 {
            return Err(("cpu_slot_cores", "must be > 0".into()));
        }
        if !(self.node_share > 0.0 && self.node_share <= 1.0) {
            return Err(("node_share", "must be in (0, 1]".into()));
        }
        for (key, path) in [("nodes", &self.nodes), ("pods", &self.pods)] {
            if let Err(error) = std::fs::metadata(path) {
                return Err((key, format!("cannot read trace file {path}: {error}. {WHERE_FROM}")));
            }
        }
        Ok(())
    }
}

/// Where the trace comes from, for a user whose copy is missing.
const WHERE_FROM: &str = "The trace is not part of gridbook: it is the Alibaba GPU cluster \
trace cluster-trace-gpu-v2023 (the alibaba/clusterdata repository on GitHub, folder \
cluster-trace-gpu-v2023/csv/; free for research or study, cite \"Beware of Fragmentation\", \
USENIX ATC 2023). Put its openb_*.csv files there, or change the path: a relative path is \
relative to the scenario file's folder";

/// A trace file that cannot be read or has a bad row.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}: line {line}: {message}")]
pub struct TraceError {
    /// The file.
    pub file: String,
    /// 1-based line (0: the whole file).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One machine of the node list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceNode {
    /// `sn`.
    pub name: String,
    /// CPU, thousandths of a core.
    pub cpu_milli: u64,
    /// Memory, MiB.
    pub memory_mib: u64,
    /// GPUs.
    pub gpus: u32,
    /// GPU model; `None` for a CPU-only node.
    pub model: Option<String>,
}

/// One task of the pod list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracePod {
    /// `name`.
    pub name: String,
    /// CPU, thousandths of a core.
    pub cpu_milli: u64,
    /// Memory, MiB.
    pub memory_mib: u64,
    /// GPUs.
    pub num_gpu: u32,
    /// Share of each GPU, thousandths.
    pub gpu_milli: u64,
    /// Acceptable GPU models (empty: any).
    pub gpu_spec: Vec<String>,
    /// Arrival, seconds.
    pub creation_s: u64,
    /// End, seconds (`None`: never ended in the trace).
    pub deletion_s: Option<u64>,
    /// Start, seconds (`None`: never scheduled).
    pub scheduled_s: Option<u64>,
}

const NODE_COLUMNS: [&str; 5] = ["sn", "cpu_milli", "memory_mib", "gpu", "model"];
const POD_COLUMNS: [&str; 11] = [
    "name",
    "cpu_milli",
    "memory_mib",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "qos",
    "pod_phase",
    "creation_time",
    "deletion_time",
    "scheduled_time",
];

/// Rows of a CSV file whose header is exactly `columns`, with their 1-based line numbers.
/// Read with the `csv` crate, so a quoted field holding a comma (a pod name) stays one field.
fn rows(
    file: &str,
    text: &str,
    columns: &[&str],
) -> Result<Vec<(usize, StringRecord)>, TraceError> {
    let fail = |line, message: String| TraceError { file: file.to_string(), line, message };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header.iter().map(str::trim).collect::<Vec<_>>().join(","),
        Some(Err(error)) => return Err(fail(1, error.to_string())),
        None => String::new(),
    };
    if header != columns.join(",") {
        return Err(fail(1, format!("header must be `{}`, found `{header}`", columns.join(","))));
    }
    let mut out = Vec::new();
    for record in records {
        let record = record.map_err(|error| {
            let line = error.position().map_or(0, |p| p.line() as usize);
            fail(line, error.to_string())
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        if record.len() != columns.len() {
            let message = format!("{} fields, expected {}", record.len(), columns.len());
            return Err(fail(line, message));
        }
        out.push((line, record));
    }
    Ok(out)
}

fn number(file: &str, line: usize, column: &str, text: &str) -> Result<Option<u64>, TraceError> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u64>().map(Some).map_err(|_| TraceError {
        file: file.to_string(),
        line,
        message: format!("`{column}` = `{text}` is not a whole number >= 0"),
    })
}

fn required(file: &str, line: usize, column: &str, text: &str) -> Result<u64, TraceError> {
    number(file, line, column, text)?.ok_or_else(|| TraceError {
        file: file.to_string(),
        line,
        message: format!("`{column}` is empty"),
    })
}

fn read(file: &str) -> Result<String, TraceError> {
    std::fs::read_to_string(file).map_err(|error| TraceError {
        file: file.to_string(),
        line: 0,
        message: error.to_string(),
    })
}

/// Reads a node list.
pub fn load_nodes(file: &str) -> Result<Vec<TraceNode>, TraceError> {
    let text = read(file)?;
    let mut nodes = Vec::new();
    for (line, f) in rows(file, &text, &NODE_COLUMNS)? {
        let gpus = required(file, line, "gpu", &f[3])?;
        let gpus = u32::try_from(gpus).map_err(|_| TraceError {
            file: file.to_string(),
            line,
            message: "`gpu` is too large".into(),
        })?;
        nodes.push(TraceNode {
            name: f[0].to_string(),
            cpu_milli: required(file, line, "cpu_milli", &f[1])?,
            memory_mib: required(file, line, "memory_mib", &f[2])?,
            gpus,
            model: (!f[4].is_empty()).then(|| f[4].to_string()),
        });
    }
    Ok(nodes)
}

/// Reads a pod list.
pub fn load_pods(file: &str) -> Result<Vec<TracePod>, TraceError> {
    let text = read(file)?;
    let mut pods = Vec::new();
    for (line, f) in rows(file, &text, &POD_COLUMNS)? {
        let num_gpu = required(file, line, "num_gpu", &f[3])?.min(u64::from(u32::MAX)) as u32;
        let gpu_spec = f[5].split('|').filter(|m| !m.is_empty()).map(str::to_string).collect();
        pods.push(TracePod {
            name: f[0].to_string(),
            cpu_milli: required(file, line, "cpu_milli", &f[1])?,
            memory_mib: required(file, line, "memory_mib", &f[2])?,
            num_gpu,
            gpu_milli: number(file, line, "gpu_milli", &f[4])?.unwrap_or(0),
            gpu_spec,
            creation_s: required(file, line, "creation_time", &f[8])?,
            deletion_s: number(file, line, "deletion_time", &f[9])?,
            scheduled_s: number(file, line, "scheduled_time", &f[10])?,
        });
    }
    Ok(pods)
}
