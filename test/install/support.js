'use strict';
// Helpers for the install tests: the kit packed once per run and served as `@motadata/otel` from
// a registry on loopback, fresh app folders under one temporary folder, commands run with a
// chosen Node first on PATH (so npm checks engines against that Node), and the tree walked for
// copies of a package.
//
//   npx mocha --config test/install/.mocharc.json                  # all of them (not in `npm test`)
//   npx mocha --no-config --timeout 300000 --exit test/install/types.install.js   # one file
//   KEEP_INSTALL_TMP=1 INSTALL_TIMINGS=1 ...                       # keep the apps, time each command
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { ensureNode } = require('../../scripts/node-binary');
const { ROUTES } = require('../fixtures/install/serve'); // the route each fixture app serves

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'install');
const KEEP = process.env.KEEP_INSTALL_TMP === '1';
const TIMINGS = process.env.INSTALL_TIMINGS === '1';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'motadata-install-'));
process.on('exit', () => {
  if (KEEP) process.stderr.write(`install tests: kept ${TMP}\n`);
  else fs.rmSync(TMP, { recursive: true, force: true });
});

/** npm as a user runs it, minus the audit, funding and update notices (network, not our output). */
const NPM_ENV = { npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

// What an outer `npm run` puts in the environment for its script, which must not reach the
// npm of an app (npm_config_local_prefix would point it back at this repository).
const FROM_OUTER_NPM = /^(npm_(lifecycle|package)_.*|npm_config_(local|global)_prefix|npm_command|npm_execpath|npm_node_execpath|npm_config_user_agent|INIT_CWD)$/;

/**
 * Runs `command args` in `cwd` with Node `node` (a major or a binary path) first on PATH.
 * Resolves to { code, output, stdout, stderr }, `output` being both streams in arrival order.
 */
function run(command, args, { cwd, node = 20, env = {}, timeout = 240_000 } = {}) {
  const bin = typeof node === 'number' ? ensureNode(node) : node;
  const fullEnv = { ...process.env, ...NPM_ENV, ...env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH}` };
  for (const key of Object.keys(fullEnv)) if (FROM_OUTER_NPM.test(key)) delete fullEnv[key];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'], timeout });
    let [output, stdout, stderr] = ['', '', ''];
    child.stdout.on('data', (chunk) => {
      output += chunk;
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = `${path.basename(command)} ${args.join(' ')}`;
      if (TIMINGS) process.stderr.write(`      [${((Date.now() - started) / 1000).toFixed(1)}s] ${line} (in ${path.basename(cwd ?? '.')})\n`);
      resolve({ code: code ?? signal, output, stdout, stderr, command: line });
    });
  });
}

/** The command, its exit code and everything it printed: the message of a failed assertion. */
const report = (result) => `$ ${result.command} (exit ${result.code})\n${result.output}`;

/** Lines npm printed at warn level. */
const npmWarnLines = (output) => output.split('\n').filter((line) => /^npm warn/i.test(line));

/** A new, empty folder under the run's temporary folder. */
function tempDir(name) {
  return fs.mkdtempSync(path.join(TMP, `${name}-`));
}

/**
 * A fresh app folder with this package.json, and an .npmrc that takes `@motadata/*` from the
 * loopback registry (everything else comes from the usual registry).
 */
function makeApp(name, pkg, registry) {
  const dir = tempDir(name);
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name, version: '1.0.0', private: true, ...pkg }, null, 2)}\n`);
  if (registry) fs.writeFileSync(path.join(dir, '.npmrc'), `@motadata:registry=${registry}\n`);
  return dir;
}

/** Copies fixture files (relative to test/fixtures/install/) into an app. */
function copyFixtures(dir, files) {
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(FIXTURES, file), path.join(dir, file));
  }
}

/** Every installed copy of package `name` under dir/node_modules (nested ones too): [{ dir, version }]. */
function copiesOf(dir, name) {
  const found = [];
  const visit = (modules) => {
    if (!fs.existsSync(modules)) return;
    for (const entry of fs.readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const dirs = entry.startsWith('@') ? fs.readdirSync(path.join(modules, entry)).map((e) => path.join(modules, entry, e)) : [path.join(modules, entry)];
      for (const pkgDir of dirs) {
        const manifest = path.join(pkgDir, 'package.json');
        if (!fs.existsSync(manifest)) continue;
        const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
        if (pkg.name === name) found.push({ dir: path.relative(dir, pkgDir), version: pkg.version });
        visit(path.join(pkgDir, 'node_modules'));
      }
    }
  };
  visit(path.join(dir, 'node_modules'));
  return found;
}

/**
 * Serves one tarball as a registry would (its packument and `/-/` tarball URL), on loopback.
 * An app whose .npmrc points `@motadata` here installs `@motadata/otel` exactly as from the
 * public registry: a registry dependency, not a file one.
 */
function serveTarball(tarball, pkg) {
  const bytes = fs.readFileSync(tarball);
  const file = `${pkg.name}/-/${pkg.name.split('/').pop()}-${pkg.version}.tgz`;
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`;
    const url = decodeURIComponent(req.url);
    if (url === `/${pkg.name}`) {
      const dist = {
        tarball: `${base}/${file}`,
        shasum: crypto.createHash('sha1').update(bytes).digest('hex'),
        integrity: `sha512-${crypto.createHash('sha512').update(bytes).digest('base64')}`,
      };
      const version = { ...pkg, _id: `${pkg.name}@${pkg.version}`, dist };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name: pkg.name, 'dist-tags': { latest: pkg.version }, versions: { [pkg.version]: version } }));
    } else if (url === `/${file}`) {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(bytes);
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve(`http://127.0.0.1:${server.address().port}/`);
    });
  });
}

let packed;
/**
 * The kit, built and packed once per run (`npm pack` runs the `prepare` script, which builds):
 * { tarball, dir (unpacked), pkg, registry }.
 */
function kit() {
  packed ??= (async () => {
    const dest = tempDir('pack');
    const result = await run('npm', ['pack', '--pack-destination', dest], { cwd: ROOT });
    const tarballs = fs.readdirSync(dest).filter((f) => f.endsWith('.tgz'));
    if (result.code !== 0 || tarballs.length !== 1) throw new Error(`npm pack failed\n${report(result)}`);
    const tarball = path.join(dest, tarballs[0]);
    const unpacked = tempDir('unpacked');
    const untar = await run('tar', ['xzf', tarball, '-C', unpacked]);
    if (untar.code !== 0) throw new Error(report(untar));
    const dir = path.join(unpacked, 'package');
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    return { tarball, dir, pkg, registry: await serveTarball(tarball, pkg) };
  })();
  return packed;
}

/** Runs a fixture script in an app with Node `node`: the JSON it printed, and its stderr. */
async function runFixture(dir, node, script, args = []) {
  const result = await run(ensureNode(node), [script, ...args], { cwd: dir, node });
  if (result.code !== 0) throw new Error(`fixture failed\n${report(result)}`);
  return { ...JSON.parse(result.stdout), stderr: result.stderr };
}

/** The one line the README gives a new app to install the kit and what it needs. */
const README_INSTALL_LINE = 'npm install @motadata/otel @opentelemetry/api @opentelemetry/sdk-node express';

/**
 * What a fixture saw (own-sdk.js or init-telemetry.js): one SERVER span per request, named by
 * route, with the tenant, the caller's trace id and span as parent; the latency metric with the
 * route and tenant; nothing on stderr.
 */
function assertTraced(seen, frameworks) {
  const why = JSON.stringify(seen, null, 2);
  assert.equal(seen.stderr, '', `the app printed on stderr\n${why}`);
  for (const name of frameworks) assert.deepEqual(seen.bodies[name], { status: 200, tenant: 'acme', traceId: seen.caller.traceId }, why);
  const servers = seen.spans.filter((span) => span.kind === 1);
  assert.deepEqual(servers.map((span) => span.name).sort(), frameworks.map((name) => `GET ${ROUTES[name]}`).sort(), why);
  for (const span of servers) {
    assert.equal(span.attributes['tenant.id'], 'acme', why);
    assert.equal(span.traceId, seen.caller.traceId, why);
    assert.equal(span.parentSpanId, seen.caller.spanId, why);
  }
  for (const name of frameworks) {
    const point = seen.durationPoints.find((p) => p.attributes['http.route'] === ROUTES[name]);
    assert.ok(point, `no http.server.request.duration point with http.route ${ROUTES[name]}\n${why}`);
    assert.equal(point.attributes['tenant.id'], 'acme', why);
  }
}

/** npm exited 0 and printed no ERESOLVE, peer, EBADENGINE, deprecated or other warn line. */
function assertCleanInstall(result) {
  const why = report(result);
  assert.equal(result.code, 0, why);
  for (const bad of [/ERESOLVE/, /\bpeer\b/i, /EBADENGINE/, /deprecated/i]) assert.doesNotMatch(result.output, bad, why);
  assert.deepEqual(npmWarnLines(result.output), [], why);
}

module.exports = {
  README_INSTALL_LINE,
  ROOT,
  run,
  report,
  npmWarnLines,
  tempDir,
  makeApp,
  copyFixtures,
  copiesOf,
  kit,
  runFixture,
  assertTraced,
  assertCleanInstall,
};
