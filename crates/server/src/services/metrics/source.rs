//! Where a service's measurements are read from: OnePortal's own database
//! (pushed with remote-write and rolled up) or the provider's Prometheus. The
//! chart, the exposition and the organization view ask here, and combine the
//! answer by the same rules whichever is configured.

use oneportal_domain::metrics::{Measurement, Resolution, Window};
use oneportal_store::catalog::ServiceRow;
use oneportal_store::metrics::{self as store, BusyRow, PointRow};
use oneportal_store::{Db, Exec, StoreError};

use super::prometheus::{MAX_POINTS_PER_QUERY, PrometheusSource, SourceUnavailable};
use crate::config::{MetricsConfig, MetricsSourceKind};
use crate::http::ApiError;

/// The configured source of measurements.
pub enum MeasurementSource {
    Embedded,
    Prometheus(Box<PrometheusSource>),
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

impl MeasurementSource {
    pub fn new(config: &MetricsConfig) -> Result<MeasurementSource, String> {
        Ok(match config.source {
            MetricsSourceKind::Embedded => MeasurementSource::Embedded,
            MetricsSourceKind::Prometheus => {
                MeasurementSource::Prometheus(Box::new(PrometheusSource::new(config)?))
            }
        })
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
                .filter_map(|row| {
                    super::exposition::value_of(row).map(|v| (row.service_id, row.measurement, v))
                })
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
