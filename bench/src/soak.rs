//! Soak: ten minutes (by default) of mixed traffic at a fixed rate against one
//! server — token requests, case lists and details, new cases, replies and
//! withdrawals, and portal pages — on SQLite, or PostgreSQL with `--database-url`.
//! The customer withdraws its cases about five seconds after opening them, so
//! the number of open cases holds steady, as it does for a real customer: a
//! soak looks for leaks and slowdowns at a steady state, and pages that count
//! open cases would otherwise grow with every case the soak opened. Prints errors
//! and latency minute by minute and the server's memory at the start and the
//! end; fails when any request failed, memory grew by more than 10%, or the
//! median latency more than doubled. Case lists vary their status set, sort and
//! limit from request to request, so that most miss the response cache.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::StatusCode;
use serde_json::json;

use crate::processes::{PASSWORD, Server};
use crate::{Options, write_report};

/// Memory may move by this much between the end of warm-up and the end.
const MEMORY_TOLERANCE: f64 = 0.10;
/// The last minute's median may be at most this many times the first's (plus
/// [`LATENCY_SLACK_MS`] for timer noise). A server that slows as its data grows
/// fails here even with no errors, as a case list once did.
const LATENCY_GROWTH: f64 = 2.0;
const LATENCY_SLACK_MS: f64 = 1.0;
/// Traffic before the starting memory is read: caches and pools fill first
/// (after 30 s, the server's memory still rose by about 8 MB in the next 15 s).
const WARM_UP: Duration = Duration::from_secs(60);
/// The soak's cases kept open for replies and reads; older ones are withdrawn.
/// One case opens every 50 ms at 200 requests/s, so a case is withdrawn about
/// five seconds after it opened, long after any reply to it was answered.
const OPEN_CASES: usize = 100;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What one request does; the mix repeats every 20 requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Token,
    CaseList,
    CaseDetail,
    NewCase,
    Reply,
    Withdraw,
    PortalPage,
}

const MIX: [Kind; 20] = {
    use Kind::*;
    [
        CaseList, CaseDetail, Token, CaseList, PortalPage, CaseDetail, NewCase, CaseList, Reply,
        CaseDetail, Withdraw, PortalPage, Token, CaseDetail, CaseList, NewCase, CaseDetail, Reply,
        Withdraw, PortalPage,
    ]
};

/// Latencies and failures of one minute.
#[derive(Default)]
struct Minute {
    latencies_ms: Vec<f64>,
    by_kind_ms: BTreeMap<Kind, Vec<f64>>,
    failures: BTreeMap<String, u64>,
}

struct Traffic {
    http: reqwest::Client,
    base: String,
    client_id: String,
    secret: String,
    token: String,
    service: String,
    /// The cases the soak opened, newest last: replies go to the newest, so
    /// that no one case grows without end, and detail reads to any of them; the
    /// oldest beyond [`OPEN_CASES`] are withdrawn.
    cases: Mutex<VecDeque<String>>,
    portal_cookie: String,
}

pub async fn run(root: &Path, binary: &Path, options: &Options) -> anyhow::Result<()> {
    let server = Server::start(binary, "ES256", options.database_url.as_deref()).await?;
    server.cli(&[
        "seed",
        "--cases",
        "10000",
        "--organization",
        "Benchmark Org",
    ])?;
    let traffic = Arc::new(prepare(&server).await?);
    let minutes = options.soak_minutes.max(1);
    let rate = options.soak_rate.max(1);
    println!(
        "soak: {minutes} min at {rate} requests/s of mixed traffic (after {} s of warm-up)",
        WARM_UP.as_secs()
    );

    drive(&traffic, rate, WARM_UP, None).await;
    let start_kib = server.rss_kib();
    let stats: Arc<Mutex<Vec<Minute>>> = Arc::new(Mutex::new(
        (0..minutes).map(|_| Minute::default()).collect(),
    ));
    let mut samples = vec![(0.0, start_kib)];
    let started = Instant::now();
    let sampled = Arc::new(Mutex::new(Vec::new()));
    let sampler = {
        let sampled = sampled.clone();
        let pid = server.pid();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(15)).await;
                let kib = crate::load::status_kib(pid, "VmRSS").unwrap_or_default();
                sampled
                    .lock()
                    .unwrap()
                    .push((started.elapsed().as_secs_f64(), kib));
            }
        })
    };
    drive(
        &traffic,
        rate,
        Duration::from_secs(minutes * 60),
        Some(stats.clone()),
    )
    .await;
    sampler.abort();
    let end_kib = server.rss_kib();
    samples.extend(sampled.lock().unwrap().iter().copied());
    samples.push((started.elapsed().as_secs_f64(), end_kib));

    let stats = std::mem::take(&mut *stats.lock().unwrap());
    report(root, &stats, start_kib, end_kib, &samples, options)
}

/// A client with every scope, a token, a service and a case to work on, and a portal session.
async fn prepare(server: &Server) -> anyhow::Result<Traffic> {
    let (client_id, secret) = server.create_client().await?;
    let token = server.access_token(&client_id, &secret).await?;
    let service = server.get_json("/v2/services?limit=1", &token).await?["data"][0]["serviceId"]
        .as_str()
        .context("a service")?
        .to_owned();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    // A case of its own to read and reply to: a generated one may be closed.
    let opened = http
        .post(format!("{}/v2/cases", server.url))
        .bearer_auth(&token)
        .json(
            &json!({"type": "NonIncident", "subject": "InformationRequest", "priority": "P4",
            "serviceId": service, "message": "Soak test case: please ignore."}),
        )
        .send()
        .await?;
    if opened.status() != StatusCode::CREATED {
        bail!("opening the soak case answered {}", opened.status());
    }
    let case = opened.json::<serde_json::Value>().await?["caseId"]
        .as_str()
        .context("the soak case's id")?
        .to_owned();
    let portal_cookie = portal_login(&http, &server.url, "bench@example.test").await?;
    Ok(Traffic {
        http,
        base: server.url.clone(),
        client_id,
        secret,
        token,
        service,
        cases: Mutex::new(VecDeque::from([case])),
        portal_cookie,
    })
}

/// Logs `email` (a user with [`PASSWORD`]) in to the portal the way a browser
/// does; returns its cookie. `http` must not follow redirects.
pub(crate) async fn portal_login(
    http: &reqwest::Client,
    base: &str,
    email: &str,
) -> anyhow::Result<String> {
    let form = http.get(format!("{base}/portal/login")).send().await?;
    let mut cookies = set_cookies(&form);
    let page = form.text().await?;
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).context("the login form's CSRF field")? + marker.len();
    let csrf = &page[start..start + page[start..].find('"').context("CSRF value")?];
    let answer = http
        .post(format!("{base}/portal/login"))
        .header("Cookie", cookies.join("; "))
        .header("Origin", base)
        .form(&[
            ("csrf_token", csrf),
            ("email", email),
            ("password", PASSWORD),
            ("next", "/portal/"),
        ])
        .send()
        .await?;
    if answer.status() != StatusCode::SEE_OTHER {
        bail!("portal login answered {}", answer.status());
    }
    cookies.extend(set_cookies(&answer));
    Ok(cookies.join("; "))
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter(|pair| !pair.ends_with('='))
        .map(str::to_owned)
        .collect()
}

/// Sends requests at `rate` per second for `length`, recording into `stats` when given.
async fn drive(
    traffic: &Arc<Traffic>,
    rate: u32,
    length: Duration,
    stats: Option<Arc<Mutex<Vec<Minute>>>>,
) {
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut in_flight = tokio::task::JoinSet::new();
    let mut n = 0usize;
    while started.elapsed() < length {
        ticks.tick().await;
        let kind = MIX[n % MIX.len()];
        n += 1;
        let traffic = traffic.clone();
        let stats = stats.clone();
        in_flight.spawn(async move {
            let sent = Instant::now();
            let outcome = send(&traffic, kind, n).await;
            let Some(stats) = stats else { return };
            let minute = (started.elapsed().as_secs() / 60) as usize;
            let mut stats = stats.lock().unwrap();
            let Some(slot) = stats.get_mut(minute) else {
                return;
            };
            match outcome {
                Ok(()) => {
                    let ms = sent.elapsed().as_secs_f64() * 1000.0;
                    slot.latencies_ms.push(ms);
                    slot.by_kind_ms.entry(kind).or_default().push(ms);
                }
                Err(failure) => *slot.failures.entry(failure).or_default() += 1,
            }
        });
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
}

/// The `n`th request's case list: a status set, a documented sort and a limit
/// of its own, so that most lists miss the response cache, as real traffic does.
fn distinct_list(n: usize) -> String {
    use crate::cases::{SORTS, STATUS_SETS as STATUSES};
    format!(
        "/v2/cases?status={}&sort={}&limit={}",
        STATUSES[n % STATUSES.len()],
        SORTS[(n / STATUSES.len()) % SORTS.len()],
        10 + (n * 7919) % 90
    )
}

/// One request of `kind`; `Err` names what failed.
async fn send(traffic: &Traffic, kind: Kind, n: usize) -> Result<(), String> {
    let http = &traffic.http;
    let url = |path: &str| format!("{}{path}", traffic.base);
    let case = traffic
        .cases
        .lock()
        .unwrap()
        .back()
        .cloned()
        .unwrap_or_default();
    let request = match kind {
        Kind::Token => http
            .post(url("/oauth2/token"))
            .basic_auth(&traffic.client_id, Some(&traffic.secret))
            .form(&[("grant_type", "client_credentials")]),
        Kind::CaseList => http.get(url(&distinct_list(n))).bearer_auth(&traffic.token),
        Kind::CaseDetail => {
            // Any of the cases the soak keeps open, not always the same one.
            let case = {
                let cases = traffic.cases.lock().unwrap();
                cases.get(n % cases.len().max(1)).cloned().unwrap_or(case)
            };
            http.get(url(&format!("/v2/cases/{case}")))
                .bearer_auth(&traffic.token)
        }
        Kind::NewCase => http
            .post(url("/v2/cases"))
            .bearer_auth(&traffic.token)
            .json(
                &json!({"type": "NonIncident", "subject": "InformationRequest",
                "priority": "P4", "serviceId": traffic.service,
                "message": format!("Soak test request {n}: please ignore.")}),
            ),
        Kind::Reply => http
            .post(url(&format!("/v2/cases/{case}/communications")))
            .bearer_auth(&traffic.token)
            .json(&json!({"message": format!("Soak test reply {n}.")})),
        Kind::Withdraw => {
            let oldest = {
                let mut cases = traffic.cases.lock().unwrap();
                if cases.len() > OPEN_CASES {
                    cases.pop_front()
                } else {
                    None
                }
            };
            match oldest {
                Some(oldest) => http
                    .post(url(&format!("/v2/cases/{oldest}/cancel")))
                    .bearer_auth(&traffic.token)
                    .json(&json!({"reason": "Soak test: no longer needed."})),
                // Too few open yet: read instead, to keep the rate.
                None => http
                    .get(url(&format!("/v2/cases/{case}")))
                    .bearer_auth(&traffic.token),
            }
        }
        Kind::PortalPage => http
            .get(url(if n.is_multiple_of(2) {
                "/portal/support"
            } else {
                "/portal/services"
            }))
            .header("Cookie", &traffic.portal_cookie),
    };
    match request.send().await {
        Ok(response) if response.status().is_success() => {
            // Read the whole body: a response is only done when its body is.
            let body = response
                .bytes()
                .await
                .map_err(|e| format!("{kind:?}: body: {e}"))?;
            if kind == Kind::NewCase
                && let Ok(opened) = serde_json::from_slice::<serde_json::Value>(&body)
                && let Some(id) = opened["caseId"].as_str()
            {
                traffic.cases.lock().unwrap().push_back(id.to_owned());
            }
            Ok(())
        }
        Ok(response) => Err(format!("{kind:?}: HTTP {}", response.status())),
        Err(error) if error.is_timeout() => Err(format!("{kind:?}: timed out")),
        Err(error) => Err(format!("{kind:?}: {error}")),
    }
}

/// Prints p50 and p99 per kind of request in the first and the last minute, so
/// that a slowdown names what slowed; returns the same as JSON.
fn latency_by_kind(stats: &[Minute]) -> serde_json::Value {
    let (Some(first), Some(last)) = (stats.first(), stats.last()) else {
        return json!({});
    };
    let figures = |minute: &Minute, kind: &Kind| {
        let mut sorted = minute.by_kind_ms.get(kind).cloned().unwrap_or_default();
        sorted.sort_by(f64::total_cmp);
        (percentile(&sorted, 0.5), percentile(&sorted, 0.99))
    };
    println!();
    println!(
        "{:>12} {:>20} {:>20}",
        "p50 / p99 ms", "first minute", "last minute"
    );
    let mut kinds = serde_json::Map::new();
    for kind in first.by_kind_ms.keys() {
        let ((p50, p99), (last_p50, last_p99)) = (figures(first, kind), figures(last, kind));
        println!(
            "{:>12} {:>9.2} / {:>8.2} {:>9.2} / {:>8.2}",
            format!("{kind:?}"),
            p50,
            p99,
            last_p50,
            last_p99
        );
        kinds.insert(
            format!("{kind:?}"),
            json!({"firstMinute": {"p50Ms": p50, "p99Ms": p99}, "lastMinute": {"p50Ms": last_p50, "p99Ms": last_p99}}),
        );
    }
    serde_json::Value::Object(kinds)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(
    root: &Path,
    stats: &[Minute],
    start_kib: u64,
    end_kib: u64,
    samples: &[(f64, u64)],
    options: &Options,
) -> anyhow::Result<()> {
    println!();
    println!(
        "{:>6} {:>9} {:>8} {:>8} {:>8}  failures",
        "minute", "requests", "p50 ms", "p99 ms", "max ms"
    );
    let mut minutes = Vec::new();
    let mut medians = Vec::new();
    let mut failed = 0;
    for (i, minute) in stats.iter().enumerate() {
        let mut sorted = minute.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let failures: u64 = minute.failures.values().sum();
        failed += failures;
        let (p50, p99, max) = (
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.99),
            sorted.last().copied().unwrap_or(f64::NAN),
        );
        println!(
            "{:>6} {:>9} {:>8.2} {:>8.2} {:>8.1}  {}",
            i + 1,
            sorted.len() as u64 + failures,
            p50,
            p99,
            max,
            if failures == 0 {
                "0".to_owned()
            } else {
                format!("{failures} {:?}", minute.failures)
            }
        );
        medians.push(p50);
        minutes.push(
            json!({"minute": i + 1, "ok": sorted.len(), "failures": minute.failures,
            "p50Ms": p50, "p99Ms": p99, "maxMs": max}),
        );
    }
    let by_kind = latency_by_kind(stats);
    let growth = end_kib as f64 / start_kib.max(1) as f64 - 1.0;
    println!(
        "server memory (RSS): {:.1} MB after warm-up, {:.1} MB at the end ({:+.1}%); samples every 15 s: {}",
        start_kib as f64 / 1024.0,
        end_kib as f64 / 1024.0,
        growth * 100.0,
        samples
            .iter()
            .map(|(_, kib)| format!("{:.0}", *kib as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let backend = if options.database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    write_report(
        root,
        &format!("soak-{backend}"),
        &json!({
            "minutes": options.soak_minutes,
            "ratePerSecond": options.soak_rate,
            "perMinute": minutes,
            "byKind": by_kind,
            "failures": failed,
            "startMemoryKiB": start_kib,
            "endMemoryKiB": end_kib,
            "memorySamplesKiB": samples,
        }),
    )?;
    if failed > 0 {
        bail!("{failed} requests failed during the soak");
    }
    if let (Some(first), Some(last)) = (medians.first(), medians.last())
        && *last > first * LATENCY_GROWTH + LATENCY_SLACK_MS
    {
        bail!(
            "the median latency grew from {first:.2} ms in the first minute to {last:.2} ms in the last (allowed {LATENCY_GROWTH}× + {LATENCY_SLACK_MS} ms)"
        );
    }
    if growth > MEMORY_TOLERANCE {
        bail!(
            "memory grew by {:.1}% (allowed {:.0}%)",
            growth * 100.0,
            MEMORY_TOLERANCE * 100.0
        );
    }
    println!(
        "soak passed: no failures, memory within {:.0}%, median latency within {LATENCY_GROWTH}× of the first minute's",
        MEMORY_TOLERANCE * 100.0
    );
    Ok(())
}
