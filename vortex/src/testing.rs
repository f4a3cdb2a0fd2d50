//! Fixtures shared by this crate's unit tests: a devnet committee and votes signed by it.

use crate::keys::ValidatorKeys;
use crate::scheme::{BlockDigest, ConsensusCommittee, VortexScheme};
use commonware_consensus::simplex::types::Proposal;
use commonware_consensus::types::{Epoch, Round, View};

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
        View::new(view - 1),
        commonware_cryptography::keccak256::Digest([payload; 32]),
    )
}

/// The round `(epoch, view)`.
pub fn round(epoch: u64, view: u64) -> Round {
    Round::new(Epoch::new(epoch), View::new(view))
}
