//! Discovery, and gossip of transactions and finalized blocks.

use crate::support::{
    NodeSpec, eventually, publish_block_when_subscribed, publish_when_subscribed, wait_connected,
};
use vnt_net::Limits;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_bootstrapped_to_one_bootnode_find_each_other_and_gossip_reaches_all() {
    let mut a = NodeSpec::new(&[]).start().await;
    let mut b = NodeSpec::new(&[&a]).start().await;
    let c = NodeSpec::new(&[&a]).start().await;

    wait_connected(
        &b,
        c.peer_id(),
        "B discovers and connects to C through Kademlia",
    )
    .await;
    wait_connected(&c, b.peer_id(), "C sees the connection from B").await;

    publish_when_subscribed(&c, b"transfer 1").await;
    a.receive_transaction(b"transfer 1").await;
    b.receive_transaction(b"transfer 1").await;
    assert!(
        c.validator.seen.lock().unwrap().is_empty(),
        "the publisher does not judge its own transaction"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_transaction_stops_at_the_first_hop() {
    // A line X - A - Y: X and Y accept a single connection each, so everything Y receives
    // from X passes through A.
    let single = Limits {
        max_peers: 1,
        ..Limits::default()
    };
    let mut a = NodeSpec::new(&[]).start().await;
    let x = NodeSpec::new(&[&a]).limits(single.clone()).start().await;
    let mut y = NodeSpec::new(&[&a]).limits(single).start().await;
    wait_connected(&a, x.peer_id(), "X connects to A").await;
    wait_connected(&a, y.peer_id(), "Y connects to A").await;

    publish_when_subscribed(&x, b"bad signature").await;
    crate::support::eventually("A judges the bad transaction", || async {
        a.validator.saw(b"bad signature").then_some(())
    })
    .await;

    // A's own transaction travels the same A-to-Y stream after anything A forwarded before,
    // so once Y has it, a forwarded bad transaction would already have reached Y's validator.
    publish_when_subscribed(&a, b"good transfer").await;
    y.receive_transaction(b"good transfer").await;

    assert!(
        !y.validator.saw(b"bad signature"),
        "A forwarded a rejected transaction"
    );
    let score = a.handle.gossip_score(x.peer_id()).await.unwrap().unwrap();
    assert!(
        score < -80.0,
        "X's gossip score at A is {score}, not graylisted"
    );
    assert!(!a.drain_transactions().contains(&b"bad signature".to_vec()));
    assert!(!y.drain_transactions().contains(&b"bad signature".to_vec()));
    let y_peers = y.handle.connected_peers().await.unwrap();
    assert_eq!(
        y_peers,
        vec![a.peer_id()],
        "Y must only be connected to A for this test to mean anything"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_transaction_is_refused_before_it_is_sent() {
    let limits = Limits {
        max_message_bytes: 100,
        ..Limits::default()
    };
    let node = NodeSpec::new(&[]).limits(limits).start().await;
    match node.handle.publish_transaction(vec![0; 101]).await {
        Err(vnt_net::NetError::TransactionTooLarge {
            size: 101,
            max: 100,
        }) => {}
        other => panic!("expected TransactionTooLarge, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gossiped_finalized_block_reaches_a_peer_and_a_rejected_one_costs_the_sender_score() {
    let a = NodeSpec::new(&[]).start().await;
    let mut b = NodeSpec::new(&[&a]).start().await;
    wait_connected(&b, a.peer_id(), "B connects to A").await;

    publish_block_when_subscribed(&a, b"block 1").await;
    let source = b.receive_block(b"block 1").await;
    assert_eq!(source, a.peer_id());
    match a.handle.publish_block(b"block 1".to_vec()).await {
        Err(vnt_net::NetError::AlreadyPublished) => {}
        other => panic!("expected AlreadyPublished, got {other:?}"),
    }

    a.handle.publish_block(b"bad block".to_vec()).await.unwrap();
    eventually("B judges the bad block", || async {
        b.validator.saw(b"bad block").then_some(())
    })
    .await;
    // B emits an accepted block's event in the same step as judging it.
    let mut later = Vec::new();
    while let Ok(event) = b.events.try_recv() {
        later.push(event);
    }
    assert!(
        !later.iter().any(|event| matches!(
            event,
            vnt_net::NetEvent::Block { .. } | vnt_net::NetEvent::Transaction { .. }
        )),
        "{later:?}"
    );
    let score = b.handle.gossip_score(a.peer_id()).await.unwrap().unwrap();
    assert!(
        score < -80.0,
        "A's score at B is {score} after a rejected block"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_validator_only_judges_transactions_is_not_handed_blocks() {
    let a = NodeSpec::new(&[]).start().await;
    let mut b = NodeSpec::new(&[&a]).transactions_only().start().await;
    wait_connected(&a, b.peer_id(), "B connects to A").await;

    // Sent first on the same stream: by the time B delivers the transaction, it has judged
    // the block.
    publish_block_when_subscribed(&a, b"block 1").await;
    publish_when_subscribed(&a, b"transfer").await;
    let mut delivered = Vec::new();
    tokio::time::timeout(crate::support::DEADLINE, async {
        while let Some(event) = b.events.recv().await {
            let done = matches!(&event, vnt_net::NetEvent::Transaction { bytes, .. } if bytes == b"transfer");
            delivered.push(event);
            if done {
                break;
            }
        }
    })
    .await
    .expect("the transaction arrives");
    assert!(
        !delivered
            .iter()
            .any(|event| matches!(event, vnt_net::NetEvent::Block { .. })),
        "{delivered:?}"
    );
}
