//! The VNT token: supply, the white paper's genesis allocation and the team lock-up.
//!
//! Genesis issues 10,000,000,000 VNT (18 decimals): 20% to donors, 20% to the founding team,
//! 40% to the ecosystem fund and 20% to the foundation. The team allocation vests on a
//! schedule counted from the genesis timestamp: nothing for the first 6 months, 20% of the
//! team total at month 6, then 10% more at the end of every following quarter, so the whole
//! allocation is free by month 30 and certainly after 36. A transaction from a locked account
//! may never leave its balance below the still-locked amount; see `docs/src/token.md`.

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

/// One VNT in wei (18 decimals).
pub const VNT: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// Total supply issued at genesis, in whole VNT.
pub const TOTAL_SUPPLY_VNT: u64 = 10_000_000_000;

/// Seconds in an average Gregorian month (365.2425 days / 12); vesting counts these.
pub const SECONDS_PER_MONTH: u64 = 2_629_746;

/// Converts whole VNT into wei.
pub fn vnt(amount: u64) -> U256 {
    U256::from(amount) * VNT
}

/// A cliff-then-quarterly release schedule for a locked genesis allocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VestingSchedule {
    /// The amount the schedule releases in total, in wei.
    pub total: U256,
    /// Unix time the schedule counts from (the genesis timestamp).
    pub start: u64,
    /// Months before anything is released.
    pub cliff_months: u64,
    /// Percent of `total` released at the cliff.
    pub cliff_percent: u64,
    /// Months between later releases.
    pub step_months: u64,
    /// Percent of `total` released at each later step.
    pub step_percent: u64,
}

impl VestingSchedule {
    /// The white paper's team schedule: 6-month cliff, 20% then 10% per quarter.
    pub fn team(total: U256, start: u64) -> Self {
        Self {
            total,
            start,
            cliff_months: 6,
            cliff_percent: 20,
            step_months: 3,
            step_percent: 10,
        }
    }

    /// Percent of the total released at unix time `now`.
    pub fn vested_percent(&self, now: u64) -> u64 {
        let months = now.saturating_sub(self.start) / SECONDS_PER_MONTH;
        if months < self.cliff_months {
            return 0;
        }
        let steps = (months - self.cliff_months) / self.step_months.max(1);
        self.cliff_percent
            .saturating_add(steps.saturating_mul(self.step_percent))
            .min(100)
    }

    /// Amount released at unix time `now`, in wei.
    pub fn vested(&self, now: u64) -> U256 {
        self.total * U256::from(self.vested_percent(now)) / U256::from(100)
    }

    /// Amount still locked at unix time `now`, in wei.
    pub fn locked(&self, now: u64) -> U256 {
        self.total - self.vested(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_month(schedule: &VestingSchedule, month: u64) -> u64 {
        schedule.vested_percent(schedule.start + month * SECONDS_PER_MONTH)
    }

    #[test]
    fn team_schedule_releases_nothing_before_month_six() {
        let s = VestingSchedule::team(vnt(2_000_000_000), 1_000);
        assert_eq!(at_month(&s, 0), 0);
        assert_eq!(s.vested_percent(s.start + 6 * SECONDS_PER_MONTH - 1), 0);
        assert_eq!(at_month(&s, 5), 0);
    }

    #[test]
    fn team_schedule_releases_twenty_percent_at_month_six_then_ten_per_quarter() {
        let s = VestingSchedule::team(vnt(2_000_000_000), 1_000);
        assert_eq!(at_month(&s, 6), 20);
        assert_eq!(at_month(&s, 8), 20);
        assert_eq!(at_month(&s, 9), 30);
        assert_eq!(at_month(&s, 12), 40);
        assert_eq!(at_month(&s, 29), 90);
        assert_eq!(at_month(&s, 30), 100);
        assert_eq!(at_month(&s, 36), 100);
        assert_eq!(s.vested(s.start + 36 * SECONDS_PER_MONTH), s.total);
        assert_eq!(
            s.locked(s.start + 9 * SECONDS_PER_MONTH),
            vnt(1_400_000_000)
        );
    }

    #[test]
    fn time_before_genesis_counts_as_month_zero() {
        let s = VestingSchedule::team(vnt(100), 10_000);
        assert_eq!(s.vested(0), U256::ZERO);
    }
}
