//! privctl's clock: the only way to read "now", so tests can fix it (`PRIVCTL_NOW`).
//!
//! # The contract
//!
//! - A run reads the clock once, when it starts ([`Timestamp::now`], called from
//!   `Context::from_cli`); every time the run writes (ledger entries, token issue and expiry,
//!   retention cutoffs, job progress) is that instant.
//! - `PRIVCTL_NOW=TIME` (RFC 3339) replaces that instant **only in builds made for tests**: those
//!   with the cargo feature `test-clock`, which the crate's dev-dependency on itself switches on
//!   for `cargo test` (and any build of test targets). `cargo build --release`, `cargo build` and
//!   `cargo install` leave it off. [`TEST_CLOCK`] says which kind of build this is.
//! - A build without `test-clock` **refuses to run** while `PRIVCTL_NOW` is set, whatever its
//!   value (even empty or not UTF-8): exit 2 and one line naming the variable, before anything
//!   is read or written. It does not silently ignore it. The variable only ever comes from a
//!   test's environment (or a recipe copied from one); an operator who copied it means "run as of
//!   that time", and ignoring it would run at the real time instead: a purge would delete what the
//!   real clock expires, not what they looked at, and a cron job would look healthy while doing
//!   something other than what its author believed. Refusing costs one failed run that says why
//!   (cron mails it); ignoring could cost data. Nobody can move the clock of an installed
//!   privctl, so retention cutoffs, token lifetimes and ledger times cannot be shifted by whoever
//!   controls a job's environment.
//! - To see what a purge will do at a later time, an operator uses
//!   `purge-retention --as-of TIME`: a dry run at that instant that issues no token, records the
//!   real time and the as-of time separately in the ledger, and is refused with `--confirm`.

use std::ffi::OsStr;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// Whether this build honours `PRIVCTL_NOW`: the cargo feature `test-clock`, on in builds for
/// tests only.
pub const TEST_CLOCK: bool = cfg!(feature = "test-clock");

/// A UTC instant with microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The run's instant: the wall clock, unless `fixed` (the value of `PRIVCTL_NOW`, `None`
    /// when unset) gives one. `test_clock` is [`TEST_CLOCK`] outside this module's tests: with
    /// it, `fixed` must be an RFC 3339 time and is used; without it (a release build), any
    /// `fixed` at all is refused as a usage error (exit 2), never ignored (see the module docs).
    pub fn now(fixed: Option<&OsStr>, test_clock: bool) -> anyhow::Result<Self> {
        match fixed {
            Some(_) if !test_clock => Err(crate::error::Failure::usage(
                "PRIVCTL_NOW is set, but only builds for tests read it and this build refuses to run with a clock it would not use: unset PRIVCTL_NOW (to see a later purge, use `purge-retention --as-of TIME`)",
            )
            .into()),
            Some(raw) => {
                let text = raw.to_string_lossy();
                Self::parse(&text).map_err(|e| {
                    crate::error::Failure::usage(format!(
                        "PRIVCTL_NOW={text}: not an RFC 3339 time ({e})"
                    ))
                    .into()
                })
            }
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

    /// `25 November 2026, 10:00 UTC`: for the data subject's report.
    pub fn in_words(self) -> String {
        self.0
            .format(format_description!(
                "[day padding:none] [month repr:long] [year], [hour]:[minute] UTC"
            ))
            .expect("a UTC time formats")
    }

    /// `25 November 2026`.
    pub fn date_in_words(self) -> String {
        self.0
            .format(format_description!(
                "[day padding:none] [month repr:long] [year]"
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
        assert!(Timestamp::now(Some(OsStr::new("yesterday")), true).is_err());
    }

    /// A build for tests uses `PRIVCTL_NOW`; a build without `test-clock` refuses to run with
    /// it set (exit 2, one line naming it), whatever its value, and reads the wall clock when
    /// it is unset.
    #[test]
    fn only_a_test_build_lets_privctl_now_move_the_clock() {
        let fixed = OsStr::new("2026-11-25T10:00:00Z");
        let t = Timestamp::now(Some(fixed), true).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-25T10:00:00Z");
        for value in ["2026-11-25T10:00:00Z", "", "yesterday"] {
            let error = Timestamp::now(Some(OsStr::new(value)), false).unwrap_err();
            let failure = error.downcast_ref::<crate::error::Failure>().unwrap();
            assert_eq!(failure.kind, crate::error::Kind::Usage, "{value:?}");
            assert!(
                failure.message.contains("PRIVCTL_NOW"),
                "{}",
                failure.message
            );
            assert!(!failure.message.contains('\n'), "{}", failure.message);
            assert!(failure.hints.is_empty());
        }
        assert!(Timestamp::now(None, false).is_ok());
        assert!(Timestamp::now(None, true).is_ok());
    }

    /// The suite runs in a build for tests (the dev-dependency on this crate with `test-clock`):
    /// without it every test that fixes the clock would fail. Checked when the tests compile.
    #[test]
    fn tests_run_in_a_build_with_the_test_clock() {
        const { assert!(TEST_CLOCK) };
    }
}
