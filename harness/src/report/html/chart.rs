//! The outcome timeline as inline SVG: one stacked bar per 100 ms bucket of request start
//! time, coloured by outcome, with a time axis in seconds and a legend, so a 502 burst and
//! its end can be seen at a glance.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::esc;
use crate::load::LoadReport;
use crate::outcome::Outcome;

const WIDTH: f64 = 960.0;
const PLOT_HEIGHT: f64 = 180.0;
const LEFT: f64 = 44.0;
const TOP: f64 = 10.0;
const RIGHT: f64 = 12.0;

/// The colour of an outcome: 2xx green, 3xx/4xx blue and purple, 5xx reds and oranges, and
/// a distinct colour for each client-side failure.
pub fn colour(o: Outcome) -> &'static str {
    match o {
        Outcome::Status(200) => "#2e9d4a",
        Outcome::Status(200..=299) => "#7cc88e",
        Outcome::Status(300..=399) => "#4a90d9",
        Outcome::Status(400..=499) => "#9575cd",
        Outcome::Status(500) => "#8e1b1b",
        Outcome::Status(502) => "#e53935",
        Outcome::Status(503) => "#ff7043",
        Outcome::Status(504) => "#fb8c00",
        Outcome::Status(_) => "#c2185b",
        Outcome::Truncated => "#6a1b9a",
        Outcome::Corrupt => "#ad1457",
        Outcome::Closed => "#546e7a",
        Outcome::Reset => "#212121",
        Outcome::Refused => "#795548",
        Outcome::Timeout => "#d4b106",
        Outcome::ParseError => "#00838f",
        Outcome::ClientRejected => "#827717",
        Outcome::OtherError => "#9e9e9e",
        Outcome::RstStream => "#3949ab",
        Outcome::NoTrailers => "#00695c",
        Outcome::GrpcStatus(_) => "#5d4037",
    }
}

/// Bottom-to-top stacking order: successes first, then other statuses, then client-side
/// failures.
fn stack_key(o: Outcome) -> (u8, Outcome) {
    match o {
        _ if o.is_success() => (0, o),
        Outcome::Status(_) => (1, o),
        _ => (2, o),
    }
}

/// The chart and its legend as HTML (an `<svg>` and a legend list).
pub fn timeline(load: &LoadReport) -> String {
    if load.timeline.is_empty() {
        return "<p class=\"muted\">No requests finished, so there is no timeline.</p>".into();
    }
    let mut present: Vec<Outcome> = load.outcomes.keys().copied().collect();
    present.sort_by_key(|o| stack_key(*o));
    let max = load
        .timeline
        .iter()
        .map(|b| b.counts.values().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let height = TOP + PLOT_HEIGHT + 34.0;
    let mut svg = format!(
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} \
         {height}\" role=\"img\" aria-label=\"outcomes per {} ms of request start time\">",
        load.timeline_bucket_ms
    );
    axes(&mut svg, load, max);
    bars(&mut svg, load, &present, max);
    svg.push_str("</svg>");
    svg + &legend(&present, &load.outcomes)
}

fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

/// The run length the x axis spans, in milliseconds.
fn span_ms(load: &LoadReport) -> f64 {
    (load.timeline.len() as u64 * load.timeline_bucket_ms).max(1) as f64
}

fn x_of(load: &LoadReport, ms: f64) -> f64 {
    LEFT + ms / span_ms(load) * plot_width()
}

fn bars(svg: &mut String, load: &LoadReport, order: &[Outcome], max: u64) {
    let width = (plot_width() / load.timeline.len() as f64).max(0.5);
    let gap = if width > 4.0 { 1.0 } else { 0.0 };
    for bucket in &load.timeline {
        let x = x_of(load, bucket.start_ms as f64);
        let mut y = TOP + PLOT_HEIGHT;
        let from = bucket.start_ms as f64 / 1000.0;
        let to = (bucket.start_ms + load.timeline_bucket_ms) as f64 / 1000.0;
        for o in order {
            let Some(&n) = bucket.counts.get(o).filter(|n| **n > 0) else {
                continue;
            };
            let h = n as f64 / max as f64 * PLOT_HEIGHT;
            y -= h;
            let _ = write!(
                svg,
                "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{h:.2}\" fill=\"{}\">\
                 <title>{from:.1}–{to:.1} s: {}×{n}</title></rect>",
                (width - gap).max(0.5),
                colour(*o),
                esc(&o.to_string())
            );
        }
    }
}

fn axes(svg: &mut String, load: &LoadReport, max: u64) {
    let base = TOP + PLOT_HEIGHT;
    let right = WIDTH - RIGHT;
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{right}\" y2=\"{base}\"/>\
         <line class=\"axis\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{base}\"/>\
         <text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{max}</text>\
         <text class=\"tick\" x=\"{}\" y=\"{base}\" text-anchor=\"end\">0</text>",
        LEFT - 4.0,
        TOP + 9.0,
        LEFT - 4.0
    );
    let span_s = span_ms(load) / 1000.0;
    let step = tick_step(span_s);
    let mut t = 0.0;
    while t <= span_s + 1e-9 {
        let x = x_of(load, t * 1000.0);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{x:.2}\" y1=\"{base}\" x2=\"{x:.2}\" y2=\"{}\"/>\
             <text class=\"tick\" x=\"{x:.2}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            base + 4.0,
            base + 16.0,
            trim_float(t)
        );
        t += step;
    }
    let _ = write!(
        svg,
        "<text class=\"tick\" x=\"{right}\" y=\"{}\" text-anchor=\"end\">seconds since the \
         load started (request start time)</text>",
        base + 30.0
    );
}

/// A tick every 0.1, 0.2, 0.5, 1, 2, 5, 10, ... seconds: at most about ten ticks.
fn tick_step(span_s: f64) -> f64 {
    let mut step = 0.1;
    for factor in [2.0, 2.5, 2.0].iter().cycle() {
        if span_s / step <= 10.0 {
            break;
        }
        step *= factor;
    }
    step
}

fn trim_float(v: f64) -> String {
    let text = format!("{v:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

fn legend(order: &[Outcome], counts: &BTreeMap<Outcome, u64>) -> String {
    let mut out = String::from("<ul class=\"legend\">");
    for o in order {
        let _ = write!(
            out,
            "<li><span class=\"swatch\" style=\"background:{}\"></span>{} <span \
             class=\"muted\">×{}</span></li>",
            colour(*o),
            esc(&o.to_string()),
            counts.get(o).copied().unwrap_or(0)
        );
    }
    out + "</ul>"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_stay_few_and_round() {
        assert_eq!(tick_step(0.8), 0.1);
        assert_eq!(tick_step(4.0), 0.5);
        assert_eq!(tick_step(9.0), 1.0);
        assert_eq!(tick_step(60.0), 10.0);
    }

    #[test]
    fn failures_have_distinct_colours() {
        let mut seen: Vec<&str> = Outcome::NAMED.iter().map(|o| colour(*o)).collect();
        seen.extend([502, 504, 200].map(|s| colour(Outcome::Status(s))));
        let count = seen.len();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), count, "every outcome colour is distinct");
    }
}
