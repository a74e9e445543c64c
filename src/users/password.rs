//! Password hashing with argon2id, off the async executor and bounded.
//!
//! One hash costs tens of milliseconds of a core and 19 MiB of memory, so
//! hashes run on a few threads of their own: a burst of logins queues
//! instead of exhausting memory. Those threads run at a lower priority than
//! the rest of the server, so while logins keep every core busy, token,
//! JWKS and page requests still get the processor first; the hashes take
//! whatever time is left over.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::oneshot;

/// OWASP's argon2id minimum: 19 MiB, two passes, one lane. One lane means
/// one thread per hash, so busy cores each hold a hash's 19 MiB; where the
/// cache they share is small, two hashes slow each other
/// (docs/LIMITATIONS.md). argon2 0.5 has no threads for lanes that would
/// let cores share one hash's memory.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

/// The nice value of the hashing threads: above the server's 0, so the
/// scheduler prefers every other thread, yet not idle-only. At 5 they get
/// about a quarter of a core that cheap requests also want: in the flows
/// bench a JWKS flood left 15 to 24 sign-ins a second (7 at nice 10),
/// and JWKS kept a p99 of 8 ms beside saturating sign-ins.
const HASHING_NICE: i32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password could not be hashed")]
    Hash,
    #[error("the stored password hash is malformed")]
    MalformedHash,
    #[error("the hashing task stopped before finishing")]
    Interrupted,
}

/// A job for a hashing thread, handed that thread's argon2 memory.
type Job = Box<dyn FnOnce(&mut Workspace) + Send>;

/// Hands hashes to its threads; cheap to clone. The threads stop once every
/// clone is dropped.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    jobs: Sender<Job>,
}

impl PasswordHasher {
    /// Starts `max_concurrent` hashing threads (at least one).
    pub fn new(max_concurrent: usize) -> PasswordHasher {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..max_concurrent.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || run_jobs(&queue));
            if let Err(error) = spawned {
                tracing::error!(error = %error, "cannot start a password hashing thread");
            }
        }
        PasswordHasher { jobs }
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) for `password`.
    pub async fn hash(&self, password: SecretString) -> Result<String, PasswordError> {
        self.run(move |memory| memory.hash(&password)).await
    }

    /// Whether `password` matches `phc`.
    pub async fn verify(&self, password: SecretString, phc: String) -> Result<bool, PasswordError> {
        self.run(move |memory| memory.verify(&password, &phc)).await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Workspace) -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = done.send(work(memory));
        });

        self.jobs
            .send(job)
            .map_err(|_| PasswordError::Interrupted)?;
        result.await.map_err(|_| PasswordError::Interrupted)?
    }
}

/// A hashing thread: lowers its own priority, then takes jobs until the
/// hasher is dropped.
fn run_jobs(queue: &Mutex<Receiver<Job>>) {
    lower_priority();
    let mut memory = Workspace::default();
    loop {
        // The lock is held only while waiting for the next job, not while
        // hashing, so the threads hash side by side.
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match next {
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux a thread id names one thread to setpriority(2).
    let tid = rustix::thread::gettid();
    if let Err(error) = rustix::process::setpriority_process(Some(tid), HASHING_NICE) {
        tracing::warn!(error = %error, "cannot lower the priority of a password hashing thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

fn argon2(version: Version, params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, version, params)
}

/// Blocks of the memory a hashing thread keeps: what our own parameters
/// need. A stored hash made with more memory is checked in memory of its
/// own, freed afterwards, so one old hash does not grow every thread.
const KEPT_BLOCKS: usize = MEMORY_KIB as usize;

/// The most memory a stored hash may name, 1 GiB: far above any sane
/// argon2 setting, and below what would take the server down.
const MAX_STORED_MEMORY_KIB: u32 = 1 << 20;

fn default_params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .expect("the argon2 parameters are within the algorithm's bounds")
}

/// Argon2's working memory, kept from one hash to the next by the thread
/// that owns it: allocating and filling 19 MiB afresh for every hash cost
/// time, and memory bandwidth that the other hashing threads need.
#[derive(Default)]
pub struct Workspace {
    blocks: Vec<Block>,
}

impl Workspace {
    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) for `password`.
    pub fn hash(&mut self, password: &SecretString) -> Result<String, PasswordError> {
        let params = default_params();
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
        let salt_bytes = salt
            .decode_b64(&mut salt_bytes)
            .map_err(|_| PasswordError::Hash)?;

        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.compute(&params, Version::V0x13, password, salt_bytes, &mut output)?;

        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|_| PasswordError::Hash)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&output).map_err(|_| PasswordError::Hash)?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches `phc`, hashed with the parameters `phc`
    /// names (older hashes keep theirs).
    pub fn verify(&mut self, password: &SecretString, phc: &str) -> Result<bool, PasswordError> {
        let parsed = PasswordHash::new(phc).map_err(|_| PasswordError::MalformedHash)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(PasswordError::MalformedHash);
        };
        if parsed.algorithm != Algorithm::Argon2id.ident() {
            return Err(PasswordError::MalformedHash);
        }
        let params = Params::try_from(&parsed).map_err(|_| PasswordError::MalformedHash)?;
        if params.m_cost() > MAX_STORED_MEMORY_KIB {
            return Err(PasswordError::MalformedHash);
        }
        // As the argon2 crate's own verifier: the version the hash names,
        // 1.3 when it names none.
        let version = parsed
            .version
            .map_or(Ok(Version::V0x13), Version::try_from)
            .map_err(|_| PasswordError::MalformedHash)?;
        let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
        let salt_bytes = salt
            .decode_b64(&mut salt_bytes)
            .map_err(|_| PasswordError::MalformedHash)?;

        let mut computed = vec![0u8; expected.len()];
        self.compute(&params, version, password, salt_bytes, &mut computed)?;
        let computed = Output::new(&computed).map_err(|_| PasswordError::MalformedHash)?;
        // `Output` compares in constant time.
        Ok(computed == expected)
    }

    fn compute(
        &mut self,
        params: &Params,
        version: Version,
        password: &SecretString,
        salt: &[u8],
        output: &mut [u8],
    ) -> Result<(), PasswordError> {
        let needed = params.block_count();
        let mut own = Vec::new();
        let blocks = if needed <= KEPT_BLOCKS {
            if self.blocks.len() < needed {
                self.blocks.resize(needed, Block::default());
            }
            &mut self.blocks[..needed]
        } else {
            own.resize(needed, Block::default());
            &mut own[..]
        };
        argon2(version, params.clone())
            .hash_password_into_with_memory(
                password.expose_secret().as_bytes(),
                salt,
                output,
                blocks,
            )
            .map_err(|_| PasswordError::Hash)
    }
}

/// Hashes on the calling thread; for startup and the CLI, never a handler.
pub fn hash_now(password: &SecretString) -> Result<String, PasswordError> {
    Workspace::default().hash(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_with_owasp_parameters_and_verifies() {
        let password = SecretString::from("correct horse".to_owned());
        let phc = hash_now(&password).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        let mut memory = Workspace::default();
        assert!(memory.verify(&password, &phc).unwrap());
        assert!(
            !memory
                .verify(&SecretString::from("wrong".to_owned()), &phc)
                .unwrap()
        );
    }

    #[test]
    fn hashes_agree_with_the_argon2_crates_own_hashing_and_verifying() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

        let password = SecretString::from("correct horse".to_owned());
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon2(Version::V0x13, default_params())
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        let ours = hash_now(&password).unwrap();

        let mut memory = Workspace::default();
        assert!(memory.verify(&password, &theirs).unwrap());
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            argon2(Version::V0x13, default_params())
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
    }

    #[test]
    fn a_hash_with_other_parameters_verifies_with_its_own() {
        let small = Params::new(8 * 1024, 1, 1, None).unwrap();
        let phc = old_hash(argon2(Version::V0x13, small));
        let mut memory = Workspace::default();
        // A larger workspace from an earlier hash serves a smaller one too.
        hash_now_in(&mut memory);

        assert_only_the_old_password_matches(&mut memory, &phc);
    }

    #[test]
    fn a_malformed_or_foreign_hash_is_reported_not_matched() {
        let password = SecretString::from("x".to_owned());
        let mut memory = Workspace::default();
        for phc in [
            "not a hash",
            "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0",
        ] {
            assert!(
                matches!(
                    memory.verify(&password, phc),
                    Err(PasswordError::MalformedHash)
                ),
                "{phc}"
            );
        }
    }

    #[test]
    fn a_hash_with_more_memory_verifies_without_growing_the_kept_memory() {
        let large = Params::new(MEMORY_KIB * 2, 1, 1, None).unwrap();
        let phc = old_hash(argon2(Version::V0x13, large));
        let mut memory = Workspace::default();

        assert_only_the_old_password_matches(&mut memory, &phc);
        assert!(
            memory.blocks.len() <= KEPT_BLOCKS,
            "{}",
            memory.blocks.len()
        );
    }

    #[test]
    fn a_hash_of_argon2_version_1_0_verifies_with_that_version() {
        let phc = old_hash(argon2(Version::V0x10, default_params()));
        assert!(phc.starts_with("$argon2id$v=16$"), "{phc}");
        let mut memory = Workspace::default();

        assert_only_the_old_password_matches(&mut memory, &phc);
    }

    #[test]
    fn a_hash_naming_more_memory_than_the_ceiling_is_malformed_not_an_abort() {
        let password = SecretString::from("x".to_owned());
        let mut memory = Workspace::default();
        let phc = "$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";
        assert!(matches!(
            memory.verify(&password, phc),
            Err(PasswordError::MalformedHash)
        ));
    }

    /// "old password" hashed the argon2 crate's way, with `argon2`'s settings.
    fn old_hash(argon2: Argon2<'_>) -> String {
        use argon2::password_hash::PasswordHasher as _;

        let salt = SaltString::generate(&mut OsRng);
        argon2
            .hash_password(b"old password", &salt)
            .unwrap()
            .to_string()
    }

    fn assert_only_the_old_password_matches(memory: &mut Workspace, phc: &str) {
        let right = SecretString::from("old password".to_owned());
        let wrong = SecretString::from("old passwore".to_owned());
        assert!(memory.verify(&right, phc).unwrap());
        assert!(!memory.verify(&wrong, phc).unwrap());
    }

    fn hash_now_in(memory: &mut Workspace) {
        memory
            .hash(&SecretString::from("warm up".to_owned()))
            .unwrap();
    }

    #[tokio::test]
    async fn no_more_hashes_run_at_once_than_the_bound() {
        use std::sync::atomic::{AtomicUsize, Ordering};

        let hasher = PasswordHasher::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));

        let jobs = (0..8).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            hasher.run(move |_| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            })
        });
        for outcome in futures_util::future::join_all(jobs).await {
            outcome.unwrap();
        }

        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashes_run_at_a_lower_priority_than_the_server() {
        let hasher = PasswordHasher::new(1);

        let nice = hasher
            .run(|_| {
                let tid = rustix::thread::gettid();
                Ok(rustix::process::getpriority_process(Some(tid)).unwrap())
            })
            .await
            .unwrap();

        assert!(
            nice >= HASHING_NICE,
            "the hashing thread runs at nice {nice}"
        );
    }
}
