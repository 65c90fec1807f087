//! `/v2/users/{userId}`: User Management's changes that API clients follow.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use oneportal_domain::ids::IdKind;
use oneportal_domain::{Permission, PermissionSet};
use serde::Deserialize;
use utoipa::ToSchema;

use super::client_ip;
use super::person::Person;
use crate::http::json::ApiJson;
use crate::http::problem::Problem;
use crate::http::{ApiError, FieldError};
use crate::services::users as service;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateUser {
    /// The user's complete set of permissions; `Sites & Services (View)` is always kept.
    #[schema(value_type = Vec<oneportal_domain::Permission>)]
    pub permissions: Vec<String>,
}

fn user_id(text: &str) -> Result<i64, ApiError> {
    IdKind::User
        .parse(text)
        .ok_or_else(|| ApiError::not_found("no user with this id in your organization"))
}

/// Change a user's permissions (User Management). Clients the user owns are
/// suspended when `Developer Portal (API)` is taken away, and reinstated when it returns.
#[utoipa::path(
    patch, path = "/v2/users/{userId}", tag = "Users",
    security(("userToken" = [])),
    params(("userId" = String, Path, description = "USR-000042")),
    request_body = UpdateUser,
    responses(
        (status = 204, description = "Changed"),
        (status = 403, description = "No User Management permission", body = Problem),
        (status = 404, description = "No such user in your organization", body = Problem),
        (status = 422, description = "Unknown permission names", body = Problem),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    connect: ConnectInfo<SocketAddr>,
    Person(user): Person,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<StatusCode, ApiError> {
    let admin = &user;
    let mut errors = Vec::new();
    let mut permissions = PermissionSet::default();
    for (i, name) in body.permissions.iter().enumerate() {
        match Permission::parse(name) {
            Some(p) => permissions.insert(p),
            None => errors.push(FieldError::new(
                format!("/permissions/{i}"),
                "unknown_permission",
                format!(
                    "'{name}' is not a permission; allowed: {}",
                    Permission::ALL
                        .iter()
                        .map(|p| p.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    service::set_permissions(
        &state,
        admin,
        user_id(&id)?,
        permissions,
        client_ip(&connect),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a user (User Management): access ends, the record stays, their API clients are suspended.
#[utoipa::path(
    delete, path = "/v2/users/{userId}", tag = "Users",
    security(("userToken" = [])),
    params(("userId" = String, Path, description = "USR-000042")),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "No User Management permission", body = Problem),
        (status = 404, description = "No such user in your organization", body = Problem),
        (status = 409, description = "The user cannot be removed now (yourself, or already removed); the detail says why", body = Problem),
    )
)]
pub async fn remove(
    State(state): State<AppState>,
    connect: ConnectInfo<SocketAddr>,
    Person(user): Person,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let admin = &user;
    service::remove(&state, admin, user_id(&id)?, client_ip(&connect)).await?;
    Ok(StatusCode::NO_CONTENT)
}
