//! `porteiro keys ...`

use clap::Subcommand;

use super::{CliError, format_time, prepared_db, print_table};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::keys::{KeyState, Sealer, SigningAlg};
use crate::secret::ServerSecret;
use crate::storage::models::signing_key::SigningKeyRow;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys and their state
    List,
    /// Add new keys: published now, signing after the rotation delay
    Rotate {
        /// Only this algorithm (RS256, PS256, ES256 or EdDSA) [default: all]
        #[arg(long)]
        alg: Option<String>,
        /// Seconds before the new keys sign [default: keys.rotation_delay_secs]
        #[arg(long)]
        delay: Option<i64>,
    },
}

pub async fn run(
    command: KeysCommand,
    settings: &Settings,
    clock: SharedClock,
) -> Result<(), CliError> {
    let db = prepared_db(settings).await?;
    match command {
        KeysCommand::List => {
            let now = clock.now();
            let rows = db
                .run(SigningKeyRow::all)
                .await
                .map_err(|e| CliError::Failed(e.into()))?;
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|row| {
                    let optional =
                        |at: Option<i64>| at.map(format_time).unwrap_or_else(|| "-".to_owned());
                    vec![
                        row.kid.clone(),
                        row.alg.clone(),
                        KeyState::of(row, now).as_str().to_owned(),
                        format_time(row.created_at),
                        format_time(row.activates_at),
                        optional(row.retires_at),
                        optional(row.unpublish_at),
                    ]
                })
                .collect();
            print_table(
                &[
                    "KID",
                    "ALG",
                    "STATE",
                    "CREATED",
                    "SIGNS FROM",
                    "RETIRES",
                    "UNPUBLISHED",
                ],
                &table,
            );
            Ok(())
        }
        KeysCommand::Rotate { alg, delay } => {
            let algs = match alg {
                Some(name) => {
                    vec![SigningAlg::parse(&name).map_err(|e| CliError::Usage(e.to_string()))?]
                }
                None => SigningAlg::ALL.to_vec(),
            };
            let delay = delay.unwrap_or(settings.keys.rotation_delay_secs);
            if delay < 0 {
                return Err(CliError::Usage("--delay cannot be negative".to_owned()));
            }
            let sealer = Sealer::new(&ServerSecret::new(settings.resolve_server_secret()?.secret));
            let lifetime = settings.max_signed_token_lifetime_secs();
            let now = clock.now();
            for alg in algs {
                let sealer = sealer.clone();
                let kid = db
                    .run(move |conn| crate::keys::rotate(conn, &sealer, alg, now, delay, lifetime))
                    .await
                    .map_err(|e| CliError::Failed(e.into()))?;
                let detail = serde_json::json!({ "alg": alg.as_str(), "delay_secs": delay });
                let action = crate::audit::Action::KeyRotated;
                let actor = crate::audit::Actor::cli();
                crate::audit::record(&db, now, &actor, action, Some(&kid), detail).await;
                println!(
                    "{alg}: new key {kid} published now, signs from {}",
                    format_time(now + delay)
                );
            }
            Ok(())
        }
    }
}
