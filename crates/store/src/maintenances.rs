//! Planned maintenance (PRODUCT §8): the provider's announcements, the services
//! each affects with their impact, and its history. A maintenance may touch
//! many organizations; a customer sees it when one of the services it affects
//! is visible to the caller's [`AccessScope`], and sees only those services.

use oneportal_domain::ids::IdKind;
use oneportal_domain::maintenance::{Impact, MaintenanceStatus};
use oneportal_domain::query::{Direction, Field, FieldKind, Filter, ListQuery, ListSpec, SortKey};
use serde_json::json;

use crate::catalog::{AccessScope, Restriction};
use crate::db::{number_marks, numbered_marks};
use crate::listing::{Column, ListPage, Listed, Listing, fields};
use crate::stored::Stored;
use crate::{Arg, Exec, StoreError, Tx, args};

/// A maintenance as stored; times are Unix ms.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MaintenanceRow {
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub reason: String,
    #[sqlx(try_from = "Stored<MaintenanceStatus>")]
    pub status: MaintenanceStatus,
    pub starts_at: i64,
    pub ends_at: i64,
    /// When the current window was announced.
    pub notice_given_at: i64,
    /// Raised on every change (the iCalendar `SEQUENCE`).
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Listed for MaintenanceRow {
    fn id(&self) -> i64 {
        self.id
    }
}

/// One service a maintenance affects.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AffectedServiceRow {
    pub maintenance_id: i64,
    pub service_id: i64,
    pub org_id: i64,
    pub service_name: String,
    pub site_id: i64,
    #[sqlx(try_from = "Stored<Impact>")]
    pub impact: Impact,
}

/// One step of a maintenance's history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub at: i64,
    pub action: String,
    #[sqlx(try_from = "Stored<MaintenanceStatus>")]
    pub status: MaintenanceStatus,
    pub starts_at: i64,
    pub ends_at: i64,
    pub revision: i64,
    pub actor: String,
    pub note: String,
}

/// The filter on affected services: a subquery, not a column of the maintenance.
pub const SERVICE_FILTER: &str = "serviceId";

/// The fields of a maintenance list, each declared once.
pub(crate) const MAINTENANCE_COLUMNS: [Column<MaintenanceRow>; 7] = [
    Column::filter(
        "status",
        FieldKind::Enum(MaintenanceStatus::NAMES),
        "m.status",
    )
    .sorted(|r| json!(r.status.as_str())),
    Column::filter("startDate", FieldKind::Date, "m.starts_at").sorted(|r| json!(r.starts_at)),
    Column::filter("endDate", FieldKind::Date, "m.ends_at").sorted(|r| json!(r.ends_at)),
    Column::filter("providerReference", FieldKind::Text, "m.reference")
        .sorted(|r| json!(r.reference)),
    // Read by `visible_maintenances`, never bound as a column.
    Column::id(SERVICE_FILTER, IdKind::Service, "ms.service_id"),
    Column::filter("createdDate", FieldKind::Date, "m.created_at").sorted(|r| json!(r.created_at)),
    Column::filter("lastModifiedDate", FieldKind::Date, "m.updated_at")
        .sorted(|r| json!(r.updated_at)),
];
const MAINTENANCE_FIELDS: [Field; 7] = fields(&MAINTENANCE_COLUMNS);

/// Newest window first.
pub const MAINTENANCES: ListSpec = ListSpec {
    fields: &MAINTENANCE_FIELDS,
    default_sort: &[SortKey {
        field: "startDate",
        direction: Direction::Descending,
    }],
};

const MAINTENANCE_SELECT: &str = "m.id, m.reference, m.title, m.reason, m.status, m.starts_at, m.ends_at, \
                                  m.notice_given_at, m.revision, m.created_at, m.updated_at";

/// `m.id IN (…)` the maintenances with a service the scope sees, narrowed to
/// `services` when given; `None` for staff, who see every maintenance.
async fn visible_maintenances(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    services: Option<&[i64]>,
) -> Result<Option<(String, Vec<Arg>)>, StoreError> {
    let mut conditions = Vec::new();
    let mut values: Vec<Arg> = Vec::new();
    if let Some(scope) = scope {
        conditions.push("ms.org_id = ?".to_owned());
        values.push(scope.org_id.into());
        if let Some(restriction) = Restriction::of(db, scope).await? {
            let (sql, args) = restriction.visible_service();
            conditions.push(sql);
            values.extend(args);
        }
    }
    if let Some(services) = services {
        if services.is_empty() {
            conditions.push("1 = 0".to_owned());
        } else {
            conditions.push(format!(
                "ms.service_id IN ({})",
                vec!["?"; services.len()].join(", ")
            ));
            values.extend(services.iter().map(|s| Arg::from(*s)));
        }
    }
    if conditions.is_empty() {
        return Ok(None);
    }
    Ok(Some((
        format!(
            "m.id IN (SELECT ms.maintenance_id FROM maintenance_services ms \
             JOIN services v ON v.id = ms.service_id WHERE {})",
            conditions.join(" AND ")
        ),
        values,
    )))
}

/// The service ids a `serviceId` filter asks for (an id of the wrong shape matches nothing).
fn service_filter(filters: &[Filter]) -> Option<Vec<i64>> {
    filters.iter().find_map(|f| match f {
        Filter::AnyOf { field, values } if *field == SERVICE_FILTER => Some(
            values
                .iter()
                .map(|v| IdKind::Service.parse(v).unwrap_or(-1))
                .collect(),
        ),
        _ => None,
    })
}

async fn maintenance_listing(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    filters: &[Filter],
) -> Result<Listing<MaintenanceRow>, StoreError> {
    let mut listing = Listing::new(
        MAINTENANCE_SELECT,
        "maintenances m",
        &MAINTENANCE_COLUMNS,
        "m.id",
    );
    let services = service_filter(filters);
    if let Some((sql, values)) = visible_maintenances(db, scope, services.as_deref()).await? {
        listing.require(&sql, values);
    }
    let rest: Vec<Filter> = filters
        .iter()
        .filter(|f| !matches!(f, Filter::AnyOf { field, .. } if *field == SERVICE_FILTER))
        .cloned()
        .collect();
    listing.filter(&rest);
    Ok(listing)
}

/// A page of the maintenances the scope sees (`None`: every maintenance, for staff).
pub async fn list_maintenances(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    query: &ListQuery,
) -> Result<ListPage<MaintenanceRow>, StoreError> {
    maintenance_listing(db, scope, &query.filters)
        .await?
        .run(db, query)
        .await
}

/// The maintenance, if the scope sees it (`None`: any, for staff).
pub async fn find_maintenance(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    id: i64,
) -> Result<Option<MaintenanceRow>, StoreError> {
    let mut listing = maintenance_listing(db, scope, &[]).await?;
    listing.require_eq("m.id", id);
    listing.first(db).await
}

/// The services of these maintenances that the scope sees (`None`: all), in
/// order of maintenance and service.
pub async fn affected_services(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    maintenance_ids: &[i64],
) -> Result<Vec<AffectedServiceRow>, StoreError> {
    if maintenance_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<Arg> = maintenance_ids.iter().map(|id| Arg::from(*id)).collect();
    let mut sql = format!(
        "SELECT ms.maintenance_id, ms.service_id, ms.org_id, v.service_name, v.site_id, ms.impact \
         FROM maintenance_services ms JOIN services v ON v.id = ms.service_id \
         WHERE ms.maintenance_id IN ({})",
        numbered_marks(1, maintenance_ids.len())
    );
    if let Some(scope) = scope {
        values.push(scope.org_id.into());
        sql.push_str(&format!(" AND ms.org_id = ${}", values.len()));
        if let Some(restriction) = Restriction::of(db, scope).await? {
            let (condition, args) = restriction.visible_service();
            let condition = number_marks(&condition, args, &mut values);
            sql.push_str(&format!(" AND {condition}"));
        }
    }
    sql.push_str(" ORDER BY ms.maintenance_id, ms.service_id");
    db.fetch_all_dynamic(sql, values).await
}

/// The organizations whose services a maintenance affects: who is told.
pub async fn affected_orgs(db: &impl Exec, id: i64) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = db
        .fetch_all(
            "SELECT DISTINCT org_id FROM maintenance_services WHERE maintenance_id = $1 ORDER BY org_id",
            args![id],
        )
        .await?;
    Ok(rows.into_iter().map(|(org,)| org).collect())
}

/// The maintenance's history, oldest first.
pub async fn history(db: &impl Exec, id: i64) -> Result<Vec<HistoryRow>, StoreError> {
    db.fetch_all(
        "SELECT at, action, status, starts_at, ends_at, revision, actor, note \
         FROM maintenance_history WHERE maintenance_id = $1 ORDER BY id",
        args![id],
    )
    .await
}

/// The organization of each of these services that exists: `(service, org)`.
pub async fn service_orgs(db: &impl Exec, services: &[i64]) -> Result<Vec<(i64, i64)>, StoreError> {
    if services.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all_dynamic(
        format!(
            "SELECT id, org_id FROM services WHERE id IN ({})",
            numbered_marks(1, services.len())
        ),
        services.iter().map(|s| Arg::from(*s)).collect(),
    )
    .await
}

/// What a maintenance says; the status and the window are set beside it.
pub struct MaintenanceText<'a> {
    pub title: &'a str,
    pub reason: &'a str,
}

/// A new maintenance.
pub struct NewMaintenance<'a> {
    pub reference: &'a str,
    pub text: MaintenanceText<'a>,
    pub status: MaintenanceStatus,
    pub starts_at: i64,
    pub ends_at: i64,
    pub at: i64,
}

/// Writes a new maintenance (revision 1); a taken reference is a `Conflict` on
/// `maintenances.reference`.
pub async fn insert(tx: &Tx, new: &NewMaintenance<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = tx
        .fetch_one(
            "INSERT INTO maintenances (reference, title, reason, status, starts_at, ends_at, \
             notice_given_at, revision, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $7, $7) RETURNING id",
            args![
                new.reference,
                new.text.title,
                new.text.reason,
                new.status.as_str(),
                new.starts_at,
                new.ends_at,
                new.at
            ],
        )
        .await?;
    Ok(id)
}

/// The maintenance as it is after a change, to write over the stored one.
pub struct Revised<'a> {
    pub text: MaintenanceText<'a>,
    pub status: MaintenanceStatus,
    pub starts_at: i64,
    pub ends_at: i64,
    pub notice_given_at: i64,
    pub at: i64,
}

/// Writes the change and raises the revision, if the stored revision is still
/// `revision` (a change made meanwhile wins, and this one reports `false`).
pub async fn revise(
    tx: &Tx,
    id: i64,
    revision: i64,
    revised: &Revised<'_>,
) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE maintenances SET title = $3, reason = $4, status = $5, starts_at = $6, ends_at = $7, \
             notice_given_at = $8, revision = revision + 1, updated_at = $9 \
             WHERE id = $1 AND revision = $2",
            args![
                id,
                revision,
                revised.text.title,
                revised.text.reason,
                revised.status.as_str(),
                revised.starts_at,
                revised.ends_at,
                revised.notice_given_at,
                revised.at
            ],
        )
        .await?;
    Ok(changed == 1)
}

/// Replaces the affected services: `(service, org, impact)`.
pub async fn set_services(
    tx: &Tx,
    id: i64,
    services: &[(i64, i64, Impact)],
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM maintenance_services WHERE maintenance_id = $1",
        args![id],
    )
    .await?;
    // In chunks, to stay under SQLite's limit on bound values.
    for chunk in services.chunks(200) {
        let mut values: Vec<Arg> = Vec::with_capacity(chunk.len() * 4);
        let rows: Vec<String> = chunk
            .iter()
            .map(|(service, org, impact)| {
                values.extend([
                    Arg::from(id),
                    Arg::from(*service),
                    Arg::from(*org),
                    Arg::from(impact.as_str()),
                ]);
                let n = values.len();
                format!("(${}, ${}, ${}, ${})", n - 3, n - 2, n - 1, n)
            })
            .collect();
        let _: Vec<(i64,)> = tx
            .fetch_all_dynamic(
                format!(
                    "INSERT INTO maintenance_services (maintenance_id, service_id, org_id, impact) \
                     VALUES {} RETURNING service_id",
                    rows.join(", ")
                ),
                values,
            )
            .await?;
    }
    Ok(())
}

/// One step of the history, as the maintenance stands after it.
pub struct NewHistory<'a> {
    pub action: &'a str,
    pub actor: &'a str,
    pub note: &'a str,
    pub at: i64,
}

/// Records a step with the maintenance's status, window and revision after it.
pub async fn add_history(tx: &Tx, id: i64, step: &NewHistory<'_>) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO maintenance_history (maintenance_id, at, action, status, starts_at, ends_at, revision, actor, note) \
         SELECT id, $2, $3, status, starts_at, ends_at, revision, $4, $5 FROM maintenances WHERE id = $1",
        args![id, step.at, step.action, step.actor, step.note],
    )
    .await?;
    Ok(())
}

/// The maintenance with this provider reference, for staff and the import.
pub async fn find_by_reference(
    db: &impl Exec,
    reference: &str,
) -> Result<Option<MaintenanceRow>, StoreError> {
    Ok(db
        .fetch_all_dynamic(
            format!("SELECT {MAINTENANCE_SELECT} FROM maintenances m WHERE m.reference = $1"),
            args![reference],
        )
        .await?
        .pop())
}
