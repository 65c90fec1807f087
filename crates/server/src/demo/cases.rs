//! Demo support cases: one in every status, with conversations, and incidents
//! with a preliminary and a final RFO.

use oneportal_domain::case::{
    CaseOrigin, CasePriority, CaseStatus, CaseSubject, CaseType, CustomerAction, RfoImpact,
    RfoStatus,
};
use oneportal_domain::ids::IdKind;
use oneportal_store::catalog::AccessScope;

use crate::audit::Actor;
use crate::services::cases::{self, CaseActor, CaseRequest};
use crate::services::rfo::{self, RfoContent, TimelineEntry};
use crate::state::AppState;

/// A demo case: what the customer wrote, and how the provider and customer moved it on.
struct Story {
    case_type: CaseType,
    subject: CaseSubject,
    priority: CasePriority,
    service: i64,
    origin: CaseOrigin,
    message: &'static str,
    /// Provider replies and status moves, in order.
    steps: &'static [Step],
    rfo: Option<RfoStatus>,
}

enum Step {
    Provider(&'static str),
    Customer(&'static str),
    Move(CaseStatus),
    CustomerDoes(CustomerAction, &'static str),
}

use CasePriority::*;
use CaseStatus::*;
use Step::*;

const STORIES: &[Story] = &[
    Story {
        case_type: CaseType::Incident,
        subject: CaseSubject::ServiceDown,
        priority: P1,
        service: 1,
        origin: CaseOrigin::Monitoring,
        message: "Monitoring lost contact with the Madrid HQ router at 08:12 UTC.",
        steps: &[
            Move(InProgress),
            Provider("A fibre cut near the site is confirmed; a field team is on the way."),
            Provider("Service restored at 10:45 UTC after the fibre was spliced."),
            Move(Resolved),
            CustomerDoes(CustomerAction::Close, "Confirmed working, thank you."),
        ],
        rfo: Some(RfoStatus::Final),
    },
    Story {
        case_type: CaseType::Incident,
        subject: CaseSubject::ServiceDegradation,
        priority: P2,
        service: 2,
        origin: CaseOrigin::Portal,
        message: "Throughput on the Warsaw SD-WAN link is below 50 Mbps since this morning.",
        steps: &[
            Move(InProgress),
            Provider("Congestion on the upstream carrier; traffic has been rerouted."),
            Move(Resolved),
        ],
        rfo: Some(RfoStatus::Preliminary),
    },
    Story {
        case_type: CaseType::Incident,
        subject: CaseSubject::ServiceIntermittent,
        priority: P3,
        service: 3,
        origin: CaseOrigin::Api,
        message: "The Stockholm link drops for a few seconds every hour.",
        steps: &[
            Move(InProgress),
            Provider("Could you send the router logs for the last 24 hours?"),
            Move(Pending),
        ],
        rfo: None,
    },
    Story {
        case_type: CaseType::Incident,
        subject: CaseSubject::ServiceDown,
        priority: P2,
        service: 4,
        origin: CaseOrigin::Phone,
        message: "Berlin branch is offline; the 4G backup is carrying traffic.",
        steps: &[
            Move(InProgress),
            Provider("An engineer is dispatched; ETA 14:00 local time."),
            Customer("Site access is via the loading dock, ask for Jens."),
        ],
        rfo: None,
    },
    Story {
        case_type: CaseType::NonIncident,
        subject: CaseSubject::ChangeRequest,
        priority: P4,
        service: 6,
        origin: CaseOrigin::Portal,
        message: "Please add a second public /29 to the Lisbon service.",
        steps: &[
            Move(InProgress),
            Provider("Waiting for the regional registry to assign the range."),
            Move(Held),
        ],
        rfo: None,
    },
    Story {
        case_type: CaseType::NonIncident,
        subject: CaseSubject::InformationRequest,
        priority: P5,
        service: 7,
        origin: CaseOrigin::Email,
        message: "Which DNS resolvers should we configure?",
        steps: &[CustomerDoes(
            CustomerAction::Cancel,
            "Found it in the technical details, thanks.",
        )],
        rfo: None,
    },
    Story {
        case_type: CaseType::NonIncident,
        subject: CaseSubject::Other,
        priority: P5,
        service: 8,
        origin: CaseOrigin::Email,
        message: "Can you quote a new office in Porto?",
        steps: &[
            Provider("Quotes are handled by your account manager; we have forwarded your request."),
            Move(Rejected),
        ],
        rfo: None,
    },
    Story {
        case_type: CaseType::NonIncident,
        subject: CaseSubject::ActivationSupport,
        priority: P3,
        service: 9,
        origin: CaseOrigin::Portal,
        message: "We need help bringing up BGP on the new Madrid data centre service.",
        steps: &[
            Move(InProgress),
            Provider(
                "Our AS and the session details are in the technical note; shall we schedule a call?",
            ),
            Customer("Tomorrow 10:00 CET works for us."),
        ],
        rfo: None,
    },
    Story {
        case_type: CaseType::NonIncident,
        subject: CaseSubject::UtilizationReport,
        priority: P5,
        service: 10,
        origin: CaseOrigin::Api,
        message: "Please send last quarter's utilization report for the Krakow branch.",
        steps: &[
            Move(InProgress),
            Provider("The report is attached to your portal documents."),
            Move(Resolved),
            CustomerDoes(CustomerAction::Close, ""),
        ],
        rfo: None,
    },
    Story {
        case_type: CaseType::NonIncident,
        subject: CaseSubject::EngineerDispatch,
        priority: P3,
        service: 11,
        origin: CaseOrigin::Phone,
        message: "Please send an engineer to move the router to the new comms room.",
        steps: &[],
        rfo: None,
    },
];

fn actor(name: &str) -> CaseActor {
    CaseActor {
        audit: Actor::System,
        name: name.to_owned(),
        contact_email: "support@acme.example".to_owned(),
    }
}

fn demo_rfo(service: i64, final_version: bool) -> RfoContent {
    let service_id = IdKind::Service.format(service);
    RfoContent {
        affected_service_ids: vec![service_id],
        impact: RfoImpact::Down,
        incident_start: "2026-11-20T08:12:00Z".into(),
        detected: "2026-11-20T08:14:00Z".into(),
        restored: Some("2026-11-20T10:45:00Z".into()),
        excluded_minutes: 0,
        root_cause_category: "FiberCut".into(),
        root_cause: if final_version {
            "Road works by a third party cut the access fibre 300 m from the site. The carrier spliced the fibre and tested the path end to end.".into()
        } else {
            "Preliminary: the access fibre was damaged near the site; the cause is under investigation.".into()
        },
        responsible_party: "ThirdPartyCarrier".into(),
        timeline: vec![
            TimelineEntry {
                at: "2026-11-20T08:14:00Z".into(),
                description: "Monitoring alarm; case opened automatically".into(),
            },
            TimelineEntry {
                at: "2026-11-20T08:40:00Z".into(),
                description: "Carrier confirms a fibre cut".into(),
            },
            TimelineEntry {
                at: "2026-11-20T09:55:00Z".into(),
                description: "Field team on site".into(),
            },
            TimelineEntry {
                at: "2026-11-20T10:45:00Z".into(),
                description: "Fibre spliced; service restored".into(),
            },
        ],
        workaround: "Traffic failed over to the 4G backup within two minutes.".into(),
        corrective_actions: vec!["Fibre spliced and path re-tested".into()],
        preventive_actions: if final_version {
            vec!["A second, diverse access path will be installed by Q1".into()]
        } else {
            vec![]
        },
        sla_breached: final_version,
    }
}

/// Opens the demo cases on the organization's first services (`SVC-000001`…).
pub async fn seed(state: &AppState, org_id: i64, first_service: i64) -> anyhow::Result<()> {
    let scope = AccessScope::whole_organization(org_id);
    let customer = actor("support@acme.example");
    let provider = actor("Provider NOC");
    let mut first_incident = None;
    for story in STORIES {
        let service = first_service + story.service - 1;
        let case = cases::open(
            state,
            &scope,
            &customer,
            CaseRequest {
                case_type: story.case_type,
                subject: story.subject,
                priority: story.priority,
                service_id: IdKind::Service.format(service),
                message: story.message.to_owned(),
                start_of_incident: (story.case_type == CaseType::Incident)
                    .then(|| oneportal_store::now_ms() - 3 * 3_600_000),
                end_of_incident: None,
                customer_reference: format!("ACME-{}", 1000 + story.service),
                related_case_id: None,
                contact_name: "ACME Service Desk".into(),
                contact_email: None,
                contact_phone: "+34 910 000 000".into(),
                origin: story.origin,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo case: {e}"))?;
        first_incident.get_or_insert(case.id);
        for step in story.steps {
            let now = oneportal_store::cases::find_case_anywhere(&state.db, case.id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("demo case vanished"))?;
            let done = match step {
                Provider(text) => cases::provider_reply(state, &now, &provider, text, None)
                    .await
                    .map(drop),
                Customer(text) => cases::reply(state, &now, &customer, text).await.map(drop),
                Move(to) => cases::provider_move(state, &now, &provider, *to, "").await,
                CustomerDoes(action, reason) => {
                    cases::customer_action(state, &now, &customer, *action, Some(reason)).await
                }
            };
            done.map_err(|e| anyhow::anyhow!("demo case step: {e}"))?;
        }
        if let Some(status) = story.rfo {
            let now = oneportal_store::cases::find_case_anywhere(&state.db, case.id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("demo case vanished"))?;
            rfo::publish(
                state,
                &now,
                &provider,
                RfoStatus::Preliminary,
                &demo_rfo(service, false),
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo RFO: {e}"))?;
            if status == RfoStatus::Final {
                rfo::publish(
                    state,
                    &now,
                    &provider,
                    RfoStatus::Final,
                    &demo_rfo(service, true),
                )
                .await
                .map_err(|e| anyhow::anyhow!("demo RFO: {e}"))?;
            }
        }
    }
    // An RFO request about the first incident, already answered.
    if let Some(incident) = first_incident {
        let case = cases::open(
            state,
            &scope,
            &customer,
            CaseRequest {
                case_type: CaseType::Incident,
                subject: CaseSubject::RfoRequest,
                priority: P4,
                service_id: IdKind::Service.format(first_service),
                message: "Please send the RFO for last week's outage in Madrid.".into(),
                start_of_incident: Some(oneportal_store::now_ms() - 6 * 86_400_000),
                end_of_incident: Some(oneportal_store::now_ms() - 6 * 86_400_000 + 9_000_000),
                customer_reference: "ACME-RFO-1".into(),
                related_case_id: Some(IdKind::Case.format(incident)),
                contact_name: "ACME Service Desk".into(),
                contact_email: None,
                contact_phone: String::new(),
                origin: CaseOrigin::Portal,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo RFO request: {e}"))?;
        for to in [InProgress, Resolved] {
            let now = oneportal_store::cases::find_case_anywhere(&state.db, case.id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("demo case vanished"))?;
            cases::provider_move(
                state,
                &now,
                &provider,
                to,
                "RFO published on the incident case",
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo RFO request: {e}"))?;
        }
    }
    Ok(())
}
