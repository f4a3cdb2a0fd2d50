use super::*;
use crate::testing::{CHAIN, committee, proposal, signer};
use commonware_consensus::simplex::types::{Attributable, Notarize};
use commonware_parallel::Sequential;
use commonware_utils::TestRng;

#[test]
fn participant_indices_follow_identity_order_and_name_the_signer() {
    let (keys, committee) = committee(3, 7);
    let identities = committee.identities();
    let mut sorted = identities.clone();
    sorted.sort();
    assert_eq!(identities, sorted);
    for (index, key) in keys.iter().enumerate() {
        let vote = Notarize::sign(&signer(&keys, &committee, index), proposal(3, 9, 1)).unwrap();
        let member = committee.member(vote.signer()).unwrap();
        assert_eq!(member.identity, key.public().identity);
        assert_eq!(
            member.id,
            devnet_address(
                (0..7)
                    .find(|&i| ValidatorKeys::devnet(42, i).public() == key.public())
                    .unwrap(),
            )
        );
    }
}

#[test]
fn keys_outside_the_committee_cannot_sign() {
    let (_, committee) = committee(0, 4);
    assert!(committee.signer(&ValidatorKeys::devnet(42, 4)).is_none());
    assert!(committee.signer(&ValidatorKeys::devnet(43, 0)).is_none());
}

#[test]
fn a_vote_verifies_only_on_the_chain_it_was_signed_for() {
    let (keys, here) = committee(0, 4);
    let (_, elsewhere) = ConsensusCommittee::devnet(CHAIN + 1, 0, 42, 4).unwrap();
    let vote = Notarize::sign(&signer(&keys, &here, 0), proposal(0, 1, 1)).unwrap();
    let rng = &mut TestRng::new(0);
    assert!(vote.verify(rng, &here.verifier(), &Sequential));
    assert!(!vote.verify(rng, &elsewhere.verifier(), &Sequential));
}

fn member(index: u32, identity_of: u32, bls_of: u32) -> CommitteeMember {
    CommitteeMember {
        id: devnet_address(index),
        identity: ValidatorKeys::devnet(1, identity_of).public().identity,
        bls: ValidatorKeys::devnet(1, bls_of).public().bls,
        seats: 1,
    }
}

#[test]
fn malformed_committees_are_refused_naming_the_validators() {
    assert_eq!(
        ConsensusCommittee::new(CHAIN, 0, vec![]).unwrap_err(),
        SchemeError::Empty
    );
    let shared_identity = vec![member(0, 0, 0), member(1, 0, 1)];
    assert!(matches!(
        ConsensusCommittee::new(CHAIN, 0, shared_identity).unwrap_err(),
        SchemeError::SharedIdentity(..)
    ));
    let shared_bls = vec![member(0, 0, 5), member(1, 1, 5)];
    let error = ConsensusCommittee::new(CHAIN, 0, shared_bls).unwrap_err();
    assert!(matches!(error, SchemeError::SharedBlsKey(..)), "{error}");
    assert!(error.to_string().contains("registered the same BLS key"));
}

#[test]
fn a_member_without_registered_keys_is_refused() {
    let membership = crate::committee::elect(
        &EpochSeed([1; 32]),
        0,
        &[Candidate {
            id: devnet_address(9),
            stake: 5,
        }],
        4,
    )
    .unwrap();
    assert_eq!(
        ConsensusCommittee::from_membership(CHAIN, &membership, |_| None).unwrap_err(),
        SchemeError::Unregistered(devnet_address(9))
    );
}
