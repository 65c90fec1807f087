//! What staff look across: every organization, and every customer's cases.

use axum::extract::{OriginalUri, RawQuery, State};
use axum::response::Response;
use oneportal_domain::ids::IdKind;
use oneportal_domain::query::{ListSpec, Start};
use oneportal_store::cases::{self, CASES, CaseRow};
use oneportal_store::orgs::{self, OrganizationSummary};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Staff;
use crate::http::ApiError;
use crate::http::pagination::{Page, Total, list_response, page_response, parse_list_query};
use crate::http::time::rfc3339;
use crate::models::case::Case;
use crate::state::AppState;

/// A customer organization as staff see it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    #[schema(example = "ORG-000001")]
    pub organization_id: String,
    /// The provider's reference from the import; null for organizations made in OnePortal.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub name: String,
    pub accounts: i64,
    /// Users who are not removed.
    pub users: i64,
    pub created_date: String,
}

impl From<OrganizationSummary> for Organization {
    fn from(o: OrganizationSummary) -> Self {
        Organization {
            organization_id: IdKind::Organization.format(o.id),
            reference: o.external_ref,
            name: o.name,
            accounts: o.accounts,
            users: o.users,
            created_date: rfc3339(o.created_at),
        }
    }
}

/// Organizations have no filters; they are listed by name.
const ORGANIZATIONS: ListSpec = ListSpec {
    fields: &[],
    default_sort: &[],
};

/// List customer organizations.
#[utoipa::path(get, path = "/ops/v1/organizations", tag = "Organizations", security(("staffToken" = [])),
    params(("offset" = Option<u32>, Query, maximum = 10000, description = "Records to skip, at most 10,000"), ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Default 50, at most 200")),
    description = "Every customer organization by name, with its import reference and how many accounts and users it has.",
    responses((status = 200, body = Page<Organization>, headers(("X-Total-Count" = i64))),
        (status = 400, description = "Unknown parameter, or offset/limit out of range", body = crate::http::problem::Problem)))]
pub async fn list_organizations(
    State(state): State<AppState>,
    _staff: Staff,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&ORGANIZATIONS, raw.as_deref())?;
    let Start::Offset(offset) = query.start else {
        return Err(ApiError::bad_request(
            "invalid_query",
            "organizations page by offset, not by cursor",
        ));
    };
    let all = orgs::list_organizations(&state.db).await?;
    let total = all.len() as i64;
    let page: Vec<Organization> = all
        .into_iter()
        .skip(offset as usize)
        .take(query.limit as usize)
        .map(Organization::from)
        .collect();
    Ok(list_response(
        &state.public_url,
        &uri,
        &query,
        page,
        Total::exact(total),
        None,
    ))
}

/// A case in the provider's queue: the customer's view plus whose it is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueuedCase {
    #[schema(example = "ORG-000001")]
    pub organization_id: String,
    #[serde(flatten)]
    pub case: Case,
}

impl From<CaseRow> for QueuedCase {
    fn from(row: CaseRow) -> Self {
        QueuedCase {
            organization_id: IdKind::Organization.format(row.org_id),
            case: Case::from(row),
        }
    }
}

/// The case queue across every customer.
#[utoipa::path(get, path = "/ops/v1/cases", tag = "Cases", security(("staffToken" = [])),
    description = "Every organization's cases, with the filters, sorting and paging of `GET /v2/cases` (e.g. `status=Acknowledged,InProgress&sort=priority,createdDate` for the work queue).",
    responses((status = 200, body = Page<QueuedCase>, headers(("X-Total-Count" = i64, description = "How many cases match, when at most 10,000 do"), ("X-Total-Count-At-Least" = i64, description = "Instead of X-Total-Count when more than 10,000 match: 10000 (the list counts no further; pagination.totalRelation is gte)"), ("Link" = String))),
        (status = 400, description = "Unknown parameter, filter value or sort key", body = crate::http::problem::Problem)))]
pub async fn list_cases(
    State(state): State<AppState>,
    _staff: Staff,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&CASES, raw.as_deref())?;
    let page = cases::list_case_queue(&state.db, None, &query).await?;
    Ok(page_response::<_, QueuedCase>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}
