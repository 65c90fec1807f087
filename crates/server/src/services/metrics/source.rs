//! Where a service's measurements are read from: OnePortal's own database
//! (pushed with remote-write and rolled up) or the provider's Prometheus. The
//! chart, the exposition and the organization view ask here, and combine the
//! answer by the same rules whichever is configured.

use oneportal_domain::metrics::{Measurement, Resolution, SeriesKind, Window};
use oneportal_store::catalog::ServiceRow;
use oneportal_store::metrics::{self as store, BusyRow, LatestRow, PointRow};
use oneportal_store::{Db, Exec, StoreError};

use super::prometheus::{MAX_POINTS_PER_QUERY, PrometheusSource};
use crate::http::ApiError;
use crate::http::prometheus_api::SourceUnavailable;
use crate::state::AppState;

/// The configured source of measurements, for one request.
pub enum MeasurementSource<'a> {
    Embedded,
    Prometheus(PrometheusSource<'a>),
}

/// A read that failed: the database, or the provider's Prometheus.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Source(#[from] SourceUnavailable),
}

impl From<ReadError> for ApiError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::Store(e) => e.into(),
            ReadError::Source(e) => {
                tracing::warn!(error = %e, "metrics source unavailable");
                ApiError::BadGateway {
                    code: "metrics_source_unavailable",
                    detail:
                        "the provider's measurements could not be read just now; retry in a minute"
                            .into(),
                }
            }
        }
    }
}

impl<'a> MeasurementSource<'a> {
    /// Where this server reads measurements (`metrics.source`).
    pub fn of(state: &'a AppState) -> MeasurementSource<'a> {
        match &state.prometheus_api {
            Some(api) => {
                MeasurementSource::Prometheus(PrometheusSource::new(api, &state.config.metrics))
            }
            None => MeasurementSource::Embedded,
        }
    }

    /// Whether pushed measurements are stored here (and rolled up, and kept).
    pub fn stores(&self) -> bool {
        matches!(self, MeasurementSource::Embedded)
    }

    /// One service's points of one measurement over `span`, a row per series and step.
    pub async fn points(
        &self,
        db: &Db,
        service: &ServiceRow,
        measurement: Measurement,
        resolution: Resolution,
        span: (i64, i64, i64),
    ) -> Result<Vec<PointRow>, ReadError> {
        Ok(match self {
            MeasurementSource::Embedded => {
                store::points(db, service.id, measurement, resolution, span).await?
            }
            MeasurementSource::Prometheus(source) => {
                source.points(service.id, measurement, span).await?
            }
        })
    }

    /// The width of the averages a window's 95th percentile and peak are of:
    /// five minutes where they are at hand, hours beyond.
    pub fn summary_width(&self, window: &Window, now: i64) -> (Resolution, i64) {
        let five_minutes = Resolution::FiveMinutes.width_ms();
        let fine_enough = match self {
            MeasurementSource::Embedded => {
                window.resolution == Resolution::Raw
                    || window.from_ms >= now - Resolution::FiveMinutes.kept_ms()
            }
            MeasurementSource::Prometheus(_) => {
                (window.to_ms - window.from_ms) / five_minutes <= MAX_POINTS_PER_QUERY
            }
        };
        match (fine_enough, window.resolution) {
            (true, Resolution::Raw) => (Resolution::Raw, five_minutes),
            (true, _) => (Resolution::FiveMinutes, five_minutes),
            (false, _) => (Resolution::Hour, Resolution::Hour.width_ms()),
        }
    }

    /// The latest value of each series of `services`, in OnePortal's units.
    pub async fn latest(
        &self,
        db: &impl Exec,
        org_id: i64,
        services: &[ServiceRow],
        since: i64,
    ) -> Result<Vec<(i64, Measurement, f64)>, ReadError> {
        Ok(match self {
            MeasurementSource::Embedded => store::latest(db, org_id, since)
                .await?
                .iter()
                .filter_map(|row| value_of(row).map(|v| (row.service_id, row.measurement, v)))
                .collect(),
            MeasurementSource::Prometheus(source) => {
                let ids: Vec<i64> = services.iter().map(|s| s.id).collect();
                source.latest(&ids).await?
            }
        })
    }

    /// Each of `services`' traffic since `since`: its average and busiest hour.
    pub async fn busiest_hours(
        &self,
        db: &impl Exec,
        org_id: i64,
        services: &[ServiceRow],
        (since, now): (i64, i64),
    ) -> Result<Vec<BusyRow>, ReadError> {
        Ok(match self {
            MeasurementSource::Embedded => store::traffic_by_service(db, org_id, since).await?,
            MeasurementSource::Prometheus(source) => {
                let ids: Vec<i64> = services.iter().map(|s| s.id).collect();
                source.busiest_hours(&ids, since, now).await?
            }
        })
    }
}

/// A gauge's newest value, or a counter's rate between its two newest samples.
fn value_of(row: &LatestRow) -> Option<f64> {
    match row.kind {
        SeriesKind::Gauge => Some(row.value),
        SeriesKind::Counter => {
            let (prev_at, prev_value) = (row.prev_at?, row.prev_value?);
            let increase = if row.value >= prev_value {
                row.value - prev_value
            } else {
                row.value
            };
            (row.at > prev_at).then(|| increase * 1000.0 / (row.at - prev_at) as f64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_reads_as_its_rate_through_a_reset() {
        let row = |value, prev_value| LatestRow {
            service_id: 1,
            measurement: Measurement::TrafficIn,
            kind: SeriesKind::Counter,
            at: 60_000,
            value,
            prev_at: Some(0),
            prev_value: Some(prev_value),
        };
        assert_eq!(value_of(&row(480_000.0, 0.0)), Some(8000.0));
        assert_eq!(value_of(&row(480_000.0, 900_000.0)), Some(8000.0));
    }
}
