//! What the EVM charges for the work every system contract does besides its own
//! computation: storage as `SLOAD`/`SSTORE` under EIP-2929, EIP-2200 and EIP-3529, logs as
//! `LOGn`, payments as a value-carrying `CALL`. A [`super::Frame`] charges these; each
//! contract prices its own computation itself (`shielded::gas`, `staking::gas`).

/// EIP-2929 storage read.
const COLD_SLOAD: u64 = 2_100;
const WARM_READ: u64 = 100;
/// EIP-2200 storage writes.
const SSTORE_SET: u64 = 20_000;
const SSTORE_RESET: u64 = 5_000;
/// EIP-3529 refund for clearing a slot.
const SSTORE_CLEARS: i64 = 4_800;
/// A `CALL` that carries value, and one that creates the account it pays.
const CALL_VALUE: u64 = 9_000;
const NEW_ACCOUNT: u64 = 25_000;
const COLD_ACCOUNT: u64 = 2_600;
/// `LOGn`.
const LOG: u64 = 375;
/// Burning part of a contract's balance ([`super::Frame::burn`]): priced as a storage write
/// that changes a set value, the closest EVM price for rewriting a balance.
pub const BURN: u64 = SSTORE_RESET;
const LOG_TOPIC: u64 = 375;
const LOG_BYTE: u64 = 8;

/// A storage read.
pub fn sload(cold: bool) -> u64 {
    if cold { COLD_SLOAD } else { WARM_READ }
}

/// A storage write from `present` to `new`, for a slot that held `original` when the
/// transaction began: its cost and the refund it earns (negative when it takes an earlier
/// refund back), as EIP-2200 with EIP-2929's cold surcharge and EIP-3529's refunds.
pub fn sstore(
    original: alloy_primitives::U256,
    present: alloy_primitives::U256,
    new: alloy_primitives::U256,
    cold: bool,
) -> (u64, i64) {
    let surcharge = if cold { COLD_SLOAD } else { 0 };
    if new == present {
        return (surcharge + WARM_READ, 0);
    }
    if original == present {
        let cost = if original.is_zero() {
            SSTORE_SET
        } else {
            SSTORE_RESET - COLD_SLOAD
        };
        let refund = if !original.is_zero() && new.is_zero() {
            SSTORE_CLEARS
        } else {
            0
        };
        return (surcharge + cost, refund);
    }
    // The slot is dirty: already written in this transaction.
    let mut refund = 0;
    if !original.is_zero() {
        if present.is_zero() {
            refund -= SSTORE_CLEARS;
        } else if new.is_zero() {
            refund += SSTORE_CLEARS;
        }
    }
    if original == new {
        refund += if original.is_zero() {
            (SSTORE_SET - WARM_READ) as i64
        } else {
            (SSTORE_RESET - COLD_SLOAD - WARM_READ) as i64
        };
    }
    (surcharge + WARM_READ, refund)
}

/// A payment out of a contract to an account: as a `CALL` with value to it.
pub fn payment(cold: bool, empty: bool) -> u64 {
    let access = if cold { COLD_ACCOUNT } else { WARM_READ };
    access + CALL_VALUE + if empty { NEW_ACCOUNT } else { 0 }
}

/// A log with `topics` topics and `bytes` bytes of data.
pub fn log(topics: usize, bytes: usize) -> u64 {
    LOG + LOG_TOPIC * topics as u64 + LOG_BYTE * bytes as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;

    #[test]
    fn storage_writes_cost_what_the_evm_charges() {
        let (zero, one, two) = (U256::ZERO, U256::from(1), U256::from(2));
        // A fresh slot, cold: 22,100 as in Ethereum since Berlin.
        assert_eq!(sstore(zero, zero, one, true), (22_100, 0));
        // Updating a warm, clean slot: 2,900.
        assert_eq!(sstore(one, one, two, false), (2_900, 0));
        // Clearing a clean slot refunds 4,800.
        assert_eq!(sstore(one, one, zero, false), (2_900, 4_800));
        // Writing a slot back to its original value within the transaction.
        assert_eq!(sstore(zero, one, zero, false), (100, 19_900));
        assert_eq!(sstore(one, zero, one, false), (100, -4_800 + 2_800));
        // A no-op write.
        assert_eq!(sstore(one, one, one, true), (2_200, 0));
    }

    #[test]
    fn logs_and_payments_cost_what_the_evm_charges() {
        assert_eq!(log(2, 96), 375 + 750 + 768);
        assert_eq!(payment(true, true), 2_600 + 9_000 + 25_000);
        assert_eq!(payment(false, false), 100 + 9_000);
    }
}
