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
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::oneshot;

/// OWASP's argon2id minimum: 19 MiB, two passes, one lane.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

/// The nice value of the hashing threads: above the server's 0, so the
/// scheduler prefers every other thread, yet not idle-only.
const HASHING_NICE: i32 = 10;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password could not be hashed")]
    Hash,
    #[error("the stored password hash is malformed")]
    MalformedHash,
    #[error("the hashing task stopped before finishing")]
    Interrupted,
}

type Job = Box<dyn FnOnce() + Send>;

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
        self.run(move || hash_now(&password)).await
    }

    /// Whether `password` matches `phc`.
    pub async fn verify(&self, password: SecretString, phc: String) -> Result<bool, PasswordError> {
        self.run(move || verify_now(&password, &phc)).await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
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
    loop {
        // The lock is held only while waiting for the next job, not while
        // hashing, so the threads hash side by side.
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match next {
            Ok(job) => job(),
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

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .expect("the argon2 parameters are within the algorithm's bounds");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on the calling thread; for startup and the CLI, never a handler.
pub fn hash_now(password: &SecretString) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| PasswordError::Hash)
}

fn verify_now(password: &SecretString, phc: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(phc).map_err(|_| PasswordError::MalformedHash)?;
    Ok(argon2()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_with_owasp_parameters_and_verifies() {
        let password = SecretString::from("correct horse".to_owned());
        let phc = hash_now(&password).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_now(&password, &phc).unwrap());
        assert!(!verify_now(&SecretString::from("wrong".to_owned()), &phc).unwrap());
    }

    #[tokio::test]
    async fn no_more_hashes_run_at_once_than_the_bound() {
        use std::sync::atomic::{AtomicUsize, Ordering};

        let hasher = PasswordHasher::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));

        let jobs = (0..8).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            hasher.run(move || {
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
            .run(|| {
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
