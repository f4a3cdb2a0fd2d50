//! The VM's [`Host`] for WASM frames, over revm's journal: storage, balances, logs, and
//! nested calls and creations, each in its own journal checkpoint.
//!
//! Engines need a `'static` host, while the journal is borrowed for one frame; the
//! [`JournalHost`] bridges the two with a pointer that lives exactly as long as the frame
//! (see [`JournalLedger::execute`]).

use super::super::nested;
use super::VM_GAS_PER_GAS;
use super::{Failure, FrameContext, FrameEnd, LedgerFailure, WasmCreate, WasmRuntime, run_create};
use alloy_primitives::{Address, B256, Bytes, Log, U256};
use revm::context::JournalTr;
use revm::context_interface::CreateScheme;
use revm::interpreter::{CallInput, CallInputs, CallScheme, CallValue, InstructionResult};
use std::sync::Arc;
use vnt_vm::Host;
use vnt_vm::host::CallStatus;
use vnt_vm::host::{CallKind, CallRequest, CallResult, CreateRequest};

/// Runs one export of `compiled` with a host over the journal in `ctx`.
pub(super) fn run_export<CTX: FrameContext>(
    ctx: &mut CTX,
    runtime: &Arc<WasmRuntime>,
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
    runtime: &'c Arc<WasmRuntime>,
    /// The first read the database could not serve; the transaction stops with it.
    failure: Option<LedgerFailure>,
}

impl<CTX: FrameContext> JournalLedger<'_, CTX> {
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
    /// and the transaction stops with the failure once the frame returns. Until then the
    /// frame may run on, but its writes, logs, calls and creations do nothing.
    fn fail<T: Default>(&mut self, error: impl std::fmt::Display) -> T {
        self.failure.get_or_insert_with(|| error.to_string());
        T::default()
    }
}

impl<CTX: FrameContext> Ledger for JournalLedger<'_, CTX> {
    fn storage_read(&mut self, address: Address, key: U256) -> U256 {
        match self.ctx.journal_mut().sload(address, key) {
            Ok(value) => value.data,
            Err(error) => self.fail(error),
        }
    }

    fn storage_write(&mut self, address: Address, key: U256, value: U256) -> U256 {
        if self.failure.is_some() {
            return U256::ZERO;
        }
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
        if self.failure.is_none() {
            self.ctx.journal_mut().log(log);
        }
    }

    fn call(&mut self, from: &vnt_vm::host::Context, request: CallRequest) -> CallResult {
        if self.failure.is_some() {
            return CallResult::failed();
        }
        let target = Address::from(request.target);
        let (caller, storage_owner, value, scheme) = match request.kind {
            CallKind::Call => (
                Address::from(from.address),
                target,
                CallValue::Transfer(U256::from_be_bytes(request.value)),
                CallScheme::Call,
            ),
            CallKind::Static => (
                Address::from(from.address),
                target,
                CallValue::Transfer(U256::ZERO),
                CallScheme::StaticCall,
            ),
            CallKind::Delegate => (
                Address::from(from.caller),
                Address::from(from.address),
                CallValue::Apparent(U256::from_be_bytes(from.value)),
                CallScheme::DelegateCall,
            ),
        };
        let known_bytecode = match self.ctx.journal_mut().load_account_with_code(target) {
            Ok(account) => {
                let info = &account.data.info;
                (info.code_hash, info.code.clone().unwrap_or_default())
            }
            Err(error) => {
                self.failure.get_or_insert(error.to_string());
                return CallResult::failed();
            }
        };
        // The VM applied the 63/64 rule already: revm's frame gets what the VM granted, in
        // Ethereum gas, and what it spends comes back as VM gas.
        let inputs = CallInputs {
            input: CallInput::Bytes(request.input.into()),
            return_memory_offset: 0..0,
            gas_limit: request.gas / VM_GAS_PER_GAS,
            bytecode_address: target,
            known_bytecode,
            target_address: storage_owner,
            caller,
            value,
            scheme,
            is_static: from.is_static || request.kind == CallKind::Static,
            reservoir: 0,
            charged_new_account_state_gas: false,
        };
        let outcome = match nested::call(self.ctx, self.runtime, inputs) {
            Ok(outcome) => outcome,
            Err(error) => {
                self.failure.get_or_insert(error.to_string());
                return CallResult::failed();
            }
        };
        let result = &outcome.result;
        // As an EVM caller sees its callee: a revert keeps its unused gas; a refusal before
        // anything ran (depth, funds; revm counts those as reverts) fails with its gas
        // returned; any other halt uses everything it was given, which revm leaves to the
        // calling frame to charge.
        let (status, gas_used) = match result.result {
            _ if result.is_ok() => (CallStatus::Success, None),
            InstructionResult::Revert => (CallStatus::Revert, None),
            InstructionResult::CallTooDeep | InstructionResult::OutOfFunds => {
                (CallStatus::Failure, Some(0))
            }
            _ => (CallStatus::Failure, Some(request.gas)),
        };
        // Gas refunds earned below a WASM frame are forgone: the VM keeps no refund
        // counter to pass them up in.
        let spent = result.gas.total_gas_spent().saturating_mul(VM_GAS_PER_GAS);
        CallResult {
            status,
            output: result.output.to_vec(),
            gas_used: gas_used.unwrap_or(spent),
            created: None,
        }
    }

    fn create(&mut self, from: &vnt_vm::host::Context, request: CreateRequest) -> CallResult {
        if self.failure.is_some() {
            return CallResult::failed();
        }
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
