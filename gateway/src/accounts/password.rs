//! argon2id hashing off the async runtime (it is deliberately slow), and a
//! verification that costs the same whether or not the account exists.
//!
//! Each hash needs 19 MiB of working memory (argon2id's default cost). Two
//! things keep that from becoming the gateway's memory: at most one hash per
//! core runs at a time (more would not finish sooner, and a burst of
//! sign-ins would otherwise allocate 19 MiB each at once), and the working
//! memory goes back to the system after each hash (see [`return_large_blocks`]).

use std::sync::{LazyLock, Once};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

/// One hash at a time per core.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    Semaphore::new(cores)
});

/// Runs `work` on the blocking pool once a hashing slot is free.
async fn hashing<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    return_large_blocks();
    let _slot = HASHING.acquire().await.map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| e.to_string())
}

/// glibc's malloc serves a large block from `mmap` and unmaps it when freed,
/// but its *dynamic* threshold rises to the size of the first such block
/// freed: from then on each 19 MiB argon2 block came from the heap and
/// stayed there, and a sign-up burst left the gateway hundreds of MiB
/// larger for good (the benchmark measured 356 MiB after 16 sign-ups). A
/// fixed threshold keeps blocks of 1 MiB and more on `mmap`, so they are
/// returned when freed; smaller allocations are unaffected.
fn return_large_blocks() {
    static ONCE: Once = Once::new();
    ONCE.call_once(fixed_mmap_threshold);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // the workspace's one exception: see the SAFETY note
fn fixed_mmap_threshold() {
    // SAFETY: mallopt only changes an allocator tunable; glibc allows it at
    // any time, from any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Other allocators return large blocks on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fixed_mmap_threshold() {}

/// Hashes a password with a fresh salt, in PHC string format.
pub async fn hash(password: String) -> Result<String, String> {
    hashing(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| e.to_string())
    })
    .await?
}

/// A hash of nothing anyone knows, verified against when the email is
/// unknown, so a login takes as long for a missing account as for a wrong
/// password (no account enumeration by timing).
static DECOY: LazyLock<String> = LazyLock::new(|| {
    return_large_blocks();
    Argon2::default()
        .hash_password(uuid::Uuid::new_v4().to_string().as_bytes())
        .map(|hash| hash.to_string())
        .unwrap_or_default()
});

/// Whether `password` matches `stored` (or, with `None`, spends the same
/// effort and says no).
pub async fn verify(password: String, stored: Option<String>) -> bool {
    hashing(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DECOY.clone());
        let Ok(parsed) = PasswordHash::new(&phc) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        known && matches
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery".into()).await.expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(stored.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(stored)).await);
        assert!(!verify("anything".into(), None).await);
    }
}
