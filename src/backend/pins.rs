//! PIN endpoints: challenges, device signatures, setting, checking, changing and
//! resetting PINs, with the per-device lockout and the per-account rate limit.

use super::devices::DEVICE_TOKENS;
use super::state::{Device, TokenKind, Verifier};
use super::{
    ms, seconds_ceil, Backend, CHALLENGES_IN_ALL, CHALLENGES_PER_DEVICE, DEVICES_PER_ACCOUNT,
};
use crate::crypto::keyed_hash;
use crate::error::{Error, ErrorCode, Result};
use crate::protocol::{
    Bytes, ChallengeRequest, ChangePinRequest, DeviceId, IssuedToken, LoginWithPinRequest,
    PinProof, PublicKey, ReauthenticateRequest, Reply, Request, ResetPinRequest, ResetPinResponse,
    SetPinRequest, Signature, SignedRequest, Token, ValidateReauthRequest, ValidateReauthResponse,
};
use alloc::{string::String, vec::Vec};

/// A device signature to check: the request's signing payload, its signature, and the
/// public key it must verify with.
#[derive(Clone, PartialEq, Eq)]
pub struct SignatureCheck {
    /// The device's P-256 public key (uncompressed SEC1 point).
    pub public_key: PublicKey,
    /// The signed bytes ([`SignedRequest::signing_payload`]).
    pub payload: Vec<u8>,
    /// The ECDSA P-256 / SHA-256 signature, `r ‖ s`.
    pub signature: Signature,
}

impl SignatureCheck {
    fn of<R: SignedRequest>(request: &R, public_key: &PublicKey) -> Self {
        SignatureCheck {
            public_key: public_key.clone(),
            payload: request.signing_payload(),
            signature: request.signature().clone(),
        }
    }

    /// The check with the `p256` crate: `INVALID_INPUT` for a public key that is not a
    /// P-256 point, `SIGNATURE_INVALID` for a signature that does not verify. (In the
    /// browser the host runs the same check with WebCrypto: see [`Backend::verify_signature`].)
    #[cfg(not(target_arch = "wasm32"))]
    pub fn run(&self) -> Result<()> {
        use p256::ecdsa::signature::Verifier as _;
        use p256::ecdsa::{Signature as EcdsaSignature, VerifyingKey};
        let key = VerifyingKey::from_sec1_bytes(self.public_key.as_bytes())
            .map_err(|_| Error::invalid_input(NOT_A_P256_POINT))?;
        let signature = EcdsaSignature::from_slice(self.signature.as_bytes())
            .map_err(|_| Error::new(ErrorCode::SignatureInvalid))?;
        key.verify(&self.payload, &signature)
            .map_err(|_| Error::new(ErrorCode::SignatureInvalid))
    }
}

/// The device and challenge of a signed request.
pub(super) fn challenge_of(request: &Request) -> Option<(DeviceId, Token)> {
    fn parts<R: SignedRequest>(r: &R) -> Option<(DeviceId, Token)> {
        Some((r.device_id().clone(), r.challenge().clone()))
    }
    match request {
        Request::SetPin(r) => parts(r),
        Request::LoginWithPin(r) => parts(r),
        Request::Reauthenticate(r) => parts(r),
        Request::ChangePin(r) => parts(r),
        Request::ResetPin(r) => parts(r),
        _ => None,
    }
}

/// The error message of a device public key that is not a P-256 point.
pub const NOT_A_P256_POINT: &str = "the device public key is not a P-256 point";

/// A host's verdict on a [`SignatureCheck`].
pub type Checked = (SignatureCheck, Result<()>);

/// The signature checks the browser build's backend leaves to its host, one request at
/// a time: the verdict the host brought, and the check the request still needs.
#[cfg(target_arch = "wasm32")]
#[derive(Default)]
pub(super) struct Signatures {
    pub(super) checked: Option<Checked>,
    pub(super) needed: core::cell::RefCell<Option<SignatureCheck>>,
}

#[cfg(target_arch = "wasm32")]
impl Signatures {
    /// The host's verdict on `check`, if it brought one for exactly this check; otherwise
    /// `check` is noted as needed and the signature does not pass.
    fn verdict(&self, check: SignatureCheck) -> Result<()> {
        match &self.checked {
            Some((checked, verdict)) if *checked == check => verdict.clone(),
            _ => {
                *self.needed.borrow_mut() = Some(check);
                Err(Error::new(ErrorCode::SignatureInvalid))
            }
        }
    }
}

impl Backend {
    /// Checks the device signature of `request` with `public_key`. Natively with the
    /// `p256` crate. The browser build has no P-256 code of its own (WebCrypto has it): the
    /// backend asks its host for the check ([`Backend::handle_json_checked`]) and takes the
    /// verdict the host returns with the same request, for exactly this key, payload and
    /// signature.
    fn verify_signature<R: SignedRequest>(
        &self,
        request: &R,
        public_key: &PublicKey,
    ) -> Result<()> {
        let check = SignatureCheck::of(request, public_key);
        #[cfg(not(target_arch = "wasm32"))]
        return check.run();
        #[cfg(target_arch = "wasm32")]
        return self.signatures.verdict(check);
    }

    /// The verifier stored for a PIN proof: keyed, and bound to the account and device.
    fn verifier(&self, user_id: &str, device_id: &DeviceId, proof: &PinProof) -> Verifier {
        Bytes::new(keyed_hash(
            self.state.pepper.as_bytes(),
            "pinauth/v1/pin-verifier",
            &[user_id.as_bytes(), device_id.as_bytes(), proof.as_bytes()],
        ))
    }

    pub(super) fn challenge(&mut self, now: u64, request: ChallengeRequest) -> Result<Reply> {
        let challenge = self.state.issue_challenge(
            self.rng.as_ref(),
            now,
            ms(self.config.challenge_ttl),
            &request.device_id,
            (CHALLENGES_PER_DEVICE, CHALLENGES_IN_ALL),
        )?;
        Ok(Reply::Challenge(challenge))
    }

    /// Verifies a signed request against the key registered for the device.
    fn verify_registered_device<R: SignedRequest>(&self, user_id: &str, request: &R) -> Result<()> {
        let device = self
            .state
            .accounts
            .get(user_id)
            .and_then(|a| a.devices.get(request.device_id()))
            .ok_or_else(|| Error::new(ErrorCode::UnknownDevice))?;
        self.verify_signature(request, &device.public_key)
    }

    /// Checks a PIN proof for a device, counting failures: wrong PINs 1..max-1 are
    /// `INVALID_PIN` with the attempts left; the max-th is `DEVICE_LOCKED` and clears the
    /// device's PIN and sessions. A correct PIN resets the device's count.
    fn check_pin(
        &mut self,
        now: u64,
        user_id: &str,
        device_id: &DeviceId,
        proof: &PinProof,
    ) -> Result<()> {
        let window_ms = ms(self.config.account_pin_window);
        let limit = self.config.account_pin_attempts;
        let max = self.config.max_pin_attempts;
        let expected = self.verifier(user_id, device_id, proof);
        let account = self.state.account_mut(user_id)?;
        if let Some(wait) = account.pin_failures.blocked_for(now, window_ms, limit) {
            return Err(Error::retry_after(
                ErrorCode::RateLimited,
                seconds_ceil(wait),
            ));
        }
        let device = account
            .devices
            .get_mut(device_id)
            .ok_or_else(|| Error::new(ErrorCode::UnknownDevice))?;
        let stored = device
            .pin_verifier
            .as_ref()
            .ok_or_else(|| Error::new(ErrorCode::DeviceLocked))?;
        // `Bytes` equality is constant-time.
        if *stored == expected {
            device.failed_pins = 0;
            device.last_used_at = now;
            return Ok(());
        }
        device.failed_pins = device.failed_pins.saturating_add(1);
        let failed = device.failed_pins;
        account.pin_failures.record_in_a_row(now, window_ms);
        if failed < max {
            return Err(Error::invalid_pin(max - failed));
        }
        device.pin_verifier = None;
        self.state.revoke(
            user_id,
            device_id,
            &[TokenKind::PinSession, TokenKind::Access, TokenKind::Reauth],
        );
        Err(Error::new(ErrorCode::DeviceLocked))
    }

    /// Registers a device key and PIN for an account (set or reset): clears the device's
    /// lockout, replaces its sessions, and returns a fresh PIN session.
    fn register_device_pin(
        &mut self,
        now: u64,
        user_id: &str,
        device_id: &DeviceId,
        public_key: &PublicKey,
        proof: &PinProof,
    ) -> Result<IssuedToken> {
        let verifier = self.verifier(user_id, device_id, proof);
        let account = self.state.account_mut(user_id)?;
        let known = account.devices.get(device_id).map(|d| d.registered_at);
        if known.is_none() && account.devices.len() >= DEVICES_PER_ACCOUNT {
            // The device unused the longest gives way, a locked one (no PIN) first.
            let unused = account
                .devices
                .iter()
                .min_by_key(|(_, d)| (d.pin_verifier.is_some(), d.last_used_at))
                .map(|(id, _)| id.clone());
            if let Some(unused) = unused {
                account.devices.remove(&unused);
                self.state.revoke(user_id, &unused, DEVICE_TOKENS);
            }
        }
        let registered_at = known.unwrap_or(now);
        let account = self.state.account_mut(user_id)?;
        account.devices.insert(
            device_id.clone(),
            Device {
                public_key: public_key.clone(),
                pin_verifier: Some(verifier),
                failed_pins: 0,
                registered_at,
                last_used_at: now,
            },
        );
        self.state.revoke(
            user_id,
            device_id,
            &[TokenKind::PinSession, TokenKind::PinAuth, TokenKind::Reauth],
        );
        self.state.issue(
            self.rng.as_ref(),
            now,
            TokenKind::PinSession,
            ms(self.config.pin_session_ttl),
            user_id,
            Some(device_id),
        )
    }

    pub(super) fn set_pin(&mut self, now: u64, request: SetPinRequest) -> Result<Reply> {
        // Nothing changes before the signature is checked (see `verify_signature`); a
        // refused request's challenge is used up by `Backend::handle`.
        let record = self
            .state
            .find(now, TokenKind::PinAuth, &request.pin_auth_token)?;
        record.require_device(&request.device_id)?;
        let user_id = record.user_id.clone();
        self.verify_signature(&request, &request.device_public_key)?;
        self.state
            .take_challenge(now, &request.device_id, &request.challenge)?;
        self.state
            .take(now, TokenKind::PinAuth, &request.pin_auth_token)?;
        let session = self.register_device_pin(
            now,
            &user_id,
            &request.device_id,
            &request.device_public_key,
            &request.pin_proof,
        )?;
        Ok(Reply::SetPin(session))
    }

    /// The common part of every PIN check: requires `token` (of `kind`) to be live and
    /// issued to the signing device, verifies the signature with the device's registered
    /// key, uses up the challenge, and checks the PIN. Returns the user id.
    fn authorize_pin<R: SignedRequest>(
        &mut self,
        now: u64,
        request: &R,
        kind: TokenKind,
        token: &Token,
        proof: &PinProof,
    ) -> Result<String> {
        let device_id = request.device_id();
        // Nothing changes before the signature is checked (see `verify_signature`); a
        // refused request's challenge is used up by `Backend::handle`.
        let record = self.state.find(now, kind, token)?;
        record.require_device(device_id)?;
        let user_id = record.user_id.clone();
        self.verify_registered_device(&user_id, request)?;
        self.state
            .take_challenge(now, device_id, request.challenge())?;
        self.check_pin(now, &user_id, device_id, proof)?;
        Ok(user_id)
    }

    pub(super) fn login_with_pin(
        &mut self,
        now: u64,
        request: LoginWithPinRequest,
    ) -> Result<Reply> {
        let user_id = self.authorize_pin(
            now,
            &request,
            TokenKind::PinSession,
            &request.session_token,
            &request.pin_proof,
        )?;
        let ttl = ms(self.config.access_token_ttl);
        let access = self.state.issue(
            self.rng.as_ref(),
            now,
            TokenKind::Access,
            ttl,
            &user_id,
            Some(&request.device_id),
        )?;
        Ok(Reply::LoginWithPin(access))
    }

    pub(super) fn reauthenticate(
        &mut self,
        now: u64,
        request: ReauthenticateRequest,
    ) -> Result<Reply> {
        let user_id = self.authorize_pin(
            now,
            &request,
            TokenKind::Access,
            &request.access_token,
            &request.pin_proof,
        )?;
        let ttl = ms(self.config.reauth_token_ttl);
        let reauth = self.state.issue(
            self.rng.as_ref(),
            now,
            TokenKind::Reauth,
            ttl,
            &user_id,
            Some(&request.device_id),
        )?;
        Ok(Reply::Reauthenticate(reauth))
    }

    /// Server-side check of a re-auth token. It is single use: the sensitive action it
    /// authorized cannot be repeated with it.
    pub(super) fn validate_reauth(
        &mut self,
        now: u64,
        request: ValidateReauthRequest,
    ) -> Result<Reply> {
        let record = self
            .state
            .take(now, TokenKind::Reauth, &request.reauth_token)?;
        let email = self.state.account_mut(&record.user_id)?.email.clone();
        let device_id = record
            .device_id
            .ok_or_else(|| Error::new(ErrorCode::Internal))?;
        Ok(Reply::ValidateReauth(ValidateReauthResponse {
            user_id: record.user_id,
            email,
            device_id,
            authenticated_at: record.issued_at,
            expires_at: record.expires_at,
        }))
    }

    /// Changes the PIN. A wrong current PIN counts towards the device lockout like any
    /// wrong PIN (LoginRadius 1241). The new PIN must differ from the current one.
    pub(super) fn change_pin(&mut self, now: u64, request: ChangePinRequest) -> Result<Reply> {
        let user_id = self.authorize_pin(
            now,
            &request,
            TokenKind::Access,
            &request.access_token,
            &request.old_proof,
        )?;
        if request.new_proof == request.old_proof {
            return Err(Error::invalid_input("the new PIN is the current PIN"));
        }
        let verifier = self.verifier(&user_id, &request.device_id, &request.new_proof);
        if let Some(device) = self
            .state
            .account_mut(&user_id)?
            .devices
            .get_mut(&request.device_id)
        {
            device.pin_verifier = Some(verifier);
        }
        // A re-authentication proven with the old PIN proves nothing about the new one
        // (the user may be changing a PIN someone saw).
        self.state
            .revoke(&user_id, &request.device_id, &[TokenKind::Reauth]);
        Ok(Reply::ChangePin)
    }

    /// Sets a new PIN with a reset token from the outbox, registering the (possibly new)
    /// device key and clearing the device's lockout.
    pub(super) fn reset_pin(&mut self, now: u64, request: ResetPinRequest) -> Result<Reply> {
        // Nothing changes before the signature is checked (see `verify_signature`); a
        // refused request's challenge is used up by `Backend::handle`.
        let user_id = self
            .state
            .find(now, TokenKind::Reset, &request.reset_token)?
            .user_id
            .clone();
        self.verify_signature(&request, &request.device_public_key)?;
        self.state
            .take_challenge(now, &request.device_id, &request.challenge)?;
        self.state
            .take(now, TokenKind::Reset, &request.reset_token)?;
        let session = self.register_device_pin(
            now,
            &user_id,
            &request.device_id,
            &request.device_public_key,
            &request.new_proof,
        )?;
        self.state
            .revoke(&user_id, &request.device_id, &[TokenKind::Access]);
        let email = self.state.account_mut(&user_id)?.email.clone();
        Ok(Reply::ResetPin(ResetPinResponse {
            user_id,
            email,
            pin_session: session,
        }))
    }
}
