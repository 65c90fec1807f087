use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use oneportal::App;
use oneportal::config::Config;
use oneportal_domain::catalog::{ServiceStatus, ServiceType};
use oneportal_domain::ids::IdKind;
use oneportal_domain::{Permission, PermissionSet};
use oneportal_store::users::{self, NewUser};
use oneportal_store::{Db, orgs};
use reqwest::Response;
use serde_json::{Value, json};

pub fn backend_is_postgres() -> bool {
    std::env::var("ONEPORTAL_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

fn pg_admin_url() -> String {
    std::env::var("ONEPORTAL_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh PostgreSQL database for one test; its URL.
pub async fn fresh_pg_database() -> String {
    let admin = pg_admin_url();
    let name = format!(
        "op_test_{}",
        oneportal::auth::random::alphanumeric(12).to_lowercase()
    );
    let db = Db::connect_postgres(&admin, 1)
        .await
        .expect("PostgreSQL is reachable for tests");
    oneportal_store::Exec::execute(&db, sqlx_leak(format!("CREATE DATABASE {name}")), vec![])
        .await
        .expect("create test database");
    db.close().await;
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or(admin);
    crate::hygiene::record_database(&name);
    format!("{base}/{name}")
}

fn sqlx_leak(sql: String) -> &'static str {
    Box::leak(sql.into_boxed_str())
}

pub struct TestApp {
    pub app: App,
    pub url: String,
    pub http: reqwest::Client,
    pub org_id: i64,

    _dir: Arc<tempfile::TempDir>,
}

pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub token: String,
}

/// A configuration for a test server on a free port with its own database.
pub async fn test_config() -> (Config, Arc<tempfile::TempDir>) {
    crate::hygiene::start_logging();
    let dir = Arc::new(crate::hygiene::data_dir());
    let mut config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    config.oauth.issuance_per_minute = 0;
    // Tests call quickly from few clients; `rate_limits` tests switch limits back on.
    config.rate_limits.requests_per_minute = 0;
    if backend_is_postgres() {
        config.database_url = Some(fresh_pg_database().await.into());
        config.master_key = Some(
            base64::engine::general_purpose::STANDARD
                .encode(oneportal::auth::random::bytes::<32>())
                .into(),
        );
    }
    (config, dir)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let (mut config, dir) = test_config().await;
    adjust(&mut config);
    start(config, dir).await
}

pub async fn start(config: Config, dir: Arc<tempfile::TempDir>) -> TestApp {
    let app = App::start(config).await.expect("server starts");
    let org_id = match orgs::find_organization_by_name(&app.state.db, "Test Org")
        .await
        .unwrap()
    {
        Some(org) => org.id,
        None => orgs::create_organization(&app.state.db, "Test Org")
            .await
            .unwrap(),
    };
    TestApp {
        url: app.url(),
        app,
        http: http_client().build().unwrap(),
        org_id,

        _dir: dir,
    }
}

pub fn perms(list: &[Permission]) -> PermissionSet {
    list.iter().copied().collect()
}

impl TestApp {
    /// Another server on the same database (and the same master key), like a second
    /// node behind the same public URL.
    pub async fn second_node(&self) -> TestApp {
        let mut config = self.app.state.config.clone();
        config.bind = "127.0.0.1:0".parse().unwrap();
        config.public_url = Some(self.url.clone());
        let mut node = start(config, self._dir.clone()).await;
        // Requests go to this node's own port; tokens still name the shared public URL.
        node.url = node.app.address_url();
        node
    }

    /// Restricts the user to these accounts, as User Management would, on every node at once.
    pub async fn restrict(&self, user_id: i64, accounts: &[i64]) {
        oneportal_store::users::set_account_access(self.db(), user_id, accounts)
            .await
            .unwrap();
        self.app
            .state
            .publish(oneportal::cluster::Change::User { user_id })
            .await;
    }

    /// Gives the user exactly these permissions, as User Management would, on every node at once.
    pub async fn set_permissions(&self, user_id: i64, permissions: PermissionSet) {
        oneportal_store::users::set_permissions(self.db(), user_id, &permissions.to_codes())
            .await
            .unwrap();
        self.app
            .state
            .publish(oneportal::cluster::Change::User { user_id })
            .await;
    }

    pub fn db(&self) -> &Db {
        &self.app.state.db
    }

    /// An active user of `org_id` with a fresh user token.
    pub async fn user_in(&self, org_id: i64, permissions: PermissionSet) -> TestUser {
        let email = format!(
            "{}@example.test",
            oneportal::auth::random::alphanumeric(10).to_lowercase()
        );
        let id = users::insert(
            self.db(),
            NewUser {
                org_id,
                email: &email,
                first_name: "Test",
                last_name: "User",
                phone: "",
                country: "",
                user_type: "Personal",
                kind: "MyOrganization",
                status: "Active",
                permissions: &permissions.to_codes(),
                password_hash: None,
            },
        )
        .await
        .unwrap();
        let token = self.user_token(id).await;
        TestUser { id, email, token }
    }

    pub async fn user(&self, permissions: PermissionSet) -> TestUser {
        self.user_in(self.org_id, permissions).await
    }

    pub async fn developer(&self) -> TestUser {
        self.user(PermissionSet::all()).await
    }

    pub async fn user_token(&self, user_id: i64) -> String {
        let state = &self.app.state;
        let entry = state
            .directory
            .user(&state.db, user_id)
            .await
            .unwrap()
            .unwrap();
        let token = oneportal::services::users::mint_user_token(
            &state.db,
            &state.authority,
            &state.keys.current(),
            &entry,
            900,
            &oneportal::audit::Actor::Cli,
        )
        .await
        .unwrap();
        crate::hygiene::record("user_token", &token);
        token
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub async fn post_json(&self, path: &str, token: &str, body: Value) -> Response {
        self.http
            .post(self.at(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A JSON document that needs no token (discovery, JWKS, OpenAPI).
    pub async fn get_public_json(&self, path: &str) -> Value {
        self.http
            .get(self.at(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// POSTs `body` as it is, labelled JSON: for bodies a typed value cannot make
    /// (malformed, oversized, with odd characters).
    pub async fn post_raw_json(
        &self,
        path: &str,
        token: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        self.http
            .post(self.at(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// A JSON answer to a GET with `token`, which must succeed.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, token).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.http
            .get(self.at(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Creates a client through the API; returns (client id, secret).
    pub async fn create_client(&self, user: &TestUser, scopes: &[&str]) -> (String, String) {
        let name = format!("client {}", oneportal::auth::random::alphanumeric(8));
        let response = self
            .post_json(
                "/v2/api-clients",
                &user.token,
                json!({ "apiClientName": name, "scopes": scopes }),
            )
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let body: Value = response.json().await.unwrap();
        let secret = body["clientSecret"].as_str().unwrap().to_owned();
        crate::hygiene::record("client_secret", &secret);
        (body["clientId"].as_str().unwrap().to_owned(), secret)
    }

    /// `POST /oauth2/token` with HTTP Basic and an optional scope.
    pub async fn request_token(&self, id: &str, secret: &str, scope: Option<&str>) -> Response {
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.http
            .post(self.at("/oauth2/token"))
            .basic_auth(id, Some(secret))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    pub async fn access_token(&self, id: &str, secret: &str) -> String {
        let response = self.request_token(id, secret, None).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let token = response.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        crate::hygiene::record("access_token", &token);
        token
    }

    /// Signs arbitrary header and claims with the server's active key.
    pub fn forge(&self, header: Value, claims: Value) -> String {
        let keys = self.app.state.keys.current();
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let signature = keys.active.sign_bytes(input.as_bytes());
        format!("{input}.{}", B64.encode(signature))
    }

    /// Valid claims for a client token, to alter one at a time.
    pub fn claims_for(&self, client_id: &str) -> Value {
        let now = oneportal_store::now_ms() / 1000;
        json!({
            "iss": self.url, "sub": client_id, "aud": format!("{}/v2", self.url),
            "exp": now + 600, "iat": now, "nbf": now, "jti": oneportal::auth::random::alphanumeric(20),
            "client_id": client_id, "scope": "customerapi/basic.read",
            "org_id": IdKind::Organization.format(self.org_id), "token_use": "client"
        })
    }

    pub fn header(&self) -> Value {
        let keys = self.app.state.keys.current();
        json!({ "alg": keys.active.alg.as_str(), "typ": "at+jwt", "kid": keys.active.kid })
    }
}

pub async fn problem(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A site of `account_id` with nothing but what access tests look at.
pub fn bare_site(org_id: i64, account_id: i64) -> oneportal_store::catalog::NewSite<'static> {
    oneportal_store::catalog::NewSite {
        org_id,
        account_id,
        name: "S",
        street: "",
        city: "Amsterdam",
        postal_code: "",
        country: "NL",
        latitude: 0.0,
        longitude: 0.0,
        at: 1,
    }
}

/// A service of the two accounts at `site_id`, as access tests need one.
pub fn bare_service(
    org_id: i64,
    contract: i64,
    delivery: i64,
    site_id: i64,
) -> oneportal_store::catalog::NewService<'static> {
    oneportal_store::catalog::NewService {
        org_id,
        service_name: "I",
        service_type: ServiceType::GlobalInternet,
        status: ServiceStatus::RFS,
        contract_account_id: contract,
        delivery_account_id: delivery,
        site_id,
        downstream_mbps: 1,
        upstream_mbps: 1,
        planned_delivery_date: None,
        ready_for_service_date: None,
        technical_note: "",
        technical_details: "{}",
        customer_reference: "",
        at: 1,
    }
}

/// An incident on `service` (at `site`, of the two accounts), as access tests need one.
pub fn bare_incident(
    org_id: i64,
    service: i64,
    site: i64,
    contract: i64,
    delivery: i64,
) -> oneportal_store::cases::NewCase {
    use oneportal_domain::case::{CaseOrigin, CasePriority, CaseSubject, CaseType};
    oneportal_store::cases::NewCase {
        org_id,
        case_type: CaseType::Incident,
        subject: CaseSubject::ServiceDown,
        priority: CasePriority::P2,
        service_id: service,
        site_id: site,
        contract_account_id: contract,
        delivery_account_id: delivery,
        customer_reference: String::new(),
        origin: CaseOrigin::Portal,
        start_of_incident: Some(1),
        end_of_incident: None,
        contact_name: String::new(),
        contact_email: String::new(),
        contact_phone: String::new(),
        related_case_id: None,
        created_by: "matrix".into(),
        message: "down".into(),
        at: 1,
    }
}

/// The Python that has the independent libraries from PyPI the tests check with:
/// `standardwebhooks` (the webhook receiver) and `icalendar` (the maintenance
/// calendar's reader); `scripts/test` makes it.
pub fn python_with_test_libraries() -> std::path::PathBuf {
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/webhook-receiver-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: scripts/test makes it (python3 -m venv target/webhook-receiver-venv && target/webhook-receiver-venv/bin/pip install standardwebhooks icalendar)",
        python.display()
    );
    python
}

/// A client builder for the tests' own requests (reqwest needs the process's TLS
/// provider chosen first; the server picks aws-lc-rs).
pub fn http_client() -> reqwest::ClientBuilder {
    oneportal::http::outbound::install_tls_provider();
    reqwest::Client::builder()
}

/// On PostgreSQL the nodes share failure counts as a sliding estimate over
/// wall-clock minutes: failures just before a minute's end weigh a little less
/// just after it, so a burst that straddles the boundary may fall short of a
/// limit it reached. A burst expected to take `needed` starts in a minute with
/// that much left (as it would on one node, whose windows start at the first failure).
pub async fn with_room_in_the_minute(needed: std::time::Duration) {
    let minute = 60_000;
    let left = minute - oneportal_store::now_ms().rem_euclid(minute);
    if left < needed.as_millis() as i64 {
        tokio::time::sleep(std::time::Duration::from_millis(left as u64 + 50)).await;
    }
}
