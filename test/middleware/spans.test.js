'use strict';
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const request = require('supertest');
const { SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { FRAMEWORKS } = require('../support/apps');
const { listen } = require('../support/servers');
const { startMemoryTelemetry, waitForServerSpans, metricPoint, metricPoints, metricTotal, serverSpans } = require('../support/telemetry');

describe('otelMiddleware(): the SERVER span', () => {
  for (const framework of FRAMEWORKS) {
    describe(framework.name, () => {
      // A telemetry per framework: metrics are cumulative, and a check must not pass on another
      // framework's data.
      let telemetry;
      let app;
      before(async () => {
        telemetry = await startMemoryTelemetry();
        app = await listen(framework.create());
      });
      after(async () => {
        await app.close();
        await telemetry.shutdown();
      });
      beforeEach(() => telemetry.reset());

      it('opens exactly one SERVER span named by method and route template', async () => {
        const res = await request(app.url).get('/v1/items/42?debug=1').set('user-agent', 'contract-test').expect(200);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(serverSpans(telemetry.getFinishedSpans()).length, 1);
        assert.equal(span.kind, SpanKind.SERVER);
        assert.equal(span.name, 'GET /v1/items/:id');
        assert.equal(span.attributes['http.route'], '/v1/items/:id');
        assert.equal(span.attributes['http.request.method'], 'GET');
        assert.equal(span.attributes['url.path'], '/v1/items/42');
        assert.equal(span.attributes['url.scheme'], 'http');
        assert.equal(span.attributes['http.response.status_code'], 200);
        assert.equal(span.attributes['server.address'], '127.0.0.1');
        assert.equal(span.attributes['server.port'], Number(new URL(app.url).port));
        assert.equal(span.attributes['user_agent.original'], 'contract-test');
        assert.equal(span.attributes['client.address'], '127.0.0.1');
        assert.equal(span.status.code, SpanStatusCode.UNSET);
        assert.equal(res.body.traceId, span.spanContext().traceId);
      });

      it('runs the handler with the SERVER span active', async () => {
        const res = await request(app.url).get('/v1/items/1').expect(200);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(res.body.activeSpanId, span.spanContext().spanId);
      });

      it('names nested routers by the joined mount and route templates', async () => {
        const res = await request(app.url).get('/v2/users/alice/items/9').expect(200);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.name, 'GET /v2/users/:uid/items/:itemId');
        assert.equal(span.attributes['http.route'], '/v2/users/:uid/items/:itemId');
        assert.equal(res.body.route, '/v2/users/:uid/items/:itemId');
        // The template is cached per route; a second user must not leak into it.
        await request(app.url).get('/v2/users/bob/items/10').expect(200);
        const spans = await waitForServerSpans(telemetry, 2);
        assert.equal(spans[1].name, 'GET /v2/users/:uid/items/:itemId');
      });

      it('keeps the raw path of an unmatched request out of the name and the metric', async () => {
        const unrouted404 = (a) => a['http.response.status_code'] === 404 && !('http.route' in a);
        const before = await metricTotal(telemetry, 'http.server.request.duration', unrouted404);
        await request(app.url).get('/no/such/path/secret-token-123').expect(404);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.name, 'GET');
        assert.equal(span.attributes['http.route'], undefined);
        assert.equal(span.attributes['http.response.status_code'], 404);
        const points = await metricPoints(telemetry, 'http.server.request.duration');
        for (const point of points) assert.ok(!JSON.stringify(point.attributes).includes('secret-token-123'));
        assert.equal(await metricTotal(telemetry, 'http.server.request.duration', unrouted404), before + 1);
      });

      it('leaves a 4xx SERVER span UNSET', async () => {
        await request(app.url).get('/v1/status/429').expect(429);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.status.code, SpanStatusCode.UNSET);
        assert.equal(span.attributes['http.response.status_code'], 429);
        assert.equal(span.attributes['error.type'], undefined);
      });

      it('sets ERROR on a 5xx response', async () => {
        await request(app.url).get('/v1/status/503').expect(503);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.status.code, SpanStatusCode.ERROR);
        assert.equal(span.attributes['error.type'], '503');
      });

      it('records a thrown error, sets ERROR and still lets the framework answer', async () => {
        const res = await request(app.url).get('/v1/throw').expect(500);
        if (framework.name.startsWith('Express')) assert.equal(res.body.error, 'boom'); // the app's own error handler ran
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.status.code, SpanStatusCode.ERROR);
        assert.equal(span.status.message, 'boom');
        assert.equal(span.attributes['error.type'], 'Error');
        const exception = span.events.find((e) => e.name === 'exception');
        assert.ok(exception, 'exception event recorded');
        assert.equal(exception.attributes['exception.message'], 'boom');
      });

      it('records an error thrown after an await', async () => {
        await request(app.url).get('/v1/throw-async').expect(500);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.status.code, SpanStatusCode.ERROR);
        assert.equal(span.attributes['error.type'], 'TypeError');
        assert.equal(span.events.filter((e) => e.name === 'exception').length, 1);
      });

      it('treats a thrown client error (status 400) as the client\'s: UNSET, no exception', async () => {
        await request(app.url).get('/v1/throw-400').expect(400);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.status.code, SpanStatusCode.UNSET);
        assert.equal(span.events.length, 0);
      });

      // Gives up on a request after `ms`: the server sees the connection close mid-response.
      const abandon = (path, ms) =>
        new Promise((resolve) => {
          const req = http.get(app.url + path, (res) => res.resume());
          req.on('error', () => {});
          setTimeout(() => {
            req.destroy();
            resolve();
          }, ms);
        });

      it('records a response the client abandoned before its head as aborted: no status code, ERROR', async () => {
        const slowPoints = async () => (await metricPoints(telemetry, 'http.server.request.duration')).filter((p) => p.attributes['http.route'] === '/v1/slow');
        const before = (await slowPoints())[0]?.value.count ?? 0;
        await abandon('/v1/slow', 60);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.attributes['http.route'], '/v1/slow');
        assert.equal(span.attributes['http.response.status_code'], undefined);
        assert.equal(span.attributes['error.type'], 'aborted');
        assert.equal(span.status.code, SpanStatusCode.ERROR);
        const points = await slowPoints();
        assert.equal(points.length, 1, 'one series: never a status the client did not get');
        assert.equal(points[0].attributes['http.response.status_code'], undefined);
        assert.equal(points[0].attributes['error.type'], 'aborted');
        assert.equal(points[0].value.count - before, 1);
      });

      it('records a response abandoned after its head as aborted, with the status code that was sent', async () => {
        const abortedCount = async () => (await metricPoint(telemetry, 'http.server.request.duration', { 'http.route': '/v1/stream', 'error.type': 'aborted' }))?.value.count ?? 0;
        const before = await abortedCount();
        await abandon('/v1/stream', 100);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.attributes['http.response.status_code'], 200);
        assert.equal(span.attributes['error.type'], 'aborted');
        assert.equal(span.status.code, SpanStatusCode.ERROR);
        const point = await metricPoint(telemetry, 'http.server.request.duration', { 'http.route': '/v1/stream', 'error.type': 'aborted' });
        assert.equal(point.attributes['http.response.status_code'], 200);
        assert.equal((await abortedCount()) - before, 1);
      });

      it('leaves a streamed response that completes UNSET, with no error.type', async () => {
        await request(app.url).get('/v1/stream').expect(200);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.attributes['http.response.status_code'], 200);
        assert.equal(span.attributes['error.type'], undefined);
        assert.equal(span.status.code, SpanStatusCode.UNSET);
      });

      it('keeps the mount templates of a nested route whose error an app-level handler answers', async () => {
        const ofRoute = (route) => (a) => a['http.route'] === route;
        const before = await metricTotal(telemetry, 'http.server.request.duration', ofRoute('/v2/users/:uid/broken/:itemId'));
        await request(app.url).get('/v2/users/7/broken/9').expect(500);
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.name, 'GET /v2/users/:uid/broken/:itemId');
        assert.equal(span.attributes['http.route'], '/v2/users/:uid/broken/:itemId');
        assert.equal(await metricTotal(telemetry, 'http.server.request.duration', ofRoute('/v2/users/:uid/broken/:itemId')), before + 1);
        assert.equal(await metricTotal(telemetry, 'http.server.request.duration', ofRoute('/broken/:itemId')), 0);
      });

      it('takes url.path from an absolute-form request target without scheme, host or query', async () => {
        // RFC 9112 3.2.2: a server must accept `GET http://host/path HTTP/1.1`; supertest
        // cannot send one, so a raw socket does.
        const { port } = new URL(app.url);
        await new Promise((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => socket.end(`GET http://127.0.0.1:${port}/v1/items/9?debug=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`));
          socket.on('data', () => {}).on('end', resolve).on('error', reject);
        });
        const [span] = await waitForServerSpans(telemetry);
        assert.equal(span.attributes['url.path'], '/v1/items/9');
        assert.equal(span.attributes['http.route'], '/v1/items/:id');
      });

      it('records the latency histogram per route with the semconv buckets', async () => {
        const isItems = (a) => a['http.route'] === '/v1/items/:id' && !('tenant.id' in a);
        const before = await metricTotal(telemetry, 'http.server.request.duration', isItems);
        await request(app.url).get('/v1/items/1').expect(200);
        await request(app.url).get('/v1/items/2').expect(200);
        await waitForServerSpans(telemetry, 2);
        assert.equal(await metricTotal(telemetry, 'http.server.request.duration', isItems), before + 2);
        const points = await metricPoints(telemetry, 'http.server.request.duration');
        const point = points.find((p) => isItems(p.attributes));
        assert.equal(point.descriptor.unit, 's');
        assert.deepEqual(point.value.buckets.boundaries, [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
        // url.scheme is Required on this metric by semconv.
        assert.deepEqual(Object.keys(point.attributes).sort(), ['http.request.method', 'http.response.status_code', 'http.route', 'url.scheme']);
        assert.equal(point.attributes['url.scheme'], 'http');
      });
    });
  }
});
