//! What the admin's user methods take, checked at the edge: user ids, the
//! sort orders and text filter of ListUsers, and the listing query they
//! make up; and what a role change can come to.

use platform::{
    auth::Role,
    paging::{OrderBy, PageSize, SortField},
};

use crate::accounts::domain::User;

platform::uuid_value!(
    /// A user's id: a UUID, kept in the hyphenated lower-case form the
    /// users table holds, whatever form the caller sent.
    pub UserId, "a user id"
);

/// Longest text filter, in characters.
pub const QUERY_MAX: usize = 100;

/// The fields ListUsers sorts by (AIP-132 `order_by`: "create_time desc",
/// the default, "create_time", "email" or "email desc"). Ties (users
/// created in the same microsecond) are broken by id, in the same
/// direction, so every order is total and keyset paging neither skips nor
/// repeats anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    CreateTime,
    Email,
}

impl SortField for UserSort {
    const NAMES: &'static [(Self, &'static str)] =
        &[(Self::CreateTime, "create_time"), (Self::Email, "email")];
    const DEFAULT: OrderBy<Self> = OrderBy::desc(Self::CreateTime);
}

/// A ListUsers order.
pub type UserOrder = OrderBy<UserSort>;

/// ListUsers' text filter: up to [`QUERY_MAX`] characters, trimmed and
/// lower-cased (matching ignores case). Its LIKE wildcards are plain text
/// here; the store escapes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    /// `None` for an empty (or all-space) filter: no text filter.
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let text = platform::values::text(raw, 0, QUERY_MAX, false)?;
        Ok((!text.is_empty()).then(|| Self(text.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page of ListUsers, as asked.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Only users with this role.
    pub role: Option<Role>,
    pub text: Option<SearchText>,
    pub order: UserOrder,
    pub page_size: PageSize,
    /// The last user of the previous page (from the page token).
    pub after: Option<UserId>,
}

/// What a role change came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChange {
    /// The user, with the new role (also when it was the role already).
    Set(User),
    NoSuchUser,
    /// Refused: the user is the only admin left.
    LastAdmin,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_documented_orders_parse_and_nothing_else() {
        for (raw, field, descending) in [
            ("", UserSort::CreateTime, true),
            ("create_time desc", UserSort::CreateTime, true),
            ("create_time", UserSort::CreateTime, false),
            ("email", UserSort::Email, false),
            (" email desc ", UserSort::Email, true),
        ] {
            assert_eq!(
                UserOrder::parse(raw),
                Ok(OrderBy { field, descending }),
                "{raw:?}"
            );
        }
        for bad in [
            "Email",
            "email asc",
            "display_name",
            "create_time desc, email",
            "id",
        ] {
            assert!(UserOrder::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_text_filter_is_trimmed_lower_cased_and_bounded() {
        assert_eq!(
            SearchText::parse("  Ada ").map(|t| t.map(|t| t.0)),
            Ok(Some("ada".into()))
        );
        assert_eq!(SearchText::parse("   "), Ok(None));
        assert!(SearchText::parse(&"x".repeat(QUERY_MAX)).is_ok());
        assert!(SearchText::parse(&"x".repeat(QUERY_MAX + 1)).is_err());
        assert!(SearchText::parse("a\u{0}b").is_err());
    }

    #[test]
    fn user_ids_are_uuids_in_one_form() {
        let id = UserId::parse("0190A1B2-0000-7000-8000-000000000001").expect("a UUID");
        assert_eq!(id.to_string(), "0190a1b2-0000-7000-8000-000000000001");
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("admin-1").is_err());
    }
}
