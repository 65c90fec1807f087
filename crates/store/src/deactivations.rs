//! Deactivation requests (PRODUCT §10) and each service's Local Point of
//! Contact. A request belongs to one service; a customer sees it when the
//! caller's [`AccessScope`] sees that service's two accounts, as for cases.

use oneportal_domain::deactivation::DeactivationStatus;
use oneportal_domain::ids::IdKind;
use oneportal_domain::query::{Direction, Field, FieldKind, ListQuery, ListSpec, SortKey};
use serde_json::json;

use crate::catalog::{AccessScope, Restriction};
use crate::listing::{Column, ListPage, Listed, Listing, fields};
use crate::stored::Stored;
use crate::{Exec, StoreError, Tx, args};

/// A deactivation request as stored; times are Unix ms, dates `YYYY-MM-DD`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeactivationRow {
    pub id: i64,
    pub org_id: i64,
    pub service_id: i64,
    pub service_name: String,
    pub site_id: i64,
    pub contract_account_id: i64,
    pub delivery_account_id: i64,
    #[sqlx(try_from = "Stored<DeactivationStatus>")]
    pub status: DeactivationStatus,
    pub requested_end_date: String,
    pub reason: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub requested_by: String,
    pub case_id: Option<i64>,
    pub terms_version: i64,
    pub fee_amount: Option<String>,
    pub fee_currency: Option<String>,
    pub earliest_end_date: Option<String>,
    pub terms_note: String,
    pub confirmed_at: Option<i64>,
    pub confirmed_by: Option<String>,
    pub confirmed_from: Option<String>,
    pub billing_end_date_due: Option<String>,
    pub billing_end_date: Option<String>,
    pub closing_reason: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Listed for DeactivationRow {
    fn id(&self) -> i64 {
        self.id
    }
}

/// One step of a request's history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeactivationStepRow {
    pub at: i64,
    #[sqlx(try_from = "Stored<DeactivationStatus>")]
    pub status: DeactivationStatus,
    pub actor: String,
    pub note: String,
}

/// The fields of a request list, each declared once.
pub(crate) const DEACTIVATION_COLUMNS: [Column<DeactivationRow>; 6] = [
    Column::filter(
        "status",
        FieldKind::Enum(DeactivationStatus::NAMES),
        "d.status",
    )
    .sorted(|r| json!(r.status.as_str())),
    Column::id("serviceId", IdKind::Service, "d.service_id"),
    Column::filter("requestedEndDate", FieldKind::Day, "d.requested_end_date")
        .sorted(|r| json!(r.requested_end_date)),
    Column::filter("billingEndDate", FieldKind::Day, "d.billing_end_date"),
    Column::filter("createdDate", FieldKind::Date, "d.created_at").sorted(|r| json!(r.created_at)),
    Column::filter("lastModifiedDate", FieldKind::Date, "d.updated_at")
        .sorted(|r| json!(r.updated_at)),
];
const DEACTIVATION_FIELDS: [Field; 6] = fields(&DEACTIVATION_COLUMNS);

/// Newest first.
pub const DEACTIVATIONS: ListSpec = ListSpec {
    fields: &DEACTIVATION_FIELDS,
    default_sort: &[SortKey {
        field: "createdDate",
        direction: Direction::Descending,
    }],
};

const DEACTIVATION_SELECT: &str = "d.id, d.org_id, d.service_id, v.service_name, v.site_id, \
     d.contract_account_id, d.delivery_account_id, d.status, d.requested_end_date, d.reason, \
     d.contact_name, d.contact_email, d.contact_phone, d.requested_by, d.case_id, d.terms_version, \
     d.fee_amount, d.fee_currency, d.earliest_end_date, d.terms_note, d.confirmed_at, d.confirmed_by, \
     d.confirmed_from, d.billing_end_date_due, d.billing_end_date, d.closing_reason, d.created_at, d.updated_at";

const DEACTIVATION_FROM: &str = "deactivation_requests d JOIN services v ON v.id = d.service_id";

/// The requests the scope sees; `None` for staff, who see every organization's.
async fn listing(
    db: &impl Exec,
    scope: Option<&AccessScope>,
) -> Result<Listing<DeactivationRow>, StoreError> {
    let mut listing = Listing::new(
        DEACTIVATION_SELECT,
        DEACTIVATION_FROM,
        &DEACTIVATION_COLUMNS,
        "d.id",
    );
    if let Some(scope) = scope {
        listing.require_eq("d.org_id", scope.org_id);
        if let Some(restriction) = Restriction::of(db, scope).await? {
            restriction.require_service(
                &mut listing,
                "d.contract_account_id",
                "d.delivery_account_id",
            );
        }
    }
    Ok(listing)
}

/// A page of the requests the scope sees (`None`: every request, for staff).
pub async fn list(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    query: &ListQuery,
) -> Result<ListPage<DeactivationRow>, StoreError> {
    let mut listing = listing(db, scope).await?;
    listing.filter(&query.filters);
    listing.run(db, query).await
}

/// The request, if the scope sees it (`None`: any, for staff).
pub async fn find(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    id: i64,
) -> Result<Option<DeactivationRow>, StoreError> {
    let mut listing = listing(db, scope).await?;
    listing.require_eq("d.id", id);
    listing.first(db).await
}

/// The service's request that is not final yet, if any.
pub async fn open_for_service(
    db: &impl Exec,
    service_id: i64,
) -> Result<Option<DeactivationRow>, StoreError> {
    let mut listing = listing(db, None).await?;
    listing.require_eq("d.service_id", service_id);
    listing.require(
        "d.status IN ('Submitted', 'InReview', 'PendingConfirmation', 'Confirmed', 'Scheduled')",
        Vec::new(),
    );
    listing.first(db).await
}

/// The request's history, oldest first.
pub async fn history(db: &impl Exec, id: i64) -> Result<Vec<DeactivationStepRow>, StoreError> {
    db.fetch_all(
        "SELECT at, status, actor, note FROM deactivation_request_history \
         WHERE request_id = $1 ORDER BY id",
        args![id],
    )
    .await
}

/// A service's Local Point of Contact.
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct LocalContact {
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// The service's Local Point of Contact, if one was ever given.
pub async fn local_contact(
    db: &impl Exec,
    service_id: i64,
) -> Result<Option<LocalContact>, StoreError> {
    db.fetch_optional(
        "SELECT name, email, phone FROM service_contacts WHERE service_id = $1",
        args![service_id],
    )
    .await
}

/// Records the service's Local Point of Contact.
pub async fn set_local_contact(
    tx: &Tx,
    service_id: i64,
    contact: &LocalContact,
    by: &str,
    at: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO service_contacts (service_id, name, email, phone, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (service_id) DO UPDATE SET name = excluded.name, email = excluded.email, \
         phone = excluded.phone, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        args![
            service_id,
            contact.name.as_str(),
            contact.email.as_str(),
            contact.phone.as_str(),
            at,
            by
        ],
    )
    .await?;
    Ok(())
}

/// A new request, as the customer gives it.
pub struct NewDeactivation<'a> {
    pub org_id: i64,
    pub service_id: i64,
    pub contract_account_id: i64,
    pub delivery_account_id: i64,
    pub requested_end_date: &'a str,
    pub reason: &'a str,
    pub contact: &'a LocalContact,
    pub requested_by: &'a str,
    pub at: i64,
}

/// Writes a new `Submitted` request. A service with a request that is not final
/// yet is a `Conflict` on `deactivation_requests_one_open` (or the service id).
pub async fn insert(tx: &Tx, new: &NewDeactivation<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = tx
        .fetch_one(
            "INSERT INTO deactivation_requests (org_id, service_id, contract_account_id, \
             delivery_account_id, status, requested_end_date, reason, contact_name, contact_email, \
             contact_phone, requested_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
            args![
                new.org_id,
                new.service_id,
                new.contract_account_id,
                new.delivery_account_id,
                DeactivationStatus::Submitted.as_str(),
                new.requested_end_date,
                new.reason,
                new.contact.name.as_str(),
                new.contact.email.as_str(),
                new.contact.phone.as_str(),
                new.requested_by,
                new.at
            ],
        )
        .await?;
    Ok(id)
}

/// The terms the provider states: a fee (amount and currency) or none, the
/// earliest day the service can end, and a note.
pub struct Terms<'a> {
    pub fee: Option<(&'a str, &'a str)>,
    pub earliest_end_date: &'a str,
    pub note: &'a str,
}

/// What a move writes beside the new status.
pub enum Change<'a> {
    /// Only the status (review, decline, withdraw, complete), and a closing
    /// reason for withdraw and decline.
    Status { closing_reason: Option<&'a str> },
    /// New terms, their version raised.
    Terms(Terms<'a>),
    /// The customer's confirmation of terms version `terms_version`.
    Confirmation {
        by: &'a str,
        from: Option<&'a str>,
        billing_end_date_due: &'a str,
    },
    /// The billing end date.
    BillingEndDate(&'a str),
}

/// Moves the request from `from` to `to` with what the move writes, if it is
/// still in `from` at terms version `terms_version` (a move made meanwhile
/// wins, and this one reports `false`). Records the step in the history.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    tx: &Tx,
    id: i64,
    (from, to): (DeactivationStatus, DeactivationStatus),
    terms_version: i64,
    change: &Change<'_>,
    actor: &str,
    note: &str,
    at: i64,
) -> Result<bool, StoreError> {
    // The guard: still in `from`, at the terms the mover saw.
    macro_rules! update {
        ($set:literal) => {
            concat!(
                "UPDATE deactivation_requests SET status = $4, updated_at = $5, ",
                $set,
                " WHERE id = $1 AND status = $2 AND terms_version = $3"
            )
        };
    }
    let mut values = args![id, from.as_str(), terms_version, to.as_str(), at];
    let sql = match change {
        Change::Status { closing_reason } => {
            values.extend(args![*closing_reason]);
            update!("closing_reason = COALESCE($6, closing_reason)")
        }
        Change::Terms(terms) => {
            values.extend(args![
                terms.fee.map(|f| f.0),
                terms.fee.map(|f| f.1),
                terms.earliest_end_date,
                terms.note
            ]);
            update!(
                "terms_version = terms_version + 1, fee_amount = $6, fee_currency = $7, \
                 earliest_end_date = $8, terms_note = $9"
            )
        }
        Change::Confirmation {
            by,
            from,
            billing_end_date_due,
        } => {
            values.extend(args![*by, *from, *billing_end_date_due]);
            update!(
                "confirmed_at = $5, confirmed_by = $6, confirmed_from = $7, billing_end_date_due = $8"
            )
        }
        Change::BillingEndDate(day) => {
            values.extend(args![*day]);
            update!("billing_end_date = $6")
        }
    };
    let changed = tx.execute(sql, values).await?;
    if changed != 1 {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO deactivation_request_history (request_id, at, status, actor, note) \
         VALUES ($1, $2, $3, $4, $5)",
        args![id, at, to.as_str(), actor, note],
    )
    .await?;
    Ok(true)
}

/// Records the submission in the history.
pub async fn add_first_step(tx: &Tx, id: i64, actor: &str, at: i64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO deactivation_request_history (request_id, at, status, actor, note) \
         VALUES ($1, $2, $3, $4, '')",
        args![id, at, DeactivationStatus::Submitted.as_str(), actor],
    )
    .await?;
    Ok(())
}

/// Links the case the provider asks its questions in.
pub async fn link_case(tx: &Tx, id: i64, case_id: i64, at: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE deactivation_requests SET case_id = $2, updated_at = $3 WHERE id = $1",
        args![id, case_id, at],
    )
    .await?;
    Ok(())
}
