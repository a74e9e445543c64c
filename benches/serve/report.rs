//! The figures of one run, with the targets they are held against: a table
//! for people, then one JSON line for machines. A miss is reported, never
//! fatal; this is a measurement, not a test.

use std::time::Duration;

use serde_json::json;

use crate::measured::{Measured, median};
use crate::wrk::Load;

/// Porteiro serves its cached documents at this share of a bare handler's
/// rate or better: the rest of the gap is its own per-request work.
const MIN_RATIO: f64 = 0.80;

/// From process start to the first 200 from `/readyz`, median of the
/// restarts on an existing database.
const MAX_READY: Duration = Duration::from_millis(100);

const MAX_IDLE_RSS_KIB: u64 = 20 * 1024;

/// A baseline whose runs are further apart than this says more about the
/// machine than about Porteiro.
const NOISY_SPREAD: f64 = 0.10;

pub struct Results {
    pub load: Load,
    pub rounds: usize,
    pub workers: usize,
    /// The bare handler, the baseline of every ratio.
    pub baseline: Measured,
    pub porteiro: Vec<Measured>,
    /// The start that created the database and the signing keys.
    pub first_ready: Duration,
    pub restarts_ready: Vec<Duration>,
    pub idle_rss_kib: u64,
    pub peak_rss_kib: u64,
}

impl Results {
    fn ratio(&self, measured: &Measured) -> f64 {
        measured.rate() / self.baseline.rate()
    }

    fn ready_median(&self) -> Duration {
        let seconds = self.restarts_ready.iter().map(Duration::as_secs_f64);
        Duration::from_secs_f64(median(seconds.collect()))
    }

    fn ready_max(&self) -> Duration {
        self.restarts_ready
            .iter()
            .max()
            .copied()
            .unwrap_or_default()
    }
}

pub fn print(results: &Results) {
    print_serving(results);
    print_process(results);
    println!("{}", to_json(results));
}

fn print_serving(results: &Results) {
    println!();
    println!(
        "Serving ({}; {} workers each; median of {} rounds)",
        results.load.describe(),
        results.workers,
        results.rounds,
    );
    println!(
        "  {:<36} {:>10} {:>8} {:>7} {:>7} {:>8} {:>7}  result",
        "endpoint", "req/s", "p99 ms", "spread", "errors", "vs bare", "target"
    );
    print_endpoint(&results.baseline, 1.0, "");

    for measured in &results.porteiro {
        let ratio = results.ratio(measured);
        let pass = verdict(ratio >= MIN_RATIO);
        let target = format!("{:>6.0}%  {pass}", MIN_RATIO * 100.0);
        print_endpoint(measured, ratio, &target);
    }

    let spread = results.baseline.spread();
    if spread > NOISY_SPREAD {
        println!(
            "  note: the bare handler's rate varied {:.0}% across rounds; \
             the machine was busy and the ratios are noisy",
            spread * 100.0
        );
    }
}

fn print_endpoint(measured: &Measured, ratio: f64, target: &str) {
    println!(
        "  {:<36} {:>10.0} {:>8.2} {:>6.0}% {:>7} {:>7.0}% {target}",
        measured.name,
        measured.rate(),
        millis(measured.p99()),
        measured.spread() * 100.0,
        measured.failures(),
        ratio * 100.0,
    );
}

fn print_process(results: &Results) {
    let starts = results.restarts_ready.len();
    let median = results.ready_median();
    let idle = results.idle_rss_kib;

    println!();
    println!("Porteiro process (SQLite)");
    println!(
        "  {:<44} {:>10} {:>10}  result",
        "measure", "value", "target"
    );
    let ready_target = format!("< {:.0} ms", millis(MAX_READY));
    let ready_median = format!("ready after restart, median of {starts}");
    row(
        &ready_median,
        ms(median),
        &ready_target,
        Some(median < MAX_READY),
    );
    row(
        &format!("ready after restart, max of {starts}"),
        ms(results.ready_max()),
        "",
        None,
    );
    row(
        "ready after first start (creates database)",
        ms(results.first_ready),
        "",
        None,
    );

    let rss_target = format!("< {} MiB", MAX_IDLE_RSS_KIB / 1024);
    row(
        "idle RSS (VmRSS, settled after ready)",
        mib(idle),
        &rss_target,
        Some(idle < MAX_IDLE_RSS_KIB),
    );
    row(
        "peak RSS (VmHWM, after the load)",
        mib(results.peak_rss_kib),
        "",
        None,
    );
    println!();
}

fn row(measure: &str, value: String, target: &str, pass: Option<bool>) {
    let result = pass.map(verdict).unwrap_or("");
    println!("  {measure:<44} {value:>10} {target:>10}  {result}");
}

fn to_json(results: &Results) -> serde_json::Value {
    let endpoint = |measured: &Measured| {
        json!({
            "name": measured.name,
            "requests_per_sec": measured.rate(),
            "p99_ms": millis(measured.p99()),
            "errors": measured.failures(),
            "ratio_to_bare": results.ratio(measured),
            "rounds_requests_per_sec": measured.rates(),
        })
    };
    let serving: Vec<_> = std::iter::once(&results.baseline)
        .chain(&results.porteiro)
        .map(endpoint)
        .collect();

    json!({
        "bench": "serve",
        "load": {
            "threads": results.load.threads,
            "connections": results.load.connections,
            "duration": results.load.duration,
            "rounds": results.rounds,
        },
        "workers": results.workers,
        "serving": serving,
        "ready_ms": {
            "first_start": millis(results.first_ready),
            "restarts": results.restarts_ready.iter().map(|d| millis(*d)).collect::<Vec<_>>(),
            "median": millis(results.ready_median()),
            "max": millis(results.ready_max()),
        },
        "rss_kib": { "idle": results.idle_rss_kib, "peak": results.peak_rss_kib },
        "targets": {
            "min_ratio_to_bare": MIN_RATIO,
            "max_ready_median_ms": millis(MAX_READY),
            "max_idle_rss_kib": MAX_IDLE_RSS_KIB,
        },
        "pass": passes(results),
    })
}

fn passes(results: &Results) -> serde_json::Value {
    let ratios_pass = results
        .porteiro
        .iter()
        .all(|measured| results.ratio(measured) >= MIN_RATIO);
    json!({
        "ratio_to_bare": ratios_pass,
        "ready_median": results.ready_median() < MAX_READY,
        "idle_rss": results.idle_rss_kib < MAX_IDLE_RSS_KIB,
    })
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", millis(duration))
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
