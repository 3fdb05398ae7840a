//! Known-answer test: the PIN proof equals an independent Argon2id implementation's output.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

mod common;

#[test]
fn pin_proof_matches_an_independent_argon2id_implementation() {
    assert_eq!(common::derive_known_proof_hex(), common::KNOWN_PROOF_HEX);
}
