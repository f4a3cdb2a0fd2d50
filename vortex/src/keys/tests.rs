use super::*;

const CHAIN: u64 = 7_000;
/// The account the test registrations are made from.
const ACCOUNT: [u8; 20] = [0xac; 20];

fn registration(keys: &ValidatorKeys) -> (Vec<u8>, Vec<u8>) {
    (
        keys.public().bls.encode().to_vec(),
        keys.proof_of_possession(CHAIN, &ACCOUNT),
    )
}

#[test]
fn a_proof_of_possession_is_accepted_for_its_key_and_chain() {
    let keys = ValidatorKeys::devnet(1, 0);
    let (public, pop) = registration(&keys);
    assert_eq!(public.len(), BLS_PUBLIC_KEY_LEN);
    assert_eq!(pop.len(), POP_LEN);
    let key =
        verify_proof_of_possession(CHAIN, &ACCOUNT, &public, &pop).expect("own proof verifies");
    assert_eq!(key, keys.public().bls);
}

#[test]
fn a_proof_of_possession_for_another_key_is_rejected() {
    let (public, _) = registration(&ValidatorKeys::devnet(1, 0));
    let (_, other_pop) = registration(&ValidatorKeys::devnet(1, 1));
    assert_eq!(
        verify_proof_of_possession(CHAIN, &ACCOUNT, &public, &other_pop),
        Err(KeyError::PopDoesNotVerify { chain_id: CHAIN })
    );
}

#[test]
fn a_proof_of_possession_made_for_another_chain_is_rejected() {
    let keys = ValidatorKeys::devnet(1, 0);
    let public = keys.public().bls.encode().to_vec();
    let pop = keys.proof_of_possession(CHAIN + 1, &ACCOUNT);
    assert_eq!(
        verify_proof_of_possession(CHAIN, &ACCOUNT, &public, &pop),
        Err(KeyError::PopDoesNotVerify { chain_id: CHAIN })
    );
}

#[test]
fn a_proof_of_possession_lifted_from_another_accounts_registration_is_rejected() {
    // Copying a victim's key and proof into a registration from another account would let
    // the copier hold the victim's BLS key twice in a committee.
    let (public, pop) = registration(&ValidatorKeys::devnet(1, 0));
    let mut thief = ACCOUNT;
    thief[19] ^= 1;
    assert_eq!(
        verify_proof_of_possession(CHAIN, &thief, &public, &pop),
        Err(KeyError::PopDoesNotVerify { chain_id: CHAIN })
    );
}

#[test]
fn an_altered_proof_of_possession_is_rejected_at_every_byte() {
    let (public, pop) = registration(&ValidatorKeys::devnet(1, 0));
    for index in 0..pop.len() {
        let mut altered = pop.clone();
        altered[index] ^= 0x01;
        match verify_proof_of_possession(CHAIN, &ACCOUNT, &public, &altered) {
            Err(KeyError::Malformed { what, .. }) => assert_eq!(what, "proof of possession"),
            Err(KeyError::PopDoesNotVerify { chain_id }) => assert_eq!(chain_id, CHAIN),
            other => panic!("byte {index} altered: {other:?}"),
        }
    }
}

#[test]
fn an_altered_public_key_is_rejected() {
    let (public, pop) = registration(&ValidatorKeys::devnet(1, 0));
    let mut altered = public.clone();
    altered[10] ^= 0x01;
    let error = verify_proof_of_possession(CHAIN, &ACCOUNT, &altered, &pop).unwrap_err();
    assert!(
        matches!(
            error,
            KeyError::Malformed {
                what: "BLS public key",
                ..
            }
        ) || error == KeyError::PopDoesNotVerify { chain_id: CHAIN },
        "{error}"
    );
}

#[test]
fn keys_and_proofs_of_the_wrong_length_are_rejected_with_the_lengths() {
    let (public, pop) = registration(&ValidatorKeys::devnet(1, 0));
    assert_eq!(
        verify_proof_of_possession(CHAIN, &ACCOUNT, &public[..95], &pop),
        Err(KeyError::WrongLength {
            what: "BLS public key",
            expected: 96,
            got: 95
        })
    );
    let mut long = pop.clone();
    long.push(0);
    let error = verify_proof_of_possession(CHAIN, &ACCOUNT, &public, &long).unwrap_err();
    assert_eq!(
        error.to_string(),
        "proof of possession must be 48 bytes, got 49"
    );
    assert!(matches!(
        decode_identity(&[0u8; 31]),
        Err(KeyError::WrongLength { got: 31, .. })
    ));
}

#[test]
fn a_zero_bls_secret_is_refused() {
    let result = ValidatorKeys::from_secrets([1; 32], [0; 32], [2; 32]);
    assert!(matches!(
        result,
        Err(KeyError::Malformed {
            what: "BLS secret",
            ..
        })
    ));
}

#[test]
fn devnet_keys_are_reproducible_and_distinct() {
    let a = ValidatorKeys::devnet(9, 3).public();
    assert_eq!(a, ValidatorKeys::devnet(9, 3).public());
    let b = ValidatorKeys::devnet(9, 4).public();
    let c = ValidatorKeys::devnet(10, 3).public();
    for other in [&b, &c] {
        assert_ne!(a.identity, other.identity);
        assert_ne!(a.bls, other.bls);
        assert_ne!(a.vrf, other.vrf);
    }
}

#[test]
fn keys_round_trip_through_their_secrets() {
    let keys = ValidatorKeys::devnet(5, 0);
    let identity: [u8; 32] = keys.identity().encode().as_ref().try_into().unwrap();
    let bls: [u8; 32] = keys.bls().encode().as_ref().try_into().unwrap();
    let restored = ValidatorKeys::from_secrets(identity, bls, keys.vrf_seed()).unwrap();
    assert_eq!(restored.public(), keys.public());
}

#[test]
fn an_identity_binding_verifies_only_for_its_account_key_and_chain() {
    let keys = ValidatorKeys::devnet(1, 0);
    let identity = keys.public().identity.encode().to_vec();
    let bls = keys.public().bls.encode().to_vec();
    let signature = keys.identity_binding(CHAIN, &ACCOUNT);
    assert_eq!(signature.len(), IDENTITY_SIGNATURE_LEN);
    let key = verify_identity_binding(CHAIN, &ACCOUNT, &identity, &bls, &signature).unwrap();
    assert_eq!(key, keys.public().identity);
    let refused = Err(KeyError::IdentityBindingDoesNotVerify { chain_id: CHAIN });
    assert_eq!(
        verify_identity_binding(CHAIN, &[0xad; 20], &identity, &bls, &signature),
        refused
    );
    let other_bls = ValidatorKeys::devnet(1, 1).public().bls.encode().to_vec();
    assert_eq!(
        verify_identity_binding(CHAIN, &ACCOUNT, &identity, &other_bls, &signature),
        refused
    );
    assert_eq!(
        verify_identity_binding(CHAIN + 1, &ACCOUNT, &identity, &bls, &signature),
        Err(KeyError::IdentityBindingDoesNotVerify {
            chain_id: CHAIN + 1
        })
    );
    let other_identity = ValidatorKeys::devnet(1, 1)
        .public()
        .identity
        .encode()
        .to_vec();
    assert_eq!(
        verify_identity_binding(CHAIN, &ACCOUNT, &other_identity, &bls, &signature),
        refused
    );
    assert!(matches!(
        verify_identity_binding(CHAIN, &ACCOUNT, &identity, &bls, &signature[..63]),
        Err(KeyError::WrongLength {
            expected: 64,
            got: 63,
            ..
        })
    ));
}

#[test]
fn a_vrf_key_decodes_unless_it_is_no_point_or_the_identity() {
    let keys = ValidatorKeys::devnet(1, 0);
    assert!(decode_vrf_public_key(&keys.public().vrf).is_ok());
    let identity = decode_vrf_public_key(&[0; 32]).unwrap_err().to_string();
    assert!(identity.contains("identity point"), "{identity}");
    // Not a canonical Ristretto encoding.
    assert!(matches!(
        decode_vrf_public_key(&[0xff; 32]),
        Err(KeyError::Malformed { .. })
    ));
    assert!(matches!(
        decode_vrf_public_key(&[1; 31]),
        Err(KeyError::WrongLength { got: 31, .. })
    ));
}
