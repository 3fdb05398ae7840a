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
use pinauth::backend::{Backend, BackendConfig, BackendHost};
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
fn a_pin_proof_leaves_no_argon2_block_behind_in_the_page_memory() {
    // The last Argon2 block is one BLAKE2b away from the proof, and the first blocks
    // give every later one (and so the proof) without the PIN; any script of the page
    // can read the module's memory: the proof's 19 MiB must be wiped once it is done.
    // Each block's first words are kept here masked, so that only a copy of the block
    // itself matches.
    use argon2::{Algorithm, Argon2, Block, Params, Version};
    const MASK: u64 = 0xa5a5_5a5a_c3c3_3c3c;
    let masked = {
        let params = Params::new(19_456, 2, 1, Some(32)).unwrap();
        let mut memory = zeroize::Zeroizing::new(vec![Block::default(); params.block_count()]);
        let mut proof = zeroize::Zeroizing::new([0u8; 32]);
        let salt: [u8; 32] = std::array::from_fn(|i| i as u8);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into_with_memory(
                b"730519",
                &salt,
                proof.as_mut_slice(),
                memory.as_mut_slice(),
            )
            .unwrap();
        let words = |block: &Block| [block.as_ref()[0] ^ MASK, block.as_ref()[1] ^ MASK];
        [
            words(&memory[0]),
            words(&memory[1]),
            words(memory.last().unwrap()),
        ]
    };
    // This reference run leaves its own copy on the stack: overwritten here, before the
    // crate's proof runs, so it cannot hide what the crate leaves.
    wipe_stack();
    assert_eq!(derive_known_proof_hex(), KNOWN_PROOF_HEX);
    // Counts the 8-byte-aligned places of the memory holding the block's first two words.
    let count = js_sys::Function::new_with_args(
        "memory, w",
        "const words = new Uint32Array(memory.buffer); let found = 0;
         for (let i = 0; i + 3 < words.length; i += 2) {
           if (((words[i] ^ w[4]) >>> 0) === w[0] && ((words[i + 1] ^ w[5]) >>> 0) === w[1] &&
               ((words[i + 2] ^ w[4]) >>> 0) === w[2] && ((words[i + 3] ^ w[5]) >>> 0) === w[3]) found++;
         }
         return found;",
    );
    for (block, [first, second]) in ["first", "second", "last"].into_iter().zip(masked) {
        let halves: js_sys::Array = [first, second, MASK]
            .iter()
            .flat_map(|word| [*word as u32, (word >> 32) as u32])
            .map(wasm_bindgen::JsValue::from)
            .collect();
        let found = count
            .call2(
                &wasm_bindgen::JsValue::NULL,
                &wasm_bindgen::memory(),
                &halves,
            )
            .unwrap();
        assert_eq!(found.as_f64(), Some(0.0), "the {block} block");
    }
}

#[inline(never)]
fn wipe_stack() {
    use zeroize::Zeroize;
    let mut scratch = [0u8; 32 * 1024];
    scratch.zeroize();
    std::hint::black_box(&scratch);
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
    let snapshot = h.backend.snapshot();
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

/// One request through a hosted backend, as the in-page transport sends it.
async fn ask(host: &BackendHost, request: &Request) -> pinauth::Result<Reply> {
    let response = host
        .handle_json(&serde_json::to_string(request).unwrap())
        .await;
    serde_json::from_str::<Response>(&response).unwrap().into()
}

async fn challenge_from(host: &BackendHost, device: &TestDevice) -> Token {
    let request = Request::Challenge(ChallengeRequest {
        device_id: device.id.clone(),
    });
    reply!(ask(host, &request).await, Reply::Challenge)
        .unwrap()
        .token
}

/// A `setPin` for `device`, with `public_key` as the device key, signed by `signer`.
fn set_pin_by(
    device: &TestDevice,
    pin_auth: &Token,
    public_key: &PublicKey,
    challenge: Token,
    signer: &TestDevice,
) -> Request {
    let mut request = SetPinRequest {
        pin_auth_token: pin_auth.clone(),
        device_id: device.id.clone(),
        device_public_key: public_key.clone(),
        pin_proof: proof(1),
        challenge,
        signature: Signature::new([0; 64]),
    };
    request.signature = signer.sign(&request);
    Request::SetPin(request)
}

#[wasm_bindgen_test]
async fn the_hosted_backend_checks_device_signatures_with_webcrypto() {
    // The browser build's backend has no P-256 code: its host checks each signature
    // with WebCrypto and hands the verdict back for exactly that key and payload.
    let config = BackendConfig::default().with_cheap_password_hashing();
    let clock = Box::new(ManualClock::new(START_MS));
    let host = BackendHost::in_memory(Backend::new(config, clock, Box::new(OsRng)).unwrap());
    let (phone, thief) = (TestDevice::new(1), TestDevice::new(2));
    let email = "ann@example.com";
    let register = Request::Register(RegisterRequest {
        email: email.into(),
        password: SecretString::new(PASSWORD),
    });
    ask(&host, &register).await.unwrap();
    let login = Request::Login(LoginRequest {
        email: email.into(),
        password: SecretString::new(PASSWORD),
        device_id: phone.id.clone(),
    });
    let Ok(Reply::Login(LoginResponse {
        pin: PinStep::PinAuth(pin_auth),
        ..
    })) = ask(&host, &login).await
    else {
        panic!("a PIN auth token");
    };
    let pin_auth = pin_auth.token;

    // Signed by another key than the one in the request: refused, and the refusal uses
    // up the challenge. (Every signed request runs twice here, first to find the check
    // it needs; that first run leaves the challenge, or no signed request could succeed,
    // as the device's own below does.)
    let challenge = challenge_from(&host, &phone).await;
    let forged = set_pin_by(
        &phone,
        &pin_auth,
        &phone.public_key,
        challenge.clone(),
        &thief,
    );
    assert_eq!(code(ask(&host, &forged).await), ErrorCode::SignatureInvalid);
    let late = set_pin_by(&phone, &pin_auth, &phone.public_key, challenge, &phone);
    assert_eq!(code(ask(&host, &late).await), ErrorCode::ChallengeInvalid);
    // A public key that is no P-256 point: refused as bad input, as natively.
    let mut not_a_point = [0xff; 65];
    not_a_point[0] = 0x04;
    let challenge = challenge_from(&host, &phone).await;
    let bad_key = set_pin_by(
        &phone,
        &pin_auth,
        &PublicKey::new(not_a_point),
        challenge,
        &phone,
    );
    assert_eq!(code(ask(&host, &bad_key).await), ErrorCode::InvalidInput);
    let challenge = challenge_from(&host, &phone).await;
    let genuine = set_pin_by(&phone, &pin_auth, &phone.public_key, challenge, &phone);
    let session = reply!(ask(&host, &genuine).await, Reply::SetPin)
        .unwrap()
        .token;

    // Unlocking: the key is the registered one, looked up by the backend.
    let unlock = |challenge: Token, signer: &TestDevice| {
        let mut request = LoginWithPinRequest {
            session_token: session.clone(),
            device_id: phone.id.clone(),
            pin_proof: proof(1),
            challenge,
            signature: Signature::new([0; 64]),
        };
        request.signature = signer.sign(&request);
        Request::LoginWithPin(request)
    };
    let by_thief = unlock(challenge_from(&host, &phone).await, &thief);
    assert_eq!(
        code(ask(&host, &by_thief).await),
        ErrorCode::SignatureInvalid
    );
    let challenge = challenge_from(&host, &phone).await;
    assert!(ask(&host, &unlock(challenge.clone(), &phone)).await.is_ok());
    // The challenge is used up now.
    assert_eq!(
        code(ask(&host, &unlock(challenge, &phone)).await),
        ErrorCode::ChallengeInvalid
    );
}
