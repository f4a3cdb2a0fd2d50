//! The chain's seams into the staking contract outside transactions: its end-of-block step
//! ([`super::epochs::end_block`], [`super::rewards::end_block`]) run over the block's state
//! cache, seals and reward certificates checked on a parent's state before a block runs,
//! and read-only access to the committees for the consensus engine
//! ([`consensus_committee`]).
//!
//! Reads go to the cache and, below it, the ledger; writes are buffered and committed to the
//! cache as one touched account, so they land in the block's state diff like a
//! transaction's, with the balances the block's rewards move. The step pays no gas: it is
//! the chain's own bookkeeping, and its work is bounded (a few slots a block; at an epoch's
//! end a draw over at most `MAX_CANDIDATES`; a payment to each signer of at most one
//! certificate).

use super::STAKING;
use super::rewards::{CertifiedBlock, Claim, Payments, RewardState};
use super::storage::Slots;
use crate::system::{Step, Stop};
use alloy_primitives::{Address, B256, U256};
use revm::database::CacheDB;
use revm::database_interface::{DatabaseCommit, DatabaseRef};
use revm::state::{Account, EvmStorageSlot};
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

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

/// What block `number`'s end-of-block step needs to know of the block besides the state.
#[derive(Clone, Copy, Debug)]
pub struct BlockEnd<'a> {
    pub number: u64,
    pub mix_hash: B256,
    pub beneficiary: Address,
    /// The finalization certificate the block carries, checked before it ran.
    pub certified: Option<&'a CertifiedBlock>,
}

/// Runs the staking contract's end-of-block step for `block` on `db`: epochs
/// ([`super::epochs::end_block`]) and rewards ([`super::rewards::end_block`]). `Err` is a
/// ledger failure.
pub fn end_block<DB: DatabaseRef>(db: &mut CacheDB<DB>, block: &BlockEnd) -> Result<(), String>
where
    DB::Error: std::fmt::Display,
{
    let mut slots = CacheSlots {
        db,
        writes: BTreeMap::new(),
    };
    let payments = super::epochs::end_block(&mut slots, block.number, block.mix_hash)
        .and_then(|()| super::rewards::end_block(&mut slots, block.beneficiary, block.certified));
    let payments = match payments {
        Ok(payments) => payments,
        Err(Stop::Ledger(error)) => return Err(error),
        Err(Stop::Revert(reason)) => return Err(format!("staking end of block: {reason}")),
        Err(Stop::OutOfGas) => return Err("staking end of block ran out of gas".into()),
    };
    let writes = slots.writes;
    commit(db, writes, payments)
}

/// Commits the contract's slot `writes` and the balances `payments` moves to `db`, each
/// changed account once, so they land in the block's state diff like a transaction's.
fn commit<DB: DatabaseRef>(
    db: &mut CacheDB<DB>,
    writes: BTreeMap<U256, U256>,
    payments: Payments,
) -> Result<(), String>
where
    DB::Error: std::fmt::Display,
{
    let mut changed: BTreeMap<Address, Account> = BTreeMap::new();
    let moves_contract_balance =
        !payments.into_contract.is_zero() || !payments.out_of_contract.is_zero();
    if !writes.is_empty() || moves_contract_balance {
        let info = db
            .basic_ref(STAKING)
            .map_err(|error| error.to_string())?
            .ok_or_else(|| format!("the staking contract's account {STAKING} is missing"))?;
        let mut account = Account::from(info);
        let balance = account.info.balance;
        account.info.balance = balance
            .checked_add(payments.into_contract)
            .and_then(|sum| sum.checked_sub(payments.out_of_contract))
            .ok_or_else(|| {
                format!(
                    "the staking contract's balance {balance} cannot take in {} and pay out {}",
                    payments.into_contract, payments.out_of_contract
                )
            })?;
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
        changed.insert(STAKING, account);
    }
    for (address, amount) in payments.credits {
        let account = match changed.entry(address) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let info = db.basic_ref(address).map_err(|error| error.to_string())?;
                entry.insert(Account::from(info.unwrap_or_default()))
            }
        };
        account.info.balance = account
            .info
            .balance
            .checked_add(amount)
            .ok_or_else(|| format!("the balance of {address} overflows"))?;
    }
    if changed.is_empty() {
        return Ok(());
    }
    for account in changed.values_mut() {
        account.mark_touch();
    }
    db.commit(changed.into_iter().collect());
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

/// Checks the finalization certificate `claim` on the `state` of the parent of the block
/// carrying it, for `chain_id`, the block it finalizes being the ancestor numbered `number`
/// ([`Claim::check`]).
pub fn check_certificate(
    state: &crate::state::WorldState,
    chain_id: u64,
    claim: &Claim,
    number: u64,
) -> Result<CertifiedBlock, super::rewards::CertificateError> {
    claim.check(&mut StateSlots(state), chain_id, number)
}

/// The reward bookkeeping as `state` stores it.
pub fn reward_state(state: &crate::state::WorldState) -> Result<RewardState, String> {
    super::rewards::reward_state(&mut StateSlots(state)).map_err(|stop| match stop {
        Stop::Revert(reason) | Stop::Ledger(reason) => reason,
        Stop::OutOfGas => "out of gas".into(),
    })
}

/// The consensus committee of `epoch` on `chain_id` as `state` stores it: the serving
/// committee (members jailed in an earlier epoch left out), which that epoch's engine runs
/// and whose indices its votes, certificates and evidence use; for the consensus engine and
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
