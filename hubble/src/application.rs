//! simplex's application over a [`Ledger`]: the automaton that proposes and verifies
//! blocks, the relay that sends them to peers, and the reporter that commits finalized ones.
//!
//! This implements simplex's `Automaton`/`Relay`/`Reporter` directly rather than through
//! commonware's marshal (see docs/hubble-engine.md for why). Blocks travel on one extra
//! p2p channel with two messages: a block, and a request for a block by hash. A validator
//! asks its peers for any block it needs and lacks (a proposal whose body was lost, an
//! ancestor of a finalized block it missed while crashed or cut off) and keeps asking until
//! it has it, so the application needs nothing from the network beyond best-effort delivery.
//!
//! Waiting never blocks simplex: `propose` and `verify` answer through a oneshot from a
//! task that retries on the runtime clock and gives up when simplex drops the receiver.
//! The reporter only notes a finalization and wakes the committer task
//! ([`Application::commit_finalized`]): committing may execute many blocks (after a crash
//! or a partition), which must not run inside simplex's reporter.
//!
//! A failure the node cannot recover from (consensus finalized a block this node cannot
//! execute, or the chain's store fails) stops the node through [`Shared::fail`] with the
//! reason, instead of a panic inside a runtime task.

use crate::block::{LedgerBlock, MAX_BLOCK_BYTES, digest_of, hash_of};
use crate::evidence_log::HeldEvidence;
use crate::ledger::{Ledger, LedgerFailure, Readiness};
use crate::report::EvidenceReporter;
use alloy_primitives::B256;
use commonware_actor::Feedback;
use commonware_codec::{Decode, Encode, Error as CodecError};
use commonware_consensus::simplex::Plan;
use commonware_consensus::simplex::types::{Activity, Context};
use commonware_consensus::{Automaton, CertifiableAutomaton, Epochable, Relay, Reporter, Viewable};
use commonware_cryptography::ed25519;
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::{Clock, Spawner};
use commonware_utils::channel::{oneshot, watch};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, UNIX_EPOCH};
use vnt_chain::node::Shared;
use vnt_vortex::evidence::Evidence;
use vnt_vortex::finality::encode_finalization;
use vnt_vortex::scheme::{BlockDigest, VortexScheme};

/// The identity validators are known by on the network.
pub type Identity = ed25519::PublicKey;

/// How often a waiting proposal or verification looks again.
const RETRY: Duration = Duration::from_millis(50);
/// How often a validator re-asks its peers for a block it still lacks.
const REQUEST_EVERY: Duration = Duration::from_millis(500);

/// How many seconds ahead of the clock a proposer may stamp its block. Block times strictly
/// increase, so a chain producing more than a block a second runs ahead of the clock; past
/// this the proposer waits for the clock, well before peers would refuse to vote
/// ([`crate::ledger::MAX_CLOCK_DRIFT_SECS`]).
pub const MAX_PROPOSE_AHEAD_SECS: u64 = 5;

/// Tag of a block message on the block channel.
const TAG_BLOCK: u8 = 0;
/// Tag of a request for a block by hash.
const TAG_REQUEST: u8 = 1;

/// A message on the block channel.
#[derive(Debug, PartialEq, Eq)]
pub enum BlockMessage {
    /// A block, sent by its proposer or in answer to a request.
    Block(Box<LedgerBlock>),
    /// "Send me the block with this hash."
    Request(B256),
}

impl BlockMessage {
    /// The message's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Block(block) => [&[TAG_BLOCK][..], &block.encode()].concat(),
            Self::Request(hash) => [&[TAG_REQUEST][..], hash.as_slice()].concat(),
        }
    }

    /// Parses a peer's message, refusing anything malformed or over `max_block` bytes.
    pub fn from_bytes(bytes: &[u8], max_block: usize) -> Result<Self, CodecError> {
        let (&tag, rest) = bytes.split_first().ok_or(CodecError::EndOfBuffer)?;
        match tag {
            TAG_BLOCK => {
                let block = LedgerBlock::decode_cfg(rest.to_vec(), &max_block)?;
                Ok(Self::Block(Box::new(block)))
            }
            TAG_REQUEST => {
                let hash = <[u8; 32]>::try_from(rest)
                    .map_err(|_| CodecError::Invalid("block request", "a hash is 32 bytes"))?;
                Ok(Self::Request(B256::from(hash)))
            }
            other => Err(CodecError::InvalidEnum(other)),
        }
    }
}

/// A validator's ledger shared between simplex's callbacks and the network tasks.
#[derive(Clone)]
pub struct SharedLedger(Arc<Mutex<Ledger>>);

impl SharedLedger {
    /// Shares `ledger`.
    pub fn new(ledger: Ledger) -> Self {
        Self(Arc::new(Mutex::new(ledger)))
    }

    /// Locks the ledger (the simulator is single-threaded; a node holds it only briefly).
    pub fn lock(&self) -> MutexGuard<'_, Ledger> {
        // A panic while holding it leaves nothing half-done that later calls rely on:
        // every ledger method leaves its maps consistent between chain calls.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The ledger back, once every task sharing it has ended.
    pub fn try_into_inner(self) -> Result<Ledger, Self> {
        Arc::try_unwrap(self.0)
            .map(|mutex| mutex.into_inner().expect("not poisoned"))
            .map_err(Self)
    }
}

/// simplex's automaton, relay and reporter for one validator.
pub struct Application<E, S> {
    context: E,
    ledger: SharedLedger,
    blocks: S,
    /// Evidence of the faults simplex reported, one piece per offender and epoch (the
    /// contract slashes no more), each reported once when it is first held.
    evidence: Arc<Mutex<HeldEvidence>>,
    /// Sends new evidence on chain, when this validator has a reporter key.
    reporter: Option<Arc<EvidenceReporter>>,
    /// Finalizations simplex reported that the committer has not taken yet: (epoch, view,
    /// block, proof). simplex's reporter only queues them, so it never waits for the ledger
    /// or the chain, which a commit may hold for the length of a block's execution.
    finalized: Arc<Mutex<VecDeque<Finalized>>>,
    /// Bumped when there may be something new to commit (a finalization, a block heard).
    wake: Arc<watch::Sender<u64>>,
}

/// A finalization as the reporter queues it: epoch, view, block hash, encoded certificate.
type Finalized = (u64, u64, B256, Vec<u8>);

/// Finalizations queued at most; past it the oldest are dropped (a later one finalizes
/// their blocks too; only their stored proofs are lost).
const MAX_QUEUED_FINALIZATIONS: usize = 1_024;

// Runtime contexts are not `Clone`: a copy is a child in the runtime's supervision tree.
impl<E: Spawner, S: Clone> Clone for Application<E, S> {
    fn clone(&self) -> Self {
        Self {
            context: self.context.child("application"),
            ledger: self.ledger.clone(),
            blocks: self.blocks.clone(),
            evidence: self.evidence.clone(),
            reporter: self.reporter.clone(),
            finalized: self.finalized.clone(),
            wake: self.wake.clone(),
        }
    }
}

impl<E, S> Application<E, S>
where
    E: Clock + Spawner,
    S: Sender<PublicKey = Identity>,
{
    /// The application of the validator owning `ledger`, sending blocks on `blocks`.
    pub fn new(context: E, ledger: SharedLedger, blocks: S) -> Self {
        Self {
            context,
            ledger,
            blocks,
            evidence: Arc::default(),
            reporter: None,
            finalized: Arc::default(),
            wake: Arc::new(watch::channel(0).0),
        }
    }

    /// Reports every new piece of evidence on chain through `reporter`.
    pub fn with_evidence_reporter(mut self, reporter: Arc<EvidenceReporter>) -> Self {
        self.reporter = Some(reporter);
        self
    }

    /// The ledger this application serves.
    pub fn ledger(&self) -> &SharedLedger {
        &self.ledger
    }

    /// The node's chain, pool and failure signal.
    fn shared(&self) -> Arc<Shared> {
        self.ledger.lock().shared().clone()
    }

    /// Stops the node with the reason: nothing this validator does after it is sound.
    fn fail(&self, failure: LedgerFailure) {
        self.shared().fail(failure.to_string());
    }

    /// Wakes the committer.
    fn wake_committer(&self) {
        self.wake
            .send_modify(|count| *count = count.wrapping_add(1));
    }

    /// The encoded evidence held: the first piece for each offender and epoch simplex
    /// reported, by epoch then offender (the oldest epochs dropped past a cap).
    pub fn evidence(&self) -> Vec<Vec<u8>> {
        self.evidence.lock().unwrap().pieces()
    }

    /// Asks every peer for the block `hash`.
    fn request(&mut self, hash: B256) {
        let message = BlockMessage::Request(hash).to_bytes();
        self.blocks.send(Recipients::All, message, false);
    }

    /// Serves the block channel: keeps the blocks peers send, answers their requests.
    /// Returns when the channel closes.
    pub async fn serve_blocks<R>(mut self, mut receiver: R)
    where
        R: Receiver<PublicKey = Identity>,
    {
        while let Ok((peer, bytes)) = receiver.recv().await {
            // A malformed message is the peer's problem; it is dropped, not trusted.
            let Ok(message) = BlockMessage::from_bytes(bytes.as_ref(), MAX_BLOCK_BYTES) else {
                continue;
            };
            match message {
                BlockMessage::Block(block) => {
                    let sender = B256::from_slice(&peer.encode());
                    self.ledger.lock().hear_from(*block, sender);
                    // It may be the ancestor the committer is waiting for.
                    self.wake_committer();
                }
                BlockMessage::Request(hash) => {
                    let found = self.ledger.lock().block(&hash);
                    if let Some(block) = found {
                        let reply = BlockMessage::Block(Box::new(block)).to_bytes();
                        self.blocks.send(Recipients::One(peer), reply, false);
                    }
                }
            }
        }
    }

    /// Commits finalized blocks as they become available, fetching missing ancestors.
    /// Runs until aborted, or until a finalized block cannot be committed (then the node is
    /// failed with the reason).
    pub async fn commit_finalized(mut self) {
        let mut woken = self.wake.subscribe();
        let mut last_request = None;
        loop {
            let queued: Vec<Finalized> = self.finalized.lock().unwrap().drain(..).collect();
            let advanced = {
                let mut ledger = self.ledger.lock();
                for (epoch, view, hash, proof) in queued {
                    ledger.note_finalized(epoch, view, hash, proof);
                }
                ledger.advance()
            };
            match advanced {
                Ok(Some(missing)) => self.request_now_and_then(missing, &mut last_request),
                Ok(None) => {}
                Err(failure) => {
                    self.fail(failure);
                    return;
                }
            }
            // A wake (a finalization, a block heard) or, failing one, a periodic retry, so a
            // lost request is asked again.
            commonware_macros::select! {
                changed = woken.changed() => {
                    if changed.is_err() {
                        return;
                    }
                },
                _ = self.context.sleep(REQUEST_EVERY) => {},
            }
        }
    }

    /// Seconds since the unix epoch on the runtime's clock (simulated in tests).
    fn now(&self) -> u64 {
        self.context
            .current()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    }
}

impl<E, S> Automaton for Application<E, S>
where
    E: Clock + Spawner,
    S: Sender<PublicKey = Identity>,
{
    type Context = Context<BlockDigest, Identity>;
    type Digest = BlockDigest;

    async fn propose(&mut self, context: Self::Context) -> oneshot::Receiver<BlockDigest> {
        let (answer, receiver) = oneshot::channel();
        let mut app = self.clone();
        let parent = hash_of(&context.parent.1);
        let epoch = context.round.epoch().get();
        self.context.child("wait").spawn(move |_| async move {
            let mut last_request = None;
            while !answer.is_closed() {
                let ahead = app.ledger.lock().is_parent_stamped_ahead(
                    &parent,
                    app.now(),
                    MAX_PROPOSE_AHEAD_SECS,
                );
                if ahead {
                    app.context.sleep(RETRY).await;
                    continue;
                }
                let proposed = app.ledger.lock().propose(parent, epoch, app.now());
                match proposed {
                    Ok(Some(block)) => {
                        let _ = answer.send(digest_of(block.hash()));
                        return;
                    }
                    Ok(None) => app.request_now_and_then(parent, &mut last_request),
                    Err(failure) => {
                        app.fail(failure);
                        return;
                    }
                }
                app.context.sleep(RETRY).await;
            }
        });
        receiver
    }

    async fn verify(
        &mut self,
        context: Self::Context,
        payload: BlockDigest,
    ) -> oneshot::Receiver<bool> {
        let (answer, receiver) = oneshot::channel();
        let mut app = self.clone();
        let parent = hash_of(&context.parent.1);
        let hash = hash_of(&payload);
        let leader = B256::from_slice(&context.leader.encode());
        let epoch = context.round.epoch().get();
        self.context.child("wait").spawn(move |_| async move {
            let mut last_request = None;
            while !answer.is_closed() {
                // A block from the future waits until the clock catches up (simplex's
                // contract: time skew is not invalidity), so it is never voted for early.
                if app.ledger.lock().is_stamped_ahead(&hash, app.now()) {
                    app.context.sleep(RETRY).await;
                    continue;
                }
                let readiness = app.ledger.lock().verify(parent, hash, epoch, leader);
                match readiness {
                    Ok(Readiness::Executed) => {
                        let _ = answer.send(true);
                        return;
                    }
                    Ok(Readiness::Invalid(reason)) => {
                        tracing::warn!(%reason, epoch, "voting against a proposal");
                        let _ = answer.send(false);
                        return;
                    }
                    Ok(Readiness::Missing(missing)) => {
                        app.request_now_and_then(missing, &mut last_request);
                    }
                    Err(failure) => {
                        app.fail(failure);
                        return;
                    }
                }
                app.context.sleep(RETRY).await;
            }
        });
        receiver
    }
}

impl<E, S> Application<E, S>
where
    E: Clock + Spawner,
    S: Sender<PublicKey = Identity>,
{
    /// Requests `hash` unless it was requested less than [`REQUEST_EVERY`] ago.
    fn request_now_and_then(&mut self, hash: B256, last: &mut Option<(B256, u128)>) {
        let now = self
            .context
            .current()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis());
        let due = match *last {
            Some((asked, at)) => asked != hash || now >= at + REQUEST_EVERY.as_millis(),
            None => true,
        };
        if due {
            self.request(hash);
            *last = Some((hash, now));
        }
    }
}

impl<E, S> CertifiableAutomaton for Application<E, S>
where
    E: Clock + Spawner,
    S: Sender<PublicKey = Identity>,
{
}

impl<E, S> Relay for Application<E, S>
where
    E: Clock + Spawner,
    S: Sender<PublicKey = Identity>,
{
    type Digest = BlockDigest;
    type PublicKey = Identity;
    type Plan = Plan<Identity>;

    fn broadcast(&mut self, payload: BlockDigest, plan: Plan<Identity>) -> Feedback {
        let recipients = match plan {
            Plan::Prepare { .. } | Plan::Propose { .. } => Recipients::All,
            Plan::Forward { recipients, .. } => recipients,
        };
        // Off simplex's actor: finding the block takes the ledger, which a commit may hold
        // for the length of a block's execution.
        let mut app = self.clone();
        self.context.child("relay").spawn(move |_| async move {
            let block = app.ledger.lock().block(&hash_of(&payload));
            if let Some(block) = block {
                app.blocks.send(
                    recipients,
                    BlockMessage::Block(Box::new(block)).to_bytes(),
                    false,
                );
            }
        });
        Feedback::Ok
    }
}

impl<E, S> Reporter for Application<E, S>
where
    E: Clock + Spawner,
    S: Sender<PublicKey = Identity>,
{
    type Activity = Activity<VortexScheme, BlockDigest>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        if let Activity::Finalization(finalization) = &activity {
            let view = finalization.view().get();
            let epoch = finalization.epoch().get();
            let hash = hash_of(&finalization.proposal.payload);
            let proof = encode_finalization(finalization);
            let mut queue = self.finalized.lock().unwrap();
            if queue.len() >= MAX_QUEUED_FINALIZATIONS {
                queue.pop_front();
            }
            queue.push_back((epoch, view, hash, proof));
            drop(queue);
            self.wake_committer();
        } else if let Some(evidence) = Evidence::from_activity(&activity) {
            // A member equivocating every view adds nothing past its first piece of the
            // epoch: the contract slashes one offence per signer and epoch.
            let new = self.evidence.lock().unwrap().hold(&evidence);
            if new {
                let bytes = evidence.encode();
                if let Some(reporter) = self.reporter.clone() {
                    // A dry run checks two BLS signatures: off simplex's reporter, on a
                    // thread that may block briefly.
                    self.context
                        .child("report")
                        .shared(true)
                        .spawn(move |_| async move { reporter.report_logged(&bytes) });
                }
            }
        }
        Feedback::Ok
    }
}
