//! The hostile corpus: every module ends in a deterministic outcome, the same on both
//! engines, with gas used within the limit.

use crate::support::{call_agreeing, compile_all, corpus, sweep_gas};
use vnt_vm::testing::MemoryHost;
use vnt_vm::{Status, TrapKind};

const LIMIT: u64 = 10_000_000;

fn trapped(name: &str, limit: u64) -> (TrapKind, u64) {
    let compiled = compile_all(&corpus(name));
    let (outcome, _) = call_agreeing(&compiled, &MemoryHost::default(), limit);
    match outcome.status {
        Status::Trapped(kind) => (kind, outcome.gas_used),
        other => panic!("{name}: expected a trap, got {other:?}"),
    }
}

#[test]
fn an_infinite_loop_runs_out_of_gas_using_exactly_the_limit() {
    assert_eq!(
        trapped("infinite_loop.wat", LIMIT),
        (TrapKind::OutOfGas, LIMIT)
    );
}

#[test]
fn unbounded_recursion_hits_the_stack_limit_not_the_native_stack() {
    let (kind, used) = trapped("deep_recursion.wat", LIMIT);
    assert_eq!(kind, TrapKind::StackOverflow);
    assert!(used < LIMIT);
}

#[test]
fn memory_grows_to_the_cap_and_no_further() {
    let compiled = compile_all(&corpus("memory_grow.wat"));
    let (outcome, _) = call_agreeing(&compiled, &MemoryHost::default(), LIMIT);
    let Status::Returned(data) = outcome.status else {
        panic!("expected a return, got {:?}", outcome.status);
    };
    assert_eq!(
        u32::from_le_bytes(data.try_into().unwrap()),
        256,
        "pages at the cap"
    );
}

#[test]
fn a_huge_memory_grow_is_charged_before_it_runs() {
    assert_eq!(trapped("grow_huge.wat", LIMIT), (TrapKind::OutOfGas, LIMIT));
}

#[test]
fn call_indirect_with_the_wrong_signature_traps() {
    assert_eq!(
        trapped("indirect_mismatch.wat", LIMIT).0,
        TrapKind::BadSignature
    );
}

#[test]
fn a_flood_of_logs_runs_out_of_gas_with_the_same_logs_on_both_engines() {
    let compiled = compile_all(&corpus("log_flood.wat"));
    let (outcome, host) = call_agreeing(&compiled, &MemoryHost::default(), 1_000_000);
    assert_eq!(outcome.status, Status::Trapped(TrapKind::OutOfGas));
    assert!(!host.logs.is_empty());
    assert!(
        host.logs
            .iter()
            .all(|(_, topics, data)| topics.len() == 4 && data.len() == 1024)
    );
}

#[test]
fn host_calls_with_bad_arguments_end_deterministically() {
    assert_eq!(
        trapped("too_many_topics.wat", LIMIT).0,
        TrapKind::TooManyTopics
    );
    assert_eq!(
        trapped("oversized_return.wat", LIMIT),
        (TrapKind::OutOfGas, LIMIT)
    );
    assert_eq!(
        trapped("pointer_out_of_bounds.wat", LIMIT).0,
        TrapKind::HostOutOfBounds
    );
    assert_eq!(
        trapped("load_out_of_bounds.wat", LIMIT).0,
        TrapKind::MemoryOutOfBounds
    );
    assert_eq!(
        trapped("divide_by_zero.wat", LIMIT).0,
        TrapKind::DivisionByZero
    );
}

#[test]
fn out_of_gas_strikes_at_the_same_point_on_both_engines() {
    for name in ["counter.wat", "sum_loop.wat", "memory_grow.wat", "echo.wat"] {
        let compiled = compile_all(&corpus(name));
        let host = MemoryHost::with_input(b"hello".to_vec());
        let (outcome, _) = call_agreeing(&compiled, &host, LIMIT);
        assert!(
            matches!(outcome.status, Status::Returned(_)),
            "{name}: {:?}",
            outcome.status
        );
        sweep_gas(&compiled, &host, outcome.gas_used);
    }
}
