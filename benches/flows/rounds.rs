//! The flows held to a share of a baseline that moves with the machine's
//! neighbours, run in rounds: each round measures its own baseline beside
//! its load, and the round with the median share stands for the run.
//!
//! One argon2id hash took 14 to 22 ms within minutes here, and one thread
//! signed 30,000 to 37,000 access tokens a second; a baseline measured once
//! could make a single load run look better or worse than it was.

use std::thread;
use std::time::Duration;

use crate::fixture::Fixture;
use crate::in_process;
use crate::one_by_one::SignInPage;
use crate::runs::Runner;
use crate::wrk::Wrk;
use porteiro::keys::KeyStore;

/// A pause before a hash is timed. When a login run ends, the server still
/// hashes the logins its connections had queued (32 at most, about a
/// quarter of a second); timed beside them, one hash looks slower and the
/// logins' share higher than it is.
const SETTLE: Duration = Duration::from_secs(1);

/// The median round, and every round's share of its baseline, in the order
/// they ran.
pub struct Rounds<T> {
    pub median: T,
    pub shares: Vec<f64>,
}

/// `client_credentials` over HTTP, then one thread signing the same tokens.
pub struct SigningRound {
    pub tokens: Wrk,
    pub signing_per_sec: f64,
}

/// One hash timed, every core hashing at once, the login load, one hash
/// timed again.
pub struct LoginRound {
    pub hash_before: Duration,
    pub hash_after: Duration,
    pub parallel_hashing_per_sec: f64,
    pub logins: Wrk,
}

impl SigningRound {
    pub fn share(&self) -> f64 {
        self.tokens.requests_per_sec / self.signing_per_sec
    }
}

impl LoginRound {
    /// One hash's time, the mean of the timings around the logins.
    pub fn hash_time(&self) -> Duration {
        (self.hash_before + self.hash_after) / 2
    }

    /// Logins per second the cores could hash at most: cores / one hash's
    /// time.
    pub fn hashing_per_sec(&self, cores: usize) -> f64 {
        cores as f64 / self.hash_time().as_secs_f64()
    }

    /// Logins per second against what the cores could hash.
    pub fn share(&self, cores: usize) -> f64 {
        self.logins.requests_per_sec / self.hashing_per_sec(cores)
    }
}

pub fn client_credentials(
    runner: &Runner<'_>,
    fixture: &Fixture,
    keys: &KeyStore,
    scopes: &str,
    rounds: usize,
) -> anyhow::Result<Rounds<SigningRound>> {
    let round = || {
        Ok(SigningRound {
            tokens: runner.client_credentials()?,
            signing_per_sec: in_process::signing_rate(fixture, keys, scopes)?,
        })
    };
    median_of(rounds, round, SigningRound::share)
}

pub fn logins(
    runner: &Runner<'_>,
    page: &SignInPage,
    cores: usize,
    rounds: usize,
) -> anyhow::Result<Rounds<LoginRound>> {
    let round = || {
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
    };
    median_of(rounds, round, |r: &LoginRound| r.share(cores))
}

fn median_of<T>(
    rounds: usize,
    mut round: impl FnMut() -> anyhow::Result<T>,
    share: impl Fn(&T) -> f64,
) -> anyhow::Result<Rounds<T>> {
    let mut measured = (0..rounds)
        .map(|_| round())
        .collect::<anyhow::Result<Vec<_>>>()?;
    let shares = measured.iter().map(&share).collect();

    measured.sort_by(|a, b| share(a).total_cmp(&share(b)));
    let median = measured.swap_remove(measured.len() / 2);
    Ok(Rounds { median, shares })
}
