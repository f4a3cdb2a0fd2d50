//! A Vortex committee in commonware's deterministic runtime: the test fixture every
//! simulation scenario builds on.
//!
//! The committee is a devnet committee from `vnt-vortex` itself (keys, membership, multisig
//! scheme on a fixed chain id); consensus is simplex over the simulated network. No ledger
//! runs yet: a proposal's payload is the hash of its round and parent, and every proposal is
//! valid, so the scenarios exercise agreement alone. Everything, including link loss and
//! timing, follows from the runtime's seed, so a seed replays exactly.

use commonware_actor::Feedback;
use commonware_codec::Encode;
use commonware_consensus::simplex::config::{Config, Floor, ForwardPolicy, SkipBudget, SkipPolicy};
use commonware_consensus::simplex::elector::RoundRobin;
use commonware_consensus::simplex::types::{Activity, Context};
use commonware_consensus::simplex::{self, Plan};
use commonware_consensus::types::{Epoch, ViewDelta};
use commonware_consensus::{Automaton, CertifiableAutomaton, Relay, Reporter, Viewable};
use commonware_cryptography::keccak256::Keccak256;
use commonware_cryptography::{Hasher, Sha256, ed25519};
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_parallel::Sequential;
use commonware_runtime::buffer::paged::CacheRef;
use commonware_runtime::{Clock, Handle, Quota, Runner, Supervisor, deterministic};
use commonware_utils::channel::oneshot;
use commonware_utils::{NZDuration, NZU16, NZU32, NZUsize, probability};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vnt_vortex::evidence::Evidence;
use vnt_vortex::keys::ValidatorKeys;
use vnt_vortex::scheme::{BlockDigest, ConsensusCommittee, VortexScheme};

/// Committee size of every scenario (issue 7: seven validators).
pub const VALIDATORS: usize = 7;
/// The chain id the simulated committee signs for.
pub const CHAIN_ID: u64 = 1_337;
/// Vote, certificate and resolver channels, as simplex's `start` takes them.
const CHANNELS: [u64; 3] = [0, 1, 2];

type Identity = ed25519::PublicKey;

/// The genesis block's digest: the floor every engine starts from.
pub fn genesis() -> BlockDigest {
    Keccak256::hash(&[b"vnt-vortex/simulation-genesis"])
}

/// A lossy wide-area link: 50 ms ± 10 ms, one message in a hundred lost.
pub fn lossy_link() -> Link {
    Link {
        latency: Duration::from_millis(50),
        jitter: Duration::from_millis(10),
        success_rate: probability!(99, 100),
    }
}

/// Stands in for the ledger: proposes the hash of round and parent, accepts every proposal.
#[derive(Clone)]
struct Proposer;

impl Automaton for Proposer {
    type Context = Context<BlockDigest, Identity>;
    type Digest = BlockDigest;

    async fn propose(&mut self, context: Self::Context) -> oneshot::Receiver<BlockDigest> {
        let (sender, receiver) = oneshot::channel();
        let round = context.round.encode();
        let _ = sender.send(Keccak256::hash(&[&round, &context.parent.1]));
        receiver
    }

    async fn verify(
        &mut self,
        _context: Self::Context,
        _payload: BlockDigest,
    ) -> oneshot::Receiver<bool> {
        let (sender, receiver) = oneshot::channel();
        let _ = sender.send(true);
        receiver
    }
}

impl CertifiableAutomaton for Proposer {}

impl Relay for Proposer {
    type Digest = BlockDigest;
    type PublicKey = Identity;
    type Plan = Plan<Identity>;

    // Payloads are recomputable digests, so there is no block body to disseminate.
    fn broadcast(&mut self, _payload: BlockDigest, _plan: Plan<Identity>) -> Feedback {
        Feedback::Ok
    }
}

/// What one validator's reporter saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// Finalized payload by view.
    pub finalized: BTreeMap<u64, BlockDigest>,
    /// Views this validator reported finalized twice with different payloads.
    pub refinalized_differently: Vec<u64>,
    /// Evidence bytes of every fault simplex reported.
    pub evidence: Vec<Vec<u8>>,
}

/// A validator's reporter; it survives the validator's crash, as a node's log would.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Observed>>);

impl Log {
    /// A copy of what was observed so far.
    pub fn observed(&self) -> Observed {
        self.0.lock().unwrap().clone()
    }

    /// The highest finalized view, 0 before any.
    pub fn last_finalized(&self) -> u64 {
        let observed = self.0.lock().unwrap();
        observed.finalized.keys().last().copied().unwrap_or(0)
    }
}

impl Reporter for Log {
    type Activity = Activity<VortexScheme, BlockDigest>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        let mut observed = self.0.lock().unwrap();
        if let Activity::Finalization(finalization) = &activity {
            let view = finalization.view().get();
            let payload = finalization.proposal.payload;
            if let Some(earlier) = observed.finalized.insert(view, payload)
                && earlier != payload
            {
                observed.refinalized_differently.push(view);
            }
        } else if let Some(evidence) = Evidence::from_activity(&activity) {
            observed.evidence.push(evidence.encode());
        }
        Feedback::Ok
    }
}

/// Seven validators on a simulated network, each runnable, crashable and restartable.
pub struct Cluster {
    /// The runtime context scenarios sleep and spawn on.
    pub context: deterministic::Context,
    /// The network's control: links, channels.
    pub oracle: Oracle<Identity, deterministic::Context>,
    /// Keys in participant order.
    pub keys: Vec<ValidatorKeys>,
    /// The epoch-0 committee.
    pub committee: ConsensusCommittee,
    /// One reporter per validator.
    pub logs: Vec<Log>,
    engines: Vec<Option<Handle<()>>>,
}

impl Cluster {
    /// Builds the committee and the network, every pair linked by `link`; starts no engine.
    pub async fn new(context: deterministic::Context, link: Link) -> Self {
        let (keys, committee) =
            ConsensusCommittee::devnet(CHAIN_ID, 0, 7, VALIDATORS as u32).expect("committee");
        let peers = committee.identities();
        let max_size = commonware_p2p::max_message_size(&[simplex::max_payload_size::<
            VortexScheme,
            BlockDigest,
        >(VALIDATORS as u32)]);
        let (network, oracle) = Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size,
                max_peers_per_set: NZUsize!(VALIDATORS),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            peers.clone(),
        )
        .await;
        network.start();
        let cluster = Self {
            context,
            oracle,
            keys,
            committee,
            logs: (0..VALIDATORS).map(|_| Log::default()).collect(),
            engines: (0..VALIDATORS).map(|_| None).collect(),
        };
        cluster.link(|_, _| true, &link).await;
        cluster
    }

    /// Identity of validator `index`.
    pub fn identity(&self, index: usize) -> Identity {
        self.committee.members()[index].identity.clone()
    }

    /// Adds `link` in both directions between every pair `select` picks.
    pub async fn link(&self, select: impl Fn(usize, usize) -> bool, link: &Link) {
        for (a, b) in pairs(select) {
            self.oracle
                .add_link(self.identity(a), self.identity(b), link.clone())
                .await
                .expect("link");
        }
    }

    /// Removes the links between every pair `select` picks.
    pub async fn unlink(&self, select: impl Fn(usize, usize) -> bool) {
        for (a, b) in pairs(select) {
            self.oracle
                .remove_link(self.identity(a), self.identity(b))
                .await
                .expect("unlink");
        }
    }

    /// Registers validator `index`'s channels and returns them (votes, certificates, resolver).
    pub async fn channels(
        &self,
        index: usize,
    ) -> Vec<(
        simulated::Sender<Identity, deterministic::Context>,
        simulated::Receiver<Identity>,
    )> {
        let control = self.oracle.control(self.identity(index));
        let quota = Quota::per_second(NZU32!(10_000));
        let mut channels = Vec::new();
        for channel in CHANNELS {
            channels.push(control.register(channel, quota).await.expect("register"));
        }
        channels
    }

    /// Starts (or restarts, replaying its journal) validator `index`'s simplex engine.
    pub async fn start(&mut self, index: usize) {
        let mut channels = self.channels(index).await;
        let resolver = channels.pop().unwrap();
        let certificates = channels.pop().unwrap();
        let votes = channels.pop().unwrap();
        let scheme = self.committee.signer(&self.keys[index]).expect("member");
        let config = Config {
            scheme,
            elector: RoundRobin::<Sha256>::default(),
            blocker: self.oracle.control(self.identity(index)),
            automaton: Proposer,
            relay: Proposer,
            reporter: self.logs[index].clone(),
            // Keep every vote, so conflicting votes are always caught, not just when recent.
            track_historical_votes: true,
            strategy: Sequential,
            partition: format!("vortex-{index}"),
            mailbox_size: NZUsize!(1024),
            epoch: Epoch::zero(),
            floor: Floor::Genesis(genesis()),
            replay_buffer: NZUsize!(1024 * 1024),
            write_buffer: NZUsize!(1024 * 1024),
            page_cache: CacheRef::new(NZU16!(1024), NZUsize!(10)),
            leader_timeout: Duration::from_secs(1),
            certification_timeout: Duration::from_secs(2),
            timeout_retry: Duration::from_secs(5),
            view_retention: ViewDelta::new(10),
            skip: SkipPolicy::Enabled {
                timeout: Duration::from_secs(10),
                budget: SkipBudget::Participants,
            },
            fetch_timeout: NZDuration!(Duration::from_secs(1)),
            fetch_retry_delay: Duration::from_millis(100),
            forward: ForwardPolicy::Disabled,
        };
        let context = self
            .context
            .child("validator")
            .with_attribute("index", index);
        let engine = simplex::Engine::new(context.child("engine"), config);
        self.engines[index] = Some(engine.start(votes, certificates, resolver));
    }

    /// Stops validator `index` abruptly; its journal stays in the runtime's storage.
    pub async fn crash(&mut self, index: usize) {
        let engine = self.engines[index].take().expect("validator is running");
        engine.abort();
        let _ = engine.await;
    }

    /// The highest view any validator finalized.
    pub fn highest_finalized(&self) -> u64 {
        self.logs.iter().map(Log::last_finalized).max().unwrap_or(0)
    }

    /// Waits until every validator in `nodes` has finalized `view`; panics if that takes
    /// longer than `limit` of simulated time.
    pub async fn await_finalized(&self, nodes: &[usize], view: u64, limit: Duration) {
        self.await_all(nodes, limit, &format!("finalize view {view}"), |log| {
            log.last_finalized() >= view
        })
        .await;
    }

    /// Waits until every validator in `nodes` has finalized `count` views after `view`;
    /// panics if that takes longer than `limit` of simulated time.
    pub async fn await_finalizations_after(
        &self,
        nodes: &[usize],
        view: u64,
        count: usize,
        limit: Duration,
    ) {
        let goal = format!("finalize {count} views after view {view}");
        self.await_all(nodes, limit, &goal, |log| {
            log.observed().finalized.range(view + 1..).count() >= count
        })
        .await;
    }

    async fn await_all(
        &self,
        nodes: &[usize],
        limit: Duration,
        goal: &str,
        reached: impl Fn(&Log) -> bool,
    ) {
        let deadline = self.context.current() + limit;
        while !nodes.iter().all(|&i| reached(&self.logs[i])) {
            if self.context.current() > deadline {
                let last: Vec<u64> = nodes
                    .iter()
                    .map(|&i| self.logs[i].last_finalized())
                    .collect();
                panic!(
                    "validators {nodes:?} did not all {goal} within {limit:?}; last finalized {last:?}"
                );
            }
            self.context.sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Runs `scenario` on a fresh [`Cluster`] over lossy links in a deterministic runtime seeded
/// with `seed` (bounded at an hour of simulated time).
pub fn simulate<T, F: Future<Output = T>>(seed: u64, scenario: impl FnOnce(Cluster) -> F) -> T {
    let config = deterministic::Config::new()
        .with_seed(seed)
        .with_timeout(Some(Duration::from_secs(3_600)));
    deterministic::Runner::new(config)
        .start(|context| async move { scenario(Cluster::new(context, lossy_link()).await).await })
}

/// Ordered pairs `(a, b)`, `a != b`, that `select` picks.
fn pairs(select: impl Fn(usize, usize) -> bool) -> Vec<(usize, usize)> {
    (0..VALIDATORS)
        .flat_map(|a| (0..VALIDATORS).map(move |b| (a, b)))
        .filter(|&(a, b)| a != b && select(a, b))
        .collect()
}

/// All validators' indices.
pub fn everyone() -> Vec<usize> {
    (0..VALIDATORS).collect()
}
