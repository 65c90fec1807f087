//! OnePortal under load from `oha` on this machine, against real processes:
//!
//! - `cargo run --release -p oneportal-bench -- all`: everything below in one
//!   run, on SQLite and PostgreSQL, then each figure against its target;
//! - `cargo run --release -p oneportal-bench -- oauth`: the token endpoint and
//!   `/v2/me`, side by side with panva's `oidc-provider`
//!   (`../shared/bench/peer-oidc-provider/`) in the same run;
//! - `cargo run --release -p oneportal-bench -- cases [--cases N] [--organizations N] [--database-url postgres://…]`:
//!   filtered case lists, the first page, a page by cursor at any depth, pages by
//!   offset and case details, each repeating one URL and over distinct URLs of
//!   every organization, side by side; then case creation and an invoice PDF,
//!   over N generated cases (default one million) in N organizations (default 100);
//!   `--only TEXT` measures only the rows whose name contains TEXT, and
//!   `--binary PATH` (any benchmark) measures that build instead of this tree's;
//! - `cargo run --release -p oneportal-bench -- soak [--minutes N] [--rate R]`:
//!   mixed traffic at a fixed rate, errors and latency per minute, memory at start and end;
//! - `cargo run --release -p oneportal-bench -- events [--seconds 60]`: webhook
//!   delivery from commit to first attempt at 500 events/s over 100 endpoints,
//!   again with 10 of them timing out, and the event feed on distinct cursors;
//! - `cargo run --release -p oneportal-bench -- maintenance`: one maintenance on
//!   1,000 services of 100 organizations, until every e-mail notice is queued;
//! - `cargo run --release -p oneportal-bench -- alerts`: an alert storm, 10,000
//!   Alertmanager notifications over 1,000 services in 10 s, until every case is open;
//! - `cargo run --release -p oneportal-bench -- metrics [--seconds 60]`: Prometheus
//!   remote-write from eight senders into 6,000 series, with chart reads meanwhile;
//!   then 30 days of history written beside the server, 30-day charts and the
//!   Network Performance page over distinct services, and bytes per stored point.
//!
//! Each prints a table (requests/s, p50, p99, server CPU, peak memory) and writes
//! the same figures to `target/bench/<name>.json`. Only ratios and medians of the
//! same run mean much on a shared machine.

mod alerts;
mod cases;
mod events;
mod load;
mod maintenance;
mod metrics;
mod oauth;
mod processes;
mod soak;
mod targets;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::json;

use load::Measurement;

#[derive(Clone)]
pub struct Options {
    duration: Duration,
    connections: u32,
    algorithm: String,
    with_peer: bool,
    cases: i64,
    /// The organizations the cases are spread over, each with its own API client.
    organizations: u32,
    database_url: Option<String>,
    /// `--seconds` when given (the events benchmark defaults to a minute, not 10 s).
    seconds_given: Option<u64>,
    /// Soak: how long, and requests per second in all.
    soak_minutes: u64,
    soak_rate: u32,
    /// A binary to measure instead of building this tree's: two builds compared in one sitting.
    binary: Option<std::path::PathBuf>,
    /// Only the rows whose name contains this (the cases benchmark).
    only: Option<String>,
}

fn parse_options() -> anyhow::Result<(String, Options)> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_else(|| "oauth".into());
    let mut options = Options {
        duration: Duration::from_secs(10),
        connections: 64,
        algorithm: "ES256".into(),
        with_peer: true,
        cases: 1_000_000,
        organizations: 100,
        database_url: None,
        seconds_given: None,
        soak_minutes: 10,
        soak_rate: 200,
        binary: None,
        only: None,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => {
                let seconds = value()?.parse()?;
                options.duration = Duration::from_secs(seconds);
                options.seconds_given = Some(seconds);
            }
            "--connections" => options.connections = value()?.parse()?,
            "--alg" => options.algorithm = value()?,
            "--no-peer" => options.with_peer = false,
            "--cases" => options.cases = value()?.parse()?,
            "--organizations" => options.organizations = value()?.parse::<u32>()?.max(1),
            "--database-url" => options.database_url = Some(value()?),
            "--minutes" => options.soak_minutes = value()?.parse()?,
            "--rate" => options.soak_rate = value()?.parse()?,
            "--binary" => options.binary = Some(value()?.into()),
            "--only" => options.only = Some(value()?),
            other => bail!(
                "unknown option {other}; options: --seconds N --connections N --alg ES256|EdDSA|RS256 --no-peer --cases N --organizations N --database-url URL --minutes N --rate R --binary PATH --only TEXT"
            ),
        }
    }
    Ok((command, options))
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ sits in the repository")
        .to_path_buf()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (command, options) = parse_options()?;
    // Linking the server's crate gives reqwest its rustls without a provider: use OnePortal's.
    oneportal::http::outbound::install_tls_provider();
    if ![
        "oauth",
        "cases",
        "events",
        "maintenance",
        "alerts",
        "metrics",
        "all",
        "soak",
    ]
    .contains(&command.as_str())
    {
        bail!(
            "unknown benchmark '{command}'; available: all, oauth, cases, events, maintenance, alerts, metrics, soak"
        );
    }
    let root = repo_root();
    let binary = match &options.binary {
        Some(binary) => binary.clone(),
        None => processes::build_release(&root)?,
    };
    if command == "soak" {
        return soak::run(&root, &binary, &options).await;
    }
    if command == "maintenance" {
        return maintenance::run(&root, &binary, &options).await;
    }
    if command == "alerts" {
        return alerts::run(&root, &binary, &options).await;
    }
    if command == "metrics" {
        return metrics::run(&root, &binary, &options).await;
    }
    let oha = load::ensure_oha()?;
    match command.as_str() {
        "oauth" => oauth::run(&root, &oha, &binary, &options).await.map(drop),
        "cases" => cases::run(&root, &oha, &binary, &options).await.map(drop),
        "events" => events::run(&root, &oha, &binary, &options).await,
        _ => all(&root, &oha, &binary, options).await,
    }
}

/// Every benchmark of the issues in one run, on SQLite and then PostgreSQL: the
/// token endpoint (beside its peer, once), `/v2/me`, the case and invoice loads;
/// then every figure against its target.
async fn all(
    root: &std::path::Path,
    oha: &std::path::Path,
    binary: &std::path::Path,
    options: Options,
) -> anyhow::Result<()> {
    let sqlite_options = Options {
        database_url: None,
        ..options.clone()
    };
    let (sqlite_oauth_rows, sqlite_oauth) = oauth::run(root, oha, binary, &sqlite_options).await?;
    let (sqlite_rows, sqlite) = cases::run(root, oha, binary, &sqlite_options).await?;
    let mut verdicts = targets::judge("SQLite", &sqlite_oauth_rows, &sqlite_rows);
    let mut report = json!({
        "sqlite": {"oauth": sqlite_oauth, "cases": sqlite},
        "postgres": null,
    });
    let options_database_url = options.database_url.clone();
    match options
        .database_url
        .clone()
        .or_else(processes::fresh_bench_database)
    {
        Some(url) => {
            let pg_options = Options {
                database_url: Some(url),
                with_peer: false,
                ..options
            };
            let (pg_rows, pg) = cases::run(root, oha, binary, &pg_options).await?;
            // Tokens on an empty database, as on SQLite, unless one was given.
            let pg_options = Options {
                database_url: options_database_url
                    .clone()
                    .or_else(processes::fresh_bench_database)
                    .or(pg_options.database_url),
                ..pg_options
            };
            let (pg_oauth_rows, pg_oauth) = oauth::run(root, oha, binary, &pg_options).await?;
            verdicts.extend(targets::judge("PostgreSQL", &pg_oauth_rows, &pg_rows));
            report["postgres"] = json!({"oauth": pg_oauth, "cases": pg});
        }
        None => println!(
            "NOTE: PostgreSQL is not reachable at 127.0.0.1:5432 (and no --database-url was given), so the PostgreSQL half was NOT run."
        ),
    }
    targets::print(&verdicts);
    report["targets"] = json!(verdicts);
    write_report(root, "all", &report)
}

/// How the load was made, under every table.
pub fn print_load_line(options: &Options) {
    println!(
        "load: oha, {} connections, keep-alive, {} s per endpoint, load generator on the same machine",
        options.connections,
        options.duration.as_secs()
    );
}

pub fn print_table(rows: &[Measurement]) {
    println!();
    println!(
        "{:<52} {:>11} {:>9} {:>9} {:>8} {:>10} {:>8}",
        "", "requests/s", "p50 ms", "p99 ms", "ok %", "CPU cores", "peak MB"
    );
    for row in rows {
        println!(
            "{:<52} {:>11.0} {:>9.2} {:>9.2} {:>8.2} {:>10.2} {:>8.1}",
            row.name,
            row.requests_per_sec,
            row.p50_ms,
            row.p99_ms,
            row.success_percent,
            row.server_cpu_cores,
            row.peak_rss_kib as f64 / 1024.0
        );
    }
}

/// Writes `target/bench/<name>.json`.
/// Runs `once` on SQLite (unless `--database-url` was given), then on
/// PostgreSQL (that URL, or a fresh database when one is reachable); prints
/// every verdict and writes the figures of both to `target/bench/<name>.json`.
pub async fn on_each_backend<F, Fut>(
    root: &std::path::Path,
    name: &str,
    options: &Options,
    mut once: F,
) -> anyhow::Result<()>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(serde_json::Value, Vec<targets::Verdict>)>>,
{
    let mut report = json!({});
    let mut verdicts = Vec::new();
    if options.database_url.is_none() {
        let (figures, mut verdict) = once(None).await?;
        verdicts.append(&mut verdict);
        report["sqlite"] = figures;
    }
    match options
        .database_url
        .clone()
        .or_else(processes::fresh_bench_database)
    {
        Some(url) => {
            let (figures, mut verdict) = once(Some(url)).await?;
            verdicts.append(&mut verdict);
            report["postgres"] = figures;
        }
        None => println!("NOTE: PostgreSQL is not reachable, so its half was NOT run."),
    }
    targets::print(&verdicts);
    report["targets"] = json!(verdicts);
    write_report(root, name, &report)
}

pub fn write_report(
    root: &std::path::Path,
    name: &str,
    report: &serde_json::Value,
) -> anyhow::Result<()> {
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out)?;
    let path = out.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(report)?)?;
    println!("figures written to {}", path.display());
    Ok(())
}
