'use strict';
// @koa/router sets ctx._matchedRoute again for every layer it runs, router.use() middleware
// included: the span is still named by the route the request matched.
const assert = require('node:assert/strict');
const request = require('supertest');
const Router = require('@koa/router');
const { startMemoryTelemetry, waitForServerSpans } = require('../support/telemetry');
const { listen } = require('../support/servers');

for (const [name, Koa] of [['Koa 3', require('koa')], ['Koa 2', require('koa2')]]) {
  describe(`${name} otelMiddleware(): route names with router middleware`, () => {
    let telemetry;
    let server;
    const routesSeen = [];
    before(async () => {
      telemetry = await startMemoryTelemetry();
      const { otelMiddleware } = require('@motadata/otel/koa');
      const app = new Koa();
      app.silent = true;
      app.use(otelMiddleware());
      const api = new Router({ prefix: '/api' });
      // Router middleware that answers for some requests, and reads the route before the route runs.
      api.use((ctx, next) => {
        routesSeen.push(ctx.state.otel.route);
        if (ctx.get('authorization') !== 'ok') ctx.throw(401);
        return next();
      });
      api.get('/items/:id', (ctx) => (ctx.body = { route: ctx.state.otel.route }));
      api.post('/generate', (ctx) => (ctx.body = { ok: true }));
      // Registered after the routes: runs after them on a match and must not rename the request.
      api.use(async (ctx, next) => next());
      app.use(api.routes());
      server = await listen(app.callback());
    });
    after(async () => {
      await server.close();
      await telemetry.shutdown();
    });
    beforeEach(() => telemetry.reset());

    it('names a request a router middleware rejected by its route, not the middleware\'s pattern', async () => {
      await request(server.url).get('/api/items/1').expect(401);
      await request(server.url).post('/api/generate').expect(401);
      const spans = await waitForServerSpans(telemetry, 2);
      assert.deepEqual(spans.map((s) => s.name).sort(), ['GET /api/items/:id', 'POST /api/generate']);
      assert.deepEqual(spans.map((s) => s.attributes['http.route']).sort(), ['/api/generate', '/api/items/:id']);
    });

    it('gives the route to a router middleware that reads it early, and keeps it past later middleware', async () => {
      routesSeen.length = 0;
      const res = await request(server.url).get('/api/items/2').set('authorization', 'ok').expect(200);
      assert.equal(res.body.route, '/api/items/:id');
      assert.deepEqual(routesSeen, ['/api/items/:id']);
      const [span] = await waitForServerSpans(telemetry);
      assert.equal(span.name, 'GET /api/items/:id');
    });
  });
}
