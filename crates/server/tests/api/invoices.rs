//! Invoices: scope and permission, tenant isolation, account restrictions,
//! list conventions, money as decimal strings, the PDF and CSV downloads,
//! idempotent upserts and the demo's year of invoices.

use std::collections::HashSet;
use std::str::FromStr;

use oneportal_domain::Permission;
use oneportal_domain::ids::IdKind;
use oneportal_domain::invoice::{
    ChargeType, InvoiceStatus, InvoiceTotals, InvoiceType, LineAmounts, Money,
};
use oneportal_store::invoices::{NewInvoice, NewInvoiceLine, Upserted, upsert_invoice};
use oneportal_store::orgs::{NewAccount, create_account};
use oneportal_store::{Db, StoreError};
use rust_decimal::Decimal;
use serde_json::Value;
use time::macros::date;
use time::{Date, Duration, OffsetDateTime};

use crate::helpers::{TestApp, perms, problem, spawn_app};
use oneportal_domain::catalog::AccountType;

/// A one-line EUR invoice of `account_id`, open, due 30 days after `date`.
pub fn new_invoice(org_id: i64, account_id: i64, number: &str, date: Date) -> NewInvoice {
    with_lines(
        NewInvoice {
            org_id,
            account_id,
            invoice_number: number.to_owned(),
            invoice_type: InvoiceType::Invoice,
            status: InvoiceStatus::Open,
            invoice_date: date,
            due_date: date + Duration::days(30),
            billing_period: (date, date + Duration::days(27)),
            currency: "EUR".to_owned(),
            totals: InvoiceTotals::of([]),
            amount_paid: Money::ZERO,
            lines: vec![],
            at: 1_767_225_600_000,
        },
        vec![line(
            "Global Internet 500/500 Mbps",
            ChargeType::Recurring,
            "450.00",
        )],
    )
}

/// One unit at `unit_price`, 21 % VAT.
pub fn line(description: &str, charge_type: ChargeType, unit_price: &str) -> NewInvoiceLine {
    let unit_price = Money::parse(unit_price).unwrap();
    let tax_rate = Decimal::from(21);
    NewInvoiceLine {
        description: description.to_owned(),
        charge_type,
        service_id: None,
        site_address: Some("Damrak 70, 1012 LM Amsterdam, NL".to_owned()),
        order_reference: Some("PO-1".to_owned()),
        period: None,
        quantity: Decimal::ONE,
        unit_price,
        tax_rate,
        amounts: LineAmounts::price(Decimal::ONE, unit_price, tax_rate),
    }
}

/// The invoice with these lines and the totals they add up to.
pub fn with_lines(mut invoice: NewInvoice, lines: Vec<NewInvoiceLine>) -> NewInvoice {
    invoice.totals = InvoiceTotals::of(lines.iter().map(|l| &l.amounts));
    invoice.lines = lines;
    invoice
}

pub async fn insert(db: &Db, invoice: &NewInvoice) -> i64 {
    upsert_invoice(db, invoice).await.unwrap().id()
}

fn invoice_path(id: i64) -> String {
    format!("/v2/invoices/{}", IdKind::Invoice.format(id))
}

struct Billing {
    contract: [i64; 2],
    /// One invoice per contract account.
    invoice: [i64; 2],
}

/// Two contract accounts with one invoice each.
async fn seed(app: &TestApp, org_id: i64) -> Billing {
    let db = app.db();
    let account = |name| NewAccount {
        org_id,
        account_type: AccountType::Contract,
        name,
        country: "NL",
        billing_currency: "EUR",
    };
    let a = create_account(db, account("South")).await.unwrap();
    let b = create_account(db, account("North")).await.unwrap();
    let first = insert(
        db,
        &new_invoice(org_id, a, "INV-A-1", date!(2026 - 01 - 01)),
    )
    .await;
    let second = insert(
        db,
        &new_invoice(org_id, b, "INV-B-1", date!(2026 - 01 - 01)),
    )
    .await;
    Billing {
        contract: [a, b],
        invoice: [first, second],
    }
}

async fn client_token(app: &TestApp, scopes: &[&str]) -> String {
    let owner = app.developer().await;
    let (id, secret) = app.create_client(&owner, scopes).await;
    app.access_token(&id, &secret).await
}

async fn json(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

fn field(body: &Value, name: &str) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[name].as_str().unwrap().to_owned())
        .collect()
}

/// Every endpoint of one invoice.
fn paths_of(invoice: i64) -> Vec<String> {
    let base = invoice_path(invoice);
    vec![
        base.clone(),
        format!("{base}/lines"),
        format!("{base}/document"),
        format!("{base}/lines.csv"),
    ]
}

#[tokio::test]
async fn invoices_need_billing_read_or_the_billing_view_permission() {
    let app = spawn_app().await;
    let billing = seed(&app, app.org_id).await;
    let mut paths = paths_of(billing.invoice[0]);
    paths.push("/v2/invoices".to_owned());
    let basic = client_token(&app, &["BasicRead", "SupportReadWrite"]).await;
    let billing_read = client_token(&app, &["BillingRead"]).await;
    let billing_viewer = app
        .user(perms(&[
            Permission::SitesServicesView,
            Permission::BillingView,
        ]))
        .await;
    let viewer = app.user(perms(&[Permission::SitesServicesView])).await;
    for path in &paths {
        for token in [&basic, &viewer.token] {
            let response = app.get(path, token).await;
            let challenge = response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .to_owned();
            let (status, body) = problem(response).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (403, Some("insufficient_scope")),
                "{path}"
            );
            assert!(
                challenge.contains("customerapi/billing.read"),
                "{challenge}"
            );
        }
        for token in [&billing_read, &billing_viewer.token] {
            assert_eq!(app.get(path, token).await.status(), 200, "{path}");
        }
    }
}

#[tokio::test]
async fn another_organizations_and_restricted_accounts_invoices_are_not_there() {
    let app = spawn_app().await;
    let mine = seed(&app, app.org_id).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other")
        .await
        .unwrap();
    let theirs = seed(&app, other_org).await;
    let token = client_token(&app, &["BillingRead"]).await;
    let mut hidden = paths_of(theirs.invoice[0]);
    hidden.extend(
        [
            "/v2/invoices/INV-abc",
            "/v2/invoices/ACC-000001",
            "/v2/invoices/INV-0000000/lines",
        ]
        .map(String::from),
    );
    for path in &hidden {
        let (status, body) = problem(app.get(path, &token).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    let all = json(&app, "/v2/invoices", &token).await;
    let listed: HashSet<String> = field(&all, "invoiceId").into_iter().collect();
    let expected: HashSet<String> = mine
        .invoice
        .iter()
        .map(|id| IdKind::Invoice.format(*id))
        .collect();
    assert_eq!(listed, expected);

    // A user restricted to the first account, and the client that user owns.
    let owner = app
        .user(perms(&[
            Permission::BillingView,
            Permission::DeveloperPortal,
        ]))
        .await;
    oneportal_store::users::set_account_access(app.db(), owner.id, &[mine.contract[0]])
        .await
        .unwrap();
    app.app
        .state
        .publish(oneportal::cluster::Change::User { user_id: owner.id })
        .await;
    let (id, secret) = app.create_client(&owner, &["BillingRead"]).await;
    let client = app.access_token(&id, &secret).await;
    for token in [&owner.token, &client] {
        for path in paths_of(mine.invoice[1]) {
            assert_eq!(app.get(&path, token).await.status(), 404, "{path}");
        }
        for path in paths_of(mine.invoice[0]) {
            assert_eq!(app.get(&path, token).await.status(), 200, "{path}");
        }
        let visible = json(&app, "/v2/invoices", token).await;
        assert_eq!(
            field(&visible, "accountId"),
            vec![IdKind::Account.format(mine.contract[0])]
        );
        let other_account = format!(
            "/v2/invoices?accountId={}",
            IdKind::Account.format(mine.contract[1])
        );
        assert_eq!(
            json(&app, &other_account, token).await["pagination"]["total"],
            0
        );
    }
}

#[tokio::test]
async fn the_list_filters_sorts_and_walks_by_cursor() {
    let app = spawn_app().await;
    let billing = seed(&app, app.org_id).await;
    let db = app.db();
    // Twelve more: monthly in 2026 on alternate accounts, statuses in turn, one credit note.
    let statuses = [
        InvoiceStatus::Paid,
        InvoiceStatus::Open,
        InvoiceStatus::PartiallyPaid,
        InvoiceStatus::Void,
    ];
    for month in 1..=12u8 {
        let day =
            Date::from_calendar_date(2026, time::Month::try_from(month).unwrap(), 15).unwrap();
        let mut invoice = new_invoice(
            app.org_id,
            billing.contract[usize::from(month % 2)],
            &format!("INV-2026-{month:02}"),
            day,
        );
        invoice.status = statuses[usize::from(month) % 4];
        if month == 7 {
            invoice.invoice_type = InvoiceType::CreditNote;
            invoice = with_lines(
                invoice,
                vec![line("SLA credit", ChargeType::Credit, "-45.00")],
            );
        }
        insert(db, &invoice).await;
    }
    let token = client_token(&app, &["BillingRead"]).await;

    let all = json(&app, "/v2/invoices?limit=200", &token).await;
    assert_eq!(all["pagination"]["total"], 14);
    let dates = field(&all, "invoiceDate");
    let mut newest_first = dates.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, newest_first, "the default sort is -invoiceDate");

    let unpaid = json(&app, "/v2/invoices?status=Open,PartiallyPaid", &token).await;
    // The two seeded (Open) and months 1, 5, 9 (Open) and 2, 6, 10 (PartiallyPaid).
    assert_eq!(unpaid["pagination"]["total"], 8);
    assert!(
        field(&unpaid, "status")
            .iter()
            .all(|s| s == "Open" || s == "PartiallyPaid")
    );

    let spring = json(
        &app,
        "/v2/invoices?invoiceDate.gte=2026-03-15&invoiceDate.lt=2026-06-15&sort=invoiceDate",
        &token,
    )
    .await;
    assert_eq!(
        field(&spring, "invoiceDate"),
        ["2026-03-15", "2026-04-15", "2026-05-15"]
    );
    let through = json(
        &app,
        "/v2/invoices?invoiceDate.lte=2026-01-15&invoiceDate.gt=2026-01-01",
        &token,
    )
    .await;
    assert_eq!(field(&through, "invoiceNumber"), ["INV-2026-01"]);
    let due = json(&app, "/v2/invoices?dueDate.lte=2026-02-14", &token).await;
    assert_eq!(
        due["pagination"]["total"], 3,
        "the two seeded on 01-01 and January's"
    );

    let credit = json(&app, "/v2/invoices?type=CreditNote", &token).await;
    assert_eq!(field(&credit, "total"), ["-54.45"]);
    let south = IdKind::Account.format(billing.contract[0]);
    let of_south = json(&app, &format!("/v2/invoices?accountId={south}"), &token).await;
    assert_eq!(of_south["pagination"]["total"], 7);

    let by_due = json(
        &app,
        "/v2/invoices?sort=dueDate,-invoiceNumber&limit=3",
        &token,
    )
    .await;
    assert_eq!(
        field(&by_due, "invoiceNumber"),
        ["INV-B-1", "INV-A-1", "INV-2026-01"]
    );

    for (query, parameter) in [
        ("colour=red", "colour"),
        ("status=Overdue", "status"),
        ("sort=total", "sort"),
        ("invoiceDate.gte=2026-13-01", "invoiceDate.gte"),
        ("invoiceDate=2026-01-01", "invoiceDate"),
        ("limit=0", "limit"),
    ] {
        let (status, body) = problem(app.get(&format!("/v2/invoices?{query}"), &token).await).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["errors"][0]["pointer"], parameter, "{query}");
    }
    let (_, unknown) = problem(app.get("/v2/invoices?colour=red", &token).await).await;
    assert!(
        unknown["detail"].as_str().unwrap().contains("'colour'"),
        "{unknown}"
    );

    // Walking by cursor returns the same order as one big page, each invoice once.
    let mut walked = Vec::new();
    let mut path = "/v2/invoices?limit=5".to_owned();
    loop {
        let response = app.get(&path, &token).await;
        assert_eq!(response.headers()["x-total-count"], "14");
        let body: Value = response.json().await.unwrap();
        walked.extend(field(&body, "invoiceId"));
        match body["pagination"]["nextCursor"].as_str() {
            Some(cursor) => path = format!("/v2/invoices?limit=5&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(walked, field(&all, "invoiceId"));
}

#[tokio::test]
async fn an_invoice_shows_money_as_decimal_strings_and_supports_etags() {
    let app = spawn_app().await;
    let billing = seed(&app, app.org_id).await;
    let today = OffsetDateTime::now_utc().date();
    let mut late = with_lines(
        new_invoice(
            app.org_id,
            billing.contract[0],
            "INV-LATE",
            today - Duration::days(45),
        ),
        vec![
            line(
                "Global Internet 500/500 Mbps",
                ChargeType::Recurring,
                "450.00",
            ),
            line("Installation", ChargeType::OneTime, "784.50"),
        ],
    );
    late.status = InvoiceStatus::PartiallyPaid;
    late.amount_paid = Money::parse("500").unwrap();
    let late = insert(app.db(), &late).await;
    let token = client_token(&app, &["BillingRead"]).await;

    let path = invoice_path(late);
    let first = app.get(&path, &token).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["invoiceId"], IdKind::Invoice.format(late));
    assert_eq!(body["invoiceNumber"], "INV-LATE");
    assert_eq!(body["type"], "Invoice");
    assert_eq!(body["status"], "PartiallyPaid");
    assert_eq!(body["subtotal"], "1234.50");
    assert_eq!(body["taxTotal"], "259.25");
    assert_eq!(body["total"], "1493.75");
    assert_eq!(body["amountPaid"], "500.00");
    assert_eq!(body["amountDue"], "993.75");
    assert_eq!(
        body["isOverdue"], true,
        "due 15 days ago and not fully paid"
    );
    assert_eq!(body["billingPeriod"]["start"], body["invoiceDate"]);
    assert_eq!(
        body["accountId"],
        IdKind::Account.format(billing.contract[0])
    );

    let not_yet = json(&app, &invoice_path(billing.invoice[0]), &token).await;
    // Seeded on 2026-01-01 and open: overdue once 2026-01-31 has passed.
    assert_eq!(not_yet["isOverdue"], today > date!(2026 - 01 - 31));

    let again = app
        .http
        .get(app.at(&path))
        .bearer_auth(&token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let stale = app
        .http
        .get(app.at(&path))
        .bearer_auth(&token)
        .header("if-none-match", "\"old\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
}

#[tokio::test]
async fn lines_page_in_printed_order_and_filter_by_charge_type() {
    let app = spawn_app().await;
    let billing = seed(&app, app.org_id).await;
    let mut lines: Vec<NewInvoiceLine> = (1..=6)
        .map(|n| line(&format!("Service {n}"), ChargeType::Recurring, "100.00"))
        .collect();
    lines.insert(
        2,
        line("4G backup data usage (GB)", ChargeType::Usage, "12.60"),
    );
    let invoice = with_lines(
        new_invoice(
            app.org_id,
            billing.contract[0],
            "INV-LINES",
            date!(2026 - 02 - 01),
        ),
        lines,
    );
    let id = insert(app.db(), &invoice).await;
    let token = client_token(&app, &["BillingRead"]).await;
    let base = format!("{}/lines", invoice_path(id));

    let mut walked = Vec::new();
    let mut path = format!("{base}?limit=3");
    loop {
        let body = json(&app, &path, &token).await;
        assert_eq!(body["pagination"]["total"], 7);
        walked.extend(field(&body, "description"));
        match body["pagination"]["nextCursor"].as_str() {
            Some(cursor) => path = format!("{base}?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        walked,
        [
            "Service 1",
            "Service 2",
            "4G backup data usage (GB)",
            "Service 3",
            "Service 4",
            "Service 5",
            "Service 6"
        ]
    );
    let by_offset = json(&app, &format!("{base}?offset=2&limit=2"), &token).await;
    assert_eq!(
        field(&by_offset, "description"),
        ["4G backup data usage (GB)", "Service 3"]
    );

    let usage = json(&app, &format!("{base}?chargeType=Usage"), &token).await;
    let usage = &usage["data"][0];
    assert_eq!(usage["chargeType"], "Usage");
    assert_eq!(
        (
            &usage["quantity"],
            &usage["unitPrice"],
            &usage["amount"],
            &usage["taxRate"],
            &usage["taxAmount"],
            &usage["totalAmount"]
        ),
        (
            &Value::from("1"),
            &Value::from("12.60"),
            &Value::from("12.60"),
            &Value::from("21.00"),
            &Value::from("2.65"),
            &Value::from("15.25")
        )
    );
    assert_eq!(usage["serviceId"], Value::Null);
    assert_eq!(usage["periodStart"], Value::Null);

    for (query, parameter) in [
        ("sort=amount", "sort"),
        ("chargeType=Monthly", "chargeType"),
        ("status=Open", "status"),
    ] {
        let (status, body) = problem(app.get(&format!("{base}?{query}"), &token).await).await;
        assert_eq!(
            (status, body["errors"][0]["pointer"].as_str()),
            (400, Some(parameter)),
            "{query}"
        );
    }
}

/// The text of a PDF, as poppler's `pdftotext -layout` reads it.
pub(crate) fn pdf_text(bytes: &[u8]) -> String {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    let output = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(file.path())
        .arg("-")
        .output()
        .expect("pdftotext (Debian's poppler-utils) is installed");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn the_pdf_summary_shows_number_dates_totals_and_amount_due() {
    let app = spawn_app().await;
    let billing = seed(&app, app.org_id).await;
    let mut invoice = with_lines(
        new_invoice(
            app.org_id,
            billing.contract[0],
            "INV-0000042",
            date!(2026 - 03 - 01),
        ),
        vec![
            line(
                "Global Internet 1000/1000 Mbps",
                ChargeType::Recurring,
                "790.00",
            ),
            line("SD-WAN 200/100 Mbps", ChargeType::Recurring, "320.00"),
        ],
    );
    invoice.amount_paid = Money::parse("100.00").unwrap();
    let id = insert(app.db(), &invoice).await;
    let token = client_token(&app, &["BillingRead"]).await;

    let response = app
        .get(&format!("{}/document", invoice_path(id)), &token)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let disposition = response.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"INV-0000042.pdf\""),
        "{disposition}"
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_text(&bytes);
    for expected in [
        "INV-0000042",
        "2026-03-01",
        "South",
        "SD-WAN 200/100 Mbps",
        "1110.00",
        "233.10",
        "1343.10",
        "1243.10",
    ] {
        assert!(
            text.contains(expected),
            "{expected} is missing from:\n{text}"
        );
    }
    let due_line = text.lines().find(|l| l.contains("Amount due")).unwrap();
    assert!(due_line.trim_end().ends_with("1243.10"), "{due_line}");
}

#[tokio::test]
async fn the_csv_round_trips_commas_quotes_and_newlines() {
    let app = spawn_app().await;
    let billing = seed(&app, app.org_id).await;
    let tricky = "Internet, \"premium\" tier\nsecond line";
    let invoice = with_lines(
        new_invoice(
            app.org_id,
            billing.contract[0],
            "INV-0000043",
            date!(2026 - 04 - 01),
        ),
        vec![
            line(tricky, ChargeType::Recurring, "450.00"),
            line(
                "=HYPERLINK(\"http://evil.example\")",
                ChargeType::OneTime,
                "0.50",
            ),
        ],
    );
    let id = insert(app.db(), &invoice).await;
    let token = client_token(&app, &["BillingRead"]).await;

    let response = app
        .get(&format!("{}/lines.csv", invoice_path(id)), &token)
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"INV-0000043-lines.csv\""),
        "{disposition}"
    );
    let body = response.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_ref());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..3], ["invoiceNumber", "currency", "description"]);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][column("description")], tricky);
    assert_eq!(&rows[0][column("invoiceNumber")], "INV-0000043");
    assert_eq!(&rows[0][column("chargeType")], "Recurring");
    assert_eq!(&rows[0][column("unitPrice")], "450.00");
    assert_eq!(&rows[0][column("taxAmount")], "94.50");
    assert_eq!(&rows[0][column("totalAmount")], "544.50");
    assert_eq!(
        &rows[0][column("siteAddress")],
        "Damrak 70, 1012 LM Amsterdam, NL"
    );
    assert_eq!(&rows[0][column("serviceId")], "");
    assert_eq!(&rows[1][column("amount")], "0.50");
    assert_eq!(
        &rows[1][column("description")],
        "'=HYPERLINK(\"http://evil.example\")",
        "a formula is defused"
    );
}

#[tokio::test]
async fn upserting_the_same_invoice_twice_changes_nothing() {
    let app = spawn_app().await;
    let billing = seed(&app, app.org_id).await;
    let db = app.db();
    let mut invoice = new_invoice(
        app.org_id,
        billing.contract[0],
        "INV-IMPORT-1",
        date!(2026 - 05 - 01),
    );
    let created = upsert_invoice(db, &invoice).await.unwrap();
    assert!(matches!(created, Upserted::Created(_)));
    invoice.at += 60_000;
    assert_eq!(
        upsert_invoice(db, &invoice).await.unwrap(),
        Upserted::Unchanged(created.id())
    );
    let token = client_token(&app, &["BillingRead"]).await;
    let before = json(&app, &invoice_path(created.id()), &token).await;
    assert_eq!(
        before["lastModifiedDate"], "2026-01-01T00:00:00Z",
        "untouched by the rerun"
    );

    invoice = with_lines(
        invoice,
        vec![
            line("Replaced", ChargeType::Recurring, "10.00"),
            line("Added", ChargeType::Usage, "1.00"),
        ],
    );
    invoice.status = InvoiceStatus::Paid;
    invoice.amount_paid = invoice.totals.total;
    assert_eq!(
        upsert_invoice(db, &invoice).await.unwrap(),
        Upserted::Updated(created.id())
    );
    let after = json(&app, &invoice_path(created.id()), &token).await;
    assert_eq!(after["status"], "Paid");
    assert_eq!(after["total"], "13.31");
    assert_eq!(after["amountDue"], "0.00");
    assert_eq!(after["lastModifiedDate"], "2026-01-01T00:01:00Z");
    assert_eq!(after["createdDate"], before["createdDate"]);
    let lines = json(
        &app,
        &format!("{}/lines", invoice_path(created.id())),
        &token,
    )
    .await;
    assert_eq!(field(&lines, "description"), ["Replaced", "Added"]);

    // Another organization's account, or a service that is not the organization's, is refused.
    let other_org = oneportal_store::orgs::create_organization(db, "Other")
        .await
        .unwrap();
    let stranger = seed(&app, other_org).await;
    let foreign = new_invoice(
        app.org_id,
        stranger.contract[0],
        "INV-FOREIGN",
        date!(2026 - 05 - 01),
    );
    assert!(matches!(
        upsert_invoice(db, &foreign).await,
        Err(StoreError::NotFound)
    ));
    let mut unknown_service = new_invoice(
        app.org_id,
        billing.contract[0],
        "INV-SVC",
        date!(2026 - 05 - 01),
    );
    unknown_service.lines[0].service_id = Some(999_999);
    assert!(matches!(
        upsert_invoice(db, &unknown_service).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn the_demo_seeds_a_year_of_invoices_that_add_up() {
    let app = spawn_app().await;
    oneportal::demo::seed(&app.app.state, "demo-password-123")
        .await
        .unwrap();
    let billing = oneportal_store::users::find_by_email(app.db(), "billing@acme.example")
        .await
        .unwrap()
        .unwrap();
    let token = app.user_token(billing.id).await;
    let all = json(&app, "/v2/invoices?limit=200", &token).await;
    let invoices = all["data"].as_array().unwrap();
    assert_eq!(
        invoices.len(),
        3 * 12 + 1,
        "twelve per contract account and a credit note"
    );
    let count = |key: &str, value: &str| invoices.iter().filter(|i| i[key] == value).count();
    assert_eq!(count("type", "CreditNote"), 1);
    assert_eq!(count("status", "PartiallyPaid"), 1);
    assert!(count("status", "Paid") > 30, "most are paid");
    assert!(invoices.iter().any(|i| i["isOverdue"] == true));
    for invoice in invoices {
        assert_eq!(
            invoice["invoiceNumber"], invoice["invoiceId"],
            "the demo prints the ids"
        );
        let lines = json(
            &app,
            &format!(
                "/v2/invoices/{}/lines?limit=200",
                invoice["invoiceId"].as_str().unwrap()
            ),
            &token,
        )
        .await;
        let sum = |key: &str| -> Decimal {
            lines["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| Decimal::from_str(l[key].as_str().unwrap()).unwrap())
                .sum()
        };
        let stated = |key: &str| Decimal::from_str(invoice[key].as_str().unwrap()).unwrap();
        assert_eq!(
            sum("amount"),
            stated("subtotal"),
            "{}",
            invoice["invoiceId"]
        );
        assert_eq!(
            sum("taxAmount"),
            stated("taxTotal"),
            "{}",
            invoice["invoiceId"]
        );
        assert_eq!(stated("total") - stated("amountPaid"), stated("amountDue"));
    }
}
