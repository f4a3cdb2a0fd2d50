//! The first block: configuration, allocations and locks.
//!
//! [`Genesis::hubble`] is the public chain's genesis with the white paper's allocation and
//! the team lock; [`Genesis::dev`] funds the well-known development accounts (the mnemonic
//! Hardhat and Foundry use) so wallets and tools work out of the box. A genesis can also be
//! read from a JSON file; every field is checked before a node starts from it.

use crate::config::{ChainConfig, DEV_CHAIN_ID, HUBBLE_CHAIN_ID};
use crate::shielded::{SHIELDED_POOL, SHIELDED_POOL_CODE, ShieldedPoolConfig};
use crate::staking::{STAKING, STAKING_CODE, StakingConfig, StakingConfigError};
use crate::token::{TOTAL_SUPPLY_VNT, VestingSchedule, vnt};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Mnemonic of the development accounts; the same one Hardhat and anvil use.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";
/// Number of funded development accounts.
pub const DEV_ACCOUNTS: u32 = 10;
/// Balance of each development account, in whole VNT.
pub const DEV_BALANCE_VNT: u64 = 1_000_000;
/// Initial base fee of a new chain: 1 gwei.
pub const INITIAL_BASE_FEE: u64 = 1_000_000_000;

/// Where the deterministic-deployment proxy lives on every chain that has it.
pub const CREATE2_FACTORY: Address =
    alloy_primitives::address!("0x4e59b44847b379578588920ca78fbf26c0b4956c");

/// Runtime code of Arachnid's deterministic-deployment proxy
/// (<https://github.com/Arachnid/deterministic-deployment-proxy>, the code its one-time
/// deployment transaction leaves at [`CREATE2_FACTORY`]; Foundry and Hardhat expect it there).
/// Called with a 32-byte salt followed by init code, it runs `CREATE2` with the call's value
/// and returns the new contract's 20-byte address, or reverts if the creation failed.
/// Placing it at genesis spares dev chains the pre-EIP-155 deployment transaction, which
/// needs a chain that accepts unprotected legacy transactions at 100 gwei.
pub const CREATE2_FACTORY_CODE: [u8; 69] = alloy_primitives::hex!(
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe0"
    "3601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3"
);

/// An account present at genesis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisAccount {
    pub balance: U256,
    #[serde(default)]
    pub nonce: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Bytes>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub storage: BTreeMap<B256, B256>,
    /// A lock-up on this account's genesis balance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vesting: Option<VestingSchedule>,
}

/// Everything needed to build block zero.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Genesis {
    pub config: ChainConfig,
    pub timestamp: u64,
    #[serde(default = "default_base_fee")]
    pub base_fee_per_gas: u64,
    #[serde(default)]
    pub extra_data: Bytes,
    pub alloc: BTreeMap<Address, GenesisAccount>,
}

fn default_base_fee() -> u64 {
    INITIAL_BASE_FEE
}

/// Why a genesis cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    #[error("cannot read genesis file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("genesis file {path} is not valid: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("genesis block gas limit must be at least 21000, got {0}")]
    GasLimitTooLow(u64),
    #[error("genesis chain id must not be 0")]
    ZeroChainId,
    #[error("vesting of {address} locks {locked} wei but the account holds only {balance} wei")]
    LockExceedsBalance {
        address: Address,
        locked: U256,
        balance: U256,
    },
    #[error("vesting of {address} has step_months = 0")]
    ZeroVestingStep { address: Address },
    #[error("genesis extra data is {0} bytes, at most 32 are allowed")]
    ExtraDataTooLong(usize),
    #[error(
        "the genesis account at the shielded pool's address {SHIELDED_POOL} is not the one its configuration implies; leave it out of alloc and set config.shieldedPool"
    )]
    ShieldedPoolAccount,
    #[error(
        "the genesis account at the staking contract's address {STAKING} is not the one its configuration implies; leave it out of alloc and set config.staking"
    )]
    StakingAccount,
    #[error(transparent)]
    Staking(#[from] StakingConfigError),
}

/// Who holds each share of the white paper's genesis allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Custody {
    pub donors: Address,
    pub team: Address,
    pub ecosystem: Address,
    pub foundation: Address,
}

impl Custody {
    /// Placeholder custody addresses, until launch fixes the real ones.
    pub fn placeholder() -> Self {
        let address =
            |purpose: &str| Address::from_word(keccak256(format!("vnt:genesis:{purpose}")));
        Self {
            donors: address("donors"),
            team: address("team"),
            ecosystem: address("ecosystem"),
            foundation: address("foundation"),
        }
    }
}

impl Genesis {
    /// Hubble's genesis with the placeholder custody addresses.
    pub fn hubble(timestamp: u64) -> Self {
        Self::hubble_with_custody(timestamp, Custody::placeholder())
    }

    /// Hubble's genesis: the white paper's allocation of 10 billion VNT, team locked.
    pub fn hubble_with_custody(timestamp: u64, custody: Custody) -> Self {
        let share = |percent: u64| vnt(TOTAL_SUPPLY_VNT / 100 * percent);
        let mut alloc = BTreeMap::new();
        let mut fund = |address: Address, balance: U256, vesting: Option<VestingSchedule>| {
            let account = GenesisAccount {
                balance,
                vesting,
                ..Default::default()
            };
            alloc.insert(address, account);
        };
        fund(custody.donors, share(20), None);
        fund(
            custody.team,
            share(20),
            Some(VestingSchedule::team(share(20), timestamp)),
        );
        fund(custody.ecosystem, share(40), None);
        fund(custody.foundation, share(20), None);
        Self {
            config: ChainConfig::new(HUBBLE_CHAIN_ID),
            timestamp,
            base_fee_per_gas: INITIAL_BASE_FEE,
            extra_data: Bytes::from_static(b"VNT Hubble"),
            alloc,
        }
    }

    /// A development genesis funding [`dev_signers`], with the CREATE2 factory at
    /// [`CREATE2_FACTORY`] so deterministic deployments (`forge create --salt`, Hardhat's
    /// deterministic deployer) work out of the box, and the shielded pool with the dev
    /// verifying key (UNSAFE: anyone can forge proofs under it), and the staking contract
    /// with [`StakingConfig::dev`] and no validator registered.
    pub fn dev(timestamp: u64) -> Self {
        let mut alloc: BTreeMap<Address, GenesisAccount> = dev_signers()
            .iter()
            .map(|signer| {
                let account = GenesisAccount {
                    balance: vnt(DEV_BALANCE_VNT),
                    ..Default::default()
                };
                (signer.address(), account)
            })
            .collect();
        let factory = GenesisAccount {
            // A deployed contract starts at nonce 1 (EIP-161), as the proxy does on mainnet.
            nonce: 1,
            code: Some(Bytes::from_static(&CREATE2_FACTORY_CODE)),
            ..Default::default()
        };
        alloc.insert(CREATE2_FACTORY, factory);
        let mut genesis = Self {
            config: ChainConfig::new(DEV_CHAIN_ID),
            timestamp,
            base_fee_per_gas: INITIAL_BASE_FEE,
            extra_data: Bytes::from_static(b"VNT dev"),
            alloc,
        };
        genesis.enable_shielded_pool(ShieldedPoolConfig::dev());
        genesis.enable_staking(StakingConfig::dev());
        genesis
    }

    /// Installs the staking contract at [`STAKING`] with `staking`'s parameters.
    pub fn enable_staking(&mut self, staking: StakingConfig) {
        self.alloc.insert(STAKING, staking_account(&staking));
        self.config.staking = Some(staking);
    }

    /// Installs the shielded pool at [`SHIELDED_POOL`] with the verifying key `pool` pins.
    pub fn enable_shielded_pool(&mut self, pool: ShieldedPoolConfig) {
        self.alloc
            .insert(SHIELDED_POOL, shielded_pool_account(&pool));
        self.config.shielded_pool = Some(pool);
    }

    /// Reads and validates a genesis JSON file.
    pub fn from_file(path: &Path) -> Result<Self, GenesisError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| GenesisError::Read {
            path: shown.clone(),
            source,
        })?;
        let mut genesis: Self =
            serde_json::from_str(&text).map_err(|source| GenesisError::Parse {
                path: shown,
                source,
            })?;
        // The pool's genesis account follows from its configuration; a file need only name
        // the key, whose path is taken relative to the genesis file.
        if let Some(mut pool) = genesis.config.shielded_pool.clone() {
            if let (Some(file), Some(dir)) = (&pool.verifying_key_file, path.parent())
                && file.is_relative()
            {
                pool.verifying_key_file = Some(dir.join(file));
            }
            genesis
                .alloc
                .entry(SHIELDED_POOL)
                .or_insert_with(|| shielded_pool_account(&pool));
            genesis.config.shielded_pool = Some(pool);
        }
        // Likewise the staking contract's account follows from its parameters.
        if let Some(staking) = &genesis.config.staking {
            genesis
                .alloc
                .entry(STAKING)
                .or_insert_with(|| staking_account(staking));
        }
        genesis.validate()?;
        Ok(genesis)
    }

    /// Checks the rules a usable genesis follows.
    pub fn validate(&self) -> Result<(), GenesisError> {
        if self.config.chain_id == 0 {
            return Err(GenesisError::ZeroChainId);
        }
        if self.config.block_gas_limit < 21_000 {
            return Err(GenesisError::GasLimitTooLow(self.config.block_gas_limit));
        }
        if self.extra_data.len() > 32 {
            return Err(GenesisError::ExtraDataTooLong(self.extra_data.len()));
        }
        let pool = self.alloc.get(&SHIELDED_POOL);
        match &self.config.shielded_pool {
            Some(config) if pool != Some(&shielded_pool_account(config)) => {
                return Err(GenesisError::ShieldedPoolAccount);
            }
            None if pool.is_some() => return Err(GenesisError::ShieldedPoolAccount),
            _ => {}
        }
        let staking = self.alloc.get(&STAKING);
        match &self.config.staking {
            Some(config) => {
                config.validate(self.config.chain_id)?;
                if staking != Some(&staking_account(config)) {
                    return Err(GenesisError::StakingAccount);
                }
            }
            None if staking.is_some() => return Err(GenesisError::StakingAccount),
            None => {}
        }
        for (address, account) in &self.alloc {
            let Some(vesting) = &account.vesting else {
                continue;
            };
            if vesting.step_months == 0 {
                return Err(GenesisError::ZeroVestingStep { address: *address });
            }
            if vesting.total > account.balance {
                return Err(GenesisError::LockExceedsBalance {
                    address: *address,
                    locked: vesting.total,
                    balance: account.balance,
                });
            }
        }
        Ok(())
    }

    /// The lock-ups genesis places on accounts.
    pub fn vesting(&self) -> BTreeMap<Address, VestingSchedule> {
        self.alloc
            .iter()
            .filter_map(|(address, account)| Some((*address, account.vesting.clone()?)))
            .collect()
    }

    /// Sum of all genesis balances.
    pub fn total_issued(&self) -> U256 {
        self.alloc.values().map(|a| a.balance).sum()
    }
}

/// The shielded pool's account at genesis: its marker code and the storage that pins the
/// key and makes the empty tree's root known.
pub fn shielded_pool_account(pool: &ShieldedPoolConfig) -> GenesisAccount {
    GenesisAccount {
        // A contract account, as on Ethereum: nonce 1 (EIP-161).
        nonce: 1,
        code: Some(Bytes::from_static(&SHIELDED_POOL_CODE)),
        storage: crate::shielded::storage::genesis_storage(pool.verifying_key_hash),
        ..Default::default()
    }
}

/// The staking contract's account at genesis: its marker code, its parameters, the genesis
/// validators with their committees, and their stake as its balance.
pub fn staking_account(staking: &StakingConfig) -> GenesisAccount {
    GenesisAccount {
        balance: staking.genesis_bonded(),
        // A contract account, as on Ethereum: nonce 1 (EIP-161).
        nonce: 1,
        code: Some(Bytes::from_static(&STAKING_CODE)),
        storage: crate::staking::storage::genesis_storage(staking),
        ..Default::default()
    }
}

/// The development accounts, derived from [`DEV_MNEMONIC`] on the standard Ethereum path.
pub fn dev_signers() -> Vec<PrivateKeySigner> {
    (0..DEV_ACCOUNTS)
        .map(|index| {
            MnemonicBuilder::<English>::default()
                .phrase(DEV_MNEMONIC)
                .index(index)
                .and_then(|builder| builder.build())
                .expect("the development mnemonic and its derivation path are valid")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::VNT;

    #[test]
    fn hubble_genesis_issues_ten_billion_vnt_in_white_paper_shares() {
        let g = Genesis::hubble(0);
        assert_eq!(g.total_issued(), vnt(TOTAL_SUPPLY_VNT));
        let mut shares: Vec<U256> = g.alloc.values().map(|a| a.balance / VNT).collect();
        shares.sort();
        let expected: Vec<U256> = [2, 2, 2, 4]
            .iter()
            .map(|b| U256::from(*b as u64 * 1_000_000_000))
            .collect();
        assert_eq!(shares, expected);
        let locks = g.vesting();
        assert_eq!(locks.len(), 1);
        assert_eq!(
            locks[&Custody::placeholder().team].total,
            vnt(2_000_000_000)
        );
        g.validate().unwrap();
    }

    #[test]
    fn dev_accounts_match_the_well_known_hardhat_keys() {
        let signers = dev_signers();
        assert_eq!(signers.len(), DEV_ACCOUNTS as usize);
        let first: Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
            .parse()
            .unwrap();
        assert_eq!(signers[0].address(), first);
    }

    #[test]
    fn dev_genesis_holds_the_create2_factory_and_hubble_does_not() {
        let dev = Genesis::dev(0);
        let factory = &dev.alloc[&CREATE2_FACTORY];
        let code = factory.code.as_ref().unwrap();
        assert_eq!(code.len(), 69);
        assert_eq!(code[0], 0x7f, "PUSH32 of the calldata mask comes first");
        assert_eq!(factory.balance, U256::ZERO);
        assert_eq!(
            dev.total_issued(),
            vnt(DEV_BALANCE_VNT) * U256::from(DEV_ACCOUNTS)
        );
        // Hubble's genesis is exactly the white paper's four allocations.
        assert!(!Genesis::hubble(0).alloc.contains_key(&CREATE2_FACTORY));
    }

    #[test]
    fn a_lock_larger_than_the_balance_is_rejected() {
        let mut g = Genesis::hubble(0);
        let team = g.alloc.get_mut(&Custody::placeholder().team).unwrap();
        team.balance = vnt(1);
        let err = g.validate().unwrap_err().to_string();
        assert!(err.contains("locks"), "{err}");
    }

    #[test]
    fn a_staking_section_with_a_short_unbonding_period_is_rejected_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("genesis.json");
        let mut json = serde_json::to_value(Genesis::dev(0)).unwrap();
        json["config"]["staking"]["unbondingPeriod"] = serde_json::json!(10);
        // The account follows from the parameters when a file leaves it out.
        let staking = format!("{STAKING:#x}");
        assert!(
            json["alloc"]
                .as_object_mut()
                .unwrap()
                .remove(&staking)
                .is_some()
        );
        std::fs::write(&path, json.to_string()).unwrap();
        let err = Genesis::from_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("unbondingPeriod (10) must be longer than evidenceWindow (32) plus three epochs (48 blocks)"),
            "{err}"
        );
        json["config"]["staking"]["unbondingPeriod"] = serde_json::json!(81);
        std::fs::write(&path, json.to_string()).unwrap();
        let genesis = Genesis::from_file(&path).unwrap();
        let config = genesis.config.staking.as_ref().unwrap();
        assert_eq!(genesis.alloc[&STAKING], staking_account(config));
        // An account that disagrees with the parameters is refused.
        let mut tampered = Genesis::dev(0);
        tampered.config.staking.as_mut().unwrap().unbonding_period = 100;
        assert!(matches!(
            tampered.validate(),
            Err(GenesisError::StakingAccount)
        ));
    }

    #[test]
    fn a_genesis_file_with_unknown_fields_is_rejected_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("genesis.json");
        let mut json = serde_json::to_value(Genesis::dev(0)).unwrap();
        json["surprise"] = serde_json::json!(1);
        std::fs::write(&path, json.to_string()).unwrap();
        let err = Genesis::from_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("genesis.json") && err.contains("surprise"),
            "{err}"
        );
    }
}
