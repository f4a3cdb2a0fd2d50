//! Proof that a block is final, for nodes that did not vote on it.
//!
//! simplex finalizes a block with a certificate: one aggregate BLS signature over the block's
//! proposal and a bitmap naming the committee members who signed. A node syncing from
//! strangers (a late joiner, a restarted validator) checks that certificate against the
//! epoch's [`ConsensusCommittee`] and then trusts the block and, through parent hashes, every
//! ancestor of it, without trusting the peer that served them.

use crate::scheme::{BlockDigest, ConsensusCommittee, VortexScheme};
use commonware_codec::{Decode, Encode};
use commonware_consensus::simplex::types::Finalization;
use commonware_parallel::Sequential;
use commonware_utils::TestRng;

/// simplex's finalization certificate under Vortex's scheme.
pub type FinalizationCertificate = Finalization<VortexScheme, BlockDigest>;

/// What a valid certificate proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finalized {
    /// The epoch whose committee signed.
    pub epoch: u64,
    /// The view the block was proposed in.
    pub view: u64,
    /// The final block's hash.
    pub digest: BlockDigest,
    /// How many members signed.
    pub signers: usize,
}

/// Why a finality proof is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FinalityError {
    #[error("the finality proof is malformed: {0}")]
    Malformed(String),
    #[error(
        "the finality proof is for epoch {proof}, but the committee given is epoch {committee}'s"
    )]
    WrongEpoch { proof: u64, committee: u64 },
    #[error("the finality proof's signature does not verify against the epoch's committee")]
    BadSignature,
}

/// The bytes of `certificate`, as served to syncing peers.
pub fn encode_finalization(certificate: &FinalizationCertificate) -> Vec<u8> {
    certificate.encode().to_vec()
}

/// Decodes a finality proof and checks it against `committee`, the committee of its epoch.
pub fn check_finalization(
    bytes: &[u8],
    committee: &ConsensusCommittee,
) -> Result<Finalized, FinalityError> {
    // Decoding refuses trailing bytes as well as short or malformed ones.
    let certificate =
        FinalizationCertificate::decode_cfg(bytes.to_vec(), &committee.members().len())
            .map_err(|error| FinalityError::Malformed(error.to_string()))?;
    let epoch = certificate.round().epoch().get();
    if epoch != committee.epoch() {
        return Err(FinalityError::WrongEpoch {
            proof: epoch,
            committee: committee.epoch(),
        });
    }
    // One aggregate signature is one pairing check: no random weights are drawn, so any
    // fixed generator does.
    if !certificate.verify(&mut TestRng::new(0), &committee.verifier(), &Sequential) {
        return Err(FinalityError::BadSignature);
    }
    Ok(Finalized {
        epoch,
        view: certificate.round().view().get(),
        digest: certificate.proposal.payload,
        signers: certificate.certificate.signers.count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{committee, finality_proof};

    /// A finalization of `proposal(epoch, view, payload)` signed by the first `signing`
    /// of four members.
    fn certified(
        epoch: u64,
        view: u64,
        payload: u8,
        signing: usize,
    ) -> (ConsensusCommittee, Vec<u8>) {
        let (keys, members) = committee(epoch, 4);
        let digest = commonware_cryptography::keccak256::Digest([payload; 32]);
        let proof = finality_proof(&keys, &members, view, digest, signing).expect("a quorum");
        (members, proof)
    }

    #[test]
    fn a_quorum_certificate_proves_its_block_final() {
        let (members, bytes) = certified(3, 9, 0xab, 3);
        let finalized = check_finalization(&bytes, &members).unwrap();
        assert_eq!(finalized.epoch, 3);
        assert_eq!(finalized.view, 9);
        assert_eq!(finalized.digest.0, [0xab; 32]);
        assert_eq!(finalized.signers, 3);
    }

    #[test]
    fn fewer_signers_than_a_quorum_prove_nothing() {
        let (keys, members) = committee(3, 4);
        let digest = commonware_cryptography::keccak256::Digest([0xab; 32]);
        // Two of four cannot even be assembled; a certificate claiming them would not check.
        assert_eq!(finality_proof(&keys, &members, 9, digest, 2), None);
    }

    #[test]
    fn altered_or_foreign_certificates_are_refused() {
        let (members, bytes) = certified(3, 9, 0xab, 3);
        // Another block's hash under the same signature.
        let payload_at = bytes
            .windows(32)
            .position(|w| w == [0xab; 32])
            .expect("the payload is in the bytes");
        let mut swapped = bytes.clone();
        swapped[payload_at] ^= 1;
        assert_eq!(
            check_finalization(&swapped, &members),
            Err(FinalityError::BadSignature)
        );
        // The last byte is inside the aggregate signature.
        let mut forged = bytes.clone();
        *forged.last_mut().unwrap() ^= 1;
        assert!(check_finalization(&forged, &members).is_err());
        // Another epoch's committee.
        let (_, other_epoch) = committee(4, 4);
        assert_eq!(
            check_finalization(&bytes, &other_epoch),
            Err(FinalityError::WrongEpoch {
                proof: 3,
                committee: 4
            })
        );
        // Truncated and padded bytes.
        assert!(matches!(
            check_finalization(&bytes[..bytes.len() - 1], &members),
            Err(FinalityError::Malformed(_))
        ));
        let padded = [bytes.as_slice(), &[0]].concat();
        assert!(matches!(
            check_finalization(&padded, &members),
            Err(FinalityError::Malformed(_))
        ));
        assert!(matches!(
            check_finalization(&[], &members),
            Err(FinalityError::Malformed(_))
        ));
    }
}
