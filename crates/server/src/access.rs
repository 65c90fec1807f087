//! The guard every API V2 request passes: who is calling, for which
//! organization, with which scopes. Handlers take a [`Caller`] and ask it.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use oneportal_domain::event::EventType;
use oneportal_domain::ids::IdKind;
use oneportal_domain::{
    ApiClientStatus, ApiScope, Permission, PermissionSet, ScopeSet, UserStatus,
};

use crate::auth::tokens::{AccessClaims, TokenError, TokenUse, time_now};
use crate::directory::{ClientEntry, UserEntry};
use crate::http::ApiError;
use crate::state::AppState;

/// An authenticated caller: an API client (client credentials) or a person (user token).
#[derive(Debug, Clone)]
pub enum Caller {
    Client {
        client: Arc<ClientEntry>,
        claims: Arc<AccessClaims>,
        /// The client's owner as now: the client acts at most with these permissions and account access.
        owner: Arc<UserEntry>,
    },
    User {
        user: Arc<UserEntry>,
        claims: Arc<AccessClaims>,
    },
}

impl Caller {
    pub fn org_id(&self) -> i64 {
        match self {
            Caller::Client { client, .. } => client.org_id,
            Caller::User { user, .. } => user.org_id,
        }
    }

    /// Who the caller is, for rate limits and idempotency keys: a client id or `USR-…`.
    pub fn subject(&self) -> &str {
        match self {
            Caller::Client { client, .. } => &client.client_id,
            Caller::User { claims, .. } => &claims.sub,
        }
    }

    pub fn claims(&self) -> &AccessClaims {
        match self {
            Caller::Client { claims, .. } | Caller::User { claims, .. } => claims,
        }
    }

    /// The scopes in force: the token's, bounded by the permissions the user (or
    /// the client's owner) holds now.
    pub fn scopes(&self) -> ScopeSet {
        let granted = ScopeSet::parse_oauth_string(&self.claims().scope).unwrap_or_default();
        match self {
            Caller::Client { owner, .. } => client_scopes_in_force(granted, owner.permissions),
            Caller::User { user, .. } => {
                let current = ApiScope::granted_by_permissions(user.permissions);
                granted.iter().filter(|s| current.contains(*s)).collect()
            }
        }
    }

    pub fn require(&self, scope: ApiScope) -> Result<(), ApiError> {
        if self.scopes().allows(scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope(scope))
        }
    }

    /// The organization and accounts this caller may see: a client acts with its
    /// owner's current account access (as resolved with the token), bounded by its scopes.
    pub async fn access_scope(
        &self,
        _state: &AppState,
    ) -> Result<oneportal_store::catalog::AccessScope, ApiError> {
        match self {
            Caller::User { user, .. } => Ok(user.access_scope()),
            Caller::Client { owner, .. } => Ok(owner.access_scope()),
        }
    }

    /// For endpoints managed by people (API clients, users): refuses machine tokens.
    pub fn require_user(&self) -> Result<&Arc<UserEntry>, ApiError> {
        match self {
            Caller::User { user, .. } => Ok(user),
            Caller::Client { .. } => Err(ApiError::forbidden(
                "user_token_required",
                "this endpoint is managed by people, not machines: call it with a user token (from the Developer Portal's API tab or `oneportal users token`), not with a client-credentials token",
            )),
        }
    }

    pub fn require_permission(user: &UserEntry, permission: Permission) -> Result<(), ApiError> {
        if user.permissions.contains(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "missing_permission",
                format!(
                    "this needs the '{}' permission, which your user does not hold",
                    permission.label()
                ),
            ))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Resolved already by the API guard.
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let token = bearer_token(&parts.headers)?;
        let claims = verified_claims(state, token)
            .await
            .map_err(|e| ApiError::InvalidToken(e.to_string()))?;
        resolve(state, claims).await
    }
}

/// The token in `Authorization: Bearer <token>`.
pub(crate) fn bearer_token(headers: &axum::http::HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::MissingToken)?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::InvalidToken("the Authorization header is not readable".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(token.trim()),
        _ => Err(ApiError::InvalidToken(
            "send the access token as 'Authorization: Bearer <token>'".into(),
        )),
    }
}

/// Verifies a token once, then serves it from memory until it expires.
pub(crate) async fn verified_claims(
    state: &AppState,
    token: &str,
) -> Result<Arc<AccessClaims>, TokenError> {
    let claims = match state.verified_tokens.get(token) {
        Some(claims) => claims,
        None => {
            let verified = match state.authority.verify(&state.keys.current(), token) {
                Err(TokenError::UnknownKey) if state.keys.reload_for_unknown_kid().await => {
                    state.authority.verify(&state.keys.current(), token)
                }
                other => other,
            }?;
            let claims = Arc::new(verified);
            state
                .verified_tokens
                .insert(token.to_owned(), claims.clone());
            claims
        }
    };
    if claims.exp <= time_now() {
        state.verified_tokens.remove(token);
        return Err(TokenError::Expired);
    }
    if state.revoked_tokens.contains_key(&claims.jti) {
        return Err(TokenError::Revoked);
    }
    Ok(claims)
}

/// The token's subject as it is now: a revoked client or removed user loses access at once.
async fn resolve(state: &AppState, claims: Arc<AccessClaims>) -> Result<Caller, ApiError> {
    let invalid = |e: TokenError| ApiError::InvalidToken(e.to_string());
    if claims.token_use == TokenUse::Staff {
        return Err(ApiError::InvalidToken(
            "a staff token is for the operations API (/ops/v1), not API V2".into(),
        ));
    }
    let org_id = IdKind::Organization
        .parse(&claims.org_id)
        .ok_or_else(|| invalid(TokenError::Malformed))?;
    match claims.token_use {
        TokenUse::Staff => Err(invalid(TokenError::Malformed)),
        TokenUse::Client => match client_of_token(state, &claims, org_id).await? {
            Ok((client, owner)) => Ok(Caller::Client {
                client,
                claims,
                owner,
            }),
            Err(e) => Err(invalid(e)),
        },
        TokenUse::User => {
            let user_id = IdKind::User
                .parse(&claims.sub)
                .ok_or_else(|| invalid(TokenError::Malformed))?;
            let user = state
                .directory
                .user(&state.db, user_id)
                .await?
                .filter(|u| u.org_id == org_id && u.status == UserStatus::Active)
                .ok_or_else(|| invalid(TokenError::UserInactive))?;
            Ok(Caller::User { user, claims })
        }
    }
}

/// The client a verified client token names and that client's owner, as they are
/// now; the token's refusal when the client is revoked, suspended or was
/// transferred after the token was issued. The API guard and introspection share it.
pub(crate) async fn client_of_token(
    state: &AppState,
    claims: &AccessClaims,
    org_id: i64,
) -> Result<Result<(Arc<ClientEntry>, Arc<UserEntry>), TokenError>, oneportal_store::StoreError> {
    let Some(client) = state
        .directory
        .client(&state.db, &claims.client_id)
        .await?
        .filter(|c| c.org_id == org_id)
    else {
        return Ok(Err(TokenError::ClientRevoked));
    };
    match client.status {
        ApiClientStatus::Active => {}
        ApiClientStatus::Revoked => return Ok(Err(TokenError::ClientRevoked)),
        ApiClientStatus::Suspended => {
            return Ok(Err(TokenError::ClientSuspended(
                client
                    .suspension
                    .map(|r| r.explanation())
                    .unwrap_or("the API client is suspended"),
            )));
        }
    }
    if claims.client_generation.unwrap_or(0) != client.token_generation {
        return Ok(Err(TokenError::ClientTransferred));
    }
    // An owner who is no longer active has their clients suspended; until that
    // change arrives, refuse here as well.
    let owner = state
        .directory
        .user(&state.db, client.owner_user_id)
        .await?
        .filter(|u| u.org_id == org_id && u.status == UserStatus::Active);
    match owner {
        Some(owner) => Ok(Ok((client, owner))),
        None => Ok(Err(TokenError::ClientSuspended(
            "the API client's owner no longer has access",
        ))),
    }
}

/// The scopes of `held` an API client may use while its owner holds
/// `owner_permissions`: a client acts at most with its owner's current
/// permissions. `SupportReadWrite` falls back to `SupportRead` while the owner
/// may still read cases.
pub fn client_scopes_in_force(held: ScopeSet, owner_permissions: PermissionSet) -> ScopeSet {
    let mut in_force = ScopeSet::default();
    for scope in held.iter() {
        if scope.may_be_granted_by(owner_permissions) {
            in_force.insert(scope);
        } else if scope == ApiScope::SupportReadWrite
            && ApiScope::SupportRead.may_be_granted_by(owner_permissions)
        {
            in_force.insert(ApiScope::SupportRead);
        }
    }
    in_force
}

/// "SupportReadWrite needs 'Support (Edit)'", for messages about a scope an owner cannot back.
pub fn scope_needs(scope: ApiScope) -> String {
    format!("{} needs {}", scope.name(), scope.creator_needs_text())
}

/// The scope an operation needs, as a type, so that [`Access`] checks it before the
/// handler runs.
pub trait Needs {
    const SCOPE: ApiScope;

    /// Whether the caller's scopes open the operation (by default: [`Needs::SCOPE`]).
    fn check(caller: &Caller) -> Result<(), ApiError> {
        caller.require(Self::SCOPE)
    }
}

macro_rules! needs {
    ($($name:ident),*) => {$(
        #[doc = concat!("Needs `", stringify!($name), "`.")]
        pub struct $name;
        impl Needs for $name {
            const SCOPE: ApiScope = ApiScope::$name;
        }
    )*};
}
needs!(
    BasicRead,
    SupportRead,
    SupportReadWrite,
    BillingRead,
    OrdersRead
);

/// The event feed: any scope that reads some kind of event; each event is then
/// shown only to a caller whose scopes read its kind of record.
pub struct EventsRead;

impl Needs for EventsRead {
    const SCOPE: ApiScope = ApiScope::BasicRead;

    fn check(caller: &Caller) -> Result<(), ApiError> {
        let scopes = caller.scopes();
        if EventType::ALL.iter().any(|t| scopes.allows(t.scope())) {
            return Ok(());
        }
        Err(ApiError::forbidden(
            "insufficient_scope",
            "the event feed needs a scope that reads some kind of event: customerapi/basic.read (services), customerapi/support.read (cases) or customerapi/billing.read (invoices)",
        ))
    }
}

/// The one place API V2 enforces access: the caller, checked for the scope `N`, and
/// the organization and accounts it may see (which every store query takes).
pub struct Access<N: Needs> {
    pub caller: Caller,
    pub scope: oneportal_store::catalog::AccessScope,
    needs: std::marker::PhantomData<N>,
}

impl<N: Needs> FromRequestParts<AppState> for Access<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        N::check(&caller)?;
        let scope = caller.access_scope(state).await?;
        Ok(Access {
            caller,
            scope,
            needs: std::marker::PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_keeps_only_the_scopes_its_owner_backs() {
        use Permission::*;
        let all: ScopeSet = ApiScope::ALL.into_iter().collect();
        let perms = |list: &[Permission]| list.iter().copied().collect::<PermissionSet>();
        let names = |set: ScopeSet| set.iter().map(ApiScope::name).collect::<Vec<_>>();
        assert_eq!(client_scopes_in_force(all, PermissionSet::all()), all);
        assert_eq!(
            names(client_scopes_in_force(
                all,
                perms(&[SitesServicesView, SupportView])
            )),
            ["BasicRead", "SupportRead"]
        );
        let read_write: ScopeSet = [ApiScope::SupportReadWrite].into_iter().collect();
        assert_eq!(
            names(client_scopes_in_force(read_write, perms(&[SupportView]))),
            ["SupportRead"],
            "read-write falls back to read while the owner may read"
        );
        assert!(client_scopes_in_force(read_write, perms(&[BillingView])).is_empty());
        assert!(client_scopes_in_force(all, PermissionSet::default()).is_empty());
    }
}
