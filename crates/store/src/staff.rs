//! Staff passwords for the operations pages (their sessions are in `sessions`,
//! kept apart from customers' so that neither cookie opens the other side).

use crate::{Exec, StoreError, args};

/// Sets a staff member's password; their sessions end, so an old password's session does not outlive it.
pub async fn set_password_hash(
    db: &impl Exec,
    staff_id: i64,
    hash: &str,
) -> Result<(), StoreError> {
    db.execute(
        "UPDATE staff SET password_hash = $1 WHERE id = $2",
        args![hash, staff_id],
    )
    .await?;
    db.execute(
        "DELETE FROM staff_sessions WHERE staff_id = $1",
        args![staff_id],
    )
    .await?;
    Ok(())
}
