//! The network-performance pipeline's health on the staff's Monitoring page:
//! where measurements come from, what each source pushed and how recently,
//! series per organization, and what this node took and refused.

use oneportal_store::metrics as store;
use oneportal_store::now_ms;

use crate::config::MetricsSourceKind;
use crate::portal::PortalError;
use crate::portal::developer::day_time;
use crate::state::AppState;

/// A source whose newest sample is older than this is flagged: it stopped sending.
const QUIET_AFTER_MS: i64 = 10 * 60_000;
/// Organizations listed, most series first.
const ORGANIZATIONS_SHOWN: usize = 20;

pub struct Intake {
    /// Where measurements are read from, in a sentence.
    pub source: String,
    /// The provider's Prometheus is read: nothing is pushed or stored here.
    pub external: bool,
    pub sources: Vec<Source>,
    pub organizations: Vec<(String, i64)>,
    /// Organizations beyond those listed.
    pub more_organizations: usize,
    pub since: String,
    /// Samples by outcome on this node: outcome, what it means, count.
    pub samples: Vec<(&'static str, &'static str, u64)>,
    pub unknown_services: Vec<String>,
}

pub struct Source {
    pub name: String,
    pub series: i64,
    pub newest: String,
    pub quiet: bool,
}

/// What each outcome means to the person who must fix the sender.
fn meaning(outcome: &str) -> &'static str {
    match outcome {
        "accepted" => "stored",
        "no_metric_name" => "the series has no __name__",
        "unmapped_metric" => "its name is not in metrics.series",
        "no_service_label" => "it has no service label",
        "unknown_service" => "its service label names no service",
        "too_old" => "older than 48 hours",
        "in_the_future" => "more than ten minutes ahead of this server's clock",
        "not_finite" => "infinite or not a number",
        _ => "",
    }
}

pub async fn read(state: &AppState) -> Result<Intake, PortalError> {
    let config = &state.config.metrics;
    let external = config.source == MetricsSourceKind::Prometheus;
    let source = if external {
        format!(
            "Measurements are read from the provider's Prometheus at {}; nothing is pushed to or stored in OnePortal.",
            config.prometheus.url
        )
    } else {
        format!(
            "Measurements are pushed with Prometheus remote-write to {}/ops/v1/metrics/write with an integration token, and stored here.",
            state.public_url
        )
    };
    let now = now_ms();
    let sources = store::series_per_source(&state.db)
        .await?
        .into_iter()
        .map(|s| Source {
            name: s.name,
            series: s.series,
            newest: s.newest_at.map_or_else(|| "none kept".to_owned(), day_time),
            quiet: s.newest_at.is_none_or(|at| now - at > QUIET_AFTER_MS),
        })
        .collect();
    let all = store::series_per_organization(&state.db).await?;
    let more_organizations = all.len().saturating_sub(ORGANIZATIONS_SHOWN);
    let organizations = all
        .into_iter()
        .take(ORGANIZATIONS_SHOWN)
        .map(|o| (o.name, o.series))
        .collect();
    let tally = &state.metric_intake;
    Ok(Intake {
        source,
        external,
        sources,
        organizations,
        more_organizations,
        since: day_time(tally.since),
        samples: tally
            .samples()
            .into_iter()
            .map(|(outcome, count)| (outcome, meaning(outcome), count))
            .collect(),
        unknown_services: tally.unknown_services(),
    })
}
