//! [`U256`], the 256-bit unsigned integer of Solidity's `uint256`: balances, amounts and
//! storage words.
//!
//! Four 64-bit limbs, least significant first, so carries run through the native 64-bit
//! arithmetic WebAssembly has. Overflow is explicit: `checked_*` and `overflowing_*` report
//! it, and the operators (`+`, `-`, `*`, `/`, `%`) panic on it — in a contract, a panic
//! reverts with "panic", which is what Solidity's checked arithmetic does too.

use core::cmp::Ordering;
use core::fmt;
use core::ops::{Add, AddAssign, Div, Mul, Rem, Sub, SubAssign};

/// A 256-bit unsigned integer.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct U256([u64; 4]);

impl U256 {
    pub const ZERO: U256 = U256([0; 4]);
    pub const ONE: U256 = U256([1, 0, 0, 0]);
    pub const MAX: U256 = U256([u64::MAX; 4]);

    pub const fn from_u64(value: u64) -> U256 {
        U256([value, 0, 0, 0])
    }

    pub const fn from_u128(value: u128) -> U256 {
        U256([value as u64, (value >> 64) as u64, 0, 0])
    }

    /// From 32 big-endian bytes, as in ABI words and storage.
    pub const fn from_be_bytes(bytes: [u8; 32]) -> U256 {
        let mut limbs = [0u64; 4];
        let mut i = 0;
        while i < 32 {
            limbs[3 - i / 8] |= (bytes[i] as u64) << (8 * (7 - i % 8));
            i += 1;
        }
        U256(limbs)
    }

    pub const fn to_be_bytes(self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            bytes[i] = (self.0[3 - i / 8] >> (8 * (7 - i % 8))) as u8;
            i += 1;
        }
        bytes
    }

    pub const fn is_zero(&self) -> bool {
        self.0[0] == 0 && self.0[1] == 0 && self.0[2] == 0 && self.0[3] == 0
    }

    /// The value as a `u64`, if it fits.
    pub const fn to_u64(&self) -> Option<u64> {
        if self.0[1] == 0 && self.0[2] == 0 && self.0[3] == 0 {
            Some(self.0[0])
        } else {
            None
        }
    }

    /// The value as a `u128`, if it fits.
    pub const fn to_u128(&self) -> Option<u128> {
        if self.0[2] == 0 && self.0[3] == 0 {
            Some(self.0[0] as u128 | (self.0[1] as u128) << 64)
        } else {
            None
        }
    }

    pub const fn overflowing_add(self, other: U256) -> (U256, bool) {
        let mut limbs = [0u64; 4];
        let mut carry = false;
        let mut i = 0;
        while i < 4 {
            let (sum, c1) = self.0[i].overflowing_add(other.0[i]);
            let (sum, c2) = sum.overflowing_add(carry as u64);
            limbs[i] = sum;
            carry = c1 || c2;
            i += 1;
        }
        (U256(limbs), carry)
    }

    pub const fn overflowing_sub(self, other: U256) -> (U256, bool) {
        let mut limbs = [0u64; 4];
        let mut borrow = false;
        let mut i = 0;
        while i < 4 {
            let (diff, b1) = self.0[i].overflowing_sub(other.0[i]);
            let (diff, b2) = diff.overflowing_sub(borrow as u64);
            limbs[i] = diff;
            borrow = b1 || b2;
            i += 1;
        }
        (U256(limbs), borrow)
    }

    pub const fn checked_add(self, other: U256) -> Option<U256> {
        match self.overflowing_add(other) {
            (sum, false) => Some(sum),
            (_, true) => None,
        }
    }

    pub const fn checked_sub(self, other: U256) -> Option<U256> {
        match self.overflowing_sub(other) {
            (diff, false) => Some(diff),
            (_, true) => None,
        }
    }

    pub const fn wrapping_add(self, other: U256) -> U256 {
        self.overflowing_add(other).0
    }

    pub const fn wrapping_sub(self, other: U256) -> U256 {
        self.overflowing_sub(other).0
    }

    /// Schoolbook multiplication; any partial product above the low 256 bits is an overflow.
    pub const fn checked_mul(self, other: U256) -> Option<U256> {
        let mut limbs = [0u64; 4];
        let mut i = 0;
        while i < 4 {
            let mut carry = 0u128;
            let mut j = 0;
            while j < 4 {
                let product = (self.0[i] as u128) * (other.0[j] as u128);
                if i + j >= 4 {
                    if product != 0 {
                        return None;
                    }
                } else {
                    let total = product + limbs[i + j] as u128 + carry;
                    limbs[i + j] = total as u64;
                    carry = total >> 64;
                }
                j += 1;
            }
            // What carries out of limb 3 is above 256 bits.
            if carry != 0 {
                return None;
            }
            i += 1;
        }
        Some(U256(limbs))
    }

    /// Quotient and remainder, or `None` when dividing by zero.
    pub fn checked_div_rem(self, divisor: U256) -> Option<(U256, U256)> {
        if divisor.is_zero() {
            return None;
        }
        if self < divisor {
            return Some((U256::ZERO, self));
        }
        // The common case (amounts divided by small constants) goes a limb at a time.
        if let Some(small) = divisor.to_u64() {
            let mut quotient = [0u64; 4];
            let mut rest = 0u128;
            for i in (0..4).rev() {
                let current = (rest << 64) | self.0[i] as u128;
                quotient[i] = (current / small as u128) as u64;
                rest = current % small as u128;
            }
            return Some((U256(quotient), U256::from_u128(rest)));
        }
        // Otherwise restoring division, one bit at a time from the highest set bit.
        let mut quotient = U256::ZERO;
        let mut rest = U256::ZERO;
        for bit in (0..256 - self.leading_zeros()).rev() {
            rest = rest.shl1() | self.bit(bit);
            if rest >= divisor {
                rest = rest.wrapping_sub(divisor);
                quotient.0[(bit / 64) as usize] |= 1 << (bit % 64);
            }
        }
        Some((quotient, rest))
    }

    pub fn checked_div(self, divisor: U256) -> Option<U256> {
        self.checked_div_rem(divisor).map(|(q, _)| q)
    }

    pub fn checked_rem(self, divisor: U256) -> Option<U256> {
        self.checked_div_rem(divisor).map(|(_, r)| r)
    }

    pub const fn leading_zeros(&self) -> u32 {
        let mut i = 4;
        while i > 0 {
            i -= 1;
            if self.0[i] != 0 {
                return (3 - i as u32) * 64 + self.0[i].leading_zeros();
            }
        }
        256
    }

    const fn bit(&self, index: u32) -> u64 {
        (self.0[(index / 64) as usize] >> (index % 64)) & 1
    }

    const fn shl1(self) -> U256 {
        let l = self.0;
        U256([
            l[0] << 1,
            (l[1] << 1) | (l[0] >> 63),
            (l[2] << 1) | (l[1] >> 63),
            (l[3] << 1) | (l[2] >> 63),
        ])
    }
}

/// Sets the lowest bit, for building the remainder in [`U256::checked_div_rem`].
impl core::ops::BitOr<u64> for U256 {
    type Output = U256;
    fn bitor(mut self, low: u64) -> U256 {
        self.0[0] |= low;
        self
    }
}

impl Ord for U256 {
    fn cmp(&self, other: &U256) -> Ordering {
        for i in (0..4).rev() {
            match self.0[i].cmp(&other.0[i]) {
                Ordering::Equal => continue,
                unequal => return unequal,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &U256) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

macro_rules! from_unsigned {
    ($($t:ty),*) => {$(
        impl From<$t> for U256 {
            fn from(value: $t) -> U256 {
                U256::from_u128(value as u128)
            }
        }
    )*};
}
from_unsigned!(u8, u16, u32, u64, u128, usize);

impl From<bool> for U256 {
    fn from(value: bool) -> U256 {
        U256::from_u64(value as u64)
    }
}

impl Add for U256 {
    type Output = U256;
    fn add(self, other: U256) -> U256 {
        self.checked_add(other).expect("U256 addition overflowed")
    }
}

impl Sub for U256 {
    type Output = U256;
    fn sub(self, other: U256) -> U256 {
        self.checked_sub(other)
            .expect("U256 subtraction underflowed")
    }
}

impl Mul for U256 {
    type Output = U256;
    fn mul(self, other: U256) -> U256 {
        self.checked_mul(other)
            .expect("U256 multiplication overflowed")
    }
}

impl Div for U256 {
    type Output = U256;
    fn div(self, other: U256) -> U256 {
        self.checked_div(other).expect("U256 division by zero")
    }
}

impl Rem for U256 {
    type Output = U256;
    fn rem(self, other: U256) -> U256 {
        self.checked_rem(other).expect("U256 remainder by zero")
    }
}

impl AddAssign for U256 {
    fn add_assign(&mut self, other: U256) {
        *self = *self + other;
    }
}

impl SubAssign for U256 {
    fn sub_assign(&mut self, other: U256) {
        *self = *self - other;
    }
}

/// Hexadecimal, as Ethereum tools print words.
impl fmt::Debug for U256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x")?;
        let bytes = self.to_be_bytes();
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(31);
        write!(f, "{:x}", bytes[first])?;
        bytes[first + 1..]
            .iter()
            .try_for_each(|b| write!(f, "{b:02x}"))
    }
}

#[cfg(test)]
mod tests {
    use super::U256;

    fn pow2(n: u32) -> U256 {
        let mut bytes = [0u8; 32];
        bytes[31 - (n / 8) as usize] = 1 << (n % 8);
        U256::from_be_bytes(bytes)
    }

    #[test]
    fn big_endian_bytes_round_trip() {
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = i as u8 * 7 + 1;
        }
        assert_eq!(U256::from_be_bytes(bytes).to_be_bytes(), bytes);
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(U256::ONE.to_be_bytes(), one);
        assert_eq!(U256::from(0x0102u64).to_be_bytes()[30..], [1, 2]);
    }

    #[test]
    fn addition_carries_across_limbs_and_reports_overflow() {
        assert_eq!(U256::from(u64::MAX) + U256::ONE, pow2(64));
        assert_eq!(U256::from(u128::MAX) + U256::ONE, pow2(128));
        assert_eq!(U256::MAX.checked_add(U256::ONE), None);
        assert_eq!(U256::MAX.wrapping_add(U256::ONE), U256::ZERO);
        assert_eq!(U256::MAX.checked_add(U256::ZERO), Some(U256::MAX));
    }

    #[test]
    fn subtraction_borrows_across_limbs_and_reports_underflow() {
        assert_eq!(
            pow2(192) - U256::ONE,
            U256::from_be_bytes({
                let mut b = [0u8; 32];
                b[8..].fill(0xff);
                b
            })
        );
        assert_eq!(U256::ZERO.checked_sub(U256::ONE), None);
        assert_eq!(U256::ZERO.wrapping_sub(U256::ONE), U256::MAX);
        assert_eq!(
            U256::from(5u8).checked_sub(U256::from(5u8)),
            Some(U256::ZERO)
        );
    }

    #[test]
    fn multiplication_and_division() {
        let a = U256::from(u128::MAX);
        assert_eq!(a * U256::from(2u8), pow2(129) - U256::from(2u8));
        assert_eq!(pow2(128).checked_mul(pow2(127)), Some(pow2(255)));
        assert_eq!(pow2(128).checked_mul(pow2(128)), None);
        assert_eq!(U256::MAX.checked_mul(U256::from(2u8)), None);
        assert_eq!(U256::MAX.checked_mul(U256::ONE), Some(U256::MAX));
        assert_eq!(pow2(200) / pow2(100), pow2(100));
        assert_eq!(U256::MAX / U256::MAX, U256::ONE);
        assert_eq!(U256::from(1000u32) / U256::from(7u8), U256::from(142u8));
        assert_eq!(U256::from(1000u32) % U256::from(7u8), U256::from(6u8));
        let big = pow2(255) + U256::from(12345u32);
        assert_eq!(big % pow2(70), U256::from(12345u32));
        assert_eq!(big.checked_div(U256::ZERO), None);
    }

    #[test]
    fn comparisons_look_at_the_most_significant_limb_first() {
        assert!(pow2(255) > U256::from(u128::MAX));
        assert!(U256::from(3u8) < U256::from(4u8));
        assert!(pow2(64) > U256::from(u64::MAX));
        assert_eq!(U256::from(7u8).max(U256::from(9u8)), U256::from(9u8));
    }

    #[test]
    fn conversions() {
        assert_eq!(U256::from(u128::MAX).to_u128(), Some(u128::MAX));
        assert_eq!(pow2(128).to_u128(), None);
        assert_eq!(U256::from(7u64).to_u64(), Some(7));
        assert_eq!(pow2(64).to_u64(), None);
        assert_eq!(pow2(64).leading_zeros(), 191);
        extern crate std;
        assert_eq!(std::format!("{:?}", U256::from(0x1abu32)), "0x1ab");
        assert_eq!(std::format!("{:?}", U256::ZERO), "0x0");
    }
}
