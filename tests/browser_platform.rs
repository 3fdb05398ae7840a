//! Browser tests of the web platform implementations (`pinauth::web`), run in headless
//! Chromium by `wasm-pack test`: Web Storage, the `Date` clock, and WebCrypto device keys
//! persisted in IndexedDB.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use js_sys::{Object, Promise, Reflect, Uint8Array};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::VerifyingKey;
use pinauth::crypto::DeviceSalt;
use pinauth::platform::{
    random_bytes, Clock, DeviceKeys, KeyValueStore, LoadedIdentity, OsRng, StoredIdentity,
};
use pinauth::protocol::{Bytes, DeviceId};
use pinauth::web::{DateClock, WebCryptoKeys, WebStorage, DATABASE_NAME, STORE_NAME};
use pinauth::ErrorCode;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{CryptoKey, IdbDatabase, IdbFactory, IdbRequest, IdbTransactionMode};

wasm_bindgen_test_configure!(run_in_browser);

/// A name no other test (or earlier run in the same profile) uses.
fn unique(prefix: &str) -> String {
    let suffix: Bytes<8> = random_bytes(&OsRng).unwrap();
    format!("test-{prefix}-{}", suffix.to_base64url())
}

fn global<T: JsCast>(name: &str) -> T {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .unwrap()
        .dyn_into()
        .unwrap()
}

fn round_trip(store: &WebStorage, raw: &web_sys::Storage) {
    let key = unique("kv");
    assert_eq!(store.get(&key).unwrap(), None);
    store.remove(&key).unwrap();

    store.set(&key, "first").unwrap();
    assert_eq!(store.get(&key).unwrap().as_deref(), Some("first"));
    // The value really is in the browser's storage, unencoded.
    assert_eq!(raw.get_item(&key).unwrap().as_deref(), Some("first"));

    store.set(&key, "second ✓ ünïcode").unwrap();
    assert_eq!(
        store.get(&key).unwrap().as_deref(),
        Some("second ✓ ünïcode")
    );

    store.remove(&key).unwrap();
    assert_eq!(store.get(&key).unwrap(), None);
    assert_eq!(raw.get_item(&key).unwrap(), None);
    store.remove(&key).unwrap();
}

#[wasm_bindgen_test]
fn local_storage_round_trips_get_set_remove() {
    round_trip(&WebStorage::local().unwrap(), &global("localStorage"));
}

#[wasm_bindgen_test]
fn session_storage_round_trips_get_set_remove() {
    round_trip(&WebStorage::session().unwrap(), &global("sessionStorage"));
}

#[wasm_bindgen_test]
fn local_and_session_storage_are_separate() {
    let (local, session) = (WebStorage::local().unwrap(), WebStorage::session().unwrap());
    let key = unique("separate");
    session.set(&key, "session only").unwrap();
    assert_eq!(local.get(&key).unwrap(), None);
    session.remove(&key).unwrap();
}

#[wasm_bindgen_test]
fn a_write_over_the_quota_is_storage_unavailable_and_keeps_the_earlier_value() {
    let store = WebStorage::local().unwrap();
    let key = unique("quota");
    store.set(&key, "earlier").unwrap();

    let huge = "x".repeat(12 * 1024 * 1024);
    let error = store.set(&key, &huge).unwrap_err();
    assert_eq!(error.code(), ErrorCode::StorageUnavailable);

    assert_eq!(store.get(&key).unwrap().as_deref(), Some("earlier"));
    store.remove(&key).unwrap();
}

#[wasm_bindgen_test]
fn date_clock_reads_the_browser_clock() {
    let before = js_sys::Date::now();
    let now = DateClock.now_ms();
    let after = js_sys::Date::now();
    assert!(now > 1_600_000_000_000, "{now}");
    assert!(now as f64 >= before.floor() - 1_000.0 && now as f64 <= after + 1_000.0);
}

async fn new_identity(keys: &WebCryptoKeys) -> StoredIdentity<CryptoKey> {
    let (key, public_key) = keys.generate().await.unwrap();
    let device_id: DeviceId = random_bytes(&OsRng).unwrap();
    let salt: DeviceSalt = random_bytes(&OsRng).unwrap();
    StoredIdentity {
        device_id,
        salt,
        key,
        public_key,
    }
}

async fn found(keys: &WebCryptoKeys, app_id: &str) -> StoredIdentity<CryptoKey> {
    match keys.load(app_id).await.unwrap() {
        LoadedIdentity::Found(identity) => identity,
        other => panic!("expected a stored identity for {app_id}, got {other:?}"),
    }
}

async fn is_missing(keys: &WebCryptoKeys, app_id: &str) -> bool {
    matches!(keys.load(app_id).await.unwrap(), LoadedIdentity::Missing)
}

async fn is_corrupt(keys: &WebCryptoKeys, app_id: &str) -> bool {
    matches!(keys.load(app_id).await.unwrap(), LoadedIdentity::Corrupt)
}

#[wasm_bindgen_test]
async fn generated_keys_are_private_non_extractable_p256_signing_keys() {
    let (key, public_key) = WebCryptoKeys::new().generate().await.unwrap();
    assert_eq!(key.type_(), "private");
    assert!(!key.extractable());
    assert_eq!(public_key.as_bytes()[0], 0x04, "uncompressed SEC1");
    VerifyingKey::from_sec1_bytes(public_key.as_bytes()).unwrap();
}

#[wasm_bindgen_test]
async fn a_saved_identity_reloads_from_indexeddb_and_its_key_signs_verifiably() {
    let app = unique("persist");
    let writer = WebCryptoKeys::new();
    let identity = new_identity(&writer).await;
    assert!(writer.save_new(&app, &identity).await.unwrap());

    // A new instance has nothing in memory: what it finds comes from IndexedDB.
    let reader = WebCryptoKeys::new();
    let loaded = found(&reader, &app).await;
    assert_eq!(loaded.device_id, identity.device_id);
    assert_eq!(loaded.salt, identity.salt);
    assert_eq!(loaded.public_key, identity.public_key);
    assert!(!loaded.key.extractable());

    let verifying_key = VerifyingKey::from_sec1_bytes(loaded.public_key.as_bytes()).unwrap();
    let (mut high_s, mut low_s) = (0, 0);
    for i in 0..40 {
        let payload = format!("challenge {i}: {}", unique("payload")).into_bytes();
        let signature = reader.sign(&loaded.key, &payload).await.unwrap();
        let signature = p256::ecdsa::Signature::from_slice(signature.as_bytes()).unwrap();
        let is_high = signature.normalize_s().is_some();
        if is_high {
            high_s += 1;
        } else {
            low_s += 1;
        }
        if let Err(e) = verifying_key.verify(&payload, &signature) {
            panic!("p256 rejected WebCrypto signature {i} (high S: {is_high}): {e}");
        }
        assert!(
            verifying_key
                .verify(b"another payload", &signature)
                .is_err(),
            "a signature must not verify another payload"
        );
    }
    // WebCrypto does not normalize S, so both halves occur (each with probability
    // 1 - 2^-40 here): p256 accepted high-S signatures too.
    assert!(high_s > 0 && low_s > 0, "high S {high_s}, low S {low_s}");
    console_log!("p256 verified {high_s} high-S and {low_s} low-S WebCrypto signatures");

    // The key held by the first instance signs for the same public key.
    let signature = writer.sign(&identity.key, b"first").await.unwrap();
    let signature = p256::ecdsa::Signature::from_slice(signature.as_bytes()).unwrap();
    verifying_key.verify(b"first", &signature).unwrap();

    reader.delete(&app).await.unwrap();
}

async fn export_error_name(key: &CryptoKey, format: &str) -> String {
    let crypto: web_sys::Crypto = global("crypto");
    let promise = crypto.subtle().export_key(format, key).unwrap();
    let error = JsFuture::from(promise)
        .await
        .expect_err("exporting the private key must reject");
    Reflect::get(&error, &JsValue::from_str("name"))
        .unwrap()
        .as_string()
        .unwrap()
}

#[wasm_bindgen_test]
async fn the_private_key_cannot_be_exported_even_after_a_reload() {
    let keys = WebCryptoKeys::new();
    let app = unique("export");
    let identity = new_identity(&keys).await;
    assert!(keys.save_new(&app, &identity).await.unwrap());
    let loaded = found(&keys, &app).await;
    for key in [&identity.key, &loaded.key] {
        for format in ["pkcs8", "jwk"] {
            // InvalidAccessError is WebCrypto's answer for a non-extractable key.
            assert_eq!(export_error_name(key, format).await, "InvalidAccessError");
        }
    }
    keys.delete(&app).await.unwrap();
}

#[wasm_bindgen_test]
async fn app_ids_hold_distinct_identities_and_delete_is_idempotent() {
    let keys = WebCryptoKeys::new();
    let (one, two) = (unique("app-one"), unique("app-two"));
    assert!(is_missing(&keys, &one).await);
    let first = new_identity(&keys).await;
    let second = new_identity(&keys).await;
    assert!(keys.save_new(&one, &first).await.unwrap());
    assert!(keys.save_new(&two, &second).await.unwrap());

    let (a, b) = (found(&keys, &one).await, found(&keys, &two).await);
    assert_eq!(a.device_id, first.device_id);
    assert_eq!(b.device_id, second.device_id);
    assert_ne!(a.device_id, b.device_id);
    assert_ne!(a.public_key, b.public_key);

    // A second identity is not saved over the first (another tab's, made at the same
    // moment): the first stays.
    let replacement = new_identity(&keys).await;
    assert!(!keys.save_new(&one, &replacement).await.unwrap());
    assert_eq!(found(&keys, &one).await.public_key, first.public_key);

    keys.delete(&one).await.unwrap();
    assert!(is_missing(&keys, &one).await);
    assert_eq!(found(&keys, &two).await.device_id, second.device_id);
    keys.delete(&one).await.unwrap();
    keys.delete(&two).await.unwrap();
    assert!(is_missing(&keys, &two).await);
}

/// Waits for an IndexedDB request and returns its result.
async fn settled(request: &IdbRequest) -> JsValue {
    let done = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(done).await.unwrap();
    request.result().unwrap()
}

/// Writes `value` for `app_id` straight into the identity store, bypassing `save`.
async fn put_raw(app_id: &str, value: &JsValue) {
    // `delete` makes sure the database and its store exist.
    WebCryptoKeys::new().delete(app_id).await.unwrap();
    let factory: IdbFactory = global("indexedDB");
    let database: IdbDatabase = settled(&factory.open(DATABASE_NAME).unwrap())
        .await
        .dyn_into()
        .unwrap();
    let transaction = database
        .transaction_with_str_and_mode(STORE_NAME, IdbTransactionMode::Readwrite)
        .unwrap();
    let store = transaction.object_store(STORE_NAME).unwrap();
    settled(
        &store
            .put_with_key(value, &JsValue::from_str(app_id))
            .unwrap(),
    )
    .await;
    database.close();
}

fn set(record: &Object, name: &str, value: impl Into<JsValue>) {
    Reflect::set(record, &JsValue::from_str(name), &value.into()).unwrap();
}

/// A record in the documented format, written by hand.
fn record_of(identity: &StoredIdentity<CryptoKey>) -> Object {
    let record = Object::new();
    set(&record, "v", 1);
    set(&record, "deviceId", identity.device_id.to_base64url());
    set(
        &record,
        "salt",
        Uint8Array::from(identity.salt.as_bytes().as_slice()),
    );
    set(
        &record,
        "publicKey",
        Uint8Array::from(identity.public_key.as_bytes().as_slice()),
    );
    set(&record, "privateKey", identity.key.clone());
    record
}

/// A P-256 key pair made with WebCrypto directly: (private, public).
async fn raw_key_pair(extractable: bool) -> (CryptoKey, CryptoKey) {
    let crypto: web_sys::Crypto = global("crypto");
    let usages = js_sys::Array::new();
    usages.push(&JsValue::from_str("sign"));
    usages.push(&JsValue::from_str("verify"));
    let params = web_sys::EcKeyGenParams::new("ECDSA", "P-256");
    let pair = crypto
        .subtle()
        .generate_key_with_object(&params, extractable, &usages)
        .unwrap();
    let pair = JsFuture::from(pair).await.unwrap();
    let key = |name: &str| -> CryptoKey {
        Reflect::get(&pair, &JsValue::from_str(name))
            .unwrap()
            .dyn_into()
            .unwrap()
    };
    (key("privateKey"), key("publicKey"))
}

#[wasm_bindgen_test]
async fn malformed_records_in_indexeddb_load_as_corrupt() {
    let keys = WebCryptoKeys::new();
    let identity = new_identity(&keys).await;
    let (extractable_private, _) = raw_key_pair(true).await;
    let (_, public_key_object) = raw_key_pair(false).await;

    // The hand-written record is the documented format: unchanged, it loads.
    let app = unique("hand-written");
    put_raw(&app, &record_of(&identity)).await;
    let loaded = found(&keys, &app).await;
    assert_eq!(loaded.device_id, identity.device_id);
    assert_eq!(loaded.salt, identity.salt);
    keys.delete(&app).await.unwrap();

    let mutated = |change: &dyn Fn(&Object)| -> JsValue {
        let record = record_of(&identity);
        change(&record);
        record.into()
    };
    let cases: Vec<(&str, JsValue)> = vec![
        ("a string", JsValue::from_str("not an object")),
        ("null", JsValue::NULL),
        ("a number", JsValue::from(42)),
        ("an empty object", Object::new().into()),
        (
            "no privateKey",
            mutated(&|r| {
                Reflect::delete_property(r, &JsValue::from_str("privateKey")).unwrap();
            }),
        ),
        (
            "a 31-byte salt",
            mutated(&|r| set(r, "salt", Uint8Array::new_with_length(31))),
        ),
        (
            "a salt that is an array",
            mutated(&|r| set(r, "salt", js_sys::Array::new())),
        ),
        ("v: 2", mutated(&|r| set(r, "v", 2))),
        ("v: \"1\"", mutated(&|r| set(r, "v", "1"))),
        ("no v", {
            let record = record_of(&identity);
            Reflect::delete_property(&record, &JsValue::from_str("v")).unwrap();
            record.into()
        }),
        (
            "a deviceId that is not base64url",
            mutated(&|r| set(r, "deviceId", "!!!!!!!!!!!!!!!!!!!!!!")),
        ),
        (
            "a deviceId of the wrong length",
            mutated(&|r| set(r, "deviceId", "AAAA")),
        ),
        ("a numeric deviceId", mutated(&|r| set(r, "deviceId", 7))),
        (
            "a 64-byte public key",
            mutated(&|r| set(r, "publicKey", Uint8Array::new_with_length(64))),
        ),
        (
            "a public key that is not a curve point",
            mutated(&|r| {
                let bytes = Uint8Array::new_with_length(65);
                bytes.fill(0xff, 0, 65);
                bytes.set_index(0, 0x04);
                set(r, "publicKey", bytes);
            }),
        ),
        (
            "a privateKey that is a string",
            mutated(&|r| set(r, "privateKey", "secret")),
        ),
        (
            "a privateKey that is a public key",
            mutated(&|r| set(r, "privateKey", public_key_object.clone())),
        ),
        (
            "an extractable privateKey",
            mutated(&|r| set(r, "privateKey", extractable_private.clone())),
        ),
    ];
    for (what, value) in cases {
        let app = unique("corrupt");
        put_raw(&app, &value).await;
        assert!(
            is_corrupt(&keys, &app).await,
            "{what} should load as Corrupt"
        );
        keys.delete(&app).await.unwrap();
        assert!(is_missing(&keys, &app).await, "{what}: delete clears it");
    }
}

#[wasm_bindgen_test]
async fn two_tabs_that_create_the_identity_at_once_become_one_device() {
    // Two clients of one app id start at the same moment on a browser with no identity:
    // IndexedDB takes the first identity saved, and the other client uses it.
    let app = unique("together");
    let start = |app: String| {
        wasm_bindgen_futures::future_to_promise(async move {
            let keys = WebCryptoKeys::new();
            let loaded = pinauth::device::load_or_create(&keys, &pinauth::platform::OsRng, &app)
                .await
                .unwrap();
            assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
            Ok(JsValue::from_str(&loaded.identity.device_id.to_base64url()))
        })
    };
    let both = js_sys::Array::of2(&start(app.clone()), &start(app.clone()));
    let ids: js_sys::Array = JsFuture::from(Promise::all(&both))
        .await
        .unwrap()
        .unchecked_into();
    assert_eq!(ids.get(0), ids.get(1));
    let stored = found(&WebCryptoKeys::new(), &app).await;
    assert_eq!(
        JsValue::from_str(&stored.device_id.to_base64url()),
        ids.get(0)
    );
    WebCryptoKeys::new().delete(&app).await.unwrap();
}

/// Two tabs find the same corrupt record: the one that replaced it first keeps its new
/// identity, as the other one's removal of the corrupt record leaves a record that names
/// another device alone (it then finds that one saved).
#[wasm_bindgen_test]
async fn a_corrupt_record_another_tab_already_replaced_is_left_to_it() {
    let app = unique("corrupt-race");
    let first_tab = WebCryptoKeys::new();
    let second_tab = WebCryptoKeys::new();
    for named in [JsValue::from_str("not-a-device-id"), JsValue::UNDEFINED] {
        let corrupt = Object::new();
        set(&corrupt, "v", 1);
        if !named.is_undefined() {
            set(&corrupt, "deviceId", named);
        }
        put_raw(&app, &corrupt).await;
        assert!(is_corrupt(&first_tab, &app).await && is_corrupt(&second_tab, &app).await);
        // The second tab removes it and saves a new identity, before the first tab's removal.
        second_tab.delete_corrupt(&app).await.unwrap();
        assert!(is_missing(&second_tab, &app).await);
        let replacement = new_identity(&second_tab).await;
        assert!(second_tab.save_new(&app, &replacement).await.unwrap());
        first_tab.delete_corrupt(&app).await.unwrap();
        assert_eq!(
            found(&first_tab, &app).await.device_id,
            replacement.device_id
        );
    }
    // Alone, the removal takes the corrupt record away.
    put_raw(&app, &JsValue::from_str("corrupt")).await;
    assert!(is_corrupt(&first_tab, &app).await);
    first_tab.delete_corrupt(&app).await.unwrap();
    assert!(is_missing(&first_tab, &app).await);
    first_tab.delete(&app).await.unwrap();
}
