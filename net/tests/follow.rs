//! Catching up with the finalized chain through the follower helper.

use vnt_net::{
    FollowError, Limits,
    follow::{BlockImporter, FollowOptions, catch_up},
};

use crate::support::{LyingChain, MemoryChain, NodeSpec, block_at, wait_connected};

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
        if Some(height) == self.refuse || block != block_at(height, 24).as_slice() {
            return Err(format!("block {height} does not verify"));
        }
        self.blocks.push(block.to_vec());
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_joiner_catches_up_the_whole_finalized_chain() {
    let a = NodeSpec::new(&[])
        .chain(MemoryChain::new(300, 24))
        .start()
        .await;
    let late = NodeSpec::new(&[&a]).start().await;
    wait_connected(&late, a.peer_id(), "the late joiner connects to A").await;

    let mut store = CheckingStore {
        blocks: Vec::new(),
        refuse: None,
    };
    let options = FollowOptions {
        batch: 32,
        max_requests: 100,
    };
    let caught_up = catch_up(&late.handle, &mut store, options).await.unwrap();

    assert_eq!(caught_up.peer, a.peer_id());
    assert_eq!(caught_up.head, 299);
    assert_eq!(caught_up.imported, 300);
    assert_eq!(store.blocks, MemoryChain::new(300, 24).blocks);
    // One status, ten ranges of at most 32, one final status.
    assert_eq!(caught_up.requests, 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_the_node_refuses_stops_the_catch_up_with_its_height() {
    let a = NodeSpec::new(&[])
        .chain(MemoryChain::new(40, 24))
        .start()
        .await;
    let late = NodeSpec::new(&[&a]).start().await;
    wait_connected(&late, a.peer_id(), "the late joiner connects to A").await;

    let mut store = CheckingStore {
        blocks: Vec::new(),
        refuse: Some(17),
    };
    let error = catch_up(&late.handle, &mut store, FollowOptions::default())
        .await
        .unwrap_err();
    match error {
        FollowError::Rejected {
            peer, height: 17, ..
        } => assert_eq!(peer, a.peer_id()),
        other => panic!("expected Rejected at 17, got {other}"),
    }
    assert_eq!(store.blocks.len(), 17);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catching_up_is_bounded_by_the_request_budget() {
    let a = NodeSpec::new(&[])
        .chain(MemoryChain::new(100, 24))
        .start()
        .await;
    let late = NodeSpec::new(&[&a]).start().await;
    wait_connected(&late, a.peer_id(), "the late joiner connects to A").await;

    let mut store = CheckingStore {
        blocks: Vec::new(),
        refuse: None,
    };
    let options = FollowOptions {
        batch: 10,
        max_requests: 3,
    };
    match catch_up(&late.handle, &mut store, options)
        .await
        .unwrap_err()
    {
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
    let mut store = CheckingStore {
        blocks: Vec::new(),
        refuse: None,
    };
    let error = catch_up(&alone.handle, &mut store, FollowOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, FollowError::NoPeers), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_claims_more_than_it_serves_is_left_for_the_next_best() {
    let honest = NodeSpec::new(&[])
        .chain(MemoryChain::new(100, 24))
        .start()
        .await;
    let liar = NodeSpec::new(&[&honest])
        .chain(LyingChain {
            chain: MemoryChain::new(30, 24),
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

    let mut store = CheckingStore {
        blocks: Vec::new(),
        refuse: None,
    };
    let options = FollowOptions {
        batch: 16,
        max_requests: 100,
    };
    let caught_up = catch_up(&late.handle, &mut store, options).await.unwrap();
    assert_eq!(caught_up.peer, honest.peer_id());
    assert_eq!(caught_up.head, 99);
    assert_eq!(store.blocks, MemoryChain::new(100, 24).blocks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_waits_out_the_peer_rate_limit_instead_of_failing() {
    // Twelve requests against five a second: the follower is refused several times.
    let limits = Limits {
        requests_per_second: 5,
        ..Limits::default()
    };
    let a = NodeSpec::new(&[])
        .chain(MemoryChain::new(100, 24))
        .limits(limits)
        .start()
        .await;
    let late = NodeSpec::new(&[&a]).start().await;
    wait_connected(&late, a.peer_id(), "the late joiner connects to A").await;

    let mut store = CheckingStore {
        blocks: Vec::new(),
        refuse: None,
    };
    let options = FollowOptions {
        batch: 10,
        max_requests: 1_000,
    };
    let caught_up = catch_up(&late.handle, &mut store, options).await.unwrap();
    assert_eq!(caught_up.head, 99);
    assert_eq!(store.blocks, MemoryChain::new(100, 24).blocks);
    assert!(
        caught_up.requests > 12,
        "refused requests count too: {}",
        caught_up.requests
    );
}
