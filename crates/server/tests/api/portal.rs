//! The portal through HTTP, as a browser would use it: login, sessions, CSRF,
//! security headers, navigation by permission, and the secret shown once.

use oneportal_domain::{Permission, PermissionSet};
use oneportal_store::users;
use reqwest::header::SET_COOKIE;
use reqwest::{Response, StatusCode};

use crate::browser::{Browser, PASSWORD, hidden_csrf, location, person};
use crate::helpers::{TestApp, perms, spawn_app, spawn_app_with};

fn developer_permissions() -> PermissionSet {
    perms(&[Permission::SitesServicesView, Permission::DeveloperPortal])
}

async fn audit_actions(app: &TestApp, org: Option<i64>) -> Vec<String> {
    oneportal_store::audit::list(app.db(), org, None, 200)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect()
}

#[tokio::test]
async fn login_starts_a_session_whose_cookie_is_httponly_lax_and_stored_only_as_a_hash() {
    let app = spawn_app().await;
    let email = person(&app, developer_permissions()).await.1;
    let mut browser = Browser::new(&app);
    let response = browser.try_login(&email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/portal/");
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("op_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http gets no Secure: {cookie}"
    );

    let value = browser.cookies["op_session"].clone();
    let stored: Vec<(String,)> = oneportal_store::Exec::fetch_all(
        app.db(),
        "SELECT token_hash FROM portal_sessions",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].0, value, "the cookie value itself is not stored");
    assert_eq!(stored[0].0, oneportal::portal::session::hash(&value));

    let home = browser.get("/portal/").await;
    assert_eq!(home.status(), StatusCode::OK);
    let page = home.text().await.unwrap();
    assert!(page.contains(&email), "the page names who is logged in");
    assert!(
        audit_actions(&app, Some(app.org_id))
            .await
            .contains(&"portal.login_succeeded".to_owned())
    );
}

#[tokio::test]
async fn the_session_cookie_is_secure_and_host_bound_when_the_public_url_is_https() {
    let app = spawn_app_with(|c| c.public_url = Some("https://portal.example".into())).await;
    let email = person(&app, developer_permissions()).await.1;
    let mut browser = Browser::new(&app);
    browser.origin = "https://portal.example".into();
    let response = browser.try_login(&email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-op_session="))
        .expect("a __Host- session cookie");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    let email = person(&app, developer_permissions()).await.1;
    let mut browser = Browser::new(&app);
    let wrong = browser.try_login(&email, "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = wrong.text().await.unwrap();
    let unknown = browser
        .try_login("nobody@example.test", "not the password")
        .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown = unknown.text().await.unwrap();
    let message = "The email address or password is not correct";
    assert!(wrong.contains(message) && unknown.contains(message));
    assert!(!browser.cookies.contains_key("op_session"));
    let actions = audit_actions(&app, None).await;
    assert!(
        actions
            .iter()
            .filter(|a| *a == "portal.login_failed")
            .count()
            >= 2,
        "{actions:?}"
    );
}

#[tokio::test]
async fn only_active_users_can_log_in() {
    let app = spawn_app().await;
    let email = person(&app, developer_permissions()).await.1;
    let row = users::find_by_email(app.db(), &email)
        .await
        .unwrap()
        .unwrap();
    let tx = app.db().begin().await.unwrap();
    users::set_status(&tx, row.id, oneportal_domain::UserStatus::Removed)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.app.state.directory.forget_user(row.id);
    let mut browser = Browser::new(&app);
    let response = browser.try_login(&email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn repeated_failures_lock_the_login_and_say_until_when() {
    let app = spawn_app().await;
    let email = person(&app, developer_permissions()).await.1;
    let mut browser = Browser::new(&app);
    let mut last = StatusCode::OK;
    for _ in 0..oneportal::portal::throttle::MAX_FAILURES_PER_EMAIL {
        last = browser.try_login(&email, "wrong password").await.status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // Even the right password is refused while locked, with a time to come back.
    let locked = browser.try_login(&email, PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = locked.text().await.unwrap();
    assert!(page.contains("Try again then"), "{page}");
    assert!(page.contains("UTC (in 15 minutes)"), "{page}");
    assert!(!browser.cookies.contains_key("op_session"));
    // The count is in the database: a second node refuses too.
    let row = oneportal_store::portal::login_failures(app.db(), &format!("email:{email}"))
        .await
        .unwrap()
        .unwrap();
    assert!(row.locked_until.is_some());
    let actions = audit_actions(&app, None).await;
    assert!(
        actions.contains(&"portal.login_locked".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn every_state_changing_request_needs_the_csrf_token_and_this_origin() {
    let app = spawn_app().await;
    let email = person(&app, developer_permissions()).await.1;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let token = browser.csrf_from("/portal/developer/clients/new").await;
    let body = |csrf: &'static str| {
        vec![
            ("csrf_token", csrf),
            ("apiClientName", "Forged"),
            ("scopes", "BasicRead"),
        ]
    };

    // No token, a wrong token.
    let missing = browser
        .post_form(
            "/portal/developer/clients",
            &[("apiClientName", "Forged"), ("scopes", "BasicRead")],
        )
        .await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let wrong = browser
        .post_form("/portal/developer/clients", &body("not-the-token"))
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(wrong.text().await.unwrap().contains("reload the page"));

    // The right token from another site, and with no Origin or Referer at all.
    browser.origin = "https://attacker.example".into();
    let fields = [
        ("csrf_token", token.as_str()),
        ("apiClientName", "Forged"),
        ("scopes", "BasicRead"),
    ];
    let cross_site = browser
        .post_form("/portal/developer/clients", &fields)
        .await;
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let no_origin = browser
        .http
        .post(format!("{}/portal/developer/clients", browser.base))
        .header("Cookie", browser.cookie_header())
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(no_origin.status(), StatusCode::FORBIDDEN);

    // Logout and the token endpoint of the API tab are protected the same way.
    let logout = browser.post_form("/portal/logout", &[]).await;
    assert_eq!(logout.status(), StatusCode::FORBIDDEN);
    browser.origin = browser.base.clone();
    let token_without_header = browser.post_form("/portal/developer/api/token", &[]).await;
    assert_eq!(token_without_header.status(), StatusCode::FORBIDDEN);

    // A login form posted without the login page's cookie is refused too.
    let mut stranger = Browser::new(&app);
    let login = stranger
        .post_form(
            "/portal/login",
            &[
                ("csrf_token", "guess"),
                ("email", &email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(login.status(), StatusCode::FORBIDDEN);

    // Nothing was created.
    let user = users::find_by_email(app.db(), &email)
        .await
        .unwrap()
        .unwrap();
    let clients = oneportal_store::api_clients::list_by_owner(app.db(), user.id)
        .await
        .unwrap();
    assert!(clients.is_empty());
}

#[tokio::test]
async fn portal_pages_carry_the_security_headers() {
    let app = spawn_app().await;
    let email = person(&app, developer_permissions()).await.1;
    let mut browser = Browser::new(&app);
    for path in ["/portal/login", "/portal/nowhere"] {
        check_headers(&browser.get(path).await, path);
    }
    browser.login(&email).await;
    for path in [
        "/portal/",
        "/portal/developer/clients",
        "/portal/developer/api",
        "/portal/developer/getting-started",
    ] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        check_headers(&response, path);
    }
    let css = browser.get("/portal/assets/portal.css").await;
    assert_eq!(css.status(), StatusCode::OK);
    let cache = css.headers()["cache-control"].to_str().unwrap();
    assert!(cache.contains("max-age=31536000"), "{cache}");
    let swagger = browser
        .get("/portal/assets/swagger/swagger-ui-bundle.js")
        .await;
    assert_eq!(
        swagger.status(),
        StatusCode::OK,
        "Swagger UI is served by the binary"
    );
}

fn check_headers(response: &Response, path: &str) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .unwrap_or_else(|| panic!("{path} has {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let csp = header("content-security-policy");
    let scripts = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap_or_else(|| panic!("{path}: CSP sets script-src: {csp}"));
    assert!(
        !scripts.contains("unsafe-inline") && !scripts.contains("unsafe-eval"),
        "{path}: {csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    assert!(
        !csp.contains("unsafe-inline"),
        "{path}: no inline styles either: {csp}"
    );
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("referrer-policy"), "same-origin");
    assert_eq!(header("cache-control"), "no-store", "{path}");
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none(),
        "{path}: no HSTS over plain http"
    );
}

#[tokio::test]
async fn pages_need_a_session_and_logout_ends_it() {
    let app = spawn_app().await;
    let email = person(&app, developer_permissions()).await.1;
    let mut browser = Browser::new(&app);
    let anonymous = browser.get("/portal/developer/clients").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&anonymous),
        "/portal/login?next=%2Fportal%2Fdeveloper%2Fclients"
    );
    browser.login(&email).await;
    let kept = browser.cookies.clone();
    let token = browser.csrf_from("/portal/").await;
    let out = browser
        .post_form("/portal/logout", &[("csrf_token", &token)])
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    // The old cookie no longer works: the session is gone from the database.
    browser.cookies = kept;
    let after = browser.get("/portal/").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_viewer_gets_no_developer_portal_in_the_navigation_or_by_url() {
    let app = spawn_app().await;
    let email = person(&app, perms(&[Permission::SitesServicesView]))
        .await
        .1;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let home = browser.get("/portal/").await.text().await.unwrap();
    assert!(!home.contains("/portal/developer"), "{home}");
    assert!(!home.contains("Developer Portal<"), "{home}");
    for path in [
        "/portal/developer/clients",
        "/portal/developer/clients/new",
        "/portal/developer/api",
        "/portal/developer/getting-started",
    ] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Developer Portal (API)"),
            "the page names the missing permission"
        );
    }
    let token = browser.csrf_from("/portal/").await;
    let mint = browser
        .http
        .post(format!("{}/portal/developer/api/token", browser.base))
        .header("Cookie", browser.cookie_header())
        .header("Origin", browser.origin.clone())
        .header("X-CSRF-Token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(mint.status(), StatusCode::FORBIDDEN);

    let developer = person(&app, developer_permissions()).await.1;
    let mut browser = Browser::new(&app);
    browser.login(&developer).await;
    let home = browser.get("/portal/").await.text().await.unwrap();
    assert!(home.contains("href=\"/portal/developer/clients\""));
}

#[tokio::test]
async fn a_new_secret_is_shown_exactly_once() {
    let app = spawn_app().await;
    let email = person(&app, developer_permissions()).await.1;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let form = browser
        .get("/portal/developer/clients/new")
        .await
        .text()
        .await
        .unwrap();
    // Only the scopes this developer may grant are offered.
    assert!(form.contains("value=\"BasicRead\""));
    assert!(!form.contains("value=\"BillingRead\""));
    let token = hidden_csrf(&form);
    let created = browser
        .post_form(
            "/portal/developer/clients",
            &[
                ("csrf_token", &token),
                ("apiClientName", "Portal client"),
                ("scopes", "BasicRead"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let target = location(&created);
    assert!(!target.contains("opsk_"), "no secret in the URL: {target}");

    let first = browser.get(&target).await;
    assert_eq!(first.status(), StatusCode::OK);
    let page = first.text().await.unwrap();
    let start = page.find("opsk_").expect("the secret is on the page");
    let secret: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert!(page.contains("copy.js"), "a copy button script");

    let again = browser.get(&target).await;
    assert_eq!(again.status(), StatusCode::GONE);
    let page = again.text().await.unwrap();
    assert!(!page.contains(&secret) && !page.contains("opsk_"));
    assert!(page.contains("shown only once"));

    // The secret works at the token endpoint.
    let user = users::find_by_email(app.db(), &email)
        .await
        .unwrap()
        .unwrap();
    let client = oneportal_store::api_clients::list_by_owner(app.db(), user.id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    let token = app.request_token(&client.client_id, &secret, None).await;
    assert_eq!(token.status(), StatusCode::OK);

    // Another session cannot take it, and a forged reveal id finds nothing.
    let mut other = Browser::new(&app);
    other.login(&email).await;
    assert_eq!(other.get(&target).await.status(), StatusCode::GONE);
}

#[tokio::test]
async fn rotate_and_revoke_go_through_the_same_rules_and_audit_as_the_api() {
    let app = spawn_app().await;
    let email = person(&app, developer_permissions()).await.1;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let token = browser.csrf_from("/portal/developer/clients/new").await;
    // A scope the developer may not grant is refused by the service's rule.
    let refused = browser
        .post_form(
            "/portal/developer/clients",
            &[
                ("csrf_token", &token),
                ("apiClientName", "Too wide"),
                ("scopes", "BillingRead"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("Billing (View)"));
    let created = browser
        .post_form(
            "/portal/developer/clients",
            &[
                ("csrf_token", &token),
                ("apiClientName", "Rotated"),
                ("scopes", "BasicRead"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let user = users::find_by_email(app.db(), &email)
        .await
        .unwrap()
        .unwrap();
    let client_id = oneportal_store::api_clients::list_by_owner(app.db(), user.id)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .client_id;

    let list = browser
        .get("/portal/developer/clients")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(&client_id) && list.contains("Rotated") && list.contains("Never"));

    let rotate_path = format!("/portal/developer/clients/{client_id}/rotate");
    assert_eq!(browser.get(&rotate_path).await.status(), StatusCode::OK);
    let bad_grace = browser
        .post_form(
            &rotate_path,
            &[("csrf_token", &token), ("graceHours", "999")],
        )
        .await;
    assert_eq!(bad_grace.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let rotated = browser
        .post_form(&rotate_path, &[("csrf_token", &token), ("graceHours", "1")])
        .await;
    assert_eq!(rotated.status(), StatusCode::SEE_OTHER);
    let shown = browser.get(&location(&rotated)).await.text().await.unwrap();
    assert!(shown.contains("New client secret") && shown.contains("opsk_"));

    let revoke_path = format!("/portal/developer/clients/{client_id}/revoke");
    let unconfirmed = browser
        .post_form(&revoke_path, &[("csrf_token", &token)])
        .await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let revoked = browser
        .post_form(&revoke_path, &[("csrf_token", &token), ("confirm", "yes")])
        .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    let list = browser.get(&location(&revoked)).await.text().await.unwrap();
    assert!(list.contains("Revoked"));

    let actions = audit_actions(&app, Some(app.org_id)).await;
    for expected in [
        "api_client.created",
        "api_client.secret_rotated",
        "api_client.revoked",
    ] {
        assert!(
            actions.contains(&expected.to_owned()),
            "{expected}: {actions:?}"
        );
    }

    // Someone else's client is not found, not forbidden.
    let stranger = person(&app, developer_permissions()).await.1;
    let mut other = Browser::new(&app);
    other.login(&stranger).await;
    assert_eq!(
        other.get(&revoke_path).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_api_tab_mints_an_audited_user_token_that_creates_clients() {
    let app = spawn_app().await;
    let email = person(&app, developer_permissions()).await.1;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let page = browser
        .get("/portal/developer/api")
        .await
        .text()
        .await
        .unwrap();
    let marker = "name=\"csrf-token\" content=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let csrf = &page[start..start + page[start..].find('"').unwrap()];
    let minted = browser
        .http
        .post(format!("{}/portal/developer/api/token", browser.base))
        .header("Cookie", browser.cookie_header())
        .header("Origin", browser.origin.clone())
        .header("X-CSRF-Token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(minted.status(), StatusCode::OK);
    assert_eq!(minted.headers()["cache-control"], "no-store");
    let body: serde_json::Value = minted.json().await.unwrap();
    let token = body["accessToken"].as_str().unwrap();
    let created = app
        .post_json(
            "/v2/api-clients",
            token,
            serde_json::json!({"apiClientName": "ScopeName1", "scopes": ["BasicRead"]}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: serde_json::Value = created.json().await.unwrap();
    assert!(created["clientId"].is_string() && created["clientSecret"].is_string());
    assert!(
        audit_actions(&app, Some(app.org_id))
            .await
            .contains(&"user.token_minted".to_owned())
    );

    let start = browser
        .get("/portal/developer/getting-started")
        .await
        .text()
        .await
        .unwrap();
    assert!(start.contains(&format!("{}/oauth2/token", app.url)));
}

#[tokio::test]
async fn odd_input_gets_a_page_not_a_crash() {
    let app = spawn_app().await;
    let email = person(&app, developer_permissions()).await.1;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    for path in [
        "/portal/developer/clients/%00%ff/rotate",
        "/portal/developer/clients/nope/secret/nope",
        "/portal/login?next=//evil.example",
        "/portal/assets/../../etc/passwd",
        "/portal/assets/swagger/index.html",
    ] {
        let response = browser.get(path).await;
        assert!(
            response.status().is_client_error() || response.status().is_redirection(),
            "{path}: {}",
            response.status()
        );
    }
    // A hostile `next` after login lands on the home page, never elsewhere or on a 500.
    let mut fresh = Browser::new(&app);
    for next in [
        "/portal/\r\nSet-Cookie: a=b",
        "https://evil.example/",
        "//evil.example",
    ] {
        fresh.cookies.clear();
        let token = fresh.csrf_from("/portal/login").await;
        let response = fresh
            .post_form(
                "/portal/login",
                &[
                    ("csrf_token", token.as_str()),
                    ("email", email.as_str()),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&response), "/portal/", "{next:?}");
    }
    let token = browser.csrf_from("/portal/developer/clients/new").await;
    let long_name = "x".repeat(5000);
    let response = browser
        .post_form(
            "/portal/developer/clients",
            &[
                ("csrf_token", token.as_str()),
                ("apiClientName", long_name.as_str()),
                ("scopes", "NoSuchScope"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("allowed values are"), "{page}");
    // Free text is escaped, never markup.
    let xss = browser
        .post_form(
            "/portal/developer/clients",
            &[
                ("csrf_token", token.as_str()),
                ("apiClientName", "<script>alert(1)</script>"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!xss.contains("<script>alert(1)</script>"));
}

#[tokio::test]
async fn sites_and_services_pages_show_only_what_the_api_would() {
    let app = spawn_app().await;
    let mine = crate::catalog::seed(&app, app.org_id, 2).await;
    let other_org = oneportal_store::orgs::create_organization(app.db(), "Other")
        .await
        .unwrap();
    let theirs = crate::catalog::seed(&app, other_org, 1).await;
    let email = person(&app, perms(&[Permission::SitesServicesView]))
        .await
        .1;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;

    let home = browser.get("/portal/").await.text().await.unwrap();
    assert!(
        home.contains("href=\"/portal/services\""),
        "the section is offered"
    );

    let list = browser.get("/portal/services").await;
    assert_eq!(list.status(), StatusCode::OK);
    let list = list.text().await.unwrap();
    for id in &mine.services {
        assert!(list.contains(&format!("SVC-{id:06}")), "{list}");
    }
    assert!(!list.contains(&format!("SVC-{:06}", theirs.services[0])));
    assert!(list.contains("of 4."), "the total is shown");

    let rfs = browser
        .get("/portal/services?status=RFS&q=internet")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        rfs.contains("status-rfs") && !rfs.contains("status-inprogress"),
        "{rfs}"
    );

    let detail = browser
        .get(&format!("/portal/services/SVC-{:06}", mine.services[0]))
        .await;
    assert_eq!(detail.status(), StatusCode::OK);
    let detail = detail.text().await.unwrap();
    assert!(detail.contains("Technical details") && detail.contains("PO-1"));

    let site = browser
        .get(&format!("/portal/sites/SITE-{:06}", mine.sites[0]))
        .await;
    assert_eq!(site.status(), StatusCode::OK);
    assert!(site.text().await.unwrap().contains("Damrak 1"));
    assert_eq!(browser.get("/portal/sites").await.status(), StatusCode::OK);

    // Another organization's records, or a malformed id, are simply not there.
    for path in [
        format!("/portal/services/SVC-{:06}", theirs.services[0]),
        format!("/portal/sites/SITE-{:06}", theirs.sites[0]),
        "/portal/services/garbage".to_owned(),
    ] {
        assert_eq!(
            browser.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // A bad filter is explained, not a crash.
    let bad = browser.get("/portal/services?status=Bogus").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("allowed"));
}

#[tokio::test]
async fn sessions_end_when_idle_too_long_past_their_lifetime_or_when_the_user_is_removed() {
    let app = spawn_app().await;
    let email = person(&app, developer_permissions()).await.1;
    let cases: [(&'static str, &str); 3] = [
        (
            "UPDATE portal_sessions SET last_seen_at = last_seen_at - 31 * 60 * 1000",
            "idle",
        ),
        ("UPDATE portal_sessions SET expires_at = 0", "absolute"),
        ("UPDATE users SET status = 'Removed'", "removed"),
    ];
    for (sql, why) in cases {
        let mut browser = Browser::new(&app);
        browser.login(&email).await;
        assert_eq!(
            browser.get("/portal/").await.status(),
            StatusCode::OK,
            "{why}"
        );
        oneportal_store::Exec::execute(app.db(), sql, vec![])
            .await
            .unwrap();
        let user = users::find_by_email(app.db(), &email)
            .await
            .unwrap()
            .unwrap();
        app.app.state.directory.forget_user(user.id);
        let after = browser.get("/portal/developer/clients").await;
        assert_eq!(after.status(), StatusCode::SEE_OTHER, "{why}");
        assert!(location(&after).starts_with("/portal/login"), "{why}");
    }
}

/// The Developer Portal flags a client's scopes that its owner's permissions no
/// longer back (the API shows them as `suspendedScopes`).
#[tokio::test]
async fn the_developer_portal_flags_scopes_the_owner_no_longer_backs() {
    use Permission::*;
    let app = spawn_app().await;
    let (id, email) = person(
        &app,
        perms(&[SitesServicesView, BillingView, DeveloperPortal]),
    )
    .await;
    let owner = crate::helpers::TestUser {
        id,
        email: email.clone(),
        token: app.user_token(id).await,
    };
    app.create_client(&owner, &["BasicRead", "BillingRead"])
        .await;
    let mut browser = Browser::new(&app);
    browser.login(&email).await;
    let page = browser.page("/portal/developer/clients").await;
    assert!(!page.contains("scopes-suspended"), "nothing suspended yet");

    users::set_permissions(
        app.db(),
        id,
        &perms(&[SitesServicesView, DeveloperPortal]).to_codes(),
    )
    .await
    .unwrap();
    app.app
        .state
        .publish(oneportal::cluster::Change::User { user_id: id })
        .await;
    let page = browser.page("/portal/developer/clients").await;
    assert!(page.contains("scopes-suspended"), "{page}");
    assert!(page.contains("BillingRead needs"), "{page}");
    assert!(page.contains("Billing (View)"), "{page}");
}
