//! `Backend::handle_json` on arbitrary scripts of requests: never panics, and every answer
//! is a parseable `Response` (see `pinauth_fuzz::run_script`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: pinauth_fuzz::write_seeds("handle_json"), |data: &[u8]| {
    pinauth_fuzz::run_script(data);
});
