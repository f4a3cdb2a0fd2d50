//! VM benchmarks: metering overhead, engines against native Rust, call latency, deploy-time
//! compile cost against module size, and nanoseconds per gas.
//!
//! Run with `cargo bench -p vnt-vm --bench vm`; figures go to docs/performance.md.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vnt_vm::engine;
use vnt_vm::testing::MemoryHost;
use vnt_vm::{Status, Vm};

const ROUNDS: u32 = 100_000;

/// xorshift mixing over `ROUNDS` rounds; returns the state. Same as [`native_mix`].
fn mix_wat() -> String {
    format!(
        r#"(module
  (import "vnt_v1" "return_data" (func $return_data (param i32 i32)))
  (memory (export "memory") 1)
  (func $mix (export "mix") (result i64) (local $x i64) (local $i i32)
    (local.set $x (i64.const 88172645463325252))
    (loop $again
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
      (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const {ROUNDS}))))
    (local.get $x))
  (func (export "call")
    (i64.store (i32.const 0) (call $mix))
    (call $return_data (i32.const 0) (i32.const 8))))"#
    )
}

fn native_mix() -> u64 {
    let mut x: u64 = 88172645463325252;
    for _ in 0..ROUNDS {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// 256-bit schoolbook multiplication of two 4-limb numbers (32-bit limbs in i64), repeated.
fn bigmul_wat() -> String {
    format!(
        r#"(module
  (import "vnt_v1" "return_data" (func $return_data (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "call") (local $round i32) (local $i i32) (local $j i32) (local $carry i64) (local $t i64)
    ;; a at 0 (4 limbs), b at 32, product at 64 (8 limbs), each limb in an i64 slot
    (i64.store (i32.const 0) (i64.const 0xfffffffb)) (i64.store (i32.const 8) (i64.const 0x12345678))
    (i64.store (i32.const 16) (i64.const 0x9abcdef0)) (i64.store (i32.const 24) (i64.const 0x0fedcba9))
    (i64.store (i32.const 32) (i64.const 0x87654321)) (i64.store (i32.const 40) (i64.const 0xdeadbeef))
    (i64.store (i32.const 48) (i64.const 0x01234567)) (i64.store (i32.const 56) (i64.const 0x89abcdef))
    (loop $rounds
      (memory.fill (i32.const 64) (i32.const 0) (i32.const 64))
      (local.set $i (i32.const 0))
      (loop $outer
        (local.set $carry (i64.const 0))
        (local.set $j (i32.const 0))
        (loop $inner
          (local.set $t (i64.add (i64.add
            (i64.mul (i64.load (i32.shl (local.get $i) (i32.const 3)))
                     (i64.load (i32.add (i32.const 32) (i32.shl (local.get $j) (i32.const 3)))))
            (i64.load (i32.add (i32.const 64) (i32.shl (i32.add (local.get $i) (local.get $j)) (i32.const 3)))))
            (local.get $carry)))
          (i64.store (i32.add (i32.const 64) (i32.shl (i32.add (local.get $i) (local.get $j)) (i32.const 3)))
            (i64.and (local.get $t) (i64.const 0xffffffff)))
          (local.set $carry (i64.shr_u (local.get $t) (i64.const 32)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $inner (i32.lt_u (local.get $j) (i32.const 4))))
        (i64.store (i32.add (i32.const 64) (i32.shl (i32.add (local.get $i) (i32.const 4)) (i32.const 3))) (local.get $carry))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $outer (i32.lt_u (local.get $i) (i32.const 4))))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (br_if $rounds (i32.lt_u (local.get $round) (i32.const {rounds}))))
    (call $return_data (i32.const 64) (i32.const 64))))"#,
        rounds = ROUNDS / 10
    )
}

fn native_bigmul() -> [u64; 8] {
    // black_box keeps the compiler from folding the whole computation into a constant.
    let a = black_box([0xfffffffbu64, 0x12345678, 0x9abcdef0, 0x0fedcba9]);
    let b = black_box([0x87654321u64, 0xdeadbeef, 0x01234567, 0x89abcdef]);
    let mut product = [0u64; 8];
    for _ in 0..ROUNDS / 10 {
        product = black_box([0; 8]);
        for i in 0..4 {
            let mut carry = 0u64;
            for j in 0..4 {
                let t = a[i] * b[j] + product[i + j] + carry;
                product[i + j] = t & 0xffff_ffff;
                carry = t >> 32;
            }
            product[i + 4] = carry;
        }
        black_box(&product);
    }
    product
}

fn kernels(c: &mut Criterion) {
    let vm = Vm::default();
    let engines = engine::all();
    for (name, wat, native) in [
        ("mix", mix_wat(), (|| native_mix() as u128) as fn() -> u128),
        ("bigmul", bigmul_wat(), || native_bigmul()[7] as u128),
    ] {
        let mut group = c.benchmark_group(format!("kernel_{name}"));
        group.sample_size(20);
        let wasm = wat::parse_str(&wat).unwrap();
        let instrumented = vm.prepare(&wasm).unwrap();
        for engine in &engines {
            let compiled = engine.compile(&instrumented).unwrap();
            let (outcome, _) = engine::call(
                compiled.as_ref(),
                Box::new(MemoryHost::default()),
                "call",
                u64::MAX / 2,
            );
            assert!(
                matches!(outcome.status, Status::Returned(_)),
                "{name}: {:?}",
                outcome.status
            );
            println!("{name} on {}: {} gas", engine.name(), outcome.gas_used);
            group.bench_function(BenchmarkId::new("metered", engine.name()), |b| {
                b.iter(|| {
                    engine::call(
                        compiled.as_ref(),
                        Box::new(MemoryHost::default()),
                        "call",
                        u64::MAX / 2,
                    )
                })
            });
        }
        // The same module without instrumentation on plain wasmtime: with Winch, as the VM
        // runs it, the metering overhead; with Cranelift, what the baseline compiler costs.
        for (compiler, strategy) in [
            ("wasmtime-winch", wasmtime::Strategy::Winch),
            ("wasmtime-cranelift", wasmtime::Strategy::Cranelift),
        ] {
            let mut config = wasmtime::Config::new();
            config.strategy(strategy);
            let plain_engine = wasmtime::Engine::new(&config).unwrap();
            let plain = wasmtime::Module::new(&plain_engine, &wasm).unwrap();
            let mut linker = wasmtime::Linker::new(&plain_engine);
            linker
                .func_wrap("vnt_v1", "return_data", |_: i32, _: i32| {})
                .unwrap();
            group.bench_function(BenchmarkId::new("unmetered", compiler), |b| {
                b.iter(|| {
                    let mut store = wasmtime::Store::new(&plain_engine, ());
                    let instance = linker.instantiate(&mut store, &plain).unwrap();
                    let call = instance
                        .get_typed_func::<(), ()>(&mut store, "call")
                        .unwrap();
                    call.call(&mut store, ()).unwrap();
                })
            });
        }
        group.bench_function(BenchmarkId::new("native", "rust"), |b| {
            b.iter(|| black_box(native()))
        });
        group.finish();
    }
}

fn call_latency(c: &mut Criterion) {
    let vm = Vm::default();
    let counter = wat::parse_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/counter.wat"
    ))
    .unwrap();
    let instrumented = vm.prepare(&counter).unwrap();
    let mut group = c.benchmark_group("instantiate_and_call_counter");
    for engine in engine::all() {
        let compiled = engine.compile(&instrumented).unwrap();
        group.bench_function(engine.name(), |b| {
            b.iter(|| {
                engine::call(
                    compiled.as_ref(),
                    Box::new(MemoryHost::default()),
                    "call",
                    1_000_000,
                )
            })
        });
    }
    group.finish();
}

/// A module of `functions` copies of a 60-instruction function.
fn module_of(functions: u32) -> Vec<u8> {
    let mut text = String::from("(module (memory (export \"memory\") 1)");
    for f in 0..functions {
        text.push_str(&format!("(func $f{f} (param i64) (result i64) (local i64)"));
        for k in 0..20 {
            text.push_str(&format!(
                "(local.set 1 (i64.add (local.get 0) (i64.const {k}))) (local.set 0 (i64.mul (local.get 1) (i64.const 3)))"
            ));
        }
        text.push_str("(local.get 0))");
    }
    text.push_str("(func (export \"call\")))");
    wat::parse_str(&text).unwrap()
}

fn deploy_cost(c: &mut Criterion) {
    let vm = Vm::default();
    let engines = engine::all();
    let mut group = c.benchmark_group("deploy_compile");
    group.sample_size(10);
    for functions in [50u32, 200, 800] {
        let wasm = module_of(functions);
        group.throughput(Throughput::Bytes(wasm.len() as u64));
        group.bench_with_input(BenchmarkId::new("prepare", wasm.len()), &wasm, |b, wasm| {
            b.iter(|| vm.prepare(wasm).unwrap())
        });
        let instrumented = vm.prepare(&wasm).unwrap();
        for engine in &engines {
            group.bench_with_input(
                BenchmarkId::new(engine.name(), wasm.len()),
                &instrumented,
                |b, code| b.iter(|| engine.compile(code).unwrap()),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, kernels, call_latency, deploy_cost);
criterion_main!(benches);
