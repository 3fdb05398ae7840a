//! The JavaScript API: the only `#[wasm_bindgen]` surface. It converts and checks what
//! JavaScript passes, delegates to [`Client`] and the backend host, and turns every
//! failure into a rejected promise (or a throw, for the synchronous methods) of a
//! `PinAuthError`. Nothing here can panic.

use crate::client::{AuthState, Client, ClientConfig, ListenerId};
use crate::error::{Error, ErrorCode, Result};
use crate::pin::PinPolicy;
use crate::protocol::IssuedToken;
use crate::tokens::{AccessStorage, StorageChoice};
use crate::web::{
    platform, prompt_config, watch, JsTransport, PromptMode, PromptOptions, Watch, WebCryptoKeys,
    PROMPT_STRINGS, PROMPT_STRINGS_TYPESCRIPT, PROMPT_STRING_KEYS,
};
use alloc::rc::Rc;
use alloc::{borrow::ToOwned, boxed::Box, string::String};
use core::future::Future;
use core::time::Duration;
use js_sys::{Function, JsString, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use zeroize::Zeroizing;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** Where the user is in the sign-in flow. */
export type AuthState = "signedOut" | "pinSetupRequired" | "pinRequired" | "signedIn";
/** Where the PIN session token is kept. */
export type StorageChoice = "local" | "session" | "memory";
/** Where the access token is kept. */
export type AccessTokenStorage = "memory" | "session";
/** Why `checkPin` (and `setPin`, `changePin`, `resetPin` with code `WEAK_PIN`) refuses a PIN. */
export type PinCheckReason = "TOO_SHORT" | "TOO_LONG" | "NOT_DIGITS" | "REPEATED" | "SEQUENCE" | "COMMON";
/** What `PinAuth` talks to: the in-page `MockBackend` of `pinauth`, or any object that answers a
 *  protocol request (JSON) with its response (JSON), e.g. by sending it to a server. */
export interface PinAuthBackend { handle(requestJson: string): string | Promise<string> }
/** Options of `PinAuth.create`. */
export interface PinAuthOptions {
  backend: PinAuthBackend;
  /** Names this app's device identity and storage keys (default "default"). */
  appId?: string;
  /** Where the PIN session token is kept (default "local"). */
  storage?: StorageChoice;
  /** Where the access token is kept (default "memory": a reload asks for the PIN).
   *  "session": sessionStorage, so a reload of this tab stays signed in while it lasts and
   *  this device's PIN session is stored (not with `storage: "memory"`). */
  accessTokenStorage?: AccessTokenStorage;
  /** Digits in a PIN, 4 to 8 (default 6). */
  pinLength?: number;
  /** Access tokens are dropped this long before they expire, 0 to 3600 (default 30;
   *  capped at a quarter of the token's lifetime). */
  accessTokenLeewaySeconds?: number;
}
/** The signed-in account. */
export interface User { uid: string; email: string }
/** A re-authentication token for the application's server to validate. `expiresAt` is
 *  by the server's clock (ms since the epoch); `expiresIn` is its lifetime in ms when it
 *  was issued, to count from on a page whose clock differs from the server's. */
export interface ReauthToken { token: string; expiresAt: number; expiresIn: number }
/** The result of `checkPin`. */
export interface PinCheck { ok: boolean; reason?: PinCheckReason }
/** Options of `promptPin`. */
export interface PromptOptions {
  /** For a signed-in user: "reauth" (resolves with a token) or "change". Default "auto":
   *  setup when `pinSetupRequired`, unlock when `pinRequired`. */
  mode?: "auto" | "reauth" | "change";
  /** Replaces the dialog's title. */
  title?: string;
  /** Replaces the first step's instruction. */
  subtitle?: string;
  /** Replaces any of the texts (for translation). */
  strings?: Partial<PromptStrings>;
  /** Where the dialog is mounted (default `document.body`). */
  container?: HTMLElement;
}
/** `promptPin`, written in JavaScript (src/web/prompt.js). */
export interface PinAuth {
  /** Opens the accessible PIN dialog and runs the flow the state calls for: setup
   *  (`pinSetupRequired`), unlock (`pinRequired`), or for `signedIn` the `mode`'s
   *  re-authentication (resolving with its token) or change. Wrong PINs keep it open
   *  with the attempts left, and so does a rate limit; an unlock or re-authentication
   *  also stays open when the backend's `handle` threw (`TRANSPORT_FAILED`, offline);
   *  a lockout or ended session closes it with that error;
   *  Cancel, Escape or the backdrop reject with `CANCELLED`. A call while a prompt of
   *  this client is open (a double click) rejects at once with `PROMPT_OPEN`. */
  promptPin(options: PromptOptions & { mode: "reauth" }): Promise<ReauthToken>;
  promptPin(options?: PromptOptions & { mode?: "auto" | "change" }): Promise<void>;
  promptPin(options?: PromptOptions): Promise<ReauthToken | void>;
}
/** Something the SDK recovered from by itself. */
export interface PinAuthWarning { code: string; message: string }
/** Every rejection of the SDK: an `Error` named "PinAuthError" with a stable code. */
export interface PinAuthError extends Error {
  name: "PinAuthError";
  code: PinAuthErrorCode;
  attemptsRemaining?: number;
  retryAfterSeconds?: number;
  /** For WEAK_PIN: the rule the PIN breaks. */
  reason?: PinCheckReason;
  /** For TRANSPORT_FAILED: what the backend's `handle` threw or rejected with. */
  cause?: unknown;
}
"#;

/// The types of `MockBackend`'s options and answers: only in a build with it.
#[cfg(feature = "mock-backend")]
#[wasm_bindgen(typescript_custom_section)]
const MOCK_BACKEND_TYPES: &str = r#"
/** Options of `MockBackend.create`. Lifetimes are whole seconds from 1 to 31 622 400 (a
 *  year); a value out of range is `INVALID_INPUT`. */
export interface MockBackendOptions {
  /** Keep the backend's state in localStorage under this key (1 to 256 characters): one
   *  server for every tab. */
  persistKey?: string;
  /** Lifetime of an access token (default 900: 15 minutes). */
  accessTokenTtlSeconds?: number;
  /** Lifetime of a device's PIN session (default 604800: 7 days). */
  pinSessionTtlSeconds?: number;
  /** Lifetime of a re-authentication token (default 300: 5 minutes). */
  reauthTokenTtlSeconds?: number;
  /** Wrong PINs in a row that lock a device, 1 to 10 (default 5): its PIN is turned off
   *  and its tokens revoked (`DEVICE_LOCKED`) until a password login and a new PIN. */
  maxPinAttempts?: number;
  /** Failed passwords that lock an account, 1 to 100 (default 5), each within
   *  `passwordLockoutSeconds` of the one before. */
  maxPasswordAttempts?: number;
  /** How long a password lockout lasts (default 900: 15 minutes). */
  passwordLockoutSeconds?: number;
}
/** A PIN reset email in the mock backend's outbox. Times are ms since the epoch. */
export interface MailMessage { to: string; subject: string; resetToken: string; sentAt: number }
/** The backend's verdict on a re-authentication token (which it uses up). */
export interface ReauthValidation { valid: boolean; uid?: string; deviceId?: string; expiresAt?: number }
/** A device registered on an account. Times are ms since the epoch. */
export interface DeviceInfo { deviceId: string; registeredAt: number; lastUsedAt: number; hasPin: boolean }
"#;

#[wasm_bindgen(typescript_custom_section)]
const ERROR_CODES: &str = ErrorCode::TYPESCRIPT_DECLARATION;

#[wasm_bindgen(typescript_custom_section)]
const PROMPT_STRINGS_DECLARATION: &str = PROMPT_STRINGS_TYPESCRIPT;

// ---- conversions ----

/// A `PinAuthError`: a JavaScript `Error` named "PinAuthError" with the code and hints.
/// Its `cause`, what the backend's `handle` threw, is the `Error` constructor's own: not
/// enumerable, so `JSON.stringify` and object spreads leave it out (an HTTP library's
/// error can hold the request, and with it a password or a token).
fn js_error(error: &Error) -> JsValue {
    let options = object([("cause", error.cause().cloned())]);
    let js = js_sys::Error::new_with_options(error.message(), options.unchecked_ref());
    js.set_name("PinAuthError");
    set_fields(
        &js,
        [
            ("code", Some(JsValue::from_str(error.code().as_str()))),
            (
                "attemptsRemaining",
                error.attempts_remaining().map(JsValue::from),
            ),
            (
                "retryAfterSeconds",
                error.retry_after_seconds().map(|s| JsValue::from(s as f64)),
            ),
            ("reason", error.reason().map(JsValue::from_str)),
        ],
    );
    js.into()
}

/// Sets each present field on `target`, in order.
fn set_fields<const N: usize>(target: &JsValue, fields: [(&str, Option<JsValue>); N]) {
    for (name, value) in fields {
        if let Some(value) = value {
            let _ = Reflect::set(target, &JsValue::from_str(name), &value);
        }
    }
}

/// A plain JavaScript object with the present fields, in order.
fn object<const N: usize>(fields: [(&str, Option<JsValue>); N]) -> JsValue {
    let object = Object::new().into();
    set_fields(&object, fields);
    object
}

/// A promise of `work`'s value; every error rejects it with a `PinAuthError`.
fn promise(work: impl Future<Output = Result<JsValue>> + 'static) -> Promise {
    settle(Box::pin(work))
}

/// [`promise`]'s one instance of the promise machinery, shared by every method's work.
fn settle(work: core::pin::Pin<Box<dyn Future<Output = Result<JsValue>>>>) -> Promise {
    wasm_bindgen_futures::future_to_promise(async move { work.await.map_err(|e| js_error(&e)) })
}

/// A JavaScript array of `items`.
#[cfg(feature = "mock-backend")]
fn array(items: impl Iterator<Item = JsValue>) -> JsValue {
    items.collect::<js_sys::Array>().into()
}

/// A string argument of at most `max` UTF-16 units, checked before it is copied; the copy
/// is wiped when dropped (passwords, PINs and tokens come this way). A lone surrogate is
/// refused: copied, it would become U+FFFD, and two different passwords one.
fn text(value: &JsValue, field: &str, max: u32) -> Result<Zeroizing<String>> {
    let string = value
        .dyn_ref::<JsString>()
        .ok_or_else(|| Error::invalid_argument(field, "must be a string"))?;
    if string.length() > max {
        return Err(Error::invalid_argument(field, "is too long"));
    }
    if !string.is_valid_utf16() {
        return Err(Error::invalid_argument(
            field,
            "must be valid Unicode (it has a lone surrogate)",
        ));
    }
    Ok(Zeroizing::new(String::from(string)))
}

/// A listener argument.
fn function(value: &JsValue, field: &str) -> Result<Function> {
    value
        .dyn_ref::<Function>()
        .cloned()
        .ok_or_else(|| Error::invalid_argument(field, "must be a function"))
}

#[wasm_bindgen]
extern "C" {
    /// `Object.keys`, which throws for a proxy whose `ownKeys` trap throws: caught here,
    /// since an exception unwinding through wasm would leave a promise pending forever.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn object_keys(object: &Object) -> core::result::Result<js_sys::Array, JsValue>;

    /// `Object.getOwnPropertyDescriptor`, which throws for a proxy whose trap throws:
    /// caught for the same reason.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = getOwnPropertyDescriptor)]
    fn own_property(object: &Object, key: &str) -> core::result::Result<JsValue, JsValue>;

    /// `Array.isArray`, which throws for a revoked proxy: caught for the same reason.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array(value: &JsValue) -> core::result::Result<bool, JsValue>;
}

/// A JavaScript options object: only known keys, each checked by type and range.
struct Options {
    object: Object,
    name: &'static str,
}

impl Options {
    /// Reads `value` as options named `name`; `undefined` is no options unless
    /// `required`. Unknown keys are refused.
    fn read(value: &JsValue, name: &'static str, known: &[&str], required: bool) -> Result<Self> {
        if value.is_undefined() && !required {
            return Ok(Options {
                object: Object::new(),
                name,
            });
        }
        // Any non-array object, also one of another realm or without a prototype.
        if !value.is_object() || is_array(value).unwrap_or(true) {
            return Err(Error::invalid_argument(name, "must be an object"));
        }
        let object: Object = value.clone().unchecked_into();
        let keys =
            object_keys(&object).map_err(|_| Error::invalid_argument(name, "could not be read"))?;
        for key in keys.iter() {
            // At most 40 units of a key are copied: every known option's name is shorter.
            let Some(key) = key.dyn_ref::<JsString>() else {
                continue;
            };
            let shown = String::from(key.slice(0, 40));
            if key.length() > 40 || !known.contains(&shown.as_str()) {
                return Err(Error::invalid_argument(
                    &[name, ".", &shown].concat(),
                    "is not a known option",
                ));
            }
        }
        Ok(Options { object, name })
    }

    fn field(&self, key: &str) -> String {
        [self.name, ".", key].concat()
    }

    /// The value of the object's own property `key`, `None` when it has none or it is
    /// `undefined`. Never one it inherits: a property added to `Object.prototype` (a
    /// prototype pollution) must not choose the backend or the account's storage.
    fn get(&self, key: &str) -> Result<Option<JsValue>> {
        let unreadable = |_| Error::invalid_argument(&self.field(key), "could not be read");
        if own_property(&self.object, key)
            .map_err(unreadable)?
            .is_undefined()
        {
            return Ok(None);
        }
        let value = Reflect::get(&self.object, &JsValue::from_str(key)).map_err(unreadable)?;
        Ok((!value.is_undefined()).then_some(value))
    }

    fn text(&self, key: &str, max: u32) -> Result<Option<String>> {
        self.get(key)?
            .map(|v| text(&v, &self.field(key), max).map(|t| String::clone(&t)))
            .transpose()
    }

    /// A whole number in `min..=max`.
    fn integer(&self, key: &str, min: u32, max: u32) -> Result<Option<u32>> {
        let Some(value) = self.get(key)? else {
            return Ok(None);
        };
        match value.as_f64() {
            Some(n) if n >= f64::from(min) && n <= f64::from(max) && f64::from(n as u32) == n => {
                Ok(Some(n as u32))
            }
            _ => Err(Error::invalid_argument(
                &self.field(key),
                "must be a whole number in range",
            )),
        }
    }

    #[cfg(feature = "mock-backend")]
    fn seconds(&self, key: &str, max: u32) -> Result<Option<Duration>> {
        Ok(self
            .integer(key, 1, max)?
            .map(|s| Duration::from_secs(u64::from(s))))
    }
}

/// Longest accepted strings, in UTF-16 units.
const MAX_EMAIL: u32 = 320;
const MAX_PASSWORD: u32 = 1024;
const MAX_PIN: u32 = 64;
const MAX_TOKEN: u32 = 128;
const MAX_NAME: u32 = 256;

// ---- MockBackend (feature `mock-backend`) ----

#[cfg(feature = "mock-backend")]
mod mock_backend {
    use super::*;
    use crate::backend::{
        answer_checked, or_error_json, Backend, BackendConfig, BackendHost, Checked,
        SignatureCheck, MAX_REQUEST_BYTES,
    };
    use crate::platform::OsRng;
    use crate::protocol::{Reply, Request, Token, ValidateReauthRequest};
    use crate::web::{DateClock, TabTurns, WebStorage};
    use core::cell::RefCell;

    const YEAR_SECONDS: u32 = 366 * 24 * 3600;

    /// The server half, running in the page: accounts, devices, tokens, lockouts and an
    /// outbox of PIN reset emails.
    #[wasm_bindgen]
    pub struct MockBackend {
        server: Rc<Server>,
    }

    /// The hosted backend, and its turns across tabs when persisted.
    struct Server {
        host: BackendHost,
        turns: Option<TabTurns>,
    }

    /// A method's work on the backend, answering in JavaScript.
    type Work = Box<dyn FnOnce(&mut Backend) -> Result<JsValue>>;

    impl Server {
        /// Runs `work` on the backend, in this tab's turn when persisted. Every method's
        /// work is boxed into this one path, so the turn-taking is compiled once.
        async fn with_backend(&self, work: Work) -> Result<JsValue> {
            match &self.turns {
                Some(turns) => turns.run(&self.host, work).await,
                None => self.host.with_backend(work),
            }
        }
    }

    impl Server {
        /// One pass of a request through [`answer_checked`]: a turn on the backend with
        /// the verdict on the signature check it needed before.
        async fn pass(
            &self,
            request: &Rc<Zeroizing<String>>,
            checked: Option<Checked>,
        ) -> Result<(Zeroizing<String>, Option<SignatureCheck>)> {
            let request = Rc::clone(request);
            let needed = Rc::new(RefCell::new(None));
            let slot = Rc::clone(&needed);
            let work: Work = Box::new(move |backend| {
                let (response, check) = backend.handle_json_checked(&request, checked);
                *slot.borrow_mut() = check;
                Ok(JsValue::from_str(&response))
            });
            let response = self.with_backend(work).await?;
            let check = needed.borrow_mut().take();
            Ok((
                Zeroizing::new(response.as_string().unwrap_or_default()),
                check,
            ))
        }
    }

    impl MockBackend {
        /// A promise of `work`'s value (see [`Server::with_backend`]); an error instead of
        /// the work (a bad argument) rejects it without taking a turn.
        fn run(&self, work: Result<Work>) -> Promise {
            let server = Rc::clone(&self.server);
            promise(async move { server.with_backend(work?).await })
        }
    }

    #[wasm_bindgen]
    impl MockBackend {
        /// A backend with the defaults of `MockBackendOptions`, adjusted by `options`. With
        /// `persistKey`, its state lives in localStorage and every tab of the origin shares it.
        pub fn create(
            #[wasm_bindgen(unchecked_param_type = "MockBackendOptions")] options: JsValue,
        ) -> core::result::Result<MockBackend, JsValue> {
            // A `JsValue`, not an `Option`: `null` is refused like in `PinAuth.create`.
            Self::from_options(&options).map_err(|e| js_error(&e))
        }

        fn from_options(options: &JsValue) -> Result<MockBackend> {
            let options = Options::read(
                options,
                "options",
                &[
                    "persistKey",
                    "accessTokenTtlSeconds",
                    "pinSessionTtlSeconds",
                    "reauthTokenTtlSeconds",
                    "maxPinAttempts",
                    "maxPasswordAttempts",
                    "passwordLockoutSeconds",
                ],
                false,
            )?;
            let defaults = BackendConfig::default();
            let config = BackendConfig {
                access_token_ttl: options
                    .seconds("accessTokenTtlSeconds", YEAR_SECONDS)?
                    .unwrap_or(defaults.access_token_ttl),
                pin_session_ttl: options
                    .seconds("pinSessionTtlSeconds", YEAR_SECONDS)?
                    .unwrap_or(defaults.pin_session_ttl),
                reauth_token_ttl: options
                    .seconds("reauthTokenTtlSeconds", YEAR_SECONDS)?
                    .unwrap_or(defaults.reauth_token_ttl),
                max_pin_attempts: options
                    .integer("maxPinAttempts", 1, 10)?
                    .unwrap_or(defaults.max_pin_attempts),
                max_password_attempts: options
                    .integer("maxPasswordAttempts", 1, 100)?
                    .unwrap_or(defaults.max_password_attempts),
                password_lockout: options
                    .seconds("passwordLockoutSeconds", YEAR_SECONDS)?
                    .unwrap_or(defaults.password_lockout),
                ..defaults
            };
            let persist_key = options.text("persistKey", MAX_NAME)?;
            let backend = Backend::new(config, Box::new(DateClock), Box::new(OsRng))?;
            let server = match persist_key {
                Some(key) if !key.is_empty() => Server {
                    host: BackendHost::persistent(backend, Box::new(WebStorage::local()?), &key),
                    turns: Some(TabTurns::new(&key)),
                },
                Some(_) => {
                    return Err(Error::invalid_argument(
                        "options.persistKey",
                        "must not be empty",
                    ))
                }
                None => Server {
                    host: BackendHost::in_memory(backend),
                    turns: None,
                },
            };
            Ok(MockBackend {
                server: Rc::new(server),
            })
        }

        /// Answers one JSON request with a JSON response: the whole server as a string function
        /// (what `PinAuth` calls; a fetch-based server can stand in for it). A persisted
        /// backend answers in turns with the other tabs of the origin.
        #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
        pub fn handle(
            &self,
            #[wasm_bindgen(unchecked_param_type = "string")] request: JsValue,
        ) -> Promise {
            // Oversized requests are refused by length, before they are copied into wasm.
            let fits = request
                .dyn_ref::<JsString>()
                .is_some_and(|s| s.length() as usize <= MAX_REQUEST_BYTES);
            let request = fits
                .then(|| request.as_string())
                .flatten()
                .unwrap_or_default();
            let server = Rc::clone(&self.server);
            // The request and the response carry PIN proofs and tokens: wiped when dropped.
            let request = Rc::new(Zeroizing::new(request));
            promise(async move {
                let pass = |checked| server.pass(&request, checked);
                // Even a failed turn answers with a response, as a server would.
                let response = or_error_json(answer_checked(pass).await);
                Ok(JsValue::from_str(&response))
            })
        }

        /// The PIN reset emails sent to `email`, oldest first.
        #[wasm_bindgen(unchecked_return_type = "Promise<MailMessage[]>")]
        pub fn outbox(
            &self,
            #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
        ) -> Promise {
            self.run(text(&email, "email", MAX_EMAIL).map(|email| -> Work {
                Box::new(move |backend| {
                    Ok(array(backend.outbox_for(&email).into_iter().map(|m| {
                        object([
                            ("to", Some(JsValue::from_str(&m.to))),
                            ("subject", Some(JsValue::from_str("Reset your PIN"))),
                            (
                                "resetToken",
                                Some(JsValue::from_str(&m.reset_token.to_base64url())),
                            ),
                            ("sentAt", Some(JsValue::from_f64(m.sent_at as f64))),
                        ])
                    })))
                })
            }))
        }

        /// Checks a re-authentication token the way the application's server would, using
        /// it up: `{ valid: false }` for an unknown, used or expired token.
        #[wasm_bindgen(
            js_name = validateReauthToken,
            unchecked_return_type = "Promise<ReauthValidation>"
        )]
        pub fn validate_reauth_token(
            &self,
            #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        ) -> Promise {
            let token = match text(&token, "token", MAX_TOKEN) {
                Ok(token) => token,
                Err(error) => return self.run(Err(error)),
            };
            let invalid = || object([("valid", Some(JsValue::FALSE))]);
            let Ok(reauth_token) = Token::from_base64url(token.trim()) else {
                // Not a token at all: no need to take a turn on the backend.
                return Promise::resolve(&invalid());
            };
            self.run(Ok(Box::new(move |backend| {
                let request = Request::ValidateReauth(ValidateReauthRequest { reauth_token });
                Ok(match Result::<Reply>::from(backend.handle(request)) {
                    Ok(Reply::ValidateReauth(who)) => object([
                        ("valid", Some(JsValue::TRUE)),
                        ("uid", Some(JsValue::from_str(&who.user_id))),
                        (
                            "deviceId",
                            Some(JsValue::from_str(&who.device_id.to_base64url())),
                        ),
                        ("expiresAt", Some(JsValue::from_f64(who.expires_at as f64))),
                    ]),
                    _ => invalid(),
                })
            })))
        }

        /// The devices registered on the account with `email`, oldest first.
        #[wasm_bindgen(unchecked_return_type = "Promise<DeviceInfo[]>")]
        pub fn devices(
            &self,
            #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
        ) -> Promise {
            self.run(text(&email, "email", MAX_EMAIL).map(|email| -> Work {
                Box::new(move |backend| {
                    Ok(array(backend.devices_of(&email).into_iter().map(|d| {
                        object([
                            (
                                "deviceId",
                                Some(JsValue::from_str(&d.device_id.to_base64url())),
                            ),
                            (
                                "registeredAt",
                                Some(JsValue::from_f64(d.registered_at as f64)),
                            ),
                            ("lastUsedAt", Some(JsValue::from_f64(d.last_used_at as f64))),
                            ("hasPin", Some(JsValue::from_bool(d.has_pin))),
                        ])
                    })))
                })
            }))
        }

        /// Forgets every account, device, token and email.
        #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
        pub fn clear(&self) -> Promise {
            self.run(Ok(Box::new(|backend| {
                backend.clear().map(|()| JsValue::UNDEFINED)
            })))
        }
    }
}

// ---- PinAuth ----

/// A re-authentication token as JavaScript sees it: `{ token, expiresAt, expiresIn }`
/// (`expiresIn`: its lifetime when issued, in ms, for a page whose clock is not the
/// server's).
fn reauth_token(issued: &IssuedToken) -> JsValue {
    object([
        (
            "token",
            Some(JsValue::from_str(&issued.token.to_base64url())),
        ),
        (
            "expiresAt",
            Some(JsValue::from_f64(issued.expires_at as f64)),
        ),
        (
            "expiresIn",
            Some(JsValue::from_f64(issued.expires_in as f64)),
        ),
    ])
}

fn container_error() -> Error {
    Error::invalid_argument("options.container", "must be an element in the document")
}

/// Reads the options of `promptPin`.
fn prompt_options(value: &JsValue) -> Result<PromptOptions> {
    let options = Options::read(
        value,
        "options",
        &["mode", "title", "subtitle", "strings", "container"],
        false,
    )?;
    let mode = match options.text("mode", 16)?.as_deref() {
        None | Some("auto") => PromptMode::Auto,
        Some("reauth") => PromptMode::Reauth,
        Some("change") => PromptMode::Change,
        Some(_) => {
            return Err(Error::invalid_argument(
                "options.mode",
                "must be \"auto\", \"reauth\" or \"change\"",
            ))
        }
    };
    let strings = Object::new();
    let given = match options.get("strings")? {
        Some(value) => Some(Options::read(
            &value,
            "options.strings",
            PROMPT_STRING_KEYS,
            true,
        )?),
        None => None,
    };
    for (key, default) in PROMPT_STRINGS {
        let text = match &given {
            Some(given) => given.text(key, MAX_NAME)?,
            None => None,
        };
        let text = text.map_or_else(|| JsValue::from_str(default), |t| JsValue::from_str(&t));
        let _ = Reflect::set(&strings, &JsValue::from_str(key), &text);
    }
    let container = match options.get("container")? {
        // In the document: a prompt in a detached element could never be answered.
        Some(value)
            if Reflect::get(&value, &JsValue::from_str("isConnected"))
                .is_ok_and(|connected| connected.is_truthy()) =>
        {
            Some(
                value
                    .dyn_into::<web_sys::Element>()
                    .map_err(|_| container_error())?,
            )
        }
        Some(_) => return Err(container_error()),
        None => None,
    };
    Ok(PromptOptions {
        mode,
        title: options.text("title", MAX_NAME)?,
        subtitle: options.text("subtitle", MAX_NAME)?,
        strings,
        container,
    })
}

type WebClient = Client<WebCryptoKeys, JsTransport>;

/// PIN sign-in on this device: the state machine, the flows, and the device identity.
#[wasm_bindgen]
pub struct PinAuth {
    client: Rc<WebClient>,
    _watch: Option<Watch>,
}

/// Runs a client flow as a promise. Arguments are checked inside `run`, so bad ones
/// reject the promise rather than throw.
fn flow<F, Fut>(client: &Rc<WebClient>, run: F) -> Promise
where
    F: FnOnce(Rc<WebClient>) -> Fut + 'static,
    Fut: Future<Output = Result<JsValue>> + 'static,
{
    let client = client.clone();
    promise(async move { run(client).await })
}

#[wasm_bindgen]
impl PinAuth {
    /// A client for `options.appId` on `options.backend`: loads this device's identity
    /// (or creates one) and any stored session. Old or corrupt stored data is reported to
    /// `onWarning`, never a rejection.
    #[wasm_bindgen(unchecked_return_type = "Promise<PinAuth>")]
    pub fn create(
        #[wasm_bindgen(unchecked_param_type = "PinAuthOptions")] options: JsValue,
    ) -> Promise {
        promise(async move { Self::from_options(options).await.map(JsValue::from) })
    }

    async fn from_options(options: JsValue) -> Result<PinAuth> {
        let options = Options::read(
            &options,
            "options",
            &[
                "backend",
                "appId",
                "storage",
                "accessTokenStorage",
                "pinLength",
                "accessTokenLeewaySeconds",
            ],
            true,
        )?;
        let backend = options
            .get("backend")?
            .ok_or_else(|| Error::invalid_argument("options.backend", "is required"))?;
        let transport = JsTransport::new(backend)?;
        let defaults = ClientConfig::default();
        let config = ClientConfig {
            app_id: options.text("appId", MAX_NAME)?.unwrap_or(defaults.app_id),
            pin_policy: match options.integer("pinLength", 4, 8)? {
                Some(length) => PinPolicy::new(length as usize)?,
                None => defaults.pin_policy,
            },
            access_token_leeway: match options.integer("accessTokenLeewaySeconds", 0, 3600)? {
                Some(seconds) => Duration::from_secs(u64::from(seconds)),
                None => defaults.access_token_leeway,
            },
        };
        let storage = match options.text("storage", 16)? {
            Some(choice) => StorageChoice::parse(&choice).ok_or_else(|| {
                Error::invalid_argument(
                    "options.storage",
                    "must be \"local\", \"session\" or \"memory\"",
                )
            })?,
            None => StorageChoice::Local,
        };
        let access = match options.text("accessTokenStorage", 16)? {
            Some(choice) => AccessStorage::parse(&choice).ok_or_else(|| {
                Error::invalid_argument(
                    "options.accessTokenStorage",
                    "must be \"memory\" or \"session\"",
                )
            })?,
            None => AccessStorage::Memory,
        };
        let platform = platform(storage, access, transport);
        let client = Rc::new(Client::create(config, platform).await?);
        let watch = watch(&client).ok();
        Ok(PinAuth {
            client,
            _watch: watch,
        })
    }

    /// The current state.
    #[wasm_bindgen(getter, unchecked_return_type = "AuthState")]
    pub fn state(&self) -> String {
        self.client.state().as_str().to_owned()
    }

    /// The account, unless signed out.
    #[wasm_bindgen(getter, unchecked_return_type = "User | null")]
    pub fn user(&self) -> JsValue {
        match self.client.user() {
            Some(user) => object([
                ("uid", Some(JsValue::from_str(&user.user_id))),
                ("email", Some(JsValue::from_str(&user.email))),
            ]),
            None => JsValue::NULL,
        }
    }

    /// This device's id.
    #[wasm_bindgen(getter, js_name = deviceId)]
    pub fn device_id(&self) -> String {
        self.client.device_id().to_base64url()
    }

    /// Calls `listener` with every new state; returns the function that unsubscribes it.
    #[wasm_bindgen(js_name = onStateChange, unchecked_return_type = "() => void")]
    pub fn on_state_change(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(state: AuthState) => void")] listener: JsValue,
    ) -> core::result::Result<JsValue, JsValue> {
        let listener = function(&listener, "listener").map_err(|e| js_error(&e))?;
        let id = self.client.on_state_change(move |state: &AuthState| {
            // A listener that throws must not break the SDK.
            let _ = listener.call1(&JsValue::NULL, &JsValue::from_str(state.as_str()));
        });
        Ok(self.unsubscriber(id))
    }

    /// Calls `listener` with every warning from now on; warnings raised while no listener
    /// was subscribed (those of `create`, say) are held and given to the next listener
    /// that subscribes. Returns the function that unsubscribes it.
    #[wasm_bindgen(js_name = onWarning, unchecked_return_type = "() => void")]
    pub fn on_warning(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(warning: PinAuthWarning) => void")]
        listener: JsValue,
    ) -> core::result::Result<JsValue, JsValue> {
        let listener = function(&listener, "listener").map_err(|e| js_error(&e))?;
        let id = self.client.on_warning(move |w: &crate::error::Warning| {
            let value = object([
                ("code", Some(JsValue::from_str(w.code))),
                ("message", Some(JsValue::from_str(w.message))),
            ]);
            let _ = listener.call1(&JsValue::NULL, &value);
        });
        Ok(self.unsubscriber(id))
    }

    fn unsubscriber(&self, id: ListenerId) -> JsValue {
        let client = Rc::downgrade(&self.client);
        Closure::<dyn FnMut()>::new(move || {
            if let Some(client) = client.upgrade() {
                client.unsubscribe(id);
            }
        })
        .into_js_value()
    }

    /// Creates an account (it does not sign in).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn register(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] password: JsValue,
    ) -> Promise {
        flow(&self.client, move |client| async move {
            let email = text(&email, "email", MAX_EMAIL)?;
            let password = text(&password, "password", MAX_PASSWORD)?;
            client.register(&email, &password).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Password sign-in: resolves with `"signedIn"` when this device has a PIN, else
    /// `"pinSetupRequired"`.
    #[wasm_bindgen(unchecked_return_type = "Promise<AuthState>")]
    pub fn login(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] password: JsValue,
    ) -> Promise {
        flow(&self.client, move |client| async move {
            let email = text(&email, "email", MAX_EMAIL)?;
            let password = text(&password, "password", MAX_PASSWORD)?;
            let state = client.login(&email, &password).await?;
            Ok(JsValue::from_str(state.as_str()))
        })
    }

    /// Sets this device's PIN after a password login.
    #[wasm_bindgen(js_name = setPin, unchecked_return_type = "Promise<void>")]
    pub fn set_pin(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] pin: JsValue,
    ) -> Promise {
        flow(&self.client, move |client| async move {
            client.set_pin(&text(&pin, "pin", MAX_PIN)?).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Unlocks with the PIN.
    #[wasm_bindgen(js_name = loginWithPin, unchecked_return_type = "Promise<void>")]
    pub fn login_with_pin(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] pin: JsValue,
    ) -> Promise {
        flow(&self.client, move |client| async move {
            client.login_with_pin(&text(&pin, "pin", MAX_PIN)?).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Confirms the PIN for a sensitive action; resolves with a token for the server.
    #[wasm_bindgen(unchecked_return_type = "Promise<ReauthToken>")]
    pub fn reauthenticate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] pin: JsValue,
    ) -> Promise {
        flow(&self.client, move |client| async move {
            let issued = client.reauthenticate(&text(&pin, "pin", MAX_PIN)?).await?;
            Ok(reauth_token(&issued))
        })
    }

    /// Changes this device's PIN while signed in.
    #[wasm_bindgen(js_name = changePin, unchecked_return_type = "Promise<void>")]
    pub fn change_pin(
        &self,
        #[wasm_bindgen(js_name = oldPin, unchecked_param_type = "string")] old_pin: JsValue,
        #[wasm_bindgen(js_name = newPin, unchecked_param_type = "string")] new_pin: JsValue,
    ) -> Promise {
        flow(&self.client, move |client| async move {
            let old_pin = text(&old_pin, "oldPin", MAX_PIN)?;
            let new_pin = text(&new_pin, "newPin", MAX_PIN)?;
            client.change_pin(&old_pin, &new_pin).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Asks for a PIN reset email; resolves whether or not the email has an account.
    #[wasm_bindgen(js_name = forgotPin, unchecked_return_type = "Promise<void>")]
    pub fn forgot_pin(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] email: JsValue,
    ) -> Promise {
        flow(&self.client, move |client| async move {
            client
                .forgot_pin(&text(&email, "email", MAX_EMAIL)?)
                .await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Sets a new PIN with the token from the reset email, then unlocks with it.
    #[wasm_bindgen(js_name = resetPin, unchecked_return_type = "Promise<void>")]
    pub fn reset_pin(
        &self,
        #[wasm_bindgen(js_name = resetToken, unchecked_param_type = "string")] reset_token: JsValue,
        #[wasm_bindgen(js_name = newPin, unchecked_param_type = "string")] new_pin: JsValue,
    ) -> Promise {
        flow(&self.client, move |client| async move {
            let reset_token = text(&reset_token, "resetToken", MAX_TOKEN)?;
            let new_pin = text(&new_pin, "newPin", MAX_PIN)?;
            client.reset_pin(&reset_token, &new_pin).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Signs out here right away (the calls made before it keep no token), then on the
    /// backend.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn logout(&self) -> Promise {
        flow(&self.client, |client| async move {
            client.logout().await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Wipes this device's identity (revoking it on the backend when signed in) and
    /// starts over as a new device.
    #[wasm_bindgen(js_name = forgetDevice, unchecked_return_type = "Promise<void>")]
    pub fn forget_device(&self) -> Promise {
        flow(&self.client, |client| async move {
            client.forget_device().await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The access token; rejects with `NOT_SIGNED_IN` unless signed in.
    #[wasm_bindgen(js_name = getAccessToken, unchecked_return_type = "Promise<string>")]
    pub fn get_access_token(&self) -> Promise {
        flow(&self.client, |client| async move {
            Ok(JsValue::from_str(
                &client.access_token().await?.to_base64url(),
            ))
        })
    }

    /// The configuration of the PIN prompt that `promptPin` (`prompt.js`, through the
    /// glue) opens for `options` in the current state, or `undefined` when a signed-in
    /// client has nothing to do. Throws `INVALID_INPUT` for bad options, then
    /// `PROMPT_OPEN` when `open` (a prompt of this `PinAuth` is open), then
    /// `NOT_SIGNED_IN` when the state has no flow. Not part of the public API.
    #[wasm_bindgen(js_name = __promptConfig, skip_typescript)]
    pub fn prompt_config(
        &self,
        options: JsValue,
        open: bool,
    ) -> core::result::Result<JsValue, JsValue> {
        let config = prompt_options(&options).and_then(|options| {
            if open {
                return Err(Error::new(ErrorCode::PromptOpen));
            }
            prompt_config(self.client.state(), self.client.pin_policy(), options)
        });
        match config {
            Ok(config) => Ok(config.map_or(JsValue::UNDEFINED, JsValue::from)),
            Err(error) => Err(js_error(&error)),
        }
    }

    /// Checks a new PIN against the policy, without any network call.
    #[wasm_bindgen(js_name = checkPin, unchecked_return_type = "PinCheck")]
    pub fn check_pin(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] pin: JsValue,
    ) -> core::result::Result<JsValue, JsValue> {
        let pin = text(&pin, "pin", MAX_PIN).map_err(|e| js_error(&e))?;
        let rejection = self.client.pin_policy().rejection(&pin);
        Ok(object([
            ("ok", Some(JsValue::from_bool(rejection.is_none()))),
            ("reason", rejection.map(|r| JsValue::from_str(r.code()))),
        ]))
    }
}

/// Whether `e` is a `PinAuthError` thrown or rejected by this SDK.
#[wasm_bindgen(js_name = isPinAuthError, unchecked_return_type = "e is PinAuthError")]
pub fn is_pin_auth_error(#[wasm_bindgen(unchecked_param_type = "unknown")] e: JsValue) -> bool {
    // Compared in JavaScript, or copied only when short: any value can be a `name` or a
    // `code`.
    e.is_instance_of::<js_sys::Error>()
        && Reflect::get(&e, &JsValue::from_str("name"))
            .is_ok_and(|n| n == JsValue::from_str("PinAuthError"))
        && Reflect::get(&e, &JsValue::from_str("code"))
            .ok()
            .and_then(|c| c.dyn_into::<JsString>().ok())
            .filter(|c| c.length() <= 32)
            .is_some_and(|c| ErrorCode::parse(&String::from(c)).is_some())
}

/// The PIN proof of `pin` with a 32-byte `salt`: for the benchmark page only (feature
/// `bench`), which times it against other Argon2id implementations.
#[cfg(feature = "bench")]
#[wasm_bindgen(js_name = benchPinProof)]
pub fn bench_pin_proof(
    pin: &str,
    salt: &[u8],
) -> core::result::Result<alloc::vec::Vec<u8>, JsValue> {
    let run = || {
        let pin = crate::pin::Pin::parse(pin)?;
        let salt = crate::crypto::DeviceSalt::from_slice(salt)?;
        crate::crypto::pin_proof(&pin, &salt).map(|proof| proof.as_bytes().to_vec())
    };
    run().map_err(|e| js_error(&e))
}
