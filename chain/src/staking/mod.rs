//! The staking contract: a system contract at [`STAKING`], native Rust behind a Solidity ABI
//! ([`abi::IStaking`]), where validators register their keys and bond the stake that the
//! committee draw (`vnt_vortex::committee`) weighs them by (issue 7).
//!
//! # Protocol
//!
//! - `register(identity, identitySignature, blsPublicKey, blsProofOfPossession,
//!   vrfPublicKey)`, payable: makes `msg.sender` a validator with its ed25519 identity, its
//!   BLS voting key and its sr25519 VRF key, bonding `msg.value` (at least the minimum
//!   stake). The BLS key must come with its proof of possession for this chain and account
//!   ([`vnt_vortex::keys`]), which stops rogue-key attacks on aggregate signatures and the
//!   replay of a registration elsewhere; the identity key must sign `chain id ‖ account ‖
//!   BLS key`, so nobody can register someone else's identity. An account registers once,
//!   and no two accounts share an identity or a BLS key.
//! - `addStake()`, payable: bonds more. A validator that unbonded everything rejoins this
//!   way, with at least the minimum stake.
//! - `unbond(amount)`: moves stake into an unbonding entry that matures `unbondingPeriod`
//!   blocks later. Bonded stake is either zero or at least the minimum: an unbond that
//!   would leave less than the minimum but more than zero is **refused** (the reason names
//!   both ways out), so stake never lingers below the minimum unseen. A validator with
//!   nothing bonded leaves the candidate list.
//! - `withdraw()`: pays `msg.sender` every matured entry, and refuses when none has matured.
//! - `reportEvidence(bytes)`: slashes and jails the signer of two conflicting votes
//!   ([`evidence`]).
//!
//! Views: `validator(address)`, `totalBonded()`, `candidates()` (at most [`MAX_CANDIDATES`],
//! ordered by address as the draw orders them), `unbondingPeriod()`, `minimumStake()`,
//! `currentEpoch()`, `epochLength()`, `epochSeed(epoch)`, `committee(epoch)`,
//! `jailed(address)`, and the block rewards' `blockReward()`, `routePool()`,
//! `unpaidCommitteeReward()`, `lastRewardedBlock()` ([`rewards`]). Every refusal is an
//! `Error(string)` revert starting `staking: `; every effect sits in the call's journal
//! checkpoint, so a revert leaves nothing behind.
//! Storage: [`storage`]. Epochs, seeds and committees: [`epochs`], and block rewards:
//! [`rewards`], both kept by a native end-of-block step ([`hook`]).
//!
//! Unbonding stake stays in the contract until withdrawn, so evidence can slash it: the
//! unbonding period must exceed the evidence window plus three epochs, which genesis
//! validation checks ([`StakingConfig::validate`]).
//!
//! Start reading at [`run`], then [`calls`].

pub mod abi;
mod calls;
mod config;
pub mod epochs;
mod evidence;
pub mod hook;
pub mod rewards;
pub mod seal;
pub mod storage;

use crate::execution::wasm::FrameContext;
use crate::system::{Frame, Step, Stop};
use abi::IStaking;
use alloy_primitives::{Address, address};
use alloy_sol_types::SolCall;
pub use config::{BPS, GenesisValidator, StakingConfig, StakingConfigError};
use revm::interpreter::{CallInputs, InterpreterResult};

/// Where the staking contract lives: "st" in ASCII.
pub const STAKING: Address = address!("0x0000000000000000000000000000000000007374");

/// The contract account's code: one `INVALID` byte, so `extcodesize` and `eth_getCode` see a
/// contract, which the chain runs natively and never executes.
pub const STAKING_CODE: [u8; 1] = [0xfe];

/// Most bonded candidates at once. It bounds `candidates()`, which the committee draw reads
/// every epoch: 128 candidates cost about 540,000 gas of cold reads.
pub const MAX_CANDIDATES: u64 = 128;

/// Most unbonding entries one validator may have pending; `withdraw` pays them in one call.
pub const MAX_UNBONDING_ENTRIES: u64 = 16;

/// What the contract's own work costs, in gas; storage, logs and payments are priced as the
/// EVM prices them ([`crate::system::Frame`]).
pub mod gas {
    /// Any call, before it reads anything: a precompile-style base fee.
    pub const CALL_BASE: u64 = 2_000;
    /// Decoding the identity (an ed25519 point), the VRF key (a Ristretto point) and the BLS
    /// key (a G2 point with its subgroup check) and the proof's G1 point: priced as
    /// EIP-2537 prices a G2 and a G1 subgroup check on the same curve, plus two point
    /// decompressions.
    pub const KEY_CHECKS: u64 = 25_000;
    /// Verifying a proof of possession: a two-pair pairing check (EIP-2537: 37,700 +
    /// 2 × 32,600) and hashing the message to G1 (EIP-2537's map to G1: 5,500), rounded up.
    pub const POP_VERIFY: u64 = 110_000;
    /// Verifying the identity key's ed25519 signature at registration: 37–43 µs measured,
    /// priced at the rate `POP_VERIFY` implies (1.05–1.10 ms measured for 110,000 gas, about
    /// 100 gas a microsecond), rounded up.
    pub const IDENTITY_VERIFY: u64 = 6_000;
    /// Decoding evidence, charged before the bytes are looked at: its two G1 signatures with
    /// their subgroup checks.
    pub const EVIDENCE_DECODE: u64 = 10_000;
    /// Rebuilding the committee the evidence is checked against, per member: its BLS key
    /// decoded with the G2 subgroup check, 80–97 µs measured.
    pub const MEMBER_KEYS: u64 = 10_000;
    /// Checking the evidence's two votes: two BLS verifications (a pairing check and a hash
    /// to G1 each). Evidence decoding and checking together measured 1.85–2.2 ms, against
    /// 1.05–1.10 ms for a proof of possession (`POP_VERIFY`): priced as two of those.
    pub const EVIDENCE_CHECK: u64 = 220_000;
}

/// Runs a call whose code address is [`STAKING`]. `Err` is a ledger failure, which stops
/// the transaction; every refusal is an `Ok` revert.
pub fn run<CTX: FrameContext>(
    ctx: &mut CTX,
    inputs: &CallInputs,
) -> Result<InterpreterResult, String> {
    let input = inputs.input.bytes(ctx);
    let mut frame = Frame::new(ctx, inputs, STAKING);
    let outcome = frame
        .require_direct_call(inputs.target_address, "staking contract")
        .and_then(|()| frame.charge(gas::CALL_BASE))
        .and_then(|()| dispatch(&mut frame, &input));
    crate::system::finish(frame, outcome, "staking")
}

/// Picks the function by selector; returns the ABI-encoded result.
fn dispatch<CTX: FrameContext>(frame: &mut Frame<'_, CTX>, input: &[u8]) -> Step<Vec<u8>> {
    let Some((selector, args)) = input.split_first_chunk::<4>() else {
        return Err(Stop::revert(if frame.value.is_zero() {
            "no function selector in the call data"
        } else {
            "value is bonded only through register or addStake"
        }));
    };
    let minimum = storage::minimum_stake(frame)?;
    if minimum.is_zero() {
        return Err(Stop::revert(
            "not enabled on this chain: its configuration has no staking section",
        ));
    }
    let changes_state = [
        IStaking::registerCall::SELECTOR,
        IStaking::addStakeCall::SELECTOR,
        IStaking::unbondCall::SELECTOR,
        IStaking::withdrawCall::SELECTOR,
        IStaking::reportEvidenceCall::SELECTOR,
    ];
    if changes_state.contains(selector) && frame.is_static {
        return Err(Stop::revert("a static call cannot change stake"));
    }
    let payable = [
        IStaking::registerCall::SELECTOR,
        IStaking::addStakeCall::SELECTOR,
    ];
    // Value sent to anything else would be locked in the contract with no owner.
    if !payable.contains(selector) && !frame.value.is_zero() {
        return Err(Stop::revert(
            "this function is not payable: value is bonded only through register or addStake",
        ));
    }
    match *selector {
        IStaking::registerCall::SELECTOR => {
            let call = abi::decode::<IStaking::registerCall>(args)?;
            calls::register(frame, &call, minimum)
        }
        IStaking::addStakeCall::SELECTOR => {
            abi::decode::<IStaking::addStakeCall>(args)?;
            calls::add_stake(frame, minimum)
        }
        IStaking::unbondCall::SELECTOR => {
            let call = abi::decode::<IStaking::unbondCall>(args)?;
            calls::unbond(frame, call.amount, minimum)
        }
        IStaking::withdrawCall::SELECTOR => {
            abi::decode::<IStaking::withdrawCall>(args)?;
            calls::withdraw(frame)
        }
        IStaking::reportEvidenceCall::SELECTOR => {
            let call = abi::decode::<IStaking::reportEvidenceCall>(args)?;
            evidence::report(frame, &call.evidence)
        }
        IStaking::currentEpochCall::SELECTOR => {
            abi::decode::<IStaking::currentEpochCall>(args)?;
            let epoch = epochs::epoch_of(frame, frame.block_number())?;
            Ok(IStaking::currentEpochCall::abi_encode_returns(&epoch))
        }
        IStaking::epochLengthCall::SELECTOR => {
            abi::decode::<IStaking::epochLengthCall>(args)?;
            let length = epochs::epoch_length(frame)?;
            Ok(IStaking::epochLengthCall::abi_encode_returns(&length))
        }
        IStaking::epochSeedCall::SELECTOR => {
            let call = abi::decode::<IStaking::epochSeedCall>(args)?;
            let seed = epochs::seed(frame, call.epoch)?;
            Ok(IStaking::epochSeedCall::abi_encode_returns(&seed))
        }
        IStaking::committeeCall::SELECTOR => {
            let call = abi::decode::<IStaking::committeeCall>(args)?;
            let members = calls::committee(frame, call.epoch)?;
            Ok(IStaking::committeeCall::abi_encode_returns(&members))
        }
        IStaking::jailedCall::SELECTOR => {
            let call = abi::decode::<IStaking::jailedCall>(args)?;
            let jailed = epochs::jailed_in(frame, call.account)?.is_some();
            Ok(IStaking::jailedCall::abi_encode_returns(&jailed))
        }
        IStaking::blockRewardCall::SELECTOR => {
            abi::decode::<IStaking::blockRewardCall>(args)?;
            let reward = rewards::block_reward(frame)?;
            Ok(IStaking::blockRewardCall::abi_encode_returns(&reward))
        }
        IStaking::routePoolCall::SELECTOR => {
            abi::decode::<IStaking::routePoolCall>(args)?;
            let pool = rewards::route_pool(frame)?;
            Ok(IStaking::routePoolCall::abi_encode_returns(&pool))
        }
        IStaking::unpaidCommitteeRewardCall::SELECTOR => {
            abi::decode::<IStaking::unpaidCommitteeRewardCall>(args)?;
            let unpaid = rewards::unpaid_committee_reward(frame)?;
            Ok(IStaking::unpaidCommitteeRewardCall::abi_encode_returns(
                &unpaid,
            ))
        }
        IStaking::lastRewardedBlockCall::SELECTOR => {
            abi::decode::<IStaking::lastRewardedBlockCall>(args)?;
            let last = rewards::last_rewarded_block(frame)?;
            Ok(IStaking::lastRewardedBlockCall::abi_encode_returns(&last))
        }
        IStaking::validatorCall::SELECTOR => {
            let call = abi::decode::<IStaking::validatorCall>(args)?;
            let now = frame.block_number();
            let info = calls::validator(frame, call.account, now)?;
            Ok(IStaking::validatorCall::abi_encode_returns(&info))
        }
        IStaking::totalBondedCall::SELECTOR => {
            abi::decode::<IStaking::totalBondedCall>(args)?;
            let total = storage::total_bonded(frame)?;
            Ok(IStaking::totalBondedCall::abi_encode_returns(&total))
        }
        IStaking::candidatesCall::SELECTOR => {
            abi::decode::<IStaking::candidatesCall>(args)?;
            let mut list = storage::candidates(frame)?;
            list.sort_by_key(|(account, _)| *account);
            let list: Vec<_> = list
                .into_iter()
                .map(|(validator, stake)| IStaking::Candidate { validator, stake })
                .collect();
            Ok(IStaking::candidatesCall::abi_encode_returns(&list))
        }
        IStaking::unbondingPeriodCall::SELECTOR => {
            abi::decode::<IStaking::unbondingPeriodCall>(args)?;
            let period = storage::unbonding_period(frame)?;
            Ok(IStaking::unbondingPeriodCall::abi_encode_returns(&period))
        }
        IStaking::minimumStakeCall::SELECTOR => {
            abi::decode::<IStaking::minimumStakeCall>(args)?;
            Ok(IStaking::minimumStakeCall::abi_encode_returns(&minimum))
        }
        other => Err(crate::system::unknown_selector(other)),
    }
}

#[cfg(test)]
mod tests;
