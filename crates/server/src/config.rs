//! Configuration: built-in defaults, then a TOML file, then `ONEPORTAL_*`
//! environment variables, then command-line flags (each overrides the last).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use oneportal_store::SqliteDurability;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use oneportal_domain::staff::SigningAlg;

/// Writes a secret setting as `(hidden)`: configuration is printed (`config
/// check`) and logged, and its secrets must never be.
fn hidden<S: serde::Serializer>(value: &Option<SecretString>, out: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => out.serialize_some("(hidden)"),
        None => out.serialize_none(),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// Where the SQLite file and the generated master key live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite file
    /// (it may carry a password, so it is kept as a secret).
    #[serde(serialize_with = "hidden")]
    pub database_url: Option<SecretString>,
    /// The URL clients reach this server at; the token issuer. Defaults to `http://<bind>`.
    pub public_url: Option<String>,
    /// Base64 of 32 bytes. Every node of a cluster needs the same one.
    #[serde(serialize_with = "hidden")]
    pub master_key: Option<SecretString>,
    /// A file holding the master key (base64), instead of `master_key`.
    pub master_key_file: Option<PathBuf>,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// How durable a SQLite commit is: `normal` survives a crash of the process, `full` also power loss.
    pub sqlite_durability: SqliteDurability,
    /// PostgreSQL pool size per node.
    pub pg_max_connections: u32,
    pub oauth: OAuthConfig,
    pub api_clients: ApiClientsConfig,
    pub cases: CasesConfig,
    pub rate_limits: RateLimitsConfig,
    /// How long a client may take to send a request, and how many connections one address may hold.
    pub http: HttpConfig,
    /// Where webhooks may be delivered, and how many at once.
    pub webhooks: WebhooksConfig,
    /// How alerts from the provider's monitoring become proactive cases.
    pub monitoring: MonitoringConfig,
    /// How the provider's pushed measurements become network performance.
    pub metrics: MetricsConfig,
    /// The SMTP server e-mail goes out through; without it the outbox is the only destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp: Option<SmtpConfig>,
    /// Sent (or stored) e-mails older than this many days leave the outbox; 0 keeps them.
    /// Messages still waiting for delivery are never removed.
    pub outbox_retention_days: u32,
    /// Set by `serve --demo`: the page header links to the outbox. Not a file setting.
    #[serde(skip)]
    pub demo: bool,
}

/// `[smtp]`: where e-mail is delivered.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "SmtpConfig::default_port")]
    pub port: u16,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default, serialize_with = "hidden")]
    pub password: Option<SecretString>,
    /// The sender address, e.g. `OnePortal <noreply@example.net>`.
    pub from: String,
    /// Upgrade the connection with STARTTLS (required when true); false sends in the clear.
    #[serde(default = "SmtpConfig::default_starttls")]
    pub starttls: bool,
}

impl SmtpConfig {
    fn validate(&self) -> Result<(), String> {
        if self.host.trim().is_empty() {
            return Err("smtp.host is empty; name the SMTP server".into());
        }
        if self.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(format!(
                "smtp.from is '{}'; it must be an address such as 'OnePortal <noreply@example.net>'",
                self.from
            ));
        }
        if self.username.is_some() != self.password.is_some() {
            return Err("smtp.username and smtp.password go together: set both or neither".into());
        }
        Ok(())
    }

    fn default_port() -> u16 {
        587
    }
    fn default_starttls() -> bool {
        true
    }
}

/// API V2 requests each API client (or person) may make: the burst per node, the
/// per-minute total across nodes on PostgreSQL.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitsConfig {
    /// Sustained requests per minute per caller (0 = unlimited).
    pub requests_per_minute: u32,
    /// Requests a caller may make at once before the sustained rate applies.
    pub burst: u32,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        RateLimitsConfig {
            requests_per_minute: 6000,
            burst: 200,
        }
    }
}

/// `[webhooks]`: where deliveries may go and how many run at once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Whether endpoints may use plain `http://` URLs (`serve --demo` allows it; in
    /// production a webhook's body and signature should not cross networks in clear).
    pub allow_http: bool,
    /// Networks deliveries may reach although they are private, loopback or link-local
    /// (CIDR, e.g. `["10.20.0.0/16"]`): everything else of the kind is refused at connect time.
    pub allowed_networks: Vec<String>,
    /// Endpoints one organization may have.
    pub max_endpoints_per_organization: u32,
    /// Deliveries in flight at once on this node, and to one endpoint.
    pub max_concurrent_deliveries: u32,
    pub max_concurrent_per_endpoint: u32,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            allow_http: false,
            allowed_networks: Vec::new(),
            max_endpoints_per_organization: 10,
            max_concurrent_deliveries: 64,
            max_concurrent_per_endpoint: 4,
        }
    }
}

impl WebhooksConfig {
    /// The allow-listed networks, parsed.
    pub fn networks(&self) -> Vec<ipnet::IpNet> {
        self.allowed_networks
            .iter()
            .filter_map(|n| n.parse().ok())
            .collect()
    }

    fn validate(&self) -> Result<(), String> {
        if let Some(bad) = self
            .allowed_networks
            .iter()
            .find(|n| n.parse::<ipnet::IpNet>().is_err())
        {
            return Err(format!(
                "webhooks.allowed_networks holds '{bad}', which is not a network in CIDR form (e.g. 10.20.0.0/16)"
            ));
        }
        if self.max_concurrent_deliveries == 0 || self.max_concurrent_per_endpoint == 0 {
            return Err("webhooks.max_concurrent_deliveries and max_concurrent_per_endpoint must be at least 1".into());
        }
        Ok(())
    }
}

/// `[monitoring]`: how alerts from the provider's monitoring become proactive
/// incident cases (PRODUCT §8).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MonitoringConfig {
    /// The label that names the service an alert is about (`SVC-000123`).
    pub service_label: String,
    /// The label that says what is wrong: `down`, `degraded` or `intermittent`
    /// (without it, a `critical` alert means down and anything else degraded).
    pub kind_label: String,
    /// Minutes after an alert opened a case during which the same alert opens no other.
    pub flap_window_minutes: u32,
    /// Whether a recovery resolves the proactive case when nobody touched it
    /// (no reply, no status change); otherwise recovery is only a message.
    pub resolve_untouched_on_recovery: bool,
    /// The case priority of each alert severity; any other severity is P3.
    pub priorities: std::collections::BTreeMap<String, oneportal_domain::case::CasePriority>,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        use oneportal_domain::case::CasePriority::*;
        MonitoringConfig {
            service_label: "service_id".into(),
            kind_label: "kind".into(),
            flap_window_minutes: 30,
            resolve_untouched_on_recovery: false,
            priorities: [
                ("critical", P1),
                ("error", P2),
                ("major", P2),
                ("warning", P3),
                ("minor", P4),
                ("info", P4),
            ]
            .into_iter()
            .map(|(name, priority)| (name.to_owned(), priority))
            .collect(),
        }
    }
}

impl MonitoringConfig {
    pub fn flap_window_ms(&self) -> i64 {
        i64::from(self.flap_window_minutes) * 60_000
    }

    /// The severity map as the domain reads it.
    pub fn priority_map(&self) -> Vec<(String, oneportal_domain::case::CasePriority)> {
        self.priorities
            .iter()
            .map(|(name, priority)| (name.clone(), *priority))
            .collect()
    }

    fn validate(&self) -> Result<(), String> {
        for (setting, name) in [
            ("service_label", &self.service_label),
            ("kind_label", &self.kind_label),
        ] {
            if !label_name(name) {
                return Err(format!(
                    "monitoring.{setting} is '{name}'; it must be a label name such as service_id (letters, digits, _)"
                ));
            }
        }
        if self.flap_window_minutes > 7 * 24 * 60 {
            return Err(format!(
                "monitoring.flap_window_minutes is {}; it must be at most 10080 (7 days)",
                self.flap_window_minutes
            ));
        }
        Ok(())
    }
}

/// Whether `name` is a Prometheus label name (`service_id`): letters, digits and `_`, not starting with a digit.
fn label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `[metrics]`: how the provider's pushed measurements become each service's
/// network performance (PRODUCT §9).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// The label that names the service a pushed series measures (`SVC-000123`).
    pub service_label: String,
    /// Which pushed metric names OnePortal keeps, and as what. A series whose
    /// name is not here is counted and dropped. With `source = "prometheus"`,
    /// the names OnePortal queries for each measurement.
    pub series: Vec<SeriesMapping>,
    /// Where measurements live: `embedded` (pushed here and stored in
    /// OnePortal's database) or `prometheus` (read from the provider's own
    /// Prometheus-compatible query API; nothing is stored here).
    pub source: MetricsSourceKind,
    /// The query API read when `source = "prometheus"`.
    pub prometheus: PrometheusSourceConfig,
}

/// Where a service's measurements are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricsSourceKind {
    #[default]
    Embedded,
    Prometheus,
}

/// `[metrics.prometheus]`: the provider's Prometheus, Thanos, Mimir or
/// VictoriaMetrics, asked with `/api/v1/query` and `/api/v1/query_range`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrometheusSourceConfig {
    /// The base URL the `/api/v1/…` paths are added to, e.g.
    /// `https://thanos.example.net` or `https://mimir.example.net/prometheus`.
    pub url: String,
    /// Sent as `Authorization: Bearer …`.
    #[serde(serialize_with = "hidden")]
    pub bearer_token: Option<SecretString>,
    /// Basic authentication, with `password`.
    pub username: Option<String>,
    #[serde(serialize_with = "hidden")]
    pub password: Option<SecretString>,
    /// Further headers on every query, e.g. `X-Scope-OrgID` for Mimir's tenant.
    pub headers: std::collections::BTreeMap<String, String>,
    /// How often the provider's Prometheus scrapes: a counter's rate is taken
    /// over at least four scrapes, as Grafana's `$__rate_interval` does.
    pub scrape_interval_secs: u32,
    /// How long one query may take before the page or API says the source did not answer.
    pub timeout_secs: u32,
}

impl Default for PrometheusSourceConfig {
    fn default() -> Self {
        PrometheusSourceConfig {
            url: String::new(),
            bearer_token: None,
            username: None,
            password: None,
            headers: Default::default(),
            scrape_interval_secs: 15,
            timeout_secs: 10,
        }
    }
}

/// One pushed metric name and the measurement it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesMapping {
    /// The metric's name as pushed (`__name__`), e.g. `ifHCOutOctets`.
    pub name: String,
    pub measurement: oneportal_domain::metrics::Measurement,
    /// `counter` (its rate per second is the measurement) or `gauge`.
    pub kind: oneportal_domain::metrics::SeriesKind,
    /// What each value is multiplied by into OnePortal's unit: 8 for octets to
    /// bits, 1000 for seconds to milliseconds, 100 for a ratio to percent.
    #[serde(default = "one")]
    pub scale: f64,
}

fn one() -> f64 {
    1.0
}

impl Default for MetricsConfig {
    fn default() -> Self {
        use oneportal_domain::metrics::Measurement::*;
        use oneportal_domain::metrics::SeriesKind::{Counter, Gauge};
        let mapping = |name: &str, measurement, kind, scale| SeriesMapping {
            name: name.into(),
            measurement,
            kind,
            scale,
        };
        MetricsConfig {
            source: MetricsSourceKind::Embedded,
            prometheus: PrometheusSourceConfig::default(),
            service_label: "service_id".into(),
            series: vec![
                // OnePortal's own names, in Prometheus's base units.
                mapping(
                    "oneportal_service_traffic_in_bytes_total",
                    TrafficIn,
                    Counter,
                    8.0,
                ),
                mapping(
                    "oneportal_service_traffic_out_bytes_total",
                    TrafficOut,
                    Counter,
                    8.0,
                ),
                mapping("oneportal_service_latency_seconds", Latency, Gauge, 1000.0),
                mapping("oneportal_service_jitter_seconds", Jitter, Gauge, 1000.0),
                mapping(
                    "oneportal_service_packet_loss_ratio",
                    PacketLoss,
                    Gauge,
                    100.0,
                ),
                mapping("oneportal_service_up", Availability, Gauge, 100.0),
                // SNMP exporter polling the provider's port that faces the customer:
                // what leaves that port goes to the customer's site (in).
                mapping("ifHCOutOctets", TrafficIn, Counter, 8.0),
                mapping("ifHCInOctets", TrafficOut, Counter, 8.0),
                // Blackbox exporter probing the customer's end.
                mapping("probe_duration_seconds", Latency, Gauge, 1000.0),
                mapping("probe_success", Availability, Gauge, 100.0),
            ],
        }
    }
}

impl MetricsConfig {
    /// The mapping of a pushed metric name, if OnePortal keeps it.
    pub fn mapping(&self, name: &str) -> Option<&SeriesMapping> {
        self.series.iter().find(|m| m.name == name)
    }

    fn validate(&self) -> Result<(), String> {
        if !label_name(&self.service_label) {
            return Err(format!(
                "metrics.service_label is '{}'; it must be a label name such as service_id (letters, digits, _)",
                self.service_label
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for mapping in &self.series {
            if !label_name(&mapping.name) && !mapping.name.contains(':') {
                return Err(format!(
                    "metrics.series name '{}' is not a metric name (letters, digits, _ and :)",
                    mapping.name
                ));
            }
            if !names.insert(&mapping.name) {
                return Err(format!(
                    "metrics.series names '{}' twice; each pushed name maps to one measurement",
                    mapping.name
                ));
            }
            if !(mapping.scale.is_finite() && mapping.scale > 0.0) {
                return Err(format!(
                    "metrics.series '{}' has scale {}; it must be a number above 0",
                    mapping.name, mapping.scale
                ));
            }
        }
        if self.source == MetricsSourceKind::Prometheus {
            self.prometheus.validate()?;
        }
        Ok(())
    }
}

impl PrometheusSourceConfig {
    fn validate(&self) -> Result<(), String> {
        let url = reqwest::Url::parse(&self.url).map_err(|e| {
            format!(
                "metrics.prometheus.url is '{}', not a URL ({e}); with metrics.source = \"prometheus\" set it to the query API's base, e.g. https://prometheus.example.net",
                self.url
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.query().is_some() {
            return Err(format!(
                "metrics.prometheus.url is '{}'; it must be an http:// or https:// base URL without a query",
                self.url
            ));
        }
        if self.username.is_some() != self.password.is_some() {
            return Err(
                "metrics.prometheus.username and password go together: set both or neither".into(),
            );
        }
        if self.username.is_some() && self.bearer_token.is_some() {
            return Err(
                "metrics.prometheus has both bearer_token and username/password; choose one".into(),
            );
        }
        for (name, value) in &self.headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
                || reqwest::header::HeaderValue::from_str(value).is_err()
            {
                return Err(format!(
                    "metrics.prometheus.headers has '{name}', which is not a valid header name and value"
                ));
            }
        }
        if self.scrape_interval_secs == 0 || self.timeout_secs == 0 {
            return Err(
                "metrics.prometheus.scrape_interval_secs and timeout_secs must be at least 1"
                    .into(),
            );
        }
        Ok(())
    }
}

/// `[http]`: limits on connections, so slow or numerous clients cannot hold the server's sockets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Seconds a client has to send a request's headers, counted from when the connection
    /// opens or its previous answer was sent; so also how long an idle keep-alive connection stays open.
    pub header_read_timeout_secs: u32,
    /// Seconds a client has to send a request's whole body, from when its headers arrived.
    pub body_read_timeout_secs: u32,
    /// Connections one source address may hold open at once (IPv6: one /64); 0 = no limit.
    /// Behind a load balancer every connection comes from the balancer: raise it or set 0.
    pub max_connections_per_address: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            header_read_timeout_secs: 15,
            body_read_timeout_secs: 60,
            max_connections_per_address: 256,
        }
    }
}

impl HttpConfig {
    pub fn header_read_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.header_read_timeout_secs.into())
    }

    pub fn body_read_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.body_read_timeout_secs.into())
    }

    fn validate(&self) -> Result<(), String> {
        if !(1..=300).contains(&self.header_read_timeout_secs) {
            return Err(format!(
                "http.header_read_timeout_secs is {}; it must be between 1 and 300 seconds",
                self.header_read_timeout_secs
            ));
        }
        if !(1..=3600).contains(&self.body_read_timeout_secs) {
            return Err(format!(
                "http.body_read_timeout_secs is {}; it must be between 1 and 3600 seconds",
                self.body_read_timeout_secs
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CasesConfig {
    /// Days after which a Resolved case closes by itself (0 = never).
    pub auto_close_days: u32,
    /// Largest attachment accepted, in bytes (default 10 MiB).
    pub attachment_max_bytes: u64,
}

impl Default for CasesConfig {
    fn default() -> Self {
        CasesConfig {
            auto_close_days: 7,
            attachment_max_bytes: 10 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthConfig {
    /// Lifetime of client-credentials access tokens, 300–86400 seconds.
    pub access_token_ttl_secs: u32,
    /// Lifetime of user tokens (API explorer, automation), 60–3600 seconds.
    pub user_token_ttl_secs: u32,
    /// Algorithm new signing keys use: `ES256` (default), `EdDSA` or `RS256`.
    pub signing_alg: SigningAlg,
    /// Tokens one client may obtain per minute (0 = unlimited); catches integrations that do not cache tokens.
    pub issuance_per_minute: u32,
    /// Failed client authentications allowed per client id from one source per minute
    /// before that source gets 429 for that client; the client's ceiling over all
    /// sources is ten times this (see `http::token_limits`).
    pub failures_per_client_per_minute: u32,
    /// Failed client authentications allowed per source (IPv4 address, IPv6 /64) per minute before 429.
    pub failures_per_address_per_minute: u32,
    /// Rotate signing keys automatically when the active key is this many days old (0 = never).
    pub key_rotation_days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiClientsConfig {
    /// Unrevoked API clients an organization may hold, unless the organization sets its own.
    pub quota_per_organization: u32,
    /// How long a rotated-out secret keeps working when the caller does not choose.
    pub default_grace_hours: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            public_url: None,
            master_key: None,
            master_key_file: None,
            log_format: LogFormat::Text,
            sqlite_durability: SqliteDurability::Normal,
            pg_max_connections: 16,
            oauth: OAuthConfig::default(),
            api_clients: ApiClientsConfig::default(),
            cases: CasesConfig::default(),
            rate_limits: RateLimitsConfig::default(),
            http: HttpConfig::default(),
            webhooks: WebhooksConfig::default(),
            monitoring: MonitoringConfig::default(),
            metrics: MetricsConfig::default(),
            smtp: None,
            outbox_retention_days: 90,
            demo: false,
        }
    }
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            access_token_ttl_secs: 3600,
            user_token_ttl_secs: 900,
            signing_alg: SigningAlg::ES256,
            issuance_per_minute: 600,
            failures_per_client_per_minute: 10,
            failures_per_address_per_minute: 30,
            key_rotation_days: 90,
        }
    }
}

impl Default for ApiClientsConfig {
    fn default() -> Self {
        ApiClientsConfig {
            quota_per_organization: 50,
            default_grace_hours: 24,
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers alone.
#[derive(Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

impl Config {
    /// Layers the configuration and checks it; the error says which value is wrong and why.
    pub fn load(file: Option<&Path>, flags: FlagOverrides) -> Result<Config, String> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(format!(
                    "configuration file {} does not exist",
                    path.display()
                ));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let config: Config = figment
            .merge(Env::prefixed("ONEPORTAL_").split("__").filter(|key| {
                let top = key.as_str().split('.').next().unwrap_or_default();
                CONFIG_KEYS.iter().any(|k| k.eq_ignore_ascii_case(top))
            }))
            .merge(Serialized::defaults(flags))
            .extract()
            .map_err(|e| e.to_string())?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), String> {
        let ttl = self.oauth.access_token_ttl_secs;
        if !(300..=86_400).contains(&ttl) {
            return Err(format!(
                "oauth.access_token_ttl_secs is {ttl}; it must be between 300 and 86400 seconds"
            ));
        }
        let user_ttl = self.oauth.user_token_ttl_secs;
        if !(60..=3600).contains(&user_ttl) {
            return Err(format!(
                "oauth.user_token_ttl_secs is {user_ttl}; it must be between 60 and 3600 seconds"
            ));
        }
        if let Some(url) = &self.database_url
            && !(url.expose_secret().starts_with("postgres://")
                || url.expose_secret().starts_with("postgresql://"))
        {
            return Err("database_url must start with postgres:// (leave it out to use the embedded SQLite file)".into());
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(format!(
                "public_url '{url}' must start with http:// or https://"
            ));
        }
        if self.api_clients.default_grace_hours > 168 {
            return Err("api_clients.default_grace_hours must be at most 168 (7 days)".into());
        }
        if self.rate_limits.requests_per_minute > 0 && self.rate_limits.burst == 0 {
            return Err(
                "rate_limits.burst must be at least 1 when rate_limits.requests_per_minute is set"
                    .into(),
            );
        }
        let max = self.cases.attachment_max_bytes;
        if !(1024..=100 * 1024 * 1024).contains(&max) {
            return Err(format!(
                "cases.attachment_max_bytes is {max}; it must be between 1024 and 104857600 (100 MiB)"
            ));
        }
        if self.pg_max_connections == 0 {
            return Err("pg_max_connections must be at least 1".into());
        }
        self.monitoring.validate()?;
        self.metrics.validate()?;
        self.http.validate()?;
        self.webhooks.validate()?;
        if let Some(smtp) = &self.smtp {
            smtp.validate()?;
        }
        Ok(())
    }

    /// The issuer and base of every URL this server hands out, without a trailing slash.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("oneportal.db")
    }
}

/// Top-level settings read from `ONEPORTAL_*` variables (`ONEPORTAL_OAUTH__SIGNING_ALG`
/// for nested ones); other `ONEPORTAL_` variables, such as the demo password, are not settings.
const CONFIG_KEYS: [&str; 19] = [
    "cases",
    "metrics",
    "http",
    "webhooks",
    "monitoring",
    "smtp",
    "outbox_retention_days",
    "rate_limits",
    "bind",
    "data_dir",
    "database_url",
    "public_url",
    "master_key",
    "master_key_file",
    "log_format",
    "sqlite_durability",
    "pg_max_connections",
    "oauth",
    "api_clients",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every setting can be given as an `ONEPORTAL_*` variable: the list of
    /// top-level keys the variables are read for names each field of `Config`.
    #[test]
    fn every_top_level_setting_is_read_from_the_environment() {
        let config = Config {
            smtp: Some(SmtpConfig {
                host: "smtp.example.net".into(),
                port: 587,
                username: None,
                password: None,
                from: "OnePortal <noreply@example.net>".into(),
                starttls: true,
            }),
            database_url: Some("postgres://x".into()),
            public_url: Some("https://portal.example.net".into()),
            master_key: Some("k".into()),
            master_key_file: Some("k".into()),
            ..Config::default()
        };
        let fields = serde_json::to_value(&config).unwrap();
        for key in fields.as_object().unwrap().keys() {
            assert!(
                CONFIG_KEYS.contains(&key.as_str()),
                "add '{key}' to CONFIG_KEYS"
            );
        }
    }

    #[test]
    fn secrets_never_show_when_a_configuration_is_printed_or_logged() {
        let config = Config {
            master_key: Some("bWFzdGVyLWtleS1zZWNyZXQtdmFsdWUtMzItYnl0ZXM=".into()),
            database_url: Some("postgres://app:pg-password-42@db.internal/oneportal".into()),
            smtp: Some(SmtpConfig {
                host: "smtp.example.net".into(),
                port: 587,
                username: Some("mailer".into()),
                password: Some("smtp-password-42".into()),
                from: "noreply@example.net".into(),
                starttls: true,
            }),
            metrics: MetricsConfig {
                prometheus: PrometheusSourceConfig {
                    bearer_token: Some("prom-token-42".into()),
                    password: Some("prom-password-42".into()),
                    ..PrometheusSourceConfig::default()
                },
                ..MetricsConfig::default()
            },
            ..Config::default()
        };
        let shown = [
            format!("{config:?}"),
            format!("{config:#?}"),
            serde_json::to_string(&config).unwrap(),
        ];
        for text in &shown {
            for secret in [
                "bWFzdGVyLWtleS1zZWNyZXQ",
                "pg-password-42",
                "smtp-password-42",
                "prom-token-42",
                "prom-password-42",
            ] {
                assert!(!text.contains(secret), "{secret} shows in {text}");
            }
        }
        assert!(shown[2].contains("(hidden)"), "a set secret says it is set");
    }

    #[test]
    fn flags_override_file_values() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("oneportal.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:9000\"\n[oauth]\naccess_token_ttl_secs = 600\n",
        )
        .unwrap();
        let config = Config::load(
            Some(&file),
            FlagOverrides {
                bind: Some("127.0.0.1:9100".parse().unwrap()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(config.bind.port(), 9100);
        assert_eq!(config.oauth.access_token_ttl_secs, 600);
    }

    #[test]
    fn out_of_range_values_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[oauth]\naccess_token_ttl_secs = 10\n").unwrap();
        let error = Config::load(Some(&file), FlagOverrides::default()).unwrap_err();
        assert!(error.contains("oauth.access_token_ttl_secs"), "{error}");
    }

    #[test]
    fn an_smtp_section_is_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("smtp.toml");
        std::fs::write(
            &file,
            "[smtp]\nhost = \"mail.example.net\"\nfrom = \"OnePortal <noreply@example.net>\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&file), FlagOverrides::default()).unwrap();
        let smtp = config.smtp.unwrap();
        assert_eq!((smtp.port, smtp.starttls), (587, true));
        std::fs::write(
            &file,
            "[smtp]\nhost = \"mail.example.net\"\nfrom = \"not an address\"\n",
        )
        .unwrap();
        let error = Config::load(Some(&file), FlagOverrides::default()).unwrap_err();
        assert!(error.contains("smtp.from"), "{error}");
    }

    #[test]
    fn connection_limits_have_defaults_and_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("http.toml");
        std::fs::write(&file, "[http]\nbody_read_timeout_secs = 5\n").unwrap();
        let config = Config::load(Some(&file), FlagOverrides::default()).unwrap();
        assert_eq!(config.http.body_read_timeout_secs, 5);
        assert_eq!(config.http.header_read_timeout_secs, 15);
        assert_eq!(config.http.max_connections_per_address, 256);
        std::fs::write(&file, "[http]\nheader_read_timeout_secs = 0\n").unwrap();
        let error = Config::load(Some(&file), FlagOverrides::default()).unwrap_err();
        assert!(error.contains("http.header_read_timeout_secs"), "{error}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("typo.toml");
        std::fs::write(&file, "bnid = \"127.0.0.1:9000\"\n").unwrap();
        let error = Config::load(Some(&file), FlagOverrides::default()).unwrap_err();
        assert!(error.contains("bnid"), "{error}");
    }
}
