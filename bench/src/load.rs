//! Driving `oha` and reading its JSON, plus the server's CPU and memory from /proc.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::Value;

/// Finds `oha`, installing it from crates.io when missing.
pub fn ensure_oha() -> anyhow::Result<PathBuf> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let installed = PathBuf::from(home).join(".cargo/bin/oha");
    if installed.exists() {
        return Ok(installed);
    }
    if Command::new("oha")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(PathBuf::from("oha"));
    }
    eprintln!("installing the load generator: cargo install oha --locked");
    let status = Command::new("cargo")
        .args(["install", "oha", "--locked"])
        .status()?;
    if !status.success() {
        bail!("could not install oha");
    }
    Ok(installed)
}

/// One request shape to repeat.
pub struct Load {
    args: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Measurement {
    pub name: String,
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub success_percent: f64,
    pub status_codes: Value,
    /// Server CPU time over wall time: 1.0 is one core busy.
    pub server_cpu_cores: f64,
    pub peak_rss_kib: u64,
}

impl Load {
    pub fn token_request(token_url: &str, client_id: &str, secret: &str) -> Load {
        Load {
            args: vec![
                "-m".into(),
                "POST".into(),
                "-a".into(),
                format!("{client_id}:{secret}"),
                "-T".into(),
                "application/x-www-form-urlencoded".into(),
                "-d".into(),
                "grant_type=client_credentials".into(),
                token_url.to_owned(),
            ],
        }
    }

    pub fn with_scope(mut self, scope: &str) -> Load {
        let body = self
            .args
            .iter()
            .position(|a| a == "grant_type=client_credentials")
            .expect("token body");
        self.args[body] = format!("grant_type=client_credentials&scope={scope}");
        self
    }

    pub fn get_with_bearer(url: &str, token: &str) -> Load {
        Load {
            args: vec![
                "-H".into(),
                format!("Authorization: Bearer {token}"),
                url.into(),
            ],
        }
    }

    /// A GET whose URL `oha` draws from a regular expression for every request.
    pub fn get_with_bearer_regex(url_regex: &str, token: &str) -> Load {
        Load {
            args: vec![
                "-H".into(),
                format!("Authorization: Bearer {token}"),
                "--rand-regex-url".into(),
                url_regex.into(),
            ],
        }
    }

    pub fn post_json_with_bearer(url: &str, token: &str, body: &str) -> Load {
        Load {
            args: vec![
                "-m".into(),
                "POST".into(),
                "-H".into(),
                format!("Authorization: Bearer {token}"),
                "-T".into(),
                "application/json".into(),
                "-d".into(),
                body.into(),
                url.into(),
            ],
        }
    }

    pub fn run(
        &self,
        oha: &Path,
        name: &str,
        connections: u32,
        duration: Duration,
        server_pid: u32,
    ) -> anyhow::Result<Measurement> {
        eprintln!("measuring {name} ...");
        let cpu_before = cpu_ticks(server_pid)?;
        let started = Instant::now();
        let output = Command::new(oha)
            .args([
                "--no-tui",
                "--output-format",
                "json",
                "-c",
                &connections.to_string(),
                "-z",
                &format!("{}s", duration.as_secs()),
            ])
            .args(&self.args)
            .output()
            .context("running oha")?;
        let wall = started.elapsed().as_secs_f64();
        let cpu = (cpu_ticks(server_pid)? - cpu_before) as f64 / ticks_per_second();
        if !output.status.success() {
            bail!("oha failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let report: Value = serde_json::from_slice(&output.stdout).context("reading oha's JSON")?;
        let seconds = |v: &Value| v.as_f64().unwrap_or(f64::NAN) * 1000.0;
        Ok(Measurement {
            name: name.to_owned(),
            requests_per_sec: report["summary"]["requestsPerSec"]
                .as_f64()
                .unwrap_or_default(),
            p50_ms: seconds(&report["latencyPercentiles"]["p50"]),
            p99_ms: seconds(&report["latencyPercentiles"]["p99"]),
            success_percent: report["summary"]["successRate"]
                .as_f64()
                .unwrap_or_default()
                * 100.0,
            status_codes: report["statusCodeDistribution"].clone(),
            server_cpu_cores: cpu / wall,
            peak_rss_kib: status_kib(server_pid, "VmHWM").unwrap_or_default(),
        })
    }
}

/// utime + stime of a process (and its threads), in clock ticks.
pub fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    Ok(fields
        .get(11)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or_default()
        + fields
            .get(12)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or_default())
}

pub fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// A `Vm*` line of /proc/PID/status, in KiB.
pub fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// GETs of many different URLs by many callers, each request the next of a
/// list of (caller's token, path). `oha` sends one set of headers, so these run
/// under `wrk` with a Lua script that picks each request's token.
pub struct Requests {
    pub tokens: Vec<String>,
    /// (index into `tokens`, path and query).
    pub paths: Vec<(usize, String)>,
}

impl Requests {
    /// Runs the list for `duration` against `base_url`; the files go under `scratch`.
    pub fn run(
        &self,
        scratch: &Path,
        base_url: &str,
        name: &str,
        connections: u32,
        duration: Duration,
        server_pid: u32,
    ) -> anyhow::Result<Measurement> {
        eprintln!("measuring {name} ({} URLs) ...", self.paths.len());
        std::fs::create_dir_all(scratch)?;
        let slug: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let tokens = scratch.join(format!("{slug}.tokens"));
        let paths = scratch.join(format!("{slug}.paths"));
        let script = scratch.join("distinct.lua");
        std::fs::write(&tokens, self.tokens.join("\n") + "\n")?;
        let mut lines = String::new();
        for (owner, path) in &self.paths {
            lines.push_str(&format!("{}\t{path}\n", owner + 1));
        }
        std::fs::write(&paths, lines)?;
        std::fs::write(&script, include_str!("distinct.lua"))?;
        let cpu_before = cpu_ticks(server_pid)?;
        let started = Instant::now();
        let output = Command::new("wrk")
            .args([
                "-t",
                "2",
                "-c",
                &connections.to_string(),
                "-d",
                &format!("{}s", duration.as_secs()),
                "--timeout",
                "10s",
                "-s",
            ])
            .arg(&script)
            .arg(base_url)
            .env("BENCH_TOKENS", &tokens)
            .env("BENCH_PATHS", &paths)
            .output()
            .context("running wrk (apt-get install wrk)")?;
        let wall = started.elapsed().as_secs_f64();
        let cpu = (cpu_ticks(server_pid)? - cpu_before) as f64 / ticks_per_second();
        if !output.status.success() {
            bail!("wrk failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .context("wrk printed no summary")?;
        let report: Value = serde_json::from_str(line)?;
        let number = |key: &str| report[key].as_f64().unwrap_or_default();
        let requests = number("requests");
        let failed = number("statusErrors")
            + number("connectErrors")
            + number("readErrors")
            + number("writeErrors")
            + number("timeouts");
        Ok(Measurement {
            name: name.to_owned(),
            requests_per_sec: requests / (number("durationUs") / 1e6),
            p50_ms: number("p50Us") / 1000.0,
            p99_ms: number("p99Us") / 1000.0,
            success_percent: if requests > 0.0 {
                100.0 * (requests - failed).max(0.0) / requests
            } else {
                0.0
            },
            status_codes: serde_json::json!({
                "4xx or 5xx": number("statusErrors"),
                "no answer": failed - number("statusErrors"),
            }),
            server_cpu_cores: cpu / wall,
            peak_rss_kib: status_kib(server_pid, "VmHWM").unwrap_or_default(),
        })
    }
}
