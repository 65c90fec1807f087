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
use oneportal_domain::catalog::AccountType;

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
    super::webhooks::follow_owner(state, user_id).await?;
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
    users::set_status(&tx, user.id, UserStatus::Removed).await?;
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
    // Access ends now, not at the next request.
    oneportal_store::outbox::end_sessions_of(&state.db, user_id).await?;
    super::api_clients::follow_owner(state, user_id).await?;
    super::webhooks::follow_owner(state, user_id).await?;
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

/// How long an activation link works.
pub const ACTIVATION_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// How long a password-reset link works.
pub const RESET_TTL_MS: i64 = 60 * 60 * 1000;
/// At most one reset e-mail per user this often.
const RESET_EMAIL_EVERY_MS: i64 = 60 * 1000;
const ACTIVATION: &str = "activation";
const RESET: &str = "reset";

/// A user added from User Management: `Inactive` until the activation link is used.
pub struct Invitation {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub country: String,
    pub user_type: UserType,
    pub kind: UserKind,
    pub permissions: PermissionSet,
    pub account_ids: Vec<i64>,
}

fn field(pointer: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(pointer, code, message.into())
}

/// Checks the personal information of step one; also used by the portal before step two.
pub fn check_personal(input: &Invitation) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(e) = Email::parse(&input.email) {
        errors.push(FieldError::new("/email", e.code, e.message));
    }
    for (pointer, label, value, max) in [
        ("/firstName", "first name", &input.first_name, 100),
        ("/lastName", "last name", &input.last_name, 100),
    ] {
        if value.trim().is_empty() {
            errors.push(field(pointer, "required", format!("enter the {label}")));
        } else if value.chars().count() > max || value.chars().any(char::is_control) {
            errors.push(field(
                pointer,
                "invalid",
                format!("the {label} is at most {max} characters of text"),
            ));
        }
    }
    if input.phone.chars().count() > 40
        || !input
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()./".contains(c))
    {
        errors.push(field(
            "/phone",
            "invalid",
            "the phone number may hold digits, spaces and + - ( ) . / (at most 40)",
        ));
    }
    if input.country.chars().count() > 60 || input.country.chars().any(char::is_control) {
        errors.push(field(
            "/country",
            "invalid",
            "the country is at most 60 characters",
        ));
    }
    errors
}

/// Checks that the accounts are the organization's and fit the user's kind.
async fn check_accounts(
    state: &AppState,
    org_id: i64,
    kind: UserKind,
    account_ids: &[i64],
) -> Result<(), ApiError> {
    let accounts = oneportal_store::orgs::list_accounts(&state.db, org_id).await?;
    for id in account_ids {
        match accounts.iter().find(|a| a.id == *id) {
            None => {
                return Err(ApiError::validation(vec![field(
                    "/accountIds",
                    "unknown_account",
                    "one of the chosen accounts is not in your organization",
                )]));
            }
            Some(a)
                if kind == UserKind::DeliveryAccount && a.account_type != AccountType::Delivery =>
            {
                return Err(ApiError::validation(vec![field(
                    "/accountIds",
                    "not_delivery",
                    format!(
                        "a Delivery Account user can only be given delivery accounts; '{}' is a contract account",
                        a.name
                    ),
                )]));
            }
            Some(_) => {}
        }
    }
    if kind == UserKind::DeliveryAccount && account_ids.is_empty() {
        return Err(ApiError::validation(vec![field(
            "/accountIds",
            "required",
            "choose the delivery account(s) a Delivery Account user works for",
        )]));
    }
    Ok(())
}

/// Writes a new link token and the e-mail carrying it, inside `tx`.
async fn write_link(
    state: &AppState,
    tx: &oneportal_store::Tx,
    user_id: i64,
    email: &str,
    purpose: &str,
) -> Result<(), ApiError> {
    use oneportal_store::outbox;
    outbox::retire_link_tokens(tx, user_id, purpose).await?;
    let token = crate::auth::random::alphanumeric(43);
    let (ttl, path, subject, body) = if purpose == ACTIVATION {
        (
            ACTIVATION_TTL_MS,
            "/portal/activate?token=",
            "Activate your OnePortal user",
            "You have been given a OnePortal user. Open this link within 7 days to choose your password and activate it:",
        )
    } else {
        (
            RESET_TTL_MS,
            "/portal/password/reset?token=",
            "Reset your OnePortal password",
            "Someone asked to reset the password of your OnePortal user. Open this link within 1 hour to choose a new one; it works once. If it was not you, ignore this e-mail: your password stays as it is.",
        )
    };
    let expires_at = oneportal_store::now_ms() + ttl;
    outbox::insert_link_token(
        tx,
        &crate::auth::digest::sha256_hex(&token),
        user_id,
        purpose,
        expires_at,
    )
    .await?;
    let link = format!("{}{path}{token}", state.public_url.trim_end_matches('/'));
    super::mail::enqueue(
        tx,
        state,
        email,
        subject,
        &format!("{body}\n\n{}\n\nOnePortal\n", super::mail::LINK_WITHHELD),
        Some((&link, expires_at)),
        None,
    )
    .await?;
    Ok(())
}

/// Adds an `Inactive` user and sends the activation e-mail (User Management).
pub async fn invite(
    state: &AppState,
    admin: &UserEntry,
    input: Invitation,
    ip: Option<String>,
) -> Result<i64, ApiError> {
    require_user_management(admin)?;
    let errors = check_personal(&input);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    check_accounts(state, admin.org_id, input.kind, &input.account_ids).await?;
    let email = Email::parse(&input.email)
        .map_err(|e| ApiError::validation(vec![FieldError::new("/email", e.code, e.message)]))?;
    let mut permissions = input.permissions;
    permissions.insert(Permission::SitesServicesView);
    let tx = state.db.begin().await?;
    let id = users::insert(
        &tx,
        NewUser {
            org_id: admin.org_id,
            email: email.as_str(),
            first_name: input.first_name.trim(),
            last_name: input.last_name.trim(),
            phone: input.phone.trim(),
            country: input.country.trim(),
            user_type: input.user_type.as_str(),
            kind: input.kind.as_str(),
            status: UserStatus::Inactive.as_str(),
            permissions: &permissions.to_codes(),
            password_hash: None,
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
    users::set_account_access(&tx, id, &input.account_ids).await?;
    write_link(state, &tx, id, email.as_str(), ACTIVATION).await?;
    super::commit_audited(
        state,
        tx,
        Event::new(Actor::user(admin), "user.created")
            .target("user", IdKind::User.format(id))
            .details(json!({
                "email": email.as_str(),
                "kind": input.kind.as_str(),
                "permissions": permissions.to_codes(),
                "accountIds": input.account_ids,
                "activationSent": true,
            }))
            .ip(ip),
        Change::User { user_id: id },
    )
    .await?;
    super::mail::deliver_soon(state);
    Ok(id)
}

/// Sends a new activation link to an `Inactive` user; older links stop working.
pub async fn resend_activation(
    state: &AppState,
    admin: &UserEntry,
    user_id: i64,
    ip: Option<String>,
) -> Result<(), ApiError> {
    require_user_management(admin)?;
    let user = target(state, admin, user_id).await?;
    if user.status != UserStatus::Inactive {
        return Err(ApiError::conflict(
            "not_inactive",
            "only Inactive users get an activation e-mail",
        ));
    }
    let tx = state.db.begin().await?;
    write_link(state, &tx, user.id, &user.email, ACTIVATION).await?;
    super::commit_audited(
        state,
        tx,
        Event::new(Actor::user(admin), "user.activation_sent")
            .target("user", IdKind::User.format(user.id))
            .ip(ip),
        Change::User { user_id },
    )
    .await?;
    super::mail::deliver_soon(state);
    Ok(())
}

/// Restricts the user to these accounts (empty: every account of the organization).
pub async fn set_account_access(
    state: &AppState,
    admin: &UserEntry,
    user_id: i64,
    account_ids: Vec<i64>,
    ip: Option<String>,
) -> Result<(), ApiError> {
    require_user_management(admin)?;
    let user = target(state, admin, user_id).await?;
    let row = users::find(&state.db, user.id)
        .await?
        .ok_or_else(|| ApiError::not_found("no user with this id in your organization"))?;
    let kind = row.kind;
    check_accounts(state, admin.org_id, kind, &account_ids).await?;
    let before: Vec<i64> = users::account_access(&state.db, user.id)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    if before == account_ids {
        return Ok(());
    }
    let tx = state.db.begin().await?;
    users::set_account_access(&tx, user.id, &account_ids).await?;
    super::commit_audited(
        state,
        tx,
        Event::new(Actor::user(admin), "user.account_access_changed")
            .target("user", IdKind::User.format(user.id))
            .details(json!({ "from": before, "to": account_ids }))
            .ip(ip),
        Change::User { user_id },
    )
    .await?;
    Ok(())
}

/// What a link from an e-mail is good for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkCheck {
    Valid,
    Expired,
    Used,
    Unknown,
}

/// Looks at a link without using it (the page that asks for the password).
pub async fn check_link(
    state: &AppState,
    token: &str,
    purpose: &str,
) -> Result<LinkCheck, ApiError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(LinkCheck::Unknown);
    }
    let row = oneportal_store::outbox::find_link_token(
        &state.db,
        &crate::auth::digest::sha256_hex(token),
    )
    .await?;
    Ok(match row {
        Some(row) if row.purpose == purpose => {
            if row.used_at.is_some() {
                LinkCheck::Used
            } else if row.expires_at <= oneportal_store::now_ms() {
                LinkCheck::Expired
            } else {
                LinkCheck::Valid
            }
        }
        _ => LinkCheck::Unknown,
    })
}

pub const ACTIVATION_PURPOSE: &str = ACTIVATION;
pub const RESET_PURPOSE: &str = RESET;

fn check_new_password(password: &str) -> Result<(), ApiError> {
    let count = password.chars().count();
    if count < 12 {
        Err(ApiError::validation(vec![field(
            "/password",
            "too_short",
            "passwords need at least 12 characters",
        )]))
    } else if password.len() > 1024 {
        Err(ApiError::validation(vec![field(
            "/password",
            "too_long",
            "passwords are at most 1024 bytes",
        )]))
    } else {
        Ok(())
    }
}

/// Uses an activation or reset link to set the password. The link works once;
/// activation makes the user `Active`, a reset ends every session of the user.
/// Returns the user's id, or `Err(LinkCheck)` when the link does not work.
pub async fn use_link(
    state: &AppState,
    token: &str,
    purpose: &str,
    password: String,
    ip: Option<String>,
) -> Result<Result<i64, LinkCheck>, ApiError> {
    check_new_password(&password)?;
    let check = check_link(state, token, purpose).await?;
    if check != LinkCheck::Valid {
        return Ok(Err(check));
    }
    let token_hash = crate::auth::digest::sha256_hex(token);
    let Some(link) = oneportal_store::outbox::find_link_token(&state.db, &token_hash).await? else {
        return Ok(Err(LinkCheck::Unknown));
    };
    let Some(user) = users::find(&state.db, link.user_id).await? else {
        return Ok(Err(LinkCheck::Unknown));
    };
    let wanted = if purpose == ACTIVATION {
        UserStatus::Inactive
    } else {
        UserStatus::Active
    };
    if user.status != wanted {
        return Ok(Err(LinkCheck::Used));
    }
    let hash = crate::auth::password::hash(password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let tx = state.db.begin().await?;
    if !oneportal_store::outbox::use_link_token(&tx, &token_hash, oneportal_store::now_ms()).await?
    {
        return Ok(Err(LinkCheck::Used));
    }
    users::set_password_hash(&tx, user.id, &hash).await?;
    let action = if purpose == ACTIVATION {
        users::set_status(&tx, user.id, UserStatus::Active).await?;
        "user.activated"
    } else {
        oneportal_store::outbox::end_sessions_of(&tx, user.id).await?;
        "user.password_reset"
    };
    super::commit_audited(
        state,
        tx,
        Event::new(
            Actor::User {
                id: user.id,
                org_id: user.org_id,
            },
            action,
        )
        .target("user", IdKind::User.format(user.id))
        .ip(ip),
        Change::User { user_id: user.id },
    )
    .await?;
    Ok(Ok(user.id))
}

/// Reset requests accepted and not yet handled, on this node. More are dropped.
static RESETS_PENDING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
const RESETS_PENDING_MAX: usize = 256;
/// Reset requests are handled one at a time, so that "once a minute per user" holds.
static RESET_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// "Forgot password": accepts the request and returns at once, before looking
/// the address up, so the answer (its content and its timing) is the same
/// whether or not the address is an active user's. A task then looks it up and,
/// for an active user, writes the link and the e-mail to the outbox in one
/// transaction (durable once committed; a crash in the moment between the
/// answer and that commit loses the request, and the person asks again).
pub fn request_password_reset(state: &AppState, email: &str, ip: Option<String>) {
    use std::sync::atomic::Ordering;
    if RESETS_PENDING.fetch_add(1, Ordering::SeqCst) >= RESETS_PENDING_MAX {
        RESETS_PENDING.fetch_sub(1, Ordering::SeqCst);
        tracing::warn!(
            "password reset requests arrive faster than they are handled; one was dropped"
        );
        return;
    }
    /// Counts the request as handled however its task ends (done, failed, or dropped at shutdown).
    struct Pending;
    impl Drop for Pending {
        fn drop(&mut self) {
            RESETS_PENDING.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let pending = Pending;
    let state = state.clone();
    let email = email.to_owned();
    tokio::spawn(async move {
        let _pending = pending;
        let _turn = RESET_TURN.lock().await;
        if let Err(error) = send_password_reset(&state, &email, ip).await {
            tracing::warn!(%error, "a password reset request failed");
        }
    });
}

/// Waits until this process has handled every reset request it accepted (tests).
pub async fn password_resets_settled() {
    while RESETS_PENDING.load(std::sync::atomic::Ordering::SeqCst) > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Sends a reset link when the address is an Active user's; nothing otherwise.
async fn send_password_reset(
    state: &AppState,
    email: &str,
    ip: Option<String>,
) -> Result<(), ApiError> {
    let Ok(email) = Email::parse(email.trim()) else {
        return Ok(());
    };
    let Some(user) = users::find_by_email(&state.db, email.as_str()).await? else {
        return Ok(());
    };
    if user.status != UserStatus::Active {
        return Ok(());
    }
    // One reset e-mail a minute per user, so the form cannot flood a mailbox.
    let newest = oneportal_store::outbox::newest_link_token_at(&state.db, user.id, RESET).await?;
    if newest.is_some_and(|at| oneportal_store::now_ms() - at < RESET_EMAIL_EVERY_MS) {
        return Ok(());
    }
    let tx = state.db.begin().await?;
    write_link(state, &tx, user.id, &user.email, RESET).await?;
    audit::record(
        &tx,
        Event::new(Actor::System, "user.password_reset_requested")
            .org(Some(user.org_id))
            .target("user", IdKind::User.format(user.id))
            .ip(ip),
    )
    .await?;
    tx.commit().await?;
    super::mail::deliver_soon(state);
    Ok(())
}
