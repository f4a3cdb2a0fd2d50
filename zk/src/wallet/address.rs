//! Shielded addresses: what a payer needs to pay a wallet, and the key that finds its notes.
//!
//! An address is two public keys, both derived from the [`SpendingKey`]:
//!
//! - the **owner key** `H_owner(sk)` ([`SpendingKey::owner`]), which goes into every note paid
//!   to the address and which only `sk` can spend;
//! - an **encryption key**, the X25519 public key of the secret
//!   `SHA-256("VNT zk v1: note encryption secret" || sk)`, to which the payer encrypts the
//!   note's contents so that the recipient, and only the recipient, can find the note on chain.
//!
//! The secret half of the second key, with the owner key, is the [`IncomingViewingKey`]: it
//! finds and reads incoming notes but cannot spend them (spending needs `sk`) nor tell whether
//! they are spent (nullifiers need the nullifier key).
//!
//! As text, an address is Bech32m with the prefix [`ADDRESS_PREFIX`] over the 64 bytes
//! `owner (32, big-endian) || encryption key (32)`, e.g. `vntzk1…` (115 characters).

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};

use super::bech32m::{self, Bech32Error};
use crate::Fr;
use crate::note::SpendingKey;
use crate::verify::{field_from_bytes, field_to_bytes};

/// The human-readable prefix of a shielded address (`vntzk1…` in text).
pub const ADDRESS_PREFIX: &str = "vntzk";

/// Bytes of an address's payload: the owner key and the encryption key.
pub const ADDRESS_BYTES: usize = 64;

/// Domain of the encryption secret's derivation, so it never equals another hash of `sk`.
const ENCRYPTION_SECRET_DOMAIN: &[u8] = b"VNT zk v1: note encryption secret";

/// Where notes are paid: an owner key and a note-encryption key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShieldedAddress {
    /// The owner key notes to this address carry.
    pub owner: Fr,
    /// The X25519 key notes to this address are encrypted to.
    pub encryption_key: PublicKey,
}

/// Why a text is not a shielded address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// A public `0x…` account was given where a shielded address is expected.
    #[error(
        "`{0}` is a public account address; a shielded address starts with `{ADDRESS_PREFIX}1` (see `vnt zk address`)"
    )]
    PublicAddress(String),
    /// The text is not Bech32m.
    #[error("not a shielded address: {0}")]
    Encoding(#[from] Bech32Error),
    /// Bech32m with another prefix.
    #[error("a shielded address starts with `{ADDRESS_PREFIX}1`, this text with `{0}1`")]
    WrongPrefix(String),
    /// The payload is not 64 bytes.
    #[error("a shielded address holds {ADDRESS_BYTES} bytes, this one {0} (is it cut short?)")]
    Length(usize),
    /// The owner key is not below the field modulus, so no spending key has it.
    #[error("the address's owner key is not a canonical field element: no wallet can own it")]
    NonCanonicalOwner,
}

impl ShieldedAddress {
    /// The address of `sk`.
    pub fn of(sk: &SpendingKey) -> Self {
        IncomingViewingKey::new(sk).address()
    }

    /// The 64-byte payload: owner key, then encryption key.
    pub fn to_bytes(&self) -> [u8; ADDRESS_BYTES] {
        let mut out = [0u8; ADDRESS_BYTES];
        out[..32].copy_from_slice(&field_to_bytes(self.owner));
        out[32..].copy_from_slice(self.encryption_key.as_bytes());
        out
    }

    /// Reads the payload [`ShieldedAddress::to_bytes`] writes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AddressError> {
        let bytes: &[u8; ADDRESS_BYTES] = bytes
            .try_into()
            .map_err(|_| AddressError::Length(bytes.len()))?;
        let owner = field_from_bytes(bytes[..32].try_into().expect("32 bytes"))
            .ok_or(AddressError::NonCanonicalOwner)?;
        let key: [u8; 32] = bytes[32..].try_into().expect("32 bytes");
        Ok(Self {
            owner,
            encryption_key: PublicKey::from(key),
        })
    }
}

impl fmt::Display for ShieldedAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bech32m::encode(ADDRESS_PREFIX, &self.to_bytes()))
    }
}

impl FromStr for ShieldedAddress {
    type Err = AddressError;

    fn from_str(text: &str) -> Result<Self, AddressError> {
        if text.starts_with("0x") || text.starts_with("0X") {
            return Err(AddressError::PublicAddress(text.to_string()));
        }
        let (prefix, bytes) = bech32m::decode(text)?;
        if prefix != ADDRESS_PREFIX {
            return Err(AddressError::WrongPrefix(prefix));
        }
        Self::from_bytes(&bytes)
    }
}

/// Finds and reads the notes paid to one address; cannot spend them.
#[derive(Clone)]
pub struct IncomingViewingKey {
    pub(super) owner: Fr,
    pub(super) secret: StaticSecret,
}

impl fmt::Debug for IncomingViewingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret, even in a debug dump.
        f.debug_struct("IncomingViewingKey")
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl IncomingViewingKey {
    /// The viewing key of `sk`.
    pub fn new(sk: &SpendingKey) -> Self {
        let mut hash = Sha256::new();
        hash.update(ENCRYPTION_SECRET_DOMAIN);
        hash.update(field_to_bytes(sk.0));
        let secret: [u8; 32] = hash.finalize().into();
        Self {
            owner: sk.owner(),
            // X25519 clamps the scalar when it uses it, so any 32 bytes are a valid secret.
            secret: StaticSecret::from(secret),
        }
    }

    /// The owner key of the notes this key finds.
    pub fn owner(&self) -> Fr {
        self.owner
    }

    /// The address notes are paid to.
    pub fn address(&self) -> ShieldedAddress {
        ShieldedAddress {
            owner: self.owner,
            encryption_key: PublicKey::from(&self.secret),
        }
    }
}

/// An account address as the field element the spend circuit's `recipient` input holds: the
/// 20 bytes as a big-endian integer (below 2^160, so always canonical).
pub fn recipient_field(address: &[u8; 20]) -> Fr {
    let mut bytes = [0u8; 32];
    bytes[12..].copy_from_slice(address);
    field_from_bytes(&bytes).expect("an integer below 2^160 is below the modulus")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{BigInteger, Field, PrimeField};
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    fn address(seed: u64) -> ShieldedAddress {
        ShieldedAddress::of(&SpendingKey::random(&mut StdRng::seed_from_u64(seed)))
    }

    #[test]
    fn an_address_round_trips_through_text() {
        let a = address(1);
        let text = a.to_string();
        assert!(text.starts_with("vntzk1"), "{text}");
        assert_eq!(text.len(), 115);
        assert_eq!(text.parse::<ShieldedAddress>(), Ok(a));
        // Bech32m is case-insensitive as a whole, e.g. for QR codes.
        assert_eq!(text.to_ascii_uppercase().parse::<ShieldedAddress>(), Ok(a));
    }

    #[test]
    fn distinct_keys_have_distinct_owner_and_encryption_keys() {
        let (a, b) = (address(2), address(3));
        assert_ne!(a.owner, b.owner);
        assert_ne!(a.encryption_key, b.encryption_key);
        assert_eq!(address(2), a, "derivation is deterministic");
    }

    #[test]
    fn a_mistyped_address_is_refused_by_its_checksum() {
        let text = address(4).to_string();
        let mut chars: Vec<char> = text.chars().collect();
        chars[40] = if chars[40] == 'q' { 'p' } else { 'q' };
        let typo: String = chars.into_iter().collect();
        assert_eq!(
            typo.parse::<ShieldedAddress>(),
            Err(AddressError::Encoding(Bech32Error::Checksum))
        );
        let cut = &text[..text.len() - 1];
        assert!(matches!(
            cut.parse::<ShieldedAddress>(),
            Err(AddressError::Encoding(_))
        ));
    }

    #[test]
    fn other_prefixes_lengths_and_public_addresses_are_refused() {
        let bytes = address(5).to_bytes();
        let other = bech32m::encode("vntx", &bytes);
        assert_eq!(
            other.parse::<ShieldedAddress>(),
            Err(AddressError::WrongPrefix("vntx".into()))
        );
        let short = bech32m::encode(ADDRESS_PREFIX, &bytes[..63]);
        assert_eq!(
            short.parse::<ShieldedAddress>(),
            Err(AddressError::Length(63))
        );
        let public = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
        let err = public.parse::<ShieldedAddress>().unwrap_err();
        assert_eq!(err, AddressError::PublicAddress(public.into()));
        assert!(err.to_string().contains("starts with `vntzk1`"), "{err}");
        assert!(matches!(
            "".parse::<ShieldedAddress>(),
            Err(AddressError::Encoding(Bech32Error::MissingSeparator))
        ));
    }

    #[test]
    fn an_owner_key_at_or_above_the_modulus_is_refused() {
        let mut bytes = address(6).to_bytes();
        let modulus = Fr::MODULUS.to_bytes_be();
        bytes[..32].copy_from_slice(&modulus);
        let text = bech32m::encode(ADDRESS_PREFIX, &bytes);
        assert_eq!(
            text.parse::<ShieldedAddress>(),
            Err(AddressError::NonCanonicalOwner)
        );
    }

    #[test]
    fn recipient_field_is_the_address_as_an_integer() {
        let mut address = [0u8; 20];
        address[19] = 0x2a;
        address[0] = 1;
        let expected = Fr::from(0x2au64) + Fr::from(2u64).pow([152]);
        assert_eq!(recipient_field(&address), expected);
        assert_eq!(
            recipient_field(&[0xff; 20]),
            Fr::from(2u64).pow([160]) - Fr::from(1u64)
        );
    }
}
