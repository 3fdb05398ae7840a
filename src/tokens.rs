//! The client's token storage: what is kept where, with expiry, a schema version in every
//! key, device binding, corruption handling and a memory fallback.
//!
//! Keys are `pinauth:<appId>:v1:<slot>`. The PIN session token goes to the chosen storage
//! (`local` by default), the access token to memory unless asked otherwise; the PIN auth
//! token is never stored. Each value records the device it was issued to: a value of
//! another device is absent for this one and left in place; one that does not parse is
//! discarded with a warning. A storage that fails moves only its own slot to memory.

use crate::error::{Result, Warning};
use crate::platform::{move_back, KeyValueStore, MemoryStore};
use crate::protocol::{json, DeviceId, IssuedToken, Token};
use alloc::{borrow::ToOwned, boxed::Box, string::String};
use core::cell::Cell;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Where the PIN session token is kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StorageChoice {
    /// `localStorage`: survives reloads and is shared by the origin's tabs (default).
    #[default]
    Local,
    /// `sessionStorage`: survives reloads of this tab only.
    Session,
    /// Memory: gone with the page.
    Memory,
}

impl StorageChoice {
    /// Parses `"local" | "session" | "memory"`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "local" => Some(StorageChoice::Local),
            "session" => Some(StorageChoice::Session),
            "memory" => Some(StorageChoice::Memory),
            _ => None,
        }
    }
}

/// Where the access token is kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AccessStorage {
    /// Memory: a reload asks for the PIN again (default).
    #[default]
    Memory,
    /// `sessionStorage`: a reload of this tab stays signed in until the token expires;
    /// other tabs and new tabs do not see it.
    Session,
}

impl AccessStorage {
    /// Parses `"memory" | "session"`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "memory" => Some(AccessStorage::Memory),
            "session" => Some(AccessStorage::Session),
            _ => None,
        }
    }
}

/// The two stored token slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The PIN session token.
    PinSession,
    /// The access token.
    Access,
}

impl Slot {
    fn name(self) -> &'static str {
        match self {
            Slot::PinSession => "pinSession",
            Slot::Access => "access",
        }
    }
}

/// A token as the client keeps it: whose, for which device, and its lifetime.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SavedToken {
    /// The device it was issued to.
    pub device_id: DeviceId,
    /// The account's id.
    pub user_id: String,
    /// The account's email.
    pub email: String,
    /// The token.
    pub token: Token,
    /// Client time (Unix ms) when the request that brought it was sent.
    pub received_at: u64,
    /// Client time (Unix ms) when it expires: the lifetime the server gave it, counted
    /// from `received_at`, so that a page clock that differs from the server's does not
    /// end it early or keep it late. The server's own expiry is what counts; this is the
    /// client's hint.
    pub expires_at: u64,
}

impl SavedToken {
    /// Records a token issued to `device_id` for a user, in reply to a request sent at
    /// `now` (client time): its lifetime counts from before the server issued it, so the
    /// client's view of its end never comes after the server's, however slow the reply.
    pub fn new(
        device_id: &DeviceId,
        user_id: &str,
        email: &str,
        issued: IssuedToken,
        now: u64,
    ) -> Self {
        SavedToken {
            device_id: device_id.clone(),
            user_id: user_id.to_owned(),
            email: email.to_owned(),
            token: issued.token,
            received_at: now,
            expires_at: now.saturating_add(issued.expires_in),
        }
    }

    /// The stored form: `{"deviceId":…,"userId":…,"email":…,"token":…,"receivedAt":…,
    /// "expiresAt":…}` (what serde wrote before; zeroized when dropped).
    pub fn to_json(&self) -> Zeroizing<String> {
        json::Object::new()
            .bytes("deviceId", &self.device_id)
            .text("userId", &self.user_id)
            .text("email", &self.email)
            .bytes("token", &self.token)
            .number("receivedAt", self.received_at)
            .number("expiresAt", self.expires_at)
            .finish()
    }

    /// Reads the stored form; `None` for anything else (unknown or missing fields).
    pub fn from_json(text: &str) -> Option<SavedToken> {
        let value = json::Value::parse(text)?;
        value.only(&[
            "deviceId",
            "userId",
            "email",
            "token",
            "receivedAt",
            "expiresAt",
        ])?;
        Some(SavedToken {
            device_id: value.get("deviceId")?.to_bytes()?,
            user_id: value.get("userId")?.to_text()?,
            email: value.get("email")?.to_text()?,
            token: value.get("token")?.to_bytes()?,
            received_at: value.get("receivedAt")?.as_u64()?,
            expires_at: value.get("expiresAt")?.as_u64()?,
        })
    }

    /// After the page's clock went back past the request that brought it, its lifetime
    /// counts from `now` instead (the time already passed is unknown): it never lasts
    /// longer than the server gave it from the time the clock reads.
    pub fn not_after(&mut self, now: u64) {
        move_back(now, &mut self.received_at, &mut self.expires_at);
    }

    /// Whether it should still be used at `now`: it must outlive `leeway_ms`, capped at a
    /// quarter of its lifetime so that short-lived tokens stay usable.
    pub fn is_live(&self, now: u64, leeway_ms: u64) -> bool {
        let lifetime = self.expires_at.saturating_sub(self.received_at);
        now.saturating_add(leeway_ms.min(lifetime / 4)) < self.expires_at
    }
}

/// The token slots of one application on one device.
pub struct TokenStore {
    prefix: String,
    session_store: Box<dyn KeyValueStore>,
    access_store: Box<dyn KeyValueStore>,
    fallback: MemoryStore,
    session_fell_back: Cell<bool>,
    access_fell_back: Cell<bool>,
}

impl core::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenStore")
            .field("prefix", &self.prefix)
            .field("session_fell_back", &self.session_fell_back.get())
            .field("access_fell_back", &self.access_fell_back.get())
            .finish_non_exhaustive()
    }
}

impl TokenStore {
    /// Slots for `app_id`: the PIN session in `session_store`, the access token in
    /// `access_store` (a fresh [`MemoryStore`] keeps it in memory).
    pub fn new(
        app_id: &str,
        session_store: Box<dyn KeyValueStore>,
        access_store: Box<dyn KeyValueStore>,
    ) -> Self {
        TokenStore {
            prefix: ["pinauth:", app_id, ":v1:"].concat(),
            session_store,
            access_store,
            fallback: MemoryStore::default(),
            session_fell_back: Cell::new(false),
            access_fell_back: Cell::new(false),
        }
    }

    /// The storage key of a slot.
    pub fn key(&self, slot: Slot) -> String {
        [&self.prefix, slot.name()].concat()
    }

    /// Whether a storage key belongs to this application's token slots.
    pub fn owns_key(&self, key: &str) -> bool {
        key.starts_with(&self.prefix)
    }

    /// Whether a slot is kept in memory for the rest of the page.
    fn fell_back(&self, slot: Slot) -> &Cell<bool> {
        match slot {
            Slot::PinSession => &self.session_fell_back,
            Slot::Access => &self.access_fell_back,
        }
    }

    /// The storage chosen for a slot.
    fn chosen(&self, slot: Slot) -> &dyn KeyValueStore {
        match slot {
            Slot::PinSession => self.session_store.as_ref(),
            Slot::Access => self.access_store.as_ref(),
        }
    }

    /// Where a slot is kept now.
    fn store(&self, slot: Slot) -> &dyn KeyValueStore {
        if self.fell_back(slot).get() {
            &self.fallback
        } else {
            self.chosen(slot)
        }
    }

    /// The token in a slot if it is readable and bound to `device_id`. Another device's
    /// token (another tab's identity, after a `forgetDevice` there) is absent for this one
    /// and left where it is; anything unreadable is removed and reported as
    /// `Err(warning)`, and the caller treats it as absent.
    pub fn load(&self, slot: Slot, device_id: &DeviceId) -> Result<Option<SavedToken>, Warning> {
        self.load_any(slot)
            .map(|saved| saved.filter(|s| &s.device_id == device_id))
    }

    /// The token in a slot if it is readable, whichever device it belongs to; anything
    /// unreadable is removed and reported as `Err(warning)`.
    pub fn load_any(&self, slot: Slot) -> Result<Option<SavedToken>, Warning> {
        match self.read(slot) {
            Ok(Some(Some(saved))) => Ok(Some(saved)),
            Ok(Some(None)) => {
                let _ = self.store(slot).remove(&self.key(slot));
                Err(Warning::STORAGE_CORRUPT)
            }
            Ok(None) => Ok(None),
            Err(()) => Err(self.fall_back(slot)),
        }
    }

    /// What a slot holds: nothing, a token, or (`Some(None)`) something unreadable.
    #[allow(clippy::option_option)]
    fn read(&self, slot: Slot) -> Result<Option<Option<SavedToken>>, ()> {
        match self.store(slot).get(&self.key(slot)) {
            Ok(text) => Ok(text.map(|t| SavedToken::from_json(&Zeroizing::new(t)))),
            Err(_) => Err(()),
        }
    }

    /// Stores a token. When the storage fails it is kept in memory instead, reported as
    /// `Err(warning)`.
    pub fn save(&self, slot: Slot, token: &SavedToken) -> Result<(), Warning> {
        let text = token.to_json();
        let key = self.key(slot);
        if self.store(slot).set(&key, &text).is_ok() {
            return Ok(());
        }
        let warning = self.fall_back(slot);
        let _ = self.fallback.set(&key, &text);
        Err(warning)
    }

    /// Empties a slot of `device_id`'s token: another device's is left to it (best effort:
    /// a storage that fails to remove is left alone).
    pub fn clear(&self, slot: Slot, device_id: &DeviceId) {
        let key = self.key(slot);
        if !matches!(self.read(slot), Ok(Some(Some(s))) if &s.device_id != device_id) {
            let _ = self.store(slot).remove(&key);
        }
        let _ = self.fallback.remove(&key);
    }

    /// Empties a slot if it still holds `refused`, a token the backend refused: a
    /// different token there is newer (another tab's sign-in) and stays.
    pub fn clear_refused(&self, slot: Slot, refused: &Token) {
        if matches!(self.read(slot), Ok(Some(Some(s))) if s.token == *refused) {
            let _ = self.store(slot).remove(&self.key(slot));
        }
    }

    /// Keeps every slot in memory for the rest of the page and leaves the storage as it
    /// is: for a device identity that lives for this page only (IndexedDB unavailable).
    /// No later page could use its tokens, and in the storage they would take the place of
    /// another page's (another identity's).
    /// The storage is only read, to report `Err(STORAGE_FALLBACK)` if it fails too.
    pub fn keep_in_memory(&self) -> Result<(), Warning> {
        self.session_fell_back.set(true);
        self.access_fell_back.set(true);
        match self.session_store.get(&self.key(Slot::PinSession)) {
            Ok(_) => Ok(()),
            Err(_) => Err(Warning::STORAGE_FALLBACK),
        }
    }

    /// Keeps a slot whose storage failed in memory for the rest of the page, moving
    /// nothing: what the failing storage held for it is dropped from it where possible.
    /// The other slot stays where it is (a full `sessionStorage` is no reason to drop the
    /// PIN session from `localStorage`).
    fn fall_back(&self, slot: Slot) -> Warning {
        if !self.fell_back(slot).replace(true) {
            let _ = self.chosen(slot).remove(&self.key(slot));
        }
        Warning::STORAGE_FALLBACK
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::UnavailableStore;

    fn token(device: u8, expires_at: u64) -> SavedToken {
        let issued = IssuedToken {
            token: Token::new([device; 32]),
            expires_at,
            expires_in: expires_at.saturating_sub(1_000),
        };
        SavedToken::new(&DeviceId::new([device; 16]), "u_1", "a@b.co", issued, 1_000)
    }

    /// A store for app "shop" over `local`, with access tokens in memory.
    fn store_over(local: &MemoryStore) -> TokenStore {
        TokenStore::new(
            "shop",
            Box::new(local.clone()),
            Box::new(MemoryStore::default()),
        )
    }

    #[test]
    fn tokens_round_trip_under_namespaced_versioned_keys() {
        let local = MemoryStore::default();
        let store = store_over(&local);
        let device = DeviceId::new([1; 16]);
        assert_eq!(store.load(Slot::PinSession, &device), Ok(None));
        store.save(Slot::PinSession, &token(1, 5_000)).unwrap();
        assert!(local.get("pinauth:shop:v1:pinSession").unwrap().is_some());
        assert_eq!(
            store.load(Slot::PinSession, &device),
            Ok(Some(token(1, 5_000)))
        );
        store.save(Slot::Access, &token(1, 5_000)).unwrap();
        assert_eq!(
            local.get("pinauth:shop:v1:access").unwrap(),
            None,
            "access stays out of local"
        );
        store.clear(Slot::PinSession, &device);
        assert_eq!(store.load(Slot::PinSession, &device), Ok(None));
        assert!(store.owns_key("pinauth:shop:v1:pinSession"));
        assert!(!store.owns_key("pinauth:shop2:v1:pinSession"));
    }

    #[test]
    fn another_devices_token_is_absent_for_this_one_and_left_to_it() {
        let local = MemoryStore::default();
        let store = store_over(&local);
        let (mine, theirs) = (DeviceId::new([1; 16]), DeviceId::new([2; 16]));
        let key = "pinauth:shop:v1:pinSession";
        let foreign = serde_json::to_string(&token(2, 5_000)).unwrap();
        local.set(key, &foreign).unwrap();
        assert_eq!(store.load(Slot::PinSession, &mine), Ok(None));
        store.clear(Slot::PinSession, &mine);
        assert_eq!(local.get(key).unwrap().as_deref(), Some(foreign.as_str()));
        assert_eq!(
            store.load(Slot::PinSession, &theirs),
            Ok(Some(token(2, 5_000)))
        );
        store.clear(Slot::PinSession, &theirs);
        assert_eq!(local.get(key).unwrap(), None);
    }

    #[test]
    fn corrupt_values_are_discarded_with_a_warning() {
        let local = MemoryStore::default();
        let store = store_over(&local);
        let device = DeviceId::new([1; 16]);
        let key = "pinauth:shop:v1:pinSession";
        for bad in ["", "{", "null", "{\"deviceId\":1}", "\u{0}\u{1}"] {
            local.set(key, bad).unwrap();
            assert_eq!(
                store.load(Slot::PinSession, &device),
                Err(Warning::STORAGE_CORRUPT),
                "{bad:?}"
            );
            assert_eq!(local.get(key).unwrap(), None, "the bad value is removed");
        }
    }

    #[test]
    fn a_failing_storage_falls_back_to_memory_with_a_warning() {
        let store = TokenStore::new(
            "shop",
            Box::new(UnavailableStore),
            Box::new(MemoryStore::default()),
        );
        let device = DeviceId::new([1; 16]);
        assert_eq!(
            store.save(Slot::PinSession, &token(1, 5_000)),
            Err(Warning::STORAGE_FALLBACK)
        );
        assert_eq!(
            store.load(Slot::PinSession, &device),
            Ok(Some(token(1, 5_000)))
        );
        assert_eq!(store.save(Slot::PinSession, &token(1, 6_000)), Ok(()));
    }

    #[test]
    fn kept_in_memory_the_storage_is_neither_read_nor_written() {
        let local = MemoryStore::default();
        let key = "pinauth:shop:v1:pinSession";
        let other_tab = serde_json::to_string(&token(2, 5_000)).unwrap();
        local.set(key, &other_tab).unwrap();
        let store = TokenStore::new(
            "shop",
            Box::new(local.clone()),
            Box::new(MemoryStore::default()),
        );
        assert_eq!(store.keep_in_memory(), Ok(()));
        let device = DeviceId::new([1; 16]);
        assert_eq!(store.load(Slot::PinSession, &device), Ok(None));
        assert_eq!(store.save(Slot::PinSession, &token(1, 5_000)), Ok(()));
        assert_eq!(
            store.load(Slot::PinSession, &device),
            Ok(Some(token(1, 5_000)))
        );
        store.clear(Slot::PinSession, &device);
        assert_eq!(local.get(key).unwrap(), Some(other_tab), "untouched");
    }

    #[test]
    fn kept_in_memory_a_failing_storage_is_still_reported() {
        let store = TokenStore::new(
            "shop",
            Box::new(UnavailableStore),
            Box::new(MemoryStore::default()),
        );
        assert_eq!(store.keep_in_memory(), Err(Warning::STORAGE_FALLBACK));
        assert_eq!(store.save(Slot::PinSession, &token(1, 5_000)), Ok(()));
    }

    #[test]
    fn liveness_keeps_a_leeway_capped_at_a_quarter_of_the_lifetime() {
        let t = token(1, 201_000); // lifetime 200 s from 1 s: the full 30 s leeway
        assert!(t.is_live(170_999, 30_000));
        assert!(!t.is_live(171_000, 30_000));
        let short = token(1, 9_000); // lifetime 8 s: leeway capped at 2 s
        assert!(short.is_live(6_999, 30_000));
        assert!(!short.is_live(7_000, 30_000));
    }

    #[test]
    fn storage_choices_parse_strictly() {
        assert_eq!(
            StorageChoice::parse("session").unwrap(),
            StorageChoice::Session
        );
        assert_eq!(StorageChoice::parse("Local"), None);
        assert_eq!(
            AccessStorage::parse("session"),
            Some(AccessStorage::Session)
        );
        assert_eq!(AccessStorage::parse("local"), None);
    }

    #[test]
    fn the_stored_form_is_what_serde_wrote() {
        let mut saved = token(3, u64::MAX);
        saved.email = "\"quoted\"\\ é\u{1}@b.co".into();
        let text = saved.to_json();
        assert_eq!(serde_json::from_str::<SavedToken>(&text).unwrap(), saved);
        let by_serde = serde_json::to_string(&saved).unwrap();
        assert_eq!(SavedToken::from_json(&by_serde), Some(saved.clone()));
        assert_eq!(*text, by_serde);
        let extra = by_serde.replacen('{', "{\"v\":2,", 1);
        assert_eq!(SavedToken::from_json(&extra), None);
    }
}
