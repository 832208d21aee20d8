//! orderbook-rs 0.15: lock-free price levels (crossbeam skiplist, dashmap) built for concurrent
//! access, trade ids as UUIDs; a submit reads the wall clock for the order's timestamp.

use gridbook_benches::plain::{PlainCommand, Side, Tally};
use orderbook_rs::{Id, OrderBook, TimeInForce};

use crate::contender::Contender;

pub(crate) struct OrderbookRs(OrderBook<()>);

/// An order or a cancel, in orderbook-rs's terms.
pub(crate) enum RsCommand {
    Limit { id: Id, side: orderbook_rs::Side, price: u128, qty: u64 },
    Cancel { id: Id },
}

impl Contender for OrderbookRs {
    const NAME: &'static str = "orderbook-rs 0.15";
    type Command = RsCommand;

    fn prepare(stream: &[PlainCommand]) -> Vec<RsCommand> {
        stream
            .iter()
            .map(|command| match *command {
                PlainCommand::Limit { order, side, price_ticks, qty, .. } => RsCommand::Limit {
                    id: Id::from_u64(u64::from(order)),
                    side: match side {
                        Side::Buy => orderbook_rs::Side::Buy,
                        Side::Sell => orderbook_rs::Side::Sell,
                    },
                    price: u128::from(price_ticks),
                    qty,
                },
                PlainCommand::Cancel { order, .. } => {
                    RsCommand::Cancel { id: Id::from_u64(u64::from(order)) }
                }
            })
            .collect()
    }

    fn new(_resting: usize, _orders: usize) -> OrderbookRs {
        OrderbookRs(OrderBook::new("PLAIN"))
    }

    fn apply(&mut self, command: &RsCommand, tally: &mut Tally) {
        match *command {
            RsCommand::Limit { id, side, price, qty } => {
                let result = self.0.add_limit_order_with_result(
                    id,
                    price,
                    qty,
                    side,
                    TimeInForce::Gtc,
                    None,
                );
                // A refusal counts no fills; the agreement check then excludes the engine.
                if let Ok((_, Some(trades))) = result {
                    for trade in trades.match_result.trades().as_vec() {
                        let price_ticks =
                            u64::try_from(trade.price().as_u128()).expect("plain prices fit a u64");
                        tally.fill(price_ticks, trade.quantity().as_u64());
                    }
                }
            }
            RsCommand::Cancel { id } => {
                // An unknown id is the only refusal, and the stream cancels only live orders.
                let _ = self.0.cancel_order(id);
            }
        }
    }
}
