//! The consensus signing scheme and the participant set of an epoch.
//!
//! Votes are BLS12-381 multi-signatures (MinSig) attributed to ed25519 identities:
//! [`VortexScheme`]. A certificate is one aggregate signature plus a bitmap of its signers, so
//! anyone holding the epoch's [`ConsensusCommittee`] can check it and see who signed, and a
//! single vote is evidence against its signer ([`crate::evidence`]).
//!
//! simplex indexes participants by their position in the identity-sorted set, so
//! [`ConsensusCommittee`] keeps its members in that order: participant `i` is `members()[i]`.
//! Every signed message is prefixed with [`consensus_namespace`], which names the chain, so
//! votes from one network are worthless on another.

use crate::committee::{Candidate, CommitteeError, EpochSeed, Membership, ValidatorId, elect, hex};
use crate::keys::{BlsPublicKey, ValidatorKeys, ValidatorPublicKeys};
use commonware_consensus::simplex::scheme::bls12381_multisig;
use commonware_cryptography::bls12381::primitives::variant::MinSig;
use commonware_cryptography::ed25519;
use commonware_utils::ordered::BiMap;
use commonware_utils::{Participant, TryCollect};

/// simplex's signing scheme for Vortex: BLS multisig votes by ed25519-identified members.
pub type VortexScheme = bls12381_multisig::Scheme<ed25519::PublicKey, MinSig>;

/// What consensus agrees on: a block's hash.
pub type BlockDigest = commonware_cryptography::keccak256::Digest;

/// The namespace prefixed to every vote on chain `chain_id`.
pub fn consensus_namespace(chain_id: u64) -> Vec<u8> {
    format!("VNT/{chain_id}/vortex").into_bytes()
}

/// Why a consensus committee could not be formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemeError {
    /// A committee needs at least one member.
    #[error("a consensus committee needs at least one member")]
    Empty,
    /// A member has no registered keys.
    #[error("committee member 0x{} has no registered keys", hex(.0))]
    Unregistered(ValidatorId),
    /// Two members registered the same identity key.
    #[error("validators 0x{} and 0x{} registered the same identity key", hex(.0), hex(.1))]
    SharedIdentity(ValidatorId, ValidatorId),
    /// Two members registered the same BLS key.
    #[error("validators 0x{} and 0x{} registered the same BLS key", hex(.0), hex(.1))]
    SharedBlsKey(ValidatorId, ValidatorId),
}

/// One member of an epoch's consensus committee with its registered keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitteeMember {
    /// The validator's account.
    pub id: ValidatorId,
    /// Its network identity (orders the participant set).
    pub identity: ed25519::PublicKey,
    /// Its voting key; its proof of possession was checked at registration.
    pub bls: BlsPublicKey,
    /// Seats it drew this epoch (reward and leader weight; its vote counts once).
    pub seats: usize,
}

/// An epoch's consensus participants on one chain: what signers, verifiers and evidence
/// checks are built from.
#[derive(Clone, Debug)]
pub struct ConsensusCommittee {
    chain_id: u64,
    epoch: u64,
    members: Vec<CommitteeMember>,
    participants: BiMap<ed25519::PublicKey, BlsPublicKey>,
}

impl ConsensusCommittee {
    /// The committee of `members`, in participant (identity) order.
    ///
    /// Every BLS key must come from a registration whose proof of possession verified
    /// ([`crate::keys::verify_proof_of_possession`]): aggregate signatures are unsafe otherwise.
    pub fn new(
        chain_id: u64,
        epoch: u64,
        mut members: Vec<CommitteeMember>,
    ) -> Result<Self, SchemeError> {
        if members.is_empty() {
            return Err(SchemeError::Empty);
        }
        members.sort_by(|a, b| a.identity.cmp(&b.identity));
        if let Some(pair) = members.windows(2).find(|w| w[0].identity == w[1].identity) {
            return Err(SchemeError::SharedIdentity(pair[0].id, pair[1].id));
        }
        for (index, member) in members.iter().enumerate() {
            if let Some(first) = members[..index].iter().find(|m| m.bls == member.bls) {
                return Err(SchemeError::SharedBlsKey(first.id, member.id));
            }
        }
        let participants = members
            .iter()
            .map(|m| (m.identity.clone(), m.bls))
            .try_collect()
            .expect("identities and BLS keys were checked to be unique");
        Ok(Self {
            chain_id,
            epoch,
            members,
            participants,
        })
    }

    /// The committee of an elected membership, with each member's keys looked up in the
    /// registry (the staking contract's records).
    pub fn from_membership(
        chain_id: u64,
        membership: &Membership,
        registry: impl Fn(&ValidatorId) -> Option<ValidatorPublicKeys>,
    ) -> Result<Self, SchemeError> {
        let members = membership
            .members
            .iter()
            .map(|(id, seats)| {
                let keys = registry(id).ok_or(SchemeError::Unregistered(*id))?;
                Ok(CommitteeMember {
                    id: *id,
                    identity: keys.identity,
                    bls: keys.bls,
                    seats: *seats,
                })
            })
            .collect::<Result<Vec<_>, SchemeError>>()?;
        Self::new(chain_id, membership.epoch(), members)
    }

    /// A devnet committee: `validators` equal stakes, all members, keys from
    /// [`ValidatorKeys::devnet`] with `seed` (unsafe for value). Returns the keys in
    /// participant order with the committee.
    pub fn devnet(
        chain_id: u64,
        epoch: u64,
        seed: u64,
        validators: u32,
    ) -> Result<(Vec<ValidatorKeys>, Self), CommitteeError> {
        let keys: Vec<ValidatorKeys> = (0..validators)
            .map(|index| ValidatorKeys::devnet(seed, index))
            .collect();
        let candidates: Vec<Candidate> = (0..validators)
            .map(|index| Candidate {
                id: devnet_address(index),
                stake: 1,
            })
            .collect();
        let membership = elect(&EpochSeed([0; 32]), epoch, &candidates, validators as usize)?;
        let committee = Self::from_membership(chain_id, &membership, |id| {
            let index = (0..validators).find(|&i| devnet_address(i) == *id)?;
            Some(keys[index as usize].public())
        })
        .expect("devnet keys are registered and distinct");
        let ordered = committee.in_participant_order(keys);
        Ok((ordered, committee))
    }

    /// The chain the committee signs for.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The epoch it serves.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Members in participant order.
    pub fn members(&self) -> &[CommitteeMember] {
        &self.members
    }

    /// The member simplex calls `participant`, if there is one.
    pub fn member(&self, participant: Participant) -> Option<&CommitteeMember> {
        self.members.get(usize::from(participant))
    }

    /// `keys` sorted so that the `i`-th holds participant `i`'s keys (keys of no member
    /// last).
    pub fn in_participant_order(&self, mut keys: Vec<ValidatorKeys>) -> Vec<ValidatorKeys> {
        let identities = self.identities();
        keys.sort_by_cached_key(|k| {
            let identity = k.public().identity;
            identities
                .iter()
                .position(|member| *member == identity)
                .unwrap_or(usize::MAX)
        });
        keys
    }

    /// The identity keys, in participant order (the peer set to connect to).
    pub fn identities(&self) -> Vec<ed25519::PublicKey> {
        self.members.iter().map(|m| m.identity.clone()).collect()
    }

    /// The participant map simplex takes.
    pub fn participants(&self) -> &BiMap<ed25519::PublicKey, BlsPublicKey> {
        &self.participants
    }

    /// A scheme that checks votes and certificates but cannot sign (followers, evidence).
    pub fn verifier(&self) -> VortexScheme {
        VortexScheme::verifier(
            &consensus_namespace(self.chain_id),
            self.participants.clone(),
        )
    }

    /// The signing scheme of the member holding `keys`; `None` if it is not a member.
    pub fn signer(&self, keys: &ValidatorKeys) -> Option<VortexScheme> {
        VortexScheme::signer(
            &consensus_namespace(self.chain_id),
            self.participants.clone(),
            keys.bls().clone(),
        )
    }
}

/// The account address of devnet validator `index`: `index + 1`, big-endian,
/// right-aligned (never the zero address, which the staking contract's storage reads as
/// "nobody").
pub fn devnet_address(index: u32) -> ValidatorId {
    let mut id = [0u8; 20];
    id[12..].copy_from_slice(&(u64::from(index) + 1).to_be_bytes());
    id
}

#[cfg(test)]
mod tests;
