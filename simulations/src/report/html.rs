//! `report.html`: one self-contained page (charts inline as SVG, no scripts, no external
//! files, no timestamps) with the scenario, its metrics and a guide to reading them.

use std::fmt::Write;

use crate::Metrics;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}\
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}pre{background:#f8f8f8;padding:1em;\
overflow:auto;font-size:12px}figure{margin:1.5em 0}figcaption{color:#555;font-size:14px}";

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

fn row(out: &mut String, name: &str, value: &str, meaning: &str) {
    let _ = writeln!(
        out,
        "<tr><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
        escape(name),
        escape(value),
        escape(meaning)
    );
}

fn opt_ms(value: Option<u64>) -> String {
    value.map_or_else(|| "-".into(), |ms| format!("{:.1} min", ms as f64 / 60_000.0))
}

/// The metrics of a run as tables, with what each means.
pub fn metrics_tables(m: &Metrics) -> String {
    let mut out = String::from("<h2>Market quality</h2>\n<table><tr><th>metric</th><th>value</th><th>how to read it</th></tr>\n");
    row(&mut out, "allocative efficiency", &format!("{:.4}", m.efficiency.ratio), "realised surplus ÷ an upper bound on the best possible surplus (1 = nothing left on the table; the bound ignores timing, so 1 is rarely reachable)");
    row(
        &mut out,
        "realised surplus",
        &m.efficiency.realised_surplus.to_string(),
        "Σ (value − cost) × slot-hours over all leases, tokens",
    );
    row(
        &mut out,
        "upper bound",
        &m.efficiency.upper_bound.to_string(),
        "dual bound of the time-free relaxation (docs/simulations.md)",
    );
    row(&mut out, "fill rate", &format!("{:.4}", m.fill_rate), "slots leased ÷ slots requested");
    row(
        &mut out,
        "deadline-miss rate",
        &format!("{:.4}", m.deadline_miss_rate),
        "jobs that could no longer meet their deadline ÷ jobs resolved",
    );
    row(
        &mut out,
        "time to match p50 / p90 / p99",
        &format!(
            "{} / {} / {}",
            opt_ms(m.time_to_match.p50_ms),
            opt_ms(m.time_to_match.p90_ms),
            opt_ms(m.time_to_match.p99_ms)
        ),
        "arrival to last slot leased, filled jobs",
    );
    row(
        &mut out,
        "requester payments",
        &m.money.requester_payments.to_string(),
        "tokens paid by requesters",
    );
    row(
        &mut out,
        "provider revenue",
        &m.money.provider_revenue.to_string(),
        "tokens earned by providers (payments − fees)",
    );
    row(&mut out, "fees", &m.money.fees.to_string(), "tokens kept by the marketplace");
    row(
        &mut out,
        "revenue Gini",
        &format!("{:.4}", m.money.revenue_gini),
        "inequality of revenue over machines (0 equal, 1 one machine earns all)",
    );
    row(
        &mut out,
        "jobs / filled / missed / open",
        &format!("{} / {} / {} / {}", m.jobs, m.jobs_filled, m.jobs_missed, m.jobs_open_at_end),
        "",
    );
    row(&mut out, "deals / references published", &format!("{} / {}", m.deals, m.references), "");
    let c = &m.conservation;
    let verdict = if c.ok { "ok" } else { "VIOLATED" };
    row(&mut out, "conservation", verdict, &format!("double leases {}, foreign deals {}, refused commands {}, payments = revenue + fees: {}", c.double_leases, c.foreign_deals, c.rejected_commands, c.payments_balance));
    out.push_str("</table>\n<h2>Per class</h2>\n<table><tr><th>class</th><th>slots</th><th>utilisation</th><th>volatility</th><th>last reference</th></tr>\n");
    for class in &m.classes {
        let volatility = class.volatility.map_or_else(|| "-".into(), |v| format!("{v:.4}"));
        let reference = class.last_reference.map_or_else(|| "-".into(), |t| t.to_string());
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{:.4}</td><td>{volatility}</td><td>{}</td></tr>",
            escape(&class.class),
            class.slots,
            class.utilisation,
            escape(&reference)
        );
    }
    out.push_str("</table>\n<p>Volatility: standard deviation of the log change of the closing deal price from one interval to the next. Prices are per class unit (GPU-hour for GPU classes, core-hour for CPU classes).</p>\n");
    out
}

/// The scenario text and the page's end.
pub fn close(scenario_source: &str) -> String {
    format!("<h2>Scenario</h2>\n<pre>{}</pre>\n<p>Produced by <code>gridbook simulate</code>; the same scenario, seed and build give this page byte for byte.</p>\n</body></html>\n", escape(scenario_source))
}
