//! Progress bars on standard error for the commands that take a while: `simulate` (simulated
//! time, a sweep's runs) and `price`/`quote`, which replay the whole history for each
//! question. indicatif draws on standard error only when it is a terminal, so redirected runs
//! and tests stay silent.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over `length` steps, labelled `unit` ("of simulated time").
pub(crate) fn bar(length: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
    let template =
        format!("[{{elapsed_precise}}] {{wide_bar}} {{percent:>3}}% {unit} (eta {{eta}})");
    // The template is a constant of this file; a bad one would only lose the styling.
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}
