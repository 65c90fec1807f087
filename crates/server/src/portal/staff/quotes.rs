//! Quotes as the provider's staff write them: the queue (drafts, quotes
//! waiting for the customer with the days left, recent answers); a form to
//! write a quote or revise one (a quote the customer saw gets a new version,
//! sent at once); send, withdraw, the PDF. The same service functions as
//! `/ops/v1/quotes`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use oneportal_domain::catalog::ServiceType;
use oneportal_domain::ids::IdKind;
use oneportal_domain::quote::QuoteStatus;
use oneportal_store::quotes::QUOTES;

use super::StaffSession;
use super::frame::layout;
use crate::http::pagination::parse_list_query;
use crate::http::{ApiError, FieldError};
use crate::models::quote::Quote;
use crate::portal::csrf::CsrfForm;
use crate::portal::error::fixable;
use crate::portal::form::FormFields;
use crate::portal::{PortalError, render};
use crate::services::cases::CaseActor;
use crate::services::quotes::{self as service, Content, LineDraft, QuotePlan};
use crate::state::AppState;

/// One part of the queue.
struct Group {
    id: &'static str,
    heading: &'static str,
    empty: &'static str,
    rows: Vec<Quote>,
}

#[derive(Template)]
#[template(path = "portal/staff/quotes.html")]
struct QueuePage {
    layout: crate::portal::layout::Layout,
    groups: Vec<Group>,
}

/// Drafts, then the quotes waiting for the customer (the soonest to expire
/// first), then the 50 latest answered, expired or withdrawn.
pub async fn queue(
    State(state): State<AppState>,
    session: StaffSession,
) -> Result<Response, PortalError> {
    let mut groups = Vec::new();
    for (id, heading, empty, query) in [
        (
            "drafts",
            "Drafts",
            "No draft.",
            "status=Draft&sort=-lastModifiedDate&limit=200",
        ),
        (
            "waiting",
            "Waiting for the customer",
            "No quote is waiting for an answer.",
            "status=Sent&sort=validUntil&limit=200",
        ),
        (
            "done",
            "Answered, expired and withdrawn (latest 50)",
            "None yet.",
            "status=Accepted,Declined,Expired,Withdrawn&sort=-lastModifiedDate&limit=50",
        ),
    ] {
        let query = parse_list_query(&QUOTES, Some(query))?;
        let rows = service::page(&state.db, None, &query).await?.rows;
        groups.push(Group {
            id,
            heading,
            empty,
            rows,
        });
    }
    render::page(&QueuePage {
        layout: layout(&session, "Quotes", "quotes"),
        groups,
    })
}

/// One line row of the form.
#[derive(Default)]
struct LineFields {
    site_id: String,
    product: String,
    service_type: String,
    downstream: String,
    upstream: String,
    term: String,
    one_time: String,
    monthly: String,
    lead_time: String,
}

/// The form as filled in (or as the quote stands, to revise it).
#[derive(Default)]
struct Draft {
    organization_id: String,
    reference: String,
    contract_account_id: String,
    delivery_account_id: String,
    title: String,
    currency: String,
    valid_until: String,
    note: String,
    lines: Vec<LineFields>,
}

/// The most lines the form offers (the operations API and the import take up
/// to 200).
const FORM_LINES: usize = 20;

/// Room for this many more lines than the quote has.
const SPARE_LINES: usize = 2;

impl Draft {
    fn of(quote: &Quote) -> Draft {
        Draft {
            title: quote.title.clone(),
            currency: quote.currency.clone(),
            valid_until: quote.valid_until.clone(),
            note: quote.note.clone(),
            lines: quote
                .lines
                .iter()
                .map(|l| LineFields {
                    site_id: l.site_id.clone(),
                    product: l.product.clone(),
                    service_type: l.service_type.as_str().to_owned(),
                    downstream: l.downstream_mbps.to_string(),
                    upstream: l.upstream_mbps.to_string(),
                    term: l.term_months.to_string(),
                    one_time: l.one_time_price.to_string(),
                    monthly: l.monthly_price.to_string(),
                    lead_time: l.lead_time_days.map(|d| d.to_string()).unwrap_or_default(),
                })
                .collect(),
            ..Draft::default()
        }
    }

    fn read(fields: &FormFields) -> Draft {
        let text = |name: &str| fields.text(name).trim().to_owned();
        let lines = (0..FORM_LINES)
            .map(|n| LineFields {
                site_id: text(&format!("line{n}_site")),
                product: text(&format!("line{n}_product")),
                service_type: text(&format!("line{n}_type")),
                downstream: text(&format!("line{n}_down")),
                upstream: text(&format!("line{n}_up")),
                term: text(&format!("line{n}_term")),
                one_time: text(&format!("line{n}_one_time")),
                monthly: text(&format!("line{n}_monthly")),
                lead_time: text(&format!("line{n}_lead")),
            })
            .filter(|l| !(l.site_id.is_empty() && l.product.is_empty()))
            .collect();
        Draft {
            organization_id: text("organization_id"),
            reference: text("reference"),
            contract_account_id: text("contract_account_id"),
            delivery_account_id: text("delivery_account_id"),
            title: text("title"),
            currency: text("currency").to_uppercase(),
            valid_until: text("valid_until"),
            note: text("note"),
            lines,
        }
    }

    /// The rows the form shows: the lines, then empty ones to add more.
    fn rows(mut self) -> Draft {
        let spare = (self.lines.len() + SPARE_LINES).min(FORM_LINES);
        while self.lines.len() < spare.max(1) {
            self.lines.push(LineFields::default());
        }
        self
    }

    /// The content, or every field that is not even of the right shape.
    fn content(&self) -> Result<Content, ApiError> {
        let mut errors = Vec::new();
        let number = |errors: &mut Vec<FieldError>, pointer: String, text: &str| -> i64 {
            if text.is_empty() {
                return 0;
            }
            text.parse().unwrap_or_else(|_| {
                errors.push(FieldError::new(
                    pointer,
                    "invalid_number",
                    "a whole number, please",
                ));
                0
            })
        };
        let mut lines = Vec::new();
        for (n, l) in self.lines.iter().enumerate() {
            let site_id = IdKind::Site.parse(&l.site_id).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    format!("/lines/{n}/siteId"),
                    "invalid_id",
                    "a site id such as SITE-000001",
                ));
                0
            });
            let service_type = ServiceType::parse(&l.service_type).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    format!("/lines/{n}/serviceType"),
                    "unknown_value",
                    format!("one of {}", ServiceType::NAMES.join(", ")),
                ));
                ServiceType::GlobalInternet
            });
            lines.push(LineDraft {
                site_id,
                product: l.product.clone(),
                service_type,
                downstream_mbps: number(
                    &mut errors,
                    format!("/lines/{n}/downstreamMbps"),
                    &l.downstream,
                ),
                upstream_mbps: number(&mut errors, format!("/lines/{n}/upstreamMbps"), &l.upstream),
                term_months: number(&mut errors, format!("/lines/{n}/termMonths"), &l.term),
                one_time_price: l.one_time.clone(),
                monthly_price: l.monthly.clone(),
                lead_time_days: (!l.lead_time.is_empty()).then(|| {
                    number(
                        &mut errors,
                        format!("/lines/{n}/leadTimeDays"),
                        &l.lead_time,
                    )
                }),
            });
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(Content {
            title: self.title.clone(),
            currency: self.currency.clone(),
            valid_until: self.valid_until.clone(),
            note: self.note.clone(),
            lines,
        })
    }
}

#[derive(Template)]
#[template(path = "portal/staff/quote_form.html")]
struct FormPage {
    layout: crate::portal::layout::Layout,
    /// `None`: a new quote; otherwise the quote revised.
    quote: Option<Quote>,
    draft: Draft,
    service_types: &'static [&'static str],
    error: String,
}

fn form_page(
    session: &StaffSession,
    quote: Option<Quote>,
    draft: Draft,
    status: StatusCode,
    error: String,
) -> Result<Response, PortalError> {
    let title = match &quote {
        Some(q) => format!("Revise quote {}", q.quote_reference),
        None => "New quote".to_owned(),
    };
    let mut response = render::page(&FormPage {
        layout: layout(session, title, "quotes"),
        quote,
        draft: draft.rows(),
        service_types: ServiceType::NAMES,
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn new_form(session: StaffSession) -> Result<Response, PortalError> {
    let draft = Draft {
        currency: "EUR".into(),
        valid_until: (time::OffsetDateTime::now_utc().date() + time::Duration::days(30))
            .to_string(),
        ..Draft::default()
    };
    form_page(&session, None, draft, StatusCode::OK, String::new())
}

/// Writes the new quote (a draft, or sent at once with "Save and send").
pub async fn create(
    State(state): State<AppState>,
    CsrfForm(session, fields): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    let draft = Draft::read(&fields);
    let actor = CaseActor::staff(&session.staff);
    let result = async {
        let content = draft.content()?;
        let id = |kind: IdKind, pointer: &str, text: &str| {
            kind.parse(text).ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    pointer,
                    "invalid_id",
                    format!("not a {} id", kind.prefix()),
                )])
            })
        };
        let plan = QuotePlan {
            org_id: id(
                IdKind::Organization,
                "/organizationId",
                &draft.organization_id,
            )?,
            reference: draft.reference.clone(),
            contract_account_id: id(
                IdKind::Account,
                "/contractAccountId",
                &draft.contract_account_id,
            )?,
            delivery_account_id: id(
                IdKind::Account,
                "/deliveryAccountId",
                &draft.delivery_account_id,
            )?,
            content,
        };
        service::create(&state, &actor, &plan, fields.get("send") == Some("yes")).await
    }
    .await;
    match result {
        Ok(row) => Ok(
            Redirect::to(&format!("/staff/quotes/{}", IdKind::Quote.format(row.id)))
                .into_response(),
        ),
        Err(error) => {
            let (status, text) = fixable(error)?;
            form_page(&session, None, draft, status, text)
        }
    }
}

pub async fn revise_form(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = service::any(&state.db, &id).await?;
    let quote = service::view(&state.db, &row).await?;
    let draft = Draft::of(&quote);
    form_page(&session, Some(quote), draft, StatusCode::OK, String::new())
}

pub async fn revise(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(session, fields): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    let row = service::any(&state.db, &id).await?;
    let draft = Draft::read(&fields);
    let actor = CaseActor::staff(&session.staff);
    let result = match draft.content() {
        Ok(content) => service::revise(&state, &actor, &row, &content).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/staff/quotes/{id}")).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            let quote = service::view(&state.db, &row).await?;
            form_page(&session, Some(quote), draft, status, text)
        }
    }
}

#[derive(Template)]
#[template(path = "portal/staff/quote.html")]
struct ShowPage {
    layout: crate::portal::layout::Layout,
    quote: Quote,
    is_draft: bool,
    may_revise: bool,
    may_withdraw: bool,
    error: String,
}

async fn show_page(
    state: &AppState,
    session: &StaffSession,
    id: &str,
    status: StatusCode,
    error: String,
) -> Result<Response, PortalError> {
    let row = service::any(&state.db, id).await?;
    let quote = service::view(&state.db, &row).await?;
    let mut response = render::page(&ShowPage {
        layout: layout(
            session,
            format!("{}: quote {}", quote.quote_id, quote.quote_reference),
            "quotes",
        ),
        is_draft: row.status == QuoteStatus::Draft,
        may_revise: row.status.may_revise(),
        may_withdraw: row.status.may_move(
            QuoteStatus::Withdrawn,
            oneportal_domain::case::Mover::Provider,
        ),
        error,
        quote,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn show(
    State(state): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    show_page(&state, &session, &id, StatusCode::OK, String::new()).await
}

pub async fn document(
    State(state): State<AppState>,
    _session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let row = service::any(&state.db, &id).await?;
    Ok(crate::documents::downloads::quote_pdf(&state, &row).await?)
}

/// Send the draft, or withdraw the quote: the last path segment says which.
pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    CsrfForm(session, fields): CsrfForm<StaffSession>,
) -> Result<Response, PortalError> {
    let row = service::any(&state.db, &id).await?;
    let actor = CaseActor::staff(&session.staff);
    let result = match action.as_str() {
        "send" => service::send(&state, &actor, &row).await,
        "withdraw" => service::withdraw(&state, &actor, &row, &fields.text("reason")).await,
        _ => return Err(PortalError::NotFound),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/staff/quotes/{id}")).into_response()),
        Err(error) => {
            let (status, text) = fixable(error)?;
            show_page(&state, &session, &id, status, text).await
        }
    }
}
