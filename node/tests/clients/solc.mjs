// Compiles Solidity sources with solc-js (the npm `solc` package: the compiler as
// WebAssembly, no binary download) for the EVM rules the chain runs (Cancun).
//
// As a module: `compile(paths)` returns { ContractName: { abi, bytecode } } for every
// contract in the given files. As a script: `node solc.mjs FILE.sol...` prints that JSON.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const solc = createRequire(import.meta.url)("solc");

export function compile(paths) {
  const sources = {};
  for (const file of paths) {
    sources[path.basename(file)] = { content: fs.readFileSync(file, "utf8") };
  }
  const input = {
    language: "Solidity",
    sources,
    settings: {
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  }
  const contracts = {};
  for (const file of Object.values(output.contracts)) {
    for (const [name, artifact] of Object.entries(file)) {
      contracts[name] = { abi: artifact.abi, bytecode: "0x" + artifact.evm.bytecode.object };
    }
  }
  return contracts;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node solc.mjs FILE.sol...");
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(compile(files)));
}
