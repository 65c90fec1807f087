//! The one way a portal page checks the permission it needs: a handler takes
//! `Require<SupportEdit>` instead of a session and a check of its own, so no
//! page can forget the check and every page checks alike (the API's rule).

use std::marker::PhantomData;
use std::ops::Deref;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use oneportal_domain::Permission;

use super::PortalError;
use super::csrf::CsrfBound;
use super::login::require;
use super::session::Session;
use crate::state::AppState;

/// A permission as a type, for [`Require`].
pub trait Needed: Send + Sync {
    const PERMISSION: Permission;
    /// Other permissions that open the page as well.
    const ALSO: &'static [Permission] = &[];
}

macro_rules! needed {
    ($($name:ident),*) => {$(
        #[doc = concat!("The `", stringify!($name), "` permission.")]
        pub struct $name;
        impl Needed for $name {
            const PERMISSION: Permission = Permission::$name;
        }
    )*};
}
needed!(
    SitesServicesView,
    SupportView,
    SupportEdit,
    OrdersView,
    OrdersApprove,
    BillingView,
    DeveloperPortal,
    UserManagement
);

/// Quotes are read by whoever follows orders and by whoever approves them.
pub struct QuotesRead;
impl Needed for QuotesRead {
    const PERMISSION: Permission = Permission::OrdersView;
    const ALSO: &'static [Permission] = &[Permission::OrdersApprove];
}

/// The session of a person who holds the permission `P`; without it, a 403
/// page that names the permission.
pub struct Require<P: Needed> {
    session: Session,
    needed: PhantomData<P>,
}

impl<P: Needed> Deref for Require<P> {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.session
    }
}

impl<P: Needed> FromRequestParts<AppState> for Require<P> {
    type Rejection = PortalError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PortalError> {
        let session = Session::from_request_parts(parts, state).await?;
        if !P::ALSO
            .iter()
            .any(|p| session.user.permissions.contains(*p))
        {
            require(&session, P::PERMISSION)?;
        }
        Ok(Require {
            session,
            needed: PhantomData,
        })
    }
}

impl<P: Needed> CsrfBound for Require<P> {
    fn csrf_token(&self) -> &str {
        self.session.csrf_token()
    }
}
