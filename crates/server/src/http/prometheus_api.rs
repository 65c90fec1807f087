//! The provider's Prometheus-compatible query API (Prometheus, Thanos, Mimir,
//! VictoriaMetrics) as OnePortal calls it: `query` and `query_range`, POSTed as
//! forms (a long matcher would not fit in a URL), with the configured
//! credentials and headers, and the answer's envelope read. What is asked is
//! written in `services::metrics::prometheus`.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::config::PrometheusSourceConfig;

/// A query the source could not answer: unreachable, slow, or an error of its own.
#[derive(Debug, thiserror::Error)]
#[error("the metrics source did not answer: {0}")]
pub struct SourceUnavailable(pub String);

/// A client of one query API.
pub struct QueryApi {
    client: reqwest::Client,
    base: String,
}

impl QueryApi {
    /// A client for `[metrics.prometheus]`, which `Config::validate` has checked.
    pub fn new(settings: &PrometheusSourceConfig) -> Result<QueryApi, String> {
        let mut headers = HeaderMap::new();
        for (name, value) in &settings.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?;
            let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            headers.insert(name, value);
        }
        let credentials = match (
            &settings.bearer_token,
            &settings.username,
            &settings.password,
        ) {
            (Some(token), ..) => Some(format!("Bearer {}", token.expose_secret())),
            (None, Some(user), Some(password)) => {
                use base64::Engine as _;
                let pair = format!("{user}:{}", password.expose_secret());
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ))
            }
            _ => None,
        };
        if let Some(credentials) = credentials {
            let mut value = HeaderValue::from_str(&credentials).map_err(|e| e.to_string())?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        super::outbound::install_tls_provider();
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(u64::from(settings.timeout_secs)))
            .user_agent("OnePortal-Metrics/1")
            .build()
            .map_err(|e| e.to_string())?;
        Ok(QueryApi {
            client,
            base: settings.url.trim_end_matches('/').to_owned(),
        })
    }

    /// `query_range` from `start` to `end` (Unix ms, both evaluated) every `step` ms.
    pub async fn query_range(
        &self,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<Vec<RangeSeries>, SourceUnavailable> {
        let form = [
            ("query", query.to_owned()),
            ("start", seconds(start)),
            ("end", seconds(end)),
            ("step", seconds(step)),
        ];
        match self.ask("query_range", &form).await? {
            Data::Matrix(series) => Ok(series),
            Data::Vector(_) => Err(SourceUnavailable(
                "query_range answered a vector, not a matrix".into(),
            )),
        }
    }

    /// `query` at the source's now.
    pub async fn query(&self, query: &str) -> Result<Vec<InstantSeries>, SourceUnavailable> {
        match self.ask("query", &[("query", query.to_owned())]).await? {
            Data::Vector(series) => Ok(series),
            Data::Matrix(_) => Err(SourceUnavailable(
                "query answered a matrix, not a vector".into(),
            )),
        }
    }

    /// POSTs a form (a long matcher would not fit in a URL) and reads Prometheus's envelope.
    async fn ask(&self, path: &str, form: &[(&str, String)]) -> Result<Data, SourceUnavailable> {
        let url = format!("{}/api/v1/{path}", self.base);
        let response = self
            .client
            .post(&url)
            .form(form)
            .send()
            .await
            .map_err(|e| SourceUnavailable(format!("{url}: {e}")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| SourceUnavailable(format!("{url}: {e}")))?;
        let envelope: Envelope = serde_json::from_str(&text).map_err(|_| {
            let start: String = text.chars().take(200).collect();
            SourceUnavailable(format!(
                "{url} answered {status}, not the query API: {start}"
            ))
        })?;
        match envelope {
            Envelope {
                status: ref s,
                data: Some(data),
                ..
            } if s == "success" => Ok(data),
            Envelope {
                error_type, error, ..
            } => Err(SourceUnavailable(format!(
                "{url} answered {status}: {}: {}",
                error_type.unwrap_or_default(),
                error.unwrap_or_default()
            ))),
        }
    }
}

/// Milliseconds as the seconds Prometheus's API takes.
fn seconds(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// A `[seconds, "value"]` pair as milliseconds and a finite number.
pub fn sample((at, value): &(f64, String)) -> Option<(i64, f64)> {
    let value: f64 = value.parse().ok()?;
    value
        .is_finite()
        .then(|| ((at * 1000.0).round() as i64, value))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    status: String,
    data: Option<Data>,
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum Data {
    Matrix(Vec<RangeSeries>),
    Vector(Vec<InstantSeries>),
}

#[derive(Deserialize)]
pub struct RangeSeries {
    pub metric: BTreeMap<String, String>,
    pub values: Vec<(f64, String)>,
}

#[derive(Deserialize)]
pub struct InstantSeries {
    pub metric: BTreeMap<String, String>,
    pub value: (f64, String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_sent_as_seconds_with_milliseconds() {
        assert_eq!(seconds(1_700_000_000_123), "1700000000.123");
        assert_eq!(seconds(5), "0.005");
    }
}
