//! The mock backend, driven through its JSON entry point under a test clock: every
//! endpoint's success and each of its failures.
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use pinauth::backend::{Backend, BackendConfig};
use pinauth::platform::{ManualClock, SeededRng};
use pinauth::protocol::*;
use pinauth::ErrorCode;

const ANN: &str = "ann@example.com";
const BOB: &str = "bob@example.com";

// ---- register and password login ----

#[test]
fn register_refuses_duplicates_bad_emails_and_short_passwords() {
    let mut h = Harness::new();
    let user_id = h.register(ANN);
    assert!(user_id.starts_with("u_"));
    let again = |email: &str, password: &str| {
        Request::Register(RegisterRequest {
            email: email.into(),
            password: SecretString::new(password),
        })
    };
    assert_eq!(
        code(h.call(again("  ANN@example.com ", PASSWORD))),
        ErrorCode::EmailTaken
    );
    assert_eq!(
        code(h.call(again("ann", PASSWORD))),
        ErrorCode::InvalidInput
    );
    assert_eq!(code(h.call(again(BOB, "short"))), ErrorCode::InvalidInput);
    assert_eq!(
        code(h.call(again(BOB, &"x".repeat(2000)))),
        ErrorCode::InvalidInput
    );
    assert!(h.call(again(BOB, PASSWORD)).is_ok());
}

#[test]
fn password_login_on_a_new_device_asks_for_a_pin_and_later_returns_a_session() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let user_id = h.register(ANN);
    let first = h.login("Ann@Example.com", &phone);
    assert_eq!(first.user_id, user_id);
    assert_eq!(first.access.expires_at, h.now() + 15 * 60 * 1000);
    let PinStep::PinAuth(pin_auth) = first.pin else {
        panic!("expected a PIN auth token")
    };
    assert_eq!(pin_auth.expires_at, h.now() + 10 * 60 * 1000);

    let session = h.set_pin(&phone, &pin_auth.token, &proof(1)).unwrap();
    assert_eq!(session.expires_at, h.now() + 7 * 24 * 3600 * 1000);

    let second = h.login(ANN, &phone);
    let PinStep::PinSession(fresh) = second.pin else {
        panic!("expected a PIN session")
    };
    assert!(h.unlock(&phone, &fresh.token, &proof(1)).is_ok());
    // The password login replaced the device's earlier session.
    assert_eq!(
        code(h.unlock(&phone, &session.token, &proof(1))),
        ErrorCode::SessionInvalid
    );
}

#[test]
fn wrong_passwords_lock_the_account_for_fifteen_minutes() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    h.register(ANN);
    for _ in 0..4 {
        assert_eq!(
            code(h.login_with(ANN, "wrong password", &phone)),
            ErrorCode::InvalidCredentials
        );
    }
    let locked = h.login_with(ANN, "wrong password", &phone).unwrap_err();
    assert_eq!(locked.code(), ErrorCode::AccountLocked);
    assert_eq!(locked.retry_after_seconds(), Some(900));

    h.advance_secs(60);
    let still = h.login_with(ANN, PASSWORD, &phone).unwrap_err();
    assert_eq!(
        still.code(),
        ErrorCode::AccountLocked,
        "even the right password waits"
    );
    assert_eq!(still.retry_after_seconds(), Some(840));

    h.advance_secs(840);
    assert!(h.login_with(ANN, PASSWORD, &phone).is_ok());
}

#[test]
fn five_wrong_passwords_within_fifteen_minutes_lock_whenever_the_first_came() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    h.register(ANN);
    let wrong = |h: &mut Harness| code(h.login_with(ANN, "wrong password", &phone));
    // One failure, then four more a quarter of an hour later, around the end of the
    // first failure's window: the 5th lands within 15 minutes of the 2nd.
    assert_eq!(wrong(&mut h), ErrorCode::InvalidCredentials);
    h.advance_secs(15 * 60 - 1);
    for _ in 0..3 {
        assert_eq!(wrong(&mut h), ErrorCode::InvalidCredentials);
    }
    h.advance_secs(1);
    assert_eq!(wrong(&mut h), ErrorCode::AccountLocked);

    // Failures spread out, each more than 15 minutes after the one before, never lock.
    h.register(BOB);
    h.advance_secs(15 * 60);
    for _ in 0..8 {
        assert_eq!(
            code(h.login_with(BOB, "wrong password", &phone)),
            ErrorCode::InvalidCredentials
        );
        h.advance_secs(15 * 60);
    }
    assert!(h.login_with(BOB, PASSWORD, &phone).is_ok());
}

#[test]
fn a_successful_login_resets_the_password_failure_count() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    h.register(ANN);
    for _ in 0..4 {
        assert!(h.login_with(ANN, "wrong password", &phone).is_err());
    }
    assert!(h.login_with(ANN, PASSWORD, &phone).is_ok());
    for _ in 0..4 {
        assert_eq!(
            code(h.login_with(ANN, "wrong password", &phone)),
            ErrorCode::InvalidCredentials
        );
    }
}

#[test]
fn unknown_emails_are_indistinguishable_from_wrong_passwords() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    h.register(ANN);
    let ghost = "ghost@example.com";
    for _ in 0..4 {
        let known = h.login_with(ANN, "wrong password", &phone).unwrap_err();
        let unknown = h.login_with(ghost, "wrong password", &phone).unwrap_err();
        assert_eq!(known, unknown, "same code, message and hints");
    }
    // Unknown emails lock out exactly like real accounts.
    let known = h.login_with(ANN, "wrong password", &phone).unwrap_err();
    let unknown = h.login_with(ghost, "wrong password", &phone).unwrap_err();
    assert_eq!(known.code(), ErrorCode::AccountLocked);
    assert_eq!(known, unknown);

    // Forgot PIN answers the same and only real accounts get mail.
    assert!(matches!(h.forgot_pin(ghost), Ok(Reply::ForgotPin)));
    assert!(h.backend.outbox().is_empty());
    assert!(matches!(h.forgot_pin(ANN), Ok(Reply::ForgotPin)));
    assert_eq!(h.backend.outbox().len(), 1);
}

#[test]
fn unknown_emails_pay_the_same_argon2_cost_as_real_accounts() {
    // The dummy hash verified for unknown emails has the configured cost, so both paths do
    // the same Argon2 work. (Timing is measured in the benchmark, not asserted here.)
    let mut h = Harness::new();
    h.register(ANN);
    let snapshot: serde_json::Value = serde_json::from_str(&h.backend.snapshot()).unwrap();
    let cost_of = |phc: &str| phc.split('$').nth(3).unwrap().to_owned();
    let dummy = cost_of(snapshot["dummyPasswordHash"].as_str().unwrap());
    let account = snapshot["accounts"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert_eq!(dummy, cost_of(account["passwordHash"].as_str().unwrap()));
    assert_eq!(dummy, "m=64,t=1,p=1");

    let owasp = Backend::new(
        BackendConfig::default(),
        Box::new(ManualClock::new(START_MS)),
        Box::new(SeededRng::new(1)),
    )
    .unwrap();
    let snapshot: serde_json::Value = serde_json::from_str(&owasp.snapshot()).unwrap();
    assert_eq!(
        cost_of(snapshot["dummyPasswordHash"].as_str().unwrap()),
        "m=19456,t=2,p=1"
    );
}

#[test]
fn a_password_hashed_at_a_lower_cost_is_rehashed_at_the_next_login() {
    // After the configured cost changes, an account's login must cost what an unknown
    // email's does (the dummy hash follows the configuration at once), or its timing
    // would tell that the email has an account.
    let mut h = Harness::new();
    h.register(ANN);
    let cost_of_account = |snapshot: &str| {
        let v: serde_json::Value = serde_json::from_str(snapshot).unwrap();
        let phc = v["accounts"].as_object().unwrap().values().next().unwrap()["passwordHash"]
            .as_str()
            .unwrap()
            .to_owned();
        phc.split('$').nth(3).unwrap().to_owned()
    };
    let mut config = BackendConfig::default().with_cheap_password_hashing();
    config.password_hashing.memory_kib = 128;
    let mut restored = Backend::restore(
        &h.backend.snapshot(),
        config,
        Box::new(ManualClock::new(START_MS)),
        Box::new(SeededRng::new(2)),
    )
    .unwrap();
    assert_eq!(cost_of_account(&restored.snapshot()), "m=64,t=1,p=1");
    let login = |backend: &mut Backend, password: &str| {
        backend.handle(Request::Login(LoginRequest {
            email: ANN.into(),
            password: SecretString::new(password),
            device_id: TestDevice::new(1).id.clone(),
        }))
    };
    // A wrong password changes nothing.
    assert_eq!(
        code(pinauth::Result::<Reply>::from(login(
            &mut restored,
            "wrong"
        ))),
        ErrorCode::InvalidCredentials
    );
    assert_eq!(cost_of_account(&restored.snapshot()), "m=64,t=1,p=1");
    assert!(pinauth::Result::<Reply>::from(login(&mut restored, PASSWORD)).is_ok());
    assert_eq!(cost_of_account(&restored.snapshot()), "m=128,t=1,p=1");
    // The rehashed password still signs in.
    assert!(pinauth::Result::<Reply>::from(login(&mut restored, PASSWORD)).is_ok());
    // A lower configured cost never weakens a stored hash.
    let mut lowered = Backend::restore(
        &restored.snapshot(),
        BackendConfig::default().with_cheap_password_hashing(),
        Box::new(ManualClock::new(START_MS)),
        Box::new(SeededRng::new(3)),
    )
    .unwrap();
    assert!(pinauth::Result::<Reply>::from(login(&mut lowered, PASSWORD)).is_ok());
    assert_eq!(cost_of_account(&lowered.snapshot()), "m=128,t=1,p=1");
}

// ---- PIN auth tokens and setPin ----

#[test]
fn a_pin_auth_token_is_single_use_device_bound_and_expires() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let laptop = TestDevice::new(2);
    h.register(ANN);

    let PinStep::PinAuth(token) = h.login(ANN, &phone).pin else {
        panic!()
    };
    assert_eq!(
        code(h.set_pin(&laptop, &token.token, &proof(1))),
        ErrorCode::PinAuthTokenInvalid
    );
    assert!(h.set_pin(&phone, &token.token, &proof(1)).is_ok());
    assert_eq!(
        code(h.set_pin(&phone, &token.token, &proof(2))),
        ErrorCode::PinAuthTokenInvalid
    );

    let PinStep::PinAuth(late) = h.login(ANN, &laptop).pin else {
        panic!()
    };
    h.advance_secs(10 * 60);
    assert_eq!(
        code(h.set_pin(&laptop, &late.token, &proof(1))),
        ErrorCode::TokenExpired
    );
}

#[test]
fn set_pin_requires_a_signature_by_the_key_being_registered() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let thief = TestDevice::new(9);
    h.register(ANN);
    let PinStep::PinAuth(token) = h.login(ANN, &phone).pin else {
        panic!()
    };

    let mut forged = h.set_pin_request(&phone, &token.token, &proof(1));
    forged.signature = thief.sign(&forged);
    assert_eq!(
        code(h.call(Request::SetPin(forged))),
        ErrorCode::SignatureInvalid
    );

    let mut bad_key = h.set_pin_request(&phone, &token.token, &proof(1));
    bad_key.device_public_key = PublicKey::new([4; 65]);
    assert_eq!(
        code(h.call(Request::SetPin(bad_key))),
        ErrorCode::InvalidInput
    );

    // The failures did not use up the PIN auth token.
    assert!(h.set_pin(&phone, &token.token, &proof(1)).is_ok());
}

// ---- challenges and signatures ----

#[test]
fn challenges_are_single_use_device_bound_and_expire_after_two_minutes() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let laptop = TestDevice::new(2);
    let ann = h.enrol(ANN, &phone, &proof(1));

    let replayed = h.unlock_request(&phone, &ann.session, &proof(1));
    assert!(h.call(Request::LoginWithPin(replayed.clone())).is_ok());
    assert_eq!(
        code(h.call(Request::LoginWithPin(replayed))),
        ErrorCode::ChallengeInvalid
    );

    let mut foreign = h.unlock_request(&phone, &ann.session, &proof(1));
    foreign.challenge = h.challenge(&laptop);
    foreign.signature = phone.sign(&foreign);
    assert_eq!(
        code(h.call(Request::LoginWithPin(foreign))),
        ErrorCode::ChallengeInvalid
    );

    let stale = h.unlock_request(&phone, &ann.session, &proof(1));
    h.advance_secs(120);
    assert_eq!(
        code(h.call(Request::LoginWithPin(stale))),
        ErrorCode::ChallengeInvalid
    );

    let mut invented = h.unlock_request(&phone, &ann.session, &proof(1));
    invented.challenge = Token::new([42; 32]);
    invented.signature = phone.sign(&invented);
    assert_eq!(
        code(h.call(Request::LoginWithPin(invented))),
        ErrorCode::ChallengeInvalid
    );
}

#[test]
fn only_the_newest_eight_challenges_of_a_device_stay_valid() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    let oldest = h.unlock_request(&phone, &ann.session, &proof(1));
    let newer: Vec<_> = (0..8).map(|_| h.challenge(&phone)).collect();
    assert_eq!(
        code(h.call(Request::LoginWithPin(oldest.clone()))),
        ErrorCode::ChallengeInvalid
    );
    let mut request = oldest;
    request.challenge = newer[0].clone();
    request.signature = phone.sign(&request);
    assert!(h.call(Request::LoginWithPin(request)).is_ok());
}

#[test]
fn a_flood_of_challenges_keeps_only_the_newest_1024() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    let before_flood = h.unlock_request(&phone, &ann.session, &proof(1));
    // Anyone may ask for challenges, for device ids of their choosing.
    for i in 0..1100u32 {
        let mut id = [0; 16];
        id[..4].copy_from_slice(&i.to_le_bytes());
        let flood = Request::Challenge(ChallengeRequest {
            device_id: DeviceId::new(id),
        });
        assert!(h.call(flood).is_ok());
    }
    let snapshot: serde_json::Value = serde_json::from_str(&h.backend.snapshot()).unwrap();
    assert_eq!(snapshot["challenges"].as_array().unwrap().len(), 1024);
    // The oldest went first: a request signed over it fails; a new challenge works.
    assert_eq!(
        code(h.call(Request::LoginWithPin(before_flood))),
        ErrorCode::ChallengeInvalid
    );
    let after_flood = h.unlock_request(&phone, &ann.session, &proof(1));
    assert!(h.call(Request::LoginWithPin(after_flood)).is_ok());
}

/// Sets a PIN for `email` on `device` after a password login, as a returning user on a
/// new device would.
fn add_device(h: &mut Harness, email: &str, device: &TestDevice) -> Token {
    let PinStep::PinAuth(pin_auth) = h.login(email, device).pin else {
        panic!("a new device must set a PIN");
    };
    h.set_pin(device, &pin_auth.token, &proof(1)).unwrap().token
}

#[test]
fn an_account_keeps_32_devices_and_the_one_unused_the_longest_gives_way() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    let laptop = TestDevice::new(2);
    let laptop_session = add_device(&mut h, ANN, &laptop);
    // A third device locks itself out: it has no PIN, so it goes before any other.
    let kiosk = TestDevice::new(3);
    let kiosk_session = add_device(&mut h, ANN, &kiosk);
    for _ in 0..5 {
        let _ = h.unlock(&kiosk, &kiosk_session, &proof(2));
    }
    for seed in 4..=32 {
        h.advance_secs(60);
        add_device(&mut h, ANN, &TestDevice::new(seed));
    }
    // The phone unlocks now, so the laptop is the one unused the longest.
    h.advance_secs(60);
    let access = h.unlock(&phone, &ann.session, &proof(1)).unwrap().token;
    let ids = |h: &mut Harness| -> Vec<DeviceId> {
        let devices = h.list_devices(&access).unwrap();
        devices.into_iter().map(|d| d.device_id).collect()
    };
    assert_eq!(ids(&mut h).len(), 32);

    add_device(&mut h, ANN, &TestDevice::new(33));
    let devices = ids(&mut h);
    assert_eq!(devices.len(), 32);
    assert!(!devices.contains(&kiosk.id), "the locked device went first");
    assert!(devices.contains(&laptop.id));

    add_device(&mut h, ANN, &TestDevice::new(34));
    let devices = ids(&mut h);
    assert_eq!(devices.len(), 32);
    assert!(
        !devices.contains(&laptop.id),
        "then the one unused the longest"
    );
    assert!(devices.contains(&phone.id));
    // It went with its tokens: its PIN session no longer unlocks.
    assert_eq!(
        code(h.unlock(&laptop, &laptop_session, &proof(1))),
        ErrorCode::SessionInvalid
    );
    // A device already registered sets a new PIN without pushing another out.
    let newest = ids(&mut h);
    h.forgot_pin(ANN).unwrap();
    let reset = h.reset_token_for(ANN);
    h.reset_pin(&phone, &reset, &proof(3)).unwrap();
    let access = h.login(ANN, &TestDevice::new(34)).access.token;
    let devices = h.list_devices(&access).unwrap();
    assert_eq!(
        devices.into_iter().map(|d| d.device_id).collect::<Vec<_>>(),
        newest
    );
}

#[test]
fn logins_from_ever_new_device_ids_keep_64_tokens_of_a_kind() {
    // A password holder logging in again and again, each time as a new device, gets an
    // access and a PIN auth token each time: the oldest give way, and the state stays put.
    let mut h = Harness::new();
    h.register(ANN);
    let logins: Vec<(TestDevice, LoginResponse)> = (1..=80)
        .map(|seed| {
            h.advance_secs(1);
            let device = TestDevice::new(seed);
            let login = h.login(ANN, &device);
            (device, login)
        })
        .collect();
    let snapshot = h.backend.snapshot();
    assert_eq!(snapshot.matches("\"kind\":\"access\"").count(), 64);
    assert_eq!(snapshot.matches("\"kind\":\"pinAuth\"").count(), 64);

    let pin_auth = |login: &LoginResponse| match &login.pin {
        PinStep::PinAuth(token) => token.token.clone(),
        PinStep::PinSession(_) => panic!("a new device must set a PIN"),
    };
    let (first_device, first) = &logins[0];
    assert_eq!(
        code(h.list_devices(&first.access.token)),
        ErrorCode::AccessTokenInvalid
    );
    assert_eq!(
        code(h.set_pin(first_device, &pin_auth(first), &proof(1))),
        ErrorCode::PinAuthTokenInvalid
    );
    let (last_device, last) = &logins[79];
    assert!(h.list_devices(&last.access.token).is_ok());
    assert!(h.set_pin(last_device, &pin_auth(last), &proof(1)).is_ok());
}

#[test]
fn expired_tokens_give_way_before_live_ones() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    // 63 unlocks an hour apart: expired access tokens the backend still remembers.
    for _ in 0..63 {
        h.advance_secs(3600);
        h.unlock(&phone, &ann.session, &proof(1)).unwrap();
    }
    let live = h.unlock(&phone, &ann.session, &proof(1)).unwrap().token;
    for _ in 0..10 {
        h.unlock(&phone, &ann.session, &proof(1)).unwrap();
    }
    assert!(
        h.list_devices(&live).is_ok(),
        "a live token outlasts expired ones"
    );
}

#[test]
fn mail_to_other_addresses_never_pushes_a_users_reset_email_out() {
    let mut h = Harness::new();
    h.register(ANN);
    h.register(BOB);
    h.forgot_pin(ANN).unwrap();
    let ann_mail = h.reset_token_for(ANN);
    for _ in 0..150 {
        h.forgot_pin(BOB).unwrap();
    }
    assert_eq!(h.reset_token_for(ANN), ann_mail);
    assert_eq!(
        h.backend.outbox_for(BOB).len(),
        10,
        "the last 10 to each address"
    );
    assert_eq!(h.backend.outbox().len(), 11);
    let bob_mail = h.reset_token_for(BOB);
    assert_eq!(
        h.backend.outbox_for(BOB).last().unwrap().reset_token,
        bob_mail
    );
}

#[test]
fn foreign_keys_and_tampered_requests_fail_the_signature_check() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let thief = TestDevice::new(9);
    let ann = h.enrol(ANN, &phone, &proof(1));

    let mut foreign = h.unlock_request(&phone, &ann.session, &proof(1));
    let genuine = foreign.clone();
    foreign.signature = thief.sign(&foreign);
    assert_eq!(
        code(h.call(Request::LoginWithPin(foreign))),
        ErrorCode::SignatureInvalid
    );
    // A refused request uses up its challenge: not even the device can use it again.
    assert_eq!(
        code(h.call(Request::LoginWithPin(genuine))),
        ErrorCode::ChallengeInvalid
    );

    let mut tampered = h.unlock_request(&phone, &ann.session, &proof(1));
    tampered.pin_proof = proof(2);
    assert_eq!(
        code(h.call(Request::LoginWithPin(tampered))),
        ErrorCode::SignatureInvalid
    );

    let mut garbage = h.unlock_request(&phone, &ann.session, &proof(1));
    garbage.signature = Signature::new([0xff; 64]);
    assert_eq!(
        code(h.call(Request::LoginWithPin(garbage))),
        ErrorCode::SignatureInvalid
    );

    // Signature failures are not wrong PINs: the full five attempts remain.
    let wrong = h.unlock(&phone, &ann.session, &proof(2)).unwrap_err();
    assert_eq!(wrong.attempts_remaining(), Some(4));
}

// ---- PIN login and lockout ----

#[test]
fn wrong_pins_count_down_to_a_lockout_that_revokes_the_session() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    for remaining in (1..=4).rev() {
        let error = h.unlock(&phone, &ann.session, &proof(2)).unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidPin);
        assert_eq!(error.attempts_remaining(), Some(remaining));
    }
    assert_eq!(
        code(h.unlock(&phone, &ann.session, &proof(2))),
        ErrorCode::DeviceLocked
    );
    // The session, and the access token of the device, are gone; even the right PIN fails.
    assert_eq!(
        code(h.unlock(&phone, &ann.session, &proof(1))),
        ErrorCode::SessionInvalid
    );
    assert_eq!(
        code(h.list_devices(&ann.access)),
        ErrorCode::AccessTokenInvalid
    );

    // A password login asks for a new PIN, which works.
    let login = h.login(ANN, &phone);
    assert!(!h.list_devices(&login.access.token).unwrap()[0].has_pin);
    let PinStep::PinAuth(token) = login.pin else {
        panic!("a locked device must set a new PIN")
    };
    let session = h.set_pin(&phone, &token.token, &proof(3)).unwrap();
    assert!(h.unlock(&phone, &session.token, &proof(3)).is_ok());
    let error = h.unlock(&phone, &session.token, &proof(1)).unwrap_err();
    assert_eq!(
        error.attempts_remaining(),
        Some(4),
        "the count starts again"
    );
}

#[test]
fn a_correct_pin_resets_the_wrong_pin_count() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    for _ in 0..4 {
        assert_eq!(
            code(h.unlock(&phone, &ann.session, &proof(2))),
            ErrorCode::InvalidPin
        );
    }
    assert!(h.unlock(&phone, &ann.session, &proof(1)).is_ok());
    let error = h.unlock(&phone, &ann.session, &proof(2)).unwrap_err();
    assert_eq!(error.attempts_remaining(), Some(4));
}

#[test]
fn wrong_pins_across_devices_hit_the_account_rate_limit() {
    let mut h = Harness::new();
    let devices: Vec<TestDevice> = (1..=3).map(TestDevice::new).collect();
    h.register(ANN);
    let mut sessions = Vec::new();
    for device in &devices {
        let PinStep::PinAuth(token) = h.login(ANN, device).pin else {
            panic!()
        };
        sessions.push(h.set_pin(device, &token.token, &proof(1)).unwrap().token);
    }
    // 4 + 4 + 2 wrong PINs: no device locks, but the account reaches 10 in the window.
    for (device, session) in devices.iter().zip(&sessions) {
        for _ in 0..4 {
            if h.unlock(device, session, &proof(2)).unwrap_err().code() == ErrorCode::RateLimited {
                break;
            }
        }
    }
    let limited = h.unlock(&devices[2], &sessions[2], &proof(1)).unwrap_err();
    assert_eq!(limited.code(), ErrorCode::RateLimited);
    assert_eq!(limited.retry_after_seconds(), Some(900));
    h.advance_secs(900);
    assert!(h.unlock(&devices[2], &sessions[2], &proof(1)).is_ok());
}

/// Enrols `count` devices of ANN, each with PIN 1; their PIN sessions.
fn devices_of_ann(h: &mut Harness, count: u8) -> (Vec<TestDevice>, Vec<Token>) {
    let devices: Vec<TestDevice> = (1..=count).map(TestDevice::new).collect();
    h.register(ANN);
    let sessions = devices
        .iter()
        .map(|device| add_device(h, ANN, device))
        .collect();
    (devices, sessions)
}

#[test]
fn any_ten_wrong_pins_within_fifteen_minutes_rate_limit_the_account() {
    // Spread across five devices (none reaches its own lockout) and across what a fixed
    // window would have started afresh: 1 wrong PIN, then 9 just before the 15 minutes
    // from the first are up and 10 just after. The limit holds for every 15 minutes.
    let mut h = Harness::new();
    let (devices, sessions) = devices_of_ann(&mut h, 5);
    let mut checked = Vec::new();
    let mut guess = |h: &mut Harness, i: usize| {
        let error = h.unlock(&devices[i], &sessions[i], &proof(2)).unwrap_err();
        if error.code() == ErrorCode::InvalidPin {
            checked.push(h.now());
        }
        error
    };
    guess(&mut h, 0);
    h.clock
        .advance(std::time::Duration::from_millis(15 * 60 * 1000 - 1));
    for i in [0, 0, 0, 1, 1, 1, 1, 2, 2] {
        guess(&mut h, i);
    }
    h.clock.advance(std::time::Duration::from_millis(1));
    let mut last = None;
    for i in [2, 2, 3, 3, 3, 3, 4, 4, 4, 4] {
        last = Some(guess(&mut h, i));
    }
    assert_eq!(
        checked.len(),
        10,
        "9 in a row after the first, then the limit"
    );
    let last = last.unwrap();
    assert_eq!(last.code(), ErrorCode::RateLimited);
    assert_eq!(
        last.retry_after_seconds(),
        Some(900),
        "15 minutes from the last"
    );
    h.advance_secs(900);
    assert!(h.unlock(&devices[4], &sessions[4], &proof(1)).is_ok());
}

#[test]
fn a_clock_set_back_never_stretches_a_lock_a_rate_limit_or_a_token() {
    // A server whose clock was an hour fast is set right (the mock backend runs on the
    // page's clock): what began "later" is moved back to the time the clock reads.
    let hour = std::time::Duration::from_secs(3600);
    let mut h = Harness::new();
    let (devices, sessions) = devices_of_ann(&mut h, 3);
    let phone = &devices[0];
    let access = h.unlock(phone, &sessions[0], &proof(1)).unwrap().token;
    for _ in 0..5 {
        let _ = h.login_with(ANN, "wrong password", phone);
    }
    // 2 + 4 + 4 wrong PINs: the account's limit, and no device locked.
    for (wrong, (device, session)) in [2, 4, 4].into_iter().zip(devices.iter().zip(&sessions)) {
        for _ in 0..wrong {
            let _ = h.unlock(device, session, &proof(2));
        }
    }
    let limited = h.unlock(phone, &sessions[0], &proof(1)).unwrap_err();
    assert_eq!(limited.retry_after_seconds(), Some(900));

    h.forgot_pin(ANN).unwrap();
    h.clock.set_back(hour);
    let locked = h.login_with(ANN, PASSWORD, phone).unwrap_err();
    let mail = h.backend.outbox_for(ANN).pop().unwrap();
    assert_eq!(
        (mail.sent_at, mail.expires_at),
        (h.now(), h.now() + 15 * 60 * 1000),
        "the mail's times follow its token's"
    );
    assert_eq!(locked.code(), ErrorCode::AccountLocked);
    assert_eq!(locked.retry_after_seconds(), Some(900), "not 75 minutes");
    let limited = h.unlock(phone, &sessions[0], &proof(1)).unwrap_err();
    assert_eq!(limited.code(), ErrorCode::RateLimited);
    assert_eq!(limited.retry_after_seconds(), Some(900), "not 75 minutes");
    assert!(h.list_devices(&access).is_ok());

    // And they end 15 minutes later by the clock as it reads now.
    h.advance_secs(900);
    assert!(h.unlock(phone, &sessions[0], &proof(1)).is_ok());
    assert!(h.login_with(ANN, PASSWORD, phone).is_ok());
    assert_eq!(
        code(h.list_devices(&access)),
        ErrorCode::TokenExpired,
        "the access token lived its 15 minutes, not 75"
    );
}

#[test]
fn a_session_token_works_only_on_the_device_it_was_issued_to() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let laptop = TestDevice::new(2);
    let ann = h.enrol(ANN, &phone, &proof(1));
    let PinStep::PinAuth(token) = h.login(ANN, &laptop).pin else {
        panic!()
    };
    h.set_pin(&laptop, &token.token, &proof(1)).unwrap();

    // Device B presents A's session token as itself...
    assert_eq!(
        code(h.unlock(&laptop, &ann.session, &proof(1))),
        ErrorCode::SessionInvalid
    );
    // ...or claims to be A but cannot sign with A's key.
    let mut impostor = h.unlock_request(&phone, &ann.session, &proof(1));
    impostor.signature = laptop.sign(&impostor);
    assert_eq!(
        code(h.call(Request::LoginWithPin(impostor))),
        ErrorCode::SignatureInvalid
    );
}

#[test]
fn the_same_pin_on_two_devices_gives_independent_sessions_and_counters() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let laptop = TestDevice::new(2);
    let ann = h.enrol(ANN, &phone, &proof(1));
    let PinStep::PinAuth(token) = h.login(ANN, &laptop).pin else {
        panic!()
    };
    let laptop_session = h.set_pin(&laptop, &token.token, &proof(5)).unwrap().token;

    // The phone's PIN proof is wrong on the laptop, and vice versa.
    assert_eq!(
        code(h.unlock(&laptop, &laptop_session, &proof(1))),
        ErrorCode::InvalidPin
    );
    assert_eq!(
        code(h.unlock(&phone, &ann.session, &proof(5))),
        ErrorCode::InvalidPin
    );
    // Each counts on its own.
    let error = h.unlock(&laptop, &laptop_session, &proof(2)).unwrap_err();
    assert_eq!(error.attempts_remaining(), Some(3));
    assert!(h.unlock(&phone, &ann.session, &proof(1)).is_ok());
    assert!(h.unlock(&laptop, &laptop_session, &proof(5)).is_ok());
}

#[test]
fn two_accounts_on_one_device_are_independent() {
    let mut h = Harness::new();
    let shared = TestDevice::new(1);
    let ann = h.enrol(ANN, &shared, &proof(1));
    let bob = h.enrol(BOB, &shared, &proof(1));
    assert_ne!(ann.user_id, bob.user_id);
    for _ in 0..5 {
        let _ = h.unlock(&shared, &bob.session, &proof(2));
    }
    assert_eq!(
        code(h.unlock(&shared, &bob.session, &proof(1))),
        ErrorCode::SessionInvalid
    );
    assert!(h.unlock(&shared, &ann.session, &proof(1)).is_ok());
}

// ---- expiry of every token kind ----

#[test]
fn access_tokens_expire_after_fifteen_minutes() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    h.advance_secs(15 * 60 - 1);
    assert!(h.list_devices(&ann.access).is_ok());
    h.advance_secs(1);
    assert_eq!(code(h.list_devices(&ann.access)), ErrorCode::TokenExpired);
    // The PIN session outlives it: unlocking gives a fresh access token.
    let access = h.unlock(&phone, &ann.session, &proof(1)).unwrap();
    assert!(h.list_devices(&access.token).is_ok());
}

#[test]
fn pin_sessions_expire_after_seven_days() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    h.advance_secs(7 * 24 * 3600 - 1);
    assert!(h.unlock(&phone, &ann.session, &proof(1)).is_ok());
    h.advance_secs(1);
    assert_eq!(
        code(h.unlock(&phone, &ann.session, &proof(1))),
        ErrorCode::SessionExpired
    );
    // Long after expiry the token is simply unknown.
    h.advance_secs(2 * 24 * 3600);
    assert_eq!(
        code(h.unlock(&phone, &ann.session, &proof(1))),
        ErrorCode::SessionInvalid
    );
}

#[test]
fn tokens_of_one_kind_are_not_accepted_as_another() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    assert_eq!(
        code(h.unlock(&phone, &ann.access, &proof(1))),
        ErrorCode::SessionInvalid
    );
    assert_eq!(
        code(h.list_devices(&ann.session)),
        ErrorCode::AccessTokenInvalid
    );
    assert_eq!(
        code(h.reauthenticate(&phone, &ann.session, &proof(1))),
        ErrorCode::AccessTokenInvalid
    );
}

// ---- re-authentication ----

#[test]
fn reauthentication_gives_a_single_use_token_the_backend_validates() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    h.advance_secs(30);
    let reauth = h.reauthenticate(&phone, &ann.access, &proof(1)).unwrap();
    assert_eq!(reauth.expires_at, h.now() + 5 * 60 * 1000);

    let validate = |token: &Token| {
        Request::ValidateReauth(ValidateReauthRequest {
            reauth_token: token.clone(),
        })
    };
    let who = reply!(h.call(validate(&reauth.token)), Reply::ValidateReauth).unwrap();
    assert_eq!(who.user_id, ann.user_id);
    assert_eq!(who.email, ANN);
    assert_eq!(who.device_id, phone.id);
    assert_eq!(who.authenticated_at, h.now());
    assert_eq!(
        code(h.call(validate(&reauth.token))),
        ErrorCode::ReauthTokenInvalid
    );

    let late = h.reauthenticate(&phone, &ann.access, &proof(1)).unwrap();
    h.advance_secs(5 * 60);
    assert_eq!(code(h.call(validate(&late.token))), ErrorCode::TokenExpired);
}

#[test]
fn reauthentication_counts_wrong_pins_and_needs_this_devices_access_token() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let laptop = TestDevice::new(2);
    let ann = h.enrol(ANN, &phone, &proof(1));
    let error = h
        .reauthenticate(&phone, &ann.access, &proof(2))
        .unwrap_err();
    assert_eq!(
        (error.code(), error.attempts_remaining()),
        (ErrorCode::InvalidPin, Some(4))
    );
    assert_eq!(
        code(h.reauthenticate(&laptop, &ann.access, &proof(1))),
        ErrorCode::AccessTokenInvalid
    );

    // With only a password login (no PIN yet) the device is unknown.
    h.register(BOB);
    let bob = h.login(BOB, &laptop);
    assert_eq!(
        code(h.reauthenticate(&laptop, &bob.access.token, &proof(1))),
        ErrorCode::UnknownDevice
    );
}

// ---- change, forgot and reset ----

#[test]
fn change_pin_checks_the_current_pin_and_replaces_it() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    let error = h
        .change_pin(&phone, &ann.access, &proof(9), &proof(2))
        .unwrap_err();
    assert_eq!(
        (error.code(), error.attempts_remaining()),
        (ErrorCode::InvalidPin, Some(4))
    );
    assert_eq!(
        code(h.change_pin(&phone, &ann.access, &proof(1), &proof(1))),
        ErrorCode::InvalidInput
    );
    assert!(matches!(
        h.change_pin(&phone, &ann.access, &proof(1), &proof(2)),
        Ok(Reply::ChangePin)
    ));
    assert_eq!(
        code(h.unlock(&phone, &ann.session, &proof(1))),
        ErrorCode::InvalidPin
    );
    assert!(h.unlock(&phone, &ann.session, &proof(2)).is_ok());
}

#[test]
fn changing_the_pin_ends_the_re_authentications_made_with_the_old_one() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    let before = h.reauthenticate(&phone, &ann.access, &proof(1)).unwrap();
    assert!(h
        .change_pin(&phone, &ann.access, &proof(1), &proof(2))
        .is_ok());
    let validate = |token: &Token| {
        Request::ValidateReauth(ValidateReauthRequest {
            reauth_token: token.clone(),
        })
    };
    assert_eq!(
        code(h.call(validate(&before.token))),
        ErrorCode::ReauthTokenInvalid
    );
    let after = h.reauthenticate(&phone, &ann.access, &proof(2)).unwrap();
    assert!(h.call(validate(&after.token)).is_ok());
}

#[test]
fn forgot_and_reset_pin_sets_a_new_pin_and_clears_the_lockout() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    for _ in 0..5 {
        let _ = h.unlock(&phone, &ann.session, &proof(2));
    }
    h.forgot_pin(" Ann@example.com").unwrap();
    let message = h.backend.outbox().last().unwrap().clone();
    assert_eq!(message.to, ANN);
    assert_eq!(message.expires_at, h.now() + 15 * 60 * 1000);

    let session = h
        .reset_pin(&phone, &message.reset_token, &proof(3))
        .unwrap();
    assert!(h.unlock(&phone, &session.token, &proof(3)).is_ok());
    assert_eq!(
        code(h.reset_pin(&phone, &message.reset_token, &proof(4))),
        ErrorCode::ResetTokenInvalid
    );
}

#[test]
fn reset_tokens_expire_and_only_the_newest_works() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    h.enrol(ANN, &phone, &proof(1));
    h.forgot_pin(ANN).unwrap();
    let first = h.reset_token_for(ANN);
    h.forgot_pin(ANN).unwrap();
    let second = h.reset_token_for(ANN);
    assert_eq!(
        code(h.reset_pin(&phone, &first, &proof(3))),
        ErrorCode::ResetTokenInvalid
    );
    h.advance_secs(15 * 60);
    assert_eq!(
        code(h.reset_pin(&phone, &second, &proof(3))),
        ErrorCode::TokenExpired
    );
}

#[test]
fn reset_pin_registers_a_new_device_identity_and_checks_its_signature() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let wiped = TestDevice::new(3);
    let thief = TestDevice::new(9);
    h.enrol(ANN, &phone, &proof(1));
    h.forgot_pin(ANN).unwrap();
    let reset = h.reset_token_for(ANN);

    let mut forged = ResetPinRequest {
        reset_token: reset.clone(),
        device_id: wiped.id.clone(),
        device_public_key: wiped.public_key.clone(),
        new_proof: proof(3),
        challenge: h.challenge(&wiped),
        signature: Signature::new([0; 64]),
    };
    forged.signature = thief.sign(&forged);
    assert_eq!(
        code(h.call(Request::ResetPin(forged))),
        ErrorCode::SignatureInvalid
    );

    let session = h.reset_pin(&wiped, &reset, &proof(3)).unwrap();
    let access = h.unlock(&wiped, &session.token, &proof(3)).unwrap();
    assert_eq!(h.list_devices(&access.token).unwrap().len(), 2);
}

// ---- logout, devices ----

#[test]
fn logout_ends_the_session_and_the_devices_access_and_always_succeeds() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    let logout = LogoutRequest {
        session_token: Some(ann.session.clone()),
        ..LogoutRequest::default()
    };
    assert!(matches!(
        h.call(Request::Logout(logout.clone())),
        Ok(Reply::Logout)
    ));
    assert_eq!(
        code(h.unlock(&phone, &ann.session, &proof(1))),
        ErrorCode::SessionInvalid
    );
    assert_eq!(
        code(h.list_devices(&ann.access)),
        ErrorCode::AccessTokenInvalid
    );
    assert!(matches!(h.call(Request::Logout(logout)), Ok(Reply::Logout)));

    // An access token alone (no PIN yet) is ended too, with the PIN auth token of the
    // same sign-in.
    h.register(BOB);
    let bob = h.login(BOB, &phone);
    let PinStep::PinAuth(pin_auth) = bob.pin else {
        panic!("a new device of Bob's sets a PIN")
    };
    let logout = LogoutRequest {
        access_token: Some(bob.access.token.clone()),
        ..LogoutRequest::default()
    };
    assert!(h.call(Request::Logout(logout)).is_ok());
    assert_eq!(
        code(h.list_devices(&bob.access.token)),
        ErrorCode::AccessTokenInvalid
    );
    assert_eq!(
        code(h.set_pin(&phone, &pin_auth.token, &proof(1))),
        ErrorCode::PinAuthTokenInvalid
    );
}

#[test]
fn devices_are_listed_and_revoking_one_ends_its_sessions() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let laptop = TestDevice::new(2);
    let ann = h.enrol(ANN, &phone, &proof(1));
    h.advance_secs(60);
    let laptop_login = h.login(ANN, &laptop);
    let PinStep::PinAuth(token) = laptop_login.pin else {
        panic!()
    };
    let laptop_session = h.set_pin(&laptop, &token.token, &proof(1)).unwrap().token;

    let devices = h.list_devices(&ann.access).unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!(
        (devices[0].device_id.clone(), devices[0].current),
        (phone.id.clone(), true)
    );
    assert_eq!(
        (devices[1].device_id.clone(), devices[1].current),
        (laptop.id.clone(), false)
    );
    assert!(devices.iter().all(|d| d.has_pin));
    assert_eq!(devices[1].registered_at, START_MS + 60_000);

    let revoke = |device: &TestDevice| {
        Request::RevokeDevice(RevokeDeviceRequest {
            access_token: ann.access.clone(),
            device_id: device.id.clone(),
        })
    };
    assert!(matches!(h.call(revoke(&laptop)), Ok(Reply::RevokeDevice)));
    assert_eq!(
        code(h.unlock(&laptop, &laptop_session, &proof(1))),
        ErrorCode::SessionInvalid
    );
    assert_eq!(
        code(h.list_devices(&laptop_login.access.token)),
        ErrorCode::AccessTokenInvalid
    );
    assert_eq!(code(h.call(revoke(&laptop))), ErrorCode::UnknownDevice);
    assert_eq!(h.list_devices(&ann.access).unwrap().len(), 1);

    // Another account's device cannot be revoked.
    let bob_phone = TestDevice::new(4);
    let bob = h.enrol(BOB, &bob_phone, &proof(1));
    assert_eq!(code(h.call(revoke(&bob_phone))), ErrorCode::UnknownDevice);
    assert!(h.unlock(&bob_phone, &bob.session, &proof(1)).is_ok());
}

// ---- snapshots, determinism, hostile JSON ----

#[test]
fn a_snapshot_round_trip_keeps_accounts_devices_tokens_and_counters() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let ann = h.enrol(ANN, &phone, &proof(1));
    assert!(h.unlock(&phone, &ann.session, &proof(2)).is_err());
    h.forgot_pin(ANN).unwrap();

    let snapshot = h.backend.snapshot();
    let config = BackendConfig::default().with_cheap_password_hashing();
    h.backend = Backend::restore(
        &snapshot,
        config,
        Box::new(h.clock.clone()),
        Box::new(SeededRng::new(8)),
    )
    .unwrap();

    assert_eq!(h.backend.outbox().len(), 1);
    assert!(h.list_devices(&ann.access).is_ok());
    let error = h.unlock(&phone, &ann.session, &proof(2)).unwrap_err();
    assert_eq!(
        error.attempts_remaining(),
        Some(3),
        "the wrong-PIN count survived"
    );
    assert!(h.unlock(&phone, &ann.session, &proof(1)).is_ok());
    assert!(h.login_with(ANN, PASSWORD, &phone).is_ok());
}

#[test]
fn snapshots_hold_no_token_or_proof_in_clear() {
    // One token of every kind alive at once. The only token in clear is the reset token,
    // in the outbox: the users' mailbox, which the mock keeps in its snapshot.
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    let tablet = TestDevice::new(2);
    let ann = h.enrol(ANN, &phone, &proof(1));
    let reauth = h.reauthenticate(&phone, &ann.access, &proof(1)).unwrap();
    let PinStep::PinAuth(pin_auth) = h.login(ANN, &tablet).pin else {
        panic!("a new device is asked for a PIN");
    };
    h.forgot_pin(ANN).unwrap();
    let reset = h.reset_token_for(ANN).to_base64url();
    let snapshot = h.backend.snapshot();
    for secret in [
        ann.access.to_base64url(),
        ann.session.to_base64url(),
        reauth.token.to_base64url(),
        pin_auth.token.to_base64url(),
        proof(1).to_base64url(),
    ] {
        assert!(!snapshot.contains(&secret));
    }
    assert!(!snapshot.contains(PASSWORD));
    let outbox = snapshot.find("\"outbox\":").unwrap();
    assert_eq!(snapshot.matches(&reset).count(), 1);
    assert!(
        snapshot.find(&reset).unwrap() > outbox,
        "only in the outbox"
    );
}

#[test]
fn corrupt_or_foreign_snapshots_are_refused_with_a_clear_error() {
    let h = Harness::new();
    let good = h.backend.snapshot();
    let restore = |text: &str| {
        Backend::restore(
            text,
            BackendConfig::default().with_cheap_password_hashing(),
            Box::new(ManualClock::new(START_MS)),
            Box::new(SeededRng::new(1)),
        )
    };
    assert!(restore(&good).is_ok());
    let wrong_version = good.replacen("\"version\":2", "\"version\":1", 1);
    assert_ne!(wrong_version, *good, "the version is found and replaced");
    for bad in [
        "",
        "null",
        "{}",
        "[1,2]",
        &good[..good.len() / 2],
        &wrong_version,
        "{\"version\":1}",
    ] {
        assert_eq!(code(restore(bad)), ErrorCode::SnapshotInvalid, "{bad:.40}");
    }
}

#[test]
fn the_same_seed_and_clock_give_the_same_state() {
    let run = || {
        let mut h = Harness::new();
        let phone = TestDevice::new(1);
        let ann = h.enrol(ANN, &phone, &proof(1));
        h.unlock(&phone, &ann.session, &proof(1)).unwrap();
        h.backend.snapshot()
    };
    assert_eq!(run(), run());
}

#[test]
fn hostile_json_gets_invalid_input_without_echoing_it() {
    let mut h = Harness::new();
    let oversized = format!(
        "{{\"endpoint\":\"forgotPin\",\"email\":\"{}\"}}",
        "a".repeat(70_000)
    );
    let cases = [
        "",
        "not json",
        "{\"endpoint\":\"dropTables\"}",
        "{\"endpoint\":\"login\",\"email\":\"a@b.co\",\"password\":\"hunter2secret\"}",
        "{\"endpoint\":\"login\",\"email\":7,\"password\":\"hunter2secret\",\"deviceId\":\"AAAAAAAAAAAAAAAAAAAAAA\"}",
        "{\"endpoint\":\"challenge\",\"deviceId\":\"short\"}",
        oversized.as_str(),
    ];
    for case in cases {
        let response = h.backend.handle_json(case);
        let parsed: Response = serde_json::from_str(&response).unwrap();
        let Response::Error(error) = parsed else {
            panic!("{case:.40} was accepted")
        };
        assert_eq!(error.code(), ErrorCode::InvalidInput, "{case:.40}");
        assert!(!response.contains("hunter2secret"));
    }
}

#[test]
fn a_snapshot_whose_password_hash_asks_for_gigabytes_is_refused() {
    let mut h = Harness::new();
    h.register(ANN);
    let snapshot = h.backend.snapshot();
    let restore = |text: &str| {
        Backend::restore(
            text,
            BackendConfig::default().with_cheap_password_hashing(),
            Box::new(ManualClock::new(START_MS)),
            Box::new(SeededRng::new(1)),
        )
    };
    assert!(restore(&snapshot).is_ok());
    for crafted in [
        snapshot.replace("m=64,t=1,p=1", "m=4194304,t=1,p=1"),
        snapshot.replace("m=64,t=1,p=1", "m=64,t=1000,p=1"),
        snapshot.replace("$argon2id$", "$argon2i$"),
    ] {
        assert_ne!(crafted, *snapshot);
        assert_eq!(code(restore(&crafted)), ErrorCode::SnapshotInvalid);
    }
}

#[test]
fn a_request_refused_before_its_device_was_registered_cannot_be_replayed_after() {
    let mut h = Harness::new();
    let phone = TestDevice::new(1);
    h.register(ANN);
    let login = h.login(ANN, &phone);
    let PinStep::PinAuth(pin_auth) = login.pin else {
        panic!("a new device must set a PIN")
    };
    // Signed by the phone's key before the phone is registered: refused...
    let early = h.signed(
        &phone,
        ReauthenticateRequest {
            access_token: login.access.token.clone(),
            device_id: phone.id.clone(),
            pin_proof: proof(1),
            challenge: Token::new([0; 32]),
            signature: Signature::new([0; 64]),
        },
    );
    assert_eq!(
        code(h.call(Request::Reauthenticate(early.clone()))),
        ErrorCode::UnknownDevice
    );
    // ...and once the phone has registered that key and PIN, a copy of it is still
    // refused: its challenge went with the refusal.
    h.set_pin(&phone, &pin_auth.token, &proof(1)).unwrap();
    assert_eq!(
        code(h.call(Request::Reauthenticate(early))),
        ErrorCode::ChallengeInvalid
    );
    // The device itself, with a fresh challenge, is fine.
    assert!(h
        .reauthenticate(&phone, &login.access.token, &proof(1))
        .is_ok());
}
