//! What the address methods take and keep: address ids, labels, etags, the
//! per-user limit, and a saved address as stored. The address itself is
//! [`PostalAddress`], checked by the rule every service applies.

use platform::address::PostalAddress;
use time::OffsetDateTime;

/// Most addresses one user keeps.
pub const MAX_ADDRESSES: usize = 20;

/// Longest label, in characters.
pub const LABEL_MAX: usize = 50;

platform::uuid_value!(
    /// A saved address's id: a UUID, in the hyphenated lower-case form the
    /// table holds, whatever form the caller sent.
    pub AddressId, "an address id"
);

platform::string_value!(
    /// A name for an address ("Home"): up to 50 characters, trimmed;
    /// empty is none.
    pub Label, |raw| platform::values::text(raw, 0, LABEL_MAX, false)
);

/// An address's version, shown to clients as an opaque etag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version(pub i64);

impl Version {
    /// The version an etag names; any other string is not an etag of ours.
    pub fn from_etag(etag: &str) -> Result<Self, String> {
        etag.strip_prefix('v')
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| *n > 0)
            .map(Self)
            .ok_or_else(|| "is not an etag returned by this service".into())
    }

    pub fn etag(self) -> String {
        format!("v{}", self.0)
    }
}

/// An address to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAddress {
    pub label: Label,
    pub address: PostalAddress,
    /// Asked to become the default.
    pub default: bool,
}

/// What UpdateAddress changes: the named fields, if the version is still
/// `expected` (when given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPatch {
    pub label: Option<Label>,
    pub address: Option<PostalAddress>,
    pub expected: Option<Version>,
}

/// A saved address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedAddress {
    pub id: AddressId,
    pub label: String,
    pub address: PostalAddress,
    pub default: bool,
    pub version: Version,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Whether a new address becomes the default: when asked, and always when
/// it is the user's first (checkout then has one to offer).
pub fn becomes_default(asked: bool, addresses_before: usize) -> bool {
    asked || addresses_before == 0
}

/// Why a change of the address book was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The user has no such address (or it is another user's).
    NotFound,
    /// The user has [`MAX_ADDRESSES`] already.
    Full,
    /// The address changed since the etag the caller read.
    Stale,
    /// The caller's account is gone (deleted since its token was issued).
    NoSuchUser,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_round_trip_and_reject_strangers() {
        assert_eq!(Version::from_etag(&Version(7).etag()), Ok(Version(7)));
        for bad in ["7", "v-1", "v0", "vx", ""] {
            assert!(Version::from_etag(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn labels_are_optional_trimmed_and_bounded() {
        assert_eq!(
            Label::parse("  Home ").map(|l| l.to_string()),
            Ok("Home".into())
        );
        assert!(Label::parse("").is_ok());
        assert!(Label::parse(&"x".repeat(LABEL_MAX)).is_ok());
        assert!(Label::parse(&"x".repeat(LABEL_MAX + 1)).is_err());
        assert!(Label::parse("a\nb").is_err());
    }

    #[test]
    fn the_first_address_is_the_default_and_later_ones_when_asked() {
        assert!(becomes_default(false, 0));
        assert!(!becomes_default(false, 3));
        assert!(becomes_default(true, 3));
    }
}
