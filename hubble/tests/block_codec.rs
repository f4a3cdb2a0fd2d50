//! The consensus block's wire format: one encoding per block, and bytes from peers that are
//! not a block refused with a reason, never a panic.

use alloy_primitives::{Address, U256};
use commonware_codec::{Decode, Encode};
use commonware_consensus::{Block, Heightable};
use commonware_cryptography::Digestible;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::testing::{Transfer, signers, temp_chain};
use vnt_chain::{ChainConfig, Genesis};
use vnt_hubble::application::BlockMessage;
use vnt_hubble::block::{LedgerBlock, MAX_BLOCK_BYTES, digest_of};

/// A block with two transfers, proposed on a fresh dev chain.
fn sample() -> LedgerBlock {
    let (mut chain, _dir) = temp_chain(Genesis::dev(0));
    let config = ChainConfig::new(DEV_CHAIN_ID);
    let signer = &signers()[0];
    let txs = (0..2)
        .map(|nonce| {
            Transfer::new(
                DEV_CHAIN_ID,
                nonce,
                Address::with_last_byte(9),
                U256::from(5),
            )
            .verified(signer, &config)
        })
        .collect();
    let parent = chain.head_hash();
    let proposed = chain.propose(parent, txs, 1, Address::ZERO, None).unwrap();
    assert!(proposed.rejected.is_empty());
    LedgerBlock::new(chain.pending_block(&proposed.hash).unwrap().block.clone())
}

fn error_of(bytes: Vec<u8>, limit: usize) -> String {
    let error = LedgerBlock::decode_cfg(bytes, &limit).expect_err("refused");
    let source = std::error::Error::source(&error).map(ToString::to_string);
    format!("{error} {}", source.unwrap_or_default())
}

#[test]
fn a_block_round_trips_and_names_itself_by_its_hash() {
    let block = sample();
    let bytes = block.encode().to_vec();
    assert_eq!(bytes.len(), block.encode().len());
    let decoded = LedgerBlock::decode_cfg(bytes, &MAX_BLOCK_BYTES).unwrap();
    assert_eq!(decoded, block);
    assert_eq!(decoded.digest(), digest_of(block.hash()));
    assert_eq!(decoded.height().get(), 1);
    assert_eq!(
        decoded.parent(),
        digest_of(block.block().header.parent_hash)
    );
}

#[test]
fn a_genuine_header_with_another_body_is_refused() {
    // The block is known by its header's hash; a peer swapping the body must not get a
    // broken copy stored under the genuine block's name.
    let block = sample();
    let mut tampered = block.block().clone();
    tampered.body.transactions.pop();
    let bytes = LedgerBlock::new(tampered.clone()).encode().to_vec();
    let why = error_of(bytes, MAX_BLOCK_BYTES);
    assert!(
        why.contains("the block's body does not match its header: its transactions are not"),
        "{why}"
    );
    tampered = block.block().clone();
    tampered.body.ommers.push(tampered.header.clone());
    let why = error_of(
        LedgerBlock::new(tampered).encode().to_vec(),
        MAX_BLOCK_BYTES,
    );
    assert!(why.contains("this chain has no ommers"), "{why}");
}

#[test]
fn trailing_bytes_are_refused() {
    let mut bytes = sample().encode().to_vec();
    bytes.push(0);
    let error = LedgerBlock::decode_cfg(bytes, &MAX_BLOCK_BYTES).unwrap_err();
    assert!(error.to_string().contains("1 bytes remained"), "{error}");
}

#[test]
fn an_oversized_block_is_refused_before_it_is_read() {
    let bytes = sample().encode().to_vec();
    let error = error_of(bytes, 100);
    assert!(error.contains("more than the 100 allowed"), "{error}");
}

#[test]
fn a_truncated_block_is_refused() {
    let mut bytes = sample().encode().to_vec();
    bytes.truncate(bytes.len() - 10);
    let error = error_of(bytes, MAX_BLOCK_BYTES);
    assert!(error.contains("only"), "{error}");
}

#[test]
fn rlp_with_bytes_left_inside_its_length_is_refused() {
    let block = sample();
    let mut bytes = block.encode().to_vec();
    // Claim one byte more than the RLP and put a stray byte there.
    let claimed = u32::from_be_bytes(bytes[..4].try_into().unwrap()) + 1;
    bytes[..4].copy_from_slice(&claimed.to_be_bytes());
    bytes.push(0x80);
    let error = error_of(bytes, MAX_BLOCK_BYTES);
    assert!(error.contains("follow the block's RLP"), "{error}");
}

#[test]
fn a_non_canonical_rlp_length_is_refused() {
    let block = sample();
    let rlp = block.encode().to_vec()[4..].to_vec();
    // Re-encode the outer list header in a longer form than needed (one more length byte).
    let header_len = (rlp[0] - 0xf7) as usize;
    let mut longer = vec![rlp[0] + 1, 0];
    longer.extend_from_slice(&rlp[1..1 + header_len]);
    longer.extend_from_slice(&rlp[1 + header_len..]);
    let mut bytes = (longer.len() as u32).to_be_bytes().to_vec();
    bytes.extend_from_slice(&longer);
    let error = error_of(bytes, MAX_BLOCK_BYTES);
    assert!(error.contains("RLP"), "{error}");
}

#[test]
fn random_garbage_is_refused_without_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let valid = sample().encode().to_vec();
    for round in 0..2_000 {
        let bytes = if round % 2 == 0 {
            let mut bytes = vec![0u8; (rng.next_u32() % 600) as usize];
            rng.fill_bytes(&mut bytes);
            bytes
        } else {
            // A real block with a few bytes flipped: deeper into the decoder.
            let mut bytes = valid.clone();
            for _ in 0..1 + rng.next_u32() % 4 {
                let at = (rng.next_u32() as usize) % bytes.len();
                bytes[at] ^= 1 << (rng.next_u32() % 8);
            }
            bytes
        };
        if let Ok(block) = LedgerBlock::decode_cfg(bytes.clone(), &MAX_BLOCK_BYTES) {
            // Whatever decodes is canonical: it encodes back to the same bytes.
            assert_eq!(block.encode().to_vec(), bytes);
        }
        let _ = BlockMessage::from_bytes(&bytes, MAX_BLOCK_BYTES);
    }
}

#[test]
fn block_messages_round_trip_and_refuse_unknown_tags() {
    let block = sample();
    let message = BlockMessage::Block(Box::new(block.clone()));
    assert_eq!(
        BlockMessage::from_bytes(&message.to_bytes(), MAX_BLOCK_BYTES).unwrap(),
        message
    );
    let request = BlockMessage::Request(block.hash());
    assert_eq!(
        BlockMessage::from_bytes(&request.to_bytes(), MAX_BLOCK_BYTES).unwrap(),
        request
    );
    assert!(BlockMessage::from_bytes(&[7, 1, 2], MAX_BLOCK_BYTES).is_err());
    assert!(BlockMessage::from_bytes(&[], MAX_BLOCK_BYTES).is_err());
    assert!(BlockMessage::from_bytes(&[1, 0, 0], MAX_BLOCK_BYTES).is_err());
}
