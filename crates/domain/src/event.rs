//! The kinds of events OnePortal tells customers about (PRODUCT §7).
//!
//! Adding an event type is one line in [`event_types!`] (its name, the kind of
//! record it is about, which decides who may see it) plus its data schema and
//! the place that emits it.

use serde::{Deserialize, Serialize};

use crate::permission::{Permission, PermissionSet};
use crate::scope::ApiScope;

/// What an event is about; the scope that reads such records reads their events,
/// and the account restrictions of that record apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventSubject {
    /// A support case (also its messages, files and RFO): `SupportRead`.
    Case,
    /// An invoice or credit note: `BillingRead`.
    Invoice,
    /// A service: `BasicRead`.
    Service,
    /// A planned maintenance: `SupportRead` ("Support – View Cases & Maintenance");
    /// seen by whoever may see one of the services it affects.
    Maintenance,
    /// A request to deactivate a service: `SupportRead` (it is asked with
    /// `Support (Edit)`); seen by whoever may see the service.
    DeactivationRequest,
    /// An order in delivery: `OrdersRead`.
    Order,
    /// A quote: `OrdersRead`; in the portal, whoever follows orders or approves them.
    Quote,
}

impl EventSubject {
    /// The scope a caller needs to read events about this kind of record.
    pub const fn scope(self) -> ApiScope {
        match self {
            EventSubject::Case => ApiScope::SupportRead,
            EventSubject::Invoice => ApiScope::BillingRead,
            EventSubject::Service => ApiScope::BasicRead,
            EventSubject::Maintenance => ApiScope::SupportRead,
            EventSubject::DeactivationRequest => ApiScope::SupportRead,
            EventSubject::Order => ApiScope::OrdersRead,
            EventSubject::Quote => ApiScope::OrdersRead,
        }
    }

    /// The permissions of which a person must hold one to read such records,
    /// and so their events by e-mail or through a webhook endpoint they own:
    /// those behind the scope, and for quotes also `Orders (Approve)`, whose
    /// holders answer them.
    pub const fn readers(self) -> &'static [Permission] {
        match self {
            EventSubject::Quote => &[Permission::OrdersView, Permission::OrdersApprove],
            other => other.scope().creator_needs_any_of(),
        }
    }
}

macro_rules! event_types {
    ($($variant:ident = $name:literal about $subject:ident: $doc:literal;)*) => {
        /// The type of an event: `resource.action`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum EventType {
            $(#[doc = $doc] #[serde(rename = $name)] $variant,)*
        }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant),*];
            /// Every type's name, for messages that list what is allowed.
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            pub const fn name(self) -> &'static str {
                match self { $(EventType::$variant => $name),* }
            }

            pub fn parse(text: &str) -> Option<EventType> {
                match text { $($name => Some(EventType::$variant),)* _ => None }
            }

            /// The kind of record the event is about.
            pub const fn subject(self) -> EventSubject {
                match self { $(EventType::$variant => EventSubject::$subject),* }
            }
        }
    };
}

event_types! {
    CaseCreated = "case.created" about Case: "A case was opened (by the customer, the provider or monitoring).";
    CaseStatusChanged = "case.status_changed" about Case: "A case moved to another status.";
    CaseCommunicationAdded = "case.communication_added" about Case: "A message was added to a case's conversation.";
    CaseAttachmentAdded = "case.attachment_added" about Case: "A file was attached to a case.";
    RfoPublished = "rfo.published" about Case: "The reason for outage of an incident was published or revised.";
    InvoiceIssued = "invoice.issued" about Invoice: "An invoice or credit note was issued.";
    ServiceStatusChanged = "service.status_changed" about Service: "A service moved to another status.";
    ServiceHealthChanged = "service.health_changed" about Service: "A service's health changed (Operational, Degraded, Down, Maintenance): monitoring saw a problem or its recovery, or maintenance on it started or ended.";
    MaintenanceScheduled = "maintenance.scheduled" about Maintenance: "A planned maintenance affecting your services was announced.";
    MaintenanceUpdated = "maintenance.updated" about Maintenance: "A planned maintenance changed: its window (rescheduled), its status (confirmed), its services or its text.";
    MaintenanceCancelled = "maintenance.cancelled" about Maintenance: "A planned maintenance was cancelled.";
    MaintenanceStarted = "maintenance.started" about Maintenance: "The work of a planned maintenance started.";
    MaintenanceCompleted = "maintenance.completed" about Maintenance: "The work of a planned maintenance is done.";
    DeactivationSubmitted = "deactivation_request.submitted" about DeactivationRequest: "A customer asked for a service to be deactivated.";
    DeactivationInReview = "deactivation_request.in_review" about DeactivationRequest: "The provider is reviewing a deactivation request (or took its terms back to revise them).";
    DeactivationPendingConfirmation = "deactivation_request.pending_confirmation" about DeactivationRequest: "The provider stated the terms of a deactivation; it waits for the customer to confirm or withdraw.";
    DeactivationConfirmed = "deactivation_request.confirmed" about DeactivationRequest: "The customer confirmed a deactivation: binding and irreversible.";
    DeactivationScheduled = "deactivation_request.scheduled" about DeactivationRequest: "The provider set the billing end date of a confirmed deactivation.";
    DeactivationCompleted = "deactivation_request.completed" about DeactivationRequest: "The service of a deactivation request is deactivated.";
    DeactivationWithdrawn = "deactivation_request.withdrawn" about DeactivationRequest: "The customer withdrew a deactivation request.";
    DeactivationDeclined = "deactivation_request.declined" about DeactivationRequest: "The provider declined a deactivation request.";
    OrderCreated = "order.created" about Order: "An order was placed and its delivery starts.";
    OrderMilestoneReached = "order.milestone_reached" about Order: "A line of an order reached a milestone (ready for service: its service is RFS).";
    OrderMilestoneDelayed = "order.milestone_delayed" about Order: "A milestone of an order's line has a new planned date, with the reason.";
    OrderDelivered = "order.delivered" about Order: "Every line of an order is ready for service.";
    OrderCancelled = "order.cancelled" about Order: "The provider cancelled an order.";
    QuoteSent = "quote.sent" about Quote: "The provider sent a quote, or a new version of one (`version` says which): it waits for your answer.";
    QuoteAccepted = "quote.accepted" about Quote: "A quote was accepted (`version` says which); its order is placed.";
    QuoteDeclined = "quote.declined" about Quote: "A quote was declined, with the reason.";
    QuoteExpired = "quote.expired" about Quote: "A quote's validity ended before anyone answered it.";
    QuoteWithdrawn = "quote.withdrawn" about Quote: "The provider withdrew a quote.";
}

// Written by hand: the derive would list the variants' Rust names, not the
// dotted names they serialize as.
impl utoipa::PartialSchema for EventType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .description(Some("The type of an event: `resource.action`."))
            .enum_values(Some(EventType::NAMES.iter().copied()))
            .into()
    }
}

impl utoipa::ToSchema for EventType {}

impl EventType {
    /// The scope a caller needs to read events of this type.
    pub const fn scope(self) -> ApiScope {
        self.subject().scope()
    }

    /// Whether a person holding `permissions` may read events of this type.
    pub fn readable_by(self, permissions: PermissionSet) -> bool {
        self.subject()
            .readers()
            .iter()
            .any(|p| permissions.contains(*p))
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<String> for EventType {
    type Error = crate::error::ValidationError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        EventType::parse(&text).ok_or_else(|| {
            crate::error::ValidationError::new(
                "unknown_value",
                format!("'{text}' is not one of: {}", EventType::NAMES.join(", ")),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_parses_back_from_its_name_and_reads_with_its_subjects_scope() {
        for &t in EventType::ALL {
            assert_eq!(EventType::parse(t.name()), Some(t));
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                serde_json::json!(t.name())
            );
        }
        assert_eq!(EventType::RfoPublished.scope(), ApiScope::SupportRead);
        assert_eq!(EventType::InvoiceIssued.scope(), ApiScope::BillingRead);
        assert_eq!(EventType::ServiceStatusChanged.scope(), ApiScope::BasicRead);
        assert_eq!(EventType::parse("case.deleted"), None);
    }
}

/// How many events one page of the feed holds at most, and by default.
pub const MAX_FEED_LIMIT: u32 = 100;
pub const DEFAULT_FEED_LIMIT: u32 = 50;
/// How long a feed request may wait for the next event, in seconds.
pub const MAX_FEED_WAIT_SECONDS: u32 = 30;

/// `GET /v2/events`: from after which event, of which types, how many, and how
/// long to wait when there is nothing new yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedQuery {
    /// The sequence of the last event already read (0: from the oldest kept).
    pub after: i64,
    /// The types asked for; `None` for every type the caller may read.
    pub types: Option<Vec<EventType>>,
    pub limit: u32,
    pub wait_seconds: u32,
}

impl FeedQuery {
    /// Reads the query's pairs; every problem is reported, each naming its parameter.
    pub fn parse(pairs: &[(String, String)]) -> Result<FeedQuery, Vec<crate::query::QueryError>> {
        use crate::query::QueryError;
        let mut query = FeedQuery {
            after: 0,
            types: None,
            limit: DEFAULT_FEED_LIMIT,
            wait_seconds: 0,
        };
        let mut errors = Vec::new();
        let number = |name: &str, value: &str, max: u32, errors: &mut Vec<QueryError>| match value
            .parse::<u32>(
        ) {
            Ok(n) if n <= max => Some(n),
            _ => {
                errors.push(QueryError::new(
                    name,
                    "invalid_value",
                    format!("{name} is a whole number from 0 to {max}"),
                ));
                None
            }
        };
        if pairs.len() > crate::query::MAX_PARAMETERS {
            return Err(vec![QueryError::new(
                "",
                "too_many_parameters",
                format!(
                    "the query has {} parameters; the event feed takes at most {}",
                    pairs.len(),
                    crate::query::MAX_PARAMETERS
                ),
            )]);
        }
        for (name, value) in pairs {
            match name.as_str() {
                "after" => match value.parse::<i64>() {
                    Ok(after) if after >= 0 => query.after = after,
                    _ => errors.push(QueryError::new(
                        name,
                        "invalid_cursor",
                        "after takes the nextCursor of an earlier page of this feed".into(),
                    )),
                },
                "types" => {
                    let types = query.types.get_or_insert_with(Vec::new);
                    for text in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                        match EventType::parse(text) {
                            Some(t) if !types.contains(&t) => types.push(t),
                            Some(_) => {}
                            None => errors.push(QueryError::new(
                                name,
                                "unknown_event_type",
                                format!(
                                    "'{}' is not an event type; the types are {}",
                                    text.chars().take(64).collect::<String>(),
                                    EventType::NAMES.join(", ")
                                ),
                            )),
                        }
                    }
                }
                "limit" => match number(name, value, MAX_FEED_LIMIT, &mut errors) {
                    Some(0) => errors.push(QueryError::new(
                        name,
                        "invalid_value",
                        format!("limit is a whole number from 1 to {MAX_FEED_LIMIT}"),
                    )),
                    Some(limit) => query.limit = limit,
                    None => {}
                },
                "wait" => {
                    if let Some(wait) = number(name, value, MAX_FEED_WAIT_SECONDS, &mut errors) {
                        query.wait_seconds = wait;
                    }
                }
                other => errors.push(QueryError::new(
                    other,
                    "unknown_parameter",
                    format!(
                        "'{}' is not a parameter of the event feed; it takes after, types, limit and wait",
                        other.chars().take(64).collect::<String>()
                    ),
                )),
            }
        }
        errors.truncate(crate::query::MAX_REPORTED_ERRORS);
        if errors.is_empty() {
            Ok(query)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod feed_query_tests {
    use super::*;

    fn parse(query: &[(&str, &str)]) -> Result<FeedQuery, Vec<String>> {
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        FeedQuery::parse(&pairs).map_err(|e| e.into_iter().map(|e| e.parameter).collect())
    }

    #[test]
    fn a_feed_query_reads_its_four_parameters_and_names_each_mistake() {
        let query = parse(&[
            ("after", "42"),
            ("types", "case.created, rfo.published"),
            ("types", "case.created"),
            ("limit", "100"),
            ("wait", "30"),
        ])
        .unwrap();
        assert_eq!(query.after, 42);
        assert_eq!(
            query.types,
            Some(vec![EventType::CaseCreated, EventType::RfoPublished])
        );
        assert_eq!((query.limit, query.wait_seconds), (100, 30));
        assert_eq!(parse(&[]).unwrap().limit, DEFAULT_FEED_LIMIT);
        for (bad, named) in [
            (("after", "-1"), "after"),
            (("after", "x"), "after"),
            (("types", "case.deleted"), "types"),
            (("limit", "0"), "limit"),
            (("limit", "101"), "limit"),
            (("wait", "31"), "wait"),
            (("cursor", "1"), "cursor"),
        ] {
            assert_eq!(
                parse(&[bad]).unwrap_err(),
                vec![named.to_owned()],
                "{bad:?}"
            );
        }
    }
}
