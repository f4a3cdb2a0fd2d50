//! Catching up with the finalized chain through the follower helper.

use vnt_net::{
    FollowError, Limits, PeerId,
    follow::{BlockImporter, CaughtUp, FollowOptions, catch_up},
};

use crate::support::{LyingChain, MemoryChain, Node, NodeSpec, block_at, wait_connected};

/// Padding of every block served here, which `CheckingStore` expects.
const PAD: usize = 24;

/// A store that checks each block is the one expected at its height, and can be told to
/// refuse one height.
struct CheckingStore {
    blocks: Vec<Vec<u8>>,
    refuse: Option<u64>,
}

impl BlockImporter for CheckingStore {
    fn next_height(&self) -> u64 {
        self.blocks.len() as u64
    }

    fn import(&mut self, height: u64, block: &[u8]) -> Result<(), String> {
        if Some(height) == self.refuse || block != block_at(height, PAD).as_slice() {
            return Err(format!("block {height} does not verify"));
        }
        self.blocks.push(block.to_vec());
        Ok(())
    }
}

impl CheckingStore {
    fn accepting() -> Self {
        Self {
            blocks: Vec::new(),
            refuse: None,
        }
    }

    fn refusing(height: u64) -> Self {
        Self {
            refuse: Some(height),
            ..Self::accepting()
        }
    }
}

/// What one catch-up did: its outcome and the blocks the store took.
struct Run {
    outcome: Result<CaughtUp, FollowError>,
    stored: Vec<Vec<u8>>,
}

/// A node serving the first `blocks` blocks of the chain `CheckingStore` checks against.
fn serving(blocks: u64) -> NodeSpec {
    NodeSpec::new(&[]).chain(MemoryChain::new(blocks, PAD))
}

/// Starts `source` and a late joiner connected to it, then catches the late joiner up into
/// `store`; returns the source's peer id and the run.
async fn catch_up_from(
    source: NodeSpec,
    store: CheckingStore,
    options: FollowOptions,
) -> (PeerId, Run) {
    let (source, late) = source.start_with_peer().await;
    (source.peer_id(), catch_up_into(&late, store, options).await)
}

async fn catch_up_into(node: &Node, mut store: CheckingStore, options: FollowOptions) -> Run {
    let outcome = catch_up(&node.handle, &mut store, options).await;
    Run {
        outcome,
        stored: store.blocks,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_joiner_catches_up_the_whole_finalized_chain() {
    let options = FollowOptions {
        batch: 32,
        max_requests: 100,
    };
    let (source, run) = catch_up_from(serving(300), CheckingStore::accepting(), options).await;

    let caught_up = run.outcome.unwrap();
    assert_eq!(caught_up.peer, source);
    assert_eq!(caught_up.head, 299);
    assert_eq!(caught_up.imported, 300);
    assert_eq!(run.stored, MemoryChain::new(300, PAD).blocks);
    // One status, ten ranges of at most 32, one final status.
    assert_eq!(caught_up.requests, 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_the_node_refuses_stops_the_catch_up_with_its_height() {
    let store = CheckingStore::refusing(17);
    let (source, run) = catch_up_from(serving(40), store, FollowOptions::default()).await;

    match run.outcome.unwrap_err() {
        FollowError::Rejected {
            peer, height: 17, ..
        } => assert_eq!(peer, source),
        other => panic!("expected Rejected at 17, got {other}"),
    }
    assert_eq!(run.stored.len(), 17);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catching_up_is_bounded_by_the_request_budget() {
    let options = FollowOptions {
        batch: 10,
        max_requests: 3,
    };
    let (_, run) = catch_up_from(serving(100), CheckingStore::accepting(), options).await;

    match run.outcome.unwrap_err() {
        FollowError::RequestBudgetExhausted {
            requests: 3,
            next: 20,
            head: 99,
        } => {}
        other => panic!("expected RequestBudgetExhausted, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_peers_has_no_one_to_follow() {
    let alone = NodeSpec::new(&[]).start().await;
    let store = CheckingStore::accepting();
    let run = catch_up_into(&alone, store, FollowOptions::default()).await;
    let error = run.outcome.unwrap_err();
    assert!(matches!(error, FollowError::NoPeers), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_claims_more_than_it_serves_is_left_for_the_next_best() {
    let honest = serving(100).start().await;
    let liar = NodeSpec::new(&[&honest])
        .chain(LyingChain {
            chain: MemoryChain::new(30, PAD),
            claimed: 1_000,
        })
        .start()
        .await;
    let late = NodeSpec::new(&[&honest, &liar]).start().await;
    wait_connected(
        &late,
        honest.peer_id(),
        "the late joiner connects to the honest node",
    )
    .await;
    wait_connected(
        &late,
        liar.peer_id(),
        "the late joiner connects to the liar",
    )
    .await;

    let heads = late.handle.peer_heads().await.unwrap();
    assert_eq!(heads[0], (liar.peer_id(), heads[0].1));
    assert_eq!(heads[0].1.height, 1_000);

    let options = FollowOptions {
        batch: 16,
        max_requests: 100,
    };
    let run = catch_up_into(&late, CheckingStore::accepting(), options).await;
    let caught_up = run.outcome.unwrap();
    assert_eq!(caught_up.peer, honest.peer_id());
    assert_eq!(caught_up.head, 99);
    assert_eq!(run.stored, MemoryChain::new(100, PAD).blocks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_waits_out_the_peer_rate_limit_instead_of_failing() {
    // Twelve requests against five a second: the follower is refused several times.
    let limits = Limits {
        requests_per_second: 5,
        ..Limits::default()
    };
    let options = FollowOptions {
        batch: 10,
        max_requests: 1_000,
    };
    let (_, run) = catch_up_from(
        serving(100).limits(limits),
        CheckingStore::accepting(),
        options,
    )
    .await;

    let caught_up = run.outcome.unwrap();
    assert_eq!(caught_up.head, 99);
    assert_eq!(run.stored, MemoryChain::new(100, PAD).blocks);
    assert!(
        caught_up.requests > 12,
        "refused requests count too: {}",
        caught_up.requests
    );
}
