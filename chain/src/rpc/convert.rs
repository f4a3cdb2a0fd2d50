//! Our stored blocks, transactions and receipts in the shapes of Ethereum JSON-RPC.

use crate::chain::SealedBlock;
use alloy_consensus::{ReceiptEnvelope, Transaction as _, TxEnvelope, transaction::Recovered};
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::{Block, BlockTransactions, Header, Log, Transaction, TransactionReceipt};

/// A transaction as included at `index` of `block`.
pub fn included_tx(block: &SealedBlock, index: usize) -> Option<Transaction> {
    let envelope = block.block.body.transactions.get(index)?.clone();
    let sender = *block.senders.get(index)?;
    let header = &block.block.header;
    Some(Transaction {
        effective_gas_price: Some(envelope.effective_gas_price(header.base_fee_per_gas)),
        inner: Recovered::new_unchecked(envelope, sender),
        block_hash: Some(block.hash),
        block_number: Some(header.number),
        transaction_index: Some(index as u64),
        block_timestamp: Some(header.timestamp),
    })
}

/// A transaction still in the pool.
pub fn pending_tx(envelope: TxEnvelope, sender: Address) -> Transaction {
    Transaction {
        inner: Recovered::new_unchecked(envelope, sender),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: None,
        block_timestamp: None,
    }
}

/// A block, with full transactions or their hashes.
pub fn block(block: &SealedBlock, size: u64, full: bool) -> Block {
    let transactions = if full {
        let txs = (0..block.block.body.transactions.len())
            .filter_map(|index| included_tx(block, index))
            .collect();
        BlockTransactions::Full(txs)
    } else {
        BlockTransactions::Hashes(
            block
                .block
                .body
                .transactions
                .iter()
                .map(|tx| *tx.tx_hash())
                .collect(),
        )
    };
    Block {
        header: Header {
            hash: block.hash,
            inner: block.block.header.clone(),
            total_difficulty: Some(U256::ZERO),
            size: Some(U256::from(size)),
        },
        uncles: Vec::new(),
        transactions,
        withdrawals: None,
    }
}

/// A log as JSON-RPC shows it: where in the chain it was emitted.
fn rpc_log(
    block: &SealedBlock,
    tx_hash: B256,
    tx_index: usize,
    log_index: u64,
    log: alloy_primitives::Log,
) -> Log {
    let header = &block.block.header;
    Log {
        inner: log,
        block_hash: Some(block.hash),
        block_number: Some(header.number),
        block_timestamp: Some(header.timestamp),
        transaction_hash: Some(tx_hash),
        transaction_index: Some(tx_index as u64),
        log_index: Some(log_index),
        removed: false,
    }
}

/// Every log of a block, numbered across the block.
pub fn block_logs(block: &SealedBlock, receipts: &[ReceiptEnvelope]) -> Vec<Log> {
    let mut logs = Vec::new();
    for (index, (receipt, envelope)) in receipts
        .iter()
        .zip(&block.block.body.transactions)
        .enumerate()
    {
        for log in receipt.logs() {
            let log_index = logs.len() as u64;
            logs.push(rpc_log(
                block,
                *envelope.tx_hash(),
                index,
                log_index,
                log.clone(),
            ));
        }
    }
    logs
}

/// The receipt of the transaction at `index`, with logs numbered across the block.
pub fn receipt(
    block: &SealedBlock,
    receipts: &[ReceiptEnvelope],
    index: usize,
) -> Option<TransactionReceipt> {
    let consensus = receipts.get(index)?;
    let envelope = block.block.body.transactions.get(index)?;
    let sender = *block.senders.get(index)?;
    let header = &block.block.header;
    let previous_gas = index
        .checked_sub(1)
        .and_then(|i| receipts.get(i))
        .map_or(0, |r| r.cumulative_gas_used());
    let first_log_index: usize = receipts[..index].iter().map(|r| r.logs().len()).sum();
    let tx_hash = *envelope.tx_hash();
    let mut log_index = first_log_index as u64;
    let inner = consensus.clone().map_logs(|log| {
        let log = rpc_log(block, tx_hash, index, log_index, log);
        log_index += 1;
        log
    });
    let to = envelope.to();
    Some(TransactionReceipt {
        inner,
        transaction_hash: tx_hash,
        transaction_index: Some(index as u64),
        block_hash: Some(block.hash),
        block_number: Some(header.number),
        gas_used: consensus.cumulative_gas_used() - previous_gas,
        effective_gas_price: envelope.effective_gas_price(header.base_fee_per_gas),
        blob_gas_used: None,
        blob_gas_price: None,
        from: sender,
        to,
        contract_address: to.is_none().then(|| sender.create(envelope.nonce())),
    })
}
