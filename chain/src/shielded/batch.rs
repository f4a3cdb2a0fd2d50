//! Checking a block's pool proofs together, before its transactions run.
//!
//! A block with many spends spends most of its time in pairings. Before executing a block,
//! [`preverify`] picks out every transaction that calls `transact` directly, decodes its
//! statement and proof, and hands them all to [`SpendVerifier::verify_each`]: one batch
//! check when they are all valid, one check per proof otherwise. Each verdict is kept under
//! a digest of (key, proof, statement); `transact` then takes the verdict instead of
//! verifying again. A proof's validity depends on nothing but those three, so a verdict
//! holds wherever in the block the transaction runs, and whatever ran before it.
//!
//! Gas does not change: `transact` charges for verification either way, so a
//! transaction costs the same alone or in a crowd. Calls that reach the pool from a
//! contract are not seen here and are verified when they run.

use super::abi::{Transact, decode_transact, statement};
use super::{SHIELDED_POOL, keys, storage};
use crate::state::WorldState;
use crate::tx::VerifiedTx;
use alloy_consensus::Transaction;
use alloy_primitives::{B256, keccak256};
use alloy_sol_types::SolCall;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use std::collections::HashMap;
use std::sync::Arc;
use vnt_zk::circuit::PublicInputs;
use vnt_zk::verify::{SpendProof, VerifyError, field_to_bytes};

/// Verdicts on proofs checked ahead of execution, by [`digest`].
#[derive(Clone, Debug, Default)]
pub struct Preverified(Arc<HashMap<B256, bool>>);

impl Preverified {
    /// The verdict on `proof` for `public` under the key with `key_hash`, if one was reached.
    pub fn verdict(&self, key_hash: B256, proof: &[u8], public: &PublicInputs) -> Option<bool> {
        if self.0.is_empty() {
            return None;
        }
        self.0.get(&digest(key_hash, proof, public)).copied()
    }

    /// How many verdicts are held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What a verdict is filed under: the key, the proof's bytes and every public input.
pub fn digest(key_hash: B256, proof: &[u8], public: &PublicInputs) -> B256 {
    let mut preimage = Vec::with_capacity(32 + proof.len() + 32 * PublicInputs::COUNT);
    preimage.extend_from_slice(key_hash.as_slice());
    preimage.extend_from_slice(proof);
    for element in public.to_field_elements() {
        preimage.extend_from_slice(&field_to_bytes(element));
    }
    keccak256(preimage)
}

/// Checks the proofs of every direct `transact` call among `transactions` at once, against
/// the key `state` pins. Transactions whose call data or proof does not decode are left to
/// `transact`, which refuses them with the reason.
pub fn preverify(state: &WorldState, chain_id: u64, transactions: &[VerifiedTx]) -> Preverified {
    let key_hash = B256::from(state.storage(&SHIELDED_POOL, storage::slot::VERIFYING_KEY_HASH));
    let Some(verifier) = keys::verifier(&key_hash) else {
        return Preverified::default();
    };
    let mut items: Vec<(Vec<u8>, SpendProof, PublicInputs)> = Vec::new();
    for tx in transactions {
        if tx.envelope.to() != Some(SHIELDED_POOL) {
            continue;
        }
        let Some(args) = tx.envelope.input().strip_prefix(&Transact::SELECTOR) else {
            continue;
        };
        let Ok(call) = decode_transact(args) else {
            continue;
        };
        let (Ok(public), Ok(proof)) = (statement(&call, chain_id), proof_of(&call)) else {
            continue;
        };
        items.push((call.proof.to_vec(), proof, public));
    }
    if items.is_empty() {
        return Preverified::default();
    }
    // The batch's weights must be unpredictable to whoever made the proofs.
    let mut rng = ChaCha20Rng::from_seed(B256::random().0);
    let batch: Vec<_> = items
        .iter()
        .map(|(_, proof, public)| (proof, public))
        .collect();
    let verdicts = verifier.verify_each(&batch, &mut rng);
    let map = items
        .iter()
        .zip(verdicts)
        .map(|((bytes, _, public), verdict)| (digest(key_hash, bytes, public), verdict.is_ok()))
        .collect();
    Preverified(Arc::new(map))
}

fn proof_of(call: &Transact) -> Result<SpendProof, VerifyError> {
    SpendProof::from_bytes(&call.proof)
}
