//! matchcore 0.4: a BTreeMap of price levels over a slab, orders in an FxHashMap. Its order
//! ids are the sequence numbers of the commands that submitted them.
//!
//! matchcore sweeps a crossing limit order's whole quantity without checking its limit
//! (`submit_crossable_order` calls `match_order` with no limit price); the plain stream cuts
//! every taker to what rests within its limit, on which that makes no difference.

use gridbook_benches::plain::{PlainCommand, Side, Tally};
use matchcore::{
    CancelCmd, Command, CommandKind, CommandMeta, CommandOutcome, CommandReport, LimitOrder,
    NewOrder, OrderBook, OrderFlags, OrderId, OrderKind, Price, Quantity, QuantityPolicy,
    SequenceNumber, SubmitCmd, TimeInForce, Timestamp,
};

use crate::contender::Contender;

pub(crate) struct Matchcore(OrderBook);

impl Contender for Matchcore {
    const NAME: &'static str = "matchcore 0.4";
    type Command = Command;

    fn prepare(stream: &[PlainCommand]) -> Vec<Command> {
        // The sequence number of each order's submit, by arrival number.
        let mut submitted_at: Vec<u64> = Vec::new();
        let mut commands = Vec::with_capacity(stream.len());
        for (seq, command) in (0u64..).zip(stream) {
            let kind = match *command {
                PlainCommand::Limit { order, side, price_ticks, qty, .. } => {
                    debug_assert_eq!(order as usize, submitted_at.len(), "orders arrive in order");
                    submitted_at.push(seq);
                    let side = match side {
                        Side::Buy => matchcore::Side::Buy,
                        Side::Sell => matchcore::Side::Sell,
                    };
                    CommandKind::Submit(SubmitCmd {
                        order: NewOrder::Limit(LimitOrder::new(
                            Price(price_ticks),
                            QuantityPolicy::Standard { quantity: Quantity(qty) },
                            OrderFlags::new(side, false, TimeInForce::Gtc),
                        )),
                    })
                }
                PlainCommand::Cancel { order, .. } => CommandKind::Cancel(CancelCmd {
                    order_id: OrderId(submitted_at[order as usize]),
                    order_kind: OrderKind::Limit,
                }),
            };
            let meta =
                CommandMeta { sequence_number: SequenceNumber(seq), timestamp: Timestamp(seq) };
            commands.push(Command { meta, kind });
        }
        commands
    }

    fn new(_resting: usize, _orders: usize) -> Matchcore {
        Matchcore(OrderBook::new("PLAIN"))
    }

    fn apply(&mut self, command: &Command, tally: &mut Tally) {
        let outcome = self.0.execute(command);
        if let CommandOutcome::Applied(CommandReport::Submit(effects)) = &outcome {
            if let Some(result) = effects.target_order().match_result() {
                for trade in result.trades() {
                    tally.fill(trade.price().0, trade.quantity().0);
                }
            }
        }
    }
}
