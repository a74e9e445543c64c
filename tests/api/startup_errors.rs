//! A bad setting stops the start with exit code 2 and names the setting.

use crate::helpers::{run_porteiro, stderr};

fn start_with(env: &[(&str, String)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut env = env.to_vec();
    env.push(("PORTEIRO_DATA_DIR", dir.path().display().to_string()));
    env.push(("PORTEIRO_LISTEN", "127.0.0.1:0".to_owned()));
    run_porteiro(dir.path(), &env, &["serve"], None)
}

fn assert_refused(output: &std::process::Output, setting: &str) {
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(output));
    let message = stderr(output);
    assert!(
        message.contains(&format!("`{setting}`")),
        "the message names {setting}: {message}"
    );
    assert_eq!(
        message.trim().lines().count(),
        1,
        "one clear line: {message}"
    );
}

#[test]
fn a_malformed_issuer_stops_the_start() {
    let output = start_with(&[("PORTEIRO_ISSUER", "not a url".to_owned())]);

    assert_refused(&output, "issuer");
}

#[test]
fn an_issuer_with_a_trailing_slash_stops_the_start() {
    let output = start_with(&[("PORTEIRO_ISSUER", "https://id.example.test/".to_owned())]);

    assert_refused(&output, "issuer");
}

#[test]
fn an_unknown_database_scheme_stops_the_start() {
    let output = start_with(&[(
        "PORTEIRO_DATABASE_URL",
        "mysql://root@localhost/porteiro".to_owned(),
    )]);

    assert_refused(&output, "database_url");
}

#[test]
fn an_unreadable_secret_file_stops_the_start() {
    let output = start_with(&[(
        "PORTEIRO_SERVER_SECRET_FILE",
        "/nonexistent/server_secret".to_owned(),
    )]);

    assert_refused(&output, "server_secret_file");
}

#[test]
fn a_short_server_secret_stops_the_start() {
    let output = start_with(&[("PORTEIRO_SERVER_SECRET", "short".to_owned())]);

    assert_refused(&output, "server_secret");
}

#[test]
fn a_value_of_the_wrong_type_names_its_setting() {
    let output = start_with(&[(
        "PORTEIRO_TOKENS__ACCESS_TOKEN_LIFETIME_SECS",
        "five minutes".to_owned(),
    )]);

    assert_refused(&output, "tokens.access_token_lifetime_secs");
}

#[test]
fn an_unknown_log_format_names_its_setting() {
    let output = start_with(&[("PORTEIRO_LOG__FORMAT", "xml".to_owned())]);

    assert_refused(&output, "log.format");
}

#[test]
fn a_missing_config_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();

    let output = run_porteiro(
        dir.path(),
        &[],
        &["--config", "missing.toml", "serve"],
        None,
    );

    assert_refused(&output, "--config");
}

#[test]
fn bad_arguments_exit_with_code_2() {
    let dir = tempfile::tempdir().unwrap();

    let output = run_porteiro(dir.path(), &[], &["user", "frobnicate"], None);

    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_oidc_upstream_without_an_issuer_stops_the_start() {
    let output = start_with(&[
        ("PORTEIRO_UPSTREAMS__CORP__KIND", "oidc".to_owned()),
        ("PORTEIRO_UPSTREAMS__CORP__LABEL", "Corp".to_owned()),
        ("PORTEIRO_UPSTREAMS__CORP__CLIENT_ID", "porteiro".to_owned()),
    ]);

    assert_refused(&output, "upstreams.corp.issuer");
}

#[test]
fn an_unreadable_upstream_secret_file_stops_the_start() {
    let output = start_with(&[
        ("PORTEIRO_UPSTREAMS__FB__KIND", "facebook".to_owned()),
        ("PORTEIRO_UPSTREAMS__FB__LABEL", "Facebook".to_owned()),
        ("PORTEIRO_UPSTREAMS__FB__CLIENT_ID", "1234".to_owned()),
        (
            "PORTEIRO_UPSTREAMS__FB__CLIENT_SECRET_FILE",
            "/nonexistent/app-secret".to_owned(),
        ),
    ]);

    assert_refused(&output, "upstreams.fb.client_secret_file");
}
