//! `report.html`: one self-contained page (charts inline as SVG, no scripts, no external
//! files, no timestamps): a summary in words, the metrics with how to read them, the charts
//! and the scenario. Money is rounded for reading (totals to the cent, prices to four
//! significant digits); the exact amounts are in `metrics.json` and the CSV files.

use std::fmt::Write;

use crate::metrics::Tokens;
use crate::Metrics;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;max-width:980px;margin:2em auto;padding:0 1em;\
color:#222;line-height:1.45}table{border-collapse:collapse;margin:1em 0;width:100%;font-size:14px}\
td,th{border:1px solid #ccc;padding:4px 6px;text-align:right;vertical-align:top}\
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.text{text-align:left}\
pre{background:#f8f8f8;padding:1em;white-space:pre-wrap;font-size:12px}figure{margin:1.5em 0}\
figure svg{width:100%;height:auto}figcaption{color:#555;font-size:14px}\
.summary{background:#f6f8fa;border-left:4px solid #0072b2;padding:.6em 1em}\
@media print{body{max-width:none;margin:0}figure,table{break-inside:avoid}}";

/// The page's head and title.
pub fn open(title: &str) -> String {
    let title = escape(title);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
<style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n"
    )
}

/// An inline SVG chart with a caption.
pub fn figure(svg: &str, caption: &str) -> String {
    let body = svg.find("<svg").map_or(svg, |at| &svg[at..]);
    format!("<figure>{body}<figcaption>{}</figcaption></figure>\n", escape(caption))
}

/// A total, to the cent with thousands separators (`12,345.67`).
pub fn money(amount: Tokens) -> String {
    let cents = amount.nano().saturating_add(5_000_000) / 10_000_000;
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (at, digit) in whole.chars().enumerate() {
        if at > 0 && (whole.len() - at).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{grouped}.{:02}", cents % 100)
}

/// A price, to four significant digits (`1.849`, `0.02686`).
pub fn price(amount: Tokens) -> String {
    let value = amount.to_f64();
    if value <= 0.0 {
        return "0".into();
    }
    let digits = (3 - value.log10().floor() as i32).clamp(0, 9) as usize;
    format!("{value:.digits$}")
}

/// A ratio as a percentage with one decimal.
pub fn percent(ratio: f64) -> String {
    format!("{:.1} %", ratio * 100.0)
}

/// Minutes with one decimal, or "-".
pub fn minutes(ms: Option<u64>) -> String {
    ms.map_or_else(|| "-".into(), |ms| format!("{:.1} min", ms as f64 / 60_000.0))
}

/// A wait in words: "on arrival", "within 3.4 min".
fn wait(ms: Option<u64>) -> String {
    match ms {
        Some(0) => "on arrival".into(),
        other => format!("within {}", minutes(other)),
    }
}

fn row(out: &mut String, name: &str, value: &str, meaning: &str) {
    let _ = writeln!(
        out,
        "<tr><td>{}</td><td>{}</td><td class=\"text\">{}</td></tr>",
        escape(name),
        escape(value),
        escape(meaning)
    );
}

/// The main results of a run in words.
pub fn summary(m: &Metrics) -> String {
    let mut text = format!(
        "Over {} simulated hours, {} jobs arrived; {} of the slots they asked for were leased, \
         and {} of the jobs that ended missed their deadline ({} still waiting at the end). ",
        m.duration_h,
        m.jobs,
        percent(m.fill_rate),
        percent(m.deadline_miss_rate),
        m.jobs_open_at_end
    );
    let _ = write!(
        text,
        "Half of the filled jobs were matched {}, nine in ten {}. The market realised {} of \
         the upper bound on surplus; requesters paid {} tokens, {} of them in fees. ",
        wait(m.time_to_match.p50_ms),
        wait(m.time_to_match.p90_ms),
        percent(m.efficiency.ratio),
        money(m.money.requester_payments),
        money(m.money.fees)
    );
    let busiest = m.classes.iter().max_by(|a, b| a.utilisation.total_cmp(&b.utilisation));
    let quietest = m.classes.iter().min_by(|a, b| a.utilisation.total_cmp(&b.utilisation));
    if let (Some(busy), Some(quiet)) = (busiest, quietest) {
        let _ = write!(
            text,
            "The busiest class was {} ({} of its slot-time leased), the quietest {} ({}). ",
            busy.class,
            percent(busy.utilisation),
            quiet.class,
            percent(quiet.utilisation)
        );
    }
    let priced: Vec<String> = m
        .classes
        .iter()
        .filter_map(|c| c.deal_price.map(|p| format!("{} {} per {}", c.class, price(p), c.unit)))
        .collect();
    if !priced.is_empty() {
        let _ = write!(text, "Deals averaged {}. ", priced.join(", "));
    }
    let traced: Vec<_> =
        m.classes.iter().filter_map(|c| c.trace_utilisation.map(|t| (c, t))).collect();
    if !traced.is_empty() {
        let gpu = |f: &dyn Fn(&crate::metrics::ClassMetrics, f64) -> f64| {
            let (sum, slots) = traced
                .iter()
                .filter(|(c, _)| c.unit == "gpu-hour")
                .fold((0.0, 0.0), |(s, n), (c, t)| {
                    (s + f(c, *t) * c.slots as f64, n + c.slots as f64)
                });
            sum / f64::max(slots, 1.0)
        };
        let _ = write!(
            text,
            "Over all GPU classes the market leased {} of the slot-time, against {} that the \
             trace's own pods occupied. ",
            percent(gpu(&|c, _| c.utilisation)),
            percent(gpu(&|_, t| t))
        );
    }
    text.push_str(if m.conservation.ok {
        "Every conservation check holds."
    } else {
        "A CONSERVATION CHECK FAILED: see the table below."
    });
    format!("<h2>Summary</h2>\n<p class=\"summary\">{}</p>\n", escape(&text))
}

/// The metrics of a run as tables, with what each means.
pub fn metrics_tables(m: &Metrics) -> String {
    let mut out = String::from("<h2>Market quality</h2>\n<table><tr><th>metric</th><th>value</th><th class=\"text\">how to read it</th></tr>\n");
    row(&mut out, "allocative efficiency", &format!("{:.3}", m.efficiency.ratio), "realised surplus ÷ an upper bound on the best possible surplus (1 = nothing left on the table; the bound ignores timing, so 1 is rarely reachable)");
    row(
        &mut out,
        "realised surplus",
        &money(m.efficiency.realised_surplus),
        "Σ (value − cost) × slot-hours over all leases, tokens",
    );
    row(
        &mut out,
        "upper bound",
        &money(m.efficiency.upper_bound),
        "dual bound of the time-free relaxation (docs/simulations.md)",
    );
    row(&mut out, "fill rate", &format!("{:.3}", m.fill_rate), "slots leased ÷ slots requested");
    row(
        &mut out,
        "deadline-miss rate",
        &format!("{:.3}", m.deadline_miss_rate),
        "jobs that could no longer meet their deadline ÷ jobs resolved",
    );
    let times = format!(
        "{} / {} / {}",
        minutes(m.time_to_match.p50_ms),
        minutes(m.time_to_match.p90_ms),
        minutes(m.time_to_match.p99_ms)
    );
    row(
        &mut out,
        "time to match p50 / p90 / p99",
        &times,
        "arrival to last slot leased, filled jobs",
    );
    row(
        &mut out,
        "requester payments",
        &money(m.money.requester_payments),
        "tokens paid by requesters",
    );
    row(
        &mut out,
        "provider revenue",
        &money(m.money.provider_revenue),
        "tokens earned by providers (payments − fees)",
    );
    row(&mut out, "fees", &money(m.money.fees), "tokens kept by the marketplace");
    row(
        &mut out,
        "revenue Gini",
        &format!("{:.3}", m.money.revenue_gini),
        "inequality of revenue over machines (0 equal, 1 one machine earns all)",
    );
    let jobs =
        format!("{} / {} / {} / {}", m.jobs, m.jobs_filled, m.jobs_missed, m.jobs_open_at_end);
    row(&mut out, "jobs / filled / missed / open", &jobs, "");
    row(&mut out, "deals / references published", &format!("{} / {}", m.deals, m.references), "");
    let c = &m.conservation;
    let verdict = if c.ok { "ok" } else { "VIOLATED" };
    let detail = format!(
        "double leases {}, foreign deals {}, refused commands {}, payments = revenue + fees: {}",
        c.double_leases, c.foreign_deals, c.rejected_commands, c.payments_balance
    );
    row(&mut out, "conservation", verdict, &detail);
    out.push_str("</table>\n");
    out.push_str(&class_table(m));
    out
}

fn class_table(m: &Metrics) -> String {
    let traced = m.classes.iter().any(|c| c.trace_utilisation.is_some());
    let mut out = String::from(
        "<h2>Per class</h2>\n<table><tr><th>class</th><th>slots</th><th>utilisation</th>",
    );
    if traced {
        out.push_str("<th>trace's own</th>");
    }
    out.push_str("<th>slots traded</th><th>deal price</th><th>last reference</th><th>volatility</th><th>unit</th></tr>\n");
    for class in &m.classes {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td>",
            escape(&class.class),
            class.slots,
            percent(class.utilisation)
        );
        if traced {
            let _ = write!(
                out,
                "<td>{}</td>",
                class.trace_utilisation.map_or_else(|| "-".into(), percent)
            );
        }
        let _ = writeln!(
            out,
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            class.volume_slots,
            class.deal_price.map_or_else(|| "-".into(), price),
            class.last_reference.map_or_else(|| "no reference yet".into(), price),
            class.volatility.map_or_else(|| "-".into(), |v| format!("{v:.3}")),
            escape(&class.unit)
        );
    }
    out.push_str("</table>\n<p>Prices are per class unit (GPU-hour for GPU classes, core-hour for CPU classes), volume-weighted over the run. Volatility: standard deviation of the log change of the closing deal price from one interval to the next.");
    if traced {
        out.push_str(" The trace's own: the slot-time the trace's pods occupied, spread over the classes that could run each pod in proportion to their slots, at most all of them (docs/simulations.md).");
    }
    out.push_str("</p>\n");
    out
}

/// The scenario text and the page's end.
pub fn close(scenario_source: &str) -> String {
    format!("<h2>Scenario</h2>\n<pre>{}</pre>\n<p>Produced by <code>gridbook simulate</code>; the same scenario, seed and build give this page byte for byte.</p>\n</body></html>\n", escape(scenario_source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_rounded_to_the_cent_and_prices_to_four_significant_digits() {
        assert_eq!(money(Tokens::from_nano(34_990_145_019_470)), "34,990.15");
        assert_eq!(money(Tokens::from_nano(999_994_999)), "1.00");
        assert_eq!(money(Tokens::from_nano(0)), "0.00");
        assert_eq!(price(Tokens::from_nano(1_849_037_251)), "1.849");
        assert_eq!(price(Tokens::from_nano(26_859_027)), "0.02686");
        assert_eq!(price(Tokens::from_nano(7)), "0.000000007");
    }
}
