//! Checks a whole import document before anything is written: every field,
//! every reference (in the document or already stored), every case move.
//! Each error points at its field (a JSON Pointer into the document) and names
//! the record in words, so a person can find it in a large file.

use std::collections::{HashMap, HashSet};

use oneportal_domain::case::{CaseStatus, Mover, RfoStatus};
use oneportal_domain::catalog::{
    AccountStatus, AccountType, ServiceStatus, ServiceType, SiteStatus,
};
use oneportal_domain::ids::IdKind;
use oneportal_domain::invoice::{
    ChargeType, InvoiceStatus, InvoiceTotals, InvoiceType, LineAmounts, Money,
};
use oneportal_domain::maintenance::{Impact, MaintenanceStatus, check_window};
use oneportal_store::cases::{self, CaseRow};
use oneportal_store::invoices::{NewInvoice, NewInvoiceLine};
use oneportal_store::maintenances;
use oneportal_store::provisioning::{self, Keyed};
use oneportal_store::{Arg, Db};
use rust_decimal::Decimal;
use time::Date;

use super::check::{Findings, RefKind};
use super::document::*;
use crate::http::ApiError;
use crate::http::time::parse_time;
use crate::services::cases::check_message;
use crate::services::maintenance::{check_reference, check_text};
use crate::services::rfo::{self, RfoContent};

/// What the checked document will write, organization by organization.
pub(super) struct Plan {
    pub organizations: Vec<OrganizationPlan>,
    /// Written after the organizations, whose services they name.
    pub maintenances: Vec<MaintenancePlan>,
    /// Written after the maintenances, in this order: an order may follow a quote.
    pub quotes: Vec<super::lifecycle::QuoteImport>,
    pub orders: Vec<super::lifecycle::OrderImport>,
    /// Records to write, for the progress bar.
    pub records: u64,
}

pub(super) struct OrganizationPlan {
    pub reference: String,
    /// An organization made in OnePortal, to take under `reference` first.
    pub adopt: Option<i64>,
    pub name: String,
    /// References found in the database rather than in the document.
    pub stored: HashMap<(RefKind, String), i64>,
    pub accounts: Vec<KeyedRecord<Columns>>,
    pub sites: Vec<Linked>,
    pub services: Vec<Linked>,
    pub invoices: Vec<InvoicePlan>,
    pub cases: Vec<CasePlan>,
}

/// A maintenance as the back office states it; services by (organization ref, service ref).
pub(super) struct MaintenancePlan {
    pub reference: String,
    pub title: String,
    pub reason: String,
    pub status: MaintenanceStatus,
    pub starts_at: i64,
    pub ends_at: i64,
    pub services: Vec<(String, String, Impact)>,
}

pub(super) type Columns = Vec<(&'static str, Arg)>;

/// A record under its reference.
pub(super) struct KeyedRecord<T> {
    pub reference: String,
    pub record: T,
}

/// A site or service: its own columns plus the id columns its references fill in.
pub(super) struct Linked {
    pub reference: String,
    pub columns: Columns,
    pub links: Vec<(&'static str, RefKind, String)>,
}

pub(super) struct InvoicePlan {
    /// `org_id`, `account_id` and the lines' `service_id`s are filled in when written.
    pub invoice: NewInvoice,
    pub account_ref: String,
    pub line_service_refs: Vec<Option<String>>,
}

pub(super) struct CasePlan {
    pub case: CaseRow,
    pub communications: Vec<(String, String, String)>,
    pub status: Option<(CaseStatus, String)>,
    pub rfo: Option<(RfoStatus, RfoContent)>,
    /// `affectedServiceIds` entries that are references, by position.
    pub rfo_service_refs: Vec<(usize, String)>,
}

/// Checks the document; every problem at once, or the plan to write.
pub(super) async fn prepare(db: &Db, mut document: ImportDocument) -> Result<Plan, ApiError> {
    let mut findings = Findings(Vec::new());
    let mut plan = Plan {
        organizations: Vec::new(),
        maintenances: Vec::new(),
        quotes: Vec::new(),
        orders: Vec::new(),
        records: 0,
    };
    // The services the document defines, which maintenances may name.
    let defined_services: HashSet<(String, String)> = document
        .organizations
        .iter()
        .flat_map(|o| {
            o.services
                .iter()
                .map(|s| (o.reference.clone(), s.reference.clone()))
        })
        .collect();
    let maintenances = std::mem::take(&mut document.maintenances);
    let quotes = std::mem::take(&mut document.quotes);
    let orders = std::mem::take(&mut document.orders);
    let defined: super::lifecycle::Defined = document
        .organizations
        .iter()
        .flat_map(|o| {
            let org = &o.reference;
            o.accounts
                .iter()
                .map(move |a| (org.clone(), RefKind::Account, a.reference.clone()))
                .chain(
                    o.sites
                        .iter()
                        .map(move |s| (org.clone(), RefKind::Site, s.reference.clone())),
                )
                .chain(
                    o.services
                        .iter()
                        .map(move |s| (org.clone(), RefKind::Service, s.reference.clone())),
                )
        })
        .collect();
    let mut seen_organizations = HashSet::new();
    for (index, org) in document.organizations.into_iter().enumerate() {
        if findings.full() {
            break;
        }
        let at = format!("/organizations/{index}");
        let label = format!("organization '{}'", org.reference);
        findings.reference(&format!("{at}/ref"), &label, &org.reference);
        findings.text(&format!("{at}/name"), &label, &org.name, 200);
        if !seen_organizations.insert(org.reference.clone()) {
            findings.add(
                &format!("{at}/ref"),
                &label,
                "duplicate",
                "this organization appears twice in the document",
            );
        }
        let mut org_id = provisioning::find(db, Keyed::Organization, &org.reference).await?;
        let mut adopt = None;
        if let Some(given) = &org.organization_id {
            let pointer = format!("{at}/organizationId");
            let number = IdKind::Organization.parse(given);
            let stored = match number {
                Some(id) => provisioning::organization_ref(db, id).await?,
                None => None,
            };
            match (number, stored) {
                (Some(id), Some(None)) if org_id.is_none() => {
                    adopt = Some(id);
                    org_id = Some(id);
                }
                (Some(id), Some(Some(existing))) if existing == org.reference => org_id = Some(id),
                (_, Some(_)) => findings.add(&pointer, &label, "reference_taken", format!("{given} and the ref '{}' name different organizations; an organization keeps the ref it was first imported under", org.reference)),
                (_, None) => findings.add(&pointer, &label, "unknown_organization", format!("there is no organization {given}")),
            }
        }
        let mut checker = OrganizationCheck {
            db,
            org_id,
            at,
            label,
            findings: &mut findings,
            defined: HashMap::new(),
            stored: HashMap::new(),
        };
        let mut prepared = checker.organization(org).await?;
        prepared.adopt = adopt;
        plan.records += 1
            + (prepared.accounts.len()
                + prepared.sites.len()
                + prepared.services.len()
                + prepared.invoices.len()
                + prepared.cases.len()) as u64;
        plan.organizations.push(prepared);
    }
    let mut references = HashSet::new();
    for (index, record) in maintenances.into_iter().enumerate() {
        if findings.full() {
            break;
        }
        if !references.insert(record.reference.clone()) {
            findings.add(
                &format!("/maintenances/{index}/ref"),
                &format!("maintenance '{}'", record.reference),
                "duplicate",
                "this maintenance appears twice in the document",
            );
        }
        if let Some(checked) =
            maintenance(db, &mut findings, index, record, &defined_services).await?
        {
            plan.maintenances.push(checked);
        }
    }
    plan.records += plan.maintenances.len() as u64;
    plan.quotes = super::lifecycle::check_quotes(db, &mut findings, &defined, quotes).await?;
    plan.orders = super::lifecycle::check_orders(db, &mut findings, &defined, orders).await?;
    plan.records += (plan.quotes.len() + plan.orders.len()) as u64;
    if findings.0.is_empty() {
        Ok(plan)
    } else {
        Err(ApiError::Unprocessable {
            code: "import_invalid",
            detail: format!(
                "the import document has {}{} problem(s) and nothing was written; see errors",
                findings.0.len(),
                if findings.full() { "+" } else { "" }
            ),
            errors: findings.0,
        })
    }
}

/// Checks one maintenance: its fields, that every service it names is in the
/// document or already imported, and that the lifecycle can take a stored
/// maintenance to the status stated.
async fn maintenance(
    db: &Db,
    findings: &mut Findings,
    index: usize,
    record: MaintenanceRecord,
    defined_services: &HashSet<(String, String)>,
) -> Result<Option<MaintenancePlan>, ApiError> {
    let at = format!("/maintenances/{index}");
    let label = format!("maintenance '{}'", record.reference);
    let before = findings.0.len();
    let mut keep = |pointer: &str, result: Result<(), String>| {
        if let Err(detail) = result {
            findings.add(pointer, &label, "invalid_value", detail);
        }
    };
    keep(
        &format!("{at}/ref"),
        check_reference("", &record.reference)
            .map(|_| ())
            .map_err(|e| e.detail),
    );
    for (name, value, max, multiline) in [
        ("title", &record.title, 200, false),
        ("reason", &record.reason, 10_000, true),
    ] {
        keep(
            &format!("{at}/{name}"),
            check_text("", name, value, max, multiline)
                .map(|_| ())
                .map_err(|e| e.detail),
        );
    }
    let status = MaintenanceStatus::parse(record.status.trim());
    keep(
        &format!("{at}/status"),
        status.map(|_| ()).ok_or_else(|| {
            format!(
                "status '{}' is not one of: {}",
                record.status,
                MaintenanceStatus::NAMES.join(", ")
            )
        }),
    );
    let starts_at = parse_time("", &record.start_date).ok();
    let ends_at = parse_time("", &record.end_date).ok();
    for (name, value, parsed) in [
        ("startDate", &record.start_date, starts_at),
        ("endDate", &record.end_date, ends_at),
    ] {
        keep(
            &format!("{at}/{name}"),
            parsed.map(|_| ()).ok_or_else(|| {
                format!("'{value}' is not an RFC 3339 time like 2026-11-26T08:15:00Z")
            }),
        );
    }
    if let (Some(start), Some(end)) = (starts_at, ends_at) {
        keep(
            &format!("{at}/endDate"),
            check_window(start, end).map_err(|refused| refused.0),
        );
    }
    if record.services.is_empty() {
        keep(
            &format!("{at}/services"),
            Err("list at least one affected service".into()),
        );
    }
    let mut services = Vec::with_capacity(record.services.len());
    let mut seen = HashSet::new();
    for (i, service) in record.services.iter().enumerate() {
        let pointer = format!("{at}/services/{i}");
        let key = (
            service.organization_ref.clone(),
            service.service_ref.clone(),
        );
        let known = defined_services.contains(&key)
            || match provisioning::find(db, Keyed::Organization, &service.organization_ref).await? {
                Some(org_id) => {
                    provisioning::find(db, Keyed::Service { org_id }, &service.service_ref)
                        .await?
                        .is_some()
                }
                None => false,
            };
        let impact = Impact::parse(service.impact.trim());
        keep(
            &format!("{pointer}/serviceRef"),
            if !known {
                Err(format!(
                    "no service '{}' of organization '{}' in this document or already imported",
                    service.service_ref, service.organization_ref
                ))
            } else if !seen.insert(key.clone()) {
                Err(format!("service '{}' is listed twice", service.service_ref))
            } else {
                Ok(())
            },
        );
        keep(
            &format!("{pointer}/impact"),
            impact.map(|_| ()).ok_or_else(|| {
                format!(
                    "impact '{}' is not one of: {}",
                    service.impact,
                    Impact::NAMES.join(", ")
                )
            }),
        );
        if let Some(impact) = impact {
            services.push((key.0, key.1, impact));
        }
    }
    // A stored maintenance must be able to get where the document says it is.
    if let (Some(status), Some(start), Some(end)) = (status, starts_at, ends_at)
        && let Some(stored) = maintenances::find_by_reference(db, record.reference.trim()).await?
    {
        let moved = (start != stored.starts_at, end != stored.ends_at);
        let after_move = stored.status.after_window_change(moved.0, moved.1);
        let reachable = after_move
            .as_ref()
            .ok()
            .and_then(|now| now.path_to(status))
            .is_some();
        if !reachable {
            keep(
                &format!("{at}/status"),
                Err(match after_move {
                    Err(refused) => refused.0,
                    Ok(_) => format!(
                        "it is {} in OnePortal, and its lifecycle has no way to {status}",
                        stored.status
                    ),
                }),
            );
        }
    }
    if findings.0.len() > before {
        return Ok(None);
    }
    let (Some(status), Some(starts_at), Some(ends_at)) = (status, starts_at, ends_at) else {
        return Ok(None);
    };
    Ok(Some(MaintenancePlan {
        reference: record.reference.trim().to_owned(),
        title: record.title.trim().to_owned(),
        reason: record.reason.trim().to_owned(),
        status,
        starts_at,
        ends_at,
        services,
    }))
}

/// One organization's records, checked against each other and the database.
struct OrganizationCheck<'a> {
    db: &'a Db,
    /// `None` when the organization is new (then nothing of it is stored yet).
    org_id: Option<i64>,
    at: String,
    label: String,
    findings: &'a mut Findings,
    /// References the document defines, with the account type for accounts.
    /// Each reference the document defines; an account's with its type (none when the
    /// type is not one OnePortal knows, which is reported where the account is checked).
    defined: HashMap<(RefKind, String), Option<AccountType>>,
    stored: HashMap<(RefKind, String), i64>,
}

impl OrganizationCheck<'_> {
    async fn organization(
        &mut self,
        org: OrganizationRecord,
    ) -> Result<OrganizationPlan, ApiError> {
        self.define(
            RefKind::Account,
            "accounts",
            org.accounts
                .iter()
                .map(|a| (&a.reference, AccountType::parse(&a.account_type))),
        );
        self.define(
            RefKind::Site,
            "sites",
            org.sites.iter().map(|s| (&s.reference, None)),
        );
        self.define(
            RefKind::Service,
            "services",
            org.services.iter().map(|s| (&s.reference, None)),
        );

        let accounts = org
            .accounts
            .into_iter()
            .enumerate()
            .map(|(i, a)| self.account(i, a))
            .collect();
        let mut sites = Vec::new();
        for (i, site) in org.sites.into_iter().enumerate() {
            sites.push(self.site(i, site).await?);
        }
        let mut services = Vec::new();
        for (i, service) in org.services.into_iter().enumerate() {
            services.push(self.service(i, service).await?);
        }
        let mut invoices = Vec::new();
        let mut numbers = HashSet::new();
        for (i, invoice) in org.invoices.into_iter().enumerate() {
            if !numbers.insert(invoice.invoice_number.clone()) {
                let at = format!("{}/invoices/{i}/invoiceNumber", self.at);
                self.findings.add(
                    &at,
                    &self.label,
                    "duplicate",
                    format!("invoice '{}' appears twice", invoice.invoice_number),
                );
            }
            invoices.push(self.invoice(i, invoice).await?);
        }
        let mut cases = Vec::new();
        for (i, update) in org.cases.into_iter().enumerate() {
            if let Some(plan) = self.case(i, update).await? {
                cases.push(plan);
            }
        }
        Ok(OrganizationPlan {
            reference: org.reference,
            adopt: None,
            name: org.name.trim().to_owned(),
            stored: std::mem::take(&mut self.stored),
            accounts,
            sites,
            services,
            invoices,
            cases,
        })
    }

    fn define<'r>(
        &mut self,
        kind: RefKind,
        list: &str,
        references: impl Iterator<Item = (&'r String, Option<AccountType>)>,
    ) {
        for (i, (reference, account_type)) in references.enumerate() {
            let at = format!("{}/{list}/{i}/ref", self.at);
            let label = format!("{} › {} '{reference}'", self.label, kind.noun());
            self.findings.reference(&at, &label, reference);
            if self
                .defined
                .insert((kind, reference.clone()), account_type)
                .is_some()
            {
                self.findings.add(
                    &at,
                    &label,
                    "duplicate",
                    format!("another {} has this ref", kind.noun()),
                );
            }
        }
    }

    /// Checks that a reference names a record in the document or in the database;
    /// returns the account type for accounts.
    async fn resolve(
        &mut self,
        pointer: &str,
        label: &str,
        kind: RefKind,
        reference: &str,
    ) -> Result<Option<AccountType>, ApiError> {
        if let Some(account_type) = self.defined.get(&(kind, reference.to_owned())) {
            return Ok(*account_type);
        }
        let keyed = match (kind, self.org_id) {
            (_, None) => None,
            (RefKind::Account, Some(org_id)) => Some(Keyed::Account { org_id }),
            (RefKind::Site, Some(org_id)) => Some(Keyed::Site { org_id }),
            (RefKind::Service, Some(org_id)) => Some(Keyed::Service { org_id }),
        };
        let found = match keyed {
            Some(keyed) => provisioning::find(self.db, keyed, reference).await?,
            None => None,
        };
        match found {
            Some(id) => {
                self.stored.insert((kind, reference.to_owned()), id);
                Ok(match kind {
                    RefKind::Account => provisioning::account_type(self.db, id).await?,
                    _ => None,
                })
            }
            None => {
                self.findings.add(
                    pointer,
                    label,
                    "unknown_reference",
                    format!(
                        "no {} '{reference}' in this document or already imported for {}",
                        kind.noun(),
                        self.label
                    ),
                );
                Ok(None)
            }
        }
    }

    fn account(&mut self, i: usize, a: AccountRecord) -> KeyedRecord<Columns> {
        let at = format!("{}/accounts/{i}", self.at);
        let label = format!("{} › account '{}'", self.label, a.reference);
        let f = &mut self.findings;
        f.one_of(
            &format!("{at}/type"),
            &label,
            &a.account_type,
            AccountType::NAMES,
        );
        f.text(&format!("{at}/name"), &label, &a.name, 200);
        f.one_of(
            &format!("{at}/status"),
            &label,
            &a.status,
            AccountStatus::NAMES,
        );
        f.code(
            &format!("{at}/country"),
            &label,
            &a.country,
            2,
            "an ISO 3166-1 country code",
        );
        f.code(
            &format!("{at}/billingCurrency"),
            &label,
            &a.billing_currency,
            3,
            "an ISO 4217 currency code",
        );
        KeyedRecord {
            reference: a.reference,
            record: vec![
                ("account_type", Arg::from(a.account_type)),
                ("name", Arg::from(a.name.trim())),
                ("status", Arg::from(a.status)),
                ("country", Arg::from(a.country)),
                ("billing_currency", Arg::from(a.billing_currency)),
            ],
        }
    }

    async fn site(&mut self, i: usize, s: SiteRecord) -> Result<Linked, ApiError> {
        let at = format!("{}/sites/{i}", self.at);
        let label = format!("{} › site '{}'", self.label, s.reference);
        let f = &mut self.findings;
        f.text(&format!("{at}/name"), &label, &s.name, 200);
        f.code(
            &format!("{at}/country"),
            &label,
            &s.country,
            2,
            "an ISO 3166-1 country code",
        );
        f.one_of(
            &format!("{at}/status"),
            &label,
            &s.status,
            SiteStatus::NAMES,
        );
        for (name, value, limit) in [
            ("latitude", s.latitude, 90.0),
            ("longitude", s.longitude, 180.0),
        ] {
            if value.is_some_and(|v| !(-limit..=limit).contains(&v)) {
                f.add(
                    &format!("{at}/{name}"),
                    &label,
                    "out_of_range",
                    format!("{name} is between -{limit} and {limit}"),
                );
            }
        }
        self.resolve(
            &format!("{at}/accountRef"),
            &label,
            RefKind::Account,
            &s.account_ref,
        )
        .await?;
        Ok(Linked {
            reference: s.reference,
            columns: vec![
                ("name", Arg::from(s.name.trim())),
                ("street", Arg::from(s.street)),
                ("city", Arg::from(s.city)),
                ("postal_code", Arg::from(s.postal_code)),
                ("region", Arg::from(s.region)),
                ("country", Arg::from(s.country)),
                ("latitude", Arg::F64(s.latitude)),
                ("longitude", Arg::F64(s.longitude)),
                ("status", Arg::from(s.status)),
            ],
            links: vec![("account_id", RefKind::Account, s.account_ref)],
        })
    }

    async fn service(&mut self, i: usize, s: ServiceRecord) -> Result<Linked, ApiError> {
        let at = format!("{}/services/{i}", self.at);
        let label = format!("{} › service '{}'", self.label, s.reference);
        let f = &mut self.findings;
        f.text(&format!("{at}/serviceName"), &label, &s.service_name, 200);
        f.one_of(
            &format!("{at}/serviceType"),
            &label,
            &s.service_type,
            ServiceType::NAMES,
        );
        f.one_of(
            &format!("{at}/status"),
            &label,
            &s.status,
            ServiceStatus::NAMES,
        );
        for (name, value) in [
            ("downstreamMbps", s.downstream_mbps),
            ("upstreamMbps", s.upstream_mbps),
        ] {
            if value < 0 {
                f.add(
                    &format!("{at}/{name}"),
                    &label,
                    "negative",
                    format!("{name} cannot be negative"),
                );
            }
        }
        for (name, value) in [
            ("plannedDeliveryDate", &s.planned_delivery_date),
            ("readyForServiceDate", &s.ready_for_service_date),
        ] {
            if let Some(value) = value {
                f.date(&format!("{at}/{name}"), &label, value);
            }
        }
        if !s.technical_details.is_object() {
            f.add(
                &format!("{at}/technicalDetails"),
                &label,
                "invalid_type",
                "technicalDetails is a JSON object",
            );
        }
        for (name, reference, wanted) in [
            (
                "contractAccountRef",
                &s.contract_account_ref,
                AccountType::Contract,
            ),
            (
                "deliveryAccountRef",
                &s.delivery_account_ref,
                AccountType::Delivery,
            ),
        ] {
            let pointer = format!("{at}/{name}");
            let found = self
                .resolve(&pointer, &label, RefKind::Account, reference)
                .await?;
            if let Some(found) = found
                && found != wanted
            {
                self.findings.add(
                    &pointer,
                    &label,
                    "wrong_account_type",
                    format!("account '{reference}' is a {found} account, not a {wanted} account"),
                );
            }
        }
        self.resolve(&format!("{at}/siteRef"), &label, RefKind::Site, &s.site_ref)
            .await?;
        Ok(Linked {
            reference: s.reference,
            columns: vec![
                ("service_name", Arg::from(s.service_name.trim())),
                ("service_type", Arg::from(s.service_type)),
                ("status", Arg::from(s.status)),
                ("downstream_mbps", Arg::from(s.downstream_mbps)),
                ("upstream_mbps", Arg::from(s.upstream_mbps)),
                ("planned_delivery_date", Arg::from(s.planned_delivery_date)),
                (
                    "ready_for_service_date",
                    Arg::from(s.ready_for_service_date),
                ),
                ("technical_note", Arg::from(s.technical_note)),
                (
                    "technical_details",
                    Arg::from(s.technical_details.to_string()),
                ),
                ("customer_reference", Arg::from(s.customer_reference)),
            ],
            links: vec![
                (
                    "contract_account_id",
                    RefKind::Account,
                    s.contract_account_ref,
                ),
                (
                    "delivery_account_id",
                    RefKind::Account,
                    s.delivery_account_ref,
                ),
                ("site_id", RefKind::Site, s.site_ref),
            ],
        })
    }

    async fn invoice(&mut self, i: usize, r: InvoiceRecord) -> Result<InvoicePlan, ApiError> {
        let at = format!("{}/invoices/{i}", self.at);
        let label = format!("{} › invoice '{}'", self.label, r.invoice_number);
        self.resolve(
            &format!("{at}/accountRef"),
            &label,
            RefKind::Account,
            &r.account_ref,
        )
        .await?;
        let mut service_refs = Vec::new();
        for (n, line) in r.lines.iter().enumerate() {
            if let Some(reference) = &line.service_ref {
                self.resolve(
                    &format!("{at}/lines/{n}/serviceRef"),
                    &label,
                    RefKind::Service,
                    reference,
                )
                .await?;
            }
            service_refs.push(line.service_ref.clone());
        }
        let f = &mut self.findings;
        f.text(
            &format!("{at}/invoiceNumber"),
            &label,
            &r.invoice_number,
            50,
        );
        let invoice_type = InvoiceType::parse(&r.invoice_type);
        if invoice_type.is_none() {
            f.one_of(
                &format!("{at}/type"),
                &label,
                &r.invoice_type,
                InvoiceType::NAMES,
            );
        }
        let status = InvoiceStatus::parse(&r.status);
        if status.is_none() {
            f.one_of(
                &format!("{at}/status"),
                &label,
                &r.status,
                InvoiceStatus::NAMES,
            );
        }
        let invoice_date = f.date(&format!("{at}/invoiceDate"), &label, &r.invoice_date);
        let due_date = f.date(&format!("{at}/dueDate"), &label, &r.due_date);
        let period_start = f.date(
            &format!("{at}/billingPeriodStart"),
            &label,
            &r.billing_period_start,
        );
        let period_end = f.date(
            &format!("{at}/billingPeriodEnd"),
            &label,
            &r.billing_period_end,
        );
        if let (Some(start), Some(end)) = (period_start, period_end)
            && end < start
        {
            f.add(
                &format!("{at}/billingPeriodEnd"),
                &label,
                "before_start",
                "billingPeriodEnd is before billingPeriodStart",
            );
        }
        f.code(
            &format!("{at}/currency"),
            &label,
            &r.currency,
            3,
            "an ISO 4217 currency code",
        );
        if r.lines.is_empty() {
            f.add(
                &format!("{at}/lines"),
                &label,
                "required",
                "an invoice has at least one line",
            );
        }
        let mut lines = Vec::new();
        for (n, line) in r.lines.into_iter().enumerate() {
            if let Some(line) = invoice_line(f, &format!("{at}/lines/{n}"), &label, line) {
                lines.push(line);
            }
        }
        let amounts: Vec<LineAmounts> = lines.iter().map(|l| l.amounts).collect();
        let computed = InvoiceTotals::of(&amounts);
        let mut stated = |name: &str, given: &Option<String>, computed: Money| match given {
            Some(text) => f
                .money(&format!("{at}/{name}"), &label, text)
                .unwrap_or(computed),
            None => computed,
        };
        let totals = InvoiceTotals {
            subtotal: stated("subtotal", &r.subtotal, computed.subtotal),
            tax_total: stated("taxTotal", &r.tax_total, computed.tax_total),
            total: stated("total", &r.total, computed.total),
        };
        let amount_paid = stated("amountPaid", &r.amount_paid, Money::ZERO);
        if let Err(errors) = totals.check(&amounts) {
            for e in errors {
                f.add(&at, &label, e.code, e.message);
            }
        }
        let invoice = NewInvoice {
            org_id: 0,
            account_id: 0,
            invoice_number: r.invoice_number.trim().to_owned(),
            invoice_type: invoice_type.unwrap_or(InvoiceType::Invoice),
            status: status.unwrap_or(InvoiceStatus::Open),
            invoice_date: invoice_date.unwrap_or(Date::MIN),
            due_date: due_date.unwrap_or(Date::MIN),
            billing_period: (
                period_start.unwrap_or(Date::MIN),
                period_end.unwrap_or(Date::MIN),
            ),
            currency: r.currency,
            totals,
            amount_paid,
            lines,
            at: oneportal_store::now_ms(),
        };
        Ok(InvoicePlan {
            invoice,
            account_ref: r.account_ref,
            line_service_refs: service_refs,
        })
    }

    async fn case(
        &mut self,
        i: usize,
        update: CaseUpdateRecord,
    ) -> Result<Option<CasePlan>, ApiError> {
        let at = format!("{}/cases/{i}", self.at);
        let label = format!("{} › case '{}'", self.label, update.case_id);
        let found = match (IdKind::Case.parse(&update.case_id), self.org_id) {
            (Some(number), Some(org_id)) => cases::find_case_anywhere(self.db, number)
                .await?
                .filter(|case| case.org_id == org_id),
            _ => None,
        };
        let Some(case) = found else {
            self.findings.add(
                &format!("{at}/caseId"),
                &label,
                "unknown_case",
                format!("{} has no case '{}'", self.label, update.case_id),
            );
            return Ok(None);
        };
        let mut communications = Vec::new();
        let mut seen = HashSet::new();
        for (n, c) in update.communications.into_iter().enumerate() {
            let pointer = format!("{at}/communications/{n}");
            self.findings
                .reference(&format!("{pointer}/ref"), &label, &c.reference);
            if !seen.insert(c.reference.clone()) {
                self.findings.add(
                    &format!("{pointer}/ref"),
                    &label,
                    "duplicate",
                    format!("two communications have the ref '{}'", c.reference),
                );
            }
            let message = check_message(&format!("{pointer}/message"), &c.message)
                .map_err(|e| self.findings.add(&e.pointer, &label, &e.code, e.detail))
                .unwrap_or_default();
            let sent_by = c.sent_by.unwrap_or_else(|| "Support".into());
            self.findings
                .text(&format!("{pointer}/sentBy"), &label, &sent_by, 100);
            communications.push((c.reference, message, sent_by.trim().to_owned()));
        }
        let mut status = None;
        if let Some(wanted) = update.status {
            let pointer = format!("{at}/status");
            match CaseStatus::parse(&wanted) {
                None => self
                    .findings
                    .one_of(&pointer, &label, &wanted, CaseStatus::NAMES),
                Some(to) if to != case.status() && !case.status().may_move(to, Mover::Provider) => {
                    self.findings.add(
                        &pointer,
                        &label,
                        "invalid_status_transition",
                        format!(
                            "the case is {}; the provider cannot move it to {wanted}",
                            case.status
                        ),
                    );
                }
                Some(to) => status = Some((to, update.reason.trim().to_owned())),
            }
        }
        let mut rfo = None;
        let mut rfo_service_refs = Vec::new();
        if let Some(record) = update.rfo {
            let pointer = format!("{at}/rfo");
            if case.case_type != oneportal_domain::case::CaseType::Incident {
                self.findings.add(
                    &pointer,
                    &label,
                    "not_an_incident",
                    "RFOs are written for incidents only",
                );
            }
            if record.status == RfoStatus::Preliminary
                && cases::find_rfo(self.db, case.id)
                    .await?
                    .is_some_and(|r| r.status == RfoStatus::Final)
            {
                self.findings.add(
                    &format!("{pointer}/status"),
                    &label,
                    "rfo_final",
                    "the RFO is already Final; publish corrections as Final",
                );
            }
            let mut content = record.content;
            for (n, id) in content.affected_service_ids.iter().enumerate() {
                if IdKind::Service.parse(id).is_none() {
                    self.resolve(
                        &format!("{pointer}/affectedServiceIds/{n}"),
                        &label,
                        RefKind::Service,
                        id,
                    )
                    .await?;
                    rfo_service_refs.push((n, id.clone()));
                }
            }
            // Placeholders pass the format check; the real ids replace them when written.
            for (n, _) in &rfo_service_refs {
                content.affected_service_ids[*n] = IdKind::Service.format(1);
            }
            let skip: Vec<usize> = rfo_service_refs.iter().map(|(n, _)| *n).collect();
            let foreign = rfo::foreign_services(self.db, case.org_id, &content, &skip).await?;
            for e in rfo::check(&content).into_iter().chain(foreign) {
                self.findings.add(
                    &format!("{pointer}{}", e.pointer),
                    &label,
                    &e.code,
                    e.detail,
                );
            }
            rfo = Some((record.status, content));
        }
        Ok(Some(CasePlan {
            case,
            communications,
            status,
            rfo,
            rfo_service_refs,
        }))
    }
}

fn invoice_line(
    f: &mut Findings,
    at: &str,
    label: &str,
    line: InvoiceLineRecord,
) -> Option<NewInvoiceLine> {
    f.text(&format!("{at}/description"), label, &line.description, 500);
    let charge_type = ChargeType::parse(&line.charge_type);
    if charge_type.is_none() {
        f.one_of(
            &format!("{at}/chargeType"),
            label,
            &line.charge_type,
            ChargeType::NAMES,
        );
    }
    let period_start = line
        .period_start
        .as_deref()
        .and_then(|d| f.date(&format!("{at}/periodStart"), label, d));
    let period_end = line
        .period_end
        .as_deref()
        .and_then(|d| f.date(&format!("{at}/periodEnd"), label, d));
    if line.period_start.is_some() != line.period_end.is_some() {
        f.add(
            &format!("{at}/periodEnd"),
            label,
            "incomplete_period",
            "give periodStart and periodEnd together, or neither",
        );
    }
    let quantity = f.decimal(&format!("{at}/quantity"), label, &line.quantity);
    let unit_price = f.money(&format!("{at}/unitPrice"), label, &line.unit_price);
    let tax_rate = f.decimal(&format!("{at}/taxRate"), label, &line.tax_rate);
    if tax_rate.is_some_and(|r| r < Decimal::ZERO || r > Decimal::ONE_HUNDRED) {
        f.add(
            &format!("{at}/taxRate"),
            label,
            "out_of_range",
            "taxRate is a percentage between 0 and 100",
        );
    }
    let (quantity, unit_price, tax_rate) = (quantity?, unit_price?, tax_rate?);
    let amounts = match (&line.amount, &line.tax_amount, &line.total_amount) {
        (None, None, None) => LineAmounts::price(quantity, unit_price, tax_rate),
        (Some(amount), Some(tax), Some(total)) => LineAmounts {
            amount: f.money(&format!("{at}/amount"), label, amount)?,
            tax_amount: f.money(&format!("{at}/taxAmount"), label, tax)?,
            total_amount: f.money(&format!("{at}/totalAmount"), label, total)?,
        },
        _ => {
            f.add(&format!("{at}/amount"), label, "incomplete_amounts", "give amount, taxAmount and totalAmount together, or none of them to have them computed");
            return None;
        }
    };
    Some(NewInvoiceLine {
        description: line.description.trim().to_owned(),
        charge_type: charge_type?,
        service_id: None,
        site_address: line.site_address,
        order_reference: line.order_reference,
        period: period_start.zip(period_end),
        quantity,
        unit_price,
        tax_rate,
        amounts,
    })
}

impl RefKind {
    fn noun(self) -> &'static str {
        match self {
            RefKind::Account => "account",
            RefKind::Site => "site",
            RefKind::Service => "service",
        }
    }
}
