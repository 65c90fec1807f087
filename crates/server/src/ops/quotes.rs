//! Quotes as the provider's staff write them: a draft, sent to the customer,
//! revised (each revision of a quote the customer saw is a new version, sent
//! at once), withdrawn; the PDF of the current version.

use axum::Json;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oneportal_domain::catalog::ServiceType;
use oneportal_domain::ids::IdKind;
use oneportal_store::quotes::QUOTES;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Staff;
use crate::http::json::ApiJson;
use crate::http::pagination::{Page, page_response, parse_list_query};
use crate::http::problem::Problem;
use crate::http::{ApiError, FieldError};
use crate::models::quote::Quote;
use crate::services::quotes::{self as service, Content, LineDraft, QuotePlan};
use crate::state::AppState;

/// One service offered at one site.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteLineBody {
    #[schema(example = "SITE-000001")]
    pub site_id: String,
    /// The product as offered: `Dedicated Internet Access 500 Mbit/s`.
    #[schema(min_length = 1, max_length = 200)]
    pub product: String,
    pub service_type: ServiceType,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub downstream_mbps: i64,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub upstream_mbps: i64,
    /// The contract term in months.
    #[schema(minimum = 1, maximum = 120, example = 36)]
    pub term_months: i64,
    /// Decimal text, at most two decimals, before tax.
    #[schema(example = "1500.00")]
    pub one_time_price: String,
    #[schema(example = "850.00")]
    pub monthly_price: String,
    /// Days from acceptance to ready for service; it plans the order's `ReadyForService`.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 730)]
    pub lead_time_days: Option<i64>,
}

/// What a version of a quote says.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteContentBody {
    #[schema(min_length = 1, max_length = 200, example = "Two new branch offices")]
    pub title: String,
    /// ISO 4217.
    #[schema(example = "EUR")]
    pub currency: String,
    /// `YYYY-MM-DD`: the last day it may be accepted.
    #[schema(example = "2026-12-31")]
    pub valid_until: String,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub note: String,
    pub lines: Vec<QuoteLineBody>,
}

/// A new quote.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewQuoteBody {
    #[schema(example = "ORG-000001")]
    pub organization_id: String,
    /// The provider's quote number; unique. Accepting the quote places an
    /// order with the same reference.
    #[schema(min_length = 1, max_length = 100, example = "Q-2026-0042")]
    pub quote_reference: String,
    #[schema(example = "ACC-000001")]
    pub contract_account_id: String,
    #[schema(example = "ACC-000003")]
    pub delivery_account_id: String,
    /// What version 1 says (the same object `PUT /ops/v1/quotes/{quoteId}` takes).
    pub content: QuoteContentBody,
    /// Send it to the customer at once instead of keeping a draft.
    #[serde(default)]
    pub send: bool,
}

/// Why the quote is withdrawn.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawQuoteBody {
    /// The customer reads it.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

fn id(errors: &mut Vec<FieldError>, kind: IdKind, pointer: String, text: &str) -> i64 {
    kind.parse(text).unwrap_or_else(|| {
        errors.push(FieldError::new(
            pointer,
            "invalid_id",
            format!("not a {} id", kind.prefix()),
        ));
        0
    })
}

/// The content, or every site id of the wrong shape named by its field.
pub fn content_of(body: QuoteContentBody, errors: &mut Vec<FieldError>, under: &str) -> Content {
    let lines = body
        .lines
        .into_iter()
        .enumerate()
        .map(|(n, line)| LineDraft {
            site_id: id(
                errors,
                IdKind::Site,
                format!("{under}/lines/{n}/siteId"),
                &line.site_id,
            ),
            product: line.product,
            service_type: line.service_type,
            downstream_mbps: line.downstream_mbps,
            upstream_mbps: line.upstream_mbps,
            term_months: line.term_months,
            one_time_price: line.one_time_price,
            monthly_price: line.monthly_price,
            lead_time_days: line.lead_time_days,
        })
        .collect();
    Content {
        title: body.title,
        currency: body.currency,
        valid_until: body.valid_until,
        note: body.note,
        lines,
    }
}

/// Create a quote.
#[utoipa::path(post, path = "/ops/v1/quotes", operation_id = "create_quote", tag = "Quotes", security(("staffToken" = [])),
    request_body = NewQuoteBody,
    description = "Writes the quote as a draft (version 1), which the customer does not see; with `send: true` it is sent at once (`quote.sent`), \
        and must then be valid today.",
    responses((status = 201, body = Quote), (status = 409, description = "The quote reference is taken", body = Problem),
        (status = 422, description = "A field needs attention; `errors[].pointer` names it", body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(body): ApiJson<NewQuoteBody>,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let org_id = id(
        &mut errors,
        IdKind::Organization,
        "/organizationId".into(),
        &body.organization_id,
    );
    let contract = id(
        &mut errors,
        IdKind::Account,
        "/contractAccountId".into(),
        &body.contract_account_id,
    );
    let delivery = id(
        &mut errors,
        IdKind::Account,
        "/deliveryAccountId".into(),
        &body.delivery_account_id,
    );
    let content = content_of(body.content, &mut errors, "/content");
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let plan = QuotePlan {
        org_id,
        reference: body.quote_reference,
        contract_account_id: contract,
        delivery_account_id: delivery,
        content,
    };
    let row = service::create(&state, &staff.case_actor(), &plan, body.send).await?;
    Ok((
        StatusCode::CREATED,
        Json(service::view(&state.db, &row).await?),
    )
        .into_response())
}

/// List every quote.
#[utoipa::path(get, path = "/ops/v1/quotes", operation_id = "list_all_quotes", tag = "Quotes", security(("staffToken" = [])),
    description = "Every organization's quotes, drafts too. Filters, sort and paging as for `GET /v2/quotes`.",
    responses((status = 200, body = Page<Quote>), (status = 400, description = "Unknown parameter, filter value or sort key", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list_query(&QUOTES, raw.as_deref())?;
    let page = service::page(&state.db, None, &query).await?;
    Ok(page_response::<_, Quote>(
        &state.public_url,
        &uri,
        &query,
        page,
    ))
}

/// Get a quote.
#[utoipa::path(get, path = "/ops/v1/quotes/{quoteId}", operation_id = "get_any_quote", tag = "Quotes", security(("staffToken" = [])),
    params(("quoteId" = String, Path, description = "QUO-000001")),
    responses((status = 200, body = Quote), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = service::any(&state.db, &id).await?;
    Ok(Json(service::view(&state.db, &row).await?).into_response())
}

/// Revise a quote.
#[utoipa::path(put, path = "/ops/v1/quotes/{quoteId}", operation_id = "revise_quote", tag = "Quotes", security(("staffToken" = [])),
    params(("quoteId" = String, Path, description = "QUO-000001")), request_body = QuoteContentBody,
    description = "Replaces the quote's content. A draft changes in place. A sent or expired quote gets a new version, sent at once (`quote.sent`), \
        which must be valid today: the customer can then accept only that version.",
    responses((status = 200, body = Quote), (status = 404, body = Problem),
        (status = 409, description = "The quote was answered or withdrawn, or changed meanwhile", body = Problem),
        (status = 422, body = Problem)))]
pub async fn revise(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<QuoteContentBody>,
) -> Result<Response, ApiError> {
    let row = service::any(&state.db, &id).await?;
    let mut errors = Vec::new();
    let content = content_of(body, &mut errors, "");
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let row = service::revise(&state, &staff.case_actor(), &row, &content).await?;
    Ok(Json(service::view(&state.db, &row).await?).into_response())
}

/// Send a draft quote.
#[utoipa::path(post, path = "/ops/v1/quotes/{quoteId}/send", operation_id = "send_quote", tag = "Quotes", security(("staffToken" = [])),
    params(("quoteId" = String, Path, description = "QUO-000001")),
    description = "Shows the draft to the customer (`quote.sent`, and an e-mail to those who follow or approve orders).",
    responses((status = 200, body = Quote), (status = 404, body = Problem),
        (status = 409, description = "Not a draft, or its validity has passed", body = Problem)))]
pub async fn send(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = service::any(&state.db, &id).await?;
    let row = service::send(&state, &staff.case_actor(), &row).await?;
    Ok(Json(service::view(&state.db, &row).await?).into_response())
}

/// Withdraw a quote.
#[utoipa::path(post, path = "/ops/v1/quotes/{quoteId}/withdraw", operation_id = "withdraw_quote", tag = "Quotes", security(("staffToken" = [])),
    params(("quoteId" = String, Path, description = "QUO-000001")), request_body = WithdrawQuoteBody,
    description = "A quote not answered yet (draft, sent or expired). The customer gets `quote.withdrawn` with the reason, unless it was a draft.",
    responses((status = 200, body = Quote), (status = 404, body = Problem),
        (status = 409, description = "The quote was answered or withdrawn", body = Problem), (status = 422, body = Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WithdrawQuoteBody>,
) -> Result<Response, ApiError> {
    let row = service::any(&state.db, &id).await?;
    let row = service::withdraw(&state, &staff.case_actor(), &row, &body.reason).await?;
    Ok(Json(service::view(&state.db, &row).await?).into_response())
}

/// Download a quote's PDF.
#[utoipa::path(get, path = "/ops/v1/quotes/{quoteId}/document", operation_id = "get_any_quote_document", tag = "Quotes", security(("staffToken" = [])),
    params(("quoteId" = String, Path, description = "QUO-000001")),
    responses((status = 200, description = "The current version as a PDF document", content_type = "application/pdf", body = inline(crate::documents::BinaryFile)),
        (status = 404, body = Problem)))]
pub async fn document(
    State(state): State<AppState>,
    _staff: Staff,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = service::any(&state.db, &id).await?;
    crate::documents::downloads::quote_pdf(&state, &row).await
}
