//! Fee market answers: `eth_gasPrice`, `eth_maxPriorityFeePerGas` and `eth_feeHistory`.

use super::error::{RpcResult, chain_error, invalid_params, server_error};
use super::eth::resolve_number;
use crate::chain::{Chain, SealedBlock};
use alloy_consensus::Transaction as _;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::U256;
use alloy_rpc_types_eth::FeeHistory;

/// Tip suggested when recent blocks carry no transactions: 1 gwei.
const DEFAULT_TIP: u128 = 1_000_000_000;
/// Blocks `eth_maxPriorityFeePerGas` looks back over.
const TIP_LOOKBACK: u64 = 20;
/// Most blocks one `eth_feeHistory` call may cover (geth's limit).
const MAX_FEE_HISTORY: u64 = 1024;

/// The tip recent blocks paid: the 60th percentile over the last blocks, or 1 gwei.
pub fn suggested_tip(chain: &Chain) -> RpcResult<u128> {
    let head = chain.head().number;
    let mut tips = Vec::new();
    for number in head.saturating_sub(TIP_LOOKBACK - 1)..=head {
        let Some(block) = chain.block_by_number(number).map_err(chain_error)? else {
            continue;
        };
        let base_fee = block.block.header.base_fee_per_gas.unwrap_or_default();
        tips.extend(
            block
                .block
                .body
                .transactions
                .iter()
                .filter_map(|tx| tx.effective_tip_per_gas(base_fee)),
        );
    }
    if tips.is_empty() {
        return Ok(DEFAULT_TIP);
    }
    tips.sort_unstable();
    Ok(tips[(tips.len() - 1) * 60 / 100])
}

pub fn gas_price(chain: &Chain) -> RpcResult<U256> {
    let tip = suggested_tip(chain)?;
    let base_fee = chain.next_base_fee();
    Ok(U256::from(base_fee as u128 + tip))
}

pub fn fee_history(
    chain: &Chain,
    block_count: u64,
    newest: BlockNumberOrTag,
    percentiles: Vec<f64>,
) -> RpcResult<FeeHistory> {
    if percentiles.windows(2).any(|w| w[0] > w[1])
        || percentiles.iter().any(|p| !(0.0..=100.0).contains(p))
    {
        return Err(invalid_params(
            "invalid reward percentiles: each must be within 0..=100, in ascending order",
        ));
    }
    let newest = resolve_number(chain, newest);
    if newest > chain.head().number {
        return Err(invalid_params(format!(
            "request beyond head block: requested {newest}, head {}",
            chain.head().number
        )));
    }
    let count = block_count.clamp(0, MAX_FEE_HISTORY).min(newest + 1);
    let oldest = newest + 1 - count;
    let mut history = FeeHistory {
        oldest_block: oldest,
        ..Default::default()
    };
    let mut reward = Vec::new();
    for number in oldest..=newest {
        let block = chain
            .block_by_number(number)
            .map_err(chain_error)?
            .ok_or_else(|| server_error(format!("block {number} is missing")))?;
        let header = &block.block.header;
        let base_fee = header.base_fee_per_gas.unwrap_or_default();
        history.base_fee_per_gas.push(base_fee as u128);
        history
            .gas_used_ratio
            .push(header.gas_used as f64 / header.gas_limit as f64);
        history.base_fee_per_blob_gas.push(0);
        history.blob_gas_used_ratio.push(0.0);
        if !percentiles.is_empty() {
            let receipts = chain.receipts(&block.hash).map_err(chain_error)?;
            reward.push(block_rewards(&block, &receipts, &percentiles));
        }
        if number == newest {
            let next = chain.config().next_base_fee(header.gas_used, base_fee);
            history.base_fee_per_gas.push(next as u128);
            history.base_fee_per_blob_gas.push(0);
        }
    }
    if !percentiles.is_empty() {
        history.reward = Some(reward);
    }
    Ok(history)
}

/// Priority fees at the given percentiles of the block's gas, as `eth_feeHistory` reports.
fn block_rewards(
    block: &SealedBlock,
    receipts: &[alloy_consensus::ReceiptEnvelope],
    percentiles: &[f64],
) -> Vec<u128> {
    let base_fee = block.block.header.base_fee_per_gas.unwrap_or_default();
    let mut by_tip: Vec<(u128, u64)> = block
        .block
        .body
        .transactions
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            let before = i
                .checked_sub(1)
                .map_or(0, |p| receipts[p].cumulative_gas_used());
            let gas = receipts
                .get(i)
                .map_or(0, |r| r.cumulative_gas_used() - before);
            (tx.effective_tip_per_gas(base_fee).unwrap_or(0), gas)
        })
        .collect();
    if by_tip.is_empty() {
        return vec![0; percentiles.len()];
    }
    by_tip.sort_unstable();
    let total: u64 = by_tip.iter().map(|(_, gas)| gas).sum();
    percentiles
        .iter()
        .map(|p| {
            let threshold = (total as f64 * p / 100.0) as u64;
            let mut sum = 0;
            for (tip, gas) in &by_tip {
                sum += gas;
                if sum >= threshold {
                    return *tip;
                }
            }
            by_tip.last().map_or(0, |(tip, _)| *tip)
        })
        .collect()
}
