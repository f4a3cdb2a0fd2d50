//! [`Address`]: a 20-byte account address, as Ethereum and the host ABI use it.

use core::fmt;

/// An account: an externally owned account or a contract.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// The zero address: never a signer, so tokens treat it as "nobody" (mint and burn).
    pub const ZERO: Address = Address([0; 20]);

    pub const fn new(bytes: [u8; 20]) -> Address {
        Address(bytes)
    }

    pub const fn is_zero(&self) -> bool {
        let mut i = 0;
        while i < 20 {
            if self.0[i] != 0 {
                return false;
            }
            i += 1;
        }
        true
    }

    pub const fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// Left-padded to 32 bytes, as in ABI words, event topics and mapping keys.
    pub const fn to_word(&self) -> [u8; 32] {
        let mut word = [0u8; 32];
        let mut i = 0;
        while i < 20 {
            word[12 + i] = self.0[i];
            i += 1;
        }
        word
    }

    /// The address in a 32-byte word, or `None` if the top 12 bytes are not zero (a value
    /// that is not an address: Solidity's decoder refuses it too).
    pub const fn from_word(word: &[u8; 32]) -> Option<Address> {
        let mut i = 0;
        while i < 12 {
            if word[i] != 0 {
                return None;
            }
            i += 1;
        }
        let mut bytes = [0u8; 20];
        let mut i = 0;
        while i < 20 {
            bytes[i] = word[12 + i];
            i += 1;
        }
        Some(Address(bytes))
    }
}

impl From<[u8; 20]> for Address {
    fn from(bytes: [u8; 20]) -> Address {
        Address(bytes)
    }
}

impl From<Address> for [u8; 20] {
    fn from(address: Address) -> [u8; 20] {
        address.0
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x")?;
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

#[cfg(test)]
mod tests {
    use super::Address;

    #[test]
    fn words_are_left_padded_and_checked() {
        let address = Address([0xab; 20]);
        let word = address.to_word();
        assert_eq!(word[..12], [0; 12]);
        assert_eq!(Address::from_word(&word), Some(address));
        let mut dirty = word;
        dirty[0] = 1;
        assert_eq!(Address::from_word(&dirty), None);
        assert!(Address::ZERO.is_zero() && !address.is_zero());
    }
}
