//! How fast Porteiro runs its flows under load, next to what the same work
//! costs one thread with no HTTP: `client_credentials` tokens against
//! signing, authorization code exchanges, password logins against the
//! cores' hashing rate (and the JWKS latency meanwhile), and `/userinfo`
//! and `/introspect` against verifying the same tokens.
//!
//! Run with `cargo bench --bench flows`; it needs `wrk` and sends traffic
//! to 127.0.0.1 only. Porteiro runs as a release build in a child process
//! on its own SQLite database; the bench opens that database to register
//! its client and person, store the codes it exchanges, and load the same
//! keys. Prints a table, then one JSON line for machines. These environment
//! variables change the run:
//!
//! - `PORTEIRO_BENCH_DURATION`: each wrk run, in wrk's syntax (default `10s`)
//! - `PORTEIRO_BENCH_CONNECTIONS`: open connections (default 32)
//! - `PORTEIRO_BENCH_THREADS`: wrk threads (default 2)
//! - `PORTEIRO_BENCH_CODES`: authorization codes prepared for the exchange
//!   run (default 100000); the run reports it when it used them all up
//! - `PORTEIRO_BENCH_ID_TOKEN_ALG`: how the bench client's ID tokens are
//!   signed (default `RS256`, the OpenID Connect default); each code
//!   exchange signs one
//! - `PORTEIRO_BENCH_ROUNDS`: runs of `client_credentials` and of logins,
//!   each beside its own baseline; the median one is reported (default 5)

mod codes;
#[path = "../common/env.rs"]
mod env;
mod fixture;
#[path = "../common/http.rs"]
mod http;
mod in_process;
mod one_by_one;
mod report;
mod rounds;
mod runs;
#[path = "../common/porteiro.rs"]
#[allow(
    dead_code,
    reason = "shared with the serve bench, which uses more of it"
)]
mod server;
#[path = "../common/wrk.rs"]
mod wrk;

use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use anyhow::{bail, ensure};
use tokio::runtime::Runtime;

use env::env_or;
use fixture::{Fixture, Parties};
use one_by_one::OneByOne;
use porteiro::keys::KeyStore;
use porteiro::oidc::access_token;
use porteiro::oidc::deny_list::DenyList;
use report::Figures;
use runs::Runner;
use server::Site;
use wrk::{Load, Wrk};

/// Tokens `/userinfo` and `/introspect` are asked about, in turn.
const TOKENS: usize = 64;

/// The scope a `client_credentials` token of the bench client carries.
const CLIENT_OWN_SCOPES: &str = "api";

/// Longer than the server's deny-list refresh interval (1 s by default).
const DENY_LIST_PROPAGATION: Duration = Duration::from_millis(1500);

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // gets a quick check of the parsers and scripts instead of minutes of load.
    let benching = std::env::args().any(|arg| arg == "--bench");
    let outcome = if benching { run() } else { self_check() };

    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("flows bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    wrk::ensure_installed()?;
    let load = load_from_env()?;
    let codes_wanted: usize = env_or("PORTEIRO_BENCH_CODES", 100_000)?;
    let id_token_alg: String = env_or("PORTEIRO_BENCH_ID_TOKEN_ALG", "RS256".to_owned())?;
    let rounds: usize = env_or("PORTEIRO_BENCH_ROUNDS", 5)?;
    ensure!(rounds > 0, "PORTEIRO_BENCH_ROUNDS must be at least 1");
    let runtime = Runtime::new()?;

    let site = Site::new()?;
    let server = site.start()?;
    let fixture = Fixture::open(&site)?;
    let parties = runtime.block_on(fixture.create_parties(&id_token_alg))?;
    let keys = runtime.block_on(fixture.key_store())?;
    let one = OneByOne::new(server.addr(), &parties.client_secret)?;
    let runner = Runner {
        load: &load,
        addr: server.addr(),
        work_dir: site.data_dir(),
        client_authorization: &one.client_authorization,
    };

    // 1. client_credentials, and signing the same token in one thread.
    runtime.block_on(one.token("grant_type=client_credentials".to_owned()))?;
    let client_credentials =
        rounds::client_credentials(&runner, &fixture, &keys, CLIENT_OWN_SCOPES, rounds)?;

    // 2. Authorization code exchanges, each code once.
    let (code_exchange, codes_prepared) =
        exchange_codes(&runtime, &fixture, &parties, &one, &runner, codes_wanted)?;
    let exchange_signing_per_sec =
        in_process::exchange_signing_rate(&fixture, &keys, &parties, codes::CODE_SCOPES)?;

    // 3. Password logins, alone and beside a JWKS load; the hash is timed
    // around each login run, between loads, on the machine as the logins
    // find it.
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let page = runtime.block_on(one.open_sign_in())?;
    runtime.block_on(one.sign_in(&page))?;
    let logins = rounds::logins(&runner, &page, cores, rounds)?;
    let (logins_beside_jwks, jwks_beside_logins) = runner.logins_beside_jwks(&page)?;

    // 4. userinfo and introspection, and verifying the same tokens.
    let deny_list = runtime.block_on(fixture.filled_deny_list())?;
    let tokens = fresh_tokens(&runtime, &fixture, &parties, &one, TOKENS)?;
    let revoked = fresh_tokens(&runtime, &fixture, &parties, &one, 1)?;
    check_deny_list(&runtime, &fixture, &one, &keys, &deny_list, &revoked)?;
    let userinfo = runner.userinfo(&tokens)?;
    let introspection = runner.introspection(&tokens)?;
    let verifying_per_sec = in_process::verifying_rate(&fixture, &keys, &deny_list, &tokens)?;
    server.stop()?;

    report::print(&Figures {
        cores,
        id_token_alg,
        load,
        client_credentials,
        code_exchange,
        codes_prepared,
        exchange_signing_per_sec,
        logins,
        logins_beside_jwks,
        jwks_beside_logins,
        userinfo,
        introspection,
        verifying_per_sec,
        deny_listed: fixture::DENY_LISTED + revoked.len(),
    });
    Ok(())
}

fn load_from_env() -> anyhow::Result<Load> {
    let connections: usize = env_or("PORTEIRO_BENCH_CONNECTIONS", 32)?;
    let threads: usize = env_or("PORTEIRO_BENCH_THREADS", 2)?;
    if connections == 0 || threads == 0 {
        bail!("PORTEIRO_BENCH_CONNECTIONS and _THREADS must be at least 1");
    }
    Ok(Load {
        // wrk refuses more threads than connections.
        threads: threads.min(connections),
        connections,
        duration: env_or("PORTEIRO_BENCH_DURATION", "10s".to_owned())?,
    })
}

/// Stores the codes, redeems one by hand, then has wrk redeem the rest.
fn exchange_codes(
    runtime: &Runtime,
    fixture: &Fixture,
    parties: &Parties,
    one: &OneByOne,
    runner: &Runner<'_>,
    count: usize,
) -> anyhow::Result<(Wrk, usize)> {
    let mut codes = runtime.block_on(codes::prepare(fixture, parties, count + 1))?;
    let checked = codes.pop().into_iter().collect::<Vec<_>>();
    runtime.block_on(one.exchange(&checked))?;

    let bodies = runner.work_dir.join("codes.txt");
    codes::write_bodies(&codes, &bodies)?;
    Ok((runner.code_exchange(&bodies)?, codes.len()))
}

/// Access tokens of the person, from real exchanges just now, so they live
/// through the runs that present them.
fn fresh_tokens(
    runtime: &Runtime,
    fixture: &Fixture,
    parties: &Parties,
    one: &OneByOne,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let codes = runtime.block_on(codes::prepare(fixture, parties, count))?;
    let tokens = runtime.block_on(one.exchange(&codes))?;

    for token in tokens.iter().take(1) {
        let status = runtime.block_on(one.userinfo(token))?;
        ensure!(status.is_success(), "/userinfo answered {status}");
        ensure!(
            runtime.block_on(one.introspect(token))?,
            "a fresh token introspected as inactive"
        );
    }
    Ok(tokens)
}

/// Revokes the tokens through the deny-list and checks the server refuses
/// them, so the runs after it are known to consult the list.
fn check_deny_list(
    runtime: &Runtime,
    fixture: &Fixture,
    one: &OneByOne,
    keys: &KeyStore,
    deny_list: &DenyList,
    tokens: &[String],
) -> anyhow::Result<()> {
    for token in tokens {
        revoke(runtime, fixture, keys, deny_list, token)?;
    }

    thread::sleep(DENY_LIST_PROPAGATION);
    for token in tokens {
        let status = runtime.block_on(one.userinfo(token))?;
        ensure!(
            status.as_u16() == 401,
            "/userinfo answered {status} for a revoked token"
        );
        ensure!(
            !runtime.block_on(one.introspect(token))?,
            "a revoked token introspected as active"
        );
    }
    Ok(())
}

fn revoke(
    runtime: &Runtime,
    fixture: &Fixture,
    keys: &KeyStore,
    deny_list: &DenyList,
    token: &str,
) -> anyhow::Result<()> {
    let claims = access_token::validate(
        &keys.current(),
        deny_list,
        &fixture.settings.issuer,
        fixture.clock.now(),
        token,
    )
    .map_err(|e| anyhow::anyhow!("a fresh token does not verify: {}", e.description))?;
    runtime.block_on(deny_list.revoke(&claims.jti, claims.exp))?;
    Ok(())
}

fn self_check() -> anyhow::Result<()> {
    wrk::self_check()?;
    one_by_one::self_check()?;
    for script in ["form.lua", "once.lua", "cycle.lua"] {
        let path = runs::lua(script);
        ensure!(path.is_file(), "{} is missing", path.display());
    }
    Ok(())
}
