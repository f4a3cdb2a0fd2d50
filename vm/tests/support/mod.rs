//! Runs modules on both engines and insists they agree.
#![allow(dead_code)]

use std::any::Any;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use vnt_vm::engine::{self, Compiled, Engine};
use vnt_vm::testing::MemoryHost;
use vnt_vm::testing::Runner;
use vnt_vm::{Outcome, Vm};

pub fn engines() -> &'static [Arc<dyn Engine>] {
    static ENGINES: OnceLock<Vec<Arc<dyn Engine>>> = OnceLock::new();
    ENGINES.get_or_init(engine::all)
}

/// One runner per engine, each with its own module cache kept across calls.
pub fn runners() -> &'static [Runner] {
    static RUNNERS: OnceLock<Vec<Runner>> = OnceLock::new();
    RUNNERS.get_or_init(|| engines().iter().cloned().map(Runner::new).collect())
}

/// Runs the contract at `host.context.address` as the outermost frame on each engine, nested
/// calls included; asserts identical results and worlds.
pub fn run_agreeing(host: &MemoryHost, gas_limit: u64) -> (Outcome, MemoryHost) {
    let mut runs = runners().iter().map(|runner| {
        let mut host = MemoryHost {
            runner: Some(runner.clone()),
            ..host.clone()
        };
        let result = host.run("call", gas_limit);
        (runner.engine.name(), result, host)
    });
    let (first_name, first_result, first_host) = runs.next().expect("two engines");
    for (name, result, host) in runs {
        assert_eq!(
            result, first_result,
            "{name} and {first_name} disagree at gas limit {gas_limit}"
        );
        assert_eq!(
            host, first_host,
            "{name} and {first_name} left different worlds"
        );
    }
    assert!(first_result.gas_used <= gas_limit);
    (first_result, first_host)
}

/// [`run_agreeing`] at every gas limit in `[used - 1000, used]`.
pub fn sweep_run(host: &MemoryHost, used: u64) {
    for limit in used.saturating_sub(1000)..=used {
        run_agreeing(host, limit);
    }
}

/// A corpus module by file name, as WebAssembly text.
pub fn corpus(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name);
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Profile-checks, instruments and compiles on every engine.
pub fn compile_all(wasm: &[u8]) -> Vec<Box<dyn Compiled>> {
    let instrumented = Vm::default()
        .prepare(wasm)
        .expect("the module passes the profile");
    engines()
        .iter()
        .map(|engine| {
            engine
                .compile(&instrumented)
                .unwrap_or_else(|e| panic!("{}: {e}", engine.name()))
        })
        .collect()
}

/// Calls `export` on each compiled module; asserts identical outcomes and host effects.
pub fn call_agreeing(
    compiled: &[Box<dyn Compiled>],
    host: &MemoryHost,
    gas_limit: u64,
) -> (Outcome, MemoryHost) {
    let mut runs = compiled.iter().zip(engines()).map(|(module, engine)| {
        let (outcome, host) =
            engine::call(module.as_ref(), Box::new(host.clone()), "call", gas_limit);
        let any: Box<dyn Any> = host;
        let host = *any.downcast::<MemoryHost>().expect("the host we passed in");
        (engine.name(), outcome, host)
    });
    let (first_name, first_outcome, first_host) = runs.next().expect("two engines");
    for (name, outcome, host) in runs {
        assert_eq!(
            outcome, first_outcome,
            "{name} and {first_name} disagree at gas limit {gas_limit}"
        );
        assert_eq!(
            host, first_host,
            "{name} and {first_name} left different effects"
        );
    }
    assert!(first_outcome.gas_used <= gas_limit);
    (first_outcome, first_host)
}

/// Calls with every gas limit in `[used - 1000, used]`; both engines must agree on each.
pub fn sweep_gas(compiled: &[Box<dyn Compiled>], host: &MemoryHost, used: u64) {
    for limit in used.saturating_sub(1000)..=used {
        call_agreeing(compiled, host, limit);
    }
}
