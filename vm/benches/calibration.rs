//! Cost-table calibration: nanoseconds per gas for each instruction class and each
//! compute-bound host function, on both engines.
//!
//! Every case is a loop dominated by one class or one host function. Criterion's throughput
//! is gas per second, so `1e9 / throughput` is the case's ns/gas; a well-calibrated table
//! puts every case in a narrow band. Storage, logs, balance, calls and creation are priced
//! for the chain's persistent state, not for the in-memory test host, so they are measured
//! against the ledger instead (see docs/performance.md).
//!
//! Run with `cargo bench -p vnt-vm --bench calibration`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;
use vnt_vm::engine::{self, Compiled};
use vnt_vm::testing::MemoryHost;
use vnt_vm::{Status, Vm};

/// Host imports every case may use.
const IMPORTS: &str = r#"
  (import "vnt_v1" "input_size" (func $input_size (result i32)))
  (import "vnt_v1" "input_copy" (func $input_copy (param i32 i32 i32)))
  (import "vnt_v1" "caller" (func $caller (param i32)))
  (import "vnt_v1" "gas_left" (func $gas_left (result i64)))
  (import "vnt_v1" "keccak256" (func $keccak256 (param i32 i32 i32)))
  (import "vnt_v1" "sha256" (func $sha256 (param i32 i32 i32)))
  (import "vnt_v1" "blake2b_256" (func $blake2b_256 (param i32 i32 i32)))
  (import "vnt_v1" "ecrecover" (func $ecrecover (param i32 i32 i32) (result i32)))
  (import "vnt_v1" "ed25519_verify" (func $ed25519_verify (param i32 i32 i32 i32) (result i32)))
"#;

/// A module whose `call` runs `body` (`copies` times in a row) `iterations` times.
fn looped(body: &str, copies: usize, iterations: u32) -> String {
    let unrolled = body.repeat(copies);
    format!(
        r#"(module {IMPORTS}
  (type $t (func))
  (memory (export "memory") 4)
  (table 1 funcref)
  (elem (i32.const 0) $nop)
  (global $g (mut i64) (i64.const 1))
  (func $nop)
  (func (export "call") (local $i i32) (local $x i64) (local $y i64)
    (local.set $x (i64.const 0x7fff_ffff_ffff))
    (local.set $y (i64.const 3))
    (call $input_copy (i32.const 1024) (i32.const 0) (call $input_size))
    (loop $again
      {unrolled}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const {iterations}))))
    (drop (local.get $x))))"#
    )
}

/// (name, module, input) for every case.
fn cases() -> Vec<(&'static str, String, Vec<u8>)> {
    let add = "(local.set $x (i64.add (local.get $x) (i64.const 3)))\n";
    let xor = "(local.set $x (i64.xor (local.get $x) (local.get $y)))\n";
    let mul = "(local.set $x (i64.mul (local.get $x) (local.get $y)))\n";
    let div = "(local.set $x (i64.div_u (local.get $x) (local.get $y)))\n";
    let mem =
        "(i64.store (i32.const 64) (local.get $x)) (local.set $x (i64.load (i32.const 72)))\n";
    let global = "(global.set $g (i64.add (global.get $g) (local.get $y)))\n";
    let branch = "(block (br_if 0 (i32.eqz (local.get $i))) (nop))\n";
    let call = "(call $nop)\n";
    let indirect = "(call_indirect (type $t) (i32.const 0))\n";
    let fill = "(memory.fill (i32.const 4096) (local.get $i) (i32.const 65536))\n";
    let copy = "(memory.copy (i32.const 4096) (i32.const 70000) (i32.const 65536))\n";
    let grow = "(drop (memory.grow (i32.const 1)))\n";
    let host = |call: &str| format!("{call}\n");
    let hash = |name: &str, len: u32| {
        host(&format!(
            "(call ${name} (i32.const 1024) (i32.const {len}) (i32.const 0))"
        ))
    };
    let big = vec![7u8; 16 * 1024];
    vec![
        ("add", looped(add, 50, 2_000), vec![]),
        ("xor", looped(xor, 50, 2_000), vec![]),
        ("mul", looped(mul, 50, 2_000), vec![]),
        ("div", looped(div, 50, 2_000), vec![]),
        ("load+store", looped(mem, 50, 2_000), vec![]),
        ("global", looped(global, 50, 2_000), vec![]),
        ("branch", looped(branch, 50, 2_000), vec![]),
        ("call", looped(call, 50, 2_000), vec![]),
        ("call_indirect", looped(indirect, 50, 2_000), vec![]),
        ("memory.fill 64K", looped(fill, 1, 200), vec![]),
        ("memory.copy 64K", looped(copy, 1, 200), vec![]),
        ("memory.grow", looped(grow, 1, 250), vec![]),
        (
            "caller",
            looped(&host("(call $caller (i32.const 0))"), 10, 1_000),
            vec![],
        ),
        (
            "gas_left",
            looped(&host("(drop (call $gas_left))"), 10, 1_000),
            vec![],
        ),
        (
            "input_copy 32",
            looped(
                &host("(call $input_copy (i32.const 0) (i32.const 0) (i32.const 32))"),
                10,
                1_000,
            ),
            vec![1; 32],
        ),
        (
            "input_copy 16K",
            looped(
                &host("(call $input_copy (i32.const 1024) (i32.const 0) (i32.const 16384))"),
                1,
                1_000,
            ),
            big.clone(),
        ),
        (
            "keccak256 32",
            looped(&hash("keccak256", 32), 10, 1_000),
            vec![1; 32],
        ),
        (
            "keccak256 16K",
            looped(&hash("keccak256", 16_384), 1, 100),
            big.clone(),
        ),
        (
            "sha256 32",
            looped(&hash("sha256", 32), 10, 1_000),
            vec![1; 32],
        ),
        (
            "sha256 16K",
            looped(&hash("sha256", 16_384), 1, 100),
            big.clone(),
        ),
        (
            "blake2b_256 32",
            looped(&hash("blake2b_256", 32), 10, 1_000),
            vec![1; 32],
        ),
        (
            "blake2b_256 16K",
            looped(&hash("blake2b_256", 16_384), 1, 100),
            big,
        ),
        (
            "ecrecover",
            looped(
                &host("(drop (call $ecrecover (i32.const 1024) (i32.const 1056) (i32.const 0)))"),
                1,
                50,
            ),
            ecrecover_input(),
        ),
        (
            "ed25519_verify",
            looped(
                &host(
                    "(drop (call $ed25519_verify (i32.const 1024) (i32.const 32) (i32.const 1056) (i32.const 1120)))",
                ),
                1,
                50,
            ),
            ed25519_input(),
        ),
    ]
}

/// hash (32) ‖ signature (65) for ecrecover.
fn ecrecover_input() -> Vec<u8> {
    use k256::ecdsa::SigningKey;
    let key = SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
    let hash = vnt_vm::crypto::keccak256(b"calibration");
    let (signature, recovery) = key.sign_prehash_recoverable(&hash).unwrap();
    let mut input = hash.to_vec();
    input.extend_from_slice(&signature.to_bytes());
    input.push(recovery.to_byte() + 27);
    input
}

/// message (32) ‖ signature (64) ‖ key (32) for ed25519_verify.
fn ed25519_input() -> Vec<u8> {
    use ed25519_dalek::{Signer, SigningKey};
    let key = SigningKey::from_bytes(&[9u8; 32]);
    let message = [3u8; 32];
    let mut input = message.to_vec();
    input.extend_from_slice(&key.sign(&message).to_bytes());
    input.extend_from_slice(key.verifying_key().as_bytes());
    input
}

fn run(compiled: &dyn Compiled, input: &[u8]) -> u64 {
    let host = Box::new(MemoryHost::with_input(input.to_vec()));
    let (outcome, _) = engine::call(compiled, host, "call", 10_000_000_000);
    assert_eq!(outcome.status, Status::Returned(Vec::new()), "{outcome:?}");
    outcome.gas_used
}

fn calibration(c: &mut Criterion) {
    let vm = Vm::default();
    let engines = engine::all();
    let mut group = c.benchmark_group("ns per gas");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for (name, wat, input) in cases() {
        let wasm = wat::parse_str(&wat).unwrap_or_else(|e| panic!("{name}: {e}"));
        let instrumented = vm.prepare(&wasm).unwrap_or_else(|e| panic!("{name}: {e}"));
        for engine in &engines {
            let compiled = engine.compile(&instrumented).unwrap();
            let gas = run(compiled.as_ref(), &input);
            group.throughput(Throughput::Elements(gas));
            group.bench_with_input(BenchmarkId::new(name, engine.name()), &input, |b, input| {
                b.iter(|| run(compiled.as_ref(), input))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, calibration);
criterion_main!(benches);
