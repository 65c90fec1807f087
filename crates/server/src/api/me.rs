//! `GET /v2/me`: the caller, its organization and its scopes.

use axum::Json;
use axum::extract::State;
use oneportal_domain::ids::IdKind;
use oneportal_domain::{ApiScope, Permission};
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::http::ApiError;
use crate::http::problem::Problem;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub organization_id: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeUser {
    pub user_id: String,
    pub email: String,
    pub permissions: Vec<Permission>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// `ApiClient` for client-credentials tokens, `User` for user tokens.
    pub caller_type: &'static str,
    pub client_id: String,
    /// The user behind a user token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<MeUser>,
    pub organization: Organization,
    pub scopes: Vec<ApiScope>,
    pub oauth_scopes: Vec<&'static str>,
    pub token_expires_date: String,
}

/// The caller: which client or user, which organization, which scopes.
///
/// Works with any valid token, whatever its scopes.
#[utoipa::path(
    get, path = "/v2/me", tag = "Me",
    security(("oauth2" = []), ("userToken" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Missing, invalid, expired or revoked token", body = Problem),
    )
)]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>, ApiError> {
    let org = state
        .directory
        .organization(&state.db, caller.org_id())
        .await?
        .ok_or_else(|| ApiError::Internal("organization missing".into()))?;
    let scopes = caller.scopes();
    let user = match &caller {
        Caller::User { user, .. } => Some(MeUser {
            user_id: IdKind::User.format(user.id),
            email: user.email.clone(),
            permissions: user.permissions.iter().collect(),
        }),
        Caller::Client { .. } => None,
    };
    Ok(Json(Me {
        caller_type: if user.is_some() { "User" } else { "ApiClient" },
        client_id: caller.claims().client_id.clone(),
        user,
        organization: Organization {
            organization_id: IdKind::Organization.format(org.id),
            name: org.name.clone(),
        },
        scopes: scopes.to_vec(),
        oauth_scopes: scopes.iter().map(ApiScope::oauth_name).collect(),
        token_expires_date: crate::http::time::rfc3339(caller.claims().exp * 1000),
    }))
}
