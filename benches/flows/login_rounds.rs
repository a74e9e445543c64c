//! Password logins in rounds, each after timing one hash and every core
//! hashing at once: both move with what the machine's neighbours do to the
//! shared cache, so a round holds its logins against the hash timed beside
//! them, and the round with the median share stands for the run.

use std::time::Duration;

use crate::in_process;
use crate::one_by_one::SignInPage;
use crate::runs::Runner;
use crate::wrk::Wrk;

/// One round: the baselines, then the login load.
pub struct LoginRound {
    pub hash_time: Duration,
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
    /// Logins per second against cores / one hash's time.
    pub fn share(&self, cores: usize) -> f64 {
        self.logins.requests_per_sec * self.hash_time.as_secs_f64() / cores as f64
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
    let hash_time = in_process::hash_time()?;
    let parallel_hashing_per_sec = in_process::parallel_hashing_rate(cores)?;
    let logins = runner.logins(page)?;
    Ok(LoginRound {
        hash_time,
        parallel_hashing_per_sec,
        logins,
    })
}
