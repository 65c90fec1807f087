//! The RFO as the PDF a customer downloads: the same content as the JSON.

use oneportal_domain::ids::IdKind;
use oneportal_store::cases::CaseRow;

use super::pdf::PdfWriter;
use crate::services::rfo::Rfo;

pub fn render(case: &CaseRow, rfo: &Rfo) -> Vec<u8> {
    let case_id = IdKind::Case.format(case.id);
    let content = &rfo.content;
    let mut pdf = PdfWriter::new(&format!("Reason for Outage {case_id}"));
    pdf.heading(&format!("Reason for Outage - {case_id}"));
    pdf.field(
        "Status",
        &format!("{:?} (version {})", rfo.status, rfo.version),
    );
    pdf.field("Issued", &rfo.issued_date);
    pdf.field("Case", &format!("{case_id} ({})", case.subject));
    pdf.field(
        "Affected services",
        &content.affected_service_ids.join(", "),
    );
    pdf.field("Impact", &format!("{:?}", content.impact));

    pdf.section("Incident");
    pdf.field("Incident start", &content.incident_start);
    pdf.field("Detected", &content.detected);
    pdf.field(
        "Restored",
        content.restored.as_deref().unwrap_or("not yet restored"),
    );
    if let Some(minutes) = rfo.duration_minutes {
        pdf.field("Duration", &format!("{minutes} minutes"));
    }
    pdf.field("Excluded", &format!("{} minutes", content.excluded_minutes));
    pdf.field(
        "SLA breached",
        if content.sla_breached { "Yes" } else { "No" },
    );

    pdf.section("Root cause");
    pdf.field("Category", &content.root_cause_category);
    pdf.field("Responsible party", &content.responsible_party);
    pdf.paragraph(&content.root_cause);

    if !content.timeline.is_empty() {
        pdf.section("Timeline");
        for entry in &content.timeline {
            pdf.field(&entry.at, &entry.description);
        }
    }
    if !content.workaround.is_empty() {
        pdf.section("Workaround");
        pdf.paragraph(&content.workaround);
    }
    for (title, actions) in [
        ("Corrective actions", &content.corrective_actions),
        ("Preventive actions", &content.preventive_actions),
    ] {
        if !actions.is_empty() {
            pdf.section(title);
            for action in actions {
                pdf.bullet(action);
            }
        }
    }
    pdf.finish()
}
