'use strict';
// A place to run the suite against one OpenTelemetry line.
//   otel2: the repository root itself, with the root node_modules.
//   otel3: .lines/otel3/, a fresh copy of the built kit and its tests whose node_modules is a
//          link to lines/otel3/node_modules (installed by `npm ci` from lines/otel3's lockfile),
//          so every package, and @motadata/otel by self-reference, resolves from the 3.x tree.
//
//   node scripts/line-workspace.js otel3 [node-binary]   # prints the workspace path
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const { createRequire } = require('node:module');
const path = require('node:path');

const root = path.join(__dirname, '..');
const LINES = ['otel2', 'otel3'];
// The sources too, with their timestamps: a build in the workspace (the demo's, when dist looks
// older than its sources) must find them, and must not be triggered by the copy itself.
const COPIED = ['package.json', '.mocharc.json', 'tsconfig.json', 'README.md', 'CONTRIBUTING.md', 'LICENSE', 'docs', 'src', 'middleware', 'dist', 'test', 'examples', 'bench', 'scripts'];

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

// npm ci in lines/<line> when its node_modules is missing or older than the lockfile.
function installLine(line, nodePath) {
  const dir = path.join(root, 'lines', line);
  const lock = path.join(dir, 'package-lock.json');
  const stamp = path.join(dir, 'node_modules', '.package-lock.json'); // written by every npm install
  if (mtime(stamp) >= mtime(lock)) return;
  console.log(`lines/${line}: npm ci with Node ${execFileSync(nodePath, ['--version'], { encoding: 'utf8' }).trim()}`);
  const env = { ...process.env, PATH: `${path.dirname(nodePath)}${path.delimiter}${process.env.PATH}` };
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, env, stdio: 'inherit' });
}

// Where a package resolves from dir, and its version (read from the folder it resolves into).
function resolvePackage(dir, name) {
  const file = createRequire(path.join(dir, 'package.json')).resolve(name);
  const at = file.lastIndexOf(`${path.sep}node_modules${path.sep}`) + '/node_modules/'.length;
  const parts = file.slice(at).split(path.sep);
  const pkgDir = file.slice(0, at) + parts.slice(0, parts[0].startsWith('@') ? 2 : 1).join(path.sep);
  return { path: pkgDir, version: JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version };
}

// Every runtime package of the line's manifest must resolve into the line's own node_modules.
function checkIsolation(workspace, line) {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'lines', line, 'package.json'), 'utf8'));
  const own = path.join(root, 'lines', line, 'node_modules') + path.sep;
  const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((n) => !n.startsWith('@types/'));
  for (const name of names) {
    const found = resolvePackage(workspace, name);
    if (!found.path.startsWith(own)) throw new Error(`${name} resolves from ${found.path} in ${workspace}, not from ${own}`);
  }
  const api = resolvePackage(workspace, '@opentelemetry/api');
  if (api.version !== manifest.devDependencies['@opentelemetry/api']) {
    throw new Error(`@opentelemetry/api in ${workspace} is ${api.version}, lines/${line} pins ${manifest.devDependencies['@opentelemetry/api']}`);
  }
  return api;
}

function ensureLine(line, nodePath = process.execPath) {
  if (!LINES.includes(line)) throw new Error(`unknown line ${line} (known: ${LINES.join(', ')})`);
  if (line === 'otel2') return root;
  if (!fs.existsSync(path.join(root, 'dist'))) throw new Error('dist/ is missing: run `npm run build` first');
  installLine(line, nodePath);
  const workspace = path.join(root, '.lines', line);
  fs.rmSync(workspace, { recursive: true, force: true });
  fs.mkdirSync(workspace, { recursive: true });
  for (const entry of COPIED) {
    const from = path.join(root, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(workspace, entry), { recursive: true, preserveTimestamps: true });
  }
  fs.symlinkSync(path.join('..', '..', 'lines', line, 'node_modules'), path.join(workspace, 'node_modules'), 'dir');
  checkIsolation(workspace, line);
  return workspace;
}

module.exports = { ensureLine, resolvePackage, LINES, root };

if (require.main === module) {
  const [line, nodePath] = process.argv.slice(2);
  try {
    const workspace = ensureLine(line, nodePath ? path.resolve(nodePath) : process.execPath);
    const api = resolvePackage(workspace, '@opentelemetry/api');
    console.log(`${workspace}\n@opentelemetry/api ${api.version} from ${api.path}`);
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
