//! Pure cryptographic functions shared by the client and the backend.

use crate::error::{Error, ErrorCode, Result};
use crate::pin::Pin;
use crate::protocol::{Bytes, DeviceId, PinProof, Token};
use alloc::vec::Vec;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use blake2::digest::consts::U32;
use blake2::digest::{Digest, Mac, Update};
use blake2::{Blake2b, Blake2b512, Blake2bMac};
use zeroize::Zeroizing;

/// The device salt: 32 random bytes created with the device identity, never sent.
pub type DeviceSalt = Bytes<32>;

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Cost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Argon2Cost {
    /// OWASP's minimum for Argon2id: m=19456 KiB, t=2, p=1.
    pub const OWASP: Argon2Cost = Argon2Cost {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };

    /// Argon2id of `secret` with `salt` at this cost, 32 bytes. Its memory and the stack
    /// it ran on are wiped afterwards: the last block alone gives the output, and in the
    /// browser the module's memory stays readable to the page. A device that cannot spare
    /// the memory gets `INTERNAL`, not a trap.
    pub(crate) fn hash(self, secret: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|_| Error::invalid_input("Argon2 parameters are out of range"))?;
        let failed = || Error::new(ErrorCode::Internal);
        let mut memory = Vec::new();
        memory
            .try_reserve_exact(params.block_count())
            .map_err(|_| failed())?;
        memory.resize(params.block_count(), Block::default());
        let mut out = Zeroizing::new([0u8; 32]);
        let hashed = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into_with_memory(secret, salt, out.as_mut_slice(), &mut memory);
        // One bulk write (19 MiB after every proof: element by element would cost the
        // proof several percent), kept by the barrier.
        memory.fill(Block::default());
        zeroize::optimization_barrier(memory.as_slice());
        wipe_stack_below();
        hashed.map_err(|_| failed())?;
        Ok(out)
    }
}

/// Overwrites the stack below the caller's frame, where Argon2 leaves copies of its
/// 1 KiB blocks (the last one among them) that it does not wipe.
#[inline(never)]
fn wipe_stack_below() {
    let scratch = [0u8; 32 * 1024];
    zeroize::optimization_barrier(&scratch);
}

/// Runs `f` in a frame of its own, then wipes the stack it ran on. BLAKE2b never wipes
/// its state, which holds the last block of its input (a token, a PIN proof, the key of
/// a MAC) until it is finalized, and the module's stack stays readable to the page.
fn wiped<T>(f: impl FnOnce() -> T) -> T {
    let out = in_own_frame(f);
    wipe_stack_below();
    out
}

/// Calls `f` below the caller's frame (never inlined into it).
#[inline(never)]
fn in_own_frame<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// `pin_proof = Argon2id(PIN, salt = device_salt)` at OWASP cost, 32 bytes: what the
/// device sends instead of the PIN. The same PIN on two devices gives unrelated proofs.
pub fn pin_proof(pin: &Pin, salt: &DeviceSalt) -> Result<PinProof> {
    wiped(|| {
        let proof = Argon2Cost::OWASP.hash(pin.digits().as_bytes(), salt.as_bytes())?;
        Ok(PinProof::new(*proof))
    })
}

/// BLAKE2b-256, used to store tokens hashed. (BLAKE2b, which Argon2 brings, serves every
/// hash and MAC of the crate: no SHA-256 code in the module.)
pub fn token_hash(data: &[u8]) -> [u8; 32] {
    wiped(|| Blake2b::<U32>::digest(data).into())
}

/// Feeds a domain string and length-prefixed fields into a hash or MAC, so that no two
/// different field lists produce the same input.
fn absorb_fields(hash: &mut impl Update, domain: &str, fields: &[&[u8]]) {
    hash.update(domain.as_bytes());
    for field in fields {
        let len = u64::try_from(field.len()).unwrap_or(u64::MAX);
        hash.update(&len.to_be_bytes());
        hash.update(field);
    }
}

/// A keyed hash (BLAKE2b-256 in its keyed mode, a MAC) over a domain string and
/// length-prefixed fields.
pub fn keyed_hash(key: &[u8; 32], domain: &str, fields: &[&[u8]]) -> [u8; 32] {
    wiped(|| {
        // BLAKE2b takes keys of up to 64 bytes, so this cannot fail for a 32-byte key.
        let mut mac = match Blake2bMac::<U32>::new_from_slice(key) {
            Ok(mac) => mac,
            Err(_) => return [0; 32],
        };
        absorb_fields(&mut mac, domain, fields);
        mac.finalize().into_bytes().into()
    })
}

/// The domain string that starts every device-signed payload.
pub const SIGNATURE_DOMAIN: &str = "pinauth/v1/device-signature";

/// The canonical bytes a device signs for a request:
/// `domain ‖ 0 ‖ endpoint ‖ 0 ‖ challenge(32) ‖ deviceId(16) ‖ BLAKE2b-512(fields)`, where
/// the fields are length-prefixed. The fields (tokens, PIN proofs) enter only hashed, so
/// the bytes handed to WebCrypto hold no secret in clear. BLAKE2b, not SHA-256: Argon2
/// already brings it, so a client-only build carries no SHA-256 code.
pub fn signing_payload(
    endpoint: &str,
    challenge: &Token,
    device_id: &DeviceId,
    fields: &[&[u8]],
) -> Vec<u8> {
    let fields_hash = wiped(|| {
        let mut hash = Blake2b512::new();
        absorb_fields(&mut hash, "pinauth/v1/request-fields", fields);
        hash.finalize()
    });
    // Two separators, the challenge, the device id and the fields' hash.
    let mut payload =
        Vec::with_capacity(SIGNATURE_DOMAIN.len() + endpoint.len() + 2 + 32 + 16 + 64);
    payload.extend_from_slice(SIGNATURE_DOMAIN.as_bytes());
    payload.push(0);
    payload.extend_from_slice(endpoint.as_bytes());
    payload.push(0);
    payload.extend_from_slice(challenge.as_bytes());
    payload.extend_from_slice(device_id.as_bytes());
    payload.extend_from_slice(&fields_hash);
    payload
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_proof_depends_on_pin_and_salt() {
        let pin = Pin::parse("730519").unwrap();
        let other_pin = Pin::parse("730518").unwrap();
        let salt = DeviceSalt::new([1; 32]);
        let other_salt = DeviceSalt::new([9; 32]);
        let proof = pin_proof(&pin, &salt).unwrap();
        assert_ne!(pin_proof(&other_pin, &salt).unwrap(), proof);
        assert_ne!(pin_proof(&pin, &other_salt).unwrap(), proof);
    }

    #[test]
    fn field_lists_cannot_collide_by_shifting_bytes() {
        let key = [1; 32];
        let a = keyed_hash(&key, "d", &[b"ab", b"c"]);
        let b = keyed_hash(&key, "d", &[b"a", b"bc"]);
        assert_ne!(a, b);
        assert_ne!(a, keyed_hash(&[2; 32], "d", &[b"ab", b"c"]));
        assert_ne!(a, keyed_hash(&key, "e", &[b"ab", b"c"]));
    }

    const KEYED_HASH_KNOWN_ANSWER: &str =
        "dc4265625d5f01c90127224999a272b793918f84d14fa45a555b46c502d16159";
    const TOKEN_HASH_KNOWN_ANSWER: &str =
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319";

    #[test]
    fn the_hashes_are_blake2b_256_keyed_and_plain() {
        // Known answers computed apart, with Python's hashlib:
        // blake2b(b"d" + (2).to_bytes(8, "big") + b"ab", key=bytes([1] * 32), digest_size=32)
        // and blake2b(b"abc", digest_size=32).
        let hex = |bytes: [u8; 32]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(keyed_hash(&[1; 32], "d", &[b"ab"])),
            KEYED_HASH_KNOWN_ANSWER
        );
        assert_eq!(hex(token_hash(b"abc")), TOKEN_HASH_KNOWN_ANSWER);
    }
}
