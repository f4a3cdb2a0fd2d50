//! A member that signs two conflicting votes in every round it sees (commonware's byzantine
//! `Conflicter`): the honest members keep finalizing one chain, and the evidence their
//! reporters produce is accepted by `Evidence::check` and names exactly that member.

use crate::cluster::{VALIDATORS, simulate};
use commonware_consensus::simplex::mocks::conflicter::{Config, Conflicter};
use commonware_cryptography::keccak256::Keccak256;
use commonware_runtime::Supervisor;
use std::collections::BTreeMap;
use std::time::Duration;
use vnt_vortex::committee::ValidatorId;
use vnt_vortex::evidence::{Evidence, Fault, Offence};

const BYZANTINE: usize = 2;

struct Outcome {
    /// What every piece of evidence the honest members reported proves.
    offences: Vec<Offence>,
    /// Views the honest members finalized (all agreeing).
    finalized: usize,
    /// The byzantine member's account.
    offender: ValidatorId,
}

fn run(seed: u64) -> Outcome {
    simulate(seed, |mut cluster| async move {
        let honest: Vec<usize> = (0..VALIDATORS).filter(|&i| i != BYZANTINE).collect();
        for &index in &honest {
            cluster.start(index).await;
        }
        // The conflicter only votes; its other channels stay registered and idle.
        let mut channels = cluster.channels(BYZANTINE).await;
        let scheme = cluster.committee.signer(&cluster.keys[BYZANTINE]).unwrap();
        let conflicter: Conflicter<_, _, Keccak256> =
            Conflicter::new(cluster.context.child("byzantine"), Config { scheme });
        let _byzantine = conflicter.start(channels.remove(0));
        cluster
            .await_finalizations_after(&honest, 0, 20, Duration::from_secs(300))
            .await;

        let mut agreed = BTreeMap::new();
        let mut offences = Vec::new();
        for &index in &honest {
            let observed = cluster.logs[index].observed();
            for (view, payload) in observed.finalized {
                assert_eq!(
                    *agreed.entry(view).or_insert(payload),
                    payload,
                    "fork at {view}"
                );
            }
            for bytes in observed.evidence {
                let evidence = Evidence::decode(&bytes).expect("reported evidence decodes");
                offences.push(evidence.check(&cluster.committee).expect("evidence checks"));
            }
        }
        Outcome {
            offences,
            finalized: agreed.len(),
            offender: cluster.committee.members()[BYZANTINE].id,
        }
    })
}

#[test]
fn a_double_voting_member_is_named_by_the_evidence_honest_members_report() {
    let Outcome {
        offences,
        finalized,
        offender,
    } = run(11);
    assert!(
        finalized >= 20,
        "honest members finalized {finalized} views"
    );
    assert!(!offences.is_empty(), "no evidence reported");
    assert!(offences.iter().all(|offence| offence.offender == offender));
    assert!(
        offences
            .iter()
            .any(|offence| offence.fault == Fault::ConflictingNotarize)
    );
    println!(
        "double vote: {} offences reported over {finalized} finalized views",
        offences.len()
    );
}
