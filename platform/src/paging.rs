//! Paging as AIP-158 describes it: page sizes with a default and a maximum,
//! and page tokens that are opaque to clients, tamper-evident (HMAC-SHA256
//! with a server key) and bound to the filters of the listing that issued
//! them. A listing in its one fixed order, (creation time, id), points a
//! token at the last item of its page ([`Cursor`]), and a handler is a few
//! lines: [`PageSize::new`] and [`PageTokens::after`] for the request, a
//! store query for [`PageSize::fetch`] rows cut by [`Page::of`], and
//! [`PageTokens::next`] for the answer.
//!
//! A listing a client may sort (AIP-132 `order_by`) names its sort fields
//! once ([`SortField`]), parses the request's `order_by` into an
//! [`OrderBy`], and pages with [`PageTokens::after_sorted`] and
//! [`PageTokens::next_sorted`]: their tokens are bound to the filters *and*
//! the order, and carry the last row's sort key and id ([`SortCursor`]), so
//! the store resumes with a keyset condition, never an OFFSET:
//!
//! ```
//! use platform::paging::{OrderBy, Page, PageSize, PageTokens, SortCursor, SortField, SortKey};
//!
//! #[derive(Debug, Clone, Copy, PartialEq, Eq)]
//! enum ProductOrder { CreateTime, Name }
//!
//! impl SortField for ProductOrder {
//!     // As the proto documents them, the default first.
//!     const NAMES: &'static [(Self, &'static str)] =
//!         &[(Self::CreateTime, "create_time"), (Self::Name, "name")];
//!     const DEFAULT: OrderBy<Self> = OrderBy::asc(Self::CreateTime);
//! }
//!
//! // The request: `v.check("order_by", OrderBy::parse(..))` in a handler.
//! let order = OrderBy::<ProductOrder>::parse("name desc").unwrap();
//! assert_eq!(order, OrderBy::desc(ProductOrder::Name));
//! assert_eq!(OrderBy::<ProductOrder>::parse("").unwrap(), ProductOrder::DEFAULT);
//! assert_eq!(
//!     OrderBy::<ProductOrder>::parse("price").unwrap_err(),
//!     r#"must be one of "create_time", "create_time desc", "name", "name desc""#,
//! );
//!
//! let tokens = PageTokens::new(b"key");
//! let filters = ["coffee"];
//! let after = tokens.after_sorted("", &filters, order).unwrap(); // None: first page
//! assert_eq!(after, None);
//!
//! // The store: rows with (name, id) after the cursor in this order, one
//! // more than the page holds, e.g. for `name desc`:
//! //   WHERE name < :key OR (name = :key AND id < :id)
//! //   ORDER BY name DESC, id DESC LIMIT :fetch
//! let rows = vec![("Mug", "3"), ("Cup", "1")];
//! let page = Page::of(rows, PageSize::new(1).unwrap());
//!
//! // The answer: a token for the next page, with the last row's key and id.
//! let next = tokens.next_sorted(&page, &filters, order, |(name, id)| SortCursor::new(*name, id));
//! assert_eq!(
//!     tokens.after_sorted(&next, &filters, order),
//!     Ok(Some(SortCursor { key: SortKey::Text("Mug".into()), id: "3".into() })),
//! );
//! // Another order (or other filters) refuses it: the `page_token` violation.
//! assert!(tokens.after_sorted(&next, &filters, OrderBy::asc(ProductOrder::Name)).is_err());
//! ```

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

/// The fields a sortable listing may be ordered by (AIP-132 `order_by`):
/// usually a fieldless enum of the service's, one variant per field.
pub trait SortField: Copy + Eq + std::fmt::Debug + 'static {
    /// Each field with its name in `order_by`, as the proto documents it
    /// (case-sensitive). Every field may be sorted either way.
    const NAMES: &'static [(Self, &'static str)];
    /// The order of a request without `order_by`.
    const DEFAULT: OrderBy<Self>;
}

/// A listing's sort order: one field, ascending or descending. Ties are
/// always broken by id, in the same direction, so pages never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrderBy<F> {
    pub field: F,
    pub descending: bool,
}

impl<F: SortField> OrderBy<F> {
    /// `field`, smallest first.
    pub const fn asc(field: F) -> Self {
        Self {
            field,
            descending: false,
        }
    }

    /// `field`, largest first.
    pub const fn desc(field: F) -> Self {
        Self {
            field,
            descending: true,
        }
    }

    /// The order a request's `order_by` asks for: empty (or blank) is
    /// [`SortField::DEFAULT`]; else one field name, optionally followed by
    /// one space and `desc`, with surrounding spaces ignored. Anything else
    /// (unknown or differently cased fields, `asc`, several fields, two
    /// spaces) is the `order_by` field violation listing what is allowed;
    /// the client's text is not echoed.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(F::DEFAULT);
        }
        let (name, descending) = match raw.strip_suffix(" desc") {
            Some(name) => (name, true),
            None => (raw, false),
        };
        F::NAMES
            .iter()
            .find(|(_, known)| *known == name)
            .map(|&(field, _)| Self { field, descending })
            .ok_or_else(|| format!("must be one of {}", Self::allowed()))
    }

    /// Every value `order_by` accepts, quoted and comma-separated.
    pub fn allowed() -> String {
        F::NAMES
            .iter()
            .flat_map(|(_, name)| [format!("\"{name}\""), format!("\"{name} desc\"")])
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The field's name in `order_by`.
    pub fn field_name(self) -> &'static str {
        F::NAMES
            .iter()
            .find(|(field, _)| *field == self.field)
            .map_or("", |(_, name)| name)
    }
}

/// The canonical `order_by` text: `name` or `name desc`.
impl<F: SortField> std::fmt::Display for OrderBy<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.field_name())?;
        if self.descending {
            f.write_str(" desc")?;
        }
        Ok(())
    }
}

/// The value of the sort field of a row: a number (times as microseconds
/// since the Unix epoch, money as minor units) or a text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SortKey {
    Int(i64),
    Text(String),
}

impl From<i64> for SortKey {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<OffsetDateTime> for SortKey {
    fn from(at: OffsetDateTime) -> Self {
        Self::Int(to_micros(at))
    }
}

impl From<String> for SortKey {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&str> for SortKey {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

/// Where a sorted listing resumes: after the row with sort key `key` and
/// id `id`, in the order the token was issued for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortCursor {
    pub key: SortKey,
    pub id: String,
}

impl SortCursor {
    /// The cursor of a row: its sort key and id.
    pub fn new(key: impl Into<SortKey>, id: impl std::fmt::Display) -> Self {
        Self {
            key: key.into(),
            id: id.to_string(),
        }
    }

    /// `i<number>/<id>` or `s<bytes>/<text><id>`: the text's length makes
    /// any text and any id round-trip, whatever characters they hold.
    fn encode(&self) -> String {
        match &self.key {
            SortKey::Int(n) => format!("i{n}/{}", self.id),
            SortKey::Text(text) => format!("s{}/{text}{}", text.len(), self.id),
        }
    }

    /// The cursor `encode` wrote; `None` for anything else, and for an
    /// empty id (no row has one).
    fn decode(raw: &str) -> Option<Self> {
        let (head, rest) = raw.split_once('/')?;
        let cursor = match head.get(..1)? {
            "i" => Self::new(head[1..].parse::<i64>().ok()?, rest),
            "s" => {
                let len = head[1..].parse::<usize>().ok()?;
                Self::new(rest.get(..len)?, rest.get(len..)?)
            }
            _ => return None,
        };
        (!cursor.id.is_empty()).then_some(cursor)
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
/// characters, up to about 1200 when they carry a long text sort key (a
/// 200-character name of 4-byte characters), so anything far longer is
/// refused before it is decoded.
const MAX_TOKEN_LEN: usize = 2048;

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
        self.issue_for(cursor, &fingerprint(filters, None))
    }

    fn issue_for(&self, cursor: &str, fingerprint: &str) -> String {
        let payload = format!("1:{fingerprint}:{cursor}");
        let tag = self.tag(payload.as_bytes());
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The cursor in `token`, if this server issued it for these `filters`.
    pub fn check(&self, token: &str, filters: &[&str]) -> Result<String, &'static str> {
        self.check_for(token, &fingerprint(filters, None))
    }

    fn check_for(&self, token: &str, expected: &str) -> Result<String, &'static str> {
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
        if fp != expected {
            return Err("belongs to a listing with other filters or another order");
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

    /// Where the listing with `filters` in `order` resumes: nowhere for an
    /// empty token (the first page), else the cursor in `token`. A token
    /// issued for other filters, another order or by [`Self::next`] is
    /// refused; the error is the `page_token` field violation.
    pub fn after_sorted<F: SortField>(
        &self,
        token: &str,
        filters: &[&str],
        order: OrderBy<F>,
    ) -> Result<Option<SortCursor>, String> {
        if token.is_empty() {
            return Ok(None);
        }
        let cursor = self.check_for(token, &fingerprint(filters, Some(&order.to_string())))?;
        SortCursor::decode(&cursor)
            .map(Some)
            .ok_or_else(|| "is not a page token issued by this service".into())
    }

    /// The `next_page_token` after `page` of the listing with `filters` in
    /// `order`, pointing at the sort key and id of its last row (`cursor`):
    /// empty on the last page.
    pub fn next_sorted<T, F: SortField>(
        &self,
        page: &Page<T>,
        filters: &[&str],
        order: OrderBy<F>,
        cursor: impl Fn(&T) -> SortCursor,
    ) -> String {
        match (page.more, page.items.last()) {
            (true, Some(last)) => self.issue_for(
                &cursor(last).encode(),
                &fingerprint(filters, Some(&order.to_string())),
            ),
            _ => String::new(),
        }
    }

    fn tag(&self, payload: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload);
        mac.finalize().into_bytes()[..TAG_LEN].to_vec()
    }
}

/// What binds a token to its listing: the filters and, for a sorted
/// listing, the order. The order follows a byte no `&str` can hold (0xFF is
/// never UTF-8), so no choice of filters fingerprints like an order.
fn fingerprint(filters: &[&str], order: Option<&str>) -> String {
    let mut hasher = Sha256::new();
    for filter in filters {
        hasher.update(filter.as_bytes());
        hasher.update([0]);
    }
    if let Some(order) = order {
        hasher.update([0xFF]);
        hasher.update(order.as_bytes());
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
        let forged_payload =
            URL_SAFE_NO_PAD.encode(format!("1:{}:0/forged", fingerprint(&[], None)));
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

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Sort {
        CreateTime,
        Total,
    }

    impl SortField for Sort {
        const NAMES: &'static [(Self, &'static str)] =
            &[(Self::CreateTime, "create_time"), (Self::Total, "total")];
        const DEFAULT: OrderBy<Self> = OrderBy::desc(Self::CreateTime);
    }

    fn order(raw: &str) -> Result<OrderBy<Sort>, String> {
        OrderBy::parse(raw)
    }

    #[test]
    fn order_by_takes_a_field_and_an_optional_desc() {
        assert_eq!(order("total"), Ok(OrderBy::asc(Sort::Total)));
        assert_eq!(order("total desc"), Ok(OrderBy::desc(Sort::Total)));
        assert_eq!(order("create_time"), Ok(OrderBy::asc(Sort::CreateTime)));
        assert_eq!(order("  total desc "), Ok(OrderBy::desc(Sort::Total)));
    }

    #[test]
    fn an_empty_order_by_is_the_listings_default() {
        assert_eq!(order(""), Ok(OrderBy::desc(Sort::CreateTime)));
        assert_eq!(order("   "), Ok(OrderBy::desc(Sort::CreateTime)));
    }

    #[test]
    fn anything_else_is_refused_with_the_allowed_values() {
        let allowed = r#"must be one of "create_time", "create_time desc", "total", "total desc""#;
        for bad in [
            "price",
            "Total",
            "TOTAL desc",
            "total DESC",
            "total asc",
            "total  desc",
            "total\tdesc",
            "total desc desc",
            "total,create_time",
            "total, create_time desc",
            "desc",
            " desc",
            "create_time.seconds",
            "total\0",
        ] {
            assert_eq!(
                order(bad).as_ref().map_err(String::as_str),
                Err(allowed),
                "{bad:?}"
            );
        }
        assert!(order(&"total ".repeat(100_000)).is_err());
    }

    #[test]
    fn an_order_prints_as_the_order_by_that_asks_for_it() {
        for raw in ["create_time", "create_time desc", "total", "total desc"] {
            assert_eq!(order(raw).map(|o| o.to_string()).as_deref(), Ok(raw));
        }
    }

    #[test]
    fn sort_cursors_round_trip_whatever_their_text() {
        for cursor in [
            SortCursor::new(0, "a"),
            SortCursor::new(i64::MIN, "0190a1b2-0000-7000-8000-000000000001"),
            SortCursor::new(i64::MAX, "x/y"),
            SortCursor::new("", "id"),
            SortCursor::new("a/b:c", "d/e"),
            SortCursor::new("12/ünï©ødé 🙂", "/"),
            SortCursor::new("é", "é"),
            SortCursor::new(OffsetDateTime::UNIX_EPOCH, "e"),
        ] {
            assert_eq!(SortCursor::decode(&cursor.encode()), Some(cursor));
        }
        for garbage in [
            "",
            "/",
            "i/x",
            "ix/y",
            "s5/ab",
            "s/x",
            "q1/a",
            "s2/\u{e9}",
            "s1/\u{e9}x",
            "i5/",
            "s0/",
            "s99999999999999999999/a",
        ] {
            assert_eq!(SortCursor::decode(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn sorted_tokens_are_bound_to_filters_and_order() {
        let tokens = PageTokens::new(b"key");
        let page = Page::of(vec![5, 7, 9], PageSize::new(2).expect("valid"));
        let total_desc = OrderBy::desc(Sort::Total);
        let token = tokens.next_sorted(&page, &["paid"], total_desc, |n| SortCursor::new(*n, "id"));
        assert_eq!(
            tokens.after_sorted(&token, &["paid"], total_desc),
            Ok(Some(SortCursor::new(7, "id")))
        );
        assert_eq!(tokens.after_sorted("", &["paid"], total_desc), Ok(None));
        for (filters, order) in [
            (&["paid"][..], OrderBy::asc(Sort::Total)),
            (&["paid"][..], OrderBy::desc(Sort::CreateTime)),
            (&["sent"][..], total_desc),
            (&[][..], total_desc),
        ] {
            assert!(tokens.after_sorted(&token, filters, order).is_err());
        }
        // A token of the unsorted kind is no sorted token, and back.
        assert!(tokens.after(&token, &["paid"]).is_err());
        let plain = tokens.next(&page, &["paid"], |_| Cursor {
            at: 7,
            id: "id".into(),
        });
        assert!(tokens.after_sorted(&plain, &["paid"], total_desc).is_err());
        // No filter spelled like an order stands in for it.
        assert!(tokens.after(&token, &["paid", "total desc"]).is_err());
        assert!(tokens.after(&token, &["paid\u{0}total desc"]).is_err());
    }

    #[test]
    fn a_token_carrying_a_long_name_stays_within_the_limit() {
        let tokens = PageTokens::new(b"key");
        let page = Page::of(vec![(); 2], PageSize::new(1).expect("valid"));
        let order = OrderBy::asc(Sort::Total);
        let name = "🙂".repeat(200);
        let token = tokens.next_sorted(&page, &["a category", "some query text"], order, |()| {
            SortCursor::new(name.as_str(), "0190a1b2-0000-7000-8000-000000000001")
        });
        assert_eq!(
            tokens.after_sorted(&token, &["a category", "some query text"], order),
            Ok(Some(SortCursor::new(
                name.as_str(),
                "0190a1b2-0000-7000-8000-000000000001"
            )))
        );
    }

    #[test]
    fn last_pages_of_a_sorted_listing_have_no_token() {
        let tokens = PageTokens::new(b"key");
        let end = Page::of(vec![1], PageSize::new(2).expect("valid"));
        let token = tokens.next_sorted(&end, &[], Sort::DEFAULT, |n| SortCursor::new(*n, "x"));
        assert_eq!(token, "");
    }
}
