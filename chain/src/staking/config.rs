//! The staking parameters a chain is configured with, the validators its genesis bonds, and
//! the rules a usable configuration follows.

use alloy_primitives::{Address, B256, Bytes, U256};
use commonware_codec::Encode;
use serde::{Deserialize, Serialize};
use vnt_vortex::keys::{
    ValidatorKeys, decode_vrf_public_key, verify_identity_binding, verify_proof_of_possession,
};

/// Basis points in one whole.
pub const BPS: u16 = 10_000;

/// The staking parameters a chain is configured with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StakingConfig {
    /// Least stake a validator may have bonded (zero aside), in wei.
    pub minimum_stake: U256,
    /// Blocks from `unbond` until the stake can be withdrawn.
    pub unbonding_period: u64,
    /// Blocks after the end of an offence's epoch during which evidence of it is accepted.
    pub evidence_window: u64,
    /// Share of an offender's stake (bonded and unbonding) that evidence slashes, in basis
    /// points.
    pub slash_share_bps: u16,
    /// Share of the slashed stake paid to whoever reported the evidence, in basis points;
    /// the rest is burned.
    pub reporter_share_bps: u16,
    /// Blocks per epoch: block `n` belongs to epoch `n / epochLength`.
    pub epoch_length: u64,
    /// Members of each epoch's committee (every candidate when there are no more).
    pub committee_size: u64,
    /// Validators registered and bonded at genesis: the committees of epochs 0 and 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validators: Vec<GenesisValidator>,
    /// Whether each block's randomness is its proposer's VRF output, proven by a seal in
    /// its `extra_data` ([`super::seal`]): on for a network of validators, off for a chain
    /// one producer makes without validator keys (`vnt dev`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub proposer_vrf: bool,
    /// Wei minted by every block and shared between its producer, the committee that
    /// finalizes it and the route pool ([`super::rewards`]). Only a chain of validators
    /// (`proposerVrf`) pays it: the committee's share needs the finalization certificates
    /// its sealed blocks carry.
    #[serde(default, skip_serializing_if = "U256::is_zero")]
    pub block_reward: U256,
}

/// A validator bonded at genesis, with the same keys and proofs `register` takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisValidator {
    pub account: Address,
    pub identity: B256,
    pub identity_signature: Bytes,
    pub bls_public_key: Bytes,
    pub bls_proof_of_possession: Bytes,
    pub vrf_public_key: B256,
    /// Bonded at genesis, in wei; the staking contract's genesis balance is the sum.
    pub stake: U256,
}

/// Why a staking configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StakingConfigError {
    #[error("staking minimumStake must be above zero")]
    ZeroMinimum,
    #[error("staking epochLength must be above zero")]
    ZeroEpochLength,
    #[error("staking committeeSize must be above zero")]
    ZeroCommitteeSize,
    #[error(
        "staking unbondingPeriod ({unbonding}) must be longer than evidenceWindow ({evidence}) \
         plus three epochs ({epochs} blocks): a validator that unbonds still sits in the \
         committees of the next two epochs, drawn before it left, and evidence of an offence \
         in the last of them arrives up to evidenceWindow blocks after it ends; a shorter \
         period lets an offender withdraw before that evidence can slash it"
    )]
    UnbondingTooShort {
        unbonding: u64,
        evidence: u64,
        epochs: u64,
    },
    #[error("staking {name} is {value} basis points, at most {BPS} are allowed")]
    ShareTooLarge { name: &'static str, value: u16 },
    #[error("staking validator {account}: {reason}")]
    Validator { account: Address, reason: String },
    #[error(
        "staking lists a genesis validator with the zero address as its account: the contract \
         reads a zero owner as \"nobody\", so its keys would never be found"
    )]
    ZeroAccount,
    #[error("staking lists {count} genesis validators, at most {max} candidates are allowed")]
    TooManyValidators { count: usize, max: u64 },
    #[error(
        "staking proposerVrf needs validators at genesis: blocks are sealed by registered \
         validators, and without any no block could be made"
    )]
    ProposerVrfWithoutValidators,
    #[error(
        "staking blockReward needs proposerVrf: the committee's share is paid by the \
         finalization certificates that only a chain of validators' sealed blocks carry"
    )]
    BlockRewardWithoutProposerVrf,
    #[error(
        "staking blockReward is {reward} wei, at most {max} wei ({MAX_BLOCK_REWARD_VNT} VNT) \
         is allowed"
    )]
    BlockRewardTooLarge { reward: U256, max: U256 },
}

/// The largest `blockReward`, in whole VNT: a million times Hubble's 1 VNT, far above any
/// reward a network would mint, yet small enough that the reward sums
/// ([`super::rewards::end_block`]) cannot overflow. At one block a second it mints about
/// 3.2e31 wei a year; the largest product the rewards form, a span's share times a
/// signer's seats (under 2^64), stays below 2^256 ≈ 1.2e77 for some 1e26 years.
pub const MAX_BLOCK_REWARD_VNT: u64 = 1_000_000;

/// [`MAX_BLOCK_REWARD_VNT`] in wei.
pub fn max_block_reward() -> U256 {
    crate::token::vnt(MAX_BLOCK_REWARD_VNT)
}

impl StakingConfig {
    /// Development parameters: 1,000 VNT minimum, 16-block epochs, a 32-block evidence
    /// window, a 96-block unbonding period (the shortest multiple of an epoch the rule
    /// allows, about a minute and a half of dev blocks), committees of up to 16, 5% slashed
    /// (the book's rule, `docs/token.md`), 10% of that to the reporter; no validator at
    /// genesis, no block reward.
    pub fn dev() -> Self {
        Self {
            minimum_stake: crate::token::vnt(1_000),
            unbonding_period: 96,
            evidence_window: 32,
            slash_share_bps: 500,
            reporter_share_bps: 1_000,
            epoch_length: 16,
            committee_size: 16,
            validators: Vec::new(),
            proposer_vrf: false,
            block_reward: U256::ZERO,
        }
    }

    /// Checks the rules a usable configuration follows, and every genesis validator's keys
    /// and proofs for `chain_id`.
    pub fn validate(&self, chain_id: u64) -> Result<(), StakingConfigError> {
        if self.minimum_stake.is_zero() {
            return Err(StakingConfigError::ZeroMinimum);
        }
        if self.epoch_length == 0 {
            return Err(StakingConfigError::ZeroEpochLength);
        }
        if self.committee_size == 0 {
            return Err(StakingConfigError::ZeroCommitteeSize);
        }
        let epochs = self.epoch_length.saturating_mul(3);
        if self.unbonding_period <= self.evidence_window.saturating_add(epochs) {
            return Err(StakingConfigError::UnbondingTooShort {
                unbonding: self.unbonding_period,
                evidence: self.evidence_window,
                epochs,
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
        if self.proposer_vrf && self.validators.is_empty() {
            return Err(StakingConfigError::ProposerVrfWithoutValidators);
        }
        if !self.block_reward.is_zero() && !self.proposer_vrf {
            return Err(StakingConfigError::BlockRewardWithoutProposerVrf);
        }
        if self.block_reward > max_block_reward() {
            return Err(StakingConfigError::BlockRewardTooLarge {
                reward: self.block_reward,
                max: max_block_reward(),
            });
        }
        if self.validators.len() as u64 > super::MAX_CANDIDATES {
            return Err(StakingConfigError::TooManyValidators {
                count: self.validators.len(),
                max: super::MAX_CANDIDATES,
            });
        }
        if self.validators.iter().any(|v| v.account.is_zero()) {
            return Err(StakingConfigError::ZeroAccount);
        }
        for (index, validator) in self.validators.iter().enumerate() {
            let refuse = |reason: String| StakingConfigError::Validator {
                account: validator.account,
                reason,
            };
            validator
                .check(chain_id, self.minimum_stake)
                .map_err(refuse)?;
            let earlier = &self.validators[..index];
            if earlier.iter().any(|v| v.account == validator.account) {
                return Err(refuse("is listed twice".into()));
            }
            if earlier.iter().any(|v| v.identity == validator.identity) {
                return Err(refuse(
                    "shares its identity key with another validator".into(),
                ));
            }
            if earlier
                .iter()
                .any(|v| v.bls_public_key == validator.bls_public_key)
            {
                return Err(refuse("shares its BLS key with another validator".into()));
            }
        }
        Ok(())
    }

    /// The staking contract's balance at genesis: the genesis validators' stake.
    pub fn genesis_bonded(&self) -> U256 {
        self.validators.iter().map(|v| v.stake).sum()
    }
}

impl GenesisValidator {
    /// The genesis entry of `keys` for `account` on `chain_id`, with its proofs.
    pub fn from_keys(keys: &ValidatorKeys, chain_id: u64, account: Address, stake: U256) -> Self {
        let public = keys.public();
        Self {
            account,
            identity: B256::from_slice(&public.identity.encode()),
            identity_signature: keys.identity_binding(chain_id, &account.0.0).into(),
            bls_public_key: public.bls.encode().to_vec().into(),
            bls_proof_of_possession: keys.proof_of_possession(chain_id, &account.0.0).into(),
            vrf_public_key: B256::from(public.vrf),
            stake,
        }
    }

    /// The checks `register` makes, for `chain_id`.
    fn check(&self, chain_id: u64, minimum: U256) -> Result<(), String> {
        if self.stake < minimum {
            return Err(format!(
                "a stake of {} wei is below the minimum stake of {minimum} wei",
                self.stake
            ));
        }
        let account = &self.account.0.0;
        decode_vrf_public_key(self.vrf_public_key.as_slice()).map_err(|e| e.to_string())?;
        verify_identity_binding(
            chain_id,
            account,
            self.identity.as_slice(),
            &self.bls_public_key,
            &self.identity_signature,
        )
        .map_err(|e| e.to_string())?;
        verify_proof_of_possession(
            chain_id,
            account,
            &self.bls_public_key,
            &self.bls_proof_of_possession,
        )
        .map_err(|e| e.to_string())?;
        Ok(())
    }
}
