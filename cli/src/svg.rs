//! A hand-written SVG line chart: modelled tap time (ms) against chain depth, one line per
//! series (the simulation's suite from its own taps, and a sweep of every suite). No
//! dependencies; the output is a standalone `<svg>` document.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// One line of the chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend.
    pub name: String,
    /// (chain depth, milliseconds).
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// The median tap time per depth of the simulation's taps.
    pub fn from_taps(suite: &str, taps: &[(u32, Duration)]) -> Self {
        let mut by_depth: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        for (d, t) in taps {
            by_depth.entry(*d).or_default().push(t.as_secs_f64() * 1000.0);
        }
        let points = by_depth
            .into_iter()
            .filter_map(|(d, mut v)| {
                v.sort_by(f64::total_cmp);
                v.get(v.len() / 2).map(|m| (f64::from(d), *m))
            })
            .collect();
        Self { name: format!("{suite} (simulation, median)"), points }
    }
}

const COLORS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/// The chart as an SVG document.
pub fn tap_time_chart(series: &[Series]) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 440.0, 70.0, 220.0, 40.0, 50.0);
    let all = series.iter().flat_map(|s| s.points.iter());
    let max_x = all.clone().map(|p| p.0).fold(1.0, f64::max);
    let max_y = all.map(|p| p.1).fold(1.0, f64::max) * 1.1;
    let px = |x: f64| left + x / max_x * (w - left - right);
    let py = |y: f64| h - bottom - y / max_y * (h - top - bottom);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="22" font-size="15">Modelled tap time vs chain depth (424 kbit/s, 8 ms per APDU)</text>"#,
        left
    );
    let _ =
        writeln!(s, r#"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#, h - bottom, w - right, h - bottom);
    let _ = writeln!(s, r#"<line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="black"/>"#, h - bottom);
    for i in 0..=5 {
        let y = max_y * f64::from(i) / 5.0;
        let _ = writeln!(s, r#"<text x="{}" y="{}" text-anchor="end">{:.0}</text>"#, left - 6.0, py(y) + 4.0, y);
        let _ = writeln!(s, r##"<line x1="{left}" y1="{0}" x2="{1}" y2="{0}" stroke="#ddd"/>"##, py(y), w - right);
        let x = max_x * f64::from(i) / 5.0;
        let _ = writeln!(s, r#"<text x="{}" y="{}" text-anchor="middle">{:.0}</text>"#, px(x), h - bottom + 16.0, x);
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">chain depth of the notes paid</text>"#,
        (left + w - right) / 2.0,
        h - 12.0
    );
    let _ = writeln!(
        s,
        r#"<text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">ms</text>"#,
        h / 2.0,
        h / 2.0
    );
    for (i, series) in series.iter().enumerate() {
        let color = COLORS.get(i % COLORS.len()).copied().unwrap_or("black");
        let pts: Vec<String> = series.points.iter().map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y))).collect();
        let _ = writeln!(s, r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#, pts.join(" "));
        for (x, y) in &series.points {
            let _ = writeln!(s, r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"/>"#, px(*x), py(*y));
        }
        let ly = top + 20.0 * i as f64;
        let _ = writeln!(s, r#"<rect x="{}" y="{}" width="12" height="12" fill="{color}"/>"#, w - right + 12.0, ly);
        let _ = writeln!(s, r#"<text x="{}" y="{}">{}</text>"#, w - right + 30.0, ly + 10.0, escape(&series.name));
    }
    s.push_str("</svg>\n");
    s
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
