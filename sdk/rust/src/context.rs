//! What a contract knows about the call it is running and the world around it, grouped the
//! way Solidity groups it: [`msg`] (the message: input, caller, value; `tx.origin` and
//! `gasleft()` too), [`block`] and [`contract`] (this contract: `address(this)`, its balance).
//! An account's balance is [`Address::balance`](crate::Address::balance).

use crate::sys;
use crate::{Address, U256};

/// Calls a context host function that writes a 20-byte address.
macro_rules! read_address {
    ($host:path) => {{
        let mut out = [0u8; 20];
        // SAFETY: the context host functions write exactly 20 bytes.
        unsafe { $host(out.as_mut_ptr()) };
        Address(out)
    }};
}

/// The message being executed.
pub mod msg {
    use super::*;
    use crate::abi::Calldata;

    /// The call's input (for `deploy`, the constructor arguments).
    pub fn input() -> Calldata {
        // SAFETY: no arguments; the host returns the length of the input.
        let len = unsafe { sys::input_size() };
        let mut bytes = alloc::vec![0u8; len as usize];
        // SAFETY: `bytes` has room for the `len` bytes copied.
        unsafe { sys::input_copy(bytes.as_mut_ptr(), 0, len) };
        Calldata::new(bytes)
    }

    /// The account that called this contract (`msg.sender`).
    pub fn caller() -> Address {
        read_address!(sys::caller)
    }

    /// The externally owned account that signed the transaction (`tx.origin`).
    pub fn origin() -> Address {
        read_address!(sys::origin)
    }

    /// Value sent with the call (`msg.value`).
    pub fn value() -> U256 {
        let mut out = [0u8; 32];
        // SAFETY: the host writes 32 bytes.
        unsafe { sys::call_value(out.as_mut_ptr()) };
        U256::from_be_bytes(out)
    }

    /// Gas left in this call (`gasleft()`), in VM gas.
    pub fn gas_left() -> u64 {
        // SAFETY: no arguments.
        unsafe { sys::gas_left() }
    }
}

/// The block the call runs in.
pub mod block {
    use super::sys;

    pub fn number() -> u64 {
        // SAFETY: no arguments.
        unsafe { sys::block_number() }
    }

    /// Seconds since the Unix epoch.
    pub fn timestamp() -> u64 {
        // SAFETY: no arguments.
        unsafe { sys::timestamp() }
    }

    pub fn chain_id() -> u64 {
        // SAFETY: no arguments.
        unsafe { sys::chain_id() }
    }
}

/// The contract that is running.
pub mod contract {
    use super::*;

    /// This contract's address (`address(this)`); in a delegate call, the caller's.
    pub fn address() -> Address {
        read_address!(sys::address)
    }

    /// This contract's balance.
    pub fn balance() -> U256 {
        address().balance()
    }
}

impl Address {
    /// The account's balance.
    pub fn balance(&self) -> U256 {
        let mut out = [0u8; 32];
        // SAFETY: the host reads 20 bytes and writes 32.
        unsafe { sys::balance(self.0.as_ptr(), out.as_mut_ptr()) };
        U256::from_be_bytes(out)
    }
}
