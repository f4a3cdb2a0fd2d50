//! One-off measurement of Groth16 setup, proving and verification for a transfer:
//! `cargo run --release -p vnt-zk --example prove_transfer`. Numbers go to
//! `docs/performance.md` with the machine and date; tests never assert timings.

use std::time::Instant;

use ark_bls12_381::Bls12_381;
use ark_groth16::Groth16;
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use ark_std::rand::{SeedableRng, rngs::StdRng};
use vnt_zk::testing;

fn main() {
    let mut rng = StdRng::seed_from_u64(42);
    let circuit = testing::transfer(&mut rng);
    let public = circuit.public.to_field_elements();

    let t = Instant::now();
    let (pk, vk) = Groth16::<Bls12_381>::circuit_specific_setup(circuit.clone(), &mut rng).unwrap();
    println!("setup:  {:.2?}", t.elapsed());
    let pvk = Groth16::<Bls12_381>::process_vk(&vk).unwrap();

    const RUNS: u32 = 3;
    let t = Instant::now();
    let mut proof = None;
    for _ in 0..RUNS {
        proof = Some(Groth16::<Bls12_381>::prove(&pk, circuit.clone(), &mut rng).unwrap());
    }
    println!("prove:  {:.2?} (mean of {RUNS})", t.elapsed() / RUNS);
    let proof = proof.unwrap();

    const VERIFIES: u32 = 50;
    let t = Instant::now();
    for _ in 0..VERIFIES {
        assert!(Groth16::<Bls12_381>::verify_with_processed_vk(&pvk, &public, &proof).unwrap());
    }
    println!(
        "verify: {:.2?} (mean of {VERIFIES})",
        t.elapsed() / VERIFIES
    );
    println!("proof:  {} bytes compressed", proof.compressed_size());
}
