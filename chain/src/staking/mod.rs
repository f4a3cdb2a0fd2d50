//! The staking contract: a system contract at [`STAKING`], native Rust behind a Solidity ABI
//! ([`abi::IStaking`]), where validators register their keys and bond the stake that the
//! committee draw (`vnt_vortex::committee`) weighs them by (issue 7).
//!
//! # Protocol
//!
//! - `register(identity, blsPublicKey, blsProofOfPossession, vrfPublicKey)`, payable: makes
//!   `msg.sender` a validator with its ed25519 identity, its BLS voting key and its sr25519
//!   VRF key, bonding `msg.value` (at least the minimum stake). The BLS key must come with
//!   its proof of possession for this chain's id ([`vnt_vortex::keys`]), which stops rogue-key
//!   attacks on aggregate signatures and the replay of a registration from another network.
//!   An account registers once, and no two accounts share an identity or a BLS key.
//! - `addStake()`, payable: bonds more. A validator that unbonded everything rejoins this
//!   way, with at least the minimum stake.
//! - `unbond(amount)`: moves stake into an unbonding entry that matures `unbondingPeriod`
//!   blocks later. Bonded stake is either zero or at least the minimum: an unbond that
//!   would leave less than the minimum but more than zero is **refused** (the reason names
//!   both ways out), so stake never lingers below the minimum unseen. A validator with
//!   nothing bonded leaves the candidate list.
//! - `withdraw()`: pays `msg.sender` every matured entry, and refuses when none has matured.
//!
//! Views: `validator(address)`, `totalBonded()`, `candidates()` (at most [`MAX_CANDIDATES`],
//! ordered by address as the draw orders them), `unbondingPeriod()`, `minimumStake()`.
//! Every refusal is an `Error(string)` revert starting `staking: `; every effect sits in the
//! call's journal checkpoint, so a revert leaves nothing behind. Storage: [`storage`].
//!
//! Unbonding stake stays in the contract until withdrawn, so the evidence step can slash it:
//! the unbonding period must exceed the evidence window, which genesis validation checks
//! ([`StakingConfig::validate`]).
//!
//! Start reading at [`run`], then [`calls`].

pub mod abi;
mod calls;
pub mod storage;

use crate::execution::wasm::FrameContext;
use crate::system::{Frame, Step, Stop};
use abi::IStaking;
use alloy_primitives::{Address, U256, address};
use alloy_sol_types::SolCall;
use revm::interpreter::{CallInputs, InterpreterResult};
use serde::{Deserialize, Serialize};

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
}

/// The staking parameters a chain is configured with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StakingConfig {
    /// Least stake a validator may have bonded (zero aside), in wei.
    pub minimum_stake: U256,
    /// Blocks from `unbond` until the stake can be withdrawn.
    pub unbonding_period: u64,
    /// Blocks after an offence during which evidence of it is accepted.
    pub evidence_window: u64,
    /// Share of an offender's stake that evidence slashes, in basis points.
    pub slash_share_bps: u16,
    /// Share of the slashed stake paid to whoever reported the evidence, in basis points.
    pub reporter_share_bps: u16,
}

/// Basis points in one whole.
pub const BPS: u16 = 10_000;

/// Why a staking configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StakingConfigError {
    #[error("staking minimumStake must be above zero")]
    ZeroMinimum,
    #[error(
        "staking unbondingPeriod ({unbonding}) must be longer than evidenceWindow ({evidence}) blocks: \
         otherwise an offender withdraws its stake before the evidence against it can slash it"
    )]
    UnbondingNotLongerThanEvidence { unbonding: u64, evidence: u64 },
    #[error("staking {name} is {value} basis points, at most {BPS} are allowed")]
    ShareTooLarge { name: &'static str, value: u16 },
}

impl StakingConfig {
    /// Development parameters: 1,000 VNT minimum, 64-block unbonding (about a minute of dev
    /// blocks), a 32-block evidence window, 10% slashed, 10% of that to the reporter.
    pub fn dev() -> Self {
        Self {
            minimum_stake: crate::token::vnt(1_000),
            unbonding_period: 64,
            evidence_window: 32,
            slash_share_bps: 1_000,
            reporter_share_bps: 1_000,
        }
    }

    /// Checks the rules a usable configuration follows.
    pub fn validate(&self) -> Result<(), StakingConfigError> {
        if self.minimum_stake.is_zero() {
            return Err(StakingConfigError::ZeroMinimum);
        }
        if self.unbonding_period <= self.evidence_window {
            return Err(StakingConfigError::UnbondingNotLongerThanEvidence {
                unbonding: self.unbonding_period,
                evidence: self.evidence_window,
            });
        }
        for (name, value) in [
            ("slashShareBps", self.slash_share_bps),
            ("reporterShareBps", self.reporter_share_bps),
        ] {
            if value > BPS {
                return Err(StakingConfigError::ShareTooLarge { name, value });
            }
        }
        Ok(())
    }
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
mod tests {
    use super::*;

    #[test]
    fn the_unbonding_period_must_outlast_the_evidence_window() {
        StakingConfig::dev().validate().unwrap();
        let mut config = StakingConfig::dev();
        config.unbonding_period = config.evidence_window;
        let error = config.validate().unwrap_err().to_string();
        assert!(
            error.starts_with(
                "staking unbondingPeriod (32) must be longer than evidenceWindow (32) blocks"
            ),
            "{error}"
        );
        let mut config = StakingConfig::dev();
        config.slash_share_bps = 10_001;
        assert_eq!(
            config.validate().unwrap_err().to_string(),
            "staking slashShareBps is 10001 basis points, at most 10000 are allowed"
        );
        config = StakingConfig::dev();
        config.minimum_stake = U256::ZERO;
        assert_eq!(config.validate(), Err(StakingConfigError::ZeroMinimum));
    }

    #[test]
    fn genesis_storage_holds_the_parameters_the_views_read() {
        let stored = storage::genesis_storage(&StakingConfig::dev());
        let read = |slot: U256| U256::from_be_bytes(stored[&alloy_primitives::B256::from(slot)].0);
        assert_eq!(read(storage::slot::MINIMUM_STAKE), crate::token::vnt(1_000));
        assert_eq!(read(storage::slot::UNBONDING_PERIOD), U256::from(64));
        assert_eq!(read(storage::slot::EVIDENCE_WINDOW), U256::from(32));
    }
}
