//! `/v2/api-clients`: creation rules as a matrix, immutability, rotation, suspension, transfer.

use oneportal_domain::{ApiScope, Permission, PermissionSet};
use serde_json::{Value, json};

use crate::helpers::{perms, problem, spawn_app};

/// Every scope × every creator permission set: 201, or 403 naming the missing permission.
#[tokio::test]
async fn creation_matrix_of_scopes_and_creator_permissions() {
    use Permission::*;
    let app = spawn_app().await;
    let permission_sets: Vec<PermissionSet> = vec![
        perms(&[DeveloperPortal]),
        perms(&[DeveloperPortal, SitesServicesView]),
        perms(&[DeveloperPortal, SupportView]),
        perms(&[DeveloperPortal, SupportEdit]),
        perms(&[DeveloperPortal, BillingView]),
        perms(&[DeveloperPortal, SupportView, BillingView]),
        PermissionSet::all(),
    ];
    for set in permission_sets {
        // Users always hold Sites & Services (View) in practice; the matrix also covers a set without it.
        let user = app.user(set).await;
        for scope in ApiScope::ALL {
            let body = json!({ "apiClientName": format!("{}-{}", scope.name(), user.id), "scopes": [scope.name()] });
            let (status, body) =
                problem(app.post_json("/v2/api-clients", &user.token, body).await).await;
            if scope.may_be_granted_by(set) {
                assert_eq!(status, 201, "{scope:?} by {set:?}: {body}");
                assert!(body["clientSecret"].as_str().unwrap().starts_with("opsk_"));
            } else {
                assert_eq!(status, 403, "{scope:?} by {set:?}");
                assert_eq!(body["code"], "missing_permission");
                let detail = body["detail"].as_str().unwrap();
                for needed in scope.creator_needs_any_of() {
                    assert!(
                        detail.contains(needed.label()),
                        "{detail} names {}",
                        needed.label()
                    );
                }
            }
        }
    }
    // Without Developer Portal (API), nothing can be created.
    let viewer = app.user(perms(&[SitesServicesView])).await;
    let (status, body) = problem(
        app.post_json(
            "/v2/api-clients",
            &viewer.token,
            json!({"apiClientName": "x", "scopes": ["BasicRead"]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("Developer Portal (API)")
    );
}

#[tokio::test]
async fn the_help_articles_example_with_typographic_quotes_gets_line_and_column() {
    let app = spawn_app().await;
    let dev = app.developer().await;
    let body = "{ \"apiClientName\": \"ScopeName1\", \"scopes\": [ \u{201C}BasicRead\u{201D} ] }";
    let response = app.post_raw_json("/v2/api-clients", &dev.token, body).await;
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let (status, body) = problem(response).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "typographic_quotes");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.contains("line 1, column 46") && detail.contains("straight double quotes"),
        "{detail}"
    );
}

#[tokio::test]
async fn the_help_articles_examples_create_clients_once_straightened() {
    let app = spawn_app().await;
    let dev = app.developer().await;
    let response = app.post_json("/v2/api-clients", &dev.token, json!({ "apiClientName": "ScopeName2", "scopes": ["BasicRead", "SupportRead", "SupportReadWrite"] })).await;
    assert_eq!(response.status(), 201);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/v2/api-clients/opc_")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["apiClientName"], "ScopeName2");
    assert_eq!(
        body["oauthScopes"],
        json!([
            "customerapi/basic.read",
            "customerapi/support.read",
            "customerapi/support.read-write"
        ])
    );
    assert_eq!(body["tokenEndpoint"], app.at("/oauth2/token"));
    assert_eq!(body["createdBy"]["email"], dev.email.as_str());
    // The secret is shown once: never in a later read.
    let id = body["clientId"].as_str().unwrap();
    let read = app
        .get(&format!("/v2/api-clients/{id}"), &dev.token)
        .await
        .text()
        .await
        .unwrap();
    assert!(!read.contains(body["clientSecret"].as_str().unwrap()));
    assert!(!read.contains("clientSecret"));
}

#[tokio::test]
async fn unknown_scopes_list_the_allowed_values_and_names_are_checked() {
    let app = spawn_app().await;
    let dev = app.developer().await;
    let (status, body) = problem(
        app.post_json(
            "/v2/api-clients",
            &dev.token,
            json!({"apiClientName": "x", "scopes": ["Admin"]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["pointer"], "/scopes/0");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("BasicRead, SupportRead, SupportReadWrite, BillingRead")
    );
    for (name, code) in [
        ("", "required"),
        ("   ", "required"),
        (&"x".repeat(101) as &str, "too_long"),
    ] {
        let (status, body) = problem(
            app.post_json(
                "/v2/api-clients",
                &dev.token,
                json!({"apiClientName": name, "scopes": ["BasicRead"]}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, body["errors"][0]["code"].as_str()),
            (422, Some(code))
        );
    }
    let (status, _) = problem(
        app.post_json(
            "/v2/api-clients",
            &dev.token,
            json!({"apiClientName": "x", "scopes": []}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        app.post_json(
            "/v2/api-clients",
            &dev.token,
            json!({"apiClientName": "  Prod  ", "scopes": ["BasicRead"]})
        )
        .await
        .status(),
        201
    );
    let (status, body) = problem(
        app.post_json(
            "/v2/api-clients",
            &dev.token,
            json!({"apiClientName": "PROD", "scopes": ["BasicRead"]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("api_client_name_taken"))
    );
}

#[tokio::test]
async fn scopes_can_never_change() {
    let app = spawn_app().await;
    let dev = app.developer().await;
    let (id, _) = app.create_client(&dev, &["BasicRead"]).await;
    let response = app
        .http
        .patch(app.at(&format!("/v2/api-clients/{id}")))
        .bearer_auth(&dev.token)
        .json(&json!({"scopes": ["BillingRead"]}))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(response).await;
    assert_eq!(status, 405);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("create a new API client")
    );
}

#[tokio::test]
async fn the_organizations_quota_limits_active_clients() {
    let app = crate::helpers::spawn_app_with(|c| c.api_clients.quota_per_organization = 2).await;
    let dev = app.developer().await;
    let (first, _) = app.create_client(&dev, &["BasicRead"]).await;
    app.create_client(&dev, &["BasicRead"]).await;
    let (status, body) = problem(
        app.post_json(
            "/v2/api-clients",
            &dev.token,
            json!({"apiClientName": "third", "scopes": ["BasicRead"]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("api_client_quota_exceeded"))
    );
    app.http
        .delete(app.at(&format!("/v2/api-clients/{first}")))
        .bearer_auth(&dev.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        app.post_json(
            "/v2/api-clients",
            &dev.token,
            json!({"apiClientName": "third", "scopes": ["BasicRead"]})
        )
        .await
        .status(),
        201
    );
}

#[tokio::test]
async fn lists_show_own_clients_and_user_management_sees_the_organization() {
    use Permission::*;
    let app = spawn_app().await;
    let dev = app.user(perms(&[SitesServicesView, DeveloperPortal])).await;
    let other = app.user(perms(&[SitesServicesView, DeveloperPortal])).await;
    let admin = app.developer().await;
    let (mine, _) = app.create_client(&dev, &["BasicRead"]).await;
    let (theirs, _) = app.create_client(&other, &["BasicRead"]).await;
    let list: Value = app
        .get("/v2/api-clients", &dev.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["pagination"]["total"], 1);
    assert_eq!(list["data"][0]["clientId"], mine.as_str());
    assert_eq!(
        app.get(&format!("/v2/api-clients/{theirs}"), &dev.token)
            .await
            .status(),
        404
    );
    let all: Value = app
        .get("/v2/api-clients", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["pagination"]["total"], 2);
    // Another organization's client is a 404, never a 403.
    let org = oneportal_store::orgs::create_organization(app.db(), "Elsewhere")
        .await
        .unwrap();
    let stranger = app.user_in(org, PermissionSet::all()).await;
    assert_eq!(
        app.get(&format!("/v2/api-clients/{mine}"), &stranger.token)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.http
            .delete(app.at(&format!("/v2/api-clients/{mine}")))
            .bearer_auth(&stranger.token)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn client_credentials_tokens_cannot_manage_clients() {
    let app = spawn_app().await;
    let dev = app.developer().await;
    let (id, secret) = app.create_client(&dev, &["BasicRead"]).await;
    let machine = app.access_token(&id, &secret).await;
    for response in [
        app.get("/v2/api-clients", &machine).await,
        app.post_json(
            "/v2/api-clients",
            &machine,
            json!({"apiClientName": "x", "scopes": ["BasicRead"]}),
        )
        .await,
    ] {
        let (status, body) = problem(response).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("user_token_required"))
        );
    }
}

#[tokio::test]
async fn a_rotated_secret_works_until_the_grace_deadline() {
    let app = spawn_app().await;
    let dev = app.developer().await;
    let (id, old) = app.create_client(&dev, &["BasicRead"]).await;

    let response = app
        .post_json(
            &format!("/v2/api-clients/{id}/secrets"),
            &dev.token,
            json!({"gracePeriodHours": 24}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let new = body["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(
        app.request_token(&id, &new, None).await.status(),
        200,
        "the new secret works at once"
    );
    assert_eq!(
        app.request_token(&id, &old, None).await.status(),
        200,
        "the old one until the deadline"
    );
    assert_eq!(body["secrets"].as_array().unwrap().len(), 2);

    // A grace period of zero ends every previous secret now.
    let response = app
        .post_json(
            &format!("/v2/api-clients/{id}/secrets"),
            &dev.token,
            json!({"gracePeriodHours": 0}),
        )
        .await;
    let newest = response.json::<Value>().await.unwrap()["clientSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused: Value = app
        .request_token(&id, &old, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(refused["error"], "invalid_client");
    assert_eq!(app.request_token(&id, &new, None).await.status(), 401);
    assert_eq!(app.request_token(&id, &newest, None).await.status(), 200);

    let (status, _) = problem(
        app.post_json(
            &format!("/v2/api-clients/{id}/secrets"),
            &dev.token,
            json!({"gracePeriodHours": 169}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn a_client_follows_its_owners_permission_and_can_be_transferred() {
    use Permission::*;
    let app = spawn_app().await;
    let admin = app.developer().await;
    let owner = app.user(perms(&[SitesServicesView, DeveloperPortal])).await;
    let (id, secret) = app.create_client(&owner, &["BasicRead"]).await;
    let patch = |user_id: i64, permissions: Value| {
        let app = &app;
        let token = admin.token.clone();
        async move {
            app.http
                .patch(app.at(&format!("/v2/users/USR-{user_id:06}")))
                .bearer_auth(token)
                .json(&json!({ "permissions": permissions }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        patch(owner.id, json!(["Sites & Services (View)"])).await,
        204
    );
    let refused: Value = app
        .request_token(&id, &secret, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(refused["error"], "invalid_client");
    assert!(
        refused["error_description"]
            .as_str()
            .unwrap()
            .contains("Developer Portal (API)")
    );
    let view: Value = app
        .get(&format!("/v2/api-clients/{id}"), &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "Suspended");

    assert_eq!(
        patch(
            owner.id,
            json!(["Sites & Services (View)", "Developer Portal (API)"])
        )
        .await,
        204
    );
    assert_eq!(
        app.request_token(&id, &secret, None).await.status(),
        200,
        "regaining the permission lifts the suspension"
    );

    // Removed owner: suspended until an admin transfers the client.
    let successor = app.user(perms(&[SitesServicesView, DeveloperPortal])).await;
    app.http
        .delete(app.at(&format!("/v2/users/USR-{:06}", owner.id)))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    let refused: Value = app
        .request_token(&id, &secret, None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        refused["error_description"]
            .as_str()
            .unwrap()
            .contains("removed")
    );
    let body = json!({ "newOwnerUserId": format!("USR-{:06}", successor.id) });
    let transferred = app
        .post_json(
            &format!("/v2/api-clients/{id}/transfer"),
            &admin.token,
            body.clone(),
        )
        .await;
    assert_eq!(transferred.status(), 200);
    // The removed owner's secret does not come back with the client (see
    // `a_transfer_retires_every_secret_and_ends_earlier_tokens`).
    assert_eq!(app.request_token(&id, &secret, None).await.status(), 401);
    // Only User Management may transfer.
    let (status, _) = problem(
        app.post_json(
            &format!("/v2/api-clients/{id}/transfer"),
            &successor.token,
            body,
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);

    let audit = oneportal_store::audit::list(app.db(), Some(app.org_id), None, 100)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    for expected in [
        "api_client.created",
        "api_client.suspended",
        "api_client.reinstated",
        "user.removed",
        "api_client.transferred",
        "user.permissions_changed",
    ] {
        assert!(
            actions.contains(&expected),
            "audit has {expected}: {actions:?}"
        );
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_errors_quote_it() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.at("/v2/me"))
        .header("x-request-id", "my-trace-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "my-trace-123");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["requestId"], "my-trace-123");
    let response = app.http.get(app.at("/healthz")).send().await.unwrap();
    assert!(
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
    assert_eq!(
        app.http
            .get(app.at("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let metrics = app.http.get(app.at("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
}

#[tokio::test]
async fn the_client_list_filters_by_status_and_refuses_unknown_parameters() {
    let app = spawn_app().await;
    let dev = app.developer().await;
    let (revoked, _) = app.create_client(&dev, &["BasicRead"]).await;
    app.create_client(&dev, &["BasicRead"]).await;
    app.http
        .delete(app.at(&format!("/v2/api-clients/{revoked}")))
        .bearer_auth(&dev.token)
        .send()
        .await
        .unwrap();
    let list: Value = app
        .get("/v2/api-clients?status=Revoked", &dev.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["pagination"]["total"], 1);
    assert_eq!(list["data"][0]["clientId"], revoked.as_str());
    let response = app.get("/v2/api-clients?colour=blue", &dev.token).await;
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["errors"][0]["pointer"].as_str()),
        (400, Some("colour"))
    );
}

/// PRODUCT §2: `/v2/api-clients` also takes a portal session, with CSRF
/// protection on changes; other API V2 resources do not take sessions.
#[tokio::test]
async fn a_portal_session_manages_clients_with_its_csrf_token_and_origin() {
    use crate::browser::Browser;
    use Permission::*;
    let app = spawn_app().await;
    let mut browser = Browser::signed_in(
        &app,
        perms(&[DeveloperPortal, SitesServicesView, SupportView]),
    )
    .await;
    let page = browser
        .get("/portal/developer/clients")
        .await
        .text()
        .await
        .unwrap();
    let marker = "<meta name=\"csrf-token\" content=\"";
    let start = page.find(marker).expect("pages carry the CSRF token") + marker.len();
    let csrf = page[start..start + page[start..].find('"').unwrap()].to_owned();
    let body = json!({"apiClientName": "From the portal", "scopes": ["BasicRead"]});
    let post = |origin: Option<&str>, token: Option<&str>| {
        let mut request = browser
            .http
            .post(format!("{}/v2/api-clients", browser.base))
            .header("Cookie", browser.cookie_header())
            .json(&body);
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        if let Some(token) = token {
            request = request.header("X-CSRF-Token", token);
        }
        request.send()
    };
    let own = browser.origin.clone();
    for (origin, token, why) in [
        (Some(own.as_str()), None, "no CSRF token"),
        (
            Some(own.as_str()),
            Some("wrong-token"),
            "a wrong CSRF token",
        ),
        (
            Some("https://evil.example"),
            Some(csrf.as_str()),
            "another site",
        ),
        (None, Some(csrf.as_str()), "no Origin or Referer"),
    ] {
        let (status, problem) = problem(post(origin, token).await.unwrap()).await;
        assert_eq!(status, 403, "{why}: {problem}");
        assert_eq!(problem["code"], "csrf_failed", "{why}");
    }
    let created = post(Some(&own), Some(&csrf)).await.unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert!(created["clientSecret"].as_str().unwrap().len() > 40);

    let listed = browser
        .http
        .get(format!("{}/v2/api-clients", browser.base))
        .header("Cookie", browser.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed["data"][0]["clientId"], created["clientId"]);

    // Elsewhere in API V2 a session is not a credential.
    let cases = browser
        .http
        .get(format!("{}/v2/sites", browser.base))
        .header("Cookie", browser.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(cases.status(), 401);
}

/// Each scope × its owner losing the permission behind it: the client's existing
/// token loses that scope (403 insufficient_scope) within a second, on every
/// node; new tokens are narrowed (scope omitted) or refused (scope named); the
/// other scopes keep working; the client shows what is suspended.
#[tokio::test]
async fn a_client_acts_at_most_with_its_owners_current_permissions() {
    use Permission::*;
    let app = spawn_app().await;
    // On PostgreSQL a second node must see the owner's change too.
    let other_node = if crate::helpers::backend_is_postgres() {
        Some(app.second_node().await)
    } else {
        None
    };
    let admin = app.developer().await;
    let every = [
        SitesServicesView,
        SupportView,
        SupportEdit,
        BillingView,
        DeveloperPortal,
    ];
    // (permission lost, the scope it backed, a request that needs that scope and
    // what the owner keeps instead if anything).
    let cases: [(&[Permission], ApiScope); 4] = [
        (&[SitesServicesView], ApiScope::BasicRead),
        (&[SupportView, SupportEdit], ApiScope::SupportRead),
        (&[SupportEdit], ApiScope::SupportReadWrite),
        (&[BillingView], ApiScope::BillingRead),
    ];
    for (lost, scope) in cases {
        let owner = app.user(perms(&every)).await;
        let (id, secret) = app
            .create_client(
                &owner,
                &[
                    "BasicRead",
                    "SupportRead",
                    "SupportReadWrite",
                    "BillingRead",
                ],
            )
            .await;
        let token = app.access_token(&id, &secret).await;
        let kept: Vec<Permission> = every.into_iter().filter(|p| !lost.contains(p)).collect();
        if lost.contains(&SitesServicesView) {
            // The API always keeps Sites & Services (View); an import or an older
            // row can lack it, so this case changes the row and publishes the change.
            oneportal_store::users::set_permissions(app.db(), owner.id, &perms(&kept).to_codes())
                .await
                .unwrap();
            app.app
                .state
                .publish(oneportal::cluster::Change::User { user_id: owner.id })
                .await;
        } else {
            let labels: Vec<&str> = kept.iter().map(|p| p.label()).collect();
            let changed = app
                .http
                .patch(app.at(&format!("/v2/users/USR-{:06}", owner.id)))
                .bearer_auth(&admin.token)
                .json(&json!({ "permissions": labels }))
                .send()
                .await
                .unwrap();
            assert_eq!(changed.status(), 204);
        }
        let case = format!("{scope:?} after losing {lost:?}");

        // The existing token: refused for that scope within a second, on every node.
        let mut nodes = vec![&app];
        nodes.extend(other_node.as_ref());
        for node in nodes {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
            loop {
                let status = scope_probe(node, scope, &token).await;
                if status == 403 {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "{case}: still {status} after 1 s on {}",
                    node.url
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            let (_, body) = problem(scope_probe_response(node, scope, &token).await).await;
            assert_eq!(body["code"], "insufficient_scope", "{case}: {body}");
            for other in ApiScope::ALL {
                let still_backed = other.may_be_granted_by(perms(&kept))
                    || (other == ApiScope::SupportRead && kept.contains(&SupportView));
                if still_backed {
                    assert_ne!(
                        scope_probe(node, other, &token).await,
                        403,
                        "{case}: {other:?} is unaffected"
                    );
                }
            }
        }

        // New tokens: narrowed when the scope is omitted, refused when it is named.
        let narrowed: Value = app
            .request_token(&id, &secret, None)
            .await
            .json()
            .await
            .unwrap();
        let granted = narrowed["scope"].as_str().unwrap_or_default();
        assert!(
            !granted.split(' ').any(|s| s == scope.oauth_name()),
            "{case}: {narrowed}"
        );
        assert!(
            granted.split(' ').any(|s| s == "customerapi/basic.read")
                || scope == ApiScope::BasicRead,
            "{case}: the other scopes stay: {narrowed}"
        );
        let refused = app
            .request_token(&id, &secret, Some(scope.oauth_name()))
            .await;
        assert_eq!(refused.status(), 400, "{case}");
        let refused: Value = refused.json().await.unwrap();
        assert_eq!(refused["error"], "invalid_scope", "{case}");
        let description = refused["error_description"].as_str().unwrap();
        assert!(
            lost.iter().any(|p| description.contains(p.label())),
            "{case}: names the lost permission: {description}"
        );

        // The owner (and the admin) see the suspended scope.
        let view: Value = app
            .get(&format!("/v2/api-clients/{id}"), &admin.token)
            .await
            .json()
            .await
            .unwrap();
        let suspended: Vec<&str> = view["suspendedScopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["scope"].as_str().unwrap())
            .collect();
        assert!(suspended.contains(&scope.name()), "{case}: {view}");
        assert!(
            !view["effectiveScopes"]
                .as_array()
                .unwrap()
                .contains(&json!(scope.name())),
            "{case}: {view}"
        );
    }
}

/// A client whose owner backs none of its scopes gets no token at all.
#[tokio::test]
async fn a_client_whose_owner_backs_none_of_its_scopes_gets_invalid_scope() {
    use Permission::*;
    let app = spawn_app().await;
    let admin = app.developer().await;
    let owner = app
        .user(perms(&[SitesServicesView, BillingView, DeveloperPortal]))
        .await;
    let (id, secret) = app.create_client(&owner, &["BillingRead"]).await;
    let changed = app
        .http
        .patch(app.at(&format!("/v2/users/USR-{:06}", owner.id)))
        .bearer_auth(&admin.token)
        .json(&json!({ "permissions": ["Sites & Services (View)", "Developer Portal (API)"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    let refused = app.request_token(&id, &secret, None).await;
    assert_eq!(refused.status(), 400);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_scope");
    let description = refused["error_description"].as_str().unwrap();
    assert!(
        description.contains("Billing (View)") && description.contains("owner"),
        "{description}"
    );
    // Giving the permission back gives the scope back.
    let changed = app
        .http
        .patch(app.at(&format!("/v2/users/USR-{:06}", owner.id)))
        .bearer_auth(&admin.token)
        .json(&json!({ "permissions": ["Sites & Services (View)", "Billing (View)", "Developer Portal (API)"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    assert_eq!(app.request_token(&id, &secret, None).await.status(), 200);
}

/// A request that needs `scope` (and passes the scope check with a 200 or a 4xx
/// other than 403 when the scope is held).
async fn scope_probe_response(
    app: &crate::helpers::TestApp,
    scope: ApiScope,
    token: &str,
) -> reqwest::Response {
    match scope {
        ApiScope::BasicRead => app.get("/v2/accounts", token).await,
        ApiScope::SupportRead => app.get("/v2/cases", token).await,
        // An empty body: 422 once past the scope check, 403 before.
        ApiScope::SupportReadWrite => app.post_json("/v2/cases", token, json!({})).await,
        ApiScope::BillingRead => app.get("/v2/invoices", token).await,
        ApiScope::OrdersRead => app.get("/v2/orders", token).await,
    }
}

async fn scope_probe(app: &crate::helpers::TestApp, scope: ApiScope, token: &str) -> u16 {
    scope_probe_response(app, scope, token)
        .await
        .status()
        .as_u16()
}

/// A transfer ends everything the previous owner holds: every secret (the
/// current one and one still in its rotation grace), and the tokens issued
/// before. The old secret is told why; the new owner rotates to get a secret.
#[tokio::test]
async fn a_transfer_retires_every_secret_and_ends_earlier_tokens() {
    use Permission::*;
    let app = spawn_app().await;
    let admin = app.developer().await;
    let leaver = app.user(perms(&[SitesServicesView, DeveloperPortal])).await;
    let successor = app.user(perms(&[SitesServicesView, DeveloperPortal])).await;
    let (id, first_secret) = app.create_client(&leaver, &["BasicRead"]).await;
    let rotated: Value = app
        .post_json(
            &format!("/v2/api-clients/{id}/secrets"),
            &leaver.token,
            json!({ "gracePeriodHours": 24 }),
        )
        .await
        .json()
        .await
        .unwrap();
    let second_secret = rotated["clientSecret"].as_str().unwrap().to_owned();
    crate::hygiene::record("client_secret", &second_secret);
    let earlier_token = app.access_token(&id, &first_secret).await;
    assert_eq!(app.get("/v2/me", &earlier_token).await.status(), 200);

    // The leaver is removed (the client is suspended), then the client transferred.
    let removed = app
        .http
        .delete(app.at(&format!("/v2/users/USR-{:06}", leaver.id)))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    let transferred = app
        .post_json(
            &format!("/v2/api-clients/{id}/transfer"),
            &admin.token,
            json!({ "newOwnerUserId": format!("USR-{:06}", successor.id) }),
        )
        .await;
    assert_eq!(transferred.status(), 200);
    let view: Value = transferred.json().await.unwrap();
    assert_eq!(view["status"], "Active");
    assert_eq!(view["secrets"], json!([]), "no secret survives: {view}");

    for secret in [&first_secret, &second_secret] {
        let refused = app.request_token(&id, secret, None).await;
        assert_eq!(refused.status(), 401);
        let refused: Value = refused.json().await.unwrap();
        assert_eq!(refused["error"], "invalid_client");
        let description = refused["error_description"].as_str().unwrap();
        assert!(
            description.contains("transferred") && description.contains("new secret"),
            "{description}"
        );
    }
    let guess: Value = app
        .request_token(&id, "opsk_guess", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !guess["error_description"]
            .as_str()
            .unwrap()
            .contains("transferred"),
        "a caller without a retired secret learns nothing: {guess}"
    );
    let (status, body) = problem(app.get("/v2/me", &earlier_token).await).await;
    assert_eq!(status, 401, "tokens issued before the transfer end: {body}");
    assert!(body["detail"].as_str().unwrap().contains("transferred"));

    // The new owner creates a secret; it works, the old ones stay retired.
    let rotated: Value = app
        .post_json(
            &format!("/v2/api-clients/{id}/secrets"),
            &successor.token,
            json!({ "gracePeriodHours": 24 }),
        )
        .await
        .json()
        .await
        .unwrap();
    let new_secret = rotated["clientSecret"].as_str().unwrap().to_owned();
    crate::hygiene::record("client_secret", &new_secret);
    let token = app.access_token(&id, &new_secret).await;
    assert_eq!(app.get("/v2/me", &token).await.status(), 200);
    assert_eq!(
        app.request_token(&id, &first_secret, None).await.status(),
        401,
        "a rotation's grace does not revive a retired secret"
    );
    assert_eq!(app.get("/v2/me", &earlier_token).await.status(), 401);
    let introspected: Value = app
        .http
        .post(app.at("/oauth2/introspect"))
        .basic_auth(&id, Some(&new_secret))
        .form(&[("token", earlier_token.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(introspected["active"], false);
}
