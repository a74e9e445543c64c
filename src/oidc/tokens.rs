//! Minting the signed tokens: RFC 9068 access tokens and OpenID Connect ID
//! tokens. Opaque values (codes, refresh tokens) are made in `grants`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256, Sha512};

use super::claims::user_claims;
use crate::domain::Scopes;
use crate::keys::{KeyError, KeyStore, SigningAlg};
use crate::storage::models::user::User;

/// How a client's ID tokens are signed: with one of our keys, or with HS256
/// keyed by the client's own secret (OpenID Connect Core 10.1), which only a
/// confidential client that asks for it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdTokenAlg {
    Key(SigningAlg),
    Hs256,
}

impl IdTokenAlg {
    pub fn parse(name: &str) -> Result<IdTokenAlg, crate::keys::UnsupportedAlg> {
        match name {
            "HS256" => Ok(IdTokenAlg::Hs256),
            other => SigningAlg::parse(other).map(IdTokenAlg::Key),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IdTokenAlg::Key(alg) => alg.as_str(),
            IdTokenAlg::Hs256 => "HS256",
        }
    }
}

/// What signs an ID token.
pub enum IdTokenSigner<'a> {
    Key(SigningAlg),
    /// # Security
    /// Holds the client's secret in the clear; keep it no longer than the
    /// signing takes.
    ClientSecret(&'a [u8]),
}

/// The media type of access tokens (RFC 9068 section 2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Who and what a token is for.
#[derive(Debug, Clone)]
pub struct Grant {
    pub client_id: String,
    /// The person; `None` for a client acting for itself.
    pub user: Option<User>,
    pub scopes: Scopes,
    pub auth_time: Option<i64>,
    pub amr: Vec<String>,
    /// The upstream the person signed in through, as `idp`.
    pub idp: Option<String>,
    pub sid: Option<String>,
    pub nonce: Option<String>,
}

pub struct AccessToken {
    pub token: String,
    pub jti: String,
    pub expires_at: i64,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("jti", &self.jti)
            .finish_non_exhaustive()
    }
}

/// Signs tokens for one issuer at one instant.
pub struct Minter<'a> {
    pub keys: &'a KeyStore,
    pub issuer: &'a str,
    pub now: i64,
}

impl Minter<'_> {
    pub fn access_token(
        &self,
        grant: &Grant,
        alg: SigningAlg,
        lifetime_secs: i64,
    ) -> Result<AccessToken, KeyError> {
        let jti = uuid::Uuid::new_v4().to_string();
        let expires_at = self.now + lifetime_secs;
        let roles = grant
            .user
            .as_ref()
            .and_then(|u| u.role_names().ok())
            .unwrap_or_default();
        let mut claims = json!({
            "iss": self.issuer,
            "sub": subject(grant),
            "aud": grant.client_id,
            "client_id": grant.client_id,
            "scope": grant.scopes.to_string(),
            "jti": jti,
            "iat": self.now,
            "exp": expires_at,
            "roles": roles,
        });
        if let Some(auth_time) = grant.auth_time {
            claims["auth_time"] = auth_time.into();
        }
        if let Some(sid) = &grant.sid {
            claims["sid"] = sid.clone().into();
        }

        let token = self
            .keys
            .sign(alg, ACCESS_TOKEN_TYP, claims.to_string().as_bytes())?;
        Ok(AccessToken {
            token,
            jti,
            expires_at,
        })
    }

    /// An ID token for a grant with a person, bound to `access_token` by
    /// `at_hash`.
    pub fn id_token(
        &self,
        grant: &Grant,
        access_token: &str,
        signer: IdTokenSigner<'_>,
        lifetime_secs: i64,
    ) -> Result<String, KeyError> {
        let hash_alg = match signer {
            IdTokenSigner::Key(alg) => alg,
            // HS256 hashes with SHA-256, as RS256 does.
            IdTokenSigner::ClientSecret(_) => SigningAlg::RS256,
        };
        let mut claims = grant
            .user
            .as_ref()
            .map(|u| user_claims(u, &grant.scopes))
            .unwrap_or_default();
        let standard = json!({
            "iss": self.issuer,
            "sub": subject(grant),
            "aud": grant.client_id,
            "azp": grant.client_id,
            "iat": self.now,
            "exp": self.now + lifetime_secs,
            "at_hash": at_hash(hash_alg, access_token),
            "amr": grant.amr,
        });
        merge(&mut claims, standard);
        insert_some(&mut claims, "auth_time", grant.auth_time.map(Value::from));
        insert_some(&mut claims, "nonce", grant.nonce.clone().map(Value::from));
        insert_some(&mut claims, "sid", grant.sid.clone().map(Value::from));
        insert_some(&mut claims, "idp", grant.idp.clone().map(Value::from));

        let payload = Value::Object(claims).to_string();
        match signer {
            IdTokenSigner::Key(alg) => self.keys.sign(alg, "JWT", payload.as_bytes()),
            IdTokenSigner::ClientSecret(secret) => sign_hs256(secret, payload.as_bytes()),
        }
    }
}

fn subject(grant: &Grant) -> String {
    grant
        .user
        .as_ref()
        .map_or_else(|| grant.client_id.clone(), |u| u.id.clone())
}

fn merge(claims: &mut Map<String, Value>, more: Value) {
    if let Value::Object(more) = more {
        claims.extend(more);
    }
}

fn insert_some(claims: &mut Map<String, Value>, name: &str, value: Option<Value>) {
    if let Some(value) = value {
        claims.insert(name.to_owned(), value);
    }
}

/// The left half of the access token's hash, with the hash the ID token's
/// algorithm uses (OpenID Connect Core 3.1.3.6); Ed25519 signs with SHA-512.
pub fn at_hash(alg: SigningAlg, access_token: &str) -> String {
    let digest = match alg {
        SigningAlg::RS256 | SigningAlg::PS256 | SigningAlg::ES256 => {
            Sha256::digest(access_token.as_bytes()).to_vec()
        }
        SigningAlg::EdDSA => Sha512::digest(access_token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

fn sign_hs256(secret: &[u8], payload: &[u8]) -> Result<String, KeyError> {
    let signer = josekit::jws::HS256
        .signer_from_bytes(secret)
        .map_err(KeyError::Sign)?;
    let mut header = josekit::jws::JwsHeader::new();
    header.set_token_type("JWT");
    josekit::jws::serialize_compact(payload, &header, &signer).map_err(KeyError::Sign)
}
