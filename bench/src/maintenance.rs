//! `bench maintenance`: one maintenance announced on 1,000 services of 100
//! organizations (the maintenance issue's target: every notice queued within
//! 10 s of publication), on SQLite and then PostgreSQL.
//!
//! The back office imports 100 organizations with 10 services each; each gets
//! one person with every permission (so every organization is owed one e-mail,
//! with its calendar entry). Staff then announce one maintenance on all 1,000
//! services through `POST /ops/v1/maintenances`. Measured: how long the
//! announcement takes to be acknowledged (its events are written in that same
//! transaction), and how long until the last of the 100 e-mails is in the
//! outbox, read through `GET /ops/v1/outbox`. Repeated `ROUNDS` times, each
//! with a new maintenance, for medians rather than one sample.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::Options;
use crate::processes::Server;

pub(crate) const ORGANIZATIONS: usize = 100;
pub(crate) const SERVICES_PER_ORGANIZATION: usize = 10;
const ROUNDS: usize = 5;
/// The bound: every notice queued within this long of publication.
const TARGET: Duration = Duration::from_secs(10);

pub async fn run(root: &Path, binary: &Path, options: &Options) -> anyhow::Result<()> {
    crate::on_each_backend(root, "maintenance", options, |database| async move {
        let (figures, verdict) = once(binary, options, database.as_deref()).await?;
        Ok((figures, vec![verdict]))
    })
    .await
}

/// The import document: organization `n` with accounts, a site and its services.
pub(crate) fn catalog() -> Value {
    let organizations: Vec<Value> = (0..ORGANIZATIONS)
        .map(|n| {
            let services: Vec<Value> = (0..SERVICES_PER_ORGANIZATION)
                .map(|s| {
                    json!({"ref": format!("V-{s}"), "serviceName": format!("Link {s}"),
                           "serviceType": "GlobalInternet", "status": "RFS", "contractAccountRef": "C",
                           "deliveryAccountRef": "D", "siteRef": "S", "downstreamMbps": 1000})
                })
                .collect();
            json!({"ref": format!("mnt-bench-{n}"), "name": format!("Maintenance Org {n}"),
                   "accounts": [{"ref": "C", "type": "Contract", "name": "Contract", "country": "NL"},
                                {"ref": "D", "type": "Delivery", "name": "Delivery", "country": "NL"}],
                   "sites": [{"ref": "S", "accountRef": "D", "name": "PoP", "country": "NL"}],
                   "services": services})
        })
        .collect();
    json!({ "organizations": organizations })
}

pub(crate) async fn post(
    server: &Server,
    path: &str,
    token: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    let response = server
        .http()
        .post(format!("{}{path}", server.url))
        .bearer_auth(token)
        .json(body)
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("POST {path} answered {status}: {text}");
    }
    Ok(serde_json::from_str(&text)?)
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
    let server = Server::start(binary, &options.algorithm, database).await?;
    let staff = server.staff_token()?;
    eprintln!(
        "{backend}: importing {ORGANIZATIONS} organizations with {SERVICES_PER_ORGANIZATION} services each, and a person in each ..."
    );
    post(&server, "/ops/v1/imports", &staff, &catalog()).await?;
    let mut services = Vec::new();
    for n in 0..ORGANIZATIONS {
        let email = format!("noc{n}@customer.example");
        server.cli(&[
            "users",
            "create",
            "--email",
            &email,
            "--first-name",
            "Network",
            "--last-name",
            "Engineer",
            "--organization",
            &format!("Maintenance Org {n}"),
            "--permissions",
            "all",
        ])?;
        let token = server.cli(&["users", "token", "--email", &email, "--ttl", "3600"])?;
        let page = server.get_json("/v2/services?limit=200", &token).await?;
        for service in page["data"].as_array().context("services")? {
            services.push(json!({"serviceId": service["serviceId"], "impact": "OUTAGE"}));
        }
    }
    if services.len() != ORGANIZATIONS * SERVICES_PER_ORGANIZATION {
        bail!("expected 1,000 services, found {}", services.len());
    }

    let mut acknowledged = Vec::new();
    let mut queued = Vec::new();
    for round in 0..ROUNDS {
        let start = time::OffsetDateTime::now_utc() + time::Duration::days(30 + round as i64);
        let end = start + time::Duration::hours(4);
        let format = &time::format_description::well_known::Rfc3339;
        let body = json!({
            "providerReference": format!("BENCH-{round}"),
            "title": "Core upgrade",
            "reason": "A benchmark of notices.",
            "startDate": start.replace_nanosecond(0)?.format(format)?,
            "endDate": end.replace_nanosecond(0)?.format(format)?,
            "services": services,
        });
        let began = Instant::now();
        let created = post(&server, "/ops/v1/maintenances", &staff, &body).await?;
        acknowledged.push(began.elapsed());
        let id = created["maintenanceId"]
            .as_str()
            .context("maintenanceId")?
            .to_owned();
        let all_queued = loop {
            let outbox = server.get_json("/ops/v1/outbox?limit=200", &staff).await?;
            let mailed = outbox
                .as_array()
                .context("outbox")?
                .iter()
                .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(&id)))
                .count();
            if mailed >= ORGANIZATIONS {
                break Some(began.elapsed());
            }
            if began.elapsed() > Duration::from_secs(120) {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let all_queued = all_queued.context("the e-mails were not all queued within 120 s")?;
        eprintln!(
            "{backend}: round {round}: acknowledged in {:.0} ms, {ORGANIZATIONS} e-mails queued after {:.0} ms",
            acknowledged[round].as_secs_f64() * 1000.0,
            all_queued.as_secs_f64() * 1000.0
        );
        queued.push(all_queued);
    }
    let median = |samples: &mut Vec<Duration>| {
        samples.sort();
        samples[samples.len() / 2]
    };
    let worst = |samples: &[Duration]| samples.iter().max().copied().unwrap_or_default();
    let ack_median = median(&mut acknowledged);
    let queued_median = median(&mut queued);
    let queued_worst = worst(&queued);
    println!(
        "\n{backend}: one maintenance on {} services of {ORGANIZATIONS} organizations, {ROUNDS} rounds:\n  \
         POST /ops/v1/maintenances acknowledged (events written): median {:.0} ms, worst {:.0} ms\n  \
         all {ORGANIZATIONS} e-mails with their calendar entry queued: median {:.0} ms, worst {:.0} ms after publication",
        services.len(),
        ack_median.as_secs_f64() * 1000.0,
        worst(&acknowledged).as_secs_f64() * 1000.0,
        queued_median.as_secs_f64() * 1000.0,
        queued_worst.as_secs_f64() * 1000.0,
    );
    let figures = json!({
        "services": services.len(),
        "organizations": ORGANIZATIONS,
        "rounds": ROUNDS,
        "acknowledgedMs": acknowledged.iter().map(|d| d.as_secs_f64() * 1000.0).collect::<Vec<_>>(),
        "queuedMs": queued.iter().map(|d| d.as_secs_f64() * 1000.0).collect::<Vec<_>>(),
    });
    let verdict = crate::targets::Verdict {
        target: format!(
            "{backend}: a maintenance on 1,000 services queues every notice within {} s",
            TARGET.as_secs()
        ),
        measured: format!(
            "worst of {ROUNDS}: {:.2} s (median {:.2} s)",
            queued_worst.as_secs_f64(),
            queued_median.as_secs_f64()
        ),
        met: queued_worst <= TARGET,
    };
    Ok((figures, verdict))
}
