//! Consensus rules an instance of the engine is configured with.
//!
//! Everything here must be identical on every node of a chain: it shapes which blocks are
//! valid. Node-local knobs (pool sizes, ports) live in [`crate::NodeConfig`].

pub use crate::shielded::ShieldedPoolConfig;
pub use crate::staking::StakingConfig;
use serde::{Deserialize, Serialize};

/// Chain id of Hubble, the public chain ("VNT" in ASCII).
pub const HUBBLE_CHAIN_ID: u64 = 0x564e54;
/// Chain id of development chains, the id wallets expect for a local node.
pub const DEV_CHAIN_ID: u64 = 1337;

/// Rules every block of a chain follows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChainConfig {
    /// EIP-155 chain id; transactions signed for another chain are rejected.
    pub chain_id: u64,
    /// Gas available to one block.
    pub block_gas_limit: u64,
    /// EIP-1559: the base fee moves by at most 1/`base_fee_change_denominator` per block.
    #[serde(default = "default_change_denominator")]
    pub base_fee_change_denominator: u64,
    /// EIP-1559: the gas target is `block_gas_limit / elasticity_multiplier`.
    #[serde(default = "default_elasticity")]
    pub elasticity_multiplier: u64,
    /// Largest encoded transaction accepted, in bytes (geth's limit: 128 KiB).
    #[serde(default = "default_max_tx_size")]
    pub max_tx_size: usize,
    /// The shielded pool's pinned verifying key; without one the pool refuses every call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shielded_pool: Option<ShieldedPoolConfig>,
    /// The staking contract's parameters; without them it refuses every call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staking: Option<StakingConfig>,
}

fn default_change_denominator() -> u64 {
    8
}
fn default_elasticity() -> u64 {
    2
}
fn default_max_tx_size() -> usize {
    128 * 1024
}

impl ChainConfig {
    /// Rules with Ethereum's EIP-1559 parameters and a 30M gas block.
    pub fn new(chain_id: u64) -> Self {
        Self {
            chain_id,
            block_gas_limit: 30_000_000,
            base_fee_change_denominator: default_change_denominator(),
            elasticity_multiplier: default_elasticity(),
            max_tx_size: default_max_tx_size(),
            shielded_pool: None,
            staking: None,
        }
    }

    /// EIP-1559 parameters in the form alloy computes with.
    pub fn base_fee_params(&self) -> alloy_eips::eip1559::BaseFeeParams {
        alloy_eips::eip1559::BaseFeeParams::new(
            self.base_fee_change_denominator as u128,
            self.elasticity_multiplier as u128,
        )
    }

    /// The next block's base fee after a parent that used `gas_used` at `base_fee`.
    pub fn next_base_fee(&self, gas_used: u64, base_fee: u64) -> u64 {
        self.base_fee_params()
            .next_block_base_fee(gas_used, self.block_gas_limit, base_fee)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_fee_rises_when_blocks_are_full_and_falls_when_empty() {
        let c = ChainConfig::new(DEV_CHAIN_ID);
        let base = 1_000_000_000;
        assert_eq!(c.next_base_fee(c.block_gas_limit / 2, base), base);
        assert_eq!(c.next_base_fee(c.block_gas_limit, base), base + base / 8);
        assert_eq!(c.next_base_fee(0, base), base - base / 8);
    }
}
