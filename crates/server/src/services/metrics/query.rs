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
    // Utilization is drawn from the traffic it scales.
    let measured = match chart {
        Chart::Utilization => Chart::Traffic,
        other => other,
    };
    // Each series is its own read: side by side, as the server has them at hand.
    let lines = measured
        .series()
        .iter()
        .map(|&(measurement, name)| line(source, db, service, measurement, name, window));
    let lines = futures_util::future::try_join_all(lines).await?;
    Ok(match chart {
        Chart::Utilization => utilization(service, lines),
        _ => lines,
    })
}

/// Utilization is traffic against the contracted bandwidth: the traffic chart's
/// lines scaled (every figure of a line scales alike, its percentile too), so a
/// page that draws both reads the traffic once.
pub fn utilization(service: &ServiceRow, traffic: Vec<Line>) -> Vec<Line> {
    let scale_of = |name: &str| {
        Chart::Utilization
            .series()
            .iter()
            .find(|(_, n)| *n == name)
            .and_then(|(measurement, _)| utilization_scale(service, *measurement))
    };
    traffic
        .into_iter()
        .filter_map(|line| {
            let scale = scale_of(line.name)?;
            Some(Line {
                name: line.name,
                points: line
                    .points
                    .into_iter()
                    .map(|p| Point {
                        at: p.at,
                        average: p.average * scale,
                        min: p.min * scale,
                        max: p.max * scale,
                    })
                    .collect(),
                p95: line.p95.map(|v| v * scale),
                peak: line.peak.map(|(at, v)| (at, v * scale)),
            })
        })
        .collect()
}

/// One line of a chart: its points, and the 95th percentile and peak of its
/// five-minute averages.
async fn line(
    source: &MeasurementSource<'_>,
    db: &Db,
    service: &ServiceRow,
    measurement: Measurement,
    name: &'static str,
    window: Window,
) -> Result<Line, ReadError> {
    // Billing percentiles are of five-minute averages, while those are at hand
    // (from raw samples where the window reads them: the last minutes are not rolled up yet).
    let (summary_resolution, width) = source.summary_width(&window, now_ms());
    let summary_rows = source
        .points(
            db,
            service,
            measurement,
            summary_resolution,
            (window.from_ms, window.to_ms, width),
        )
        .await?;
    let averages = combine(measurement, &summary_rows);
    // Where the steps are whole numbers of the percentile's points, they are
    // made of them: one read serves both.
    let rows = if summary_resolution != Resolution::Raw && window.step_ms % width == 0 {
        store::regroup(summary_rows, window.step_ms)
    } else {
        let span = (window.from_ms, window.to_ms, window.step_ms);
        source
            .points(db, service, measurement, window.resolution, span)
            .await?
    };
    let points = combine(measurement, &rows);
    let values: Vec<f64> = averages.iter().map(|p| p.average).collect();
    let peak = averages
        .iter()
        .max_by(|a, b| a.average.total_cmp(&b.average))
        .map(|p| (p.at, p.average));
    Ok(Line {
        name,
        points,
        p95: percentile(&values, 0.95),
        peak,
    })
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
fn combine(measurement: Measurement, rows: &[PointRow]) -> Vec<Point> {
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
                average,
                min,
                max,
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
        let traffic = combine(Measurement::TrafficIn, &rows);
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
        let latency = combine(Measurement::Latency, &rows);
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

    fn service(downstream_mbps: i64, upstream_mbps: i64) -> ServiceRow {
        ServiceRow {
            id: 1,
            org_id: 1,
            service_name: "Internet".into(),
            service_type: oneportal_domain::catalog::ServiceType::GlobalInternet,
            status: oneportal_domain::catalog::ServiceStatus::RFS,
            health: oneportal_domain::monitoring::ServiceHealth::Operational,
            contract_account_id: 1,
            delivery_account_id: 1,
            site_id: 1,
            downstream_mbps,
            upstream_mbps,
            planned_delivery_date: None,
            ready_for_service_date: None,
            technical_note: String::new(),
            technical_details: "{}".into(),
            customer_reference: String::new(),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn traffic_line(name: &'static str, bits: f64) -> Line {
        Line {
            name,
            points: vec![Point {
                at: 0,
                average: bits,
                min: bits / 2.0,
                max: bits * 2.0,
            }],
            p95: Some(bits * 1.5),
            peak: Some((300_000, bits * 2.0)),
        }
    }

    #[test]
    fn utilization_is_each_directions_traffic_against_its_bandwidth() {
        // 10 Mbit/s each way on 100 down and 50 up: 10 % in, 20 % out, every figure alike.
        let traffic = vec![traffic_line("in", 10e6), traffic_line("out", 10e6)];
        let lines = utilization(&service(100, 50), traffic.clone());
        let round = |v: f64| (v * 1e6).round() / 1e6;
        let figures = |line: &Line| {
            let p = &line.points[0];
            let peak = line.peak.map(|(at, v)| (at, round(v)));
            let p95 = line.p95.map(round);
            (
                line.name,
                round(p.average),
                round(p.min),
                round(p.max),
                p95,
                peak,
            )
        };
        assert_eq!(
            lines.iter().map(figures).collect::<Vec<_>>(),
            [
                ("in", 10.0, 5.0, 20.0, Some(15.0), Some((300_000, 20.0))),
                ("out", 20.0, 10.0, 40.0, Some(30.0), Some((300_000, 40.0))),
            ]
        );
        // No upstream bandwidth on record: no line to draw against it.
        let lines = utilization(&service(100, 0), traffic);
        assert_eq!(lines.iter().map(|l| l.name).collect::<Vec<_>>(), ["in"]);
    }
}
