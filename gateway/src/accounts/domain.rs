//! Account values checked at the edge: email addresses (normalised),
//! passwords (the policy) and display names; and the user as stored.

use platform::auth::Role;
use time::OffsetDateTime;

/// Shortest and longest accepted passwords, in characters.
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

/// An email address, trimmed and lower-cased so one address is one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("is required".into());
        }
        if email.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if valid {
            Ok(Self(email))
        } else {
            Err("must be an email address, like ada@example.com".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the policy: 10 to 128 characters, not a single
/// character repeated. Any characters are allowed (passphrases welcome).
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let length = raw.chars().count();
        if length < PASSWORD_MIN {
            return Err(format!(
                "must be at least {PASSWORD_MIN} characters; a few words make a good one"
            ));
        }
        if length > PASSWORD_MAX {
            return Err(format!("must be at most {PASSWORD_MAX} characters"));
        }
        let mut chars = raw.chars();
        let first = chars.next();
        if chars.all(|c| Some(c) == first) {
            return Err("must not be one character repeated".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// How a user is shown: 1 to 100 characters.
pub fn display_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    match name.chars().count() {
        0 => Err("must not be empty".into()),
        n if n > 100 => Err("must be at most 100 characters".into()),
        _ if name.chars().any(char::is_control) => {
            Err("must not contain control characters".into())
        }
        _ => Ok(name.to_owned()),
    }
}

/// A user account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: OffsetDateTime,
    /// Whether the user proved they own the address.
    pub email_verified: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").map(|e| e.0),
            Ok("ada@example.com".into())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_password_policy_explains_itself() {
        assert!(Password::parse("correct horse battery").is_ok());
        assert!(
            Password::parse("short")
                .unwrap_err()
                .contains("at least 10")
        );
        assert!(Password::parse(&"a".repeat(20)).is_err());
        assert!(Password::parse(&"ab".repeat(65)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("correct horse").expect("ok")),
            "Password(***)"
        );
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(display_name("  Ada "), Ok("Ada".into()));
        assert!(display_name(" ").is_err());
        assert!(display_name(&"x".repeat(101)).is_err());
    }
}
