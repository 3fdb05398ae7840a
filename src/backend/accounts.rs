//! Accounts and passwords: register, password login with lockout, forgot PIN.

use super::state::{Account, PasswordFailures, TokenKind, Window};
use super::{ms, seconds_ceil, Backend, BackendConfig, OutboxMessage, OUTBOX_LIMIT};
use crate::crypto::Argon2Cost;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::{lowercase, random_bytes, Rng};
use crate::protocol::{
    Bytes, ForgotPinRequest, LoginRequest, LoginResponse, PinStep, RegisterRequest,
    RegisterResponse, Reply, SecretString,
};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Longest accepted password, in bytes: bounds the work an attacker can ask for.
const MAX_PASSWORD_BYTES: usize = 1024;
/// Shortest accepted new password, in characters.
const MIN_PASSWORD_CHARS: usize = 8;
/// Longest email address (RFC 5321 path limit).
const MAX_EMAIL_BYTES: usize = 254;

/// Trims and lowercases an email and checks its shape (`local@domain.tld`, no spaces).
pub(super) fn normalize_email(email: &str) -> Result<String> {
    let email = lowercase(email.trim());
    let invalid = || Error::invalid_input("the email is not a valid address");
    if email.len() > MAX_EMAIL_BYTES || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.');
    if local.is_empty() || !domain_ok {
        return Err(invalid());
    }
    Ok(email)
}

fn check_password_size(password: &SecretString) -> Result<()> {
    if password.expose().len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid_input(
            "the password is longer than 1024 bytes",
        ));
    }
    Ok(())
}

/// An Argon2id PHC string for a password, with a random 16-byte salt.
fn hash_password(cost: Argon2Cost, rng: &dyn Rng, password: &str) -> Result<SecretString> {
    let salt: Bytes<16> = random_bytes(rng)?;
    let salt =
        SaltString::encode_b64(salt.as_bytes()).map_err(|_| Error::new(ErrorCode::Internal))?;
    let phc = cost
        .hasher(None)?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|_| Error::new(ErrorCode::Internal))?;
    Ok(SecretString::new(phc.to_string()))
}

/// Whether `password` matches a PHC string (at the cost recorded in the string).
fn verify_password(phc: &SecretString, password: &SecretString) -> bool {
    match PasswordHash::new(phc.expose()) {
        Ok(hash) => argon2::Argon2::default()
            .verify_password(password.expose().as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// The hash of a random password no one knows, at the configured cost.
pub(super) fn dummy_password_hash(config: &BackendConfig, rng: &dyn Rng) -> Result<SecretString> {
    let unknown: Bytes<32> = random_bytes(rng)?;
    hash_password(config.password_hashing, rng, &unknown.to_base64url())
}

/// The cost of an Argon2id PHC string; `None` for anything else.
fn hash_cost(phc: &SecretString) -> Option<Argon2Cost> {
    let hash = PasswordHash::new(phc.expose()).ok()?;
    if hash.algorithm != argon2::Algorithm::Argon2id.ident() {
        return None;
    }
    let params = argon2::Params::try_from(&hash).ok()?;
    Some(Argon2Cost {
        memory_kib: params.m_cost(),
        iterations: params.t_cost(),
        parallelism: params.p_cost(),
    })
}

/// Whether a PHC string was made at `cost`.
pub(super) fn hash_has_cost(phc: &SecretString, cost: Argon2Cost) -> bool {
    hash_cost(phc) == Some(cost)
}

/// The most a stored password hash may ask for: a crafted snapshot must not make a login
/// allocate gigabytes (64 MiB, 10 passes, 4 lanes are well above any sane setting).
const MAX_STORED_COST: Argon2Cost = Argon2Cost {
    memory_kib: 64 * 1024,
    iterations: 10,
    parallelism: 4,
};

/// Whether a stored PHC string is Argon2id at a cost a login can afford.
pub(super) fn hash_is_affordable(phc: &SecretString) -> bool {
    hash_cost(phc).is_some_and(|c| {
        c.memory_kib <= MAX_STORED_COST.memory_kib
            && c.iterations <= MAX_STORED_COST.iterations
            && c.parallelism <= MAX_STORED_COST.parallelism
    })
}

impl Backend {
    pub(super) fn register(&mut self, now: u64, request: RegisterRequest) -> Result<Reply> {
        let email = normalize_email(&request.email)?;
        check_password_size(&request.password)?;
        if request.password.expose().chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::invalid_input(
                "the password has fewer than 8 characters",
            ));
        }
        if self.state.account_by_email(&email).is_some() {
            return Err(Error::new(ErrorCode::EmailTaken));
        }
        self.argon2_runs = self.argon2_runs.saturating_add(1);
        let password_hash = hash_password(
            self.config.password_hashing,
            self.rng.as_ref(),
            request.password.expose(),
        )?;
        let user_id = format!(
            "u_{}",
            random_bytes::<16>(self.rng.as_ref())?.to_base64url()
        );
        self.state.accounts.insert(
            user_id.clone(),
            Account {
                email,
                password_hash,
                created_at: now,
                devices: Default::default(),
                pin_failures: Window::default(),
            },
        );
        Ok(Reply::Register(RegisterResponse { user_id }))
    }

    /// Password login. Unknown emails and wrong passwords cost the same Argon2 work, give
    /// the same error, and count towards the same per-email lockout.
    pub(super) fn login(&mut self, now: u64, request: LoginRequest) -> Result<Reply> {
        let email = normalize_email(&request.email)?;
        check_password_size(&request.password)?;
        if let Some(until) = self
            .state
            .password_failures
            .get(&email)
            .and_then(|f| f.locked_until)
            .filter(|&until| now < until)
        {
            return Err(Error::retry_after(
                ErrorCode::AccountLocked,
                seconds_ceil(until - now),
            ));
        }
        let account = self.state.account_by_email(&email);
        let phc = account.map_or(&self.state.dummy_password_hash, |(_, a)| &a.password_hash);
        self.argon2_runs = self.argon2_runs.saturating_add(1);
        let password_ok = verify_password(phc, &request.password);
        let user_id = match account {
            Some((user_id, _)) if password_ok => user_id.clone(),
            _ => return Err(self.record_password_failure(now, email)),
        };
        self.state.password_failures.remove(&email);

        let device_id = &request.device_id;
        let has_pin = self
            .state
            .accounts
            .get(&user_id)
            .and_then(|a| a.devices.get(device_id))
            .is_some_and(|d| d.pin_verifier.is_some());
        let rng = self.rng.as_ref();
        let access = self.state.issue(
            rng,
            now,
            TokenKind::Access,
            ms(self.config.access_token_ttl),
            &user_id,
            Some(device_id),
        )?;
        let pin = if has_pin {
            self.state
                .revoke(&user_id, device_id, &[TokenKind::PinSession]);
            PinStep::PinSession(self.state.issue(
                rng,
                now,
                TokenKind::PinSession,
                ms(self.config.pin_session_ttl),
                &user_id,
                Some(device_id),
            )?)
        } else {
            PinStep::PinAuth(self.state.issue(
                rng,
                now,
                TokenKind::PinAuth,
                ms(self.config.pin_auth_token_ttl),
                &user_id,
                Some(device_id),
            )?)
        };
        Ok(Reply::Login(LoginResponse {
            user_id,
            access,
            pin,
        }))
    }

    /// Counts a failed password for `email`; the error to answer with.
    fn record_password_failure(&mut self, now: u64, email: String) -> Error {
        let lockout_ms = ms(self.config.password_lockout);
        let Some(entry) = self.state.password_failures.get_or_default(email) else {
            return Error::new(ErrorCode::Internal);
        };
        entry.failures.record(now, lockout_ms);
        if entry.failures.count >= self.config.max_password_attempts {
            *entry = PasswordFailures {
                failures: Window::default(),
                locked_until: Some(now.saturating_add(lockout_ms)),
            };
            Error::retry_after(ErrorCode::AccountLocked, seconds_ceil(lockout_ms))
        } else {
            Error::new(ErrorCode::InvalidCredentials)
        }
    }

    /// Puts a fresh reset token in the outbox when the email has an account (earlier reset
    /// tokens stop working). Answers the same either way.
    pub(super) fn forgot_pin(&mut self, now: u64, request: ForgotPinRequest) -> Result<Reply> {
        let email = normalize_email(&request.email)?;
        let Some((user_id, _)) = self.state.account_by_email(&email) else {
            return Ok(Reply::ForgotPin);
        };
        let user_id = user_id.clone();
        self.state.revoke_all_of_kind(&user_id, TokenKind::Reset);
        let reset = self.state.issue(
            self.rng.as_ref(),
            now,
            TokenKind::Reset,
            ms(self.config.reset_token_ttl),
            &user_id,
            None,
        )?;
        let outbox = &mut self.state.outbox;
        if outbox.len() >= OUTBOX_LIMIT {
            outbox.remove(0);
        }
        outbox.push(OutboxMessage {
            to: email,
            reset_token: reset.token,
            sent_at: now,
            expires_at: reset.expires_at,
        });
        Ok(Reply::ForgotPin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email("  Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "a b@example.com",
            "ann@@example.com",
            "ann@.example.com",
            "ann@example.com.",
            "a\u{0}@x.io",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
        assert!(normalize_email(&format!("{}@example.com", "a".repeat(300))).is_err());
    }

    #[test]
    fn password_hashes_are_phc_strings_that_verify_only_their_password() {
        let rng = crate::platform::SeededRng::new(3);
        let cost = Argon2Cost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let phc = hash_password(cost, &rng, "correct horse").unwrap();
        assert!(phc.expose().starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(verify_password(&phc, &SecretString::new("correct horse")));
        assert!(!verify_password(&phc, &SecretString::new("correct horsE")));
        assert!(hash_has_cost(&phc, cost));
        assert!(!hash_has_cost(&phc, Argon2Cost::OWASP));
        assert!(!verify_password(
            &SecretString::new("not a phc"),
            &SecretString::new("x")
        ));
    }
}
