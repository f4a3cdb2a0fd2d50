//! The shielded pool on a running dev node, over JSON-RPC: spends that move value in, across
//! and out of the pool, and every refusal of issue 6's list by its reason.
//!
//! Proofs are slow, so three spends are proven once for the whole binary ([`story`]) and
//! replayed on fresh nodes: the pool's state after a sequence of spends depends only on the
//! spends, so the same proofs are valid on every fresh dev chain. Wallets are tracked off
//! chain with the reference [`NoteTree`], which gives the authentication paths.

mod batch;
mod flows;
mod keys;
mod refusals;

use crate::support::TestNode;
pub use crate::support::system::mine;
use crate::support::system::{call_json, events_of, revert_reason_of, view_of};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use serde_json::{Value, json};
use std::sync::OnceLock;
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::shielded::SHIELDED_POOL;
use vnt_chain::shielded::abi::{IShieldedPool, Transact};
use vnt_chain::testing::{Transfer, signers};
use vnt_zk::Fr;
use vnt_zk::circuit::{PublicInputs, SpendCircuit, SpendInput, external_data_hash};
use vnt_zk::keys::SpendKeys;
use vnt_zk::note::{Note, SpendingKey};
use vnt_zk::tree::NoteTree;
use vnt_zk::verify::field_to_bytes;
use vnt_zk::wallet::recipient_field;

/// Wei in a pool unit.
pub const GWEI: u64 = 1_000_000_000;
/// Gas given to every pool transaction: well above what one costs.
pub const POOL_GAS: u64 = 2_000_000;
/// Where the unshield pays: an account nobody has touched.
pub const CAROL: Address = Address::repeat_byte(0xca);

/// The dev keys, derived once for the whole binary (a Groth16 setup takes seconds).
pub fn dev_keys() -> &'static SpendKeys {
    static KEYS: OnceLock<SpendKeys> = OnceLock::new();
    KEYS.get_or_init(vnt_zk::keys::dev_keys)
}

/// One proven spend, as `transact` takes it.
#[derive(Clone)]
pub struct Spend {
    pub public: PublicInputs,
    pub proof: Bytes,
    pub notes: [Bytes; 2],
    pub recipient: Address,
    /// The dev signer the proof is bound to: only it can submit the spend.
    pub submitter: usize,
}

impl Spend {
    /// The call, with every argument as the proof claims.
    pub fn call(&self) -> Transact {
        let word = |x: Fr| B256::from(field_to_bytes(x));
        Transact {
            proof: self.proof.clone(),
            root: word(self.public.root),
            nullifiers: self.public.nullifiers.map(word),
            commitments: self.public.commitments.map(word),
            publicIn: self.public.public_in,
            publicOut: self.public.public_out,
            fee: self.public.fee,
            recipient: self.recipient,
            encryptedNotes: self.notes.clone(),
        }
    }

    /// The wei `transact` must carry.
    pub fn value(&self) -> U256 {
        U256::from(self.public.public_in) * U256::from(GWEI)
    }

    pub fn nullifier(&self, index: usize) -> B256 {
        B256::from(field_to_bytes(self.public.nullifiers[index]))
    }
}

/// Alice shields 1,000 units (submitted by dev signer 0); pays Bob 700 privately, keeping
/// 290 and paying relayer 2 a fee of 10; Bob unshields 695 to [`CAROL`] and pays 5 to
/// signer 3, who submits it.
pub struct Story {
    pub alice: SpendingKey,
    pub bob: SpendingKey,
    /// The note Alice sent Bob, at [`Story::BOB_NOTE`], which only Bob can spend.
    pub bob_note: Note,
    pub shield: Spend,
    pub transfer: Spend,
    pub unshield: Spend,
    /// The tree after each spend, as the pool should hold it.
    pub trees: [NoteTree; 3],
}

impl Story {
    pub const BOB_NOTE: u64 = 2;
    pub const SHIELD_NOTES: [&[u8]; 2] = [&[0xa1; 120], b""];
    pub const TRANSFER_NOTES: [&[u8]; 2] = [&[0xb0; 256], &[0xa2; 64]];
    pub const UNSHIELD_NOTES: [&[u8]; 2] = [b"", b""];
    pub const RELAYER: usize = 2;
    pub const UNSHIELDER: usize = 3;
}

/// The external data binding a spend to dev signer `submitter` and to `notes`.
pub fn bound_to(submitter: usize, notes: [&[u8]; 2]) -> Fr {
    external_data_hash(&signers()[submitter].address().0.0, notes)
}

pub fn story() -> &'static Story {
    static STORY: OnceLock<Story> = OnceLock::new();
    STORY.get_or_init(|| {
        let keys = dev_keys();
        let mut rng = ChaCha20Rng::from_seed([6; 32]);
        let alice = SpendingKey::random(&mut rng);
        let bob = SpendingKey::random(&mut rng);
        let dummy = |sk: SpendingKey, rng: &mut ChaCha20Rng| {
            use ark_ff::UniformRand;
            SpendInput::dummy(sk, Fr::rand(rng), Fr::rand(rng))
        };
        let mut tree = NoteTree::new();

        let alice_note = Note::new(1_000, alice.owner(), &mut rng);
        let shield = SpendCircuit::new(
            tree.root(),
            [dummy(alice, &mut rng), dummy(alice, &mut rng)],
            [alice_note, Note::new(0, alice.owner(), &mut rng)],
            1_000,
            0,
            0,
            Fr::from(0u64),
            DEV_CHAIN_ID,
            bound_to(0, Story::SHIELD_NOTES),
        )
        .unwrap();
        append(&mut tree, &shield);
        let after_shield = tree.clone();

        let bob_note = Note::new(700, bob.owner(), &mut rng);
        let transfer = SpendCircuit::new(
            tree.root(),
            [
                SpendInput {
                    sk: alice,
                    note: alice_note,
                    path: tree.path(0).unwrap(),
                },
                dummy(alice, &mut rng),
            ],
            [bob_note, Note::new(290, alice.owner(), &mut rng)],
            0,
            0,
            10,
            Fr::from(0u64),
            DEV_CHAIN_ID,
            bound_to(Story::RELAYER, Story::TRANSFER_NOTES),
        )
        .unwrap();
        append(&mut tree, &transfer);
        let after_transfer = tree.clone();

        let unshield = SpendCircuit::new(
            tree.root(),
            [
                SpendInput {
                    sk: bob,
                    note: bob_note,
                    path: tree.path(Story::BOB_NOTE).unwrap(),
                },
                dummy(bob, &mut rng),
            ],
            [
                Note::new(0, bob.owner(), &mut rng),
                Note::new(0, bob.owner(), &mut rng),
            ],
            0,
            695,
            5,
            recipient_field(&CAROL.0.0),
            DEV_CHAIN_ID,
            bound_to(Story::UNSHIELDER, Story::UNSHIELD_NOTES),
        )
        .unwrap();
        append(&mut tree, &unshield);

        let mut prove =
            |circuit: SpendCircuit, recipient: Address, notes: [&[u8]; 2], submitter| Spend {
                public: circuit.public.clone(),
                proof: Bytes::copy_from_slice(&keys.prove(circuit, &mut rng).unwrap().to_bytes()),
                notes: notes.map(Bytes::copy_from_slice),
                recipient,
                submitter,
            };
        Story {
            alice,
            bob,
            bob_note,
            shield: prove(shield, Address::ZERO, Story::SHIELD_NOTES, 0),
            transfer: prove(
                transfer,
                Address::ZERO,
                Story::TRANSFER_NOTES,
                Story::RELAYER,
            ),
            unshield: prove(unshield, CAROL, Story::UNSHIELD_NOTES, Story::UNSHIELDER),
            trees: [after_shield, after_transfer, tree],
        }
    })
}

fn append(tree: &mut NoteTree, circuit: &SpendCircuit) {
    for commitment in circuit.public.commitments {
        tree.append(commitment).unwrap();
    }
}

/// A signed pool transaction from dev signer `signer` at `nonce`.
pub fn pool_tx(signer: usize, nonce: u64, call: &Transact, value: U256) -> Bytes {
    let mut tx = Transfer::new(DEV_CHAIN_ID, nonce, SHIELDED_POOL, value).gas_limit(POOL_GAS);
    tx.input = call.abi_encode().into();
    tx.sign(&signers()[signer])
}

/// The JSON of a call to the pool from dev signer `signer`.
pub fn pool_call(signer: usize, data: &[u8], value: U256) -> Value {
    call_json(SHIELDED_POOL, signer, data, value)
}

/// Runtime code that forwards its call data to the pool with `opcode` and returns or
/// reverts with the answer: STATICCALL (0xfa) and DELEGATECALL (0xf4) take the same
/// arguments; CALL (0xf1) also takes a value, zero here.
pub fn forwarder(opcode: u8) -> String {
    let (value, jumpdest) = if opcode == 0xf1 {
        ("6000", 0x21)
    } else {
        ("", 0x1f)
    };
    format!(
        "366000600037\
         6000600036{value}6000617a6b5a{opcode:02x}\
         3d600060003e\
         60{jumpdest:02x}57\
         3d6000fd\
         5b3d6000f3"
    )
}

/// A signed creation of `runtime` (hex) from dev signer `signer` at `nonce`.
pub fn deploy(signer: usize, nonce: u64, runtime: &str) -> Bytes {
    let len = runtime.len() / 2;
    let init = format!("60{len:02x}600c60003960{len:02x}6000f3{runtime}");
    let init = alloy_primitives::hex::decode(init).unwrap();
    Transfer::deploy(DEV_CHAIN_ID, nonce, init.into()).sign(&signers()[signer])
}

/// The address a receipt says a contract was created at.
pub fn created(receipt: &Value) -> Address {
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    serde_json::from_value(receipt["contractAddress"].clone()).unwrap()
}

/// Calls a view of the pool and decodes its result.
pub async fn view<C: SolCall>(node: &TestNode, call: C) -> C::Return {
    view_of(node, SHIELDED_POOL, call).await
}

pub async fn balance(node: &TestNode, address: Address) -> U256 {
    let value = node.ok("eth_getBalance", vec![json!(address)]).await;
    serde_json::from_value(value).unwrap()
}

/// What a mined transaction paid for gas, in wei.
pub fn gas_cost(receipt: &Value) -> U256 {
    let used: U256 = serde_json::from_value(receipt["gasUsed"].clone()).unwrap();
    let price: U256 = serde_json::from_value(receipt["effectiveGasPrice"].clone()).unwrap();
    used * price
}

/// A fresh node where `spends` are already mined, one block each, each sent by its
/// submitter.
pub async fn node_after(spends: &[&Spend]) -> TestNode {
    let node = TestNode::start().await;
    for (index, spend) in spends.iter().enumerate() {
        let nonce = spends[..index]
            .iter()
            .filter(|earlier| earlier.submitter == spend.submitter)
            .count() as u64;
        let tx = pool_tx(spend.submitter, nonce, &spend.call(), spend.value());
        let receipts = mine(&node, vec![tx]).await;
        assert_eq!(receipts[0]["status"], "0x1", "setup spend {index} failed");
    }
    node
}

/// The root of the pool's view functions for a tree.
pub fn root_of(tree: &NoteTree) -> B256 {
    B256::from(field_to_bytes(tree.root()))
}

/// The reason a call to the pool reverts with through `method`, checking the error's shape.
pub async fn revert_reason(node: &TestNode, method: &str, call: Value) -> String {
    revert_reason_of(node, method, call, "shielded pool").await
}

/// The decoded events of a receipt's pool logs, in order.
pub fn pool_events(receipt: &Value) -> Vec<IShieldedPool::IShieldedPoolEvents> {
    events_of(receipt, SHIELDED_POOL)
}
