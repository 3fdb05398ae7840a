//! One IndexedDB database with one object store, and single-request transactions on it.
//!
//! IndexedDB is driven through the `web-sys` bindings directly rather than a wrapper crate
//! (`idb`, `rexie`, `indexed_db_futures`): the crate needs a handful of single-request
//! transactions, which [`Database::run`] covers in a few dozen lines, without another
//! dependency and its own error types and version churn. Requests are awaited by handing
//! a `Promise`'s `resolve`/`reject` straight to the `oncomplete`/`onerror`/`onabort`
//! handlers, so no Rust closure is leaked; the only closure (`onupgradeneeded`) is
//! unregistered and freed once the open settles.

use super::global_property;
use crate::error::{Error, ErrorCode, Result};
use js_sys::Promise;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbFactory, IdbObjectStore, IdbOpenDbRequest, IdbRequest, IdbTransactionMode,
};

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

impl Database {
    fn error(&self, message: &'static str) -> Error {
        Error::with_message(self.error, message)
    }

    /// Runs the one request `make_request` issues on the store in a transaction of `mode`,
    /// and returns the request's result once the transaction has completed (so a write is
    /// committed when this returns). The database is opened for the call and closed after.
    pub async fn run(
        &self,
        mode: IdbTransactionMode,
        make_request: impl FnOnce(&IdbObjectStore) -> std::result::Result<IdbRequest, JsValue>,
    ) -> Result<JsValue> {
        let database = self.open().await?;
        let transaction = database
            .0
            .transaction_with_str_and_mode(self.store, mode)
            .map_err(|_| self.error("The IndexedDB object store could not be opened."))?;
        let store = transaction
            .object_store(self.store)
            .map_err(|_| self.error("The IndexedDB object store could not be opened."))?;
        let request = make_request(&store)
            .map_err(|_| self.error("The IndexedDB object store refused the request."))?;
        let completed = Promise::new(&mut |resolve, reject| {
            transaction.set_oncomplete(Some(&resolve));
            transaction.set_onerror(Some(&reject));
            transaction.set_onabort(Some(&reject));
        });
        let failed = || self.error("The IndexedDB request failed to complete.");
        JsFuture::from(completed).await.map_err(|_| failed())?;
        request.result().map_err(|_| failed())
    }

    async fn open(&self) -> Result<Connection> {
        let unavailable = || self.error("IndexedDB is not available here.");
        let factory: IdbFactory = global_property("indexedDB").ok_or_else(unavailable)?;
        let request = factory
            .open_with_u32(self.name, self.version)
            .map_err(|_| unavailable())?;
        let _upgrade = UpgradeHandler::install(&request, self.store);
        let opened = Promise::new(&mut |resolve, reject| {
            request.set_onsuccess(Some(&resolve));
            request.set_onerror(Some(&reject));
        });
        let failed = || self.error("The IndexedDB database could not be opened.");
        JsFuture::from(opened).await.map_err(|_| failed())?;
        request
            .result()
            .ok()
            .and_then(|database| database.dyn_into::<IdbDatabase>().ok())
            .map(Connection)
            .ok_or_else(failed)
    }
}

/// An open connection, closed when dropped.
struct Connection(IdbDatabase);

impl Drop for Connection {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// The `onupgradeneeded` handler that creates the object store; unregistered when
/// dropped, before its closure is freed.
struct UpgradeHandler {
    request: IdbOpenDbRequest,
    _closure: Closure<dyn FnMut()>,
}

impl UpgradeHandler {
    fn install(request: &IdbOpenDbRequest, store: &'static str) -> Self {
        let target = request.clone();
        let closure = Closure::<dyn FnMut()>::new(move || create_store(&target, store));
        request.set_onupgradeneeded(Some(closure.as_ref().unchecked_ref()));
        UpgradeHandler {
            request: request.clone(),
            _closure: closure,
        }
    }
}

impl Drop for UpgradeHandler {
    fn drop(&mut self) {
        self.request.set_onupgradeneeded(None);
    }
}

/// Creates `store` during an upgrade; aborts the upgrade (failing the open) if it cannot,
/// rather than leave a database without its store.
fn create_store(request: &IdbOpenDbRequest, store: &str) {
    let created = request
        .result()
        .ok()
        .and_then(|database| database.dyn_into::<IdbDatabase>().ok())
        .is_some_and(|database| {
            database.object_store_names().contains(store)
                || database.create_object_store(store).is_ok()
        });
    if !created {
        if let Some(transaction) = request.transaction() {
            let _ = transaction.abort();
        }
    }
}
