//! The reporter against a real chain whose genesis bonds four validators: what it sends,
//! and what it refuses to send.

use super::{EvidenceReporter, ReportError};
use alloy_consensus::Transaction;
use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use std::sync::Arc;
use tempfile::TempDir;
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::node::Shared;
use vnt_chain::pool::PoolConfig;
use vnt_chain::staking::abi::IStaking;
use vnt_chain::staking::{GenesisValidator, STAKING, StakingConfig, hook};
use vnt_chain::testing::{Transfer, signers};
use vnt_chain::token::vnt;
use vnt_chain::tx::TxError;
use vnt_chain::{Chain, ChainConfig, Genesis};
use vnt_vortex::keys::ValidatorKeys;
use vnt_vortex::scheme::ConsensusCommittee;
use vnt_vortex::testing::double_notarize;

const MEMBERS: u32 = 4;
/// The validator whose reporter runs.
const ME: usize = 0;
/// The validator that double-votes.
const OFFENDER: usize = 1;

/// A chain with `MEMBERS` validators bonded (blocks unsealed, so the test can build them),
/// the reporter running for validator `ME` and paying with `signer`.
struct Fixture {
    keys: Vec<ValidatorKeys>,
    committee: ConsensusCommittee,
    shared: Arc<Shared>,
    reporter: EvidenceReporter,
    _directory: TempDir,
}

impl Fixture {
    fn new(signer: PrivateKeySigner) -> Self {
        let keys: Vec<ValidatorKeys> = (0..MEMBERS)
            .map(|index| ValidatorKeys::devnet(3, index))
            .collect();
        let mut staking = StakingConfig::dev();
        staking.validators = keys
            .iter()
            .enumerate()
            .map(|(index, keys)| {
                let account = Address::with_last_byte(0xC0 + index as u8);
                GenesisValidator::from_keys(keys, DEV_CHAIN_ID, account, vnt(10_000))
            })
            .collect();
        let mut genesis = Genesis::dev(0);
        genesis.enable_staking(staking);
        let directory = tempfile::tempdir().expect("a temporary directory");
        let chain = Chain::open(directory.path(), genesis).expect("the genesis opens");
        let committee = hook::consensus_committee(chain.state(), DEV_CHAIN_ID, 0)
            .expect("genesis draws epoch 0");
        let shared = Arc::new(Shared::new(chain, PoolConfig::default(), Address::ZERO));
        let identity = keys[ME].public().identity;
        let reporter = EvidenceReporter::new(signer, identity, shared.clone());
        Self {
            keys,
            committee,
            shared,
            reporter,
            _directory: directory,
        }
    }

    /// Validator `index`'s two notarize votes in `view` of epoch 0.
    fn double_vote(&self, index: usize, view: u64) -> Vec<u8> {
        double_notarize(&self.keys[index], &self.committee, view)
            .expect("a member signs")
            .encode()
    }

    fn pooled(&self) -> usize {
        self.shared.pool.lock().len()
    }

    /// Builds `count` empty blocks on the head.
    fn advance(&self, count: u64) {
        let mut chain = self.shared.chain.write();
        for _ in 0..count {
            let now = chain.head().timestamp + 1;
            chain
                .build_block(Vec::new(), now, Address::ZERO)
                .expect("an empty block builds");
        }
    }
}

/// A funded dev account the validators' transfers never use.
fn funded_signer() -> PrivateKeySigner {
    signers()[9].clone()
}

#[test]
fn the_report_calls_report_evidence_with_the_next_pending_nonce() {
    let fixture = Fixture::new(funded_signer());
    let account = fixture.reporter.account();
    // A transaction of the reporter's account already waits in the pool: nonce 0 is taken.
    let waiting = Transfer::new(DEV_CHAIN_ID, 0, Address::with_last_byte(1), U256::from(1))
        .verified(&funded_signer(), &ChainConfig::new(DEV_CHAIN_ID));
    fixture.shared.submit(waiting).expect("the pool admits it");
    let evidence = fixture.double_vote(OFFENDER, 3);

    let hash = fixture.reporter.report(&evidence).expect("reported");

    let pooled = fixture.shared.pool.lock().get(&hash).expect("pooled");
    assert_eq!(pooled.sender, account);
    let tx = &pooled.envelope;
    assert_eq!(tx.nonce(), 1);
    assert_eq!(tx.to(), Some(STAKING));
    assert_eq!(tx.value(), U256::ZERO);
    assert_eq!(tx.chain_id(), Some(DEV_CHAIN_ID));
    let call = IStaking::reportEvidenceCall::abi_decode(tx.input()).expect("the call decodes");
    assert_eq!(call.evidence.as_ref(), evidence.as_slice());
    // Four members cost more than the two-member 396,895 the chain's tests measure.
    assert!(tx.gas_limit() > 400_000, "gas limit {}", tx.gas_limit());
    let base_fee = fixture.shared.chain.read().next_base_fee();
    assert!(tx.max_fee_per_gas() > u128::from(base_fee));
}

#[test]
fn a_validator_does_not_report_its_own_fault() {
    let fixture = Fixture::new(funded_signer());
    let evidence = fixture.double_vote(ME, 2);

    let refused = fixture.reporter.report(&evidence);

    assert!(
        matches!(refused, Err(ReportError::OwnFault { epoch: 0, .. })),
        "{refused:?}"
    );
    assert_eq!(fixture.pooled(), 0);
}

#[test]
fn an_offender_is_reported_once_per_epoch() {
    let fixture = Fixture::new(funded_signer());
    let offender = Address::from(fixture.committee.members()[OFFENDER].id);
    fixture
        .reporter
        .report(&fixture.double_vote(OFFENDER, 2))
        .expect("the first report is sent");

    // Other evidence (another view), same offender and epoch.
    let again = fixture.reporter.report(&fixture.double_vote(OFFENDER, 5));

    match again {
        Err(ReportError::AlreadyReported {
            offender: named,
            epoch: 0,
        }) => assert_eq!(named, offender),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(fixture.pooled(), 1);
}

#[test]
fn evidence_whose_window_closes_before_it_could_land_is_not_reported() {
    let fixture = Fixture::new(funded_signer());
    let staking = StakingConfig::dev();
    // Epoch 0 ends at block 15; its window closes at block 15 + 32.
    let closes = staking.epoch_length - 1 + staking.evidence_window;
    // The last head from which a report landing INCLUSION_MARGIN blocks after the next
    // block still makes it.
    fixture.advance(closes - 1 - super::INCLUSION_MARGIN);
    fixture
        .reporter
        .report(&fixture.double_vote(2, 2))
        .expect("still inside the window");
    fixture.advance(1);

    let refused = fixture.reporter.report(&fixture.double_vote(OFFENDER, 2));

    match refused {
        Err(ReportError::Refused { reason, .. }) => {
            assert!(reason.contains("is too late"), "{reason}")
        }
        other => panic!("expected the contract's refusal, got {other:?}"),
    }
    assert_eq!(fixture.pooled(), 1);
}

#[test]
fn a_report_the_account_cannot_pay_for_is_refused_by_the_pool_and_may_be_retried() {
    let unfunded = PrivateKeySigner::from_bytes(&[0x5a; 32].into()).expect("a valid key");
    let fixture = Fixture::new(unfunded);
    let evidence = fixture.double_vote(OFFENDER, 2);

    let refused = fixture.reporter.report(&evidence);

    match refused {
        Err(ReportError::Pool { source, .. }) => assert!(
            matches!(*source, TxError::InsufficientFunds { .. }),
            "{source}"
        ),
        other => panic!("expected the pool's refusal, got {other:?}"),
    }
    // Not remembered as reported: the same evidence is tried again, not skipped.
    let retried = fixture.reporter.report(&evidence);
    assert!(
        matches!(retried, Err(ReportError::Pool { .. })),
        "{retried:?}"
    );
}
