// The ERC-20 behaviour suite: ethers v6 deploys a WebAssembly token with the standard
// ERC-20 ABI and drives it through a real node. The Rust and the C token both run it.
// Usage: node erc20.mjs RPC_URL TOKEN.wasm
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ethers } from "ethers";

const [url, wasmPath] = process.argv.slice(2);
const provider = new ethers.JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
const keys = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];
// Plain wallets ask the node for the pending nonce on every send; each send here waits for
// its receipt before the next, and sends refused at estimation must not use up a nonce.
const [owner, alice, bob] = keys.map((key) => new ethers.Wallet(key, provider));
const addresses = await Promise.all([owner, alice, bob].map((w) => w.getAddress()));
const [ownerAddress, aliceAddress, bobAddress] = addresses;

const abi = [
  "constructor(string name, string symbol, uint256 initialSupply)",
  "function name() view returns (string)",
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function totalSupply() view returns (uint256)",
  "function balanceOf(address owner) view returns (uint256)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function transfer(address to, uint256 amount) returns (bool)",
  "function approve(address spender, uint256 amount) returns (bool)",
  "function transferFrom(address from, address to, uint256 amount) returns (bool)",
  "event Transfer(address indexed from, address indexed to, uint256 value)",
  "event Approval(address indexed owner, address indexed spender, uint256 value)",
];
const wasm = readFileSync(wasmPath);
const supply = ethers.parseUnits("1000000", 18);

// Deployment: the module is the bytecode; ethers appends the constructor arguments.
const factory = new ethers.ContractFactory(abi, wasm, owner);
const deployed = await factory.deploy("Vortex Token", "VTX", supply);
await deployed.waitForDeployment();
const address = await deployed.getAddress();
const code = await provider.getCode(address);
assert.equal(code, ethers.hexlify(wasm), "the module is the contract's code, without arguments");
const token = (signer) => new ethers.Contract(address, abi, signer);
const asOwner = token(owner);

assert.equal(await asOwner.name(), "Vortex Token");
assert.equal(await asOwner.symbol(), "VTX");
assert.equal(await asOwner.decimals(), 18n);
assert.equal(await asOwner.totalSupply(), supply);
assert.equal(await asOwner.balanceOf(ownerAddress), supply);
const minted = await asOwner.queryFilter(asOwner.filters.Transfer(ethers.ZeroAddress), 0, "latest");
assert.equal(minted.length, 1, "the constructor's mint is one Transfer from zero");
assert.equal(minted[0].args.to, ownerAddress);
assert.equal(minted[0].args.value, supply);

// Gas: estimates cover the call and stay within 10% of what it uses.
async function sendChecked(contract, method, args, label) {
  const estimate = await contract[method].estimateGas(...args);
  const receipt = await (await contract[method](...args, { gasLimit: estimate })).wait(1, 60_000);
  assert.equal(receipt.status, 1, `${label} succeeded`);
  assert.ok(receipt.gasUsed <= estimate, `${label}: used ${receipt.gasUsed} <= estimate ${estimate}`);
  assert.ok(estimate * 10n <= receipt.gasUsed * 11n, `${label}: estimate ${estimate} within 10% of ${receipt.gasUsed}`);
  console.log(`${label}: gas used ${receipt.gasUsed}, estimated ${estimate}`);
  return receipt;
}

// transfer
const amount = ethers.parseUnits("250", 18);
const sent = await sendChecked(asOwner, "transfer", [aliceAddress, amount], "transfer to a new holder");
await sendChecked(asOwner, "transfer", [aliceAddress, amount], "transfer to a holder");
assert.equal(await asOwner.balanceOf(aliceAddress), 2n * amount);
assert.equal(await asOwner.balanceOf(ownerAddress), supply - 2n * amount);
const parsed = sent.logs.map((log) => asOwner.interface.parseLog(log));
assert.equal(parsed.length, 1);
assert.equal(parsed[0].name, "Transfer");
assert.deepEqual([parsed[0].args.from, parsed[0].args.to, parsed[0].args.value], [ownerAddress, aliceAddress, amount]);

// Transfer events come back from eth_getLogs, filtered by indexed topics.
const toAlice = await asOwner.queryFilter(asOwner.filters.Transfer(ownerAddress, aliceAddress), 0, "latest");
assert.equal(toAlice.length, 2, "two transfers to alice");
assert.ok(toAlice.every((e) => e.args.value === amount));
assert.equal((await asOwner.queryFilter(asOwner.filters.Transfer(null, bobAddress), 0, "latest")).length, 0);

// A failing transfer reverts with a reason the client decodes, and changes nothing.
const asBob = token(bob);
await assert.rejects(asBob.transfer(aliceAddress, 1n), (error) => {
  assert.equal(error.code, "CALL_EXCEPTION");
  assert.equal(error.reason, "ERC20: transfer amount exceeds balance");
  return true;
});
await assert.rejects(asOwner.transfer(ethers.ZeroAddress, 1n), { reason: "ERC20: transfer to the zero address" });
assert.equal(await asOwner.balanceOf(bobAddress), 0n);

// A reverting transaction that reaches a block is paid for and leaves balances alone.
const bobBefore = await provider.getBalance(bobAddress);
const failed = await asBob.transfer(aliceAddress, 1n, { gasLimit: 200_000n });
await assert.rejects(failed.wait(1, 60_000), { code: "CALL_EXCEPTION" });
const failedReceipt = await provider.getTransactionReceipt(failed.hash);
assert.equal(failedReceipt.status, 0);
assert.ok(failedReceipt.gasUsed > 21_000n && failedReceipt.gasUsed < 200_000n, "a revert returns unused gas");
assert.ok((await provider.getBalance(bobAddress)) < bobBefore, "the revert was charged");
assert.equal(await asOwner.balanceOf(aliceAddress), 2n * amount);

// Running out of gas: charged in full, nothing changes.
const starved = await token(alice).transfer(bobAddress, 1n, { gasLimit: 22_000n });
await assert.rejects(starved.wait(1, 60_000), { code: "CALL_EXCEPTION" });
assert.equal((await provider.getTransactionReceipt(starved.hash)).gasUsed, 22_000n, "out of gas uses all gas");
assert.equal(await asOwner.balanceOf(bobAddress), 0n);

// approve, allowance, transferFrom
const asAlice = token(alice);
const approved = await sendChecked(asAlice, "approve", [bobAddress, amount], "approve");
const approval = asAlice.interface.parseLog(approved.logs[0]);
assert.equal(approval.name, "Approval");
assert.deepEqual([approval.args.owner, approval.args.spender, approval.args.value], [aliceAddress, bobAddress, amount]);
assert.equal(await asAlice.allowance(aliceAddress, bobAddress), amount);
await assert.rejects(asAlice.approve(ethers.ZeroAddress, 1n), { reason: "ERC20: approve to the zero address" });

const part = ethers.parseUnits("100", 18);
const moved = await sendChecked(asBob, "transferFrom", [aliceAddress, bobAddress, part], "transferFrom");
assert.equal(moved.logs.length, 1, "transferFrom emits only Transfer");
assert.equal(await asAlice.allowance(aliceAddress, bobAddress), amount - part);
assert.equal(await asAlice.balanceOf(bobAddress), part);
assert.equal(await asAlice.balanceOf(aliceAddress), 2n * amount - part);
await assert.rejects(asBob.transferFrom(aliceAddress, bobAddress, amount), { reason: "ERC20: insufficient allowance" });

// An unlimited allowance is never spent down.
await (await asAlice.approve(bobAddress, ethers.MaxUint256)).wait(1, 60_000);
await (await asBob.transferFrom(aliceAddress, bobAddress, 1n)).wait(1, 60_000);
assert.equal(await asAlice.allowance(aliceAddress, bobAddress), ethers.MaxUint256);

// Bad calldata and an unknown function revert with readable reasons.
await assert.rejects(provider.call({ to: address, data: "0x1234" }), { reason: "invalid calldata" });
await assert.rejects(provider.call({ to: address, data: "0xdeadbeef" }), { reason: "unknown selector" });

// Solidity's storage layout: totalSupply in slot 0, balances in mapping slot 1.
const slot = (key, index) => ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [key, index]));
assert.equal(BigInt(await provider.getStorage(address, 0)), supply);
assert.equal(BigInt(await provider.getStorage(address, slot(bobAddress, 1))), part + 1n);

// The total never changes.
const holders = await Promise.all(addresses.map((a) => asOwner.balanceOf(a)));
assert.equal(holders.reduce((a, b) => a + b, 0n), supply);
console.log("erc20 suite passed");
