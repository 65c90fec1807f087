//! Network performance (PRODUCT §9): the provider's monitoring pushes series
//! with Prometheus remote-write; OnePortal keeps what maps to a service's
//! measurement, counts the rest by reason, rolls samples up, and answers each
//! service's charts to those who may see the service.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use oneportal::services::metrics::remote_write::{Label, Sample, TimeSeries, WriteRequest, encode};
use oneportal_domain::PermissionSet;
use oneportal_store::{Exec, now_ms};
use serde_json::{Value, json};

use crate::catalog::seed;
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::monitoring::integration_token;

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;
/// Prometheus's staleness marker (`value.StaleNaN`).
const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

fn svc(id: i64) -> String {
    format!("SVC-{id:06}")
}

fn label(name: &str, value: &str) -> Label {
    Label {
        name: name.into(),
        value: value.into(),
    }
}

/// A series named `name` with `labels`, in the sorted order senders use.
fn series(name: &str, labels: &[(&str, &str)], samples: &[(i64, f64)]) -> TimeSeries {
    let mut labels: Vec<Label> = labels.iter().map(|(n, v)| label(n, v)).collect();
    labels.push(label("__name__", name));
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    TimeSeries {
        labels,
        samples: samples
            .iter()
            .map(|(timestamp, value)| Sample {
                value: *value,
                timestamp: *timestamp,
            })
            .collect(),
    }
}

async fn push_bytes(
    app: &TestApp,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut sent = reqwest::header::HeaderMap::new();
    for (name, value) in [
        ("content-encoding", "snappy"),
        ("content-type", "application/x-protobuf"),
        ("x-prometheus-remote-write-version", "0.1.0"),
    ]
    .iter()
    .chain(headers)
    {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap();
        sent.insert(name, value.parse().unwrap());
    }
    let mut request = app
        .http
        .post(app.at("/ops/v1/metrics/write"))
        .headers(sent)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn push(app: &TestApp, token: &str, timeseries: Vec<TimeSeries>) -> Value {
    let (status, outcome) =
        push_bytes(app, Some(token), &[], encode(&WriteRequest { timeseries })).await;
    assert_eq!(status, 200, "{outcome}");
    outcome
}

async fn chart(app: &TestApp, token: &str, service: &str, query: &str) -> Value {
    let response = app
        .get(&format!("/v2/services/{service}/metrics?{query}"), token)
        .await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn time(ms: i64) -> String {
    oneportal::http::time::rfc3339(ms)
}

fn averages(line: &Value) -> Vec<f64> {
    line["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["average"].as_f64().unwrap())
        .collect()
}

/// A server with a catalog (its first service named), an integration token
/// for monitoring, and a person who may see everything.
struct Monitored {
    app: TestApp,
    catalog: crate::catalog::Catalog,
    service: String,
    token: String,
    reader: crate::helpers::TestUser,
}

impl Monitored {
    async fn start() -> Monitored {
        let app = spawn_app().await;
        let catalog = seed(&app, app.org_id, 1).await;
        let service = svc(catalog.services[0]);
        let token = integration_token(&app).await;
        let reader = app.user(PermissionSet::all()).await;
        Monitored {
            app,
            catalog,
            service,
            token,
            reader,
        }
    }
}

async fn roll_up(app: &TestApp) {
    oneportal::services::metrics::rollup::run(&app.app.state)
        .await
        .unwrap();
}

#[tokio::test]
async fn pushed_series_are_kept_when_they_name_a_service_and_counted_by_reason_when_not() {
    let Monitored {
        app,
        service,
        token,
        reader,
        ..
    } = Monitored::start().await;
    let now = now_ms();
    // Both kept samples in one five minutes, the one before the current.
    let t = now - now % (5 * MINUTE) - 5 * MINUTE + 1000;
    let on = [("service_id", service.as_str())];
    let request = vec![
        // Kept: two samples; the staleness marker is skipped, not counted.
        series(
            "oneportal_service_latency_seconds",
            &on,
            &[
                (t, 0.012),
                (t + 15_000, 0.014),
                (t + 30_000, f64::from_bits(STALE_NAN)),
            ],
        ),
        series("node_cpu_seconds_total", &on, &[(t, 1.0)]),
        series(
            "probe_success",
            &[("instance", "pe1")],
            &[(t, 1.0), (t + 1, 1.0)],
        ),
        series(
            "probe_success",
            &[("service_id", "SVC-999999")],
            &[(t, 1.0)],
        ),
        series(
            "probe_success",
            &[("service_id", "not-a-service")],
            &[(t, 1.0)],
        ),
        series(
            "probe_success",
            &on,
            &[
                (now - 3 * DAY, 1.0),
                (now + 60 * MINUTE, 1.0),
                (t + 1, f64::INFINITY),
                (t, 1.0),
            ],
        ),
        TimeSeries {
            labels: vec![label("service_id", &service)],
            samples: vec![Sample {
                value: 1.0,
                timestamp: t,
            }],
        },
    ];
    let expected = json!({
        "samplesAccepted": 3,
        "samplesRejected": {"no_metric_name": 1, "unmapped_metric": 1, "no_service_label": 2,
            "unknown_service": 2, "too_old": 1, "in_the_future": 1, "not_finite": 1},
        "unknownServices": ["SVC-999999", "not-a-service"],
    });
    assert_eq!(push(&app, &token, request.clone()).await, expected);
    // A sender's retry resends the same samples: they are stored once.
    assert_eq!(push(&app, &token, request).await, expected);
    let (stored,): (i64,) = app
        .db()
        .fetch_one("SELECT COUNT(*) FROM metric_samples", vec![])
        .await
        .unwrap();
    assert_eq!(stored, 3);

    let latency = chart(
        &app,
        &reader.token,
        &service,
        &format!(
            "metric=latency&from={}&to={}&step=1s",
            time(t - 1000),
            time(t + 60_000)
        ),
    )
    .await;
    assert_eq!(latency["unit"], "ms");
    assert_eq!(latency["resolution"], "raw");
    let value = &latency["series"][0];
    assert_eq!(value["name"], "value");
    assert_eq!(averages(value), vec![12.0, 14.0]);
    assert_eq!(
        value["peak"]["average"], 13.0,
        "the five minutes' average: {latency}"
    );
    let availability = chart(&app, &reader.token, &service, "metric=availability").await;
    assert_eq!(averages(&availability["series"][0]), vec![100.0]);

    // Staff see the same health: the source and its series, series per
    // organization, the two pushes' samples by outcome and the unknown labels.
    let (mut staff, _) = crate::browser::Browser::staff(&app, "Agent").await;
    let page = staff.page("/staff/monitoring").await;
    let health = &page[page.find("id=\"metrics\"").expect("the intake section")..];
    assert!(
        health.contains(
            "<th scope=\"row\">Alertmanager eu-west</th><td data-label=\"Series\">2</td>"
        ),
        "latency and availability of one service: {health}"
    );
    assert!(health.contains("<th scope=\"row\">Test Org</th><td data-label=\"Series\">2</td>"));
    for (outcome, samples) in [
        ("accepted", 6),
        ("no_service_label", 4),
        ("unknown_service", 4),
        ("too_old", 2),
    ] {
        assert!(
            health.contains(&format!(
                "<code>{outcome}</code></th><td data-label=\"Meaning\">"
            )) && health.contains(&format!("<td data-label=\"Samples\">{samples}</td>")),
            "{outcome}: {health}"
        );
    }
    assert!(
        health.contains("<code>not-a-service</code>, <code>SVC-999999</code>"),
        "{health}"
    );
}

#[tokio::test]
async fn what_is_not_a_remote_write_from_a_live_integration_token_is_refused_saying_why() {
    let app = spawn_app().await;
    let token = integration_token(&app).await;
    let body = encode(&WriteRequest::default());
    assert_eq!(push_bytes(&app, None, &[], body.clone()).await.0, 401);
    let forged = format!("opi_{}", "a".repeat(40));
    assert_eq!(
        push_bytes(&app, Some(&forged), &[], body.clone()).await.0,
        401
    );
    let customer = app.user(PermissionSet::all()).await;
    assert_eq!(
        push_bytes(&app, Some(&customer.token), &[], body.clone())
            .await
            .0,
        401
    );

    let (status, problem) = push_bytes(&app, Some(&token), &[], b"not snappy".to_vec()).await;
    assert_eq!(status, 400);
    assert!(
        problem["detail"].as_str().unwrap().contains("snappy"),
        "{problem}"
    );
    let not_protobuf = snap::raw::Encoder::new().compress_vec(&[0xff; 16]).unwrap();
    let (status, problem) = push_bytes(&app, Some(&token), &[], not_protobuf).await;
    assert_eq!(status, 400);
    assert!(
        problem["detail"].as_str().unwrap().contains("WriteRequest"),
        "{problem}"
    );
    let v2 = [(
        "content-type",
        "application/x-protobuf;proto=io.prometheus.write.v2.Request",
    )];
    assert_eq!(
        push_bytes(&app, Some(&token), &v2, body.clone()).await.0,
        415
    );
    let gzip = [("content-encoding", "gzip")];
    assert_eq!(push_bytes(&app, Some(&token), &gzip, body).await.0, 415);
    let huge = vec![0u8; 9 << 20];
    assert_eq!(push_bytes(&app, Some(&token), &[], huge).await.0, 413);
}

#[tokio::test]
async fn counters_become_rates_through_a_reset_and_roll_up_into_five_minute_and_hourly_points() {
    let Monitored {
        app,
        catalog,
        service,
        token,
        reader,
        ..
    } = Monitored::start().await;
    let now = now_ms();
    let start = now - 100 * MINUTE;
    // 1,000 bytes a second, scraped each minute; the counter restarts at minute 50
    // (it counted 60,000 bytes since), as a rebooted router's does.
    let samples: Vec<(i64, f64)> = (0..100)
        .map(|i| {
            let counted = if i < 50 { i } else { i - 49 };
            (start + i * MINUTE, 60_000.0 * counted as f64)
        })
        .collect();
    let on = [("service_id", service.as_str()), ("ifName", "ge-0/0/1")];
    push(
        &app,
        &token,
        vec![series(
            "oneportal_service_traffic_in_bytes_total",
            &on,
            &samples,
        )],
    )
    .await;

    let from = time(start);
    let raw = chart(
        &app,
        &reader.token,
        &service,
        &format!("metric=traffic&from={from}&step=5m"),
    )
    .await;
    assert_eq!(raw["resolution"], "raw");
    assert_eq!(raw["unit"], "bit/s");
    let inbound = &raw["series"][0];
    assert_eq!(inbound["name"], "in");
    let rates = averages(inbound);
    assert!(rates.len() >= 18, "{raw}");
    assert!(
        rates.iter().all(|r| (r - 8000.0).abs() < 1e-6),
        "a reset is not a drop: {rates:?}"
    );
    assert_eq!(inbound["p95"], 8000.0);
    assert_eq!(
        raw["series"][1]["points"],
        json!([]),
        "nothing was pushed for out"
    );

    // Utilization: 8,000 bit/s of the service's downstream bandwidth.
    let row = oneportal_store::catalog::find_service_anywhere(app.db(), catalog.services[0])
        .await
        .unwrap()
        .unwrap();
    let utilization = chart(
        &app,
        &reader.token,
        &service,
        &format!("metric=utilization&from={from}&step=5m"),
    )
    .await;
    let expected = 8000.0 * 100.0 / (row.downstream_mbps as f64 * 1e6);
    assert!(
        averages(&utilization["series"][0])
            .iter()
            .all(|u| (u - expected).abs() < 1e-9)
    );

    roll_up(&app).await;
    for (window, resolution) in [("from=", "5m"), ("step=1h&from=", "1h")] {
        let week = chart(
            &app,
            &reader.token,
            &service,
            &format!("metric=traffic&{window}{}", time(now - 7 * DAY)),
        )
        .await;
        assert_eq!(week["resolution"], resolution, "{week}");
        let rolled = averages(&week["series"][0]);
        assert!(!rolled.is_empty(), "{week}");
        assert!(
            rolled.iter().all(|r| (r - 8000.0).abs() < 1e-6),
            "{resolution}: {rolled:?}"
        );
        assert_eq!(week["series"][0]["p95"], 8000.0);
    }

    // A sample that arrives after its five minutes were rolled up is rolled up again.
    let late_at = now - 30 * MINUTE;
    let gauge = [("service_id", service.as_str())];
    push(
        &app,
        &token,
        vec![series(
            "oneportal_service_latency_seconds",
            &gauge,
            &[(late_at, 0.1)],
        )],
    )
    .await;
    roll_up(&app).await;
    let week = chart(
        &app,
        &reader.token,
        &service,
        &format!("metric=latency&from={}", time(now - 7 * DAY)),
    )
    .await;
    assert_eq!(week["resolution"], "5m");
    assert_eq!(averages(&week["series"][0]), vec![100.0], "{week}");
}

#[tokio::test]
async fn the_95th_percentile_and_peak_are_of_five_minute_averages() {
    let Monitored {
        app,
        service,
        token,
        reader,
        ..
    } = Monitored::start().await;
    let now = now_ms();
    // Forty five-minute spans at 1..=40 ms, two samples each, ending five minutes
    // back: closed long enough to be rolled up whatever the clock says.
    let first = now - now % (5 * MINUTE) - 41 * 5 * MINUTE;
    let samples: Vec<(i64, f64)> = (1..=40i64)
        .flat_map(|n| {
            let at = first + (n - 1) * 5 * MINUTE;
            [
                (at + MINUTE, n as f64 / 1000.0),
                (at + 2 * MINUTE, n as f64 / 1000.0),
            ]
        })
        .collect();
    let on = [("service_id", service.as_str())];
    push(
        &app,
        &token,
        vec![series("oneportal_service_latency_seconds", &on, &samples)],
    )
    .await;
    for query in [
        "metric=latency".to_owned(),
        format!("metric=latency&from={}", time(now - 7 * DAY)),
    ] {
        let answer = chart(&app, &reader.token, &service, &query).await;
        let line = &answer["series"][0];
        assert_eq!(line["p95"], 38.0, "{query}: {answer}");
        assert_eq!(line["peak"]["average"], 40.0);
        assert_eq!(line["peak"]["time"], time(first + 39 * 5 * MINUTE));
        roll_up(&app).await;
    }
}

#[tokio::test]
async fn a_wrong_parameter_is_named_with_what_to_use_instead() {
    let Monitored {
        app,
        service,
        reader,
        ..
    } = Monitored::start().await;
    let now = now_ms();
    for (query, parameter, says) in [
        (
            "metric=bandwidth".to_owned(),
            "metric",
            "traffic, utilization",
        ),
        ("from=yesterday".to_owned(), "from", "RFC 3339"),
        ("step=5x".to_owned(), "step", "30s, 5m"),
        (
            "colour=red".to_owned(),
            "colour",
            "metric, from, to and step",
        ),
        (
            format!("from={}&to={}", time(now), time(now - DAY)),
            "to",
            "later than",
        ),
        (
            format!("from={}&step=1m", time(now - 7 * DAY)),
            "step",
            "at least 5m",
        ),
        (
            format!("from={}&step=5m", time(now - 30 * DAY)),
            "step",
            "at least 30m",
        ),
        (
            format!("from={}", time(now - 500 * DAY)),
            "from",
            "13 months",
        ),
    ] {
        let response = app
            .get(
                &format!("/v2/services/{service}/metrics?{query}"),
                &reader.token,
            )
            .await;
        assert_eq!(response.status().as_u16(), 400, "{query}");
        let problem: Value = response.json().await.unwrap();
        let error = &problem["errors"][0];
        assert_eq!(error["pointer"], parameter, "{query}: {problem}");
        assert!(
            error["detail"].as_str().unwrap().contains(says),
            "{query}: {problem}"
        );
    }
}

/// A small exporter, as the provider's SNMP and blackbox exporters would be:
/// each service's port counters climbing at 10 Mbit/s toward the customer and
/// 2 Mbit/s from them, its probe latency, and series OnePortal does not keep.
/// `services` may be filled after the exporter starts.
async fn exporter(services: Arc<Mutex<Vec<String>>>) -> (String, tokio::task::JoinHandle<()>) {
    let started = std::time::Instant::now();
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let services = services.lock().unwrap().clone();
            async move {
                let seconds = started.elapsed().as_secs_f64();
                let mut text = String::from(
                    "# TYPE ifHCOutOctets counter\n# TYPE ifHCInOctets counter\n# TYPE probe_duration_seconds gauge\n",
                );
                for service in services {
                    text.push_str(&format!(
                        "ifHCOutOctets{{ifName=\"ge-0/0/1\",service_id=\"{service}\"}} {}\n\
                         ifHCInOctets{{ifName=\"ge-0/0/1\",service_id=\"{service}\"}} {}\n\
                         probe_duration_seconds{{service_id=\"{service}\"}} 0.0125\n",
                        (1_250_000.0 * seconds).round(),
                        (250_000.0 * seconds).round()
                    ));
                }
                text.push_str(
                    "# TYPE probe_success gauge\nprobe_success{service_id=\"SVC-999999\"} 1\n\
                     # TYPE process_open_fds gauge\nprocess_open_fds 12\n",
                );
                text
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let handle = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (address.to_string(), handle)
}

/// A real Prometheus (Debian's `prometheus`), scraping every second and
/// remote-writing into OnePortal, stopped when dropped.
pub(crate) struct Prometheus {
    process: std::process::Child,
    pub url: String,
    dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Prometheus {
    /// Starts Prometheus with `config` (YAML) and waits until it is ready.
    pub(crate) async fn start(config: &str) -> Prometheus {
        let binary = "/usr/bin/prometheus";
        assert!(
            std::path::Path::new(binary).exists(),
            "{binary} is missing: .ci/run installs Debian's prometheus (apt-get install prometheus)"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = crate::processes::free_port();
        let file = dir.path().join("prometheus.yml");
        // Every query it answers is logged, for tests of what OnePortal asks.
        let config = config.replacen(
            "global:\n",
            &format!(
                "global:\n  query_log_file: '{}'\n",
                dir.path().join("queries.log").display()
            ),
            1,
        );
        std::fs::write(&file, config).unwrap();
        let process = std::process::Command::new(binary)
            .arg(format!("--config.file={}", file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("prometheus.log")).unwrap())
            .spawn()
            .unwrap();
        let prometheus = Prometheus {
            process,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        oneportal::http::outbound::install_tls_provider();
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client
                .get(format!("{}/-/ready", prometheus.url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return prometheus;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("Prometheus did not become ready: {}", prometheus.log());
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// The PromQL of every query it answered, oldest first.
    fn queries(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("queries.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter_map(|entry| entry["params"]["query"].as_str().map(str::to_owned))
            .collect()
    }
}

#[tokio::test]
async fn a_real_prometheus_remote_writes_a_services_measurements_and_the_api_reads_them_back() {
    let Monitored {
        app,
        service,
        token,
        reader,
        ..
    } = Monitored::start().await;
    let (exporter, _exporter) = exporter(Arc::new(Mutex::new(vec![service.clone()]))).await;
    let prometheus = Prometheus::start(&format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         scrape_configs:\n  - job_name: network\n    static_configs:\n      - targets: ['{exporter}']\n\
         remote_write:\n  - url: '{}'\n    authorization:\n      credentials: '{token}'\n\
         \x20   queue_config:\n      batch_send_deadline: 500ms\n      min_backoff: 100ms\n",
        app.at("/ops/v1/metrics/write")
    ))
    .await;
    let from = time(now_ms() - MINUTE);
    // Prometheus scrapes each second and sends within about a second of its WAL.
    let mut answer = Value::Null;
    for _ in 0..120 {
        answer = chart(
            &app,
            &reader.token,
            &service,
            &format!("metric=traffic&from={from}&step=5s"),
        )
        .await;
        if averages(&answer["series"][0]).len() >= 3 && averages(&answer["series"][1]).len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (inbound, outbound) = (
        averages(&answer["series"][0]),
        averages(&answer["series"][1]),
    );
    assert!(
        inbound.len() >= 3,
        "no traffic arrived: {answer}\n{}",
        prometheus.log()
    );
    // Whole steps only: the first and last may hold a partial scrape interval.
    let middle = |rates: &[f64]| rates[1..rates.len() - 1].to_vec();
    for rate in middle(&inbound) {
        assert!((rate - 10_000_000.0).abs() < 500_000.0, "in: {inbound:?}");
    }
    for rate in middle(&outbound) {
        assert!((rate - 2_000_000.0).abs() < 100_000.0, "out: {outbound:?}");
    }
    let latency = chart(
        &app,
        &reader.token,
        &service,
        &format!("metric=latency&from={from}"),
    )
    .await;
    assert!(
        averages(&latency["series"][0])
            .iter()
            .all(|ms| (ms - 12.5).abs() < 1e-9),
        "{latency}"
    );
    // Only what names a service was kept: no series for the unknown service or the exporter's own.
    let (kept,): (i64,) = app
        .db()
        .fetch_one("SELECT COUNT(*) FROM metric_series", vec![])
        .await
        .unwrap();
    assert_eq!(
        kept, 3,
        "ifHCOutOctets, ifHCInOctets and probe_duration_seconds of one service"
    );
}

/// Asks Prometheus's query API; answers the result vector.
async fn query_prometheus(prometheus: &Prometheus, query: &str) -> Vec<Value> {
    let answer: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/query", prometheus.url))
        .query(&[("query", query)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_customers_prometheus_scrapes_with_oauth2_and_each_client_sees_only_its_services() {
    let app = spawn_app().await;
    let own = seed(&app, app.org_id, 1).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other")
        .await
        .unwrap();
    let other = seed(&app, other_org, 1).await;
    let token = integration_token(&app).await;
    let now = now_ms();
    let mut pushed = Vec::new();
    for service in own.services.iter().chain(&other.services) {
        let on = [("service_id", svc(*service))];
        let on = [(on[0].0, on[0].1.as_str())];
        pushed.push(series(
            "oneportal_service_latency_seconds",
            &on,
            &[(now - 20_000, 0.02)],
        ));
        pushed.push(series(
            "oneportal_service_traffic_in_bytes_total",
            &on,
            &[(now - 70_000, 0.0), (now - 10_000, 7_500_000.0)],
        ));
    }
    push(&app, &token, pushed).await;

    let developer = app.developer().await;
    let restricted = app.developer().await;
    app.restrict(restricted.id, &[own.contract[0]]).await;
    let stranger = app.user_in(other_org, PermissionSet::all()).await;
    let mut jobs = String::new();
    for (job, user) in [
        ("own", &developer),
        ("restricted", &restricted),
        ("other", &stranger),
    ] {
        let (id, secret) = app.create_client(user, &["BasicRead"]).await;
        crate::hygiene::record("client_secret", &secret);
        jobs.push_str(&format!(
            "  - job_name: {job}\n    metrics_path: /v2/metrics\n    oauth2:\n      client_id: '{id}'\n      client_secret: '{secret}'\n\
             \x20     token_url: '{}'\n      scopes: ['customerapi/basic.read']\n    static_configs:\n      - targets: ['{}']\n",
            app.at("/oauth2/token"),
            app.url.trim_start_matches("http://")
        ));
    }
    let prometheus = Prometheus::start(&format!(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n{jobs}"
    ))
    .await;
    let mut up = Vec::new();
    for _ in 0..100 {
        up = query_prometheus(&prometheus, "up == 1").await;
        if up.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        up.len(),
        3,
        "every scrape is up: {up:?}\n{}",
        prometheus.log()
    );

    let services_of = |job: &str, samples: &[Value]| -> Vec<String> {
        let mut ids: Vec<String> = samples
            .iter()
            .filter(|s| s["metric"]["job"] == job)
            .map(|s| s["metric"]["service_id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let latency = query_prometheus(&prometheus, "oneportal_service_latency_seconds").await;
    assert!(
        latency.iter().all(|s| s["value"][1] == "0.02"),
        "{latency:?}"
    );
    let traffic =
        query_prometheus(&prometheus, "oneportal_service_traffic_in_bits_per_second").await;
    assert!(
        traffic.iter().all(|s| s["value"][1] == "1000000"),
        "1 Mbit/s: {traffic:?}"
    );
    for samples in [&latency, &traffic] {
        assert_eq!(
            services_of("own", samples),
            vec![svc(own.services[0]), svc(own.services[1])]
        );
        assert_eq!(
            services_of("restricted", samples),
            vec![svc(own.services[0])]
        );
        assert_eq!(
            services_of("other", samples),
            vec![svc(other.services[0]), svc(other.services[1])]
        );
    }
    let site = latency
        .iter()
        .find(|s| s["metric"]["service_id"] == svc(own.services[0]))
        .unwrap();
    assert_eq!(
        site["metric"]["site_id"],
        format!("SITE-{:06}", own.sites[0])
    );
    assert!(
        site["metric"]["service_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
}

#[tokio::test]
async fn the_network_performance_page_draws_each_chart_with_its_numbers_and_a_csv() {
    let Monitored {
        app,
        service,
        token,
        ..
    } = Monitored::start().await;
    let now = now_ms();
    let start = now - 120 * MINUTE;
    let on = [("service_id", service.as_str())];
    let counter: Vec<(i64, f64)> = (0..120)
        .map(|i| (start + i * MINUTE, 60_000.0 * i as f64))
        .collect();
    let latency: Vec<(i64, f64)> = (0..120).map(|i| (start + i * MINUTE, 0.02)).collect();
    push(
        &app,
        &token,
        vec![
            series("oneportal_service_traffic_in_bytes_total", &on, &counter),
            series("oneportal_service_latency_seconds", &on, &latency),
            series(
                "oneportal_service_up",
                &on,
                &latency.iter().map(|(at, _)| (*at, 1.0)).collect::<Vec<_>>(),
            ),
        ],
    )
    .await;

    let mut browser = crate::browser::Browser::signed_in(&app, PermissionSet::all()).await;
    let overview = browser.page(&format!("/portal/services/{service}")).await;
    assert!(overview.contains(&format!("href=\"/portal/services/{service}/performance\"")));
    let page = browser
        .page(&format!("/portal/services/{service}/performance"))
        .await;
    assert_eq!(
        page.matches("<svg class=\"chart chart-lines\"").count(),
        4,
        "traffic, utilization, latency, loss"
    );
    assert!(page.contains("In: 95th percentile 8.00 kbit/s"), "{page}");
    assert!(page.contains("Peak 8.00 kbit/s"));
    assert!(page.contains("Latency: peak 20.0 ms"));
    assert!(page.contains("Availability over the last 24 hours:</strong> 100.000 %"));
    assert!(
        page.contains("<th scope=\"col\">In (kbit/s)</th>"),
        "the numbers as a table"
    );
    assert!(page.contains("<polyline"));

    roll_up(&app).await;
    let busiest = browser.page("/portal/performance").await;
    assert!(
        busiest.contains(&format!(
            "href=\"/portal/services/{service}/performance?range=7d\""
        )),
        "the organization view lists the measured service: {busiest}"
    );
    assert_eq!(
        busiest.matches("<tr><th scope=\"row\">").count(),
        1,
        "only measured services"
    );
    let month = browser
        .page(&format!("/portal/services/{service}/performance?range=30d"))
        .await;
    assert!(
        month.contains("<polyline") || month.contains("<circle"),
        "{month}"
    );
    assert!(month.contains("aria-current=\"true\">30 days"));

    let response = browser
        .get(&format!(
            "/portal/services/{service}/performance.csv?range=24h"
        ))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let csv = response.text().await.unwrap();
    assert!(
        csv.starts_with("time,metric,series,unit,average,min,max\n"),
        "{csv}"
    );
    assert!(csv.contains(",traffic,in,bit/s,8000,"), "{csv}");
    assert!(csv.contains(",latency,value,ms,20,"), "{csv}");

    let wrong = browser
        .get(&format!("/portal/services/{service}/performance?range=1y"))
        .await;
    assert!(wrong.status().is_client_error());
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("choose 24h, 7d, 30d or 13m")
    );
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other")
        .await
        .unwrap();
    let mut stranger =
        crate::browser::Browser::signed_in_at(&app, other_org, PermissionSet::all()).await;
    let theirs = stranger.page("/portal/performance").await;
    assert!(
        theirs.contains("No measurements of your services"),
        "{theirs}"
    );
    assert_eq!(
        stranger
            .get(&format!("/portal/services/{service}/performance"))
            .await
            .status(),
        404
    );
    assert_eq!(
        stranger
            .get(&format!("/portal/services/{service}/performance.csv"))
            .await
            .status(),
        404
    );
}

/// `metrics.source = "prometheus"`: OnePortal stores nothing and asks the
/// provider's Prometheus, adding the service matcher itself. What a caller
/// sends (a chart name, times, a step, a path) is parsed or refused, never
/// pasted into PromQL: Prometheus's own query log shows every query OnePortal
/// made named only the caller's services.
#[tokio::test]
async fn with_the_providers_prometheus_as_source_the_api_and_pages_read_it_and_no_request_widens_the_matcher()
 {
    let exposed = Arc::new(Mutex::new(Vec::new()));
    let (exporter, _exporter) = exporter(exposed.clone()).await;
    let prometheus = Prometheus::start(&format!(
        "global:\n  scrape_interval: 1s\n\
         scrape_configs:\n  - job_name: network\n    static_configs:\n      - targets: ['{exporter}']\n"
    ))
    .await;
    let app = spawn_app_with(|config| {
        config.metrics.source = oneportal::config::MetricsSourceKind::Prometheus;
        config.metrics.prometheus.url = prometheus.url.clone();
        config.metrics.prometheus.scrape_interval_secs = 1;
    })
    .await;
    let own = seed(&app, app.org_id, 1).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other")
        .await
        .unwrap();
    let other = seed(&app, other_org, 1).await;
    let (first, second) = (svc(own.services[0]), svc(own.services[1]));
    let foreign = svc(other.services[0]);
    *exposed.lock().unwrap() = vec![first.clone(), second.clone(), foreign.clone()];
    let reader = app.user(PermissionSet::all()).await;
    let restricted = app.user(PermissionSet::all()).await;
    app.restrict(restricted.id, &[own.contract[0]]).await;

    // The counters' rates and the probe's latency, read back through the API.
    let from = time(now_ms() - MINUTE);
    let mut answer = Value::Null;
    for _ in 0..100 {
        answer = chart(
            &app,
            &reader.token,
            &first,
            &format!("metric=traffic&from={from}&step=2s"),
        )
        .await;
        if averages(&answer["series"][0]).len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let inbound = averages(&answer["series"][0]);
    assert!(inbound.len() >= 4, "{answer}\n{}", prometheus.log());
    let settled = &inbound[2..inbound.len() - 1];
    assert!(
        settled
            .iter()
            .all(|r| (r - 10_000_000.0).abs() < 1_000_000.0),
        "10 Mbit/s in: {inbound:?}"
    );
    let latency = chart(
        &app,
        &reader.token,
        &first,
        &format!("metric=latency&from={from}"),
    )
    .await;
    let values = averages(&latency["series"][0]);
    assert!(
        !values.is_empty() && values.iter().all(|ms| (ms - 12.5).abs() < 1e-9),
        "{latency}"
    );
    let utilization = chart(
        &app,
        &reader.token,
        &first,
        &format!("metric=utilization&from={from}"),
    )
    .await;
    assert_eq!(
        utilization["series"].as_array().unwrap().len(),
        2,
        "{utilization}"
    );

    // What a caller could try to slip into a query: each refused, naming what to fix.
    let quoted = |text: &str| serde_urlencoded::to_string([("v", text)]).unwrap()[2..].to_owned();
    for query in [
        format!("metric={}", quoted("traffic\"} or {__name__=~\".+")),
        format!("metric={}", quoted("traffic{service_id=~\".*\"}")),
        format!("metric={}", quoted("traffic) or vector(1")),
        format!("step={}", quoted("5m]) or up[5m")),
        format!("from={}", quoted("0) or {service_id!=\"\"}")),
        format!("to={}", quoted("now")),
        format!("service_id={foreign}"),
        format!("match[]={}", quoted("{service_id=~\".+\"}")),
    ] {
        let response = app
            .get(
                &format!("/v2/services/{first}/metrics?{query}"),
                &reader.token,
            )
            .await;
        assert_eq!(response.status(), 400, "{query}");
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["errors"][0]["pointer"].is_string(),
            "{query}: {problem}"
        );
    }
    for path in [
        quoted(&format!("{first}\"}} or {{__name__=~\".+")),
        quoted("SVC-.*"),
        foreign.clone(),
    ] {
        let response = app
            .get(&format!("/v2/services/{path}/metrics"), &reader.token)
            .await;
        assert!(
            [400, 404].contains(&response.status().as_u16()),
            "{path}: {}",
            response.status()
        );
    }

    // The scrape and the pages answer from Prometheus, each for what its reader may see.
    let scraped_services = |text: &str| -> Vec<String> {
        let mut ids: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("oneportal_service_latency_seconds{"))
            .map(|l| {
                l.split("service_id=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        ids.sort();
        ids
    };
    let scrape = |token: String| {
        let app = &app;
        async move { app.get("/v2/metrics", &token).await.text().await.unwrap() }
    };
    let everything = scrape(reader.token.clone()).await;
    assert_eq!(
        scraped_services(&everything),
        vec![first.clone(), second.clone()],
        "{everything}"
    );
    assert!(
        everything.contains("oneportal_service_latency_seconds{service_id=\""),
        "{everything}"
    );
    let one = scrape(restricted.token.clone()).await;
    assert_eq!(scraped_services(&one), vec![first.clone()], "{one}");

    let mut browser = crate::browser::Browser::signed_in(&app, PermissionSet::all()).await;
    let page = browser
        .page(&format!("/portal/services/{first}/performance"))
        .await;
    assert!(page.contains("Latency: peak 12.5 ms"), "{page}");
    // Prometheus's rate() over a five-minute step of a series seconds old reads low: only its shape is checked.
    assert!(page.contains("In: 95th percentile "), "{page}");
    assert_eq!(page.matches("<svg class=\"chart chart-lines\"").count(), 4);
    let busiest = browser.page("/portal/performance").await;
    for service in [&first, &second] {
        assert!(
            busiest.contains(&format!("/portal/services/{service}/performance?range=7d")),
            "{busiest}"
        );
    }
    assert!(!busiest.contains(&foreign), "{busiest}");

    // Nothing is stored here, so nothing may be pushed here.
    let token = integration_token(&app).await;
    let (status, refused) = push_bytes(
        &app,
        Some(&token),
        &[],
        encode(&WriteRequest { timeseries: vec![] }),
    )
    .await;
    assert_eq!(status, 409, "{refused}");

    // Every query OnePortal made carried a matcher of the caller's services, and only those.
    let queries = prometheus.queries();
    assert!(queries.len() > 20, "{queries:?}");
    for query in &queries {
        assert!(
            query.contains(&format!("service_id=\"{first}\"")) || query.contains("service_id=~\""),
            "a query without the service matcher: {query}"
        );
        assert!(
            !query.contains(&foreign[4..]),
            "another customer's service: {query}"
        );
        for injected in [" or ", "vector(", ".+", ".*", "!=", "up["] {
            assert!(
                !query.contains(injected),
                "'{injected}' reached PromQL: {query}"
            );
        }
    }
}

/// Retention forgets, at each resolution, exactly what is older than it keeps
/// (48 hours of samples, 90 days of five-minute points, 13 months of hourly
/// points), and in every series.
#[tokio::test]
async fn retention_deletes_what_each_resolution_no_longer_keeps_and_nothing_else() {
    use oneportal_domain::metrics::Resolution;
    use oneportal_store::metrics::{PointRow, SampleBatch, insert_samples, write_points};

    let Monitored {
        app,
        service,
        token,
        ..
    } = Monitored::start().await;
    let now = now_ms();
    let on = [("service_id", service.as_str())];
    push(
        &app,
        &token,
        vec![
            series("oneportal_service_latency_seconds", &on, &[(now, 0.01)]),
            series("oneportal_service_jitter_seconds", &on, &[(now, 0.001)]),
        ],
    )
    .await;
    let ids: Vec<(i64,)> = app
        .db()
        .fetch_all("SELECT id FROM metric_series ORDER BY id", vec![])
        .await
        .unwrap();
    let hour = 60 * MINUTE;
    let point = |series_id, bucket| PointRow {
        series_id,
        bucket,
        min_value: 1.0,
        max_value: 1.0,
        sum_value: 1.0,
        weight: 1.0,
    };
    let tx = app.db().begin().await.unwrap();
    for (id,) in &ids {
        // Either side of each limit, an hour away from it.
        insert_samples(
            &tx,
            &SampleBatch::new(&[
                (*id, now - 2 * DAY - hour, 1.0),
                (*id, now - 2 * DAY + hour, 1.0),
            ]),
        )
        .await
        .unwrap();
        let five = |at: i64| at - at.rem_euclid(5 * MINUTE);
        write_points(
            &tx,
            Resolution::FiveMinutes,
            &[
                point(*id, five(now - 90 * DAY - hour)),
                point(*id, five(now - 90 * DAY + hour)),
            ],
        )
        .await
        .unwrap();
        let whole = |at: i64| at - at.rem_euclid(hour);
        write_points(
            &tx,
            Resolution::Hour,
            &[
                point(*id, whole(now - 396 * DAY - hour)),
                point(*id, whole(now - 396 * DAY + hour)),
            ],
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let count = |sql: &'static str| {
        let app = &app;
        async move {
            let (n,): (i64,) = app.db().fetch_one(sql, vec![]).await.unwrap();
            n
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM metric_samples").await, 6);
    let deleted = oneportal::services::metrics::rollup::purge(&app.app.state)
        .await
        .unwrap();
    assert_eq!(deleted, 6, "one of each resolution in each of two series");
    let remaining: Vec<(i64, i64)> = app
        .db()
        .fetch_all(
            "SELECT series_id, at FROM metric_samples ORDER BY series_id, at",
            vec![],
        )
        .await
        .unwrap();
    let expected: Vec<(i64, i64)> = ids
        .iter()
        .flat_map(|(id,)| [(*id, now - 2 * DAY + hour), (*id, now)])
        .collect();
    assert_eq!(remaining, expected, "the recent samples and the pushed one");
    for (table, limit) in [
        ("metric_points_5m", 90 * DAY),
        ("metric_points_1h", 396 * DAY),
    ] {
        let buckets: Vec<(i64,)> = app
            .db()
            .fetch_all_dynamic(format!("SELECT bucket FROM {table}"), vec![])
            .await
            .unwrap();
        assert_eq!(buckets.len(), 2, "{table}: one per series");
        assert!(
            buckets.iter().all(|(b,)| *b > now - limit),
            "{table}: {buckets:?}"
        );
    }
}
