//! API clients: create, list, rotate, revoke, transfer, and suspension that
//! follows the owner's status and permissions.

use oneportal_domain::{
    ApiClientName, ApiClientStatus, ApiScope, Permission, ScopeSet, SuspensionReason, UserStatus,
};
use oneportal_store::api_clients::{self, ApiClientRow, NewApiClient, SecretRow};
use oneportal_store::{StoreError, now_ms, orgs, users};
use serde_json::json;

use crate::access::{client_scopes_in_force, scope_needs};
use crate::audit::{Actor, Event};
use crate::auth::client_secret::{self, PlainSecret};
use crate::cluster::Change;
use crate::directory::UserEntry;
use crate::http::{ApiError, FieldError};
use crate::state::AppState;

/// A client with its secrets' metadata (never the secrets).
pub struct ClientView {
    pub row: ApiClientRow,
    pub secrets: Vec<SecretRow>,
    pub owner_email: String,
    pub creator_email: String,
    /// The owner's permissions now, which bound the scopes the client's tokens get.
    pub owner_permissions: oneportal_domain::PermissionSet,
}

impl ClientView {
    /// The client's scopes as its tokens get them now (see [`client_scopes_in_force`]).
    pub fn scopes_in_force(&self) -> ScopeSet {
        client_scopes_in_force(
            ScopeSet::from_names(&self.row.scopes),
            self.owner_permissions,
        )
    }

    /// The client's scopes its owner's permissions no longer back, each with the
    /// permission it needs ("SupportReadWrite needs 'Support (Edit)'").
    pub fn suspended_scopes(&self) -> Vec<(ApiScope, String)> {
        ScopeSet::from_names(&self.row.scopes)
            .iter()
            .filter(|s| !s.may_be_granted_by(self.owner_permissions))
            .map(|s| (s, scope_needs(s)))
            .collect()
    }
}

/// Parses the requested scope names, listing the allowed values on error.
pub fn parse_scopes(names: &[String]) -> Result<ScopeSet, ApiError> {
    let allowed = ApiScope::ALL
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(", ");
    if names.is_empty() {
        return Err(ApiError::validation(vec![FieldError::new(
            "/scopes",
            "required",
            format!("choose at least one scope: {allowed}"),
        )]));
    }
    let mut errors = Vec::new();
    let mut set = ScopeSet::default();
    for (i, name) in names.iter().enumerate() {
        match ApiScope::parse(name.trim()) {
            Some(scope) => set.insert(scope),
            None => errors.push(FieldError::new(
                format!("/scopes/{i}"),
                "unknown_scope",
                format!("'{name}' is not a scope; allowed values are: {allowed}"),
            )),
        }
    }
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(ApiError::validation(errors))
    }
}

fn require_developer(user: &UserEntry) -> Result<(), ApiError> {
    if user.status != UserStatus::Active {
        return Err(ApiError::forbidden(
            "user_inactive",
            "only active users can manage API clients",
        ));
    }
    if !user.permissions.contains(Permission::DeveloperPortal)
        && !user.permissions.contains(Permission::UserManagement)
    {
        return Err(ApiError::forbidden(
            "missing_permission",
            "managing API clients needs the 'Developer Portal (API)' permission, which your user does not hold",
        ));
    }
    Ok(())
}

/// The scopes `user` may not grant, as a 403 naming the missing permissions.
fn check_grantable(user: &UserEntry, scopes: ScopeSet) -> Result<(), ApiError> {
    let missing: Vec<String> = scopes
        .iter()
        .filter(|s| !s.may_be_granted_by(user.permissions))
        .map(scope_needs)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "missing_permission",
            format!(
                "you cannot grant scopes your own permissions do not cover: {}",
                missing.join("; ")
            ),
        ))
    }
}

/// What `create` checks before it touches the database: the creator's permissions,
/// the name and the scopes (every problem with the last two at once).
pub fn check_new_client(
    user: &UserEntry,
    name: &str,
    scope_names: &[String],
) -> Result<(ApiClientName, ScopeSet), ApiError> {
    if !user.permissions.contains(Permission::DeveloperPortal) {
        return Err(ApiError::forbidden(
            "missing_permission",
            "creating API clients needs the 'Developer Portal (API)' permission, which your user does not hold",
        ));
    }
    require_developer(user)?;
    let mut errors = Vec::new();
    let name = ApiClientName::parse(name)
        .map_err(|e| errors.push(FieldError::new("/apiClientName", e.code, e.message)));
    let scopes = parse_scopes(scope_names);
    let (name, scopes) = match (name, scopes) {
        (Ok(name), Ok(scopes)) if errors.is_empty() => (name, scopes),
        (
            _,
            Err(ApiError::Unprocessable {
                errors: scope_errors,
                ..
            }),
        ) => {
            errors.extend(scope_errors);
            return Err(ApiError::validation(errors));
        }
        _ => return Err(ApiError::validation(errors)),
    };
    check_grantable(user, scopes)?;
    Ok((name, scopes))
}

pub async fn create(
    state: &AppState,
    user: &UserEntry,
    name: &str,
    scope_names: &[String],
    ip: Option<String>,
) -> Result<(ClientView, PlainSecret), ApiError> {
    let (name, scopes) = check_new_client(user, name, scope_names)?;

    let org = orgs::find_organization(&state.db, user.org_id)
        .await?
        .ok_or_else(|| ApiError::Internal("user without organization".into()))?;
    let quota = org
        .api_client_quota
        .unwrap_or(i64::from(state.config.api_clients.quota_per_organization));
    let client_id = client_secret::generate_client_id();
    let secret = client_secret::generate_secret();
    let now = now_ms();

    let tx = state.db.begin().await?;
    if api_clients::count_unrevoked(&tx, user.org_id).await? >= quota {
        return Err(ApiError::conflict(
            "api_client_quota_exceeded",
            format!(
                "your organization already has {quota} API clients, its limit; revoke clients you no longer use"
            ),
        ));
    }
    let inserted = api_clients::insert(
        &tx,
        NewApiClient {
            client_id: &client_id,
            org_id: user.org_id,
            owner_user_id: user.id,
            name: name.as_str(),
            name_key: &name.unique_key(),
            scopes: &scopes.to_names(),
            created_at: now,
        },
    )
    .await;
    match inserted {
        Err(e) if e.is_conflict_on("name_key") => {
            return Err(ApiError::conflict(
                "api_client_name_taken",
                format!(
                    "your organization already has an API client named '{}' (names ignore case); choose another name",
                    name.as_str()
                ),
            ));
        }
        other => other?,
    }
    api_clients::insert_secret(
        &tx,
        &client_id,
        state.secret_hasher.hash(secret.expose()).to_vec(),
        &secret.last4(),
        now,
    )
    .await?;
    super::commit_audited(
        state,
        tx,
        Event::new(Actor::user(user), "api_client.created")
            .target("api_client", client_id.clone())
            .details(json!({ "name": name.as_str(), "scopes": scopes.to_names() }))
            .ip(ip),
        Change::Client {
            client_id: client_id.clone(),
        },
    )
    .await?;
    Ok((view(state, &client_id).await?, secret))
}

pub async fn view(state: &AppState, client_id: &str) -> Result<ClientView, ApiError> {
    let row = api_clients::find(&state.db, client_id)
        .await?
        .ok_or_else(not_found)?;
    let secrets = api_clients::live_secrets(&state.db, client_id, now_ms()).await?;
    let email = |id| async move {
        users::find(&state.db, id)
            .await
            .map(|u| u.map(|u| u.email).unwrap_or_default())
    };
    let owner = users::find(&state.db, row.owner_user_id).await?;
    Ok(ClientView {
        owner_email: owner.as_ref().map(|o| o.email.clone()).unwrap_or_default(),
        owner_permissions: owner
            .map(|o| oneportal_domain::PermissionSet::from_codes(&o.permissions))
            .unwrap_or_default(),
        creator_email: email(row.created_by_user_id).await?,
        row,
        secrets,
    })
}

fn not_found() -> ApiError {
    ApiError::not_found("no API client with this id in your organization")
}

fn can_see_all(user: &UserEntry) -> bool {
    user.permissions.contains(Permission::UserManagement)
}

/// The client if `user` may see it: the owner, or a User Management holder of the
/// same organization. Anything else is indistinguishable from a missing client.
pub async fn visible(
    state: &AppState,
    user: &UserEntry,
    client_id: &str,
) -> Result<ClientView, ApiError> {
    let found = view(state, client_id).await?;
    let row = &found.row;
    if row.org_id != user.org_id || (row.owner_user_id != user.id && !can_see_all(user)) {
        return Err(not_found());
    }
    Ok(found)
}

pub async fn list(state: &AppState, user: &UserEntry) -> Result<Vec<ClientView>, ApiError> {
    require_developer(user)?;
    let owner = (!can_see_all(user)).then_some(user.id);
    let rows = api_clients::list(&state.db, user.org_id, owner).await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        views.push(view(state, &row.client_id).await?);
    }
    Ok(views)
}

pub async fn revoke(
    state: &AppState,
    user: &UserEntry,
    client_id: &str,
    ip: Option<String>,
) -> Result<ClientView, ApiError> {
    require_developer(user)?;
    let found = visible(state, user, client_id).await?;
    if found.row.status != ApiClientStatus::Revoked {
        let tx = state.db.begin().await?;
        api_clients::set_status(&tx, client_id, ApiClientStatus::Revoked, None, now_ms()).await?;
        super::commit_audited(
            state,
            tx,
            Event::new(Actor::user(user), "api_client.revoked")
                .target("api_client", client_id.to_owned())
                .details(json!({ "name": found.row.name }))
                .ip(ip),
            Change::Client {
                client_id: client_id.to_owned(),
            },
        )
        .await?;
    }
    view(state, client_id).await
}

pub const MAX_GRACE_HOURS: u32 = 168;

/// A new secret; the previous ones keep working for `grace_hours`.
pub async fn rotate(
    state: &AppState,
    user: &UserEntry,
    client_id: &str,
    grace_hours: u32,
    ip: Option<String>,
) -> Result<(ClientView, PlainSecret, i64), ApiError> {
    require_developer(user)?;
    let found = visible(state, user, client_id).await?;
    if found.row.status == ApiClientStatus::Revoked {
        return Err(ApiError::conflict(
            "api_client_revoked",
            "this API client is revoked; create a new one",
        ));
    }
    let secret = client_secret::generate_secret();
    let now = now_ms();
    let deadline = now + i64::from(grace_hours) * 3_600_000;
    let tx = state.db.begin().await?;
    let secret_id = api_clients::insert_secret(
        &tx,
        client_id,
        state.secret_hasher.hash(secret.expose()).to_vec(),
        &secret.last4(),
        now,
    )
    .await?;
    api_clients::expire_other_secrets(&tx, client_id, secret_id, deadline).await?;
    super::commit_audited(
        state,
        tx,
        Event::new(Actor::user(user), "api_client.secret_rotated")
            .target("api_client", client_id.to_owned())
            .details(json!({ "graceHours": grace_hours, "newSecretLast4": secret.last4() }))
            .ip(ip),
        Change::Client {
            client_id: client_id.to_owned(),
        },
    )
    .await?;
    Ok((view(state, client_id).await?, secret, deadline))
}

/// Gives a client to another developer of the organization; only User Management may.
///
/// The transfer ends everything the previous owner held: every secret is retired
/// (the new owner rotates to get one; until then the token endpoint answers
/// `invalid_client`, saying so to a caller with a retired secret) and every token
/// issued before stops working (the client's transfer count rises).
pub async fn transfer(
    state: &AppState,
    admin: &UserEntry,
    client_id: &str,
    new_owner_id: i64,
    ip: Option<String>,
) -> Result<ClientView, ApiError> {
    if !admin.permissions.contains(Permission::UserManagement) {
        return Err(ApiError::forbidden(
            "missing_permission",
            "transferring API clients needs the 'User Management' permission",
        ));
    }
    let found = visible(state, admin, client_id).await?;
    if found.row.status == ApiClientStatus::Revoked {
        return Err(ApiError::conflict(
            "api_client_revoked",
            "this API client is revoked; create a new one",
        ));
    }
    let new_owner = state
        .directory
        .user(&state.db, new_owner_id)
        .await?
        .filter(|u| u.org_id == admin.org_id)
        .ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                "/newOwnerUserId",
                "unknown_user",
                "no user with this id in your organization",
            )])
        })?;
    if new_owner.status != UserStatus::Active
        || !new_owner.permissions.contains(Permission::DeveloperPortal)
    {
        return Err(ApiError::validation(vec![FieldError::new(
            "/newOwnerUserId",
            "not_a_developer",
            "the new owner must be an active user holding 'Developer Portal (API)'",
        )]));
    }
    check_grantable(&new_owner, ScopeSet::from_names(&found.row.scopes)).map_err(|_| {
        ApiError::validation(vec![FieldError::new(
            "/newOwnerUserId",
            "scopes_not_covered",
            "the new owner's permissions do not cover this client's scopes",
        )])
    })?;
    let tx = state.db.begin().await?;
    api_clients::transfer(&tx, client_id, new_owner.id, now_ms()).await?;
    api_clients::set_status(&tx, client_id, ApiClientStatus::Active, None, now_ms()).await?;
    super::commit_audited(
        state,
        tx,
        Event::new(Actor::user(admin), "api_client.transferred")
            .target("api_client", client_id.to_owned())
            .details(json!({
                "fromUserId": found.row.owner_user_id,
                "toUserId": new_owner.id,
                "secretsRetired": found.secrets.len(),
            }))
            .ip(ip),
        Change::Client {
            client_id: client_id.to_owned(),
        },
    )
    .await?;
    view(state, client_id).await
}

/// After a user changed: suspends their clients when they may no longer own
/// them, and lifts a suspension when they may again.
pub async fn follow_owner(state: &AppState, user_id: i64) -> Result<(), StoreError> {
    let Some(owner) = users::find(&state.db, user_id).await? else {
        return Ok(());
    };
    let permissions = oneportal_domain::PermissionSet::from_codes(&owner.permissions);
    let reason = match owner.status {
        UserStatus::Removed => Some(SuspensionReason::OwnerRemoved),
        UserStatus::Inactive => Some(SuspensionReason::OwnerInactive),
        UserStatus::Active if !permissions.contains(Permission::DeveloperPortal) => {
            Some(SuspensionReason::OwnerLostPermission)
        }
        UserStatus::Active => None,
    };
    for client in api_clients::list_by_owner(&state.db, user_id).await? {
        let (status, reason_text, action) = match (client.status, reason) {
            (ApiClientStatus::Active, Some(r)) => (
                ApiClientStatus::Suspended,
                Some(r.as_str()),
                "api_client.suspended",
            ),
            (ApiClientStatus::Suspended, None) => {
                (ApiClientStatus::Active, None, "api_client.reinstated")
            }
            _ => continue,
        };
        let tx = state.db.begin().await?;
        api_clients::set_status(&tx, &client.client_id, status, reason_text, now_ms()).await?;
        super::commit_audited(
            state,
            tx,
            Event::new(Actor::System, action)
                .org(Some(client.org_id))
                .target("api_client", client.client_id.clone())
                .details(json!({ "reason": reason_text, "ownerUserId": user_id })),
            Change::Client {
                client_id: client.client_id,
            },
        )
        .await?;
    }
    Ok(())
}
