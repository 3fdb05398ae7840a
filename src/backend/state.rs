//! The backend's whole state: what a real server keeps in its database. It is plain data,
//! saved and restored as one JSON snapshot.

use super::list_map::ListMap;
use crate::crypto::token_hash;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::{move_back, random_bytes, Rng};
use crate::protocol::json::{self, Value};
use crate::protocol::{Bytes, DeviceId, IssuedToken, PublicKey, SecretString, Token};
use alloc::{borrow::ToOwned, string::String, vec::Vec};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The snapshot format this code reads and writes.
pub(super) const SNAPSHOT_VERSION: u32 = 2;

/// How long expired tokens are remembered, so that they are reported as expired rather
/// than unknown: one day.
const EXPIRED_TOKEN_MEMORY_MS: u64 = 24 * 60 * 60 * 1000;

/// Tokens of one kind kept per user. Issuing another drops the one that expires first
/// (as a rule one long expired), so that repeated logins, from however many device ids,
/// cannot grow the state without bound: only a user with more than this many live tokens
/// of a kind at once (access tokens of 64 tabs unlocked within 15 minutes) loses one.
const TOKENS_PER_USER_AND_KIND: usize = 64;

/// BLAKE2b-256 of a token: tokens are stored only hashed.
pub(super) type TokenHash = Bytes<32>;

/// A value derived from a secret with the backend's key (a PIN verifier).
pub(super) type Verifier = Bytes<32>;

/// The server's database.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct State {
    pub version: u32,
    /// How many times this state has been written to a store shared by tabs: how a tab
    /// tells the latest snapshot from an older copy (see `BackendHost`).
    #[serde(default)]
    pub revision: u64,
    /// The key of the PIN verifiers' keyed hash (a real server keeps it outside the DB).
    pub pepper: Bytes<32>,
    /// A password hash no password matches, verified for unknown emails so that they cost
    /// the same Argon2 work as wrong passwords.
    pub dummy_password_hash: SecretString,
    /// Accounts by user id.
    pub accounts: ListMap<String, Account>,
    /// Recent failed passwords by normalized email, including emails with no account.
    pub password_failures: ListMap<String, PasswordFailures>,
    /// Live tokens by hash.
    pub tokens: ListMap<TokenHash, TokenRecord>,
    /// Outstanding challenges, oldest first.
    pub challenges: Vec<ChallengeRecord>,
    /// Messages "emailed" to users, newest last.
    pub outbox: Vec<OutboxMessage>,
}

/// One user.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Account {
    pub email: String,
    /// Argon2id PHC string.
    pub password_hash: SecretString,
    pub created_at: u64,
    /// Devices that have registered a key, by id.
    pub devices: ListMap<DeviceId, Device>,
    /// Wrong PINs across all devices in the current window (the account rate limit).
    pub pin_failures: Window,
}

/// One device of one account.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Device {
    pub public_key: PublicKey,
    /// Keyed hash of the PIN proof; `None` after a lockout until a new PIN is set.
    pub pin_verifier: Option<Verifier>,
    /// Consecutive wrong PINs.
    pub failed_pins: u32,
    pub registered_at: u64,
    pub last_used_at: u64,
}

/// A counter of events: in a fixed window from the first ([`Window::record`]), or in a run
/// without a long pause ([`Window::record_in_a_row`]).
#[derive(Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Window {
    pub started_at: u64,
    pub count: u32,
}

impl Window {
    /// Milliseconds until the window ends, when it has reached `limit` already.
    pub fn blocked_for(&mut self, now: u64, length_ms: u64, limit: u32) -> Option<u64> {
        self.not_after(now);
        let ends = self.started_at.saturating_add(length_ms);
        (self.count >= limit && now < ends).then(|| ends - now)
    }

    /// A window that starts after `now` (the clock was set back) starts at `now`, so that
    /// it never lasts longer than its length from the time the clock reads.
    fn not_after(&mut self, now: u64) {
        self.started_at = self.started_at.min(now);
    }

    /// Counts one event, starting a new window when the last one has ended.
    pub fn record(&mut self, now: u64, length_ms: u64) {
        self.not_after(now);
        if now >= self.started_at.saturating_add(length_ms) {
            *self = Window {
                started_at: now,
                count: 0,
            };
        }
        self.count = self.count.saturating_add(1);
    }

    /// Counts one event of a run in which each came less than `gap_ms` after the one
    /// before (`started_at` holds the last one's time), starting over after a longer
    /// pause. Any `n` events within `gap_ms` are in one run, so a limit of `n` holds for
    /// every window of that length, not only for windows from a first event.
    pub fn record_in_a_row(&mut self, now: u64, gap_ms: u64) {
        self.record(now, gap_ms);
        self.started_at = now;
    }
}

/// Failed passwords for one email.
#[derive(Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct PasswordFailures {
    /// The run of failures, each within the lockout's length of the one before
    /// ([`Window::record_in_a_row`]: `started_at` is the last failure's time).
    pub failures: Window,
    /// Set when the failures reached the limit.
    pub locked_until: Option<u64>,
}

/// What a token is for. A token of one kind is never accepted as another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum TokenKind {
    Access,
    PinSession,
    PinAuth,
    Reauth,
    Reset,
}

impl TokenKind {
    /// The error for an unknown, used or revoked token of this kind.
    fn invalid(self) -> ErrorCode {
        match self {
            TokenKind::Access => ErrorCode::AccessTokenInvalid,
            TokenKind::PinSession => ErrorCode::SessionInvalid,
            TokenKind::PinAuth => ErrorCode::PinAuthTokenInvalid,
            TokenKind::Reauth => ErrorCode::ReauthTokenInvalid,
            TokenKind::Reset => ErrorCode::ResetTokenInvalid,
        }
    }

    /// The error for an expired token of this kind.
    fn expired(self) -> ErrorCode {
        match self {
            TokenKind::PinSession => ErrorCode::SessionExpired,
            _ => ErrorCode::TokenExpired,
        }
    }

    /// The error for a token of this kind presented by a device it was not issued to.
    pub fn wrong_device(self) -> Error {
        Error::new(self.invalid())
    }
}

/// A live token.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct TokenRecord {
    pub kind: TokenKind,
    pub user_id: String,
    /// The device it was issued to; `None` for reset tokens, which any device may use.
    pub device_id: Option<DeviceId>,
    pub issued_at: u64,
    pub expires_at: u64,
}

impl TokenRecord {
    /// Fails with the kind's invalid-token error unless it was issued to `device_id`.
    pub fn require_device(&self, device_id: &DeviceId) -> Result<()> {
        match &self.device_id {
            Some(bound) if bound == device_id => Ok(()),
            _ => Err(self.kind.wrong_device()),
        }
    }
}

/// An outstanding challenge for one device.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ChallengeRecord {
    pub hash: TokenHash,
    pub device_id: DeviceId,
    pub expires_at: u64,
}

/// A PIN reset "email" left in the outbox for tests and the demo to read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutboxMessage {
    /// The recipient's email.
    pub to: String,
    /// The single-use PIN reset token the email carries.
    pub reset_token: Token,
    /// Unix milliseconds when it was sent.
    pub sent_at: u64,
    /// Unix milliseconds from which the token is refused.
    pub expires_at: u64,
}

fn hash(token: &Token) -> TokenHash {
    Bytes::new(token_hash(token.as_bytes()))
}

impl State {
    /// Creates a token of `kind` for a user (and device), stored hashed.
    pub fn issue(
        &mut self,
        rng: &dyn Rng,
        now: u64,
        kind: TokenKind,
        ttl_ms: u64,
        user_id: &str,
        device_id: Option<&DeviceId>,
    ) -> Result<IssuedToken> {
        let token: Token = random_bytes(rng)?;
        let expires_at = now.saturating_add(ttl_ms);
        // One pass over the tokens: how many of this kind the user holds, and which of
        // them expires first.
        let mut held = 0;
        let mut first: Option<(&TokenHash, u64)> = None;
        for (hash, record) in self.tokens.iter() {
            if record.kind == kind && record.user_id == user_id {
                held += 1;
                if first.is_none_or(|(_, at)| record.expires_at < at) {
                    first = Some((hash, record.expires_at));
                }
            }
        }
        if held >= TOKENS_PER_USER_AND_KIND {
            if let Some(first) = first.map(|(hash, _)| hash.clone()) {
                self.tokens.remove(&first);
            }
        }
        self.tokens.insert(
            hash(&token),
            TokenRecord {
                kind,
                user_id: user_id.to_owned(),
                device_id: device_id.cloned(),
                issued_at: now,
                expires_at,
            },
        );
        Ok(IssuedToken {
            token,
            expires_at,
            expires_in: ttl_ms,
        })
    }

    /// The live record of a token of `kind`, or why it is refused.
    pub fn find(&self, now: u64, kind: TokenKind, token: &Token) -> Result<&TokenRecord> {
        match self.tokens.get(&hash(token)) {
            Some(record) if record.kind == kind && now < record.expires_at => Ok(record),
            Some(record) if record.kind == kind => Err(Error::new(kind.expired())),
            _ => Err(Error::new(kind.invalid())),
        }
    }

    /// Like [`State::find`], but the token is used up.
    pub fn take(&mut self, now: u64, kind: TokenKind, token: &Token) -> Result<TokenRecord> {
        let record = self.find(now, kind, token)?.clone();
        self.tokens.remove(&hash(token));
        Ok(record)
    }

    /// Removes a token of `kind` whatever its state, returning its record if it existed.
    pub fn discard(&mut self, kind: TokenKind, token: &Token) -> Option<TokenRecord> {
        let key = hash(token);
        match self.tokens.get(&key) {
            Some(record) if record.kind == kind => self.tokens.remove(&key),
            _ => None,
        }
    }

    /// Removes every token of `kinds` issued to this user on this device.
    pub fn revoke(&mut self, user_id: &str, device_id: &DeviceId, kinds: &[TokenKind]) {
        self.tokens.retain(|_, record| {
            !(record.user_id == user_id
                && record.device_id.as_ref() == Some(device_id)
                && kinds.contains(&record.kind))
        });
    }

    /// Removes every token of `kind` issued to this user on any device.
    pub fn revoke_all_of_kind(&mut self, user_id: &str, kind: TokenKind) {
        self.tokens
            .retain(|_, record| !(record.user_id == user_id && record.kind == kind));
    }

    /// Issues a single-use challenge for a device, keeping at most `per_device` for it and
    /// `in_all` altogether (the oldest are dropped).
    pub fn issue_challenge(
        &mut self,
        rng: &dyn Rng,
        now: u64,
        ttl_ms: u64,
        device_id: &DeviceId,
        (per_device, in_all): (usize, usize),
    ) -> Result<IssuedToken> {
        let outstanding = self
            .challenges
            .iter()
            .filter(|c| &c.device_id == device_id)
            .count();
        let mut excess = (outstanding + 1).saturating_sub(per_device);
        self.challenges.retain(|c| {
            let drop = excess > 0 && &c.device_id == device_id;
            excess -= usize::from(drop);
            !drop
        });
        let excess = (self.challenges.len() + 1).saturating_sub(in_all);
        self.challenges.drain(..excess.min(self.challenges.len()));
        let challenge: Token = random_bytes(rng)?;
        let expires_at = now.saturating_add(ttl_ms);
        self.challenges.push(ChallengeRecord {
            hash: hash(&challenge),
            device_id: device_id.clone(),
            expires_at,
        });
        Ok(IssuedToken {
            token: challenge,
            expires_at,
            expires_in: ttl_ms,
        })
    }

    /// Uses up a challenge: it must be outstanding, unexpired and issued to `device_id`.
    pub fn take_challenge(
        &mut self,
        now: u64,
        device_id: &DeviceId,
        challenge: &Token,
    ) -> Result<()> {
        let key = hash(challenge);
        let position = self.challenges.iter().position(|c| c.hash == key);
        match position.map(|i| self.challenges.remove(i)) {
            Some(c) if &c.device_id == device_id && now < c.expires_at => Ok(()),
            _ => Err(Error::new(ErrorCode::ChallengeInvalid)),
        }
    }

    /// Drops what can no longer matter: long-expired tokens, expired challenges, and
    /// password failures whose window and lock have both passed.
    ///
    /// After the clock was set back, what began after `now` is moved back to it: a token
    /// issued "later" keeps its lifetime from `now`, and no challenge or lock lasts longer
    /// than its length from `now` (else a fast clock set right would stretch them all by
    /// the correction, and `retryAfterSeconds` with them).
    pub fn purge(&mut self, now: u64, password_window_ms: u64, challenge_ttl_ms: u64) {
        self.tokens.retain(|_, r| {
            move_back(now, &mut r.issued_at, &mut r.expires_at);
            now < r.expires_at.saturating_add(EXPIRED_TOKEN_MEMORY_MS)
        });
        for m in &mut self.outbox {
            move_back(now, &mut m.sent_at, &mut m.expires_at);
        }
        let latest = now.saturating_add(challenge_ttl_ms);
        self.challenges.retain_mut(|c| {
            c.expires_at = c.expires_at.min(latest);
            now < c.expires_at
        });
        let latest = now.saturating_add(password_window_ms);
        self.password_failures.retain(|_, f| {
            f.failures.not_after(now);
            f.locked_until = f.locked_until.map(|until| until.min(latest));
            f.locked_until.is_some_and(|until| now < until)
                || now < f.failures.started_at.saturating_add(password_window_ms)
        });
    }

    /// The user id and account for a normalized email.
    pub fn account_by_email(&self, email: &str) -> Option<(&String, &Account)> {
        self.accounts.iter().find(|(_, a)| a.email == email)
    }

    /// The account a token refers to.
    pub fn account_mut(&mut self, user_id: &str) -> Result<&mut Account> {
        self.accounts
            .get_mut(user_id)
            .ok_or_else(|| Error::new(ErrorCode::Internal))
    }
}

/// The snapshot's JSON, by hand with [`json`] (no `serde_json` in the page): written in
/// serde's member order, so that the text is exactly what serde wrote before (the tests
/// compare them byte for byte), and read as serde reads it: unknown or repeated fields
/// refused, a missing `Option` read as `None`, a missing `revision` as 0.
impl State {
    /// The state as snapshot JSON (zeroized when dropped: it holds the server's secrets).
    pub fn to_json(&self) -> Zeroizing<String> {
        let accounts = entries(&self.accounts, |id| id.clone(), Account::to_json);
        let failures = entries(&self.password_failures, |e| e.clone(), |f| f.to_json());
        let tokens = entries(&self.tokens, Bytes::to_base64url, TokenRecord::to_json);
        json::Object::new()
            .number("version", u64::from(self.version))
            .number("revision", self.revision)
            .bytes("pepper", &self.pepper)
            .text("dummyPasswordHash", self.dummy_password_hash.expose())
            .raw("accounts", &accounts)
            .raw("passwordFailures", &failures)
            .raw("tokens", &tokens)
            .raw(
                "challenges",
                &json::array(self.challenges.iter().map(|c| c.to_json())),
            )
            .raw(
                "outbox",
                &json::array(self.outbox.iter().map(|m| m.to_json())),
            )
            .finish()
    }

    /// The state in snapshot JSON; `None` unless it is one serde would read.
    pub fn from_json(text: &str) -> Option<State> {
        let v = Value::parse(text)?;
        v.only(&[
            "version",
            "revision",
            "pepper",
            "dummyPasswordHash",
            "accounts",
            "passwordFailures",
            "tokens",
            "challenges",
            "outbox",
        ])?;
        Some(State {
            version: small(v.get("version")?)?,
            revision: v.get("revision").map_or(Some(0), Value::as_u64)?,
            pepper: v.get("pepper")?.to_bytes()?,
            dummy_password_hash: SecretString::new(v.get("dummyPasswordHash")?.to_text()?),
            accounts: map(
                v.get("accounts")?,
                |id| Some(id.to_owned()),
                Account::from_value,
            )?,
            password_failures: map(
                v.get("passwordFailures")?,
                |email| Some(email.to_owned()),
                PasswordFailures::from_value,
            )?,
            tokens: map(
                v.get("tokens")?,
                |hash| Bytes::from_base64url(hash).ok(),
                TokenRecord::from_value,
            )?,
            challenges: list(v.get("challenges")?, ChallengeRecord::from_value)?,
            outbox: list(v.get("outbox")?, OutboxMessage::from_value)?,
        })
    }
}

/// A map as a JSON object of its entries, in key order.
fn entries<'a, K: 'a, T: 'a>(
    map: impl IntoIterator<Item = (&'a K, &'a T)>,
    key: impl Fn(&K) -> String,
    value: impl Fn(&T) -> Zeroizing<String>,
) -> Zeroizing<String> {
    let mut out = json::Object::new();
    for (k, v) in map {
        out.raw(&key(k), &value(v));
    }
    out.finish()
}

/// A JSON object's entries as a map; a repeated key keeps its last value, as with serde.
fn map<K, T, M: Default + Extend<(K, T)>>(
    value: &Value,
    key: impl Fn(&str) -> Option<K>,
    read: impl Fn(&Value) -> Option<T>,
) -> Option<M> {
    // Inserted one by one (`extend`) rather than collected: collecting sorts, and each
    // map type would carry its own copy of the sort and bulk-build code.
    let mut map = M::default();
    for (k, v) in value.members()? {
        map.extend([(key(k)?, read(v)?)]);
    }
    Some(map)
}

/// A JSON array's items.
fn list<T>(value: &Value, read: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    value.items()?.iter().map(read).collect()
}

/// A number that fits a `u32`.
fn small(value: &Value) -> Option<u32> {
    u32::try_from(value.as_u64()?).ok()
}

/// Writes `Some` as its value and `None` as `null`, as serde does.
fn nullable(value: Option<Zeroizing<String>>) -> Zeroizing<String> {
    value.unwrap_or_else(|| Zeroizing::new("null".to_owned()))
}

/// Bytes as a JSON string of their base64url (for [`nullable`]).
fn quoted<const N: usize>(bytes: &Bytes<N>) -> Zeroizing<String> {
    json::string(&Zeroizing::new(bytes.to_base64url()))
}

impl Account {
    fn to_json(&self) -> Zeroizing<String> {
        let devices = entries(&self.devices, Bytes::to_base64url, Device::to_json);
        json::Object::new()
            .text("email", &self.email)
            .text("passwordHash", self.password_hash.expose())
            .number("createdAt", self.created_at)
            .raw("devices", &devices)
            .raw("pinFailures", &self.pin_failures.to_json())
            .finish()
    }

    fn from_value(v: &Value) -> Option<Account> {
        v.only(&[
            "email",
            "passwordHash",
            "createdAt",
            "devices",
            "pinFailures",
        ])?;
        Some(Account {
            email: v.get("email")?.to_text()?,
            password_hash: SecretString::new(v.get("passwordHash")?.to_text()?),
            created_at: v.get("createdAt")?.as_u64()?,
            devices: map(
                v.get("devices")?,
                |id| Bytes::from_base64url(id).ok(),
                Device::from_value,
            )?,
            pin_failures: Window::from_value(v.get("pinFailures")?)?,
        })
    }
}

impl Device {
    fn to_json(&self) -> Zeroizing<String> {
        json::Object::new()
            .bytes("publicKey", &self.public_key)
            .raw(
                "pinVerifier",
                &nullable(self.pin_verifier.as_ref().map(quoted)),
            )
            .number("failedPins", u64::from(self.failed_pins))
            .number("registeredAt", self.registered_at)
            .number("lastUsedAt", self.last_used_at)
            .finish()
    }

    fn from_value(v: &Value) -> Option<Device> {
        v.only(&[
            "publicKey",
            "pinVerifier",
            "failedPins",
            "registeredAt",
            "lastUsedAt",
        ])?;
        Some(Device {
            public_key: v.get("publicKey")?.to_bytes()?,
            pin_verifier: v.optional("pinVerifier", Value::to_bytes)?,
            failed_pins: small(v.get("failedPins")?)?,
            registered_at: v.get("registeredAt")?.as_u64()?,
            last_used_at: v.get("lastUsedAt")?.as_u64()?,
        })
    }
}

impl Window {
    fn to_json(self) -> Zeroizing<String> {
        json::Object::new()
            .number("startedAt", self.started_at)
            .number("count", u64::from(self.count))
            .finish()
    }

    fn from_value(v: &Value) -> Option<Window> {
        v.only(&["startedAt", "count"])?;
        Some(Window {
            started_at: v.get("startedAt")?.as_u64()?,
            count: small(v.get("count")?)?,
        })
    }
}

impl PasswordFailures {
    fn to_json(self) -> Zeroizing<String> {
        let locked_until = self
            .locked_until
            .map(|ms| Zeroizing::new(json::decimal(ms)));
        json::Object::new()
            .raw("failures", &self.failures.to_json())
            .raw("lockedUntil", &nullable(locked_until))
            .finish()
    }

    fn from_value(v: &Value) -> Option<PasswordFailures> {
        v.only(&["failures", "lockedUntil"])?;
        Some(PasswordFailures {
            failures: Window::from_value(v.get("failures")?)?,
            locked_until: v.optional("lockedUntil", Value::as_u64)?,
        })
    }
}

impl TokenKind {
    fn name(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::PinSession => "pinSession",
            TokenKind::PinAuth => "pinAuth",
            TokenKind::Reauth => "reauth",
            TokenKind::Reset => "reset",
        }
    }

    fn from_value(v: &Value) -> Option<TokenKind> {
        [
            TokenKind::Access,
            TokenKind::PinSession,
            TokenKind::PinAuth,
            TokenKind::Reauth,
            TokenKind::Reset,
        ]
        .into_iter()
        .find(|kind| Some(kind.name()) == v.as_str())
    }
}

impl TokenRecord {
    fn to_json(&self) -> Zeroizing<String> {
        json::Object::new()
            .text("kind", self.kind.name())
            .text("userId", &self.user_id)
            .raw("deviceId", &nullable(self.device_id.as_ref().map(quoted)))
            .number("issuedAt", self.issued_at)
            .number("expiresAt", self.expires_at)
            .finish()
    }

    fn from_value(v: &Value) -> Option<TokenRecord> {
        v.only(&["kind", "userId", "deviceId", "issuedAt", "expiresAt"])?;
        Some(TokenRecord {
            kind: TokenKind::from_value(v.get("kind")?)?,
            user_id: v.get("userId")?.to_text()?,
            device_id: v.optional("deviceId", Value::to_bytes)?,
            issued_at: v.get("issuedAt")?.as_u64()?,
            expires_at: v.get("expiresAt")?.as_u64()?,
        })
    }
}

impl ChallengeRecord {
    fn to_json(&self) -> Zeroizing<String> {
        json::Object::new()
            .bytes("hash", &self.hash)
            .bytes("deviceId", &self.device_id)
            .number("expiresAt", self.expires_at)
            .finish()
    }

    fn from_value(v: &Value) -> Option<ChallengeRecord> {
        v.only(&["hash", "deviceId", "expiresAt"])?;
        Some(ChallengeRecord {
            hash: v.get("hash")?.to_bytes()?,
            device_id: v.get("deviceId")?.to_bytes()?,
            expires_at: v.get("expiresAt")?.as_u64()?,
        })
    }
}

impl OutboxMessage {
    /// The message as JSON, in snapshots.
    fn to_json(&self) -> Zeroizing<String> {
        json::Object::new()
            .text("to", &self.to)
            .bytes("resetToken", &self.reset_token)
            .number("sentAt", self.sent_at)
            .number("expiresAt", self.expires_at)
            .finish()
    }

    fn from_value(v: &Value) -> Option<OutboxMessage> {
        v.only(&["to", "resetToken", "sentAt", "expiresAt"])?;
        Some(OutboxMessage {
            to: v.get("to")?.to_text()?,
            reset_token: v.get("resetToken")?.to_bytes()?,
            sent_at: v.get("sentAt")?.as_u64()?,
            expires_at: v.get("expiresAt")?.as_u64()?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn list_map<K: Ord, V, const N: usize>(entries: [(K, V); N]) -> ListMap<K, V> {
        let mut map = ListMap::default();
        map.extend(entries);
        map
    }

    /// A state with every field in use: `Some` and `None`, several entries per map, text
    /// that needs escaping.
    fn populated() -> State {
        let device = |b: u8, verifier: Option<Verifier>| Device {
            public_key: Bytes::new([b; 65]),
            pin_verifier: verifier,
            failed_pins: u32::from(b),
            registered_at: 10,
            last_used_at: u64::MAX,
        };
        let account = |email: &str, b: u8| Account {
            email: email.to_owned(),
            password_hash: SecretString::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
            created_at: u64::from(b),
            devices: list_map([
                (Bytes::new([b; 16]), device(b, Some(Bytes::new([7; 32])))),
                (Bytes::new([b + 1; 16]), device(b + 1, None)),
            ]),
            pin_failures: Window {
                started_at: 5,
                count: u32::MAX,
            },
        };
        let record = |kind, device_id| TokenRecord {
            kind,
            user_id: "user-\"1\"".to_owned(),
            device_id,
            issued_at: 1,
            expires_at: 2,
        };
        State {
            version: SNAPSHOT_VERSION,
            revision: 42,
            pepper: Bytes::new([9; 32]),
            dummy_password_hash: SecretString::new("$argon2id$dummy"),
            accounts: list_map([
                ("u1".to_owned(), account("ann@example.com", 1)),
                ("u2".to_owned(), account("ärla\\\n@exämple.com", 3)),
            ]),
            password_failures: list_map([
                ("ann@example.com".to_owned(), PasswordFailures::default()),
                (
                    "ghost@example.com".to_owned(),
                    PasswordFailures {
                        failures: Window {
                            started_at: 3,
                            count: 5,
                        },
                        locked_until: Some(99),
                    },
                ),
            ]),
            tokens: list_map([
                (
                    Bytes::new([1; 32]),
                    record(TokenKind::Access, Some(Bytes::new([1; 16]))),
                ),
                (
                    Bytes::new([2; 32]),
                    record(TokenKind::PinSession, Some(Bytes::new([2; 16]))),
                ),
                (
                    Bytes::new([3; 32]),
                    record(TokenKind::PinAuth, Some(Bytes::new([3; 16]))),
                ),
                (
                    Bytes::new([4; 32]),
                    record(TokenKind::Reauth, Some(Bytes::new([4; 16]))),
                ),
                (Bytes::new([5; 32]), record(TokenKind::Reset, None)),
            ]),
            challenges: vec![ChallengeRecord {
                hash: Bytes::new([6; 32]),
                device_id: Bytes::new([1; 16]),
                expires_at: 7,
            }],
            outbox: vec![OutboxMessage {
                to: "ann@example.com".to_owned(),
                reset_token: Bytes::new([8; 32]),
                sent_at: 1,
                expires_at: 2,
            }],
        }
    }

    #[test]
    fn snapshots_are_written_byte_for_byte_as_serde_wrote_them() {
        let state = populated();
        let text = state.to_json();
        assert_eq!(*text, serde_json::to_string(&state).unwrap());
        let empty = State {
            accounts: ListMap::default(),
            password_failures: ListMap::default(),
            tokens: ListMap::default(),
            challenges: Vec::new(),
            outbox: Vec::new(),
            ..populated()
        };
        assert_eq!(*empty.to_json(), serde_json::to_string(&empty).unwrap());
    }

    #[test]
    fn snapshots_are_read_as_serde_reads_them() {
        let text = populated().to_json();
        assert_eq!(*State::from_json(&text).unwrap().to_json(), *text);
        let pretty = serde_json::to_string_pretty(&populated()).unwrap();
        assert_eq!(*State::from_json(&pretty).unwrap().to_json(), *text);
        // An older snapshot without `revision`, and `Option`s left out.
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value.as_object_mut().unwrap().remove("revision");
        let failures = &mut value["passwordFailures"]["ghost@example.com"];
        failures.as_object_mut().unwrap().remove("lockedUntil");
        let older = value.to_string();
        let by_serde: State = serde_json::from_str(&older).unwrap();
        let read = State::from_json(&older).unwrap();
        assert_eq!(read.revision, 0);
        assert_eq!(*read.to_json(), serde_json::to_string(&by_serde).unwrap());
    }

    #[test]
    fn snapshots_serde_refuses_are_refused() {
        let text = populated().to_json();
        let mutations: Vec<(&str, serde_json::Value)> = vec![
            ("/extra", serde_json::json!(1)),
            ("/version", serde_json::json!(-1)),
            ("/version", serde_json::json!(4_294_967_296u64)),
            ("/revision", serde_json::Value::Null),
            ("/pepper", serde_json::json!("AAAA")),
            ("/accounts/u1/email", serde_json::Value::Null),
            ("/accounts/u1/admin", serde_json::json!(true)),
            ("/accounts/u1/devices/bad", serde_json::json!({})),
            ("/accounts/u1/pinFailures/count", serde_json::json!(1.5)),
            (
                "/passwordFailures/ann@example.com/lockedUntil",
                serde_json::json!("soon"),
            ),
            (
                "/tokens/AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE/kind",
                serde_json::json!("root"),
            ),
            ("/challenges/0/expiresAt", serde_json::json!(null)),
            ("/outbox", serde_json::json!({})),
        ];
        for (path, replacement) in mutations {
            let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let (parent, key) = path.rsplit_once('/').unwrap();
            match value.pointer_mut(parent).unwrap() {
                serde_json::Value::Object(members) => {
                    members.insert(key.to_owned(), replacement);
                }
                serde_json::Value::Array(items) => {
                    items[key.parse::<usize>().unwrap()] = replacement
                }
                _ => unreachable!(),
            }
            let mutated = value.to_string();
            assert!(serde_json::from_str::<State>(&mutated).is_err(), "{path}");
            assert!(State::from_json(&mutated).is_none(), "{path}");
        }
        let repeated = text.replacen("\"revision\":42", "\"revision\":42,\"revision\":43", 1);
        assert!(serde_json::from_str::<State>(&repeated).is_err());
        assert!(State::from_json(&repeated).is_none());
    }
}
