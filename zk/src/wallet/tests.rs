//! Spends built from wallets, checked against the circuit (synthesis, no proving) and read
//! back by the keys they were meant for.

use super::*;
use crate::Fr;
use crate::circuit::SpendCircuit;
use crate::note::{Note, SpendingKey};
use crate::tree::NoteTree;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_std::rand::{SeedableRng, rngs::StdRng};

const AT: Submission = Submission {
    chain_id: 1337,
    submitter: [0x5b; 20],
};

fn satisfied(circuit: &SpendCircuit) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.clone().generate_constraints(cs.clone()).unwrap();
    cs.is_satisfied().unwrap()
}

/// Appends a spend's outputs to the tree as the pool would, and returns the notes in it
/// that `ivk` decrypts, as a scanning wallet finds them.
fn apply(
    tree: &mut NoteTree,
    prepared: &PreparedSpend,
    ivk: &IncomingViewingKey,
) -> Vec<OwnedNote> {
    let mut found = Vec::new();
    for (cm, ciphertext) in prepared
        .circuit
        .public
        .commitments
        .iter()
        .zip(&prepared.encrypted_notes)
    {
        let position = tree.append(*cm).unwrap();
        if let Ok(note) = ivk.decrypt_note(ciphertext, *cm) {
            found.push(OwnedNote { note, position });
        }
    }
    found
}

fn owned(value: u64, position: u64) -> OwnedNote {
    let mut rng = StdRng::seed_from_u64(position);
    OwnedNote {
        note: Note::new(value, Fr::from(1u64), &mut rng),
        position,
    }
}

fn values(notes: &[OwnedNote]) -> Vec<u64> {
    notes.iter().map(|n| n.note.value).collect()
}

#[test]
fn selection_prefers_the_smallest_covering_note_then_the_smallest_covering_pair() {
    let notes = [
        owned(50, 0),
        owned(20, 1),
        owned(0, 2),
        owned(35, 3),
        owned(90, 4),
    ];
    assert_eq!(values(&select_notes(&notes, 30).unwrap()), [35]);
    assert_eq!(values(&select_notes(&notes, 90).unwrap()), [90]);
    assert_eq!(values(&select_notes(&notes, 100).unwrap()), [20, 90]);
    assert_eq!(values(&select_notes(&notes, 140).unwrap()), [50, 90]);
}

#[test]
fn selection_names_why_it_cannot_pay() {
    assert_eq!(select_notes(&[], 1), Err(WalletError::NoNotes));
    assert_eq!(select_notes(&[owned(0, 0)], 1), Err(WalletError::NoNotes));
    assert_eq!(
        select_notes(&[owned(5, 0), owned(6, 1)], 12),
        Err(WalletError::Insufficient {
            needed: 12,
            available: 11
        })
    );
    assert_eq!(
        select_notes(&[owned(5, 0), owned(6, 1), owned(7, 2)], 14),
        Err(WalletError::Fragmented {
            needed: 14,
            largest_two: 13
        })
    );
}

#[test]
fn shield_then_transfer_then_unshield_each_satisfy_the_circuit_and_reach_their_owners() {
    let mut rng = StdRng::seed_from_u64(1);
    let (a_sk, b_sk) = (SpendingKey::random(&mut rng), SpendingKey::random(&mut rng));
    let (a, b) = (
        IncomingViewingKey::new(&a_sk),
        IncomingViewingKey::new(&b_sk),
    );
    let mut tree = NoteTree::new();

    let shielded = shield(&a_sk, tree.root(), 1_000, &AT, &mut rng).unwrap();
    assert!(satisfied(&shielded.circuit));
    assert_eq!(shielded.circuit.public.public_in, 1_000);
    let mut a_notes = apply(&mut tree, &shielded, &a);
    assert_eq!(values(&a_notes).iter().sum::<u64>(), 1_000);
    assert_eq!(a_notes.len(), 2, "the zero-value output is A's too");

    let payment = Payment::Transfer {
        to: b.address(),
        amount: 600,
        fee: 7,
    };
    let sent = spend(&a_sk, &tree, &a_notes, &payment, &AT, &mut rng).unwrap();
    assert!(satisfied(&sent.circuit));
    assert_eq!(sent.change, 393);
    assert_eq!(values(&sent.spent), [1_000]);
    let spent_nf = sent.spent[0].nullifier(&a_sk);
    assert!(sent.circuit.public.nullifiers.contains(&spent_nf));
    // Each side finds exactly its own output: B the payment, A the change.
    let mut probe = tree.clone();
    let b_notes = apply(&mut probe, &sent, &b);
    assert_eq!(values(&b_notes), [600]);
    a_notes = apply(&mut tree, &sent, &a);
    assert_eq!(values(&a_notes), [393]);

    let mut account = [0u8; 20];
    account[19] = 0xaa;
    let payment = Payment::Unshield {
        recipient: recipient_field(&account),
        amount: 390,
        fee: 3,
    };
    let out = spend(&a_sk, &tree, &a_notes, &payment, &AT, &mut rng).unwrap();
    assert!(satisfied(&out.circuit));
    let public = &out.circuit.public;
    assert_eq!((public.public_out, public.fee), (390, 3));
    assert_eq!(public.recipient, Fr::from(0xaau64));
    // Bound to the submitter and the very ciphertexts the pool will log.
    let [first, second] = &out.encrypted_notes;
    let bound = |submitter| crate::circuit::external_data_hash(submitter, [first, second]);
    assert_eq!(public.external_data, bound(&AT.submitter));
    assert_ne!(public.external_data, bound(&[0x66; 20]));
    let swapped = crate::circuit::external_data_hash(&AT.submitter, [second, first]);
    assert_ne!(public.external_data, swapped);
    assert_eq!(out.change, 0);
    assert_eq!(values(&apply(&mut tree, &out, &a)), [0, 0]);
}

#[test]
fn a_wallet_without_the_key_cannot_build_a_spend_of_anothers_notes() {
    let mut rng = StdRng::seed_from_u64(2);
    let (b_sk, c_sk) = (SpendingKey::random(&mut rng), SpendingKey::random(&mut rng));
    let b = IncomingViewingKey::new(&b_sk);
    let c = IncomingViewingKey::new(&c_sk);
    let mut tree = NoteTree::new();
    let shielded = shield(&b_sk, tree.root(), 50, &AT, &mut rng).unwrap();
    let b_notes = apply(&mut tree.clone(), &shielded, &b);
    // C does not even find the notes...
    assert!(apply(&mut tree, &shielded, &c).is_empty());
    // ...and handed them (say, leaked by a viewing key), still cannot spend them.
    let payment = Payment::Transfer {
        to: c.address(),
        amount: 50,
        fee: 0,
    };
    let err = spend(&c_sk, &tree, &b_notes, &payment, &AT, &mut rng).unwrap_err();
    assert!(matches!(err, WalletError::Spend(_)), "{err}");
}

#[test]
fn bad_amounts_are_refused_before_any_work() {
    let mut rng = StdRng::seed_from_u64(3);
    let sk = SpendingKey::random(&mut rng);
    let tree = NoteTree::new();
    assert_eq!(
        shield(&sk, tree.root(), 0, &AT, &mut rng).unwrap_err(),
        WalletError::ZeroAmount
    );
    let to = ShieldedAddress::of(&sk);
    let transfer = |amount, fee| Payment::Transfer { to, amount, fee };
    let notes = [owned(10, 0)];
    assert_eq!(
        spend(&sk, &tree, &notes, &transfer(0, 1), &AT, &mut rng).unwrap_err(),
        WalletError::ZeroAmount
    );
    assert_eq!(
        spend(&sk, &tree, &notes, &transfer(u64::MAX, 1), &AT, &mut rng).unwrap_err(),
        WalletError::Overflow
    );
    // A note the tree does not hold (a stale wallet) is named, not proven against.
    assert_eq!(
        spend(&sk, &tree, &notes, &transfer(5, 0), &AT, &mut rng).unwrap_err(),
        WalletError::NotInTree(0)
    );
}

#[test]
fn seeded_setup_and_proving_give_a_proof_that_verifies() {
    use crate::verify::{SpendVerifier, key_hash};
    let keys = prover::setup([9; 32]);
    let mut rng = StdRng::seed_from_u64(4);
    let sk = SpendingKey::random(&mut rng);
    let prepared = shield(&sk, NoteTree::new().root(), 25, &AT, &mut rng).unwrap();
    let public = prepared.circuit.public.clone();
    let proof = prover::prove(&keys, prepared.circuit, [1; 32]).unwrap();
    let verifier = SpendVerifier::new(keys.verifying_key());
    assert_eq!(verifier.verify(&proof, &public), Ok(()));
    let mut other = public.clone();
    other.public_in += 1;
    assert!(verifier.verify(&proof, &other).is_err());
    // The seed fixes the keys: the same seed is the same setup.
    let again = key_hash(prover::setup([9; 32]).verifying_key());
    assert_eq!(again, key_hash(keys.verifying_key()));
}
