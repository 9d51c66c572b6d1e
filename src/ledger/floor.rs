//! The retention floor a signed checkpoint carries (issue 17, item 6), as one extension line of
//! the C2SP checkpoint:
//!
//! ```text
//! privctl-retention FLOOR WINDOW CUTOFF
//! ```
//!
//! - `FLOOR`: the leaves below it have had their entries' bodies deleted by retention (their
//!   hashes stay in the tree, so proofs of them stay valid);
//! - `WINDOW`: `[retention] ledger` when the checkpoint was signed (`7y`, `90d`…), `-` for none;
//! - `CUTOFF`: every entry below the floor was written at or before it, and every entry written
//!   after it is still kept; `-` while nothing was purged and no window is set. Canonical UTC
//!   text (`2026-11-25T15:50:31.123456Z`), so text order is time order.
//!
//! This module is pure: the line's format and the rules a signer, a witness and a receipt's
//! verifier apply to it. Wiring it into `audit checkpoint`, `audit witness`, `audit-verify
//! --checkpoint` and `receipt verify` is the rest of item 6.

use crate::clock::Timestamp;
use crate::map::Duration;

use super::note::Checkpoint;

/// The extension line's first word.
pub const PREFIX: &str = "privctl-retention";

/// What a checkpoint signs about retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Floor {
    pub floor: u64,
    pub window: Option<Duration>,
    /// Canonical UTC text.
    pub cutoff: Option<String>,
}

impl Floor {
    /// What a signer signs at `now`: `floor` leaves purged, the last of them written at
    /// `last_purged_at`, under `window`. The cutoff is `now - window`, or the last purged
    /// entry's time when that is later (a window that grew after a purge).
    pub fn at_signing(
        floor: u64,
        window: Option<Duration>,
        last_purged_at: Option<&str>,
        now: Timestamp,
    ) -> Self {
        let by_window = window.map(|w| now.plus_seconds(-w.seconds()).to_canonical());
        let by_purge = last_purged_at.filter(|_| floor > 0).map(str::to_owned);
        Self {
            floor,
            window,
            cutoff: by_window.into_iter().chain(by_purge).max(),
        }
    }

    /// The extension line.
    pub fn line(&self) -> String {
        format!(
            "{PREFIX} {} {} {}",
            self.floor,
            self.window
                .map_or_else(|| "-".to_owned(), |w| w.to_string()),
            self.cutoff.as_deref().unwrap_or("-")
        )
    }

    /// Parses one extension line (`None`: not a retention line).
    pub fn parse_line(line: &str) -> Option<Result<Self, String>> {
        let rest = line.strip_prefix(PREFIX)?.strip_prefix(' ')?;
        Some(Self::parse_fields(rest))
    }

    fn parse_fields(rest: &str) -> Result<Self, String> {
        let fields: Vec<&str> = rest.split(' ').collect();
        let [floor, window, cutoff] = fields[..] else {
            return Err(format!(
                "`{PREFIX} {rest}` is not `{PREFIX} FLOOR WINDOW CUTOFF`"
            ));
        };
        if floor.is_empty()
            || !floor.bytes().all(|b| b.is_ascii_digit())
            || (floor.len() > 1 && floor.starts_with('0'))
        {
            return Err(format!(
                "the retention floor `{floor}` is not a decimal without leading zeros"
            ));
        }
        let floor = floor
            .parse()
            .map_err(|_| format!("the retention floor `{floor}` is too large"))?;
        let window = match window {
            "-" => None,
            text => {
                let parsed =
                    Duration::parse(text).map_err(|e| format!("the retention window: {e}"))?;
                if parsed.to_string() != text {
                    return Err(format!(
                        "the retention window `{text}` is not written as privctl writes it (`{parsed}`)"
                    ));
                }
                Some(parsed)
            }
        };
        let cutoff = match cutoff {
            "-" => None,
            text => {
                let parsed = Timestamp::parse(text)
                    .map_err(|e| format!("the retention cutoff `{text}`: {e}"))?;
                if parsed.to_canonical() != text {
                    return Err(format!(
                        "the retention cutoff `{text}` is not canonical UTC (`{}`)",
                        parsed.to_canonical()
                    ));
                }
                Some(text.to_owned())
            }
        };
        if cutoff.is_none() && (floor > 0 || window.is_some()) {
            return Err("a retention floor or window without a cutoff".to_owned());
        }
        Ok(Self {
            floor,
            window,
            cutoff,
        })
    }

    /// The checkpoint's retention line: `None` when it has none (a checkpoint of another tool
    /// or from before item 6); an error when it is malformed, repeated, or past the tree's size.
    pub fn of(checkpoint: &Checkpoint) -> Result<Option<Self>, String> {
        let mut found = None;
        for line in &checkpoint.extensions {
            if let Some(parsed) = Self::parse_line(line) {
                if found.is_some() {
                    return Err(format!("more than one `{PREFIX}` line"));
                }
                found = Some(parsed?);
            }
        }
        if let Some(floor) = &found
            && floor.floor > checkpoint.size
        {
            return Err(format!(
                "the retention floor {} is beyond the tree's size {}",
                floor.floor, checkpoint.size
            ));
        }
        Ok(found)
    }

    /// Whether a log may go from `self` to `next` (a signer, a witness): the floor never goes
    /// down (bodies cannot come back: the log was restored from before a retention purge), and
    /// it goes up only while `self` announced a window (a log that said it keeps every entry
    /// cannot have purged any).
    pub fn may_precede(&self, next: &Self) -> Result<(), String> {
        if next.floor < self.floor {
            return Err(format!(
                "the retention floor went down from {} to {}: the log was rolled back below a retention purge",
                self.floor, next.floor
            ));
        }
        if next.floor > self.floor && self.window.is_none() {
            return Err(format!(
                "entries {}..{} were purged though the checkpoint before said the log keeps every entry",
                self.floor, next.floor
            ));
        }
        Ok(())
    }

    /// For a signer, which knows the entries' times: the entries purged since `self` (the last
    /// one written at `last_purged_at`) were older than the window `self` announced, at `now`.
    pub fn purged_within_window(
        &self,
        next_floor: u64,
        last_purged_at: Option<&str>,
        now: Timestamp,
    ) -> Result<(), String> {
        if next_floor <= self.floor {
            return Ok(());
        }
        let Some(window) = self.window else {
            return Err(format!(
                "entries {}..{next_floor} were purged though the checkpoint before said the log keeps every entry",
                self.floor
            ));
        };
        let limit = now.plus_seconds(-window.seconds()).to_canonical();
        match last_purged_at {
            Some(at) if at < limit.as_str() => Ok(()),
            Some(at) => Err(format!(
                "entry {} (written {at}) was purged before the window of {window} the last checkpoint announced had passed",
                next_floor - 1
            )),
            None => Err(format!(
                "entries {}..{next_floor} were purged and no retention checkpoint says when they were written",
                self.floor
            )),
        }
    }

    /// For a receipt's verifier: an entry below the floor (its body purged) must have been
    /// written at or before the cutoff.
    pub fn admits(&self, index: u64, at: &str) -> Result<(), String> {
        if index >= self.floor {
            return Ok(());
        }
        match self.cutoff.as_deref() {
            Some(cutoff) if at <= cutoff => Ok(()),
            _ => Err(format!(
                "the checkpoint says entry {index} was purged, but it was written {at}, after the cutoff {}",
                self.cutoff.as_deref().unwrap_or("-")
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse("2027-06-01T00:00:00Z").unwrap()
    }

    fn days(n: i64) -> Option<Duration> {
        Some(Duration::from_seconds(n * 86_400))
    }

    #[test]
    fn the_line_round_trips() {
        for floor in [
            Floor::at_signing(0, None, None, now()),
            Floor::at_signing(0, days(30), None, now()),
            Floor::at_signing(
                12,
                days(7 * 365),
                Some("2020-01-01T00:00:00.000000Z"),
                now(),
            ),
        ] {
            let line = floor.line();
            assert_eq!(Floor::parse_line(&line), Some(Ok(floor.clone())), "{line}");
        }
        assert_eq!(
            Floor::at_signing(
                12,
                days(7 * 365),
                Some("2020-01-01T00:00:00.000000Z"),
                now()
            )
            .line(),
            "privctl-retention 12 7y 2020-06-02T00:00:00.000000Z"
        );
        assert_eq!(
            Floor::at_signing(0, None, None, now()).line(),
            "privctl-retention 0 - -"
        );
    }

    #[test]
    fn a_window_that_grew_after_a_purge_keeps_the_purge_as_cutoff() {
        let floor = Floor::at_signing(5, days(30), Some("2027-05-20T00:00:00.000000Z"), now());
        assert_eq!(floor.cutoff.as_deref(), Some("2027-05-20T00:00:00.000000Z"));
        floor.admits(4, "2027-05-20T00:00:00.000000Z").unwrap();
    }

    #[test]
    fn malformed_lines_are_refused() {
        for line in [
            "privctl-retention 01 - -",
            "privctl-retention 1 - -",
            "privctl-retention 0 7y -",
            "privctl-retention 0 - 2027-01-01T00:00:00Z",
            "privctl-retention 0 365d 2027-01-01T00:00:00.000000Z",
            "privctl-retention 0 7x 2027-01-01T00:00:00.000000Z",
            "privctl-retention 0 - - extra",
            "privctl-retention -1 - -",
        ] {
            assert!(
                matches!(Floor::parse_line(line), Some(Err(_))),
                "{line}: {:?}",
                Floor::parse_line(line)
            );
        }
        assert_eq!(Floor::parse_line("other-extension 1 2 3"), None);
    }

    #[test]
    fn a_checkpoint_has_at_most_one_line_within_its_size() {
        let mut checkpoint = Checkpoint::new("example.com/log", 10, [0; 32]);
        assert_eq!(Floor::of(&checkpoint), Ok(None));
        checkpoint.extensions.push(
            Floor::at_signing(10, days(1), Some("2027-01-01T00:00:00.000000Z"), now()).line(),
        );
        assert!(Floor::of(&checkpoint).unwrap().is_some());
        checkpoint.extensions.push("privctl-retention 0 - -".into());
        assert!(Floor::of(&checkpoint).is_err());
        checkpoint.extensions =
            vec![Floor::at_signing(11, days(1), Some("2027-01-01T00:00:00.000000Z"), now()).line()];
        assert!(Floor::of(&checkpoint).unwrap_err().contains("beyond"));
    }

    #[test]
    fn the_floor_never_goes_down_and_rises_only_under_a_window() {
        let keep_all = Floor::at_signing(0, None, None, now());
        let windowed = Floor::at_signing(0, days(30), None, now());
        let purged = Floor::at_signing(4, days(30), Some("2027-01-01T00:00:00.000000Z"), now());
        windowed.may_precede(&purged).unwrap();
        keep_all.may_precede(&windowed).unwrap();
        assert!(keep_all.may_precede(&purged).is_err());
        assert!(
            purged
                .may_precede(&windowed)
                .unwrap_err()
                .contains("rolled back")
        );
    }

    #[test]
    fn a_purge_inside_the_announced_window_is_refused() {
        let last = Floor::at_signing(0, days(30), None, now());
        last.purged_within_window(4, Some("2027-04-01T00:00:00.000000Z"), now())
            .unwrap();
        let early = last.purged_within_window(4, Some("2027-05-15T00:00:00.000000Z"), now());
        assert!(early.unwrap_err().contains("entry 3"));
        assert!(last.purged_within_window(4, None, now()).is_err());
        last.purged_within_window(0, None, now()).unwrap();
        let keep_all = Floor::at_signing(0, None, None, now());
        assert!(
            keep_all
                .purged_within_window(1, Some("2000-01-01T00:00:00.000000Z"), now())
                .is_err()
        );
    }

    #[test]
    fn an_entry_below_the_floor_must_be_older_than_the_cutoff() {
        let floor = Floor::at_signing(4, days(30), Some("2027-04-01T00:00:00.000000Z"), now());
        floor.admits(3, "2027-04-01T00:00:00.000000Z").unwrap();
        floor.admits(4, "2027-05-31T00:00:00.000000Z").unwrap();
        assert!(floor.admits(3, "2027-05-31T00:00:00.000000Z").is_err());
    }
}
