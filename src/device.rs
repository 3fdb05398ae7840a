//! The device identity: a 128-bit random id, a 32-byte random salt that never leaves the
//! device, and a non-extractable signing key, persisted per application id.
//!
//! A missing, partial or corrupt identity makes this a new device: a fresh identity is
//! created, and the next password login asks for a PIN.

use crate::error::{Result, Warning};
use crate::platform::{random_bytes, DeviceKeys, LoadedIdentity, Rng, StoredIdentity};
use alloc::{vec, vec::Vec};

/// A device identity loaded or created, with what was noticed on the way.
#[derive(Debug)]
pub struct Loaded<K> {
    /// The identity to use.
    pub identity: StoredIdentity<K>,
    /// Whether it was created now (this browser is a new device for the backend).
    pub created: bool,
    /// Problems recovered from (a corrupt identity replaced, an identity not saved).
    pub warnings: Vec<Warning>,
}

/// A fresh identity for this page only (not saved), with the warning that says so.
async fn for_this_page<K: DeviceKeys>(keys: &K, rng: &dyn Rng) -> Result<Loaded<K::Key>> {
    let (key, public_key) = keys.generate().await?;
    Ok(Loaded {
        identity: StoredIdentity {
            device_id: random_bytes(rng)?,
            salt: random_bytes(rng)?,
            key,
            public_key,
        },
        created: true,
        warnings: vec![Warning::DEVICE_NOT_PERSISTED],
    })
}

/// Creates a fresh identity and saves it for `app_id`. When another tab saved one first
/// (both found none at the same moment), that one is loaded and used instead, so the tabs
/// of a browser are one device. When saving fails the identity is still returned, for
/// this page only, with a warning.
pub async fn create<K: DeviceKeys>(
    keys: &K,
    rng: &dyn Rng,
    app_id: &str,
) -> Result<Loaded<K::Key>> {
    let mut fresh = for_this_page(keys, rng).await?;
    match keys.save_new(app_id, &fresh.identity).await {
        Ok(true) => fresh.warnings.clear(),
        Ok(false) => {
            if let Ok(LoadedIdentity::Found(identity)) = keys.load(app_id).await {
                return Ok(Loaded {
                    identity,
                    created: false,
                    warnings: Vec::new(),
                });
            }
        }
        Err(_) => {}
    }
    Ok(fresh)
}

/// The identity saved for `app_id`, or a new one when there is none or it is corrupt. When
/// the store cannot be read, the new identity is for this page only: it is not saved over
/// an identity that may be there. Fails only when no key can be generated at all.
pub async fn load_or_create<K: DeviceKeys>(
    keys: &K,
    rng: &dyn Rng,
    app_id: &str,
) -> Result<Loaded<K::Key>> {
    let reset = match keys.load(app_id).await {
        Ok(LoadedIdentity::Found(identity)) => {
            return Ok(Loaded {
                identity,
                created: false,
                warnings: Vec::new(),
            })
        }
        Ok(LoadedIdentity::Missing) => None,
        Ok(LoadedIdentity::Corrupt) => {
            let _ = keys.delete_corrupt(app_id).await;
            Some(Warning::DEVICE_RESET)
        }
        Err(_) => return for_this_page(keys, rng).await,
    };
    let mut loaded = create(keys, rng, app_id).await?;
    if let Some(warning) = reset {
        if !loaded.warnings.contains(&warning) {
            loaded.warnings.insert(0, warning);
        }
    }
    Ok(loaded)
}
