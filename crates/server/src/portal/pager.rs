//! Links to the previous and next page of a portal list, keeping its filters.

use oneportal_domain::query::{ListQuery, Start};

/// Links to the previous and next page, keeping the filters.
pub struct Pager {
    pub from: u32,
    pub to: u32,
    pub total: i64,
    /// More than `total` match: a case list stops counting at 10,000.
    pub more: bool,
    pub previous: String,
    pub next: String,
}

/// The pager of a page of `shown` records of `total`, at the query's offset, under `base`
/// with the other `pairs` of its address.
pub fn pager(
    base: &str,
    pairs: &[(String, String)],
    query: &ListQuery,
    total: i64,
    shown: usize,
) -> Pager {
    let offset = match query.start {
        Start::Offset(o) => o,
        Start::After(_) => 0,
    };
    let limit = query.limit;
    let link = |offset: u32| {
        let mut kept: Vec<(String, String)> = pairs
            .iter()
            .filter(|(n, _)| n != "offset" && n != "limit")
            .cloned()
            .collect();
        if offset > 0 {
            kept.push(("offset".into(), offset.to_string()));
        }
        let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
        if query.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{query}")
        }
    };
    Pager {
        from: if shown == 0 { 0 } else { offset + 1 },
        to: offset + shown as u32,
        total,
        more: false,
        previous: if offset > 0 {
            link(offset.saturating_sub(limit))
        } else {
            String::new()
        },
        next: if i64::from(offset + limit) < total {
            link(offset + limit)
        } else {
            String::new()
        },
    }
}
