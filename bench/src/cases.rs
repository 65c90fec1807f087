//! The case benchmarks of the API V2 issue: with N generated cases, a filtered
//! list, the first and the 10,000th page by cursor, a detail, creation, and an
//! invoice PDF.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde_json::{Value, json};

use crate::load::{Load, Measurement};
use crate::processes::Server;
use crate::{Options, print_table, write_report};

/// The page the issue asks to compare with the first.
const DEEP_PAGE: usize = 10_000;

pub const FILTERED_ROW: &str =
    "GET /v2/cases?status=InProgress,Pending&sort=-lastModifiedDate&limit=50";
pub const FIRST_PAGE_ROW: &str = "GET /v2/cases?limit=50 (first page)";
pub const DEEP_PAGE_ROW: &str = "GET /v2/cases?limit=50&cursor=… (10,000th page)";
pub const DETAIL_ROW: &str = "GET /v2/cases/{id}";
pub const CREATE_ROW: &str = "POST /v2/cases";
pub const INVOICE_PDF_ROW: &str = "GET /v2/invoices/{id}/document (PDF)";

/// Measures, prints and writes `target/bench/cases-<backend>.json`; returns the rows and the report.
pub async fn run(
    root: &Path,
    oha: &Path,
    binary: &Path,
    options: &Options,
) -> anyhow::Result<(Vec<Measurement>, Value)> {
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
    let invoice = server.get_json("/v2/invoices?limit=1", &token).await?["data"][0]["invoiceId"]
        .as_str()
        .context("an invoice")?
        .to_owned();
    let new_case = json!({"type": "NonIncident", "subject": "InformationRequest", "priority": "P4",
        "serviceId": service, "message": "Load test: please ignore."})
    .to_string();

    let loads = [
        (
            FILTERED_ROW,
            Load::get_with_bearer(
                &url("/v2/cases?status=InProgress,Pending&sort=-lastModifiedDate&limit=50"),
                &token,
            ),
        ),
        (
            FIRST_PAGE_ROW,
            Load::get_with_bearer(&url("/v2/cases?limit=50"), &token),
        ),
        (DEEP_PAGE_ROW, Load::get_with_bearer(&url(&deep), &token)),
        (
            DETAIL_ROW,
            Load::get_with_bearer(&url(&format!("/v2/cases/{some_case}")), &token),
        ),
        (
            CREATE_ROW,
            Load::post_json_with_bearer(&url("/v2/cases"), &token, &new_case),
        ),
        (
            INVOICE_PDF_ROW,
            Load::get_with_bearer(&url(&format!("/v2/invoices/{invoice}/document")), &token),
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
    crate::print_load_line(options);
    let report = json!({
        "backend": backend,
        "cases": options.cases,
        "seedSeconds": seed_secs,
        "connections": options.connections,
        "seconds": options.duration.as_secs(),
        "results": rows,
    });
    write_report(root, &format!("cases-{}", backend.to_lowercase()), &report)?;
    Ok((rows, report))
}
