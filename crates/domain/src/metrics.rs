//! Network performance (PRODUCT §9): what OnePortal measures on a service, at
//! which resolutions it keeps the measurements, and how a requested time range
//! becomes a series of at most [`MAX_POINTS`] points.
//!
//! The provider's monitoring pushes samples of its own series (SNMP interface
//! counters, probe results); the operator's mapping turns each into one of the
//! [`Measurement`]s below in OnePortal's units. Raw samples are kept
//! [`Resolution::Raw`]'s retention, rolled up to five-minute and hourly points
//! kept longer, and every point carries a minimum, a maximum, and a sum with
//! its weight, so that an average over any span is `sum / weight` at any level.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ValidationError;
use crate::user::text_enum;

/// One measured quantity of a service, in OnePortal's unit for it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Measurement {
    /// Traffic toward the customer's site (download), bits per second.
    TrafficIn,
    /// Traffic from the customer's site (upload), bits per second.
    TrafficOut,
    /// Round-trip time, milliseconds.
    Latency,
    /// Variation of the round-trip time, milliseconds.
    Jitter,
    /// Packets lost, percent.
    PacketLoss,
    /// Time the service answered, percent.
    Availability,
}
text_enum!(Measurement {
    TrafficIn = "traffic_in",
    TrafficOut = "traffic_out",
    Latency = "latency",
    Jitter = "jitter",
    PacketLoss = "packet_loss",
    Availability = "availability"
});

/// How a pushed series' values are to be read, as Prometheus types them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    /// Only goes up (octets sent) until it resets to zero; the measurement is its rate per second.
    Counter,
    /// A value as it is now (a latency); the measurement is the value.
    Gauge,
}
text_enum!(SeriesKind {
    Counter = "counter",
    Gauge = "gauge"
});

/// What a reader asks for: one chart, made of one series or of two (in and out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Chart {
    /// Traffic in and out, bits per second.
    Traffic,
    /// Traffic in and out as a percentage of the contracted bandwidth (downstream, upstream).
    Utilization,
    Latency,
    Jitter,
    PacketLoss,
    Availability,
}
text_enum!(Chart {
    Traffic = "traffic",
    Utilization = "utilization",
    Latency = "latency",
    Jitter = "jitter",
    PacketLoss = "packet_loss",
    Availability = "availability"
});

impl Chart {
    /// The measurements a chart draws, each with the name of its series.
    pub const fn series(self) -> &'static [(Measurement, &'static str)] {
        match self {
            Chart::Traffic | Chart::Utilization => &[
                (Measurement::TrafficIn, "in"),
                (Measurement::TrafficOut, "out"),
            ],
            Chart::Latency => &[(Measurement::Latency, "value")],
            Chart::Jitter => &[(Measurement::Jitter, "value")],
            Chart::PacketLoss => &[(Measurement::PacketLoss, "value")],
            Chart::Availability => &[(Measurement::Availability, "value")],
        }
    }

    /// The unit of every value in the chart (UCUM-like, as OpenMetrics names them).
    pub const fn unit(self) -> &'static str {
        match self {
            Chart::Traffic => "bit/s",
            Chart::Latency | Chart::Jitter => "ms",
            Chart::Utilization | Chart::PacketLoss | Chart::Availability => "%",
        }
    }
}

impl Measurement {
    pub const ALL: [Measurement; 6] = [
        Measurement::TrafficIn,
        Measurement::TrafficOut,
        Measurement::Latency,
        Measurement::Jitter,
        Measurement::PacketLoss,
        Measurement::Availability,
    ];

    /// Several series of one service measuring the same thing (two members of
    /// a link aggregation, two probes) combine so: traffic adds up, the rest averages.
    pub const fn adds_up(self) -> bool {
        matches!(self, Measurement::TrafficIn | Measurement::TrafficOut)
    }
}

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// `a / b` rounded up, for positive `b` (`i64::div_ceil` is not stable yet).
pub const fn ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1).div_euclid(b)
}

/// The most points one series of an answer holds; a finer step is refused.
pub const MAX_POINTS: i64 = 2000;

/// Where points come from: the samples as pushed, or a rollup of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Resolution {
    /// The samples as monitoring pushed them (every 15–60 s, typically).
    #[serde(rename = "raw")]
    Raw,
    /// Five-minute points, the unit burstable bandwidth is billed in.
    #[serde(rename = "5m")]
    FiveMinutes,
    /// Hourly points.
    #[serde(rename = "1h")]
    Hour,
}
text_enum!(Resolution {
    Raw = "raw",
    FiveMinutes = "5m",
    Hour = "1h"
});

impl Resolution {
    /// The width of one point; raw samples have none of their own.
    pub const fn width_ms(self) -> i64 {
        match self {
            Resolution::Raw => SECOND,
            Resolution::FiveMinutes => 5 * MINUTE,
            Resolution::Hour => HOUR,
        }
    }

    /// How long points at this resolution are kept.
    pub const fn kept_ms(self) -> i64 {
        match self {
            Resolution::Raw => 2 * DAY,
            Resolution::FiveMinutes => 90 * DAY,
            // Thirteen months: a year back, and the month before it to compare with.
            Resolution::Hour => 396 * DAY,
        }
    }

    /// Finest first.
    pub const ALL: [Resolution; 3] = [Resolution::Raw, Resolution::FiveMinutes, Resolution::Hour];
}

/// No step is longer than everything kept (13 months).
const MAX_STEP: i64 = 396 * DAY;

/// A step in Prometheus's duration syntax (`30s`, `5m`, `1h`, `1d`) or whole
/// seconds (`300`), in milliseconds.
pub fn parse_step(text: &str) -> Result<i64, ValidationError> {
    let invalid = || {
        ValidationError::new(
            "invalid_step",
            format!(
                "'{text}' is not a step: give a whole number with a unit, such as 30s, 5m, 1h or 1d, or whole seconds"
            ),
        )
    };
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let count: i64 = digits.parse().map_err(|_| invalid())?;
    let unit_ms = match unit {
        "" | "s" => SECOND,
        "m" => MINUTE,
        "h" => HOUR,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => return Err(invalid()),
    };
    let step = count.checked_mul(unit_ms).ok_or_else(invalid)?;
    if !(SECOND..=MAX_STEP).contains(&step) {
        return Err(ValidationError::new(
            "invalid_step",
            "the step must be between one second and 396 days (396d)",
        ));
    }
    Ok(step)
}

/// `5m` for 300 000 ms: the shortest way to write a step.
pub fn format_step(step_ms: i64) -> String {
    for (unit, width) in [("d", DAY), ("h", HOUR), ("m", MINUTE)] {
        if step_ms % width == 0 {
            return format!("{}{unit}", step_ms / width);
        }
    }
    format!("{}s", ceil_div(step_ms, SECOND))
}

/// Steps a range is divided into when the reader gives none, shortest first.
const NICE_STEPS: [i64; 14] = [
    15 * SECOND,
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
];

/// A range as it will be answered: `[from, to)` in steps, from one resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The first point's start (Unix ms), a multiple of the step.
    pub from_ms: i64,
    pub to_ms: i64,
    pub step_ms: i64,
    pub resolution: Resolution,
}

impl Window {
    /// Plans the answer to `[from, to)` at `step` (or a step of the planner's
    /// choosing), at `now`. Errors name the query parameter to change.
    pub fn plan(
        from_ms: i64,
        to_ms: i64,
        step_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<Window, (&'static str, ValidationError)> {
        if to_ms <= from_ms {
            return Err((
                "to",
                ValidationError::new("invalid_range", "'to' must be later than 'from'"),
            ));
        }
        let oldest = now_ms - Resolution::Hour.kept_ms();
        if from_ms < oldest {
            return Err((
                "from",
                ValidationError::new(
                    "out_of_retention",
                    "measurements are kept 13 months (396 days): 'from' must be within that",
                ),
            ));
        }
        // The finest resolution still holding `from`.
        let finest = Resolution::ALL
            .into_iter()
            .find(|r| from_ms >= now_ms - r.kept_ms())
            .unwrap_or(Resolution::Hour);
        let span = to_ms - from_ms;
        let step_ms = match step_ms {
            Some(step) => {
                if step < finest.width_ms() {
                    return Err((
                        "step",
                        ValidationError::new(
                            "step_too_fine",
                            format!(
                                "a range starting this far back is kept at {} resolution: the step must be at least {}",
                                finest.as_str(),
                                format_step(finest.width_ms())
                            ),
                        ),
                    ));
                }
                if ceil_div(span, step) > MAX_POINTS {
                    let least = NICE_STEPS
                        .into_iter()
                        .find(|s| ceil_div(span, *s) <= MAX_POINTS)
                        .unwrap_or(ceil_div(span, MAX_POINTS));
                    return Err((
                        "step",
                        ValidationError::new(
                            "too_many_points",
                            format!(
                                "this range in steps of {} is more than {MAX_POINTS} points: use a step of at least {}",
                                format_step(step),
                                format_step(least)
                            ),
                        ),
                    ));
                }
                step
            }
            None => NICE_STEPS
                .into_iter()
                .find(|s| *s >= finest.width_ms() && ceil_div(span, *s) <= MAX_POINTS)
                .unwrap_or_else(|| ceil_div(span, MAX_POINTS).max(DAY)),
        };
        // Raw samples while they are kept: the last minutes are not rolled up yet.
        // Beyond, the coarsest rollup whose points fit whole in a step: fewer rows to read.
        let resolution = if finest == Resolution::Raw {
            Resolution::Raw
        } else {
            Resolution::ALL
                .into_iter()
                .rev()
                .find(|r| r.width_ms() >= finest.width_ms() && step_ms % r.width_ms() == 0)
                .unwrap_or(finest)
        };
        Ok(Window {
            from_ms: from_ms - from_ms.rem_euclid(step_ms),
            to_ms,
            step_ms,
            resolution,
        })
    }

    /// The start of each point in the window, oldest first.
    pub fn points(&self) -> impl Iterator<Item = i64> + '_ {
        (0..)
            .map(|i| self.from_ms + i * self.step_ms)
            .take_while(|t| *t < self.to_ms)
    }
}

/// One point: the average over its step, and the extremes within it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at: i64,
    pub average: f64,
    pub min: f64,
    pub max: f64,
}

/// One line of a chart (`in`, `out`, or `value`).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: &'static str,
    pub points: Vec<Point>,
    /// The 95th percentile of the window's five-minute averages (hourly beyond 90 days).
    pub p95: Option<f64>,
    /// The highest of those averages, and when.
    pub peak: Option<(i64, f64)>,
}

/// The value below which `quantile` of `values` lie (nearest rank, as bandwidth
/// is billed: the 95th percentile of five-minute averages); `None` for no values.
pub fn percentile(values: &[f64], quantile: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn steps_read_as_prometheus_writes_them() {
        assert_eq!(parse_step("30s"), Ok(30 * SECOND));
        assert_eq!(parse_step("5m"), Ok(5 * MINUTE));
        assert_eq!(parse_step("1h"), Ok(HOUR));
        assert_eq!(parse_step("1d"), Ok(DAY));
        assert_eq!(parse_step("300"), Ok(5 * MINUTE));
        for bad in [
            "",
            "m",
            "5x",
            "-5m",
            "1.5h",
            "0s",
            "99999999999999999999d",
            "9223372036854775s",
            "400d",
        ] {
            assert!(parse_step(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(format_step(5 * MINUTE), "5m");
        assert_eq!(format_step(DAY), "1d");
        assert_eq!(format_step(90 * SECOND), "90s");
    }

    #[test]
    fn each_range_is_read_from_the_finest_resolution_still_holding_it() {
        let day = Window::plan(NOW - DAY, NOW, None, NOW).unwrap();
        assert_eq!((day.resolution, day.step_ms), (Resolution::Raw, MINUTE));
        let two_days = Window::plan(NOW - 2 * DAY + MINUTE, NOW, Some(HOUR), NOW).unwrap();
        assert_eq!(two_days.resolution, Resolution::Raw);
        let hours_of_last_week = Window::plan(NOW - 7 * DAY, NOW, Some(HOUR), NOW).unwrap();
        assert_eq!(hours_of_last_week.resolution, Resolution::Hour);
        let week = Window::plan(NOW - 7 * DAY, NOW, None, NOW).unwrap();
        assert_eq!(
            (week.resolution, week.step_ms),
            (Resolution::FiveMinutes, 10 * MINUTE)
        );
        let month = Window::plan(NOW - 30 * DAY, NOW, None, NOW).unwrap();
        assert_eq!(
            (month.resolution, month.step_ms),
            (Resolution::FiveMinutes, 30 * MINUTE)
        );
        let thirteen_months = Window::plan(NOW - 395 * DAY, NOW, None, NOW).unwrap();
        assert_eq!(thirteen_months.resolution, Resolution::Hour);
        assert!(thirteen_months.points().count() as i64 <= MAX_POINTS);
        // Thirty days in five-minute steps is 8 640 points: too many.
        let (param, error) = Window::plan(NOW - 30 * DAY, NOW, Some(5 * MINUTE), NOW).unwrap_err();
        assert_eq!((param, error.code), ("step", "too_many_points"));
        assert!(error.message.contains("at least 30m"), "{}", error.message);
    }

    #[test]
    fn a_step_finer_than_what_is_kept_is_refused_and_the_answer_says_what_is() {
        let (param, error) =
            Window::plan(NOW - 5 * DAY, NOW - 4 * DAY, Some(MINUTE), NOW).unwrap_err();
        assert_eq!((param, error.code), ("step", "step_too_fine"));
        assert!(error.message.contains("at least 5m"), "{}", error.message);
        let (param, _) =
            Window::plan(NOW - 100 * DAY, NOW - 99 * DAY, Some(5 * MINUTE), NOW).unwrap_err();
        assert_eq!(param, "step");
        let (param, error) = Window::plan(NOW - 400 * DAY, NOW, None, NOW).unwrap_err();
        assert_eq!((param, error.code), ("from", "out_of_retention"));
        let (param, _) = Window::plan(NOW, NOW - 1, None, NOW).unwrap_err();
        assert_eq!(param, "to");
    }

    #[test]
    fn points_start_on_whole_steps_and_cover_the_range() {
        let window = Window::plan(NOW - DAY + 7 * SECOND, NOW, Some(5 * MINUTE), NOW).unwrap();
        assert_eq!(window.from_ms % (5 * MINUTE), 0);
        assert_eq!(window.resolution, Resolution::Raw);
        let points: Vec<i64> = window.points().collect();
        assert_eq!(points.len(), 288);
        assert!(points.last().unwrap() + window.step_ms >= NOW);
    }

    #[test]
    fn the_95th_percentile_is_the_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.95), Some(95.0));
        assert_eq!(percentile(&[3.0], 0.95), Some(3.0));
        assert_eq!(percentile(&[], 0.95), None);
        let twenty: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&twenty, 0.95), Some(19.0));
    }
}
