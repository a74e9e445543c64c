//! A parsed, immutable key set and the documents built from it.

use actix_web::web::Bytes;
use josekit::jwk::Jwk;
use josekit::jws::{JwsHeader, JwsSigner, JwsVerifier};

use super::{KeyError, PublishedDocuments, Sealer, SigningAlg};
use crate::storage::models::signing_key::SigningKeyRow;

/// Where a key is in its life at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, not yet signing.
    Next,
    Active,
    /// No longer signing, still published for the tokens it signed.
    Retired,
    /// Out of the JWKS.
    Expired,
}

impl KeyState {
    pub fn of(row: &SigningKeyRow, now: i64) -> KeyState {
        match (row.retires_at, row.unpublish_at) {
            (_, Some(unpublish)) if unpublish <= now => KeyState::Expired,
            (Some(retires), _) if retires <= now => KeyState::Retired,
            _ if row.activates_at > now => KeyState::Next,
            _ => KeyState::Active,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Active => "active",
            KeyState::Retired => "retired",
            KeyState::Expired => "expired",
        }
    }
}

pub struct LoadedKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub activates_at: i64,
    pub retires_at: Option<i64>,
    signer: Box<dyn JwsSigner>,
    verifier: Box<dyn JwsVerifier>,
}

impl LoadedKey {
    fn signs_at(&self, now: i64) -> bool {
        self.activates_at <= now && self.retires_at.is_none_or(|retires| retires > now)
    }
}

pub struct KeySet {
    keys: Vec<LoadedKey>,
    jwks: Bytes,
    discovery: Bytes,
    fingerprint: String,
    /// The next time a key changes state without the rows changing.
    next_change: Option<i64>,
}

/// A cheap summary of the stored rows: equal fingerprints, equal key sets.
pub(super) fn fingerprint(rows: &[SigningKeyRow]) -> String {
    rows.iter()
        .map(|r| {
            format!(
                "{}:{}:{:?}:{:?};",
                r.kid, r.activates_at, r.retires_at, r.unpublish_at
            )
        })
        .collect()
}

impl KeySet {
    pub(super) fn build(
        rows: Vec<SigningKeyRow>,
        sealer: &Sealer,
        now: i64,
        documents: &dyn PublishedDocuments,
    ) -> Result<KeySet, KeyError> {
        let fingerprint = fingerprint(&rows);
        let next_change = rows
            .iter()
            .flat_map(|r| [Some(r.activates_at), r.retires_at, r.unpublish_at])
            .flatten()
            .filter(|&at| at > now)
            .min();

        let mut keys = Vec::with_capacity(rows.len());
        let mut public_keys = Vec::with_capacity(rows.len());
        for row in &rows {
            let (key, public) = load_key(row, sealer)?;
            keys.push(key);
            public_keys.push(public);
        }

        let jwks = serde_json::json!({ "keys": public_keys });
        let mut algs: Vec<SigningAlg> = keys.iter().map(|k| k.alg).collect();
        algs.sort();
        algs.dedup();
        let discovery = documents.discovery(&algs);
        Ok(KeySet {
            keys,
            jwks: Bytes::from(jwks.to_string()),
            discovery: Bytes::from(discovery.to_string()),
            fingerprint,
            next_change,
        })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn keys(&self) -> &[LoadedKey] {
        &self.keys
    }

    /// The serialized JWKS, built once per key set.
    pub fn jwks(&self) -> Bytes {
        self.jwks.clone()
    }

    /// The serialized discovery document, built once per key set.
    pub fn discovery(&self) -> Bytes {
        self.discovery.clone()
    }

    pub(super) fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub(super) fn changes_by(&self, now: i64) -> bool {
        self.next_change.is_some_and(|at| at <= now)
    }

    /// The key that signs `alg` at `now`: the most recently activated one.
    pub fn signing_key(&self, alg: SigningAlg, now: i64) -> Option<&LoadedKey> {
        self.keys
            .iter()
            .filter(|k| k.alg == alg && k.signs_at(now))
            .max_by_key(|k| k.activates_at)
    }

    pub fn sign(
        &self,
        alg: SigningAlg,
        typ: &str,
        payload: &[u8],
        now: i64,
    ) -> Result<String, KeyError> {
        let key = self
            .signing_key(alg, now)
            .ok_or(KeyError::NoActiveKey(alg))?;
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(&key.kid);
        josekit::jws::serialize_compact(payload, &header, key.signer.as_ref())
            .map_err(KeyError::Sign)
    }
}

/// Why a token we are asked to trust is not ours.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the token is not a compact JWS")]
    Malformed,
    #[error("the token names no key of ours")]
    UnknownKey,
    #[error("the token's algorithm is not its key's")]
    WrongAlgorithm,
    #[error("the signature does not verify")]
    BadSignature,
}

impl KeySet {
    /// Verifies a JWS signed by one of our published keys. The key is found
    /// by `kid` and its own algorithm is used: the header's `alg` must match
    /// it, so `none` or HS256 keyed with a public key never pass (RFC 8725
    /// section 3.1).
    pub fn verify(&self, token: &str) -> Result<(Vec<u8>, JwsHeader), VerifyError> {
        let header = decode_header(token).ok_or(VerifyError::Malformed)?;
        let kid = header
            .get("kid")
            .and_then(|k| k.as_str())
            .ok_or(VerifyError::UnknownKey)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(VerifyError::UnknownKey)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some(key.alg.as_str()) {
            return Err(VerifyError::WrongAlgorithm);
        }

        josekit::jws::deserialize_compact(token, key.verifier.as_ref())
            .map_err(|_| VerifyError::BadSignature)
    }
}

fn decode_header(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine;

    let encoded = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn load_key(
    row: &SigningKeyRow,
    sealer: &Sealer,
) -> Result<(LoadedKey, serde_json::Value), KeyError> {
    let unusable = |reason: String| KeyError::Unusable {
        kid: row.kid.clone(),
        reason,
    };

    let alg = SigningAlg::parse(&row.alg).map_err(|e| unusable(e.to_string()))?;
    let der = sealer.open(&row.kid, &row.sealing_key_id, &row.sealed_private_key)?;
    let signer = alg
        .signer(&der, &row.kid)
        .map_err(|e| unusable(e.to_string()))?;
    let public = Jwk::from_bytes(row.public_jwk.as_bytes()).map_err(|e| unusable(e.to_string()))?;
    let verifier = alg.verifier(&public).map_err(|e| unusable(e.to_string()))?;

    let key = LoadedKey {
        kid: row.kid.clone(),
        alg,
        activates_at: row.activates_at,
        retires_at: row.retires_at,
        signer,
        verifier,
    };
    Ok((key, serde_json::Value::Object(public.as_ref().clone())))
}
