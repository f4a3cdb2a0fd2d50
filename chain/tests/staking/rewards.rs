//! Block rewards on a chain of validators (`docs/token.md`): every block pays its producer
//! 20% of the block reward and the route pool 10%; the committee's 70% accrues until a later
//! block carries a finalization certificate, which pays it to the signers by seats. A
//! second node re-executes every block; certificates that do not hold are refused by their
//! reason; a dev chain pays nothing.

use super::SEED;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use commonware_codec::DecodeExt;
use vnt_chain::chain::{ImportError, InvalidBlock};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::execution::{CallOutcome, CallRequest, call};
use vnt_chain::staking::abi::IStaking;
use vnt_chain::staking::rewards::{CertificateError, RewardState};
use vnt_chain::staking::seal::{SEAL_LEN, Sealer};
use vnt_chain::staking::{STAKING, StakingConfig, StakingConfigError, hook};
use vnt_chain::store::StoredBlock;
use vnt_chain::testing::{Transfer, signers, temp_chain, validator_genesis};
use vnt_chain::token::vnt;
use vnt_chain::{Chain, Genesis};
use vnt_vortex::finality::FinalityError;
use vnt_vortex::keys::ValidatorKeys;
use vnt_vortex::scheme::{BlockDigest, ConsensusCommittee};

const VALIDATORS: u32 = 4;
/// Signatures a certificate of four members needs.
const QUORUM: usize = 3;

fn reward() -> U256 {
    vnt(1)
}

fn producer_share() -> U256 {
    reward() / U256::from(5)
}

fn route_share() -> U256 {
    reward() / U256::from(10)
}

fn committee_share() -> U256 {
    reward() * U256::from(7) / U256::from(10)
}

/// Where blocks' rewards go in these tests: an account with nothing else.
fn beneficiary() -> Address {
    Address::repeat_byte(0xbe)
}

/// Four validators (stakes 1,000 to 4,000 VNT), seals on, and a block reward of `reward`.
struct Network {
    sealers: Vec<Sealer>,
    genesis: Genesis,
}

impl Network {
    fn new(reward: U256) -> Self {
        let keys: Vec<ValidatorKeys> = (0..VALIDATORS)
            .map(|index| ValidatorKeys::devnet(SEED, index))
            .collect();
        let mut genesis = validator_genesis(keys.iter().enumerate().map(|(index, keys)| {
            let stake = vnt(1_000 * (index as u64 + 1));
            (keys, signers()[index].address(), stake)
        }));
        // Re-enabled, so that the contract's genesis storage holds the reward too.
        let mut staking = genesis.config.staking.clone().expect("staking");
        staking.block_reward = reward;
        genesis.enable_staking(staking);
        let sealers = keys.iter().map(Sealer::new).collect();
        Self { sealers, genesis }
    }

    fn chain(&self) -> (Chain, tempfile::TempDir) {
        temp_chain(self.genesis.clone())
    }

    /// The committee of epoch 0 as `chain` stores it, with the validators' keys in its
    /// participant order.
    fn committee(&self, chain: &Chain) -> (Vec<ValidatorKeys>, ConsensusCommittee) {
        self.committee_of(chain, 0)
    }

    /// As [`Network::committee`], for `epoch`.
    fn committee_of(&self, chain: &Chain, epoch: u64) -> (Vec<ValidatorKeys>, ConsensusCommittee) {
        let committee = hook::consensus_committee(chain.state(), DEV_CHAIN_ID, epoch).unwrap();
        let keys = (0..VALIDATORS)
            .map(|index| ValidatorKeys::devnet(SEED, index))
            .collect();
        (committee.in_participant_order(keys), committee)
    }

    /// As [`Network::certificate`], stored beside the final block `hash` on `chain`, where
    /// the chain's next proposal picks it up.
    fn certify(&self, chain: &Chain, hash: B256, signing: usize) -> Vec<u8> {
        let certificate = self.certificate(chain, hash, signing);
        chain
            .store()
            .put_finality_proof(&hash, &certificate)
            .unwrap();
        certificate
    }

    /// The finalization certificate of block `hash` by the first `signing` members of the
    /// committee of epoch 0, in participant order.
    fn certificate(&self, chain: &Chain, hash: B256, signing: usize) -> Vec<u8> {
        let (keys, committee) = self.committee(chain);
        vnt_vortex::testing::finality_proof(&keys, &committee, 1, digest(hash), signing)
            .expect("a quorum signs")
    }
}

fn digest(hash: B256) -> BlockDigest {
    BlockDigest::decode(hash.to_vec()).expect("32 bytes")
}

/// Proposes a block on the head with `txs`, sealed by `sealer`, paying `beneficiary()`;
/// finalizes it and returns it.
fn make_block(
    chain: &mut Chain,
    sealer: &Sealer,
    txs: Vec<vnt_chain::tx::VerifiedTx>,
) -> StoredBlock {
    let head = chain.head_hash();
    let now = chain.head().timestamp + 1;
    let proposed = chain
        .propose(head, txs, now, beneficiary(), Some(sealer))
        .expect("a sealed block is proposed");
    assert!(proposed.rejected.is_empty(), "{:?}", proposed.rejected);
    let block = chain.pending_block(&proposed.hash).unwrap().block.clone();
    chain.finalize(proposed.hash).expect("finalized");
    block
}

/// Imports `block` into `follower` and finalizes it, checking both agree on its hash.
fn follow(follower: &mut Chain, block: &StoredBlock) {
    let hash = follower
        .import(block.clone())
        .expect("the follower accepts the block");
    assert_eq!(hash, block.header.hash_slow());
    follower.finalize(hash).unwrap();
}

fn balance(chain: &Chain, account: Address) -> U256 {
    chain
        .state()
        .account(&account)
        .map_or(U256::ZERO, |info| info.balance)
}

fn rewards(chain: &Chain) -> RewardState {
    hook::reward_state(chain.state()).unwrap()
}

fn refusal(chain: &mut Chain, block: StoredBlock) -> CertificateError {
    match chain.import(block) {
        Err(ImportError::Invalid(InvalidBlock::Certificate(error))) => error,
        other => panic!("expected a certificate refusal, got {other:?}"),
    }
}

/// The same block with `certificate` after its seal instead of what it carried.
fn carrying(block: &StoredBlock, certificate: &[u8]) -> StoredBlock {
    let mut altered = block.clone();
    let seal = &block.header.extra_data[..SEAL_LEN];
    altered.header.extra_data = Bytes::from([seal, certificate].concat());
    altered
}

/// A view of the staking contract on `chain`'s head state.
fn view<C: SolCall>(chain: &Chain, view: C) -> C::Return {
    let request = CallRequest {
        to: Some(STAKING),
        input: view.abi_encode().into(),
        ..Default::default()
    };
    let context = chain.next_block_context(chain.head().timestamp + 1, Address::ZERO);
    match call(
        chain.ledger(),
        &context,
        chain.config(),
        &request,
        1_000_000,
    )
    .unwrap()
    {
        CallOutcome::Success { output, .. } => C::abi_decode_returns(&output).unwrap(),
        other => panic!("the view failed: {other:?}"),
    }
}

#[test]
fn blocks_pay_their_producer_and_the_route_pool_and_a_certificate_pays_its_signers_by_seats() {
    let network = Network::new(reward());
    let (mut producer, _p) = network.chain();
    let (mut follower, _f) = network.chain();
    let staked = balance(&producer, STAKING);
    let (_, committee) = network.committee(&producer);
    let members: Vec<(Address, u64)> = committee
        .members()
        .iter()
        .map(|member| (Address::from(member.id), member.seats as u64))
        .collect();
    let before: Vec<U256> = members
        .iter()
        .map(|(a, _)| balance(&producer, *a))
        .collect();

    // Block 1 carries a transfer with a priority fee: the producer keeps the fee as well.
    let tip: u128 = 2_000_000_000;
    let transfer = Transfer::new(DEV_CHAIN_ID, 0, Address::repeat_byte(0x77), U256::from(1))
        .fees(100_000_000_000, tip)
        .verified(&signers()[9], producer.config());
    let first = make_block(&mut producer, &network.sealers[0], vec![transfer]);
    assert_eq!(
        first.header.extra_data.len(),
        SEAL_LEN,
        "no certificate yet"
    );
    follow(&mut follower, &first);
    let fee = U256::from(tip) * U256::from(first.header.gas_used);
    assert_eq!(balance(&producer, beneficiary()), producer_share() + fee);
    assert_eq!(
        balance(&producer, STAKING),
        staked + route_share() + committee_share()
    );
    let after_one = RewardState {
        route_pool: route_share(),
        unpaid_committee_reward: committee_share(),
        last_rewarded_block: 0,
    };
    assert_eq!(rewards(&producer), after_one);

    // Block 2 carries block 1's certificate, signed by the first three members.
    let certificate = network.certify(&producer, first.header.hash_slow(), QUORUM);
    let second = make_block(&mut producer, &network.sealers[1], Vec::new());
    assert_eq!(
        &second.header.extra_data[SEAL_LEN..],
        certificate.as_slice()
    );
    follow(&mut follower, &second);
    let signed_seats: u64 = members[..QUORUM].iter().map(|(_, seats)| seats).sum();
    let mut paid = U256::ZERO;
    for (index, (member, seats)) in members.iter().enumerate() {
        let earned = if index < QUORUM {
            committee_share() * U256::from(*seats) / U256::from(signed_seats)
        } else {
            U256::ZERO
        };
        paid += earned;
        assert_eq!(
            balance(&producer, *member),
            before[index] + earned,
            "member {index}"
        );
        assert_eq!(
            balance(&follower, *member),
            before[index] + earned,
            "member {index}"
        );
    }
    let rounding = committee_share() - paid;
    assert_eq!(
        rewards(&producer),
        RewardState {
            route_pool: route_share() * U256::from(2) + rounding,
            unpaid_committee_reward: committee_share(),
            last_rewarded_block: 1,
        }
    );
    assert_eq!(
        balance(&producer, beneficiary()),
        producer_share() * U256::from(2) + fee
    );
    assert_eq!(
        balance(&producer, STAKING),
        staked + (route_share() + committee_share()) * U256::from(2) - paid
    );

    // Blocks 3 and 4 carry nothing (block 2's proof was never stored); block 5 carries
    // block 4's, signed by all, and pays the committee's share of blocks 2 to 4.
    let third = make_block(&mut producer, &network.sealers[2], Vec::new());
    let fourth = make_block(&mut producer, &network.sealers[3], Vec::new());
    network.certify(&producer, fourth.header.hash_slow(), members.len());
    let before_five: Vec<U256> = members
        .iter()
        .map(|(a, _)| balance(&producer, *a))
        .collect();
    let fifth = make_block(&mut producer, &network.sealers[0], Vec::new());
    for block in [&third, &fourth, &fifth] {
        follow(&mut follower, block);
    }
    let owed = committee_share() * U256::from(3);
    let all_seats: u64 = members.iter().map(|(_, seats)| seats).sum();
    let mut paid_five = U256::ZERO;
    for (index, (member, seats)) in members.iter().enumerate() {
        let earned = owed * U256::from(*seats) / U256::from(all_seats);
        paid_five += earned;
        assert_eq!(balance(&follower, *member), before_five[index] + earned);
    }
    let state = rewards(&follower);
    assert_eq!(state.last_rewarded_block, 4);
    assert_eq!(state.unpaid_committee_reward, committee_share());
    assert_eq!(
        state.route_pool,
        route_share() * U256::from(5) + rounding + (owed - paid_five)
    );

    // The contract's views show the same bookkeeping.
    assert_eq!(view(&follower, IStaking::blockRewardCall {}), reward());
    assert_eq!(
        view(&follower, IStaking::routePoolCall {}),
        state.route_pool
    );
    assert_eq!(
        view(&follower, IStaking::unpaidCommitteeRewardCall {}),
        state.unpaid_committee_reward
    );
    assert_eq!(view(&follower, IStaking::lastRewardedBlockCall {}), 4);
}

/// Block 1 on a producer and a follower, its certificate stored on the producer, and
/// block 2 proposed there, carrying it (not yet on the follower).
struct BlockTwo {
    producer: Chain,
    follower: Chain,
    first_hash: B256,
    certificate: Vec<u8>,
    second: StoredBlock,
    _directories: [tempfile::TempDir; 2],
}

impl BlockTwo {
    fn carrying_block_ones_certificate(network: &Network) -> Self {
        let (mut producer, producer_dir) = network.chain();
        let (mut follower, follower_dir) = network.chain();
        let first = make_block(&mut producer, &network.sealers[0], Vec::new());
        let first_hash = first.header.hash_slow();
        follow(&mut follower, &first);
        let certificate = network.certify(&producer, first_hash, QUORUM);
        let second = make_block(&mut producer, &network.sealers[1], Vec::new());
        Self {
            producer,
            follower,
            first_hash,
            certificate,
            second,
            _directories: [producer_dir, follower_dir],
        }
    }
}

#[test]
fn a_certificate_that_does_not_hold_is_refused_on_import_by_its_reason() {
    let network = Network::new(reward());
    let BlockTwo {
        mut producer,
        mut follower,
        first_hash,
        certificate,
        second,
        _directories,
    } = BlockTwo::carrying_block_ones_certificate(&network);

    // Cut short.
    let short = carrying(&second, &certificate[..certificate.len() - 1]);
    assert!(matches!(
        refusal(&mut follower, short),
        CertificateError::Malformed(_)
    ));
    // Signed by strangers (another committee's keys, over block 1, epoch 0).
    let (strangers, their_committee) = vnt_vortex::testing::committee(0, VALIDATORS);
    let forged =
        vnt_vortex::testing::finality_proof(&strangers, &their_committee, 1, digest(first_hash), 4)
            .unwrap();
    assert_eq!(
        refusal(&mut follower, carrying(&second, &forged)),
        CertificateError::Refused {
            number: 1,
            epoch: 0,
            reason: FinalityError::BadSignature
        }
    );
    // The committee's signature with one byte of it altered.
    let mut altered = certificate.clone();
    *altered.last_mut().unwrap() ^= 1;
    assert!(matches!(
        refusal(&mut follower, carrying(&second, &altered)),
        CertificateError::Refused { number: 1, .. }
    ));
    // Signed for an epoch far from block 1's, whose committee is not drawn either: the
    // epoch is refused before any committee is looked for.
    let (far_keys, far_committee) = vnt_vortex::testing::committee(9, VALIDATORS);
    let far =
        vnt_vortex::testing::finality_proof(&far_keys, &far_committee, 1, digest(first_hash), 4)
            .unwrap();
    assert_eq!(
        refusal(&mut follower, carrying(&second, &far)),
        CertificateError::WrongEpoch {
            number: 1,
            epoch: 9,
            block_epoch: 0
        }
    );
    // For a block this chain never had.
    let nowhere = B256::repeat_byte(0x42);
    let stray = network.certificate(&producer, nowhere, QUORUM);
    assert_eq!(
        refusal(&mut follower, carrying(&second, &stray)),
        CertificateError::NotOnBranch(nowhere)
    );
    // The honest block is accepted; carrying block 1's certificate again is refused.
    follow(&mut follower, &second);
    let third = make_block(&mut producer, &network.sealers[2], Vec::new());
    assert_eq!(
        third.header.extra_data.len(),
        SEAL_LEN,
        "block 1 is paid already"
    );
    assert_eq!(
        refusal(&mut follower, carrying(&third, &certificate)),
        CertificateError::AlreadyRewarded {
            number: 1,
            last_rewarded: 1
        }
    );
    follow(&mut follower, &third);
}

#[test]
fn a_certificate_signed_by_another_epochs_committee_is_refused_by_its_epoch() {
    let network = Network::new(reward());
    let BlockTwo {
        mut follower,
        first_hash,
        second,
        _directories,
        ..
    } = BlockTwo::carrying_block_ones_certificate(&network);

    // Epoch 1's committee, stored since genesis, signs block 1 (of epoch 0) under its own
    // epoch: a valid quorum signature, but not one consensus could have made.
    let length = network
        .genesis
        .config
        .staking
        .as_ref()
        .unwrap()
        .epoch_length;
    assert!(length > 1, "block 1 is in epoch 0");
    let (keys, other) = network.committee_of(&follower, 1);
    assert_eq!(other.epoch(), 1);
    let misdated =
        vnt_vortex::testing::finality_proof(&keys, &other, 1, digest(first_hash), QUORUM).unwrap();
    assert_eq!(
        refusal(&mut follower, carrying(&second, &misdated)),
        CertificateError::WrongEpoch {
            number: 1,
            epoch: 1,
            block_epoch: 0
        }
    );
    // Epoch 0's certificate of the same block is taken.
    follow(&mut follower, &second);
    assert_eq!(rewards(&follower).last_rewarded_block, 1);
}

#[test]
fn a_block_reward_above_the_maximum_is_refused() {
    let network = Network::new(reward());
    let mut config = network.genesis.config.staking.clone().unwrap();
    config.block_reward = vnt(1_000_000);
    assert_eq!(config.validate(DEV_CHAIN_ID), Ok(()));
    config.block_reward = vnt(1_000_000) + U256::from(1);
    assert_eq!(
        config.validate(DEV_CHAIN_ID),
        Err(StakingConfigError::BlockRewardTooLarge {
            reward: vnt(1_000_000) + U256::from(1),
            max: vnt(1_000_000)
        })
    );
}

#[test]
fn a_certificate_for_a_block_off_the_branch_is_refused() {
    let network = Network::new(reward());
    let (mut chain, _c) = network.chain();
    let genesis = chain.head_hash();
    let now = chain.head().timestamp + 1;
    // Two competing children of genesis, both pending, and a grandchild on the second.
    let child = |chain: &mut Chain, sealer: &Sealer, at: u64| {
        chain
            .propose(genesis, Vec::new(), at, beneficiary(), Some(sealer))
            .unwrap()
            .hash
    };
    let left = child(&mut chain, &network.sealers[0], now);
    let right = child(&mut chain, &network.sealers[1], now + 1);
    let grandchild = chain
        .propose(
            right,
            Vec::new(),
            now + 2,
            beneficiary(),
            Some(&network.sealers[2]),
        )
        .unwrap()
        .hash;
    let block = chain.pending_block(&grandchild).unwrap().block.clone();
    let certificate = network.certificate(&chain, left, QUORUM);
    assert_eq!(
        refusal(&mut chain, carrying(&block, &certificate)),
        CertificateError::NotOnBranch(left)
    );
    // The same certificate over the branch's own block 1 is accepted.
    let own = network.certificate(&chain, right, QUORUM);
    let on_branch = carrying(&block, &own);
    match chain.import(on_branch) {
        // The header was made without the certificate: it now pays differently.
        Err(ImportError::Invalid(InvalidBlock::Header { field, .. })) => {
            assert_eq!(field, "state root")
        }
        other => {
            panic!("expected the certificate to pass and the state root to differ, got {other:?}")
        }
    }
}

#[test]
fn chains_without_a_block_reward_pay_nothing_and_take_no_certificate() {
    // A dev chain: no seals, no reward; its producer gets nothing but fees.
    let (mut dev, _d) = temp_chain(Genesis::dev(0));
    let head = dev.head_hash();
    let staked = balance(&dev, STAKING);
    let proposed = dev
        .propose(head, Vec::new(), 1, beneficiary(), None)
        .unwrap();
    dev.finalize(proposed.hash).unwrap();
    assert_eq!(balance(&dev, beneficiary()), U256::ZERO);
    assert_eq!(balance(&dev, STAKING), staked);
    assert_eq!(rewards(&dev), RewardState::default());

    // Validators without a reward: nothing minted, and a certificate is refused.
    let network = Network::new(U256::ZERO);
    let (mut producer, _p) = network.chain();
    let (mut follower, _f) = network.chain();
    let staked = balance(&producer, STAKING);
    let first = make_block(&mut producer, &network.sealers[0], Vec::new());
    follow(&mut follower, &first);
    let certificate = network.certify(&producer, first.header.hash_slow(), QUORUM);
    let second = make_block(&mut producer, &network.sealers[1], Vec::new());
    assert_eq!(second.header.extra_data.len(), SEAL_LEN);
    assert_eq!(
        refusal(&mut follower, carrying(&second, &certificate)),
        CertificateError::NotTaken(certificate.len())
    );
    follow(&mut follower, &second);
    assert_eq!(balance(&follower, beneficiary()), U256::ZERO);
    assert_eq!(balance(&follower, STAKING), staked);
    assert_eq!(rewards(&follower), RewardState::default());

    // A reward needs a chain of validators.
    let mut config = StakingConfig::dev();
    config.block_reward = reward();
    assert_eq!(
        config.validate(DEV_CHAIN_ID),
        Err(StakingConfigError::BlockRewardWithoutProposerVrf)
    );
}
