//! Quotes (PRODUCT §10): the provider writes a quote (a draft), sends it, and
//! may revise it; each revision the customer could have seen is a new version.
//! A person holding `Orders (Approve)` accepts the exact version they read,
//! with their password, which places the order in the same transaction, or
//! declines it with a reason. A quote whose last valid day passed expires.
//! Every step is audited and an event, in the transaction of the change.

use oneportal_domain::case::Mover;
use oneportal_domain::catalog::ServiceType;
use oneportal_domain::event::EventType;
use oneportal_domain::ids::IdKind;
use oneportal_domain::invoice::Money;
use oneportal_domain::order::{Milestone, Refused};
use oneportal_domain::query::{ListQuery, parse_day};
use oneportal_domain::quote::{
    self as rules, MAX_LEAD_TIME_DAYS, MAX_LINES, MAX_TERM_MONTHS, QuoteStatus, check_answer,
};
use oneportal_store::catalog::{self, AccessScope};
use oneportal_store::listing::ListPage;
use oneportal_store::orders::OrderRow;
use oneportal_store::quotes::{self, Answer, NewLine, NewQuote, QuoteRow, VersionTerms};
use oneportal_store::{Exec, StoreError, Tx, now_ms};
use serde_json::json;

use super::cases::CaseActor;
use super::orders::{self, LinePlan, OrderPlan};
use super::{commit_audited, events};
use crate::audit::Event;
use crate::cluster::Change;
use crate::http::public_id::{id_of, not_found};
use crate::http::time::rfc3339;
use crate::http::{ApiError, FieldError};
use crate::models::event::QuoteNotice;
use crate::models::quote::Quote;
use crate::state::AppState;

const WHAT: &str = "quote";

/// One service offered, as the provider writes it (prices as decimal text).
#[derive(Debug, Clone)]
pub struct LineDraft {
    pub site_id: i64,
    pub product: String,
    pub service_type: ServiceType,
    pub downstream_mbps: i64,
    pub upstream_mbps: i64,
    pub term_months: i64,
    pub one_time_price: String,
    pub monthly_price: String,
    pub lead_time_days: Option<i64>,
}

/// What a version of a quote says.
#[derive(Debug, Clone)]
pub struct Content {
    pub title: String,
    pub currency: String,
    /// `YYYY-MM-DD`: the last day it may be accepted.
    pub valid_until: String,
    pub note: String,
    pub lines: Vec<LineDraft>,
}

/// A new quote for an organization.
#[derive(Debug, Clone)]
pub struct QuotePlan {
    pub org_id: i64,
    pub reference: String,
    pub contract_account_id: i64,
    pub delivery_account_id: i64,
    pub content: Content,
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// The quote the scope sees (sent or answered, on its accounts), or a 404
/// that does not tell whether it exists.
pub async fn visible(db: &impl Exec, scope: &AccessScope, id: &str) -> Result<QuoteRow, ApiError> {
    let number = id_of(IdKind::Quote, id, WHAT)?;
    quotes::find(db, Some(scope), number)
        .await?
        .ok_or_else(|| not_found(WHAT))
}

/// Any organization's quote, drafts too, for the provider's staff.
pub async fn any(db: &impl Exec, id: &str) -> Result<QuoteRow, ApiError> {
    let missing = || ApiError::not_found(format!("no quote '{id}'"));
    let number = IdKind::Quote.parse(id).ok_or_else(missing)?;
    quotes::find(db, None, number).await?.ok_or_else(missing)
}

/// The quotes as the API shows them, each in its current version.
pub async fn views(db: &impl Exec, rows: &[QuoteRow]) -> Result<Vec<Quote>, StoreError> {
    let versions: Vec<(i64, i64)> = rows.iter().map(|r| (r.id, r.version)).collect();
    let lines = quotes::lines(db, &versions).await?;
    Ok(rows.iter().map(|row| Quote::new(row, &lines)).collect())
}

/// One quote as the API shows it.
pub async fn view(db: &impl Exec, row: &QuoteRow) -> Result<Quote, StoreError> {
    Ok(views(db, std::slice::from_ref(row)).await?.remove(0))
}

/// A page of the quotes the scope sees (`None`: every organization's, drafts too).
pub async fn page(
    db: &impl Exec,
    scope: Option<&AccessScope>,
    query: &ListQuery,
) -> Result<ListPage<Quote>, StoreError> {
    let page = quotes::list(db, scope, query).await?;
    Ok(ListPage {
        rows: views(db, &page.rows).await?,
        total: page.total,
        total_exact: page.total_exact,
        next_cursor: page.next_cursor,
    })
}

/// A version's content, checked, with its prices read.
struct Checked {
    lines: Vec<(LineDraft, Money, Money)>,
}

impl Checked {
    fn new_lines(&self) -> Vec<NewLine<'_>> {
        self.lines
            .iter()
            .map(|(l, one_time, monthly)| NewLine {
                site_id: l.site_id,
                product: l.product.trim(),
                service_type: l.service_type,
                downstream_mbps: l.downstream_mbps,
                upstream_mbps: l.upstream_mbps,
                term_months: l.term_months,
                one_time_price: *one_time,
                monthly_price: *monthly,
                lead_time_days: l.lead_time_days,
            })
            .collect()
    }
}

fn text_error(errors: &mut Vec<FieldError>, pointer: String, text: &str, max: usize) {
    if text.trim().is_empty() || text.chars().count() > max {
        errors.push(FieldError::new(
            pointer,
            "invalid_text",
            format!("1 to {max} characters, please"),
        ));
    }
}

/// Checks a version's content for the organization: sites are its own, prices
/// are amounts with at most two decimals and not negative, terms and lead
/// times in range; a quote about to be shown must still be valid today.
/// Every problem is named by its field.
async fn check_content(
    db: &impl Exec,
    org_id: i64,
    content: &Content,
    errors: &mut Vec<FieldError>,
) -> Result<Checked, StoreError> {
    let scope = AccessScope::whole_organization(org_id);
    text_error(errors, "/title".into(), &content.title, 200);
    if content.note.chars().count() > 4000 {
        errors.push(FieldError::new(
            "/note",
            "invalid_text",
            "at most 4000 characters, please",
        ));
    }
    if !rules::is_currency_code(&content.currency) {
        errors.push(FieldError::new(
            "/currency",
            "invalid_currency",
            "an ISO 4217 currency code in capitals, such as EUR",
        ));
    }
    if parse_day(&content.valid_until).is_none() {
        errors.push(FieldError::new(
            "/validUntil",
            "invalid_date",
            "write the last valid day as YYYY-MM-DD",
        ));
    }
    if content.lines.is_empty() || content.lines.len() > MAX_LINES {
        errors.push(FieldError::new(
            "/lines",
            "invalid_lines",
            format!("a quote has 1 to {MAX_LINES} lines"),
        ));
    }
    let mut lines = Vec::new();
    for (n, line) in content.lines.iter().enumerate() {
        if catalog::find_site(db, &scope, line.site_id)
            .await?
            .is_none()
        {
            errors.push(FieldError::new(
                format!("/lines/{n}/siteId"),
                "unknown_site",
                "not a site of the quote's organization",
            ));
        }
        text_error(errors, format!("/lines/{n}/product"), &line.product, 200);
        for (key, value) in [
            ("downstreamMbps", line.downstream_mbps),
            ("upstreamMbps", line.upstream_mbps),
        ] {
            if !(0..=1_000_000).contains(&value) {
                errors.push(FieldError::new(
                    format!("/lines/{n}/{key}"),
                    "out_of_range",
                    "from 0 to 1000000 Mbit/s",
                ));
            }
        }
        if !(1..=MAX_TERM_MONTHS).contains(&line.term_months) {
            errors.push(FieldError::new(
                format!("/lines/{n}/termMonths"),
                "out_of_range",
                format!("a contract term is 1 to {MAX_TERM_MONTHS} months"),
            ));
        }
        if line
            .lead_time_days
            .is_some_and(|d| !(1..=MAX_LEAD_TIME_DAYS).contains(&d))
        {
            errors.push(FieldError::new(
                format!("/lines/{n}/leadTimeDays"),
                "out_of_range",
                format!("a lead time is 1 to {MAX_LEAD_TIME_DAYS} days"),
            ));
        }
        let mut price = |key: &str, text: &str| match Money::parse(text) {
            Ok(money) if money >= Money::ZERO => money,
            Ok(_) => {
                errors.push(FieldError::new(
                    format!("/lines/{n}/{key}"),
                    "invalid_amount",
                    "a price is not negative",
                ));
                Money::ZERO
            }
            Err(error) => {
                errors.push(FieldError::new(
                    format!("/lines/{n}/{key}"),
                    error.code,
                    error.message,
                ));
                Money::ZERO
            }
        };
        let one_time = price("oneTimePrice", &line.one_time_price);
        let monthly = price("monthlyPrice", &line.monthly_price);
        lines.push((line.clone(), one_time, monthly));
    }
    Ok(Checked { lines })
}

/// A quote shown to the customer must be valid on the day it is shown.
fn check_valid_today(content: &Content) -> Result<(), ApiError> {
    match parse_day(&content.valid_until) {
        Some(day) if rules::is_expired(day, today()) => {
            Err(ApiError::validation(vec![FieldError::new(
                "/validUntil",
                "in_the_past",
                format!("{day} has passed: a quote shown to the customer must still be valid"),
            )]))
        }
        _ => Ok(()),
    }
}

fn terms<'a>(content: &'a Content, actor: &'a CaseActor) -> VersionTerms<'a> {
    VersionTerms {
        title: content.title.trim(),
        currency: &content.currency,
        valid_until: &content.valid_until,
        note: content.note.trim(),
        created_by: &actor.name,
    }
}

/// Writes a draft, which the customer does not see; with `send`, sends it at
/// once (then it must be valid today, which is checked before anything is
/// written). Errors in the content point under `/content`, as in the
/// operations API's body.
pub async fn create(
    state: &AppState,
    actor: &CaseActor,
    plan: &QuotePlan,
    send_now: bool,
) -> Result<QuoteRow, ApiError> {
    let mut errors = Vec::new();
    text_error(&mut errors, "/quoteReference".into(), &plan.reference, 100);
    let scope = AccessScope::whole_organization(plan.org_id);
    orders::check_accounts(
        &state.db,
        &scope,
        (plan.contract_account_id, plan.delivery_account_id),
        &mut errors,
    )
    .await?;
    let mut content_errors = Vec::new();
    let checked = check_content(&state.db, plan.org_id, &plan.content, &mut content_errors).await?;
    errors.extend(content_errors.into_iter().map(|mut e| {
        e.pointer = format!("/content{}", e.pointer);
        e
    }));
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if send_now {
        check_valid_today(&plan.content).map_err(|_| {
            ApiError::validation(vec![FieldError::new(
                "/content/validUntil",
                "in_the_past",
                format!(
                    "{} has passed: a quote sent to the customer must still be valid",
                    plan.content.valid_until
                ),
            )])
        })?;
    }
    let at = now_ms();
    let tx = state.db.begin().await?;
    let new = NewQuote {
        org_id: plan.org_id,
        reference: plan.reference.trim(),
        contract_account_id: plan.contract_account_id,
        delivery_account_id: plan.delivery_account_id,
        at,
    };
    let id = match quotes::insert(
        &tx,
        &new,
        &terms(&plan.content, actor),
        &checked.new_lines(),
    )
    .await
    {
        Ok(id) => id,
        Err(error) if error.is_conflict_on("quotes") => {
            return Err(ApiError::conflict(
                "quote_reference_taken",
                format!(
                    "a quote with the reference '{}' exists",
                    plan.reference.trim()
                ),
            ));
        }
        Err(error) => return Err(error.into()),
    };
    let audit = Event::new(actor.audit.clone(), "quote.created")
        .target("quote", IdKind::Quote.format(id))
        .org(Some(plan.org_id))
        .details(json!({
            "reference": plan.reference.trim(),
            "lines": plan.content.lines.len(),
            "currency": plan.content.currency,
        }));
    commit_audited(state, tx, audit, Change::Events { orgs: vec![] }).await?;
    let row = reread(&state.db, id).await?;
    if send_now {
        return send(state, actor, &row).await;
    }
    Ok(row)
}

async fn reread(db: &impl Exec, id: i64) -> Result<QuoteRow, ApiError> {
    quotes::find(db, None, id)
        .await?
        .ok_or_else(|| ApiError::Internal("the quote vanished".into()))
}

fn refused(row: &QuoteRow, reason: Refused) -> ApiError {
    ApiError::conflict(
        "quote_refused",
        format!("{}: {}", IdKind::Quote.format(row.id), reason.0),
    )
}

fn changed(row: &QuoteRow) -> ApiError {
    ApiError::conflict(
        "quote_changed",
        format!(
            "{} changed while you were looking at it; reload it and try again",
            IdKind::Quote.format(row.id)
        ),
    )
}

/// Rewrites the quote. A draft is changed in place; a sent or expired quote
/// gets a new version, which is sent at once (an expired one is thereby
/// re-issued) and must be valid today: the customer answers that version now.
pub async fn revise(
    state: &AppState,
    actor: &CaseActor,
    row: &QuoteRow,
    content: &Content,
) -> Result<QuoteRow, ApiError> {
    if !row.status.may_revise() {
        return Err(refused(
            row,
            Refused(format!(
                "the quote is {}: only a draft, sent or expired quote can be revised",
                row.status
            )),
        ));
    }
    let mut errors = Vec::new();
    let checked = check_content(&state.db, row.org_id, content, &mut errors).await?;
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if row.status != QuoteStatus::Draft {
        check_valid_today(content)?;
    }
    let at = now_ms();
    let tx = state.db.begin().await?;
    if !quotes::revise(&tx, row, &terms(content, actor), &checked.new_lines(), at).await? {
        return Err(changed(row));
    }
    let shown = row.status != QuoteStatus::Draft;
    if shown && !quotes::send(&tx, row.id, row.version + 1, row.status, at).await? {
        return Err(changed(row));
    }
    let now = reread(&tx, row.id).await?;
    if shown {
        emit(state, &tx, &now, EventType::QuoteSent, &actor.name).await?;
    }
    let audit = Event::new(actor.audit.clone(), "quote.revised")
        .target("quote", IdKind::Quote.format(row.id))
        .org(Some(row.org_id))
        .details(json!({
            "version": now.version,
            "previousVersion": row.version,
            "sent": shown,
            "lines": content.lines.len(),
        }));
    commit(state, tx, audit, row.org_id).await?;
    reread(&state.db, row.id).await
}

/// Shows a draft to the customer: `quote.sent`, and the e-mail to those who approve orders.
pub async fn send(
    state: &AppState,
    actor: &CaseActor,
    row: &QuoteRow,
) -> Result<QuoteRow, ApiError> {
    if row.status != QuoteStatus::Draft {
        return Err(refused(
            row,
            Refused(format!(
                "the quote is {}: only a draft is sent (revise an expired quote to re-issue it)",
                row.status
            )),
        ));
    }
    if let Some(day) = parse_day(&row.valid_until)
        && rules::is_expired(day, today())
    {
        return Err(refused(
            row,
            Refused(format!(
                "its last valid day, {day}, has passed: revise it with a new validity first"
            )),
        ));
    }
    let at = now_ms();
    let tx = state.db.begin().await?;
    if !quotes::send(&tx, row.id, row.version, QuoteStatus::Draft, at).await? {
        return Err(changed(row));
    }
    let now = reread(&tx, row.id).await?;
    emit(state, &tx, &now, EventType::QuoteSent, &actor.name).await?;
    let audit = Event::new(actor.audit.clone(), "quote.sent")
        .target("quote", IdKind::Quote.format(row.id))
        .org(Some(row.org_id))
        .details(json!({ "version": row.version, "validUntil": row.valid_until }));
    commit(state, tx, audit, row.org_id).await?;
    reread(&state.db, row.id).await
}

/// Takes back a quote not answered yet, with the reason the customer reads.
pub async fn withdraw(
    state: &AppState,
    actor: &CaseActor,
    row: &QuoteRow,
    reason: &str,
) -> Result<QuoteRow, ApiError> {
    let reason = required_reason(reason, "why the quote is withdrawn")?;
    if !row.status.may_move(QuoteStatus::Withdrawn, Mover::Provider) {
        return Err(refused(
            row,
            Refused(format!(
                "the quote is {}: only a quote not answered yet can be withdrawn",
                row.status
            )),
        ));
    }
    let at = now_ms();
    let tx = state.db.begin().await?;
    if !quotes::move_status(
        &tx,
        row.id,
        (row.status, QuoteStatus::Withdrawn),
        reason,
        at,
    )
    .await?
    {
        return Err(changed(row));
    }
    let now = reread(&tx, row.id).await?;
    // A draft was never shown: withdrawing it tells nobody.
    if row.status.is_shown() {
        emit(state, &tx, &now, EventType::QuoteWithdrawn, &actor.name).await?;
    }
    let audit = Event::new(actor.audit.clone(), "quote.withdrawn")
        .target("quote", IdKind::Quote.format(row.id))
        .org(Some(row.org_id))
        .details(json!({ "version": row.version, "reason": reason }));
    commit(state, tx, audit, row.org_id).await?;
    reread(&state.db, row.id).await
}

fn required_reason<'a>(reason: &'a str, what: &str) -> Result<&'a str, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApiError::validation(vec![FieldError::new(
            "/reason",
            "required",
            format!("say {what} (1 to 2000 characters)"),
        )]));
    }
    Ok(reason)
}

/// How a person answers: the version they read, from where.
pub struct Answering<'a> {
    pub actor: &'a CaseActor,
    /// The version the person read (the form carries it).
    pub version: i64,
    pub ip: Option<String>,
}

/// Accepts the version the person read, and places its order in the same
/// transaction: the services appear in delivery at once. Only one answer ever
/// wins: a second acceptance at the same moment finds the quote answered.
/// The caller has checked the person's permission and password.
pub async fn accept(
    state: &AppState,
    row: &QuoteRow,
    answering: &Answering<'_>,
    purchase_order: &str,
) -> Result<(QuoteRow, OrderRow), ApiError> {
    let purchase_order = purchase_order.trim();
    if purchase_order.chars().count() > 100 {
        return Err(ApiError::validation(vec![FieldError::new(
            "/purchaseOrder",
            "invalid_text",
            "at most 100 characters, please",
        )]));
    }
    check_answerable(row, answering.version)?;
    let at = now_ms();
    let tx = state.db.begin().await?;
    let answer = Answer {
        to: QuoteStatus::Accepted,
        version: answering.version,
        by: &answering.actor.name,
        ip: answering.ip.as_deref(),
        reason: "",
        at,
    };
    if !quotes::answer(&tx, row.id, &answer).await? {
        return Err(answered_meanwhile(state, row).await);
    }
    let plan = order_plan(&tx, row, purchase_order).await?;
    let order = orders::place_in(state, &tx, answering.actor, &plan).await?;
    quotes::set_order(&tx, row.id, order.id).await?;
    let now = reread(&tx, row.id).await?;
    emit(
        state,
        &tx,
        &now,
        EventType::QuoteAccepted,
        &answering.actor.name,
    )
    .await?;
    let audit = Event::new(answering.actor.audit.clone(), "quote.accepted")
        .target("quote", IdKind::Quote.format(row.id))
        .org(Some(row.org_id))
        .details(json!({
            "version": answering.version,
            "ip": answering.ip,
            "orderId": IdKind::Order.format(order.id),
            "purchaseOrder": purchase_order,
            "currency": row.currency,
            "validUntil": row.valid_until,
        }));
    commit(state, tx, audit, row.org_id).await?;
    Ok((reread(&state.db, row.id).await?, order))
}

/// Declines the version the person read, with their reason.
pub async fn decline(
    state: &AppState,
    row: &QuoteRow,
    answering: &Answering<'_>,
    reason: &str,
) -> Result<QuoteRow, ApiError> {
    let reason = required_reason(reason, "why you decline it: the provider reads it")?;
    check_answerable(row, answering.version)?;
    let at = now_ms();
    let tx = state.db.begin().await?;
    let answer = Answer {
        to: QuoteStatus::Declined,
        version: answering.version,
        by: &answering.actor.name,
        ip: answering.ip.as_deref(),
        reason,
        at,
    };
    if !quotes::answer(&tx, row.id, &answer).await? {
        return Err(answered_meanwhile(state, row).await);
    }
    let now = reread(&tx, row.id).await?;
    emit(
        state,
        &tx,
        &now,
        EventType::QuoteDeclined,
        &answering.actor.name,
    )
    .await?;
    let audit = Event::new(answering.actor.audit.clone(), "quote.declined")
        .target("quote", IdKind::Quote.format(row.id))
        .org(Some(row.org_id))
        .details(json!({ "version": answering.version, "ip": answering.ip, "reason": reason }));
    commit(state, tx, audit, row.org_id).await?;
    reread(&state.db, row.id).await
}

fn check_answerable(row: &QuoteRow, version: i64) -> Result<(), ApiError> {
    let valid_until = parse_day(&row.valid_until)
        .ok_or_else(|| ApiError::Internal("a stored validity is not a day".into()))?;
    check_answer(row.status, row.version, version, valid_until, today())
        .map_err(|reason| refused(row, reason))
}

/// Why an answer lost: somebody answered first, or the provider changed it.
async fn answered_meanwhile(state: &AppState, row: &QuoteRow) -> ApiError {
    match quotes::find(&state.db, None, row.id).await {
        Ok(Some(now)) if now.status != QuoteStatus::Sent => refused(
            &now,
            Refused(format!(
                "it was {} meanwhile{}",
                now.status.as_str().to_lowercase(),
                now.answered_by
                    .as_deref()
                    .map(|by| format!(" by {by}"))
                    .unwrap_or_default()
            )),
        ),
        Ok(Some(now)) => refused(
            &now,
            Refused(format!(
                "the quote changed since you read it: version {} replaces version {}; read it again before answering",
                now.version, row.version
            )),
        ),
        Ok(None) => not_found(WHAT),
        Err(error) => error.into(),
    }
}

/// The order an accepted quote places: its reference, accounts and lines, each
/// line's ready-for-service day planned from its lead time.
async fn order_plan(
    tx: &Tx,
    row: &QuoteRow,
    purchase_order: &str,
) -> Result<OrderPlan, StoreError> {
    let day = today();
    let lines = quotes::lines(tx, &[(row.id, row.version)]).await?;
    Ok(OrderPlan {
        org_id: row.org_id,
        reference: row.reference.clone(),
        contract_account_id: row.contract_account_id,
        delivery_account_id: row.delivery_account_id,
        purchase_order: purchase_order.to_owned(),
        received_on: Some(day.to_string()),
        lines: lines
            .into_iter()
            .map(|l| LinePlan {
                site_id: l.site_id,
                service_name: format!("{}, {}", l.product, l.site_name)
                    .chars()
                    .take(200)
                    .collect(),
                service_type: l.service_type,
                product: l.product,
                downstream_mbps: l.downstream_mbps,
                upstream_mbps: l.upstream_mbps,
                planned: l
                    .lead_time_days
                    .map(|days| {
                        let ready = day + time::Duration::days(days);
                        vec![(Milestone::ReadyForService, ready.to_string())]
                    })
                    .unwrap_or_default(),
            })
            .collect(),
    })
}

/// Expires the sent quotes whose last valid day has passed (a background task
/// runs it; each quote in its own transaction, with `quote.expired`). Returns
/// how many expired.
pub async fn expire_due(state: &AppState) -> Result<usize, StoreError> {
    let due = quotes::due_to_expire(&state.db, &today().to_string(), 100).await?;
    let mut expired = 0;
    for row in due {
        let at = now_ms();
        let tx = state.db.begin().await?;
        if !quotes::move_status(
            &tx,
            row.id,
            (QuoteStatus::Sent, QuoteStatus::Expired),
            "",
            at,
        )
        .await?
        {
            continue;
        }
        let now = quotes::find(&tx, None, row.id)
            .await?
            .unwrap_or(row.clone());
        emit(state, &tx, &now, EventType::QuoteExpired, "OnePortal").await?;
        let audit = Event::new(CaseActor::system().audit, "quote.expired")
            .target("quote", IdKind::Quote.format(row.id))
            .org(Some(row.org_id))
            .details(json!({ "version": row.version, "validUntil": row.valid_until }));
        commit(state, tx, audit, row.org_id).await?;
        expired += 1;
    }
    Ok(expired)
}

async fn emit(
    state: &AppState,
    tx: &Tx,
    row: &QuoteRow,
    event_type: EventType,
    changed_by: &str,
) -> Result<(), StoreError> {
    let id = IdKind::Quote.format(row.id);
    let data = QuoteNotice {
        event_type,
        url: events::url(state, &format!("quotes/{id}")),
        quote_id: id,
        quote_reference: row.reference.clone(),
        title: row.title.clone(),
        status: row.status,
        version: row.answered_version.unwrap_or(row.version),
        valid_until: row.valid_until.clone(),
        order_id: row.order_id.map(|o| IdKind::Order.format(o)),
        reason: (!row.reason.is_empty()).then(|| row.reason.clone()),
        changed_by: changed_by.to_owned(),
        last_modified_date: rfc3339(row.updated_at),
    };
    events::emit(tx, row.org_id, row.id, &data).await
}

async fn commit(state: &AppState, tx: Tx, audit: Event, org_id: i64) -> Result<(), StoreError> {
    commit_audited(state, tx, audit, Change::Events { orgs: vec![org_id] }).await
}
