//! A relay as a VNT WebAssembly contract: it forwards calls to any contract, Solidity or
//! WebAssembly alike, and is the Rust half of the cross-VM examples.
//!
//! - `forward(address target, bytes data) returns (bytes)` counts the forward, logs
//!   `Forwarded(address indexed target, bytes4 selector)`, calls `target` with `data` and
//!   all the gas it may pass on, and returns the answer. A callee's revert is passed on
//!   unchanged, so the count and the log go with it.
//! - `forwarded() returns (uint256)` is the number of forwards that stayed.

#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use vnt_sdk::call::{ALL_GAS, call as call_contract};
use vnt_sdk::{Address, U256, Value, event, msg, return_value, revert};

const FORWARDED: Value<U256> = Value::new(0);

const FORWARDED_EVENT: [u8; 32] = event::signature("Forwarded(address,bytes4)");

mod selectors {
    use vnt_sdk::selector;

    pub const FORWARD: [u8; 4] = selector("forward(address,bytes)");
    pub const FORWARDED: [u8; 4] = selector("forwarded()");
}

#[unsafe(no_mangle)]
pub extern "C" fn call() {
    let input = msg::input();
    match input.selector() {
        selectors::FORWARD => {
            let (target, data): (Address, Vec<u8>) = input.args();
            FORWARDED.set(FORWARDED.get() + U256::from(1u64));
            let mut selector = [0u8; 32];
            let len = data.len().min(4);
            selector[..len].copy_from_slice(&data[..len]);
            event::emit(&[FORWARDED_EVENT, target.to_word()], &selector);
            match call_contract(&target, msg::value(), &data, ALL_GAS) {
                Ok(answer) => return_value(&answer),
                Err(error) => error.propagate(),
            }
        }
        selectors::FORWARDED => return_value(&FORWARDED.get()),
        _ => revert("unknown selector"),
    }
}
