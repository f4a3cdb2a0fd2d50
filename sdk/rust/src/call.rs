//! Calling other contracts and creating new ones.
//!
//! A call forwards at most `gas`, and never more than all but one 64th of the gas left (the
//! VM's EIP-150 rule), so [`ALL_GAS`] means "as much as allowed". A callee that reverts
//! returns [`CallError::Reverted`] with its revert data and leaves no trace; one that traps,
//! hits the depth limit or is sent more value than this contract holds gives
//! [`CallError::Failed`]. The caller decides what to do — usually to revert too:
//!
//! ```ignore
//! let data = abi::encode_call(abi::selector("balanceOf(address)"), &owner);
//! let balance: U256 = match call::static_call(&token, &data, call::ALL_GAS) {
//!     Ok(output) => abi::decode(&output).unwrap_or_else(|| revert("bad token answer")),
//!     Err(e) => e.propagate(),
//! };
//! ```

use crate::{Address, U256, sys};
use alloc::string::String;
use alloc::vec::Vec;

/// Forward as much gas as the VM allows.
pub const ALL_GAS: u64 = u64::MAX;

/// Why a call or a creation did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// The callee reverted with this data (often `Error(string)`).
    Reverted(Vec<u8>),
    /// The callee trapped, the depth limit was reached, the value exceeded this contract's
    /// balance, or the code did not deploy.
    Failed,
}

impl CallError {
    /// The reason of a `revert("reason")` in the callee, if that is how it ended.
    pub fn reason(&self) -> Option<String> {
        match self {
            CallError::Reverted(data) => crate::abi::decode_error(data),
            CallError::Failed => None,
        }
    }

    /// Ends this call the way the callee ended: a revert passes its data on unchanged; a
    /// failure reverts with "call failed".
    pub fn propagate(&self) -> ! {
        match self {
            CallError::Reverted(data) => crate::revert_data(data),
            CallError::Failed => crate::revert("call failed"),
        }
    }
}

/// The output of the last call or creation, per its status.
fn outcome(status: u32) -> Result<Vec<u8>, CallError> {
    match status {
        0 => Ok(last_result()),
        1 => Err(CallError::Reverted(last_result())),
        _ => Err(CallError::Failed),
    }
}

fn last_result() -> Vec<u8> {
    // SAFETY: no arguments.
    let len = unsafe { sys::result_size() };
    let mut bytes = alloc::vec![0u8; len as usize];
    // SAFETY: `bytes` has room for `len` bytes.
    unsafe { sys::result_copy(bytes.as_mut_ptr(), 0, len) };
    bytes
}

/// Calls `target` with `input`, sending `value`; returns what it returned.
pub fn call(target: &Address, value: U256, input: &[u8], gas: u64) -> Result<Vec<u8>, CallError> {
    let value = value.to_be_bytes();
    // SAFETY: the host reads 20 bytes of target, 32 of value and `input`.
    let status = unsafe {
        sys::call(
            target.0.as_ptr(),
            value.as_ptr(),
            input.as_ptr(),
            input.len() as u32,
            gas,
        )
    };
    outcome(status)
}

/// Calls `target` without letting it (or anything it calls) change state.
pub fn static_call(target: &Address, input: &[u8], gas: u64) -> Result<Vec<u8>, CallError> {
    // SAFETY: the host reads 20 bytes of target and `input`.
    let status =
        unsafe { sys::static_call(target.0.as_ptr(), input.as_ptr(), input.len() as u32, gas) };
    outcome(status)
}

/// Runs `target`'s code as this contract: on this contract's storage, with this call's
/// caller and value.
pub fn delegate_call(target: &Address, input: &[u8], gas: u64) -> Result<Vec<u8>, CallError> {
    // SAFETY: the host reads 20 bytes of target and `input`.
    let status =
        unsafe { sys::delegate_call(target.0.as_ptr(), input.as_ptr(), input.len() as u32, gas) };
    outcome(status)
}

/// Deploys `code` (a WebAssembly module) as a new contract funded with `value`; returns its
/// address.
pub fn create(code: &[u8], value: U256, gas: u64) -> Result<Address, CallError> {
    let value = value.to_be_bytes();
    let mut address = [0u8; 20];
    // SAFETY: the host reads `code` and 32 bytes of value, and writes 20 bytes on success.
    let status = unsafe {
        sys::create(
            code.as_ptr(),
            code.len() as u32,
            value.as_ptr(),
            gas,
            address.as_mut_ptr(),
        )
    };
    outcome(status).map(|_| Address(address))
}
