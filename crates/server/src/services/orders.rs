//! Orders in delivery (PRODUCT §10): the provider places an order (operations
//! API; a quote's acceptance will too), records each line's milestones as they
//! are reached and moves planned days with a reason when they slip. A line's
//! service exists from the order on (`InProgress`, its planned delivery the
//! ready-for-service day) and becomes `RFS` when the line is ready for service;
//! the order is delivered when every line is. Every step is audited and an
//! event, in the transaction of the change.

use oneportal_domain::case::Mover;
use oneportal_domain::catalog::{ServiceStatus, ServiceType};
use oneportal_domain::ids::IdKind;
use oneportal_domain::order::{Milestone, OrderStatus, Reached, Refused, check_delay, check_reach};
use oneportal_domain::query::{ListQuery, parse_day};
use oneportal_store::catalog::{self, NewService};
use oneportal_store::listing::ListPage;
use oneportal_store::orders::{self, LineRow, NewOrder, OrderRow};
use oneportal_store::{Exec, StoreError, Tx, now_ms};
use serde_json::json;

use super::cases::CaseActor;
use super::{commit_audited, events};
use crate::audit::Event;
use crate::cluster::Change;
use crate::http::public_id::{id_of, not_found};
use crate::http::time::rfc3339;
use crate::http::{ApiError, FieldError};
use crate::models::event::OrderNotice;
use crate::models::order::Order;
use crate::state::AppState;

const WHAT: &str = "order";

/// The most lines one order may have.
pub const MAX_LINES: usize = 200;

/// One service to deliver.
#[derive(Debug, Clone)]
pub struct LinePlan {
    pub site_id: i64,
    pub service_name: String,
    pub service_type: ServiceType,
    pub product: String,
    pub downstream_mbps: i64,
    pub upstream_mbps: i64,
    /// Each milestone's planned day (`YYYY-MM-DD`), where known.
    pub planned: Vec<(Milestone, String)>,
}

/// What the provider places.
#[derive(Debug, Clone)]
pub struct OrderPlan {
    pub org_id: i64,
    pub reference: String,
    pub contract_account_id: i64,
    pub delivery_account_id: i64,
    pub purchase_order: String,
    pub lines: Vec<LinePlan>,
    /// The day the provider received the order (`YYYY-MM-DD`); today when `None`.
    pub received_on: Option<String>,
}

fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

/// The order the scope sees, or a 404 that does not tell whether it exists.
pub async fn visible(
    db: &impl Exec,
    scope: &oneportal_store::catalog::AccessScope,
    id: &str,
) -> Result<OrderRow, ApiError> {
    let number = id_of(IdKind::Order, id, WHAT)?;
    orders::find(db, Some(scope), number)
        .await?
        .ok_or_else(|| not_found(WHAT))
}

/// Any organization's order, for the provider's staff.
pub async fn any(db: &impl Exec, id: &str) -> Result<OrderRow, ApiError> {
    let missing = || ApiError::not_found(format!("no order '{id}'"));
    let number = IdKind::Order.parse(id).ok_or_else(missing)?;
    orders::find(db, None, number).await?.ok_or_else(missing)
}

/// The orders as the API shows them, with their lines.
pub async fn views(db: &impl Exec, rows: &[OrderRow]) -> Result<Vec<Order>, StoreError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let lines = orders::lines(db, &ids).await?;
    let line_ids: Vec<i64> = lines.iter().map(|l| l.id).collect();
    let milestones = orders::milestones(db, &line_ids).await?;
    let delays = orders::delays(db, &line_ids).await?;
    let today = time::OffsetDateTime::now_utc().date();
    Ok(rows
        .iter()
        .map(|row| Order::new(row, &lines, &milestones, &delays, today))
        .collect())
}

/// A page of the orders the scope sees (`None`: every organization's).
pub async fn page(
    db: &impl Exec,
    scope: Option<&oneportal_store::catalog::AccessScope>,
    query: &ListQuery,
) -> Result<ListPage<Order>, StoreError> {
    let page = orders::list(db, scope, query).await?;
    Ok(ListPage {
        rows: views(db, &page.rows).await?,
        total: page.total,
        total_exact: page.total_exact,
        next_cursor: page.next_cursor,
    })
}

/// One order as the API shows it.
pub async fn view(db: &impl Exec, row: &OrderRow) -> Result<Order, StoreError> {
    Ok(views(db, std::slice::from_ref(row)).await?.remove(0))
}

fn field(pointer: String, code: &str, detail: String) -> FieldError {
    FieldError::new(pointer, code, detail)
}

/// Checks that the contract and delivery accounts are the scope's organization's,
/// of those types (an order's, a quote's).
pub async fn check_accounts(
    db: &impl Exec,
    scope: &oneportal_store::catalog::AccessScope,
    (contract, delivery): (i64, i64),
    errors: &mut Vec<FieldError>,
) -> Result<(), StoreError> {
    use oneportal_domain::catalog::AccountType;
    for (pointer, id, kind) in [
        ("/contractAccountId", contract, AccountType::Contract),
        ("/deliveryAccountId", delivery, AccountType::Delivery),
    ] {
        match catalog::find_account(db, scope, id).await? {
            Some(account) if account.account_type == kind => {}
            _ => errors.push(field(
                pointer.into(),
                "unknown_account",
                format!("not a {kind:?} account of the organization"),
            )),
        }
    }
    Ok(())
}

/// Checks the plan: the accounts are the organization's of the right types,
/// each line's site too, days are days; every problem named by its field.
async fn check_plan(db: &impl Exec, plan: &OrderPlan) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if plan.lines.is_empty() || plan.lines.len() > MAX_LINES {
        errors.push(field(
            "/lines".into(),
            "invalid_lines",
            format!("an order has 1 to {MAX_LINES} lines"),
        ));
    }
    let scope = oneportal_store::catalog::AccessScope::whole_organization(plan.org_id);
    check_accounts(
        db,
        &scope,
        (plan.contract_account_id, plan.delivery_account_id),
        &mut errors,
    )
    .await?;
    if let Some(day) = &plan.received_on
        && parse_day(day).is_none()
    {
        errors.push(field(
            "/receivedDate".into(),
            "invalid_date",
            "write the day as YYYY-MM-DD".into(),
        ));
    }
    for (n, line) in plan.lines.iter().enumerate() {
        if catalog::find_site(db, &scope, line.site_id)
            .await?
            .is_none()
        {
            errors.push(field(
                format!("/lines/{n}/siteId"),
                "unknown_site",
                "not a site of the order's organization".into(),
            ));
        }
        for (key, text) in [
            ("serviceName", &line.service_name),
            ("product", &line.product),
        ] {
            if text.trim().is_empty() || text.chars().count() > 200 {
                errors.push(field(
                    format!("/lines/{n}/{key}"),
                    "invalid_text",
                    "1 to 200 characters, please".into(),
                ));
            }
        }
        for (milestone, day) in &line.planned {
            if parse_day(day).is_none() {
                errors.push(field(
                    format!("/lines/{n}/plannedDates/{milestone}"),
                    "invalid_date",
                    "write the day as YYYY-MM-DD".into(),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Places the order: a service in delivery per line, the order received today.
pub async fn place(
    state: &AppState,
    actor: &CaseActor,
    plan: &OrderPlan,
) -> Result<OrderRow, ApiError> {
    let tx = state.db.begin().await?;
    let row = place_in(state, &tx, actor, plan).await?;
    tx.commit().await?;
    state
        .publish(Change::Events {
            orgs: vec![plan.org_id],
        })
        .await;
    Ok(row)
}

/// Places the order within `tx`, audited and with its event: the caller commits
/// (accepting a quote places its order in the acceptance's own transaction).
pub async fn place_in(
    state: &AppState,
    tx: &Tx,
    actor: &CaseActor,
    plan: &OrderPlan,
) -> Result<OrderRow, ApiError> {
    check_plan(tx, plan).await?;
    let at = now_ms();
    let received = plan.received_on.clone().unwrap_or_else(today);
    let id = match orders::insert(
        tx,
        &NewOrder {
            org_id: plan.org_id,
            reference: &plan.reference,
            contract_account_id: plan.contract_account_id,
            delivery_account_id: plan.delivery_account_id,
            purchase_order: &plan.purchase_order,
            at,
        },
    )
    .await
    {
        Ok(id) => id,
        Err(error) if error.is_conflict_on("orders") => {
            return Err(ApiError::conflict(
                "order_reference_taken",
                format!("an order with the reference '{}' exists", plan.reference),
            ));
        }
        Err(error) => return Err(error.into()),
    };
    for (position, line) in plan.lines.iter().enumerate() {
        let ready = line
            .planned
            .iter()
            .find(|(m, _)| *m == Milestone::ReadyForService)
            .map(|(_, d)| d.as_str());
        let service = catalog::insert_service(
            tx,
            NewService {
                org_id: plan.org_id,
                service_name: line.service_name.trim(),
                service_type: line.service_type,
                status: ServiceStatus::InProgress,
                contract_account_id: plan.contract_account_id,
                delivery_account_id: plan.delivery_account_id,
                site_id: line.site_id,
                downstream_mbps: line.downstream_mbps,
                upstream_mbps: line.upstream_mbps,
                planned_delivery_date: ready,
                ready_for_service_date: None,
                technical_note: "",
                technical_details: "{}",
                customer_reference: &plan.purchase_order,
                at,
            },
        )
        .await?;
        let planned: Vec<(Milestone, Option<String>)> = Milestone::ALL
            .iter()
            .map(|m| {
                let day = match m {
                    Milestone::OrderReceived => Some(received.clone()),
                    _ => line
                        .planned
                        .iter()
                        .find(|(p, _)| p == m)
                        .map(|(_, d)| d.clone()),
                };
                (*m, day)
            })
            .collect();
        let line_id = orders::add_line(
            tx,
            id,
            service,
            line.product.trim(),
            position as i64,
            &planned,
        )
        .await?;
        orders::reach(tx, line_id, Milestone::OrderReceived, &received).await?;
    }
    let row = orders::find(tx, None, id)
        .await?
        .ok_or_else(|| ApiError::Internal("the new order vanished".into()))?;
    emit(
        state,
        tx,
        &row,
        Detail::default(),
        oneportal_domain::event::EventType::OrderCreated,
    )
    .await?;
    let audit = Event::new(actor.audit.clone(), "order.created")
        .target("order", IdKind::Order.format(id))
        .org(Some(plan.org_id))
        .details(json!({
            "reference": plan.reference,
            "purchaseOrder": plan.purchase_order,
            "lines": plan.lines.len(),
        }));
    crate::audit::record(tx, audit).await?;
    Ok(row)
}

/// The line of the order that delivers `service_id` (`SVC-…`).
async fn line_of(db: &impl Exec, order: &OrderRow, service_id: &str) -> Result<LineRow, ApiError> {
    let lines = orders::lines(db, &[order.id]).await?;
    let number = IdKind::Service.parse(service_id);
    lines
        .into_iter()
        .find(|l| Some(l.service_id) == number)
        .ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                "/serviceId",
                "not_a_line",
                format!(
                    "{} has no line delivering '{service_id}'",
                    IdKind::Order.format(order.id)
                ),
            )])
        })
}

/// A line's milestones as stored: `(milestone, planned day, day reached)`.
struct Steps(Vec<(Milestone, Option<String>, Option<String>)>);

impl Reached for Steps {
    fn is_reached(&self, milestone: Milestone) -> bool {
        self.0
            .iter()
            .any(|(m, _, actual)| *m == milestone && actual.is_some())
    }
}

impl Steps {
    async fn of(db: &impl Exec, line: i64) -> Result<Steps, StoreError> {
        Ok(Steps(
            orders::milestones(db, &[line])
                .await?
                .into_iter()
                .map(|m| (m.milestone, m.planned_date, m.actual_date))
                .collect(),
        ))
    }

    fn planned(&self, milestone: Milestone) -> Option<String> {
        self.0
            .iter()
            .find(|(m, _, _)| *m == milestone)
            .and_then(|(_, planned, _)| planned.clone())
    }
}

fn refused(order: &OrderRow, reason: Refused) -> ApiError {
    ApiError::conflict(
        "milestone_refused",
        format!("{}: {}", IdKind::Order.format(order.id), reason.0),
    )
}

/// Records that the line delivering `service_id` reached `milestone` on `day`
/// (today when `None`). Ready for service makes the service `RFS`, and the last
/// line's makes the order delivered.
pub async fn reach(
    state: &AppState,
    actor: &CaseActor,
    order: &OrderRow,
    service_id: &str,
    milestone: Milestone,
    day: Option<&str>,
) -> Result<OrderRow, ApiError> {
    let day = day.map_or_else(today, str::to_owned);
    if parse_day(&day).is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            "/date",
            "invalid_date",
            "write the day as YYYY-MM-DD",
        )]));
    }
    let line = line_of(&state.db, order, service_id).await?;
    let steps = Steps::of(&state.db, line.id).await?;
    check_reach(order.status, &steps, milestone, Mover::Provider).map_err(|r| refused(order, r))?;
    let at = now_ms();
    let tx = state.db.begin().await?;
    if !orders::reach(&tx, line.id, milestone, &day).await? {
        return Err(changed(order));
    }
    orders::touch(&tx, order.id, at).await?;
    if milestone == Milestone::ReadyForService
        && catalog::ready_for_service(&tx, line.service_id, &day, at).await?
    {
        let moved = (ServiceStatus::InProgress, ServiceStatus::RFS);
        events::service_status_changed(state, &tx, order.org_id, line.service_id, moved, at)
            .await?;
    }
    let detail = Detail {
        service_id: Some(IdKind::Service.format(line.service_id)),
        milestone: Some(milestone),
        date: Some(day.clone()),
        reason: None,
    };
    let row = orders::find(&tx, None, order.id)
        .await?
        .unwrap_or_else(|| order.clone());
    emit(
        state,
        &tx,
        &row,
        detail,
        oneportal_domain::event::EventType::OrderMilestoneReached,
    )
    .await?;
    let delivered = milestone == Milestone::ReadyForService && all_ready(&tx, order.id).await?;
    if delivered
        && orders::move_status(
            &tx,
            order.id,
            (OrderStatus::InDelivery, OrderStatus::Delivered),
            at,
        )
        .await?
    {
        let row = orders::find(&tx, None, order.id)
            .await?
            .unwrap_or_else(|| order.clone());
        emit(
            state,
            &tx,
            &row,
            Detail::default(),
            oneportal_domain::event::EventType::OrderDelivered,
        )
        .await?;
    }
    let audit = Event::new(actor.audit.clone(), "order.milestone_reached")
        .target("order", IdKind::Order.format(order.id))
        .org(Some(order.org_id))
        .details(json!({
            "serviceId": IdKind::Service.format(line.service_id),
            "milestone": milestone.as_str(),
            "date": day,
            "delivered": delivered,
        }));
    commit(state, tx, audit, order.org_id).await?;
    Ok(orders::find(&state.db, None, order.id)
        .await?
        .unwrap_or_else(|| order.clone()))
}

async fn all_ready(tx: &Tx, order: i64) -> Result<bool, StoreError> {
    let lines = orders::lines(tx, &[order]).await?;
    let ids: Vec<i64> = lines.iter().map(|l| l.id).collect();
    let steps = orders::milestones(tx, &ids).await?;
    Ok(lines.iter().all(|l| {
        steps.iter().any(|m| {
            m.line_id == l.id
                && m.milestone == Milestone::ReadyForService
                && m.actual_date.is_some()
        })
    }))
}

/// Moves the planned day of a milestone not reached yet, with the reason the customer reads.
pub async fn delay(
    state: &AppState,
    actor: &CaseActor,
    order: &OrderRow,
    service_id: &str,
    milestone: Milestone,
    new_day: &str,
    reason: &str,
) -> Result<OrderRow, ApiError> {
    let reason = reason.trim();
    let mut errors = Vec::new();
    if parse_day(new_day).is_none() {
        errors.push(FieldError::new(
            "/plannedDate",
            "invalid_date",
            "write the day as YYYY-MM-DD",
        ));
    }
    if reason.is_empty() || reason.chars().count() > 2000 {
        errors.push(FieldError::new(
            "/reason",
            "required",
            "say why it slips (1 to 2000 characters): the customer reads it",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let line = line_of(&state.db, order, service_id).await?;
    let steps = Steps::of(&state.db, line.id).await?;
    check_delay(order.status, &steps, milestone, Mover::Provider).map_err(|r| refused(order, r))?;
    let previous = steps.planned(milestone);
    let at = now_ms();
    let tx = state.db.begin().await?;
    if !orders::delay(
        &tx,
        line.id,
        milestone,
        previous.as_deref(),
        new_day,
        reason,
        &actor.name,
        at,
    )
    .await?
    {
        return Err(changed(order));
    }
    orders::touch(&tx, order.id, at).await?;
    if milestone == Milestone::ReadyForService {
        tx.execute(
            "UPDATE services SET planned_delivery_date = $2, updated_at = $3 WHERE id = $1",
            oneportal_store::args![line.service_id, new_day, at],
        )
        .await?;
    }
    let row = orders::find(&tx, None, order.id)
        .await?
        .unwrap_or_else(|| order.clone());
    let detail = Detail {
        service_id: Some(IdKind::Service.format(line.service_id)),
        milestone: Some(milestone),
        date: Some(new_day.to_owned()),
        reason: Some(reason.to_owned()),
    };
    emit(
        state,
        &tx,
        &row,
        detail,
        oneportal_domain::event::EventType::OrderMilestoneDelayed,
    )
    .await?;
    let audit = Event::new(actor.audit.clone(), "order.milestone_delayed")
        .target("order", IdKind::Order.format(order.id))
        .org(Some(order.org_id))
        .details(json!({
            "serviceId": IdKind::Service.format(line.service_id),
            "milestone": milestone.as_str(),
            "previousPlannedDate": previous,
            "plannedDate": new_day,
            "reason": reason,
        }));
    commit(state, tx, audit, order.org_id).await?;
    Ok(row)
}

/// Cancels an order in delivery, with the reason the customer reads. Its lines'
/// services not delivered yet never start: they become `Deactivated`.
pub async fn cancel(
    state: &AppState,
    actor: &CaseActor,
    order: &OrderRow,
    reason: &str,
) -> Result<OrderRow, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApiError::validation(vec![FieldError::new(
            "/reason",
            "required",
            "say why the order is cancelled (1 to 2000 characters): the customer reads it",
        )]));
    }
    if !order
        .status
        .may_move(OrderStatus::Cancelled, Mover::Provider)
    {
        return Err(refused(
            order,
            Refused(format!(
                "the order is {}: only an order in delivery can be cancelled",
                order.status
            )),
        ));
    }
    let at = now_ms();
    let tx = state.db.begin().await?;
    if !orders::move_status(
        &tx,
        order.id,
        (OrderStatus::InDelivery, OrderStatus::Cancelled),
        at,
    )
    .await?
    {
        return Err(changed(order));
    }
    let mut stopped = Vec::new();
    for line in orders::lines(&tx, &[order.id]).await? {
        let moved = catalog::move_service_status(
            &tx,
            line.service_id,
            (ServiceStatus::InProgress, ServiceStatus::Deactivated),
            at,
        )
        .await?;
        if moved {
            let change = (ServiceStatus::InProgress, ServiceStatus::Deactivated);
            events::service_status_changed(state, &tx, order.org_id, line.service_id, change, at)
                .await?;
            stopped.push(IdKind::Service.format(line.service_id));
        }
    }
    let row = orders::find(&tx, None, order.id)
        .await?
        .unwrap_or_else(|| order.clone());
    let detail = Detail {
        reason: Some(reason.to_owned()),
        ..Detail::default()
    };
    emit(
        state,
        &tx,
        &row,
        detail,
        oneportal_domain::event::EventType::OrderCancelled,
    )
    .await?;
    let audit = Event::new(actor.audit.clone(), "order.cancelled")
        .target("order", IdKind::Order.format(order.id))
        .org(Some(order.org_id))
        .details(json!({ "reason": reason, "servicesStopped": stopped }));
    commit(state, tx, audit, order.org_id).await?;
    Ok(row)
}

fn changed(order: &OrderRow) -> ApiError {
    ApiError::conflict(
        "order_changed",
        format!(
            "{} changed while you were looking at it; reload it and try again",
            IdKind::Order.format(order.id)
        ),
    )
}

/// What an event tells beside the order.
#[derive(Default)]
struct Detail {
    service_id: Option<String>,
    milestone: Option<Milestone>,
    date: Option<String>,
    reason: Option<String>,
}

async fn emit(
    state: &AppState,
    tx: &Tx,
    row: &OrderRow,
    detail: Detail,
    event_type: oneportal_domain::event::EventType,
) -> Result<(), StoreError> {
    let id = IdKind::Order.format(row.id);
    let data = OrderNotice {
        event_type,
        url: events::url(state, &format!("orders/{id}")),
        order_id: id,
        order_reference: row.reference.clone(),
        purchase_order: row.purchase_order.clone(),
        status: row.status,
        service_id: detail.service_id,
        milestone: detail.milestone,
        date: detail.date,
        reason: detail.reason,
        last_modified_date: rfc3339(row.updated_at),
    };
    events::emit(tx, row.org_id, row.id, &data).await
}

async fn commit(state: &AppState, tx: Tx, audit: Event, org_id: i64) -> Result<(), StoreError> {
    commit_audited(state, tx, audit, Change::Events { orgs: vec![org_id] }).await
}
