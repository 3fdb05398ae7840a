//! Wire types shared by the client and the backend.
//!
//! Every call is one [`Request`] answered by one [`Response`], both camelCase JSON, exactly
//! as they would travel over HTTP: `{"endpoint":"login","email":…}` in,
//! `{"ok":{"endpoint":"login",…}}` or `{"error":{"code":…,"message":…}}` out.
//! Binary values (tokens, proofs, keys, signatures, device ids) are unpadded base64url
//! strings of a fixed length; times are Unix milliseconds.

use crate::crypto;
use crate::error::{Error, ErrorCode, Result};
use alloc::{string::String, vec, vec::Vec};
use core::fmt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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
        let mut text = String::with_capacity((4 * N).div_ceil(3));
        for chunk in self.0.chunks(3) {
            let group = chunk
                .iter()
                .zip([16, 8, 0])
                .fold(0u32, |group, (&byte, shift)| {
                    group | u32::from(byte) << shift
                });
            for shift in [18, 12, 6, 0].into_iter().take(chunk.len() + 1) {
                text.push(base64url_char(group >> shift & 0x3f));
            }
        }
        text
    }

    /// Parses the unpadded base64url text form; anything else is `INVALID_INPUT`.
    pub fn from_base64url(text: &str) -> Result<Self> {
        // Reject oversized input before decoding: N bytes are ceil(4N/3) characters.
        if text.len() != (4 * N).div_ceil(3) {
            return Err(Error::invalid_input("a binary value has the wrong length"));
        }
        let not_base64url = || Error::invalid_input("a binary value is not base64url");
        let mut bytes = Bytes::new([0; N]);
        let (mut bits, mut pending, mut filled) = (0u32, 0u32, 0);
        for c in text.bytes() {
            bits = bits << 6 | base64url_value(c).ok_or_else(not_base64url)?;
            pending += 6;
            if pending >= 8 {
                pending -= 8;
                *bytes.0.get_mut(filled).ok_or_else(not_base64url)? = (bits >> pending) as u8;
                filled += 1;
                bits &= (1 << pending) - 1;
            }
        }
        // Unused trailing bits must be zero: every value has one text form only.
        if filled != N || bits != 0 {
            return Err(not_base64url());
        }
        Ok(bytes)
    }
}

/// The base64url digit of a 6-bit value.
fn base64url_char(value: u32) -> char {
    let ascii = match value {
        0..=25 => b'A' + value as u8,
        26..=51 => b'a' + (value - 26) as u8,
        52..=61 => b'0' + (value - 52) as u8,
        62 => b'-',
        _ => b'_',
    };
    char::from(ascii)
}

/// The 6-bit value of a base64url digit.
fn base64url_value(c: u8) -> Option<u32> {
    let value = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(value))
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
#[serde(rename_all = "camelCase")]
pub struct IssuedToken {
    /// The opaque token.
    pub token: Token,
    /// Unix milliseconds from which the backend refuses it, by the backend's clock.
    pub expires_at: u64,
    /// Its lifetime in milliseconds when it was issued: the client counts it from when
    /// it sent the request, so that a page whose clock differs from the server's still
    /// sees it expire on time (a little early, by the time the answer took).
    pub expires_in: u64,
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

impl Request {
    /// The `endpoint` tag naming the call on the wire.
    pub fn endpoint(&self) -> &'static str {
        match self {
            Request::Register(_) => "register",
            Request::Login(_) => "login",
            Request::Challenge(_) => "challenge",
            Request::SetPin(_) => "setPin",
            Request::LoginWithPin(_) => "loginWithPin",
            Request::Reauthenticate(_) => "reauthenticate",
            Request::ValidateReauth(_) => "validateReauth",
            Request::ChangePin(_) => "changePin",
            Request::ForgotPin(_) => "forgotPin",
            Request::ResetPin(_) => "resetPin",
            Request::Logout(_) => "logout",
            Request::ListDevices(_) => "listDevices",
            Request::RevokeDevice(_) => "revokeDevice",
        }
    }
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
#[serde(rename_all = "camelCase")]
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
#[serde(rename_all = "camelCase")]
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
#[serde(rename_all = "camelCase")]
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
#[serde(rename_all = "camelCase")]
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
    /// Ends this PIN auth token (a sign-out before a PIN was set, once the access token
    /// of that password login has ended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_auth_token: Option<Token>,
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
#[serde(rename_all = "camelCase")]
pub struct ListDevicesResponse {
    /// Every device that has registered a key, oldest first.
    pub devices: Vec<DeviceInfo>,
}

/// One registered device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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

/// The client's own JSON, without `serde_json`: requests are written and responses read
/// by hand with [`json`], which keeps serde's generic machinery (and its formatting) out of
/// a client-only build. The encoding is exactly the one serde derives for these types; the
/// tests check every request and reply against it.
impl Request {
    /// The request as the JSON the backend reads, e.g. `{"endpoint":"login",…}`. It may
    /// hold a password, so it is zeroized when dropped.
    pub fn to_json(&self) -> Zeroizing<String> {
        // The members' order is serde's, except that the signed requests end with
        // `deviceId`, `challenge` and `signature`: JSON objects are unordered.
        let mut out = json::Object::new();
        out.text("endpoint", self.endpoint());
        match self {
            Request::Register(r) => out
                .text("email", &r.email)
                .text("password", r.password.expose()),
            Request::Login(r) => out
                .text("email", &r.email)
                .text("password", r.password.expose())
                .bytes("deviceId", &r.device_id),
            Request::Challenge(r) => out.bytes("deviceId", &r.device_id),
            Request::SetPin(r) => out
                .bytes("pinAuthToken", &r.pin_auth_token)
                .bytes("devicePublicKey", &r.device_public_key)
                .bytes("pinProof", &r.pin_proof)
                .signed(r),
            Request::LoginWithPin(r) => out
                .bytes("sessionToken", &r.session_token)
                .bytes("pinProof", &r.pin_proof)
                .signed(r),
            Request::Reauthenticate(r) => out
                .bytes("accessToken", &r.access_token)
                .bytes("pinProof", &r.pin_proof)
                .signed(r),
            Request::ValidateReauth(r) => out.bytes("reauthToken", &r.reauth_token),
            Request::ChangePin(r) => out
                .bytes("accessToken", &r.access_token)
                .bytes("oldProof", &r.old_proof)
                .bytes("newProof", &r.new_proof)
                .signed(r),
            Request::ForgotPin(r) => out.text("email", &r.email),
            Request::ResetPin(r) => out
                .bytes("resetToken", &r.reset_token)
                .bytes("devicePublicKey", &r.device_public_key)
                .bytes("newProof", &r.new_proof)
                .signed(r),
            Request::Logout(r) => {
                if let Some(token) = &r.session_token {
                    out.bytes("sessionToken", token);
                }
                if let Some(token) = &r.access_token {
                    out.bytes("accessToken", token);
                }
                if let Some(token) = &r.pin_auth_token {
                    out.bytes("pinAuthToken", token);
                }
                &mut out
            }
            Request::ListDevices(r) => out.bytes("accessToken", &r.access_token),
            Request::RevokeDevice(r) => out
                .bytes("accessToken", &r.access_token)
                .bytes("deviceId", &r.device_id),
        };
        out.finish()
    }
}

impl Response {
    /// Reads a response the backend wrote: `Ok` with its reply or `Err` with its error, or
    /// `None` for anything else (unknown endpoints, missing or repeated fields, bad
    /// values). Fields it does not know are ignored, so a server may add its own.
    pub fn from_json(text: &str) -> Option<Result<Reply>> {
        let value = json::Value::parse(text)?;
        let (tag, body) = match value.members()? {
            [(tag, body)] => (tag.as_str(), body),
            _ => return None,
        };
        match tag {
            "ok" => Reply::from_value(body).map(Ok),
            "error" => Error::from_value(body).map(Err),
            _ => None,
        }
    }
}

impl Reply {
    fn from_value(value: &json::Value) -> Option<Reply> {
        // serde refuses a repeated tag, whatever the variant.
        value.unique(&["endpoint"])?;
        let endpoint = value.get("endpoint")?.as_str()?;
        // Fields the client does not know are ignored (a server may add its own); a known
        // one given twice is refused, as with serde.
        let fields = |known: &[&str]| value.unique(known);
        let issued = || {
            fields(&["token", "expiresAt", "expiresIn"])?;
            IssuedToken::from_value(value)
        };
        Some(match endpoint {
            "register" => {
                fields(&["userId"])?;
                Reply::Register(RegisterResponse {
                    user_id: value.get("userId")?.to_text()?,
                })
            }
            "login" => {
                fields(&["userId", "access", "pin"])?;
                let pin = value.get("pin")?;
                let pin = match pin.members()? {
                    [(tag, token)] if tag == "pinSession" => {
                        PinStep::PinSession(IssuedToken::checked(token)?)
                    }
                    [(tag, token)] if tag == "pinAuth" => {
                        PinStep::PinAuth(IssuedToken::checked(token)?)
                    }
                    _ => return None,
                };
                Reply::Login(LoginResponse {
                    user_id: value.get("userId")?.to_text()?,
                    access: IssuedToken::checked(value.get("access")?)?,
                    pin,
                })
            }
            "challenge" => Reply::Challenge(issued()?),
            "setPin" => Reply::SetPin(issued()?),
            "loginWithPin" => Reply::LoginWithPin(issued()?),
            "reauthenticate" => Reply::Reauthenticate(issued()?),
            "validateReauth" => {
                fields(&[
                    "userId",
                    "email",
                    "deviceId",
                    "authenticatedAt",
                    "expiresAt",
                ])?;
                Reply::ValidateReauth(ValidateReauthResponse {
                    user_id: value.get("userId")?.to_text()?,
                    email: value.get("email")?.to_text()?,
                    device_id: value.get("deviceId")?.to_bytes()?,
                    authenticated_at: value.get("authenticatedAt")?.as_u64()?,
                    expires_at: value.get("expiresAt")?.as_u64()?,
                })
            }
            "resetPin" => {
                fields(&["userId", "email", "pinSession"])?;
                Reply::ResetPin(ResetPinResponse {
                    user_id: value.get("userId")?.to_text()?,
                    email: value.get("email")?.to_text()?,
                    pin_session: IssuedToken::checked(value.get("pinSession")?)?,
                })
            }
            "listDevices" => {
                fields(&["devices"])?;
                let devices = value.get("devices")?.items()?;
                Reply::ListDevices(ListDevicesResponse {
                    devices: devices
                        .iter()
                        .map(DeviceInfo::from_value)
                        .collect::<Option<_>>()?,
                })
            }
            // Like serde's internally tagged unit variants, these ignore other fields.
            "changePin" => Reply::ChangePin,
            "forgotPin" => Reply::ForgotPin,
            "logout" => Reply::Logout,
            "revokeDevice" => Reply::RevokeDevice,
            _ => return None,
        })
    }
}

impl IssuedToken {
    /// The token and expiry of an object that may hold other fields too (not checked for
    /// repeats: the caller does that with its own fields).
    fn from_value(value: &json::Value) -> Option<IssuedToken> {
        Some(IssuedToken {
            token: value.get("token")?.to_bytes()?,
            expires_at: value.get("expiresAt")?.as_u64()?,
            expires_in: value.get("expiresIn")?.as_u64()?,
        })
    }

    /// An object holding a token and its expiry, each once (other fields are ignored).
    fn checked(value: &json::Value) -> Option<IssuedToken> {
        value.unique(&["token", "expiresAt", "expiresIn"])?;
        IssuedToken::from_value(value)
    }
}

impl DeviceInfo {
    fn from_value(value: &json::Value) -> Option<DeviceInfo> {
        value.unique(&[
            "deviceId",
            "registeredAt",
            "lastUsedAt",
            "hasPin",
            "current",
        ])?;
        Some(DeviceInfo {
            device_id: value.get("deviceId")?.to_bytes()?,
            registered_at: value.get("registeredAt")?.as_u64()?,
            last_used_at: value.get("lastUsedAt")?.as_u64()?,
            has_pin: value.get("hasPin")?.as_bool()?,
            current: value.get("current")?.as_bool()?,
        })
    }
}

impl Error {
    /// An error body; unknown fields are ignored and unknown codes read as `INTERNAL`,
    /// and a known field given twice is refused, as with serde.
    fn from_value(value: &json::Value) -> Option<Error> {
        value.unique(&[
            "code",
            "message",
            "attemptsRemaining",
            "retryAfterSeconds",
            "reason",
        ])?;
        Some(Error::from_wire(
            ErrorCode::parse(value.get("code")?.as_str()?).unwrap_or(ErrorCode::Internal),
            value.get("message")?.to_text()?,
            value
                .optional("attemptsRemaining", json::Value::as_u64)?
                .map(u32::try_from)
                .transpose()
                .ok()?,
            value.optional("retryAfterSeconds", json::Value::as_u64)?,
            value.optional("reason", json::Value::to_text)?,
        ))
    }
}

/// The backend's side of the same JSON: requests read and responses written by hand, so
/// that the mock backend needs no `serde_json` either. Responses are written in serde's
/// member order (the tests compare them byte for byte); requests are refused wherever
/// serde's encoding refuses them.
impl Request {
    /// Reads a request the client wrote; `None` for an unknown endpoint, or an unknown,
    /// missing, repeated or mistyped field.
    pub fn from_json(text: &str) -> Option<Request> {
        let value = json::Value::parse(text)?;
        value.unique(&["endpoint"])?;
        let endpoint = value.get("endpoint")?.as_str()?;
        let fields = |known: &[&str]| value.only(&[&["endpoint"], known].concat());
        let text = |key| value.get(key)?.to_text();
        let secret = |key| text(key).map(SecretString::new);
        let signed = &["deviceId", "challenge", "signature"];
        Some(match endpoint {
            "register" => {
                fields(&["email", "password"])?;
                Request::Register(RegisterRequest {
                    email: text("email")?,
                    password: secret("password")?,
                })
            }
            "login" => {
                fields(&["email", "password", "deviceId"])?;
                Request::Login(LoginRequest {
                    email: text("email")?,
                    password: secret("password")?,
                    device_id: value.get("deviceId")?.to_bytes()?,
                })
            }
            "challenge" => {
                fields(&["deviceId"])?;
                Request::Challenge(ChallengeRequest {
                    device_id: value.get("deviceId")?.to_bytes()?,
                })
            }
            "setPin" => {
                fields(
                    &[
                        &["pinAuthToken", "devicePublicKey", "pinProof"],
                        &signed[..],
                    ]
                    .concat(),
                )?;
                Request::SetPin(SetPinRequest {
                    pin_auth_token: value.get("pinAuthToken")?.to_bytes()?,
                    device_id: value.get("deviceId")?.to_bytes()?,
                    device_public_key: value.get("devicePublicKey")?.to_bytes()?,
                    pin_proof: value.get("pinProof")?.to_bytes()?,
                    challenge: value.get("challenge")?.to_bytes()?,
                    signature: value.get("signature")?.to_bytes()?,
                })
            }
            "loginWithPin" => {
                fields(&[&["sessionToken", "pinProof"], &signed[..]].concat())?;
                Request::LoginWithPin(LoginWithPinRequest {
                    session_token: value.get("sessionToken")?.to_bytes()?,
                    device_id: value.get("deviceId")?.to_bytes()?,
                    pin_proof: value.get("pinProof")?.to_bytes()?,
                    challenge: value.get("challenge")?.to_bytes()?,
                    signature: value.get("signature")?.to_bytes()?,
                })
            }
            "reauthenticate" => {
                fields(&[&["accessToken", "pinProof"], &signed[..]].concat())?;
                Request::Reauthenticate(ReauthenticateRequest {
                    access_token: value.get("accessToken")?.to_bytes()?,
                    device_id: value.get("deviceId")?.to_bytes()?,
                    pin_proof: value.get("pinProof")?.to_bytes()?,
                    challenge: value.get("challenge")?.to_bytes()?,
                    signature: value.get("signature")?.to_bytes()?,
                })
            }
            "validateReauth" => {
                fields(&["reauthToken"])?;
                Request::ValidateReauth(ValidateReauthRequest {
                    reauth_token: value.get("reauthToken")?.to_bytes()?,
                })
            }
            "changePin" => {
                fields(&[&["accessToken", "oldProof", "newProof"], &signed[..]].concat())?;
                Request::ChangePin(ChangePinRequest {
                    access_token: value.get("accessToken")?.to_bytes()?,
                    device_id: value.get("deviceId")?.to_bytes()?,
                    old_proof: value.get("oldProof")?.to_bytes()?,
                    new_proof: value.get("newProof")?.to_bytes()?,
                    challenge: value.get("challenge")?.to_bytes()?,
                    signature: value.get("signature")?.to_bytes()?,
                })
            }
            "forgotPin" => {
                fields(&["email"])?;
                Request::ForgotPin(ForgotPinRequest {
                    email: text("email")?,
                })
            }
            "resetPin" => {
                fields(&[&["resetToken", "devicePublicKey", "newProof"], &signed[..]].concat())?;
                Request::ResetPin(ResetPinRequest {
                    reset_token: value.get("resetToken")?.to_bytes()?,
                    device_id: value.get("deviceId")?.to_bytes()?,
                    device_public_key: value.get("devicePublicKey")?.to_bytes()?,
                    new_proof: value.get("newProof")?.to_bytes()?,
                    challenge: value.get("challenge")?.to_bytes()?,
                    signature: value.get("signature")?.to_bytes()?,
                })
            }
            "logout" => {
                fields(&["sessionToken", "accessToken", "pinAuthToken"])?;
                Request::Logout(LogoutRequest {
                    session_token: value.optional("sessionToken", json::Value::to_bytes)?,
                    access_token: value.optional("accessToken", json::Value::to_bytes)?,
                    pin_auth_token: value.optional("pinAuthToken", json::Value::to_bytes)?,
                })
            }
            "listDevices" => {
                fields(&["accessToken"])?;
                Request::ListDevices(ListDevicesRequest {
                    access_token: value.get("accessToken")?.to_bytes()?,
                })
            }
            "revokeDevice" => {
                fields(&["accessToken", "deviceId"])?;
                Request::RevokeDevice(RevokeDeviceRequest {
                    access_token: value.get("accessToken")?.to_bytes()?,
                    device_id: value.get("deviceId")?.to_bytes()?,
                })
            }
            _ => return None,
        })
    }
}

impl Response {
    /// The response as the JSON the client reads, `{"ok":{"endpoint":…}}` or
    /// `{"error":{"code":…}}`. It may hold tokens, so it is zeroized when dropped.
    pub fn to_json(&self) -> Zeroizing<String> {
        let mut out = json::Object::new();
        match self {
            Response::Ok(reply) => out.raw("ok", &reply.to_json()),
            Response::Error(error) => out.raw("error", &error.to_json()),
        };
        out.finish()
    }
}

impl Reply {
    /// The `endpoint` tag of the request this answers.
    pub fn endpoint(&self) -> &'static str {
        match self {
            Reply::Register(_) => "register",
            Reply::Login(_) => "login",
            Reply::Challenge(_) => "challenge",
            Reply::SetPin(_) => "setPin",
            Reply::LoginWithPin(_) => "loginWithPin",
            Reply::Reauthenticate(_) => "reauthenticate",
            Reply::ValidateReauth(_) => "validateReauth",
            Reply::ChangePin => "changePin",
            Reply::ForgotPin => "forgotPin",
            Reply::ResetPin(_) => "resetPin",
            Reply::Logout => "logout",
            Reply::ListDevices(_) => "listDevices",
            Reply::RevokeDevice => "revokeDevice",
        }
    }

    fn to_json(&self) -> Zeroizing<String> {
        let mut out = json::Object::new();
        out.text("endpoint", self.endpoint());
        match self {
            Reply::Register(r) => out.text("userId", &r.user_id),
            Reply::Login(r) => {
                let mut pin = json::Object::new();
                match &r.pin {
                    PinStep::PinSession(token) => pin.raw("pinSession", &token.to_json()),
                    PinStep::PinAuth(token) => pin.raw("pinAuth", &token.to_json()),
                };
                out.text("userId", &r.user_id)
                    .raw("access", &r.access.to_json())
                    .raw("pin", &pin.finish())
            }
            Reply::Challenge(token)
            | Reply::SetPin(token)
            | Reply::LoginWithPin(token)
            | Reply::Reauthenticate(token) => token.members(&mut out),
            Reply::ValidateReauth(r) => out
                .text("userId", &r.user_id)
                .text("email", &r.email)
                .bytes("deviceId", &r.device_id)
                .number("authenticatedAt", r.authenticated_at)
                .number("expiresAt", r.expires_at),
            Reply::ResetPin(r) => out
                .text("userId", &r.user_id)
                .text("email", &r.email)
                .raw("pinSession", &r.pin_session.to_json()),
            Reply::ListDevices(r) => {
                let devices = r.devices.iter().map(DeviceInfo::to_json);
                out.raw("devices", &json::array(devices))
            }
            Reply::ChangePin | Reply::ForgotPin | Reply::Logout | Reply::RevokeDevice => &mut out,
        };
        out.finish()
    }
}

impl IssuedToken {
    /// Writes `token`, `expiresAt` and `expiresIn` into `out`.
    fn members<'a>(&self, out: &'a mut json::Object) -> &'a mut json::Object {
        out.bytes("token", &self.token)
            .number("expiresAt", self.expires_at)
            .number("expiresIn", self.expires_in)
    }

    fn to_json(&self) -> Zeroizing<String> {
        self.members(&mut json::Object::new()).finish()
    }
}

impl DeviceInfo {
    /// The device as JSON, in the `listDevices` reply.
    fn to_json(&self) -> Zeroizing<String> {
        json::Object::new()
            .bytes("deviceId", &self.device_id)
            .number("registeredAt", self.registered_at)
            .number("lastUsedAt", self.last_used_at)
            .boolean("hasPin", self.has_pin)
            .boolean("current", self.current)
            .finish()
    }
}

impl Error {
    /// The error body: `code` and `message`, and the hints that are set.
    fn to_json(&self) -> Zeroizing<String> {
        let mut out = json::Object::new();
        out.text("code", self.code().as_str())
            .text("message", self.message());
        if let Some(attempts) = self.attempts_remaining() {
            out.number("attemptsRemaining", u64::from(attempts));
        }
        if let Some(seconds) = self.retry_after_seconds() {
            out.number("retryAfterSeconds", seconds);
        }
        if let Some(reason) = self.reason() {
            out.text("reason", reason);
        }
        out.finish()
    }
}

impl json::Object {
    /// The members every signed request has: the device, its challenge and signature.
    fn signed(&mut self, request: &impl SignedRequest) -> &mut Self {
        self.bytes("deviceId", request.device_id())
            .bytes("challenge", request.challenge())
            .bytes("signature", request.signature())
    }
}

/// A small JSON reader and writer, enough for the protocol and the stored tokens: objects,
/// arrays, strings, `true`/`false`/`null` and numbers (read as unsigned integers).
pub mod json {
    use super::Bytes;
    use alloc::{borrow::ToOwned, string::String, vec::Vec};
    use core::fmt;
    use zeroize::Zeroizing;

    /// How deeply values may nest; deeper input is refused (the wire nests 4 deep at most,
    /// a snapshot 5).
    const MAX_DEPTH: usize = 32;

    /// A parsed JSON value. Strings are zeroized when dropped and redacted in `Debug`:
    /// they carry tokens.
    #[derive(PartialEq, Eq)]
    pub enum Value {
        /// `null`.
        Null,
        /// `true` or `false`.
        Bool(bool),
        /// A number: `Some` for an unsigned integer that fits a `u64`, `None` otherwise.
        Number(Option<u64>),
        /// A string.
        Str(Zeroizing<String>),
        /// An array.
        Array(Vec<Value>),
        /// An object's members, in order.
        Object(Vec<(String, Value)>),
    }

    impl fmt::Debug for Value {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Value::Null => f.write_str("Null"),
                Value::Bool(b) => f.debug_tuple("Bool").field(b).finish(),
                Value::Number(n) => f.debug_tuple("Number").field(n).finish(),
                Value::Str(_) => f.write_str("Str(redacted)"),
                Value::Array(items) => f.debug_tuple("Array").field(items).finish(),
                Value::Object(members) => f.debug_tuple("Object").field(members).finish(),
            }
        }
    }

    impl Value {
        /// The value of a whole JSON text, `None` unless it is well-formed.
        pub fn parse(text: &str) -> Option<Value> {
            let mut reader = Reader {
                bytes: text.as_bytes(),
                at: 0,
            };
            let value = reader.value(0)?;
            reader.skip_space();
            (reader.at == reader.bytes.len()).then_some(value)
        }

        /// An object's members.
        pub fn members(&self) -> Option<&[(String, Value)]> {
            match self {
                Value::Object(members) => Some(members),
                _ => None,
            }
        }

        /// An array's items.
        pub fn items(&self) -> Option<&[Value]> {
            match self {
                Value::Array(items) => Some(items),
                _ => None,
            }
        }

        /// The member `key` of an object.
        pub fn get(&self, key: &str) -> Option<&Value> {
            self.members()?
                .iter()
                .find_map(|(name, value)| (name == key).then_some(value))
        }

        /// `Some(())` for an object whose members are all in `known`, each at most once.
        pub fn only(&self, known: &[&str]) -> Option<()> {
            let members = self.members()?;
            let unique = members.iter().enumerate().all(|(i, (name, _))| {
                known.contains(&name.as_str())
                    && !members.iter().take(i).any(|(earlier, _)| earlier == name)
            });
            unique.then_some(())
        }

        /// `Some(())` for an object in which each of `names` occurs at most once (other
        /// members may repeat).
        pub fn unique(&self, names: &[&str]) -> Option<()> {
            let members = self.members()?;
            names
                .iter()
                .all(|name| members.iter().filter(|(key, _)| key == name).count() <= 1)
                .then_some(())
        }

        /// An `Option` member as serde reads it: `Some(None)` when it is missing or
        /// `null`, `Some(Some(_))` when `read` accepts it, `None` when it refuses it.
        pub fn optional<T>(
            &self,
            key: &str,
            read: impl FnOnce(&Value) -> Option<T>,
        ) -> Option<Option<T>> {
            match self.get(key) {
                None | Some(Value::Null) => Some(None),
                Some(present) => read(present).map(Some),
            }
        }

        /// A string's text.
        pub fn as_str(&self) -> Option<&str> {
            match self {
                Value::Str(text) => Some(text),
                _ => None,
            }
        }

        /// A copy of a string's text.
        pub fn to_text(&self) -> Option<String> {
            self.as_str().map(str::to_owned)
        }

        /// A string holding unpadded base64url bytes.
        pub fn to_bytes<const N: usize>(&self) -> Option<Bytes<N>> {
            Bytes::from_base64url(self.as_str()?).ok()
        }

        /// An unsigned integer.
        pub fn as_u64(&self) -> Option<u64> {
            match self {
                Value::Number(n) => *n,
                _ => None,
            }
        }

        /// A boolean.
        pub fn as_bool(&self) -> Option<bool> {
            match self {
                Value::Bool(b) => Some(*b),
                _ => None,
            }
        }
    }

    struct Reader<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    impl<'a> Reader<'a> {
        fn peek(&self) -> Option<u8> {
            self.bytes.get(self.at).copied()
        }

        fn next(&mut self) -> Option<u8> {
            let byte = self.peek()?;
            self.at += 1;
            Some(byte)
        }

        fn skip_space(&mut self) {
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                self.at += 1;
            }
        }

        fn literal(&mut self, word: &[u8], value: Value) -> Option<Value> {
            let end = self.at.checked_add(word.len())?;
            (self.bytes.get(self.at..end)? == word).then(|| {
                self.at = end;
                value
            })
        }

        fn value(&mut self, depth: usize) -> Option<Value> {
            if depth > MAX_DEPTH {
                return None;
            }
            self.skip_space();
            match self.peek()? {
                b'{' => self.object(depth),
                b'[' => self.array(depth),
                b'"' => self.string().map(|s| Value::Str(Zeroizing::new(s))),
                b't' => self.literal(b"true", Value::Bool(true)),
                b'f' => self.literal(b"false", Value::Bool(false)),
                b'n' => self.literal(b"null", Value::Null),
                _ => self.number(),
            }
        }

        /// Calls `item` for each element of a `[`…`]` or `{`…`}` list after its opening
        /// byte, separated by commas, until `close`.
        fn list(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
            self.at += 1;
            self.skip_space();
            if self.peek() == Some(close) {
                self.at += 1;
                return Some(());
            }
            loop {
                item(self)?;
                self.skip_space();
                match self.next()? {
                    b',' => {}
                    byte if byte == close => return Some(()),
                    _ => return None,
                }
            }
        }

        fn object(&mut self, depth: usize) -> Option<Value> {
            let mut members = Vec::new();
            self.list(b'}', |reader| {
                reader.skip_space();
                if reader.peek() != Some(b'"') {
                    return None;
                }
                let name = reader.string()?;
                reader.skip_space();
                if reader.next()? != b':' {
                    return None;
                }
                members.push((name, reader.value(depth + 1)?));
                Some(())
            })?;
            Some(Value::Object(members))
        }

        fn array(&mut self, depth: usize) -> Option<Value> {
            let mut items = Vec::new();
            self.list(b']', |reader| {
                items.push(reader.value(depth + 1)?);
                Some(())
            })?;
            Some(Value::Array(items))
        }

        /// A number; only `0` or digits without a leading zero, unsigned and fitting a
        /// `u64`, keep their value. Numbers of 1e308 or more in magnitude are refused:
        /// serde_json refuses those past `f64::MAX` ("number out of range").
        fn number(&mut self) -> Option<Value> {
            let start = self.at;
            if self.peek() == Some(b'-') {
                self.at += 1;
            }
            let digits = self.digits()?;
            let leading_zero = digits.len() > 1 && digits.first() == Some(&b'0');
            let mut integer = true;
            let mut fraction: &[u8] = &[];
            if self.peek() == Some(b'.') {
                self.at += 1;
                fraction = self.digits()?;
                integer = false;
            }
            let mut exponent = 0i64;
            if matches!(self.peek(), Some(b'e' | b'E')) {
                self.at += 1;
                let negative = self.peek() == Some(b'-');
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.at += 1;
                }
                exponent = self.digits()?.iter().fold(0i64, |n, d| {
                    n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
                });
                if negative {
                    exponent = -exponent;
                }
                integer = false;
            }
            if leading_zero {
                return None;
            }
            // The decimal exponent of the first significant digit.
            if let Some(first) = digits.iter().chain(fraction).position(|&d| d != b'0') {
                let point = i64::try_from(digits.len()).ok()? - 1;
                let magnitude = (point - i64::try_from(first).ok()?).saturating_add(exponent);
                if magnitude >= 308 {
                    return None;
                }
            }
            let negative = self.bytes.get(start) == Some(&b'-');
            let value = (integer && !negative)
                .then(|| decimal_value(digits))
                .flatten();
            Some(Value::Number(value))
        }

        /// One or more ASCII digits.
        fn digits(&mut self) -> Option<&'a [u8]> {
            let start = self.at;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.at += 1;
            }
            let bytes: &'a [u8] = self.bytes;
            let digits = bytes.get(start..self.at)?;
            (!digits.is_empty()).then_some(digits)
        }

        /// A string after its opening quote is next. A string without escapes is copied
        /// at once; one with escapes is built in one zeroized buffer as long as the quoted
        /// span (escapes only shorten it). Either way no copy of a token is left behind by
        /// a reallocation or an early return.
        fn string(&mut self) -> Option<String> {
            self.at += 1;
            let rest = self.bytes.get(self.at..).unwrap_or_default();
            let plain = rest
                .iter()
                .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)?;
            if rest.get(plain) == Some(&b'"') {
                // The span ends before an ASCII quote of a `str`: it is whole UTF-8.
                let text = core::str::from_utf8(rest.get(..plain)?).ok()?.to_owned();
                self.at += plain + 1;
                return Some(text);
            }
            let mut out = Zeroizing::new(Vec::with_capacity(self.span()));
            loop {
                match self.next()? {
                    b'"' => {
                        return String::from_utf8(core::mem::take(&mut *out)).ok();
                    }
                    b'\\' => {
                        let unescaped = match self.next()? {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => self.escaped_char()?,
                            _ => return None,
                        };
                        let mut buffer = [0; 4];
                        out.extend_from_slice(unescaped.encode_utf8(&mut buffer).as_bytes());
                    }
                    byte if byte < 0x20 => return None,
                    byte => out.push(byte),
                }
            }
        }

        /// The number of bytes from here to the string's closing quote (or the end).
        fn span(&self) -> usize {
            let rest = self.bytes.get(self.at..).unwrap_or_default();
            let mut escaped = false;
            rest.iter()
                .position(|&byte| {
                    let end = byte == b'"' && !escaped;
                    escaped = byte == b'\\' && !escaped;
                    end
                })
                .unwrap_or(rest.len())
        }

        /// The character of a `\u` escape (after the `u`), joining a surrogate pair.
        fn escaped_char(&mut self) -> Option<char> {
            let first = self.hex4()?;
            if !(0xd800..0xdc00).contains(&first) {
                return char::from_u32(first);
            }
            if self.next()? != b'\\' || self.next()? != b'u' {
                return None;
            }
            let second = self.hex4()?;
            if !(0xdc00..0xe000).contains(&second) {
                return None;
            }
            char::from_u32(0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00))
        }

        fn hex4(&mut self) -> Option<u32> {
            (0..4).try_fold(0, |n, _| {
                Some(n * 16 + char::from(self.next()?).to_digit(16)?)
            })
        }
    }

    /// Writes one JSON object, member by member. Its text is zeroized when dropped and
    /// whenever it moves to a larger allocation (see [`append`]).
    pub struct Object(Zeroizing<String>);

    impl Default for Object {
        fn default() -> Self {
            Object::new()
        }
    }

    impl Object {
        /// An empty object.
        pub fn new() -> Self {
            Object(Zeroizing::new(String::from("{")))
        }

        fn key(&mut self, key: &str) -> &mut Zeroizing<String> {
            if self.0.len() > 1 {
                append(&mut self.0, ",");
            }
            push_string(&mut self.0, key);
            append(&mut self.0, ":");
            &mut self.0
        }

        /// A string member.
        pub fn text(&mut self, key: &str, value: &str) -> &mut Self {
            push_string(self.key(key), value);
            self
        }

        /// A member of bytes as unpadded base64url text.
        pub fn bytes<const N: usize>(&mut self, key: &str, value: &Bytes<N>) -> &mut Self {
            self.text(key, &Zeroizing::new(value.to_base64url()))
        }

        /// An unsigned integer member.
        pub fn number(&mut self, key: &str, value: u64) -> &mut Self {
            append(self.key(key), &decimal(value));
            self
        }

        /// A member holding JSON written already (a nested object or array).
        pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
            append(self.key(key), json);
            self
        }

        /// A boolean member.
        pub fn boolean(&mut self, key: &str, value: bool) -> &mut Self {
            append(self.key(key), if value { "true" } else { "false" });
            self
        }

        /// The object's text (zeroized when dropped: it may hold secrets).
        pub fn finish(&mut self) -> Zeroizing<String> {
            append(&mut self.0, "}");
            core::mem::take(&mut self.0)
        }
    }

    /// `text` as a JSON string, quoted and escaped (zeroized when dropped).
    pub fn string(text: &str) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::new());
        push_string(&mut out, text);
        out
    }

    /// A JSON array of values written already (zeroized when dropped, as its items).
    pub fn array(items: impl Iterator<Item = Zeroizing<String>>) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::from("["));
        for (i, item) in items.enumerate() {
            if i > 0 {
                append(&mut out, ",");
            }
            append(&mut out, &item);
        }
        append(&mut out, "]");
        out
    }

    /// Makes room for `extra` more bytes in `out`. A `String` that grows copies its text
    /// to a new allocation and frees the old one unwiped; here the text moves to a new
    /// zeroized buffer (at least twice as large) and the old one is wiped as it drops.
    fn reserve(out: &mut Zeroizing<String>, extra: usize) {
        let needed = out.len().saturating_add(extra);
        if needed > out.capacity() {
            let mut grown = String::with_capacity(needed.max(out.capacity().saturating_mul(2)));
            grown.push_str(out);
            *out = Zeroizing::new(grown);
        }
    }

    /// Appends `text` to `out` without leaving a copy behind (see [`reserve`]).
    fn append(out: &mut Zeroizing<String>, text: &str) {
        reserve(out, text.len());
        out.push_str(text);
    }

    /// `\u00XX` escapes of the control characters, by code.
    const CONTROL_ESCAPES: [&str; 32] = [
        "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
        "\\u0008", "\\u0009", "\\u000a", "\\u000b", "\\u000c", "\\u000d", "\\u000e", "\\u000f",
        "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
        "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
    ];

    /// How JSON writes a character it cannot hold as it is (`None` for the others).
    fn escape(c: char) -> Option<&'static str> {
        Some(match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            c => CONTROL_ESCAPES.get(usize::try_from(u32::from(c)).ok()?)?,
        })
    }

    /// Appends `text` quoted and escaped, in room reserved first for exactly that much.
    fn push_string(out: &mut Zeroizing<String>, text: &str) {
        let quoted = text.chars().fold(2usize, |len, c| {
            len.saturating_add(escape(c).map_or(c.len_utf8(), str::len))
        });
        reserve(out, quoted);
        out.push('"');
        for c in text.chars() {
            match escape(c) {
                Some(escaped) => out.push_str(escaped),
                None => out.push(c),
            }
        }
        out.push('"');
    }

    /// The value of ASCII decimal `digits`; `None` for another byte or a value that does
    /// not fit a `u64` (the reader of numbers, without `core`'s integer parser).
    pub fn decimal_value(digits: &[u8]) -> Option<u64> {
        digits.iter().try_fold(0u64, |n, d| {
            let digit = d.checked_sub(b'0').filter(|digit| *digit < 10)?;
            n.checked_mul(10)?.checked_add(u64::from(digit))
        })
    }

    /// The decimal digits of `n`, without the formatting machinery (`to_string`).
    pub fn decimal(n: u64) -> String {
        let mut out = String::new();
        let mut digits = [0u8; 20];
        let mut rest = n;
        let mut len = 0;
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
            len += 1;
            if rest == 0 {
                break;
            }
        }
        for &digit in digits.iter().skip(20 - len) {
            out.push(char::from(digit));
        }
        out
    }
}

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
                expires_in: 4,
            },
            pin: PinStep::PinAuth(IssuedToken {
                token: Token::new([1; 32]),
                expires_at: 6,
                expires_in: 3,
            }),
        });
        let value = serde_json::to_value(&login).unwrap();
        assert_eq!(value["endpoint"], "login");
        assert_eq!(value["userId"], "u1");
        assert_eq!(value["access"]["expiresAt"], 5);
        assert_eq!(value["access"]["expiresIn"], 4);
        assert_eq!(value["pin"]["pinAuth"]["expiresAt"], 6);
        assert_eq!(value["pin"]["pinAuth"]["expiresIn"], 3);
    }

    #[test]
    fn unknown_fields_and_endpoints_are_refused() {
        let extra = json!({ "endpoint": "forgotPin", "email": "a@b.c", "admin": true });
        assert!(serde_json::from_value::<Request>(extra).is_err());
        let unknown = json!({ "endpoint": "dropTables" });
        assert!(serde_json::from_value::<Request>(unknown).is_err());
    }

    /// A signed request whose fields are all different bytes: 1s to 5s, the signature 0s.
    fn change_pin_request() -> ChangePinRequest {
        ChangePinRequest {
            access_token: Token::new([1; 32]),
            device_id: DeviceId::new([2; 16]),
            old_proof: PinProof::new([3; 32]),
            new_proof: PinProof::new([4; 32]),
            challenge: Token::new([5; 32]),
            signature: Signature::new([0; 64]),
        }
    }

    #[test]
    fn the_signing_payload_covers_every_field_but_the_signature() {
        let base = change_pin_request();
        let payload = base.signing_payload();
        let mut resigned = base.clone();
        resigned.signature = Signature::new([9; 64]);
        assert_eq!(resigned.signing_payload(), payload);

        let mut swapped = base.clone();
        core::mem::swap(&mut swapped.old_proof, &mut swapped.new_proof);
        assert_ne!(swapped.signing_payload(), payload);
        let mut other_challenge = base.clone();
        other_challenge.challenge = Token::new([6; 32]);
        assert_ne!(other_challenge.signing_payload(), payload);
        let mut other_device = base;
        other_device.device_id = DeviceId::new([8; 16]);
        assert_ne!(other_device.signing_payload(), payload);
    }

    /// The payload byte for byte as the README documents it for a server implementer; the
    /// fields' BLAKE2b-512 was computed apart, with Python's `hashlib.blake2b`.
    #[test]
    fn the_signing_payload_is_the_documented_bytes() {
        let request = change_pin_request();
        let fields_hash = "c9bb11adf529139a15ecace8e8ab44ec966bc1eebe14db2dc32d1eb92525dcb9\
                           367da261a4ae12ea1084785de7f1269d335fc313390a47bc29cb1bb2f12d48dc";
        let mut expected = b"pinauth/v1/device-signature\0changePin\0".to_vec();
        expected.extend([5; 32]);
        expected.extend([2; 16]);
        expected.extend(
            (0..64).map(|i| u8::from_str_radix(&fields_hash[2 * i..2 * i + 2], 16).unwrap()),
        );
        assert_eq!(request.signing_payload(), expected);
    }

    /// One request of every endpoint, with text that needs escaping.
    fn every_request() -> Vec<Request> {
        let token = |b| Token::new([b; 32]);
        let device_id = DeviceId::new([2; 16]);
        let email = "a\"b\\c\n\u{1}\u{7f}é😀@example.com";
        vec![
            Request::Register(RegisterRequest {
                email: email.into(),
                password: SecretString::new("pa\tss\u{1f}word/\""),
            }),
            Request::Login(LoginRequest {
                email: email.into(),
                password: SecretString::new("hunter2hunter2"),
                device_id: device_id.clone(),
            }),
            Request::Challenge(ChallengeRequest {
                device_id: device_id.clone(),
            }),
            Request::SetPin(SetPinRequest {
                pin_auth_token: token(3),
                device_id: device_id.clone(),
                device_public_key: PublicKey::new([4; 65]),
                pin_proof: PinProof::new([5; 32]),
                challenge: token(6),
                signature: Signature::new([7; 64]),
            }),
            Request::LoginWithPin(LoginWithPinRequest {
                session_token: token(3),
                device_id: device_id.clone(),
                pin_proof: PinProof::new([5; 32]),
                challenge: token(6),
                signature: Signature::new([7; 64]),
            }),
            Request::Reauthenticate(ReauthenticateRequest {
                access_token: token(3),
                device_id: device_id.clone(),
                pin_proof: PinProof::new([5; 32]),
                challenge: token(6),
                signature: Signature::new([7; 64]),
            }),
            Request::ValidateReauth(ValidateReauthRequest {
                reauth_token: token(8),
            }),
            Request::ChangePin(ChangePinRequest {
                access_token: token(3),
                device_id: device_id.clone(),
                old_proof: PinProof::new([5; 32]),
                new_proof: PinProof::new([9; 32]),
                challenge: token(6),
                signature: Signature::new([7; 64]),
            }),
            Request::ForgotPin(ForgotPinRequest {
                email: email.into(),
            }),
            Request::ResetPin(ResetPinRequest {
                reset_token: token(3),
                device_id: device_id.clone(),
                device_public_key: PublicKey::new([4; 65]),
                new_proof: PinProof::new([9; 32]),
                challenge: token(6),
                signature: Signature::new([7; 64]),
            }),
            Request::Logout(LogoutRequest::default()),
            Request::Logout(LogoutRequest {
                session_token: Some(token(1)),
                ..LogoutRequest::default()
            }),
            Request::Logout(LogoutRequest {
                session_token: Some(token(1)),
                access_token: Some(token(2)),
                pin_auth_token: None,
            }),
            Request::Logout(LogoutRequest {
                pin_auth_token: Some(token(4)),
                ..LogoutRequest::default()
            }),
            Request::ListDevices(ListDevicesRequest {
                access_token: token(3),
            }),
            Request::RevokeDevice(RevokeDeviceRequest {
                access_token: token(3),
                device_id,
            }),
        ]
    }

    #[test]
    fn hand_written_requests_are_the_serde_json() {
        for request in every_request() {
            let text = request.to_json();
            let read: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(read, serde_json::to_value(&request).unwrap(), "{}", *text);
            let endpoint = serde_json::to_value(&request).unwrap()["endpoint"].clone();
            assert_eq!(endpoint, request.endpoint());
        }
    }

    #[test]
    fn hand_read_requests_are_what_serde_reads() {
        for request in every_request() {
            let expected = serde_json::to_value(&request).unwrap();
            for text in [
                serde_json::to_string(&request).unwrap(),
                serde_json::to_string_pretty(&request).unwrap(),
            ] {
                let read = Request::from_json(&text).unwrap_or_else(|| panic!("{text}"));
                assert_eq!(serde_json::to_value(&read).unwrap(), expected);
            }
        }
        let logout = r#"{"sessionToken":null,"endpoint":"logout"}"#;
        let read = Request::from_json(logout).unwrap();
        let by_serde = serde_json::from_str::<Request>(logout).unwrap();
        assert_eq!(
            serde_json::to_value(read).unwrap(),
            serde_json::to_value(by_serde).unwrap()
        );
    }

    #[test]
    fn hand_read_requests_refuse_what_serde_refuses() {
        let device = DeviceId::new([2; 16]).to_base64url();
        let token = Token::new([1; 32]).to_base64url();
        let refused = [
            String::new(),
            "[]".into(),
            "{}".into(),
            r#"{"endpoint":"dropTables"}"#.into(),
            r#"{"endpoint":7}"#.into(),
            r#"{"endpoint":"forgotPin","email":"a@b.c","admin":true}"#.into(),
            r#"{"endpoint":"forgotPin"}"#.into(),
            r#"{"endpoint":"forgotPin","email":null}"#.into(),
            r#"{"endpoint":"forgotPin","email":["a@b.c"]}"#.into(),
            r#"{"endpoint":"forgotPin","email":"a@b.c","email":"c@d.e"}"#.into(),
            r#"{"endpoint":"forgotPin","endpoint":"forgotPin","email":"a@b.c"}"#.into(),
            r#"{"endpoint":"register","email":"a@b.c"}"#.into(),
            format!(r#"{{"endpoint":"challenge","deviceId":"{device}A"}}"#),
            format!(r#"{{"endpoint":"challenge","deviceId":"{token}"}}"#),
            format!(r#"{{"endpoint":"logout","sessionToken":"{token}","accessToken":1}}"#),
            format!(r#"{{"endpoint":"listDevices","accessToken":"{token}"}} x"#),
            format!(
                r#"{{"endpoint":"listDevices","accessToken":"{token}","deviceId":"{device}"}}"#
            ),
        ];
        for text in &refused {
            assert!(serde_json::from_str::<Request>(text).is_err(), "{text}");
            assert!(Request::from_json(text).is_none(), "{text}");
        }
    }

    #[test]
    fn hand_written_responses_are_serdes_bytes() {
        for response in every_response() {
            assert_eq!(
                *response.to_json(),
                serde_json::to_string(&response).unwrap()
            );
        }
    }

    /// One response of every reply, and errors with and without hints.
    fn every_response() -> Vec<Response> {
        let issued = |b| IssuedToken {
            token: Token::new([b; 32]),
            expires_at: u64::MAX - u64::from(b),
            expires_in: 900_000 + u64::from(b),
        };
        let device = |current: bool| DeviceInfo {
            device_id: DeviceId::new([4; 16]),
            registered_at: 0,
            last_used_at: 1_700_000_000_000,
            has_pin: !current,
            current,
        };
        let mut weak = Error::weak_pin(crate::pin::PinRejection::Sequence);
        weak = Error::from_wire(
            weak.code(),
            "a \"quoted\"\n message ✓".into(),
            None,
            None,
            weak.reason().map(str::to_owned),
        );
        let replies = vec![
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
                email: "a@b.co".into(),
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
                devices: vec![device(false), device(true)],
            }),
            Reply::RevokeDevice,
        ];
        let errors = vec![
            Error::new(ErrorCode::InvalidCredentials),
            Error::invalid_pin(3),
            Error::retry_after(ErrorCode::AccountLocked, 900),
            weak,
        ];
        replies
            .into_iter()
            .map(Response::Ok)
            .chain(errors.into_iter().map(Response::Error))
            .collect()
    }

    #[test]
    fn hand_read_responses_are_what_serde_reads() {
        for response in every_response() {
            let expected = serde_json::to_value(&response).unwrap();
            for text in [
                serde_json::to_string(&response).unwrap(),
                serde_json::to_string_pretty(&response).unwrap(),
            ] {
                let read = Response::from_json(&text).unwrap_or_else(|| panic!("{text}"));
                assert_eq!(
                    serde_json::to_value(Response::from(read)).unwrap(),
                    expected
                );
            }
        }
    }

    #[test]
    fn hand_read_responses_refuse_what_serde_refuses() {
        let token = Token::new([1; 32]).to_base64url();
        let refused = [
            String::new(),
            "{".into(),
            "null".into(),
            "{}".into(),
            r#"{"ok":{"endpoint":"logout"},"error":{}}"#.into(),
            r#"{"fine":{"endpoint":"logout"}}"#.into(),
            r#"{"ok":{"endpoint":"dropTables"}}"#.into(),
            r#"{"ok":{"endpoint":"register"}}"#.into(),
            r#"{"ok":{"endpoint":"register","userId":7}}"#.into(),
            format!(
                r#"{{"ok":{{"endpoint":"challenge","token":"{token}","expiresIn":1,"expiresAt":1.5}}}}"#
            ),
            format!(
                r#"{{"ok":{{"endpoint":"challenge","token":"{token}","expiresIn":1,"expiresAt":-1}}}}"#
            ),
            format!(
                r#"{{"ok":{{"endpoint":"challenge","token":"{token}","expiresIn":1,"expiresAt":01}}}}"#
            ),
            format!(
                r#"{{"ok":{{"endpoint":"challenge","token":"{token}","expiresIn":1,"expiresAt":18446744073709551616}}}}"#
            ),
            format!(
                r#"{{"ok":{{"endpoint":"challenge","token":"{token}x","expiresIn":1,"expiresAt":1}}}}"#
            ),
            format!(
                r#"{{"ok":{{"endpoint":"challenge","token":"{token}","expiresIn":1,"expiresAt":1}}}} x"#
            ),
            format!(r#"{{"ok":{{"endpoint":"challenge","token":"{token}","expiresAt":1}}}}"#),
            format!(
                r#"{{"ok":{{"endpoint":"challenge","token":"{token}","expiresIn":-1,"expiresAt":1}}}}"#
            ),
            format!(
                r#"{{"ok":{{"endpoint":"challenge","token":"{token}","expiresIn":"1","expiresAt":1}}}}"#
            ),
            r#"{"error":{"message":"no code"}}"#.into(),
            r#"{"error":{"code":"INVALID_PIN","message":"m","attemptsRemaining":4294967296}}"#
                .into(),
            r#"{"error":{"code":"INVALID_PIN","message":"bad \x escape"}}"#.into(),
            "{\"error\":{\"code\":\"INVALID_PIN\",\"message\":\"raw \n newline\"}}".into(),
            r#"{"error":{"code":"INVALID_PIN","message":"lone \ud800 surrogate"}}"#.into(),
            format!("{}{}", "[".repeat(100), "]".repeat(100)),
        ];
        for text in &refused {
            assert!(serde_json::from_str::<Response>(text).is_err(), "{text}");
            assert!(Response::from_json(text).is_none(), "{text}");
        }
    }

    #[test]
    fn hand_read_responses_accept_what_serde_accepts() {
        let accepted = [
            r#" { "ok" : { "expiresAt" : 0 , "expiresIn" : 0 , "endpoint" : "challenge" , "token" : "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE" } } "#,
            r#"{"ok":{"endpoint":"logout","extra":[1,{"a":null}]}}"#,
            // Fields the client does not know are ignored, at every level: a server may
            // add its own.
            r#"{"ok":{"endpoint":"register","userId":"u","admin":true}}"#,
            r#"{"ok":{"endpoint":"challenge","token":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE","expiresIn":1,"expiresAt":1,"x":0}}"#,
            r#"{"ok":{"endpoint":"login","userId":"u","requestId":"r1","access":{"token":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE","expiresAt":2,"expiresIn":1,"kind":"access"},"pin":{"pinAuth":{"token":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI","expiresAt":3,"expiresIn":2,"x":[]}}}}"#,
            r#"{"ok":{"endpoint":"listDevices","devices":[{"deviceId":"AQEBAQEBAQEBAQEBAQEBAQ","registeredAt":1,"lastUsedAt":2,"hasPin":true,"current":false,"name":"Laptop"}],"next":null}}"#,
            r#"{"error":{"code":"SOMETHING_NEW","message":"\u00e9\ud83d\ude00\/","future":{}}}"#,
            r#"{"error":{"code":"RATE_LIMITED","message":"m","retryAfterSeconds":null,"reason":null}}"#,
            r#"{"error":{"code":"WEAK_PIN","message":"m","reason":"SEQUENCE"}}"#,
            r#"{"error":{"code":"WEAK_PIN","message":"m","reason":"<img src=x>"}}"#,
        ];
        for text in accepted {
            let expected = serde_json::from_str::<Response>(text).unwrap();
            let read = Response::from_json(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(
                serde_json::to_value(Response::from(read)).unwrap(),
                serde_json::to_value(expected).unwrap()
            );
        }
    }

    #[test]
    fn a_servers_error_keeps_its_reason_only_when_it_is_a_pin_rule() {
        let reason = |reason: &str| {
            let text = [
                r#"{"error":{"code":"WEAK_PIN","message":"m","reason":""#,
                reason,
                r#""}}"#,
            ]
            .concat();
            match Response::from_json(&text) {
                Some(Err(error)) => error.reason().map(str::to_owned),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(reason("COMMON").as_deref(), Some("COMMON"));
        assert_eq!(reason("common"), None);
        assert_eq!(reason("<img src=x onerror=alert(1)>"), None);
    }

    #[test]
    fn hand_read_responses_refuse_repeated_fields_as_serde_does() {
        for text in [
            r#"{"ok":{"endpoint":"logout","endpoint":"logout"}}"#,
            r#"{"ok":{"endpoint":"changePin","endpoint":"dropTables"}}"#,
            r#"{"ok":{"endpoint":"register","userId":"u","userId":"v"}}"#,
            r#"{"ok":{"endpoint":"challenge","token":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE","expiresIn":1,"expiresAt":1,"expiresAt":2}}"#,
            r#"{"ok":{"endpoint":"login","userId":"u","access":{"token":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE","expiresAt":2,"expiresIn":1,"expiresIn":9},"pin":{"pinAuth":{"token":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI","expiresAt":3,"expiresIn":2}}}}"#,
            r#"{"ok":{"endpoint":"listDevices","devices":[{"deviceId":"AQEBAQEBAQEBAQEBAQEBAQ","registeredAt":1,"lastUsedAt":2,"hasPin":true,"hasPin":false,"current":false}]}}"#,
            r#"{"error":{"code":"INVALID_PIN","code":"INTERNAL","message":"m"}}"#,
            r#"{"error":{"code":"INVALID_PIN","message":"m","message":"n"}}"#,
            r#"{"error":{"code":"INVALID_PIN","message":"m","attemptsRemaining":null,"attemptsRemaining":3}}"#,
            r#"{"error":{"code":"INVALID_PIN","message":"m","reason":null,"reason":"x"}}"#,
        ] {
            assert!(serde_json::from_str::<Response>(text).is_err(), "{text}");
            assert!(Response::from_json(text).is_none(), "{text}");
        }
        // Both ignore a repeated unknown field.
        let text = r#"{"error":{"code":"INVALID_PIN","message":"m","x":1,"x":2}}"#;
        assert!(serde_json::from_str::<Response>(text).is_ok());
        assert!(Response::from_json(text).is_some());
    }

    #[test]
    fn hand_read_numbers_past_f64_range_are_refused_as_serde_does() {
        let huge = format!("1{}", "0".repeat(309));
        let refused = [
            "1e400",
            "-2e308",
            "1e99999999999999999999",
            "0.0001e313",
            huge.as_str(),
        ];
        let accepted = [
            "1e307",
            "-9.99e307",
            "0e99999999999999999999",
            "1e-400",
            "1e-99999999999999999999",
            "0.0001e310",
            "123456789012345678901234567890",
            "-0.5",
        ];
        for (number, ok) in refused
            .iter()
            .map(|n| (n, false))
            .chain(accepted.iter().map(|n| (n, true)))
        {
            let text = format!(r#"{{"ok":{{"endpoint":"logout","extra":{number}}}}}"#);
            assert_eq!(
                serde_json::from_str::<Response>(&text).is_ok(),
                ok,
                "{text}"
            );
            assert_eq!(Response::from_json(&text).is_some(), ok, "{text}");
        }
        // From 1e308 up to `f64::MAX` the client is the stricter one.
        let text = r#"{"ok":{"endpoint":"logout","extra":1e308}}"#;
        assert!(serde_json::from_str::<Response>(text).is_ok());
        assert!(Response::from_json(text).is_none());
    }

    #[test]
    fn hand_read_nesting_is_bounded() {
        let deep = 100_000;
        for text in [
            "[".repeat(deep),
            format!("{}{}", "[".repeat(deep), "]".repeat(deep)),
            format!("{}1{}", "{\"a\":".repeat(deep), "}".repeat(deep)),
            // serde_json skips an unknown member without a depth limit; this is refused.
            format!(
                r#"{{"error":{{"code":"X","message":"m","x":{}{}}}}}"#,
                "[".repeat(deep),
                "]".repeat(deep)
            ),
        ] {
            assert!(Response::from_json(&text).is_none());
        }
        // 32 levels below the top are read; one more is refused.
        let nested = |levels: usize| {
            format!(
                r#"{{"ok":{{"endpoint":"logout","x":{}{}}}}}"#,
                "[".repeat(levels),
                "]".repeat(levels)
            )
        };
        assert!(Response::from_json(&nested(31)).is_some());
        assert!(Response::from_json(&nested(32)).is_none());
    }

    #[test]
    fn hand_read_values_redact_strings_in_debug() {
        let value = json::Value::parse(r#"{"token":"s3cr3t","n":[1,true,null]}"#).unwrap();
        let shown = format!("{value:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }

    #[test]
    fn hand_read_strings_fill_one_buffer_of_the_quoted_length() {
        // No reallocation, so no unzeroized copy of a token is left behind.
        let token = Token::new([1; 32]).to_base64url();
        for (text, len) in [
            (format!("\"{token}\""), token.len()),
            (r#""a\u00e9\"\\\ud83d\ude00b""#.to_owned(), 24),
        ] {
            match json::Value::parse(&text) {
                Some(json::Value::Str(s)) => assert_eq!(s.capacity(), len, "{text}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn hand_read_strings_are_what_serde_reads() {
        for text in [
            r#""""#,
            r#""plain token-_09""#,
            "\"caf\u{e9} \u{1f600}\"",
            r#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#,
            r#""\u0000""#,
            "\"tab\tinside\"",
            "\"line\nbreak\"",
            "\"\u{7f}\"",
            r#""unterminated"#,
            r#""ends in a backslash\""#,
            r#""bad escape \x""#,
            r#""lone surrogate \ud800""#,
            r#""x" trailing"#,
        ] {
            let serde = serde_json::from_str::<String>(text).ok();
            let ours = match json::Value::parse(text) {
                Some(json::Value::Str(s)) => Some(s.to_string()),
                _ => None,
            };
            assert_eq!(ours, serde, "{text:?}");
        }
    }

    #[test]
    fn written_strings_fill_one_buffer_of_the_quoted_length() {
        // The room is reserved exactly, before any byte is written, so the text is never
        // moved by a reallocation that would leave an unwiped copy of a token.
        let token = Token::new([1; 32]).to_base64url();
        for text in [
            token.as_str(),
            "",
            "quote \" backslash \\ slash /",
            "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "caf\u{e9} \u{1f600}",
        ] {
            let written = json::string(text);
            assert_eq!(written.capacity(), written.len(), "{text:?}");
            assert_eq!(*written, serde_json::to_string(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn written_objects_and_arrays_are_serdes_bytes() {
        // Enough members to move the text to larger buffers many times over.
        let mut object = json::Object::new();
        let mut expected = Vec::new();
        for i in 0..100u64 {
            let (key, value) = (format!("k\n{i}"), format!("t\u{1}\"{i}"));
            object.text(&key, &value).number(&format!("n{i}"), i);
            expected.push(format!(
                "{}:{}",
                serde_json::json!(key),
                serde_json::json!(value)
            ));
            expected.push(format!("\"n{i}\":{i}"));
        }
        assert_eq!(*object.finish(), format!("{{{}}}", expected.join(",")));
        let items = (0..50).map(|i| json::string(&json::decimal(i)));
        let array = json::array(items);
        let expected: Vec<String> = (0..50).map(|i: u64| i.to_string()).collect();
        assert_eq!(*array, serde_json::to_string(&expected).unwrap());
    }

    #[test]
    fn numbers_are_written_without_formatting() {
        for n in [0, 7, 10, 1_700_000_000_000, u64::MAX] {
            assert_eq!(json::decimal(n), n.to_string());
        }
    }

    #[test]
    fn base64url_is_the_base64_crates_unpadded_url_safe_form() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let rng = crate::platform::SeededRng::new(7);
        for _ in 0..200 {
            let bytes: Bytes<65> = crate::platform::random_bytes(&rng).unwrap();
            for len in [16, 32, 64, 65] {
                let text = URL_SAFE_NO_PAD.encode(&bytes.as_bytes()[..len]);
                let ours = match len {
                    16 => Bytes::<16>::from_base64url(&text).map(|b| b.to_base64url()),
                    32 => Bytes::<32>::from_base64url(&text).map(|b| b.to_base64url()),
                    64 => Bytes::<64>::from_base64url(&text).map(|b| b.to_base64url()),
                    _ => Bytes::<65>::from_base64url(&text).map(|b| b.to_base64url()),
                };
                assert_eq!(ours.unwrap(), text);
            }
        }
        // Non-canonical trailing bits, padding and other alphabets are refused by both.
        for text in [
            "AAAAAAAAAAAAAAAAAAAAAB",
            "AAAAAAAAAAAAAAAAAAAAA=",
            "AAAAAAAAAAAAAAAAAAAA+A",
        ] {
            assert!(URL_SAFE_NO_PAD.decode(text).is_err(), "{text}");
            assert!(DeviceId::from_base64url(text).is_err(), "{text}");
        }
        assert!(DeviceId::from_base64url("AAAAAAAAAAAAAAAAAAAAAQ").is_ok());
    }
}
