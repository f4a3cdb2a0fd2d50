//! An Ethereum Merkle-Patricia proof checker written for the tests, sharing no code with
//! the prover (alloy-trie's hash builder): its own RLP reader, hex-prefix decoding and walk.

use alloy_primitives::{B256, keccak256};

enum Item<'a> {
    Bytes(&'a [u8]),
    List(Vec<&'a [u8]>),
}

/// Splits one RLP item off the front of `data`: (whole item encoding, rest).
fn split(data: &[u8]) -> Result<(&[u8], &[u8]), String> {
    let first = *data.first().ok_or("empty input")?;
    let (header, body) = match first {
        0x00..=0x7f => (0, 1),
        0x80..=0xb7 => (1, (first - 0x80) as usize),
        0xc0..=0xf7 => (1, (first - 0xc0) as usize),
        0xb8..=0xbf | 0xf8..=0xff => {
            let len_len = (if first >= 0xf8 {
                first - 0xf7
            } else {
                first - 0xb7
            }) as usize;
            let bytes = data.get(1..1 + len_len).ok_or("truncated length")?;
            let len = bytes.iter().fold(0usize, |acc, b| acc << 8 | *b as usize);
            (1 + len_len, len)
        }
    };
    if data.len() < header + body {
        return Err("truncated item".into());
    }
    Ok(data.split_at(header + body))
}

fn decode(item: &[u8]) -> Result<Item<'_>, String> {
    let first = item[0];
    let payload = |skip: usize| &item[skip..];
    match first {
        0x00..=0x7f => Ok(Item::Bytes(item)),
        0x80..=0xb7 => Ok(Item::Bytes(payload(1))),
        0xb8..=0xbf => Ok(Item::Bytes(payload(1 + (first - 0xb7) as usize))),
        _ => {
            let skip = if first <= 0xf7 {
                1
            } else {
                1 + (first - 0xf7) as usize
            };
            let mut rest = payload(skip);
            let mut items = Vec::new();
            while !rest.is_empty() {
                let (one, tail) = split(rest)?;
                items.push(one);
                rest = tail;
            }
            Ok(Item::List(items))
        }
    }
}

fn nibbles(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().flat_map(|b| [b >> 4, b & 0x0f]).collect()
}

/// Hex-prefix decoding: (is leaf, path nibbles).
fn hex_prefix(encoded: &[u8]) -> (bool, Vec<u8>) {
    let all = nibbles(encoded);
    let flag = all[0];
    let skip = if flag & 1 == 1 { 1 } else { 2 };
    (flag & 2 == 2, all[skip..].to_vec())
}

/// Walks `proof` from `root` along `keccak(key)`; the value's RLP payload if present,
/// `None` if the proof shows absence, an error if the proof does not hold.
pub fn verify(
    root: B256,
    key: &[u8],
    proof: &[alloy_primitives::Bytes],
) -> Result<Option<Vec<u8>>, String> {
    let path = nibbles(keccak256(key).as_slice());
    let mut at = 0;
    let mut expected: Vec<u8> = root.to_vec();
    let mut nodes = proof.iter();
    let mut inline: Option<Vec<u8>> = None;
    loop {
        let node: Vec<u8> = match inline.take() {
            Some(node) => node,
            None => {
                let node = nodes
                    .next()
                    .ok_or("proof ends before the key is resolved")?;
                if keccak256(node).as_slice() != expected.as_slice() {
                    return Err(format!("node hash mismatch at depth {at}"));
                }
                node.to_vec()
            }
        };
        let Item::List(items) = decode(&node)? else {
            return Err("node is not a list".into());
        };
        let child: &[u8] = match items.len() {
            17 => {
                if at == path.len() {
                    return Ok(match decode(items[16])? {
                        Item::Bytes(b) if !b.is_empty() => Some(b.to_vec()),
                        _ => None,
                    });
                }
                let child = items[path[at] as usize];
                at += 1;
                child
            }
            2 => {
                let Item::Bytes(encoded_path) = decode(items[0])? else {
                    return Err("node path is not a string".into());
                };
                let (leaf, segment) = hex_prefix(encoded_path);
                if path.len() - at < segment.len() || path[at..at + segment.len()] != segment[..] {
                    return Ok(None);
                }
                at += segment.len();
                if leaf {
                    if at != path.len() {
                        return Ok(None);
                    }
                    let Item::Bytes(value) = decode(items[1])? else {
                        return Err("leaf value is not a string".into());
                    };
                    return Ok(Some(value.to_vec()));
                }
                items[1]
            }
            n => return Err(format!("node has {n} items")),
        };
        match decode(child)? {
            Item::Bytes([]) => return Ok(None),
            Item::Bytes(hash) if hash.len() == 32 => expected = hash.to_vec(),
            Item::List(_) => inline = Some(child.to_vec()),
            Item::Bytes(other) => {
                return Err(format!("bad child reference of {} bytes", other.len()));
            }
        }
    }
}

/// Decodes an account leaf `[nonce, balance, storage_root, code_hash]` into its raw fields.
pub fn account_fields(leaf: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let Item::List(items) = decode(leaf)? else {
        return Err("account is not a list".into());
    };
    items
        .into_iter()
        .map(|item| match decode(item)? {
            Item::Bytes(b) => Ok(b.to_vec()),
            Item::List(_) => Err("account field is a list".into()),
        })
        .collect()
}

/// Decodes an RLP string payload (a storage value).
pub fn string_payload(encoded: &[u8]) -> Result<Vec<u8>, String> {
    match decode(encoded)? {
        Item::Bytes(b) => Ok(b.to_vec()),
        Item::List(_) => Err("value is a list".into()),
    }
}
