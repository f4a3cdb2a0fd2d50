//! Keys and proofs shared by the tests of this binary: proving takes seconds, so each is made
//! once per run and reused.

use std::sync::OnceLock;

use ark_bls12_381::Bls12_381;
use ark_groth16::Groth16;
use ark_std::rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use vnt_zk::Fr;
use vnt_zk::circuit::PublicInputs;
use vnt_zk::keys::SpendKeys;
use vnt_zk::testing;
use vnt_zk::verify::{SpendProof, SpendVerifier};

/// A proof with the statement it proves.
#[derive(Clone, Debug)]
pub struct Spend {
    pub proof: SpendProof,
    pub public: PublicInputs,
}

impl Spend {
    /// The batch verifier's view of this spend.
    pub fn item(&self) -> (&SpendProof, &PublicInputs) {
        (&self.proof, &self.public)
    }
}

pub struct Fixture {
    pub keys: SpendKeys,
    pub verifier: SpendVerifier,
    /// Two transfers with different notes, roots and nullifiers.
    pub transfers: [Spend; 2],
    pub shield: Spend,
}

/// A deterministic rng for one purpose of one test.
pub fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

/// The keys and the proofs made under them.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keys = SpendKeys::setup(&mut rng(1));
        let prove = |circuit: vnt_zk::circuit::SpendCircuit, seed| Spend {
            public: circuit.public.clone(),
            proof: keys
                .prove(circuit, &mut rng(seed))
                .expect("fixture spends are valid"),
        };
        let transfers = [
            prove(testing::transfer(&mut rng(2)), 3),
            prove(testing::transfer(&mut rng(4)), 5),
        ];
        let shield = prove(testing::shield(&mut rng(6)), 7);
        Fixture {
            verifier: SpendVerifier::new(keys.verifying_key()),
            keys,
            transfers,
            shield,
        }
    })
}

/// A second, unrelated setup of the same circuit: proofs under `fixture()`'s key must fail
/// under this one.
pub fn other_keys() -> &'static SpendKeys {
    static OTHER: OnceLock<SpendKeys> = OnceLock::new();
    OTHER.get_or_init(|| SpendKeys::setup(&mut rng(100)))
}

/// The same statement proven afresh without the witness: what anyone who sees a proof can
/// make (and what a relayer could try to pass off with altered inputs).
pub fn rerandomize(spend: &Spend, seed: u8) -> SpendProof {
    let vk = fixture().keys.verifying_key();
    SpendProof(Groth16::<Bls12_381>::rerandomize_proof(
        vk,
        &spend.proof.0,
        &mut rng(seed),
    ))
}

/// How many public inputs [`tampered`] can change.
pub const TAMPERABLE: usize = PublicInputs::COUNT;

/// `public` with the public input at `index` (in `to_field_elements` order) changed by one.
pub fn tampered(public: &PublicInputs, index: usize) -> PublicInputs {
    let mut p = public.clone();
    let one = Fr::from(1u64);
    match index {
        0 => p.root += one,
        1 | 2 => p.nullifiers[index - 1] += one,
        3 | 4 => p.commitments[index - 3] += one,
        5 => p.public_in = p.public_in.wrapping_add(1),
        6 => p.public_out = p.public_out.wrapping_add(1),
        7 => p.fee = p.fee.wrapping_add(1),
        8 => p.recipient += one,
        9 => p.chain_id = p.chain_id.wrapping_add(1),
        10 => p.external_data += one,
        _ => panic!("there are {TAMPERABLE} public inputs, not {}", index + 1),
    }
    assert_ne!(
        p.to_field_elements()[index],
        public.to_field_elements()[index]
    );
    p
}
