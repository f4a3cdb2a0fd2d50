//! An in-memory [`Host`] for tests, benchmarks and differential runs: accounts, storage and
//! logs in plain collections, so two runs can be compared field by field.
//!
//! Given a [`Runner`] it also runs calls to other contracts, nesting frames the way the
//! chain does: a callee gets the world for the duration of its call, and a callee that
//! reverts or fails leaves the world exactly as it found it.

use crate::Vm;
use crate::cache::ModuleCache;
use crate::crypto::keccak256;
use crate::engine::{self, Compiled, Engine, Outcome, Status, TrapKind};
use crate::host::{CallKind, CallRequest, CallResult, CallStatus, Context, CreateRequest, Host};
use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A log as the host recorded it: emitting contract, topics, data.
pub type RecordedLog = ([u8; 20], Vec<[u8; 32]>, Vec<u8>);

/// An account of the in-memory world.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    pub balance: u128,
    /// Contracts created by this account so far (new addresses derive from it).
    pub nonce: u64,
    /// The WebAssembly module, as deployed.
    pub code: Option<Arc<Vec<u8>>>,
    pub storage: BTreeMap<[u8; 32], [u8; 32]>,
}

/// How nested calls compile and run callees.
#[derive(Clone)]
pub struct Runner {
    pub engine: Arc<dyn Engine>,
    pub vm: Vm,
    pub cache: Arc<ModuleCache>,
}

impl Runner {
    pub fn new(engine: Arc<dyn Engine>) -> Self {
        Self {
            engine,
            vm: Vm::default(),
            cache: Arc::default(),
        }
    }
}

/// The frame being executed and the world it runs in.
#[derive(Clone, Default)]
pub struct MemoryHost {
    pub context: Context,
    pub input: Vec<u8>,
    pub accounts: BTreeMap<[u8; 20], Account>,
    /// Every storage write that stuck, in order, with its account (a differential run
    /// compares these, not just the final storage).
    pub writes: Vec<([u8; 20], [u8; 32], [u8; 32])>,
    pub logs: Vec<RecordedLog>,
    pub runner: Option<Runner>,
}

/// Compares what contracts can observe or change; the runner is how calls run, not state.
impl PartialEq for MemoryHost {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.context,
            &self.input,
            &self.accounts,
            &self.writes,
            &self.logs,
        ) == (
            &other.context,
            &other.input,
            &other.accounts,
            &other.writes,
            &other.logs,
        )
    }
}

impl std::fmt::Debug for MemoryHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryHost")
            .field("context", &self.context)
            .field("accounts", &self.accounts)
            .field("writes", &self.writes)
            .field("logs", &self.logs)
            .finish_non_exhaustive()
    }
}

/// What a failed frame restores.
struct Snapshot {
    accounts: BTreeMap<[u8; 20], Account>,
    writes: usize,
    logs: usize,
}

impl MemoryHost {
    pub fn with_input(input: impl Into<Vec<u8>>) -> Self {
        Self {
            input: input.into(),
            ..Default::default()
        }
    }

    /// Storage of the account the current frame runs as.
    pub fn storage(&self) -> BTreeMap<[u8; 32], [u8; 32]> {
        self.accounts
            .get(&self.context.address)
            .map(|account| account.storage.clone())
            .unwrap_or_default()
    }

    /// Puts `code` at `address` (as if deployed earlier).
    pub fn install(&mut self, address: [u8; 20], code: Vec<u8>) {
        self.accounts.entry(address).or_default().code = Some(Arc::new(code));
    }

    /// Runs `export` of the contract at `self.context.address` with `gas`, as the
    /// outermost frame; the world changes only if it returns.
    pub fn run(&mut self, export: &str, gas: u64) -> Outcome {
        let context = self.context.clone();
        let input = self.input.clone();
        self.guarded(
            |host| host.enter(context.address, context, input, export, gas),
            |outcome| matches!(outcome.status, Status::Returned(_)),
        )
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            accounts: self.accounts.clone(),
            writes: self.writes.len(),
            logs: self.logs.len(),
        }
    }

    /// Runs `frame`; unless its result is `ok`, undoes everything it did.
    fn guarded<T>(&mut self, frame: impl FnOnce(&mut Self) -> T, ok: fn(&T) -> bool) -> T {
        let snapshot = self.snapshot();
        let result = frame(self);
        if !ok(&result) {
            self.accounts = snapshot.accounts;
            self.writes.truncate(snapshot.writes);
            self.logs.truncate(snapshot.logs);
        }
        result
    }

    fn compiled(&self, code_address: [u8; 20]) -> Option<Result<Arc<dyn Compiled>, ()>> {
        let code = self.accounts.get(&code_address)?.code.clone()?;
        let Some(runner) = &self.runner else {
            return Some(Err(()));
        };
        Some(
            runner
                .vm
                .load(runner.engine.as_ref(), &runner.cache, &code)
                .map_err(|_| ()),
        )
    }

    /// Runs the code at `code_address` in a new frame that owns the world meanwhile.
    fn enter(
        &mut self,
        code_address: [u8; 20],
        context: Context,
        input: Vec<u8>,
        export: &str,
        gas: u64,
    ) -> Outcome {
        let compiled = match self.compiled(code_address) {
            None => return returned_nothing(),
            Some(Err(())) => return not_deployable(),
            Some(Ok(compiled)) => compiled,
        };
        let frame = MemoryHost {
            context,
            input,
            accounts: std::mem::take(&mut self.accounts),
            writes: std::mem::take(&mut self.writes),
            logs: std::mem::take(&mut self.logs),
            runner: self.runner.clone(),
        };
        let (outcome, frame) = engine::call(compiled.as_ref(), Box::new(frame), export, gas);
        let any: Box<dyn Any> = frame;
        let frame = any
            .downcast::<MemoryHost>()
            .expect("frames are MemoryHosts");
        self.accounts = frame.accounts;
        self.writes = frame.writes;
        self.logs = frame.logs;
        outcome
    }

    /// Moves `value` between accounts; false if it does not fit the sender's balance.
    fn transfer(&mut self, from: [u8; 20], to: [u8; 20], value: [u8; 32]) -> bool {
        if value[..16] != [0; 16] {
            return false;
        }
        let amount = u128::from_be_bytes(value[16..].try_into().expect("16 bytes"));
        if amount == 0 {
            return true;
        }
        let sender = self.accounts.entry(from).or_default();
        let Some(rest) = sender.balance.checked_sub(amount) else {
            return false;
        };
        sender.balance = rest;
        let receiver = self.accounts.entry(to).or_default();
        receiver.balance = receiver.balance.saturating_add(amount);
        true
    }
}

/// Calling an account without code: nothing runs.
fn returned_nothing() -> Outcome {
    Outcome {
        status: Status::Returned(Vec::new()),
        gas_used: 0,
    }
}

/// Code that fails the deploy pipeline (it was stored before this world checked it).
fn not_deployable() -> Outcome {
    Outcome {
        status: Status::Trapped(TrapKind::Instantiation),
        gas_used: 0,
    }
}

fn succeeded(result: &CallResult) -> bool {
    result.status == CallStatus::Success
}

impl Host for MemoryHost {
    fn context(&self) -> &Context {
        &self.context
    }

    fn balance(&mut self, address: &[u8; 20]) -> [u8; 32] {
        let balance = self.accounts.get(address).map_or(0, |a| a.balance);
        let mut word = [0; 32];
        word[16..].copy_from_slice(&balance.to_be_bytes());
        word
    }

    fn input(&self) -> &[u8] {
        &self.input
    }

    fn storage_read(&mut self, key: &[u8; 32]) -> [u8; 32] {
        self.accounts
            .get(&self.context.address)
            .and_then(|account| account.storage.get(key).copied())
            .unwrap_or([0; 32])
    }

    fn storage_write(&mut self, key: [u8; 32], value: [u8; 32]) -> [u8; 32] {
        let address = self.context.address;
        let account = self.accounts.entry(address).or_default();
        let previous = account.storage.insert(key, value).unwrap_or([0; 32]);
        self.writes.push((address, key, value));
        previous
    }

    fn log(&mut self, topics: Vec<[u8; 32]>, data: Vec<u8>) {
        self.logs.push((self.context.address, topics, data));
    }

    fn call(&mut self, request: CallRequest) -> CallResult {
        let context = self
            .context
            .child(request.kind, request.target, request.value);
        self.guarded(
            |host| {
                if request.kind == CallKind::Call
                    && !host.transfer(context.caller, request.target, request.value)
                {
                    return CallResult::failed();
                }
                let outcome =
                    host.enter(request.target, context, request.input, "call", request.gas);
                CallResult::from_outcome(outcome, request.gas)
            },
            succeeded,
        )
    }

    fn create(&mut self, request: CreateRequest) -> CallResult {
        let creator = self.context.address;
        let account = self.accounts.entry(creator).or_default();
        let nonce = account.nonce;
        account.nonce += 1;
        let mut preimage = creator.to_vec();
        preimage.extend_from_slice(&nonce.to_be_bytes());
        let address: [u8; 20] = keccak256(&preimage)[12..].try_into().expect("20 bytes");
        self.guarded(
            |host| {
                if host
                    .accounts
                    .get(&address)
                    .is_some_and(|a| a.code.is_some())
                    || !host.transfer(creator, address, request.value)
                {
                    return CallResult::failed();
                }
                host.install(address, request.code);
                // A module that does not deploy is a deterministic failure that uses the gas.
                if let Some(Err(())) = host.compiled(address) {
                    return CallResult::from_outcome(not_deployable(), request.gas);
                }
                CallResult {
                    created: Some(address),
                    ..CallResult::from_outcome(returned_nothing(), request.gas)
                }
            },
            succeeded,
        )
    }
}
