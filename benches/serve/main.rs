//! How fast Porteiro serves its public documents next to a bare actix-web
//! handler, how soon it is ready after a start, and how much memory it holds.
//!
//! Run with `cargo bench --bench serve`; it needs `wrk` and sends traffic to
//! 127.0.0.1 only. Prints a table, then one JSON line for machines. These
//! environment variables change the run:
//!
//! - `PORTEIRO_BENCH_DURATION`: each wrk run, in wrk's syntax (default `10s`)
//! - `PORTEIRO_BENCH_CONNECTIONS`: open connections (default 32)
//! - `PORTEIRO_BENCH_THREADS`: wrk threads (default 2)
//! - `PORTEIRO_BENCH_ROUNDS`: runs of each endpoint, taken in turn (default 3)
//! - `PORTEIRO_BENCH_STARTS`: timed restarts on the existing database (default 5)

mod bare;
#[path = "../common/env.rs"]
mod env;
#[path = "../common/http.rs"]
mod http;
mod measured;
#[path = "../common/porteiro.rs"]
#[allow(
    dead_code,
    reason = "shared with the flows bench, which uses more of it"
)]
mod porteiro;
mod report;
#[path = "../common/wrk.rs"]
#[allow(
    dead_code,
    reason = "shared with the flows bench, which uses more of it"
)]
mod wrk;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use anyhow::{Context, bail};

use bare::BareServer;
use env::env_or;
use measured::Measured;
use porteiro::{Porteiro, Site};
use report::Results;
use wrk::Load;

/// Porteiro's endpoints under load; add a path here to measure it too.
const PORTEIRO_PATHS: &[&str] = &["/jwks.json", "/.well-known/openid-configuration"];

/// Wait after readiness before reading idle memory, so start-up work (the
/// key reloader's first tick, pool connections) has settled.
const SETTLE: Duration = Duration::from_secs(1);

/// A short run before each measured one, so the measured run starts on open
/// connections and warm caches.
const WARM_UP: &str = "1s";

const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

struct BenchSettings {
    load: Load,
    /// Runs of each target, taken in turn; the report shows their median.
    rounds: usize,
    starts: usize,
    /// Porteiro runs one worker per core; the bare server gets the same.
    workers: usize,
}

/// An endpoint to put under load.
struct Target {
    name: String,
    addr: SocketAddr,
    path: String,
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // gets a quick check of the wrk parser instead of minutes of load.
    let benching = std::env::args().any(|arg| arg == "--bench");
    let outcome = if benching { run() } else { wrk::self_check() };

    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("serve bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    wrk::ensure_installed()?;
    let settings = BenchSettings::from_env()?;

    let bare = BareServer::spawn(settings.workers)?;
    let site = Site::new()?;
    let (first_ready, restarts_ready) = time_starts(&site, settings.starts)?;

    let server = site.start()?;
    thread::sleep(SETTLE);
    let idle_rss_kib = server.status_kib("VmRSS")?;
    let mut targets = vec![bare_target(&bare)];
    targets.extend(porteiro_targets(&server));
    let mut measured = measure(&settings, &targets)?;
    let peak_rss_kib = server.status_kib("VmHWM")?;
    server.stop()?;
    bare.stop()?;

    let baseline = measured.remove(0);
    report::print(&Results {
        load: settings.load,
        rounds: settings.rounds,
        workers: settings.workers,
        baseline,
        porteiro: measured,
        first_ready,
        restarts_ready,
        idle_rss_kib,
        peak_rss_kib,
    });
    Ok(())
}

impl BenchSettings {
    fn from_env() -> anyhow::Result<BenchSettings> {
        let connections: usize = env_or("PORTEIRO_BENCH_CONNECTIONS", 32)?;
        let threads: usize = env_or("PORTEIRO_BENCH_THREADS", 2)?;
        let rounds = env_or("PORTEIRO_BENCH_ROUNDS", 3)?;
        let starts = env_or("PORTEIRO_BENCH_STARTS", 5)?;
        if [connections, threads, rounds, starts].contains(&0) {
            bail!("PORTEIRO_BENCH_CONNECTIONS, _THREADS, _ROUNDS and _STARTS must be at least 1");
        }

        let load = Load {
            // wrk refuses more threads than connections.
            threads: threads.min(connections),
            connections,
            duration: env_or("PORTEIRO_BENCH_DURATION", "10s".to_owned())?,
        };
        let workers = thread::available_parallelism().map_or(1, |n| n.get());
        Ok(BenchSettings {
            load,
            rounds,
            starts,
            workers,
        })
    }
}

fn bare_target(server: &BareServer) -> Target {
    Target {
        name: "bare actix-web handler".to_owned(),
        addr: server.addr,
        path: "/".to_owned(),
    }
}

fn porteiro_targets(server: &Porteiro) -> Vec<Target> {
    PORTEIRO_PATHS
        .iter()
        .map(|path| Target {
            name: (*path).to_owned(),
            addr: server.addr(),
            path: (*path).to_owned(),
        })
        .collect()
}

/// Times the first start, which creates the database, then each restart on
/// it, stopping every server before the next starts.
fn time_starts(site: &Site, restarts: usize) -> anyhow::Result<(Duration, Vec<Duration>)> {
    let mut times = (0..=restarts)
        .map(|_| {
            let server = site.start()?;
            let ready_after = server.ready_after;
            server.stop()?;
            Ok(ready_after)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

    let first = times.remove(0);
    Ok((first, times))
}

/// Puts the targets under the same load in turn, round after round, so a
/// change in what else the machine runs falls on all of them alike.
fn measure(settings: &BenchSettings, targets: &[Target]) -> anyhow::Result<Vec<Measured>> {
    for target in targets {
        check_and_warm_up(&settings.load, target)?;
    }

    let mut measured: Vec<Measured> = targets.iter().map(|t| Measured::new(&t.name)).collect();
    for _ in 0..settings.rounds {
        for (target, measured) in targets.iter().zip(&mut measured) {
            measured.runs.push(wrk::run(&settings.load, &target.url())?);
        }
    }
    Ok(measured)
}

fn check_and_warm_up(load: &Load, target: &Target) -> anyhow::Result<()> {
    // A 404 served fast is no measurement of the endpoint.
    let status = http::get_status(target.addr, &target.path, CHECK_TIMEOUT)
        .with_context(|| format!("cannot reach {}", target.url()))?;
    if status != 200 {
        bail!("{} answered {status}, not 200", target.url());
    }

    let warm_up = Load {
        duration: WARM_UP.to_owned(),
        ..load.clone()
    };
    wrk::run(&warm_up, &target.url())?;
    Ok(())
}

impl Target {
    fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.path)
    }
}
