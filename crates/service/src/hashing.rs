//! Password hashing off the async threads: at most one argon2id computation
//! per worker at a time, each in a kept [`Workspace`].
//!
//! Without the bound, N concurrent sign-ins start N blocking threads that
//! each take the full memory cost (19 MiB): memory an attacker chooses. With
//! it, extra sign-ins wait their turn without holding a thread, memory stays
//! at workers × memory cost, and the working memory is reused instead of
//! mapped and faulted in afresh for every sign-in.

use std::sync::{Arc, Mutex};

use propusk_core::password::{Hasher, PasswordError, Verified, Workspace};
use rand_core::OsRng;
use tokio::sync::Semaphore;

use crate::{Result, ServiceError};

pub struct Passwords {
    hasher: Arc<Hasher>,
    permits: Semaphore,
    spare: Mutex<Vec<Workspace>>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("params", &self.hasher.params())
            .field("free_workers", &self.permits.available_permits())
            .finish()
    }
}

impl Passwords {
    /// `workers`: how many computations may run at once; the number of cores
    /// is right for a node that does little else.
    pub fn new(hasher: Arc<Hasher>, workers: usize) -> Passwords {
        Passwords {
            hasher,
            permits: Semaphore::new(workers.max(1)),
            spare: Mutex::new(Vec::new()),
        }
    }

    /// One worker per core of this machine.
    pub fn per_core(hasher: Arc<Hasher>) -> Passwords {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Passwords::new(hasher, cores)
    }

    /// Checks a password against a stored hash; `None` checks it against the
    /// dummy hash so unknown accounts cost the same.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> Result<Verified> {
        let typed = password.to_owned();
        self.run(move |h, ws| h.verify_in(&typed, stored.as_deref(), ws))
            .await
    }

    /// A new hash under the current parameters.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let typed = password.to_owned();
        self.run(move |h, ws| h.hash_in(&typed, &mut OsRng, ws))
            .await
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Hasher, &mut Workspace) -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut ws = self.take();
        let hasher = self.hasher.clone();
        let (result, ws) = tokio::task::spawn_blocking(move || {
            let r = job(&hasher, &mut ws);
            (r, ws)
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.give_back(ws);
        result.map_err(|e| ServiceError::Internal(e.to_string()))
    }

    fn take(&self) -> Workspace {
        self.spare
            .lock()
            .map(|mut s| s.pop())
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn give_back(&self, ws: Workspace) {
        if let Ok(mut s) = self.spare.lock() {
            s.push(ws);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use propusk_core::password::HashParams;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_at_once_share_a_bounded_set_of_workspaces() {
        let hasher = Arc::new(Hasher::new(HashParams::default(), &mut OsRng).unwrap());
        let pool = Arc::new(Passwords::new(hasher, 2));
        let stored = pool.hash("Lilac-Harbour-71").await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (pool, stored) = (pool.clone(), stored.clone());
                tokio::spawn(async move {
                    let typed = if i % 2 == 0 {
                        "Lilac-Harbour-71"
                    } else {
                        "wrong"
                    };
                    pool.verify(typed, Some(stored)).await.unwrap().ok == (i % 2 == 0)
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap());
        }
        assert!(!pool.verify("anything", None).await.unwrap().ok);
        let spare = pool.spare.lock().unwrap().len();
        assert!(
            (1..=2).contains(&spare),
            "{spare} workspaces kept for 2 workers"
        );
        assert_eq!(pool.permits.available_permits(), 2);
    }
}
