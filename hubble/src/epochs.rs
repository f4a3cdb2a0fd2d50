//! Which blocks each consensus epoch orders. On a chain of validators (sealed blocks,
//! staking epochs) epoch `e` has its own committee and engine (`crate::engine`) and orders
//! heights `e·L … (e+1)·L − 1`, `L` being the staking contract's epoch length (epoch 0 from
//! height 1: the genesis block is nobody's to order). Elsewhere one engine orders everything
//! as epoch 0.

use std::ops::RangeInclusive;
use vnt_chain::Chain;

/// Blocks per consensus epoch on `chain`; `None` where one engine runs for ever.
pub fn consensus_epoch_length(chain: &Chain) -> Option<u64> {
    let staking = chain.config().staking.as_ref()?;
    chain.takes_seals().then_some(staking.epoch_length)
}

/// The consensus epoch whose engine finalizes block `height` on `chain` (0 on a chain
/// without epochs).
pub fn consensus_epoch_of(chain: &Chain, height: u64) -> u64 {
    consensus_epoch_length(chain).map_or(0, |length| height / length)
}

/// The heights epoch `epoch` orders when epochs are `length` blocks long.
pub fn epoch_heights(length: u64, epoch: u64) -> RangeInclusive<u64> {
    let first = epoch.saturating_mul(length).max(1);
    first..=epoch.saturating_add(1).saturating_mul(length) - 1
}
