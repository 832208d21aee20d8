//! How the simulator acts and reacts: a job arriving bids, a machine posts its free slots,
//! and each engine event updates the agents, the ledger and the conservation checks.

use gridbook_matcher::{Command, Deal, Event, OrderRef};

use super::agents::{self, AskPricing};
use super::state::{Holder, Job, JobStatus, RestingAsk};
use super::{Action, Sim};
use crate::metrics::series::SeriesRow;
use crate::metrics::thinned::Interval;
use crate::scenario::ProviderStrategy;

/// `slots − taken` for a count the simulator keeps beside the engine; taking more than it
/// holds means the two disagree, a bug to stop at, not a count to floor at 0.
pub(super) fn slots_less(slots: u64, taken: u64, what: &str) -> u64 {
    slots.checked_sub(taken).unwrap_or_else(|| panic!("{what} slots {slots} < {taken} taken"))
}

impl Sim<'_> {
    pub(super) fn arrive(&mut self) {
        let spec = self.pending_job.take().expect("an arrival is scheduled only for a pending job");
        let number = self.jobs_arrived;
        self.jobs_arrived =
            number.checked_add(1).expect("the memory estimate bounds jobs far below u32");
        let class = self.shape_class[spec.shape as usize];
        let job = Job { spec, remaining: spec.qty, class: class.map(|c| c.0), paid_nano: 0 };
        self.jobs.insert(number, job);
        self.demand.add(&spec);
        self.tally.jobs += 1;
        self.tally.slots_requested += spec.qty;
        self.tally.interval_requested_slots += spec.qty;
        let r = &self.scenario.requesters;
        let peg =
            class.map(|c| c.1).filter(|&sym| self.market.reference_per_slot(sym, 1).is_some());
        let req = &self.world.shapes[spec.shape as usize];
        let owner = agents::owner(0x20, u64::from(number));
        let command =
            agents::bid(format!("j{number}"), owner, &spec, req, r.strategy, r.shade_pct, peg);
        self.apply(Some(Holder::Job(number)), command);
        self.next_arrival();
    }

    /// The posting period of `machine` ended: the adaptive strategy lowers an unfilled price
    /// (never below cost), then the machine posts afresh. A timer of an older posting is stale.
    pub(super) fn repost(&mut self, machine: u32, posting: u64) {
        let at = machine as usize;
        if posting != self.machines[at].posts {
            return;
        }
        let p = &self.scenario.providers;
        let m = &mut self.machines[at];
        let unfilled = m.ask.as_ref().is_some_and(|ask| !ask.filled);
        if p.strategy == ProviderStrategy::Adaptive && unfilled {
            let cost = self.world.machines[at].cost_nano;
            m.price_nano = agents::minus_pct(m.price_nano, p.adapt_step_pct).max(cost);
        }
        self.post(machine);
    }

    /// Cancels the machine's resting ask, if any, and posts its free slots afresh.
    pub(super) fn post(&mut self, machine: u32) {
        let at = machine as usize;
        if let Some(ask) = &self.machines[at].ask {
            let cancel =
                gridbook_matcher::Cancel { id: ask.id.clone(), owner: self.machines[at].owner };
            self.apply(None, Command::Cancel(cancel));
        }
        let now_ms = self.now_ms;
        let m = &mut self.machines[at];
        let free = m.busy_until_ms.iter().filter(|&&until| until <= now_ms).count() as u64;
        if free == 0 {
            return;
        }
        let p = &self.scenario.providers;
        let spec = &self.world.machines[at];
        let peg = m.class_sym.filter(|&sym| self.market.reference_per_slot(sym, 1).is_some());
        let pricing = AskPricing {
            strategy: p.strategy,
            cost_nano: spec.cost_nano,
            own_nano: m.price_nano,
            peg_class: peg,
        };
        m.posts += 1;
        let id = format!("m{machine}.{}", m.posts);
        m.sending = Some((id.clone(), free));
        let repost_ms = p.repost_min.saturating_mul(60_000);
        let horizon_ms = p.ask_horizon_h.saturating_mul(3_600_000);
        // The expiry is a backstop: the timer below re-posts first.
        let expires_ms = now_ms + repost_ms + 60_000;
        let command =
            agents::ask(id, m.owner, &pricing, free, spec.hw, now_ms, horizon_ms, expires_ms);
        let posting = m.posts;
        self.apply(Some(Holder::Machine(machine)), command);
        self.machines[at].sending = None;
        self.schedule(now_ms + repost_ms, Action::Repost { machine, posting });
    }

    pub(super) fn absorb(&mut self, event: &Event) {
        match *event {
            Event::Accepted { order } => self.accepted(order),
            Event::Deal(deal) => self.deal(&deal),
            Event::Expired { order, remaining } => self.gone(order, remaining, true),
            Event::Cancelled { order, remaining, .. } => self.gone(order, remaining, false),
            Event::Rejected { reason } => {
                *self.tally.rejects.entry(reason.code()).or_default() += 1
            }
            Event::Reference { .. } => self.tally.references += 1,
        }
    }

    fn accepted(&mut self, order: OrderRef) {
        let holder = self.sending.expect("the engine accepts only orders the simulator sends");
        self.holders.insert(order.0, holder);
        match holder {
            Holder::Machine(k) => {
                let m = &mut self.machines[k as usize];
                let (id, qty) = m.sending.take().expect("an accepted ask was being sent");
                m.ask = Some(RestingAsk { order, id, remaining: qty, filled: false });
                if let Some(class) = m.class {
                    self.tally.classes[class.index()].supply_slots += qty;
                }
            }
            Holder::Job(j) => {
                let job = self.job(j);
                if let Some(class) = job.class {
                    self.tally.classes[class.index()].demand_slots += job.spec.qty;
                }
            }
        }
    }

    /// An order left the book with `remaining` slots: expired, or cancelled by its machine.
    fn gone(&mut self, order: OrderRef, remaining: u64, expired: bool) {
        match self.holders.remove(&order.0) {
            Some(Holder::Machine(k)) => {
                let m = &mut self.machines[k as usize];
                let resting = m.ask.take().expect("a machine's order leaves only while it rests");
                assert_eq!(resting.order, order, "a machine has one resting ask, the one leaving");
                if let Some(class) = m.class {
                    let tally = &mut self.tally.classes[class.index()];
                    tally.supply_slots = slots_less(tally.supply_slots, remaining, "supply");
                }
                if expired {
                    let posting = m.posts;
                    self.schedule(self.now_ms, Action::Repost { machine: k, posting });
                }
            }
            Some(Holder::Job(j)) => {
                assert!(remaining > 0, "a bid leaves the book unfilled only with slots remaining");
                if let Some(class) = self.job(j).class {
                    let tally = &mut self.tally.classes[class.index()];
                    tally.demand_slots = slots_less(tally.demand_slots, remaining, "demand");
                }
                self.tally.jobs_missed += 1;
                self.resolve(j, JobStatus::Missed);
            }
            None => panic!("order {} left the book but the simulator never placed it", order.0),
        }
    }

    fn deal(&mut self, deal: &Deal) {
        let (Some(Holder::Job(j)), Some(Holder::Machine(k))) =
            (self.holder(deal.bid), self.holder(deal.ask))
        else {
            self.tally.foreign_deals += 1;
            return;
        };
        let duration_ms = deal.end_ms - deal.start_ms;
        let (payment, fee) = self.settle(j, k, deal, duration_ms);
        self.lease(k, deal);
        self.record_deal(j, k, deal, payment, fee);
        let job = self.job_mut(j);
        job.remaining = slots_less(job.remaining, deal.qty, "a job's remaining");
        let (remaining, class, arrival_ms) = (job.remaining, job.class, job.spec.arrival_ms);
        if let Some(class) = class {
            let tally = &mut self.tally.classes[class.index()];
            tally.demand_slots = slots_less(tally.demand_slots, deal.qty, "demand");
        }
        if remaining == 0 {
            self.holders.remove(&deal.bid.0);
            self.tally.jobs_filled += 1;
            self.tally.match_ms.record(self.now_ms - arrival_ms);
            self.resolve(j, JobStatus::Filled);
        }
        self.tally.deals += 1;
        self.tally.slots_filled += deal.qty;
        self.tally.interval_filled_slots += deal.qty;
    }

    /// Closes the interval: one row per class that has machines.
    pub(super) fn record_interval(&mut self) {
        let requested = std::mem::take(&mut self.tally.interval_requested_slots);
        let filled = std::mem::take(&mut self.tally.interval_filled_slots);
        let mut rows = Vec::new();
        for (at, tally) in self.tally.classes.iter_mut().enumerate() {
            if tally.total_slots == 0 {
                continue;
            }
            let class = gridbook_pricing::ClassId(at as u32);
            let ohlc = tally.ohlc_nano.take();
            let turnover = std::mem::take(&mut tally.turnover_nano);
            if let Some((_, _, _, close)) = ohlc {
                tally.volatility.close(close);
            }
            rows.push(SeriesRow {
                ts_ms: self.now_ms,
                class: at as u32,
                reference_nano: self.market.model_reference(class),
                ohlc_nano: ohlc,
                vwap_nano: (tally.volume_slots > 0).then(|| {
                    let vwap = turnover / u128::from(tally.volume_slots);
                    u64::try_from(vwap).expect("a mean of u64 prices fits a u64")
                }),
                volume_slots: std::mem::take(&mut tally.volume_slots),
                supply_slots: tally.supply_slots,
                demand_slots: tally.demand_slots,
                busy_slots: tally.busy_slots,
                total_slots: tally.total_slots,
                trace_busy_milli: self.world.trace_load.as_ref().map(|load| {
                    (load.busy_slots(at, self.now_ms) * 1000.0).round().max(0.0) as u64
                }),
            });
        }
        for row in &rows {
            let record = crate::metrics::series::record(row, &self.class_names[row.class as usize]);
            self.files.series(&record);
        }
        let number = self.intervals;
        self.intervals += 1;
        let ts_ms = self.now_ms;
        let interval =
            Interval { number, ts_ms, requested_slots: requested, filled_slots: filled, rows };
        self.thinned.push(interval);
    }
}
