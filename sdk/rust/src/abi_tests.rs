//! Encodings checked against what Solidity produces (`abi.encode`, `abi.encodeWithSignature`
//! and the examples of the ABI specification).

extern crate std;

use super::*;
use std::string::ToString;

/// Bytes from hex, ignoring whitespace, so expected encodings can be written word by word.
fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn address(last: u8) -> Address {
    let mut bytes = [0u8; 20];
    bytes[19] = last;
    Address(bytes)
}

#[test]
fn selectors_of_the_erc20_interface() {
    assert_eq!(
        selector("transfer(address,uint256)"),
        [0xa9, 0x05, 0x9c, 0xbb]
    );
    assert_eq!(selector("balanceOf(address)"), hex("70a08231")[..]);
    assert_eq!(selector("approve(address,uint256)"), hex("095ea7b3")[..]);
    assert_eq!(
        selector("transferFrom(address,address,uint256)"),
        hex("23b872dd")[..]
    );
    assert_eq!(selector("allowance(address,address)"), hex("dd62ed3e")[..]);
    assert_eq!(selector("totalSupply()"), hex("18160ddd")[..]);
    assert_eq!(selector("name()"), hex("06fdde03")[..]);
    assert_eq!(selector("symbol()"), hex("95d89b41")[..]);
    assert_eq!(selector("decimals()"), hex("313ce567")[..]);
    assert_eq!(ERROR_SELECTOR, [0x08, 0xc3, 0x79, 0xa0]);
}

#[test]
fn a_transfer_call_is_selector_then_two_words() {
    let data = encode_call(
        selector("transfer(address,uint256)"),
        &(address(0x01), U256::from(1000u32)),
    );
    assert_eq!(
        data,
        hex("a9059cbb
             0000000000000000000000000000000000000000000000000000000000000001
             00000000000000000000000000000000000000000000000000000000000003e8")
    );
}

#[test]
fn a_single_string_is_an_offset_a_length_and_padded_bytes() {
    assert_eq!(
        encode("hello"),
        hex(
            "0000000000000000000000000000000000000000000000000000000000000020
             0000000000000000000000000000000000000000000000000000000000000005
             68656c6c6f000000000000000000000000000000000000000000000000000000"
        )
    );
    // Exactly 32 bytes: no padding word; empty: just the length.
    assert_eq!(encode(&[7u8; 32][..]).len(), 96);
    assert_eq!(encode("").len(), 64);
}

#[test]
fn mixed_static_and_dynamic_arguments() {
    // abi.encode(uint256(1), "ab", true, bytes("xyz"))
    let encoded = encode(&(U256::ONE, "ab", true, &b"xyz"[..]));
    assert_eq!(
        encoded,
        hex(
            "0000000000000000000000000000000000000000000000000000000000000001
             0000000000000000000000000000000000000000000000000000000000000080
             0000000000000000000000000000000000000000000000000000000000000001
             00000000000000000000000000000000000000000000000000000000000000c0
             0000000000000000000000000000000000000000000000000000000000000002
             6162000000000000000000000000000000000000000000000000000000000000
             0000000000000000000000000000000000000000000000000000000000000003
             78797a0000000000000000000000000000000000000000000000000000000000"
        )
    );
    let decoded: (U256, String, bool, Vec<u8>) = decode(&encoded).unwrap();
    assert_eq!(
        decoded,
        (U256::ONE, "ab".to_string(), true, b"xyz".to_vec())
    );
}

#[test]
fn the_abi_specification_example_with_a_nested_dynamic_tuple() {
    // f(uint256 a, (string s, uint8 n) t) with a = 0x123, t = ("Hello, world!", 7): the
    // inner offset counts from the start of the inner tuple.
    let encoded = encode(&(U256::from(0x123u32), ("Hello, world!", 7u8)));
    assert_eq!(
        encoded,
        hex(
            "0000000000000000000000000000000000000000000000000000000000000123
             0000000000000000000000000000000000000000000000000000000000000040
             0000000000000000000000000000000000000000000000000000000000000040
             0000000000000000000000000000000000000000000000000000000000000007
             000000000000000000000000000000000000000000000000000000000000000d
             48656c6c6f2c20776f726c642100000000000000000000000000000000000000"
        )
    );
    let (a, (s, n)): (U256, (String, u8)) = decode(&encoded).unwrap();
    assert_eq!(
        (a, s.as_str(), n),
        (U256::from(0x123u32), "Hello, world!", 7)
    );
}

#[test]
fn static_tuples_are_inlined_in_the_head() {
    let encoded = encode(&((1u8, 2u8), 3u8));
    assert_eq!(encoded.len(), 96);
    assert_eq!(decode::<((u8, u8), u8)>(&encoded), Some(((1, 2), 3)));
    assert_eq!(<((u8, u8), u8)>::HEAD_SIZE, 96);
}

#[test]
fn constructor_arguments_of_the_token() {
    let supply = U256::from(1_000_000u64) * U256::from(10u64.pow(18));
    let encoded = encode(&("Token", "TKN", supply));
    assert_eq!(
        encoded,
        hex(
            "0000000000000000000000000000000000000000000000000000000000000060
             00000000000000000000000000000000000000000000000000000000000000a0
             00000000000000000000000000000000000000000000d3c21bcecceda1000000
             0000000000000000000000000000000000000000000000000000000000000005
             546f6b656e000000000000000000000000000000000000000000000000000000
             0000000000000000000000000000000000000000000000000000000000000003
             544b4e0000000000000000000000000000000000000000000000000000000000"
        )
    );
    let calldata = Calldata::new(encoded);
    let (name, symbol, amount): (Vec<u8>, Vec<u8>, U256) = calldata.constructor_args();
    assert_eq!(
        (&name[..], &symbol[..], amount),
        (&b"Token"[..], &b"TKN"[..], supply)
    );
}

#[test]
fn revert_reasons_are_error_string() {
    let data = encode_error("ERC20: insufficient allowance");
    assert_eq!(
        data,
        hex("08c379a0
             0000000000000000000000000000000000000000000000000000000000000020
             000000000000000000000000000000000000000000000000000000000000001d
             45524332303a20696e73756666696369656e7420616c6c6f77616e6365000000")
    );
    assert_eq!(
        decode_error(&data).as_deref(),
        Some("ERC20: insufficient allowance")
    );
    assert_eq!(decode_error(&data[4..]), None);
}

#[test]
fn return_values() {
    assert_eq!(encode(&true), hex(&std::format!("{:064x}", 1)));
    assert_eq!(encode(&18u8), hex(&std::format!("{:064x}", 18)));
    assert_eq!(encode(&()), Vec::<u8>::new());
    assert_eq!(encode(&address(0xff))[31], 0xff);
}

#[test]
fn words_must_fit_their_type() {
    let mut word = [0u8; 32];
    word[31] = 2;
    assert_eq!(decode::<bool>(&word), None);
    assert_eq!(decode::<u8>(&word), Some(2));
    word[30] = 1;
    assert_eq!(decode::<u8>(&word), None);
    assert_eq!(decode::<u16>(&word), Some(0x102));
    word[0] = 1;
    assert_eq!(decode::<Address>(&word), None);
    assert_eq!(decode::<u128>(&word), None);
    assert!(decode::<U256>(&word).is_some());
}

#[test]
fn malformed_input_is_refused() {
    let good = encode(&(address(1), "name"));
    assert!(decode::<(Address, String)>(&good).is_some());
    // Too short for the static arguments.
    assert_eq!(decode::<(Address, U256)>(&good[..63]), None);
    // The string's offset points past the end.
    let mut bad = good.clone();
    bad[63] = 0xff;
    assert_eq!(decode::<(Address, String)>(&bad), None);
    // An offset beyond 32 bits.
    let mut bad = good.clone();
    bad[32] = 1;
    assert_eq!(decode::<(Address, String)>(&bad), None);
    // The length runs past the end.
    let mut bad = good.clone();
    bad[95] = 33;
    assert_eq!(decode::<(Address, String)>(&bad), None);
    // Not UTF-8: refused as a String, accepted as bytes.
    let mut bad = good.clone();
    bad[96] = 0xff;
    assert_eq!(decode::<(Address, String)>(&bad), None);
    assert!(decode::<(Address, Vec<u8>)>(&bad).is_some());
    // The padding after the last string is not required.
    assert!(decode::<(Address, String)>(&good[..100]).is_some());
    assert_eq!(decode::<(Address, String)>(&good[..99]), None);
}

#[test]
fn trailing_bytes_are_ignored() {
    let mut data = encode(&U256::from(5u8));
    data.extend_from_slice(&[1, 2, 3]);
    assert_eq!(decode::<U256>(&data), Some(U256::from(5u8)));
}

#[test]
fn calldata_reads_the_selector_and_the_arguments() {
    let transfer = selector("transfer(address,uint256)");
    let input = Calldata::new(encode_call(transfer, &(address(9), U256::from(3u8))));
    assert_eq!(input.selector(), transfer);
    assert_eq!(
        input.args::<(Address, U256)>(),
        (address(9), U256::from(3u8))
    );
    let input = Calldata::new(encode_call(selector("balanceOf(address)"), &address(4)));
    assert_eq!(input.args::<Address>(), address(4));
}

#[test]
#[should_panic(expected = "invalid calldata")]
fn calldata_shorter_than_a_selector_reverts() {
    Calldata::new(std::vec![1, 2, 3]).selector();
}

#[test]
#[should_panic(expected = "invalid calldata")]
fn calldata_with_missing_arguments_reverts() {
    let input = encode_call(selector("transfer(address,uint256)"), &address(9));
    Calldata::new(input).args::<(Address, U256)>();
}

#[test]
fn parameter_lists_of_up_to_twelve_values() {
    let values = (
        1u8,
        2u16,
        3u32,
        4u64,
        5u128,
        6usize,
        true,
        "eight",
        9u8,
        10u8,
        11u8,
        U256::MAX,
    );
    let encoded = encode(&values);
    assert_eq!(encoded.len(), 12 * 32 + 64);
    assert_eq!(
        encoded[7 * 32 + 30..8 * 32],
        [0x01, 0x80],
        "the string's offset, 12 * 32"
    );
    type Twelve = (
        u8,
        u16,
        u32,
        u64,
        u128,
        usize,
        bool,
        String,
        u8,
        u8,
        u8,
        U256,
    );
    let decoded: Twelve = decode(&encoded).unwrap();
    assert_eq!(decoded.7, "eight");
    assert_eq!((decoded.5, decoded.11), (6, U256::MAX));
}
