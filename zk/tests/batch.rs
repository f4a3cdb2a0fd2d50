//! Batch verification: a batch passes exactly when every proof in it does, and
//! `verify_each` names the proofs that fail.

use ark_bls12_381::{Bls12_381, G1Affine, G1Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use vnt_zk::circuit::PublicInputs;
use vnt_zk::verify::{SpendProof, SpendVerifier, VerifyError};

use crate::common::{Spend, fixture, rerandomize, rng, tampered};

/// Eight valid, distinct proofs: the fixture's three and rerandomised copies of them.
fn valid_batch() -> Vec<Spend> {
    let f = fixture();
    let mut spends = vec![
        f.transfers[0].clone(),
        f.transfers[1].clone(),
        f.shield.clone(),
    ];
    for seed in 0..5u8 {
        let original = &spends[usize::from(seed) % 3];
        spends.push(Spend {
            proof: rerandomize(original, 50 + seed),
            public: original.public.clone(),
        });
    }
    spends
}

fn items(spends: &[Spend]) -> Vec<(&SpendProof, &PublicInputs)> {
    spends.iter().map(Spend::item).collect()
}

/// `Ok` everywhere except at `bad`.
fn verdicts_failing_at(len: usize, bad: &[usize]) -> Vec<Result<(), VerifyError>> {
    (0..len)
        .map(|i| {
            if bad.contains(&i) {
                Err(VerifyError::Invalid)
            } else {
                Ok(())
            }
        })
        .collect()
}

#[test]
fn a_batch_of_valid_proofs_passes() {
    let f = fixture();
    let spends = valid_batch();
    for len in [1, 2, spends.len()] {
        let batch = items(&spends[..len]);
        assert_eq!(f.verifier.verify_batch(&batch, &mut rng(1)), Ok(()));
        assert_eq!(
            f.verifier.verify_each(&batch, &mut rng(2)),
            verdicts_failing_at(len, &[])
        );
    }
}

#[test]
fn the_same_proof_twice_in_a_batch_passes() {
    // A block may carry one valid proof twice (the chain's nullifier check, not the
    // verifier, refuses the second spend); the weights keep the two copies independent.
    let f = fixture();
    let spend = &f.transfers[0];
    let batch = [spend.item(), spend.item()];
    assert_eq!(f.verifier.verify_batch(&batch, &mut rng(3)), Ok(()));
}

#[test]
fn an_empty_batch_is_accepted() {
    let f = fixture();
    assert_eq!(f.verifier.verify_batch(&[], &mut rng(4)), Ok(()));
    assert!(f.verifier.verify_each(&[], &mut rng(4)).is_empty());
}

#[test]
fn one_tampered_input_fails_the_batch_and_is_named() {
    let f = fixture();
    let mut spends = valid_batch();
    for (bad, index) in [(0, 0), (4, 7), (7, 9)] {
        let original = spends[bad].public.clone();
        spends[bad].public = tampered(&original, index);
        let batch = items(&spends);
        assert_eq!(
            f.verifier.verify_batch(&batch, &mut rng(5)),
            Err(VerifyError::Invalid)
        );
        assert_eq!(
            f.verifier.verify_each(&batch, &mut rng(6)),
            verdicts_failing_at(spends.len(), &[bad])
        );
        spends[bad].public = original;
    }
}

#[test]
fn a_proof_swapped_between_statements_is_named() {
    let f = fixture();
    let mut spends = valid_batch();
    // Two statements exchange their proofs: both fail, the others stand.
    let (a, b) = (1, 5);
    let proof_a = spends[a].proof.clone();
    spends[a].proof = spends[b].proof.clone();
    spends[b].proof = proof_a;
    let batch = items(&spends);
    assert_eq!(
        f.verifier.verify_batch(&batch, &mut rng(7)),
        Err(VerifyError::Invalid)
    );
    assert_eq!(
        f.verifier.verify_each(&batch, &mut rng(8)),
        verdicts_failing_at(spends.len(), &[a, b])
    );
}

#[test]
fn two_invalid_proofs_cannot_cancel_each_other() {
    // Shift C by +D in one copy of a valid proof and by −D in another. Each is invalid, but
    // an unweighted product of the two equations would hold: the shifts cancel. Independent
    // random weights (r_1·D − r_2·D ≠ 0) make the batch fail.
    let f = fixture();
    let spend = &f.transfers[0];
    let d = G1Affine::generator();
    let shifted = |sign: bool| {
        let mut proof = spend.proof.clone();
        let c: G1Projective = if sign {
            proof.0.c + d
        } else {
            proof.0.c.into_group() - d
        };
        proof.0.c = c.into_affine();
        proof
    };
    let (plus, minus) = (shifted(true), shifted(false));
    assert_eq!(
        f.verifier.verify(&plus, &spend.public),
        Err(VerifyError::Invalid)
    );
    assert_eq!(
        f.verifier.verify(&minus, &spend.public),
        Err(VerifyError::Invalid)
    );
    // The two equations multiplied together (written additively in the target group) do
    // hold, so only the weights stand between this pair and acceptance.
    let vk = f.keys.verifying_key();
    let ic = vk.gamma_abc_g1[0]
        + G1Projective::msm(&vk.gamma_abc_g1[1..], &spend.public.to_field_elements()).unwrap();
    let e = |p: G1Affine, q| Bls12_381::pairing(p, q);
    let lhs = e(plus.0.a, plus.0.b) + e(minus.0.a, minus.0.b);
    let alpha_beta = e(vk.alpha_g1, vk.beta_g2);
    let inputs = e(ic.into_affine(), vk.gamma_g2);
    let rhs = alpha_beta
        + alpha_beta
        + inputs
        + inputs
        + e(plus.0.c, vk.delta_g2)
        + e(minus.0.c, vk.delta_g2);
    assert_eq!(lhs, rhs);

    let batch = [(&plus, &spend.public), (&minus, &spend.public)];
    for seed in 10..14 {
        assert_eq!(
            f.verifier.verify_batch(&batch, &mut rng(seed)),
            Err(VerifyError::Invalid)
        );
    }
    assert_eq!(
        f.verifier.verify_each(&batch, &mut rng(14)),
        verdicts_failing_at(2, &[0, 1])
    );
}

#[test]
fn batch_and_single_verification_refuse_a_key_for_another_input_count() {
    let f = fixture();
    let mut key = f.keys.verifying_key().clone();
    key.gamma_abc_g1.pop();
    let verifier = SpendVerifier::new(&key);
    let spend = &f.transfers[0];
    let expected = Err(VerifyError::BadKey(
        "it has 10 public inputs, the spend circuit has 11".into(),
    ));
    assert_eq!(verifier.verify(&spend.proof, &spend.public), expected);
    assert_eq!(
        verifier.verify_batch(&[spend.item()], &mut rng(15)),
        expected
    );
    assert_eq!(verifier.verify_batch(&[], &mut rng(15)), expected);
}
