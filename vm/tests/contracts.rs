//! Small contracts behave as written, identically on both engines.

use crate::support::{call_agreeing, compile_all, corpus};
use vnt_vm::Status;
use vnt_vm::testing::MemoryHost;

#[test]
fn the_counter_reads_writes_logs_and_returns() {
    let compiled = compile_all(&corpus("counter.wat"));
    let mut host = MemoryHost::default();
    let mut gas_used = Vec::new();
    for expected in 1..=3u8 {
        let (outcome, after) = call_agreeing(&compiled, &host, 5_000_000);
        gas_used.push(outcome.gas_used);
        let mut value = [0u8; 32];
        value[31] = expected;
        assert_eq!(outcome.status, Status::Returned(value.to_vec()));
        assert_eq!(after.storage()[&[0u8; 32]], value);
        assert_eq!(
            after.logs.last().unwrap(),
            &([0; 20], vec![value], value.to_vec())
        );
        host = after;
    }
    // Only the first write creates the slot, and only it pays for the state it adds.
    let new_slot = vnt_vm::costs::host::STORAGE_NEW_SLOT.base;
    assert_eq!(gas_used[0] - gas_used[1], new_slot);
    assert_eq!(gas_used[1], gas_used[2]);
}

#[test]
fn echo_returns_its_input_or_reverts_with_it() {
    let compiled = compile_all(&corpus("echo.wat"));
    let (outcome, _) = call_agreeing(
        &compiled,
        &MemoryHost::with_input(b"ping".to_vec()),
        100_000,
    );
    assert_eq!(outcome.status, Status::Returned(b"ping".to_vec()));
    let (outcome, _) = call_agreeing(&compiled, &MemoryHost::with_input(vec![0xff, 1]), 100_000);
    assert_eq!(outcome.status, Status::Reverted(vec![0xff, 1]));
}

#[test]
fn gas_grows_with_the_work_done() {
    let compiled = compile_all(&corpus("sum_loop.wat"));
    let (outcome, _) = call_agreeing(&compiled, &MemoryHost::default(), 10_000_000);
    let Status::Returned(sum) = &outcome.status else {
        panic!("{:?}", outcome.status)
    };
    let expected: u64 = (0..500u64).map(|i| i * i + i / 3).sum();
    assert_eq!(u64::from_le_bytes(sum[..8].try_into().unwrap()), expected);
    // 500 iterations of about a dozen instructions, 1000 filled bytes.
    assert!(outcome.gas_used > 500 * 10 + 1000, "{}", outcome.gas_used);
}
