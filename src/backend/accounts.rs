//! Accounts and passwords: register, password login with lockout, forgot PIN.

use super::state::{Account, PasswordFailures, TokenKind, Window};
use super::{ms, seconds_ceil, Backend, BackendConfig, OutboxMessage, OUTBOX_PER_ADDRESS};
use crate::crypto::Argon2Cost;
use crate::error::{Error, ErrorCode, Result};
use crate::platform::{lowercase, random_bytes, Rng};
use crate::protocol::json::{decimal, decimal_value};
use crate::protocol::{
    Bytes, ForgotPinRequest, LoginRequest, LoginResponse, PinStep, RegisterRequest,
    RegisterResponse, Reply, SecretString,
};
use alloc::string::String;
use zeroize::Zeroizing;

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

/// The start of an Argon2id PHC string, up to its memory cost:
/// `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`, with a 16-byte salt and a
/// 32-byte hash in standard base64 without padding. This is the form the `password-hash`
/// crate writes (the tests check it both ways) and snapshots keep; no other is read.
const PHC_START: &str = "$argon2id$v=19$m=";

/// `text` with the last two base64 digits of one alphabet (`from`) turned into the
/// other's (`to`); `None` if `text` already holds one of `to`'s.
fn swap_base64_alphabet(text: &str, from: [char; 2], to: [char; 2]) -> Option<Zeroizing<String>> {
    let mut swapped = Zeroizing::new(String::with_capacity(text.len()));
    for c in text.chars() {
        swapped.push(match c {
            c if to.contains(&c) => return None,
            c if c == from[0] => to[0],
            c if c == from[1] => to[1],
            c => c,
        });
    }
    Some(swapped)
}

/// Standard base64 (`+`, `/`) of fixed-length bytes, without padding.
fn to_standard_base64<const N: usize>(bytes: &Bytes<N>) -> Zeroizing<String> {
    let url = Zeroizing::new(bytes.to_base64url());
    swap_base64_alphabet(&url, ['-', '_'], ['+', '/']).unwrap_or_default()
}

/// Fixed-length bytes from standard base64 without padding.
fn from_standard_base64<const N: usize>(text: &str) -> Option<Bytes<N>> {
    let url = swap_base64_alphabet(text, ['+', '/'], ['-', '_'])?;
    Bytes::from_base64url(&url).ok()
}

/// A PHC string's cost parameter: a decimal `u32` without sign or leading zeros.
fn phc_number(text: &str) -> Option<u32> {
    let canonical = !text.is_empty() && (text == "0" || !text.starts_with('0'));
    let value = decimal_value(text.as_bytes()).filter(|_| canonical)?;
    u32::try_from(value).ok()
}

/// The cost, salt and hash of a PHC string in the one form [`hash_password`] writes.
fn parse_phc(phc: &str) -> Option<(Argon2Cost, Bytes<16>, Bytes<32>)> {
    let mut parts = phc.strip_prefix(PHC_START)?.split('$');
    let (params, salt, hash) = (parts.next()?, parts.next()?, parts.next()?);
    let mut params = params.split(',');
    let memory_kib = phc_number(params.next()?)?;
    let iterations = phc_number(params.next()?.strip_prefix("t=")?)?;
    let parallelism = phc_number(params.next()?.strip_prefix("p=")?)?;
    if parts.next().is_some() || params.next().is_some() {
        return None;
    }
    let cost = Argon2Cost {
        memory_kib,
        iterations,
        parallelism,
    };
    Some((
        cost,
        from_standard_base64(salt)?,
        from_standard_base64(hash)?,
    ))
}

/// An Argon2id PHC string for a password, with a random 16-byte salt.
fn hash_password(cost: Argon2Cost, rng: &dyn Rng, password: &str) -> Result<SecretString> {
    let salt: Bytes<16> = random_bytes(rng)?;
    let hash = Bytes::new(*cost.hash(password.as_bytes(), salt.as_bytes())?);
    Ok(SecretString::new(
        [
            PHC_START,
            &decimal(cost.memory_kib.into()),
            ",t=",
            &decimal(cost.iterations.into()),
            ",p=",
            &decimal(cost.parallelism.into()),
            "$",
            &to_standard_base64(&salt),
            "$",
            &to_standard_base64(&hash),
        ]
        .concat(),
    ))
}

/// Whether `password` matches a PHC string (at the cost recorded in the string). The
/// hashes are compared in constant time.
fn verify_password(phc: &SecretString, password: &SecretString) -> bool {
    parse_phc(phc.expose()).is_some_and(|(cost, salt, hash)| {
        cost.hash(password.expose().as_bytes(), salt.as_bytes())
            .is_ok_and(|computed| Bytes::new(*computed) == hash)
    })
}

/// The hash of a random password no one knows, at the configured cost.
pub(super) fn dummy_password_hash(config: &BackendConfig, rng: &dyn Rng) -> Result<SecretString> {
    let unknown: Bytes<32> = random_bytes(rng)?;
    hash_password(config.password_hashing, rng, &unknown.to_base64url())
}

/// The cost of an Argon2id PHC string; `None` for anything else.
fn hash_cost(phc: &SecretString) -> Option<Argon2Cost> {
    parse_phc(phc.expose()).map(|(cost, _, _)| cost)
}

/// Whether a PHC string was made at `cost`.
pub(super) fn hash_has_cost(phc: &SecretString, cost: Argon2Cost) -> bool {
    hash_cost(phc) == Some(cost)
}

/// Whether a PHC string was made at a cost below `cost` in some parameter (and none
/// above it to make up for that).
fn hash_is_cheaper(phc: &SecretString, cost: Argon2Cost) -> bool {
    hash_cost(phc).is_some_and(|made| {
        made != cost
            && made.memory_kib <= cost.memory_kib
            && made.iterations <= cost.iterations
            && made.parallelism <= cost.parallelism
    })
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
        // Not `format!`: it would bring `core::fmt` into the module for this alone.
        let user_id = String::from("u_") + &random_bytes::<16>(self.rng.as_ref())?.to_base64url();
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
        let outdated = hash_is_cheaper(phc, self.config.password_hashing);
        let user_id = match account {
            Some((user_id, _)) if password_ok => user_id.clone(),
            _ => return Err(self.record_password_failure(now, email)),
        };
        self.state.password_failures.remove(&email);
        if outdated {
            // Hashed before the configured cost was raised: rehashed at it now, so that
            // the account's logins take as long as an unknown email's and cannot be told
            // apart. (Best effort: the password was right, so the login goes on.)
            let rehashed = hash_password(
                self.config.password_hashing,
                self.rng.as_ref(),
                request.password.expose(),
            );
            self.argon2_runs = self.argon2_runs.saturating_add(1);
            if let (Ok(rehashed), Some(account)) = (rehashed, self.state.accounts.get_mut(&user_id))
            {
                account.password_hash = rehashed;
            }
        }

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
        entry.failures.record_in_a_row(now, lockout_ms);
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
        if outbox.iter().filter(|m| m.to == email).count() >= OUTBOX_PER_ADDRESS {
            if let Some(oldest) = outbox.iter().position(|m| m.to == email) {
                outbox.remove(oldest);
            }
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
        let cost = CHEAP;
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

    const CHEAP: Argon2Cost = Argon2Cost {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn password_hashes_are_the_phc_strings_of_the_password_hash_crate_both_ways() {
        use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
        let argon2 = |cost: Argon2Cost| {
            let params =
                argon2::Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
                    .unwrap();
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        };
        let mut alphabet_seen = false;
        for (seed, cost) in [(1, CHEAP), (2, Argon2Cost::OWASP)] {
            // Ours, read and verified by the crate.
            let rng = crate::platform::SeededRng::new(seed);
            let ours = hash_password(cost, &rng, "correct horse").unwrap();
            let parsed = PasswordHash::new(ours.expose()).unwrap();
            assert!(argon2(cost)
                .verify_password(b"correct horse", &parsed)
                .is_ok());
            // The crate's, read and verified by ours: the same text for the same salt.
            let salt: Bytes<16> = random_bytes(&crate::platform::SeededRng::new(seed)).unwrap();
            let salt = SaltString::encode_b64(salt.as_bytes()).unwrap();
            let theirs = argon2(cost)
                .hash_password(b"correct horse", &salt)
                .unwrap()
                .to_string();
            assert_eq!(theirs, ours.expose());
            alphabet_seen |= theirs.contains(['+', '/']);
            let theirs = SecretString::new(theirs);
            assert!(verify_password(
                &theirs,
                &SecretString::new("correct horse")
            ));
            assert!(!verify_password(
                &theirs,
                &SecretString::new("correct horsE")
            ));
            assert_eq!(hash_cost(&theirs), Some(cost));
        }
        // The digits where the standard alphabet differs from base64url were compared.
        assert!(alphabet_seen);
    }

    #[test]
    fn phc_strings_in_any_other_form_are_refused() {
        let rng = crate::platform::SeededRng::new(4);
        let good = hash_password(CHEAP, &rng, "correct horse").unwrap();
        let good = good.expose();
        assert!(hash_cost(&SecretString::new(good)).is_some());
        let (head, hash) = good.rsplit_once('$').unwrap();
        let (params, salt) = head
            .strip_prefix(PHC_START)
            .unwrap()
            .split_once('$')
            .unwrap();
        assert_eq!(params, "64,t=1,p=1");
        let with = |params: &str, salt: &str, hash: &str| {
            SecretString::new([PHC_START, params, "$", salt, "$", hash].concat())
        };
        let url_salt = salt.replace('+', "-").replace('/', "_");
        let bad = [
            good.replace("argon2id", "argon2i"),
            good.replace("v=19", "v=16"),
            [good, "$"].concat(),
            [good, "="].concat(),
            good[..good.len() - 1].to_owned(),
            with("064,t=1,p=1", salt, hash).expose().to_owned(),
            with("+64,t=1,p=1", salt, hash).expose().to_owned(),
            with("64,t=1", salt, hash).expose().to_owned(),
            with("64,t=1,p=1,k=2", salt, hash).expose().to_owned(),
            with("64,p=1,t=1", salt, hash).expose().to_owned(),
            with("4294967296,t=1,p=1", salt, hash).expose().to_owned(),
            with("64,t=1,p=1", "c2FsdA", hash).expose().to_owned(),
            with("64,t=1,p=1", salt, "aGFzaA").expose().to_owned(),
            with("64,t=1,p=1", &[salt, "=="].concat(), hash)
                .expose()
                .to_owned(),
            "$argon2id$dummy".to_owned(),
            String::new(),
        ];
        for phc in bad.into_iter().chain(
            // A salt in the URL alphabet, where the standard one is expected.
            (url_salt != salt).then(|| with("64,t=1,p=1", &url_salt, hash).expose().to_owned()),
        ) {
            let phc = SecretString::new(phc);
            assert_eq!(hash_cost(&phc), None, "{:?}", phc.expose());
            assert!(!verify_password(&phc, &SecretString::new("correct horse")));
        }
    }
}
