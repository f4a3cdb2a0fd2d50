use super::*;
use crate::testing;
use ark_bls12_381::Bls12_381;
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_relations::gr1cs::ConstraintSystem;
use ark_snark::SNARK;
use ark_std::rand::{SeedableRng, rngs::StdRng};

/// Synthesizes `circuit` and reports (satisfied, constraints).
fn check(circuit: SpendCircuit) -> (bool, usize) {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.generate_constraints(cs.clone()).unwrap();
    (cs.is_satisfied().unwrap(), cs.num_constraints())
}

#[test]
fn a_valid_transfer_satisfies_the_circuit() {
    let mut rng = StdRng::seed_from_u64(10);
    assert!(check(testing::transfer(&mut rng)).0);
}

#[test]
fn a_shield_with_dummy_inputs_satisfies_the_circuit() {
    let mut rng = StdRng::seed_from_u64(11);
    assert!(check(testing::shield(&mut rng)).0);
}

#[test]
fn constraint_count_is_pinned() {
    // Pinned so that a change to the circuit's cost is a visible, reviewed change. Breakdown:
    // 80 Poseidon permutations — per input 1 (owner key) + 1 (nullifier key) + 2 (commitment)
    // + 2 (nullifier) + 32 (path), per output 2 (commitment) — at 240 constraints each (3 per
    // S-box; the first capacity S-box of a hash is a constant) plus 3 for each of the six
    // second permutations: 19,218. The other 645 are range-check bits (7 values of 64 bits),
    // position bits, path selections, the equalities, and the two squares that bind the
    // recipient and the external data.
    let mut rng = StdRng::seed_from_u64(12);
    let (_, constraints) = check(testing::transfer(&mut rng));
    assert_eq!(constraints, PINNED_CONSTRAINTS);
}

const PINNED_CONSTRAINTS: usize = 19_863;

#[test]
fn spending_more_than_the_inputs_is_unsatisfiable() {
    let mut rng = StdRng::seed_from_u64(13);
    let mut circuit = testing::transfer(&mut rng);
    circuit.outputs[0].value += 1;
    circuit.public.commitments[0] = circuit.outputs[0].commitment();
    assert!(!check(circuit).0);
}

#[test]
fn the_native_builder_refuses_an_unbalanced_spend() {
    let mut rng = StdRng::seed_from_u64(14);
    let c = testing::transfer(&mut rng);
    let p = &c.public;
    let mut outputs = c.outputs;
    outputs[1].value += 1;
    let err = SpendCircuit::new(
        p.root,
        c.inputs,
        outputs,
        p.public_in,
        p.public_out,
        p.fee,
        p.recipient,
        p.chain_id,
        p.external_data,
    )
    .unwrap_err();
    assert!(matches!(err, SpendError::Unbalanced { .. }), "{err}");
}

#[test]
fn a_spend_without_the_owners_key_is_unsatisfiable() {
    let mut rng = StdRng::seed_from_u64(15);
    let mut circuit = testing::transfer(&mut rng);
    // A thief knows the note (it may have been decrypted for a viewer) but not the key.
    let thief = SpendingKey::random(&mut rng);
    circuit.inputs[0].sk = thief;
    circuit.public.nullifiers[0] = circuit.inputs[0]
        .note
        .nullifier(thief.nullifier_key(), circuit.inputs[0].path.position);
    assert!(!check(circuit).0);
}

#[test]
fn a_note_outside_the_tree_is_unsatisfiable() {
    let mut rng = StdRng::seed_from_u64(16);
    let mut circuit = testing::transfer(&mut rng);
    circuit.public.root = Fr::rand(&mut rng);
    assert!(!check(circuit).0);
}

#[test]
fn a_dummy_input_with_value_must_be_in_the_tree() {
    let mut rng = StdRng::seed_from_u64(17);
    let mut circuit = testing::shield(&mut rng);
    // Mint from nothing: give a dummy input value and raise an output to match.
    circuit.inputs[0].note.value = 10;
    circuit.outputs[1].value = 10;
    circuit.public.commitments[1] = circuit.outputs[1].commitment();
    let input = &circuit.inputs[0];
    circuit.public.nullifiers[0] = input
        .note
        .nullifier(input.sk.nullifier_key(), input.path.position);
    assert!(!check(circuit).0);
}

#[test]
fn a_wrong_nullifier_is_unsatisfiable() {
    let mut rng = StdRng::seed_from_u64(18);
    let mut circuit = testing::transfer(&mut rng);
    // The nullifier of the same note at another position.
    let input = &circuit.inputs[1];
    circuit.public.nullifiers[1] = input
        .note
        .nullifier(input.sk.nullifier_key(), input.path.position + 1);
    assert!(!check(circuit).0);
}

#[test]
fn public_amounts_of_two_to_the_64_or_more_are_unsatisfiable() {
    // A field element at or above 2^64 (here 2^64 and -1) has no 64-bit decomposition, so a
    // public amount cannot wrap the balance equation around the field.
    let two_64 = Fr::from(u64::MAX) + Fr::from(1u64);
    for value in [two_64, -Fr::from(1u64), Fr::from(u64::MAX)] {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let _ = public_u64(cs.clone(), value).unwrap();
        assert_eq!(cs.is_satisfied().unwrap(), value == Fr::from(u64::MAX));
    }
}

#[test]
fn groth16_accepts_a_valid_proof_and_rejects_tampered_public_inputs() {
    let mut rng = StdRng::seed_from_u64(19);
    let circuit = testing::transfer(&mut rng);
    let (pk, vk) = Groth16::<Bls12_381>::circuit_specific_setup(circuit.clone(), &mut rng).unwrap();
    let pvk = Groth16::<Bls12_381>::process_vk(&vk).unwrap();
    let public = circuit.public.to_field_elements();
    let proof = Groth16::<Bls12_381>::prove(&pk, circuit, &mut rng).unwrap();
    assert!(Groth16::<Bls12_381>::verify_with_processed_vk(&pvk, &public, &proof).unwrap());

    // Everything a relayer could swap: every public input, changed alone, is rejected.
    for i in 0..public.len() {
        let mut tampered = public.clone();
        tampered[i] += Fr::from(1u64);
        let ok = Groth16::<Bls12_381>::verify_with_processed_vk(&pvk, &tampered, &proof).unwrap();
        assert!(!ok, "public input {i} is not bound");
    }

    // A rerandomised proof still verifies for the original inputs only.
    let rerandomized = Groth16::<Bls12_381>::rerandomize_proof(&vk, &proof, &mut rng);
    assert!(Groth16::<Bls12_381>::verify_with_processed_vk(&pvk, &public, &rerandomized).unwrap());
    let mut changed_fee = public.clone();
    changed_fee[7] += Fr::from(1u64);
    assert!(
        !Groth16::<Bls12_381>::verify_with_processed_vk(&pvk, &changed_fee, &rerandomized).unwrap()
    );
}
