//! Runs the `wrk` load generator and reads its `--latency` report.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

/// How hard and how long `wrk` drives one endpoint.
#[derive(Debug, Clone)]
pub struct Load {
    pub threads: usize,
    pub connections: usize,
    /// In wrk's own syntax (`10s`, `1m`), passed through unchanged.
    pub duration: String,
}

impl Load {
    /// The same arguments printed in the report, so a reader can rerun them.
    pub fn describe(&self) -> String {
        format!(
            "wrk -t{} -c{} -d{} --latency",
            self.threads, self.connections, self.duration
        )
    }
}

/// What one `wrk` run measured.
#[derive(Debug, Clone)]
pub struct Wrk {
    pub requests_per_sec: f64,
    pub p99: Duration,
    /// Responses outside 2xx/3xx plus socket errors; a run with any is not a
    /// measurement of the endpoint it meant to hit.
    pub failures: u64,
    /// Responses by status code, when the script counted them (a
    /// `Statuses: 200=N 400=M` line); empty otherwise.
    pub statuses: BTreeMap<u16, u64>,
}

/// A request other than a plain `GET`: a Lua script with its arguments, and
/// extra headers.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub path: PathBuf,
    pub args: Vec<String>,
    /// Whole header lines, `Name: value`.
    pub headers: Vec<String>,
    /// wrk's `--timeout`, for requests that queue longer than its 2 s
    /// default by design (password hashing at saturation).
    pub timeout: Option<String>,
}

impl Wrk {
    /// The share of responses with `status` among those the script counted.
    pub fn share_of(&self, status: u16) -> f64 {
        let total: u64 = self.statuses.values().sum();
        match total {
            0 => 0.0,
            _ => self.statuses.get(&status).copied().unwrap_or(0) as f64 / total as f64,
        }
    }
}

/// Fails early, with the fix, when `wrk` is not installed.
pub fn ensure_installed() -> anyhow::Result<()> {
    match Command::new("wrk").arg("--version").output() {
        Ok(_) => Ok(()),
        Err(_) => bail!("wrk is not installed; run `apt-get install wrk` and try again"),
    }
}

pub fn run(load: &Load, url: &str) -> anyhow::Result<Wrk> {
    run_script(load, url, None)
}

/// Runs wrk with `script`, which may set the method, body and headers.
pub fn run_script(load: &Load, url: &str, script: Option<&Script>) -> anyhow::Result<Wrk> {
    let mut command = Command::new("wrk");
    command
        .arg(format!("-t{}", load.threads))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}", load.duration))
        .arg("--latency");
    if let Some(script) = script {
        for header in &script.headers {
            command.arg("-H").arg(header);
        }
        if let Some(timeout) = &script.timeout {
            command.arg("--timeout").arg(timeout);
        }
        command.arg("-s").arg(&script.path);
    }
    command.arg(url);
    if let Some(script) = script {
        command.arg("--").args(&script.args);
    }
    let output = command.output().context("cannot run wrk")?;
    let report = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("wrk failed on {url}: {report}{stderr}");
    }

    parse(&report).with_context(|| format!("cannot read wrk's report for {url}:\n{report}"))
}

/// Reads the `Requests/sec:` line, the `99%` line of the latency
/// distribution, and the error counters wrk prints only when there are any.
pub fn parse(report: &str) -> anyhow::Result<Wrk> {
    let requests_per_sec = field(report, "Requests/sec:")
        .context("no Requests/sec line")?
        .parse()
        .context("Requests/sec is not a number")?;
    let p99 = field(report, "99%")
        .context("no 99% latency line; was --latency given?")
        .and_then(parse_latency)?;

    Ok(Wrk {
        requests_per_sec,
        p99,
        failures: non_2xx(report) + socket_errors(report),
        statuses: statuses(report)?,
    })
}

/// Reads `Statuses: 200=950 400=3`, printed by the scripts that count.
fn statuses(report: &str) -> anyhow::Result<BTreeMap<u16, u64>> {
    let Some(line) = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("Statuses:"))
    else {
        return Ok(BTreeMap::new());
    };
    line.split_whitespace()
        .map(|pair| {
            let (status, count) = pair
                .split_once('=')
                .with_context(|| format!("status count `{pair}` has no `=`"))?;
            Ok((status.parse()?, count.parse()?))
        })
        .collect()
}

/// The first word after `label` on the line that starts with it.
fn field<'a>(report: &'a str, label: &str) -> Option<&'a str> {
    report
        .lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
}

/// wrk prints latencies as `812.00us`, `4.38ms`, `1.02s` or `1.50m`.
fn parse_latency(text: &str) -> anyhow::Result<Duration> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| format!("latency `{text}` has no unit"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .with_context(|| format!("latency `{text}` is not a number"))?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => bail!("latency `{text}` has an unknown unit"),
    };
    Ok(Duration::from_secs_f64(seconds))
}

fn non_2xx(report: &str) -> u64 {
    field(report, "Non-2xx or 3xx responses:")
        .and_then(|count| count.parse().ok())
        .unwrap_or(0)
}

/// Sums `Socket errors: connect 0, read 0, write 0, timeout 0`.
fn socket_errors(report: &str) -> u64 {
    let Some(line) = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("Socket errors:"))
    else {
        return 0;
    };
    line.split(',')
        .filter_map(|part| part.split_whitespace().nth(1))
        .filter_map(|count| count.parse::<u64>().ok())
        .sum()
}

/// Checks the parser against a report as wrk 4.1 prints it, so a run under
/// `cargo test` proves the bench still reads wrk without loading anything.
pub fn self_check() -> anyhow::Result<()> {
    let wrk = parse(SAMPLE_REPORT)?;

    let rate_off = (wrk.requests_per_sec - 58391.83).abs() > 0.01;
    let p99_off = wrk.p99.abs_diff(Duration::from_micros(4380)) > Duration::from_micros(1);
    let statuses_off = wrk.statuses.get(&200) != Some(&584546) || wrk.statuses.len() != 2;
    if rate_off || p99_off || wrk.failures != 8 || statuses_off {
        bail!("wrk report misread: {wrk:?}");
    }
    Ok(())
}

const SAMPLE_REPORT: &str = "\
Running 10s test @ http://127.0.0.1:8080/jwks.json
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   635.91us    0.89ms  12.92ms   93.69%
    Req/Sec    29.37k     2.89k   36.75k    71.00%
  Latency Distribution
     50%  264.00us
     75%  496.00us
     90%    1.35ms
     99%    4.38ms
  584554 requests in 10.01s, 72.93MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:  58391.83
Transfer/sec:      7.29MB
Statuses: 200=584546 400=5
";
