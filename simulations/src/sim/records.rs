//! The simulator's micro data as it happens: a `deals.csv` row per deal, and a `jobs.csv` row
//! per job when it is resolved — after which the job is dropped, so open jobs are all a run
//! keeps of its jobs.

use gridbook_matcher::money::format_nano;
use gridbook_matcher::{Deal, Requirements};

use super::state::{Job, JobStatus};
use super::Sim;
use crate::market::Market;
use crate::metrics::Tokens;
use crate::report::micro::{DealRow, JobRow};

/// A requirement shape's names, resolved once.
#[derive(Debug, Clone)]
pub(crate) struct ShapeText {
    gpu_models: String,
    tee: String,
    regions: String,
}

fn names(market: &Market, syms: &[gridbook_matcher::Sym]) -> String {
    let mut names: Vec<&str> = syms.iter().map(|&sym| market.name(sym)).collect();
    names.sort_unstable();
    names.join("|")
}

impl ShapeText {
    pub(crate) fn of(req: &Requirements, market: &Market) -> ShapeText {
        ShapeText {
            gpu_models: names(market, &req.gpu),
            tee: req.tee.map(|tee| market.name(tee).to_string()).unwrap_or_default(),
            regions: names(market, &req.regions),
        }
    }
}

fn float(nano: u128) -> f64 {
    Tokens::from_nano(nano).to_f64()
}

impl Sim<'_> {
    /// The open job `j`; its events come only while it is open.
    pub(super) fn job(&self, j: u32) -> &Job {
        self.jobs.get(&j).expect("a job has engine events only while it is open")
    }

    pub(super) fn job_mut(&mut self, j: u32) -> &mut Job {
        self.jobs.get_mut(&j).expect("a job has engine events only while it is open")
    }

    /// Writes job `j`'s row with `outcome` and drops it.
    pub(super) fn resolve(&mut self, j: u32, outcome: JobStatus) {
        let job = self.jobs.remove(&j).expect("a job is resolved once, while open");
        self.paid_nano += job.paid_nano;
        let spec = job.spec;
        let req = &self.world.shapes[spec.shape as usize];
        let text = &self.shape_text[spec.shape as usize];
        let start = &self.scenario.start_utc;
        let row = JobRow {
            job: j,
            arrival_ms: spec.arrival_ms,
            arrival_utc: start.iso(spec.arrival_ms),
            deadline_ms: spec.deadline_ms,
            deadline_utc: start.iso(spec.deadline_ms),
            duration_ms: spec.duration_ms,
            qty: spec.qty,
            cpu: req.cpu,
            mem_gib: req.mem_gib,
            gpus: req.gpus,
            gpu_mem_gib: req.gpu_mem_gib,
            gpu_models: text.gpu_models.clone(),
            tee: text.tee.clone(),
            regions: text.regions.clone(),
            class: job.class.map(|c| self.class_names[c.index()].clone()).unwrap_or_default(),
            value_per_slot_hour: format_nano(spec.value_nano),
            value_per_slot_hour_float: float(u128::from(spec.value_nano)),
            outcome: outcome.as_str(),
            slots_filled: spec.qty - job.remaining,
            time_to_match_ms: (outcome == JobStatus::Filled).then(|| self.now_ms - spec.arrival_ms),
            cost: Tokens::from_nano(job.paid_nano).to_string(),
            cost_float: float(job.paid_nano),
        };
        self.files.job(&row);
    }

    /// Writes the row of `deal` between job `j` and machine `k`.
    pub(super) fn record_deal(&mut self, j: u32, k: u32, deal: &Deal, payment: u128, fee: u128) {
        let hw = self.world.machines[k as usize].hw;
        let class = self.machines[k as usize].class;
        let taxonomy = self.market.taxonomy();
        let (class_name, unit, unit_price) = match class {
            Some(c) => (
                self.class_names[c.index()].clone(),
                taxonomy.class(c).unit.as_str(),
                taxonomy.normalise_nano(c, &hw, deal.price_nano),
            ),
            None => (String::new(), "slot-hour", deal.price_nano),
        };
        let start = &self.scenario.start_utc;
        let row = DealRow {
            deal: deal.deal,
            time_ms: self.now_ms,
            time_utc: start.iso(self.now_ms),
            class: class_name,
            unit: unit.to_string(),
            machine: k,
            job: j,
            provider: deal.provider.to_string(),
            requester: deal.requester.to_string(),
            qty: deal.qty,
            price_per_slot_hour: format_nano(deal.price_nano),
            price_per_slot_hour_float: float(u128::from(deal.price_nano)),
            price_per_unit: format_nano(unit_price),
            price_per_unit_float: float(u128::from(unit_price)),
            start_ms: deal.start_ms,
            start_utc: start.iso(deal.start_ms),
            end_ms: deal.end_ms,
            end_utc: start.iso(deal.end_ms),
            payment: Tokens::from_nano(payment).to_string(),
            payment_float: float(payment),
            fee: Tokens::from_nano(fee).to_string(),
            fee_float: float(fee),
        };
        self.files.deal(&row);
    }
}
