//! A transport to any JavaScript object with a `handle(requestJson)` method: the
//! `MockBackend` in the page, or an adapter that forwards the JSON to a server.

use super::{clear_timeout, set_timeout};
use crate::error::{Error, ErrorCode, Result};
use crate::platform::Transport;
use crate::protocol::{Reply, Request, Response};
use alloc::string::String;
use js_sys::{Array, Function, JsString, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use zeroize::Zeroizing;

/// The longest reply read, in UTF-16 units (the longest the backend writes, a device
/// list, is a few KiB); a longer one is `TRANSPORT_FAILED`.
const MAX_REPLY_UNITS: u32 = 1 << 20;

/// How long a request may take, in milliseconds, before it is `TRANSPORT_FAILED`.
const REQUEST_TIMEOUT_MS: i32 = 30_000;

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
            .ok_or_else(|| {
                Error::invalid_argument(
                    "options.backend",
                    "must be a MockBackend or have a handle(requestJson) method",
                )
            })?;
        Ok(JsTransport { target, handle })
    }
}

impl Transport for JsTransport {
    async fn send(&self, request: Request) -> Result<Reply> {
        let failed = |message| Error::with_message(ErrorCode::TransportFailed, message);
        let threw = |thrown| {
            failed("The server could not be reached: the backend's handle(requestJson) threw or rejected (what it threw is this error's cause).")
                .caused_by(thrown)
        };
        let json = request.to_json();
        let answer = self
            .handle
            .call1(&self.target, &JsValue::from_str(&json))
            .map_err(threw)?;
        // Followed through a promise of this realm: a thenable (a promise of another realm,
        // or one whose `then` answers at once or throws) is then called asynchronously, so
        // it can neither reenter the module nor throw through it. Raced with a timer that
        // answers a value of its own: a server that never answers fails the request rather
        // than holding every later flow of the client (a logout's request waits for the
        // flows before it).
        let answer = Promise::new(&mut |resolve, _| {
            let _ = resolve.call1(&JsValue::UNDEFINED, &answer);
        });
        // (A symbol: a promise resolved with it never looks for a `then`, which a page's
        // `Object.prototype` could have; bound, whatever arguments the timer passes.)
        let timed_out = JsValue::symbol(None);
        let mut timer = JsValue::UNDEFINED;
        let timeout = Promise::new(&mut |resolve, _| {
            timer = set_timeout(
                &resolve.bind1(&JsValue::UNDEFINED, &timed_out),
                REQUEST_TIMEOUT_MS,
            );
        });
        let answer = JsFuture::from(Promise::race(&Array::of2(&answer, &timeout))).await;
        clear_timeout(&timer);
        let answer = answer.map_err(threw)?;
        if answer == timed_out {
            return Err(failed("The server did not answer within 30 seconds."));
        }
        let text = answer.dyn_ref::<JsString>().ok_or_else(|| {
            failed("The backend's handle(requestJson) answered with something other than a string: it must return the reply's text.")
        })?;
        // Measured before it is copied into the module, whose memory never shrinks.
        if text.length() > MAX_REPLY_UNITS {
            return Err(failed(
                "The server's reply is longer than 2^20 UTF-16 units.",
            ));
        }
        let text = Zeroizing::new(String::from(text));
        Response::from_json(&text).ok_or_else(Error::unexpected_reply)?
    }
}
