//! The staking contract's functions: each checks everything before it changes anything, and
//! cheap checks come before the pairing of a proof of possession.

use super::abi::IStaking;
use super::storage::{self, Entry, Slots};
use super::{MAX_UNBONDING_ENTRIES, gas};
use crate::execution::wasm::FrameContext;
use crate::system::{Frame, Step, Stop};
use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolEvent};
use vnt_vortex::keys::{
    IDENTITY_SIGNATURE_LEN, decode_bls_public_key, decode_identity, decode_pop,
    decode_vrf_public_key,
};

/// Checks the shapes of a registration's keys: the identity and VRF keys are valid points
/// (the VRF key not the identity point), the BLS key a point of the right subgroup, the
/// proof a valid signature encoding, the identity signature 64 bytes. Verifies no signature
/// (the costly part).
pub(super) fn check_keys(call: &IStaking::registerCall) -> Step<()> {
    let refuse = |error: vnt_vortex::keys::KeyError| Stop::revert(error.to_string());
    decode_identity(call.identity.as_slice()).map_err(refuse)?;
    decode_vrf_public_key(call.vrfPublicKey.as_slice()).map_err(refuse)?;
    decode_bls_public_key(&call.blsPublicKey).map_err(refuse)?;
    decode_pop(&call.blsProofOfPossession).map_err(refuse)?;
    if call.identitySignature.len() != IDENTITY_SIGNATURE_LEN {
        return Err(Stop::revert(format!(
            "identity signature must be {IDENTITY_SIGNATURE_LEN} bytes, got {}",
            call.identitySignature.len()
        )));
    }
    Ok(())
}

pub(super) fn register<CTX: FrameContext>(
    frame: &mut Frame<'_, CTX>,
    call: &IStaking::registerCall,
    minimum: U256,
) -> Step<Vec<u8>> {
    let (caller, value) = (frame.caller, frame.value);
    if value < minimum {
        return Err(Stop::revert(format!(
            "a bond of {value} wei is below the minimum stake of {minimum} wei"
        )));
    }
    if storage::is_registered(frame, caller)? {
        return Err(Stop::revert(format!(
            "{caller} is already registered; use addStake to bond more"
        )));
    }
    frame.charge(gas::KEY_CHECKS)?;
    check_keys(call)?;
    let owner = storage::identity_owner(frame, call.identity)?;
    if owner != Address::ZERO {
        return Err(Stop::revert(format!(
            "identity {} is already registered by {owner}",
            call.identity
        )));
    }
    let owner = storage::bls_key_owner(frame, &call.blsPublicKey)?;
    if owner != Address::ZERO {
        return Err(Stop::revert(format!(
            "this BLS public key is already registered by {owner}"
        )));
    }
    frame.charge(gas::POP_VERIFY)?;
    vnt_vortex::keys::verify_proof_of_possession(
        frame.chain_id(),
        &caller.0.0,
        &call.blsPublicKey,
        &call.blsProofOfPossession,
    )
    .map_err(|error| Stop::revert(error.to_string()))?;

    frame.charge(gas::IDENTITY_VERIFY)?;
    vnt_vortex::keys::verify_identity_binding(
        frame.chain_id(),
        &caller.0.0,
        call.identity.as_slice(),
        &call.blsPublicKey,
        &call.identitySignature,
    )
    .map_err(|error| Stop::revert(error.to_string()))?;
    storage::record_registration(
        frame,
        caller,
        call.identity,
        &call.blsPublicKey,
        call.vrfPublicKey,
    )?;
    let bonded = storage::bond(frame, caller, value)?;
    let registered = IStaking::Registered {
        validator: caller,
        identity: call.identity,
        blsPublicKey: call.blsPublicKey.clone(),
        vrfPublicKey: call.vrfPublicKey,
    };
    frame.log(registered.encode_log_data())?;
    emit_bonded(frame, value, bonded)?;
    Ok(Vec::new())
}

fn emit_bonded<CTX: FrameContext>(
    frame: &mut Frame<'_, CTX>,
    amount: U256,
    bonded: U256,
) -> Step<()> {
    let event = IStaking::Bonded {
        validator: frame.caller,
        amount,
        bonded,
    };
    frame.log(event.encode_log_data())
}

fn require_registered(s: &mut impl Slots, caller: Address) -> Step<()> {
    if storage::is_registered(s, caller)? {
        Ok(())
    } else {
        Err(Stop::revert(format!(
            "{caller} is not a registered validator"
        )))
    }
}

pub(super) fn add_stake<CTX: FrameContext>(
    frame: &mut Frame<'_, CTX>,
    minimum: U256,
) -> Step<Vec<u8>> {
    let (caller, value) = (frame.caller, frame.value);
    if value.is_zero() {
        return Err(Stop::revert("addStake bonds msg.value, and none was sent"));
    }
    require_registered(frame, caller)?;
    let before = storage::bonded(frame, caller)?;
    // Rejoining after a full unbond must restore at least the minimum.
    if before.is_zero() && value < minimum {
        return Err(Stop::revert(format!(
            "nothing is bonded, and {value} wei is below the minimum stake of {minimum} wei"
        )));
    }
    let bonded = storage::bond(frame, caller, value)?;
    emit_bonded(frame, value, bonded)?;
    Ok(Vec::new())
}

pub(super) fn unbond<CTX: FrameContext>(
    frame: &mut Frame<'_, CTX>,
    amount: U256,
    minimum: U256,
) -> Step<Vec<u8>> {
    let caller = frame.caller;
    if amount.is_zero() {
        return Err(Stop::revert("cannot unbond zero"));
    }
    require_registered(frame, caller)?;
    let bonded = storage::bonded(frame, caller)?;
    if amount > bonded {
        return Err(Stop::revert(format!(
            "cannot unbond {amount} wei: only {bonded} wei is bonded"
        )));
    }
    let left = bonded - amount;
    if !left.is_zero() && left < minimum {
        return Err(Stop::revert(format!(
            "unbonding {amount} wei would leave {left} wei bonded, below the minimum stake of \
             {minimum} wei: unbond all {bonded} wei or at most {} wei",
            // A slashed validator may hold less than the minimum: then only all of it.
            bonded.saturating_sub(minimum)
        )));
    }
    let pending = storage::pending(frame, caller)?.len() as u64;
    if pending >= MAX_UNBONDING_ENTRIES {
        return Err(Stop::revert(format!(
            "{MAX_UNBONDING_ENTRIES} unbonding entries are pending; withdraw matured ones first"
        )));
    }
    let matures_at = frame
        .block_number()
        .saturating_add(storage::unbonding_period(frame)?);
    storage::take_bond(frame, caller, amount)?;
    storage::push_entry(frame, caller, Entry { amount, matures_at })?;
    let event = IStaking::Unbonding {
        validator: caller,
        amount,
        maturesAt: matures_at,
    };
    frame.log(event.encode_log_data())?;
    Ok(Vec::new())
}

pub(super) fn withdraw<CTX: FrameContext>(frame: &mut Frame<'_, CTX>) -> Step<Vec<u8>> {
    let caller = frame.caller;
    let now = frame.block_number();
    let entries = storage::pending(frame, caller)?;
    // Entries are queued in maturity order (the period is fixed and blocks only advance), so
    // the matured ones are a prefix; withdrawing drops exactly that prefix.
    let matured: Vec<&Entry> = entries.iter().take_while(|e| e.matures_at <= now).collect();
    let Some(next) = entries.first() else {
        return Err(Stop::revert(format!(
            "nothing to withdraw: {caller} has no unbonding stake"
        )));
    };
    if matured.is_empty() {
        return Err(Stop::revert(format!(
            "nothing has matured yet: {} wei unbonds at block {}, this is block {now}",
            next.amount, next.matures_at
        )));
    }
    let amount: U256 = matured.iter().map(|e| e.amount).sum();
    storage::drop_entries(frame, caller, matured.len() as u64)?;
    frame.log(
        IStaking::Withdrawn {
            validator: caller,
            amount,
        }
        .encode_log_data(),
    )?;
    frame.pay(caller, amount)?;
    Ok(IStaking::withdrawCall::abi_encode_returns(&amount))
}

/// The `validator(address)` view.
pub(super) fn validator(
    s: &mut impl Slots,
    account: Address,
    now: u64,
) -> Step<IStaking::Validator> {
    if !storage::is_registered(s, account)? {
        return Ok(IStaking::Validator::default());
    }
    let (identity, bls, vrf) = storage::keys(s, account)?;
    let bonded = storage::bonded(s, account)?;
    let entries = storage::pending(s, account)?;
    let unbonding = entries.iter().map(|e| e.amount).sum();
    let withdrawable = entries
        .iter()
        .take_while(|e| e.matures_at <= now)
        .map(|e| e.amount)
        .sum();
    Ok(IStaking::Validator {
        registered: true,
        identity,
        blsPublicKey: bls.into(),
        vrfPublicKey: vrf,
        bonded,
        unbonding,
        withdrawable,
    })
}

/// The `committee(epoch)` view: the effective committee with each member's keys.
pub(super) fn committee(s: &mut impl Slots, epoch: u64) -> Step<Vec<IStaking::Member>> {
    let Some(members) = super::epochs::effective_committee(s, epoch)? else {
        return Err(Stop::revert(format!(
            "the committee of epoch {epoch} is not drawn yet: a committee is drawn when the \
             epoch two before it ends"
        )));
    };
    let mut out = Vec::with_capacity(members.len());
    for (validator, seats) in members {
        let (identity, bls, _) = storage::keys(s, validator)?;
        out.push(IStaking::Member {
            validator,
            identity,
            blsPublicKey: bls.into(),
            seats,
        });
    }
    Ok(out)
}
