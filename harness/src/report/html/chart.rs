//! The outcome timeline as inline SVG: stacked bars of request start time, coloured by
//! outcome, buckets sized to the phase's length ([`super::scale`]), a time axis in ms or s, a
//! request-count axis with round ticks, the fault schedule windows shaded and named over the
//! bars, and a legend, so a 502 burst, its cause and its end can be seen at a glance.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::esc;
use super::scale::{Bars, count_axis, time_label, time_step_ms};
use crate::load::LoadReport;
use crate::outcome::Outcome;
use crate::result::FaultWindow;

const WIDTH: f64 = 640.0;
const PLOT_HEIGHT: f64 = 150.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 10.0;
/// Height of one row of fault window labels above the plot.
const LABEL_ROW: f64 = 14.0;

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
pub fn stack_key(o: Outcome) -> (u8, Outcome) {
    match o {
        _ if o.is_success() => (0, o),
        Outcome::Status(_) => (1, o),
        _ => (2, o),
    }
}

/// The chart and its legend as HTML (an `<svg>` and a legend list).
pub fn timeline(load: &LoadReport) -> String {
    timeline_with(load, &[])
}

/// [`timeline`] with the fault schedule `windows` shaded over the bars.
pub fn timeline_with(load: &LoadReport, windows: &[FaultWindow]) -> String {
    let bars = Bars::of(load);
    if bars.counts.is_empty() {
        return "<p class=\"muted\">No requests finished, so there is no timeline.</p>".into();
    }
    let mut present: Vec<Outcome> = load.outcomes.keys().copied().collect();
    present.sort_by_key(|o| stack_key(*o));
    let frame = Frame::new(&bars, windows);
    let height = frame.base() + 34.0;
    let mut svg = format!(
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} \
         {height}\" role=\"img\" aria-label=\"outcomes per {} ms of request start time\">",
        bars.width_ms
    );
    frame.windows(&mut svg, windows);
    frame.axes(&mut svg);
    frame.bars(&mut svg, &bars, &present);
    svg.push_str("</svg>");
    svg + &legend(&present, &load.outcomes)
}

/// Where things go: the time span on x, the count axis on y, the label rows on top.
struct Frame {
    span_ms: u64,
    top: f64,
    y_step: u64,
    y_max: u64,
    /// Servers with a window, one label row each.
    rows: Vec<String>,
}

impl Frame {
    fn new(bars: &Bars, windows: &[FaultWindow]) -> Frame {
        let mut rows: Vec<String> = windows.iter().map(|w| w.server.clone()).collect();
        rows.dedup();
        let (y_step, y_max) = count_axis(bars.max());
        Frame {
            span_ms: bars.span_ms(),
            top: 8.0 + LABEL_ROW * rows.len() as f64,
            y_step,
            y_max,
            rows,
        }
    }

    fn base(&self) -> f64 {
        self.top + PLOT_HEIGHT
    }

    fn x(&self, ms: u64) -> f64 {
        LEFT + ms.min(self.span_ms) as f64 / self.span_ms as f64 * (WIDTH - LEFT - RIGHT)
    }

    fn y(&self, count: u64) -> f64 {
        self.base() - count as f64 / self.y_max as f64 * PLOT_HEIGHT
    }

    fn bars(&self, svg: &mut String, bars: &Bars, order: &[Outcome]) {
        let width = self.x(bars.width_ms) - LEFT;
        let gap = if width > 4.0 { 1.0 } else { 0.0 };
        for (i, counts) in bars.counts.iter().enumerate() {
            let from = i as u64 * bars.width_ms;
            let x = self.x(from);
            let when = format!(
                "{}–{}",
                time_label(from, self.span_ms),
                time_label(from + bars.width_ms, self.span_ms)
            );
            let mut below = 0;
            for o in order {
                let Some(&n) = counts.get(o).filter(|n| **n > 0) else {
                    continue;
                };
                let (y, h) = (self.y(below + n), self.y(below) - self.y(below + n));
                below += n;
                let _ = write!(
                    svg,
                    "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{h:.2}\" \
                     fill=\"{}\"><title>{when}: {}×{n}</title></rect>",
                    (width - gap).max(0.5),
                    colour(*o),
                    esc(&o.to_string())
                );
            }
        }
    }

    /// Each window shaded over the plot, its server and fault named in that server's row.
    fn windows(&self, svg: &mut String, windows: &[FaultWindow]) {
        for w in windows {
            let row = self.rows.iter().position(|r| *r == w.server).unwrap_or(0);
            let (x1, x2) = (self.x(w.from_ms), self.x(w.to_ms.unwrap_or(self.span_ms)));
            let label_y = 8.0 + LABEL_ROW * row as f64 + 10.0;
            let _ = write!(
                svg,
                "<rect class=\"fault\" x=\"{x1:.2}\" y=\"{:.2}\" width=\"{:.2}\" \
                 height=\"{:.2}\"><title>{}: {} from {}{}</title></rect>\
                 <line class=\"fault-edge\" x1=\"{x1:.2}\" y1=\"{:.2}\" x2=\"{x2:.2}\" y2=\"{:.2}\"/>\
                 <text class=\"fault-label\" x=\"{:.2}\" y=\"{label_y:.2}\">{}: {}</text>",
                label_y - 9.0,
                (x2 - x1).max(1.0),
                self.base() - label_y + 9.0,
                esc(&w.server),
                esc(&w.kind),
                time_label(w.from_ms, self.span_ms),
                w.to_ms
                    .map(|t| format!(" to {}", time_label(t, self.span_ms)))
                    .unwrap_or_default(),
                label_y + 3.0,
                label_y + 3.0,
                x1 + 3.0,
                esc(&w.server),
                esc(&w.kind),
            );
        }
    }

    fn axes(&self, svg: &mut String) {
        let (base, right) = (self.base(), WIDTH - RIGHT);
        let _ = write!(
            svg,
            "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{right}\" y2=\"{base}\"/>\
             <line class=\"axis\" x1=\"{LEFT}\" y1=\"{}\" x2=\"{LEFT}\" y2=\"{base}\"/>",
            self.top
        );
        for count in (0..=self.y_max).step_by(self.y_step as usize) {
            let y = self.y(count);
            let _ = write!(
                svg,
                "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y:.2}\" x2=\"{right}\" y2=\"{y:.2}\"/>\
                 <text class=\"tick\" x=\"{}\" y=\"{:.2}\" text-anchor=\"end\">{count}</text>",
                LEFT - 4.0,
                y + 4.0
            );
        }
        let step = time_step_ms(self.span_ms);
        for ms in (0..=self.span_ms).step_by(step as usize) {
            let x = self.x(ms);
            let _ = write!(
                svg,
                "<line class=\"axis\" x1=\"{x:.2}\" y1=\"{base}\" x2=\"{x:.2}\" y2=\"{}\"/>\
                 <text class=\"tick\" x=\"{x:.2}\" y=\"{}\" text-anchor=\"{}\">{}</text>",
                base + 4.0,
                base + 16.0,
                // The last label ends at its tick rather than past the chart's edge.
                if x > WIDTH - RIGHT - 20.0 {
                    "end"
                } else {
                    "middle"
                },
                time_label(ms, self.span_ms)
            );
        }
        let _ = write!(
            svg,
            "<text class=\"tick\" x=\"{right}\" y=\"{}\" text-anchor=\"end\">request start \
             time since the load began</text><text class=\"tick\" \
             transform=\"translate(11 {:.2}) rotate(-90)\" text-anchor=\"middle\">requests</text>",
            base + 30.0,
            self.top + PLOT_HEIGHT / 2.0
        );
    }
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
    fn fault_windows_are_shaded_and_named() {
        let load = crate::report::sample::load();
        let window = FaultWindow {
            server: "app.a".into(),
            kind: "refuse".into(),
            from_ms: 100,
            to_ms: Some(200),
        };
        let html = timeline_with(&load, &[window]);
        assert!(
            html.contains("<title>app.a: refuse from 100 ms to 200 ms</title>"),
            "{html}"
        );
        assert!(html.contains(">app.a: refuse</text>"), "{html}");
        assert!(!timeline(&load).contains("class=\"fault\""));
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
