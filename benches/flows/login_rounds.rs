//! Password logins in rounds, each held against one hash timed just before
//! and just after it. Both move with what the machine's neighbours do to
//! the shared cache and memory (one hash took 14 to 22 ms within minutes
//! here), so a round compares its logins with the hash timed around them,
//! and the round with the median share stands for the run.

use std::thread;
use std::time::Duration;

use crate::in_process;
use crate::one_by_one::SignInPage;
use crate::runs::Runner;
use crate::wrk::Wrk;

/// A pause before a hash is timed. When a run ends, the server still
/// hashes the logins its connections had queued (32 at most, about a
/// quarter of a second); timed beside them, one hash looks slower and the
/// logins' share higher than it is.
const SETTLE: Duration = Duration::from_secs(1);

/// One round: the baselines, the login load, one hash timed again.
pub struct LoginRound {
    pub hash_before: Duration,
    pub hash_after: Duration,
    pub parallel_hashing_per_sec: f64,
    pub logins: Wrk,
}

/// The median round, and every round's logins against what the cores could
/// hash, in the order they ran.
pub struct LoginRounds {
    pub median: LoginRound,
    pub shares: Vec<f64>,
}

impl LoginRound {
    /// One hash's time, the mean of the timings around the logins.
    pub fn hash_time(&self) -> Duration {
        (self.hash_before + self.hash_after) / 2
    }

    /// Logins per second against cores / one hash's time.
    pub fn share(&self, cores: usize) -> f64 {
        self.logins.requests_per_sec * self.hash_time().as_secs_f64() / cores as f64
    }
}

pub fn measure(
    runner: &Runner<'_>,
    page: &SignInPage,
    cores: usize,
    rounds: usize,
) -> anyhow::Result<LoginRounds> {
    let mut measured = (0..rounds)
        .map(|_| round(runner, page, cores))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let shares = measured.iter().map(|r| r.share(cores)).collect();

    measured.sort_by(|a, b| a.share(cores).total_cmp(&b.share(cores)));
    let median = measured.swap_remove(measured.len() / 2);
    Ok(LoginRounds { median, shares })
}

fn round(runner: &Runner<'_>, page: &SignInPage, cores: usize) -> anyhow::Result<LoginRound> {
    thread::sleep(SETTLE);
    let hash_before = in_process::hash_time()?;
    let parallel_hashing_per_sec = in_process::parallel_hashing_rate(cores)?;

    let logins = runner.logins(page)?;

    thread::sleep(SETTLE);
    let hash_after = in_process::hash_time()?;
    Ok(LoginRound {
        hash_before,
        hash_after,
        parallel_hashing_per_sec,
        logins,
    })
}
