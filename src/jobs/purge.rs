//! Deletes what has expired: sessions, pending requests, codes, refresh
//! tokens, deny-list entries and stale sign-in counts. Every instance runs
//! it; the deletes are idempotent, so instances running it together only
//! repeat each other's work.

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::oidc::throttle;
use crate::storage::models::authorization_code::AuthorizationCodeRow;
use crate::storage::models::authorization_request::PendingRequestRow;
use crate::storage::models::issued_access_token::IssuedAccessToken;
use crate::storage::models::login_throttle::LoginThrottle;
use crate::storage::models::refresh_token::RefreshTokenRow;
use crate::storage::models::revoked_access_token::RevokedAccessToken;
use crate::storage::models::session::Session;
use crate::storage::{Db, DbConnection, StorageError};

/// What one purge deleted, by table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sessions: usize,
    pub pending_requests: usize,
    pub codes: usize,
    pub refresh_tokens: usize,
    pub deny_list: usize,
    pub issued_access_tokens: usize,
    pub throttles: usize,
}

/// Runs one purge as of `now`.
pub async fn purge(db: &Db, settings: &Settings, now: i64) -> Result<Purged, StorageError> {
    let idle = settings.sessions.idle_lifetime_secs;
    // A code's record of what it issued matters until those access tokens expire.
    let codes_before = now - settings.max_signed_token_lifetime_secs();
    db.run(move |conn| purge_now(conn, now, idle, codes_before))
        .await
}

fn purge_now(
    conn: &mut DbConnection,
    now: i64,
    idle_secs: i64,
    codes_before: i64,
) -> Result<Purged, StorageError> {
    Ok(Purged {
        sessions: Session::purge(conn, now, idle_secs)?,
        pending_requests: PendingRequestRow::purge_expired(conn, now)?,
        codes: AuthorizationCodeRow::purge_expired(conn, codes_before)?,
        refresh_tokens: RefreshTokenRow::purge_expired(conn, now)?,
        deny_list: RevokedAccessToken::purge_expired(conn, now)?,
        issued_access_tokens: IssuedAccessToken::purge_expired(conn, now)?,
        throttles: LoginThrottle::purge_stale(conn, now - throttle::WINDOW_SECS, now)?,
    })
}

/// Purges every `interval`.
pub fn spawn(db: Db, settings: Arc<Settings>, clock: SharedClock, interval: Duration) {
    let task = async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match purge(&db, &settings, clock.now()).await {
                Ok(purged) if purged != Purged::default() => {
                    tracing::info!(?purged, "purged expired records")
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = %error, "purging expired records failed; will retry")
                }
            }
        }
    };
    tokio::spawn(task.instrument(tracing::info_span!("purge_job")));
}
