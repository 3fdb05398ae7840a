//! Session and device management: logout, listing and revoking devices.

use super::state::{Account, TokenKind};
use super::Backend;
use crate::error::{Error, ErrorCode, Result};
use crate::protocol::{
    DeviceId, DeviceInfo, ListDevicesRequest, ListDevicesResponse, LogoutRequest, Reply,
    RevokeDeviceRequest,
};
use alloc::vec::Vec;

/// Every token kind bound to a device.
pub(super) const DEVICE_TOKENS: &[TokenKind] = &[
    TokenKind::Access,
    TokenKind::PinSession,
    TokenKind::PinAuth,
    TokenKind::Reauth,
];

/// The devices of an account, oldest first; `current` marks the asking device.
pub(super) fn describe(account: &Account, current: Option<&DeviceId>) -> Vec<DeviceInfo> {
    let mut devices: Vec<DeviceInfo> = Vec::with_capacity(account.devices.len());
    for (device_id, device) in account.devices.iter() {
        // Oldest first; devices registered at the same time stay in id order, as a
        // stable sort would leave them (without a sort's code in the module).
        let at = devices.partition_point(|d| d.registered_at <= device.registered_at);
        devices.insert(
            at,
            DeviceInfo {
                device_id: device_id.clone(),
                registered_at: device.registered_at,
                last_used_at: device.last_used_at,
                has_pin: device.pin_verifier.is_some(),
                current: current == Some(device_id),
            },
        );
    }
    devices
}

impl Backend {
    /// Ends the given PIN session (with every token of its device), access token (with
    /// the PIN auth and re-authentication tokens of its device: a sign-out before a PIN
    /// was set leaves nothing of it usable) and PIN auth token. Unknown or expired tokens
    /// are ignored, so logging out always succeeds.
    pub(super) fn logout(&mut self, request: LogoutRequest) -> Reply {
        if let Some(token) = &request.session_token {
            if let Some(record) = self.state.discard(TokenKind::PinSession, token) {
                if let Some(device_id) = &record.device_id {
                    self.state.revoke(&record.user_id, device_id, DEVICE_TOKENS);
                }
            }
        }
        if let Some(token) = &request.access_token {
            if let Some(record) = self.state.discard(TokenKind::Access, token) {
                if let Some(device_id) = &record.device_id {
                    self.state.revoke(
                        &record.user_id,
                        device_id,
                        &[TokenKind::PinAuth, TokenKind::Reauth],
                    );
                }
            }
        }
        if let Some(token) = &request.pin_auth_token {
            self.state.discard(TokenKind::PinAuth, token);
        }
        Reply::Logout
    }

    pub(super) fn list_devices(&mut self, now: u64, request: ListDevicesRequest) -> Result<Reply> {
        let record = self
            .state
            .find(now, TokenKind::Access, &request.access_token)?;
        let current = record.device_id.clone();
        let account = self
            .state
            .accounts
            .get(&record.user_id)
            .ok_or_else(|| Error::new(ErrorCode::Internal))?;
        let devices = describe(account, current.as_ref());
        Ok(Reply::ListDevices(ListDevicesResponse { devices }))
    }

    /// Removes a device of the caller's account: its key, PIN and every token it holds.
    pub(super) fn revoke_device(
        &mut self,
        now: u64,
        request: RevokeDeviceRequest,
    ) -> Result<Reply> {
        let user_id = self
            .state
            .find(now, TokenKind::Access, &request.access_token)?
            .user_id
            .clone();
        self.state
            .account_mut(&user_id)?
            .devices
            .remove(&request.device_id)
            .ok_or_else(|| Error::new(ErrorCode::UnknownDevice))?;
        self.state
            .revoke(&user_id, &request.device_id, DEVICE_TOKENS);
        Ok(Reply::RevokeDevice)
    }
}
