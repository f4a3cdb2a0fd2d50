//! The follower trusts no peer: it commits served blocks only under a finality proof that
//! checks against the committee, for a block that extends its own chain.

use super::*;
use alloy_primitives::Address;
use vnt_chain::Genesis;
use vnt_chain::pool::PoolConfig;
use vnt_chain::testing::temp_chain;
use vnt_hubble::block::digest_of;
use vnt_vortex::keys::ValidatorKeys;
use vnt_vortex::testing::{committee, finality_proof};

const T0: u64 = 1_700_000_000;

/// `count` empty blocks built on the dev genesis stamped `T0`, from `start` seconds on.
fn blocks(count: u64, start: u64) -> Vec<LedgerBlock> {
    let (mut chain, _dir) = temp_chain(Genesis::dev(T0));
    (1..=count)
        .map(|number| {
            let built = chain
                .build_block([], T0 + start + number, Address::ZERO)
                .unwrap();
            let stored = chain.block_by_hash(&built.hash).unwrap().unwrap();
            LedgerBlock::new(stored.block)
        })
        .collect()
}

/// A node on the same genesis, at height 0.
fn fresh_node() -> (Arc<Shared>, tempfile::TempDir) {
    let (chain, dir) = temp_chain(Genesis::dev(T0));
    (
        Arc::new(Shared::new(chain, PoolConfig::default(), Address::ZERO)),
        dir,
    )
}

fn served(block: &LedgerBlock, proof: Option<Vec<u8>>) -> Vec<u8> {
    FinalBlock {
        block: block.clone(),
        proof,
    }
    .to_bytes()
}

fn proof_of(keys: &[ValidatorKeys], members: &ConsensusCommittee, block: &LedgerBlock) -> Vec<u8> {
    finality_proof(keys, members, 5, digest_of(block.hash()), 3).unwrap()
}

fn head(shared: &Shared) -> (u64, B256) {
    let chain = shared.chain.read();
    (chain.head().number, chain.head_hash())
}

#[test]
fn unproven_blocks_wait_for_a_proven_descendant_then_commit_in_order() {
    let (keys, members) = committee(0, 4);
    let chain = blocks(3, 0);
    let (shared, _dir) = fresh_node();
    let mut follower = Follower::new(shared.clone(), &members);
    follower.import(1, &served(&chain[0], None)).unwrap();
    follower.import(2, &served(&chain[1], None)).unwrap();
    assert_eq!(head(&shared).0, 0, "nothing is final without a proof");
    assert_eq!(follower.next_height(), 3);
    let proof = proof_of(&keys, &members, &chain[2]);
    follower
        .import(3, &served(&chain[2], Some(proof.clone())))
        .unwrap();
    assert_eq!(head(&shared), (3, chain[2].hash()));
    let stored = shared
        .chain
        .read()
        .store()
        .finality_proof(&chain[2].hash())
        .unwrap();
    assert_eq!(stored, Some(proof), "kept to serve other followers");
}

#[test]
fn a_proof_for_another_block_or_by_another_committee_commits_nothing() {
    let (keys, members) = committee(0, 4);
    let chain = blocks(2, 0);
    let (shared, _dir) = fresh_node();
    let mut follower = Follower::new(shared.clone(), &members);
    let wrong_block = proof_of(&keys, &members, &chain[1]);
    let error = follower
        .import(1, &served(&chain[0], Some(wrong_block)))
        .unwrap_err();
    assert!(error.contains("for another block"), "{error}");
    let (other_keys, other_members) = committee(1, 4);
    let other_epoch = proof_of(&other_keys, &other_members, &chain[0]);
    let error = follower
        .import(1, &served(&chain[0], Some(other_epoch)))
        .unwrap_err();
    assert!(error.contains("epoch 1"), "{error}");
    assert_eq!(head(&shared).0, 0);
}

#[test]
fn a_block_off_the_chain_or_at_the_wrong_height_is_refused() {
    let (_, members) = committee(0, 4);
    let ours = blocks(2, 0);
    let fork = blocks(2, 100);
    let (shared, _dir) = fresh_node();
    let mut follower = Follower::new(shared.clone(), &members);
    let error = follower.import(1, &served(&ours[1], None)).unwrap_err();
    assert!(error.contains("was served block 2"), "{error}");
    follower.import(1, &served(&ours[0], None)).unwrap();
    let error = follower.import(2, &served(&fork[1], None)).unwrap_err();
    assert!(error.contains("does not extend"), "{error}");
    let error = follower.import(2, b"\x00\x00\x00\x09short").unwrap_err();
    assert!(error.contains("claims 9 bytes"), "{error}");
}

#[test]
fn a_long_unproven_run_is_refused_and_a_reset_forgets_it() {
    let (_, members) = committee(0, 4);
    let chain = blocks(MAX_UNPROVEN_RUN as u64 + 1, 0);
    let (shared, _dir) = fresh_node();
    let mut follower = Follower::new(shared.clone(), &members);
    for (index, block) in chain[..MAX_UNPROVEN_RUN].iter().enumerate() {
        follower
            .import(index as u64 + 1, &served(block, None))
            .unwrap();
    }
    let height = MAX_UNPROVEN_RUN as u64 + 1;
    let error = follower
        .import(height, &served(&chain[MAX_UNPROVEN_RUN], None))
        .unwrap_err();
    assert!(error.contains("without a finality proof"), "{error}");
    // The next peer is asked from the stored head, not from what this one served.
    follower.reset();
    assert_eq!(follower.next_height(), 1);
    assert_eq!(head(&shared).0, 0);
}

/// A node at height `count` of `chain`, every block committed with its finality proof.
fn proven_node(count: usize) -> (Arc<Shared>, Vec<LedgerBlock>, tempfile::TempDir) {
    let (keys, members) = committee(0, 4);
    let chain = blocks(count as u64, 0);
    let (shared, dir) = fresh_node();
    let mut follower = Follower::new(shared.clone(), &members);
    for (index, block) in chain.iter().enumerate() {
        let proof = proof_of(&keys, &members, block);
        follower
            .import(index as u64 + 1, &served(block, Some(proof)))
            .unwrap();
    }
    (shared, chain, dir)
}

/// Holds the chain's write lock on a thread of its own, as a long commit would, until the
/// returned sender is dropped; returns once the lock is held.
fn hold_write_lock(shared: &Arc<Shared>) -> std::sync::mpsc::Sender<()> {
    let (locked, is_locked) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let shared = shared.clone();
    std::thread::spawn(move || {
        let _commit = shared.chain.write();
        locked.send(()).unwrap();
        let _ = released.recv();
    });
    is_locked.recv_timeout(DEADLINE).expect("the lock is taken");
    release
}

const DEADLINE: Duration = Duration::from_secs(30);

#[test]
fn a_locked_chain_still_reports_its_head_and_serves_the_proven_blocks_it_served() {
    use vnt_net::SyncSource;
    let (shared, chain, _dir) = proven_node(2);
    let source = Arc::new(ChainSource::new(shared.clone()));
    let first = source.block(1).expect("block 1 is stored");
    let release = hold_write_lock(&shared);
    let (answers, answered) = std::sync::mpsc::channel();
    let reader = source.clone();
    std::thread::spawn(move || {
        let _ = answers.send((reader.status(), reader.block(1), reader.block(2)));
    });
    let (status, cached, uncached) = answered
        .recv_timeout(DEADLINE)
        .expect("answered while the chain is locked");
    assert_eq!(status.height, 2);
    assert_eq!(status.hash, chain[1].hash().0);
    assert_eq!(
        cached,
        Some(first),
        "a proven block is served again from memory"
    );
    assert_eq!(
        uncached, None,
        "a block never read stops the range while busy"
    );
    drop(release);
    let second = source.block(2).expect("served once the commit is over");
    assert_eq!(FinalBlock::from_bytes(&second).unwrap().block, chain[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_get_status_and_blocks_while_a_commit_holds_the_chain_and_gossip_waits() {
    use vnt_chain::testing::{Transfer, signers};
    let (shared, chain, _dir) = proven_node(2);
    let mut settings = NetConfig::new(7, NetConfig::generate_identity());
    settings.listen = "/ip4/127.0.0.1/tcp/0".parse().unwrap();
    let server = join(settings, &shared).await.unwrap();
    let server_id = server.local_peer_id();
    let mut settings = NetConfig::new(7, NetConfig::generate_identity());
    settings.listen = "/ip4/127.0.0.1/tcp/0".parse().unwrap();
    settings.bootnodes = server.listen_addrs().await.unwrap();
    let client_source = Arc::new(ChainSource::new(fresh_node().0));
    let accept_all = Arc::new(|_: &[u8]| Verdict::Accept);
    let (client, _events) = Network::start(settings, client_source, accept_all)
        .await
        .unwrap();
    let served_before = tokio::time::timeout(DEADLINE, async {
        loop {
            match client.blocks(server_id, 1, 2).await {
                Ok(blocks) => return blocks,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await
    .expect("the client reaches the server");
    assert_eq!(served_before.len(), 2);

    let chain_id = shared.chain.read().config().chain_id;
    let transfer = Transfer::new(chain_id, 0, Address::repeat_byte(1), U256::from(1))
        .sign(&signers()[0])
        .to_vec();
    let release = hold_write_lock(&shared);
    // A payable transaction makes the gate wait for the chain on the validation worker.
    tokio::time::timeout(DEADLINE, async {
        while client.publish_transaction(transfer.clone()).await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the server subscribes to transactions");
    let (status, blocks) = tokio::time::timeout(DEADLINE, async {
        (
            client.status(server_id).await,
            client.blocks(server_id, 1, 2).await,
        )
    })
    .await
    .expect("answered while the chain is locked");
    assert_eq!(status.unwrap().hash, chain[1].hash().0);
    assert_eq!(blocks.unwrap(), served_before);
    drop(release);
    tokio::time::timeout(DEADLINE, async {
        while shared.pool.lock().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the gossiped transaction is admitted once the commit is over");
}

/// A node serving proven blocks on the open network, and a fresh node at height 0 that
/// bootstrapped from it.
struct ServedAndFresh {
    server: Arc<Shared>,
    blocks: Vec<LedgerBlock>,
    fresh: Arc<Shared>,
    /// The fresh node's network.
    network: NetHandle,
    _server_network: NetHandle,
    _directories: [tempfile::TempDir; 2],
}

impl ServedAndFresh {
    async fn start(count: usize) -> Self {
        let (server, blocks, server_dir) = proven_node(count);
        let mut settings = NetConfig::new(7, NetConfig::generate_identity());
        settings.listen = "/ip4/127.0.0.1/tcp/0".parse().unwrap();
        let server_network = join(settings, &server).await.unwrap();
        let (fresh, fresh_dir) = fresh_node();
        let mut settings = NetConfig::new(7, NetConfig::generate_identity());
        settings.listen = "/ip4/127.0.0.1/tcp/0".parse().unwrap();
        settings.bootnodes = server_network.listen_addrs().await.unwrap();
        let network = join(settings, &fresh).await.unwrap();
        Self {
            server,
            blocks,
            fresh,
            network,
            _server_network: server_network,
            _directories: [server_dir, fresh_dir],
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_further_behind_than_consensus_fetches_catches_up_before_voting() {
    let behind = vnt_hubble::ledger::MAX_HEARD_AHEAD as usize + 8;
    let nodes = ServedAndFresh::start(behind).await;
    let (_, members) = committee(0, 4);
    let imported = tokio::time::timeout(
        DEADLINE,
        catch_up_before_voting(&nodes.fresh, &nodes.network, &members),
    )
    .await
    .expect("the catch-up ends");
    assert_eq!(imported, behind as u64);
    assert_eq!(head(&nodes.fresh), head(&nodes.server));
    assert_eq!(head(&nodes.fresh).1, nodes.blocks[behind - 1].hash());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_validator_catches_up_only_when_further_behind_than_its_threshold() {
    let nodes = ServedAndFresh::start(20).await;
    let (validator, network, server) = (&nodes.fresh, &nodes.network, &nodes.server);
    let (_, members) = committee(0, 4);
    // Wait until the peers see each other (the first check could find nobody yet).
    tokio::time::timeout(DEADLINE, async {
        while network.best_peer().await.ok().flatten().is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the server is reachable");
    // Within the threshold nothing happens: consensus fetches what is missing itself.
    assert_eq!(
        catch_up_if_behind(validator, network, &members, 20).await,
        0
    );
    assert_eq!(head(validator).0, 0);
    // Past it, the validator syncs to the peer's head.
    let imported = tokio::time::timeout(
        DEADLINE,
        catch_up_if_behind(validator, network, &members, 19),
    )
    .await
    .expect("the catch-up ends");
    assert_eq!(imported, 20);
    assert_eq!(head(validator), head(server));
}
