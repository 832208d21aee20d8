//! `limits.open_orders_per_owner`, enforced before sequencing: an owner's resting orders (the
//! publisher's count) plus its asks and bids still in the pipeline may not pass the limit.
//!
//! Counting the ones in flight is what makes the limit hold against a client that pipelines
//! thousands of orders faster than they are applied. An order is counted twice for the moment
//! between its publication and the release of its reservation, so the limit errs towards
//! refusing, never towards letting more rest.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::StatusCode;
use parking_lot::{Mutex, RwLock};

use super::error::ApiError;
use crate::pipeline::publisher::Published;

/// Asks and bids admitted and not yet answered, by owner (lower case).
#[derive(Debug, Default)]
pub struct OrdersInFlight {
    by_owner: Mutex<HashMap<String, usize>>,
}

/// Places taken in [`OrdersInFlight`]; given back when dropped (once the orders are answered).
#[derive(Debug)]
pub struct Reservation {
    table: Arc<OrdersInFlight>,
    owners: Vec<(String, usize)>,
}

impl OrdersInFlight {
    /// Reserves `wanted` new orders per owner if each owner stays within `max`, or refuses the
    /// whole request (409 `too_many_open_orders`).
    pub fn reserve(
        self: &Arc<Self>,
        published: &RwLock<Published>,
        max: usize,
        wanted: Vec<(String, usize)>,
    ) -> Result<Reservation, ApiError> {
        let mut by_owner = self.by_owner.lock();
        {
            let published = published.read();
            for (owner, count) in &wanted {
                let resting = published.open_orders.of(owner);
                let in_flight = by_owner.get(owner).copied().unwrap_or(0);
                if resting + in_flight + count > max {
                    let detail = format!(
                        "owner {owner} has {resting} resting orders and {in_flight} on their way; at most {max} (limits.open_orders_per_owner): cancel some first"
                    );
                    let field = Some("owner".to_owned());
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "too_many_open_orders",
                        detail,
                        field,
                    ));
                }
            }
        }
        for (owner, count) in &wanted {
            *by_owner.entry(owner.clone()).or_default() += count;
        }
        Ok(Reservation { table: self.clone(), owners: wanted })
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut by_owner = self.table.by_owner.lock();
        for (owner, count) in &self.owners {
            let held = by_owner.get_mut(owner).expect("a reservation's owner is in the table");
            *held -= count;
            if *held == 0 {
                by_owner.remove(owner);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_in_flight_count_against_the_limit_until_released() {
        let table = Arc::new(OrdersInFlight::default());
        let published = RwLock::new(Published::default());
        let first = table.reserve(&published, 3, vec![("0xa".into(), 2)]).unwrap();
        let error = table.reserve(&published, 3, vec![("0xa".into(), 2)]).unwrap_err();
        assert_eq!(error.code, "too_many_open_orders");
        assert_eq!(error.status, StatusCode::CONFLICT);
        table.reserve(&published, 3, vec![("0xb".into(), 3)]).expect("another owner");
        drop(first);
        table.reserve(&published, 3, vec![("0xa".into(), 3)]).expect("released");
        assert!(table.by_owner.lock().is_empty(), "released reservations leave nothing behind");
    }

    #[test]
    fn resting_orders_count_against_the_limit() {
        let table = Arc::new(OrdersInFlight::default());
        let published = RwLock::new(Published::default());
        published.write().open_orders.accepted("o1", "0xA", 1);
        published.write().open_orders.accepted("o2", "0xa", 1);
        assert!(table.reserve(&published, 2, vec![("0xa".into(), 1)]).is_err());
        table.reserve(&published, 3, vec![("0xa".into(), 1)]).expect("room for one");
    }
}
