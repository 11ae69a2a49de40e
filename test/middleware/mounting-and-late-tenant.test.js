'use strict';
// Behaviour that depends on how the middleware is mounted and when the app knows the tenant:
// a tenant an auth middleware supplies after the kit, a caller's rejected baggage tenant, the
// middleware mounted twice, ignore rules with flags, and methods outside the known set.
const assert = require('node:assert/strict');
const request = require('supertest');
const { FRAMEWORKS } = require('../support/apps');
const { listen } = require('../support/servers');
const { startMemoryTelemetry, waitForServerSpans, metricTotal } = require('../support/telemetry');

/** A minimal app per framework: `otelMiddleware(options)`, then `auth`, then GET /x and app.all('/dav/:id'). */
const MINIMAL = {
  'Express 5': () => expressMinimal(require('express')),
  'Express 4': () => expressMinimal(require('express4')),
  'Koa 3': () => koaMinimal(require('koa')),
  'Koa 2': () => koaMinimal(require('koa2')),
};

function expressMinimal(express) {
  const { otelMiddleware } = require('@motadata/otel/express');
  return {
    build(options, { auth, mountTwice } = {}) {
      const app = express();
      app.use(otelMiddleware(options));
      if (auth) app.use((req, _res, next) => ((req.auth = auth), next()));
      const routes = mountTwice ? express() : app;
      if (mountTwice) routes.use(otelMiddleware(options));
      routes.get('/x/:id', (req, res) => res.json({ tenant: req.otel.tenantId ?? null, traceId: req.otel.traceId }));
      routes.all('/dav/:id', (_req, res) => res.status(207).end());
      if (mountTwice) app.use('/sub', routes);
      return app;
    },
    resolveTenant: (req) => req.auth?.org,
    prefix: (mountTwice) => (mountTwice ? '/sub' : ''),
  };
}

function koaMinimal(Koa) {
  const Router = require('@koa/router');
  const { otelMiddleware } = require('@motadata/otel/koa');
  return {
    build(options, { auth, mountTwice } = {}) {
      const app = new Koa();
      app.silent = true;
      app.use(otelMiddleware(options));
      // A second instance in the same chain, as a mounted Koa app's middleware runs.
      if (mountTwice) app.use(otelMiddleware(options));
      if (auth) app.use((ctx, next) => ((ctx.state.auth = auth), next()));
      const router = new Router();
      router.get('/x/:id', (ctx) => (ctx.body = { tenant: ctx.state.otel.tenantId ?? null, traceId: ctx.state.otel.traceId }));
      router.all('/dav/:id', (ctx) => (ctx.status = 207));
      app.use(router.routes());
      return app.callback();
    },
    resolveTenant: (ctx) => ctx.state.auth?.org,
    prefix: () => '',
  };
}

describe('otelMiddleware(): mounting, late tenants and odd requests', () => {
  for (const framework of FRAMEWORKS) {
    const minimal = MINIMAL[framework.name]();
    describe(framework.name, () => {
      // A telemetry per framework: metrics are cumulative, and a check must not pass on another
      // framework's data.
      let telemetry;
      const servers = [];
      const serve = async (app) => {
        const server = await listen(app);
        servers.push(server);
        return server.url;
      };
      before(async () => (telemetry = await startMemoryTelemetry()));
      after(async () => {
        await Promise.all(servers.map((s) => s.close()));
        await telemetry.shutdown();
      });
      beforeEach(() => telemetry.reset());

      it('asks resolveTenant again once an auth middleware after the kit has run', async () => {
        const url = await serve(minimal.build({ tenant: { resolveTenant: minimal.resolveTenant } }, { auth: { org: 'acme' } }));
        const ofAcme = (a) => a['http.route'] === '/x/:id' && a['tenant.id'] === 'acme';
        const before = await metricTotal(telemetry, 'http.server.request.duration', ofAcme);
        const res = await request(url).get('/x/1').expect(200);
        assert.equal(res.body.tenant, 'acme');
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.attributes['tenant.id'], 'acme');
        assert.equal(await metricTotal(telemetry, 'http.server.request.duration', ofAcme), before + 1);
      });

      it('takes no tenant from a resolveTenant that returns a promise, and leaves no unhandled rejection', async () => {
        const unhandled = [];
        const onUnhandled = (reason) => unhandled.push(reason);
        process.on('unhandledRejection', onUnhandled);
        try {
          const url = await serve(minimal.build({ tenant: { resolveTenant: async () => { throw new Error('lookup failed'); } } }));
          assert.equal((await request(url).get('/x/1').expect(200)).body.tenant, null);
          await new Promise((resolve) => setTimeout(resolve, 20));
        } finally {
          process.off('unhandledRejection', onUnhandled);
        }
        assert.deepEqual(unhandled, []);
      });

      it('passes on neither a caller\'s baggage tenant it rejected nor logs it, and keeps the caller\'s other entries', async () => {
        const seen = [];
        const downstream = await listen((req, res) => {
          seen.push(req.headers.baggage);
          res.setHeader('content-type', 'application/json');
          res.end('{}');
        });
        try {
          const url = await serve(framework.create());
          const res = await request(url).get(`/v1/call?to=${encodeURIComponent(downstream.url)}`).set('baggage', 'tenant.id=evil%20tenant%3B%20DROP,team=llm').expect(200);
          assert.ok(res.body.traceId);
          assert.equal(seen.length, 1);
          assert.equal(seen[0], 'team=llm');
        } finally {
          await downstream.close();
        }
      });

      /** The baggage header a downstream service receives from the app's /v1/call for `headers`. */
      async function downstreamBaggage(headers) {
        const seen = [];
        const downstream = await listen((req, res) => {
          seen.push(req.headers.baggage);
          res.setHeader('content-type', 'application/json');
          res.end('{}');
        });
        try {
          const url = await serve(framework.create());
          await request(url).get(`/v1/call?to=${encodeURIComponent(downstream.url)}`).set(headers).expect(200);
          assert.equal(seen.length, 1);
          return seen[0];
        } finally {
          await downstream.close();
        }
      }

      for (const invalid of ['a%20b', '%3Cscript%3E']) {
        it(`passes on no baggage when its only member is a tenant.id it rejected (${decodeURIComponent(invalid)})`, async () => {
          assert.equal(await downstreamBaggage({ baggage: `tenant.id=${invalid}` }), undefined);
        });
      }

      it('keeps its tenant.id downstream when the caller\'s baggage is at the W3C limits (180 entries, 8192 bytes), dropping the caller\'s surplus', async () => {
        const many = Array.from({ length: 180 }, (_, i) => `k${i}=v`).join(',');
        const big = Array.from({ length: 40 }, (_, i) => `big${i}=${'x'.repeat(200)}`).join(',');
        for (const baggage of [many, big]) {
          const sent = await downstreamBaggage({ baggage, 'x-tenant-id': 'acme' });
          const entries = sent.split(',');
          assert.equal(entries[0], 'tenant.id=acme');
          assert.ok(entries.length <= 180 && sent.length <= 8192, `${entries.length} entries, ${sent.length} bytes`);
        }
      });

      it('opens one SERVER span when the middleware is mounted twice (an app and its sub-app)', async () => {
        const url = await serve(minimal.build(undefined, { mountTwice: true }));
        // Metrics add up over the suite: count this request's share.
        const counted = () => metricTotal(telemetry, 'http.server.request.duration', (a) => String(a['http.route']).endsWith('/x/:id'));
        const before = await counted();
        await request(url).get(`${minimal.prefix(true)}/x/1`).expect(200);
        await new Promise((resolve) => setTimeout(resolve, 30));
        const spans = await waitForServerSpans(telemetry);
        assert.equal(spans.length, 1);
        assert.equal((await counted()) - before, 1, 'the request is counted once');
      });

      it('applies a global or sticky ignore RegExp to every request, not every other one', async () => {
        const url = await serve(minimal.build({ ignore: [/^\/x\//g] }));
        for (let i = 0; i < 4; i++) await request(url).get(`/x/${i}`).expect(200);
        await new Promise((resolve) => setTimeout(resolve, 30));
        assert.equal(telemetry.getFinishedSpans().length, 0);
      });

      it('names a request with a method outside the known set "HTTP <route>"', async () => {
        const url = await serve(minimal.build());
        await request(url).propfind('/dav/1').expect(207);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.name, 'HTTP /dav/:id');
        assert.equal(span.attributes['http.request.method'], '_OTHER');
        assert.equal(span.attributes['http.request.method_original'], 'PROPFIND');
      });
    });
  }
});

describe('span names', () => {
  it('caches at most 2000 per method, so templates built from request input cannot grow memory', () => {
    const { Lifecycle } = require('../../dist/src/lifecycle.js');
    const lifecycle = new Lifecycle(undefined, { routeOf: () => undefined, traceIdAt: 'start', stateIn: 'response' });
    for (let i = 0; i < 5000; i++) assert.equal(lifecycle.spanName('GET', `/r/${i}`), `GET /r/${i}`);
    const cache = lifecycle.spanNames.get('GET');
    assert.equal(cache.size, 2000);
    assert.deepEqual([cache.has('/r/1999'), cache.has('/r/2000')], [true, false]);
    // Names seen before the cap still come from the cache (a marked entry shows it is read).
    cache.set('/r/1', 'from the cache');
    assert.equal(lifecycle.spanName('GET', '/r/1'), 'from the cache');
  });
});
