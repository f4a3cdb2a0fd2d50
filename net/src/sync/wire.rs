//! Bytes of the sync protocol `/vnt/<chain_id>/sync/1`.
//!
//! One request and one response per stream, each the whole rest of its half of the stream.
//! Integers are big-endian; every message starts with a tag byte:
//!
//! | message                 | layout                                                 |
//! |-------------------------|--------------------------------------------------------|
//! | request `Status`        | `0x00`                                                 |
//! | request `Blocks`        | `0x01` `from: u64` `max: u32`                          |
//! | response `Status`       | `0x00` `height: u64` `hash: [u8; 32]`                  |
//! | response `Blocks`       | `0x01` `count: u32` then `count` × (`len: u32` `bytes`) |
//! | response `Refused`      | `0x02` `reason: u8` (`0x01` = rate limited)            |
//!
//! Decoding is strict: unknown tags, short or trailing bytes and lengths that overrun the
//! message are errors, so a peer cannot make the node guess.

/// Longest valid request, in bytes; readers stop after this many (plus one, to notice more).
pub const MAX_REQUEST_BYTES: usize = 13;

/// Bytes a `Blocks` response spends before its first block.
pub const BLOCKS_HEADER_BYTES: usize = 5;

/// Bytes a `Blocks` response spends on each block besides the block itself.
pub const PER_BLOCK_OVERHEAD: usize = 4;

/// A finalized head: its height and block hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainStatus {
    pub height: u64,
    pub hash: [u8; 32],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Status,
    Blocks { from: u64, max: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    Status(ChainStatus),
    Blocks(Vec<Vec<u8>>),
    Refused(Refusal),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    RateLimited,
}

/// Why bytes are not a valid message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("empty message")]
    Empty,
    #[error("unknown message tag {0:#04x}")]
    UnknownTag(u8),
    #[error("message ends early: needs {needed} more bytes")]
    Truncated { needed: usize },
    #[error("{0} trailing bytes after the message")]
    Trailing(usize),
    #[error("unknown refusal reason {0:#04x}")]
    UnknownRefusal(u8),
    #[error("message longer than {limit} bytes")]
    TooLong { limit: usize },
}

impl Request {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Request::Status => vec![0],
            Request::Blocks { from, max } => {
                let mut out = Vec::with_capacity(MAX_REQUEST_BYTES);
                out.push(1);
                out.extend_from_slice(&from.to_be_bytes());
                out.extend_from_slice(&max.to_be_bytes());
                out
            }
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut reader = Reader::new(bytes);
        let request = match reader.u8()? {
            0 => Request::Status,
            1 => Request::Blocks {
                from: reader.u64()?,
                max: reader.u32()?,
            },
            tag => return Err(WireError::UnknownTag(tag)),
        };
        reader.finish()?;
        Ok(request)
    }

    /// Name used in errors about the response to this request.
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Status => "status",
            Request::Blocks { .. } => "blocks",
        }
    }
}

impl Response {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Response::Status(status) => {
                let mut out = Vec::with_capacity(41);
                out.push(0);
                out.extend_from_slice(&status.height.to_be_bytes());
                out.extend_from_slice(&status.hash);
                out
            }
            Response::Blocks(blocks) => {
                let mut out = Vec::with_capacity(blocks_response_size(blocks));
                out.push(1);
                out.extend_from_slice(&(blocks.len() as u32).to_be_bytes());
                for block in blocks {
                    out.extend_from_slice(&(block.len() as u32).to_be_bytes());
                    out.extend_from_slice(block);
                }
                out
            }
            Response::Refused(Refusal::RateLimited) => vec![2, 1],
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut reader = Reader::new(bytes);
        let response = match reader.u8()? {
            0 => {
                let height = reader.u64()?;
                let mut hash = [0u8; 32];
                hash.copy_from_slice(reader.take(32)?);
                Response::Status(ChainStatus { height, hash })
            }
            1 => {
                let count = reader.u32()? as usize;
                // Each block costs at least its length prefix, which bounds the allocation by
                // the bytes actually received rather than by the count a peer claims.
                let mut blocks = Vec::with_capacity(count.min(reader.remaining() / 4));
                for _ in 0..count {
                    let len = reader.u32()? as usize;
                    blocks.push(reader.take(len)?.to_vec());
                }
                Response::Blocks(blocks)
            }
            2 => match reader.u8()? {
                1 => Response::Refused(Refusal::RateLimited),
                reason => return Err(WireError::UnknownRefusal(reason)),
            },
            tag => return Err(WireError::UnknownTag(tag)),
        };
        reader.finish()?;
        Ok(response)
    }
}

/// Encoded size of a `Blocks` response carrying `blocks`.
pub fn blocks_response_size(blocks: &[Vec<u8>]) -> usize {
    BLOCKS_HEADER_BYTES
        + blocks
            .iter()
            .map(|block| PER_BLOCK_OVERHEAD + block.len())
            .sum::<usize>()
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn remaining(&self) -> usize {
        self.bytes.len()
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        if self.bytes.len() < len {
            return Err(WireError::Truncated {
                needed: len - self.bytes.len(),
            });
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        let bytes = self.take(4)?;
        Ok(u32::from_be_bytes(bytes.try_into().expect("took 4 bytes")))
    }

    fn u64(&mut self) -> Result<u64, WireError> {
        let bytes = self.take(8)?;
        Ok(u64::from_be_bytes(bytes.try_into().expect("took 8 bytes")))
    }

    fn finish(self) -> Result<(), WireError> {
        match self.bytes.len() {
            0 => Ok(()),
            trailing => Err(WireError::Trailing(trailing)),
        }
    }
}

/// Decodes a request, telling an empty message apart from a truncated one.
pub fn decode_request(bytes: &[u8]) -> Result<Request, WireError> {
    if bytes.is_empty() {
        return Err(WireError::Empty);
    }
    Request::decode(bytes)
}

/// Decodes a response, telling an empty message apart from a truncated one.
pub fn decode_response(bytes: &[u8]) -> Result<Response, WireError> {
    if bytes.is_empty() {
        return Err(WireError::Empty);
    }
    Response::decode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_round_trips() {
        for request in [
            Request::Status,
            Request::Blocks {
                from: u64::MAX,
                max: 7,
            },
        ] {
            assert_eq!(decode_request(&request.encode()), Ok(request));
        }
        let status = ChainStatus {
            height: 42,
            hash: [9u8; 32],
        };
        for response in [
            Response::Status(status),
            Response::Blocks(vec![vec![], vec![1, 2, 3]]),
            Response::Blocks(vec![]),
            Response::Refused(Refusal::RateLimited),
        ] {
            let bytes = response.encode();
            if let Response::Blocks(blocks) = &response {
                assert_eq!(bytes.len(), blocks_response_size(blocks));
            }
            assert_eq!(decode_response(&bytes), Ok(response));
        }
        assert_eq!(
            Request::Blocks { from: 0, max: 0 }.encode().len(),
            MAX_REQUEST_BYTES
        );
    }

    #[test]
    fn malformed_requests_are_named_errors() {
        assert_eq!(decode_request(&[]), Err(WireError::Empty));
        assert_eq!(decode_request(&[9]), Err(WireError::UnknownTag(9)));
        assert_eq!(
            decode_request(&[1, 0, 0]),
            Err(WireError::Truncated { needed: 6 })
        );
        assert_eq!(decode_request(&[0, 0]), Err(WireError::Trailing(1)));
    }

    #[test]
    fn a_block_count_larger_than_the_bytes_sent_is_truncation_not_an_allocation() {
        let mut bytes = vec![1];
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            decode_response(&bytes),
            Err(WireError::Truncated { needed: 4 })
        );
        let mut overrun = vec![1, 0, 0, 0, 1];
        overrun.extend_from_slice(&100u32.to_be_bytes());
        overrun.extend_from_slice(&[0u8; 10]);
        assert_eq!(
            decode_response(&overrun),
            Err(WireError::Truncated { needed: 90 })
        );
        assert_eq!(decode_response(&[2, 7]), Err(WireError::UnknownRefusal(7)));
    }
}
