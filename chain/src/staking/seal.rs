//! Block seals: where a block's randomness comes from on a chain of validators.
//!
//! Each block's `mix_hash` (revm's `prevrandao`) feeds the epoch seeds the committees are
//! drawn with ([`super::epochs`]). On a chain whose staking configuration sets
//! `proposerVrf`, that value is the proposer's VRF output over the seed of the block's
//! epoch and the block's number (`vnt_vortex::committee::VrfKeypair::evaluate`), and the
//! header's `extra_data` carries what proves it:
//!
//! | bytes  | field                                                       |
//! |--------|-------------------------------------------------------------|
//! | 0..32  | the proposer's identity key (ed25519), as it registered     |
//! | 32..64 | the VRF pre-output                                          |
//! | 64..128| the VRF proof (DLEQ)                                        |
//!
//! A VRF output is unique for a key and an input, and the input is fixed two epochs ahead,
//! so a proposer chooses only whether to publish a block, never its randomness; with
//! `keccak256(parent hash)`, which chains without `proposerVrf` keep, it could steer the
//! value by choosing what its block's parent holds. Importing a block checks the proof
//! against the VRF key the proposer registered, so the randomness is verifiable from chain
//! data alone. Whether the proposer was the one entitled to propose is consensus's
//! question (the engine compares the seal's identity with the round's leader), not the
//! chain's.

use super::epochs;
use super::storage::{self, Slots};
use crate::system::{Step, Stop};
use alloy_primitives::{B256, Bytes};
use commonware_codec::Encode;
use vnt_vortex::committee::{EpochSeed, VrfKeypair, VrfProof, verify_output};
use vnt_vortex::keys::ValidatorKeys;

/// Bytes of a seal in `extra_data`.
pub const SEAL_LEN: usize = 128;

/// What a validator seals its blocks with: its identity and VRF key.
pub struct Sealer {
    identity: B256,
    vrf: VrfKeypair,
}

impl Sealer {
    /// The sealer of a validator holding `keys`.
    pub fn new(keys: &ValidatorKeys) -> Self {
        Self {
            identity: B256::from_slice(&keys.public().identity.encode()),
            vrf: VrfKeypair::from_seed(keys.vrf_seed()),
        }
    }

    /// The identity key blocks sealed here name.
    pub fn identity(&self) -> B256 {
        self.identity
    }
}

/// A block's seal as its `extra_data` carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockSeal {
    /// The proposer's identity key.
    pub identity: B256,
    pub proof: VrfProof,
}

impl BlockSeal {
    /// The seal in `extra_data`, refused unless it is exactly [`SEAL_LEN`] bytes.
    pub fn decode(extra_data: &[u8]) -> Result<Self, SealError> {
        let bytes: &[u8; SEAL_LEN] = extra_data
            .try_into()
            .map_err(|_| SealError::Length(extra_data.len()))?;
        let (identity, rest) = bytes.split_at(32);
        let (pre_output, proof) = rest.split_at(32);
        Ok(Self {
            identity: B256::from_slice(identity),
            proof: VrfProof {
                pre_output: pre_output.try_into().expect("split at 32"),
                proof: proof.try_into().expect("64 bytes remain"),
            },
        })
    }

    /// The seal's `extra_data`.
    pub fn encode(&self) -> Bytes {
        let mut bytes = Vec::with_capacity(SEAL_LEN);
        bytes.extend_from_slice(self.identity.as_slice());
        bytes.extend_from_slice(&self.proof.pre_output);
        bytes.extend_from_slice(&self.proof.proof);
        bytes.into()
    }
}

/// A block's `extra_data` split into its seal and what follows it: on a chain with a block
/// reward, a finalization certificate ([`super::rewards`]). Shorter `extra_data` is all
/// seal, which [`BlockSeal::decode`] then refuses by its length.
pub fn split_extra_data(extra_data: &[u8]) -> (&[u8], &[u8]) {
    extra_data.split_at(extra_data.len().min(SEAL_LEN))
}

/// Why a block's seal does not prove its randomness.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("its extra data holds {0} bytes where a block seal takes {SEAL_LEN}")]
    Length(usize),
    #[error("its proposer {0} is not a registered validator")]
    Unregistered(B256),
    #[error(
        "its VRF proof does not verify under the VRF key its proposer {identity} registered, \
         for block {number} of epoch {epoch}"
    )]
    BadProof {
        identity: B256,
        number: u64,
        epoch: u64,
    },
    #[error("the staking state cannot give the seed of epoch {epoch}: {reason}")]
    NoSeed { epoch: u64, reason: String },
    #[error("the staking state cannot be read: {0}")]
    Unreadable(String),
}

/// The epoch of block `number` and its seed, as the parent's state `s` stores them.
fn epoch_seed(s: &mut impl Slots, number: u64) -> Result<(u64, EpochSeed), SealError> {
    let no_seed = |epoch: u64, reason: String| SealError::NoSeed { epoch, reason };
    let length = epochs::epoch_length(s).map_err(|stop| no_seed(0, describe(stop)))?;
    if length == 0 {
        return Err(no_seed(0, "the chain has no epochs".into()));
    }
    let epoch = number / length;
    let seed = epochs::seed(s, epoch).map_err(|stop| no_seed(epoch, describe(stop)))?;
    if seed.is_zero() {
        return Err(no_seed(epoch, "it is not fixed".into()));
    }
    Ok((epoch, EpochSeed(seed.0)))
}

fn describe(stop: Stop) -> String {
    match stop {
        Stop::Revert(reason) | Stop::Ledger(reason) => reason,
        Stop::OutOfGas => "out of gas".into(),
    }
}

/// Seals block `number` on the parent state `s`: its randomness and its `extra_data`.
pub fn seal(s: &mut impl Slots, number: u64, sealer: &Sealer) -> Result<(B256, Bytes), SealError> {
    let (epoch, seed) = epoch_seed(s, number)?;
    let (output, proof) = sealer.vrf.evaluate(&seed, epoch, number);
    let seal = BlockSeal {
        identity: sealer.identity,
        proof,
    };
    Ok((B256::from(output), seal.encode()))
}

/// The randomness the seal `extra_data` of block `number` proves on the parent state `s`,
/// checked against the VRF key its proposer registered.
pub fn open(s: &mut impl Slots, number: u64, extra_data: &[u8]) -> Result<B256, SealError> {
    let seal = BlockSeal::decode(extra_data)?;
    let (epoch, seed) = epoch_seed(s, number)?;
    let vrf_key = registered_vrf_key(s, seal.identity)
        .map_err(|stop| SealError::Unreadable(describe(stop)))?
        .ok_or(SealError::Unregistered(seal.identity))?;
    verify_output(&vrf_key.0, &seed, epoch, number, &seal.proof)
        .map(B256::from)
        .map_err(|_| SealError::BadProof {
            identity: seal.identity,
            number,
            epoch,
        })
}

/// The VRF key registered with `identity`, if a validator registered it.
fn registered_vrf_key(s: &mut impl Slots, identity: B256) -> Step<Option<B256>> {
    let owner = storage::identity_owner(s, identity)?;
    if owner.is_zero() {
        return Ok(None);
    }
    let (_, _, vrf) = storage::keys(s, owner)?;
    Ok(Some(vrf))
}
