'use strict';
// lines/otel3/package.json is the dev tree on the OpenTelemetry JS 3.x line. It must stay in step
// with the root package.json (the 2.x line): the same packages and, outside @opentelemetry/*, the
// same versions, so that the two lines differ only in OpenTelemetry.
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

describe('lines/otel3 follows the root package.json', () => {
  const root = readJson('package.json');
  const line = readJson('lines', 'otel3', 'package.json');

  it('has the same devDependencies, but for the documented OpenTelemetry differences', () => {
    const rootNames = Object.keys(root.devDependencies).filter((n) => !ONLY_IN_OTEL2.includes(n)).sort();
    const lineNames = Object.keys(line.devDependencies).filter((n) => !ONLY_IN_OTEL3.includes(n)).sort();
    assert.deepEqual(lineNames, rootNames);
  });

  it('pins every package outside @opentelemetry/* at the root version', () => {
    for (const [name, version] of Object.entries(root.devDependencies)) {
      if (!isOtel(name)) assert.equal(line.devDependencies[name], version, name);
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
