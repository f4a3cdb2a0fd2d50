//! Calls between contracts on both engines: call, static call, delegate call, creation,
//! value transfer, gas forwarding, rollback of failed callees and the depth limit.

use crate::support::{corpus, run_agreeing, sweep_run};
use vnt_vm::host::CALL_DEPTH_LIMIT;
use vnt_vm::testing::MemoryHost;
use vnt_vm::{EXECUTION_STACK_BYTES, Outcome, Status, TrapKind};

const PROXY: [u8; 20] = [0x10; 20];
const VAULT: [u8; 20] = [0x20; 20];
const USER: [u8; 20] = [0x30; 20];
const LIMIT: u64 = 50_000_000;

const CALL: u8 = 0;
const STATIC: u8 = 1;
const DELEGATE: u8 = 2;
const CREATE: u8 = 3;

/// A world with the proxy and the vault deployed, the proxy funded, and the proxy about to
/// be called by `USER` with `value` and the proxy input for `mode`.
fn world(mode: u8, value: u128, gas: u64, payload: &[u8]) -> MemoryHost {
    let mut host = MemoryHost::default();
    host.install(PROXY, corpus("proxy.wat"));
    host.install(VAULT, corpus("vault.wat"));
    let proxy = host.accounts.get_mut(&PROXY).unwrap();
    proxy.balance = 1_000;
    // The proxy's status slot exists already, so recording a status is an ordinary write
    // (not a new slot) and fits in the 1/64 of gas a caller keeps.
    proxy.storage.insert(status_key(), word(0x99));
    host.context.caller = USER;
    host.context.origin = USER;
    host.context.address = PROXY;
    host.context.value = word(5);
    let mut input = VAULT.to_vec();
    input.push(mode);
    input.extend_from_slice(&word(value));
    input.extend_from_slice(&gas.to_le_bytes());
    input.extend_from_slice(payload);
    host.input = input;
    host
}

fn word(value: u128) -> [u8; 32] {
    let mut word = [0; 32];
    word[16..].copy_from_slice(&value.to_be_bytes());
    word
}

fn padded(byte: u8) -> [u8; 32] {
    let mut value = [0; 32];
    value[0] = byte;
    value
}

fn returned(outcome: &Outcome) -> &[u8] {
    match &outcome.status {
        Status::Returned(data) => data,
        other => panic!("expected a return, got {other:?}"),
    }
}

/// Runs on both engines, then again at every gas limit in `[used - 1000, used]`.
fn run_and_sweep(host: &MemoryHost) -> (Outcome, MemoryHost) {
    run_and_sweep_at(host, LIMIT)
}

fn run_and_sweep_at(host: &MemoryHost, limit: u64) -> (Outcome, MemoryHost) {
    let (outcome, after) = run_agreeing(host, limit);
    sweep_run(host, outcome.gas_used);
    (outcome, after)
}

fn status_key() -> [u8; 32] {
    let mut key = [0; 32];
    key[31] = 0xaa;
    key
}

fn status_slot(host: &MemoryHost, address: [u8; 20]) -> Option<[u8; 32]> {
    host.accounts[&address].storage.get(&status_key()).copied()
}

#[test]
fn a_call_runs_the_callee_on_its_own_storage_and_moves_value() {
    let (outcome, after) = run_and_sweep(&world(CALL, 300, 0, &padded(7)));
    let data = returned(&outcome);
    assert_eq!(data[0], 0, "status success");
    assert_eq!(data[1..33], word(300), "the callee saw the value");
    assert_eq!(after.accounts[&VAULT].storage[&[0; 32]], padded(7));
    assert_eq!(after.accounts[&VAULT].balance, 300);
    assert_eq!(after.accounts[&PROXY].balance, 700);
    assert_eq!(after.logs, vec![(VAULT, vec![], padded(7).to_vec())]);
}

#[test]
fn a_callee_that_reverts_leaves_no_trace_and_returns_its_reason() {
    let (outcome, after) = run_and_sweep(&world(CALL, 300, 0, &padded(0xff)));
    let data = returned(&outcome);
    assert_eq!(data, b"\x01refused");
    assert!(!after.accounts[&VAULT].storage.contains_key(&[0; 32]));
    assert_eq!(after.accounts[&VAULT].balance, 0, "value went back");
    assert!(after.logs.is_empty());
    assert_eq!(status_slot(&after, PROXY), Some(word(1)), "caller went on");
}

#[test]
fn a_callee_that_traps_fails_and_uses_the_gas_it_was_given() {
    // Enough for the successful callee's first write to a new slot.
    let given = 10_000_000;
    let (trapped, after) = run_and_sweep(&world(CALL, 0, given, &padded(0xfe)));
    assert_eq!(returned(&trapped), [2]);
    assert!(!after.accounts[&VAULT].storage.contains_key(&[0; 32]));
    let (ok, _) = run_agreeing(&world(CALL, 0, given, &padded(7)), LIMIT);
    assert!(
        trapped.gas_used > ok.gas_used + given / 2,
        "a trap used {} against {} for a successful call",
        trapped.gas_used,
        ok.gas_used
    );
}

#[test]
fn a_runaway_callee_gets_at_most_63_64ths_of_the_gas_left() {
    // The vault loops until out of gas; the proxy still has enough to finish and record.
    // What the proxy keeps, 1/64 of the limit, must pay for its status write.
    let limit = 30_000_000;
    let (outcome, after) = run_and_sweep_at(&world(CALL, 0, 0, &padded(0xfd)), limit);
    assert_eq!(returned(&outcome), [2]);
    assert_eq!(status_slot(&after, PROXY), Some(word(2)));
    assert!(outcome.gas_used > limit / 64 * 60);
}

#[test]
fn a_static_call_reads_but_cannot_write() {
    let (outcome, after) = run_and_sweep(&world(STATIC, 0, 0, &padded(7)));
    assert_eq!(returned(&outcome), [2], "the vault's write failed the call");
    assert!(!after.accounts[&VAULT].storage.contains_key(&[0; 32]));
    // Sending value is a state change too.
    let (outcome, _) = run_agreeing(&world(CALL, 1, 0, &[]), LIMIT);
    assert_eq!(returned(&outcome)[0], 0, "an ordinary call may send value");
}

#[test]
fn a_delegate_call_runs_the_callee_code_as_the_caller() {
    let (outcome, after) = run_and_sweep(&world(DELEGATE, 0, 0, &padded(9)));
    let data = returned(&outcome);
    assert_eq!(data[0], 0);
    assert_eq!(data[1..33], word(5), "the caller's call value");
    assert_eq!(after.accounts[&PROXY].storage[&[0; 32]], padded(9));
    assert!(after.accounts[&VAULT].storage.is_empty());
    assert_eq!(after.logs[0].0, PROXY);
}

#[test]
fn create_deploys_a_module_that_can_then_be_called() {
    let vault = corpus("vault.wat");
    let (outcome, after) = run_and_sweep(&world(CREATE, 50, 0, &vault));
    let data = returned(&outcome);
    assert_eq!(data[0], 0);
    let created: [u8; 20] = data[1..21].try_into().unwrap();
    assert_eq!(after.accounts[&created].code.as_deref(), Some(&vault));
    assert_eq!(after.accounts[&created].balance, 50);
    assert_eq!(after.accounts[&PROXY].nonce, 1);

    let mut call = world(CALL, 0, 0, &padded(3));
    call.accounts = after.accounts.clone();
    call.input[..20].copy_from_slice(&created);
    let (_, after) = run_agreeing(&call, LIMIT);
    assert_eq!(after.accounts[&created].storage[&[0; 32]], padded(3));
}

#[test]
fn create_rejects_an_undeployable_module_and_charges_for_it() {
    let float = wat::parse_str("(module (func (export \"call\") (drop (f32.const 1))))").unwrap();
    let (outcome, after) = run_and_sweep(&world(CREATE, 50, 0, &float));
    assert_eq!(returned(&outcome)[0], 2);
    assert_eq!(after.accounts.len(), 2, "no account was created");
    assert_eq!(after.accounts[&PROXY].balance, 1_000);
    assert_eq!(after.accounts[&PROXY].nonce, 1, "the attempt used a nonce");
}

fn reenter(trap_on_failure: bool, descend: u8) -> MemoryHost {
    let mut host = MemoryHost::with_input(vec![trap_on_failure as u8, descend]);
    host.install(PROXY, corpus("reenter.wat"));
    host.context.address = PROXY;
    host
}

#[test]
fn reentrancy_stops_at_the_depth_limit() {
    let (outcome, after) = run_agreeing(&reenter(false, 0), LIMIT);
    let depth = u32::from_le_bytes(returned(&outcome).try_into().unwrap());
    assert_eq!(depth, CALL_DEPTH_LIMIT, "nested calls that ran");
    let counter = after.accounts[&PROXY].storage[&[0; 32]];
    assert_eq!(counter[31] as u32, CALL_DEPTH_LIMIT + 1, "frames that ran");
    sweep_run(&reenter(false, 0), outcome.gas_used);
}

#[test]
fn reentrancy_past_the_depth_limit_fails_deterministically_and_rolls_back() {
    let (outcome, after) = run_agreeing(&reenter(true, 0), LIMIT);
    assert_eq!(outcome.status, Status::Trapped(TrapKind::Unreachable));
    assert!(outcome.gas_used <= LIMIT);
    assert!(
        after.accounts[&PROXY].storage.is_empty(),
        "every frame undone"
    );
}

#[test]
fn the_deepest_calls_with_deep_stacks_fit_the_execution_stack() {
    // Every level first descends 16 × 50 frames of its own stack, then calls itself.
    let worker = std::thread::Builder::new()
        .stack_size(EXECUTION_STACK_BYTES)
        .spawn(|| run_agreeing(&reenter(false, 50), LIMIT).0)
        .unwrap();
    let outcome = worker.join().expect("no native stack overflow");
    let depth = u32::from_le_bytes(returned(&outcome).try_into().unwrap());
    assert_eq!(depth, CALL_DEPTH_LIMIT);
}
