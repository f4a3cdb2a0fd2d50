//! Reads addressed by block: a block's receipts, its transaction count, and a transaction by
//! its position in a block.
//!
//! Every method answers `null` for a block the chain does not have, and the by-index
//! methods answer `null` for an index past the block's last transaction, as geth does. Blocks
//! have no uncles, so the uncle counts are zero for every block that exists.

use super::EthRpc;
use crate::chain::SealedBlock;
use crate::rpc::convert;
use crate::rpc::error::{RpcResult, chain_error};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{B256, U64};
use alloy_rpc_types_eth::{Index, Transaction, TransactionReceipt};

impl EthRpc {
    /// The canonical block a block id names, if the chain has it.
    pub(super) fn find_block(&self, block: BlockId) -> RpcResult<Option<SealedBlock>> {
        let chain = self.shared.chain.read();
        match block {
            BlockId::Hash(hash) => chain.block_by_hash(&hash.block_hash),
            BlockId::Number(tag) => chain.block_by_number(super::resolve_number(&chain, tag)),
        }
        .map_err(chain_error)
    }

    /// `eth_getBlockReceipts`: every receipt of the block, logs numbered across the block.
    pub(super) fn block_receipts(
        &self,
        block: BlockId,
    ) -> RpcResult<Option<Vec<TransactionReceipt>>> {
        let Some(block) = self.find_block(block)? else {
            return Ok(None);
        };
        let receipts = self
            .shared
            .chain
            .read()
            .receipts(&block.hash)
            .map_err(chain_error)?;
        Ok(Some(
            (0..block.block.body.transactions.len())
                .filter_map(|index| convert::receipt(&block, &receipts, index))
                .collect(),
        ))
    }

    /// `eth_getBlockTransactionCountBy*`.
    pub(super) fn transaction_count_in(&self, block: BlockId) -> RpcResult<Option<U64>> {
        Ok(self
            .find_block(block)?
            .map(|b| U64::from(b.block.body.transactions.len())))
    }

    /// `eth_getUncleCountBy*`: zero for every block we have; there are no uncles.
    pub(super) fn uncle_count_in(&self, block: BlockId) -> RpcResult<Option<U64>> {
        Ok(self.find_block(block)?.map(|_| U64::ZERO))
    }

    /// `eth_getTransactionByBlock*AndIndex`.
    pub(super) fn transaction_at(
        &self,
        block: BlockId,
        index: Index,
    ) -> RpcResult<Option<Transaction>> {
        Ok(self
            .find_block(block)?
            .and_then(|b| convert::included_tx(&b, index.0)))
    }
}

/// A block hash as a block id (the by-hash methods take a bare hash).
pub(super) fn by_hash(hash: B256) -> BlockId {
    BlockId::from(hash)
}

/// A number or tag as a block id.
pub(super) fn by_number(tag: BlockNumberOrTag) -> BlockId {
    BlockId::Number(tag)
}
