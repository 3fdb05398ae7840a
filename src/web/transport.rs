//! A transport to any JavaScript object with a `handle(requestJson)` method: the
//! `MockBackend` in the page, or an adapter that forwards the JSON to a server.

use crate::error::{Error, ErrorCode, Result};
use crate::platform::Transport;
use crate::protocol::{Reply, Request, Response};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Sends each request as JSON to `target.handle(json)`, which answers with the response
/// JSON, or a promise of it.
///
/// When the target has a string `lockName` (a `MockBackend` persisted in localStorage
/// has one), each call runs inside the Web Locks API's exclusive lock of that name, so the
/// origin's tabs send their requests one at a time: one tab's reload-handle-write of the
/// shared snapshot does not overlap another's (though `localStorage` may reach the next
/// tab late, see `backend::BackendHost`). Where `navigator.locks` is missing (an insecure
/// context) the call is made directly.
#[derive(Clone, Debug)]
pub struct JsTransport {
    target: JsValue,
    handle: Function,
    lock_name: Option<String>,
}

impl JsTransport {
    /// A transport to `target`; `INVALID_INPUT` unless it has a `handle` method.
    pub fn new(target: JsValue) -> Result<Self> {
        let handle = Reflect::get(&target, &JsValue::from_str("handle"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| Error::invalid_argument("options.backend", "must be a MockBackend"))?;
        let lock_name = Reflect::get(&target, &JsValue::from_str("lockName"))
            .ok()
            .and_then(|name| name.as_string());
        Ok(JsTransport {
            target,
            handle,
            lock_name,
        })
    }

    /// `target.handle(json)`, inside the named lock when there is one.
    fn call(&self, json: &str) -> std::result::Result<JsValue, JsValue> {
        let request = JsValue::from_str(json);
        let lock = (self.lock_name.as_deref()).and_then(|name| Some((name, web_locks()?)));
        let Some((name, (locks, lock_request))) = lock else {
            return self.handle.call1(&self.target, &request);
        };
        let (target, handle) = (self.target.clone(), self.handle.clone());
        let locked = Closure::once_into_js(move |_lock: JsValue| handle.call1(&target, &request));
        lock_request.call2(&locks, &JsValue::from_str(name), &locked)
    }
}

/// `navigator.locks` and its `request` method, where the page has them.
fn web_locks() -> Option<(JsValue, Function)> {
    let navigator = Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok()?;
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    let request = Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    Some((locks, request))
}

impl Transport for JsTransport {
    async fn send(&self, request: Request) -> Result<Reply> {
        let failed = || Error::new(ErrorCode::TransportFailed);
        let json = serde_json::to_string(&request).map_err(|_| Error::new(ErrorCode::Internal))?;
        let mut answer = self.call(&json).map_err(|_| failed())?;
        if let Some(promise) = answer.dyn_ref::<Promise>() {
            answer = JsFuture::from(promise.clone())
                .await
                .map_err(|_| failed())?;
        }
        let text = answer.as_string().ok_or_else(failed)?;
        serde_json::from_str::<Response>(&text)
            .map_err(|_| failed())?
            .into()
    }
}
