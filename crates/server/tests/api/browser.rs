//! The portal as a browser uses it over HTTP: a cookie-keeping client that does
//! not follow redirects and sends this server's Origin, plus the people who log in.

use std::collections::HashMap;

use oneportal_domain::PermissionSet;
use oneportal_store::users;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};

use crate::helpers::TestApp;

/// Every test person's password.
pub const PASSWORD: &str = "correct horse battery staple";

pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub origin: String,
    pub cookies: HashMap<String, String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            http: crate::helpers::http_client()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.app.address_url(),
            origin: app.url.clone(),
            cookies: HashMap::new(),
        }
    }

    /// A browser logged in as a new person of the test organization.
    pub async fn signed_in(app: &TestApp, permissions: PermissionSet) -> Browser {
        Browser::signed_in_at(app, app.org_id, permissions).await
    }

    /// A browser logged in as a new person of `org_id`.
    pub async fn signed_in_at(app: &TestApp, org_id: i64, permissions: PermissionSet) -> Browser {
        let (_, email) = person_in(app, org_id, permissions).await;
        let mut browser = Browser::new(app);
        browser.login(&email).await;
        browser
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep_cookies(response.headers());
        response
    }

    /// The HTML of a page that must answer 200.
    pub async fn page(&mut self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.text().await.unwrap()
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header())
            .header("Origin", self.origin.clone())
            .form(fields)
            .send()
            .await
            .unwrap();
        self.keep_cookies(response.headers());
        response
    }

    /// A multipart form with the CSRF token and one file.
    pub async fn post_file(
        &mut self,
        path: &str,
        token: &str,
        name: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
            .unwrap();
        // A browser sends the file name as UTF-8 in quotes, not percent-encoded as reqwest would.
        let form = reqwest::multipart::Form::new()
            .percent_encode_noop()
            .text("csrf_token", token.to_owned())
            .part("file", part);
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header())
            .header("Origin", self.origin.clone())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.keep_cookies(response.headers());
        response
    }

    /// The CSRF token in the hidden field of the page at `path`.
    pub async fn csrf_from(&mut self, path: &str) -> String {
        let page = self.get(path).await.text().await.unwrap();
        hidden_csrf(&page)
    }

    pub async fn try_login(&mut self, email: &str, password: &str) -> Response {
        let token = self.csrf_from("/portal/login").await;
        self.post_form(
            "/portal/login",
            &[
                ("csrf_token", &token),
                ("email", email),
                ("password", password),
                ("next", "/portal/"),
            ],
        )
        .await
    }

    pub async fn login(&mut self, email: &str) {
        let response = self.try_login(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login succeeds");
    }
}

impl Browser {
    /// A browser logged in at `/staff/login` as a new staff member with `role`; returns it and the email.
    pub async fn staff(app: &TestApp, role: &str) -> (Browser, String) {
        let email = staff_member(app, role).await;
        let mut browser = Browser::new(app);
        let response = browser.try_staff_login(&email, PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "staff login succeeds"
        );
        (browser, email)
    }

    pub async fn try_staff_login(&mut self, email: &str, password: &str) -> Response {
        let token = self.csrf_from("/staff/login").await;
        self.post_form(
            "/staff/login",
            &[
                ("csrf_token", &token),
                ("email", email),
                ("password", password),
                ("next", "/staff/cases"),
            ],
        )
        .await
    }
}

/// An active staff member who logs in with [`PASSWORD`]; returns the email.
pub async fn staff_member(app: &TestApp, role: &str) -> String {
    let email = format!(
        "staff-{}@provider.example",
        oneportal::auth::random::alphanumeric(8).to_lowercase()
    );
    let hash = oneportal::auth::password::hash(PASSWORD.into())
        .await
        .unwrap();
    users::insert_staff(
        app.db(),
        &email,
        "Pat Provider",
        oneportal_domain::staff::StaffRole::parse(role).expect("a staff role"),
        Some(&hash),
    )
    .await
    .unwrap();
    email
}

pub fn hidden_csrf(page: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).expect("page has a CSRF field") + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .expect("a redirect")
        .to_str()
        .unwrap()
        .to_owned()
}

/// An active user of the test organization who logs in with [`PASSWORD`]: id and email.
pub async fn person(app: &TestApp, permissions: PermissionSet) -> (i64, String) {
    person_in(app, app.org_id, permissions).await
}

pub async fn person_in(app: &TestApp, org_id: i64, permissions: PermissionSet) -> (i64, String) {
    let user = app.user_in(org_id, permissions).await;
    crate::hygiene::record("password", PASSWORD);
    let hash = oneportal::auth::password::hash(PASSWORD.into())
        .await
        .unwrap();
    users::set_password_hash(app.db(), user.id, &hash)
        .await
        .unwrap();
    (user.id, user.email)
}
