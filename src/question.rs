//! The market a question (`price`, `quote`) is asked of: a whole stream replayed from an empty
//! market, or a snapshot (`--from-snapshot`) and the stream that followed it, if any.

use anyhow::Result;
use std::collections::VecDeque;
use std::path::Path;

use gridbook_pricing::answers::price::DealRecord;
use gridbook_pricing::{LineReplay, PricedOptions};

use crate::pricing_args::PricingArgs;
use crate::stream_file::replay_file;

/// The model a question is priced by when neither the command nor a snapshot names one.
const MODEL_DEFAULT: &str = "vwap";

/// A market built for a question.
pub(crate) struct Market {
    /// The replay, after the last line.
    pub(crate) replay: LineReplay,
    /// The market's deals, oldest first (from a snapshot: those it kept, then the stream's).
    pub(crate) deals: VecDeque<DealRecord>,
}

impl Market {
    /// The market the snapshot `from` and then `stream` leave, or, without a snapshot, the
    /// one `stream` leaves, priced by `model` (default: [`MODEL_DEFAULT`], or the snapshot's).
    pub(crate) fn build(
        from: Option<&Path>,
        stream: Option<&Path>,
        args: &PricingArgs,
        model: Option<&str>,
        options: PricedOptions,
    ) -> Result<Market> {
        let (mut replay, mut deals, lines) = match from {
            Some(path) => {
                let restored = crate::snapshot_file::load(path, args, model, options)?;
                (restored.replay, restored.deals, restored.lines)
            }
            None => {
                let model = model.unwrap_or(MODEL_DEFAULT);
                (args.line_replay(Some(model), options)?, VecDeque::new(), 0)
            }
        };
        if let Some(stream) = stream {
            replay_file(stream, &mut replay, lines)?;
        }
        deals.extend(replay.priced_mut().take_deals());
        Ok(Market { replay, deals })
    }
}
