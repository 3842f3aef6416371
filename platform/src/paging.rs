//! Paging as AIP-158 describes it: page sizes with a default and a maximum,
//! and page tokens that are opaque to clients, tamper-evident (HMAC-SHA256
//! with a server key) and bound to the filters of the listing that issued
//! them. Every listing is ordered by (creation time, id), so a token points
//! at the last item of its page ([`Cursor`]), and a handler is a few lines:
//! [`PageSize::new`] and [`PageTokens::after`] for the request, a store
//! query for [`PageSize::fetch`] rows cut by [`Page::of`], and
//! [`PageTokens::next`] for the answer.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::clock::to_micros;

type HmacSha256 = Hmac<Sha256>;

/// How many results one page holds: 1 to 100, 20 when unspecified.
///
/// Every List method takes its `page_size` through here, so all of them
/// answer alike: 0 is the default, above 100 is served as 100 (AIP-158
/// coerces rather than rejects, so a client asking for "as many as you
/// allow" just gets the maximum), negative is INVALID_ARGUMENT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    pub const DEFAULT: u32 = 20;
    pub const MAX: u32 = 100;

    /// 0 means the default; above the maximum is lowered to it (AIP-158).
    pub fn new(requested: i32) -> Result<Self, String> {
        match requested {
            n if n < 0 => Err("must not be negative".into()),
            0 => Ok(Self(Self::DEFAULT)),
            n => Ok(Self(n.unsigned_abs().min(Self::MAX))),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// How many rows to fetch: one more than the page holds, which tells
    /// whether another page follows without counting.
    pub fn fetch(self) -> i64 {
        i64::from(self.0) + 1
    }
}

/// Where a listing resumes: after the item created at `at` (microseconds
/// since the Unix epoch) with id `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
}

impl Cursor {
    /// The cursor of an item: its creation time and id.
    pub fn of(created_at: OffsetDateTime, id: impl std::fmt::Display) -> Self {
        Self {
            at: to_micros(created_at),
            id: id.to_string(),
        }
    }

    fn encode(&self) -> String {
        format!("{}/{}", self.at, self.id)
    }

    fn decode(raw: &str) -> Option<Self> {
        let (at, id) = raw.split_once('/')?;
        Some(Self {
            at: at.parse().ok()?,
            id: id.to_owned(),
        })
    }
}

/// One page of a listing and whether more follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub more: bool,
}

impl<T> Page<T> {
    /// The page in `rows` fetched with a limit of [`PageSize::fetch`]: the
    /// extra row, if there, only says that more follow.
    pub fn of(mut rows: Vec<T>, size: PageSize) -> Self {
        let more = rows.len() > size.get() as usize;
        rows.truncate(size.get() as usize);
        Self { items: rows, more }
    }

    /// The same page with every item converted, or the first failure.
    pub fn try_map<U, E>(self, convert: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self
                .items
                .into_iter()
                .map(convert)
                .collect::<Result<_, _>>()?,
            more: self.more,
        })
    }
}

/// A random key for page tokens that lives as long as the process (set a
/// shared one when running replicas).
pub fn random_key() -> Vec<u8> {
    use rand::RngCore;
    let mut key = vec![0; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}

/// Bytes of HMAC-SHA256 a token carries: 128 bits make forging impractical
/// and keep tokens short. A token must carry exactly this many.
const TAG_LEN: usize = 16;

/// Longest token [`PageTokens::check`] looks at; real ones are about 120
/// characters, so anything far longer is refused before it is decoded.
const MAX_TOKEN_LEN: usize = 512;

/// Issues and checks page tokens with one key. Replicas behind one address
/// must share the key, or a token from one is refused by another.
#[derive(Clone)]
pub struct PageTokens {
    key: Vec<u8>,
}

impl PageTokens {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    /// A token continuing after `cursor` for the listing with `filters`.
    pub fn issue(&self, cursor: &str, filters: &[&str]) -> String {
        let payload = format!("1:{}:{cursor}", fingerprint(filters));
        let tag = self.tag(payload.as_bytes());
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The cursor in `token`, if this server issued it for these `filters`.
    pub fn check(&self, token: &str, filters: &[&str]) -> Result<String, &'static str> {
        const INVALID: &str = "is not a page token issued by this service";
        if token.len() > MAX_TOKEN_LEN {
            return Err(INVALID);
        }
        let (payload, tag) = token.split_once('.').ok_or(INVALID)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| INVALID)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| INVALID)?;
        // `verify_truncated_left` alone accepts any prefix of the tag, down
        // to one byte (a 1 in 256 guess): only a whole tag proves the token.
        if tag.len() != TAG_LEN {
            return Err(INVALID);
        }
        let mut mac = HmacSha256::new_from_slice(&self.key).map_err(|_| INVALID)?;
        mac.update(&payload);
        // Constant-time over all TAG_LEN bytes.
        mac.verify_truncated_left(&tag).map_err(|_| INVALID)?;

        let payload = String::from_utf8(payload).map_err(|_| INVALID)?;
        let mut parts = payload.splitn(3, ':');
        let (Some("1"), Some(fp), Some(cursor)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(INVALID);
        };
        if fp != fingerprint(filters) {
            return Err("belongs to a listing with other filters");
        }
        Ok(cursor.to_owned())
    }

    /// Where the listing with `filters` resumes: nowhere for an empty
    /// token (the first page), else the cursor in `token`; the error is
    /// the `page_token` field violation.
    pub fn after(&self, token: &str, filters: &[&str]) -> Result<Option<Cursor>, String> {
        if token.is_empty() {
            return Ok(None);
        }
        let cursor = self.check(token, filters)?;
        Cursor::decode(&cursor)
            .map(Some)
            .ok_or_else(|| "is not a page token issued by this service".into())
    }

    /// The `next_page_token` after `page`: empty on the last page.
    pub fn next<T>(
        &self,
        page: &Page<T>,
        filters: &[&str],
        cursor: impl Fn(&T) -> Cursor,
    ) -> String {
        match (page.more, page.items.last()) {
            (true, Some(last)) => self.issue(&cursor(last).encode(), filters),
            _ => String::new(),
        }
    }

    fn tag(&self, payload: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload);
        mac.finalize().into_bytes()[..TAG_LEN].to_vec()
    }
}

fn fingerprint(filters: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for filter in filters {
        hasher.update(filter.as_bytes());
        hasher.update([0]);
    }
    crate::values::hex(&hasher.finalize()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> &'static str {
        "1700000000000000:0190a1b2-0000-7000-8000-000000000001"
    }

    #[test]
    fn a_token_round_trips_for_the_same_filters() {
        let tokens = PageTokens::new(b"key");
        let token = tokens.issue(cursor(), &["coffee", ""]);
        assert_eq!(
            tokens.check(&token, &["coffee", ""]).as_deref(),
            Ok(cursor())
        );
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
    fn pages_resume_after_their_last_item() {
        let tokens = PageTokens::new(b"key");
        let size = PageSize::new(2).expect("valid");
        let page = Page::of(vec![1, 2, 3], size);
        assert_eq!((page.items.as_slice(), page.more), (&[1, 2][..], true));
        let last = Cursor {
            at: 7,
            id: "b".into(),
        };
        let token = tokens.next(&page, &["f"], |_| last.clone());
        assert_eq!(tokens.after(&token, &["f"]), Ok(Some(last)));
        assert_eq!(tokens.after("", &["f"]), Ok(None));
        assert!(tokens.after(&token, &["g"]).is_err());

        let end = Page::of(vec![1, 2], size);
        assert!(!end.more);
        assert_eq!(
            tokens.next(&end, &["f"], |_| Cursor {
                at: 0,
                id: "x".into()
            }),
            ""
        );
        assert!(tokens.after(&tokens.issue("no-slash", &[]), &[]).is_err());
    }

    #[test]
    fn page_sizes_default_and_cap() {
        assert_eq!(PageSize::new(0).map(PageSize::get), Ok(20));
        assert_eq!(PageSize::new(1).map(PageSize::get), Ok(1));
        assert_eq!(PageSize::new(100).map(PageSize::get), Ok(100));
        assert_eq!(PageSize::new(101).map(PageSize::get), Ok(100));
        assert_eq!(PageSize::new(500).map(PageSize::get), Ok(100));
        assert_eq!(PageSize::new(i32::MAX).map(PageSize::get), Ok(100));
        assert!(PageSize::new(-1).is_err());
        assert!(PageSize::new(i32::MIN).is_err());
    }

    /// The token with its tag replaced by the first `keep` bytes of it.
    fn with_tag_cut_to(token: &str, keep: usize) -> String {
        let (payload, tag) = token.split_once('.').expect("two parts");
        let tag = URL_SAFE_NO_PAD.decode(tag).expect("b64");
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(&tag[..keep]))
    }

    #[test]
    fn a_token_needs_its_whole_tag() {
        let tokens = PageTokens::new(b"key");
        let token = tokens.issue(cursor(), &[]);
        assert_eq!(
            tokens
                .check(&with_tag_cut_to(&token, TAG_LEN), &[])
                .as_deref(),
            Ok(cursor())
        );
        // A right prefix of the real tag: truncated, one byte, none at all.
        for keep in [TAG_LEN - 1, 8, 1, 0] {
            assert!(
                tokens.check(&with_tag_cut_to(&token, keep), &[]).is_err(),
                "a tag of {keep} bytes was accepted"
            );
        }
        // Longer than issued, even if it starts with the right tag.
        let (payload, tag) = token.split_once('.').expect("two parts");
        let mut long = URL_SAFE_NO_PAD.decode(tag).expect("b64");
        long.extend_from_slice(&[0; 16]);
        let long = format!("{payload}.{}", URL_SAFE_NO_PAD.encode(long));
        assert!(tokens.check(&long, &[]).is_err());
    }

    #[test]
    fn a_forged_one_byte_tag_is_refused_whatever_its_value() {
        // Before tags had to be whole, one of these 256 got through.
        let tokens = PageTokens::new(b"key");
        let forged_payload = URL_SAFE_NO_PAD.encode(format!("1:{}:0/forged", fingerprint(&[])));
        for byte in 0..=u8::MAX {
            let token = format!("{forged_payload}.{}", URL_SAFE_NO_PAD.encode([byte]));
            assert!(tokens.check(&token, &[]).is_err(), "tag byte {byte} passed");
        }
    }

    #[test]
    fn oversized_tokens_are_refused_unread() {
        let tokens = PageTokens::new(b"key");
        let token = tokens.issue(&"x".repeat(MAX_TOKEN_LEN), &[]);
        assert!(tokens.check(&token, &[]).is_err());
        assert!(tokens.issue(cursor(), &["coffee", "beans"]).len() < MAX_TOKEN_LEN / 2);
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
