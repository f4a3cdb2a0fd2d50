//! A validator reports the double votes consensus catches, in `reportEvidence` transactions
//! of its own (issue 7: evidence any node can verify; its submitter is paid part of the
//! slash).
//!
//! simplex hands the [`crate::application::Application`]'s reporter every fault it sees; the
//! application passes the evidence to an [`EvidenceReporter`], which signs the staking
//! contract's `reportEvidence(bytes)` with the validator's Ethereum key and submits it to
//! the node's pool ([`Shared::submit`], which gossips it where the node has an open
//! network). The same key pays the gas and receives the reporter's share of the slash.
//!
//! What it refuses to send, so no fee is wasted on a transaction the contract would revert
//! and no validator profits from its own fault:
//!
//! - the validator's own fault (reporting itself would pay it back part of its slash);
//! - a second report of the same offender and epoch (the contract punishes each once);
//! - evidence the contract would refuse a few blocks from now: the reporter dry-runs the
//!   call on the head state as if it landed [`INCLUSION_MARGIN`] blocks later, so evidence
//!   whose window is about to close, or whose offender someone else already had punished,
//!   is dropped with the contract's own reason.
//!
//! A report that fails (the pool refuses it, the account cannot pay) is logged and the node
//! goes on; a later piece of evidence against the same offender and epoch may try again.

use crate::application::Identity;
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::Encodable2718;
use alloy_eips::eip2930::AccessList;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, decode_revert_reason};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use vnt_chain::execution::{CallOutcome, CallRequest, call};
use vnt_chain::node::Shared;
use vnt_chain::staking::abi::IStaking;
use vnt_chain::staking::{STAKING, hook};
use vnt_chain::tx::{TxError, verify};
use vnt_vortex::evidence::{Evidence, EvidenceError};

/// How many blocks after the next one a report may take to land and still be accepted.
/// Evidence whose window closes sooner is not worth the fee.
pub const INCLUSION_MARGIN: u64 = 4;

/// The priority fee a report offers: enough for any proposer to take it.
pub const PRIORITY_FEE: u128 = 1_000_000_000;

/// Gas limit over the dry run's gas, in percent: the committee read and the slashed
/// entries may grow a little between the dry run and inclusion.
const GAS_HEADROOM_PERCENT: u64 = 125;

/// Why a piece of evidence was not reported.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the evidence does not decode: {0}")]
    Malformed(#[from] EvidenceError),
    #[error("no committee of epoch {epoch} on this chain: {reason}")]
    NoCommittee { epoch: u64, reason: String },
    #[error("the evidence's signer {participant} is not in the committee of epoch {epoch}")]
    UnknownSigner { participant: u32, epoch: u64 },
    #[error(
        "the evidence names this validator ({account}) in epoch {epoch}: it does not report \
         its own fault"
    )]
    OwnFault { account: Address, epoch: u64 },
    #[error("{offender} was already reported for epoch {epoch} by this validator")]
    AlreadyReported { offender: Address, epoch: u64 },
    #[error("the staking contract would refuse the report against {offender}: {reason}")]
    Refused { offender: Address, reason: String },
    #[error("the report's dry run could not execute: {0}")]
    DryRun(Box<TxError>),
    #[error("the pool refused the report from {account}: {source}")]
    Pool {
        account: Address,
        source: Box<TxError>,
    },
}

/// Sends `reportEvidence` transactions for one validator (module docs).
pub struct EvidenceReporter {
    /// Signs the reports, pays their gas and receives the reporter's share.
    signer: PrivateKeySigner,
    /// This validator's network identity, to recognise its own faults.
    identity: Identity,
    shared: Arc<Shared>,
    /// `(offender, epoch)` of every report the pool admitted. Held across a whole report,
    /// so two reports never compute the same nonce.
    reported: Mutex<HashSet<(Address, u64)>>,
}

/// A report's transaction before it is submitted.
struct Prepared {
    offender: Address,
    epoch: u64,
    tx: TxEip1559,
}

impl EvidenceReporter {
    /// The reporter of the validator known by `identity`, paying with `signer`'s account
    /// on the node's chain and pool `shared`.
    pub fn new(signer: PrivateKeySigner, identity: Identity, shared: Arc<Shared>) -> Self {
        Self {
            signer,
            identity,
            shared,
            reported: Mutex::default(),
        }
    }

    /// The account that signs reports and is paid for them.
    pub fn account(&self) -> Address {
        self.signer.address()
    }

    /// Reports `evidence` (`vnt_vortex::evidence::Evidence` bytes) unless it is this
    /// validator's own fault, already reported, or refused by the contract's dry run.
    /// Returns the hash of the pooled transaction.
    pub fn report(&self, evidence: &[u8]) -> Result<B256, ReportError> {
        let mut reported = self
            .reported
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let prepared = self.prepare(evidence, &reported)?;
        let hash = self.submit(prepared.tx)?;
        reported.insert((prepared.offender, prepared.epoch));
        Ok(hash)
    }

    /// [`EvidenceReporter::report`], its outcome logged: what consensus's reporter calls.
    pub fn report_logged(&self, evidence: &[u8]) {
        match self.report(evidence) {
            Ok(hash) => tracing::info!(%hash, account = %self.account(), "evidence reported"),
            Err(error @ ReportError::OwnFault { .. }) => {
                tracing::error!(%error, "this validator signed conflicting votes");
            }
            Err(error @ (ReportError::AlreadyReported { .. } | ReportError::Refused { .. })) => {
                tracing::info!(%error, "evidence not reported");
            }
            Err(error) => tracing::warn!(%error, "evidence not reported"),
        }
    }

    /// Checks `evidence` against the head state and builds its unsigned transaction.
    fn prepare(
        &self,
        evidence: &[u8],
        reported: &HashSet<(Address, u64)>,
    ) -> Result<Prepared, ReportError> {
        let decoded = Evidence::decode(evidence)?;
        let epoch = decoded.round().epoch().get();
        let chain = self.shared.chain.read();
        let chain_id = chain.config().chain_id;
        let committee = hook::consensus_committee(chain.state(), chain_id, epoch)
            .map_err(|reason| ReportError::NoCommittee { epoch, reason })?;
        let participant = decoded.signer();
        let member = committee
            .member(participant)
            .ok_or(ReportError::UnknownSigner {
                participant: participant.get(),
                epoch,
            })?;
        let offender = Address::from(member.id);
        if member.identity == self.identity {
            return Err(ReportError::OwnFault {
                account: offender,
                epoch,
            });
        }
        if reported.contains(&(offender, epoch)) {
            return Err(ReportError::AlreadyReported { offender, epoch });
        }

        let input = Bytes::from(
            IStaking::reportEvidenceCall {
                evidence: Bytes::copy_from_slice(evidence),
            }
            .abi_encode(),
        );
        // As if it landed INCLUSION_MARGIN blocks late: the contract's own rules say whether
        // the window is still open then and whether the offender is still unpunished.
        let mut landing = chain.next_block_context(chain.head().timestamp, self.account());
        landing.number += INCLUSION_MARGIN;
        let request = CallRequest {
            from: Some(self.account()),
            to: Some(STAKING),
            input: input.clone(),
            ..Default::default()
        };
        let outcome = call(
            chain.ledger(),
            &landing,
            chain.config(),
            &request,
            landing.gas_limit,
        )
        .map_err(|error| ReportError::DryRun(Box::new(error)))?;
        let gas_used = match outcome {
            CallOutcome::Success { gas_used, .. } => gas_used,
            CallOutcome::Revert { output, .. } => {
                let reason = decode_revert_reason(&output)
                    .unwrap_or_else(|| format!("reverted with 0x{output:x}"));
                return Err(ReportError::Refused { offender, reason });
            }
            CallOutcome::Halt { reason, .. } => {
                return Err(ReportError::Refused { offender, reason });
            }
        };

        let state_nonce = chain
            .state()
            .account(&self.account())
            .map_or(0, |account| account.nonce);
        let nonce = self
            .shared
            .pool
            .lock()
            .pending_nonce(&self.account(), state_nonce);
        let base_fee = u128::from(chain.next_base_fee());
        let tx = TxEip1559 {
            chain_id,
            nonce,
            gas_limit: gas_used.saturating_mul(GAS_HEADROOM_PERCENT) / 100,
            // Twice the base fee: still includable after the base fee rises for a while.
            max_fee_per_gas: base_fee.saturating_mul(2).saturating_add(PRIORITY_FEE),
            max_priority_fee_per_gas: PRIORITY_FEE,
            to: TxKind::Call(STAKING),
            value: U256::ZERO,
            access_list: AccessList::default(),
            input,
        };
        Ok(Prepared {
            offender,
            epoch,
            tx,
        })
    }

    /// Signs `tx` and admits it to the pool.
    fn submit(&self, tx: TxEip1559) -> Result<B256, ReportError> {
        let account = self.account();
        let pool_error = |source| ReportError::Pool {
            account,
            source: Box::new(source),
        };
        let signature = self
            .signer
            .sign_hash_sync(&tx.signature_hash())
            .map_err(|error| pool_error(TxError::InvalidSignature(error.to_string())))?;
        let envelope = TxEnvelope::from(tx.into_signed(signature));
        let length = envelope.encode_2718_len();
        let config = self.shared.chain.read().config().clone();
        let verified = verify(envelope, length, &config).map_err(pool_error)?;
        self.shared.submit(verified).map_err(pool_error)
    }
}

#[cfg(test)]
mod tests;
