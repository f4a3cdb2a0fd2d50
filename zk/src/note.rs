//! Notes: what a shielded value is, how it is committed to, and how it is spent once.
//!
//! Keys. A [`SpendingKey`] `sk` is a random field element. From it:
//!
//! - the **owner key** `owner = H_owner(sk)` is public: it goes into notes paid to this key, and
//!   spending proves knowledge of `sk` behind it (Poseidon is one-way, so `owner` reveals nothing
//!   usable about `sk`);
//! - the **nullifier key** `nk = H_nk(sk)` computes nullifiers. It is separate from `sk` so that
//!   a wallet can later hand out `nk` to watch for spends without the power to spend.
//!
//! A [`Note`] is `(value: u64, owner, rho, r)`: `rho` makes two otherwise equal notes distinct,
//! `r` is the commitment's blinding trapdoor. Its **commitment** is
//!
//! ```text
//! cm = Poseidon[NoteCommitment](value, owner, rho, r)     // four elements, in this order;
//!                                                         // value as the integer it is (< 2^64)
//! ```
//!
//! and is what the chain appends to the note tree. Spending the note at tree position `pos`
//! publishes its **nullifier**
//!
//! ```text
//! nf = Poseidon[Nullifier](nk, pos, cm)
//! ```
//!
//! Only the owner knows `nk`, so only the owner can compute `nf`; it is a function of the note
//! and its position, so the same note always gives the same `nf` and the chain's nullifier set
//! accepts it once. Binding the position (rather than only `cm`) means two notes with equal
//! commitments at two positions are two spendable notes, never one note paid twice.

use ark_ff::UniformRand;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use ark_std::rand::Rng;

use crate::Fr;
use crate::poseidon::{Domain, hash, hash_var};

/// The secret that spends notes paid to its owner key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpendingKey(pub Fr);

impl SpendingKey {
    /// A fresh spending key.
    pub fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self(Fr::rand(rng))
    }

    /// The public key notes are paid to.
    pub fn owner(&self) -> Fr {
        hash(Domain::OwnerKey, &[self.0])
    }

    /// The key that computes this owner's nullifiers.
    pub fn nullifier_key(&self) -> Fr {
        hash(Domain::NullifierKey, &[self.0])
    }
}

/// A shielded value paid to an owner key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note {
    /// The amount, in the token's smallest unit.
    pub value: u64,
    /// The owner key ([`SpendingKey::owner`]) that may spend the note.
    pub owner: Fr,
    /// Uniqueness randomness.
    pub rho: Fr,
    /// Commitment trapdoor (blinding).
    pub r: Fr,
}

impl Note {
    /// A note of `value` to `owner` with fresh randomness.
    pub fn new<R: Rng + ?Sized>(value: u64, owner: Fr, rng: &mut R) -> Self {
        Self {
            value,
            owner,
            rho: Fr::rand(rng),
            r: Fr::rand(rng),
        }
    }

    /// The note commitment appended to the tree.
    pub fn commitment(&self) -> Fr {
        hash(
            Domain::NoteCommitment,
            &[Fr::from(self.value), self.owner, self.rho, self.r],
        )
    }

    /// The nullifier of this note at tree position `position`, with the owner's nullifier key.
    pub fn nullifier(&self, nk: Fr, position: u64) -> Fr {
        nullifier(nk, position, self.commitment())
    }
}

/// `Poseidon[Nullifier](nk, position, cm)`.
pub fn nullifier(nk: Fr, position: u64, commitment: Fr) -> Fr {
    hash(Domain::Nullifier, &[nk, Fr::from(position), commitment])
}

/// In-circuit [`SpendingKey::owner`].
pub fn owner_var(cs: ConstraintSystemRef<Fr>, sk: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    hash_var(cs, Domain::OwnerKey, std::slice::from_ref(sk))
}

/// In-circuit [`SpendingKey::nullifier_key`].
pub fn nullifier_key_var(
    cs: ConstraintSystemRef<Fr>,
    sk: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    hash_var(cs, Domain::NullifierKey, std::slice::from_ref(sk))
}

/// In-circuit [`Note::commitment`]; `value` must already be range-checked to 64 bits.
pub fn commitment_var(
    cs: ConstraintSystemRef<Fr>,
    value: &FpVar<Fr>,
    owner: &FpVar<Fr>,
    rho: &FpVar<Fr>,
    r: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    let inputs = [value.clone(), owner.clone(), rho.clone(), r.clone()];
    hash_var(cs, Domain::NoteCommitment, &inputs)
}

/// In-circuit [`nullifier`].
pub fn nullifier_var(
    cs: ConstraintSystemRef<Fr>,
    nk: &FpVar<Fr>,
    position: &FpVar<Fr>,
    commitment: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    let inputs = [nk.clone(), position.clone(), commitment.clone()];
    hash_var(cs, Domain::Nullifier, &inputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::{GR1CSVar, alloc::AllocVar};
    use ark_relations::gr1cs::ConstraintSystem;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn commitment_changes_with_every_field_of_the_note() {
        let mut rng = StdRng::seed_from_u64(2);
        let note = Note::new(100, SpendingKey::random(&mut rng).owner(), &mut rng);
        let cm = note.commitment();
        let variants = [
            Note { value: 101, ..note },
            Note {
                owner: note.owner + Fr::from(1u64),
                ..note
            },
            Note {
                rho: note.rho + Fr::from(1u64),
                ..note
            },
            Note {
                r: note.r + Fr::from(1u64),
                ..note
            },
        ];
        for other in variants {
            assert_ne!(other.commitment(), cm);
        }
    }

    #[test]
    fn nullifier_depends_on_key_and_position() {
        let mut rng = StdRng::seed_from_u64(3);
        let sk = SpendingKey::random(&mut rng);
        let note = Note::new(5, sk.owner(), &mut rng);
        let nk = sk.nullifier_key();
        assert_eq!(note.nullifier(nk, 7), note.nullifier(nk, 7));
        assert_ne!(note.nullifier(nk, 7), note.nullifier(nk, 8));
        let other = SpendingKey::random(&mut rng).nullifier_key();
        assert_ne!(note.nullifier(nk, 7), note.nullifier(other, 7));
        // The owner key and the nullifier key of one secret are unrelated values.
        assert_ne!(sk.owner(), nk);
    }

    #[test]
    fn gadgets_agree_with_native_keys_commitment_and_nullifier() {
        let mut rng = StdRng::seed_from_u64(4);
        let sk = SpendingKey::random(&mut rng);
        let note = Note::new(u64::MAX, sk.owner(), &mut rng);
        let cs = ConstraintSystem::<Fr>::new_ref();
        let w = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x)).unwrap();
        let sk_v = w(sk.0);
        let owner = owner_var(cs.clone(), &sk_v).unwrap();
        let nk = nullifier_key_var(cs.clone(), &sk_v).unwrap();
        let cm = commitment_var(
            cs.clone(),
            &w(Fr::from(note.value)),
            &owner,
            &w(note.rho),
            &w(note.r),
        )
        .unwrap();
        let nf = nullifier_var(cs.clone(), &nk, &w(Fr::from(9u64)), &cm).unwrap();
        assert_eq!(owner.value().unwrap(), sk.owner());
        assert_eq!(nk.value().unwrap(), sk.nullifier_key());
        assert_eq!(cm.value().unwrap(), note.commitment());
        assert_eq!(nf.value().unwrap(), note.nullifier(sk.nullifier_key(), 9));
        assert!(cs.is_satisfied().unwrap());
    }
}
