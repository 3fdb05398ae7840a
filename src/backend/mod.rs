//! The mock backend: the server half of PIN sign-in, in pure Rust.
//!
//! It speaks only [`protocol`](crate::protocol) types through one entry point,
//! [`Backend::handle`] (or [`Backend::handle_json`] for serialized requests), so an in-page
//! transport or an HTTP server around it stays thin. Time and randomness are injected, so
//! a [`ManualClock`](crate::platform::ManualClock) and a
//! [`SeededRng`](crate::platform::SeededRng) make it fully deterministic.
//!
//! What it keeps: passwords as Argon2id PHC strings; PIN proofs only as a keyed hash
//! compared in constant time; every token only as its BLAKE2b-256, looked up by it;
//! device public keys.

mod accounts;
mod devices;
mod host;
mod list_map;
mod pins;
mod state;

#[cfg(target_arch = "wasm32")]
pub use host::answer_checked;
pub use host::{or_error_json, Attempt, BackendHost, LocalTransport};
pub use pins::{Checked, SignatureCheck, NOT_A_P256_POINT};
pub use state::OutboxMessage;

use crate::crypto::Argon2Cost;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::{random_bytes, Clock, Rng};
use crate::protocol::{DeviceInfo, Reply, Request, Response};
use alloc::{boxed::Box, string::String, vec::Vec};
use core::time::Duration;
use list_map::ListMap;
use state::{State, SNAPSHOT_VERSION};
use zeroize::Zeroizing;

/// Lifetimes, limits and costs of the backend. [`Default`] gives the values of DESIGN.md.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendConfig {
    /// Access token lifetime (15 min).
    pub access_token_ttl: Duration,
    /// PIN session token lifetime (7 days).
    pub pin_session_ttl: Duration,
    /// PIN auth token lifetime (10 min).
    pub pin_auth_token_ttl: Duration,
    /// Re-auth token lifetime (5 min).
    pub reauth_token_ttl: Duration,
    /// PIN reset token lifetime (15 min).
    pub reset_token_ttl: Duration,
    /// Challenge lifetime (2 min).
    pub challenge_ttl: Duration,
    /// Consecutive wrong PINs that lock a device (5).
    pub max_pin_attempts: u32,
    /// Wrong PINs across an account's devices (10), each within one window of the one
    /// before (so any that many within one window), after which no PIN is checked until
    /// a window has passed since the last.
    pub account_pin_attempts: u32,
    /// The window of the account's PIN rate limit (15 min).
    pub account_pin_window: Duration,
    /// Failed passwords that lock an account (5), each within one lockout period of the
    /// one before (so any that many within one period lock).
    pub max_password_attempts: u32,
    /// How long an account stays locked (15 min).
    pub password_lockout: Duration,
    /// Argon2id cost of password hashes (OWASP: m=19456 KiB, t=2, p=1).
    pub password_hashing: Argon2Cost,
}

impl Default for BackendConfig {
    fn default() -> Self {
        const MINUTE: u64 = 60;
        BackendConfig {
            access_token_ttl: Duration::from_secs(15 * MINUTE),
            pin_session_ttl: Duration::from_secs(7 * 24 * 60 * MINUTE),
            pin_auth_token_ttl: Duration::from_secs(10 * MINUTE),
            reauth_token_ttl: Duration::from_secs(5 * MINUTE),
            reset_token_ttl: Duration::from_secs(15 * MINUTE),
            challenge_ttl: Duration::from_secs(2 * MINUTE),
            max_pin_attempts: 5,
            account_pin_attempts: 10,
            account_pin_window: Duration::from_secs(15 * MINUTE),
            max_password_attempts: 5,
            password_lockout: Duration::from_secs(15 * MINUTE),
            password_hashing: Argon2Cost::OWASP,
        }
    }
}

impl BackendConfig {
    /// **Tests only**: the defaults with a trivially cheap password hash, so test suites
    /// run in seconds. Never use it where real passwords are stored.
    pub fn with_cheap_password_hashing(self) -> Self {
        BackendConfig {
            password_hashing: Argon2Cost {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            ..self
        }
    }
}

/// An empty state with a new verifier key.
fn fresh_state(config: &BackendConfig, rng: &dyn Rng) -> Result<State> {
    Ok(State {
        version: SNAPSHOT_VERSION,
        revision: 0,
        pepper: random_bytes(rng)?,
        dummy_password_hash: accounts::dummy_password_hash(config, rng)?,
        accounts: ListMap::default(),
        password_failures: Default::default(),
        tokens: ListMap::default(),
        challenges: Vec::new(),
        outbox: Vec::new(),
    })
}

/// The state in a snapshot, with a dummy password hash of the configured cost.
fn parse_snapshot(snapshot: &str, config: &BackendConfig, rng: &dyn Rng) -> Result<State> {
    let mut state =
        State::from_json(snapshot).ok_or_else(|| Error::new(ErrorCode::SnapshotInvalid))?;
    let affordable = state
        .accounts
        .iter()
        .all(|(_, a)| accounts::hash_is_affordable(&a.password_hash));
    if state.version != SNAPSHOT_VERSION || !affordable {
        return Err(Error::new(ErrorCode::SnapshotInvalid));
    }
    if !accounts::hash_has_cost(&state.dummy_password_hash, config.password_hashing) {
        state.dummy_password_hash = accounts::dummy_password_hash(config, rng)?;
    }
    Ok(state)
}

/// Milliseconds in a duration, saturating.
fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Whole seconds until `ms` milliseconds have passed, rounded up.
fn seconds_ceil(ms: u64) -> u64 {
    ms.div_ceil(1000)
}

/// Serialized requests larger than this are refused unread.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Outstanding challenges kept per device; older ones are dropped.
const CHALLENGES_PER_DEVICE: usize = 8;

/// Outstanding challenges kept in all (anyone may ask for one, for any device id); the
/// oldest are dropped, so a flood of requests cannot grow the state without bound.
const CHALLENGES_IN_ALL: usize = 1024;

/// Devices kept per account. Registering another removes the one unused the longest, a
/// locked one (no PIN) first, with every token it holds: a password holder cannot grow
/// an account without bound by setting PINs from new device ids.
const DEVICES_PER_ACCOUNT: usize = 32;

/// Reset emails kept per address; older ones are dropped (each new one ends the reset
/// token of the ones before). There is no cap across addresses, so that mail to others
/// cannot push a user's own out.
const OUTBOX_PER_ADDRESS: usize = 10;

/// The server half: accounts, devices, tokens, challenges, lockouts and an outbox.
pub struct Backend {
    config: BackendConfig,
    clock: Box<dyn Clock>,
    rng: Box<dyn Rng>,
    state: State,
    /// Argon2 password computations (a hash at `register`, a verification at `login`)
    /// made while answering requests; see [`Backend::password_argon2_runs`].
    argon2_runs: u64,
    /// The device signature checks left to the host, in the browser build.
    #[cfg(target_arch = "wasm32")]
    signatures: pins::Signatures,
}

impl core::fmt::Debug for Backend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Backend")
            .field("config", &self.config)
            .field("accounts", &self.state.accounts.len())
            .finish_non_exhaustive()
    }
}

impl Backend {
    /// An empty backend.
    pub fn new(config: BackendConfig, clock: Box<dyn Clock>, rng: Box<dyn Rng>) -> Result<Self> {
        let state = fresh_state(&config, rng.as_ref())?;
        Ok(Backend {
            config,
            clock,
            rng,
            state,
            argon2_runs: 0,
            #[cfg(target_arch = "wasm32")]
            signatures: pins::Signatures::default(),
        })
    }

    /// A backend continuing from a snapshot. A corrupt snapshot or one of another version
    /// is `SNAPSHOT_INVALID`.
    pub fn restore(
        snapshot: &str,
        config: BackendConfig,
        clock: Box<dyn Clock>,
        rng: Box<dyn Rng>,
    ) -> Result<Self> {
        let state = parse_snapshot(snapshot, &config, rng.as_ref())?;
        Ok(Backend {
            config,
            clock,
            rng,
            state,
            argon2_runs: 0,
            #[cfg(target_arch = "wasm32")]
            signatures: pins::Signatures::default(),
        })
    }

    /// The whole state as JSON, for [`Backend::restore`]. It holds the server's secrets
    /// (the verifier key, password hashes): keep it where the server's database would be.
    pub fn snapshot(&self) -> Zeroizing<String> {
        self.state.to_json()
    }

    /// Replaces the whole state with a snapshot's. On error the state is unchanged.
    pub fn load_snapshot(&mut self, snapshot: &str) -> Result<()> {
        self.state = parse_snapshot(snapshot, &self.config, self.rng.as_ref())?;
        Ok(())
    }

    /// Forgets every account, device, token and message.
    pub fn clear(&mut self) -> Result<()> {
        self.state = fresh_state(&self.config, self.rng.as_ref())?;
        Ok(())
    }

    /// The reset emails sent so far, oldest first (at most the last 10 to each address).
    pub fn outbox(&self) -> &[OutboxMessage] {
        &self.state.outbox
    }

    /// The reset emails sent to `email` (normalized), oldest first.
    pub fn outbox_for(&self, email: &str) -> Vec<OutboxMessage> {
        let email = accounts::normalize_email(email).unwrap_or_default();
        self.state
            .outbox
            .iter()
            .filter(|m| m.to == email)
            .cloned()
            .collect()
    }

    /// An administrator's view of the devices of the account with `email` (none for an
    /// unknown email), oldest first.
    pub fn devices_of(&self, email: &str) -> Vec<DeviceInfo> {
        let email = accounts::normalize_email(email).unwrap_or_default();
        self.state
            .account_by_email(&email)
            .map(|(_, account)| devices::describe(account, None))
            .unwrap_or_default()
    }

    /// **Tests only**: how many Argon2 password hashes this backend has computed or
    /// verified while answering requests (not kept in snapshots). It lets tests show that
    /// unknown and known emails cost the same Argon2 work without timing anything.
    #[doc(hidden)]
    pub fn password_argon2_runs(&self) -> u64 {
        self.argon2_runs
    }

    /// Answers one request. Never panics; every failure is an error response.
    pub fn handle(&mut self, request: Request) -> Response {
        let now = self.clock.now_ms();
        self.state.purge(
            now,
            ms(self.config.password_lockout),
            ms(self.config.challenge_ttl),
        );
        let challenge = pins::challenge_of(&request);
        let result: Result<Reply> = match request {
            Request::Register(r) => self.register(now, r),
            Request::Login(r) => self.login(now, r),
            Request::Challenge(r) => self.challenge(now, r),
            Request::SetPin(r) => self.set_pin(now, r),
            Request::LoginWithPin(r) => self.login_with_pin(now, r),
            Request::Reauthenticate(r) => self.reauthenticate(now, r),
            Request::ValidateReauth(r) => self.validate_reauth(now, r),
            Request::ChangePin(r) => self.change_pin(now, r),
            Request::ForgotPin(r) => self.forgot_pin(now, r),
            Request::ResetPin(r) => self.reset_pin(now, r),
            Request::Logout(r) => Ok(self.logout(r)),
            Request::ListDevices(r) => self.list_devices(now, r),
            Request::RevokeDevice(r) => self.revoke_device(now, r),
        };
        // A signed request uses up its challenge however it ends, so that a refused one
        // cannot be replayed once what refused it no longer holds (its key registered
        // later, say): its challenge is taken after its signature is checked, and here
        // when it failed. Except while it waits for the host's signature check (the
        // browser build's first pass), which must change nothing.
        if let (Err(_), Some((device_id, challenge))) = (&result, challenge) {
            if !self.waits_for_signature_check() {
                let _ = self.state.take_challenge(now, &device_id, &challenge);
            }
        }
        result.into()
    }

    /// Whether the request just handled waits for its host's signature check.
    fn waits_for_signature_check(&self) -> bool {
        #[cfg(target_arch = "wasm32")]
        return self.signatures.needed.borrow().is_some();
        #[cfg(not(target_arch = "wasm32"))]
        return false;
    }

    /// Answers one JSON request with a JSON response: the whole server as a string
    /// function. Oversized or malformed requests get an `INVALID_INPUT` response whose
    /// message never echoes the input.
    pub fn handle_json(&mut self, request: &str) -> Zeroizing<String> {
        let response = if request.len() > MAX_REQUEST_BYTES {
            Response::Error(Error::invalid_input("the request is too large"))
        } else {
            match Request::from_json(request) {
                Some(request) => self.handle(request),
                None => Response::Error(Error::invalid_input(
                    "the request is not a well-formed call of a known endpoint",
                )),
            }
        };
        response.to_json()
    }

    /// [`Backend::handle_json`] in the browser build, which checks device signatures
    /// through its host (WebCrypto): `checked` is the host's verdict on the check the same
    /// request needed before (`None` at first). Returns the response and the check the
    /// request still needs, if any; then the response is `SIGNATURE_INVALID`, nothing has
    /// changed (a request changes nothing before its signature is checked), and the host
    /// asks again with its verdict on that check.
    #[cfg(target_arch = "wasm32")]
    pub fn handle_json_checked(
        &mut self,
        request: &str,
        checked: Option<Checked>,
    ) -> (Zeroizing<String>, Option<SignatureCheck>) {
        self.signatures.checked = checked;
        self.signatures.needed.take();
        let response = self.handle_json(request);
        self.signatures.checked = None;
        (response, self.signatures.needed.take())
    }
}
