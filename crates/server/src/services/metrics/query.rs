//! A service's chart over a window: the points of each series, combined across
//! the pushed series that measure the same thing, with the 95th percentile and
//! the peak of its five-minute averages.

use oneportal_domain::metrics::{Chart, Line, Measurement, Point, Resolution, Window, percentile};
use oneportal_store::catalog::ServiceRow;
use oneportal_store::metrics::{self as store, PointRow};
use oneportal_store::{Db, now_ms};

use super::source::{MeasurementSource, ReadError};

/// Reads a chart of `service` over `window` from `source`.
pub async fn chart(
    source: &MeasurementSource<'_>,
    db: &Db,
    service: &ServiceRow,
    chart: Chart,
    window: Window,
) -> Result<Vec<Line>, ReadError> {
    // Billing percentiles are of five-minute averages, while those are at hand
    // (from raw samples where the window reads them: the last minutes are not rolled up yet).
    let (summary_resolution, width) = source.summary_width(&window, now_ms());
    let mut lines = Vec::new();
    for (measurement, name) in chart.series() {
        let scale = match chart {
            Chart::Utilization => match utilization_scale(service, *measurement) {
                Some(scale) => scale,
                None => continue,
            },
            _ => 1.0,
        };
        let summary_rows = source
            .points(
                db,
                service,
                *measurement,
                summary_resolution,
                (window.from_ms, window.to_ms, width),
            )
            .await?;
        let averages = combine(*measurement, &summary_rows, scale);
        // Where the steps are whole numbers of the percentile's points, they are
        // made of them: one read serves both.
        let rows = if summary_resolution != Resolution::Raw && window.step_ms % width == 0 {
            store::regroup(summary_rows, window.step_ms)
        } else {
            let span = (window.from_ms, window.to_ms, window.step_ms);
            source
                .points(db, service, *measurement, window.resolution, span)
                .await?
        };
        let points = combine(*measurement, &rows, scale);
        let values: Vec<f64> = averages.iter().map(|p| p.average).collect();
        let peak = averages
            .iter()
            .max_by(|a, b| a.average.total_cmp(&b.average))
            .map(|p| (p.at, p.average));
        lines.push(Line {
            name,
            points,
            p95: percentile(&values, 0.95),
            peak,
        });
    }
    Ok(lines)
}

/// Percent of the contracted bandwidth per bit/s: in against downstream, out
/// against upstream; `None` where the service has no bandwidth to compare with.
fn utilization_scale(service: &ServiceRow, measurement: Measurement) -> Option<f64> {
    let mbps = match measurement {
        Measurement::TrafficIn => service.downstream_mbps,
        Measurement::TrafficOut => service.upstream_mbps,
        _ => return None,
    };
    (mbps > 0).then(|| 100.0 / (mbps as f64 * 1_000_000.0))
}

/// One point per step from the points of each pushed series: traffic adds up
/// across series, other measurements average (weighted by what each point holds).
fn combine(measurement: Measurement, rows: &[PointRow], scale: f64) -> Vec<Point> {
    // A month of five-minute points is thousands of steps: sorted by step and
    // taken a step at a time rather than collected into a map of lists.
    let mut sorted: Vec<&PointRow> = rows.iter().filter(|r| r.weight > 0.0).collect();
    sorted.sort_by_key(|r| r.bucket);
    sorted
        .chunk_by(|a, b| a.bucket == b.bucket)
        .map(|rows| {
            let at = rows[0].bucket;
            let (average, min, max) = if measurement.adds_up() {
                (
                    rows.iter().map(|r| r.average()).sum::<f64>(),
                    rows.iter().map(|r| r.min_value).sum::<f64>(),
                    rows.iter().map(|r| r.max_value).sum::<f64>(),
                )
            } else {
                let weight: f64 = rows.iter().map(|r| r.weight).sum();
                (
                    rows.iter().map(|r| r.sum_value).sum::<f64>() / weight,
                    rows.iter()
                        .map(|r| r.min_value)
                        .fold(f64::INFINITY, f64::min),
                    rows.iter()
                        .map(|r| r.max_value)
                        .fold(f64::NEG_INFINITY, f64::max),
                )
            };
            Point {
                at,
                average: average * scale,
                min: min * scale,
                max: max * scale,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(series_id: i64, bucket: i64, min: f64, max: f64, sum: f64, weight: f64) -> PointRow {
        PointRow {
            series_id,
            bucket,
            min_value: min,
            max_value: max,
            sum_value: sum,
            weight,
        }
    }

    #[test]
    fn traffic_of_two_links_adds_up_and_latency_of_two_probes_averages() {
        // Two members of a link: 100 and 300 bit/s on average.
        let rows = [
            row(1, 0, 50.0, 150.0, 30_000.0, 300.0),
            row(2, 0, 200.0, 400.0, 90_000.0, 300.0),
        ];
        let traffic = combine(Measurement::TrafficIn, &rows, 1.0);
        assert_eq!(
            traffic,
            vec![Point {
                at: 0,
                average: 400.0,
                min: 250.0,
                max: 550.0
            }]
        );
        // Two probes, 10 samples of 20 ms and 30 samples of 40 ms.
        let rows = [
            row(1, 0, 20.0, 20.0, 200.0, 10.0),
            row(2, 0, 40.0, 40.0, 1200.0, 30.0),
        ];
        let latency = combine(Measurement::Latency, &rows, 1.0);
        assert_eq!(
            latency,
            vec![Point {
                at: 0,
                average: 35.0,
                min: 20.0,
                max: 40.0
            }]
        );
    }
}
