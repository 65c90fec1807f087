//! The quote PDF, laid out like the invoice: one version's lines with their
//! prices and totals, its validity, and, once answered, who accepted or
//! declined which version and when.

use super::pdf::{Align, Column, PdfWriter};
use crate::models::quote::Quote;

/// The lines table fills the 174 mm between the margins; prices are right-aligned.
const LINES: [Column<'static>; 6] = [
    Column {
        heading: "Product",
        width: 52.0,
        align: Align::Left,
    },
    Column {
        heading: "Site",
        width: 46.0,
        align: Align::Left,
    },
    Column {
        heading: "Mbit/s down/up",
        width: 24.0,
        align: Align::Left,
    },
    Column {
        heading: "Term",
        width: 14.0,
        align: Align::Right,
    },
    Column {
        heading: "One-time",
        width: 19.0,
        align: Align::Right,
    },
    Column {
        heading: "Monthly",
        width: 19.0,
        align: Align::Right,
    },
];

/// The PDF's bytes. `minute` turns an RFC 3339 time into `2026-12-07 14:05`.
pub fn render(quote: &Quote, organization: &str, minute: fn(&str) -> String) -> Vec<u8> {
    let title = format!(
        "Quote {} (version {})",
        quote.quote_reference, quote.version
    );
    let mut pdf = PdfWriter::new(&title);
    pdf.heading(&title);
    pdf.field("Quote", &quote.quote_id);
    pdf.field("For", organization);
    pdf.field("Subject", &quote.title);
    pdf.field("Status", quote.status.as_str());
    pdf.field("Valid until", &format!("{} (inclusive)", quote.valid_until));
    pdf.field("Currency", &quote.currency);
    if let Some(sent) = &quote.sent_date {
        pdf.field("Sent", &format!("{} UTC", minute(sent)));
    }
    pdf.section("Services offered");
    let rows: Vec<Vec<String>> = quote
        .lines
        .iter()
        .map(|l| {
            vec![
                l.product.clone(),
                format!("{} ({})", l.site_name, l.site_id),
                format!("{}/{}", l.downstream_mbps, l.upstream_mbps),
                format!("{} mo", l.term_months),
                l.one_time_price.to_string(),
                l.monthly_price.to_string(),
            ]
        })
        .collect();
    pdf.table(&LINES, &rows);
    pdf.field(
        "One-time total",
        &format!("{} {}", quote.one_time_total, quote.currency),
    );
    pdf.field(
        "Monthly total",
        &format!("{} {}", quote.monthly_total, quote.currency),
    );
    pdf.paragraph("Prices exclude tax.");
    pdf.section("Sites");
    for line in &quote.lines {
        let lead = line
            .lead_time_days
            .map(|d| format!("; ready for service {d} days after acceptance"))
            .unwrap_or_default();
        pdf.bullet(&format!(
            "{} ({}): {}{lead}",
            line.site_name, line.site_id, line.site_address
        ));
    }
    if !quote.note.is_empty() {
        pdf.section("Notes");
        pdf.paragraph(&quote.note);
    }
    if let Some(answer) = &quote.answer {
        pdf.section(&format!("Answer: {}", quote.status.as_str()));
        pdf.field("By", &answer.by);
        pdf.field("At", &format!("{} UTC", minute(&answer.date)));
        pdf.field("Version answered", &answer.version.to_string());
        if let Some(order) = &quote.order_id {
            pdf.field("Order placed", order);
        }
        if let Some(reason) = &quote.reason {
            pdf.paragraph(reason);
        }
    }
    pdf.finish()
}
