//! Validator keys: the three keys a validator registers, and the proof that it holds the BLS one.
//!
//! - **Identity** (ed25519): names the validator on the network and orders the consensus
//!   participant set.
//! - **Voting key** (BLS12-381, MinSig: 96-byte public keys, 48-byte signatures): signs
//!   notarize, nullify and finalize votes, which aggregate into one signature per certificate.
//! - **VRF key** (sr25519, see [`crate::committee`]): evaluates the epoch randomness.
//!
//! Aggregating BLS signatures is only safe if nobody registered a key derived from other
//! members' keys (a rogue-key attack). Registration therefore carries a proof of possession:
//! the BLS key's signature over itself ([`ValidatorKeys::proof_of_possession`],
//! [`verify_proof_of_possession`]). Its namespace names the chain, so a registration made for
//! one network cannot be replayed on another.
//!
//! Nothing ties the identity key to the rest by itself: anyone could register someone else's
//! identity and take its place in the participant order. Registration therefore also
//! carries the identity key's ed25519 signature over the chain id, the registering account
//! and the BLS key ([`ValidatorKeys::identity_binding`], [`verify_identity_binding`]).
//!
//! [`ValidatorKeys::devnet`] derives all three keys from a published seed for local networks
//! and tests. Anyone can recompute those keys: never use them for anything of value.

use crate::committee::VrfKeypair;
use commonware_codec::{Copying, Encode, FixedSize, ReadExt};
use commonware_cryptography::bls12381::primitives::group::{Private, Scalar};
use commonware_cryptography::bls12381::primitives::ops;
use commonware_cryptography::bls12381::primitives::variant::{MinSig, Variant};
use commonware_cryptography::{Signer, ed25519};
use sha2::{Digest, Sha256};

/// A BLS public (voting) key: a G2 point, 96 bytes compressed.
pub type BlsPublicKey = <MinSig as Variant>::Public;
/// A BLS signature, as a proof of possession or a vote: a G1 point, 48 bytes compressed.
pub type BlsSignature = <MinSig as Variant>::Signature;

/// Length of an encoded [`BlsPublicKey`].
pub const BLS_PUBLIC_KEY_LEN: usize = <BlsPublicKey as FixedSize>::SIZE;
/// Length of an encoded proof of possession.
pub const POP_LEN: usize = <BlsSignature as FixedSize>::SIZE;

const DEVNET_TAG: &[u8] = b"vnt-vortex/devnet-key";

/// Why key material or a proof of possession was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// An encoded key or proof has the wrong length.
    #[error("{what} must be {expected} bytes, got {got}")]
    WrongLength {
        /// What was being decoded.
        what: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it had.
        got: usize,
    },
    /// The bytes have the right length but are not a valid point or scalar.
    #[error("{what} is not valid: {reason}")]
    Malformed {
        /// What was being decoded.
        what: &'static str,
        /// The decoder's reason.
        reason: String,
    },
    /// The identity key's signature does not bind it to this account and BLS key.
    #[error(
        "identity signature does not verify for this identity key, account, BLS key and chain \
         {chain_id} (made with another key, for another account, BLS key or chain, or altered)"
    )]
    IdentityBindingDoesNotVerify {
        /// The chain the signature was checked for.
        chain_id: u64,
    },
    /// The proof of possession is a valid signature, but not by this key on this chain.
    #[error(
        "proof of possession does not verify for this BLS key, account and chain {chain_id} \
         (made with another key, for another account or chain, or altered)"
    )]
    PopDoesNotVerify {
        /// The chain the proof was checked for.
        chain_id: u64,
    },
}

/// The namespace of the proof of possession `account` registers with on chain `chain_id`.
///
/// The account is part of it so that a proof cannot be lifted from someone else's
/// registration: copying a victim's BLS key and proof under another account would otherwise
/// pass, and a committee holding the key twice cannot aggregate votes.
pub fn pop_namespace(chain_id: u64, account: &[u8; 20]) -> Vec<u8> {
    let mut namespace = format!("VNT/{chain_id}/pop/").into_bytes();
    namespace.extend_from_slice(account);
    namespace
}

/// Namespace of the identity key's registration signature.
const IDENTITY_BINDING_NAMESPACE: &[u8] = b"VNT/identity-binding";

/// Length of an ed25519 signature, as registration carries it.
pub const IDENTITY_SIGNATURE_LEN: usize = <ed25519::Signature as FixedSize>::SIZE;

/// What the identity key signs at registration: `chain id (8 bytes, big-endian) ‖ account ‖
/// BLS public key`. The chain and the account stop the signature being replayed elsewhere;
/// the BLS key ties the identity to this voting key.
pub fn identity_binding_message(
    chain_id: u64,
    account: &[u8; 20],
    bls_public_key: &[u8],
) -> Vec<u8> {
    let mut message = Vec::with_capacity(8 + 20 + bls_public_key.len());
    message.extend_from_slice(&chain_id.to_be_bytes());
    message.extend_from_slice(account);
    message.extend_from_slice(bls_public_key);
    message
}

/// Checks that `signature` is `identity`'s signature binding it to `account` and
/// `bls_public_key` on `chain_id` ([`identity_binding_message`]).
pub fn verify_identity_binding(
    chain_id: u64,
    account: &[u8; 20],
    identity: &[u8],
    bls_public_key: &[u8],
    signature: &[u8],
) -> Result<ed25519::PublicKey, KeyError> {
    let key = decode_identity(identity)?;
    let signature: ed25519::Signature =
        decode_exact("identity signature", signature, IDENTITY_SIGNATURE_LEN)?;
    let message = identity_binding_message(chain_id, account, bls_public_key);
    if !commonware_cryptography::Verifier::verify(
        &key,
        IDENTITY_BINDING_NAMESPACE,
        &message,
        &signature,
    ) {
        return Err(KeyError::IdentityBindingDoesNotVerify { chain_id });
    }
    Ok(key)
}

/// Decodes a registered sr25519 VRF public key (a compressed Ristretto point), refusing the
/// identity point: it is the key of the zero secret, whose outputs anyone can compute.
pub fn decode_vrf_public_key(bytes: &[u8]) -> Result<schnorrkel::PublicKey, KeyError> {
    const WHAT: &str = "VRF public key";
    if bytes.len() != 32 {
        return Err(KeyError::WrongLength {
            what: WHAT,
            expected: 32,
            got: bytes.len(),
        });
    }
    if bytes.iter().all(|&b| b == 0) {
        return Err(KeyError::Malformed {
            what: WHAT,
            reason: "it is the identity point, the key of no secret".into(),
        });
    }
    schnorrkel::PublicKey::from_bytes(bytes).map_err(|error| KeyError::Malformed {
        what: WHAT,
        reason: error.to_string(),
    })
}

/// Decodes a registered BLS public key, checking it is a point of the right subgroup.
pub fn decode_bls_public_key(bytes: &[u8]) -> Result<BlsPublicKey, KeyError> {
    decode_exact("BLS public key", bytes, BLS_PUBLIC_KEY_LEN)
}

/// Decodes a proof of possession (a BLS signature).
pub fn decode_pop(bytes: &[u8]) -> Result<BlsSignature, KeyError> {
    decode_exact("proof of possession", bytes, POP_LEN)
}

/// Decodes an ed25519 identity key.
pub fn decode_identity(bytes: &[u8]) -> Result<ed25519::PublicKey, KeyError> {
    decode_exact(
        "identity key",
        bytes,
        <ed25519::PublicKey as FixedSize>::SIZE,
    )
}

fn decode_exact<T: ReadExt>(what: &'static str, bytes: &[u8], len: usize) -> Result<T, KeyError> {
    if bytes.len() != len {
        return Err(KeyError::WrongLength {
            what,
            expected: len,
            got: bytes.len(),
        });
    }
    T::read(&mut Copying(bytes)).map_err(|error| KeyError::Malformed {
        what,
        reason: error.to_string(),
    })
}

/// Checks registration bytes: `pop` must be `bls_public_key`'s proof of possession made for
/// `account` on `chain_id`.
pub fn verify_proof_of_possession(
    chain_id: u64,
    account: &[u8; 20],
    bls_public_key: &[u8],
    pop: &[u8],
) -> Result<BlsPublicKey, KeyError> {
    let key = decode_bls_public_key(bls_public_key)?;
    let signature = decode_pop(pop)?;
    let namespace = pop_namespace(chain_id, account);
    ops::verify_proof_of_possession::<MinSig>(&key, &namespace, &signature)
        .map_err(|_| KeyError::PopDoesNotVerify { chain_id })?;
    Ok(key)
}

/// What a validator publishes when it registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorPublicKeys {
    /// Network identity and participant-set order.
    pub identity: ed25519::PublicKey,
    /// Voting key.
    pub bls: BlsPublicKey,
    /// VRF key (sr25519).
    pub vrf: [u8; 32],
}

/// A validator's secret keys.
#[derive(Clone)]
pub struct ValidatorKeys {
    identity: ed25519::PrivateKey,
    bls: Private,
    vrf: VrfKeypair,
    vrf_seed: [u8; 32],
}

impl ValidatorKeys {
    /// Keys from their 32-byte secrets, as a key file stores them. The BLS secret must be a
    /// canonical, non-zero scalar.
    pub fn from_secrets(
        identity: [u8; 32],
        bls: [u8; 32],
        vrf: [u8; 32],
    ) -> Result<Self, KeyError> {
        let identity = decode_exact("identity secret", &identity, 32)?;
        let bls = decode_exact("BLS secret", &bls, 32)?;
        Ok(Self {
            identity,
            bls,
            vrf: VrfKeypair::from_seed(vrf),
            vrf_seed: vrf,
        })
    }

    /// Devnet keys of validator `index` under `seed`.
    ///
    /// **Unsafe for anything of value**: the keys follow from the seed and the index alone,
    /// so anyone who knows the seed (devnet seeds are published) holds every key.
    pub fn devnet(seed: u64, index: u32) -> Self {
        let secret = |purpose: &[u8]| -> [u8; 32] {
            let mut h = Sha256::new();
            h.update(DEVNET_TAG);
            h.update(purpose);
            h.update(seed.to_be_bytes());
            h.update(index.to_be_bytes());
            h.finalize().into()
        };
        let identity_secret = secret(b"identity");
        let vrf_seed = secret(b"vrf");
        // Hash-to-field gives a uniform scalar; zero would need a SHA-256 preimage of it.
        let bls = Private::new(Scalar::map(DEVNET_TAG, &secret(b"bls")));
        let identity = ed25519::PrivateKey::read(&mut Copying(&identity_secret))
            .expect("any 32 bytes are a key");
        Self {
            identity,
            bls,
            vrf: VrfKeypair::from_seed(vrf_seed),
            vrf_seed,
        }
    }

    /// The keys to register.
    pub fn public(&self) -> ValidatorPublicKeys {
        ValidatorPublicKeys {
            identity: self.identity.public_key(),
            bls: ops::compute_public::<MinSig>(&self.bls),
            vrf: self.vrf.public(),
        }
    }

    /// The proof of possession of the BLS key for `account`'s registration on `chain_id`.
    pub fn proof_of_possession(&self, chain_id: u64, account: &[u8; 20]) -> Vec<u8> {
        ops::sign_proof_of_possession::<MinSig>(&self.bls, &pop_namespace(chain_id, account))
            .encode()
            .to_vec()
    }

    /// The identity key's signature binding it to `account`'s registration of this BLS key
    /// on `chain_id` (checked by [`verify_identity_binding`]).
    pub fn identity_binding(&self, chain_id: u64, account: &[u8; 20]) -> Vec<u8> {
        let bls = self.public().bls.encode();
        let message = identity_binding_message(chain_id, account, &bls);
        self.identity
            .sign(IDENTITY_BINDING_NAMESPACE, &message)
            .encode()
            .to_vec()
    }

    /// The network identity key.
    pub fn identity(&self) -> &ed25519::PrivateKey {
        &self.identity
    }

    /// The voting key.
    pub fn bls(&self) -> &Private {
        &self.bls
    }

    /// The VRF key.
    pub fn vrf(&self) -> &VrfKeypair {
        &self.vrf
    }

    /// The VRF secret seed (what a key file stores).
    pub fn vrf_seed(&self) -> [u8; 32] {
        self.vrf_seed
    }
}

#[cfg(test)]
mod tests;
