//! The opaque tokens accounts hand out (refresh tokens) and email (password
//! reset, address verification): 32 random bytes, base64url, 43 characters;
//! and their lifetimes. Only a token's SHA-256 is stored: the token has 256
//! bits of entropy, so a plain hash cannot be guessed back the way a
//! password's could, and a leaked table lets no one in.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How long a refresh token is accepted (each rotation starts a new one).
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// How long a password-reset link works.
pub const RESET_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// How long an address-verification link works.
pub const VERIFICATION_TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Random bytes in a token.
const BYTES: usize = 32;
/// Characters of a token: 32 bytes in unpadded base64url.
const LENGTH: usize = 43;

/// A token as the client holds it. Its `Debug` hides it, so it cannot end
/// up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(***)")
    }
}

impl SecretToken {
    /// A fresh token from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = [0_u8; BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token a client sent, if it has a token's shape (anything else
    /// cannot be one of ours, and costs no database read).
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.len() != LENGTH {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        (bytes.len() == BYTES).then(|| Self(raw.to_owned()))
    }

    /// The token itself, for the one answer or email that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps of it.
    pub fn hash(&self) -> TokenHash {
        let digest = Sha256::digest(self.0.as_bytes());
        TokenHash(digest.iter().fold(String::with_capacity(64), |mut hex, b| {
            use std::fmt::Write;
            let _ = write!(hex, "{b:02x}");
            hex
        }))
    }
}

/// A token's SHA-256, in lower-case hex: the stored key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_43_base64url_characters_and_parses_back() {
        let token = SecretToken::generate();
        assert_eq!(token.expose().len(), LENGTH);
        assert_eq!(SecretToken::parse(token.expose()), Some(token.clone()));
        assert_ne!(SecretToken::generate(), token);
        assert_eq!(format!("{token:?}"), "SecretToken(***)");
    }

    #[test]
    fn garbage_is_no_token() {
        for bad in [
            "",
            "short",
            &"A".repeat(42),
            &"A".repeat(44),
            &"!".repeat(43),
            &"x".repeat(100_000),
        ] {
            assert_eq!(SecretToken::parse(bad), None, "{bad:.50}");
        }
    }

    #[test]
    fn the_hash_is_the_sha256_in_hex() {
        let token = SecretToken::parse(&"A".repeat(43)).expect("a token's shape");
        let hash = token.hash();
        assert_eq!(hash.as_str().len(), 64);
        assert_eq!(hash, token.hash());
        assert_ne!(hash, SecretToken::generate().hash());
    }
}
