//! Thirteen months of plausible measurements for the demo's first services,
//! so the Network performance pages are alive on first start: traffic with
//! daily and weekly cycles and a year's growth, steady latency and loss, and
//! the incidents the demo's cases tell of (Madrid down for two and a half hours
//! six days ago; Warsaw congested two mornings ago). Written straight into each
//! resolution as the rollup would have left it, in the background: the server
//! answers while the history fills.

use oneportal_domain::metrics::{Measurement, Resolution, SeriesKind};
use oneportal_store::metrics::{self as store, NewSeries, PointRow, Sample, SeriesRow};
use oneportal_store::users::StaffRow;
use oneportal_store::{Db, StoreError, catalog, now_ms};

use crate::auth::digest::sha256_hex;
use crate::services::monitoring::tokens;
use crate::state::AppState;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Rows per statement.
const BATCH: usize = 5_000;

/// The services that get a history: the demo's first four (the incidents' services).
const SERVICES: i64 = 4;

/// When a demo incident made a service's measurements bad.
struct Incident {
    service: i64,
    from: i64,
    to: i64,
    down: bool,
}

/// A deterministic wobble in [-1, 1] from a time and a seed (no random state to keep).
fn wobble(at: i64, seed: u64) -> f64 {
    let mut x = (at as u64 / 1000) ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x % 20_001) as f64 / 10_000.0 - 1.0
}

/// The share of the bandwidth in use at `at`: busy on weekday afternoons,
/// quiet at night and at weekends, a fifth more by the end of the year.
fn load(at: i64, now: i64, seed: u64) -> f64 {
    let hour = (at.rem_euclid(DAY) / HOUR) as f64 + (at.rem_euclid(HOUR) as f64 / HOUR as f64);
    let daily = 0.5 - 0.5 * ((hour - 3.0) / 24.0 * std::f64::consts::TAU).cos();
    // 1970-01-01 was a Thursday: days 2 and 3 of each week are the weekend.
    let weekend = matches!((at.div_euclid(DAY)) % 7, 2 | 3);
    let weekly = if weekend { 0.45 } else { 1.0 };
    let growth = 1.0 - 0.2 * ((now - at) as f64 / (396 * DAY) as f64);
    ((0.08 + 0.55 * daily * weekly) * growth * (1.0 + 0.12 * wobble(at, seed))).clamp(0.0, 1.0)
}

/// A measurement's value at `at`, in OnePortal's unit (traffic: bit/s).
fn value(
    measurement: Measurement,
    service: &catalog::ServiceRow,
    at: i64,
    now: i64,
    incidents: &[Incident],
) -> Option<f64> {
    let seed = service.id as u64 * 31 + measurement as u64;
    let hit = incidents
        .iter()
        .find(|i| i.service == service.id && (i.from..i.to).contains(&at));
    let bandwidth = |mbps: i64| (mbps.max(100) as f64) * 1e6;
    Some(match (measurement, hit) {
        (Measurement::TrafficIn | Measurement::TrafficOut, Some(i)) if i.down => 0.0,
        (Measurement::Latency | Measurement::Jitter, Some(i)) if i.down => return None,
        (Measurement::Availability, Some(i)) if i.down => 0.0,
        (Measurement::PacketLoss, Some(i)) if i.down => 100.0,
        (Measurement::TrafficIn, hit) => {
            let full = if hit.is_some() {
                0.97
            } else {
                load(at, now, seed)
            };
            bandwidth(service.downstream_mbps) * full
        }
        (Measurement::TrafficOut, hit) => {
            let full = if hit.is_some() {
                0.5
            } else {
                load(at, now, seed) * 0.6
            };
            bandwidth(service.upstream_mbps) * full
        }
        (Measurement::Latency, hit) => {
            let base = 18.0 + 6.0 * load(at, now, seed) + 0.8 * wobble(at, seed);
            if hit.is_some() { base * 4.0 } else { base }
        }
        (Measurement::Jitter, hit) => {
            let base = 1.2 + 0.9 * load(at, now, seed) + 0.3 * wobble(at, seed);
            if hit.is_some() {
                base * 6.0
            } else {
                base.max(0.1)
            }
        }
        (Measurement::PacketLoss, hit) => {
            if hit.is_some() {
                2.5 + wobble(at, seed)
            } else {
                (0.02 + 0.02 * wobble(at, seed)).max(0.0)
            }
        }
        (Measurement::Availability, _) => 100.0,
    })
}

/// Traffic is pushed as counters, the rest as gauges.
pub const fn kind(measurement: Measurement) -> SeriesKind {
    if measurement.adds_up() {
        SeriesKind::Counter
    } else {
        SeriesKind::Gauge
    }
}

/// A measurement's value at `at` on an ordinary day (no incident), for the
/// benchmark's histories.
pub fn typical_value(
    measurement: Measurement,
    service: &catalog::ServiceRow,
    at: i64,
    now: i64,
) -> f64 {
    value(measurement, service, at, now, &[]).unwrap_or_default()
}

/// A point of `width` at `bucket` as the rollup would store it: for a counter
/// the increase over the seconds, for a gauge one sample a minute.
pub fn point(
    series_id: i64,
    bucket: i64,
    width: i64,
    measurement: Measurement,
    value: f64,
) -> PointRow {
    let seconds = (width / 1000) as f64;
    let (sum, weight) = match kind(measurement) {
        SeriesKind::Counter => (value * seconds, seconds),
        SeriesKind::Gauge => {
            let samples = (width / MINUTE) as f64;
            (value * samples, samples)
        }
    };
    PointRow {
        series_id,
        bucket,
        min_value: value * 0.9,
        max_value: value * 1.1,
        sum_value: sum,
        weight,
    }
}

/// Fills the history in the background; a failure is logged, never fatal to the demo.
pub fn spawn(state: AppState, staff: StaffRow, first_service: i64, incident_at: i64) {
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        match seed(&state, &staff, first_service, incident_at).await {
            Ok(rows) => tracing::info!(
                rows,
                seconds = started.elapsed().as_secs_f64(),
                "demo measurements written"
            ),
            Err(error) => tracing::warn!(%error, "could not write the demo measurements"),
        }
    });
}

async fn seed(
    state: &AppState,
    staff: &StaffRow,
    first_service: i64,
    madrid_outage_at: i64,
) -> anyhow::Result<usize> {
    let issued = tokens::issue(state, staff, "Demo Prometheus")
        .await
        .map_err(|e| anyhow::anyhow!("demo integration token: {e}"))?;
    let token = oneportal_store::monitoring::find_live_token(&state.db, &sha256_hex(&issued.token))
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo integration token is missing"))?;
    let now = now_ms();
    let two_days_ago_morning = now - now.rem_euclid(DAY) - 2 * DAY + 6 * HOUR;
    let incidents = [
        Incident {
            service: first_service,
            from: madrid_outage_at,
            to: madrid_outage_at + 9_000_000,
            down: true,
        },
        Incident {
            service: first_service + 1,
            from: two_days_ago_morning,
            to: two_days_ago_morning + 5 * HOUR,
            down: false,
        },
    ];
    let mut rows = 0;
    for service_id in first_service..first_service + SERVICES {
        let Some(service) = catalog::find_service_anywhere(&state.db, service_id).await? else {
            continue;
        };
        for measurement in Measurement::ALL {
            rows += history(state, &service, measurement, token.id, now, &incidents).await?;
        }
    }
    Ok(rows)
}

/// The series a made-up history of one measurement of `service` is written to,
/// as if `token_id` had pushed it.
pub async fn series(
    db: &Db,
    service: &catalog::ServiceRow,
    measurement: Measurement,
    token_id: i64,
    now: i64,
) -> Result<SeriesRow, StoreError> {
    let service_label = oneportal_domain::ids::IdKind::Service.format(service.id);
    let labels = format!(
        "{{\"__name__\":\"demo_{}\",\"service_id\":\"{service_label}\"}}",
        measurement.as_str()
    );
    store::find_or_insert_series(
        db,
        NewSeries {
            labels_hash: &sha256_hex(&labels),
            org_id: service.org_id,
            service_id: service.id,
            measurement,
            kind: kind(measurement),
            labels: &labels,
            token_id,
            at: now,
        },
    )
    .await
}

/// One series' thirteen months: hourly points, five-minute points for the last
/// 90 days, and a sample a minute for the last 48 hours.
async fn history(
    state: &AppState,
    service: &catalog::ServiceRow,
    measurement: Measurement,
    token_id: i64,
    now: i64,
    incidents: &[Incident],
) -> Result<usize, StoreError> {
    let series = series(&state.db, service, measurement, token_id, now).await?;
    let mut written = 0;
    for resolution in [Resolution::Hour, Resolution::FiveMinutes] {
        let width = resolution.width_ms();
        let kept = resolution.kept_ms();
        let first = now - kept + width - (now - kept).rem_euclid(width);
        // Up to the bucket in progress, which the rollup will write when it closes.
        let last = now - now.rem_euclid(width);
        let points: Vec<PointRow> = (0..)
            .map(|i| first + i * width)
            .take_while(|bucket| *bucket < last)
            .filter_map(|bucket| {
                value(measurement, service, bucket + width / 2, now, incidents)
                    .map(|v| point(series.id, bucket, width, measurement, v))
            })
            .collect();
        for chunk in points.chunks(BATCH) {
            let tx = state.db.begin().await?;
            store::write_points(&tx, resolution, chunk).await?;
            tx.commit().await?;
        }
        written += points.len();
    }
    // Raw samples: a counter accumulates what its rate carried each minute.
    let first = now - Resolution::Raw.kept_ms() + HOUR;
    let mut total = 0.0;
    let samples: Vec<Sample> = (0..)
        .map(|i| first - first.rem_euclid(MINUTE) + i * MINUTE)
        .take_while(|at| *at < now)
        .filter_map(|at| {
            let v = value(measurement, service, at, now, incidents)?;
            Some(match kind(measurement) {
                SeriesKind::Counter => {
                    total += v * 60.0;
                    (series.id, at, total)
                }
                SeriesKind::Gauge => (series.id, at, v),
            })
        })
        .collect();
    for chunk in samples.chunks(BATCH) {
        let batch = store::SampleBatch::new(chunk);
        let tx = state.db.begin().await?;
        store::insert_samples(&tx, &batch).await?;
        tx.commit().await?;
    }
    written += samples.len();
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_has_busy_afternoons_and_quiet_nights_and_stays_within_the_link() {
        let monday = 4 * DAY; // 1970-01-05
        let now = monday + 7 * DAY;
        let afternoon = load(monday + 15 * HOUR, now, 1);
        let night = load(monday + 3 * HOUR, now, 1);
        assert!(afternoon > 3.0 * night, "{afternoon} vs {night}");
        let saturday = monday - 2 * DAY;
        assert!(load(saturday + 15 * HOUR, now, 1) < afternoon);
        for at in (0..7 * DAY).step_by(HOUR as usize) {
            let l = load(at, now, 7);
            assert!((0.0..=1.0).contains(&l));
        }
    }
}
