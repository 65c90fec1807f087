//! A support case as API V2 answers it and the portal and the staff API show it:
//! its fields, conversation, status history and attachments.

use oneportal_domain::case::{
    CaseOrigin, CasePriority, CaseStatus, CaseSubject, CaseType, CommunicationType, RfoStatus,
};
use oneportal_domain::ids::IdKind;
use oneportal_store::cases::{AttachmentRow, CaseRow, CommunicationRow, StatusChangeRow};
use oneportal_store::now_ms;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::time::rfc3339;

/// Who to talk to about the case.
#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub name: String,
    /// Defaults to the person (or the API client's owner) who opens the case.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: String,
}

/// The RFO's state on a case; the RFO itself is at `/v2/cases/{caseId}/rfo`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RfoSummary {
    pub status: RfoStatus,
    pub issued_date: String,
}

/// The SLA clock: time the case has been open, not counting time spent Pending
/// (waiting for the customer).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlaClock {
    pub elapsed_minutes: i64,
    pub paused_minutes: i64,
    /// True while the case is Pending.
    pub is_paused: bool,
}

/// A support case.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    #[schema(example = "CASE-0000001")]
    pub case_id: String,
    #[serde(rename = "type")]
    pub case_type: CaseType,
    pub subject: CaseSubject,
    pub priority: CasePriority,
    pub status: CaseStatus,
    pub service_id: String,
    pub site_id: String,
    pub customer_reference: String,
    pub origin: CaseOrigin,
    pub start_of_incident: Option<String>,
    pub end_of_incident: Option<String>,
    pub contact: ContactView,
    pub created_date: String,
    pub last_modified_date: String,
    pub resolved_date: Option<String>,
    pub closed_date: Option<String>,
    pub related_case_id: Option<String>,
    pub rfo: Option<RfoSummary>,
    pub sla: SlaClock,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    pub name: String,
    pub email: String,
    pub phone: String,
}

impl From<CaseRow> for Case {
    fn from(c: CaseRow) -> Self {
        let now = now_ms();
        let paused_now = c.pending_since.map_or(0, |since| (now - since).max(0));
        let end = c.resolved_at.or(c.closed_at).unwrap_or(now);
        let paused = c.sla_paused_ms + paused_now;
        Case {
            case_id: IdKind::Case.format(c.id),
            case_type: c.case_type,
            subject: c.subject,
            priority: c.priority,
            status: c.status(),
            service_id: IdKind::Service.format(c.service_id),
            site_id: IdKind::Site.format(c.site_id),
            customer_reference: c.customer_reference,
            origin: c.origin,
            start_of_incident: c.start_of_incident.map(rfc3339),
            end_of_incident: c.end_of_incident.map(rfc3339),
            contact: ContactView {
                name: c.contact_name,
                email: c.contact_email,
                phone: c.contact_phone,
            },
            created_date: rfc3339(c.created_at),
            last_modified_date: rfc3339(c.updated_at),
            resolved_date: c.resolved_at.map(rfc3339),
            closed_date: c.closed_at.map(rfc3339),
            related_case_id: c.related_case_id.map(|id| IdKind::Case.format(id)),
            rfo: c
                .rfo_status
                .as_deref()
                .and_then(RfoStatus::parse)
                .map(|status| RfoSummary {
                    status,
                    issued_date: c.rfo_issued_at.map(rfc3339).unwrap_or_default(),
                }),
            sla: SlaClock {
                elapsed_minutes: ((end - c.created_at - paused) / 60_000).max(0),
                paused_minutes: paused / 60_000,
                is_paused: c.pending_since.is_some(),
            },
        }
    }
}

/// A file on a case.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[schema(example = "ATT-000001")]
    pub attachment_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content, to check a download.
    pub sha256: String,
    pub uploaded_by: String,
    pub created_date: String,
    /// Where to download it.
    pub href: String,
}

impl From<AttachmentRow> for Attachment {
    fn from(a: AttachmentRow) -> Self {
        let case_id = IdKind::Case.format(a.case_id);
        let attachment_id = IdKind::Attachment.format(a.id);
        Attachment {
            href: format!("/v2/cases/{case_id}/attachments/{attachment_id}"),
            attachment_id,
            file_name: a.file_name,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            uploaded_by: a.uploaded_by,
            created_date: rfc3339(a.created_at),
        }
    }
}

/// One message in a case's conversation (append-only).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Communication {
    #[schema(example = "COM-000001")]
    pub communication_id: String,
    pub message: String,
    #[serde(rename = "type")]
    pub communication_type: CommunicationType,
    pub sent_by: String,
    pub timestamp: String,
    pub attachments: Vec<Attachment>,
}

impl From<CommunicationRow> for Communication {
    fn from(m: CommunicationRow) -> Self {
        Communication {
            communication_id: IdKind::Communication.format(m.id),
            message: m.message,
            communication_type: m.comm_type,
            sent_by: m.sent_by,
            timestamp: rfc3339(m.created_at),
            attachments: Vec::new(),
        }
    }
}

/// One status change.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusChange {
    /// Null for the case's first status.
    pub from: Option<CaseStatus>,
    pub to: CaseStatus,
    pub reason: String,
    pub changed_by: String,
    pub at: String,
}

impl From<StatusChangeRow> for StatusChange {
    fn from(s: StatusChangeRow) -> Self {
        StatusChange {
            from: s.from_status.as_deref().and_then(CaseStatus::parse),
            to: s.to_status,
            reason: s.reason,
            changed_by: s.changed_by,
            at: rfc3339(s.at),
        }
    }
}

/// A case with its whole history.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub communications: Vec<Communication>,
    pub status_history: Vec<StatusChange>,
    /// Files attached to the case (also listed under the message they came with).
    pub attachments: Vec<Attachment>,
}
