//! Durations as the map writes them: `30d`, `15m`, `7y`, `unlimited`.

use std::fmt;

/// A length of time from the map (`confirm.ttl`, retention windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration {
    seconds: i64,
    millis: i64,
}

impl Duration {
    pub const fn from_seconds(seconds: i64) -> Self {
        Self { seconds, millis: 0 }
    }

    const fn with_millis(self, millis: i64) -> Self {
        Self {
            seconds: self.seconds + millis / 1000,
            millis: millis % 1000,
        }
    }

    /// As a standard duration (negative lengths become zero).
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_millis((self.seconds * 1000 + self.millis).max(0) as u64)
    }

    pub const fn seconds(self) -> i64 {
        self.seconds
    }

    /// `90 days`, `1 year`, `2 weeks`, `36 hours`: the largest unit that divides it.
    pub fn in_words(self) -> String {
        let s = self.seconds;
        if s == 0 {
            return "0 days".to_owned();
        }
        let units = [
            ("year", 365 * 86_400),
            ("week", 7 * 86_400),
            ("day", 86_400),
            ("hour", 3_600),
            ("minute", 60),
            ("second", 1),
        ];
        let (unit, size) = units
            .into_iter()
            .find(|(_, size)| s % size == 0)
            .unwrap_or(("second", 1));
        let n = s / size;
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    }

    /// `self`, or why it is longer than an hour (`text` is how it was given): for pauses.
    pub fn at_most_an_hour(self, text: &str) -> Result<Self, String> {
        if self.seconds > 3_600 || (self.seconds == 3_600 && self.millis > 0) {
            return Err(format!(
                "`{}` is longer than the longest pause, 1h",
                text.trim()
            ));
        }
        Ok(self)
    }

    /// Parses `<number><unit>` with unit `s`, `m`, `h`, `d`, `w` or `y` (365 days).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.len() > 24 {
            return Err(format!(
                "`{}…` is too long for a duration (e.g. \"90d\")",
                text.chars().take(24).collect::<String>()
            ));
        }
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| {
            format!("`{text}` has no unit (use s, m, h, d, w or y, e.g. \"90d\")")
        })?;
        let (number, unit) = text.split_at(split);
        let number: i64 = number
            .parse()
            .map_err(|e: std::num::ParseIntError| match e.kind() {
                std::num::IntErrorKind::PosOverflow => {
                    format!("`{text}` is too long (at most 1000y)")
                }
                _ => format!("`{text}` does not start with a whole number (e.g. \"90d\")"),
            })?;
        if unit == "ms" {
            return Some(Self::from_seconds(0).with_millis(number))
                .filter(|d| d.seconds <= MAX_SECONDS)
                .ok_or_else(|| format!("`{text}` is too long (at most 1000y)"));
        }
        let unit_seconds = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            "y" => 365 * 86_400,
            _ => {
                return Err(format!(
                    "`{text}` has an unknown unit `{unit}` (use s, m, h, d, w or y)"
                ));
            }
        };
        number
            .checked_mul(unit_seconds)
            .filter(|seconds| *seconds <= MAX_SECONDS)
            .map(Self::from_seconds)
            .ok_or_else(|| format!("`{text}` is too long (at most 1000y)"))
    }
}

/// The longest duration a map may give: 1,000 years, in seconds. Anything longer is a typo, and
/// would overflow the time arithmetic of tokens and retention cutoffs.
const MAX_SECONDS: i64 = 1000 * 365 * 86_400;

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        for (unit, size) in [("y", 365 * 86_400), ("d", 86_400), ("h", 3_600), ("m", 60)] {
            if s != 0 && s % size == 0 {
                return write!(f, "{}{unit}", s / size);
            }
        }
        write!(f, "{s}s")
    }
}

/// A retention window: a duration or `unlimited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Keep(Duration),
    Unlimited,
}

impl Window {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.trim() == "unlimited" {
            Ok(Self::Unlimited)
        } else {
            Duration::parse(text).map(Self::Keep)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_durations_in_the_largest_whole_unit() {
        let words = |text: &str| Duration::parse(text).unwrap().in_words();
        assert_eq!(words("90d"), "90 days");
        assert_eq!(words("1y"), "1 year");
        assert_eq!(words("14d"), "2 weeks");
        assert_eq!(words("36h"), "36 hours");
        assert_eq!(words("1d"), "1 day");
        assert_eq!(words("0d"), "0 days");
        assert_eq!(words("400d"), "400 days");
    }

    #[test]
    fn refuses_durations_past_a_thousand_years() {
        assert_eq!(
            Duration::parse("1000y").unwrap().seconds(),
            1000 * 365 * 86_400
        );
        for text in [
            "100000000y",
            "1001y",
            "9223372036854775807s",
            "99999999999999999999999d",
            "999999999999999999ms",
        ] {
            let error = Duration::parse(text).unwrap_err();
            assert!(error.contains("too long"), "{text}: {error}");
        }
    }

    #[test]
    fn parses_units_and_refuses_typos() {
        assert_eq!(Duration::parse("90d").unwrap().seconds(), 90 * 86_400);
        assert_eq!(Duration::parse("15m").unwrap().seconds(), 900);
        assert_eq!(Duration::parse("7y").unwrap().seconds(), 7 * 365 * 86_400);
        assert!(Duration::parse("90").unwrap_err().contains("no unit"));
        assert!(Duration::parse("9x").unwrap_err().contains("unknown unit"));
        assert!(Duration::parse("d").is_err());
        assert_eq!(Window::parse("unlimited").unwrap(), Window::Unlimited);
        assert_eq!(Duration::parse("36h").unwrap().to_string(), "36h");
        assert_eq!(Duration::parse("14d").unwrap().to_string(), "14d");
    }
}
