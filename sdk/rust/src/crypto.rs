//! Hashes and signature checks, computed by the host.
//!
//! [`keccak256`] exists on every target — storage slots derive from it, and deriving them
//! off-chain (in tests, in tools) must give the same slots — and is the host function inside
//! a contract. The rest are host-only.

/// Keccak-256 of `data`: the host's metered function in a contract, the SDK's own
/// implementation elsewhere. For constants use [`crate::keccak::keccak256`], which runs at
/// compile time.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    #[cfg(target_arch = "wasm32")]
    {
        let mut out = [0u8; 32];
        // SAFETY: the host reads `data` and writes 32 bytes into `out`, both in bounds.
        unsafe { crate::sys::keccak256(data.as_ptr(), data.len() as u32, out.as_mut_ptr()) };
        out
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::keccak::keccak256(data)
    }
}

#[cfg(target_arch = "wasm32")]
pub use host_only::*;

#[cfg(target_arch = "wasm32")]
mod host_only {
    use crate::Address;
    use crate::sys;

    pub fn sha256(data: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        // SAFETY: reads `data`, writes 32 bytes into `out`.
        unsafe { sys::sha256(data.as_ptr(), data.len() as u32, out.as_mut_ptr()) };
        out
    }

    pub fn blake2b_256(data: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        // SAFETY: reads `data`, writes 32 bytes into `out`.
        unsafe { sys::blake2b_256(data.as_ptr(), data.len() as u32, out.as_mut_ptr()) };
        out
    }

    /// The address that signed `hash`, from a 65-byte `r ‖ s ‖ v` signature (`v` 27/28 or
    /// 0/1); `None` for an invalid or high-`s` signature.
    pub fn ecrecover(hash: &[u8; 32], signature: &[u8; 65]) -> Option<Address> {
        let mut out = [0u8; 20];
        // SAFETY: reads 32 and 65 bytes, writes 20 bytes into `out`.
        let found = unsafe { sys::ecrecover(hash.as_ptr(), signature.as_ptr(), out.as_mut_ptr()) };
        (found == 1).then_some(Address(out))
    }

    /// Strict Ed25519 verification of `signature` over `message` by `public_key`.
    pub fn ed25519_verify(message: &[u8], signature: &[u8; 64], public_key: &[u8; 32]) -> bool {
        // SAFETY: reads `message`, 64 and 32 bytes.
        unsafe {
            sys::ed25519_verify(
                message.as_ptr(),
                message.len() as u32,
                signature.as_ptr(),
                public_key.as_ptr(),
            ) == 1
        }
    }
}
