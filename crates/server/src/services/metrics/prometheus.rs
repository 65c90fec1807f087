//! Measurements read from the provider's own Prometheus-compatible query API
//! (`metrics.source = "prometheus"`: Prometheus, Thanos, Mimir,
//! VictoriaMetrics) instead of OnePortal's database.
//!
//! Every query is written here, from the configured metric names and the
//! service label, with the service ids OnePortal chose: nothing a caller sends
//! reaches PromQL as text (the chart is an enum, times and steps are numbers),
//! and every label value is escaped as a PromQL string. So no request can
//! widen the matcher to another customer's series.
//!
//! The answers take the shape of the embedded store's points (one row per
//! series and step), so charts, percentiles and the exposition combine them
//! by the same rules whichever source is configured.

use std::collections::BTreeMap;

use oneportal_domain::ids::IdKind;
use oneportal_domain::metrics::{Measurement, SeriesKind, ceil_div};
use oneportal_store::metrics::{BusyRow, PointRow};

use crate::config::{MetricsConfig, SeriesMapping};
use crate::http::prometheus_api::{QueryApi, SourceUnavailable, sample};

/// Prometheus refuses a range query of more than 11,000 points per series.
pub const MAX_POINTS_PER_QUERY: i64 = 11_000;

/// How recent a gauge's value must be to be "the latest" (as in the embedded store).
const FRESH_FOR_SECS: i64 = 10 * 60;

const HOUR_MS: i64 = 3_600_000;

/// What OnePortal asks the configured query API, for one request.
pub struct PrometheusSource<'a> {
    api: &'a QueryApi,
    service_label: &'a str,
    series: &'a [SeriesMapping],
    scrape_interval_ms: i64,
}

impl<'a> PrometheusSource<'a> {
    pub fn new(api: &'a QueryApi, config: &'a MetricsConfig) -> PrometheusSource<'a> {
        PrometheusSource {
            api,
            service_label: &config.service_label,
            series: &config.series,
            scrape_interval_ms: i64::from(config.prometheus.scrape_interval_secs) * 1000,
        }
    }

    /// One service's points of `measurement` over `[from, to]` at `step`: one
    /// row per series and step, each the value over the step that starts at
    /// its `bucket` (in OnePortal's unit). Steps end at `to`, not on multiples
    /// of the step as the embedded store's do.
    pub async fn points(
        &self,
        service_id: i64,
        measurement: Measurement,
        (from, to, step): (i64, i64, i64),
    ) -> Result<Vec<PointRow>, SourceUnavailable> {
        let matcher = self.matcher(&[service_id]);
        // Evaluated at each step's end, counted back from `to` so that the
        // newest samples are in the last step, and labelled with the step's start.
        let steps = ceil_div((to - from).max(1), step).max(1);
        let mut rows = Vec::new();
        for (index, mapping) in self.mappings(measurement).enumerate() {
            let query = over_step(mapping, &matcher, self.window_ms(mapping.kind, step));
            let result = self
                .api
                .query_range(&query, to - (steps - 1) * step, to, step)
                .await?;
            for (series_index, series) in result.iter().enumerate() {
                // Series ids only tell series apart within this answer.
                let series_id = (index * 100_000 + series_index) as i64;
                for (at, value) in series.values.iter().filter_map(sample) {
                    rows.push(PointRow {
                        series_id,
                        bucket: at - step,
                        min_value: value * mapping.scale,
                        max_value: value * mapping.scale,
                        sum_value: value * mapping.scale,
                        weight: 1.0,
                    });
                }
            }
        }
        Ok(rows)
    }

    /// The latest value of each series of `services`: a gauge's newest value
    /// within ten minutes, a counter's rate between its two newest samples.
    pub async fn latest(
        &self,
        services: &[i64],
    ) -> Result<Vec<(i64, Measurement, f64)>, SourceUnavailable> {
        if services.is_empty() {
            return Ok(Vec::new());
        }
        let matcher = self.matcher(services);
        let mut values = Vec::new();
        for mapping in self.series {
            let selector = selector(&mapping.name, &matcher);
            let query = match mapping.kind {
                SeriesKind::Counter => format!("irate({selector}[{FRESH_FOR_SECS}s])"),
                SeriesKind::Gauge => format!("last_over_time({selector}[{FRESH_FOR_SECS}s])"),
            };
            for series in self.api.query(&query).await? {
                let Some(service) = self.service_of(&series.metric) else {
                    continue;
                };
                if let Some((_, value)) = sample(&series.value) {
                    values.push((service, mapping.measurement, value * mapping.scale));
                }
            }
        }
        Ok(values)
    }

    /// Each service's traffic in and out since `since`: its average and its busiest hour.
    pub async fn busiest_hours(
        &self,
        services: &[i64],
        since: i64,
        now: i64,
    ) -> Result<Vec<BusyRow>, SourceUnavailable> {
        if services.is_empty() {
            return Ok(Vec::new());
        }
        let matcher = self.matcher(services);
        // bit/s per service, measurement and hour, summed across series and names.
        let mut hourly: BTreeMap<(i64, Measurement), BTreeMap<i64, f64>> = BTreeMap::new();
        for measurement in [Measurement::TrafficIn, Measurement::TrafficOut] {
            for mapping in self.mappings(measurement) {
                let query = format!(
                    "sum by ({}) ({})",
                    self.service_label,
                    over_step(mapping, &matcher, self.window_ms(mapping.kind, HOUR_MS))
                );
                // Hours counted back from now, so the newest samples are in the last.
                let start = now - ((now - since) / HOUR_MS - 1).max(0) * HOUR_MS;
                for series in self.api.query_range(&query, start, now, HOUR_MS).await? {
                    let Some(service) = self.service_of(&series.metric) else {
                        continue;
                    };
                    let hours = hourly.entry((service, measurement)).or_default();
                    for (at, value) in series.values.iter().filter_map(sample) {
                        *hours.entry(at).or_default() += value * mapping.scale;
                    }
                }
            }
        }
        Ok(hourly
            .into_iter()
            .filter(|(_, hours)| !hours.is_empty())
            .map(|((service_id, measurement), hours)| BusyRow {
                service_id,
                measurement,
                average: hours.values().sum::<f64>() / hours.len() as f64,
                busiest: hours.values().copied().fold(f64::NEG_INFINITY, f64::max),
            })
            .collect())
    }

    fn mappings(&self, measurement: Measurement) -> impl Iterator<Item = &SeriesMapping> {
        self.series
            .iter()
            .filter(move |m| m.measurement == measurement)
    }

    /// The service label matched to exactly these services.
    fn matcher(&self, services: &[i64]) -> String {
        let ids: Vec<String> = services
            .iter()
            .map(|id| IdKind::Service.format(*id))
            .collect();
        match ids.as_slice() {
            [one] => format!("{}=\"{}\"", self.service_label, promql_string(one)),
            many => {
                let alternatives: Vec<String> = many.iter().map(|id| regex::escape(id)).collect();
                format!(
                    "{}=~\"{}\"",
                    self.service_label,
                    promql_string(&alternatives.join("|"))
                )
            }
        }
    }

    fn service_of(&self, labels: &BTreeMap<String, String>) -> Option<i64> {
        IdKind::Service.parse(labels.get(self.service_label)?)
    }

    /// The range a step's value is computed over: a counter's rate needs at
    /// least four scrapes (Grafana's `$__rate_interval`), a gauge's average one.
    fn window_ms(&self, kind: SeriesKind, step: i64) -> i64 {
        match kind {
            SeriesKind::Counter => {
                (step + self.scrape_interval_ms).max(4 * self.scrape_interval_ms)
            }
            SeriesKind::Gauge => step.max(self.scrape_interval_ms),
        }
    }
}

/// The value of one step from `mapping`'s series: a counter's rate, a gauge's average.
fn over_step(mapping: &SeriesMapping, matcher: &str, window_ms: i64) -> String {
    let selector = selector(&mapping.name, matcher);
    let window = window_ms / 1000;
    match mapping.kind {
        SeriesKind::Counter => format!("rate({selector}[{window}s])"),
        SeriesKind::Gauge => format!("avg_over_time({selector}[{window}s])"),
    }
}

/// `name{matcher}`; configured names are checked to be metric names, and are quoted besides.
fn selector(name: &str, matcher: &str) -> String {
    format!("{{__name__=\"{}\",{matcher}}}", promql_string(name))
}

/// Text as a double-quoted PromQL string's contents.
fn promql_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            other => quoted.push(other),
        }
    }
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> MetricsConfig {
        let mut config = MetricsConfig::default();
        config.prometheus.url = "http://127.0.0.1:9".into();
        config
    }

    #[test]
    fn the_matcher_names_exactly_the_services_and_nothing_a_value_could_close() {
        let (config, api) = (config(), QueryApi::new(&config().prometheus).unwrap());
        let source = PrometheusSource::new(&api, &config);
        assert_eq!(source.matcher(&[123]), "service_id=\"SVC-000123\"");
        assert_eq!(
            source.matcher(&[1, 22]),
            "service_id=~\"SVC\\\\-000001|SVC\\\\-000022\""
        );
        assert_eq!(
            promql_string("a\"} or up{b=\"\\"),
            "a\\\"} or up{b=\\\"\\\\"
        );
    }

    #[test]
    fn a_step_is_a_rate_over_four_scrapes_at_least_and_a_gauge_an_average() {
        let (config, api) = (config(), QueryApi::new(&config().prometheus).unwrap());
        let source = PrometheusSource::new(&api, &config);
        let counter = &source.series[0];
        assert_eq!(counter.kind, SeriesKind::Counter);
        assert_eq!(
            over_step(
                counter,
                "service_id=\"SVC-000001\"",
                source.window_ms(counter.kind, 5_000)
            ),
            "rate({__name__=\"oneportal_service_traffic_in_bytes_total\",service_id=\"SVC-000001\"}[60s])"
        );
        let gauge = source.mappings(Measurement::Latency).next().unwrap();
        assert_eq!(
            over_step(gauge, "x=\"1\"", source.window_ms(gauge.kind, 300_000)),
            "avg_over_time({__name__=\"oneportal_service_latency_seconds\",x=\"1\"}[300s])"
        );
    }
}
