//! Groth16 costs of a spend: proving a transfer, decoding and verifying one proof, and batch
//! verification of 16 and 64 proofs (criterion reports the batch's time; divide by its size,
//! or read the throughput line, for the cost per proof). `cargo bench -p vnt-zk`.
//!
//! The batches hold eight freshly proven transfers, each rerandomised into further copies:
//! a rerandomised proof is a fresh, uniformly distributed proof of the same statement, so it
//! costs the verifier exactly what an independent one does, and the setup stays short.

use std::hint::black_box;
use std::time::Duration;

use ark_bls12_381::Bls12_381;
use ark_groth16::Groth16;
use ark_std::rand::SeedableRng;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use vnt_zk::circuit::PublicInputs;
use vnt_zk::keys::SpendKeys;
use vnt_zk::testing;
use vnt_zk::verify::{PROOF_BYTES, SpendProof, SpendVerifier};

const DISTINCT_PROOFS: usize = 8;
const BATCH_SIZES: [usize; 2] = [16, 64];

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

fn groth16(c: &mut Criterion) {
    let keys = SpendKeys::setup(&mut rng(1));
    let verifier = SpendVerifier::new(keys.verifying_key());

    let mut group = c.benchmark_group("prove");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    let circuit = testing::transfer(&mut rng(2));
    let mut prove_rng = rng(3);
    group.bench_function("transfer", |b| {
        b.iter(|| keys.prove(circuit.clone(), &mut prove_rng).unwrap())
    });
    group.finish();

    let mut spends: Vec<(SpendProof, PublicInputs)> = (0..DISTINCT_PROOFS as u8)
        .map(|i| {
            let circuit = testing::transfer(&mut rng(10 + i));
            let public = circuit.public.clone();
            (keys.prove(circuit, &mut rng(30 + i)).unwrap(), public)
        })
        .collect();
    let mut rerandomize_rng = rng(4);
    for i in DISTINCT_PROOFS..BATCH_SIZES[1] {
        let (proof, public) = spends[i % DISTINCT_PROOFS].clone();
        let fresh = Groth16::<Bls12_381>::rerandomize_proof(
            keys.verifying_key(),
            &proof.0,
            &mut rerandomize_rng,
        );
        spends.push((SpendProof(fresh), public));
    }
    let (proof, public) = &spends[0];
    let bytes = proof.to_bytes();
    assert_eq!(bytes.len(), PROOF_BYTES);
    eprintln!("proof size: {PROOF_BYTES} bytes (A, C compressed in G1, B compressed in G2)");

    let mut group = c.benchmark_group("verify");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("decode_proof", |b| {
        b.iter(|| SpendProof::from_bytes(black_box(&bytes)).unwrap())
    });
    group.bench_function("one", |b| {
        b.iter(|| verifier.verify(black_box(proof), public).unwrap())
    });
    let mut batch_rng = rng(5);
    for size in BATCH_SIZES {
        let items: Vec<_> = spends[..size].iter().map(|(p, x)| (p, x)).collect();
        group.throughput(Throughput::Elements(size as u64));
        group.bench_with_input(BenchmarkId::new("batch", size), &items, |b, items| {
            b.iter(|| verifier.verify_batch(items, &mut batch_rng).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, groth16);
criterion_main!(benches);
