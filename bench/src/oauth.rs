//! The token endpoint and `/v2/me`, side by side with panva's `oidc-provider`
//! (`../shared/bench/peer-oidc-provider/`) in the same run; figures go to
//! `target/bench/oauth-<backend>.json`.

use std::path::Path;

use serde_json::{Value, json};

use crate::load::{Load, Measurement};
use crate::processes::{Peer, Server};
use crate::{Options, print_table, write_report};

pub const TOKEN_ROW: &str = "OnePortal POST /oauth2/token";
pub const ME_ROW: &str = "OnePortal GET /v2/me (reused token)";

/// Measures, prints and writes `target/bench/oauth.json`; returns the rows and the report.
pub async fn run(
    root: &Path,
    oha: &Path,
    binary: &Path,
    options: &Options,
) -> anyhow::Result<(Vec<Measurement>, Value)> {
    let mut rows: Vec<Measurement> = Vec::new();
    let server = Server::start(binary, &options.algorithm, options.database_url.as_deref()).await?;
    let idle_kib = server.rss_kib();
    let (client_id, secret) = server.create_client().await?;
    let token_load =
        Load::token_request(&format!("{}/oauth2/token", server.url), &client_id, &secret);
    let oneportal_tokens = token_load.run(
        oha,
        TOKEN_ROW,
        options.connections,
        options.duration,
        server.pid(),
    )?;
    let access = server.access_token(&client_id, &secret).await?;
    let me = Load::get_with_bearer(&format!("{}/v2/me", server.url), &access).run(
        oha,
        ME_ROW,
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
        match Peer::start(root, &options.algorithm).await {
            Ok(peer) => {
                let load = Load::token_request(
                    &format!("{}/token", peer.url),
                    "m2m-basic",
                    "m2m-basic-secret-0123456789abcdef0123",
                )
                .with_scope("api:read");
                let measured = load.run(
                    oha,
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
    crate::print_load_line(options);

    let report = json!({
        "algorithm": options.algorithm,
        "connections": options.connections,
        "seconds": options.duration.as_secs(),
        "idleMemoryKiB": idle_kib,
        "tokenRatioVsPeer": ratio,
        "results": rows,
    });
    let backend = if options.database_url.is_some() {
        "postgresql"
    } else {
        "sqlite"
    };
    write_report(root, &format!("oauth-{backend}"), &report)?;
    Ok((rows, report))
}
