//! What a deal does outside the engine: money moves between the requester, the marketplace
//! and the provider, and the machine's slots are leased — where a double lease would show.

use gridbook_matcher::Deal;

use super::agents;
use super::handle::slots_less;
use super::{Action, Sim};
use crate::metrics::tally::payment_nano;
use crate::scenario::ProviderStrategy;

impl Sim<'_> {
    /// Money: the requester pays, the fee is kept, the provider earns the rest. Returns the
    /// payment and the fee, nano-units.
    pub(super) fn settle(&mut self, j: u32, k: u32, deal: &Deal, duration_ms: u64) -> (u128, u128) {
        let payment = payment_nano(deal.qty, deal.price_nano, duration_ms);
        let fee = payment * u128::from(self.scenario.fee_bps) / 10_000;
        let job = self.job_mut(j);
        job.paid_nano += payment;
        let value = i128::from(job.spec.value_nano);
        self.machines[k as usize].revenue_nano += payment - fee;
        self.tally.payments_nano += payment;
        self.tally.fees_nano += fee;
        let cost = i128::from(self.world.machines[k as usize].cost_nano);
        let slot_ms = i128::from(deal.qty) * i128::from(duration_ms);
        self.tally.surplus_nano_ms_per_h += (value - cost) * slot_ms;
        (payment, fee)
    }

    /// Slots: takes `deal.qty` free slots of machine `k`; fewer free than needed is a double
    /// lease, which the conservation check counts.
    pub(super) fn lease(&mut self, k: u32, deal: &Deal) {
        let m = &mut self.machines[k as usize];
        let mut needed = deal.qty;
        for until in m.busy_until_ms.iter_mut() {
            if needed == 0 {
                break;
            }
            if *until <= deal.start_ms {
                *until = deal.end_ms;
                needed -= 1;
            }
        }
        if needed > 0 {
            self.tally.double_leases += 1;
        }
        if let Some(ask) = m.ask.as_mut().filter(|ask| ask.order == deal.ask) {
            ask.remaining = slots_less(ask.remaining, deal.qty, "an ask's remaining");
            ask.filled = true;
            if ask.remaining == 0 {
                m.ask = None;
                self.holders.remove(&deal.ask.0);
            }
        }
        let p = &self.scenario.providers;
        if p.strategy == ProviderStrategy::Adaptive {
            m.price_nano = agents::plus_pct(m.price_nano, p.adapt_step_pct);
        }
        let hw = self.world.machines[k as usize].hw;
        if let Some(class) = m.class {
            let unit_price = self.market.taxonomy().normalise_nano(class, &hw, deal.price_nano);
            let leased_ms = deal.end_ms.min(self.end_ms).saturating_sub(deal.start_ms);
            let tally = &mut self.tally.classes[class.index()];
            tally.deal(unit_price, deal.qty);
            tally.supply_slots = slots_less(tally.supply_slots, deal.qty, "supply");
            tally.busy_slots += deal.qty;
            tally.leased_slot_ms += u128::from(deal.qty) * u128::from(leased_ms);
        }
        let qty = u32::try_from(deal.qty).expect("a deal takes at most a machine's u32 slots");
        self.schedule(deal.end_ms, Action::LeaseEnd { machine: k, qty });
    }
}

#[cfg(test)]
mod tests {
    use gridbook_matcher::{Deal, Event, OrderRef, Owner};

    use super::super::Action;
    use crate::{Scenario, Sim};

    const ONE_SLOT: &str = r#"duration_h = 1
[providers]
count = 1
[[providers.hardware]]
cpu = 8
mem_gib = 32
slots = 1
cost = { min = "1", max = "1" }
[requesters]
rate_per_h = 1
[[requesters.jobs]]
cpu = 1
mem_gib = 1
duration_min = { dist = "fixed", value = 10 }
deadline_slack_pct = { dist = "fixed", value = 0 }
value = { min = "2", max = "2" }
"#;

    fn deal(start_ms: u64, end_ms: u64) -> Deal {
        Deal {
            deal: 1,
            bid: OrderRef(1),
            ask: OrderRef(0),
            requester: Owner([2; 20]),
            provider: Owner([1; 20]),
            qty: 1,
            price_nano: 1,
            start_ms,
            end_ms,
        }
    }

    #[test]
    fn a_slot_leased_again_before_its_lease_ends_is_counted_as_a_double_lease() {
        let scenario = Scenario::from_toml_str(ONE_SLOT, "t.toml").unwrap();
        let mut sim = Sim::new(&scenario, 1).unwrap();
        // Three deals are leased below without their asks resting: count them as offered.
        let class = sim.machines[0].class.unwrap();
        sim.tally.classes[class.index()].supply_slots = 3;
        sim.lease(0, &deal(0, 600_000));
        assert_eq!(sim.tally.double_leases, 0);
        sim.lease(0, &deal(600_000, 900_000));
        assert_eq!(sim.tally.double_leases, 0, "back to back is fine");
        sim.lease(0, &deal(800_000, 1_000_000));
        assert_eq!(sim.tally.double_leases, 1, "overlap");
    }

    // Impossible states fail loudly (issue 9, item 9): each of these used to be skipped or
    // floored at 0, which would hide a simulator that disagrees with the engine.

    #[test]
    #[should_panic(expected = "never placed")]
    fn an_order_the_simulator_never_placed_leaving_the_book_stops_the_run() {
        let scenario = Scenario::from_toml_str(ONE_SLOT, "t.toml").unwrap();
        let mut sim = Sim::new(&scenario, 1).unwrap();
        sim.absorb(&Event::Expired { order: OrderRef(7), remaining: 1 });
    }

    #[test]
    #[should_panic(expected = "accepts only orders the simulator sends")]
    fn an_acceptance_of_an_order_nobody_sent_stops_the_run() {
        let scenario = Scenario::from_toml_str(ONE_SLOT, "t.toml").unwrap();
        let mut sim = Sim::new(&scenario, 1).unwrap();
        sim.absorb(&Event::Accepted { order: OrderRef(0) });
    }

    #[test]
    #[should_panic(expected = "busy slots 0 < 1 taken")]
    fn a_lease_ending_on_slots_that_were_never_busy_stops_the_run() {
        let scenario = Scenario::from_toml_str(ONE_SLOT, "t.toml").unwrap();
        let mut sim = Sim::new(&scenario, 1).unwrap();
        sim.act(Action::LeaseEnd { machine: 0, qty: 1 });
    }
}
