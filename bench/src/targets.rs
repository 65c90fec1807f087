//! The speed targets the issues set, and how a run measured against each.

use serde::Serialize;

use crate::cases::{
    CREATE_ROW, DATE_BOUND_ROW, DEEP_PAGE_ROW, DETAIL_ROW, FILTERED_ROW, FIRST_PAGE_ROW, OFFSET_ROW,
};
use crate::load::Measurement;
use crate::oauth::{ME_ROW, TOKEN_ROW};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

/// A throughput floor and, optionally, a p99 ceiling for one measured row.
struct Target {
    row: &'static str,
    min_per_sec: f64,
    max_p99_ms: Option<f64>,
}

const OAUTH_TARGETS: &[Target] = &[
    Target {
        row: TOKEN_ROW,
        min_per_sec: 25_000.0,
        max_p99_ms: Some(5.0),
    },
    Target {
        row: ME_ROW,
        min_per_sec: 50_000.0,
        max_p99_ms: None,
    },
];

const CASE_TARGETS: &[Target] = &[
    Target {
        row: FILTERED_ROW,
        min_per_sec: 10_000.0,
        max_p99_ms: Some(20.0),
    },
    Target {
        row: DATE_BOUND_ROW,
        min_per_sec: 10_000.0,
        max_p99_ms: Some(20.0),
    },
    Target {
        row: DETAIL_ROW,
        min_per_sec: 20_000.0,
        max_p99_ms: Some(10.0),
    },
    Target {
        row: OFFSET_ROW,
        min_per_sec: 2_000.0,
        max_p99_ms: None,
    },
    Target {
        row: CREATE_ROW,
        min_per_sec: 2_000.0,
        max_p99_ms: None,
    },
];

/// "The 10,000th page by cursor as fast as the first": within this fraction. The
/// read rows judged are the distinct-URL ones (the database path, not the cache).
const DEEP_PAGE_TOLERANCE: f64 = 0.8;

/// Every target of one backend's run.
pub fn judge(backend: &str, oauth: &[Measurement], cases: &[Measurement]) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    check_all(&mut verdicts, backend, OAUTH_TARGETS, oauth);
    check_all(&mut verdicts, backend, CASE_TARGETS, cases);
    if let (Some(first), Some(deep)) = (find(cases, FIRST_PAGE_ROW), find(cases, DEEP_PAGE_ROW)) {
        verdicts.push(Verdict {
            target: format!("{backend}: a page by cursor at any depth as fast as the first"),
            measured: format!(
                "{:.0}/s vs {:.0}/s ({:.0}%)",
                deep.requests_per_sec,
                first.requests_per_sec,
                100.0 * deep.requests_per_sec / first.requests_per_sec
            ),
            met: deep.requests_per_sec >= DEEP_PAGE_TOLERANCE * first.requests_per_sec,
        });
    }
    verdicts
}

fn find<'a>(rows: &'a [Measurement], name: &str) -> Option<&'a Measurement> {
    rows.iter().find(|r| r.name == name)
}

fn check_all(verdicts: &mut Vec<Verdict>, backend: &str, targets: &[Target], rows: &[Measurement]) {
    for target in targets {
        let Some(row) = find(rows, target.row) else {
            continue;
        };
        let fast_enough = row.requests_per_sec >= target.min_per_sec;
        let quick_enough = target.max_p99_ms.is_none_or(|max| row.p99_ms < max);
        let prefix = format!("{backend}: ");
        verdicts.push(Verdict {
            target: format!(
                "{prefix}{} ≥ {:.0}/s{}",
                target.row,
                target.min_per_sec,
                target
                    .max_p99_ms
                    .map(|ms| format!(", p99 < {ms} ms"))
                    .unwrap_or_default()
            ),
            measured: format!("{:.0}/s, p99 {:.1} ms", row.requests_per_sec, row.p99_ms),
            met: fast_enough && quick_enough && row.success_percent >= 99.9,
        });
    }
}

pub fn print(verdicts: &[Verdict]) {
    println!();
    println!("targets (this machine: 2 shared cores, load generator on the same machine)");
    for verdict in verdicts {
        println!(
            "  {:<6} {:<95} {}",
            if verdict.met { "met" } else { "SHORT" },
            verdict.target,
            verdict.measured
        );
    }
}
