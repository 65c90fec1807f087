//! Billing: the invoice list with the last twelve months drawn as a chart, one
//! invoice with its lines, and the PDF and CSV downloads — the same store
//! queries, access scope and documents as `/v2/invoices`.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use oneportal_domain::invoice::{InvoiceStatus, Money};
use oneportal_domain::query::ListQuery;
use oneportal_store::catalog::AccessScope;
use oneportal_store::invoices::{self, INVOICES};
use time::{Date, Month, OffsetDateTime};

use super::charts::{self, Bar};
use super::layout::Layout;
use super::pager::{Pager, pager};
use super::require::{BillingView, Require};
use super::support::Choice;
use super::{PortalError, render};
use crate::documents::downloads::{invoice_csv, invoice_pdf};
use crate::http::pagination::parse_list_query;
use crate::models::invoice::{Invoice, InvoiceLine};
use crate::services::invoices::visible as visible_invoice;
use crate::state::AppState;

const PAGE_SIZE: u32 = 25;

/// One month of the chart.
pub struct MonthTotal {
    pub label: String,
    pub total: String,
}

#[derive(Template)]
#[template(path = "portal/billing/invoices.html")]
struct InvoicesPage {
    layout: Layout,
    invoices: Vec<Invoice>,
    statuses: Vec<Choice>,
    from: String,
    to: String,
    pager: Pager,
    chart: String,
    months: Vec<MonthTotal>,
    currency: String,
}

#[derive(Template)]
#[template(path = "portal/billing/invoice.html")]
struct InvoicePage {
    layout: Layout,
    invoice: Invoice,
    lines: Vec<InvoiceLine>,
}

/// The first day of the month `back` months before `day`'s month.
fn month_start(day: Date, back: i32) -> Date {
    let index = day.year() * 12 + i32::from(u8::from(day.month())) - 1 - back;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    Date::from_calendar_date(
        year,
        Month::try_from(month as u8).unwrap_or(Month::January),
        1,
    )
    .unwrap_or(day)
}

/// Invoice totals of the last twelve months (this one included), in the most used
/// currency, read through the same list query as the API.
async fn twelve_months(
    state: &AppState,
    scope: &AccessScope,
) -> Result<(String, Vec<MonthTotal>, String), PortalError> {
    let today = OffsetDateTime::now_utc().date();
    let first = month_start(today, 11);
    let mut rows = Vec::new();
    let mut offset = 0;
    // At most 1,000 invoices a year are summed; more would be a provider-side report.
    loop {
        let query = parse_list_query(
            &INVOICES,
            Some(&format!(
                "invoiceDate.gte={first}&type=Invoice&limit=200&offset={offset}"
            )),
        )?;
        let page = invoices::list_invoices(&state.db, scope, &query).await?;
        let got = page.rows.len() as i64;
        rows.extend(page.rows);
        offset += 200;
        if got < 200 || offset >= 1000 || i64::from(offset) >= page.total {
            break;
        }
    }
    let mut currencies: Vec<(String, usize)> = Vec::new();
    for row in &rows {
        match currencies.iter_mut().find(|(c, _)| *c == row.currency) {
            Some((_, n)) => *n += 1,
            None => currencies.push((row.currency.clone(), 1)),
        }
    }
    let currency = currencies
        .iter()
        .max_by_key(|(_, n)| *n)
        .map(|(c, _)| c.clone())
        .unwrap_or_else(|| "EUR".into());
    let mut bars = Vec::new();
    let mut months = Vec::new();
    for back in (0..12).rev() {
        let start = month_start(today, back);
        let key = format!("{:04}-{:02}", start.year(), u8::from(start.month()));
        let total: Money = rows
            .iter()
            .filter(|r| r.currency == currency && r.invoice_date.starts_with(&key))
            .map(|r| r.total)
            .sum();
        let label = start.month().to_string()[..3].to_owned();
        let value = total.to_string().parse::<f64>().unwrap_or(0.0);
        bars.push(Bar {
            label: label.clone(),
            value,
            shown: format!("{value:.0}"),
        });
        months.push(MonthTotal {
            label: format!("{} {}", start.month(), start.year()),
            total: format!("{total} {currency}"),
        });
    }
    let sum: f64 = bars.iter().map(|b| b.value).sum();
    let chart = charts::bar_chart(
        "invoice-totals",
        "Invoice totals, last twelve months",
        &format!(
            "Invoice totals per month in {currency} from {} to {}; {sum:.2} {currency} in all",
            months.first().map_or("", |m| m.label.as_str()),
            months.last().map_or("", |m| m.label.as_str()),
        ),
        (
            &format!(
                "Month, {} to {}",
                months.first().map_or("", |m| m.label.as_str()),
                months.last().map_or("", |m| m.label.as_str()),
            ),
            &format!("Total ({currency})"),
        ),
        &bars,
    );
    Ok((chart, months, currency))
}

/// `YYYY-MM-DD`, or nothing.
fn day(text: &str) -> Option<String> {
    let text = text.trim();
    oneportal_domain::query::parse_day(text).map(|_| text.to_owned())
}

pub async fn list(
    State(state): State<AppState>,
    session: Require<BillingView>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    let scope = session.user.access_scope();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (status, from, to) = (get("status"), get("from"), get("to"));
    let mut kept: Vec<(String, String)> = Vec::new();
    let mut api: Vec<(String, String)> = Vec::new();
    if !status.is_empty() {
        kept.push(("status".into(), status.clone()));
        api.push(("status".into(), status.clone()));
    }
    if let Some(from) = day(&from) {
        kept.push(("from".into(), from.clone()));
        api.push(("invoiceDate.gte".into(), from));
    }
    if let Some(to) = day(&to) {
        kept.push(("to".into(), to.clone()));
        api.push(("invoiceDate.lte".into(), to));
    }
    let offset = get("offset");
    if !offset.is_empty() {
        kept.push(("offset".into(), offset.clone()));
        api.push(("offset".into(), offset));
    }
    api.push(("limit".into(), PAGE_SIZE.to_string()));
    let encoded = serde_urlencoded::to_string(&api).unwrap_or_default();
    let query: ListQuery = parse_list_query(&INVOICES, Some(&encoded))?;
    let page = invoices::list_invoices(&state.db, &scope, &query).await?;
    let total = page.total;
    let invoices: Vec<Invoice> = page.rows.into_iter().map(Invoice::from).collect();
    let pager = pager("/portal/billing", &kept, &query, total, invoices.len());
    let (chart, months, currency) = twelve_months(&state, &scope).await?;
    render::page(&InvoicesPage {
        layout: Layout::for_session(&state, &session, "Billing", "billing").await,
        invoices,
        statuses: InvoiceStatus::NAMES
            .iter()
            .map(|s| Choice {
                value: s,
                selected: *s == status,
            })
            .collect(),
        from: day(&from).unwrap_or_default(),
        to: day(&to).unwrap_or_default(),
        pager,
        chart,
        months,
        currency,
    })
}

pub async fn show(
    State(state): State<AppState>,
    session: Require<BillingView>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = visible_invoice(&state, &session.user.access_scope(), &id).await?;
    let lines = invoices::invoice_lines(&state.db, &row)
        .await?
        .into_iter()
        .map(InvoiceLine::from)
        .collect();
    let invoice = Invoice::from(row);
    render::page(&InvoicePage {
        layout: Layout::for_session(&state, &session, invoice.invoice_number.clone(), "billing")
            .await,
        invoice,
        lines,
    })
}

pub async fn pdf(
    State(state): State<AppState>,
    session: Require<BillingView>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    Ok(invoice_pdf(&state, &session.user.access_scope(), &id).await?)
}

pub async fn csv(
    State(state): State<AppState>,
    session: Require<BillingView>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    Ok(invoice_csv(&state, &session.user.access_scope(), &id).await?)
}

/// The Billing section's pages.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/portal/billing", get(list))
        .route("/portal/billing/invoices/{invoice_id}", get(show))
        .route("/portal/billing/invoices/{invoice_id}/pdf", get(pdf))
        .route("/portal/billing/invoices/{invoice_id}/lines.csv", get(csv))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
    }

    #[test]
    fn months_count_back_across_years() {
        assert_eq!(month_start(date(2026, 3, 15), 0), date(2026, 3, 1));
        assert_eq!(month_start(date(2026, 3, 15), 11), date(2025, 4, 1));
        assert_eq!(month_start(date(2026, 1, 31), 1), date(2025, 12, 1));
    }
}
