//! The groups' part of [`Engine::check_invariants`]: what must hold of configurations,
//! signatures, their compatibility entries and floating ladders, including after reclamation.
//!
//! - each side's index maps every group's key to that group and holds nothing else;
//! - each group counts exactly the resting orders filed under it, and the idle list (linked
//!   both ways) holds exactly the groups that count none;
//! - compatibility entries are exact and on both sides: a configuration lists a signature iff
//!   the signature lists it iff the configuration satisfies it, once;
//! - every floating ladder in use is filed once under its group (of its side) and its class,
//!   and group and class list only ladders in use that name them; the floating index maps each
//!   ladder in use to itself.

use super::groups::Table;
use super::index::GroupId;
use super::Engine;
use crate::event::OrderRef;
use crate::hardware::{Hardware, Requirements};

impl Engine {
    pub(super) fn check_groups(&self) -> Result<(), String> {
        let (configs, signatures) = (&self.groups.configs, &self.groups.signatures);
        let mut counts = [vec![0u32; configs.list.len()], vec![0u32; signatures.list.len()]];
        for number in 0..self.ids.len() {
            let Some(slot) = self.resting_slot(OrderRef(number as u32)) else { continue };
            let resting = self.slab.get(slot);
            let side = &mut counts[usize::from(resting.is_bid())];
            let Some(count) = side.get_mut(resting.group.at()) else {
                return Err(format!("slot {slot} names {:?}, which does not exist", resting.group));
            };
            *count += 1;
        }
        check_table("configuration", configs, &counts[0])?;
        check_table("signature", signatures, &counts[1])?;
        check_relations(configs, signatures)?;
        self.check_floats()
    }

    fn check_floats(&self) -> Result<(), String> {
        let floats = &self.pegs.floats;
        if !floats.index_holds() {
            return Err("the floating ladders' index is out of date".into());
        }
        for (at, float) in floats.list.iter().enumerate().filter(|(_, f)| f.in_use) {
            let filed =
                |list: &[super::index::FloatId]| list.iter().filter(|f| f.at() == at).count() == 1;
            let group = match float.is_bid {
                true => self.groups.signatures.list.get(float.group.at()).map(|g| &g.floats),
                false => self.groups.configs.list.get(float.group.at()).map(|g| &g.floats),
            };
            let class = self.pegs.classes.get(float.class as usize).map(|c| &c.floats);
            if !group.is_some_and(|g| filed(g)) || !class.is_some_and(|c| filed(c)) {
                return Err(format!(
                    "floating ladder {at} is not filed once under its group and class"
                ));
            }
        }
        let groups = self.groups.configs.list.iter().map(|g| (false, &g.floats));
        let groups = groups.chain(self.groups.signatures.list.iter().map(|g| (true, &g.floats)));
        let mut filed_under_groups = 0;
        for (is_bid, list) in groups {
            filed_under_groups += list.len();
            if list
                .iter()
                .any(|f| !floats.list[f.at()].in_use || floats.list[f.at()].is_bid != is_bid)
            {
                return Err("a group lists a released or other-side floating ladder".into());
            }
        }
        let by_class: usize = self.pegs.classes.iter().map(|c| c.floats.len()).sum();
        let in_use = floats.list.iter().filter(|f| f.in_use).count();
        if filed_under_groups != in_use || by_class != in_use {
            return Err(format!(
                "{in_use} floating ladders in use, {filed_under_groups} filed under groups, \
                 {by_class} under classes"
            ));
        }
        Ok(())
    }
}

/// One side's index, counts and idle list.
fn check_table<K: Clone + Eq + std::hash::Hash>(
    what: &str,
    table: &Table<K>,
    counts: &[u32],
) -> Result<(), String> {
    if !table.index_holds() {
        return Err(format!("{what} index out of date"));
    }
    if !table.idle_links_hold() {
        return Err(format!("{what} idle list broken"));
    }
    for (at, group) in table.list.iter().enumerate() {
        if group.resting != counts[at] {
            let counted = counts[at];
            return Err(format!("{what} {at} counts {} resting, {counted} found", group.resting));
        }
    }
    let idle: Vec<GroupId> = table.idle().collect();
    let empty = table.list.iter().filter(|g| g.resting == 0).count();
    if idle.len() != empty || idle.iter().any(|&id| table.get(id).resting != 0) {
        return Err(format!("{what} idle list is not exactly the groups without orders"));
    }
    Ok(())
}

/// Compatibility entries: exact, once, on both sides.
fn check_relations(
    configs: &Table<Hardware>,
    signatures: &Table<Requirements>,
) -> Result<(), String> {
    for (c, config) in configs.list.iter().enumerate() {
        let mut want: Vec<GroupId> = (0..signatures.list.len())
            .map(GroupId::of)
            .filter(|&s| signatures.get(s).key.satisfied_by(&config.key))
            .collect();
        let mut got = config.related.clone();
        want.sort_unstable();
        got.sort_unstable();
        if got != want {
            return Err(format!("configuration {c}: signatures {got:?}, should be {want:?}"));
        }
        for s in want {
            let listed = signatures.get(s).related.iter().filter(|g| g.at() == c).count();
            if listed != 1 {
                return Err(format!("signature {s:?} lists configuration {c} {listed} times"));
            }
        }
    }
    let entries: usize = signatures.list.iter().map(|s| s.related.len()).sum();
    let pairs: usize = configs.list.iter().map(|c| c.related.len()).sum();
    if entries != pairs {
        return Err(format!("{pairs} compatible pairs by configuration, {entries} by signature"));
    }
    Ok(())
}
