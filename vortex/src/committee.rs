//! Committees: which bonded validators sign the blocks of an epoch, drawn by stake.
//!
//! **Randomness.** Every epoch `e` has a 32-byte seed. Each block proposer of epoch `e` puts a
//! VRF output in its block, evaluated with its registered VRF key (schnorrkel, sr25519) on
//! `(seed_e, e, height)`. A VRF output is unique for its key and input, so a proposer chooses
//! only whether to publish, never what. When epoch `e` ends, the seed of epoch `e + 2` is
//! fixed as `SHA-256(tag ‖ seed_{e+1} ‖ e ‖ outputs of epoch e in block order)`
//! ([`next_seed`]). The committee of `e + 2` is therefore known a whole epoch before it
//! serves (nodes can connect to it in time), and it was unpredictable when the stake it is
//! drawn from was bonded.
//!
//! **Draw.** The committee has a fixed number of seats. Seat `j` goes to the candidate whose
//! interval of the cumulative stake line (candidates ordered by address) contains a point
//! drawn uniformly from `[0, total stake)` with `SHA-256(tag ‖ seed ‖ epoch ‖ j ‖ attempt)`
//! ([`draw`]). A candidate's chance per seat is exactly its share of the stake, and one
//! candidate may hold several seats.
//!
//! **Members.** Consensus counts distinct signers, so votes go by member, not by seat:
//! [`elect`] caps each stake at one seat's worth, then draws seats in order until it has as
//! many distinct holders as the committee has places, and those are the members (every
//! candidate, when there are no more candidates than places). A committee therefore always
//! has `min(candidates, places)` members — one more candidate never shrinks it — and seat
//! counts weight rewards and leadership. A certificate needs `n - f` of the `n` members, and
//! up to `f = (n - 1) / 3` may be faulty ([`Membership`]). The draw is public rather than a
//! secret per-validator sortition (as in Algorand): a BFT committee must know its members to
//! aggregate their signatures, so secrecy would buy nothing.
//!
//! Everything is recomputable from chain data alone: the stake table at the epoch's snapshot,
//! the VRF keys and the VRF outputs with their proofs in block headers ([`verify_output`]).

use schnorrkel::context::SigningTranscript;
use schnorrkel::vrf::{VRFPreOut, VRFProof};
use schnorrkel::{Keypair, PublicKey, signing_context};
use sha2::{Digest, Sha256};

/// A validator's identity: its account address.
pub type ValidatorId = [u8; 20];

/// Domain of the VRF transcript, so these outputs can never double as other signatures.
const VRF_CONTEXT: &[u8] = b"vnt-vortex/epoch-vrf";
/// Label under which a VRF output is turned into bytes.
const VRF_OUTPUT_LABEL: &[u8] = b"vnt-vortex/vrf-output";
const SEED_TAG: &[u8] = b"vnt-vortex/seed";
const SEAT_TAG: &[u8] = b"vnt-vortex/seat";

/// Why a draw or a VRF output was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitteeError {
    /// No candidate has stake.
    #[error("no candidate has bonded stake")]
    NoStake,
    /// A committee needs at least one seat.
    #[error("a committee needs at least one seat")]
    NoSeats,
    /// The same validator appears twice in the stake table.
    #[error("validator 0x{} appears twice in the stake table", hex(.0))]
    DuplicateCandidate(ValidatorId),
    /// The stakes add up to more than the draw can represent.
    #[error("total stake overflows 128 bits")]
    StakeOverflow,
    /// A VRF public key does not decode.
    #[error("VRF public key is not a valid sr25519 key")]
    BadKey,
    /// A VRF output or proof does not decode or does not verify.
    #[error("VRF proof does not verify for this key and input")]
    BadProof,
}

/// The seed an epoch's VRF outputs and committee draw are computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EpochSeed(pub [u8; 32]);

/// A bonded candidate as the stake table at the epoch's snapshot records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The validator.
    pub id: ValidatorId,
    /// Bonded stake, in the token's smallest unit.
    pub stake: u128,
}

/// A VRF output with what proves it: both travel in a block header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VrfProof {
    /// The VRF pre-output (the curve point the output is hashed from).
    pub pre_output: [u8; 32],
    /// The DLEQ proof that the pre-output belongs to the key and the input.
    pub proof: [u8; 64],
}

/// A validator's VRF key pair (sr25519).
#[derive(Clone)]
pub struct VrfKeypair(Keypair);

impl VrfKeypair {
    /// The key pair of a 32-byte secret seed (the node's key file holds the seed).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let secret = schnorrkel::MiniSecretKey::from_bytes(&seed)
            .expect("any 32 bytes are a mini secret key");
        Self(secret.expand_to_keypair(schnorrkel::ExpansionMode::Ed25519))
    }

    /// The public key registered with the staking contract.
    pub fn public(&self) -> [u8; 32] {
        self.0.public.to_bytes()
    }

    /// Evaluates the VRF on the input of block `height` in `epoch`: the output and its proof.
    pub fn evaluate(&self, seed: &EpochSeed, epoch: u64, height: u64) -> ([u8; 32], VrfProof) {
        let (inout, proof, _) = self.0.vrf_sign(transcript(seed, epoch, height));
        let output = inout.make_bytes::<[u8; 32]>(VRF_OUTPUT_LABEL);
        let proof = VrfProof {
            pre_output: inout.to_preout().to_bytes(),
            proof: proof.to_bytes(),
        };
        (output, proof)
    }
}

fn transcript(seed: &EpochSeed, epoch: u64, height: u64) -> impl SigningTranscript {
    let mut input = Vec::with_capacity(48);
    input.extend_from_slice(&seed.0);
    input.extend_from_slice(&epoch.to_be_bytes());
    input.extend_from_slice(&height.to_be_bytes());
    signing_context(VRF_CONTEXT).bytes(&input)
}

/// Checks a block's VRF proof under the proposer's registered key and returns the output.
pub fn verify_output(
    public_key: &[u8; 32],
    seed: &EpochSeed,
    epoch: u64,
    height: u64,
    proof: &VrfProof,
) -> Result<[u8; 32], CommitteeError> {
    let key = PublicKey::from_bytes(public_key).map_err(|_| CommitteeError::BadKey)?;
    let pre_output =
        VRFPreOut::from_bytes(&proof.pre_output).map_err(|_| CommitteeError::BadProof)?;
    let dleq = VRFProof::from_bytes(&proof.proof).map_err(|_| CommitteeError::BadProof)?;
    let (inout, _) = key
        .vrf_verify(transcript(seed, epoch, height), &pre_output, &dleq)
        .map_err(|_| CommitteeError::BadProof)?;
    Ok(inout.make_bytes::<[u8; 32]>(VRF_OUTPUT_LABEL))
}

/// The seed of epoch `epoch + 2`, fixed when `epoch` ends from the seed of `epoch + 1` and the
/// verified VRF outputs of `epoch`'s blocks in block order.
pub fn next_seed(seed_after: &EpochSeed, epoch: u64, outputs: &[[u8; 32]]) -> EpochSeed {
    let mut h = Sha256::new();
    h.update(SEED_TAG);
    h.update(seed_after.0);
    h.update(epoch.to_be_bytes());
    h.update((outputs.len() as u64).to_be_bytes());
    for output in outputs {
        h.update(output);
    }
    EpochSeed(h.finalize().into())
}

/// An epoch's committee: the holder of each seat, in seat order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committee {
    /// The epoch it serves.
    pub epoch: u64,
    /// Seat `j`'s holder; a validator may hold several seats.
    pub seats: Vec<ValidatorId>,
}

impl Committee {
    /// Each member with its number of seats, ordered by address.
    pub fn members(&self) -> Vec<(ValidatorId, usize)> {
        let mut counts = std::collections::BTreeMap::new();
        for id in &self.seats {
            *counts.entry(*id).or_insert(0usize) += 1;
        }
        counts.into_iter().collect()
    }

    /// Whether `id` holds a seat.
    pub fn contains(&self, id: &ValidatorId) -> bool {
        self.seats.contains(id)
    }
}

/// Draws `seats` seats for `epoch` from the candidates' stake with `seed` (module docs).
/// Candidates without stake take no part; the input order does not matter.
pub fn draw(
    seed: &EpochSeed,
    epoch: u64,
    candidates: &[Candidate],
    seats: usize,
) -> Result<Committee, CommitteeError> {
    if seats == 0 {
        return Err(CommitteeError::NoSeats);
    }
    let line = StakeLine::new(candidates)?;
    let seats = (0..seats as u64)
        .map(|seat| line.holder(seed, epoch, seat))
        .collect();
    Ok(Committee { epoch, seats })
}

/// The cumulative stake line the seats are drawn on: candidates ordered by address, each
/// owning an interval as long as its stake.
struct StakeLine {
    sorted: Vec<Candidate>,
    /// `cumulative[i]` is the stake of candidates `0..=i`: candidate `i` owns
    /// `[cumulative[i - 1], cumulative[i])`.
    cumulative: Vec<u128>,
    total: u128,
}

impl StakeLine {
    fn new(candidates: &[Candidate]) -> Result<Self, CommitteeError> {
        let mut sorted: Vec<Candidate> =
            candidates.iter().copied().filter(|c| c.stake > 0).collect();
        sorted.sort_by_key(|c| c.id);
        if let Some(pair) = sorted.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(CommitteeError::DuplicateCandidate(pair[0].id));
        }
        let mut cumulative = Vec::with_capacity(sorted.len());
        let mut total: u128 = 0;
        for c in &sorted {
            total = total
                .checked_add(c.stake)
                .ok_or(CommitteeError::StakeOverflow)?;
            cumulative.push(total);
        }
        if total == 0 {
            return Err(CommitteeError::NoStake);
        }
        Ok(Self {
            sorted,
            cumulative,
            total,
        })
    }

    /// Who holds seat `seat` of `epoch`.
    fn holder(&self, seed: &EpochSeed, epoch: u64, seat: u64) -> ValidatorId {
        let point = uniform_below(seed, epoch, seat, self.total);
        self.sorted[self.cumulative.partition_point(|&end| end <= point)].id
    }
}

/// A uniform value in `[0, bound)` from the seat's hash stream, by rejection: only the
/// largest multiple of `bound` below 2^128 is accepted, so no value is favoured.
fn uniform_below(seed: &EpochSeed, epoch: u64, seat: u64, bound: u128) -> u128 {
    // Values above `zone` would make the low residues more likely; almost never reached.
    let zone = u128::MAX - (u128::MAX % bound + 1) % bound;
    (0u64..)
        .map(|attempt| {
            let mut h = Sha256::new();
            h.update(SEAT_TAG);
            h.update(seed.0);
            h.update(epoch.to_be_bytes());
            h.update(seat.to_be_bytes());
            h.update(attempt.to_be_bytes());
            let digest = h.finalize();
            u128::from_be_bytes(digest[..16].try_into().expect("16 bytes"))
        })
        .find(|&x| x <= zone)
        .expect("each attempt is accepted with probability above 1/2")
        % bound
}

/// An epoch's consensus members: who votes, one vote each.
///
/// simplex counts distinct signers, so a member holding three seats still casts one vote.
/// Seats keep their meaning as weights for rewards and leadership; membership decides votes
/// (see `docs/consensus.md`, "Committee members and the fault bound").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The seat draw the members come from (over capped stakes).
    pub draw: Committee,
    /// Each member with the seats it drew, ordered by address; when every candidate is a
    /// member, some hold no seat.
    pub members: Vec<(ValidatorId, usize)>,
}

impl Membership {
    /// The epoch these members serve.
    pub fn epoch(&self) -> u64 {
        self.draw.epoch
    }

    /// Number of members `n`.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no members (never true for an elected membership).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The members `f` that may be faulty without losing safety or liveness: `(n - 1) / 3`.
    pub fn max_faults(&self) -> usize {
        self.len().saturating_sub(1) / 3
    }

    /// Distinct votes a certificate needs: `n - f`.
    pub fn quorum(&self) -> usize {
        self.len() - self.max_faults()
    }

    /// Whether `id` is a member.
    pub fn contains(&self, id: &ValidatorId) -> bool {
        self.members
            .binary_search_by_key(id, |(member, _)| *member)
            .is_ok()
    }
}

/// How many seats [`elect`] draws per place at most while looking for distinct holders.
/// With stakes capped at one place's worth, each draw finds a new holder with probability
/// at least `1 - places / candidates`, so the bound is never reached in practice; it only
/// keeps the loop finite whatever the stake table.
const DRAWS_PER_PLACE: usize = 64;

/// Elects the members of `epoch` from the candidates' stake (one member, one vote), for a
/// committee of `places` members:
///
/// 1. With more candidates than places, stakes are capped at one place's worth: no stake
///    may exceed `ceil(capped total / places)`, the cap recomputed until that holds (each
///    round lowers the cap by a factor of about `places`, so a few dozen rounds suffice for
///    any 128-bit stake). Splitting stake over several accounts then gains no votes, and a
///    whale counts as one member like everyone else.
/// 2. If there are at most `places` bonded candidates, every one is a member (a small network
///    keeps all its validators, so losing one never costs more than one vote), holding the
///    first `places` seats drawn.
/// 3. Otherwise seats are drawn in order until `places` distinct candidates hold one; they
///    are the members. Should the bound on draws ever be reached, the places left go to the
///    largest remaining stakes (then lowest address), so the committee is never short.
pub fn elect(
    seed: &EpochSeed,
    epoch: u64,
    candidates: &[Candidate],
    places: usize,
) -> Result<Membership, CommitteeError> {
    if places == 0 {
        return Err(CommitteeError::NoSeats);
    }
    let capped = cap_stakes(candidates, places)?;
    let line = StakeLine::new(&capped)?;
    let mut seats = Vec::new();
    let mut holders = std::collections::BTreeSet::new();
    let wanted = line.sorted.len().min(places);
    for seat in 0..(places * DRAWS_PER_PLACE) as u64 {
        if line.sorted.len() <= places && seats.len() == places {
            break;
        }
        if line.sorted.len() > places && holders.len() == wanted {
            break;
        }
        let holder = line.holder(seed, epoch, seat);
        holders.insert(holder);
        seats.push(holder);
    }
    let draw = Committee { epoch, seats };
    let mut members = draw.members();
    let mut rest: Vec<&Candidate> = line
        .sorted
        .iter()
        .filter(|c| !holders.contains(&c.id))
        .collect();
    rest.sort_by(|a, b| b.stake.cmp(&a.stake).then(a.id.cmp(&b.id)));
    for candidate in rest.into_iter().take(wanted.saturating_sub(members.len())) {
        let slot = members
            .binary_search_by_key(&candidate.id, |(id, _)| *id)
            .unwrap_err();
        members.insert(slot, (candidate.id, 0));
    }
    Ok(Membership { draw, members })
}

/// The bonded candidates with each stake capped at one place's worth of the capped total
/// (see [`elect`]).
fn cap_stakes(candidates: &[Candidate], places: usize) -> Result<Vec<Candidate>, CommitteeError> {
    let mut capped: Vec<Candidate> = candidates.iter().copied().filter(|c| c.stake > 0).collect();
    // A cap below a place's worth needs at least `places` candidates to share the stake.
    if capped.len() <= places {
        return Ok(capped);
    }
    loop {
        let total = capped.iter().try_fold(0u128, |sum, c| {
            sum.checked_add(c.stake)
                .ok_or(CommitteeError::StakeOverflow)
        })?;
        let cap = total.div_ceil(places as u128);
        if capped.iter().all(|c| c.stake <= cap) {
            return Ok(capped);
        }
        for c in &mut capped {
            c.stake = c.stake.min(cap);
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
