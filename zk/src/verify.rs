//! Checking spends: the byte encodings the chain accepts and the Groth16 verifier over them.
//!
//! Everything here faces untrusted input, so every decoder is strict:
//!
//! - a field element is 32 bytes, big-endian, and must be *canonical* — below the scalar
//!   modulus `r`. Accepting `x + r` as `x` would let one nullifier be written two ways and
//!   spent twice;
//! - a proof is [`PROOF_BYTES`] bytes: `A` (G1), `B` (G2), `C` (G1), each in the compressed
//!   encoding of the Zcash BLS12-381 specification (which arkworks and the `bls12_381` crate
//!   share). Each point must decode, lie on its curve, lie in the prime-order subgroup and not
//!   be the identity; a point outside the subgroup would void Groth16's soundness argument.
//!
//! [`SpendVerifier`] holds the prepared verifying key and its [`SpendVerifier::key_hash`], the
//! SHA-256 of the key's compressed encoding that chain configurations pin. It checks one proof
//! ([`SpendVerifier::verify`]) or a block's worth at once ([`SpendVerifier::verify_batch`],
//! [`SpendVerifier::verify_each`]; see [`batch`]).

use ark_bls12_381::{Bls12_381, Config, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ec::bls12::G2Prepared;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use ark_snark::SNARK;
use sha2::{Digest, Sha256};

use crate::Fr;
use crate::circuit::PublicInputs;

pub mod batch;
pub use batch::BatchItem;

/// Length of an encoded proof: two compressed G1 points and one compressed G2 point.
pub const PROOF_BYTES: usize = 48 + 96 + 48;

/// Why a proof, a public input or a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The proof has the wrong length.
    #[error("proof must be {PROOF_BYTES} bytes, got {0}")]
    ProofLength(usize),
    /// A proof point does not decode to a non-identity point of the prime-order subgroup.
    #[error(
        "proof point {0} is not a valid compressed point of the BLS12-381 prime-order subgroup"
    )]
    BadPoint(&'static str),
    /// A public input is not below the scalar field modulus.
    #[error("public input {0} is not a canonical field element (it is not below the modulus)")]
    NonCanonical(&'static str),
    /// The proof is well formed but does not prove the statement.
    #[error("the proof does not verify against its public inputs")]
    Invalid,
    /// The verifying key bytes do not decode.
    #[error("verifying key does not decode: {0}")]
    BadKey(String),
}

/// A decoded, subgroup-checked Groth16 proof of the spend circuit.
#[derive(Clone, Debug, PartialEq)]
pub struct SpendProof(pub Proof<Bls12_381>);

impl SpendProof {
    /// Decodes `A || B || C`, refusing anything but canonical, in-subgroup, non-identity points.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        if bytes.len() != PROOF_BYTES {
            return Err(VerifyError::ProofLength(bytes.len()));
        }
        let a = decode_point::<G1Affine>(&bytes[..48], "A")?;
        let b = decode_point::<G2Affine>(&bytes[48..144], "B")?;
        let c = decode_point::<G1Affine>(&bytes[144..], "C")?;
        Ok(Self(Proof { a, b, c }))
    }

    /// The encoding [`SpendProof::from_bytes`] reads.
    pub fn to_bytes(&self) -> [u8; PROOF_BYTES] {
        let mut out = [0u8; PROOF_BYTES];
        let Proof { a, b, c } = &self.0;
        a.serialize_compressed(&mut out[..48]).expect("48 bytes");
        b.serialize_compressed(&mut out[48..144]).expect("96 bytes");
        c.serialize_compressed(&mut out[144..]).expect("48 bytes");
        out
    }
}

fn decode_point<P: AffineRepr + CanonicalDeserialize>(
    bytes: &[u8],
    name: &'static str,
) -> Result<P, VerifyError> {
    // `Validate::Yes` checks the curve equation and subgroup membership; the compressed
    // encoding's flag bits and the coordinate's range are always checked.
    let point = P::deserialize_with_mode(bytes, Compress::Yes, Validate::Yes)
        .map_err(|_| VerifyError::BadPoint(name))?;
    if point.is_zero() {
        return Err(VerifyError::BadPoint(name));
    }
    Ok(point)
}

/// Reads a canonical big-endian field element; `None` if it is not below the modulus.
pub fn field_from_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    let value = Fr::from_be_bytes_mod_order(bytes);
    (field_to_bytes(value) == *bytes).then_some(value)
}

/// The 32-byte big-endian encoding of a field element.
pub fn field_to_bytes(value: Fr) -> [u8; 32] {
    let bytes = value.into_bigint().to_bytes_be();
    bytes.try_into().expect("a BLS12-381 scalar is 32 bytes")
}

/// The prepared verifying key of the spend circuit.
#[derive(Clone, Debug)]
pub struct SpendVerifier {
    prepared: PreparedVerifyingKey<Bls12_381>,
    /// `−β`, which only the batch equation pairs with.
    neg_beta_g2: G2Prepared<Config>,
    key_hash: [u8; 32],
}

impl SpendVerifier {
    /// Prepares `key` for verification.
    pub fn new(key: &VerifyingKey<Bls12_381>) -> Self {
        Self {
            prepared: Groth16::<Bls12_381>::process_vk(key).expect("processing a key cannot fail"),
            neg_beta_g2: batch::neg_beta(key.beta_g2),
            key_hash: key_hash(key),
        }
    }

    /// Decodes a compressed verifying key (as `vnt zk setup` writes it), checking every point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let key = VerifyingKey::<Bls12_381>::deserialize_compressed(bytes)
            .map_err(|e| VerifyError::BadKey(e.to_string()))?;
        if key.gamma_abc_g1.len() != PublicInputs::COUNT + 1 {
            return Err(VerifyError::BadKey(format!(
                "it has {} public inputs, the spend circuit has {}",
                key.gamma_abc_g1.len().saturating_sub(1),
                PublicInputs::COUNT
            )));
        }
        Ok(Self::new(&key))
    }

    /// The verifying key.
    pub fn key(&self) -> &VerifyingKey<Bls12_381> {
        &self.prepared.vk
    }

    /// SHA-256 of the key's compressed encoding: what a chain configuration pins.
    pub fn key_hash(&self) -> [u8; 32] {
        self.key_hash
    }

    /// Checks one proof against its public inputs.
    pub fn verify(&self, proof: &SpendProof, public: &PublicInputs) -> Result<(), VerifyError> {
        self.check_input_count()?;
        let inputs = public.to_field_elements();
        match Groth16::<Bls12_381>::verify_with_processed_vk(&self.prepared, &inputs, &proof.0) {
            Ok(true) => Ok(()),
            _ => Err(VerifyError::Invalid),
        }
    }
}

impl SpendVerifier {
    /// Refuses a key made for another number of public inputs. Only a key passed to
    /// [`SpendVerifier::new`] can have one (`from_bytes` refuses it), and arkworks would pair
    /// its input terms with ours silently, as far as the shorter list goes.
    fn check_input_count(&self) -> Result<(), VerifyError> {
        let terms = self.key().gamma_abc_g1.len();
        if terms == PublicInputs::COUNT + 1 {
            return Ok(());
        }
        Err(VerifyError::BadKey(format!(
            "it has {} public inputs, the spend circuit has {}",
            terms.saturating_sub(1),
            PublicInputs::COUNT
        )))
    }
}

/// SHA-256 of a verifying key's compressed encoding.
pub fn key_hash(key: &VerifyingKey<Bls12_381>) -> [u8; 32] {
    let mut bytes = Vec::new();
    key.serialize_compressed(&mut bytes)
        .expect("serializing into a Vec cannot fail");
    Sha256::digest(&bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_elements_must_be_canonical() {
        let modulus: [u8; 32] = Fr::MODULUS.to_bytes_be().try_into().unwrap();
        assert_eq!(field_from_bytes(&modulus), None);
        let mut below = modulus;
        below[31] -= 1;
        assert_eq!(field_from_bytes(&below), Some(-Fr::from(1u64)));
        assert_eq!(field_from_bytes(&[0xff; 32]), None);
        let seven = field_to_bytes(Fr::from(7u64));
        assert_eq!(field_from_bytes(&seven), Some(Fr::from(7u64)));
    }

    #[test]
    fn a_proof_of_the_wrong_length_is_refused() {
        assert_eq!(
            SpendProof::from_bytes(&[0u8; 191]),
            Err(VerifyError::ProofLength(191))
        );
    }

    #[test]
    fn identity_points_are_refused() {
        let mut bytes = [0u8; PROOF_BYTES];
        // The compressed identity: compression and infinity flags, all else zero.
        bytes[0] = 0xc0;
        bytes[48] = 0xc0;
        bytes[144] = 0xc0;
        assert_eq!(
            SpendProof::from_bytes(&bytes),
            Err(VerifyError::BadPoint("A"))
        );
    }
}
