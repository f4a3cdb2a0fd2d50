//! The `eth_*`, `net_*` and `web3_*` methods.
//!
//! State is served for the latest block only: a request for an older block's state gets a
//! clear error instead of a wrong answer. `pending` reads the latest state, except that
//! `eth_getTransactionCount` counts the sender's transactions waiting in the pool.

use super::convert;
use super::error::{RpcResult, chain_error, invalid_params, reverted, server_error, tx_error};
use super::fees;
use super::params::{Empty, arity, parse};
use crate::chain::{Chain, SealedBlock};
use crate::execution::{CallOutcome, CallRequest, call};
use crate::node::Shared;
use crate::tx::verify_raw;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U256};
use alloy_rpc_types_eth::{
    Block, EIP1186AccountProofResponse, EIP1186StorageProof, Filter, Index, Transaction,
    TransactionReceipt, TransactionRequest,
};
use alloy_rpc_types_trace::geth::GethDebugTracingOptions;
use alloy_serde::JsonStorageKey;
use jsonrpsee::RpcModule;
use std::sync::Arc;

mod blocks;
mod trace;

/// Most storage keys one `eth_getProof` call may ask for.
const MAX_PROOF_KEYS: usize = 1024;

/// The handlers, over the node's shared state.
pub struct EthRpc {
    shared: Arc<Shared>,
}

impl EthRpc {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Every method, registered under its Ethereum name.
    pub fn into_module(self) -> RpcModule<EthRpc> {
        let mut module = RpcModule::new(self);
        macro_rules! method {
            ($name:literal, $what:literal, |$rpc:ident, $p:ident: $ty:ty| $body:expr) => {
                module
                    .register_blocking_method($name, |params, rpc, _| {
                        let $rpc: &EthRpc = &rpc;
                        let $p: $ty = parse(&params, arity::<$ty>(), $what)?;
                        let result = $body?;
                        serde_json::to_value(result).map_err(|e| server_error(e.to_string()))
                    })
                    .expect("method names are unique");
            };
        }
        method!("eth_chainId", "parameters", |rpc, _p: Empty| rpc.chain_id());
        method!("net_version", "parameters", |rpc, _p: Empty| rpc
            .chain_id()
            .map(|id| id.to_string()));
        method!("web3_clientVersion", "parameters", |_rpc, _p: Empty| {
            RpcResult::Ok(format!("vnt/v{}", env!("CARGO_PKG_VERSION")))
        });
        method!("eth_blockNumber", "parameters", |rpc, _p: Empty| {
            RpcResult::Ok(U64::from(rpc.shared.chain.read().head().number))
        });
        method!(
            "eth_syncing",
            "parameters",
            |_rpc, _p: Empty| RpcResult::Ok(false)
        );
        method!("eth_accounts", "parameters", |_rpc, _p: Empty| {
            // The node holds no keys: clients sign and use eth_sendRawTransaction.
            RpcResult::Ok(Vec::<Address>::new())
        });
        method!(
            "eth_getBlockByNumber",
            "block number or full flag",
            |rpc, p: (BlockNumberOrTag, bool)| rpc.block_by_number(p.0, p.1)
        );
        method!("eth_getBlockByHash", "block hash or full flag", |rpc,
                                                                  p: (
            B256,
            bool
        )| {
            rpc.block_by_hash(p.0, p.1)
        });
        method!("eth_getBalance", "address or block", |rpc,
                                                       p: (
            Address,
            Option<BlockId>
        )| rpc
            .latest_state(p.1, |chain| {
                chain
                    .state()
                    .account(&p.0)
                    .map_or(U256::ZERO, |a| a.balance)
            }));
        method!("eth_getTransactionCount", "address or block", |rpc,
                                                                p: (
            Address,
            Option<BlockId>
        )| {
            rpc.transaction_count(p.0, p.1)
        });
        method!("eth_getCode", "address or block", |rpc,
                                                    p: (
            Address,
            Option<BlockId>
        )| rpc
            .latest_state(p.1, |chain| {
                let state = chain.state();
                state
                    .account(&p.0)
                    .and_then(|a| state.code(&a.code_hash))
                    .unwrap_or_default()
            }));
        method!("eth_getStorageAt", "address, slot or block", |rpc,
                                                               p: (
            Address,
            JsonStorageKey,
            Option<BlockId>
        )| rpc
            .latest_state(p.2, |chain| {
                B256::from(chain.state().storage(&p.0, p.1.as_b256().into()))
            }));
        method!("eth_gasPrice", "parameters", |rpc, _p: Empty| {
            fees::gas_price(&rpc.shared.chain.read())
        });
        method!(
            "eth_maxPriorityFeePerGas",
            "parameters",
            |rpc, _p: Empty| { fees::suggested_tip(&rpc.shared.chain.read()).map(U256::from) }
        );
        method!(
            "eth_feeHistory",
            "block count, newest block or reward percentiles",
            |rpc, p: (U64, BlockNumberOrTag, Option<Vec<f64>>)| fees::fee_history(
                &rpc.shared.chain.read(),
                p.0.to(),
                p.1,
                p.2.unwrap_or_default()
            )
        );
        method!("eth_call", "transaction or block", |rpc,
                                                     p: (
            TransactionRequest,
            Option<BlockId>
        )| rpc
            .call(p.0, p.1));
        method!("eth_estimateGas", "transaction or block", |rpc,
                                                            p: (
            TransactionRequest,
            Option<BlockId>
        )| rpc
            .estimate_gas(p.0, p.1));
        method!(
            "eth_sendRawTransaction",
            "raw transaction",
            |rpc, p: (Bytes,)| rpc.send_raw_transaction(&p.0)
        );
        method!("eth_getTransactionByHash", "transaction hash", |rpc,
                                                                 p: (
            B256,
        )| {
            rpc.transaction_by_hash(p.0)
        });
        method!("eth_getTransactionReceipt", "transaction hash", |rpc,
                                                                  p: (
            B256,
        )| {
            rpc.transaction_receipt(p.0)
        });
        method!("eth_getLogs", "filter", |rpc, p: (Filter,)| {
            super::logs::get_logs(&rpc.shared.chain, &p.0)
        });
        method!("eth_getBlockReceipts", "block", |rpc, p: (BlockId,)| rpc
            .block_receipts(p.0));
        method!(
            "eth_getBlockTransactionCountByHash",
            "block hash",
            |rpc, p: (B256,)| rpc.transaction_count_in(blocks::by_hash(p.0))
        );
        method!(
            "eth_getBlockTransactionCountByNumber",
            "block number",
            |rpc, p: (BlockNumberOrTag,)| rpc.transaction_count_in(blocks::by_number(p.0))
        );
        method!(
            "eth_getUncleCountByBlockHash",
            "block hash",
            |rpc, p: (B256,)| rpc.uncle_count_in(blocks::by_hash(p.0))
        );
        method!(
            "eth_getUncleCountByBlockNumber",
            "block number",
            |rpc, p: (BlockNumberOrTag,)| rpc.uncle_count_in(blocks::by_number(p.0))
        );
        method!(
            "eth_getTransactionByBlockHashAndIndex",
            "block hash or index",
            |rpc, p: (B256, Index)| rpc.transaction_at(blocks::by_hash(p.0), p.1)
        );
        method!(
            "eth_getTransactionByBlockNumberAndIndex",
            "block number or index",
            |rpc, p: (BlockNumberOrTag, Index)| rpc.transaction_at(blocks::by_number(p.0), p.1)
        );
        method!("eth_createAccessList", "transaction or block", |rpc,
                                                                 p: (
            TransactionRequest,
            Option<BlockId>
        )| {
            rpc.create_access_list(p.0, p.1)
        });
        method!(
            "debug_traceTransaction",
            "transaction hash or tracer options",
            |rpc, p: (B256, Option<GethDebugTracingOptions>)| rpc.trace_transaction(p.0, p.1)
        );
        method!(
            "eth_getProof",
            "address, storage keys or block",
            |rpc, p: (Address, Vec<JsonStorageKey>, Option<BlockId>)| rpc.proof(p.0, p.1, p.2)
        );
        module
    }

    fn chain_id(&self) -> RpcResult<U64> {
        Ok(U64::from(self.shared.chain.read().config().chain_id))
    }

    /// Runs `read` on the latest state if `block` names it; refuses older blocks.
    fn latest_state<T>(
        &self,
        block: Option<BlockId>,
        read: impl FnOnce(&Chain) -> T,
    ) -> RpcResult<T> {
        let chain = self.shared.chain.read();
        let head = chain.head().number;
        let is_latest = match block.unwrap_or_default() {
            BlockId::Hash(hash) => {
                let hash = hash.block_hash;
                if hash != chain.head_hash()
                    && chain.block_by_hash(&hash).map_err(chain_error)?.is_none()
                {
                    return Err(server_error("header not found"));
                }
                hash == chain.head_hash()
            }
            BlockId::Number(BlockNumberOrTag::Number(number)) => {
                if number > head {
                    return Err(server_error("header not found"));
                }
                number == head
            }
            BlockId::Number(BlockNumberOrTag::Earliest) => head == 0,
            BlockId::Number(_) => true,
        };
        if !is_latest {
            return Err(server_error(format!(
                "historical state is not available: this node serves the state of the latest block (#{head}) only"
            )));
        }
        Ok(read(&chain))
    }

    fn block_by_number(&self, tag: BlockNumberOrTag, full: bool) -> RpcResult<Option<Block>> {
        let chain = self.shared.chain.read();
        let number = resolve_number(&chain, tag);
        let block = chain.block_by_number(number).map_err(chain_error)?;
        Self::render_block(&chain, block, full)
    }

    fn block_by_hash(&self, hash: B256, full: bool) -> RpcResult<Option<Block>> {
        let chain = self.shared.chain.read();
        let block = chain.block_by_hash(&hash).map_err(chain_error)?;
        Self::render_block(&chain, block, full)
    }

    fn render_block(
        chain: &Chain,
        block: Option<SealedBlock>,
        full: bool,
    ) -> RpcResult<Option<Block>> {
        let Some(block) = block else {
            return Ok(None);
        };
        let size = chain
            .store()
            .block_size(&block.hash)
            .map_err(|e| chain_error(e.into()))?
            .unwrap_or_default();
        Ok(Some(convert::block(&block, size as u64, full)))
    }

    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64> {
        let pending = matches!(block, Some(BlockId::Number(BlockNumberOrTag::Pending)));
        let nonce = self.latest_state(block, |chain| {
            chain.state().account(&address).map_or(0, |a| a.nonce)
        })?;
        if pending {
            return Ok(U64::from(
                self.shared.pool.lock().pending_nonce(&address, nonce),
            ));
        }
        Ok(U64::from(nonce))
    }

    fn call_request(&self, request: &TransactionRequest) -> CallRequest {
        CallRequest {
            from: request.from,
            to: match request.to {
                Some(TxKind::Call(to)) => Some(to),
                _ => None,
            },
            gas: request.gas,
            gas_price: request.gas_price,
            max_fee_per_gas: request.max_fee_per_gas,
            max_priority_fee_per_gas: request.max_priority_fee_per_gas,
            value: request.value,
            input: request.input.input().cloned().unwrap_or_default(),
            nonce: request.nonce,
            access_list: request.access_list.clone(),
        }
    }

    fn call(&self, request: TransactionRequest, block: Option<BlockId>) -> RpcResult<Bytes> {
        let request = self.call_request(&request);
        let outcome = self.latest_state(block, |chain| {
            let ctx = chain.next_block_context(chain.head().timestamp, self.shared.beneficiary);
            let gas = request.gas.unwrap_or(ctx.gas_limit).min(ctx.gas_limit);
            call(chain.ledger(), &ctx, chain.config(), &request, gas)
        })?;
        match outcome.map_err(tx_error)? {
            CallOutcome::Success { output, .. } => Ok(output),
            CallOutcome::Revert { output, .. } => Err(reverted(&output)),
            CallOutcome::Halt { reason, .. } => Err(server_error(halt_message(&reason))),
        }
    }

    /// The smallest gas limit with which the call succeeds, by binary search.
    fn estimate_gas(&self, request: TransactionRequest, block: Option<BlockId>) -> RpcResult<U64> {
        let request = self.call_request(&request);
        self.latest_state(block, |chain| -> RpcResult<U64> {
            let ctx = chain.next_block_context(chain.head().timestamp, self.shared.beneficiary);
            let cap = request.gas.unwrap_or(ctx.gas_limit).min(ctx.gas_limit);
            let run = |gas: u64| {
                call(chain.ledger(), &ctx, chain.config(), &request, gas).map_err(tx_error)
            };
            let first = run(cap)?;
            let used = match &first {
                CallOutcome::Success { gas_used, .. } => *gas_used,
                CallOutcome::Revert { output, .. } => return Err(reverted(output)),
                CallOutcome::Halt { reason, .. } => {
                    return Err(server_error(format!(
                        "gas required exceeds allowance ({cap}): {}",
                        halt_message(reason)
                    )));
                }
            };
            let succeeds = |gas: u64| -> RpcResult<bool> {
                Ok(matches!(run(gas)?, CallOutcome::Success { .. }))
            };
            // Gas used is a lower bound; refunds and the 63/64 rule can need more.
            // Gas used (which includes the intrinsic cost) is where the search starts.
            if used < cap && succeeds(used)? {
                return Ok(U64::from(used));
            }
            let (mut low, mut high) = (used, cap);
            while low + 1 < high {
                let mid = low + (high - low) / 2;
                if succeeds(mid)? {
                    high = mid;
                } else {
                    low = mid;
                }
            }
            Ok(U64::from(high))
        })?
    }

    fn send_raw_transaction(&self, raw: &Bytes) -> RpcResult<B256> {
        let config = self.shared.chain.read().config().clone();
        let tx = verify_raw(raw, &config).map_err(tx_error)?;
        self.shared.submit(tx).map_err(tx_error)
    }

    fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<Transaction>> {
        let chain = self.shared.chain.read();
        if let Some(location) = chain.tx_location(&hash).map_err(chain_error)? {
            let block = chain
                .block_by_number(location.block_number)
                .map_err(chain_error)?;
            return Ok(block.and_then(|b| convert::included_tx(&b, location.index as usize)));
        }
        drop(chain);
        Ok(self
            .shared
            .pool
            .lock()
            .get(&hash)
            .map(|tx| convert::pending_tx(tx.envelope.clone(), tx.sender)))
    }

    fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<TransactionReceipt>> {
        let chain = self.shared.chain.read();
        let Some(location) = chain.tx_location(&hash).map_err(chain_error)? else {
            return Ok(None);
        };
        let Some(block) = chain
            .block_by_number(location.block_number)
            .map_err(chain_error)?
        else {
            return Ok(None);
        };
        let receipts = chain.receipts(&block.hash).map_err(chain_error)?;
        Ok(convert::receipt(&block, &receipts, location.index as usize))
    }

    fn proof(
        &self,
        address: Address,
        keys: Vec<JsonStorageKey>,
        block: Option<BlockId>,
    ) -> RpcResult<EIP1186AccountProofResponse> {
        if keys.len() > MAX_PROOF_KEYS {
            return Err(invalid_params(format!(
                "too many storage keys: {} requested, at most {MAX_PROOF_KEYS}",
                keys.len()
            )));
        }
        let slots: Vec<B256> = keys.iter().map(|k| k.as_b256()).collect();
        let proof = self.latest_state(block, |chain| chain.state().proof(address, &slots))?;
        Ok(EIP1186AccountProofResponse {
            address,
            balance: proof.info.balance,
            code_hash: proof.info.code_hash,
            nonce: proof.info.nonce,
            storage_hash: proof.storage_root,
            account_proof: proof.account_proof,
            storage_proof: proof
                .storage_proofs
                .into_iter()
                .zip(keys)
                .map(|(p, key)| EIP1186StorageProof {
                    key,
                    value: p.value,
                    proof: p.proof,
                })
                .collect(),
        })
    }
}

fn halt_message(reason: &str) -> String {
    if reason.starts_with("OutOfGas") {
        "out of gas".to_string()
    } else {
        format!("execution halted: {reason}")
    }
}

/// The block a number or tag names (`latest`, `safe`, `finalized` and `pending` are the head).
pub fn resolve_number(chain: &Chain, tag: BlockNumberOrTag) -> u64 {
    match tag {
        BlockNumberOrTag::Number(number) => number,
        BlockNumberOrTag::Earliest => 0,
        _ => chain.head().number,
    }
}
