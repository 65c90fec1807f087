//! Quotes (PRODUCT §10): the quote, each version the provider wrote (title,
//! currency, validity, note) and each version's lines. A customer sees a quote
//! once it is sent, when the caller's [`AccessScope`] sees its two accounts, as
//! for orders.

use oneportal_domain::catalog::ServiceType;
use oneportal_domain::invoice::Money;
use oneportal_domain::query::{Direction, Field, FieldKind, ListQuery, ListSpec, SortKey};
use oneportal_domain::quote::QuoteStatus;
use serde_json::json;

use crate::catalog::{AccessScope, Restriction};
use crate::listing::{Column, ListPage, Listed, Listing, fields};
use crate::stored::Stored;
use crate::{Arg, Exec, StoreError, Tx, args};

/// A quote with its current version's terms; times are Unix ms.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QuoteRow {
    pub id: i64,
    pub org_id: i64,
    pub reference: String,
    pub contract_account_id: i64,
    pub delivery_account_id: i64,
    #[sqlx(try_from = "Stored<QuoteStatus>")]
    pub status: QuoteStatus,
    pub version: i64,
    pub answered_by: Option<String>,
    pub answered_at: Option<i64>,
    pub answered_ip: Option<String>,
    pub answered_version: Option<i64>,
    pub reason: String,
    pub order_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub title: String,
    pub currency: String,
    /// `YYYY-MM-DD`: the last day it may be accepted.
    pub valid_until: String,
    pub note: String,
    /// When the current version was shown to the customer.
    pub sent_at: Option<i64>,
}

impl Listed for QuoteRow {
    fn id(&self) -> i64 {
        self.id
    }
}

/// One line of one version, with its site's name and address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QuoteLineRow {
    pub quote_id: i64,
    pub version: i64,
    pub position: i64,
    pub site_id: i64,
    pub site_name: String,
    pub site_address: String,
    pub product: String,
    #[sqlx(try_from = "Stored<ServiceType>")]
    pub service_type: ServiceType,
    pub downstream_mbps: i64,
    pub upstream_mbps: i64,
    pub term_months: i64,
    #[sqlx(try_from = "Stored<Money>")]
    pub one_time_price: Money,
    #[sqlx(try_from = "Stored<Money>")]
    pub monthly_price: Money,
    pub lead_time_days: Option<i64>,
}

/// The fields of a quote list, each declared once.
pub(crate) const QUOTE_COLUMNS: [Column<QuoteRow>; 5] = [
    Column::filter("status", FieldKind::Enum(QuoteStatus::NAMES), "q.status")
        .sorted(|r| json!(r.status.as_str())),
    Column::filter("quoteReference", FieldKind::Text, "q.reference").sorted(|r| json!(r.reference)),
    Column::filter("validUntil", FieldKind::Day, "v.valid_until").sorted(|r| json!(r.valid_until)),
    Column::filter("createdDate", FieldKind::Date, "q.created_at").sorted(|r| json!(r.created_at)),
    Column::filter("lastModifiedDate", FieldKind::Date, "q.updated_at")
        .sorted(|r| json!(r.updated_at)),
];
const QUOTE_FIELDS: [Field; 5] = fields(&QUOTE_COLUMNS);

/// Newest first.
pub const QUOTES: ListSpec = ListSpec {
    fields: &QUOTE_FIELDS,
    default_sort: &[SortKey {
        field: "createdDate",
        direction: Direction::Descending,
    }],
};

const QUOTE_SELECT: &str = "q.id, q.org_id, q.reference, q.contract_account_id, q.delivery_account_id, \
     q.status, q.version, q.answered_by, q.answered_at, q.answered_ip, q.answered_version, q.reason, \
     q.order_id, q.created_at, q.updated_at, v.title, v.currency, v.valid_until, v.note, v.sent_at";

const QUOTE_FROM: &str =
    "quotes q JOIN quote_versions v ON v.quote_id = q.id AND v.version = q.version";

/// Who reads: a customer's scope sees its organization's quotes once sent,
/// within its account restrictions; `None` is the provider's staff, who see all.
async fn listing(
    db: &impl Exec,
    scope: Option<&AccessScope>,
) -> Result<Listing<QuoteRow>, StoreError> {
    let mut listing = Listing::new(QUOTE_SELECT, QUOTE_FROM, &QUOTE_COLUMNS, "q.id");
    if let Some(scope) = scope {
        listing.require_eq("q.org_id", scope.org_id);
        listing.require(
            "q.status <> ?",
            vec![Arg::from(QuoteStatus::Draft.as_str())],
        );
        if let Some(restriction) = Restriction::of(db, scope).await? {
            restriction.require_service(
                &mut listing,
                "q.contract_account_id",
                "q.delivery_account_id",
            );
        }
    }
    Ok(listing)
}

/// A page of the quotes the scope sees (`None`: every quote, for staff).
pub async fn list(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    query: &ListQuery,
) -> Result<ListPage<QuoteRow>, StoreError> {
    let mut listing = listing(db, scope).await?;
    listing.filter(&query.filters);
    listing.run(db, query).await
}

/// The quote, if the scope sees it (`None`: any, for staff).
pub async fn find(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    id: i64,
) -> Result<Option<QuoteRow>, StoreError> {
    let mut listing = listing(db, scope).await?;
    listing.require_eq("q.id", id);
    listing.first(db).await
}

/// The quote with this provider reference, if any.
pub async fn find_by_reference(
    db: &impl Exec,
    reference: &str,
) -> Result<Option<QuoteRow>, StoreError> {
    let mut listing = listing(db, None).await?;
    listing.require("q.reference = ?", vec![Arg::from(reference)]);
    listing.first(db).await
}

/// The lines of these (quote, version) pairs, in position order.
pub async fn lines(
    db: &impl Exec,
    versions: &[(i64, i64)],
) -> Result<Vec<QuoteLineRow>, StoreError> {
    if versions.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = Vec::with_capacity(versions.len() * 2);
    let pairs: Vec<String> = versions
        .iter()
        .enumerate()
        .map(|(n, (quote, version))| {
            args.push(Arg::from(*quote));
            args.push(Arg::from(*version));
            format!(
                "(l.quote_id = ${} AND l.version = ${})",
                2 * n + 1,
                2 * n + 2
            )
        })
        .collect();
    db.fetch_all_dynamic(
        format!(
            "SELECT l.quote_id, l.version, l.position, l.site_id, s.name AS site_name, \
             {address} AS site_address, l.product, l.service_type, l.downstream_mbps, \
             l.upstream_mbps, l.term_months, l.one_time_price, l.monthly_price, l.lead_time_days \
             FROM quote_lines l JOIN sites s ON s.id = l.site_id \
             WHERE {pairs} ORDER BY l.quote_id, l.version, l.position",
            address = "s.street || ', ' || s.postal_code || ' ' || s.city || ', ' || s.country",
            pairs = pairs.join(" OR "),
        ),
        args,
    )
    .await
}

/// What one version says.
pub struct VersionTerms<'a> {
    pub title: &'a str,
    pub currency: &'a str,
    pub valid_until: &'a str,
    pub note: &'a str,
    pub created_by: &'a str,
}

/// One line as written.
pub struct NewLine<'a> {
    pub site_id: i64,
    pub product: &'a str,
    pub service_type: ServiceType,
    pub downstream_mbps: i64,
    pub upstream_mbps: i64,
    pub term_months: i64,
    pub one_time_price: Money,
    pub monthly_price: Money,
    pub lead_time_days: Option<i64>,
}

/// A new quote.
pub struct NewQuote<'a> {
    pub org_id: i64,
    pub reference: &'a str,
    pub contract_account_id: i64,
    pub delivery_account_id: i64,
    pub at: i64,
}

/// Writes a new draft, version 1; a taken reference is a `Conflict` on `quotes.reference`.
pub async fn insert(
    tx: &Tx,
    new: &NewQuote<'_>,
    terms: &VersionTerms<'_>,
    lines: &[NewLine<'_>],
) -> Result<i64, StoreError> {
    let (id,): (i64,) = tx
        .fetch_one(
            "INSERT INTO quotes (org_id, reference, contract_account_id, delivery_account_id, \
             status, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id",
            args![
                new.org_id,
                new.reference,
                new.contract_account_id,
                new.delivery_account_id,
                QuoteStatus::Draft.as_str(),
                new.at
            ],
        )
        .await?;
    write_version(tx, id, 1, terms, lines, new.at).await?;
    Ok(id)
}

async fn write_version(
    tx: &Tx,
    quote: i64,
    version: i64,
    terms: &VersionTerms<'_>,
    lines: &[NewLine<'_>],
    at: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO quote_versions (quote_id, version, title, currency, valid_until, note, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![
            quote,
            version,
            terms.title,
            terms.currency,
            terms.valid_until,
            terms.note,
            terms.created_by,
            at
        ],
    )
    .await?;
    for (position, line) in lines.iter().enumerate() {
        tx.execute(
            "INSERT INTO quote_lines (quote_id, version, position, site_id, product, service_type, \
             downstream_mbps, upstream_mbps, term_months, one_time_price, monthly_price, lead_time_days) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            args![
                quote,
                version,
                position as i64,
                line.site_id,
                line.product,
                line.service_type.as_str(),
                line.downstream_mbps,
                line.upstream_mbps,
                line.term_months,
                line.one_time_price.to_string(),
                line.monthly_price.to_string(),
                line.lead_time_days
            ],
        )
        .await?;
    }
    Ok(())
}

/// Rewrites the quote's content. A draft's current version is replaced in
/// place (nobody has seen it); otherwise `version + 1` is written and becomes
/// current. Refused (`false`) when the quote is no longer at `version` in
/// `status`, so two editors cannot both win.
pub async fn revise(
    tx: &Tx,
    quote: &QuoteRow,
    terms: &VersionTerms<'_>,
    lines: &[NewLine<'_>],
    at: i64,
) -> Result<bool, StoreError> {
    let next = if quote.status == QuoteStatus::Draft {
        quote.version
    } else {
        quote.version + 1
    };
    let changed = tx
        .execute(
            "UPDATE quotes SET version = $4, updated_at = $5 \
             WHERE id = $1 AND version = $2 AND status = $3",
            args![quote.id, quote.version, quote.status.as_str(), next, at],
        )
        .await?;
    if changed != 1 {
        return Ok(false);
    }
    if next == quote.version {
        tx.execute(
            "DELETE FROM quote_versions WHERE quote_id = $1 AND version = $2",
            args![quote.id, next],
        )
        .await?;
    }
    write_version(tx, quote.id, next, terms, lines, at).await?;
    Ok(true)
}

/// Shows the current version to the customer: the quote moves from `from` to
/// `Sent` if it still stands at `version`, and the version records when.
pub async fn send(
    tx: &Tx,
    id: i64,
    version: i64,
    from: QuoteStatus,
    at: i64,
) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE quotes SET status = $4, updated_at = $5 \
             WHERE id = $1 AND version = $2 AND status = $3",
            args![id, version, from.as_str(), QuoteStatus::Sent.as_str(), at],
        )
        .await?;
    if changed != 1 {
        return Ok(false);
    }
    tx.execute(
        "UPDATE quote_versions SET sent_at = $3 WHERE quote_id = $1 AND version = $2",
        args![id, version, at],
    )
    .await?;
    Ok(true)
}

/// Who answered the quote, and how.
pub struct Answer<'a> {
    pub to: QuoteStatus,
    /// The version answered: the move is refused unless it is still current.
    pub version: i64,
    pub by: &'a str,
    pub ip: Option<&'a str>,
    pub reason: &'a str,
    pub at: i64,
}

/// Moves a sent quote at `answer.version` to `answer.to` with who answered.
/// `false` when someone else moved it first, or it changed: exactly one
/// answer wins, on either backend (the row is re-checked under its write lock).
pub async fn answer(tx: &Tx, id: i64, answer: &Answer<'_>) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE quotes SET status = $3, answered_by = $4, answered_at = $5, answered_ip = $6, \
             answered_version = $2, reason = $7, updated_at = $5 \
             WHERE id = $1 AND version = $2 AND status = $8",
            args![
                id,
                answer.version,
                answer.to.as_str(),
                answer.by,
                answer.at,
                answer.ip,
                answer.reason,
                QuoteStatus::Sent.as_str()
            ],
        )
        .await?;
    Ok(changed == 1)
}

/// Moves the quote from `from` to `to` (expiry, withdrawal), with the reason.
pub async fn move_status(
    tx: &Tx,
    id: i64,
    (from, to): (QuoteStatus, QuoteStatus),
    reason: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE quotes SET status = $3, reason = $4, updated_at = $5 WHERE id = $1 AND status = $2",
            args![id, from.as_str(), to.as_str(), reason, at],
        )
        .await?;
    Ok(changed == 1)
}

/// Links the order that accepting the quote placed.
pub async fn set_order(tx: &Tx, id: i64, order: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE quotes SET order_id = $2 WHERE id = $1",
        args![id, order],
    )
    .await?;
    Ok(())
}

/// The sent quotes whose last valid day is before `today` (`YYYY-MM-DD`), at most `limit`.
pub async fn due_to_expire(
    db: &impl Exec,
    today: &str,
    limit: i64,
) -> Result<Vec<QuoteRow>, StoreError> {
    db.fetch_all_dynamic(
        format!(
            "SELECT {QUOTE_SELECT} FROM {QUOTE_FROM} WHERE q.status = $1 AND v.valid_until < $2 \
             ORDER BY q.id LIMIT $3"
        ),
        args![QuoteStatus::Sent.as_str(), today, limit],
    )
    .await
}
