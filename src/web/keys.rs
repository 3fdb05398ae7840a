//! The device key: a non-extractable WebCrypto ECDSA P-256 key, and the device identity
//! kept in IndexedDB.
//!
//! The WebCrypto calls are `keys.js` and the IndexedDB ones [`super::idb`]'s `idb.js`
//! (JavaScript costs the wasm far less than the same calls through `web-sys`); this
//! module checks every value they return and turns each failure into a typed error.
//!
//! One database, [`DATABASE_NAME`], holds one object store, [`STORE_NAME`], keyed by the
//! application id. Each value is a plain object
//! `{ v: 1, deviceId: <base64url>, salt: Uint8Array(32), publicKey: Uint8Array(65),
//! privateKey: CryptoKey }`. A `CryptoKey` is structured-cloneable, so the private key
//! survives reloads while staying non-extractable: no script, this crate included, can
//! read its bytes.
//!
//! `crypto` and `indexedDB` are resolved from `globalThis`, so this works in a window and
//! in a worker.

use super::idb::{Database, Request};
use super::property;
use crate::crypto::DeviceSalt;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::{DeviceKeys, LoadedIdentity, StoredIdentity};
use crate::protocol::{Bytes, DeviceId, PublicKey, Signature};
use alloc::string::String;
use core::cell::RefCell;
use js_sys::{Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::CryptoKey;
use zeroize::Zeroizing;

#[wasm_bindgen(module = "/src/web/keys.js")]
extern "C" {
    /// A new non-extractable P-256 key pair: `{ privateKey, publicKey: Uint8Array }`.
    #[wasm_bindgen(js_name = generateKey)]
    fn generate_key() -> Promise;

    /// The signature of `payload` by `key`, as a `Uint8Array`.
    #[wasm_bindgen(js_name = sign)]
    fn sign_payload(key: &CryptoKey, payload: &[u8]) -> Promise;

    /// Whether a signature by `private_key` is shown not to verify with `public_key`, or
    /// `public_key` is no P-256 point.
    #[wasm_bindgen(js_name = keysDiffer)]
    fn keys_differ(private_key: &CryptoKey, public_key: &[u8]) -> Promise;

    /// Whether `signature` over `payload` verifies with the raw `public_key`: a boolean;
    /// rejects with "key" when `public_key` is no P-256 point.
    #[cfg(feature = "mock-backend")]
    #[wasm_bindgen(js_name = verifySignature)]
    fn verify_signature_js(public_key: &[u8], payload: &[u8], signature: &[u8]) -> Promise;

    /// Whether `key` is a non-extractable private ECDSA P-256 signing key.
    #[wasm_bindgen(js_name = isDeviceSigningKey)]
    fn is_device_signing_key(key: &CryptoKey) -> bool;
}

/// The IndexedDB database that holds device identities.
pub const DATABASE_NAME: &str = "pinauth";
/// The object store of [`DATABASE_NAME`] holding one identity per application id.
pub const STORE_NAME: &str = "identities";

/// The identity database, every failure of which is `DEVICE_KEY_UNAVAILABLE`.
const IDENTITIES: Database = Database {
    name: DATABASE_NAME,
    version: 1,
    store: STORE_NAME,
    error: ErrorCode::DeviceKeyUnavailable,
};
/// The schema version written as the record's `v`.
const RECORD_VERSION: u32 = 1;

/// [`DeviceKeys`] backed by WebCrypto and IndexedDB.
///
/// Keys are ECDSA P-256 and generated non-extractable: `exportKey` on the private key
/// rejects. Identities are saved in IndexedDB per application id, so a new instance (or a
/// reloaded page) finds what an earlier one saved.
#[derive(Clone, Debug, Default)]
pub struct WebCryptoKeys {
    /// The `deviceId` of the record `load` last found corrupt: `delete_corrupt` deletes
    /// the record only while it does not name another device (another tab's new one).
    corrupt_device_id: RefCell<JsValue>,
}

impl WebCryptoKeys {
    /// Device keys over the browser's `crypto.subtle` and `indexedDB`.
    pub fn new() -> Self {
        WebCryptoKeys::default()
    }
}

fn key_error(message: &'static str) -> Error {
    Error::with_message(ErrorCode::DeviceKeyUnavailable, message)
}

/// Awaits a WebCrypto call of `keys.js`; a failure is the message of the step that failed.
async fn settle(promise: Promise) -> Result<JsValue> {
    JsFuture::from(promise).await.map_err(|step| {
        key_error(match step.as_string().as_deref() {
            Some("unavailable") => "WebCrypto is not available here (it needs a secure context).",
            Some("generate") => "WebCrypto could not generate a P-256 key.",
            Some("pair") => "WebCrypto returned no key pair.",
            Some("export") => "WebCrypto could not export the public key.",
            Some("timeout") => "WebCrypto did not answer within 10 seconds.",
            _ => "WebCrypto could not sign with the device key.",
        })
    })
}

/// Runs a device signature check of the mock backend with WebCrypto (the browser build's
/// backend has no P-256 code: see [`crate::backend::Backend::handle_json_checked`]), with
/// the verdicts of the `p256` crate natively: `INVALID_INPUT` for a public key that is no
/// P-256 point, `SIGNATURE_INVALID` for a signature that does not verify or a check that
/// cannot run.
#[cfg(feature = "mock-backend")]
pub async fn verify_signature(check: &crate::backend::SignatureCheck) -> Result<()> {
    let verdict = JsFuture::from(verify_signature_js(
        check.public_key.as_bytes(),
        &check.payload,
        check.signature.as_bytes(),
    ))
    .await;
    match verdict {
        Ok(valid) if valid.as_bool() == Some(true) => Ok(()),
        Err(step) if step.as_string().as_deref() == Some("key") => {
            Err(Error::invalid_input(crate::backend::NOT_A_P256_POINT))
        }
        _ => Err(Error::new(ErrorCode::SignatureInvalid)),
    }
}

/// Exactly `N` bytes from a typed array, or `None` for another length.
fn fixed_bytes<const N: usize>(array: &Uint8Array) -> Option<Bytes<N>> {
    if usize::try_from(array.length()).ok()? != N {
        return None;
    }
    let copy = Zeroizing::new(array.to_vec());
    Bytes::from_slice(&copy).ok()
}

/// A string property of at most `max` UTF-16 units (a longer one is not copied).
fn string_property(target: &JsValue, name: &str, max: u32) -> Option<String> {
    let value = Reflect::get(target, &JsValue::from_str(name)).ok()?;
    let string = value.dyn_ref::<js_sys::JsString>()?;
    (string.length() <= max).then(|| String::from(string))
}

impl DeviceKeys for WebCryptoKeys {
    type Key = CryptoKey;

    async fn generate(&self) -> Result<(CryptoKey, PublicKey)> {
        let pair = settle(generate_key()).await?;
        let private_key = property::<CryptoKey>(&pair, "privateKey")
            .ok_or_else(|| key_error("WebCrypto returned no key pair."))?;
        let public_key = property::<Uint8Array>(&pair, "publicKey")
            .and_then(|bytes| fixed_bytes(&bytes))
            .ok_or_else(|| key_error("WebCrypto exported a malformed public key."))?;
        Ok((private_key, public_key))
    }

    async fn sign(&self, key: &CryptoKey, payload: &[u8]) -> Result<Signature> {
        settle(sign_payload(key, payload))
            .await?
            .dyn_ref::<Uint8Array>()
            .and_then(fixed_bytes)
            .ok_or_else(|| key_error("WebCrypto returned a malformed signature."))
    }

    async fn load(&self, app_id: &str) -> Result<LoadedIdentity<CryptoKey>> {
        let id = JsValue::from_str(app_id);
        let record = IDENTITIES.run(Request::Get(&id)).await?;
        if record.is_undefined() {
            return Ok(LoadedIdentity::Missing);
        }
        Ok(match read_record(&record) {
            Some(identity) if !self.halves_differ(&identity).await => {
                LoadedIdentity::Found(identity)
            }
            _ => {
                let named = Reflect::get(&record, &JsValue::from_str("deviceId"));
                *self.corrupt_device_id.borrow_mut() = named.unwrap_or(JsValue::UNDEFINED);
                LoadedIdentity::Corrupt
            }
        })
    }

    async fn save_new(&self, app_id: &str, identity: &StoredIdentity<CryptoKey>) -> Result<bool> {
        let record = write_record(identity)?;
        let id = JsValue::from_str(app_id);
        let added = IDENTITIES.run(Request::Add(&id, &record)).await?;
        Ok(!added.is_null())
    }

    async fn delete(&self, app_id: &str) -> Result<()> {
        let id = JsValue::from_str(app_id);
        IDENTITIES.run(Request::Delete(&id)).await.map(drop)
    }

    async fn delete_corrupt(&self, app_id: &str) -> Result<()> {
        let id = JsValue::from_str(app_id);
        let named = self.corrupt_device_id.replace(JsValue::UNDEFINED);
        IDENTITIES
            .run(Request::DeleteUnlessNamed(&id, &named))
            .await
            .map(drop)
    }
}

impl WebCryptoKeys {
    /// Whether the private key of `identity` is shown not to belong to its public key: a
    /// signature made with it does not verify. Each half of such a record passes every
    /// check alone, but the backend verifies the device's signatures with the public key,
    /// so the device could never set a PIN. When the check itself cannot run, the halves
    /// are assumed to match (a transient WebCrypto failure must not wipe an identity).
    async fn halves_differ(&self, identity: &StoredIdentity<CryptoKey>) -> bool {
        let check = keys_differ(&identity.key, identity.public_key.as_bytes());
        JsFuture::from(check)
            .await
            .is_ok_and(|differ| differ.as_bool() == Some(true))
    }
}

/// The stored record of `identity`.
fn write_record(identity: &StoredIdentity<CryptoKey>) -> Result<Object> {
    let record = Object::new();
    let fields: [(&str, JsValue); 5] = [
        ("v", JsValue::from(RECORD_VERSION)),
        (
            "deviceId",
            JsValue::from_str(&identity.device_id.to_base64url()),
        ),
        (
            "salt",
            Uint8Array::from(identity.salt.as_bytes().as_slice()).into(),
        ),
        (
            "publicKey",
            Uint8Array::from(identity.public_key.as_bytes().as_slice()).into(),
        ),
        ("privateKey", identity.key.clone().into()),
    ];
    for (name, value) in fields {
        Reflect::set(&record, &JsValue::from_str(name), &value)
            .map_err(|_| key_error("The device identity could not be prepared for storage."))?;
    }
    Ok(record)
}

/// The identity in a stored record, or `None` when anything is missing, of the wrong type
/// or length, or of another schema version. (Whether its two keys belong together is
/// checked by [`WebCryptoKeys::halves_differ`].) A record of a later version is corrupt
/// here too, and so replaced: a site rolled back to this version then resets each device
/// once, where leaving the record alone would keep every later page from saving one.
fn read_record(record: &JsValue) -> Option<StoredIdentity<CryptoKey>> {
    if !record.is_object() {
        return None;
    }
    let version = Reflect::get(record, &JsValue::from_str("v")).ok()?;
    if version.as_f64() != Some(f64::from(RECORD_VERSION)) {
        return None;
    }
    let device_id = DeviceId::from_base64url(&string_property(record, "deviceId", 64)?).ok()?;
    let salt: DeviceSalt = fixed_bytes(&property::<Uint8Array>(record, "salt")?)?;
    let public_key: PublicKey = fixed_bytes(&property::<Uint8Array>(record, "publicKey")?)?;
    if !is_p256_point(&public_key) {
        return None;
    }
    let key = property::<CryptoKey>(record, "privateKey")?;
    if !is_device_signing_key(&key) {
        return None;
    }
    Some(StoredIdentity {
        device_id,
        salt,
        key,
        public_key,
    })
}

/// Whether `key` has the form of an uncompressed P-256 point. Whether it is on the curve
/// is for WebCrypto to find out: it refuses to import a key that is not, which
/// [`WebCryptoKeys::load`] reads as halves that differ.
fn is_p256_point(key: &PublicKey) -> bool {
    key.as_bytes().first() == Some(&0x04)
}
