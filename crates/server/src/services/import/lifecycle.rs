//! Quotes and orders in the import (PRODUCT §10), keyed by the provider's
//! references: checked with the rest of the document before anything is
//! written, then carried out through the same service functions as the staff
//! pages and the operations API, so every step is audited, an event and, per
//! preferences, an e-mail. Importing the same document again changes nothing.

use std::collections::HashSet;

use oneportal_domain::catalog::ServiceType;
use oneportal_domain::ids::IdKind;
use oneportal_domain::order::{Milestone, OrderStatus};
use oneportal_domain::quote::{MAX_LEAD_TIME_DAYS, MAX_TERM_MONTHS, QuoteStatus, is_currency_code};
use oneportal_store::provisioning::{self, Keyed, Upserted};
use oneportal_store::{Db, orders, quotes};

use super::check::{Findings, RefKind};
use super::document::{OrderRecord, QuoteRecord};
use crate::http::ApiError;
use crate::services::cases::CaseActor;
use crate::services::orders::{self as order_service, LinePlan, OrderPlan};
use crate::services::quotes::{self as quote_service, Content, LineDraft, QuotePlan};
use crate::state::AppState;

/// References the document defines: (organization ref, kind, ref).
pub(super) type Defined = HashSet<(String, RefKind, String)>;

/// A quote line, its site by reference.
pub(super) struct QuoteLineImport {
    site_ref: String,
    line: LineDraft,
}

pub(super) struct QuoteImport {
    reference: String,
    organization_ref: String,
    accounts: (String, String),
    status: QuoteStatus,
    reason: String,
    title: String,
    currency: String,
    valid_until: String,
    note: String,
    lines: Vec<QuoteLineImport>,
}

/// One line of an order: its service by reference (and by id, to bind the
/// reference to a service OnePortal created).
pub(super) struct OrderLineImport {
    service_ref: String,
    service_id: Option<i64>,
    plan: LinePlan,
    site_ref: String,
    /// Each milestone the record states: (milestone, planned day, actual day).
    milestones: Vec<(Milestone, Option<String>, Option<String>)>,
}

pub(super) struct OrderImport {
    reference: String,
    organization_ref: String,
    accounts: (String, String),
    purchase_order: String,
    received_date: Option<String>,
    cancel: bool,
    reason: String,
    lines: Vec<OrderLineImport>,
}

/// Whether `reference` of `kind` is in the document or already stored for the organization.
async fn known(
    db: &Db,
    defined: &Defined,
    organization_ref: &str,
    kind: RefKind,
    reference: &str,
) -> Result<bool, ApiError> {
    if defined.contains(&(organization_ref.to_owned(), kind, reference.to_owned())) {
        return Ok(true);
    }
    let Some(org_id) = provisioning::find(db, Keyed::Organization, organization_ref).await? else {
        return Ok(false);
    };
    let keyed = match kind {
        RefKind::Account => Keyed::Account { org_id },
        RefKind::Site => Keyed::Site { org_id },
        RefKind::Service => Keyed::Service { org_id },
    };
    Ok(provisioning::find(db, keyed, reference).await?.is_some())
}

/// Checks the references a record names, each against the document and the database.
async fn check_refs(
    db: &Db,
    findings: &mut Findings,
    defined: &Defined,
    (at, label, organization_ref): (&str, &str, &str),
    refs: &[(String, RefKind, &str)],
) -> Result<(), ApiError> {
    let organization_known = defined.iter().any(|(org, _, _)| org == organization_ref)
        || provisioning::find(db, Keyed::Organization, organization_ref)
            .await?
            .is_some();
    if !organization_known {
        findings.add(
            &format!("{at}/organizationRef"),
            label,
            "unknown_reference",
            format!("no organization '{organization_ref}' in this document or already imported"),
        );
        return Ok(());
    }
    for (pointer, kind, reference) in refs {
        if !known(db, defined, organization_ref, *kind, reference).await? {
            findings.add(
                pointer,
                label,
                "unknown_reference",
                format!("no {kind:?} '{reference}' of '{organization_ref}' in this document or already imported").to_lowercase(),
            );
        }
    }
    Ok(())
}

/// The two accounts a quote or an order names, for [`check_refs`].
fn account_refs<'a>(
    at: &str,
    contract: &'a str,
    delivery: &'a str,
) -> Vec<(String, RefKind, &'a str)> {
    vec![
        (
            format!("{at}/contractAccountRef"),
            RefKind::Account,
            contract,
        ),
        (
            format!("{at}/deliveryAccountRef"),
            RefKind::Account,
            delivery,
        ),
    ]
}

/// Checks a record's own reference, once in the document.
fn check_key(
    findings: &mut Findings,
    seen: &mut HashSet<String>,
    at: &str,
    label: &str,
    reference: &str,
    what: &str,
) {
    findings.reference(&format!("{at}/ref"), label, reference);
    if !seen.insert(reference.to_owned()) {
        findings.add(
            &format!("{at}/ref"),
            label,
            "duplicate",
            format!("this {what} appears twice in the document"),
        );
    }
}

fn service_type(findings: &mut Findings, pointer: &str, label: &str, text: &str) -> ServiceType {
    ServiceType::parse(text.trim()).unwrap_or_else(|| {
        findings.one_of(pointer, label, text, ServiceType::NAMES);
        ServiceType::GlobalInternet
    })
}

/// Checks every quote; the plans of those without problems.
pub(super) async fn check_quotes(
    db: &Db,
    findings: &mut Findings,
    defined: &Defined,
    records: Vec<QuoteRecord>,
) -> Result<Vec<QuoteImport>, ApiError> {
    let mut plans = Vec::new();
    let mut seen = HashSet::new();
    for (index, record) in records.into_iter().enumerate() {
        let at = format!("/quotes/{index}");
        let label = format!("quote '{}'", record.reference);
        let before = findings.0.len();
        check_key(findings, &mut seen, &at, &label, &record.reference, "quote");
        findings.text(&format!("{at}/title"), &label, &record.title, 200);
        if !is_currency_code(&record.currency) {
            findings.add(
                &format!("{at}/currency"),
                &label,
                "invalid_code",
                format!(
                    "'{}' is not an ISO 4217 code (3 capital letters)",
                    record.currency
                ),
            );
        }
        findings.date(&format!("{at}/validUntil"), &label, &record.valid_until);
        findings.one_of(
            &format!("{at}/status"),
            &label,
            &record.status,
            &["Draft", "Sent", "Withdrawn"],
        );
        if record.status == "Withdrawn" {
            findings.text(&format!("{at}/reason"), &label, &record.reason, 2000);
        }
        if record.lines.is_empty() {
            findings.add(
                &format!("{at}/lines"),
                &label,
                "required",
                "a quote has at least one line",
            );
        }
        let mut refs = account_refs(
            &at,
            &record.contract_account_ref,
            &record.delivery_account_ref,
        );
        let mut lines = Vec::new();
        for (n, line) in record.lines.iter().enumerate() {
            let at = format!("{at}/lines/{n}");
            refs.push((
                format!("{at}/siteRef"),
                RefKind::Site,
                line.site_ref.as_str(),
            ));
            findings.text(&format!("{at}/product"), &label, &line.product, 200);
            let service_type = service_type(
                findings,
                &format!("{at}/serviceType"),
                &label,
                &line.service_type,
            );
            if !(1..=MAX_TERM_MONTHS).contains(&line.term_months) {
                findings.add(
                    &format!("{at}/termMonths"),
                    &label,
                    "out_of_range",
                    format!("a contract term is 1 to {MAX_TERM_MONTHS} months"),
                );
            }
            if line
                .lead_time_days
                .is_some_and(|d| !(1..=MAX_LEAD_TIME_DAYS).contains(&d))
            {
                findings.add(
                    &format!("{at}/leadTimeDays"),
                    &label,
                    "out_of_range",
                    format!("a lead time is 1 to {MAX_LEAD_TIME_DAYS} days"),
                );
            }
            for (key, value) in [
                ("oneTimePrice", &line.one_time_price),
                ("monthlyPrice", &line.monthly_price),
            ] {
                if let Some(money) = findings.money(&format!("{at}/{key}"), &label, value)
                    && money < oneportal_domain::invoice::Money::ZERO
                {
                    findings.add(
                        &format!("{at}/{key}"),
                        &label,
                        "invalid_amount",
                        "a price is not negative",
                    );
                }
            }
            lines.push(QuoteLineImport {
                site_ref: line.site_ref.clone(),
                line: LineDraft {
                    site_id: 0,
                    product: line.product.trim().to_owned(),
                    service_type,
                    downstream_mbps: line.downstream_mbps,
                    upstream_mbps: line.upstream_mbps,
                    term_months: line.term_months,
                    one_time_price: line.one_time_price.trim().to_owned(),
                    monthly_price: line.monthly_price.trim().to_owned(),
                    lead_time_days: line.lead_time_days,
                },
            });
        }
        check_refs(
            db,
            findings,
            defined,
            (&at, &label, &record.organization_ref),
            &refs,
        )
        .await?;
        if findings.0.len() > before {
            continue;
        }
        plans.push(QuoteImport {
            reference: record.reference,
            organization_ref: record.organization_ref,
            accounts: (record.contract_account_ref, record.delivery_account_ref),
            status: QuoteStatus::parse(&record.status).unwrap_or(QuoteStatus::Sent),
            reason: record.reason,
            title: record.title.trim().to_owned(),
            currency: record.currency,
            valid_until: record.valid_until.trim().to_owned(),
            note: record.note.trim().to_owned(),
            lines,
        });
    }
    Ok(plans)
}

/// Checks every order; the plans of those without problems. Milestones with an
/// actual day must be reached in order, so the days stated must be a prefix.
pub(super) async fn check_orders(
    db: &Db,
    findings: &mut Findings,
    defined: &Defined,
    records: Vec<OrderRecord>,
) -> Result<Vec<OrderImport>, ApiError> {
    let mut plans = Vec::new();
    let mut seen = HashSet::new();
    for (index, record) in records.into_iter().enumerate() {
        let at = format!("/orders/{index}");
        let label = format!("order '{}'", record.reference);
        let before = findings.0.len();
        check_key(findings, &mut seen, &at, &label, &record.reference, "order");
        if let Some(day) = &record.received_date {
            findings.date(&format!("{at}/receivedDate"), &label, day);
        }
        findings.one_of(
            &format!("{at}/status"),
            &label,
            &record.status,
            &["InDelivery", "Cancelled"],
        );
        if record.status == "Cancelled" {
            findings.text(&format!("{at}/reason"), &label, &record.reason, 2000);
        }
        if record.purchase_order.chars().count() > 100 {
            findings.add(
                &format!("{at}/purchaseOrder"),
                &label,
                "too_long",
                "purchaseOrder is longer than 100 characters",
            );
        }
        if record.lines.is_empty() || record.lines.len() > order_service::MAX_LINES {
            findings.add(
                &format!("{at}/lines"),
                &label,
                "invalid_lines",
                format!("an order has 1 to {} lines", order_service::MAX_LINES),
            );
        }
        let mut refs = account_refs(
            &at,
            &record.contract_account_ref,
            &record.delivery_account_ref,
        );
        let mut lines = Vec::new();
        let mut services = HashSet::new();
        for (n, line) in record.lines.iter().enumerate() {
            let at = format!("{at}/lines/{n}");
            refs.push((
                format!("{at}/siteRef"),
                RefKind::Site,
                line.site_ref.as_str(),
            ));
            findings.reference(&format!("{at}/serviceRef"), &label, &line.service_ref);
            if !services.insert(line.service_ref.clone()) {
                findings.add(
                    &format!("{at}/serviceRef"),
                    &label,
                    "duplicate",
                    "two lines deliver the same service",
                );
            }
            let service_id = line.service_id.as_deref().and_then(|id| {
                let parsed = IdKind::Service.parse(id);
                if parsed.is_none() {
                    findings.add(
                        &format!("{at}/serviceId"),
                        &label,
                        "invalid_id",
                        format!("'{id}' is not a service id such as SVC-000001"),
                    );
                }
                parsed
            });
            findings.text(
                &format!("{at}/serviceName"),
                &label,
                &line.service_name,
                200,
            );
            findings.text(&format!("{at}/product"), &label, &line.product, 200);
            let service_type = service_type(
                findings,
                &format!("{at}/serviceType"),
                &label,
                &line.service_type,
            );
            let mut milestones = Vec::new();
            let mut gap: Option<Milestone> = None;
            for (name, stated) in &line.milestones {
                let pointer = format!("{at}/milestones/{name}");
                let Some(milestone) = Milestone::parse(name) else {
                    findings.add(
                        &pointer,
                        &label,
                        "unknown_milestone",
                        format!("the milestones are {}", Milestone::NAMES.join(", ")),
                    );
                    continue;
                };
                for day in [&stated.planned_date, &stated.actual_date]
                    .into_iter()
                    .flatten()
                {
                    findings.date(&pointer, &label, day);
                }
                milestones.push((
                    milestone,
                    stated.planned_date.clone(),
                    stated.actual_date.clone(),
                ));
            }
            milestones.sort_by_key(|(m, _, _)| *m);
            for milestone in Milestone::ALL.into_iter().skip(1) {
                let reached = milestones
                    .iter()
                    .any(|(m, _, actual)| *m == milestone && actual.is_some());
                match (gap, reached) {
                    (None, false) => gap = Some(milestone),
                    (Some(missing), true) => findings.add(
                        &format!("{at}/milestones/{}", milestone.as_str()),
                        &label,
                        "out_of_order",
                        format!(
                            "{} has an actualDate but {} has none: milestones are reached in order",
                            milestone.label(),
                            missing.label()
                        ),
                    ),
                    _ => {}
                }
            }
            let planned = milestones
                .iter()
                .filter_map(|(m, planned, _)| planned.clone().map(|day| (*m, day)))
                .collect();
            lines.push(OrderLineImport {
                service_ref: line.service_ref.clone(),
                service_id,
                site_ref: line.site_ref.clone(),
                plan: LinePlan {
                    site_id: 0,
                    service_name: line.service_name.trim().to_owned(),
                    service_type,
                    product: line.product.trim().to_owned(),
                    downstream_mbps: line.downstream_mbps.max(0),
                    upstream_mbps: line.upstream_mbps.max(0),
                    planned,
                },
                milestones,
            });
        }
        check_refs(
            db,
            findings,
            defined,
            (&at, &label, &record.organization_ref),
            &refs,
        )
        .await?;
        // A new order creates its lines' services under their references; a
        // known one names them by those references (or binds them by id).
        let stored = orders::find_by_reference(db, &record.reference)
            .await?
            .is_some();
        for (n, line) in lines.iter().enumerate() {
            let taken = known(
                db,
                defined,
                &record.organization_ref,
                RefKind::Service,
                &line.service_ref,
            )
            .await?;
            let pointer = format!("{at}/lines/{n}/serviceRef");
            if !stored && taken {
                findings.add(
                    &pointer,
                    &label,
                    "reference_taken",
                    format!(
                        "service '{}' exists already; a new order's line creates its service",
                        line.service_ref
                    ),
                );
            } else if stored && !taken && line.service_id.is_none() {
                findings.add(&pointer, &label, "unknown_reference", format!("no service '{}': to name a line's service OnePortal created, give its serviceId too", line.service_ref));
            }
        }
        if findings.0.len() > before {
            continue;
        }
        plans.push(OrderImport {
            reference: record.reference,
            organization_ref: record.organization_ref,
            accounts: (record.contract_account_ref, record.delivery_account_ref),
            purchase_order: record.purchase_order.trim().to_owned(),
            received_date: record.received_date,
            cancel: record.status == "Cancelled",
            reason: record.reason.trim().to_owned(),
            lines,
        });
    }
    Ok(plans)
}

/// The ids behind an organization's references, once the organizations are written.
struct Resolver<'a> {
    db: &'a Db,
    org_id: i64,
}

impl<'a> Resolver<'a> {
    async fn of(db: &'a Db, organization_ref: &str) -> Result<Resolver<'a>, ApiError> {
        let org_id = provisioning::find(db, Keyed::Organization, organization_ref)
            .await?
            .ok_or_else(|| vanished("organization", organization_ref))?;
        Ok(Resolver { db, org_id })
    }

    async fn id(&self, kind: RefKind, reference: &str) -> Result<i64, ApiError> {
        let org_id = self.org_id;
        let keyed = match kind {
            RefKind::Account => Keyed::Account { org_id },
            RefKind::Site => Keyed::Site { org_id },
            RefKind::Service => Keyed::Service { org_id },
        };
        provisioning::find(self.db, keyed, reference)
            .await?
            .ok_or_else(|| vanished("record", reference))
    }
}

fn vanished(what: &str, reference: &str) -> ApiError {
    ApiError::Internal(format!("{what} '{reference}' vanished during the import"))
}

/// Writes, revises, sends or withdraws one quote as the document states it.
pub(super) async fn apply_quote(
    state: &AppState,
    actor: &CaseActor,
    plan: QuoteImport,
) -> Result<Upserted, ApiError> {
    let refs = Resolver::of(&state.db, &plan.organization_ref).await?;
    let mut lines = Vec::with_capacity(plan.lines.len());
    for line in plan.lines {
        let mut draft = line.line;
        draft.site_id = refs.id(RefKind::Site, &line.site_ref).await?;
        lines.push(draft);
    }
    let content = Content {
        title: plan.title,
        currency: plan.currency,
        valid_until: plan.valid_until,
        note: plan.note,
        lines,
    };
    let Some(stored) = quotes::find_by_reference(&state.db, &plan.reference).await? else {
        let new = QuotePlan {
            org_id: refs.org_id,
            reference: plan.reference,
            contract_account_id: refs.id(RefKind::Account, &plan.accounts.0).await?,
            delivery_account_id: refs.id(RefKind::Account, &plan.accounts.1).await?,
            content,
        };
        let send_now = plan.status == QuoteStatus::Sent;
        let row = quote_service::create(state, actor, &new, send_now).await?;
        if plan.status == QuoteStatus::Withdrawn {
            quote_service::withdraw(state, actor, &row, &plan.reason).await?;
        }
        return Ok(Upserted::Created(row.id));
    };
    // The customer's answer, and a withdrawal, are final.
    if !stored.status.may_revise() {
        return Ok(Upserted::Unchanged(stored.id));
    }
    let mut row = stored.clone();
    if differs(&state.db, &row, &content).await? {
        row = quote_service::revise(state, actor, &row, &content).await?;
    }
    match plan.status {
        QuoteStatus::Sent if row.status == QuoteStatus::Draft => {
            row = quote_service::send(state, actor, &row).await?;
        }
        QuoteStatus::Withdrawn => {
            row = quote_service::withdraw(state, actor, &row, &plan.reason).await?;
        }
        _ => {}
    }
    Ok(if row.updated_at == stored.updated_at {
        Upserted::Unchanged(stored.id)
    } else {
        Upserted::Updated(stored.id)
    })
}

/// Whether the content differs from the quote's current version.
async fn differs(db: &Db, row: &quotes::QuoteRow, content: &Content) -> Result<bool, ApiError> {
    if (
        row.title.as_str(),
        row.currency.as_str(),
        row.valid_until.as_str(),
        row.note.as_str(),
    ) != (
        content.title.as_str(),
        content.currency.as_str(),
        content.valid_until.as_str(),
        content.note.as_str(),
    ) {
        return Ok(true);
    }
    let stored = quotes::lines(db, &[(row.id, row.version)]).await?;
    if stored.len() != content.lines.len() {
        return Ok(true);
    }
    Ok(stored.iter().zip(&content.lines).any(|(s, l)| {
        let price = |text: &str| oneportal_domain::invoice::Money::parse(text).ok();
        (
            s.site_id,
            s.product.as_str(),
            s.service_type,
            s.downstream_mbps,
            s.upstream_mbps,
            s.term_months,
            s.lead_time_days,
        ) != (
            l.site_id,
            l.product.as_str(),
            l.service_type,
            l.downstream_mbps,
            l.upstream_mbps,
            l.term_months,
            l.lead_time_days,
        ) || Some(s.one_time_price) != price(&l.one_time_price)
            || Some(s.monthly_price) != price(&l.monthly_price)
    }))
}

/// Places one order, or brings a known one where the document says it is:
/// milestones reached, planned days moved, cancelled.
pub(super) async fn apply_order(
    state: &AppState,
    actor: &CaseActor,
    plan: OrderImport,
) -> Result<Upserted, ApiError> {
    let refs = Resolver::of(&state.db, &plan.organization_ref).await?;
    let org_id = refs.org_id;
    let (created, row) = match orders::find_by_reference(&state.db, &plan.reference).await? {
        Some(row) => (false, row),
        None => {
            let mut lines = Vec::with_capacity(plan.lines.len());
            for line in &plan.lines {
                let mut placed = line.plan.clone();
                placed.site_id = refs.id(RefKind::Site, &line.site_ref).await?;
                lines.push(placed);
            }
            let order = OrderPlan {
                org_id,
                reference: plan.reference.clone(),
                contract_account_id: refs.id(RefKind::Account, &plan.accounts.0).await?,
                delivery_account_id: refs.id(RefKind::Account, &plan.accounts.1).await?,
                purchase_order: plan.purchase_order.clone(),
                lines,
                received_on: plan.received_date.clone(),
            };
            let tx = state.db.begin().await?;
            let row = order_service::place_in(state, &tx, actor, &order).await?;
            // Each line's new service takes the reference the document gives it.
            let placed = orders::lines(&tx, &[row.id]).await?;
            for (line, record) in placed.iter().zip(&plan.lines) {
                provisioning::set_service_ref(&tx, org_id, line.service_id, &record.service_ref)
                    .await?;
            }
            tx.commit().await?;
            state
                .publish(crate::cluster::Change::Events { orgs: vec![org_id] })
                .await;
            (true, row)
        }
    };
    let before = row.updated_at;
    for line in &plan.lines {
        let service = match provisioning::find(
            &state.db,
            Keyed::Service { org_id },
            &line.service_ref,
        )
        .await?
        {
            Some(id) => id,
            None => {
                let id = line.service_id.ok_or_else(|| {
                    ApiError::validation(vec![crate::http::FieldError::new(
                        "/orders",
                        "unknown_reference",
                        format!("order '{}': no service '{}' of the order; give its serviceId to name a service OnePortal created", plan.reference, line.service_ref),
                    )])
                })?;
                let tx = state.db.begin().await?;
                provisioning::set_service_ref(&tx, org_id, id, &line.service_ref).await?;
                tx.commit().await?;
                id
            }
        };
        follow_milestones(
            state,
            actor,
            row.id,
            service,
            &line.milestones,
            &plan.reason,
        )
        .await?;
    }
    let now = order_service::any(&state.db, &IdKind::Order.format(row.id)).await?;
    let now = if plan.cancel && now.status == OrderStatus::InDelivery {
        order_service::cancel(state, actor, &now, &plan.reason).await?
    } else {
        now
    };
    Ok(if created {
        Upserted::Created(row.id)
    } else if now.updated_at == before {
        Upserted::Unchanged(row.id)
    } else {
        Upserted::Updated(row.id)
    })
}

/// Reaches the milestones with an actual day not recorded yet, in order, and
/// moves planned days that differ, on an order still in delivery.
async fn follow_milestones(
    state: &AppState,
    actor: &CaseActor,
    order_id: i64,
    service: i64,
    stated: &[(Milestone, Option<String>, Option<String>)],
    reason: &str,
) -> Result<(), ApiError> {
    let service_id = IdKind::Service.format(service);
    let order_public = IdKind::Order.format(order_id);
    let line = orders::lines(&state.db, &[order_id])
        .await?
        .into_iter()
        .find(|l| l.service_id == service)
        .ok_or_else(|| {
            ApiError::validation(vec![crate::http::FieldError::new(
                "/orders",
                "not_a_line",
                format!("{order_public} has no line delivering {service_id}"),
            )])
        })?;
    for (milestone, planned, actual) in stated {
        let order = order_service::any(&state.db, &order_public).await?;
        if order.status != OrderStatus::InDelivery {
            return Ok(());
        }
        let current = orders::milestones(&state.db, &[line.id])
            .await?
            .into_iter()
            .find(|m| m.milestone == *milestone);
        let reached = current.as_ref().is_some_and(|m| m.actual_date.is_some());
        if let Some(planned) = planned
            && !reached
            && actual.is_none()
            && current.as_ref().and_then(|m| m.planned_date.as_ref()) != Some(planned)
        {
            let why = if reason.is_empty() {
                "The provider updated the planned date."
            } else {
                reason
            };
            order_service::delay(state, actor, &order, &service_id, *milestone, planned, why)
                .await?;
        }
        if let Some(day) = actual
            && !reached
        {
            let order = order_service::any(&state.db, &order_public).await?;
            order_service::reach(state, actor, &order, &service_id, *milestone, Some(day)).await?;
        }
    }
    Ok(())
}
