//! The plain stream's promises: its shares, its book size, and that gridbook's engine reports
//! exactly the trades the generator's model expects (the agreement the peer table checks).

use gridbook_matcher::{Engine, Event};

use super::*;

fn small() -> PlainConfig {
    PlainConfig { seed: 7, resting: 2_000, warm_mix: 2_000, measured: 20_000 }
}

#[test]
fn mix_is_half_passive_three_tenths_cancels_a_fifth_crossing() {
    let stream = small().generate();
    let (mut passive, mut cancels, mut crossing) = (0, 0, 0);
    for command in &stream.measured {
        match *command {
            PlainCommand::Cancel { .. } => cancels += 1,
            // Passive orders rest on their own side of the mid; crossing ones reach past it.
            PlainCommand::Limit { side, price_ticks, .. }
                if (side == Side::Buy) == (price_ticks < MID_TICKS) =>
            {
                passive += 1
            }
            PlainCommand::Limit { .. } => crossing += 1,
        }
    }
    let per_cent = |n: usize| n * 100 / stream.measured.len();
    assert!((48..=52).contains(&per_cent(passive)), "passive {}", per_cent(passive));
    assert!((28..=32).contains(&per_cent(cancels)), "cancels {}", per_cent(cancels));
    assert!((18..=22).contains(&per_cent(crossing)), "crossing {}", per_cent(crossing));
}

#[test]
fn book_keeps_its_size_within_a_twentieth() {
    let stream = PlainConfig { measured: 100_000, ..small() }.generate();
    let resting = small().resting;
    assert!(
        stream.resting_after.abs_diff(resting) * 20 <= resting,
        "{} resting after the mix",
        stream.resting_after
    );
}

#[test]
fn gridbook_trades_what_the_model_expects_and_every_taker_fills_whole() {
    let config = small();
    let stream = config.generate();
    let orders = stream.warm.len() + stream.measured.len();
    let mut engine = Engine::new(gridbook_config(config.resting, orders));
    let mut events: Vec<Event> = Vec::new();
    let mut tally = Tally::default();
    for (at, command) in stream.warm.iter().chain(&stream.measured).enumerate() {
        events.clear();
        engine.apply_into(&gridbook_command(command), at as u64, &mut events);
        assert!(
            !events.iter().any(|e| matches!(e, Event::Rejected { .. })),
            "command {at} rejected: {events:?}"
        );
        if at >= stream.warm.len() {
            tally_events(&events, &mut tally);
        }
    }
    assert!(stream.expected.trades > 1_000, "the mix trades");
    assert_eq!(tally, stream.expected);
    assert_eq!(engine.resting(), stream.resting_after, "no taker rests");
}
