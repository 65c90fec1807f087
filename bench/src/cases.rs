//! The case benchmarks of the API V2 issue: with N generated cases, a filtered
//! list, the first and the 10,000th page by cursor, a detail, and creation.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde_json::json;

use crate::load::Load;
use crate::processes::Server;
use crate::{Options, print_table, write_report};

/// The page the issue asks to compare with the first.
const DEEP_PAGE: usize = 10_000;

pub async fn run(root: &Path, oha: &Path, binary: &Path, options: &Options) -> anyhow::Result<()> {
    let database = options.database_url.as_deref();
    let server = Server::start(binary, &options.algorithm, database).await?;
    let (client_id, secret) = server.create_client().await?;
    eprintln!("generating {} cases ...", options.cases);
    let seeded = Instant::now();
    server.cli(&[
        "seed",
        "--cases",
        &options.cases.to_string(),
        "--organization",
        "Benchmark Org",
    ])?;
    let seed_secs = seeded.elapsed().as_secs_f64();
    let token = server.access_token(&client_id, &secret).await?;
    let url = |path: &str| format!("{}{path}", server.url);

    // The 10,000th page of the newest-first list, reached by following cursors.
    let walked = Instant::now();
    let mut cursor: Option<String> = None;
    for _ in 1..DEEP_PAGE {
        let path = match &cursor {
            Some(c) => format!("/v2/cases?limit=50&cursor={c}"),
            None => "/v2/cases?limit=50".to_owned(),
        };
        let page = server.get_json(&path, &token).await?;
        cursor = Some(
            page["pagination"]["nextCursor"]
                .as_str()
                .context("fewer than 10,000 pages: generate more cases")?
                .to_owned(),
        );
    }
    let walk_secs = walked.elapsed().as_secs_f64();
    let deep = format!("/v2/cases?limit=50&cursor={}", cursor.unwrap_or_default());
    let some_case = server.get_json("/v2/cases?limit=1", &token).await?["data"][0]["caseId"]
        .as_str()
        .context("a case")?
        .to_owned();
    let service = server.get_json("/v2/services?limit=1", &token).await?["data"][0]["serviceId"]
        .as_str()
        .context("a service")?
        .to_owned();
    let new_case = json!({"type": "NonIncident", "subject": "InformationRequest", "priority": "P4",
        "serviceId": service, "message": "Load test: please ignore."})
    .to_string();

    let loads = [
        (
            "GET /v2/cases?status=InProgress,Pending&sort=-lastModifiedDate&limit=50",
            Load::get_with_bearer(
                &url("/v2/cases?status=InProgress,Pending&sort=-lastModifiedDate&limit=50"),
                &token,
            ),
        ),
        (
            "GET /v2/cases?limit=50 (first page)",
            Load::get_with_bearer(&url("/v2/cases?limit=50"), &token),
        ),
        (
            "GET /v2/cases?limit=50&cursor=… (10,000th page)",
            Load::get_with_bearer(&url(&deep), &token),
        ),
        (
            "GET /v2/cases/{id}",
            Load::get_with_bearer(&url(&format!("/v2/cases/{some_case}")), &token),
        ),
        (
            "POST /v2/cases",
            Load::post_json_with_bearer(&url("/v2/cases"), &token, &new_case),
        ),
    ];
    let mut rows = Vec::new();
    for (name, load) in loads {
        rows.push(load.run(
            oha,
            name,
            options.connections,
            options.duration,
            server.pid(),
        )?);
    }
    let backend = if database.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    print_table(&rows);
    println!(
        "{} cases on {backend}, generated in {seed_secs:.1} s; walking to page {DEEP_PAGE} took {walk_secs:.1} s",
        options.cases
    );
    println!(
        "load: oha, {} connections, keep-alive, {} s per endpoint, load generator on the same machine",
        options.connections,
        options.duration.as_secs()
    );
    let report = json!({
        "backend": backend,
        "cases": options.cases,
        "seedSeconds": seed_secs,
        "connections": options.connections,
        "seconds": options.duration.as_secs(),
        "results": rows,
    });
    write_report(root, &format!("cases-{}", backend.to_lowercase()), &report)
}
