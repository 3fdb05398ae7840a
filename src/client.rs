//! The client: every PIN flow and the auth state machine, generic over the platform seams.
//!
//! States: `signedOut` → password login → `pinSetupRequired` → set PIN → `signedIn`;
//! `signedIn` → access token expires or page reloads → `pinRequired` → PIN → `signedIn`;
//! `pinRequired` → session expires, lockout, logout or device revoked → `signedOut`.
//!
//! The state is derived from the tokens held and the clock, re-checked on every call (and
//! by [`Client::refresh`], which a browser timer and `storage` events call). Every method
//! takes `&self` and holds no borrow across an `await`, and the flows take turns, so
//! overlapping calls from JavaScript run one after the other and never collide. A logout
//! signs out here at once, without waiting for its turn; the flows called before it keep
//! no token (see [`Client::send`]), and those called after it wait for its request.

use crate::crypto::pin_proof;
use crate::device;
use crate::error::{Error, ErrorCode, Result, Warning};
use crate::pin::{Pin, PinPolicy};
use crate::platform::{
    lowercase, Clock, DeviceKeys, KeyValueStore, LoadedIdentity, Rng, StoredIdentity, Transport,
};
use crate::protocol::{
    ChallengeRequest, ChangePinRequest, DeviceId, ForgotPinRequest, IssuedToken, LoginRequest,
    LoginWithPinRequest, LogoutRequest, PinProof, PinStep, ReauthenticateRequest, RegisterRequest,
    Reply, Request, ResetPinRequest, ResetPinResponse, RevokeDeviceRequest, SecretString,
    SetPinRequest, Signature, SignedRequest, Token,
};
use crate::tokens::{SavedToken, Slot, TokenStore};
use alloc::rc::Rc;
use alloc::{borrow::ToOwned, boxed::Box, string::String, vec::Vec};
use core::cell::{Cell, RefCell};
use core::future::Future;
use core::task::{Poll, Waker};
use core::time::Duration;

/// Where the user is in the sign-in flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthState {
    /// No usable session: sign in with email and password.
    SignedOut,
    /// Signed in with a password on a device without a PIN: set one.
    PinSetupRequired,
    /// This device has a PIN session but no access token: enter the PIN.
    PinRequired,
    /// Signed in: an access token is available.
    SignedIn,
}

impl AuthState {
    /// The camelCase name used in JavaScript.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthState::SignedOut => "signedOut",
            AuthState::PinSetupRequired => "pinSetupRequired",
            AuthState::PinRequired => "pinRequired",
            AuthState::SignedIn => "signedIn",
        }
    }
}

/// The signed-in account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The account's stable id.
    pub user_id: String,
    /// The account's email.
    pub email: String,
}

/// Settings of a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// Names this application's device identity and storage keys: letters, digits, `.`,
    /// `_` and `-`, at most 64. Two app ids on one browser are two devices.
    pub app_id: String,
    /// The PIN rules for new PINs.
    pub pin_policy: PinPolicy,
    /// Access tokens are dropped this long before they expire (at most a quarter of their
    /// lifetime), so a request never carries one that expires on the way.
    pub access_token_leeway: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            app_id: "default".to_owned(),
            pin_policy: PinPolicy::default(),
            access_token_leeway: Duration::from_secs(30),
        }
    }
}

/// The outside world a client runs in.
pub struct Platform<K, T> {
    /// Wall-clock time.
    pub clock: Rc<dyn Clock>,
    /// Secure randomness.
    pub rng: Rc<dyn Rng>,
    /// The device key implementation.
    pub keys: K,
    /// The way to the backend.
    pub transport: T,
    /// Where the PIN session token is kept (the chosen storage).
    pub session_store: Box<dyn KeyValueStore>,
    /// Where the access token is kept (memory unless chosen otherwise).
    pub access_store: Box<dyn KeyValueStore>,
}

/// Identifies a listener for [`Client::unsubscribe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenerId(u64);

/// A subscribed callback and its id.
type Entry<E> = (u64, Rc<dyn Fn(&E)>);

/// Subscribers to one kind of event.
struct Listeners<E: ?Sized> {
    entries: RefCell<Vec<Entry<E>>>,
}

impl<E: ?Sized> Default for Listeners<E> {
    fn default() -> Self {
        Listeners {
            entries: RefCell::new(Vec::new()),
        }
    }
}

impl<E: ?Sized> Listeners<E> {
    /// Calls every listener. The list is copied first, so a listener may subscribe,
    /// unsubscribe or call back into the client.
    fn emit(&self, event: &E) {
        let listeners: Vec<_> = self
            .entries
            .borrow()
            .iter()
            .map(|(_, f)| f.clone())
            .collect();
        for listener in listeners {
            listener(event);
        }
    }

    fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }
}

/// Lets the client's flows run one at a time, in call order: a call made while another is
/// running (a double click) waits for it instead of interleaving its requests with it.
/// Each call takes a numbered ticket when it starts and runs when that number is served.
/// It also counts the logouts, so that a flow can tell whether one was called after it was.
#[derive(Default)]
struct Turns {
    /// The next ticket to hand out.
    issued: Cell<u64>,
    /// The ticket whose turn it is.
    serving: Cell<u64>,
    /// Tickets whose flow was dropped before its turn (skipped when reached).
    abandoned: RefCell<Vec<u64>>,
    /// The calls waiting for their turn, woken at each turn's end.
    waiting: RefCell<Vec<Waker>>,
    /// Logouts called so far.
    logouts: Cell<u64>,
    /// `logouts` when the running flow was called.
    logouts_before_running: Cell<u64>,
}

/// The running flow's turn; the next waiting flow goes when it is dropped.
struct Turn<'a>(&'a Turns);

/// A place in the line; given up if its flow is dropped before its turn.
struct Ticket<'a> {
    turns: &'a Turns,
    number: u64,
    served: bool,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.served {
            if self.turns.serving.get() == self.number {
                self.turns.advance();
            } else {
                self.turns.abandoned.borrow_mut().push(self.number);
            }
        }
    }
}

impl Turns {
    /// Waits until every flow called before this one has run, then holds the turn (in
    /// call order: a flow woken but not yet polled keeps its place). Called first thing
    /// in every flow, so the logouts counted here are those called before the flow was.
    async fn take(&self) -> Turn<'_> {
        let logouts = self.logouts.get();
        let number = self.issued.get();
        self.issued.set(number.wrapping_add(1));
        let mut ticket = Ticket {
            turns: self,
            number,
            served: false,
        };
        core::future::poll_fn(|context| {
            if self.serving.get() == number {
                Poll::Ready(())
            } else {
                let mut waiting = self.waiting.borrow_mut();
                // Once per task, however often it is polled meanwhile.
                if !waiting.iter().any(|w| w.will_wake(context.waker())) {
                    waiting.push(context.waker().clone());
                }
                Poll::Pending
            }
        })
        .await;
        ticket.served = true;
        self.logouts_before_running.set(logouts);
        Turn(self)
    }

    /// Passes the turn to the next ticket still wanted, and wakes the waiters.
    fn advance(&self) {
        let mut next = self.serving.get().wrapping_add(1);
        {
            let mut abandoned = self.abandoned.borrow_mut();
            while let Some(at) = abandoned.iter().position(|&n| n == next) {
                abandoned.swap_remove(at);
                next = next.wrapping_add(1);
            }
        }
        self.serving.set(next);
        for waker in self.waiting.take() {
            waker.wake();
        }
    }

    /// Whether a logout was called after the running flow was.
    fn overtaken_by_logout(&self) -> bool {
        self.logouts.get() != self.logouts_before_running.get()
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.advance();
    }
}

/// Counts itself in a counter while it lives.
struct Counted<'a>(&'a Cell<u32>);

impl<'a> Counted<'a> {
    fn new(counter: &'a Cell<u32>) -> Self {
        counter.set(counter.get().saturating_add(1));
        Counted(counter)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

/// Which token a failed request was spending.
#[derive(PartialEq, Eq)]
enum Spent {
    PinAuth,
    Session(Token),
    Access(Token),
    Nothing,
}

impl Spent {
    /// The stored slot and token a request spent, if it spent a stored one.
    fn stored(&self) -> Option<(Slot, &Token)> {
        match self {
            Spent::Session(token) => Some((Slot::PinSession, token)),
            Spent::Access(token) => Some((Slot::Access, token)),
            Spent::PinAuth | Spent::Nothing => None,
        }
    }
}

/// What the client holds besides storage.
struct Held<K> {
    identity: StoredIdentity<K>,
    session: Option<SavedToken>,
    access: Option<SavedToken>,
    /// Never stored: only for the `setPin` that follows a password login.
    pin_auth: Option<SavedToken>,
    /// The state last announced to listeners.
    announced: AuthState,
}

impl<K> Held<K> {
    /// The token held for a stored slot.
    fn slot(&mut self, slot: Slot) -> &mut Option<SavedToken> {
        match slot {
            Slot::PinSession => &mut self.session,
            Slot::Access => &mut self.access,
        }
    }
}

/// A PIN sign-in client for one application on one device.
pub struct Client<K: DeviceKeys, T: Transport> {
    config: ClientConfig,
    clock: Rc<dyn Clock>,
    rng: Rc<dyn Rng>,
    keys: K,
    transport: T,
    tokens: TokenStore,
    held: RefCell<Held<K::Key>>,
    state_listeners: Listeners<AuthState>,
    warning_listeners: Listeners<Warning>,
    /// Warnings raised while nobody listened, each once, delivered to the next listener.
    early_warnings: RefCell<Vec<Warning>>,
    next_listener: Cell<u64>,
    turns: Turns,
    /// `forgetDevice` calls whose revocation has yet to be answered.
    forgets_waiting: Cell<u32>,
    /// The access token a logout dropped while signed in with a `forgetDevice` waiting,
    /// until that logout's turn: the `forgetDevice` revokes the device with it.
    access_at_logout: RefCell<Option<SavedToken>>,
    /// Whether `refresh` is running (page code its storage calls reach may ask again).
    refreshing: Cell<bool>,
    /// Whether `STORAGE_FALLBACK` was reported (once a page, whichever slot failed).
    fallback_reported: Cell<bool>,
    /// Another device's PIN session seen in the shared storage (another tab replaced the
    /// identity, by `forgetDevice`), not yet looked up; and the last one looked up.
    identity_change: RefCell<(Option<DeviceId>, Option<DeviceId>)>,
}

impl<K: DeviceKeys, T: Transport> core::fmt::Debug for Client<K, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("state", &self.held.try_borrow().map(|h| h.announced).ok())
            .finish_non_exhaustive()
    }
}

/// The error of a flow a logout called after it overtook.
fn signed_out_meanwhile() -> Error {
    Error::with_message(
        ErrorCode::NotSignedIn,
        "Signed out while this call was running: it went no further and kept nothing.",
    )
}

/// Checks an application id: 1–64 of `A–Z a–z 0–9 . _ -`.
fn check_app_id(app_id: &str) -> Result<()> {
    let valid = (1..=64).contains(&app_id.len())
        && app_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "appId must be 1 to 64 letters, digits, '.', '_' or '-'",
        ))
    }
}

/// The logout of the tokens `reply` issued to keep (a login's access token and PIN
/// session or PIN auth token, a PIN session, an access token); `None` for a reply that
/// issued none (a challenge, or a re-auth token, which its access token's logout ends).
fn issued_tokens(reply: &Reply) -> Option<LogoutRequest> {
    let token = |issued: &IssuedToken| Some(issued.token.clone());
    let (session_token, access_token, pin_auth_token) = match reply {
        Reply::Login(login) => match &login.pin {
            PinStep::PinSession(session) => (token(session), token(&login.access), None),
            PinStep::PinAuth(pin_auth) => (None, token(&login.access), token(pin_auth)),
        },
        Reply::SetPin(session)
        | Reply::ResetPin(ResetPinResponse {
            pin_session: session,
            ..
        }) => (token(session), None, None),
        Reply::LoginWithPin(access) => (None, token(access), None),
        _ => return None,
    };
    Some(LogoutRequest {
        session_token,
        access_token,
        pin_auth_token,
    })
}

/// The reset token in the text from the email: a mistyped or cut-off one is as invalid as
/// a used one, `RESET_TOKEN_INVALID`.
#[inline(never)]
fn parse_reset_token(text: &str) -> Result<Token> {
    Token::from_base64url(text.trim()).map_err(|_| Error::new(ErrorCode::ResetTokenInvalid))
}

impl<K: DeviceKeys, T: Transport> Client<K, T> {
    /// A client for `config.app_id`: loads this device's identity (or creates one) and any
    /// stored session. Old, corrupt or foreign stored data never makes this fail: it is
    /// discarded and reported as a warning. Fails only for an invalid configuration or
    /// when no device key can be made at all.
    pub async fn create(config: ClientConfig, platform: Platform<K, T>) -> Result<Self> {
        check_app_id(&config.app_id)?;
        let loaded =
            device::load_or_create(&platform.keys, platform.rng.as_ref(), &config.app_id).await?;
        let tokens = TokenStore::new(
            &config.app_id,
            platform.session_store,
            platform.access_store,
        );
        let mut warnings = loaded.warnings;
        if warnings.contains(&Warning::DEVICE_NOT_PERSISTED) {
            // An identity for this page only: its tokens stay in memory with it, and the
            // storage (which may hold another tab's session) is not touched.
            if let Err(warning) = tokens.keep_in_memory() {
                warnings.push(warning);
            }
        }
        let mut load = |slot| {
            tokens
                .load(slot, &loaded.identity.device_id)
                .unwrap_or_else(|warning| {
                    warnings.push(warning);
                    None
                })
        };
        let session = load(Slot::PinSession);
        let access = load(Slot::Access);
        let client = Client {
            config,
            clock: platform.clock,
            rng: platform.rng,
            keys: platform.keys,
            transport: platform.transport,
            tokens,
            held: RefCell::new(Held {
                identity: loaded.identity,
                session,
                access,
                pin_auth: None,
                announced: AuthState::SignedOut,
            }),
            state_listeners: Listeners::default(),
            warning_listeners: Listeners::default(),
            early_warnings: RefCell::new(Vec::new()),
            next_listener: Cell::new(0),
            turns: Turns::default(),
            forgets_waiting: Cell::new(0),
            access_at_logout: RefCell::new(None),
            refreshing: Cell::new(false),
            fallback_reported: Cell::new(false),
            identity_change: RefCell::new((None, None)),
        };
        for warning in warnings {
            client.warn(warning);
        }
        client.refresh();
        Ok(client)
    }

    // ---- state and events ----

    /// The current state, after re-checking expiry and shared storage.
    pub fn state(&self) -> AuthState {
        self.refresh()
    }

    /// The account, unless signed out.
    pub fn user(&self) -> Option<User> {
        if self.refresh() == AuthState::SignedOut {
            return None;
        }
        let held = self.held.borrow();
        let token = [&held.access, &held.session, &held.pin_auth]
            .into_iter()
            .flatten()
            .next()?;
        Some(User {
            user_id: token.user_id.clone(),
            email: token.email.clone(),
        })
    }

    /// This device's id.
    pub fn device_id(&self) -> DeviceId {
        self.held.borrow().identity.device_id.clone()
    }

    /// The PIN rules new PINs must meet.
    pub fn pin_policy(&self) -> PinPolicy {
        self.config.pin_policy
    }

    /// Checks a new PIN against the policy without any network call.
    pub fn check_pin(&self, pin: &str) -> Result<Pin> {
        self.config.pin_policy.check(pin)
    }

    /// Calls `listener` with every new state.
    pub fn on_state_change(&self, listener: impl Fn(&AuthState) + 'static) -> ListenerId {
        self.subscribe(&self.state_listeners, Rc::new(listener))
    }

    /// Calls `listener` with every warning; warnings raised while nobody listened (while
    /// creating the client, say) are delivered to it at once, each once.
    pub fn on_warning(&self, listener: impl Fn(&Warning) + 'static) -> ListenerId {
        let listener: Rc<dyn Fn(&Warning)> = Rc::new(listener);
        let id = self.subscribe(&self.warning_listeners, listener.clone());
        let early = self.early_warnings.take();
        for warning in &early {
            listener(warning);
        }
        id
    }

    /// Removes a listener; unknown ids are ignored.
    pub fn unsubscribe(&self, id: ListenerId) {
        self.state_listeners
            .entries
            .borrow_mut()
            .retain(|(n, _)| *n != id.0);
        self.warning_listeners
            .entries
            .borrow_mut()
            .retain(|(n, _)| *n != id.0);
    }

    fn subscribe<E: ?Sized>(
        &self,
        listeners: &Listeners<E>,
        listener: Rc<dyn Fn(&E)>,
    ) -> ListenerId {
        let id = self.next_listener.get();
        self.next_listener.set(id.wrapping_add(1));
        listeners.entries.borrow_mut().push((id, listener));
        ListenerId(id)
    }

    fn warn(&self, warning: Warning) {
        if warning == Warning::STORAGE_FALLBACK && self.fallback_reported.replace(true) {
            return;
        }
        if self.warning_listeners.is_empty() {
            // Kept once each: a page that never listens does not collect them without end.
            let mut early = self.early_warnings.borrow_mut();
            if !early.contains(&warning) {
                early.push(warning);
            }
        } else {
            self.warning_listeners.emit(&warning);
        }
    }

    /// Re-reads the shared PIN session (another tab may have signed in or out), drops
    /// expired tokens, and announces the state if it changed. Cheap: call it from timers
    /// and `storage` events.
    pub fn refresh(&self) -> AuthState {
        // Asked again from inside (page code that a storage call reaches): the state as
        // last announced, without another round of storage calls.
        if self.refreshing.replace(true) {
            return self
                .held
                .try_borrow()
                .map_or(AuthState::SignedOut, |h| h.announced);
        }
        let state = self.refresh_now();
        self.refreshing.set(false);
        state
    }

    fn refresh_now(&self) -> AuthState {
        let now = self.clock.now_ms();
        let leeway = u64::try_from(self.config.access_token_leeway.as_millis()).unwrap_or(u64::MAX);
        // The storage is called with the client's state released: page code it reaches (a
        // wrapped `Storage` method) may read the client.
        let Ok(device_id) = self.held.try_borrow().map(|h| h.identity.device_id.clone()) else {
            return AuthState::SignedOut;
        };
        // Another device's session (another tab's identity) is absent for this one; seen
        // for the first time, it is noted for `take_identity_change`.
        let loaded = self
            .tokens
            .load_any(Slot::PinSession)
            .map(|saved| match saved {
                Some(other) if other.device_id != device_id => {
                    let mut change = self.identity_change.borrow_mut();
                    if change.1.as_ref() != Some(&other.device_id) {
                        change.0 = Some(other.device_id.clone());
                    }
                    None
                }
                mine => mine,
            });
        let (state, changed, warning, keep_session, clear_access, clear_session) = {
            let Ok(mut held) = self.held.try_borrow_mut() else {
                return AuthState::SignedOut;
            };
            let (stored, warning, keep_session) = match loaded {
                Ok(stored) => (stored, None, None),
                // The storage failed (it is not a logout elsewhere): the session this
                // page holds stays, in memory from now on.
                Err(warning) if warning == Warning::STORAGE_FALLBACK => {
                    (held.session.clone(), Some(warning), held.session.clone())
                }
                Err(warning) => (None, Some(warning), None),
            };
            let mut clear_access = false;
            if stored.is_none() && held.session.is_some() {
                // Logged out elsewhere (or the storage was cleared): this tab follows.
                held.access = None;
                clear_access = true;
            }
            held.session = stored;
            // One account per device: tokens this client holds for another account than
            // the device's PIN session (another tab signed in as someone else, or stored
            // before a reload) are not used with it.
            let Held {
                session,
                access,
                pin_auth,
                ..
            } = &mut *held;
            // A page clock set back past a token's request (a fast clock set right): its
            // lifetime counts from now, never longer than the server gave it.
            for token in [&mut *session, &mut *access, &mut *pin_auth]
                .into_iter()
                .flatten()
            {
                token.not_after(now);
            }
            if let Some(session) = session {
                let other = |t: &SavedToken| t.user_id != session.user_id;
                if access.as_ref().is_some_and(other) {
                    *access = None;
                    clear_access = true;
                }
                if pin_auth.as_ref().is_some_and(other) {
                    *pin_auth = None;
                }
            }
            if held
                .access
                .as_ref()
                .is_some_and(|t| !t.is_live(now, leeway))
            {
                held.access = None;
                clear_access = true;
            }
            let clear_session = held.session.as_ref().is_some_and(|t| now >= t.expires_at);
            if clear_session {
                held.session = None;
            }
            if held.pin_auth.as_ref().is_some_and(|t| now >= t.expires_at) {
                held.pin_auth = None;
            }
            let state = match (&held.access, &held.session, &held.pin_auth) {
                (Some(_), Some(_), _) => AuthState::SignedIn,
                // The PIN auth token alone: a PIN can be set while it lives, whatever
                // the access token's lifetime.
                (_, None, Some(_)) => AuthState::PinSetupRequired,
                (None, Some(_), _) => AuthState::PinRequired,
                _ => AuthState::SignedOut,
            };
            if state == AuthState::SignedOut {
                held.access = None;
                held.pin_auth = None;
                clear_access = true;
            }
            let changed = held.announced != state;
            held.announced = state;
            (
                state,
                changed,
                warning,
                keep_session,
                clear_access,
                clear_session,
            )
        };
        if let Some(session) = keep_session {
            let _ = self.tokens.save(Slot::PinSession, &session);
        }
        if clear_access {
            self.tokens.clear(Slot::Access, &device_id);
        }
        if clear_session {
            self.tokens.clear(Slot::PinSession, &device_id);
        }
        if let Some(warning) = warning {
            self.warn(warning);
        }
        if changed {
            self.state_listeners.emit(&state);
        }
        state
    }

    // ---- helpers ----

    fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    fn save(&self, slot: Slot, token: SavedToken) {
        if let Err(warning) = self.tokens.save(slot, &token) {
            self.warn(warning);
        }
        *self.held.borrow_mut().slot(slot) = Some(token);
    }

    /// Runs storage calls with the client's state as last announced: page code they reach
    /// gets that state, not one re-read from a storage that still holds what is dropped.
    fn as_announced(&self, storage_calls: impl FnOnce()) {
        let refreshing = self.refreshing.replace(true);
        storage_calls();
        self.refreshing.set(refreshing);
    }

    /// Forgets every token of this client, locally.
    fn drop_tokens(&self) {
        let device_id = {
            let mut held = self.held.borrow_mut();
            held.session = None;
            held.access = None;
            held.pin_auth = None;
            held.identity.device_id.clone()
        };
        self.as_announced(|| {
            self.tokens.clear(Slot::PinSession, &device_id);
            self.tokens.clear(Slot::Access, &device_id);
        });
    }

    /// Forgets the tokens of `slots` (and, for the PIN session, the PIN auth token) that a
    /// refusal of the `spent` token ended, and removes them from the storage unless another
    /// tab has put newer ones there since. A refusal this client has moved on from (it
    /// follows a newer sign-in another tab made while the request was out) ends nothing.
    fn drop_refused(&self, spent: &Spent, slots: &[Slot]) {
        let refused: Vec<(Slot, SavedToken)> = {
            let mut held = self.held.borrow_mut();
            let stale = spent.stored().is_some_and(|(slot, sent)| {
                held.slot(slot).as_ref().is_none_or(|t| t.token != *sent)
            });
            if stale {
                return;
            }
            if slots.contains(&Slot::PinSession) {
                held.pin_auth = None;
            }
            slots
                .iter()
                .filter_map(|&slot| held.slot(slot).take().map(|token| (slot, token)))
                .collect()
        };
        self.as_announced(|| {
            for (slot, token) in &refused {
                self.tokens.clear_refused(*slot, &token.token);
            }
        });
    }

    /// Applies what a backend error says about the tokens used, then refreshes the state.
    fn absorb(&self, error: &Error, spent: &Spent) {
        match error.code() {
            ErrorCode::SessionInvalid
            | ErrorCode::SessionExpired
            | ErrorCode::DeviceLocked
            | ErrorCode::UnknownDevice => {
                self.drop_refused(spent, &[Slot::PinSession, Slot::Access])
            }
            ErrorCode::AccessTokenInvalid => self.drop_refused(spent, &[Slot::Access]),
            ErrorCode::PinAuthTokenInvalid => self.held.borrow_mut().pin_auth = None,
            ErrorCode::TokenExpired if matches!(spent, Spent::Access(_)) => {
                self.drop_refused(spent, &[Slot::Access])
            }
            ErrorCode::TokenExpired if *spent == Spent::PinAuth => {
                self.held.borrow_mut().pin_auth = None
            }
            _ => {}
        }
        self.refresh();
    }

    /// Sends a request; a backend error is absorbed into the state before it is returned.
    ///
    /// A flow called before a logout goes no further: its requests that sign in or use a
    /// sign-in (every one but a registration, a forgot-PIN mail, a logout and a device
    /// revocation) fail with `NOT_SIGNED_IN` before they are sent. A reply that comes
    /// after the logout is not kept: the tokens it issued are ended on the backend, and a
    /// sign-in or re-authentication it grants fails with `NOT_SIGNED_IN`; what the backend
    /// did and says otherwise (a PIN set, changed or reset, a wrong PIN) is reported as is.
    async fn send(&self, request: Request, spent: Spent) -> Result<Reply> {
        let signed_in = !matches!(
            request,
            Request::Register(_)
                | Request::ForgotPin(_)
                | Request::Logout(_)
                | Request::RevokeDevice(_)
        );
        if signed_in && self.turns.overtaken_by_logout() {
            return Err(signed_out_meanwhile());
        }
        let result = self.transport.send(request).await;
        match &result {
            Ok(reply) if self.turns.overtaken_by_logout() => {
                if let Some(issued) = issued_tokens(reply) {
                    let _ = self.transport.send(Request::Logout(issued)).await;
                }
                if matches!(
                    reply,
                    Reply::Login(_) | Reply::LoginWithPin(_) | Reply::Reauthenticate(_)
                ) {
                    return Err(signed_out_meanwhile());
                }
            }
            Ok(_) => {}
            Err(error) => {
                self.absorb(error, &spent);
                // The logout's request reached the backend first and ended the token
                // this one spent: the logout overtook it.
                let token_ended = matches!(
                    error.code(),
                    ErrorCode::SessionInvalid
                        | ErrorCode::SessionExpired
                        | ErrorCode::AccessTokenInvalid
                        | ErrorCode::PinAuthTokenInvalid
                        | ErrorCode::TokenExpired
                );
                if token_ended && spent != Spent::Nothing && self.turns.overtaken_by_logout() {
                    return Err(signed_out_meanwhile());
                }
            }
        }
        result
    }

    /// The token in a slot, if the current state allows its use.
    fn require(
        &self,
        wanted: &[AuthState],
        pick: fn(&Held<K::Key>) -> Option<&SavedToken>,
    ) -> Result<SavedToken> {
        let state = self.refresh();
        let held = self.held.borrow();
        match pick(&held) {
            Some(token) if wanted.contains(&state) => Ok(token.clone()),
            _ => Err(Error::new(ErrorCode::NotSignedIn)),
        }
    }

    fn proof(&self, pin: &Pin) -> Result<PinProof> {
        let salt = self.held.borrow().identity.salt.clone();
        pin_proof(pin, &salt)
    }

    /// Fetches a challenge, fills it into `request` and signs it with the device key.
    async fn sign<R: SignedRequest>(&self, mut request: R) -> Result<R> {
        let (device_id, key) = {
            let held = self.held.borrow();
            (held.identity.device_id.clone(), held.identity.key.clone())
        };
        let challenge = match self
            .send(
                Request::Challenge(ChallengeRequest { device_id }),
                Spent::Nothing,
            )
            .await?
        {
            Reply::Challenge(challenge) => challenge.token,
            _ => return Err(Error::unexpected_reply()),
        };
        request.set_challenge(challenge);
        let signature = self.keys.sign(&key, &request.signing_payload()).await?;
        request.set_signature(signature);
        Ok(request)
    }

    // ---- flows ----

    /// Creates an account. It does not sign in.
    pub async fn register(&self, email: &str, password: &str) -> Result<()> {
        let _turn = self.turns.take().await;
        let request = Request::Register(RegisterRequest {
            email: email.to_owned(),
            password: SecretString::new(password),
        });
        match self.send(request, Spent::Nothing).await? {
            Reply::Register(_) => Ok(()),
            _ => Err(Error::unexpected_reply()),
        }
    }

    /// Password sign-in on this device: `signedIn` when the device has a PIN, else
    /// `pinSetupRequired`.
    pub async fn login(&self, email: &str, password: &str) -> Result<AuthState> {
        let _turn = self.turns.take().await;
        let device_id = self.device_id();
        let request = Request::Login(LoginRequest {
            email: email.to_owned(),
            password: SecretString::new(password),
            device_id: device_id.clone(),
        });
        let sent = self.now();
        let Reply::Login(reply) = self.send(request, Spent::Nothing).await? else {
            return Err(Error::unexpected_reply());
        };
        let email = lowercase(email.trim());
        let saved = |issued| SavedToken::new(&device_id, &reply.user_id, &email, issued, sent);
        self.drop_tokens();
        self.save(Slot::Access, saved(reply.access.clone()));
        match reply.pin.clone() {
            PinStep::PinSession(session) => self.save(Slot::PinSession, saved(session)),
            PinStep::PinAuth(pin_auth) => self.held.borrow_mut().pin_auth = Some(saved(pin_auth)),
        }
        Ok(self.refresh())
    }

    /// Sets this device's PIN after a password login (`pinSetupRequired` → `signedIn`; or
    /// `pinRequired`, when that login's access token has ended and the unlock with the
    /// new PIN that follows could not complete).
    /// A PIN the policy refuses fails with `WEAK_PIN` or `INVALID_INPUT` before any
    /// network call.
    pub async fn set_pin(&self, pin: &str) -> Result<()> {
        let _turn = self.turns.take().await;
        let pin = self.config.pin_policy.check(pin)?;
        let pin_auth = self.require(&[AuthState::PinSetupRequired], |h| h.pin_auth.as_ref())?;
        let (device_id, public_key) = {
            let held = self.held.borrow();
            (
                held.identity.device_id.clone(),
                held.identity.public_key.clone(),
            )
        };
        let proof = self.proof(&pin)?;
        let request = SetPinRequest {
            pin_auth_token: pin_auth.token.clone(),
            device_id: device_id.clone(),
            device_public_key: public_key,
            pin_proof: proof.clone(),
            challenge: Token::new([0; 32]),
            signature: Signature::new([0; 64]),
        };
        let request = self.sign(request).await?;
        let sent = self.now();
        let Reply::SetPin(session) = self.send(Request::SetPin(request), Spent::PinAuth).await?
        else {
            return Err(Error::unexpected_reply());
        };
        if self.turns.overtaken_by_logout() {
            // The PIN is set; the session it brought was ended (`send`).
            return Ok(());
        }
        let session = SavedToken::new(
            &device_id,
            &pin_auth.user_id,
            &pin_auth.email,
            session,
            sent,
        );
        self.save(Slot::PinSession, session.clone());
        self.held.borrow_mut().pin_auth = None;
        // The access token of the password login ended while the PIN was chosen (a
        // server's access tokens may be shorter than its PIN auth token): the PIN just
        // set unlocks, as after a reset. (Best effort: failing, the state is pinRequired.)
        if self.refresh() == AuthState::PinRequired {
            let _ = self.unlock(&session, proof).await;
        }
        Ok(())
    }

    /// Unlocks with the PIN (`pinRequired` → `signedIn`). A wrong PIN fails with
    /// `INVALID_PIN` and `attemptsRemaining`; the last allowed one with `DEVICE_LOCKED`,
    /// which ends the session (`signedOut`).
    pub async fn login_with_pin(&self, pin: &str) -> Result<()> {
        let _turn = self.turns.take().await;
        let pin = Pin::parse(pin)?;
        let session = self.require(&[AuthState::PinRequired, AuthState::SignedIn], |h| {
            h.session.as_ref()
        })?;
        let proof = self.proof(&pin)?;
        self.unlock(&session, proof).await
    }

    /// Trades the PIN session and a PIN proof for an access token.
    async fn unlock(&self, session: &SavedToken, proof: PinProof) -> Result<()> {
        let request = LoginWithPinRequest {
            session_token: session.token.clone(),
            device_id: session.device_id.clone(),
            pin_proof: proof,
            challenge: Token::new([0; 32]),
            signature: Signature::new([0; 64]),
        };
        let request = self.sign(request).await?;
        let sent = self.now();
        let Reply::LoginWithPin(access) = self
            .send(
                Request::LoginWithPin(request),
                Spent::Session(session.token.clone()),
            )
            .await?
        else {
            return Err(Error::unexpected_reply());
        };
        let token = access.token.clone();
        self.save(
            Slot::Access,
            SavedToken::new(
                &session.device_id,
                &session.user_id,
                &session.email,
                access,
                sent,
            ),
        );
        if self.refresh() == AuthState::SignedIn {
            return Ok(());
        }
        // While the request was out the device moved on (another tab signed in as someone
        // else, or out): the new access token is of no use here, and is ended.
        let logout = Request::Logout(LogoutRequest {
            access_token: Some(token),
            ..LogoutRequest::default()
        });
        let _ = self.transport.send(logout).await;
        Err(Error::new(ErrorCode::NotSignedIn))
    }

    /// Confirms the PIN for a sensitive action; the returned token (5 minutes, single use)
    /// is for the application's server to validate.
    pub async fn reauthenticate(&self, pin: &str) -> Result<IssuedToken> {
        let _turn = self.turns.take().await;
        let pin = Pin::parse(pin)?;
        let access = self.require(&[AuthState::SignedIn], |h| h.access.as_ref())?;
        let request = ReauthenticateRequest {
            access_token: access.token.clone(),
            device_id: access.device_id.clone(),
            pin_proof: self.proof(&pin)?,
            challenge: Token::new([0; 32]),
            signature: Signature::new([0; 64]),
        };
        let request = self.sign(request).await?;
        match self
            .send(
                Request::Reauthenticate(request),
                Spent::Access(access.token.clone()),
            )
            .await?
        {
            Reply::Reauthenticate(token) => Ok(token),
            _ => Err(Error::unexpected_reply()),
        }
    }

    /// Changes this device's PIN while signed in. The new PIN must meet the policy and
    /// differ from the current one (checked before any network call).
    pub async fn change_pin(&self, old_pin: &str, new_pin: &str) -> Result<()> {
        let _turn = self.turns.take().await;
        let old = Pin::parse(old_pin)?;
        let new = self.config.pin_policy.check(new_pin)?;
        if old_pin == new_pin {
            return Err(Error::invalid_input("the new PIN is the current PIN"));
        }
        let access = self.require(&[AuthState::SignedIn], |h| h.access.as_ref())?;
        let request = ChangePinRequest {
            access_token: access.token.clone(),
            device_id: access.device_id.clone(),
            old_proof: self.proof(&old)?,
            new_proof: self.proof(&new)?,
            challenge: Token::new([0; 32]),
            signature: Signature::new([0; 64]),
        };
        let request = self.sign(request).await?;
        match self
            .send(
                Request::ChangePin(request),
                Spent::Access(access.token.clone()),
            )
            .await?
        {
            Reply::ChangePin => Ok(()),
            _ => Err(Error::unexpected_reply()),
        }
    }

    /// Asks for a PIN reset email. Succeeds whether or not the email has an account.
    pub async fn forgot_pin(&self, email: &str) -> Result<()> {
        let _turn = self.turns.take().await;
        let request = Request::ForgotPin(ForgotPinRequest {
            email: email.to_owned(),
        });
        match self.send(request, Spent::Nothing).await? {
            Reply::ForgotPin => Ok(()),
            _ => Err(Error::unexpected_reply()),
        }
    }

    /// Sets a new PIN on this device with the token from the reset email, then unlocks with
    /// it. On success the PIN is reset; the state is `signedIn`, or `pinRequired` if the
    /// unlock that follows could not complete.
    pub async fn reset_pin(&self, reset_token: &str, new_pin: &str) -> Result<()> {
        let _turn = self.turns.take().await;
        let pin = self.config.pin_policy.check(new_pin)?;
        let reset_token = parse_reset_token(reset_token)?;
        let (device_id, public_key) = {
            let held = self.held.borrow();
            (
                held.identity.device_id.clone(),
                held.identity.public_key.clone(),
            )
        };
        let proof = self.proof(&pin)?;
        let request = ResetPinRequest {
            reset_token,
            device_id: device_id.clone(),
            device_public_key: public_key,
            new_proof: proof.clone(),
            challenge: Token::new([0; 32]),
            signature: Signature::new([0; 64]),
        };
        let request = self.sign(request).await?;
        let sent = self.now();
        let Reply::ResetPin(reply) = self
            .send(Request::ResetPin(request), Spent::Nothing)
            .await?
        else {
            return Err(Error::unexpected_reply());
        };
        if self.turns.overtaken_by_logout() {
            // The PIN is reset; the session it brought was ended (`send`).
            return Ok(());
        }
        let session = SavedToken::new(
            &device_id,
            &reply.user_id,
            &reply.email,
            reply.pin_session,
            sent,
        );
        self.drop_tokens();
        self.save(Slot::PinSession, session.clone());
        self.refresh();
        let _ = self.unlock(&session, proof).await;
        Ok(())
    }

    /// Signs out: ends the PIN session and access token here, at once, and on the backend.
    /// Always succeeds, even when the backend cannot be reached. It does not wait for the
    /// flows called before it, which keep no token (see [`Client::send`]), and neither does
    /// its request to the backend, unless a `forgetDevice` called before it has yet to be
    /// answered: it revokes the device with the access token this request would end. The
    /// flows called after it wait for its answer.
    pub async fn logout(&self) -> Result<()> {
        // Refreshed first: another tab may have stored newer tokens, which this ends too.
        let signed_in = self.refresh() == AuthState::SignedIn;
        let request = Request::Logout(self.logout_request());
        // Only a revocation, which needs the access token this request ends, must go first.
        let after_forget = signed_in && self.forgets_waiting.get() > 0;
        if after_forget {
            *self.access_at_logout.borrow_mut() = self.held.borrow().access.clone();
        }
        self.turns
            .logouts
            .set(self.turns.logouts.get().wrapping_add(1));
        self.drop_tokens();
        self.refresh();
        if after_forget {
            let _turn = self.turns.take().await;
            self.access_at_logout.take();
            let _ = self.transport.send(request).await;
        } else {
            // Its place in the line is held until the answer (by then given up, or the
            // turn passed on), so that the flows called after it wait for the answer.
            let (mut place, mut answer) = (
                core::pin::pin!(self.turns.take()),
                core::pin::pin!(self.transport.send(request)),
            );
            let mut turn = None;
            core::future::poll_fn(|context| {
                if turn.is_none() {
                    if let Poll::Ready(taken) = place.as_mut().poll(context) {
                        turn = Some(taken);
                    }
                }
                answer.as_mut().poll(context).map(drop)
            })
            .await;
        }
        Ok(())
    }

    /// A logout of every token this client holds: the PIN session, the access token and,
    /// before a PIN was set, the PIN auth token (which the access token of the same
    /// login ends too, but it may have ended first).
    fn logout_request(&self) -> LogoutRequest {
        let held = self.held.borrow();
        let token = |t: &Option<SavedToken>| t.as_ref().map(|t| t.token.clone());
        LogoutRequest {
            session_token: token(&held.session),
            access_token: token(&held.access),
            pin_auth_token: token(&held.pin_auth),
        }
    }

    /// Wipes this device's identity: revokes it on the backend when signed in (else ends
    /// its PIN session), forgets every token, deletes the key and salt, and starts over as
    /// a new device in `signedOut`.
    pub async fn forget_device(&self) -> Result<()> {
        let pending = Counted::new(&self.forgets_waiting);
        let _turn = self.turns.take().await;
        let state = self.refresh();
        let access = match self.access_at_logout.borrow().clone() {
            // A logout called after this flow dropped the tokens: it revokes with the
            // access token that logout dropped.
            Some(access) if self.turns.overtaken_by_logout() => Some(access),
            _ => self
                .held
                .borrow()
                .access
                .clone()
                .filter(|_| state == AuthState::SignedIn),
        };
        let request = match access {
            Some(access) => Request::RevokeDevice(RevokeDeviceRequest {
                access_token: access.token,
                device_id: access.device_id,
            }),
            // Not signed in: what there is ends.
            _ => Request::Logout(self.logout_request()),
        };
        let _ = self.transport.send(request).await;
        // A logout called from now on may go at once: the revocation is answered.
        drop(pending);
        self.drop_tokens();
        let _ = self.keys.delete(&self.config.app_id).await;
        let fresh = device::create(&self.keys, self.rng.as_ref(), &self.config.app_id).await?;
        if fresh.warnings.contains(&Warning::DEVICE_NOT_PERSISTED) {
            let _ = self.tokens.keep_in_memory();
        }
        self.held.borrow_mut().identity = fresh.identity;
        for warning in fresh.warnings {
            self.warn(warning);
        }
        self.refresh();
        Ok(())
    }

    /// Whether [`Client::refresh`] saw another device's PIN session in the shared storage
    /// that [`Client::adopt_stored_identity`] has not looked into yet (asked once per
    /// device: the caller then runs the adoption).
    pub fn take_identity_change(&self) -> bool {
        let mut change = self.identity_change.borrow_mut();
        match change.0.take() {
            Some(other) => {
                change.1 = Some(other);
                true
            }
            None => false,
        }
    }

    /// Takes up the identity saved for this app when it is not this client's: another tab
    /// replaced it (`forgetDevice` there) and signed in as the new device, whose session
    /// this tab then follows. Waits for a running flow first.
    pub async fn adopt_stored_identity(&self) {
        let _turn = self.turns.take().await;
        if let Ok(LoadedIdentity::Found(identity)) = self.keys.load(&self.config.app_id).await {
            let mut held = self.held.borrow_mut();
            if held.identity.device_id != identity.device_id {
                held.identity = identity;
                held.session = None;
                held.access = None;
                held.pin_auth = None;
            }
        }
        self.refresh();
    }

    /// Whether a storage key holds this client's tokens (so a `storage` event for it
    /// calls for a [`Client::refresh`]).
    pub fn owns_storage_key(&self, key: &str) -> bool {
        self.tokens.owns_key(key)
    }

    /// The access token, when signed in; `NOT_SIGNED_IN` otherwise. It waits for a flow
    /// still running (an unlock just started), like every call.
    pub async fn access_token(&self) -> Result<Token> {
        let _turn = self.turns.take().await;
        self.require(&[AuthState::SignedIn], |h| h.access.as_ref())
            .map(|t| t.token)
    }
}
