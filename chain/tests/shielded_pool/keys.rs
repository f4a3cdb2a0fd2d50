//! The verifying key a chain pins: the dev key on dev chains, a hash-checked file elsewhere.

use super::*;
use crate::support::T0;
use ark_bls12_381::Bls12_381;
use ark_groth16::VerifyingKey;
use ark_serialize::CanonicalSerialize;
use vnt_chain::Chain;
use vnt_chain::genesis::Genesis;
use vnt_chain::shielded::ShieldedPoolConfig;
use vnt_chain::shielded::keys::DEV_VERIFYING_KEY_HASH;
use vnt_chain::shielded::storage::slot;

/// A chain id that is neither the dev chain's nor Hubble's.
const OTHER_CHAIN: u64 = 4242;

/// A genesis for [`OTHER_CHAIN`] whose pool pins `pool`.
fn genesis_with(pool: ShieldedPoolConfig) -> Genesis {
    let mut genesis = Genesis::dev(T0);
    genesis.config.chain_id = OTHER_CHAIN;
    genesis.enable_shielded_pool(pool);
    genesis
}

fn open_error(genesis: Genesis) -> String {
    let dir = tempfile::tempdir().unwrap();
    match Chain::open(dir.path(), genesis) {
        Ok(_) => panic!("the chain opened"),
        Err(error) => error.to_string(),
    }
}

/// A valid verifying key other than the dev key: the dev key with `α` doubled. Its proofs
/// would all fail, which does not matter to loading it.
fn another_key() -> Vec<u8> {
    let mut key: VerifyingKey<Bls12_381> = dev_keys().verifying_key().clone();
    key.alpha_g1 = (key.alpha_g1 + key.alpha_g1).into();
    let mut bytes = Vec::new();
    key.serialize_compressed(&mut bytes).unwrap();
    bytes
}

#[test]
fn the_pinned_dev_key_hash_is_the_hash_of_the_dev_keys() {
    let key = dev_keys().verifying_key();
    assert_eq!(
        DEV_VERIFYING_KEY_HASH,
        B256::from(vnt_zk::verify::key_hash(key))
    );
    assert!(ShieldedPoolConfig::dev().is_unsafe_dev_key());
}

#[test]
fn a_key_file_opens_the_chain_only_if_it_hashes_to_the_pinned_hash() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("spend.vk");
    std::fs::write(&file, another_key()).unwrap();
    let pool = ShieldedPoolConfig::from_file(&file).unwrap();
    assert!(!pool.is_unsafe_dev_key());

    let mut wrong = pool.clone();
    wrong.verifying_key_hash = B256::repeat_byte(0x11);
    let error = open_error(genesis_with(wrong));
    assert!(
        error.contains("spend.vk has SHA-256")
            && error.contains(&format!("pins {}", B256::repeat_byte(0x11))),
        "{error}"
    );

    let mut missing = pool.clone();
    missing.verifying_key_file = Some(dir.path().join("nowhere.vk"));
    let error = open_error(genesis_with(missing));
    assert!(
        error.contains("cannot read") && error.contains("nowhere.vk"),
        "{error}"
    );

    let mut unnamed = pool.clone();
    unnamed.verifying_key_file = None;
    let error = open_error(genesis_with(unnamed));
    assert!(error.contains("names no verifyingKeyFile"), "{error}");

    let garbage = dir.path().join("garbage.vk");
    std::fs::write(&garbage, b"not a key").unwrap();
    let error = open_error(genesis_with(
        ShieldedPoolConfig::from_file(&garbage).unwrap(),
    ));
    assert!(error.contains("is not a spend-circuit key"), "{error}");

    // The right file opens the chain, and genesis records its hash in the pool's storage.
    let data = tempfile::tempdir().unwrap();
    let chain = Chain::open(data.path(), genesis_with(pool.clone())).unwrap();
    let pinned = chain
        .state()
        .storage(&SHIELDED_POOL, slot::VERIFYING_KEY_HASH);
    assert_eq!(B256::from(pinned), pool.verifying_key_hash);
}

#[test]
fn a_genesis_file_names_its_key_relative_to_itself() {
    let dir = tempfile::tempdir().unwrap();
    let key = another_key();
    std::fs::write(dir.path().join("spend.vk"), &key).unwrap();
    let mut json = serde_json::to_value(Genesis::dev(T0)).unwrap();
    json["config"]["chainId"] = json!(OTHER_CHAIN);
    let hash = B256::from(<[u8; 32]>::from(<sha2::Sha256 as sha2::Digest>::digest(
        &key,
    )));
    json["config"]["shieldedPool"] = json!({
        "verifyingKeyHash": hash,
        "verifyingKeyFile": "spend.vk",
    });
    // The pool's account follows from the configuration; a file need not spell it out.
    let alloc = json["alloc"].as_object_mut().unwrap();
    let pool_key = alloc
        .keys()
        .find(|key| key.parse::<Address>().unwrap() == SHIELDED_POOL)
        .cloned()
        .expect("the dev genesis holds the pool");
    alloc.remove(&pool_key);
    let path = dir.path().join("genesis.json");
    std::fs::write(&path, json.to_string()).unwrap();
    let genesis = Genesis::from_file(&path).unwrap();
    let data = tempfile::tempdir().unwrap();
    let chain = Chain::open(data.path(), genesis).unwrap();
    let pinned = chain
        .state()
        .storage(&SHIELDED_POOL, slot::VERIFYING_KEY_HASH);
    assert_eq!(B256::from(pinned), hash);
}

#[test]
fn the_unsafe_dev_key_is_refused_off_dev_chains_and_hand_made_pool_accounts_are_refused() {
    let mut hubble = Genesis::hubble(T0);
    hubble.enable_shielded_pool(ShieldedPoolConfig::dev());
    let error = open_error(hubble);
    assert!(
        error.contains("UNSAFE") && error.contains("not chain 5656148"),
        "{error}"
    );
    // Nor does writing the dev key to a file make it acceptable elsewhere.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("spend.vk");
    std::fs::write(&file, vnt_zk::keys::DEV_VERIFYING_KEY).unwrap();
    let error = open_error(genesis_with(ShieldedPoolConfig::from_file(&file).unwrap()));
    assert!(error.contains("UNSAFE"), "{error}");

    let mut edited = Genesis::dev(T0);
    edited.alloc.get_mut(&SHIELDED_POOL).unwrap().balance = U256::from(1);
    let error = edited.validate().unwrap_err().to_string();
    assert!(error.contains("shielded pool"), "{error}");
}
