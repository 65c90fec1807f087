//! An order in delivery as API V2, the operations API and the portal show it.

use oneportal_domain::ids::IdKind;
use oneportal_domain::order::{Milestone, OrderStatus, is_late};
use oneportal_domain::query::parse_day;
use oneportal_store::orders::{DelayRow, LineRow, MilestoneRow, OrderRow};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::time::rfc3339;

/// One milestone of a line.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MilestoneView {
    pub milestone: Milestone,
    /// `YYYY-MM-DD`, as planned now (after any delay).
    pub planned_date: Option<String>,
    /// `YYYY-MM-DD`, once reached.
    pub actual_date: Option<String>,
    /// Not reached, and its planned day has passed.
    pub late: bool,
}

/// A move of a milestone's planned day.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delay {
    pub milestone: Milestone,
    pub previous_planned_date: Option<String>,
    pub new_planned_date: String,
    pub reason: String,
    pub date: String,
}

/// One service the order delivers, with its milestones in order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    /// The service this line delivers (in Sites & Services from the order on).
    #[schema(example = "SVC-000001")]
    pub service_id: String,
    pub service_name: String,
    #[schema(example = "SITE-000001")]
    pub site_id: String,
    /// What is delivered, as ordered.
    pub product: String,
    /// The next milestone to reach, or `null` once ready for service.
    pub next_milestone: Option<Milestone>,
    pub milestones: Vec<MilestoneView>,
    pub delays: Vec<Delay>,
}

/// An order and the delivery of its lines.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    #[schema(example = "ORD-000001")]
    pub order_id: String,
    /// The provider's order number.
    pub order_reference: String,
    /// Your purchase-order reference.
    pub purchase_order: String,
    pub status: OrderStatus,
    #[schema(example = "ACC-000001")]
    pub contract_account_id: String,
    /// Some milestone of some line is late.
    pub late: bool,
    pub lines: Vec<OrderLine>,
    pub created_date: String,
    pub last_modified_date: String,
}

impl Order {
    /// The order with its lines, milestones and delays (from rows of many orders).
    pub fn new(
        row: &OrderRow,
        lines: &[LineRow],
        milestones: &[MilestoneRow],
        delays: &[DelayRow],
        today: time::Date,
    ) -> Order {
        let lines: Vec<OrderLine> = lines
            .iter()
            .filter(|l| l.order_id == row.id)
            .map(|line| {
                let mut steps: Vec<&MilestoneRow> =
                    milestones.iter().filter(|m| m.line_id == line.id).collect();
                steps.sort_by_key(|m| m.milestone);
                let milestones: Vec<MilestoneView> = steps
                    .iter()
                    .map(|m| MilestoneView {
                        milestone: m.milestone,
                        planned_date: m.planned_date.clone(),
                        actual_date: m.actual_date.clone(),
                        late: row.status == OrderStatus::InDelivery
                            && is_late(
                                m.planned_date.as_deref().and_then(parse_day),
                                m.actual_date.is_some(),
                                today,
                            ),
                    })
                    .collect();
                OrderLine {
                    service_id: IdKind::Service.format(line.service_id),
                    service_name: line.service_name.clone(),
                    site_id: IdKind::Site.format(line.site_id),
                    product: line.product.clone(),
                    next_milestone: milestones
                        .iter()
                        .find(|m| m.actual_date.is_none())
                        .map(|m| m.milestone),
                    milestones,
                    delays: delays
                        .iter()
                        .filter(|d| d.line_id == line.id)
                        .map(|d| Delay {
                            milestone: d.milestone,
                            previous_planned_date: d.previous_planned.clone(),
                            new_planned_date: d.new_planned.clone(),
                            reason: d.reason.clone(),
                            date: rfc3339(d.at),
                        })
                        .collect(),
                }
            })
            .collect();
        Order {
            order_id: IdKind::Order.format(row.id),
            order_reference: row.reference.clone(),
            purchase_order: row.purchase_order.clone(),
            status: row.status,
            contract_account_id: IdKind::Account.format(row.contract_account_id),
            late: lines.iter().any(|l| l.milestones.iter().any(|m| m.late)),
            lines,
            created_date: rfc3339(row.created_at),
            last_modified_date: rfc3339(row.updated_at),
        }
    }
}
