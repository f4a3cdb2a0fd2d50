//! Helpers for tests and benchmarks: signed transactions from the development accounts and
//! chains in temporary directories. Not used by the node itself.

use crate::chain::Chain;
use crate::config::ChainConfig;
use crate::genesis::{Genesis, dev_signers};
use crate::staking::{GenesisValidator, StakingConfig};
use crate::tx::{VerifiedTx, verify_raw};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEip2930, TxEnvelope, TxLegacy};
use alloy_eips::Encodable2718;
use alloy_eips::eip2930::{AccessList, AccessListItem};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use vnt_vortex::keys::ValidatorKeys;

/// The three transaction types Hubble accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxKindOf {
    Legacy,
    AccessList,
    DynamicFee,
}

/// Fields of a transfer to sign; defaults suit a fresh dev chain.
#[derive(Clone, Debug)]
pub struct Transfer {
    pub kind: TxKindOf,
    pub chain_id: u64,
    pub nonce: u64,
    pub to: TxKind,
    pub value: U256,
    pub gas_limit: u64,
    /// Gas price (legacy, access list) or fee cap (dynamic fee).
    pub max_fee: u128,
    pub tip: u128,
    pub input: Bytes,
}

impl Transfer {
    pub fn new(chain_id: u64, nonce: u64, to: Address, value: U256) -> Self {
        Self {
            kind: TxKindOf::DynamicFee,
            chain_id,
            nonce,
            to: TxKind::Call(to),
            value,
            gas_limit: 21_000,
            max_fee: 10_000_000_000,
            tip: 1_000_000_000,
            input: Bytes::new(),
        }
    }

    /// A contract creation running `init` code.
    pub fn deploy(chain_id: u64, nonce: u64, init: Bytes) -> Self {
        let mut tx = Self::new(chain_id, nonce, Address::ZERO, U256::ZERO);
        tx.to = TxKind::Create;
        tx.gas_limit = 200_000;
        tx.input = init;
        tx
    }

    pub fn gas_limit(mut self, gas_limit: u64) -> Self {
        self.gas_limit = gas_limit;
        self
    }

    pub fn fees(mut self, max_fee: u128, tip: u128) -> Self {
        self.max_fee = max_fee;
        self.tip = tip;
        self
    }

    pub fn kind(mut self, kind: TxKindOf) -> Self {
        self.kind = kind;
        self
    }

    /// Signs with `signer` and returns the network encoding.
    pub fn sign(&self, signer: &PrivateKeySigner) -> Bytes {
        self.envelope(signer).encoded_2718().into()
    }

    /// Signs with `signer`.
    pub fn envelope(&self, signer: &PrivateKeySigner) -> TxEnvelope {
        let to = self.to;
        match self.kind {
            TxKindOf::Legacy => signed(
                TxLegacy {
                    chain_id: Some(self.chain_id),
                    nonce: self.nonce,
                    gas_price: self.max_fee,
                    gas_limit: self.gas_limit,
                    to,
                    value: self.value,
                    input: self.input.clone(),
                },
                signer,
            ),
            TxKindOf::AccessList => signed(
                TxEip2930 {
                    chain_id: self.chain_id,
                    nonce: self.nonce,
                    gas_price: self.max_fee,
                    gas_limit: self.gas_limit,
                    to,
                    value: self.value,
                    input: self.input.clone(),
                    access_list: AccessList(vec![AccessListItem {
                        address: self.to.to().copied().unwrap_or_default(),
                        storage_keys: vec![B256::ZERO],
                    }]),
                },
                signer,
            ),
            TxKindOf::DynamicFee => signed(
                TxEip1559 {
                    chain_id: self.chain_id,
                    nonce: self.nonce,
                    gas_limit: self.gas_limit,
                    max_fee_per_gas: self.max_fee,
                    max_priority_fee_per_gas: self.tip,
                    to,
                    value: self.value,
                    access_list: AccessList::default(),
                    input: self.input.clone(),
                },
                signer,
            ),
        }
    }

    /// Signs and runs the stateless checks, as the RPC would.
    pub fn verified(&self, signer: &PrivateKeySigner, config: &ChainConfig) -> VerifiedTx {
        verify_raw(&self.sign(signer), config).expect("a well-formed test transaction verifies")
    }
}

fn signed<T>(tx: T, signer: &PrivateKeySigner) -> TxEnvelope
where
    T: SignableTransaction<alloy_primitives::Signature>,
    TxEnvelope: From<alloy_consensus::Signed<T>>,
{
    let signature = signer
        .sign_hash_sync(&tx.signature_hash())
        .expect("local keys always sign");
    tx.into_signed(signature).into()
}

/// A chain in a temporary directory (deleted when the returned guard drops).
pub fn temp_chain(genesis: Genesis) -> (Chain, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let chain = Chain::open(dir.path(), genesis).expect("a fresh chain opens");
    (chain, dir)
}

/// The dev genesis (time zero) of a network of validators: each `(keys, account, stake)`
/// bonded at genesis with its proofs for the dev chain id, and blocks sealed with their
/// proposer's VRF output (`crate::staking::seal`).
pub fn validator_genesis<'a>(
    validators: impl IntoIterator<Item = (&'a ValidatorKeys, Address, U256)>,
) -> Genesis {
    let mut staking = StakingConfig::dev();
    staking.validators = validators
        .into_iter()
        .map(|(keys, account, stake)| {
            GenesisValidator::from_keys(keys, crate::config::DEV_CHAIN_ID, account, stake)
        })
        .collect();
    staking.proposer_vrf = true;
    let mut genesis = Genesis::dev(0);
    genesis.enable_staking(staking);
    genesis
}

/// The development signers (the Hardhat/anvil keys).
pub fn signers() -> Vec<PrivateKeySigner> {
    dev_signers()
}
