//! Block rewards on a chain of validators (`docs/token.md`, "Rewards and slashing under
//! Vortex"), paid by the staking contract's native end-of-block step ([`super::hook`]).
//!
//! # Protocol
//!
//! Every block mints `blockReward` wei, a genesis parameter that only a chain of validators
//! (`proposerVrf`) may set; elsewhere it is zero and nothing here runs. The block's
//! end-of-block step pays [`PRODUCER_SHARE_BPS`] of it to the block's beneficiary at once,
//! adds [`ROUTE_SHARE_BPS`] to the route pool and the rest, the committee's share, to the
//! unpaid committee reward. The last two stay in the contract's balance, each counted in its
//! own slot so that views can show them. Priority fees are not shared: revm pays them to the
//! beneficiary, as Ethereum pays them to its proposer, so a producer is paid for including
//! transactions by exactly what they offer.
//!
//! A block's finalization certificate only exists after the block, so the committee is paid
//! late. After its 128-byte seal ([`super::seal`]), a block's `extra_data` may carry the
//! encoded finalization certificate (`vnt_vortex::finality`) of an ancestor `m` above
//! `lastRewardedBlock`. Before the block runs, import checks the certificate
//! ([`Claim::check`]): that the epoch it names is `m`'s, its aggregate signature against the
//! committee stored for that epoch, and that `m` is on the block's own branch. The
//! end-of-block step then pays the committee's share of blocks `lastRewardedBlock + 1 ..= m`
//! to the signers in the certificate's bitmap, in proportion to the seats each drew, and
//! sets `lastRewardedBlock = m`; the shares of blocks after `m` keep accruing. A bad certificate
//! makes the block invalid; a block without one pays the committee nothing.
//!
//! Seats are the reward weight (`vnt_vortex::committee`): a member that signed without a
//! seat (the draw tops a committee up with seatless members when too few candidates drew
//! seats) earns nothing. What the division by seats leaves, and a whole span when no signer
//! holds a seat, goes to the route pool, so every minted wei has an owner.
//!
//! Which committee: the one that ran consensus in the epoch the certificate names
//! ([`epochs::consensus_committee`]: the epoch's serving committee, members jailed in an
//! earlier epoch left out), the same one its evidence is checked against. Consensus runs one
//! engine per epoch with that committee, and epoch `e`'s engine orders and finalizes exactly
//! the heights `e·L ..= (e+1)·L − 1` (`L` = `epochLength`; epoch 0 from height 1), so a
//! certificate must name the epoch of the block it finalizes
//! ([`CertificateError::WrongEpoch`]).
//!
//! # Who chooses the signers
//!
//! A certificate proves a quorum, not the whole set of voters: its bitmap is whichever
//! quorum of finalize votes its assembler gathered, and the proposer chooses which
//! certificate to carry, while a certificate pays the whole span since `lastRewardedBlock`.
//! A Byzantine proposer can therefore leave up to f honest members out of a span's pay, or
//! carry nothing for a while and then pay a long span to a bitmap it chose; honest
//! certificates, too, leave out the votes that arrived after the quorum. Bounded by: a
//! quorum signs every certificate (at least f + 1 honest signers share each span), a span
//! lasts only until the next honest proposer carries its head's certificate, and the
//! producer share is untouched. A fix would have each block carry its parent's certificate
//! and pay that block only, or pay the union of all finalize votes seen for a block.
//!
//! The check is one BLS aggregate verification (a pairing check) plus decoding the
//! committee's keys, 1.3–1.6 ms measured for a committee of four; it is bounded to one
//! certificate a block and runs outside any transaction, so it costs no gas.

use super::epochs::{self, Member};
use super::storage::{Slots, share_of, slot, small};
use crate::system::{Step, Stop};
use alloy_primitives::{Address, B256, U256};
use commonware_codec::Decode;
use std::collections::BTreeMap;
use vnt_vortex::finality::{FinalityError, FinalizationCertificate, check_finalization};
use vnt_vortex::scheme::ConsensusCommittee;

/// The producer's share of the block reward, in basis points.
pub const PRODUCER_SHARE_BPS: u16 = 2_000;
/// The route pool's share of the block reward, in basis points; the committee has the rest.
pub const ROUTE_SHARE_BPS: u16 = 1_000;

/// How one block's reward is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shares {
    pub producer: U256,
    pub route: U256,
    pub committee: U256,
}

/// The split of `reward`: the producer's and the route pool's shares rounded down, the
/// committee's the rest.
pub fn shares(reward: U256) -> Shares {
    let producer = share_of(reward, PRODUCER_SHARE_BPS);
    let route = share_of(reward, ROUTE_SHARE_BPS);
    Shares {
        producer,
        route,
        committee: reward - producer - route,
    }
}

pub fn block_reward(s: &mut impl Slots) -> Step<U256> {
    s.load(slot::BLOCK_REWARD)
}

pub fn route_pool(s: &mut impl Slots) -> Step<U256> {
    s.load(slot::ROUTE_POOL)
}

pub fn unpaid_committee_reward(s: &mut impl Slots) -> Step<U256> {
    s.load(slot::UNPAID_COMMITTEE_REWARD)
}

/// The last block whose committee share is paid (0 before the first payment).
pub fn last_rewarded_block(s: &mut impl Slots) -> Step<u64> {
    s.load(slot::LAST_REWARDED_BLOCK).map(small)
}

/// The reward bookkeeping the contract shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RewardState {
    pub route_pool: U256,
    pub unpaid_committee_reward: U256,
    pub last_rewarded_block: u64,
}

pub fn reward_state(s: &mut impl Slots) -> Step<RewardState> {
    Ok(RewardState {
        route_pool: route_pool(s)?,
        unpaid_committee_reward: unpaid_committee_reward(s)?,
        last_rewarded_block: last_rewarded_block(s)?,
    })
}

/// Why the finalization certificate a block carries is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error(
        "it carries {0} bytes after its seal, and this chain pays no block reward that a \
         finalization certificate there could be for"
    )]
    NotTaken(usize),
    #[error("its finalization certificate is malformed: {0}")]
    Malformed(String),
    #[error(
        "its finalization certificate is for block {0}, which is not an ancestor of it on \
         this branch"
    )]
    NotOnBranch(B256),
    #[error(
        "its finalization certificate is for block {number}, but the committee is already \
         paid up to block {last_rewarded}"
    )]
    AlreadyRewarded { number: u64, last_rewarded: u64 },
    #[error(
        "its finalization certificate for block {number} names epoch {epoch}, but block \
         {number} is in epoch {block_epoch}: only that epoch's committee can finalize it"
    )]
    WrongEpoch {
        number: u64,
        epoch: u64,
        block_epoch: u64,
    },
    #[error("its finalization certificate names epoch {epoch}, which has no committee: {reason}")]
    NoCommittee { epoch: u64, reason: String },
    #[error(
        "its finalization certificate for block {number} of epoch {epoch} is refused: {reason}"
    )]
    Refused {
        number: u64,
        epoch: u64,
        reason: FinalityError,
    },
    #[error("the staking state cannot be read: {0}")]
    Unreadable(String),
}

/// A certificate decoded but not yet checked: what it claims to finalize.
pub struct Claim<'a> {
    bytes: &'a [u8],
    certificate: FinalizationCertificate,
}

impl<'a> Claim<'a> {
    /// Decodes `bytes`, the part of a block's `extra_data` after its seal. A certificate
    /// names its epoch inside, so the committee to check it against is not known yet: its
    /// signer bitmap is bounded here by the most candidates any committee can hold, and
    /// [`Claim::check`] requires the bitmap to match the epoch's committee exactly.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, CertificateError> {
        let bound = super::MAX_CANDIDATES as usize;
        let certificate = FinalizationCertificate::decode_cfg(bytes.to_vec(), &bound)
            .map_err(|error| CertificateError::Malformed(error.to_string()))?;
        Ok(Self { bytes, certificate })
    }

    /// The epoch whose committee the certificate says signed.
    pub fn epoch(&self) -> u64 {
        self.certificate.round().epoch().get()
    }

    /// The hash of the block it says is final.
    pub fn block(&self) -> B256 {
        B256::from(self.certificate.proposal.payload.0)
    }

    /// Checks the certificate on the state `s` of the parent of the block carrying it, for
    /// `chain_id`, given that the block it finalizes is the ancestor numbered `number`;
    /// returns who is to be paid.
    pub fn check(
        &self,
        s: &mut impl Slots,
        chain_id: u64,
        number: u64,
    ) -> Result<CertifiedBlock, CertificateError> {
        let unreadable = |stop: Stop| CertificateError::Unreadable(describe(stop));
        let last_rewarded = last_rewarded_block(s).map_err(unreadable)?;
        if number <= last_rewarded {
            return Err(CertificateError::AlreadyRewarded {
                number,
                last_rewarded,
            });
        }
        // Each epoch's engine orders and finalizes exactly that epoch's heights, so a
        // certificate naming any other epoch was not made by consensus: without this, a
        // quorum of an old committee (its members long unbonded, nothing left to slash)
        // could sign a current block under its old epoch and be paid for it.
        let epoch = self.epoch();
        let block_epoch = epochs::epoch_of(s, number).map_err(unreadable)?;
        if epoch != block_epoch {
            return Err(CertificateError::WrongEpoch {
                number,
                epoch,
                block_epoch,
            });
        }
        let committee = epochs::consensus_committee(s, chain_id, epoch).map_err(|stop| {
            CertificateError::NoCommittee {
                epoch,
                reason: describe(stop),
            }
        })?;
        check_finalization(self.bytes, &committee).map_err(|reason| CertificateError::Refused {
            number,
            epoch,
            reason,
        })?;
        Ok(CertifiedBlock {
            number,
            hash: self.block(),
            epoch,
            signers: self.signers(&committee),
        })
    }

    /// The members of `committee` its signer bitmap names, with their seats, in participant
    /// order; meaningful once the certificate is checked against that committee.
    pub fn signers(&self, committee: &ConsensusCommittee) -> Vec<Member> {
        self.certificate
            .certificate
            .signers
            .iter()
            .filter_map(|participant| committee.member(participant))
            .map(|member| (Address::from(member.id), member.seats as u64))
            .collect()
    }
}

/// A finalization certificate a block carries, checked ([`Claim::check`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertifiedBlock {
    /// The ancestor it proves final.
    pub number: u64,
    pub hash: B256,
    /// The epoch whose committee signed.
    pub epoch: u64,
    /// The members that signed, with their seats, in participant order.
    pub signers: Vec<Member>,
}

fn describe(stop: Stop) -> String {
    match stop {
        Stop::Revert(reason) | Stop::Ledger(reason) => reason,
        Stop::OutOfGas => "out of gas".into(),
    }
}

/// The balances one block's rewards change: credits to accounts, and what enters and
/// leaves the staking contract's own balance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payments {
    pub credits: BTreeMap<Address, U256>,
    pub into_contract: U256,
    pub out_of_contract: U256,
}

impl Payments {
    fn credit(&mut self, account: Address, amount: U256) -> Step<()> {
        if amount.is_zero() {
            return Ok(());
        }
        let balance = self.credits.entry(account).or_default();
        *balance = checked(balance.checked_add(amount), || {
            format!("crediting {amount} wei to {account}")
        })?;
        Ok(())
    }
}

/// `value`, or a ledger stop naming what overflowed. `blockReward` is bounded
/// ([`super::StakingConfig::validate`]) so that none of these sums can overflow in any
/// chain's lifetime; the checks keep a state that breaks that bound from wrapping silently.
fn checked(value: Option<U256>, what: impl FnOnce() -> String) -> Step<U256> {
    value.ok_or_else(|| Stop::Ledger(format!("the block reward overflows {}", what())))
}

/// The rewards of the block whose beneficiary is `beneficiary` and which carries
/// `certified` (module docs): the slots it changes are written to `s`, the balances
/// returned.
pub fn end_block(
    s: &mut impl Slots,
    beneficiary: Address,
    certified: Option<&CertifiedBlock>,
) -> Step<Payments> {
    let reward = block_reward(s)?;
    let mut payments = Payments::default();
    if reward.is_zero() {
        return Ok(payments);
    }
    let shares = shares(reward);
    let mut unpaid = unpaid_committee_reward(s)?;
    let mut route = route_pool(s)?;
    if let Some(certified) = certified {
        let last_rewarded = last_rewarded_block(s)?;
        let span = certified.number.saturating_sub(last_rewarded);
        if span == 0 {
            return Err(Stop::Ledger(format!(
                "block {} is certified again: the committee is paid up to {last_rewarded}",
                certified.number
            )));
        }
        let owed = checked(shares.committee.checked_mul(U256::from(span)), || {
            format!("the committee's share of {span} blocks")
        })?;
        unpaid = unpaid.checked_sub(owed).ok_or_else(|| {
            Stop::Ledger(format!(
                "the committee is owed {owed} wei for blocks {} to {}, but only {unpaid} \
                 accrued",
                last_rewarded + 1,
                certified.number
            ))
        })?;
        let seats: u64 = certified.signers.iter().map(|(_, seats)| seats).sum();
        let mut paid = U256::ZERO;
        if seats > 0 {
            for (signer, signer_seats) in &certified.signers {
                let weighted = checked(owed.checked_mul(U256::from(*signer_seats)), || {
                    format!("{owed} wei weighed by {signer_seats} seats")
                })?;
                // Each amount rounds down, so `paid` never exceeds `owed`.
                let amount = weighted / U256::from(seats);
                payments.credit(*signer, amount)?;
                paid += amount;
            }
        }
        payments.out_of_contract = paid;
        route = checked(route.checked_add(owed - paid), || {
            "the route pool with an unpaid span's rounding".into()
        })?;
        s.store(slot::LAST_REWARDED_BLOCK, U256::from(certified.number))?;
    }
    payments.credit(beneficiary, shares.producer)?;
    // At most `reward`, as `shares` splits it.
    payments.into_contract = shares.route + shares.committee;
    let route = checked(route.checked_add(shares.route), || "the route pool".into())?;
    let unpaid = checked(unpaid.checked_add(shares.committee), || {
        "the unpaid committee reward".into()
    })?;
    s.store(slot::ROUTE_POOL, route)?;
    s.store(slot::UNPAID_COMMITTEE_REWARD, unpaid)?;
    Ok(payments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staking::storage::MapSlots;

    const REWARD: u64 = 1_000;

    fn rewarding() -> MapSlots {
        let mut slots = MapSlots::default();
        slots.0.insert(slot::BLOCK_REWARD, U256::from(REWARD));
        slots
    }

    fn certified(number: u64, signers: Vec<Member>) -> CertifiedBlock {
        CertifiedBlock {
            number,
            hash: B256::ZERO,
            epoch: 0,
            signers,
        }
    }

    fn producer() -> Address {
        Address::repeat_byte(0xbe)
    }

    #[test]
    fn seats_weigh_the_pay_and_the_rounding_goes_to_the_route_pool() {
        let mut s = rewarding();
        end_block(&mut s, producer(), None).unwrap();
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        // 700 wei owed for block 1, split 1:2 — 233 and 466, 1 wei left over.
        let payments = end_block(
            &mut s,
            producer(),
            Some(&certified(1, vec![(a, 1), (b, 2)])),
        )
        .unwrap();
        assert_eq!(payments.credits[&a], U256::from(233));
        assert_eq!(payments.credits[&b], U256::from(466));
        assert_eq!(payments.credits[&producer()], U256::from(200));
        assert_eq!(payments.out_of_contract, U256::from(699));
        assert_eq!(payments.into_contract, U256::from(800));
        let state = reward_state(&mut s).unwrap();
        assert_eq!(state.route_pool, U256::from(100 + 100 + 1));
        assert_eq!(state.unpaid_committee_reward, U256::from(700));
        assert_eq!(state.last_rewarded_block, 1);
    }

    #[test]
    fn a_span_signed_by_seatless_members_only_goes_to_the_route_pool() {
        let mut s = rewarding();
        for _ in 0..3 {
            end_block(&mut s, producer(), None).unwrap();
        }
        let seatless = Address::repeat_byte(3);
        let payments =
            end_block(&mut s, producer(), Some(&certified(2, vec![(seatless, 0)]))).unwrap();
        assert!(!payments.credits.contains_key(&seatless));
        assert_eq!(payments.out_of_contract, U256::ZERO);
        let state = reward_state(&mut s).unwrap();
        // Four blocks' 100 wei each, and blocks 1 and 2's committee shares.
        assert_eq!(state.route_pool, U256::from(400 + 1_400));
        // Blocks 3 and 4 still wait for a certificate.
        assert_eq!(state.unpaid_committee_reward, U256::from(1_400));
        assert_eq!(state.last_rewarded_block, 2);
    }

    fn ledger_reason(step: Step<Payments>) -> String {
        match step {
            Err(Stop::Ledger(reason)) => reason,
            other => panic!("expected a ledger stop, got {other:?}"),
        }
    }

    #[test]
    fn a_reward_whose_sums_overflow_stops_the_ledger_instead_of_wrapping() {
        let mut s = MapSlots::default();
        s.0.insert(slot::BLOCK_REWARD, U256::MAX);
        // The split itself holds for the largest reward: the shares add up to it.
        let split = shares(U256::MAX);
        assert_eq!(split.producer + split.route + split.committee, U256::MAX);
        end_block(&mut s, producer(), None).unwrap();
        // Two blocks' committee shares, each about 70% of the reward, do not fit.
        let span = certified(2, vec![(Address::repeat_byte(1), 1)]);
        assert_eq!(
            ledger_reason(end_block(&mut s, producer(), Some(&span))),
            "the block reward overflows the committee's share of 2 blocks"
        );
        assert_eq!(
            ledger_reason(end_block(&mut s, producer(), None)),
            "the block reward overflows the unpaid committee reward"
        );
    }

    #[test]
    fn a_chain_without_a_reward_moves_nothing() {
        let mut s = MapSlots::default();
        let payments = end_block(&mut s, producer(), None).unwrap();
        assert_eq!(payments, Payments::default());
        assert!(s.0.is_empty());
    }
}
