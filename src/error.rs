//! The one error type of the crate, shared by the client, the backend and the wire.
//!
//! Every failure is an [`Error`] carrying a stable [`ErrorCode`]. On the wire it is the
//! JSON body `{ code, message, attemptsRemaining?, retryAfterSeconds? }`. Messages are
//! fixed, human-readable sentences and never contain a secret (PIN, proof, token, salt).

use crate::pin::PinRejection;
use alloc::borrow::Cow;
use alloc::string::String;
use core::fmt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Defines [`ErrorCode`] from one table so the variant, its wire string and its default
/// message cannot drift apart.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal, $message:literal;)*) => {
        /// A stable, machine-readable error code (SCREAMING_SNAKE on the wire).
        ///
        /// Where LoginRadius's PIN authentication has a matching error, its number is given.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The TypeScript declaration of every code (`PinAuthErrorCode`), for the `.d.ts`.
            pub const TYPESCRIPT_DECLARATION: &'static str = concat!(
                "/** Every code a PinAuthError can have. */\nexport type PinAuthErrorCode =",
                $(" | \"", $code, "\""),*,
                ";\n"
            );

            /// The stable wire string, e.g. `"INVALID_PIN"`.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The code for a wire string, if it is one of ours.
            pub fn parse(code: &str) -> Option<ErrorCode> {
                match code { $($code => Some(ErrorCode::$variant),)* _ => None }
            }

            /// The default human-readable message for this code.
            pub fn default_message(self) -> &'static str {
                match self { $(ErrorCode::$variant => $message,)* }
            }
        }
    };
}

error_codes! {
    /// Unknown email or wrong password; the two are indistinguishable on purpose.
    InvalidCredentials = "INVALID_CREDENTIALS", "The email or password is incorrect.";
    /// Wrong PIN (LoginRadius 1236 "invalid PIN"; 1241 "current PIN invalid" when it is
    /// the old PIN of a change). Carries `attemptsRemaining`.
    InvalidPin = "INVALID_PIN", "The PIN is incorrect.";
    /// Too many wrong PINs on this device: its PIN session is revoked; sign in with the
    /// password and set a new PIN.
    DeviceLocked = "DEVICE_LOCKED", "Too many wrong PINs: sign in with your password and set a new PIN.";
    /// Too many failed passwords for this account. Carries `retryAfterSeconds`.
    AccountLocked = "ACCOUNT_LOCKED", "Too many failed sign-in attempts: try again later.";
    /// Too many wrong PINs across this account's devices in a short time. Carries
    /// `retryAfterSeconds`.
    RateLimited = "RATE_LIMITED", "Too many attempts: try again later.";
    /// The PIN session token has expired (LoginRadius 1246).
    SessionExpired = "SESSION_EXPIRED", "The PIN session has expired: sign in with your password.";
    /// The PIN session token is unknown, revoked or belongs to another device
    /// (LoginRadius 1245).
    SessionInvalid = "SESSION_INVALID", "The PIN session is not valid: sign in with your password.";
    /// The PIN auth token is unknown, used or for another device (LoginRadius 1239;
    /// an expired one is `TOKEN_EXPIRED`, LoginRadius 1240). LoginRadius 1243 "PIN must
    /// be set" is not an error here: login answers with a PIN auth token instead.
    PinAuthTokenInvalid = "PIN_AUTH_TOKEN_INVALID", "The PIN setup token is not valid: sign in again.";
    /// The access token is unknown or revoked.
    AccessTokenInvalid = "ACCESS_TOKEN_INVALID", "The access token is not valid.";
    /// The re-authentication token is unknown or already used.
    ReauthTokenInvalid = "REAUTH_TOKEN_INVALID", "The re-authentication token is not valid.";
    /// The PIN reset token is unknown or already used.
    ResetTokenInvalid = "RESET_TOKEN_INVALID", "The PIN reset token is not valid.";
    /// A token (access, PIN auth, re-auth or reset) was valid but has expired
    /// (LoginRadius 1240 for the PIN auth token).
    TokenExpired = "TOKEN_EXPIRED", "The token has expired.";
    /// The challenge is unknown, used, expired or for another device.
    ChallengeInvalid = "CHALLENGE_INVALID", "The challenge is not valid: request a new one.";
    /// The device signature does not verify with the device's registered key.
    SignatureInvalid = "SIGNATURE_INVALID", "The device signature is not valid.";
    /// The device is not registered on this account (never set a PIN, or revoked).
    UnknownDevice = "UNKNOWN_DEVICE", "This device is not registered: sign in with your password.";
    /// An account with this email already exists.
    EmailTaken = "EMAIL_TAKEN", "An account with this email already exists.";
    /// A malformed or out-of-range argument.
    InvalidInput = "INVALID_INPUT", "The input is not valid.";
    /// The PIN does not meet the PIN policy (checked on the device, never sent).
    WeakPin = "WEAK_PIN", "This PIN is too easy to guess: choose another.";
    /// The browser storage is disabled, full or failing, and no fallback was possible.
    StorageUnavailable = "STORAGE_UNAVAILABLE", "The browser storage is unavailable.";
    /// The device key could not be created, loaded or used (WebCrypto or IndexedDB failed).
    DeviceKeyUnavailable = "DEVICE_KEY_UNAVAILABLE", "The device key is unavailable.";
    /// The backend could not be reached or answered something unreadable.
    TransportFailed = "TRANSPORT_FAILED", "The server could not be reached.";
    /// The call needs a state the client is not in (e.g. an access token while signed out).
    NotSignedIn = "NOT_SIGNED_IN", "Sign in first.";
    /// The user closed the PIN prompt (Cancel, Escape or the backdrop).
    Cancelled = "CANCELLED", "The PIN prompt was cancelled.";
    /// `promptPin` was called while a PIN prompt of the same client is open (e.g. a
    /// double click); the open one carries on.
    PromptOpen = "PROMPT_OPEN", "A PIN prompt is already open.";
    /// A saved backend snapshot could not be read.
    SnapshotInvalid = "SNAPSHOT_INVALID", "The saved backend state is corrupt or from an unknown version.";
    /// The platform's secure random source failed.
    RandomUnavailable = "RANDOM_UNAVAILABLE", "No secure random source is available.";
    /// An unexpected failure inside the SDK or backend.
    Internal = "INTERNAL", "An internal error occurred.";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    /// Unknown codes (from a newer server) read as [`ErrorCode::Internal`] rather than
    /// failing the whole response.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = Cow::<str>::deserialize(deserializer)?;
        Ok(ErrorCode::parse(&code).unwrap_or(ErrorCode::Internal))
    }
}

/// A typed failure: a stable code, a message safe to show, and the retry hints the UI needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    code: ErrorCode,
    message: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attempts_remaining: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_seconds: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "known_reason"
    )]
    reason: Option<Cow<'static, str>>,
    #[cfg(target_arch = "wasm32")]
    #[serde(skip)]
    cause: Cause,
}

/// In the browser, what the page's own code threw where the SDK called it (a backend
/// adapter's `handle`), for JavaScript's `cause`. It is the page's own value: an error
/// compares, prints and travels on the wire without it. Boxed, it fits in the error's
/// padding: a larger error changed LLVM's inlining, 0.65 KB of the module.
#[cfg(target_arch = "wasm32")]
#[derive(Clone, Default)]
struct Cause(Option<alloc::boxed::Box<wasm_bindgen::JsValue>>);

#[cfg(target_arch = "wasm32")]
impl PartialEq for Cause {
    fn eq(&self, _: &Cause) -> bool {
        true
    }
}

#[cfg(target_arch = "wasm32")]
impl Eq for Cause {}

#[cfg(target_arch = "wasm32")]
impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Some(..)" } else { "None" })
    }
}

/// A `reason` read from the wire, kept only when it is a PIN rule's code (the one kind of
/// reason the API declares); anything else a server sends is dropped.
fn pin_rule(reason: Option<&str>) -> Option<Cow<'static, str>> {
    reason
        .and_then(PinRejection::from_code)
        .map(|rule| Cow::Borrowed(rule.code()))
}

/// [`pin_rule`] for serde, so that the tests' oracle reads errors as the client does.
fn known_reason<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Cow<'static, str>>, D::Error> {
    Ok(pin_rule(
        Option::<String>::deserialize(deserializer)?.as_deref(),
    ))
}

impl Error {
    /// An error with the code's default message.
    pub fn new(code: ErrorCode) -> Self {
        Error {
            code,
            message: Cow::Borrowed(code.default_message()),
            attempts_remaining: None,
            retry_after_seconds: None,
            reason: None,
            #[cfg(target_arch = "wasm32")]
            cause: Cause::default(),
        }
    }

    /// An error with a specific message. The message is a fixed sentence: it never
    /// contains an input value, only which field and which rule.
    pub fn with_message(code: ErrorCode, message: &'static str) -> Self {
        Error {
            message: Cow::Borrowed(message),
            ..Error::new(code)
        }
    }

    /// `TRANSPORT_FAILED` for an answer that is not a reply to the request: not JSON of
    /// the protocol, or the reply of another endpoint.
    pub fn unexpected_reply() -> Self {
        Error::with_message(
            ErrorCode::TransportFailed,
            "The server sent an unexpected reply.",
        )
    }

    /// An `INVALID_INPUT` error naming the field and rule that failed.
    pub fn invalid_input(reason: &'static str) -> Self {
        Error::with_message(ErrorCode::InvalidInput, reason)
    }

    /// A wrong PIN with the number of attempts left before the device locks.
    pub fn invalid_pin(attempts_remaining: u32) -> Self {
        Error {
            attempts_remaining: Some(attempts_remaining),
            ..Error::new(ErrorCode::InvalidPin)
        }
    }

    /// A PIN the policy refuses, with the rule as its `reason`.
    pub fn weak_pin(rejection: PinRejection) -> Self {
        Error {
            message: Cow::Borrowed(rejection.message()),
            reason: Some(Cow::Borrowed(rejection.code())),
            ..Error::new(ErrorCode::WeakPin)
        }
    }

    /// An `INVALID_INPUT` error for an argument or option from JavaScript, naming it:
    /// "`field` rule". Neither part may contain the value.
    pub fn invalid_argument(field: &str, rule: &'static str) -> Self {
        Error {
            message: Cow::Owned([field, " ", rule].concat()),
            ..Error::new(ErrorCode::InvalidInput)
        }
    }

    /// An error as the backend sent it (a `reason` other than a PIN rule's code dropped).
    pub(crate) fn from_wire(
        code: ErrorCode,
        message: String,
        attempts_remaining: Option<u32>,
        retry_after_seconds: Option<u64>,
        reason: Option<String>,
    ) -> Self {
        Error {
            code,
            message: Cow::Owned(message),
            attempts_remaining,
            retry_after_seconds,
            reason: pin_rule(reason.as_deref()),
            #[cfg(target_arch = "wasm32")]
            cause: Cause::default(),
        }
    }

    /// A lockout or rate limit that ends after `seconds`.
    pub fn retry_after(code: ErrorCode, seconds: u64) -> Self {
        Error {
            retry_after_seconds: Some(seconds),
            ..Error::new(code)
        }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human-readable message (never contains a secret).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For `INVALID_PIN`: wrong PINs left before the device locks.
    pub fn attempts_remaining(&self) -> Option<u32> {
        self.attempts_remaining
    }

    /// For lockouts and rate limits: seconds until another attempt is accepted.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        self.retry_after_seconds
    }

    /// For `WEAK_PIN`: the [`PinRejection`] code, e.g. `"SEQUENCE"`.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The same error caused by `thrown`, what the page's own code threw (a backend
    /// adapter's `handle`).
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn caused_by(self, thrown: wasm_bindgen::JsValue) -> Self {
        Error {
            cause: Cause(Some(alloc::boxed::Box::new(thrown))),
            ..self
        }
    }

    /// What the page's own code threw, when that caused the error.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn cause(&self) -> Option<&wasm_bindgen::JsValue> {
        self.cause.0.as_deref()
    }
}

impl From<ErrorCode> for Error {
    fn from(code: ErrorCode) -> Self {
        Error::new(code)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl core::error::Error for Error {}

/// Something the SDK recovered from by itself: reported to listeners, never thrown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Warning {
    /// A stable SCREAMING_SNAKE code.
    pub code: &'static str,
    /// A human-readable explanation (never contains a secret).
    pub message: &'static str,
}

impl Warning {
    /// The chosen storage failed; tokens are kept in memory for this page only.
    pub const STORAGE_FALLBACK: Warning = Warning {
        code: "STORAGE_FALLBACK",
        message: "The chosen storage is unavailable or full: tokens are kept in memory for this page only.",
    };
    /// A stored token was unreadable, of another schema, or bound to another device; it was
    /// discarded.
    pub const STORAGE_CORRUPT: Warning = Warning {
        code: "STORAGE_CORRUPT",
        message: "A stored token was unreadable or belonged to another device and was discarded.",
    };
    /// The stored device identity was unreadable or partial; a new one was made, so this
    /// browser is a new device.
    pub const DEVICE_RESET: Warning = Warning {
        code: "DEVICE_RESET",
        message: "The stored device identity was unreadable: this browser is now a new device.",
    };
    /// The device identity could not be saved; it lasts for this page only.
    pub const DEVICE_NOT_PERSISTED: Warning = Warning {
        code: "DEVICE_NOT_PERSISTED",
        message: "The device identity could not be saved: it lasts for this page only.",
    };
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_wire_string() {
        for &code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(s.chars().all(|c| c.is_ascii_uppercase() || c == '_'), "{s}");
            assert_eq!(ErrorCode::parse(s), Some(code));
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn error_body_is_camel_case_and_omits_absent_hints() {
        let body = serde_json::to_value(Error::invalid_pin(3)).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "code": "INVALID_PIN",
                "message": "The PIN is incorrect.",
                "attemptsRemaining": 3
            })
        );
        let locked =
            serde_json::to_value(Error::retry_after(ErrorCode::AccountLocked, 900)).unwrap();
        assert_eq!(locked["retryAfterSeconds"], 900);
        assert!(locked.get("attemptsRemaining").is_none());
    }

    #[test]
    fn unknown_codes_from_a_newer_server_read_as_internal() {
        let e: Error = serde_json::from_str(r#"{"code":"SOMETHING_NEW","message":"x"}"#).unwrap();
        assert_eq!(e.code(), ErrorCode::Internal);
    }
}
