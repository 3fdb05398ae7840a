//! The client against the in-page backend under a test clock: every flow and state
//! transition, as a page would drive them.
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use pinauth::backend::{Backend, BackendConfig, BackendHost};
use pinauth::client::AuthState::{self, *};
use pinauth::error::Warning;
use pinauth::platform::{KeyValueStore, MemoryStore, SeededRng, StoredIdentity};
use pinauth::protocol::*;
use pinauth::{Error, ErrorCode};
use std::cell::RefCell;
use std::rc::Rc;

const APP: &str = "shop";
const ANN: &str = "ann@example.com";
const PIN: &str = "730519";
const NEW_PIN: &str = "281946";

/// A storage that reads as empty and refuses every write (full, or over quota).
struct Full;

impl KeyValueStore for Full {
    fn get(&self, _: &str) -> pinauth::Result<Option<String>> {
        Ok(None)
    }
    fn set(&self, _: &str, _: &str) -> pinauth::Result<()> {
        Err(Error::new(ErrorCode::StorageUnavailable))
    }
    fn remove(&self, _: &str) -> pinauth::Result<()> {
        Ok(())
    }
}

/// Registers Ann and signs her in on `browser` with a PIN: a client in `signedIn`.
fn enrolled(world: &World, browser: &Browser) -> TestClient {
    let client = world.open(browser, APP);
    block_on(client.register(ANN, PASSWORD)).unwrap();
    assert_eq!(
        block_on(client.login(ANN, PASSWORD)).unwrap(),
        PinSetupRequired
    );
    block_on(client.set_pin(PIN)).unwrap();
    assert_eq!(client.state(), SignedIn);
    client
}

fn record_states(client: &TestClient) -> Rc<RefCell<Vec<AuthState>>> {
    let states = Rc::new(RefCell::new(Vec::new()));
    let sink = states.clone();
    client.on_state_change(move |s| sink.borrow_mut().push(*s));
    states
}

/// The codes of the warnings `client` reports from now on.
fn record_warnings(client: &TestClient) -> Rc<RefCell<Vec<&'static str>>> {
    let warnings = Rc::new(RefCell::new(Vec::new()));
    let sink = warnings.clone();
    client.on_warning(move |w| sink.borrow_mut().push(w.code));
    warnings
}

#[test]
fn first_login_sets_a_pin_and_a_reload_asks_for_it() {
    let world = World::new();
    let browser = Browser::new();
    let client = world.open(&browser, APP);
    assert_eq!(client.state(), SignedOut);
    assert_eq!(client.user(), None);
    let states = record_states(&client);

    block_on(client.register(ANN, PASSWORD)).unwrap();
    assert_eq!(
        block_on(client.login(" Ann@Example.com", PASSWORD)).unwrap(),
        PinSetupRequired
    );
    assert_eq!(client.user().unwrap().email, ANN);
    block_on(client.set_pin(PIN)).unwrap();
    assert_eq!(client.state(), SignedIn);
    assert_eq!(*states.borrow(), vec![PinSetupRequired, SignedIn]);

    // A reload: a new client over the same storage and identity.
    let reloaded = world.open(&browser, APP);
    assert_eq!(reloaded.device_id(), client.device_id());
    assert_eq!(reloaded.state(), PinRequired);
    assert_eq!(reloaded.user().unwrap().email, ANN);
    assert_eq!(
        code(block_on(reloaded.access_token())),
        ErrorCode::NotSignedIn
    );
    block_on(reloaded.login_with_pin(PIN)).unwrap();
    assert_eq!(reloaded.state(), SignedIn);
    assert!(block_on(reloaded.access_token()).is_ok());
}

#[test]
fn wrong_pins_count_down_to_a_lockout_then_a_password_login_sets_a_new_pin() {
    let world = World::new();
    let browser = Browser::new();
    enrolled(&world, &browser);
    let client = world.open(&browser, APP);
    for remaining in (1..=4).rev() {
        let error = block_on(client.login_with_pin("111119")).unwrap_err();
        assert_eq!(
            (error.code(), error.attempts_remaining()),
            (ErrorCode::InvalidPin, Some(remaining))
        );
        assert_eq!(client.state(), PinRequired);
    }
    assert_eq!(
        code(block_on(client.login_with_pin("111119"))),
        ErrorCode::DeviceLocked
    );
    assert_eq!(client.state(), SignedOut);
    assert_eq!(
        world.open(&browser, APP).state(),
        SignedOut,
        "the dead session is cleared"
    );
    assert_eq!(
        code(block_on(client.login_with_pin(PIN))),
        ErrorCode::NotSignedIn
    );

    assert_eq!(
        block_on(client.login(ANN, PASSWORD)).unwrap(),
        PinSetupRequired
    );
    block_on(client.set_pin(NEW_PIN)).unwrap();
    let reloaded = world.open(&browser, APP);
    assert_eq!(
        code(block_on(reloaded.login_with_pin(PIN))),
        ErrorCode::InvalidPin
    );
    block_on(reloaded.login_with_pin(NEW_PIN)).unwrap();
    assert_eq!(reloaded.state(), SignedIn);
}

#[test]
fn the_state_follows_the_clock() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    let states = record_states(&client);

    // The access token is dropped 30 s before its 15 minutes are up.
    world.advance_secs(15 * 60 - 31);
    assert_eq!(client.state(), SignedIn);
    world.advance_secs(1);
    assert_eq!(client.refresh(), PinRequired);
    block_on(client.login_with_pin(PIN)).unwrap();
    assert_eq!(client.state(), SignedIn);

    world.advance_secs(7 * 24 * 3600);
    assert_eq!(client.state(), SignedOut);
    assert_eq!(*states.borrow(), vec![PinRequired, SignedIn, SignedOut]);
    assert_eq!(world.open(&browser, APP).state(), SignedOut);
}

#[test]
fn the_state_follows_the_servers_lifetimes_whatever_the_page_clock_says() {
    for skew_hours in [-30 * 24, -1, 1, 30 * 24] {
        let world = World::new();
        let browser = Browser::new();
        let skew_ms = skew_hours * 3_600_000;
        let client = world.open_skewed(&browser, APP, skew_ms);
        block_on(client.register(ANN, PASSWORD)).unwrap();
        let after_login = block_on(client.login(ANN, PASSWORD)).unwrap();
        assert_eq!(after_login, PinSetupRequired, "{skew_hours} h");
        block_on(client.set_pin(PIN)).unwrap();
        assert_eq!(client.state(), SignedIn, "{skew_hours} h");

        // The access token's 15 minutes, less the leeway, by either clock.
        world.advance_secs(15 * 60 - 31);
        assert_eq!(client.state(), SignedIn, "{skew_hours} h");
        world.advance_secs(1);
        assert_eq!(client.refresh(), PinRequired, "{skew_hours} h");
        let reloaded = world.open_skewed(&browser, APP, skew_ms);
        assert_eq!(reloaded.state(), PinRequired, "{skew_hours} h");
        block_on(reloaded.login_with_pin(PIN)).unwrap();
        assert_eq!(reloaded.state(), SignedIn, "{skew_hours} h");

        // The PIN session's 7 days from set-up.
        world.advance_secs(7 * 24 * 3600 - (15 * 60 - 30) - 1);
        assert_eq!(reloaded.refresh(), PinRequired, "{skew_hours} h");
        world.advance_secs(1);
        assert_eq!(reloaded.refresh(), SignedOut, "{skew_hours} h");
    }
}

#[test]
fn a_slow_network_never_makes_the_client_trust_a_token_the_server_has_ended() {
    // Each request and each reply takes 5 seconds: the client counts a token's lifetime
    // from when it asked, before the server issued it, so its view ends first.
    let world = World::new();
    let browser = Browser::new();
    world.latency.set(5);
    let client = world.open(&browser, APP);
    block_on(client.register(ANN, PASSWORD)).unwrap();
    block_on(client.login(ANN, PASSWORD)).unwrap();
    block_on(client.set_pin(PIN)).unwrap();
    // The server issued the PIN session 5 s after it was asked for; 7 days from then, less
    // a second, the client has already let it go.
    world.advance_secs(7 * 24 * 3600 - 5 - 1);
    assert_eq!(client.state(), SignedOut);
}

#[test]
fn signing_out_before_a_pin_was_set_ends_the_pin_auth_token_though_the_access_token_ended_first() {
    // Access tokens of 5 minutes; the PIN auth token lives 10. Six minutes after the
    // password login the page signs out (or forgets the device): someone who copied the
    // PIN auth token off the wire cannot set a PIN of their own with it afterwards.
    for forget in [false, true] {
        let world = World::with(BackendConfig {
            access_token_ttl: std::time::Duration::from_secs(300),
            ..BackendConfig::default().with_cheap_password_hashing()
        });
        let client = world.open(&Browser::new(), APP);
        block_on(client.register(ANN, PASSWORD)).unwrap();
        block_on(client.login(ANN, PASSWORD)).unwrap();
        let copied = {
            let wire = world.wire.borrow();
            let reply = wire
                .iter()
                .rev()
                .find(|l| l.contains("\"pinAuth\""))
                .unwrap();
            let reply: serde_json::Value = serde_json::from_str(reply).unwrap();
            Token::from_base64url(reply["ok"]["pin"]["pinAuth"]["token"].as_str().unwrap()).unwrap()
        };
        world.advance_secs(6 * 60);
        assert_eq!(client.state(), PinSetupRequired);
        if forget {
            block_on(client.forget_device()).unwrap();
        } else {
            block_on(client.logout()).unwrap();
        }
        let thief = TestDevice::new(99).claiming(&client.device_id());
        let mut request = SetPinRequest {
            pin_auth_token: copied,
            device_id: thief.id.clone(),
            device_public_key: thief.public_key.clone(),
            pin_proof: proof(7),
            challenge: world.challenge(&thief.id),
            signature: Signature::new([0; 64]),
        };
        request.signature = thief.sign(&request);
        assert_eq!(
            code(world.call(&Request::SetPin(request))),
            ErrorCode::PinAuthTokenInvalid,
            "forget: {forget}"
        );
    }
}

#[test]
fn a_page_clock_set_back_never_has_the_client_trust_a_token_longer_than_its_lifetime() {
    // The page's clock is an hour fast when it signs in, then set right.
    let world = World::new();
    let browser = Browser::new();
    let skew = Rc::new(std::cell::Cell::new(3_600_000));
    let client = world.open_with_clock(&browser, APP, skew.clone());
    block_on(client.register(ANN, PASSWORD)).unwrap();
    block_on(client.login(ANN, PASSWORD)).unwrap();
    block_on(client.set_pin(PIN)).unwrap();
    skew.set(0);
    // The page looks at its tokens every second.
    assert_eq!(client.state(), SignedIn);
    world.advance_secs(15 * 60 - 31);
    assert_eq!(client.state(), SignedIn);
    world.advance_secs(1);
    // The access token counts from the correction: not 44 minutes more.
    assert_eq!(client.state(), PinRequired);
    assert_eq!(
        code(block_on(client.access_token())),
        ErrorCode::NotSignedIn
    );
    block_on(client.login_with_pin(PIN)).unwrap();
    assert_eq!(client.state(), SignedIn);
}

#[test]
fn a_pin_can_be_set_while_the_pin_auth_token_lives_though_the_access_token_is_shorter() {
    // Access tokens of 5 minutes; the PIN auth token of a password login lives 10.
    let world = World::with(BackendConfig {
        access_token_ttl: std::time::Duration::from_secs(300),
        ..BackendConfig::default().with_cheap_password_hashing()
    });
    let browser = Browser::new();
    let client = world.open(&browser, APP);
    block_on(client.register(ANN, PASSWORD)).unwrap();
    assert_eq!(
        block_on(client.login(ANN, PASSWORD)).unwrap(),
        PinSetupRequired
    );
    world.advance_secs(9 * 60);
    assert_eq!(
        client.state(),
        PinSetupRequired,
        "9 minutes to choose a PIN"
    );
    world.log.borrow_mut().clear();
    block_on(client.set_pin(PIN)).unwrap();
    // The access token of the password login has ended: the PIN just set unlocks.
    assert_eq!(client.state(), SignedIn);
    assert_eq!(
        *world.log.borrow(),
        ["challenge", "setPin", "challenge", "loginWithPin"]
    );
    world.advance_secs(60);
    let other = world.open(&Browser::new(), APP);
    block_on(other.login(ANN, PASSWORD)).unwrap();
    world.advance_secs(10 * 60);
    assert_eq!(
        other.state(),
        SignedOut,
        "and not once the PIN auth token has ended"
    );
}

#[test]
fn two_devices_of_one_account_have_independent_pins() {
    let world = World::new();
    let phone = Browser::new();
    let laptop = Browser::new();
    enrolled(&world, &phone);
    let on_laptop = world.open(&laptop, APP);
    assert_eq!(
        block_on(on_laptop.login(ANN, PASSWORD)).unwrap(),
        PinSetupRequired
    );
    block_on(on_laptop.set_pin(NEW_PIN)).unwrap();
    assert_ne!(on_laptop.device_id(), world.open(&phone, APP).device_id());

    let phone_again = world.open(&phone, APP);
    assert_eq!(
        code(block_on(phone_again.login_with_pin(NEW_PIN))),
        ErrorCode::InvalidPin
    );
    block_on(phone_again.login_with_pin(PIN)).unwrap();
    let laptop_again = world.open(&laptop, APP);
    block_on(laptop_again.login_with_pin(NEW_PIN)).unwrap();

    // Two app ids in one browser are two devices too.
    let other_app = world.open(&phone, "blog");
    assert_ne!(other_app.device_id(), phone_again.device_id());
    assert_eq!(
        block_on(other_app.login(ANN, PASSWORD)).unwrap(),
        PinSetupRequired
    );
}

#[test]
fn a_device_revoked_from_another_device_lands_in_signed_out_with_its_tokens_cleared() {
    let world = World::new();
    let phone = Browser::new();
    let laptop = Browser::new();
    let on_phone = enrolled(&world, &phone);
    let on_laptop = world.open(&laptop, APP);
    block_on(on_laptop.login(ANN, PASSWORD)).unwrap();
    block_on(on_laptop.set_pin(NEW_PIN)).unwrap();
    let access_token = block_on(on_laptop.access_token()).unwrap();
    world
        .server_call(Request::RevokeDevice(RevokeDeviceRequest {
            access_token,
            device_id: on_phone.device_id(),
        }))
        .unwrap();

    // The phone learns it at its next PIN-bearing call, after a reload.
    let phone_again = world.open(&phone, APP);
    assert_eq!(phone_again.state(), PinRequired);
    let states = Rc::new(RefCell::new(Vec::new()));
    let sink = states.clone();
    phone_again.on_state_change(move |s| sink.borrow_mut().push(*s));
    assert_eq!(
        code(block_on(phone_again.login_with_pin(PIN))),
        ErrorCode::SessionInvalid
    );
    assert_eq!(phone_again.state(), SignedOut);
    assert_eq!(*states.borrow(), vec![SignedOut]);
    assert_eq!(
        phone.local.get("pinauth:shop:v1:pinSession").unwrap(),
        None,
        "the dead PIN session is removed"
    );
    assert_eq!(world.open(&phone, APP).state(), SignedOut);
    // The password signs in again, as a device that needs a new PIN.
    assert_eq!(
        block_on(world.open(&phone, APP).login(ANN, PASSWORD)).unwrap(),
        PinSetupRequired
    );
    assert_eq!(on_laptop.state(), SignedIn, "the laptop is not affected");
}

#[test]
fn a_copied_session_and_salt_are_useless_without_the_device_key() {
    let world = World::new();
    let victim = Browser::new();
    enrolled(&world, &victim);

    // The thief copies localStorage and even the id and salt, but not the private key.
    let thief = Browser::new();
    let session_key = "pinauth:shop:v1:pinSession";
    let stolen = victim.local.get(session_key).unwrap().unwrap();
    thief.local.set(session_key, &stolen).unwrap();
    let StoredIdentity {
        device_id, salt, ..
    } = match block_on(pinauth::platform::DeviceKeys::load(&victim.keys, APP)).unwrap() {
        pinauth::platform::LoadedIdentity::Found(identity) => identity,
        other => panic!("{other:?}"),
    };
    let (key, public_key) = block_on(pinauth::platform::DeviceKeys::generate(&thief.keys)).unwrap();
    let forged = StoredIdentity {
        device_id,
        salt,
        key,
        public_key,
    };
    block_on(pinauth::platform::DeviceKeys::delete(&thief.keys, APP)).unwrap();
    assert!(block_on(pinauth::platform::DeviceKeys::save_new(
        &thief.keys,
        APP,
        &forged,
    ))
    .unwrap());

    let client = world.open(&thief, APP);
    assert_eq!(client.state(), PinRequired);
    assert_eq!(
        code(block_on(client.login_with_pin(PIN))),
        ErrorCode::SignatureInvalid
    );
    assert_ne!(client.state(), SignedIn);

    // Without the matching device id, the copied session is another device's: not used.
    let naive = Browser::new();
    naive.local.set(session_key, &stolen).unwrap();
    let client = world.open(&naive, APP);
    assert_eq!(client.state(), SignedOut);
    assert_eq!(client.user(), None);
}

#[test]
fn reauthentication_returns_a_token_the_backend_validates_once() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    let error = block_on(client.reauthenticate("111119")).unwrap_err();
    assert_eq!(error.attempts_remaining(), Some(4));
    let token = block_on(client.reauthenticate(PIN)).unwrap();
    let validate = || {
        world.server_call(Request::ValidateReauth(ValidateReauthRequest {
            reauth_token: token.token.clone(),
        }))
    };
    let who = reply!(validate(), Reply::ValidateReauth).unwrap();
    assert_eq!(
        (who.email.as_str(), who.device_id.clone()),
        (ANN, client.device_id())
    );
    assert_eq!(code(validate()), ErrorCode::ReauthTokenInvalid);

    let reloaded = world.open(&browser, APP);
    assert_eq!(
        code(block_on(reloaded.reauthenticate(PIN))),
        ErrorCode::NotSignedIn
    );
}

#[test]
fn change_pin_replaces_the_pin_on_this_device() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    assert_eq!(
        code(block_on(client.change_pin("111119", NEW_PIN))),
        ErrorCode::InvalidPin
    );
    assert_eq!(
        code(block_on(client.change_pin(PIN, PIN))),
        ErrorCode::InvalidInput
    );
    block_on(client.change_pin(PIN, NEW_PIN)).unwrap();
    let reloaded = world.open(&browser, APP);
    assert_eq!(
        code(block_on(reloaded.login_with_pin(PIN))),
        ErrorCode::InvalidPin
    );
    block_on(reloaded.login_with_pin(NEW_PIN)).unwrap();
}

#[test]
fn forgot_and_reset_pin_unlock_with_the_new_pin() {
    let world = World::new();
    let browser = Browser::new();
    enrolled(&world, &browser);
    let client = world.open(&browser, APP);
    for _ in 0..5 {
        let _ = block_on(client.login_with_pin("111119"));
    }
    assert_eq!(client.state(), SignedOut);

    block_on(client.forgot_pin(ANN)).unwrap();
    block_on(client.forgot_pin("nobody@example.com")).unwrap();
    let token = world.reset_token_for(ANN).to_base64url();
    for mistyped in ["not a token", "", &token[..token.len() - 1]] {
        assert_eq!(
            code(block_on(client.reset_pin(mistyped, NEW_PIN))),
            ErrorCode::ResetTokenInvalid,
            "{mistyped:?}"
        );
    }
    block_on(client.reset_pin(&token, NEW_PIN)).unwrap();
    assert_eq!(client.state(), SignedIn);
    assert_eq!(client.user().unwrap().email, ANN);
    assert_eq!(
        code(block_on(client.reset_pin(&token, "935172"))),
        ErrorCode::ResetTokenInvalid
    );

    let reloaded = world.open(&browser, APP);
    block_on(reloaded.login_with_pin(NEW_PIN)).unwrap();
}

#[test]
fn logout_ends_the_session_here_and_on_the_backend() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    let session_key = "pinauth:shop:v1:pinSession";
    let stored_session = browser.local.get(session_key).unwrap().unwrap();
    let access = block_on(client.access_token()).unwrap();
    block_on(client.logout()).unwrap();
    assert_eq!(client.state(), SignedOut);
    assert_eq!(browser.local.get(session_key).unwrap(), None);
    assert_eq!(world.open(&browser, APP).state(), SignedOut);

    // Both tokens are dead on the backend: restoring the session from a copy does not help.
    let revoked = world.server_call(Request::ListDevices(ListDevicesRequest {
        access_token: access,
    }));
    assert_eq!(code(revoked), ErrorCode::AccessTokenInvalid);
    browser.local.set(session_key, &stored_session).unwrap();
    let restored = world.open(&browser, APP);
    assert_eq!(restored.state(), PinRequired);
    assert_eq!(
        code(block_on(restored.login_with_pin(PIN))),
        ErrorCode::SessionInvalid
    );
    assert_eq!(restored.state(), SignedOut);

    // The device keeps its identity and PIN: a password login gives a session directly.
    assert_eq!(block_on(client.login(ANN, PASSWORD)).unwrap(), SignedIn);
}

#[test]
fn forget_device_revokes_it_and_starts_over_as_a_new_device() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    let old_id = client.device_id();
    block_on(client.forget_device()).unwrap();
    assert_eq!(client.state(), SignedOut);
    assert_ne!(client.device_id(), old_id);
    assert_eq!(world.open(&browser, APP).device_id(), client.device_id());

    assert_eq!(
        devices_after_new_sign_in(&world, &client),
        [client.device_id()]
    );
}

/// Signs Ann in again with `client`, a new device, and lists her account's devices.
fn devices_after_new_sign_in(world: &World, client: &TestClient) -> Vec<DeviceId> {
    assert_eq!(
        block_on(client.login(ANN, PASSWORD)).unwrap(),
        PinSetupRequired
    );
    block_on(client.set_pin(PIN)).unwrap();
    let access = block_on(client.access_token()).unwrap();
    let devices = reply!(
        world.server_call(Request::ListDevices(ListDevicesRequest {
            access_token: access
        })),
        Reply::ListDevices
    )
    .unwrap()
    .devices;
    devices.into_iter().map(|d| d.device_id).collect()
}

#[test]
fn weak_or_malformed_pins_are_refused_before_any_network_call() {
    let world = World::new();
    let browser = Browser::new();
    let client = world.open(&browser, APP);
    block_on(client.register(ANN, PASSWORD)).unwrap();
    block_on(client.login(ANN, PASSWORD)).unwrap();
    let before = world.log.borrow().len();
    for (pin, reason) in [
        ("123456", "SEQUENCE"),
        ("000000", "REPEATED"),
        ("121212", "REPEATED"),
        ("112233", "COMMON"),
        ("12345", "TOO_SHORT"),
        ("7305190", "TOO_LONG"),
        ("73051a", "NOT_DIGITS"),
        ("", "TOO_SHORT"),
    ] {
        for error in [
            block_on(client.set_pin(pin)).unwrap_err(),
            client.check_pin(pin).unwrap_err(),
            block_on(client.reset_pin("AAAA", pin)).unwrap_err(),
            block_on(client.change_pin(PIN, pin)).unwrap_err(),
        ] {
            assert_eq!(
                (error.code(), error.reason()),
                (ErrorCode::WeakPin, Some(reason)),
                "{pin}"
            );
        }
    }
    assert_eq!(world.log.borrow().len(), before, "no request was sent");
    assert_eq!(client.state(), PinSetupRequired);
    assert!(client.check_pin(PIN).is_ok());
}

#[test]
fn corrupt_storage_gives_a_fresh_state_and_warnings_never_an_error() {
    let world = World::new();
    let browser = Browser::new();
    enrolled(&world, &browser);
    browser
        .local
        .set("pinauth:shop:v1:pinSession", "{not json")
        .unwrap();
    browser.keys.corrupt(APP);
    let client = world.open(&browser, APP);
    assert_eq!(client.state(), SignedOut);
    let warnings = record_warnings(&client);
    assert_eq!(*warnings.borrow(), vec!["DEVICE_RESET", "STORAGE_CORRUPT"]);
    assert_eq!(
        block_on(client.login(ANN, PASSWORD)).unwrap(),
        PinSetupRequired,
        "a new device"
    );
}

#[test]
fn warnings_raised_while_nobody_listens_are_kept_once_each() {
    let world = World::new();
    let browser = Browser::new();
    enrolled(&world, &browser);
    // One warning while the client is made (its identity is unreadable)…
    browser.keys.corrupt(APP);
    let client = world.open(&browser, APP);
    assert_eq!(client.state(), SignedOut);
    // …then a page that never subscribes, whose stored session another script keeps
    // breaking.
    let break_session = |times| {
        for _ in 0..times {
            browser
                .local
                .set("pinauth:shop:v1:pinSession", "{not json")
                .unwrap();
            client.refresh();
        }
    };
    break_session(1000);
    let warnings = record_warnings(&client);
    assert_eq!(*warnings.borrow(), vec!["DEVICE_RESET", "STORAGE_CORRUPT"]);
    // Listened to, every one is delivered.
    break_session(2);
    assert_eq!(warnings.borrow().len(), 4);
}

#[test]
fn a_failing_storage_falls_back_to_memory_with_a_warning() {
    let world = World::new();
    let browser = Browser::new();
    // Both storages full: one warning for the page, whichever slot failed first.
    let client = world.open_with_stores(&browser, APP, Box::new(Full), Box::new(Full));
    let warnings = record_warnings(&client);
    block_on(client.register(ANN, PASSWORD)).unwrap();
    block_on(client.login(ANN, PASSWORD)).unwrap();
    block_on(client.set_pin(PIN)).unwrap();
    assert_eq!(
        client.state(),
        SignedIn,
        "the page keeps working from memory"
    );
    assert_eq!(*warnings.borrow(), vec!["STORAGE_FALLBACK"]);
}

#[test]
fn a_failing_access_token_storage_keeps_the_pin_session_where_it_is() {
    let world = World::new();
    let browser = Browser::new();
    drop(enrolled(&world, &browser));
    // A reload whose sessionStorage is full: unlocking stores the access token there.
    let local = Box::new(browser.local.clone());
    let client = world.open_with_stores(&browser, APP, local, Box::new(Full));
    let warnings = record_warnings(&client);
    block_on(client.login_with_pin(PIN)).unwrap();
    assert_eq!(
        client.refresh(),
        SignedIn,
        "the access token is kept in memory"
    );
    assert_eq!(*warnings.borrow(), vec!["STORAGE_FALLBACK"]);
    assert!(
        browser
            .local
            .get("pinauth:shop:v1:pinSession")
            .unwrap()
            .is_some(),
        "the PIN session stays in localStorage"
    );
    drop(client);
    let reloaded = world.open(&browser, APP);
    assert_eq!(
        reloaded.state(),
        PinRequired,
        "a reload asks for the PIN only"
    );
}

#[test]
fn tabs_sharing_storage_follow_each_others_sign_in_and_logout() {
    let world = World::new();
    let browser = Browser::new();
    let tab_a = enrolled(&world, &browser);
    block_on(tab_a.logout()).unwrap();
    let tab_b = world.open(&browser, APP);
    assert_eq!(tab_b.state(), SignedOut);
    let b_states = record_states(&tab_b);

    assert_eq!(block_on(tab_a.login(ANN, PASSWORD)).unwrap(), SignedIn);
    assert_eq!(tab_b.refresh(), PinRequired, "B sees the new session");
    block_on(tab_b.login_with_pin(PIN)).unwrap();
    block_on(tab_a.logout()).unwrap();
    assert_eq!(tab_b.refresh(), SignedOut, "B follows the logout");
    assert_eq!(*b_states.borrow(), vec![PinRequired, SignedIn, SignedOut]);
}

#[test]
fn bad_app_ids_are_invalid_input() {
    let world = World::new();
    let browser = Browser::new();
    for app_id in ["", "has space", "a:b", &"x".repeat(65)] {
        let platform = pinauth::client::Platform {
            clock: Rc::new(world.clock.clone()),
            rng: Rc::new(pinauth::platform::OsRng),
            keys: browser.keys.clone(),
            transport: pinauth::backend::LocalTransport::new(world.host.clone()),
            session_store: Box::new(MemoryStore::default()),
            access_store: Box::new(MemoryStore::default()),
        };
        let config = pinauth::client::ClientConfig {
            app_id: app_id.to_owned(),
            ..Default::default()
        };
        let result = block_on(pinauth::client::Client::create(config, platform));
        assert_eq!(
            result.err().map(|e| e.code()),
            Some(ErrorCode::InvalidInput),
            "{app_id:?}"
        );
    }
}

#[test]
fn a_persisted_backend_is_one_server_for_every_tab_and_survives_failed_writes() {
    /// A store that can be told to refuse writes.
    #[derive(Clone, Default)]
    struct Flaky {
        inner: MemoryStore,
        refuse: Rc<std::cell::Cell<bool>>,
    }
    impl KeyValueStore for Flaky {
        fn get(&self, key: &str) -> pinauth::Result<Option<String>> {
            self.inner.get(key)
        }
        fn set(&self, key: &str, value: &str) -> pinauth::Result<()> {
            if self.refuse.get() {
                return Err(Error::new(ErrorCode::StorageUnavailable));
            }
            self.inner.set(key, value)
        }
        fn remove(&self, key: &str) -> pinauth::Result<()> {
            self.inner.remove(key)
        }
    }
    let store = Flaky::default();
    let tab = |seed| {
        let backend = Backend::new(
            BackendConfig::default().with_cheap_password_hashing(),
            Box::new(pinauth::platform::ManualClock::new(START_MS)),
            Box::new(SeededRng::new(seed)),
        )
        .unwrap();
        BackendHost::persistent(backend, Box::new(store.clone()), "pinauth:server")
    };
    let (tab_a, tab_b) = (tab(1), tab(2));
    let call = |host: &BackendHost, request: &Request| -> pinauth::Result<Reply> {
        serde_json::from_str::<Response>(
            &host.handle_json(&serde_json::to_string(request).unwrap()),
        )
        .unwrap()
        .into()
    };
    let register = |email: &str| {
        Request::Register(RegisterRequest {
            email: email.into(),
            password: SecretString::new(PASSWORD),
        })
    };
    call(&tab_a, &register(ANN)).unwrap();
    call(&tab_b, &register("bob@example.com")).unwrap();
    assert_eq!(
        code(call(&tab_a, &register("bob@example.com"))),
        ErrorCode::EmailTaken,
        "A sees B's account"
    );
    assert_eq!(
        code(call(&tab_b, &register(ANN))),
        ErrorCode::EmailTaken,
        "B sees A's account"
    );

    let before = store.inner.get("pinauth:server").unwrap();
    store.refuse.set(true);
    assert_eq!(
        code(call(&tab_a, &register("cy@example.com"))),
        ErrorCode::StorageUnavailable
    );
    assert_eq!(
        store.inner.get("pinauth:server").unwrap(),
        before,
        "the old snapshot is intact"
    );
    store.refuse.set(false);
    call(&tab_b, &register("cy@example.com")).expect("the failed registration did not happen");

    // A tab that only reads writes nothing back: its copy of the snapshot, which may be
    // older than another tab's latest write, never replaces the stored one.
    let before = store.inner.get("pinauth:server").unwrap();
    store.refuse.set(true);
    tab_a
        .with_backend(|b| Ok((b.devices_of(ANN), b.outbox_for(ANN))))
        .expect("reading needs no write");
    let unknown_reauth = Request::ValidateReauth(ValidateReauthRequest {
        reauth_token: Token::new([7; 32]),
    });
    assert_eq!(
        code(call(&tab_a, &unknown_reauth)),
        ErrorCode::ReauthTokenInvalid
    );
    // A wrong password changes the account's failure count: that must be written.
    let wrong = Request::Login(LoginRequest {
        email: ANN.into(),
        password: SecretString::new("wrong password here"),
        device_id: DeviceId::new([9; 16]),
    });
    assert_eq!(code(call(&tab_a, &wrong)), ErrorCode::StorageUnavailable);
    assert_eq!(store.inner.get("pinauth:server").unwrap(), before);
}

#[test]
fn a_tab_behind_the_latest_revision_waits_instead_of_overwriting() {
    use pinauth::backend::Attempt;
    // Two tabs, each with its own copy of the shared store (as Chromium's renderers have
    // of localStorage); `propagate` is the browser bringing B's copy up to date.
    let (copy_a, copy_b) = (MemoryStore::default(), MemoryStore::default());
    let tab = |seed, store: &MemoryStore| {
        let backend = Backend::new(
            BackendConfig::default().with_cheap_password_hashing(),
            Box::new(pinauth::platform::ManualClock::new(START_MS)),
            Box::new(SeededRng::new(seed)),
        )
        .unwrap();
        BackendHost::persistent(backend, Box::new(store.clone()), KEY)
    };
    const KEY: &str = "pinauth:server";
    let (tab_a, tab_b) = (tab(1, &copy_a), tab(2, &copy_b));
    let propagate = || copy_b.set(KEY, &copy_a.get(KEY).unwrap().unwrap()).unwrap();
    let revision_in = |store: &MemoryStore| -> u64 {
        let snapshot: serde_json::Value =
            serde_json::from_str(&store.get(KEY).unwrap().unwrap()).unwrap();
        snapshot["revision"].as_u64().unwrap()
    };
    let ran = |attempt: Attempt<(), _>| match attempt {
        Attempt::Ran { result, revision } => (result.map_err(|e| e.code()), revision),
        Attempt::Behind(_) => panic!("the request did not run"),
    };

    assert_eq!(ran(tab_a.attempt(0, true, register_on(ANN))), (Ok(()), 1));
    // B has not seen A's first write yet: it waits rather than start from nothing.
    assert!(matches!(
        tab_b.attempt(1, true, register_on("bob@example.com")),
        Attempt::Behind(_)
    ));
    assert_eq!(
        copy_b.get(KEY).unwrap(),
        None,
        "nothing ran, nothing written"
    );
    propagate();
    assert_eq!(
        ran(tab_b.attempt(1, true, register_on("bob@example.com"))),
        (Ok(()), 2),
        "once caught up, B's change lands on top of A's"
    );
    assert_eq!(
        ran(tab_b.attempt(2, true, register_on(ANN))),
        (Err(ErrorCode::EmailTaken), 2),
        "B holds A's account; a refused request writes nothing"
    );

    // A writes twice more; B's copy stays at revision 2.
    copy_a.set(KEY, &copy_b.get(KEY).unwrap().unwrap()).unwrap();
    assert_eq!(
        ran(tab_a.attempt(2, true, register_on("cy@example.com"))).1,
        3
    );
    assert_eq!(
        ran(tab_a.attempt(3, true, register_on("di@example.com"))).1,
        4
    );
    assert!(matches!(
        tab_b.attempt(4, true, register_on("ed@example.com")),
        Attempt::Behind(_)
    ));
    // Past the wait (a snapshot replaced by hand never catches up), B runs on what it has
    // and writes above the latest revision, so later requests do not wait on it.
    assert_eq!(
        ran(tab_b.attempt(4, false, register_on("ed@example.com"))),
        (Ok(()), 5)
    );
    assert_eq!(revision_in(&copy_b), 5);
    // A request that changes nothing keeps the revision and writes nothing.
    let stored = copy_b.get(KEY).unwrap();
    match tab_b.attempt(5, true, |b| Ok(b.devices_of(ANN).len())) {
        Attempt::Ran { result, revision } => assert_eq!((result.unwrap(), revision), (0, 5)),
        Attempt::Behind(_) => panic!("B is at the latest revision"),
    }
    assert_eq!(copy_b.get(KEY).unwrap(), stored);
    // An unreadable snapshot never catches up either: the last good state is written back
    // at once, above the latest revision.
    copy_b.set(KEY, "{").unwrap();
    assert_eq!(
        ran(tab_b.attempt(7, true, register_on("fay@example.com"))),
        (Ok(()), 8)
    );
    assert_eq!(revision_in(&copy_b), 8);
    assert_eq!(
        ran(tab_b.attempt(8, true, register_on("ed@example.com"))),
        (Err(ErrorCode::EmailTaken), 8),
        "the state written back is the last good one"
    );
}

#[test]
fn overlapping_calls_take_turns_instead_of_interleaving() {
    let world = World::new();
    let browser = Browser::new();
    enrolled(&world, &browser);
    let client = world.open(&browser, APP);
    world.log.borrow_mut().clear();
    // A double click: two unlocks with a wrong PIN, then one with the right PIN, at once.
    let results = join_all(vec![
        client.login_with_pin("111119"),
        client.login_with_pin("111119"),
        client.login_with_pin(PIN),
    ]);
    let remaining: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().err().and_then(|e| e.attempts_remaining()))
        .collect();
    assert_eq!(remaining, vec![Some(4), Some(3), None], "run in call order");
    assert_eq!(
        *world.log.borrow(),
        [
            "challenge",
            "loginWithPin",
            "challenge",
            "loginWithPin",
            "challenge",
            "loginWithPin"
        ],
        "each call's requests ran together"
    );
    assert_eq!(client.state(), SignedIn);
}

#[test]
fn page_code_reached_by_the_storage_can_read_the_client() {
    // A page that wraps `Storage` (logging, a polyfill) may read `deviceId`, `user` or
    // `state` from inside the storage call the client is making: the client answers, with
    // the state it last announced, and goes on.
    type Hook = Rc<RefCell<Option<Box<dyn Fn()>>>>;
    struct Wrapped {
        inner: MemoryStore,
        hook: Hook,
    }
    impl Wrapped {
        fn run_hook(&self) {
            if let Some(hook) = self.hook.borrow().as_ref() {
                hook();
            }
        }
    }
    impl KeyValueStore for Wrapped {
        fn get(&self, key: &str) -> pinauth::Result<Option<String>> {
            self.run_hook();
            self.inner.get(key)
        }
        fn set(&self, key: &str, value: &str) -> pinauth::Result<()> {
            self.run_hook();
            self.inner.set(key, value)
        }
        fn remove(&self, key: &str) -> pinauth::Result<()> {
            self.run_hook();
            self.inner.remove(key)
        }
    }
    let world = World::new();
    let browser = Browser::new();
    let hook: Hook = Rc::default();
    let store = Wrapped {
        inner: browser.local.clone(),
        hook: hook.clone(),
    };
    let client = Rc::new(world.open_with(&browser, APP, Box::new(store)));
    let seen: Rc<RefCell<Vec<AuthState>>> = Rc::default();
    let (reader, sink) = (Rc::downgrade(&client), seen.clone());
    *hook.borrow_mut() = Some(Box::new(move || {
        if let Some(client) = reader.upgrade() {
            let _ = client.device_id();
            let _ = client.user();
            let state = client.state();
            sink.borrow_mut().push(state);
        }
    }));
    let announced: Rc<RefCell<Vec<AuthState>>> = Rc::default();
    let sink = announced.clone();
    client.on_state_change(move |state| sink.borrow_mut().push(*state));
    block_on(client.register(ANN, PASSWORD)).unwrap();
    block_on(client.login(ANN, PASSWORD)).unwrap();
    block_on(client.set_pin(PIN)).unwrap();
    assert_eq!(client.state(), SignedIn);
    world.advance_secs(16 * 60);
    assert_eq!(client.state(), PinRequired);
    block_on(client.login_with_pin(PIN)).unwrap();
    block_on(client.logout()).unwrap();
    assert_eq!(client.state(), SignedOut);
    // Each state announced once, in order: no state read from inside a storage call is
    // announced on the way (a logout does not pass through `pinRequired`).
    assert_eq!(
        *announced.borrow(),
        vec![PinSetupRequired, SignedIn, PinRequired, SignedIn, SignedOut]
    );
    let seen = seen.borrow();
    assert!(
        seen.contains(&SignedIn) && seen.contains(&PinRequired),
        "{seen:?}"
    );
    *hook.borrow_mut() = None;
}

#[test]
fn a_listener_that_reads_the_state_leaves_the_others_with_the_current_one() {
    // Listener A, on `signedIn`, clears the PIN session from storage (as another script
    // might) and reads the state; listener B must still end on the client's real state.
    let world = World::new();
    let browser = Browser::new();
    let client = Rc::new(world.open(&browser, APP));
    block_on(client.register(ANN, PASSWORD)).unwrap();
    block_on(client.login(ANN, PASSWORD)).unwrap();
    block_on(client.set_pin(PIN)).unwrap();
    world.advance_secs(16 * 60);
    assert_eq!(client.state(), PinRequired);
    let (reader, local) = (Rc::downgrade(&client), browser.local.clone());
    let fired = Rc::new(std::cell::Cell::new(false));
    let once = fired.clone();
    client.on_state_change(move |state| {
        if *state == SignedIn && !once.replace(true) {
            for key in Browser::storage_keys(APP) {
                local.remove(&key).unwrap();
            }
            let _ = reader.upgrade().unwrap().state();
        }
    });
    let seen: Rc<RefCell<Vec<AuthState>>> = Rc::default();
    let sink = seen.clone();
    client.on_state_change(move |state| sink.borrow_mut().push(*state));
    block_on(client.login_with_pin(PIN)).unwrap();
    assert!(fired.get());
    let now = client.state();
    assert_eq!(now, SignedOut, "the PIN session was removed from storage");
    assert_eq!(seen.borrow().last(), Some(&now), "{:?}", seen.borrow());
}

#[test]
fn two_tabs_that_create_the_identity_at_once_become_one_device() {
    // Both found no identity; the second to save finds the first's and uses it.
    let browser = Browser::new();
    let rng = pinauth::platform::OsRng;
    let first = block_on(pinauth::device::create(&browser.keys, &rng, APP)).unwrap();
    let second = block_on(pinauth::device::create(&browser.keys, &rng, APP)).unwrap();
    assert!(first.created && !second.created);
    assert_eq!(first.identity.device_id, second.identity.device_id);
    assert!(first.warnings.is_empty() && second.warnings.is_empty());
    assert_eq!(
        browser.identity(APP).device_id,
        first.identity.device_id,
        "the first stays saved"
    );
}

#[test]
fn an_identity_store_that_cannot_be_read_once_keeps_the_identity_it_holds() {
    // A failed read is not a missing identity: the page gets one of its own, which is
    // never saved over the one in the store.
    struct ReadFailsOnce {
        inner: pinauth::platform::SoftwareKeys,
        failed: std::cell::Cell<bool>,
    }
    impl pinauth::platform::DeviceKeys for ReadFailsOnce {
        type Key = p256::ecdsa::SigningKey;
        async fn generate(&self) -> pinauth::Result<(Self::Key, PublicKey)> {
            self.inner.generate().await
        }
        async fn sign(&self, key: &Self::Key, payload: &[u8]) -> pinauth::Result<Signature> {
            self.inner.sign(key, payload).await
        }
        async fn load(
            &self,
            app_id: &str,
        ) -> pinauth::Result<pinauth::platform::LoadedIdentity<Self::Key>> {
            if !self.failed.replace(true) {
                return Err(Error::new(ErrorCode::StorageUnavailable));
            }
            self.inner.load(app_id).await
        }
        async fn save_new(
            &self,
            app_id: &str,
            identity: &StoredIdentity<Self::Key>,
        ) -> pinauth::Result<bool> {
            self.inner.save_new(app_id, identity).await
        }
        async fn delete(&self, app_id: &str) -> pinauth::Result<()> {
            self.inner.delete(app_id).await
        }
        async fn delete_corrupt(&self, app_id: &str) -> pinauth::Result<()> {
            self.inner.delete_corrupt(app_id).await
        }
    }
    let browser = Browser::new();
    let rng = pinauth::platform::OsRng;
    let enrolled = block_on(pinauth::device::create(&browser.keys, &rng, APP)).unwrap();
    let keys = ReadFailsOnce {
        inner: browser.keys.clone(),
        failed: std::cell::Cell::new(false),
    };
    let page = block_on(pinauth::device::load_or_create(&keys, &rng, APP)).unwrap();
    assert_eq!(page.warnings, vec![Warning::DEVICE_NOT_PERSISTED]);
    assert_ne!(page.identity.device_id, enrolled.identity.device_id);
    let later = block_on(pinauth::device::load_or_create(&keys, &rng, APP)).unwrap();
    assert!(!later.created && later.warnings.is_empty());
    assert_eq!(later.identity.device_id, enrolled.identity.device_id);
}

/// Tabs A and B of `browser`: A signs Ann in with a PIN, which B follows, then forgets
/// the device and signs in again as a new one, while B still holds the old identity.
fn tabs_after_one_forgot_the_device(world: &World, browser: &Browser) -> (TestClient, TestClient) {
    let a = world.open(browser, APP);
    let b = world.open(browser, APP);
    block_on(a.register(ANN, PASSWORD)).unwrap();
    block_on(a.login(ANN, PASSWORD)).unwrap();
    block_on(a.set_pin(PIN)).unwrap();
    assert_eq!(b.state(), PinRequired, "B follows A's sign-in: one device");
    block_on(a.forget_device()).unwrap();
    assert_ne!(a.device_id(), b.device_id());
    assert_eq!(b.state(), SignedOut);
    block_on(a.login(ANN, PASSWORD)).unwrap();
    block_on(a.set_pin(PIN)).unwrap();
    (a, b)
}

#[test]
fn a_tab_left_with_a_forgotten_identity_does_not_sign_out_the_tab_that_forgot_it() {
    // Tab A forgets the device and signs in as a new one; tab B still holds the old
    // identity in memory. B finds A's session, another device's, in the shared storage:
    // absent for B, and left to A.
    let world = World::new();
    let browser = Browser::new();
    let (a, b) = tabs_after_one_forgot_the_device(&world, &browser);
    let warnings = record_warnings(&b);
    assert_eq!(b.state(), SignedOut);
    assert_eq!(a.state(), SignedIn, "A keeps its session");
    assert_eq!(browser.stored_session(APP).device_id, a.device_id());
    block_on(b.logout()).unwrap();
    assert_eq!(a.state(), SignedIn, "B's logout ends only B's own tokens");
    assert!(warnings.borrow().is_empty(), "{:?}", warnings.borrow());

    // B saw A's new device in the storage: once, it takes up the identity saved for the
    // app (the page's watcher runs this), and follows A's session as one device again.
    assert!(b.take_identity_change());
    assert!(!b.take_identity_change(), "asked once per device");
    block_on(b.adopt_stored_identity());
    assert_eq!(b.device_id(), a.device_id());
    assert_eq!(b.state(), PinRequired);
    block_on(b.login_with_pin(PIN)).unwrap();
    assert_eq!(b.state(), SignedIn);
    assert_eq!(a.state(), SignedIn);
    assert!(!b.take_identity_change());
}

// ---- several tabs, several accounts, stale answers ----

const BOB: &str = "bob@example.com";

/// A tab of `browser` whose access token is kept in `session_storage` (its
/// sessionStorage: what a reload of the tab finds again).
fn tab_keeping_access_in(
    world: &World,
    browser: &Browser,
    session_storage: &MemoryStore,
) -> TestClient {
    world.open_with_stores(
        browser,
        APP,
        Box::new(browser.local.clone()),
        Box::new(session_storage.clone()),
    )
}

/// Bob has a PIN on this browser's device and has signed out.
fn bob_enrolled_then_signed_out(world: &World, browser: &Browser) {
    let tab = world.open(browser, APP);
    block_on(tab.register(BOB, PASSWORD)).unwrap();
    block_on(tab.login(BOB, PASSWORD)).unwrap();
    block_on(tab.set_pin(PIN)).unwrap();
    block_on(tab.logout()).unwrap();
}

#[test]
fn a_tab_follows_the_devices_pin_session_and_never_mixes_two_accounts_tokens() {
    let world = World::new();
    let browser = Browser::new();
    bob_enrolled_then_signed_out(&world, &browser);
    // Ann signs in with her password in one tab (no PIN on this device yet), then Bob
    // with his in another.
    let tab_ann = world.open(&browser, APP);
    block_on(tab_ann.register(ANN, PASSWORD)).unwrap();
    assert_eq!(
        block_on(tab_ann.login(ANN, PASSWORD)).unwrap(),
        PinSetupRequired
    );
    let tab_bob = world.open(&browser, APP);
    assert_eq!(block_on(tab_bob.login(BOB, PASSWORD)).unwrap(), SignedIn);

    // Ann's tab shows the device as it now is: Bob's PIN session, locked. Ann's access
    // and PIN auth tokens are not used with it.
    assert_eq!(tab_ann.refresh(), PinRequired);
    assert_eq!(tab_ann.user().unwrap().email, BOB);
    assert_eq!(
        code(block_on(tab_ann.access_token())),
        ErrorCode::NotSignedIn
    );
    assert_eq!(
        code(block_on(tab_ann.reauthenticate(PIN))),
        ErrorCode::NotSignedIn
    );
    assert_eq!(tab_bob.refresh(), SignedIn, "Bob's tab is untouched");
}

#[test]
fn a_reload_drops_a_stored_access_token_of_another_account_than_the_pin_session() {
    let world = World::new();
    let browser = Browser::new();
    bob_enrolled_then_signed_out(&world, &browser);
    // Ann, with a PIN, keeps her access token in this tab's sessionStorage.
    let session_storage = MemoryStore::default();
    let open_ann_tab = || tab_keeping_access_in(&world, &browser, &session_storage);
    let tab_ann = open_ann_tab();
    block_on(tab_ann.register(ANN, PASSWORD)).unwrap();
    block_on(tab_ann.login(ANN, PASSWORD)).unwrap();
    block_on(tab_ann.set_pin(NEW_PIN)).unwrap();
    let access_key = ["pinauth:", APP, ":v1:access"].concat();
    assert!(session_storage.get(&access_key).unwrap().is_some());
    // Bob signs in in another tab: the device's PIN session is his now.
    let tab_bob = world.open(&browser, APP);
    assert_eq!(block_on(tab_bob.login(BOB, PASSWORD)).unwrap(), SignedIn);

    let reloaded = open_ann_tab();
    assert_eq!(
        reloaded.state(),
        PinRequired,
        "not signed in as Ann on Bob's session"
    );
    assert_eq!(reloaded.user().unwrap().email, BOB);
    assert_eq!(session_storage.get(&access_key).unwrap(), None);
}

/// The last successful reply of `endpoint` on the wire (to read a token the client keeps
/// to itself).
fn last_reply(world: &World, endpoint: &str) -> Reply {
    let tag = ["\"endpoint\":\"", endpoint, "\""].concat();
    let text = world
        .wire
        .borrow()
        .iter()
        .rev()
        .find(|text| text.starts_with("{\"ok\"") && text.contains(&tag))
        .cloned()
        .unwrap();
    let Response::Ok(reply) = serde_json::from_str(&text).unwrap() else {
        panic!("a reply")
    };
    reply
}

#[test]
fn a_refused_session_leaves_a_newer_one_another_tab_stored() {
    // Tab 1's storage event of tab 2's sign-in comes after its own answer, or before.
    for follows_first in [false, true] {
        let world = World::new();
        let browser = Browser::new();
        let tab = world.open(&browser, APP);
        block_on(tab.register(ANN, PASSWORD)).unwrap();
        block_on(tab.login(ANN, PASSWORD)).unwrap();
        block_on(tab.set_pin(PIN)).unwrap();
        let tab1 = world.open(&browser, APP);
        let tab2 = world.open(&browser, APP);
        assert_eq!(tab1.state(), PinRequired);

        // Tab 1 unlocks with the PIN session while tab 2 signs in with the password,
        // which replaces that session on the server: tab 1's answer is SESSION_INVALID.
        let results = join_all(vec![
            Box::pin(async { tab1.login_with_pin(PIN).await.map(|_| None) })
                as std::pin::Pin<Box<dyn std::future::Future<Output = _>>>,
            Box::pin(async {
                let state = tab2.login(ANN, PASSWORD).await.map(Some);
                if follows_first {
                    tab1.refresh();
                }
                state
            }),
        ]);
        assert_eq!(results[1].as_ref().unwrap(), &Some(SignedIn));
        assert_eq!(
            results[0].as_ref().unwrap_err().code(),
            ErrorCode::SessionInvalid
        );
        // The new session stays: tab 2 is still signed in, and tab 1 unlocks with it.
        assert_eq!(tab2.refresh(), SignedIn, "follows first: {follows_first}");
        assert_eq!(tab1.state(), PinRequired);
        block_on(tab1.login_with_pin(PIN)).unwrap();
        assert_eq!(tab1.state(), SignedIn);
    }
}

#[test]
fn an_unlock_that_loses_the_device_to_another_account_midway_fails_and_ends_its_token() {
    let world = World::new();
    let browser = Browser::new();
    bob_enrolled_then_signed_out(&world, &browser);
    let tab = world.open(&browser, APP);
    block_on(tab.register(ANN, PASSWORD)).unwrap();
    block_on(tab.login(ANN, PASSWORD)).unwrap();
    block_on(tab.set_pin(NEW_PIN)).unwrap();
    let tab1 = world.open(&browser, APP);
    let tab2 = world.open(&browser, APP);
    // Ann unlocks in tab 1 while Bob signs in with his password in tab 2, and tab 1 sees
    // Bob's PIN session before its answer.
    let results = join_all(vec![
        Box::pin(async { tab1.login_with_pin(NEW_PIN).await.map(|_| None) })
            as std::pin::Pin<Box<dyn std::future::Future<Output = _>>>,
        Box::pin(async {
            let state = tab2.login(BOB, PASSWORD).await.map(Some);
            tab1.refresh();
            state
        }),
    ]);
    assert_eq!(results[1].as_ref().unwrap(), &Some(SignedIn));
    assert_eq!(
        results[0].as_ref().unwrap_err().code(),
        ErrorCode::NotSignedIn
    );
    assert_eq!(tab1.state(), PinRequired);
    assert_eq!(tab1.user().unwrap().email, BOB);
    assert_eq!(tab2.refresh(), SignedIn);
    assert_eq!(
        code(world.call(&Request::ListDevices(ListDevicesRequest {
            access_token: match last_reply(&world, "loginWithPin") {
                Reply::LoginWithPin(access) => access.token,
                other => panic!("{other:?}"),
            },
        }))),
        ErrorCode::AccessTokenInvalid,
        "Ann's new access token was ended"
    );
}

#[test]
fn an_access_token_the_server_refused_does_not_come_back_with_a_reload() {
    let world = World::new();
    let browser = Browser::new();
    let session_storage = MemoryStore::default();
    let open = || tab_keeping_access_in(&world, &browser, &session_storage);
    let tab = open();
    block_on(tab.register(ANN, PASSWORD)).unwrap();
    block_on(tab.login(ANN, PASSWORD)).unwrap();
    block_on(tab.set_pin(PIN)).unwrap();
    let access = block_on(tab.access_token()).unwrap();
    // The server ends the access token (its own logout of it, say).
    world
        .call(&Request::Logout(LogoutRequest {
            access_token: Some(access),
            ..LogoutRequest::default()
        }))
        .unwrap();
    assert_eq!(
        code(block_on(tab.reauthenticate(PIN))),
        ErrorCode::AccessTokenInvalid
    );
    assert_eq!(tab.state(), PinRequired);
    assert_eq!(open().state(), PinRequired, "the reload asks for the PIN");
}

#[test]
fn forgetting_the_device_before_a_pin_is_set_ends_the_password_sign_in_on_the_server() {
    let world = World::new();
    let browser = Browser::new();
    let tab = world.open(&browser, APP);
    block_on(tab.register(ANN, PASSWORD)).unwrap();
    assert_eq!(
        block_on(tab.login(ANN, PASSWORD)).unwrap(),
        PinSetupRequired
    );
    // The access token the login answered with (the client gives it out only once
    // signed in).
    let Reply::Login(login) = last_reply(&world, "login") else {
        panic!("a login reply")
    };
    let access = login.access.token;
    block_on(tab.forget_device()).unwrap();
    assert_eq!(tab.state(), SignedOut);
    assert_eq!(
        code(world.call(&Request::ListDevices(ListDevicesRequest {
            access_token: access,
        }))),
        ErrorCode::AccessTokenInvalid
    );
}

// ---- a logout while other calls wait for the server ----

/// Polls `future` once; its output if that finished it.
fn finished<F: std::future::Future>(future: std::pin::Pin<&mut F>) -> Option<F::Output> {
    poll_once(future, std::task::Waker::noop())
}

/// Polls `future` once with `waker`; its output if that finished it.
fn poll_once<F: std::future::Future>(
    future: std::pin::Pin<&mut F>,
    waker: &std::task::Waker,
) -> Option<F::Output> {
    match future.poll(&mut std::task::Context::from_waker(waker)) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}

/// Polls `future` once, as the page's task queue would before the network answers; true
/// while it waits.
fn pending<F: std::future::Future>(future: std::pin::Pin<&mut F>) -> bool {
    finished(future).is_none()
}

/// Whether `access` still works on the backend.
fn access_works(world: &World, access: &Token) -> bool {
    world
        .server_call(Request::ListDevices(ListDevicesRequest {
            access_token: access.clone(),
        }))
        .is_ok()
}

#[test]
fn a_logout_signs_out_at_once_and_the_unlock_it_overtook_goes_no_further() {
    let world = World::new();
    let browser = Browser::new();
    enrolled(&world, &browser);
    let client = world.open(&browser, APP);
    assert_eq!(client.state(), PinRequired);
    let stored_session = browser.stored_session(APP);
    let states = record_states(&client);
    world.log.borrow_mut().clear();
    let mut unlock = Box::pin(client.login_with_pin(PIN));
    let mut logout = Box::pin(client.logout());
    assert!(
        pending(unlock.as_mut()),
        "the unlock waits for its challenge"
    );
    assert!(pending(logout.as_mut()), "the logout waits for its server");
    assert_eq!(client.state(), SignedOut, "signed out before any answer");
    assert_eq!(*states.borrow(), [SignedOut]);
    assert_eq!(
        world.open(&browser, APP).state(),
        SignedOut,
        "nothing stored"
    );
    assert!(
        finished(logout.as_mut()).unwrap().is_ok(),
        "answered, the logout is done: neither it nor its request waited for the unlock"
    );
    assert_eq!(*world.log.borrow(), ["logout"]);

    let overtaken = block_on(unlock).unwrap_err();
    assert_eq!(overtaken.code(), ErrorCode::NotSignedIn);
    assert!(overtaken
        .message()
        .starts_with("Signed out while this call"));
    assert_eq!(
        *world.log.borrow(),
        ["logout", "challenge"],
        "the unlock went no further than its challenge"
    );
    assert_eq!(client.state(), SignedOut);
    assert_eq!(*states.borrow(), [SignedOut]);
    assert_eq!(
        world
            .server_call(Request::LoginWithPin(LoginWithPinRequest {
                session_token: stored_session.token,
                device_id: client.device_id(),
                pin_proof: proof(1),
                challenge: Token::new([0; 32]),
                signature: Signature::new([0; 64]),
            }))
            .unwrap_err()
            .code(),
        ErrorCode::SessionInvalid,
        "the logout ended the PIN session on the backend"
    );
}

#[test]
fn the_tokens_a_login_brings_back_after_a_logout_are_ended_not_kept() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    block_on(client.logout()).unwrap();
    world.log.borrow_mut().clear();
    world.wire.borrow_mut().clear();
    let mut login = Box::pin(client.login(ANN, PASSWORD));
    let mut logout = Box::pin(client.logout());
    assert!(pending(login.as_mut()), "the login waits for its answer");
    assert!(pending(logout.as_mut()));
    assert_eq!(code(block_on(login)), ErrorCode::NotSignedIn);
    block_on(logout).unwrap();
    assert_eq!(*world.log.borrow(), ["login", "logout", "logout"]);
    assert_eq!(client.state(), SignedOut);
    assert_eq!(
        world.open(&browser, APP).state(),
        SignedOut,
        "nothing stored"
    );

    // The login's reply issued an access token and a PIN session (this device has a PIN);
    // the next request ended both.
    let wire = world.wire.borrow();
    let Response::Ok(Reply::Login(reply)) = serde_json::from_str(&wire[1]).unwrap() else {
        panic!("not a login reply: {}", wire[1]);
    };
    let PinStep::PinSession(session) = &reply.pin else {
        panic!("the device has a PIN");
    };
    let Request::Logout(ended) = serde_json::from_str(&wire[2]).unwrap() else {
        panic!("not a logout: {}", wire[2]);
    };
    assert_eq!(ended.access_token.as_ref(), Some(&reply.access.token));
    assert_eq!(ended.session_token.as_ref(), Some(&session.token));
    assert!(!access_works(&world, &reply.access.token));
}

#[test]
fn a_login_waiting_its_turn_when_logout_is_called_never_sends_the_password() {
    let world = World::new();
    let browser = Browser::new();
    enrolled(&world, &browser);
    let client = world.open(&browser, APP);
    world.log.borrow_mut().clear();
    world.wire.borrow_mut().clear();
    let mut unlock = Box::pin(client.login_with_pin(PIN));
    let mut login = Box::pin(client.login(ANN, PASSWORD));
    let mut logout = Box::pin(client.logout());
    assert!(pending(unlock.as_mut()));
    assert!(pending(login.as_mut()), "the login waits for the unlock");
    assert!(pending(logout.as_mut()));
    assert_eq!(code(block_on(unlock)), ErrorCode::NotSignedIn);
    assert_eq!(code(block_on(login)), ErrorCode::NotSignedIn);
    block_on(logout).unwrap();
    assert_eq!(*world.log.borrow(), ["challenge", "logout"]);
    assert!(
        world.wire.borrow().iter().all(|m| !m.contains(PASSWORD)),
        "the password never left the page"
    );
    assert_eq!(client.state(), SignedOut);
}

#[test]
fn a_sign_in_called_after_a_logout_follows_its_request_and_holds() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    let old_access = block_on(client.access_token()).unwrap();
    world.log.borrow_mut().clear();
    type Call<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = pinauth::Result<()>> + 'a>>;
    let calls: Vec<Call> = vec![
        Box::pin(async { client.reauthenticate(PIN).await.map(drop) }),
        Box::pin(client.logout()),
        Box::pin(async { client.login(ANN, PASSWORD).await.map(drop) }),
    ];
    let results = join_all(calls);
    assert_eq!(code(results[0].clone()), ErrorCode::NotSignedIn);
    assert!(results[1].is_ok() && results[2].is_ok(), "{results:?}");
    assert_eq!(*world.log.borrow(), ["challenge", "logout", "login"]);
    assert_eq!(client.state(), SignedIn, "the later login holds");
    assert!(!access_works(&world, &old_access));
    assert!(access_works(
        &world,
        &block_on(client.access_token()).unwrap()
    ));
}

#[test]
fn a_forget_device_called_before_a_logout_still_revokes_the_device() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    let old_id = client.device_id();
    world.log.borrow_mut().clear();
    let mut reauth = Box::pin(client.reauthenticate(PIN));
    let mut forget = Box::pin(client.forget_device());
    let mut logout = Box::pin(client.logout());
    assert!(pending(reauth.as_mut()));
    assert!(
        pending(forget.as_mut()),
        "forgetDevice waits for the re-authentication"
    );
    assert!(pending(logout.as_mut()));
    assert_eq!(client.state(), SignedOut);
    assert_eq!(code(block_on(reauth)), ErrorCode::NotSignedIn);
    block_on(forget).unwrap();
    block_on(logout).unwrap();
    assert_eq!(*world.log.borrow(), ["challenge", "revokeDevice", "logout"]);
    assert_ne!(client.device_id(), old_id);

    // Signed in again, on the new device: the old one is gone from the account.
    assert_eq!(
        devices_after_new_sign_in(&world, &client),
        [client.device_id()]
    );
}

#[test]
fn an_identity_adoption_queued_before_a_logout_still_follows_the_other_tab() {
    // Tab A forgets the device and signs in as a new one; tab B, left with the old
    // identity, queues the adoption of the new one behind a call of its own, then logs
    // out. As when it logs out before seeing the new identity, the logout ends B's own
    // tokens only, and B then follows A's session, one device again.
    let world = World::new();
    let browser = Browser::new();
    let (a, b) = tabs_after_one_forgot_the_device(&world, &browser);
    let a_access = block_on(a.access_token()).unwrap();
    assert_eq!(b.state(), SignedOut, "B sees another device's session");
    assert!(b.take_identity_change());
    world.log.borrow_mut().clear();
    let states = record_states(&b);

    let mut forgot = Box::pin(b.forgot_pin(ANN));
    let mut adopt = Box::pin(b.adopt_stored_identity());
    let mut logout = Box::pin(b.logout());
    assert!(pending(forgot.as_mut()));
    assert!(
        pending(adopt.as_mut()),
        "the adoption waits for the forgot-PIN mail"
    );
    assert!(pending(logout.as_mut()));
    block_on(forgot).unwrap();
    block_on(adopt);
    block_on(logout).unwrap();
    assert_eq!(*world.log.borrow(), ["forgotPin", "logout"]);
    assert_eq!(b.device_id(), a.device_id(), "B took up the new identity");
    assert_eq!(b.state(), PinRequired);
    assert_eq!(*states.borrow(), [PinRequired]);
    assert_eq!(a.refresh(), SignedIn, "A keeps its session");
    assert!(access_works(&world, &a_access));
}

/// Polls `future` until it has sent a request to `endpoint` and waits again (its next
/// request on the way, or the reply to this one).
fn poll_past<F: std::future::Future>(
    world: &World,
    mut future: std::pin::Pin<&mut F>,
    endpoint: &str,
) {
    for _ in 0..100 {
        assert!(pending(future.as_mut()), "{endpoint} never sent");
        if world.log.borrow().last().map(String::as_str) == Some(endpoint) {
            return;
        }
    }
    panic!("{endpoint} never sent");
}

#[test]
fn what_the_server_did_before_a_logout_overtook_the_call_is_reported_as_is() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);

    // A PIN change the server carried out resolves.
    world.log.borrow_mut().clear();
    let mut change = Box::pin(client.change_pin(PIN, NEW_PIN));
    poll_past(&world, change.as_mut(), "challenge");
    let mut logout = Box::pin(client.logout());
    assert!(pending(logout.as_mut()));
    block_on(change).unwrap();
    block_on(logout).unwrap();
    assert_eq!(*world.log.borrow(), ["challenge", "changePin", "logout"]);
    assert_eq!(block_on(client.login(ANN, PASSWORD)).unwrap(), SignedIn);
    block_on(client.logout()).unwrap();

    // A wrong PIN the server counted is INVALID_PIN, with the attempts left.
    assert_eq!(block_on(client.login(ANN, PASSWORD)).unwrap(), SignedIn);
    let page = world.open(&browser, APP);
    assert_eq!(page.state(), PinRequired);
    world.log.borrow_mut().clear();
    let mut unlock = Box::pin(page.login_with_pin(PIN));
    poll_past(&world, unlock.as_mut(), "challenge");
    let mut logout = Box::pin(page.logout());
    assert!(pending(logout.as_mut()));
    let wrong = block_on(unlock).unwrap_err();
    block_on(logout).unwrap();
    assert_eq!(*world.log.borrow(), ["challenge", "loginWithPin", "logout"]);
    assert_eq!(
        (wrong.code(), wrong.attempts_remaining()),
        (ErrorCode::InvalidPin, Some(4))
    );
    assert_eq!(page.state(), SignedOut);

    // A PIN reset the server carried out resolves, and its session is ended.
    block_on(page.forgot_pin(ANN)).unwrap();
    let token = world.reset_token_for(ANN).to_base64url();
    world.log.borrow_mut().clear();
    world.wire.borrow_mut().clear();
    let mut reset = Box::pin(page.reset_pin(&token, PIN));
    poll_past(&world, reset.as_mut(), "challenge");
    let mut logout = Box::pin(page.logout());
    assert!(pending(logout.as_mut()));
    block_on(reset).unwrap();
    block_on(logout).unwrap();
    assert_eq!(
        *world.log.borrow(),
        ["challenge", "resetPin", "logout", "logout"]
    );
    let Reply::ResetPin(reset) = last_reply(&world, "resetPin") else {
        panic!("a reset reply")
    };
    let ended = world.wire.borrow()[4].clone();
    assert!(
        ended.contains(&reset.pin_session.token.to_base64url()),
        "{ended}"
    );
    assert_eq!(page.state(), SignedOut);
    assert_eq!(
        world.open(&browser, APP).state(),
        SignedOut,
        "nothing stored"
    );
    assert_eq!(block_on(page.login(ANN, PASSWORD)).unwrap(), SignedIn);
    block_on(page.reauthenticate(PIN)).unwrap();
}

#[test]
fn a_logout_ends_the_newer_tokens_another_tab_stored() {
    let world = World::new();
    let browser = Browser::new();
    let a = enrolled(&world, &browser);
    let b = world.open(&browser, APP);
    assert_eq!(block_on(b.login(ANN, PASSWORD)).unwrap(), SignedIn);
    let Reply::Login(b_login) = last_reply(&world, "login") else {
        panic!("a login reply")
    };
    block_on(a.logout()).unwrap();
    assert_eq!(b.refresh(), SignedOut, "B follows");
    let PinStep::PinSession(session) = b_login.pin else {
        panic!("the device has a PIN")
    };
    let Request::Logout(sent) =
        serde_json::from_str(world.wire.borrow().iter().rev().nth(1).unwrap()).unwrap()
    else {
        panic!("a logout")
    };
    assert_eq!(
        sent.session_token,
        Some(session.token),
        "the PIN session B stored, not A's older one"
    );
    assert!(
        !access_works(&world, &b_login.access.token),
        "and with it B's tokens"
    );
}

#[test]
fn two_logouts_with_calls_between_them_all_settle_in_order() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    world.log.borrow_mut().clear();
    type Call<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = pinauth::Result<()>> + 'a>>;
    let calls: Vec<Call> = vec![
        Box::pin(async { client.reauthenticate(PIN).await.map(drop) }),
        Box::pin(client.logout()),
        Box::pin(async { client.login(ANN, PASSWORD).await.map(drop) }),
        Box::pin(client.forget_device()),
        Box::pin(client.logout()),
        Box::pin(async { client.login(ANN, PASSWORD).await.map(drop) }),
        Box::pin(async { client.access_token().await.map(drop) }),
    ];
    let codes: Vec<_> = join_all(calls)
        .into_iter()
        .map(|r| r.err().map(|e| e.code()))
        .collect();
    use ErrorCode::NotSignedIn as No;
    assert_eq!(
        codes,
        [Some(No), None, Some(No), None, None, None, Some(No)],
        "each call overtaken by a logout called after it went no further"
    );
    assert_eq!(
        *world.log.borrow(),
        ["challenge", "logout", "logout", "logout", "login"],
        "the forgotten device had no access token to revoke with: it ended nothing more"
    );
    assert_eq!(
        client.state(),
        PinSetupRequired,
        "the last login, on a new device"
    );
}

#[test]
fn a_logout_waiting_behind_a_call_ends_what_another_tab_followed_it_with_and_no_more() {
    // Tab B logs out while a re-authentication of its own waits for the server; tab A,
    // one device with B, follows the logout at once and signs in again with the password.
    // B's request ended A's old access token (which A dropped when it followed), and not
    // what A got afterwards: its new access token and its re-auth token.
    let world = World::new();
    let browser = Browser::new();
    let b = enrolled(&world, &browser);
    let a = world.open(&browser, APP);
    block_on(a.login_with_pin(PIN)).unwrap();
    let a_old_access = block_on(a.access_token()).unwrap();

    let mut reauth = Box::pin(b.reauthenticate(PIN));
    let mut logout = Box::pin(b.logout());
    assert!(pending(reauth.as_mut()));
    assert!(pending(logout.as_mut()));
    assert!(finished(logout.as_mut()).unwrap().is_ok(), "answered");
    assert_eq!(a.refresh(), SignedOut, "A follows B's logout");
    assert_eq!(block_on(a.login(ANN, PASSWORD)).unwrap(), SignedIn);
    let a_reauth = block_on(a.reauthenticate(PIN)).unwrap();
    assert_eq!(code(block_on(reauth)), ErrorCode::NotSignedIn);

    assert!(!access_works(&world, &a_old_access));
    assert_eq!(a.refresh(), SignedIn);
    assert!(access_works(&world, &block_on(a.access_token()).unwrap()));
    world
        .server_call(Request::ValidateReauth(ValidateReauthRequest {
            reauth_token: a_reauth.token,
        }))
        .unwrap();
}

#[test]
fn a_logout_called_while_forget_device_runs_lets_its_revocation_go_first() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    world.log.borrow_mut().clear();
    let mut forget = Box::pin(client.forget_device());
    assert!(pending(forget.as_mut()), "its revocation is on the way");
    let mut logout = Box::pin(client.logout());
    assert!(pending(logout.as_mut()));
    assert!(pending(logout.as_mut()));
    block_on(forget).unwrap();
    block_on(logout).unwrap();
    assert_eq!(*world.log.borrow(), ["revokeDevice", "logout"]);
    assert_eq!(
        devices_after_new_sign_in(&world, &client),
        [client.device_id()]
    );
}

#[test]
fn a_request_on_its_way_that_the_logout_reached_the_server_before_is_not_signed_in() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    world.log.borrow_mut().clear();
    let mut change = Box::pin(client.change_pin(PIN, NEW_PIN));
    poll_past(&world, change.as_mut(), "challenge");
    let mut logout = Box::pin(client.logout());
    assert!(pending(logout.as_mut()));
    assert!(
        finished(logout.as_mut()).unwrap().is_ok(),
        "the logout's request is answered first"
    );
    assert_eq!(code(block_on(change)), ErrorCode::NotSignedIn);
    assert_eq!(*world.log.borrow(), ["challenge", "logout", "changePin"]);
    assert_eq!(block_on(client.login(ANN, PASSWORD)).unwrap(), SignedIn);
    block_on(client.reauthenticate(PIN)).unwrap();
}

#[test]
fn turns_follow_call_order_whatever_order_the_waiting_calls_are_polled_in() {
    // The forgot-PIN mail holds the turn and forgetDevice waits; once the mail is done,
    // a logout polled before forgetDevice runs still comes after it.
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    world.log.borrow_mut().clear();
    let mut forgot = Box::pin(client.forgot_pin(ANN));
    let mut forget = Box::pin(client.forget_device());
    assert!(pending(forgot.as_mut()));
    assert!(
        pending(forget.as_mut()),
        "forgetDevice waits for the forgot-PIN mail"
    );
    block_on(forgot).unwrap();
    let mut logout = Box::pin(client.logout());
    assert!(pending(logout.as_mut()));
    type Call<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = pinauth::Result<()>> + 'a>>;
    let results = join_all(vec![logout as Call, forget]);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(*world.log.borrow(), ["forgotPin", "revokeDevice", "logout"]);
    assert_eq!(
        devices_after_new_sign_in(&world, &client),
        [client.device_id()]
    );
}

#[test]
fn the_logout_settles_with_its_answer_while_a_call_before_it_still_waits() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    world.log.borrow_mut().clear();
    let mut forgot = Box::pin(client.forgot_pin(ANN));
    let mut logout = Box::pin(client.logout());
    let mut login = Box::pin(client.login(ANN, PASSWORD));
    assert!(pending(forgot.as_mut()));
    assert!(pending(logout.as_mut()));
    assert!(pending(login.as_mut()));
    assert!(
        finished(logout.as_mut()).unwrap().is_ok(),
        "answered, the logout is done"
    );
    assert_eq!(*world.log.borrow(), ["logout"]);
    assert!(
        pending(login.as_mut()),
        "the login waits for the mail, called before it"
    );
    block_on(forgot).unwrap();
    assert_eq!(block_on(login).unwrap(), SignedIn);
    assert_eq!(*world.log.borrow(), ["logout", "forgotPin", "login"]);
}

#[test]
fn a_call_dropped_while_it_waits_gives_up_its_place() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    let mut forgot = Box::pin(client.forgot_pin(ANN));
    let mut forget = Box::pin(client.forget_device());
    let mut logout = Box::pin(client.logout());
    assert!(pending(forgot.as_mut()));
    assert!(pending(forget.as_mut()));
    assert!(pending(logout.as_mut()));
    drop(forget);
    block_on(forgot).unwrap();
    block_on(logout).unwrap();
    assert_eq!(
        code(block_on(client.access_token())),
        ErrorCode::NotSignedIn
    );
    assert_eq!(block_on(client.login(ANN, PASSWORD)).unwrap(), SignedIn);
}

// ---- the line of calls, under wakers that record their wakes ----

/// A waker that records whether it was woken.
struct Flag(std::sync::atomic::AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

fn flag() -> std::sync::Arc<Flag> {
    std::sync::Arc::new(Flag(std::sync::atomic::AtomicBool::new(false)))
}

/// Polls once with `waker`; the output if done.
fn poll_with<F: std::future::Future>(
    future: std::pin::Pin<&mut F>,
    waker: &std::sync::Arc<Flag>,
) -> Option<F::Output> {
    waker.0.store(false, std::sync::atomic::Ordering::SeqCst);
    poll_once(future, &std::task::Waker::from(waker.clone()))
}

fn woken(waker: &std::sync::Arc<Flag>) -> bool {
    waker.0.load(std::sync::atomic::Ordering::SeqCst)
}

#[test]
fn waiting_calls_are_woken_and_served_in_order_past_those_dropped_before_their_turn() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    let (wa, wb, wc, wd, we) = (flag(), flag(), flag(), flag(), flag());
    let mut a = Box::pin(client.forgot_pin(ANN)); // holds the turn
    let mut b = Box::pin(client.access_token());
    let mut c = Box::pin(client.access_token()); // dropped while it waits
    let mut d = Box::pin(client.access_token()); // dropped when served, before it runs
    let mut e = Box::pin(client.access_token());
    assert!(poll_with(a.as_mut(), &wa).is_none());
    assert!(poll_with(b.as_mut(), &wb).is_none());
    assert!(poll_with(c.as_mut(), &wc).is_none());
    assert!(poll_with(d.as_mut(), &wd).is_none());
    assert!(poll_with(e.as_mut(), &we).is_none());
    drop(c);
    assert!(
        poll_with(a.as_mut(), &wa).unwrap().is_ok(),
        "the mail is sent"
    );
    assert!(woken(&wb) && woken(&wd) && woken(&we), "every waiter woken");
    assert!(poll_with(e.as_mut(), &we).is_none(), "e waits for b and d");
    assert!(poll_with(b.as_mut(), &wb).unwrap().is_ok());
    assert!(woken(&we), "b's end wakes e");
    assert!(poll_with(e.as_mut(), &we).is_none(), "e waits for d");
    drop(d);
    assert!(woken(&we), "d giving up its turn wakes e");
    assert!(poll_with(e.as_mut(), &we).unwrap().is_ok());
    assert!(poll_with(Box::pin(client.access_token()).as_mut(), &wa).is_some());
}

#[test]
fn several_calls_dropped_in_a_row_in_any_order_leave_no_gap_in_the_line() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    let (w, wl) = (flag(), flag());
    let mut a = Box::pin(client.forgot_pin(ANN));
    assert!(poll_with(a.as_mut(), &w).is_none());
    let mut waiting: Vec<_> = (0..5)
        .map(|_| Some(Box::pin(client.access_token())))
        .collect();
    for f in waiting.iter_mut().flatten() {
        assert!(poll_with(f.as_mut(), &w).is_none());
    }
    let mut last = Box::pin(client.access_token());
    assert!(poll_with(last.as_mut(), &wl).is_none());
    for i in [3, 0, 4, 1, 2] {
        waiting[i] = None;
        assert!(!woken(&wl), "nothing to wake while the mail is on its way");
    }
    assert!(poll_with(a.as_mut(), &w).unwrap().is_ok());
    assert!(woken(&wl));
    assert!(
        poll_with(last.as_mut(), &wl).is_some(),
        "no ticket left behind"
    );
}

#[test]
fn a_waiting_call_polled_often_is_woken_through_one_waker() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    let mut forgot = Box::pin(client.forgot_pin(ANN));
    assert!(pending(forgot.as_mut()));
    let w = flag();
    let mut waiting = Box::pin(client.access_token());
    for _ in 0..1000 {
        assert!(poll_with(waiting.as_mut(), &w).is_none());
    }
    assert!(
        std::sync::Arc::strong_count(&w) <= 2,
        "{} copies of one waker kept",
        std::sync::Arc::strong_count(&w)
    );
}

#[test]
fn a_logout_with_no_device_to_revoke_goes_at_once_though_a_forget_device_waits() {
    let world = World::new();
    let browser = Browser::new();
    enrolled(&world, &browser);
    let client = world.open(&browser, APP);
    assert_eq!(
        client.state(),
        PinRequired,
        "no access token: nothing to revoke with"
    );
    world.log.borrow_mut().clear();
    let mut forgot = Box::pin(client.forgot_pin(ANN));
    let mut forget = Box::pin(client.forget_device());
    let mut logout = Box::pin(client.logout());
    assert!(pending(forgot.as_mut()));
    assert!(pending(forget.as_mut()));
    assert!(pending(logout.as_mut()));
    assert!(finished(logout.as_mut()).unwrap().is_ok());
    assert_eq!(*world.log.borrow(), ["logout"]);
    block_on(forgot).unwrap();
    block_on(forget).unwrap();
}

#[test]
fn a_logout_dropped_before_its_answer_gives_up_its_place_or_passes_its_turn_on() {
    let world = World::new();
    let browser = Browser::new();
    let client = enrolled(&world, &browser);
    let w = flag();
    let mut forgot = Box::pin(client.forgot_pin(ANN));
    let mut logout = Box::pin(client.logout());
    let mut after = Box::pin(client.access_token());
    assert!(pending(forgot.as_mut()) && pending(logout.as_mut()) && pending(after.as_mut()));
    drop(logout);
    assert!(finished(forgot.as_mut()).is_some());
    assert!(poll_with(after.as_mut(), &w).is_some());
    let mut logout = Box::pin(client.logout());
    let mut after = Box::pin(client.access_token());
    assert!(pending(logout.as_mut()) && poll_with(after.as_mut(), &w).is_none());
    drop(logout);
    assert!(woken(&w));
    assert!(poll_with(after.as_mut(), &w).is_some());
}
