//! Differential execution of generated modules: wasm-smith writes 1,000 modules within the
//! profile's features; each is deployed once and run on both engines, every exported
//! function invoked with zero arguments, then again at every gas
//! limit in `[used - 1000, used]`. Return values, traps and gas must match exactly.

use crate::support::engines;
use arbitrary::Unstructured;
use vnt_vm::engine::{Instance, Invocation};
use vnt_vm::testing::MemoryHost;
use vnt_vm::{Value, Vm};
use wasmparser::{ExternalKind, Parser, Payload, ValType};

const MODULES: u64 = 1_000;
/// Gas for the first run of each export; the sweep then runs at every limit below its use.
const GAS: u64 = 20_000;

fn config() -> wasm_smith::Config {
    wasm_smith::Config {
        allow_floats: false,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        tail_call_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        reference_types_enabled: false,
        saturating_float_to_int_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        allow_start_export: false,
        export_everything: true,
        max_imports: 0,
        max_memories: 1,
        max_tables: 1,
        max_memory32_bytes: 64 * 65_536,
        max_table_elements: 1_000,
        min_funcs: 1,
        max_funcs: 12,
        max_instructions: 300,
        ..wasm_smith::Config::default()
    }
}

/// Deterministic bytes for module `seed` (xorshift64*).
fn entropy(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// Exported functions whose parameters are all integers, with their parameter counts.
fn callable_exports(wasm: &[u8]) -> Vec<(String, Vec<Value>)> {
    let mut types = Vec::new();
    let mut functions = Vec::new();
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    types.push(ty.unwrap());
                }
            }
            Payload::FunctionSection(reader) => {
                functions.extend(reader.into_iter().map(Result::unwrap))
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.unwrap();
                    if export.kind == ExternalKind::Func {
                        exports.push((export.name.to_string(), export.index));
                    }
                }
            }
            _ => {}
        }
    }
    exports
        .into_iter()
        .filter_map(|(name, index)| {
            let ty = &types[functions[index as usize] as usize];
            let args = ty
                .params()
                .iter()
                .map(|t| match t {
                    ValType::I32 => Some(Value::I32(0)),
                    ValType::I64 => Some(Value::I64(0)),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            Some((name, args))
        })
        .collect()
}

fn invoke_all(
    instances: &mut [Box<dyn Instance>],
    export: &str,
    args: &[Value],
    gas: u64,
    what: &str,
) -> Invocation {
    let runs: Vec<Invocation> = instances
        .iter_mut()
        .map(|i| i.invoke(export, args, gas))
        .collect();
    for (run, engine) in runs.iter().zip(engines()).skip(1) {
        assert_eq!(
            run,
            &runs[0],
            "{what}: {} disagrees on {export} at gas {gas}",
            engine.name()
        );
    }
    assert!(runs[0].outcome.gas_used <= gas);
    runs[0].clone()
}

/// Slices of the thousand modules, each checked in a process of its own. Both engines keep
/// process-wide registries of compiled code that trap handling consults, and in one process
/// traps grow slower with every module compiled (a slice of 250 took 30 s alone, all four in
/// one process nine minutes), so a fresh process per slice keeps the run to about two minutes.
const SLICES: u64 = 5;
const SLICE_ENV: &str = "VNT_GENERATED_SLICE";

#[test]
fn a_thousand_generated_modules_run_identically_on_both_engines() {
    let this_test_binary = std::env::current_exe().expect("the test binary's path");
    // libtest names a test by its module path without the crate: `generated::one_slice`.
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    let name = format!("{module}::one_slice");
    for slice in 0..SLICES {
        let output = std::process::Command::new(&this_test_binary)
            .args(["--exact", &name, "--ignored", "--nocapture"])
            .env(SLICE_ENV, slice.to_string())
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "slice {slice} of the generated modules failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // A filter that matches nothing also succeeds: make sure the slice really ran.
        assert!(
            stdout.contains("test result: ok. 1 passed"),
            "slice {slice} ran no test (filter `{name}`):\n{stdout}"
        );
    }
}

#[test]
#[ignore = "run by a_thousand_generated_modules_run_identically_on_both_engines, one process per slice"]
fn one_slice() {
    let slice: u64 = std::env::var(SLICE_ENV)
        .expect("started by the parent test")
        .parse()
        .expect("a slice number");
    let per_slice = MODULES / SLICES;
    let vm = Vm::default();
    let (mut deployed, mut invocations, mut rejected) = (0, 0, 0);
    for seed in slice * per_slice..(slice + 1) * per_slice {
        let bytes = entropy(seed, 8_192);
        let mut u = Unstructured::new(&bytes);
        let Ok(module) = wasm_smith::Module::new(config(), &mut u) else {
            continue;
        };
        let wasm = module.to_bytes();
        let what = format!("module {seed}");
        let instrumented = match vm.prepare(&wasm) {
            Ok(instrumented) => instrumented,
            Err(_) => {
                rejected += 1;
                continue;
            }
        };
        let compiled: Vec<_> = engines()
            .iter()
            .map(|e| {
                e.compile(&instrumented)
                    .unwrap_or_else(|err| panic!("{what}: {err}"))
            })
            .collect();
        let instantiated: Vec<_> = compiled
            .iter()
            .map(|c| c.instantiate(Box::new(MemoryHost::default())))
            .collect();
        if instantiated.iter().any(Result::is_err) {
            let kinds: Vec<_> = instantiated
                .iter()
                .map(|r| r.as_ref().err().map(|(k, _)| k.clone()))
                .collect();
            assert!(
                kinds.windows(2).all(|w| w[0] == w[1]),
                "{what}: instantiation differs: {kinds:?}"
            );
            continue;
        }
        let mut instances: Vec<_> = instantiated.into_iter().map(|r| r.ok().unwrap()).collect();
        deployed += 1;
        for (export, args) in callable_exports(&wasm) {
            let full = invoke_all(&mut instances, &export, &args, GAS, &what);
            invocations += 1;
            let used = full.outcome.gas_used;
            for limit in used.saturating_sub(1000)..=used {
                invoke_all(&mut instances, &export, &args, limit, &what);
                invocations += 1;
            }
        }
    }
    println!(
        "generated slice {slice}: {deployed} deployed, {rejected} rejected at deploy, {invocations} invocations compared"
    );
    assert!(
        deployed >= per_slice * 9 / 10,
        "too few generated modules deployed: {deployed}"
    );
    assert!(
        invocations >= per_slice * 200,
        "too few invocations: {invocations}"
    );
}
