//! The raw host ABI, import module `vnt_v1` (see `docs/vm.md`): every function the VM
//! provides, with exactly the signature the deploy-time profile checks. Pointers and lengths
//! are `i32` on wasm32; the rest of the SDK wraps these in safe functions.
//!
//! Each function may end the call instead of returning (out of gas, a bad pointer, a state
//! change inside a static call); `return_data` and `revert` always do.

#[link(wasm_import_module = "vnt_v1")]
unsafe extern "C" {
    pub fn input_size() -> u32;
    pub fn input_copy(ptr: *mut u8, offset: u32, len: u32);
    pub fn return_data(ptr: *const u8, len: u32) -> !;
    pub fn revert(ptr: *const u8, len: u32) -> !;

    pub fn storage_read(key: *const u8, value_out: *mut u8);
    pub fn storage_write(key: *const u8, value: *const u8);
    pub fn log(topics: *const u8, topic_count: u32, data: *const u8, data_len: u32);

    pub fn gas_left() -> u64;
    pub fn caller(out: *mut u8);
    pub fn origin(out: *mut u8);
    pub fn address(out: *mut u8);
    pub fn call_value(out: *mut u8);
    pub fn block_number() -> u64;
    pub fn timestamp() -> u64;
    pub fn chain_id() -> u64;
    pub fn balance(address: *const u8, out: *mut u8);

    pub fn keccak256(data: *const u8, len: u32, out: *mut u8);
    pub fn sha256(data: *const u8, len: u32, out: *mut u8);
    pub fn blake2b_256(data: *const u8, len: u32, out: *mut u8);
    pub fn ecrecover(hash: *const u8, signature: *const u8, address_out: *mut u8) -> u32;
    pub fn ed25519_verify(
        message: *const u8,
        message_len: u32,
        signature: *const u8,
        key: *const u8,
    ) -> u32;

    pub fn call(target: *const u8, value: *const u8, input: *const u8, len: u32, gas: u64) -> u32;
    pub fn static_call(target: *const u8, input: *const u8, len: u32, gas: u64) -> u32;
    pub fn delegate_call(target: *const u8, input: *const u8, len: u32, gas: u64) -> u32;
    pub fn create(
        code: *const u8,
        len: u32,
        value: *const u8,
        gas: u64,
        address_out: *mut u8,
    ) -> u32;
    pub fn result_size() -> u32;
    pub fn result_copy(ptr: *mut u8, offset: u32, len: u32);
}
