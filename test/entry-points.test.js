'use strict';
// Every public entry point loads with require() and with import, and both give the same module
// instance (one build, so the kit's process-wide state is never duplicated).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const pkg = require('../package.json');

const ENTRIES = {
  '@motadata/otel': ['initTelemetry', 'tracedFetch', 'injectTraceHeaders', 'currentRequest', 'StrictW3CTraceContextPropagator'],
  '@motadata/otel/express': ['otelMiddleware', 'otelErrorHandler'],
  '@motadata/otel/koa': ['otelMiddleware'],
};

describe('package entry points', () => {
  for (const [specifier, names] of Object.entries(ENTRIES)) {
    it(`${specifier} loads with require() and import, as the same functions`, async () => {
      const required = require(specifier);
      const imported = await import(specifier);
      for (const name of names) {
        assert.equal(typeof required[name], 'function', `require: ${name}`);
        assert.equal(imported[name], required[name], `import: ${name} is the same function`);
      }
    });
  }

  it('declares types and code for every entry point under both conditions, and keeps the scope version in step with package.json', () => {
    for (const [subpath, entry] of Object.entries(pkg.exports)) {
      if (typeof entry !== 'object') continue;
      for (const condition of ['import', 'require']) {
        for (const file of [entry[condition].types, entry[condition].default]) {
          assert.ok(fs.existsSync(path.join(__dirname, '..', file)), `${subpath} ${condition}: ${file} exists`);
        }
      }
    }
    const { KIT_VERSION } = require('../dist/src/version.js');
    assert.equal(KIT_VERSION, pkg.version);
  });

  it('keeps @opentelemetry/api a peer, the SDK an optional peer, and express and koa optional peers', () => {
    assert.ok(pkg.peerDependencies['@opentelemetry/api']);
    for (const name of Object.keys(pkg.dependencies)) assert.doesNotMatch(name, /^@opentelemetry\/(?!semantic-conventions$)/, `${name} is no dependency`);
    for (const name of ['express', 'koa', '@opentelemetry/sdk-node', '@opentelemetry/instrumentation-http']) {
      assert.ok(pkg.peerDependencies[name], name);
      assert.equal(pkg.peerDependenciesMeta[name].optional, true, name);
    }
  });
});
