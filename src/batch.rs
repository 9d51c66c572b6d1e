//! How many rows the next batch of a long run takes (delete-tenant, purge-retention).
//!
//! With a time budget (`--batch-time`, 100 ms unless `--batch-size` alone is given), each batch's
//! size follows from how long the last one took: a batch well under the budget lets the next one
//! grow (at most doubling), a batch over it makes the next one shrink in proportion. Sizes stay
//! between 1 and the maximum (`--batch-size`, or [`DEFAULT_MAX`]). Larger batches amortise what
//! every batch costs whatever its size (the lock and legal-hold check, the job's progress, the
//! commit's WAL flush); the budget keeps each transaction, and the locks it holds, short.
//! Without a budget every batch has the fixed size.

use std::time::Duration;

/// The time budget when neither `--batch-time` nor `--batch-size` is given.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(100);
/// The most rows a batch sized by time takes when `--batch-size` does not say.
pub const DEFAULT_MAX: u64 = 100_000;
/// The first batch of a pass when sized by time (or the maximum, if smaller).
pub const FIRST: u64 = 1_000;
/// A batch aims at this share of the budget, so the noise of one batch seldom pushes the next
/// over it.
const AIM: f64 = 0.7;
/// A batch under this share of the budget lets the next one grow.
const WELL_UNDER: f64 = 0.5;

/// How a run sizes its batches, from `--batch-size` and `--batch-time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizing {
    /// `--batch-size`: the fixed size, or with a budget the largest.
    pub max: u64,
    /// `--batch-time`: the time one batch should take; `None`: every batch has `max` rows.
    pub budget: Option<Duration>,
}

impl Sizing {
    /// From the flags: `--batch-size` alone keeps a fixed size; otherwise batches are sized by
    /// time (`--batch-time`, default 100 ms), at most `--batch-size` rows (default 100,000).
    pub fn from_flags(batch_size: Option<u32>, batch_time: Option<Duration>) -> Self {
        match (batch_size, batch_time) {
            (Some(size), None) => Sizing {
                max: u64::from(size.max(1)),
                budget: None,
            },
            (size, time) => Sizing {
                max: size.map_or(DEFAULT_MAX, |s| u64::from(s.max(1))),
                budget: Some(time.unwrap_or(DEFAULT_BUDGET)),
            },
        }
    }

    /// A sizer for one pass over a table.
    pub fn sizer(self) -> Sizer {
        Sizer {
            sizing: self,
            size: match self.budget {
                Some(_) => FIRST.min(self.max),
                None => self.max,
            },
        }
    }
}

/// The size of one pass's batches, adapting to the time each batch took.
#[derive(Debug, Clone, Copy)]
pub struct Sizer {
    sizing: Sizing,
    size: u64,
}

impl Sizer {
    /// Rows the next batch takes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The next batch's size as an SQL `LIMIT`.
    pub fn limit(&self) -> i64 {
        i64::try_from(self.size).unwrap_or(i64::MAX)
    }

    /// A batch of `rows` rows (of the [`size`](Self::size) asked) took `took`.
    pub fn record(&mut self, rows: u64, took: Duration) {
        if let Some(budget) = self.sizing.budget {
            self.size = next_size(self.size, rows, took, budget, self.sizing.max);
        }
    }
}

/// The next batch's size after a batch asked for `size` rows got `rows` of them in `took`:
/// in proportion to the rows the budget has room for (aiming at 70% of it), at most double
/// `size`; at least one row more when the batch took under half the budget, at least one row
/// fewer when it took longer than the budget; always between 1 and `max`.
pub fn next_size(size: u64, rows: u64, took: Duration, budget: Duration, max: u64) -> u64 {
    let max = max.max(1);
    let size = size.clamp(1, max);
    if rows == 0 {
        return size; // nothing learnt
    }
    let took_s = took.as_secs_f64();
    let budget_s = budget.as_secs_f64();
    let grown = size.saturating_mul(2);
    let next = if took_s <= 0.0 {
        grown
    } else {
        // Rows per second of this batch, times the time aimed at.
        let fits = rows as f64 / took_s * budget_s * AIM;
        (fits.floor().max(1.0) as u64).min(grown)
    };
    let next = if took > budget {
        next.min(size - 1)
    } else if took_s < budget_s * WELL_UNDER {
        next.max(size.saturating_add(1))
    } else {
        next
    };
    next.clamp(1, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn grows_when_well_under_the_budget_at_most_doubling() {
        assert_eq!(next_size(1000, 1000, MS(10), MS(100), 100_000), 2000);
        assert_eq!(next_size(1000, 1000, MS(0), MS(100), 100_000), 2000);
        // Just under half the budget: still grows, in proportion (70% of the budget).
        assert_eq!(next_size(1000, 1000, MS(40), MS(100), 100_000), 1750);
    }

    #[test]
    fn shrinks_when_over_the_budget_in_proportion() {
        assert_eq!(next_size(10_000, 10_000, MS(200), MS(100), 100_000), 3500);
        assert_eq!(next_size(10_000, 10_000, MS(101), MS(100), 100_000), 6930);
        // Far over: straight down to what fits, however small.
        assert_eq!(next_size(10_000, 10_000, MS(100_000), MS(100), 100_000), 7);
        assert_eq!(next_size(3, 3, MS(100_000), MS(100), 100_000), 1);
    }

    #[test]
    fn settles_near_the_aim_inside_the_budget() {
        // 70 ms of 100: neither well under nor over, so the size follows the rate.
        assert_eq!(next_size(7000, 7000, MS(75), MS(100), 100_000), 6533);
        assert_eq!(next_size(7000, 7000, MS(60), MS(100), 100_000), 8166);
        // A batch that simulates a steady 10 µs per row and 2 ms per batch converges and stays
        // under the budget.
        let mut size = FIRST;
        for _ in 0..50 {
            let took = Duration::from_micros(2_000 + 10 * size);
            size = next_size(size, size, took, MS(100), 100_000);
        }
        let took = Duration::from_micros(2_000 + 10 * size);
        assert!(took < MS(100) && took > MS(50), "{size} rows took {took:?}");
    }

    #[test]
    fn never_below_one_nor_above_the_maximum() {
        assert_eq!(next_size(1, 1, MS(10_000), MS(100), 100), 1);
        assert_eq!(next_size(0, 1, MS(10_000), MS(100), 100), 1);
        assert_eq!(next_size(80, 80, MS(1), MS(100), 100), 100);
        assert_eq!(next_size(100, 100, MS(1), MS(100), 100), 100);
        assert_eq!(next_size(500, 500, MS(1), MS(100), 100), 100);
        assert_eq!(next_size(5, 5, MS(1), MS(100), 0), 1);
        assert_eq!(
            next_size(u64::MAX, u64::MAX, MS(1), MS(100), u64::MAX),
            u64::MAX
        );
    }

    #[test]
    fn never_stuck() {
        // Tiny sizes under the budget still grow (a proportional step could round to nothing).
        let mut size = 1;
        for _ in 0..20 {
            let next = next_size(size, size, MS(49), MS(100), 1_000_000);
            assert!(next > size, "stuck at {size}");
            size = next;
        }
        // And shrink when over it, down to 1.
        let mut size = 1_000_000;
        while size > 1 {
            let next = next_size(size, size, MS(101), MS(100), 1_000_000);
            assert!(next < size, "stuck at {size}");
            size = next;
        }
    }

    #[test]
    fn a_short_last_batch_is_read_by_its_rows() {
        // The last batch of a table got 10 of 1000 rows in 1 ms: the rate is the rows'.
        assert_eq!(next_size(1000, 10, MS(1), MS(100), 100_000), 1001);
        assert_eq!(next_size(1000, 900, MS(1), MS(100), 100_000), 2000);
        // Nothing deleted: the size stays.
        assert_eq!(next_size(1000, 0, MS(500), MS(100), 100_000), 1000);
    }

    #[test]
    fn flags_combine() {
        let fixed = Sizing::from_flags(Some(2), None);
        assert_eq!(
            fixed,
            Sizing {
                max: 2,
                budget: None
            }
        );
        let mut sizer = fixed.sizer();
        sizer.record(2, MS(10_000));
        assert_eq!(sizer.size(), 2, "--batch-size alone is fixed");
        let default = Sizing::from_flags(None, None);
        assert_eq!(
            default,
            Sizing {
                max: DEFAULT_MAX,
                budget: Some(DEFAULT_BUDGET)
            }
        );
        assert_eq!(default.sizer().size(), FIRST);
        let both = Sizing::from_flags(Some(300), Some(MS(50)));
        assert_eq!(
            both,
            Sizing {
                max: 300,
                budget: Some(MS(50))
            }
        );
        let mut sizer = both.sizer();
        assert_eq!(sizer.size(), 300, "the first batch is at most the maximum");
        sizer.record(300, MS(100));
        assert_eq!(sizer.size(), 105);
    }
}
