//! The event outbox (PRODUCT §7): appended in the transaction of the change it
//! describes, read by the event feed, webhooks and notifications.

use oneportal_domain::event::EventType;

use crate::direct::{Cost, parsed};
use crate::stored::Stored;
use crate::{Exec, StoreError, Tx, args};

/// An event as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub event_id: String,
    pub org_id: i64,
    pub sequence: i64,
    #[sqlx(try_from = "Stored<EventType>")]
    pub event_type: EventType,
    /// The case, invoice or service the event is about.
    pub subject_id: i64,
    pub occurred_at: i64,
    /// The data object as JSON.
    pub data: String,
}

/// An event to append.
pub struct NewEvent<'a> {
    pub event_id: &'a str,
    pub org_id: i64,
    pub event_type: EventType,
    pub subject_id: i64,
    pub occurred_at: i64,
    pub data: &'a str,
}

const EVENT_COLUMNS: &str =
    "id, event_id, org_id, sequence, event_type, subject_id, occurred_at, data";

/// Appends the event with the organization's next sequence number. Only in a
/// transaction: the event commits or rolls back with the change it describes,
/// and the organization's sequence row stays locked until then, so sequences
/// commit in order.
pub async fn append(tx: &Tx, event: NewEvent<'_>) -> Result<EventRow, StoreError> {
    let (sequence,): (i64,) = tx
        .fetch_one(
            "INSERT INTO event_sequences (org_id, last_sequence) VALUES ($1, 1) \
             ON CONFLICT (org_id) DO UPDATE SET last_sequence = event_sequences.last_sequence + 1 \
             RETURNING last_sequence",
            args![event.org_id],
        )
        .await?;
    let (id,): (i64,) = tx
        .fetch_one(
            "INSERT INTO events (event_id, org_id, sequence, event_type, subject_id, occurred_at, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            args![
                event.event_id,
                event.org_id,
                sequence,
                event.event_type.name(),
                event.subject_id,
                event.occurred_at,
                event.data
            ],
        )
        .await?;
    Ok(EventRow {
        id,
        event_id: event.event_id.to_owned(),
        org_id: event.org_id,
        sequence,
        event_type: event.event_type,
        subject_id: event.subject_id,
        occurred_at: event.occurred_at,
        data: event.data.to_owned(),
    })
}

/// The organization's events after `after` (a sequence number), oldest first,
/// of the given types, at most `limit`.
pub async fn after(
    db: &impl Exec,
    org_id: i64,
    after: i64,
    types: &[EventType],
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    select(db, org_id, "sequence > $3", &[after], types, limit).await
}

/// The organization's events after `after` up to `up_to` (sequence numbers),
/// oldest first, of the given types, at most `limit`.
pub async fn between(
    db: &impl Exec,
    org_id: i64,
    (after, up_to): (i64, i64),
    types: &[EventType],
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let condition = "sequence > $3 AND sequence <= $4";
    select(db, org_id, condition, &[after, up_to], types, limit).await
}

/// The organization's events that occurred at or after `since` (Unix ms), oldest
/// first, of the given types, at most `limit`.
pub async fn since(
    db: &impl Exec,
    org_id: i64,
    since: i64,
    types: &[EventType],
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    select(db, org_id, "occurred_at >= $3", &[since], types, limit).await
}

/// Events of the organization where `condition` holds for `bounds` (`$3`, `$4`, …).
async fn select(
    db: &impl Exec,
    org_id: i64,
    condition: &str,
    bounds: &[i64],
    types: &[EventType],
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    if types.is_empty() {
        return Ok(Vec::new());
    }
    let mut values = args![org_id, limit];
    values.extend(bounds.iter().map(|bound| (*bound).into()));
    // A reader of every type needs no filter: the common case, and a list of
    // every type is the costliest to bind and to test row by row.
    let every_type = EventType::ALL.iter().all(|t| types.contains(t));
    let type_filter = if every_type {
        String::new()
    } else {
        let first_type = 3 + bounds.len();
        let marks: Vec<String> = (first_type..first_type + types.len())
            .map(|n| format!("${n}"))
            .collect();
        values.extend(types.iter().map(|t| t.name().into()));
        format!("AND event_type IN ({})", marks.join(", "))
    };
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE org_id = $1 AND {condition} \
         {type_filter} ORDER BY sequence LIMIT $2"
    );
    // The feed's page is the hottest read there is: off sqlx's thread on SQLite.
    if let Some(direct) = db.direct() {
        return direct.fetch_all(Cost::Page, &sql, &values, |row| {
            Ok(EventRow {
                id: row.get(0)?,
                event_id: row.get(1)?,
                org_id: row.get(2)?,
                sequence: row.get(3)?,
                event_type: parsed(row, 4)?,
                subject_id: row.get(5)?,
                occurred_at: row.get(6)?,
                data: row.get(7)?,
            })
        });
    }
    db.fetch_all_dynamic(sql, values).await
}

/// The organization's latest sequence number (0 before its first event).
pub async fn latest_sequence(db: &impl Exec, org_id: i64) -> Result<i64, StoreError> {
    let found: Option<(i64,)> = db
        .fetch_optional(
            "SELECT last_sequence FROM event_sequences WHERE org_id = $1",
            args![org_id],
        )
        .await?;
    Ok(found.map_or(0, |(last,)| last))
}

/// Deletes events that occurred before `before` (Unix ms); returns how many.
pub async fn purge_before(db: &impl Exec, before: i64) -> Result<u64, StoreError> {
    db.execute("DELETE FROM events WHERE occurred_at < $1", args![before])
        .await
}

/// The event with this row id, while it is kept.
pub async fn by_id(db: &impl Exec, id: i64) -> Result<Option<EventRow>, StoreError> {
    Ok(db
        .fetch_all_dynamic(
            format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1"),
            args![id],
        )
        .await?
        .pop())
}
