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

pub mod cache;
pub mod contract;
pub mod costs;
pub mod crypto;
pub mod engine;
pub mod host;
pub mod instrument;
pub mod profile;
pub mod testing;

pub use engine::{Compiled, Engine, Instance, Invocation, Outcome, Status, TrapKind, Value};
pub use host::{Exit, Host};

use cache::{CacheKey, ModuleCache};
use costs::CostTable;
use engine::CompileError;
use profile::{Limits, Rule};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Native stack the thread running a contract call should have. Nested calls (up to
/// [`host::CALL_DEPTH_LIMIT`] deep) each run on it, every frame within the instrumented
/// stack height limit; `vm/tests/calls.rs` runs the deepest reentrant call at this size.
pub const EXECUTION_STACK_BYTES: usize = 64 << 20;

/// Why a module cannot be deployed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("module rejected by rule `{name}`: {0}", name = .0.name())]
    Rejected(#[from] Rule),
    #[error(transparent)]
    Instrument(#[from] instrument::InstrumentError),
    #[error(transparent)]
    Compile(#[from] CompileError),
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

    /// Checks a contract module: the profile, then its entry points (see [`contract`]).
    /// Returns the instrumented form.
    pub fn prepare_contract(&self, wasm: &[u8]) -> Result<Vec<u8>, DeployError> {
        let instrumented = self.prepare(wasm)?;
        contract::check_entry_points(wasm)?;
        Ok(instrumented)
    }

    /// Identifies this pipeline's output: two `Vm`s with the same fingerprint instrument
    /// every module identically.
    pub fn fingerprint(&self) -> u64 {
        let mut hasher = costs::Fnv::default();
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        self.costs.hash(&mut hasher);
        self.limits.hash(&mut hasher);
        hasher.finish()
    }

    /// The compiled form of `wasm` on `engine`, from `cache` or prepared and compiled now.
    pub fn load(
        &self,
        engine: &dyn Engine,
        cache: &ModuleCache,
        wasm: &[u8],
    ) -> Result<Arc<dyn Compiled>, DeployError> {
        self.load_hashed(engine, cache, crypto::keccak256(wasm), wasm)
    }

    /// [`Vm::load`] for a caller that knows the code's keccak hash already, as the chain
    /// does for every account, so the module is not hashed again on every call.
    pub fn load_hashed(
        &self,
        engine: &dyn Engine,
        cache: &ModuleCache,
        code_hash: [u8; 32],
        wasm: &[u8],
    ) -> Result<Arc<dyn Compiled>, DeployError> {
        let key = CacheKey {
            code_hash,
            config: self.fingerprint(),
            engine: engine.name(),
            engine_version: engine.version(),
        };
        if let Some(module) = cache.get(&key) {
            return Ok(module);
        }
        let module: Arc<dyn Compiled> = Arc::from(engine.compile(&self.prepare(wasm)?)?);
        cache.insert(key, module.clone());
        Ok(module)
    }
}
