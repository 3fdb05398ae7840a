//! What the core needs from the outside world, as traits, with the implementations that
//! work everywhere. Browser implementations live in `web/`.

use crate::crypto::sha256;
use crate::error::{Error, ErrorCode, Result};
use crate::protocol::Bytes;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Wall-clock time in Unix milliseconds.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// A cryptographically secure random source.
pub trait Rng {
    /// Fills `dest` with random bytes.
    fn fill(&self, dest: &mut [u8]) -> Result<()>;
}

/// `N` random bytes from `rng`.
pub fn random_bytes<const N: usize>(rng: &dyn Rng) -> Result<Bytes<N>> {
    let mut bytes = Bytes::new([0; N]);
    rng.fill(bytes.as_mut_bytes())?;
    Ok(bytes)
}

/// The operating system's random source (`crypto.getRandomValues` in a browser).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRng;

impl Rng for OsRng {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        getrandom::fill(dest).map_err(|_| Error::new(ErrorCode::RandomUnavailable))
    }
}

/// A clock that moves only when told to; clones share the same time. For tests and
/// deterministic simulations.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock reading `start_ms`.
    pub fn new(start_ms: u64) -> Self {
        ManualClock(Arc::new(AtomicU64::new(start_ms)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
                Some(now.saturating_add(by))
            });
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The system clock. Not available in the browser, where `SystemTime` does not exist.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// A reproducible byte stream from a seed (SHA-256 in counter mode). **Not secret**:
/// anyone with the seed predicts every byte. For tests and simulations only.
#[derive(Debug)]
pub struct SeededRng {
    seed: [u8; 32],
    counter: Cell<u64>,
}

impl SeededRng {
    /// A stream determined entirely by `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRng {
            seed: sha256(&seed.to_be_bytes()),
            counter: Cell::new(0),
        }
    }
}

impl Rng for SeededRng {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        for chunk in dest.chunks_mut(32) {
            let n = self.counter.get();
            self.counter.set(n.wrapping_add(1));
            let block = Sha256::new()
                .chain_update(self.seed)
                .chain_update(n.to_be_bytes())
                .finalize();
            for (out, byte) in chunk.iter_mut().zip(block) {
                *out = byte;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_streams_repeat_per_seed_and_differ_across_seeds() {
        let a: Bytes<50> = random_bytes(&SeededRng::new(1)).unwrap();
        let b: Bytes<50> = random_bytes(&SeededRng::new(1)).unwrap();
        let c: Bytes<50> = random_bytes(&SeededRng::new(2)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let rng = SeededRng::new(1);
        let first: Bytes<32> = random_bytes(&rng).unwrap();
        let second: Bytes<32> = random_bytes(&rng).unwrap();
        assert_ne!(first, second);
    }

    #[test]
    fn os_random_is_not_constant() {
        let a: Bytes<32> = random_bytes(&OsRng).unwrap();
        let b: Bytes<32> = random_bytes(&OsRng).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn manual_clock_clones_share_time() {
        let clock = ManualClock::new(1_000);
        let view = clock.clone();
        clock.advance(Duration::from_secs(2));
        assert_eq!(view.now_ms(), 3_000);
    }
}
