//! The server secret and the keys derived from it.
//!
//! One secret, configured per deployment, yields a distinct key per purpose
//! (HKDF-SHA256 with the purpose as `info`), so no key is ever used for two
//! jobs and every instance sharing the secret derives the same keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// What a derived key is for; the string is part of the derivation.
#[derive(Debug, Clone, Copy)]
pub enum KeyPurpose {
    SigningKeySeal,
    ClientSecretHash,
    ClientSecretSeal,
    Csrf,
    /// Sign-in attempts at upstreams (in a cookie) and the upstream ID
    /// tokens kept for ending a session there.
    UpstreamSeal,
}

impl KeyPurpose {
    fn info(self) -> &'static [u8] {
        match self {
            KeyPurpose::SigningKeySeal => b"porteiro/signing-key-seal/v1",
            KeyPurpose::ClientSecretHash => b"porteiro/client-secret-hash/v1",
            KeyPurpose::ClientSecretSeal => b"porteiro/client-secret-seal/v1",
            KeyPurpose::Csrf => b"porteiro/csrf/v1",
            KeyPurpose::UpstreamSeal => b"porteiro/upstream-seal/v1",
        }
    }
}

/// A 256-bit key derived from the server secret.
#[derive(Clone)]
pub struct DerivedKey([u8; 32]);

impl DerivedKey {
    /// # Security
    /// Exposes key material; keep it inside the cipher or MAC that needs it.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// A short public name for this key, stored beside what it protects so a
    /// changed server secret is reported as such rather than as corruption.
    pub fn key_id(&self) -> String {
        let digest = Sha256::digest(self.0);
        hex::encode(&digest[..8])
    }
}

impl std::fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DerivedKey({})", self.key_id())
    }
}

#[derive(Clone)]
pub struct ServerSecret(SecretString);

impl ServerSecret {
    pub fn new(secret: SecretString) -> Self {
        Self(secret)
    }

    pub fn derive(&self, purpose: KeyPurpose) -> DerivedKey {
        let hkdf = Hkdf::<Sha256>::new(Some(b"porteiro"), self.0.expose_secret().as_bytes());
        let mut key = [0u8; 32];
        hkdf.expand(purpose.info(), &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        DerivedKey(key)
    }
}

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret([redacted])")
    }
}

/// `bytes` random bytes from the operating system, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// The stored form of a random bearer value we issue (a code, a refresh
/// token, a session id): SHA-256, hex. The values carry 256 random bits, so a
/// fast unkeyed hash is enough to make a database dump useless.
pub fn token_hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}
