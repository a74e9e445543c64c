//! Round trips through the `porteiro` binary against a real database.

use porteiro::clients::ClientSecrets;
use porteiro::secret::ServerSecret;
use porteiro::storage::models::client::Client;
use porteiro::users::PasswordHasher;
use secrecy::SecretString;

use crate::helpers::{TEST_SECRET, TestDb, run_porteiro, stderr, stdout};

struct Cli {
    db: TestDb,
}

impl Cli {
    fn new() -> Cli {
        Cli { db: TestDb::new() }
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        run_porteiro(self.db.dir.path(), &self.db.env(), args, None)
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> std::process::Output {
        run_porteiro(self.db.dir.path(), &self.db.env(), args, Some(stdin))
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            stderr(&output)
        );
        stdout(&output)
    }

    fn db(&self) -> porteiro::storage::Db {
        let settings = self.db.settings();
        porteiro::storage::Db::connect(settings.database_target().unwrap(), &settings.database)
            .unwrap()
    }
}

fn refused(output: &std::process::Output, expected: &str) {
    assert_eq!(
        output.status.code(),
        Some(2),
        "stdout: {} stderr: {}",
        stdout(output),
        stderr(output)
    );
    let message = stderr(output);
    assert!(
        message.contains(expected),
        "expected `{expected}` in: {message}"
    );
    assert_eq!(
        message.trim().lines().count(),
        1,
        "one clear line: {message}"
    );
}

#[tokio::test]
async fn user_round_trip() {
    let cli = Cli::new();

    let created = cli.run_with_stdin(
        &[
            "user",
            "create",
            "Alice",
            "--password-stdin",
            "--email",
            "alice@example.test",
            "--role",
            "dev",
        ],
        "correct horse battery\n",
    );
    assert!(created.status.success(), "{}", stderr(&created));
    cli.ok(&["user", "add-role", "alice", "auditor"]);
    cli.ok(&["user", "remove-role", "ALICE", "dev"]);
    cli.ok(&["user", "disable", "alice"]);

    let listed = cli.ok(&["user", "list"]);
    let line = listed
        .lines()
        .find(|l| l.starts_with("Alice"))
        .expect("Alice is listed");
    assert!(
        line.contains("auditor") && !line.contains("dev") && line.contains("disabled"),
        "{line}"
    );

    cli.ok(&["user", "enable", "alice"]);
    let listed = cli.ok(&["user", "list"]);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("Alice") && l.contains("enabled")),
        "{listed}"
    );

    let stored = porteiro::users::Users::new(
        cli.db(),
        PasswordHasher::new(1),
        porteiro::clock::ManualClock::starting_now(),
    )
    .find("alice")
    .await
    .unwrap();
    assert_eq!(stored.email.as_deref(), Some("alice@example.test"));
    let hash = stored.password_hash.unwrap();
    assert!(argon2_verifies("correct horse battery", &hash).await);
}

async fn argon2_verifies(password: &str, hash: &str) -> bool {
    PasswordHasher::new(1)
        .verify(SecretString::from(password.to_owned()), hash.to_owned())
        .await
        .unwrap()
}

#[tokio::test]
async fn set_password_without_stdin_prints_a_generated_password_that_verifies() {
    let cli = Cli::new();
    cli.ok(&["user", "create", "bob"]);

    let output = cli.ok(&["user", "set-password", "bob"]);

    let password = output
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("the password is printed");
    let users = porteiro::users::Users::new(
        cli.db(),
        PasswordHasher::new(1),
        porteiro::clock::ManualClock::starting_now(),
    );
    let hash = users.find("bob").await.unwrap().password_hash.unwrap();
    assert!(argon2_verifies(password, &hash).await);
}

#[test]
fn a_duplicate_username_in_another_case_is_refused() {
    let cli = Cli::new();
    cli.ok(&["user", "create", "Carol"]);

    let output = cli.run(&["user", "create", "cAROL"]);

    refused(&output, "already exists");
}

#[test]
fn user_commands_on_an_unknown_user_are_refused() {
    let cli = Cli::new();

    refused(
        &cli.run(&["user", "disable", "nobody"]),
        "no user is named `nobody`",
    );
    refused(&cli.run(&["user", "add-role", "nobody", "x y"]), "role");
}

#[tokio::test]
async fn client_round_trip_with_flags() {
    let cli = Cli::new();

    let output = cli.ok(&[
        "client",
        "create",
        "--id",
        "demo",
        "--name",
        "Demo app",
        "--redirect-uri",
        "https://rp.example.test/callback",
        "--post-logout-redirect-uri",
        "https://rp.example.test/",
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "refresh_token",
    ]);
    let secret = output
        .lines()
        .find_map(|l| l.trim().strip_prefix("client_secret:"))
        .expect("the secret is printed")
        .trim()
        .to_owned();

    let shown: serde_json::Value =
        serde_json::from_str(&cli.ok(&["client", "show", "demo"])).unwrap();
    assert_eq!(shown["client_name"], "Demo app");
    assert_eq!(
        shown["redirect_uris"],
        serde_json::json!(["https://rp.example.test/callback"])
    );
    assert_eq!(
        shown["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(shown["token_endpoint_auth_method"], "client_secret_basic");
    assert!(
        shown.get("client_secret").is_none(),
        "the secret is shown only once"
    );
    assert!(cli.ok(&["client", "list"]).contains("demo"));

    let stored = cli
        .db()
        .run(|conn| Client::find(conn, "demo"))
        .await
        .unwrap();
    let hasher = ClientSecrets::new(&ServerSecret::new(SecretString::from(
        TEST_SECRET.to_owned(),
    )));
    let presented = porteiro::clients::PlainSecret::from_presented(&secret);
    assert!(hasher.verify(&presented, stored.secret_hash.as_deref().unwrap()));

    cli.ok(&["client", "delete", "demo"]);
    refused(
        &cli.run(&["client", "show", "demo"]),
        "no client has id `demo`",
    );
}

#[test]
fn client_create_json_takes_and_returns_registration_metadata() {
    let cli = Cli::new();
    let metadata = serde_json::json!({
        "client_name": "Single-page app",
        "redirect_uris": ["http://127.0.0.1:3000/cb"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": "openid profile",
        "id_token_signed_response_alg": "ES256"
    });

    let output = cli.run_with_stdin(&["client", "create", "--json", "-"], &metadata.to_string());

    assert!(output.status.success(), "{}", stderr(&output));
    let registered: serde_json::Value =
        serde_json::from_str(&stdout(&output)).expect("JSON on stdout");
    let client_id = registered["client_id"].as_str().unwrap();
    assert!(
        registered.get("client_secret").is_none(),
        "a public client has no secret"
    );
    assert_eq!(registered["token_endpoint_auth_method"], "none");
    assert_eq!(registered["scope"], "openid profile");
    assert_eq!(registered["id_token_signed_response_alg"], "ES256");
    assert_eq!(registered["response_types"], serde_json::json!(["code"]));
    assert!(registered["client_id_issued_at"].as_i64().unwrap() > 0);
    let shown: serde_json::Value =
        serde_json::from_str(&cli.ok(&["client", "show", client_id])).unwrap();
    assert_eq!(shown, registered);
}

#[test]
fn confidential_json_registration_prints_the_secret_once() {
    let cli = Cli::new();
    let metadata = r#"{"redirect_uris": ["https://rp.example.test/cb"]}"#;

    let output = cli.run_with_stdin(&["client", "create", "--json", "-"], metadata);

    let registered: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        registered["client_secret"].as_str().unwrap().len(),
        43,
        "256 bits, base64url"
    );
    assert_eq!(registered["client_secret_expires_at"], 0);
}

#[test]
fn invalid_client_registrations_are_refused_with_one_line() {
    let cli = Cli::new();

    refused(
        &cli.run(&[
            "client",
            "create",
            "--redirect-uri",
            "http://rp.example.test/cb",
        ]),
        "must use https",
    );
    refused(
        &cli.run(&[
            "client",
            "create",
            "--redirect-uri",
            "https://rp.example.test/cb#frag",
        ]),
        "fragment",
    );
    refused(
        &cli.run(&[
            "client",
            "create",
            "--redirect-uri",
            "https://rp.example.test/cb",
            "--grant-type",
            "password",
        ]),
        "unknown grant type",
    );
    refused(
        &cli.run(&[
            "client",
            "create",
            "--public",
            "--grant-type",
            "client_credentials",
        ]),
        "confidential",
    );
    refused(
        &cli.run_with_stdin(&["client", "create", "--json", "-"], "{not json"),
        "not valid JSON",
    );
    refused(
        &cli.run_with_stdin(
            &["client", "create", "--json", "-"],
            r#"{"client_name": "", "redirect_uris": ["https://a.test/cb"]}"#,
        ),
        "client_name cannot be empty",
    );
    cli.ok(&[
        "client",
        "create",
        "--id",
        "taken",
        "--redirect-uri",
        "https://rp.example.test/cb",
    ]);
    refused(
        &cli.run(&[
            "client",
            "create",
            "--id",
            "taken",
            "--redirect-uri",
            "https://rp.example.test/cb",
        ]),
        "already exists",
    );
}

#[test]
fn keys_rotate_adds_a_next_key_that_keys_list_shows() {
    let cli = Cli::new();

    let rotated = cli.ok(&["keys", "rotate", "--alg", "ES256", "--delay", "600"]);

    assert!(rotated.contains("ES256: new key"), "{rotated}");
    let listed = cli.ok(&["keys", "list"]);
    let es256: Vec<&str> = listed.lines().filter(|l| l.contains("ES256")).collect();
    assert_eq!(es256.len(), 2, "{listed}");
    assert!(es256.iter().any(|l| l.contains(" next ")), "{listed}");
    assert!(es256.iter().any(|l| l.contains(" active ")), "{listed}");
    assert_eq!(
        listed.lines().filter(|l| l.contains(" active ")).count(),
        porteiro::keys::SigningAlg::ALL.len(),
        "{listed}"
    );
    refused(
        &cli.run(&["keys", "rotate", "--alg", "HS999"]),
        "unsupported signing algorithm",
    );
}

#[test]
fn migrate_applies_pending_migrations_once() {
    let cli = Cli::new();

    let first = cli.ok(&["migrate"]);
    assert!(
        first.starts_with("applied ") && !first.starts_with("applied 0 "),
        "{first}"
    );
    assert!(cli.ok(&["migrate"]).contains("applied 0 migration(s)"));
}
