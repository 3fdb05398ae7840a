//! The client in headless Chromium over the real browser seams: localStorage and
//! sessionStorage, WebCrypto keys in IndexedDB, `storage` events and the expiry timer.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::register_on;
use pinauth::backend::{Backend, BackendConfig, BackendHost, LocalTransport};
use pinauth::client::{AuthState, AuthState::*, Client, ClientConfig};
use pinauth::platform::{random_bytes, OsRng};
use pinauth::protocol::Bytes;
use pinauth::tokens::{AccessStorage, StorageChoice};
use pinauth::web::{platform, watch, DateClock, WebCryptoKeys};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

type WebClient = Client<WebCryptoKeys, LocalTransport>;

const ANN: &str = "ann@example.com";
const PASSWORD: &str = "correct horse battery";
const PIN: &str = "730519";

fn window() -> web_sys::Window {
    js_sys::global().unchecked_into()
}

fn local() -> web_sys::Storage {
    window().local_storage().unwrap().unwrap()
}

fn session_storage() -> web_sys::Storage {
    window().session_storage().unwrap().unwrap()
}

/// An app id no other test uses, so tests share no storage or identity.
fn fresh_app_id() -> String {
    let id: Bytes<8> = random_bytes(&OsRng).unwrap();
    format!("t{}", id.to_base64url().replace(['-', '_'], "x"))
}

fn backend(config: BackendConfig) -> Rc<BackendHost> {
    let backend = Backend::new(config, Box::new(DateClock), Box::new(OsRng)).unwrap();
    Rc::new(BackendHost::in_memory(backend))
}

async fn open(host: &Rc<BackendHost>, app_id: &str, storage: StorageChoice) -> WebClient {
    open_with(host, app_id, storage, AccessStorage::Memory).await
}

async fn open_with(
    host: &Rc<BackendHost>,
    app_id: &str,
    storage: StorageChoice,
    access: AccessStorage,
) -> WebClient {
    let config = ClientConfig {
        app_id: app_id.to_owned(),
        ..ClientConfig::default()
    };
    let transport = LocalTransport::new(host.clone());
    Client::create(config, platform(storage, access, transport))
        .await
        .unwrap()
}

/// Registers Ann and signs her in with a PIN; the WebCrypto signatures verify in the backend.
async fn enrolled(host: &Rc<BackendHost>, app_id: &str, storage: StorageChoice) -> WebClient {
    let client = open(host, app_id, storage).await;
    client.register(ANN, PASSWORD).await.unwrap();
    assert_eq!(client.login(ANN, PASSWORD).await.unwrap(), PinSetupRequired);
    client.set_pin(PIN).await.unwrap();
    assert_eq!(client.state(), SignedIn);
    client
}

fn keys_with_prefix(storage: &web_sys::Storage, prefix: &str) -> Vec<String> {
    (0..storage.length().unwrap())
        .filter_map(|i| storage.key(i).unwrap())
        .filter(|key| key.starts_with(prefix))
        .collect()
}

fn record_states(client: &WebClient) -> Rc<RefCell<Vec<AuthState>>> {
    let states = Rc::new(RefCell::new(Vec::new()));
    let sink = states.clone();
    client.on_state_change(move |s| sink.borrow_mut().push(*s));
    states
}

async fn sleep(duration: Duration) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                duration.as_millis() as i32,
            )
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn identity_and_session_survive_a_reload_over_local_storage_and_indexeddb() {
    let host = backend(BackendConfig::default().with_cheap_password_hashing());
    let app_id = fresh_app_id();
    let first = enrolled(&host, &app_id, StorageChoice::Local).await;
    let prefix = format!("pinauth:{app_id}:v1:");
    assert_eq!(
        keys_with_prefix(&local(), &prefix),
        vec![format!("{prefix}pinSession")]
    );

    let reloaded = open(&host, &app_id, StorageChoice::Local).await;
    assert_eq!(reloaded.device_id(), first.device_id());
    assert_eq!(reloaded.state(), PinRequired);
    reloaded.login_with_pin(PIN).await.unwrap();
    assert_eq!(reloaded.state(), SignedIn);
    assert!(reloaded.access_token().await.is_ok());
    let token = reloaded.reauthenticate(PIN).await.unwrap();
    assert!(token.expires_at > js_sys::Date::now() as u64);
}

#[wasm_bindgen_test]
async fn the_signed_in_email_is_lowercased_as_the_backend_stores_it() {
    // The client lowercases with JavaScript's `toLowerCase`, the backend with Rust's: the
    // same Unicode mapping, so a reload shows the address the account is kept under.
    let host = backend(BackendConfig::default().with_cheap_password_hashing());
    let app_id = fresh_app_id();
    let client = open(&host, &app_id, StorageChoice::Local).await;
    client
        .register(" Ärla@Exämple.COM", PASSWORD)
        .await
        .unwrap();
    let state = client.login("ÄRLA@EXÄMPLE.com ", PASSWORD).await.unwrap();
    assert_eq!(state, PinSetupRequired);
    assert_eq!(client.user().unwrap().email, "ärla@exämple.com");
    client.set_pin(PIN).await.unwrap();
    let reloaded = open(&host, &app_id, StorageChoice::Local).await;
    assert_eq!(reloaded.user().unwrap().email, "ärla@exämple.com");
    let devices = host.with_backend(|b| Ok(b.devices_of("ärla@exämple.com")));
    assert_eq!(devices.unwrap().len(), 1);
}

#[wasm_bindgen_test]
async fn an_access_token_in_session_storage_survives_a_reload_of_this_tab_only() {
    let host = backend(BackendConfig::default().with_cheap_password_hashing());
    let app_id = fresh_app_id();
    let prefix = format!("pinauth:{app_id}:v1:");
    let first = open_with(&host, &app_id, StorageChoice::Local, AccessStorage::Session).await;
    first.register(ANN, PASSWORD).await.unwrap();
    assert_eq!(first.login(ANN, PASSWORD).await.unwrap(), PinSetupRequired);
    first.set_pin(PIN).await.unwrap();
    let token = first.access_token().await.unwrap();
    assert_eq!(
        keys_with_prefix(&session_storage(), &prefix),
        vec![format!("{prefix}access")]
    );
    assert_eq!(
        keys_with_prefix(&local(), &prefix),
        vec![format!("{prefix}pinSession")],
        "the access token never goes to localStorage"
    );

    // A reload of the tab: signed in at once, with the same token, no PIN asked.
    let reloaded = open_with(&host, &app_id, StorageChoice::Local, AccessStorage::Session).await;
    assert_eq!(reloaded.state(), SignedIn);
    assert!(reloaded.access_token().await.unwrap() == token);
    // The default (memory) does not read it: that page asks for the PIN.
    assert_eq!(
        open(&host, &app_id, StorageChoice::Local).await.state(),
        PinRequired
    );

    // Logging out empties the slot: the next reload is signed out.
    reloaded.logout().await.unwrap();
    assert!(keys_with_prefix(&session_storage(), &prefix).is_empty());
    let after = open_with(&host, &app_id, StorageChoice::Local, AccessStorage::Session).await;
    assert_eq!(after.state(), SignedOut);
}

#[wasm_bindgen_test]
async fn corrupted_storage_values_give_a_fresh_state_and_a_warning() {
    let host = backend(BackendConfig::default().with_cheap_password_hashing());
    let app_id = fresh_app_id();
    enrolled(&host, &app_id, StorageChoice::Local).await;
    let key = format!("pinauth:{app_id}:v1:pinSession");
    for garbage in ["", "{", "[]", "{\"deviceId\":\"AAAA\"}", "\u{0}"] {
        local().set_item(&key, garbage).unwrap();
        let client = open(&host, &app_id, StorageChoice::Local).await;
        let warnings = Rc::new(RefCell::new(Vec::new()));
        let sink = warnings.clone();
        client.on_warning(move |w| sink.borrow_mut().push(w.code));
        assert_eq!(client.state(), SignedOut, "{garbage:?}");
        assert_eq!(*warnings.borrow(), vec!["STORAGE_CORRUPT"], "{garbage:?}");
        assert_eq!(
            local().get_item(&key).unwrap(),
            None,
            "the bad value is gone"
        );
    }
}

#[wasm_bindgen_test]
async fn session_and_memory_storage_keep_nothing_in_local_storage() {
    let host = backend(BackendConfig::default().with_cheap_password_hashing());

    let in_tab = fresh_app_id();
    enrolled(&host, &in_tab, StorageChoice::Session).await;
    let prefix = format!("pinauth:{in_tab}:");
    assert!(keys_with_prefix(&local(), &prefix).is_empty());
    assert_eq!(keys_with_prefix(&session_storage(), &prefix).len(), 1);
    assert_eq!(
        open(&host, &in_tab, StorageChoice::Session).await.state(),
        PinRequired
    );

    let host = backend(BackendConfig::default().with_cheap_password_hashing());
    let in_memory = fresh_app_id();
    enrolled(&host, &in_memory, StorageChoice::Memory).await;
    let prefix = format!("pinauth:{in_memory}:");
    assert!(keys_with_prefix(&local(), &prefix).is_empty());
    assert!(keys_with_prefix(&session_storage(), &prefix).is_empty());
    let reloaded = open(&host, &in_memory, StorageChoice::Memory).await;
    assert_eq!(reloaded.state(), SignedOut, "nothing outlived the page");
    // The device identity (IndexedDB) did: a password login gives the session directly.
    assert_eq!(reloaded.login(ANN, PASSWORD).await.unwrap(), SignedIn);
}

#[wasm_bindgen_test]
async fn a_storage_event_from_another_tab_changes_the_state() {
    let host = backend(BackendConfig::default().with_cheap_password_hashing());
    let app_id = fresh_app_id();
    let client = Rc::new(enrolled(&host, &app_id, StorageChoice::Local).await);
    let states = record_states(&client);
    let _watch = watch(&client).unwrap();
    let key = format!("pinauth:{app_id}:v1:pinSession");
    let saved = local().get_item(&key).unwrap().unwrap();

    // Another tab logs out: it removes the session and this window gets a `storage` event.
    let dispatch = || {
        let init = web_sys::StorageEventInit::new();
        init.set_key(Some(&key));
        let event = web_sys::StorageEvent::new_with_event_init_dict("storage", &init).unwrap();
        window().dispatch_event(&event).unwrap();
    };
    local().remove_item(&key).unwrap();
    dispatch();
    assert_eq!(*states.borrow(), vec![SignedOut]);

    // Another tab signs in: the session reappears and this tab asks for the PIN.
    local().set_item(&key, &saved).unwrap();
    dispatch();
    assert_eq!(*states.borrow(), vec![SignedOut, PinRequired]);

    // Events for other keys are ignored.
    let init = web_sys::StorageEventInit::new();
    init.set_key(Some("somebody:else"));
    local().remove_item(&key).unwrap();
    let event = web_sys::StorageEvent::new_with_event_init_dict("storage", &init).unwrap();
    window().dispatch_event(&event).unwrap();
    assert_eq!(states.borrow().len(), 2);
}

#[wasm_bindgen_test]
async fn the_timer_moves_the_state_when_the_access_token_expires() {
    let config = BackendConfig {
        access_token_ttl: Duration::from_secs(2),
        ..BackendConfig::default().with_cheap_password_hashing()
    };
    let host = backend(config);
    let client = Rc::new(enrolled(&host, &fresh_app_id(), StorageChoice::Local).await);
    let states = record_states(&client);
    let watch = watch(&client).unwrap();
    sleep(Duration::from_millis(3500)).await;
    assert_eq!(*states.borrow(), vec![PinRequired], "no call was needed");

    // Once the watch is dropped the client is left alone.
    drop(watch);
    client.login_with_pin(PIN).await.unwrap();
    sleep(Duration::from_millis(3500)).await;
    assert_eq!(*states.borrow(), vec![PinRequired, SignedIn]);
}

#[wasm_bindgen_test]
async fn a_backend_persisted_in_local_storage_is_one_server_for_every_tab() {
    use pinauth::web::WebStorage;
    let key = format!("pinauth-test-server:{}", fresh_app_id());
    let tab = || {
        let config = BackendConfig::default().with_cheap_password_hashing();
        let backend = Backend::new(config, Box::new(DateClock), Box::new(OsRng)).unwrap();
        Rc::new(BackendHost::persistent(
            backend,
            Box::new(WebStorage::local().unwrap()),
            &key,
        ))
    };
    let (tab_a, tab_b) = (tab(), tab());
    let app_id = fresh_app_id();
    enrolled(&tab_a, &app_id, StorageChoice::Local).await;
    assert!(
        local().get_item(&key).unwrap().is_some(),
        "the snapshot is in localStorage"
    );

    // Tab B's backend instance sees the account, the device and its PIN session.
    let in_b = open(&tab_b, &app_id, StorageChoice::Local).await;
    assert_eq!(in_b.state(), PinRequired);
    in_b.login_with_pin(PIN).await.unwrap();
    assert_eq!(in_b.state(), SignedIn);
    local().remove_item(&key).unwrap();
}

/// localStorage as a tab sees it before another tab's writes reach it: empty until
/// `until` (ms since the epoch), then the real thing.
struct Lagging {
    until: f64,
}

impl pinauth::platform::KeyValueStore for Lagging {
    fn get(&self, key: &str) -> pinauth::Result<Option<String>> {
        if js_sys::Date::now() < self.until {
            return Ok(None);
        }
        pinauth::web::WebStorage::local()?.get(key)
    }
    fn set(&self, key: &str, value: &str) -> pinauth::Result<()> {
        pinauth::web::WebStorage::local()?.set(key, value)
    }
    fn remove(&self, key: &str) -> pinauth::Result<()> {
        pinauth::web::WebStorage::local()?.remove(key)
    }
}

/// A tab's backend persisted under `key` in `store`.
fn persisted(key: &str, store: Box<dyn pinauth::platform::KeyValueStore>) -> BackendHost {
    let config = BackendConfig::default().with_cheap_password_hashing();
    let backend = Backend::new(config, Box::new(DateClock), Box::new(OsRng)).unwrap();
    BackendHost::persistent(backend, store, key)
}

#[wasm_bindgen_test]
async fn a_tab_waits_for_the_latest_snapshot_before_it_writes() {
    use pinauth::web::{TabTurns, WebStorage};
    let key = format!("pinauth-test-server:{}", fresh_app_id());
    let host = |store| persisted(&key, store);
    let turns = TabTurns::new(&key);
    let tab_a = host(Box::new(WebStorage::local().unwrap()));
    turns.run(&tab_a, register_on(ANN)).await.unwrap();

    // Tab B's copy of localStorage lags 300 ms behind A's write.
    let started = js_sys::Date::now();
    let tab_b = host(Box::new(Lagging {
        until: started + 300.0,
    }));
    turns
        .run(&tab_b, register_on("bob@example.com"))
        .await
        .unwrap();
    assert!(
        js_sys::Date::now() - started >= 300.0,
        "B waited for A's write"
    );
    // Both accounts are on the one server: B wrote on top of A's snapshot.
    for email in [ANN, "bob@example.com"] {
        let again = turns.run(&tab_a, register_on(email)).await;
        assert_eq!(
            again.map_err(|e| e.code()),
            Err(pinauth::ErrorCode::EmailTaken),
            "{email}"
        );
    }

    // Without the turns, the lagging tab writes its stale view over A's change: what the
    // turns prevent.
    let tab_c = host(Box::new(Lagging {
        until: js_sys::Date::now() + 300.0,
    }));
    tab_c.with_backend(register_on("cy@example.com")).unwrap();
    let again = turns.run(&tab_a, register_on(ANN)).await;
    assert!(again.is_ok(), "the stale write lost A's account");
    local().remove_item(&key).unwrap();
}

#[wasm_bindgen_test]
async fn a_wall_clock_set_back_while_a_tab_waits_for_the_latest_snapshot_does_not_stretch_the_wait()
{
    use js_sys::Function;
    use pinauth::web::{TabTurns, WebStorage};
    use wasm_bindgen::JsValue;
    let key = format!("pinauth-test-server:{}", fresh_app_id());
    let host = |store| persisted(&key, store);
    let turns = TabTurns::new(&key);
    turns
        .run(
            &host(Box::new(WebStorage::local().unwrap())),
            register_on(ANN),
        )
        .await
        .unwrap();
    // The wall clock goes back 10 s right after the request's first look at it.
    let set_back = Function::new_no_args(
        "const now = Date.now; let calls = 0;
         Date.now = () => now() - (calls++ > 0 ? 10000 : 0);
         return () => { Date.now = now; };",
    );
    let undo: Function = set_back.call0(&JsValue::NULL).unwrap().dyn_into().unwrap();
    let performance = || js_sys::Reflect::get(&js_sys::global(), &"performance".into()).unwrap();
    let steady = || {
        let now: Function = js_sys::Reflect::get(&performance(), &"now".into())
            .unwrap()
            .dyn_into()
            .unwrap();
        now.call0(&performance()).unwrap().as_f64().unwrap()
    };
    let started = steady();
    let ran = turns
        // Never shows the other tab's write (a snapshot replaced by hand).
        .run(
            &host(Box::new(Lagging {
                until: f64::INFINITY,
            })),
            register_on("bob@example.com"),
        )
        .await;
    let waited = steady() - started;
    undo.call0(&JsValue::NULL).unwrap();
    assert!(ran.is_ok());
    assert!(
        (1000.0..4000.0).contains(&waited),
        "waited the catch-up second, not 11 s: {waited} ms"
    );
    local().remove_item(&key).unwrap();
}

#[wasm_bindgen_test]
async fn a_request_that_waits_too_long_for_another_tabs_turn_fails_and_never_runs() {
    use js_sys::{Function, Promise};
    use pinauth::web::{TabTurns, WebStorage};
    use wasm_bindgen::JsValue;
    use wasm_bindgen_futures::JsFuture;
    // Another tab holds the backend's turn; the wait limit (20 s, 50 ms here) passes: the
    // request fails, and once the turn is free again it has not run.
    let key = format!("pinauth-test-server:{}", fresh_app_id());
    let hold = Function::new_with_args(
        "name",
        "return new Promise((held) => navigator.locks.request(name, () => new Promise(held)));",
    );
    let held = hold
        .call1(
            &JsValue::NULL,
            &JsValue::from_str(&format!("pinauth-mock-backend:{key}")),
        )
        .unwrap();
    let release: Function = JsFuture::from(held.dyn_into::<Promise>().unwrap())
        .await
        .unwrap()
        .dyn_into()
        .unwrap();
    let shorten = Function::new_no_args(
        "const timer = globalThis.setTimeout;
         globalThis.setTimeout = (f, ms, ...rest) => timer(f, ms === 20000 ? 50 : ms, ...rest);
         return () => { globalThis.setTimeout = timer; };",
    );
    let undo: Function = shorten.call0(&JsValue::NULL).unwrap().dyn_into().unwrap();
    let config = BackendConfig::default().with_cheap_password_hashing();
    let backend = Backend::new(config, Box::new(DateClock), Box::new(OsRng)).unwrap();
    let tab = BackendHost::persistent(backend, Box::new(WebStorage::local().unwrap()), &key);
    let turns = TabTurns::new(&key);
    let waited = turns.run(&tab, register_on(ANN)).await;
    undo.call0(&JsValue::NULL).unwrap();
    assert_eq!(
        waited.map_err(|e| e.code()),
        Err(pinauth::ErrorCode::TransportFailed)
    );
    release.call0(&JsValue::NULL).unwrap();
    turns.run(&tab, register_on(ANN)).await.unwrap();
    local().remove_item(&key).unwrap();
}

#[wasm_bindgen_test]
async fn a_tab_takes_up_the_identity_another_tab_made_by_forgetting_the_device() {
    // Tab A forgets the device and signs in as the new one; tab B, watched as a page is,
    // takes up the new identity from IndexedDB within a tick and follows A's session.
    let host = backend(BackendConfig::default().with_cheap_password_hashing());
    let app_id = fresh_app_id();
    let a = enrolled(&host, &app_id, StorageChoice::Local).await;
    let b = Rc::new(open(&host, &app_id, StorageChoice::Local).await);
    let _watch = watch(&b).unwrap();
    assert_eq!(b.device_id(), a.device_id());
    a.forget_device().await.unwrap();
    a.login(ANN, PASSWORD).await.unwrap();
    a.set_pin(PIN).await.unwrap();
    assert_ne!(b.device_id(), a.device_id());
    sleep(Duration::from_millis(2500)).await;
    assert_eq!(b.device_id(), a.device_id(), "B took up A's new identity");
    assert_eq!(b.state(), PinRequired);
    b.login_with_pin(PIN).await.unwrap();
    assert_eq!((a.state(), b.state()), (SignedIn, SignedIn));
    local()
        .remove_item(&format!("pinauth:{app_id}:v1:pinSession"))
        .unwrap();
}
