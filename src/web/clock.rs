//! The wall clock of the browser.

use crate::platform::Clock;

/// A [`Clock`] reading `Date.now()`, in whole Unix milliseconds.
///
/// A clock set before 1970, or a non-finite reading, reads as 0.
#[derive(Clone, Copy, Debug, Default)]
pub struct DateClock;

impl Clock for DateClock {
    fn now_ms(&self) -> u64 {
        let now = js_sys::Date::now();
        if now.is_finite() && now > 0.0 {
            // Saturating float-to-int conversion; the fraction is dropped.
            now as u64
        } else {
            0
        }
    }
}
