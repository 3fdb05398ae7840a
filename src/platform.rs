//! What the core needs from the outside world, as traits, with the implementations that
//! work everywhere. Browser implementations live in `web/`.

use crate::crypto::DeviceSalt;
use crate::error::{Error, ErrorCode, Result};
use crate::protocol::{Bytes, DeviceId, PublicKey, Reply, Request, Signature};
#[cfg(all(feature = "mock-backend", not(target_arch = "wasm32")))]
use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::sync::Arc;
use alloc::{borrow::ToOwned, string::String, vec::Vec};
use core::cell::{Cell, RefCell};
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
#[cfg(all(feature = "mock-backend", not(target_arch = "wasm32")))]
use p256::ecdsa::{signature::Signer, SigningKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Wall-clock time in Unix milliseconds.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// A cryptographically secure random source.
pub trait Rng {
    /// Fills `dest` with random bytes.
    fn fill(&self, dest: &mut [u8]) -> Result<()>;
}

/// Unicode lower case, as emails are normalized by the client and the backend alike. In
/// the browser this is JavaScript's `toLowerCase` (Unicode's default mapping, as Rust's),
/// which spares the module Rust's case tables and their code (about 20 KB).
#[cfg(target_arch = "wasm32")]
pub fn lowercase(text: &str) -> String {
    js_sys::JsString::from(text).to_lower_case().into()
}

/// Unicode lower case, as emails are normalized by the client and the backend alike.
#[cfg(not(target_arch = "wasm32"))]
pub fn lowercase(text: &str) -> String {
    text.to_lowercase()
}

/// A string key-value store: `localStorage`, `sessionStorage`, or memory.
///
/// Failures (storage disabled, quota exceeded) are `STORAGE_UNAVAILABLE` errors, never
/// panics.
pub trait KeyValueStore {
    /// The value under `key`, if any.
    fn get(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value` under `key`, replacing any earlier value.
    fn set(&self, key: &str, value: &str) -> Result<()>;
    /// Removes `key`; removing a missing key succeeds.
    fn remove(&self, key: &str) -> Result<()>;
}

/// A device identity as it is persisted: id, salt and the key pair.
#[derive(Clone)]
pub struct StoredIdentity<K> {
    /// The 128-bit random device id.
    pub device_id: DeviceId,
    /// The 32-byte salt of the PIN proof; never sent anywhere.
    pub salt: DeviceSalt,
    /// The private key handle (non-extractable in a browser).
    pub key: K,
    /// The public key, uncompressed SEC1.
    pub public_key: PublicKey,
}

impl<K> core::fmt::Debug for StoredIdentity<K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("StoredIdentity(redacted)")
    }
}

/// What loading a persisted identity found.
#[derive(Debug)]
pub enum LoadedIdentity<K> {
    /// Nothing stored for this app.
    Missing,
    /// A complete, well-formed identity.
    Found(StoredIdentity<K>),
    /// Something is stored but it is partial, malformed or of a foreign schema.
    Corrupt,
}

/// Device keys: create a non-extractable P-256 key, sign with it, and persist the device
/// identity (id, salt, key) per application id.
#[allow(async_fn_in_trait)]
pub trait DeviceKeys {
    /// The handle of a private key.
    type Key: Clone;
    /// A new key pair whose private half cannot be exported; its public key as
    /// uncompressed SEC1.
    async fn generate(&self) -> Result<(Self::Key, PublicKey)>;
    /// ECDSA P-256 / SHA-256 over `payload`, as 64-byte `r‖s`.
    async fn sign(&self, key: &Self::Key, payload: &[u8]) -> Result<Signature>;
    /// The identity saved for `app_id`.
    async fn load(&self, app_id: &str) -> Result<LoadedIdentity<Self::Key>>;
    /// Saves the identity for `app_id` unless one is saved already (another tab's, made at
    /// the same moment): `false` then, and nothing is written.
    async fn save_new(&self, app_id: &str, identity: &StoredIdentity<Self::Key>) -> Result<bool>;
    /// Deletes the identity of `app_id`; deleting a missing one succeeds.
    async fn delete(&self, app_id: &str) -> Result<()>;
    /// Deletes the record of `app_id` that [`DeviceKeys::load`] last found corrupt, unless
    /// another tab has saved an identity in its place since (that one stays, and this
    /// tab's own save then finds it); deleting a missing one succeeds.
    async fn delete_corrupt(&self, app_id: &str) -> Result<()>;
}

/// Carries one protocol request to the backend and brings back its answer. Errors from
/// the backend come back as `Err` with the backend's code.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Sends `request` and awaits the reply.
    async fn send(&self, request: Request) -> Result<Reply>;
}

/// `N` random bytes from `rng`.
pub fn random_bytes<const N: usize>(rng: &dyn Rng) -> Result<Bytes<N>> {
    let mut bytes = Bytes::new([0; N]);
    rng.fill(bytes.as_mut_bytes())?;
    Ok(bytes)
}

/// The operating system's random source (`crypto.getRandomValues` in a browser).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRng;

impl Rng for OsRng {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        getrandom::fill(dest).map_err(|_| Error::new(ErrorCode::RandomUnavailable))
    }
}

/// A storage that could not be opened (disabled, a sandboxed frame): every call fails
/// with `STORAGE_UNAVAILABLE`, so the token store falls back to memory and reports it.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnavailableStore;

impl KeyValueStore for UnavailableStore {
    fn get(&self, _: &str) -> Result<Option<String>> {
        Err(Error::new(ErrorCode::StorageUnavailable))
    }

    fn set(&self, _: &str, _: &str) -> Result<()> {
        Err(Error::new(ErrorCode::StorageUnavailable))
    }

    fn remove(&self, _: &str) -> Result<()> {
        Err(Error::new(ErrorCode::StorageUnavailable))
    }
}

/// A key-value store in memory; clones share the same entries, so a clone models the same
/// storage seen after a reload. Its `Debug` shows the keys only: values are tokens and
/// snapshots, wiped when replaced or removed. It holds a handful of keys, so a list (no map
/// code in the module) serves.
#[derive(Clone, Default)]
pub struct MemoryStore(Rc<RefCell<Vec<Entry>>>);

/// A key and its value.
type Entry = (String, Zeroizing<String>);

impl core::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let entries = self.0.try_borrow();
        let keys = entries
            .iter()
            .flat_map(|entries| entries.iter().map(|(key, _)| key));
        f.debug_struct("MemoryStore")
            .field("keys", &keys.collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl KeyValueStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>> {
        let entries = self.0.borrow();
        Ok(entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| String::clone(v)))
    }

    fn set(&self, key: &str, value: &str) -> Result<()> {
        self.remove(key)?;
        let value = Zeroizing::new(value.to_owned());
        self.0.borrow_mut().push((key.to_owned(), value));
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<()> {
        self.0.borrow_mut().retain(|(k, _)| k != key);
        Ok(())
    }
}

/// Device keys in software (the `p256` crate), kept in memory; clones share the same
/// saved identities. For native use and tests: the key is not hardware- or
/// browser-protected. (In the browser, `WebCryptoKeys`.)
#[cfg(all(feature = "mock-backend", not(target_arch = "wasm32")))]
#[derive(Clone)]
pub struct SoftwareKeys {
    rng: Rc<dyn Rng>,
    /// `None` marks an identity that was stored corrupt.
    saved: Rc<RefCell<BTreeMap<String, Option<StoredIdentity<SigningKey>>>>>,
}

#[cfg(all(feature = "mock-backend", not(target_arch = "wasm32")))]
impl SoftwareKeys {
    /// Keys drawn from `rng`, with nothing saved yet.
    pub fn new(rng: Rc<dyn Rng>) -> Self {
        SoftwareKeys {
            rng,
            saved: Rc::default(),
        }
    }

    /// Replaces what is saved for `app_id` with an unreadable record, as a damaged store
    /// would hold.
    pub fn corrupt(&self, app_id: &str) {
        self.saved.borrow_mut().insert(app_id.to_owned(), None);
    }
}

#[cfg(all(feature = "mock-backend", not(target_arch = "wasm32")))]
impl core::fmt::Debug for SoftwareKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SoftwareKeys(redacted)")
    }
}

#[cfg(all(feature = "mock-backend", not(target_arch = "wasm32")))]
impl DeviceKeys for SoftwareKeys {
    type Key = SigningKey;

    async fn generate(&self) -> Result<(SigningKey, PublicKey)> {
        // A random 32-byte string is a valid scalar except with negligible probability;
        // retry rather than fail in that case.
        for _ in 0..8 {
            let secret: Bytes<32> = random_bytes(self.rng.as_ref())?;
            if let Ok(key) = SigningKey::from_slice(secret.as_bytes()) {
                let point = key.verifying_key().to_encoded_point(false);
                return Ok((key, PublicKey::from_slice(point.as_bytes())?));
            }
        }
        Err(Error::new(ErrorCode::RandomUnavailable))
    }

    async fn sign(&self, key: &SigningKey, payload: &[u8]) -> Result<Signature> {
        let signature: p256::ecdsa::Signature = key
            .try_sign(payload)
            .map_err(|_| Error::new(ErrorCode::Internal))?;
        Signature::from_slice(&signature.to_bytes())
    }

    async fn load(&self, app_id: &str) -> Result<LoadedIdentity<SigningKey>> {
        Ok(match self.saved.borrow().get(app_id) {
            None => LoadedIdentity::Missing,
            Some(None) => LoadedIdentity::Corrupt,
            Some(Some(identity)) => LoadedIdentity::Found(identity.clone()),
        })
    }

    async fn save_new(&self, app_id: &str, identity: &StoredIdentity<SigningKey>) -> Result<bool> {
        let mut saved = self.saved.borrow_mut();
        if saved.contains_key(app_id) {
            return Ok(false);
        }
        saved.insert(app_id.to_owned(), Some(identity.clone()));
        Ok(true)
    }

    async fn delete(&self, app_id: &str) -> Result<()> {
        self.saved.borrow_mut().remove(app_id);
        Ok(())
    }

    async fn delete_corrupt(&self, app_id: &str) -> Result<()> {
        let mut saved = self.saved.borrow_mut();
        if matches!(saved.get(app_id), Some(None)) {
            saved.remove(app_id);
        }
        Ok(())
    }
}

/// Moves a span that starts after `now` (a clock set back since) back by as much, so
/// that it starts at `now` and lasts no longer than it did.
pub(crate) fn move_back(now: u64, start: &mut u64, end: &mut u64) {
    let ahead = start.saturating_sub(now);
    *start -= ahead;
    *end = end.saturating_sub(ahead);
}

/// A clock that moves only when told to; clones share the same time. For tests and
/// deterministic simulations.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock reading `start_ms`.
    pub fn new(start_ms: u64) -> Self {
        ManualClock(Arc::new(AtomicU64::new(start_ms)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.shift(by, u64::saturating_add);
    }

    /// Moves the clock back, as a system clock that was fast is set right.
    pub fn set_back(&self, by: Duration) {
        self.shift(by, u64::saturating_sub);
    }

    fn shift(&self, by: Duration, move_by: fn(u64, u64) -> u64) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
                Some(move_by(now, by))
            });
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The system clock. Not available in the browser, where `SystemTime` does not exist.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// A reproducible byte stream from a seed (SHA-256 in counter mode). **Not secret**:
/// anyone with the seed predicts every byte. For tests and simulations only.
#[derive(Debug)]
pub struct SeededRng {
    seed: [u8; 32],
    counter: Cell<u64>,
}

impl SeededRng {
    /// A stream determined entirely by `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRng {
            seed: Sha256::digest(seed.to_be_bytes()).into(),
            counter: Cell::new(0),
        }
    }
}

impl Rng for SeededRng {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        for chunk in dest.chunks_mut(32) {
            let n = self.counter.get();
            self.counter.set(n.wrapping_add(1));
            let block = Sha256::new()
                .chain_update(self.seed)
                .chain_update(n.to_be_bytes())
                .finalize();
            for (out, byte) in chunk.iter_mut().zip(block) {
                *out = byte;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_store_debug_shows_keys_not_values() {
        let store = MemoryStore::default();
        store
            .set("pinauth:shop:v1:pinSession", "secret-token")
            .unwrap();
        let shown = format!("{store:?}");
        assert!(shown.contains("pinauth:shop:v1:pinSession"), "{shown}");
        assert!(!shown.contains("secret-token"), "{shown}");
    }

    #[test]
    fn a_memory_store_replaces_and_removes_one_key_and_its_clones_see_it() {
        let store = MemoryStore::default();
        let reloaded = store.clone();
        store.set("a", "1").unwrap();
        store.set("b", "2").unwrap();
        store.set("a", "3").unwrap();
        assert_eq!(reloaded.get("a").unwrap().as_deref(), Some("3"));
        assert_eq!(reloaded.get("b").unwrap().as_deref(), Some("2"));
        reloaded.remove("a").unwrap();
        reloaded.remove("missing").unwrap();
        assert_eq!(store.get("a").unwrap(), None);
        assert_eq!(store.get("b").unwrap().as_deref(), Some("2"));
        assert_eq!(store.0.borrow().len(), 1);
    }

    #[test]
    fn seeded_streams_repeat_per_seed_and_differ_across_seeds() {
        let a: Bytes<50> = random_bytes(&SeededRng::new(1)).unwrap();
        let b: Bytes<50> = random_bytes(&SeededRng::new(1)).unwrap();
        let c: Bytes<50> = random_bytes(&SeededRng::new(2)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let rng = SeededRng::new(1);
        let first: Bytes<32> = random_bytes(&rng).unwrap();
        let second: Bytes<32> = random_bytes(&rng).unwrap();
        assert_ne!(first, second);
    }

    #[test]
    fn os_random_is_not_constant() {
        let a: Bytes<32> = random_bytes(&OsRng).unwrap();
        let b: Bytes<32> = random_bytes(&OsRng).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn manual_clock_clones_share_time() {
        let clock = ManualClock::new(1_000);
        let view = clock.clone();
        clock.advance(Duration::from_secs(2));
        assert_eq!(view.now_ms(), 3_000);
    }
}
