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
use revm::primitives::CALL_STACK_LIMIT;
use std::sync::Arc;
use vnt_vm::cache::ModuleCache;
use vnt_vm::contract::{self, CALL_EXPORT, DEPLOY_EXPORT};
use vnt_vm::host::{CallKind, CallRequest, CallResult, CallStatus, CreateRequest};
use vnt_vm::{DeployError, Engine, Host, Outcome, Status, TrapKind, Vm};

/// VM gas in one unit of Ethereum gas. The VM's cost table prices about 0.1 ns per VM gas,
/// so one Ethereum gas buys about 10 ns of contract execution, which is what Ethereum
/// clients sustain on real blocks (about 100 million gas a second).
pub const VM_GAS_PER_GAS: u64 = 100;

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
    /// A call WASM cannot make yet: into EVM code or a precompile (cross-VM calls).
    Unsupported,
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
pub fn run_call<CTX: ContextTr>(
    ctx: &mut CTX,
    runtime: &WasmRuntime,
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

/// Runs one export of `compiled` with a host over the journal in `ctx`.
fn run_export<CTX: ContextTr>(
    ctx: &mut CTX,
    runtime: &WasmRuntime,
    compiled: &dyn vnt_vm::Compiled,
    export: &str,
    context: vnt_vm::host::Context,
    input: Vec<u8>,
    vm_gas: u64,
) -> Result<FrameEnd, LedgerFailure> {
    let mut ledger = JournalLedger {
        ctx,
        runtime,
        failure: None,
    };
    let end = ledger.execute(compiled, export, context, input, vm_gas);
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

    /// Records a read the database could not serve; the value read is then the default,
    /// and the transaction stops with the failure once the frame returns.
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
        if journal.precompile_addresses().contains(&target) {
            return call_result(&FrameEnd::refused(Refusal::Unsupported), request.gas);
        }
        let (code_hash, code) = match journal.load_account_with_code(target) {
            Ok(account) => {
                let info = &account.data.info;
                let code = info.code.as_ref().map(|c| c.original_bytes());
                (info.code_hash, code.unwrap_or_default())
            }
            Err(error) => {
                self.failure.get_or_insert(error.to_string());
                return CallResult::failed();
            }
        };
        let checkpoint = journal.checkpoint();
        if request.kind == CallKind::Call {
            let refusal = match journal.transfer(caller, target, value) {
                Ok(None) => None,
                Ok(Some(_insufficient)) => Some(FrameEnd::refused(Refusal::OutOfFunds)),
                Err(error) => {
                    self.failure.get_or_insert(error.to_string());
                    Some(FrameEnd::refused(Refusal::OutOfFunds))
                }
            };
            if let Some(end) = refusal {
                return finish_nested(self.ctx, checkpoint, end, request.gas);
            }
        }
        let end = if code.is_empty() {
            FrameEnd::returned(Vec::new(), 0)
        } else if contract::is_wasm(&code) {
            let call = WasmCall {
                code: &code,
                code_hash,
                caller,
                target: storage_owner,
                value,
                input: request.input,
                is_static: from.is_static || request.kind == CallKind::Static,
                vm_gas: request.gas,
            };
            run_call(self.ctx, self.runtime, call).unwrap_or_else(|error| {
                self.failure.get_or_insert(error);
                FrameEnd::failed(Failure::Trapped("the ledger could not be read".into()))
            })
        } else {
            // Calls from WASM into EVM code come with cross-VM calls.
            FrameEnd::refused(Refusal::Unsupported)
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
            FrameEnd::failed(Failure::Trapped("the ledger could not be read".into()))
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
    if end.succeeded() {
        ctx.journal_mut().checkpoint_commit();
    } else {
        ctx.journal_mut().checkpoint_revert(checkpoint);
    }
    call_result(&end, gas)
}

/// A frame's end as the calling WASM frame sees it.
fn call_result(end: &FrameEnd, gas: u64) -> CallResult {
    let gas_used = match &end.failure {
        None => end.vm_gas_used,
        Some(Failure::Refused(_)) => 0,
        // A failed frame used everything it was given, as the VM rules for traps say.
        Some(Failure::OutOfGas | Failure::Trapped(_)) => gas,
    };
    CallResult {
        status: end.status,
        output: end.output.clone(),
        gas_used,
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
