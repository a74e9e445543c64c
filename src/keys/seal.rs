//! Values sealed at rest with AES-256-GCM under a key derived from the server
//! secret: private signing keys, and the few client secrets that must be
//! known in the clear. A database dump alone signs nothing.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

use crate::secret::{DerivedKey, KeyPurpose, ServerSecret};

const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(
        "{kid} was sealed under another server secret (key id {stored}, ours {ours}); \
         start with the server secret that created it"
    )]
    WrongSecret {
        kid: String,
        stored: String,
        ours: String,
    },
    #[error("sealed value {0} is damaged")]
    Damaged(String),
}

/// Seals and opens private keys; the key id tells which secret sealed them.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
    key_id: String,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer({})", self.key_id)
    }
}

impl Sealer {
    /// The sealer of private signing keys.
    pub fn new(secret: &ServerSecret) -> Sealer {
        Self::with_purpose(secret, KeyPurpose::SigningKeySeal)
    }

    /// The sealer of client secrets kept for HS256 ID tokens.
    pub fn for_client_secrets(secret: &ServerSecret) -> Sealer {
        Self::with_purpose(secret, KeyPurpose::ClientSecretSeal)
    }

    /// The sealer of federation state: sign-in attempts and upstream ID
    /// tokens.
    pub fn for_upstreams(secret: &ServerSecret) -> Sealer {
        Self::with_purpose(secret, KeyPurpose::UpstreamSeal)
    }

    fn with_purpose(secret: &ServerSecret, purpose: KeyPurpose) -> Sealer {
        let key: DerivedKey = secret.derive(purpose);
        let cipher = Aes256Gcm::new(key.expose().into());
        Sealer {
            cipher,
            key_id: key.key_id(),
        }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Encrypts `plaintext`, bound to `kid` so sealed keys cannot be swapped
    /// between rows. Returns base64 of nonce and ciphertext.
    pub fn seal(&self, kid: &str, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: kid.as_bytes(),
        };
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .expect("AES-GCM encryption of a key-sized message cannot fail");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        STANDARD.encode(sealed)
    }

    pub fn open(
        &self,
        kid: &str,
        sealing_key_id: &str,
        sealed: &str,
    ) -> Result<Vec<u8>, SealError> {
        if sealing_key_id != self.key_id {
            return Err(SealError::WrongSecret {
                kid: kid.to_owned(),
                stored: sealing_key_id.to_owned(),
                ours: self.key_id.clone(),
            });
        }
        let damaged = || SealError::Damaged(kid.to_owned());
        let bytes = STANDARD.decode(sealed).map_err(|_| damaged())?;
        if bytes.len() <= NONCE_LEN {
            return Err(damaged());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: kid.as_bytes(),
        };
        self.cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| damaged())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn sealer(secret: &str) -> Sealer {
        Sealer::new(&ServerSecret::new(SecretString::from(secret.to_owned())))
    }

    #[test]
    fn sealed_key_opens_with_the_same_secret() {
        let sealer = sealer("a-secret-that-is-long-enough-for-the-test");
        let sealed = sealer.seal("kid1", b"private");
        assert_eq!(
            sealer.open("kid1", sealer.key_id(), &sealed).unwrap(),
            b"private"
        );
    }

    #[test]
    fn sealed_key_does_not_open_under_another_kid() {
        let sealer = sealer("a-secret-that-is-long-enough-for-the-test");
        let sealed = sealer.seal("kid1", b"private");
        assert!(matches!(
            sealer.open("kid2", sealer.key_id(), &sealed),
            Err(SealError::Damaged(_))
        ));
    }

    #[test]
    fn another_secret_is_reported_as_such() {
        let first = sealer("a-secret-that-is-long-enough-for-the-test");
        let second = sealer("another-secret-that-is-long-enough-too!!");
        let sealed = first.seal("kid1", b"private");
        let opened = second.open("kid1", first.key_id(), &sealed);
        assert!(matches!(opened, Err(SealError::WrongSecret { .. })));
    }
}
