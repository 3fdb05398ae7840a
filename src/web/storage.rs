//! `localStorage` and `sessionStorage` as a [`KeyValueStore`].
//!
//! The design names gloo-storage for this. It is not used: gloo-storage 0.3.0 reaches the
//! storage through `web_sys::window().expect_throw(..).local_storage().expect_throw(..)`,
//! and its `get` and `delete` `expect_throw` too, so a disabled storage (a SecurityError in
//! a sandboxed frame or with cookies blocked) or a worker throws a JavaScript exception out
//! of Rust — the equivalent of a panic. It also stores values JSON-encoded. The
//! `web_sys::Storage` bindings return `Result`s and are used directly instead.

use super::global_property;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::KeyValueStore;
use alloc::string::String;

/// A [`KeyValueStore`] over the page's `localStorage` or `sessionStorage`.
///
/// Every failure is `STORAGE_UNAVAILABLE`: storage disabled, access denied, or a write
/// refused because the quota is exceeded (the earlier value then stays in place).
#[derive(Clone, Debug)]
pub struct WebStorage {
    storage: web_sys::Storage,
}

impl WebStorage {
    /// The page's `localStorage`, kept across sessions.
    ///
    /// Fails with `STORAGE_UNAVAILABLE` where there is none (a worker) or it is disabled.
    pub fn local() -> Result<Self> {
        Self::open("localStorage")
    }

    /// The page's `sessionStorage`, kept for the life of the tab.
    ///
    /// Fails with `STORAGE_UNAVAILABLE` where there is none (a worker) or it is disabled.
    pub fn session() -> Result<Self> {
        Self::open("sessionStorage")
    }

    fn open(name: &str) -> Result<Self> {
        let storage: web_sys::Storage = global_property(name).ok_or_else(|| {
            Error::with_message(
                ErrorCode::StorageUnavailable,
                "The browser storage is disabled or not available here.",
            )
        })?;
        // Some browsers hand out the object but refuse every access to it.
        storage.length().map_err(|_| {
            Error::with_message(
                ErrorCode::StorageUnavailable,
                "The browser storage refused access.",
            )
        })?;
        Ok(WebStorage { storage })
    }
}

impl KeyValueStore for WebStorage {
    fn get(&self, key: &str) -> Result<Option<String>> {
        self.storage.get_item(key).map_err(|_| {
            Error::with_message(
                ErrorCode::StorageUnavailable,
                "The browser storage could not be read.",
            )
        })
    }

    fn set(&self, key: &str, value: &str) -> Result<()> {
        self.storage.set_item(key, value).map_err(|_| {
            Error::with_message(
                ErrorCode::StorageUnavailable,
                "The browser storage is full or refused the write.",
            )
        })
    }

    fn remove(&self, key: &str) -> Result<()> {
        self.storage.remove_item(key).map_err(|_| {
            Error::with_message(
                ErrorCode::StorageUnavailable,
                "The browser storage refused the removal.",
            )
        })
    }
}
