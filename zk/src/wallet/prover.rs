//! Proving (and making keys) from a 32-byte seed, through functions that are not generic.
//!
//! [`SpendKeys::prove`] and [`SpendKeys::setup`] are generic over the random source, so
//! each is compiled, with all of arkworks' generic code beneath it, in whichever crate calls
//! it, at that crate's optimisation level. A command-line binary built in the dev profile
//! then proves unoptimised: 11.5 s instead of 1.9 s for one spend on the 2-core reference
//! machine. These wrappers fix the random source to ChaCha20 seeded by the caller (who
//! takes the seed from the operating system), so the work is compiled here, once.

use ark_std::rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::circuit::SpendCircuit;
use crate::keys::{KeyError, SpendKeys};
use crate::verify::SpendProof;

/// Proves `circuit` under `keys`, the proof's blinding drawn from `seed`. A seed must be
/// fresh for every proof: two proofs of one statement under one seed share their
/// blinding, which is not a soundness problem but links them.
pub fn prove(
    keys: &SpendKeys,
    circuit: SpendCircuit,
    seed: [u8; 32],
) -> Result<SpendProof, KeyError> {
    keys.prove(circuit, &mut ChaCha20Rng::from_seed(seed))
}

/// A single-party setup whose trapdoors come from `seed` (UNSAFE for value, as every
/// single-party setup is; see [`crate::keys`]).
pub fn setup(seed: [u8; 32]) -> SpendKeys {
    SpendKeys::setup(&mut ChaCha20Rng::from_seed(seed))
}
