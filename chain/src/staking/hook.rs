//! The chain's seams into the staking contract outside transactions: its end-of-block step
//! ([`super::epochs::end_block`]) run over the block's state cache, and read-only access to
//! the committees for the consensus engine ([`consensus_committee`]).
//!
//! Reads go to the cache and, below it, the ledger; writes are buffered and committed to the
//! cache as one touched account, so they land in the block's state diff like a
//! transaction's. The step pays no gas: it is the chain's own bookkeeping, and its work is
//! bounded (one slot a block; at an epoch's end a draw over at most `MAX_CANDIDATES`).

use super::STAKING;
use super::storage::Slots;
use crate::system::{Step, Stop};
use alloy_primitives::{B256, U256};
use revm::database::CacheDB;
use revm::database_interface::{DatabaseCommit, DatabaseRef};
use revm::state::{Account, EvmStorageSlot};
use std::collections::BTreeMap;

/// The contract's storage over a block's state cache, writes held back until committed.
struct CacheSlots<'a, DB> {
    db: &'a CacheDB<DB>,
    writes: BTreeMap<U256, U256>,
}

impl<DB: DatabaseRef> Slots for CacheSlots<'_, DB>
where
    DB::Error: std::fmt::Display,
{
    fn load(&mut self, slot: U256) -> Step<U256> {
        if let Some(value) = self.writes.get(&slot) {
            return Ok(*value);
        }
        self.db
            .storage_ref(STAKING, slot)
            .map_err(|error| Stop::Ledger(error.to_string()))
    }

    fn store(&mut self, slot: U256, value: U256) -> Step<()> {
        self.writes.insert(slot, value);
        Ok(())
    }
}

/// Runs the staking contract's end-of-block step for block `number` with header
/// `mix_hash` on `db`. `Err` is a ledger failure.
pub fn end_block<DB: DatabaseRef>(
    db: &mut CacheDB<DB>,
    number: u64,
    mix_hash: B256,
) -> Result<(), String>
where
    DB::Error: std::fmt::Display,
{
    let mut slots = CacheSlots {
        db,
        writes: BTreeMap::new(),
    };
    match super::epochs::end_block(&mut slots, number, mix_hash) {
        Ok(()) => {}
        Err(Stop::Ledger(error)) => return Err(error),
        Err(Stop::Revert(reason)) => return Err(format!("staking end of block: {reason}")),
        Err(Stop::OutOfGas) => return Err("staking end of block ran out of gas".into()),
    }
    let writes = slots.writes;
    if writes.is_empty() {
        return Ok(());
    }
    let info = db
        .basic_ref(STAKING)
        .map_err(|error| error.to_string())?
        .ok_or_else(|| format!("the staking contract's account {STAKING} is missing"))?;
    let mut account = Account::from(info);
    for (slot, value) in writes {
        let original = db.storage_ref(STAKING, slot).map_err(|e| e.to_string())?;
        account.storage.insert(
            slot,
            EvmStorageSlot {
                original_value: original,
                present_value: value,
                ..Default::default()
            },
        );
    }
    account.mark_touch();
    db.commit([(STAKING, account)].into_iter().collect());
    Ok(())
}

/// The contract's storage in a world state, read-only.
struct StateSlots<'a>(&'a crate::state::WorldState);

impl Slots for StateSlots<'_> {
    fn load(&mut self, slot: U256) -> Step<U256> {
        Ok(self.0.storage(&STAKING, slot))
    }

    fn store(&mut self, _: U256, _: U256) -> Step<()> {
        Err(Stop::Ledger("the staking state is read-only here".into()))
    }
}

/// Seals block `number` on its parent's `state` with `sealer`'s VRF: the block's randomness
/// and its `extra_data` ([`super::seal`]).
pub fn seal_block(
    state: &crate::state::WorldState,
    number: u64,
    sealer: &super::seal::Sealer,
) -> Result<(B256, alloy_primitives::Bytes), super::seal::SealError> {
    super::seal::seal(&mut StateSlots(state), number, sealer)
}

/// The randomness the seal in block `number`'s `extra_data` proves on its parent's `state`.
pub fn open_seal(
    state: &crate::state::WorldState,
    number: u64,
    extra_data: &[u8],
) -> Result<B256, super::seal::SealError> {
    super::seal::open(&mut StateSlots(state), number, extra_data)
}

/// The consensus committee of `epoch` on `chain_id` as `state` stores it (members jailed
/// later included: evidence's signer indices refer to it), for the consensus engine and
/// for checking evidence off chain. `Err` says why there is none (not drawn yet, empty).
pub fn consensus_committee(
    state: &crate::state::WorldState,
    chain_id: u64,
    epoch: u64,
) -> Result<vnt_vortex::scheme::ConsensusCommittee, String> {
    super::epochs::consensus_committee(&mut StateSlots(state), chain_id, epoch).map_err(|stop| {
        match stop {
            Stop::Revert(reason) | Stop::Ledger(reason) => reason,
            Stop::OutOfGas => "out of gas".into(),
        }
    })
}

/// The members serving `epoch` (those jailed in an earlier epoch left out) with their
/// seats, as `state` stores them; `None` if the committee is not drawn yet.
pub fn effective_committee(
    state: &crate::state::WorldState,
    epoch: u64,
) -> Option<Vec<super::epochs::Member>> {
    super::epochs::effective_committee(&mut StateSlots(state), epoch)
        .ok()
        .flatten()
}
