//! Serving finalized blocks: status, ranges and their caps, rate limits, malformed requests.

use libp2p::futures::future::join_all;
use vnt_net::{Limits, SyncError};

use crate::support::{
    MemoryChain, NodeSpec, RogueClient, RogueServer, block_at, hash_of_height, wait_connected,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_serves_status_and_ranges_capped_by_count_bytes_and_head() {
    // 50 blocks of 8 + 92 = 100 bytes; a response holds 5 header bytes plus 104 per block, so
    // 1000 bytes fit nine blocks.
    let limits = Limits {
        max_blocks_per_response: 16,
        max_response_bytes: 1000,
        ..Limits::default()
    };
    let (a, b) = NodeSpec::new(&[])
        .chain(MemoryChain::new(50, 92))
        .limits(limits)
        .start_with_peer()
        .await;
    let peer = a.peer_id();

    let status = b.handle.status(peer).await.unwrap();
    assert_eq!(status.height, 49);
    assert_eq!(status.hash, hash_of_height(49));

    let first = b.handle.blocks(peer, 0, 5).await.unwrap();
    assert_eq!(first, (0..5).map(|h| block_at(h, 92)).collect::<Vec<_>>());

    let by_bytes = b.handle.blocks(peer, 10, 100).await.unwrap();
    assert_eq!(
        by_bytes,
        (10..19).map(|h| block_at(h, 92)).collect::<Vec<_>>()
    );

    let tail = b.handle.blocks(peer, 47, 5).await.unwrap();
    assert_eq!(tail, (47..50).map(|h| block_at(h, 92)).collect::<Vec<_>>());

    assert!(b.handle.blocks(peer, 50, 5).await.unwrap().is_empty());
    assert!(b.handle.blocks(peer, u64::MAX, 5).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_count_cap_applies_when_bytes_allow_more() {
    let limits = Limits {
        max_blocks_per_response: 16,
        ..Limits::default()
    };
    let (a, b) = NodeSpec::new(&[])
        .chain(MemoryChain::new(100, 0))
        .limits(limits)
        .start_with_peer()
        .await;
    let blocks = b.handle.blocks(a.peer_id(), 3, 100).await.unwrap();
    assert_eq!(blocks, (3..19).map(|h| block_at(h, 0)).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_sync_bytes_get_the_sender_banned_and_others_are_still_served() {
    let (mut a, b) = NodeSpec::new(&[])
        .chain(MemoryChain::new(10, 0))
        .start_with_peer()
        .await;

    let mut rogue = RogueClient::new();
    let reply = rogue.send(&a, vec![0xFF, 1, 2, 3]).await;
    // The node closes the stream without a response (the raw client reads that as no bytes).
    assert!(
        reply.is_err() || matches!(&reply, Ok(bytes) if bytes.is_empty()),
        "a malformed request got an answer: {reply:?}"
    );
    let (banned, reason) = a.receive_ban().await;
    assert_eq!(banned, rogue.peer_id());
    assert!(
        reason.contains("unknown message tag 0xff"),
        "reason: {reason}"
    );

    // A well-formed request from the banned client is turned away too.
    let valid = vnt_net::SyncRequest::Status.encode();
    assert!(rogue.send(&a, valid).await.is_err());

    let status = b.handle.status(a.peer_id()).await.unwrap();
    assert_eq!(status.height, 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_over_its_request_rate_is_refused_by_name() {
    let limits = Limits {
        requests_per_second: 2,
        ..Limits::default()
    };
    let (a, b) = NodeSpec::new(&[]).limits(limits).start_with_peer().await;
    let peer = a.peer_id();
    let answers = join_all((0..8).map(|_| b.handle.status(peer))).await;
    let served = answers.iter().filter(|answer| answer.is_ok()).count();
    let refused = answers
        .iter()
        .filter(|answer| matches!(answer, Err(SyncError::RateLimited { peer: p }) if *p == peer))
        .count();
    assert!(served >= 2, "the burst of two must be served: {answers:?}");
    assert!(
        refused >= 1,
        "eight requests at once exceed two a second: {answers:?}"
    );
    assert_eq!(served + refused, 8, "{answers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_oversized_and_overfull_responses_are_named_errors() {
    let limits = Limits {
        max_response_bytes: 1000,
        ..Limits::default()
    };
    let mut b = NodeSpec::new(&[]).limits(limits).start().await;

    let garbage = RogueServer::spawn(vec![0xEE, 0, 0]).await;
    b.handle.dial(garbage.address.clone()).await.unwrap();
    wait_connected(&b, garbage.peer_id, "B connects to the garbage server").await;
    match b.handle.status(garbage.peer_id).await {
        Err(SyncError::MalformedResponse { peer, reason }) => {
            assert_eq!(peer, garbage.peer_id);
            assert!(reason.contains("unknown message tag 0xee"), "{reason}");
        }
        other => panic!("expected MalformedResponse, got {other:?}"),
    }
    let (banned, _) = b.receive_ban().await;
    assert_eq!(banned, garbage.peer_id);

    let huge = vnt_net::SyncResponse::Blocks(vec![vec![0; 2000]]).encode();
    let oversized = RogueServer::spawn(huge).await;
    b.handle.dial(oversized.address.clone()).await.unwrap();
    wait_connected(&b, oversized.peer_id, "B connects to the oversized server").await;
    match b.handle.blocks(oversized.peer_id, 0, 1).await {
        Err(SyncError::MalformedResponse { reason, .. }) => {
            assert!(reason.contains("longer than 1000 bytes"), "{reason}");
        }
        other => panic!("expected MalformedResponse, got {other:?}"),
    }

    let three = vnt_net::SyncResponse::Blocks(vec![vec![1], vec![2], vec![3]]).encode();
    let overfull = RogueServer::spawn(three).await;
    b.handle.dial(overfull.address.clone()).await.unwrap();
    wait_connected(&b, overfull.peer_id, "B connects to the overfull server").await;
    match b.handle.blocks(overfull.peer_id, 0, 2).await {
        Err(SyncError::TooManyBlocks {
            asked: 2, got: 3, ..
        }) => {}
        other => panic!("expected TooManyBlocks, got {other:?}"),
    }
    match b.handle.status(overfull.peer_id).await {
        Err(SyncError::WrongResponseKind {
            asked: "status", ..
        }) => {}
        other => panic!("expected WrongResponseKind, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_of_another_chain_connects_but_is_not_served() {
    let a = NodeSpec::new(&[])
        .chain(MemoryChain::new(10, 0))
        .start()
        .await;
    let stranger = NodeSpec::new(&[&a]).chain_id(8).start().await;
    wait_connected(&stranger, a.peer_id(), "the other chain's node reaches A").await;
    match stranger.handle.status(a.peer_id()).await {
        Err(SyncError::UnsupportedProtocol { peer }) => assert_eq!(peer, a.peer_id()),
        other => panic!("expected UnsupportedProtocol, got {other:?}"),
    }
    match stranger
        .handle
        .publish_transaction(b"transfer".to_vec())
        .await
    {
        Err(vnt_net::NetError::NoGossipPeers) => {}
        other => panic!("A shares no topic with chain 8, got {other:?}"),
    }
}
