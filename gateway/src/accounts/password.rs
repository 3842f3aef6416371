//! argon2id hashing off the async runtime (it is deliberately slow), and a
//! verification that costs the same whether or not the account exists.

use std::sync::LazyLock;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// Hashes a password with a fresh salt, in PHC string format.
pub async fn hash(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// A hash of nothing anyone knows, verified against when the email is
/// unknown, so a login takes as long for a missing account as for a wrong
/// password (no account enumeration by timing).
static DECOY: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(uuid::Uuid::new_v4().to_string().as_bytes())
        .map(|hash| hash.to_string())
        .unwrap_or_default()
});

/// Whether `password` matches `stored` (or, with `None`, spends the same
/// effort and says no).
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
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
