//! The in-page PIN prompt: a modal dialog in an open Shadow DOM root that runs the right
//! PIN flow for the client's state (setup, unlock, re-authentication, change).
//!
//! The dialog itself (its elements, styles, keyboard handling and steps) is
//! `prompt.js`, as DOM work is far smaller in JavaScript than through bindings; this
//! module decides the flow, checks new PINs against the policy, makes the client call,
//! keeps one prompt open per client and settles the outcome.

use crate::client::{AuthState, Client};
use crate::error::{Error, ErrorCode, Result};
use crate::pin::Pin;
use crate::platform::{DeviceKeys, Transport};
use crate::protocol::json::decimal;
use crate::protocol::IssuedToken;
use alloc::rc::Rc;
use alloc::{borrow::ToOwned, string::String, vec::Vec};
use core::cell::RefCell;
use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::Element;
use zeroize::Zeroizing;

#[wasm_bindgen(module = "/src/web/prompt.js")]
extern "C" {
    /// The open dialog (`prompt.js`).
    type PromptView;

    /// Builds and mounts the dialog for `config` and starts its first step.
    #[wasm_bindgen(catch, js_name = openPrompt)]
    fn open_prompt(
        config: &JsValue,
        check: &Closure<dyn FnMut(String) -> JsValue>,
        submit: &Closure<dyn FnMut(Array, Function)>,
    ) -> core::result::Result<PromptView, JsValue>;

    /// Resolves once the dialog has closed.
    #[wasm_bindgen(method, getter)]
    fn done(this: &PromptView) -> Promise;

    /// Closes the dialog; while a PIN is being checked, has it close with the answer
    /// (then false). Whether it closed now.
    #[wasm_bindgen(method)]
    fn close(this: &PromptView) -> bool;
}

/// Defines [`PromptStrings`] from one table: field, JavaScript key, English default.
macro_rules! prompt_strings {
    ($($field:ident = $key:literal, $default:literal;)*) => {
        /// Every text the prompt shows, replaceable for translation. `{attempts}`,
        /// `{seconds}` and `{length}` are filled in.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct PromptStrings {
            $(#[doc = $default] pub $field: String,)*
        }

        impl Default for PromptStrings {
            fn default() -> Self {
                PromptStrings { $($field: $default.to_owned(),)* }
            }
        }

        impl PromptStrings {
            /// The JavaScript names of the strings.
            pub const KEYS: &'static [&'static str] = &[$($key,)*];

            /// The TypeScript declaration of the strings (`PromptStrings`), for the `.d.ts`.
            pub const TYPESCRIPT_DECLARATION: &'static str = concat!(
                "/** Every text of the PIN prompt; `{attempts}`, `{seconds}`, `{length}` are filled in. */\n",
                "export interface PromptStrings {\n",
                $("  /** Default: ", $default, " */\n  ", $key, ": string;\n",)*
                "}\n"
            );

            /// The strings as a JavaScript object keyed by their JavaScript names.
            fn to_js(&self) -> js_sys::Object {
                let object = js_sys::Object::new();
                for (key, text) in [$(($key, &self.$field),)*] {
                    let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(text));
                }
                object
            }

            /// Replaces the string named `key` (a JavaScript name); false for an unknown key.
            pub fn set(&mut self, key: &str, value: String) -> bool {
                match key {
                    $($key => self.$field = value,)*
                    _ => return false,
                }
                true
            }
        }
    };
}

prompt_strings! {
    setup_title = "setupTitle", "Create a PIN";
    unlock_title = "unlockTitle", "Enter your PIN";
    reauth_title = "reauthTitle", "Confirm it's you";
    change_title = "changeTitle", "Change your PIN";
    new_pin_step = "newPinStep", "Choose a PIN of {length} digits for this device.";
    confirm_step = "confirmStep", "Enter the same PIN again.";
    current_pin_step = "currentPinStep", "Enter your current PIN.";
    unlock_step = "unlockStep", "Enter the PIN for this device.";
    reauth_step = "reauthStep", "Enter your PIN to continue.";
    pin_label = "pinLabel", "PIN";
    keypad_label = "keypadLabel", "Keypad";
    submit = "submit", "Continue";
    cancel = "cancel", "Cancel";
    delete = "delete", "Delete last digit";
    show = "show", "Show PIN";
    hide = "hide", "Hide PIN";
    checking = "checking", "Checking…";
    digits_entered = "digitsEntered", "Digits entered: {count}";
    incomplete = "incomplete", "Enter all {length} digits.";
    too_short = "tooShort", "A PIN has at least {length} digits.";
    mismatch = "mismatch", "The PINs do not match. Choose your PIN again.";
    same_pin = "samePin", "That is your current PIN. Choose a different one.";
    wrong_pin = "wrongPin", "Wrong PIN. {attempts} attempts left.";
    last_attempt = "lastAttempt", "Wrong PIN. 1 attempt left before this device is locked.";
    rate_limited = "rateLimited", "Too many attempts. Try again in {seconds} seconds.";
    reason_repeated = "reasonRepeated", "Too easy to guess: repeated digits.";
    reason_sequence = "reasonSequence", "Too easy to guess: a sequence.";
    reason_common = "reasonCommon", "Too easy to guess: a common PIN.";
    reason_not_digits = "reasonNotDigits", "Use digits only.";
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
#[derive(Clone, Debug, Default)]
pub struct PromptOptions {
    /// The flow for a signed-in user.
    pub mode: PromptMode,
    /// Replaces the dialog's title.
    pub title: Option<String>,
    /// Replaces the first step's instruction.
    pub subtitle: Option<String>,
    /// Every other text.
    pub strings: PromptStrings,
    /// Where the dialog is mounted (default `document.body`).
    pub container: Option<Element>,
}

/// What a completed prompt gives back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptOutcome {
    /// The PIN was set, the device unlocked, or the PIN changed.
    Done,
    /// The re-authentication token.
    Reauth(IssuedToken),
}

/// A flow, by its name in `prompt.js`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Setup,
    Unlock,
    Reauth,
    Change,
}

impl Flow {
    fn name(self) -> &'static str {
        match self {
            Flow::Setup => "setup",
            Flow::Unlock => "unlock",
            Flow::Reauth => "reauth",
            Flow::Change => "change",
        }
    }

    /// The state the flow's call needs.
    fn needs(self) -> AuthState {
        match self {
            Flow::Setup => AuthState::PinSetupRequired,
            Flow::Unlock => AuthState::PinRequired,
            Flow::Reauth | Flow::Change => AuthState::SignedIn,
        }
    }

    /// How the prompt ends when the client is in `state`, or `None` while the flow can
    /// still succeed: signed in after all, a setup or unlock is done; otherwise the flow
    /// cannot succeed any more.
    fn ended_in(self, state: AuthState) -> Option<Result<PromptOutcome>> {
        (state != self.needs()).then(|| match self {
            Flow::Setup | Flow::Unlock if state == AuthState::SignedIn => Ok(PromptOutcome::Done),
            _ => Err(Error::new(ErrorCode::NotSignedIn)),
        })
    }
}

fn dom_error() -> Error {
    Error::with_message(ErrorCode::Internal, "The PIN prompt could not be shown.")
}

/// `template` with `{name}` replaced by `value` (through JavaScript's `replaceAll`, which
/// spares the module Rust's substring searcher; the replacement is digits, so no `$`
/// patterns).
fn fill(template: &str, name: &str, value: u64) -> String {
    js_sys::JsString::from(template)
        .replace_all(&["{", name, "}"].concat(), &decimal(value))
        .into()
}

/// Runs the flow's client call with the entered PINs.
async fn call<K: DeviceKeys, T: Transport>(
    client: Rc<Client<K, T>>,
    flow: Flow,
    pins: Vec<Zeroizing<String>>,
) -> Result<PromptOutcome> {
    let first = pins.first().map(|p| p.as_str()).unwrap_or_default();
    match flow {
        Flow::Setup => client.set_pin(first).await.map(|()| PromptOutcome::Done),
        Flow::Unlock => client
            .login_with_pin(first)
            .await
            .map(|()| PromptOutcome::Done),
        Flow::Reauth => client
            .reauthenticate(first)
            .await
            .map(PromptOutcome::Reauth),
        Flow::Change => {
            let new = pins.get(1).map(|p| p.as_str()).unwrap_or_default();
            client
                .change_pin(first, new)
                .await
                .map(|()| PromptOutcome::Done)
        }
    }
}

/// What the dialog shows to start over after `error`, or `None` when `error` ends the
/// prompt: a wrong PIN with the attempts left, or the wait of a rate limit.
fn retry_text(error: &Error, strings: &PromptStrings) -> Option<String> {
    match error.code() {
        ErrorCode::InvalidPin => Some(match error.attempts_remaining() {
            Some(1) => strings.last_attempt.clone(),
            Some(n) => fill(&strings.wrong_pin, "attempts", u64::from(n)),
            None => error.message().to_owned(),
        }),
        ErrorCode::RateLimited => Some(fill(
            &strings.rate_limited,
            "seconds",
            error.retry_after_seconds().unwrap_or(60),
        )),
        _ => None,
    }
}

/// Where a `PinAuth` keeps its open prompt, to close it when the `PinAuth` is freed.
#[derive(Clone, Default)]
pub struct PromptSlot(Rc<RefCell<Option<Rc<PromptView>>>>);

impl PromptSlot {
    /// Closes the open prompt, if any (`CANCELLED`); one whose PIN is being checked closes
    /// with the answer, a wrong PIN included.
    pub fn close(&self) {
        // Taken out first: closing runs the page's focus handlers, which may call in again.
        let view = self.0.borrow_mut().take();
        if let Some(view) = view {
            view.close();
        }
    }
}

/// The outcome of a prompt, set once by whatever settles it first.
type Settled = Rc<RefCell<Option<Result<PromptOutcome>>>>;

fn settle(settled: &Settled, result: Result<PromptOutcome>) {
    settled.borrow_mut().get_or_insert(result);
}

/// Opens the PIN prompt for the client's state and resolves when its flow succeeded:
/// setup (`pinSetupRequired`), unlock (`pinRequired`), or for `signedIn` the mode's
/// re-authentication or change (in `Auto` mode a signed-in client resolves at once).
/// A wrong PIN keeps the dialog open with the attempts left; a lockout or ended session
/// closes it with that error. When the state leaves the one the flow needs while it waits,
/// it closes too: done when a setup or unlock finds the client signed in, `NOT_SIGNED_IN`
/// otherwise. Cancelling (button, Escape, backdrop, or the dialog taken out of the page)
/// fails with `CANCELLED`, except while a PIN is being checked, when the answer decides. While a prompt of `client` is
/// open, another call fails at once with `PROMPT_OPEN` and the open one carries on. The
/// dialog is kept in `slot` while it is open.
pub async fn prompt_pin<K, T>(
    client: &Rc<Client<K, T>>,
    options: PromptOptions,
    slot: PromptSlot,
) -> Result<PromptOutcome>
where
    K: DeviceKeys + 'static,
    T: Transport + 'static,
{
    let _claim = client.claim_prompt()?;
    let flow = match (client.state(), options.mode) {
        (AuthState::PinSetupRequired, PromptMode::Auto) => Flow::Setup,
        (AuthState::PinRequired, PromptMode::Auto) => Flow::Unlock,
        (AuthState::SignedIn, PromptMode::Auto) => return Ok(PromptOutcome::Done),
        (AuthState::SignedIn, PromptMode::Reauth) => Flow::Reauth,
        (AuthState::SignedIn, PromptMode::Change) => Flow::Change,
        _ => return Err(Error::new(ErrorCode::NotSignedIn)),
    };
    let config = js_sys::Object::new();
    for (key, value) in [
        ("flow", JsValue::from_str(flow.name())),
        ("length", JsValue::from(client.pin_policy().length() as u32)),
        ("minLength", JsValue::from(Pin::MIN_LENGTH as u32)),
        ("maxLength", JsValue::from(Pin::MAX_LENGTH as u32)),
        (
            "title",
            options
                .title
                .as_deref()
                .map_or(JsValue::NULL, JsValue::from_str),
        ),
        (
            "subtitle",
            options
                .subtitle
                .as_deref()
                .map_or(JsValue::NULL, JsValue::from_str),
        ),
        ("strings", options.strings.to_js().into()),
        (
            "container",
            options.container.map_or(JsValue::NULL, JsValue::from),
        ),
    ] {
        let _ = Reflect::set(&config, &JsValue::from_str(key), &value);
    }
    let policy = client.pin_policy();
    let check = Closure::<dyn FnMut(String) -> JsValue>::new(move |pin: String| {
        let pin = Zeroizing::new(pin);
        policy
            .rejection(&pin)
            .map_or(JsValue::UNDEFINED, |rejection| {
                JsValue::from_str(rejection.code())
            })
    });
    let settled: Settled = Rc::default();
    let submit = {
        let (client, settled) = (client.clone(), settled.clone());
        let strings = Rc::new(options.strings);
        Closure::<dyn FnMut(Array, Function)>::new(move |pins: Array, reply: Function| {
            let pins = pins
                .iter()
                .map(|pin| Zeroizing::new(pin.as_string().unwrap_or_default()))
                .collect();
            let (client, settled, strings) = (client.clone(), settled.clone(), strings.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = call(client.clone(), flow, pins).await;
                let retry = result
                    .as_ref()
                    .err()
                    .and_then(|error| retry_text(error, &strings));
                // Another try only while the flow can still succeed: the state may have
                // moved while the PIN was checked.
                let reply_with = match retry.map(|text| (text, flow.ended_in(client.state()))) {
                    Some((text, None)) => JsValue::from(text),
                    Some((_, Some(ended))) => {
                        settle(&settled, ended);
                        JsValue::UNDEFINED
                    }
                    None => {
                        settle(&settled, result);
                        JsValue::UNDEFINED
                    }
                };
                let _ = reply.call1(&JsValue::UNDEFINED, &reply_with);
            });
        })
    };
    let view = open_prompt(&config, &check, &submit).map_err(|_| dom_error())?;
    let view = Rc::new(view);
    *slot.0.borrow_mut() = Some(view.clone());
    let state_listener = {
        let (view, settled) = (view.clone(), settled.clone());
        client.on_state_change(move |state| {
            // The state left the one the flow's call needs while the dialog waited for
            // input (another tab logged out or took the device for another account, a
            // token expired, a call of the page's own signed in). While a PIN is being
            // checked, that call's answer closes the dialog instead.
            if let Some(ended) = flow.ended_in(*state) {
                if view.close() {
                    settle(&settled, ended);
                }
            }
        })
    };
    let _ = JsFuture::from(view.done()).await;
    slot.0.borrow_mut().take();
    client.unsubscribe(state_listener);
    let result = settled.borrow_mut().take();
    result.unwrap_or(Err(Error::new(ErrorCode::Cancelled)))
}
