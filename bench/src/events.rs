//! `bench events`: webhooks and the event feed under load (the events issue),
//! on SQLite and then PostgreSQL.
//!
//! 100 organizations, each with its own developer, service and one webhook
//! endpoint subscribed to `case.created`, pointing at a receiver in this
//! process that answers 200 at once. The load opens cases through
//! `POST /v2/cases` at a fixed rate (500 a second by default), spread over the
//! organizations, so every event is one delivery. For each case the receiver's
//! first arrival is compared with the moment the API acknowledged the case
//! (its transaction had committed): that is commit → first attempt.
//!
//! The same load runs again with 10 of the 100 endpoints answering nothing
//! (the server gives up after its 15 s limit), and the healthy endpoints'
//! latency is compared with the first run's. Last, `oha` pages `GET /v2/events`
//! of one organization with distinct cursors and limits (nothing repeats into a
//! cache: the feed has none).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::load::{self, Load, Measurement};
use crate::processes::{self, Server};
use crate::{Options, print_table, write_report};

const ORGANIZATIONS: usize = 100;
const TIMING_OUT: usize = 10;
/// Events a second the issue asks to sustain.
const RATE: u32 = 500;
/// How long the issue asks to sustain it, unless `--seconds` says otherwise.
const DEFAULT_SECONDS: u64 = 60;

pub const HEALTHY_ROW: &str = "webhooks: commit → first attempt, 100 endpoints";
pub const WITH_TIMEOUTS_ROW: &str = "webhooks: the 90 healthy, while 10 time out";
pub const HEALTHY_SAME_ROW: &str = "webhooks: the same 90, first run";
pub const FEED_ROW: &str = "GET /v2/events?after=…&limit=… (distinct)";

/// One customer of the benchmark.
struct Org {
    token: String,
    service: String,
    endpoint: String,
}

/// When each case's first delivery arrived, per endpoint index.
#[derive(Default)]
struct Arrivals {
    first: Mutex<HashMap<String, Instant>>,
}

async fn received(State(arrivals): State<Arc<Arrivals>>, body: String) -> &'static str {
    let at = Instant::now();
    if let Ok(event) = serde_json::from_str::<Value>(&body)
        && let Some(case) = event["data"]["caseId"].as_str()
    {
        arrivals
            .first
            .lock()
            .unwrap()
            .entry(case.to_owned())
            .or_insert(at);
    }
    ""
}

/// An endpoint that never answers in time.
async fn hangs(UrlPath(_n): UrlPath<usize>) -> &'static str {
    tokio::time::sleep(Duration::from_secs(60)).await;
    ""
}

async fn start_receiver() -> anyhow::Result<(u16, Arc<Arrivals>)> {
    let arrivals = Arc::new(Arrivals::default());
    let app = Router::new()
        .route("/ok/{n}", post(received))
        .route("/slow/{n}", post(hangs))
        .with_state(arrivals.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((port, arrivals))
}

/// Both backends, one after the other; prints each table and the verdicts.
pub async fn run(root: &Path, oha: &Path, binary: &Path, options: &Options) -> anyhow::Result<()> {
    let mut report = json!({});
    let mut verdicts = Vec::new();
    // `--database-url` alone measures that PostgreSQL only.
    if options.database_url.is_none() {
        let sqlite = once(oha, binary, options, None).await?;
        verdicts.extend(judge("SQLite", &sqlite));
        report["sqlite"] = json!(sqlite);
    }
    match options
        .database_url
        .clone()
        .or_else(processes::fresh_bench_database)
    {
        Some(url) => {
            let pg = once(oha, binary, options, Some(&url)).await?;
            verdicts.extend(judge("PostgreSQL", &pg));
            report["postgres"] = json!(pg);
        }
        None => println!("NOTE: PostgreSQL is not reachable, so its half was NOT run."),
    }
    crate::targets::print(&verdicts);
    report["targets"] = json!(verdicts);
    write_report(root, "events", &report)
}

async fn once(
    oha: &Path,
    binary: &Path,
    options: &Options,
    database: Option<&str>,
) -> anyhow::Result<Vec<Measurement>> {
    let backend = if database.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let seconds = options.seconds_given.unwrap_or(DEFAULT_SECONDS);
    let (port, arrivals) = start_receiver().await?;
    let server = Server::start_with(
        binary,
        &options.algorithm,
        database,
        &[
            ("ONEPORTAL_WEBHOOKS__ALLOW_HTTP", "true"),
            ("ONEPORTAL_WEBHOOKS__ALLOWED_NETWORKS", "[\"127.0.0.0/8\"]"),
        ],
    )
    .await?;
    eprintln!(
        "{backend}: making {ORGANIZATIONS} organizations with a developer, a service and an endpoint ..."
    );
    let mut orgs = Vec::new();
    for n in 0..ORGANIZATIONS {
        orgs.push(customer(&server, n, port).await?);
    }

    let mut rows = Vec::new();
    eprintln!("{backend}: {RATE} events/s for {seconds} s, every endpoint healthy ...");
    let healthy = drive(&server, &orgs, seconds, &arrivals).await?;
    let all: Vec<usize> = (0..ORGANIZATIONS).collect();
    let steady: Vec<usize> = (TIMING_OUT..ORGANIZATIONS).collect();
    rows.push(healthy.measure(HEALTHY_ROW, &all, &arrivals));
    let healthy_same = healthy.measure(HEALTHY_SAME_ROW, &steady, &arrivals);

    for org in &orgs[..TIMING_OUT] {
        let response = server
            .http()
            .patch(format!(
                "{}/v2/webhook-endpoints/{}",
                server.url, org.endpoint
            ))
            .bearer_auth(&org.token)
            .json(&json!({ "url": format!("http://127.0.0.1:{port}/slow/0") }))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!(
                "pointing an endpoint at the hanging URL answered {}",
                response.status()
            );
        }
    }
    eprintln!("{backend}: again, with {TIMING_OUT} endpoints timing out ...");
    let slowed = drive(&server, &orgs, seconds, &arrivals).await?;
    rows.push(slowed.measure(WITH_TIMEOUTS_ROW, &steady, &arrivals));
    rows.push(healthy_same);

    // The feed is measured on a quiet server: the hanging endpoints go, and what
    // the others still had queued arrives first.
    for org in &orgs[..TIMING_OUT] {
        server
            .http()
            .delete(format!(
                "{}/v2/webhook-endpoints/{}",
                server.url, org.endpoint
            ))
            .bearer_auth(&org.token)
            .send()
            .await?;
    }
    slowed
        .wait_for_deliveries(&arrivals, Duration::from_secs(120))
        .await;
    let feed = feed_load(
        &server,
        &orgs[TIMING_OUT].token,
        2 * RATE as u64 * seconds / ORGANIZATIONS as u64,
    );
    rows.push(feed.run(
        oha,
        FEED_ROW,
        options.connections,
        options.duration,
        server.pid(),
    )?);

    print_table(&rows);
    println!(
        "{backend}: {ORGANIZATIONS} organizations with one endpoint each (case.created), {RATE} cases/s for {seconds} s per run \
         through POST /v2/cases; latency = the receiver's first arrival − the API's 201; \
         'ok %' of a webhook row = cases whose delivery arrived within 30 s; requests/s = deliveries/s"
    );
    crate::print_load_line(options);
    Ok(rows)
}

/// Organization `n`: its developer's token, a service, and an endpoint at the receiver.
async fn customer(server: &Server, n: usize, port: u16) -> anyhow::Result<Org> {
    let email = format!("events{n}@example.test");
    let organization = format!("Events Org {n}");
    server.cli(&["seed", "--cases", "0", "--organization", &organization])?;
    server.cli(&[
        "users",
        "create",
        "--email",
        &email,
        "--first-name",
        "Event",
        "--last-name",
        "Bench",
        "--organization",
        &organization,
        "--permissions",
        "all",
    ])?;
    let token = server.cli(&["users", "token", "--email", &email, "--ttl", "3600"])?;
    let service = server.get_json("/v2/services?limit=1", &token).await?["data"][0]["serviceId"]
        .as_str()
        .context("a service")?
        .to_owned();
    let response = server
        .http()
        .post(format!("{}/v2/webhook-endpoints", server.url))
        .bearer_auth(&token)
        .json(&json!({
            "url": format!("http://127.0.0.1:{port}/ok/{n}"),
            "description": "bench",
            "eventTypes": ["case.created"],
        }))
        .send()
        .await?;
    if response.status() != 201 {
        bail!(
            "adding an endpoint answered {}: {}",
            response.status(),
            response.text().await?
        );
    }
    let endpoint: Value = response.json().await?;
    Ok(Org {
        token,
        service,
        endpoint: endpoint["endpointId"]
            .as_str()
            .context("an endpoint id")?
            .to_owned(),
    })
}

/// What one run of the load produced: each acknowledged case with its organization.
struct Run {
    acks: Vec<(usize, String, Instant)>,
    sent: usize,
    refused: usize,
    wall: Duration,
    cpu_cores: f64,
    peak_rss_kib: u64,
}

/// Opens cases at [`RATE`] a second for `seconds`, round robin over the
/// organizations; then waits (up to 30 s) for their deliveries.
async fn drive(
    server: &Server,
    orgs: &[Org],
    seconds: u64,
    arrivals: &Arc<Arrivals>,
) -> anyhow::Result<Run> {
    // Its own client: the connections it opens close when the run ends, before `oha` opens its own.
    let client = reqwest::Client::new();
    let acks = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(Mutex::new(0usize));
    let in_flight = Arc::new(Semaphore::new(256));
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / u64::from(RATE)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total = RATE as usize * seconds as usize;
    let cpu_before = load::cpu_ticks(server.pid())?;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        tick.tick().await;
        let n = i % orgs.len();
        let permit = in_flight.clone().acquire_owned().await?;
        let (http, url) = (client.clone(), format!("{}/v2/cases", server.url));
        let token = orgs[n].token.clone();
        let body = json!({"type": "NonIncident", "subject": "InformationRequest", "priority": "P4",
            "serviceId": orgs[n].service, "message": "Load test: please ignore."});
        let (acks, refused) = (acks.clone(), refused.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let answer = http.post(url).bearer_auth(token).json(&body).send().await;
            let at = Instant::now();
            match answer {
                Ok(response) if response.status() == 201 => {
                    if let Ok(case) = response.json::<Value>().await
                        && let Some(id) = case["caseId"].as_str()
                    {
                        acks.lock().unwrap().push((n, id.to_owned(), at));
                    }
                }
                _ => *refused.lock().unwrap() += 1,
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let wall = started.elapsed();
    let cpu = (load::cpu_ticks(server.pid())? - cpu_before) as f64 / load::ticks_per_second();
    let acks = std::mem::take(&mut *acks.lock().unwrap());
    let refused = *refused.lock().unwrap();
    let run = Run {
        acks,
        sent: total,
        refused,
        wall,
        cpu_cores: cpu / wall.as_secs_f64(),
        peak_rss_kib: load::status_kib(server.pid(), "VmHWM").unwrap_or_default(),
    };
    run.wait_for_deliveries(arrivals, Duration::from_secs(30))
        .await;
    Ok(run)
}

impl Run {
    /// Waits until every case of a healthy endpoint has arrived, or `longest`.
    async fn wait_for_deliveries(&self, arrivals: &Arrivals, longest: Duration) {
        let deadline = Instant::now() + longest;
        while Instant::now() < deadline {
            let missing = {
                let arrived = arrivals.first.lock().unwrap();
                self.acks
                    .iter()
                    .filter(|(n, id, _)| *n >= TIMING_OUT && !arrived.contains_key(id))
                    .count()
            };
            if missing == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Commit → first attempt for the cases of the endpoints in `endpoints`.
    fn measure(&self, name: &str, endpoints: &[usize], arrivals: &Arrivals) -> Measurement {
        let arrived = arrivals.first.lock().unwrap();
        let mut latencies = Vec::new();
        let mut expected = 0;
        for (n, id, acked) in &self.acks {
            if !endpoints.contains(n) {
                continue;
            }
            expected += 1;
            if let Some(at) = arrived.get(id) {
                latencies.push(at.saturating_duration_since(*acked).as_secs_f64() * 1000.0);
            }
        }
        latencies.sort_by(f64::total_cmp);
        let percentile = |p: f64| {
            latencies
                .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or(f64::NAN)
        };
        Measurement {
            name: name.to_owned(),
            requests_per_sec: latencies.len() as f64 / self.wall.as_secs_f64(),
            p50_ms: percentile(0.50),
            p99_ms: percentile(0.99),
            success_percent: if expected == 0 {
                0.0
            } else {
                latencies.len() as f64 * 100.0 / expected as f64
            },
            status_codes: json!({
                "casesAsked": self.sent,
                "casesRefused": self.refused,
                "deliveriesExpected": expected,
                "deliveriesArrived": latencies.len(),
            }),
            server_cpu_cores: self.cpu_cores,
            peak_rss_kib: self.peak_rss_kib,
        }
    }
}

/// `oha` over distinct feed pages: every `after` the organization has, and limits 1–99.
fn feed_load(server: &Server, token: &str, events: u64) -> Load {
    // oha's generator takes '.' literally ("dot is disabled"); '?' needs escaping.
    let base = &server.url;
    // 0 up to the organization's last sequence (leading zeros parse the same).
    let after = match events.saturating_sub(1) / 100 {
        0 => "[0-9]?[0-9]".to_owned(),
        h => format!("[0-{}]?[0-9]?[0-9]", h.min(9)),
    };
    Load::get_with_bearer_regex(
        &format!(r"{base}/v2/events\?after={after}&limit=[1-9][0-9]?"),
        token,
    )
}

/// The issue's targets for this run.
fn judge(backend: &str, rows: &[Measurement]) -> Vec<crate::targets::Verdict> {
    let row = |name: &str| rows.iter().find(|r| r.name == name);
    let mut verdicts = Vec::new();
    if let Some(healthy) = row(HEALTHY_ROW) {
        verdicts.push(crate::targets::Verdict {
            target: format!(
                "{backend}: commit → first attempt p50 < 100 ms and p99 < 1 s at {RATE} events/s"
            ),
            measured: format!(
                "p50 {:.1} ms, p99 {:.1} ms, {:.1} % delivered",
                healthy.p50_ms, healthy.p99_ms, healthy.success_percent
            ),
            met: healthy.p50_ms < 100.0
                && healthy.p99_ms < 1000.0
                && healthy.success_percent > 99.9,
        });
    }
    if let (Some(before), Some(after)) = (row(HEALTHY_SAME_ROW), row(WITH_TIMEOUTS_ROW)) {
        verdicts.push(crate::targets::Verdict {
            target: format!(
                "{backend}: with {TIMING_OUT} endpoints timing out, the healthy p99 rises < 100 ms"
            ),
            measured: format!("p99 {:.1} ms → {:.1} ms", before.p99_ms, after.p99_ms),
            met: after.p99_ms - before.p99_ms < 100.0,
        });
    }
    if let Some(feed) = row(FEED_ROW) {
        verdicts.push(crate::targets::Verdict {
            target: format!("{backend}: GET /v2/events on distinct cursors ≥ 10,000 requests/s"),
            measured: format!(
                "{:.0} requests/s, p99 {:.1} ms, {:.1} % answered",
                feed.requests_per_sec, feed.p99_ms, feed.success_percent
            ),
            met: feed.requests_per_sec >= 10_000.0 && feed.success_percent > 99.9,
        });
    }
    verdicts
}
