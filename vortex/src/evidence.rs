//! Evidence of equivocation: two votes by one member that an honest member never signs.
//!
//! simplex reports three faults, each a pair of signed votes for one round by one signer:
//!
//! | kind | tag | the two votes |
//! |---|---|---|
//! | conflicting notarize | 1 | notarize votes for two different proposals |
//! | conflicting finalize | 2 | finalize votes for two different proposals |
//! | nullify and finalize | 3 | a vote to skip the round and a vote to finalize in it |
//!
//! On the wire (in an evidence transaction) evidence is the tag byte followed by commonware's
//! encoding of the fault, i.e. the two votes one after the other. [`Evidence::decode`] checks
//! the shape (same signer, same round, really conflicting); [`Evidence::check`] checks both
//! signatures against the committee of the evidence's epoch and names the offender. Both are
//! deterministic and never panic on any input, so they can run inside block execution, where
//! every node must reach the same verdict.

use crate::committee::{ValidatorId, hex};
use crate::scheme::{BlockDigest, ConsensusCommittee, VortexScheme};
use commonware_codec::{Copying, Encode, Read, ReadExt};
use commonware_consensus::simplex::types::{Activity, Attributable, Finalize, Notarize, Nullify};
use commonware_consensus::types::Round;
use commonware_cryptography::ed25519;
use commonware_parallel::Sequential;
use commonware_utils::{Participant, TestRng};
use std::fmt;

type Vote = Notarize<VortexScheme, BlockDigest>;
type FinalizeVote = Finalize<VortexScheme, BlockDigest>;

/// The kind of fault a piece of evidence proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Notarize votes for two proposals in one round.
    ConflictingNotarize,
    /// Finalize votes for two proposals in one round.
    ConflictingFinalize,
    /// A nullify vote and a finalize vote in one round.
    NullifyFinalize,
}

impl Fault {
    fn tag(self) -> u8 {
        match self {
            Self::ConflictingNotarize => 1,
            Self::ConflictingFinalize => 2,
            Self::NullifyFinalize => 3,
        }
    }

    fn from_tag(tag: u8) -> Option<Self> {
        [
            Self::ConflictingNotarize,
            Self::ConflictingFinalize,
            Self::NullifyFinalize,
        ]
        .into_iter()
        .find(|fault| fault.tag() == tag)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ConflictingNotarize => "conflicting notarize",
            Self::ConflictingFinalize => "conflicting finalize",
            Self::NullifyFinalize => "nullify and finalize",
        })
    }
}

/// Why evidence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// No bytes at all.
    #[error("evidence is empty")]
    Empty,
    /// The first byte names no known fault.
    #[error("evidence tag {0} names no known fault (1, 2 or 3)")]
    UnknownTag(u8),
    /// The votes do not decode.
    #[error("{fault} evidence does not decode: {reason}")]
    Malformed {
        /// The fault the tag announced.
        fault: Fault,
        /// The decoder's reason.
        reason: String,
    },
    /// Bytes remain after the two votes.
    #[error("{fault} evidence has {extra} bytes after its two votes")]
    TrailingBytes {
        /// The fault the tag announced.
        fault: Fault,
        /// How many bytes remain.
        extra: usize,
    },
    /// The two votes are by different members.
    #[error("{fault} evidence pairs votes of two members (participants {first} and {second})")]
    DifferentSigners {
        /// The fault the tag announced.
        fault: Fault,
        /// Signer of the first vote.
        first: u32,
        /// Signer of the second vote.
        second: u32,
    },
    /// The two votes are for different rounds.
    #[error("{fault} evidence pairs votes of two rounds ({first} and {second})")]
    DifferentRounds {
        /// The fault the tag announced.
        fault: Fault,
        /// Round of the first vote.
        first: Round,
        /// Round of the second vote.
        second: Round,
    },
    /// Both votes are for the same proposal: voting twice for one proposal is no fault.
    #[error("{fault} evidence votes twice for the same proposal, which is no conflict")]
    SameProposal {
        /// The fault the tag announced.
        fault: Fault,
    },
    /// The evidence is for an epoch other than the committee's.
    #[error(
        "evidence is for epoch {evidence} but was checked against the committee of epoch {committee}"
    )]
    WrongEpoch {
        /// The evidence's epoch.
        evidence: u64,
        /// The committee's epoch.
        committee: u64,
    },
    /// The signer index is outside the committee.
    #[error("evidence names participant {participant}, but the committee has {members} members")]
    UnknownSigner {
        /// The claimed signer.
        participant: u32,
        /// Committee size.
        members: usize,
    },
    /// A vote's signature does not verify under the signer's key.
    #[error(
        "the {vote} vote does not verify under the key of participant {participant} \
         (epoch {epoch}, chain {chain_id})"
    )]
    BadSignature {
        /// Which of the two votes failed.
        vote: &'static str,
        /// The claimed signer.
        participant: u32,
        /// The committee's epoch.
        epoch: u64,
        /// The committee's chain.
        chain_id: u64,
    },
}

/// What a valid piece of evidence proves: who misbehaved, when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offence {
    /// The fault.
    pub fault: Fault,
    /// Epoch of the two votes.
    pub epoch: u64,
    /// View of the two votes.
    pub view: u64,
    /// The offender's account.
    pub offender: ValidatorId,
    /// The offender's identity key.
    pub identity: ed25519::PublicKey,
}

impl fmt::Display for Offence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} by 0x{} in epoch {} view {}",
            self.fault,
            hex(&self.offender),
            self.epoch,
            self.view
        )
    }
}

/// Two conflicting votes by one signer in one round (module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// Notarize votes for two proposals.
    ConflictingNotarize(Vote, Vote),
    /// Finalize votes for two proposals.
    ConflictingFinalize(FinalizeVote, FinalizeVote),
    /// A nullify vote and a finalize vote.
    NullifyFinalize(Nullify<VortexScheme>, FinalizeVote),
}

impl Evidence {
    /// The evidence in a fault simplex reported; `None` for activities that are not faults
    /// (and for a fault whose votes do not conflict, which simplex never reports).
    pub fn from_activity(activity: &Activity<VortexScheme, BlockDigest>) -> Option<Self> {
        // The fault types keep their votes private; their encoding is the two votes in order,
        // which is exactly what follows our tag.
        let (fault, body) = match activity {
            Activity::ConflictingNotarize(c) => (Fault::ConflictingNotarize, c.encode()),
            Activity::ConflictingFinalize(c) => (Fault::ConflictingFinalize, c.encode()),
            Activity::NullifyFinalize(c) => (Fault::NullifyFinalize, c.encode()),
            _ => return None,
        };
        let mut bytes = vec![fault.tag()];
        bytes.extend_from_slice(&body);
        Self::decode(&bytes).ok()
    }

    /// The fault this evidence proves.
    pub fn fault(&self) -> Fault {
        match self {
            Self::ConflictingNotarize(..) => Fault::ConflictingNotarize,
            Self::ConflictingFinalize(..) => Fault::ConflictingFinalize,
            Self::NullifyFinalize(..) => Fault::NullifyFinalize,
        }
    }

    /// The round of both votes.
    pub fn round(&self) -> Round {
        match self {
            Self::ConflictingNotarize(first, _) => first.round(),
            Self::ConflictingFinalize(first, _) => first.round(),
            Self::NullifyFinalize(nullify, _) => nullify.round,
        }
    }

    /// The participant index of the signer of both votes.
    pub fn signer(&self) -> Participant {
        match self {
            Self::ConflictingNotarize(first, _) => first.signer(),
            Self::ConflictingFinalize(first, _) => first.signer(),
            Self::NullifyFinalize(nullify, _) => nullify.signer(),
        }
    }

    /// The tag byte followed by the two votes.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = vec![self.fault().tag()];
        match self {
            Self::ConflictingNotarize(a, b) => {
                bytes.extend_from_slice(&a.encode());
                bytes.extend_from_slice(&b.encode());
            }
            Self::ConflictingFinalize(a, b) => {
                bytes.extend_from_slice(&a.encode());
                bytes.extend_from_slice(&b.encode());
            }
            Self::NullifyFinalize(a, b) => {
                bytes.extend_from_slice(&a.encode());
                bytes.extend_from_slice(&b.encode());
            }
        }
        bytes
    }

    /// Decodes evidence and checks its shape: one signer, one round, two votes that conflict.
    /// Signatures are checked by [`Evidence::check`].
    pub fn decode(bytes: &[u8]) -> Result<Self, EvidenceError> {
        let (&tag, body) = bytes.split_first().ok_or(EvidenceError::Empty)?;
        let fault = Fault::from_tag(tag).ok_or(EvidenceError::UnknownTag(tag))?;
        let evidence = match fault {
            Fault::ConflictingNotarize => {
                let (a, b): (Vote, Vote) = read_pair(fault, body)?;
                same_signer_and_round(fault, (a.signer(), a.round()), (b.signer(), b.round()))?;
                if a.proposal == b.proposal {
                    return Err(EvidenceError::SameProposal { fault });
                }
                Self::ConflictingNotarize(a, b)
            }
            Fault::ConflictingFinalize => {
                let (a, b): (FinalizeVote, FinalizeVote) = read_pair(fault, body)?;
                same_signer_and_round(fault, (a.signer(), a.round()), (b.signer(), b.round()))?;
                if a.proposal == b.proposal {
                    return Err(EvidenceError::SameProposal { fault });
                }
                Self::ConflictingFinalize(a, b)
            }
            Fault::NullifyFinalize => {
                let (a, b): (Nullify<VortexScheme>, FinalizeVote) = read_pair(fault, body)?;
                same_signer_and_round(fault, (a.signer(), a.round), (b.signer(), b.round()))?;
                Self::NullifyFinalize(a, b)
            }
        };
        Ok(evidence)
    }

    /// Checks both signatures against `committee`, which must be the committee of the
    /// evidence's epoch, and names the offender.
    ///
    /// The verdict draws on no randomness: checking one vote is a single pairing check
    /// (only batch checks draw random weights), so every node reaches the same one. The
    /// generator handed to commonware is fixed anyway, and a test runs every path with a
    /// generator that panics when drawn from (`check_drawing_from`).
    pub fn check(&self, committee: &ConsensusCommittee) -> Result<Offence, EvidenceError> {
        self.check_drawing_from(committee, &mut TestRng::new(0))
    }

    /// [`Evidence::check`] with the generator the signature checks are handed.
    fn check_drawing_from(
        &self,
        committee: &ConsensusCommittee,
        rng: &mut impl rand_core::CryptoRng,
    ) -> Result<Offence, EvidenceError> {
        let round = self.round();
        let epoch = round.epoch().get();
        if epoch != committee.epoch() {
            return Err(EvidenceError::WrongEpoch {
                evidence: epoch,
                committee: committee.epoch(),
            });
        }
        let participant = self.signer();
        let offender = committee
            .member(participant)
            .ok_or(EvidenceError::UnknownSigner {
                participant: participant.get(),
                members: committee.members().len(),
            })?;
        let verifier = committee.verifier();
        let (first, second) = match self {
            Self::ConflictingNotarize(a, b) => (
                a.verify(rng, &verifier, &Sequential),
                b.verify(rng, &verifier, &Sequential),
            ),
            Self::ConflictingFinalize(a, b) => (
                a.verify(rng, &verifier, &Sequential),
                b.verify(rng, &verifier, &Sequential),
            ),
            Self::NullifyFinalize(a, b) => (
                a.verify::<_, BlockDigest>(rng, &verifier, &Sequential),
                b.verify(rng, &verifier, &Sequential),
            ),
        };
        for (vote, valid) in [("first", first), ("second", second)] {
            if !valid {
                return Err(EvidenceError::BadSignature {
                    vote,
                    participant: participant.get(),
                    epoch,
                    chain_id: committee.chain_id(),
                });
            }
        }
        Ok(Offence {
            fault: self.fault(),
            epoch,
            view: round.view().get(),
            offender: offender.id,
            identity: offender.identity.clone(),
        })
    }
}

fn read_pair<A, B>(fault: Fault, body: &[u8]) -> Result<(A, B), EvidenceError>
where
    A: Read<Cfg = ()>,
    B: Read<Cfg = ()>,
{
    let mut reader = Copying(body);
    let malformed = |error: commonware_codec::Error| EvidenceError::Malformed {
        fault,
        reason: error.to_string(),
    };
    let first = A::read(&mut reader).map_err(malformed)?;
    let second = B::read(&mut reader).map_err(malformed)?;
    if !reader.0.is_empty() {
        return Err(EvidenceError::TrailingBytes {
            fault,
            extra: reader.0.len(),
        });
    }
    Ok((first, second))
}

fn same_signer_and_round(
    fault: Fault,
    (first_signer, first_round): (Participant, Round),
    (second_signer, second_round): (Participant, Round),
) -> Result<(), EvidenceError> {
    if first_signer != second_signer {
        return Err(EvidenceError::DifferentSigners {
            fault,
            first: first_signer.get(),
            second: second_signer.get(),
        });
    }
    if first_round != second_round {
        return Err(EvidenceError::DifferentRounds {
            fault,
            first: first_round,
            second: second_round,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
