//! Invoices and credit notes with their lines. An invoice is visible when the
//! account it bills is visible to the caller's [`AccessScope`] and, for a user
//! restricted on the other type of account too, when every line bills a service
//! the user may see (see `catalog::Restriction`). The demo and the provider's
//! import write them with [`upsert_invoice`].

use oneportal_domain::ids::IdKind;
use oneportal_domain::invoice::{
    ChargeType, InvoiceStatus, InvoiceTotals, InvoiceType, LineAmounts, Money, quantity_text,
    rate_text,
};
use oneportal_domain::query::{Direction, Field, FieldKind, ListQuery, ListSpec, SortKey};
use rust_decimal::Decimal;
use serde_json::json;
use time::Date;

use crate::catalog::{AccessScope, Restriction};
use crate::listing::{Column, ListPage, Listed, Listing, fields};
use crate::{Db, Exec, StoreError, Tx, args};

/// An invoice as stored; dates are `YYYY-MM-DD`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceRow {
    pub id: i64,
    pub org_id: i64,
    /// The billed account.
    pub account_id: i64,
    pub invoice_number: String,
    #[sqlx(try_from = "crate::stored::Stored<InvoiceType>")]
    pub invoice_type: InvoiceType,
    #[sqlx(try_from = "crate::stored::Stored<InvoiceStatus>")]
    pub status: InvoiceStatus,
    pub invoice_date: String,
    pub due_date: String,
    pub billing_period_start: String,
    pub billing_period_end: String,
    /// ISO 4217.
    pub currency: String,
    #[sqlx(try_from = "crate::stored::Stored<Money>")]
    pub subtotal: Money,
    #[sqlx(try_from = "crate::stored::Stored<Money>")]
    pub tax_total: Money,
    #[sqlx(try_from = "crate::stored::Stored<Money>")]
    pub total: Money,
    #[sqlx(try_from = "crate::stored::Stored<Money>")]
    pub amount_paid: Money,
    pub created_at: i64,
    pub updated_at: i64,
}

impl InvoiceRow {
    /// What is still owed: total − amount paid.
    pub fn amount_due(&self) -> Money {
        self.total - self.amount_paid
    }
}

/// The fields of an invoice list, each declared once. Amounts are not sortable.
pub(crate) const INVOICE_COLUMNS: [Column<InvoiceRow>; 9] = [
    Column::filter("invoiceNumber", FieldKind::Text, "i.invoice_number")
        .sorted(|r| json!(r.invoice_number)),
    Column::id("accountId", IdKind::Account, "i.account_id"),
    Column::filter(
        "type",
        FieldKind::Enum(InvoiceType::NAMES),
        "i.invoice_type",
    )
    .sorted(|r| json!(r.invoice_type.as_str())),
    Column::filter("status", FieldKind::Enum(InvoiceStatus::NAMES), "i.status")
        .sorted(|r| json!(r.status.as_str())),
    Column::filter("currency", FieldKind::Text, "i.currency").sorted(|r| json!(r.currency)),
    Column::filter("invoiceDate", FieldKind::Day, "i.invoice_date")
        .sorted(|r| json!(r.invoice_date)),
    Column::filter("dueDate", FieldKind::Day, "i.due_date").sorted(|r| json!(r.due_date)),
    Column::filter("createdDate", FieldKind::Date, "i.created_at").sorted(|r| json!(r.created_at)),
    Column::filter("lastModifiedDate", FieldKind::Date, "i.updated_at")
        .sorted(|r| json!(r.updated_at)),
];
const INVOICE_FIELDS: [Field; 9] = fields(&INVOICE_COLUMNS);

pub const INVOICES: ListSpec = ListSpec {
    fields: &INVOICE_FIELDS,
    default_sort: &[SortKey {
        field: "invoiceDate",
        direction: Direction::Descending,
    }],
};

const INVOICE_SELECT: &str = "i.id, i.org_id, i.account_id, i.invoice_number, i.invoice_type, i.status, i.invoice_date, \
                              i.due_date, i.billing_period_start, i.billing_period_end, i.currency, i.subtotal, \
                              i.tax_total, i.total, i.amount_paid, i.created_at, i.updated_at";

impl Listed for InvoiceRow {
    fn id(&self) -> i64 {
        self.id
    }
}

async fn invoice_listing(
    db: &impl Exec,
    scope: &AccessScope,
) -> Result<Listing<InvoiceRow>, StoreError> {
    let mut listing = Listing::new(INVOICE_SELECT, "invoices i", &INVOICE_COLUMNS, "i.id");
    listing.require_eq("i.org_id", scope.org_id);
    if let Some(restriction) = Restriction::of(db, scope).await? {
        restriction.require_record(
            &mut listing,
            "i.account_id",
            "(EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_id = i.id) \
             AND NOT EXISTS (SELECT 1 FROM invoice_lines l WHERE l.invoice_id = i.id AND (l.service_id IS NULL \
             OR l.service_id NOT IN (SELECT v.id FROM services v WHERE {visible}))))",
        );
    }
    Ok(listing)
}

pub async fn list_invoices(
    db: &impl Exec,
    scope: &AccessScope,
    query: &ListQuery,
) -> Result<ListPage<InvoiceRow>, StoreError> {
    let mut listing = invoice_listing(db, scope).await?;
    listing.filter(&query.filters);
    listing.run(db, query).await
}

pub async fn find_invoice(
    db: &impl Exec,
    scope: &AccessScope,
    id: i64,
) -> Result<Option<InvoiceRow>, StoreError> {
    let mut listing = invoice_listing(db, scope).await?;
    listing.require_eq("i.id", id);
    listing.first(db).await
}

/// One line of an invoice as stored; periods are `YYYY-MM-DD`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceLineRow {
    pub id: i64,
    pub invoice_id: i64,
    /// 1, 2, … in the order the invoice prints them.
    pub position: i64,
    pub description: String,
    #[sqlx(try_from = "crate::stored::Stored<ChargeType>")]
    pub charge_type: ChargeType,
    pub service_id: Option<i64>,
    pub site_address: Option<String>,
    pub order_reference: Option<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// A plain decimal (`"1"`, `"12.5"`).
    pub quantity: String,
    #[sqlx(try_from = "crate::stored::Stored<Money>")]
    pub unit_price: Money,
    #[sqlx(try_from = "crate::stored::Stored<Money>")]
    pub amount: Money,
    /// Percent (`"21.00"`).
    pub tax_rate: String,
    #[sqlx(try_from = "crate::stored::Stored<Money>")]
    pub tax_amount: Money,
    #[sqlx(try_from = "crate::stored::Stored<Money>")]
    pub total_amount: Money,
}

/// Lines keep the invoice's printed order; they can be narrowed, not re-sorted.
pub(crate) const LINE_COLUMNS: [Column<InvoiceLineRow>; 3] = [
    Column::filter(
        "chargeType",
        FieldKind::Enum(ChargeType::NAMES),
        "l.charge_type",
    ),
    Column::id("serviceId", IdKind::Service, "l.service_id"),
    Column::order("position", "l.position", |r| json!(r.position)),
];
const LINE_FIELDS: [Field; 3] = fields(&LINE_COLUMNS);

pub const INVOICE_LINES: ListSpec = ListSpec {
    fields: &LINE_FIELDS,
    default_sort: &[SortKey {
        field: "position",
        direction: Direction::Ascending,
    }],
};

const LINE_SELECT: &str = "l.id, l.invoice_id, l.position, l.description, l.charge_type, l.service_id, l.site_address, \
                           l.order_reference, l.period_start, l.period_end, l.quantity, l.unit_price, l.amount, \
                           l.tax_rate, l.tax_amount, l.total_amount";

impl Listed for InvoiceLineRow {
    fn id(&self) -> i64 {
        self.id
    }
}

/// A page of an invoice's lines. Taking the row, not an id, means the caller
/// already found the invoice through its access rules.
pub async fn list_invoice_lines(
    db: &impl Exec,
    invoice: &InvoiceRow,
    query: &ListQuery,
) -> Result<ListPage<InvoiceLineRow>, StoreError> {
    let mut listing = Listing::new(LINE_SELECT, "invoice_lines l", &LINE_COLUMNS, "l.id");
    listing.require_eq("l.invoice_id", invoice.id);
    listing.filter(&query.filters);
    listing.run(db, query).await
}

/// Every line of an invoice in printed order, for its PDF and CSV documents.
pub async fn invoice_lines(
    db: &impl Exec,
    invoice: &InvoiceRow,
) -> Result<Vec<InvoiceLineRow>, StoreError> {
    db.fetch_all(
        "SELECT id, invoice_id, position, description, charge_type, service_id, site_address, order_reference, \
         period_start, period_end, quantity, unit_price, amount, tax_rate, tax_amount, total_amount \
         FROM invoice_lines WHERE invoice_id = $1 ORDER BY position",
        args![invoice.id],
    )
    .await
}

/// An invoice as a billing system states it, lines included.
#[derive(Debug, Clone)]
pub struct NewInvoice {
    pub org_id: i64,
    /// The billed account; it must belong to `org_id`.
    pub account_id: i64,
    /// The provider's printed number, unique in the organization: what an upsert matches on.
    pub invoice_number: String,
    pub invoice_type: InvoiceType,
    pub status: InvoiceStatus,
    pub invoice_date: Date,
    pub due_date: Date,
    pub billing_period: (Date, Date),
    /// ISO 4217.
    pub currency: String,
    /// Stored as given; an import checks them first with [`InvoiceTotals::check`].
    pub totals: InvoiceTotals,
    pub amount_paid: Money,
    pub lines: Vec<NewInvoiceLine>,
    /// When this version was written: `created_at` of a new invoice, `updated_at` of a changed one.
    pub at: i64,
}

#[derive(Debug, Clone)]
pub struct NewInvoiceLine {
    pub description: String,
    pub charge_type: ChargeType,
    /// A service of the same organization.
    pub service_id: Option<i64>,
    pub site_address: Option<String>,
    pub order_reference: Option<String>,
    pub period: Option<(Date, Date)>,
    pub quantity: Decimal,
    pub unit_price: Money,
    /// Percent.
    pub tax_rate: Decimal,
    pub amounts: LineAmounts,
}

pub use crate::provisioning::Upserted;

/// An invoice's columns exactly as written, to tell whether an upsert changes anything.
#[derive(Debug, PartialEq, sqlx::FromRow)]
struct StoredInvoice {
    account_id: i64,
    invoice_type: String,
    status: String,
    invoice_date: String,
    due_date: String,
    billing_period_start: String,
    billing_period_end: String,
    currency: String,
    subtotal: String,
    tax_total: String,
    total: String,
    amount_paid: String,
}

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct StoredLine {
    position: i64,
    description: String,
    charge_type: String,
    service_id: Option<i64>,
    site_address: Option<String>,
    order_reference: Option<String>,
    period_start: Option<String>,
    period_end: Option<String>,
    quantity: String,
    unit_price: String,
    amount: String,
    tax_rate: String,
    tax_amount: String,
    total_amount: String,
}

impl NewInvoice {
    fn stored(&self) -> (StoredInvoice, Vec<StoredLine>) {
        let header = StoredInvoice {
            account_id: self.account_id,
            invoice_type: self.invoice_type.as_str().to_owned(),
            status: self.status.as_str().to_owned(),
            invoice_date: self.invoice_date.to_string(),
            due_date: self.due_date.to_string(),
            billing_period_start: self.billing_period.0.to_string(),
            billing_period_end: self.billing_period.1.to_string(),
            currency: self.currency.clone(),
            subtotal: self.totals.subtotal.to_string(),
            tax_total: self.totals.tax_total.to_string(),
            total: self.totals.total.to_string(),
            amount_paid: self.amount_paid.to_string(),
        };
        let lines = self
            .lines
            .iter()
            .zip(1..)
            .map(|(line, position)| StoredLine {
                position,
                description: line.description.clone(),
                charge_type: line.charge_type.as_str().to_owned(),
                service_id: line.service_id,
                site_address: line.site_address.clone(),
                order_reference: line.order_reference.clone(),
                period_start: line.period.map(|p| p.0.to_string()),
                period_end: line.period.map(|p| p.1.to_string()),
                quantity: quantity_text(line.quantity),
                unit_price: line.unit_price.to_string(),
                amount: line.amounts.amount.to_string(),
                tax_rate: rate_text(line.tax_rate),
                tax_amount: line.amounts.tax_amount.to_string(),
                total_amount: line.amounts.total_amount.to_string(),
            })
            .collect();
        (header, lines)
    }
}

/// Inserts the invoice, or brings the one with the same number up to date and
/// replaces its lines, in one transaction. Writing what is already stored
/// changes nothing, not even `updated_at`, so `lastModifiedDate` polling sees
/// real changes only. [`StoreError::NotFound`] when the account or a line's
/// service is not the organization's.
pub async fn upsert_invoice(db: &Db, invoice: &NewInvoice) -> Result<Upserted, StoreError> {
    let tx = db.begin().await?;
    let outcome = upsert_invoice_in(&tx, invoice).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// [`upsert_invoice`] inside the caller's transaction (which may add its event).
pub async fn upsert_invoice_in(tx: &Tx, invoice: &NewInvoice) -> Result<Upserted, StoreError> {
    let (header, lines) = invoice.stored();
    let account: Option<(i64,)> = tx
        .fetch_optional(
            "SELECT id FROM accounts WHERE id = $1 AND org_id = $2",
            args![invoice.account_id, invoice.org_id],
        )
        .await?;
    account.ok_or(StoreError::NotFound)?;
    let mut services: Vec<i64> = lines.iter().filter_map(|l| l.service_id).collect();
    services.sort_unstable();
    services.dedup();
    for service in services {
        let found: Option<(i64,)> = tx
            .fetch_optional(
                "SELECT id FROM services WHERE id = $1 AND org_id = $2",
                args![service, invoice.org_id],
            )
            .await?;
        found.ok_or(StoreError::NotFound)?;
    }

    let existing: Option<(i64,)> = tx
        .fetch_optional(
            "SELECT id FROM invoices WHERE org_id = $1 AND invoice_number = $2",
            args![invoice.org_id, invoice.invoice_number.as_str()],
        )
        .await?;
    let outcome = match existing {
        None => {
            let (id,): (i64,) = tx
                .fetch_one(
                    "INSERT INTO invoices (org_id, account_id, invoice_number, invoice_type, status, invoice_date, due_date, \
                     billing_period_start, billing_period_end, currency, subtotal, tax_total, total, amount_paid, \
                     created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
                    args![
                        invoice.org_id,
                        header.account_id,
                        invoice.invoice_number.as_str(),
                        header.invoice_type,
                        header.status,
                        header.invoice_date,
                        header.due_date,
                        header.billing_period_start,
                        header.billing_period_end,
                        header.currency,
                        header.subtotal,
                        header.tax_total,
                        header.total,
                        header.amount_paid,
                        invoice.at
                    ],
                )
                .await?;
            Upserted::Created(id)
        }
        Some((id,)) => {
            let stored: StoredInvoice = tx
                .fetch_one(
                    "SELECT account_id, invoice_type, status, invoice_date, due_date, billing_period_start, \
                     billing_period_end, currency, subtotal, tax_total, total, amount_paid FROM invoices WHERE id = $1",
                    args![id],
                )
                .await?;
            let stored_lines: Vec<StoredLine> = tx
                .fetch_all(
                    "SELECT position, description, charge_type, service_id, site_address, order_reference, period_start, \
                     period_end, quantity, unit_price, amount, tax_rate, tax_amount, total_amount \
                     FROM invoice_lines WHERE invoice_id = $1 ORDER BY position",
                    args![id],
                )
                .await?;
            if stored == header && stored_lines == lines {
                return Ok(Upserted::Unchanged(id));
            }
            tx.execute(
                "UPDATE invoices SET account_id = $1, invoice_type = $2, status = $3, invoice_date = $4, due_date = $5, \
                 billing_period_start = $6, billing_period_end = $7, currency = $8, subtotal = $9, tax_total = $10, \
                 total = $11, amount_paid = $12, updated_at = $13 WHERE id = $14",
                args![
                    header.account_id,
                    header.invoice_type,
                    header.status,
                    header.invoice_date,
                    header.due_date,
                    header.billing_period_start,
                    header.billing_period_end,
                    header.currency,
                    header.subtotal,
                    header.tax_total,
                    header.total,
                    header.amount_paid,
                    invoice.at,
                    id
                ],
            )
            .await?;
            tx.execute("DELETE FROM invoice_lines WHERE invoice_id = $1", args![id])
                .await?;
            Upserted::Updated(id)
        }
    };
    for line in lines {
        tx.execute(
            "INSERT INTO invoice_lines (invoice_id, position, description, charge_type, service_id, site_address, \
             order_reference, period_start, period_end, quantity, unit_price, amount, tax_rate, tax_amount, total_amount) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            args![
                outcome.id(),
                line.position,
                line.description,
                line.charge_type,
                line.service_id,
                line.site_address,
                line.order_reference,
                line.period_start,
                line.period_end,
                line.quantity,
                line.unit_price,
                line.amount,
                line.tax_rate,
                line.tax_amount,
                line.total_amount
            ],
        )
        .await?;
    }
    Ok(outcome)
}
