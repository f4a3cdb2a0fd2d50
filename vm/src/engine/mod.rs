//! The two engines behind one interface, and what a call's outcome is.
//!
//! An [`Engine`] compiles an instrumented module into a [`Compiled`] one; instantiating it
//! against a [`Host`] gives an [`Instance`] whose exports can be invoked, each invocation
//! with its own gas limit (a contract call is one invocation of a `() -> ()` export, see
//! [`call`]; the spec tests invoke many on one instance). Everything after the engine
//! returns — deciding between return, revert, out of gas, stack overflow and the other
//! traps, and the gas used — happens in [`settle`], shared by both engines.

mod wasmer_engine;
mod wasmtime_engine;

pub use wasmer_engine::Wasmer;
pub use wasmtime_engine::Wasmtime;

/// Both engines, the default first.
pub fn all() -> Vec<std::sync::Arc<dyn Engine>> {
    vec![
        std::sync::Arc::new(Wasmtime::new()),
        std::sync::Arc::new(Wasmer::new()),
    ]
}

use crate::host::{Exit, Host};
use crate::instrument::{TRAP_OUT_OF_GAS, TRAP_STACK_OVERFLOW};

/// Why a module did not compile. Deterministic given the instrumented bytes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{engine} rejected the module: {reason}")]
pub struct CompileError {
    pub engine: &'static str,
    pub reason: String,
}

/// A trap, named the same whichever engine raised it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrapKind {
    OutOfGas,
    StackOverflow,
    Unreachable,
    MemoryOutOfBounds,
    TableOutOfBounds,
    IndirectCallToNull,
    BadSignature,
    IntegerOverflow,
    DivisionByZero,
    /// A host function got a pointer or length outside memory or input.
    HostOutOfBounds,
    /// A log with more than four topics.
    TooManyTopics,
    /// Storage write, log, value transfer or creation inside a static call.
    StaticStateChange,
    /// Instantiation failed (a data or element segment out of bounds).
    Instantiation,
    /// The export to call is missing or is not a `() -> ()` function.
    MissingExport(String),
    /// Anything an engine reports that the kinds above do not cover.
    Other(String),
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Returned(Vec<u8>),
    Reverted(Vec<u8>),
    Trapped(TrapKind),
}

/// A call's result and the gas it used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub gas_used: u64,
}

/// A WebAssembly engine.
pub trait Engine: Send + Sync {
    fn name(&self) -> &'static str;
    /// The engine crate's exact version: compiled code is only reused by the same version.
    fn version(&self) -> &'static str;
    fn compile(&self, instrumented: &[u8]) -> Result<Box<dyn Compiled>, CompileError>;
}

/// A compiled module, ready to instantiate.
pub trait Compiled: Send + Sync {
    /// Instantiates against `host`; on failure gives the host back with the trap.
    ///
    /// Engines keep the host only inside the instance, use it only on the calling thread
    /// and give it back through [`Instance::into_host`] (or drop it). The chain's host
    /// points into the ledger's journal for exactly that long; an engine that kept the
    /// host longer or moved it to another thread would break that.
    fn instantiate(
        &self,
        host: Box<dyn Host>,
    ) -> Result<Box<dyn Instance>, (TrapKind, Box<dyn Host>)>;
}

/// A value passed to or returned from an export (contracts have no floats).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    I32(i32),
    I64(i64),
}

/// The outcome of one invocation and the export's results when it returned normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub outcome: Outcome,
    pub results: Vec<Value>,
}

/// A live instance: memory, globals and tables persist across invocations.
pub trait Instance {
    /// Invokes `export` with `args` and `gas_limit`. An export that is missing or takes
    /// other than `i32`/`i64` values traps with [`TrapKind::MissingExport`].
    fn invoke(&mut self, export: &str, args: &[Value], gas_limit: u64) -> Invocation;
    /// Ends the instance, giving the host back.
    fn into_host(self: Box<Self>) -> Box<dyn Host>;
}

/// A contract call: instantiate, invoke `export` (a `() -> ()` function) once.
pub fn call(
    compiled: &dyn Compiled,
    host: Box<dyn Host>,
    export: &str,
    gas_limit: u64,
) -> (Outcome, Box<dyn Host>) {
    match compiled.instantiate(host) {
        Ok(mut instance) => {
            let invocation = instance.invoke(export, &[], gas_limit);
            let outcome = if invocation.results.is_empty() {
                invocation.outcome
            } else {
                Outcome {
                    status: Status::Trapped(TrapKind::MissingExport(export.to_string())),
                    gas_used: 0,
                }
            };
            (outcome, instance.into_host())
        }
        Err((kind, host)) => (
            Outcome {
                status: Status::Trapped(kind),
                gas_used: 0,
            },
            host,
        ),
    }
}

/// What an engine reports after running an export.
pub(crate) enum RawEnd {
    Finished,
    Exited(Exit),
    Trap(TrapKind),
}

/// Turns an engine's report and the instrumentation globals into an [`Outcome`].
pub(crate) fn settle(end: RawEnd, trap_reason: i32, gas_left: u64, gas_limit: u64) -> Outcome {
    let status = match end {
        RawEnd::Finished => Status::Returned(Vec::new()),
        RawEnd::Exited(Exit::Return(data)) => Status::Returned(data),
        RawEnd::Exited(Exit::Revert(data)) => Status::Reverted(data),
        RawEnd::Exited(Exit::OutOfGas) => Status::Trapped(TrapKind::OutOfGas),
        RawEnd::Exited(Exit::OutOfBounds { .. }) => Status::Trapped(TrapKind::HostOutOfBounds),
        RawEnd::Exited(Exit::TooManyTopics(_)) => Status::Trapped(TrapKind::TooManyTopics),
        RawEnd::Exited(Exit::StaticStateChange) => Status::Trapped(TrapKind::StaticStateChange),
        RawEnd::Trap(kind) => match trap_reason {
            TRAP_OUT_OF_GAS => Status::Trapped(TrapKind::OutOfGas),
            TRAP_STACK_OVERFLOW => Status::Trapped(TrapKind::StackOverflow),
            _ => Status::Trapped(kind),
        },
    };
    let gas_left = if status == Status::Trapped(TrapKind::OutOfGas) {
        0
    } else {
        gas_left
    };
    Outcome {
        status,
        gas_used: gas_limit.saturating_sub(gas_left),
    }
}
