//! Poseidon over the BLS12-381 scalar field: the one hash of the shielded pool.
//!
//! Every hash in notes, nullifiers, keys and the note tree is [`hash`] natively and
//! [`hash_var`] inside the circuit; both run the same permutation (ark-crypto-primitives'
//! `PoseidonSponge` and its gadget `PoseidonSpongeVar`) with the same [`config`], and a test
//! checks they agree.
//!
//! Parameters (Poseidon paper, Grassi et al., USENIX Security 2021, Table 2 — 128-bit security
//! for a ~255-bit prime with the x^5 S-box, the same set Zcash's and Filecoin's circuits use on
//! 255-bit fields):
//!
//! - width t = 3 (rate 2, capacity 1): a Merkle node is one permutation, a four-element note
//!   commitment two;
//! - alpha = 5: the S-box x^alpha must be a permutation of the field, i.e. gcd(alpha, r - 1) = 1.
//!   3 divides r - 1 for BLS12-381, so 5 is the smallest valid exponent (tested);
//! - R_F = 8 full rounds, R_P = 57 partial rounds (the paper's numbers for t = 3, which include
//!   its security margin of +2 full rounds and +7.5 % partial rounds).
//!
//! Round constants and the MDS matrix are not written down anywhere in this file: they are
//! generated deterministically by the Grain LFSR of the Poseidon reference script, seeded with
//! (field size, t, R_F, R_P), as ark-crypto-primitives' `find_poseidon_ark_and_mds` implements
//! it. The MDS matrix is the first Cauchy matrix the LFSR yields that passes the sufficient test
//! against infinitely long invariant subspace trails (Grassi, Rechberger, Schofnegger 2020:
//! the minimal polynomial of M^i is irreducible of full degree for i = 1..=2t); tests check it
//! is MDS, passes, and that every earlier candidate fails ([`SKIP_MATRICES`]).
//!
//! Domain separation costs nothing: the capacity element starts as a tag (`domain * 256 +
//! arity`) instead of zero, as the Poseidon paper suggests, so a Merkle node can never be read
//! as a commitment or a nullifier, and inputs of different lengths never collide.

use std::sync::OnceLock;

use ark_bls12_381::Fr;
use ark_crypto_primitives::sponge::{
    CryptographicSponge,
    constraints::CryptographicSpongeVar,
    poseidon::{
        PoseidonConfig, PoseidonSponge, constraints::PoseidonSpongeVar, find_poseidon_ark_and_mds,
    },
};
use ark_ff::PrimeField;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// Elements absorbed per permutation.
pub const RATE: usize = 2;
/// Elements of hidden state; 1 element of a 255-bit field is well above 128-bit security.
pub const CAPACITY: usize = 1;
/// The S-box exponent: the smallest alpha with gcd(alpha, r - 1) = 1 for BLS12-381's r.
pub const ALPHA: u64 = 5;
/// Full rounds (R_F) for 128-bit security at t = 3, alpha = 5.
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds (R_P) for 128-bit security at t = 3, alpha = 5.
pub const PARTIAL_ROUNDS: usize = 57;

/// Cauchy matrices drawn from the LFSR and discarded before the MDS matrix: the first seven
/// fail the subspace-trail test (a test shows the eighth is the first to pass), as the
/// reference script discards failing candidates.
pub const SKIP_MATRICES: usize = 7;

/// What a hash is for. The tag goes into the capacity element, so the same inputs hashed
/// for two different purposes give unrelated outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Domain {
    /// An inner node of the note tree: `H(left, right)`.
    MerkleNode = 1,
    /// A note commitment: `H(value, owner, rho, r)`.
    NoteCommitment = 2,
    /// A nullifier: `H(nk, position, commitment)`.
    Nullifier = 3,
    /// The owner (public) key of a spending key: `H(sk)`.
    OwnerKey = 4,
    /// The nullifier key of a spending key: `H(sk)`.
    NullifierKey = 5,
}

impl Domain {
    /// The initial capacity element for hashing `arity` inputs in this domain.
    fn tag(self, arity: usize) -> Fr {
        assert!(arity < 256, "Poseidon inputs are a handful of elements");
        Fr::from(self as u64 * 256 + arity as u64)
    }
}

/// The Poseidon parameters, generated once per process from the Grain LFSR.
pub fn config() -> &'static PoseidonConfig<Fr> {
    static CONFIG: OnceLock<PoseidonConfig<Fr>> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let (ark, mds) = find_poseidon_ark_and_mds::<Fr>(
            u64::from(Fr::MODULUS_BIT_SIZE),
            RATE,
            FULL_ROUNDS as u64,
            PARTIAL_ROUNDS as u64,
            SKIP_MATRICES as u64,
        );
        PoseidonConfig::new(FULL_ROUNDS, PARTIAL_ROUNDS, ALPHA, mds, ark, RATE, CAPACITY)
    })
}

/// Hashes `inputs` for `domain` to one field element, natively.
pub fn hash(domain: Domain, inputs: &[Fr]) -> Fr {
    let mut sponge = PoseidonSponge::new(config());
    sponge.state[0] = domain.tag(inputs.len());
    sponge.absorb(&inputs.to_vec());
    sponge.squeeze_field_elements::<Fr>(1)[0]
}

/// Hashes `inputs` for `domain` inside the circuit; agrees with [`hash`].
pub fn hash_var(
    cs: ConstraintSystemRef<Fr>,
    domain: Domain,
    inputs: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
    let mut sponge = PoseidonSpongeVar::new(cs, config());
    sponge.state[0] = FpVar::Constant(domain.tag(inputs.len()));
    sponge.absorb(&inputs.to_vec())?;
    Ok(sponge.squeeze_field_elements(1)?.remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{Field, One, UniformRand, Zero};
    use ark_r1cs_std::{GR1CSVar, alloc::AllocVar};
    use ark_relations::gr1cs::ConstraintSystem;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn native_and_circuit_hashes_agree_for_every_domain_and_arity() {
        let mut rng = StdRng::seed_from_u64(1);
        for domain in [
            Domain::MerkleNode,
            Domain::NoteCommitment,
            Domain::Nullifier,
        ] {
            for arity in 1..=5 {
                let inputs: Vec<Fr> = (0..arity).map(|_| Fr::rand(&mut rng)).collect();
                let cs = ConstraintSystem::<Fr>::new_ref();
                let vars: Vec<_> = inputs
                    .iter()
                    .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
                    .collect();
                let out = hash_var(cs.clone(), domain, &vars).unwrap();
                assert_eq!(out.value().unwrap(), hash(domain, &inputs));
                assert!(cs.is_satisfied().unwrap());
            }
        }
    }

    #[test]
    fn one_permutation_costs_three_constraints_per_sbox() {
        // x^5 is three multiplications; a permutation has t S-boxes in each full round and one
        // in each partial round.
        let cs = ConstraintSystem::<Fr>::new_ref();
        let a = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
        let b = FpVar::new_witness(cs.clone(), || Ok(Fr::from(2u64))).unwrap();
        let _ = hash_var(cs.clone(), Domain::MerkleNode, &[a, b]).unwrap();
        // The capacity element enters the first round as a constant (the domain tag), so its
        // first S-box is computed outside the circuit.
        let width = RATE + CAPACITY;
        let sboxes = FULL_ROUNDS * width + PARTIAL_ROUNDS - 1;
        assert_eq!(cs.num_constraints(), 3 * sboxes);
    }

    #[test]
    fn domains_and_arities_separate_outputs() {
        let x = [Fr::from(7u64), Fr::from(9u64)];
        assert_ne!(hash(Domain::MerkleNode, &x), hash(Domain::Nullifier, &x));
        assert_ne!(
            hash(Domain::OwnerKey, &x[..1]),
            hash(Domain::NullifierKey, &x[..1])
        );
        // [7] and [7, 0] absorb the same rate elements; only the arity in the tag separates them.
        assert_ne!(
            hash(Domain::MerkleNode, &x[..1]),
            hash(Domain::MerkleNode, &[x[0], Fr::zero()])
        );
    }

    /// `(r - 1) mod m` for a small `m`, from the modulus' little-endian 64-bit limbs.
    fn modulus_minus_one_mod(m: u64) -> u64 {
        let mut r = 0u128;
        for limb in Fr::MODULUS.0.iter().rev() {
            r = ((r << 64) | u128::from(*limb)) % u128::from(m);
        }
        ((r + u128::from(m) - 1) % u128::from(m)) as u64
    }

    #[test]
    fn alpha_five_is_the_smallest_exponent_that_permutes_the_field() {
        // alpha = 2 is never a permutation of an odd-characteristic field; 3 divides r - 1, 5
        // does not (so x^5 is a bijection, and x^3 is not).
        assert_eq!(modulus_minus_one_mod(3), 0);
        assert_ne!(modulus_minus_one_mod(ALPHA), 0);
        assert_eq!(config().alpha, ALPHA);
    }

    type Mat = [[Fr; 3]; 3];

    fn mds() -> Mat {
        let m = &config().mds;
        assert_eq!(m.len(), 3);
        std::array::from_fn(|i| std::array::from_fn(|j| m[i][j]))
    }

    fn mat_mul(a: &Mat, b: &Mat) -> Mat {
        std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
    }

    fn det2(a: Fr, b: Fr, c: Fr, d: Fr) -> Fr {
        a * d - b * c
    }

    /// Monic characteristic polynomial x^3 + c2 x^2 + c1 x + c0, returned as [c0, c1, c2].
    fn char_poly(m: &Mat) -> [Fr; 3] {
        let trace = m[0][0] + m[1][1] + m[2][2];
        let minors = det2(m[1][1], m[1][2], m[2][1], m[2][2])
            + det2(m[0][0], m[0][2], m[2][0], m[2][2])
            + det2(m[0][0], m[0][1], m[1][0], m[1][1]);
        let det = m[0][0] * det2(m[1][1], m[1][2], m[2][1], m[2][2])
            - m[0][1] * det2(m[1][0], m[1][2], m[2][0], m[2][2])
            + m[0][2] * det2(m[1][0], m[1][1], m[2][0], m[2][1]);
        [-det, minors, -trace]
    }

    /// Product of two polynomials of degree < 3 reduced modulo the monic cubic `f`.
    fn mul_mod(a: &[Fr; 3], b: &[Fr; 3], f: &[Fr; 3]) -> [Fr; 3] {
        let mut p = [Fr::zero(); 5];
        for i in 0..3 {
            for j in 0..3 {
                p[i + j] += a[i] * b[j];
            }
        }
        for d in (3..5).rev() {
            let c = p[d];
            p[d] = Fr::zero();
            for k in 0..3 {
                p[d - 3 + k] -= c * f[k];
            }
        }
        [p[0], p[1], p[2]]
    }

    /// A cubic is irreducible over F_r exactly when it has no root in F_r, i.e. when
    /// gcd(x^r - x, f) = 1 (x^r - x is the product of x - a over every a in F_r).
    fn cubic_is_irreducible(f: &[Fr; 3]) -> bool {
        // x^r mod f by square-and-multiply over the bits of r.
        let x = [Fr::zero(), Fr::one(), Fr::zero()];
        let mut acc = [Fr::one(), Fr::zero(), Fr::zero()];
        for bit in ark_ff::BitIteratorBE::without_leading_zeros(Fr::MODULUS) {
            acc = mul_mod(&acc, &acc, f);
            if bit {
                acc = mul_mod(&acc, &x, f);
            }
        }
        let g = [acc[0], acc[1] - Fr::one(), acc[2]]; // x^r - x mod f
        poly_gcd_degree(vec![f[0], f[1], f[2], Fr::one()], g.to_vec()) == 0
    }

    /// Degree of gcd(a, b) by the Euclidean algorithm (coefficients low to high).
    fn poly_gcd_degree(mut a: Vec<Fr>, mut b: Vec<Fr>) -> usize {
        let trim = |p: &mut Vec<Fr>| {
            while p.last().is_some_and(|c| c.is_zero()) {
                p.pop();
            }
        };
        trim(&mut a);
        trim(&mut b);
        while !b.is_empty() {
            // a mod b
            let lead_inv = b.last().unwrap().inverse().unwrap();
            while a.len() >= b.len() && !a.is_empty() {
                let c = *a.last().unwrap() * lead_inv;
                let shift = a.len() - b.len();
                for (k, bk) in b.iter().enumerate() {
                    a[shift + k] -= c * bk;
                }
                trim(&mut a);
            }
            std::mem::swap(&mut a, &mut b);
        }
        a.len() - 1
    }

    #[test]
    fn mds_matrix_is_mds_and_has_no_invariant_subspace_trails() {
        let m = mds();
        // MDS: every square submatrix is invertible.
        for row in &m {
            for x in row {
                assert!(!x.is_zero());
            }
        }
        for (r0, r1) in [(0, 1), (0, 2), (1, 2)] {
            for (c0, c1) in [(0, 1), (0, 2), (1, 2)] {
                assert!(!det2(m[r0][c0], m[r0][c1], m[r1][c0], m[r1][c1]).is_zero());
            }
        }
        assert!(!char_poly(&m)[0].is_zero(), "the matrix is invertible");
        // Sufficient condition against infinitely long subspace trails: for i = 1..=2t the
        // characteristic polynomial of M^i is irreducible, so it is also the minimal polynomial
        // and has full degree.
        assert!(passes_subspace_trail_check(&m));
    }

    fn passes_subspace_trail_check(m: &Mat) -> bool {
        let mut power = *m;
        for _ in 1..=2 * (RATE + CAPACITY) {
            if !cubic_is_irreducible(&char_poly(&power)) {
                return false;
            }
            power = mat_mul(&power, m);
        }
        true
    }

    #[test]
    fn the_matrix_used_is_the_first_one_the_lfsr_yields_that_passes() {
        let passing: Vec<u64> = (0..=SKIP_MATRICES as u64)
            .filter(|&skip| {
                let (_, m) = find_poseidon_ark_and_mds::<Fr>(
                    u64::from(Fr::MODULUS_BIT_SIZE),
                    RATE,
                    FULL_ROUNDS as u64,
                    PARTIAL_ROUNDS as u64,
                    skip,
                );
                passes_subspace_trail_check(&std::array::from_fn(|i| {
                    std::array::from_fn(|j| m[i][j])
                }))
            })
            .collect();
        assert_eq!(passing, vec![SKIP_MATRICES as u64]);
    }

    #[test]
    fn irreducibility_test_rejects_a_cubic_with_a_root() {
        // (x - 2)(x^2 + 1): has the root 2.
        let f = [-Fr::from(2u64), Fr::one(), -Fr::from(2u64)];
        assert!(!cubic_is_irreducible(&f));
    }
}
