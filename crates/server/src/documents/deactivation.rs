//! The confirmed deactivation as a PDF: what the customer confirmed (the terms
//! of one version), by whom and when, and each step of the request; the record
//! both sides keep of a binding act.

use super::pdf::PdfWriter;
use crate::models::deactivation::DeactivationRequestDetail;

/// `minute` turns an RFC 3339 time into `2026-12-07 14:05`.
pub fn render(detail: &DeactivationRequestDetail, minute: fn(&str) -> String) -> Vec<u8> {
    let r = &detail.request;
    let title = format!("Deactivation confirmation {}", r.deactivation_request_id);
    let mut pdf = PdfWriter::new(&title);
    pdf.heading(&title);
    pdf.field("Request", &r.deactivation_request_id);
    pdf.field("Status", r.status.as_str());
    pdf.field("Service", &format!("{} ({})", r.service_name, r.service_id));
    pdf.field("Site", &r.site_id);
    pdf.field("Requested end date", &r.requested_end_date);
    pdf.field("Requested by", &r.requested_by);
    pdf.paragraph(&r.reason);

    pdf.section("Local Point of Contact");
    pdf.field("Name", &r.local_contact.name);
    pdf.field("E-mail", &r.local_contact.email);
    pdf.field("Phone", &r.local_contact.phone);

    if let Some(terms) = &r.terms {
        pdf.section(&format!("Terms confirmed (version {})", terms.version));
        pdf.field(
            "Deactivation fee",
            &terms.fee.as_ref().map_or("None".to_owned(), |fee| {
                format!("{} {}", fee.amount, fee.currency)
            }),
        );
        pdf.field("Earliest end date", &terms.earliest_end_date);
        if !terms.note.is_empty() {
            pdf.paragraph(&terms.note);
        }
    }
    if let Some(confirmation) = &r.confirmation {
        pdf.section("Confirmation");
        pdf.field("Confirmed by", &confirmation.confirmed_by);
        pdf.field(
            "Confirmed at",
            &format!("{} UTC", minute(&confirmation.confirmed_date)),
        );
        pdf.field("Terms version", &confirmation.terms_version.to_string());
        pdf.paragraph(
            "The person named above confirmed these terms in the portal after entering their \
             password. The confirmation is binding and cannot be withdrawn.",
        );
    }
    pdf.section("Billing end date");
    match (&r.billing_end_date, &r.billing_end_date_due) {
        (Some(day), _) => pdf.field("Billing end date", day),
        (None, Some(due)) => pdf.field("To be set by", due),
        (None, None) => pdf.field("Billing end date", "not set"),
    }

    pdf.section("History");
    for step in &detail.history {
        let note = if step.note.is_empty() {
            String::new()
        } else {
            format!(": {}", step.note)
        };
        pdf.field(
            &format!("{} UTC", minute(&step.date)),
            &format!("{} by {}{note}", step.status.as_str(), step.by),
        );
    }
    pdf.finish()
}
