//! Page tokens: opaque to clients, tamper-evident (HMAC-SHA256 with a
//! server key) and bound to the filters of the listing that issued them.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::domain::ProductId;

type HmacSha256 = Hmac<Sha256>;

/// Issues and checks page tokens with one key. Replicas behind one address
/// must share the key, or a token from one is refused by another.
#[derive(Clone)]
pub struct PageTokens {
    key: Vec<u8>,
}

/// Where the next page starts: after this product's creation time and id.
pub type Cursor = (i64, ProductId);

impl PageTokens {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    /// A token continuing after `cursor` for the listing with `filters`.
    pub fn issue(&self, cursor: Cursor, filters: &[&str]) -> String {
        let payload = format!("1:{}:{}:{}", cursor.0, cursor.1, fingerprint(filters));
        let tag = self.tag(payload.as_bytes());
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The cursor in `token`, if this server issued it for these `filters`.
    pub fn check(&self, token: &str, filters: &[&str]) -> Result<Cursor, &'static str> {
        const INVALID: &str = "is not a page token issued by this service";
        let (payload, tag) = token.split_once('.').ok_or(INVALID)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| INVALID)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| INVALID)?;
        let mut mac = HmacSha256::new_from_slice(&self.key).map_err(|_| INVALID)?;
        mac.update(&payload);
        mac.verify_truncated_left(&tag).map_err(|_| INVALID)?;

        let payload = String::from_utf8(payload).map_err(|_| INVALID)?;
        let mut parts = payload.split(':');
        let (Some("1"), Some(at), Some(id), Some(fp), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(INVALID);
        };
        if fp != fingerprint(filters) {
            return Err("belongs to a listing with other filters");
        }
        let at = at.parse().map_err(|_| INVALID)?;
        let id = ProductId::parse(id).map_err(|_| INVALID)?;
        Ok((at, id))
    }

    fn tag(&self, payload: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload);
        // 128 bits are plenty to make forging impractical, and keep tokens short.
        mac.finalize().into_bytes()[..16].to_vec()
    }
}

fn fingerprint(filters: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for filter in filters {
        hasher.update(filter.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        (
            1_700_000_000_000_000,
            ProductId::parse("0190a1b2-0000-7000-8000-000000000001").expect("id"),
        )
    }

    #[test]
    fn a_token_round_trips_for_the_same_filters() {
        let tokens = PageTokens::new(b"key");
        let token = tokens.issue(cursor(), &["coffee", ""]);
        assert_eq!(tokens.check(&token, &["coffee", ""]), Ok(cursor()));
    }

    #[test]
    fn tokens_are_bound_to_filters_and_key() {
        let tokens = PageTokens::new(b"key");
        let token = tokens.issue(cursor(), &["coffee", ""]);
        assert!(tokens.check(&token, &["tea", ""]).is_err());
        assert!(
            PageTokens::new(b"other")
                .check(&token, &["coffee", ""])
                .is_err()
        );
    }

    #[test]
    fn tampered_tokens_are_refused() {
        let tokens = PageTokens::new(b"key");
        let token = tokens.issue(cursor(), &[]);
        let (payload, tag) = token.split_once('.').expect("two parts");
        let forged_payload = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(payload).expect("b64"))
                .expect("utf8")
                .replace("1700", "1600"),
        );
        assert!(
            tokens
                .check(&format!("{forged_payload}.{tag}"), &[])
                .is_err()
        );
        assert!(tokens.check("garbage", &[]).is_err());
        assert!(tokens.check("", &[]).is_err());
    }
}
