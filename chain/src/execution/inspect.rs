//! Watching execution: access lists for `eth_createAccessList` and geth call traces for
//! `debug_traceTransaction`.
//!
//! Both run revm's inspector path ([`InspectorHandler`]) with an inspector from
//! `revm-inspectors`. That path has its own frame loop, so [`VntHandler`] implements it as it
//! implements the plain one: a creation whose init code is a WebAssembly module is taken out
//! of the loop and run by the WASM VM, and the inspector sees it start and end as a creation
//! frame. A call into a WASM contract runs in the precompile slot, which revm's inspector
//! path already reports as a call frame. What a WASM contract does inside (its storage
//! reads, its own calls) is not seen by an EVM inspector: a trace shows the WASM frame as a
//! leaf, and an access list holds only what EVM code touched.
//!
//! [`trace_transaction`] replays a block's transactions on the state before the block
//! (rebuilt by [`crate::history`]) and traces the one asked for.

use super::handler::{VntHandler, VntPrecompiles};
use super::wasm::FrameContext;
use super::{BlockContext, CallRequest, StateReadError, WasmRuntime, call_setup, cfg, to_tx_error};
use crate::config::ChainConfig;
use crate::tx::{TxError, tx_env};
use alloy_consensus::TxEnvelope;
use alloy_eips::eip2930::AccessList;
use alloy_primitives::Address;
use alloy_rpc_types_trace::geth::{CallConfig, CallFrame};
use revm::context::result::{EVMError, ExecutionResult};
use revm::context::{CfgEnv, Evm};
use revm::database::CacheDB;
use revm::database_interface::DatabaseRef;
use revm::handler::instructions::EthInstructions;
use revm::handler::{EthFrame, EvmTr, FrameResult, Handler, ItemOrResult};
use revm::inspector::handler::{frame_end, frame_start};
use revm::inspector::{InspectorEvmTr, InspectorHandler};
use revm::interpreter::FrameInput;
use revm::interpreter::interpreter::EthInterpreter;
use revm::interpreter::interpreter_action::FrameInit;
use revm::{Context, DatabaseCommit, ExecuteEvm, Inspector, MainBuilder, MainContext};
use revm_inspectors::access_list::AccessListInspector;
use revm_inspectors::tracing::{TracingInspector, TracingInspectorConfig};
use std::sync::Arc;
use vnt_vm::contract::is_wasm;

type InspectContext<DB> = revm::handler::MainnetContext<CacheDB<DB>>;
type InspectingEvm<DB, I> = Evm<
    InspectContext<DB>,
    I,
    EthInstructions<EthInterpreter, InspectContext<DB>>,
    VntPrecompiles,
    EthFrame,
>;

fn build<DB: DatabaseRef, I>(
    db: DB,
    wasm: Arc<WasmRuntime>,
    block: &BlockContext,
    cfg: CfgEnv,
    inspector: I,
) -> InspectingEvm<DB, I> {
    Context::mainnet()
        .with_db(CacheDB::new(db))
        .with_block(block.env())
        .with_cfg(cfg)
        .build_mainnet_with_inspector(inspector)
        .with_precompiles(VntPrecompiles::new(wasm))
}

impl<EVM> VntHandler<EVM>
where
    EVM: InspectorEvmTr<
            Context: FrameContext,
            Precompiles = VntPrecompiles,
            Frame = EthFrame,
            Inspector: Inspector<<EVM as EvmTr>::Context, EthInterpreter>,
        >,
{
    /// Starts a frame under inspection: a WASM creation through the plain handler (which
    /// answers it at once, never pushing a frame), anything else as revm's inspector does.
    fn inspect_init_frame(
        &mut self,
        evm: &mut EVM,
        mut init: FrameInit,
    ) -> Result<ItemOrResult<(), FrameResult>, <Self as Handler>::Error> {
        let wasm_create =
            matches!(&init.frame_input, FrameInput::Create(c) if is_wasm(c.init_code()));
        if !wasm_create {
            return Ok(evm.inspect_frame_init(init)?.map_item(|_| ()));
        }
        let (ctx, inspector) = evm.ctx_inspector();
        if let Some(mut output) = frame_start(ctx, inspector, &mut init.frame_input) {
            frame_end(ctx, inspector, &init.frame_input, &mut output);
            return Ok(ItemOrResult::Result(output));
        }
        let input = init.frame_input.clone();
        let mut output = Handler::run_exec_loop(self, evm, init)?;
        let (ctx, inspector) = evm.ctx_inspector();
        frame_end(ctx, inspector, &input, &mut output);
        Ok(ItemOrResult::Result(output))
    }
}

impl<EVM> InspectorHandler for VntHandler<EVM>
where
    EVM: InspectorEvmTr<
            Context: FrameContext,
            Precompiles = VntPrecompiles,
            Frame = EthFrame,
            Inspector: Inspector<<EVM as EvmTr>::Context, EthInterpreter>,
        >,
{
    type IT = EthInterpreter;

    fn inspect_run_exec_loop(
        &mut self,
        evm: &mut Self::Evm,
        first_frame_input: FrameInit,
    ) -> Result<FrameResult, Self::Error> {
        if let ItemOrResult::Result(result) = self.inspect_init_frame(evm, first_frame_input)? {
            return Ok(result);
        }
        loop {
            let result = match evm.inspect_frame_run()? {
                ItemOrResult::Item(init) => match self.inspect_init_frame(evm, init)? {
                    ItemOrResult::Item(()) => continue,
                    ItemOrResult::Result(result) => result,
                },
                ItemOrResult::Result(result) => result,
            };
            if let Some(result) = evm.frame_return_result(result)? {
                return Ok(result);
            }
        }
    }
}

/// What `eth_createAccessList` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessListOutcome {
    pub access_list: AccessList,
    /// Gas the call uses when it carries `access_list`.
    pub gas_used: u64,
    /// The call's failure with that access list (`None`: it succeeded).
    pub error: Option<CallFailure>,
}

/// How a call that did not succeed ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallFailure {
    Revert(alloy_primitives::Bytes),
    Halt(String),
}

/// Most times the call is rerun before its access list is taken as settled. Each run can
/// only add entries the previous list made reachable; real calls settle in two or three.
const ACCESS_LIST_ROUNDS: usize = 8;

/// The access list a call needs, found as geth finds it: run the call with a list, collect
/// the accounts and slots it touches, and run again with those until the list stops
/// changing. The sender, the recipient and the precompiles are left out, as they are warm
/// anyway.
pub fn access_list<DB: DatabaseRef<Error = StateReadError> + Clone>(
    db: DB,
    wasm: &Arc<WasmRuntime>,
    block: &BlockContext,
    config: &ChainConfig,
    request: &CallRequest,
    gas_limit: u64,
) -> Result<AccessListOutcome, TxError> {
    let mut list = request.access_list.clone().unwrap_or_default();
    let mut rounds = 0;
    loop {
        let mut request = request.clone();
        request.access_list = Some(list.clone());
        let (cfg, env) = call_setup(config, &request, gas_limit);
        let inspector = AccessListInspector::new(list.clone());
        let mut evm = build(db.clone(), wasm.clone(), block, cfg, inspector);
        revm::context::ContextSetters::set_tx(evm.ctx_mut(), env);
        let result = VntHandler::default()
            .inspect_run(&mut evm)
            .map_err(to_tx_error)?;
        let found = evm.inspector.into_access_list();
        rounds += 1;
        if found == list || rounds == ACCESS_LIST_ROUNDS {
            let error = match &result {
                ExecutionResult::Success { .. } => None,
                ExecutionResult::Revert { output, .. } => Some(CallFailure::Revert(output.clone())),
                ExecutionResult::Halt { reason, .. } => {
                    Some(CallFailure::Halt(format!("{reason:?}")))
                }
            };
            return Ok(AccessListOutcome {
                access_list: found,
                gas_used: result.tx_gas_used(),
                error,
            });
        }
        list = found;
    }
}

/// One transaction of a block, with its sender.
pub struct BlockTx<'a> {
    pub envelope: &'a TxEnvelope,
    pub sender: Address,
}

/// Replays `earlier` transactions of a block on `db` (the state before the block), then
/// runs `target` under a call tracer and returns geth's call frame for it.
pub fn trace_transaction<'a, DB: DatabaseRef<Error = StateReadError>>(
    db: DB,
    wasm: &Arc<WasmRuntime>,
    block: &BlockContext,
    config: &ChainConfig,
    earlier: impl IntoIterator<Item = BlockTx<'a>>,
    target: BlockTx<'a>,
    call_config: CallConfig,
) -> Result<CallFrame, TxError> {
    let inspector =
        TracingInspector::new(TracingInspectorConfig::from_geth_call_config(&call_config));
    let mut evm = build(db, wasm.clone(), block, cfg(config), inspector);
    for tx in earlier {
        revm::context::ContextSetters::set_tx(evm.ctx_mut(), tx_env(tx.envelope, tx.sender));
        // The plain handler: the tracer sees only the transaction asked for.
        let replayed: Result<_, EVMError<StateReadError>> = VntHandler::default().run(&mut evm);
        replayed.map_err(to_tx_error)?;
        let changes = evm.finalize();
        evm.ctx.journaled_state.database.commit(changes);
    }
    revm::context::ContextSetters::set_tx(evm.ctx_mut(), tx_env(target.envelope, target.sender));
    let result = VntHandler::default()
        .inspect_run(&mut evm)
        .map_err(to_tx_error)?;
    let gas_used = result.tx_gas_used();
    Ok(evm
        .inspector
        .into_geth_builder()
        .geth_call_traces(call_config, gas_used))
}
