//! `GET /v2/events`: the event feed, for integrations that poll (PRODUCT §7).

use axum::Json;
use axum::extract::{RawQuery, State};
use oneportal_domain::event::{EventType, FeedQuery};
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::{Access, EventsRead};
use crate::http::ApiError;
use crate::http::pagination::{query_pairs, query_problem};
use crate::http::problem::Problem;
use crate::models::event::Event;
use crate::services::events;
use crate::state::AppState;

/// Where a page of the feed ends.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedPagination {
    pub limit: u32,
    /// Pass as `after` for the next page; also when this page is empty, to wait
    /// for what comes next. Stable across restarts and nodes.
    #[schema(example = "1042")]
    pub next_cursor: String,
    /// More events were already there: ask again at once.
    pub has_more: bool,
}

/// A page of the event feed.
#[derive(Serialize, ToSchema)]
pub struct EventFeed {
    pub data: Vec<Event>,
    pub pagination: FeedPagination,
}

/// Read the event feed.
#[utoipa::path(get, path = "/v2/events", tag = "Events",
    security(("oauth2" = ["customerapi/basic.read"]), ("oauth2" = ["customerapi/support.read"]), ("oauth2" = ["customerapi/billing.read"]), ("userToken" = [])),
    description = "Events of your organization, oldest first, each shown only if you may read its record now: case, message, attachment and RFO events with `customerapi/support.read`, invoice events with `customerapi/billing.read`, service events with `customerapi/basic.read`, maintenance events with `customerapi/support.read`, and the account restrictions of the user behind the token apply. Events are kept for 30 days.\n\n\
        Read from the start, then pass each page's `pagination.nextCursor` as `after`. With `wait` (up to 30 seconds) an empty page is held until an event arrives, so a loop of `GET /v2/events?after=<cursor>&wait=30` hears of a change within a moment of its commit.",
    params(
        ("after" = Option<String>, Query, pattern = "^[0-9]{1,18}$", description = "The `nextCursor` of the page before; without it the feed starts at the oldest kept event"),
        ("types" = Option<String>, Query, pattern = "^(case\\.created|case\\.status_changed|case\\.communication_added|case\\.attachment_added|rfo\\.published|invoice\\.issued|service\\.status_changed|service\\.health_changed|maintenance\\.scheduled|maintenance\\.updated|maintenance\\.cancelled|maintenance\\.started|maintenance\\.completed|deactivation_request\\.submitted|deactivation_request\\.in_review|deactivation_request\\.pending_confirmation|deactivation_request\\.confirmed|deactivation_request\\.scheduled|deactivation_request\\.completed|deactivation_request\\.withdrawn|deactivation_request\\.declined|order\\.created|order\\.milestone_reached|order\\.milestone_delayed|order\\.delivered|order\\.cancelled|quote\\.sent|quote\\.accepted|quote\\.declined|quote\\.expired|quote\\.withdrawn)(,(case\\.created|case\\.status_changed|case\\.communication_added|case\\.attachment_added|rfo\\.published|invoice\\.issued|service\\.status_changed|service\\.health_changed|maintenance\\.scheduled|maintenance\\.updated|maintenance\\.cancelled|maintenance\\.started|maintenance\\.completed|deactivation_request\\.submitted|deactivation_request\\.in_review|deactivation_request\\.pending_confirmation|deactivation_request\\.confirmed|deactivation_request\\.scheduled|deactivation_request\\.completed|deactivation_request\\.withdrawn|deactivation_request\\.declined|order\\.created|order\\.milestone_reached|order\\.milestone_delayed|order\\.delivered|order\\.cancelled|quote\\.sent|quote\\.accepted|quote\\.declined|quote\\.expired|quote\\.withdrawn))*$", description = "Comma-separated event types, e.g. `case.status_changed,rfo.published`; default every type you may read"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Events per page (default 50)"),
        ("wait" = Option<u32>, Query, minimum = 0, maximum = 30, description = "Seconds to wait for an event when there is none yet (default 0)"),
    ),
    responses((status = 200, body = EventFeed),
        (status = 400, description = "An unknown parameter or event type, or a malformed cursor; `errors[].pointer` names it", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "No scope reads events, or `types` asks for a kind of record your scopes do not read", body = Problem)))]
pub async fn list_events(
    State(state): State<AppState>,
    access: Access<EventsRead>,
    RawQuery(raw): RawQuery,
) -> Result<Json<EventFeed>, ApiError> {
    let query = parse(raw.as_deref())?;
    let scopes = access.caller.scopes();
    if let Some(denied) = query
        .types
        .iter()
        .flatten()
        .find(|t| !scopes.allows(t.scope()))
    {
        return Err(ApiError::InsufficientScope(denied.scope()));
    }
    let types: Vec<EventType> = events::readable_types(scopes, query.types.as_deref());
    let page = events::feed(&state, &access.scope, &types, &query).await?;
    Ok(Json(EventFeed {
        data: page.events.into_iter().map(Event::from_row).collect(),
        pagination: FeedPagination {
            limit: query.limit,
            next_cursor: page.next_after.to_string(),
            has_more: page.has_more,
        },
    }))
}

fn parse(raw: Option<&str>) -> Result<FeedQuery, ApiError> {
    FeedQuery::parse(&query_pairs(raw)?).map_err(query_problem)
}

#[cfg(test)]
mod tests {
    /// The `types` pattern in the OpenAPI document names exactly the event types.
    #[test]
    fn the_documented_types_pattern_lists_every_event_type() {
        let source = include_str!("events.rs");
        let pattern = source
            .lines()
            .find(|l| l.contains("(\"types\" = Option<String>"))
            .and_then(|l| l.split("pattern = \"^(").nth(1))
            .and_then(|rest| rest.split(')').next())
            .expect("the types parameter has a pattern");
        let listed: Vec<String> = pattern
            .split('|')
            .map(|n| n.replace("\\\\.", "."))
            .collect();
        assert_eq!(listed, oneportal_domain::event::EventType::NAMES);
    }
}
