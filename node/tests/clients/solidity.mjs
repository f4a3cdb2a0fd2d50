// Solidity through a real client: solc-js compiles the ERC-20 and the revert cases, ethers
// v6 deploys them to a running node, transfers, and reads the Transfer events through a
// polling filter (eth_newFilter / eth_getFilterChanges, by hand and by ethers' own
// listener) and through a WebSocket `logs` subscription. Then every kind of revert comes
// back from eth_call and eth_estimateGas as error code 3 with data ethers decodes.
// Usage: node solidity.mjs RPC_URL
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ethers } from "ethers";
import { compile } from "./solc.mjs";

const [url] = process.argv.slice(2);
const wsUrl = url.replace(/^http/, "ws");
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const contracts = compile(["Token.sol", "Reverts.sol"].map((f) => path.join(root, "contracts/solidity", f)));
console.log(`compiled with solc-js: ${Object.keys(contracts).sort().join(", ")}`);

// Providers that note each JSON-RPC method once its answer arrived, so the script can tell
// that a filter or subscription is installed before it makes the events.
function recording(Base) {
  return class extends Base {
    answered = [];
    async _send(payload) {
      const result = await super._send(payload);
      for (const request of [payload].flat()) this.answered.push(request.method);
      return result;
    }
  };
}
const provider = new (recording(ethers.JsonRpcProvider))(url, undefined, {
  staticNetwork: true,
  cacheTimeout: -1,
  pollingInterval: 50,
});
const ws = new (recording(ethers.WebSocketProvider))(wsUrl);

/// Waits, within `tries` looks 50 ms apart (30 s by default), until `done()` holds.
async function until(what, done, tries = 600) {
  for (let i = 0; i < tries; i++) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const keys = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];
const [owner, alice, bob] = keys.map((key) => new ethers.Wallet(key, provider));

// --- The ERC-20: deploy, transfer, and read Transfer events three ways ---------------------

const { abi, bytecode } = contracts.Token;
const supply = ethers.parseUnits("1000000", 18);
const deployed = await new ethers.ContractFactory(abi, bytecode, owner).deploy("Solid", "SOL", supply);
await deployed.waitForDeployment();
const tokenAddress = await deployed.getAddress();
const token = (runner) => new ethers.Contract(tokenAddress, abi, runner);
assert.equal(await token(provider).balanceOf(owner.address), supply);
console.log(`deployed Token at ${tokenAddress}`);

const transferTopic = token(provider).interface.getEvent("Transfer").topicHash;
const rawFilter = await provider.send("eth_newFilter", [{ address: tokenAddress, topics: [transferTopic] }]);
const historyFilter = await provider.send("eth_newFilter", [{ fromBlock: "0x0", address: [tokenAddress] }]);

const polled = [];
token(provider).on("Transfer", (from, to, value, event) => polled.push({ from, to, value, log: event.log }));
const streamed = [];
token(ws).on("Transfer", (from, to, value, event) => streamed.push({ from, to, value, log: event.log }));
await until("the WebSocket logs subscription", () => ws.answered.includes("eth_subscribe"));
// The two filters above and the listener's own: ethers made a third eth_newFilter call.
await until("ethers' polling filter", () => provider.answered.filter((m) => m === "eth_newFilter").length >= 3);

const sends = [
  [owner, alice.address, 100n],
  [owner, bob.address, 50n],
  [alice, bob.address, 10n],
];
const receipts = [];
for (const [from, to, value] of sends) {
  const tx = await token(from).transfer(to, value);
  receipts.push(await tx.wait());
}
const expected = sends.map(([from, to, value], i) => ({
  from: from.address,
  to,
  value,
  transactionHash: receipts[i].hash,
  blockNumber: receipts[i].blockNumber,
  index: receipts[i].logs[0].index,
}));

function check(label, events) {
  assert.equal(events.length, expected.length, `${label}: ${events.length} events`);
  events.forEach((event, i) => {
    const want = expected[i];
    assert.equal(event.from, want.from, `${label} #${i} from`);
    assert.equal(event.to, want.to, `${label} #${i} to`);
    assert.equal(event.value, want.value, `${label} #${i} value`);
    assert.equal(event.log.transactionHash, want.transactionHash, `${label} #${i} tx`);
    assert.equal(event.log.blockNumber, want.blockNumber, `${label} #${i} block`);
    assert.equal(event.log.index, want.index, `${label} #${i} logIndex`);
    assert.equal(event.log.removed, false, `${label} #${i} removed`);
  });
  console.log(`${label}: ${events.length} Transfer events`);
}

// By hand: the filter's changes are exactly the three transfers, once.
const iface = token(provider).interface;
const decode = (log) => {
  const parsed = iface.parseLog(log);
  const [from, to, value] = parsed.args;
  return {
    from,
    to,
    value,
    log: {
      transactionHash: log.transactionHash,
      blockNumber: Number(log.blockNumber),
      index: Number(log.logIndex),
      removed: log.removed,
    },
  };
};
const changes = await provider.send("eth_getFilterChanges", [rawFilter]);
check("eth_getFilterChanges", changes.map(decode));
assert.deepEqual(await provider.send("eth_getFilterChanges", [rawFilter]), [], "reported once");
const history = await provider.send("eth_getFilterLogs", [historyFilter]);
assert.equal(history.length, 4, "the mint and three transfers");
assert.equal(decode(history[0]).from, ethers.ZeroAddress, "the constructor's mint comes first");

// ethers' filter listener calls eth_getFilterChanges when it sees a new block, and re-arms
// only after a call returns: a block mined while a call is in flight is not seen again. With
// --instant no block follows the last transfer, so on a loaded machine the listener can miss
// it for good; a plain value transfer (no Transfer event) makes one more block while waiting.
for (let round = 0; polled.length < expected.length; round++) {
  if (round === 20) throw new Error("timed out waiting for ethers' filter listener");
  try {
    await until("ethers' filter listener", () => polled.length >= expected.length, 40);
  } catch {
    await (await owner.sendTransaction({ to: owner.address, value: 0n })).wait();
  }
}
check("polling filter (ethers)", polled);
assert.ok(provider.answered.includes("eth_getFilterChanges"), "ethers polled eth_getFilterChanges");
await until("the WebSocket notifications", () => streamed.length >= expected.length);
check("websocket logs subscription", streamed);

await token(provider).off("Transfer");
await token(ws).off("Transfer");
assert.equal(await provider.send("eth_uninstallFilter", [rawFilter]), true);
assert.equal(await provider.send("eth_uninstallFilter", [rawFilter]), false);
await assert.rejects(provider.send("eth_getFilterChanges", [rawFilter]), /filter not found/);

// --- Reverts: code 3 with data, decoded by ethers --------------------------------------------

const R = contracts.Reverts;
const revertsDeployed = await new ethers.ContractFactory(R.abi, R.bytecode, owner).deploy();
await revertsDeployed.waitForDeployment();
const reverts = new ethers.Contract(await revertsDeployed.getAddress(), R.abi, owner);

/// The node's own answer, as JSON, without any client in between.
async function raw(method, params) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return (await response.json()).error;
}

const cases = [
  {
    label: "reason string",
    fn: "withReason",
    args: [1n],
    check: (e) => {
      assert.equal(e.reason, "x must exceed 10");
      assert.equal(e.revert.name, "Error");
      assert.deepEqual([...e.revert.args], ["x must exceed 10"]);
    },
  },
  {
    label: "custom error",
    fn: "withCustomError",
    args: [7n],
    check: (e, method) => {
      // ethers decodes custom errors itself for calls; for estimates the ABI does it.
      if (method === "eth_call") {
        assert.equal(e.revert.name, "Insufficient");
        assert.deepEqual([...e.revert.args], [1n, 7n]);
      }
      const parsed = reverts.interface.parseError(e.data);
      assert.equal(parsed.name, "Insufficient");
      assert.equal(parsed.args.want, 7n);
    },
  },
  {
    label: "panic (division by zero)",
    fn: "divide",
    args: [1n, 0n],
    check: (e) => {
      assert.equal(e.revert.name, "Panic");
      assert.equal(Number(e.revert.args[0]), 0x12);
    },
  },
  {
    label: "panic (assert)",
    fn: "assertZero",
    args: [1n],
    check: (e) => {
      assert.equal(e.revert.name, "Panic");
      assert.equal(Number(e.revert.args[0]), 0x01);
    },
  },
  {
    label: "empty revert",
    fn: "empty",
    args: [],
    check: (e) => {
      assert.equal(e.data, "0x");
      assert.equal(e.revert, null);
      assert.equal(e.reason, "require(false)");
    },
  },
];
for (const { label, fn, args, check: decoded } of cases) {
  const data = reverts.interface.encodeFunctionData(fn, args);
  const call = { from: owner.address, to: await reverts.getAddress(), data };
  for (const [method, params, viaEthers] of [
    ["eth_call", [call, "latest"], () => reverts[fn].staticCall(...args)],
    ["eth_estimateGas", [call], () => reverts[fn].estimateGas(...args)],
  ]) {
    const error = await raw(method, params);
    assert.equal(error?.code, 3, `${label} via ${method}: ${JSON.stringify(error)}`);
    assert.match(error.data, /^0x([0-9a-f]{2})*$/, `${label} via ${method}: hex data`);
    assert.match(error.message, /^execution reverted/, `${label} via ${method}`);
    await assert.rejects(viaEthers(), (e) => {
      assert.equal(e.code, "CALL_EXCEPTION", `${label} via ${method}: ${e.code}`);
      assert.equal(e.data, error.data, `${label} via ${method}: ethers sees the node's data`);
      decoded(e, method);
      return true;
    });
  }
  console.log(`revert ${label}: code 3, data ${label === "empty revert" ? "0x" : "decoded"}, via eth_call and eth_estimateGas`);
}

provider.destroy();
await ws.destroy();
console.log("solidity client passed");
