//! A state-machine property test of the backend: random sequences of calls from several
//! devices of two accounts, through the JSON entry point, against a model of what each call
//! must answer. Besides matching the model call by call, it checks these invariants:
//!
//! 1. a device never answers more consecutive wrong PINs than the threshold allows: at
//!    most `max_pin_attempts - 1` `INVALID_PIN`s in a row, each with the right
//!    `attemptsRemaining`, then `DEVICE_LOCKED`;
//! 2. an expired, used or revoked token is never accepted;
//! 3. a locked device never unlocks until a new PIN is set for it, with a PIN auth token
//!    from a password login made after the lockout or with a reset token (email);
//! 4. a replayed signed request is always refused;
//! 5. the snapshot round-trips at every step (snapshot → restore → snapshot gives the same
//!    JSON) and the run continues on the restored backend.
//!
//! `PROPTEST_CASES=1000 cargo test --test properties` runs longer than the default.
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use pinauth::backend::{Backend, BackendConfig};
use pinauth::platform::SeededRng;
use pinauth::protocol::*;
use pinauth::ErrorCode;
use proptest::prelude::*;

const EMAILS: [&str; 2] = ["ann@example.com", "bob@example.com"];
const DEVICES: usize = 3;
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

// ---- the operations ----

/// Which token an operation presents.
#[derive(Clone, Copy, Debug)]
enum Pick {
    /// The newest token of the kind issued to the acting device (the honest client).
    Own,
    /// Any token of the kind ever issued (index modulo their number): used, expired,
    /// revoked and other devices' tokens included.
    Any(usize),
    /// A token the backend never issued.
    Forged,
}

#[derive(Clone, Debug)]
enum Op {
    Login {
        account: usize,
        device: usize,
        right_password: bool,
    },
    SetPin {
        token: Pick,
        device: usize,
        pin: u8,
    },
    Unlock {
        token: Pick,
        device: usize,
        pin: u8,
    },
    Reauthenticate {
        token: Pick,
        device: usize,
        pin: u8,
    },
    ValidateReauth {
        token: Pick,
    },
    ChangePin {
        token: Pick,
        device: usize,
        old: u8,
        new: u8,
    },
    ForgotPin {
        account: usize,
    },
    ResetPin {
        token: Pick,
        device: usize,
        pin: u8,
    },
    Logout {
        session: Option<Pick>,
        access: Option<Pick>,
        pin_auth: Option<Pick>,
    },
    ListDevices {
        token: Pick,
    },
    RevokeDevice {
        token: Pick,
        target: usize,
    },
    Advance {
        secs: u64,
    },
    /// Sends the last signed request again, byte for byte.
    Replay,
    /// A password login and a PIN set on the device, as a new user would (two calls).
    Enrol {
        account: usize,
        device: usize,
        pin: u8,
    },
    /// A re-authentication, and the application's server validating its token.
    StepUp {
        token: Pick,
        device: usize,
        pin: u8,
    },
    /// A burst of PIN guesses no PIN matches (PINs are 1 to 3).
    WrongPins {
        token: Pick,
        device: usize,
        count: usize,
    },
    /// A burst of wrong passwords.
    WrongPasswords {
        account: usize,
        device: usize,
        count: usize,
    },
}

impl Op {
    /// The single calls an operation makes.
    fn calls(&self) -> Vec<Op> {
        match *self {
            Op::Enrol {
                account,
                device,
                pin,
            } => vec![
                Op::Login {
                    account,
                    device,
                    right_password: true,
                },
                Op::SetPin {
                    token: Pick::Own,
                    device,
                    pin,
                },
            ],
            Op::StepUp { token, device, pin } => vec![
                Op::Reauthenticate { token, device, pin },
                Op::ValidateReauth { token: Pick::Own },
            ],
            Op::WrongPins {
                token,
                device,
                count,
            } => vec![
                Op::Unlock {
                    token,
                    device,
                    pin: 0
                };
                count
            ],
            Op::WrongPasswords {
                account,
                device,
                count,
            } => vec![
                Op::Login {
                    account,
                    device,
                    right_password: false
                };
                count
            ],
            ref single => vec![single.clone()],
        }
    }
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        5 => Just(Pick::Own),
        2 => (0usize..64).prop_map(Pick::Any),
        1 => Just(Pick::Forged),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let account = || prop_oneof![3 => Just(0usize), 1 => Just(1)];
    let device = || prop_oneof![3 => Just(0usize), 2 => Just(1), 1 => Just(2)];
    let pin = || 1u8..=3;
    prop_oneof![
        3 => (account(), device(), prop::bool::weighted(0.9)).prop_map(|(account, device, right_password)| Op::Login { account, device, right_password }),
        4 => (account(), device(), pin()).prop_map(|(account, device, pin)| Op::Enrol { account, device, pin }),
        2 => (pick(), device(), pin()).prop_map(|(token, device, pin)| Op::SetPin { token, device, pin }),
        8 => (pick(), device(), pin()).prop_map(|(token, device, pin)| Op::Unlock { token, device, pin }),
        2 => (pick(), device(), 1usize..=6).prop_map(|(token, device, count)| Op::WrongPins { token, device, count }),
        1 => (account(), device(), 1usize..=6).prop_map(|(account, device, count)| Op::WrongPasswords { account, device, count }),
        2 => (pick(), device(), pin()).prop_map(|(token, device, pin)| Op::Reauthenticate { token, device, pin }),
        2 => (pick(), device(), pin()).prop_map(|(token, device, pin)| Op::StepUp { token, device, pin }),
        2 => pick().prop_map(|token| Op::ValidateReauth { token }),
        2 => (pick(), device(), pin(), pin()).prop_map(|(token, device, old, new)| Op::ChangePin { token, device, old, new }),
        1 => account().prop_map(|account| Op::ForgotPin { account }),
        1 => (pick(), device(), pin()).prop_map(|(token, device, pin)| Op::ResetPin { token, device, pin }),
        1 => (prop::option::of(pick()), prop::option::of(pick()), prop::option::of(pick())).prop_map(|(session, access, pin_auth)| Op::Logout { session, access, pin_auth }),
        1 => pick().prop_map(|token| Op::ListDevices { token }),
        1 => (pick(), device()).prop_map(|(token, target)| Op::RevokeDevice { token, target }),
        2 => prop::sample::select(vec![1u64, 30, 119, 121, 299, 301, 599, 601, 899, 901, 3_600, 86_400, 7 * 86_400])
            .prop_map(|secs| Op::Advance { secs }),
        1 => Just(Op::Replay),
    ]
}

// ---- the model ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Access,
    PinSession,
    PinAuth,
    Reauth,
    Reset,
}

impl Kind {
    fn ttl_ms(self, c: &BackendConfig) -> u64 {
        let d = match self {
            Kind::Access => c.access_token_ttl,
            Kind::PinSession => c.pin_session_ttl,
            Kind::PinAuth => c.pin_auth_token_ttl,
            Kind::Reauth => c.reauth_token_ttl,
            Kind::Reset => c.reset_token_ttl,
        };
        d.as_millis() as u64
    }

    fn invalid(self) -> ErrorCode {
        match self {
            Kind::Access => ErrorCode::AccessTokenInvalid,
            Kind::PinSession => ErrorCode::SessionInvalid,
            Kind::PinAuth => ErrorCode::PinAuthTokenInvalid,
            Kind::Reauth => ErrorCode::ReauthTokenInvalid,
            Kind::Reset => ErrorCode::ResetTokenInvalid,
        }
    }

    fn expired(self) -> ErrorCode {
        match self {
            Kind::PinSession => ErrorCode::SessionExpired,
            _ => ErrorCode::TokenExpired,
        }
    }
}

/// Every token kind bound to a device (what logout and revocation end).
const DEVICE_KINDS: [Kind; 4] = [Kind::Access, Kind::PinSession, Kind::PinAuth, Kind::Reauth];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Live,
    Used,
    Revoked,
}

#[derive(Clone, Debug)]
struct ModelToken {
    token: Token,
    kind: Kind,
    account: usize,
    device: Option<usize>,
    expires_at: u64,
    /// The step that issued it.
    step: usize,
    status: Status,
}

#[derive(Clone, Copy, Debug, Default)]
struct ModelDevice {
    registered: bool,
    pin: Option<u8>,
    wrong: u32,
}

/// A counter of events in a window, as the backend keeps it.
#[derive(Clone, Copy, Debug, Default)]
struct Window {
    started_at: u64,
    count: u32,
}

impl Window {
    fn blocked(&self, now: u64, length: u64, limit: u32) -> bool {
        self.count >= limit && now < self.started_at.saturating_add(length)
    }
    fn record(&mut self, now: u64, length: u64) {
        if now >= self.started_at.saturating_add(length) {
            *self = Window {
                started_at: now,
                count: 0,
            };
        }
        self.count += 1;
    }
    /// A run of events, each within `gap` of the one before.
    fn record_in_a_row(&mut self, now: u64, gap: u64) {
        self.record(now, gap);
        self.started_at = now;
    }
}

#[derive(Clone, Debug, Default)]
struct ModelAccount {
    devices: [ModelDevice; DEVICES],
    pin_failures: Window,
    password_failures: Window,
    locked_until: Option<u64>,
}

/// What a call answers: success, or a code with the attempts left.
type Outcome = std::result::Result<(), (ErrorCode, Option<u32>)>;

fn outcome<T>(result: &pinauth::Result<T>) -> Outcome {
    match result {
        Ok(_) => Ok(()),
        Err(e) => Err((e.code(), e.attempts_remaining())),
    }
}

fn fail(code: ErrorCode) -> Outcome {
    Err((code, None))
}

struct Model {
    config: BackendConfig,
    accounts: [ModelAccount; 2],
    tokens: Vec<ModelToken>,
}

impl Model {
    /// The token an op presents: its index in `tokens`, or `None` for a forged one.
    fn pick(&self, pick: Pick, kind: Kind, device: Option<usize>) -> Option<usize> {
        let of_kind = || {
            self.tokens
                .iter()
                .enumerate()
                .filter(move |(_, t)| t.kind == kind)
        };
        match pick {
            Pick::Own => of_kind()
                .rfind(|(_, t)| device.is_none() || t.device == device)
                .map(|(i, _)| i),
            Pick::Any(n) => {
                let all: Vec<usize> = of_kind().map(|(i, _)| i).collect();
                (!all.is_empty()).then(|| all[n % all.len()])
            }
            Pick::Forged => None,
        }
    }

    /// Whether the backend still holds the token (live, or expired but remembered).
    fn held(&self, index: usize, now: u64) -> bool {
        let t = &self.tokens[index];
        t.status == Status::Live && now < t.expires_at.saturating_add(DAY_MS)
    }

    /// The backend's token lookup.
    fn find(&self, index: Option<usize>, kind: Kind, now: u64) -> Result<usize, ErrorCode> {
        let Some(index) = index else {
            return Err(kind.invalid());
        };
        if !self.held(index, now) {
            return Err(kind.invalid());
        }
        if now >= self.tokens[index].expires_at {
            return Err(kind.expired());
        }
        Ok(index)
    }

    fn revoke(&mut self, account: usize, device: usize, kinds: &[Kind]) {
        for t in &mut self.tokens {
            if t.account == account
                && t.device == Some(device)
                && kinds.contains(&t.kind)
                && t.status == Status::Live
            {
                t.status = Status::Revoked;
            }
        }
    }

    /// The backend's PIN check (after token, device and signature checks passed).
    fn check_pin(&mut self, now: u64, account: usize, device: usize, pin: u8) -> Outcome {
        let window = self.config.account_pin_window.as_millis() as u64;
        let limit = self.config.account_pin_attempts;
        let max = self.config.max_pin_attempts;
        let a = &mut self.accounts[account];
        if a.pin_failures.blocked(now, window, limit) {
            return fail(ErrorCode::RateLimited);
        }
        let d = &mut a.devices[device];
        let Some(stored) = d.pin else {
            return fail(ErrorCode::DeviceLocked);
        };
        if stored == pin {
            d.wrong = 0;
            return Ok(());
        }
        d.wrong += 1;
        let wrong = d.wrong;
        a.pin_failures.record_in_a_row(now, window);
        if wrong < max {
            return Err((ErrorCode::InvalidPin, Some(max - wrong)));
        }
        d.pin = None;
        self.revoke(
            account,
            device,
            &[Kind::PinSession, Kind::Access, Kind::Reauth],
        );
        fail(ErrorCode::DeviceLocked)
    }

    /// A token of `kind` bound to `token`'s device must be presented by that device, whose
    /// key must be registered; then the PIN is checked. The account on success.
    fn authorize_pin(
        &mut self,
        now: u64,
        kind: Kind,
        token: Option<usize>,
        device: usize,
        pin: u8,
    ) -> Result<usize, (ErrorCode, Option<u32>)> {
        let index = self.find(token, kind, now).map_err(|c| (c, None))?;
        let t = &self.tokens[index];
        if t.device != Some(device) {
            return Err((kind.invalid(), None));
        }
        let account = t.account;
        if !self.accounts[account].devices[device].registered {
            return Err((ErrorCode::UnknownDevice, None));
        }
        self.check_pin(now, account, device, pin)?;
        Ok(account)
    }

    /// Registers a device's key and PIN (setPin, resetPin).
    fn register_pin(&mut self, account: usize, device: usize, pin: u8) {
        self.accounts[account].devices[device] = ModelDevice {
            registered: true,
            pin: Some(pin),
            wrong: 0,
        };
        self.revoke(
            account,
            device,
            &[Kind::PinSession, Kind::PinAuth, Kind::Reauth],
        );
    }
}

// ---- what is observed, independently of the model's predictions ----

#[derive(Default)]
struct Observed {
    /// `INVALID_PIN` answers in a row, per (account, device).
    wrong_in_a_row: [[u32; DEVICES]; 2],
    /// The step at which a device locked, while it stays locked.
    locked_at: [[Option<usize>; DEVICES]; 2],
}

// ---- the runner ----

struct Run {
    h: Harness,
    model: Model,
    seen: Observed,
    devices: Vec<TestDevice>,
    user_ids: Vec<String>,
    /// The last signed request sent, and how it was answered.
    last_signed: Option<(String, Outcome)>,
    step: usize,
}

impl Run {
    fn new() -> Self {
        let config = BackendConfig::default().with_cheap_password_hashing();
        let mut h = Harness::with(config.clone(), Box::new(SeededRng::new(7)));
        let user_ids = EMAILS.iter().map(|email| h.register(email)).collect();
        Run {
            h,
            model: Model {
                config,
                accounts: Default::default(),
                tokens: Vec::new(),
            },
            seen: Observed::default(),
            devices: (1..=DEVICES as u8).map(TestDevice::new).collect(),
            user_ids,
            last_signed: None,
            step: 0,
        }
    }

    fn now(&self) -> u64 {
        self.h.now()
    }

    /// Sends a request through the JSON entry point, remembering signed ones for replay.
    fn send(&mut self, request: Request) -> pinauth::Result<Reply> {
        let signed = matches!(
            request,
            Request::SetPin(_)
                | Request::LoginWithPin(_)
                | Request::Reauthenticate(_)
                | Request::ChangePin(_)
                | Request::ResetPin(_)
        );
        let json = serde_json::to_string(&request).unwrap();
        let response = self.h.backend.handle_json(&json);
        let result: pinauth::Result<Reply> =
            serde_json::from_str::<Response>(&response).unwrap().into();
        if signed {
            self.last_signed = Some((json, outcome(&result)));
        }
        result
    }

    /// Records a token the backend issued, checking its expiry against the model's.
    fn issued(&mut self, issued: &IssuedToken, kind: Kind, account: usize, device: Option<usize>) {
        let expires_at = self.now() + kind.ttl_ms(&self.model.config);
        assert_eq!(issued.expires_at, expires_at, "{kind:?} lifetime");
        assert_eq!(
            issued.expires_in,
            kind.ttl_ms(&self.model.config),
            "{kind:?} lifetime as sent"
        );
        assert!(
            self.model.tokens.iter().all(|t| t.token != issued.token),
            "a token value was issued twice"
        );
        self.model.tokens.push(ModelToken {
            token: issued.token.clone(),
            kind,
            account,
            device,
            expires_at,
            step: self.step,
            status: Status::Live,
        });
    }

    fn token(&self, index: Option<usize>) -> Token {
        index.map_or_else(
            || Token::new([0xee; 32]),
            |i| self.model.tokens[i].token.clone(),
        )
    }

    /// Invariant 2: a call that succeeded presented only live, unexpired tokens.
    fn assert_live(&self, presented: &[Option<usize>], what: &str) {
        for index in presented.iter().flatten() {
            let t = &self.model.tokens[*index];
            assert!(
                t.status == Status::Live && self.now() < t.expires_at,
                "{what} accepted a {:?} token that is {:?} (expires {}, now {})",
                t.kind,
                t.status,
                t.expires_at,
                self.now()
            );
        }
    }

    /// Invariants 1 and 3, from the answer to a PIN-checking call on (account, device).
    fn observe_pin_answer(&mut self, account: usize, device: usize, answer: &Outcome, what: &str) {
        let max = self.model.config.max_pin_attempts;
        let in_a_row = &mut self.seen.wrong_in_a_row[account][device];
        match answer {
            Ok(()) => {
                assert_eq!(
                    self.seen.locked_at[account][device], None,
                    "{what}: a locked device accepted a PIN"
                );
                *in_a_row = 0;
            }
            Err((ErrorCode::InvalidPin, remaining)) => {
                *in_a_row += 1;
                assert!(
                    *in_a_row < max,
                    "{what}: {in_a_row} wrong PINs in a row were answered INVALID_PIN"
                );
                assert_eq!(*remaining, Some(max - *in_a_row), "{what}: attempts left");
            }
            Err((ErrorCode::DeviceLocked, _)) => {
                *in_a_row = 0;
                self.seen.locked_at[account][device].get_or_insert(self.step);
            }
            Err(_) => {}
        }
    }

    /// Invariant 3: a new PIN set for a locked device must come from a password login
    /// made after the lockout (setPin) or from an email (resetPin).
    fn observe_new_pin(&mut self, account: usize, device: usize, via: Option<usize>) {
        if let (Some(locked), Some(index)) = (self.seen.locked_at[account][device], via) {
            let token = &self.model.tokens[index];
            assert!(
                token.kind == Kind::Reset || token.step > locked,
                "a locked device got a new PIN with a {:?} token from before its lockout",
                token.kind
            );
        }
        self.seen.locked_at[account][device] = None;
        self.seen.wrong_in_a_row[account][device] = 0;
    }

    fn check(&self, what: &str, expected: &Outcome, actual: &Outcome) {
        assert_eq!(actual, expected, "step {}: {what}", self.step);
    }

    fn apply(&mut self, op: &Op) {
        let now = self.now();
        let what = format!("{op:?}");
        match *op {
            Op::Login {
                account,
                device,
                right_password,
            } => {
                let lockout = self.model.config.password_lockout.as_millis() as u64;
                let a = &mut self.model.accounts[account];
                let expected = if a.locked_until.is_some_and(|until| now < until) {
                    fail(ErrorCode::AccountLocked)
                } else if right_password {
                    a.password_failures = Window::default();
                    a.locked_until = None;
                    Ok(())
                } else {
                    a.password_failures.record_in_a_row(now, lockout);
                    if a.password_failures.count >= self.model.config.max_password_attempts {
                        a.password_failures = Window::default();
                        a.locked_until = Some(now + lockout);
                        fail(ErrorCode::AccountLocked)
                    } else {
                        fail(ErrorCode::InvalidCredentials)
                    }
                };
                let password = if right_password {
                    PASSWORD
                } else {
                    "not the password"
                };
                let actual = self.send(Request::Login(LoginRequest {
                    email: EMAILS[account].into(),
                    password: SecretString::new(password),
                    device_id: self.devices[device].id.clone(),
                }));
                self.check(&what, &expected, &outcome(&actual));
                let Ok(Reply::Login(reply)) = actual else {
                    return;
                };
                assert_eq!(reply.user_id, self.user_ids[account]);
                self.issued(&reply.access, Kind::Access, account, Some(device));
                let has_pin = self.model.accounts[account].devices[device].pin.is_some();
                match (&reply.pin, has_pin) {
                    (PinStep::PinSession(session), true) => {
                        self.model.revoke(account, device, &[Kind::PinSession]);
                        self.issued(session, Kind::PinSession, account, Some(device));
                    }
                    (PinStep::PinAuth(pin_auth), false) => {
                        self.issued(pin_auth, Kind::PinAuth, account, Some(device));
                    }
                    (step, _) => panic!("{what}: unexpected {step:?} (has PIN: {has_pin})"),
                }
            }
            Op::SetPin { token, device, pin } => {
                let index = self.model.pick(token, Kind::PinAuth, Some(device));
                let expected = self
                    .model
                    .find(index, Kind::PinAuth, now)
                    .map_err(|c| (c, None))
                    .and_then(|i| {
                        if self.model.tokens[i].device == Some(device) {
                            Ok(())
                        } else {
                            fail(ErrorCode::PinAuthTokenInvalid)
                        }
                    });
                let d = &self.devices[device];
                let request = SetPinRequest {
                    pin_auth_token: self.token(index),
                    device_id: d.id.clone(),
                    device_public_key: d.public_key.clone(),
                    pin_proof: proof(pin),
                    challenge: Token::new([0; 32]),
                    signature: Signature::new([0; 64]),
                };
                let request = self.h.signed(&self.devices[device], request);
                let actual = self.send(Request::SetPin(request));
                self.check(&what, &expected, &outcome(&actual));
                if let Ok(Reply::SetPin(session)) = actual {
                    self.assert_live(&[index], &what);
                    let i = index.unwrap();
                    let account = self.model.tokens[i].account;
                    self.model.tokens[i].status = Status::Used;
                    self.observe_new_pin(account, device, index);
                    self.model.register_pin(account, device, pin);
                    self.issued(&session, Kind::PinSession, account, Some(device));
                }
            }
            Op::Unlock { token, device, pin } => {
                let index = self.model.pick(token, Kind::PinSession, Some(device));
                let expected = self
                    .model
                    .authorize_pin(now, Kind::PinSession, index, device, pin);
                let request = LoginWithPinRequest {
                    session_token: self.token(index),
                    device_id: self.devices[device].id.clone(),
                    pin_proof: proof(pin),
                    challenge: Token::new([0; 32]),
                    signature: Signature::new([0; 64]),
                };
                let request = self.h.signed(&self.devices[device], request);
                let actual = self.send(Request::LoginWithPin(request));
                self.after_pin_check(&what, index, device, &expected, &outcome(&actual));
                if let Ok(Reply::LoginWithPin(access)) = actual {
                    let account = expected.unwrap();
                    self.issued(&access, Kind::Access, account, Some(device));
                }
            }
            Op::Reauthenticate { token, device, pin } => {
                let index = self.model.pick(token, Kind::Access, Some(device));
                let expected = self
                    .model
                    .authorize_pin(now, Kind::Access, index, device, pin);
                let request = ReauthenticateRequest {
                    access_token: self.token(index),
                    device_id: self.devices[device].id.clone(),
                    pin_proof: proof(pin),
                    challenge: Token::new([0; 32]),
                    signature: Signature::new([0; 64]),
                };
                let request = self.h.signed(&self.devices[device], request);
                let actual = self.send(Request::Reauthenticate(request));
                self.after_pin_check(&what, index, device, &expected, &outcome(&actual));
                if let Ok(Reply::Reauthenticate(reauth)) = actual {
                    let account = expected.unwrap();
                    self.issued(&reauth, Kind::Reauth, account, Some(device));
                }
            }
            Op::ChangePin {
                token,
                device,
                old,
                new,
            } => {
                let index = self.model.pick(token, Kind::Access, Some(device));
                let checked = self
                    .model
                    .authorize_pin(now, Kind::Access, index, device, old);
                let request = ChangePinRequest {
                    access_token: self.token(index),
                    device_id: self.devices[device].id.clone(),
                    old_proof: proof(old),
                    new_proof: proof(new),
                    challenge: Token::new([0; 32]),
                    signature: Signature::new([0; 64]),
                };
                let request = self.h.signed(&self.devices[device], request);
                let actual = outcome(&self.send(Request::ChangePin(request)));
                // A new PIN equal to the old one is refused after the PIN check passed.
                let pin_answer = match actual {
                    Err((ErrorCode::InvalidInput, None)) if old == new => Ok(()),
                    other => other,
                };
                self.after_pin_check(&what, index, device, &checked, &pin_answer);
                let expected = match checked {
                    Ok(_) if old == new => fail(ErrorCode::InvalidInput),
                    Ok(_) => Ok(()),
                    Err(e) => Err(e),
                };
                self.check(&what, &expected, &actual);
                if actual.is_ok() {
                    let account = checked.unwrap();
                    self.model.accounts[account].devices[device].pin = Some(new);
                    self.model.revoke(account, device, &[Kind::Reauth]);
                }
            }
            Op::ValidateReauth { token } => {
                let index = self.model.pick(token, Kind::Reauth, None);
                let expected = self
                    .model
                    .find(index, Kind::Reauth, now)
                    .map(|_| ())
                    .map_err(|c| (c, None));
                let actual = self.send(Request::ValidateReauth(ValidateReauthRequest {
                    reauth_token: self.token(index),
                }));
                self.check(&what, &expected, &outcome(&actual));
                if let Ok(Reply::ValidateReauth(who)) = actual {
                    self.assert_live(&[index], &what);
                    let t = &mut self.model.tokens[index.unwrap()];
                    assert_eq!(who.user_id, self.user_ids[t.account]);
                    assert_eq!(Some(&who.device_id), t.device.map(|d| &self.devices[d].id));
                    t.status = Status::Used;
                }
            }
            Op::ForgotPin { account } => {
                let actual = self.send(Request::ForgotPin(ForgotPinRequest {
                    email: EMAILS[account].into(),
                }));
                self.check(&what, &Ok(()), &outcome(&actual));
                for t in &mut self.model.tokens {
                    if t.account == account && t.kind == Kind::Reset && t.status == Status::Live {
                        t.status = Status::Revoked;
                    }
                }
                let message = self.h.backend.outbox().last().unwrap().clone();
                assert_eq!(message.to, EMAILS[account]);
                let token = IssuedToken {
                    token: message.reset_token,
                    expires_at: message.expires_at,
                    expires_in: message.expires_at.saturating_sub(message.sent_at),
                };
                self.issued(&token, Kind::Reset, account, None);
            }
            Op::ResetPin { token, device, pin } => {
                let index = self.model.pick(token, Kind::Reset, None);
                let expected = self
                    .model
                    .find(index, Kind::Reset, now)
                    .map(|_| ())
                    .map_err(|c| (c, None));
                let d = &self.devices[device];
                let request = ResetPinRequest {
                    reset_token: self.token(index),
                    device_id: d.id.clone(),
                    device_public_key: d.public_key.clone(),
                    new_proof: proof(pin),
                    challenge: Token::new([0; 32]),
                    signature: Signature::new([0; 64]),
                };
                let request = self.h.signed(&self.devices[device], request);
                let actual = self.send(Request::ResetPin(request));
                self.check(&what, &expected, &outcome(&actual));
                if let Ok(Reply::ResetPin(reply)) = actual {
                    self.assert_live(&[index], &what);
                    let i = index.unwrap();
                    let account = self.model.tokens[i].account;
                    assert_eq!(reply.email, EMAILS[account]);
                    self.model.tokens[i].status = Status::Used;
                    self.observe_new_pin(account, device, index);
                    self.model.register_pin(account, device, pin);
                    self.issued(&reply.pin_session, Kind::PinSession, account, Some(device));
                    self.model.revoke(account, device, &[Kind::Access]);
                }
            }
            Op::Logout {
                session,
                access,
                pin_auth,
            } => {
                let session = session.map(|p| self.model.pick(p, Kind::PinSession, None));
                let access = access.map(|p| self.model.pick(p, Kind::Access, None));
                let pin_auth = pin_auth.map(|p| self.model.pick(p, Kind::PinAuth, None));
                let actual = self.send(Request::Logout(LogoutRequest {
                    session_token: session.map(|i| self.token(i)),
                    access_token: access.map(|i| self.token(i)),
                    pin_auth_token: pin_auth.map(|i| self.token(i)),
                }));
                self.check(&what, &Ok(()), &outcome(&actual));
                if let Some(Some(i)) = session {
                    if self.model.held(i, now) {
                        let t = self.model.tokens[i].clone();
                        self.model.tokens[i].status = Status::Revoked;
                        self.model
                            .revoke(t.account, t.device.unwrap(), &DEVICE_KINDS);
                    }
                }
                if let Some(Some(i)) = access {
                    if self.model.held(i, now) {
                        let t = self.model.tokens[i].clone();
                        self.model.tokens[i].status = Status::Revoked;
                        self.model.revoke(
                            t.account,
                            t.device.unwrap(),
                            &[Kind::PinAuth, Kind::Reauth],
                        );
                    }
                }
                if let Some(Some(i)) = pin_auth {
                    if self.model.held(i, now) {
                        self.model.tokens[i].status = Status::Revoked;
                    }
                }
            }
            Op::ListDevices { token } => {
                let index = self.model.pick(token, Kind::Access, None);
                let expected = self
                    .model
                    .find(index, Kind::Access, now)
                    .map(|_| ())
                    .map_err(|c| (c, None));
                let actual = self.send(Request::ListDevices(ListDevicesRequest {
                    access_token: self.token(index),
                }));
                self.check(&what, &expected, &outcome(&actual));
                if let Ok(Reply::ListDevices(list)) = actual {
                    self.assert_live(&[index], &what);
                    let account = self.model.tokens[index.unwrap()].account;
                    let mut listed: Vec<(DeviceId, bool)> = list
                        .devices
                        .iter()
                        .map(|d| (d.device_id.clone(), d.has_pin))
                        .collect();
                    listed.sort();
                    let model: Vec<(DeviceId, bool)> = self.model.accounts[account]
                        .devices
                        .iter()
                        .zip(&self.devices)
                        .filter(|(m, _)| m.registered)
                        .map(|(m, d)| (d.id.clone(), m.pin.is_some()))
                        .collect();
                    assert_eq!(listed, model, "{what}: the device list");
                }
            }
            Op::RevokeDevice { token, target } => {
                let index = self.model.pick(token, Kind::Access, None);
                let expected = self
                    .model
                    .find(index, Kind::Access, now)
                    .map_err(|c| (c, None))
                    .and_then(|i| {
                        let account = self.model.tokens[i].account;
                        if self.model.accounts[account].devices[target].registered {
                            Ok(())
                        } else {
                            fail(ErrorCode::UnknownDevice)
                        }
                    });
                let actual = self.send(Request::RevokeDevice(RevokeDeviceRequest {
                    access_token: self.token(index),
                    device_id: self.devices[target].id.clone(),
                }));
                self.check(&what, &expected, &outcome(&actual));
                if actual.is_ok() {
                    self.assert_live(&[index], &what);
                    let account = self.model.tokens[index.unwrap()].account;
                    self.model.accounts[account].devices[target] = ModelDevice::default();
                    self.model.revoke(account, target, &DEVICE_KINDS);
                    // A removed device starts over: its lockout is over too, but only a
                    // password login and a new PIN bring it back.
                    self.seen.wrong_in_a_row[account][target] = 0;
                }
            }
            Op::Advance { secs } => self.h.advance_secs(secs),
            Op::Enrol { .. }
            | Op::StepUp { .. }
            | Op::WrongPins { .. }
            | Op::WrongPasswords { .. } => {
                unreachable!("{what} is run as its single calls")
            }
            Op::Replay => {
                if let Some((json, first)) = self.last_signed.clone() {
                    // Every request first drops what has expired; a request that touches
                    // nothing (a logout without tokens) does that before the comparison.
                    self.h.backend.handle_json("{\"endpoint\":\"logout\"}");
                    let before = self.h.backend.snapshot();
                    let response = self.h.backend.handle_json(&json);
                    // Whatever it is refused with, a replay changes nothing on the server.
                    assert_eq!(
                        self.h.backend.snapshot(),
                        before,
                        "a replay changed the state: {json}"
                    );
                    let actual: pinauth::Result<Reply> =
                        serde_json::from_str::<Response>(&response).unwrap().into();
                    // Refused before its PIN is checked (so it counts no attempt): by its
                    // challenge, used up by the first sending whatever its outcome, or
                    // before the challenge is looked at, by its token (used up, revoked by
                    // the first sending, a lockout say, or expired since) or for the reason
                    // the first sending was refused itself.
                    let replayed = outcome(&actual);
                    let refused_early = match &replayed {
                        Ok(()) => false,
                        Err((code, _)) => {
                            replayed == first
                                || matches!(
                                    code,
                                    ErrorCode::ChallengeInvalid
                                        | ErrorCode::SessionInvalid
                                        | ErrorCode::SessionExpired
                                        | ErrorCode::TokenExpired
                                        | ErrorCode::AccessTokenInvalid
                                        | ErrorCode::PinAuthTokenInvalid
                                        | ErrorCode::ResetTokenInvalid
                                )
                        }
                    };
                    assert!(
                        refused_early,
                        "a replay was not refused: {json} ({replayed:?}, first {first:?})"
                    );
                }
            }
        }
    }

    /// Compares a PIN-checking call with the model and feeds the observed invariants.
    fn after_pin_check(
        &mut self,
        what: &str,
        index: Option<usize>,
        device: usize,
        expected: &Result<usize, (ErrorCode, Option<u32>)>,
        actual: &Outcome,
    ) {
        self.check(what, &expected.map(|_| ()), actual);
        if actual.is_ok() {
            self.assert_live(&[index], what);
        }
        // Only an answer from the PIN check itself says anything about the PIN.
        let judged = matches!(
            actual,
            Ok(()) | Err((ErrorCode::InvalidPin | ErrorCode::DeviceLocked, _))
        );
        if let (true, Some(i)) = (judged, index) {
            let account = self.model.tokens[i].account;
            self.observe_pin_answer(account, device, actual, what);
        }
    }

    /// Invariant 5: snapshot → restore → snapshot is the same JSON; carry on restored.
    fn round_trip(&mut self) {
        let snapshot = self.h.backend.snapshot();
        let restored = Backend::restore(
            &snapshot,
            self.model.config.clone(),
            Box::new(self.h.clock.clone()),
            Box::new(SeededRng::new(1_000 + self.step as u64)),
        )
        .unwrap();
        assert_eq!(
            restored.snapshot(),
            snapshot,
            "step {}: the snapshot did not round-trip",
            self.step
        );
        self.h.backend = restored;
    }
}

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 64;
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_call_sequences_keep_every_invariant(ops in prop::collection::vec(op(), 1..48)) {
        let mut run = Run::new();
        for op in ops.iter().flat_map(Op::calls) {
            run.step += 1;
            let op = &op;
            run.apply(op);
            run.round_trip();
        }
    }
}

#[test]
fn the_model_agrees_with_the_backend_on_a_known_story() {
    // A fixed sequence through every invariant, so a model mistake shows without
    // shrinking: enrol, five wrong PINs, a refused unlock, a password login and a new PIN.
    let mut run = Run::new();
    let ops = [
        Op::Login {
            account: 0,
            device: 0,
            right_password: true,
        },
        Op::SetPin {
            token: Pick::Own,
            device: 0,
            pin: 1,
        },
        Op::Unlock {
            token: Pick::Own,
            device: 0,
            pin: 1,
        },
        Op::Replay,
        Op::Unlock {
            token: Pick::Own,
            device: 0,
            pin: 2,
        },
        Op::Unlock {
            token: Pick::Own,
            device: 0,
            pin: 2,
        },
        Op::Unlock {
            token: Pick::Own,
            device: 0,
            pin: 2,
        },
        Op::Unlock {
            token: Pick::Own,
            device: 0,
            pin: 2,
        },
        Op::Unlock {
            token: Pick::Own,
            device: 0,
            pin: 2,
        },
        Op::Unlock {
            token: Pick::Own,
            device: 0,
            pin: 1,
        },
        Op::Reauthenticate {
            token: Pick::Own,
            device: 0,
            pin: 1,
        },
        Op::Login {
            account: 0,
            device: 0,
            right_password: true,
        },
        Op::Reauthenticate {
            token: Pick::Own,
            device: 0,
            pin: 1,
        },
        Op::SetPin {
            token: Pick::Own,
            device: 0,
            pin: 3,
        },
        Op::Unlock {
            token: Pick::Own,
            device: 0,
            pin: 3,
        },
        Op::Advance { secs: 7 * 86_400 },
        Op::Unlock {
            token: Pick::Own,
            device: 0,
            pin: 3,
        },
    ];
    for op in &ops {
        run.step += 1;
        run.apply(op);
        run.round_trip();
    }
    let seen = &run.seen;
    assert_eq!(seen.locked_at[0][0], None, "unlocked by the new PIN");
    assert!(run
        .model
        .tokens
        .iter()
        .any(|t| t.kind == Kind::PinSession && t.status == Status::Revoked));
}
