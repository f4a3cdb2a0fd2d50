//! `transact`: the checks and effects of one spend, in the order the module documentation
//! of [`super`] lists them.

use super::abi::{IShieldedPool, Transact, statement};
use super::storage;
use super::{Frame, POOL_UNIT_WEI, Preverified, SHIELDED_POOL, Step, Stop, gas, keys};
use crate::execution::wasm::FrameContext;
use alloy_primitives::{B256, U256};
use alloy_sol_types::SolEvent;
use vnt_zk::verify::{SpendProof, field_to_bytes};

pub(super) fn transact<CTX: FrameContext>(
    frame: &mut Frame<'_, CTX>,
    call: &Transact,
    key_hash: B256,
    preverified: &Preverified,
) -> Step<Vec<u8>> {
    let public = statement(call, frame.chain_id(), frame.caller)?;
    let sent = frame.value;
    if sent != wei(public.public_in) {
        return Err(Stop::revert(format!(
            "value sent does not match publicIn: {sent} wei sent, publicIn {} is {} wei",
            public.public_in,
            wei(public.public_in)
        )));
    }
    // Paying the pool from itself would destroy notes and keep their value, leaving a
    // balance no note accounts for.
    if public.public_out > 0 && call.recipient == SHIELDED_POOL {
        return Err(Stop::revert("the pool cannot pay itself"));
    }
    if call.nullifiers[0] == call.nullifiers[1] {
        return Err(Stop::revert("duplicate nullifier in one transaction"));
    }
    if !storage::is_known_root(frame, call.root)? {
        return Err(Stop::revert("unknown root"));
    }
    for nullifier in call.nullifiers {
        if storage::is_spent(frame, nullifier)? {
            return Err(Stop::revert("nullifier already spent"));
        }
    }
    let leaving = wei(public.public_out) + wei(public.fee);
    if leaving > frame.pool_balance()? {
        return Err(Stop::revert(
            "the pool's balance cannot cover publicOut + fee",
        ));
    }
    // Decoding the points (their subgroup checks) is part of the priced proof check, so a
    // bad point costs what a check costs.
    frame.charge(gas::VERIFY)?;
    let proof = SpendProof::from_bytes(&call.proof).map_err(|e| Stop::revert(e.to_string()))?;
    let valid = match preverified.verdict(key_hash, &call.proof, &public) {
        Some(verdict) => verdict,
        None => {
            let verifier = keys::verifier(&key_hash).ok_or_else(|| {
                // A node refuses to open a chain whose key it cannot load, so this is a
                // broken installation, not a bad transaction: stop rather than revert.
                Stop::Ledger(format!("verifying key {key_hash} is not loaded"))
            })?;
            verifier.verify(&proof, &public).is_ok()
        }
    };
    if !valid {
        return Err(Stop::revert(
            vnt_zk::verify::VerifyError::Invalid.to_string(),
        ));
    }

    for nullifier in call.nullifiers {
        storage::mark_spent(frame, nullifier)?;
    }
    let [left, right] = public.commitments;
    let (position, root) = storage::append_pair(frame, left, right)?;
    storage::record_root(frame, root)?;
    for (offset, (commitment, note)) in public
        .commitments
        .iter()
        .zip(&call.encryptedNotes)
        .enumerate()
    {
        let event = IShieldedPool::NoteCommitted {
            position: position + offset as u64,
            commitment: B256::from(field_to_bytes(*commitment)),
            encryptedNote: note.clone(),
        };
        frame.log(event.encode_log_data())?;
    }
    for nullifier in call.nullifiers {
        frame.log(IShieldedPool::NullifierSpent { nullifier }.encode_log_data())?;
    }
    frame.pay(call.recipient, wei(public.public_out))?;
    let caller = frame.caller;
    frame.pay(caller, wei(public.fee))?;
    Ok(Vec::new())
}

/// `units` pool units in wei.
fn wei(units: u64) -> U256 {
    U256::from(units) * U256::from(POOL_UNIT_WEI)
}
