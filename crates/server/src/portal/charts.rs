//! Pictures drawn on the server as inline SVG: no chart script, and no inline
//! `style` (the CSP forbids it) — colours come from presentation attributes and
//! the classes of the portal's stylesheet. Every picture has a title and a
//! description for screen readers; the pages also show the numbers as a table.

use std::fmt::Write;

/// One bar: its axis label, its height and the text shown above it.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 48.0;

/// Text safe inside SVG elements and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The smallest "round" number (1, 2, 2.5 or 5 × 10ⁿ) at or above `value`.
fn nice_ceiling(value: f64) -> f64 {
    if !value.is_finite() || value <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= value {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// The top of the y axis and how many grid steps lead to it. Counts (whole
/// numbers) get whole-number steps: nobody has 1.5 open cases.
fn scale(bars: &[Bar]) -> (f64, u32) {
    let finite = || bars.iter().map(|b| b.value).filter(|v| v.is_finite());
    let highest = finite().fold(0.0, f64::max);
    if finite().all(|v| v.fract() == 0.0) {
        let top = highest.ceil().max(1.0);
        if top <= 4.0 {
            return (top, top as u32);
        }
        return ((nice_ceiling(top) / 4.0).ceil() * 4.0, 4);
    }
    (nice_ceiling(highest), 4)
}

fn axis_number(value: f64) -> String {
    if value >= 10_000.0 {
        format!("{}k", (value / 1000.0).round())
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// A vertical bar chart with labelled axes (`x_label` under the bars' own
/// labels, `y_label` along the left). Drawn 480 units wide so its text stays
/// readable when a phone shrinks it. `id` must be unique on the page; it names
/// the title and description.
pub fn bar_chart(
    id: &str,
    title: &str,
    description: &str,
    axes: (&str, &str),
    bars: &[Bar],
) -> String {
    let (x_label, y_label) = axes;
    let id = escape(id);
    let (max, steps) = scale(bars);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" focusable=\"false\">\
<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(description)
    );
    // Grid lines and y-axis numbers from 0 to the top in equal steps.
    for step in 0..=steps {
        let value = max * f64::from(step) / f64::from(steps);
        let y = TOP + plot_h - plot_h * f64::from(step) / f64::from(steps);
        let _ = write!(
            svg,
            "<line class=\"chart-grid\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#d0d5dd\" stroke-width=\"1\"/>\
<text class=\"chart-tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\" fill=\"#475467\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            escape(&axis_number(value))
        );
    }
    let _ = write!(
        svg,
        "<text class=\"chart-axis-label\" x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\" font-size=\"12\" fill=\"#344054\">{}</text>",
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        escape(y_label)
    );
    let _ = write!(
        svg,
        "<line class=\"chart-axis\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{:.1}\" stroke=\"#344054\" stroke-width=\"1\"/>\
<line class=\"chart-axis\" x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#344054\" stroke-width=\"1\"/>",
        TOP + plot_h,
        TOP + plot_h,
        WIDTH - RIGHT,
        TOP + plot_h
    );
    let _ = write!(
        svg,
        "<text class=\"chart-axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#344054\">{}</text>",
        LEFT + plot_w / 2.0,
        HEIGHT - 6.0,
        escape(x_label)
    );
    if !bars.is_empty() {
        let slot = plot_w / bars.len() as f64;
        let bar_w = (slot * 0.6).max(2.0);
        for (i, bar) in bars.iter().enumerate() {
            let value = if bar.value.is_finite() {
                bar.value.max(0.0)
            } else {
                0.0
            };
            let h = plot_h * value / max;
            let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
            let y = TOP + plot_h - h;
            let centre = x + bar_w / 2.0;
            let _ = write!(
                svg,
                "<g class=\"chart-item\"><title>{}: {}</title>\
<rect class=\"chart-bar\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\" fill=\"#1d4ed8\"/>\
<text class=\"chart-value\" x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#101828\">{}</text>\
<text class=\"chart-label\" x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#344054\">{}</text></g>",
                escape(&bar.label),
                escape(&bar.shown),
                (y - 4.0).max(10.0),
                escape(&bar.shown),
                TOP + plot_h + 16.0,
                escape(&bar.label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// One moment of a timeline: when (epoch ms), and what happened.
pub struct Moment {
    pub at_ms: i64,
    pub when: String,
    pub what: String,
}

fn offset_text(minutes: i64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, m) => format!("+{m} min"),
        (h, 0) => format!("+{h} h"),
        (h, m) => format!("+{h} h {m} min"),
    }
}

/// A vertical timeline: one dot per moment, in order, each with its time, its
/// distance from the first moment, and a description (cut at 56 characters, so
/// the text stays readable at phone width; the page lists the full text).
pub fn timeline(id: &str, title: &str, moments: &[Moment]) -> String {
    const TIMELINE_WIDTH: f64 = 420.0;
    const CUT: usize = 56;
    let id = escape(id);
    let row = 44.0;
    let height = 24.0 + row * moments.len().max(1) as f64;
    let first = moments.first().map_or(0, |m| m.at_ms);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart chart-timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {TIMELINE_WIDTH} {height:.0}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" focusable=\"false\">\
<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{} moments, from {} to {}</desc>",
        escape(title),
        moments.len(),
        escape(moments.first().map_or("", |m| m.when.as_str())),
        escape(moments.last().map_or("", |m| m.when.as_str())),
    );
    if moments.len() > 1 {
        let _ = write!(
            svg,
            "<line class=\"chart-axis\" x1=\"24\" y1=\"24\" x2=\"24\" y2=\"{:.1}\" stroke=\"#98a2b3\" stroke-width=\"2\"/>",
            24.0 + row * (moments.len() - 1) as f64
        );
    }
    for (i, moment) in moments.iter().enumerate() {
        let y = 24.0 + row * i as f64;
        let what: String = moment.what.chars().take(CUT).collect();
        let what = if moment.what.chars().count() > CUT {
            format!("{what}…")
        } else {
            what
        };
        let _ = write!(
            svg,
            "<g class=\"chart-item\"><circle class=\"chart-dot\" cx=\"24\" cy=\"{y:.1}\" r=\"6\" fill=\"#1d4ed8\"/>\
<text class=\"chart-label\" x=\"40\" y=\"{:.1}\" font-size=\"12\" font-weight=\"600\" fill=\"#101828\">{} ({})</text>\
<text class=\"chart-value\" x=\"40\" y=\"{:.1}\" font-size=\"12\" fill=\"#344054\">{}</text></g>",
            y + 4.0,
            escape(&moment.when),
            escape(&offset_text(((moment.at_ms - first) / 60_000).max(0))),
            y + 20.0,
            escape(&what)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One line of a line chart: its name, colour and points (epoch ms, value).
pub struct Line {
    pub name: String,
    pub colour: &'static str,
    pub points: Vec<(i64, f64)>,
}

/// A level marked across a line chart (a 95th percentile), dashed in its line's colour.
pub struct Level {
    pub label: String,
    pub colour: &'static str,
    pub value: f64,
}

/// The time a line chart spans: `[from, to)` in steps (epoch ms), and the labels along it.
pub struct TimeAxis {
    pub from: i64,
    pub to: i64,
    pub step: i64,
    pub ticks: Vec<(i64, String)>,
}

/// A line chart over a [`TimeAxis`] with `y_label` up the left: one polyline per line (broken where a step
/// has no point, so a gap in the data is a gap in the line), dashed levels, and
/// a dot with its label at `peak`. Values are drawn as given: scale them into
/// the unit `y_label` names first.
pub fn line_chart(
    id: &str,
    (title, description): (&str, &str),
    y_label: &str,
    axis: &TimeAxis,
    lines: &[Line],
    levels: &[Level],
    peak: Option<(i64, f64, String)>,
) -> String {
    let (from, to, step) = (axis.from, axis.to, axis.step);
    let id = escape(id);
    let highest = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .chain(levels.iter().map(|l| l.value))
        .chain(peak.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let max = nice_ceiling(highest);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let span = (to - from).max(1) as f64;
    let x = |at: i64| LEFT + plot_w * ((at - from) as f64 / span).clamp(0.0, 1.0);
    let y = |value: f64| TOP + plot_h - plot_h * (value.max(0.0) / max).min(1.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart chart-lines\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" focusable=\"false\">\
<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(description)
    );
    for step_number in 0..=4 {
        let value = max * f64::from(step_number) / 4.0;
        let at = y(value);
        let _ = write!(
            svg,
            "<line class=\"chart-grid\" x1=\"{LEFT}\" y1=\"{at:.1}\" x2=\"{:.1}\" y2=\"{at:.1}\" stroke=\"#d0d5dd\" stroke-width=\"1\"/>\
<text class=\"chart-tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\" fill=\"#475467\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            at + 4.0,
            escape(&axis_number(value))
        );
    }
    for (i, (at, label)) in axis.ticks.iter().enumerate() {
        // The last label ends at its tick, so it stays inside the picture.
        let anchor = if i + 1 == axis.ticks.len() && axis.ticks.len() > 1 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            svg,
            "<text class=\"chart-tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"11\" fill=\"#475467\">{}</text>",
            x(*at),
            TOP + plot_h + 16.0,
            escape(label)
        );
    }
    // The legend, above the plot: a stroke of each line's colour and its name.
    let mut legend_x = LEFT;
    for line in lines {
        let _ = write!(
            svg,
            "<g class=\"chart-legend\"><line x1=\"{legend_x:.1}\" y1=\"10\" x2=\"{:.1}\" y2=\"10\" stroke=\"{}\" stroke-width=\"3\"/>\
<text x=\"{:.1}\" y=\"14\" font-size=\"11\" fill=\"#344054\">{}</text></g>",
            legend_x + 16.0,
            line.colour,
            legend_x + 20.0,
            escape(&line.name)
        );
        legend_x += 28.0 + 7.0 * line.name.chars().count() as f64;
    }
    let _ = write!(
        svg,
        "<text class=\"chart-axis-label\" x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\" font-size=\"12\" fill=\"#344054\">{}</text>\
<line class=\"chart-axis\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{:.1}\" stroke=\"#344054\" stroke-width=\"1\"/>\
<line class=\"chart-axis\" x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#344054\" stroke-width=\"1\"/>",
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        escape(y_label),
        TOP + plot_h,
        TOP + plot_h,
        WIDTH - RIGHT,
        TOP + plot_h
    );
    for line in lines {
        // A new polyline wherever a step is missing.
        let mut runs: Vec<Vec<(i64, f64)>> = Vec::new();
        for point in line.points.iter().filter(|p| p.1.is_finite()) {
            match runs.last_mut() {
                Some(run) if run.last().is_some_and(|last| point.0 - last.0 <= step) => {
                    run.push(*point)
                }
                _ => runs.push(vec![*point]),
            }
        }
        let _ = write!(
            svg,
            "<g class=\"chart-line\"><title>{}</title>",
            escape(&line.name)
        );
        for run in runs {
            let points: Vec<String> = run
                .iter()
                .map(|(at, value)| format!("{:.1},{:.1}", x(*at), y(*value)))
                .collect();
            if points.len() == 1 {
                let (at, value) = run[0];
                let _ = write!(
                    svg,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"1.5\" fill=\"{}\"/>",
                    x(at),
                    y(value),
                    line.colour
                );
            } else {
                let _ = write!(
                    svg,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>",
                    points.join(" "),
                    line.colour
                );
            }
        }
        svg.push_str("</g>");
    }
    for level in levels.iter().filter(|l| l.value.is_finite()) {
        let at = y(level.value);
        let _ = write!(
            svg,
            "<g class=\"chart-level\"><title>{}</title><line x1=\"{LEFT}\" y1=\"{at:.1}\" x2=\"{:.1}\" y2=\"{at:.1}\" stroke=\"{}\" stroke-width=\"1\" stroke-dasharray=\"6 4\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"10\" fill=\"#101828\">{}</text></g>",
            escape(&level.label),
            WIDTH - RIGHT,
            level.colour,
            WIDTH - RIGHT - 2.0,
            at - 3.0,
            escape(&level.label)
        );
    }
    if let Some((at, value, label)) = peak.filter(|p| p.1.is_finite()) {
        let (cx, cy) = (x(at), y(value));
        let anchor = if cx > LEFT + plot_w * 0.7 {
            "end"
        } else {
            "start"
        };
        let _ = write!(
            svg,
            "<g class=\"chart-peak\"><title>{}</title><circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"4\" fill=\"#b42318\"/>\
<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"10\" fill=\"#b42318\">{}</text></g>",
            escape(&label),
            if anchor == "end" { cx - 6.0 } else { cx + 6.0 },
            (cy - 6.0).max(TOP + 8.0),
            escape(&label)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every opened element is closed in order, attributes are quoted, and
    /// nothing needs a style attribute or a script.
    pub fn assert_well_formed(svg: &str) {
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(!svg.contains("style="), "no inline style");
        assert!(!svg.contains("<script"), "no script");
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').expect("tag closes") + start;
            let tag = &rest[start + 1..end];
            assert!(!tag.contains('<'), "stray < in {tag}");
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "closing {name}");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap().to_owned();
                stack.push(name);
            }
            assert_eq!(tag.matches('"').count() % 2, 0, "quotes balance in {tag}");
            rest = &rest[end + 1..];
            // Text between tags has no raw ampersand that is not an entity.
            let text = &rest[..rest.find('<').unwrap_or(rest.len())];
            for (i, _) in text.match_indices('&') {
                assert!(text[i..].contains(';'), "escaped & in {text}");
            }
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
    }

    fn bars(values: &[f64]) -> Vec<Bar> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Bar {
                label: format!("M{i}"),
                value: *v,
                shown: format!("{v}"),
            })
            .collect()
    }

    #[test]
    fn a_bar_chart_has_title_axes_and_one_bar_per_value() {
        let svg = bar_chart(
            "totals",
            "Invoice totals",
            "Twelve months",
            ("Month", "EUR"),
            &bars(&[10.0, 20.0, 35.0]),
        );
        assert_well_formed(&svg);
        assert!(svg.contains("<title id=\"totals-title\">Invoice totals</title>"));
        assert_eq!(svg.matches("<rect class=\"chart-bar\"").count(), 3);
        assert!(svg.contains(">EUR</text>"), "y axis label");
        assert!(svg.contains(">Month</text>"), "x axis label");
        assert!(svg.contains(">M2</text>"), "x labels");
        // The highest bar reaches at most the top of the plot.
        assert!(!svg.contains("height=\"-"));
    }

    #[test]
    fn a_line_chart_breaks_at_gaps_and_marks_levels_and_the_peak() {
        let points = vec![(0, 1.0), (60, 2.0), (120, 3.0), (300, 2.5), (360, f64::NAN)];
        let svg = line_chart(
            "traffic",
            ("Traffic", "In and out"),
            "Mbit/s",
            &TimeAxis {
                from: 0,
                to: 420,
                step: 60,
                ticks: vec![(0, "00:00".into()), (360, "00:06".into())],
            },
            &[
                Line {
                    name: "In".into(),
                    colour: "#1d4ed8",
                    points,
                },
                Line {
                    name: "Out <&>".into(),
                    colour: "#0e9384",
                    points: vec![],
                },
            ],
            &[Level {
                label: "95th percentile 2.9".into(),
                colour: "#1d4ed8",
                value: 2.9,
            }],
            Some((120, 3.0, "Peak 3".into())),
        );
        assert_well_formed(&svg);
        assert_eq!(
            svg.matches("<polyline").count(),
            1,
            "the gap after 120 breaks the line"
        );
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "a lone point, and the peak"
        );
        assert!(svg.contains("stroke-dasharray"));
        assert!(svg.contains("Out &lt;&amp;&gt;"));
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn empty_zero_and_odd_values_still_draw() {
        for values in [vec![], vec![0.0, 0.0], vec![f64::NAN, -5.0, f64::INFINITY]] {
            let mut bars = bars(&values);
            bars.iter_mut().for_each(|b| b.shown = "?".into());
            let svg = bar_chart("c", "t", "d", ("x", "y"), &bars);
            assert_well_formed(&svg);
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
    }

    #[test]
    fn labels_are_escaped() {
        let svg = bar_chart(
            "x\"y",
            "<script>alert(1)</script>",
            "a & b",
            ("<x>", "<y>"),
            &[Bar {
                label: "</svg><script>".into(),
                value: 1.0,
                shown: "'1'".into(),
            }],
        );
        assert_well_formed(&svg);
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn counts_get_whole_number_steps() {
        let top = |values: &[f64]| scale(&bars(values));
        assert_eq!(top(&[2.0, 1.0]), (2.0, 2));
        assert_eq!(top(&[0.0]), (1.0, 1));
        assert_eq!(top(&[3.0, 5.0]), (8.0, 4));
        assert_eq!(top(&[7.0, 12.0]), (20.0, 4));
        assert_eq!(top(&[4781.5]), (5000.0, 4));
    }

    #[test]
    fn rounded_scales() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(1234.0), 2000.0);
        assert_eq!(nice_ceiling(240.0), 250.0);
        assert_eq!(axis_number(12500.0), "13k");
    }

    #[test]
    fn a_timeline_lists_moments_with_offsets() {
        let moments = vec![
            Moment {
                at_ms: 0,
                when: "08:15".into(),
                what: "Fibre cut".into(),
            },
            Moment {
                at_ms: 95 * 60_000,
                when: "09:50".into(),
                what: "x".repeat(200),
            },
        ];
        let svg = timeline("rfo", "Incident timeline", &moments);
        assert_well_formed(&svg);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("+1 h 35 min"));
        assert!(svg.contains('…'));
        assert_well_formed(&timeline("empty", "none", &[]));
    }
}
