//! The pool's Solidity interface, and decoding its call data without trusting it.
//!
//! Call data is decoded strictly (alloy's strict mode: canonical offsets, zero padding, no
//! gaps or trailing bytes), so one call has one encoding and a length or offset that
//! points anywhere else is refused, never followed. Before that, the head words of the
//! three amounts and the recipient are checked by hand, so an overflowing `uint64` is named
//! as such rather than reported as a generic type failure.

use super::{MAX_NOTE_CIPHERTEXT, Step, Stop};
use alloy_primitives::{Address, B256};
use alloy_sol_types::abi::AbiDecoderConfig;
use alloy_sol_types::{SolCall, sol};
use vnt_zk::Fr;
use vnt_zk::circuit::{PublicInputs, external_data_hash};
use vnt_zk::verify::{PROOF_BYTES, VerifyError, field_from_bytes};
use vnt_zk::wallet::recipient_field;

sol! {
    /// The shielded pool at `SHIELDED_POOL`.
    #[sol(all_derives)]
    interface IShieldedPool {
        /// One spend: shield (publicIn > 0), private transfer, or unshield (publicOut > 0).
        function transact(
            bytes calldata proof,
            bytes32 root,
            bytes32[2] calldata nullifiers,
            bytes32[2] calldata commitments,
            uint64 publicIn,
            uint64 publicOut,
            uint64 fee,
            address recipient,
            bytes[2] calldata encryptedNotes
        ) external payable;
        function root() external view returns (bytes32);
        function isKnownRoot(bytes32 root) external view returns (bool);
        function isSpent(bytes32 nullifier) external view returns (bool);
        function noteCount() external view returns (uint64);
        function verifyingKeyHash() external view returns (bytes32);
        event NoteCommitted(uint64 indexed position, bytes32 commitment, bytes encryptedNote);
        event NullifierSpent(bytes32 indexed nullifier);
    }
}

pub use IShieldedPool::transactCall as Transact;

/// `transact`'s head words, by position after the selector, that hold fixed-size values.
const AMOUNT_WORDS: [(usize, &str); 3] = [(6, "publicIn"), (7, "publicOut"), (8, "fee")];
const RECIPIENT_WORD: usize = 9;
const HEAD_WORDS: usize = 11;

fn strict() -> AbiDecoderConfig {
    AbiDecoderConfig::new().strict(true)
}

/// Decodes `transact`'s arguments (the call data after the selector).
pub fn decode_transact(args: &[u8]) -> Step<Transact> {
    if args.len() >= HEAD_WORDS * 32 {
        let word = |index: usize| &args[index * 32..(index + 1) * 32];
        for (index, name) in AMOUNT_WORDS {
            if word(index)[..24].iter().any(|b| *b != 0) {
                return Err(Stop::revert(format!(
                    "{name} does not fit in a uint64 (value overflow)"
                )));
            }
        }
        if word(RECIPIENT_WORD)[..12].iter().any(|b| *b != 0) {
            return Err(Stop::revert("recipient is not a 20-byte address"));
        }
    }
    Transact::abi_decode_raw_with_config(args, strict()).map_err(|error| {
        Stop::revert(format!(
            "malformed call data for {}: {error}",
            Transact::SIGNATURE
        ))
    })
}

/// Decodes the arguments of a view function, refusing anything but their exact encoding.
pub fn decode_view<C: SolCall>(args: &[u8]) -> Step<C> {
    C::abi_decode_raw_with_config(args, strict())
        .map_err(|error| Stop::revert(format!("malformed call data for {}: {error}", C::SIGNATURE)))
}

/// The spend statement `call` claims when `submitter` sends it on the chain with id
/// `chain_id`, after checking the shapes the circuit cannot: every field element canonical,
/// the proof and the ciphertexts of the right size. The submitter and the ciphertexts enter
/// the statement through its external data, so a proof made for one submitter, or for
/// other ciphertexts, does not verify.
pub fn statement(call: &Transact, chain_id: u64, submitter: Address) -> Step<PublicInputs> {
    if call.proof.len() != PROOF_BYTES {
        return Err(Stop::revert(
            VerifyError::ProofLength(call.proof.len()).to_string(),
        ));
    }
    for (index, note) in call.encryptedNotes.iter().enumerate() {
        if note.len() > MAX_NOTE_CIPHERTEXT {
            return Err(Stop::revert(format!(
                "encryptedNotes[{index}] is {} bytes, at most {MAX_NOTE_CIPHERTEXT} are allowed",
                note.len()
            )));
        }
    }
    let root = field(&call.root, "root")?;
    let nullifiers = [
        field(&call.nullifiers[0], "nullifiers[0]")?,
        field(&call.nullifiers[1], "nullifiers[1]")?,
    ];
    let commitments = [
        field(&call.commitments[0], "commitments[0]")?,
        field(&call.commitments[1], "commitments[1]")?,
    ];
    Ok(PublicInputs {
        root,
        nullifiers,
        commitments,
        public_in: call.publicIn,
        public_out: call.publicOut,
        fee: call.fee,
        recipient: recipient_field(&call.recipient.0.0),
        chain_id,
        external_data: external_data_hash(
            &submitter.0.0,
            [&call.encryptedNotes[0], &call.encryptedNotes[1]],
        ),
    })
}

fn field(bytes: &B256, name: &'static str) -> Step<Fr> {
    field_from_bytes(&bytes.0)
        .ok_or_else(|| Stop::revert(VerifyError::NonCanonical(name).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Bytes, U256};

    const SUBMITTER: Address = Address::repeat_byte(0x5b);

    fn sample() -> Transact {
        Transact {
            proof: Bytes::from(vec![7u8; PROOF_BYTES]),
            root: B256::repeat_byte(1),
            nullifiers: [B256::repeat_byte(2), B256::repeat_byte(3)],
            commitments: [B256::repeat_byte(4), B256::repeat_byte(5)],
            publicIn: 10,
            publicOut: 0,
            fee: 1,
            recipient: Address::repeat_byte(9),
            encryptedNotes: [Bytes::from(vec![1u8; 100]), Bytes::new()],
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
        let call = sample();
        let encoded = call.abi_encode();
        let decoded = decode_transact(&encoded[4..]).unwrap();
        assert_eq!(decoded.abi_encode(), encoded);
    }

    #[test]
    fn every_truncation_and_extension_is_refused_without_panicking() {
        let encoded = sample().abi_encode();
        let args = &encoded[4..];
        for len in 0..args.len() {
            let why = reason(decode_transact(&args[..len]));
            assert!(why.starts_with("malformed call data"), "{len}: {why}");
        }
        let mut longer = args.to_vec();
        longer.extend_from_slice(&[0u8; 32]);
        assert!(reason(decode_transact(&longer)).starts_with("malformed call data"));
    }

    #[test]
    fn huge_offsets_and_lengths_are_refused() {
        let encoded = sample().abi_encode();
        let args = encoded[4..].to_vec();
        // Word 0 is the proof's offset, word 10 the ciphertext array's; each then points at
        // a length word. Make each of them enormous in turn.
        let proof_len_at = U256::from_be_slice(&args[..32]).to::<usize>();
        for at in [0, 10 * 32, proof_len_at] {
            for big in [U256::MAX, U256::from(u64::MAX), U256::from(1u64 << 32)] {
                let mut bad = args.clone();
                bad[at..at + 32].copy_from_slice(&big.to_be_bytes::<32>());
                let why = reason(decode_transact(&bad));
                assert!(why.starts_with("malformed call data"), "{at}: {why}");
            }
        }
    }

    #[test]
    fn mutated_call_data_is_decoded_or_refused_never_a_panic() {
        use rand_chacha::ChaCha20Rng;
        use rand_chacha::rand_core::{RngCore, SeedableRng};
        let encoded = sample().abi_encode();
        let mut rng = ChaCha20Rng::from_seed([4; 32]);
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
            if let Ok(call) = decode_transact(args) {
                let _ = statement(&call, 1337, SUBMITTER);
            }
        }
    }

    #[test]
    fn amounts_over_64_bits_are_named_as_overflows() {
        let encoded = sample().abi_encode();
        let mut args = encoded[4..].to_vec();
        args[7 * 32 + 23] = 1;
        assert_eq!(
            reason(decode_transact(&args)),
            "publicOut does not fit in a uint64 (value overflow)"
        );
        let mut args = encoded[4..].to_vec();
        args[9 * 32] = 1;
        assert_eq!(
            reason(decode_transact(&args)),
            "recipient is not a 20-byte address"
        );
    }

    #[test]
    fn the_statement_refuses_non_canonical_fields_and_bad_sizes() {
        // r - 1 is the largest canonical element, so r follows it.
        let largest = U256::from_be_bytes(vnt_zk::verify::field_to_bytes(-Fr::from(1u64)));
        let modulus = B256::from(largest + U256::from(1));
        let mut call = sample();
        call.root = B256::ZERO;
        call.nullifiers[1] = modulus;
        assert_eq!(
            reason(statement(&call, 1337, SUBMITTER)),
            "public input nullifiers[1] is not a canonical field element (it is not below the modulus)"
        );
        let mut call = sample();
        call.root = B256::ZERO;
        call.nullifiers = [B256::ZERO; 2];
        call.commitments = [B256::ZERO; 2];
        call.proof = Bytes::from(vec![0u8; 191]);
        assert_eq!(
            reason(statement(&call, 1337, SUBMITTER)),
            "proof must be 192 bytes, got 191"
        );
        call.proof = Bytes::from(vec![0u8; PROOF_BYTES]);
        call.encryptedNotes[1] = Bytes::from(vec![0u8; MAX_NOTE_CIPHERTEXT + 1]);
        assert_eq!(
            reason(statement(&call, 1337, SUBMITTER)),
            "encryptedNotes[1] is 257 bytes, at most 256 are allowed"
        );
        call.encryptedNotes[1] = Bytes::new();
        let public = statement(&call, 1337, SUBMITTER).unwrap();
        assert_eq!(public.chain_id, 1337);
        assert_eq!(public.recipient, recipient_field(&[9; 20]));
        let notes = [&call.encryptedNotes[0][..], &call.encryptedNotes[1][..]];
        assert_eq!(public.external_data, external_data_hash(&[0x5b; 20], notes));
        let other = statement(&call, 1337, Address::repeat_byte(0x66)).unwrap();
        assert_ne!(other.external_data, public.external_data);
    }
}
