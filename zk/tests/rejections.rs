//! Malformed input is refused at decoding with a specific error, never verified or panicked
//! on: non-canonical field elements, points off the curve or outside the prime-order subgroup,
//! bad encoding flags, and values beyond 64 bits.

use ark_bls12_381::{Fq, Fq2, G1Affine, G2Affine};
use ark_ff::{BigInteger, PrimeField};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_serialize::CanonicalSerialize;
use vnt_zk::Fr;
use vnt_zk::circuit::{SpendCircuit, SpendError, public_u64};
use vnt_zk::testing;
use vnt_zk::verify::{PROOF_BYTES, SpendProof, VerifyError, field_from_bytes, field_to_bytes};

use crate::common::{fixture, rng};
use crate::zcash;

const A: std::ops::Range<usize> = 0..48;
const B: std::ops::Range<usize> = 48..144;
const C: std::ops::Range<usize> = 144..192;

/// Flag bits of the first byte of a compressed point (Zcash BLS12-381 encoding).
const COMPRESSED: u8 = 0x80;
const INFINITY: u8 = 0x40;
const SORT: u8 = 0x20;

fn valid_proof_bytes() -> [u8; PROOF_BYTES] {
    fixture().transfers[0].proof.to_bytes()
}

/// `field` (e.g. A) of a valid proof replaced by `bytes`.
fn with(field: std::ops::Range<usize>, bytes: &[u8]) -> [u8; PROOF_BYTES] {
    let mut proof = valid_proof_bytes();
    proof[field].copy_from_slice(bytes);
    proof
}

/// Refused by our decoder with `BadPoint(name)` and by the Zcash stack's decoder.
fn assert_bad_point(proof: &[u8; PROOF_BYTES], name: &'static str) {
    assert_eq!(
        SpendProof::from_bytes(proof),
        Err(VerifyError::BadPoint(name))
    );
    assert!(zcash::decode_proof(proof).is_none());
}

#[test]
fn field_elements_at_or_above_the_modulus_are_refused() {
    let modulus: [u8; 32] = Fr::MODULUS.to_bytes_be().try_into().unwrap();
    let mut plus_one = modulus;
    plus_one[31] += 1; // the modulus ends in 0x01: no carry
    let mut top_bit = [0u8; 32];
    top_bit[0] = 0x80;
    for bytes in [modulus, plus_one, [0xff; 32], top_bit] {
        assert_eq!(field_from_bytes(&bytes), None, "{bytes:02x?}");
        assert!(zcash::scalar(&bytes).is_none(), "the Zcash stack agrees");
    }
    let mut largest = modulus;
    largest[31] -= 1;
    for value in [-Fr::from(1u64), Fr::from(0u64), Fr::from(u64::MAX)] {
        let bytes = field_to_bytes(value);
        assert_eq!(field_from_bytes(&bytes), Some(value));
        assert!(zcash::scalar(&bytes).is_some());
    }
    assert_eq!(field_to_bytes(-Fr::from(1u64)), largest);
}

/// Compressed encoding of a G1 point on the curve but outside the prime-order subgroup.
fn g1_outside_subgroup() -> [u8; 48] {
    let point = (1u64..)
        .filter_map(|x| G1Affine::get_point_from_x_unchecked(Fq::from(x), true))
        .find(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        .expect("G1's cofactor is not 1: most curve points are outside the subgroup");
    let mut bytes = [0u8; 48];
    point.serialize_compressed(&mut bytes[..]).unwrap();
    // Check the construction with the other library: on the curve, not torsion-free.
    let unchecked = bls12_381::G1Affine::from_compressed_unchecked(&bytes).unwrap();
    assert!(bool::from(unchecked.is_on_curve()));
    assert!(!bool::from(unchecked.is_torsion_free()));
    bytes
}

/// Compressed encoding of a G2 point on the curve but outside the prime-order subgroup.
fn g2_outside_subgroup() -> [u8; 96] {
    let point = (1u64..)
        .filter_map(|x| {
            G2Affine::get_point_from_x_unchecked(Fq2::new(Fq::from(x), Fq::from(1u64)), true)
        })
        .find(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        .expect("G2's cofactor is not 1");
    let mut bytes = [0u8; 96];
    point.serialize_compressed(&mut bytes[..]).unwrap();
    let unchecked = bls12_381::G2Affine::from_compressed_unchecked(&bytes).unwrap();
    assert!(bool::from(unchecked.is_on_curve()));
    assert!(!bool::from(unchecked.is_torsion_free()));
    bytes
}

#[test]
fn a_g1_point_outside_the_subgroup_is_refused_as_a_or_c() {
    let point = g1_outside_subgroup();
    assert_bad_point(&with(A, &point), "A");
    assert_bad_point(&with(C, &point), "C");
}

#[test]
fn a_g2_point_outside_the_subgroup_is_refused_as_b() {
    assert_bad_point(&with(B, &g2_outside_subgroup()), "B");
}

#[test]
fn points_off_the_curve_are_refused() {
    // An x for which x³ + 4 has no square root: no point has it.
    let x = (1u64..)
        .map(Fq::from)
        .find(|x| G1Affine::get_point_from_x_unchecked(*x, true).is_none())
        .unwrap();
    let mut g1 = [0u8; 48];
    g1.copy_from_slice(&x.into_bigint().to_bytes_be());
    g1[0] |= COMPRESSED;
    assert!(bool::from(
        bls12_381::G1Affine::from_compressed_unchecked(&g1).is_none()
    ));
    assert_bad_point(&with(A, &g1), "A");
    assert_bad_point(&with(C, &g1), "C");

    let x = (1u64..)
        .map(|c0| Fq2::new(Fq::from(c0), Fq::from(1u64)))
        .find(|x| G2Affine::get_point_from_x_unchecked(*x, true).is_none())
        .unwrap();
    let mut g2 = [0u8; 96];
    // c1 first, then c0, as the encoding orders an Fq2 coordinate.
    g2[..48].copy_from_slice(&x.c1.into_bigint().to_bytes_be());
    g2[48..].copy_from_slice(&x.c0.into_bigint().to_bytes_be());
    g2[0] |= COMPRESSED;
    assert!(bool::from(
        bls12_381::G2Affine::from_compressed_unchecked(&g2).is_none()
    ));
    assert_bad_point(&with(B, &g2), "B");
}

#[test]
fn bad_flag_bits_are_refused() {
    let valid = valid_proof_bytes();
    for (range, name) in [(A, "A"), (B, "B"), (C, "C")] {
        let start = range.start;
        // Without the compression flag the 48 or 96 bytes claim to be half of an
        // uncompressed point.
        let mut uncompressed = valid;
        uncompressed[start] &= !COMPRESSED;
        assert_bad_point(&uncompressed, name);
        // The infinity flag with a non-zero coordinate is no encoding at all.
        let mut infinity = valid;
        infinity[start] |= INFINITY;
        assert_bad_point(&infinity, name);
        // The identity itself is a valid encoding, but never a valid proof point.
        let mut identity = valid;
        identity[range.clone()].fill(0);
        identity[start] = COMPRESSED | INFINITY;
        assert_bad_point(&identity, name);
    }
}

#[test]
fn a_coordinate_at_or_above_the_base_field_modulus_is_refused() {
    let modulus = Fq::MODULUS.to_bytes_be();
    let mut g1 = [0u8; 48];
    g1.copy_from_slice(&modulus);
    g1[0] |= COMPRESSED;
    assert_bad_point(&with(A, &g1), "A");
    let mut g2 = [0u8; 96];
    g2[..48].copy_from_slice(&modulus); // c1 = q
    g2[48..].copy_from_slice(&valid_proof_bytes()[B][48..]);
    g2[0] |= COMPRESSED;
    assert_bad_point(&with(B, &g2), "B");
}

#[test]
fn a_flipped_sign_bit_decodes_to_the_negated_point_and_fails_verification() {
    // `-A` is as valid a subgroup point as `A`, so decoding accepts it; the proof with it
    // does not verify, in either library.
    let f = fixture();
    let spend = &f.transfers[0];
    let mut flipped = valid_proof_bytes();
    flipped[A.start] ^= SORT;
    let proof = SpendProof::from_bytes(&flipped).expect("-A is a subgroup point");
    assert_eq!(proof.0.a, -spend.proof.0.a);
    assert_eq!(
        f.verifier.verify(&proof, &spend.public),
        Err(VerifyError::Invalid)
    );
    assert!(zcash::decode_proof(&flipped).is_some());
}

/// Whether `public_u64` is satisfiable for `value`.
fn fits_u64(value: Fr) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let _amount = public_u64(cs.clone(), value).unwrap();
    cs.is_satisfied().unwrap()
}

#[test]
fn a_public_amount_of_two_to_the_64_or_more_is_unsatisfiable() {
    let two_64 = Fr::from(u128::from(u64::MAX) + 1);
    assert!(fits_u64(Fr::from(u64::MAX)));
    assert!(fits_u64(Fr::from(0u64)));
    for value in [
        two_64,
        two_64 + Fr::from(1u64),
        two_64 + Fr::from(500u64),
        -Fr::from(1u64),
    ] {
        assert!(!fits_u64(value), "{value} passed as a 64-bit amount");
    }
}

#[test]
fn note_values_that_balance_only_modulo_two_to_the_64_are_refused() {
    // Inputs 60 + 40 = 100 and a fee of 1; outputs of 2^64 − 1 and 100 balance if the sum
    // wraps at 64 bits (2^64 + 99 ≡ 99). Neither the native builder nor the circuit wraps.
    let mut circuit = testing::transfer(&mut rng(30));
    let (big, rest) = (u64::MAX, 100u64);
    assert_eq!(big.wrapping_add(rest).wrapping_add(circuit.public.fee), 100);

    let mut outputs = circuit.outputs;
    outputs[0].value = big;
    outputs[1].value = rest;
    let p = &circuit.public;
    let refused = SpendCircuit::new(
        p.root,
        circuit.inputs.clone(),
        outputs,
        p.public_in,
        p.public_out,
        p.fee,
        p.recipient,
        p.chain_id,
        p.external_data,
    );
    assert!(
        matches!(refused, Err(SpendError::Unbalanced { outputs, .. }) if outputs == u128::from(big) + 100),
        "{refused:?}"
    );

    // Skip the builder and hand the circuit the wrapped spend directly.
    circuit.outputs = outputs;
    circuit.public.commitments = outputs.map(|note| note.commitment());
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.generate_constraints(cs.clone()).unwrap();
    assert!(!cs.is_satisfied().unwrap());
}
