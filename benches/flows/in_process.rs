//! The baselines: the same work the server does per request, in one thread
//! of this process with no HTTP, no database and no scheduling: signing a
//! client's access token, verifying access tokens with the deny-list, and
//! one password hash.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::Context;
use secrecy::SecretString;

use porteiro::domain::Scopes;
use porteiro::keys::KeyStore;
use porteiro::oidc::access_token;
use porteiro::oidc::deny_list::DenyList;
use porteiro::oidc::tokens::{Grant, IdTokenAlg, IdTokenSigner, Minter};
use porteiro::users::password::Workspace;

use crate::fixture::{Fixture, Parties};

/// How long each loop runs: long enough that the first iterations, with
/// cold caches, weigh nothing.
const LOOP_TIME: Duration = Duration::from_secs(2);

/// Access tokens for the client itself, as `client_credentials` issues
/// them, signed per second.
pub fn signing_rate(fixture: &Fixture, keys: &KeyStore, scopes: &str) -> anyhow::Result<f64> {
    let grant = Grant {
        client_id: crate::fixture::CLIENT_ID.to_owned(),
        user: None,
        scopes: Scopes::parse(scopes)?,
        auth_time: None,
        amr: vec![],
        idp: None,
        sid: None,
        nonce: None,
    };
    let alg = fixture.access_token_alg()?;
    let lifetime = fixture.settings.tokens.access_token_lifetime_secs;

    per_second(|| {
        let minter = Minter {
            keys,
            issuer: &fixture.settings.issuer,
            now: fixture.clock.now(),
        };
        let token = minter.access_token(&grant, alg, lifetime)?;
        black_box(token);
        Ok(())
    })
}

/// The tokens a code exchange signs, per second: the person's access token
/// and an ID token with the client's algorithm (RS256 unless it registered
/// another).
pub fn exchange_signing_rate(
    fixture: &Fixture,
    keys: &KeyStore,
    parties: &Parties,
    scopes: &str,
) -> anyhow::Result<f64> {
    let grant = Grant {
        client_id: crate::fixture::CLIENT_ID.to_owned(),
        user: Some(parties.user.clone()),
        scopes: Scopes::parse(scopes)?,
        auth_time: Some(parties.session.auth_time),
        amr: vec!["pwd".to_owned()],
        idp: None,
        sid: Some(parties.sid.clone()),
        nonce: Some("bench-nonce".to_owned()),
    };
    let alg = fixture.access_token_alg()?;
    let IdTokenAlg::Key(id_alg) = IdTokenAlg::parse(&parties.id_token_alg)? else {
        anyhow::bail!("the bench client signs ID tokens with its secret");
    };
    let tokens = &fixture.settings.tokens;

    per_second(|| {
        let minter = Minter {
            keys,
            issuer: &fixture.settings.issuer,
            now: fixture.clock.now(),
        };
        let access = minter.access_token(&grant, alg, tokens.access_token_lifetime_secs)?;
        let signer = IdTokenSigner::Key(id_alg);
        let id_token =
            minter.id_token(&grant, &access.token, signer, tokens.id_token_lifetime_secs)?;
        black_box((access, id_token));
        Ok(())
    })
}

/// `tokens`, taken in turn, checked per second as `/userinfo` and
/// `/introspect` check them: signature, type, issuer, expiry, deny-list.
pub fn verifying_rate(
    fixture: &Fixture,
    keys: &KeyStore,
    deny_list: &DenyList,
    tokens: &[String],
) -> anyhow::Result<f64> {
    let issuer = &fixture.settings.issuer;
    let mut next = tokens.iter().cycle();
    per_second(|| {
        let token = next.next().context("no tokens to verify")?;
        let key_set = keys.current();
        let claims =
            access_token::validate(&key_set, deny_list, issuer, fixture.clock.now(), token)
                .map_err(|e| anyhow::anyhow!("a token did not verify: {}", e.description))?;
        black_box(claims);
        Ok(())
    })
}

/// How long one argon2id hash with the server's parameters takes here,
/// hashed as a server hashing thread does: in memory kept between hashes.
/// The median of the hashes of [`LOOP_TIME`]: a burst from a neighbour can
/// slow a few of them, not a hundred.
pub fn hash_time() -> anyhow::Result<Duration> {
    let password = SecretString::from(crate::fixture::PASSWORD.to_owned());
    let mut memory = Workspace::default();
    let mut times = Vec::new();
    let started = Instant::now();
    while started.elapsed() < LOOP_TIME {
        let hash_started = Instant::now();
        black_box(memory.hash(&password)?);
        times.push(hash_started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// Hashes per second with every core hashing at once, as a login load
/// makes the server do: what the cores share (memory bandwidth, caches)
/// shows here and not in one hash's time.
pub fn parallel_hashing_rate(cores: usize) -> anyhow::Result<f64> {
    let password = SecretString::from(crate::fixture::PASSWORD.to_owned());
    let rates = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores)
            .map(|_| {
                scope.spawn(|| {
                    let mut memory = Workspace::default();
                    per_second(|| {
                        black_box(memory.hash(&password)?);
                        Ok(())
                    })
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .map_err(|_| anyhow::anyhow!("a hashing thread panicked"))?
            })
            .collect::<anyhow::Result<Vec<f64>>>()
    })?;
    Ok(rates.iter().sum())
}

/// Runs `work` for [`LOOP_TIME`] and returns its rate.
fn per_second(mut work: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut done: u64 = 0;
    while started.elapsed() < LOOP_TIME {
        work()?;
        done += 1;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}
