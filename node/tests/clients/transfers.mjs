// Sends VNT between dev accounts with each Ethereum transaction type through ethers v6 and
// checks the receipts and balances. Usage: node transfers.mjs RPC_URL
import assert from "node:assert/strict";
import { ethers } from "ethers";

const url = process.argv[2];
const provider = new ethers.JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
const keys = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];
const wallets = keys.map((key) => new ethers.Wallet(key, provider));
const recipient = ethers.Wallet.createRandom().address;

const network = await provider.getNetwork();
assert.equal(network.chainId, 1337n, "dev chain id");

const feeData = await provider.getFeeData();
assert.ok(feeData.gasPrice > 0n && feeData.maxFeePerGas > 0n, "fee data");

const amount = ethers.parseEther("1.5");
const requests = [
  { type: 0, gasPrice: feeData.gasPrice },
  { type: 1, gasPrice: feeData.gasPrice, accessList: [] },
  { type: 2, maxFeePerGas: feeData.maxFeePerGas, maxPriorityFeePerGas: feeData.maxPriorityFeePerGas },
];

let expected = 0n;
for (const [i, fields] of requests.entries()) {
  const wallet = wallets[i];
  const before = await provider.getBalance(wallet.address);
  const tx = await wallet.sendTransaction({ to: recipient, value: amount, ...fields });
  assert.equal(tx.type, fields.type);
  const receipt = await tx.wait(1, 60_000);
  assert.equal(receipt.status, 1, `type ${fields.type} succeeded`);
  assert.equal(receipt.type, fields.type, "receipt type");
  assert.equal(receipt.from, wallet.address);
  assert.equal(receipt.to, recipient);
  assert.equal(receipt.gasUsed, 21000n);
  assert.equal(receipt.hash, tx.hash);
  const block = await provider.getBlock(receipt.blockNumber);
  assert.ok(block.transactions.includes(tx.hash), "block lists the transaction");
  const fetched = await provider.getTransaction(tx.hash);
  assert.equal(fetched.blockHash, receipt.blockHash);
  const after = await provider.getBalance(wallet.address);
  assert.equal(before - after, amount + receipt.gasUsed * receipt.gasPrice, "sender pays value and fee");
  expected += amount;
  assert.equal(await provider.getBalance(recipient), expected, "recipient balance");
  console.log(`type ${fields.type}: ${tx.hash} in block ${receipt.blockNumber}, fee ${receipt.fee}`);
}

const estimate = await provider.estimateGas({ from: wallets[0].address, to: recipient, value: 1n });
assert.equal(estimate, 21000n);

await assert.rejects(
  wallets[0].sendTransaction({ to: recipient, value: ethers.parseEther("999999999") }),
  (error) => error.message.includes("insufficient funds"),
);
// The same port speaks WebSocket.
const ws = new ethers.WebSocketProvider(url.replace(/^http/, "ws"));
assert.equal((await ws.getNetwork()).chainId, 1337n, "chain id over WebSocket");
assert.equal(await ws.getBalance(recipient), expected, "balance over WebSocket");
await ws.destroy();
console.log("ethers transfers passed");
