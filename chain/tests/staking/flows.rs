//! A validator's whole life, mined block by block, with every balance accounted for.

use super::*;
use crate::shielded_pool::{balance, gas_cost};
use IStaking::IStakingEvents as Event;

fn gas_used(receipt: &Value) -> u64 {
    let used: U256 = serde_json::from_value(receipt["gasUsed"].clone()).unwrap();
    used.to()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_add_stake_unbond_and_withdraw_after_the_unbonding_period() {
    let node = TestNode::start().await;
    let me = signers()[1].address();
    let start = balance(&node, me).await;
    let period = view(&node, IStaking::unbondingPeriodCall {}).await;
    assert_eq!(period, 96);
    assert_eq!(view(&node, IStaking::minimumStakeCall {}).await, vnt(1_000));
    let mut receipts = Vec::new();

    let register = registration(1, DEV_CHAIN_ID);
    let receipt = mine_one(&node, 1, 0, &register, vnt(1_500)).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    match &events(&receipt)[..] {
        [Event::Registered(r), Event::Bonded(b)] => {
            assert_eq!((r.validator, r.identity), (me, register.identity));
            assert_eq!(r.blsPublicKey, register.blsPublicKey);
            assert_eq!((b.amount, b.bonded), (vnt(1_500), vnt(1_500)));
        }
        other => panic!("register emitted {other:?}"),
    }
    receipts.push(("register", receipt));
    let info = validator(&node, me).await;
    assert!(info.registered);
    assert_eq!(info.identity, register.identity);
    assert_eq!(info.blsPublicKey, register.blsPublicKey);
    assert_eq!(info.vrfPublicKey, register.vrfPublicKey);
    assert_eq!(info.bonded, vnt(1_500));

    let receipt = mine_one(&node, 1, 1, &IStaking::addStakeCall {}, vnt(500)).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    match &events(&receipt)[..] {
        [Event::Bonded(b)] => assert_eq!((b.amount, b.bonded), (vnt(500), vnt(2_000))),
        other => panic!("addStake emitted {other:?}"),
    }
    receipts.push(("addStake", receipt));
    assert_eq!(view(&node, IStaking::totalBondedCall {}).await, vnt(2_000));
    let candidates = view(&node, IStaking::candidatesCall {}).await;
    assert_eq!(candidates.len(), 1);
    assert_eq!(
        (candidates[0].validator, candidates[0].stake),
        (me, vnt(2_000))
    );

    let unbond = IStaking::unbondCall { amount: vnt(700) };
    let receipt = mine_one(&node, 1, 2, &unbond, U256::ZERO).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let unbonded_at = head(&node).await;
    let matures_at = unbonded_at + period;
    match &events(&receipt)[..] {
        [Event::Unbonding(u)] => assert_eq!((u.amount, u.maturesAt), (vnt(700), matures_at)),
        other => panic!("unbond emitted {other:?}"),
    }
    receipts.push(("unbond", receipt));
    let info = validator(&node, me).await;
    assert_eq!((info.bonded, info.unbonding), (vnt(1_300), vnt(700)));
    assert_eq!(info.withdrawable, U256::ZERO);
    assert_eq!(view(&node, IStaking::totalBondedCall {}).await, vnt(1_300));

    // Mined in the block before maturity, a withdrawal is refused and changes nothing.
    for _ in unbonded_at + 1..matures_at - 1 {
        node.seal().await;
    }
    let receipt = mine_one(&node, 1, 3, &IStaking::withdrawCall {}, U256::ZERO).await;
    assert_eq!(head(&node).await, matures_at - 1);
    assert_eq!(receipt["status"], "0x0", "{receipt}");
    assert!(events(&receipt).is_empty());
    receipts.push(("withdraw (refused)", receipt));
    assert_eq!(validator(&node, me).await.unbonding, vnt(700));

    let receipt = mine_one(&node, 1, 4, &IStaking::withdrawCall {}, U256::ZERO).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    match &events(&receipt)[..] {
        [Event::Withdrawn(w)] => assert_eq!((w.validator, w.amount), (me, vnt(700))),
        other => panic!("withdraw emitted {other:?}"),
    }
    receipts.push(("withdraw", receipt));
    let info = validator(&node, me).await;
    assert_eq!((info.bonded, info.unbonding), (vnt(1_300), U256::ZERO));

    // Every wei: what left the account is the stake still bonded plus the gas paid.
    let gas: U256 = receipts.iter().map(|(_, r)| gas_cost(r)).sum();
    assert_eq!(balance(&node, me).await, start - vnt(1_300) - gas);
    assert_eq!(balance(&node, STAKING).await, vnt(1_300));
    for (name, receipt) in &receipts {
        eprintln!("staking gas: {name}: {}", gas_used(receipt));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbonding_everything_leaves_the_candidates_and_adding_stake_rejoins() {
    let node = node_with_validator(1_000).await;
    let me = signers()[1].address();
    // A second validator, so the list must keep the other one when the first leaves.
    let other = signers()[2].address();
    let receipt = mine_one(&node, 2, 0, &registration(2, DEV_CHAIN_ID), vnt(3_000)).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    let mut expected = vec![(me, vnt(1_000)), (other, vnt(3_000))];
    expected.sort();
    let listed = |c: Vec<IStaking::Candidate>| -> Vec<(Address, U256)> {
        c.into_iter().map(|c| (c.validator, c.stake)).collect()
    };
    assert_eq!(
        listed(view(&node, IStaking::candidatesCall {}).await),
        expected
    );

    let all = IStaking::unbondCall { amount: vnt(1_000) };
    let receipt = mine_one(&node, 1, 1, &all, U256::ZERO).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(
        listed(view(&node, IStaking::candidatesCall {}).await),
        vec![(other, vnt(3_000))]
    );
    assert_eq!(view(&node, IStaking::totalBondedCall {}).await, vnt(3_000));
    // Still registered: its keys stay bound to it, and it rejoins with the minimum.
    let info = validator(&node, me).await;
    assert!(info.registered && info.bonded.is_zero());
    let receipt = mine_one(&node, 1, 2, &IStaking::addStakeCall {}, vnt(1_000)).await;
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(
        listed(view(&node, IStaking::candidatesCall {}).await),
        expected
    );
}
