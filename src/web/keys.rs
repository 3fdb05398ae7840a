//! The device key: a non-extractable WebCrypto ECDSA P-256 key, and the device identity
//! kept in IndexedDB.
//!
//! IndexedDB is driven through `web-sys` directly, by [`super::idb`] (why, there).
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

use super::idb::Database;
use super::{global_property, property};
use crate::crypto::DeviceSalt;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::{DeviceKeys, LoadedIdentity, StoredIdentity};
use crate::protocol::{Bytes, DeviceId, PublicKey, Signature};
use js_sys::{Array, ArrayBuffer, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, IdbTransactionMode, SubtleCrypto};
use zeroize::Zeroizing;

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
#[derive(Clone, Copy, Debug, Default)]
pub struct WebCryptoKeys;

impl WebCryptoKeys {
    /// Device keys over the browser's `crypto.subtle` and `indexedDB`.
    pub fn new() -> Self {
        WebCryptoKeys
    }
}

fn key_error(message: &'static str) -> Error {
    Error::with_message(ErrorCode::DeviceKeyUnavailable, message)
}

fn subtle() -> Result<SubtleCrypto> {
    global_property::<web_sys::Crypto>("crypto")
        .and_then(|crypto| property::<SubtleCrypto>(&crypto, "subtle"))
        .ok_or_else(|| key_error("WebCrypto is not available here (it needs a secure context)."))
}

/// Awaits a promise returned by a WebCrypto call.
async fn settle(
    promise: std::result::Result<Promise, JsValue>,
    failure: &'static str,
) -> Result<JsValue> {
    let promise = promise.map_err(|_| key_error(failure))?;
    JsFuture::from(promise)
        .await
        .map_err(|_| key_error(failure))
}

/// Exactly `N` bytes from a typed array, or `None` for another length.
fn fixed_bytes<const N: usize>(array: &Uint8Array) -> Option<Bytes<N>> {
    if usize::try_from(array.length()).ok()? != N {
        return None;
    }
    let copy = Zeroizing::new(array.to_vec());
    Bytes::from_slice(&copy).ok()
}

fn string_property(target: &JsValue, name: &str) -> Option<String> {
    Reflect::get(target, &JsValue::from_str(name))
        .ok()?
        .as_string()
}

impl DeviceKeys for WebCryptoKeys {
    type Key = CryptoKey;

    async fn generate(&self) -> Result<(CryptoKey, PublicKey)> {
        let subtle = subtle()?;
        let params = web_sys::EcKeyGenParams::new("ECDSA", "P-256");
        let usages = Array::new();
        usages.push(&JsValue::from_str("sign"));
        usages.push(&JsValue::from_str("verify"));
        let pair = settle(
            subtle.generate_key_with_object(&params, false, &usages),
            "WebCrypto could not generate a P-256 key.",
        )
        .await?;
        let (Some(private_key), Some(public)) = (
            property::<CryptoKey>(&pair, "privateKey"),
            property::<CryptoKey>(&pair, "publicKey"),
        ) else {
            return Err(key_error("WebCrypto returned no key pair."));
        };
        let raw = settle(
            subtle.export_key("raw", &public),
            "WebCrypto could not export the public key.",
        )
        .await?;
        let public_key = raw
            .dyn_ref::<ArrayBuffer>()
            .and_then(|buffer| fixed_bytes(&Uint8Array::new(buffer)))
            .ok_or_else(|| key_error("WebCrypto exported a malformed public key."))?;
        Ok((private_key, public_key))
    }

    async fn sign(&self, key: &CryptoKey, payload: &[u8]) -> Result<Signature> {
        let subtle = subtle()?;
        let params = web_sys::EcdsaParams::new_with_str("ECDSA", "SHA-256");
        let signature = settle(
            subtle.sign_with_object_and_u8_array(&params, key, payload),
            "WebCrypto could not sign with the device key.",
        )
        .await?;
        signature
            .dyn_ref::<ArrayBuffer>()
            .and_then(|buffer| fixed_bytes(&Uint8Array::new(buffer)))
            .ok_or_else(|| key_error("WebCrypto returned a malformed signature."))
    }

    async fn load(&self, app_id: &str) -> Result<LoadedIdentity<CryptoKey>> {
        let id = JsValue::from_str(app_id);
        let record = IDENTITIES
            .run(IdbTransactionMode::Readonly, |store| store.get(&id))
            .await?;
        if record.is_undefined() {
            return Ok(LoadedIdentity::Missing);
        }
        Ok(match read_record(&record) {
            Some(identity) if !self.halves_differ(&identity).await => {
                LoadedIdentity::Found(identity)
            }
            _ => LoadedIdentity::Corrupt,
        })
    }

    async fn save(&self, app_id: &str, identity: &StoredIdentity<CryptoKey>) -> Result<()> {
        let record = write_record(identity)?;
        let id = JsValue::from_str(app_id);
        IDENTITIES
            .run(IdbTransactionMode::Readwrite, |store| {
                store.put_with_key(&record, &id)
            })
            .await
            .map(drop)
    }

    async fn delete(&self, app_id: &str) -> Result<()> {
        let id = JsValue::from_str(app_id);
        IDENTITIES
            .run(IdbTransactionMode::Readwrite, |store| store.delete(&id))
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
        const PAYLOAD: &[u8] = b"pinauth/v1/device-key-check";
        let Ok(signature) = self.sign(&identity.key, PAYLOAD).await else {
            return false;
        };
        let Ok(subtle) = subtle() else {
            return false;
        };
        let algorithm = Object::new();
        for (name, value) in [("name", "ECDSA"), ("namedCurve", "P-256")] {
            if Reflect::set(&algorithm, &name.into(), &value.into()).is_err() {
                return false;
            }
        }
        let usages = Array::of1(&JsValue::from_str("verify"));
        let raw = Uint8Array::from(identity.public_key.as_bytes().as_slice());
        let imported = settle(
            subtle.import_key_with_object("raw", &raw, &algorithm, true, &usages),
            "WebCrypto could not import the public key.",
        )
        .await;
        let Some(public) = imported
            .ok()
            .and_then(|key| key.dyn_into::<CryptoKey>().ok())
        else {
            return false;
        };
        let params = web_sys::EcdsaParams::new_with_str("ECDSA", "SHA-256");
        let verified = settle(
            subtle.verify_with_object_and_u8_array_and_u8_array(
                &params,
                &public,
                signature.as_bytes(),
                PAYLOAD,
            ),
            "WebCrypto could not verify a signature.",
        )
        .await;
        verified.is_ok_and(|valid| valid.as_bool() == Some(false))
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
/// checked by [`WebCryptoKeys::halves_differ`].)
fn read_record(record: &JsValue) -> Option<StoredIdentity<CryptoKey>> {
    if !record.is_object() {
        return None;
    }
    let version = Reflect::get(record, &JsValue::from_str("v")).ok()?;
    if version.as_f64() != Some(f64::from(RECORD_VERSION)) {
        return None;
    }
    let device_id = DeviceId::from_base64url(&string_property(record, "deviceId")?).ok()?;
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

/// Whether `key` is an uncompressed P-256 point: on the curve where the `p256` crate is
/// built in (with the mock backend), by its form in a client-only build.
fn is_p256_point(key: &PublicKey) -> bool {
    #[cfg(feature = "mock-backend")]
    return p256::ecdsa::VerifyingKey::from_sec1_bytes(key.as_bytes()).is_ok();
    #[cfg(not(feature = "mock-backend"))]
    return key.as_bytes().first() == Some(&0x04);
}

/// Whether `key` is what [`WebCryptoKeys::generate`] makes: a non-extractable private
/// ECDSA P-256 key usable for signing.
fn is_device_signing_key(key: &CryptoKey) -> bool {
    let Ok(algorithm) = key.algorithm() else {
        return false;
    };
    key.type_() == "private"
        && !key.extractable()
        && string_property(&algorithm, "name").as_deref() == Some("ECDSA")
        && string_property(&algorithm, "namedCurve").as_deref() == Some("P-256")
        && key.usages().includes(&JsValue::from_str("sign"), 0)
}
