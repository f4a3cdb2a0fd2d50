//! The wallet's cryptography: shielded addresses, note encryption and building spends.
//!
//! Pure functions over keys and notes, no I/O: a client (the `vnt zk` commands, or any other)
//! scans the pool's `NoteCommitted` logs, hands each `(position, commitment, ciphertext)` to
//! [`IncomingViewingKey::decrypt_note`], keeps what decrypts, rebuilds the
//! [`crate::tree::NoteTree`] from all commitments, and asks [`spend::spend`] for a circuit to
//! prove.
//!
//! Start at [`ShieldedAddress`] (what a payer needs), then [`encryption`] (how a note reaches
//! its recipient), then [`spend`] (how notes are chosen and outputs made).

mod address;
mod bech32m;
pub mod encryption;
pub mod prover;
pub mod spend;

pub use address::{
    ADDRESS_BYTES, ADDRESS_PREFIX, AddressError, IncomingViewingKey, ShieldedAddress,
    recipient_field,
};
pub use bech32m::Bech32Error;
pub use encryption::{DecryptError, EncryptError, NOTE_CIPHERTEXT_BYTES, encrypt_note};
pub use spend::{
    OwnedNote, Payment, PreparedSpend, Submission, WalletError, select_notes, shield, spend,
};

#[cfg(test)]
mod tests;
