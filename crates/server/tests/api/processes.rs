//! The real `oneportal` binary as separate processes, for tests that kill it,
//! take its database away or run several of it: [`Node`] says how a node is
//! configured and runs CLI commands; [`ServerProcess`] is one `serve` that is
//! killed when dropped; [`PrivatePostgres`] is a throw-away PostgreSQL cluster
//! a test may stop without disturbing the shared server on 5432.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::{backend_is_postgres, fresh_pg_database};

/// Long enough for a debug binary to migrate a fresh database on a busy 2-core machine.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The password of people made by [`Node::seed_person`].
pub const PASSWORD: &str = "a long enough password";

/// A port nobody listens on right now (bind port 0, read it, let it go).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// How one node is started: its storage, the shared master key and public URL.
#[derive(Clone)]
pub struct Node {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// What a load balancer in front of the nodes would be called; the token issuer.
    pub public_url: String,
    pub master_key: String,
    /// Extra `ONEPORTAL_*` settings, e.g. `("ONEPORTAL_RATE_LIMITS__BURST", "5")`.
    pub env: Vec<(String, String)>,
}

impl Node {
    /// A node on the test backend: a fresh PostgreSQL database, or a SQLite file in `dir`.
    pub async fn on_test_backend(dir: &Path) -> Node {
        let database_url = if backend_is_postgres() {
            Some(fresh_pg_database().await)
        } else {
            None
        };
        Node::new(dir, database_url)
    }

    pub fn new(dir: &Path, database_url: Option<String>) -> Node {
        Node {
            data_dir: dir.to_path_buf(),
            database_url,
            public_url: "http://oneportal.test".into(),
            master_key: base64::engine::general_purpose::STANDARD
                .encode(oneportal::auth::random::bytes::<32>()),
            env: vec![
                // Tests call quickly from one address; limits are switched on where they are the subject.
                ("ONEPORTAL_OAUTH__ISSUANCE_PER_MINUTE".into(), "0".into()),
                (
                    "ONEPORTAL_RATE_LIMITS__REQUESTS_PER_MINUTE".into(),
                    "0".into(),
                ),
            ],
        }
    }

    /// The same database and keys, with its own data directory: another machine.
    pub fn another_node(&self, dir: &Path) -> Node {
        Node {
            data_dir: dir.to_path_buf(),
            ..self.clone()
        }
    }

    pub fn with_env(mut self, key: &str, value: &str) -> Node {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
        self
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_oneportal"));
        command
            .args(args)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--public-url")
            .arg(&self.public_url)
            .env("ONEPORTAL_MASTER_KEY", &self.master_key)
            .env("ONEPORTAL_LOG_FORMAT", "text")
            // Only what this Node says configures the process.
            .env_remove("ONEPORTAL_CONFIG")
            .env_remove("ONEPORTAL_DATABASE_URL")
            .env_remove("ONEPORTAL_MASTER_KEY_FILE")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(url) = &self.database_url {
            command.arg("--database-url").arg(url);
        }
        command
    }

    /// Runs a CLI command to completion; its standard output, or a panic with its errors.
    pub fn run(&self, args: &[&str]) -> String {
        let Output {
            status,
            stdout,
            stderr,
        } = self.command(args).output().expect("oneportal runs");
        assert!(
            status.success(),
            "oneportal {args:?} failed: {}",
            String::from_utf8_lossy(&stderr)
        );
        String::from_utf8(stdout).expect("UTF-8 output")
    }

    /// An organization with the demo catalog and a user holding every permission
    /// (password [`PASSWORD`]); returns the user's token from `oneportal users token`.
    pub fn seed_organization(&self, organization: &str) -> String {
        self.seed_person(organization).1
    }

    /// Like [`Node::seed_organization`], also returning the person's email.
    pub fn seed_person(&self, organization: &str) -> (String, String) {
        self.run(&["seed", "--cases", "0", "--organization", organization]);
        let email = format!(
            "{}@example.test",
            oneportal::auth::random::alphanumeric(10).to_lowercase()
        );
        self.run(&[
            "users",
            "create",
            "--email",
            &email,
            "--first-name",
            "Load",
            "--last-name",
            "Tester",
            "--organization",
            organization,
            "--permissions",
            "all",
            "--password",
            PASSWORD,
        ]);
        let token = self
            .run(&["users", "token", "--email", &email, "--ttl", "3600"])
            .trim()
            .to_owned();
        (email, token)
    }

    /// Starts `oneportal serve` on a free port and waits until `/readyz` answers 200.
    pub async fn serve(&self) -> ServerProcess {
        let port = free_port();
        let log_path = self.data_dir.join(format!("serve-{port}.log"));
        let log = File::create(&log_path).expect("log file");
        let child = self
            .command(&["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("oneportal serve starts");
        let mut server = ServerProcess {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log_path,
            http: crate::helpers::http_client()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        };
        server.wait_ready(START_TIMEOUT).await;
        server
    }
}

/// One running `oneportal serve`; killed (SIGKILL) and reaped when dropped, also on panic.
pub struct ServerProcess {
    child: Child,
    /// Where this node listens (not the shared public URL).
    pub url: String,
    log_path: PathBuf,
    pub http: reqwest::Client,
}

impl ServerProcess {
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The end of this node's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let start = text.len().saturating_sub(4000);
        let start = (start..text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        text[start..].to_owned()
    }

    async fn wait_ready(&mut self, timeout: Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("child status") {
                panic!(
                    "oneportal serve exited with {status} before it was ready:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(response) = self.http.get(self.at("/readyz")).send().await
                && response.status() == 200
            {
                return;
            }
            assert!(
                started.elapsed() < timeout,
                "oneportal serve was not ready within {timeout:?}:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL: no graceful shutdown, no flush; what a power cut does to the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.at(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", self.log_tail()))
    }

    pub async fn post_json(&self, path: &str, token: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.at(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}\n{}", self.log_tail()))
    }

    /// `POST /v2/api-clients`; returns (client id, secret).
    pub async fn create_client(&self, user_token: &str, scopes: &[&str]) -> (String, String) {
        let name = format!("client {}", oneportal::auth::random::alphanumeric(8));
        let response = self
            .post_json(
                "/v2/api-clients",
                user_token,
                json!({ "apiClientName": name, "scopes": scopes }),
            )
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let body: Value = response.json().await.unwrap();
        (
            body["clientId"].as_str().unwrap().to_owned(),
            body["clientSecret"].as_str().unwrap().to_owned(),
        )
    }

    /// `POST /oauth2/token` with HTTP Basic.
    pub async fn request_token(&self, id: &str, secret: &str) -> reqwest::Response {
        self.http
            .post(self.at("/oauth2/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST /oauth2/token: {e}\n{}", self.log_tail()))
    }

    pub async fn access_token(&self, id: &str, secret: &str) -> String {
        let response = self.request_token(id, secret).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        response.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The first service the caller can see, for opening cases on.
    pub async fn first_service(&self, token: &str) -> String {
        let response = self.get("/v2/services?limit=1", token).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["data"][0]["serviceId"]
            .as_str()
            .expect("the seeded catalog has a service")
            .to_owned()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A case body every caller with `support.read-write` may send.
pub fn new_case(service_id: &str, message: &str) -> Value {
    json!({
        "type": "NonIncident",
        "subject": "Other",
        "priority": "P3",
        "serviceId": service_id,
        "message": message
    })
}

/// Polls `check` until it holds or `within` has passed; true when it held.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return true;
        }
        if started.elapsed() >= within {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Debian's PostgreSQL binaries, the newest version installed.
fn pg_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// A PostgreSQL cluster of the test's own, in a temporary directory on a free
/// port, with trust authentication. Run as the `postgres` OS user when the
/// tests run as root (PostgreSQL refuses root). Stopped and deleted on drop.
pub struct PrivatePostgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    as_postgres: bool,
}

impl PrivatePostgres {
    /// None when this machine has no PostgreSQL server binaries (`/usr/lib/postgresql/*/bin`).
    pub fn start() -> Option<PrivatePostgres> {
        let bin = pg_bin()?;
        let dir = tempfile::Builder::new()
            .prefix("oneportal-pg-")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir(dir.path().join("sock")).expect("socket dir");
        use std::os::unix::fs::MetadataExt;
        let as_postgres = std::fs::metadata("/proc/self").map(|m| m.uid()).ok() == Some(0);
        if as_postgres {
            let (uid, gid) = postgres_user();
            for path in [dir.path().to_path_buf(), dir.path().join("sock")] {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid)).expect("chown to postgres");
            }
        }
        let cluster = PrivatePostgres {
            bin,
            dir,
            port: free_port(),
            as_postgres,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        );
        cluster.start_again();
        Some(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(program)
        };
        command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        command
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self
            .command(program, args)
            .output()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Starts (or restarts) the cluster and waits until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.path().join("sock").display()
        );
        let log = self.dir.path().join("postgres.log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Stops the cluster at once (connections are cut, as in a crash).
    pub fn stop(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .command(
                "pg_ctl",
                &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The `postgres` OS user's uid and gid, from /etc/passwd.
fn postgres_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.first() != Some(&"postgres") || fields.len() < 4 {
                return None;
            }
            Some((fields[2].parse().ok()?, fields[3].parse().ok()?))
        })
        .expect("a postgres OS user (PostgreSQL refuses to run as root)")
}

/// SQLite's files whatever the test backend: the database, its write-ahead log and shared memory.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_the_sqlite_files_are_private_to_the_server_user() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let node = Node::new(&data, None);
    // The first command creates the directory; serve finds it there.
    node.run(&["migrate"]);
    assert_eq!(mode(&data), 0o700, "a data directory OnePortal creates");
    let database = data.join("oneportal.db");
    let files = oneportal_store::db::sqlite_files(&database);
    let mut server = node.serve().await;
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    server.kill();

    // Files an older version left readable by everyone are tightened; the directory,
    // once it exists, is the operator's to choose, and a warning says it is open.
    for file in files.iter().filter(|f| f.exists()) {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = node.serve().await;
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&data), 0o755);
    assert!(
        server
            .log_tail()
            .contains("the data directory is open to other users"),
        "{}",
        server.log_tail()
    );
}
