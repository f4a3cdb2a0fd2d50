//! A second Groth16 verifier that shares no code with arkworks: the Zcash stack's
//! `bls12_381` for the curve and pairing, the `groth16` crate (from bellman) for the
//! verification equation. It reads the same bytes the chain reads — `spend.vk`, the 192-byte
//! proof, 32-byte big-endian public inputs — with its own decoders.

use bls12_381::{Bls12, G1Affine, G2Affine, Scalar};
use groth16::{PreparedVerifyingKey, Proof, VerifyingKey};

/// Bytes of a compressed G1 point.
const G1: usize = 48;
/// Bytes of a compressed G2 point.
const G2: usize = 96;

pub struct ZcashVerifier {
    key: PreparedVerifyingKey<Bls12>,
    inputs: usize,
}

impl ZcashVerifier {
    /// Decodes a verifying key in arkworks' compressed layout:
    ///
    /// ```text
    /// alpha_g1 (48) ‖ beta_g2 (96) ‖ gamma_g2 (96) ‖ delta_g2 (96)
    ///     ‖ n as u64 little-endian (8) ‖ gamma_abc_g1: n × 48
    /// ```
    ///
    /// Every point must be a canonical compressed point of its prime-order subgroup.
    pub fn from_key_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut rest = bytes;
        let alpha_g1 = g1(take(&mut rest, G1)?, "alpha_g1")?;
        let beta_g2 = g2(take(&mut rest, G2)?, "beta_g2")?;
        let gamma_g2 = g2(take(&mut rest, G2)?, "gamma_g2")?;
        let delta_g2 = g2(take(&mut rest, G2)?, "delta_g2")?;
        let count = u64::from_le_bytes(take(&mut rest, 8)?.try_into().unwrap());
        let count = usize::try_from(count).map_err(|_| "absurd input count".to_string())?;
        if rest.len() != count.checked_mul(G1).ok_or("absurd input count")? {
            return Err(format!(
                "{count} input points need {} bytes, {} remain",
                count * G1,
                rest.len()
            ));
        }
        let ic = rest
            .chunks(G1)
            .map(|chunk| g1(chunk, "gamma_abc_g1"))
            .collect::<Result<Vec<_>, _>>()?;
        if ic.is_empty() {
            return Err("no input points".into());
        }
        let key = VerifyingKey::<Bls12> {
            alpha_g1,
            beta_g2,
            gamma_g2,
            delta_g2,
            ic,
            // Only a prover uses these two; arkworks' verifying key does not carry them.
            beta_g1: G1Affine::identity(),
            delta_g1: G1Affine::identity(),
        };
        Ok(Self {
            inputs: key.ic.len() - 1,
            key: groth16::prepare_verifying_key(&key),
        })
    }

    /// Whether `proof` (192 bytes, `A ‖ B ‖ C`) proves `inputs` (32-byte big-endian field
    /// elements). Bytes that do not decode are a rejection.
    pub fn verify(&self, proof: &[u8], inputs: &[[u8; 32]]) -> bool {
        let Some(proof) = decode_proof(proof) else {
            return false;
        };
        let Some(inputs) = inputs.iter().map(scalar).collect::<Option<Vec<_>>>() else {
            return false;
        };
        inputs.len() == self.inputs && groth16::verify_proof(&self.key, &proof, &inputs).is_ok()
    }
}

/// The `groth16` crate's own proof decoder: compressed points, subgroup-checked, no identity.
pub fn decode_proof(bytes: &[u8]) -> Option<Proof<Bls12>> {
    if bytes.len() != 2 * G1 + G2 {
        return None;
    }
    Proof::<Bls12>::read(bytes).ok()
}

/// A canonical scalar from 32 big-endian bytes (`bls12_381` reads little-endian).
pub fn scalar(bytes: &[u8; 32]) -> Option<Scalar> {
    let mut le = *bytes;
    le.reverse();
    Option::from(Scalar::from_bytes(&le))
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if rest.len() < n {
        return Err(format!(
            "key truncated: needed {n} bytes, {} remain",
            rest.len()
        ));
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

fn g1(bytes: &[u8], name: &str) -> Result<G1Affine, String> {
    let bytes: &[u8; G1] = bytes.try_into().unwrap();
    Option::from(G1Affine::from_compressed(bytes)).ok_or_else(|| format!("{name} is not in G1"))
}

fn g2(bytes: &[u8], name: &str) -> Result<G2Affine, String> {
    let bytes: &[u8; G2] = bytes.try_into().unwrap();
    Option::from(G2Affine::from_compressed(bytes)).ok_or_else(|| format!("{name} is not in G2"))
}
