'use strict';
// An existing app on each OpenTelemetry JS line adds the kit: `npm install @motadata/otel` (the
// packed kit, served from a registry on loopback) is clean, leaves one copy of the API and of
// core, and both ways of using the kit trace and measure: the app's own NodeSDK with the
// middleware only, and initTelemetry().
const assert = require('node:assert/strict');
const { assertCleanInstall, assertTraced, copiesOf, copyFixtures, kit, makeApp, report, run, runFixture } = require('./support');

const LINES = [
  { name: 'the 3.x line on Node 24', node: 24, api: '1.10.0', sdkNode: '0.301.2' },
  { name: 'the 2.x line on Node 20', node: 20, api: '1.9.0', sdkNode: '0.223.0' },
];
const FIXTURES = ['serve.js', 'own-sdk.js', 'init-telemetry.js'];

for (const line of LINES) {
  describe(`an Express 5 + Koa 3 app on ${line.name} that adds the kit`, function () {
    this.timeout(300_000);
    let app;
    let ownInstall;
    let kitInstall;

    before(async () => {
      const { registry } = await kit();
      app = makeApp(`app-node${line.node}`, {
        dependencies: {
          '@opentelemetry/api': line.api,
          '@opentelemetry/sdk-node': line.sdkNode,
          express: '^5.0.0',
          koa: '^3.0.0',
          '@koa/router': '^15.0.0',
        },
        allowScripts: { protobufjs: false },
      }, registry);
      ownInstall = await run('npm', ['install'], { cwd: app, node: line.node });
      kitInstall = await run('npm', ['install', '@motadata/otel'], { cwd: app, node: line.node });
      copyFixtures(app, FIXTURES);
    });

    it('installs its own packages first with no npm warn line (allowScripts records protobufjs)', () => {
      assertCleanInstall(ownInstall);
    });

    it('npm install @motadata/otel: exit 0, no ERESOLVE, peer, EBADENGINE, deprecated or other npm warn line', () => {
      assertCleanInstall(kitInstall);
    });

    it('npm ls --all exits 0', async () => {
      const ls = await run('npm', ['ls', '--all'], { cwd: app, node: line.node });
      assert.equal(ls.code, 0, report(ls));
    });

    it('has exactly one copy of @opentelemetry/api and of @opentelemetry/core, the app\'s', () => {
      assert.deepEqual(copiesOf(app, '@opentelemetry/api'), [{ dir: 'node_modules/@opentelemetry/api', version: line.api }]);
      const core = copiesOf(app, '@opentelemetry/core');
      assert.equal(core.length, 1, JSON.stringify(core));
      assert.deepEqual(copiesOf(app, '@motadata/otel').map((c) => c.dir), ['node_modules/@motadata/otel']);
    });

    it('its own NodeSDK gets one SERVER span per request and the latency metric from the middleware', async () => {
      const seen = await runFixture(app, line.node, 'own-sdk.js', ['express', 'koa']);
      assert.deepEqual(seen.versions, { api: line.api, sdkNode: line.sdkNode });
      assertTraced(seen, ['express', 'koa']);
    });

    it('initTelemetry() with the middleware: one SERVER span per request and the latency metric', async () => {
      const seen = await runFixture(app, line.node, 'init-telemetry.js', ['express', 'koa']);
      assert.deepEqual(seen.versions, { api: line.api, sdkNode: line.sdkNode });
      assertTraced(seen, ['express', 'koa']);
    });
  });
}
