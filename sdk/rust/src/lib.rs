//! The Rust SDK for VNT Chain's WebAssembly contracts.
//!
//! A contract is a `#![no_std]` `cdylib` compiled to `wasm32-unknown-unknown` that exports
//! `call` (every message call) and optionally `deploy` (its constructor), both `fn()`. It
//! speaks the Solidity ABI, so wallets, Ethereum tools and EVM contracts call it unchanged:
//! it reads its input with [`msg::input`], dispatches on the 4-byte selector, keeps state in
//! Solidity-compatible [`storage`], emits [`event`]s, and ends with [`return_value`] or
//! [`revert`]. There is no macro to learn — a contract is ordinary Rust over this crate:
//!
//! ```ignore
//! const GET: [u8; 4] = abi::selector("get()");
//! const VALUE: Value<U256> = Value::new(0);
//!
//! #[unsafe(no_mangle)]
//! pub extern "C" fn call() {
//!     let input = msg::input();
//!     match input.selector() {
//!         GET => return_value(&VALUE.get()),
//!         _ => revert("unknown selector"),
//!     }
//! }
//! ```
//!
//! The host functions (module `vnt_v1`, `vm/src/host`) exist only on `wasm32`. On other
//! targets the pure parts — [`U256`], [`Address`], the [`abi`], [`keccak`], storage slot
//! derivation — compile and are unit-tested, and [`revert`] panics with its reason.
//!
//! Two default features make a contract need nothing else: `allocator` installs a bump
//! allocator as the global allocator (so `Vec` and `String` work) and `panic-handler` turns
//! every panic into `revert("panic")`. Turn them off to bring your own.

#![no_std]

extern crate alloc;

pub mod abi;
mod address;
pub mod crypto;
pub mod event;
pub mod keccak;
pub mod storage;
mod u256;

#[cfg(all(target_arch = "wasm32", feature = "allocator"))]
pub mod allocator;
#[cfg(target_arch = "wasm32")]
pub mod call;
#[cfg(target_arch = "wasm32")]
mod context;
#[cfg(target_arch = "wasm32")]
pub mod sys;

pub use abi::{Calldata, Decode, Encode, Word, selector};
pub use address::Address;
#[cfg(target_arch = "wasm32")]
pub use context::{block, contract, msg};
pub use storage::{Mapping, Slot, StorageBytes, StorageString, Value};
pub use u256::U256;

/// Ends the call with the ABI encoding of `value` as its output (a tuple for several
/// values): `return_value(&true)`, `return_value(&(amount, "note"))`.
#[cfg(target_arch = "wasm32")]
pub fn return_value<T: Encode + ?Sized>(value: &T) -> ! {
    if let Some(word) = value.as_word() {
        return_data(&word)
    }
    return_data(&abi::encode(value))
}

/// Ends the call with `data` as its output, as is.
#[cfg(target_arch = "wasm32")]
pub fn return_data(data: &[u8]) -> ! {
    // SAFETY: the host reads `data`, which is in bounds, and does not return.
    unsafe { sys::return_data(data.as_ptr(), data.len() as u32) }
}

/// Reverts: ends the call, undoing its effects, with `Error(reason)` as its revert data, as
/// Solidity's `revert("reason")` and `require(cond, "reason")` do.
pub fn revert(reason: &str) -> ! {
    #[cfg(target_arch = "wasm32")]
    {
        // Short reasons are encoded on the stack: a revert must not depend on the allocator,
        // since running out of memory panics and a panic reverts.
        const ROOM: usize = 4 + 64 + 128;
        if reason.len() <= 128 {
            let mut data = [0u8; ROOM];
            data[..4].copy_from_slice(&abi::ERROR_SELECTOR);
            data[35] = 0x20;
            data[36..68].copy_from_slice(&U256::from(reason.len()).to_be_bytes());
            data[68..68 + reason.len()].copy_from_slice(reason.as_bytes());
            revert_data(&data[..68 + reason.len().next_multiple_of(32)])
        }
        revert_data(&abi::encode_error(reason))
    }
    #[cfg(not(target_arch = "wasm32"))]
    panic!("{reason}")
}

/// Reverts with `data` as the revert data, as is (to pass on a callee's revert).
#[cfg(target_arch = "wasm32")]
pub fn revert_data(data: &[u8]) -> ! {
    // SAFETY: the host reads `data`, which is in bounds, and does not return.
    unsafe { sys::revert(data.as_ptr(), data.len() as u32) }
}

#[cfg(all(target_arch = "wasm32", feature = "allocator"))]
#[global_allocator]
static ALLOCATOR: allocator::BumpAllocator = allocator::BumpAllocator::new();

/// A panic is a broken invariant, an overflow or an out-of-bounds index: revert without
/// formatting its message, which would pull the formatting machinery into every contract.
#[cfg(all(target_arch = "wasm32", feature = "panic-handler"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    revert("panic")
}
