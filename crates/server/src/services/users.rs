//! Customer users: creation, permission changes, removal, and user tokens.

use oneportal_domain::ids::IdKind;
use oneportal_domain::{
    ApiScope, Email, Permission, PermissionSet, UserKind, UserStatus, UserType,
};
use oneportal_store::users::{self, NewUser};
use oneportal_store::{Db, StoreError};
use serde_json::json;

use crate::audit::{self, Actor, Event};
use crate::auth::key_ring::KeySet;
use crate::auth::tokens::{PORTAL_CLIENT_ID, TokenAuthority, TokenRequest, TokenUse};
use crate::cluster::Change;
use crate::directory::UserEntry;
use crate::http::{ApiError, FieldError};
use crate::state::AppState;

pub struct NewUserInput<'a> {
    pub org_id: i64,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub permissions: PermissionSet,
    /// Set for users created active (CLI, demo); `None` leaves the user `Inactive`.
    pub password: Option<String>,
}

pub async fn create(db: &Db, actor: &Actor, input: NewUserInput<'_>) -> Result<i64, ApiError> {
    let email = Email::parse(input.email)
        .map_err(|e| ApiError::validation(vec![FieldError::new("/email", e.code, e.message)]))?;
    let mut permissions = input.permissions;
    permissions.insert(Permission::SitesServicesView);
    let hash = match input.password {
        Some(password) if password.chars().count() >= 12 => Some(
            crate::auth::password::hash(password)
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?,
        ),
        Some(_) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "/password",
                "too_short",
                "passwords need at least 12 characters",
            )]));
        }
        None => None,
    };
    let status = if hash.is_some() {
        UserStatus::Active
    } else {
        UserStatus::Inactive
    };
    let tx = db.begin().await?;
    let id = users::insert(
        &tx,
        NewUser {
            org_id: input.org_id,
            email: email.as_str(),
            first_name: input.first_name.trim(),
            last_name: input.last_name.trim(),
            phone: "",
            country: "",
            user_type: UserType::Personal.as_str(),
            kind: UserKind::MyOrganization.as_str(),
            status: status.as_str(),
            permissions: &permissions.to_codes(),
            password_hash: hash.as_deref(),
        },
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::conflict(
            "email_taken",
            format!("a user with the email {} already exists", email.as_str()),
        ),
        other => other.into(),
    })?;
    audit::record(
        &tx,
        Event::new(actor.clone(), "user.created")
            .org(Some(input.org_id))
            .target("user", IdKind::User.format(id))
            .details(json!({ "email": email.as_str(), "permissions": permissions.to_codes() })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn require_user_management(admin: &UserEntry) -> Result<(), ApiError> {
    if admin.permissions.contains(Permission::UserManagement) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "missing_permission",
            "managing users needs the 'User Management' permission",
        ))
    }
}

async fn target(
    state: &AppState,
    admin: &UserEntry,
    user_id: i64,
) -> Result<std::sync::Arc<UserEntry>, ApiError> {
    state
        .directory
        .user(&state.db, user_id)
        .await?
        .filter(|u| u.org_id == admin.org_id)
        .ok_or_else(|| ApiError::not_found("no user with this id in your organization"))
}

pub async fn set_permissions(
    state: &AppState,
    admin: &UserEntry,
    user_id: i64,
    mut permissions: PermissionSet,
    ip: Option<String>,
) -> Result<(), ApiError> {
    require_user_management(admin)?;
    let user = target(state, admin, user_id).await?;
    permissions.insert(Permission::SitesServicesView);
    let tx = state.db.begin().await?;
    users::set_permissions(&tx, user.id, &permissions.to_codes()).await?;
    super::commit_audited(
        state,
        tx,
        Event::new(Actor::user(admin), "user.permissions_changed")
            .target("user", IdKind::User.format(user.id))
            .details(json!({ "from": user.permissions.to_codes(), "to": permissions.to_codes() }))
            .ip(ip),
        Change::User { user_id },
    )
    .await?;
    super::api_clients::follow_owner(state, user_id).await?;
    Ok(())
}

/// Removes access and keeps the record.
pub async fn remove(
    state: &AppState,
    admin: &UserEntry,
    user_id: i64,
    ip: Option<String>,
) -> Result<(), ApiError> {
    require_user_management(admin)?;
    let user = target(state, admin, user_id).await?;
    if user.id == admin.id {
        return Err(ApiError::conflict(
            "cannot_remove_self",
            "you cannot remove your own user; ask another User Management holder",
        ));
    }
    let tx = state.db.begin().await?;
    users::set_status(&tx, user.id, UserStatus::Removed.as_str()).await?;
    super::commit_audited(
        state,
        tx,
        Event::new(Actor::user(admin), "user.removed")
            .target("user", IdKind::User.format(user.id))
            .details(json!({ "email": user.email }))
            .ip(ip),
        Change::User { user_id },
    )
    .await?;
    super::api_clients::follow_owner(state, user_id).await?;
    Ok(())
}

/// A short-lived token bound to the user's permissions (checked again on every use).
pub async fn mint_user_token(
    db: &Db,
    authority: &TokenAuthority,
    keys: &KeySet,
    user: &UserEntry,
    ttl_secs: u32,
    actor: &Actor,
) -> Result<String, ApiError> {
    if user.status != UserStatus::Active {
        return Err(ApiError::forbidden(
            "user_inactive",
            "only active users can have tokens",
        ));
    }
    let subject = IdKind::User.format(user.id);
    let scopes = ApiScope::granted_by_permissions(user.permissions);
    let (token, claims) = authority.issue(
        keys,
        TokenRequest {
            subject: &subject,
            client_id: PORTAL_CLIENT_ID,
            org_id: user.org_id,
            scopes,
            token_use: TokenUse::User,
            ttl_secs,
        },
    );
    audit::record(
        db,
        Event::new(actor.clone(), "user.token_minted")
            .org(Some(user.org_id))
            .target("user", subject)
            .details(json!({ "jti": claims.jti, "expiresIn": ttl_secs })),
    )
    .await?;
    Ok(token)
}
