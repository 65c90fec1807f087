//! User Management in the portal and the e-mail it sends: the two-step add,
//! activation and reset links (single use, expiring), removal, CSRF on every
//! form, and delivery of the outbox to a real SMTP listener.

use oneportal::config::SmtpConfig;
use oneportal_domain::{Permission, PermissionSet};
use oneportal_store::{Exec, outbox, users};
use reqwest::{Response, StatusCode};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::browser::{Browser, PASSWORD, hidden_csrf, location, person};
use crate::helpers::{TestApp, perms, spawn_app, spawn_app_with};
use oneportal_domain::catalog::AccountType;

const NEW_PASSWORD: &str = "a brand new password, long";

fn admin_permissions() -> PermissionSet {
    perms(&[
        Permission::SitesServicesView,
        Permission::UserManagement,
        Permission::DeveloperPortal,
    ])
}

/// The portal path of the last link in the newest e-mail to `to`.
async fn link_in_outbox(app: &TestApp, to: &str) -> String {
    // A reset mail may be written just after the answer (the answer must not
    // tell by its timing whether the address is known), so wait a little.
    let mut messages = Vec::new();
    for _ in 0..100 {
        messages = outbox::list(app.db(), 100).await.unwrap();
        if messages.iter().any(|m| m.recipient == to) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let message = messages
        .iter()
        .find(|m| m.recipient == to)
        .expect("an e-mail to the user");
    // Links are sealed in the outbox; the test opens them with the server's master key.
    let body = oneportal::services::mail::body_to_deliver(&app.app.state, message);
    let line = body
        .lines()
        .find(|l| l.contains("/portal/"))
        .expect("a link in the e-mail");
    line[line.find("/portal/").unwrap()..].trim().to_owned()
}

/// Adds `email` through both steps as `browser` (logged in with User Management).
async fn add_user(browser: &mut Browser, email: &str, permissions: &[&str]) -> Response {
    let token = browser.csrf_from("/portal/users/new").await;
    let step_two = browser
        .post_form(
            "/portal/users/new",
            &[
                ("csrf_token", &token),
                ("firstName", "Nora"),
                ("lastName", "New"),
                ("email", email),
                ("phone", "+49 30 1234567"),
                ("country", "Germany"),
                ("userType", "Personal"),
                ("kind", "MyOrganization"),
            ],
        )
        .await;
    assert_eq!(step_two.status(), StatusCode::OK);
    let page = step_two.text().await.unwrap();
    assert!(page.contains("Step 2 of 2"), "{page}");
    assert!(
        page.contains("name=\"email\" value=\""),
        "step one is carried on"
    );
    let mut fields = vec![
        ("csrf_token", token.as_str()),
        ("firstName", "Nora"),
        ("lastName", "New"),
        ("email", email),
        ("phone", "+49 30 1234567"),
        ("country", "Germany"),
        ("userType", "Personal"),
        ("kind", "MyOrganization"),
    ];
    for p in permissions {
        fields.push(("permissions", p));
    }
    browser.post_form("/portal/users", &fields).await
}

#[tokio::test]
async fn only_user_management_holders_see_and_use_user_management() {
    let app = spawn_app().await;
    let (_, developer) = person(
        &app,
        perms(&[Permission::SitesServicesView, Permission::DeveloperPortal]),
    )
    .await;
    let mut browser = Browser::new(&app);
    browser.login(&developer).await;
    let home = browser.get("/portal/").await.text().await.unwrap();
    assert!(!home.contains("/portal/users"), "no navigation entry");
    for path in ["/portal/users", "/portal/users/new"] {
        assert_eq!(
            browser.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let token = hidden_csrf(&home);
    let refused = browser
        .post_form(
            "/portal/users",
            &[
                ("csrf_token", &token),
                ("firstName", "A"),
                ("lastName", "B"),
                ("email", "sneaky@example.test"),
                ("permissions", "user_management"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        users::find_by_email(app.db(), "sneaky@example.test")
            .await
            .unwrap()
            .is_none()
    );

    let (_, admin) = person(&app, admin_permissions()).await;
    let mut admin_browser = Browser::new(&app);
    admin_browser.login(&admin).await;
    let home = admin_browser.get("/portal/").await.text().await.unwrap();
    assert!(home.contains("/portal/users"));
    let list = admin_browser.get("/portal/users").await;
    assert_eq!(list.status(), StatusCode::OK);
    let page = list.text().await.unwrap();
    assert!(page.contains("My Organization") && page.contains("Delivery Account"));
    assert!(page.contains(&admin) && page.contains(&developer));
}

#[tokio::test]
async fn a_user_added_in_two_steps_is_inactive_until_the_activation_link_sets_a_password() {
    crate::hygiene::record("password", NEW_PASSWORD);
    let app = spawn_app().await;
    let (_, admin) = person(&app, admin_permissions()).await;
    let mut browser = Browser::new(&app);
    browser.login(&admin).await;
    let email = "nora.new@example.test";
    let added = add_user(&mut browser, email, &["billing_view"]).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert!(location(&added).starts_with("/portal/users?notice=added"));

    let user = users::find_by_email(app.db(), email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.status.as_str(), "Inactive");
    assert!(user.password_hash.is_none());
    assert_eq!(user.phone, "+49 30 1234567");
    let granted = PermissionSet::from_codes(&user.permissions);
    assert!(granted.contains(Permission::BillingView));
    assert!(granted.contains(Permission::SitesServicesView));
    assert!(!granted.contains(Permission::UserManagement));

    let messages = outbox::list(app.db(), 10).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].recipient, email);
    assert_eq!(messages[0].state, "Stored", "no SMTP configured");
    let link = link_in_outbox(&app, email).await;
    assert!(link.starts_with("/portal/activate?token="), "{link}");
    let token = link.trim_start_matches("/portal/activate?token=");
    let stored: Vec<(String,)> = app
        .db()
        .fetch_all("SELECT token_hash FROM user_link_tokens", vec![])
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].0,
        oneportal::portal::session::hash(token),
        "only the hash is kept"
    );

    // Inactive users cannot log in yet.
    let mut newcomer = Browser::new(&app);
    assert_eq!(
        newcomer.try_login(email, NEW_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let csrf = newcomer.csrf_from(&link).await;
    let short = newcomer
        .post_form(
            &link,
            &[
                ("csrf_token", &csrf),
                ("password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short
            .text()
            .await
            .unwrap()
            .contains("at least 12 characters")
    );

    let csrf = newcomer.csrf_from(&link).await;
    let done = newcomer
        .post_form(
            &link,
            &[
                ("csrf_token", &csrf),
                ("password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("Your user is active"));
    let user = users::find_by_email(app.db(), email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.status.as_str(), "Active");

    assert_eq!(
        newcomer.try_login(email, NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let home = newcomer.get("/portal/").await.text().await.unwrap();
    assert!(
        !home.contains("/portal/users"),
        "no User Management for the newcomer"
    );
    assert_eq!(
        newcomer.get("/portal/users").await.status(),
        StatusCode::FORBIDDEN
    );

    // The link works once.
    let reused = Browser::new(&app).get(&link).await;
    assert_eq!(reused.status(), StatusCode::GONE);
    assert!(reused.text().await.unwrap().contains("already used"));

    let actions: Vec<String> = oneportal_store::audit::list(app.db(), Some(app.org_id), None, 200)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert!(actions.contains(&"user.created".to_owned()));
    assert!(actions.contains(&"user.activated".to_owned()));
}

#[tokio::test]
async fn an_expired_or_unknown_activation_link_is_refused_with_a_clear_page_and_resend_replaces_it()
{
    let app = spawn_app().await;
    let (_, admin) = person(&app, admin_permissions()).await;
    let mut browser = Browser::new(&app);
    browser.login(&admin).await;
    let email = "late.larry@example.test";
    assert_eq!(
        add_user(&mut browser, email, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let link = link_in_outbox(&app, email).await;
    app.db()
        .execute(
            "UPDATE user_link_tokens SET expires_at = $1",
            oneportal_store::args![oneportal_store::now_ms() - 1],
        )
        .await
        .unwrap();
    let expired = Browser::new(&app).get(&link).await;
    assert_eq!(expired.status(), StatusCode::GONE);
    let page = expired.text().await.unwrap();
    assert!(page.contains("This link has expired"), "{page}");
    assert!(page.contains("resend the activation"));

    let unknown = Browser::new(&app)
        .get("/portal/activate?token=not-a-real-token")
        .await;
    assert_eq!(unknown.status(), StatusCode::GONE);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("This link does not work")
    );

    // Resend: a new link, the old one stays dead.
    let user = users::find_by_email(app.db(), email)
        .await
        .unwrap()
        .unwrap();
    let id = oneportal_domain::ids::IdKind::User.format(user.id);
    let csrf = browser.csrf_from(&format!("/portal/users/{id}")).await;
    let resent = browser
        .post_form(
            &format!("/portal/users/{id}/resend"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(resent.status(), StatusCode::SEE_OTHER);
    let new_link = link_in_outbox(&app, email).await;
    assert_ne!(new_link, link);
    assert_eq!(
        Browser::new(&app).get(&new_link).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn removing_a_user_ends_their_sessions_and_suspends_their_clients_but_keeps_the_record() {
    let app = spawn_app().await;
    let (_, admin) = person(&app, admin_permissions()).await;
    let (victim_id, victim) = person(
        &app,
        perms(&[Permission::SitesServicesView, Permission::DeveloperPortal]),
    )
    .await;
    let victim_user = oneportal_store::users::find(app.db(), victim_id)
        .await
        .unwrap()
        .unwrap();
    let token = app.user_token(victim_user.id).await;
    let (client_id, _) = app
        .create_client(
            &crate::helpers::TestUser {
                id: victim_id,
                email: victim.clone(),
                token,
            },
            &["BasicRead"],
        )
        .await;

    let mut theirs = Browser::new(&app);
    theirs.login(&victim).await;
    assert_eq!(theirs.get("/portal/").await.status(), StatusCode::OK);

    let mut browser = Browser::new(&app);
    browser.login(&admin).await;
    let id = oneportal_domain::ids::IdKind::User.format(victim_id);
    let csrf = browser
        .csrf_from(&format!("/portal/users/{id}/remove"))
        .await;
    let removed = browser
        .post_form(
            &format!("/portal/users/{id}/remove"),
            &[("csrf_token", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);

    let sessions: Vec<(i64,)> = app
        .db()
        .fetch_all(
            "SELECT user_id FROM portal_sessions WHERE user_id = $1",
            oneportal_store::args![victim_id],
        )
        .await
        .unwrap();
    assert!(sessions.is_empty(), "their sessions are gone");
    let after = theirs.get("/portal/").await;
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "sent to the login page"
    );
    assert!(location(&after).starts_with("/portal/login"));

    let row = users::find(app.db(), victim_id).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "Removed", "the record is kept");
    let client = oneportal_store::api_clients::find(app.db(), &client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(client.status.as_str(), "Suspended");
    let list = browser.get("/portal/users").await.text().await.unwrap();
    assert!(list.contains(&victim) && list.contains("Removed"));
}

#[tokio::test]
async fn password_reset_by_email_works_once_ends_sessions_and_does_not_reveal_addresses() {
    crate::hygiene::record("password", NEW_PASSWORD);
    let app = spawn_app().await;
    let (user_id, email) = person(&app, perms(&[Permission::SitesServicesView])).await;
    let mut old = Browser::new(&app);
    old.login(&email).await;

    let mut browser = Browser::new(&app);
    let login_page = browser.get("/portal/login").await.text().await.unwrap();
    assert!(
        login_page.contains("/portal/password/forgot"),
        "the login page links to it"
    );

    let mut answers = Vec::new();
    for address in [email.as_str(), "nobody-here@example.test"] {
        let csrf = browser.csrf_from("/portal/password/forgot").await;
        let response = browser
            .post_form(
                "/portal/password/forgot",
                &[("csrf_token", &csrf), ("email", address)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let page = response.text().await.unwrap();
        let start = page.find("id=\"reset-sent\"").expect("the generic answer");
        answers.push(page[start..start + 300].to_owned());
    }
    assert_eq!(answers[0], answers[1], "the same answer either way");
    // Asking again at once sends nothing more: the form cannot flood a mailbox.
    let csrf = browser.csrf_from("/portal/password/forgot").await;
    let again = browser
        .post_form(
            "/portal/password/forgot",
            &[("csrf_token", &csrf), ("email", &email)],
        )
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    // The e-mail is written after the answer.
    oneportal::services::users::password_resets_settled().await;
    let messages = outbox::list(app.db(), 10).await.unwrap();
    assert_eq!(
        messages.len(),
        1,
        "only the real address gets an e-mail, once a minute"
    );

    let link = link_in_outbox(&app, &email).await;
    assert!(link.starts_with("/portal/password/reset?token="));
    let (expires_at,): (i64,) = app
        .db()
        .fetch_one("SELECT expires_at FROM user_link_tokens", vec![])
        .await
        .unwrap();
    assert!(
        expires_at - oneportal_store::now_ms() <= 60 * 60 * 1000,
        "valid at most an hour"
    );

    let csrf = browser.csrf_from(&link).await;
    let done = browser
        .post_form(
            &link,
            &[
                ("csrf_token", &csrf),
                ("password", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    let after = old.get("/portal/").await;
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "earlier sessions ended"
    );
    assert_eq!(
        browser.try_login(&email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        browser.try_login(&email, NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let again = Browser::new(&app).get(&link).await;
    assert_eq!(again.status(), StatusCode::GONE, "single use");
    let _ = user_id;
}

#[tokio::test]
async fn every_user_management_and_email_form_refuses_a_missing_or_wrong_csrf_token() {
    let app = spawn_app().await;
    let (_, admin) = person(&app, admin_permissions()).await;
    let (other_id, _) = person(&app, perms(&[Permission::SitesServicesView])).await;
    let mut browser = Browser::new(&app);
    browser.login(&admin).await;
    let id = oneportal_domain::ids::IdKind::User.format(other_id);
    let paths = [
        "/portal/users/new".to_owned(),
        "/portal/users".to_owned(),
        format!("/portal/users/{id}"),
        format!("/portal/users/{id}/resend"),
        format!("/portal/users/{id}/remove"),
        "/portal/password/forgot".to_owned(),
        "/portal/activate?token=abc".to_owned(),
        "/portal/password/reset?token=abc".to_owned(),
    ];
    for path in &paths {
        let response = browser
            .post_form(
                path,
                &[
                    ("csrf_token", "wrong"),
                    ("email", "x@example.test"),
                    ("firstName", "X"),
                    ("lastName", "Y"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        users::find(app.db(), other_id)
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "Active",
        "nothing was removed"
    );
    assert!(outbox::list(app.db(), 10).await.unwrap().is_empty());
}

/// A minimal SMTP server: accepts one connection, records the DATA it gets.
pub(crate) async fn smtp_listener() -> (u16, tokio::sync::oneshot::Receiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 test ESMTP\r\n").await.unwrap();
        let mut data = String::new();
        let mut in_data = false;
        let mut tx = Some(tx);
        while let Ok(Some(line)) = lines.next_line().await {
            if in_data {
                if line == "." {
                    in_data = false;
                    write.write_all(b"250 queued\r\n").await.unwrap();
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(data.clone());
                    }
                } else {
                    data.push_str(&line);
                    data.push('\n');
                }
                continue;
            }
            let upper = line.to_ascii_uppercase();
            let answer: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                b"250-test\r\n250 8BITMIME\r\n"
            } else if upper.starts_with("DATA") {
                in_data = true;
                b"354 go on\r\n"
            } else if upper.starts_with("QUIT") {
                write.write_all(b"221 bye\r\n").await.unwrap();
                break;
            } else {
                b"250 ok\r\n"
            };
            write.write_all(answer).await.unwrap();
        }
    });
    (port, rx)
}

#[tokio::test]
async fn with_smtp_configured_the_outbox_is_delivered_and_records_the_delivery() {
    let (port, received) = smtp_listener().await;
    let app = spawn_app_with(|c| {
        c.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            username: None,
            password: None,
            from: "OnePortal <noreply@example.test>".into(),
            starttls: false,
        })
    })
    .await;
    let (_, admin) = person(&app, admin_permissions()).await;
    let mut browser = Browser::new(&app);
    browser.login(&admin).await;
    let email = "smtp.sam@example.test";
    assert_eq!(
        add_user(&mut browser, email, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let data = tokio::time::timeout(std::time::Duration::from_secs(20), received)
        .await
        .expect("the SMTP server got a message in time")
        .unwrap();
    assert!(data.contains("To: smtp.sam@example.test"), "{data}");
    assert!(
        data.contains("Subject: Activate your OnePortal user"),
        "{data}"
    );
    assert!(data.contains("/portal/activate"), "{data}");

    let mut state = String::new();
    for _ in 0..100 {
        state = outbox::list(app.db(), 1).await.unwrap()[0].state.clone();
        if state == "Sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(state, "Sent");
    let row = &outbox::list(app.db(), 1).await.unwrap()[0];
    assert_eq!(row.attempts, 1);
    assert!(row.sent_at.is_some());
    // A quoted-printable body wraps long lines with a soft break ("=" at the end)
    // and writes "=" itself as "=3D".
    let token = data
        .replace("=\n", "")
        .replace("=3D", "=")
        .split("token=")
        .nth(1)
        .map(|t| {
            t.chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .expect("the delivered e-mail carries the link");
    assert_eq!(token.len(), 43);
    assert!(
        row.sealed_link.is_none(),
        "a delivered message keeps no sealed link"
    );
    assert_eq!(outbox_rows_holding(&app, &token).await, 0);
}

/// How many outbox rows hold `needle` in any column, as a backup or dump would show them.
async fn outbox_rows_holding(app: &TestApp, needle: &str) -> i64 {
    let (count,): (i64,) = app
        .db()
        .fetch_one(
            "SELECT COUNT(*) FROM outbox WHERE recipient LIKE $1 OR subject LIKE $1 OR body LIKE $1 \
             OR COALESCE(sealed_link, '') LIKE $1 OR COALESCE(last_error, '') LIKE $1",
            oneportal_store::args![format!("%{needle}%")],
        )
        .await
        .unwrap();
    count
}

/// The account-takeover chain a probe found: anyone asks for a reset, a staff
/// member reads the link in the outbox and sets the password. Links are now
/// sealed: neither the staff page, the operations API nor the database shows one.
#[tokio::test]
async fn staff_see_that_a_link_was_sent_and_to_whom_but_never_the_link() {
    let app = spawn_app().await;
    let (_, admin) = person(&app, admin_permissions()).await;
    let mut browser = Browser::new(&app);
    browser.login(&admin).await;
    let invited = "sealed.sue@example.test";
    assert_eq!(
        add_user(&mut browser, invited, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, active) = person(&app, admin_permissions()).await;
    let mut anonymous = Browser::new(&app);
    let csrf = anonymous.csrf_from("/portal/password/forgot").await;
    anonymous
        .post_form(
            "/portal/password/forgot",
            &[("csrf_token", &csrf), ("email", &active)],
        )
        .await;

    // The reset mail is written just after the answer; wait for both mails first.
    let mut links = Vec::new();
    for (to, path) in [
        (invited, "/portal/activate?token="),
        (active.as_str(), "/portal/password/reset?token="),
    ] {
        links.push((to, path, link_in_outbox(&app, to).await));
    }
    let staff = crate::operations::staff_token(&app).await;
    let listed: serde_json::Value = app
        .get("/ops/v1/outbox?limit=10", &staff)
        .await
        .json()
        .await
        .unwrap();
    let (mut staff_browser, _) = Browser::staff(&app, "Agent").await;
    let staff_page = staff_browser.page("/staff/outbox").await;
    for (to, path, link) in links {
        let token = link.trim_start_matches(path);
        assert_eq!(token.len(), 43, "{link}");
        assert!(
            !listed.to_string().contains(token),
            "the operations API shows no link"
        );
        assert!(
            listed.to_string().contains(to),
            "it shows to whom a mail went"
        );
        assert!(
            !staff_page.contains(token),
            "the staff outbox page shows no link"
        );
        assert!(staff_page.contains(to));
        assert_eq!(
            outbox_rows_holding(&app, token).await,
            0,
            "no column holds the link in clear"
        );
    }
    assert!(
        staff_page.contains("single-use link"),
        "staff see that a link was withheld"
    );

    // Once a link has expired, not even its sealed copy is kept.
    app.db()
        .execute("UPDATE outbox SET link_expires_at = 1", vec![])
        .await
        .unwrap();
    oneportal::services::mail::purge_old(&app.app.state).await;
    for row in outbox::list(app.db(), 10).await.unwrap() {
        assert!(
            row.sealed_link.is_none(),
            "message {} keeps an expired link",
            row.id
        );
    }
}

#[tokio::test]
async fn an_unreachable_smtp_server_keeps_the_message_pending_for_a_later_attempt() {
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = spawn_app_with(|c| {
        c.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            username: None,
            password: None,
            from: "noreply@example.test".into(),
            starttls: false,
        })
    })
    .await;
    let (_, admin) = person(&app, admin_permissions()).await;
    let mut browser = Browser::new(&app);
    browser.login(&admin).await;
    assert_eq!(
        add_user(&mut browser, "pending.pat@example.test", &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    oneportal::services::mail::deliver_due(&app.app.state).await;
    let mut row = outbox::list(app.db(), 1).await.unwrap()[0].clone();
    for _ in 0..100 {
        if row.last_error.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        row = outbox::list(app.db(), 1).await.unwrap()[0].clone();
    }
    assert_eq!(row.state, "Pending", "never dropped");
    assert!(row.attempts >= 1);
    assert!(row.last_error.is_some());
    assert!(
        row.next_attempt_at > oneportal_store::now_ms(),
        "retried later"
    );
}

#[tokio::test]
async fn the_demo_outbox_page_exists_only_in_demo_mode() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.get("/portal/outbox").await.status(),
        StatusCode::NOT_FOUND
    );
    let login = browser.get("/portal/login").await.text().await.unwrap();
    assert!(!login.contains("Demo outbox"));

    let demo = spawn_app_with(|c| c.demo = true).await;
    let mut browser = Browser::new(&demo);
    let login = browser.get("/portal/login").await.text().await.unwrap();
    assert!(
        login.contains("href=\"/portal/outbox\""),
        "the header links to it"
    );
    assert_eq!(browser.get("/portal/outbox").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn staff_read_the_outbox_in_the_operations_api_and_customers_cannot() {
    let app = spawn_app().await;
    let (_, admin) = person(&app, admin_permissions()).await;
    let mut browser = Browser::new(&app);
    browser.login(&admin).await;
    assert_eq!(
        add_user(&mut browser, "ops.olga@example.test", &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let staff = crate::operations::staff_token(&app).await;
    let response = app.get("/ops/v1/outbox?limit=10", &staff).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body[0]["to"], "ops.olga@example.test");
    assert_eq!(body[0]["state"], "Stored");
    let text = body[0]["body"].as_str().unwrap();
    assert!(
        text.contains(oneportal::services::mail::LINK_WITHHELD) && !text.contains("token="),
        "staff see that an activation mail went out, not its link: {text}"
    );
    assert_eq!(
        app.get("/ops/v1/outbox?limit=0", &staff).await.status(),
        400
    );

    let customer = app.developer().await;
    assert_eq!(
        app.get("/ops/v1/outbox", &customer.token).await.status(),
        403,
        "a customer's token opens nothing in the operations API"
    );
}

#[tokio::test]
async fn a_delivery_account_user_needs_a_delivery_account_and_is_listed_under_its_tab() {
    let app = spawn_app().await;
    let account = |kind: AccountType, name: &'static str| oneportal_store::orgs::NewAccount {
        org_id: app.org_id,
        account_type: kind,
        name,
        country: "DE",
        billing_currency: "EUR",
    };
    let contract =
        oneportal_store::orgs::create_account(app.db(), account(AccountType::Contract, "Main"))
            .await
            .unwrap();
    let delivery =
        oneportal_store::orgs::create_account(app.db(), account(AccountType::Delivery, "Branch"))
            .await
            .unwrap();
    let (_, admin) = person(&app, admin_permissions()).await;
    let mut browser = Browser::new(&app);
    browser.login(&admin).await;
    let token = browser.csrf_from("/portal/users/new").await;
    let email = "dora.delivery@example.test";
    let contract_id = contract.to_string();
    let delivery_id = delivery.to_string();
    let base = [
        ("csrf_token", token.as_str()),
        ("firstName", "Dora"),
        ("lastName", "Delivery"),
        ("email", email),
        ("userType", "Personal"),
        ("kind", "DeliveryAccount"),
    ];
    let mut wrong = base.to_vec();
    wrong.push(("accounts", &contract_id));
    let refused = browser.post_form("/portal/users", &wrong).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("contract account"));
    assert!(
        users::find_by_email(app.db(), email)
            .await
            .unwrap()
            .is_none()
    );

    let mut right = base.to_vec();
    right.push(("accounts", &delivery_id));
    let added = browser.post_form("/portal/users", &right).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert!(location(&added).contains("tab=delivery"));
    let user = users::find_by_email(app.db(), email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.kind.as_str(), "DeliveryAccount");
    let access = users::account_access(app.db(), user.id).await.unwrap();
    assert_eq!(access, vec![(delivery, AccountType::Delivery)]);
    let tab = browser
        .get("/portal/users?tab=delivery")
        .await
        .text()
        .await
        .unwrap();
    assert!(tab.contains(email));
    let org_tab = browser.get("/portal/users").await.text().await.unwrap();
    assert!(!org_tab.contains(email));
}

#[tokio::test]
async fn odd_input_gets_a_page_that_says_what_to_fix_never_a_500() {
    let app = spawn_app().await;
    let (_, admin) = person(&app, admin_permissions()).await;
    let mut browser = Browser::new(&app);
    browser.login(&admin).await;
    for path in [
        "/portal/users/garbage",
        "/portal/users/USR-999999",
        "/portal/users/USR-999999/remove",
    ] {
        assert_eq!(
            browser.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let token = browser.csrf_from("/portal/users/new").await;
    let long = "x".repeat(5000);
    let step = browser
        .post_form(
            "/portal/users/new",
            &[
                ("csrf_token", &token),
                ("firstName", &long),
                ("lastName", "<script>alert(1)</script>"),
                ("email", "not-an-email"),
                ("phone", "call me"),
                ("kind", "Martian"),
                ("userType", "Robot"),
            ],
        )
        .await;
    assert_eq!(step.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = step.text().await.unwrap();
    assert!(page.contains("Please check the form"));
    assert!(!page.contains("<script>alert(1)</script>"), "shown as text");
    let create = browser
        .post_form(
            "/portal/users",
            &[
                ("csrf_token", &token),
                ("firstName", "A"),
                ("lastName", "B"),
                ("email", "a.b@example.test"),
                ("permissions", "not a permission"),
                ("accounts", "999999"),
                ("accounts", "abc"),
            ],
        )
        .await;
    assert_eq!(create.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let taken = add_user(&mut browser, &admin, &[]).await;
    assert_eq!(
        taken.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an existing email"
    );
    assert!(taken.text().await.unwrap().contains("already exists"));

    let mut anonymous = Browser::new(&app);
    let csrf = anonymous.csrf_from("/portal/password/forgot").await;
    let forgot = anonymous
        .post_form(
            "/portal/password/forgot",
            &[("csrf_token", &csrf), ("email", &long)],
        )
        .await;
    assert_eq!(forgot.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let link = anonymous
        .get(&format!("/portal/activate?token={long}"))
        .await;
    assert_eq!(link.status(), StatusCode::GONE);
    assert_eq!(
        anonymous.get("/portal/password/reset").await.status(),
        StatusCode::GONE
    );
}

/// Old e-mails leave the outbox after `outbox_retention_days`; a message still
/// waiting for delivery stays however old it is, and 0 keeps everything.
#[tokio::test]
async fn old_sent_e_mails_leave_the_outbox_but_undelivered_ones_stay() {
    for (retention_days, expected_left) in [
        (30, vec!["new", "old pending"]),
        (0, vec!["new", "old pending", "old sent", "old stored"]),
    ] {
        let app = spawn_app_with(|c| c.outbox_retention_days = retention_days).await;
        let db = app.db();
        for (subject, state) in [
            ("old sent", "Sent"),
            ("old stored", "Stored"),
            ("old pending", "Pending"),
            ("new", "Stored"),
        ] {
            let id = outbox::insert(db, "someone@example.test", subject, "body", state)
                .await
                .unwrap();
            if subject.starts_with("old") {
                let forty_days_ago = oneportal_store::now_ms() - 40 * 24 * 60 * 60 * 1000;
                db.execute(
                    "UPDATE outbox SET created_at = $1 WHERE id = $2",
                    oneportal_store::args![forty_days_ago, id],
                )
                .await
                .unwrap();
            }
        }
        oneportal::services::mail::purge_old(&app.app.state).await;
        let mut left: Vec<String> = outbox::list(db, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.subject)
            .collect();
        left.sort();
        assert_eq!(left, expected_left, "retention {retention_days} days");
    }
}

/// One "Forgot your password?" answer, with what differs between any two answers
/// (the CSRF token, request id, date, cookie values) taken out.
async fn forgot_answer(browser: &mut Browser, address: &str) -> (u16, Vec<String>, String) {
    let csrf = browser.csrf_from("/portal/password/forgot").await;
    let response = browser
        .post_form(
            "/portal/password/forgot",
            &[("csrf_token", &csrf), ("email", address)],
        )
        .await;
    let status = response.status().as_u16();
    let mut headers: Vec<String> = response
        .headers()
        .iter()
        .map(|(name, value)| match name.as_str() {
            "x-request-id" | "date" => name.to_string(),
            "set-cookie" => format!(
                "set-cookie: {}",
                value.to_str().unwrap().split('=').next().unwrap()
            ),
            _ => format!("{name}: {}", value.to_str().unwrap()),
        })
        .collect();
    headers.sort();
    let page = response.text().await.unwrap();
    // Each answer carries a fresh CSRF token (in a meta tag, and a hidden field if any).
    let mut page = page;
    let meta = "name=\"csrf-token\" content=\"";
    if let Some(start) = page.find(meta).map(|i| i + meta.len()) {
        let end = start + page[start..].find('"').unwrap();
        page.replace_range(start..end, "CSRF");
    }
    if page.contains("name=\"csrf_token\"") {
        page = page.replace(&hidden_csrf(&page), "CSRF");
    }
    (status, headers, page)
}

/// The answer is the same, byte for byte but for per-request ids, for an active
/// user's address, an unknown one, an inactive user's and a removed user's.
#[tokio::test]
async fn forgot_password_answers_alike_for_every_kind_of_address() {
    let app = spawn_app().await;
    let (_, active) = person(&app, perms(&[Permission::SitesServicesView])).await;
    let (inactive_id, inactive) = person(&app, perms(&[Permission::SitesServicesView])).await;
    users::set_status(
        app.db(),
        inactive_id,
        oneportal_domain::UserStatus::Inactive,
    )
    .await
    .unwrap();
    let (removed_id, removed) = person(&app, perms(&[Permission::SitesServicesView])).await;
    users::set_status(app.db(), removed_id, oneportal_domain::UserStatus::Removed)
        .await
        .unwrap();
    let mut browser = Browser::new(&app);
    let reference = forgot_answer(&mut browser, &active).await;
    assert_eq!(reference.0, 200);
    assert!(reference.2.contains("id=\"reset-sent\""));
    for address in [
        "nobody-here@example.test",
        inactive.as_str(),
        removed.as_str(),
        "not an address",
        active.as_str(),
    ] {
        let answer = forgot_answer(&mut browser, address).await;
        assert_eq!(answer.0, reference.0, "{address}: status");
        assert_eq!(answer.1, reference.1, "{address}: headers");
        assert_eq!(answer.2, reference.2, "{address}: page");
    }
    oneportal::services::users::password_resets_settled().await;
    let messages = outbox::list(app.db(), 10).await.unwrap();
    assert_eq!(messages.len(), 1, "only the active user gets an e-mail");
    assert_eq!(messages[0].recipient, active);
}

/// The timing cannot tell addresses apart because the answer leaves before the
/// address is looked up: it arrives while the database cannot answer the lookup
/// (PostgreSQL: the users table locked) or take the e-mail (SQLite: its one write
/// lock held), and the e-mail is written once the database is free again.
#[tokio::test]
async fn forgot_password_answers_before_it_looks_the_address_up() {
    let app = spawn_app().await;
    let (_, active) = person(&app, perms(&[Permission::SitesServicesView])).await;
    let mut browser = Browser::new(&app);
    let csrf = browser.csrf_from("/portal/password/forgot").await;

    let lock = app.db().begin().await.unwrap();
    if crate::helpers::backend_is_postgres() {
        lock.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE", vec![])
            .await
            .unwrap();
    }
    let started = std::time::Instant::now();
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        browser.post_form(
            "/portal/password/forgot",
            &[("csrf_token", &csrf), ("email", &active)],
        ),
    )
    .await
    .expect("the answer does not wait for the database");
    println!(
        "answered in {:?} with the database locked",
        started.elapsed()
    );
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(answer.text().await.unwrap().contains("id=\"reset-sent\""));
    assert!(
        outbox::list(app.db(), 10).await.unwrap().is_empty(),
        "nothing written yet"
    );
    drop(lock);

    oneportal::services::users::password_resets_settled().await;
    let messages = outbox::list(app.db(), 10).await.unwrap();
    assert_eq!(
        messages.len(),
        1,
        "the e-mail follows once the database is free"
    );
    assert_eq!(messages[0].recipient, active);
}
