//! Fixtures shared by the tests and the proving-time example: a small pool with notes in
//! it and spends built from them. Not for production use: keys come from the caller's RNG.

use ark_ff::UniformRand;
use ark_std::rand::Rng;

use crate::Fr;
use crate::circuit::{SpendCircuit, SpendInput, external_data_hash};
use crate::note::{Note, SpendingKey};
use crate::tree::NoteTree;

/// Chain id the fixtures spend on (the dev chain's).
pub const CHAIN_ID: u64 = 1337;

/// The account the fixtures' spends are bound to as submitter.
pub const SUBMITTER: [u8; 20] = [0x5b; 20];

/// The external data of a fixture: [`SUBMITTER`] and two empty ciphertexts.
pub fn external_data() -> Fr {
    external_data_hash(&SUBMITTER, [b"", b""])
}

/// A private transfer: the sender's notes of 60 and 40, among other notes in the tree, pay
/// 70 to a recipient, 29 back to the sender as change, and a fee of 1.
pub fn transfer<R: Rng>(rng: &mut R) -> SpendCircuit {
    let sender = SpendingKey::random(rng);
    let receiver = SpendingKey::random(rng).owner();
    let mut tree = NoteTree::new();
    tree.append(Fr::rand(rng)).unwrap();
    let a = Note::new(60, sender.owner(), rng);
    let pos_a = tree.append(a.commitment()).unwrap();
    tree.append(Fr::rand(rng)).unwrap();
    let b = Note::new(40, sender.owner(), rng);
    let pos_b = tree.append(b.commitment()).unwrap();
    let input = |note: Note, pos| SpendInput {
        sk: sender,
        note,
        path: tree.path(pos).unwrap(),
    };
    SpendCircuit::new(
        tree.root(),
        [input(a, pos_a), input(b, pos_b)],
        [
            Note::new(70, receiver, rng),
            Note::new(29, sender.owner(), rng),
        ],
        0,
        0,
        1,
        Fr::from(0u64),
        CHAIN_ID,
        external_data(),
    )
    .unwrap()
}

/// A shield: 500 public units enter the pool as a note of 500 and an empty note, with
/// dummy inputs against the empty tree.
pub fn shield<R: Rng>(rng: &mut R) -> SpendCircuit {
    let sk = SpendingKey::random(rng);
    let dummy = |rng: &mut R| SpendInput::dummy(sk, Fr::rand(rng), Fr::rand(rng));
    SpendCircuit::new(
        NoteTree::new().root(),
        [dummy(rng), dummy(rng)],
        [
            Note::new(500, sk.owner(), rng),
            Note::new(0, sk.owner(), rng),
        ],
        500,
        0,
        0,
        Fr::from(0u64),
        CHAIN_ID,
        external_data(),
    )
    .unwrap()
}
