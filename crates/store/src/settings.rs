//! Small server-wide values, such as the master key's check value.

use crate::{Exec, StoreError, args};

pub async fn get(db: &impl Exec, key: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = db
        .fetch_optional(
            "SELECT value FROM server_settings WHERE key = $1",
            args![key],
        )
        .await?;
    Ok(row.map(|(v,)| v))
}

/// Stores `value` unless the key exists; returns what is stored afterwards.
pub async fn get_or_insert(db: &impl Exec, key: &str, value: &str) -> Result<String, StoreError> {
    db.execute(
        "INSERT INTO server_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        args![key, value],
    )
    .await?;
    Ok(get(db, key).await?.unwrap_or_else(|| value.to_owned()))
}
