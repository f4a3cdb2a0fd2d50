//! Batch verification: many spend proofs under one key for about the cost of their Miller
//! loops, with one final exponentiation for the whole batch.
//!
//! Each proof `i` satisfies `e(A_i, B_i) = e(α, β) · e(IC_i, γ) · e(C_i, δ)`, where `IC_i` is
//! the key's input term for its public inputs. The batch draws a fresh random `r_i` per proof
//! and checks one equation:
//!
//! ```text
//! Π e(r_i·A_i, B_i) · e(Σ r_i·IC_i, −γ) · e(Σ r_i·C_i, −δ) · e((Σ r_i)·α, −β) = 1
//! ```
//!
//! `Σ r_i·IC_i` collapses to a single multi-scalar multiplication over the key's twelve input
//! points (the coefficient of input `j` is `Σ r_i·x_ij`), so per proof the batch costs a
//! Miller-loop pass, the preparation of `B_i`, and a short scalar multiplication of `A_i`.
//!
//! The `r_i` are what makes this sound. If some proof fails its own equation, the batch
//! equation holds only if the `r_i` happen to cancel the failure, which a prover who cannot
//! predict them achieves with probability about `2^-128` (the `r_i` are 128 bits, and each
//! proof's error is multiplied by its own `r_i`, so one bad proof cannot be tuned to offset
//! another). Hence the rng must be a cryptographic one the submitters cannot predict or
//! influence — never a fixed seed, nor one derived from the proofs alone.

use ark_bls12_381::{Bls12_381, Config, G1Affine, G1Projective, G2Affine};
use ark_ec::bls12::{G1Prepared, G2Prepared};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{One, Zero};
use ark_std::rand::{CryptoRng, RngCore};
use rayon::prelude::*;

use super::{SpendProof, SpendVerifier, VerifyError};
use crate::Fr;
use crate::circuit::PublicInputs;

/// One entry of a batch: a proof and the statement it claims to prove.
pub type BatchItem<'a> = (&'a SpendProof, &'a PublicInputs);

impl SpendVerifier {
    /// Checks every proof in `items` at once. `Ok` means all of them verify (but for a
    /// `2^-128` chance); `Err(Invalid)` means at least one does not, and
    /// [`SpendVerifier::verify_each`] finds which. An empty batch is accepted.
    ///
    /// `rng` must be cryptographically secure and unknown to whoever made the proofs; see the
    /// module documentation.
    pub fn verify_batch<R: RngCore + CryptoRng>(
        &self,
        items: &[BatchItem<'_>],
        rng: &mut R,
    ) -> Result<(), VerifyError> {
        self.check_input_count()?;
        if items.is_empty() {
            return Ok(());
        }
        let weights: Vec<Fr> = items.iter().map(|_| random_weight(rng)).collect();

        // Σ r_i·IC_i, as coefficients on the key's input points: the constant point gets
        // Σ r_i, input j gets Σ r_i·x_ij.
        let gamma_abc = &self.key().gamma_abc_g1;
        let mut coefficients = [Fr::zero(); PublicInputs::COUNT + 1];
        for ((_, public), r) in items.iter().zip(&weights) {
            coefficients[0] += r;
            for (c, x) in coefficients[1..].iter_mut().zip(public.to_field_elements()) {
                *c += *r * x;
            }
        }
        // Bases and scalars have equal lengths by construction, which is all `unchecked`
        // leaves to the caller.
        let input_sum = G1Projective::msm_unchecked(gamma_abc, &coefficients);
        let cs: Vec<G1Affine> = items.iter().map(|(proof, _)| proof.0.c).collect();
        let c_sum = G1Projective::msm_unchecked(&cs, &weights);

        // The weight sum scales α, so e(α, β) is paired once instead of raised to a power
        // in the target group.
        let alpha_sum = self.key().alpha_g1 * coefficients[0];

        let (mut g1, mut g2) = prepare_proofs(items, &weights);
        g1.extend([input_sum, c_sum, alpha_sum]);
        let g1 = G1Projective::normalize_batch(&g1);
        g2.extend([
            self.prepared.gamma_g2_neg_pc.clone(),
            self.prepared.delta_g2_neg_pc.clone(),
            self.neg_beta_g2.clone(),
        ]);

        let g1: Vec<G1Prepared<Config>> = g1.into_iter().map(G1Prepared::from).collect();
        let miller = Bls12_381::multi_miller_loop(g1, g2);
        match Bls12_381::final_exponentiation(miller) {
            Some(result) if result.0.is_one() => Ok(()),
            _ => Err(VerifyError::Invalid),
        }
    }

    /// The verdict on each proof of `items`, in order. Tries the batch first, so a block of
    /// valid proofs costs one batch check; if the batch fails, every proof is checked on its
    /// own to name the culprits.
    pub fn verify_each<R: RngCore + CryptoRng>(
        &self,
        items: &[BatchItem<'_>],
        rng: &mut R,
    ) -> Vec<Result<(), VerifyError>> {
        match self.verify_batch(items, rng) {
            Ok(()) => vec![Ok(()); items.len()],
            Err(_) => items
                .iter()
                .map(|(proof, public)| self.verify(proof, public))
                .collect(),
        }
    }
}

/// A uniformly random nonzero 128-bit weight. Zero would drop its proof from the check.
fn random_weight<R: RngCore>(rng: &mut R) -> Fr {
    loop {
        let r = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
        if r != 0 {
            return Fr::from(r);
        }
    }
}

/// Each proof's weighted `A` and `B`'s Miller-loop line coefficients, in order. This is most
/// of a batch's per-proof work outside the Miller loop, so it is spread over the cores
/// through rayon's pool, the one arkworks' own parallel code already runs on (no thread is
/// spawned per batch, so none can fail to start).
fn prepare_proofs(
    items: &[BatchItem<'_>],
    weights: &[Fr],
) -> (Vec<G1Projective>, Vec<G2Prepared<Config>>) {
    items
        .par_iter()
        .zip(weights)
        .map(|((proof, _), r)| (proof.0.a * r, G2Prepared::from(proof.0.b)))
        .unzip()
}

/// `−β` in G2, prepared once per key for the batch equation's `α` term.
pub(super) fn neg_beta(beta_g2: G2Affine) -> G2Prepared<Config> {
    G2Prepared::from((-beta_g2.into_group()).into_affine())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_nonzero_and_at_most_128_bits() {
        use ark_ff::{BigInteger, PrimeField};
        let mut rng = ark_std::test_rng();
        for _ in 0..64 {
            let w = random_weight(&mut rng);
            assert!(!w.is_zero());
            assert!(w.into_bigint().num_bits() <= 128);
        }
    }
}
