//! The staking contract's Solidity interface, and decoding its call data strictly.
//!
//! Call data is decoded in alloy's strict mode (canonical offsets, zero padding, no trailing
//! bytes), so a call has one encoding and a length or offset pointing anywhere else is
//! refused, never followed. Key bytes are checked for what they are only after decoding
//! ([`super::calls`]), so a malformed key is named as such rather than as bad ABI.

// `sol!` gives each event a constructor with one argument per field; `Slashed` has eight.
#![allow(clippy::too_many_arguments)]

use crate::system::{Step, Stop};
use alloy_sol_types::SolCall;
use alloy_sol_types::abi::AbiDecoderConfig;
use alloy_sol_types::sol;

sol! {
    /// The staking contract at `STAKING`.
    #[sol(all_derives)]
    interface IStaking {
        /// A validator as the contract records it.
        struct Validator {
            bool registered;
            /// ed25519 network identity.
            bytes32 identity;
            /// BLS12-381 voting key (MinSig, 96 bytes compressed).
            bytes blsPublicKey;
            /// sr25519 VRF key.
            bytes32 vrfPublicKey;
            uint256 bonded;
            /// Unbonding, not yet withdrawn (matured or not).
            uint256 unbonding;
            /// The part of `unbonding` that `withdraw` would pay now.
            uint256 withdrawable;
        }

        /// A bonded candidate of the committee draw.
        struct Candidate {
            address validator;
            uint256 stake;
        }

        /// A member of an epoch's committee.
        struct Member {
            address validator;
            bytes32 identity;
            bytes blsPublicKey;
            /// Seats drawn (reward and leader weight; the member's vote counts once).
            uint64 seats;
        }

        /// Registers `msg.sender` as a validator candidate, bonding `msg.value`.
        /// `identitySignature` is the identity key's ed25519 signature over
        /// `chainId (8 bytes, big-endian) ‖ msg.sender ‖ blsPublicKey`.
        function register(
            bytes32 identity,
            bytes calldata identitySignature,
            bytes calldata blsPublicKey,
            bytes calldata blsProofOfPossession,
            bytes32 vrfPublicKey
        ) external payable;
        /// Bonds `msg.value` more.
        function addStake() external payable;
        /// Starts unbonding `amount`; it can be withdrawn `unbondingPeriod` blocks later.
        function unbond(uint256 amount) external;
        /// Pays out every matured unbonding entry; returns the amount paid.
        function withdraw() external returns (uint256);
        /// Slashes and jails the signer of two conflicting votes (`vnt_vortex::evidence`
        /// bytes), paying the reporter its share.
        function reportEvidence(bytes calldata evidence) external;

        function validator(address account) external view returns (Validator memory);
        function totalBonded() external view returns (uint256);
        /// The bonded candidates, ordered by address.
        function candidates() external view returns (Candidate[] memory);
        function unbondingPeriod() external view returns (uint64);
        function minimumStake() external view returns (uint256);
        /// The epoch of the block the call runs in.
        function currentEpoch() external view returns (uint64);
        function epochLength() external view returns (uint64);
        /// The seed of `epoch`, zero until fixed.
        function epochSeed(uint64 epoch) external view returns (bytes32);
        /// The members serving `epoch` (jailed ones left out of later epochs), ordered by
        /// address; reverts for an epoch whose committee is not drawn yet.
        function committee(uint64 epoch) external view returns (Member[] memory);
        function jailed(address account) external view returns (bool);
        /// Wei every block mints (zero on a chain without rewards).
        function blockReward() external view returns (uint256);
        /// The route reward pool: its shares of block rewards, held in this contract.
        function routePool() external view returns (uint256);
        /// Committee shares of block rewards not yet paid, held in this contract.
        function unpaidCommitteeReward() external view returns (uint256);
        /// The last block whose committee share is paid.
        function lastRewardedBlock() external view returns (uint64);

        event Registered(address indexed validator, bytes32 indexed identity, bytes blsPublicKey, bytes32 vrfPublicKey);
        event Bonded(address indexed validator, uint256 amount, uint256 bonded);
        event Unbonding(address indexed validator, uint256 amount, uint64 maturesAt);
        event Withdrawn(address indexed validator, uint256 amount);
        /// `fault`: 1 conflicting notarize, 2 conflicting finalize, 3 nullify and finalize.
        event Slashed(address indexed offender, address indexed reporter, uint64 indexed epoch, uint64 view, uint8 fault, uint256 slashed, uint256 reward, uint256 burned);
    }
}

/// Decodes a call's arguments (the call data after the selector), refusing anything but
/// their exact canonical encoding.
pub fn decode<C: SolCall>(args: &[u8]) -> Step<C> {
    C::abi_decode_raw_with_config(args, AbiDecoderConfig::new().strict(true))
        .map_err(|error| Stop::revert(format!("malformed call data for {}: {error}", C::SIGNATURE)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{B256, Bytes, U256};

    fn sample() -> IStaking::registerCall {
        IStaking::registerCall {
            identity: B256::repeat_byte(1),
            identitySignature: Bytes::from(vec![5u8; 64]),
            blsPublicKey: Bytes::from(vec![2u8; 96]),
            blsProofOfPossession: Bytes::from(vec![3u8; 48]),
            vrfPublicKey: B256::repeat_byte(4),
        }
    }

    fn reason(step: Step<impl std::fmt::Debug>) -> String {
        match step {
            Err(Stop::Revert(reason)) => reason,
            other => panic!("expected a revert, got {other:?}"),
        }
    }

    #[test]
    fn a_canonical_encoding_round_trips() {
        let encoded = sample().abi_encode();
        let decoded = decode::<IStaking::registerCall>(&encoded[4..]).unwrap();
        assert_eq!(decoded.abi_encode(), encoded);
        let unbond = IStaking::unbondCall { amount: U256::MAX };
        let encoded = unbond.abi_encode();
        assert_eq!(
            decode::<IStaking::unbondCall>(&encoded[4..])
                .unwrap()
                .amount,
            U256::MAX
        );
    }

    #[test]
    fn every_truncation_and_extension_is_refused() {
        let encoded = sample().abi_encode();
        let args = &encoded[4..];
        for len in 0..args.len() {
            let why = reason(decode::<IStaking::registerCall>(&args[..len]));
            assert!(
                why.starts_with("malformed call data for register("),
                "{len}: {why}"
            );
        }
        let mut longer = args.to_vec();
        longer.extend_from_slice(&[0u8; 32]);
        assert!(reason(decode::<IStaking::registerCall>(&longer)).starts_with("malformed"));
        // Functions without arguments take exactly no bytes.
        assert!(reason(decode::<IStaking::withdrawCall>(&[0])).starts_with("malformed"));
    }

    #[test]
    fn mutated_call_data_is_decoded_or_refused_never_a_panic() {
        use rand_chacha::ChaCha20Rng;
        use rand_chacha::rand_core::{RngCore, SeedableRng};
        let encoded = sample().abi_encode();
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        let (mut decoded, mut refused) = (0, 0);
        for _ in 0..5_000 {
            let mut args = encoded[4..].to_vec();
            for _ in 0..1 + rng.next_u32() % 4 {
                let at = rng.next_u32() as usize % args.len();
                args[at] = rng.next_u32() as u8;
            }
            let cut = rng.next_u32() as usize % (args.len() + 1);
            let args = if rng.next_u32() % 4 == 0 {
                &args[..cut]
            } else {
                &args[..]
            };
            match decode::<IStaking::registerCall>(args) {
                Ok(call) => {
                    decoded += 1;
                    // What decodes is checked as keys next: that must not panic either.
                    let _ = super::super::calls::check_keys(&call);
                }
                Err(_) => refused += 1,
            }
        }
        // Both paths ran: mutations of the key words decode, of the offsets mostly not.
        assert!(decoded > 100 && refused > 100, "{decoded} {refused}");
    }
}
