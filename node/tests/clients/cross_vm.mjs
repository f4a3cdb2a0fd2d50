// Cross-VM calls through ethers v6 and solc-js: Solidity contracts call the Rust and the C
// ERC-20 (WebAssembly), and the Rust relay calls a Solidity contract. In each direction a
// revert on the far side undoes the near side, and a revert on the near side undoes the far.
// Usage: node cross_vm.mjs RPC_URL RUST_TOKEN.wasm C_TOKEN.wasm RELAY.wasm
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ethers } from "ethers";
import { compile } from "./solc.mjs";

const [url, rustToken, cToken, relayWasm] = process.argv.slice(2);
const provider = new ethers.JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
const owner = new ethers.Wallet("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", provider);
const alice = ethers.Wallet.createRandom().address;
const sources = fileURLToPath(new URL("../../../contracts/solidity/CrossVm.sol", import.meta.url));
const { Payer, Counter } = compile([sources]);

const tokenAbi = [
  "constructor(string name, string symbol, uint256 initialSupply)",
  "function balanceOf(address owner) view returns (uint256)",
  "function transfer(address to, uint256 amount) returns (bool)",
  "event Transfer(address indexed from, address indexed to, uint256 value)",
];
const relayAbi = [
  "function forward(address target, bytes data) payable returns (bytes)",
  "function forwarded() view returns (uint256)",
  "event Forwarded(address indexed target, bytes4 selector)",
];

async function deploy(abi, bytecode, ...args) {
  const contract = await new ethers.ContractFactory(abi, bytecode, owner).deploy(...args);
  await contract.waitForDeployment();
  return contract;
}

// Sends with the node's estimate as the limit; the estimate must cover what is used.
async function send(contract, method, args) {
  const estimate = await contract[method].estimateGas(...args);
  const receipt = await (await contract[method](...args, { gasLimit: estimate })).wait(1, 60_000);
  assert.equal(receipt.status, 1, `${method} succeeded`);
  assert.ok(receipt.gasUsed <= estimate && estimate * 10n <= receipt.gasUsed * 11n,
    `${method}: estimate ${estimate} covers and stays within 10% of ${receipt.gasUsed}`);
  return receipt;
}

// The call reverts with `reason` in eth_call and eth_estimateGas (code 3, data decoded by
// ethers), and a transaction that reaches a block anyway fails there.
async function rejectsEverywhere(contract, method, args, reason) {
  await assert.rejects(contract[method].staticCall(...args), { code: "CALL_EXCEPTION", reason });
  await assert.rejects(contract[method].estimateGas(...args), { code: "CALL_EXCEPTION", reason });
  const tx = await contract[method](...args, { gasLimit: 1_000_000n });
  await assert.rejects(tx.wait(1, 60_000), { code: "CALL_EXCEPTION" });
  assert.equal((await provider.getTransactionReceipt(tx.hash)).status, 0);
}

// Solidity calls WebAssembly.
for (const [label, wasm] of [["rust", rustToken], ["c", cToken]]) {
  const token = await deploy(tokenAbi, readFileSync(wasm), "Cross", "XVM", 1_000_000n);
  const payer = await deploy(Payer.abi, Payer.bytecode);
  await send(token, "transfer", [await payer.getAddress(), 1_000n]);

  const paid = await send(payer, "pay", [await token.getAddress(), alice, 100n, false]);
  assert.equal(await token.balanceOf(alice), 100n);
  assert.equal(await payer.holding(await token.getAddress()), 900n, "Solidity reads the WASM token");
  assert.equal(await payer.payments(), 1n);
  const transfers = paid.logs.filter((log) => log.address === token.target).map((log) => token.interface.parseLog(log));
  assert.deepEqual(transfers.map((t) => [t.args.from, t.args.to, t.args.value]), [[payer.target, alice, 100n]],
    "the WASM token's event sits in the Solidity caller's receipt");

  // The far side (WASM token) reverts: Solidity passes the reason on and its own count is undone.
  await rejectsEverywhere(payer, "pay", [token.target, alice, 5_000n, false], "ERC20: transfer amount exceeds balance");
  // The near side (Solidity) reverts after the WASM transfer succeeded: the transfer is undone.
  await rejectsEverywhere(payer, "pay", [token.target, alice, 10n, true], "Payer: failing after the transfer");
  assert.equal(await token.balanceOf(alice), 100n);
  assert.equal(await payer.holding(token.target), 900n);
  assert.equal(await payer.payments(), 1n);
  console.log(`solidity -> ${label} token: gas used ${paid.gasUsed}`);
}

// WebAssembly (Rust) calls Solidity.
const counter = await deploy(Counter.abi, Counter.bytecode);
const relay = await deploy(relayAbi, readFileSync(relayWasm));
const step = (by) => counter.interface.encodeFunctionData("step", [by]);
const answer = await relay.forward.staticCall(counter.target, step(5n));
assert.equal(ethers.AbiCoder.defaultAbiCoder().decode(["uint256"], answer)[0], 5n, "the Solidity answer comes back");
const forwarded = await send(relay, "forward", [counter.target, step(5n)]);
assert.equal(await counter.count(), 5n);
assert.equal(await relay.forwarded(), 1n);
const stepped = forwarded.logs.filter((log) => log.address === counter.target).map((log) => counter.interface.parseLog(log));
assert.equal(stepped[0].args.by, relay.target, "Solidity sees the WASM contract as msg.sender");

// The far side (Solidity) reverts: the relay passes the reason on and its count is undone.
await rejectsEverywhere(relay, "forward", [counter.target, step(0n)], "Counter: zero step");
assert.equal(await relay.forwarded(), 1n);
assert.equal(await counter.count(), 5n);
console.log(`rust -> solidity: gas used ${forwarded.gasUsed}`);
console.log("cross-vm suite passed");
