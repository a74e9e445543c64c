//! Delivers queued back-channel logout tokens: POSTs each to its client,
//! retrying with back-off on failure or time-out. Rows are leased before a
//! send, so with several instances each token goes out once per attempt,
//! and a row not yet delivered survives a restart.

use std::sync::OnceLock;

use std::time::Duration;

use tracing::Instrument;

use crate::clock::SharedClock;
use crate::storage::models::logout_delivery::LogoutDelivery;
use crate::storage::{Db, StorageError};

/// A send that takes longer counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a lease keeps other instances off a row being sent.
const LEASE_SECS: i64 = 30;
/// Attempts before a delivery is given up.
const MAX_ATTEMPTS: i32 = 12;
/// POSTs the row's logout token; the reason when it did not arrive.
async fn send(http: &reqwest::Client, row: &LogoutDelivery) -> Result<(), String> {
    let sent = http
        .post(&row.uri)
        .form(&[("logout_token", row.logout_token.as_str())])
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(format!("answered {}", response.status())),
        Err(error) if error.is_timeout() => Err("timed out".to_owned()),
        Err(_) => Err("could not connect".to_owned()),
    }
}

/// Rows handled per tick.
const BATCH: i64 = 32;

/// Seconds to wait after the `attempts`-th failure: 1, 2, 4 ... capped at 10 minutes.
pub fn backoff_secs(attempts: i32) -> i64 {
    let exponent = u32::try_from(attempts.clamp(1, 16) - 1).unwrap_or(0);
    (1_i64 << exponent).min(600)
}

pub struct Deliverer {
    db: Db,
    clock: SharedClock,
    /// Built at the first delivery: most servers send none for hours, and
    /// the TLS stack a client loads would otherwise stay resident from the
    /// start.
    http: OnceLock<reqwest::Client>,
}

impl Deliverer {
    pub fn new(db: Db, clock: SharedClock) -> Deliverer {
        Deliverer {
            db,
            clock,
            http: OnceLock::new(),
        }
    }

    fn http(&self) -> Result<&reqwest::Client, reqwest::Error> {
        if let Some(http) = self.http.get() {
            return Ok(http);
        }
        // No redirects: a logout token goes to the registered URI only.
        let built = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(SEND_TIMEOUT)
            .build()?;
        Ok(self.http.get_or_init(|| built))
    }

    /// Sends every delivery due now; returns how many succeeded.
    pub async fn deliver_due(&self) -> Result<usize, StorageError> {
        let now = self.clock.now();
        let due = self
            .db
            .run(move |conn| LogoutDelivery::due(conn, now, BATCH))
            .await?;
        let mut delivered = 0;
        for row in due {
            let id = row.id.clone();
            if self
                .db
                .run(move |conn| LogoutDelivery::lease(conn, &id, now, now + LEASE_SECS))
                .await
                .is_err()
            {
                continue;
            }
            delivered += usize::from(self.attempt(row).await?);
        }
        Ok(delivered)
    }

    async fn attempt(&self, row: LogoutDelivery) -> Result<bool, StorageError> {
        let outcome = match self.http() {
            Ok(http) => send(http, &row).await,
            Err(_) => Err("cannot build an HTTP client".to_owned()),
        };

        let now = self.clock.now();
        let id = row.id.clone();
        match outcome {
            Ok(()) => {
                self.db
                    .run(move |conn| LogoutDelivery::delivered(conn, &id, now))
                    .await?;
                tracing::info!(target: "audit", client_id = %row.client_id, "back-channel logout delivered");
                Ok(true)
            }
            Err(reason) => {
                let attempts = row.attempts + 1;
                // Given up: parked far ahead, with the reason kept for operators.
                let next = if attempts >= MAX_ATTEMPTS {
                    i64::MAX
                } else {
                    now + backoff_secs(attempts)
                };
                tracing::warn!(client_id = %row.client_id, attempts, reason = %reason, "back-channel logout failed");
                self.db
                    .run(move |conn| LogoutDelivery::failed(conn, &id, next, &reason))
                    .await?;
                Ok(false)
            }
        }
    }

    /// Delivers every `interval`.
    pub fn spawn(self, interval: Duration) {
        let task = async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                if let Err(error) = self.deliver_due().await {
                    tracing::warn!(error = %error, "back-channel logout deliveries paused; will retry");
                }
            }
        };
        tokio::spawn(task.instrument(tracing::info_span!("logout_deliverer")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_and_is_capped() {
        assert_eq!([1, 2, 3, 4].map(backoff_secs), [1, 2, 4, 8]);
        assert_eq!(backoff_secs(30), 600);
    }
}
