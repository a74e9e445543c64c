//! The figures of one run held against their targets: a table for people,
//! then one JSON line for machines. A miss is reported, never fatal; this
//! is a measurement, not a test.

use std::time::Duration;

use serde_json::json;

use crate::rounds::{LoginRound, Rounds, SigningRound};
use crate::wrk::{Load, Wrk};

/// `client_credentials` over HTTP against one thread signing the same
/// access tokens.
const MIN_SIGNING_SHARE: f64 = 0.60;

/// Authorization code exchanges answered 200, per second, SQLite.
const MIN_CODE_EXCHANGES: f64 = 2_000.0;

/// Logins against what the cores can hash: cores / one hash's time.
const MIN_HASHING_SHARE: f64 = 0.85;

/// `/jwks.json` while logins keep every hashing thread busy.
const MAX_JWKS_P99: Duration = Duration::from_millis(20);

/// `/userinfo` and `/introspect` against one thread verifying the same
/// tokens, deny-list included.
const MIN_VERIFYING_SHARE: f64 = 0.50;

pub struct Figures {
    pub load: Load,
    pub cores: usize,
    /// The median round stands for the run.
    pub client_credentials: Rounds<SigningRound>,
    pub code_exchange: Wrk,
    pub codes_prepared: usize,
    /// The bench client's registered ID token algorithm.
    pub id_token_alg: String,
    /// An access token and an ID token signed, as each exchange signs them.
    pub exchange_signing_per_sec: f64,
    /// The median round stands for the run; its baselines hold the
    /// logins beside JWKS too.
    pub logins: Rounds<LoginRound>,
    pub logins_beside_jwks: Wrk,
    pub jwks_beside_logins: Wrk,
    pub userinfo: Wrk,
    pub introspection: Wrk,
    pub verifying_per_sec: f64,
    pub deny_listed: usize,
}

/// One measured flow and the target it is held to, if any.
struct Row<'a> {
    name: &'static str,
    request: &'static str,
    wrk: &'a Wrk,
    /// Counts only these responses as done, when the run counted statuses.
    success: Option<u16>,
    /// What the rate is compared with, per second.
    baseline: Option<f64>,
    target: Option<Target>,
}

#[derive(Clone, Copy)]
enum Target {
    MinShare(f64),
    MinRate(f64),
    MaxP99(Duration),
}

impl Figures {
    /// Logins per second the cores could hash at most.
    pub fn hashing_per_sec(&self) -> f64 {
        self.logins.median.hashing_per_sec(self.cores)
    }

    fn hash_time(&self) -> Duration {
        self.logins.median.hash_time()
    }

    fn rows(&self) -> Vec<Row<'_>> {
        let share = |min| Some(Target::MinShare(min));
        vec![
            Row::new(
                "client credentials",
                "POST /token",
                &self.client_credentials.median.tokens,
            )
            .against(
                self.client_credentials.median.signing_per_sec,
                share(MIN_SIGNING_SHARE),
            ),
            Row {
                success: Some(200),
                ..Row::new("code exchange", "POST /token", &self.code_exchange).against(
                    self.exchange_signing_per_sec,
                    Some(Target::MinRate(MIN_CODE_EXCHANGES)),
                )
            },
            Row::new("password login", "POST /login", &self.logins.median.logins)
                .against(self.hashing_per_sec(), share(MIN_HASHING_SHARE)),
            Row::new(
                "  login beside JWKS load",
                "POST /login",
                &self.logins_beside_jwks,
            )
            .against(self.hashing_per_sec(), None),
            Row {
                target: Some(Target::MaxP99(MAX_JWKS_P99)),
                ..Row::new(
                    "  JWKS beside logins",
                    "GET /jwks.json",
                    &self.jwks_beside_logins,
                )
            },
            Row::new("userinfo", "GET /userinfo", &self.userinfo)
                .against(self.verifying_per_sec, share(MIN_VERIFYING_SHARE)),
            Row::new("introspection", "POST /introspect", &self.introspection)
                .against(self.verifying_per_sec, share(MIN_VERIFYING_SHARE)),
        ]
    }
}

impl<'a> Row<'a> {
    fn new(name: &'static str, request: &'static str, wrk: &'a Wrk) -> Row<'a> {
        Row {
            name,
            request,
            wrk,
            success: None,
            baseline: None,
            target: None,
        }
    }

    fn against(self, baseline: f64, target: Option<Target>) -> Row<'a> {
        Row {
            baseline: Some(baseline),
            target,
            ..self
        }
    }

    fn rate(&self) -> f64 {
        match self.success {
            Some(status) => self.wrk.requests_per_sec * self.wrk.share_of(status),
            None => self.wrk.requests_per_sec,
        }
    }

    /// Responses that do not count: other statuses when they were counted,
    /// else wrk's errors.
    fn errors(&self) -> u64 {
        match self.success {
            Some(status) => self
                .wrk
                .statuses
                .iter()
                .filter(|(code, _)| **code != status)
                .map(|(_, count)| count)
                .sum(),
            None => self.wrk.failures,
        }
    }

    fn share(&self) -> Option<f64> {
        self.baseline.map(|baseline| self.rate() / baseline)
    }

    fn passes(&self) -> Option<bool> {
        Some(match self.target? {
            Target::MinShare(min) => self.share()? >= min,
            Target::MinRate(min) => self.rate() >= min,
            Target::MaxP99(max) => self.wrk.p99 < max,
        })
    }

    fn target_text(&self) -> String {
        match self.target {
            None => String::new(),
            Some(Target::MinShare(min)) => format!(">= {:.0}% of base", min * 100.0),
            Some(Target::MinRate(min)) => format!(">= {min:.0}/s"),
            Some(Target::MaxP99(max)) => format!("p99 < {:.0} ms", millis(max)),
        }
    }

    /// How far the figure is from its target, as a share of the target:
    /// positive is the margin, negative the shortfall.
    fn margin(&self) -> Option<f64> {
        Some(match self.target? {
            Target::MinShare(min) => self.share()? / min - 1.0,
            Target::MinRate(min) => self.rate() / min - 1.0,
            Target::MaxP99(max) => 1.0 - millis(self.wrk.p99) / millis(max),
        })
    }
}

pub fn print(figures: &Figures) {
    print_flows(figures);
    print_baselines(figures);
    println!("{}", to_json(figures));
}

fn print_flows(figures: &Figures) {
    println!();
    println!(
        "Flows ({}; {} cores; SQLite)",
        figures.load.describe(),
        figures.cores
    );
    println!(
        "  {:<26} {:<17} {:>9} {:>8} {:>7} {:>8}  {:<18} {:>7}  result",
        "flow", "request", "req/s", "p99 ms", "errors", "of base", "target", "margin"
    );
    for row in figures.rows() {
        let share = row
            .share()
            .map_or(String::new(), |s| format!("{:.0}%", s * 100.0));
        let margin = row
            .margin()
            .map_or(String::new(), |m| format!("{:+.0}%", m * 100.0));
        let result = row.passes().map_or("", verdict);
        println!(
            "  {:<26} {:<17} {:>9.0} {:>8.2} {:>7} {:>8}  {:<18} {:>7}  {result}",
            row.name,
            row.request,
            row.rate(),
            millis(row.wrk.p99),
            row.errors(),
            share,
            row.target_text(),
            margin,
        );
    }

    let exchange = &figures.code_exchange;
    println!(
        "  code exchange statuses: {} ({} codes prepared; only 200s count)",
        statuses_text(exchange),
        figures.codes_prepared
    );
    println!(
        "  rounds, in turn (the median one is shown): client credentials {}; password login {}",
        percentages(&figures.client_credentials.shares),
        percentages(&figures.logins.shares)
    );
    let answered: u64 = exchange.statuses.values().sum();
    if answered as usize >= figures.codes_prepared {
        println!("  note: the run used up its codes; raise PORTEIRO_BENCH_CODES");
    }
}

fn print_baselines(figures: &Figures) {
    println!();
    println!("Baselines (\"base\" above: one thread of this process, no HTTP, no database)");
    println!(
        "  {:<56} {:>10}/s",
        "access token signed as client_credentials signs it",
        format!("{:.0}", figures.client_credentials.median.signing_per_sec)
    );
    println!(
        "  {:<56} {:>10}/s",
        format!(
            "access and {} ID token signed as a code exchange signs them",
            figures.id_token_alg
        ),
        format!("{:.0}", figures.exchange_signing_per_sec)
    );
    println!(
        "  {:<56} {:>10}/s",
        format!(
            "access token verified, deny-list of {} checked",
            figures.deny_listed
        ),
        format!("{:.0}", figures.verifying_per_sec)
    );
    println!(
        "  {:<56} {:>10}/s",
        format!(
            "logins the cores can hash ({} cores / {:.1} ms per hash, before and after)",
            figures.cores,
            millis(figures.hash_time())
        ),
        format!("{:.1}", figures.hashing_per_sec())
    );
    println!(
        "  {:<56} {:>10}/s",
        format!(
            "argon2id hashes with {} threads hashing at once (no target)",
            figures.cores
        ),
        format!("{:.1}", figures.logins.median.parallel_hashing_per_sec)
    );
    println!();
}

fn percentages(shares: &[f64]) -> String {
    let parts: Vec<String> = shares
        .iter()
        .map(|share| format!("{:.0}%", share * 100.0))
        .collect();
    parts.join(", ")
}

fn statuses_text(wrk: &Wrk) -> String {
    let parts: Vec<String> = wrk
        .statuses
        .iter()
        .map(|(status, count)| format!("{status}: {count}"))
        .collect();
    parts.join(", ")
}

fn to_json(figures: &Figures) -> serde_json::Value {
    let flows: Vec<_> = figures
        .rows()
        .iter()
        .map(|row| {
            json!({
                "name": row.name.trim(),
                "request": row.request,
                "requests_per_sec": row.rate(),
                "p99_ms": millis(row.wrk.p99),
                "errors": row.errors(),
                "baseline_per_sec": row.baseline,
                "share_of_baseline": row.share(),
                "target": row.target_text(),
                "pass": row.passes(),
            })
        })
        .collect();
    let statuses: serde_json::Map<String, serde_json::Value> = figures
        .code_exchange
        .statuses
        .iter()
        .map(|(status, count)| (status.to_string(), json!(count)))
        .collect();

    json!({
        "bench": "flows",
        "load": {
            "threads": figures.load.threads,
            "connections": figures.load.connections,
            "duration": figures.load.duration,
        },
        "cores": figures.cores,
        "flows": flows,
        "code_exchange_statuses": statuses,
        "round_shares": {
            "client_credentials": figures.client_credentials.shares,
            "password_login": figures.logins.shares,
        },
        "codes_prepared": figures.codes_prepared,
        "id_token_alg": figures.id_token_alg,
        "baselines": {
            "signing_per_sec": figures.client_credentials.median.signing_per_sec,
            "verifying_per_sec": figures.verifying_per_sec,
            "deny_listed": figures.deny_listed,
            "hash_ms": millis(figures.hash_time()),
            "hash_ms_before_logins": millis(figures.logins.median.hash_before),
            "hash_ms_after_logins": millis(figures.logins.median.hash_after),
            "hashing_per_sec": figures.hashing_per_sec(),
            "parallel_hashing_per_sec": figures.logins.median.parallel_hashing_per_sec,
            "exchange_signing_per_sec": figures.exchange_signing_per_sec,
        },
        "pass": figures.rows().iter().all(|row| row.passes() != Some(false)),
    })
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
