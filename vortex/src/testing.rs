//! Fixtures for tests, here and in crates that check Vortex data (the staking contract's
//! evidence tests): a devnet committee, and votes signed with a validator's keys. Built for
//! this crate's unit tests and, for other crates, behind the `testing` feature.

use crate::evidence::Evidence;
use crate::finality::{FinalizationCertificate, encode_finalization};
use crate::keys::ValidatorKeys;
use crate::scheme::{BlockDigest, ConsensusCommittee, VortexScheme};
use commonware_consensus::simplex::types::{Finalize, Notarize, Proposal};
use commonware_consensus::types::{Epoch, Round, View};
use commonware_parallel::Sequential;
use commonware_utils::iter::NonEmpty;

/// The chain id the fixtures sign for.
pub const CHAIN: u64 = 7_000;

/// A devnet committee of `validators` for `epoch` on [`CHAIN`], keys in participant order.
pub fn committee(epoch: u64, validators: u32) -> (Vec<ValidatorKeys>, ConsensusCommittee) {
    ConsensusCommittee::devnet(CHAIN, epoch, 42, validators).expect("devnet committee")
}

/// The signing scheme of participant `index`.
pub fn signer(
    keys: &[ValidatorKeys],
    committee: &ConsensusCommittee,
    index: usize,
) -> VortexScheme {
    committee.signer(&keys[index]).expect("member")
}

/// A proposal in `(epoch, view)` whose payload is `payload` repeated.
pub fn proposal(epoch: u64, view: u64, payload: u8) -> Proposal<BlockDigest> {
    Proposal::new(
        round(epoch, view),
        View::new(view.saturating_sub(1)),
        commonware_cryptography::keccak256::Digest([payload; 32]),
    )
}

/// The round `(epoch, view)`.
pub fn round(epoch: u64, view: u64) -> Round {
    Round::new(Epoch::new(epoch), View::new(view))
}

/// Evidence that the member holding `keys` notarized two proposals (payloads `0xaa` and
/// `0x55`) in `view` of `committee`'s epoch; `None` if `keys` are not a member's.
pub fn double_notarize(
    keys: &ValidatorKeys,
    committee: &ConsensusCommittee,
    view: u64,
) -> Option<Evidence> {
    let scheme = committee.signer(keys)?;
    let epoch = committee.epoch();
    let first = Notarize::sign(&scheme, proposal(epoch, view, 0xaa))?;
    let second = Notarize::sign(&scheme, proposal(epoch, view, 0x55))?;
    Some(Evidence::ConflictingNotarize(first, second))
}

/// A finality proof for the block `digest` in `view` of `committee`'s epoch, signed by its
/// first `signing` members (`keys` in participant order); `None` if they are not a quorum.
pub fn finality_proof(
    keys: &[ValidatorKeys],
    committee: &ConsensusCommittee,
    view: u64,
    digest: BlockDigest,
    signing: usize,
) -> Option<Vec<u8>> {
    let subject = Proposal::new(round(committee.epoch(), view), View::new(view - 1), digest);
    let mut votes = keys[..signing]
        .iter()
        .map(|member| Finalize::sign(&committee.signer(member)?, subject.clone()));
    let first = votes.next()??;
    let votes: Vec<_> = votes.collect::<Option<_>>()?;
    let certificate = FinalizationCertificate::from_owned_finalizes(
        &committee.signer(&keys[0])?,
        NonEmpty::new(first, votes.into_iter()),
        &Sequential,
    )
    .ok()?;
    Some(encode_finalization(&certificate))
}
