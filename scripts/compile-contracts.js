// Compiles every contract in a folder with solc-js and writes one artifact per contract:
// {contractName, abi, bytecode, deployedBytecode, compiler}. Called by scripts/compile-contracts.
// Usage: node compile-contracts.js SOLC_MODULE_DIR SOURCES_DIR OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');

const [solcDir, srcDir, outDir] = process.argv.slice(2);
const solc = require(path.resolve(solcDir));

// Fixed settings: the artifacts must be byte-identical on every machine. Prague is the newest
// hardfork both anvil 1.7 (its default) and the embedded revm devnet run.
const settings = {
  optimizer: { enabled: true, runs: 1000 },
  viaIR: true,
  evmVersion: 'prague',
  metadata: { bytecodeHash: 'none' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

const sources = {};
for (const file of fs.readdirSync(srcDir).filter((f) => f.endsWith('.sol')).sort()) {
  sources[file] = { content: fs.readFileSync(path.join(srcDir, file), 'utf8') };
}
const output = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources, settings })));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

fs.mkdirSync(outDir, { recursive: true });
for (const file of Object.keys(output.contracts).sort()) {
  for (const [name, c] of Object.entries(output.contracts[file])) {
    if (c.evm.bytecode.object.length === 0) continue; // interfaces
    const artifact = {
      contractName: name,
      sourceName: file,
      compiler: { version: solc.version(), settings: { optimizer: settings.optimizer, viaIR: settings.viaIR, evmVersion: settings.evmVersion } },
      abi: c.abi,
      bytecode: '0x' + c.evm.bytecode.object,
      deployedBytecode: '0x' + c.evm.deployedBytecode.object,
    };
    fs.writeFileSync(path.join(outDir, name + '.json'), JSON.stringify(artifact, null, 2) + '\n');
  }
}
