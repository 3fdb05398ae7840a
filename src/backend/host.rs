//! Hosting the backend in the page: optional persistence of its snapshot in a key-value
//! store shared by every tab, and the in-page transport the client talks through.

use super::Backend;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::{KeyValueStore, Transport};
use crate::protocol::{Reply, Request, Response};
use std::cell::RefCell;
use std::rc::Rc;

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
/// The reload-handle-write cycle is atomic within one page, not across tabs: Chromium
/// runs tabs in separate renderer processes, each with its own copy of `localStorage`
/// updated asynchronously, so two requests that *change* the state, made at the same
/// moment in two tabs, can each start from the snapshot before the other's, and the later
/// write wins (one tab's new token is then unknown to the server). A real server keeps
/// its state in a database with transactions.
pub struct BackendHost {
    backend: RefCell<Backend>,
    persistence: Option<Persistence>,
}

impl std::fmt::Debug for BackendHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

    /// Runs `f` on the backend between a reload from and a write to the store; the write
    /// happens only when `f` changed the state or the store held no usable snapshot.
    ///
    /// A missing or unreadable snapshot is replaced by the last good state in memory. When
    /// `f` fails or the write does, the state in memory goes back to where the request
    /// started, so a failed request leaves nothing behind, stored or not.
    pub fn with_backend<T>(&self, f: impl FnOnce(&mut Backend) -> Result<T>) -> Result<T> {
        let mut backend = self
            .backend
            .try_borrow_mut()
            .map_err(|_| Error::new(ErrorCode::Internal))?;
        let Some(p) = &self.persistence else {
            return f(&mut backend);
        };
        let (start, stored) = match p.store.get(&p.key)? {
            Some(snapshot) if backend.load_snapshot(&snapshot).is_ok() => (snapshot, true),
            // Missing or unreadable: the last good state, which the write below stores.
            _ => (backend.snapshot()?, false),
        };
        let result = f(&mut backend).and_then(|value| {
            let end = backend.snapshot()?;
            if !stored || end != start {
                p.store.set(&p.key, &end)?;
            }
            Ok(value)
        });
        if result.is_err() {
            // `start` was read by this very backend a moment ago: it loads.
            let _ = backend.load_snapshot(&start);
        }
        result
    }

    /// Answers one JSON request with a JSON response (see [`Backend::handle_json`]).
    pub fn handle_json(&self, request: &str) -> String {
        self.with_backend(|backend| Ok(backend.handle_json(request)))
            .unwrap_or_else(|error| {
                serde_json::to_string(&Response::Error(error)).unwrap_or_else(|_| {
                    r#"{"error":{"code":"INTERNAL","message":"An internal error occurred."}}"#
                        .to_owned()
                })
            })
    }
}

/// The in-page transport: each request is serialized to JSON and handed to the hosted
/// backend, exactly as it would travel over HTTP.
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
        let json = serde_json::to_string(&request).map_err(|_| Error::new(ErrorCode::Internal))?;
        let response = self.0.handle_json(&json);
        serde_json::from_str::<Response>(&response)
            .map_err(|_| Error::new(ErrorCode::TransportFailed))?
            .into()
    }
}
