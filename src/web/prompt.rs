//! The in-page PIN prompt's configuration: its texts, the flow for the client's state,
//! and the options of `promptPin` as read by `js_api`.
//!
//! The dialog and its flow are `prompt.js`: it builds the dialog, checks new PINs with
//! `checkPin`, makes the flow's call through `PinAuth`'s own methods, and keeps one
//! prompt open per `PinAuth`. DOM work and a flow of promises are far smaller in
//! JavaScript than compiled into the module; what is checked (the PIN policy, the PIN,
//! the state) stays in the calls it makes. This module decides which flow opens.

use crate::client::AuthState;
use crate::error::{Error, ErrorCode, Result};
use crate::pin::{Pin, PinPolicy};
use alloc::string::String;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::Element;

/// Defines [`PROMPT_STRINGS`] and its declarations from one table: JavaScript name,
/// English default.
macro_rules! prompt_strings {
    ($($key:literal = $default:literal;)*) => {
        /// Every text the prompt shows, by its JavaScript name, with its English default;
        /// each is replaceable for translation. `{attempts}`, `{seconds}` and `{length}`
        /// are filled in.
        pub const PROMPT_STRINGS: &[(&str, &str)] = &[$(($key, $default),)*];

        /// The JavaScript names of [`PROMPT_STRINGS`].
        pub const PROMPT_STRING_KEYS: &[&str] = &[$($key,)*];

        /// The TypeScript declaration of the strings (`PromptStrings`), for the `.d.ts`.
        pub const PROMPT_STRINGS_TYPESCRIPT: &str = concat!(
            "/** Every text of the PIN prompt; `{attempts}`, `{seconds}`, `{length}` are filled in. */\n",
            "export interface PromptStrings {\n",
            $("  /** Default: ", $default, " */\n  ", $key, ": string;\n",)*
            "}\n"
        );
    };
}

prompt_strings! {
    "setupTitle" = "Create a PIN";
    "unlockTitle" = "Enter your PIN";
    "reauthTitle" = "Confirm it's you";
    "changeTitle" = "Change your PIN";
    "newPinStep" = "Choose a PIN of {length} digits for this device.";
    "confirmStep" = "Enter the same PIN again.";
    "currentPinStep" = "Enter your current PIN.";
    "unlockStep" = "Enter the PIN for this device.";
    "reauthStep" = "Enter your PIN to continue.";
    "pinLabel" = "PIN";
    "keypadLabel" = "Keypad";
    "submit" = "Continue";
    "cancel" = "Cancel";
    "delete" = "Delete last digit";
    "show" = "Show PIN";
    "hide" = "Hide PIN";
    "checking" = "Checking…";
    "digitsEntered" = "Digits entered: {count}";
    "incomplete" = "Enter all {length} digits.";
    "tooShort" = "A PIN has at least {length} digits.";
    "mismatch" = "The PINs do not match. Choose your PIN again.";
    "samePin" = "That is your current PIN. Choose a different one.";
    "wrongPin" = "Wrong PIN. {attempts} attempts left.";
    "lastAttempt" = "Wrong PIN. 1 attempt left before this device is locked.";
    "rateLimited" = "Too many attempts. Try again in {seconds} seconds.";
    "unreachable" = "The server could not be reached. Try again.";
    "reasonRepeated" = "Too easy to guess: repeated digits.";
    "reasonSequence" = "Too easy to guess: a sequence.";
    "reasonCommon" = "Too easy to guess: a common PIN.";
    "reasonNotDigits" = "Use digits only.";
}

/// Which flow a signed-in user is prompted for; otherwise the state decides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PromptMode {
    /// `pinSetupRequired` → setup, `pinRequired` → unlock.
    #[default]
    Auto,
    /// `signedIn` → re-authentication, resolving with the re-auth token.
    Reauth,
    /// `signedIn` → change: current PIN, new PIN, confirmation.
    Change,
}

/// How a prompt is opened.
#[derive(Clone, Debug)]
pub struct PromptOptions {
    /// The flow for a signed-in user.
    pub mode: PromptMode,
    /// Replaces the dialog's title.
    pub title: Option<String>,
    /// Replaces the first step's instruction.
    pub subtitle: Option<String>,
    /// Every other text, by its JavaScript name: [`PROMPT_STRINGS`] with the page's
    /// replacements.
    pub strings: Object,
    /// Where the dialog is mounted (default `document.body`).
    pub container: Option<Element>,
}

/// The configuration `prompt.js` opens the dialog with, for a client in `state` with
/// `policy`: `None` when a signed-in client has nothing to do (`Auto` mode),
/// `NOT_SIGNED_IN` when the state has no flow. Besides the options' texts it names the
/// flow (its name in `prompt.js`), the PIN lengths, the state the flow's call needs
/// (`needs`: when the state leaves it, the flow can no longer succeed), and the messages
/// of the errors the prompt itself rejects with.
pub fn prompt_config(
    state: AuthState,
    policy: PinPolicy,
    options: PromptOptions,
) -> Result<Option<Object>> {
    let flow = match (state, options.mode) {
        (AuthState::PinSetupRequired, PromptMode::Auto) => "setup",
        (AuthState::PinRequired, PromptMode::Auto) => "unlock",
        (AuthState::SignedIn, PromptMode::Auto) => return Ok(None),
        (AuthState::SignedIn, PromptMode::Reauth) => "reauth",
        (AuthState::SignedIn, PromptMode::Change) => "change",
        _ => return Err(Error::new(ErrorCode::NotSignedIn)),
    };
    let text = |value: Option<String>| value.map_or(JsValue::NULL, |t| JsValue::from_str(&t));
    // The messages of the errors `prompt.js` rejects with, by code.
    let messages = Object::new();
    for code in [
        ErrorCode::Cancelled,
        ErrorCode::NotSignedIn,
        ErrorCode::PromptOpen,
    ] {
        let _ = Reflect::set(
            &messages,
            &JsValue::from_str(code.as_str()),
            &JsValue::from_str(code.default_message()),
        );
    }
    let config = Object::new();
    for (key, value) in [
        ("flow", JsValue::from_str(flow)),
        ("needs", JsValue::from_str(state.as_str())),
        ("length", JsValue::from(policy.length() as u32)),
        ("minLength", JsValue::from(Pin::MIN_LENGTH as u32)),
        ("maxLength", JsValue::from(Pin::MAX_LENGTH as u32)),
        ("title", text(options.title)),
        ("subtitle", text(options.subtitle)),
        ("strings", options.strings.into()),
        (
            "container",
            options.container.map_or(JsValue::NULL, JsValue::from),
        ),
        ("messages", messages.into()),
    ] {
        let _ = Reflect::set(&config, &JsValue::from_str(key), &value);
    }
    Ok(Some(config))
}
