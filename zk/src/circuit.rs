//! The spend circuit: one statement for shield, transfer and unshield.
//!
//! A proof of [`SpendCircuit`] says, for the public inputs in [`PublicInputs::to_field_elements`]
//! order (`root, nf_1, nf_2, cm_1, cm_2, public_in, public_out, fee, recipient, chain_id,
//! external_data`):
//!
//! 1. for each of the two inputs, the prover knows a spending key `sk` and a note
//!    `(value, H_owner(sk), rho, r)`; if `value != 0` the note's commitment is the leaf at some
//!    position of the tree with root `root`, and `nf_i = H_nf(H_nk(sk), position, cm)`. A
//!    zero-value input is a dummy: its membership is not checked (it moves nothing), but its
//!    nullifier is still published, so the statement has one shape whatever the transaction;
//! 2. for each of the two outputs, `cm_j` commits to a note of the claimed value;
//! 3. every value — the four note values, `public_in`, `public_out`, `fee` — is below 2^64, so
//!    the sums below (at most six terms, under 2^67) cannot wrap around the 255-bit field;
//! 4. `in_1 + in_2 + public_in = out_1 + out_2 + public_out + fee`.
//!
//! Shield is `public_in > 0` with dummy inputs; unshield is `public_out > 0` paid to
//! `recipient`; a transfer moves value between notes only. `recipient`, `chain_id` and
//! `external_data` take no part in the arithmetic, but being public inputs of the Groth16
//! statement binds them to the proof: a relayer that changes them (or rerandomises the proof
//! and changes them) gets a proof that no longer verifies. Each is touched by at least one
//! constraint, because a public input that appears in no constraint has a zero verifying-key
//! term and is not bound at all.
//!
//! `external_data` is [`external_data_hash`] of what the pool takes from the transaction but
//! the circuit cannot see: who submits it (and so earns the fee) and the two note
//! ciphertexts. Without it, anyone watching the mempool could resubmit a spend under their
//! own account (taking the fee) or with garbage in place of the ciphertexts (the notes would
//! be committed, but their owners could never open them: the value would be lost for good).

use ark_ff::PrimeField;
use ark_r1cs_std::{
    alloc::AllocVar,
    boolean::Boolean,
    eq::EqGadget,
    fields::{FieldVar, fp::FpVar},
};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use sha2::{Digest, Sha256};

use crate::Fr;
use crate::note::{self, Note, SpendingKey};
use crate::tree::{DEPTH, MerklePath, MerklePathVar};

/// Number of input notes per proof.
pub const INPUTS: usize = 2;
/// Number of output notes per proof.
pub const OUTPUTS: usize = 2;

/// Why a spend cannot be proven (checked natively before proving).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpendError {
    /// Inputs and outputs do not add up.
    #[error(
        "value does not balance: inputs {inputs} + public in {public_in} != outputs {outputs} + public out {public_out} + fee {fee}"
    )]
    Unbalanced {
        /// Sum of input note values.
        inputs: u128,
        /// Public value shielded.
        public_in: u64,
        /// Sum of output note values.
        outputs: u128,
        /// Public value unshielded.
        public_out: u64,
        /// Fee paid.
        fee: u64,
    },
    /// An input note with value is not in the tree at the root its path leads to.
    #[error("input {index} is not in the note tree with the given root at position {position}")]
    NotInTree {
        /// Which input.
        index: usize,
        /// The position its path claims.
        position: u64,
    },
    /// The spending key does not own the input note.
    #[error("input {index} is not owned by the spending key given for it")]
    NotOwner {
        /// Which input.
        index: usize,
    },
}

/// An input note with what spending it needs.
#[derive(Clone, Debug)]
pub struct SpendInput {
    /// The owner's spending key.
    pub sk: SpendingKey,
    /// The note spent.
    pub note: Note,
    /// Its authentication path (any path for a zero-value dummy).
    pub path: MerklePath,
}

impl SpendInput {
    /// A zero-value dummy input owned by `sk`, at position 0 with an arbitrary path.
    pub fn dummy(sk: SpendingKey, rho: Fr, r: Fr) -> Self {
        Self {
            sk,
            note: Note {
                value: 0,
                owner: sk.owner(),
                rho,
                r,
            },
            path: MerklePath {
                position: 0,
                siblings: [Fr::from(0u64); DEPTH],
            },
        }
    }
}

/// Everything the verifier sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicInputs {
    /// The tree root the inputs are proven against.
    pub root: Fr,
    /// The input notes' nullifiers.
    pub nullifiers: [Fr; INPUTS],
    /// The output notes' commitments.
    pub commitments: [Fr; OUTPUTS],
    /// Public value entering the pool.
    pub public_in: u64,
    /// Public value leaving the pool, paid to `recipient`.
    pub public_out: u64,
    /// Fee paid to the submitter `external_data` binds (`msg.sender` of `transact`, often a
    /// relayer).
    pub fee: u64,
    /// The public account receiving `public_out` (an address as a field element).
    pub recipient: Fr,
    /// The chain whose pool this spends from (replay protection across chains).
    pub chain_id: u64,
    /// [`external_data_hash`] of the submitter and the note ciphertexts.
    pub external_data: Fr,
}

/// Domain of [`external_data_hash`].
const EXTERNAL_DATA_DOMAIN: &[u8] = b"VNT zk v1: external data";

/// The digest binding a spend to its submitter (the account the fee is paid to, `msg.sender`
/// of `transact`) and to its note ciphertexts, as one public input:
///
/// ```text
/// SHA-256("VNT zk v1: external data" || submitter (20) || len_1 (8, BE) || c_1 || len_2 (8, BE) || c_2)
/// ```
///
/// with the top three bits cleared, so the 256-bit digest becomes an integer below 2^253 and
/// hence a canonical field element (the modulus is above 2^254). The lengths make the
/// encoding of the two ciphertexts unambiguous.
pub fn external_data_hash(submitter: &[u8; 20], encrypted_notes: [&[u8]; OUTPUTS]) -> Fr {
    let mut hasher = Sha256::new();
    hasher.update(EXTERNAL_DATA_DOMAIN);
    hasher.update(submitter);
    for note in encrypted_notes {
        hasher.update((note.len() as u64).to_be_bytes());
        hasher.update(note);
    }
    let mut digest: [u8; 32] = hasher.finalize().into();
    digest[0] &= 0x1f;
    Fr::from_be_bytes_mod_order(&digest)
}

impl PublicInputs {
    /// How many field elements [`PublicInputs::to_field_elements`] yields.
    pub const COUNT: usize = 11;

    /// The Groth16 public inputs, in the order the circuit allocates them.
    pub fn to_field_elements(&self) -> Vec<Fr> {
        let mut v = vec![self.root];
        v.extend(self.nullifiers);
        v.extend(self.commitments);
        v.extend([
            Fr::from(self.public_in),
            Fr::from(self.public_out),
            Fr::from(self.fee),
            self.recipient,
            Fr::from(self.chain_id),
            self.external_data,
        ]);
        v
    }
}

/// The spend statement with its witness; see the module documentation.
#[derive(Clone, Debug)]
pub struct SpendCircuit {
    /// The public inputs.
    pub public: PublicInputs,
    /// The notes spent.
    pub inputs: [SpendInput; INPUTS],
    /// The notes created.
    pub outputs: [Note; OUTPUTS],
}

impl SpendCircuit {
    /// Builds a spend, computing nullifiers and commitments, after checking natively what the
    /// circuit will enforce (so a wallet learns why, instead of getting an unsatisfiable proof).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        root: Fr,
        inputs: [SpendInput; INPUTS],
        outputs: [Note; OUTPUTS],
        public_in: u64,
        public_out: u64,
        fee: u64,
        recipient: Fr,
        chain_id: u64,
        external_data: Fr,
    ) -> Result<Self, SpendError> {
        for (index, input) in inputs.iter().enumerate() {
            if input.note.owner != input.sk.owner() {
                return Err(SpendError::NotOwner { index });
            }
            if input.note.value != 0 && input.path.root(input.note.commitment()) != root {
                let position = input.path.position;
                return Err(SpendError::NotInTree { index, position });
            }
        }
        let sum = |values: &mut dyn Iterator<Item = u64>| values.map(u128::from).sum::<u128>();
        let ins = sum(&mut inputs.iter().map(|i| i.note.value));
        let outs = sum(&mut outputs.iter().map(|n| n.value));
        if ins + u128::from(public_in) != outs + u128::from(public_out) + u128::from(fee) {
            return Err(SpendError::Unbalanced {
                inputs: ins,
                public_in,
                outputs: outs,
                public_out,
                fee,
            });
        }
        let public = PublicInputs {
            root,
            nullifiers: std::array::from_fn(|i| {
                let input = &inputs[i];
                input
                    .note
                    .nullifier(input.sk.nullifier_key(), input.path.position)
            }),
            commitments: std::array::from_fn(|j| outputs[j].commitment()),
            public_in,
            public_out,
            fee,
            recipient,
            chain_id,
            external_data,
        };
        Ok(Self {
            public,
            inputs,
            outputs,
        })
    }
}

/// A value known to the prover, as 64 witness bits: in range by construction (64 boolean
/// constraints), and the field element is their weighted sum (no further constraint).
fn witness_u64(cs: ConstraintSystemRef<Fr>, value: u64) -> Result<FpVar<Fr>, SynthesisError> {
    let bits = (0..64)
        .map(|i| Boolean::new_witness(cs.clone(), || Ok((value >> i) & 1 == 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Boolean::le_bits_to_fp(&bits)
}

/// A public input that must be below 2^64: 64 witness bits that must recompose to it.
/// The bits are taken from the element's low 64 bits, so an element of 2^64 or more cannot
/// satisfy the equality.
pub fn public_u64(cs: ConstraintSystemRef<Fr>, value: Fr) -> Result<FpVar<Fr>, SynthesisError> {
    let var = FpVar::new_input(cs.clone(), || Ok(value))?;
    let low = value.into_bigint().0[0];
    let recomposed = witness_u64(cs, low)?;
    var.enforce_equal(&recomposed)?;
    Ok(var)
}

impl ConstraintSynthesizer<Fr> for SpendCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let p = &self.public;
        // Public inputs, in `PublicInputs::to_field_elements` order.
        let input = |x: Fr| FpVar::new_input(cs.clone(), || Ok(x));
        let root = input(p.root)?;
        let nullifiers = p.nullifiers.map(input);
        let commitments = p.commitments.map(input);
        let public_in = public_u64(cs.clone(), Fr::from(p.public_in))?;
        let public_out = public_u64(cs.clone(), Fr::from(p.public_out))?;
        let fee = public_u64(cs.clone(), Fr::from(p.fee))?;
        let recipient = input(p.recipient)?;
        let _chain_id = public_u64(cs.clone(), Fr::from(p.chain_id))?;
        let external_data = input(p.external_data)?;
        // Bind the recipient and the external data (see the module documentation): one
        // constraint each, values unused.
        let _ = recipient.square()?;
        let _ = external_data.square()?;

        let witness = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x));
        let mut total_in = public_in;
        for (spend, nf) in self.inputs.iter().zip(nullifiers) {
            let sk = witness(spend.sk.0)?;
            let owner = note::owner_var(cs.clone(), &sk)?;
            let nk = note::nullifier_key_var(cs.clone(), &sk)?;
            let value = witness_u64(cs.clone(), spend.note.value)?;
            let cm = note::commitment_var(
                cs.clone(),
                &value,
                &owner,
                &witness(spend.note.rho)?,
                &witness(spend.note.r)?,
            )?;
            let path = MerklePathVar::new_witness(cs.clone(), &spend.path)?;
            let is_real = !value.is_zero()?;
            path.root(cs.clone(), &cm)?
                .conditional_enforce_equal(&root, &is_real)?;
            note::nullifier_var(cs.clone(), &nk, &path.position()?, &cm)?.enforce_equal(&nf?)?;
            total_in += value;
        }

        let mut total_out = public_out + fee;
        for (out, cm_public) in self.outputs.iter().zip(commitments) {
            let value = witness_u64(cs.clone(), out.value)?;
            let cm = note::commitment_var(
                cs.clone(),
                &value,
                &witness(out.owner)?,
                &witness(out.rho)?,
                &witness(out.r)?,
            )?;
            cm.enforce_equal(&cm_public?)?;
            total_out += value;
        }
        total_in.enforce_equal(&total_out)
    }
}

#[cfg(test)]
mod tests;
