//! Browser implementations of the platform seams (`wasm32` only).
//!
//! - [`WebStorage`]: [`KeyValueStore`](crate::platform::KeyValueStore) over
//!   `localStorage` or `sessionStorage`;
//! - [`DateClock`]: [`Clock`](crate::platform::Clock) reading `Date.now()`;
//! - [`WebCryptoKeys`]: [`DeviceKeys`](crate::platform::DeviceKeys) with a
//!   non-extractable WebCrypto ECDSA P-256 key, the device identity kept in IndexedDB;
//! - [`platform`]: all of them together for a [`Client`](crate::client::Client);
//! - [`prompt_config`]: which flow the in-page PIN dialog (`prompt.js`) opens, with what;
//! - [`watch`]: follows other tabs (`storage` events) and expiry (a timer);
//! - [`JsTransport`]: [`Transport`] to a JavaScript object's `handle(json)` method;
//! - [`TabTurns`]: one persisted mock backend for every tab of the origin.
//!
//! Everything here reaches the browser through `globalThis`, so it works in a window and,
//! where the API exists there, in a worker. Every failure is a typed
//! [`Error`](crate::Error); nothing panics or throws into JavaScript.

mod clock;
mod idb;
mod keys;
mod prompt;
mod storage;
#[cfg(feature = "mock-backend")]
mod tabs;
mod transport;
mod watch;

pub use clock::DateClock;
#[cfg(feature = "mock-backend")]
pub use keys::verify_signature;
pub use keys::{WebCryptoKeys, DATABASE_NAME, STORE_NAME};
pub use prompt::{
    prompt_config, PromptMode, PromptOptions, PROMPT_STRINGS, PROMPT_STRINGS_TYPESCRIPT,
    PROMPT_STRING_KEYS,
};
pub use storage::WebStorage;
#[cfg(feature = "mock-backend")]
pub use tabs::{TabTurns, REVISIONS_DATABASE_NAME};
pub use transport::JsTransport;
pub use watch::{watch, Watch};

use crate::client::Platform;
use crate::platform::{KeyValueStore, MemoryStore, OsRng, Transport, UnavailableStore};
use crate::tokens::{AccessStorage, StorageChoice};
use alloc::boxed::Box;
use alloc::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    /// `setTimeout(handler, ms)`: the timer's id.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &JsValue, ms: i32) -> JsValue;
    /// `clearTimeout(id)`.
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// The browser platform for a client: `Date.now()`, `crypto.getRandomValues`, WebCrypto
/// keys in IndexedDB, the PIN session and the access token in the chosen storages. A
/// storage that cannot be opened falls back to memory with a warning.
pub fn platform<T: Transport>(
    storage: StorageChoice,
    access: AccessStorage,
    transport: T,
) -> Platform<WebCryptoKeys, T> {
    let session_store = open_store(match storage {
        StorageChoice::Local => Some(WebStorage::local()),
        StorageChoice::Session => Some(WebStorage::session()),
        StorageChoice::Memory => None,
    });
    let access_store = open_store(match access {
        AccessStorage::Session => Some(WebStorage::session()),
        AccessStorage::Memory => None,
    });
    Platform {
        clock: Rc::new(DateClock),
        rng: Rc::new(OsRng),
        keys: WebCryptoKeys::new(),
        transport,
        session_store,
        access_store,
    }
}

/// The opened storage, one that refuses everything (the token store then falls back to
/// memory with a warning), or memory when none was asked for.
fn open_store(opened: Option<crate::Result<WebStorage>>) -> Box<dyn KeyValueStore> {
    match opened {
        Some(Ok(store)) => Box::new(store),
        Some(Err(_)) => Box::new(UnavailableStore),
        None => Box::new(MemoryStore::default()),
    }
}

/// `target[name]` as a `T`, or `None` when the property is absent, of another type, or its
/// getter throws (as `localStorage` and `indexedDB` do in opaque origins).
fn property<T: JsCast>(target: &JsValue, name: &str) -> Option<T> {
    js_sys::Reflect::get(target, &JsValue::from_str(name))
        .ok()?
        .dyn_into::<T>()
        .ok()
}

/// `globalThis[name]` as a `T`; see [`property`].
fn global_property<T: JsCast>(name: &str) -> Option<T> {
    property(&js_sys::global(), name)
}
