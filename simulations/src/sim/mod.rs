//! The discrete-event simulation: a simulated clock, a deterministic event queue (ties broken
//! by a sequence number), the agents, and the real engine and pricing model ([`Market`]).
//!
//! Queue events are job arrivals, lease ends, providers' re-postings and interval samples;
//! each becomes zero or more engine commands at the event's time, and the engine's events
//! (acceptances, deals, expiries) update the agents ([`handle`]). Nothing reads a clock or
//! iterates a hash map, so a scenario and seed always give the same run.

mod agents;
mod handle;
mod lease;
mod records;
mod state;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use gridbook_matcher::{Command, Event, OrderRef, Sym};
use gridbook_pricing::ClassId;

use crate::market::Market;
use crate::metrics::demand::Demand;
use crate::metrics::series::SeriesRow;
use crate::metrics::tally::{ClassTally, Tally};
use crate::metrics::thinned::Thinned;
use crate::progress::Progress;
use crate::report::files::RunFiles;
use crate::scenario::Scenario;
use crate::source::JobSpec;
use crate::world::{self, World};
use crate::SimError;
use state::{Holder, Job, Machine};

/// What happens at a point of simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    /// The pending job arrives.
    Arrive,
    /// `qty` slots of a machine become free.
    LeaseEnd { machine: u32, qty: u32 },
    /// A machine's posting period ends: it posts its free slots again, unless it posted since
    /// (`posting` is the number of the posting this timer belongs to).
    Repost { machine: u32, posting: u64 },
    /// End of a time-series interval.
    Sample,
}

/// Everything a finished run leaves behind (its rows went to its [`RunFiles`] as it ran).
pub struct RunOutput {
    /// The world the run was built on.
    pub world: World,
    /// Totals.
    pub tally: Tally,
    /// One row per class and interval, for the intervals the charts draw
    /// ([`crate::metrics::thinned`]: all of them up to 2,048 intervals).
    pub series: Vec<SeriesRow>,
    /// Per drawn interval: (end ms, slots requested, slots leased).
    pub fill_series: Vec<(u64, u64, u64)>,
    /// Names of the classes, by class id.
    pub class_names: Vec<String>,
    /// The unit each class is priced in (`gpu-hour`, `core-hour`), by class id.
    pub class_units: Vec<&'static str>,
    /// Per machine: revenue, nano-units.
    pub revenue_nano: Vec<u128>,
    /// Σ over jobs of what each paid, nano-units (kept per job, apart from the tally).
    pub paid_nano: u128,
    /// Every arrived job, summarised for the efficiency bound.
    pub demand: Demand,
    /// The first error writing the run's files, if any.
    pub write_error: Option<SimError>,
    /// The deal and job rows, when the run kept them ([`RunFiles::keep`]).
    pub kept: Option<crate::report::files::KeptRows>,
    /// Simulated length, ms.
    pub end_ms: u64,
    /// Engine commands applied.
    pub commands: u64,
    /// Jobs still open at the end.
    pub jobs_open: u64,
}

/// About how many orders a run places: its jobs, and each machine's posting per period.
fn orders_hint(scenario: &Scenario) -> u64 {
    let hours = scenario.duration_h as f64;
    let jobs = scenario.requesters.rate_per_h
        * hours
        * scenario.requesters.spike_factor.unwrap_or(1.0).max(1.0);
    let periods = hours * 60.0 / scenario.providers.repost_min.max(1) as f64;
    (jobs + scenario.providers.count as f64 * periods).min(1e7) as u64
}

/// A run in progress.
pub struct Sim<'a> {
    scenario: &'a Scenario,
    market: Market,
    world: World,
    queue: BinaryHeap<Reverse<(u64, u64, Action)>>,
    seq: u64,
    now_ms: u64,
    end_ms: u64,
    interval_ms: u64,
    machines: Vec<Machine>,
    /// Jobs not yet resolved, by number; a filled or missed job is written out and dropped.
    jobs: BTreeMap<u32, Job>,
    jobs_arrived: u32,
    paid_nano: u128,
    demand: Demand,
    pending_job: Option<JobSpec>,
    /// Who placed each order still in the book (looked up, never iterated): an order that
    /// leaves is forgotten, so this holds the live orders, not every order of the run.
    holders: HashMap<u32, Holder>,
    sending: Option<Holder>,
    shape_class: Vec<Option<(ClassId, Sym)>>,
    shape_text: Vec<records::ShapeText>,
    class_names: Vec<String>,
    tally: Tally,
    thinned: Thinned,
    intervals: u64,
    files: RunFiles,
    events: Vec<Event>,
}

impl<'a> Sim<'a> {
    /// A run of `scenario` with `seed`, ready to start, writing no files.
    pub fn new(scenario: &'a Scenario, seed: u64) -> Result<Sim<'a>, SimError> {
        Sim::with_files(scenario, seed, RunFiles::discard())
    }

    /// A run of `scenario` with `seed` writing its rows to `files` as it goes.
    pub fn with_files(
        scenario: &'a Scenario,
        seed: u64,
        files: RunFiles,
    ) -> Result<Sim<'a>, SimError> {
        let mut market = Market::new(&scenario.pricing, orders_hint(scenario))?;
        let world = world::build(scenario, seed, &mut market)?;
        let classes = market.taxonomy().len();
        let mut tally = Tally { classes: vec![ClassTally::default(); classes], ..Tally::default() };
        let mut machines = Vec::with_capacity(world.machines.len());
        for (k, spec) in world.machines.iter().enumerate() {
            let class = market.class_of(&spec.hw);
            let class_sym = class.map(|c| {
                let name = market.taxonomy().class(c).name.clone();
                market.intern(&name)
            });
            if let Some(c) = class {
                tally.classes[c.index()].total_slots += u64::from(spec.slots);
            }
            machines.push(Machine {
                owner: agents::owner(0x10, k as u64),
                busy_until_ms: vec![0; spec.slots as usize],
                ask: None,
                sending: None,
                price_nano: agents::plus_pct(spec.cost_nano, scenario.providers.markup_pct),
                class,
                class_sym,
                posts: 0,
                revenue_nano: 0,
            });
        }
        let shape_class = world
            .shapes
            .iter()
            .map(|req| {
                let hw = world.groups.iter().find(|hw| req.satisfied_by(hw))?;
                let class = market.class_of(hw)?;
                let name = market.taxonomy().class(class).name.clone();
                Some((class, market.intern(&name)))
            })
            .collect();
        let shape_text =
            world.shapes.iter().map(|req| records::ShapeText::of(req, &market)).collect();
        let class_names = market.taxonomy().classes().iter().map(|c| c.name.clone()).collect();
        Ok(Sim {
            scenario,
            market,
            world,
            queue: BinaryHeap::new(),
            seq: 0,
            now_ms: 0,
            end_ms: scenario.duration_h.saturating_mul(3_600_000),
            interval_ms: scenario.interval_min.saturating_mul(60_000),
            machines,
            jobs: BTreeMap::new(),
            jobs_arrived: 0,
            paid_nano: 0,
            demand: Demand::default(),
            pending_job: None,
            holders: HashMap::new(),
            sending: None,
            shape_class,
            shape_text,
            class_names,
            tally,
            thinned: Thinned::default(),
            intervals: 0,
            files,
            events: Vec::new(),
        })
    }

    fn schedule(&mut self, at_ms: u64, action: Action) {
        self.seq += 1;
        self.queue.push(Reverse((at_ms, self.seq, action)));
    }

    fn next_arrival(&mut self) {
        self.pending_job = self.world.jobs.next_job();
        if let Some(job) = self.pending_job {
            self.schedule(job.arrival_ms, Action::Arrive);
        }
    }

    /// Runs to the end; `progress` hears of simulated time as it passes.
    pub fn run(mut self, progress: &mut dyn Progress) -> RunOutput {
        for machine in 0..self.machines.len() as u32 {
            self.schedule(0, Action::Repost { machine, posting: 0 });
        }
        self.schedule(self.interval_ms.min(self.end_ms), Action::Sample);
        self.next_arrival();
        let mut reported_ms = 0u64;
        while let Some(Reverse((at_ms, _, action))) = self.queue.pop() {
            if at_ms > self.end_ms {
                break;
            }
            self.now_ms = at_ms;
            self.tally.sim_events += 1;
            self.act(action);
            if at_ms >= reported_ms.saturating_add(self.interval_ms) {
                reported_ms = at_ms;
                progress.advance(at_ms, self.end_ms);
            }
        }
        progress.advance(self.end_ms, self.end_ms);
        self.finish()
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Arrive => self.arrive(),
            Action::LeaseEnd { machine, qty } => {
                if let Some(class) = self.machines[machine as usize].class {
                    let tally = &mut self.tally.classes[class.index()];
                    tally.busy_slots = handle::slots_less(tally.busy_slots, u64::from(qty), "busy");
                }
                self.post(machine);
            }
            Action::Repost { machine, posting } => self.repost(machine, posting),
            Action::Sample => self.sample(),
        }
    }

    /// Applies `command` for `holder` and absorbs every event of the step.
    fn apply(&mut self, holder: Option<Holder>, command: Command) {
        self.sending = holder;
        let events = self.market.apply(self.now_ms, command);
        self.events.clear();
        self.events.extend_from_slice(events);
        let events = std::mem::take(&mut self.events);
        for event in &events {
            self.absorb(event);
        }
        self.events = events;
        self.sending = None;
    }

    fn holder(&self, order: OrderRef) -> Option<Holder> {
        self.holders.get(&order.0).copied()
    }

    fn sample(&mut self) {
        self.apply(None, Command::Tick);
        self.record_interval();
        let next = self.now_ms.saturating_add(self.interval_ms);
        if self.now_ms < self.end_ms {
            self.schedule(next.min(self.end_ms), Action::Sample);
        }
    }

    fn finish(mut self) -> RunOutput {
        let open: Vec<u32> = self.jobs.keys().copied().collect();
        let jobs_open = open.len() as u64;
        for number in open {
            self.resolve(number, state::JobStatus::Open);
        }
        let (mut series, mut fill_series) = (Vec::new(), Vec::new());
        for interval in std::mem::take(&mut self.thinned).into_intervals() {
            fill_series.push((interval.ts_ms, interval.requested_slots, interval.filled_slots));
            series.extend(interval.rows);
        }
        RunOutput {
            revenue_nano: self.machines.iter().map(|m| m.revenue_nano).collect(),
            paid_nano: self.paid_nano,
            demand: self.demand,
            kept: self.files.take_kept(),
            write_error: self.files.finish().err(),
            world: self.world,
            tally: self.tally,
            series,
            fill_series,
            class_names: self.class_names,
            class_units: self.market.taxonomy().classes().iter().map(|c| c.unit.as_str()).collect(),
            end_ms: self.end_ms,
            commands: self.market.commands(),
            jobs_open,
        }
    }
}
