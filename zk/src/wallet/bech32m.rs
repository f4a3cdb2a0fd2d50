//! Bech32m (BIP-350), the text encoding of shielded addresses.
//!
//! Chosen over hex for what it gives a person copying an address: one case, no look-alike
//! characters (`1`, `b`, `i`, `o` are not in the alphabet), a human-readable prefix, and a
//! 30-bit BCH checksum that detects any error in up to four characters of a string of 89
//! characters or fewer. A shielded address is longer than that (64 bytes of payload), as
//! Zcash's unified addresses are; past 89 characters the guarantee becomes "a random error
//! goes unnoticed with probability 2^-30", so BIP-173's 90-character cap is lifted here and a
//! cap of [`MAX_LENGTH`] keeps parsing bounded.

/// The 32 characters of the data part, by value.
const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
/// Bech32m's checksum constant (BIP-350); plain Bech32 uses 1.
const BECH32M_CONST: u32 = 0x2bc8_30a3;
/// Characters of the checksum.
const CHECKSUM_LEN: usize = 6;
/// Longest string accepted.
pub const MAX_LENGTH: usize = 200;

/// Why a string is not Bech32m.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Bech32Error {
    /// Longer than [`MAX_LENGTH`].
    #[error("it is {0} characters long, longer than any address ({MAX_LENGTH} at most)")]
    TooLong(usize),
    /// Upper and lower case mixed.
    #[error("it mixes upper and lower case")]
    MixedCase,
    /// No `1` between the prefix and the data.
    #[error("it has no `1` separating the prefix from the data")]
    MissingSeparator,
    /// The prefix is empty or the data shorter than a checksum.
    #[error("the prefix is empty or the data shorter than a checksum")]
    TooShort,
    /// A character outside the printable ASCII range, or outside the data alphabet.
    #[error("character {character:?} at position {position} is not allowed")]
    InvalidCharacter {
        /// The character.
        character: char,
        /// Its index (in characters, from 0).
        position: usize,
    },
    /// The checksum does not match: a character was mistyped or the text cut.
    #[error("the checksum does not match (a character is mistyped, missing or extra)")]
    Checksum,
    /// The 5-bit groups do not regroup into whole bytes.
    #[error("the data does not regroup into whole bytes (non-zero or excess padding)")]
    Padding,
}

fn polymod(values: impl IntoIterator<Item = u8>) -> u32 {
    const GENERATOR: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut checksum = 1u32;
    for value in values {
        let top = checksum >> 25;
        checksum = ((checksum & 0x01ff_ffff) << 5) ^ u32::from(value);
        for (i, g) in GENERATOR.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                checksum ^= g;
            }
        }
    }
    checksum
}

/// The prefix as the checksum sees it: high bits of each character, a zero, low bits.
fn expand_prefix(prefix: &str) -> Vec<u8> {
    let bytes = prefix.as_bytes();
    let mut out: Vec<u8> = bytes.iter().map(|b| b >> 5).collect();
    out.push(0);
    out.extend(bytes.iter().map(|b| b & 31));
    out
}

/// Regroups 8-bit bytes into 5-bit values, zero-padding the last one.
fn to_five_bits(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        out.push(((acc << (5 - bits)) & 31) as u8);
    }
    out
}

/// Regroups 5-bit values into bytes; the leftover must be under 5 bits and all zero.
fn to_bytes(values: &[u8]) -> Result<Vec<u8>, Bech32Error> {
    let mut out = Vec::with_capacity(values.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &value in values {
        acc = ((acc << 5) | u32::from(value)) & 0xfff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if bits >= 5 || (acc << (8 - bits)) & 0xff != 0 {
        return Err(Bech32Error::Padding);
    }
    Ok(out)
}

/// Encodes `data` under the lower-case `prefix`.
pub fn encode(prefix: &str, data: &[u8]) -> String {
    let values = to_five_bits(data);
    let mut checked = expand_prefix(prefix);
    checked.extend(&values);
    checked.extend([0u8; CHECKSUM_LEN]);
    let checksum = polymod(checked) ^ BECH32M_CONST;
    let mut text = String::with_capacity(prefix.len() + 1 + values.len() + CHECKSUM_LEN);
    text.push_str(prefix);
    text.push('1');
    for v in values {
        text.push(CHARSET[usize::from(v)] as char);
    }
    for i in 0..CHECKSUM_LEN {
        let v = (checksum >> (5 * (CHECKSUM_LEN - 1 - i))) & 31;
        text.push(CHARSET[v as usize] as char);
    }
    text
}

/// Decodes a Bech32m string into its lower-case prefix and its data bytes.
pub fn decode(text: &str) -> Result<(String, Vec<u8>), Bech32Error> {
    let length = text.chars().count();
    if length > MAX_LENGTH {
        return Err(Bech32Error::TooLong(length));
    }
    if let Some((position, character)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_graphic())
    {
        return Err(Bech32Error::InvalidCharacter {
            character,
            position,
        });
    }
    let has_lower = text.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = text.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper {
        return Err(Bech32Error::MixedCase);
    }
    let text = text.to_ascii_lowercase();
    let separator = text.rfind('1').ok_or(Bech32Error::MissingSeparator)?;
    let (prefix, data) = (&text[..separator], &text.as_bytes()[separator + 1..]);
    if prefix.is_empty() || data.len() < CHECKSUM_LEN {
        return Err(Bech32Error::TooShort);
    }
    let values = data
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            CHARSET.iter().position(|&k| k == c).map(|v| v as u8).ok_or(
                Bech32Error::InvalidCharacter {
                    character: c as char,
                    position: separator + 1 + i,
                },
            )
        })
        .collect::<Result<Vec<u8>, _>>()?;
    let mut checked = expand_prefix(prefix);
    checked.extend(&values);
    if polymod(checked) != BECH32M_CONST {
        return Err(Bech32Error::Checksum);
    }
    let bytes = to_bytes(&values[..values.len() - CHECKSUM_LEN])?;
    Ok((prefix.to_string(), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bip350_vectors_decode_and_reencode() {
        // Valid Bech32m strings of BIP-350 whose data regroups into whole bytes.
        for text in [
            "A1LQFN3A",
            "a1lqfn3a",
            "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
            "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
            "?1v759aa",
        ] {
            let (prefix, bytes) =
                decode(text).unwrap_or_else(|e| panic!("{text} does not decode: {e}"));
            assert_eq!(encode(&prefix, &bytes), text.to_ascii_lowercase());
        }
    }

    #[test]
    fn plain_bech32_is_not_bech32m() {
        // BIP-173's valid "A12UEL5L" has a Bech32 (constant 1) checksum.
        assert_eq!(decode("A12UEL5L"), Err(Bech32Error::Checksum));
    }

    #[test]
    fn malformed_strings_are_refused_with_the_reason() {
        assert_eq!(decode("A1LQfN3A"), Err(Bech32Error::MixedCase));
        assert_eq!(decode("pzry9x0s0muk"), Err(Bech32Error::MissingSeparator));
        assert_eq!(decode("1pzry9x0s0muk"), Err(Bech32Error::TooShort));
        assert_eq!(decode("a1lqfn3"), Err(Bech32Error::TooShort));
        assert_eq!(
            decode("x1b4n0q5v"),
            Err(Bech32Error::InvalidCharacter {
                character: 'b',
                position: 2
            })
        );
        assert_eq!(
            decode("a1lq fn3a"),
            Err(Bech32Error::InvalidCharacter {
                character: ' ',
                position: 4
            })
        );
        assert!(matches!(
            decode("a1lqfn3\u{2192}"),
            Err(Bech32Error::InvalidCharacter { .. })
        ));
        assert_eq!(decode("a1lqfn3q"), Err(Bech32Error::Checksum));
        assert_eq!(
            decode(&"a".repeat(MAX_LENGTH + 1)),
            Err(Bech32Error::TooLong(MAX_LENGTH + 1))
        );
    }

    #[test]
    fn every_byte_string_round_trips_and_one_changed_character_is_caught() {
        for len in 0..70usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            let text = encode("vntzk", &data);
            assert_eq!(decode(&text).unwrap(), ("vntzk".to_string(), data));
            // Replace each data character in turn by another of the alphabet.
            for at in 6..text.len() {
                let mut bytes = text.clone().into_bytes();
                bytes[at] = if bytes[at] == b'q' { b'p' } else { b'q' };
                let changed = String::from_utf8(bytes).unwrap();
                assert_eq!(decode(&changed), Err(Bech32Error::Checksum), "{changed}");
            }
        }
    }

    #[test]
    fn non_zero_padding_is_refused() {
        // One byte takes two 5-bit values, the last 2 bits padding, which must be zero:
        // "ll" (31, 31) sets them, so it is refused even under a correct checksum.
        let valid = encode("p", &[0xff]);
        assert!(decode(&valid).is_ok());
        let mut values = expand_prefix("p");
        values.extend([31u8, 31]);
        values.extend([0u8; CHECKSUM_LEN]);
        let checksum = polymod(values) ^ BECH32M_CONST;
        let mut text = String::from("p1ll");
        for i in 0..CHECKSUM_LEN {
            text.push(CHARSET[((checksum >> (5 * (5 - i))) & 31) as usize] as char);
        }
        assert_eq!(decode(&text), Err(Bech32Error::Padding));
    }
}
