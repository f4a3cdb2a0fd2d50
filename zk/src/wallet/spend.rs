//! Building spends: from a wallet's notes and a payment to a circuit ready to prove and the
//! ciphertexts that go with it. Pure: the caller scans the chain and proves.
//!
//! Three kinds of payment share the one circuit:
//!
//! - **shield** `v`: dummy inputs; outputs `v` and `0` to the wallet itself; `public_in = v`;
//! - **transfer** `v` to an address, fee `f`: one or two notes covering `v + f`; outputs `v`
//!   to the recipient and the change to the wallet;
//! - **unshield** `v` to an account, fee `f`: one or two notes covering `v + f`; outputs the
//!   change and `0` to the wallet; `public_out = v`, `recipient` the account.
//!
//! Every spend is bound to the account that will submit it (`submitter`, paid the fee) and
//! to its ciphertexts, through the circuit's external data: the outputs are encrypted
//! before the statement is built, and only that account can submit the proof.
//!
//! A spend with one real input fills the other slot with a zero-value dummy owned by the
//! wallet (its nullifier is random, so it never collides). The two outputs are put in random
//! order and both are encrypted, so neither their position nor their ciphertext tells the
//! payment from the change.

use ark_ff::UniformRand;
use ark_std::rand::{CryptoRng, Rng, RngCore};

use super::address::{IncomingViewingKey, ShieldedAddress};
use super::encryption::{EncryptError, encrypt_note};
use crate::Fr;
use crate::circuit::{INPUTS, SpendCircuit, SpendError, SpendInput, external_data_hash};
use crate::note::{Note, SpendingKey};
use crate::tree::NoteTree;

/// A note this wallet can spend, at its position in the note tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnedNote {
    /// The note.
    pub note: Note,
    /// Its leaf position.
    pub position: u64,
}

impl OwnedNote {
    /// The nullifier spending this note publishes.
    pub fn nullifier(&self, sk: &SpendingKey) -> Fr {
        self.note.nullifier(sk.nullifier_key(), self.position)
    }
}

/// What a spend pays, besides change to the wallet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payment {
    /// A private transfer of `amount` to `to`.
    Transfer {
        /// The recipient.
        to: ShieldedAddress,
        /// Pool units paid.
        amount: u64,
        /// Pool units paid to the submitter.
        fee: u64,
    },
    /// `amount` out of the pool to the public account `recipient` (see
    /// [`super::recipient_field`]).
    Unshield {
        /// The account, as a field element.
        recipient: Fr,
        /// Pool units paid out.
        amount: u64,
        /// Pool units paid to the submitter.
        fee: u64,
    },
}

/// A spend ready to prove and submit.
#[derive(Clone, Debug)]
pub struct PreparedSpend {
    /// The statement and its witness.
    pub circuit: SpendCircuit,
    /// One ciphertext per output, in the order of the circuit's commitments.
    pub encrypted_notes: [Vec<u8>; 2],
    /// The wallet's notes this spend consumes.
    pub spent: Vec<OwnedNote>,
    /// Pool units returned to the wallet as change.
    pub change: u64,
}

/// Why a spend cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// An amount of zero.
    #[error("the amount must be above zero")]
    ZeroAmount,
    /// Amount and fee overflow the 64-bit value range.
    #[error("amount plus fee exceeds the largest value a note can hold")]
    Overflow,
    /// No spendable note at all.
    #[error("this wallet has no spendable notes")]
    NoNotes,
    /// The notes together hold less than needed.
    #[error(
        "not enough shielded value: {needed} units needed (amount and fee), {available} available"
    )]
    Insufficient {
        /// Amount plus fee.
        needed: u64,
        /// Sum of the spendable notes.
        available: u128,
    },
    /// The notes hold enough, but no two of them do.
    #[error(
        "no two notes cover {needed} units (a spend takes at most two; the largest two hold {largest_two}): send part to your own address first to merge notes"
    )]
    Fragmented {
        /// Amount plus fee.
        needed: u64,
        /// The two largest notes' sum.
        largest_two: u128,
    },
    /// A chosen note is not in the tree the spend is built against.
    #[error("the note at position {0} is not in the note tree")]
    NotInTree(u64),
    /// The circuit's native checks refused the spend.
    #[error(transparent)]
    Spend(#[from] SpendError),
    /// An output could not be encrypted.
    #[error(transparent)]
    Encrypt(#[from] EncryptError),
}

/// Picks at most two notes covering `needed`: the smallest single note that does, otherwise
/// the pair with the smallest sum that does (so large notes are kept for large payments).
pub fn select_notes(notes: &[OwnedNote], needed: u64) -> Result<Vec<OwnedNote>, WalletError> {
    let mut spendable: Vec<OwnedNote> =
        notes.iter().filter(|n| n.note.value > 0).copied().collect();
    if spendable.is_empty() {
        return Err(WalletError::NoNotes);
    }
    let available: u128 = spendable.iter().map(|n| u128::from(n.note.value)).sum();
    if available < u128::from(needed) {
        return Err(WalletError::Insufficient { needed, available });
    }
    spendable.sort_by_key(|n| (n.note.value, n.position));
    if let Some(single) = spendable.iter().find(|n| n.note.value >= needed) {
        return Ok(vec![*single]);
    }
    let value = |n: &OwnedNote| u128::from(n.note.value);
    let mut best: Option<(u128, usize, usize)> = None;
    for i in 0..spendable.len() {
        for j in i + 1..spendable.len() {
            let sum = value(&spendable[i]) + value(&spendable[j]);
            if sum >= u128::from(needed) && best.is_none_or(|(b, _, _)| sum < b) {
                best = Some((sum, i, j));
            }
        }
    }
    match best {
        Some((_, i, j)) => Ok(vec![spendable[i], spendable[j]]),
        None => {
            let n = spendable.len();
            let largest_two = value(&spendable[n - 1]) + value(&spendable[n - 2]);
            Err(WalletError::Fragmented {
                needed,
                largest_two,
            })
        }
    }
}

fn dummy_input<R: Rng + ?Sized>(sk: SpendingKey, rng: &mut R) -> SpendInput {
    SpendInput::dummy(sk, Fr::rand(rng), Fr::rand(rng))
}

/// Encrypts both outputs and puts the pair in random order.
fn seal_outputs<R: RngCore + CryptoRng>(
    mut outputs: [(Note, ShieldedAddress); 2],
    rng: &mut R,
) -> Result<([Note; 2], [Vec<u8>; 2]), EncryptError> {
    if rng.r#gen::<bool>() {
        outputs.swap(0, 1);
    }
    let [(a, to_a), (b, to_b)] = outputs;
    let sealed = [encrypt_note(&a, &to_a, rng)?, encrypt_note(&b, &to_b, rng)?];
    Ok(([a, b], sealed))
}

/// The pool and account a spend is made for: the proof is valid only on `chain_id`'s pool
/// and only when `submitter` sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submission {
    /// The chain whose pool is spent from.
    pub chain_id: u64,
    /// The account that sends the transaction and is paid the fee.
    pub submitter: [u8; 20],
}

impl Submission {
    fn external_data(&self, encrypted_notes: &[Vec<u8>; 2]) -> Fr {
        external_data_hash(&self.submitter, [&encrypted_notes[0], &encrypted_notes[1]])
    }
}

/// A shield of `amount` pool units into `sk`'s own address, against any root the pool knows.
pub fn shield<R: RngCore + CryptoRng>(
    sk: &SpendingKey,
    root: Fr,
    amount: u64,
    submission: &Submission,
    rng: &mut R,
) -> Result<PreparedSpend, WalletError> {
    if amount == 0 {
        return Err(WalletError::ZeroAmount);
    }
    let me = IncomingViewingKey::new(sk).address();
    let (outputs, encrypted_notes) = seal_outputs(
        [
            (Note::new(amount, me.owner, rng), me),
            (Note::new(0, me.owner, rng), me),
        ],
        rng,
    )?;
    let inputs = [dummy_input(*sk, rng), dummy_input(*sk, rng)];
    let circuit = SpendCircuit::new(
        root,
        inputs,
        outputs,
        amount,
        0,
        0,
        Fr::from(0u64),
        submission.chain_id,
        submission.external_data(&encrypted_notes),
    )?;
    Ok(PreparedSpend {
        circuit,
        encrypted_notes,
        spent: Vec::new(),
        change: 0,
    })
}

/// A transfer or unshield from `notes` (the wallet's unspent notes, all in `tree`).
pub fn spend<R: RngCore + CryptoRng>(
    sk: &SpendingKey,
    tree: &NoteTree,
    notes: &[OwnedNote],
    payment: &Payment,
    submission: &Submission,
    rng: &mut R,
) -> Result<PreparedSpend, WalletError> {
    let (amount, fee) = match *payment {
        Payment::Transfer { amount, fee, .. } | Payment::Unshield { amount, fee, .. } => {
            (amount, fee)
        }
    };
    if amount == 0 {
        return Err(WalletError::ZeroAmount);
    }
    let needed = amount.checked_add(fee).ok_or(WalletError::Overflow)?;
    let spent = select_notes(notes, needed)?;
    let total: u128 = spent.iter().map(|n| u128::from(n.note.value)).sum();
    // Two notes are chosen only when no single one covers `needed`, so the change is below
    // `needed` and fits; the check keeps that reasoning from becoming a panic.
    let change = u64::try_from(total - u128::from(needed)).map_err(|_| WalletError::Overflow)?;
    let mut inputs = Vec::with_capacity(INPUTS);
    for owned in &spent {
        let path = tree
            .path(owned.position)
            .ok_or(WalletError::NotInTree(owned.position))?;
        inputs.push(SpendInput {
            sk: *sk,
            note: owned.note,
            path,
        });
    }
    while inputs.len() < INPUTS {
        inputs.push(dummy_input(*sk, rng));
    }
    let inputs: [SpendInput; INPUTS] = inputs.try_into().expect("exactly two inputs");
    let me = IncomingViewingKey::new(sk).address();
    let change_note = (Note::new(change, me.owner, rng), me);
    let (outputs, public_out, recipient) = match *payment {
        Payment::Transfer { to, .. } => (
            [(Note::new(amount, to.owner, rng), to), change_note],
            0,
            Fr::from(0u64),
        ),
        Payment::Unshield { recipient, .. } => (
            [change_note, (Note::new(0, me.owner, rng), me)],
            amount,
            recipient,
        ),
    };
    let (outputs, encrypted_notes) = seal_outputs(outputs, rng)?;
    let circuit = SpendCircuit::new(
        tree.root(),
        inputs,
        outputs,
        0,
        public_out,
        fee,
        recipient,
        submission.chain_id,
        submission.external_data(&encrypted_notes),
    )?;
    Ok(PreparedSpend {
        circuit,
        encrypted_notes,
        spent,
        change,
    })
}
