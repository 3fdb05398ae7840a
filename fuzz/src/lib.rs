//! What the fuzz targets run, kept out of the `fuzz_target!` bodies so that the seed writer
//! (`examples/write_seeds.rs`) and the targets share one fixture.
//!
//! The fixture is a small, deterministic backend state: `ann@example.com` with device 1
//! enrolled (PIN proof `PROOF`, a PIN session, an access token and a re-auth token),
//! device 2 signed in with a password and waiting to set its PIN (a PIN auth token), and a
//! PIN reset email in the outbox. Every input starts from a restore of that state, with
//! the same seeded randomness and the same clock, so the tokens below stay valid for every
//! input and a seed can reach the deep paths (challenges, signatures, the PIN counter).
//!
//! Inputs of `handle_json` are scripts: one JSON request per line, handed to
//! `Backend::handle_json` as they are, except for placeholders a line may contain (so the
//! fuzzer need not guess 256-bit tokens or forge ECDSA):
//!
//! | placeholder | replaced by |
//! |---|---|
//! | `$ACCESS` `$SESSION` `$PINAUTH` `$RESET` `$REAUTH` | the fixture's live tokens |
//! | `$PROOF` | device 1's PIN proof |
//! | `$DEV1` `$DEV2` `$KEY1` `$KEY2` | the devices' ids and public keys |
//! | `$CH1` `$CH2` | a fresh challenge for device 1 / 2, fetched through `handle_json` |
//! | `$PREV` | the last challenge fetched (to replay it) |
//! | `$SIG` | a real signature by the key of the request's `deviceId` (device 1's key for an unknown id), made after the other fields are filled in |
//! | `$LAST` | the newest token an earlier answer of the script carried (a PIN session, PIN auth, access or re-auth token) |
//! | `$LASTACCESS` | the newest access token an earlier answer carried |
//!
//! A line `+N` moves the clock N seconds forward.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature as EcdsaSignature, SigningKey};
use pinauth::backend::{Backend, BackendConfig};
use pinauth::platform::{ManualClock, SeededRng};
use pinauth::protocol::*;
use pinauth::tokens::SavedToken;
use pinauth::ErrorCode;
use std::sync::OnceLock;
use std::time::Duration;

/// The fixture's clock start: 2027-01-15.
pub const START_MS: u64 = 1_800_000_000_000;
/// The fixture account's email and password.
pub const EMAIL: &str = "ann@example.com";
pub const PASSWORD: &str = "correct horse battery";
/// Lines of a script run per input; the rest is ignored.
const MAX_LINES: usize = 24;

/// The backend settings of every fuzz run: defaults, with cheap password hashing.
pub fn config() -> BackendConfig {
    BackendConfig::default().with_cheap_password_hashing()
}

/// The fixture: its snapshot and the secrets a script's placeholders stand for.
pub struct Fixture {
    pub snapshot: String,
    keys: [SigningKey; 2],
    ids: [DeviceId; 2],
    tokens: Vec<(&'static str, String)>,
}

fn call(backend: &mut Backend, request: Request) -> Reply {
    match backend.handle(request) {
        Response::Ok(reply) => reply,
        Response::Error(error) => panic!("fixture setup failed: {error:?}"),
    }
}

fn challenge(backend: &mut Backend, device_id: &DeviceId) -> Token {
    match call(
        backend,
        Request::Challenge(ChallengeRequest {
            device_id: device_id.clone(),
        }),
    ) {
        Reply::Challenge(c) => c.token,
        other => panic!("{other:?}"),
    }
}

fn sign<R: SignedRequest>(key: &SigningKey, request: &mut R) {
    let signature: EcdsaSignature = key.sign(&request.signing_payload());
    request.set_signature(Signature::from_slice(&signature.to_bytes()).unwrap());
}

fn build_fixture() -> Fixture {
    let keys = [1u8, 2].map(|seed| SigningKey::from_bytes(&[seed; 32].into()).unwrap());
    let ids = [1u8, 2].map(|seed| DeviceId::new([seed; 16]));
    let public_keys = keys.clone().map(|key| {
        PublicKey::from_slice(key.verifying_key().to_encoded_point(false).as_bytes()).unwrap()
    });
    let proof = PinProof::new([7; 32]);
    let mut b = Backend::new(
        config(),
        Box::new(ManualClock::new(START_MS)),
        Box::new(SeededRng::new(7)),
    )
    .unwrap();
    call(
        &mut b,
        Request::Register(RegisterRequest {
            email: EMAIL.into(),
            password: SecretString::new(PASSWORD),
        }),
    );
    let login = |b: &mut Backend, device: &DeviceId| match call(
        b,
        Request::Login(LoginRequest {
            email: EMAIL.into(),
            password: SecretString::new(PASSWORD),
            device_id: device.clone(),
        }),
    ) {
        Reply::Login(LoginResponse {
            access,
            pin: PinStep::PinAuth(pin_auth),
            ..
        }) => (access.token, pin_auth.token),
        other => panic!("{other:?}"),
    };
    let (access, pin_auth_1) = login(&mut b, &ids[0]);
    let mut set_pin = SetPinRequest {
        pin_auth_token: pin_auth_1,
        device_id: ids[0].clone(),
        device_public_key: public_keys[0].clone(),
        pin_proof: proof.clone(),
        challenge: challenge(&mut b, &ids[0]),
        signature: Signature::new([0; 64]),
    };
    sign(&keys[0], &mut set_pin);
    let Reply::SetPin(session) = call(&mut b, Request::SetPin(set_pin)) else {
        panic!("setPin")
    };
    let mut reauth = ReauthenticateRequest {
        access_token: access.clone(),
        device_id: ids[0].clone(),
        pin_proof: proof.clone(),
        challenge: challenge(&mut b, &ids[0]),
        signature: Signature::new([0; 64]),
    };
    sign(&keys[0], &mut reauth);
    let Reply::Reauthenticate(reauth) = call(&mut b, Request::Reauthenticate(reauth)) else {
        panic!("reauthenticate")
    };
    let (_, pin_auth_2) = login(&mut b, &ids[1]);
    call(
        &mut b,
        Request::ForgotPin(ForgotPinRequest {
            email: EMAIL.into(),
        }),
    );
    let reset = b.outbox().last().unwrap().reset_token.clone();
    let snapshot = b.snapshot();
    let tokens = vec![
        ("$ACCESS", access.to_base64url()),
        ("$SESSION", session.token.to_base64url()),
        ("$PINAUTH", pin_auth_2.to_base64url()),
        ("$RESET", reset.to_base64url()),
        ("$REAUTH", reauth.token.to_base64url()),
        ("$PROOF", proof.to_base64url()),
        ("$WRONG", PinProof::new([8; 32]).to_base64url()),
        ("$NEWPROOF", PinProof::new([9; 32]).to_base64url()),
        ("$DEV1", ids[0].to_base64url()),
        ("$DEV2", ids[1].to_base64url()),
        ("$KEY1", public_keys[0].to_base64url()),
        ("$KEY2", public_keys[1].to_base64url()),
    ];
    Fixture {
        snapshot: snapshot.to_string(),
        keys,
        ids,
        tokens,
    }
}

/// The fixture, built once per process.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture)
}

/// A backend in the fixture's state, at the fixture's time, with fixed randomness.
fn restored(clock: &ManualClock) -> Backend {
    Backend::restore(
        &fixture().snapshot,
        config(),
        Box::new(clock.clone()),
        Box::new(SeededRng::new(11)),
    )
    .unwrap()
}

/// Checks the contract of `handle_json` for one answer: it is JSON of one [`Response`],
/// exactly as serde writes it, and the request was read exactly as serde reads it.
fn check_response(request: &str, response: &str) -> Response {
    let parsed: Response = serde_json::from_str(response)
        .unwrap_or_else(|e| panic!("unparseable response {response:?} to {request:?}: {e}"));
    assert_eq!(response, serde_json::to_string(&parsed).unwrap());
    let as_value = |r: Request| serde_json::to_value(r).unwrap();
    let ours = Request::from_json(request).map(as_value);
    let theirs = serde_json::from_str::<Request>(request).ok().map(as_value);
    assert_eq!(
        ours, theirs,
        "the backend read {request:?} differently from serde"
    );
    if serde_json::from_str::<Request>(request).is_err() {
        match &parsed {
            Response::Error(e) if e.code() == ErrorCode::InvalidInput => {}
            other => panic!("a malformed request was answered {other:?}: {request:?}"),
        }
    }
    parsed
}

/// Signs a parsed request with the key of its device, if it is a signed request.
fn sign_request(fixture: &Fixture, request: &mut Request) {
    fn key_of<'a, R: SignedRequest>(f: &'a Fixture, r: &R) -> &'a SigningKey {
        let index = f.ids.iter().position(|id| id == r.device_id()).unwrap_or(0);
        &f.keys[index]
    }
    match request {
        Request::SetPin(r) => sign(key_of(fixture, r), r),
        Request::LoginWithPin(r) => sign(key_of(fixture, r), r),
        Request::Reauthenticate(r) => sign(key_of(fixture, r), r),
        Request::ChangePin(r) => sign(key_of(fixture, r), r),
        Request::ResetPin(r) => sign(key_of(fixture, r), r),
        _ => {}
    }
}

/// Whether `PINAUTH_FUZZ_TRACE` is set: `run_script` then prints each request it sends
/// and the answer (to see what a seed or a crashing input does).
fn tracing() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("PINAUTH_FUZZ_TRACE").is_some())
}

/// The `handle_json` target: runs a script (see the module docs) against the fixture. Every
/// answer must be a parseable `Response` (`INVALID_INPUT` for a malformed request), and
/// the state must still round-trip through a snapshot afterwards.
pub fn run_script(data: &[u8]) {
    let fixture = fixture();
    let clock = ManualClock::new(START_MS);
    let mut backend = restored(&clock);
    let text = String::from_utf8_lossy(data);
    let mut previous = String::new();
    let mut last = String::new();
    let mut last_access = String::new();
    for line in text.split('\n').take(MAX_LINES) {
        if let Some(secs) = line.strip_prefix('+').and_then(|s| s.parse::<u32>().ok()) {
            clock.advance(Duration::from_secs(u64::from(secs)));
            continue;
        }
        let mut line = line.to_owned();
        for (name, value) in &fixture.tokens {
            if line.contains(name) {
                line = line.replace(name, value);
            }
        }
        for (name, device) in [("$CH1", 0), ("$CH2", 1)] {
            while line.contains(name) {
                let request = format!(
                    "{{\"endpoint\":\"challenge\",\"deviceId\":\"{}\"}}",
                    fixture.ids[device].to_base64url()
                );
                let response = backend.handle_json(&request);
                let Response::Ok(Reply::Challenge(c)) = check_response(&request, &response) else {
                    panic!("a challenge was refused: {}", *response)
                };
                previous = c.token.to_base64url();
                line = line.replacen(name, &previous, 1);
            }
        }
        if line.contains("$PREV") {
            line = line.replace("$PREV", &previous);
        }
        if line.contains("$LASTACCESS") {
            line = line.replace("$LASTACCESS", &last_access);
        }
        if line.contains("$LAST") {
            line = line.replace("$LAST", &last);
        }
        if line.contains("$SIG") {
            let unsigned = line.replace("$SIG", &Signature::new([0; 64]).to_base64url());
            line = match serde_json::from_str::<Request>(&unsigned) {
                Ok(mut request) => {
                    sign_request(fixture, &mut request);
                    serde_json::to_string(&request).unwrap()
                }
                Err(_) => unsigned,
            };
        }
        let response = backend.handle_json(&line);
        if tracing() {
            eprintln!("> {line}\n< {}", *response);
        }
        if let Response::Ok(reply) = check_response(&line, &response) {
            let (token, access) = match reply {
                Reply::Login(r) => match r.pin {
                    PinStep::PinSession(t) | PinStep::PinAuth(t) => (Some(t), Some(r.access)),
                },
                Reply::SetPin(t) | Reply::Reauthenticate(t) => (Some(t), None),
                Reply::LoginWithPin(t) => (Some(t.clone()), Some(t)),
                Reply::ResetPin(r) => (Some(r.pin_session), None),
                _ => (None, None),
            };
            if let Some(t) = token {
                last = t.token.to_base64url();
            }
            if let Some(t) = access {
                last_access = t.token.to_base64url();
            }
        }
    }
    let snapshot = backend.snapshot();
    let again = Backend::restore(
        &snapshot,
        config(),
        Box::new(clock.clone()),
        Box::new(SeededRng::new(12)),
    )
    .expect("a snapshot the backend wrote must restore");
    assert_eq!(again.snapshot(), snapshot, "snapshot round trip");
}

/// The `restore_snapshot` target: `Backend::restore` on arbitrary text never panics; a
/// snapshot it accepts round-trips exactly, and the restored backend answers requests
/// (ones that do not run Argon2 with the snapshot's own password-hash parameters; see
/// SECURITY.md) with parseable responses and still round-trips afterwards.
pub fn restore_snapshot(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let clock = ManualClock::new(START_MS);
    let restore = |text: &str, seed: u64| {
        Backend::restore(
            text,
            config(),
            Box::new(clock.clone()),
            Box::new(SeededRng::new(seed)),
        )
    };
    let Ok(mut backend) = restore(&text, 1) else {
        return;
    };
    let first = backend.snapshot();
    let second = restore(&first, 2)
        .expect("a snapshot the backend wrote must restore")
        .snapshot();
    assert_eq!(first, second, "snapshot round trip");

    let fixture = fixture();
    let mut requests: Vec<String> = vec![
        format!(
            "{{\"endpoint\":\"forgotPin\",\"email\":\"{EMAIL}\"}}"
        ),
        // An email with no account in the fixture: the dummy hash, whose cost is the
        // configured one (restore replaces any other).
        format!(
            "{{\"endpoint\":\"login\",\"email\":\"nobody@example.com\",\"password\":\"{PASSWORD}\",\"deviceId\":\"{}\"}}",
            fixture.ids[0].to_base64url()
        ),
    ];
    for (name, value) in &fixture.tokens {
        let request = match *name {
            "$ACCESS" => format!("{{\"endpoint\":\"listDevices\",\"accessToken\":\"{value}\"}}"),
            "$REAUTH" => format!("{{\"endpoint\":\"validateReauth\",\"reauthToken\":\"{value}\"}}"),
            "$SESSION" => format!("{{\"endpoint\":\"logout\",\"sessionToken\":\"{value}\"}}"),
            "$DEV1" | "$DEV2" => format!("{{\"endpoint\":\"challenge\",\"deviceId\":\"{value}\"}}"),
            _ => continue,
        };
        requests.push(request);
    }
    let mut unlock = LoginWithPinRequest {
        session_token: Token::from_base64url(&fixture.tokens[1].1).unwrap(),
        device_id: fixture.ids[0].clone(),
        pin_proof: PinProof::new([8; 32]),
        challenge: Token::new([0; 32]),
        signature: Signature::new([0; 64]),
    };
    if let Response::Ok(Reply::Challenge(c)) =
        backend.handle(Request::Challenge(ChallengeRequest {
            device_id: fixture.ids[0].clone(),
        }))
    {
        unlock.set_challenge(c.token);
        sign(&fixture.keys[0], &mut unlock);
        requests.push(serde_json::to_string(&Request::LoginWithPin(unlock)).unwrap());
    }
    requests.push(format!(
        "{{\"endpoint\":\"revokeDevice\",\"accessToken\":\"{}\",\"deviceId\":\"{}\"}}",
        fixture.tokens[0].1,
        fixture.ids[1].to_base64url()
    ));
    for request in &requests {
        let response = backend.handle_json(request);
        check_response(request, &response);
        clock.advance(Duration::from_secs(61));
    }
    let third = backend.snapshot();
    let fourth = restore(&third, 3).unwrap().snapshot();
    assert_eq!(third, fourth, "snapshot round trip after requests");
}

/// How deeply the client's JSON reader lets values nest (`protocol::json`): a value
/// deeper than this below the top is refused.
const CLIENT_MAX_DEPTH: usize = 32;

/// The deepest level of a value, the top being 0.
fn depth(value: &serde_json::Value) -> usize {
    let children: Box<dyn Iterator<Item = &serde_json::Value>> = match value {
        serde_json::Value::Array(items) => Box::new(items.iter()),
        serde_json::Value::Object(members) => Box::new(members.values()),
        _ => return 0,
    };
    children.map(|child| depth(child) + 1).max().unwrap_or(0)
}

/// Whether the text holds a number of 1e308 or more in magnitude outside its strings (the
/// client refuses those; serde refuses only those past `f64::MAX`, and only where it reads
/// the value): in any member, also one that a later duplicate key hides from
/// `serde_json::Value`, which keeps the last, while the client reads every one.
fn has_huge_number(text: &str) -> bool {
    let huge = |number: &str| number.parse::<f64>().is_ok_and(|f| f.abs() >= 9.9e307);
    let (mut in_string, mut escaped) = (false, false);
    let mut number = String::new();
    for c in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c.is_ascii_digit() || "+-.eE".contains(c) {
            number.push(c);
        } else {
            if huge(&number) {
                return true;
            }
            number.clear();
            in_string = c == '"';
        }
    }
    huge(&number)
}

/// Whether a response uses a form serde's derived impls accept but the protocol never
/// writes, which the client refuses: a struct or internally tagged enum written as an array
/// (serde's `visit_seq`), or an `endpoint` tag given as the variant's index.
fn uses_serde_only_forms(response: &serde_json::Value) -> bool {
    let is_array = |v: Option<&serde_json::Value>| v.is_some_and(serde_json::Value::is_array);
    if is_array(response.get("error")) || is_array(response.get("ok")) {
        return true;
    }
    let Some(ok) = response.get("ok") else {
        return false;
    };
    ok.get("endpoint").is_some_and(serde_json::Value::is_number)
        || is_array(ok.get("access"))
        || is_array(ok.get("pinSession"))
        || ["pinSession", "pinAuth"]
            .iter()
            .any(|tag| is_array(ok.get("pin").and_then(|pin| pin.get(tag))))
        || ok
            .get("devices")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|devices| devices.iter().any(serde_json::Value::is_array))
}

/// Why the client may refuse a response serde reads, if it may: `None` when it must not.
fn client_stricter_by_design(text: &str) -> Option<&'static str> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        // serde read the response only by skipping a member it never reads as a value
        // (`ignore_value`: no check of lone surrogates, number range or nesting depth).
        return Some("a skipped member serde_json would not read as a value");
    };
    if depth(&value) > CLIENT_MAX_DEPTH {
        return Some("nesting past the client's limit");
    }
    if has_huge_number(text) {
        return Some("a number of 1e308 or more");
    }
    if uses_serde_only_forms(&value) {
        return Some("a struct as an array, or a numeric tag");
    }
    None
}

/// The `client_json` target: the client's hand-written JSON (`protocol::json`) against
/// serde_json on arbitrary text, for what the client reads from untrusted sources:
///
/// * `Response::from_json` (answers of a possibly hostile server) must never panic, must
///   refuse whatever `serde_json::from_str::<Response>` refuses, must read what serde reads
///   as the same value, and may refuse what serde reads only for the forms listed in
///   [`client_stricter_by_design`]; whatever serde reads, serde's own re-encoding of it
///   must be read back as the same value.
/// * `SavedToken::from_json` (values from localStorage) must agree exactly with serde
///   (except serde's array form of the struct), and what it reads must write back as the
///   text serde would write.
/// * A request serde reads must be written by `Request::to_json` as serde writes it.
pub fn client_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let to_value = |response: Response| serde_json::to_value(response).unwrap();

    let ours = Response::from_json(text).map(Response::from);
    match (ours, serde_json::from_str::<Response>(text)) {
        (Some(ours), Ok(theirs)) => {
            assert_eq!(
                to_value(ours),
                to_value(theirs),
                "read differently: {text:?}"
            )
        }
        (Some(ours), Err(e)) => {
            panic!("the client read what serde refuses ({e}): {text:?} as {ours:?}")
        }
        (None, Ok(theirs)) => {
            if client_stricter_by_design(text).is_none() {
                panic!("the client refused what serde reads: {text:?} as {theirs:?}");
            }
        }
        (None, Err(_)) => {}
    }
    if let Ok(theirs) = serde_json::from_str::<Response>(text) {
        let canonical = serde_json::to_string(&theirs).unwrap();
        let again = Response::from_json(&canonical)
            .unwrap_or_else(|| panic!("the client refused serde's own {canonical:?}"));
        assert_eq!(
            to_value(Response::from(again)),
            to_value(theirs),
            "{canonical:?}"
        );
    }

    let ours = SavedToken::from_json(text);
    let theirs = serde_json::from_str::<SavedToken>(text).ok();
    if ours != theirs {
        let array = serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.is_array());
        assert!(
            ours.is_none() && array,
            "stored token read differently: {text:?}: client {ours:?}, serde {theirs:?}"
        );
    }
    if let Some(saved) = ours {
        assert_eq!(*saved.to_json(), serde_json::to_string(&saved).unwrap());
        assert_eq!(SavedToken::from_json(&saved.to_json()), Some(saved));
    }

    if let Ok(request) = serde_json::from_str::<Request>(text) {
        let written: serde_json::Value = serde_json::from_str(&request.to_json())
            .unwrap_or_else(|e| panic!("Request::to_json wrote bad JSON ({e}) for {text:?}"));
        assert_eq!(written, serde_json::to_value(&request).unwrap(), "{text:?}");
    }
}

/// Seeds of `client_json`: every kind of response, stored token and request as serde
/// writes them, and a few texts at the edges of the grammar.
fn client_json_seeds() -> Vec<(String, String)> {
    let fixture = fixture();
    let issued = |b: u8| IssuedToken {
        token: Token::new([b; 32]),
        expires_at: START_MS + u64::from(b),
        expires_in: u64::from(b),
    };
    let device = |b: u8, current: bool| DeviceInfo {
        device_id: DeviceId::new([b; 16]),
        registered_at: START_MS,
        last_used_at: u64::MAX,
        has_pin: !current,
        current,
    };
    let replies = [
        Reply::Register(RegisterResponse {
            user_id: "u_1".into(),
        }),
        Reply::Login(LoginResponse {
            user_id: "u_1".into(),
            access: issued(1),
            pin: PinStep::PinSession(issued(2)),
        }),
        Reply::Login(LoginResponse {
            user_id: "u_1".into(),
            access: issued(1),
            pin: PinStep::PinAuth(issued(3)),
        }),
        Reply::Challenge(issued(4)),
        Reply::SetPin(issued(5)),
        Reply::LoginWithPin(issued(6)),
        Reply::Reauthenticate(issued(7)),
        Reply::ValidateReauth(ValidateReauthResponse {
            user_id: "u_1".into(),
            email: "a\"b\\c\u{1}é😀@example.com".into(),
            device_id: DeviceId::new([4; 16]),
            authenticated_at: 10,
            expires_at: 20,
        }),
        Reply::ChangePin,
        Reply::ForgotPin,
        Reply::ResetPin(ResetPinResponse {
            user_id: "u_1".into(),
            email: "a@b.co".into(),
            pin_session: issued(8),
        }),
        Reply::Logout,
        Reply::ListDevices(ListDevicesResponse { devices: vec![] }),
        Reply::ListDevices(ListDevicesResponse {
            devices: vec![device(1, false), device(2, true)],
        }),
        Reply::RevokeDevice,
    ];
    let errors = [
        pinauth::Error::new(ErrorCode::InvalidCredentials),
        pinauth::Error::invalid_pin(3),
        pinauth::Error::retry_after(ErrorCode::AccountLocked, 900),
        pinauth::Error::weak_pin(pinauth::pin::PinRejection::Sequence),
    ];
    let mut seeds: Vec<(String, String)> = replies
        .into_iter()
        .map(Response::Ok)
        .chain(errors.into_iter().map(Response::Error))
        .enumerate()
        .map(|(i, r)| (format!("response-{i}"), serde_json::to_string(&r).unwrap()))
        .collect();
    let saved = SavedToken::new(
        &fixture.ids[0],
        "u_1",
        "ann@example.com",
        issued(9),
        START_MS,
    );
    seeds.push(("saved-token".into(), serde_json::to_string(&saved).unwrap()));
    let edges = [
        r#"{"ok":{"endpoint":"logout","x":[1,-0,0.5e-3,1E+2,"\u00e9\ud83d\ude00\/\b\f\n\r\t",{"a":null},true,false]}}"#,
        r#"{"error":{"code":"SOMETHING_NEW","message":"m","attemptsRemaining":null,"retryAfterSeconds":null,"reason":null,"future":{}}}"#,
        r#"{"error":{"code":"INVALID_PIN","message":"m","x":"\ud800"}}"#,
        r#"{"ok":["logout"]}"#,
        r#"{"ok":{"endpoint":"logout","x":1e308}}"#,
        r#"{"error":{"code":"X","message":"m","x":1e308,"x":0}}"#,
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    ];
    seeds.extend(
        edges
            .iter()
            .enumerate()
            .map(|(i, e)| (format!("edge-{i}"), (*e).to_owned())),
    );
    for (name, script) in [
        (
            "register",
            r#"{"endpoint":"register","email":"a\"@b.co","password":"pa\u0001ss word"}"#,
        ),
        (
            "set-pin",
            r#"{"endpoint":"setPin","pinAuthToken":"$PINAUTH","deviceId":"$DEV2","devicePublicKey":"$KEY2","pinProof":"$PROOF","challenge":"$SESSION","signature":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
        ),
        (
            "logout",
            r#"{"endpoint":"logout","sessionToken":"$SESSION"}"#,
        ),
    ] {
        let mut literal = script.to_owned();
        for (placeholder, value) in &fixture.tokens {
            literal = literal.replace(placeholder, value);
        }
        seeds.push((format!("request-{name}"), literal));
    }
    seeds
}

/// When `PINAUTH_FUZZ_SEEDS` names a directory, writes `target`'s seed inputs into it as
/// `seed-<name>` (before libFuzzer reads its corpus directories, so that directory can be
/// one of them). `scripts/fuzz.sh` does this, so the seeds always match the fixture.
pub fn write_seeds(target: &str) {
    let Some(dir) = std::env::var_os("PINAUTH_FUZZ_SEEDS") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("create the seed directory");
    for (seed_target, name, bytes) in seeds() {
        if seed_target == target {
            std::fs::write(dir.join(format!("seed-{name}")), bytes).expect("write a seed");
        }
    }
}

/// Seed inputs for both targets: `(target, name, bytes)`.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let fixture = fixture();
    let scripts: &[(&str, &str)] = &[
        ("register", r#"{"endpoint":"register","email":"bob@example.com","password":"long enough password"}"#),
        ("login-right", r#"{"endpoint":"login","email":"ann@example.com","password":"correct horse battery","deviceId":"$DEV1"}"#),
        ("login-wrong-x6", "{\"endpoint\":\"login\",\"email\":\"ann@example.com\",\"password\":\"wrong password\",\"deviceId\":\"$DEV1\"}\n{\"endpoint\":\"login\",\"email\":\"ann@example.com\",\"password\":\"wrong password\",\"deviceId\":\"$DEV1\"}\n{\"endpoint\":\"login\",\"email\":\"ann@example.com\",\"password\":\"wrong password\",\"deviceId\":\"$DEV1\"}\n{\"endpoint\":\"login\",\"email\":\"ann@example.com\",\"password\":\"wrong password\",\"deviceId\":\"$DEV1\"}\n{\"endpoint\":\"login\",\"email\":\"ann@example.com\",\"password\":\"wrong password\",\"deviceId\":\"$DEV1\"}\n+900\n{\"endpoint\":\"login\",\"email\":\"ann@example.com\",\"password\":\"correct horse battery\",\"deviceId\":\"$DEV1\"}"),
        ("login-unknown", r#"{"endpoint":"login","email":"nobody@example.com","password":"whatever it is","deviceId":"$DEV2"}"#),
        ("challenge", r#"{"endpoint":"challenge","deviceId":"$DEV1"}"#),
        ("set-pin", r#"{"endpoint":"setPin","pinAuthToken":"$PINAUTH","deviceId":"$DEV2","devicePublicKey":"$KEY2","pinProof":"$PROOF","challenge":"$CH2","signature":"$SIG"}"#),
        ("unlock", r#"{"endpoint":"loginWithPin","sessionToken":"$SESSION","deviceId":"$DEV1","pinProof":"$PROOF","challenge":"$CH1","signature":"$SIG"}"#),
        ("unlock-replay", "{\"endpoint\":\"loginWithPin\",\"sessionToken\":\"$SESSION\",\"deviceId\":\"$DEV1\",\"pinProof\":\"$PROOF\",\"challenge\":\"$CH1\",\"signature\":\"$SIG\"}\n{\"endpoint\":\"loginWithPin\",\"sessionToken\":\"$SESSION\",\"deviceId\":\"$DEV1\",\"pinProof\":\"$PROOF\",\"challenge\":\"$PREV\",\"signature\":\"$SIG\"}"),
        ("unlock-wrong-x6", WRONG_X6.as_str()),
        ("unlock-unsigned", r#"{"endpoint":"loginWithPin","sessionToken":"$SESSION","deviceId":"$DEV1","pinProof":"$PROOF","challenge":"$CH1","signature":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#),
        ("reauthenticate", r#"{"endpoint":"reauthenticate","accessToken":"$ACCESS","deviceId":"$DEV1","pinProof":"$PROOF","challenge":"$CH1","signature":"$SIG"}"#),
        ("validate-reauth", "{\"endpoint\":\"validateReauth\",\"reauthToken\":\"$REAUTH\"}\n{\"endpoint\":\"validateReauth\",\"reauthToken\":\"$REAUTH\"}"),
        ("change-pin", r#"{"endpoint":"changePin","accessToken":"$ACCESS","deviceId":"$DEV1","oldProof":"$PROOF","newProof":"$NEWPROOF","challenge":"$CH1","signature":"$SIG"}"#),
        ("forgot-pin", r#"{"endpoint":"forgotPin","email":" Ann@Example.com "}"#),
        ("reset-pin", r#"{"endpoint":"resetPin","resetToken":"$RESET","deviceId":"$DEV2","devicePublicKey":"$KEY2","newProof":"$PROOF","challenge":"$CH2","signature":"$SIG"}"#),
        ("reset-pin-late", "+901\n{\"endpoint\":\"resetPin\",\"resetToken\":\"$RESET\",\"deviceId\":\"$DEV2\",\"devicePublicKey\":\"$KEY2\",\"newProof\":\"$PROOF\",\"challenge\":\"$CH2\",\"signature\":\"$SIG\"}"),
        ("logout", r#"{"endpoint":"logout","sessionToken":"$SESSION","accessToken":"$ACCESS"}"#),
        ("list-devices", r#"{"endpoint":"listDevices","accessToken":"$ACCESS"}"#),
        ("revoke-device", r#"{"endpoint":"revokeDevice","accessToken":"$ACCESS","deviceId":"$DEV1"}"#),
        ("change-pin-same", r#"{"endpoint":"changePin","accessToken":"$ACCESS","deviceId":"$DEV1","oldProof":"$PROOF","newProof":"$PROOF","challenge":"$CH1","signature":"$SIG"}"#),
        ("unlock-other-device", r#"{"endpoint":"loginWithPin","sessionToken":"$SESSION","deviceId":"$DEV2","pinProof":"$PROOF","challenge":"$CH2","signature":"$SIG"}"#),
        ("set-pin-other-device", r#"{"endpoint":"setPin","pinAuthToken":"$PINAUTH","deviceId":"$DEV1","devicePublicKey":"$KEY1","pinProof":"$PROOF","challenge":"$CH1","signature":"$SIG"}"#),
        ("logout-then-unlock", "{\"endpoint\":\"logout\",\"sessionToken\":\"$SESSION\"}\n{\"endpoint\":\"loginWithPin\",\"sessionToken\":\"$SESSION\",\"deviceId\":\"$DEV1\",\"pinProof\":\"$PROOF\",\"challenge\":\"$CH1\",\"signature\":\"$SIG\"}"),
        ("enrol-then-unlock", "{\"endpoint\":\"setPin\",\"pinAuthToken\":\"$PINAUTH\",\"deviceId\":\"$DEV2\",\"devicePublicKey\":\"$KEY2\",\"pinProof\":\"$NEWPROOF\",\"challenge\":\"$CH2\",\"signature\":\"$SIG\"}\n{\"endpoint\":\"loginWithPin\",\"sessionToken\":\"$LAST\",\"deviceId\":\"$DEV2\",\"pinProof\":\"$NEWPROOF\",\"challenge\":\"$CH2\",\"signature\":\"$SIG\"}\n{\"endpoint\":\"reauthenticate\",\"accessToken\":\"$LASTACCESS\",\"deviceId\":\"$DEV2\",\"pinProof\":\"$NEWPROOF\",\"challenge\":\"$CH2\",\"signature\":\"$SIG\"}\n{\"endpoint\":\"validateReauth\",\"reauthToken\":\"$LAST\"}"),
        ("rate-limit", RATE_LIMIT.as_str()),
        ("not-json", "{\"endpoint\":"),
    ];
    let mut seeds = Vec::new();
    for (name, script) in scripts {
        seeds.push((
            "handle_json",
            (*name).to_owned(),
            script.as_bytes().to_vec(),
        ));
        // The same script with its tokens written out, for the fuzzer to mutate.
        let mut literal = (*script).to_owned();
        for (placeholder, value) in &fixture.tokens {
            literal = literal.replace(placeholder, value);
        }
        if literal != *script {
            seeds.push((
                "handle_json",
                format!("{name}-literal"),
                literal.into_bytes(),
            ));
        }
    }
    seeds.push((
        "restore_snapshot",
        "fixture".to_owned(),
        fixture.snapshot.clone().into_bytes(),
    ));
    let empty = Backend::new(
        config(),
        Box::new(ManualClock::new(START_MS)),
        Box::new(SeededRng::new(3)),
    )
    .unwrap()
    .snapshot();
    seeds.push((
        "restore_snapshot",
        "empty".to_owned(),
        empty.as_bytes().to_vec(),
    ));
    for (name, text) in client_json_seeds() {
        seeds.push(("client_json", name, text.into_bytes()));
    }
    seeds
}

/// Ten wrong PINs on device 1 with right ones between them (so the device never locks):
/// the account's rate limit, then its window passing.
static RATE_LIMIT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let wrong = r#"{"endpoint":"loginWithPin","sessionToken":"$SESSION","deviceId":"$DEV1","pinProof":"$WRONG","challenge":"$CH1","signature":"$SIG"}"#;
    let right = r#"{"endpoint":"loginWithPin","sessionToken":"$SESSION","deviceId":"$DEV1","pinProof":"$PROOF","challenge":"$CH1","signature":"$SIG"}"#;
    let mut lines = Vec::new();
    for burst in [4, 4, 2] {
        lines.extend(std::iter::repeat_n(wrong, burst));
        lines.push(right);
    }
    lines.extend(["+901", right]);
    lines.join("\n")
});

/// Six wrong PINs in a row on device 1: the lockout path and past it.
static WRONG_X6: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let line = r#"{"endpoint":"loginWithPin","sessionToken":"$SESSION","deviceId":"$DEV1","pinProof":"$WRONG","challenge":"$CH1","signature":"$SIG"}"#;
    [line; 6].join("\n")
});
