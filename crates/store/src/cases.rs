//! Support cases, their conversation, attachments, status history and RFO.
//! Every read goes through an [`AccessScope`]; every change is a conditional
//! update so that two concurrent moves of one case cannot both succeed.

use oneportal_domain::case::{
    CaseOrigin, CasePriority, CaseStatus, CaseSubject, CaseType, CommunicationType, RfoStatus,
};
use oneportal_domain::ids::IdKind;
use oneportal_domain::query::{Direction, Field, FieldKind, Filter, ListQuery, ListSpec, SortKey};
use serde_json::json;

use crate::catalog::{AccessScope, Restriction};
use crate::counts::CountCache;
use crate::listing::{Column, ListPage, Listed, Listing, fields};
use crate::{Exec, StoreError, args};

pub const CASE_TYPES: &[&str] = CaseType::NAMES;
pub const CASE_STATUSES: &[&str] = CaseStatus::NAMES;
pub const CASE_SUBJECTS: &[&str] = CaseSubject::NAMES;
pub const CASE_PRIORITIES: &[&str] = CasePriority::NAMES;
pub const CASE_ORIGINS: &[&str] = CaseOrigin::NAMES;

/// The fields of a case list, each declared once.
pub(crate) const CASE_COLUMNS: [Column<CaseRow>; 10] = [
    Column::filter("status", FieldKind::Enum(CASE_STATUSES), "c.status")
        .sorted(|r| json!(r.status.as_str())),
    Column::filter("type", FieldKind::Enum(CASE_TYPES), "c.case_type")
        .sorted(|r| json!(r.case_type.as_str())),
    Column::filter("subject", FieldKind::Enum(CASE_SUBJECTS), "c.subject")
        .sorted(|r| json!(r.subject.as_str())),
    Column::filter("priority", FieldKind::Enum(CASE_PRIORITIES), "c.priority")
        .sorted(|r| json!(r.priority.as_str())),
    Column::id("serviceId", IdKind::Service, "c.service_id"),
    Column::id("siteId", IdKind::Site, "c.site_id"),
    Column::filter("customerReference", FieldKind::Text, "c.customer_reference")
        .sorted(|r| json!(r.customer_reference)),
    Column::filter("origin", FieldKind::Enum(CASE_ORIGINS), "c.origin")
        .sorted(|r| json!(r.origin.as_str())),
    Column::filter("createdDate", FieldKind::Date, "c.created_at").sorted(|r| json!(r.created_at)),
    Column::filter("lastModifiedDate", FieldKind::Date, "c.updated_at")
        .sorted(|r| json!(r.updated_at)),
];
const CASE_FIELDS: [Field; 10] = fields(&CASE_COLUMNS);

pub const CASES: ListSpec = ListSpec {
    fields: &CASE_FIELDS,
    default_sort: &[SortKey {
        field: "lastModifiedDate",
        direction: Direction::Descending,
    }],
};

macro_rules! case_columns {
    () => {
        "c.id, c.org_id, c.case_type, c.subject, c.priority, c.status, c.service_id, c.site_id, \
         c.contract_account_id, c.delivery_account_id, c.customer_reference, c.origin, \
         c.start_of_incident, c.end_of_incident, c.contact_name, c.contact_email, c.contact_phone, \
         c.related_case_id, c.created_by, c.created_at, c.updated_at, c.resolved_at, c.closed_at, \
         c.sla_paused_ms, c.pending_since, c.rfo_status, c.rfo_issued_at"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub org_id: i64,
    #[sqlx(try_from = "crate::stored::Stored<CaseType>")]
    pub case_type: CaseType,
    #[sqlx(try_from = "crate::stored::Stored<CaseSubject>")]
    pub subject: CaseSubject,
    #[sqlx(try_from = "crate::stored::Stored<CasePriority>")]
    pub priority: CasePriority,
    #[sqlx(try_from = "crate::stored::Stored<CaseStatus>")]
    pub status: CaseStatus,
    pub service_id: i64,
    pub site_id: i64,
    pub contract_account_id: i64,
    pub delivery_account_id: i64,
    pub customer_reference: String,
    #[sqlx(try_from = "crate::stored::Stored<CaseOrigin>")]
    pub origin: CaseOrigin,
    pub start_of_incident: Option<i64>,
    pub end_of_incident: Option<i64>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub related_case_id: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub sla_paused_ms: i64,
    pub pending_since: Option<i64>,
    pub rfo_status: Option<String>,
    pub rfo_issued_at: Option<i64>,
}

impl CaseRow {
    /// The case's status.
    pub fn status(&self) -> CaseStatus {
        self.status
    }
}

impl Listed for CaseRow {
    fn id(&self) -> i64 {
        self.id
    }
}

async fn case_listing(db: &impl Exec, scope: &AccessScope) -> Result<Listing<CaseRow>, StoreError> {
    let mut listing = Listing::new(case_columns!(), "cases c", &CASE_COLUMNS, "c.id");
    listing.require_eq("c.org_id", scope.org_id);
    // cases_org_status_updated, _created and _priority_updated lead with (org_id, status).
    listing.fan_out("status");
    listing.defer_row_reads();
    listing.bound_total();
    if let Some(restriction) = Restriction::of(db, scope).await? {
        restriction.require_service(
            &mut listing,
            "c.contract_account_id",
            "c.delivery_account_id",
        );
    }
    Ok(listing)
}

/// Cases the scope may see; the total comes from `counts` while it is fresh.
pub async fn list_cases(
    db: &impl Exec,
    scope: &AccessScope,
    query: &ListQuery,
    counts: &CountCache,
) -> Result<ListPage<CaseRow>, StoreError> {
    let mut listing = case_listing(db, scope).await?;
    listing.filter(&query.filters);
    listing.run_counted(db, query, Some(counts)).await
}

/// How many of the scope's cases with one status and priority there are.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusPriorityCount {
    pub status: String,
    pub priority: String,
    pub count: i64,
}

/// The scope's cases in any of `statuses`, counted by status and priority in
/// one pass: the support page's charts, which took nine list queries before.
pub async fn count_by_status_and_priority(
    db: &impl Exec,
    scope: &AccessScope,
    statuses: &[&str],
) -> Result<Vec<StatusPriorityCount>, StoreError> {
    let mut listing = case_listing(db, scope).await?;
    listing.filter(&[Filter::AnyOf {
        field: "status",
        values: statuses.iter().map(|s| (*s).to_owned()).collect(),
    }]);
    listing.count_grouped(db, "c.status, c.priority").await
}

/// Every organization's cases (or one organization's), for the provider's queue;
/// filters and sorts as [`CASES`].
pub async fn list_case_queue(
    db: &impl Exec,
    org_id: Option<i64>,
    query: &ListQuery,
) -> Result<ListPage<CaseRow>, StoreError> {
    let mut listing = Listing::new(case_columns!(), "cases c", &CASE_COLUMNS, "c.id");
    if let Some(org_id) = org_id {
        listing.require_eq("c.org_id", org_id);
    }
    listing.defer_row_reads();
    listing.bound_total();
    listing.filter(&query.filters);
    listing.run_counted(db, query, None).await
}

pub async fn find_case(
    db: &impl Exec,
    scope: &AccessScope,
    id: i64,
) -> Result<Option<CaseRow>, StoreError> {
    let mut listing = case_listing(db, scope).await?;
    listing.require_eq("c.id", id);
    listing.first(db).await
}

/// A case by id in any organization: for the provider's staff and the import.
pub async fn find_case_anywhere(db: &impl Exec, id: i64) -> Result<Option<CaseRow>, StoreError> {
    db.fetch_optional(
        concat!("SELECT ", case_columns!(), " FROM cases c WHERE c.id = $1"),
        args![id],
    )
    .await
}

pub struct NewCase {
    pub org_id: i64,
    pub case_type: CaseType,
    pub subject: CaseSubject,
    pub priority: CasePriority,
    pub service_id: i64,
    pub site_id: i64,
    pub contract_account_id: i64,
    pub delivery_account_id: i64,
    pub customer_reference: String,
    pub origin: CaseOrigin,
    pub start_of_incident: Option<i64>,
    pub end_of_incident: Option<i64>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub related_case_id: Option<i64>,
    pub created_by: String,
    /// The customer's first message, stored as the first communication.
    pub message: String,
    pub at: i64,
}

/// Opens a case in `Acknowledged` with its first message; returns the stored case.
pub async fn insert_case(db: &impl Exec, case: &NewCase) -> Result<CaseRow, StoreError> {
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO cases (org_id, case_type, subject, priority, status, service_id, site_id, contract_account_id, \
             delivery_account_id, customer_reference, origin, start_of_incident, end_of_incident, contact_name, \
             contact_email, contact_phone, related_case_id, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'Acknowledged', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) \
             RETURNING id",
            args![
                case.org_id,
                case.case_type.as_str(),
                case.subject.as_str(),
                case.priority.as_str(),
                case.service_id,
                case.site_id,
                case.contract_account_id,
                case.delivery_account_id,
                case.customer_reference.as_str(),
                case.origin.as_str(),
                case.start_of_incident,
                case.end_of_incident,
                case.contact_name.as_str(),
                case.contact_email.as_str(),
                case.contact_phone.as_str(),
                case.related_case_id,
                case.created_by.as_str(),
                case.at
            ],
        )
        .await?;
    db.execute(
        "INSERT INTO case_status_history (case_id, from_status, to_status, reason, changed_by, at) \
         VALUES ($1, NULL, 'Acknowledged', '', $2, $3)",
        args![id, case.created_by.as_str(), case.at],
    )
    .await?;
    // Monitoring's first message is the system's, not the customer's.
    let first_message = match case.origin {
        CaseOrigin::Monitoring => CommunicationType::System,
        _ => CommunicationType::Customer,
    };
    insert_communication(
        db,
        id,
        first_message,
        &case.message,
        &case.created_by,
        case.at,
    )
    .await?;
    // Everything else about a new case is known, so no read is needed to answer with it.
    Ok(CaseRow {
        id,
        org_id: case.org_id,
        case_type: case.case_type,
        subject: case.subject,
        priority: case.priority,
        status: CaseStatus::Acknowledged,
        service_id: case.service_id,
        site_id: case.site_id,
        contract_account_id: case.contract_account_id,
        delivery_account_id: case.delivery_account_id,
        customer_reference: case.customer_reference.clone(),
        origin: case.origin,
        start_of_incident: case.start_of_incident,
        end_of_incident: case.end_of_incident,
        contact_name: case.contact_name.clone(),
        contact_email: case.contact_email.clone(),
        contact_phone: case.contact_phone.clone(),
        related_case_id: case.related_case_id,
        created_by: case.created_by.clone(),
        created_at: case.at,
        updated_at: case.at,
        resolved_at: None,
        closed_at: None,
        sla_paused_ms: 0,
        pending_since: None,
        rfo_status: None,
        rfo_issued_at: None,
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommunicationRow {
    pub id: i64,
    pub case_id: i64,
    #[sqlx(try_from = "crate::stored::Stored<CommunicationType>")]
    pub comm_type: CommunicationType,
    pub message: String,
    pub sent_by: String,
    pub created_at: i64,
}

async fn insert_communication(
    db: &impl Exec,
    case_id: i64,
    comm_type: CommunicationType,
    message: &str,
    sent_by: &str,
    at: i64,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO case_communications (case_id, comm_type, message, sent_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            args![case_id, comm_type.as_str(), message, sent_by, at],
        )
        .await?;
    Ok(id)
}

/// Appends a message to the conversation and marks the case as modified.
pub async fn add_communication(
    db: &impl Exec,
    case_id: i64,
    comm_type: CommunicationType,
    message: &str,
    sent_by: &str,
    at: i64,
) -> Result<i64, StoreError> {
    let id = insert_communication(db, case_id, comm_type, message, sent_by, at).await?;
    touch(db, case_id, at).await?;
    Ok(id)
}

/// The message the provider sent under its own reference, if it was imported before.
pub async fn find_communication_by_ref(
    db: &impl Exec,
    case_id: i64,
    reference: &str,
) -> Result<Option<i64>, StoreError> {
    let found: Option<(i64,)> = db
        .fetch_optional(
            "SELECT id FROM case_communications WHERE case_id = $1 AND external_ref = $2",
            args![case_id, reference],
        )
        .await?;
    Ok(found.map(|(id,)| id))
}

/// Records the provider's reference of a message, so importing it again adds nothing.
pub async fn tag_communication(db: &impl Exec, id: i64, reference: &str) -> Result<(), StoreError> {
    db.execute(
        "UPDATE case_communications SET external_ref = $1 WHERE id = $2",
        args![reference, id],
    )
    .await?;
    Ok(())
}

async fn touch(db: &impl Exec, case_id: i64, at: i64) -> Result<(), StoreError> {
    db.execute(
        "UPDATE cases SET updated_at = $2 WHERE id = $1",
        args![case_id, at],
    )
    .await?;
    Ok(())
}

pub async fn communications(
    db: &impl Exec,
    case_id: i64,
) -> Result<Vec<CommunicationRow>, StoreError> {
    db.fetch_all(
        "SELECT id, case_id, comm_type, message, sent_by, created_at FROM case_communications \
         WHERE case_id = $1 ORDER BY id",
        args![case_id],
    )
    .await
}

/// One message of a case's conversation.
pub async fn find_communication(
    db: &impl Exec,
    case_id: i64,
    id: i64,
) -> Result<Option<CommunicationRow>, StoreError> {
    db.fetch_optional(
        "SELECT id, case_id, comm_type, message, sent_by, created_at FROM case_communications \
         WHERE case_id = $1 AND id = $2",
        args![case_id, id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusChangeRow {
    pub from_status: Option<String>,
    #[sqlx(try_from = "crate::stored::Stored<CaseStatus>")]
    pub to_status: CaseStatus,
    pub reason: String,
    pub changed_by: String,
    pub at: i64,
}

pub async fn status_history(
    db: &impl Exec,
    case_id: i64,
) -> Result<Vec<StatusChangeRow>, StoreError> {
    db.fetch_all(
        "SELECT from_status, to_status, reason, changed_by, at FROM case_status_history \
         WHERE case_id = $1 ORDER BY id",
        args![case_id],
    )
    .await
}

/// Moves a case from `from` to `to`, keeping the SLA clock and the dates in step.
/// Returns false when the case is no longer in `from` (someone else moved it first).
pub async fn change_status(
    db: &impl Exec,
    case_id: i64,
    from: CaseStatus,
    to: CaseStatus,
    reason: &str,
    changed_by: &str,
    at: i64,
) -> Result<bool, StoreError> {
    // Leaving Pending adds the paused time to the SLA clock; entering it starts a pause.
    let changed = db
        .execute(
            "UPDATE cases SET status = $3, updated_at = $4, \
             sla_paused_ms = sla_paused_ms + CASE WHEN pending_since IS NULL THEN 0 ELSE $4 - pending_since END, \
             pending_since = CASE WHEN $3 = 'Pending' THEN $4 ELSE NULL END, \
             resolved_at = CASE WHEN $3 = 'Resolved' THEN $4 WHEN $3 = 'InProgress' THEN NULL ELSE resolved_at END, \
             closed_at = CASE WHEN $3 IN ('Closed', 'Cancelled', 'Rejected') THEN $4 ELSE closed_at END \
             WHERE id = $1 AND status = $2",
            args![case_id, from.as_str(), to.as_str(), at],
        )
        .await?;
    if changed == 0 {
        return Ok(false);
    }
    db.execute(
        "INSERT INTO case_status_history (case_id, from_status, to_status, reason, changed_by, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        args![case_id, from.as_str(), to.as_str(), reason, changed_by, at],
    )
    .await?;
    Ok(true)
}

/// Resolved cases whose resolution is older than `resolved_before`: due for the automatic close.
pub async fn resolved_before(
    db: &impl Exec,
    resolved_before: i64,
    limit: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    db.fetch_all(
        "SELECT id, org_id FROM cases WHERE status = 'Resolved' AND resolved_at < $1 ORDER BY resolved_at LIMIT $2",
        args![resolved_before, limit],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: i64,
    pub case_id: i64,
    pub communication_id: Option<i64>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub created_at: i64,
}

pub struct NewAttachment<'a> {
    pub case_id: i64,
    pub communication_id: Option<i64>,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub content: Vec<u8>,
    pub uploaded_by: &'a str,
    pub at: i64,
}

pub async fn add_attachment(db: &impl Exec, a: NewAttachment<'_>) -> Result<i64, StoreError> {
    let size = a.content.len() as i64;
    let (id,): (i64,) = db
        .fetch_one(
            "INSERT INTO case_attachments (case_id, communication_id, file_name, content_type, size_bytes, sha256, content, \
             uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            args![
                a.case_id,
                a.communication_id,
                a.file_name,
                a.content_type,
                size,
                a.sha256,
                a.content,
                a.uploaded_by,
                a.at
            ],
        )
        .await?;
    touch(db, a.case_id, a.at).await?;
    Ok(id)
}

macro_rules! attachment_columns {
    () => {
        "id, case_id, communication_id, file_name, content_type, size_bytes, sha256, uploaded_by, created_at"
    };
}

/// A case's attachments, without their bytes.
pub async fn attachments(db: &impl Exec, case_id: i64) -> Result<Vec<AttachmentRow>, StoreError> {
    db.fetch_all(
        concat!(
            "SELECT ",
            attachment_columns!(),
            " FROM case_attachments WHERE case_id = $1 ORDER BY id"
        ),
        args![case_id],
    )
    .await
}

/// One attachment's metadata and bytes.
pub async fn attachment_content(
    db: &impl Exec,
    case_id: i64,
    id: i64,
) -> Result<Option<(AttachmentRow, Vec<u8>)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct WithContent {
        #[sqlx(flatten)]
        row: AttachmentRow,
        content: Vec<u8>,
    }
    let found: Option<WithContent> = db
        .fetch_optional(
            concat!(
                "SELECT ",
                attachment_columns!(),
                ", content FROM case_attachments WHERE case_id = $1 AND id = $2"
            ),
            args![case_id, id],
        )
        .await?;
    Ok(found.map(|f| (f.row, f.content)))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RfoRow {
    pub case_id: i64,
    #[sqlx(try_from = "crate::stored::Stored<RfoStatus>")]
    pub status: RfoStatus,
    pub version: i64,
    pub issued_at: i64,
    /// JSON: the RFO's fields beyond status, version and issue date.
    pub body: String,
    pub updated_at: i64,
}

pub async fn find_rfo(db: &impl Exec, case_id: i64) -> Result<Option<RfoRow>, StoreError> {
    db.fetch_optional(
        "SELECT case_id, status, version, issued_at, body, updated_at FROM rfos WHERE case_id = $1",
        args![case_id],
    )
    .await
}

/// Publishes (or republishes) a case's RFO: the version goes up by one each time
/// the content or status changes; publishing identical content changes nothing.
/// Returns the version in force.
pub async fn publish_rfo(
    db: &impl Exec,
    case_id: i64,
    status: &str,
    body: &str,
    at: i64,
) -> Result<i64, StoreError> {
    let current = find_rfo(db, case_id).await?;
    let version = match &current {
        Some(rfo) if rfo.status.as_str() == status && rfo.body == body => return Ok(rfo.version),
        Some(rfo) => rfo.version + 1,
        None => 1,
    };
    if current.is_some() {
        db.execute(
            "UPDATE rfos SET status = $2, version = $3, issued_at = $4, body = $5, updated_at = $4 WHERE case_id = $1",
            args![case_id, status, version, at, body],
        )
        .await?;
    } else {
        db.execute(
            "INSERT INTO rfos (case_id, status, version, issued_at, body, updated_at) VALUES ($1, $2, $3, $4, $5, $4)",
            args![case_id, status, version, at, body],
        )
        .await?;
    }
    db.execute(
        "UPDATE cases SET rfo_status = $2, rfo_issued_at = $3, updated_at = $3 WHERE id = $1",
        args![case_id, status, at],
    )
    .await?;
    Ok(version)
}

/// Generates `count` cases numbered from `first` on the organization's services,
/// for benchmarks: a realistic mix (most Closed, some open), 30 seconds apart from
/// `start_at`, each with its opening message and status. Runs inside the database
/// (one statement per table), so a million cases take seconds, not hours.
pub async fn generate_cases(
    db: &impl Exec,
    org_id: i64,
    first: i64,
    count: i64,
    start_at: i64,
) -> Result<u64, StoreError> {
    let (services,): (i64,) = db
        .fetch_one(
            "SELECT COUNT(*) FROM services WHERE org_id = $1",
            args![org_id],
        )
        .await?;
    if services == 0 || count <= 0 {
        return Ok(0);
    }
    let (before,): (i64,) = db
        .fetch_one(
            "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM cases",
            args![],
        )
        .await?;
    let inserted = db
        .execute(
            "WITH RECURSIVE n(i) AS (SELECT CAST($2 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < CAST($3 AS BIGINT)), \
             svc AS (SELECT id, site_id, contract_account_id, delivery_account_id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k \
                     FROM services WHERE org_id = $1), \
             g AS (SELECT i, svc.id AS service_id, site_id, contract_account_id, delivery_account_id, \
                     CAST($5 AS BIGINT) + i * 30000 AS created_at, \
                     CAST($5 AS BIGINT) + i * 30000 + (i * 7919) % 3600000 AS updated_at, \
                     CASE i % 20 WHEN 0 THEN 'Acknowledged' WHEN 1 THEN 'InProgress' WHEN 2 THEN 'InProgress' \
                       WHEN 3 THEN 'Pending' WHEN 4 THEN 'Held' WHEN 5 THEN 'Resolved' WHEN 6 THEN 'Cancelled' \
                       WHEN 7 THEN 'Rejected' ELSE 'Closed' END AS status \
                   FROM n JOIN svc ON svc.k = n.i % CAST($4 AS BIGINT)) \
             INSERT INTO cases (org_id, case_type, subject, priority, status, service_id, site_id, contract_account_id, \
               delivery_account_id, customer_reference, origin, start_of_incident, created_by, created_at, updated_at, \
               resolved_at, closed_at, pending_since) \
             SELECT $1, \
               CASE WHEN i % 3 = 0 THEN 'NonIncident' ELSE 'Incident' END, \
               CASE WHEN i % 3 = 0 THEN (CASE i % 7 WHEN 0 THEN 'ActivationSupport' WHEN 1 THEN 'ChangeRequest' \
                    WHEN 2 THEN 'EngineerDispatch' WHEN 3 THEN 'InformationRequest' WHEN 4 THEN 'Other' \
                    WHEN 5 THEN 'SoftwareUpdate' ELSE 'UtilizationReport' END) \
                  ELSE (CASE i % 3 WHEN 1 THEN 'ServiceDown' ELSE (CASE i % 2 WHEN 0 THEN 'ServiceDegradation' ELSE 'ServiceIntermittent' END) END) END, \
               CASE WHEN i % 3 = 0 THEN (CASE i % 3 WHEN 0 THEN 'P3' WHEN 1 THEN 'P4' ELSE 'P5' END) \
                  ELSE (CASE i % 5 WHEN 0 THEN 'P1' WHEN 1 THEN 'P2' WHEN 2 THEN 'P3' WHEN 3 THEN 'P4' ELSE 'P5' END) END, \
               status, service_id, site_id, contract_account_id, delivery_account_id, \
               'GEN-' || CAST(i AS TEXT), \
               CASE i % 4 WHEN 0 THEN 'Portal' WHEN 1 THEN 'Api' WHEN 2 THEN 'Monitoring' ELSE 'Email' END, \
               CASE WHEN i % 3 = 0 THEN NULL ELSE created_at - 600000 END, \
               'seed', created_at, updated_at, \
               CASE WHEN status IN ('Resolved', 'Closed') THEN updated_at ELSE NULL END, \
               CASE WHEN status IN ('Closed', 'Cancelled', 'Rejected') THEN updated_at ELSE NULL END, \
               CASE WHEN status = 'Pending' THEN updated_at ELSE NULL END \
             FROM g ORDER BY i",
            args![org_id, first, first + count - 1, services, start_at],
        )
        .await?;
    db.execute(
        "INSERT INTO case_communications (case_id, comm_type, message, sent_by, created_at) \
         SELECT id, 'Customer', 'Generated for load testing: please check the service.', 'seed', created_at \
         FROM cases WHERE id > $1",
        args![before],
    )
    .await?;
    db.execute(
        "INSERT INTO case_status_history (case_id, from_status, to_status, reason, changed_by, at) \
         SELECT id, NULL, status, '', 'seed', updated_at FROM cases WHERE id > $1",
        args![before],
    )
    .await?;
    Ok(inserted)
}
