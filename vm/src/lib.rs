//! The VNT WebAssembly VM: deterministic, gas-metered contract execution on two engines.
//!
//! A module becomes runnable in two deploy-time steps that no engine takes part in: the
//! [`profile`] checks it against the determinism profile and limits (rejecting with the
//! [`profile::Rule`] it broke), then [`instrument`] rewrites it with gas metering, a stack
//! height limit and the memory cap. Both engines — [`engine::Wasmtime`] (the default) and
//! [`engine::Wasmer`] (singlepass) — compile and run that same instrumented module against
//! the same [`host`] ABI, so results and gas cannot depend on the engine; the differential
//! tests hold them to it.
//!
//! Start reading at [`Vm::prepare`] and [`engine::Engine`].

pub mod costs;
pub mod crypto;
pub mod engine;
pub mod host;
pub mod instrument;
pub mod profile;
pub mod testing;

pub use engine::{Compiled, Engine, Instance, Invocation, Outcome, Status, TrapKind, Value};
pub use host::{Exit, Host};

use costs::CostTable;
use profile::{Limits, Rule};

/// Why a module cannot be deployed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("module rejected: {0}")]
    Rejected(#[from] Rule),
    #[error(transparent)]
    Instrument(#[from] instrument::InstrumentError),
}

/// The deploy-time pipeline with its configuration.
#[derive(Clone, Debug, Default)]
pub struct Vm {
    pub limits: Limits,
    pub costs: CostTable,
}

impl Vm {
    /// Checks a module against the profile and returns its instrumented form.
    pub fn prepare(&self, wasm: &[u8]) -> Result<Vec<u8>, DeployError> {
        let facts = profile::check(wasm, &self.limits, host::FUNCTIONS)?;
        Ok(instrument::instrument(
            wasm,
            &facts,
            &self.costs,
            &self.limits,
        )?)
    }
}
