//! The list envelope every collection uses: `{"data": [...], "pagination": {...}}`.

use serde::Serialize;
use utoipa::ToSchema;

use crate::http::{ApiError, FieldError};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub offset: u32,
    pub limit: u32,
    /// How many records match: exactly (`totalRelation` `eq`), or at least this
    /// many (`gte`: a case list counts at most 10,000 matches).
    pub total: u64,
    pub total_relation: TotalRelation,
    /// Opaque cursor for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Whether a list's `total` is its exact count or a lower bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TotalRelation {
    /// `total` is exact.
    Eq,
    /// More than `total` match; the list stopped counting there.
    Gte,
}

/// A list's total as counted: exact, or where counting stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub count: i64,
    pub exact: bool,
}

impl Total {
    pub fn exact(count: i64) -> Total {
        Total { count, exact: true }
    }

    /// The total of a store page.
    pub fn of<R>(page: &oneportal_store::listing::ListPage<R>) -> Total {
        Total {
            count: page.total,
            exact: page.total_exact,
        }
    }

    fn relation(self) -> TotalRelation {
        if self.exact {
            TotalRelation::Eq
        } else {
            TotalRelation::Gte
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
}

impl<T> Page<T> {
    /// One page out of a list already in memory.
    pub fn slice(all: Vec<T>, offset: u32, limit: u32) -> Page<T> {
        let total = all.len() as u64;
        let data = all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        Page {
            data,
            pagination: Pagination {
                offset,
                limit,
                total,
                total_relation: TotalRelation::Eq,
                next_cursor: None,
            },
        }
    }
}

/// Parses a list request's query string against the collection's rules.
pub fn parse_list_query(
    spec: &oneportal_domain::query::ListSpec,
    raw: Option<&str>,
) -> Result<oneportal_domain::query::ListQuery, ApiError> {
    spec.parse(&query_pairs(raw)?).map_err(query_problem)
}

/// The query string's name/value pairs, decoded.
pub fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|_| {
        ApiError::bad_request(
            "invalid_query",
            "the query string is not valid URL encoding",
        )
    })
}

/// A 400 listing what is wrong with the query, each problem naming its parameter.
pub fn query_problem(errors: Vec<oneportal_domain::query::QueryError>) -> ApiError {
    let detail = match errors.as_slice() {
        [only] => only.detail.clone(),
        _ => format!(
            "{} query parameters need attention; see errors",
            errors.len()
        ),
    };
    ApiError::BadRequest {
        code: "invalid_query",
        detail,
        errors: errors
            .into_iter()
            .map(|e| FieldError::new(e.parameter, e.code, e.detail))
            .collect(),
    }
}

/// A store page turned into API records and answered as a list.
pub fn page_response<R, T: Serialize + From<R>>(
    public_url: &str,
    uri: &axum::http::Uri,
    query: &oneportal_domain::query::ListQuery,
    page: oneportal_store::listing::ListPage<R>,
) -> axum::response::Response {
    let total = Total::of(&page);
    let data: Vec<T> = page.rows.into_iter().map(T::from).collect();
    list_response(public_url, uri, query, data, total, page.next_cursor)
}

/// A page of a list with `X-Total-Count` (or, when counting stopped short of
/// every match, `X-Total-Count-At-Least`) and, when there is more,
/// `Link: <…>; rel="next"`.
pub fn list_response<T: Serialize>(
    public_url: &str,
    uri: &axum::http::Uri,
    query: &oneportal_domain::query::ListQuery,
    data: Vec<T>,
    total: Total,
    next_cursor: Option<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let offset = match query.start {
        oneportal_domain::query::Start::Offset(n) => n,
        oneportal_domain::query::Start::After(_) => 0,
    };
    let link = next_cursor.as_ref().map(|cursor| {
        let kept: Vec<(String, String)> =
            serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query().unwrap_or(""))
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| k != "cursor" && k != "offset")
                .chain([("cursor".to_owned(), cursor.clone())])
                .collect();
        format!(
            "<{public_url}{}?{}>; rel=\"next\"",
            uri.path(),
            serde_urlencoded::to_string(kept).unwrap_or_default()
        )
    });
    let page = Page {
        data,
        pagination: Pagination {
            offset,
            limit: query.limit,
            total: total.count.max(0) as u64,
            total_relation: total.relation(),
            next_cursor,
        },
    };
    let mut response = axum::Json(page).into_response();
    let headers = response.headers_mut();
    let count = axum::http::HeaderValue::from(total.count.max(0));
    if total.exact {
        headers.insert("x-total-count", count);
    } else {
        headers.insert("x-total-count-at-least", count);
    }
    if let Some(link) = link.and_then(|l| axum::http::HeaderValue::from_str(&l).ok()) {
        headers.insert(axum::http::header::LINK, link);
    }
    response
}

/// A detail with a strong `ETag`; `If-None-Match` with the same tag answers 304.
pub fn detail_response<T: Serialize>(
    request_headers: &axum::http::HeaderMap,
    body: &T,
) -> axum::response::Response {
    let bytes = serde_json::to_vec(body).expect("response serializes");
    tagged_response(request_headers, "application/json", bytes)
}

/// `bytes` of `content_type` with a strong `ETag` of their digest;
/// `If-None-Match` with the same tag answers 304.
pub fn tagged_response(
    request_headers: &axum::http::HeaderMap,
    content_type: &'static str,
    bytes: Vec<u8>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let tag = format!("\"{}\"", crate::auth::digest::sha256_tag(&bytes, 12));
    let etag = axum::http::HeaderValue::from_str(&tag).expect("hex is a valid header");
    let matches = crate::http::response_cache::matches_etag(request_headers, &etag);
    if matches {
        return (
            axum::http::StatusCode::NOT_MODIFIED,
            [(axum::http::header::ETAG, etag)],
        )
            .into_response();
    }
    (
        [
            (axum::http::header::ETAG, etag),
            (
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static(content_type),
            ),
        ],
        bytes,
    )
        .into_response()
}
