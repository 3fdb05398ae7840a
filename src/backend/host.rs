//! Hosting the backend in the page: optional persistence of its snapshot in a key-value
//! store shared by every tab, and the in-page transport the client talks through.

use super::Backend;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::{KeyValueStore, Transport};
use crate::protocol::{Reply, Request, Response};
use alloc::rc::Rc;
use alloc::{borrow::ToOwned, boxed::Box, string::String};
use core::cell::RefCell;
use zeroize::Zeroizing;

/// Where a persistent backend keeps its snapshot.
struct Persistence {
    store: Box<dyn KeyValueStore>,
    key: String,
}

/// The backend as the page runs it: one server per origin when persisted.
///
/// With persistence, every request reloads the snapshot from the store, handles the
/// request, and writes the snapshot back, so tabs sharing the store (localStorage) act as
/// one server. When the write fails the request fails with `STORAGE_UNAVAILABLE`, the
/// stored snapshot is left as it was and the request has no effect. A stored snapshot
/// that cannot be parsed (corrupt, or of another version) is ignored in favour of the
/// last good state in memory, and overwritten by the next successful request.
///
/// A request that changes nothing (a failed PIN check changes the counter, so it is not
/// one; an administrator's view, `validateReauth` of an unknown token, a refused request
/// are) writes nothing back. Otherwise a tab that merely reads, say the device list when
/// another tab's `storage` event arrives, would write its older copy of the snapshot over
/// the other tab's newer one.
///
/// Each write bumps the snapshot's revision. The reload-handle-write cycle is atomic
/// within one page; across tabs, Chromium gives each renderer process its own copy of
/// `localStorage`, updated asynchronously, so a tab can read the snapshot from before
/// another tab's write. [`BackendHost::attempt`] lets the caller ask for at least the
/// latest revision, which the browser build learns from IndexedDB while holding a Web
/// Lock (`web::TabTurns`): then two tabs never overwrite each other's changes.
pub struct BackendHost {
    backend: RefCell<Backend>,
    persistence: Option<Persistence>,
}

/// What [`BackendHost::attempt`] did.
#[derive(Debug)]
pub enum Attempt<T, F> {
    /// The stored snapshot is older than the revision asked for, or missing: a newer
    /// write has not reached this copy of the store yet. Nothing ran; `F` is handed back
    /// for a later attempt.
    Behind(F),
    /// The request ran; the stored snapshot is now at `revision` (0 when not persisted).
    Ran {
        /// What the request returned.
        result: Result<T>,
        /// The revision of the stored snapshot after the request.
        revision: u64,
    },
}

impl core::fmt::Debug for BackendHost {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BackendHost")
            .field("persistent", &self.persistence.is_some())
            .finish_non_exhaustive()
    }
}

impl BackendHost {
    /// A backend living in memory only.
    pub fn in_memory(backend: Backend) -> Self {
        BackendHost {
            backend: RefCell::new(backend),
            persistence: None,
        }
    }

    /// A backend whose state lives under `key` in `store`, shared with every other host
    /// of the same store. `backend` is the starting state while the store holds none.
    pub fn persistent(backend: Backend, store: Box<dyn KeyValueStore>, key: &str) -> Self {
        BackendHost {
            backend: RefCell::new(backend),
            persistence: Some(Persistence {
                store,
                key: key.to_owned(),
            }),
        }
    }

    /// Runs `f` on the backend between a reload from and a write to the store (see
    /// [`BackendHost::attempt`]), with whatever snapshot the store holds.
    pub fn with_backend<T>(&self, f: impl FnOnce(&mut Backend) -> Result<T>) -> Result<T> {
        match self.attempt(0, false, f) {
            Attempt::Ran { result, .. } => result,
            Attempt::Behind(_) => Err(Error::new(ErrorCode::Internal)),
        }
    }

    /// Runs `f` on the backend between a reload from and a write to the store; the write
    /// happens only when `f` changed the state or the store held no usable snapshot, and
    /// stores a revision above both the one read and `latest`.
    ///
    /// With `wait`, a stored snapshot older than `latest`, or none at all while `latest`
    /// is not 0, is [`Attempt::Behind`]: `f` does not run. Otherwise a missing or
    /// unreadable snapshot is replaced by the last good state in memory. When `f` fails or
    /// the write does, the state in memory goes back to where the request started, so a
    /// failed request leaves nothing behind, stored or not.
    pub fn attempt<T, F>(&self, latest: u64, wait: bool, f: F) -> Attempt<T, F>
    where
        F: FnOnce(&mut Backend) -> Result<T>,
    {
        // The cycle itself is compiled once, for every request type: `f` is handed to it
        // as a `dyn` call that keeps its value here.
        let mut f = Some(f);
        let mut value = None;
        let outcome = self.cycle(latest, wait, &mut |backend| {
            let f = f.take().ok_or_else(|| Error::new(ErrorCode::Internal))?;
            value = Some(f(backend)?);
            Ok(())
        });
        match (outcome, f) {
            (None, Some(f)) => Attempt::Behind(f),
            (outcome, _) => {
                let (result, revision) =
                    outcome.unwrap_or((Err(Error::new(ErrorCode::Internal)), latest));
                Attempt::Ran {
                    result: result
                        .and_then(|()| value.ok_or_else(|| Error::new(ErrorCode::Internal))),
                    revision,
                }
            }
        }
    }

    /// [`BackendHost::attempt`]'s work: `None` for [`Attempt::Behind`], else what `f`
    /// returned and the revision stored after it.
    fn cycle(
        &self,
        latest: u64,
        wait: bool,
        f: &mut dyn FnMut(&mut Backend) -> Result<()>,
    ) -> Option<(Result<()>, u64)> {
        let ran = |result: Result<()>, revision| Some((result, revision));
        let mut backend = match self.backend.try_borrow_mut() {
            Ok(backend) => backend,
            Err(_) => return ran(Err(Error::new(ErrorCode::Internal)), latest),
        };
        let Some(p) = &self.persistence else {
            return ran(f(&mut backend), 0);
        };
        let stored = match p.store.get(&p.key) {
            Ok(stored) => stored.map(Zeroizing::new),
            Err(error) => return ran(Err(error), latest),
        };
        let parsed = stored
            .as_deref()
            .map(|snapshot| super::parse_snapshot(snapshot, &backend.config, backend.rng.as_ref()));
        let loaded = match (stored, parsed) {
            (Some(snapshot), Some(Ok(state))) => {
                if wait && state.revision < latest {
                    return None;
                }
                backend.state = state;
                Some(snapshot)
            }
            (None, _) if wait && latest > 0 => return None,
            // Missing or unreadable: the last good state, which the write below stores.
            _ => None,
        };
        let base = backend.state.revision.max(latest);
        backend.state.revision = base;
        let stored = loaded.is_some();
        let start = loaded.unwrap_or_else(|| backend.snapshot());
        let result = f(&mut backend).and_then(|()| {
            backend.state.revision = base;
            let end = backend.snapshot();
            if stored && end == start {
                return Ok(base);
            }
            let revision = base.saturating_add(1);
            backend.state.revision = revision;
            p.store.set(&p.key, &backend.snapshot())?;
            Ok(revision)
        });
        match result {
            Ok(revision) => ran(Ok(()), revision),
            Err(error) => {
                // `start` was read or written by this very backend a moment ago: it loads.
                let _ = backend.load_snapshot(&start);
                ran(Err(error), base)
            }
        }
    }

    /// Answers one JSON request with a JSON response (see [`Backend::handle_json`]).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn handle_json(&self, request: &str) -> Zeroizing<String> {
        or_error_json(self.with_backend(|backend| Ok(backend.handle_json(request))))
    }

    /// Answers one JSON request with a JSON response, checking the device signature it
    /// needs with WebCrypto (see [`answer_checked`]).
    #[cfg(target_arch = "wasm32")]
    pub async fn handle_json(&self, request: &str) -> Zeroizing<String> {
        let pass = |checked| {
            core::future::ready(
                self.with_backend(|backend| Ok(backend.handle_json_checked(request, checked))),
            )
        };
        or_error_json(answer_checked(pass).await)
    }
}

/// How many times a request is answered while the device signature it needs changes
/// between answers (another tab re-registering the device meanwhile) before its last
/// answer stands.
#[cfg(target_arch = "wasm32")]
const SIGNATURE_PASSES: usize = 3;

/// Answers a request in the browser build, where the backend leaves its device signature
/// checks to its host: `pass` runs the request on the backend with the verdict on the
/// check it needed the time before ([`Backend::handle_json_checked`]), and that check runs
/// with WebCrypto between passes. Its verdict is bound to the key, payload and signature
/// checked, so a pass that needs another check gets no verdict for it.
#[cfg(target_arch = "wasm32")]
pub async fn answer_checked<F, Fut>(mut pass: F) -> Result<Zeroizing<String>>
where
    F: FnMut(Option<super::Checked>) -> Fut,
    Fut: core::future::Future<Output = Result<(Zeroizing<String>, Option<super::SignatureCheck>)>>,
{
    let mut checked = None;
    let mut passes = 0;
    loop {
        let (response, needed) = pass(checked.take()).await?;
        passes += 1;
        match needed {
            Some(check) if passes < SIGNATURE_PASSES => {
                let verdict = crate::web::verify_signature(&check).await;
                checked = Some((check, verdict));
            }
            _ => return Ok(response),
        }
    }
}

/// The response JSON in `result`, or the error response JSON of its error.
pub fn or_error_json(result: Result<Zeroizing<String>>) -> Zeroizing<String> {
    result.unwrap_or_else(|error| Response::Error(error).to_json())
}

/// The in-page transport: each request is serialized to JSON (by the client's own codec,
/// as in the browser) and handed to the hosted backend, exactly as it would travel over
/// HTTP.
#[derive(Clone, Debug)]
pub struct LocalTransport(Rc<BackendHost>);

impl LocalTransport {
    /// A transport to `host`.
    pub fn new(host: Rc<BackendHost>) -> Self {
        LocalTransport(host)
    }
}

impl Transport for LocalTransport {
    async fn send(&self, request: Request) -> Result<Reply> {
        // The response carries tokens: wiped when dropped, like the browser transport's.
        let request = request.to_json();
        #[cfg(not(target_arch = "wasm32"))]
        let response = self.0.handle_json(&request);
        #[cfg(target_arch = "wasm32")]
        let response = self.0.handle_json(&request).await;
        Response::from_json(&response).ok_or_else(Error::unexpected_reply)?
    }
}
