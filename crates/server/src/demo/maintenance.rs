//! The demo's planned maintenance: one done last month, one in three days
//! (short notice), one in three weeks and a tentative one, so Support →
//! Maintenance, the home page and the calendar feed have something to show.

use oneportal_domain::maintenance::{Impact, MaintenanceStatus};
use oneportal_domain::query::ListSpec;
use oneportal_store::catalog::{self, AccessScope, SERVICES};
use oneportal_store::now_ms;
use oneportal_store::users::StaffRow;

use crate::http::pagination::parse_list_query;
use crate::services::maintenance::{self, Author, Plan};
use crate::state::AppState;

const DAY: i64 = 86_400_000;

/// Midnight UTC `days` from today, plus `hours`.
fn at(days: i64, hours: i64) -> i64 {
    (now_ms().div_euclid(DAY) + days) * DAY + hours * 3_600_000
}

pub async fn seed(state: &AppState, org_id: i64, staff: &StaffRow) -> anyhow::Result<()> {
    let staff = &Author::staff(staff);
    let spec: &ListSpec = &SERVICES;
    let query = parse_list_query(spec, Some("sort=createdDate&limit=6"))
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let services: Vec<i64> = catalog::list_services(
        &state.db,
        &AccessScope::whole_organization(org_id),
        None,
        &query,
    )
    .await?
    .rows
    .iter()
    .map(|s| s.id)
    .collect();
    let service = |n: usize| services[n % services.len()];
    let plans = [
        (
            "CHG-2026-0412",
            "Line card replacement in Madrid",
            "Replacing a failing line card in the Madrid PoP. Traffic moves to the second card first.",
            (-27, 1, 4),
            vec![(service(0), Impact::ReducedRedundancy)],
            &[MaintenanceStatus::InProcess, MaintenanceStatus::Completed][..],
        ),
        (
            "CHG-2026-0519",
            "Core router software upgrade",
            "Upgrading the core routers in the Madrid and Warsaw PoPs to a release that fixes a BGP memory leak.\nExpect one outage of up to 15 minutes per site while each router restarts.",
            (3, 1, 5),
            vec![
                (service(0), Impact::Outage),
                (service(1), Impact::Outage),
                (service(2), Impact::NoImpact),
            ],
            &[][..],
        ),
        (
            "CHG-2026-0533",
            "Fibre route diversion",
            "A road project moves the fibre between Stockholm and Uppsala. Traffic runs on the protect path during the splice.",
            (21, 0, 4),
            vec![(service(3), Impact::Degraded)],
            &[][..],
        ),
    ];
    for (reference, title, reason, (day, from, to), affected, moves) in plans {
        let plan = Plan {
            title: title.into(),
            reason: reason.into(),
            starts_at: at(day, from),
            ends_at: at(day, to),
            services: affected,
        };
        let id =
            maintenance::announce(state, staff, reference, MaintenanceStatus::Confirmed, &plan)
                .await
                .map_err(|e| anyhow::anyhow!("demo maintenance {reference}: {e:?}"))?;
        for to in moves {
            maintenance::move_to(state, staff, id, *to, "")
                .await
                .map_err(|e| anyhow::anyhow!("demo maintenance {reference}: {e:?}"))?;
        }
    }
    let tentative = Plan {
        title: "Power work at the Warsaw data centre".into(),
        reason: "The data centre tests its generators. No impact is expected; the window may move."
            .into(),
        starts_at: at(45, 22),
        ends_at: at(46, 2),
        services: vec![(service(1), Impact::NoImpact)],
    };
    maintenance::announce(
        state,
        staff,
        "CHG-2026-0601",
        MaintenanceStatus::Tentative,
        &tentative,
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo maintenance: {e:?}"))?;
    Ok(())
}
