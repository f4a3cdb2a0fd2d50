//! Calls that cross frames on the ledger: a WASM contract calling and creating WASM
//! contracts with value, a callee's revert undoing its value and logs, an EVM contract
//! calling a WASM contract, and a WASM contract calling EVM code and precompiles — all in
//! revm's one journal, through JSON-RPC.
//!
//! The contracts are the VM's test corpus (`vm/tests/corpus`): `proxy.wat` calls or creates
//! as its input says and returns the status byte and the callee's result; `vault.wat`
//! stores and logs its input, returns the value it was sent, and reverts on `0xff`.

use crate::support::TestNode;
use alloy_primitives::{Address, B256, Bytes, U256, hex};
use serde_json::{Value, json};
use vnt_chain::config::DEV_CHAIN_ID;
use vnt_chain::testing::{Transfer, signers};

fn corpus(name: &str) -> Vec<u8> {
    let path = format!("{}/../vm/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    wat::parse_file(path).unwrap()
}

/// The proxy's input: what to do with `target`, with which value, then the payload.
fn proxy_input(target: Address, mode: u8, value: u64, payload: &[u8]) -> Bytes {
    let mut input = target.to_vec();
    input.push(mode);
    input.extend_from_slice(&U256::from(value).to_be_bytes::<32>());
    input.extend_from_slice(&0u64.to_le_bytes());
    input.extend_from_slice(payload);
    input.into()
}

/// Init code that deploys `runtime` as an EVM contract's code.
fn evm_init_code(runtime: &[u8]) -> Bytes {
    let len = u8::try_from(runtime.len()).expect("test contracts are short");
    // codecopy(0, 12, len); return(0, len), then the runtime itself at offset 12.
    [
        &hex!("60")[..],
        &[len],
        &hex!("600c600039 60"),
        &[len],
        &hex!("6000f3"),
        runtime,
    ]
    .concat()
    .into()
}

fn padded(byte: u8) -> [u8; 32] {
    let mut word = [0; 32];
    word[0] = byte;
    word
}

struct Sender<'a> {
    node: &'a TestNode,
    nonce: u64,
}

impl Sender<'_> {
    async fn send(&mut self, to: Option<Address>, value: u64, input: Bytes) -> Value {
        let tx = match to {
            Some(to) => Transfer::new(DEV_CHAIN_ID, self.nonce, to, U256::from(value)),
            None => Transfer {
                value: U256::from(value),
                ..Transfer::deploy(DEV_CHAIN_ID, self.nonce, Bytes::new())
            },
        };
        let tx = Transfer { input, ..tx }.gas_limit(10_000_000);
        self.nonce += 1;
        let hash = self
            .node
            .ok(
                "eth_sendRawTransaction",
                vec![json!(tx.sign(&signers()[0]))],
            )
            .await;
        self.node.seal().await;
        let receipt = self.node.ok("eth_getTransactionReceipt", vec![hash]).await;
        assert_eq!(receipt["status"], "0x1", "{receipt}");
        receipt
    }
}

async fn balance(node: &TestNode, address: Address) -> U256 {
    let value = node.ok("eth_getBalance", vec![json!(address)]).await;
    serde_json::from_value(value).unwrap()
}

async fn slot(node: &TestNode, address: Address, key: u64) -> B256 {
    let value = node
        .ok(
            "eth_getStorageAt",
            vec![json!(address), json!(format!("{key:#x}"))],
        )
        .await;
    serde_json::from_value(value).unwrap()
}

/// Deploys the proxy, funded with `proxy_value`, then `other`; returns the sender and
/// both addresses.
async fn proxy_and(
    node: &TestNode,
    proxy_value: u64,
    other: Bytes,
) -> (Sender<'_>, Address, Address) {
    let deployer = signers()[0].address();
    let mut sender = Sender { node, nonce: 0 };
    sender
        .send(None, proxy_value, corpus("proxy.wat").into())
        .await;
    sender.send(None, 0, other).await;
    (sender, deployer.create(0), deployer.create(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wasm_contracts_call_and_create_each_other_on_the_ledger() {
    let node = TestNode::start().await;
    let deployer = signers()[0].address();
    let (mut sender, proxy, vault) = proxy_and(&node, 1_000, corpus("vault.wat").into()).await;
    assert_eq!(
        balance(&node, proxy).await,
        U256::from(1_000),
        "deployed with value"
    );

    // A call with value: the vault stores, logs and sees the value.
    let receipt = sender
        .send(Some(proxy), 0, proxy_input(vault, 0, 300, &padded(7)))
        .await;
    assert_eq!(slot(&node, vault, 0).await, B256::from(padded(7)));
    assert_eq!(balance(&node, vault).await, U256::from(300));
    assert_eq!(balance(&node, proxy).await, U256::from(700));
    let logs = receipt["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(
        logs[0]["address"],
        json!(vault),
        "the callee's log, under its address"
    );
    assert_eq!(
        slot(&node, proxy, 0xaa).await,
        B256::with_last_byte(0),
        "status success"
    );

    // A reverting callee: its write, log and value are undone; the caller goes on.
    let input = proxy_input(vault, 0, 200, &padded(0xff));
    let call = json!({"from": deployer, "to": proxy, "data": input});
    let output: Bytes = serde_json::from_value(node.ok("eth_call", vec![call]).await).unwrap();
    assert_eq!(
        output.as_ref(),
        b"\x01refused",
        "status revert and the callee's reason"
    );
    let receipt = sender.send(Some(proxy), 0, input).await;
    assert_eq!(receipt["logs"], json!([]));
    assert_eq!(slot(&node, vault, 0).await, B256::from(padded(7)));
    assert_eq!(balance(&node, vault).await, U256::from(300));
    assert_eq!(slot(&node, proxy, 0xaa).await, B256::with_last_byte(1));

    // A creation from WASM: the new contract's address follows the proxy's nonce.
    let created = proxy.create(1);
    sender
        .send(
            Some(proxy),
            0,
            proxy_input(Address::ZERO, 3, 50, &corpus("vault.wat")),
        )
        .await;
    let code = node.ok("eth_getCode", vec![json!(created)]).await;
    assert_eq!(code, json!(Bytes::from(corpus("vault.wat"))));
    assert_eq!(balance(&node, created).await, U256::from(50));
    assert_eq!(slot(&node, proxy, 0xaa).await, B256::with_last_byte(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evm_contract_calls_a_wasm_contract() {
    let node = TestNode::start().await;
    let deployer = signers()[0].address();
    let mut sender = Sender {
        node: &node,
        nonce: 0,
    };
    sender.send(None, 0, corpus("vault.wat").into()).await;
    let vault = deployer.create(0);

    // mstore(0, padded(9)); ok := call(gas(), vault, 0, 0, 32, 0, 32); sstore(0, ok)
    let runtime = [
        &[0x7f][..],
        &padded(9),
        &hex!("600052 6020 6000 6020 6000 6000 73"),
        vault.as_slice(),
        &hex!("5a f1 600055 00"),
    ]
    .concat();
    sender.send(None, 0, evm_init_code(&runtime)).await;
    let caller = deployer.create(1);

    let receipt = sender.send(Some(caller), 0, Bytes::new()).await;
    assert_eq!(
        slot(&node, caller, 0).await,
        B256::with_last_byte(1),
        "the call succeeded"
    );
    assert_eq!(
        slot(&node, vault, 0).await,
        B256::from(padded(9)),
        "the vault ran"
    );
    assert_eq!(receipt["logs"][0]["address"], json!(vault));
}

/// Stores its first input word in slot 0 and returns the value it was sent; reverts with
/// `0xdead` (undoing the store) when the word's first byte is `0xff`.
const RECORDER: [u8; 37] = hex!(
    "600035 80 600055 60f81c 60ff14 601957"
    "34600052 60206000f3"
    "5b 61dead600052 60206000fd"
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wasm_contract_calls_evm_code_and_precompiles() {
    let node = TestNode::start().await;
    let deployer = signers()[0].address();
    let (mut sender, proxy, recorder) = proxy_and(&node, 1_000, evm_init_code(&RECORDER)).await;
    let output = |input: &Bytes| {
        let call = json!({"from": deployer, "to": proxy, "data": input});
        let node = &node;
        async move {
            let value = node.ok("eth_call", vec![call]).await;
            serde_json::from_value::<Bytes>(value).unwrap()
        }
    };

    // A call with value into EVM code: revm runs it, it stores and sees the value.
    let input = proxy_input(recorder, 0, 300, &padded(7));
    let expected = [&[0][..], &U256::from(300).to_be_bytes::<32>()].concat();
    assert_eq!(output(&input).await.as_ref(), expected.as_slice());
    sender.send(Some(proxy), 0, input).await;
    assert_eq!(slot(&node, recorder, 0).await, B256::from(padded(7)));
    assert_eq!(balance(&node, recorder).await, U256::from(300));
    assert_eq!(balance(&node, proxy).await, U256::from(700));

    // The EVM callee reverts: its store and the value are undone, the WASM caller goes on
    // with the revert data.
    let input = proxy_input(recorder, 0, 200, &padded(0xff));
    let expected = [&[1][..], &U256::from(0xdead).to_be_bytes::<32>()].concat();
    assert_eq!(output(&input).await.as_ref(), expected.as_slice());
    sender.send(Some(proxy), 0, input).await;
    assert_eq!(slot(&node, recorder, 0).await, B256::from(padded(7)));
    assert_eq!(balance(&node, recorder).await, U256::from(300));
    assert_eq!(slot(&node, proxy, 0xaa).await, B256::with_last_byte(1));

    // A static call into code that stores fails without a change.
    let input = proxy_input(recorder, 1, 0, &padded(8));
    assert_eq!(output(&input).await.as_ref(), &[2]);
    sender.send(Some(proxy), 0, input).await;
    assert_eq!(slot(&node, recorder, 0).await, B256::from(padded(7)));

    // A delegate call runs the EVM code on the WASM contract's own storage.
    sender
        .send(Some(proxy), 0, proxy_input(recorder, 2, 0, &padded(5)))
        .await;
    assert_eq!(slot(&node, proxy, 0).await, B256::from(padded(5)));
    assert_eq!(slot(&node, recorder, 0).await, B256::from(padded(7)));

    // Precompiles answer WASM contracts as they answer EVM code.
    let identity = Address::with_last_byte(4);
    let input = proxy_input(identity, 0, 0, b"hello");
    assert_eq!(output(&input).await.as_ref(), b"\x00hello");
    let sha256 = Address::with_last_byte(2);
    let input = proxy_input(sha256, 0, 0, b"abc");
    let digest = hex!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(output(&input).await.as_ref(), [&[0][..], &digest].concat());
}

/// Calls its caller back with its own input and returns what that call returned.
const BOUNCER: [u8; 29] = hex!(
    "366000600037"
    "600060003660006000335af1 50"
    "3d600060003e 3d6000f3"
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_back_and_forth_between_the_vms_stop_at_the_wasm_depth_limit() {
    let node = TestNode::start().await;
    let deployer = signers()[0].address();
    let (mut sender, proxy, bouncer) = proxy_and(&node, 0, evm_init_code(&BOUNCER)).await;
    // Each proxy level peels one call off the input and hands the rest to the bouncer,
    // which calls the proxy back with it: WASM, EVM, WASM, … in one transaction.
    let input = (0..24).fold(Bytes::new(), |inner, _| proxy_input(bouncer, 0, 0, &inner));
    let call = json!({"from": deployer, "to": proxy, "data": input, "gas": "0x989680"});
    let output: Bytes = serde_json::from_value(node.ok("eth_call", vec![call]).await).unwrap();
    // Every proxy prepends its call's status. A WASM frame at depth 32 or deeper may not
    // call (the VM's bound on native stack); the proxies sit at even depths 0, 2, … so the
    // seventeenth, at depth 32, is refused (status 2) and the sixteen above it succeed.
    let mut expected = vec![0u8; 16];
    expected.push(2);
    assert_eq!(output.as_ref(), expected.as_slice());
    let receipt = sender.send(Some(proxy), 0, input).await;
    assert_eq!(receipt["status"], "0x1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_callee_uses_the_gas_it_was_given_a_refused_call_none() {
    let node = TestNode::start().await;
    let deployer = signers()[0].address();
    // `INVALID`, and `revert(0, 0)`.
    let (mut sender, proxy, invalid) = proxy_and(&node, 0, evm_init_code(&hex!("fe"))).await;
    sender
        .send(None, 0, evm_init_code(&hex!("60006000fd")))
        .await;
    let reverter = deployer.create(2);
    let gas_used = |receipt: &Value| {
        u64::from_str_radix(&receipt["gasUsed"].as_str().unwrap()[2..], 16).unwrap()
    };

    // An EVM halt uses all it was given (63/64 of the 10M the transaction brought): the
    // WASM caller is charged as an EVM caller would be.
    let halted = sender
        .send(Some(proxy), 0, proxy_input(invalid, 0, 0, &[]))
        .await;
    assert_eq!(slot(&node, proxy, 0xaa).await, B256::with_last_byte(2));
    assert!(gas_used(&halted) > 9_000_000, "{halted}");

    // A revert keeps its unused gas.
    let reverted = sender
        .send(Some(proxy), 0, proxy_input(reverter, 0, 0, &[]))
        .await;
    assert_eq!(slot(&node, proxy, 0xaa).await, B256::with_last_byte(1));
    assert!(gas_used(&reverted) < 200_000, "{reverted}");

    // A call whose value the caller cannot cover is refused: a failure, not a revert, and
    // its gas comes back.
    let refused = sender
        .send(Some(proxy), 0, proxy_input(reverter, 0, 1, &[]))
        .await;
    assert_eq!(slot(&node, proxy, 0xaa).await, B256::with_last_byte(2));
    assert!(gas_used(&refused) < 200_000, "{refused}");
}
