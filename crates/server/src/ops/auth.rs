//! Staff tokens: minted for a staff member (`oneportal staff token`) and
//! accepted only by the operations API.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use oneportal_domain::ScopeSet;
use oneportal_domain::ids::IdKind;
use oneportal_store::monitoring::IntegrationTokenRow;
use oneportal_store::users::{self, StaffRow};
use oneportal_store::{Db, StoreError};
use serde_json::json;

use crate::access::{bearer_token, verified_claims};
use crate::audit::{self, Actor, Event};
use crate::auth::key_ring::KeySet;
use crate::auth::tokens::{OPERATIONS_CLIENT_ID, TokenAuthority, TokenRequest, TokenUse};
use crate::http::ApiError;
use crate::services::cases::CaseActor;
use crate::services::monitoring::tokens;
use crate::state::AppState;

/// An active staff member calling the operations API.
pub struct Staff(pub StaffRow);

impl Staff {
    /// How the staff member appears on cases and in the audit log.
    pub fn case_actor(&self) -> CaseActor {
        CaseActor::staff(&self.0)
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(&parts.headers)?;
        let claims = verified_claims(state, token)
            .await
            .map_err(|e| ApiError::InvalidToken(e.to_string()))?;
        if claims.token_use != TokenUse::Staff {
            return Err(ApiError::forbidden(
                "staff_token_required",
                "the operations API is for the provider's staff: call it with a staff token, not a customer's token",
            ));
        }
        let inactive = || ApiError::InvalidToken("the staff member is no longer active".into());
        let id = IdKind::Staff.parse(&claims.sub).ok_or_else(inactive)?;
        let staff = users::find_staff(&state.db, id)
            .await?
            .filter(|s| s.status == oneportal_domain::staff::StaffStatus::Active)
            .ok_or_else(inactive)?;
        Ok(Staff(staff))
    }
}

/// A short-lived staff token; the mint is audited.
pub async fn mint_staff_token(
    db: &Db,
    authority: &TokenAuthority,
    keys: &KeySet,
    staff: &StaffRow,
    ttl_secs: u32,
) -> Result<String, StoreError> {
    let subject = IdKind::Staff.format(staff.id);
    let (token, claims) = authority.issue(
        keys,
        TokenRequest {
            subject: &subject,
            client_id: OPERATIONS_CLIENT_ID,
            // Staff belong to no customer organization.
            org_id: 0,
            scopes: ScopeSet::default(),
            token_use: TokenUse::Staff,
            ttl_secs,
        },
    );
    audit::record(
        db,
        Event::new(Actor::Cli, "staff.token_minted")
            .target("staff", subject)
            .details(json!({ "jti": claims.jti, "expiresIn": ttl_secs })),
    )
    .await?;
    Ok(token)
}

/// The integration token a request carries: the `Authorization` header, or
/// (PagerDuty-style senders) the body's `routing_key`.
pub async fn integration(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    routing_key: Option<&str>,
) -> Result<IntegrationTokenRow, ApiError> {
    let presented = match bearer_token(headers) {
        Ok(token) => token.to_owned(),
        Err(ApiError::MissingToken) => match routing_key {
            Some(key) => key.trim().to_owned(),
            None => return Err(ApiError::MissingToken),
        },
        Err(other) => return Err(other),
    };
    tokens::authenticate(state, &presented)
        .await?
        .ok_or_else(|| {
            ApiError::InvalidToken(
                "this is not a live integration token: staff issue one under Monitoring (it starts with opi_)"
                    .into(),
            )
        })
}
