//! Attacks, played out step by step: what the attacker holds, what they try, and what the
//! backend answers. Each test is cited by SECURITY.md for the claim it proves.
//!
//! The client tests (`World`, `Browser`) use the real PIN proof (Argon2id at OWASP cost,
//! the real device salt); the protocol-level ones (`Harness`) craft requests by hand, as
//! an attacker with their own HTTP client would.
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use pinauth::backend::BackendConfig;
use pinauth::client::AuthState::*;
use pinauth::crypto::{keyed_hash, pin_proof, DeviceSalt};
use pinauth::pin::Pin;
use pinauth::platform::KeyValueStore;
use pinauth::protocol::*;
use pinauth::ErrorCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;

const APP: &str = "shop";
const ANN: &str = "ann@example.com";
const PIN: &str = "730519";
const WRONG: &str = "281946";

/// Registers Ann and sets her PIN on `browser` through the real client.
fn enrolled(world: &World, browser: &Browser) {
    let client = world.open(browser, APP);
    block_on(client.register(ANN, PASSWORD)).unwrap();
    assert_eq!(
        block_on(client.login(ANN, PASSWORD)).unwrap(),
        PinSetupRequired
    );
    block_on(client.set_pin(PIN)).unwrap();
    assert_eq!(client.state(), SignedIn);
}

/// The error code and attempts left of a failed call, or `None` for a success.
fn outcome(result: pinauth::Result<()>) -> Option<(ErrorCode, Option<u32>)> {
    result
        .err()
        .map(|error| (error.code(), error.attempts_remaining()))
}

// ---- the thief of the browser profile: copy and restore ----

#[test]
fn restoring_a_copy_of_the_browser_storage_never_resets_the_wrong_pin_count() {
    let world = World::new();
    let victim = Browser::new();
    enrolled(&world, &victim);
    let max = BackendConfig::default().max_pin_attempts;
    assert_eq!(max, 5);

    // The attacker copies the whole profile for this app (device id, salt, key handle,
    // the PIN session in localStorage), then guesses, putting the copy back before every
    // guess so that nothing on the device remembers a failure.
    let copy = victim.copy_profile(APP);
    let mut answers = Vec::new();
    for _ in 0..12 {
        victim.restore_profile(&copy);
        let page = world.open(&victim, APP);
        answers.push(outcome(block_on(page.login_with_pin(WRONG))));
    }
    let expected: Vec<_> = [
        Some((ErrorCode::InvalidPin, Some(4))),
        Some((ErrorCode::InvalidPin, Some(3))),
        Some((ErrorCode::InvalidPin, Some(2))),
        Some((ErrorCode::InvalidPin, Some(1))),
        Some((ErrorCode::DeviceLocked, None)),
    ]
    .into_iter()
    .chain(std::iter::repeat_n(
        Some((ErrorCode::SessionInvalid, None)),
        7,
    ))
    .collect();
    assert_eq!(answers, expected, "the server counted every guess");
    let judged = answers
        .iter()
        .filter(|a| {
            matches!(
                a,
                Some((ErrorCode::InvalidPin | ErrorCode::DeviceLocked, _))
            )
        })
        .count();
    assert_eq!(
        judged, max as usize,
        "exactly the threshold of guesses were judged"
    );

    // Restoring the copy once more and typing the right PIN does not help: the copied
    // session is dead on the server. Only a password login (and a new PIN) gets back in.
    victim.restore_profile(&copy);
    let page = world.open(&victim, APP);
    assert_eq!(page.state(), PinRequired, "the copy looks fine locally");
    assert_eq!(
        outcome(block_on(page.login_with_pin(PIN))),
        Some((ErrorCode::SessionInvalid, None))
    );
    assert_eq!(page.state(), SignedOut);
    assert_eq!(
        block_on(page.login(ANN, PASSWORD)).unwrap(),
        PinSetupRequired
    );
}

#[test]
fn a_mock_backend_persisted_in_the_same_storage_is_rewound_with_it() {
    // The documented limit of the in-page mock: with `persistKey`, the "server" lives in
    // the page's own localStorage, so a thief who restores that storage rewinds the
    // counter too. The counter protects only when the backend is a real server.
    let clock = pinauth::platform::ManualClock::new(START_MS);
    let victim = Browser::new();
    let backend = pinauth::backend::Backend::new(
        BackendConfig::default().with_cheap_password_hashing(),
        Box::new(clock.clone()),
        Box::new(pinauth::platform::SeededRng::new(7)),
    )
    .unwrap();
    let server_key = "pinauth:mock-backend";
    let world = World {
        host: std::rc::Rc::new(pinauth::backend::BackendHost::persistent(
            backend,
            Box::new(victim.local.clone()),
            server_key,
        )),
        clock,
        log: Default::default(),
        wire: Default::default(),
        latency: Default::default(),
    };
    enrolled(&world, &victim);
    let copy = victim.copy_profile(APP);
    let server_copy = victim.local.get(server_key).unwrap().unwrap();
    for _ in 0..3 {
        for remaining in (1..=4).rev() {
            let page = world.open(&victim, APP);
            assert_eq!(
                outcome(block_on(page.login_with_pin(WRONG))),
                Some((ErrorCode::InvalidPin, Some(remaining)))
            );
        }
        victim.restore_profile(&copy);
        victim.local.set(server_key, &server_copy).unwrap();
    }
    // 12 wrong guesses and the device never locked.
    block_on(world.open(&victim, APP).login_with_pin(PIN)).unwrap();
}

#[test]
fn a_cloned_profile_and_the_original_share_one_counter() {
    let world = World::new();
    let victim = Browser::new();
    enrolled(&world, &victim);

    // The thief's machine holds a full copy of the profile (key included: the worst case
    // of a stolen profile). Guesses from both machines land on one server-side count.
    let thief = Browser::from_copy(&victim.copy_profile(APP));
    assert_eq!(
        thief.identity(APP).device_id,
        victim.identity(APP).device_id
    );
    let mut answers = Vec::new();
    for round in 0..6 {
        let browser = if round % 2 == 0 { &thief } else { &victim };
        answers.push(outcome(block_on(
            world.open(browser, APP).login_with_pin(WRONG),
        )));
    }
    assert_eq!(
        answers,
        vec![
            Some((ErrorCode::InvalidPin, Some(4))),
            Some((ErrorCode::InvalidPin, Some(3))),
            Some((ErrorCode::InvalidPin, Some(2))),
            Some((ErrorCode::InvalidPin, Some(1))),
            Some((ErrorCode::DeviceLocked, None)),
            // The victim's own page still holds the session, which the server ended.
            Some((ErrorCode::SessionInvalid, None)),
        ]
    );
}

#[test]
fn two_tabs_guessing_at_once_get_no_more_guesses_than_one() {
    let world = World::new();
    let browser = Browser::new();
    enrolled(&world, &browser);
    let tab_a = world.open(&browser, APP);
    let tab_b = world.open(&browser, APP);
    let mut calls = Vec::new();
    for _ in 0..4 {
        calls.push(tab_a.login_with_pin(WRONG));
        calls.push(tab_b.login_with_pin(WRONG));
    }
    let answers: Vec<_> = join_all(calls).into_iter().map(outcome).collect();
    let invalid = answers
        .iter()
        .filter(|a| matches!(a, Some((ErrorCode::InvalidPin, _))))
        .count();
    let locked = answers
        .iter()
        .filter(|a| matches!(a, Some((ErrorCode::DeviceLocked, _))))
        .count();
    assert_eq!((invalid, locked), (4, 1), "{answers:?}");
    assert!(answers.iter().all(Option::is_some), "no guess got in");
    assert_eq!(tab_a.state(), SignedOut);
    assert_eq!(tab_b.state(), SignedOut);
}

// ---- the leaked backend database ----

/// The verifier a leaked snapshot holds for a device, and a function that tests a
/// candidate PIN proof against it, offline, with what the snapshot holds (the pepper,
/// which a real server would keep outside the database, included).
fn offline_verifier(snapshot: &str, device_id: &DeviceId) -> impl Fn(&[u8; 32]) -> bool {
    let state: Value = serde_json::from_str(snapshot).unwrap();
    let pepper = Bytes::<32>::from_base64url(state["pepper"].as_str().unwrap()).unwrap();
    let (user_id, account) = state["accounts"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let device = &account["devices"][device_id.to_base64url()];
    let mut fields: Vec<&str> = device
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "failedPins",
            "lastUsedAt",
            "pinVerifier",
            "publicKey",
            "registeredAt"
        ],
        "a device record holds no salt and no proof"
    );
    let verifier = Bytes::<32>::from_base64url(device["pinVerifier"].as_str().unwrap()).unwrap();
    let user_id = user_id.clone();
    let device_id = device_id.clone();
    move |proof: &[u8; 32]| {
        let candidate = keyed_hash(
            pepper.as_bytes(),
            "pinauth/v1/pin-verifier",
            &[user_id.as_bytes(), device_id.as_bytes(), proof],
        );
        Bytes::new(candidate) == verifier
    }
}

/// Every string anywhere in a JSON value.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out);
        }),
        _ => {}
    }
}

/// Every number in a JSON value, as decimal text.
fn numbers(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| numbers(v, out)),
        Value::Object(map) => map.values().for_each(|v| numbers(v, out)),
        _ => {}
    }
}

#[test]
fn a_leaked_backend_snapshot_cannot_test_a_pin_without_the_device_salt() {
    let world = World::new();
    let browser = Browser::new();
    enrolled(&world, &browser);
    let identity = browser.identity(APP);
    let salt = identity.salt.clone();
    let pin = Pin::parse(PIN).unwrap();
    let real_proof = pin_proof(&pin, &salt).unwrap();

    // The dump holds neither the salt, nor the proof, nor the PIN.
    let snapshot = world.snapshot();
    let mut texts = Vec::new();
    strings(&serde_json::from_str(&snapshot).unwrap(), &mut texts);
    for text in &texts {
        assert!(!text.contains(&salt.to_base64url()), "the salt leaked");
        assert!(
            !text.contains(&real_proof.to_base64url()),
            "the proof leaked"
        );
        assert_ne!(text, PIN, "the PIN leaked");
    }
    let check = offline_verifier(&snapshot, &identity.device_id);

    // Control: with the device's salt, the dump does confirm the right PIN (and only it).
    // This is what a thief holding both the database and the device's salt could do.
    assert!(check(real_proof.as_bytes()));
    for other in ["281946", "730518", "000001"] {
        let other = pin_proof(&Pin::parse(other).unwrap(), &salt).unwrap();
        assert!(!check(other.as_bytes()));
    }

    // Without the salt: the right PIN, run through Argon2id with every salt the dump could
    // suggest, never matches.
    let state: Value = serde_json::from_str(&snapshot).unwrap();
    let (user_id, account) = state["accounts"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let device = &account["devices"][identity.device_id.to_base64url()];
    let mut padded_id = [0u8; 32];
    padded_id[..16].copy_from_slice(identity.device_id.as_bytes());
    let guessed_salts = [
        [0u8; 32],
        padded_id,
        Sha256::digest(identity.device_id.as_bytes()).into(),
        Sha256::digest(user_id.as_bytes()).into(),
        Sha256::digest(ANN.as_bytes()).into(),
        Sha256::digest(device["publicKey"].as_str().unwrap().as_bytes()).into(),
        *Bytes::<32>::from_base64url(state["pepper"].as_str().unwrap())
            .unwrap()
            .as_bytes(),
    ];
    for guessed in guessed_salts {
        let proof = pin_proof(&pin, &DeviceSalt::new(guessed)).unwrap();
        assert!(!check(proof.as_bytes()), "a guessed salt matched");
    }

    // And none of the 10^6 six-digit PINs, sent as the proof itself (no salt, no Argon2:
    // a bearer-PIN design), matches: the dump alone confirms no PIN.
    let sweep = fast_offline_verifier(&snapshot, &identity.device_id);
    assert!(
        sweep(real_proof.as_bytes()),
        "the fast check is the same check"
    );
    let sweep_range = |range: std::ops::Range<u32>| {
        let mut matches = 0u32;
        let mut candidate = [0u8; 32];
        for n in range {
            let mut rest = n;
            for digit in candidate[..6].iter_mut().rev() {
                *digit = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            matches += u32::from(sweep(&candidate));
        }
        (matches, candidate)
    };
    let (low, high) = std::thread::scope(|s| {
        let low = s.spawn(|| sweep_range(0..500_000));
        let high = sweep_range(500_000..1_000_000);
        (low.join().unwrap(), high)
    });
    assert_eq!(&low.1[..6], b"499999");
    assert_eq!(&high.1[..6], b"999999", "the sweep covered every PIN");
    assert_eq!(low.0 + high.0, 0, "no PIN matched without the salt");
}

/// [`offline_verifier`] with the keyed hash's fixed prefix absorbed once, for sweeps.
fn fast_offline_verifier(snapshot: &str, device_id: &DeviceId) -> impl Fn(&[u8; 32]) -> bool {
    use blake2::digest::{consts::U32, Mac};
    let state: Value = serde_json::from_str(snapshot).unwrap();
    let pepper = Bytes::<32>::from_base64url(state["pepper"].as_str().unwrap()).unwrap();
    let (user_id, account) = state["accounts"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let device = &account["devices"][device_id.to_base64url()];
    let verifier = Bytes::<32>::from_base64url(device["pinVerifier"].as_str().unwrap()).unwrap();
    let mut prefix = blake2::Blake2bMac::<U32>::new_from_slice(pepper.as_bytes()).unwrap();
    prefix.update(b"pinauth/v1/pin-verifier");
    for field in [user_id.as_bytes(), device_id.as_bytes().as_slice()] {
        prefix.update(&(field.len() as u64).to_be_bytes());
        prefix.update(field);
    }
    prefix.update(&32u64.to_be_bytes());
    move |proof: &[u8; 32]| {
        let mut mac = prefix.clone();
        mac.update(proof);
        mac.verify_slice(verifier.as_bytes()).is_ok()
    }
}

#[test]
fn the_same_pin_on_two_devices_leaves_unrelated_verifiers() {
    let world = World::new();
    let phone = Browser::new();
    enrolled(&world, &phone);
    let laptop = Browser::new();
    let client = world.open(&laptop, APP);
    block_on(client.login(ANN, PASSWORD)).unwrap();
    block_on(client.set_pin(PIN)).unwrap();

    let snapshot = world.snapshot();
    let (phone_id, laptop_id) = (phone.identity(APP), laptop.identity(APP));
    let phone_check = offline_verifier(&snapshot, &phone_id.device_id);
    let laptop_check = offline_verifier(&snapshot, &laptop_id.device_id);
    let pin = Pin::parse(PIN).unwrap();
    let phone_proof = pin_proof(&pin, &phone_id.salt).unwrap();
    let laptop_proof = pin_proof(&pin, &laptop_id.salt).unwrap();
    assert_ne!(phone_proof, laptop_proof, "one PIN, two unrelated proofs");
    assert!(phone_check(phone_proof.as_bytes()) && laptop_check(laptop_proof.as_bytes()));
    assert!(!phone_check(laptop_proof.as_bytes()) && !laptop_check(phone_proof.as_bytes()));
}

// ---- the shoulder surfer, the injected script and the network observer ----

#[test]
fn a_stolen_session_token_with_the_right_pin_is_refused_from_another_device() {
    let world = World::new();
    let victim = Browser::new();
    enrolled(&world, &victim);

    // The attacker saw the PIN typed, and a script on the page sent them everything it
    // could read: the stored PIN session (with the device id it names) and even the
    // salt. The private key is non-extractable, so they sign with a key of their own.
    let stolen = victim.stored_session(APP);
    let salt = victim.identity(APP).salt;
    let right_proof = pin_proof(&Pin::parse(PIN).unwrap(), &salt).unwrap();
    let attacker = TestDevice::new(9);
    let unlock = |device: &TestDevice, device_id: &DeviceId| {
        let mut request = LoginWithPinRequest {
            session_token: stolen.token.clone(),
            device_id: device_id.clone(),
            pin_proof: right_proof.clone(),
            challenge: world.challenge(device_id),
            signature: Signature::new([0; 64]),
        };
        request.signature = device.sign(&request);
        world.call(&Request::LoginWithPin(request))
    };

    // As their own device: the session is bound to the victim's device.
    assert_eq!(
        code(unlock(&attacker, &attacker.id)),
        ErrorCode::SessionInvalid
    );
    // Claiming the victim's device id: the signature is not the registered key's.
    let impostor = TestDevice::new(9).claiming(&stolen.device_id);
    assert_eq!(
        code(unlock(&impostor, &stolen.device_id)),
        ErrorCode::SignatureInvalid
    );
    // Re-registering their key for the victim's device needs a PIN auth token (password
    // login) or a reset token (email); the session token is neither.
    let mut takeover = SetPinRequest {
        pin_auth_token: stolen.token.clone(),
        device_id: stolen.device_id.clone(),
        device_public_key: impostor.public_key.clone(),
        pin_proof: right_proof.clone(),
        challenge: world.challenge(&stolen.device_id),
        signature: Signature::new([0; 64]),
    };
    takeover.signature = impostor.sign(&takeover);
    assert_eq!(
        code(world.call(&Request::SetPin(takeover))),
        ErrorCode::PinAuthTokenInvalid
    );

    // None of it counted against the victim, whose device still unlocks.
    let page = world.open(&victim, APP);
    assert_eq!(
        outcome(block_on(page.login_with_pin(WRONG))),
        Some((ErrorCode::InvalidPin, Some(4)))
    );
    block_on(page.login_with_pin(PIN)).unwrap();
    assert_eq!(page.state(), SignedIn);
}

#[test]
fn a_stolen_access_token_is_a_bearer_token_only_until_it_expires_or_the_device_is_locked() {
    // The documented limit: an access token read from the page works from anywhere for
    // the endpoints that take no PIN (and for whatever the application's server accepts
    // it for) — but never for a PIN-bearing request from another device, and no longer
    // than 15 minutes or the device's next lockout, logout or revocation.
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let attacker = TestDevice::new(9);
    let ann = h.enrol(ANN, &phone, &proof(1));
    assert!(h.list_devices(&ann.access).is_ok(), "a bearer token");
    assert_eq!(
        code(h.reauthenticate(&attacker, &ann.access, &proof(1))),
        ErrorCode::AccessTokenInvalid,
        "a PIN-bearing request needs the device it was issued to"
    );
    h.advance_secs(15 * 60 + 1);
    assert_eq!(code(h.list_devices(&ann.access)), ErrorCode::TokenExpired);

    // A lockout ends it at once.
    let fresh = h.unlock(&phone, &ann.session, &proof(1)).unwrap();
    assert!(h.list_devices(&fresh.token).is_ok());
    for _ in 0..5 {
        let _ = h.unlock(&phone, &ann.session, &proof(2));
    }
    assert_eq!(
        code(h.list_devices(&fresh.token)),
        ErrorCode::AccessTokenInvalid
    );
}

#[test]
fn nothing_on_the_wire_contains_the_pin_or_the_salt() {
    let world = World::new();
    let browser = Browser::new();
    enrolled(&world, &browser);
    let page = world.open(&browser, APP);
    block_on(page.login_with_pin(PIN)).unwrap();
    block_on(page.reauthenticate(PIN)).unwrap();
    let _ = block_on(page.login_with_pin(WRONG));
    block_on(page.change_pin(PIN, WRONG)).unwrap();
    block_on(page.forgot_pin(ANN)).unwrap();
    let reset = world.reset_token_for(ANN).to_base64url();
    block_on(page.reset_pin(&reset, PIN)).unwrap();

    let salt = browser.identity(APP).salt.to_base64url();
    let wire = world.wire.borrow();
    assert!(wire.len() > 20, "the flows crossed the wire");
    for message in wire.iter() {
        // Every key, string and number, each searched for the PIN anywhere inside it.
        let mut texts = Vec::new();
        strings(&serde_json::from_str(message).unwrap(), &mut texts);
        numbers(&serde_json::from_str(message).unwrap(), &mut texts);
        for text in texts {
            assert!(!text.contains(&salt), "the salt was sent: {message}");
            assert!(
                !text.contains(PIN) && !text.contains(WRONG),
                "a PIN was sent: {message}"
            );
        }
    }
}

// ---- replay and tampering ----

#[test]
fn a_replayed_request_is_refused_and_costs_the_victim_no_attempts() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));

    // An observer records a successful unlock and replays it, byte for byte.
    let recorded = serde_json::to_string(&Request::LoginWithPin(h.unlock_request(
        &phone,
        &ann.session,
        &proof(1),
    )))
    .unwrap();
    let first: Response = serde_json::from_str(&h.backend.handle_json(&recorded)).unwrap();
    assert!(matches!(first, Response::Ok(Reply::LoginWithPin(_))));
    let replayed: Response = serde_json::from_str(&h.backend.handle_json(&recorded)).unwrap();
    let Response::Error(error) = replayed else {
        panic!("a replay was accepted")
    };
    assert_eq!(error.code(), ErrorCode::ChallengeInvalid);

    // Replaying a recorded wrong guess over and over cannot lock the victim out: the
    // challenge is checked before the PIN, and only the first delivery counted.
    let wrong = serde_json::to_string(&Request::LoginWithPin(h.unlock_request(
        &phone,
        &ann.session,
        &proof(2),
    )))
    .unwrap();
    let _ = h.backend.handle_json(&wrong);
    for _ in 0..10 {
        let answer: Response = serde_json::from_str(&h.backend.handle_json(&wrong)).unwrap();
        assert!(
            matches!(answer, Response::Error(ref e) if e.code() == ErrorCode::ChallengeInvalid)
        );
    }
    let next = h.unlock(&phone, &ann.session, &proof(2)).unwrap_err();
    assert_eq!(
        next.attempts_remaining(),
        Some(3),
        "only two guesses counted"
    );
    assert!(h.unlock(&phone, &ann.session, &proof(1)).is_ok());
}

#[test]
fn a_used_challenge_is_refused_even_under_a_fresh_valid_signature() {
    // Even the device itself (or a script driving its key) cannot answer one challenge
    // twice: a signature is good for one request.
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    let request = h.unlock_request(&phone, &ann.session, &proof(1));
    let challenge = request.challenge.clone();
    assert!(h.call(Request::LoginWithPin(request)).is_ok());

    let mut reauth = ReauthenticateRequest {
        access_token: ann.access.clone(),
        device_id: phone.id.clone(),
        pin_proof: proof(1),
        challenge,
        signature: Signature::new([0; 64]),
    };
    reauth.signature = phone.sign(&reauth);
    assert_eq!(
        code(h.call(Request::Reauthenticate(reauth))),
        ErrorCode::ChallengeInvalid
    );
}

#[test]
fn a_signature_covers_its_own_body_and_endpoint_only() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let laptop = TestDevice::new(2);
    let ann = h.enrol(ANN, &phone, &proof(1));

    // loginWithPin: another proof under the same signature.
    let mut unlock = h.unlock_request(&phone, &ann.session, &proof(2));
    unlock.pin_proof = proof(1);
    assert_eq!(
        code(h.call(Request::LoginWithPin(unlock.clone()))),
        ErrorCode::SignatureInvalid
    );

    // The same challenge, token bytes, proof and signature moved to another endpoint.
    let moved = h.unlock_request(&phone, &ann.session, &proof(1));
    let reauth = ReauthenticateRequest {
        access_token: ann.access.clone(),
        device_id: moved.device_id.clone(),
        pin_proof: moved.pin_proof.clone(),
        challenge: moved.challenge.clone(),
        signature: moved.signature.clone(),
    };
    assert_eq!(
        code(h.call(Request::Reauthenticate(reauth))),
        ErrorCode::SignatureInvalid
    );

    // changePin: the new PIN swapped after signing (an attacker's PIN for the user's).
    let mut change = ChangePinRequest {
        access_token: ann.access.clone(),
        device_id: phone.id.clone(),
        old_proof: proof(1),
        new_proof: proof(3),
        challenge: h.challenge(&phone),
        signature: Signature::new([0; 64]),
    };
    change.signature = phone.sign(&change);
    change.new_proof = proof(6);
    assert_eq!(
        code(h.call(Request::ChangePin(change))),
        ErrorCode::SignatureInvalid
    );

    // setPin: the attacker's public key swapped in for the device's.
    let PinStep::PinAuth(pin_auth) = h.login(ANN, &laptop).pin else {
        panic!("a new device sets a PIN")
    };
    let mut set = h.set_pin_request(&laptop, &pin_auth.token, &proof(4));
    set.device_public_key = TestDevice::new(9).public_key;
    assert_eq!(
        code(h.call(Request::SetPin(set))),
        ErrorCode::SignatureInvalid
    );

    // resetPin: another new PIN under the same signature.
    h.forgot_pin(ANN).unwrap();
    let reset_token = h.reset_token_for(ANN);
    let mut reset = ResetPinRequest {
        reset_token: reset_token.clone(),
        device_id: phone.id.clone(),
        device_public_key: phone.public_key.clone(),
        new_proof: proof(5),
        challenge: h.challenge(&phone),
        signature: Signature::new([0; 64]),
    };
    reset.signature = phone.sign(&reset);
    reset.new_proof = proof(6);
    assert_eq!(
        code(h.call(Request::ResetPin(reset))),
        ErrorCode::SignatureInvalid
    );

    // Nothing was spent or changed by the refused requests: the PIN is still proof(1)
    // with the full count, and the PIN auth and reset tokens still work.
    let wrong = h.unlock(&phone, &ann.session, &proof(6)).unwrap_err();
    assert_eq!(wrong.attempts_remaining(), Some(4));
    assert!(h.unlock(&phone, &ann.session, &proof(1)).is_ok());
    assert!(h.set_pin(&laptop, &pin_auth.token, &proof(4)).is_ok());
    assert!(h.reset_pin(&phone, &reset_token, &proof(5)).is_ok());
}

// ---- user enumeration ----

/// One JSON call straight to the backend: the exact response text and the Argon2 runs
/// it cost.
fn probe(h: &mut Harness, request: &Request) -> (String, u64) {
    let before = h.argon2_runs();
    let response = h
        .backend
        .handle_json(&serde_json::to_string(request).unwrap());
    (response.to_string(), h.argon2_runs() - before)
}

fn login(email: &str, password: &str) -> Request {
    Request::Login(LoginRequest {
        email: email.into(),
        password: SecretString::new(password),
        device_id: DeviceId::new([1; 16]),
    })
}

fn forgot(email: &str) -> Request {
    Request::ForgotPin(ForgotPinRequest {
        email: email.into(),
    })
}

#[test]
fn login_and_forgot_pin_answer_unknown_and_known_emails_alike_for_the_same_argon2_work() {
    let mut h = Harness::new();
    h.register(ANN);
    let ghost = "ghost@example.com";

    // Password login: byte-identical answers, one Argon2 verification each, right up to
    // and through the lockout (during which neither path runs Argon2 at all).
    for attempt in 1..=7 {
        let known = probe(&mut h, &login(ANN, "wrong password"));
        let unknown = probe(&mut h, &login(ghost, "wrong password"));
        assert_eq!(known, unknown, "attempt {attempt}");
        let expected_work = if attempt <= 5 { 1 } else { 0 };
        assert_eq!(known.1, expected_work, "attempt {attempt}: {}", known.0);
        let code = if attempt < 5 {
            "INVALID_CREDENTIALS"
        } else {
            "ACCOUNT_LOCKED"
        };
        assert!(known.0.contains(code), "attempt {attempt}: {}", known.0);
    }
    h.advance_secs(15 * 60);
    // A right password costs the same single verification as a wrong one.
    let right = probe(&mut h, &login(ANN, PASSWORD));
    assert!(right.0.starts_with("{\"ok\""));
    assert_eq!(right.1, 1);
    let unknown_with_that_password = probe(&mut h, &login(ghost, PASSWORD));
    assert_eq!(unknown_with_that_password.1, 1);

    // Forgot PIN: the same answer, and no Argon2 work, for both. (Only a real account's
    // answer also puts a reset token in the outbox: a few hashes, no Argon2.)
    let known = probe(&mut h, &forgot(" Ann@Example.com"));
    let unknown = probe(&mut h, &forgot(ghost));
    assert_eq!(known, unknown);
    assert_eq!(known, (r#"{"ok":{"endpoint":"forgotPin"}}"#.to_owned(), 0));
    assert_eq!(h.backend.outbox().len(), 1);

    // Malformed emails are refused before any lookup, alike.
    assert_eq!(
        probe(&mut h, &login("ann@", PASSWORD)),
        probe(&mut h, &login("ghost@", PASSWORD))
    );

    // The documented limit (SECURITY.md): registration must say when an email is taken,
    // and only a new account pays for hashing its password.
    let register = |email: &str| {
        Request::Register(RegisterRequest {
            email: email.into(),
            password: SecretString::new(PASSWORD),
        })
    };
    let taken = probe(&mut h, &register(ANN));
    assert!(taken.0.contains("EMAIL_TAKEN"));
    assert_eq!(taken.1, 0);
    assert_eq!(probe(&mut h, &register(ghost)).1, 1);
}

// ---- token lifetimes at their boundaries ----

/// The token kinds, with the lifetime DESIGN.md gives each.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Access,
    PinSession,
    PinAuth,
    Reauth,
    Reset,
    Challenge,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Access,
        Kind::PinSession,
        Kind::PinAuth,
        Kind::Reauth,
        Kind::Reset,
        Kind::Challenge,
    ];

    fn ttl(self) -> Duration {
        let c = BackendConfig::default();
        match self {
            Kind::Access => c.access_token_ttl,
            Kind::PinSession => c.pin_session_ttl,
            Kind::PinAuth => c.pin_auth_token_ttl,
            Kind::Reauth => c.reauth_token_ttl,
            Kind::Reset => c.reset_token_ttl,
            Kind::Challenge => c.challenge_ttl,
        }
    }

    fn design_minutes(self) -> u64 {
        match self {
            Kind::Access => 15,
            Kind::PinSession => 7 * 24 * 60,
            Kind::PinAuth => 10,
            Kind::Reauth => 5,
            Kind::Reset => 15,
            Kind::Challenge => 2,
        }
    }

    /// What an expired token of this kind is refused with.
    fn expired(self) -> ErrorCode {
        match self {
            Kind::PinSession => ErrorCode::SessionExpired,
            Kind::Challenge => ErrorCode::ChallengeInvalid,
            _ => ErrorCode::TokenExpired,
        }
    }

    /// Issues a token of this kind on a fresh backend, moves the clock to `offset_ms`
    /// from its expiry, and uses it.
    fn use_at(self, offset_ms: i64) -> pinauth::Result<()> {
        let mut h = Harness::new();
        let phone = TestDevice::new(1);
        let ann = h.enrol(ANN, &phone, &proof(1));
        let issued_at = h.now();
        let expiry = issued_at + u64::try_from(self.ttl().as_millis()).unwrap();
        let go_to = |h: &Harness| {
            let target = expiry.checked_add_signed(offset_ms).unwrap();
            h.clock.advance(Duration::from_millis(target - h.now()));
        };
        match self {
            Kind::Access => {
                assert_eq!(h.list_devices(&ann.access).map(|_| ()), Ok(()));
                go_to(&h);
                h.list_devices(&ann.access).map(|_| ())
            }
            Kind::PinSession => {
                go_to(&h);
                h.unlock(&phone, &ann.session, &proof(1)).map(|_| ())
            }
            Kind::PinAuth => {
                let laptop = TestDevice::new(2);
                let PinStep::PinAuth(token) = h.login(ANN, &laptop).pin else {
                    panic!("a new device sets a PIN")
                };
                assert_eq!(token.expires_at, expiry);
                go_to(&h);
                h.set_pin(&laptop, &token.token, &proof(2)).map(|_| ())
            }
            Kind::Reauth => {
                let token = h.reauthenticate(&phone, &ann.access, &proof(1)).unwrap();
                assert_eq!(token.expires_at, expiry);
                go_to(&h);
                h.call(Request::ValidateReauth(ValidateReauthRequest {
                    reauth_token: token.token,
                }))
                .map(|_| ())
            }
            Kind::Reset => {
                h.forgot_pin(ANN).unwrap();
                assert_eq!(h.backend.outbox()[0].expires_at, expiry);
                go_to(&h);
                let token = h.reset_token_for(ANN);
                h.reset_pin(&phone, &token, &proof(2)).map(|_| ())
            }
            Kind::Challenge => {
                let request = h.unlock_request(&phone, &ann.session, &proof(1));
                go_to(&h);
                h.call(Request::LoginWithPin(request)).map(|_| ())
            }
        }
    }
}

#[test]
fn every_token_kind_holds_one_second_before_expiry_and_is_refused_one_second_after() {
    for kind in Kind::ALL {
        assert_eq!(
            kind.ttl(),
            Duration::from_secs(kind.design_minutes() * 60),
            "{kind:?}: the default lifetime is DESIGN.md's"
        );
        assert_eq!(kind.use_at(-1_000), Ok(()), "{kind:?} one second before");
        assert_eq!(
            code(kind.use_at(0)),
            kind.expired(),
            "{kind:?} at the instant of expiry"
        );
        assert_eq!(
            code(kind.use_at(1_000)),
            kind.expired(),
            "{kind:?} one second after"
        );
    }
}
