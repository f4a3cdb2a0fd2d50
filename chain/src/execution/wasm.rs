//! WebAssembly contracts on the ledger: the VM's [`Host`] over revm's journal.
//!
//! A WASM contract is an account whose code is a WebAssembly module. Its frames run in the
//! same journal as EVM frames, so they share checkpoints, logs, balances and the state diff
//! a block produces; [`super::handler`] routes calls and creations here. Gas crosses the
//! boundary at [`VM_GAS_PER_GAS`]: the caller's Ethereum gas becomes VM gas on the way in
//! and the VM gas used becomes Ethereum gas on the way out.

use alloy_primitives::{Address, B256, Bytes, Log, U256};
use revm::bytecode::Bytecode;
use revm::context::{Block, Cfg, ContextTr, JournalTr, Transaction};
use revm::context_interface::CreateScheme;
use revm::context_interface::journaled_state::account::JournaledAccountTr;
use std::sync::Arc;
use vnt_vm::cache::ModuleCache;
use vnt_vm::contract::{self, CALL_EXPORT, DEPLOY_EXPORT};
use vnt_vm::host::{CallKind, CallRequest, CallResult, CallStatus, CreateRequest};
use vnt_vm::{DeployError, Engine, Host, Outcome, Status, TrapKind, Vm};

/// VM gas in one unit of Ethereum gas. The VM's cost table prices about 0.1 ns per VM gas,
/// so one Ethereum gas buys about 10 ns of contract execution, which is what Ethereum
/// clients sustain on real blocks (about 100 million gas a second).
pub const VM_GAS_PER_GAS: u64 = 100;

/// Ethereum's call-stack limit, which WASM creations obey like EVM ones.
const CALL_STACK_LIMIT: usize = 1024;

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

/// How a WASM frame ended, in the VM's terms and gas.
#[derive(Debug)]
pub struct FrameEnd {
    pub status: CallStatus,
    /// Return or revert data.
    pub output: Vec<u8>,
    /// Why the frame failed, when it did: a trap or a refused deployment.
    pub failure: Option<String>,
    pub vm_gas_used: u64,
    pub created: Option<Address>,
}

impl FrameEnd {
    fn failed(reason: impl Into<String>, vm_gas_used: u64) -> Self {
        Self {
            status: CallStatus::Failure,
            output: Vec::new(),
            failure: Some(reason.into()),
            vm_gas_used,
            created: None,
        }
    }

    /// A deployment refused before anything ran: a revert whose reason names the VM rule,
    /// so `eth_estimateGas` and `eth_call` show it as any revert reason.
    fn refused(error: &DeployError, vm_gas_used: u64) -> Self {
        Self {
            status: CallStatus::Revert,
            output: revert_reason(&format!("invalid WASM contract: {error}")),
            failure: None,
            vm_gas_used,
            created: None,
        }
    }

    fn from_outcome(outcome: Outcome) -> Self {
        let (status, output, failure) = match outcome.status {
            Status::Returned(data) => (CallStatus::Success, data, None),
            Status::Reverted(data) => (CallStatus::Revert, data, None),
            Status::Trapped(kind) => (CallStatus::Failure, Vec::new(), Some(trap_reason(&kind))),
        };
        Self {
            status,
            output,
            failure,
            vm_gas_used: outcome.gas_used,
            created: None,
        }
    }

    pub fn out_of_gas(&self) -> bool {
        self.failure.as_deref() == Some(OUT_OF_GAS)
    }
}

const OUT_OF_GAS: &str = "out of gas";

fn trap_reason(kind: &TrapKind) -> String {
    match kind {
        TrapKind::OutOfGas => OUT_OF_GAS.to_string(),
        other => format!("contract trapped: {other:?}"),
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
pub fn run_call<CTX: ContextTr>(
    ctx: &mut CTX,
    runtime: &WasmRuntime,
    call: WasmCall,
) -> Result<FrameEnd, LedgerFailure> {
    let context = frame_context(ctx, call.caller, call.target, call.value, call.is_static);
    let mut ledger = JournalLedger {
        ctx,
        runtime,
        failure: None,
    };
    let compiled = match runtime.vm.load(&*runtime.engine, &runtime.cache, call.code) {
        Ok(compiled) => compiled,
        Err(error) => return Ok(FrameEnd::failed(error.to_string(), 0)),
    };
    let end = ledger.execute(&*compiled, CALL_EXPORT, context, call.input, call.vm_gas);
    ledger.failure.map_or(Ok(end), Err)
}

/// Creates a WASM contract from `create` in the journal in `ctx`, as revm creates EVM
/// contracts: nonce, address, collision check and value move in a checkpoint that the
/// constructor's failure reverts. Creation costs nothing here; callers charge it.
pub fn run_create<CTX: ContextTr>(
    ctx: &mut CTX,
    runtime: &WasmRuntime,
    create: WasmCreate,
) -> Result<FrameEnd, LedgerFailure> {
    if ctx.journal().depth() > CALL_STACK_LIMIT {
        return Ok(FrameEnd::failed("call stack too deep", 0));
    }
    let spec = ctx.cfg().spec().into();
    let journal = ctx.journal_mut();
    let mut caller = journal
        .load_account_mut(create.caller)
        .map_err(|e| e.to_string())?;
    if *caller.balance() < create.value {
        return Ok(FrameEnd::failed("balance does not cover the value", 0));
    }
    let nonce = caller.nonce();
    if !caller.bump_nonce() {
        return Ok(FrameEnd::failed("creator nonce overflow", 0));
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
            Err(error) => return Ok(FrameEnd::failed(format!("{error:?}"), 0)),
        };
    let (module, args) = contract::split_init_code(create.init_code);
    let mut end = deploy(ctx, runtime, &create, address, module, args)?;
    if end.status == CallStatus::Success {
        ctx.journal_mut().checkpoint_commit();
        end.output.clear();
        end.created = Some(address);
    } else {
        ctx.journal_mut().checkpoint_revert(checkpoint);
    }
    Ok(end)
}

/// Checks and compiles `module`, stores it as `address`'s code and runs its constructor.
fn deploy<CTX: ContextTr>(
    ctx: &mut CTX,
    runtime: &WasmRuntime,
    create: &WasmCreate,
    address: Address,
    module: &[u8],
    args: &[u8],
) -> Result<FrameEnd, LedgerFailure> {
    let compiled = match runtime.vm.load(&*runtime.engine, &runtime.cache, module) {
        Ok(compiled) => compiled,
        Err(error) => return Ok(FrameEnd::refused(&error, 0)),
    };
    // `load` checked the profile; a contract also needs its entry points.
    if let Err(rule) = contract::check_entry_points(module) {
        return Ok(FrameEnd::refused(&DeployError::Rejected(rule), 0));
    }
    let code = Bytecode::new_raw(Bytes::copy_from_slice(module));
    ctx.journal_mut().set_code(address, code);
    if !contract::has_constructor(module) {
        if args.is_empty() {
            return Ok(FrameEnd::from_outcome(Outcome {
                status: Status::Returned(Vec::new()),
                gas_used: 0,
            }));
        }
        return Ok(FrameEnd {
            status: CallStatus::Revert,
            output: revert_reason(
                "constructor arguments given, but the module exports no `deploy`",
            ),
            failure: None,
            vm_gas_used: 0,
            created: None,
        });
    }
    let context = frame_context(ctx, create.caller, address, create.value, false);
    let mut ledger = JournalLedger {
        ctx,
        runtime,
        failure: None,
    };
    let end = ledger.execute(
        &*compiled,
        DEPLOY_EXPORT,
        context,
        args.to_vec(),
        create.vm_gas,
    );
    ledger.failure.map_or(Ok(end), Err)
}

fn frame_context<CTX: ContextTr>(
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

/// The journal as WASM frames see it. Object-safe so that the `'static` [`JournalHost`]
/// can point at it for the length of one frame.
trait Ledger {
    fn storage_read(&mut self, address: Address, key: U256) -> U256;
    /// Writes and returns the value replaced.
    fn storage_write(&mut self, address: Address, key: U256, value: U256) -> U256;
    fn balance(&mut self, address: Address) -> U256;
    fn log(&mut self, log: Log);
    fn call(&mut self, from: &vnt_vm::host::Context, request: CallRequest) -> CallResult;
    fn create(&mut self, from: &vnt_vm::host::Context, request: CreateRequest) -> CallResult;
}

struct JournalLedger<'c, CTX> {
    ctx: &'c mut CTX,
    runtime: &'c WasmRuntime,
    /// The first read the database could not serve; the transaction stops with it.
    failure: Option<LedgerFailure>,
}

impl<CTX: ContextTr> JournalLedger<'_, CTX> {
    /// Runs one export of `compiled` with a host pointing at this ledger.
    fn execute(
        &mut self,
        compiled: &dyn vnt_vm::Compiled,
        export: &str,
        context: vnt_vm::host::Context,
        input: Vec<u8>,
        vm_gas: u64,
    ) -> FrameEnd {
        let ledger: &mut dyn Ledger = self;
        // SAFETY: the host holding this pointer is created here and handed back by
        // `engine::call` below, which returns before `self` is released; nothing keeps the
        // host (or the pointer) after that. The engines need a `'static` host, the borrow
        // of the journal is shorter, and this scope is what bridges the two.
        let ledger: *mut (dyn Ledger + 'static) = unsafe { std::mem::transmute(ledger) };
        let host = Box::new(JournalHost {
            context,
            input,
            ledger,
        });
        let (outcome, host) = vnt_vm::engine::call(compiled, host, export, vm_gas);
        drop(host);
        FrameEnd::from_outcome(outcome)
    }

    /// Records a read the database could not serve; the value read is then zero, and the
    /// transaction stops with the failure once the frame returns.
    fn fail<T: Default>(&mut self, error: impl std::fmt::Display) -> T {
        self.failure.get_or_insert_with(|| error.to_string());
        T::default()
    }
}

impl<CTX: ContextTr> Ledger for JournalLedger<'_, CTX> {
    fn storage_read(&mut self, address: Address, key: U256) -> U256 {
        match self.ctx.journal_mut().sload(address, key) {
            Ok(value) => value.data,
            Err(error) => self.fail(error),
        }
    }

    fn storage_write(&mut self, address: Address, key: U256, value: U256) -> U256 {
        match self.ctx.journal_mut().sstore(address, key, value) {
            Ok(result) => result.data.present_value,
            Err(error) => self.fail(error),
        }
    }

    fn balance(&mut self, address: Address) -> U256 {
        match self.ctx.journal_mut().load_account(address) {
            Ok(account) => account.data.info.balance,
            Err(error) => self.fail(error),
        }
    }

    fn log(&mut self, log: Log) {
        self.ctx.journal_mut().log(log);
    }

    fn call(&mut self, from: &vnt_vm::host::Context, request: CallRequest) -> CallResult {
        let target = Address::from(request.target);
        let (caller, storage_owner, value) = match request.kind {
            CallKind::Call => (
                Address::from(from.address),
                target,
                U256::from_be_bytes(request.value),
            ),
            CallKind::Static => (Address::from(from.address), target, U256::ZERO),
            CallKind::Delegate => (
                Address::from(from.caller),
                Address::from(from.address),
                U256::from_be_bytes(from.value),
            ),
        };
        let journal = self.ctx.journal_mut();
        let code = match journal.code(target) {
            Ok(code) => code.data,
            Err(error) => {
                self.fail::<()>(error);
                return CallResult::failed();
            }
        };
        let checkpoint = journal.checkpoint();
        if request.kind == CallKind::Call {
            match journal.transfer(caller, target, value) {
                Ok(None) => {}
                Ok(Some(_insufficient)) => {
                    journal.checkpoint_revert(checkpoint);
                    return CallResult::failed();
                }
                Err(error) => {
                    journal.checkpoint_revert(checkpoint);
                    self.fail::<()>(error);
                    return CallResult::failed();
                }
            }
        }
        let end = if code.is_empty() {
            FrameEnd::from_outcome(Outcome {
                status: Status::Returned(Vec::new()),
                gas_used: 0,
            })
        } else if contract::is_wasm(&code) {
            let call = WasmCall {
                code: &code,
                caller,
                target: storage_owner,
                value,
                input: request.input,
                is_static: from.is_static || request.kind == CallKind::Static,
                vm_gas: request.gas,
            };
            run_call(self.ctx, self.runtime, call).unwrap_or_else(|error| {
                self.failure.get_or_insert(error);
                FrameEnd::failed("", request.gas)
            })
        } else {
            // Calls from WASM into EVM code come with cross-VM calls (issue 5).
            FrameEnd::failed("calls from WASM to EVM contracts are not supported yet", 0)
        };
        finish_nested(self.ctx, checkpoint, end, request.gas)
    }

    fn create(&mut self, from: &vnt_vm::host::Context, request: CreateRequest) -> CallResult {
        let init_code = Bytes::from(request.code);
        let create = WasmCreate {
            caller: Address::from(from.address),
            init_code: &init_code,
            value: U256::from_be_bytes(request.value),
            scheme: CreateScheme::Create,
            vm_gas: request.gas,
        };
        let end = run_create(self.ctx, self.runtime, create).unwrap_or_else(|error| {
            self.failure.get_or_insert(error);
            FrameEnd::failed("", request.gas)
        });
        let mut result = call_result(&end, request.gas);
        result.created = end.created.map(Address::into_array);
        result
    }
}

/// Commits or reverts a nested frame's checkpoint and reports it to the calling frame.
fn finish_nested<CTX: ContextTr>(
    ctx: &mut CTX,
    checkpoint: revm::context_interface::journaled_state::JournalCheckpoint,
    end: FrameEnd,
    gas: u64,
) -> CallResult {
    if end.status == CallStatus::Success {
        ctx.journal_mut().checkpoint_commit();
    } else {
        ctx.journal_mut().checkpoint_revert(checkpoint);
    }
    call_result(&end, gas)
}

fn call_result(end: &FrameEnd, gas: u64) -> CallResult {
    CallResult {
        status: end.status,
        output: end.output.clone(),
        // A failed frame used everything it was given, as the VM rules for traps say.
        gas_used: if end.status == CallStatus::Failure {
            gas
        } else {
            end.vm_gas_used
        },
        created: None,
    }
}

/// The VM's host for one frame: its context and input, and the ledger it reads and writes.
struct JournalHost {
    context: vnt_vm::host::Context,
    input: Vec<u8>,
    ledger: *mut (dyn Ledger + 'static),
}

// SAFETY: a `JournalHost` lives only inside `JournalLedger::execute`, on the thread that
// owns the journal; engines require `Send` of hosts in general, this one never moves.
unsafe impl Send for JournalHost {}

impl JournalHost {
    fn ledger(&mut self) -> &mut dyn Ledger {
        // SAFETY: see `JournalLedger::execute`: the ledger outlives this host.
        unsafe { &mut *self.ledger }
    }

    fn address(&self) -> Address {
        Address::from(self.context.address)
    }
}

impl Host for JournalHost {
    fn context(&self) -> &vnt_vm::host::Context {
        &self.context
    }

    fn balance(&mut self, address: &[u8; 20]) -> [u8; 32] {
        self.ledger().balance(Address::from(*address)).to_be_bytes()
    }

    fn input(&self) -> &[u8] {
        &self.input
    }

    fn storage_read(&mut self, key: &[u8; 32]) -> [u8; 32] {
        let address = self.address();
        self.ledger()
            .storage_read(address, U256::from_be_bytes(*key))
            .to_be_bytes()
    }

    fn storage_write(&mut self, key: [u8; 32], value: [u8; 32]) -> [u8; 32] {
        let address = self.address();
        self.ledger()
            .storage_write(
                address,
                U256::from_be_bytes(key),
                U256::from_be_bytes(value),
            )
            .to_be_bytes()
    }

    fn log(&mut self, topics: Vec<[u8; 32]>, data: Vec<u8>) {
        let address = self.address();
        let topics = topics.into_iter().map(B256::from).collect();
        let log = Log::new_unchecked(address, topics, data.into());
        self.ledger().log(log);
    }

    fn call(&mut self, request: CallRequest) -> CallResult {
        let context = self.context.clone();
        self.ledger().call(&context, request)
    }

    fn create(&mut self, request: CreateRequest) -> CallResult {
        let context = self.context.clone();
        self.ledger().create(&context, request)
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
