//! `bench metrics`: Prometheus remote-write ingestion (the network-performance
//! issue's target), on SQLite and then PostgreSQL.
//!
//! The back office imports 100 organizations with 10 services each; staff
//! issue an integration token. Eight senders (Prometheus's shards) then push
//! for `--seconds` (default 60), each request as Prometheus batches them: 2,000
//! samples, 400 series with 5 samples each, over 6,000 series (six measurements
//! of each service, traffic as counters). Meanwhile one reader asks the API for
//! a day of traffic of one service after another, as people would open charts.
//!
//! Measured: samples stored per second (the server's own count in the answers),
//! push latency (p50, p99), read latency while ingesting (p50, p99), and the
//! server's CPU and peak memory.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use oneportal::services::metrics::remote_write::{Label, Sample, TimeSeries, WriteRequest, encode};
use serde_json::{Value, json};

use crate::Options;
use crate::load::{cpu_ticks, status_kib, ticks_per_second};
use crate::maintenance::{ORGANIZATIONS, SERVICES_PER_ORGANIZATION, catalog, post};
use crate::processes::Server;

const SERVICES: usize = ORGANIZATIONS * SERVICES_PER_ORGANIZATION;
const NAMES: [&str; 6] = [
    "ifHCOutOctets",
    "ifHCInOctets",
    "oneportal_service_latency_seconds",
    "oneportal_service_jitter_seconds",
    "oneportal_service_packet_loss_ratio",
    "oneportal_service_up",
];
const SENDERS: usize = 8;
const SERIES_PER_REQUEST: usize = 400;
const SAMPLES_PER_SERIES: usize = 5;
/// The bound: samples stored per second, sustained.
const TARGET_PER_SECOND: f64 = 100_000.0;

pub async fn run(root: &Path, binary: &Path, options: &Options) -> anyhow::Result<()> {
    crate::on_each_backend(root, "metrics", options, |database| async move {
        let (figures, verdict) = once(binary, options, database.as_deref()).await?;
        Ok((figures, vec![verdict]))
    })
    .await
}

fn label(name: &str, value: String) -> Label {
    Label {
        name: name.into(),
        value,
    }
}

/// The `round`th request of sender `sender`: 400 series, each 5 samples further on.
fn request(sender: usize, round: usize, start: i64, services: &[String]) -> WriteRequest {
    let series_count = services.len() * NAMES.len();
    let timeseries = (0..SERIES_PER_REQUEST)
        .map(|i| {
            let n = (sender * SERIES_PER_REQUEST + i + round * SENDERS * SERIES_PER_REQUEST)
                % series_count;
            // Each pass over every series moves its clock on by five samples.
            let pass = (sender * SERIES_PER_REQUEST + i + round * SENDERS * SERIES_PER_REQUEST)
                / series_count;
            let (service, name) = (&services[n / NAMES.len()], NAMES[n % NAMES.len()]);
            let samples = (0..SAMPLES_PER_SERIES)
                .map(|k| {
                    let step = (pass * SAMPLES_PER_SERIES + k) as i64;
                    let value = if name.ends_with("Octets") {
                        125_000.0 * step as f64
                    } else {
                        0.02
                    };
                    Sample {
                        value,
                        timestamp: start + step * 1000,
                    }
                })
                .collect();
            TimeSeries {
                labels: vec![
                    label("__name__", name.into()),
                    label("instance", "pe1.example.net".into()),
                    label("service_id", service.clone()),
                ],
                samples,
            }
        })
        .collect();
    WriteRequest { timeseries }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

async fn once(
    binary: &Path,
    options: &Options,
    database: Option<&str>,
) -> anyhow::Result<(Value, crate::targets::Verdict)> {
    let backend = if database.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let seconds = options.seconds_given.unwrap_or(60);
    let server = Server::start(binary, &options.algorithm, database).await?;
    let staff = server.staff_token()?;
    eprintln!(
        "{backend}: importing {ORGANIZATIONS} organizations with {SERVICES_PER_ORGANIZATION} services each ..."
    );
    post(&server, "/ops/v1/imports", &staff, &catalog()).await?;
    let issued = post(
        &server,
        "/ops/v1/integration-tokens",
        &staff,
        &json!({"name": "Bench Prometheus"}),
    )
    .await?;
    let token = issued["token"].as_str().context("token")?.to_owned();
    server.cli(&[
        "users",
        "create",
        "--email",
        "noc@metrics.example",
        "--first-name",
        "Network",
        "--last-name",
        "Engineer",
        "--organization",
        "Maintenance Org 0",
        "--permissions",
        "all",
    ])?;
    let reader = server.cli(&[
        "users",
        "token",
        "--email",
        "noc@metrics.example",
        "--ttl",
        "3600",
    ])?;
    let readable: Vec<String> = server.get_json("/v2/services?limit=200", &reader).await?["data"]
        .as_array()
        .context("services")?
        .iter()
        .filter_map(|s| s["serviceId"].as_str().map(str::to_owned))
        .collect();
    // Service ids run from 1 in import order.
    let services: Vec<String> = (1..=SERVICES).map(|n| format!("SVC-{n:06}")).collect();

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    // Every pass over the series moves their clocks 5 s on: at 100,000 samples/s a
    // minute covers about 17 minutes, so three hours back stays inside 48 hours and before now.
    let start = now - 3 * 3_600_000;
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicU64::new(0));
    let url = format!("{}/ops/v1/metrics/write", server.url);
    let (cpu_before, began) = (cpu_ticks(server.pid())?, Instant::now());
    eprintln!("{backend}: {SENDERS} senders pushing for {seconds} s, one reader ...");
    let mut senders = Vec::new();
    for sender in 0..SENDERS {
        let (http, url, token, stop, accepted, services) = (
            server.http(),
            url.clone(),
            token.clone(),
            stop.clone(),
            accepted.clone(),
            services.clone(),
        );
        senders.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0u64;
            let mut round = 0;
            while !stop.load(Ordering::Relaxed) {
                let body = encode(&request(sender, round, start, &services));
                let sent = Instant::now();
                let answer = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-encoding", "snappy")
                    .header("content-type", "application/x-protobuf")
                    .body(body)
                    .send()
                    .await;
                match answer {
                    Ok(response) if response.status() == 200 => {
                        let outcome: Value = response.json().await.unwrap_or_default();
                        accepted.fetch_add(
                            outcome["samplesAccepted"].as_u64().unwrap_or(0),
                            Ordering::Relaxed,
                        );
                    }
                    _ => failures += 1,
                }
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                round += 1;
            }
            (latencies, failures)
        }));
    }
    let reading = {
        let (http, base, reader, stop, readable) = (
            server.http(),
            server.url.clone(),
            reader.clone(),
            stop.clone(),
            readable.clone(),
        );
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let service = &readable[n % readable.len()];
                let sent = Instant::now();
                let ok = http
                    .get(format!(
                        "{base}/v2/services/{service}/metrics?metric=traffic"
                    ))
                    .bearer_auth(&reader)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200);
                if ok {
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            latencies
        })
    };
    let mut peak_kib = 0;
    while began.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        peak_kib = peak_kib.max(status_kib(server.pid(), "VmRSS:").unwrap_or(0));
    }
    stop.store(true, Ordering::Relaxed);
    let mut pushes = Vec::new();
    let mut failures = 0;
    for sender in senders {
        let (latencies, failed) = sender.await?;
        pushes.extend(latencies);
        failures += failed;
    }
    let took = began.elapsed().as_secs_f64();
    let cpu = (cpu_ticks(server.pid())? - cpu_before) as f64 / ticks_per_second() / took;
    let mut reads = reading.await?;
    pushes.sort_by(f64::total_cmp);
    reads.sort_by(f64::total_cmp);
    let stored = accepted.load(Ordering::Relaxed);
    let rate = stored as f64 / took;
    println!(
        "\n{backend}: remote-write for {took:.0} s, {SENDERS} senders, 2,000 samples a request over {} series:\n  \
         {stored} samples stored, {rate:.0}/s; {failures} pushes failed\n  \
         push latency p50 {:.1} ms, p99 {:.1} ms ({} pushes)\n  \
         a day of traffic read meanwhile: p50 {:.1} ms, p99 {:.1} ms ({} reads)\n  \
         server CPU {:.0} %, peak memory {} MiB",
        SERVICES * NAMES.len(),
        quantile(&pushes, 0.5),
        quantile(&pushes, 0.99),
        pushes.len(),
        quantile(&reads, 0.5),
        quantile(&reads, 0.99),
        reads.len(),
        cpu * 100.0,
        peak_kib / 1024
    );
    let figures = json!({
        "seconds": took, "samplesStored": stored, "samplesPerSecond": rate, "failedPushes": failures,
        "pushMs": {"p50": quantile(&pushes, 0.5), "p99": quantile(&pushes, 0.99)},
        "readMs": {"p50": quantile(&reads, 0.5), "p99": quantile(&reads, 0.99), "reads": reads.len()},
        "serverCpu": cpu, "peakMemoryKiB": peak_kib,
    });
    let verdict = crate::targets::Verdict {
        target: format!(
            "{backend}: remote-write ingestion of at least {TARGET_PER_SECOND:.0} samples/s for {seconds} s, with reads meanwhile"
        ),
        measured: format!(
            "{rate:.0}/s; {failures} pushes failed; reads p99 {:.1} ms",
            quantile(&reads, 0.99)
        ),
        met: rate >= TARGET_PER_SECOND && failures == 0,
    };
    Ok((figures, verdict))
}
