//! Request fingerprints: how a repeat of a request (same idempotency key,
//! same request) is told apart from a different request reusing a key.
//!
//! A fingerprint is a SHA-256 over the fields that identify a request, so
//! the database keeps a digest rather than the fields themselves. Card
//! numbers and CVCs are never among the fields.

use sha2::{Digest, Sha256};

/// A request's fingerprint, as lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of a `kind` of request ("charge", "refund", ...)
    /// with these identifying `fields`, in a fixed order.
    pub fn of(kind: &str, fields: &[&str]) -> Self {
        let mut hasher = Sha256::new();
        // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
        for part in std::iter::once(kind).chain(fields.iter().copied()) {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        Self(platform::values::hex(&hasher.finalize()))
    }

    /// A fingerprint read back from the database.
    pub fn stored(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_fields_give_equal_fingerprints() {
        assert_eq!(
            Fingerprint::of("charge", &["a", "b"]),
            Fingerprint::of("charge", &["a", "b"])
        );
    }

    #[test]
    fn field_boundaries_and_kinds_matter() {
        assert_ne!(
            Fingerprint::of("charge", &["ab", "c"]),
            Fingerprint::of("charge", &["a", "bc"])
        );
        assert_ne!(
            Fingerprint::of("charge", &["a"]),
            Fingerprint::of("refund", &["a"])
        );
        assert_eq!(Fingerprint::of("charge", &[]).as_str().len(), 64);
    }
}
