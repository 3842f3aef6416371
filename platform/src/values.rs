//! Small validated values every service has: ids that are UUIDs, keys a
//! caller chooses, bounded free text, and enums stored by name. The checks
//! are functions ([`text`], [`key`], [`user_id`]) and the types around them are declared
//! by macros ([`uuid_value!`](crate::uuid_value),
//! [`string_value!`](crate::string_value), [`stored_enum!`](crate::stored_enum)),
//! so each service keeps its own names, bounds and field descriptions while
//! the code that checks and wraps them is written once.
//!
//! A check returns the description of a field violation as its error: the
//! caller knows which field it was.

#[doc(hidden)]
pub use uuid::Uuid;

/// Longest caller-chosen key (idempotency keys, order and reservation ids).
pub const MAX_KEY_LEN: usize = 64;

/// `bytes` as lowercase hex: how digests are shown and stored.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut hex, b| {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// Checks free text: trimmed, `min..=max` characters, no control characters
/// (newlines and tabs allowed where `multiline`). Returns it trimmed.
pub fn text(raw: &str, min: usize, max: usize, multiline: bool) -> Result<String, String> {
    let value = raw.trim();
    let len = value.chars().count();
    if len < min {
        return Err(if min == 1 {
            "must not be empty".into()
        } else {
            format!("must be at least {min} characters")
        });
    }
    if len > max {
        return Err(format!("must be at most {max} characters"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
    {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_owned())
}

/// Checks a user id as a token names it. Users are created elsewhere (the
/// gateway issues their tokens), so any non-empty text without control
/// characters is accepted, up to 128 characters.
pub fn user_id(raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        return Err("is required".into());
    }
    if raw.chars().count() > 128 {
        return Err("must be at most 128 characters".into());
    }
    if raw.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(raw.to_owned())
}

/// Checks a caller-chosen key: 1 to [`MAX_KEY_LEN`] characters of letters,
/// digits, `-` and `_`, the shape that is safe in logs, URLs and SQL.
pub fn key(raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        return Err("is required".into());
    }
    if raw.len() > MAX_KEY_LEN {
        return Err(format!("must be at most {MAX_KEY_LEN} characters"));
    }
    if !raw
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("must contain only letters, digits, '-' and '_'".into());
    }
    Ok(raw.to_owned())
}

/// Declares an id that is a UUID, printed in its canonical hyphenated form:
/// `generate()` (UUID v7, ordered by creation time), `parse(&str)` ("is
/// required", or "must be `$what` (a UUID)") and `Display`.
///
/// ```
/// platform::uuid_value!(
///     /// A widget's id.
///     pub WidgetId, "a widget id"
/// );
/// assert_eq!(WidgetId::parse("42"), Err("must be a widget id (a UUID)".into()));
/// ```
#[macro_export]
macro_rules! uuid_value {
    ($(#[$doc:meta])* $vis:vis $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis struct $name($crate::values::Uuid);

        impl $name {
            /// A new id, ordered by creation time (UUID v7).
            pub fn generate() -> Self {
                Self($crate::values::Uuid::now_v7())
            }

            pub fn parse(raw: &str) -> ::std::result::Result<Self, String> {
                if raw.is_empty() {
                    return Err("is required".into());
                }
                $crate::values::Uuid::try_parse(raw)
                    .map(Self)
                    .map_err(|_| concat!("must be ", $what, " (a UUID)").into())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

/// Declares a text value checked by `$check` (a `fn(&str) -> Result<String,
/// String>`, e.g. a closure over [`text`] or [`key`]): `parse(&str)`,
/// `as_str()` and `Display`.
///
/// ```
/// platform::string_value!(
///     /// A widget's label: 1 to 20 characters.
///     pub Label, |raw| platform::values::text(raw, 1, 20, false)
/// );
/// assert_eq!(Label::parse(" x ").map(|l| l.to_string()), Ok("x".into()));
/// ```
#[macro_export]
macro_rules! string_value {
    ($(#[$doc:meta])* $vis:vis $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        $vis struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> ::std::result::Result<Self, String> {
                let check: fn(&str) -> ::std::result::Result<String, String> = $check;
                check(raw).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Declares an enum whose values are stored (and logged) by name: `ALL`,
/// `as_str()` and `parse(&str) -> Option<Self>`.
///
/// ```
/// platform::stored_enum!(
///     /// Where a parcel is.
///     pub Parcel {
///         /// Not yet sent.
///         Packed => "packed",
///         Shipped => "shipped",
///     }
/// );
/// assert_eq!(Parcel::parse("shipped"), Some(Parcel::Shipped));
/// assert_eq!(Parcel::ALL.map(Parcel::as_str), ["packed", "shipped"]);
/// ```
#[macro_export]
macro_rules! stored_enum {
    (
        $(#[$doc:meta])* $vis:vis $name:ident {
            $($(#[$variant_doc:meta])* $variant:ident => $stored:literal),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$variant_doc])* $variant),+
        }

        impl $name {
            /// Every value, in the order declared.
            pub const ALL: [Self; [$($stored),+].len()] = [$(Self::$variant),+];

            /// The name it is stored under.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $stored),+
                }
            }

            /// The value stored as `stored`, if it names one.
            pub fn parse(stored: &str) -> Option<Self> {
                match stored {
                    $($stored => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::uuid_value!(ThingId, "a thing id");
    crate::string_value!(Key, key);

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("  Mug ", 1, 10, false), Ok("Mug".into()));
        assert_eq!(text("   ", 1, 10, false), Err("must not be empty".into()));
        assert_eq!(
            text("ab", 3, 10, false),
            Err("must be at least 3 characters".into())
        );
        assert_eq!(
            text(&"x".repeat(11), 0, 10, false),
            Err("must be at most 10 characters".into())
        );
        assert!(text("a\nb", 0, 10, false).is_err());
        assert!(text("a\nb", 0, 10, true).is_ok());
        assert!(text("a\u{0}b", 0, 10, true).is_err());
    }

    #[test]
    fn keys_are_short_and_safe() {
        assert_eq!(
            Key::parse("order-1_charge").map(|k| k.as_str().to_owned()),
            Ok("order-1_charge".into())
        );
        assert_eq!(Key::parse(""), Err("is required".into()));
        assert!(Key::parse("a b").is_err());
        assert!(Key::parse("ключ").is_err());
        assert!(Key::parse(&"k".repeat(MAX_KEY_LEN)).is_ok());
        assert!(Key::parse(&"k".repeat(MAX_KEY_LEN + 1)).is_err());
    }

    #[test]
    fn uuid_ids_round_trip_in_canonical_form() {
        let id = ThingId::generate();
        assert_eq!(ThingId::parse(&id.to_string()), Ok(id));
        assert_eq!(
            ThingId::parse("0190A1B2-0000-7000-8000-000000000001").map(|id| id.to_string()),
            Ok("0190a1b2-0000-7000-8000-000000000001".into())
        );
        assert_eq!(
            ThingId::parse("42"),
            Err("must be a thing id (a UUID)".into())
        );
        assert_eq!(ThingId::parse(""), Err("is required".into()));
    }
}
