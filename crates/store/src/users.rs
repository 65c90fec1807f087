//! Customer users, their permissions and account restrictions, and provider staff.

use crate::stored::Stored;
use crate::{Exec, StoreError, args, now_ms};
use oneportal_domain::catalog::AccountType;
use oneportal_domain::staff::{StaffRole, StaffStatus};
use oneportal_domain::user::{UserKind, UserStatus, UserType};

macro_rules! user_columns {
    () => {
        "id, org_id, email, first_name, last_name, phone, country, user_type, kind, status, \
                            permissions, password_hash, created_at, updated_at"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub country: String,
    #[sqlx(try_from = "crate::stored::Stored<UserType>")]
    pub user_type: UserType,
    #[sqlx(try_from = "crate::stored::Stored<UserKind>")]
    pub kind: UserKind,
    #[sqlx(try_from = "crate::stored::Stored<UserStatus>")]
    pub status: UserStatus,
    /// Comma-separated permission codes.
    pub permissions: String,
    pub password_hash: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub struct NewUser<'a> {
    pub org_id: i64,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub phone: &'a str,
    pub country: &'a str,
    pub user_type: &'a str,
    pub kind: &'a str,
    pub status: &'a str,
    pub permissions: &'a str,
    pub password_hash: Option<&'a str>,
}

pub async fn insert(db: &impl Exec, user: NewUser<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO users (org_id, email, first_name, last_name, phone, country, user_type, kind, status, \
             permissions, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
            args![
                user.org_id,
                user.email,
                user.first_name,
                user.last_name,
                user.phone,
                user.country,
                user.user_type,
                user.kind,
                user.status,
                user.permissions,
                user.password_hash,
                now_ms()
            ],
        )
        .await?;
    Ok(id)
}

pub async fn find(db: &impl Exec, id: i64) -> Result<Option<UserRow>, StoreError> {
    db.fetch_optional(
        concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"),
        args![id],
    )
    .await
}

pub async fn find_by_email(db: &impl Exec, email: &str) -> Result<Option<UserRow>, StoreError> {
    db.fetch_optional(
        concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1"),
        args![email],
    )
    .await
}

pub async fn set_status(db: &impl Exec, id: i64, status: UserStatus) -> Result<(), StoreError> {
    db.execute(
        "UPDATE users SET status = $1, updated_at = $2 WHERE id = $3",
        args![status.as_str(), now_ms(), id],
    )
    .await?;
    Ok(())
}

pub async fn set_permissions(db: &impl Exec, id: i64, permissions: &str) -> Result<(), StoreError> {
    db.execute(
        "UPDATE users SET permissions = $1, updated_at = $2 WHERE id = $3",
        args![permissions, now_ms(), id],
    )
    .await?;
    Ok(())
}

pub async fn set_password_hash(db: &impl Exec, id: i64, hash: &str) -> Result<(), StoreError> {
    db.execute(
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
        args![hash, now_ms(), id],
    )
    .await?;
    Ok(())
}

/// The accounts a user is restricted to, with their type; empty means unrestricted.
pub async fn account_access(
    db: &impl Exec,
    user_id: i64,
) -> Result<Vec<(i64, AccountType)>, StoreError> {
    let rows: Vec<(i64, Stored<AccountType>)> = db.fetch_all(
        "SELECT a.id, a.account_type FROM user_account_access x JOIN accounts a ON a.id = x.account_id \
         WHERE x.user_id = $1 ORDER BY a.id",
        args![user_id],
    )
    .await?;
    Ok(rows.into_iter().map(|(id, kind)| (id, kind.0)).collect())
}

pub async fn set_account_access(
    db: &impl Exec,
    user_id: i64,
    account_ids: &[i64],
) -> Result<(), StoreError> {
    db.execute(
        "DELETE FROM user_account_access WHERE user_id = $1",
        args![user_id],
    )
    .await?;
    for account_id in account_ids {
        db.execute(
            "INSERT INTO user_account_access (user_id, account_id) VALUES ($1, $2)",
            args![user_id, *account_id],
        )
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    #[sqlx(try_from = "crate::stored::Stored<StaffRole>")]
    pub role: StaffRole,
    #[sqlx(try_from = "crate::stored::Stored<StaffStatus>")]
    pub status: StaffStatus,
    pub password_hash: Option<String>,
    pub created_at: i64,
}

pub async fn insert_staff(
    db: &impl Exec,
    email: &str,
    name: &str,
    role: StaffRole,
    password_hash: Option<&str>,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO staff (email, name, role, status, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            args![
                email,
                name,
                role.as_str(),
                StaffStatus::Active.as_str(),
                password_hash,
                now_ms()
            ],
        )
        .await?;
    Ok(id)
}

pub async fn find_staff_by_email(
    db: &impl Exec,
    email: &str,
) -> Result<Option<StaffRow>, StoreError> {
    db.fetch_optional(
        "SELECT id, email, name, role, status, password_hash, created_at FROM staff WHERE email = $1",
        args![email],
    )
    .await
}

pub async fn find_staff(db: &impl Exec, id: i64) -> Result<Option<StaffRow>, StoreError> {
    db.fetch_optional(
        "SELECT id, email, name, role, status, password_hash, created_at FROM staff WHERE id = $1",
        args![id],
    )
    .await
}
