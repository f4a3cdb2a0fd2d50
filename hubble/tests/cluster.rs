//! Seven validators, each with its own `Chain` on parity-db in a temporary directory, running
//! the engine over simplex in commonware's deterministic runtime: the fixture the ledger
//! scenarios build on.
//!
//! Nothing is mocked on the ledger side: every block is executed by every validator and
//! committed to disk. A crash drops a validator's engine *and* its `Chain`; a restart reopens
//! the chain from its directory and replays simplex's journal, so only what was final and on
//! disk survives. Network timing and loss follow the runtime's seed, so a seed replays exactly.

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use commonware_consensus::simplex;
use commonware_consensus::simplex::mocks::conflicter::{Config as ConflicterConfig, Conflicter};
use commonware_cryptography::ed25519;
use commonware_cryptography::keccak256::Keccak256;
use commonware_p2p::simulated::{self, Link, Network, Oracle};
use commonware_p2p::utils::mux::Muxer;
use commonware_runtime::buffer::paged::CacheRef;
use commonware_runtime::{Clock, Handle, Quota, Runner, Spawner, Supervisor, deterministic};
use commonware_utils::{NZU16, NZU32, NZUsize, probability};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tempfile::TempDir;
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::node::Shared;
use vnt_chain::pool::PoolConfig;
use vnt_chain::staking::hook::consensus_committee;
use vnt_chain::staking::seal::Sealer;
use vnt_chain::testing::{Transfer, signers};
use vnt_chain::tx::VerifiedTx;
use vnt_chain::{Chain, ChainConfig, Genesis};
use vnt_hubble::application::{Application, SharedLedger};
use vnt_hubble::block::{MAX_BLOCK_BYTES, digest_of};
use vnt_hubble::engine::{EngineSettings, EpochEngines};
use vnt_hubble::ledger::Ledger;
use vnt_hubble::report::EvidenceReporter;
use vnt_vortex::keys::ValidatorKeys;
use vnt_vortex::scheme::{BlockDigest, ConsensusCommittee, VortexScheme};

/// Committee size (issue 7: seven validators).
pub const VALIDATORS: usize = 7;
/// Transfers each validator has pre-signed and submits to its own pool (so it offers them
/// when it leads).
pub const TRANSFERS_PER_VALIDATOR: u64 = 24;
/// The value of every transfer, in wei.
pub const TRANSFER_VALUE: u64 = 1_000;
/// Vote, certificate, resolver (simplex) and block (the application) channels.
const CHANNELS: [u64; 4] = [0, 1, 2, 3];

type Identity = ed25519::PublicKey;
type BlockSender = simulated::Sender<Identity, deterministic::Context>;

/// The genesis every validator opens its chain from (block time starts at the simulated
/// clock's zero).
pub fn genesis() -> Genesis {
    Genesis::dev(0)
}

/// Where validator `index`'s transfers go: one recipient per validator, so each balance
/// counts one validator's included transfers.
pub fn recipient(index: usize) -> Address {
    Address::with_last_byte(0xA0 + index as u8)
}

/// Validator `index`'s pre-signed transfers (signed once per test binary: signing is the
/// slow part and the bytes never change).
fn transfers(index: usize) -> Vec<VerifiedTx> {
    static SIGNED: OnceLock<Vec<Vec<VerifiedTx>>> = OnceLock::new();
    SIGNED.get_or_init(|| {
        let config = ChainConfig::new(DEV_CHAIN_ID);
        let signers = signers();
        (0..VALIDATORS)
            .map(|v| {
                (0..TRANSFERS_PER_VALIDATOR)
                    .map(|nonce| {
                        Transfer::new(
                            DEV_CHAIN_ID,
                            nonce,
                            recipient(v),
                            U256::from(TRANSFER_VALUE),
                        )
                        .verified(&signers[v], &config)
                    })
                    .collect()
            })
            .collect()
    })[index]
        .clone()
}

/// The seven devnet validators' keys under `seed`.
pub fn devnet_keys(seed: u64) -> Vec<ValidatorKeys> {
    (0..VALIDATORS as u32)
        .map(|index| ValidatorKeys::devnet(seed, index))
        .collect()
}

/// A temporary directory for one validator's chain. parity-db syncs every commit; on a
/// disk those syncs, not the simulation, would dominate the test's time, so the directory
/// is on a memory-backed filesystem when there is one (same files, same code path).
fn chain_directory() -> TempDir {
    let memory = std::path::Path::new("/dev/shm");
    let directory = if memory.is_dir() {
        tempfile::tempdir_in(memory)
    } else {
        tempfile::tempdir()
    };
    directory.expect("a temporary directory")
}

/// A lossy wide-area link: 50 ms ± 10 ms, one message in a hundred lost.
pub fn lossy_link() -> Link {
    Link {
        latency: Duration::from_millis(50),
        jitter: Duration::from_millis(10),
        success_rate: probability!(99, 100),
    }
}

type ValidatorApp = Application<deterministic::Context, BlockSender>;
type Channel = (BlockSender, simulated::Receiver<Identity>);

/// One validator's running parts; dropped (aborted) on a crash.
struct Running {
    ledger: SharedLedger,
    application: ValidatorApp,
    tasks: Vec<Handle<()>>,
}

/// Seven ledger validators on a simulated network.
pub struct Cluster {
    pub context: deterministic::Context,
    oracle: Oracle<Identity, deterministic::Context>,
    keys: Vec<ValidatorKeys>,
    committee: ConsensusCommittee,
    /// The genesis every validator opens its chain from.
    genesis: Genesis,
    directories: Vec<TempDir>,
    running: Vec<Option<Running>>,
    /// The key each validator reports evidence with, if it does.
    reporters: Vec<Option<PrivateKeySigner>>,
    /// The floor every engine starts from: the genesis block's hash.
    genesis_digest: BlockDigest,
}

impl Cluster {
    /// Builds the committee, the network (every pair linked by `link`) and the validators'
    /// directories; starts nothing.
    pub async fn new(context: deterministic::Context, link: Link) -> Self {
        let (keys, committee) =
            ConsensusCommittee::devnet(DEV_CHAIN_ID, 0, 7, VALIDATORS as u32).expect("committee");
        Self::with_committee(context, link, genesis(), keys, committee).await
    }

    /// As [`Cluster::new`] on a chain of validators opened from `genesis`, which bonds the
    /// validators holding `keys` (blocks sealed, one consensus engine per staking epoch):
    /// the contract's committee of epoch 0 votes first.
    pub async fn staked(
        context: deterministic::Context,
        link: Link,
        genesis: Genesis,
        keys: Vec<ValidatorKeys>,
    ) -> Self {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let chain = Chain::open(directory.path(), genesis.clone()).expect("the genesis opens");
        let committee = consensus_committee(chain.state(), DEV_CHAIN_ID, 0)
            .expect("genesis draws the committee of epoch 0");
        let ordered = committee.in_participant_order(keys);
        Self::with_committee(context, link, genesis, ordered, committee).await
    }

    /// The staking accounts of epoch 0's committee; validator `i` is its participant `i`.
    pub fn first_members(&self) -> Vec<Address> {
        let members = self.committee.members().iter();
        members.map(|member| Address::from(member.id)).collect()
    }

    /// As [`Cluster::new`], with chains opened from `genesis` and `committee` voting in epoch
    /// zero (`keys` in its participant order).
    pub async fn with_committee(
        context: deterministic::Context,
        link: Link,
        genesis: Genesis,
        keys: Vec<ValidatorKeys>,
        committee: ConsensusCommittee,
    ) -> Self {
        assert_eq!(committee.members().len(), VALIDATORS, "committee size");
        let max_size = commonware_p2p::max_message_size(&[
            simplex::max_payload_size::<VortexScheme, BlockDigest>(VALIDATORS as u32),
            // A block message: tag, length prefix, RLP.
            1 + 4 + MAX_BLOCK_BYTES,
        ]);
        let (network, oracle) = Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size,
                max_peers_per_set: NZUsize!(VALIDATORS),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            committee.identities(),
        )
        .await;
        network.start();
        let genesis_hash = vnt_chain::chain::genesis_block_hash(&genesis);
        let cluster = Self {
            context,
            oracle,
            keys,
            committee,
            genesis,
            directories: (0..VALIDATORS).map(|_| chain_directory()).collect(),
            running: (0..VALIDATORS).map(|_| None).collect(),
            reporters: (0..VALIDATORS).map(|_| None).collect(),
            genesis_digest: digest_of(genesis_hash),
        };
        cluster.link(|_, _| true, &link).await;
        cluster
    }

    fn identity(&self, index: usize) -> Identity {
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

    /// Registers validator `index`'s channels: votes, certificates, resolver, blocks.
    async fn channels(&self, index: usize) -> Vec<Channel> {
        let control = self.oracle.control(self.identity(index));
        let quota = Quota::per_second(NZU32!(10_000));
        let mut channels = Vec::new();
        for channel in CHANNELS {
            channels.push(control.register(channel, quota).await.expect("register"));
        }
        channels
    }

    /// From its next start, validator `index` reports the evidence it sees on chain,
    /// signing and paying with `signer`.
    pub fn report_evidence_with(&mut self, index: usize, signer: PrivateKeySigner) {
        self.reporters[index] = Some(signer);
    }

    /// Starts validator `index` as commonware's byzantine `Conflicter`: it signs two
    /// conflicting votes for every vote it sees, and does nothing else (no chain, no blocks).
    pub async fn start_conflicter(&self, index: usize) -> Handle<()> {
        let (sender, receiver) = self.channels(index).await.remove(0);
        let context = self
            .context
            .child("byzantine")
            .with_attribute("index", index);
        // Votes travel on their epoch's subchannel; the conflicter votes in epoch 0.
        let (muxer, mut epochs) = Muxer::new(context.child("mux"), sender, receiver);
        muxer.start();
        let votes = epochs.register(0).await.expect("epoch 0's votes");
        let scheme = self.committee.signer(&self.keys[index]).expect("member");
        let conflicter: Conflicter<_, _, Keccak256> =
            Conflicter::new(context, ConflicterConfig { scheme });
        conflicter.start(votes)
    }

    /// Starts validator `index`: opens (or reopens) its chain, pools its transfers, starts
    /// the application's tasks and the simplex engine (replaying its journal on a restart).
    pub async fn start(&mut self, index: usize) {
        assert!(self.running[index].is_none(), "validator {index} runs");
        let chain =
            Chain::open(self.directories[index].path(), self.genesis.clone()).expect("chain opens");
        let beneficiary = Address::with_last_byte(index as u8 + 1);
        let shared = Arc::new(Shared::new(chain, PoolConfig::default(), beneficiary));
        let restarted = shared.chain.read().head().number > 0;
        for transfer in transfers(index) {
            let admitted = shared.submit(transfer);
            // After a restart the final chain may already hold some (their nonce is used).
            assert!(restarted || admitted.is_ok(), "{admitted:?}");
        }
        let takes_seals = shared.chain.read().takes_seals();
        let sealer = takes_seals.then(|| Sealer::new(&self.keys[index]));
        let ledger = SharedLedger::new(Ledger::new(shared.clone(), sealer));

        let mut channels = self.channels(index).await;
        let (block_sender, block_receiver) = channels.pop().unwrap();
        let resolver = channels.pop().unwrap();
        let certificates = channels.pop().unwrap();
        let votes = channels.pop().unwrap();

        let context = self
            .context
            .child("validator")
            .with_attribute("index", index);
        let mut app: ValidatorApp =
            Application::new(context.child("application"), ledger.clone(), block_sender);
        if let Some(signer) = self.reporters[index].clone() {
            let identity = self.keys[index].public().identity;
            let reporter = EvidenceReporter::new(signer, identity, shared);
            app = app.with_evidence_reporter(Arc::new(reporter));
        }
        let server = app.clone();
        let committer = app.clone();
        let serve = context
            .child("blocks")
            .spawn(move |_| server.serve_blocks(block_receiver));
        let commit = context
            .child("commit")
            .spawn(move |_| committer.commit_finalized());
        let engines = EpochEngines {
            context: context.child("epochs"),
            settings: EngineSettings {
                leader_timeout: Duration::from_secs(1),
                certification_timeout: Duration::from_secs(2),
                timeout_retry: Duration::from_secs(5),
                skip_timeout: Duration::from_secs(10),
                page_cache: CacheRef::new(NZU16!(1024), NZUsize!(10)),
                partition: format!("hubble-{index}"),
            },
            app: app.clone(),
            keys: self.keys[index].clone(),
            blocker: self.oracle.control(self.identity(index)),
            first_committee: self.committee.clone(),
            genesis: self.genesis_digest,
        };
        let engine = context.child("engines").spawn(move |context| {
            engines
                .with_context(context)
                .run(votes, certificates, resolver)
        });
        self.running[index] = Some(Running {
            ledger,
            application: app,
            tasks: vec![engine, serve, commit],
        });
    }

    /// Stops validator `index` abruptly and closes its chain: only what reached its disk
    /// (final blocks, simplex's journal) survives.
    pub async fn crash(&mut self, index: usize) {
        let Running {
            ledger,
            application,
            tasks,
        } = self.running[index].take().expect("validator is running");
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
        // The application holds the ledger too.
        drop(application);
        // Waiting proposals and verifications notice their closed answer within a retry.
        let mut ledger = ledger;
        for _ in 0..100 {
            match ledger.try_into_inner() {
                Ok(inner) => {
                    // The last reference to its `Shared`: the chain closes here.
                    drop(inner);
                    return;
                }
                Err(shared) => ledger = shared,
            }
            self.context.sleep(Duration::from_millis(100)).await;
        }
        panic!("validator {index}'s ledger is still shared 10 s after its crash");
    }

    /// Reads validator `index`'s chain (running or not: a stopped one is reopened).
    pub fn with_chain<T>(&self, index: usize, read: impl FnOnce(&Chain) -> T) -> T {
        match &self.running[index] {
            Some(running) => running.ledger.lock().with_chain(read),
            None => {
                let chain = Chain::open(self.directories[index].path(), self.genesis.clone())
                    .expect("a stopped validator's chain reopens");
                read(&chain)
            }
        }
    }

    /// The encoded evidence of every fault simplex reported to validator `index` since it
    /// (last) started; none if it is not running.
    pub fn evidence(&self, index: usize) -> Vec<Vec<u8>> {
        self.running[index]
            .as_ref()
            .map_or_else(Vec::new, |running| running.application.evidence())
    }

    /// Validator `index`'s finalized height.
    pub fn height(&self, index: usize) -> u64 {
        self.with_chain(index, |chain| chain.head().number)
    }

    /// Waits until every validator in `nodes` has finalized height `goal`; panics if that
    /// takes longer than `limit` of simulated time.
    pub async fn await_height(&self, nodes: &[usize], goal: u64, limit: Duration) {
        let deadline = self.context.current() + limit;
        while !nodes.iter().all(|&i| self.height(i) >= goal) {
            if self.context.current() > deadline {
                let heights: Vec<u64> = nodes.iter().map(|&i| self.height(i)).collect();
                panic!(
                    "validators {nodes:?} did not all reach height {goal} in {limit:?}: {heights:?}"
                );
            }
            self.context.sleep(Duration::from_millis(100)).await;
        }
    }

    /// The highest finalized height among `nodes`.
    pub fn highest(&self, nodes: &[usize]) -> u64 {
        nodes.iter().map(|&i| self.height(i)).max().unwrap_or(0)
    }

    /// Canonical `(hash, state root)` of validator `index` at every height up to its head.
    pub fn canonical(&self, index: usize) -> Vec<(B256, B256)> {
        self.with_chain(index, |chain| {
            (0..=chain.head().number)
                .map(|number| {
                    let block = chain
                        .block_by_number(number)
                        .expect("store reads")
                        .expect("a canonical block below the head");
                    (block.hash, block.block.header.state_root)
                })
                .collect()
        })
    }

    /// Validator `index`'s balance of `address` at its head.
    pub fn balance(&self, index: usize, address: Address) -> U256 {
        self.with_chain(index, |chain| {
            chain
                .state()
                .account(&address)
                .map_or(U256::ZERO, |a| a.balance)
        })
    }

    /// How many of validator `sender`'s transfers validator `index`'s canonical chain holds.
    pub fn included_transfers(&self, index: usize, sender: usize) -> u64 {
        let to = recipient(sender);
        self.with_chain(index, |chain| {
            use alloy_consensus::{Transaction, TxEnvelope};
            (1..=chain.head().number)
                .map(|number| {
                    let block = chain.block_by_number(number).unwrap().unwrap();
                    let transactions = &block.block.body.transactions;
                    let to_recipient = |tx: &&TxEnvelope| Transaction::to(*tx) == Some(to);
                    transactions.iter().filter(to_recipient).count() as u64
                })
                .sum()
        })
    }
}

/// Runs `scenario` on a fresh [`Cluster`] over lossy links in a deterministic runtime seeded
/// with `seed` (bounded at an hour of simulated time).
pub fn simulate<T, F: Future<Output = T>>(seed: u64, scenario: impl FnOnce(Cluster) -> F) -> T {
    run_seeded(seed, |context| async move {
        scenario(Cluster::new(context, lossy_link()).await).await
    })
}

/// Runs `scenario` in a deterministic runtime seeded with `seed` (bounded at an hour of
/// simulated time).
pub fn run_seeded<T, F: Future<Output = T>>(
    seed: u64,
    scenario: impl FnOnce(deterministic::Context) -> F,
) -> T {
    let config = deterministic::Config::new()
        .with_seed(seed)
        .with_timeout(Some(Duration::from_secs(3_600)));
    deterministic::Runner::new(config).start(scenario)
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
