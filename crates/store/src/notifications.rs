//! E-mail notifications: people's choices, how far each organization's events
//! have been mailed about, and which person got which event.

use crate::{Exec, StoreError, Tx, args};

/// A person's stored choices: `(topic key, enabled)`.
pub async fn preferences(db: &impl Exec, user_id: i64) -> Result<Vec<(String, bool)>, StoreError> {
    db.fetch_all(
        "SELECT topic, enabled FROM notification_preferences WHERE user_id = $1 ORDER BY topic",
        args![user_id],
    )
    .await
}

/// The stored choices of every user of the organization: `(user id, topic key, enabled)`.
pub async fn preferences_of_org(
    db: &impl Exec,
    org_id: i64,
) -> Result<Vec<(i64, String, bool)>, StoreError> {
    db.fetch_all(
        "SELECT p.user_id, p.topic, p.enabled FROM notification_preferences p \
         JOIN users u ON u.id = p.user_id WHERE u.org_id = $1",
        args![org_id],
    )
    .await
}

/// Replaces the person's choices with `chosen` (every topic, on or off).
pub async fn save_preferences(
    tx: &Tx,
    user_id: i64,
    chosen: &[(&str, bool)],
    at: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM notification_preferences WHERE user_id = $1",
        args![user_id],
    )
    .await?;
    for (topic, enabled) in chosen {
        tx.execute(
            "INSERT INTO notification_preferences (user_id, topic, enabled, updated_at) \
             VALUES ($1, $2, $3, $4)",
            args![user_id, *topic, *enabled, at],
        )
        .await?;
    }
    Ok(())
}

/// Organizations with events not yet mailed about: `(org id, mailed up to, latest)`.
/// An organization without a cursor started having events after this table existed.
pub async fn behind(db: &impl Exec) -> Result<Vec<(i64, i64, i64)>, StoreError> {
    db.fetch_all(
        "SELECT s.org_id, COALESCE(c.last_sequence, 0), s.last_sequence \
         FROM event_sequences s LEFT JOIN notification_cursors c ON c.org_id = s.org_id \
         WHERE s.last_sequence > COALESCE(c.last_sequence, 0) ORDER BY s.org_id",
        args![],
    )
    .await
}

/// Marks every event the organization has so far as mailed about: for history
/// written in bulk (the demo's), which nobody should get e-mails about.
pub async fn skip_past_events(db: &impl Exec, org_id: i64) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO notification_cursors (org_id, last_sequence) \
         SELECT org_id, last_sequence FROM event_sequences WHERE org_id = $1 \
         ON CONFLICT (org_id) DO UPDATE SET last_sequence = excluded.last_sequence",
        args![org_id],
    )
    .await?;
    Ok(())
}

/// Moves the organization's cursor from `from` to `to`; false when another node
/// moved it first (then it wrote those e-mails).
pub async fn advance_cursor(tx: &Tx, org_id: i64, from: i64, to: i64) -> Result<bool, StoreError> {
    if from == 0 {
        let inserted = tx
            .execute(
                "INSERT INTO notification_cursors (org_id, last_sequence) VALUES ($1, $2) \
                 ON CONFLICT (org_id) DO NOTHING",
                args![org_id, to],
            )
            .await?;
        if inserted > 0 {
            return Ok(true);
        }
    }
    Ok(tx
        .execute(
            "UPDATE notification_cursors SET last_sequence = $3 \
             WHERE org_id = $1 AND last_sequence = $2",
            args![org_id, from, to],
        )
        .await?
        > 0)
}

/// Whether the person was already mailed about the event.
pub async fn was_sent(tx: &Tx, event_row_id: i64, user_id: i64) -> Result<bool, StoreError> {
    let found: Option<(i64,)> = tx
        .fetch_optional(
            "SELECT outbox_id FROM notifications_sent WHERE event_row_id = $1 AND user_id = $2",
            args![event_row_id, user_id],
        )
        .await?;
    Ok(found.is_some())
}

/// Records that the person was mailed about the event; false if they already were.
pub async fn record_sent(
    tx: &Tx,
    event_row_id: i64,
    user_id: i64,
    outbox_id: i64,
    at: i64,
) -> Result<bool, StoreError> {
    Ok(tx
        .execute(
            "INSERT INTO notifications_sent (event_row_id, user_id, outbox_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (event_row_id, user_id) DO NOTHING",
            args![event_row_id, user_id, outbox_id, at],
        )
        .await?
        > 0)
}

/// The outbox messages written for an event: `(user id, outbox id)`.
pub async fn sent_for(db: &impl Exec, event_row_id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    db.fetch_all(
        "SELECT user_id, outbox_id FROM notifications_sent WHERE event_row_id = $1 ORDER BY user_id",
        args![event_row_id],
    )
    .await
}

/// Forgets which events were mailed about before `before` (Unix ms): the events
/// themselves are gone by then.
pub async fn purge_before(db: &impl Exec, before: i64) -> Result<u64, StoreError> {
    db.execute(
        "DELETE FROM notifications_sent WHERE created_at < $1",
        args![before],
    )
    .await
}
