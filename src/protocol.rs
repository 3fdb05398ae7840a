//! Wire types shared by the client and the backend.
//!
//! Every call is one [`Request`] answered by one [`Response`], both camelCase JSON, exactly
//! as they would travel over HTTP: `{"endpoint":"login","email":…}` in,
//! `{"ok":{"endpoint":"login",…}}` or `{"error":{"code":…,"message":…}}` out.
//! Binary values (tokens, proofs, keys, signatures, device ids) are unpadded base64url
//! strings of a fixed length; times are Unix milliseconds.

use crate::crypto;
use crate::error::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Fixed-length bytes carried as unpadded base64url text.
///
/// Used for every secret or binary value on the wire. `Debug` never shows the bytes,
/// equality is constant-time, and the bytes are zeroized when dropped.
#[derive(Clone, PartialOrd, Ord, Zeroize, ZeroizeOnDrop)]
pub struct Bytes<const N: usize>([u8; N]);

/// A 256-bit opaque token: access, PIN session, PIN auth, re-auth, reset, or a challenge.
pub type Token = Bytes<32>;
/// A 128-bit random device identifier.
pub type DeviceId = Bytes<16>;
/// `Argon2id(PIN, device salt)`: what the device sends instead of the PIN.
pub type PinProof = Bytes<32>;
/// An ECDSA P-256 / SHA-256 signature in the 64-byte `r‖s` form WebCrypto produces.
pub type Signature = Bytes<64>;
/// A P-256 public key as an uncompressed SEC1 point (WebCrypto `exportKey("raw")`).
pub type PublicKey = Bytes<65>;

impl<const N: usize> Bytes<N> {
    /// Wraps raw bytes.
    pub fn new(bytes: [u8; N]) -> Self {
        Bytes(bytes)
    }

    /// Copies a slice of exactly `N` bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        <[u8; N]>::try_from(bytes)
            .map(Bytes)
            .map_err(|_| Error::invalid_input("a binary value has the wrong length"))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// The raw bytes, for filling in place.
    pub(crate) fn as_mut_bytes(&mut self) -> &mut [u8; N] {
        &mut self.0
    }

    /// The unpadded base64url text form used on the wire.
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Parses the unpadded base64url text form; anything else is `INVALID_INPUT`.
    pub fn from_base64url(text: &str) -> Result<Self> {
        // Reject oversized input before decoding: N bytes are ceil(4N/3) characters.
        if text.len() != (4 * N).div_ceil(3) {
            return Err(Error::invalid_input("a binary value has the wrong length"));
        }
        let decoded = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| Error::invalid_input("a binary value is not base64url"))?,
        );
        Self::from_slice(&decoded)
    }
}

impl<const N: usize> PartialEq for Bytes<N> {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl<const N: usize> Eq for Bytes<N> {}

impl<const N: usize> fmt::Debug for Bytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes<{N}>(redacted)")
    }
}

impl<const N: usize> Serialize for Bytes<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&Zeroizing::new(self.to_base64url()))
    }
}

impl<'de, const N: usize> Deserialize<'de> for Bytes<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        Bytes::from_base64url(&text).map_err(serde::de::Error::custom)
    }
}

/// A secret string (a password): redacted in `Debug`, zeroized on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        SecretString(secret.into())
    }

    /// The secret text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(redacted)")
    }
}

/// A token together with the time it stops being accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssuedToken {
    /// The opaque token.
    pub token: Token,
    /// Unix milliseconds from which the backend refuses it.
    pub expires_at: u64,
}

/// One call to the backend. The `endpoint` field names it on the wire.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "endpoint", rename_all = "camelCase")]
pub enum Request {
    /// Create an account.
    Register(RegisterRequest),
    /// Password sign-in (level 1).
    Login(LoginRequest),
    /// A fresh single-use nonce for the next signed request of a device.
    Challenge(ChallengeRequest),
    /// Set this device's PIN after a password login that returned a PIN auth token.
    SetPin(SetPinRequest),
    /// PIN sign-in (level 2) with this device's PIN session.
    LoginWithPin(LoginWithPinRequest),
    /// PIN re-authentication for a sensitive action (step-up).
    Reauthenticate(ReauthenticateRequest),
    /// Server-side check of a re-auth token; consumes it.
    ValidateReauth(ValidateReauthRequest),
    /// Change this device's PIN.
    ChangePin(ChangePinRequest),
    /// Email a PIN reset token (to the outbox); always answers "sent".
    ForgotPin(ForgotPinRequest),
    /// Set a new PIN with a reset token.
    ResetPin(ResetPinRequest),
    /// End the PIN session and/or access token.
    Logout(LogoutRequest),
    /// The account's registered devices.
    ListDevices(ListDevicesRequest),
    /// Remove a device from the account, ending all its sessions.
    RevokeDevice(RevokeDeviceRequest),
}

/// The successful answer to a [`Request`], tagged with the same `endpoint`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "endpoint", rename_all = "camelCase")]
pub enum Reply {
    /// Answer to [`Request::Register`].
    Register(RegisterResponse),
    /// Answer to [`Request::Login`].
    Login(LoginResponse),
    /// Answer to [`Request::Challenge`].
    Challenge(IssuedToken),
    /// Answer to [`Request::SetPin`]: the new PIN session.
    SetPin(IssuedToken),
    /// Answer to [`Request::LoginWithPin`]: a new access token.
    LoginWithPin(IssuedToken),
    /// Answer to [`Request::Reauthenticate`]: a re-auth token.
    Reauthenticate(IssuedToken),
    /// Answer to [`Request::ValidateReauth`].
    ValidateReauth(ValidateReauthResponse),
    /// Answer to [`Request::ChangePin`].
    ChangePin,
    /// Answer to [`Request::ForgotPin`], whether or not the email has an account.
    ForgotPin,
    /// Answer to [`Request::ResetPin`]: whose PIN it was and the new PIN session.
    ResetPin(ResetPinResponse),
    /// Answer to [`Request::Logout`].
    Logout,
    /// Answer to [`Request::ListDevices`].
    ListDevices(ListDevicesResponse),
    /// Answer to [`Request::RevokeDevice`].
    RevokeDevice,
}

/// What the backend answers: a [`Reply`] or an [`Error`] body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Response {
    /// Success.
    Ok(Reply),
    /// Failure with a stable code.
    Error(Error),
}

impl From<Result<Reply>> for Response {
    fn from(result: Result<Reply>) -> Self {
        match result {
            Ok(reply) => Response::Ok(reply),
            Err(error) => Response::Error(error),
        }
    }
}

impl From<Response> for Result<Reply> {
    fn from(response: Response) -> Self {
        match response {
            Response::Ok(reply) => Ok(reply),
            Response::Error(error) => Err(error),
        }
    }
}

/// `register(email, password)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterRequest {
    /// The account's email (trimmed and lowercased by the backend).
    pub email: String,
    /// At least 8 characters.
    pub password: SecretString,
}

/// The new account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterResponse {
    /// The account's stable id.
    pub user_id: String,
}

/// `login(email, password, deviceId)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's email.
    pub email: String,
    /// The account's password.
    pub password: SecretString,
    /// The device signing in.
    pub device_id: DeviceId,
}

/// A successful password login.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginResponse {
    /// The account's stable id.
    pub user_id: String,
    /// The access token (level 1).
    pub access: IssuedToken,
    /// What this device does next about its PIN.
    pub pin: PinStep,
}

/// After a password login: the device's PIN session, or a token to set a PIN with.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum PinStep {
    /// This device has a PIN: a fresh PIN session token (replacing any earlier one).
    PinSession(IssuedToken),
    /// This device has no PIN (new, locked out or reset): a single-use PIN auth token for
    /// `setPin` (LoginRadius's `PINAuthToken`, its error 1243 "PIN must be set").
    PinAuth(IssuedToken),
}

/// `challenge(deviceId)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChallengeRequest {
    /// The device that will sign with it.
    pub device_id: DeviceId,
}

/// `setPin(pinAuthToken, deviceId, devicePublicKey, pinProof, challenge, signature)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetPinRequest {
    /// From the password login.
    pub pin_auth_token: Token,
    /// The device setting its PIN.
    pub device_id: DeviceId,
    /// The device key to register.
    pub device_public_key: PublicKey,
    /// `Argon2id(PIN, device salt)`.
    pub pin_proof: PinProof,
    /// A fresh challenge for this device.
    pub challenge: Token,
    /// Made with the private half of `device_public_key`.
    pub signature: Signature,
}

/// `loginWithPin(sessionToken, deviceId, pinProof, challenge, signature)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginWithPinRequest {
    /// This device's PIN session token.
    pub session_token: Token,
    /// The device unlocking.
    pub device_id: DeviceId,
    /// `Argon2id(PIN, device salt)`.
    pub pin_proof: PinProof,
    /// A fresh challenge for this device.
    pub challenge: Token,
    /// Made with the device key.
    pub signature: Signature,
}

/// `reauthenticate(accessToken, deviceId, pinProof, challenge, signature)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReauthenticateRequest {
    /// The current access token (issued to this device).
    pub access_token: Token,
    /// The device re-authenticating.
    pub device_id: DeviceId,
    /// `Argon2id(PIN, device salt)`.
    pub pin_proof: PinProof,
    /// A fresh challenge for this device.
    pub challenge: Token,
    /// Made with the device key.
    pub signature: Signature,
}

/// `validateReauth(token)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateReauthRequest {
    /// The re-auth token the client handed to the application.
    pub reauth_token: Token,
}

/// Who re-authenticated, on which device, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateReauthResponse {
    /// The account's stable id.
    pub user_id: String,
    /// The account's email.
    pub email: String,
    /// The device whose PIN was entered.
    pub device_id: DeviceId,
    /// Unix milliseconds of the PIN entry.
    pub authenticated_at: u64,
    /// Unix milliseconds when the token would have expired.
    pub expires_at: u64,
}

/// `changePin(accessToken, deviceId, oldProof, newProof, challenge, signature)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePinRequest {
    /// The current access token (issued to this device).
    pub access_token: Token,
    /// The device changing its PIN.
    pub device_id: DeviceId,
    /// Proof of the current PIN.
    pub old_proof: PinProof,
    /// Proof of the new PIN.
    pub new_proof: PinProof,
    /// A fresh challenge for this device.
    pub challenge: Token,
    /// Made with the device key.
    pub signature: Signature,
}

/// `forgotPin(email)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForgotPinRequest {
    /// Where the reset token goes, if it has an account.
    pub email: String,
}

/// `resetPin(resetToken, deviceId, devicePublicKey, newProof, challenge, signature)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetPinRequest {
    /// From the reset email.
    pub reset_token: Token,
    /// The device getting the new PIN.
    pub device_id: DeviceId,
    /// The device key to register (replaces any earlier key of this device).
    pub device_public_key: PublicKey,
    /// Proof of the new PIN.
    pub new_proof: PinProof,
    /// A fresh challenge for this device.
    pub challenge: Token,
    /// Made with the private half of `device_public_key`.
    pub signature: Signature,
}

/// A successful PIN reset: the account (the device may not have known it) and its new
/// PIN session.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetPinResponse {
    /// The account's stable id.
    pub user_id: String,
    /// The account's email.
    pub email: String,
    /// The new PIN session of this device.
    pub pin_session: IssuedToken,
}

/// `logout(sessionToken?, accessToken?)`: ends whichever is given. Unknown or expired
/// tokens are ignored, so logging out always succeeds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogoutRequest {
    /// Ends this PIN session and every access token of its device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<Token>,
    /// Ends this access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<Token>,
}

/// `listDevices(accessToken)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListDevicesRequest {
    /// A current access token of the account.
    pub access_token: Token,
}

/// The account's devices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListDevicesResponse {
    /// Every device that has registered a key, oldest first.
    pub devices: Vec<DeviceInfo>,
}

/// One registered device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeviceInfo {
    /// The device's id.
    pub device_id: DeviceId,
    /// Unix milliseconds of its first PIN setup.
    pub registered_at: u64,
    /// Unix milliseconds of its last successful PIN entry or setup.
    pub last_used_at: u64,
    /// Whether it has a PIN now (false after a lockout until a new PIN is set).
    pub has_pin: bool,
    /// Whether it is the device of the access token that asked.
    pub current: bool,
}

/// `revokeDevice(accessToken, deviceId)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevokeDeviceRequest {
    /// A current access token of the account.
    pub access_token: Token,
    /// The device to remove.
    pub device_id: DeviceId,
}

/// A request that carries a device signature over a backend challenge.
///
/// The client signs [`SignedRequest::signing_payload`]; the backend verifies the same
/// bytes. The payload covers the endpoint, challenge, device id and every other field but
/// the signature, so no field can be swapped after signing.
pub trait SignedRequest {
    /// The endpoint name bound into the signature.
    const ENDPOINT: &'static str;
    /// The signing device.
    fn device_id(&self) -> &DeviceId;
    /// The single-use challenge being answered.
    fn challenge(&self) -> &Token;
    /// The device signature.
    fn signature(&self) -> &Signature;
    /// Fills in the challenge being answered (before signing).
    fn set_challenge(&mut self, challenge: Token);
    /// Fills in the device signature (after signing).
    fn set_signature(&mut self, signature: Signature);
    /// The request's remaining fields, in a fixed order.
    fn signed_fields(&self) -> Vec<&[u8]>;

    /// The exact bytes the device key signs.
    fn signing_payload(&self) -> Vec<u8> {
        crypto::signing_payload(
            Self::ENDPOINT,
            self.challenge(),
            self.device_id(),
            &self.signed_fields(),
        )
    }
}

/// Implements [`SignedRequest`] for a request struct from its endpoint name and fields.
macro_rules! signed_request {
    ($request:ty, $endpoint:literal, [$($field:ident),*]) => {
        impl SignedRequest for $request {
            const ENDPOINT: &'static str = $endpoint;
            fn device_id(&self) -> &DeviceId {
                &self.device_id
            }
            fn challenge(&self) -> &Token {
                &self.challenge
            }
            fn signature(&self) -> &Signature {
                &self.signature
            }
            fn set_challenge(&mut self, challenge: Token) {
                self.challenge = challenge;
            }
            fn set_signature(&mut self, signature: Signature) {
                self.signature = signature;
            }
            fn signed_fields(&self) -> Vec<&[u8]> {
                vec![$(self.$field.as_bytes().as_slice()),*]
            }
        }
    };
}

signed_request!(
    SetPinRequest,
    "setPin",
    [pin_auth_token, device_public_key, pin_proof]
);
signed_request!(
    LoginWithPinRequest,
    "loginWithPin",
    [session_token, pin_proof]
);
signed_request!(
    ReauthenticateRequest,
    "reauthenticate",
    [access_token, pin_proof]
);
signed_request!(
    ChangePinRequest,
    "changePin",
    [access_token, old_proof, new_proof]
);
signed_request!(
    ResetPinRequest,
    "resetPin",
    [reset_token, device_public_key, new_proof]
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bytes_are_unpadded_base64url_of_exact_length() {
        let id = DeviceId::new([0xfb; 16]);
        let text = serde_json::to_string(&id).unwrap();
        assert_eq!(text, "\"-_v7-_v7-_v7-_v7-_v7-w\"");
        assert_eq!(serde_json::from_str::<DeviceId>(&text).unwrap(), id);
        for bad in [
            "\"\"",
            "\"-_v7-_v7-_v7-_v7-_v7-w==\"",
            "\"+/v7+/v7+/v7+/v7+/v7+w\"",
            "\"-_v7\"",
            "17",
        ] {
            assert!(serde_json::from_str::<DeviceId>(bad).is_err(), "{bad}");
        }
        let huge = format!("\"{}\"", "A".repeat(1 << 20));
        assert!(serde_json::from_str::<Token>(&huge).is_err());
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let req = LoginRequest {
            email: "a@example.com".into(),
            password: SecretString::new("hunter2hunter2"),
            device_id: DeviceId::new([7; 16]),
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            !shown.contains(&DeviceId::new([7; 16]).to_base64url()),
            "{shown}"
        );
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn requests_and_replies_are_tagged_camel_case_json() {
        let req: Request = serde_json::from_value(json!({
            "endpoint": "forgotPin",
            "email": "a@example.com"
        }))
        .unwrap();
        assert!(
            matches!(req, Request::ForgotPin(ForgotPinRequest { ref email }) if email == "a@example.com")
        );

        let logout = serde_json::to_value(Request::Logout(LogoutRequest::default())).unwrap();
        assert_eq!(logout, json!({ "endpoint": "logout" }));

        let sent = serde_json::to_value(Response::Ok(Reply::ForgotPin)).unwrap();
        assert_eq!(sent, json!({ "ok": { "endpoint": "forgotPin" } }));

        let login = Reply::Login(LoginResponse {
            user_id: "u1".into(),
            access: IssuedToken {
                token: Token::new([0; 32]),
                expires_at: 5,
            },
            pin: PinStep::PinAuth(IssuedToken {
                token: Token::new([1; 32]),
                expires_at: 6,
            }),
        });
        let value = serde_json::to_value(&login).unwrap();
        assert_eq!(value["endpoint"], "login");
        assert_eq!(value["userId"], "u1");
        assert_eq!(value["access"]["expiresAt"], 5);
        assert_eq!(value["pin"]["pinAuth"]["expiresAt"], 6);
    }

    #[test]
    fn unknown_fields_and_endpoints_are_refused() {
        let extra = json!({ "endpoint": "forgotPin", "email": "a@b.c", "admin": true });
        assert!(serde_json::from_value::<Request>(extra).is_err());
        let unknown = json!({ "endpoint": "dropTables" });
        assert!(serde_json::from_value::<Request>(unknown).is_err());
    }

    #[test]
    fn the_signing_payload_covers_every_field_but_the_signature() {
        let base = ChangePinRequest {
            access_token: Token::new([1; 32]),
            device_id: DeviceId::new([2; 16]),
            old_proof: PinProof::new([3; 32]),
            new_proof: PinProof::new([4; 32]),
            challenge: Token::new([5; 32]),
            signature: Signature::new([0; 64]),
        };
        let payload = base.signing_payload();
        let mut resigned = base.clone();
        resigned.signature = Signature::new([9; 64]);
        assert_eq!(resigned.signing_payload(), payload);

        let mut swapped = base.clone();
        std::mem::swap(&mut swapped.old_proof, &mut swapped.new_proof);
        assert_ne!(swapped.signing_payload(), payload);
        let mut other_challenge = base.clone();
        other_challenge.challenge = Token::new([6; 32]);
        assert_ne!(other_challenge.signing_payload(), payload);
        let mut other_device = base;
        other_device.device_id = DeviceId::new([8; 16]);
        assert_ne!(other_device.signing_payload(), payload);
    }
}
