//! Browser tests, run in headless Chromium by `wasm-pack test`: the crypto and the mock
//! backend work in a real browser with its own randomness.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use pinauth::backend::{Backend, BackendConfig};
use pinauth::platform::{ManualClock, OsRng};
use pinauth::protocol::*;
use pinauth::ErrorCode;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn pin_proof_in_the_browser_matches_an_independent_argon2id_implementation() {
    assert_eq!(derive_known_proof_hex(), KNOWN_PROOF_HEX);
}

#[wasm_bindgen_test]
fn repeated_pin_proofs_reuse_the_memory_of_the_first() {
    // Each proof allocates 19 MiB; the allocator must hand the same region back rather
    // than grow the page's memory on every unlock.
    let memory_bytes = || {
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        memory
            .buffer()
            .unchecked_into::<js_sys::ArrayBuffer>()
            .byte_length()
    };
    assert_eq!(derive_known_proof_hex(), KNOWN_PROOF_HEX);
    let after_one = memory_bytes();
    for _ in 0..4 {
        assert_eq!(derive_known_proof_hex(), KNOWN_PROOF_HEX);
    }
    assert_eq!(memory_bytes(), after_one);
}

#[wasm_bindgen_test]
fn the_backend_runs_every_pin_flow_in_the_browser_at_owasp_cost() {
    // Real browser randomness (crypto.getRandomValues) and the production Argon2 cost.
    let mut h = Harness::with(BackendConfig::default(), Box::new(OsRng));
    let phone = TestDevice::new(1);
    let ann = h.enrol("ann@example.com", &phone, &proof(1));

    let wrong = h.unlock(&phone, &ann.session, &proof(2)).unwrap_err();
    assert_eq!(
        (wrong.code(), wrong.attempts_remaining()),
        (ErrorCode::InvalidPin, Some(4))
    );
    let access = h.unlock(&phone, &ann.session, &proof(1)).unwrap();
    let reauth = h.reauthenticate(&phone, &access.token, &proof(1)).unwrap();
    let who = h.call(Request::ValidateReauth(ValidateReauthRequest {
        reauth_token: reauth.token,
    }));
    assert_eq!(
        reply!(who, Reply::ValidateReauth).unwrap().device_id,
        phone.id
    );

    let unknown = h
        .login_with("ghost@example.com", PASSWORD, &phone)
        .unwrap_err();
    let wrong_password = h
        .login_with("ann@example.com", "not the password", &phone)
        .unwrap_err();
    assert_eq!(unknown, wrong_password);

    // The snapshot the in-page demo keeps in localStorage survives a restore.
    let snapshot = h.backend.snapshot().unwrap();
    h.backend = Backend::restore(
        &snapshot,
        BackendConfig::default(),
        Box::new(h.clock.clone()),
        Box::new(OsRng),
    )
    .unwrap();
    assert!(h.unlock(&phone, &ann.session, &proof(1)).is_ok());
    assert_eq!(
        code(Backend::restore(
            "{",
            BackendConfig::default(),
            Box::new(ManualClock::new(0)),
            Box::new(OsRng)
        )),
        ErrorCode::SnapshotInvalid
    );
}

#[wasm_bindgen_test]
fn browser_randomness_gives_every_backend_its_own_tokens() {
    let tokens: Vec<Token> = (0..2)
        .map(|_| {
            let mut h = Harness::with(
                BackendConfig::default().with_cheap_password_hashing(),
                Box::new(OsRng),
            );
            h.challenge(&TestDevice::new(1))
        })
        .collect();
    assert_ne!(tokens[0], tokens[1]);
}
