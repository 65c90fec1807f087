//! OnePortal under load from `oha` on this machine, against real processes:
//!
//! - `cargo run --release -p oneportal-bench -- oauth`: the token endpoint and
//!   `/v2/me`, side by side with panva's `oidc-provider`
//!   (`../shared/bench/peer-oidc-provider/`) in the same run;
//! - `cargo run --release -p oneportal-bench -- cases [--cases N] [--database-url postgres://…]`:
//!   a filtered case list, the first and the 10,000th page by cursor, a case
//!   detail and case creation, over N generated cases (default one million).
//!
//! Each prints a table (requests/s, p50, p99, server CPU, peak memory) and writes
//! the same figures to `target/bench/<name>.json`. Only ratios and medians of the
//! same run mean much on a shared machine.

mod cases;
mod load;
mod processes;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::json;

use load::{Load, Measurement};
use processes::{Peer, Server};

pub struct Options {
    duration: Duration,
    connections: u32,
    algorithm: String,
    with_peer: bool,
    cases: i64,
    database_url: Option<String>,
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
        database_url: None,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => options.duration = Duration::from_secs(value()?.parse()?),
            "--connections" => options.connections = value()?.parse()?,
            "--alg" => options.algorithm = value()?,
            "--no-peer" => options.with_peer = false,
            "--cases" => options.cases = value()?.parse()?,
            "--database-url" => options.database_url = Some(value()?),
            other => bail!(
                "unknown option {other}; options: --seconds N --connections N --alg ES256|EdDSA|RS256 --no-peer --cases N --database-url URL"
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
    if command != "oauth" && command != "cases" {
        bail!("unknown benchmark '{command}'; available: oauth, cases");
    }
    let root = repo_root();
    let oha = load::ensure_oha()?;
    let binary = processes::build_release(&root)?;
    if command == "cases" {
        return cases::run(&root, &oha, &binary, &options).await;
    }
    let mut rows: Vec<Measurement> = Vec::new();

    let server =
        Server::start(&binary, &options.algorithm, options.database_url.as_deref()).await?;
    let idle_kib = server.rss_kib();
    let (client_id, secret) = server.create_client().await?;
    let token_load =
        Load::token_request(&format!("{}/oauth2/token", server.url), &client_id, &secret);
    let oneportal_tokens = token_load.run(
        &oha,
        "OnePortal POST /oauth2/token",
        options.connections,
        options.duration,
        server.pid(),
    )?;
    let access = server.access_token(&client_id, &secret).await?;
    let me = Load::get_with_bearer(&format!("{}/v2/me", server.url), &access).run(
        &oha,
        "OnePortal GET /v2/me (reused token)",
        options.connections,
        options.duration,
        server.pid(),
    )?;
    let secret_check = server.wrong_secret_status(&client_id).await?;
    drop(server);
    rows.push(oneportal_tokens.clone());
    rows.push(me);

    let mut peer_tokens = None;
    if options.with_peer {
        match Peer::start(&root, &options.algorithm).await {
            Ok(peer) => {
                let load = Load::token_request(
                    &format!("{}/token", peer.url),
                    "m2m-basic",
                    "m2m-basic-secret-0123456789abcdef0123",
                )
                .with_scope("api:read");
                let measured = load.run(
                    &oha,
                    "oidc-provider POST /token",
                    options.connections,
                    options.duration,
                    peer.pid(),
                )?;
                peer_tokens = Some(measured.clone());
                rows.push(measured);
            }
            Err(error) => eprintln!("peer not run: {error:#}"),
        }
    }

    print_table(&rows);
    println!(
        "OnePortal idle memory after start: {:.1} MB",
        idle_kib as f64 / 1024.0
    );
    println!("a wrong secret answers {secret_check} (expected 401)");
    let ratio = peer_tokens
        .as_ref()
        .map(|p| oneportal_tokens.requests_per_sec / p.requests_per_sec);
    if let Some(ratio) = ratio {
        println!(
            "token endpoint ratio OnePortal / oidc-provider ({}): {ratio:.2}x",
            options.algorithm
        );
    }
    println!(
        "load: oha, {} connections, keep-alive, {} s per endpoint, load generator on the same machine",
        options.connections,
        options.duration.as_secs()
    );

    let report = json!({
        "algorithm": options.algorithm,
        "connections": options.connections,
        "seconds": options.duration.as_secs(),
        "idleMemoryKiB": idle_kib,
        "tokenRatioVsPeer": ratio,
        "results": rows,
    });
    write_report(&root, "oauth", &report)
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
