//! A quote as API V2, the operations API and the portal show it: its current
//! version's terms and lines, with totals, and who answered it.

use oneportal_domain::catalog::ServiceType;
use oneportal_domain::ids::IdKind;
use oneportal_domain::invoice::Money;
use oneportal_domain::quote::QuoteStatus;
use oneportal_store::quotes::{QuoteLineRow, QuoteRow};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::time::rfc3339;

/// One service offered at one site. Money fields are decimal strings in the
/// quote's currency, before tax.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuoteLine {
    #[schema(example = "SITE-000001")]
    pub site_id: String,
    pub site_name: String,
    /// Street, postal code, city, country.
    pub site_address: String,
    /// The product as offered (`Internet Access 500 Mbps`).
    pub product: String,
    pub service_type: ServiceType,
    pub downstream_mbps: i64,
    pub upstream_mbps: i64,
    /// The contract term in months.
    pub term_months: i64,
    #[schema(value_type = String, example = "1500.00")]
    pub one_time_price: Money,
    #[schema(value_type = String, example = "850.00")]
    pub monthly_price: Money,
    /// Days from acceptance to ready for service, as promised, if stated.
    pub lead_time_days: Option<i64>,
}

impl From<&QuoteLineRow> for QuoteLine {
    fn from(l: &QuoteLineRow) -> QuoteLine {
        QuoteLine {
            site_id: IdKind::Site.format(l.site_id),
            site_name: l.site_name.clone(),
            site_address: l.site_address.clone(),
            product: l.product.clone(),
            service_type: l.service_type,
            downstream_mbps: l.downstream_mbps,
            upstream_mbps: l.upstream_mbps,
            term_months: l.term_months,
            one_time_price: l.one_time_price,
            monthly_price: l.monthly_price,
            lead_time_days: l.lead_time_days,
        }
    }
}

/// Who answered a quote, when, and which version.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuoteAnswer {
    /// The person's e-mail.
    pub by: String,
    pub date: String,
    /// The version answered: what was accepted or declined.
    pub version: i64,
}

/// A quote in its current version.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    #[schema(example = "QUO-000001")]
    pub quote_id: String,
    /// The provider's quote number.
    pub quote_reference: String,
    pub status: QuoteStatus,
    /// The current version: answer this one. A quote the provider changed
    /// after sending it has a new version.
    pub version: i64,
    pub title: String,
    /// ISO 4217.
    pub currency: String,
    /// `YYYY-MM-DD`: the last day it may be accepted.
    pub valid_until: String,
    /// The provider's remarks.
    pub note: String,
    #[schema(example = "ACC-000001")]
    pub contract_account_id: String,
    #[schema(example = "ACC-000002")]
    pub delivery_account_id: String,
    pub lines: Vec<QuoteLine>,
    /// The one-time prices added up.
    #[schema(value_type = String, example = "1500.00")]
    pub one_time_total: Money,
    /// The monthly prices added up.
    #[schema(value_type = String, example = "850.00")]
    pub monthly_total: Money,
    /// When the current version was sent.
    pub sent_date: Option<String>,
    /// Accepted or declined: by whom, when, which version.
    pub answer: Option<QuoteAnswer>,
    /// Why it was declined or withdrawn.
    pub reason: Option<String>,
    /// The order placed by accepting it.
    #[schema(example = "ORD-000001")]
    pub order_id: Option<String>,
    pub created_date: String,
    pub last_modified_date: String,
}

impl Quote {
    /// The quote with its current version's lines (from rows of many quotes).
    pub fn new(row: &QuoteRow, lines: &[QuoteLineRow]) -> Quote {
        let lines: Vec<QuoteLine> = lines
            .iter()
            .filter(|l| l.quote_id == row.id && l.version == row.version)
            .map(QuoteLine::from)
            .collect();
        let answer = match (&row.answered_by, row.answered_at, row.answered_version) {
            (Some(by), Some(at), Some(version)) => Some(QuoteAnswer {
                by: by.clone(),
                date: rfc3339(at),
                version,
            }),
            _ => None,
        };
        Quote {
            quote_id: IdKind::Quote.format(row.id),
            quote_reference: row.reference.clone(),
            status: row.status,
            version: row.version,
            title: row.title.clone(),
            currency: row.currency.clone(),
            valid_until: row.valid_until.clone(),
            note: row.note.clone(),
            contract_account_id: IdKind::Account.format(row.contract_account_id),
            delivery_account_id: IdKind::Account.format(row.delivery_account_id),
            one_time_total: lines.iter().map(|l| l.one_time_price).sum(),
            monthly_total: lines.iter().map(|l| l.monthly_price).sum(),
            lines,
            sent_date: row.sent_at.map(rfc3339),
            answer,
            reason: (!row.reason.is_empty()).then(|| row.reason.clone()),
            order_id: row.order_id.map(|id| IdKind::Order.format(id)),
            created_date: rfc3339(row.created_at),
            last_modified_date: rfc3339(row.updated_at),
        }
    }
}
