//! WebAssembly contracts on the ledger: calls and creations of WASM frames in revm's
//! journal, with the VM's host over it in [`journal`].
//!
//! A WASM contract is an account whose code is a WebAssembly module. Its frames run in the
//! same journal as EVM frames, so they share checkpoints, logs, balances and the state diff
//! a block produces; [`super::handler`] routes calls and creations here. Gas crosses the
//! boundary at [`VM_GAS_PER_GAS`]: the caller's Ethereum gas becomes VM gas on the way in
//! and the VM gas used becomes Ethereum gas on the way out.

use alloy_primitives::{Address, B256, Bytes, U256};
use revm::bytecode::Bytecode;
use revm::context::{Block, Cfg, ContextTr, JournalTr, Transaction};
use revm::context_interface::CreateScheme;
use revm::context_interface::journaled_state::account::JournaledAccountTr;
use revm::interpreter::Host;
use revm::primitives::CALL_STACK_LIMIT;
use revm::state::EvmState;
use std::sync::Arc;
use vnt_vm::cache::ModuleCache;

mod journal;

use journal::run_export;
use vnt_vm::contract::{self, CALL_EXPORT, DEPLOY_EXPORT};
use vnt_vm::host::CallStatus;
use vnt_vm::{DeployError, Engine, Outcome, Status, TrapKind, Vm};

/// VM gas in one unit of Ethereum gas. The VM's cost table prices about 0.1 ns per VM gas,
/// so one Ethereum gas buys about 10 ns of contract execution, which is what Ethereum
/// clients sustain on real blocks (about 100 million gas a second).
pub const VM_GAS_PER_GAS: u64 = 100;

/// The context WASM frames and the calls they make run in: revm's, with the journal the
/// handler drives. Only [`super::LedgerEvm`]'s context is one; the bound keeps the frame code
/// generic over revm's traits rather than tied to our database type.
pub trait FrameContext: ContextTr<Journal: JournalTr<State = EvmState>> + Host {}

impl<T: ContextTr<Journal: JournalTr<State = EvmState>> + Host> FrameContext for T {}

/// Converts VM gas used to Ethereum gas, rounding up so no work is free.
pub fn to_gas(vm_gas: u64) -> u64 {
    vm_gas.div_ceil(VM_GAS_PER_GAS)
}

/// The VM's pipeline, the engine that runs contracts and the modules it has compiled.
pub struct WasmRuntime {
    pub vm: Vm,
    pub engine: Arc<dyn Engine>,
    pub cache: ModuleCache,
}

impl Default for WasmRuntime {
    fn default() -> Self {
        Self {
            // `check_init_code` checks against the same default pipeline.
            vm: Vm::default(),
            engine: Arc::new(vnt_vm::engine::Wasmtime::new()),
            cache: ModuleCache::new(256),
        }
    }
}

impl std::fmt::Debug for WasmRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmRuntime")
            .field("engine", &self.engine.name())
            .finish_non_exhaustive()
    }
}

/// Why a WASM frame failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Nothing ran and the frame's gas goes back, as revm gives it back for `CallTooDeep`
    /// and `OutOfFunds`.
    Refused(Refusal),
    OutOfGas,
    /// A trap: the frame used all its gas.
    Trapped(String),
}

/// What stopped a frame before it ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    CallTooDeep,
    /// The caller's balance does not cover the value.
    OutOfFunds,
}

/// How a WASM frame ended, in the VM's terms and gas.
#[derive(Debug)]
pub struct FrameEnd {
    pub status: CallStatus,
    /// Return or revert data.
    pub output: Vec<u8>,
    pub failure: Option<Failure>,
    pub vm_gas_used: u64,
    pub created: Option<Address>,
}

impl FrameEnd {
    fn returned(output: Vec<u8>, vm_gas_used: u64) -> Self {
        Self {
            status: CallStatus::Success,
            output,
            failure: None,
            vm_gas_used,
            created: None,
        }
    }

    fn reverted(output: Vec<u8>, vm_gas_used: u64) -> Self {
        Self {
            status: CallStatus::Revert,
            ..Self::returned(output, vm_gas_used)
        }
    }

    fn failed(failure: Failure) -> Self {
        Self {
            status: CallStatus::Failure,
            failure: Some(failure),
            ..Self::returned(Vec::new(), 0)
        }
    }

    fn refused(refusal: Refusal) -> Self {
        Self::failed(Failure::Refused(refusal))
    }

    /// A deployment the VM refuses: a revert whose reason names the rule, so
    /// `eth_estimateGas` and `eth_call` show it as any revert reason. Only the rule's name
    /// goes into the revert data, which contracts can read: the rest of an error's text
    /// comes from wasmparser or the engine and could change with their versions.
    fn undeployable(error: &DeployError) -> Self {
        let reason = match error {
            DeployError::Rejected(rule) => {
                format!(
                    "invalid WASM contract: module rejected by rule `{}`",
                    rule.name()
                )
            }
            _ => "invalid WASM contract: the module does not compile".to_string(),
        };
        Self::reverted(revert_reason(&reason), 0)
    }

    fn from_outcome(outcome: Outcome) -> Self {
        let gas = outcome.gas_used;
        match outcome.status {
            Status::Returned(data) => Self::returned(data, gas),
            Status::Reverted(data) => Self::reverted(data, gas),
            Status::Trapped(TrapKind::OutOfGas) => Self {
                vm_gas_used: gas,
                ..Self::failed(Failure::OutOfGas)
            },
            Status::Trapped(kind) => Self {
                vm_gas_used: gas,
                ..Self::failed(Failure::Trapped(format!("contract trapped: {kind:?}")))
            },
        }
    }

    /// Whether the frame's effects stay.
    fn succeeded(&self) -> bool {
        self.status == CallStatus::Success
    }
}

/// Solidity's `Error(string)` encoding of `reason`.
pub fn revert_reason(reason: &str) -> Vec<u8> {
    let mut out = vec![0x08, 0xc3, 0x79, 0xa0];
    out.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(reason.len()).to_be_bytes::<32>());
    out.extend_from_slice(reason.as_bytes());
    out.resize(4 + 64 + reason.len().next_multiple_of(32), 0);
    out
}

/// Refuses WASM init code whose module could never deploy, before it reaches a block; EVM
/// init code passes. The same checks run again at creation.
pub fn check_init_code(init_code: &[u8]) -> Result<(), DeployError> {
    if !contract::is_wasm(init_code) {
        return Ok(());
    }
    let (module, _) = contract::split_init_code(init_code);
    Vm::default().prepare_contract(module).map(drop)
}

/// A message call into a WASM contract whose value transfer (if any) is already done.
pub struct WasmCall<'a> {
    pub code: &'a [u8],
    pub code_hash: B256,
    pub caller: Address,
    pub target: Address,
    pub value: U256,
    pub input: Vec<u8>,
    pub is_static: bool,
    pub vm_gas: u64,
}

/// A contract creation with WASM init code.
pub struct WasmCreate<'a> {
    pub caller: Address,
    pub init_code: &'a Bytes,
    pub value: U256,
    pub scheme: CreateScheme,
    pub vm_gas: u64,
}

/// What the journal could not read: the whole transaction stops with this error.
pub type LedgerFailure = String;

/// Runs `call` (the `call` export) against the journal in `ctx`.
pub fn run_call<CTX: FrameContext>(
    ctx: &mut CTX,
    runtime: &Arc<WasmRuntime>,
    call: WasmCall,
) -> Result<FrameEnd, LedgerFailure> {
    let compiled = match runtime.vm.load_hashed(
        &*runtime.engine,
        &runtime.cache,
        call.code_hash.0,
        call.code,
    ) {
        Ok(compiled) => compiled,
        // Code that no longer compiles (an engine upgrade refusing it) fails the call.
        Err(error) => return Ok(FrameEnd::failed(Failure::Trapped(error.to_string()))),
    };
    let context = frame_context(ctx, call.caller, call.target, call.value, call.is_static);
    run_export(
        ctx,
        runtime,
        &*compiled,
        CALL_EXPORT,
        context,
        call.input,
        call.vm_gas,
    )
}

/// Creates a WASM contract from `create` in the journal in `ctx`, as revm creates EVM
/// contracts: nonce, address, collision check and value move in a checkpoint that the
/// constructor's failure reverts. Creation costs nothing here; callers charge it.
pub fn run_create<CTX: FrameContext>(
    ctx: &mut CTX,
    runtime: &Arc<WasmRuntime>,
    create: WasmCreate,
) -> Result<FrameEnd, LedgerFailure> {
    if ctx.journal().depth() > CALL_STACK_LIMIT as usize {
        return Ok(FrameEnd::refused(Refusal::CallTooDeep));
    }
    let spec = ctx.cfg().spec().into();
    let journal = ctx.journal_mut();
    let mut caller = journal
        .load_account_mut(create.caller)
        .map_err(|e| e.to_string())?;
    if *caller.balance() < create.value {
        return Ok(FrameEnd::refused(Refusal::OutOfFunds));
    }
    let nonce = caller.nonce();
    if !caller.bump_nonce() {
        return Ok(FrameEnd::failed(Failure::Trapped(
            "creator nonce overflow".into(),
        )));
    }
    drop(caller);
    let address = match create.scheme {
        CreateScheme::Create2 { salt } => create.caller.create2(
            salt.to_be_bytes(),
            alloy_primitives::keccak256(create.init_code),
        ),
        _ => create.caller.create(nonce),
    };
    journal.load_account(address).map_err(|e| e.to_string())?;
    let checkpoint =
        match journal.create_account_checkpoint(create.caller, address, create.value, spec) {
            Ok(checkpoint) => checkpoint,
            // An account with code or a nonce already lives there.
            Err(error) => {
                return Ok(FrameEnd::failed(Failure::Trapped(format!(
                    "cannot create at {address}: {error:?}"
                ))));
            }
        };
    let (module, args) = contract::split_init_code(create.init_code);
    let deployed = deploy(ctx, runtime, &create, address, module, args);
    let journal = ctx.journal_mut();
    match deployed {
        Ok(mut end) if end.succeeded() => {
            journal.checkpoint_commit();
            end.output.clear();
            end.created = Some(address);
            Ok(end)
        }
        other => {
            journal.checkpoint_revert(checkpoint);
            other
        }
    }
}

/// Checks and compiles `module`, runs its constructor and stores it as `address`'s code.
/// As with EVM creation, the account has no code while its constructor runs.
fn deploy<CTX: FrameContext>(
    ctx: &mut CTX,
    runtime: &Arc<WasmRuntime>,
    create: &WasmCreate,
    address: Address,
    module: &[u8],
    args: &[u8],
) -> Result<FrameEnd, LedgerFailure> {
    let compiled = match runtime.vm.load(&*runtime.engine, &runtime.cache, module) {
        Ok(compiled) => compiled,
        Err(error) => return Ok(FrameEnd::undeployable(&error)),
    };
    // `load` checked the profile; a contract also needs its entry points.
    if let Err(rule) = contract::check_entry_points(module) {
        return Ok(FrameEnd::undeployable(&DeployError::Rejected(rule)));
    }
    let end = if contract::has_constructor(module) {
        let context = frame_context(ctx, create.caller, address, create.value, false);
        let input = args.to_vec();
        run_export(
            ctx,
            runtime,
            &*compiled,
            DEPLOY_EXPORT,
            context,
            input,
            create.vm_gas,
        )?
    } else if args.is_empty() {
        FrameEnd::returned(Vec::new(), 0)
    } else {
        let reason = "constructor arguments given, but the module exports no `deploy`";
        FrameEnd::reverted(revert_reason(reason), 0)
    };
    if end.succeeded() {
        let code = Bytecode::new_raw(Bytes::copy_from_slice(module));
        ctx.journal_mut().set_code(address, code);
    }
    Ok(end)
}

fn frame_context<CTX: FrameContext>(
    ctx: &CTX,
    caller: Address,
    address: Address,
    value: U256,
    is_static: bool,
) -> vnt_vm::host::Context {
    vnt_vm::host::Context {
        caller: caller.into_array(),
        origin: ctx.tx().caller().into_array(),
        address: address.into_array(),
        value: value.to_be_bytes(),
        block_number: ctx.block().number().saturating_to(),
        timestamp: ctx.block().timestamp().saturating_to(),
        chain_id: ctx.cfg().chain_id(),
        // The frame's checkpoint is already taken, so the journal is one level deeper.
        depth: ctx.journal().depth().saturating_sub(1) as u32,
        is_static,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revert_reason_is_solidity_error_string() {
        let encoded = revert_reason("no");
        assert_eq!(encoded.len(), 4 + 32 + 32 + 32);
        assert_eq!(&encoded[..4], &[0x08, 0xc3, 0x79, 0xa0]);
        assert_eq!(encoded[4 + 31], 32);
        assert_eq!(encoded[4 + 63], 2);
        assert_eq!(&encoded[68..70], b"no");
        assert!(encoded[70..].iter().all(|b| *b == 0));
        assert_eq!(to_gas(1), 1);
        assert_eq!(to_gas(VM_GAS_PER_GAS * 3), 3);
    }
}
