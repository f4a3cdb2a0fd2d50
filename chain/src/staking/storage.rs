//! The staking contract's state in its account's storage.
//!
//! The layout is what this Solidity declaration would give, so `eth_getStorageAt` and
//! storage proofs read it with the usual rules (a mapping's entry for key `k` at slot `s`
//! lives at `keccak256(k ‖ s)`, a dynamic array's elements from `keccak256(s)`):
//!
//! ```solidity
//! uint256 minimumStake;                      // slot 0, set at genesis
//! uint64 unbondingPeriod;                    // slot 1, set at genesis (blocks)
//! uint64 evidenceWindow;                     // slot 2, set at genesis (blocks)
//! uint16 slashShareBps;                      // slot 3, set at genesis
//! uint16 reporterShareBps;                   // slot 4, set at genesis
//! uint256 totalBonded;                       // slot 5
//! address[] candidates;                      // slot 6: validators with bonded stake
//! mapping(address => Validator) validators;  // slot 7
//! mapping(bytes32 => address) identityOwner; // slot 8
//! mapping(bytes32 => address) blsKeyOwner;   // slot 9, keyed by keccak256 of the key
//! uint64 epochLength;                        // slot 10, set at genesis (blocks)
//! uint64 committeeSize;                      // slot 11, set at genesis (members)
//! bytes32 accumulated;                       // slot 12: the current epoch's randomness so far
//! mapping(uint64 => bytes32) epochSeed;      // slot 13: zero until fixed
//! mapping(uint64 => uint256[]) committee;    // slot 14: members as address | seats << 160
//! mapping(address => uint64) jailedIn;       // slot 15: epoch of the jailing + 1, 0 if never
//! mapping(bytes32 => bool) punished;         // slot 16, keyed by keccak256(offender ‖ epoch)
//! uint256 blockReward;                       // slot 17, set at genesis (wei a block)
//! uint256 routePool;                         // slot 18: the route reward pool's wei
//! uint256 unpaidCommitteeReward;             // slot 19: committee shares not yet paid
//! uint64 lastRewardedBlock;                  // slot 20: last block whose committee is paid
//! struct Validator {
//!     bytes32 identity;                      // +0
//!     bytes32 vrfPublicKey;                  // +1
//!     bytes blsPublicKey;                    // +2: 96 bytes, so the long form: 2·96+1 here,
//!                                            //     the data in 3 words from keccak256(+2)
//!     uint256 bonded;                        // +3
//!     uint64 candidatePosition;              // +4: index in candidates + 1, 0 if absent
//!     uint64 unbondingHead;                  // +5: first entry not yet withdrawn
//!     Entry[] unbonding;                     // +6: {uint256 amount; uint64 maturesAt}
//! }
//! ```
//!
//! The parameters sit in separate slots rather than packed: a read costs the same and the
//! code stays plain. Unbonding entries are appended in maturity order (the period is fixed
//! and block numbers grow), so the matured ones are always a prefix from `unbondingHead`.

use super::{MAX_CANDIDATES, StakingConfig};
use crate::shielded::storage::mapping_slot;
use crate::system::{Step, Stop};
use alloy_primitives::{Address, B256, U256, keccak256};
use std::collections::BTreeMap;
use vnt_vortex::keys::BLS_PUBLIC_KEY_LEN;

/// Slot numbers of the layout in the module documentation.
pub mod slot {
    use alloy_primitives::U256;

    pub const MINIMUM_STAKE: U256 = U256::from_limbs([0, 0, 0, 0]);
    pub const UNBONDING_PERIOD: U256 = U256::from_limbs([1, 0, 0, 0]);
    pub const EVIDENCE_WINDOW: U256 = U256::from_limbs([2, 0, 0, 0]);
    pub const SLASH_SHARE: U256 = U256::from_limbs([3, 0, 0, 0]);
    pub const REPORTER_SHARE: U256 = U256::from_limbs([4, 0, 0, 0]);
    pub const TOTAL_BONDED: U256 = U256::from_limbs([5, 0, 0, 0]);
    pub const CANDIDATES: u64 = 6;
    pub const VALIDATORS: u64 = 7;
    pub const IDENTITY_OWNER: u64 = 8;
    pub const BLS_KEY_OWNER: u64 = 9;
    pub const EPOCH_LENGTH: U256 = U256::from_limbs([10, 0, 0, 0]);
    pub const COMMITTEE_SIZE: U256 = U256::from_limbs([11, 0, 0, 0]);
    pub const ACCUMULATED: U256 = U256::from_limbs([12, 0, 0, 0]);
    pub const EPOCH_SEED: u64 = 13;
    pub const COMMITTEE: u64 = 14;
    pub const JAILED_IN: u64 = 15;
    pub const PUNISHED: u64 = 16;
    pub const BLOCK_REWARD: U256 = U256::from_limbs([17, 0, 0, 0]);
    pub const ROUTE_POOL: U256 = U256::from_limbs([18, 0, 0, 0]);
    pub const UNPAID_COMMITTEE_REWARD: U256 = U256::from_limbs([19, 0, 0, 0]);
    pub const LAST_REWARDED_BLOCK: U256 = U256::from_limbs([20, 0, 0, 0]);
}

/// Offsets of a `Validator`'s fields from its first slot.
mod field {
    pub const IDENTITY: u64 = 0;
    pub const VRF: u64 = 1;
    pub const BLS: u64 = 2;
    pub const BONDED: u64 = 3;
    pub const POSITION: u64 = 4;
    pub const HEAD: u64 = 5;
    pub const UNBONDING: u64 = 6;
}

/// Words of a BLS public key in storage.
const BLS_WORDS: usize = BLS_PUBLIC_KEY_LEN.div_ceil(32);

/// The contract account's storage, as the staking logic reads and writes it.
pub trait Slots {
    fn load(&mut self, slot: U256) -> Step<U256>;
    fn store(&mut self, slot: U256, value: U256) -> Step<()>;
}

impl<CTX: crate::execution::wasm::FrameContext> Slots for crate::system::Frame<'_, CTX> {
    fn load(&mut self, slot: U256) -> Step<U256> {
        crate::system::Frame::load(self, slot)
    }
    fn store(&mut self, slot: U256, value: U256) -> Step<()> {
        crate::system::Frame::store(self, slot, value)
    }
}

/// The first slot of the dynamic data behind slot `slot` (array elements, long bytes).
pub(super) fn data_slot(slot: U256) -> U256 {
    U256::from_be_bytes(keccak256(slot.to_be_bytes::<32>()).0)
}

fn validator_slot(account: Address, offset: u64) -> U256 {
    mapping_slot(slot::VALIDATORS, account.into_word()) + U256::from(offset)
}

pub(super) fn small(value: U256) -> u64 {
    // Counters and block numbers are written only by this module and fit in 64 bits.
    value.saturating_to()
}

pub(super) fn address(value: U256) -> Address {
    Address::from_word(B256::from(value))
}

/// The chain parameters genesis stored.
pub fn minimum_stake(s: &mut impl Slots) -> Step<U256> {
    s.load(slot::MINIMUM_STAKE)
}

pub fn unbonding_period(s: &mut impl Slots) -> Step<u64> {
    s.load(slot::UNBONDING_PERIOD).map(small)
}

pub fn load_evidence_window(s: &mut impl Slots) -> Step<u64> {
    s.load(slot::EVIDENCE_WINDOW).map(small)
}

/// The slash share in basis points (genesis stores at most [`super::BPS`]).
pub fn load_slash_share(s: &mut impl Slots) -> Step<u16> {
    s.load(slot::SLASH_SHARE).map(|v| v.saturating_to())
}

pub fn load_reporter_share(s: &mut impl Slots) -> Step<u16> {
    s.load(slot::REPORTER_SHARE).map(|v| v.saturating_to())
}

pub fn total_bonded(s: &mut impl Slots) -> Step<U256> {
    s.load(slot::TOTAL_BONDED)
}

fn add_total(s: &mut impl Slots, delta: U256, bond: bool) -> Step<()> {
    let total = total_bonded(s)?;
    let next = if bond {
        total.checked_add(delta)
    } else {
        total.checked_sub(delta)
    };
    let next = next.ok_or_else(|| Stop::Ledger(format!("total bonded {total} out of range")))?;
    s.store(slot::TOTAL_BONDED, next)
}

/// The owner of a registered identity or BLS key (`Address::ZERO` if none).
pub fn identity_owner(s: &mut impl Slots, identity: B256) -> Step<Address> {
    s.load(mapping_slot(slot::IDENTITY_OWNER, identity))
        .map(address)
}

pub fn bls_key_owner(s: &mut impl Slots, key: &[u8]) -> Step<Address> {
    s.load(mapping_slot(slot::BLS_KEY_OWNER, keccak256(key)))
        .map(address)
}

/// Whether `account` has registered (its BLS key slot is set from registration on).
pub fn is_registered(s: &mut impl Slots, account: Address) -> Step<bool> {
    Ok(!s.load(validator_slot(account, field::BLS))?.is_zero())
}

/// Records a registration: keys, owners, no stake yet.
pub fn record_registration(
    s: &mut impl Slots,
    account: Address,
    identity: B256,
    bls: &[u8],
    vrf: B256,
) -> Step<()> {
    s.store(validator_slot(account, field::IDENTITY), identity.into())?;
    s.store(validator_slot(account, field::VRF), vrf.into())?;
    let bls_slot = validator_slot(account, field::BLS);
    s.store(bls_slot, U256::from(2 * bls.len() + 1))?;
    let data = data_slot(bls_slot);
    for (index, chunk) in bls.chunks(32).enumerate() {
        let mut word = [0u8; 32];
        word[..chunk.len()].copy_from_slice(chunk);
        s.store(data + U256::from(index), U256::from_be_bytes(word))?;
    }
    let owner = U256::from_be_slice(account.as_slice());
    s.store(mapping_slot(slot::IDENTITY_OWNER, identity), owner)?;
    s.store(mapping_slot(slot::BLS_KEY_OWNER, keccak256(bls)), owner)
}

/// A registration's keys: identity, BLS key, VRF key.
pub fn keys(s: &mut impl Slots, account: Address) -> Step<(B256, Vec<u8>, B256)> {
    let identity = s.load(validator_slot(account, field::IDENTITY))?.into();
    let vrf = s.load(validator_slot(account, field::VRF))?.into();
    let bls_slot = validator_slot(account, field::BLS);
    let data = data_slot(bls_slot);
    let mut bls = Vec::with_capacity(BLS_WORDS * 32);
    for index in 0..BLS_WORDS {
        bls.extend_from_slice(&s.load(data + U256::from(index))?.to_be_bytes::<32>());
    }
    bls.truncate(BLS_PUBLIC_KEY_LEN);
    Ok((identity, bls, vrf))
}

pub fn bonded(s: &mut impl Slots, account: Address) -> Step<U256> {
    s.load(validator_slot(account, field::BONDED))
}

/// Bonds `amount` more for `account`, entering it into the candidates if it had none.
pub fn bond(s: &mut impl Slots, account: Address, amount: U256) -> Step<U256> {
    let before = bonded(s, account)?;
    let after = before
        .checked_add(amount)
        .ok_or_else(|| Stop::revert("bonded stake would overflow"))?;
    if before.is_zero() {
        let count = small(s.load(U256::from(slot::CANDIDATES))?);
        if count >= MAX_CANDIDATES {
            return Err(Stop::revert(format!(
                "the candidate list is full: {MAX_CANDIDATES} validators are bonded"
            )));
        }
        let list = data_slot(U256::from(slot::CANDIDATES));
        s.store(list + U256::from(count), account.into_word().into())?;
        s.store(U256::from(slot::CANDIDATES), U256::from(count + 1))?;
        s.store(
            validator_slot(account, field::POSITION),
            U256::from(count + 1),
        )?;
    }
    s.store(validator_slot(account, field::BONDED), after)?;
    add_total(s, amount, true)?;
    Ok(after)
}

/// Takes `amount` (at most what is bonded) out of `account`'s bond, leaving the candidates
/// when nothing stays bonded. The last candidate takes the leaver's place.
pub fn take_bond(s: &mut impl Slots, account: Address, amount: U256) -> Step<U256> {
    let after = bonded(s, account)?
        .checked_sub(amount)
        .ok_or_else(|| Stop::Ledger(format!("{account} unbonds more than it has")))?;
    s.store(validator_slot(account, field::BONDED), after)?;
    add_total(s, amount, false)?;
    if after.is_zero() {
        let position = small(s.load(validator_slot(account, field::POSITION))?);
        let count = small(s.load(U256::from(slot::CANDIDATES))?);
        if position == 0 || position > count {
            return Err(Stop::Ledger(format!(
                "{account} is bonded but not among the candidates"
            )));
        }
        let list = data_slot(U256::from(slot::CANDIDATES));
        let last = s.load(list + U256::from(count - 1))?;
        if position != count {
            s.store(list + U256::from(position - 1), last)?;
            s.store(
                validator_slot(address(last), field::POSITION),
                U256::from(position),
            )?;
        }
        s.store(list + U256::from(count - 1), U256::ZERO)?;
        s.store(U256::from(slot::CANDIDATES), U256::from(count - 1))?;
        s.store(validator_slot(account, field::POSITION), U256::ZERO)?;
    }
    Ok(after)
}

/// The bonded candidates with their stakes, in list order.
pub fn candidates(s: &mut impl Slots) -> Step<Vec<(Address, U256)>> {
    let count = small(s.load(U256::from(slot::CANDIDATES))?);
    let list = data_slot(U256::from(slot::CANDIDATES));
    let mut out = Vec::with_capacity(count as usize);
    for index in 0..count {
        let account = address(s.load(list + U256::from(index))?);
        out.push((account, bonded(s, account)?));
    }
    Ok(out)
}

/// One unbonding entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub amount: U256,
    pub matures_at: u64,
}

/// The entries not yet withdrawn: the first slot of the array and the index range.
fn queue(s: &mut impl Slots, account: Address) -> Step<(U256, u64, u64)> {
    let head = small(s.load(validator_slot(account, field::HEAD))?);
    let len_slot = validator_slot(account, field::UNBONDING);
    let len = small(s.load(len_slot)?);
    Ok((data_slot(len_slot), head, len))
}

/// The entries not yet withdrawn, oldest first.
pub fn pending(s: &mut impl Slots, account: Address) -> Step<Vec<Entry>> {
    let (data, head, len) = queue(s, account)?;
    let mut entries = Vec::new();
    for index in head..len {
        let at = data + U256::from(2 * index);
        let amount = s.load(at)?;
        let matures_at = small(s.load(at + U256::from(1))?);
        entries.push(Entry { amount, matures_at });
    }
    Ok(entries)
}

/// Appends an entry; the caller has checked the queue's bound.
pub fn push_entry(s: &mut impl Slots, account: Address, entry: Entry) -> Step<()> {
    let (data, _, len) = queue(s, account)?;
    let at = data + U256::from(2 * len);
    s.store(at, entry.amount)?;
    s.store(at + U256::from(1), U256::from(entry.matures_at))?;
    s.store(
        validator_slot(account, field::UNBONDING),
        U256::from(len + 1),
    )
}

/// Removes the first `count` pending entries, clearing their slots (which refunds gas) and
/// resetting the array once it is empty so it never grows without bound.
pub fn drop_entries(s: &mut impl Slots, account: Address, count: u64) -> Step<()> {
    let (data, head, len) = queue(s, account)?;
    for index in head..head + count {
        let at = data + U256::from(2 * index);
        s.store(at, U256::ZERO)?;
        s.store(at + U256::from(1), U256::ZERO)?;
    }
    let head = head + count;
    let (head, len) = if head == len { (0, 0) } else { (head, len) };
    s.store(validator_slot(account, field::HEAD), U256::from(head))?;
    s.store(validator_slot(account, field::UNBONDING), U256::from(len))
}

/// Takes `share_bps` basis points of every pending entry of `account`; returns the total
/// taken. Maturities stay as they were.
pub fn slash_entries(s: &mut impl Slots, account: Address, share_bps: u16) -> Step<U256> {
    let (data, head, len) = queue(s, account)?;
    let mut taken = U256::ZERO;
    for index in head..len {
        let at = data + U256::from(2 * index);
        let amount = s.load(at)?;
        let cut = share_of(amount, share_bps);
        if !cut.is_zero() {
            s.store(at, amount - cut)?;
            taken += cut;
        }
    }
    Ok(taken)
}

/// `share_bps` (at most [`super::BPS`]) basis points of `amount`, rounded down. Split as
/// `amount = q·BPS + r` so that no product overflows: the share is `q·bps + r·bps / BPS`.
pub fn share_of(amount: U256, share_bps: u16) -> U256 {
    let (whole, share) = (
        U256::from(super::BPS),
        U256::from(share_bps.min(super::BPS)),
    );
    let (q, r) = amount.div_rem(whole);
    q * share + r * share / whole
}

/// Storage as a map, for building the contract's genesis state with the same functions
/// transactions use.
#[derive(Default)]
pub struct MapSlots(pub BTreeMap<U256, U256>);

impl Slots for MapSlots {
    fn load(&mut self, slot: U256) -> Step<U256> {
        Ok(self.0.get(&slot).copied().unwrap_or_default())
    }
    fn store(&mut self, slot: U256, value: U256) -> Step<()> {
        self.0.insert(slot, value);
        Ok(())
    }
}

/// The contract's storage at genesis: its parameters, the genesis validators registered and
/// bonded, and the seeds and committees of epochs 0 and 1 ([`super::epochs::genesis`]).
/// The configuration is assumed valid ([`StakingConfig::validate`]); a validator it could
/// not record is left out, and validation names the fault.
pub fn genesis_storage(config: &StakingConfig) -> BTreeMap<B256, B256> {
    let mut slots = MapSlots::default();
    for (slot, value) in [
        (slot::MINIMUM_STAKE, config.minimum_stake),
        (slot::UNBONDING_PERIOD, U256::from(config.unbonding_period)),
        (slot::EVIDENCE_WINDOW, U256::from(config.evidence_window)),
        (slot::SLASH_SHARE, U256::from(config.slash_share_bps)),
        (slot::REPORTER_SHARE, U256::from(config.reporter_share_bps)),
        (slot::EPOCH_LENGTH, U256::from(config.epoch_length)),
        (slot::COMMITTEE_SIZE, U256::from(config.committee_size)),
        (slot::BLOCK_REWARD, config.block_reward),
    ] {
        slots.0.insert(slot, value);
    }
    for validator in &config.validators {
        let _ = record_registration(
            &mut slots,
            validator.account,
            validator.identity,
            &validator.bls_public_key,
            validator.vrf_public_key,
        )
        .and_then(|()| bond(&mut slots, validator.account, validator.stake));
    }
    let _ = super::epochs::genesis(&mut slots);
    slots
        .0
        .into_iter()
        .filter(|(_, value)| !value.is_zero())
        .map(|(slot, value)| (B256::from(slot), B256::from(value)))
        .collect()
}
