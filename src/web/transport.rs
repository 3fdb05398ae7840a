//! A transport to any JavaScript object with a `handle(requestJson)` method: the
//! `MockBackend` in the page, or an adapter that forwards the JSON to a server.

use crate::error::{Error, ErrorCode, Result};
use crate::platform::Transport;
use crate::protocol::{Reply, Request, Response};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

/// Sends each request as JSON to `target.handle(json)`, which answers with the response
/// JSON, or a promise of it.
#[derive(Clone, Debug)]
pub struct JsTransport {
    target: JsValue,
    handle: Function,
}

impl JsTransport {
    /// A transport to `target`; `INVALID_INPUT` unless it has a `handle` method.
    pub fn new(target: JsValue) -> Result<Self> {
        let handle = Reflect::get(&target, &JsValue::from_str("handle"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| Error::invalid_argument("options.backend", "must be a MockBackend"))?;
        Ok(JsTransport { target, handle })
    }
}

impl Transport for JsTransport {
    async fn send(&self, request: Request) -> Result<Reply> {
        let failed = || Error::new(ErrorCode::TransportFailed);
        let json = request.to_json();
        let mut answer = self
            .handle
            .call1(&self.target, &JsValue::from_str(&json))
            .map_err(|_| failed())?;
        if let Some(promise) = answer.dyn_ref::<Promise>() {
            answer = JsFuture::from(promise.clone())
                .await
                .map_err(|_| failed())?;
        }
        let text = Zeroizing::new(answer.as_string().ok_or_else(failed)?);
        Response::from_json(&text).ok_or_else(failed)?
    }
}
