//! One server for every tab: the requests to a persisted [`BackendHost`] taken in turns
//! across the tabs of the origin.
//!
//! Chromium gives each renderer process its own copy of `localStorage`, updated
//! asynchronously, so a tab can read the backend's snapshot from before another tab's
//! write, and its own write would then drop the other tab's change. Each request
//! therefore holds a Web Lock named after the persist key (Web Locks are shared by every
//! tab and worker of the origin), reads the latest revision from IndexedDB (whose
//! transactions every tab sees at once), waits until `localStorage` holds at least that
//! revision, runs, and records the revision it wrote. Where Web Locks or IndexedDB are
//! missing (an insecure context, a private mode without IndexedDB) requests run without
//! them, as the best effort of [`BackendHost`] alone.

use super::idb::{Database, Request};
use super::set_timeout;
use crate::backend::{Attempt, Backend, BackendHost};
use crate::error::{Error, ErrorCode, Result};
use alloc::{borrow::ToOwned, string::String};
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The IndexedDB database holding the latest revision of each persisted backend, by
/// persist key.
pub const REVISIONS_DATABASE_NAME: &str = "pinauth-mock-backend";

const REVISIONS: Database = Database {
    name: REVISIONS_DATABASE_NAME,
    version: 1,
    store: "revisions",
    error: ErrorCode::StorageUnavailable,
};

/// How long a request waits for another tab's write to reach this tab's `localStorage`
/// before it runs on what is there (a snapshot replaced or removed by hand never
/// catches up).
const CATCH_UP_MS: f64 = 1000.0;

/// The pause between two looks at `localStorage` while waiting.
const POLL_MS: i32 = 5;

/// How long a request waits for another tab's turn before it fails, having done nothing:
/// well within the client's 30 seconds, so a request the client gave up on never runs.
const TURN_WAIT_MS: u32 = 20_000;

/// Takes the requests to the backend persisted under one key in turns with every other
/// tab of the origin.
#[derive(Debug)]
pub struct TabTurns {
    key: String,
}

impl TabTurns {
    /// Turns for the backend persisted under `persist_key`.
    pub fn new(persist_key: &str) -> Self {
        TabTurns {
            key: persist_key.to_owned(),
        }
    }

    /// Runs `f` on `host` in this tab's turn, on the latest snapshot any tab wrote.
    pub async fn run<T>(
        &self,
        host: &BackendHost,
        f: impl FnOnce(&mut Backend) -> Result<T>,
    ) -> Result<T> {
        let _turn = WebLock::acquire(&(String::from("pinauth-mock-backend:") + &self.key)).await?;
        let latest = self.latest().await.unwrap_or(0);
        // On a clock that only goes forward: the wall clock, set back meanwhile, would
        // have the request wait (holding every tab's turn) for as long as it was set back.
        let deadline = steady_ms() + CATCH_UP_MS;
        let mut f = f;
        loop {
            match host.attempt(latest, steady_ms() < deadline, f) {
                Attempt::Ran { result, revision } => {
                    if revision > latest {
                        // Best effort: if IndexedDB fails, the next tab may wait for an
                        // older revision, as without it.
                        let _ = self.record(revision).await;
                    }
                    return result;
                }
                Attempt::Behind(again) => {
                    f = again;
                    sleep(POLL_MS).await;
                }
            }
        }
    }

    /// The latest revision recorded by any tab (0 before the first).
    async fn latest(&self) -> Result<u64> {
        let key = JsValue::from_str(&self.key);
        let value = REVISIONS.run(Request::Get(&key)).await?;
        // Revisions are small whole numbers: far below 2^53, exact in an f64.
        Ok(value
            .as_f64()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map_or(0, |n| n as u64))
    }

    /// Records `revision` as the latest.
    async fn record(&self, revision: u64) -> Result<()> {
        let key = JsValue::from_str(&self.key);
        let value = JsValue::from_f64(revision as f64);
        REVISIONS.run(Request::Put(&key, &value)).await.map(drop)
    }
}

/// A held Web Lock, released when dropped.
struct WebLock {
    release: Function,
}

#[wasm_bindgen(module = "/src/web/tabs.js")]
extern "C" {
    /// Requests the Web Lock `name` for at most `ms`: a promise of the function that
    /// releases it (`null` without Web Locks), rejected when the wait passed first.
    #[wasm_bindgen(js_name = lockTurn)]
    fn lock_turn(name: &str, ms: u32) -> Promise;

    /// Milliseconds on a clock that never goes back (`performance.now()`).
    #[wasm_bindgen(js_name = steadyMs)]
    fn steady_ms() -> f64;
}

impl WebLock {
    /// Waits for the exclusive lock `name`, at most [`TURN_WAIT_MS`]: `Err` when that
    /// passed first; `Ok(None)` where Web Locks are not available or the request fails
    /// (the caller goes on without).
    async fn acquire(name: &str) -> Result<Option<WebLock>> {
        match JsFuture::from(lock_turn(name, TURN_WAIT_MS)).await {
            Ok(release) => Ok(release.dyn_into().ok().map(|release| WebLock { release })),
            Err(_) => Err(Error::new(ErrorCode::TransportFailed)),
        }
    }
}

impl Drop for WebLock {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::UNDEFINED);
    }
}

/// Resolves after `ms` milliseconds.
async fn sleep(ms: i32) {
    let elapsed = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    let _ = JsFuture::from(elapsed).await;
}
