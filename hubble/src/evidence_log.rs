//! The evidence a validator holds until it is reported: one piece per offender and epoch.
//!
//! The staking contract slashes and jails a member at most once per epoch however many
//! conflicting votes prove it (`docs/token.md`, "Slashing"), so a second piece for the
//! same (offender, epoch) would only cost a refused report. A member that equivocates
//! every view would otherwise fill any cap with duplicates of one offence; bounding by
//! (offender, epoch) leaves room for every member of many epochs. When the cap is reached
//! anyway, the oldest epoch's pieces go first: they were reported when they came, they are
//! the nearest to leaving the evidence window, and a new offence must always be kept and
//! reported.

use std::collections::BTreeMap;
use vnt_vortex::evidence::Evidence;

/// Pieces of evidence held by default, across all epochs.
pub const MAX_HELD_EVIDENCE: usize = 1_024;

/// Encoded evidence, at most one piece per (epoch, offender's signer index).
#[derive(Clone, Debug)]
pub struct HeldEvidence {
    /// Ordered by epoch first, so the oldest epoch's pieces are the first keys.
    pieces: BTreeMap<(u64, u32), Vec<u8>>,
    cap: usize,
}

impl Default for HeldEvidence {
    fn default() -> Self {
        Self::with_cap(MAX_HELD_EVIDENCE)
    }
}

impl HeldEvidence {
    /// Holds at most `cap` pieces (at least one).
    pub fn with_cap(cap: usize) -> Self {
        Self {
            pieces: BTreeMap::new(),
            cap: cap.max(1),
        }
    }

    /// Holds `evidence` if it is the first piece for its offender and epoch, dropping the
    /// oldest epoch's pieces first if the cap is reached; `true` if it is held (and so is
    /// to be reported).
    pub fn hold(&mut self, evidence: &Evidence) -> bool {
        let key = (evidence.round().epoch().get(), evidence.signer().get());
        if self.pieces.contains_key(&key) {
            return false;
        }
        if self.pieces.len() >= self.cap {
            let oldest = self.pieces.keys().next().map(|(epoch, _)| *epoch);
            self.pieces.retain(|(epoch, _), _| Some(*epoch) != oldest);
        }
        self.pieces.insert(key, evidence.encode());
        true
    }

    /// The encoded pieces held, by epoch then offender.
    pub fn pieces(&self) -> Vec<Vec<u8>> {
        self.pieces.values().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vnt_vortex::testing::{committee, double_notarize};

    /// Evidence that participant `index` of epoch `epoch`'s four-member test committee
    /// notarized twice in `view`.
    fn offence(epoch: u64, index: usize, view: u64) -> Evidence {
        let (keys, committee) = committee(epoch, 4);
        let keys = committee.in_participant_order(keys);
        let evidence = double_notarize(&keys[index], &committee, view).expect("a member");
        assert_eq!(evidence.signer().get(), index as u32);
        evidence
    }

    #[test]
    fn one_piece_is_held_per_offender_and_epoch() {
        let mut held = HeldEvidence::default();
        let first = offence(3, 1, 5);
        assert!(held.hold(&first));
        // The same member equivocating again in a later view of the same epoch.
        assert!(!held.hold(&offence(3, 1, 6)));
        assert!(!held.hold(&first));
        // Another member, and the same member in another epoch, are new offences.
        assert!(held.hold(&offence(3, 2, 6)));
        assert!(held.hold(&offence(4, 1, 1)));
        assert_eq!(held.len(), 3);
        assert_eq!(held.pieces()[0], first.encode());
    }

    #[test]
    fn past_the_cap_the_oldest_epoch_is_dropped_and_the_new_piece_held() {
        let mut held = HeldEvidence::with_cap(3);
        let (old_a, old_b, newer) = (offence(2, 0, 1), offence(2, 3, 1), offence(5, 0, 1));
        for evidence in [&old_a, &old_b, &newer] {
            assert!(held.hold(evidence));
        }
        let latest = offence(6, 2, 4);
        assert!(held.hold(&latest));
        // Both pieces of epoch 2 went to make room; epochs 5 and 6 remain.
        assert_eq!(held.pieces(), vec![newer.encode(), latest.encode()]);
        let (second, third) = (offence(6, 3, 4), offence(7, 1, 1));
        assert!(held.hold(&second));
        assert!(held.hold(&third));
        assert_eq!(
            held.pieces(),
            vec![latest.encode(), second.encode(), third.encode()]
        );
    }
}
