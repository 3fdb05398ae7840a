//! The PIN: a zeroized, redacted newtype, and the policy that refuses guessable PINs.
//!
//! The policy runs on the device only: the backend never sees a PIN, just its proof.

use crate::error::{Error, Result};
use alloc::{borrow::ToOwned, string::String, vec::Vec};
use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A syntactically valid PIN: 4 to 8 ASCII digits. `Debug` never shows it and it is
/// zeroized when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Pin(String);

impl Pin {
    /// The shortest PIN any policy accepts.
    pub const MIN_LENGTH: usize = 4;
    /// The longest PIN any policy accepts.
    pub const MAX_LENGTH: usize = 8;

    /// Accepts 4 to 8 ASCII digits; anything else is `INVALID_INPUT`. This checks form
    /// only: use [`PinPolicy::check`] for a PIN being chosen.
    pub fn parse(text: &str) -> Result<Pin> {
        if !(Self::MIN_LENGTH..=Self::MAX_LENGTH).contains(&text.len()) {
            return Err(Error::invalid_input("a PIN has 4 to 8 digits"));
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid_input("a PIN has digits only"));
        }
        Ok(Pin(text.to_owned()))
    }

    /// The digits, for deriving the proof.
    pub(crate) fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(redacted)")
    }
}

/// PINs that follow no simple pattern yet are chosen far more often than chance
/// (keypad lines, pairs, mirrors, words on a keypad), after published PIN frequency studies.
const COMMON_PINS: &[&str] = &[
    "1004", "1122", "1221", "1100", "1001", "2112", "2580", "0852", "1470", "0741", "7410", "0147",
    "3690", "0963", "9630", "0369", "1379", "1397", "5683", "112233", "123321", "159753", "147258",
    "258369", "369258", "789456", "456123", "147852", "159357", "111222", "123654", "102030",
    "010203", "778899", "665544", "11223344", "14725836", "12344321", "01020304", "10203040",
    "11112222",
];

/// Why the policy refuses a PIN. The codes are part of the JavaScript API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinRejection {
    /// Fewer digits than the policy's length.
    TooShort,
    /// More digits than the policy's length.
    TooLong,
    /// Something other than the digits 0–9.
    NotDigits,
    /// One digit, or one block of digits, repeated (1111, 1212, 123123).
    Repeated,
    /// A constant step, wrapping around (1234, 2468, 8901, 9876).
    Sequence,
    /// A year (1900–2099) or a PIN on the common-PIN list.
    Common,
}

impl PinRejection {
    /// The rejection whose stable code is `code`.
    pub fn from_code(code: &str) -> Option<PinRejection> {
        use PinRejection::*;
        [TooShort, TooLong, NotDigits, Repeated, Sequence, Common]
            .into_iter()
            .find(|rejection| rejection.code() == code)
    }

    /// The stable code, e.g. `"SEQUENCE"`.
    pub fn code(self) -> &'static str {
        match self {
            PinRejection::TooShort => "TOO_SHORT",
            PinRejection::TooLong => "TOO_LONG",
            PinRejection::NotDigits => "NOT_DIGITS",
            PinRejection::Repeated => "REPEATED",
            PinRejection::Sequence => "SEQUENCE",
            PinRejection::Common => "COMMON",
        }
    }

    /// A sentence saying why, to show the user.
    pub fn message(self) -> &'static str {
        match self {
            PinRejection::TooShort => "The PIN is too short.",
            PinRejection::TooLong => "The PIN is too long.",
            PinRejection::NotDigits => "The PIN must contain digits only.",
            PinRejection::Repeated => "Too easy to guess: repeated digits.",
            PinRejection::Sequence => "Too easy to guess: a sequence.",
            PinRejection::Common => "Too easy to guess: a common PIN.",
        }
    }
}

/// The PIN rules of an application: the exact length it asks for, and the weak PINs it
/// refuses (one digit repeated, a constant step such as 1234, 2468 or 8901, a repeated
/// block such as 1212 or 123123, a year 1900–2099, or a common PIN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinPolicy {
    length: usize,
}

impl Default for PinPolicy {
    /// Six digits.
    fn default() -> Self {
        PinPolicy { length: 6 }
    }
}

impl PinPolicy {
    /// A policy for PINs of exactly `length` digits, 4 to 8.
    pub fn new(length: usize) -> Result<Self> {
        if (Pin::MIN_LENGTH..=Pin::MAX_LENGTH).contains(&length) {
            Ok(PinPolicy { length })
        } else {
            Err(Error::invalid_input("pinLength must be 4 to 8"))
        }
    }

    /// The number of digits a PIN has under this policy.
    pub fn length(&self) -> usize {
        self.length
    }

    /// Why this policy refuses a PIN being chosen, if it does.
    pub fn rejection(&self, text: &str) -> Option<PinRejection> {
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Some(PinRejection::NotDigits);
        }
        match text.len() {
            n if n < self.length => Some(PinRejection::TooShort),
            n if n > self.length => Some(PinRejection::TooLong),
            _ => weakness(text.as_bytes()),
        }
    }

    /// Checks a PIN being chosen: `WEAK_PIN`, carrying the [`PinRejection`] code as its
    /// `reason`, when the policy refuses it.
    pub fn check(&self, text: &str) -> Result<Pin> {
        match self.rejection(text) {
            Some(rejection) => Err(Error::weak_pin(rejection)),
            None => Pin::parse(text),
        }
    }
}

/// Why a string of ASCII digits is a weak PIN, if it is.
fn weakness(digits: &[u8]) -> Option<PinRejection> {
    let steps: Vec<u8> = digits
        .windows(2)
        .filter_map(|pair| match pair {
            [a, b] => Some((10 + b - a) % 10),
            _ => None,
        })
        .collect();
    if steps.iter().all(|&s| s == 0) {
        return Some(PinRejection::Repeated);
    }
    if steps.windows(2).all(|pair| pair.first() == pair.last()) {
        return Some(PinRejection::Sequence);
    }
    let n = digits.len();
    let repeats_block = (1..n).filter(|k| n % k == 0).any(|k| {
        digits
            .iter()
            .zip(digits.iter().skip(k))
            .all(|(a, b)| a == b)
    });
    if repeats_block {
        return Some(PinRejection::Repeated);
    }
    let text = core::str::from_utf8(digits).unwrap_or_default();
    let is_year = n == 4 && (text.starts_with("19") || text.starts_with("20"));
    if is_year || COMMON_PINS.contains(&text) {
        return Some(PinRejection::Common);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn code(policy: PinPolicy, pin: &str) -> Option<ErrorCode> {
        policy.check(pin).err().map(|e| e.code())
    }

    #[test]
    fn form_errors_name_their_reason() {
        let six = PinPolicy::default();
        for (bad, reason) in [
            ("", PinRejection::TooShort),
            ("7305", PinRejection::TooShort),
            ("7305196", PinRejection::TooLong),
            ("12a456", PinRejection::NotDigits),
            ("12 456", PinRejection::NotDigits),
            ("１２３４５６", PinRejection::NotDigits),
            ("-73051", PinRejection::NotDigits),
        ] {
            assert_eq!(six.rejection(bad), Some(reason), "{bad:?}");
            let error = six.check(bad).unwrap_err();
            assert_eq!(
                (error.code(), error.reason()),
                (ErrorCode::WeakPin, Some(reason.code()))
            );
        }
        assert_eq!(
            Pin::parse("12a456").unwrap_err().code(),
            ErrorCode::InvalidInput
        );
        assert!(PinPolicy::new(3).is_err());
        assert!(PinPolicy::new(9).is_err());
        assert!(Pin::parse(&"9".repeat(1 << 20)).is_err());
    }

    #[test]
    fn guessable_pins_are_weak_with_their_reason() {
        use PinRejection::*;
        let cases: &[(usize, PinRejection, &[&str])] = &[
            (4, Repeated, &["0000", "7777", "1212", "6969"]),
            (
                4,
                Sequence,
                &[
                    "1234", "4321", "2468", "8642", "8901", "9012", "1357", "0505",
                ],
            ),
            (4, Common, &["1998", "2024", "2580", "1004", "1122"]),
            (6, Repeated, &["000000", "121212", "123123"]),
            (6, Sequence, &["123456", "654321", "890123", "135791"]),
            (6, Common, &["112233", "123321", "147258", "159753"]),
            (8, Repeated, &["12341234", "24682468"]),
            (8, Sequence, &["12345678", "87654321", "90123456"]),
            (8, Common, &["11223344"]),
        ];
        for (length, reason, pins) in cases {
            let policy = PinPolicy::new(*length).unwrap();
            for pin in *pins {
                assert_eq!(policy.rejection(pin), Some(*reason), "{pin}");
                assert_eq!(code(policy, pin), Some(ErrorCode::WeakPin), "{pin}");
            }
        }
    }

    #[test]
    fn ordinary_pins_pass() {
        for (length, pin) in [
            (4, "7305"),
            (4, "3819"),
            (6, "730519"),
            (6, "281946"),
            (8, "73051962"),
        ] {
            let policy = PinPolicy::new(length).unwrap();
            assert!(policy.check(pin).is_ok(), "{pin}");
        }
    }

    #[test]
    fn a_pin_never_shows_in_debug() {
        let pin = Pin::parse("730519").unwrap();
        assert_eq!(format!("{pin:?}"), "Pin(redacted)");
    }
}
