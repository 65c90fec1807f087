//! Sites & Services: read-only lists and details, through the same store
//! queries and access scope as `/v2/sites` and `/v2/services`, so a user
//! restricted to some accounts sees exactly what the API shows them.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use oneportal_domain::catalog::{ServiceStatus, ServiceType, SiteStatus};
use oneportal_domain::ids::IdKind;
use oneportal_domain::monitoring::ServiceHealth;
use oneportal_store::catalog::{self, SERVICES, SITES};

use super::developer::day_time;
use super::layout::Layout;
use super::pager::{Pager, pager};
use super::require::{Require, SitesServicesView};
use super::{PortalError, render};
use crate::http::pagination::parse_list_query;
use crate::http::public_id::{id_of, not_found};
use crate::models::catalog::{Service, Site};
use crate::state::AppState;

const PAGE_SIZE: &str = "25";

/// One row of a services table.
pub struct ServiceLine {
    pub id: String,
    pub name: String,
    pub service_type: ServiceType,
    pub status: ServiceStatus,
    pub health: ServiceHealth,
    pub bandwidth: String,
    pub site_id: String,
    pub ready_for_service: String,
}

impl From<Service> for ServiceLine {
    fn from(s: Service) -> Self {
        ServiceLine {
            bandwidth: format!(
                "{} / {} Mbit/s",
                s.bandwidth.downstream_mbps, s.bandwidth.upstream_mbps
            ),
            id: s.service_id,
            name: s.service_name,
            service_type: s.service_type,
            status: s.status,
            health: s.health,
            site_id: s.site_id,
            ready_for_service: s.ready_for_service_date.unwrap_or_else(|| "—".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "portal/services.html")]
struct ServicesPage {
    layout: Layout,
    services: Vec<ServiceLine>,
    statuses: Vec<(&'static str, bool)>,
    healths: Vec<(&'static str, bool)>,
    search: String,
    pager: Pager,
}

#[derive(Template)]
#[template(path = "portal/service.html")]
struct ServicePage {
    layout: Layout,
    service: Service,
    created: String,
    updated: String,
    details: Vec<(String, Vec<String>)>,
    /// `None` without Support (View): planned maintenance in progress or to come.
    maintenance: Option<Vec<super::maintenance::MaintenanceLine>>,
    /// `None` without Support (View): the Local Point of Contact and deactivation.
    deactivation: Option<super::deactivations::ServiceDeactivation>,
}

pub struct SiteLine {
    pub id: String,
    pub name: String,
    pub city: String,
    pub country: String,
    pub status: SiteStatus,
}

#[derive(Template)]
#[template(path = "portal/sites.html")]
struct SitesPage {
    layout: Layout,
    sites: Vec<SiteLine>,
    search: String,
    pager: Pager,
}

#[derive(Template)]
#[template(path = "portal/site.html")]
struct SitePage {
    layout: Layout,
    site: Site,
    services: Vec<ServiceLine>,
}

/// The page's query as the API's list query: empty fields dropped, page size fixed,
/// `q` searched in the name. Unknown parameters get the API's clear 400.
fn list_query(
    raw: Option<&str>,
    name_field: &str,
    allowed: &[&str],
) -> (Vec<(String, String)>, String) {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    let mut kept: Vec<(String, String)> = Vec::new();
    let mut search = String::new();
    for (name, value) in pairs {
        let value = value.trim().to_owned();
        if value.is_empty() {
            continue;
        }
        if name == "q" {
            search = value;
        } else if allowed.contains(&name.as_str()) {
            kept.push((name, value));
        }
    }
    let mut api = kept.clone();
    if !search.is_empty() {
        // The API filters text fields by exact value; the list below narrows by substring.
        api.retain(|(n, _)| n != name_field);
    }
    api.push(("limit".into(), PAGE_SIZE.into()));
    (api, search)
}

fn contains_folded(text: &str, needle: &str) -> bool {
    text.to_lowercase().contains(&needle.to_lowercase())
}

pub async fn services(
    State(state): State<AppState>,
    session: Require<SitesServicesView>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    let (mut pairs, search) = list_query(
        raw.as_deref(),
        "serviceName",
        &["status", "health", "offset"],
    );
    if !search.is_empty() {
        // A name search looks through the first 200 matches of the other filters.
        pairs.retain(|(n, _)| n != "limit" && n != "offset");
        pairs.push(("limit".into(), "200".into()));
    }
    let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let query = parse_list_query(&SERVICES, Some(&encoded))?;
    let page =
        catalog::list_services(&state.db, &session.user.access_scope(), None, &query).await?;
    let total = page.total;
    let services: Vec<ServiceLine> = page
        .rows
        .into_iter()
        .map(|row| ServiceLine::from(Service::from(row)))
        .filter(|s| {
            search.is_empty()
                || contains_folded(&s.name, &search)
                || contains_folded(&s.id, &search)
        })
        .collect();
    let chosen = |field: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == field)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (status, health) = (chosen("status"), chosen("health"));
    let mut link_pairs = pairs.clone();
    if !search.is_empty() {
        link_pairs.push(("q".into(), search.clone()));
    }
    let pager = if search.is_empty() {
        pager(
            "/portal/services",
            &link_pairs,
            &query,
            total,
            services.len(),
        )
    } else {
        let shown = services.len();
        Pager {
            from: u32::from(shown > 0),
            to: shown as u32,
            total: shown as i64,
            more: false,
            previous: String::new(),
            next: String::new(),
        }
    };
    render::page(&ServicesPage {
        layout: Layout::for_session(&state, &session, "Services", "catalog").await,
        statuses: ServiceStatus::NAMES
            .iter()
            .map(|s| (*s, *s == status))
            .collect(),
        healths: ServiceHealth::NAMES
            .iter()
            .map(|h| (*h, *h == health))
            .collect(),
        services,
        search,
        pager,
    })
}

pub async fn service(
    State(state): State<AppState>,
    session: Require<SitesServicesView>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let id = id_of(IdKind::Service, &id, "service")?;
    let row = catalog::find_service(&state.db, &session.user.access_scope(), id)
        .await?
        .ok_or_else(|| not_found("service"))?;
    let (created, updated) = (day_time(row.created_at), day_time(row.updated_at));
    let deactivation = super::deactivations::for_service(&state, &session, &row).await?;
    let service = Service::from(row);
    let details = technical_details(&service.technical_details);
    let maintenance = if session
        .user
        .permissions
        .contains(oneportal_domain::Permission::SupportView)
    {
        let scope = session.user.access_scope();
        Some(super::maintenance::coming(&state, &scope, Some(&service.service_id)).await?)
    } else {
        None
    };
    render::page(&ServicePage {
        layout: Layout::for_session(&state, &session, service.service_name.clone(), "catalog")
            .await,
        service,
        created,
        updated,
        details,
        maintenance,
        deactivation,
    })
}

/// `{ipAddresses: [...], hardware: [{...}], dnsRecords: [...]}` as labelled lines.
fn technical_details(value: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    let Some(object) = value.as_object() else {
        return Vec::new();
    };
    object
        .iter()
        .map(|(key, value)| {
            let label = match key.as_str() {
                "ipAddresses" => "IP addresses".to_owned(),
                "hardware" => "Hardware".to_owned(),
                "dnsRecords" => "DNS records".to_owned(),
                other => other.to_owned(),
            };
            let lines = match value {
                serde_json::Value::Array(items) => items.iter().map(describe).collect(),
                other => vec![describe(other)],
            };
            (label, lines)
        })
        .collect()
}

fn describe(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| format!("{k}: {}", describe(v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

pub async fn sites(
    State(state): State<AppState>,
    session: Require<SitesServicesView>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PortalError> {
    let (mut pairs, search) = list_query(raw.as_deref(), "name", &["offset"]);
    if !search.is_empty() {
        pairs.retain(|(n, _)| n != "limit" && n != "offset");
        pairs.push(("limit".into(), "200".into()));
    }
    let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let query = parse_list_query(&SITES, Some(&encoded))?;
    let page = catalog::list_sites(&state.db, &session.user.access_scope(), None, &query).await?;
    let total = page.total;
    let sites: Vec<SiteLine> = page
        .rows
        .into_iter()
        .map(Site::from)
        .map(|s| SiteLine {
            id: s.site_id,
            name: s.name,
            city: s.address.city,
            country: s.address.country,
            status: s.status,
        })
        .filter(|s| {
            search.is_empty()
                || contains_folded(&s.name, &search)
                || contains_folded(&s.city, &search)
                || contains_folded(&s.id, &search)
        })
        .collect();
    let pager = if search.is_empty() {
        pager("/portal/sites", &pairs, &query, total, sites.len())
    } else {
        let shown = sites.len();
        Pager {
            from: u32::from(shown > 0),
            to: shown as u32,
            total: shown as i64,
            more: false,
            previous: String::new(),
            next: String::new(),
        }
    };
    render::page(&SitesPage {
        layout: Layout::for_session(&state, &session, "Sites", "catalog").await,
        sites,
        search,
        pager,
    })
}

pub async fn site(
    State(state): State<AppState>,
    session: Require<SitesServicesView>,
    Path(id): Path<String>,
) -> Result<Response, PortalError> {
    let scope = session.user.access_scope();
    let id = id_of(IdKind::Site, &id, "site")?;
    let row = catalog::find_site(&state.db, &scope, id)
        .await?
        .ok_or_else(|| not_found("site"))?;
    let site = Site::from(row);
    let query = parse_list_query(
        &SERVICES,
        Some(&format!("siteId={}&limit=200", site.site_id)),
    )?;
    let services = catalog::list_services(&state.db, &scope, None, &query)
        .await?
        .rows
        .into_iter()
        .map(|row| ServiceLine::from(Service::from(row)))
        .collect();
    render::page(&SitePage {
        layout: Layout::for_session(&state, &session, site.name.clone(), "catalog").await,
        site,
        services,
    })
}
