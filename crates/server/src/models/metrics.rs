//! A service's network performance as the API answers it.

use oneportal_domain::metrics::{Chart, Line, Point, Resolution, Window, format_step};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::time::rfc3339;

/// One chart of a service over a window.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMetrics {
    #[schema(example = "SVC-000123")]
    pub service_id: String,
    pub metric: Chart,
    /// The unit of every value: `bit/s`, `ms` or `%`.
    #[schema(example = "bit/s")]
    pub unit: &'static str,
    /// The first point's start (the requested `from`, down to a whole step).
    pub from: String,
    pub to: String,
    /// Each point's width, in Prometheus's duration syntax.
    #[schema(example = "5m")]
    pub step: String,
    /// What the points were read from: `raw` samples, `5m` or `1h` rollups.
    pub resolution: Resolution,
    /// `in` and `out` for traffic and utilization; `value` for the rest. A
    /// series is absent where it cannot be drawn (utilization of a service with no bandwidth).
    pub series: Vec<MetricSeries>,
}

/// One line of a chart.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricSeries {
    /// `in` (toward the customer's site), `out` (from it), or `value`.
    #[schema(example = "in")]
    pub name: &'static str,
    /// The 95th percentile of the window's five-minute averages (hourly
    /// averages for windows older than 90 days): how burstable bandwidth is billed.
    pub p95: Option<f64>,
    /// The highest of those averages.
    pub peak: Option<MetricPoint>,
    /// Oldest first; a step with no measurement has no point.
    pub points: Vec<MetricPoint>,
}

/// One step: its average, and the lowest and highest sample (for traffic, per-scrape rate) within it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricPoint {
    /// The step's start.
    #[schema(example = "2026-12-07T08:15:00Z")]
    pub time: String,
    pub average: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl From<&Point> for MetricPoint {
    fn from(point: &Point) -> Self {
        MetricPoint {
            time: rfc3339(point.at),
            average: point.average,
            min: Some(point.min),
            max: Some(point.max),
        }
    }
}

impl ServiceMetrics {
    pub fn new(service_id: String, chart: Chart, window: Window, lines: &[Line]) -> Self {
        ServiceMetrics {
            service_id,
            metric: chart,
            unit: chart.unit(),
            from: rfc3339(window.from_ms),
            to: rfc3339(window.to_ms),
            step: format_step(window.step_ms),
            resolution: window.resolution,
            series: lines
                .iter()
                .map(|line| MetricSeries {
                    name: line.name,
                    p95: line.p95,
                    peak: line.peak.map(|(at, value)| MetricPoint {
                        time: rfc3339(at),
                        average: value,
                        min: None,
                        max: None,
                    }),
                    points: line.points.iter().map(MetricPoint::from).collect(),
                })
                .collect(),
        }
    }
}
