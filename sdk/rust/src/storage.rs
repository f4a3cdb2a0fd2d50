//! Typed contract storage over the host's 32-byte words, laid out the way Solidity lays out
//! state variables, so a storage proof or `eth_getStorageAt` reads a VNT contract the way it
//! reads an EVM one.
//!
//! Every item lives at a [`Slot`]. A contract declares its items as constants at numbered
//! slots, as Solidity numbers state variables in order of declaration:
//!
//! ```ignore
//! const TOTAL_SUPPLY: Value<U256> = Value::new(0);
//! const BALANCES: Mapping<Address, Value<U256>> = Mapping::new(1);
//! const ALLOWANCES: Mapping<Address, Mapping<Address, Value<U256>>> = Mapping::new(2);
//! const NAME: StorageString = StorageString::new(3);
//! ```
//!
//! - [`Value<T>`] holds one [`Word`] at its slot.
//! - [`Mapping<K, V>`] holds nothing itself; the item for key `k` lives at
//!   `keccak256(key(k) ‖ slot)`, where `key(k)` is the 32-byte word of a value type or the
//!   raw bytes of a string — Solidity's rule — and `V` is any storage item, so mappings nest.
//! - [`StorageBytes`] and [`StorageString`] keep the length at their slot and the bytes from
//!   word `keccak256(slot)` on, 32 per word, the last one zero-padded. (Unlike Solidity,
//!   short strings are not packed into the length slot.)
//!
//! Slot arithmetic is pure and works on every target; reading and writing need the host.

use crate::U256;
use crate::abi::Word;
use crate::crypto::keccak256;
use core::marker::PhantomData;

/// A 32-byte storage key.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Slot(pub [u8; 32]);

impl Slot {
    /// Slot number `n`: the big-endian 32-byte integer.
    pub const fn new(n: u64) -> Slot {
        Slot(U256::from_u64(n).to_be_bytes())
    }

    /// The slot `n` words after this one (wrapping at 2^256, as Solidity's does).
    pub fn offset(self, n: u64) -> Slot {
        Slot(
            U256::from_be_bytes(self.0)
                .wrapping_add(U256::from_u64(n))
                .to_be_bytes(),
        )
    }

    /// `keccak256(slot)`: where a dynamic item's contents start.
    pub fn hashed(self) -> Slot {
        Slot(keccak256(&self.0))
    }

    #[cfg(target_arch = "wasm32")]
    pub fn read(self) -> [u8; 32] {
        let mut value = [0u8; 32];
        // SAFETY: the host reads 32 bytes of key and writes 32 bytes into `value`.
        unsafe { crate::sys::storage_read(self.0.as_ptr(), value.as_mut_ptr()) };
        value
    }

    #[cfg(target_arch = "wasm32")]
    pub fn write(self, value: &[u8; 32]) {
        // SAFETY: the host reads 32 bytes of key and 32 of value.
        unsafe { crate::sys::storage_write(self.0.as_ptr(), value.as_ptr()) }
    }
}

/// Something that lives in storage at a slot: a value, a mapping, a string.
pub trait StorageItem {
    fn at(slot: Slot) -> Self;
}

/// One word-sized value at a slot. Unwritten storage reads as zero (`0`, `false`, the zero
/// address).
pub struct Value<T> {
    slot: Slot,
    value: PhantomData<fn() -> T>,
}

impl<T> Value<T> {
    /// The value at slot number `n`.
    pub const fn new(n: u64) -> Self {
        Self::at(Slot::new(n))
    }

    pub const fn at(slot: Slot) -> Self {
        Value {
            slot,
            value: PhantomData,
        }
    }

    pub fn slot(&self) -> Slot {
        self.slot
    }
}

impl<T> StorageItem for Value<T> {
    fn at(slot: Slot) -> Self {
        Value::at(slot)
    }
}

#[cfg(target_arch = "wasm32")]
impl<T: Word> Value<T> {
    /// The stored value. A word that is not a `T` (written by other code under another
    /// type) is a broken invariant and panics.
    pub fn get(&self) -> T {
        T::from_word(&self.slot.read()).expect("storage word holds a value of its type")
    }

    pub fn set(&self, value: T) {
        self.slot.write(&value.to_word());
    }
}

/// A mapping key: where a key's item lives in a mapping, by Solidity's rule.
pub trait MappingKey {
    /// The slot of this key's item in the mapping at `mapping`.
    fn slot_in(&self, mapping: Slot) -> Slot;
}

/// `keccak256(key ‖ mapping)` for a word key, on the stack.
fn word_key_slot(key: [u8; 32], mapping: Slot) -> Slot {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(&key);
    preimage[32..].copy_from_slice(&mapping.0);
    Slot(keccak256(&preimage))
}

macro_rules! word_key {
    ($($t:ty),*) => {$(
        impl MappingKey for $t {
            fn slot_in(&self, mapping: Slot) -> Slot {
                word_key_slot(Word::to_word(self), mapping)
            }
        }
    )*};
}
word_key!(
    U256,
    crate::Address,
    bool,
    [u8; 32],
    u8,
    u16,
    u32,
    u64,
    u128,
    usize
);

/// A string or bytes key is hashed as its raw bytes, unpadded.
impl MappingKey for [u8] {
    fn slot_in(&self, mapping: Slot) -> Slot {
        let mut preimage = alloc::vec![0; self.len() + 32];
        preimage[..self.len()].copy_from_slice(self);
        preimage[self.len()..].copy_from_slice(&mapping.0);
        Slot(keccak256(&preimage))
    }
}

impl MappingKey for str {
    fn slot_in(&self, mapping: Slot) -> Slot {
        self.as_bytes().slot_in(mapping)
    }
}

/// A mapping from `K` to storage items `V`: `Mapping<Address, Value<U256>>` for balances,
/// `Mapping<Address, Mapping<Address, Value<U256>>>` for allowances.
pub struct Mapping<K: ?Sized, V> {
    slot: Slot,
    types: PhantomData<fn(&K) -> V>,
}

impl<K: ?Sized, V> Mapping<K, V> {
    /// The mapping at slot number `n`.
    pub const fn new(n: u64) -> Self {
        Self::at(Slot::new(n))
    }

    pub const fn at(slot: Slot) -> Self {
        Mapping {
            slot,
            types: PhantomData,
        }
    }
}

impl<K: ?Sized, V> StorageItem for Mapping<K, V> {
    fn at(slot: Slot) -> Self {
        Mapping::at(slot)
    }
}

impl<K: MappingKey + ?Sized, V: StorageItem> Mapping<K, V> {
    /// The slot of `key`'s item: `keccak256(key ‖ slot)`.
    pub fn slot_of(&self, key: &K) -> Slot {
        key.slot_in(self.slot)
    }

    /// The item for `key`: `balances.entry(&owner).get()`,
    /// `allowances.entry(&owner).entry(&spender).set(amount)`.
    pub fn entry(&self, key: &K) -> V {
        V::at(self.slot_of(key))
    }
}

#[cfg(target_arch = "wasm32")]
impl<K: MappingKey + ?Sized, T: Word> Mapping<K, Value<T>> {
    /// Shorthand for `entry(key).get()`.
    pub fn get(&self, key: &K) -> T {
        self.entry(key).get()
    }

    /// Shorthand for `entry(key).set(value)`.
    pub fn set(&self, key: &K, value: T) {
        self.entry(key).set(value)
    }
}

/// A byte string in storage (Solidity `bytes`).
pub struct StorageBytes {
    slot: Slot,
}

impl StorageBytes {
    pub const fn new(n: u64) -> Self {
        Self::at(Slot::new(n))
    }

    pub const fn at(slot: Slot) -> Self {
        StorageBytes { slot }
    }

    pub fn slot(&self) -> Slot {
        self.slot
    }
}

impl StorageItem for StorageBytes {
    fn at(slot: Slot) -> Self {
        StorageBytes::at(slot)
    }
}

#[cfg(target_arch = "wasm32")]
impl StorageBytes {
    pub fn len(&self) -> usize {
        // A length beyond the address space cannot have been written by `set`.
        u32::from_word(&self.slot.read()).expect("storage length fits in memory") as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self) -> alloc::vec::Vec<u8> {
        let len = self.len();
        let mut bytes = alloc::vec![0; len.next_multiple_of(32)];
        let start = self.slot.hashed();
        for (i, word) in bytes.chunks_exact_mut(32).enumerate() {
            word.copy_from_slice(&start.offset(i as u64).read());
        }
        bytes.truncate(len);
        bytes
    }

    /// Stores `bytes`, clearing the words a longer previous value used so no stale data is
    /// left behind in the state.
    pub fn set(&self, bytes: &[u8]) {
        let old_words = self.len().div_ceil(32);
        self.slot.write(&U256::from(bytes.len()).to_be_bytes());
        let start = self.slot.hashed();
        let mut words = bytes.chunks(32);
        let new_words = words.len();
        for (i, chunk) in words.by_ref().enumerate() {
            let mut word = [0u8; 32];
            word[..chunk.len()].copy_from_slice(chunk);
            start.offset(i as u64).write(&word);
        }
        for i in new_words..old_words {
            start.offset(i as u64).write(&[0; 32]);
        }
    }
}

/// A UTF-8 string in storage (Solidity `string`), laid out like [`StorageBytes`].
pub struct StorageString {
    bytes: StorageBytes,
}

impl StorageString {
    pub const fn new(n: u64) -> Self {
        Self::at(Slot::new(n))
    }

    pub const fn at(slot: Slot) -> Self {
        StorageString {
            bytes: StorageBytes::at(slot),
        }
    }

    pub fn slot(&self) -> Slot {
        self.bytes.slot
    }
}

impl StorageItem for StorageString {
    fn at(slot: Slot) -> Self {
        StorageString::at(slot)
    }
}

#[cfg(target_arch = "wasm32")]
impl StorageString {
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The stored string; bytes that are not UTF-8 (written by other code) are replaced.
    pub fn get(&self) -> alloc::string::String {
        let bytes = self.bytes.get();
        match alloc::string::String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => alloc::string::String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }

    pub fn set(&self, text: &str) {
        self.bytes.set(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Address;

    fn hex32(text: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn numbered_slots_are_big_endian_integers() {
        assert_eq!(Slot::new(0).0, [0; 32]);
        assert_eq!(Slot::new(258).0[30..], [1, 2]);
        assert_eq!(
            Slot::new(1).offset(u64::MAX).0[23..],
            [1, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn mapping_slots_follow_solidity() {
        // mapping(uint256 => ...) at slot 0, key 0: keccak256(0x00..00 ‖ 0x00..00), the
        // well-known first mapping entry.
        let map: Mapping<U256, Value<U256>> = Mapping::new(0);
        assert_eq!(
            map.slot_of(&U256::ZERO).0,
            hex32("ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5")
        );
        // Address keys are left-padded; nested mappings hash the inner key with the outer
        // entry's slot.
        let owner = Address([0x11; 20]);
        let spender = Address([0x22; 20]);
        let allowances: Mapping<Address, Mapping<Address, Value<U256>>> = Mapping::new(2);
        let mut outer = [0u8; 64];
        outer[12..32].copy_from_slice(&owner.0);
        outer[63] = 2;
        let outer_slot = keccak256(&outer);
        let mut inner = [0u8; 64];
        inner[12..32].copy_from_slice(&spender.0);
        inner[32..].copy_from_slice(&outer_slot);
        assert_eq!(
            allowances.entry(&owner).entry(&spender).slot(),
            Slot(keccak256(&inner))
        );
    }

    #[test]
    fn string_keys_hash_their_raw_bytes() {
        let names: Mapping<str, Value<U256>> = Mapping::new(5);
        let mut preimage = b"abc".to_vec();
        preimage.extend_from_slice(&Slot::new(5).0);
        assert_eq!(names.slot_of("abc"), Slot(keccak256(&preimage)));
    }

    #[test]
    fn string_contents_start_at_the_hash_of_the_slot() {
        // keccak256(uint256(3)), where Solidity's slot-3 array data starts.
        assert_eq!(
            StorageString::new(3).slot().hashed().0,
            hex32("c2575a0e9e593c00f959f8c92f12db2869c3395a3b0502d05e2516446f71f85b")
        );
    }
}
