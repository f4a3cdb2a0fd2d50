//! Block seals on a chain of validators (`proposerVrf`): each block's randomness is its
//! proposer's VRF output, a second node verifies every seal as it imports the block, a
//! seal that does not prove its randomness is refused by its reason, and the seeds and
//! committees are recomputed from the headers and the genesis validators' keys alone.

use super::SEED;
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, keccak256};
use vnt_chain::chain::{ImportError, InvalidBlock};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::staking::seal::{BlockSeal, SEAL_LEN, SealError, Sealer};
use vnt_chain::staking::{StakingConfig, StakingConfigError, hook};
use vnt_chain::store::StoredBlock;
use vnt_chain::testing::{signers, temp_chain, validator_genesis};
use vnt_chain::token::vnt;
use vnt_chain::{Chain, ChainError, Genesis};
use vnt_vortex::committee::{Candidate, EpochSeed, elect, verify_output};
use vnt_vortex::keys::ValidatorKeys;

const VALIDATORS: u32 = 4;

fn keys() -> Vec<ValidatorKeys> {
    (0..VALIDATORS)
        .map(|index| ValidatorKeys::devnet(SEED, index))
        .collect()
}

/// The four validators bonded (stakes 1,000 to 4,000 VNT), seals on.
fn sealed_genesis(keys: &[ValidatorKeys]) -> Genesis {
    validator_genesis(keys.iter().enumerate().map(|(index, keys)| {
        let stake = vnt(1_000 * (index as u64 + 1));
        (keys, signers()[index].address(), stake)
    }))
}

/// Proposes an empty block on the head sealed by `sealer` and finalizes it; returns it.
fn make_block(chain: &mut Chain, sealer: &Sealer) -> StoredBlock {
    let head = chain.head_hash();
    let now = chain.head().timestamp + 1;
    let proposed = chain
        .propose(head, Vec::new(), now, Address::ZERO, Some(sealer))
        .expect("a sealed block is proposed");
    let block = chain
        .pending_block(&proposed.hash)
        .expect("pending")
        .block
        .clone();
    chain.finalize(proposed.hash).expect("finalized");
    block
}

/// The same block with `extra_data` replaced (header fields only: the body is unchanged).
fn with_extra(block: &StoredBlock, extra_data: Bytes) -> StoredBlock {
    let mut altered = block.clone();
    altered.header.extra_data = extra_data;
    altered
}

fn refusal(chain: &mut Chain, block: StoredBlock) -> SealError {
    match chain.import(block) {
        Err(ImportError::Invalid(InvalidBlock::Seal(error))) => error,
        other => panic!("expected a seal refusal, got {other:?}"),
    }
}

#[test]
fn every_block_carries_its_proposers_vrf_output_and_a_bad_seal_is_refused() {
    let keys = keys();
    let sealers: Vec<Sealer> = keys.iter().map(Sealer::new).collect();
    let genesis = sealed_genesis(&keys);
    let (mut producer, _p) = temp_chain(genesis.clone());
    let (mut follower, _f) = temp_chain(genesis.clone());
    let epoch_length = StakingConfig::dev().epoch_length;

    // Three epochs of blocks, proposers in turn; the follower verifies each seal.
    let mut headers: Vec<Header> = Vec::new();
    for number in 1..=3 * epoch_length {
        let sealer = &sealers[number as usize % sealers.len()];
        let block = make_block(&mut producer, sealer);
        if number == 5 {
            // An altered proof, a stranger's seal, a short seal: each refused by its reason.
            let mut bytes = block.header.extra_data.to_vec();
            bytes[SEAL_LEN - 1] ^= 1;
            let altered = refusal(&mut follower, with_extra(&block, bytes.into()));
            assert!(
                matches!(altered, SealError::BadProof { number: 5, .. }),
                "{altered}"
            );
            let mut stranger = BlockSeal::decode(&block.header.extra_data).unwrap();
            stranger.identity = keccak256("nobody registered this key");
            let unknown = refusal(&mut follower, with_extra(&block, stranger.encode()));
            assert_eq!(unknown, SealError::Unregistered(stranger.identity));
            let short = with_extra(&block, block.header.extra_data.slice(..SEAL_LEN - 1));
            assert_eq!(
                refusal(&mut follower, short),
                SealError::Length(SEAL_LEN - 1)
            );
            // Another validator's valid-looking seal over the same block is its own
            // output, not this block's randomness: the header's mix hash no longer matches.
            let other = &sealers[(number as usize + 1) % sealers.len()];
            let (_, theirs) = hook::seal_block(follower.state(), number, other).unwrap();
            match follower.import(with_extra(&block, theirs)) {
                Err(ImportError::Invalid(InvalidBlock::Header { field, .. })) => {
                    assert_eq!(field, "prevrandao")
                }
                other => panic!("expected a prevrandao mismatch, got {other:?}"),
            }
        }
        let hash = follower
            .import(block.clone())
            .expect("the follower verifies the seal");
        follower.finalize(hash).unwrap();
        assert_eq!(hash, producer.head_hash());
        headers.push(block.header);
    }

    // From chain data alone: the genesis validators' VRF keys and the headers.
    let vrf_key_of = |identity: B256| -> [u8; 32] {
        let validators = &genesis.config.staking.as_ref().unwrap().validators;
        let validator = validators.iter().find(|v| v.identity == identity).unwrap();
        validator.vrf_public_key.0
    };
    let candidates: Vec<Candidate> = genesis
        .config
        .staking
        .as_ref()
        .unwrap()
        .validators
        .iter()
        .map(|v| Candidate {
            id: v.account.0.0,
            stake: v.stake.to::<u128>(),
        })
        .collect();
    let mut seeds = vec![
        keccak256(b"VNT/staking/seed/0"),
        keccak256(keccak256(b"VNT/staking/seed/0")),
    ];
    let mut accumulated = B256::ZERO;
    for header in &headers {
        let number = header.number;
        let epoch = number / epoch_length;
        let seal = BlockSeal::decode(&header.extra_data).expect("every block is sealed");
        let output = verify_output(
            &vrf_key_of(seal.identity),
            &EpochSeed(seeds[epoch as usize].0),
            epoch,
            number,
            &seal.proof,
        )
        .expect("the seal verifies");
        assert_eq!(B256::from(output), header.mix_hash, "block {number}");
        accumulated = keccak256([accumulated.as_slice(), header.mix_hash.as_slice()].concat());
        if number % epoch_length == epoch_length - 1 {
            seeds.push(keccak256(
                [seeds[epoch as usize + 1].as_slice(), accumulated.as_slice()].concat(),
            ));
            accumulated = B256::ZERO;
        }
    }
    assert_eq!(seeds.len(), 5, "seeds of epochs 0 to 4");
    for epoch in 2..4u64 {
        let drawn = elect(
            &EpochSeed(seeds[epoch as usize].0),
            epoch,
            &candidates,
            StakingConfig::dev().committee_size as usize,
        )
        .unwrap();
        let stored = hook::effective_committee(follower.state(), epoch).unwrap();
        let recomputed: Vec<(Address, u64)> = drawn
            .members
            .into_iter()
            .map(|(id, seats)| (Address::from(id), seats as u64))
            .collect();
        assert_eq!(stored, recomputed, "committee of epoch {epoch}");
    }
}

#[test]
fn sealing_needs_keys_exactly_where_the_chain_takes_seals() {
    let keys = keys();
    let sealer = Sealer::new(&keys[0]);
    let (mut sealed, _s) = temp_chain(sealed_genesis(&keys));
    let head = sealed.head_hash();
    assert!(matches!(
        sealed.propose(head, Vec::new(), 1, Address::ZERO, None),
        Err(ChainError::SealerMissing)
    ));
    let (mut dev, _d) = temp_chain(Genesis::dev(0));
    let head = dev.head_hash();
    assert!(matches!(
        dev.propose(head, Vec::new(), 1, Address::ZERO, Some(&sealer)),
        Err(ChainError::SealNotTaken)
    ));
    let mut config = StakingConfig::dev();
    config.proposer_vrf = true;
    assert_eq!(
        config.validate(DEV_CHAIN_ID),
        Err(StakingConfigError::ProposerVrfWithoutValidators)
    );
}

#[test]
fn a_genesis_validator_at_the_zero_address_is_refused() {
    // Its seals could never be checked: the contract reads a zero owner as "nobody".
    let keys = keys();
    let genesis = validator_genesis(
        keys.iter()
            .enumerate()
            .map(|(index, keys)| (keys, Address::with_last_byte(index as u8), vnt(1_000))),
    );
    let staking = genesis.config.staking.as_ref().unwrap();
    assert_eq!(
        staking.validate(DEV_CHAIN_ID),
        Err(StakingConfigError::ZeroAccount)
    );
}
