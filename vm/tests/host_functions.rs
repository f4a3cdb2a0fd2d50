//! The context and cryptography host functions give the right answers on both engines.

use crate::support::{compile_all, corpus, engines};
use std::any::Any;
use vnt_vm::Status;
use vnt_vm::crypto;
use vnt_vm::engine::{self, Compiled};
use vnt_vm::host::Context;
use vnt_vm::testing::MemoryHost;

fn returned(compiled: &[Box<dyn Compiled>], export: &str, host: &MemoryHost) -> Vec<u8> {
    let mut outputs = Vec::new();
    for (module, engine) in compiled.iter().zip(engines()) {
        let (outcome, back) =
            engine::call(module.as_ref(), Box::new(host.clone()), export, 100_000_000);
        let _: Box<dyn Any> = back;
        match outcome.status {
            Status::Returned(data) => outputs.push((data, outcome.gas_used)),
            other => panic!("{export} on {}: {other:?}", engine.name()),
        }
    }
    assert_eq!(outputs[0], outputs[1], "{export}: engines disagree");
    outputs.remove(0).0
}

#[test]
fn hashes_match_the_reference_implementations() {
    let compiled = compile_all(&corpus("host_functions.wat"));
    let input = b"the quick brown fox".to_vec();
    let out = returned(&compiled, "hashes", &MemoryHost::with_input(input.clone()));
    assert_eq!(out[..32], crypto::keccak256(&input));
    assert_eq!(out[32..64], crypto::sha256(&input));
    assert_eq!(out[64..], crypto::blake2b_256(&input));
}

#[test]
fn context_functions_report_the_call_context() {
    let compiled = compile_all(&corpus("host_functions.wat"));
    let mut host = MemoryHost {
        context: Context {
            caller: [1; 20],
            origin: [2; 20],
            address: [3; 20],
            value: [4; 32],
            block_number: 77,
            timestamp: 1_800_000_000,
            chain_id: 1337,
            ..Context::default()
        },
        ..MemoryHost::default()
    };
    host.accounts.entry([1; 20]).or_default().balance = u128::from_be_bytes([9; 16]);
    let out = returned(&compiled, "context", &host);
    assert_eq!(out[..20], [1; 20]);
    assert_eq!(out[20..40], [2; 20]);
    assert_eq!(out[40..60], [3; 20]);
    assert_eq!(out[60..92], [4; 32]);
    assert_eq!(u64::from_le_bytes(out[92..100].try_into().unwrap()), 77);
    assert_eq!(
        u64::from_le_bytes(out[100..108].try_into().unwrap()),
        1_800_000_000
    );
    assert_eq!(u64::from_le_bytes(out[108..116].try_into().unwrap()), 1337);
    assert_eq!(out[116..132], [0; 16]);
    assert_eq!(out[132..148], [9; 16]);
}

#[test]
fn ecrecover_returns_the_signer_and_refuses_tampering() {
    use k256::ecdsa::SigningKey;
    let key = SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
    let hash = crypto::keccak256(b"message");
    let (signature, recovery) = key.sign_prehash_recoverable(&hash).unwrap();
    let point = key.verifying_key().to_encoded_point(false);
    let expected = &crypto::keccak256(&point.as_bytes()[1..])[12..];
    let mut input = hash.to_vec();
    input.extend_from_slice(&signature.to_bytes());
    input.push(27 + recovery.to_byte());

    let compiled = compile_all(&corpus("host_functions.wat"));
    let out = returned(&compiled, "recover", &MemoryHost::with_input(input.clone()));
    assert_eq!(out[..4], 1u32.to_le_bytes());
    assert_eq!(&out[4..], expected);

    input[96] = 99; // v out of range
    let out = returned(&compiled, "recover", &MemoryHost::with_input(input));
    assert_eq!(out[..4], 0u32.to_le_bytes());
}

#[test]
fn ed25519_accepts_a_valid_signature_and_refuses_a_changed_message() {
    use ed25519_dalek::{Signer, SigningKey};
    let key = SigningKey::from_bytes(&[5u8; 32]);
    let message = b"pay bob 10";
    let mut input = key.verifying_key().to_bytes().to_vec();
    input.extend_from_slice(&key.sign(message).to_bytes());
    input.extend_from_slice(message);

    let compiled = compile_all(&corpus("host_functions.wat"));
    let out = returned(&compiled, "ed25519", &MemoryHost::with_input(input.clone()));
    assert_eq!(out, 1u32.to_le_bytes());
    *input.last_mut().unwrap() ^= 1;
    let out = returned(&compiled, "ed25519", &MemoryHost::with_input(input));
    assert_eq!(out, 0u32.to_le_bytes());
}
