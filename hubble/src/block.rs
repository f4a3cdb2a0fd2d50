//! The block consensus orders: a ledger block as `vnt-chain` stores it, with its Ethereum
//! hash as the digest simplex votes on.
//!
//! On the wire a block is a 4-byte big-endian length followed by the block's RLP. Decoding
//! takes bytes from peers, so it refuses, with a readable reason and never a panic, anything
//! over the size bound, anything truncated, anything left over after the block, and any
//! RLP that does not re-encode to the same bytes (one block, one encoding: simplex and
//! marshal require canonical encodings), and any body its header does not commit to.

use alloy_consensus::EMPTY_OMMER_ROOT_HASH;
use alloy_consensus::proofs::calculate_transaction_root;
use alloy_primitives::B256;
use alloy_rlp::{Decodable, Encodable};
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error as CodecError, Read, Write};
use commonware_consensus::types::Height;
use commonware_consensus::{Block, Heightable};
use commonware_cryptography::Digestible;
use vnt_chain::store::StoredBlock;
use vnt_vortex::scheme::BlockDigest;

/// Bytes of the length prefix in front of the RLP.
const LENGTH_PREFIX: usize = 4;

/// The largest block, in RLP bytes, a node accepts from a peer by default (a full block of
/// plain transfers at today's gas limit is far smaller).
pub const MAX_BLOCK_BYTES: usize = 2 * 1024 * 1024;

/// Why bytes from a peer are not a block.
#[derive(Debug, thiserror::Error)]
pub enum BlockDecodeError {
    #[error("the block claims {claimed} bytes, more than the {limit} allowed")]
    TooLarge { claimed: usize, limit: usize },
    #[error("the block claims {claimed} bytes but only {available} follow")]
    Truncated { claimed: usize, available: usize },
    #[error("the block's RLP is malformed: {0}")]
    Rlp(alloy_rlp::Error),
    #[error("{0} bytes follow the block's RLP inside its length")]
    TrailingRlp(usize),
    #[error("the block's RLP is not in canonical form")]
    NotCanonical,
    #[error("the block's body does not match its header: {0}")]
    BodyMismatch(&'static str),
}

impl From<BlockDecodeError> for CodecError {
    fn from(error: BlockDecodeError) -> Self {
        CodecError::Wrapped("ledger block", Box::new(error))
    }
}

/// A ledger block with its hash, as consensus carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerBlock {
    block: StoredBlock,
    hash: B256,
}

impl LedgerBlock {
    /// Wraps `block`, hashing its header.
    pub fn new(block: StoredBlock) -> Self {
        let hash = block.header.hash_slow();
        Self { block, hash }
    }

    /// The block as the chain stores it.
    pub fn block(&self) -> &StoredBlock {
        &self.block
    }

    /// The block's Ethereum hash.
    pub fn hash(&self) -> B256 {
        self.hash
    }

    /// The block's number.
    pub fn number(&self) -> u64 {
        self.block.header.number
    }

    /// Unwraps the block.
    pub fn into_block(self) -> StoredBlock {
        self.block
    }
}

/// The consensus digest of a ledger block hash (the same 32 bytes).
pub fn digest_of(hash: B256) -> BlockDigest {
    commonware_cryptography::keccak256::Digest(hash.0)
}

/// The ledger block hash a consensus digest names.
pub fn hash_of(digest: &BlockDigest) -> B256 {
    B256::from(digest.0)
}

impl Write for LedgerBlock {
    fn write(&self, buf: &mut impl BufMut) {
        let length = self.block.length();
        buf.put_u32(u32::try_from(length).expect("a block never exceeds 4 GiB"));
        self.block.encode(buf);
    }
}

impl EncodeSize for LedgerBlock {
    fn encode_size(&self) -> usize {
        LENGTH_PREFIX + self.block.length()
    }
}

impl Read for LedgerBlock {
    /// The largest RLP accepted, in bytes.
    type Cfg = usize;

    fn read_cfg(buf: &mut impl Buf, limit: &usize) -> Result<Self, CodecError> {
        if buf.remaining() < LENGTH_PREFIX {
            return Err(CodecError::EndOfBuffer);
        }
        let claimed = buf.get_u32() as usize;
        if claimed > *limit {
            return Err(BlockDecodeError::TooLarge {
                claimed,
                limit: *limit,
            }
            .into());
        }
        if buf.remaining() < claimed {
            return Err(BlockDecodeError::Truncated {
                claimed,
                available: buf.remaining(),
            }
            .into());
        }
        let mut rlp = vec![0u8; claimed];
        buf.copy_to_slice(&mut rlp);
        let mut cursor = rlp.as_slice();
        let block = StoredBlock::decode(&mut cursor).map_err(BlockDecodeError::Rlp)?;
        if !cursor.is_empty() {
            return Err(BlockDecodeError::TrailingRlp(cursor.len()).into());
        }
        let mut again = Vec::with_capacity(claimed);
        block.encode(&mut again);
        if again != rlp {
            return Err(BlockDecodeError::NotCanonical.into());
        }
        check_body(&block)?;
        Ok(Self::new(block))
    }
}

/// Refuses a body its header does not commit to. The hash a block is known by covers the
/// header only, so without this a peer could pair a genuine header with another body: the
/// node would hold a broken copy under the genuine block's hash and vote the block down.
fn check_body(block: &StoredBlock) -> Result<(), BlockDecodeError> {
    let (header, body) = (&block.header, &block.body);
    if calculate_transaction_root(&body.transactions) != header.transactions_root {
        return Err(BlockDecodeError::BodyMismatch(
            "its transactions are not the ones the header's transactions root commits to",
        ));
    }
    if !body.ommers.is_empty() || header.ommers_hash != EMPTY_OMMER_ROOT_HASH {
        return Err(BlockDecodeError::BodyMismatch("this chain has no ommers"));
    }
    if body.withdrawals.is_some() || header.withdrawals_root.is_some() {
        return Err(BlockDecodeError::BodyMismatch(
            "this chain has no withdrawals",
        ));
    }
    Ok(())
}

impl Digestible for LedgerBlock {
    type Digest = BlockDigest;

    fn digest(&self) -> BlockDigest {
        digest_of(self.hash)
    }
}

impl Heightable for LedgerBlock {
    fn height(&self) -> Height {
        Height::new(self.number())
    }
}

impl Block for LedgerBlock {
    fn parent(&self) -> BlockDigest {
        digest_of(self.block.header.parent_hash)
    }
}
