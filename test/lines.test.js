'use strict';
// lines/otel3/package.json is the dev tree on the OpenTelemetry JS 3.x line. It must stay in step
// with the root package.json (the 2.x line): the same packages and, outside @opentelemetry/*, the
// same versions, so that the two lines differ only in OpenTelemetry and in the few packages
// whose newest release needs a newer Node than the root tree's.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

// The repository root: this file also runs from a copy of test/ in .lines/<line>/.
function repoRoot() {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'lines', 'otel3', 'package.json'))) return dir;
  }
  throw new Error(`no lines/otel3/package.json above ${__dirname}`);
}

const readJson = (...parts) => JSON.parse(fs.readFileSync(path.join(repoRoot(), ...parts), 'utf8'));
const isOtel = (name) => name.startsWith('@opentelemetry/');

// OpenTelemetry packages of the 2.x line that have no 3.x release; the 3.x line adds none.
const ONLY_IN_OTEL2 = ['@opentelemetry/sdk-trace-base', '@opentelemetry/sdk-trace-node', '@opentelemetry/propagator-jaeger'];
const ONLY_IN_OTEL3 = [];
// Outside OpenTelemetry: packages whose newest release needs Node >= 22, which the root tree (the
// Node 20 cell) cannot take. The 3.x line runs on Node 22 and 24 only, so it takes that release.
const NEWER_ON_OTEL3 = {
  openai: { root: '6.49.0', line: '7.60.0', why: 'openai 7 declares engines node >= 22; 6.49.0 is the last release without that floor' },
  got: { root: '14.6.5', line: '16.2.0', why: 'got 15 and 16 declare engines node >= 22; 14.6.5 is the last release that runs on Node 20' },
};

describe('lines/otel3 follows the root package.json', () => {
  const root = readJson('package.json');
  const line = readJson('lines', 'otel3', 'package.json');

  it('has the same devDependencies, but for the documented OpenTelemetry differences', () => {
    const rootNames = Object.keys(root.devDependencies).filter((n) => !ONLY_IN_OTEL2.includes(n)).sort();
    const lineNames = Object.keys(line.devDependencies).filter((n) => !ONLY_IN_OTEL3.includes(n)).sort();
    assert.deepEqual(lineNames, rootNames);
  });

  it('pins every other package outside @opentelemetry/* at the root version', () => {
    for (const [name, version] of Object.entries(root.devDependencies)) {
      if (!isOtel(name) && !(name in NEWER_ON_OTEL3)) assert.equal(line.devDependencies[name], version, name);
    }
  });

  it('takes the newer release only of the packages documented as needing Node >= 22', () => {
    for (const [name, { root: rootVersion, line: lineVersion, why }] of Object.entries(NEWER_ON_OTEL3)) {
      assert.equal(root.devDependencies[name], rootVersion, `${name} in the root (${why})`);
      assert.equal(line.devDependencies[name], lineVersion, `${name} in lines/otel3 (${why})`);
    }
  });

  it('moves the OpenTelemetry packages off the 2.x line (propagator-ot-trace 0.29 serves both)', () => {
    for (const [name, version] of Object.entries(line.devDependencies)) {
      if (isOtel(name) && name !== '@opentelemetry/propagator-ot-trace') {
        assert.notEqual(version, root.devDependencies[name], `${name} is still at the root version`);
      }
    }
    assert.equal(line.devDependencies['@opentelemetry/api'], '1.10.0');
  });

  it('has the same dependencies and allowScripts as the root, so nothing resolves from the root tree', () => {
    assert.deepEqual(line.dependencies, root.dependencies);
    assert.deepEqual(line.allowScripts, root.allowScripts);
    assert.equal(line.private, true);
  });

  it('has a lockfile written from this manifest', () => {
    const lock = readJson('lines', 'otel3', 'package-lock.json');
    const top = lock.packages[''];
    assert.deepEqual(top.dependencies, line.dependencies);
    assert.deepEqual(top.devDependencies, line.devDependencies);
    assert.equal(lock.packages['node_modules/@opentelemetry/api'].version, '1.10.0');
  });
});
