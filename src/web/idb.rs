//! One IndexedDB database with one object store, and single-request transactions on it.
//!
//! The IndexedDB calls are `idb.js` (a few lines of JavaScript instead of a dozen bindings
//! and their glue); this module names the databases and turns each failure into the
//! database's typed error.

use crate::error::{Error, ErrorCode, Result};
use js_sys::Promise;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/src/web/idb.js")]
extern "C" {
    /// Runs one request (`method` on `key`, with `value` for a put or add) in a transaction;
    /// resolves with its result once the transaction completed.
    #[wasm_bindgen(js_name = idbRun)]
    fn idb_run(
        name: &str,
        version: u32,
        store: &str,
        method: &str,
        key: &JsValue,
        value: &JsValue,
    ) -> Promise;
}

/// A database of `globalThis.indexedDB` holding one object store (created on first open).
pub(super) struct Database {
    /// The database name.
    pub name: &'static str,
    /// The schema version it is opened at.
    pub version: u32,
    /// Its one object store, with out-of-line keys.
    pub store: &'static str,
    /// The code of every failure.
    pub error: ErrorCode,
}

/// One request on a store.
pub(super) enum Request<'a> {
    /// Reads the value at a key (`undefined` when there is none).
    Get(&'a JsValue),
    /// Writes a value at a key (the mock backend's revisions).
    #[cfg(feature = "mock-backend")]
    Put(&'a JsValue, &'a JsValue),
    /// Writes a value at a key that holds none; the result is `null` when it holds one.
    Add(&'a JsValue, &'a JsValue),
    /// Removes the value at a key.
    Delete(&'a JsValue),
    /// Removes the value at a key unless its `deviceId` is a string other than the given
    /// one (a record another tab saved in place of the one read before), in one
    /// transaction.
    DeleteUnlessNamed(&'a JsValue, &'a JsValue),
}

impl Database {
    /// Runs `request` on the store in a transaction (read-only for a get), and returns the
    /// request's result once the transaction has completed (so a write is committed when
    /// this returns). The database is opened for the call and closed after.
    pub async fn run(&self, request: Request<'_>) -> Result<JsValue> {
        let (method, key, value) = match request {
            Request::Get(key) => ("get", key, &JsValue::UNDEFINED),
            #[cfg(feature = "mock-backend")]
            Request::Put(key, value) => ("put", key, value),
            Request::Add(key, value) => ("add", key, value),
            Request::Delete(key) => ("delete", key, &JsValue::UNDEFINED),
            Request::DeleteUnlessNamed(key, named) => ("deleteUnlessNamed", key, named),
        };
        let run = idb_run(self.name, self.version, self.store, method, key, value);
        JsFuture::from(run).await.map_err(|stage| {
            let message = match stage.as_string().as_deref() {
                Some("unavailable") => "IndexedDB is not available here.",
                Some("open") => "The IndexedDB database could not be opened.",
                Some("store") => "The IndexedDB object store could not be opened.",
                Some("request") => "The IndexedDB object store refused the request.",
                _ => "The IndexedDB request failed to complete.",
            };
            Error::with_message(self.error, message)
        })
    }
}
