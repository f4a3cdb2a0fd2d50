//! Checking a block's pool proofs together, before its transactions run.
//!
//! A block with many spends spends most of its time in pairings. Before executing a block,
//! [`preverify`] picks out the transactions that call `transact` directly and could pay for
//! verification, decodes their statements and proofs, and checks them all in one batch. If
//! the batch holds, each proof is filed as valid under a digest of (key, proof, statement),
//! and `transact` takes that verdict instead of verifying again (the statement includes the
//! transaction's sender, the submitter it is bound to). A proof's validity depends
//! on nothing but those three, so the verdict holds wherever in the block the transaction
//! runs, and whatever ran before it.
//!
//! This work is done before anyone has paid for it, so it is bounded: at most as many
//! proofs as the block's gas could pay to verify, only from transactions whose gas limit
//! covers verification, and a failed batch is not searched for its culprit — nothing is
//! filed, and every `transact` verifies alone, metered by its own gas. A block stuffed with
//! bad proofs therefore costs its producer one extra batch check, not one per proof.
//!
//! Gas does not change: `transact` charges for verification either way, so a
//! transaction costs the same alone or in a crowd. Calls that reach the pool from a
//! contract (EVM or WASM) are not seen here and are verified when they run.

use super::abi::{Transact, decode_transact, statement};
use super::{SHIELDED_POOL, gas, keys, storage};
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

/// Checks the proofs of the direct `transact` calls among `transactions` at once, against
/// the key `state` pins, within the bounds in the module documentation (`block_gas_limit`
/// sets how many). Transactions whose call data or proof does not decode are left to
/// `transact`, which refuses them with the reason.
pub fn preverify(
    state: &WorldState,
    chain_id: u64,
    block_gas_limit: u64,
    transactions: &[VerifiedTx],
) -> Preverified {
    let key_hash = B256::from(state.storage(&SHIELDED_POOL, storage::slot::VERIFYING_KEY_HASH));
    let Some(verifier) = keys::verifier(&key_hash) else {
        return Preverified::default();
    };
    let most = usize::try_from(block_gas_limit / gas::VERIFY).unwrap_or(usize::MAX);
    let mut items: Vec<(Vec<u8>, SpendProof, PublicInputs)> = Vec::new();
    for tx in transactions {
        if items.len() == most {
            break;
        }
        if tx.envelope.to() != Some(SHIELDED_POOL) || tx.envelope.gas_limit() < gas::VERIFY {
            continue;
        }
        let Some(args) = tx.envelope.input().strip_prefix(&Transact::SELECTOR) else {
            continue;
        };
        let Ok(call) = decode_transact(args) else {
            continue;
        };
        let (Ok(public), Ok(proof)) = (statement(&call, chain_id, tx.sender), proof_of(&call))
        else {
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
    if verifier.verify_batch(&batch, &mut rng).is_err() {
        return Preverified::default();
    }
    let map = items
        .iter()
        .map(|(bytes, _, public)| (digest(key_hash, bytes, public), true))
        .collect();
    Preverified(Arc::new(map))
}

fn proof_of(call: &Transact) -> Result<SpendProof, VerifyError> {
    SpendProof::from_bytes(&call.proof)
}
