use super::*;
use crate::testing::{CHAIN, committee, proposal, round, signer};
use commonware_consensus::simplex::types::{ConflictingNotarize, Finalize};

const EPOCH: u64 = 2;

/// Participant `index` notarizes two different proposals in view 5.
fn double_notarize(index: usize) -> (ConsensusCommittee, Vote, Vote) {
    let (keys, committee) = committee(EPOCH, 7);
    let scheme = signer(&keys, &committee, index);
    let first = Notarize::sign(&scheme, proposal(EPOCH, 5, 0xaa)).unwrap();
    let second = Notarize::sign(&scheme, proposal(EPOCH, 5, 0x55)).unwrap();
    (committee, first, second)
}

fn concat(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut bytes = vec![tag];
    for part in parts {
        bytes.extend_from_slice(part);
    }
    bytes
}

#[test]
fn conflicting_notarize_votes_name_their_signer() {
    let (committee, first, second) = double_notarize(3);
    let bytes = Evidence::ConflictingNotarize(first, second).encode();
    let offence = Evidence::decode(&bytes).unwrap().check(&committee).unwrap();
    assert_eq!(offence.fault, Fault::ConflictingNotarize);
    assert_eq!((offence.epoch, offence.view), (EPOCH, 5));
    assert_eq!(offence.offender, committee.members()[3].id);
    assert_eq!(offence.identity, committee.members()[3].identity);
}

#[test]
fn conflicting_finalize_and_nullify_finalize_are_accepted() {
    let (keys, committee) = committee(EPOCH, 7);
    let scheme = signer(&keys, &committee, 6);
    let finalize_a = Finalize::sign(&scheme, proposal(EPOCH, 8, 1)).unwrap();
    let finalize_b = Finalize::sign(&scheme, proposal(EPOCH, 8, 2)).unwrap();
    let nullify = Nullify::sign::<BlockDigest>(&scheme, round(EPOCH, 8)).unwrap();
    for (evidence, fault) in [
        (
            Evidence::ConflictingFinalize(finalize_a.clone(), finalize_b),
            Fault::ConflictingFinalize,
        ),
        (
            Evidence::NullifyFinalize(nullify, finalize_a),
            Fault::NullifyFinalize,
        ),
    ] {
        let offence = Evidence::decode(&evidence.encode())
            .unwrap()
            .check(&committee)
            .unwrap();
        assert_eq!(offence.fault, fault);
        assert_eq!(offence.offender, committee.members()[6].id);
        assert_eq!(offence.view, 8);
    }
}

#[test]
fn the_wire_format_is_a_tag_then_commonwares_encoding_of_the_fault() {
    let (_, first, second) = double_notarize(0);
    let fault = ConflictingNotarize::new(first.clone(), second.clone());
    let expected = concat(1, &[&fault.encode()]);
    let activity = Activity::ConflictingNotarize(fault);
    let evidence = Evidence::from_activity(&activity).unwrap();
    assert_eq!(
        evidence,
        Evidence::ConflictingNotarize(first.clone(), second)
    );
    assert_eq!(evidence.encode(), expected);
    assert_eq!(expected.len(), 169, "tag, then two 84-byte votes");
    assert_eq!(Evidence::from_activity(&Activity::Notarize(first)), None);
}

#[test]
fn every_altered_byte_is_rejected() {
    let (committee, first, second) = double_notarize(2);
    let bytes = Evidence::ConflictingNotarize(first, second).encode();
    for index in 1..bytes.len() {
        for flip in [0x01, 0x80] {
            let mut altered = bytes.clone();
            altered[index] ^= flip;
            let verdict = Evidence::decode(&altered).and_then(|e| e.check(&committee));
            assert!(verdict.is_err(), "byte {index} ^ {flip:#x} was accepted");
        }
    }
    // An altered signature decodes (points are checked lazily) and fails its pairing check.
    let mut altered = bytes.clone();
    *altered.last_mut().unwrap() ^= 0x01;
    let error = Evidence::decode(&altered)
        .and_then(|e| e.check(&committee))
        .unwrap_err();
    assert!(
        matches!(
            error,
            EvidenceError::BadSignature {
                vote: "second",
                participant: 2,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn evidence_checked_against_another_committee_is_rejected() {
    let (_, first, second) = double_notarize(5);
    let evidence = Evidence::ConflictingNotarize(first, second);
    let (_, next_epoch) = committee(EPOCH + 1, 7);
    assert_eq!(
        evidence.check(&next_epoch),
        Err(EvidenceError::WrongEpoch {
            evidence: EPOCH,
            committee: EPOCH + 1
        })
    );
    let (_, other_keys) = ConsensusCommittee::devnet(CHAIN, EPOCH, 43, 7).unwrap();
    assert!(matches!(
        evidence.check(&other_keys),
        Err(EvidenceError::BadSignature {
            vote: "first",
            participant: 5,
            ..
        })
    ));
    let (_, other_chain) = ConsensusCommittee::devnet(CHAIN + 1, EPOCH, 42, 7).unwrap();
    let error = evidence.check(&other_chain).unwrap_err();
    assert!(error.to_string().contains("chain 7001"), "{error}");
    let (_, smaller) = committee(EPOCH, 4);
    assert_eq!(
        evidence.check(&smaller),
        Err(EvidenceError::UnknownSigner {
            participant: 5,
            members: 4
        })
    );
}

#[test]
fn votes_that_do_not_conflict_are_not_evidence() {
    let (keys, committee) = committee(EPOCH, 7);
    let (_, first, second) = double_notarize(1);
    assert_eq!(
        Evidence::decode(&concat(1, &[&first.encode(), &first.encode()])),
        Err(EvidenceError::SameProposal {
            fault: Fault::ConflictingNotarize
        })
    );
    let other_signer =
        Notarize::sign(&signer(&keys, &committee, 4), proposal(EPOCH, 5, 0x55)).unwrap();
    assert_eq!(
        Evidence::decode(&concat(1, &[&first.encode(), &other_signer.encode()])),
        Err(EvidenceError::DifferentSigners {
            fault: Fault::ConflictingNotarize,
            first: 1,
            second: 4
        })
    );
    let later = Notarize::sign(&signer(&keys, &committee, 1), proposal(EPOCH, 6, 0x55)).unwrap();
    let error = Evidence::decode(&concat(1, &[&first.encode(), &later.encode()])).unwrap_err();
    assert!(
        matches!(error, EvidenceError::DifferentRounds { .. }),
        "{error}"
    );
    // Notarize and finalize votes share a layout, but not a signing domain: two notarize
    // votes under the finalize tag decode and then fail their signature check.
    let relabelled = Evidence::decode(&concat(2, &[&first.encode(), &second.encode()])).unwrap();
    assert!(matches!(
        relabelled.check(&committee),
        Err(EvidenceError::BadSignature { vote: "first", .. })
    ));
}

#[test]
fn truncated_padded_and_garbage_bytes_are_rejected_without_panicking() {
    let (_, first, second) = double_notarize(0);
    let bytes = Evidence::ConflictingNotarize(first, second).encode();
    assert_eq!(Evidence::decode(&[]), Err(EvidenceError::Empty));
    for length in 1..bytes.len() {
        let error = Evidence::decode(&bytes[..length]).unwrap_err();
        assert!(
            matches!(error, EvidenceError::Malformed { .. }),
            "cut at {length}: {error}"
        );
    }
    let mut padded = bytes.clone();
    padded.extend_from_slice(&[0, 0, 0]);
    assert_eq!(
        Evidence::decode(&padded),
        Err(EvidenceError::TrailingBytes {
            fault: Fault::ConflictingNotarize,
            extra: 3
        })
    );
    assert_eq!(
        Evidence::decode(&[9, 1, 2]),
        Err(EvidenceError::UnknownTag(9))
    );
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for length in 0..400 {
        let garbage: Vec<u8> = (0..length)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        for tag in 1..=3 {
            let mut tagged = vec![tag];
            tagged.extend_from_slice(&garbage);
            assert!(Evidence::decode(&tagged).is_err());
        }
    }
}

/// A verdict that drew from the generator would differ between nodes with different
/// generators; this one panics when drawn from, so every path must leave it untouched.
#[test]
fn checking_evidence_never_draws_from_the_generator() {
    let (keys, committee) = committee(EPOCH, 7);
    let scheme = signer(&keys, &committee, 2);
    let finalize_a = Finalize::sign(&scheme, proposal(EPOCH, 8, 1)).unwrap();
    let finalize_b = Finalize::sign(&scheme, proposal(EPOCH, 8, 2)).unwrap();
    let nullify = Nullify::sign::<BlockDigest>(&scheme, round(EPOCH, 8)).unwrap();
    let (_, first, second) = double_notarize(2);
    let valid = [
        Evidence::ConflictingNotarize(first.clone(), second.clone()),
        Evidence::ConflictingFinalize(finalize_a.clone(), finalize_b),
        Evidence::NullifyFinalize(nullify, finalize_a),
    ];
    let mut forged = vec![
        // Notarize votes under the finalize tag: both signatures are checked and fail.
        Evidence::decode(&concat(2, &[&first.encode(), &second.encode()])).unwrap(),
    ];
    for evidence in &valid {
        // One flipped signature bit: the last byte of the evidence is in the second vote's
        // signature.
        let mut bytes = evidence.encode();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        if let Ok(decoded) = Evidence::decode(&bytes) {
            forged.push(decoded);
        }
    }
    for evidence in &valid {
        let never = &mut commonware_utils::ScriptedRng::new([]);
        let offence = evidence.check_drawing_from(&committee, never).unwrap();
        assert_eq!(offence.offender, committee.members()[2].id);
    }
    for evidence in &forged {
        let never = &mut commonware_utils::ScriptedRng::new([]);
        assert!(evidence.check_drawing_from(&committee, never).is_err());
    }
    // And the same bytes get the same verdict, call after call.
    for evidence in &valid {
        assert_eq!(evidence.check(&committee), evidence.check(&committee));
    }
}
