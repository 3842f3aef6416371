//! Order numbers for people: "SH-" and eight characters of Crockford's
//! base32 (digits and letters without I, L, O and U, so none can be misread
//! for another) in two groups of four, e.g. "SH-4KQ7-9MZ2". 40 random bits:
//! a collision is rare, and the store's unique index turns it into a retry
//! with a new number.

use std::{fmt, sync::Arc};

/// Crockford's base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const PREFIX: &str = "SH-";

/// An order's number, always in its canonical form ("SH-XXXX-XXXX").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderNumber(String);

impl OrderNumber {
    /// The number that 40 random bits spell.
    pub fn from_bits(random: [u8; 5]) -> Self {
        let bits = random
            .iter()
            .fold(0_u64, |acc, byte| (acc << 8) | u64::from(*byte));
        let chars: Vec<char> = (0..8)
            .rev()
            .map(|i| char::from(ALPHABET[usize::try_from((bits >> (i * 5)) & 31).unwrap_or(0)]))
            .collect();
        let (first, second): (String, String) =
            (chars[..4].iter().collect(), chars[4..].iter().collect());
        Self(format!("{PREFIX}{first}-{second}"))
    }

    /// A number as a person may type it: any case, with or without the
    /// "SH-" prefix, the dashes and spaces; O read as 0 and I or L as 1, as
    /// Crockford's decoding does. Anything else that is not eight of its
    /// characters is refused.
    pub fn parse(raw: &str) -> Result<Self, String> {
        const INVALID: &str =
            "is not an order number: \"SH-\" and 8 letters and digits, e.g. SH-4KQ7-9MZ2";
        if raw.len() > 32 {
            return Err(INVALID.into());
        }
        let chars: String = raw
            .to_ascii_uppercase()
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| match c {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            })
            .collect();
        // "SH" is the prefix only in front of eight more characters: a
        // number's own characters may start with S and H too.
        let chars = match chars.strip_prefix("SH") {
            Some(body) if body.len() == 8 => body,
            _ => chars.as_str(),
        };
        if chars.len() != 8 || !chars.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(INVALID.into());
        }
        Ok(Self(format!("{PREFIX}{}-{}", &chars[..4], &chars[4..])))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where new order numbers come from: the operating system's CSPRNG, or,
/// in tests, a given sequence (to make a collision happen on purpose).
#[derive(Clone)]
pub struct Numbers(Arc<dyn Fn() -> OrderNumber + Send + Sync>);

impl Numbers {
    /// Numbers from the operating system's CSPRNG.
    pub fn random() -> Self {
        Self(Arc::new(|| {
            use rand::RngCore;
            let mut bits = [0; 5];
            rand::rngs::OsRng.fill_bytes(&mut bits);
            OrderNumber::from_bits(bits)
        }))
    }

    /// Numbers from `next` (tests).
    pub fn from_fn(next: impl Fn() -> OrderNumber + Send + Sync + 'static) -> Self {
        Self(Arc::new(next))
    }

    /// A new number.
    pub fn next(&self) -> OrderNumber {
        (self.0)()
    }
}

impl Default for Numbers {
    fn default() -> Self {
        Self::random()
    }
}

impl fmt::Debug for Numbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Numbers")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_bits_spell_two_groups_of_four_crockford_characters() {
        assert_eq!(OrderNumber::from_bits([0; 5]).as_str(), "SH-0000-0000");
        assert_eq!(OrderNumber::from_bits([0xff; 5]).as_str(), "SH-ZZZZ-ZZZZ");
        for _ in 0..200 {
            let number = Numbers::random().next();
            let s = number.as_str();
            assert_eq!(s.len(), 12);
            assert!(s.starts_with("SH-") && &s[7..8] == "-");
            assert!(
                s[3..]
                    .chars()
                    .all(|c| c == '-' || (c.is_ascii_alphanumeric() && !"ILOU".contains(c))),
                "{s}"
            );
            assert_eq!(OrderNumber::parse(s), Ok(number));
        }
    }

    #[test]
    fn a_number_is_found_however_it_is_typed() {
        let canonical = OrderNumber::parse("SH-4KQ7-9MZ2").expect("number");
        for typed in [
            "sh-4kq7-9mz2",
            "4KQ7-9MZ2",
            "4kq79mz2",
            " SH 4KQ7 9MZ2 ",
            "SH4KQ79MZ2",
        ] {
            assert_eq!(
                OrderNumber::parse(typed).as_ref(),
                Ok(&canonical),
                "{typed}"
            );
        }
        assert_eq!(
            OrderNumber::parse("shab1234").map(|n| n.0),
            Ok("SH-SHAB-1234".to_owned()),
            "a number may start with S and H"
        );
        assert_eq!(
            OrderNumber::parse("SH-4KQ7-9MZO").map(|n| n.0),
            Ok("SH-4KQ7-9MZ0".to_owned()),
            "O is read as zero"
        );
    }

    #[test]
    fn what_cannot_be_a_number_is_refused() {
        for garbage in [
            "",
            "SH-",
            "SH-4KQ7-9MZ",
            "SH-4KQ7-9MZ22",
            "SH-4KQ7-9MZU",
            "SH-4KQ7-9MZ!",
            "ü",
            &"A".repeat(10_000),
        ] {
            assert!(OrderNumber::parse(garbage).is_err(), "{garbage}");
        }
    }
}
