//! Client secrets: 256 random bits, shown once, stored as a keyed hash.
//!
//! A slow password hash adds nothing for a random 256-bit secret and would cap
//! client authentication at a few dozen requests per second per core, so
//! secrets are stored as HMAC-SHA256 under a key derived from the server
//! secret: a database dump alone cannot even test guesses.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::secret::{KeyPurpose, ServerSecret};

/// Bytes of randomness in a generated secret.
const SECRET_BYTES: usize = 32;

/// A client secret in the clear, as handed to the client once.
pub struct PlainSecret(SecretString);

impl PlainSecret {
    pub fn generate() -> PlainSecret {
        PlainSecret(SecretString::from(crate::secret::random_token(
            SECRET_BYTES,
        )))
    }

    pub fn from_presented(secret: &str) -> PlainSecret {
        PlainSecret(SecretString::from(secret.to_owned()))
    }

    /// # Security
    /// Only for showing to the admin who registered the client, once.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for PlainSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainSecret([redacted])")
    }
}

/// Hashes and checks client secrets.
#[derive(Clone)]
pub struct SecretHasher {
    key: [u8; 32],
}

impl std::fmt::Debug for SecretHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHasher")
    }
}

impl SecretHasher {
    pub fn new(secret: &ServerSecret) -> SecretHasher {
        SecretHasher {
            key: *secret.derive(KeyPurpose::ClientSecretHash).expose(),
        }
    }

    /// Hex of HMAC-SHA256(key, secret).
    pub fn hash(&self, secret: &PlainSecret) -> String {
        hex::encode(self.mac(secret))
    }

    /// Compares in constant time, so timing reveals nothing of the stored hash.
    pub fn verify(&self, secret: &PlainSecret, stored_hex: &str) -> bool {
        let Ok(stored) = hex::decode(stored_hex) else {
            return false;
        };
        self.mac(secret).ct_eq(&stored).into()
    }

    fn mac(&self, secret: &PlainSecret) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .expect("HMAC-SHA256 accepts keys of any length");
        mac.update(secret.expose().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> SecretHasher {
        SecretHasher::new(&ServerSecret::new(SecretString::from("s".repeat(40))))
    }

    #[test]
    fn generated_secret_verifies_and_another_does_not() {
        let hasher = hasher();
        let secret = PlainSecret::generate();
        let stored = hasher.hash(&secret);
        assert!(hasher.verify(&secret, &stored));
        assert!(!hasher.verify(&PlainSecret::from_presented("guess"), &stored));
        assert_ne!(stored, secret.expose());
    }
}
