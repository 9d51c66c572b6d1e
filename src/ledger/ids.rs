//! Sets of blob outbox ids as ledger entries write them: ascending, comma-separated ranges
//! (`3-5,9,12-40`). A `dsar-delete` entry names the ids its erasure queued, each `blob-delete`
//! entry the ids whose objects it deleted, so a receipt can prove that every object of an
//! erasure is gone with nothing but entries of the log.

use std::fmt;

/// A set of ids, as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdSet(Vec<(i64, i64)>);

impl IdSet {
    pub fn from_ids(ids: impl IntoIterator<Item = i64>) -> Self {
        let mut ids: Vec<i64> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        let mut ranges: Vec<(i64, i64)> = Vec::new();
        for id in ids {
            match ranges.last_mut() {
                Some((_, end)) if *end + 1 == id => *end = id,
                _ => ranges.push((id, id)),
            }
        }
        Self(ranges)
    }

    /// Parses what [`fmt::Display`] writes, and nothing else (so one set has one text).
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Ok(Self::default());
        }
        let number = |part: &str| -> Result<i64, String> {
            if part.is_empty()
                || !part.bytes().all(|b| b.is_ascii_digit())
                || (part.len() > 1 && part.starts_with('0'))
            {
                return Err(format!("`{part}` is not an id"));
            }
            part.parse().map_err(|_| format!("`{part}` is too large"))
        };
        let mut ranges: Vec<(i64, i64)> = Vec::new();
        for part in text.split(',') {
            let (start, end) = match part.split_once('-') {
                Some((start, end)) => (number(start)?, number(end)?),
                None => (number(part)?, number(part)?),
            };
            let follows = ranges.last().is_none_or(|&(_, last)| start > last + 1);
            if end < start || (part.contains('-') && end == start) || !follows {
                return Err(format!(
                    "`{text}` is not ascending, disjoint ranges written as privctl writes them"
                ));
            }
            ranges.push((start, end));
        }
        Ok(Self(ranges))
    }

    pub fn len(&self) -> u64 {
        self.0.iter().map(|&(s, e)| (e - s + 1) as u64).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The ids of `self` that are not in `other`.
    pub fn minus(&self, other: &IdSet) -> IdSet {
        let mut out = Vec::new();
        for &(start, end) in &self.0 {
            let mut from = start;
            for &(s, e) in &other.0 {
                if e < from || s > end {
                    continue;
                }
                if s > from {
                    out.push((from, s - 1));
                }
                from = e + 1;
                if from > end {
                    break;
                }
            }
            if from <= end {
                out.push((from, end));
            }
        }
        IdSet(out)
    }

    /// Whether `self` and `other` share an id.
    pub fn meets(&self, other: &IdSet) -> bool {
        self.minus(other) != *self
    }
}

impl fmt::Display for IdSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(start, end)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if start == end {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{end}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(ids: &[i64]) -> std::collections::BTreeSet<i64> {
        ids.iter().copied().collect()
    }

    fn members(set: &IdSet) -> std::collections::BTreeSet<i64> {
        set.0.iter().flat_map(|&(s, e)| s..=e).collect()
    }

    #[test]
    fn ranges_round_trip_and_have_one_text() {
        let set = IdSet::from_ids([9, 3, 4, 5, 12, 13, 5]);
        assert_eq!(set.to_string(), "3-5,9,12-13");
        assert_eq!(IdSet::parse("3-5,9,12-13").unwrap(), set);
        assert_eq!(set.len(), 6);
        assert_eq!(IdSet::parse("").unwrap(), IdSet::default());
        for bad in [
            "3-5,4", "5-3", "3-3", "3,4", "03", "1,,2", "-1", "1-", "a", "3-5,6",
        ] {
            assert!(IdSet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn minus_and_meets_agree_with_sets() {
        // Every pair of subsets of 0..8, against BTreeSet.
        for a in 0u32..256 {
            for b in (0u32..256).step_by(7) {
                let xs: Vec<i64> = (0..8).filter(|i| a & (1 << i) != 0).collect();
                let ys: Vec<i64> = (0..8).filter(|i| b & (1 << i) != 0).collect();
                let (x, y) = (IdSet::from_ids(xs.clone()), IdSet::from_ids(ys.clone()));
                let expected: std::collections::BTreeSet<i64> =
                    naive(&xs).difference(&naive(&ys)).copied().collect();
                assert_eq!(members(&x.minus(&y)), expected, "{x} minus {y}");
                assert_eq!(
                    x.meets(&y),
                    naive(&xs).intersection(&naive(&ys)).next().is_some()
                );
                assert_eq!(IdSet::parse(&x.to_string()).unwrap(), x);
            }
        }
    }
}
