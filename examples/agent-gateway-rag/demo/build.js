'use strict';
// The demo runs the services against the built package (dist/), as a user of @motadata/otel
// would. This rebuilds it when it is missing or older than its sources.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..', '..');
const OUTPUTS = ['dist/src/index.js', 'dist/middleware/express.js', 'dist/middleware/koa.js', 'dist/esm/index.mjs'];
const SOURCES = ['src', 'middleware', 'tsconfig.json', 'scripts/esm-wrappers.js'];
let building; // the running build, so stopBuild() can end it

function newestMtime(file) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  // Files only: a copy of the tree (a line workspace) gives its folders new times.
  let newest = 0;
  for (const entry of fs.readdirSync(file)) newest = Math.max(newest, newestMtime(path.join(file, entry)));
  return newest;
}

/** Why dist must be rebuilt, or undefined when it is up to date. */
function staleReason(root = ROOT) {
  let oldestOutput = Infinity;
  for (const output of OUTPUTS) {
    const mtime = newestMtime(path.join(root, output));
    if (mtime === 0) return `${output} is missing`;
    oldestOutput = Math.min(oldestOutput, mtime);
  }
  for (const source of SOURCES) if (newestMtime(path.join(root, source)) > oldestOutput) return `${source} changed since the last build`;
  return undefined;
}

/** Runs `npm run build` when needed. Rejects with the build's output if it fails. */
async function ensureBuilt(log = console.log, root = ROOT) {
  const reason = staleReason(root);
  if (reason === undefined) return false;
  log(`Building the kit (npm run build): ${reason}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawn(npm, ['run', 'build'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
  building = child;
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const code = await new Promise((resolve) => {
    child.once('error', () => resolve(-1));
    child.once('exit', (c) => resolve(c));
  });
  building = undefined;
  if (code !== 0) throw Object.assign(new Error(`npm run build failed (exit ${code})`), { output });
  return true;
}

/** Ends a build in progress (on Ctrl-C or a failure of the demo). */
function stopBuild() {
  if (building !== undefined && building.exitCode === null) building.kill('SIGTERM');
}

module.exports = { ensureBuilt, staleReason, stopBuild };
