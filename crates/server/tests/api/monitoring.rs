//! Proactive incidents (PRODUCT §8): the provider's monitoring posts alerts,
//! OnePortal opens one Incident case per alert key, tells the customer of
//! recovery, keeps flaps and maintenance from opening cases, and shows each
//! service's health.

use oneportal_domain::ids::IdKind;
use oneportal_domain::{Permission, PermissionSet};
use oneportal_store::Exec;
use serde_json::{Value, json};

use crate::catalog::seed;
use crate::helpers::{TestApp, perms, problem, spawn_app, spawn_app_with};
use crate::operations::{send, staff_token};

/// Staff issue an integration token; answers its secret.
pub(crate) async fn integration_token(app: &TestApp) -> String {
    let staff = staff_token(app).await;
    let (status, issued) = problem(
        send(
            app,
            "POST",
            "/ops/v1/integration-tokens",
            &staff,
            json!({"name": "Alertmanager eu-west"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{issued}");
    let token = issued["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("opi_"));
    // Never stored or logged as it is: scripts/secret-hygiene searches for it.
    crate::hygiene::record("integration_token", &token);
    token
}

/// Waits until everything monitoring sent so far has been acted on (here or
/// by the background processor, whichever holds the inbox).
pub(crate) async fn settle(app: &TestApp) {
    for _ in 0..200 {
        oneportal::services::monitoring::processor::process_waiting(&app.app.state)
            .await
            .unwrap();
        let (waiting, _) = oneportal_store::monitoring::backlog(app.db())
            .await
            .unwrap();
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("monitoring's notifications were not acted on within 4 s");
}

fn svc(id: i64) -> String {
    IdKind::Service.format(id)
}

fn event(action: &str, key: &str, service: &str, severity: &str, class: &str) -> Value {
    json!({
        "event_action": action,
        "dedup_key": key,
        "payload": {
            "summary": "No response from the access router",
            "source": "mad-pe-01",
            "severity": severity,
            "class": class,
            "custom_details": {"service_id": service}
        }
    })
}

async fn post_event(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    problem(send(app, "POST", "/ops/v1/alerts/events", token, body).await).await
}

/// The organization's proactive cases, oldest first.
async fn proactive_cases(app: &TestApp, token: &str) -> Vec<Value> {
    let page = app
        .get_json("/v2/cases?origin=Monitoring&sort=createdDate", token)
        .await;
    page["data"].as_array().unwrap().clone()
}

async fn messages(app: &TestApp, token: &str, case_id: &str) -> Vec<String> {
    let page = app
        .get_json(&format!("/v2/cases/{case_id}/communications"), token)
        .await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap().to_owned())
        .collect()
}

async fn health(app: &TestApp, token: &str, service: i64) -> String {
    let service = app
        .get_json(&format!("/v2/services/{}", svc(service)), token)
        .await;
    service["health"].as_str().unwrap().to_owned()
}

/// The service health changes in the organization's feed, oldest first.
async fn health_changes(app: &TestApp, token: &str) -> Vec<String> {
    let page = app
        .get_json("/v2/events?types=service.health_changed&limit=100", token)
        .await;
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"]["health"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_pagerduty_alert_opens_one_case_repeats_add_nothing_and_recovery_is_a_message() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let service = catalog.services[0];
    let token = integration_token(&app).await;
    let customer = app.user(PermissionSet::all()).await;

    let trigger = event("trigger", "link-1", &svc(service), "critical", "down");
    let (status, answer) = post_event(&app, &token, trigger.clone()).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["dedup_key"], "link-1");
    settle(&app).await;

    let cases = proactive_cases(&app, &customer.token).await;
    assert_eq!(cases.len(), 1, "one case per alert key: {cases:?}");
    let case = &cases[0];
    assert_eq!(case["type"], "Incident");
    assert_eq!(case["subject"], "ServiceDown", "class down");
    assert_eq!(case["priority"], "P1", "critical maps to P1");
    assert_eq!(case["status"], "Acknowledged");
    assert_eq!(case["serviceId"], svc(service));
    let case_id = case["caseId"].as_str().unwrap().to_owned();
    let first = messages(&app, &customer.token, &case_id).await;
    assert_eq!(first.len(), 1);
    assert!(
        first[0].contains("No response from the access router"),
        "the first message says what monitoring saw: {}",
        first[0]
    );
    assert_eq!(health(&app, &customer.token, service).await, "Down");

    // Repeats and an acknowledgement open nothing and say nothing.
    for body in [
        trigger.clone(),
        trigger.clone(),
        json!({"event_action": "acknowledge", "dedup_key": "link-1"}),
    ] {
        assert_eq!(post_event(&app, &token, body).await.0, 202);
    }
    settle(&app).await;
    assert_eq!(proactive_cases(&app, &customer.token).await.len(), 1);
    assert_eq!(messages(&app, &customer.token, &case_id).await.len(), 1);

    // Recovery is a public message; the case stays open for people to close.
    let resolve = json!({"event_action": "resolve", "dedup_key": "link-1"});
    assert_eq!(post_event(&app, &token, resolve.clone()).await.0, 202);
    assert_eq!(post_event(&app, &token, resolve).await.0, 202);
    settle(&app).await;
    let after = messages(&app, &customer.token, &case_id).await;
    assert_eq!(after.len(), 2, "one recovery message however many resolves");
    assert!(
        after[1].starts_with("Monitoring reports recovery at"),
        "{}",
        after[1]
    );
    let case = app
        .get_json(&format!("/v2/cases/{case_id}"), &customer.token)
        .await;
    assert_eq!(case["status"], "Acknowledged", "recovery does not close it");
    assert_eq!(health(&app, &customer.token, service).await, "Operational");
    assert_eq!(
        health_changes(&app, &customer.token).await,
        ["Down", "Operational"]
    );

    // Firing again while the case is open: the same case, no new one.
    assert_eq!(post_event(&app, &token, trigger.clone()).await.0, 202);
    settle(&app).await;
    assert_eq!(proactive_cases(&app, &customer.token).await.len(), 1);

    // The customer cancels it; firing again within the flap window opens nothing.
    let (status, body) = problem(
        app.http
            .post(app.at(&format!("/v2/cases/{case_id}/cancel")))
            .bearer_auth(&customer.token)
            .json(&json!({"reason": "We see it working"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for action in ["resolve", "trigger"] {
        let body = event(action, "link-1", &svc(service), "critical", "down");
        assert_eq!(post_event(&app, &token, body).await.0, 202);
    }
    settle(&app).await;
    assert_eq!(
        proactive_cases(&app, &customer.token).await.len(),
        1,
        "a flap within the window opens no second case"
    );

    // After the window, the same key opens a new case.
    app.db()
        .execute(
            "UPDATE alerts SET case_opened_at = case_opened_at - 31 * 60000",
            vec![],
        )
        .await
        .unwrap();
    for action in ["resolve", "trigger"] {
        let body = event(action, "link-1", &svc(service), "warning", "degraded");
        assert_eq!(post_event(&app, &token, body).await.0, 202);
    }
    settle(&app).await;
    let cases = proactive_cases(&app, &customer.token).await;
    assert_eq!(
        cases.len(),
        2,
        "a recurrence after the window is a new case"
    );
    assert_eq!(cases[1]["subject"], "ServiceDegradation");
    assert_eq!(cases[1]["priority"], "P3", "warning maps to P3");
}

#[tokio::test]
async fn bad_notifications_are_refused_naming_the_field_and_only_live_tokens_get_in() {
    let app = spawn_app().await;
    let token = integration_token(&app).await;

    let (status, body) = post_event(
        &app,
        &token,
        json!({"event_action": "trigger", "payload": {"summary": "x", "source": "y", "severity": "fatal"}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["pointer"], "/payload/severity");

    let (status, body) = problem(
        send(
            &app,
            "POST",
            "/ops/v1/alerts/alertmanager",
            &token,
            json!({"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {}, "startsAt": "soon"}]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["pointer"], "/alerts/0/startsAt");

    let valid = json!({"event_action": "resolve", "dedup_key": "k"});
    // Without a token, with a made-up one, with a staff token: 401 or 403.
    let (status, _) = problem(
        app.http
            .post(app.at("/ops/v1/alerts/events"))
            .json(&valid)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let made_up = format!("opi_{}", "A".repeat(40));
    assert_eq!(post_event(&app, &made_up, valid.clone()).await.0, 401);
    let staff = staff_token(&app).await;
    assert_eq!(post_event(&app, &staff, valid.clone()).await.0, 401);
    // PagerDuty senders put the token in routing_key.
    let mut routed = valid.clone();
    routed["routing_key"] = json!(token);
    let (status, _) = problem(
        app.http
            .post(app.at("/ops/v1/alerts/events"))
            .json(&routed)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 202);

    // A revoked token is refused at once.
    let tokens = app.get_json("/ops/v1/integration-tokens", &staff).await;
    let id = tokens[0]["id"].as_i64().unwrap();
    assert!(tokens[0].get("token").is_none(), "the secret is shown once");
    let response = send(
        &app,
        "DELETE",
        &format!("/ops/v1/integration-tokens/{id}"),
        &staff,
        json!(null),
    )
    .await;
    assert_eq!(response.status(), 204);
    assert_eq!(post_event(&app, &token, valid).await.0, 401);
}

#[tokio::test]
async fn an_alert_naming_no_known_service_is_kept_as_unmatched_for_staff() {
    let app = spawn_app().await;
    let token = integration_token(&app).await;
    let customer = app.user(PermissionSet::all()).await;
    for service in ["SVC-999999", "not-a-service"] {
        let body = event("trigger", service, service, "critical", "down");
        assert_eq!(post_event(&app, &token, body).await.0, 202);
    }
    settle(&app).await;
    let staff = staff_token(&app).await;
    let unmatched = app.get_json("/ops/v1/alerts?show=unmatched", &staff).await;
    let labels: Vec<&str> = unmatched
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["serviceLabel"].as_str().unwrap())
        .collect();
    assert_eq!(labels.len(), 2, "{unmatched}");
    assert!(labels.contains(&"SVC-999999") && labels.contains(&"not-a-service"));
    assert!(unmatched[0]["serviceId"].is_null());
    assert!(proactive_cases(&app, &customer.token).await.is_empty());
}

async fn move_maintenance(app: &TestApp, staff: &str, id: &str, status: &str) {
    let path = format!("/ops/v1/maintenances/{id}/status");
    let moved = send(app, "POST", &path, staff, json!({"status": status})).await;
    assert_eq!(moved.status(), 200, "{status}");
}

#[tokio::test]
async fn alerts_during_maintenance_in_progress_open_no_case_and_are_recorded_against_it() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let service = catalog.services[0];
    let staff = staff_token(&app).await;
    let token = integration_token(&app).await;
    let customer = app.user(PermissionSet::all()).await;
    let soon = |minutes: i64| {
        (time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes))
            .replace_nanosecond(0)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let (status, created) = problem(
        send(
            &app,
            "POST",
            "/ops/v1/maintenances",
            &staff,
            json!({
                "providerReference": "CHG-77", "title": "Line card swap", "reason": "Replacing a faulty line card.",
                "startDate": soon(1), "endDate": soon(120),
                "services": [{"serviceId": svc(service), "impact": "OUTAGE"}]
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["maintenanceId"].as_str().unwrap().to_owned();
    move_maintenance(&app, &staff, &id, "IN-PROCESS").await;
    assert_eq!(health(&app, &customer.token, service).await, "Maintenance");

    let trigger = event("trigger", "card-1", &svc(service), "critical", "down");
    assert_eq!(post_event(&app, &token, trigger.clone()).await.0, 202);
    settle(&app).await;
    assert!(
        proactive_cases(&app, &customer.token).await.is_empty(),
        "expected during the work"
    );
    let alerts = app.get_json("/ops/v1/alerts?show=open", &staff).await;
    assert_eq!(alerts[0]["maintenanceId"], id.as_str());
    assert!(alerts[0]["caseId"].is_null());
    let (mut browser, _) = crate::browser::Browser::staff(&app, "Agent").await;
    let page = browser.page(&format!("/staff/maintenance/{id}")).await;
    assert!(
        page.contains("Alerts during the work")
            && page.contains("No response from the access router")
    );

    // The work ends with the alert still firing: health says so, and the next
    // notification about it opens a case.
    move_maintenance(&app, &staff, &id, "COMPLETED").await;
    assert_eq!(health(&app, &customer.token, service).await, "Down");
    assert_eq!(post_event(&app, &token, trigger).await.0, 202);
    settle(&app).await;
    assert_eq!(proactive_cases(&app, &customer.token).await.len(), 1);
    assert_eq!(
        health_changes(&app, &customer.token).await,
        ["Maintenance", "Down"]
    );
}

#[tokio::test]
async fn health_is_a_filter_and_a_restricted_person_sees_only_their_services_cases() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let (down, fine) = (catalog.services[0], catalog.services[1]);
    let token = integration_token(&app).await;
    let everyone = app.user(PermissionSet::all()).await;
    let restricted = app
        .user(perms(&[
            Permission::SitesServicesView,
            Permission::SupportView,
        ]))
        .await;
    // The restricted person may see only the account of the healthy service.
    let fine_account = app
        .get_json(&format!("/v2/services/{}", svc(fine)), &everyone.token)
        .await["contractAccountId"]
        .as_str()
        .unwrap()
        .to_owned();
    app.restrict(
        restricted.id,
        &[IdKind::Account.parse(&fine_account).unwrap()],
    )
    .await;

    let body = event("trigger", "down-1", &svc(down), "error", "intermittent");
    assert_eq!(post_event(&app, &token, body).await.0, 202);
    settle(&app).await;

    let listed = app
        .get_json("/v2/services?health=Down,Degraded", &everyone.token)
        .await;
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["serviceId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [svc(down)]);
    assert_eq!(
        listed["data"][0]["health"], "Degraded",
        "intermittent degrades"
    );
    let cases = proactive_cases(&app, &everyone.token).await;
    assert_eq!(cases[0]["subject"], "ServiceIntermittent");
    assert_eq!(cases[0]["priority"], "P2", "error maps to P2");

    assert!(proactive_cases(&app, &restricted.token).await.is_empty());
    assert!(health_changes(&app, &restricted.token).await.is_empty());

    // The case is mailed to who may see its service ("my cases", on by default:
    // nobody opened it, so it is everyone's), and to nobody else.
    crate::notifications::write_all(&app).await;
    let mails = oneportal_store::outbox::list(app.db(), 100).await.unwrap();
    let incident_mail = |to: &str| {
        mails
            .iter()
            .any(|m| m.recipient == to && m.subject.contains("Incident detected"))
    };
    assert!(incident_mail(&everyone.email), "{mails:?}");
    assert!(!incident_mail(&restricted.email));
    let listed = app
        .get_json("/v2/services?health=Down,Degraded", &restricted.token)
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_untouched_case_is_resolved_on_recovery_only_where_the_operator_enabled_it() {
    let app = spawn_app_with(|config| config.monitoring.resolve_untouched_on_recovery = true).await;
    let catalog = seed(&app, app.org_id, 1).await;
    let (quiet, answered) = (catalog.services[0], catalog.services[1]);
    let token = integration_token(&app).await;
    let customer = app.user(PermissionSet::all()).await;
    for service in [quiet, answered] {
        let body = event("trigger", &svc(service), &svc(service), "critical", "down");
        assert_eq!(post_event(&app, &token, body).await.0, 202);
    }
    settle(&app).await;
    let cases = proactive_cases(&app, &customer.token).await;
    let case_of = |service: i64| {
        cases
            .iter()
            .find(|c| c["serviceId"] == svc(service))
            .unwrap()["caseId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (quiet_case, answered_case) = (case_of(quiet), case_of(answered));
    let reply = app
        .post_json(
            &format!("/v2/cases/{answered_case}/communications"),
            &customer.token,
            json!({"message": "Our users in Madrid confirm it."}),
        )
        .await;
    assert_eq!(reply.status(), 201);
    for service in [quiet, answered] {
        let body = json!({"event_action": "resolve", "dedup_key": svc(service)});
        assert_eq!(post_event(&app, &token, body).await.0, 202);
    }
    settle(&app).await;
    let status = |case: String| {
        let (app, token) = (&app, &customer.token);
        async move {
            app.get_json(&format!("/v2/cases/{case}"), token).await["status"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(status(quiet_case).await, "Resolved");
    assert_eq!(
        status(answered_case).await,
        "Acknowledged",
        "a case someone answered stays for people to close"
    );
}

/// A real Alertmanager (Debian's `prometheus-alertmanager`), configured to send
/// its webhook to OnePortal with an integration token, stopped when dropped.
struct Alertmanager {
    process: std::process::Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Alertmanager {
    async fn start(app: &TestApp, token: &str) -> Alertmanager {
        let binary = "/usr/bin/prometheus-alertmanager";
        assert!(
            std::path::Path::new(binary).exists(),
            "{binary} is missing: .ci/run installs Debian's prometheus-alertmanager (apt-get install prometheus-alertmanager)"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = format!(
            "route:\n  receiver: oneportal\n  group_by: ['alertname', 'service_id']\n  group_wait: 100ms\n  group_interval: 500ms\n  repeat_interval: 1h\n\
             receivers:\n  - name: oneportal\n    webhook_configs:\n      - url: '{}'\n        send_resolved: true\n        http_config:\n          authorization:\n            credentials: '{token}'\n",
            app.at("/ops/v1/alerts/alertmanager")
        );
        let file = dir.path().join("alertmanager.yml");
        std::fs::write(&file, config).unwrap();
        let process = std::process::Command::new(binary)
            .arg(format!("--config.file={}", file.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("alertmanager.log")).unwrap())
            .spawn()
            .unwrap();
        // Owned from here, so a failed start still stops the process.
        let alertmanager = Alertmanager {
            process,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client
                .get(format!("{}/-/ready", alertmanager.url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return alertmanager;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "Alertmanager did not become ready: {}",
            std::fs::read_to_string(alertmanager.dir.path().join("alertmanager.log"))
                .unwrap_or_default()
        );
    }

    /// Fires (or, with `end`, resolves) an alert with `amtool`, as an operator would.
    fn amtool(&self, labels: &[&str], summary: &str, end: Option<&str>) {
        let mut command = std::process::Command::new("/usr/bin/amtool");
        command
            .arg("alert")
            .arg("add")
            .arg(format!("--alertmanager.url={}", self.url))
            .arg(format!("--annotation=summary={summary}"))
            .args(labels);
        if let Some(end) = end {
            command.arg(format!("--end={end}"));
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "amtool failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Polls until `check` holds, for up to 30 s (Alertmanager groups and sends in its own time).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("within 30 s: {what}");
}

#[tokio::test]
async fn a_real_alertmanager_opens_one_case_per_alert_and_its_resolve_posts_the_recovery() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let (madrid, paris) = (svc(catalog.services[0]), svc(catalog.services[1]));
    let token = integration_token(&app).await;
    let customer = app.user(PermissionSet::all()).await;
    let alertmanager = Alertmanager::start(&app, &token).await;

    let link_down = [
        "alertname=LinkDown",
        &format!("service_id={madrid}"),
        "severity=critical",
    ];
    let latency = [
        "alertname=HighLatency",
        &format!("service_id={paris}"),
        "severity=warning",
        "kind=degraded",
    ];
    // The same alert fired three times is one alert; a second alert is a second case.
    for _ in 0..3 {
        alertmanager.amtool(&link_down, "Access link down", None);
    }
    alertmanager.amtool(&latency, "Latency above 80 ms", None);
    eventually("both alerts opened their case", || async {
        proactive_cases(&app, &customer.token).await.len() >= 2
    })
    .await;
    // Alertmanager regroups every 500 ms: more notifications, never more cases.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let cases = proactive_cases(&app, &customer.token).await;
    assert_eq!(cases.len(), 2, "exactly one case per alert key: {cases:?}");
    let down = cases.iter().find(|c| c["serviceId"] == madrid).unwrap();
    assert_eq!(down["subject"], "ServiceDown");
    assert_eq!(down["priority"], "P1");
    let degraded = cases.iter().find(|c| c["serviceId"] == paris).unwrap();
    assert_eq!(degraded["subject"], "ServiceDegradation");
    let down_id = down["caseId"].as_str().unwrap().to_owned();
    assert!(messages(&app, &customer.token, &down_id).await[0].contains("Access link down"));

    // Resolving it in Alertmanager posts the recovery message on its case.
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    alertmanager.amtool(&link_down, "Access link down", Some(&now));
    eventually("the recovery reached the case", || async {
        messages(&app, &customer.token, &down_id).await.len() == 2
    })
    .await;
    let said = messages(&app, &customer.token, &down_id).await;
    assert!(
        said[1].starts_with("Monitoring reports recovery at"),
        "{}",
        said[1]
    );
    eventually("the service is operational again", || async {
        health(&app, &customer.token, catalog.services[0]).await == "Operational"
    })
    .await;
    assert_eq!(
        health(&app, &customer.token, catalog.services[1]).await,
        "Degraded"
    );
    assert_eq!(proactive_cases(&app, &customer.token).await.len(), 2);
}

#[tokio::test]
async fn the_portal_shows_health_badges_and_the_home_panel_lists_what_is_down_and_open() {
    use crate::browser::Browser;
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let down = svc(catalog.services[0]);
    let token = integration_token(&app).await;
    let body = event("trigger", "home-1", &down, "critical", "down");
    assert_eq!(post_event(&app, &token, body).await.0, 202);
    settle(&app).await;

    let mut browser = Browser::signed_in(&app, PermissionSet::all()).await;
    let home = browser.page("/portal/").await;
    assert!(home.contains("Your network now"), "{home}");
    assert!(home.contains(&format!("href=\"/portal/services/{down}\"")));
    assert!(home.contains("health-down"));
    assert!(home.contains("Detected by monitoring"));
    let listed = browser.page("/portal/services?health=Down").await;
    assert!(listed.contains(&down) && listed.contains(">Down<"));
    assert!(
        !listed.contains(&svc(catalog.services[1])),
        "filtered by health"
    );
    let support = browser.page("/portal/support").await;
    assert!(support.contains("Detected by monitoring"));

    // A person without Support (View) sees the services panel but no incidents.
    let mut viewer = Browser::signed_in(&app, perms(&[Permission::SitesServicesView])).await;
    let home = viewer.page("/portal/").await;
    assert!(home.contains("Services down or degraded"));
    assert!(!home.contains("Open incidents"));
}

#[tokio::test]
async fn staff_issue_a_token_on_the_monitoring_page_see_it_once_and_see_unmatched_alerts() {
    use crate::browser::Browser;
    let app = spawn_app().await;
    let (mut staff, _) = Browser::staff(&app, "Agent").await;
    let csrf = staff.csrf_from("/staff/monitoring").await;
    let answer = staff
        .post_form(
            "/staff/monitoring/tokens",
            &[("csrf_token", &csrf), ("name", "Alertmanager lab")],
        )
        .await;
    assert_eq!(answer.status(), 200);
    let page = answer.text().await.unwrap();
    let token = page
        .split("id=\"integration-token\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert!(token.starts_with("opi_"), "{page}");
    assert!(
        !staff.page("/staff/monitoring").await.contains(&token),
        "shown once"
    );

    let body = event("trigger", "lost-1", "SVC-424242", "critical", "down");
    assert_eq!(post_event(&app, &token, body).await.0, 202);
    settle(&app).await;
    let unmatched = staff.page("/staff/monitoring?show=unmatched").await;
    assert!(unmatched.contains("SVC-424242") && unmatched.contains("Unmatched"));

    // Revoked on the page, refused at the intake.
    let tokens = app
        .get_json("/ops/v1/integration-tokens", &staff_token(&app).await)
        .await;
    let id = tokens[0]["id"].as_i64().unwrap();
    let csrf = staff.csrf_from("/staff/monitoring").await;
    let answer = staff
        .post_form(
            &format!("/staff/monitoring/tokens/{id}/revoke"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(answer.status(), 303);
    let body = json!({"event_action": "resolve", "dedup_key": "lost-1"});
    assert_eq!(post_event(&app, &token, body).await.0, 401);
}

#[tokio::test]
async fn a_notification_that_cannot_be_acted_on_is_set_aside_and_the_rest_go_on() {
    let app = spawn_app().await;
    let catalog = seed(&app, app.org_id, 1).await;
    let token = integration_token(&app).await;
    let customer = app.user(PermissionSet::all()).await;
    let before = event(
        "trigger",
        "before",
        &svc(catalog.services[0]),
        "critical",
        "down",
    );
    assert_eq!(post_event(&app, &token, before).await.0, 202);
    // A row that does not read back, as a bug or a bad upgrade might leave one.
    app.db()
        .execute(
            "INSERT INTO alert_inbox (source, token_id, alerts, received_at) \
             SELECT 'events', MAX(id), 'not json', 0 FROM integration_tokens",
            vec![],
        )
        .await
        .unwrap();
    let after = event(
        "trigger",
        "after",
        &svc(catalog.services[1]),
        "critical",
        "down",
    );
    assert_eq!(post_event(&app, &token, after).await.0, 202);
    settle(&app).await;
    assert_eq!(
        proactive_cases(&app, &customer.token).await.len(),
        2,
        "the notifications around the bad one were acted on"
    );
    let (mut staff, _) = crate::browser::Browser::staff(&app, "Agent").await;
    let page = staff.page("/staff/monitoring").await;
    assert!(
        page.contains("Notifications that could not be acted on"),
        "{page}"
    );
    assert!(page.contains("alert_inbox.alerts"));
}
