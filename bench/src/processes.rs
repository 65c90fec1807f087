//! The processes under test: OnePortal's release binary and the peer.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

pub fn build_release(root: &Path) -> anyhow::Result<PathBuf> {
    eprintln!("building the release binary ...");
    let status = Command::new("cargo")
        .current_dir(root)
        .args([
            "build",
            "--release",
            "-p",
            "oneportal",
            "--bin",
            "oneportal",
        ])
        .status()?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    Ok(root.join("target/release/oneportal"))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn wait_for_port(port: u16, child: &mut Child) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("the process exited before listening ({status})");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("nothing listened on port {port} within a minute")
}

/// A new, empty `op_bench` database on the machine's PostgreSQL, or `None` when
/// PostgreSQL is not reachable on 127.0.0.1:5432.
pub fn fresh_bench_database() -> Option<String> {
    TcpStream::connect(("127.0.0.1", 5432)).ok()?;
    let admin = "postgres://postgres@127.0.0.1:5432/postgres";
    let recreated = Command::new("psql")
        .args([
            admin,
            "-qc",
            "DROP DATABASE IF EXISTS op_bench",
            "-qc",
            "CREATE DATABASE op_bench",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !recreated {
        eprintln!("could not recreate the op_bench database with psql");
        return None;
    }
    Some("postgres://postgres@127.0.0.1:5432/op_bench".into())
}

/// OnePortal on a free port with its own data directory.
pub struct Server {
    child: Child,
    binary: PathBuf,
    data_dir: tempfile::TempDir,
    database_url: Option<String>,
    pub url: String,
    http: reqwest::Client,
}

pub const PASSWORD: &str = "benchmark-password-1234";
/// `benchmark-only-master-key-32byte`, base64: benchmark data protects nothing.
const BENCH_MASTER_KEY: &str = "YmVuY2htYXJrLW9ubHktbWFzdGVyLWtleS0zMmJ5dGU=";

impl Server {
    /// OnePortal on embedded SQLite, or on PostgreSQL when `database_url` is given.
    pub async fn start(
        binary: &Path,
        algorithm: &str,
        database_url: Option<&str>,
    ) -> anyhow::Result<Server> {
        Server::start_with(binary, algorithm, database_url, &[]).await
    }

    /// The same, with extra settings in the environment.
    pub async fn start_with(
        binary: &Path,
        algorithm: &str,
        database_url: Option<&str>,
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Server> {
        let port = free_port()?;
        let data_dir = tempfile::tempdir()?;
        let mut command = Command::new(binary);
        command
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data_dir.path());
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        let mut child = command
            // One key for every server the bench starts, so that a second run on the
            // same PostgreSQL database (`all` runs cases, then tokens) may open it.
            .env("ONEPORTAL_MASTER_KEY", BENCH_MASTER_KEY)
            .env("ONEPORTAL_OAUTH__ISSUANCE_PER_MINUTE", "0")
            // One load generator is one caller: per-client limits would measure themselves.
            .env("ONEPORTAL_RATE_LIMITS__REQUESTS_PER_MINUTE", "0")
            .env("ONEPORTAL_OAUTH__SIGNING_ALG", algorithm)
            .env("ONEPORTAL_LOG", "warn")
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .context("starting oneportal")?;
        wait_for_port(port, &mut child)?;
        // Let start-up allocations settle before reading idle memory.
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok(Server {
            child,
            binary: binary.to_owned(),
            data_dir,
            database_url: database_url.map(str::to_owned),
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The client the bench talks to this server with.
    pub fn http(&self) -> reqwest::Client {
        self.http.clone()
    }

    /// The server's own database, opened beside it as the server opens it (its
    /// SQLite file in the data directory, or its PostgreSQL database).
    pub async fn database(&self) -> anyhow::Result<oneportal_store::Db> {
        Ok(match &self.database_url {
            Some(url) => oneportal_store::Db::connect_postgres(url, 4).await?,
            None => {
                oneportal_store::Db::open_sqlite(
                    &self.data_dir.path().join("oneportal.db"),
                    oneportal_store::SqliteDurability::Normal,
                )
                .await?
            }
        })
    }

    pub fn rss_kib(&self) -> u64 {
        crate::load::status_kib(self.pid(), "VmRSS").unwrap_or_default()
    }

    /// A staff member of the provider (`noc@provider.example`) and an hour's staff token.
    pub fn staff_token(&self) -> anyhow::Result<String> {
        let email = "noc@provider.example";
        self.cli(&["staff", "create", "--email", email, "--name", "NOC"])?;
        self.cli(&["staff", "token", "--email", email, "--ttl", "3600"])
    }

    pub fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .arg("--data-dir")
            .arg(self.data_dir.path());
        if let Some(url) = &self.database_url {
            command.args(["--database-url", url]);
        }
        let output = command
            .args(["--public-url", &self.url])
            .env("ONEPORTAL_USER_PASSWORD", PASSWORD)
            .env("ONEPORTAL_MASTER_KEY", BENCH_MASTER_KEY)
            .output()?;
        if !output.status.success() {
            bail!(
                "oneportal {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8(output.stdout)?.trim().to_owned())
    }

    /// A developer of "Benchmark Org" and an API client with every scope; returns (client id, secret).
    pub async fn create_client(&self) -> anyhow::Result<(String, String)> {
        self.create_client_in("Benchmark Org", "bench@example.test")
            .await
    }

    /// A developer (`email`) of `organization` and an API client with every scope;
    /// returns (client id, secret).
    pub async fn create_client_in(
        &self,
        organization: &str,
        email: &str,
    ) -> anyhow::Result<(String, String)> {
        self.cli(&[
            "users",
            "create",
            "--email",
            email,
            "--first-name",
            "Bench",
            "--last-name",
            "Mark",
            "--organization",
            organization,
            "--permissions",
            "all",
        ])?;
        let token = self.cli(&["users", "token", "--email", email])?;
        let response = self
            .http
            .post(format!("{}/v2/api-clients", self.url))
            .bearer_auth(token)
            .json(&json!({"apiClientName": "load test", "scopes": ["BasicRead", "SupportReadWrite", "BillingRead"]}))
            .send()
            .await?;
        if response.status() != 201 {
            bail!(
                "creating the client answered {}: {}",
                response.status(),
                response.text().await?
            );
        }
        let body: Value = response.json().await?;
        Ok((
            body["clientId"].as_str().unwrap_or_default().to_owned(),
            body["clientSecret"].as_str().unwrap_or_default().to_owned(),
        ))
    }

    /// GET with a bearer token, as JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("GET {path} answered {}", response.status());
        }
        Ok(response.json().await?)
    }

    pub async fn access_token(&self, id: &str, secret: &str) -> anyhow::Result<String> {
        let body: Value = self
            .http
            .post(format!("{}/oauth2/token", self.url))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await?
            .json()
            .await?;
        body["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("no access token")
    }

    pub async fn wrong_secret_status(&self, id: &str) -> anyhow::Result<u16> {
        Ok(self
            .http
            .post(format!("{}/oauth2/token", self.url))
            .basic_auth(id, Some("opsk_wrong"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await?
            .status()
            .as_u16())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// panva's oidc-provider, installed from npm into target/bench/peer.
pub struct Peer {
    child: Child,
    pub url: String,
}

impl Peer {
    pub async fn start(root: &Path, algorithm: &str) -> anyhow::Result<Peer> {
        let source = root.join("../shared/bench/peer-oidc-provider");
        if !source.exists() {
            bail!("{} is missing", source.display());
        }
        let dir = root.join("target/bench/peer");
        std::fs::create_dir_all(&dir)?;
        for file in ["package.json", "server.mjs"] {
            std::fs::copy(source.join(file), dir.join(file))?;
        }
        if !dir.join("node_modules/oidc-provider").exists() {
            eprintln!("installing the peer: npm install (in {})", dir.display());
            let status = Command::new("npm")
                .current_dir(&dir)
                .args(["install", "--silent", "--no-audit", "--no-fund"])
                .status()?;
            if !status.success() {
                bail!("npm install failed");
            }
        }
        let port = free_port()?;
        let mut child = Command::new("node")
            .current_dir(&dir)
            .arg("server.mjs")
            .env("NODE_ENV", "production")
            .env("AT_ALG", algorithm)
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting node")?;
        wait_for_port(port, &mut child)?;
        Ok(Peer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
