//! Keeps a client's state current in the page: a `storage` event listener, so a sign-in
//! or logout in another tab of the origin is followed here (and a device identity that
//! another tab replaced is taken up), and a once-a-second timer, so expiry shows without
//! waiting for the next call.

use crate::client::Client;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::{DeviceKeys, Transport};
use alloc::rc::{Rc, Weak};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{StorageEvent, Window};

/// How often expiry is re-checked.
const TICK_MS: i32 = 1000;

/// The listener and timer of a watched client; dropping it removes both. They hold the
/// client weakly, so they never keep it alive.
pub struct Watch {
    window: Window,
    on_storage: Closure<dyn FnMut(StorageEvent)>,
    _on_tick: Closure<dyn FnMut()>,
    interval: i32,
}

impl core::fmt::Debug for Watch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Watch")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// Starts watching `client` in this window. Fails with `STORAGE_UNAVAILABLE` outside a
/// window (in a worker there are no `storage` events).
pub fn watch<K, T>(client: &Rc<Client<K, T>>) -> Result<Watch>
where
    K: DeviceKeys + 'static,
    T: Transport + 'static,
{
    let window: Window = js_sys::global().dyn_into().map_err(|_| {
        Error::with_message(
            ErrorCode::StorageUnavailable,
            "There is no window to watch.",
        )
    })?;
    let weak: Weak<Client<K, T>> = Rc::downgrade(client);
    let on_storage = Closure::<dyn FnMut(StorageEvent)>::new({
        let weak = weak.clone();
        move |event: StorageEvent| {
            let Some(client) = weak.upgrade() else { return };
            // A `None` key means the whole storage was cleared.
            if event.key().is_none_or(|key| client.owns_storage_key(&key)) {
                follow(client);
            }
        }
    });
    let on_tick = Closure::<dyn FnMut()>::new(move || {
        if let Some(client) = weak.upgrade() {
            follow(client);
        }
    });
    let failed = |_| Error::with_message(ErrorCode::Internal, "The page refused the listener.");
    window
        .add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref())
        .map_err(failed)?;
    let interval = window
        .set_interval_with_callback_and_timeout_and_arguments_0(
            on_tick.as_ref().unchecked_ref(),
            TICK_MS,
        )
        .map_err(failed)?;
    Ok(Watch {
        window,
        on_storage,
        _on_tick: on_tick,
        interval,
    })
}

/// Brings the client up to date; when another tab replaced the device identity (its new
/// device's session is in the shared storage), takes the new identity up.
fn follow<K, T>(client: Rc<Client<K, T>>)
where
    K: DeviceKeys + 'static,
    T: Transport + 'static,
{
    client.refresh();
    if client.take_identity_change() {
        wasm_bindgen_futures::spawn_local(async move { client.adopt_stored_identity().await });
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.window.remove_event_listener_with_callback(
            "storage",
            self.on_storage.as_ref().unchecked_ref(),
        );
        self.window.clear_interval_with_handle(self.interval);
    }
}
