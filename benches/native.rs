//! Native figures for BENCHMARKS.md (run by scripts/bench.sh): the PIN proof, and the
//! mock backend's PIN logins per second over a snapshot of many accounts. Prints one JSON
//! object. `--quick` runs a few iterations only, so the test command keeps it working.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature as EcdsaSignature, SigningKey};
use pinauth::backend::{Backend, BackendConfig};
use pinauth::crypto::{pin_proof, DeviceSalt};
use pinauth::pin::Pin;
use pinauth::platform::{ManualClock, SeededRng};
use pinauth::protocol::*;
use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Device {
    id: DeviceId,
    key: SigningKey,
    public_key: PublicKey,
}

fn device(n: u32) -> Device {
    let mut secret = [7u8; 32];
    secret[..4].copy_from_slice(&n.to_be_bytes());
    let key = SigningKey::from_slice(&secret).unwrap();
    let point = key.verifying_key().to_encoded_point(false);
    let mut id = [0u8; 16];
    id[..4].copy_from_slice(&n.to_be_bytes());
    Device {
        id: DeviceId::new(id),
        public_key: PublicKey::from_slice(point.as_bytes()).unwrap(),
        key,
    }
}

fn sign<R: SignedRequest>(device: &Device, request: &mut R) {
    let signature: EcdsaSignature = device.key.sign(&request.signing_payload());
    request.set_signature(Signature::from_slice(&signature.to_bytes()).unwrap());
}

fn call(backend: &mut Backend, request: Request) -> Reply {
    match backend.handle(request) {
        Response::Ok(reply) => reply,
        Response::Error(error) => panic!("{error}"),
    }
}

fn challenge(backend: &mut Backend, device: &Device) -> Token {
    match call(
        backend,
        Request::Challenge(ChallengeRequest {
            device_id: device.id.clone(),
        }),
    ) {
        Reply::Challenge(c) => c.token,
        other => panic!("{other:?}"),
    }
}

/// Registers `accounts` accounts, each with one device and a PIN; their PIN sessions.
fn populate(backend: &mut Backend, accounts: u32) -> Vec<(Device, Token)> {
    (0..accounts)
        .map(|n| {
            let email = format!("user{n}@example.com");
            let password = SecretString::new("correct horse battery");
            call(
                backend,
                Request::Register(RegisterRequest {
                    email: email.clone(),
                    password: password.clone(),
                }),
            );
            let device = device(n);
            let Reply::Login(login) = call(
                backend,
                Request::Login(LoginRequest {
                    email,
                    password,
                    device_id: device.id.clone(),
                }),
            ) else {
                panic!()
            };
            let PinStep::PinAuth(pin_auth) = login.pin else {
                panic!()
            };
            let mut request = SetPinRequest {
                pin_auth_token: pin_auth.token,
                device_id: device.id.clone(),
                device_public_key: device.public_key.clone(),
                pin_proof: PinProof::new([1; 32]),
                challenge: challenge(backend, &device),
                signature: Signature::new([0; 64]),
            };
            sign(&device, &mut request);
            let Reply::SetPin(session) = call(backend, Request::SetPin(request)) else {
                panic!()
            };
            (device, session.token)
        })
        .collect()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (proof_runs, accounts, logins) = if quick {
        (3, 50, 50)
    } else {
        (21, 10_000, 2_000)
    };

    let pin = Pin::parse("730519").unwrap();
    let salt = DeviceSalt::new(std::array::from_fn(|i| i as u8));
    pin_proof(&pin, &salt).unwrap(); // warm-up
    let proof = median(
        (0..proof_runs)
            .map(|_| {
                let start = Instant::now();
                pin_proof(&pin, &salt).unwrap();
                start.elapsed()
            })
            .collect(),
    );

    let config = BackendConfig::default().with_cheap_password_hashing();
    let clock = ManualClock::new(1_800_000_000_000);
    let mut backend = Backend::new(
        config.clone(),
        Box::new(clock.clone()),
        Box::new(SeededRng::new(1)),
    )
    .unwrap();
    let sessions = populate(&mut backend, accounts);
    let snapshot = backend.snapshot();
    let restore_start = Instant::now();
    let mut backend = Backend::restore(
        &snapshot,
        config,
        Box::new(clock),
        Box::new(SeededRng::new(2)),
    )
    .unwrap();
    let restore = restore_start.elapsed();

    // Sign the requests first, in batches the backend keeps the challenges of (it holds
    // at most 1024 outstanding): only the backend's work is timed.
    let mut timed = std::time::Duration::ZERO;
    let indices: Vec<u32> = (0..logins).collect();
    for batch in indices.chunks(1000) {
        let requests: Vec<LoginWithPinRequest> = batch
            .iter()
            .map(|&i| {
                let (device, session) = &sessions[i as usize % sessions.len()];
                let mut request = LoginWithPinRequest {
                    session_token: session.clone(),
                    device_id: device.id.clone(),
                    pin_proof: PinProof::new([1; 32]),
                    challenge: challenge(&mut backend, device),
                    signature: Signature::new([0; 64]),
                };
                sign(device, &mut request);
                request
            })
            .collect();
        let start = Instant::now();
        for request in requests {
            call(&mut backend, Request::LoginWithPin(request));
        }
        timed += start.elapsed();
    }
    let per_second = f64::from(logins) / timed.as_secs_f64();

    println!(
        "{{\"pinProofMs\":{:.2},\"accounts\":{accounts},\"snapshotBytes\":{},\"restoreMs\":{:.1},\"pinLoginsPerSecond\":{:.0}}}",
        ms(proof),
        snapshot.len(),
        ms(restore),
        per_second
    );
}
