//! Groth16 parameters for the spend circuit: generating, storing and loading them.
//!
//! A single-party setup knows the "toxic waste" (the random trapdoors the keys are built
//! from); whoever keeps it can forge proofs and mint shielded value. Every key made here is
//! therefore *unsafe* for a network that holds real value; `docs/zk.md` describes the
//! multi-party ceremony that replaces it. [`dev_keys`] go one step further and derive the
//! trapdoors from a published seed, so every developer (and the dev chain's pinned verifying
//! key) gets the same keys without shipping a proving key of several megabytes.

use std::path::Path;

use ark_bls12_381::Bls12_381;
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use ark_std::rand::{CryptoRng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::circuit::SpendCircuit;
use crate::testing;
use crate::verify::SpendProof;

/// The seed of the dev keys. Public on purpose: anyone can forge proofs under these keys.
pub const DEV_SEED: [u8; 32] = *b"vnt dev keys: UNSAFE, seed known";

/// The verifying key of [`dev_keys`], as `spend.vk` holds it: committed so that a dev chain
/// knows it without running a setup. A test checks it against a fresh derivation; after a
/// circuit change, `VNT_BLESS_DEV_KEY=1 cargo test -p vnt-zk --lib dev_verifying_key`
/// rewrites it.
pub const DEV_VERIFYING_KEY: &[u8] = include_bytes!("keys/dev-spend.vk");

/// File name of the proving key in a key directory.
pub const PROVING_KEY_FILE: &str = "spend.pk";
/// File name of the verifying key in a key directory.
pub const VERIFYING_KEY_FILE: &str = "spend.vk";

/// The spend circuit's proving key (which contains the verifying key).
#[derive(Clone, Debug)]
pub struct SpendKeys {
    /// What a prover needs.
    pub proving: ProvingKey<Bls12_381>,
}

/// Why keys could not be made, written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing a key file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A key file does not decode.
    #[error("{path} is not a spend-circuit key: {reason}")]
    Decode {
        /// The file.
        path: String,
        /// The decoder's complaint.
        reason: String,
    },
    /// Proving failed (the witness does not satisfy the circuit).
    #[error("proving failed: {0}")]
    Prove(String),
}

impl SpendKeys {
    /// A fresh single-party setup drawing its trapdoors from `rng`.
    pub fn setup<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        // The circuit's shape does not depend on the witness, so any instance will do.
        let shape = testing::shield(&mut ChaCha20Rng::from_seed([0; 32]));
        let (proving, _) = Groth16::<Bls12_381>::circuit_specific_setup(shape, rng)
            .expect("the spend circuit synthesizes");
        Self { proving }
    }

    /// The verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey<Bls12_381> {
        &self.proving.vk
    }

    /// Proves `circuit`.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        circuit: SpendCircuit,
        rng: &mut R,
    ) -> Result<SpendProof, KeyError> {
        Groth16::<Bls12_381>::prove(&self.proving, circuit, rng)
            .map(SpendProof)
            .map_err(|e| KeyError::Prove(e.to_string()))
    }

    /// Writes `spend.pk` and `spend.vk` into `dir` (created if missing).
    pub fn write(&self, dir: &Path) -> Result<(), KeyError> {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let mut pk = Vec::new();
        self.proving
            .serialize_uncompressed(&mut pk)
            .expect("serializing into a Vec cannot fail");
        let pk_path = dir.join(PROVING_KEY_FILE);
        std::fs::write(&pk_path, pk).map_err(|e| io(&pk_path, e))?;
        let vk_path = dir.join(VERIFYING_KEY_FILE);
        std::fs::write(&vk_path, verifying_key_bytes(self.verifying_key()))
            .map_err(|e| io(&vk_path, e))
    }

    /// Reads the proving key written by [`SpendKeys::write`].
    pub fn read(dir: &Path) -> Result<Self, KeyError> {
        let path = dir.join(PROVING_KEY_FILE);
        let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
        // The file is the operator's own output, so point checks (seconds for a key this
        // size) are skipped; a corrupted key only yields proofs that fail to verify.
        let proving = ProvingKey::deserialize_uncompressed_unchecked(&bytes[..]).map_err(|e| {
            KeyError::Decode {
                path: path.display().to_string(),
                reason: e.to_string(),
            }
        })?;
        Ok(Self { proving })
    }
}

/// The compressed encoding of a verifying key, as `spend.vk` holds it.
pub fn verifying_key_bytes(key: &VerifyingKey<Bls12_381>) -> Vec<u8> {
    let mut bytes = Vec::new();
    key.serialize_compressed(&mut bytes)
        .expect("serializing into a Vec cannot fail");
    bytes
}

/// The dev keys: a setup whose trapdoors come from [`DEV_SEED`]. UNSAFE for any value.
pub fn dev_keys() -> SpendKeys {
    SpendKeys::setup(&mut ChaCha20Rng::from_seed(DEV_SEED))
}

fn io(path: &Path, source: std::io::Error) -> KeyError {
    KeyError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::SpendVerifier;

    #[test]
    fn dev_verifying_key_matches_a_fresh_derivation() {
        let derived = verifying_key_bytes(dev_keys().verifying_key());
        if std::env::var_os("VNT_BLESS_DEV_KEY").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/keys/dev-spend.vk");
            std::fs::write(path, &derived).unwrap();
        }
        assert!(
            derived == DEV_VERIFYING_KEY,
            "the committed dev verifying key is stale: the circuit changed (see DEV_VERIFYING_KEY)"
        );
        assert!(SpendVerifier::from_bytes(DEV_VERIFYING_KEY).is_ok());
    }

    #[test]
    fn keys_survive_a_round_trip_through_files() {
        let dir = std::env::temp_dir().join(format!("vnt-zk-keys-{}", std::process::id()));
        let keys = SpendKeys::setup(&mut ChaCha20Rng::from_seed([7; 32]));
        keys.write(&dir).unwrap();
        let read = SpendKeys::read(&dir).unwrap();
        assert_eq!(read.verifying_key(), keys.verifying_key());
        let vk = std::fs::read(dir.join(VERIFYING_KEY_FILE)).unwrap();
        assert_eq!(vk, verifying_key_bytes(keys.verifying_key()));
        std::fs::remove_dir_all(&dir).unwrap();
        let missing = SpendKeys::read(&dir).unwrap_err();
        assert!(missing.to_string().contains("spend.pk"), "{missing}");
    }
}
