//! A naive reference implementation of the matching rules (docs/order-stream.md, rules 1–8,
//! pegged orders and re-pricing), written from the rules and not from the engine, for the
//! differential property test.
//!
//! Everything is a linear scan over one `Vec` of resting orders kept in arrival order, and every
//! rule is spelled out as directly as possible: it is meant to be obviously right, not fast. A
//! pegged order's price is never stored: it is computed from its peg and the class's reference
//! every time it is needed.
//! It shares with the engine only the command and event types, `validate::check_id` and the
//! constants in `limits`.

use gridbook_matcher::limits::{LIST_LEN_MAX, PRICE_NANO_MAX, QTY_MAX, RESOURCE_MAX, TIME_MS_MAX};
use gridbook_matcher::validate::check_id;
use gridbook_matcher::{
    Ask, Bid, Bound, Cancel, CancelReason, Command, Deal, EngineConfig, Event, Hardware, IdLookup,
    OrderRef, Owner, Price, RejectReason, Requirements, RestingView, Side, Sym, Tif,
};

/// A resting order: the command that placed it and what is left of it.
#[derive(Debug, Clone)]
enum Terms {
    Ask(Ask),
    Bid(Bid),
}

#[derive(Debug, Clone)]
struct Order {
    order: OrderRef,
    remaining: u64,
    terms: Terms,
}

impl Terms {
    fn price(&self) -> Price {
        match self {
            Terms::Ask(ask) => ask.price,
            Terms::Bid(bid) => bid.limit,
        }
    }
}

impl Order {
    fn owner(&self) -> Owner {
        match &self.terms {
            Terms::Ask(ask) => ask.owner,
            Terms::Bid(bid) => bid.owner,
        }
    }

    /// Rule 6, the condition itself: can this order no longer trade at `now`?
    fn expired_at(&self, now: u64) -> bool {
        match &self.terms {
            Terms::Ask(ask) => now >= ask.until_ms || ask.expires_ms.is_some_and(|e| now >= e),
            Terms::Bid(bid) => {
                now.max(bid.not_before_ms) + bid.duration_ms > bid.deadline_ms
                    || bid.expires_ms.is_some_and(|e| now >= e)
            }
        }
    }

    /// Rule 6, the expiry time that orders the `Expired` events.
    fn expiry_time(&self) -> u64 {
        match &self.terms {
            Terms::Ask(ask) => ask.until_ms.min(ask.expires_ms.unwrap_or(u64::MAX)),
            Terms::Bid(bid) => {
                let infeasible = bid.deadline_ms - bid.duration_ms + 1;
                infeasible.min(bid.expires_ms.unwrap_or(u64::MAX))
            }
        }
    }
}

/// Rule 1: does machine `hw` satisfy requirements `req`?
fn satisfies(hw: &Hardware, req: &Requirements) -> bool {
    let gpu_ok = req.gpu.is_empty()
        || (hw.gpu.is_some_and(|model| req.gpu.contains(&model))
            && hw.gpus >= req.gpus.max(1)
            && hw.gpu_mem_gib >= req.gpu_mem_gib);
    let tee_ok = req.tee.is_none() || hw.tee == req.tee;
    let region_ok = req.regions.is_empty() || req.regions.contains(&hw.region);
    hw.cpu >= req.cpu && hw.mem_gib >= req.mem_gib && gpu_ok && tee_ok && region_ok
}

/// Rule 2: the deal's `(start, end)` if the pair can run in time at `now`.
fn window(now: u64, ask: &Ask, bid: &Bid) -> Option<(u64, u64)> {
    let start = now.max(bid.not_before_ms).max(ask.from_ms);
    let end = start + bid.duration_ms;
    (end <= bid.deadline_ms && end <= ask.until_ms).then_some((start, end))
}

/// Requirements as sets, so two spellings of the same needs count as one signature.
fn signature(req: &Requirements) -> (Requirements, Vec<Sym>, Vec<Sym>) {
    let mut gpu = req.gpu.clone();
    gpu.sort();
    gpu.dedup();
    let mut regions = req.regions.clone();
    regions.sort();
    regions.dedup();
    let bare = Requirements { gpu: Vec::new(), regions: Vec::new(), ..req.clone() };
    (bare, gpu, regions)
}

/// A price's validity (rule 8, bad_price): a fixed price or a peg's limit in (0, 10^9] tokens, a
/// peg's offset at most 10^9 tokens either way.
fn price_ok(price: &Price) -> bool {
    let in_range = |nano: u64| nano > 0 && nano <= PRICE_NANO_MAX;
    match price {
        Price::Fixed(nano) => in_range(*nano),
        Price::Pegged(peg) => {
            in_range(peg.limit_nano) && peg.offset_nano.unsigned_abs() <= PRICE_NANO_MAX
        }
    }
}

/// The owner of an order's terms.
fn terms_owner(terms: &Terms) -> Owner {
    match terms {
        Terms::Ask(ask) => ask.owner,
        Terms::Bid(bid) => bid.owner,
    }
}

/// A resting order the incoming one could trade with, with the deal's times.
struct Candidate {
    order: OrderRef,
    owner: Owner,
    price_nano: u64,
    remaining: u64,
    start: u64,
    end: u64,
}

/// The reference engine.
#[derive(Debug, Clone)]
pub(crate) struct Naive {
    config: EngineConfig,
    clock: u64,
    /// Every accepted id; the index is the order's arrival number.
    ids: Vec<String>,
    /// Resting orders, in arrival order.
    book: Vec<Order>,
    deals: u64,
    /// Every class ever named by an accepted reference or pegged order (capacity limit).
    classes: Vec<Sym>,
    /// The reference price of each class that has one.
    references: Vec<(Sym, u64)>,
}

impl IdLookup for Naive {
    fn order_id(&self, order: OrderRef) -> &str {
        &self.ids[order.0 as usize]
    }
}

impl Naive {
    pub(crate) fn new(config: EngineConfig) -> Naive {
        Naive {
            config,
            clock: 0,
            ids: Vec::new(),
            book: Vec::new(),
            deals: 0,
            classes: Vec::new(),
            references: Vec::new(),
        }
    }

    fn reference(&self, class: Sym) -> Option<u64> {
        self.references.iter().find(|(c, _)| *c == class).map(|(_, price)| *price)
    }

    /// What an order is worth now: a fixed price as is; a pegged bid pays
    /// `min(reference + offset, limit)` and is unpriced when `reference + offset ≤ 0`; a pegged
    /// ask sells at `max(reference + offset, limit)`; no reference, no price.
    fn effective(&self, terms: &Terms) -> Option<u64> {
        self.effective_price(&terms.price(), matches!(terms, Terms::Bid(_)))
    }

    /// [`Naive::effective`] for a price alone (`is_bid`: a bid's limit).
    pub(crate) fn effective_price(&self, price: &Price, is_bid: bool) -> Option<u64> {
        let peg = match price {
            Price::Fixed(nano) => return Some(*nano),
            Price::Pegged(peg) => peg,
        };
        let reference = self.reference(peg.class)?;
        let moved = reference as i128 * i128::from(peg.units.max(1)) + peg.offset_nano as i128;
        if is_bid && moved <= 0 {
            None
        } else if is_bid {
            Some(moved.min(peg.limit_nano as i128) as u64)
        } else {
            Some(moved.max(peg.limit_nano as i128) as u64)
        }
    }

    /// Classes an accepted command names, remembered for the capacity rule.
    fn note_class(&mut self, price: Price) {
        if let Price::Pegged(peg) = price {
            if !self.classes.contains(&peg.class) {
                self.classes.push(peg.class);
            }
        }
    }

    fn class_full(&self, price: &Price) -> bool {
        match price {
            Price::Fixed(_) => false,
            Price::Pegged(peg) => self.new_class_full(peg.class),
        }
    }

    fn new_class_full(&self, class: Sym) -> bool {
        !self.classes.contains(&class) && self.classes.len() >= self.config.classes_max
    }

    /// The clock: the time of the last accepted command.
    pub(crate) fn now_ms(&self) -> u64 {
        self.clock
    }

    /// Resting orders in arrival order, as `Engine::snapshot` shows them.
    pub(crate) fn snapshot(&self) -> Vec<RestingView> {
        self.book
            .iter()
            .map(|o| {
                let side = match &o.terms {
                    Terms::Ask(_) => Side::Ask,
                    Terms::Bid(_) => Side::Bid,
                };
                let price = self.effective(&o.terms);
                RestingView {
                    order: o.order,
                    side,
                    price_nano: price.unwrap_or(0),
                    priced: price.is_some(),
                    remaining: o.remaining,
                }
            })
            .collect()
    }

    /// Applies `command` at `now` and returns its events.
    pub(crate) fn apply(&mut self, command: &Command, now: u64) -> Vec<Event> {
        // Rule 8: a rejected command changes nothing, not even the clock.
        if let Err(reason) = self.validate(command, now) {
            return vec![Event::Rejected { reason }];
        }
        self.clock = now;
        let mut events = self.expire(now);
        match command {
            Command::Ask(ask) => {
                self.accept(&ask.id, &mut events);
                self.note_class(ask.price);
                self.place(Terms::Ask(ask.clone()), now, &mut events);
            }
            Command::Bid(bid) => {
                self.accept(&bid.id, &mut events);
                self.note_class(bid.limit);
                self.place(Terms::Bid(bid.clone()), now, &mut events);
            }
            Command::Reference { class, price_nano } => {
                self.set_reference(*class, *price_nano, now, &mut events);
            }
            Command::Cancel(cancel) => {
                // Validation made sure it rests and survives this command's expiry.
                let at = self.position(&cancel.id).expect("validated cancel");
                let gone = self.book.remove(at);
                events.push(Event::Cancelled {
                    order: gone.order,
                    remaining: gone.remaining,
                    reason: CancelReason::User,
                });
            }
            Command::Tick => {}
        }
        events
    }

    fn accept(&mut self, id: &str, events: &mut Vec<Event>) {
        events.push(Event::Accepted { order: OrderRef(self.ids.len() as u32) });
        self.ids.push(id.to_string());
    }

    /// Where the resting order with `id` is in the book.
    fn position(&self, id: &str) -> Option<usize> {
        let number = self.ids.iter().position(|known| known == id)?;
        self.book.iter().position(|o| o.order.0 as usize == number)
    }

    /// Rule 6: removes what can no longer trade at `now`, in (expiry time, arrival) order.
    fn expire(&mut self, now: u64) -> Vec<Event> {
        let mut due: Vec<(u64, OrderRef, u64)> = self
            .book
            .iter()
            .filter(|o| o.expired_at(now))
            .map(|o| (o.expiry_time(), o.order, o.remaining))
            .collect();
        due.sort();
        self.book.retain(|o| !o.expired_at(now));
        due.into_iter().map(|(_, order, remaining)| Event::Expired { order, remaining }).collect()
    }

    /// Rules 1–4: the resting orders `incoming` (worth `price` now) could trade with at `now`,
    /// best for it first. An unpriced order trades with nothing; unpriced resting orders are
    /// never candidates.
    fn candidates(&self, incoming: &Terms, price: Option<u64>, now: u64) -> Vec<Candidate> {
        let Some(price) = price else { return Vec::new() };
        let owner = match incoming {
            Terms::Ask(ask) => ask.owner,
            Terms::Bid(bid) => bid.owner,
        };
        let mut candidates: Vec<Candidate> = Vec::new();
        for resting in &self.book {
            if resting.owner() == owner {
                continue; // rule 3: never trade with yourself
            }
            let Some(resting_price) = self.effective(&resting.terms) else { continue };
            let (ask, bid, ask_price, bid_price) = match (incoming, &resting.terms) {
                (Terms::Ask(ask), Terms::Bid(bid)) => (ask, bid, price, resting_price),
                (Terms::Bid(bid), Terms::Ask(ask)) => (ask, bid, resting_price, price),
                _ => continue,
            };
            if ask_price > bid_price || !satisfies(&ask.hw, &bid.req) {
                continue;
            }
            if let Some((start, end)) = window(now, ask, bid) {
                let remaining = resting.remaining;
                candidates.push(Candidate {
                    order: resting.order,
                    owner: resting.owner(),
                    price_nano: resting_price,
                    remaining,
                    start,
                    end,
                });
            }
        }
        // Rule 4: best price for the incoming order first, then arrival.
        match incoming {
            Terms::Bid(_) => candidates.sort_by_key(|c| (c.price_nano, c.order)),
            Terms::Ask(_) => candidates.sort_by_key(|c| (std::cmp::Reverse(c.price_nano), c.order)),
        }
        candidates
    }

    /// Trades `order` (on side `terms`) against `candidates`, in their order, for up to
    /// `qty`: each fill at the candidate's price. Returns what is left of `qty`.
    fn trade(
        &mut self,
        order: OrderRef,
        terms: &Terms,
        candidates: Vec<Candidate>,
        qty: u64,
        events: &mut Vec<Event>,
    ) -> u64 {
        let mut left = qty;
        for candidate in candidates {
            if left == 0 {
                break;
            }
            let fill = left.min(candidate.remaining);
            left -= fill;
            self.deals += 1;
            let own = terms_owner(terms);
            let ((bid, requester), (ask, provider)) = match terms {
                Terms::Bid(_) => ((order, own), (candidate.order, candidate.owner)),
                Terms::Ask(_) => ((candidate.order, candidate.owner), (order, own)),
            };
            events.push(Event::Deal(Deal {
                deal: self.deals,
                bid,
                ask,
                requester,
                provider,
                qty: fill,
                price_nano: candidate.price_nano,
                start_ms: candidate.start,
                end_ms: candidate.end,
            }));
            let at = self.book.iter().position(|o| o.order == candidate.order).expect("resting");
            self.book[at].remaining -= fill;
            if self.book[at].remaining == 0 {
                self.book.remove(at);
            }
        }
        left
    }

    /// A reference command: set the price; list the resting orders pegged to the class whose
    /// effective price (or pricedness) changed, in arrival order; then each of them that still
    /// rests and is priced trades as an incoming gtc order would, its remainder staying put.
    fn set_reference(&mut self, class: Sym, price: u64, now: u64, events: &mut Vec<Event>) {
        if !self.classes.contains(&class) {
            self.classes.push(class);
        }
        let pegged_here =
            |o: &Order| matches!(o.terms.price(), Price::Pegged(peg) if peg.class == class);
        let before: Vec<(OrderRef, Option<u64>)> = self
            .book
            .iter()
            .filter(|o| pegged_here(o))
            .map(|o| (o.order, self.effective(&o.terms)))
            .collect();
        self.references.retain(|(c, _)| *c != class);
        self.references.push((class, price));
        let mut changed = Vec::new();
        for (order, old) in before {
            let o = self.book.iter().find(|o| o.order == order).expect("still resting");
            if self.effective(&o.terms) != old {
                changed.push(order);
            }
        }
        events.push(Event::Reference { class, price_nano: price, repriced: changed.len() as u64 });
        for order in changed {
            let Some(at) = self.book.iter().position(|o| o.order == order) else { continue };
            let (terms, remaining) = (self.book[at].terms.clone(), self.book[at].remaining);
            let price = self.effective(&terms);
            let candidates = self.candidates(&terms, price, now);
            let left = self.trade(order, &terms, candidates, remaining, events);
            let at = self.book.iter().position(|o| o.order == order).expect("aggressor rests");
            if left == 0 {
                self.book.remove(at);
            } else {
                self.book[at].remaining = left;
            }
        }
    }

    /// Rules 1–5 for an accepted order (its `Accepted` event already emitted).
    fn place(&mut self, incoming: Terms, now: u64, events: &mut Vec<Event>) {
        let order = OrderRef(self.ids.len() as u32 - 1);
        let (qty, tif) = match &incoming {
            Terms::Ask(ask) => (ask.qty, ask.tif),
            Terms::Bid(bid) => (bid.qty, bid.tif),
        };
        let price = self.effective(&incoming);
        let candidates = self.candidates(&incoming, price, now);
        // Rule 5: post-only and fill-or-kill decide before anything trades.
        let available: u64 = candidates.iter().map(|c| c.remaining).sum();
        let refuse = match tif {
            Tif::Post if !candidates.is_empty() => Some(CancelReason::Post),
            Tif::Fok if available < qty => Some(CancelReason::Fok),
            _ => None,
        };
        if let Some(reason) = refuse {
            events.push(Event::Cancelled { order, remaining: qty, reason });
            return;
        }
        let left = self.trade(order, &incoming, candidates, qty, events);
        if left == 0 {
            return;
        }
        if tif == Tif::Ioc {
            events.push(Event::Cancelled { order, remaining: left, reason: CancelReason::Ioc });
            return;
        }
        self.book.push(Order { order, remaining: left, terms: incoming });
    }

    /// Rule 8, in its order: the first failing check is the reason.
    fn validate(&self, command: &Command, now: u64) -> Result<(), RejectReason> {
        if now > TIME_MS_MAX {
            return Err(RejectReason::BadTime);
        }
        if now < self.clock {
            return Err(RejectReason::TimeBackwards);
        }
        match command {
            Command::Ask(ask) => self.validate_ask(ask, now),
            Command::Bid(bid) => self.validate_bid(bid, now),
            Command::Cancel(cancel) => self.validate_cancel(cancel, now),
            Command::Tick => Ok(()),
            Command::Reference { class, price_nano } => {
                if !price_ok(&Price::Fixed(*price_nano)) {
                    return Err(RejectReason::BadPrice);
                }
                if self.new_class_full(*class) {
                    return Err(RejectReason::Capacity(Bound::ClassesMax));
                }
                Ok(())
            }
        }
    }

    fn validate_id(&self, id: &str) -> Result<(), RejectReason> {
        check_id(id)?;
        if self.ids.iter().any(|known| known == id) {
            return Err(RejectReason::DuplicateId);
        }
        Ok(())
    }

    fn validate_ask(&self, ask: &Ask, now: u64) -> Result<(), RejectReason> {
        self.validate_id(&ask.id)?;
        if !price_ok(&ask.price) {
            return Err(RejectReason::BadPrice);
        }
        if ask.qty == 0 || ask.qty > QTY_MAX {
            return Err(RejectReason::BadQty);
        }
        let hw = &ask.hw;
        if [hw.cpu, hw.mem_gib, hw.gpus, hw.gpu_mem_gib].iter().any(|&v| v > RESOURCE_MAX) {
            return Err(RejectReason::BadHardware);
        }
        let expires = ask.expires_ms.unwrap_or(0);
        if ask.from_ms > TIME_MS_MAX || ask.until_ms > TIME_MS_MAX || expires > TIME_MS_MAX {
            return Err(RejectReason::BadTime);
        }
        if ask.until_ms <= ask.from_ms || ask.until_ms <= now {
            return Err(RejectReason::BadWindow);
        }
        if ask.expires_ms.is_some_and(|e| e <= now) {
            return Err(RejectReason::BadExpires);
        }
        let live = self.live_configs();
        let full = !live.contains(&ask.hw) && live.len() >= self.config.configs_max;
        self.validate_room(&ask.id, full.then_some(Bound::ConfigsMax), &ask.price)
    }

    fn validate_bid(&self, bid: &Bid, now: u64) -> Result<(), RejectReason> {
        self.validate_id(&bid.id)?;
        if !price_ok(&bid.limit) {
            return Err(RejectReason::BadPrice);
        }
        if bid.qty == 0 || bid.qty > QTY_MAX {
            return Err(RejectReason::BadQty);
        }
        let req = &bid.req;
        let counts = [req.cpu, req.mem_gib, req.gpus, req.gpu_mem_gib];
        if counts.iter().any(|&v| v > RESOURCE_MAX)
            || req.gpu.len() > LIST_LEN_MAX
            || req.regions.len() > LIST_LEN_MAX
        {
            return Err(RejectReason::BadHardware);
        }
        let times = [bid.not_before_ms, bid.deadline_ms, bid.duration_ms];
        if times.iter().any(|&t| t > TIME_MS_MAX) || bid.expires_ms.unwrap_or(0) > TIME_MS_MAX {
            return Err(RejectReason::BadTime);
        }
        if bid.duration_ms == 0 {
            return Err(RejectReason::BadDuration);
        }
        if now.max(bid.not_before_ms) + bid.duration_ms > bid.deadline_ms {
            return Err(RejectReason::DeadlineUnreachable);
        }
        if bid.expires_ms.is_some_and(|e| e <= now) {
            return Err(RejectReason::BadExpires);
        }
        let live = self.live_signatures();
        let full = !live.contains(&signature(&bid.req)) && live.len() >= self.config.signatures_max;
        self.validate_room(&bid.id, full.then_some(Bound::SignaturesMax), &bid.limit)
    }

    /// The distinct machine configurations of the resting asks.
    fn live_configs(&self) -> Vec<Hardware> {
        let mut live: Vec<Hardware> = Vec::new();
        for order in &self.book {
            if let Terms::Ask(ask) = &order.terms {
                if !live.contains(&ask.hw) {
                    live.push(ask.hw);
                }
            }
        }
        live
    }

    /// The distinct requirement signatures of the resting bids.
    fn live_signatures(&self) -> Vec<(Requirements, Vec<Sym>, Vec<Sym>)> {
        let mut live = Vec::new();
        for order in &self.book {
            if let Terms::Bid(bid) = &order.terms {
                let sig = signature(&bid.req);
                if !live.contains(&sig) {
                    live.push(sig);
                }
            }
        }
        live
    }

    /// Capacity, judged on the book as it is before this command's expiry; the first bound
    /// reached is named, in the order resting orders, ids, id bytes, groups (`group`: the
    /// order's group has no room), classes.
    fn validate_room(
        &self,
        id: &str,
        group: Option<Bound>,
        price: &Price,
    ) -> Result<(), RejectReason> {
        let id_bytes: usize = self.ids.iter().map(String::len).sum();
        let full = if self.book.len() >= self.config.resting_max {
            Some(Bound::RestingMax)
        } else if self.ids.len() >= self.config.orders_max {
            Some(Bound::OrdersMax)
        } else if id_bytes + id.len() > self.config.id_bytes_max {
            Some(Bound::IdBytesMax)
        } else if group.is_some() {
            group
        } else if self.class_full(price) {
            Some(Bound::ClassesMax)
        } else {
            None
        };
        full.map_or(Ok(()), |bound| Err(RejectReason::Capacity(bound)))
    }

    fn validate_cancel(&self, cancel: &Cancel, now: u64) -> Result<(), RejectReason> {
        if !self.ids.iter().any(|known| known == &cancel.id) {
            return Err(RejectReason::UnknownId);
        }
        // An order this command's own time would expire is already inactive.
        let resting = self.position(&cancel.id).map(|at| &self.book[at]);
        let resting = match resting {
            Some(o) if !o.expired_at(now) => o,
            _ => return Err(RejectReason::InactiveId),
        };
        if resting.owner() != cancel.owner {
            return Err(RejectReason::NotOwner);
        }
        Ok(())
    }
}
