//! Staff sessions: the customer portal's scheme (see [`crate::portal::session`])
//! under their own cookie and table, so a customer's session never opens a
//! staff page and a staff session never opens a customer's.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use oneportal_store::StoreError;
use oneportal_store::sessions::{self, SessionTable};
use oneportal_store::users::{self, StaffRow};

use crate::portal::PortalError;
use crate::portal::csrf::CsrfBound;
use crate::portal::session::{self, SessionKind};
use crate::services::cases::CaseActor;
use crate::state::AppState;

/// A logged-in, active staff member.
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub token_hash: String,
    pub csrf_token: String,
    pub staff: StaffRow,
}

impl StaffSession {
    /// How this staff member appears on cases and in the audit log.
    pub fn case_actor(&self) -> CaseActor {
        crate::services::cases::CaseActor::staff(&self.staff)
    }
}

impl SessionKind for StaffSession {
    type Person = StaffRow;
    const COOKIE: &'static str = "op_staff";
    const TABLE: SessionTable = sessions::STAFF;
    const HOME: &'static str = "/staff/";

    async fn active_person(state: &AppState, id: i64) -> Result<Option<StaffRow>, StoreError> {
        Ok(users::find_staff(&state.db, id)
            .await?
            .filter(|s| s.status == oneportal_domain::staff::StaffStatus::Active))
    }

    fn new(token_hash: String, csrf_token: String, staff: StaffRow) -> Self {
        StaffSession {
            token_hash,
            csrf_token,
            staff,
        }
    }

    fn token_hash(&self) -> &str {
        &self.token_hash
    }

    fn login_required(next: String) -> PortalError {
        PortalError::StaffLoginRequired { next }
    }
}

impl CsrfBound for StaffSession {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl FromRequestParts<AppState> for StaffSession {
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PortalError> {
        session::extract(parts, state).await
    }
}
