//! `bench metrics`: network performance, the speed section, on SQLite
//! and then PostgreSQL: ingestion, then reads of 30 days, then bytes on disk.
//!
//! Ingestion. The back office imports 100 organizations with 10 services each;
//! staff issue an integration token. Eight senders (Prometheus's shards) then
//! push for `--seconds` (default 60), each request as Prometheus batches them:
//! 2,000 samples, 400 series with 5 samples each, over 6,000 series (six
//! measurements of each service, traffic as counters). Meanwhile one reader asks
//! the API for a day of traffic of one service after another, as people would
//! open charts.
//!
//! History. The intake refuses samples older than 48 hours, so the bench then
//! writes 30 days straight into the running server's database, as the rollup
//! would have left them (the demo's way): five-minute and hourly points of all
//! six measurements of the first service of each of 50 organizations (the page
//! reads them all, and the 95th percentiles from five-minute points; more
//! services would take the fill past half a minute on PostgreSQL here).
//!
//! Reads. A person of each of those organizations then reads, two requests at a
//! time, 200 times each: 30 days of traffic at five-minute resolution through
//! the API (a user token), and the Network Performance page over 30 days in the
//! portal (a session, logged in as a browser does). Each goes over the 50
//! services in turn, and beside it the same URL repeated: misses of every cache
//! beside hits.
//!
//! Measured: samples stored per second (the server's own count in the answers),
//! push latency (p50, p99), read latency while ingesting (p50, p99), the
//! server's CPU and peak memory; the 30-day reads' and the page's p50 and p99;
//! and bytes on disk per stored five-minute point (`metric_points_5m` with its
//! indexes, over its rows).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use oneportal::auth::digest::sha256_hex;
use oneportal::demo::metrics as demo;
use oneportal::services::metrics::remote_write::{Label, Sample, TimeSeries, WriteRequest, encode};
use oneportal_domain::metrics::{Measurement, Resolution};
use oneportal_store::catalog::{ServiceRow, find_service_anywhere};
use oneportal_store::metrics::{self as store, PointRow};
use oneportal_store::{Backend, Db, Exec, monitoring};
use reqwest::header::{AUTHORIZATION, COOKIE, HeaderName};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::Options;
use crate::load::{cpu_ticks, status_kib, ticks_per_second};
use crate::maintenance::{ORGANIZATIONS, SERVICES_PER_ORGANIZATION, catalog, post};
use crate::processes::Server;
use crate::soak::portal_login;
use crate::targets::Verdict;

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

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// How far back the history goes, and the window the reads ask for.
const HISTORY_DAYS: i64 = 30;
/// The first service of each of the first this many organizations gets a history.
const FILLED_ORGANIZATIONS: usize = 50;
/// Rows per statement, as the demo writes them; writers at once (PostgreSQL
/// takes both; SQLite lets one write at a time anyway).
const BATCH: usize = 5_000;
const WRITERS: usize = 2;
/// Reads per measured row, and how many are in flight at once (one per core here).
const READS: usize = 200;
const READERS: usize = 2;
/// The bounds, p99: 30 days of one metric at five-minute resolution, and the page.
const CHART_TARGET_MS: f64 = 30.0;
const PAGE_TARGET_MS: f64 = 100.0;

pub async fn run(root: &Path, binary: &Path, options: &Options) -> anyhow::Result<()> {
    crate::on_each_backend(root, "metrics", options, |database| async move {
        once(binary, options, database.as_deref()).await
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
) -> anyhow::Result<(Value, Vec<Verdict>)> {
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
    let (mut figures, ingested) = ingest(&server, backend, seconds, &token).await?;
    let pushed_until = oneportal_store::now_ms();

    let db = server.database().await?;
    let history = fill_history(&db, backend, &token).await?;
    let people = people(&server).await?;
    rolled_up(&db, backend, pushed_until).await?;
    let reads = read_history(&server, backend, &history, &people).await?;
    let stored = five_minute_storage(&db).await?;
    db.close().await;

    let mut verdicts = vec![ingested];
    verdicts.extend(report(backend, &history, &reads, &stored, &mut figures));
    Ok((figures, verdicts))
}

/// Prints the history's figures beside the ingestion's, adds them to its
/// `figures`, and judges the reads against the bounds.
fn report(
    backend: &str,
    history: &History,
    reads: &Reads,
    stored: &Storage,
    figures: &mut Value,
) -> [Verdict; 2] {
    println!(
        "\n{backend}: {HISTORY_DAYS} days of every measurement of {} services, one in each of {FILLED_ORGANIZATIONS} organizations, \
         written in {:.0} s ({} five-minute and {} hourly points); {READS} reads a row, {READERS} at a time:\n  \
         {HISTORY_DAYS} days of traffic in {} steps ({} points a series, read from {} points): {}\n  \
         Network Performance page, {HISTORY_DAYS} days, four graphs: {}\n  \
         a five-minute point on disk: {:.1} bytes ({} bytes for {} points, the table with its indexes)",
        history.services.len(),
        history.seconds,
        history.points[0],
        history.points[1],
        reads.step,
        reads.points_per_series,
        reads.resolution,
        reads.chart.line(),
        reads.page.line(),
        stored.bytes_per_point(),
        stored.bytes,
        stored.points,
    );
    figures["history"] = json!({
        "services": history.services.len(), "organizations": FILLED_ORGANIZATIONS, "days": HISTORY_DAYS,
        "fiveMinutePoints": history.points[0], "hourlyPoints": history.points[1], "seconds": history.seconds,
    });
    figures["thirtyDaysOfTraffic"] = json!({
        "step": reads.step, "pointsPerSeries": reads.points_per_series, "resolution": reads.resolution,
        "distinctMs": reads.chart.distinct.json(), "repeatedMs": reads.chart.repeated.json(),
    });
    figures["performancePage30d"] = json!({
        "distinctMs": reads.page.distinct.json(), "repeatedMs": reads.page.repeated.json(),
    });
    figures["fiveMinutePointStorage"] = json!({
        "bytes": stored.bytes, "points": stored.points, "bytesPerPoint": stored.bytes_per_point(),
    });
    [
        reads.chart.verdict(
            format!(
                "{backend}: {HISTORY_DAYS} days of one metric at 5-minute resolution ({} steps), distinct services, p99 < {CHART_TARGET_MS} ms",
                reads.step
            ),
            CHART_TARGET_MS,
        ),
        reads.page.verdict(
            format!(
                "{backend}: the Network Performance page (four graphs, {HISTORY_DAYS} days), distinct services, p99 < {PAGE_TARGET_MS} ms"
            ),
            PAGE_TARGET_MS,
        ),
    ]
}

/// A person with every permission in `organization`; returns an hour's user token.
fn person(server: &Server, email: &str, organization: &str) -> anyhow::Result<String> {
    server.cli(&[
        "users",
        "create",
        "--email",
        email,
        "--first-name",
        "Network",
        "--last-name",
        "Engineer",
        "--organization",
        organization,
        "--permissions",
        "all",
    ])?;
    server.cli(&["users", "token", "--email", email, "--ttl", "3600"])
}

/// Remote-write from eight senders for `seconds`, with a reader of a day's
/// traffic meanwhile; prints the figures and returns them with their verdict.
async fn ingest(
    server: &Server,
    backend: &str,
    seconds: u64,
    token: &str,
) -> anyhow::Result<(Value, Verdict)> {
    let reader = person(server, "noc@metrics.example", "Maintenance Org 0")?;
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
            token.to_owned(),
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
    let verdict = Verdict {
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

/// What [`fill_history`] wrote.
struct History {
    /// Each service with a history: its id, and its organization's index in `catalog()`.
    services: Vec<(String, usize)>,
    /// Five-minute and hourly points written.
    points: [usize; 2],
    /// How long writing them and refreshing the statistics took.
    seconds: f64,
}

/// Thirty days of every measurement of the first service of each of the first
/// [`FILLED_ORGANIZATIONS`] organizations, written beside the running server: a series
/// each, pushed by the bench's integration token, with its five-minute and
/// hourly points. Then fresh statistics, as the demo's seeding ends, so that
/// the planner knows the tables' new size.
async fn fill_history(db: &Db, backend: &str, token: &str) -> anyhow::Result<History> {
    let started = Instant::now();
    let token_id = monitoring::find_live_token(db, &sha256_hex(token))
        .await?
        .context("the bench's integration token")?
        .id;
    let mut services = Vec::new();
    for organization in 0..FILLED_ORGANIZATIONS {
        // Service ids run from 1 in import order.
        let id = (organization * SERVICES_PER_ORGANIZATION + 1) as i64;
        let service = find_service_anywhere(db, id)
            .await?
            .with_context(|| format!("service {id}"))?;
        services.push((service, organization));
    }
    eprintln!(
        "{backend}: writing {HISTORY_DAYS} days of points for {} services ...",
        services.len()
    );
    let now = oneportal_store::now_ms();
    let mut writers = JoinSet::new();
    for share in services.chunks(services.len().div_ceil(WRITERS)) {
        let (db, share) = (db.clone(), share.to_vec());
        writers.spawn(async move {
            let mut points = [0; 2];
            for (service, _) in &share {
                for measurement in Measurement::ALL {
                    let written = fill_series(&db, service, measurement, token_id, now).await?;
                    points = [points[0] + written[0], points[1] + written[1]];
                }
            }
            anyhow::Ok(points)
        });
    }
    let mut points = [0; 2];
    while let Some(written) = writers.join_next().await {
        let written = written??;
        points = [points[0] + written[0], points[1] + written[1]];
    }
    let refresh = match db.backend() {
        Backend::Sqlite => "ANALYZE",
        Backend::Postgres => "VACUUM ANALYZE",
    };
    db.execute(refresh, vec![]).await?;
    let services = services
        .iter()
        .map(|(service, organization)| (format!("SVC-{:06}", service.id), *organization))
        .collect();
    Ok(History {
        services,
        points,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// One series of `service`'s `measurement` and its points of the last
/// [`HISTORY_DAYS`] days; returns the five-minute and hourly points written.
async fn fill_series(
    db: &Db,
    service: &ServiceRow,
    measurement: Measurement,
    token_id: i64,
    now: i64,
) -> anyhow::Result<[usize; 2]> {
    let series = demo::series(db, service, measurement, token_id, now).await?;
    let mut written = [0; 2];
    for (slot, resolution) in [Resolution::FiveMinutes, Resolution::Hour]
        .into_iter()
        .enumerate()
    {
        let width = resolution.width_ms();
        let first = now - HISTORY_DAYS * DAY;
        // Up to the bucket in progress, which the rollup writes when it closes.
        let points: Vec<PointRow> = (first - first.rem_euclid(width)..now - now.rem_euclid(width))
            .step_by(width as usize)
            .map(|bucket| {
                let value = demo::typical_value(measurement, service, bucket + width / 2, now);
                demo::point(series.id, bucket, width, measurement, value)
            })
            .collect();
        for batch in points.chunks(BATCH) {
            let tx = db.begin().await?;
            store::write_points(&tx, resolution, batch).await?;
            tx.commit().await?;
        }
        written[slot] = points.len();
    }
    Ok(written)
}

/// Waits until the server's rollup (a pass a minute) has taken in every sample
/// pushed before `pushed_until`, so that the reads do not meet a pass over the
/// pushed hours.
async fn rolled_up(db: &Db, backend: &str, pushed_until: i64) -> anyhow::Result<()> {
    let began = Instant::now();
    // A pass that began after the last push closes the five minutes that ended
    // a minute before (the server lets late samples settle that long).
    let settled = pushed_until - MINUTE;
    let closed = settled - settled.rem_euclid(5 * MINUTE);
    while began.elapsed() < Duration::from_secs(180) {
        if let Some(mark) = store::rollup_mark(db, Resolution::FiveMinutes).await?
            && mark.redo_from.is_none()
            && mark.done_to >= closed
        {
            eprintln!(
                "{backend}: the rollup took in the pushed samples; waited {:.0} s",
                began.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    bail!("the server's rollup had not taken in the pushed samples within three minutes")
}

/// A person of one organization, as a script (a user token) and in a browser
/// (a portal session).
struct Person {
    token: String,
    cookie: String,
}

/// A person with every permission in each organization with a history,
/// `people[n]` in `catalog()`'s `n`th.
async fn people(server: &Server) -> anyhow::Result<Vec<Person>> {
    eprintln!("signing in a person of each of {FILLED_ORGANIZATIONS} organizations ...");
    let browser = browser()?;
    let mut people = Vec::new();
    for n in 0..FILLED_ORGANIZATIONS {
        let email = format!("reader{n}@metrics.example");
        let token = person(server, &email, &format!("Maintenance Org {n}"))?;
        let cookie = portal_login(&browser, &server.url, &email).await?;
        people.push(Person { token, cookie });
    }
    Ok(people)
}

/// A client that takes a redirect as the answer (the portal's login answers 303).
fn browser() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// One GET as a script or a browser sends it.
struct Get {
    url: String,
    credential: (HeaderName, String),
}

/// GETs `get`; its body, or what went wrong.
async fn fetch(http: &reqwest::Client, get: &Get) -> Result<String, String> {
    let response = http
        .get(&get.url)
        .header(get.credential.0.clone(), &get.credential.1)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    // A response is only done when its body is.
    let body = response.text().await.map_err(|e| e.to_string())?;
    if status != 200 {
        // A problem's detail says what was wrong; another body, its start.
        let detail = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|problem| problem["detail"].as_str().map(str::to_owned))
            .unwrap_or_else(|| body.chars().take(200).collect());
        return Err(format!("HTTP {status}: {detail}"));
    }
    Ok(body)
}

/// The latencies of one row of reads (ms, sorted), and what failed.
#[derive(Default)]
struct Timed {
    ms: Vec<f64>,
    failures: Vec<String>,
}

impl Timed {
    fn p(&self, q: f64) -> f64 {
        quantile(&self.ms, q)
    }

    fn json(&self) -> Value {
        json!({"p50": self.p(0.5), "p99": self.p(0.99), "reads": self.ms.len(), "failures": self.failures.len()})
    }
}

/// `gets`, [`READERS`] at a time.
async fn time_gets(http: &reqwest::Client, gets: Vec<Get>) -> anyhow::Result<Timed> {
    let (gets, next) = (Arc::new(gets), Arc::new(AtomicUsize::new(0)));
    let mut readers = JoinSet::new();
    for _ in 0..READERS {
        let (http, gets, next) = (http.clone(), gets.clone(), next.clone());
        readers.spawn(async move {
            let mut timed = Timed::default();
            while let Some(get) = gets.get(next.fetch_add(1, Ordering::Relaxed)) {
                let sent = Instant::now();
                match fetch(&http, get).await {
                    Ok(_) => timed.ms.push(sent.elapsed().as_secs_f64() * 1000.0),
                    Err(failure) => timed.failures.push(failure),
                }
            }
            timed
        });
    }
    let mut all = Timed::default();
    while let Some(timed) = readers.join_next().await {
        let timed = timed?;
        all.ms.extend(timed.ms);
        all.failures.extend(timed.failures);
    }
    all.ms.sort_by(f64::total_cmp);
    Ok(all)
}

/// One read over distinct services beside the same read of one URL repeated.
struct Pair {
    distinct: Timed,
    repeated: Timed,
}

impl Pair {
    /// [`READS`] GETs of `services` in turn, then [`READS`] of the first one;
    /// `get` makes a service's GET, given its organization.
    async fn time(
        http: &reqwest::Client,
        services: &[(String, usize)],
        get: impl Fn(&str, usize) -> Get,
    ) -> anyhow::Result<Pair> {
        let distinct = (0..READS)
            .map(|i| &services[i % services.len()])
            .map(|(service, organization)| get(service, *organization))
            .collect();
        let (service, organization) = &services[0];
        let repeated = (0..READS).map(|_| get(service, *organization)).collect();
        Ok(Pair {
            distinct: time_gets(http, distinct).await?,
            repeated: time_gets(http, repeated).await?,
        })
    }

    fn line(&self) -> String {
        let failed = self.distinct.failures.len() + self.repeated.failures.len();
        format!(
            "distinct services p50 {:.1} ms, p99 {:.1} ms; one URL repeated p50 {:.1} ms, p99 {:.1} ms{}",
            self.distinct.p(0.5),
            self.distinct.p(0.99),
            self.repeated.p(0.5),
            self.repeated.p(0.99),
            match self
                .distinct
                .failures
                .first()
                .or(self.repeated.failures.first())
            {
                Some(first) => format!("; {failed} failed, first: {first}"),
                None => String::new(),
            }
        )
    }

    /// Judged on the distinct reads: the database's path, not its caches.
    fn verdict(&self, target: String, bound_ms: f64) -> Verdict {
        let p99 = self.distinct.p(0.99);
        Verdict {
            target,
            measured: format!(
                "p99 {p99:.1} ms (one URL repeated: {:.1} ms); {} failed",
                self.repeated.p(0.99),
                self.distinct.failures.len()
            ),
            met: p99 < bound_ms && self.distinct.failures.is_empty(),
        }
    }
}

/// The 30-day reads: the API's chart and the portal's page.
struct Reads {
    /// The step the chart was asked in, its points per series, and the resolution it read.
    step: &'static str,
    points_per_series: usize,
    resolution: String,
    chart: Pair,
    page: Pair,
}

async fn read_history(
    server: &Server,
    backend: &str,
    history: &History,
    people: &[Person],
) -> anyhow::Result<Reads> {
    let http = browser()?;
    let format = &time::format_description::well_known::Rfc3339;
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0)?;
    let (from, to) = (
        (now - time::Duration::days(HISTORY_DAYS)).format(format)?,
        now.format(format)?,
    );
    let chart_of = |step: &str| {
        let url = server.url.clone();
        let (from, to, step) = (from.clone(), to.clone(), step.to_owned());
        move |service: &str, organization: usize| Get {
            url: format!(
                "{url}/v2/services/{service}/metrics?metric=traffic&from={from}&to={to}&step={step}"
            ),
            credential: (
                AUTHORIZATION,
                format!("Bearer {}", people[organization].token),
            ),
        }
    };
    let (service, organization) = &history.services[0];
    let (step, answer) = thirty_day_step(&http, backend, |step| {
        chart_of(step)(service, *organization)
    })
    .await?;
    eprintln!("{backend}: reading {HISTORY_DAYS} days of traffic in {step} steps ...");
    let chart = Pair::time(&http, &history.services, chart_of(step)).await?;
    eprintln!("{backend}: reading the Network Performance page over {HISTORY_DAYS} days ...");
    let page = Pair::time(&http, &history.services, |service, organization| Get {
        url: format!(
            "{}/portal/services/{service}/performance?range={HISTORY_DAYS}d",
            server.url
        ),
        credential: (COOKIE, people[organization].cookie.clone()),
    })
    .await?;
    Ok(Reads {
        step,
        points_per_series: answer["series"][0]["points"].as_array().map_or(0, Vec::len),
        resolution: answer["resolution"].as_str().unwrap_or("?").to_owned(),
        chart,
        page,
    })
}

/// The step of the 30-day chart, and one answer at it: the five minutes
/// (8,640 points a series) when the API answers that; when it refuses (it
/// answers at most 2,000 points a series), its finest step for 30 days, 30
/// minutes, which still reads every five-minute point.
async fn thirty_day_step(
    http: &reqwest::Client,
    backend: &str,
    get: impl Fn(&str) -> Get,
) -> anyhow::Result<(&'static str, Value)> {
    let refusal = match fetch(http, &get("5m")).await {
        Ok(body) => return Ok(("5m", serde_json::from_str(&body)?)),
        Err(refusal) => refusal,
    };
    println!(
        "{backend}: NOTE: the API refuses {HISTORY_DAYS} days in 5-minute steps ({refusal}); measuring 30-minute steps"
    );
    match fetch(http, &get("30m")).await {
        Ok(body) => Ok(("30m", serde_json::from_str(&body)?)),
        Err(failure) => bail!("{HISTORY_DAYS} days of traffic in 30-minute steps: {failure}"),
    }
}

/// The five-minute points on disk: their table with its indexes, and its rows.
struct Storage {
    bytes: i64,
    points: i64,
}

impl Storage {
    fn bytes_per_point(&self) -> f64 {
        self.bytes as f64 / self.points.max(1) as f64
    }
}

/// SQLite's `dbstat` (its bundled build has it) counts the pages of the table
/// and of every index on it; PostgreSQL's `pg_total_relation_size` the same, with TOAST.
async fn five_minute_storage(db: &Db) -> anyhow::Result<Storage> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT (SELECT SUM(pgsize) FROM dbstat WHERE name IN \
               (SELECT name FROM sqlite_schema WHERE tbl_name = 'metric_points_5m')), \
             (SELECT COUNT(*) FROM metric_points_5m)"
        }
        Backend::Postgres => {
            "SELECT pg_total_relation_size('metric_points_5m'), (SELECT COUNT(*) FROM metric_points_5m)"
        }
    };
    let (bytes, points): (i64, i64) = db.fetch_one(sql, vec![]).await?;
    Ok(Storage { bytes, points })
}
