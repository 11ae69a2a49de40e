'use strict';
// Every public entry point loads with require() and with import, and both give the same module
// instance (one build, so the kit's process-wide state is never duplicated).
const assert = require('node:assert/strict');
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

  it('declares types for every entry point and keeps the scope version in step with package.json', () => {
    const fs = require('node:fs');
    const path = require('node:path');
    for (const entry of Object.values(pkg.exports).filter((e) => typeof e === 'object')) {
      for (const condition of ['types', 'import', 'require']) {
        assert.ok(fs.existsSync(path.join(__dirname, '..', entry[condition])), `${entry[condition]} exists`);
      }
    }
    const { KIT_VERSION } = require('../dist/src/version.js');
    assert.equal(KIT_VERSION, pkg.version);
  });

  it('keeps @opentelemetry/api a peer and express and koa optional peers', () => {
    assert.ok(pkg.peerDependencies['@opentelemetry/api']);
    assert.equal(pkg.dependencies['@opentelemetry/api'], undefined);
    for (const name of ['express', 'koa']) {
      assert.ok(pkg.peerDependencies[name]);
      assert.equal(pkg.peerDependenciesMeta[name].optional, true);
    }
  });
});
