//! # pinauth
//!
//! PIN sign-in on a trusted device, for any web page. A user signs in once with email and
//! password, sets a PIN for this device, and later unlocks with the PIN alone while the
//! device's PIN session lasts; the same PIN re-authenticates sensitive actions.
//!
//! The PIN never leaves the device: the device sends `Argon2id(PIN, device salt)` and signs
//! every PIN-bearing request with a non-extractable P-256 key over a single-use backend
//! challenge. Wrong PINs are counted by the backend.
//!
//! Modules:
//! - [`protocol`]: the wire types every call crosses, as camelCase JSON;
//! - [`error`]: the one error type, with stable codes;
//! - [`pin`]: the PIN type and the weak-PIN policy;
//! - [`crypto`]: PIN proof derivation and the request-signing payload;
//! - [`platform`]: the seams the core is given (clock, randomness, storage, device keys,
//!   transport), with implementations that work everywhere;
//! - `backend` (feature `mock-backend`, on by default): the server half, runnable in the page;
//! - `web` (`wasm32` only): the browser implementations of the seams.
//!
//! The shipped wasm module (feature `standalone`) leaves out the standard library: the
//! crate needs only `core` and `alloc`, and a panic, which no JavaScript call can reach,
//! traps without formatting a message. Other builds link it (the browser tests' harness
//! needs it).

#![cfg_attr(all(target_arch = "wasm32", feature = "standalone"), no_std)]

extern crate alloc;

pub mod client;
pub mod crypto;
pub mod device;
pub mod error;
pub mod pin;
pub mod platform;
pub mod protocol;
pub mod tokens;

#[cfg(feature = "mock-backend")]
pub mod backend;

#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(target_arch = "wasm32")]
mod js_api;

pub use error::{Error, ErrorCode, Result};

/// The module's allocator: Talc instead of the standard dlmalloc, 1.5 KB of code against 7 KB.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A panic traps the instance: without the standard library nothing formats or reports
/// it, so the module carries no panic messages, locations or formatting code.
#[cfg(all(target_arch = "wasm32", feature = "standalone"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
