//! A VNT contract in Rust: it keeps one number, which anyone can read with `get()` and
//! replace with `set(uint256)`, and it announces every change with a `ValueSet` event.
//!
//! Every message call runs `call`, which dispatches on the 4-byte selector of the Solidity
//! ABI, so wallets and Ethereum tools call the contract as they would a Solidity one. To give
//! it a constructor, export `deploy` the same way; it runs once at creation, with the
//! ABI-encoded constructor arguments as its input (`msg::input().constructor_args()`).

#![no_std]

use vnt_sdk::{U256, Value, event, msg, return_value, revert, selector};

/// The number, in slot 0 like a Solidity contract's first state variable.
const VALUE: Value<U256> = Value::new(0);

const GET: [u8; 4] = selector("get()");
const SET: [u8; 4] = selector("set(uint256)");

/// `ValueSet(address indexed by, uint256 value)`.
const VALUE_SET: [u8; 32] = event::signature("ValueSet(address,uint256)");

#[unsafe(no_mangle)]
pub extern "C" fn call() {
    if !msg::value().is_zero() {
        revert("value not accepted");
    }
    let input = msg::input();
    match input.selector() {
        GET => return_value(&VALUE.get()),
        SET => {
            let value: U256 = input.args();
            VALUE.set(value);
            event::emit(&[VALUE_SET, msg::caller().to_word()], &value.to_be_bytes());
            // Returning normally ends the call with no output, like a Solidity function
            // without a return value.
        }
        _ => revert("unknown selector"),
    }
}
