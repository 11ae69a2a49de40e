'use strict';
// With instrumentHttp: true, @opentelemetry/instrumentation-http opens the SERVER span and the
// middleware must enrich it, never open a second one.
const assert = require('node:assert/strict');
const request = require('supertest');
const { SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { FRAMEWORKS } = require('./support/apps');
const { startMemoryTelemetry, waitForSpans, serverSpans, metricPoints, parentSpanId } = require('./support/telemetry');

describe('otelMiddleware() with instrumentHttp: true', () => {
  let telemetry;
  let http;
  before(async () => {
    telemetry = await startMemoryTelemetry({ instrumentHttp: true });
    // instrumentation-http patches `http` when it is next required.
    http = require('node:http');
  });
  after(() => telemetry.shutdown());
  beforeEach(() => telemetry.reset());

  const listen = (handler) =>
    new Promise((resolve) => {
      const server = http.createServer(handler);
      server.listen(0, '127.0.0.1', () =>
        resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }) }),
      );
    });

  for (const framework of FRAMEWORKS) {
    describe(framework.name, () => {
      let app;
      before(async () => (app = await listen(framework.create())));
      after(() => app.close());

      it('enriches the one SERVER span instrumentation-http opened', async () => {
        const res = await request(app.url).get('/v1/items/5').set('x-tenant-id', 'acme').set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01').expect(200);
        await waitForSpans(telemetry, (s) => serverSpans(s).length >= 1);
        await new Promise((resolve) => setTimeout(resolve, 30));
        const servers = serverSpans(telemetry.getFinishedSpans());
        assert.equal(servers.length, 1, `one SERVER span, got ${servers.map((s) => `${s.instrumentationScope.name}:${s.name}`)}`);
        const [span] = servers;
        assert.equal(span.instrumentationScope.name, '@opentelemetry/instrumentation-http');
        assert.equal(span.name, 'GET /v1/items/:id');
        assert.equal(span.attributes['http.route'], '/v1/items/:id');
        assert.equal(span.attributes['tenant.id'], 'acme');
        assert.equal(span.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
        assert.equal(parentSpanId(span), 'b7ad6b7169203331');
        assert.equal(res.body.traceId, span.spanContext().traceId);
        assert.equal(res.body.activeSpanId, span.spanContext().spanId);
      });

      it('opens no span at all for a request the middleware ignores (its path rules reach instrumentation-http)', async () => {
        const ignoring = await listen(framework.create({ ignore: ['/health', /^\/v1\/status\//] }));
        try {
          await request(ignoring.url).get('/health').expect(200);
          await request(ignoring.url).get('/v1/status/204').expect(204);
          await request(ignoring.url).get('/v1/items/1').expect(200);
          await waitForSpans(telemetry, (s) => serverSpans(s).length >= 1);
          await new Promise((resolve) => setTimeout(resolve, 30));
          assert.deepEqual(serverSpans(telemetry.getFinishedSpans()).map((s) => s.name), ['GET /v1/items/:id']);
        } finally {
          await ignoring.close();
        }
      });

      it('records the thrown error on that span', async () => {
        await request(app.url).get('/v1/throw').expect(500);
        await waitForSpans(telemetry, (s) => serverSpans(s).length >= 1);
        const [span] = serverSpans(telemetry.getFinishedSpans());
        assert.equal(span.status.code, SpanStatusCode.ERROR);
        assert.ok(span.events.some((e) => e.name === 'exception' && e.attributes['exception.message'] === 'boom'));
      });

      it('makes outgoing tracedFetch calls children of that span', async () => {
        const downstream = await listen((req, res) => res.end(JSON.stringify({ traceparent: req.headers.traceparent })));
        try {
          await request(app.url).get('/v1/call').query({ to: downstream.url }).expect(200);
          const spans = await waitForSpans(telemetry, (s) => s.some((x) => x.attributes['http.route'] === '/v1/call') && s.some((x) => x.kind === SpanKind.CLIENT && x.instrumentationScope.name === '@motadata/otel'));
          const server = serverSpans(spans).find((s) => s.attributes['http.route'] === '/v1/call');
          const kitClient = spans.find((s) => s.kind === SpanKind.CLIENT && s.instrumentationScope.name === '@motadata/otel');
          assert.equal(parentSpanId(kitClient), server.spanContext().spanId);
        } finally {
          await downstream.close();
        }
      });
    });
  }

  describe('with trustIncoming: false', () => {
    for (const framework of FRAMEWORKS) {
      it(`${framework.name}: takes no tenant from the caller's baggage and passes none of it on`, async () => {
        // instrumentation-http makes every caller the parent; the caller's baggage must still
        // not choose the tenant (and its bill) nor travel downstream.
        const app = await listen(framework.create({ trustIncoming: false, tenant: { header: false } }));
        const downstream = await listen((req, res) => res.end(JSON.stringify({ baggage: req.headers.baggage ?? null })));
        try {
          const item = await request(app.url).get('/v1/items/5').set('baggage', 'tenant.id=victim,team=red').expect(200);
          assert.equal(item.body.tenant, null);
          const call = await request(app.url).get('/v1/call').query({ to: downstream.url }).set('baggage', 'tenant.id=victim,team=red').expect(200);
          assert.equal(call.body.downstream.baggage, null);
          const spans = await waitForSpans(telemetry, (s) => serverSpans(s).filter((x) => x.attributes['http.route'] !== undefined).length >= 2);
          for (const span of serverSpans(spans)) assert.equal(span.attributes['tenant.id'], undefined);
        } finally {
          await app.close();
          await downstream.close();
        }
      });
    }
  });

  describe('metrics', () => {
    it('keeps one http.server.request.duration: the kit\'s, with http.route (instrumentation-http\'s copy is dropped by a view)', async () => {
      const app = await listen(FRAMEWORKS[0].create());
      try {
        await request(app.url).get('/v1/items/6').set('x-tenant-id', 'metrics-tenant').expect(200);
        await waitForSpans(telemetry, (s) => serverSpans(s).some((x) => x.attributes['tenant.id'] === 'metrics-tenant'));
      } finally {
        await app.close();
      }
      const resourceMetrics = await telemetry.collectMetrics();
      const scopes = resourceMetrics.scopeMetrics
        .filter((s) => s.metrics.some((m) => m.descriptor.name === 'http.server.request.duration' && m.dataPoints.length > 0))
        .map((s) => s.scope.name);
      assert.deepEqual(scopes, ['@motadata/otel']);
      const points = await metricPoints(telemetry, 'http.server.request.duration');
      assert.ok(points.some((p) => p.attributes['http.route'] === '/v1/items/:id' && p.attributes['tenant.id'] === 'metrics-tenant'));
    });
  });
});

describe('after shutdown of a telemetry with instrumentHttp', () => {
  let telemetry;
  before(async () => (telemetry = await startMemoryTelemetry()));
  after(() => telemetry.shutdown());

  it('the middleware opens its own SERVER span again (instrumentation-http is disabled)', async () => {
    const { listen } = require('./support/servers');
    const app = await listen(FRAMEWORKS[0].create());
    try {
      await request(app.url).get('/v1/items/1').expect(200);
      const [span] = await waitForSpans(telemetry, (s) => serverSpans(s).length >= 1).then(serverSpans);
      assert.equal(span.instrumentationScope.name, '@motadata/otel');
      assert.equal(serverSpans(telemetry.getFinishedSpans()).length, 1);
    } finally {
      await app.close();
    }
  });
});
