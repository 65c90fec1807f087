//! Staff log in at `/staff/login` with their own password, through the
//! customers' login flow (`portal::login`): what is the staff's own is here.

use oneportal_domain::ids::IdKind;
use oneportal_store::{StoreError, users};

use super::session::StaffSession;
use crate::audit::Actor;
use crate::portal::layout::Layout;
use crate::portal::login::{Audited, Candidate, LoginAudit, LoginKind};
use crate::state::AppState;

impl LoginKind for StaffSession {
    const LOGIN_PATH: &'static str = "/staff/login";
    const HEADING: &'static str = "Provider staff log in";
    const HINT: &'static str = "For the provider's staff. Customers log in at <a href=\"/portal/login\">the portal</a>. A staff password is set with <code>oneportal staff set-password</code>.";
    // Its own cookie, so that an open customer login form stays valid beside it.
    const FORM_CSRF_COOKIE: &'static str = "op_staff_login_csrf";
    const GENERIC_FAILURE: &'static str = "The email address or password is not correct, or the staff member is not active. Check both and try again.";
    const AUDIT: LoginAudit = LoginAudit {
        succeeded: "staff.login_succeeded",
        failed: "staff.login_failed",
        locked: "staff.login_locked",
        logged_out: "staff.logged_out",
        not_active: "staff_not_active",
    };

    fn login_layout(_state: &AppState) -> Layout {
        let mut layout = Layout::public("Staff log in");
        layout.home_href = "/staff/";
        layout
    }

    /// Failed staff logins are counted apart from a customer's with the same address.
    fn throttle_key(email: &str) -> String {
        format!("staff:{email}")
    }

    async fn find_by_email(state: &AppState, email: &str) -> Result<Option<Candidate>, StoreError> {
        Ok(users::find_staff_by_email(&state.db, email)
            .await?
            .map(|member| Candidate {
                id: member.id,
                org_id: None,
                active: member.status == oneportal_domain::staff::StaffStatus::Active,
                audited: audited(member.id),
                password_hash: member.password_hash,
            }))
    }

    fn audited(&self) -> Audited {
        audited(self.staff.id)
    }
}

fn audited(staff_id: i64) -> Audited {
    Audited {
        actor: Actor::Staff { id: staff_id },
        target: ("staff", IdKind::Staff.format(staff_id)),
    }
}
