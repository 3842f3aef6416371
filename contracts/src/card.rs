//! Payment cards: format checks every service agrees on (Luhn, expiry
//! month, CVC), and a `Debug` that never shows the number or the CVC.

use crate::common::Card;

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Card")
            .field("number", &format_args!("****{}", last4(&self.number)))
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("cvc", &"***")
            .finish_non_exhaustive()
    }
}

/// The last four characters of a card number (all of it if shorter).
pub fn last4(number: &str) -> &str {
    let start = number.char_indices().rev().nth(3).map_or(0, |(i, _)| i);
    &number[start..]
}

/// Whether `number` is 12 to 19 digits with a valid Luhn check digit.
pub fn is_valid_number(number: &str) -> bool {
    let len = number.len();
    if !(12..=19).contains(&len) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let digit = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// What is wrong with a card's format, as (field name within the card,
/// description) pairs. Expiry in the past is not a format problem: the card
/// network declines it.
pub fn problems(card: &Card) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if !is_valid_number(&card.number) {
        problems.push((
            "number",
            "must be 12 to 19 digits with a valid check digit".to_owned(),
        ));
    }
    if !(1..=12).contains(&card.exp_month) {
        problems.push(("exp_month", "must be between 1 and 12".to_owned()));
    }
    if !(1000..=9999).contains(&card.exp_year) {
        problems.push(("exp_year", "must be a four-digit year".to_owned()));
    }
    if !(3..=4).contains(&card.cvc.len()) || !card.cvc.bytes().all(|b| b.is_ascii_digit()) {
        problems.push(("cvc", "must be 3 or 4 digits".to_owned()));
    }
    if card.holder_name.chars().count() > 100 {
        problems.push(("holder_name", "must be at most 100 characters".to_owned()));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(number: &str) -> Card {
        Card {
            number: number.to_owned(),
            exp_month: 12,
            exp_year: 2030,
            cvc: "123".to_owned(),
            holder_name: String::new(),
        }
    }

    #[test]
    fn luhn_accepts_real_test_numbers_and_rejects_typos() {
        assert!(is_valid_number("4242424242424242"));
        assert!(is_valid_number("5555555555554444"));
        assert!(!is_valid_number("4242424242424241"));
        assert!(!is_valid_number("4242-4242-4242-4242"));
        assert!(!is_valid_number("42"));
    }

    #[test]
    fn debug_never_shows_the_number_or_cvc() {
        let printed = format!("{:?}", card("4242424242424242"));
        assert!(!printed.contains("424242424242"), "{printed}");
        assert!(!printed.contains("123"), "{printed}");
        assert!(printed.contains("****4242"), "{printed}");
    }

    #[test]
    fn every_format_problem_is_named() {
        let mut bad = card("1234");
        bad.exp_month = 13;
        bad.exp_year = 30;
        bad.cvc = "12a".to_owned();
        let fields: Vec<_> = problems(&bad).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["number", "exp_month", "exp_year", "cvc"]);
        assert!(problems(&card("4242424242424242")).is_empty());
    }

    #[test]
    fn last4_takes_the_end() {
        assert_eq!(last4("4242424242424242"), "4242");
        assert_eq!(last4("12"), "12");
    }
}
