//! `spawn_app()` and the test database each test gets for itself.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use diesel::{Connection, PgConnection, RunQueryDsl};
use porteiro::clock::ManualClock;
use porteiro::config::Settings;
use porteiro::keys::KeyStore;
use porteiro::startup::Application;
use porteiro::storage::Db;
use secrecy::SecretString;

/// The server secret every test server uses.
pub const TEST_SECRET: &str = "test-server-secret-test-server-secret-0123456789";

/// Set to run the database tests against PostgreSQL.
pub const POSTGRES_URL_VAR: &str = "PORTEIRO_TEST_DATABASE_URL";

/// A database of one test's own: a SQLite file in a temporary directory, or a
/// fresh PostgreSQL database dropped when the test ends.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub fn new() -> TestDb {
        // As in `main`: no OpenSSL cleanup at exit under running pool threads.
        openssl::init();
        let dir = tempfile::tempdir().expect("a temporary directory");
        match std::env::var(POSTGRES_URL_VAR) {
            Ok(server_url) if !server_url.is_empty() => Self::postgres(dir, server_url),
            _ => {
                let url = format!("sqlite://{}", dir.path().join("porteiro.db").display());
                TestDb {
                    url,
                    dir,
                    postgres: None,
                }
            }
        }
    }

    fn postgres(dir: tempfile::TempDir, server_url: String) -> TestDb {
        let name = format!("porteiro_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&server_url).expect("PostgreSQL is reachable");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create database");

        let mut url = url::Url::parse(&server_url).expect("a PostgreSQL URL");
        url.set_path(&name);
        TestDb {
            url: url.to_string(),
            dir,
            postgres: Some((server_url, name)),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// Settings for a server on this database; `listen` is replaced by the
    /// listener `spawn_app` binds.
    pub fn settings(&self) -> Settings {
        let mut settings = Settings {
            database_url: self.url.clone(),
            data_dir: self.dir.path().to_path_buf(),
            server_secret: Some(SecretString::from(TEST_SECRET.to_owned())),
            workers: 1,
            ..Settings::default()
        };
        settings.keys.reload_interval_ms = 100;
        settings.sessions.logout_delivery_interval_ms = 100;
        settings.database.max_connections = 4;
        settings.log.level = "warn".to_owned();
        settings
    }

    /// Environment for running the `porteiro` binary against this database.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PORTEIRO_DATABASE_URL", self.url.clone()),
            ("PORTEIRO_SERVER_SECRET", TEST_SECRET.to_owned()),
            ("PORTEIRO_DATA_DIR", self.dir.path().display().to_string()),
            ("PORTEIRO_LOG__LEVEL", "warn".to_owned()),
        ]
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.url.strip_prefix("sqlite://").map(PathBuf::from)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server_url, name)) = &self.postgres else {
            return;
        };
        if let Ok(mut admin) = PgConnection::establish(server_url) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub keys: Arc<KeyStore>,
    pub db: Db,
    pub clock: Arc<ManualClock>,
    pub first_admin_password: Option<SecretString>,
    pub http: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

/// The password every test user gets from [`TestApp::create_user`].
pub const TEST_PASSWORD: &str = "a long test password";

impl TestApp {
    /// Creates a user with [`TEST_PASSWORD`].
    pub async fn create_user(&self, username: &str) -> porteiro::storage::models::user::User {
        use porteiro::users::{NewUser, PasswordHasher, Users};

        let users = Users::new(self.db.clone(), PasswordHasher::new(2), self.clock.clone());
        let new = NewUser {
            username: porteiro::domain::Username::parse(username).expect("a valid username"),
            password: Some(SecretString::from(TEST_PASSWORD.to_owned())),
            name: Some(format!("{username} Example")),
            email: Some(format!("{}@example.test", username.to_lowercase())),
            roles: vec![porteiro::domain::Role::parse("reader").expect("a valid role")],
        };
        users.create(new).await.expect("the user is created")
    }

    /// Disables `username`'s account, as `porteiro user disable` does.
    pub async fn disable_user(&self, username: &str) {
        use porteiro::users::{PasswordHasher, Users};

        let users = Users::new(self.db.clone(), PasswordHasher::new(2), self.clock.clone());
        users
            .set_disabled(username, true)
            .await
            .expect("the user is disabled");
    }

    /// The English texts, the ones a browser without `Accept-Language` sees.
    pub fn english(&self) -> &'static porteiro::i18n::Catalog {
        porteiro::i18n::negotiate(None, None)
    }

    /// Registers a client from RFC 7591 metadata.
    pub async fn register_client(
        &self,
        metadata: serde_json::Value,
    ) -> porteiro::clients::RegisteredClient {
        use porteiro::clients::{ClientMetadata, ClientSecrets, Clients};
        use porteiro::secret::ServerSecret;

        let metadata: ClientMetadata = serde_json::from_value(metadata).expect("client metadata");
        let hasher = ClientSecrets::new(&ServerSecret::new(SecretString::from(
            TEST_SECRET.to_owned(),
        )));
        Clients::new(self.db.clone(), hasher, self.clock.clone())
            .register(&metadata)
            .await
            .expect("the client registers")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("a JSON body")
    }

    pub async fn jwks_text(&self) -> String {
        self.get("/jwks.json").await.text().await.expect("a body")
    }

    /// Stops the server and waits until it has shut down.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// Starts a server on its own fresh database.
pub async fn spawn_app() -> (TestApp, TestDb) {
    let db = TestDb::new();
    let app = spawn_app_with(db.settings()).await;
    (app, db)
}

/// Starts a server with these settings on a random port.
pub async fn spawn_app_with(settings: Settings) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    spawn_app_on(listener, settings).await
}

/// Starts a server on a listener the caller bound, for tests that must know
/// the port before the settings (an upstream registers our callback first).
pub async fn spawn_app_on(listener: TcpListener, mut settings: Settings) -> TestApp {
    let port = listener.local_addr().expect("a bound address").port();
    let address = format!("http://127.0.0.1:{port}");
    settings.listen = format!("127.0.0.1:{port}");
    if settings.issuer == Settings::default().issuer {
        settings.issuer = address.clone();
    }

    let clock = ManualClock::starting_now();
    let mut app = Application::build_on(listener, settings, clock.clone())
        .await
        .expect("the application builds");
    let test_app = TestApp {
        address,
        keys: app.keys(),
        db: app.db(),
        clock,
        first_admin_password: app.take_first_admin_password(),
        http: reqwest::Client::new(),
        handle: app.handle(),
    };
    tokio::spawn(app.run_until_stopped());
    test_app
}

/// Runs the `porteiro` binary in `dir` with `env`; returns its output.
pub fn run_porteiro(
    dir: &Path,
    env: &[(&str, String)],
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let mut command = Command::new(env!("CARGO_BIN_EXE_porteiro"));
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    command.env_remove("PORTEIRO_TEST_DATABASE_URL");
    let mut child = command.spawn().expect("the porteiro binary starts");
    let mut input = child.stdin.take().expect("a stdin pipe");
    if let Some(text) = stdin {
        input
            .write_all(text.as_bytes())
            .expect("stdin accepts the input");
    }
    drop(input);
    child
        .wait_with_output()
        .expect("the porteiro binary finishes")
}

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
