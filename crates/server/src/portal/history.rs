//! The two parts of a lifecycle list (orders, quotes, deactivation requests):
//! what is under way, shown whole (there are few), then the history, which
//! only grows, a page at a time. The page's one parameter is the history's
//! `offset`; anything else in the address is ignored.

use oneportal_domain::query::{ListQuery, ListSpec};

use super::PortalError;
use super::pager::{Pager, pager};
use crate::http::pagination::parse_list_query;

/// At most this many records under way are shown; the page says when there are more.
pub const UNDER_WAY: u32 = 200;
/// The history's page size.
pub const HISTORY_PAGE: u32 = 25;

/// The queries of both parts: `under_way` and `history` are status filters
/// (`InDelivery`; `Delivered,Cancelled`), each with the list's default order.
pub fn queries(
    spec: &ListSpec,
    (under_way, history): (&str, &str),
    raw: Option<&str>,
) -> Result<(ListQuery, ListQuery), PortalError> {
    let offset = serde_urlencoded::from_str::<Vec<(String, String)>>(raw.unwrap_or(""))
        .unwrap_or_default()
        .into_iter()
        .find(|(name, _)| name == "offset")
        .and_then(|(_, value)| value.trim().parse::<u32>().ok())
        .unwrap_or(0);
    let open = parse_list_query(spec, Some(&format!("status={under_way}&limit={UNDER_WAY}")))?;
    let past = parse_list_query(
        spec,
        Some(&format!(
            "status={history}&limit={HISTORY_PAGE}&offset={offset}"
        )),
    )?;
    Ok((open, past))
}

/// The history's pager: links to its previous and next page under `base`.
pub fn history_pager(base: &str, query: &ListQuery, total: i64, shown: usize) -> Pager {
    pager(base, &[], query, total, shown)
}
