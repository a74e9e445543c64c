//! Typed settings: built-in defaults, then the TOML file, then `PORTEIRO_*`
//! environment variables (sections joined by `__`, e.g.
//! `PORTEIRO_TOKENS__ACCESS_TOKEN_LIFETIME_SECS`).
//!
//! Everything is validated here, once, so the rest of the server can trust its
//! settings. Secrets stay wrapped in [`SecretString`] and never reach a dump.

mod upstreams;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

pub use upstreams::{
    DEFAULT_GRAPH_VERSION, FederationSettings, GOOGLE_ISSUER, UpstreamKind, UpstreamSettings,
};

/// The file read when `--config` is not given and it exists.
pub const DEFAULT_CONFIG_FILE: &str = "porteiro.toml";

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct Settings {
    /// The issuer identifier, exactly as it appears in `iss`.
    pub issuer: String,
    /// Socket address the HTTP server binds.
    pub listen: String,
    /// Directory for the SQLite database and the development secret.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://...`; empty means SQLite under `data_dir`.
    pub database_url: String,
    #[serde(skip_serializing)]
    pub server_secret: Option<SecretString>,
    pub server_secret_file: Option<PathBuf>,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    pub database: DatabaseSettings,
    pub tokens: TokenSettings,
    pub sessions: SessionSettings,
    pub keys: KeySettings,
    pub passwords: PasswordSettings,
    pub log: LogSettings,
    pub login: LoginSettings,
    pub federation: FederationSettings,
    /// Identity providers people may sign in through, by name.
    pub upstreams: BTreeMap<String, UpstreamSettings>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct LoginSettings {
    /// Whether the login page offers the password form; `false` leaves only
    /// the upstreams' buttons, for federation-only deployments.
    pub password_form: bool,
}

impl Default for LoginSettings {
    fn default() -> Self {
        Self {
            password_form: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// How often expired sessions, codes and tokens are deleted.
    pub purge_interval_secs: u64,
    pub max_connections: u32,
    pub min_idle_connections: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct TokenSettings {
    pub access_token_lifetime_secs: i64,
    pub id_token_lifetime_secs: i64,
    pub refresh_token_lifetime_secs: i64,
    pub authorization_code_lifetime_secs: i64,
    pub access_token_signing_alg: String,
    /// How often each instance reads revocations made by the others.
    pub deny_list_refresh_ms: u64,
    /// How long each instance trusts a client it loaded for client
    /// authentication; 0 reads the database every time.
    pub client_cache_ms: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct SessionSettings {
    pub idle_lifetime_secs: i64,
    pub absolute_lifetime_secs: i64,
    /// How often queued back-channel logout tokens are sent.
    pub logout_delivery_interval_ms: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct KeySettings {
    /// How long a rotated-in key is published before it signs anything.
    pub rotation_delay_secs: i64,
    /// How often each instance checks the database for key-set changes.
    pub reload_interval_ms: u64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PasswordSettings {
    /// Password hashes computed at once; 0 means one per core.
    pub max_concurrent_hashes: usize,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct LogSettings {
    /// A `tracing` filter: `info`, `porteiro=debug,actix_web=warn`, ...
    pub level: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Which database the URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    Sqlite(PathBuf),
    Postgres(String),
}

/// A setting that stops the start: names the setting and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting `{setting}`: {problem}")]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

impl ConfigError {
    fn new(setting: &str, problem: impl Into<String>) -> Self {
        Self {
            setting: setting.to_owned(),
            problem: problem.into(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            issuer: "http://127.0.0.1:8080".to_owned(),
            listen: "127.0.0.1:8080".to_owned(),
            data_dir: PathBuf::from("./data"),
            database_url: String::new(),
            server_secret: None,
            server_secret_file: None,
            workers: 0,
            database: DatabaseSettings::default(),
            tokens: TokenSettings::default(),
            sessions: SessionSettings::default(),
            keys: KeySettings::default(),
            passwords: PasswordSettings::default(),
            log: LogSettings::default(),
            login: LoginSettings::default(),
            federation: FederationSettings::default(),
            upstreams: BTreeMap::new(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            purge_interval_secs: 600,
            max_connections: 8,
            min_idle_connections: 1,
            connect_timeout_secs: 5,
        }
    }
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            access_token_lifetime_secs: 300,
            id_token_lifetime_secs: 3600,
            refresh_token_lifetime_secs: 30 * 24 * 3600,
            authorization_code_lifetime_secs: 60,
            access_token_signing_alg: "ES256".to_owned(),
            deny_list_refresh_ms: 1000,
            client_cache_ms: 1000,
        }
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            idle_lifetime_secs: 24 * 3600,
            absolute_lifetime_secs: 14 * 24 * 3600,
            logout_delivery_interval_ms: 1000,
        }
    }
}

impl Default for KeySettings {
    fn default() -> Self {
        Self {
            rotation_delay_secs: 3600,
            reload_interval_ms: 5000,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: "info".to_owned(),
            format: LogFormat::Text,
        }
    }
}

impl Settings {
    /// Layers defaults, the TOML file and the environment, then validates.
    ///
    /// `file` is the `--config` argument; without it `porteiro.toml` is read
    /// when present.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) if !path.is_file() => {
                return Err(ConfigError::new(
                    "--config",
                    format!(
                        "cannot read {}; give the path of a TOML file",
                        path.display()
                    ),
                ));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE));
            }
            None => {}
        }
        let env = Env::prefixed("PORTEIRO_")
            .split("__")
            .ignore(&["test_database_url"]);
        let settings: Settings = figment.merge(env).extract().map_err(|error| {
            let setting = error.path.join(".");
            ConfigError::new(
                if setting.is_empty() {
                    "configuration"
                } else {
                    &setting
                },
                error.kind.to_string(),
            )
        })?;

        settings.validate()?;
        Ok(settings)
    }

    /// Checks every setting that could otherwise fail later, or worse,
    /// silently issue tokens with a wrong issuer.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_issuer(&self.issuer)?;
        self.listen.parse::<std::net::SocketAddr>().map_err(|_| {
            ConfigError::new(
                "listen",
                "expected an address and port such as 127.0.0.1:8080",
            )
        })?;
        self.database_target()?;
        if self.server_secret.is_some() && self.server_secret_file.is_some() {
            return Err(ConfigError::new(
                "server_secret",
                "set either server_secret or server_secret_file, not both",
            ));
        }
        self.validate_lifetimes()?;
        crate::keys::SigningAlg::parse(&self.tokens.access_token_signing_alg).map_err(|_| {
            ConfigError::new(
                "tokens.access_token_signing_alg",
                "expected one of RS256, PS256, ES256 or EdDSA",
            )
        })?;
        if self.database.max_connections == 0 {
            return Err(ConfigError::new(
                "database.max_connections",
                "must be at least 1",
            ));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level).map_err(|_| {
            ConfigError::new(
                "log.level",
                "expected a level such as info, or a filter such as porteiro=debug",
            )
        })?;
        upstreams::validate(&self.upstreams, &self.federation, self.login.password_form)?;
        Ok(())
    }

    fn validate_lifetimes(&self) -> Result<(), ConfigError> {
        let positive = [
            (
                "tokens.access_token_lifetime_secs",
                self.tokens.access_token_lifetime_secs,
            ),
            (
                "tokens.id_token_lifetime_secs",
                self.tokens.id_token_lifetime_secs,
            ),
            (
                "tokens.refresh_token_lifetime_secs",
                self.tokens.refresh_token_lifetime_secs,
            ),
            (
                "tokens.authorization_code_lifetime_secs",
                self.tokens.authorization_code_lifetime_secs,
            ),
            (
                "sessions.idle_lifetime_secs",
                self.sessions.idle_lifetime_secs,
            ),
            (
                "sessions.absolute_lifetime_secs",
                self.sessions.absolute_lifetime_secs,
            ),
        ];
        for (setting, value) in positive {
            if value <= 0 {
                return Err(ConfigError::new(
                    setting,
                    "must be a positive number of seconds",
                ));
            }
        }
        if self.keys.rotation_delay_secs < 0 {
            return Err(ConfigError::new(
                "keys.rotation_delay_secs",
                "must not be negative",
            ));
        }
        if self.sessions.logout_delivery_interval_ms == 0 {
            return Err(ConfigError::new(
                "sessions.logout_delivery_interval_ms",
                "must be at least 1",
            ));
        }
        if self.tokens.deny_list_refresh_ms == 0 {
            return Err(ConfigError::new(
                "tokens.deny_list_refresh_ms",
                "must be at least 1",
            ));
        }
        if self.keys.reload_interval_ms == 0 {
            return Err(ConfigError::new(
                "keys.reload_interval_ms",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// The database named by `database_url`, or the SQLite default.
    pub fn database_target(&self) -> Result<DatabaseTarget, ConfigError> {
        let url = self.database_url.trim();
        if url.is_empty() {
            return Ok(DatabaseTarget::Sqlite(self.data_dir.join("porteiro.db")));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseTarget::Postgres(url.to_owned()));
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() || path.starts_with(':') {
                return Err(ConfigError::new(
                    "database_url",
                    "a SQLite URL needs a file path, e.g. sqlite://./data/porteiro.db",
                ));
            }
            return Ok(DatabaseTarget::Sqlite(PathBuf::from(path)));
        }
        Err(ConfigError::new(
            "database_url",
            "unknown scheme; use sqlite://PATH or postgres://USER@HOST:PORT/DATABASE",
        ))
    }

    /// The longest a token signed now can stay valid: a retired key stays
    /// published at least this long.
    pub fn max_signed_token_lifetime_secs(&self) -> i64 {
        // Clock skew allowance for verifiers that accept slightly expired tokens.
        const SKEW_SECS: i64 = 300;
        let longest_default = self
            .tokens
            .access_token_lifetime_secs
            .max(self.tokens.id_token_lifetime_secs);
        // A client may register longer-lived tokens, up to this bound.
        longest_default.max(crate::clients::metadata::MAX_SIGNED_TOKEN_LIFETIME_SECS) + SKEW_SECS
    }

    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => available_cores(),
            n => n,
        }
    }

    pub fn hash_concurrency(&self) -> usize {
        match self.passwords.max_concurrent_hashes {
            0 => available_cores(),
            n => n,
        }
    }

    /// Reads the server secret from the setting, the file, or the
    /// development secret in the data directory (created when missing).
    pub fn resolve_server_secret(&self) -> Result<ResolvedSecret, ConfigError> {
        if let Some(secret) = &self.server_secret {
            return ResolvedSecret::configured(secret.expose_secret(), "server_secret");
        }
        if let Some(path) = &self.server_secret_file {
            let text = std::fs::read_to_string(path).map_err(|error| {
                ConfigError::new(
                    "server_secret_file",
                    format!(
                        "cannot read {}: {error}; point it at a readable file",
                        path.display()
                    ),
                )
            })?;
            return ResolvedSecret::configured(text.trim(), "server_secret_file");
        }
        development_secret(&self.data_dir)
    }
}

fn available_cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn validate_issuer(issuer: &str) -> Result<(), ConfigError> {
    let fail = |problem: &str| Err(ConfigError::new("issuer", problem));
    let Ok(url) = url::Url::parse(issuer) else {
        return fail("not a URL; use an absolute URL such as https://id.example.com");
    };
    if url.scheme() != "https" && url.scheme() != "http" {
        return fail("must use https (or http for local development)");
    }
    if url.host().is_none() {
        return fail("must name a host");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return fail("must not have a query or fragment (OpenID Connect Discovery 1.0, section 3)");
    }
    if issuer.ends_with('/') {
        return fail("must not end with '/'; endpoint URLs are built by appending paths to it");
    }
    Ok(())
}

/// The server secret, with where it came from.
pub struct ResolvedSecret {
    pub secret: SecretString,
    /// Set when a development secret was generated on this start.
    pub generated_at: Option<PathBuf>,
}

impl ResolvedSecret {
    /// Shorter secrets cannot give the 256 bits the derived keys need.
    const MIN_LEN: usize = 32;

    fn configured(secret: &str, setting: &str) -> Result<Self, ConfigError> {
        if secret.len() < Self::MIN_LEN {
            return Err(ConfigError::new(
                setting,
                format!(
                    "must be at least {} characters; generate one with `openssl rand -base64 48`",
                    Self::MIN_LEN
                ),
            ));
        }
        Ok(Self {
            secret: SecretString::from(secret.to_owned()),
            generated_at: None,
        })
    }
}

fn development_secret(data_dir: &Path) -> Result<ResolvedSecret, ConfigError> {
    let path = data_dir.join("server_secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return ResolvedSecret::configured(existing.trim(), "data_dir").map_err(|error| {
            ConfigError::new(
                "data_dir",
                format!(
                    "the development secret in {}: {}",
                    path.display(),
                    error.problem
                ),
            )
        });
    }

    let unwritable = |error: std::io::Error| {
        ConfigError::new(
            "data_dir",
            format!(
                "cannot write the development secret to {}: {error}",
                path.display()
            ),
        )
    };
    std::fs::create_dir_all(data_dir).map_err(unwritable)?;
    let secret = crate::secret::random_token(48);
    write_private_file(&path, &secret).map_err(unwritable)?;

    Ok(ResolvedSecret {
        secret: SecretString::from(secret),
        generated_at: Some(path),
    })
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_with_trailing_slash_is_refused() {
        let error = validate_issuer("https://id.example.com/").unwrap_err();
        assert_eq!(error.setting, "issuer");
    }

    #[test]
    fn issuer_with_path_is_accepted() {
        assert!(validate_issuer("https://example.com/auth").is_ok());
    }

    #[test]
    fn unknown_database_scheme_names_the_setting() {
        let settings = Settings {
            database_url: "mysql://x".into(),
            ..Settings::default()
        };
        assert_eq!(
            settings.database_target().unwrap_err().setting,
            "database_url"
        );
    }

    #[test]
    fn sqlite_url_gives_the_path() {
        let settings = Settings {
            database_url: "sqlite://./x/p.db".into(),
            ..Settings::default()
        };
        assert_eq!(
            settings.database_target().unwrap(),
            DatabaseTarget::Sqlite("./x/p.db".into())
        );
    }
}
