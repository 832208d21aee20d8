//! The feeds' own copy of the resting book, followed from accepted orders and their events,
//! and the depth channels it feeds.
//!
//! The engine's events name orders but carry no terms, so the book keeps, for each resting
//! order, what its command said (side, machine or requirements, fixed price or peg) and its
//! remaining quantity; each event moves the order's contribution to the channels it is in:
//!
//! - an ask is in the channel of its machine configuration (per slot-hour, in slots) and in
//!   the channel of its machine's class (per class unit, in units);
//! - a bid is in the channel of every known configuration whose machine satisfies it, and in
//!   the channel of every class that has such a configuration, once per class (per class unit:
//!   its limit divided by the units one of its slots asks for, in units).
//!
//! A configuration is known from the first ask of its machine on, and stays known (bounded by
//! [`crate::FeedsConfig::configs_max`]): a configuration's channel shows the bids that would
//! take its machine even while no ask of it rests. Requirement signatures are remembered while
//! a bid of theirs rests.
//!
//! A pegged order is priced as the engine prices it ([`Peg::effective_nano`] of its class's
//! reference); without a reference, or below zero for a bid, it is in no channel.

use std::collections::{BTreeMap, BTreeSet};

use gridbook_matcher::{Hardware, Peg, Price, Requirements, Side, Sym, Symbols};
use gridbook_pricing::book::bid_units_per_slot;
use gridbook_pricing::fixed::{div_round, saturate_u64};
use gridbook_pricing::{ClassId, Taxonomy};
use hashbrown::HashMap;

use crate::depth::Depth;
use crate::error::FeedsError;

/// A machine configuration the feeds know, by first appearance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigId(pub u32);

/// A depth channel, by index: the taxonomy's classes first, then configurations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(pub u32);

/// A requirement signature with resting bids (a slot in [`Book::sigs`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct SigId(u32);

/// The feeds' number for a resting order (arrival order among accepted orders).
type OrderNo = u64;

/// What a depth channel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DepthKey {
    /// A pricing class: prices per class unit, quantities in units.
    Class(ClassId),
    /// A machine configuration: prices per slot-hour, quantities in slots.
    Config(ConfigId),
}

/// A known configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Its machine.
    pub hw: Hardware,
    /// Its class and the units one slot holds.
    pub class: Option<(ClassId, u64)>,
    channel: ChannelId,
}

/// A class a signature's bids are demand in: the units one slot asks for there, and how many
/// known configurations of the class satisfy the signature (demand once it is ≥ 1).
#[derive(Debug, Clone, Copy)]
struct ClassLink {
    class: ClassId,
    per_slot: u64,
    configs: u32,
}

#[derive(Debug, Clone)]
struct Signature {
    req: Requirements,
    configs: Vec<ConfigId>,
    classes: Vec<ClassLink>,
    orders: BTreeSet<OrderNo>,
}

#[derive(Debug, Clone)]
enum Place {
    Ask(ConfigId),
    Bid(SigId),
}

/// A resting order as the feeds follow it.
#[derive(Debug, Clone)]
struct Order {
    id: Box<str>,
    price: Price,
    place: Place,
    remaining: u64,
}

impl Order {
    fn side(&self) -> Side {
        match self.place {
            Place::Ask(_) => Side::Ask,
            Place::Bid(_) => Side::Bid,
        }
    }
}

/// An accepted order's terms, as the engine saw them.
#[derive(Debug, Clone)]
pub enum Terms {
    /// An ask of `hw`.
    Ask {
        /// Its machine.
        hw: Hardware,
        /// Its price.
        price: Price,
    },
    /// A bid for `req`.
    Bid {
        /// Its requirements.
        req: Requirements,
        /// Its limit.
        limit: Price,
    },
}

/// The resting book and the depth channels.
#[derive(Debug, Clone)]
pub struct Book {
    taxonomy: Taxonomy,
    configs_max: usize,
    /// Whether new configurations' channels are tracked from the start.
    track_all: bool,
    /// By [`ConfigId`]: whether its channel holds levels.
    tracked: Vec<bool>,
    ids: HashMap<Box<str>, OrderNo>,
    orders: HashMap<OrderNo, Order>,
    next_order: OrderNo,
    configs: Vec<Config>,
    config_of: HashMap<Hardware, ConfigId>,
    sigs: Vec<Option<Signature>>,
    free_sigs: Vec<SigId>,
    sig_of: HashMap<Requirements, SigId>,
    references: HashMap<Sym, u64>,
    pegged: BTreeMap<Sym, BTreeSet<OrderNo>>,
    channels: Vec<Depth>,
    /// Channels touched by the command being applied.
    dirty: BTreeSet<ChannelId>,
    /// Classes whose best prices, supply or demand may have moved in this command.
    scratch: Vec<(ChannelId, Side, u64, u64)>,
}

/// Whether a contribution goes in or comes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Add,
    Remove,
}

impl Book {
    /// An empty book under `taxonomy`, knowing at most `configs_max` configurations, whose
    /// channels are tracked from the start if `track_all`.
    pub fn new(taxonomy: Taxonomy, configs_max: usize, track_all: bool) -> Book {
        let channels = vec![Depth::default(); taxonomy.len()];
        Book {
            taxonomy,
            configs_max,
            track_all,
            tracked: Vec::new(),
            ids: HashMap::new(),
            orders: HashMap::new(),
            next_order: 0,
            configs: Vec::new(),
            config_of: HashMap::new(),
            sigs: Vec::new(),
            free_sigs: Vec::new(),
            sig_of: HashMap::new(),
            references: HashMap::new(),
            pegged: BTreeMap::new(),
            channels,
            dirty: BTreeSet::new(),
            scratch: Vec::new(),
        }
    }

    /// Whether `config`'s channel holds levels.
    pub fn is_tracked(&self, config: ConfigId) -> bool {
        self.tracked[config.0 as usize]
    }

    /// `config`'s channel holds levels from now on: every resting order's contribution is added
    /// as this command's changes, so the next update sets them all.
    pub fn track(&mut self, config: ConfigId) {
        if std::mem::replace(&mut self.tracked[config.0 as usize], true) {
            return;
        }
        let channel = self.configs[config.0 as usize].channel;
        let mut numbers: Vec<OrderNo> = self
            .orders
            .iter()
            .filter(|(_, order)| match order.place {
                Place::Ask(at) => at == config,
                Place::Bid(sig) => self.sigs[sig.0 as usize]
                    .as_ref()
                    .is_some_and(|signature| signature.configs.contains(&config)),
            })
            .map(|(&no, _)| no)
            .collect();
        numbers.sort_unstable();
        for no in numbers {
            let order = &self.orders[&no];
            let Some(price_nano) = self.price_now(order) else { continue };
            let (side, qty) = (order.side(), order.remaining);
            self.channels[channel.0 as usize].add(side, price_nano, qty);
            self.dirty.insert(channel);
        }
    }

    /// The levels `config`'s channel would hold, computed from the resting orders whether or
    /// not it is tracked (a question about a channel nobody follows).
    pub fn computed_depth(&self, config: ConfigId) -> Depth {
        let mut depth = Depth::default();
        for order in self.orders.values() {
            let reaches = match order.place {
                Place::Ask(at) => at == config,
                Place::Bid(sig) => self.sigs[sig.0 as usize]
                    .as_ref()
                    .is_some_and(|signature| signature.configs.contains(&config)),
            };
            if let (true, Some(price_nano)) = (reaches, self.price_now(order)) {
                depth.add(order.side(), price_nano, order.remaining);
            }
        }
        let seq = self.channels[self.configs[config.0 as usize].channel.0 as usize].seq();
        depth.restore_seq(seq);
        depth
    }

    /// By [`ConfigId`]: whether the configuration's channel has a level now, tracked or not —
    /// one pass over the resting orders.
    pub fn configs_with_depth(&self) -> Vec<bool> {
        let mut reached = vec![false; self.configs.len()];
        for order in self.orders.values().filter(|order| self.price_now(order).is_some()) {
            match order.place {
                Place::Ask(config) => reached[config.0 as usize] = true,
                Place::Bid(sig) => {
                    let signature = self.sigs[sig.0 as usize].as_ref().expect("a live signature");
                    for config in &signature.configs {
                        reached[config.0 as usize] = true;
                    }
                }
            }
        }
        reached
    }

    /// `config`'s channel holds no levels from now on (its seq stays).
    pub fn untrack(&mut self, config: ConfigId) {
        if !std::mem::replace(&mut self.tracked[config.0 as usize], false) {
            return;
        }
        let channel = self.configs[config.0 as usize].channel;
        self.channels[channel.0 as usize].clear();
    }

    /// The taxonomy.
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// The known configurations, by [`ConfigId`].
    pub fn configs(&self) -> &[Config] {
        &self.configs
    }

    /// The configuration of `hw`, if known.
    pub fn config_of(&self, hw: &Hardware) -> Option<ConfigId> {
        self.config_of.get(hw).copied()
    }

    /// The channel of `key`.
    pub fn channel(&self, key: DepthKey) -> ChannelId {
        match key {
            DepthKey::Class(class) => ChannelId(class.0),
            DepthKey::Config(config) => self.configs[config.0 as usize].channel,
        }
    }

    /// What channel `channel` shows.
    pub fn key(&self, channel: ChannelId) -> DepthKey {
        let classes = self.taxonomy.len() as u32;
        if channel.0 < classes {
            DepthKey::Class(ClassId(channel.0))
        } else {
            DepthKey::Config(ConfigId(channel.0 - classes))
        }
    }

    /// The depth of `channel`.
    pub fn depth(&self, channel: ChannelId) -> &Depth {
        &self.channels[channel.0 as usize]
    }

    /// The reference of class `class` (a name of `symbols`), per unit.
    pub fn reference(&self, class: Sym) -> Option<u64> {
        self.references.get(&class).copied()
    }

    /// Resting orders.
    pub fn resting(&self) -> usize {
        self.orders.len()
    }

    /// The class and units per slot of the ask `id`, if it rests.
    pub fn ask_class(&self, id: &str) -> Option<Option<(ClassId, u64)>> {
        let order = self.orders.get(self.ids.get(id)?)?;
        match order.place {
            Place::Ask(config) => Some(self.configs[config.0 as usize].class),
            Place::Bid(_) => None,
        }
    }

    /// The channels the command being applied touched, emptied.
    pub fn take_dirty(&mut self) -> BTreeSet<ChannelId> {
        std::mem::take(&mut self.dirty)
    }

    /// Ends the command on `channel` ([`Depth::finish`]).
    pub fn finish(&mut self, channel: ChannelId) -> Option<Vec<crate::depth::LevelChange>> {
        self.channels[channel.0 as usize].finish()
    }

    /// An order accepted: it rests with `qty` (its events may trade or cancel it at once).
    pub fn accept(
        &mut self,
        seq: u64,
        id: &str,
        terms: Terms,
        qty: u64,
        symbols: &Symbols,
    ) -> Result<(), FeedsError> {
        if self.ids.contains_key(id) {
            let detail = format!("order `{id}` accepted while it rests");
            return Err(FeedsError::Inconsistent { seq, detail });
        }
        let (place, price) = match terms {
            Terms::Ask { hw, price } => (Place::Ask(self.config(hw, symbols)?), price),
            Terms::Bid { req, limit } => (Place::Bid(self.signature(req)), limit),
        };
        let no = self.next_order;
        self.next_order += 1;
        if let Place::Bid(sig) = place {
            self.sig_mut(sig).orders.insert(no);
        }
        if let Price::Pegged(peg) = price {
            self.pegged.entry(peg.class).or_default().insert(no);
        }
        self.ids.insert(id.into(), no);
        self.orders.insert(no, Order { id: id.into(), price, place, remaining: qty });
        self.contribute(no, Move::Add);
        Ok(())
    }

    /// `qty` of order `id` traded.
    pub fn trade(&mut self, seq: u64, id: &str, qty: u64) -> Result<(), FeedsError> {
        let no = self.resting_no(seq, id)?;
        let remaining = self.orders[&no].remaining;
        if qty > remaining {
            let detail = format!("order `{id}` trades {qty} with {remaining} resting");
            return Err(FeedsError::Inconsistent { seq, detail });
        }
        self.contribute(no, Move::Remove);
        if qty == remaining {
            self.forget(no);
        } else {
            self.orders.get_mut(&no).expect("looked up above").remaining -= qty;
            self.contribute(no, Move::Add);
        }
        Ok(())
    }

    /// Order `id` left the book with `remaining` (cancelled or expired).
    pub fn gone(&mut self, seq: u64, id: &str, remaining: u64) -> Result<(), FeedsError> {
        let no = self.resting_no(seq, id)?;
        let held = self.orders[&no].remaining;
        if remaining != held {
            let detail = format!("order `{id}` leaves with {remaining}, the feeds hold {held}");
            return Err(FeedsError::Inconsistent { seq, detail });
        }
        self.contribute(no, Move::Remove);
        self.forget(no);
        Ok(())
    }

    /// Class `class`'s reference is now `price_nano` per unit: its pegged orders whose price
    /// changes move (one held at its limit, or still unpriced, stays where it is).
    pub fn set_reference(&mut self, class: Sym, price_nano: u64) {
        let Some(pegged) = self.pegged.get(&class) else {
            self.references.insert(class, price_nano);
            return;
        };
        let before: Vec<(OrderNo, Option<u64>)> =
            pegged.iter().map(|&no| (no, self.price_now(&self.orders[&no]))).collect();
        self.references.insert(class, price_nano);
        for (no, old) in before {
            let new = self.price_now(&self.orders[&no]);
            if new != old {
                self.contribute_at(no, Move::Remove, old);
                self.contribute_at(no, Move::Add, new);
            }
        }
    }

    fn resting_no(&self, seq: u64, id: &str) -> Result<OrderNo, FeedsError> {
        self.ids.get(id).copied().ok_or_else(|| FeedsError::Inconsistent {
            seq,
            detail: format!("order `{id}` does not rest"),
        })
    }

    fn forget(&mut self, no: OrderNo) {
        let order = self.orders.remove(&no).expect("a resting order is forgotten once");
        self.ids.remove(&order.id);
        if let Price::Pegged(peg) = order.price {
            let empty = self.pegged.get_mut(&peg.class).is_some_and(|orders| {
                orders.remove(&no);
                orders.is_empty()
            });
            if empty {
                self.pegged.remove(&peg.class);
            }
        }
        if let Place::Bid(sig) = order.place {
            let signature = self.sig_mut(sig);
            signature.orders.remove(&no);
            if signature.orders.is_empty() {
                let req = self.sigs[sig.0 as usize].take().expect("a live signature").req;
                self.sig_of.remove(&req);
                self.free_sigs.push(sig);
            }
        }
    }

    fn sig_mut(&mut self, sig: SigId) -> &mut Signature {
        self.sigs[sig.0 as usize].as_mut().expect("a resting bid's signature is live")
    }

    /// The price of a resting order now, per slot-hour; `None` while a peg has no price.
    fn price_now(&self, order: &Order) -> Option<u64> {
        match order.price {
            Price::Fixed(price_nano) => Some(price_nano),
            Price::Pegged(peg) => peg_price(&peg, self.reference(peg.class), order.side()),
        }
    }

    /// Adds or removes order `no`'s contribution to every channel it is in, at its price now.
    fn contribute(&mut self, no: OrderNo, how: Move) {
        let price = self.price_now(&self.orders[&no]);
        self.contribute_at(no, how, price);
    }

    /// [`Book::contribute`] at `price` (none: the order is in no channel).
    fn contribute_at(&mut self, no: OrderNo, how: Move, price: Option<u64>) {
        let order = &self.orders[&no];
        let Some(price_nano) = price else { return };
        let qty = order.remaining;
        let mut moves = std::mem::take(&mut self.scratch);
        match order.place {
            Place::Ask(config) => {
                let tracked = self.tracked[config.0 as usize];
                let config = &self.configs[config.0 as usize];
                if tracked {
                    moves.push((config.channel, Side::Ask, price_nano, qty));
                }
                if let Some((class, per_slot)) = config.class {
                    moves.push((
                        ChannelId(class.0),
                        Side::Ask,
                        per_unit(price_nano, per_slot),
                        qty * per_slot,
                    ));
                }
            }
            Place::Bid(sig) => {
                let signature = self.sigs[sig.0 as usize].as_ref().expect("a live signature");
                for config in signature.configs.iter().filter(|c| self.tracked[c.0 as usize]) {
                    moves.push((
                        self.configs[config.0 as usize].channel,
                        Side::Bid,
                        price_nano,
                        qty,
                    ));
                }
                for link in signature.classes.iter().filter(|link| link.configs > 0) {
                    let unit_price = per_unit(price_nano, link.per_slot);
                    moves.push((
                        ChannelId(link.class.0),
                        Side::Bid,
                        unit_price,
                        qty * link.per_slot,
                    ));
                }
            }
        }
        for &(channel, side, price_nano, qty) in &moves {
            let depth = &mut self.channels[channel.0 as usize];
            match how {
                Move::Add => depth.add(side, price_nano, qty),
                Move::Remove => depth.remove(side, price_nano, qty),
            }
            self.dirty.insert(channel);
        }
        moves.clear();
        self.scratch = moves;
    }

    /// The configuration of `hw`, made known (with its channel) on its first ask.
    fn config(&mut self, hw: Hardware, symbols: &Symbols) -> Result<ConfigId, FeedsError> {
        if let Some(&known) = self.config_of.get(&hw) {
            return Ok(known);
        }
        if self.configs.len() >= self.configs_max {
            return Err(FeedsError::Bound {
                key: "configs_max",
                value: self.configs_max,
                what: "machine configurations the feeds know",
            });
        }
        let id = ConfigId(self.configs.len() as u32);
        let class = self
            .taxonomy
            .classify(&hw, symbols)
            .map(|class| (class, self.taxonomy.class(class).unit.units_per_slot(&hw)));
        let channel = ChannelId(self.channels.len() as u32);
        self.channels.push(Depth::default());
        self.configs.push(Config { hw, class, channel });
        self.tracked.push(self.track_all);
        self.config_of.insert(hw, id);
        // Every resting bid this machine satisfies is now demand in its channel (and in its
        // class, if no configuration of the class satisfied the bid before).
        for at in 0..self.sigs.len() {
            let Some(signature) = self.sigs[at].as_mut() else { continue };
            if !signature.req.satisfied_by(&hw) {
                continue;
            }
            let orders: Vec<OrderNo> = signature.orders.iter().copied().collect();
            for &no in &orders {
                self.contribute(no, Move::Remove);
            }
            let signature = self.sigs[at].as_mut().expect("checked above");
            signature.configs.push(id);
            if let Some((class, _)) = class {
                link_class(&self.taxonomy, signature, class);
            }
            for &no in &orders {
                self.contribute(no, Move::Add);
            }
        }
        Ok(id)
    }

    /// The live signature of `req`, made on its first resting bid.
    fn signature(&mut self, req: Requirements) -> SigId {
        if let Some(&live) = self.sig_of.get(&req) {
            return live;
        }
        let mut signature =
            Signature { req, configs: Vec::new(), classes: Vec::new(), orders: BTreeSet::new() };
        for (at, config) in self.configs.iter().enumerate() {
            if signature.req.satisfied_by(&config.hw) {
                signature.configs.push(ConfigId(at as u32));
                if let Some((class, _)) = config.class {
                    link_class(&self.taxonomy, &mut signature, class);
                }
            }
        }
        let req = signature.req.clone();
        let id = match self.free_sigs.pop() {
            Some(free) => {
                self.sigs[free.0 as usize] = Some(signature);
                free
            }
            None => {
                self.sigs.push(Some(signature));
                SigId(self.sigs.len() as u32 - 1)
            }
        };
        self.sig_of.insert(req, id);
        id
    }
}

/// Counts one more configuration of `class` satisfying `signature`.
fn link_class(taxonomy: &Taxonomy, signature: &mut Signature, class: ClassId) {
    match signature.classes.iter_mut().find(|link| link.class == class) {
        Some(link) => link.configs += 1,
        None => {
            let per_slot = bid_units_per_slot(taxonomy.class(class).unit, &signature.req);
            signature.classes.push(ClassLink { class, per_slot, configs: 1 });
        }
    }
}

/// A slot-hour price per class unit, rounded to nearest, halves up (as the pricing models
/// normalise: [`Taxonomy::normalise_nano`]).
pub fn per_unit(price_nano: u64, per_slot: u64) -> u64 {
    div_round(u128::from(price_nano), u128::from(per_slot)).map_or(price_nano, saturate_u64)
}

/// The price of a pegged order under `reference` (per unit), as the engine computes it.
pub fn peg_price(peg: &Peg, reference: Option<u64>, side: Side) -> Option<u64> {
    peg.effective_nano(reference?, side == Side::Bid)
}

/// A resting order as a snapshot holds it: its id, terms and remaining quantity.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SavedOrder {
    id: String,
    price: Price,
    hw: Option<Hardware>,
    req: Option<Requirements>,
    remaining: u64,
}

/// The book as a snapshot holds it: what rebuilds every channel's levels exactly.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct SavedBook {
    /// Known configurations, by [`ConfigId`].
    configs: Vec<Hardware>,
    /// Resting orders, in arrival order.
    orders: Vec<SavedOrder>,
    /// References by class name's symbol, by symbol.
    references: Vec<(Sym, u64)>,
    /// Each channel's seq, by [`ChannelId`].
    seqs: Vec<u64>,
}

impl Book {
    /// The book as a snapshot holds it (in a fixed order: no hash-map order reaches it).
    pub(crate) fn save(&self) -> SavedBook {
        let mut numbers: Vec<OrderNo> = self.orders.keys().copied().collect();
        numbers.sort_unstable();
        let orders = numbers
            .into_iter()
            .map(|no| {
                let order = &self.orders[&no];
                let (hw, req) = match order.place {
                    Place::Ask(config) => (Some(self.configs[config.0 as usize].hw), None),
                    Place::Bid(sig) => {
                        let signature =
                            self.sigs[sig.0 as usize].as_ref().expect("a live signature");
                        (None, Some(signature.req.clone()))
                    }
                };
                SavedOrder {
                    id: order.id.to_string(),
                    price: order.price,
                    hw,
                    req,
                    remaining: order.remaining,
                }
            })
            .collect();
        let mut references: Vec<(Sym, u64)> =
            self.references.iter().map(|(&sym, &price)| (sym, price)).collect();
        references.sort_unstable();
        SavedBook {
            configs: self.configs.iter().map(|config| config.hw).collect(),
            orders,
            references,
            seqs: self.channels.iter().map(Depth::seq).collect(),
        }
    }

    /// The book `saved` describes, rebuilt order by order under `taxonomy` (names by
    /// `symbols`, restored first).
    pub(crate) fn restore(
        taxonomy: Taxonomy,
        configs_max: usize,
        track_all: bool,
        saved: SavedBook,
        symbols: &Symbols,
    ) -> Result<Book, FeedsError> {
        let damaged = |detail: String| FeedsError::Command { seq: 0, detail };
        let mut book = Book::new(taxonomy, configs_max, track_all);
        if saved.seqs.len() != book.channels.len() + saved.configs.len() {
            return Err(damaged("feeds state: a seq per channel".into()));
        }
        for hw in saved.configs {
            book.config(hw, symbols)?;
        }
        for (sym, price_nano) in saved.references {
            book.references.insert(sym, price_nano);
        }
        for order in saved.orders {
            let terms = match (order.hw, order.req) {
                (Some(hw), None) => Terms::Ask { hw, price: order.price },
                (None, Some(req)) => Terms::Bid { req, limit: order.price },
                _ => return Err(damaged(format!("feeds state: order `{}`", order.id))),
            };
            book.accept(0, &order.id, terms, order.remaining, symbols)?;
        }
        for (depth, seq) in book.channels.iter_mut().zip(saved.seqs) {
            depth.restore_seq(seq);
        }
        book.dirty.clear();
        Ok(book)
    }
}
