//! Pushed series become stored samples: each series is mapped to a service's
//! measurement by its name and the service label, and what cannot be mapped is
//! counted by reason and dropped. A push is answered once its samples are
//! committed, so an acknowledged sample survives a crash.

use std::collections::BTreeMap;

use oneportal_domain::ids::IdKind;
use oneportal_domain::metrics::Resolution;
use oneportal_store::metrics::{self as store, NewSeries, Sample, SampleBatch, SeriesRow};
use oneportal_store::monitoring::IntegrationTokenRow;
use oneportal_store::{catalog, now_ms};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::remote_write::{TimeSeries, WriteRequest};
use crate::http::ApiError;
use crate::state::AppState;

/// How far ahead of OnePortal's clock a sample may be (a sender's clock drifts).
const FUTURE_TOLERANCE_MS: i64 = 10 * 60_000;

/// Why pushed samples were not stored; each is counted on `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// The series has no `__name__`.
    NoMetricName,
    /// Its name is not in `metrics.series`: OnePortal does not keep it.
    UnmappedMetric,
    /// It has no service label (`metrics.service_label`).
    NoServiceLabel,
    /// Its service label names no service.
    UnknownService,
    /// Older than raw samples are kept (48 hours).
    TooOld,
    /// More than ten minutes ahead of OnePortal's clock.
    InTheFuture,
    /// Infinite or not a number (Prometheus's staleness markers are skipped, not counted).
    NotFinite,
}

impl Rejection {
    const fn as_str(self) -> &'static str {
        match self {
            Rejection::NoMetricName => "no_metric_name",
            Rejection::UnmappedMetric => "unmapped_metric",
            Rejection::NoServiceLabel => "no_service_label",
            Rejection::UnknownService => "unknown_service",
            Rejection::TooOld => "too_old",
            Rejection::InTheFuture => "in_the_future",
            Rejection::NotFinite => "not_finite",
        }
    }
}

/// What became of a push.
#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemoteWriteOutcome {
    /// Samples stored (or already stored: a resent sample is not stored twice).
    pub samples_accepted: u64,
    /// Samples dropped, by reason.
    pub samples_rejected: BTreeMap<Rejection, u64>,
    /// Up to ten service ids the push named that are no service, to find the labelling mistake.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_services: Vec<String>,
}

impl RemoteWriteOutcome {
    fn reject(&mut self, reason: Rejection, samples: usize) {
        if samples > 0 {
            *self.samples_rejected.entry(reason).or_default() += samples as u64;
        }
    }
}

/// Stores what a push carries that OnePortal keeps.
pub async fn accept(
    state: &AppState,
    token: &IntegrationTokenRow,
    request: WriteRequest,
) -> Result<RemoteWriteOutcome, ApiError> {
    let now = now_ms();
    let oldest = now - Resolution::Raw.kept_ms();
    let mut outcome = RemoteWriteOutcome::default();
    let mut samples: Vec<Sample> = Vec::new();
    // Everything but the insert happens before the transaction: on SQLite it
    // holds the one write lock, which every push waits for.
    for series in &request.timeseries {
        let Some(row) = series_of(state, token, series, now, &mut outcome).await? else {
            continue;
        };
        let scale = state
            .config
            .metrics
            .mapping(series.label("__name__").unwrap_or_default())
            .map_or(1.0, |m| m.scale);
        for sample in &series.samples {
            if sample.value.is_nan() && sample.value.to_bits() == STALE_NAN {
                continue;
            }
            let rejection = if !sample.value.is_finite() {
                Some(Rejection::NotFinite)
            } else if sample.timestamp < oldest {
                Some(Rejection::TooOld)
            } else if sample.timestamp > now + FUTURE_TOLERANCE_MS {
                Some(Rejection::InTheFuture)
            } else {
                None
            };
            match rejection {
                Some(reason) => outcome.reject(reason, 1),
                None => samples.push((row.id, sample.timestamp, sample.value * scale)),
            }
        }
    }
    let batch = SampleBatch::new(&samples);
    let earliest = samples.iter().map(|s| s.1).min();
    let tx = state.db.begin().await?;
    store::insert_samples(&tx, &batch).await?;
    if let Some(earliest) = earliest
        && earliest < state.metric_series.rolled_up_to()
    {
        store::redo_from(&tx, earliest).await?;
    }
    tx.commit().await?;
    outcome.samples_accepted = samples.len() as u64;
    record(state, token, &outcome, samples.iter().map(|s| s.1).max());
    Ok(outcome)
}

/// Prometheus marks a series gone with this NaN (`value.StaleNaN`).
const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

/// The stored series a pushed one is, made on first sight (in a transaction of
/// its own, so that a push of known series writes once); `None` (counted) when
/// OnePortal does not keep it.
async fn series_of(
    state: &AppState,
    token: &IntegrationTokenRow,
    series: &TimeSeries,
    now: i64,
    outcome: &mut RemoteWriteOutcome,
) -> Result<Option<SeriesRow>, ApiError> {
    let count = series.samples.len();
    let labels_hash = labels_hash(series);
    if let Some(row) = state.metric_series.series(&labels_hash) {
        return Ok(Some(row));
    }
    let config = &state.config.metrics;
    let Some(name) = series.label("__name__") else {
        outcome.reject(Rejection::NoMetricName, count);
        return Ok(None);
    };
    let Some(mapping) = config.mapping(name) else {
        outcome.reject(Rejection::UnmappedMetric, count);
        return Ok(None);
    };
    let Some(service_label) = series.label(&config.service_label) else {
        outcome.reject(Rejection::NoServiceLabel, count);
        return Ok(None);
    };
    let unknown = |outcome: &mut RemoteWriteOutcome| {
        outcome.reject(Rejection::UnknownService, count);
        if outcome.unknown_services.len() < 10
            && !outcome.unknown_services.iter().any(|s| s == service_label)
        {
            outcome
                .unknown_services
                .push(service_label.chars().take(100).collect());
        }
    };
    if state.metric_series.known_unknown(service_label, now) {
        unknown(outcome);
        return Ok(None);
    }
    let service = match IdKind::Service.parse(service_label) {
        Some(id) => catalog::find_service_anywhere(&state.db, id).await?,
        None => None,
    };
    let Some(service) = service else {
        state.metric_series.remember_unknown(service_label, now);
        unknown(outcome);
        return Ok(None);
    };
    let labels: BTreeMap<&str, &str> = series
        .labels
        .iter()
        .map(|l| (l.name.as_str(), l.value.as_str()))
        .collect();
    let labels = serde_json::to_string(&labels).unwrap_or_default();
    let tx = state.db.begin().await?;
    let row = store::find_or_insert_series(
        &tx,
        NewSeries {
            labels_hash: &labels_hash,
            org_id: service.org_id,
            service_id: service.id,
            measurement: mapping.measurement,
            kind: mapping.kind,
            labels: &labels,
            token_id: token.id,
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    state.metric_series.remember(labels_hash, row.clone());
    Ok(Some(row))
}

/// A series' identity: its labels, sorted by name, hashed.
fn labels_hash(series: &TimeSeries) -> String {
    let mut labels: Vec<(&str, &str)> = series
        .labels
        .iter()
        .map(|l| (l.name.as_str(), l.value.as_str()))
        .collect();
    labels.sort_unstable();
    let mut hasher = Sha256::new();
    for (name, value) in labels {
        hasher.update(name.as_bytes());
        hasher.update([0xff]);
        hasher.update(value.as_bytes());
        hasher.update([0xfe]);
    }
    hex::encode(hasher.finalize())
}

/// The pipeline's health on `/metrics`: samples by outcome, and the newest
/// sample per source (its age is `time() - oneportal_metrics_newest_sample_timestamp_seconds`).
fn record(
    state: &AppState,
    token: &IntegrationTokenRow,
    outcome: &RemoteWriteOutcome,
    newest: Option<i64>,
) {
    metrics::counter!("oneportal_metric_samples_total", "outcome" => "accepted")
        .increment(outcome.samples_accepted);
    state
        .metric_intake
        .add("accepted", outcome.samples_accepted);
    for (reason, count) in &outcome.samples_rejected {
        metrics::counter!("oneportal_metric_samples_total", "outcome" => reason.as_str())
            .increment(*count);
        state.metric_intake.add(reason.as_str(), *count);
    }
    state.metric_intake.saw_unknown(&outcome.unknown_services);
    if let Some(newest) = newest {
        metrics::gauge!("oneportal_metrics_newest_sample_timestamp_seconds", "source" => token.name.clone())
            .set(newest as f64 / 1000.0);
    }
}

#[cfg(test)]
mod tests {
    use super::super::remote_write::Label;
    use super::*;

    #[test]
    fn a_series_is_the_same_whatever_order_its_labels_come_in() {
        let label = |name: &str, value: &str| Label {
            name: name.into(),
            value: value.into(),
        };
        let one = TimeSeries {
            labels: vec![label("__name__", "up"), label("service_id", "SVC-000001")],
            samples: vec![],
        };
        let other = TimeSeries {
            labels: vec![label("service_id", "SVC-000001"), label("__name__", "up")],
            samples: vec![],
        };
        assert_eq!(labels_hash(&one), labels_hash(&other));
        // Label boundaries count: a=bc is not ab=c.
        let shifted = TimeSeries {
            labels: vec![label("__name__", "u"), label("pservice_id", "SVC-000001")],
            samples: vec![],
        };
        assert_ne!(labels_hash(&one), labels_hash(&shifted));
    }

    #[test]
    fn the_staleness_marker_is_the_nan_prometheus_sends() {
        assert!(f64::from_bits(STALE_NAN).is_nan());
    }
}
