//! Secret hygiene: with `ONEPORTAL_HYGIENE_DIR` set (scripts/test sets it), this
//! test binary writes down every client secret, password and access token its
//! tests handle, logs every server in it at debug level, and keeps the test
//! databases (SQLite files; PostgreSQL database names), so that
//! `scripts/secret-hygiene` can look for those secrets where they must never be.
//! Without the variable nothing is recorded and nothing is kept.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once, OnceLock};

/// The run's hygiene directory, created on first use; `None` when the check is off.
pub fn dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(std::env::var_os("ONEPORTAL_HYGIENE_DIR")?);
        std::fs::create_dir_all(dir.join("data")).expect("hygiene directory");
        Some(dir)
    })
    .as_deref()
}

fn append(file: &'static OnceLock<Mutex<std::fs::File>>, name: &str, line: &str) {
    let Some(dir) = dir() else { return };
    let file = file.get_or_init(|| {
        let path = dir.join(format!("{name}-{}.txt", std::process::id()));
        Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("hygiene record file"),
        )
    });
    writeln!(file.lock().unwrap(), "{line}").expect("hygiene record written");
}

/// A secret a test handled, by kind (`client_secret`, `access_token`, `user_token`, `password`).
pub fn record(kind: &str, value: &str) {
    static FILE: OnceLock<Mutex<std::fs::File>> = OnceLock::new();
    assert!(!value.contains(['\t', '\n']), "one secret per line");
    append(&FILE, "secrets", &format!("{kind}\t{value}"));
}

/// A PostgreSQL database a test created, to be dumped and searched before it is dropped.
pub fn record_database(name: &str) {
    static FILE: OnceLock<Mutex<std::fs::File>> = OnceLock::new();
    append(&FILE, "databases", name);
}

/// The servers' logs (tracing, debug level for OnePortal, sqlx and tower-http) go
/// to `logs-<pid>.txt`; installed once per test binary.
pub fn start_logging() {
    static ONCE: Once = Once::new();
    let Some(dir) = dir() else { return };
    ONCE.call_once(|| {
        let file = std::fs::File::create(dir.join(format!("logs-{}.txt", std::process::id())))
            .expect("hygiene log file");
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "info,oneportal=debug,oneportal_store=debug,sqlx=debug,tower_http=debug",
            ))
            .with_ansi(false)
            .with_writer(Mutex::new(file))
            .try_init();
    });
}

/// A data directory for one test server: kept under the hygiene directory when the
/// check is on (the script searches the SQLite files, then deletes them).
pub fn data_dir() -> tempfile::TempDir {
    match dir() {
        Some(dir) => tempfile::Builder::new()
            .prefix("app-")
            .disable_cleanup(true)
            .tempdir_in(dir.join("data"))
            .expect("kept data dir"),
        None => tempfile::tempdir().expect("temp dir"),
    }
}

#[test]
fn the_hygiene_check_reports_a_planted_secret_by_kind_and_hash_only() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/secret-hygiene");
    let run = tempfile::tempdir().unwrap();
    let root = run.path();
    std::fs::create_dir_all(root.join("data/app-1")).unwrap();
    let token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJVU1ItMDAwMDAxIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU";
    let secret = "opsk_planted0secret0value0that0is0long0enough0X1";
    std::fs::write(
        root.join("secrets-1.txt"),
        format!(
            "user_token\t{token}\nclient_secret\t{secret}\npassword\tcorrect horse battery staple\n"
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("logs-1.txt"),
        "INFO request path=/v2/me status=200\n",
    )
    .unwrap();
    std::fs::write(
        root.join("data/app-1/oneportal.db"),
        b"SQLite format 3\0\x01\x02",
    )
    .unwrap();

    let check = || {
        std::process::Command::new("bash")
            .arg(&script)
            .arg(root)
            .arg("--keep")
            .output()
            .expect("bash runs scripts/secret-hygiene")
    };
    let clean = check();
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );

    // The same files with a token in a log line and a password in a database page.
    std::fs::write(
        root.join("logs-1.txt"),
        format!("DEBUG verify token={token}\n"),
    )
    .unwrap();
    std::fs::write(
        root.join("data/app-1/oneportal.db-wal"),
        b"\0\0page correct horse battery staple \xff\xfe",
    )
    .unwrap();
    let leaked = check();
    let report = String::from_utf8_lossy(&leaked.stdout).into_owned()
        + &String::from_utf8_lossy(&leaked.stderr);
    assert_eq!(leaked.status.code(), Some(1), "{report}");
    assert!(
        report.contains("user_token") && report.contains("logs-1.txt"),
        "{report}"
    );
    assert!(
        report.contains("password") && report.contains("oneportal.db-wal"),
        "{report}"
    );
    assert!(
        !report.contains(token) && !report.contains("correct horse"),
        "{report}"
    );
}
