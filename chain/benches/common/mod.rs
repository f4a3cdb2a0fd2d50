//! What the token benchmarks share: ABI encodings of the ERC-20 calls they make.

use alloy_primitives::{Address, Bytes, U256};

/// The benchmarks' genesis time.
pub const T0: u64 = 1_800_000_000;

fn word(value: U256) -> [u8; 32] {
    value.to_be_bytes()
}

/// ABI encoding of `(string, string, uint256)`.
pub fn constructor_args(name: &str, symbol: &str, supply: U256) -> Vec<u8> {
    let tail = |s: &str| {
        let mut out = word(U256::from(s.len())).to_vec();
        out.extend_from_slice(s.as_bytes());
        out.resize(32 + s.len().next_multiple_of(32), 0);
        out
    };
    let (name, symbol) = (tail(name), tail(symbol));
    let mut out = word(U256::from(96)).to_vec();
    out.extend(word(U256::from(96 + name.len())));
    out.extend(word(supply));
    out.extend(name);
    out.extend(symbol);
    out
}

pub fn transfer_calldata(to: Address, amount: u64) -> Bytes {
    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
    data.extend(word(U256::from_be_slice(to.as_slice())));
    data.extend(word(U256::from(amount)));
    data.into()
}
