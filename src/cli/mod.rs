//! The command line: `porteiro serve` (the default), `migrate`, and the
//! `user`, `client` and `keys` commands operators script against.

mod client;
mod keys;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::bootstrap::{FirstAdmin, Seeded, prepare_database};
use crate::clock::{Clock, SharedClock, SystemClock};
use crate::config::{ConfigError, Settings};
use crate::keys::Sealer;
use crate::secret::ServerSecret;
use crate::storage::Db;

#[derive(Debug, Parser)]
#[command(
    name = "porteiro",
    version,
    about = "OpenID Connect provider and single sign-on server"
)]
pub struct Cli {
    /// TOML configuration file [default: ./porteiro.toml when present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default)
    Serve,
    /// Apply pending database migrations and exit
    Migrate,
    /// Manage users
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage registered clients
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Manage signing keys
    #[command(subcommand)]
    Keys(keys::KeysCommand),
}

/// A command failure: bad input exits 2, anything else 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
    #[error("{0:#}")]
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for CliError {
    /// A setting found bad only while starting (an unreadable secret file)
    /// is still a configuration error, and exits as one.
    fn from(error: anyhow::Error) -> Self {
        match error.downcast::<ConfigError>() {
            Ok(config) => CliError::Config(config),
            Err(other) => CliError::Failed(other),
        }
    }
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Config(_) | CliError::Usage(_) => ExitCode::from(2),
            CliError::Failed(_) => ExitCode::from(1),
        }
    }
}

/// Runs the parsed command to completion.
pub async fn run(command: Command, settings: Settings) -> Result<(), CliError> {
    let clock: SharedClock = Arc::new(SystemClock);
    match command {
        Command::Serve => serve(settings, clock).await,
        Command::Migrate => {
            let seeded = prepare(&settings).await?.1;
            println!("applied {} migration(s)", seeded.migrations_applied);
            Ok(())
        }
        Command::User(command) => user::run(command, &settings, clock).await,
        Command::Client(command) => client::run(command, &settings, clock).await,
        Command::Keys(command) => keys::run(command, &settings, clock).await,
    }
}

async fn serve(settings: Settings, clock: SharedClock) -> Result<(), CliError> {
    use secrecy::ExposeSecret;

    let mut app = crate::startup::Application::build(settings, clock).await?;
    if let Some(password) = app.take_first_admin_password() {
        // Standard output, not the log: logs (standard error) are often
        // shipped and kept, and this line must be read once and forgotten.
        // Under a container runtime standard output is kept too; changing
        // the password after the first sign-in closes that window.
        println!("Created the first admin user.");
        println!("  username: admin");
        println!("  password: {}", password.expose_secret());
        println!("It is not shown again; change it with `porteiro user set-password admin`.");
    }
    app.run_until_stopped()
        .await
        .map_err(|e| CliError::Failed(e.into()))
}

/// The database, migrated and holding signing keys, as `serve` would leave
/// it, so commands run before the first start see the same state.
async fn prepare(settings: &Settings) -> Result<(Db, Seeded), CliError> {
    let resolved = settings.resolve_server_secret()?;
    if let Some(path) = &resolved.generated_at {
        tracing::warn!(
            path = %path.display(),
            "generated a development server secret; set server_secret or server_secret_file in production"
        );
    }
    let secret = ServerSecret::new(resolved.secret);
    let db = Db::connect(settings.database_target()?, &settings.database)?;
    let now = SystemClock.now();
    let seeded = prepare_database(&db, &Sealer::new(&secret), now, FirstAdmin::Skip).await?;
    Ok((db, seeded))
}

async fn prepared_db(settings: &Settings) -> Result<Db, CliError> {
    Ok(prepare(settings).await?.0)
}

/// Pads each column to its widest cell.
fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

fn format_time(unix_secs: i64) -> String {
    match u64::try_from(unix_secs) {
        Ok(secs) => {
            let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            humantime::format_rfc3339_seconds(time).to_string()
        }
        Err(_) => unix_secs.to_string(),
    }
}
