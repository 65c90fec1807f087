//! `bench alerts`: an alert storm (the monitoring issue's target): 10,000
//! Alertmanager notifications over 1,000 services in 10 seconds, with repeats
//! and flaps, on SQLite and then PostgreSQL.
//!
//! The back office imports 100 organizations with 10 services each; staff issue
//! an integration token. Each service's alert then goes through ten
//! notifications, one a second, interleaved across services (1,000 a second in
//! all, open loop: each is sent at its planned time whatever the answers before
//! it did): firing, two repeats, resolved, firing again (a flap within the flap
//! window, while its case is open), a repeat, resolved, firing, two repeats.
//! Exactly one proactive case per service is right: 1,000.
//!
//! Measured: every notification acknowledged (202), the intake's latency from
//! each notification's planned send time (p50, p99, max), how long after the
//! storm's last notification the 1,000th case exists, and that no service has
//! two.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::Options;
use crate::maintenance::{ORGANIZATIONS, SERVICES_PER_ORGANIZATION, catalog, post};
use crate::processes::Server;

const SERVICES: usize = ORGANIZATIONS * SERVICES_PER_ORGANIZATION;
/// Each alert's notifications, in order: `true` firing, `false` resolved.
const STEPS: [bool; 10] = [true, true, true, false, true, true, false, true, true, true];
/// The storm's length: one step of every alert a second.
const STORM: Duration = Duration::from_secs(STEPS.len() as u64);
/// Requests in flight at most, as a fleet of Alertmanagers would hold.
const IN_FLIGHT: usize = 64;
/// The bounds.
const P99_TARGET_MS: f64 = 50.0;
const CASES_WITHIN: Duration = Duration::from_secs(10);

pub async fn run(root: &Path, binary: &Path, options: &Options) -> anyhow::Result<()> {
    crate::on_each_backend(root, "alerts", options, |database| async move {
        once(binary, options, database.as_deref()).await
    })
    .await
}

/// Alertmanager's webhook body for one alert of service `service`.
fn notification(service: usize, firing: bool, started: &str, now: &str) -> Value {
    let status = if firing { "firing" } else { "resolved" };
    json!({
        "version": "4", "status": status, "receiver": "oneportal",
        "groupKey": format!("{{}}:{{service_id=\"SVC-{service:06}\"}}"),
        "groupLabels": {"service_id": format!("SVC-{service:06}")},
        "alerts": [{
            "status": status,
            "labels": {"alertname": "StormLinkDown", "service_id": format!("SVC-{service:06}"), "severity": "critical"},
            "annotations": {"summary": "Access link down"},
            "startsAt": started,
            "endsAt": if firing { "0001-01-01T00:00:00Z" } else { now },
            "fingerprint": format!("storm{service:06}"),
        }]
    })
}

/// How many proactive cases there are across every organization.
async fn proactive_cases(server: &Server, staff: &str) -> anyhow::Result<i64> {
    let page = server
        .get_json("/ops/v1/cases?origin=Monitoring&limit=1", staff)
        .await?;
    page["pagination"]["total"]
        .as_i64()
        .context("the case list's total")
}

/// Services with more than one proactive case.
async fn duplicates(server: &Server, staff: &str) -> anyhow::Result<usize> {
    let mut per_service: HashMap<String, usize> = HashMap::new();
    let mut offset = 0;
    loop {
        let page = server
            .get_json(
                &format!(
                    "/ops/v1/cases?origin=Monitoring&limit=200&offset={offset}&sort=createdDate"
                ),
                staff,
            )
            .await?;
        let rows = page["data"].as_array().context("cases")?;
        for case in rows {
            let service = case["serviceId"].as_str().unwrap_or_default().to_owned();
            *per_service.entry(service).or_default() += 1;
        }
        if rows.len() < 200 {
            break;
        }
        offset += 200;
    }
    Ok(per_service.values().filter(|n| **n > 1).count())
}

async fn once(
    binary: &Path,
    options: &Options,
    database: Option<&str>,
) -> anyhow::Result<(Value, Vec<crate::targets::Verdict>)> {
    let backend = if database.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
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
        &json!({"name": "Storm"}),
    )
    .await?;
    let token = issued["token"].as_str().context("token")?.to_owned();

    let format = &time::format_description::well_known::Rfc3339;
    let started = time::OffsetDateTime::now_utc().format(format)?;
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let url = format!("{}/ops/v1/alerts/alertmanager", server.url);
    let interval = STORM.as_secs_f64() / (STEPS.len() * SERVICES) as f64;
    eprintln!(
        "{backend}: {} notifications over {} s ...",
        STEPS.len() * SERVICES,
        STORM.as_secs()
    );
    let began = Instant::now();
    let mut sent = Vec::with_capacity(STEPS.len() * SERVICES);
    for (step, firing) in STEPS.iter().enumerate() {
        for service in 1..=SERVICES {
            let n = step * SERVICES + service - 1;
            let planned = began + Duration::from_secs_f64(interval * n as f64);
            tokio::time::sleep_until(planned.into()).await;
            let now = time::OffsetDateTime::now_utc().format(format)?;
            let body = notification(service, *firing, &started, &now);
            let (http, url, token, gate) =
                (server.http(), url.clone(), token.clone(), gate.clone());
            sent.push(tokio::spawn(async move {
                let _permit = gate.acquire_owned().await;
                let answer = http.post(&url).bearer_auth(&token).json(&body).send().await;
                let status = answer.map(|r| r.status().as_u16()).unwrap_or(0);
                (status, planned.elapsed())
            }));
        }
    }
    let mut latencies = Vec::with_capacity(sent.len());
    let mut refused = 0;
    for task in sent {
        let (status, latency) = task.await?;
        if status != 202 {
            refused += 1;
        }
        latencies.push(latency);
    }
    let storm_ended = Instant::now();
    let storm_took = storm_ended - began;
    let cases_after = loop {
        let cases = proactive_cases(&server, &staff).await?;
        if cases >= SERVICES as i64 {
            break Some(storm_ended.elapsed());
        }
        if storm_ended.elapsed() > Duration::from_secs(120) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Let anything still queued land before counting for duplicates.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let cases = proactive_cases(&server, &staff).await?;
    let duplicated = duplicates(&server, &staff).await?;

    latencies.sort();
    let quantile = |q: f64| {
        latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    let (p50, p99, max) = (quantile(0.5), quantile(0.99), quantile(1.0));
    let rate = latencies.len() as f64 / storm_took.as_secs_f64();
    println!(
        "\n{backend}: alert storm, {} Alertmanager notifications over {SERVICES} services:\n  \
         sent in {:.1} s ({rate:.0}/s), {refused} not acknowledged\n  \
         intake latency from planned send: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms\n  \
         proactive cases: {cases} (expected {SERVICES}), services with more than one: {duplicated}\n  \
         the {SERVICES}th case existed {} after the storm's last notification",
        latencies.len(),
        storm_took.as_secs_f64(),
        match cases_after {
            Some(after) => format!("{:.2} s", after.as_secs_f64()),
            None => "not within 120 s".into(),
        }
    );
    let figures = json!({
        "notifications": latencies.len(),
        "services": SERVICES,
        "stormSeconds": storm_took.as_secs_f64(),
        "notAcknowledged": refused,
        "intakeMs": {"p50": p50, "p99": p99, "max": max},
        "cases": cases,
        "servicesWithDuplicateCases": duplicated,
        "casesCompleteAfterStormMs": cases_after.map(|d| d.as_secs_f64() * 1000.0),
    });
    let verdicts = vec![
        crate::targets::Verdict {
            target: format!(
                "{backend}: every storm notification acknowledged, intake p99 under {P99_TARGET_MS} ms"
            ),
            measured: format!("{refused} refused; p99 {p99:.1} ms"),
            met: refused == 0 && p99 < P99_TARGET_MS,
        },
        crate::targets::Verdict {
            target: format!(
                "{backend}: exactly {SERVICES} cases within {} s of the storm's end, no duplicates",
                CASES_WITHIN.as_secs()
            ),
            measured: format!(
                "{cases} cases, {duplicated} duplicated, complete after {}",
                cases_after.map_or("—".into(), |d| format!("{:.2} s", d.as_secs_f64()))
            ),
            met: cases == SERVICES as i64
                && duplicated == 0
                && cases_after.is_some_and(|d| d <= CASES_WITHIN),
        },
    ];
    if refused > 0 {
        eprintln!("{backend}: {refused} notifications were not acknowledged");
    }
    if cases_after.is_none() {
        bail!("{backend}: the storm's cases were not all opened within 120 s");
    }
    Ok((figures, verdicts))
}
