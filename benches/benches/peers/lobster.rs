//! lobster 0.7: BTreeMap price levels of order indices, an arena of orders.

use gridbook_benches::plain::{PlainCommand, Side, Tally};
use lobster::{OrderBook, OrderEvent, OrderType};

use crate::contender::Contender;

/// Orders at one price a level holds before its queue grows (lobster's default is 10).
const QUEUE_CAPACITY: usize = 64;

pub(crate) struct Lobster(OrderBook);

impl Contender for Lobster {
    const NAME: &'static str = "lobster 0.7";
    type Command = OrderType;

    fn prepare(stream: &[PlainCommand]) -> Vec<OrderType> {
        stream
            .iter()
            .map(|command| match *command {
                PlainCommand::Limit { order, side, price_ticks, qty, .. } => OrderType::Limit {
                    id: u128::from(order),
                    side: match side {
                        Side::Buy => lobster::Side::Bid,
                        Side::Sell => lobster::Side::Ask,
                    },
                    qty,
                    price: price_ticks,
                },
                PlainCommand::Cancel { order, .. } => OrderType::Cancel { id: u128::from(order) },
            })
            .collect()
    }

    fn new(resting: usize, _orders: usize) -> Lobster {
        Lobster(OrderBook::new(2 * resting, QUEUE_CAPACITY, false))
    }

    fn apply(&mut self, command: &OrderType, tally: &mut Tally) {
        match self.0.execute(*command) {
            OrderEvent::Filled { fills, .. } | OrderEvent::PartiallyFilled { fills, .. } => {
                for fill in fills {
                    tally.fill(fill.price, fill.qty);
                }
            }
            OrderEvent::Unfilled { .. }
            | OrderEvent::Placed { .. }
            | OrderEvent::Canceled { .. } => {}
        }
    }
}
