//! The case benchmarks: N generated cases spread over several organizations,
//! each with its own API client. Every read is measured twice in the same run:
//! repeating one URL (which the one-second response cache answers) and over a
//! list of distinct URLs from every organization (distinct filters, sorts,
//! limits, pages and case ids, which miss it), side by side. Then case
//! creation and an invoice PDF.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use base64::Engine;
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use crate::load::{Load, Measurement, Requests};
use crate::processes::Server;
use crate::{Options, write_report};

pub const FILTERED_ROW: &str = "GET /v2/cases?status=…&sort=…&limit=… (first page or cursor)";
pub const DATE_BOUND_ROW: &str =
    "GET /v2/cases?status=InProgress,Pending&createdDate.lt=…&limit=50";
pub const FIRST_PAGE_ROW: &str = "GET /v2/cases?limit=… (first page)";
pub const DEEP_PAGE_ROW: &str = "GET /v2/cases?limit=50&cursor=… (any depth)";
pub const OFFSET_ROW: &str = "GET /v2/cases?limit=50&offset=0..10000";
pub const DETAIL_ROW: &str = "GET /v2/cases/{id}";
pub const CREATE_ROW: &str = "POST /v2/cases";
pub const INVOICE_PDF_ROW: &str = "GET /v2/invoices/{id}/document (PDF)";
/// Appended to a read's name for its repeated-URL measurement.
pub const REPEATED: &str = " · repeated URL";

/// Distinct URLs generated per read: more than any run sends.
const DISTINCT_URLS: usize = 200_000;

/// The status sets and the documented sorts the distinct lists (and the soak's) draw from.
pub const STATUS_SETS: [&str; 5] = [
    "InProgress,Pending",
    "Acknowledged",
    "InProgress,Pending,Held",
    "Resolved,Closed",
    "Acknowledged,InProgress,Pending,Held",
];
pub const SORTS: [&str; 4] = [
    "-lastModifiedDate",
    "createdDate",
    "-createdDate",
    "priority,-lastModifiedDate",
];
const PRIORITIES: [&str; 5] = ["P1", "P2", "P3", "P4", "P5"];

/// A read: its row name, the URL repeated, and the distinct (organization, URL) list.
type Read = (&'static str, String, Vec<(usize, String)>);

/// What the bench knows of one organization's generated cases.
struct Organization {
    /// Case numbers, oldest to newest (generated in one run, so contiguous).
    ids: (i64, i64),
    created: (i64, i64),
    updated: (i64, i64),
}

/// Measures, prints and writes `target/bench/cases-<backend>.json`; returns the rows and the report.
pub async fn run(
    root: &Path,
    oha: &Path,
    binary: &Path,
    options: &Options,
) -> anyhow::Result<(Vec<Measurement>, Value)> {
    let database = options.database_url.as_deref();
    let server = Server::start(binary, &options.algorithm, database).await?;
    eprintln!(
        "generating {} cases in {} organizations ...",
        options.cases, options.organizations
    );
    let seeded = Instant::now();
    server.cli(&[
        "seed",
        "--cases",
        &options.cases.to_string(),
        "--organizations",
        &options.organizations.to_string(),
        "--organization",
        "Benchmark Org",
    ])?;
    let seed_secs = seeded.elapsed().as_secs_f64();

    let mut tokens = Vec::new();
    let mut organizations = Vec::new();
    for k in 1..=options.organizations {
        let name = if options.organizations == 1 {
            "Benchmark Org".to_owned()
        } else {
            format!("Benchmark Org {k}")
        };
        let (client_id, secret) = server
            .create_client_in(&name, &format!("bench{k}@example.test"))
            .await?;
        let token = server.access_token(&client_id, &secret).await?;
        organizations.push(describe(&server, &token).await?);
        tokens.push(token);
    }
    let token = tokens[0].clone();
    let first = &organizations[0];
    let url = |path: &str| format!("{}{path}", server.url);

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

    let middle = |(low, high): (i64, i64)| low + (high - low) / 2;
    let mut random = StdRng::seed_from_u64(2026);
    let reads: [Read; 6] = [
        (
            FILTERED_ROW,
            "/v2/cases?status=InProgress,Pending&sort=-lastModifiedDate&limit=50".into(),
            distinct(&mut random, &organizations, filtered_list),
        ),
        (
            DATE_BOUND_ROW,
            format!(
                "/v2/cases?status=InProgress,Pending&createdDate.lt={}&limit=50",
                rfc3339(middle(first.created))
            ),
            // A bound of its own on every request, so no two share a total.
            distinct(&mut random, &organizations, |random, org| {
                format!(
                    "/v2/cases?status=InProgress,Pending&createdDate.lt={}&limit=50",
                    rfc3339(random.random_range(org.created.0..=org.created.1))
                )
            }),
        ),
        (
            FIRST_PAGE_ROW,
            "/v2/cases?limit=50".into(),
            distinct(&mut random, &organizations, |random, _| {
                format!("/v2/cases?limit={}", random.random_range(10..100))
            }),
        ),
        (
            DEEP_PAGE_ROW,
            format!(
                "/v2/cases?limit=50&cursor={}",
                cursor(&[json!(middle(first.updated))], middle(first.ids))
            ),
            distinct(&mut random, &organizations, |random, org| {
                let at = json!(random.random_range(org.updated.0..=org.updated.1));
                let id = random.random_range(org.ids.0..=org.ids.1);
                format!("/v2/cases?limit=50&cursor={}", cursor(&[at], id))
            }),
        ),
        (
            OFFSET_ROW,
            "/v2/cases?limit=50&offset=5000".into(),
            distinct(&mut random, &organizations, |random, _| {
                format!(
                    "/v2/cases?limit=50&offset={}",
                    random.random_range(0..=10_000)
                )
            }),
        ),
        (
            DETAIL_ROW,
            format!("/v2/cases/{}", case_id(middle(first.ids))),
            distinct(&mut random, &organizations, |random, org| {
                format!(
                    "/v2/cases/{}",
                    case_id(random.random_range(org.ids.0..=org.ids.1))
                )
            }),
        ),
    ];

    let scratch = root.join("target/bench/requests");
    let mut rows = Vec::new();
    let wanted = |name: &str| {
        options
            .only
            .as_ref()
            .is_none_or(|only| name.contains(only.as_str()))
    };
    for (name, repeated, paths) in reads.into_iter().filter(|(name, ..)| wanted(name)) {
        let repeated = Requests {
            tokens: vec![token.clone()],
            paths: vec![(0, repeated)],
        };
        rows.push(repeated.run(
            &scratch,
            &server.url,
            &format!("{name}{REPEATED}"),
            options.connections,
            options.duration,
            server.pid(),
        )?);
        let distinct = Requests {
            tokens: tokens.clone(),
            paths,
        };
        rows.push(distinct.run(
            &scratch,
            &server.url,
            name,
            options.connections,
            options.duration,
            server.pid(),
        )?);
    }
    let reads_measured = rows.len();
    let writes = [
        (
            CREATE_ROW,
            Load::post_json_with_bearer(&url("/v2/cases"), &token, &new_case),
        ),
        (
            INVOICE_PDF_ROW,
            Load::get_with_bearer(&url(&format!("/v2/invoices/{invoice}/document")), &token),
        ),
    ];
    for (name, load) in writes.into_iter().filter(|(name, _)| wanted(name)) {
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
    print_side_by_side(&rows[..reads_measured]);
    crate::print_table(&rows[reads_measured..]);
    println!(
        "{} cases in {} organizations on {backend}, generated in {seed_secs:.1} s",
        options.cases, options.organizations
    );
    println!(
        "load: wrk for reads ({} distinct URLs per read, each organization with its own token), oha for writes; {} connections, keep-alive, {} s each, load generator on the same machine",
        DISTINCT_URLS,
        options.connections,
        options.duration.as_secs()
    );
    let report = json!({
        "backend": backend,
        "cases": options.cases,
        "organizations": options.organizations,
        "seedSeconds": seed_secs,
        "connections": options.connections,
        "seconds": options.duration.as_secs(),
        "results": rows,
    });
    write_report(root, &format!("cases-{}", backend.to_lowercase()), &report)?;
    Ok((rows, report))
}

/// A filtered list: a status set, a documented sort and a limit, on the first
/// page or from a cursor at a random place in the organization's cases.
fn filtered_list(random: &mut StdRng, org: &Organization) -> String {
    let statuses = STATUS_SETS[random.random_range(0..STATUS_SETS.len())];
    let sort = SORTS[random.random_range(0..SORTS.len())];
    let limit = random.random_range(10..100);
    let mut path = format!("/v2/cases?status={statuses}&sort={sort}&limit={limit}");
    if random.random_bool(0.5) {
        let updated = json!(random.random_range(org.updated.0..=org.updated.1));
        let created = json!(random.random_range(org.created.0..=org.created.1));
        let values = match sort {
            "priority,-lastModifiedDate" => vec![
                json!(PRIORITIES[random.random_range(0..PRIORITIES.len())]),
                updated,
            ],
            "-lastModifiedDate" => vec![updated],
            _ => vec![created],
        };
        let id = random.random_range(org.ids.0..=org.ids.1);
        path.push_str(&format!("&cursor={}", cursor(&values, id)));
    }
    path
}

/// `DISTINCT_URLS` paths, each of a random organization: (its index, path).
fn distinct(
    random: &mut StdRng,
    organizations: &[Organization],
    mut path: impl FnMut(&mut StdRng, &Organization) -> String,
) -> Vec<(usize, String)> {
    (0..DISTINCT_URLS)
        .map(|_| {
            let k = random.random_range(0..organizations.len());
            (k, path(random, &organizations[k]))
        })
        .collect()
}

/// A list cursor as the API writes it: the sort values and the id, as base64url JSON.
fn cursor(values: &[Value], id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"v": values, "i": id}).to_string())
}

/// An instant in Unix milliseconds as the API's RFC 3339 filters take it.
fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn case_id(number: i64) -> String {
    format!("CASE-{number:07}")
}

/// The range of an organization's case numbers and times, read from the first
/// case of four one-case pages through their next-page cursors.
async fn describe(server: &Server, token: &str) -> anyhow::Result<Organization> {
    let mut ends = Vec::new();
    for sort in [
        "createdDate",
        "-createdDate",
        "lastModifiedDate",
        "-lastModifiedDate",
    ] {
        let page = server
            .get_json(&format!("/v2/cases?limit=1&sort={sort}"), token)
            .await?;
        let cursor = page["pagination"]["nextCursor"]
            .as_str()
            .context("an organization with fewer than two cases: generate more")?;
        let decoded: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor)?,
        )?;
        ends.push((
            decoded["v"][0].as_i64().context("a time in the cursor")?,
            decoded["i"].as_i64().context("an id in the cursor")?,
        ));
    }
    Ok(Organization {
        ids: (ends[0].1, ends[1].1),
        created: (ends[0].0, ends[1].0),
        updated: (ends[2].0, ends[3].0),
    })
}

/// Each read's repeated and distinct figures on one line.
fn print_side_by_side(rows: &[Measurement]) {
    println!();
    println!(
        "{:<62} {:>26} {:>34}",
        "", "repeated URL (cache hits)", "distinct URLs (cache misses)"
    );
    println!(
        "{:<62} {:>10} {:>7} {:>7} {:>10} {:>7} {:>7} {:>6} {:>6} {:>7}",
        "", "req/s", "p50 ms", "p99 ms", "req/s", "p50 ms", "p99 ms", "ok %", "CPU", "peak MB"
    );
    for row in rows.iter().filter(|r| !r.name.ends_with(REPEATED)) {
        let repeated = rows
            .iter()
            .find(|r| r.name == format!("{}{REPEATED}", row.name));
        let (rate, p50, p99) = repeated.map_or_else(
            || ("".to_owned(), "".to_owned(), "".to_owned()),
            |r| {
                (
                    format!("{:.0}", r.requests_per_sec),
                    format!("{:.2}", r.p50_ms),
                    format!("{:.2}", r.p99_ms),
                )
            },
        );
        println!(
            "{:<62} {rate:>10} {p50:>7} {p99:>7} {:>10.0} {:>7.2} {:>7.2} {:>6.2} {:>6.2} {:>7.1}",
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
