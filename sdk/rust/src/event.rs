//! Events (logs), in Solidity's shape so Ethereum tools decode them: topic 0 is the
//! Keccak-256 of the event's signature, the indexed parameters are the next topics (each a
//! 32-byte word), and the other parameters are ABI-encoded in the data.
//!
//! ```ignore
//! const TRANSFER: [u8; 32] = event::signature("Transfer(address,address,uint256)");
//! event::emit(&[TRANSFER, from.to_word(), to.to_word()], &abi::encode(&amount));
//! ```

/// Topic 0 of an event: the Keccak-256 of its signature, computed at compile time.
pub const fn signature(signature: &str) -> [u8; 32] {
    crate::keccak::keccak256(signature.as_bytes())
}

/// Emits an event with up to 4 topics (more ends the call: the VM refuses them). Inside a
/// static call, emitting ends the call too.
#[cfg(target_arch = "wasm32")]
pub fn emit(topics: &[[u8; 32]], data: &[u8]) {
    // SAFETY: the host reads `topics.len()` 32-byte topics and `data`, both in bounds.
    unsafe {
        crate::sys::log(
            topics.as_ptr().cast(),
            topics.len() as u32,
            data.as_ptr(),
            data.len() as u32,
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn erc20_event_signatures() {
        assert_eq!(
            super::signature("Approval(address,address,uint256)")[..4],
            [0x8c, 0x5b, 0xe1, 0xe5]
        );
        assert_eq!(
            super::signature("Transfer(address,address,uint256)")[28..],
            [0xf5, 0x23, 0xb3, 0xef]
        );
    }
}
