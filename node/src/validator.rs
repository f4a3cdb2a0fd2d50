//! `vnt node --config FILE`: one validator of a Hubble network on real sockets.
//!
//! The node runs inside commonware's tokio runtime (its `Runner` builds the tokio runtime;
//! jsonrpsee runs on it unchanged). Validators talk consensus over commonware-p2p's
//! `authenticated::lookup` network: a fixed list of validators with known addresses,
//! connections authenticated by each validator's ed25519 identity key. On it run simplex's
//! three channels (votes, certificates, resolver) and the engine's block channel; the
//! ledger (`vnt_hubble`) works over the same [`Shared`] chain and pool as the JSON-RPC
//! server, so transactions sent over RPC reach this validator's proposals and RPC reads
//! the finalized chain.

use crate::config::{Role, ValidatorConfig};
use crate::open_network;
use commonware_codec::Encode;
use commonware_consensus::simplex;
use commonware_cryptography::{ChaCha20Poly1305, ed25519};
use commonware_p2p::authenticated::lookup;
use commonware_p2p::{Address as PeerAddress, AddressableManager};
use commonware_runtime::buffer::paged::CacheRef;
use commonware_runtime::{Quota, Runner, Spawner, Supervisor, tokio as cw_tokio};
use commonware_stream::cups::{self, Cups};
use commonware_stream::sake::{self, Sake};
use commonware_utils::ordered::Map;
use commonware_utils::{NZU16, NZU32, NZUsize};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use vnt_chain::Chain;
use vnt_chain::node::Shared;
use vnt_chain::pool::PoolConfig;
use vnt_chain::staking::hook::consensus_committee;
use vnt_chain::staking::seal::Sealer;
use vnt_hubble::application::{Application, SharedLedger};
use vnt_hubble::block::{MAX_BLOCK_BYTES, digest_of};
use vnt_hubble::engine::{EngineSettings, EpochEngines};
use vnt_hubble::epochs::consensus_epoch_length;
use vnt_hubble::ledger::Ledger;
use vnt_hubble::report::EvidenceReporter;
use vnt_vortex::scheme::{BlockDigest, ConsensusCommittee, VortexScheme};

/// simplex's vote, certificate and resolver channels, and the engine's block channel.
const VOTES: u64 = 0;
const CERTIFICATES: u64 = 1;
const RESOLVER: u64 = 2;
const BLOCKS: u64 = 3;

/// How long a view waits for its leader's proposal. A proposal may wait up to a second for
/// the clock (block times strictly increase, see `MAX_PROPOSE_AHEAD_SECS`) and then executes
/// its transactions; peers execute it again before voting.
const LEADER_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a view waits for a certificate once it has a proposal (execution included).
const CERTIFICATION_TIMEOUT: Duration = Duration::from_secs(6);
/// How often a timed-out view re-broadcasts its nullify vote.
const TIMEOUT_RETRY: Duration = Duration::from_secs(10);
/// After this long without progress, leaders that were silent are skipped.
const SKIP_TIMEOUT: Duration = Duration::from_secs(12);

/// Messages per second and channel each peer may send (a view is a handful of messages).
const CHANNEL_RATE: u32 = 10_000;

/// Runs the validator configured in `config_path` until Ctrl-C, SIGTERM or a failure.
pub fn run(config_path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let config = ValidatorConfig::load(config_path)?;
    std::fs::create_dir_all(&config.data_dir)?;
    let chain = Chain::open(&config.data_dir.join("chain"), config.genesis.clone())?;
    let runtime = cw_tokio::Config::new()
        .with_storage_directory(config.data_dir.join("consensus"))
        // Blocks execute on the runtime's threads; WASM contracts need a deep stack.
        .with_thread_stack_size(vnt_chain::execution::EXECUTION_STACK_BYTES)
        .with_worker_threads(3);
    cw_tokio::Runner::new(runtime)
        .start(|context| serve(context, config, chain))
        .map_err(Into::into)
}

async fn serve(
    context: cw_tokio::Context,
    config: ValidatorConfig,
    chain: Chain,
) -> Result<(), String> {
    let committee = epoch_zero_committee(&chain, &config)?;
    let shared = Arc::new(Shared::new(chain, PoolConfig::default(), config.account));
    let (rpc_addr, rpc) = vnt_chain::rpc::start(config.rpc_addr, shared.clone())
        .await
        .map_err(|error| format!("cannot serve JSON-RPC on {}: {error}", config.rpc_addr))?;

    let open_network = match config.open_network.clone() {
        Some(settings) => Some(open_network::join(settings, &shared).await?),
        None => None,
    };
    match (config.role, open_network) {
        (Role::Validator, network) => {
            if let Some(network) = network {
                open_network::catch_up_before_voting(&shared, &network, &committee).await;
                // Consensus fetches blocks only within an epoch (or, without epochs, 1,024
                // blocks) of the head; further behind, the open network brings it back.
                let behind = consensus_epoch_length(&shared.chain.read())
                    .unwrap_or(vnt_hubble::ledger::MAX_HEARD_AHEAD);
                let (shared, committee) = (shared.clone(), committee.clone());
                context
                    .child("keep_up")
                    .spawn(move |_| open_network::keep_up(shared, network, committee, behind));
            }
            start_consensus(&context, &config, &committee, &shared)?
        }
        (Role::Follower, Some(network)) => {
            let shared = shared.clone();
            context
                .child("follow")
                .spawn(move |_| open_network::follow(shared, network, committee));
        }
        (Role::Follower, None) => {
            return Err(
                "a follower syncs over the open network: add an [open_network] \
                        section with bootnodes to its configuration"
                    .into(),
            );
        }
    }

    println!("Data directory: {}", config.data_dir.display());
    println!("Role: {:?}", config.role);
    println!(
        "Validator identity: {}",
        hex_of(&config.keys.public().identity)
    );
    if config.role == Role::Validator {
        println!("Validator network: {}", config.p2p_addr);
    }
    if let Some(settings) = &config.open_network {
        println!(
            "Open network: {}/p2p/{}",
            settings.listen,
            settings.peer_id()
        );
    }

    println!("JSON-RPC (HTTP and WebSocket): http://{rpc_addr}");

    let failure = tokio::select! {
        _ = shutdown_signal() => None,
        reason = shared.failure() => Some(reason),
    };
    // Whoever started the node may have stopped reading; shutting down must not fail on it.
    let _ = writeln!(std::io::stdout(), "Shutting down");
    let _ = rpc.stop();
    rpc.stopped().await;
    match failure {
        Some(reason) => Err(reason),
        None => Ok(()),
    }
}

/// Joins the validators' network and starts simplex over this node's ledger.
fn start_consensus(
    context: &cw_tokio::Context,
    config: &ValidatorConfig,
    committee: &ConsensusCommittee,
    shared: &Arc<Shared>,
) -> Result<(), String> {
    let genesis_digest = digest_of(vnt_chain::chain::genesis_block_hash(&config.genesis));
    let identity: ed25519::PrivateKey = config.keys.identity().clone();
    let own_identity = config.keys.public().identity;
    let validators = committee.identities();
    let max_message_size = commonware_p2p::max_message_size(&[
        simplex::max_payload_size::<VortexScheme, BlockDigest>(validators.len() as u32),
        // A block message: tag, length prefix, RLP.
        1 + 4 + MAX_BLOCK_BYTES,
    ]);
    let chain_id = config.genesis.config.chain_id;
    let namespace = format!("vnt-hubble/{chain_id}/validators").into_bytes();
    let handshake = Cups::<_, ChaCha20Poly1305>::new(
        Sake {
            signer: identity,
            synchrony_bound: Duration::from_secs(5),
            max_handshake_age: Duration::from_secs(10),
            version: sake::Version::V1,
        },
        cups::Version::V1,
    );
    let p2p = lookup::Config::local(
        handshake,
        &namespace,
        config.p2p_addr,
        commonware_p2p::authenticated::peer_set_limit(&validators, &own_identity),
        max_message_size,
        NZUsize!(1_024),
    );
    let (mut network, mut oracle) = lookup::Network::new(context.child("network"), p2p);
    let peers: Map<ed25519::PublicKey, PeerAddress> = config
        .peers
        .iter()
        .map(|(identity, addr)| (identity.clone(), PeerAddress::Symmetric(*addr)))
        .collect::<Vec<_>>()
        .try_into()
        .map_err(|_| "two validators share an identity key".to_string())?;
    let _ = oracle.track(0, peers);
    let quota = Quota::per_second(NZU32!(CHANNEL_RATE));
    let votes = network.register(VOTES, quota);
    let certificates = network.register(CERTIFICATES, quota);
    let resolver = network.register(RESOLVER, quota);
    let (block_sender, block_receiver) = network.register(BLOCKS, quota);

    let sealer = shared
        .chain
        .read()
        .takes_seals()
        .then(|| Sealer::new(&config.keys));
    let ledger = SharedLedger::new(Ledger::new(shared.clone(), sealer));
    let mut app = Application::new(context.child("application"), ledger, block_sender);
    if let Some(signer) = config.evidence_reporter.clone() {
        let reporter = EvidenceReporter::new(signer, own_identity.clone(), shared.clone());
        tracing::info!(account = %reporter.account(), "reporting evidence of double votes");
        app = app.with_evidence_reporter(Arc::new(reporter));
    }
    let server = app.clone();
    let committer = app.clone();
    context
        .child("blocks")
        .spawn(move |_| server.serve_blocks(block_receiver));
    context
        .child("commit")
        .spawn(move |_| committer.commit_finalized());
    let engines = EpochEngines {
        context: context.child("epochs"),
        settings: EngineSettings {
            leader_timeout: LEADER_TIMEOUT,
            certification_timeout: CERTIFICATION_TIMEOUT,
            timeout_retry: TIMEOUT_RETRY,
            skip_timeout: SKIP_TIMEOUT,
            page_cache: CacheRef::new(NZU16!(16_384), NZUsize!(1_000)),
            partition: "hubble".into(),
        },
        app,
        keys: config.keys.clone(),
        blocker: oracle,
        first_committee: committee.clone(),
        genesis: genesis_digest,
    };
    network.start();
    context.child("epochs").spawn(move |context| {
        engines
            .with_context(context)
            .run(votes, certificates, resolver)
    });
    Ok(())
}

/// The committee consensus runs with. When the genesis bonds validators, stake decides: it
/// is the staking contract's committee of epoch 0, and the configuration's list (which gives
/// their network addresses) must name exactly its members. On a chain without bonded
/// validators the list itself votes.
fn epoch_zero_committee(
    chain: &Chain,
    config: &ValidatorConfig,
) -> Result<ConsensusCommittee, String> {
    let chain_id = config.genesis.config.chain_id;
    let staked = match consensus_committee(chain.state(), chain_id, 0) {
        Ok(staked) => staked,
        Err(reason) => {
            tracing::info!(%reason, "no staking committee; the configured validators vote");
            return Ok(config.committee.clone());
        }
    };
    let keys = |committee: &ConsensusCommittee| -> Vec<String> {
        let members = committee.members().iter();
        members.map(|m| hex_of(&m.identity)).collect()
    };
    let bls = |committee: &ConsensusCommittee| -> Vec<Vec<u8>> {
        let members = committee.members().iter();
        members.map(|m| m.bls.encode().to_vec()).collect()
    };
    if keys(&staked) != keys(&config.committee) || bls(&staked) != bls(&config.committee) {
        return Err(format!(
            "the configuration's validators {:?} are not the staking contract's committee of \
             epoch 0 {:?} (identities, hex): list exactly the validators bonded at genesis",
            keys(&config.committee),
            keys(&staked)
        ));
    }
    Ok(staked)
}

/// Resolves on Ctrl-C or SIGTERM (how `vnt devnet` stops its nodes).
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn hex_of(identity: &ed25519::PublicKey) -> String {
    alloy_primitives::hex::encode(identity.encode())
}
