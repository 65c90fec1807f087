//! Deactivation requests (PRODUCT §10): the customer asks (API or portal), the
//! provider reviews and states the terms (operations API, staff pages), the
//! customer confirms in the portal (a person, with their password) or
//! withdraws, the provider sets the billing end date and finally records the
//! deactivation. Every step is checked by the status machine in the domain,
//! kept in the request's history, audited and an event, in one transaction.

use oneportal_domain::Email;
use oneportal_domain::case::Mover;
use oneportal_domain::catalog::ServiceStatus;
use oneportal_domain::deactivation::{
    DeactivationStatus, MAX_TEXT_CHARS, Refused, billing_end_date_due, may_deactivate,
};
use oneportal_domain::ids::IdKind;
use oneportal_domain::invoice::Money;
use oneportal_domain::query::{ListQuery, parse_day};
use oneportal_store::catalog::{self, AccessScope, ServiceRow};
use oneportal_store::deactivations::{
    self, Change, DeactivationRow, LocalContact, NewDeactivation, Terms,
};
use oneportal_store::listing::ListPage;
use oneportal_store::{Exec, StoreError, Tx, now_ms};
use serde_json::json;
use time::{Date, OffsetDateTime};

use super::cases::CaseActor;
use super::{commit_audited, events};
use crate::audit::Event;
use crate::cluster::Change as ClusterChange;
use crate::http::public_id::{id_of, not_found};
use crate::http::time::rfc3339;
use crate::http::{ApiError, FieldError};
use crate::models::deactivation::{
    DeactivationRequest, DeactivationRequestDetail, DeactivationStep,
};
use crate::models::event::DeactivationNotice;
use crate::state::AppState;

const WHAT: &str = "deactivation request";

/// The most a name or phone number of the Local Point of Contact may hold.
const MAX_CONTACT_CHARS: usize = 200;

pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// What the customer gives: the day to end, why, and the Local Point of Contact.
#[derive(Debug, Clone)]
pub struct RequestForm {
    pub requested_end_date: String,
    pub reason: String,
    pub contact: LocalContact,
}

/// The request the scope sees, or a 404 that does not tell whether it exists.
pub async fn visible(
    db: &impl Exec,
    scope: &AccessScope,
    id: &str,
) -> Result<DeactivationRow, ApiError> {
    let number = id_of(IdKind::DeactivationRequest, id, WHAT)?;
    deactivations::find(db, Some(scope), number)
        .await?
        .ok_or_else(|| not_found(WHAT))
}

/// Any organization's request, for the provider's staff.
pub async fn any(db: &impl Exec, id: &str) -> Result<DeactivationRow, ApiError> {
    let number = IdKind::DeactivationRequest
        .parse(id)
        .ok_or_else(|| ApiError::not_found(format!("no deactivation request '{id}'")))?;
    deactivations::find(db, None, number)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no deactivation request '{id}'")))
}

/// A page of the requests the scope sees (`None`: every organization's, for staff).
pub async fn page(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    query: &ListQuery,
) -> Result<ListPage<DeactivationRequest>, StoreError> {
    let page = deactivations::list(db, scope, query).await?;
    let today = today();
    Ok(ListPage {
        rows: page
            .rows
            .iter()
            .map(|row| DeactivationRequest::new(row, today))
            .collect(),
        total: page.total,
        total_exact: page.total_exact,
        next_cursor: page.next_cursor,
    })
}

/// The request with its history.
pub async fn detail(
    db: &impl Exec,
    row: &DeactivationRow,
) -> Result<DeactivationRequestDetail, StoreError> {
    let history = deactivations::history(db, row.id).await?;
    Ok(DeactivationRequestDetail {
        request: DeactivationRequest::new(row, today()),
        history: history.iter().map(DeactivationStep::from).collect(),
    })
}

fn too_long(pointer: &str, max: usize) -> FieldError {
    FieldError::new(
        pointer,
        "too_long",
        format!("at most {max} characters, please"),
    )
}

/// Checks the form; every problem is reported, each naming its field.
fn check_form(form: &RequestForm, today: Date) -> Result<(String, String, LocalContact), ApiError> {
    let mut errors = Vec::new();
    match parse_day(form.requested_end_date.trim()) {
        Some(day) if day < today => errors.push(FieldError::new(
            "/requestedEndDate",
            "in_the_past",
            format!("the end date is in the past; choose {today} or later"),
        )),
        Some(_) => {}
        None => errors.push(FieldError::new(
            "/requestedEndDate",
            "invalid_date",
            "write the day the service should end as YYYY-MM-DD",
        )),
    }
    let reason = form.reason.trim();
    if reason.is_empty() {
        errors.push(FieldError::new(
            "/reason",
            "required",
            "say why the service should end",
        ));
    } else if reason.chars().count() > MAX_TEXT_CHARS {
        errors.push(too_long("/reason", MAX_TEXT_CHARS));
    }
    let name = form.contact.name.trim();
    let phone = form.contact.phone.trim();
    for (pointer, value, what) in [
        (
            "/localContact/name",
            name,
            "the Local Point of Contact's name",
        ),
        (
            "/localContact/phone",
            phone,
            "a phone number for the Local Point of Contact",
        ),
    ] {
        if value.is_empty() {
            errors.push(FieldError::new(pointer, "required", format!("give {what}")));
        } else if value.chars().count() > MAX_CONTACT_CHARS {
            errors.push(too_long(pointer, MAX_CONTACT_CHARS));
        }
    }
    let email = match Email::parse(form.contact.email.trim()) {
        Ok(email) => email.as_str().to_owned(),
        Err(error) => {
            errors.push(FieldError::new(
                "/localContact/email",
                error.code,
                error.message,
            ));
            String::new()
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok((
        form.requested_end_date.trim().to_owned(),
        reason.to_owned(),
        LocalContact {
            name: name.to_owned(),
            email,
            phone: phone.to_owned(),
        },
    ))
}

/// The service the scope sees, for a new request.
pub async fn service(
    db: &impl Exec,
    scope: &AccessScope,
    service_id: &str,
) -> Result<ServiceRow, ApiError> {
    let number = id_of(IdKind::Service, service_id, "service")?;
    catalog::find_service(db, scope, number)
        .await?
        .ok_or_else(|| not_found("service"))
}

/// Submits a request to deactivate `service` and records its Local Point of
/// Contact. A service that is not delivered, or that already has a request
/// under way, is a 409 that says so.
pub async fn request(
    state: &AppState,
    service: &ServiceRow,
    actor: &CaseActor,
    form: &RequestForm,
) -> Result<DeactivationRow, ApiError> {
    let (end_date, reason, contact) = check_form(form, today())?;
    let service_id = IdKind::Service.format(service.id);
    if !may_deactivate(service.status) {
        return Err(ApiError::conflict(
            "service_not_deactivatable",
            format!(
                "{service_id} is {}; only a delivered service (RFS or Suspended) can be deactivated",
                service.status
            ),
        ));
    }
    if let Some(open) = deactivations::open_for_service(&state.db, service.id).await? {
        return Err(already_requested(&service_id, open.id));
    }
    let at = now_ms();
    let tx = state.db.begin().await?;
    let id = match deactivations::insert(
        &tx,
        &NewDeactivation {
            org_id: service.org_id,
            service_id: service.id,
            contract_account_id: service.contract_account_id,
            delivery_account_id: service.delivery_account_id,
            requested_end_date: &end_date,
            reason: &reason,
            contact: &contact,
            requested_by: &actor.name,
            at,
        },
    )
    .await
    {
        Ok(id) => id,
        // Two people asking at once: the second finds the first's request.
        Err(error) if error.is_conflict_on("deactivation_requests") => {
            drop(tx);
            let open = deactivations::open_for_service(&state.db, service.id).await?;
            return Err(already_requested(&service_id, open.map_or(0, |o| o.id)));
        }
        Err(error) => return Err(error.into()),
    };
    deactivations::set_local_contact(&tx, service.id, &contact, &actor.name, at).await?;
    deactivations::add_first_step(&tx, id, &actor.name, at).await?;
    let row = deactivations::find(&tx, None, id)
        .await?
        .ok_or_else(|| ApiError::Internal("the new deactivation request vanished".into()))?;
    emit(state, &tx, &row, None, &actor.name).await?;
    let audit = Event::new(actor.audit.clone(), "deactivation_request.submitted")
        .target("deactivation_request", IdKind::DeactivationRequest.format(id))
        .org(Some(service.org_id))
        .details(json!({
            "serviceId": service_id,
            "requestedEndDate": end_date,
            "reason": reason,
            "localContact": { "name": contact.name, "email": contact.email, "phone": contact.phone },
        }));
    commit(state, tx, audit, service.org_id).await?;
    Ok(row)
}

fn already_requested(service_id: &str, open: i64) -> ApiError {
    ApiError::conflict(
        "deactivation_already_requested",
        format!(
            "{service_id} already has a deactivation request under way ({}); follow it, or withdraw it first",
            IdKind::DeactivationRequest.format(open)
        ),
    )
}

/// Withdraws the request, as the customer, before it is confirmed.
pub async fn withdraw(
    state: &AppState,
    row: &DeactivationRow,
    actor: &CaseActor,
    reason: &str,
) -> Result<DeactivationRow, ApiError> {
    let reason = reason.trim();
    if reason.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::validation(vec![too_long(
            "/reason",
            MAX_TEXT_CHARS,
        )]));
    }
    let step = Step {
        to: DeactivationStatus::Withdrawn,
        by: Mover::Customer,
        terms_version: row.terms_version,
        change: Change::Status {
            closing_reason: Some(reason),
        },
        note: reason,
        details: json!({ "reason": reason }),
        ip: None,
        case_id: None,
    };
    move_request(state, row, actor, step).await
}

/// Confirms the terms of version `terms_version`, as a person in the portal who
/// re-entered their password: binding and irreversible. Terms revised since
/// the person read them are a 409 asking them to read the new ones.
pub async fn confirm(
    state: &AppState,
    row: &DeactivationRow,
    actor: &CaseActor,
    terms_version: i64,
    ip: Option<String>,
) -> Result<DeactivationRow, ApiError> {
    if row.status == DeactivationStatus::PendingConfirmation && terms_version != row.terms_version {
        return Err(terms_changed(row));
    }
    let due = billing_end_date_due(today()).to_string();
    let from = ip.clone();
    let step = Step {
        to: DeactivationStatus::Confirmed,
        by: Mover::Customer,
        terms_version,
        change: Change::Confirmation {
            by: &actor.name,
            from: from.as_deref(),
            billing_end_date_due: &due,
        },
        note: "",
        details: json!({
            "termsVersion": terms_version,
            "fee": row.fee_amount.as_ref().map(|a| format!("{a} {}", row.fee_currency.as_deref().unwrap_or(""))),
            "earliestEndDate": row.earliest_end_date,
            "termsNote": row.terms_note,
            "billingEndDateDue": due,
        }),
        ip,
        case_id: None,
    };
    move_request(state, row, actor, step).await
}

fn terms_changed(row: &DeactivationRow) -> ApiError {
    ApiError::conflict(
        "terms_changed",
        format!(
            "the provider revised the terms of {} (now version {}); read them again before confirming",
            IdKind::DeactivationRequest.format(row.id),
            row.terms_version
        ),
    )
}

/// What the provider does to a request.
#[derive(Debug, Clone)]
pub enum ProviderAct {
    /// Start reviewing (or take stated terms back to revise them), optionally
    /// linking the case the questions are asked in.
    Review {
        note: String,
        case_id: Option<i64>,
    },
    /// State the terms: the customer may then confirm or withdraw.
    StateTerms {
        fee: Option<(Money, String)>,
        earliest_end_date: String,
        note: String,
    },
    Decline {
        reason: String,
    },
    /// Set the billing end date of a confirmed request; the service becomes `PendingDeactivation`.
    SetBillingEndDate {
        date: String,
    },
    /// The service is deactivated.
    Complete {
        note: String,
    },
}

/// A provider's step as the operations API and the staff pages receive it.
#[derive(Debug, Clone)]
pub struct StepInput {
    pub status: DeactivationStatus,
    pub note: String,
    pub case_id: Option<String>,
    /// `(amount, currency)` as written.
    pub fee: Option<(String, String)>,
    pub earliest_end_date: Option<String>,
    pub reason: String,
    pub billing_end_date: Option<String>,
}

fn required(pointer: &str, what: &str) -> ApiError {
    ApiError::validation(vec![FieldError::new(
        pointer,
        "required",
        format!("give {what}"),
    )])
}

impl ProviderAct {
    /// The act a provider's step asks for, with what that step needs; each
    /// problem names its field.
    pub fn parse(body: StepInput) -> Result<ProviderAct, ApiError> {
        for (pointer, text) in [("/note", &body.note), ("/reason", &body.reason)] {
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(ApiError::validation(vec![FieldError::new(
                    pointer,
                    "too_long",
                    format!("at most {MAX_TEXT_CHARS} characters, please"),
                )]));
            }
        }
        let note = body.note.trim().to_owned();
        Ok(match body.status {
            DeactivationStatus::InReview => ProviderAct::Review {
                note,
                case_id: match body.case_id.as_deref() {
                    Some(text) => Some(IdKind::Case.parse(text).ok_or_else(|| {
                        ApiError::validation(vec![FieldError::new(
                            "/caseId",
                            "invalid_id",
                            "a case id looks like CASE-0000001",
                        )])
                    })?),
                    None => None,
                },
            },
            DeactivationStatus::PendingConfirmation => ProviderAct::StateTerms {
                fee: match body.fee {
                    Some(fee) => Some(fee_of(fee)?),
                    None => None,
                },
                earliest_end_date: body.earliest_end_date.ok_or_else(|| {
                    required("/earliestEndDate", "the earliest day the service can end")
                })?,
                note,
            },
            DeactivationStatus::Declined => {
                let reason = body.reason.trim().to_owned();
                if reason.is_empty() {
                    return Err(required("/reason", "the reason the customer reads"));
                }
                ProviderAct::Decline { reason }
            }
            DeactivationStatus::Scheduled => ProviderAct::SetBillingEndDate {
                date: body
                    .billing_end_date
                    .ok_or_else(|| required("/billingEndDate", "the billing end date"))?,
            },
            DeactivationStatus::Completed => ProviderAct::Complete { note },
            other => {
                return Err(ApiError::validation(vec![FieldError::new(
                    "/status",
                    "not_a_provider_step",
                    format!(
                        "{other} is the customer's step; the provider moves a request to InReview, PendingConfirmation, Declined, Scheduled or Completed"
                    ),
                )]));
            }
        })
    }
}

fn fee_of((amount_text, currency): (String, String)) -> Result<(Money, String), ApiError> {
    let mut errors = Vec::new();
    let amount = match Money::parse(&amount_text) {
        Ok(amount) if amount.amount().is_sign_negative() => {
            errors.push(FieldError::new(
                "/fee/amount",
                "negative",
                "a fee is not negative; leave `fee` out for none",
            ));
            None
        }
        Ok(amount) => Some(amount),
        Err(error) => {
            errors.push(FieldError::new("/fee/amount", error.code, error.message));
            None
        }
    };
    let currency = currency.trim().to_owned();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.push(FieldError::new(
            "/fee/currency",
            "invalid_currency",
            "a currency is three capital letters (ISO 4217), such as EUR",
        ));
    }
    match amount {
        Some(amount) if errors.is_empty() => Ok((amount, currency)),
        _ => Err(ApiError::validation(errors)),
    }
}

/// Applies a provider's act, as the status machine allows.
pub async fn provider_act(
    state: &AppState,
    row: &DeactivationRow,
    actor: &CaseActor,
    act: &ProviderAct,
) -> Result<DeactivationRow, ApiError> {
    let fee_text = match act {
        ProviderAct::StateTerms {
            fee: Some((amount, currency)),
            ..
        } => Some((amount.to_string(), currency.clone())),
        _ => None,
    };
    let step = match act {
        ProviderAct::Review { note, case_id } => {
            if let Some(case_id) = case_id {
                check_case(state, row, *case_id).await?;
            }
            Step {
                to: DeactivationStatus::InReview,
                by: Mover::Provider,
                terms_version: row.terms_version,
                change: Change::Status {
                    closing_reason: None,
                },
                note,
                details: json!({ "note": note, "caseId": case_id.map(|c| IdKind::Case.format(c)) }),
                ip: None,
                case_id: *case_id,
            }
        }
        ProviderAct::StateTerms {
            earliest_end_date,
            note,
            ..
        } => {
            check_day("/earliestEndDate", earliest_end_date)?;
            Step {
                to: DeactivationStatus::PendingConfirmation,
                by: Mover::Provider,
                terms_version: row.terms_version,
                change: Change::Terms(Terms {
                    fee: fee_text.as_ref().map(|(a, c)| (a.as_str(), c.as_str())),
                    earliest_end_date,
                    note,
                }),
                note,
                details: json!({
                    "termsVersion": row.terms_version + 1,
                    "fee": fee_text.as_ref().map(|(a, c)| format!("{a} {c}")),
                    "earliestEndDate": earliest_end_date,
                    "note": note,
                }),
                ip: None,
                case_id: None,
            }
        }
        ProviderAct::Decline { reason } => Step {
            to: DeactivationStatus::Declined,
            by: Mover::Provider,
            terms_version: row.terms_version,
            change: Change::Status {
                closing_reason: Some(reason),
            },
            note: reason,
            details: json!({ "reason": reason }),
            ip: None,
            case_id: None,
        },
        ProviderAct::SetBillingEndDate { date } => {
            check_day("/billingEndDate", date)?;
            Step {
                to: DeactivationStatus::Scheduled,
                by: Mover::Provider,
                terms_version: row.terms_version,
                change: Change::BillingEndDate(date),
                note: "",
                details: json!({ "billingEndDate": date }),
                ip: None,
                case_id: None,
            }
        }
        ProviderAct::Complete { note } => Step {
            to: DeactivationStatus::Completed,
            by: Mover::Provider,
            terms_version: row.terms_version,
            change: Change::Status {
                closing_reason: None,
            },
            note,
            details: json!({ "note": note }),
            ip: None,
            case_id: None,
        },
    };
    move_request(state, row, actor, step).await
}

fn check_day(pointer: &str, text: &str) -> Result<(), ApiError> {
    if parse_day(text).is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            pointer,
            "invalid_date",
            "write the day as YYYY-MM-DD",
        )]));
    }
    Ok(())
}

/// The case must be the same organization's and about the request's service.
async fn check_case(state: &AppState, row: &DeactivationRow, case_id: i64) -> Result<(), ApiError> {
    let case = oneportal_store::cases::find_case_anywhere(&state.db, case_id).await?;
    match case {
        Some(case) if case.org_id == row.org_id && case.service_id == row.service_id => Ok(()),
        _ => Err(ApiError::validation(vec![FieldError::new(
            "/caseId",
            "unknown_case",
            format!(
                "{} is not a case about {}",
                IdKind::Case.format(case_id),
                IdKind::Service.format(row.service_id)
            ),
        )])),
    }
}

/// One move of a request: where to, by whom, at which terms, what it writes.
struct Step<'a> {
    to: DeactivationStatus,
    by: Mover,
    terms_version: i64,
    change: Change<'a>,
    note: &'a str,
    details: serde_json::Value,
    ip: Option<String>,
    /// The case through which the provider asks its questions, linked in the move's transaction.
    case_id: Option<i64>,
}

fn refused(row: &DeactivationRow, reason: Refused) -> ApiError {
    ApiError::conflict(
        "invalid_status_transition",
        format!(
            "{}: {}",
            IdKind::DeactivationRequest.format(row.id),
            reason.0
        ),
    )
}

async fn move_request(
    state: &AppState,
    row: &DeactivationRow,
    actor: &CaseActor,
    step: Step<'_>,
) -> Result<DeactivationRow, ApiError> {
    row.status
        .check_move(step.to, step.by)
        .map_err(|reason| refused(row, reason))?;
    let at = now_ms();
    let tx = state.db.begin().await?;
    let applied = deactivations::apply(
        &tx,
        row.id,
        (row.status, step.to),
        step.terms_version,
        &step.change,
        &actor.name,
        step.note,
        at,
    )
    .await?;
    if !applied {
        drop(tx);
        let now = deactivations::find(&state.db, None, row.id).await?;
        return Err(match now {
            Some(now) if now.status == row.status && now.terms_version != step.terms_version => {
                terms_changed(&now)
            }
            _ => ApiError::conflict(
                "deactivation_request_changed",
                format!(
                    "{} changed while you were looking at it; reload it and try again",
                    IdKind::DeactivationRequest.format(row.id)
                ),
            ),
        });
    }
    let service_move = match step.to {
        DeactivationStatus::Scheduled => Some(ServiceStatus::PendingDeactivation),
        DeactivationStatus::Completed => Some(ServiceStatus::Deactivated),
        _ => None,
    };
    if let Some(to) = service_move {
        move_service(state, &tx, row, to, at).await?;
    }
    if let Some(case_id) = step.case_id {
        deactivations::link_case(&tx, row.id, case_id, at).await?;
    }
    let moved = deactivations::find(&tx, None, row.id)
        .await?
        .ok_or_else(|| ApiError::Internal("the deactivation request vanished".into()))?;
    emit(state, &tx, &moved, Some(row.status), &actor.name).await?;
    let audit = Event::new(actor.audit.clone(), step.to.event().name())
        .target(
            "deactivation_request",
            IdKind::DeactivationRequest.format(row.id),
        )
        .org(Some(row.org_id))
        .ip(step.ip)
        .details(json!({
            "from": row.status.as_str(),
            "to": step.to.as_str(),
            "serviceId": IdKind::Service.format(row.service_id),
            "step": step.details,
        }));
    commit(state, tx, audit, row.org_id).await?;
    Ok(moved)
}

/// Moves the request's service along with it (`PendingDeactivation`, then
/// `Deactivated`) and tells of it with `service.status_changed`.
async fn move_service(
    state: &AppState,
    tx: &Tx,
    row: &DeactivationRow,
    to: ServiceStatus,
    at: i64,
) -> Result<(), ApiError> {
    let Some(service) = catalog::find_service_anywhere(tx, row.service_id).await? else {
        return Ok(());
    };
    if service.status == to
        || !catalog::move_service_status(tx, service.id, (service.status, to), at).await?
    {
        return Ok(());
    }
    events::service_status_changed(state, tx, row.org_id, service.id, (service.status, to), at)
        .await?;
    Ok(())
}

async fn emit(
    state: &AppState,
    tx: &Tx,
    row: &DeactivationRow,
    previous: Option<DeactivationStatus>,
    changed_by: &str,
) -> Result<(), StoreError> {
    let id = IdKind::DeactivationRequest.format(row.id);
    let data = DeactivationNotice {
        event_type: row.status.event(),
        url: events::url(state, &format!("deactivation-requests/{id}")),
        deactivation_request_id: id,
        service_id: IdKind::Service.format(row.service_id),
        previous_status: previous,
        status: row.status,
        requested_end_date: row.requested_end_date.clone(),
        terms_version: row.terms_version,
        billing_end_date: row.billing_end_date.clone(),
        changed_by: changed_by.to_owned(),
        last_modified_date: rfc3339(row.updated_at),
    };
    events::emit(tx, row.org_id, row.id, &data).await
}

async fn commit(state: &AppState, tx: Tx, audit: Event, org_id: i64) -> Result<(), StoreError> {
    commit_audited(
        state,
        tx,
        audit,
        ClusterChange::Events { orgs: vec![org_id] },
    )
    .await
}
