//! The Solidity contract ABI: how calls, return values, reverts and events are encoded, so
//! Ethereum tools and EVM contracts talk to WebAssembly contracts unchanged.
//!
//! A value is a 32-byte word ([`Word`]: `uint256` and smaller unsigned integers, `address`,
//! `bool`, `bytes32`), a dynamic byte string (`string`, `bytes`), or a tuple of values. A
//! tuple is encoded as a head per element — the word itself, or for dynamic elements the
//! offset of their encoding from the tuple's start — followed by the dynamic encodings.
//! Arguments and return values are tuples, so [`encode`] and [`decode`] take a Rust tuple as
//! a parameter list and any other type as a list of one.
//!
//! | Solidity | Rust |
//! |---|---|
//! | `uint256` | [`U256`] |
//! | `uint8` … `uint128` | `u8` … `u128`, `usize` (as `uint256`) |
//! | `address` | [`Address`] |
//! | `bool` | `bool` |
//! | `bytes32` | `[u8; 32]` |
//! | `string` | `String` (decoding checks UTF-8), `&str` |
//! | `bytes` | `Vec<u8>`, `&[u8]` (also reads a `string` without checking UTF-8) |
//!
//! Decoding is strict the way Solidity's is: short input, an offset or length outside the
//! input, an `address` or `uintN` with bits set above its width, or a `bool` other than 0 or
//! 1 is refused. Bytes after the last argument are allowed.

use crate::{Address, U256};
use alloc::string::String;
use alloc::vec::Vec;

/// The 4-byte function selector of a signature such as `"transfer(address,uint256)"`:
/// the first bytes of its Keccak-256, computed at compile time in a `const`.
pub const fn selector(signature: &str) -> [u8; 4] {
    let hash = crate::keccak::keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}

/// Selector of `Error(string)`, the revert data `revert("reason")` produces.
pub const ERROR_SELECTOR: [u8; 4] = selector("Error(string)");

/// A value that is one 32-byte word in the ABI and in storage.
pub trait Word: Sized {
    fn to_word(&self) -> [u8; 32];
    /// `None` if the word holds no value of this type (bits set above its width).
    fn from_word(word: &[u8; 32]) -> Option<Self>;
}

impl Word for U256 {
    fn to_word(&self) -> [u8; 32] {
        self.to_be_bytes()
    }
    fn from_word(word: &[u8; 32]) -> Option<Self> {
        Some(U256::from_be_bytes(*word))
    }
}

impl Word for Address {
    fn to_word(&self) -> [u8; 32] {
        Address::to_word(self)
    }
    fn from_word(word: &[u8; 32]) -> Option<Self> {
        Address::from_word(word)
    }
}

impl Word for [u8; 32] {
    fn to_word(&self) -> [u8; 32] {
        *self
    }
    fn from_word(word: &[u8; 32]) -> Option<Self> {
        Some(*word)
    }
}

impl Word for bool {
    fn to_word(&self) -> [u8; 32] {
        (*self as u8).to_word()
    }
    fn from_word(word: &[u8; 32]) -> Option<Self> {
        match u8::from_word(word)? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

macro_rules! unsigned_word {
    ($($t:ty),*) => {$(
        impl Word for $t {
            fn to_word(&self) -> [u8; 32] {
                let mut word = [0u8; 32];
                word[32 - size_of::<$t>()..].copy_from_slice(&self.to_be_bytes());
                word
            }
            fn from_word(word: &[u8; 32]) -> Option<Self> {
                let (high, low) = word.split_at(32 - size_of::<$t>());
                if high.iter().any(|b| *b != 0) {
                    return None;
                }
                Some(<$t>::from_be_bytes(low.try_into().ok()?))
            }
        }
    )*};
}
unsigned_word!(u8, u16, u32, u64, u128, usize);

/// How a type sits in a tuple's head.
pub trait AbiType {
    /// Encoded after the heads, with its offset in its head.
    const DYNAMIC: bool;
    /// Bytes the type takes in a head: its whole encoding if static, the 32-byte offset if
    /// dynamic.
    const HEAD_SIZE: usize = 32;
}

/// A value that can be ABI-encoded. Encoding computes the exact size first and writes into
/// one zeroed buffer, so it never reallocates and padding costs nothing.
pub trait Encode: AbiType {
    /// Size of the value's own encoding (for a dynamic type, what its offset points at).
    fn encoded_size(&self) -> usize;

    /// Writes the value's own encoding at the start of `out`, which is zeroed and at least
    /// `encoded_size()` long.
    fn encode_to(&self, out: &mut [u8]);

    /// The encoding when it is a single word, so returning or logging it needs no
    /// allocation. Only word types say so.
    fn as_word(&self) -> Option<[u8; 32]> {
        None
    }

    /// Size of the value as a parameter list; tuples override this to list their elements.
    fn params_size(&self) -> usize {
        field_size(self)
    }

    /// Writes the value as a parameter list; tuples override this to list their elements.
    fn encode_params_to(&self, out: &mut [u8]) {
        let mut tail = Self::HEAD_SIZE;
        encode_field(self, out, 0, &mut tail);
    }
}

pub trait Decode: AbiType + Sized {
    /// Reads a value whose own encoding starts at `data[0]`.
    fn decode_from(data: &[u8]) -> Option<Self>;

    /// Reads the value as a parameter list; tuples override this to read their elements.
    fn decode_params(data: &[u8]) -> Option<Self> {
        field(data, 0)
    }
}

/// What an element adds to its tuple: its head, and the encoding a dynamic head points at.
fn field_size<T: Encode + ?Sized>(value: &T) -> usize {
    if T::DYNAMIC {
        32 + value.encoded_size()
    } else {
        T::HEAD_SIZE
    }
}

/// Writes the element whose head is at `out[head]`, in a tuple starting at `out[0]`; a
/// dynamic element's encoding goes at `*tail`, which then moves past it.
fn encode_field<T: Encode + ?Sized>(value: &T, out: &mut [u8], head: usize, tail: &mut usize) {
    if T::DYNAMIC {
        out[head..head + 32].copy_from_slice(&U256::from(*tail).to_be_bytes());
        value.encode_to(&mut out[*tail..]);
        *tail += value.encoded_size();
    } else {
        value.encode_to(&mut out[head..]);
    }
}

/// Reads the element whose head is at `data[at]`, in a tuple starting at `data[0]`.
fn field<T: Decode>(data: &[u8], at: usize) -> Option<T> {
    if T::DYNAMIC {
        let offset = read_len(data, at)?;
        T::decode_from(data.get(offset..)?)
    } else {
        T::decode_from(data.get(at..)?)
    }
}

fn read_word(data: &[u8], at: usize) -> Option<&[u8; 32]> {
    data.get(at..at.checked_add(32)?)?.try_into().ok()
}

/// An offset or a length: a word that must fit the 32-bit address space.
fn read_len(data: &[u8], at: usize) -> Option<usize> {
    u32::from_word(read_word(data, at)?).map(|n| n as usize)
}

macro_rules! word_type {
    ($($t:ty),*) => {$(
        impl AbiType for $t {
            const DYNAMIC: bool = false;
        }
        impl Encode for $t {
            fn encoded_size(&self) -> usize {
                32
            }
            fn encode_to(&self, out: &mut [u8]) {
                out[..32].copy_from_slice(&Word::to_word(self));
            }
            fn as_word(&self) -> Option<[u8; 32]> {
                Some(Word::to_word(self))
            }
        }
        impl Decode for $t {
            fn decode_from(data: &[u8]) -> Option<Self> {
                <$t as Word>::from_word(read_word(data, 0)?)
            }
        }
    )*};
}
word_type!(
    U256, Address, bool, [u8; 32], u8, u16, u32, u64, u128, usize
);

/// Length, then the bytes padded with zeros to a multiple of 32 (already zero in `out`).
fn encode_bytes(bytes: &[u8], out: &mut [u8]) {
    out[..32].copy_from_slice(&U256::from(bytes.len()).to_be_bytes());
    out[32..32 + bytes.len()].copy_from_slice(bytes);
}

/// The bytes of a `bytes` or `string`; the padding is not required to be present.
fn decode_bytes(data: &[u8]) -> Option<&[u8]> {
    let len = read_len(data, 0)?;
    data.get(32..32usize.checked_add(len)?)
}

macro_rules! bytes_type {
    ($($t:ty),*) => {$(
        impl AbiType for $t {
            const DYNAMIC: bool = true;
        }
        impl Encode for $t {
            fn encoded_size(&self) -> usize {
                let bytes: &[u8] = self.as_ref();
                32 + bytes.len().next_multiple_of(32)
            }
            fn encode_to(&self, out: &mut [u8]) {
                encode_bytes(self.as_ref(), out);
            }
        }
    )*};
}
bytes_type!(str, String, [u8], Vec<u8>);

impl Decode for String {
    fn decode_from(data: &[u8]) -> Option<Self> {
        String::from_utf8(decode_bytes(data)?.to_vec()).ok()
    }
}

impl Decode for Vec<u8> {
    fn decode_from(data: &[u8]) -> Option<Self> {
        decode_bytes(data).map(<[u8]>::to_vec)
    }
}

impl<T: AbiType + ?Sized> AbiType for &T {
    const DYNAMIC: bool = T::DYNAMIC;
    const HEAD_SIZE: usize = T::HEAD_SIZE;
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encoded_size(&self) -> usize {
        (**self).encoded_size()
    }
    fn encode_to(&self, out: &mut [u8]) {
        (**self).encode_to(out)
    }
    fn as_word(&self) -> Option<[u8; 32]> {
        (**self).as_word()
    }
    fn params_size(&self) -> usize {
        (**self).params_size()
    }
    fn encode_params_to(&self, out: &mut [u8]) {
        (**self).encode_params_to(out)
    }
}

/// The empty parameter list: a function that returns nothing.
impl AbiType for () {
    const DYNAMIC: bool = false;
    const HEAD_SIZE: usize = 0;
}

impl Encode for () {
    fn encoded_size(&self) -> usize {
        0
    }
    fn encode_to(&self, _: &mut [u8]) {}
    fn params_size(&self) -> usize {
        0
    }
    fn encode_params_to(&self, _: &mut [u8]) {}
}

impl Decode for () {
    fn decode_from(_: &[u8]) -> Option<Self> {
        Some(())
    }
    fn decode_params(_: &[u8]) -> Option<Self> {
        Some(())
    }
}

macro_rules! tuple {
    ($($t:ident $i:tt),+) => {
        impl<$($t: AbiType),+> AbiType for ($($t,)+) {
            const DYNAMIC: bool = false $(|| $t::DYNAMIC)+;
            const HEAD_SIZE: usize = if Self::DYNAMIC { 32 } else { 0 $(+ $t::HEAD_SIZE)+ };
        }
        impl<$($t: Encode),+> Encode for ($($t,)+) {
            fn encoded_size(&self) -> usize {
                0 $(+ field_size(&self.$i))+
            }
            #[allow(unused_assignments)]
            fn encode_to(&self, out: &mut [u8]) {
                let mut head = 0;
                let mut tail = 0 $(+ $t::HEAD_SIZE)+;
                $(
                    encode_field(&self.$i, out, head, &mut tail);
                    head += $t::HEAD_SIZE;
                )+
            }
            fn params_size(&self) -> usize {
                self.encoded_size()
            }
            fn encode_params_to(&self, out: &mut [u8]) {
                self.encode_to(out)
            }
        }
        impl<$($t: Decode),+> Decode for ($($t,)+) {
            #[allow(unused_assignments)]
            fn decode_from(data: &[u8]) -> Option<Self> {
                let mut at = 0;
                Some(($({
                    let value = field::<$t>(data, at)?;
                    at += $t::HEAD_SIZE;
                    value
                },)+))
            }
            fn decode_params(data: &[u8]) -> Option<Self> {
                Self::decode_from(data)
            }
        }
    };
}
tuple!(A 0);
tuple!(A 0, B 1);
tuple!(A 0, B 1, C 2);
tuple!(A 0, B 1, C 2, D 3);
tuple!(A 0, B 1, C 2, D 3, E 4);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// The encoding of `values` as a parameter list (a tuple's elements, or one value).
pub fn encode<T: Encode + ?Sized>(values: &T) -> Vec<u8> {
    let mut out = alloc::vec![0; values.params_size()];
    values.encode_params_to(&mut out);
    out
}

/// Calldata for a call to another contract: the selector, then the arguments.
pub fn encode_call<T: Encode + ?Sized>(selector: [u8; 4], args: &T) -> Vec<u8> {
    let mut out = alloc::vec![0; 4 + args.params_size()];
    out[..4].copy_from_slice(&selector);
    args.encode_params_to(&mut out[4..]);
    out
}

/// Reads a parameter list (a tuple's elements, or one value); `None` if malformed.
pub fn decode<T: Decode>(data: &[u8]) -> Option<T> {
    T::decode_params(data)
}

/// The revert data of `revert("reason")`: `Error(string)`.
pub fn encode_error(reason: &str) -> Vec<u8> {
    encode_call(ERROR_SELECTOR, reason)
}

/// The reason in `Error(string)` revert data, for reporting a callee's revert.
pub fn decode_error(data: &[u8]) -> Option<String> {
    decode(data.strip_prefix(&ERROR_SELECTOR)?)
}

/// The input of a call or of a constructor, with typed access to its arguments.
///
/// Every accessor reverts with "invalid calldata" rather than return an error: a contract
/// can do nothing useful with input it cannot read.
pub struct Calldata {
    bytes: Vec<u8>,
}

/// Revert reason for input that does not decode.
pub const INVALID_CALLDATA: &str = "invalid calldata";

impl Calldata {
    pub fn new(bytes: Vec<u8>) -> Calldata {
        Calldata { bytes }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The function selector: the first 4 bytes.
    pub fn selector(&self) -> [u8; 4] {
        match self.bytes.first_chunk() {
            Some(selector) => *selector,
            None => crate::revert(INVALID_CALLDATA),
        }
    }

    /// The arguments after the selector, as a tuple: `input.args::<(Address, U256)>()`.
    pub fn args<T: Decode>(&self) -> T {
        let args = self.bytes.get(4..).and_then(decode);
        args.unwrap_or_else(|| crate::revert(INVALID_CALLDATA))
    }

    /// The whole input as arguments: what a constructor (`deploy`) receives.
    pub fn constructor_args<T: Decode>(&self) -> T {
        decode(&self.bytes).unwrap_or_else(|| crate::revert(INVALID_CALLDATA))
    }
}

#[cfg(test)]
#[path = "abi_tests.rs"]
mod tests;
