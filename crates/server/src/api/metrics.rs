//! A service's network performance [BasicRead]: its charts over a window, as
//! the portal draws them.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use oneportal_domain::ids::IdKind;
use oneportal_domain::metrics::{Chart, Window, parse_step};
use oneportal_domain::query::QueryError;
use oneportal_store::{catalog, now_ms};

use crate::access::{Access, BasicRead};
use crate::http::ApiError;
use crate::http::pagination::{query_pairs, query_problem};
use crate::http::problem::Problem;
use crate::http::public_id::{id_of, not_found};
use crate::models::metrics::ServiceMetrics;
use crate::services::metrics::source::MeasurementSource;
use crate::services::metrics::{exposition, query};
use crate::state::AppState;

const DAY_MS: i64 = 24 * 60 * 60_000;

/// Read a service's metrics.
#[utoipa::path(get, path = "/v2/services/{serviceId}/metrics", tag = "Services", operation_id = "get_service_metrics",
    security(("oauth2" = ["customerapi/basic.read"]), ("userToken" = [])),
    description = "One chart of the service over a window: `traffic` (in and out, bit/s), `utilization` (in and out, % of the contracted downstream and upstream bandwidth), \
`latency` and `jitter` (ms), `packet_loss` and `availability` (%). Each series carries its 95th percentile and peak of five-minute averages (how burstable bandwidth is billed). \
Without `step`, the step is the finest that keeps the window within 2,000 points; raw samples are kept 48 hours, five-minute points 90 days, hourly points 13 months.",
    params(("serviceId" = String, Path, description = "The service's id, e.g. `SVC-000123`"),
        ("metric" = Option<String>, Query, pattern = "^(traffic|utilization|latency|jitter|packet_loss|availability)$", description = "Which chart (default `traffic`)"),
        ("from" = Option<String>, Query, description = "RFC 3339 start (default 24 hours before `to`)"),
        ("to" = Option<String>, Query, description = "RFC 3339 end (default now)"),
        ("step" = Option<String>, Query, description = "Point width: `30s`, `5m`, `1h`, `1d`, or whole seconds; at most 2,000 points")),
    responses((status = 200, body = ServiceMetrics),
        (status = 400, description = "A parameter is wrong; `errors` names each", body = Problem),
        (status = 401, body = Problem), (status = 403, description = "Missing customerapi/basic.read", body = Problem),
        (status = 404, description = "No such service, or not one you may see", body = Problem),
        (status = 502, description = "Measurements are read from the provider's Prometheus, which did not answer; retry shortly", body = Problem)))]
pub async fn get_service_metrics(
    State(state): State<AppState>,
    access: Access<BasicRead>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ServiceMetrics>, ApiError> {
    let id = id_of(IdKind::Service, &id, "service")?;
    let service = catalog::find_service(&state.db, &access.scope, id)
        .await?
        .ok_or_else(|| not_found("service"))?;
    let (chart, window) = parse(raw.as_deref(), now_ms())?;
    let source = MeasurementSource::of(&state);
    let lines = query::chart(&source, &state.db, &service, chart, window).await?;
    Ok(Json(ServiceMetrics::new(
        IdKind::Service.format(service.id),
        chart,
        window,
        &lines,
    )))
}

/// Scrape the latest measurements.
#[utoipa::path(get, path = "/v2/metrics", tag = "Services", operation_id = "scrape_service_metrics",
    security(("oauth2" = ["customerapi/basic.read"]), ("userToken" = [])),
    description = "For your own Prometheus: the latest value of each measurement of every service you may see, as OpenMetrics text \
(or Prometheus text 0.0.4 unless the scraper accepts `application/openmetrics-text`), labelled `service_id`, `service_name` and `site_id`. \
Values are in base units: `oneportal_service_traffic_in_bits_per_second`, `…_traffic_out_bits_per_second`, `…_utilization_in_ratio`, `…_utilization_out_ratio`, \
`…_latency_seconds`, `…_jitter_seconds`, `…_packet_loss_ratio`, `…_availability_ratio`; only measurements from the last ten minutes appear. \
Scrape with Prometheus's built-in `oauth2` (client credentials of an API client with `customerapi/basic.read`, `token_url` this server's `/oauth2/token`).",
    responses((status = 200, description = "The exposition: OpenMetrics text when the scraper accepts it, else Prometheus text 0.0.4",
            content((String = "application/openmetrics-text"), (String = "text/plain"))),
        (status = 401, body = Problem), (status = 403, description = "Missing customerapi/basic.read", body = Problem),
        (status = 502, description = "Measurements are read from the provider's Prometheus, which did not answer; retry shortly", body = Problem)))]
pub async fn scrape_service_metrics(
    State(state): State<AppState>,
    access: Access<BasicRead>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (services, values) =
        exposition::latest_values(&MeasurementSource::of(&state), &state.db, &access.scope).await?;
    let openmetrics = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/openmetrics-text"));
    let content_type = if openmetrics {
        exposition::OPENMETRICS
    } else {
        exposition::PROMETHEUS_TEXT
    };
    Ok((
        [(header::CONTENT_TYPE, content_type)],
        exposition::render(&services, &values, openmetrics),
    )
        .into_response())
}

/// The chart and window a query asks for; every wrong parameter is named.
fn parse(raw: Option<&str>, now: i64) -> Result<(Chart, Window), ApiError> {
    let mut errors = Vec::new();
    let (mut chart, mut from, mut to, mut step) = (Chart::Traffic, None, None, None);
    for (name, value) in query_pairs(raw)? {
        let time = |errors: &mut Vec<QueryError>| match crate::http::time::parse_time(&name, &value)
        {
            Ok(at) => Some(at),
            Err(e) => {
                errors.push(QueryError::new(&name, "invalid_time", e.detail));
                None
            }
        };
        match name.as_str() {
            "metric" => match Chart::parse(&value) {
                Some(c) => chart = c,
                None => errors.push(QueryError::new(
                    "metric",
                    "invalid_metric",
                    format!(
                        "'{value}' is not a metric; use one of: {}",
                        Chart::NAMES.join(", ")
                    ),
                )),
            },
            "from" => from = time(&mut errors),
            "to" => to = time(&mut errors),
            "step" => match parse_step(&value) {
                Ok(s) => step = Some(s),
                Err(e) => errors.push(QueryError::new("step", e.code, e.message)),
            },
            other => errors.push(QueryError::new(
                other,
                "unknown_parameter",
                format!("'{other}' is not a parameter here; use metric, from, to and step"),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(query_problem(errors));
    }
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(to - DAY_MS);
    let window = Window::plan(from, to, step, now).map_err(|(parameter, e)| {
        query_problem(vec![QueryError::new(parameter, e.code, e.message)])
    })?;
    Ok((chart, window))
}
