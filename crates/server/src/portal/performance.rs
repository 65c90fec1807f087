//! Sites & Services → a service → Network Performance: traffic, utilization,
//! latency with jitter, and packet loss over 24 hours, 7 days, 30 days or 13
//! months, each drawn as an inline SVG line chart with its 95th percentile and
//! peak marked, the numbers as a table, and the whole as CSV. The data is the
//! API's (`GET /v2/services/{id}/metrics`), through the same access scope.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use oneportal_domain::ids::IdKind;
use oneportal_domain::metrics::{Chart, Line, Measurement, Window};
use oneportal_store::catalog::{self, ServiceRow};
use oneportal_store::now_ms;

use super::charts::{self, Level};
use super::developer::day_time;
use super::layout::Layout;
use super::require::{Require, SitesServicesView};
use super::{PortalError, render};
use crate::http::ApiError;
use crate::http::pagination::query_pairs;
use crate::http::public_id::{id_of, not_found};
use crate::services::metrics::query;
use crate::services::metrics::source::MeasurementSource;
use crate::state::AppState;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The ranges a person picks from, each with the step that keeps a chart to a few hundred points.
const RANGES: [(&str, &str, i64, i64); 4] = [
    ("24h", "24 hours", DAY, 5 * MINUTE),
    ("7d", "7 days", 7 * DAY, 30 * MINUTE),
    ("30d", "30 days", 30 * DAY, 2 * HOUR),
    ("13m", "13 months", 396 * DAY, DAY),
];

/// One chart: its picture, what it says in words, and its numbers.
pub struct PerformanceChart {
    pub id: &'static str,
    pub title: &'static str,
    pub svg: String,
    pub summary: Vec<String>,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "portal/service_performance.html")]
struct PerformancePage {
    layout: Layout,
    service_id: String,
    service_name: String,
    ranges: Vec<(&'static str, &'static str, bool)>,
    range: &'static str,
    range_label: &'static str,
    availability: Option<String>,
    charts: Vec<PerformanceChart>,
    has_data: bool,
}

struct Drawn {
    window: Window,
    /// Per chart, its lines (as the API reads them).
    traffic: Vec<Line>,
    utilization: Vec<Line>,
    latency: Vec<Line>,
    jitter: Vec<Line>,
    loss: Vec<Line>,
    availability: Vec<Line>,
}

/// A range's key, its words, its span and its step.
type Range = (&'static str, &'static str, i64, i64);

fn range_of(raw: Option<&str>) -> Result<Range, ApiError> {
    let pairs = query_pairs(raw)?;
    let asked = pairs
        .iter()
        .find(|(name, _)| name == "range")
        .map_or("24h", |(_, value)| value.as_str());
    RANGES
        .into_iter()
        .find(|(key, ..)| *key == asked)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_range",
                format!("'{asked}' is not a range here; choose 24h, 7d, 30d or 13m"),
            )
        })
}

/// The service a person may see, the range they asked for, and its lines read.
async fn read(
    state: &AppState,
    session: &Require<SitesServicesView>,
    id: &str,
    raw: Option<&str>,
) -> Result<(ServiceRow, Range, Drawn), PortalError> {
    let id = id_of(IdKind::Service, id, "service")?;
    let service = catalog::find_service(&state.db, &session.user.access_scope(), id)
        .await?
        .ok_or_else(|| not_found("service"))?;
    let range = range_of(raw)?;
    let now = now_ms();
    let window = Window::plan(now - range.2, now, Some(range.3), now)
        .map_err(|(_, e)| ApiError::bad_request(e.code, e.message))?;
    let source = MeasurementSource::of(state);
    let lines = |chart| query::chart(&source, &state.db, &service, chart, window);
    // Side by side: with the provider's Prometheus as the source, each is a round trip.
    let (traffic, latency, jitter, loss, availability) = tokio::try_join!(
        lines(Chart::Traffic),
        lines(Chart::Latency),
        lines(Chart::Jitter),
        lines(Chart::PacketLoss),
        lines(Chart::Availability),
    )?;
    let utilization = query::utilization(&service, traffic.clone());
    let drawn = Drawn {
        window,
        traffic,
        utilization,
        latency,
        jitter,
        loss,
        availability,
    };
    Ok((service, range, drawn))
}

/// Bits per second in the unit that keeps the numbers short.
fn bits_unit(highest: f64) -> (&'static str, f64) {
    match highest {
        h if h >= 1e9 => ("Gbit/s", 1e9),
        h if h >= 1e6 => ("Mbit/s", 1e6),
        h if h >= 1e3 => ("kbit/s", 1e3),
        _ => ("bit/s", 1.0),
    }
}

fn number(value: f64) -> String {
    if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

const COLOURS: [&str; 2] = ["#1d4ed8", "#0e9384"];

/// A chart of `lines` (each renamed for people), values divided by `divisor` into `unit`.
fn chart(
    (id, title): (&'static str, &'static str),
    window: &Window,
    named: &[(&Line, &str)],
    (unit, divisor): (&str, f64),
    marks_percentile: bool,
) -> PerformanceChart {
    let span = window.to_ms - window.from_ms;
    let ticks: Vec<(i64, String)> = (0..=4)
        .map(|i| {
            let at = window.from_ms + span * i / 4;
            let text = day_time(at);
            // "2026-12-07 08:15 UTC": the time of day within a day, the date beyond.
            let label = if span <= 2 * DAY {
                text.get(11..16).unwrap_or(&text).to_owned()
            } else {
                text.get(5..10).unwrap_or(&text).to_owned()
            };
            (at, label)
        })
        .collect();
    let lines: Vec<charts::Line> = named
        .iter()
        .zip(COLOURS)
        .map(|((line, name), colour)| charts::Line {
            name: (*name).to_owned(),
            colour,
            points: line
                .points
                .iter()
                .map(|p| (p.at, p.average / divisor))
                .collect(),
        })
        .collect();
    let mut levels = Vec::new();
    let mut summary = Vec::new();
    let mut peak: Option<(i64, f64, String)> = None;
    for ((line, name), colour) in named.iter().zip(COLOURS) {
        if let Some(p95) = line.p95.filter(|_| marks_percentile) {
            levels.push(Level {
                label: format!("{name} 95th percentile {} {unit}", number(p95 / divisor)),
                colour,
                value: p95 / divisor,
            });
            summary.push(format!(
                "{name}: 95th percentile {} {unit}",
                number(p95 / divisor)
            ));
        }
        if let Some((at, value)) = line.peak {
            summary.push(format!(
                "{name}: peak {} {unit} at {}",
                number(value / divisor),
                day_time(at)
            ));
            if peak.as_ref().is_none_or(|p| value / divisor > p.1) {
                peak = Some((
                    at,
                    value / divisor,
                    format!("Peak {} {unit}", number(value / divisor)),
                ));
            }
        }
    }
    let description = format!(
        "{title} from {} to {}, in {unit}: {}",
        day_time(window.from_ms),
        day_time(window.to_ms),
        if summary.is_empty() {
            "no measurements".to_owned()
        } else {
            summary.join("; ")
        }
    );
    let svg = charts::line_chart(
        id,
        (title, &description),
        unit,
        &charts::TimeAxis {
            from: window.from_ms,
            to: window.to_ms,
            step: window.step_ms,
            ticks,
        },
        &lines,
        &levels,
        peak,
    );
    let mut rows: std::collections::BTreeMap<i64, Vec<String>> = std::collections::BTreeMap::new();
    for (index, (line, _)) in named.iter().enumerate() {
        for point in &line.points {
            let row = rows
                .entry(point.at)
                .or_insert_with(|| vec!["—".to_owned(); named.len()]);
            row[index] = number(point.average / divisor);
        }
    }
    PerformanceChart {
        id,
        title,
        svg,
        summary,
        columns: named
            .iter()
            .map(|(_, name)| format!("{name} ({unit})"))
            .collect(),
        rows: rows
            .into_iter()
            .map(|(at, values)| (day_time(at), values))
            .collect(),
    }
}

fn first(lines: &[Line]) -> Option<&Line> {
    lines.first()
}

/// Traffic's or utilization's lines, named for people.
fn in_out(lines: &[Line]) -> Vec<(&Line, &'static str)> {
    lines
        .iter()
        .map(|l| (l, if l.name == "in" { "In" } else { "Out" }))
        .collect()
}

fn charts_of(drawn: &Drawn) -> Vec<PerformanceChart> {
    let window = &drawn.window;
    let traffic = in_out(&drawn.traffic);
    let highest = traffic
        .iter()
        .flat_map(|(l, _)| l.points.iter().map(|p| p.average))
        .fold(0.0, f64::max);
    let latency: Vec<(&Line, &str)> = first(&drawn.latency)
        .map(|l| (l, "Latency"))
        .into_iter()
        .chain(first(&drawn.jitter).map(|l| (l, "Jitter")))
        .collect();
    let loss: Vec<(&Line, &str)> = first(&drawn.loss)
        .map(|l| (l, "Packet loss"))
        .into_iter()
        .collect();
    vec![
        chart(
            ("traffic", "Traffic"),
            window,
            &traffic,
            bits_unit(highest),
            true,
        ),
        chart(
            ("utilization", "Utilization"),
            window,
            &in_out(&drawn.utilization),
            ("%", 1.0),
            true,
        ),
        chart(
            ("latency", "Latency and jitter"),
            window,
            &latency,
            ("ms", 1.0),
            false,
        ),
        chart(("loss", "Packet loss"), window, &loss, ("%", 1.0), false),
    ]
}

/// The average availability over the window, weighted by each point's step.
fn availability(drawn: &Drawn) -> Option<String> {
    let line = first(&drawn.availability)?;
    if line.points.is_empty() {
        return None;
    }
    let average = line.points.iter().map(|p| p.average).sum::<f64>() / line.points.len() as f64;
    Some(format!("{average:.3} %"))
}

pub async fn page(
    State(state): State<AppState>,
    session: Require<SitesServicesView>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    let (service, (range, range_label, ..), drawn) =
        read(&state, &session, &id, raw.as_deref()).await?;
    let charts = charts_of(&drawn);
    let has_data = charts.iter().any(|c| !c.rows.is_empty());
    render::page(&PerformancePage {
        layout: Layout::for_session(
            &state,
            &session,
            format!("{}: network performance", service.service_name),
            "catalog",
        )
        .await,
        service_id: IdKind::Service.format(service.id),
        service_name: service.service_name.clone(),
        ranges: RANGES
            .iter()
            .map(|(key, label, ..)| (*key, *label, *key == range))
            .collect(),
        range,
        range_label,
        availability: availability(&drawn),
        charts,
        has_data,
    })
}

/// One service of the organization view, busiest first.
pub struct BusyService {
    pub id: String,
    pub name: String,
    pub bandwidth: String,
    /// Average and busiest hour, as % of the bandwidth in that direction (in, then out).
    pub average: String,
    pub busiest: String,
    pub busiest_share: f64,
}

#[derive(Template)]
#[template(path = "portal/performance.html")]
struct OrganizationPage {
    layout: Layout,
    services: Vec<BusyService>,
    measured: usize,
}

/// How many services the organization view lists.
const MOST_UTILIZED: usize = 20;

/// Sites & Services → Network performance: the services busiest over the last
/// seven days, by their busiest hour as a share of their bandwidth.
pub async fn organization(
    State(state): State<AppState>,
    session: Require<SitesServicesView>,
) -> Result<Response, PortalError> {
    let scope = session.user.access_scope();
    let services = catalog::all_services(&state.db, &scope).await?;
    let now = now_ms();
    let traffic = MeasurementSource::of(&state)
        .busiest_hours(&state.db, scope.org_id, &services, (now - 7 * DAY, now))
        .await?;
    let share = |service: &ServiceRow, measurement, bits: f64| {
        let mbps = match measurement {
            Measurement::TrafficIn => service.downstream_mbps,
            _ => service.upstream_mbps,
        };
        (mbps > 0).then(|| 100.0 * bits / (mbps as f64 * 1e6))
    };
    let mut busy: Vec<BusyService> = services
        .iter()
        .filter_map(|service| {
            let rows: Vec<_> = traffic
                .iter()
                .filter(|t| t.service_id == service.id)
                .collect();
            if rows.is_empty() {
                return None;
            }
            let of = |m: Measurement, pick: fn(&oneportal_store::metrics::BusyRow) -> f64| {
                rows.iter()
                    .find(|r| r.measurement == m)
                    .and_then(|r| share(service, m, pick(r)))
            };
            let shown = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.1} %"));
            let (average_in, average_out) = (
                of(Measurement::TrafficIn, |r| r.average),
                of(Measurement::TrafficOut, |r| r.average),
            );
            let (busiest_in, busiest_out) = (
                of(Measurement::TrafficIn, |r| r.busiest),
                of(Measurement::TrafficOut, |r| r.busiest),
            );
            Some(BusyService {
                id: IdKind::Service.format(service.id),
                name: service.service_name.clone(),
                bandwidth: format!(
                    "{} / {} Mbit/s",
                    service.downstream_mbps, service.upstream_mbps
                ),
                average: format!("{} / {}", shown(average_in), shown(average_out)),
                busiest: format!("{} / {}", shown(busiest_in), shown(busiest_out)),
                busiest_share: busiest_in.unwrap_or(0.0).max(busiest_out.unwrap_or(0.0)),
            })
        })
        .collect();
    let measured = busy.len();
    busy.sort_by(|a, b| b.busiest_share.total_cmp(&a.busiest_share));
    busy.truncate(MOST_UTILIZED);
    render::page(&OrganizationPage {
        layout: Layout::for_session(
            &state,
            &session,
            String::from("Network performance"),
            "catalog",
        )
        .await,
        services: busy,
        measured,
    })
}

/// Every point of every chart as CSV: time, metric, series, average, min, max (OnePortal's units).
pub async fn csv(
    State(state): State<AppState>,
    session: Require<SitesServicesView>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    let (service, (range, ..), drawn) = read(&state, &session, &id, raw.as_deref()).await?;
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(["time", "metric", "series", "unit", "average", "min", "max"]);
    for (chart, lines) in [
        (Chart::Traffic, &drawn.traffic),
        (Chart::Utilization, &drawn.utilization),
        (Chart::Latency, &drawn.latency),
        (Chart::Jitter, &drawn.jitter),
        (Chart::PacketLoss, &drawn.loss),
        (Chart::Availability, &drawn.availability),
    ] {
        for line in lines.iter() {
            for point in &line.points {
                let _ = writer.write_record([
                    crate::http::time::rfc3339(point.at),
                    chart.as_str().to_owned(),
                    line.name.to_owned(),
                    chart.unit().to_owned(),
                    point.average.to_string(),
                    point.min.to_string(),
                    point.max.to_string(),
                ]);
            }
        }
    }
    let body = writer.into_inner().unwrap_or_default();
    let name = format!(
        "{}-performance-{range}.csv",
        IdKind::Service.format(service.id)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}
