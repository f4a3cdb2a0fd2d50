//! Which verifying key the pool checks proofs with.
//!
//! A chain's configuration pins the key by the SHA-256 of its compressed encoding
//! ([`ShieldedPoolConfig`]), and genesis records that hash in the pool's storage, so every
//! node executing the chain agrees on it and `verifyingKeyHash()` returns it. The key
//! itself comes from a file the configuration names (`spend.vk`, as `vnt zk setup` or a
//! ceremony writes it); [`load`] refuses to start a chain whose file hashes to anything
//! else. Development chains pin the dev key ([`vnt_zk::keys::dev_keys`]), which needs no
//! file and is UNSAFE: its trapdoor comes from a published seed, so anyone can forge proofs
//! under it. No chain but a dev chain (chain id 1337) may pin it.
//!
//! Loaded keys live in one table for the process, by hash. A hash names exactly one key, so
//! sharing the table between chains cannot mix them up, and execution finds the key from
//! the hash in state without the verifier being threaded through every caller of revm.

use crate::config::DEV_CHAIN_ID;
use alloy_primitives::{B256, b256};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use vnt_zk::verify::SpendVerifier;

/// SHA-256 of the dev verifying key's compressed encoding
/// ([`vnt_zk::keys::DEV_VERIFYING_KEY`], the key of [`vnt_zk::keys::dev_keys`]). Tests check
/// it against both.
pub const DEV_VERIFYING_KEY_HASH: B256 =
    b256!("0xa7c23ac00fbb1f414c46d6e7923564b0df330230d19d6888cf2c5faf056cb280");

/// The shielded pool of a chain: the verifying key it checks proofs with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShieldedPoolConfig {
    /// SHA-256 of the verifying key's compressed encoding.
    pub verifying_key_hash: B256,
    /// The file holding the key. Only the dev key may go without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifying_key_file: Option<PathBuf>,
}

impl ShieldedPoolConfig {
    /// The dev key: UNSAFE, for development chains only.
    pub fn dev() -> Self {
        Self {
            verifying_key_hash: DEV_VERIFYING_KEY_HASH,
            verifying_key_file: None,
        }
    }

    /// A key read from `file`, pinned by its hash.
    pub fn from_file(file: &Path) -> Result<Self, PoolKeyError> {
        let bytes = read(file)?;
        Ok(Self {
            verifying_key_hash: sha256(&bytes),
            verifying_key_file: Some(file.to_path_buf()),
        })
    }

    /// Whether this is the dev key, whose proofs anyone can forge.
    pub fn is_unsafe_dev_key(&self) -> bool {
        self.verifying_key_hash == DEV_VERIFYING_KEY_HASH
    }
}

/// Why a chain's verifying key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PoolKeyError {
    #[error("cannot read the shielded pool's verifying key file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the shielded pool's verifying key file {path} has SHA-256 {found}, but the chain's configuration pins {pinned}: it is not the key this chain was set up with"
    )]
    HashMismatch {
        path: String,
        found: B256,
        pinned: B256,
    },
    #[error("the shielded pool's verifying key file {path} is not a spend-circuit key: {reason}")]
    Decode { path: String, reason: String },
    #[error(
        "the chain's configuration pins verifying key {pinned} for the shielded pool but names no verifyingKeyFile; only the development key needs none"
    )]
    NoFile { pinned: B256 },
    #[error(
        "the shielded pool's development verifying key is UNSAFE (anyone can forge proofs under it): only a dev chain (chain id {DEV_CHAIN_ID}) may pin it, not chain {chain_id}; run a setup ceremony and pin its key"
    )]
    DevKeyOffDevChain { chain_id: u64 },
}

/// Verifiers loaded from key files, by key hash.
fn loaded() -> &'static RwLock<HashMap<B256, Arc<SpendVerifier>>> {
    static LOADED: OnceLock<RwLock<HashMap<B256, Arc<SpendVerifier>>>> = OnceLock::new();
    LOADED.get_or_init(RwLock::default)
}

/// The dev key's verifier, decoded on first use.
pub fn dev_verifier() -> Arc<SpendVerifier> {
    static DEV: OnceLock<Arc<SpendVerifier>> = OnceLock::new();
    DEV.get_or_init(|| {
        let verifier = SpendVerifier::from_bytes(vnt_zk::keys::DEV_VERIFYING_KEY)
            .expect("the committed dev verifying key decodes (vnt-zk tests it)");
        Arc::new(verifier)
    })
    .clone()
}

/// The verifier for the key with `hash`, if this process has it.
pub fn verifier(hash: &B256) -> Option<Arc<SpendVerifier>> {
    if *hash == DEV_VERIFYING_KEY_HASH {
        return Some(dev_verifier());
    }
    loaded().read().get(hash).cloned()
}

/// Makes the key `config` pins available to execution, refusing a key file that is
/// missing, undecodable or not the pinned one. Called before a chain opens.
pub fn load(config: &ShieldedPoolConfig, chain_id: u64) -> Result<(), PoolKeyError> {
    if config.is_unsafe_dev_key() {
        if chain_id != DEV_CHAIN_ID {
            return Err(PoolKeyError::DevKeyOffDevChain { chain_id });
        }
        return Ok(());
    }
    let pinned = config.verifying_key_hash;
    let Some(path) = &config.verifying_key_file else {
        return Err(PoolKeyError::NoFile { pinned });
    };
    // The file is checked on every open, even when another chain of this process loaded
    // the same key: what is being refused is this configuration's file.
    let bytes = read(path)?;
    let shown = path.display().to_string();
    let found = sha256(&bytes);
    if found != pinned {
        return Err(PoolKeyError::HashMismatch {
            path: shown,
            found,
            pinned,
        });
    }
    if loaded().read().contains_key(&pinned) {
        return Ok(());
    }
    let verifier = SpendVerifier::from_bytes(&bytes).map_err(|error| PoolKeyError::Decode {
        path: shown,
        reason: error.to_string(),
    })?;
    loaded().write().insert(pinned, Arc::new(verifier));
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, PoolKeyError> {
    std::fs::read(path).map_err(|source| PoolKeyError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn sha256(bytes: &[u8]) -> B256 {
    B256::from(<[u8; 32]>::from(Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_dev_hash_is_the_committed_dev_keys_hash() {
        assert_eq!(
            sha256(vnt_zk::keys::DEV_VERIFYING_KEY),
            DEV_VERIFYING_KEY_HASH
        );
        assert_eq!(dev_verifier().key_hash(), DEV_VERIFYING_KEY_HASH.0);
        assert!(verifier(&DEV_VERIFYING_KEY_HASH).is_some());
        assert!(verifier(&B256::repeat_byte(3)).is_none());
    }

    #[test]
    fn the_dev_key_needs_no_file_but_only_dev_chains_take_it() {
        load(&ShieldedPoolConfig::dev(), DEV_CHAIN_ID).unwrap();
        for chain_id in [crate::config::HUBBLE_CHAIN_ID, 1] {
            let error = load(&ShieldedPoolConfig::dev(), chain_id);
            assert!(matches!(error, Err(PoolKeyError::DevKeyOffDevChain { .. })));
        }
    }
}
