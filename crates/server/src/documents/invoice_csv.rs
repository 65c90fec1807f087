//! An invoice's lines as CSV (RFC 4180, UTF-8): the itemized bill for a
//! spreadsheet or a finance system. Columns carry the JSON field names.

use std::borrow::Cow;

use crate::models::invoice::{Invoice, InvoiceLine};

/// The header row: the invoice's number and currency on every row (so files
/// can be concatenated), then the fields of an invoice line.
pub const HEADER: [&str; 15] = [
    "invoiceNumber",
    "currency",
    "description",
    "chargeType",
    "serviceId",
    "siteAddress",
    "orderReference",
    "periodStart",
    "periodEnd",
    "quantity",
    "unitPrice",
    "amount",
    "taxRate",
    "taxAmount",
    "totalAmount",
];

/// The CSV file's bytes.
pub fn render(invoice: &Invoice, lines: &[InvoiceLine]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for line in lines {
        let optional = |v: &Option<String>| v.clone().unwrap_or_default();
        writer.write_record([
            text(&invoice.invoice_number).into_owned(),
            invoice.currency.clone(),
            text(&line.description).into_owned(),
            line.charge_type.as_str().to_owned(),
            optional(&line.service_id),
            text(&optional(&line.site_address)).into_owned(),
            text(&optional(&line.order_reference)).into_owned(),
            optional(&line.period_start),
            optional(&line.period_end),
            line.quantity.clone(),
            line.unit_price.to_string(),
            line.amount.to_string(),
            line.tax_rate.clone(),
            line.tax_amount.to_string(),
            line.total_amount.to_string(),
        ])?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// Free text that a spreadsheet would run as a formula gets a leading `'`
/// (OWASP's advice against CSV injection); amounts are numbers and stay as they are.
fn text(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn formulas_are_defused_and_other_text_is_untouched() {
        assert_eq!(text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(
            text("Internet, \"fast\"\nline two"),
            "Internet, \"fast\"\nline two"
        );
    }
}
