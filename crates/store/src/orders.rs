//! Orders in delivery (PRODUCT §10): the order, its lines (one per service to
//! deliver), each line's milestones and the delays of their planned days. A
//! customer sees an order when the caller's [`AccessScope`] sees its two
//! accounts (every line's service has them), as for cases.

use oneportal_domain::order::{Milestone, OrderStatus};
use oneportal_domain::query::{Direction, Field, FieldKind, ListQuery, ListSpec, SortKey};
use serde_json::json;

use crate::catalog::{AccessScope, Restriction};
use crate::db::numbered_marks;
use crate::listing::{Column, ListPage, Listed, Listing, fields};
use crate::stored::Stored;
use crate::{Arg, Exec, StoreError, Tx, args};

/// An order as stored; times are Unix ms.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub org_id: i64,
    pub reference: String,
    pub contract_account_id: i64,
    pub delivery_account_id: i64,
    pub purchase_order: String,
    #[sqlx(try_from = "Stored<OrderStatus>")]
    pub status: OrderStatus,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Listed for OrderRow {
    fn id(&self) -> i64 {
        self.id
    }
}

/// A line with its service as it stands now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LineRow {
    pub id: i64,
    pub order_id: i64,
    pub service_id: i64,
    pub service_name: String,
    pub service_status: String,
    pub site_id: i64,
    pub product: String,
    pub position: i64,
}

/// One milestone of a line; days are `YYYY-MM-DD`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MilestoneRow {
    pub line_id: i64,
    #[sqlx(try_from = "Stored<Milestone>")]
    pub milestone: Milestone,
    pub planned_date: Option<String>,
    pub actual_date: Option<String>,
}

/// One move of a milestone's planned day.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DelayRow {
    pub line_id: i64,
    #[sqlx(try_from = "Stored<Milestone>")]
    pub milestone: Milestone,
    pub previous_planned: Option<String>,
    pub new_planned: String,
    pub reason: String,
    pub at: i64,
}

/// The fields of an order list, each declared once.
pub(crate) const ORDER_COLUMNS: [Column<OrderRow>; 5] = [
    Column::filter("status", FieldKind::Enum(OrderStatus::NAMES), "o.status")
        .sorted(|r| json!(r.status.as_str())),
    Column::filter("orderReference", FieldKind::Text, "o.reference").sorted(|r| json!(r.reference)),
    Column::filter("purchaseOrder", FieldKind::Text, "o.purchase_order")
        .sorted(|r| json!(r.purchase_order)),
    Column::filter("createdDate", FieldKind::Date, "o.created_at").sorted(|r| json!(r.created_at)),
    Column::filter("lastModifiedDate", FieldKind::Date, "o.updated_at")
        .sorted(|r| json!(r.updated_at)),
];
const ORDER_FIELDS: [Field; 5] = fields(&ORDER_COLUMNS);

/// Newest first.
pub const ORDERS: ListSpec = ListSpec {
    fields: &ORDER_FIELDS,
    default_sort: &[SortKey {
        field: "createdDate",
        direction: Direction::Descending,
    }],
};

const ORDER_SELECT: &str = "o.id, o.org_id, o.reference, o.contract_account_id, o.delivery_account_id, \
     o.purchase_order, o.status, o.created_at, o.updated_at";

async fn listing(
    db: &impl Exec,
    scope: Option<&AccessScope>,
) -> Result<Listing<OrderRow>, StoreError> {
    let mut listing = Listing::new(ORDER_SELECT, "orders o", &ORDER_COLUMNS, "o.id");
    if let Some(scope) = scope {
        listing.require_eq("o.org_id", scope.org_id);
        if let Some(restriction) = Restriction::of(db, scope).await? {
            restriction.require_service(
                &mut listing,
                "o.contract_account_id",
                "o.delivery_account_id",
            );
        }
    }
    Ok(listing)
}

/// A page of the orders the scope sees (`None`: every order, for staff).
pub async fn list(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    query: &ListQuery,
) -> Result<ListPage<OrderRow>, StoreError> {
    let mut listing = listing(db, scope).await?;
    listing.filter(&query.filters);
    listing.run(db, query).await
}

/// The order, if the scope sees it (`None`: any, for staff).
pub async fn find(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    id: i64,
) -> Result<Option<OrderRow>, StoreError> {
    let mut listing = listing(db, scope).await?;
    listing.require_eq("o.id", id);
    listing.first(db).await
}

/// The order with this provider reference, if any.
pub async fn find_by_reference(
    db: &impl Exec,
    reference: &str,
) -> Result<Option<OrderRow>, StoreError> {
    let mut listing = listing(db, None).await?;
    listing.require("o.reference = ?", vec![Arg::from(reference)]);
    listing.first(db).await
}

/// The lines of these orders, in order and position.
pub async fn lines(db: &impl Exec, orders: &[i64]) -> Result<Vec<LineRow>, StoreError> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all_dynamic(
        format!(
            "SELECT l.id, l.order_id, l.service_id, v.service_name, v.status AS service_status, \
             v.site_id, l.product, l.position FROM order_lines l JOIN services v ON v.id = l.service_id \
             WHERE l.order_id IN ({}) ORDER BY l.order_id, l.position",
            numbered_marks(1, orders.len())
        ),
        orders.iter().map(|id| Arg::from(*id)).collect(),
    )
    .await
}

/// The milestones of these lines.
pub async fn milestones(db: &impl Exec, lines: &[i64]) -> Result<Vec<MilestoneRow>, StoreError> {
    if lines.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all_dynamic(
        format!(
            "SELECT line_id, milestone, planned_date, actual_date FROM order_milestones \
             WHERE line_id IN ({})",
            numbered_marks(1, lines.len())
        ),
        lines.iter().map(|id| Arg::from(*id)).collect(),
    )
    .await
}

/// The delays of these lines, oldest first.
pub async fn delays(db: &impl Exec, lines: &[i64]) -> Result<Vec<DelayRow>, StoreError> {
    if lines.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all_dynamic(
        format!(
            "SELECT line_id, milestone, previous_planned, new_planned, reason, at FROM order_delays \
             WHERE line_id IN ({}) ORDER BY id",
            numbered_marks(1, lines.len())
        ),
        lines.iter().map(|id| Arg::from(*id)).collect(),
    )
    .await
}

/// A new order.
pub struct NewOrder<'a> {
    pub org_id: i64,
    pub reference: &'a str,
    pub contract_account_id: i64,
    pub delivery_account_id: i64,
    pub purchase_order: &'a str,
    pub at: i64,
}

/// Writes a new order in delivery; a taken reference is a `Conflict` on `orders.reference`.
pub async fn insert(tx: &Tx, new: &NewOrder<'_>) -> Result<i64, StoreError> {
    let (id,): (i64,) = tx
        .fetch_one(
            "INSERT INTO orders (org_id, reference, contract_account_id, delivery_account_id, \
             purchase_order, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            args![
                new.org_id,
                new.reference,
                new.contract_account_id,
                new.delivery_account_id,
                new.purchase_order,
                OrderStatus::InDelivery.as_str(),
                new.at
            ],
        )
        .await?;
    Ok(id)
}

/// Adds a line delivering `service`, with each milestone's planned day.
pub async fn add_line(
    tx: &Tx,
    order_id: i64,
    service_id: i64,
    product: &str,
    position: i64,
    planned: &[(Milestone, Option<String>)],
) -> Result<i64, StoreError> {
    let (line,): (i64,) = tx
        .fetch_one(
            "INSERT INTO order_lines (order_id, service_id, product, position) \
             VALUES ($1, $2, $3, $4) RETURNING id",
            args![order_id, service_id, product, position],
        )
        .await?;
    for milestone in Milestone::ALL {
        let day = planned
            .iter()
            .find(|(m, _)| *m == milestone)
            .and_then(|(_, d)| d.clone());
        tx.execute(
            "INSERT INTO order_milestones (line_id, milestone, planned_date) VALUES ($1, $2, $3)",
            args![line, milestone.as_str(), day],
        )
        .await?;
    }
    Ok(line)
}

/// Records the milestone as reached on `day`, if it was not yet.
pub async fn reach(
    tx: &Tx,
    line: i64,
    milestone: Milestone,
    day: &str,
) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE order_milestones SET actual_date = $3 \
             WHERE line_id = $1 AND milestone = $2 AND actual_date IS NULL",
            args![line, milestone.as_str(), day],
        )
        .await?;
    Ok(changed == 1)
}

/// Moves the milestone's planned day to `day`, recording the delay and its reason.
#[allow(clippy::too_many_arguments)]
pub async fn delay(
    tx: &Tx,
    line: i64,
    milestone: Milestone,
    previous: Option<&str>,
    day: &str,
    reason: &str,
    actor: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE order_milestones SET planned_date = $3 \
             WHERE line_id = $1 AND milestone = $2 AND actual_date IS NULL",
            args![line, milestone.as_str(), day],
        )
        .await?;
    if changed != 1 {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO order_delays (line_id, milestone, previous_planned, new_planned, reason, at, actor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![line, milestone.as_str(), previous, day, reason, at, actor],
    )
    .await?;
    Ok(true)
}

/// Moves the order to `to` if it is still in `from`, and marks it changed.
pub async fn move_status(
    tx: &Tx,
    id: i64,
    (from, to): (OrderStatus, OrderStatus),
    at: i64,
) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE orders SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2",
            args![id, from.as_str(), to.as_str(), at],
        )
        .await?;
    Ok(changed == 1)
}

/// Marks the order changed (a milestone reached or delayed).
pub async fn touch(tx: &Tx, id: i64, at: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE orders SET updated_at = $2 WHERE id = $1",
        args![id, at],
    )
    .await?;
    Ok(())
}
