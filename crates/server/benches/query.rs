//! Micro benchmarks for list requests before the database: parsing a realistic
//! `GET /v2/cases` query string (filters, date ranges, sort) with the endpoint's
//! rules, and encoding and decoding a keyset cursor.
//! Run: `cargo bench -p oneportal --bench query`.

use criterion::{Criterion, criterion_group, criterion_main};
use oneportal::http::pagination::parse_list_query;
use oneportal_domain::query::Cursor;
use oneportal_store::cases::CASES;
use serde_json::json;
use std::hint::black_box;

/// What an integration polling for changes sends.
const CASES_QUERY: &str = "status=InProgress,Pending,Acknowledged&type=Incident&priority=P1,P2,P3\
&serviceId=SVC-000042&customerReference=TICKET-4711\
&createdDate.gte=2026-01-01T00:00:00Z&createdDate.lt=2026-11-01T00:00:00%2B01:00\
&lastModifiedDate.gt=2026-10-15T08:30:00Z&sort=-lastModifiedDate,priority&limit=100";

fn list_queries(c: &mut Criterion) {
    assert!(parse_list_query(&CASES, Some(CASES_QUERY)).is_ok());
    c.bench_function(
        "parse GET /v2/cases query (5 filters, 3 date ranges, sort)",
        |b| b.iter(|| parse_list_query(&CASES, black_box(Some(CASES_QUERY))).unwrap()),
    );
    c.bench_function("parse GET /v2/cases query (empty: defaults)", |b| {
        b.iter(|| parse_list_query(&CASES, black_box(None)).unwrap())
    });

    let cursor = Cursor {
        values: vec![json!(1_793_522_400_000_i64), json!("P2")],
        id: 1_234_567,
    };
    let encoded = cursor.encode();
    c.bench_function("encode cursor", |b| b.iter(|| black_box(&cursor).encode()));
    c.bench_function("decode cursor", |b| {
        b.iter(|| Cursor::decode(black_box(&encoded)).unwrap())
    });
    let with_cursor = format!(
        "status=InProgress,Pending&sort=-lastModifiedDate,priority&limit=50&cursor={encoded}"
    );
    c.bench_function("parse GET /v2/cases query with cursor", |b| {
        b.iter(|| parse_list_query(&CASES, black_box(Some(&with_cursor))).unwrap())
    });
}

criterion_group!(benches, list_queries);
criterion_main!(benches);
