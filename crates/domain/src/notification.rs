//! The e-mails a portal user may choose to get (PRODUCT §7): each topic names
//! the events it mails about and whether it is on until the person says otherwise.
//!
//! Adding a topic is one line in [`topics!`]; who may receive it is not decided
//! here but by the event's own visibility rule (scope and account access).

use crate::event::EventType;
use crate::scope::ApiScope;

/// Which cases a case topic covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Only cases the person opened or is the named contact of.
    Own,
    /// Every record the person may see.
    All,
}

macro_rules! topics {
    ($($variant:ident = $key:literal, $reach:ident, default $default:literal,
        [$($event:ident),*], $label:literal, $hint:literal;)*) => {
        /// A kind of notification e-mail.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Topic {
            $($variant,)*
        }

        impl Topic {
            pub const ALL: &'static [Topic] = &[$(Topic::$variant),*];

            /// How the choice is stored and named in forms.
            pub const fn key(self) -> &'static str {
                match self { $(Topic::$variant => $key),* }
            }

            pub fn parse(key: &str) -> Option<Topic> {
                match key { $($key => Some(Topic::$variant),)* _ => None }
            }

            /// Whether a person who never chose gets these e-mails.
            pub const fn default_on(self) -> bool {
                match self { $(Topic::$variant => $default),* }
            }

            pub const fn reach(self) -> Reach {
                match self { $(Topic::$variant => Reach::$reach),* }
            }

            /// The events this topic mails about.
            pub const fn events(self) -> &'static [EventType] {
                match self { $(Topic::$variant => &[$(EventType::$event),*]),* }
            }

            /// The choice as the form shows it.
            pub const fn label(self) -> &'static str {
                match self { $(Topic::$variant => $label),* }
            }

            pub const fn hint(self) -> &'static str {
                match self { $(Topic::$variant => $hint),* }
            }
        }
    };
}

topics! {
    MyCases = "cases.mine", Own, default true,
        [CaseCreated, CaseStatusChanged, CaseCommunicationAdded],
        "Replies and status changes on my cases",
        "Cases you opened or are the contact of, and incidents the provider's monitoring opens on services you can see.";
    AllCases = "cases.all", All, default false,
        [CaseCreated, CaseStatusChanged, CaseCommunicationAdded],
        "Every case I can see",
        "New cases, replies and status changes on every case of the accounts you may see.";
    RfoPublished = "rfo.published", All, default true,
        [RfoPublished],
        "Reasons for outage",
        "When the reason for outage of an incident you can see is published or revised.";
    InvoiceIssued = "invoice.issued", All, default true,
        [InvoiceIssued],
        "Invoices and credit notes",
        "When an invoice or credit note of an account you can see is issued.";
    Maintenance = "maintenance", All, default true,
        [MaintenanceScheduled, MaintenanceUpdated, MaintenanceCancelled, MaintenanceStarted, MaintenanceCompleted],
        "Planned maintenance",
        "When maintenance on a service you can see is announced, changed, started, completed or cancelled, with the calendar entry attached.";
    Deactivation = "deactivation", All, default true,
        [DeactivationSubmitted, DeactivationInReview, DeactivationPendingConfirmation, DeactivationConfirmed,
         DeactivationScheduled, DeactivationCompleted, DeactivationWithdrawn, DeactivationDeclined],
        "Deactivation requests",
        "When a request to deactivate a service you can see is submitted, reviewed, waits for your confirmation, is confirmed, withdrawn or declined, and when its billing end date is set.";
    Orders = "orders", All, default true,
        [OrderCreated, OrderMilestoneReached, OrderMilestoneDelayed, OrderDelivered, OrderCancelled],
        "Orders in delivery",
        "When an order you can see is placed, reaches a milestone, is delayed, delivered or cancelled.";
    Quotes = "quotes", All, default true,
        [QuoteSent, QuoteAccepted, QuoteDeclined, QuoteExpired, QuoteWithdrawn],
        "Quotes",
        "When the provider sends you a quote or a new version of one, when a quote is accepted, declined or withdrawn, and when one expires unanswered.";
}

impl Topic {
    /// The scope whose records the topic mails about; a person whose permissions
    /// do not grant it gets none of these e-mails.
    pub fn scope(self) -> ApiScope {
        self.events()[0].scope()
    }

    /// The permissions of which a person must hold one to get the topic's e-mails.
    pub fn readers(self) -> &'static [crate::Permission] {
        self.events()[0].subject().readers()
    }

    /// Whether a person holding `permissions` may get the topic's e-mails.
    pub fn readable_by(self, permissions: crate::PermissionSet) -> bool {
        self.events()[0].readable_by(permissions)
    }

    /// The topics that mail about `event`.
    pub fn for_event(event: EventType) -> impl Iterator<Item = Topic> {
        Topic::ALL
            .iter()
            .copied()
            .filter(move |topic| topic.events().contains(&event))
    }
}

/// A person's choices: the topics that differ from their default are stored;
/// everything else follows [`Topic::default_on`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preferences {
    chosen: Vec<(Topic, bool)>,
}

impl Preferences {
    /// From stored `(key, enabled)` pairs; unknown keys (a topic since removed) are ignored.
    pub fn from_stored<'a>(stored: impl IntoIterator<Item = (&'a str, bool)>) -> Preferences {
        Preferences {
            chosen: stored
                .into_iter()
                .filter_map(|(key, on)| Topic::parse(key).map(|topic| (topic, on)))
                .collect(),
        }
    }

    /// Exactly these topics on, every other off.
    pub fn only(on: &[Topic]) -> Preferences {
        Preferences {
            chosen: Topic::ALL
                .iter()
                .map(|topic| (*topic, on.contains(topic)))
                .collect(),
        }
    }

    pub fn wants(&self, topic: Topic) -> bool {
        self.chosen
            .iter()
            .find(|(chosen, _)| *chosen == topic)
            .map_or(topic.default_on(), |(_, on)| *on)
    }

    /// Every topic with whether it is on, in the form's order.
    pub fn all(&self) -> impl Iterator<Item = (Topic, bool)> + '_ {
        Topic::ALL.iter().map(|topic| (*topic, self.wants(*topic)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_who_never_chose_gets_the_defaults() {
        let nobody = Preferences::default();
        assert!(nobody.wants(Topic::MyCases));
        assert!(!nobody.wants(Topic::AllCases));
        assert!(nobody.wants(Topic::RfoPublished));
        assert!(nobody.wants(Topic::InvoiceIssued));
    }

    #[test]
    fn stored_choices_override_defaults_and_unknown_keys_are_ignored() {
        let chosen =
            Preferences::from_stored([("cases.mine", false), ("cases.all", true), ("gone", true)]);
        assert!(!chosen.wants(Topic::MyCases));
        assert!(chosen.wants(Topic::AllCases));
        assert!(chosen.wants(Topic::InvoiceIssued));
        assert_eq!(
            Preferences::only(&[]).all().filter(|(_, on)| *on).count(),
            0
        );
    }

    #[test]
    fn every_topic_names_events_and_round_trips_its_key() {
        for topic in Topic::ALL {
            assert!(!topic.events().is_empty());
            assert_eq!(Topic::parse(topic.key()), Some(*topic));
            // One scope per topic: the form can say which permission it needs.
            assert!(topic.events().iter().all(|e| e.scope() == topic.scope()));
        }
        let reply: Vec<_> = Topic::for_event(EventType::CaseCommunicationAdded).collect();
        assert_eq!(reply, [Topic::MyCases, Topic::AllCases]);
        assert_eq!(Topic::for_event(EventType::ServiceStatusChanged).count(), 0);
    }
}
