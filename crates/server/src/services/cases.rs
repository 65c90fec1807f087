//! Support cases: opening, replying, attaching, the customer's close / reopen /
//! cancel, the provider's status moves and RFOs, and the automatic close.
//! The API, the portal, the operations API and the import all come through here.

use oneportal_domain::case::{
    CaseOrigin, CasePriority, CaseStatus, CaseSubject, CaseType, CommunicationType, CustomerAction,
    Mover,
};
use oneportal_domain::ids::IdKind;
use oneportal_store::cases::{self, CaseRow, NewAttachment, NewCase};
use oneportal_store::catalog::{self, AccessScope};
use oneportal_store::provisioning::Upserted;
use oneportal_store::{Exec, StoreError, Tx, now_ms};
use serde_json::json;

use super::attachment_type;
use super::case_writer;
use super::events;
use crate::access::Caller;
use crate::audit::{Actor, Event};
use crate::cluster::Change;
use crate::http::time::rfc3339;
use crate::http::upload::{Upload, too_large};
use crate::http::{ApiError, FieldError};
use crate::models::case::{Attachment, Case, CaseDetail, Communication, StatusChange};
use crate::models::event::{CaseAttachmentAdded, CaseCommunicationAdded, CaseStatusChanged};
use crate::state::AppState;

/// Who acts on a case, as the conversation and the audit log name them.
#[derive(Debug, Clone)]
pub struct CaseActor {
    pub audit: Actor,
    /// `sentBy` / `changedBy`: a user's email, an API client's id, or the provider.
    pub name: String,
    pub contact_email: String,
}

impl CaseActor {
    /// The customer behind an API request: a person, or an API client (whose contact is its owner).
    pub async fn customer(state: &AppState, caller: &Caller) -> Result<CaseActor, ApiError> {
        Ok(match caller {
            Caller::User { user, .. } => CaseActor::person(user),
            Caller::Client { client, .. } => {
                let owner = state
                    .directory
                    .user(&state.db, client.owner_user_id)
                    .await?
                    .map(|u| u.email.clone())
                    .unwrap_or_default();
                CaseActor {
                    audit: Actor::Client {
                        client_id: client.client_id.clone(),
                        org_id: client.org_id,
                    },
                    name: client.client_id.clone(),
                    contact_email: owner,
                }
            }
        })
    }

    /// A logged-in person (an API user token, or the portal).
    pub fn person(user: &crate::directory::UserEntry) -> CaseActor {
        CaseActor {
            audit: Actor::user(user),
            name: user.email.clone(),
            contact_email: user.email.clone(),
        }
    }

    /// A member of the provider's staff (operations API and staff pages alike).
    pub fn staff(staff: &oneportal_store::users::StaffRow) -> CaseActor {
        CaseActor {
            audit: Actor::Staff { id: staff.id },
            name: format!("{} (provider)", staff.name),
            contact_email: staff.email.clone(),
        }
    }

    pub fn system() -> CaseActor {
        CaseActor {
            audit: Actor::System,
            name: "OnePortal".into(),
            contact_email: String::new(),
        }
    }
}

/// A new case as the customer asks for it, already parsed.
pub struct CaseRequest {
    pub case_type: CaseType,
    pub subject: CaseSubject,
    pub priority: CasePriority,
    pub service_id: String,
    pub message: String,
    pub start_of_incident: Option<i64>,
    pub end_of_incident: Option<i64>,
    pub customer_reference: String,
    pub related_case_id: Option<String>,
    pub contact_name: String,
    pub contact_email: Option<String>,
    pub contact_phone: String,
    pub origin: CaseOrigin,
}

const MESSAGE_MAX_CHARS: usize = 20_000;

/// A message to a case: 1–20,000 characters once trimmed.
pub fn check_message(pointer: &str, message: &str) -> Result<String, FieldError> {
    let message = message.trim();
    if message.is_empty() {
        return Err(FieldError::new(
            pointer,
            "required",
            "write a message: what happened, and what you need from us",
        ));
    }
    let chars = message.chars().count();
    if chars > MESSAGE_MAX_CHARS {
        return Err(FieldError::new(
            pointer,
            "too_long",
            format!("the message is {chars} characters long; the limit is {MESSAGE_MAX_CHARS}"),
        ));
    }
    Ok(message.to_owned())
}

fn text_limit(pointer: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(FieldError::new(
            pointer,
            "invalid",
            format!("{pointer} must be at most {max} characters on one line"),
        ));
    }
    Ok(value.to_owned())
}

/// A new case's fields that need no database, cleaned.
pub struct CheckedFields {
    pub message: String,
    pub reference: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
}

/// The checks of [`open`] that need no database, in the order its answer lists them;
/// every problem goes to `errors`. `default_email` is the contact when none is given.
pub fn check_fields(
    request: &CaseRequest,
    default_email: &str,
    errors: &mut Vec<FieldError>,
) -> Option<CheckedFields> {
    if let Err((field, error)) = request.case_type.check(request.subject, request.priority) {
        errors.push(FieldError::new(
            format!("/{field}"),
            error.code,
            error.message,
        ));
    }
    let message = check_message("/message", &request.message).map_err(|e| errors.push(e));
    let reference = text_limit("/customerReference", &request.customer_reference, 100)
        .map_err(|e| errors.push(e));
    let contact_name =
        text_limit("/contact/name", &request.contact_name, 200).map_err(|e| errors.push(e));
    let contact_phone =
        text_limit("/contact/phone", &request.contact_phone, 50).map_err(|e| errors.push(e));
    let contact_email = match &request.contact_email {
        Some(email) => oneportal_domain::Email::parse(email)
            .map(|e| e.as_str().to_owned())
            .map_err(|e| errors.push(FieldError::new("/contact/email", e.code, e.message))),
        None => Ok(default_email.to_owned()),
    };
    check_incident_times(request, errors);
    Some(CheckedFields {
        message: message.ok()?,
        reference: reference.ok()?,
        contact_name: contact_name.ok()?,
        contact_phone: contact_phone.ok()?,
        contact_email: contact_email.ok()?,
    })
}

/// Opens a case on one of the caller's services; returns the new case.
pub async fn open(
    state: &AppState,
    scope: &AccessScope,
    actor: &CaseActor,
    request: CaseRequest,
) -> Result<CaseRow, ApiError> {
    let mut errors = Vec::new();
    let fields = check_fields(&request, &actor.contact_email, &mut errors);

    let service = match IdKind::Service.parse(&request.service_id) {
        Some(id) => catalog::find_service(&state.db, scope, id).await?,
        None => None,
    };
    if service.is_none() {
        errors.push(FieldError::new(
            "/serviceId",
            "unknown_service",
            format!(
                "there is no service '{}' among the services you may see; list them with GET /v2/services",
                request.service_id
            ),
        ));
    }
    let related = related_case(state, scope, &request, &mut errors).await?;
    let (
        Some(service),
        Some(CheckedFields {
            message,
            reference,
            contact_name,
            contact_phone,
            contact_email,
        }),
        true,
    ) = (service, fields, errors.is_empty())
    else {
        return Err(ApiError::validation(errors));
    };

    let case = NewCase {
        org_id: service.org_id,
        case_type: request.case_type,
        subject: request.subject,
        priority: request.priority,
        service_id: service.id,
        site_id: service.site_id,
        contract_account_id: service.contract_account_id,
        delivery_account_id: service.delivery_account_id,
        customer_reference: reference,
        origin: request.origin,
        start_of_incident: request.start_of_incident,
        end_of_incident: request.end_of_incident,
        contact_name,
        contact_email,
        contact_phone,
        related_case_id: related,
        created_by: actor.name.clone(),
        message,
        at: now_ms(),
    };
    let event = case_writer::opened_event(&actor.audit, &case, IdKind::Service.format(service.id));
    let writer = state.case_queue.get_or_init(|| case_writer::start(state));
    Ok(writer.open(case, event).await?)
}

fn check_incident_times(request: &CaseRequest, errors: &mut Vec<FieldError>) {
    let now = now_ms();
    match (request.case_type, request.start_of_incident) {
        (CaseType::Incident, None) => errors.push(FieldError::new(
            "/startOfIncident",
            "required",
            "incidents need startOfIncident: when the service was first affected (ISO 8601, e.g. 2026-11-26T08:15:00Z)",
        )),
        (_, Some(start)) if start > now + 5 * 60_000 => errors.push(FieldError::new(
            "/startOfIncident",
            "in_future",
            "startOfIncident is in the future; give the time the service was first affected",
        )),
        _ => {}
    }
    if let (Some(start), Some(end)) = (request.start_of_incident, request.end_of_incident)
        && end < start
    {
        errors.push(FieldError::new(
            "/endOfIncident",
            "before_start",
            "endOfIncident is before startOfIncident; leave it out while the outage is ongoing",
        ));
    }
    if request.case_type == CaseType::NonIncident
        && (request.start_of_incident.is_some() || request.end_of_incident.is_some())
    {
        errors.push(FieldError::new(
            "/startOfIncident",
            "not_an_incident",
            "startOfIncident and endOfIncident belong to Incident cases only",
        ));
    }
}

/// `relatedCaseId`: required for an RFO request (the incident it is about), and
/// always one of the caller's own cases.
async fn related_case(
    state: &AppState,
    scope: &AccessScope,
    request: &CaseRequest,
    errors: &mut Vec<FieldError>,
) -> Result<Option<i64>, ApiError> {
    let Some(text) = &request.related_case_id else {
        if request.subject == CaseSubject::RfoRequest {
            errors.push(FieldError::new(
                "/relatedCaseId",
                "required",
                "an RfoRequest names the incident it is about in relatedCaseId (e.g. CASE-0000042)",
            ));
        }
        return Ok(None);
    };
    let related = match IdKind::Case.parse(text) {
        Some(id) => cases::find_case(&state.db, scope, id).await?,
        None => None,
    };
    match related {
        None => {
            errors.push(FieldError::new(
                "/relatedCaseId",
                "unknown_case",
                format!("there is no case '{text}' among the cases you may see"),
            ));
            Ok(None)
        }
        Some(case)
            if request.subject == CaseSubject::RfoRequest
                && case.case_type != CaseType::Incident =>
        {
            errors.push(FieldError::new(
                "/relatedCaseId",
                "not_an_incident",
                format!("{text} is not an incident; an RFO is only given for incidents"),
            ));
            Ok(None)
        }
        Some(case) => Ok(Some(case.id)),
    }
}

/// Commits a case change with its audit event; every node forgets its case totals
/// and kept case answers.
async fn commit(state: &AppState, tx: Tx, event: Event, org_id: i64) -> Result<(), StoreError> {
    super::commit_audited(state, tx, event, Change::Cases { orgs: vec![org_id] }).await
}

/// Finds a case the caller may see, or 404.
pub async fn visible(db: &impl Exec, scope: &AccessScope, id: &str) -> Result<CaseRow, ApiError> {
    let found = match IdKind::Case.parse(id) {
        Some(id) => cases::find_case(db, scope, id).await?,
        None => None,
    };
    found.ok_or_else(|| ApiError::not_found(format!("no case '{id}' among the cases you may see")))
}

/// A customer's reply. A reply to a Pending case hands it back to the provider (InProgress).
pub async fn reply(
    state: &AppState,
    case: &CaseRow,
    actor: &CaseActor,
    message: &str,
) -> Result<i64, ApiError> {
    let message = check_message("/message", message).map_err(|e| ApiError::validation(vec![e]))?;
    if case.status().is_final() {
        return Err(ApiError::conflict(
            "case_final",
            format!(
                "{} is {}; open a new case (with relatedCaseId) to continue",
                IdKind::Case.format(case.id),
                case.status
            ),
        ));
    }
    let at = now_ms();
    let tx = state.db.begin().await?;
    let id = cases::add_communication(
        &tx,
        case.id,
        CommunicationType::Customer,
        &message,
        &actor.name,
        at,
    )
    .await?;
    emit_communication_added(state, &tx, case, id, CommunicationType::Customer, actor, at).await?;
    if case.status() == CaseStatus::Pending {
        let reason = "customer replied";
        let (from, to) = (CaseStatus::Pending, CaseStatus::InProgress);
        if cases::change_status(
            &tx,
            case.id,
            from,
            to,
            reason,
            &CaseActor::system().name,
            at,
        )
        .await?
        {
            emit_status_changed(state, &tx, case, (from, to), reason, actor, at).await?;
        }
    }
    let event = Event::new(actor.audit.clone(), "case.replied")
        .target("case", IdKind::Case.format(case.id))
        .org(Some(case.org_id))
        .details(json!({ "communicationId": IdKind::Communication.format(id) }));
    commit(state, tx, event, case.org_id).await?;
    Ok(id)
}

/// A provider's public reply (operations API, import).
pub async fn provider_reply(
    state: &AppState,
    case: &CaseRow,
    actor: &CaseActor,
    message: &str,
    reference: Option<&str>,
) -> Result<Upserted, ApiError> {
    let message = check_message("/message", message).map_err(|e| ApiError::validation(vec![e]))?;
    let at = now_ms();
    let tx = state.db.begin().await?;
    if let Some(reference) = reference
        && let Some(id) = cases::find_communication_by_ref(&tx, case.id, reference).await?
    {
        return Ok(Upserted::Unchanged(id));
    }
    let id = cases::add_communication(
        &tx,
        case.id,
        CommunicationType::Provider,
        &message,
        &actor.name,
        at,
    )
    .await?;
    emit_communication_added(state, &tx, case, id, CommunicationType::Provider, actor, at).await?;
    if let Some(reference) = reference {
        cases::tag_communication(&tx, id, reference).await?;
    }
    let event = Event::new(actor.audit.clone(), "case.provider_replied")
        .target("case", IdKind::Case.format(case.id))
        .org(Some(case.org_id));
    commit(state, tx, event, case.org_id).await?;
    Ok(Upserted::Created(id))
}

/// Types people attach to support cases: documents, images, captures, logs, archives.
pub const ALLOWED_ATTACHMENT_TYPES: &[&str] = super::attachment_type::MEDIA_TYPES;

pub async fn attach(
    state: &AppState,
    case: &CaseRow,
    actor: &CaseActor,
    upload: Upload,
) -> Result<i64, ApiError> {
    if !attachment_type::is_allowed(&upload.content_type) {
        return Err(ApiError::UnsupportedMediaType {
            detail: format!(
                "files of type '{}' cannot be attached; allowed types are {}",
                upload.content_type,
                ALLOWED_ATTACHMENT_TYPES.join(", ")
            ),
        });
    }
    attachment_type::check_file_name(&upload.file_name)?;
    let max = state.config.cases.attachment_max_bytes;
    if upload.content.len() as u64 > max {
        return Err(too_large(max));
    }
    if upload.content.is_empty() {
        return Err(ApiError::validation(vec![FieldError::new(
            "file",
            "empty",
            "the file is empty",
        )]));
    }
    attachment_type::check_content(&upload.content_type, &upload.content)?;
    if case.status().is_final() {
        return Err(ApiError::conflict(
            "case_final",
            format!(
                "{} is {}; files can no longer be added",
                IdKind::Case.format(case.id),
                case.status
            ),
        ));
    }
    let sha = crate::auth::digest::sha256_hex(&upload.content);
    let size = upload.content.len();
    let at = now_ms();
    let tx = state.db.begin().await?;
    let id = cases::add_attachment(
        &tx,
        NewAttachment {
            case_id: case.id,
            communication_id: None,
            file_name: &upload.file_name,
            content_type: &upload.content_type,
            sha256: &sha,
            content: upload.content,
            uploaded_by: &actor.name,
            at,
        },
    )
    .await?;
    let data = CaseAttachmentAdded {
        case_id: IdKind::Case.format(case.id),
        attachment_id: IdKind::Attachment.format(id),
        file_name: upload.file_name.clone(),
        content_type: upload.content_type.clone(),
        size: size as i64,
        last_modified_date: rfc3339(at),
        url: events::url(
            state,
            &format!(
                "{}/attachments/{}",
                events::case_path(case.id),
                IdKind::Attachment.format(id)
            ),
        ),
    };
    events::emit(&tx, case.org_id, case.id, &data).await?;
    let event = Event::new(actor.audit.clone(), "case.attachment_added")
        .target("case", IdKind::Case.format(case.id))
        .org(Some(case.org_id))
        .details(json!({ "attachmentId": IdKind::Attachment.format(id), "fileName": upload.file_name, "sha256": sha }));
    commit(state, tx, event, case.org_id).await?;
    Ok(id)
}

/// Close, reopen or cancel, as the customer. Anything the status machine does not
/// allow is a 409 naming the current status.
pub async fn customer_action(
    state: &AppState,
    case: &CaseRow,
    actor: &CaseActor,
    action: CustomerAction,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let reason = match (action, reason.map(str::trim).filter(|r| !r.is_empty())) {
        (CustomerAction::Reopen | CustomerAction::Cancel, None) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "/reason",
                "required",
                format!("say why the case should be {}", action.verb()),
            )]));
        }
        (_, reason) => reason.unwrap_or("").to_owned(),
    };
    if reason.chars().count() > 2000 {
        return Err(ApiError::validation(vec![FieldError::new(
            "/reason",
            "too_long",
            "the reason may be at most 2000 characters",
        )]));
    }
    move_case(
        state,
        case,
        actor,
        action.target(),
        Mover::Customer,
        &reason,
        || {
            format!(
                "{} is {}; it can only be {} when it is {}",
                IdKind::Case.format(case.id),
                case.status,
                action.verb(),
                action.allowed_from()
            )
        },
    )
    .await
}

/// A provider's status change (operations API, import).
pub async fn provider_move(
    state: &AppState,
    case: &CaseRow,
    actor: &CaseActor,
    to: CaseStatus,
    reason: &str,
) -> Result<(), ApiError> {
    if case.status() == to {
        return Ok(());
    }
    move_case(state, case, actor, to, Mover::Provider, reason, || {
        format!(
            "{} is {}; the provider cannot move it to {}",
            IdKind::Case.format(case.id),
            case.status,
            to.as_str()
        )
    })
    .await
}

async fn move_case(
    state: &AppState,
    case: &CaseRow,
    actor: &CaseActor,
    to: CaseStatus,
    by: Mover,
    reason: &str,
    refusal: impl Fn() -> String,
) -> Result<(), ApiError> {
    let from = case.status();
    if !from.may_move(to, by) {
        return Err(ApiError::conflict("invalid_status_transition", refusal()));
    }
    let at = now_ms();
    let tx = state.db.begin().await?;
    if !cases::change_status(&tx, case.id, from, to, reason, &actor.name, at).await? {
        return Err(ApiError::conflict(
            "case_changed",
            format!(
                "{} changed while you were looking at it; reload it and try again",
                IdKind::Case.format(case.id)
            ),
        ));
    }
    emit_status_changed(state, &tx, case, (from, to), reason, actor, at).await?;
    let event = Event::new(actor.audit.clone(), "case.status_changed")
        .target("case", IdKind::Case.format(case.id))
        .org(Some(case.org_id))
        .details(json!({ "from": from.as_str(), "to": to.as_str(), "reason": reason }));
    commit(state, tx, event, case.org_id).await?;
    Ok(())
}

/// Emits `case.status_changed` in the transaction that moved the case.
pub(crate) async fn emit_status_changed(
    state: &AppState,
    tx: &Tx,
    case: &CaseRow,
    (from, to): (CaseStatus, CaseStatus),
    reason: &str,
    actor: &CaseActor,
    at: i64,
) -> Result<(), StoreError> {
    let data = CaseStatusChanged {
        case_id: IdKind::Case.format(case.id),
        previous_status: from,
        status: to,
        reason: Some(reason.to_owned()).filter(|r| !r.is_empty()),
        changed_by: actor.name.clone(),
        last_modified_date: rfc3339(at),
        url: events::url(state, &events::case_path(case.id)),
    };
    events::emit(tx, case.org_id, case.id, &data).await
}

/// Emits `case.communication_added` in the transaction that added the message.
pub(crate) async fn emit_communication_added(
    state: &AppState,
    tx: &Tx,
    case: &CaseRow,
    communication_id: i64,
    communication_type: CommunicationType,
    actor: &CaseActor,
    at: i64,
) -> Result<(), StoreError> {
    let data = CaseCommunicationAdded {
        case_id: IdKind::Case.format(case.id),
        communication_id: IdKind::Communication.format(communication_id),
        communication_type,
        sent_by: actor.name.clone(),
        last_modified_date: rfc3339(at),
        url: events::url(
            state,
            &format!("{}/communications", events::case_path(case.id)),
        ),
    };
    events::emit(tx, case.org_id, case.id, &data).await
}

/// Closes Resolved cases older than the configured number of days; returns how many.
pub async fn auto_close(state: &AppState) -> Result<usize, ApiError> {
    let days = state.config.cases.auto_close_days;
    if days == 0 {
        return Ok(0);
    }
    let before = now_ms() - i64::from(days) * 86_400_000;
    let due = cases::resolved_before(&state.db, before, 500).await?;
    let system = CaseActor::system();
    let mut closed = 0;
    for (id, _) in due {
        let Some(case) = cases::find_case_anywhere(&state.db, id).await? else {
            continue;
        };
        let reason = format!("closed automatically {days} days after resolution");
        match move_case(
            state,
            &case,
            &system,
            CaseStatus::Closed,
            Mover::System,
            &reason,
            String::new,
        )
        .await
        {
            Ok(()) => closed += 1,
            // Someone reopened or closed it meanwhile: nothing to do.
            Err(ApiError::Conflict { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(closed)
}

/// The case with its conversation, history and files (also the portal's case page).
pub async fn detail(db: &impl Exec, case: CaseRow) -> Result<CaseDetail, ApiError> {
    let (messages, history, files) = tokio::try_join!(
        cases::communications(db, case.id),
        cases::status_history(db, case.id),
        cases::attachments(db, case.id),
    )?;
    let mut communications: Vec<Communication> =
        messages.into_iter().map(Communication::from).collect();
    let mut attachments = Vec::new();
    for file in files {
        if let Some(owner) = file.communication_id.and_then(|id| {
            communications
                .iter_mut()
                .find(|c| c.communication_id == IdKind::Communication.format(id))
        }) {
            owner.attachments.push(Attachment::from(file.clone()));
        }
        attachments.push(Attachment::from(file));
    }
    Ok(CaseDetail {
        case: Case::from(case),
        communications,
        status_history: history.into_iter().map(StatusChange::from).collect(),
        attachments,
    })
}
