//! Keccak-256 (the original Keccak padding Ethereum uses, not NIST SHA3-256) as a `const fn`,
//! so selectors, event signatures and fixed storage slots are computed by the compiler and
//! cost nothing at run time. At run time contracts hash with the host instead
//! ([`crate::crypto::keccak256`]), which is metered per byte and much cheaper per byte than
//! metered WebAssembly.

/// Bytes absorbed per permutation: 1600 bits of state minus twice the 256-bit output.
const RATE: usize = 136;

const ROUND_CONSTANTS: [u64; 24] = [
    0x0000_0000_0000_0001,
    0x0000_0000_0000_8082,
    0x8000_0000_0000_808a,
    0x8000_0000_8000_8000,
    0x0000_0000_0000_808b,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8009,
    0x0000_0000_0000_008a,
    0x0000_0000_0000_0088,
    0x0000_0000_8000_8009,
    0x0000_0000_8000_000a,
    0x0000_0000_8000_808b,
    0x8000_0000_0000_008b,
    0x8000_0000_0000_8089,
    0x8000_0000_0000_8003,
    0x8000_0000_0000_8002,
    0x8000_0000_0000_0080,
    0x0000_0000_0000_800a,
    0x8000_0000_8000_000a,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8080,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8008,
];

/// Rotation of lane `x + 5y` in the rho step.
const ROTATIONS: [u32; 25] = [
    0, 1, 62, 28, 27, //
    36, 44, 6, 55, 20, //
    3, 10, 43, 25, 39, //
    41, 45, 15, 21, 8, //
    18, 2, 61, 56, 14,
];

/// The Keccak-f[1600] permutation over 25 lanes indexed `x + 5y`.
const fn permute(a: &mut [u64; 25]) {
    let mut round = 0;
    while round < 24 {
        // theta: every lane absorbs the parities of the two neighbouring columns.
        let mut parity = [0u64; 5];
        let mut x = 0;
        while x < 5 {
            parity[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
            x += 1;
        }
        let mut x = 0;
        while x < 5 {
            let d = parity[(x + 4) % 5] ^ parity[(x + 1) % 5].rotate_left(1);
            let mut y = 0;
            while y < 25 {
                a[x + y] ^= d;
                y += 5;
            }
            x += 1;
        }
        // rho and pi: lane (x, y) rotates and moves to (y, 2x + 3y).
        let mut b = [0u64; 25];
        let mut i = 0;
        while i < 25 {
            let (x, y) = (i % 5, i / 5);
            b[y + 5 * ((2 * x + 3 * y) % 5)] = a[i].rotate_left(ROTATIONS[i]);
            i += 1;
        }
        // chi: the only non-linear step, row by row.
        let mut i = 0;
        while i < 25 {
            let (x, row) = (i % 5, i - i % 5);
            a[i] = b[i] ^ (!b[row + (x + 1) % 5] & b[row + (x + 2) % 5]);
            i += 1;
        }
        // iota
        a[0] ^= ROUND_CONSTANTS[round];
        round += 1;
    }
}

/// XORs byte `i` of the rate part of the state with `byte` (lanes are little-endian).
const fn absorb_byte(state: &mut [u64; 25], i: usize, byte: u8) {
    state[i / 8] ^= (byte as u64) << (8 * (i % 8));
}

/// Keccak-256 of `data`, usable in constants.
pub const fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut state = [0u64; 25];
    let mut offset = 0;
    while data.len() - offset >= RATE {
        let mut i = 0;
        while i < RATE {
            absorb_byte(&mut state, i, data[offset + i]);
            i += 1;
        }
        permute(&mut state);
        offset += RATE;
    }
    let rest = data.len() - offset;
    let mut i = 0;
    while i < rest {
        absorb_byte(&mut state, i, data[offset + i]);
        i += 1;
    }
    // Keccak's pad10*1 with the 0x01 domain byte; when `rest` is RATE - 1 both land in one byte.
    absorb_byte(&mut state, rest, 0x01);
    absorb_byte(&mut state, RATE - 1, 0x80);
    permute(&mut state);
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (state[i / 8] >> (8 * (i % 8))) as u8;
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::keccak256;

    fn hex(bytes: &[u8]) -> std::string::String {
        bytes.iter().map(|b| std::format!("{b:02x}")).collect()
    }

    extern crate std;

    #[test]
    fn known_vectors() {
        assert_eq!(
            hex(&keccak256(b"")),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
        assert_eq!(
            hex(&keccak256(b"abc")),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
        );
        assert_eq!(
            hex(&keccak256(b"Transfer(address,address,uint256)")),
            "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
        );
    }

    #[test]
    fn agrees_with_the_reference_across_block_boundaries() {
        use sha3::Digest;
        let data: std::vec::Vec<u8> = (0..700u32).map(|i| (i * 31 + 7) as u8).collect();
        for len in (0..300).chain([407, 408, 409, 544, 700]) {
            let expected: [u8; 32] = sha3::Keccak256::digest(&data[..len]).into();
            assert_eq!(keccak256(&data[..len]), expected, "length {len}");
        }
    }

    #[test]
    fn runs_at_compile_time() {
        const EMPTY: [u8; 32] = keccak256(b"");
        assert_eq!(EMPTY[..4], [0xc5, 0xd2, 0x46, 0x01]);
    }
}
