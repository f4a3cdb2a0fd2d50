//! `eth_createAccessList` and `debug_traceTransaction`: execution watched by an inspector.
//!
//! Tracing replays a past transaction on the state before its block, which this node
//! rebuilds from the latest state and the blocks' reverse changesets ([`crate::history`]);
//! the chain's read lock is held for the replay so the state cannot move underneath it. Only
//! geth's `callTracer` is served; any other tracer, and the default opcode logger, are
//! refused by name.

use super::{EthRpc, halt_message};
use crate::execution::{BlockContext, BlockTx, CallFailure, access_list, trace_transaction};
use crate::history::HistoricalDb;
use crate::rpc::error::{RpcResult, chain_error, invalid_params, server_error, tx_error};
use alloy_eips::BlockId;
use alloy_eips::eip2930::AccessListResult;
use alloy_primitives::{B256, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_rpc_types_trace::geth::{
    CallFrame, GethDebugBuiltInTracerType, GethDebugTracerType, GethDebugTracingOptions,
};

impl EthRpc {
    /// `eth_createAccessList` on the latest state.
    pub(super) fn create_access_list(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
    ) -> RpcResult<AccessListResult> {
        let request = self.call_request(&request);
        let outcome = self.latest_state(block, |chain| {
            let ctx = chain.next_block_context(chain.head().timestamp, self.shared.beneficiary);
            let gas = request.gas.unwrap_or(ctx.gas_limit).min(ctx.gas_limit);
            let ledger = chain.ledger();
            access_list(ledger, ledger.wasm, &ctx, chain.config(), &request, gas)
        })?;
        let outcome = outcome.map_err(tx_error)?;
        // As geth: the list is answered even when the call fails, with the failure beside it.
        let error = outcome.error.map(|failure| match failure {
            CallFailure::Revert(_) => "execution reverted".to_string(),
            CallFailure::Halt(reason) => halt_message(&reason),
        });
        Ok(AccessListResult {
            access_list: outcome.access_list,
            gas_used: U256::from(outcome.gas_used),
            error,
        })
    }

    /// `debug_traceTransaction` with the `callTracer`.
    pub(super) fn trace_transaction(
        &self,
        hash: B256,
        options: Option<GethDebugTracingOptions>,
    ) -> RpcResult<CallFrame> {
        let options = options.unwrap_or_default();
        match &options.tracer {
            Some(GethDebugTracerType::BuiltInTracer(GethDebugBuiltInTracerType::CallTracer)) => {}
            Some(other) => {
                return Err(invalid_params(format!(
                    "tracer {:?} is not supported: this node serves \"callTracer\" only",
                    other.as_str()
                )));
            }
            None => {
                return Err(invalid_params(
                    "the default opcode logger is not supported: pass {\"tracer\": \"callTracer\"}",
                ));
            }
        }
        let call_config = options
            .tracer_config
            .into_call_config()
            .map_err(|e| invalid_params(format!("invalid callTracer config: {e}")))?;
        let chain = self.shared.chain.read();
        let location = chain
            .tx_location(&hash)
            .map_err(chain_error)?
            .ok_or_else(|| server_error(format!("transaction {hash} not found")))?;
        let block = chain
            .block_by_number(location.block_number)
            .map_err(chain_error)?
            .ok_or_else(|| server_error(format!("block {} not found", location.block_number)))?;
        let past = chain
            .state_before(location.block_number)
            .map_err(|e| server_error(e.to_string()))?;
        let header = &block.block.header;
        let ctx = BlockContext {
            number: header.number,
            timestamp: header.timestamp,
            beneficiary: header.beneficiary,
            gas_limit: header.gas_limit,
            base_fee: header.base_fee_per_gas.unwrap_or_default(),
            prevrandao: header.mix_hash,
        };
        let txs: Vec<BlockTx> = block
            .block
            .body
            .transactions
            .iter()
            .zip(&block.senders)
            .map(|(envelope, sender)| BlockTx {
                envelope,
                sender: *sender,
            })
            .collect();
        let index = location.index as usize;
        let mut txs = txs.into_iter();
        let earlier: Vec<BlockTx> = txs.by_ref().take(index).collect();
        let target = txs
            .next()
            .ok_or_else(|| server_error(format!("transaction {hash} is missing from its block")))?;
        let ledger = chain.ledger();
        let db = HistoricalDb {
            latest: ledger,
            past: &past,
        };
        trace_transaction(
            db,
            ledger.wasm,
            &ctx,
            chain.config(),
            earlier,
            target,
            call_config,
        )
        .map_err(|e| server_error(format!("replaying the block failed: {e}")))
    }
}
