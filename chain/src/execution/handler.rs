//! Where revm hands frames to WebAssembly.
//!
//! The system contracts' native code runs in the precompile slot too ([`crate::shielded`],
//! [`crate::staking`]).
//!
//! Two seams, both inside revm's own frame handling so that EVM and WASM frames nest in one
//! journal: a call whose target code is a WebAssembly module runs as a precompile would
//! ([`VntPrecompiles`]: revm has already taken the checkpoint and moved the value, and
//! commits or reverts by the result), and a creation whose init code is a module is taken
//! out of the frame loop before revm would interpret it as EVM bytecode ([`VntHandler`]).

use super::wasm::{
    self, Failure, FrameContext, FrameEnd, Refusal, VM_GAS_PER_GAS, WasmCall, WasmCreate,
    WasmRuntime,
};
use crate::{shielded, staking};
use alloy_primitives::{Address, Bytes};
use revm::context::result::{EVMError, HaltReason};
use revm::context::{ContextTr, JournalTr, LocalContextTr};
use revm::handler::{
    EthFrame, EthPrecompiles, EvmTr, FrameResult, Handler, ItemOrResult, PrecompileProvider,
};
use revm::interpreter::interpreter_action::FrameInit;
use revm::interpreter::{
    CallInputs, CreateInputs, CreateOutcome, FrameInput, Gas, InstructionResult, InterpreterResult,
};
use revm::primitives::AddressSet;
use std::sync::Arc;
use vnt_vm::contract::is_wasm;
use vnt_vm::costs::host::CREATE as CREATE_COST;
use vnt_vm::host::CallStatus;

/// Ethereum's precompiles, the system contracts, and WebAssembly contracts run in their place.
pub struct VntPrecompiles {
    eth: EthPrecompiles,
    pub runtime: Arc<WasmRuntime>,
    /// Pool proofs the block checked before it ran (none outside block execution).
    pub shielded: shielded::Preverified,
}

impl VntPrecompiles {
    pub fn new(runtime: Arc<WasmRuntime>) -> Self {
        Self {
            eth: EthPrecompiles::new(crate::tx::SPEC),
            runtime,
            shielded: shielded::Preverified::default(),
        }
    }
}

impl<CTX: FrameContext> PrecompileProvider<CTX> for VntPrecompiles {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: <CTX::Cfg as revm::context::Cfg>::Spec) -> bool {
        <EthPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.eth, spec)
    }

    fn run(
        &mut self,
        ctx: &mut CTX,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        if self.eth.contains(&inputs.bytecode_address) {
            return self.eth.run(ctx, inputs);
        }
        // The pool is native code over this frame's journal checkpoint, as a WASM frame is.
        if inputs.bytecode_address == shielded::SHIELDED_POOL {
            return shielded::run(ctx, inputs, &self.shielded).map(Some);
        }
        if inputs.bytecode_address == staking::STAKING {
            return staking::run(ctx, inputs).map(Some);
        }
        let (code_hash, code) = &inputs.known_bytecode;
        let code = code.original_bytes();
        if !is_wasm(&code) {
            return Ok(None);
        }
        // revm took this frame's checkpoint already: the outermost call is at depth 1.
        let outermost = ctx.journal().depth() == 1;
        let call = WasmCall {
            code: &code,
            code_hash: *code_hash,
            caller: inputs.caller,
            target: inputs.target_address,
            value: inputs.value.get(),
            input: inputs.input.bytes(ctx).to_vec(),
            is_static: inputs.is_static,
            vm_gas: inputs.gas_limit.saturating_mul(VM_GAS_PER_GAS),
        };
        let end = wasm::run_call(ctx, &self.runtime, call)?;
        let gas = Gas::new_with_regular_gas_and_reservoir(inputs.gas_limit, inputs.reservoir);
        Ok(Some(interpreter_result(ctx, end, gas, 0, outermost)))
    }

    fn warm_addresses(&self) -> &AddressSet {
        self.eth.warm_addresses()
    }

    fn contains(&self, address: &Address) -> bool {
        self.eth.contains(address)
    }
}

/// A WASM frame's end as revm's interpreter reports a frame's end. `extra_gas` is Ethereum
/// gas charged outside the VM (creation), on top of what the VM used.
fn interpreter_result<CTX: ContextTr>(
    ctx: &mut CTX,
    end: FrameEnd,
    mut gas: Gas,
    extra_gas: u64,
    outermost: bool,
) -> InterpreterResult {
    let used = wasm::to_gas(end.vm_gas_used).saturating_add(extra_gas);
    let result = match (&end.status, &end.failure) {
        (CallStatus::Success, _) => InstructionResult::Return,
        (CallStatus::Revert, _) => InstructionResult::Revert,
        (_, Some(Failure::Refused(Refusal::CallTooDeep))) => InstructionResult::CallTooDeep,
        (_, Some(Failure::Refused(_))) => InstructionResult::OutOfFunds,
        (_, Some(Failure::OutOfGas)) => InstructionResult::OutOfGas,
        (_, failure) => {
            // The outermost frame's reason becomes the transaction's; deeper frames'
            // failures are the caller's to handle, as an EVM call's are.
            if outermost && let Some(Failure::Trapped(reason)) = failure {
                ctx.local_mut().set_precompile_error_context(reason.clone());
            }
            InstructionResult::PrecompileError
        }
    };
    if !gas.record_regular_cost(used) {
        gas.spend_all();
        return InterpreterResult::new(InstructionResult::OutOfGas, Bytes::new(), gas);
    }
    InterpreterResult::new(result, end.output.into(), gas)
}

/// Runs a creation whose init code is a WebAssembly module, charging for the module as the
/// VM's `create` host function does (per byte of init code), whether a transaction, an EVM
/// contract or a WASM contract creates it.
fn create_wasm<CTX: FrameContext>(
    ctx: &mut CTX,
    runtime: &Arc<WasmRuntime>,
    inputs: &CreateInputs,
) -> Result<CreateOutcome, String> {
    let mut gas = Gas::new_with_regular_gas_and_reservoir(inputs.gas_limit(), inputs.reservoir());
    let creation = CREATE_COST.base.saturating_add(
        CREATE_COST
            .per_byte
            .saturating_mul(inputs.init_code().len() as u64),
    );
    let creation_gas = wasm::to_gas(creation);
    if creation_gas > gas.remaining() {
        gas.spend_all();
        let result = InterpreterResult::new(InstructionResult::OutOfGas, Bytes::new(), gas);
        return Ok(CreateOutcome::new(result, None));
    }
    let outermost = ctx.journal().depth() == 0;
    let create = WasmCreate {
        caller: inputs.caller(),
        init_code: inputs.init_code(),
        value: inputs.value(),
        scheme: inputs.scheme(),
        vm_gas: (gas.remaining() - creation_gas).saturating_mul(VM_GAS_PER_GAS),
    };
    let end = wasm::run_create(ctx, runtime, create)?;
    let address = end.created;
    // The VM had (remaining - creation) * VM_GAS_PER_GAS to use, so its gas rounded up plus
    // the creation charge fits the limit: a committed creation is never turned into out of gas.
    let result = interpreter_result(ctx, end, gas, creation_gas, outermost);
    Ok(CreateOutcome::new(result, address))
}

/// The mainnet handler, with WebAssembly creations taken out of revm's frame loop.
pub struct VntHandler<EVM> {
    _evm: std::marker::PhantomData<EVM>,
}

impl<EVM> Default for VntHandler<EVM> {
    fn default() -> Self {
        Self {
            _evm: std::marker::PhantomData,
        }
    }
}

type DbError<EVM> = <<<EVM as EvmTr>::Context as ContextTr>::Db as revm::Database>::Error;

impl<EVM> VntHandler<EVM>
where
    EVM: EvmTr<Context: FrameContext, Precompiles = VntPrecompiles, Frame = EthFrame>,
{
    /// Starts a frame: a WASM creation here, anything else as revm does.
    fn init_frame(
        &mut self,
        evm: &mut EVM,
        init: FrameInit,
    ) -> Result<ItemOrResult<(), FrameResult>, EVMError<DbError<EVM>>> {
        if let FrameInput::Create(inputs) = &init.frame_input
            && is_wasm(inputs.init_code())
        {
            let (ctx, precompiles) = evm.ctx_precompiles();
            let runtime = precompiles.runtime.clone();
            let outcome = create_wasm(ctx, &runtime, inputs).map_err(EVMError::Custom)?;
            return Ok(ItemOrResult::Result(FrameResult::Create(outcome)));
        }
        Ok(evm.frame_init(init)?.map_item(|_| ()))
    }
}

impl<EVM> Handler for VntHandler<EVM>
where
    EVM: EvmTr<Context: FrameContext, Precompiles = VntPrecompiles, Frame = EthFrame>,
{
    type Evm = EVM;
    type Error = EVMError<DbError<EVM>>;
    type HaltReason = HaltReason;

    fn run_exec_loop(
        &mut self,
        evm: &mut Self::Evm,
        first_frame_input: FrameInit,
    ) -> Result<FrameResult, Self::Error> {
        if let ItemOrResult::Result(result) = self.init_frame(evm, first_frame_input)? {
            return Ok(result);
        }
        loop {
            let result = match evm.frame_run()? {
                ItemOrResult::Item(init) => match self.init_frame(evm, init)? {
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
