//! `Backend::restore` on arbitrary text: never panics, and what it accepts round-trips and
//! keeps answering (see `pinauth_fuzz::restore_snapshot`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: pinauth_fuzz::write_seeds("restore_snapshot"), |data: &[u8]| {
    pinauth_fuzz::restore_snapshot(data);
});
