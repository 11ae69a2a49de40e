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

describe('an app on each OpenTelemetry JS line adds the kit', function () {
  this.timeout(300_000);
  const apps = {};

  before(async () => {
    const { registry } = await kit();
    // Independent apps: installed side by side (npm's cache is safe to share).
    await Promise.all(LINES.map(async (line) => {
      const dir = makeApp(`app-node${line.node}`, {
        dependencies: {
          '@opentelemetry/api': line.api,
          '@opentelemetry/sdk-node': line.sdkNode,
          express: '^5.0.0',
          koa: '^3.0.0',
          '@koa/router': '^15.0.0',
        },
        allowScripts: { protobufjs: false },
      }, registry);
      const ownInstall = await run('npm', ['install'], { cwd: dir, node: line.node });
      const kitInstall = await run('npm', ['install', '@motadata/otel'], { cwd: dir, node: line.node });
      copyFixtures(dir, FIXTURES);
      apps[line.node] = { dir, ownInstall, kitInstall };
    }));
  });

  for (const line of LINES) {
    describe(`Express 5 + Koa 3 on ${line.name}`, () => {
      const app = () => apps[line.node];

      it('installs its own packages first with no npm warn line (allowScripts records protobufjs)', () => {
        assertCleanInstall(app().ownInstall);
      });

      it('npm install @motadata/otel: exit 0, no ERESOLVE, peer, EBADENGINE, deprecated or other npm warn line', () => {
        assertCleanInstall(app().kitInstall);
      });

      it('npm ls --all exits 0', async () => {
        const ls = await run('npm', ['ls', '--all'], { cwd: app().dir, node: line.node });
        assert.equal(ls.code, 0, report(ls));
      });

      it('has exactly one copy of @opentelemetry/api and of @opentelemetry/core, and of the kit', () => {
        assert.deepEqual(copiesOf(app().dir, '@opentelemetry/api'), [{ dir: 'node_modules/@opentelemetry/api', version: line.api }]);
        const core = copiesOf(app().dir, '@opentelemetry/core');
        assert.equal(core.length, 1, JSON.stringify(core));
        assert.deepEqual(copiesOf(app().dir, '@motadata/otel').map((c) => c.dir), ['node_modules/@motadata/otel']);
      });

      it('its own NodeSDK gets one SERVER span per request and the latency metric from the middleware', async () => {
        const seen = await runFixture(app().dir, line.node, 'own-sdk.js', ['express', 'koa']);
        assert.deepEqual(seen.versions, { api: line.api, sdkNode: line.sdkNode });
        assertTraced(seen, ['express', 'koa']);
      });

      it('initTelemetry() with the middleware: one SERVER span per request and the latency metric', async () => {
        const seen = await runFixture(app().dir, line.node, 'init-telemetry.js', ['express', 'koa']);
        assert.deepEqual(seen.versions, { api: line.api, sdkNode: line.sdkNode });
        assertTraced(seen, ['express', 'koa']);
      });
    });
  }
});
