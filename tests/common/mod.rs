//! A test harness that drives the mock backend through its JSON entry point, as a client
//! would, with software device keys. Shared by the native and the browser tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature as EcdsaSignature, SigningKey};
use pinauth::backend::{Backend, BackendConfig};
use pinauth::platform::{Clock, ManualClock, Rng, SeededRng};
use pinauth::protocol::*;
use pinauth::{ErrorCode, Result};

/// What the `p256` crate says of a device signature check (as the native backend does).
#[cfg(target_arch = "wasm32")]
fn p256_verdict(check: &pinauth::backend::SignatureCheck) -> Result<()> {
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::VerifyingKey;
    let key = VerifyingKey::from_sec1_bytes(check.public_key.as_bytes())
        .map_err(|_| pinauth::Error::invalid_input(pinauth::backend::NOT_A_P256_POINT))?;
    let signature = EcdsaSignature::from_slice(check.signature.as_bytes())
        .map_err(|_| pinauth::Error::new(ErrorCode::SignatureInvalid))?;
    key.verify(&check.payload, &signature)
        .map_err(|_| pinauth::Error::new(ErrorCode::SignatureInvalid))
}

/// 2027-01-15, an arbitrary fixed start for the test clock.
pub const START_MS: u64 = 1_800_000_000_000;
pub const PASSWORD: &str = "correct horse battery";

/// The PIN proof of PIN "730519" with the salt bytes 0, 1, …, 31, computed independently
/// by the npm `hash-wasm` package (4.13.0):
///
/// ```text
/// node -e 'require("hash-wasm").argon2id({password: "730519",
///   salt: Uint8Array.from({length: 32}, (_, i) => i), parallelism: 1,
///   iterations: 2, memorySize: 19456, hashLength: 32, outputType: "hex"})
///   .then(console.log)'
/// ```
pub const KNOWN_PROOF_HEX: &str =
    "fafc33e2d9664fa6a422af738a4b3db2b98066109b557b15b002e8e27ffa333c";

/// Derives the known-answer PIN proof with this crate, as hex.
pub fn derive_known_proof_hex() -> String {
    let pin = pinauth::pin::Pin::parse("730519").unwrap();
    let salt = pinauth::crypto::DeviceSalt::new(std::array::from_fn(|i| i as u8));
    let proof = pinauth::crypto::pin_proof(&pin, &salt).unwrap();
    proof
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Maps a successful reply to the payload of the expected variant, failing the test on
/// any other variant; errors pass through.
#[macro_export]
macro_rules! reply {
    ($result:expr, $variant:path) => {
        $result.map(|reply| match reply {
            $variant(inner) => inner,
            other => panic!("expected {}, got {:?}", stringify!($variant), other),
        })
    };
}

/// The error code of a result that must have failed.
pub fn code<T: std::fmt::Debug>(result: Result<T>) -> ErrorCode {
    result.expect_err("expected an error").code()
}

/// A stand-in for `Argon2id(PIN, salt)`: the backend only ever sees 32 opaque bytes.
pub fn proof(n: u8) -> PinProof {
    PinProof::new([n; 32])
}

/// A device with a software P-256 key.
pub struct TestDevice {
    pub id: DeviceId,
    key: SigningKey,
    pub public_key: PublicKey,
}

impl TestDevice {
    pub fn new(seed: u8) -> Self {
        let key = SigningKey::from_bytes(&[seed; 32].into()).unwrap();
        let point = key.verifying_key().to_encoded_point(false);
        TestDevice {
            id: DeviceId::new([seed; 16]),
            public_key: PublicKey::from_slice(point.as_bytes()).unwrap(),
            key,
        }
    }

    /// A device holding `key` (for instance a client's software key) under `id`.
    pub fn from_key(id: DeviceId, key: SigningKey) -> Self {
        let point = key.verifying_key().to_encoded_point(false);
        TestDevice {
            id,
            public_key: PublicKey::from_slice(point.as_bytes()).unwrap(),
            key,
        }
    }

    /// This device's key, presenting itself as the device `id` (an impostor).
    pub fn claiming(self, id: &DeviceId) -> Self {
        TestDevice {
            id: id.clone(),
            ..self
        }
    }

    /// This device's signature over a request's canonical payload.
    pub fn sign<R: SignedRequest>(&self, request: &R) -> Signature {
        let signature: EcdsaSignature = self.key.sign(&request.signing_payload());
        Signature::from_slice(&signature.to_bytes()).unwrap()
    }
}

/// An account signed in on a device with a PIN set.
pub struct Enrolled {
    pub user_id: String,
    pub access: Token,
    pub session: Token,
}

pub struct Harness {
    pub backend: Backend,
    pub clock: ManualClock,
}

impl Harness {
    pub fn new() -> Self {
        Self::with(
            BackendConfig::default().with_cheap_password_hashing(),
            Box::new(SeededRng::new(7)),
        )
    }

    pub fn with(config: BackendConfig, rng: Box<dyn Rng>) -> Self {
        let clock = ManualClock::new(START_MS);
        let backend = Backend::new(config, Box::new(clock.clone()), rng).unwrap();
        Harness { backend, clock }
    }

    pub fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Argon2 password hashes computed or verified by the backend so far.
    pub fn argon2_runs(&self) -> u64 {
        self.backend.password_argon2_runs()
    }

    pub fn advance_secs(&self, secs: u64) {
        self.clock.advance(std::time::Duration::from_secs(secs));
    }

    /// One call through the JSON entry point, exactly as a transport would make it.
    pub fn call(&mut self, request: Request) -> Result<Reply> {
        let json = serde_json::to_string(&request).unwrap();
        let response = self.answer(&json);
        serde_json::from_str::<Response>(&response).unwrap().into()
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn answer(&mut self, json: &str) -> String {
        self.backend.handle_json(json).to_string()
    }

    /// The browser build's backend leaves device signature checks to its host: this
    /// harness is the host, and checks them with the `p256` crate (synchronously; the
    /// WebCrypto host is tested through `BackendHost` and the JavaScript API).
    #[cfg(target_arch = "wasm32")]
    fn answer(&mut self, json: &str) -> String {
        let (response, needed) = self.backend.handle_json_checked(json, None);
        let Some(check) = needed else {
            return response.to_string();
        };
        let verdict = p256_verdict(&check);
        let (response, needed) = self
            .backend
            .handle_json_checked(json, Some((check, verdict)));
        assert!(needed.is_none(), "the verdict was taken");
        response.to_string()
    }

    pub fn register(&mut self, email: &str) -> String {
        let reply = self.call(Request::Register(RegisterRequest {
            email: email.into(),
            password: SecretString::new(PASSWORD),
        }));
        reply!(reply, Reply::Register).unwrap().user_id
    }

    pub fn login_with(
        &mut self,
        email: &str,
        password: &str,
        device: &TestDevice,
    ) -> Result<LoginResponse> {
        let reply = self.call(Request::Login(LoginRequest {
            email: email.into(),
            password: SecretString::new(password),
            device_id: device.id.clone(),
        }));
        reply!(reply, Reply::Login)
    }

    pub fn login(&mut self, email: &str, device: &TestDevice) -> LoginResponse {
        self.login_with(email, PASSWORD, device).unwrap()
    }

    pub fn challenge(&mut self, device: &TestDevice) -> Token {
        let reply = self.call(Request::Challenge(ChallengeRequest {
            device_id: device.id.clone(),
        }));
        reply!(reply, Reply::Challenge).unwrap().token
    }

    /// Fills in a fresh challenge for `device` and its signature: a request as the device
    /// would send it.
    pub fn signed<R: SignedRequest>(&mut self, device: &TestDevice, mut request: R) -> R {
        request.set_challenge(self.challenge(device));
        request.set_signature(device.sign(&request));
        request
    }

    pub fn set_pin_request(
        &mut self,
        device: &TestDevice,
        pin_auth: &Token,
        pin: &PinProof,
    ) -> SetPinRequest {
        let mut request = SetPinRequest {
            pin_auth_token: pin_auth.clone(),
            device_id: device.id.clone(),
            device_public_key: device.public_key.clone(),
            pin_proof: pin.clone(),
            challenge: self.challenge(device),
            signature: Signature::new([0; 64]),
        };
        request.signature = device.sign(&request);
        request
    }

    pub fn set_pin(
        &mut self,
        device: &TestDevice,
        pin_auth: &Token,
        pin: &PinProof,
    ) -> Result<IssuedToken> {
        let request = self.set_pin_request(device, pin_auth, pin);
        reply!(self.call(Request::SetPin(request)), Reply::SetPin)
    }

    pub fn unlock_request(
        &mut self,
        device: &TestDevice,
        session: &Token,
        pin: &PinProof,
    ) -> LoginWithPinRequest {
        let mut request = LoginWithPinRequest {
            session_token: session.clone(),
            device_id: device.id.clone(),
            pin_proof: pin.clone(),
            challenge: self.challenge(device),
            signature: Signature::new([0; 64]),
        };
        request.signature = device.sign(&request);
        request
    }

    pub fn unlock(
        &mut self,
        device: &TestDevice,
        session: &Token,
        pin: &PinProof,
    ) -> Result<IssuedToken> {
        let request = self.unlock_request(device, session, pin);
        reply!(
            self.call(Request::LoginWithPin(request)),
            Reply::LoginWithPin
        )
    }

    pub fn reauthenticate(
        &mut self,
        device: &TestDevice,
        access: &Token,
        pin: &PinProof,
    ) -> Result<IssuedToken> {
        let mut request = ReauthenticateRequest {
            access_token: access.clone(),
            device_id: device.id.clone(),
            pin_proof: pin.clone(),
            challenge: self.challenge(device),
            signature: Signature::new([0; 64]),
        };
        request.signature = device.sign(&request);
        reply!(
            self.call(Request::Reauthenticate(request)),
            Reply::Reauthenticate
        )
    }

    pub fn change_pin(
        &mut self,
        device: &TestDevice,
        access: &Token,
        old: &PinProof,
        new: &PinProof,
    ) -> Result<Reply> {
        let mut request = ChangePinRequest {
            access_token: access.clone(),
            device_id: device.id.clone(),
            old_proof: old.clone(),
            new_proof: new.clone(),
            challenge: self.challenge(device),
            signature: Signature::new([0; 64]),
        };
        request.signature = device.sign(&request);
        self.call(Request::ChangePin(request))
    }

    pub fn forgot_pin(&mut self, email: &str) -> Result<Reply> {
        self.call(Request::ForgotPin(ForgotPinRequest {
            email: email.into(),
        }))
    }

    pub fn reset_pin(
        &mut self,
        device: &TestDevice,
        reset: &Token,
        pin: &PinProof,
    ) -> Result<IssuedToken> {
        let mut request = ResetPinRequest {
            reset_token: reset.clone(),
            device_id: device.id.clone(),
            device_public_key: device.public_key.clone(),
            new_proof: pin.clone(),
            challenge: self.challenge(device),
            signature: Signature::new([0; 64]),
        };
        request.signature = device.sign(&request);
        reply!(self.call(Request::ResetPin(request)), Reply::ResetPin).map(|r| r.pin_session)
    }

    pub fn list_devices(&mut self, access: &Token) -> Result<Vec<DeviceInfo>> {
        let reply = self.call(Request::ListDevices(ListDevicesRequest {
            access_token: access.clone(),
        }));
        reply!(reply, Reply::ListDevices).map(|r| r.devices)
    }

    /// Register, password login and set a PIN on `device`.
    pub fn enrol(&mut self, email: &str, device: &TestDevice, pin: &PinProof) -> Enrolled {
        let user_id = self.register(email);
        let login = self.login(email, device);
        let PinStep::PinAuth(pin_auth) = login.pin else {
            panic!("a new device must set a PIN")
        };
        let session = self.set_pin(device, &pin_auth.token, pin).unwrap();
        Enrolled {
            user_id,
            access: login.access.token,
            session: session.token,
        }
    }

    /// The newest reset token sent to `email`.
    pub fn reset_token_for(&self, email: &str) -> Token {
        self.backend
            .outbox()
            .iter()
            .rev()
            .find(|m| m.to == email)
            .expect("a reset email")
            .reset_token
            .clone()
    }
}

// ---- client harness (native: `SoftwareKeys` needs the `p256` crate) ----

// Not every test crate that includes this module uses the client harness.
#[cfg(not(target_arch = "wasm32"))]
#[allow(unused_imports)]
pub use client_harness::*;

#[cfg(not(target_arch = "wasm32"))]
mod client_harness {
    use super::*;

    use pinauth::backend::{BackendHost, LocalTransport};
    use pinauth::client::{Client, ClientConfig, Platform};
    use pinauth::platform::{
        DeviceKeys, KeyValueStore, LoadedIdentity, MemoryStore, OsRng, SoftwareKeys,
        StoredIdentity, Transport,
    };
    use pinauth::tokens::SavedToken;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Polls futures in turn until all are done. Nothing here waits on real I/O, so polling
    /// again is all a suspended future needs.
    pub fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
        let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
        for _ in 0..10_000 {
            for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
                if output.is_none() {
                    if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
                        *output = Some(value);
                    }
                }
            }
            if outputs.iter().all(Option::is_some) {
                return outputs.into_iter().map(Option::unwrap).collect();
            }
        }
        panic!("the futures never finished");
    }

    /// Runs one future to completion.
    pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
        join_all(vec![future]).pop().unwrap()
    }

    /// The in-page transport, made to suspend once before each request as a real network
    /// would, with a log of the endpoints called.
    #[derive(Clone)]
    pub struct Network {
        inner: LocalTransport,
        pub log: Rc<RefCell<Vec<String>>>,
        /// Every request and reply as JSON text, in order: what a network observer sees.
        pub wire: Rc<RefCell<Vec<String>>>,
        clock: ManualClock,
        /// How long each request and each reply takes on the way, in seconds.
        latency: Rc<std::cell::Cell<u64>>,
    }

    impl Transport for Network {
        async fn send(&self, request: Request) -> Result<Reply> {
            let mut suspended = false;
            std::future::poll_fn(|_| {
                if std::mem::replace(&mut suspended, true) {
                    std::task::Poll::Ready(())
                } else {
                    std::task::Poll::Pending
                }
            })
            .await;
            let endpoint = serde_json::to_value(&request).unwrap()["endpoint"]
                .as_str()
                .unwrap()
                .to_owned();
            self.log.borrow_mut().push(endpoint);
            self.wire
                .borrow_mut()
                .push(serde_json::to_string(&request).unwrap());
            let latency = std::time::Duration::from_secs(self.latency.get());
            self.clock.advance(latency);
            let result = self.inner.send(request).await;
            self.clock.advance(latency);
            let response = Response::from(result.clone());
            self.wire
                .borrow_mut()
                .push(serde_json::to_string(&response).unwrap());
            result
        }
    }

    pub type TestClient = Client<SoftwareKeys, Network>;

    /// One browser profile: its IndexedDB (device keys) and its localStorage.
    #[derive(Clone)]
    pub struct Browser {
        pub keys: SoftwareKeys,
        pub local: MemoryStore,
    }

    /// A copy of everything a browser profile holds for one app id, taken at one moment: the
    /// device identity (id, salt, key) and the token slots of its localStorage.
    #[derive(Clone)]
    pub struct ProfileCopy {
        app_id: String,
        identity: Option<StoredIdentity<SigningKey>>,
        local: Vec<(String, Option<String>)>,
    }

    impl Browser {
        pub fn new() -> Self {
            Browser {
                keys: SoftwareKeys::new(Rc::new(OsRng)),
                local: MemoryStore::default(),
            }
        }

        /// The localStorage keys the client uses for `app_id`.
        pub fn storage_keys(app_id: &str) -> Vec<String> {
            ["pinSession", "access"]
                .iter()
                .map(|slot| format!("pinauth:{app_id}:v1:{slot}"))
                .collect()
        }

        /// The device identity saved for `app_id` (id, salt and private key).
        pub fn identity(&self, app_id: &str) -> StoredIdentity<SigningKey> {
            match block_on(DeviceKeys::load(&self.keys, app_id)).unwrap() {
                LoadedIdentity::Found(identity) => identity,
                other => panic!("no identity for {app_id}: {other:?}"),
            }
        }

        /// The PIN session token stored for `app_id`, as the client saved it.
        pub fn stored_session(&self, app_id: &str) -> SavedToken {
            let text = self
                .local
                .get(&format!("pinauth:{app_id}:v1:pinSession"))
                .unwrap()
                .expect("a stored PIN session");
            serde_json::from_str(&text).unwrap()
        }

        /// Copies what this profile holds for `app_id` (a backup, or a thief's copy).
        pub fn copy_profile(&self, app_id: &str) -> ProfileCopy {
            let identity = match block_on(DeviceKeys::load(&self.keys, app_id)).unwrap() {
                LoadedIdentity::Found(identity) => Some(identity),
                _ => None,
            };
            let local = Self::storage_keys(app_id)
                .into_iter()
                .map(|key| {
                    let value = self.local.get(&key).unwrap();
                    (key, value)
                })
                .collect();
            ProfileCopy {
                app_id: app_id.to_owned(),
                identity,
                local,
            }
        }

        /// Puts a copy back, overwriting what the profile holds for that app id now.
        pub fn restore_profile(&self, copy: &ProfileCopy) {
            match &copy.identity {
                Some(identity) => {
                    block_on(DeviceKeys::delete(&self.keys, &copy.app_id)).unwrap();
                    assert!(
                        block_on(DeviceKeys::save_new(&self.keys, &copy.app_id, identity)).unwrap()
                    );
                }
                None => block_on(DeviceKeys::delete(&self.keys, &copy.app_id)).unwrap(),
            }
            for (key, value) in &copy.local {
                match value {
                    Some(value) => self.local.set(key, value).unwrap(),
                    None => self.local.remove(key).unwrap(),
                }
            }
        }

        /// A new, separate profile holding a copy (the thief's machine).
        pub fn from_copy(copy: &ProfileCopy) -> Self {
            let browser = Browser::new();
            browser.restore_profile(copy);
            browser
        }
    }

    /// A backend in the page, a test clock, and as many browsers as a test needs.
    pub struct World {
        pub host: Rc<BackendHost>,
        pub clock: ManualClock,
        /// Every endpoint the clients called, in order.
        pub log: Rc<RefCell<Vec<String>>>,
        /// Every request and reply the clients exchanged, as JSON.
        pub wire: Rc<RefCell<Vec<String>>>,
        /// Seconds each request and each reply of the clients spends on the way (0).
        pub latency: Rc<std::cell::Cell<u64>>,
    }

    impl World {
        pub fn new() -> Self {
            Self::with(BackendConfig::default().with_cheap_password_hashing())
        }

        /// A world whose backend has `config`.
        pub fn with(config: BackendConfig) -> Self {
            let clock = ManualClock::new(START_MS);
            let backend =
                Backend::new(config, Box::new(clock.clone()), Box::new(SeededRng::new(7))).unwrap();
            World {
                host: Rc::new(BackendHost::in_memory(backend)),
                clock,
                log: Rc::default(),
                wire: Rc::default(),
                latency: Rc::default(),
            }
        }

        pub fn advance_secs(&self, secs: u64) {
            self.clock.advance(std::time::Duration::from_secs(secs));
        }

        /// A client (a page load) in `browser` for `app_id`, PIN session in its localStorage.
        pub fn open(&self, browser: &Browser, app_id: &str) -> TestClient {
            self.open_with(browser, app_id, Box::new(browser.local.clone()))
        }

        /// A client whose PIN session is kept in `session_store`, access token in memory.
        pub fn open_with(
            &self,
            browser: &Browser,
            app_id: &str,
            session_store: Box<dyn KeyValueStore>,
        ) -> TestClient {
            let access_store = Box::new(MemoryStore::default());
            self.open_with_stores(browser, app_id, session_store, access_store)
        }

        /// A client over the given stores for the PIN session and the access token.
        pub fn open_with_stores(
            &self,
            browser: &Browser,
            app_id: &str,
            session_store: Box<dyn KeyValueStore>,
            access_store: Box<dyn KeyValueStore>,
        ) -> TestClient {
            let clock = Rc::new(self.clock.clone());
            self.open_on(browser, app_id, clock, session_store, access_store)
        }

        /// A client in `browser` whose clock is `skew_ms` ahead of the backend's (behind
        /// when negative), PIN session in its localStorage.
        pub fn open_skewed(&self, browser: &Browser, app_id: &str, skew_ms: i64) -> TestClient {
            self.open_with_clock(browser, app_id, Rc::new(std::cell::Cell::new(skew_ms)))
        }

        /// A client in `browser` whose clock is as far ahead of the backend's as `skew_ms`
        /// says at each reading (behind when negative): a page clock that is set right.
        pub fn open_with_clock(
            &self,
            browser: &Browser,
            app_id: &str,
            skew_ms: Rc<std::cell::Cell<i64>>,
        ) -> TestClient {
            struct Skewed(ManualClock, Rc<std::cell::Cell<i64>>);
            impl Clock for Skewed {
                fn now_ms(&self) -> u64 {
                    self.0.now_ms().saturating_add_signed(self.1.get())
                }
            }
            let clock = Rc::new(Skewed(self.clock.clone(), skew_ms));
            let local = Box::new(browser.local.clone());
            self.open_on(
                browser,
                app_id,
                clock,
                local,
                Box::new(MemoryStore::default()),
            )
        }

        fn open_on(
            &self,
            browser: &Browser,
            app_id: &str,
            clock: Rc<dyn Clock>,
            session_store: Box<dyn KeyValueStore>,
            access_store: Box<dyn KeyValueStore>,
        ) -> TestClient {
            let platform = Platform {
                clock,
                rng: Rc::new(OsRng),
                keys: browser.keys.clone(),
                transport: Network {
                    inner: LocalTransport::new(self.host.clone()),
                    log: self.log.clone(),
                    wire: self.wire.clone(),
                    clock: self.clock.clone(),
                    latency: self.latency.clone(),
                },
                session_store,
                access_store,
            };
            let config = ClientConfig {
                app_id: app_id.to_owned(),
                ..ClientConfig::default()
            };
            block_on(Client::create(config, platform)).unwrap()
        }

        /// One request straight to the backend, as the application's server would make it.
        pub fn server_call(&self, request: Request) -> Result<Reply> {
            self.host
                .with_backend(|backend| Ok(backend.handle(request)))
                .unwrap()
                .into()
        }

        /// One request through the backend's JSON entry point, as an attacker's own HTTP
        /// client would send it.
        pub fn call(&self, request: &Request) -> Result<Reply> {
            let response = self
                .host
                .handle_json(&serde_json::to_string(request).unwrap());
            serde_json::from_str::<Response>(&response).unwrap().into()
        }

        /// A fresh challenge for any device id (anyone may ask for one).
        pub fn challenge(&self, device_id: &DeviceId) -> Token {
            let reply = self.call(&Request::Challenge(ChallengeRequest {
                device_id: device_id.clone(),
            }));
            reply!(reply, Reply::Challenge).unwrap().token
        }

        /// The backend's whole state as JSON: what a leaked database dump holds.
        pub fn snapshot(&self) -> String {
            self.host
                .with_backend(|b| Ok(b.snapshot()))
                .unwrap()
                .to_string()
        }

        /// The newest reset token mailed to `email`.
        pub fn reset_token_for(&self, email: &str) -> Token {
            self.host
                .with_backend(|b| {
                    Ok(b.outbox()
                        .iter()
                        .rev()
                        .find(|m| m.to == email)
                        .map(|m| m.reset_token.clone()))
                })
                .unwrap()
                .expect("a reset email")
        }
    }
}

/// A request for [`pinauth::backend::BackendHost`]: registers `email` with [`PASSWORD`].
pub fn register_on(email: &'static str) -> impl FnOnce(&mut Backend) -> Result<()> {
    move |backend| match backend.handle(Request::Register(RegisterRequest {
        email: email.into(),
        password: SecretString::new(PASSWORD),
    })) {
        Response::Ok(_) => Ok(()),
        Response::Error(error) => Err(error),
    }
}
