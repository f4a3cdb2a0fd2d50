//! The shielded pool end to end, with the real `vnt` binary against `vnt dev`: dev keys,
//! three wallets, a shield, a private transfer and an unshield through a relayer, with every
//! public balance, the pool's balance and the wallets' balances adding up to the wei; and a
//! wallet without the key failing to spend another's note, both through the command and
//! with a proof built by hand.

use crate::support::{DevProcess, printed, rpc, vnt_fails, vnt_ok};
use alloy_primitives::{Address, B256, Bytes, hex};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use ark_std::rand::RngCore;
use serde_json::{Value, json};
use std::path::Path;
use vnt_chain::shielded::SHIELDED_POOL;
use vnt_chain::shielded::abi::IShieldedPool;
use vnt_zk::Fr;
use vnt_zk::circuit::{SpendCircuit, SpendInput, external_data_hash};
use vnt_zk::keys::SpendKeys;
use vnt_zk::note::{Note, SpendingKey};
use vnt_zk::tree::NoteTree;
use vnt_zk::verify::{field_from_bytes, field_to_bytes};
use vnt_zk::wallet::{
    IncomingViewingKey, OwnedNote, Payment, ShieldedAddress, Submission, WalletError, prover,
};

const GWEI: u128 = 1_000_000_000;
const VNT: u128 = GWEI * GWEI;

/// Runs `vnt ARGS`, which must succeed; returns (stdout, stderr).
fn vnt(args: &[&str]) -> (String, String) {
    vnt_ok(None, args)
}

fn quantity(value: &Value) -> u128 {
    u128::from_str_radix(value.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn balance(url: &str, account: Address) -> u128 {
    quantity(&rpc(url, "eth_getBalance", json!([account, "latest"])).unwrap())
}

/// What the transaction printed on a `Transaction:` line cost its sender in gas, in wei.
fn gas_cost(url: &str, output: &str) -> u128 {
    let hash = printed(output, "Transaction:")
        .split_whitespace()
        .next()
        .unwrap();
    let receipt = rpc(url, "eth_getTransactionReceipt", json!([hash])).unwrap();
    assert_eq!(receipt["status"], "0x1");
    quantity(&receipt["gasUsed"]) * quantity(&receipt["effectiveGasPrice"])
}

/// A wallet's shielded balance in wei, as `vnt zk balance` reports it; checks the dev-key
/// warning on the way.
fn shielded_balance(url: &str, wallet: &Path) -> u128 {
    let (out, err) = vnt(&["zk", "balance", "--wallet", path(wallet), "--rpc-url", url]);
    assert!(err.contains("UNSAFE"), "{err}");
    let units = printed(&out, "Balance:");
    let units = units.split('(').nth(1).unwrap().trim_end_matches(" units)");
    units.parse::<u128>().unwrap() * GWEI
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn hex_key(signer: &PrivateKeySigner) -> String {
    hex::encode_prefixed(signer.to_bytes())
}

fn spending_key(wallet: &Path) -> SpendingKey {
    let file: Value = serde_json::from_str(&std::fs::read_to_string(wallet).unwrap()).unwrap();
    let bytes: [u8; 32] = hex::decode(file["spendingKey"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    SpendingKey(field_from_bytes(&bytes).unwrap())
}

fn pool_call<C: SolCall>(url: &str, call: C) -> C::Return {
    let request = json!({"to": SHIELDED_POOL, "data": Bytes::from(call.abi_encode())});
    let output: Bytes =
        serde_json::from_value(rpc(url, "eth_call", json!([request, "latest"])).unwrap()).unwrap();
    C::abi_decode_returns(&output).unwrap()
}

/// Every NoteCommitted log: (position, commitment, ciphertext).
fn logged_notes(url: &str) -> Vec<(u64, Fr, Bytes)> {
    let filter = json!({
        "address": SHIELDED_POOL,
        "topics": [IShieldedPool::NoteCommitted::SIGNATURE_HASH],
        "fromBlock": "0x0",
        "toBlock": "latest",
    });
    let logs = rpc(url, "eth_getLogs", json!([filter])).unwrap();
    let mut notes: Vec<_> = logs
        .as_array()
        .unwrap()
        .iter()
        .map(|log| {
            let topics: Vec<B256> = serde_json::from_value(log["topics"].clone()).unwrap();
            let data: Bytes = serde_json::from_value(log["data"].clone()).unwrap();
            let event = IShieldedPool::NoteCommitted::decode_raw_log(topics, &data).unwrap();
            let cm = field_from_bytes(&event.commitment.0).unwrap();
            (event.position, cm, event.encryptedNote)
        })
        .collect();
    notes.sort_by_key(|n| n.0);
    notes
}

/// The revert reason a `transact` call gets from the pool, simulated with `eth_call`.
fn transact_refusal(url: &str, from: Address, call: &IShieldedPool::transactCall) -> String {
    let request =
        json!({"from": from, "to": SHIELDED_POOL, "data": Bytes::from(call.abi_encode())});
    let error = rpc(url, "eth_call", json!([request, "latest"])).expect_err("the pool refuses");
    error["message"].as_str().unwrap().to_string()
}

/// C, who holds B's note's opening (as a leaked viewing key would give it) but not B's key,
/// builds the best proof it can: the circuit ties the owner to the spending key, so C's note
/// must carry C's owner key, which is not the commitment in the pool's tree. C proves
/// membership in a tree of its own making instead, and the pool refuses the proof under
/// that root (unknown) and under the real one (it does not verify).
fn forged_spend_is_refused(
    url: &str,
    keys: &Path,
    b_wallet: &Path,
    c_wallet: &Path,
    relayer: Address,
) {
    let (b_sk, c_sk) = (spending_key(b_wallet), spending_key(c_wallet));
    let logged = logged_notes(url);
    let b_view = IncomingViewingKey::new(&b_sk);
    let (position, b_note) = logged
        .iter()
        .find_map(|(pos, cm, ct)| {
            b_view
                .decrypt_note(ct, *cm)
                .ok()
                .filter(|n| n.value > 0)
                .map(|n| (*pos, n))
        })
        .expect("B's wallet finds its note");
    let mut real_tree = NoteTree::new();
    for (_, cm, _) in &logged {
        real_tree.append(*cm).unwrap();
    }
    let mut rng = ark_std::rand::rngs::OsRng;
    // The wallet refuses outright to build a spend of B's note with C's key.
    let stolen = OwnedNote {
        note: b_note,
        position,
    };
    let to_c = Payment::Transfer {
        to: ShieldedAddress::of(&c_sk),
        amount: b_note.value,
        fee: 0,
    };
    let at = Submission {
        chain_id: 1337,
        submitter: relayer.0.0,
    };
    let refused = vnt_zk::wallet::spend(&c_sk, &real_tree, &[stolen], &to_c, &at, &mut rng);
    assert!(matches!(refused, Err(WalletError::Spend(_))), "{refused:?}");

    let forged = Note {
        owner: c_sk.owner(),
        ..b_note
    };
    let mut fake_tree = NoteTree::new();
    for (pos, cm, _) in &logged {
        let leaf = if *pos == position {
            forged.commitment()
        } else {
            *cm
        };
        fake_tree.append(leaf).unwrap();
    }
    let zero = Fr::from(0u64);
    // Bound to the relayer and these ciphertexts, so the tree is the one thing wrong.
    let ciphertexts = [Bytes::from(vec![0u8; 121]), Bytes::from(vec![0u8; 121])];
    let external_data = external_data_hash(&relayer.0.0, [&ciphertexts[0], &ciphertexts[1]]);
    let circuit = SpendCircuit::new(
        fake_tree.root(),
        [
            SpendInput {
                sk: c_sk,
                note: forged,
                path: fake_tree.path(position).unwrap(),
            },
            SpendInput::dummy(c_sk, Fr::from(7u64), Fr::from(8u64)),
        ],
        [
            Note::new(b_note.value, c_sk.owner(), &mut rng),
            Note::new(0, c_sk.owner(), &mut rng),
        ],
        0,
        0,
        0,
        zero,
        1337,
        external_data,
    )
    .unwrap();
    let public = circuit.public.clone();
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let proof = prover::prove(&SpendKeys::read(keys).unwrap(), circuit, seed).unwrap();
    let word = |x: Fr| B256::from(field_to_bytes(x));
    let mut call = IShieldedPool::transactCall {
        proof: Bytes::copy_from_slice(&proof.to_bytes()),
        root: word(public.root),
        nullifiers: public.nullifiers.map(word),
        commitments: public.commitments.map(word),
        publicIn: 0,
        publicOut: 0,
        fee: 0,
        recipient: Address::ZERO,
        encryptedNotes: ciphertexts,
    };
    assert_eq!(
        transact_refusal(url, relayer, &call),
        "execution reverted: shielded pool: unknown root"
    );
    call.root = word(real_tree.root());
    assert_eq!(
        transact_refusal(url, relayer, &call),
        "execution reverted: shielded pool: the proof does not verify against its public inputs"
    );
}

#[test]
fn shield_send_and_unshield_add_up_and_only_the_key_holder_spends() {
    let node = DevProcess::spawn(&["--tmp", "--instant"]);
    let url = node.rpc_url.as_str();
    let work = tempfile::tempdir().unwrap();
    let keys = work.path().join("keys");

    let (setup, _) = vnt(&["zk", "setup", "--dev", "--out", path(&keys)]);
    assert!(setup.contains("UNSAFE"), "{setup}");
    let pinned = pool_call(url, IShieldedPool::verifyingKeyHashCall {});
    assert_eq!(printed(&setup, "Verifying-key hash:"), pinned.to_string());

    let wallet = |name: &str| work.path().join(format!("{name}.json"));
    let (a, b, c) = (wallet("a"), wallet("b"), wallet("c"));
    let address = |w: &Path| {
        vnt(&["zk", "address", "--wallet", path(w)])
            .0
            .trim()
            .to_string()
    };
    for w in [&a, &b, &c] {
        address(w);
    }
    let b_address = address(&b);
    assert!(b_address.starts_with("vntzk1"), "{b_address}");
    assert_eq!(address(&b), b_address, "the wallet is created once");

    let signers = vnt_chain::genesis::dev_signers();
    let (funder, relayer, unshield_relayer) = (&signers[0], &signers[1], &signers[2]);
    let fresh = PrivateKeySigner::random().address();
    let accounts = [
        funder.address(),
        relayer.address(),
        unshield_relayer.address(),
        fresh,
        SHIELDED_POOL,
    ];
    let before: Vec<u128> = accounts.iter().map(|a| balance(url, *a)).collect();
    let common = |w: &Path, key: &PrivateKeySigner| {
        vec![
            "--wallet".to_string(),
            path(w).to_string(),
            "--keys".to_string(),
            path(&keys).to_string(),
            "--rpc-url".to_string(),
            url.to_string(),
            "--from-key".to_string(),
            hex_key(key),
        ]
    };
    let zk = |command: &[&str], rest: &[String]| {
        let mut args: Vec<&str> = [&["zk"][..], command].concat();
        args.extend(rest.iter().map(String::as_str));
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let call = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (out, err) = vnt(&args);
        assert!(err.contains("UNSAFE"), "dev keys are labelled: {err}");
        out
    };

    // A shields 5 VNT from the funder's public account.
    let shielded = call(zk(&["shield", "5"], &common(&a, funder)));
    let shield_gas = gas_cost(url, &shielded);
    // A pays B 2 VNT privately; the relayer submits it for a 0.01 VNT fee.
    let sent = call(zk(
        &["send", "2", "--to", &b_address, "--fee", "0.01"],
        &common(&a, relayer),
    ));
    let send_gas = gas_cost(url, &sent);

    assert_eq!(
        shielded_balance(url, &a),
        2_990_000_000 * GWEI,
        "A keeps the change"
    );
    assert_eq!(shielded_balance(url, &b), 2 * VNT, "B finds the payment");
    assert_eq!(shielded_balance(url, &c), 0, "C finds nothing");

    // C cannot spend B's note: its wallet does not even find it...
    let fresh_hex = fresh.to_string();
    let by_c = zk(&["unshield", "1", "--to", &fresh_hex], &common(&c, relayer));
    let refused = vnt_fails(&by_c.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(refused.contains("no spendable shielded notes"), "{refused}");
    // ...and a proof made with C's key for B's note is refused by the pool.
    forged_spend_is_refused(url, &keys, &b, &c, relayer.address());

    // B unshields 1.5 VNT to a fresh account; another relayer earns 0.01 VNT.
    let by_b = zk(
        &["unshield", "1.5", "--to", &fresh_hex, "--fee", "0.01"],
        &common(&b, unshield_relayer),
    );
    let unshielded = call(by_b);
    let unshield_gas = gas_cost(url, &unshielded);
    let (a_shielded, b_shielded) = (shielded_balance(url, &a), shielded_balance(url, &b));
    assert_eq!(b_shielded, 490_000_000 * GWEI);

    let after: Vec<u128> = accounts.iter().map(|a| balance(url, *a)).collect();
    let fee = VNT / 100;
    assert_eq!(
        after[0],
        before[0] - 5 * VNT - shield_gas,
        "the funder pays 5 VNT and gas"
    );
    assert_eq!(
        after[1],
        before[1] + fee - send_gas,
        "the relayer earns the fee, pays gas"
    );
    assert_eq!(after[2], before[2] + fee - unshield_gas);
    assert_eq!(
        (before[3], after[3]),
        (0, 3 * VNT / 2),
        "the fresh account gets 1.5 VNT"
    );
    assert_eq!(
        after[4] - before[4],
        5 * VNT - 2 * fee - 3 * VNT / 2,
        "the pool keeps the rest"
    );
    assert_eq!(
        after[4] - before[4],
        a_shielded + b_shielded,
        "and holds exactly the notes"
    );
}

#[test]
fn wallet_commands_refuse_keys_the_pool_does_not_pin() {
    let node = DevProcess::spawn(&["--tmp", "--instant"]);
    let work = tempfile::tempdir().unwrap();
    let keys = work.path().join("own-keys");
    let (setup, _) = vnt(&["zk", "setup", "--out", path(&keys)]);
    assert!(setup.contains("UNSAFE for real value"), "{setup}");
    let again = vnt_fails(&["zk", "setup", "--out", path(&keys)]);
    assert!(again.contains("--force"), "{again}");

    let wallet = work.path().join("w.json");
    vnt(&["zk", "address", "--wallet", path(&wallet)]);
    let funder = &vnt_chain::genesis::dev_signers()[0];
    let before = balance(&node.rpc_url, funder.address());
    let err = vnt_fails(&[
        "zk",
        "shield",
        "1",
        "--wallet",
        path(&wallet),
        "--keys",
        path(&keys),
        "--rpc-url",
        &node.rpc_url,
        "--from-key",
        &hex_key(funder),
    ]);
    assert!(
        err.contains("are not the ones this chain's pool verifies with"),
        "{err}"
    );
    assert!(err.contains("vnt zk setup --dev"), "{err}");
    assert_eq!(
        balance(&node.rpc_url, funder.address()),
        before,
        "nothing was sent"
    );
}
