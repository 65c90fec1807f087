//! `/v2/api-clients`: API clients, managed by people with a user token.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oneportal_domain::ids::IdKind;
use oneportal_domain::query::{Field, FieldKind, Filter, ListSpec, Start};
use oneportal_domain::{ApiClientStatus, ApiScope, ScopeSet};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client_ip;
use super::person::Person;
use crate::http::json::ApiJson;
use crate::http::pagination::{Page, parse_list_query};
use crate::http::problem::Problem;
use crate::http::time::rfc3339;
use crate::http::{ApiError, FieldError};
use crate::services::api_clients::{self as service, ClientView, MAX_GRACE_HOURS};
use crate::state::AppState;

/// The body of `POST /v2/api-clients`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"apiClientName": "ScopeName1", "scopes": ["BasicRead"]}))]
pub struct CreateApiClient {
    /// 1–100 characters, unique in your organization (ignoring case).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\x00-\\x1F\\x7F]*[^\\s\\x00-\\x1F\\x7F][^\\x00-\\x1F\\x7F]*$"
    )]
    pub api_client_name: String,
    /// One or more of `BasicRead`, `SupportRead`, `SupportReadWrite`, `BillingRead`. Fixed for the client's life.
    #[schema(value_type = Vec<ApiScope>, min_items = 1)]
    pub scopes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    pub user_id: String,
    pub email: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretInfo {
    /// The last four characters, to tell secrets apart.
    pub last4: String,
    pub created_date: String,
    /// When this secret stops working; null while it is the current one.
    pub expires_date: Option<String>,
}

/// An API client. Its secret is never shown here.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiClient {
    pub client_id: String,
    pub api_client_name: String,
    pub scopes: Vec<ApiScope>,
    /// The OAuth scope strings to request at the token endpoint.
    pub oauth_scopes: Vec<&'static str>,
    /// The scopes tokens get now: a client acts at most with its owner's current
    /// permissions, so a scope whose permission the owner lost is left out
    /// (`SupportReadWrite` becomes `SupportRead` while the owner may still read cases).
    pub effective_scopes: Vec<ApiScope>,
    /// The scopes the owner's permissions no longer back, with the permission each
    /// needs; empty when all are in force. A token request naming one is `invalid_scope`.
    pub suspended_scopes: Vec<SuspendedScope>,
    /// `Active`, `Suspended` (its owner lost access) or `Revoked`.
    pub status: oneportal_domain::ApiClientStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspension_reason: Option<String>,
    pub token_endpoint: String,
    pub created_date: String,
    pub created_by: UserRef,
    pub owner: UserRef,
    pub last_used_date: Option<String>,
    pub revoked_date: Option<String>,
    pub secrets: Vec<SecretInfo>,
}

/// A scope of a client that its owner's permissions no longer back.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuspendedScope {
    pub scope: ApiScope,
    /// Why, e.g. "SupportReadWrite needs 'Support (Edit)'", which the owner no longer holds.
    pub reason: String,
}

/// An API client with its secret: only in the answer that creates it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiClient {
    /// Shown this once and never again: store it now.
    pub client_secret: String,
    #[serde(flatten)]
    pub client: ApiClient,
}

fn to_api(state: &AppState, view: ClientView) -> ApiClient {
    let effective_scopes = view.scopes_in_force().to_vec();
    let suspended_scopes = view
        .suspended_scopes()
        .into_iter()
        .map(|(scope, needs)| SuspendedScope {
            scope,
            reason: format!("{needs}, which the owner no longer holds"),
        })
        .collect();
    let row = view.row;
    let scopes = ScopeSet::from_names(&row.scopes);
    ApiClient {
        client_id: row.client_id,
        api_client_name: row.name,
        scopes: scopes.to_vec(),
        oauth_scopes: scopes.iter().map(ApiScope::oauth_name).collect(),
        effective_scopes,
        suspended_scopes,
        status: row.status,
        suspension_reason: row
            .suspension_reason
            .as_deref()
            .and_then(oneportal_domain::SuspensionReason::parse)
            .map(|r| r.explanation().to_owned()),
        token_endpoint: state.token_endpoint(),
        created_date: rfc3339(row.created_at),
        created_by: UserRef {
            user_id: IdKind::User.format(row.created_by_user_id),
            email: view.creator_email,
        },
        owner: UserRef {
            user_id: IdKind::User.format(row.owner_user_id),
            email: view.owner_email,
        },
        last_used_date: row.last_used_at.map(rfc3339),
        revoked_date: row.revoked_at.map(rfc3339),
        secrets: view
            .secrets
            .into_iter()
            .map(|s| SecretInfo {
                last4: s.last4,
                created_date: rfc3339(s.created_at),
                expires_date: s.expires_at.map(rfc3339),
            })
            .collect(),
    }
}

/// Create an API client.
///
/// Needs an active user with `Developer Portal (API)`, holding for each scope
/// the permission behind it (`BasicRead`: Sites & Services (View); `SupportRead`:
/// Support (View) or Support (Edit); `SupportReadWrite`: Support (Edit);
/// `BillingRead`: Billing (View)). The answer carries `clientSecret` this once.
#[utoipa::path(
    post, path = "/v2/api-clients", tag = "APIClients",
    security(("userToken" = [])),
    request_body = CreateApiClient,
    responses(
        (status = 201, description = "Created; the secret is shown this once", body = CreatedApiClient),
        (status = 400, description = "Malformed JSON, with line and column (typographic quotes are named)", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "A client-credentials token, or a missing permission (named)", body = Problem),
        (status = 409, description = "Name taken, or the organization's client quota is reached", body = Problem),
        (status = 415, description = "The body is not JSON", body = Problem),
        (status = 422, description = "Invalid name or unknown scopes (the allowed values are listed)", body = Problem),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    connect: ConnectInfo<SocketAddr>,
    Person(user): Person,
    ApiJson(body): ApiJson<CreateApiClient>,
) -> Result<Response, ApiError> {
    let (view, secret) = service::create(
        &state,
        &user,
        &body.api_client_name,
        &body.scopes,
        client_ip(&connect),
    )
    .await?;
    let client = to_api(&state, view);
    let location = format!("/v2/api-clients/{}", client.client_id);
    let mut response = (
        StatusCode::CREATED,
        Json(CreatedApiClient {
            client_secret: secret.expose().to_owned(),
            client,
        }),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).expect("client ids are URL-safe"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The filters of `GET /v2/api-clients`.
pub const API_CLIENTS: ListSpec = ListSpec {
    fields: &[Field {
        name: "status",
        kind: FieldKind::Enum(ApiClientStatus::NAMES),
        filterable: true,
        sortable: false,
    }],
    default_sort: &[],
};

/// List API clients: your own, or the whole organization's with `User Management`.
#[utoipa::path(
    get, path = "/v2/api-clients", tag = "APIClients",
    security(("userToken" = [])),
    params(
        ("status" = Option<String>, Query, pattern = "^(Active|Suspended|Revoked)(,(Active|Suspended|Revoked))*$", description = "Active, Suspended or Revoked; `a,b` for either"),
        ("offset" = Option<u32>, Query, maximum = 10000, description = "Records to skip (default 0, at most 10,000)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Records per page, 1–200 (default 50)"),
    ),
    responses(
        (status = 200, description = "Newest first", body = Page<ApiClient>),
        (status = 400, description = "Unknown parameter or status", body = Problem),
        (status = 401, description = "Missing or invalid token", body = Problem),
        (status = 403, description = "Not a user token, or no Developer Portal (API) permission", body = Problem),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Person(user): Person,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&API_CLIENTS, raw.as_deref())?;
    let Start::Offset(offset) = query.start else {
        return Err(ApiError::bad_request(
            "invalid_query",
            "this list pages by offset and limit; it has no cursor",
        ));
    };
    let statuses = query.filters.iter().find_map(|f| match f {
        Filter::AnyOf { values, .. } => Some(values.clone()),
        Filter::Range { .. } => None,
    });
    let all: Vec<ApiClient> = service::list(&state, &user)
        .await?
        .into_iter()
        .filter(|v| {
            statuses
                .as_ref()
                .is_none_or(|s| s.iter().any(|x| x == v.row.status.as_str()))
        })
        .map(|v| to_api(&state, v))
        .collect();
    let page = Page::slice(all, offset, query.limit);
    let total = page.pagination.total;
    Ok(([("x-total-count", total.to_string())], Json(page)).into_response())
}

/// Get one API client.
#[utoipa::path(
    get, path = "/v2/api-clients/{clientId}", tag = "APIClients",
    security(("userToken" = [])),
    params(("clientId" = String, Path, description = "The client id")),
    responses(
        (status = 200, description = "The client", body = ApiClient),
        (status = 404, description = "No such client visible to you", body = Problem),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Person(user): Person,
    Path(client_id): Path<String>,
) -> Result<Json<ApiClient>, ApiError> {
    let view = service::visible(&state, &user, &client_id).await?;
    Ok(Json(to_api(&state, view)))
}

/// Revoke an API client: token requests fail at once, issued tokens stop working within a second.
#[utoipa::path(
    delete, path = "/v2/api-clients/{clientId}", tag = "APIClients",
    security(("userToken" = [])),
    params(("clientId" = String, Path, description = "The client id")),
    responses(
        (status = 200, description = "The revoked client", body = ApiClient),
        (status = 404, description = "No such client visible to you", body = Problem),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    connect: ConnectInfo<SocketAddr>,
    Person(user): Person,
    Path(client_id): Path<String>,
) -> Result<Json<ApiClient>, ApiError> {
    let view = service::revoke(&state, &user, &client_id, client_ip(&connect)).await?;
    Ok(Json(to_api(&state, view)))
}

/// Scopes and names cannot change: create a new client instead.
#[utoipa::path(
    patch, path = "/v2/api-clients/{clientId}", tag = "APIClients",
    security(("userToken" = [])),
    params(("clientId" = String, Path, description = "The client id")),
    description = "Always refused: an API client's name and scopes are fixed for its life. Create a new client with the scopes you need, move your integration to it, then revoke the old one.",
    responses(
        (status = 404, description = "No such client visible to you", body = Problem),
        (status = 405, description = "API clients are immutable", body = Problem, headers(("Allow" = String, description = "GET, DELETE"))),
    )
)]
pub async fn refuse_change(
    State(state): State<AppState>,
    Person(user): Person,
    Path(client_id): Path<String>,
) -> Response {
    // Another organization's client is a 404 here as everywhere.
    if let Err(error) = service::visible(&state, &user, &client_id).await {
        return error.into_response();
    }
    let refusal = ApiError::MethodNotAllowed {
        code: "api_client_immutable",
        detail: "an API client's scopes cannot be changed after creation; create a new API client with the scopes you need, then revoke this one".into(),
    };
    ([(header::ALLOW, "GET, DELETE")], refusal).into_response()
}

/// The body of `POST /v2/api-clients/{clientId}/secrets`.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateSecret {
    /// How long the previous secrets keep working, 0–168 hours (default 24).
    #[schema(maximum = 168)]
    #[serde(default, deserialize_with = "crate::http::json::whole_number")]
    pub grace_period_hours: Option<u32>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotatedSecret {
    /// The new secret, shown this once.
    pub client_secret: String,
    /// When the previous secrets stop working.
    pub previous_secrets_expire_date: String,
    #[serde(flatten)]
    pub client: ApiClient,
}

/// Rotate the client secret: a new secret now, the old one until the grace deadline.
#[utoipa::path(
    post, path = "/v2/api-clients/{clientId}/secrets", tag = "APIClients",
    security(("userToken" = [])),
    params(("clientId" = String, Path, description = "The client id")),
    request_body(content = RotateSecret, description = "Optional; an empty body means a 24-hour grace period"),
    responses(
        (status = 201, description = "The new secret, shown this once", body = RotatedSecret),
        (status = 404, description = "No such client visible to you", body = Problem),
        (status = 409, description = "The client is revoked", body = Problem),
        (status = 422, description = "Grace period out of range", body = Problem),
    )
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    connect: ConnectInfo<SocketAddr>,
    Person(user): Person,
    Path(client_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let body: RotateSecret = if body.iter().all(u8::is_ascii_whitespace) {
        RotateSecret::default()
    } else {
        crate::http::json::parse(&body)?
    };
    let grace = body
        .grace_period_hours
        .unwrap_or(state.config.api_clients.default_grace_hours);
    if grace > MAX_GRACE_HOURS {
        return Err(ApiError::validation(vec![FieldError::new(
            "/gracePeriodHours",
            "out_of_range",
            format!("gracePeriodHours must be from 0 to {MAX_GRACE_HOURS} (7 days); got {grace}"),
        )]));
    }
    let (view, secret, deadline) =
        service::rotate(&state, &user, &client_id, grace, client_ip(&connect)).await?;
    let body = RotatedSecret {
        client_secret: secret.expose().to_owned(),
        previous_secrets_expire_date: rfc3339(deadline),
        client: to_api(&state, view),
    };
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferApiClient {
    /// The developer who will own the client (`USR-000042`).
    #[schema(pattern = "^USR-[0-9]{6,18}$")]
    pub new_owner_user_id: String,
}

/// Transfer a client to another developer (User Management); lifts a suspension.
///
/// The transfer retires every secret of the client and ends every token issued
/// before it: the previous owner keeps nothing that works. The new owner creates a
/// secret with `POST /v2/api-clients/{clientId}/secrets`; until then the token
/// endpoint answers `invalid_client`.
#[utoipa::path(
    post, path = "/v2/api-clients/{clientId}/transfer", tag = "APIClients",
    security(("userToken" = [])),
    params(("clientId" = String, Path, description = "The client id")),
    request_body = TransferApiClient,
    responses(
        (status = 200, description = "The client with its new owner", body = ApiClient),
        (status = 403, description = "No User Management permission", body = Problem),
        (status = 404, description = "No such client in your organization", body = Problem),
        (status = 409, description = "The client is revoked", body = Problem),
        (status = 422, description = "The new owner cannot own this client", body = Problem),
    )
)]
pub async fn transfer(
    State(state): State<AppState>,
    connect: ConnectInfo<SocketAddr>,
    Person(user): Person,
    Path(client_id): Path<String>,
    ApiJson(body): ApiJson<TransferApiClient>,
) -> Result<Json<ApiClient>, ApiError> {
    let new_owner = IdKind::User
        .parse(body.new_owner_user_id.trim())
        .ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                "/newOwnerUserId",
                "invalid_id",
                "expected a user id such as USR-000042",
            )])
        })?;
    let view = service::transfer(&state, &user, &client_id, new_owner, client_ip(&connect)).await?;
    Ok(Json(to_api(&state, view)))
}
