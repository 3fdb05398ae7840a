//! The backend's whole state: what a real server keeps in its database. It is plain data,
//! saved and restored as one JSON snapshot.

use crate::crypto::sha256;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::{random_bytes, Rng};
use crate::protocol::{Bytes, DeviceId, IssuedToken, PublicKey, SecretString, Token};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The snapshot format this code reads and writes.
pub(super) const SNAPSHOT_VERSION: u32 = 1;

/// How long expired tokens are remembered, so that they are reported as expired rather
/// than unknown: one day.
const EXPIRED_TOKEN_MEMORY_MS: u64 = 24 * 60 * 60 * 1000;

/// SHA-256 of a token: tokens are stored only hashed.
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
    pub accounts: BTreeMap<String, Account>,
    /// Recent failed passwords by normalized email, including emails with no account.
    pub password_failures: BTreeMap<String, PasswordFailures>,
    /// Live tokens by hash.
    pub tokens: BTreeMap<TokenHash, TokenRecord>,
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
    pub devices: BTreeMap<DeviceId, Device>,
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

/// A fixed window counter.
#[derive(Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct Window {
    pub started_at: u64,
    pub count: u32,
}

impl Window {
    /// Milliseconds until the window ends, when it has reached `limit` already.
    pub fn blocked_for(&self, now: u64, length_ms: u64, limit: u32) -> Option<u64> {
        let ends = self.started_at.saturating_add(length_ms);
        (self.count >= limit && now < ends).then(|| ends - now)
    }

    /// Counts one event, starting a new window when the last one has ended.
    pub fn record(&mut self, now: u64, length_ms: u64) {
        if now >= self.started_at.saturating_add(length_ms) {
            *self = Window {
                started_at: now,
                count: 0,
            };
        }
        self.count = self.count.saturating_add(1);
    }
}

/// Failed passwords for one email.
#[derive(Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct PasswordFailures {
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
    Bytes::new(sha256(token.as_bytes()))
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
        Ok(IssuedToken { token, expires_at })
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
    pub fn purge(&mut self, now: u64, password_window_ms: u64) {
        self.tokens
            .retain(|_, r| now < r.expires_at.saturating_add(EXPIRED_TOKEN_MEMORY_MS));
        self.challenges.retain(|c| now < c.expires_at);
        self.password_failures.retain(|_, f| {
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
