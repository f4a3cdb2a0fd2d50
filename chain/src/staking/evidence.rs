//! `reportEvidence(bytes)`: two conflicting votes by one committee member slash and jail it.
//!
//! The bytes are `vnt_vortex::evidence::Evidence`. They are refused, by a named reason, when
//! they do not decode (or were altered, so a signature fails), when their epoch has no known
//! committee, when the window for that epoch has closed (`evidenceWindow` blocks after its
//! last block), and when the offender was already punished for that epoch: one slash per
//! offender and epoch, whatever the number of faults in it. The committee the votes are
//! checked against is the one that served their epoch and signed them
//! ([`epochs::effective_committee`]).
//!
//! On success `slashShareBps` of the offender's bonded stake and of each of its unbonding
//! entries is taken; `reporterShareBps` of that goes to `msg.sender` and the rest is burned
//! (taken off the contract's balance, so it leaves the supply, which is the sum of
//! balances). The offender is jailed ([`super::epochs::jail`]).

use super::abi::IStaking;
use super::epochs;
use super::gas;
use super::storage;
use crate::execution::wasm::FrameContext;
use crate::shielded::storage::mapping_slot;
use crate::system::{Frame, Step, Stop};
use alloy_primitives::{Address, U256, keccak256};
use alloy_sol_types::SolEvent;
use vnt_vortex::evidence::{Evidence, Fault};

fn fault_code(fault: Fault) -> u8 {
    match fault {
        Fault::ConflictingNotarize => 1,
        Fault::ConflictingFinalize => 2,
        Fault::NullifyFinalize => 3,
    }
}

fn punished_slot(offender: Address, epoch: u64) -> U256 {
    let key = keccak256([offender.as_slice(), &epoch.to_be_bytes()].concat());
    mapping_slot(storage::slot::PUNISHED, key)
}

pub(super) fn report<CTX: FrameContext>(frame: &mut Frame<'_, CTX>, bytes: &[u8]) -> Step<Vec<u8>> {
    frame.charge(gas::EVIDENCE_DECODE)?;
    let evidence = Evidence::decode(bytes)
        .map_err(|error| Stop::revert(format!("evidence refused: {error}")))?;
    let epoch = evidence.round().epoch().get();
    let now = frame.block_number();
    let current = epochs::epoch_of(frame, now)?;
    if epoch <= current {
        let closes =
            epochs::last_block(frame, epoch)?.saturating_add(storage::load_evidence_window(frame)?);
        if now > closes {
            return Err(Stop::revert(format!(
                "evidence of epoch {epoch} is too late: its window closed at block {closes}, \
                 this is block {now}"
            )));
        }
    }
    let chain_id = frame.chain_id();
    let serving =
        epochs::effective_committee(frame, epoch)?.ok_or_else(|| epochs::unknown_epoch(epoch))?;
    frame.charge(gas::MEMBER_KEYS.saturating_mul(serving.len() as u64))?;
    let committee = epochs::committee_of(frame, chain_id, epoch, serving)?;
    frame.charge(gas::EVIDENCE_CHECK)?;
    let offence = evidence
        .check(&committee)
        .map_err(|error| Stop::revert(format!("evidence refused: {error}")))?;
    let offender = Address::from(offence.offender);
    let punished = punished_slot(offender, epoch);
    if !frame.load(punished)?.is_zero() {
        return Err(Stop::revert(format!(
            "{offender} was already punished for epoch {epoch}"
        )));
    }
    frame.store(punished, U256::from(1))?;

    let share = storage::load_slash_share(frame)?;
    let bonded = storage::bonded(frame, offender)?;
    let from_bond = storage::share_of(bonded, share);
    if !from_bond.is_zero() {
        storage::take_bond(frame, offender, from_bond)?;
    }
    let from_unbonding = storage::slash_entries(frame, offender, share)?;
    let slashed = from_bond + from_unbonding;
    let reward = storage::share_of(slashed, storage::load_reporter_share(frame)?);
    let burned = slashed - reward;
    epochs::jail(frame, offender, current)?;
    let event = IStaking::Slashed {
        offender,
        reporter: frame.caller,
        epoch,
        view: offence.view,
        fault: fault_code(offence.fault),
        slashed,
        reward,
        burned,
    };
    frame.log(event.encode_log_data())?;
    let reporter = frame.caller;
    frame.pay(reporter, reward)?;
    frame.burn(burned)?;
    Ok(Vec::new())
}
