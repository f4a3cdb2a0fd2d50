//! Epochs, their randomness and their committees, kept in the contract's storage by a native
//! end-of-block step (no transaction: [`end_block`], run by the block executor after a
//! block's transactions).
//!
//! # Randomness
//!
//! Block `n` belongs to epoch `n / epochLength`. Every block folds its header's `mix_hash`
//! (revm's `prevrandao`) into the epoch's running value, `acc ← keccak256(acc ‖ mix_hash)`,
//! starting from zero. At the end of the last block of epoch `e`, the seed of epoch `e + 2`
//! is fixed as `seed(e+2) = keccak256(seed(e+1) ‖ acc(e))`, the committee of `e + 2` is
//! drawn with it and stored, and `acc` starts over. A committee is therefore known a whole
//! epoch before it serves, so its members can connect in time.
//!
//! Today a block's `mix_hash` is `keccak256(parent hash)`, which its proposer can steer by
//! choosing what its parent holds. The consensus engine is to put the proposer's VRF output
//! there (`vnt_vortex::committee`: unique for the key and the input, so a proposer chooses
//! only whether to publish, never what); this module needs no change for that.
//!
//! Genesis fixes `seed(0) = keccak256("VNT/staking/seed/0")`, `seed(1) = keccak256(seed(0))`
//! and draws the committees of epochs 0 and 1 from the validators it bonds
//! ([`super::StakingConfig::validators`]).
//!
//! # Draw
//!
//! `vnt_vortex::committee::elect(seed, epoch, candidates, committeeSize)` over the bonded
//! candidates that were never jailed, stakes as the contract holds them when the draw runs.
//! The committee that serves an epoch — runs its consensus engine, and so signs its votes
//! and certificates — is the *effective* one: the stored draw without the members jailed in
//! an earlier epoch ([`effective_committee`]; the `committee(epoch)` view). Jailing takes
//! effect at the next epoch boundary, and it is stable: a member jailed during epoch `e`
//! gets `jailedIn = e`, so no later report changes the committee of `e` or of any epoch
//! before it, and every node reads the same committee whenever it reads it. Evidence and
//! finality certificates of an epoch are checked against that same committee, whose member
//! indices their signer bitmaps refer to.
//!
//! Everything here is recomputable from headers and staking state alone; a test does so.

use super::storage::{self, Slots, address, data_slot, slot, small};
use crate::shielded::storage::mapping_slot;
use crate::system::{Step, Stop};
use alloy_primitives::{Address, B256, U256, keccak256};
use vnt_vortex::committee::{Candidate, CommitteeError, EpochSeed, elect};
use vnt_vortex::keys::{decode_bls_public_key, decode_identity};
use vnt_vortex::scheme::{CommitteeMember, ConsensusCommittee};

/// A committee member as stored: its account and the seats it drew.
pub type Member = (Address, u64);

/// The seed of epoch 0, before anything is known.
pub fn genesis_seed() -> B256 {
    keccak256(b"VNT/staking/seed/0")
}

/// `keccak256(acc ‖ mix_hash)`: one block folded into its epoch's randomness.
pub fn accumulate(accumulated: B256, mix_hash: B256) -> B256 {
    keccak256([accumulated.as_slice(), mix_hash.as_slice()].concat())
}

/// `seed(e+2) = keccak256(seed(e+1) ‖ acc(e))`.
pub fn next_seed(seed_after: B256, accumulated: B256) -> B256 {
    keccak256([seed_after.as_slice(), accumulated.as_slice()].concat())
}

pub fn epoch_length(s: &mut impl Slots) -> Step<u64> {
    s.load(slot::EPOCH_LENGTH).map(small)
}

/// The epoch block `number` belongs to.
pub fn epoch_of(s: &mut impl Slots, number: u64) -> Step<u64> {
    let length = epoch_length(s)?;
    if length == 0 {
        return Err(Stop::revert(
            "no epochs on this chain: its staking configuration has no epochLength",
        ));
    }
    Ok(number / length)
}

/// The last block of `epoch`.
pub fn last_block(s: &mut impl Slots, epoch: u64) -> Step<u64> {
    let length = epoch_length(s)?;
    Ok(epoch
        .saturating_add(1)
        .saturating_mul(length)
        .saturating_sub(1))
}

fn epoch_key(epoch: u64) -> B256 {
    B256::from(U256::from(epoch))
}

/// The seed of `epoch`, zero until it is fixed.
pub fn seed(s: &mut impl Slots, epoch: u64) -> Step<B256> {
    s.load(mapping_slot(slot::EPOCH_SEED, epoch_key(epoch)))
        .map(B256::from)
}

fn committee_slot(epoch: u64) -> U256 {
    mapping_slot(slot::COMMITTEE, epoch_key(epoch))
}

/// The committee drawn for `epoch`, jailed members included; `None` if its seed is not
/// fixed yet (or never will be: epochs before genesis's).
pub fn stored_committee(s: &mut impl Slots, epoch: u64) -> Step<Option<Vec<Member>>> {
    if seed(s, epoch)?.is_zero() {
        return Ok(None);
    }
    let length_slot = committee_slot(epoch);
    let count = small(s.load(length_slot)?);
    let data = data_slot(length_slot);
    let mut members = Vec::with_capacity(count as usize);
    for index in 0..count {
        let word = s.load(data + U256::from(index))?;
        members.push((address(word), small(word >> 160)));
    }
    Ok(Some(members))
}

fn store_committee(s: &mut impl Slots, epoch: u64, seed: B256, members: &[Member]) -> Step<()> {
    s.store(
        mapping_slot(slot::EPOCH_SEED, epoch_key(epoch)),
        seed.into(),
    )?;
    let length_slot = committee_slot(epoch);
    s.store(length_slot, U256::from(members.len()))?;
    let data = data_slot(length_slot);
    for (index, (account, seats)) in members.iter().enumerate() {
        let word = U256::from_be_slice(account.as_slice()) | (U256::from(*seats) << 160);
        s.store(data + U256::from(index), word)?;
    }
    Ok(())
}

fn jailed_slot(account: Address) -> U256 {
    mapping_slot(slot::JAILED_IN, account.into_word())
}

/// The epoch `account` was jailed in, if it was.
pub fn jailed_in(s: &mut impl Slots, account: Address) -> Step<Option<u64>> {
    let stored = small(s.load(jailed_slot(account))?);
    Ok(stored.checked_sub(1))
}

/// Jails `account` in `epoch`: it is in no committee drawn from now on, nor in the effective
/// committee of any later epoch. A validator already jailed keeps its earlier epoch: a later
/// report must not readmit it to the committees between the two.
pub fn jail(s: &mut impl Slots, account: Address, epoch: u64) -> Step<()> {
    if jailed_in(s, account)?.is_some() {
        return Ok(());
    }
    s.store(jailed_slot(account), U256::from(epoch.saturating_add(1)))
}

/// The committee that serves `epoch`: the stored one without members jailed in an earlier
/// epoch; `None` if it is not drawn yet.
pub fn effective_committee(s: &mut impl Slots, epoch: u64) -> Step<Option<Vec<Member>>> {
    let Some(members) = stored_committee(s, epoch)? else {
        return Ok(None);
    };
    let mut serving = Vec::with_capacity(members.len());
    for member in members {
        match jailed_in(s, member.0)? {
            Some(jailed) if jailed < epoch => {}
            _ => serving.push(member),
        }
    }
    Ok(Some(serving))
}

/// The draw candidates: bonded, never jailed, stakes as bonded now.
pub fn draw_candidates(s: &mut impl Slots) -> Step<Vec<Candidate>> {
    let mut out = Vec::new();
    for (account, stake) in storage::candidates(s)? {
        if jailed_in(s, account)?.is_none() {
            out.push(Candidate {
                id: account.0.0,
                // Stake is bounded by the token's supply, far below 2^128 wei.
                stake: stake.saturating_to(),
            });
        }
    }
    Ok(out)
}

/// Draws the committee of `epoch` with `seed` and stores both. Without candidates the
/// committee is empty (and the seed still fixed, so the epoch is known).
fn draw_and_store(s: &mut impl Slots, epoch: u64, seed: B256) -> Step<()> {
    let places = small(s.load(slot::COMMITTEE_SIZE)?).max(1) as usize;
    let candidates = draw_candidates(s)?;
    let members: Vec<Member> = match elect(&EpochSeed(seed.0), epoch, &candidates, places) {
        Ok(membership) => membership
            .members
            .into_iter()
            .map(|(id, seats)| (Address::from(id), seats as u64))
            .collect(),
        Err(CommitteeError::NoStake) => Vec::new(),
        Err(error) => return Err(Stop::Ledger(format!("committee draw failed: {error}"))),
    };
    store_committee(s, epoch, seed, &members)
}

/// Fixes the seeds and draws the committees of epochs 0 and 1 (module docs).
pub fn genesis(s: &mut impl Slots) -> Step<()> {
    let first = genesis_seed();
    draw_and_store(s, 0, first)?;
    draw_and_store(s, 1, keccak256(first))
}

/// The end-of-block step of block `number` with header `mix_hash` (module docs). Does
/// nothing on a chain without staking or epochs.
pub fn end_block(s: &mut impl Slots, number: u64, mix_hash: B256) -> Step<()> {
    let length = epoch_length(s)?;
    if length == 0 || storage::minimum_stake(s)?.is_zero() {
        return Ok(());
    }
    let accumulated = accumulate(s.load(slot::ACCUMULATED)?.into(), mix_hash);
    if number % length != length - 1 {
        return s.store(slot::ACCUMULATED, accumulated.into());
    }
    let epoch = number / length;
    let seed_after = seed(s, epoch + 1)?;
    let seed = next_seed(seed_after, accumulated);
    draw_and_store(s, epoch + 2, seed)?;
    s.store(slot::ACCUMULATED, U256::ZERO)
}

/// Why `epoch` has no stored committee to check its evidence against.
pub fn unknown_epoch(epoch: u64) -> Stop {
    Stop::revert(format!(
        "no committee is known for epoch {epoch}: the committees known are those of past \
         epochs, the current one and the next"
    ))
}

/// The committee that runs consensus in `epoch` on `chain_id`: the serving committee
/// ([`effective_committee`]), with each member's registered keys. Consensus votes,
/// certificates and evidence of `epoch` all refer to its members by their index in it.
pub fn consensus_committee(
    s: &mut impl Slots,
    chain_id: u64,
    epoch: u64,
) -> Step<ConsensusCommittee> {
    let serving = effective_committee(s, epoch)?.ok_or_else(|| unknown_epoch(epoch))?;
    committee_of(s, chain_id, epoch, serving)
}

/// The consensus committee of `stored` members of `epoch`, keys read from their
/// registrations (each BLS key decoded with its subgroup check: about 90 µs a member).
pub fn committee_of(
    s: &mut impl Slots,
    chain_id: u64,
    epoch: u64,
    stored: Vec<Member>,
) -> Step<ConsensusCommittee> {
    let mut members = Vec::with_capacity(stored.len());
    for (account, seats) in stored {
        let (identity, bls, _) = storage::keys(s, account)?;
        // Keys were checked at registration; a failure here is a broken ledger.
        let broken = |error: vnt_vortex::keys::KeyError| {
            Stop::Ledger(format!("stored keys of {account} do not decode: {error}"))
        };
        members.push(CommitteeMember {
            id: account.0.0,
            identity: decode_identity(identity.as_slice()).map_err(broken)?,
            bls: decode_bls_public_key(&bls).map_err(broken)?,
            seats: seats as usize,
        });
    }
    ConsensusCommittee::new(chain_id, epoch, members)
        .map_err(|error| Stop::revert(format!("epoch {epoch} has no usable committee: {error}")))
}
