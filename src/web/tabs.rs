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
use super::{global_property, property};
use crate::backend::{Attempt, Backend, BackendHost};
use crate::error::{Error, ErrorCode, Result};
use alloc::{borrow::ToOwned, string::String};
use js_sys::{Array, Date, Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
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
        let deadline = Date::now() + CATCH_UP_MS;
        let mut f = f;
        loop {
            match host.attempt(latest, Date::now() < deadline, f) {
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

impl WebLock {
    /// Waits for the exclusive lock `name`, at most [`TURN_WAIT_MS`]: `Err` when that
    /// passed first; `Ok(None)` where Web Locks are not available or the request fails
    /// (the caller goes on without).
    async fn acquire(name: &str) -> Result<Option<WebLock>> {
        let Some((locks, request)) = global_property::<Object>("navigator")
            .and_then(|navigator| property::<Object>(&navigator, "locks"))
            .and_then(|locks| Some((locks.clone(), property::<Function>(&locks, "request")?)))
        else {
            return Ok(None);
        };
        // The lock is held until `held` settles, which `release` does.
        let mut release = None;
        let held = Promise::new(&mut |resolve, _| release = Some(resolve));
        let mut grant = None;
        let granted = Promise::new(&mut |resolve, _| grant = Some(resolve));
        let (Some(release), Some(grant)) = (release, grant) else {
            return Ok(None);
        };
        let callback = Closure::once_into_js(move || -> JsValue {
            let _ = grant.call0(&JsValue::UNDEFINED);
            held.into()
        });
        let options = Object::new();
        if let Some(signal) = wait_limit() {
            let _ = Reflect::set(&options, &JsValue::from_str("signal"), &signal);
        }
        let Some(done) = request
            .call3(&locks, &JsValue::from_str(name), &options, &callback)
            .ok()
            .and_then(|done| done.dyn_into::<Promise>().ok())
        else {
            return Ok(None);
        };
        // `done` rejects if the request fails or waits too long; once granted it settles
        // only after the release. (The race handles `done`, so a late rejection is not
        // reported.)
        match JsFuture::from(Promise::race(&Array::of2(&granted, &done))).await {
            Ok(_) => Ok(Some(WebLock { release })),
            Err(reason)
                if property::<JsValue>(&reason, "name").and_then(|n| n.as_string())
                    == Some(String::from("TimeoutError")) =>
            {
                Err(Error::with_message(
                    ErrorCode::TransportFailed,
                    "Another tab held the mock backend too long.",
                ))
            }
            Err(_) => Ok(None),
        }
    }
}

/// `AbortSignal.timeout(TURN_WAIT_MS)`, where the browser has it.
fn wait_limit() -> Option<JsValue> {
    let abort = global_property::<Object>("AbortSignal")?;
    let timeout: Function = property(&abort, "timeout")?;
    timeout.call1(&abort, &JsValue::from(TURN_WAIT_MS)).ok()
}

impl Drop for WebLock {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::UNDEFINED);
    }
}

/// Resolves after `ms` milliseconds (at once where there is no `setTimeout`).
async fn sleep(ms: i32) {
    let Some(set_timeout) = global_property::<Function>("setTimeout") else {
        return;
    };
    let elapsed = Promise::new(&mut |resolve, _| {
        let _ = set_timeout.call2(&JsValue::UNDEFINED, &resolve, &JsValue::from(ms));
    });
    let _ = JsFuture::from(elapsed).await;
}
