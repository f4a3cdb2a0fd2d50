//! `eth_getLogs`: the logs of a block range or of one block, matched against a filter.
//!
//! Each block's bloom is checked before its receipts are read, so a block without matches
//! costs one block read. Ranges and results are bounded, as public endpoints bound them,
//! and the chain is locked per block, so a long scan never holds block production back.

use super::convert;
use super::error::{RpcResult, chain_error, invalid_params, server_error};
use super::eth::resolve_number;
use crate::chain::{Chain, SealedBlock};
use alloy_consensus::ReceiptEnvelope;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Log};
use parking_lot::RwLock;

/// Most blocks one request may scan.
pub const MAX_BLOCK_RANGE: u64 = 10_000;
/// Most logs one request may return.
pub const MAX_LOGS: usize = 10_000;

/// The logs matching `filter`, in chain order.
pub fn get_logs(chain: &RwLock<Chain>, filter: &Filter) -> RpcResult<Vec<Log>> {
    let numbers = block_numbers(&chain.read(), filter)?;
    let mut found = Vec::new();
    for number in numbers {
        found.extend(logs_at(&chain.read(), number, filter)?);
        if found.len() > MAX_LOGS {
            return Err(server_error(format!(
                "query returned more than {MAX_LOGS} results; narrow the block range or the filter"
            )));
        }
    }
    Ok(found)
}

/// The logs of block `number` matching `filter` (none if there is no such block).
pub fn logs_at(chain: &Chain, number: u64, filter: &Filter) -> RpcResult<Vec<Log>> {
    let Some(block) = chain.block_by_number(number).map_err(chain_error)? else {
        return Ok(Vec::new());
    };
    if !filter.matches_bloom(block.block.header.logs_bloom) {
        return Ok(Vec::new());
    }
    let receipts = chain.receipts(&block.hash).map_err(chain_error)?;
    Ok(matching(&block, &receipts, filter))
}

/// The logs of a block whose receipts are at hand that match `filter`.
pub fn matching(block: &SealedBlock, receipts: &[ReceiptEnvelope], filter: &Filter) -> Vec<Log> {
    if !filter.matches_bloom(block.block.header.logs_bloom) {
        return Vec::new();
    }
    let mut logs = convert::block_logs(block, receipts);
    logs.retain(|log| filter.rpc_matches(log));
    logs
}

/// The blocks a filter names, checked against the head and the range limit.
fn block_numbers(chain: &Chain, filter: &Filter) -> RpcResult<std::ops::RangeInclusive<u64>> {
    Ok(match &filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            let block = chain
                .block_by_hash(hash)
                .map_err(chain_error)?
                .ok_or_else(|| server_error(format!("unknown block {hash}")))?;
            let number = block.block.header.number;
            number..=number
        }
        FilterBlockOption::Range {
            from_block,
            to_block,
        } => {
            let head = chain.head().number;
            let resolve = |tag: &Option<_>| tag.map_or(head, |tag| resolve_number(chain, tag));
            let (from, to) = (resolve(from_block), resolve(to_block).min(head));
            if from > to && from <= head {
                return Err(invalid_params(format!(
                    "invalid block range: fromBlock {from} is after toBlock {to}"
                )));
            }
            if to.saturating_sub(from) >= MAX_BLOCK_RANGE {
                return Err(invalid_params(format!(
                    "block range too large: {} blocks, at most {MAX_BLOCK_RANGE} per request",
                    to - from + 1
                )));
            }
            from..=to
        }
    })
}
