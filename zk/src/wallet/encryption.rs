//! Note encryption: how a payer tells the recipient, and only the recipient, what it was paid.
//!
//! A note's commitment hides its value and randomness, so the recipient cannot spend (or even
//! see) a note without its opening `(value, rho, r)`. The payer sends the opening through the
//! chain itself, beside the commitment in the pool's `NoteCommitted` log:
//!
//! ```text
//! esk              fresh X25519 secret, one per note
//! epk            = X25519(esk, base point)
//! shared         = X25519(esk, recipient's encryption key)
//! key            = SHA-256("VNT zk v1: note encryption key" || shared || epk || recipient key)
//! ciphertext     = epk || ChaCha20-Poly1305(key, nonce 0, 0x01 || value (8, BE) || rho || r)
//! ```
//!
//! 121 bytes, under the pool's 256-byte limit. The key is used once, so the fixed nonce never
//! repeats under it. The recipient computes the same `shared` from its secret and `epk`, and
//! accepts the note only if the tag authenticates *and* the commitment recomputed from the
//! opening and its own owner key equals the logged one: a ciphertext that decrypts but opens
//! another commitment (a payer lying about the value) is refused. Everyone else fails the
//! tag, which is how a wallet scanning the chain tells its notes from the rest.
//!
//! Every output is encrypted, zero-value change included (to the sender), so ciphertexts are
//! all alike: 121 bytes of what looks like noise.

use ark_std::rand::{CryptoRng, RngCore};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};
use x25519_dalek::{EphemeralSecret, PublicKey};

use super::address::{IncomingViewingKey, ShieldedAddress};
use crate::Fr;
use crate::note::Note;
use crate::verify::{field_from_bytes, field_to_bytes};

/// The plaintext format's version byte.
const VERSION: u8 = 1;
/// Plaintext: version, value, rho, r.
const PLAINTEXT_BYTES: usize = 1 + 8 + 32 + 32;
/// Poly1305's tag.
const TAG_BYTES: usize = 16;
/// Length of every note ciphertext: ephemeral key, sealed plaintext, tag.
pub const NOTE_CIPHERTEXT_BYTES: usize = 32 + PLAINTEXT_BYTES + TAG_BYTES;

// The pool refuses ciphertexts over 256 bytes.
const _: () = assert!(NOTE_CIPHERTEXT_BYTES <= 256);

/// Domain of the symmetric key's derivation.
const KEY_DOMAIN: &[u8] = b"VNT zk v1: note encryption key";

/// Why a note could not be encrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncryptError {
    /// The note is not paid to the address it is encrypted to.
    #[error("the note's owner key is not the address's: it would be unspendable by the reader")]
    OwnerMismatch,
    /// The address's encryption key is a low-order point: the shared secret would be public.
    #[error("the address's encryption key is a low-order point; no wallet produces such a key")]
    LowOrderKey,
}

/// Why a ciphertext does not give a note to this key. For a scanning wallet every variant
/// means "not mine"; they differ for diagnosis and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// Not [`NOTE_CIPHERTEXT_BYTES`] long.
    #[error("a note ciphertext is {NOTE_CIPHERTEXT_BYTES} bytes, this one {0}")]
    Length(usize),
    /// The ephemeral key is a low-order point.
    #[error("the ciphertext's ephemeral key is a low-order point")]
    LowOrderKey,
    /// The tag does not authenticate: encrypted to another key, or altered.
    #[error("the ciphertext is not for this key (or was altered)")]
    NotForThisKey,
    /// An unknown plaintext version.
    #[error("unknown note plaintext version {0}")]
    Version(u8),
    /// `rho` or `r` is not a canonical field element.
    #[error("the note's randomness is not canonical")]
    NonCanonical,
    /// The opening does not open the logged commitment.
    #[error("the decrypted note does not open the logged commitment")]
    CommitmentMismatch,
}

fn symmetric_key(shared: &[u8; 32], epk: &PublicKey, recipient: &PublicKey) -> ChaCha20Poly1305 {
    let mut hash = Sha256::new();
    hash.update(KEY_DOMAIN);
    hash.update(shared);
    hash.update(epk.as_bytes());
    hash.update(recipient.as_bytes());
    let key: [u8; 32] = hash.finalize().into();
    ChaCha20Poly1305::new(&Key::from(key))
}

/// Encrypts `note`'s opening to `to`, which the note must be paid to.
pub fn encrypt_note<R: RngCore + CryptoRng>(
    note: &Note,
    to: &ShieldedAddress,
    rng: &mut R,
) -> Result<Vec<u8>, EncryptError> {
    if note.owner != to.owner {
        return Err(EncryptError::OwnerMismatch);
    }
    let esk = EphemeralSecret::random_from_rng(&mut *rng);
    let epk = PublicKey::from(&esk);
    let shared = esk.diffie_hellman(&to.encryption_key);
    if !shared.was_contributory() {
        return Err(EncryptError::LowOrderKey);
    }
    let mut plaintext = Vec::with_capacity(PLAINTEXT_BYTES);
    plaintext.push(VERSION);
    plaintext.extend(note.value.to_be_bytes());
    plaintext.extend(field_to_bytes(note.rho));
    plaintext.extend(field_to_bytes(note.r));
    let sealed = symmetric_key(shared.as_bytes(), &epk, &to.encryption_key)
        .encrypt(&Nonce::default(), plaintext.as_slice())
        .expect("ChaCha20-Poly1305 encrypts any message under 256 GiB");
    let mut out = Vec::with_capacity(NOTE_CIPHERTEXT_BYTES);
    out.extend(epk.as_bytes());
    out.extend(sealed);
    Ok(out)
}

impl IncomingViewingKey {
    /// The note in `ciphertext` if it was paid to this key and opens `commitment`.
    pub fn decrypt_note(&self, ciphertext: &[u8], commitment: Fr) -> Result<Note, DecryptError> {
        if ciphertext.len() != NOTE_CIPHERTEXT_BYTES {
            return Err(DecryptError::Length(ciphertext.len()));
        }
        let epk: [u8; 32] = ciphertext[..32].try_into().expect("32 bytes");
        let epk = PublicKey::from(epk);
        let shared = self.secret.diffie_hellman(&epk);
        if !shared.was_contributory() {
            return Err(DecryptError::LowOrderKey);
        }
        let own_key = PublicKey::from(&self.secret);
        let plaintext = symmetric_key(shared.as_bytes(), &epk, &own_key)
            .decrypt(&Nonce::default(), &ciphertext[32..])
            .map_err(|_| DecryptError::NotForThisKey)?;
        // The tag authenticated, so the length is the one encrypted; a sender running other
        // software may still have sealed something else.
        if plaintext.len() != PLAINTEXT_BYTES {
            return Err(DecryptError::Length(ciphertext.len()));
        }
        if plaintext[0] != VERSION {
            return Err(DecryptError::Version(plaintext[0]));
        }
        let value = u64::from_be_bytes(plaintext[1..9].try_into().expect("8 bytes"));
        let field = |bytes: &[u8]| {
            field_from_bytes(bytes.try_into().expect("32 bytes")).ok_or(DecryptError::NonCanonical)
        };
        let note = Note {
            value,
            owner: self.owner,
            rho: field(&plaintext[9..41])?,
            r: field(&plaintext[41..73])?,
        };
        if note.commitment() != commitment {
            return Err(DecryptError::CommitmentMismatch);
        }
        Ok(note)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::SpendingKey;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    fn setup(seed: u64) -> (StdRng, IncomingViewingKey, Note) {
        let mut rng = StdRng::seed_from_u64(seed);
        let ivk = IncomingViewingKey::new(&SpendingKey::random(&mut rng));
        let note = Note::new(1_500_000_000, ivk.owner(), &mut rng);
        (rng, ivk, note)
    }

    #[test]
    fn the_recipient_decrypts_its_note() {
        let (mut rng, ivk, note) = setup(1);
        let ciphertext = encrypt_note(&note, &ivk.address(), &mut rng).unwrap();
        assert_eq!(ciphertext.len(), NOTE_CIPHERTEXT_BYTES);
        assert_eq!(ivk.decrypt_note(&ciphertext, note.commitment()), Ok(note));
    }

    #[test]
    fn another_key_fails_authentication() {
        let (mut rng, ivk, note) = setup(2);
        let ciphertext = encrypt_note(&note, &ivk.address(), &mut rng).unwrap();
        let other = IncomingViewingKey::new(&SpendingKey::random(&mut rng));
        assert_eq!(
            other.decrypt_note(&ciphertext, note.commitment()),
            Err(DecryptError::NotForThisKey)
        );
    }

    #[test]
    fn any_changed_byte_fails_authentication() {
        let (mut rng, ivk, note) = setup(3);
        let ciphertext = encrypt_note(&note, &ivk.address(), &mut rng).unwrap();
        for at in 0..ciphertext.len() {
            let mut altered = ciphertext.clone();
            altered[at] ^= 0x01;
            let result = ivk.decrypt_note(&altered, note.commitment());
            // Flipping the ephemeral key's top bit leaves the same point (X25519 ignores it),
            // but the key derivation hashes the bytes as sent, so the tag still fails.
            assert!(
                matches!(
                    result,
                    Err(DecryptError::NotForThisKey | DecryptError::LowOrderKey)
                ),
                "byte {at}: {result:?}"
            );
        }
    }

    #[test]
    fn a_ciphertext_that_opens_another_commitment_is_refused() {
        let (mut rng, ivk, note) = setup(4);
        let ciphertext = encrypt_note(&note, &ivk.address(), &mut rng).unwrap();
        // An honest ciphertext beside a commitment to a different note: a payer claiming a
        // value the commitment does not hold.
        let bigger = Note {
            value: note.value + 1,
            ..note
        };
        assert_eq!(
            ivk.decrypt_note(&ciphertext, bigger.commitment()),
            Err(DecryptError::CommitmentMismatch)
        );
    }

    #[test]
    fn wrong_lengths_and_low_order_keys_are_refused() {
        let (mut rng, ivk, note) = setup(5);
        let ciphertext = encrypt_note(&note, &ivk.address(), &mut rng).unwrap();
        let cm = note.commitment();
        assert_eq!(
            ivk.decrypt_note(&ciphertext[1..], cm),
            Err(DecryptError::Length(NOTE_CIPHERTEXT_BYTES - 1))
        );
        assert_eq!(ivk.decrypt_note(&[], cm), Err(DecryptError::Length(0)));
        // u = 0 is the point of order 2 (and the identity's image): a shared secret of zero.
        let mut low = ciphertext.clone();
        low[..32].fill(0);
        assert_eq!(ivk.decrypt_note(&low, cm), Err(DecryptError::LowOrderKey));
        let mut to = ivk.address();
        to.encryption_key = PublicKey::from([0u8; 32]);
        assert_eq!(
            encrypt_note(&note, &to, &mut rng),
            Err(EncryptError::LowOrderKey)
        );
    }

    #[test]
    fn a_note_is_only_encrypted_to_its_owner() {
        let (mut rng, _, note) = setup(6);
        let stranger = ShieldedAddress::of(&SpendingKey::random(&mut rng));
        assert_eq!(
            encrypt_note(&note, &stranger, &mut rng),
            Err(EncryptError::OwnerMismatch)
        );
    }

    #[test]
    fn encrypting_one_note_twice_gives_unrelated_ciphertexts() {
        let (mut rng, ivk, note) = setup(7);
        let a = encrypt_note(&note, &ivk.address(), &mut rng).unwrap();
        let b = encrypt_note(&note, &ivk.address(), &mut rng).unwrap();
        // Fresh ephemeral keys: nothing links two payments of equal notes.
        assert_ne!(a[..32], b[..32]);
        assert_ne!(a[32..], b[32..]);
        assert_eq!(ivk.decrypt_note(&b, note.commitment()), Ok(note));
    }
}
