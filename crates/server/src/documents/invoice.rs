//! The invoice PDF: a summary of the costs (the help article's "summary in PDF"),
//! with the same figures as the JSON. The itemized bill is the CSV.

use oneportal_domain::invoice::{InvoiceStatus, InvoiceType};

use super::pdf::{Align, Column, PdfWriter};
use crate::models::invoice::{Invoice, InvoiceLine};

/// The charges table fills the 174 mm between the margins; amounts are right-aligned.
const CHARGES: [Column<'static>; 6] = [
    Column {
        heading: "Description",
        width: 61.0,
        align: Align::Left,
    },
    Column {
        heading: "Service",
        width: 21.0,
        align: Align::Left,
    },
    Column {
        heading: "Period",
        width: 34.0,
        align: Align::Left,
    },
    Column {
        heading: "Amount",
        width: 19.3,
        align: Align::Right,
    },
    Column {
        heading: "Tax",
        width: 19.3,
        align: Align::Right,
    },
    Column {
        heading: "Total",
        width: 19.4,
        align: Align::Right,
    },
];

/// The PDF's bytes. `account` is the billed account's name.
pub fn render(invoice: &Invoice, account: &str, lines: &[InvoiceLine]) -> Vec<u8> {
    let kind = match invoice.invoice_type {
        InvoiceType::Invoice => "Invoice",
        InvoiceType::CreditNote => "Credit note",
    };
    let title = format!("{kind} {}", invoice.invoice_number);
    let mut pdf = PdfWriter::new(&title);
    pdf.heading(&title);
    pdf.field("Invoice number", &invoice.invoice_number);
    pdf.field("Account", &format!("{account} ({})", invoice.account_id));
    pdf.field("Invoice date", &invoice.invoice_date);
    pdf.field("Due date", &invoice.due_date);
    pdf.field(
        "Billing period",
        &format!(
            "{} to {}",
            invoice.billing_period.start, invoice.billing_period.end
        ),
    );
    pdf.field("Status", &status_label(invoice));
    pdf.field("Currency", &invoice.currency);

    pdf.section("Charges");
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|line| {
            vec![
                line.description.clone(),
                line.service_id.clone().unwrap_or_default(),
                period(line.period_start.as_deref(), line.period_end.as_deref()),
                line.amount.to_string(),
                line.tax_amount.to_string(),
                line.total_amount.to_string(),
            ]
        })
        .collect();
    pdf.table(&CHARGES, &rows);

    pdf.section("Summary");
    let heading = format!("Amount ({})", invoice.currency);
    let summary = [
        Column {
            heading: "",
            width: 134.0,
            align: Align::Left,
        },
        Column {
            heading: &heading,
            width: 40.0,
            align: Align::Right,
        },
    ];
    let figures = [
        ("Subtotal", invoice.subtotal),
        ("Tax", invoice.tax_total),
        ("Total", invoice.total),
        ("Amount paid", invoice.amount_paid),
        ("Amount due", invoice.amount_due),
    ];
    let rows: Vec<Vec<String>> = figures
        .iter()
        .map(|(label, amount)| vec![(*label).to_owned(), amount.to_string()])
        .collect();
    pdf.table(&summary, &rows);
    if invoice.is_overdue {
        pdf.paragraph(&format!(
            "Payment of {} {} was due on {}. If you have already paid, please ignore this notice.",
            invoice.currency, invoice.amount_due, invoice.due_date
        ));
    }
    pdf.paragraph(&format!(
        "The itemized lines of this invoice are available as CSV: GET /v2/invoices/{}/lines.csv",
        invoice.invoice_id
    ));
    pdf.finish()
}

fn status_label(invoice: &Invoice) -> String {
    let status = match invoice.status {
        InvoiceStatus::Open => "Open",
        InvoiceStatus::PartiallyPaid => "Partially paid",
        InvoiceStatus::Paid => "Paid",
        InvoiceStatus::Void => "Void",
    };
    if invoice.is_overdue {
        format!("{status} (overdue)")
    } else {
        status.to_owned()
    }
}

/// A line's period short enough for its column: `2026-01-01..31`, `2026-01-15..02-14`.
fn period(start: Option<&str>, end: Option<&str>) -> String {
    match (start, end) {
        (Some(start), Some(end))
            if start.len() == 10 && end.len() == 10 && start.is_ascii() && end.is_ascii() =>
        {
            if start[..7] == end[..7] {
                format!("{start}..{}", &end[8..])
            } else {
                format!("{start}..{}", &end[5..])
            }
        }
        (Some(start), _) => start.to_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::period;

    #[test]
    fn periods_fit_their_column() {
        assert_eq!(
            period(Some("2026-01-01"), Some("2026-01-31")),
            "2026-01-01..31"
        );
        assert_eq!(
            period(Some("2026-01-15"), Some("2026-02-14")),
            "2026-01-15..02-14"
        );
        assert_eq!(period(None, None), "");
    }
}
