//! arkworks (our verifier) and the Zcash stack (an independent one) reach the same verdict on
//! valid and invalid proofs, from the same bytes.

use std::sync::OnceLock;

use vnt_zk::circuit::{PublicInputs, external_data_hash};
use vnt_zk::keys::{SpendKeys, verifying_key_bytes};
use vnt_zk::verify::{SpendProof, SpendVerifier, VerifyError, field_to_bytes};

use crate::common::{Spend, TAMPERABLE, fixture, other_keys, rerandomize, tampered};
use crate::zcash::ZcashVerifier;

/// Both verifiers for one key, each built from the key's bytes.
struct Verifiers {
    ours: SpendVerifier,
    zcash: ZcashVerifier,
}

impl Verifiers {
    fn for_keys(keys: &SpendKeys) -> Self {
        let bytes = verifying_key_bytes(keys.verifying_key());
        Self {
            ours: SpendVerifier::from_bytes(&bytes).expect("our key decodes"),
            zcash: ZcashVerifier::from_key_bytes(&bytes).expect("the Zcash stack reads our key"),
        }
    }

    /// Both verdicts on `proof` for `public`, after asserting that they agree.
    fn verdict(&self, proof: &SpendProof, public: &PublicInputs) -> bool {
        let bytes = proof.to_bytes();
        let ours = SpendProof::from_bytes(&bytes).and_then(|p| self.ours.verify(&p, public));
        let inputs: Vec<[u8; 32]> = public
            .to_field_elements()
            .into_iter()
            .map(field_to_bytes)
            .collect();
        let zcash = self.zcash.verify(&bytes, &inputs);
        assert_eq!(
            ours.is_ok(),
            zcash,
            "arkworks says {ours:?}, the Zcash stack says {zcash}"
        );
        if let Err(e) = ours {
            assert_eq!(
                e,
                VerifyError::Invalid,
                "a well-formed proof fails only as Invalid"
            );
        }
        zcash
    }
}

fn main_key() -> &'static Verifiers {
    static V: OnceLock<Verifiers> = OnceLock::new();
    V.get_or_init(|| Verifiers::for_keys(&fixture().keys))
}

fn valid_spends() -> Vec<&'static Spend> {
    let f = fixture();
    vec![&f.transfers[0], &f.transfers[1], &f.shield]
}

#[test]
fn both_accept_valid_transfers_and_shields() {
    for spend in valid_spends() {
        assert!(main_key().verdict(&spend.proof, &spend.public));
    }
}

#[test]
fn both_reject_each_public_input_changed_in_turn() {
    for spend in valid_spends() {
        for index in 0..TAMPERABLE {
            let public = tampered(&spend.public, index);
            assert!(
                !main_key().verdict(&spend.proof, &public),
                "a proof verified with public input {index} changed"
            );
        }
    }
}

#[test]
fn both_reject_a_proof_checked_against_another_statement() {
    let spends = valid_spends();
    for (i, proof_of) in spends.iter().enumerate() {
        for (j, statement) in spends.iter().enumerate() {
            if i != j {
                assert!(!main_key().verdict(&proof_of.proof, &statement.public));
            }
        }
    }
}

#[test]
fn both_reject_a_proof_under_another_key() {
    let other = Verifiers::for_keys(other_keys());
    for spend in valid_spends() {
        assert!(!other.verdict(&spend.proof, &spend.public));
    }
}

#[test]
fn both_accept_a_rerandomised_proof_of_the_same_statement() {
    for (seed, spend) in (10..).zip(valid_spends()) {
        let proof = rerandomize(spend, seed);
        assert_ne!(proof, spend.proof, "rerandomising changes every point");
        assert!(main_key().verdict(&proof, &spend.public));
    }
}

#[test]
fn both_reject_a_rerandomised_proof_with_a_changed_recipient_or_fee() {
    // A relayer holding someone's proof rerandomises it (so it looks fresh) and redirects
    // the payment or raises its own fee: the statement changed, so nothing verifies.
    let f = fixture();
    let spend = &f.transfers[0];
    let proof = rerandomize(spend, 20);
    let relayer = vnt_zk::Fr::from(0x7a6b_u64);

    let mut redirected = spend.public.clone();
    redirected.recipient = relayer;
    assert!(!main_key().verdict(&proof, &redirected));

    let mut greedy = spend.public.clone();
    greedy.fee += 5;
    assert!(!main_key().verdict(&proof, &greedy));

    let mut other_chain = spend.public.clone();
    other_chain.chain_id += 1;
    assert!(!main_key().verdict(&proof, &other_chain));

    // Resubmitted by someone else (who would take the fee), or with other ciphertexts.
    let mut hijacked = spend.public.clone();
    hijacked.external_data = external_data_hash(&[0x66; 20], [b"", b""]);
    assert_ne!(hijacked.external_data, spend.public.external_data);
    assert!(!main_key().verdict(&proof, &hijacked));

    // A change that still balances (one more unit in, one more unit of fee) is a different
    // statement all the same.
    let shield = rerandomize(&f.shield, 21);
    let mut rebalanced = f.shield.public.clone();
    rebalanced.public_in += 1;
    rebalanced.fee += 1;
    assert!(!main_key().verdict(&shield, &rebalanced));
}

#[test]
fn both_reject_proofs_with_altered_points() {
    // Points swapped within a valid proof, or taken from another valid proof, still decode
    // (they are subgroup points) but prove nothing.
    let f = fixture();
    let (p, q) = (&f.transfers[0].proof.0, &f.transfers[1].proof.0);
    let public = &f.transfers[0].public;
    let mut mixed = [p.clone(), p.clone(), p.clone(), p.clone()];
    mixed[0].a = q.a;
    mixed[1].b = q.b;
    mixed[2].c = q.c;
    std::mem::swap(&mut mixed[3].a, &mut mixed[3].c);
    for proof in mixed {
        assert!(!main_key().verdict(&SpendProof(proof), public));
    }
}
