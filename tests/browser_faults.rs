//! Browser faults at the Rust seams, in headless Chromium (`wasm-pack test`): a
//! `localStorage` that is full or refuses every access, an IndexedDB that is missing or
//! fails to open, a device identity record whose halves do not match, and a persisted mock
//! backend whose snapshot cannot be written or read back.
//!
//! The faults are made by patching the page's own objects for the length of one test
//! ([`Patch`], undone when dropped, also when the test fails); the page-level versions
//! (overrides installed before the module loads, an opaque-origin iframe, two tabs) are
//! in `js-tests/browser/faults.test.mjs`. Clients here use the real browser platform of
//! [`pinauth::web::platform`] with one change: the clock is a [`ManualClock`] shared with
//! the backend, so "the access token expired" takes no waiting.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use pinauth::backend::{Backend, BackendConfig, BackendHost, LocalTransport};
use pinauth::client::{AuthState::*, Client, ClientConfig};
use pinauth::platform::{random_bytes, DeviceKeys, ManualClock, OsRng};
use pinauth::protocol::Bytes;
use pinauth::tokens::{AccessStorage, StorageChoice};
use pinauth::web::{platform, WebCryptoKeys, WebStorage, DATABASE_NAME, STORE_NAME};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

type WebClient = Client<WebCryptoKeys, LocalTransport>;

const ANN: &str = "ann@example.com";
const BOB: &str = "bob@example.com";
const PASSWORD: &str = "correct horse battery";
const PIN: &str = "730519";
const NEW_PIN: &str = "482916";

fn local() -> web_sys::Storage {
    js_sys::global()
        .unchecked_into::<web_sys::Window>()
        .local_storage()
        .unwrap()
        .unwrap()
}

/// An app id (or storage key part) no other test uses.
fn fresh_id() -> String {
    let id: Bytes<8> = random_bytes(&OsRng).unwrap();
    format!("f{}", id.to_base64url().replace(['-', '_'], "x"))
}

/// `text` as a JavaScript string literal.
fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// A change to the page made by a JavaScript function body that returns the function
/// undoing it; undone when dropped. A failing test aborts without dropping anything, so
/// every patch is also registered on the page and [`clean_page`] (called first by every
/// test) undoes what an earlier failed test left behind.
struct Patch(Function);

impl Patch {
    fn install(body: &str) -> Patch {
        let register = Function::new_with_args(
            "body",
            r#"const undo = new Function(body)();
            let done = false;
            const once = () => { if (!done) { done = true; undo(); } };
            (globalThis.__pinauthFaultPatches ??= []).push(once);
            return once;"#,
        );
        let undo = register
            .call1(&JsValue::NULL, &JsValue::from_str(body))
            .unwrap();
        Patch(
            undo.dyn_into()
                .expect("the patch returns its undo function"),
        )
    }
}

impl Drop for Patch {
    fn drop(&mut self) {
        let _ = self.0.call0(&JsValue::NULL);
    }
}

/// Undoes every patch still installed, newest first.
fn clean_page() {
    Function::new_no_args(
        r#"const patches = globalThis.__pinauthFaultPatches ?? [];
        while (patches.length) patches.pop()();"#,
    )
    .call0(&JsValue::NULL)
    .unwrap();
}

/// Replaces `window[name]` with a getter that throws a `SecurityError`, as in a sandboxed
/// frame or with site data blocked.
fn global_getter_throws(name: &str) -> Patch {
    let name = js_string(name);
    Patch::install(&format!(
        r#"const saved = Object.getOwnPropertyDescriptor(window, {name});
        Object.defineProperty(window, {name}, {{
          configurable: true,
          get() {{ throw new DOMException("The operation is insecure.", "SecurityError"); }},
        }});
        return () => saved ? Object.defineProperty(window, {name}, saved) : delete window[{name}];"#
    ))
}

/// Makes `Storage.prototype.setItem` throw a `QuotaExceededError` for keys starting with
/// `prefix` (the browser's own error for a full storage); other keys are written.
fn storage_full_for(prefix: &str) -> Patch {
    let prefix = js_string(prefix);
    Patch::install(&format!(
        r#"const setItem = Storage.prototype.setItem;
        Storage.prototype.setItem = function (key, value) {{
          if (String(key).startsWith({prefix})) {{
            throw new DOMException("Setting the value exceeded the quota.", "QuotaExceededError");
          }}
          return setItem.call(this, key, value);
        }};
        return () => {{ Storage.prototype.setItem = setItem; }};"#
    ))
}

/// Makes every method of `Storage` (and `length`) throw a `SecurityError`: the object is
/// handed out but every access is refused.
fn storage_refuses_every_access() -> Patch {
    Patch::install(
        r#"const proto = Storage.prototype;
        const names = ["getItem", "setItem", "removeItem", "key", "clear"];
        const saved = names.map((name) => proto[name]);
        const length = Object.getOwnPropertyDescriptor(proto, "length");
        const refuse = () => { throw new DOMException("Access is denied.", "SecurityError"); };
        for (const name of names) proto[name] = refuse;
        Object.defineProperty(proto, "length", { configurable: true, get: refuse });
        return () => {
          names.forEach((name, i) => { proto[name] = saved[i]; });
          Object.defineProperty(proto, "length", length);
        };"#,
    )
}

/// Makes `getItem`, `setItem` and `removeItem` throw for keys starting with `prefix`
/// (`length` still answers, so the storage opens and fails on first use).
fn storage_fails_on_use_for(prefix: &str) -> Patch {
    let prefix = js_string(prefix);
    Patch::install(&format!(
        r#"const proto = Storage.prototype;
        const names = ["getItem", "setItem", "removeItem"];
        const saved = names.map((name) => proto[name]);
        names.forEach((name, i) => {{
          proto[name] = function (key, ...rest) {{
            if (String(key).startsWith({prefix})) {{
              throw new DOMException("Access is denied.", "SecurityError");
            }}
            return saved[i].call(this, key, ...rest);
          }};
        }});
        return () => names.forEach((name, i) => {{ proto[name] = saved[i]; }});"#
    ))
}

/// The backend and the clock shared by the clients of one test.
struct World {
    clock: ManualClock,
    host: Rc<BackendHost>,
}

fn world() -> World {
    let clock = ManualClock::new(js_sys::Date::now() as u64);
    let config = BackendConfig::default().with_cheap_password_hashing();
    let backend = Backend::new(config, Box::new(clock.clone()), Box::new(OsRng)).unwrap();
    World {
        clock,
        host: Rc::new(BackendHost::in_memory(backend)),
    }
}

/// A client and the codes of the warnings it raised (including those raised by `create`).
struct Opened {
    client: WebClient,
    warnings: Rc<RefCell<Vec<&'static str>>>,
}

impl Opened {
    fn warnings(&self) -> Vec<&'static str> {
        self.warnings.borrow().clone()
    }
}

async fn open(world: &World, app_id: &str, storage: StorageChoice) -> Opened {
    let mut platform = platform(
        storage,
        AccessStorage::Memory,
        LocalTransport::new(world.host.clone()),
    );
    platform.clock = Rc::new(world.clock.clone());
    let config = ClientConfig {
        app_id: app_id.to_owned(),
        ..ClientConfig::default()
    };
    let client = Client::create(config, platform)
        .await
        .expect("create never fails because of the storage");
    let warnings = Rc::new(RefCell::new(Vec::new()));
    let sink = warnings.clone();
    client.on_warning(move |w| sink.borrow_mut().push(w.code));
    Opened { client, warnings }
}

/// Sign-in, PIN setup, re-authentication, unlock after the access token expired, a PIN
/// change and logout, all in this one client.
async fn every_flow_works(world: &World, opened: &Opened, email: &str) {
    let client = &opened.client;
    client.register(email, PASSWORD).await.unwrap();
    assert_eq!(
        client.login(email, PASSWORD).await.unwrap(),
        PinSetupRequired
    );
    client.set_pin(PIN).await.unwrap();
    assert_eq!(client.state(), SignedIn);
    client.reauthenticate(PIN).await.unwrap();

    world.clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(client.state(), PinRequired, "the access token expired");
    client.login_with_pin(PIN).await.unwrap();
    assert_eq!(client.state(), SignedIn);
    assert!(client.access_token().await.is_ok());
    client.change_pin(PIN, NEW_PIN).await.unwrap();
    client.reauthenticate(NEW_PIN).await.unwrap();
    client.logout().await.unwrap();
    assert_eq!(client.state(), SignedOut);
}

fn keys_with_prefix(prefix: &str) -> Vec<String> {
    let storage = local();
    (0..storage.length().unwrap())
        .filter_map(|i| storage.key(i).unwrap())
        .filter(|key| key.starts_with(prefix))
        .collect()
}

// ---- localStorage full or refused ----

#[wasm_bindgen_test]
async fn a_full_local_storage_falls_back_to_memory_and_every_flow_still_works() {
    clean_page();
    let world = world();
    let app_id = fresh_id();
    let prefix = format!("pinauth:{app_id}:");
    let _full = storage_full_for(&prefix);

    let opened = open(&world, &app_id, StorageChoice::Local).await;
    assert_eq!(
        opened.warnings(),
        Vec::<&str>::new(),
        "nothing was written yet"
    );
    every_flow_works(&world, &opened, ANN).await;
    assert_eq!(
        opened.warnings(),
        vec!["STORAGE_FALLBACK"],
        "reported once, at the first refused write"
    );
    assert!(keys_with_prefix(&prefix).is_empty());

    // The fallback is for this page: a reload finds no session, but the device identity
    // (IndexedDB) is kept, so a password login gives the PIN session at once.
    let reloaded = open(&world, &app_id, StorageChoice::Local).await;
    assert_eq!(reloaded.client.state(), SignedOut);
    assert_eq!(reloaded.client.device_id(), opened.client.device_id());
    assert_eq!(
        reloaded.client.login(ANN, PASSWORD).await.unwrap(),
        SignedIn
    );
    assert_eq!(reloaded.warnings(), vec!["STORAGE_FALLBACK"]);
    reloaded.client.reauthenticate(NEW_PIN).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_session_stored_before_the_storage_filled_up_is_kept_and_unlocks() {
    clean_page();
    let world = world();
    let app_id = fresh_id();
    let prefix = format!("pinauth:{app_id}:");
    let first = open(&world, &app_id, StorageChoice::Local).await;
    first.client.register(ANN, PASSWORD).await.unwrap();
    first.client.login(ANN, PASSWORD).await.unwrap();
    first.client.set_pin(PIN).await.unwrap();
    let stored = local().get_item(&format!("{prefix}v1:pinSession")).unwrap();
    assert!(stored.is_some());

    let _full = storage_full_for(&prefix);
    let later = open(&world, &app_id, StorageChoice::Local).await;
    assert_eq!(later.client.state(), PinRequired);
    later.client.login_with_pin(PIN).await.unwrap();
    assert_eq!(later.client.state(), SignedIn);
    later.client.reauthenticate(PIN).await.unwrap();
    assert_eq!(
        later.warnings(),
        Vec::<&str>::new(),
        "nothing needed writing"
    );
    assert_eq!(
        local().get_item(&format!("{prefix}v1:pinSession")).unwrap(),
        stored,
        "the stored session is untouched"
    );
}

#[wasm_bindgen_test]
async fn a_local_storage_that_refuses_every_access_falls_back_to_memory() {
    clean_page();
    type Fault = fn(&str) -> Patch;
    let faults: [(&str, Fault); 3] = [
        ("the localStorage getter throws", |_| {
            global_getter_throws("localStorage")
        }),
        ("every Storage method and length throw", |_| {
            storage_refuses_every_access()
        }),
        (
            "getItem, setItem and removeItem throw",
            storage_fails_on_use_for,
        ),
    ];
    for (what, fault) in faults {
        let world = world();
        let app_id = fresh_id();
        let prefix = format!("pinauth:{app_id}:");
        let patch = fault(&prefix);
        let opened = open(&world, &app_id, StorageChoice::Local).await;
        assert_eq!(opened.warnings(), vec!["STORAGE_FALLBACK"], "{what}");
        assert_eq!(opened.client.state(), SignedOut, "{what}");
        every_flow_works(&world, &opened, ANN).await;
        assert_eq!(
            opened.warnings(),
            vec!["STORAGE_FALLBACK"],
            "{what}: once only"
        );
        drop(patch);
        assert!(keys_with_prefix(&prefix).is_empty(), "{what}");
    }
}

#[wasm_bindgen_test]
async fn a_storage_that_starts_failing_while_signed_in_keeps_the_page_signed_in() {
    clean_page();
    let world = world();
    let app_id = fresh_id();
    let prefix = format!("pinauth:{app_id}:");
    let opened = open(&world, &app_id, StorageChoice::Local).await;
    opened.client.register(ANN, PASSWORD).await.unwrap();
    opened.client.login(ANN, PASSWORD).await.unwrap();
    opened.client.set_pin(PIN).await.unwrap();
    let stored = local().get_item(&format!("{prefix}v1:pinSession")).unwrap();

    let failing = storage_fails_on_use_for(&prefix);
    assert_eq!(
        opened.client.state(),
        SignedIn,
        "a failed read is not a logout"
    );
    assert_eq!(opened.warnings(), vec!["STORAGE_FALLBACK"]);
    opened.client.reauthenticate(PIN).await.unwrap();
    world.clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(
        opened.client.state(),
        PinRequired,
        "the session is kept in memory"
    );
    opened.client.login_with_pin(PIN).await.unwrap();
    assert_eq!(opened.client.state(), SignedIn);
    drop(failing);
    assert_eq!(
        local().get_item(&format!("{prefix}v1:pinSession")).unwrap(),
        stored,
        "the stored session (which the failing storage would not remove) is intact"
    );
    let reloaded = open(&world, &app_id, StorageChoice::Local).await;
    assert_eq!(reloaded.client.state(), PinRequired);
}

#[wasm_bindgen_test]
async fn a_session_storage_that_refuses_access_falls_back_to_memory() {
    clean_page();
    let world = world();
    let app_id = fresh_id();
    let _denied = global_getter_throws("sessionStorage");
    let opened = open(&world, &app_id, StorageChoice::Session).await;
    assert_eq!(opened.warnings(), vec!["STORAGE_FALLBACK"]);
    every_flow_works(&world, &opened, ANN).await;
}

// ---- IndexedDB unavailable ----

/// Makes `indexedDB.open` fail asynchronously (an `error` event, not a throw): it opens a
/// database that already exists at a newer version, which is a `VersionError`.
fn indexeddb_open_fails_later() -> Patch {
    let name = js_string(&format!("pinauth-fault-{}", fresh_id()));
    Patch::install(&format!(
        r#"const open = IDBFactory.prototype.open;
        // Open requests for one name are served in order: this one (version 2) first.
        const newer = open.call(indexedDB, {name}, 2);
        newer.onsuccess = () => newer.result.close();
        IDBFactory.prototype.open = function () {{ return open.call(this, {name}, 1); }};
        return () => {{
          IDBFactory.prototype.open = open;
          indexedDB.deleteDatabase({name});
        }};"#
    ))
}

fn indexeddb_open_throws() -> Patch {
    Patch::install(
        r#"const open = IDBFactory.prototype.open;
        IDBFactory.prototype.open = function () {
          throw new DOMException("The user denied permission to access the database.", "UnknownError");
        };
        return () => { IDBFactory.prototype.open = open; };"#,
    )
}

#[wasm_bindgen_test]
async fn without_indexeddb_the_identity_lives_for_the_page_and_every_flow_works() {
    clean_page();
    type Fault = fn() -> Patch;
    let faults: [(&str, Fault); 3] = [
        ("the indexedDB getter throws", || {
            global_getter_throws("indexedDB")
        }),
        ("indexedDB.open throws", indexeddb_open_throws),
        (
            "indexedDB.open fails with an error event",
            indexeddb_open_fails_later,
        ),
    ];
    for (what, fault) in faults {
        let world = world();
        let app_id = fresh_id();
        let patch = fault();
        let opened = open(&world, &app_id, StorageChoice::Local).await;
        assert_eq!(opened.warnings(), vec!["DEVICE_NOT_PERSISTED"], "{what}");
        every_flow_works(&world, &opened, ANN).await;
        assert_eq!(opened.warnings(), vec!["DEVICE_NOT_PERSISTED"], "{what}");

        // The next page is another device: it must set its own PIN.
        let next = open(&world, &app_id, StorageChoice::Local).await;
        assert_ne!(next.client.device_id(), opened.client.device_id(), "{what}");
        assert_eq!(next.warnings(), vec!["DEVICE_NOT_PERSISTED"], "{what}");
        assert_eq!(
            next.client.login(ANN, PASSWORD).await.unwrap(),
            PinSetupRequired,
            "{what}"
        );
        next.client.forget_device().await.unwrap();
        assert_eq!(next.client.state(), SignedOut, "{what}");
        drop(patch);

        // Once IndexedDB works again nothing stale is left: a new identity, no warning.
        let restored = open(&world, &app_id, StorageChoice::Local).await;
        assert_eq!(restored.warnings(), Vec::<&str>::new(), "{what}");
        WebCryptoKeys::new().delete(&app_id).await.unwrap();
    }
}

#[wasm_bindgen_test]
async fn without_indexeddb_a_second_page_does_not_sign_the_first_out() {
    clean_page();
    let world = world();
    let app_id = fresh_id();
    let _no_indexeddb = global_getter_throws("indexedDB");
    let first = open(&world, &app_id, StorageChoice::Local).await;
    first.client.register(ANN, PASSWORD).await.unwrap();
    first.client.login(ANN, PASSWORD).await.unwrap();
    first.client.set_pin(PIN).await.unwrap();
    assert_eq!(first.client.state(), SignedIn);

    // A second page (another tab, or this one reloaded) is another device identity. The
    // first page's PIN session belongs to an identity nobody else can ever load, so it is
    // not left in localStorage, where it would take the place of another page's session.
    let second = open(&world, &app_id, StorageChoice::Local).await;
    assert_eq!(second.warnings(), vec!["DEVICE_NOT_PERSISTED"]);
    assert_eq!(second.client.state(), SignedOut);
    assert_eq!(
        first.client.state(),
        SignedIn,
        "the first page is unaffected"
    );
    first.client.reauthenticate(PIN).await.unwrap();
    assert!(keys_with_prefix(&format!("pinauth:{app_id}:")).is_empty());
}

// ---- a device identity record whose halves do not match ----

/// Waits for an IndexedDB request and returns its result.
async fn settled(request: &web_sys::IdbRequest) -> JsValue {
    let done = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(done).await.unwrap();
    request.result().unwrap()
}

/// Writes `record` for `app_id` straight into the identity store.
async fn put_raw(app_id: &str, record: &JsValue) {
    WebCryptoKeys::new().delete(app_id).await.unwrap(); // creates the store if need be
    let factory: web_sys::IdbFactory = Reflect::get(&js_sys::global(), &"indexedDB".into())
        .unwrap()
        .dyn_into()
        .unwrap();
    let database: web_sys::IdbDatabase = settled(&factory.open(DATABASE_NAME).unwrap())
        .await
        .dyn_into()
        .unwrap();
    let transaction = database
        .transaction_with_str_and_mode(STORE_NAME, web_sys::IdbTransactionMode::Readwrite)
        .unwrap();
    let store = transaction.object_store(STORE_NAME).unwrap();
    settled(&store.put_with_key(record, &app_id.into()).unwrap()).await;
    database.close();
}

#[wasm_bindgen_test]
async fn a_record_whose_private_key_does_not_match_its_public_key_is_a_new_device() {
    clean_page();
    // Every field is well-formed, but the private key is from another pair: a device that
    // kept it could never set a PIN (the backend checks signatures against the public key).
    let keys = WebCryptoKeys::new();
    let (private_key, _) = keys.generate().await.unwrap();
    let (_, other_public) = keys.generate().await.unwrap();
    let record = Object::new();
    let device_id: Bytes<16> = random_bytes(&OsRng).unwrap();
    let salt: Bytes<32> = random_bytes(&OsRng).unwrap();
    let fields: [(&str, JsValue); 5] = [
        ("v", 1.into()),
        ("deviceId", device_id.to_base64url().into()),
        ("salt", Uint8Array::from(salt.as_bytes().as_slice()).into()),
        (
            "publicKey",
            Uint8Array::from(other_public.as_bytes().as_slice()).into(),
        ),
        ("privateKey", private_key.into()),
    ];
    for (name, value) in fields {
        Reflect::set(&record, &name.into(), &value).unwrap();
    }
    let app_id = fresh_id();
    put_raw(&app_id, &record).await;

    let world = world();
    let opened = open(&world, &app_id, StorageChoice::Local).await;
    assert_eq!(opened.warnings(), vec!["DEVICE_RESET"]);
    assert_ne!(
        opened.client.device_id().to_base64url(),
        device_id.to_base64url()
    );
    every_flow_works(&world, &opened, ANN).await;
    let reloaded = open(&world, &app_id, StorageChoice::Local).await;
    assert_eq!(reloaded.client.device_id(), opened.client.device_id());
    assert_eq!(reloaded.warnings(), Vec::<&str>::new());
    keys.delete(&app_id).await.unwrap();
}

// ---- the persisted mock backend ----

fn persisted_host(key: &str) -> BackendHost {
    let config = BackendConfig::default().with_cheap_password_hashing();
    let backend = Backend::new(config, Box::new(pinauth::web::DateClock), Box::new(OsRng)).unwrap();
    BackendHost::persistent(backend, Box::new(WebStorage::local().unwrap()), key)
}

/// The error code of a JSON response, or "ok".
fn outcome(response: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(response).unwrap();
    match value.get("error") {
        Some(error) => error["code"].as_str().unwrap().to_owned(),
        None => {
            assert!(value.get("ok").is_some(), "{response}");
            "ok".to_owned()
        }
    }
}

async fn register(host: &BackendHost, email: &str) -> String {
    let request =
        serde_json::json!({ "endpoint": "register", "email": email, "password": PASSWORD });
    outcome(&host.handle_json(&request.to_string()).await)
}

async fn login(host: &BackendHost, email: &str) -> String {
    let request = serde_json::json!({
        "endpoint": "login", "email": email, "password": PASSWORD, "deviceId": "AAAAAAAAAAAAAAAAAAAAAA",
    });
    outcome(&host.handle_json(&request.to_string()).await)
}

fn restores(snapshot: &str) -> bool {
    let config = BackendConfig::default().with_cheap_password_hashing();
    Backend::restore(
        snapshot,
        config,
        Box::new(pinauth::web::DateClock),
        Box::new(OsRng),
    )
    .is_ok()
}

#[wasm_bindgen_test]
async fn a_failed_snapshot_write_fails_the_request_and_leaves_the_stored_snapshot_intact() {
    clean_page();
    let key = format!("pinauth-faults-server:{}", fresh_id());
    let host = persisted_host(&key);
    assert_eq!(register(&host, ANN).await, "ok");
    let before = local().get_item(&key).unwrap().unwrap();

    {
        let _full = storage_full_for(&key);
        assert_eq!(register(&host, BOB).await, "STORAGE_UNAVAILABLE");
        assert_eq!(login(&host, ANN).await, "STORAGE_UNAVAILABLE");
        // A request that changes nothing needs no write: reading still works.
        assert_eq!(
            host.with_backend(|b| Ok(b.devices_of(ANN).len())).unwrap(),
            0,
            "Ann has no device yet"
        );
        assert_eq!(
            local().get_item(&key).unwrap().unwrap(),
            before,
            "byte for byte"
        );
    }
    // Nothing of the failed requests took effect: Bob can register now, once.
    assert_eq!(register(&host, BOB).await, "ok");
    assert_eq!(register(&host, BOB).await, "EMAIL_TAKEN");
    assert_eq!(login(&host, ANN).await, "ok");
    local().remove_item(&key).unwrap();
}

#[wasm_bindgen_test]
async fn a_failed_first_snapshot_write_leaves_no_trace_either() {
    clean_page();
    // With no snapshot stored yet, the state in memory is all there is: a failed request
    // must not leave its changes there either.
    let key = format!("pinauth-faults-server:{}", fresh_id());
    let host = persisted_host(&key);
    {
        let _full = storage_full_for(&key);
        assert_eq!(register(&host, ANN).await, "STORAGE_UNAVAILABLE");
        assert_eq!(local().get_item(&key).unwrap(), None);
    }
    assert_eq!(
        register(&host, ANN).await,
        "ok",
        "the failed registration left nothing"
    );
    assert_eq!(register(&host, ANN).await, "EMAIL_TAKEN");
    local().remove_item(&key).unwrap();
}

#[wasm_bindgen_test]
async fn an_unreadable_stored_snapshot_fails_the_request_and_is_left_alone() {
    clean_page();
    let key = format!("pinauth-faults-server:{}", fresh_id());
    let host = persisted_host(&key);
    assert_eq!(register(&host, ANN).await, "ok");
    let before = local().get_item(&key).unwrap().unwrap();
    {
        let _denied = storage_fails_on_use_for(&key);
        assert_eq!(register(&host, BOB).await, "STORAGE_UNAVAILABLE");
    }
    assert_eq!(local().get_item(&key).unwrap().unwrap(), before);
    assert_eq!(register(&host, BOB).await, "ok");
    local().remove_item(&key).unwrap();
}

#[wasm_bindgen_test]
async fn a_corrupt_stored_snapshot_is_replaced_by_the_last_good_state_in_memory() {
    clean_page();
    let key = format!("pinauth-faults-server:{}", fresh_id());
    let host = persisted_host(&key);
    assert_eq!(register(&host, ANN).await, "ok");
    let good = local().get_item(&key).unwrap().unwrap();
    let newer_version = good.replacen("\"version\":2", "\"version\":3", 1);
    assert_ne!(newer_version, good);
    let truncated = &good[..good.len() / 2];
    let with_unknown_field = good.replacen('{', "{\"extra\":true,", 1);
    let corrupt = [
        "",
        "{",
        "null",
        "[]",
        "42",
        "\"text\"",
        "{}",
        "\u{0}\u{fffd}",
        truncated,
        newer_version.as_str(),
        with_unknown_field.as_str(),
    ];
    for (i, garbage) in corrupt.iter().enumerate() {
        local().set_item(&key, garbage).unwrap();
        // This tab still knows Ann: the request is answered from the last good state...
        assert_eq!(login(&host, ANN).await, "ok", "case {i}");
        // ...which the successful request wrote back over the unreadable value.
        let stored = local().get_item(&key).unwrap().unwrap();
        assert!(restores(&stored), "case {i}: a readable snapshot again");
        let bob = format!("bob{i}@example.com");
        assert_eq!(register(&host, &bob).await, "ok", "case {i}");
    }

    // A tab with no good state of its own starts from an empty one: the unreadable
    // snapshot's accounts are gone (they could not be read), and the backend works.
    local().set_item(&key, "{").unwrap();
    let other_tab = persisted_host(&key);
    assert_eq!(login(&other_tab, ANN).await, "INVALID_CREDENTIALS");
    assert_eq!(register(&other_tab, ANN).await, "ok");
    assert!(restores(&local().get_item(&key).unwrap().unwrap()));
    local().remove_item(&key).unwrap();
}
