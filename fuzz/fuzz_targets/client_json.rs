//! The client's hand-written JSON reader and writer (`protocol::json`) against serde_json
//! on arbitrary text: responses from a possibly hostile server, token values from storage,
//! and requests (see `pinauth_fuzz::client_json`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: pinauth_fuzz::write_seeds("client_json"), |data: &[u8]| {
    pinauth_fuzz::client_json(data);
});
