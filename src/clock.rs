//! privctl's clock: the only way to read "now", so tests can fix it (`PRIVCTL_NOW`).

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// A UTC instant with microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The wall clock, unless `fixed` (from `PRIVCTL_NOW`) gives an RFC 3339 time.
    pub fn now(fixed: Option<&str>) -> anyhow::Result<Self> {
        match fixed {
            Some(text) => Self::parse(text)
                .map_err(|e| anyhow::anyhow!("PRIVCTL_NOW={text}: not an RFC 3339 time ({e})")),
            #[allow(clippy::disallowed_methods)]
            None => Ok(Self::from(OffsetDateTime::now_utc())),
        }
    }

    pub fn parse(text: &str) -> Result<Self, time::error::Parse> {
        OffsetDateTime::parse(text, &Rfc3339).map(Self::from)
    }

    /// `2026-11-25T15:50:31.123456Z`: fixed width, so text order is time order.
    pub fn to_canonical(self) -> String {
        self.0
            .format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
            ))
            .expect("a UTC time formats")
    }

    /// RFC 3339 to the second, for people and JSON output.
    pub fn to_rfc3339(self) -> String {
        self.0
            .format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .expect("a UTC time formats")
    }

    /// `seconds` later (earlier when negative), held at the calendar's ends rather than
    /// overflowing.
    pub fn plus_seconds(self, seconds: i64) -> Self {
        let moved = self.0.checked_add(time::Duration::seconds(seconds));
        Self(moved.unwrap_or(if seconds < 0 {
            time::PrimitiveDateTime::MIN.assume_utc()
        } else {
            time::PrimitiveDateTime::MAX.assume_utc()
        }))
    }

    /// Seconds since the Unix epoch (the database's `EXTRACT(EPOCH …)`); `None` out of range.
    pub fn from_unix(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds).ok().map(Self)
    }

    /// Microseconds since the Unix epoch.
    pub fn unix_micros(self) -> i128 {
        self.0.unix_timestamp_nanos() / 1000
    }

    pub fn unix(self) -> i64 {
        self.0.unix_timestamp()
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Self {
        let t = t.to_offset(UtcOffset::UTC);
        Self(
            t.replace_nanosecond(t.nanosecond() / 1000 * 1000)
                .expect("valid nanosecond"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_time_is_fixed_width_utc() {
        let t = Timestamp::parse("2026-11-25T16:50:31.1234567+01:00").unwrap();
        assert_eq!(t.to_canonical(), "2026-11-25T15:50:31.123456Z");
        assert_eq!(t.to_rfc3339(), "2026-11-25T15:50:31Z");
        assert!(Timestamp::now(Some("yesterday")).is_err());
    }
}
