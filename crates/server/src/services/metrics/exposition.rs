//! The customer's own Prometheus scrapes the latest measurement of every
//! service the caller may see, in OpenMetrics text (or Prometheus's text
//! format 0.0.4 for a scraper that does not ask for OpenMetrics). Values are in
//! Prometheus's base units (seconds, ratios), labelled with the service.

use std::collections::BTreeMap;
use std::fmt::Write;

use oneportal_domain::ids::IdKind;
use oneportal_domain::metrics::Measurement;
use oneportal_store::catalog::{AccessScope, ServiceRow, all_services};
use oneportal_store::{Exec, now_ms};

use super::source::{MeasurementSource, ReadError};

/// Only samples this fresh are exposed: a scrape reports what is true now.
const FRESH_FOR_MS: i64 = 10 * 60_000;

pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// One exposed metric family.
struct Family {
    name: &'static str,
    help: &'static str,
}

const fn family(measurement: Measurement) -> (Family, f64) {
    match measurement {
        Measurement::TrafficIn => (
            Family {
                name: "oneportal_service_traffic_in_bits_per_second",
                help: "Traffic toward the customer's site",
            },
            1.0,
        ),
        Measurement::TrafficOut => (
            Family {
                name: "oneportal_service_traffic_out_bits_per_second",
                help: "Traffic from the customer's site",
            },
            1.0,
        ),
        Measurement::Latency => (
            Family {
                name: "oneportal_service_latency_seconds",
                help: "Round-trip time",
            },
            0.001,
        ),
        Measurement::Jitter => (
            Family {
                name: "oneportal_service_jitter_seconds",
                help: "Variation of the round-trip time",
            },
            0.001,
        ),
        Measurement::PacketLoss => (
            Family {
                name: "oneportal_service_packet_loss_ratio",
                help: "Share of packets lost",
            },
            0.01,
        ),
        Measurement::Availability => (
            Family {
                name: "oneportal_service_availability_ratio",
                help: "Whether the service answered (1) or not (0)",
            },
            0.01,
        ),
    }
}

const UTILIZATION: [(Measurement, Family); 2] = [
    (
        Measurement::TrafficIn,
        Family {
            name: "oneportal_service_utilization_in_ratio",
            help: "Traffic toward the customer's site over the contracted downstream bandwidth",
        },
    ),
    (
        Measurement::TrafficOut,
        Family {
            name: "oneportal_service_utilization_out_ratio",
            help: "Traffic from the customer's site over the contracted upstream bandwidth",
        },
    ),
];

/// The latest value of each measurement of each service the scope may see,
/// in OnePortal's units; series measuring the same thing combine as in charts.
pub async fn latest_values(
    source: &MeasurementSource<'_>,
    db: &impl Exec,
    scope: &AccessScope,
) -> Result<(Vec<ServiceRow>, BTreeMap<(i64, Measurement), f64>), ReadError> {
    let services = all_services(db, scope).await?;
    let rows = source
        .latest(db, scope.org_id, &services, now_ms() - FRESH_FOR_MS)
        .await?;
    let mut values: BTreeMap<(i64, Measurement), Vec<f64>> = BTreeMap::new();
    for (service, measurement, value) in rows {
        values
            .entry((service, measurement))
            .or_default()
            .push(value);
    }
    let combined = values
        .into_iter()
        .map(|((service, measurement), values)| {
            let total: f64 = values.iter().sum();
            let value = if measurement.adds_up() {
                total
            } else {
                total / values.len() as f64
            };
            ((service, measurement), value)
        })
        .collect();
    Ok((services, combined))
}

/// The exposition text; `openmetrics` adds OpenMetrics's closing `# EOF`.
pub fn render(
    services: &[ServiceRow],
    values: &BTreeMap<(i64, Measurement), f64>,
    openmetrics: bool,
) -> String {
    let mut text = String::new();
    let labels = |service: &ServiceRow| {
        format!(
            "service_id=\"{}\",service_name=\"{}\",site_id=\"{}\"",
            IdKind::Service.format(service.id),
            escape(&service.service_name),
            IdKind::Site.format(service.site_id)
        )
    };
    for measurement in Measurement::ALL {
        let (family, scale) = family(measurement);
        let samples: Vec<String> = services
            .iter()
            .filter_map(|service| {
                let value = values.get(&(service.id, measurement))?;
                Some(format!(
                    "{}{{{}}} {}\n",
                    family.name,
                    labels(service),
                    value * scale
                ))
            })
            .collect();
        write_family(&mut text, &family, &samples);
    }
    for (measurement, family) in &UTILIZATION {
        let samples: Vec<String> = services
            .iter()
            .filter_map(|service| {
                let bits = values.get(&(service.id, *measurement))?;
                let mbps = match measurement {
                    Measurement::TrafficIn => service.downstream_mbps,
                    _ => service.upstream_mbps,
                };
                (mbps > 0).then(|| {
                    format!(
                        "{}{{{}}} {}\n",
                        family.name,
                        labels(service),
                        bits / (mbps as f64 * 1_000_000.0)
                    )
                })
            })
            .collect();
        write_family(&mut text, family, &samples);
    }
    if openmetrics {
        text.push_str("# EOF\n");
    }
    text
}

fn write_family(text: &mut String, family: &Family, samples: &[String]) {
    if samples.is_empty() {
        return;
    }
    let _ = writeln!(text, "# TYPE {} gauge", family.name);
    let _ = writeln!(text, "# HELP {} {}", family.name, family.help);
    for sample in samples {
        text.push_str(sample);
    }
}

/// A label value as both text formats escape it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_what_would_end_or_break_them() {
        assert_eq!(escape("Site \"A\"\\B\nC"), "Site \\\"A\\\"\\\\B\\nC");
    }
}
