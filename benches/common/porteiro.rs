//! Porteiro as a child process: started with `serve` on a data directory of
//! its own, probed over loopback, stopped with SIGTERM and killed if it
//! lingers, also when the bench fails half-way.

use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tempfile::TempDir;

use crate::http;

/// Longest wait for `/readyz`, including the first start, which creates the
/// database and generates the signing keys.
const READY_LIMIT: Duration = Duration::from_secs(30);

/// Pause between readiness probes: fine enough to time a start to about a
/// millisecond without spinning a core the server needs.
const PROBE_INTERVAL: Duration = Duration::from_millis(1);

const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Porteiro drains in-flight requests for up to 10 s after SIGTERM; past
/// this the bench kills it.
const STOP_LIMIT: Duration = Duration::from_secs(15);

/// What stays the same across starts: the data directory (so later starts
/// find an existing database) and the port (so the issuer stays the same).
pub struct Site {
    dir: TempDir,
    port: u16,
}

/// One running Porteiro, stopped when dropped.
pub struct Porteiro {
    child: Child,
    port: u16,
    log: PathBuf,
    /// From just before the process was spawned to the first 200 from
    /// `/readyz`.
    pub ready_after: Duration,
}

impl Site {
    pub fn new() -> anyhow::Result<Site> {
        let dir = tempfile::tempdir().context("cannot create a data directory")?;
        let port = http::free_port().context("cannot find a free port")?;
        Ok(Site { dir, port })
    }

    /// Spawns `porteiro serve` and waits until it is ready.
    pub fn start(&self) -> anyhow::Result<Porteiro> {
        let log = self.dir.path().join("porteiro.stderr.log");
        let stderr = File::options()
            .create(true)
            .append(true)
            .open(&log)
            .context("cannot open the server's log file")?;

        let started = Instant::now();
        let child = self
            .command()
            .stderr(stderr)
            .spawn()
            .context("cannot start porteiro")?;
        let mut porteiro = Porteiro {
            child,
            port: self.port,
            log,
            ready_after: Duration::ZERO,
        };
        porteiro.ready_after = porteiro.wait_ready(started)?;
        Ok(porteiro)
    }

    /// The data directory: the SQLite database and the development secret.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The issuer every start is configured with.
    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn command(&self) -> Command {
        let base = self.issuer();
        let mut command = Command::new(env!("CARGO_BIN_EXE_porteiro"));
        // Settings the person running the bench has exported would change
        // what is measured (a PostgreSQL URL, a debug log level).
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PORTEIRO_") {
                command.env_remove(&key);
            }
        }
        command
            .arg("serve")
            .current_dir(self.dir.path())
            .env("PORTEIRO_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("PORTEIRO_ISSUER", base)
            .env("PORTEIRO_DATA_DIR", self.dir.path())
            .env("PORTEIRO_LOG__LEVEL", "warn")
            // The first start prints the admin password here; nobody needs it.
            .stdout(Stdio::null())
            .stdin(Stdio::null());
        command
    }
}

impl Porteiro {
    pub fn addr(&self) -> SocketAddr {
        http::loopback(self.port)
    }

    /// A `kB` field of `/proc/PID/status`, such as `VmRSS` or `VmHWM`.
    pub fn status_kib(&self, field: &str) -> anyhow::Result<u64> {
        let path = format!("/proc/{}/status", self.child.id());
        let status =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .with_context(|| format!("no {field} in {path}"))
    }

    /// Sends SIGTERM and waits for the graceful shutdown; a slow or failed
    /// one is reported, as it is news about the server, not about the bench.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let status = self.terminate()?;
        if !status.success() {
            eprintln!(
                "warning: porteiro exited with {status} after SIGTERM\n{}",
                self.log_tail()
            );
        }
        Ok(())
    }

    fn wait_ready(&mut self, started: Instant) -> anyhow::Result<Duration> {
        let addr = self.addr();
        while started.elapsed() < READY_LIMIT {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "porteiro exited with {status} before ready\n{}",
                    self.log_tail()
                );
            }
            if let Ok(200) = http::get_status(addr, "/readyz", PROBE_TIMEOUT) {
                return Ok(started.elapsed());
            }
            thread::sleep(PROBE_INTERVAL);
        }
        bail!(
            "porteiro was not ready after {READY_LIMIT:?}\n{}",
            self.log_tail()
        )
    }

    fn terminate(&mut self) -> anyhow::Result<ExitStatus> {
        if let Some(status) = self.child.try_wait()? {
            return Ok(status);
        }

        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .context("cannot run kill")?;
        let asked = Instant::now();
        while asked.elapsed() < STOP_LIMIT {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            thread::sleep(Duration::from_millis(10));
        }

        eprintln!("warning: porteiro ignored SIGTERM for {STOP_LIMIT:?}; killing it");
        self.child.kill()?;
        Ok(self.child.wait()?)
    }

    /// The end of the server's standard error, to explain a failure.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Porteiro {
    fn drop(&mut self) {
        if let Err(error) = self.terminate() {
            eprintln!(
                "warning: cannot stop porteiro (pid {}): {error:#}",
                self.child.id()
            );
        }
    }
}
