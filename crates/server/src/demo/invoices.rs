//! A year of monthly invoices for each demo contract account, and one credit
//! note: recurring fees per billed service, 4G backup usage in arrears, an
//! installation fee, local VAT. Most are paid; the latest is open, one is
//! partially paid and one is overdue, so every status shows in the portal.

use std::collections::HashMap;

use oneportal_domain::catalog::{AccountType, ServiceStatus, ServiceType};
use oneportal_domain::ids::IdKind;
use oneportal_domain::invoice::{
    ChargeType, InvoiceStatus, InvoiceTotals, InvoiceType, LineAmounts, Money,
};
use oneportal_domain::query::{ListQuery, ListSpec, MAX_LIMIT, Start};
use oneportal_store::catalog::{self, AccessScope, SERVICES, SITES, ServiceRow};
use oneportal_store::invoices::{NewInvoice, NewInvoiceLine, upsert_invoice};
use oneportal_store::{Db, orgs};
use rust_decimal::Decimal;
use time::{Date, Duration, OffsetDateTime};

/// Invoices per contract account, one a month up to the current month.
const MONTHS: u32 = 12;

/// Seeds the organization's invoices, numbered `INV-0000001`… in the order written,
/// so on a fresh database the printed numbers equal the invoice ids.
pub async fn seed(db: &Db, org_id: i64) -> anyhow::Result<()> {
    let today = OffsetDateTime::now_utc().date();
    let scope = AccessScope::whole_organization(org_id);
    let contract: Vec<_> = orgs::list_accounts(db, org_id)
        .await?
        .into_iter()
        .filter(|a| a.account_type == AccountType::Contract)
        .collect();
    let mut number = 0;
    let mut next_number = || {
        number += 1;
        IdKind::Invoice.format(number)
    };
    for (slot, account) in contract.iter().enumerate() {
        let billed = billed_services(db, &scope, account.id).await?;
        let (rate, tax) = pricing(&account.billing_currency, &account.country);
        for back in (0..MONTHS).rev() {
            let start = month_start(today, back);
            let end = last_day(start);
            let mut lines: Vec<NewInvoiceLine> = billed
                .iter()
                .map(|(service, address)| {
                    line(
                        &description(service),
                        ChargeType::Recurring,
                        service,
                        address,
                        Some((start, end)),
                        Decimal::ONE,
                        price(monthly_fee(service), rate),
                        tax,
                    )
                })
                .collect();
            if let Some((first, address)) = billed.first() {
                // Backup data is metered, so it is billed for the month before.
                let used = Decimal::new(i64::from((back * 37 + slot as u32 * 11) % 90 + 5), 1);
                let unit = price(6, rate);
                let previous = month_start(today, back + 1);
                lines.push(line(
                    "4G backup data usage (GB)",
                    ChargeType::Usage,
                    first,
                    address,
                    Some((previous, last_day(previous))),
                    used,
                    unit,
                    tax,
                ));
                if back == MONTHS - 1 {
                    lines.push(line(
                        "Installation and configuration",
                        ChargeType::OneTime,
                        first,
                        address,
                        None,
                        Decimal::ONE,
                        price(250, rate),
                        tax,
                    ));
                }
            }
            let totals = InvoiceTotals::of(lines.iter().map(|l| &l.amounts));
            let status = match (slot, back) {
                (_, 0) => InvoiceStatus::Open,
                (0, 1) => InvoiceStatus::PartiallyPaid,
                // Two months back the due date has passed whatever today is: overdue.
                (1, 2) => InvoiceStatus::Open,
                _ => InvoiceStatus::Paid,
            };
            let amount_paid = match status {
                InvoiceStatus::Paid => totals.total,
                InvoiceStatus::PartiallyPaid => {
                    Money::round(totals.total.amount() * Decimal::new(4, 1))
                }
                _ => Money::ZERO,
            };
            upsert_invoice(
                db,
                &NewInvoice {
                    org_id,
                    account_id: account.id,
                    invoice_number: next_number(),
                    invoice_type: InvoiceType::Invoice,
                    status,
                    invoice_date: start,
                    due_date: start + Duration::days(30),
                    billing_period: (start, end),
                    currency: account.billing_currency.clone(),
                    totals,
                    amount_paid,
                    lines,
                    at: written_at(start),
                },
            )
            .await?;
        }
        if slot == 0
            && let Some((first, address)) = billed.first()
        {
            // An SLA credit for an outage three months ago, already set off against an invoice.
            let month = month_start(today, 3);
            let issued = month + Duration::days(14);
            let outage = month + Duration::days(9);
            let credit = line(
                &format!("SLA credit: outage {outage}"),
                ChargeType::Credit,
                first,
                address,
                Some((outage, outage)),
                Decimal::ONE,
                -price(45, rate),
                tax,
            );
            let totals = InvoiceTotals::of([&credit.amounts]);
            upsert_invoice(
                db,
                &NewInvoice {
                    org_id,
                    account_id: account.id,
                    invoice_number: next_number(),
                    invoice_type: InvoiceType::CreditNote,
                    status: InvoiceStatus::Paid,
                    invoice_date: issued,
                    due_date: issued,
                    billing_period: (month, last_day(month)),
                    currency: account.billing_currency.clone(),
                    totals,
                    amount_paid: totals.total,
                    lines: vec![credit],
                    at: written_at(issued),
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// The account's services that are billed (delivered), with their sites' addresses.
async fn billed_services(
    db: &Db,
    scope: &AccessScope,
    account_id: i64,
) -> anyhow::Result<Vec<(ServiceRow, String)>> {
    let sites = catalog::list_sites(db, scope, Some(account_id), &everything(&SITES)).await?;
    let addresses: HashMap<i64, String> = sites
        .rows
        .into_iter()
        .map(|s| {
            let address = format!("{}, {} {}, {}", s.street, s.postal_code, s.city, s.country);
            (s.id, address)
        })
        .collect();
    let mut services = catalog::list_services(db, scope, Some(account_id), &everything(&SERVICES))
        .await?
        .rows;
    services
        .retain(|s| s.contract_account_id == account_id && s.status != ServiceStatus::InProgress);
    services.sort_by_key(|s| s.id);
    Ok(services
        .into_iter()
        .map(|s| {
            let address = addresses.get(&s.site_id).cloned().unwrap_or_default();
            (s, address)
        })
        .collect())
}

fn everything(spec: &ListSpec) -> ListQuery {
    ListQuery {
        filters: vec![],
        sort: spec.default_sort.to_vec(),
        start: Start::Offset(0),
        limit: MAX_LIMIT,
    }
}

#[allow(clippy::too_many_arguments)]
fn line(
    description: &str,
    charge_type: ChargeType,
    service: &ServiceRow,
    address: &str,
    period: Option<(Date, Date)>,
    quantity: Decimal,
    unit_price: Money,
    tax_rate: Decimal,
) -> NewInvoiceLine {
    NewInvoiceLine {
        description: description.to_owned(),
        charge_type,
        service_id: Some(service.id),
        site_address: Some(address.to_owned()),
        order_reference: Some(service.customer_reference.clone()),
        period,
        quantity,
        unit_price,
        tax_rate,
        amounts: LineAmounts::price(quantity, unit_price, tax_rate),
    }
}

fn description(service: &ServiceRow) -> String {
    let (down, up) = (service.downstream_mbps, service.upstream_mbps);
    match service.service_type {
        ServiceType::GlobalInternet => format!("Global Internet {down}/{up} Mbps"),
        ServiceType::SdWan => format!("SD-WAN {down}/{up} Mbps"),
        ServiceType::ManagedRouter => "Managed router service".to_owned(),
        other => format!("{other} service"),
    }
}

/// The monthly fee in euros.
fn monthly_fee(service: &ServiceRow) -> i64 {
    match (service.service_type, service.downstream_mbps) {
        (ServiceType::GlobalInternet, mbps) if mbps >= 1000 => 790,
        (ServiceType::GlobalInternet, _) => 450,
        (ServiceType::SdWan, _) => 320,
        (ServiceType::ManagedRouter, _) => 95,
        _ => 150,
    }
}

/// Euros per unit of the account's currency, and the country's VAT in percent.
fn pricing(currency: &str, country: &str) -> (Decimal, Decimal) {
    let rate = match currency {
        "PLN" => Decimal::new(43, 1),
        "SEK" => Decimal::new(112, 1),
        _ => Decimal::ONE,
    };
    let vat = match country {
        "PL" => 23,
        "SE" => 25,
        _ => 21,
    };
    (rate, Decimal::from(vat))
}

/// A euro price in the account's currency, in whole units as price lists have them.
fn price(euros: i64, rate: Decimal) -> Money {
    Money::round((Decimal::from(euros) * rate).round())
}

/// The first day of the month `back` months before `today`'s.
fn month_start(today: Date, back: u32) -> Date {
    let mut month = today.month();
    let mut year = today.year();
    for _ in 0..back {
        if month == time::Month::January {
            year -= 1;
        }
        month = month.previous();
    }
    Date::from_calendar_date(year, month, 1).unwrap_or(today)
}

fn last_day(month: Date) -> Date {
    let mut day = month;
    while let Some(next) = day.next_day().filter(|d| d.month() == month.month()) {
        day = next;
    }
    day
}

/// Invoices are written in the morning of their date (and never in the future).
fn written_at(date: Date) -> i64 {
    let morning = (date.midnight().assume_utc() + Duration::hours(6)).unix_timestamp() * 1000;
    morning.min(oneportal_store::now_ms())
}
