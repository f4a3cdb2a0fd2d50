use super::*;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

fn id(n: u8) -> ValidatorId {
    [n; 20]
}

fn keypair(n: u8) -> VrfKeypair {
    VrfKeypair::from_seed([n; 32])
}

/// Runs `epochs` epochs in which one proposer per epoch (chosen by `rng`, as block
/// production would) contributes a verified VRF output, and returns every committee drawn.
fn simulate(
    epochs: u64,
    candidates: &[Candidate],
    seats: usize,
    rng: &mut ChaCha20Rng,
) -> Vec<Committee> {
    let keys: Vec<VrfKeypair> = (0..candidates.len() as u8).map(keypair).collect();
    let (mut seed, mut seed_after) = (EpochSeed([1; 32]), EpochSeed([2; 32]));
    let mut committees = Vec::new();
    for epoch in 0..epochs {
        committees.push(draw(&seed, epoch, candidates, seats).unwrap());
        let proposer = (rng.next_u32() as usize) % keys.len();
        let (output, proof) = keys[proposer].evaluate(&seed, epoch, epoch * 10);
        let verified =
            verify_output(&keys[proposer].public(), &seed, epoch, epoch * 10, &proof).unwrap();
        assert_eq!(verified, output);
        let fixed = next_seed(&seed_after, epoch, &[verified]);
        (seed, seed_after) = (seed_after, fixed);
    }
    committees
}

#[test]
fn seat_shares_track_stake_shares_within_one_point_over_10_000_epochs() {
    let stakes = [400u128, 250, 150, 100, 50, 30, 20];
    let candidates: Vec<Candidate> = stakes
        .iter()
        .enumerate()
        .map(|(i, &stake)| Candidate {
            id: id(i as u8),
            stake: stake * 10u128.pow(18),
        })
        .collect();
    let total_stake: u128 = stakes.iter().sum();
    let committees = simulate(10_000, &candidates, 16, &mut ChaCha20Rng::seed_from_u64(7));
    let total_seats = (committees.len() * 16) as f64;
    for (i, &stake) in stakes.iter().enumerate() {
        let won = committees
            .iter()
            .flat_map(|c| &c.seats)
            .filter(|s| **s == id(i as u8))
            .count();
        let seat_share = won as f64 / total_seats;
        let stake_share = stake as f64 / total_stake as f64;
        assert!(
            (seat_share - stake_share).abs() < 0.01,
            "candidate {i}: {:.4} of seats for {:.4} of stake",
            seat_share,
            stake_share
        );
    }
}

#[test]
fn anyone_recomputes_the_committee_from_chain_data() {
    // What the chain records: the stake snapshot, the proposers' VRF keys, and each block's
    // VRF proof. A verifier with only these gets the same seed and the same committee.
    let candidates: Vec<Candidate> = (0..5)
        .map(|i| Candidate {
            id: id(i),
            stake: 100 + i as u128,
        })
        .collect();
    let seed = EpochSeed([9; 32]);
    let seed_after = EpochSeed([8; 32]);
    let blocks: Vec<(u8, u64, VrfProof)> = (0..4u64)
        .map(|h| {
            let proposer = (h % 5) as u8;
            (proposer, h, keypair(proposer).evaluate(&seed, 3, h).1)
        })
        .collect();
    let recompute = |blocks: &[(u8, u64, VrfProof)]| -> Result<Committee, CommitteeError> {
        let outputs = blocks
            .iter()
            .map(|(p, h, proof)| verify_output(&keypair(*p).public(), &seed, 3, *h, proof))
            .collect::<Result<Vec<_>, _>>()?;
        draw(&next_seed(&seed_after, 3, &outputs), 5, &candidates, 8)
    };
    let honest = recompute(&blocks).unwrap();
    assert_eq!(recompute(&blocks).unwrap(), honest);
    assert_eq!(honest.seats.len(), 8);
    // A header whose proof was swapped for another block's does not verify.
    let mut swapped = blocks.clone();
    swapped[1].2 = blocks[2].2;
    assert_eq!(recompute(&swapped), Err(CommitteeError::BadProof));
}

#[test]
fn an_altered_vrf_proof_is_rejected() {
    let key = keypair(3);
    let seed = EpochSeed([4; 32]);
    let (output, proof) = key.evaluate(&seed, 7, 70);
    assert_eq!(
        verify_output(&key.public(), &seed, 7, 70, &proof),
        Ok(output)
    );
    for byte in [0, 31, 32, 63] {
        let mut altered = proof;
        altered.proof[byte] ^= 1;
        assert_eq!(
            verify_output(&key.public(), &seed, 7, 70, &altered),
            Err(CommitteeError::BadProof),
            "proof byte {byte}"
        );
    }
    let mut altered = proof;
    altered.pre_output[0] ^= 1;
    assert_eq!(
        verify_output(&key.public(), &seed, 7, 70, &altered),
        Err(CommitteeError::BadProof)
    );
    // The right proof under another key, for another height, epoch or seed.
    assert_eq!(
        verify_output(&keypair(4).public(), &seed, 7, 70, &proof),
        Err(CommitteeError::BadProof)
    );
    assert_eq!(
        verify_output(&key.public(), &seed, 7, 71, &proof),
        Err(CommitteeError::BadProof)
    );
    assert_eq!(
        verify_output(&key.public(), &seed, 8, 70, &proof),
        Err(CommitteeError::BadProof)
    );
    assert_eq!(
        verify_output(&key.public(), &EpochSeed([5; 32]), 7, 70, &proof),
        Err(CommitteeError::BadProof)
    );
    assert_eq!(
        verify_output(&[0xff; 32], &seed, 7, 70, &proof),
        Err(CommitteeError::BadKey)
    );
}

#[test]
fn the_draw_ignores_input_order_and_zero_stake() {
    let seed = EpochSeed([6; 32]);
    let mut candidates: Vec<Candidate> = (0..6)
        .map(|i| Candidate {
            id: id(i),
            stake: 10 * (i as u128 + 1),
        })
        .collect();
    let forward = draw(&seed, 1, &candidates, 20).unwrap();
    candidates.reverse();
    candidates.push(Candidate {
        id: id(99),
        stake: 0,
    });
    let backward = draw(&seed, 1, &candidates, 20).unwrap();
    assert_eq!(forward, backward);
    assert!(!backward.contains(&id(99)));
    assert_eq!(forward.members().iter().map(|(_, n)| n).sum::<usize>(), 20);
    assert_ne!(
        draw(&seed, 2, &candidates, 20).unwrap().seats,
        forward.seats,
        "another epoch, another draw"
    );
}

#[test]
fn bad_stake_tables_are_refused() {
    let seed = EpochSeed([0; 32]);
    let one = Candidate {
        id: id(1),
        stake: 5,
    };
    assert_eq!(draw(&seed, 0, &[], 4), Err(CommitteeError::NoStake));
    assert_eq!(
        draw(
            &seed,
            0,
            &[Candidate {
                id: id(1),
                stake: 0
            }],
            4
        ),
        Err(CommitteeError::NoStake)
    );
    assert_eq!(draw(&seed, 0, &[one], 0), Err(CommitteeError::NoSeats));
    assert_eq!(
        draw(&seed, 0, &[one, one], 4),
        Err(CommitteeError::DuplicateCandidate(id(1)))
    );
    let huge = Candidate {
        id: id(2),
        stake: u128::MAX,
    };
    assert_eq!(
        draw(&seed, 0, &[one, huge], 4),
        Err(CommitteeError::StakeOverflow)
    );
    // A single candidate with all the stake takes every seat, whatever the bound.
    let all = draw(
        &seed,
        0,
        &[Candidate {
            id: id(3),
            stake: u128::MAX,
        }],
        3,
    )
    .unwrap();
    assert_eq!(all.seats, vec![id(3); 3]);
}

#[test]
fn the_uniform_draw_has_no_bias_at_awkward_bounds() {
    // A bound just above 2^127 rejects almost half of all hashes: the draw must still land
    // in range and reach both halves.
    let bound = (1u128 << 127) + 1;
    let seed = EpochSeed([3; 32]);
    let draws: Vec<u128> = (0..200)
        .map(|seat| uniform_below(&seed, 0, seat, bound))
        .collect();
    assert!(draws.iter().all(|&x| x < bound));
    assert!(draws.iter().any(|&x| x < bound / 2) && draws.iter().any(|&x| x >= bound / 2));
}

fn equal_candidates(count: u8, stake: u128) -> Vec<Candidate> {
    (0..count).map(|n| Candidate { id: id(n), stake }).collect()
}

#[test]
fn with_no_more_candidates_than_seats_every_candidate_is_a_member() {
    let candidates = equal_candidates(4, 1_000);
    for epoch in 0..50 {
        let membership = elect(&EpochSeed([3; 32]), epoch, &candidates, 4).unwrap();
        let ids: Vec<ValidatorId> = membership.members.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, (0..4).map(id).collect::<Vec<_>>(), "epoch {epoch}");
        let seats: usize = membership.members.iter().map(|(_, seats)| seats).sum();
        assert_eq!(seats, 4);
        // Four members tolerate one fault: killing any single validator keeps a quorum.
        assert_eq!((membership.max_faults(), membership.quorum()), (1, 3));
    }
}

#[test]
fn with_more_candidates_than_seats_the_members_are_the_distinct_seat_holders() {
    let candidates = equal_candidates(30, 1_000);
    let mut sizes = Vec::new();
    for epoch in 0..100 {
        let membership = elect(&EpochSeed([4; 32]), epoch, &candidates, 10).unwrap();
        assert_eq!(membership.members, membership.draw.members());
        assert!(membership.members.iter().all(|(_, seats)| *seats >= 1));
        assert!(membership.draw.seats.len() >= 10);
        sizes.push(membership.len());
    }
    // Seats are drawn until ten distinct candidates hold one: never fewer members.
    assert!(sizes.iter().all(|&n| n == 10), "{sizes:?}");
}

#[test]
fn a_stake_above_one_places_worth_counts_only_up_to_it() {
    // One candidate bonds as much as 19 others together. Capped at a tenth of the capped
    // total, it keeps 2,112: the cap settles where the whale holds one place's worth
    // (19,000 / 9, rounded up by the ceiling).
    let mut candidates = equal_candidates(19, 1_000);
    candidates.push(Candidate {
        id: id(99),
        stake: 19_000,
    });
    let capped = cap_stakes(&candidates, 10).unwrap();
    assert_eq!(capped.last().unwrap().stake, 2_112);
    assert!(capped[..19].iter().all(|c| c.stake == 1_000));
    let total: u128 = capped.iter().map(|c| c.stake).sum();
    assert!(capped.iter().all(|c| c.stake <= total.div_ceil(10)));

    let epochs = 2_000u64;
    let whale_seats: usize = (0..epochs)
        .map(|epoch| {
            let membership = elect(&EpochSeed([5; 32]), epoch, &candidates, 10).unwrap();
            membership
                .draw
                .seats
                .iter()
                .filter(|s| **s == id(99))
                .count()
        })
        .sum();
    let drawn: usize = (0..epochs)
        .map(|epoch| {
            let membership = elect(&EpochSeed([5; 32]), epoch, &candidates, 10).unwrap();
            membership.draw.seats.len()
        })
        .sum();
    let share = whale_seats as f64 / drawn as f64;
    let capped_share = 2_112.0 / 21_112.0;
    assert!(
        (share - capped_share).abs() < 0.02,
        "whale share {share:.3}, capped stake share {capped_share:.3}"
    );
}

#[test]
fn the_fault_bound_matches_the_quorum_simplex_counts() {
    use commonware_utils::{Faults, N3f1};
    for count in 1..=40u8 {
        let membership = elect(&EpochSeed([6; 32]), 0, &equal_candidates(count, 10), 64).unwrap();
        assert_eq!(membership.len(), count as usize);
        assert_eq!(membership.max_faults(), N3f1::max_faults(count) as usize);
        assert_eq!(membership.quorum(), N3f1::quorum(count) as usize);
    }
}

#[test]
fn candidates_without_stake_are_never_members_and_empty_committees_are_refused() {
    let mut candidates = equal_candidates(3, 1_000);
    candidates.push(Candidate {
        id: id(50),
        stake: 0,
    });
    let membership = elect(&EpochSeed([7; 32]), 1, &candidates, 8).unwrap();
    assert!(!membership.contains(&id(50)));
    assert!(membership.contains(&id(2)));
    assert_eq!(
        elect(&EpochSeed([7; 32]), 1, &candidates, 0),
        Err(CommitteeError::NoSeats)
    );
    assert_eq!(
        elect(&EpochSeed([7; 32]), 1, &equal_candidates(2, 0), 3),
        Err(CommitteeError::NoStake)
    );
}

#[test]
fn one_more_candidate_never_shrinks_the_committee_or_its_fault_bound() {
    for count in 2..=24u8 {
        for epoch in 0..20 {
            let seed = EpochSeed([8; 32]);
            let fewer = elect(&seed, epoch, &equal_candidates(count - 1, 500), 8).unwrap();
            let more = elect(&seed, epoch, &equal_candidates(count, 500), 8).unwrap();
            assert_eq!(more.len(), usize::from(count).min(8), "{count} candidates");
            assert!(more.len() >= fewer.len());
            assert!(more.max_faults() >= fewer.max_faults());
        }
    }
}
