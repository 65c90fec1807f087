//! The provider's monitoring pushes measurements here with Prometheus
//! remote-write, authenticated with an integration token.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;

use super::auth::integration;
use crate::http::ApiError;
use crate::http::problem::Problem;
use crate::services::metrics::intake::{self, RemoteWriteOutcome};
use crate::services::metrics::remote_write;
use crate::services::metrics::source::MeasurementSource;
use crate::state::AppState;

/// Receive Prometheus remote-write.
#[utoipa::path(post, path = "/ops/v1/metrics/write", operation_id = "receive_remote_write", tag = "Monitoring",
    security(("integrationToken" = [])),
    description = "Prometheus remote-write 1.0 (a snappy-compressed protobuf `prometheus.WriteRequest`), from Prometheus, Grafana Alloy or vmagent: \
point a `remote_write` here with `authorization.credentials` set to an integration token. A series is kept when its name is mapped to a measurement \
(`metrics.series`) and its `service_id` label (configurable: `metrics.service_label`) names a service; other samples are counted by reason \
(`oneportal_metric_samples_total` on `/metrics`) and dropped, and the answer says how many. Samples are stored before the answer, and a resent sample is stored once.",
    request_body(content = inline(crate::documents::BinaryFile), content_type = "application/x-protobuf", description = "Snappy (block format) compressed `prometheus.WriteRequest`; header `Content-Encoding: snappy`"),
    responses((status = 200, body = RemoteWriteOutcome, description = "Stored; what was dropped and why"),
        (status = 400, description = "Not snappy-compressed protobuf, or too large once uncompressed", body = Problem),
        (status = 401, description = "No integration token, or not a live one", body = Problem),
        (status = 409, description = "This OnePortal reads measurements from the provider's Prometheus (`metrics.source = \"prometheus\"`) and stores none", body = Problem),
        (status = 413, description = "More than 8 MiB compressed", body = Problem),
        (status = 415, description = "Remote-write 2.0, or another encoding", body = Problem)))]
pub async fn receive_remote_write(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<RemoteWriteOutcome>, ApiError> {
    let token = integration(&state, &headers, None).await?;
    if !MeasurementSource::of(&state).stores() {
        return Err(ApiError::conflict(
            "metrics_not_stored",
            "this OnePortal reads measurements from the provider's Prometheus (metrics.source = \"prometheus\") and stores none; remote-write to that Prometheus instead",
        ));
    }
    let request = remote_write::decode(&headers, &body)?;
    Ok(Json(intake::accept(&state, &token, request).await?))
}
