//! The demo's deactivation request: a customer asked to end a service, the
//! provider reviewed it and stated the terms, and it waits for the customer's
//! confirmation (Sites & Services → Deactivation requests).

use oneportal_domain::invoice::Money;
use oneportal_store::catalog::{self, AccessScope};
use oneportal_store::deactivations::LocalContact;
use oneportal_store::users::StaffRow;

use crate::services::cases::CaseActor;
use crate::services::deactivations::{self, ProviderAct, RequestForm};
use crate::state::AppState;

pub async fn seed(state: &AppState, org_id: i64, staff: &StaffRow) -> anyhow::Result<()> {
    let failed = |e| anyhow::anyhow!("demo deactivation request: {e:?}");
    let services =
        catalog::all_services(&state.db, &AccessScope::whole_organization(org_id)).await?;
    // The last delivered service, away from the ones maintenance and incidents use.
    let Some(service) = services
        .iter()
        .rev()
        .find(|s| oneportal_domain::deactivation::may_deactivate(s.status))
    else {
        return Ok(());
    };
    let customer = CaseActor {
        audit: crate::audit::Actor::System,
        name: "admin@acme.example".to_owned(),
        contact_email: "admin@acme.example".to_owned(),
    };
    let today = deactivations::today();
    let form = RequestForm {
        requested_end_date: (today + time::Duration::days(60)).to_string(),
        reason: "The branch office moves to a new building with its own connectivity.".into(),
        contact: LocalContact {
            name: "Marta Ruiz".into(),
            email: "facilities@acme.example".into(),
            phone: "+34 91 555 0142".into(),
        },
    };
    let row = deactivations::request(state, service, &customer, &form)
        .await
        .map_err(failed)?;
    let provider = CaseActor::staff(staff);
    let acts = [
        ProviderAct::Review {
            note: "Account manager called about the move.".into(),
            case_id: None,
        },
        ProviderAct::StateTerms {
            fee: Some((Money::parse("450.00").map_err(|e| anyhow::anyhow!("{e:?}"))?, "EUR".into())),
            earliest_end_date: (today + time::Duration::days(75)).to_string(),
            note: "Early termination fee under clause 9 of the contract; the earliest end date follows the 90-day notice.".into(),
        },
    ];
    let mut row = row;
    for act in &acts {
        row = deactivations::provider_act(state, &row, &provider, act)
            .await
            .map_err(failed)?;
    }
    Ok(())
}
